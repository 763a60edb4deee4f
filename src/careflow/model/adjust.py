"""How a scenario changes the flows of children inside a projection (the contract between model and levers).

The projection (deterministic and Monte Carlo) calls ``adjustment.changes(step)`` once per monthly step, before
applying that month's flows, and applies what it returns. Levers (``careflow.levers``) build adjustments; the model
knows nothing about levers. Every field defaults to "no change", so ``NO_CHANGE`` reproduces the baseline exactly.

Index conventions: arrays are indexed ``[age_band, category]`` in the order of the fitted model's ``age_bands`` and
``categories`` (``StepInfo`` carries both). Counts are children (expected values; the Monte Carlo engine realises
them as whole children, never more than are there).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np


@dataclass(frozen=True)
class Move:
    """Move up to ``count`` children this month from one placement category to another (step down, sufficiency).

    ``age_bands`` limits which children move (None: any age band, in proportion to the stock). Fewer move when fewer
    are there. Moved children keep their age and time in care.
    """

    from_category: str
    to_category: str
    count: float
    age_bands: tuple[str, ...] | None = None


@dataclass(frozen=True)
class ExtraExit:
    """Up to ``count`` extra exits this month from ``from_category`` by ``exit_group`` (sgo, adoption, return_home...)."""

    from_category: str
    exit_group: str
    count: float
    age_bands: tuple[str, ...] | None = None


@dataclass
class FlowChanges:
    """What a scenario does in one monthly step. Defaults change nothing."""

    # Multiplies the expected entries into each [age_band, category] cell (1.0 = baseline; 0.75 = 25% fewer).
    entry_multiplier: np.ndarray | float = 1.0
    moves: list[Move] = field(default_factory=list)
    extra_exits: list[ExtraExit] = field(default_factory=list)
    # Upper limit on the number in a category after this month's flows; children above it are removed from the
    # category (avoided placements) and reported by the projection as ``capped`` rather than silently dropped.
    caps: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class StepInfo:
    """What the projection tells an adjustment at each step."""

    index: int  # 0 for the first projected month
    month_start: dt.date
    month_end: dt.date  # inclusive
    age_bands: tuple[str, ...]
    categories: tuple[str, ...]
    stock: np.ndarray  # current expected (or, in Monte Carlo, this run's) stock [age_band, category]
    # the Monte Carlo run (0-based, over all of a projection's runs; the same run of a baseline and a scenario
    # projected from the same seed share their random numbers), or None in the deterministic projection
    run: int | None = None


class Adjustment(Protocol):
    def changes(self, step: StepInfo) -> FlowChanges: ...


class NoChange:
    """The baseline: the empty scenario."""

    def changes(self, step: StepInfo) -> FlowChanges:
        return FlowChanges()


NO_CHANGE = NoChange()


class RunOffset:
    """``adjustment`` seen from a block of Monte Carlo runs that starts at run ``first``: the engine numbers runs
    within its block, the adjustment sees them numbered over the whole projection."""

    def __init__(self, adjustment: Adjustment, first: int):
        self.adjustment, self.first = adjustment, first

    def changes(self, step: StepInfo) -> FlowChanges:
        run = None if step.run is None else step.run + self.first
        return self.adjustment.changes(dataclasses.replace(step, run=run))
