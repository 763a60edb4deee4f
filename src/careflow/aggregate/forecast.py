"""Forecasts of children looked after at 31 March for every LA, pooling information across LAs (DESIGN.md 5.2).

Fitted afresh at each origin T with data up to T only:

1. Base changes, pooled across LAs. ``momentum``: the one-year change is b2 x (last year's change); ``flows``:
   b1 x (F / stock - 1) + b2 x (last year's change), where F = (stock + starts) x (1 - d) is a stock-flow step
   (starts = mean of the last two years; exit proportion d over two years shrunk toward the national one with the
   weight of ``PRIOR_EXPOSURE`` children). b1, b2 by least absolute deviations over all LAs and past years whose
   outcome is known by T. ``last``: no change.
2. Nested selection. Each candidate (base, combination weight with last value, drift rule; ``CANDIDATES``) is run
   at every earlier origin u (its coefficients and drift from data up to u only) and scored by the mean over
   those inner origins of its median absolute percentage error across LAs; the lowest wins (``select_candidate``).
3. Calibrated intervals from the chosen candidate's own past one-year log errors: spread sigma(S) =
   sqrt(c0 + c1 / S) (small LAs vary more), empirical 10th/50th/90th percentiles of the standardised errors,
   centred so P50 is the point forecast. Horizons beyond one year iterate the step and widen the band by sqrt(h).

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

    def upto(self, origin: int) -> Panel:
        """The panel as it was known at ``origin``: later years dropped, and a stock rebuilt from the year after
        the origin (which that year's flows alone make) removed again."""
        keep = [y for y in self.years if y <= origin]
        n = len(keep)
        stock, rebuilt = self.stock[:, :n].copy(), self.rebuilt[:, :n].copy()
        if n and n < len(self.years):
            stock[rebuilt[:, -1], -1] = np.nan
            rebuilt[:, -1] = False
        return Panel(self.las, self.names, keep, stock, self.starts[:, :n].copy(), self.ceases[:, :n].copy(),
                     {k: v for k, v in self.reasons.items() if k[1] <= origin}, rebuilt)


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
    return _fit(*_training(p, last_target)[:2], flows)[0]


def _fit(x: np.ndarray, y: np.ndarray, flows: bool) -> tuple[np.ndarray, bool]:
    """Coefficients and whether they were fitted (False: too little history, a fixed fallback)."""
    if len(y) < 20:  # too little history to calibrate: the stock-flow step as it is, or no change
        return (np.array([1.0, 0.0]) if flows else np.array([0.0, 0.0])), False
    if flows:
        return _lad(x, y), True
    return np.array([0.0, _lad(x[:, 1:2], y)[0]]), True


# --- Candidates and their nested rolling-origin selection (docs/aggregate.md, "Model selection") -------------

BASES = ("last", "momentum", "flows")
DRIFTS = ("none", "all", "last")


@dataclass(frozen=True)
class Candidate:
    """One-year forecast s x (1 + weight x g) x exp(drift): g from ``base``, drift from the candidate's own past
    errors (``none``; ``all``: median over every earlier origin; ``last``: median over the previous origin)."""

    base: str
    weight: float
    drift: str

    @property
    def label(self) -> str:
        if self.base == "last":
            return f"last value, drift {self.drift}"
        return f"{self.base} x{self.weight:g}, drift {self.drift}"


DEFAULT = Candidate("momentum", 1.0, "all")  # the model before selection was added; used with no inner origin
CANDIDATES: tuple[Candidate, ...] = (DEFAULT, *(
    c for c in [Candidate("last", 0.0, dr) for dr in DRIFTS]
    + [Candidate(b, w, dr) for b in ("momentum", "flows") for w in (0.5, 1.0) for dr in DRIFTS]
    if c != DEFAULT))
MIN_INNER = 2  # inner origins needed before selecting; with fewer the old default is kept (design stage: one inner
# origin picked a worse model at 2016, docs/aggregate.md)
MIN_SIZE = 5  # LAs with fewer children at the origin are left out of drift and interval estimates (too noisy)


@dataclass
class History:
    """Every origin u of a panel up to T: the base changes g_u (each fitted with outcomes known by u only) and
    the log change that followed (NaN where the target is after T or missing)."""

    origins: list[int]
    stock: np.ndarray  # (origins, LAs)
    growth: dict[str, np.ndarray]  # base -> (origins, LAs)
    beta: dict[str, list[np.ndarray]]  # base -> coefficients at each origin
    fitted: np.ndarray  # (origins,) coefficients fitted from >= 20 LA-years
    actual: np.ndarray  # (origins, LAs) log(stock u+1 / stock u)
    scored: np.ndarray  # (origins, LAs) the target is a published stock (not rebuilt) known by T
    aux: tuple[np.ndarray, np.ndarray, np.ndarray] = field(repr=False, default=None)  # last change, starts, exit
    # proportion at T, for iterating beyond one year


def history(p: Panel, origin: int) -> History:
    p = p.upto(origin)
    origins = p.years[1:]
    n = len(p.las)
    stock = np.full((len(origins), n), np.nan)
    actual, scored = np.full_like(stock, np.nan), np.zeros_like(stock, dtype=bool)
    growth = {b: np.zeros_like(stock) for b in BASES}
    beta: dict[str, list[np.ndarray]] = {b: [] for b in BASES}
    fitted = np.zeros(len(origins), dtype=bool)
    aux = None
    for k, u in enumerate(origins):
        x, y, _ = _training(p, u)
        s, x1, x2, a, d = _features(p, u)
        stock[k] = s
        for b in ("momentum", "flows"):
            coef, fitted[k] = _fit(x, y, b == "flows")
            beta[b].append(coef)
            growth[b][k] = coef[1] * x2 + (coef[0] * x1 if coef[0] != 0 else 0.0)
        beta["last"].append(np.zeros(2))
        if u + 1 <= origin:
            nxt = p.stock[:, p.col(u + 1)]
            with np.errstate(all="ignore"):
                actual[k] = np.where((s > 0) & (nxt > 0), np.log(nxt / s), np.nan)
            scored[k] = ~np.isnan(actual[k]) & ~p.rebuilt[:, p.col(u + 1)]
        else:
            aux = (x2, a, d)
    return History(origins, stock, growth, beta, fitted, actual, scored, aux)


def candidate_forecasts(h: History, c: Candidate) -> np.ndarray:
    """(origins, LAs) log forecast of stock u+1 / stock u, the drift from errors with targets <= u only."""
    base, drift = _base_and_drift(h, c)
    return base + drift[:, None]


def _base_and_drift(h: History, c: Candidate) -> tuple[np.ndarray, np.ndarray]:
    with np.errstate(all="ignore"):
        base = np.log1p(c.weight * h.growth[c.base]) if c.base != "last" else np.zeros_like(h.stock)
    pre = h.actual - base  # errors before drift
    usable = ~np.isnan(pre) & (h.stock >= MIN_SIZE)
    drift = np.zeros(len(h.origins))
    if c.drift != "none":
        for k in range(1, len(h.origins)):
            rows = slice(0, k) if c.drift == "all" else slice(k - 1, k)  # row k-1 has target origins[k]
            e = pre[rows][usable[rows]]
            drift[k] = float(np.median(e)) if e.size else 0.0
    return base, drift


def select_candidate(h: History, candidates: tuple[Candidate, ...] = CANDIDATES
                     ) -> tuple[Candidate, pd.DataFrame]:
    """The candidate with the lowest mean (over inner origins) of the median absolute percentage error across
    LAs; inner origins are those whose published target is known by T and whose coefficients were fitted. With
    fewer than ``MIN_INNER`` inner origins, ``DEFAULT``."""
    rows = [k for k in range(len(h.origins)) if h.fitted[k] and h.scored[k].any()]
    table = []
    for c in candidates:
        f = candidate_forecasts(h, c)
        meds = [float(np.median(np.abs(np.expm1(f[k, h.scored[k]] - h.actual[k, h.scored[k]])))) for k in rows]
        table.append((c.label, 100 * float(np.mean(meds)) if meds else math.nan, len(meds)))
    scores = pd.DataFrame(table, columns=["candidate", "mean_median_ape", "inner_origins"])
    if len(rows) < MIN_INNER:
        return DEFAULT, scores
    return candidates[int(np.argmin(scores.mean_median_ape.to_numpy()))], scores  # argmin: first of ties


def past_errors(h: History, c: Candidate) -> tuple[np.ndarray, np.ndarray]:
    """The candidate's out-of-sample one-year log errors at every origin before T and the stock they started
    from."""
    e = h.actual - candidate_forecasts(h, c)
    ok = ~np.isnan(e) & (h.stock >= MIN_SIZE)
    return e[ok], h.stock[ok]


@dataclass
class ErrorModel:
    c0: float
    c1: float
    quantiles: dict[float, float]  # of standardised log errors, centred on their median (P50 = point forecast)
    z: np.ndarray = field(repr=False, default_factory=lambda: np.zeros(1))  # centred standardised errors
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
    m = ErrorModel(c0, c1, {}, n=len(errors))
    z = errors / m.sigma(sizes)
    m.z = z - np.median(z)  # the point forecast carries the candidate's own drift; the band is centred on it
    m.quantiles = {q: float(np.quantile(m.z, q)) for q in QUANTILES}
    return m


@dataclass
class NationalForecast:
    origin: int
    horizon: int
    table: pd.DataFrame  # old_la_code, la_name, year, mean, p10, p50, p90
    coefficients: tuple[float, float]
    error_model: ErrorModel
    findings: list[Finding]
    candidate: Candidate = DEFAULT
    selection: pd.DataFrame = field(repr=False, default_factory=pd.DataFrame)  # inner score of every candidate


def national_forecast(data: DfeData, origin: int, horizon: int = 1, *, flows: bool = False,
                      candidate: Candidate | None = None, panel: Panel | None = None) -> NationalForecast:
    """Forecast children looked after on 31 March of origin+1 .. origin+horizon for every LA with a figure at the
    origin, using only data up to the origin year. By default the model is chosen among ``CANDIDATES`` by its own
    past one-year errors (nested rolling origin, docs/aggregate.md); ``candidate`` fixes it, and ``flows=True``
    fixes the stock-flow model (``Candidate("flows", 1, "all")``)."""
    if horizon < 1:
        raise CareflowError("horizon must be at least 1 year", rule="forecast-horizon", field="horizon")
    p = (panel or build_panel(data, origin))
    if origin not in p.years:
        raise CareflowError(f"no figures for the origin year {origin}", rule="forecast-origin", field="origin")
    p = p.upto(origin)
    h = history(p, origin)
    if candidate is None and flows:
        candidate = Candidate("flows", 1.0, "all")
    if candidate is None:
        chosen, scores = select_candidate(h)
    else:
        chosen, scores = candidate, pd.DataFrame()
    em = calibrate(*past_errors(h, chosen))
    beta = h.beta[chosen.base][-1]
    drift = float(_base_and_drift(h, chosen)[1][-1])
    x2, a, d = h.aux
    s_t = h.stock[-1]
    uses_flows = chosen.base == "flows" and chosen.weight > 0
    findings = _findings(p, origin, s_t, uses_flows)
    rows = []
    j = p.col(origin)
    ok = ~np.isnan(s_t) & (s_t > 0)
    s, last = s_t.copy(), x2.copy()
    for k in range(1, horizon + 1):
        with np.errstate(all="ignore"):
            x1 = (s + a) * (1 - d) / s - 1
            g = beta[1] * last + (beta[0] * x1 if beta[0] != 0 else 0.0)
        change = chosen.weight * g if chosen.base != "last" else np.zeros_like(s)
        last = change
        s = s * (1 + change) * math.exp(drift)
        sig = em.sigma(s_t) * math.sqrt(k)
        mean = s * np.array([np.mean(np.exp(sg * em.z)) if not np.isnan(sg) else np.nan for sg in sig])
        for i in np.flatnonzero(ok):
            q = {key: s[i] * math.exp(sig[i] * v) for key, v in em.quantiles.items()}
            rows.append((p.las[i], p.names[i], origin + k, mean[i], q[0.1], q[0.5], q[0.9]))
        for i in np.flatnonzero(s_t == 0):
            top = max(1.0, float(np.nanmax(np.append(p.stock[i, max(0, j - 4):j + 1], 0.0))))
            rows.append((p.las[i], p.names[i], origin + k, 0.0, 0.0, 0.0, top))
    table = pd.DataFrame(rows, columns=["old_la_code", "la_name", "year", "mean", "p10", "p50", "p90"])
    return NationalForecast(origin, horizon, table, (float(beta[0]), float(beta[1])), em, findings, chosen, scores)


def _findings(p: Panel, origin: int, s_t: np.ndarray, flows: bool) -> list[Finding]:
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
    return findings
