"""Forecast: fit the child-level model, project it, widen the bands to its own record, and price the care-days.

:func:`forecast` returns a :class:`Forecast` (nothing is written); :func:`write_forecast` is the separate step that
writes forecast.csv, costs.csv, summary.json and fan_chart.png.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from careflow import safecsv
from careflow.costs import UnitCosts, cost_table, load_unit_costs
from careflow.errors import CareflowError
from careflow.model import DEFAULT_CATEGORIES, FittedModel, Projection, fit, project
from careflow.model import episodes as epi
from careflow.model.rates import UNKNOWN
from careflow.pipeline.data import Data

FORECAST_COLUMNS = ("date", "category", "age_band", "mean", "p10", "p50", "p90")
COST_COLUMNS = ("financial_year", "category", "mean", "p10", "p50", "p90")
NOTES = ("children counted at each month end; short-break-only care (V3/V4) excluded",
         "costs are care-days x weekly unit cost / 7 priced run by run; bands are quantiles over runs",
         "a financial year with fewer than 12 months is part of a year (see 'months')")


@dataclass
class Forecast:
    """A priced forecast: the fitted model, the (calibrated) projection, the unit costs used, and the settings."""

    model: FittedModel
    projection: Projection
    unit_costs: UnitCosts
    data_end: dt.date
    start: dt.date
    runs: int
    seed: int
    trend: bool
    window_chosen_from_data: bool
    history: pd.Series  # month-end counts of children in care for the 3 years before the start
    calibration: dict = field(default_factory=lambda: {"applied": False})
    files: list[Path] = field(default_factory=list)  # the data the forecast was made from
    validation: dict | None = None  # the data's validation status (counts only; Data.validation)

    @property
    def categories(self) -> tuple[str, ...]:
        return tuple(self.model.categories)

    def stock(self) -> pd.DataFrame:
        """Children in care by month end, category and age band: date (YYYY-MM-DD), mean, p10, p50, p90."""
        table = self._stock_table.copy()
        table["date"] = pd.to_datetime(table["date"]).dt.strftime("%Y-%m-%d")
        return table[list(FORECAST_COLUMNS)]

    def costs(self) -> pd.DataFrame:
        """Placement cost in pounds by financial year and category (and ``all``), with ``months`` in the year."""
        return self._costs.copy()

    @cached_property
    def _stock_table(self) -> pd.DataFrame:  # quantiles over every run: computed once
        return self.projection.stock_table()

    @cached_property
    def _costs(self) -> pd.DataFrame:
        return cost_table(self.projection, self.unit_costs)

    def fan(self) -> pd.DataFrame:
        """All children in care by month end: date, mean, p10, p50, p90 (the fan chart's data)."""
        t = self.stock()
        t = t[(t["category"] == "all") & (t["age_band"] == "all")]
        return t[["date", "mean", "p10", "p50", "p90"]].reset_index(drop=True)

    def history_frame(self) -> pd.DataFrame:
        """Children in care counted in the data at each month end before the start: date, children."""
        return pd.DataFrame({"date": self.history.index.strftime("%Y-%m-%d"), "children": self.history.to_numpy()})

    def children_by(self, dimension: str) -> pd.DataFrame:
        """Children in care by ``dimension`` (``category`` or ``age_band``) on each 31 March of the forecast and at
        its last month end: date, the dimension, mean, p10, p50, p90 (``all`` the total)."""
        if dimension not in ("category", "age_band"):
            raise ValueError("dimension is 'category' or 'age_band'")
        other = "age_band" if dimension == "category" else "category"
        t = self.stock()
        dates = sorted({d for d in t["date"] if d.endswith("-03-31")} | {t["date"].iloc[-1]})
        t = t[(t[other] == "all") & t["date"].isin(dates)]
        return t[["date", dimension, "mean", "p10", "p50", "p90"]].reset_index(drop=True)

    def costs_by_year(self) -> pd.DataFrame:
        """Placement cost of all categories by financial year: financial_year, months, mean, p10, p50, p90."""
        c = self.costs()
        c = c[c["category"] == "all"]
        return c[["financial_year", "months", "mean", "p10", "p50", "p90"]].reset_index(drop=True)

    def summary(self) -> dict:
        """The settings and headline figures (what summary.json holds)."""
        model, proj = self.model, self.projection
        table = self._stock_table
        tot = table[(table["category"] == "all") & (table["age_band"] == "all")]
        fy_tot = self.costs()
        fy_tot = fy_tot[fy_tot["category"] == "all"]
        return {
            "data_end": str(self.data_end), "start": str(self.start), "end": str(proj.month_ends[-1]),
            "reference_window": [str(model.window_start), str(model.window_end)],
            "window_months": model.window_months, "window_chosen_from_data": self.window_chosen_from_data,
            "time_in_care_cuts_months": list(model.duration_cuts) if model.duration == "care" else [],
            "runs": self.runs, "seed": self.seed, "band_calibration": self.calibration,
            "trend": self.trend, "entry_trend_per_year": float(np.expm1(model.trend_per_month * 12)),
            "categories": list(self.categories), "age_bands": list(model.age_bands.labels),
            "children_at_start": float(proj.start_stock.sum()),
            "entries_per_year_expected": float(model.entry_rates.sum() * 365.25),
            "children_at_end": {k: float(tot.iloc[-1][k]) for k in ("mean", "p10", "p50", "p90")},
            "cost_by_financial_year": {r.financial_year: {"mean": r.mean, "p10": r.p10, "p50": r.p50, "p90": r.p90,
                                                          "months": int(r.months)} for r in fy_tot.itertuples()},
            "unit_costs_weekly": {c: {fy: round(self.unit_costs.weekly_cost(c, fy), 2)
                                      for fy in fy_tot["financial_year"]} for c in self.categories},
            "unit_cost_sources": self.unit_costs.sources,
            "price_base": self.unit_costs.price_base(),
            "warnings": list(model.warnings),
            "notes": list(NOTES),
            **({"validation": self.validation.get("summary")} if self.validation is not None else {}),
        }


def forecast_unit_costs(costs: str | Path | None, categories: tuple[str, ...],
                        inflation: str | Path | None = None) -> UnitCosts:
    """careflow's unit costs overridden by the user's ``costs`` file, and its price index by the LA's MTFS rates
    (``inflation``); refuses a category without a cost."""
    unit_costs = load_unit_costs(costs, inflation=inflation, categories=categories)
    if UNKNOWN in categories and UNKNOWN not in unit_costs.weekly and "other" in unit_costs.weekly:
        unit_costs.weekly[UNKNOWN] = unit_costs.weekly["other"]
        unit_costs.sources[UNKNOWN] = ("careflow assumption: placements whose codes could not be mapped (reported "
                                       "by the reader) are priced as 'other'")
    for c in categories:
        if c not in unit_costs.weekly:
            raise CareflowError(f"no unit cost for category '{c}': add it to your costs file", field=c,
                                rule="unit-costs")
    return unit_costs


def default_end(start: dt.date) -> dt.date:
    """31 March five years after the start."""
    return dt.date(start.year + 5 + (start.month > 3), 3, 31)


def forecast(data: Data | pd.DataFrame, *, data_end: dt.date | None = None, start: dt.date | None = None,
             end: dt.date | None = None, window_months: int | None = None, runs: int = 1000, seed: int = 0,
             categories: tuple[str, ...] | None = None, costs: str | Path | None = None, trend: bool = False,
             calibrate: bool = True, inflation: str | Path | None = None,
             progress: Callable[[float, str], None] | None = None) -> Forecast:
    """Fit, project (``runs`` Monte Carlo runs from ``seed``), calibrate the bands and price the forecast.

    ``data`` is a :class:`Data` (from :func:`load_data`) or a DataFrame of cleaned episodes; ``categories`` and
    ``data_end`` default to the data's own. ``progress(fraction, step)``, when given, is told each step as it
    starts (fraction of the work done, 0 to 1, and what is being done) and 1.0 at the end; the web app's job
    page shows it."""
    def step(fraction: float, what: str) -> None:
        if progress is not None:
            progress(fraction, what)

    validation = None
    if isinstance(data, Data):
        episodes, files, validation = data.episodes, list(data.files), data.validation
        data_end = data_end or data.data_end
        categories = categories or data.categories
    else:
        episodes, files = data, []
    categories = tuple(categories or DEFAULT_CATEGORIES)
    unit_costs = forecast_unit_costs(costs, categories, inflation)
    data_end = pd.Timestamp(data_end or epi.data_end_of(episodes)).date()
    start = start or data_end
    if start > data_end:
        raise CareflowError(f"the start ({start}) is after the end of the data ({data_end})", field="start",
                            rule="model-dates")
    step(0.0, "fitting the model to the data")
    # rates come from the window of data before the start (all of it when starting at the end of the data)
    model = fit(episodes, data_end=start, window_months=window_months, categories=categories, trend=trend)
    end = end or default_end(start)
    if end <= start:
        raise CareflowError(f"the end ({end}) must be after the start ({start})", field="end", rule="model-dates")
    if runs < 1:
        raise CareflowError("--runs must be at least 1", field="runs", rule="model-runs")
    # shares of the time each step takes (Anyshire, 200 runs: fit 0.1 s, project 3 s, calibrate 3 s, price 0.1 s)
    step(0.05, f"projecting {runs:,} Monte Carlo runs")
    calibration = {"applied": False}
    with ThreadPoolExecutor(1) as pool:
        # the model's errors at earlier dates (for the bands) do not depend on the runs: found on another thread
        # while the runs, compiled code that lets go of Python's lock, take the cores
        errors = pool.submit(_past_errors, episodes, start, window_months, categories, trend) if calibrate else None
        proj = project(model, start, end, runs=runs, rng=np.random.default_rng(seed))
        if errors is not None:
            step(0.5, "widening the bands to the model's errors at earlier dates")
            proj, calibration = _calibrated(proj, errors.result())
    step(0.95, "pricing the care-days")
    result = Forecast(model=model, projection=proj, unit_costs=unit_costs, data_end=data_end, start=start, runs=runs,
                    seed=seed, trend=trend, window_chosen_from_data=window_months is None,
                    history=history_series(episodes, start), calibration=calibration, files=files,
                    validation=validation)
    result.costs()  # priced here, so the time is spent inside the job that shows progress
    step(1.0, "done")
    return result


def _past_errors(episodes: pd.DataFrame, start: dt.date, window_months, categories, trend):
    from careflow.model.calibration import past_errors

    return past_errors(episodes, start, window_months=window_months, categories=categories, trend=trend)


def _calibrated(proj: Projection, errors):
    """The projection with its bands widened to the model's errors at earlier origins (``errors``, from
    :func:`_past_errors`), and what was done."""
    from careflow.model.calibration import calibrate as calibrated

    proj = calibrated(proj, errors)

    def by_lead(x):
        return [None if np.isnan(v) else round(float(v), 4) for v in x]

    return proj, {"applied": True, "pseudo_origins": [str(o) for o in errors.pseudo_origins],
                  "rms_log_error_by_lead_month": by_lead(errors.rms()),
                  # the spread (sd about the mean) sets the widening around the median; the bias (mean log error,
                  # > 0: too few forecast) is reported, not applied (docs/model.md)
                  "spread_log_error_by_lead_month": by_lead(errors.spread()),
                  "bias_log_error_by_lead_month": by_lead(errors.bias()), "bias_corrected": False,
                  "band_factor_at_12_months": float(proj.band_factor[min(11, proj.months - 1)]),
                  "band_factor_max": float(proj.band_factor.max())}


def history_series(episodes: pd.DataFrame, start: dt.date, years: int = 3) -> pd.Series:
    """Children in care at each month end for ``years`` years up to ``start``."""
    days = [(pd.Timestamp(start) + pd.Timedelta(days=1) - pd.DateOffset(months=k) - pd.Timedelta(days=1)).date()
            for k in range(12 * years, -1, -1)]
    from careflow.model.calibration import month_end_totals  # stock_on's counts, all dates at once

    return pd.Series(month_end_totals(episodes, days).astype(int), index=pd.to_datetime(days))


def write_forecast(result: Forecast, out: str | Path, title: str = "Children in care: forecast") -> dict[str, Path]:
    """Write forecast.csv, costs.csv, summary.json and fan_chart.png into ``out``; returns the paths."""
    from careflow.reports.charts import forecast_fan_png

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"forecast": out / "forecast.csv", "costs": out / "costs.csv", "summary": out / "summary.json",
             "chart": out / "fan_chart.png"}
    safecsv.to_csv(result.stock(), paths["forecast"], index=False, float_format="%.3f")
    safecsv.to_csv(result.costs()[list(COST_COLUMNS)], paths["costs"], index=False, float_format="%.2f")
    if result.validation is not None:  # counts only: no child identifiers in what goes to finance (docs/ssda903.md)
        paths["validation"] = out / "validation.json"
        paths["validation"].write_text(json.dumps(result.validation, indent=2, default=str))
    paths["summary"].write_text(json.dumps(result.summary(), indent=2, default=float))
    forecast_fan_png(result.projection, result.history, paths["chart"], title, table=result._stock_table)
    return paths
