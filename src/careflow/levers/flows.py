"""Levers that change flows of children, as Adjustments the projection applies at each monthly step.

Timing: a lever acts from the first projected month that starts on or after its ``start`` date (a lever starting
1 April acts from April; one starting 15 April from May), and while the month starts on or before its ``end``.
Lags and ramps count whole months from that first month. Moves and extra exits happen at the start of the month,
before that month's flows, so a child moved in April spends all of April in the new category.

Monte Carlo: the levers whose size is a number of children held against the baseline (``sufficiency``,
``cap_growth`` with ``remove``) act on each run's *own* baseline path, not on the baseline's expected path. A run
and its baseline share their random numbers (common random numbers), so "the baseline plus the placements filled"
or "the baseline less N" is a statement about the same children in the same run: each run then moves the number of
children the proposal asks (its expected schedule, realised as whole children by a fixed fraction per run, so the
runs' mean is the expected number), never the baseline's noise. See docs/scenarios.md for how far the mean of
runs can still differ from the deterministic price.

Delivery: every lever that asks for a number of children records, in each run, how many it asked for and how many
were there to move (children moved vs asked; placement-months for sufficiency and caps); see :class:`Delivery`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from careflow.fy import FinancialYear
from careflow.levers.recruitment import arrivals
from careflow.levers.schema import (
    CapGrowth,
    LeverBase,
    PermanenceExits,
    ReduceEntries,
    StepDown,
    Sufficiency,
)
from careflow.model.adjust import Adjustment, ExtraExit, FlowChanges, Move, StepInfo

GOLDEN = (5 ** 0.5 - 1) / 2
DELIVERED_ENOUGH = 0.99  # a lever delivering less than this share of what it asks is reported with a warning


@dataclass(frozen=True)
class LeverContext:
    """What flow levers know about the projection they act in, fixed before it runs."""

    age_bands: tuple[str, ...]
    categories: tuple[str, ...]
    month_starts: tuple[dt.date, ...]
    # Expected baseline stock by category at the end of each projected month [month, category].
    baseline_stock: np.ndarray
    # Each Monte Carlo run's own baseline stock [run, month, category] (None: deterministic pricing only).
    baseline_runs: np.ndarray | None = None

    def baseline(self, run: int | None) -> np.ndarray:
        """The baseline path [month, category] a lever holds its numbers against: run ``run``'s own, or the
        expected one (deterministic projection, or no runs known)."""
        if run is None or self.baseline_runs is None:
            return self.baseline_stock
        if not 0 <= run < len(self.baseline_runs):
            raise IndexError(f"run {run} is not one of the baseline's {len(self.baseline_runs)} runs")
        return self.baseline_runs[run]


def whole(count: float, run: int | None) -> float:
    """``count`` children as whole children in Monte Carlo run ``run``: ``floor(count + u)`` with a fixed fraction
    ``u`` per run (the golden-ratio sequence: evenly spread over runs), so each run's number only grows as
    ``count`` grows, and the mean over runs is ``count``. Unchanged in the deterministic projection (run None).
    Realising a held number afresh each month would ratchet up: a child moved by chance is never moved back."""
    if run is None:
        return count
    return float(np.floor(count + ((run + 1) * GOLDEN) % 1.0))


@dataclass(frozen=True)
class Delivery:
    """How much of a lever was delivered: what it asked for and what there were children to do, summed over the
    months it acts and averaged over runs (``unit`` says what is counted)."""

    lever: str
    unit: str
    asked: float
    delivered: float

    @property
    def share(self) -> float:
        return self.delivered / self.asked if self.asked > 0 else 1.0

    @property
    def short(self) -> bool:
        return self.share < DELIVERED_ENOUGH

    def describe(self) -> str:
        if self.asked <= 0:
            return f"{self.lever}: asks for nothing in this projection (0 {self.unit})"
        share = "<0.1%" if 0 < self.share < 0.001 else f"{self.share:.1%}"
        return f"{self.lever}: delivered {share} of what it asks ({self.delivered:,.1f} of {self.asked:,.1f} {self.unit})"

    def as_dict(self) -> dict:
        return {"lever": self.lever, "unit": self.unit, "asked": round(self.asked, 4),
                "delivered": round(self.delivered, 4), "share": round(self.share, 6), "short": self.short}


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
    unit: str | None = None  # what the lever asks for, in Delivery (None: nothing it could fall short of)

    def __init__(self, lever: LeverBase, ctx: LeverContext):
        self.lever = lever
        self.ctx = ctx
        self.age_bands = lever.age_bands_used() or None
        self._asked: dict[int | None, float] = {}
        self._delivered: dict[int | None, float] = {}

    def _record(self, step: StepInfo, asked: float, delivered: float) -> None:
        self._asked[step.run] = self._asked.get(step.run, 0.0) + asked
        self._delivered[step.run] = self._delivered.get(step.run, 0.0) + max(0.0, min(asked, delivered))

    def delivery(self) -> Delivery | None:
        """What this adjustment asked for and delivered in the projection it last ran in (mean over runs)."""
        if self.unit is None or not self._asked:
            return None
        runs = list(self._asked)
        return Delivery(self.lever.label(), self.unit, float(np.mean([self._asked[r] for r in runs])),
                        float(np.mean([self._delivered[r] for r in runs])))

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
    unit = "children moved"

    def _changes(self, step, k):
        lv = self.lever
        j = k - lv.lag_months
        if j < 0:
            return FlowChanges()
        there = self._stock_in(step, lv.from_category)
        if lv.children_per_year is not None:
            count = _evenly(lv.children_per_year, lv.total, j)
        else:
            monthly = 1.0 - (1.0 - lv.percent_per_year / 100.0) ** (1.0 / 12.0)
            count = monthly * there
        if count <= 0:
            return FlowChanges()
        self._record(step, count, there)
        return FlowChanges(moves=[Move(lv.from_category, lv.to_category, count, self.age_bands)])


class SufficiencyFlow(_FlowLever):
    """New placements fill over ``ramp_months`` after ``lag_months`` and stay filled: each month the lever moves
    children from the displaced category until the added category holds its baseline number (this run's own in
    Monte Carlo, the expected one in the deterministic projection) plus the placements filled so far. When a child
    leaves one of the new placements, the carer takes another child who would otherwise be in the displaced
    category (the business case's own assumption: net new placements)."""

    lever: Sufficiency
    unit = "placement-months filled"

    def filled(self, j: int) -> float:
        lv = self.lever
        if j < 0:
            return 0.0
        if lv.recruitment is not None:  # placements arrive as carers are approved
            months = len(self.ctx.month_starts)
            if getattr(self, "_arrivals", None) is None:
                self._arrivals = arrivals(lv.recruitment, months, lv.placements)
            return float(self._arrivals[min(j, months - 1)])
        if lv.ramp_months == 0:
            return lv.placements
        return lv.placements * min(1.0, (j + 1) / lv.ramp_months)

    def _changes(self, step, k):
        lv = self.lever
        target = whole(self.filled(k - lv.lag_months), step.run)
        if target <= 0:
            return FlowChanges()
        c = self.ctx.categories.index(lv.add_category)
        # The baseline's stock at the start of this month: the end of the previous one; in the first month every
        # run starts from the same children, so the scenario's stock is the baseline's.
        now = float(np.sum(step.stock[:, c]))
        base = float(self.ctx.baseline(step.run)[step.index - 1, c]) if step.index > 0 else now
        count = base + target - now
        there = self._stock_in(step, lv.displace_category)
        self._record(step, target, target - max(0.0, count - there))
        if count <= 1e-12:
            return FlowChanges()
        return FlowChanges(moves=[Move(lv.displace_category, lv.add_category, count, self.age_bands)])


class PermanenceExitsFlow(_FlowLever):
    lever: PermanenceExits
    unit = "children leaving care"

    def _changes(self, step, k):
        lv = self.lever
        j = k - lv.lag_months
        if j < 0:
            return FlowChanges()
        count = _evenly(lv.children_per_year, lv.total, j)
        if count <= 0:
            return FlowChanges()
        self._record(step, count, self._stock_in(step, lv.from_category))
        return FlowChanges(extra_exits=[ExtraExit(lv.from_category, lv.exit_group, count, self.age_bands)])


class CapGrowthFlow(_FlowLever):
    """``level``: hold the category at that number. ``remove``: N fewer children in the category than the baseline,
    phased in as the expected baseline makes additions after the lever starts (``held``): each Monte Carlo run holds
    its own baseline path less that many (as whole children), the deterministic projection the expected path. With
    ``to_category`` the children above the cap move there at the start of the month (held against the baseline at
    the start of the month); otherwise the projection removes them after the month's flows (avoided placements,
    held against the baseline at the end of the month)."""

    lever: CapGrowth

    @property
    def unit(self) -> str | None:  # type: ignore[override]
        return None if self.lever.level is not None else "placement-months held back"

    def held(self, step: StepInfo, k: int) -> float:
        """Children held back this month: up to N of the additions the expected baseline has made by the end of
        the month since the month before the lever started (the proposal's schedule, the same in every run)."""
        c = self.ctx.categories.index(self.lever.category)
        base = self.ctx.baseline_stock[:, c]
        t = min(step.index, len(base) - 1)
        expected_start = float(base[t - k - 1]) if t - k - 1 >= 0 else float(base[0])
        additions = max(0.0, float(base[t]) - expected_start)
        return min(float(self.lever.remove), additions)

    def _changes(self, step, k):
        lv = self.lever
        c = self.ctx.categories.index(lv.category)
        if lv.level is not None:
            cap = float(lv.level)
        else:
            held = whole(self.held(step, k), step.run)
            path = self.ctx.baseline(step.run)[:, c]
            t = min(step.index, len(path) - 1)
            if lv.to_category is None:
                base = float(path[t])
            else:  # moves happen at the start of the month: against the baseline's stock then
                base = float(path[t - 1]) if t > 0 else self._stock_in(step, lv.category)
            self._record(step, held, base)
            cap = base - held
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

    def deliveries(self) -> list[Delivery]:
        return [d for p in self.parts if isinstance(p, _FlowLever) and (d := p.delivery()) is not None]

    def changes(self, step: StepInfo) -> FlowChanges:
        return merge([p.changes(step) for p in self.parts])
