"""Levers that change flows of children, as Adjustments the projection applies at each monthly step.

Timing: a lever acts from the first projected month that starts on or after its ``start`` date (a lever starting
1 April acts from April; one starting 15 April from May), and while the month starts on or before its ``end``.
Lags and ramps count whole months from that first month. Moves and extra exits happen at the start of the month,
before that month's flows, so a child moved in April spends all of April in the new category.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from careflow.fy import FinancialYear
from careflow.levers.schema import (
    CapGrowth,
    LeverBase,
    PermanenceExits,
    ReduceEntries,
    StepDown,
    Sufficiency,
)
from careflow.model.adjust import Adjustment, ExtraExit, FlowChanges, Move, StepInfo


@dataclass(frozen=True)
class LeverContext:
    """What flow levers know about the projection they act in, fixed before it runs."""

    age_bands: tuple[str, ...]
    categories: tuple[str, ...]
    month_starts: tuple[dt.date, ...]
    # Expected baseline stock by category at the end of each projected month [month, category] (for cap_growth).
    baseline_stock: np.ndarray


def _month_number(day: dt.date) -> int:
    return day.year * 12 + day.month - 1


def months_active(lever: LeverBase, month_start: dt.date) -> int | None:
    """Whole months since the lever's first month (0 in that month), or None when not active this month."""
    first = _month_number(lever.start) + (0 if lever.start.day == 1 else 1)
    k = _month_number(month_start) - first
    if k < 0 or (lever.end is not None and month_start > lever.end):
        return None
    return k


class _FlowLever:
    def __init__(self, lever: LeverBase, ctx: LeverContext):
        self.lever = lever
        self.ctx = ctx
        self.age_bands = tuple(lever.age_bands) if getattr(lever, "age_bands", None) else None

    def changes(self, step: StepInfo) -> FlowChanges:
        k = months_active(self.lever, step.month_start)
        if k is None:
            return FlowChanges()
        return self._changes(step, k)

    def _changes(self, step: StepInfo, k: int) -> FlowChanges:  # pragma: no cover - abstract
        raise NotImplementedError

    def _stock_in(self, step: StepInfo, category: str) -> float:
        c = step.categories.index(category)
        if self.age_bands is None:
            return float(np.sum(step.stock[:, c]))
        rows = [step.age_bands.index(a) for a in self.age_bands]
        return float(np.sum(step.stock[rows, c]))


def _evenly(per_year: float, total: float | None, k: int) -> float:
    """This month's count for ``per_year`` spread evenly by month, stopping once ``total`` is reached."""
    per_month = per_year / 12.0
    if total is None:
        return per_month
    return float(min(per_month, max(0.0, total - per_month * k)))


