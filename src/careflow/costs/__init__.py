"""Placement costs: care-days x weekly unit cost / 7, by placement category and financial year (DESIGN 5.3).

Unit costs and inflation are dated, sourced parameter files (``unit_costs.yaml``, ``inflation.yaml``); a user's
file in the same format overrides the categories it lists. A weekly cost dated ``D`` is in prices of the financial
year containing ``D``; for each later financial year it grows by that category's inflation rate (the ``default``
rate when the category has none), and for earlier years it is deflated the same way.

Cost bands come from the Monte Carlo runs: each run's care-days are priced, then the mean and quantiles are taken
over runs (never P50 care-days x unit cost).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from careflow.errors import CareflowError
from careflow.fy import FinancialYear
from careflow.parameters import DatedSeries, DatedValue, Parameter, load_parameter, read_parameter

QUANTILES = (0.1, 0.5, 0.9)


def _dated(param: Parameter, key: str, allow_negative: bool = False) -> DatedSeries:
    """The dated values of ``key``, checked at load. A weekly cost is in prices of its date and deflated to earlier
    years, and the first inflation rate holds before its date (module docstring), so both extend backwards."""
    return dataclasses.replace(param.series(key, allow_negative=allow_negative), extends_backwards=True)


@dataclass
class UnitCosts:
    """Weekly unit costs and annual inflation by category, each a dated series (a list of (date, value) is taken
    as one, extending backwards), with the source of each category's costs."""

    weekly: dict[str, DatedSeries]
    inflation: dict[str, DatedSeries]
    sources: dict[str, str] = field(default_factory=dict)

    def __post_init__(self):
        for table in (self.weekly, self.inflation):
            for k, v in table.items():
                if not isinstance(v, DatedSeries):
                    table[k] = DatedSeries(str(k), tuple(DatedValue(d, float(x), self.sources.get(k, ""))
                                                          for d, x in sorted(v)), extends_backwards=True)

    @staticmethod
    def _at(series: DatedSeries, day: dt.date) -> tuple[dt.date, float]:
        point = series.at(day)
        return point.date, point.value

    def inflation_rate(self, category: str, fy: FinancialYear) -> float:
        series = self.inflation.get(category) or self.inflation.get("default")
        return self._at(series, fy.start)[1] if series else 0.0

    def weekly_cost(self, category: str, fy: FinancialYear | str) -> float:
        """The weekly cost of a placement in ``category`` in prices of financial year ``fy``."""
        fy = FinancialYear.parse(fy)
        if category not in self.weekly:
            raise CareflowError(f"no unit cost for category '{category}' (have: {', '.join(self.weekly)})",
                                field=category, rule="unit-costs")
        base_day, cost = self._at(self.weekly[category], fy.start)
        return cost * self.price_factor(category, FinancialYear.containing(base_day), fy)

    def price_factor(self, category: str, from_fy: FinancialYear | str, to_fy: FinancialYear | str) -> float:
        """What £1 in ``from_fy``'s prices is in ``to_fy``'s prices by the index of ``category`` (``default`` for
        the general index): the product of the rates dated after ``from_fy`` up to ``to_fy`` (divided going back)."""
        a, b = FinancialYear.parse(from_fy), FinancialYear.parse(to_fy)
        factor = 1.0
        for y in range(a.start_year + 1, b.start_year + 1):
            factor *= 1 + self.inflation_rate(category, FinancialYear(y))
        for y in range(b.start_year + 1, a.start_year + 1):
            factor /= 1 + self.inflation_rate(category, FinancialYear(y))
        return factor

    def price_base(self) -> str:
        """How these costs price a projection: each financial year in its own (cash) prices."""
        return price_base_text(self)

    def daily_costs(self, categories: tuple[str, ...], years: list[FinancialYear]) -> np.ndarray:
        """Cost per care-day [year, category]."""
        return np.array([[self.weekly_cost(c, y) / 7 for c in categories] for y in years])


