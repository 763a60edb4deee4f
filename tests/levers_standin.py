"""A tiny stand-in projection for testing levers against the adjust.py contract (not the real model).

Monthly steps from a start date: the adjustment's moves and extra exits happen first, then the month's care-days are
counted (stock x days in the month), then exits (a fixed monthly probability per category) and entries (a fixed
expected number per [age band, category] a month, times the entry multiplier), then caps. Monte Carlo draws whole
children with common random numbers: run r always uses the generator seeded (seed, r).
"""

from __future__ import annotations

import calendar
import datetime as dt

import numpy as np

from careflow.levers.projector import Projected
from careflow.model.adjust import StepInfo
from careflow.vocabulary import EXIT_GROUPS as _GROUPS

EXIT_GROUPS = tuple(_GROUPS)

CATS = ("in_house_fostering", "ifa_fostering", "external_residential", "in_house_residential", "other")
BANDS = ("0-5", "5-10", "10-16", "16-18")


def _months(start: dt.date, months: int):
    out = []
    y, m = start.year, start.month
    for _ in range(months):
        last = calendar.monthrange(y, m)[1]
        out.append((dt.date(y, m, 1), dt.date(y, m, last)))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


class StandIn:
    warnings: tuple[str, ...] = ()  # the Projector interface: nothing limited by a fit here

    def __init__(self, stock0: np.ndarray, entries: np.ndarray | None = None, exit_rate: np.ndarray | None = None,
                 start: dt.date = dt.date(2025, 4, 1), months: int = 12, categories=CATS, age_bands=BANDS):
        self.categories = tuple(categories)
        self.age_bands = tuple(age_bands)
        shape = (len(self.age_bands), len(self.categories))
        self.stock0 = np.asarray(stock0, dtype=float).reshape(shape)
        self.entries = np.zeros(shape) if entries is None else np.asarray(entries, dtype=float).reshape(shape)
        self.exit_rate = np.zeros(shape) if exit_rate is None else np.asarray(exit_rate, float).reshape(shape)
        self.months = _months(start, months)
        self.calls = 0

    def _take(self, stock, c, rows, count, rng):
        """Remove up to ``count`` children from column c (rows given), in proportion to the stock."""
        avail = stock[rows, c]
        total = avail.sum()
        if rng is not None:
            count = np.floor(count) + (rng.random() < count - np.floor(count))
        n = min(count, total)
        if n <= 0 or total <= 0:
            return np.zeros_like(avail)
        taken = avail * (n / total)
        if rng is not None:  # whole children
            taken = np.floor(taken)
            rest = int(round(n - taken.sum()))
            order = np.argsort(-(avail - taken))
            for j in order[:rest]:
                taken[j] += 1
        stock[rows, c] -= taken
        return taken

    def _run(self, adjustment, rng, run=None):
        stock = self.stock0.copy()
        nm, nc = len(self.months), len(self.categories)
        care_days = np.zeros((nm, nc))
        stock_end = np.zeros((nm, nc))
        exits = np.zeros((nm, len(EXIT_GROUPS)))  # the levers' extra exits by group (natural exits: none)
        for t, (a, b) in enumerate(self.months):
            step = StepInfo(index=t, month_start=a, month_end=b, age_bands=self.age_bands,
                            categories=self.categories, stock=stock.copy(), run=run)
            ch = adjustment.changes(step)
            for mv in ch.moves:
                rows = [self.age_bands.index(x) for x in mv.age_bands] if mv.age_bands else list(
                    range(len(self.age_bands)))
                taken = self._take(stock, self.categories.index(mv.from_category), rows, mv.count, rng)
                stock[rows, self.categories.index(mv.to_category)] += taken
            for ex in ch.extra_exits:
                rows = [self.age_bands.index(x) for x in ex.age_bands] if ex.age_bands else list(
                    range(len(self.age_bands)))
                taken = self._take(stock, self.categories.index(ex.from_category), rows, ex.count, rng)
                exits[t, EXIT_GROUPS.index(ex.exit_group)] += taken.sum()
            days = (b - a).days + 1
            care_days[t] = stock.sum(axis=0) * days
            lam = self.entries * ch.entry_multiplier
            if rng is None:
                stock = stock - stock * self.exit_rate + lam
            else:
                stock = stock - rng.binomial(stock.astype(int), self.exit_rate) + rng.poisson(lam)
            for cat, cap in ch.caps.items():
                c = self.categories.index(cat)
                excess = stock[:, c].sum() - cap
                if excess > 0:
                    self._take(stock, c, list(range(len(self.age_bands))), excess, None)
            stock_end[t] = stock.sum(axis=0)
        return care_days, stock_end, exits

    def project(self, adjustment, *, runs, seed, deterministic):
        self.calls += 1
        if deterministic:
            cd, se, ex = self._run(adjustment, None)
            cds, ses, exs = cd[None], se[None], ex[None]
        else:
            out = [self._run(adjustment, np.random.default_rng([seed, r]), r) for r in range(runs)]
            cds = np.stack([o[0] for o in out])
            ses = np.stack([o[1] for o in out])
            exs = np.stack([o[2] for o in out])
        return Projected(month_starts=tuple(a for a, _ in self.months), month_ends=tuple(b for _, b in self.months),
                         categories=self.categories, care_days=cds, stock_end=ses, exits=exs,
                         exit_groups=EXIT_GROUPS)


def stock(**by_category) -> np.ndarray:
    """Stock with all children in the 10-16 band: ``stock(ifa_fostering=10)``."""
    out = np.zeros((len(BANDS), len(CATS)))
    for cat, n in by_category.items():
        out[BANDS.index("10-16"), CATS.index(cat)] = n
    return out