class ReduceEntriesFlow(_FlowLever):
    lever: ReduceEntries

    def percent(self, k: int, month_start: dt.date) -> float:
        r = self.lever.reduction
        if isinstance(r, list):
            return float(r[min(k // 12, len(r) - 1)])
        if isinstance(r, dict):
            fy = FinancialYear.containing(month_start)
            keyed = sorted((FinancialYear.parse(str(key)), float(v)) for key, v in r.items())
            current = [v for y, v in keyed if y <= fy]
            return current[-1] if current else 0.0
        return float(r)

    def _changes(self, step, k):
        pct = self.percent(k, step.month_start)
        mult = np.ones((len(step.age_bands), len(step.categories)))
        rows = [step.age_bands.index(a) for a in self.age_bands] if self.age_bands else slice(None)
        cats = self.lever.categories
        cols = [step.categories.index(c) for c in cats] if cats else slice(None)
        sel = np.zeros_like(mult, dtype=bool)
        sel[np.ix_(np.arange(mult.shape[0])[rows], np.arange(mult.shape[1])[cols])] = True
        mult[sel] = 1.0 - pct / 100.0
        return FlowChanges(entry_multiplier=mult)


class StepDownFlow(_FlowLever):
    lever: StepDown

    def _changes(self, step, k):
        lv = self.lever
        j = k - lv.lag_months
        if j < 0:
            return FlowChanges()
        if lv.children_per_year is not None:
            count = _evenly(lv.children_per_year, lv.total, j)
        else:
            monthly = 1.0 - (1.0 - lv.percent_per_year / 100.0) ** (1.0 / 12.0)
            count = monthly * self._stock_in(step, lv.from_category)
        if count <= 0:
            return FlowChanges()
        return FlowChanges(moves=[Move(lv.from_category, lv.to_category, count, self.age_bands)])


class SufficiencyFlow(_FlowLever):
    """New placements fill over ``ramp_months`` after ``lag_months`` and stay filled: each month the lever moves
    children from the displaced category until the added category holds its expected baseline number plus the
    placements filled so far. When a child leaves one of the new placements, the carer takes another child who
    would otherwise be in the displaced category (the business case's own assumption: net new placements)."""

    lever: Sufficiency

    def filled(self, j: int) -> float:
        lv = self.lever
        if j < 0:
            return 0.0
        if lv.ramp_months == 0:
            return lv.placements
        return lv.placements * min(1.0, (j + 1) / lv.ramp_months)

    def _changes(self, step, k):
        lv = self.lever
        target = self.filled(k - lv.lag_months)
        if target <= 0:
            return FlowChanges()
        c = self.ctx.categories.index(lv.add_category)
        # Expected baseline stock at the start of this month: the end of the previous one; in the first month
        # every run starts from the same children, so this run's own stock is the baseline's.
        now = float(np.sum(step.stock[:, c]))
        expected = float(self.ctx.baseline_stock[step.index - 1, c]) if step.index > 0 else now
        count = expected + target - now
        if count <= 1e-12:
            return FlowChanges()
        return FlowChanges(moves=[Move(lv.displace_category, lv.add_category, count, self.age_bands)])


class PermanenceExitsFlow(_FlowLever):
    lever: PermanenceExits

    def _changes(self, step, k):
        lv = self.lever
        j = k - lv.lag_months
        if j < 0:
            return FlowChanges()
        count = _evenly(lv.children_per_year, lv.total, j)
        if count <= 0:
            return FlowChanges()
        return FlowChanges(extra_exits=[ExtraExit(lv.from_category, lv.exit_group, count, self.age_bands)])


class CapGrowthFlow(_FlowLever):
    """``level``: hold the category at that number. ``remove``: the expected baseline less up to N of the additions
    it expects after the lever starts. With ``to_category`` the children above the cap move there at the start of
    the month; otherwise the projection removes them after the month's flows (avoided placements)."""

    lever: CapGrowth

    def cap(self, step: StepInfo, k: int) -> float:
        lv = self.lever
        if lv.level is not None:
            return lv.level
        c = self.ctx.categories.index(lv.category)
        base = self.ctx.baseline_stock[:, c]
        t = min(step.index, len(base) - 1)
        t0 = max(0, t - k - 1)  # the month before the lever starts
        expected_start = float(base[t0]) if t - k - 1 >= 0 else float(base[0])
        additions = max(0.0, float(base[t]) - expected_start)
        return float(base[t]) - min(lv.remove, additions)

    def _changes(self, step, k):
        lv = self.lever
        cap = self.cap(step, k)
        if lv.to_category is None:
            return FlowChanges(caps={lv.category: cap})
        excess = self._stock_in(step, lv.category) - cap
        if excess <= 0:
            return FlowChanges()
        return FlowChanges(moves=[Move(lv.category, lv.to_category, excess)])


_FLOW = {ReduceEntries: ReduceEntriesFlow, StepDown: StepDownFlow, Sufficiency: SufficiencyFlow,
         PermanenceExits: PermanenceExitsFlow, CapGrowth: CapGrowthFlow}


def flow_adjustment(lever: LeverBase, ctx: LeverContext) -> _FlowLever:
    """The Adjustment for one flow lever."""
    return _FLOW[type(lever)](lever, ctx)


def merge(changes: list[FlowChanges]) -> FlowChanges:
    """Several levers' changes in one month: multipliers multiply, moves and exits add up, the lowest cap holds."""
    if not changes:
        return FlowChanges()
    if len(changes) == 1:
        return changes[0]
    mult: np.ndarray | float = 1.0
    moves, exits, caps = [], [], {}
    for ch in changes:
        mult = mult * ch.entry_multiplier
        moves.extend(ch.moves)
        exits.extend(ch.extra_exits)
        for cat, v in ch.caps.items():
            caps[cat] = min(v, caps.get(cat, v))
    return FlowChanges(entry_multiplier=mult, moves=moves, extra_exits=exits, caps=caps)


class Combined:
    """The Adjustment of several flow levers together."""

    def __init__(self, parts: list[Adjustment]):
        self.parts = list(parts)

    def changes(self, step: StepInfo) -> FlowChanges:
        return merge([p.changes(step) for p in self.parts])
