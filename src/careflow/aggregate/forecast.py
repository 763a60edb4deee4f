"""Forecasts of children looked after at 31 March for every LA, pooling information across LAs (DESIGN.md 5.2).

The model, fitted afresh at each origin T with data up to T only:

1. Stock-flow step. For each LA, starts next year = the mean of its last two years' starts; the exit proportion
   d = ceases / (stock a year earlier + starts) over its last two years, shrunk toward the national proportion with
   the weight of ``PRIOR_EXPOSURE`` children (so small LAs borrow strength); the flow forecast is
   F = (stock + starts) x (1 - d).
2. Pooled calibration. The one-year change is predicted as b1 x (F / stock - 1) + b2 x (last year's change), with
   b1, b2 fitted by least absolute deviations across all LAs and all past years whose outcome is known by T.
3. Calibrated intervals. The model is re-run at every earlier origin (each fitted with data up to that origin) and
   its one-step log errors kept; their spread is modelled as sigma(S) = sqrt(c0 + c1 / S) (small LAs vary more)
   and the empirical 10th, 50th and 90th percentiles of the standardised errors give P10/P50/P90. Horizons beyond
   one year iterate step 2 and widen the band by sqrt(h).

A missing or suppressed stock at the origin means no forecast for that LA (reported); a missing start or cease
history falls back to national figures with a warning.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from careflow.dfe import DfeData
from careflow.errors import CareflowError, Finding

PRIOR_EXPOSURE = 200.0  # children: weight of the national exit proportion in each LA's shrunk estimate
FLOW_YEARS = 2
QUANTILES = (0.1, 0.5, 0.9)


@dataclass
class Panel:
    """LA x year arrays (NaN where missing) restricted to years <= the origin."""

    las: list[str]
    names: list[str]
    years: list[int]
    stock: np.ndarray
    starts: np.ndarray
    ceases: np.ndarray
    reasons: dict[tuple[str, int], str]
    rebuilt: np.ndarray  # True where the stock was rebuilt from the next year's flows (not a published figure)

    def col(self, year: int) -> int:
        return self.years.index(year)


def build_panel(data: DfeData, origin: int) -> Panel:
    s = data.series[(data.series.year <= origin) & data.series.old_la_code.str.fullmatch(r"\d{3}")]
    if s.empty:
        raise CareflowError(f"no local-authority figures up to {origin} in the data", rule="forecast-no-data")
    years = list(range(int(s.year.min()), origin + 1))
    las = sorted(s.old_la_code.unique())
    names = dict(zip(data.las.old_la_code, data.las.la_name, strict=False))

    def wide(measure: str) -> np.ndarray:
        w = s[s.measure == measure].pivot_table(index="old_la_code", columns="year", values="value",
                                                  aggfunc="first", dropna=False)
        return np.array(w.reindex(index=las, columns=years).to_numpy(dtype=float), copy=True)

    stock, starts, ceases = wide("cla"), wide("starts"), wide("ceases")
    # A year with flows but no stock (2018 in the public files) is rebuilt from the next year's stock and flows:
    # stock(y) = stock(y+1) - starts(y+1) + ceases(y+1), only inside an LA's history and with data <= origin.
    rebuilt_mask = np.zeros_like(stock, dtype=bool)
    for j in range(1, len(years) - 1):
        gap = np.isnan(stock[:, j]) & (~np.isnan(stock[:, :j])).any(axis=1)
        rebuilt = stock[:, j + 1] - starts[:, j + 1] + ceases[:, j + 1]
        fill = gap & ~np.isnan(rebuilt)
        stock[fill, j] = rebuilt[fill]
        rebuilt_mask[fill, j] = True
    miss = s[s.value.isna()]
    reasons = {(r.old_la_code, int(r.year)): str(r.reason) for r in miss[miss.measure == "cla"].itertuples()}
    return Panel(las, [names.get(c, c) for c in las], years, stock, starts, ceases, reasons, rebuilt_mask)


def _features(p: Panel, t: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(stock, flow change x1, last change x2, starts used, exit proportion) at origin year t for every LA."""
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # LAs without history give NaN, handled below
        return _features_raw(p, t)


