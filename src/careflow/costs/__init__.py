"""Placement costs: care-days x weekly unit cost / 7, by placement category and financial year (DESIGN 5.3).

Unit costs and inflation are dated, sourced parameter files (``unit_costs.yaml``, ``inflation.yaml``); a user's
file in the same format overrides the categories it lists. A weekly cost dated ``D`` is in prices of the financial
year containing ``D``; for each later financial year it grows by that category's inflation rate (the ``default``
rate when the category has none), and for earlier years it is deflated the same way.

Cost bands come from the Monte Carlo runs: each run's care-days are priced, then the mean and quantiles are taken
over runs (never P50 care-days x unit cost).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from careflow import numbers
from careflow.errors import CareflowError, Finding
from careflow.fy import FinancialYear
from careflow.parameters import Parameter, load_parameter, read_parameter

QUANTILES = (0.1, 0.5, 0.9)


def _dated(param: Parameter, key: str, values, allow_negative: bool = False) -> list[tuple[dt.date, float]]:
    def bad(msg):
        doc_line = None
        if param.file:
            from careflow import yamlio
            doc_line = yamlio.load(param.file).line(("values", key))
        return CareflowError(Finding(rule="parameter", message=msg, file=param.file, row=doc_line,
                                     field=f"values.{key}"))

    if isinstance(values, int | float) and not isinstance(values, bool):
        raise bad(f"'{key}' must map a price-base date to a value, e.g. {{\"2025-04-01\": {values}}}")
    if not isinstance(values, dict) or not values:
        raise bad(f"'{key}' must map a price-base date (YYYY-MM-DD) to a number")
    out = []
    for d, v in values.items():
        try:
            day = d if type(d) is dt.date else pd.Timestamp(str(d)).date()
        except (ValueError, TypeError, OverflowError, NotImplementedError):
            raise bad(f"'{d}' under '{key}' is not a date (YYYY-MM-DD)") from None
        try:
            numbers.plausible_date(day)
            v = numbers.finite(v)
        except ValueError as exc:
            raise bad(f"the value for {d} under '{key}' must be a number: {exc}") from None
        if v < 0 and not allow_negative:
            raise bad(f"the value for {d} under '{key}' must not be negative (got {v})")
        out.append((day, float(v)))
    return sorted(out)


@dataclass
class UnitCosts:
    """Weekly unit costs and annual inflation by category, each dated, with the source of each."""

    weekly: dict[str, list[tuple[dt.date, float]]]
    inflation: dict[str, list[tuple[dt.date, float]]]
    sources: dict[str, str] = field(default_factory=dict)

    @staticmethod
    def _at(series: list[tuple[dt.date, float]], day: dt.date) -> tuple[dt.date, float]:
        past = [p for p in series if p[0] <= day]
        return past[-1] if past else series[0]

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
        base = FinancialYear.containing(base_day)
        for y in range(base.start_year + 1, fy.start_year + 1):
            cost *= 1 + self.inflation_rate(category, FinancialYear(y))
        for y in range(fy.start_year + 1, base.start_year + 1):
            cost /= 1 + self.inflation_rate(category, FinancialYear(y))
        return cost

    def daily_costs(self, categories: tuple[str, ...], years: list[FinancialYear]) -> np.ndarray:
        """Cost per care-day [year, category]."""
        return np.array([[self.weekly_cost(c, y) / 7 for c in categories] for y in years])


def load_unit_costs(path: str | Path | None = None, inflation: str | Path | None = None,
                    categories: tuple[str, ...] | None = None) -> UnitCosts:
    """The shipped national defaults, overridden by the user's file(s) for the categories they list."""
    base = load_parameter("unit_costs")
    weekly = {k: _dated(base, k, v) for k, v in base.values.items()}
    sources = dict((base.raw or {}).get("sources") or {})
    infl_p = load_parameter("inflation")
    infl = {k: _dated(infl_p, k, v, allow_negative=True) for k, v in infl_p.values.items()}
    if path is not None:
        user = read_parameter(path)
        if not isinstance(user.values, dict):
            raise CareflowError("'values' must map each category to its dated weekly costs", file=str(path),
                                field="values", rule="parameter")
        for k, v in user.values.items():
            if categories is not None and k not in categories:
                raise CareflowError(f"unknown category '{k}' (known: {', '.join(categories)})", file=str(path),
                                    field=f"values.{k}", rule="unknown-category")
            weekly[str(k)] = _dated(user, str(k), v)
            sources[str(k)] = f"{user.reference} ({path})"
    if inflation is not None:
        user = read_parameter(inflation)
        if not isinstance(user.values, dict):
            raise CareflowError("'values' must map each category (or 'default') to dated rates",
                                file=str(inflation), field="values", rule="parameter")
        for k, v in user.values.items():
            infl[str(k)] = _dated(user, str(k), v, allow_negative=True)
    return UnitCosts(weekly=weekly, inflation=infl, sources=sources)


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