def load_unit_costs(path: str | Path | None = None, inflation: str | Path | None = None,
                    categories: tuple[str, ...] | None = None) -> UnitCosts:
    """The shipped national defaults, overridden by the user's file(s) for the categories they list."""
    base = load_parameter("unit_costs")
    weekly = {k: _dated(base, k) for k in base.values}
    sources = dict((base.raw or {}).get("sources") or {})
    infl_p = load_parameter("inflation")
    infl = {k: _dated(infl_p, k, allow_negative=True) for k in infl_p.values}
    if path is not None:
        user = read_parameter(path)
        if not isinstance(user.values, dict):
            raise CareflowError("'values' must map each category to its dated weekly costs", file=str(path),
                                field="values", rule="parameter")
        for k in user.values:
            if categories is not None and k not in categories:
                raise CareflowError(f"unknown category '{k}' (known: {', '.join(categories)})", file=str(path),
                                    field=f"values.{k}", rule="unknown-category")
            weekly[str(k)] = _dated(user, k)
            sources[str(k)] = f"{user.reference} ({path})"
    if inflation is not None:
        user = read_parameter(inflation)
        if not isinstance(user.values, dict):
            raise CareflowError("'values' must map each category (or 'default') to dated rates",
                                file=str(inflation), field="values", rule="parameter")
        for k in user.values:
            infl[str(k)] = _override_from(infl.get(str(k)) or infl.get("default"), _dated(user, k, allow_negative=True))
    return UnitCosts(weekly=weekly, inflation=infl, sources=sources)


def _override_from(ours: DatedSeries | None, theirs: DatedSeries) -> DatedSeries:
    """An MTFS override: the user's rates from their first date on, careflow's index (outturn) before it."""
    if ours is None:
        return theirs
    first = theirs.points[0].date
    kept = tuple(p for p in ours.points if p.date < first)
    return dataclasses.replace(theirs, points=kept + theirs.points, extends_backwards=True)


CASH = "cash prices of each financial year"


def price_base_text(costs: UnitCosts | None = None) -> str:
    """The price base of placement costs careflow computes: cash by financial year, with the index named."""
    if costs is None or "default" not in costs.inflation:
        return CASH
    return f"{CASH} (unit costs carried by careflow's price index, inflation.yaml, or the MTFS rates given)"


def financial_years(month_starts: list[dt.date]) -> tuple[list[FinancialYear], np.ndarray]:
    """The financial years the months fall in (by the month's first day) and each month's year index."""
    fys = [FinancialYear.containing(d) for d in month_starts]
    years = sorted(set(fys))
    return years, np.array([years.index(f) for f in fys])


def price_care_days(care_days: np.ndarray, month_starts: list[dt.date], categories: tuple[str, ...],
                    unit_costs: UnitCosts) -> tuple[list[FinancialYear], np.ndarray]:
    """Pounds by financial year x category from care-days [..., month, category] (any leading axes, e.g. runs)."""
    years, idx = financial_years(month_starts)
    daily = unit_costs.daily_costs(categories, years)  # [Y, C]
    priced = care_days * daily[idx]  # [..., M, C]
    out = np.zeros(care_days.shape[:-2] + (len(years), len(categories)))
    for y in range(len(years)):
        out[..., y, :] = priced[..., idx == y, :].sum(axis=-2)
    return years, out


def cost_table(projection, unit_costs: UnitCosts, quantiles: tuple[float, ...] = QUANTILES) -> pd.DataFrame:
    """Placement cost by financial year x category (and ``all``), pounds: ``financial_year, category, expected,
    mean, p10, p50, p90, months``. Bands come from pricing each Monte Carlo run."""
    cats = tuple(projection.categories)
    years, expected = price_care_days(projection.expected_care_days, projection.month_starts, cats, unit_costs)
    expected = np.concatenate([expected, expected.sum(axis=-1, keepdims=True)], axis=-1)
    if projection.care_days_runs is not None:
        _, runs = price_care_days(projection.care_days_runs, projection.month_starts, cats, unit_costs)
        runs = np.concatenate([runs, runs.sum(axis=-1, keepdims=True)], axis=-1)
        mean = runs.mean(axis=0)
        qs = np.quantile(runs, quantiles, axis=0)
    else:
        mean = expected
        qs = np.full((len(quantiles),) + expected.shape, np.nan)
    _, idx = financial_years(projection.month_starts)
    months = np.bincount(idx, minlength=len(years))
    rows = []
    for y, fy in enumerate(years):
        for c, cat in enumerate(list(cats) + ["all"]):
            row = {"financial_year": fy.label, "category": cat, "expected": expected[y, c], "mean": mean[y, c]}
            for q, arr in zip(quantiles, qs, strict=True):
                row[f"p{round(q * 100)}"] = arr[y, c]
            row["months"] = int(months[y])
            rows.append(row)
    return pd.DataFrame(rows)