def _features_raw(p: Panel, t: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    j = p.col(t)
    s_t = p.stock[:, j]
    s_prev = p.stock[:, j - 1] if j >= 1 else np.full_like(s_t, np.nan)
    lo = max(0, j - FLOW_YEARS + 1)
    a = np.nanmean(p.starts[:, lo:j + 1], axis=1) if j >= 0 else s_t * np.nan
    exits = np.zeros_like(s_t)
    exposure = np.zeros_like(s_t)
    for k in range(max(1, lo), j + 1):
        e = p.stock[:, k - 1] + p.starts[:, k]
        ok = ~np.isnan(e) & ~np.isnan(p.ceases[:, k])
        exits[ok] += p.ceases[ok, k]
        exposure[ok] += e[ok]
    d_nat = exits.sum() / exposure.sum() if exposure.sum() > 0 else 0.3
    d = (exits + PRIOR_EXPOSURE * d_nat) / (exposure + PRIOR_EXPOSURE)
    starts_nat = np.nanmedian(a / np.where(s_t > 0, s_t, np.nan))
    a = np.where(np.isnan(a), starts_nat * s_t, a)
    flow = (s_t + a) * (1 - d)
    x1 = flow / s_t - 1
    x2 = np.where(np.isnan(s_prev) | (s_prev <= 0), 0.0, s_t / s_prev - 1)
    return s_t, x1, x2, a, d


def _lad(x: np.ndarray, y: np.ndarray, iters: int = 30) -> np.ndarray:
    """Least absolute deviations by iteratively reweighted least squares (robust to the odd LA with a jump)."""
    beta = np.linalg.lstsq(x, y, rcond=None)[0]
    for _ in range(iters):
        w = 1 / np.maximum(np.abs(y - x @ beta), 1e-3)
        sw = np.sqrt(w)
        beta = np.linalg.lstsq(x * sw[:, None], y * sw, rcond=None)[0]
    return beta


def _training(p: Panel, last_target: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    xs, ys, ss = [], [], []
    for t in p.years[1:]:
        if t + 1 > last_target:
            break
        s_t, x1, x2, _, _ = _features(p, t)
        s_next = p.stock[:, p.col(t + 1)]
        ok = ~np.isnan(s_t) & ~np.isnan(s_next) & ~np.isnan(x1) & (s_t >= 5)
        xs.append(np.column_stack([x1[ok], x2[ok]]))
        ys.append(s_next[ok] / s_t[ok] - 1)
        ss.append(s_t[ok])
    if not xs:
        return np.empty((0, 2)), np.empty(0), np.empty(0)
    return np.vstack(xs), np.concatenate(ys), np.concatenate(ss)


def fit_coefficients(p: Panel, last_target: int, flows: bool = False) -> np.ndarray:
    """(b1, b2): weights of the stock-flow change and of last year's change; b1 = 0 unless ``flows``."""
    x, y, _ = _training(p, last_target)
    if len(y) < 20:  # too little history to calibrate: the stock-flow step as it is, or no change
        return np.array([1.0, 0.0]) if flows else np.array([0.0, 0.0])
    if flows:
        return _lad(x, y)
    return np.array([0.0, _lad(x[:, 1:2], y)[0]])


def _step(s: np.ndarray, a: np.ndarray, d: np.ndarray, last_change: np.ndarray, beta: np.ndarray) -> np.ndarray:
    with np.errstate(all="ignore"):
        x1 = (s + a) * (1 - d) / s - 1
    return s * (1 + beta[0] * x1 + beta[1] * last_change)


def past_errors(p: Panel, origin: int, flows: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Out-of-sample one-step log errors at every origin before ``origin`` and the stock they started from."""
    errs, sizes = [], []
    for t in p.years[1:]:
        if t + 1 > origin:
            break
        beta = fit_coefficients(p, t, flows)
        s_t, _, x2, a, d = _features(p, t)
        pred = _step(s_t, a, d, x2, beta)
        actual = p.stock[:, p.col(t + 1)]
        ok = ~np.isnan(pred) & ~np.isnan(actual) & (s_t >= 5) & (actual > 0) & (pred > 0)
        errs.append(np.log(actual[ok] / pred[ok]))
        sizes.append(s_t[ok])
    if not errs:
        return np.empty(0), np.empty(0)
    return np.concatenate(errs), np.concatenate(sizes)


@dataclass
class ErrorModel:
    c0: float
    c1: float
    quantiles: dict[float, float]  # of standardised log errors
    mean_factor: float  # E[exp(sigma z)] is computed per LA; this keeps the standardised sample
    z: np.ndarray = field(repr=False, default_factory=lambda: np.zeros(1))
    n: int = 0

    def sigma(self, stock: np.ndarray) -> np.ndarray:
        return np.sqrt(np.maximum(self.c0 + self.c1 / np.maximum(stock, 1.0), 1e-6))


def calibrate(errors: np.ndarray, sizes: np.ndarray) -> ErrorModel:
    if len(errors) < 30:
        raise CareflowError(f"too little history before the origin to calibrate intervals ({len(errors)} past "
                            "one-step errors; need 30): choose a later origin or add earlier releases",
                            rule="forecast-history")
    e2 = errors ** 2
    x = np.column_stack([np.ones_like(sizes), 1 / sizes])
    c0, c1 = np.linalg.lstsq(x, e2, rcond=None)[0]
    c0, c1 = max(c0, 1e-5), max(c1, 0.0)
    m = ErrorModel(c0, c1, {}, 1.0, n=len(errors))
    z = errors / m.sigma(sizes)
    m.z = z
    m.quantiles = {q: float(np.quantile(z, q)) for q in QUANTILES}
    return m


@dataclass
class NationalForecast:
    origin: int
    horizon: int
    table: pd.DataFrame  # old_la_code, la_name, year, mean, p10, p50, p90
    coefficients: tuple[float, float]
    error_model: ErrorModel
    findings: list[Finding]


def national_forecast(data: DfeData, origin: int, horizon: int = 1, *, flows: bool = False,
                      panel: Panel | None = None) -> NationalForecast:
    """Forecast children looked after on 31 March of origin+1 .. origin+horizon for every LA with a figure at the
    origin, using only data up to the origin year. ``flows=True`` adds the stock-flow step (starts and shrunk
    exit proportions) to the pooled regression; by default only last year's change is used, the better of the two
    in the pre-2020 design backtests (docs/aggregate.md)."""
    if horizon < 1:
        raise CareflowError("horizon must be at least 1 year", rule="forecast-horizon", field="horizon")
    p = panel or build_panel(data, origin)
    if origin not in p.years:
        raise CareflowError(f"no figures for the origin year {origin}", rule="forecast-origin", field="origin")
    beta = fit_coefficients(p, origin, flows)
    em = calibrate(*past_errors(p, origin, flows))
    s_t, _, x2, a, d = _features(p, origin)
    findings: list[Finding] = []
    j = p.col(origin)
    for i, code in enumerate(p.las):
        label = f"{p.names[i]} ({code})"
        if np.isnan(s_t[i]):
            if (code, origin) in p.reasons or (j >= 1 and not np.isnan(p.stock[i, j - 1])):
                why = p.reasons.get((code, origin), "no figure")
                findings.append(Finding("forecast-missing", f"{label}: no children looked after figure for "
                                        f"{origin} ({why}); not forecast", field="old_la_code",
                                        severity="warning"))
        elif s_t[i] == 0:
            findings.append(Finding("forecast-zero", f"{label}: no children looked after at {origin}; a ratio model "
                                    "cannot move from 0, so the forecast is held at 0 with P90 at the most in the "
                                    "last five years (at least 1)", field="old_la_code", severity="warning"))
        elif flows and (np.isnan(p.starts[i, max(0, j - 1):j + 1]).all()
                        or np.isnan(p.ceases[i, max(0, j - 1):j + 1]).all()):
            findings.append(Finding("forecast-short-history", f"{label}: no starts or ceases in the last two years "
                                    "to the origin; national rates used", field="old_la_code", severity="warning"))
        elif j >= 1 and np.isnan(p.stock[i, j - 1]):
            findings.append(Finding("forecast-short-history", f"{label}: no stock for {origin - 1}; last year's "
                                    "change taken as 0", field="old_la_code", severity="warning"))
    rows = []
    ok = ~np.isnan(s_t) & (s_t > 0)
    s, last = s_t.copy(), x2.copy()
    z = em.z
    for h in range(1, horizon + 1):
        nxt = _step(s, a, d, last, beta)
        last = np.where(s > 0, nxt / s - 1, 0.0)
        s = nxt
        sig = em.sigma(s_t) * math.sqrt(h)
        mean = s * np.array([np.mean(np.exp(sg * z)) if not np.isnan(sg) else np.nan for sg in sig])
        for i in np.flatnonzero(ok):
            q = {k: s[i] * math.exp(sig[i] * v) for k, v in em.quantiles.items()}
            rows.append((p.las[i], p.names[i], origin + h, mean[i], q[0.1], q[0.5], q[0.9]))
        for i in np.flatnonzero(s_t == 0):
            top = max(1.0, float(np.nanmax(np.append(p.stock[i, max(0, j - 4):j + 1], 0.0))))
            rows.append((p.las[i], p.names[i], origin + h, 0.0, 0.0, 0.0, top))
    table = pd.DataFrame(rows, columns=["old_la_code", "la_name", "year", "mean", "p10", "p50", "p90"])
    return NationalForecast(origin, horizon, table, (float(beta[0]), float(beta[1])), em, findings)
