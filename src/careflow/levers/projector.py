"""What the scenario engine needs from a projection: care-days and stock by run, month and category.

Anything with a ``project(adjustment, runs=, seed=, deterministic=)`` method returning a :class:`Projected` will do:
the child-level model (see ``careflow.levers.model_projector``) or a small stand-in in tests. A projector must use
common random numbers: the same ``seed`` gives the same random draws whatever the adjustment, so the difference
between a scenario and the baseline is the lever's effect, not noise.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from careflow.errors import CareflowError
from careflow.model.adjust import Adjustment


@dataclass(frozen=True)
class Projected:
    """A projection's output. ``runs`` is 1 for the deterministic (expected values) projection."""

    month_starts: tuple[dt.date, ...]
    month_ends: tuple[dt.date, ...]  # inclusive; the first/last month may be partial when the horizon is
    categories: tuple[str, ...]
    care_days: np.ndarray  # [run, month, category]
    stock_end: np.ndarray  # [run, month, category], children in care at the end of each month
    # children leaving care in each month by exit group [run, month, group] (None: the projector does not say);
    # permanence exits (SGO, child arrangements, adoption) carry allowances (careflow.costs.allowances)
    exits: np.ndarray | None = None
    exit_groups: tuple[str, ...] = ()


class Projector(Protocol):
    age_bands: tuple[str, ...]
    categories: tuple[str, ...]
    warnings: tuple[str, ...]  # what the fit limited (e.g. trend caps that bind), passed on to the results

    def project(self, adjustment: Adjustment, *, runs: int, seed: int, deterministic: bool) -> Projected: ...


class WeeklyCosts(Protocol):
    """What the engine prices care-days with: :class:`careflow.costs.UnitCosts` (careflow's dated, inflated unit
    costs) or :class:`FixedUnitCosts`."""

    def weekly_cost(self, category: str, fy) -> float:
        """Weekly unit cost in pounds of a placement in ``category`` in financial year ``fy``."""
        ...


@dataclass(frozen=True)
class FixedUnitCosts:
    """The same weekly cost every year (tests, and scenarios that state all their costs). A category without a
    cost is an error, never £0."""

    costs: dict[str, float]

    def weekly_cost(self, category: str, fy) -> float:
        if category not in self.costs:
            raise CareflowError(f"no weekly cost for category '{category}' (have: {', '.join(self.costs) or 'none'})",
                                field=category, rule="unit-costs")
        return float(self.costs[category])
