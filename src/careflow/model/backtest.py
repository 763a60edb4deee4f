"""Backtests: refit at each origin on data before it, forecast, and compare with what happened.

For each origin and each series (the total and every placement category) the result gives the actual number in
care at the horizon, careflow's mean and P10-P90 band, and the errors of careflow and two naive baselines:
``last value`` (the number at the origin carried forward) and ``linear trend`` (a least-squares line through the 13
month-end counts of the year up to the origin, extrapolated). Coverage is the share of month-end actuals inside
P10-P90 over every month of the horizon.

Two proper scores judge the whole forecast distribution at the horizon, not only its centre (lower is better, in
children): the continuous ranked probability score (CRPS) of the runs, and the interval score of the P10-P90 band
(its width plus 2 / 0.2 = 10 times any distance by which the actual falls outside it). A point forecast is a
distribution with all its mass on one value, whose CRPS is its absolute error, so the naive baselines' CRPS is
their absolute error and careflow's CRPS is directly comparable with it: a band that is too wide, too narrow or in
the wrong place scores worse.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from careflow.errors import CareflowError
from careflow.model import episodes as epi
from careflow.model.calibration import calibrate as calibrated
from careflow.model.calibration import past_errors
from careflow.model.project import _add_months, project
from careflow.model.rates import fit
from careflow.model.states import DEFAULT_CATEGORIES


def actual_counts(episodes: pd.DataFrame, days: list[dt.date], categories: tuple[str, ...]) -> np.ndarray:
    """Children in care at the end of each day [day, category] (short breaks left out, under 18)."""
    out = np.zeros((len(days), len(categories)))
    for i, d in enumerate(days):
        st = epi.stock_on(episodes, d)
        out[i] = np.bincount(epi.category_index(st["category"], categories), minlength=len(categories))
    return out


@dataclass
class BacktestResult:
    rows: pd.DataFrame  # one row per origin x series
    horizon_months: int

    def summary(self) -> dict:
        r = self.rows
        out = {"horizon_months": self.horizon_months, "origins": sorted(r["origin"].unique().tolist())}
        for name, sub in (("total", r[r["series"] == "all"]), ("categories", r[r["series"] != "all"])):
            out[name] = {
                "careflow_mae": float(sub["careflow_abs_error"].mean()),
                "last_value_mae": float(sub["last_value_abs_error"].mean()),
                "linear_trend_mae": float(sub["linear_trend_abs_error"].mean()),
                "careflow_mape": _nanmean(sub["careflow_pct_error"].abs()),
                "last_value_mape": _nanmean(sub["last_value_pct_error"].abs()),
                "linear_trend_mape": _nanmean(sub["linear_trend_pct_error"].abs()),
                "coverage_p10_p90": float(sub["months_inside"].sum() / max(sub["months"].sum(), 1)),
                # proper scores at the horizon (children; the baselines' CRPS is their absolute error)
                "careflow_crps": float(sub["careflow_crps"].mean()),
                "last_value_crps": float(sub["last_value_abs_error"].mean()),
                "linear_trend_crps": float(sub["linear_trend_abs_error"].mean()),
                "careflow_interval_score": float(sub["careflow_interval_score"].mean()),
                # CRPS as a share of the actual, so LAs and categories of different sizes weigh alike
                "careflow_crps_pct": _nanmean(sub["careflow_crps"] / sub["actual"].where(sub["actual"] > 0) * 100),
                "last_value_crps_pct": _nanmean(sub["last_value_pct_error"].abs()),
                "linear_trend_crps_pct": _nanmean(sub["linear_trend_pct_error"].abs()),
            }
        return out


def crps(runs: np.ndarray, actual: float) -> float:
    """CRPS of the empirical distribution of ``runs`` against ``actual``: ``E|X - y| - E|X - X'| / 2``, with the
    pairwise term from the sorted runs (``sum (2i - R - 1) x_(i) / R^2``, i = 1..R) rather than R^2 pairs."""
    x = np.sort(np.asarray(runs, dtype=float))
    R = len(x)
    if R == 0:
        raise CareflowError("CRPS needs at least one run", rule="backtest")
    spread = np.sum((2 * np.arange(1, R + 1) - R - 1) * x) / R ** 2
    return float(np.mean(np.abs(x - actual)) - spread)


def interval_score(lo: float, hi: float, actual: float, alpha: float = 0.2) -> float:
    """Interval score of a central (1 - alpha) band [lo, hi] (Gneiting and Raftery 2007): its width, plus 2 / alpha
    times the distance by which ``actual`` falls outside it."""
    return float((hi - lo) + 2 / alpha * max(lo - actual, 0.0) + 2 / alpha * max(actual - hi, 0.0))


def _nanmean(s: pd.Series) -> float | None:
    s = s.dropna()
    return float(s.mean()) if len(s) else None


def backtest(data, origins: list[dt.date], horizon_months: int, *, window_months: int | None = None, runs: int = 200,
             seed: int = 0, trend: bool = False, categories: tuple[str, ...] | None = None,
             data_end: dt.date | None = None, calibrate: bool = True, correct_bias: bool = False,
             **fit_options) -> BacktestResult:
    """Refit at each origin on the data before it, forecast ``horizon_months`` with ``runs`` Monte Carlo runs and
    compare with what happened. ``calibrate``: widen the bands to the model's own past errors before each origin
    (:mod:`careflow.model.calibration`), as ``careflow forecast`` does; ``correct_bias``: also move the runs by
    the record's mean error (off in ``careflow forecast``)."""
    episodes, own_end, _ = epi.episodes_of(data)
    cats = tuple(categories or DEFAULT_CATEGORIES)
    data_end = pd.Timestamp(data_end or own_end or epi.data_end_of(episodes)).date()
    if horizon_months < 1:
        raise CareflowError("the horizon must be at least 1 month", field="horizon_months", rule="backtest")
    if not origins:
        raise CareflowError("give at least one origin date", field="origins", rule="backtest")
    if runs < 1:
        raise CareflowError(f"a backtest needs Monte Carlo runs for its bands: --runs must be at least 1 (got {runs})",
                            field="runs", rule="backtest")
    rows = []
    for origin in origins:
        origin = pd.Timestamp(origin).date()
        horizon_end = _add_months(origin + dt.timedelta(days=1), horizon_months) - dt.timedelta(days=1)
        if horizon_end > data_end:
            raise CareflowError(f"origin {origin} + {horizon_months} months ends {horizon_end}, after the data "
                                f"ends ({data_end}): choose an earlier origin or a shorter horizon",
                                field="origins", rule="backtest")
        options = dict(window_months=window_months, categories=cats, trend=trend, **fit_options)
        model = fit(episodes, data_end=origin, **options)
        proj = project(model, origin, horizon_end, runs=runs, rng=np.random.default_rng(seed))
        if calibrate:
            proj = calibrated(proj, past_errors(episodes, origin, **options), correct_bias=correct_bias)
        ends = proj.month_ends
        actual = actual_counts(episodes, ends, cats)  # [M, C]
        past_days = [_add_months(origin + dt.timedelta(days=1), -k) - dt.timedelta(days=1) for k in range(12, -1, -1)]
        past = actual_counts(episodes, past_days, cats)  # [13, C], last row is the origin
        runs_mc = proj.stock_runs.sum(axis=2)  # [R, M, C]
        for c, series in enumerate(list(cats) + ["all"]):
            if series == "all":
                a, p, r = actual.sum(axis=1), past.sum(axis=1), runs_mc.sum(axis=2)
            else:
                a, p, r = actual[:, c], past[:, c], runs_mc[:, :, c]
            mean = r.mean(axis=0)
            lo, hi = np.quantile(r, 0.1, axis=0), np.quantile(r, 0.9, axis=0)
            t = np.arange(-12, 1, dtype=float)
            slope, intercept = np.polyfit(t, p, 1)
            linear = max(intercept + slope * horizon_months, 0.0)
            last = p[-1]
            act = a[-1]

            def pct(f, act=act):
                return (f - act) / act * 100 if act > 0 else np.nan

            rows.append({"origin": origin.isoformat(), "series": series, "horizon_end": horizon_end.isoformat(),
                         "window_months": model.window_months,
                         "band_factor_at_horizon": float(proj.band_factor[-1]) if calibrate else 1.0,
                         "past_bias_at_horizon": float(proj.bias[-1]) if calibrate else 0.0,
                         "actual": act, "at_origin": last, "careflow_mean": mean[-1], "careflow_p10": lo[-1],
                         "careflow_p90": hi[-1], "last_value": last, "linear_trend": linear,
                         "careflow_abs_error": abs(mean[-1] - act), "last_value_abs_error": abs(last - act),
                         "linear_trend_abs_error": abs(linear - act), "careflow_pct_error": pct(mean[-1]),
                         "last_value_pct_error": pct(last), "linear_trend_pct_error": pct(linear),
                         "careflow_crps": crps(r[:, -1], act),
                         "careflow_interval_score": interval_score(lo[-1], hi[-1], act),
                         "inside_at_horizon": bool(lo[-1] <= act <= hi[-1]),
                         "months_inside": int(((lo <= a) & (a <= hi)).sum()), "months": len(a)})
    return BacktestResult(pd.DataFrame(rows), horizon_months)
