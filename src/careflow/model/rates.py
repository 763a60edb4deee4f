"""Fitting the child-level model: rates from events over person-days at risk in a reference window.

Hazards (per child per day) are estimated for each age band x placement category and each outcome: a move to each
other category, or an exit by reason group. Entries are a Poisson process per day by age band x first category.
Small cells are shrunk toward pooled rates with a Gamma-Poisson empirical Bayes prior, so every rate is positive and
finite: the posterior for a cell with ``x`` events over ``E`` days and prior mean ``m`` is
``Gamma(s + x, s / m + E)`` where ``s`` (the prior's weight, in pseudo-events) is estimated by the method of moments
across cells for each outcome. Prior means come from the category's pooled rate times the age band's relative rate.
"""

from __future__ import annotations

import copy
import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from careflow.errors import CareflowError
from careflow.model import episodes as epi
from careflow.model.states import DEFAULT_CATEGORIES, EXIT_GROUPS, MAX_AGE_MONTHS, AgeBands, age_bands

UNKNOWN = "unknown"  # category the SSDA903 reader gives episodes whose placement codes it could not map
PRIOR_DAYS = 365.0  # pseudo-exposure pulling a category's or band's pooled rate toward the overall rate
S_MIN, S_MAX = 0.5, 50.0  # bounds on the prior weight (pseudo-events) of the empirical Bayes step
TREND_MONTHS = 36  # span used to estimate an entry trend
TREND_LIMIT = 0.30  # largest trend allowed, as a proportional change per year
DEFAULT_DRIFT = 0.10  # careflow assumption when the data hold fewer than three complete years
DRIFT_MAX = 0.40
DRIFT_YEARS = 4  # the drift estimate uses the quarters of the last DRIFT_YEARS + 1 years
DRIFT_MIN_QUARTERS = 12  # three complete years (five quarterly pseudo-origins), else DEFAULT_DRIFT
WINDOW_CHOICES = (12, 24)  # reference windows (months) the automatic choice picks from (choose_window)
DEFAULT_DURATION, DEFAULT_DURATION_CUTS = "care", (1,)  # hazards differ in the first month in care (docs/model.md)


@dataclass
class FittedModel:
    """Rates fitted on a reference window; what :func:`careflow.model.project` needs."""

    age_bands: AgeBands
    categories: tuple[str, ...]
    exit_groups: tuple[str, ...]
    data_end: dt.date
    window_start: dt.date
    window_end: dt.date
    window_months: int  # the reference window's length (given, or chosen by choose_window)
    # hazard cells are [group, category(, outcome)], group = duration class * bands + band (one duration class
    # unless ``duration`` is set); outcome = categories (moves) then exit groups
    exposure: np.ndarray  # [group, category] person-days at risk in the window
    events: np.ndarray  # [group, category, outcome]
    alpha: np.ndarray  # Gamma posterior shape per hazard cell
    beta: np.ndarray  # Gamma posterior rate (days) per hazard cell; structural zeros (move to self) have alpha 0
    entry_events: np.ndarray  # [band, category] entries in the window
    entry_alpha: np.ndarray
    entry_beta: np.ndarray
    entry_age_pmf: np.ndarray  # [band, month of age 0..215] ages at entry within each band
    trend_per_month: float = 0.0  # log change in entries per month (0: untrended)
    trend_origin: dt.date | None = None
    # drift of rates (random-walk sd of the log rate per year) for entries and for exits, calibrated on how far
    # the rates of the year after each earlier quarter end were from those of the year before (calibrated_drift);
    # the Monte Carlo runs let rates wander by this much
    entry_drift: float = 0.0
    exit_drift: float = 0.0
    drift_years: int = 0  # quarterly pseudo-origins the drift estimates rest on (0: the default was used)
    # time as a factor: None, "care" (time since the period of care began) or "placement" (time in the current
    # placement category); hazards differ between the duration classes that ``duration_cuts`` (months) separate
    duration: str | None = None
    duration_cuts: tuple[int, ...] = (12,)
    episodes: pd.DataFrame | None = field(default=None, repr=False)
    # ``episodes`` prepared (PreparedEpisodes), when the fit was given them: the starting children are read from it
    prepared: PreparedEpisodes | None = field(default=None, repr=False)
    # what the fit limited: a bound (trend, drift) that bound, said in words (forecast and scenario show them)
    warnings: tuple[str, ...] = ()

    @property
    def duration_months(self) -> int:
        """The last cut: months-since-clock states 0..duration_months are tracked, the last meaning 'or more'."""
        return self.duration_cuts[-1]

    @property
    def duration_classes(self) -> int:
        return len(self.duration_cuts) + 1 if self.duration else 1

    @property
    def duration_states(self) -> int:
        """Months-since-clock states tracked by the projection (0..duration_months, the last meaning 'or more')."""
        return self.duration_months + 1 if self.duration else 1

    def duration_class(self, months: np.ndarray) -> np.ndarray:
        """Duration class of completed months since the clock started (0 when time is not a factor)."""
        months = np.asarray(months)
        if not self.duration:
            return np.zeros(months.shape, dtype=np.int64)
        return np.searchsorted(np.asarray(self.duration_cuts), months, side="right")

    def group_labels(self) -> list[str]:
        bands = list(self.age_bands.labels)
        if not self.duration:
            return bands
        edges = (0,) + self.duration_cuts
        names = [f"{self.duration} {a}-{b}m" for a, b in zip(edges[:-1], edges[1:], strict=True)]
        names.append(f"{self.duration} {edges[-1]}m+")
        return [f"{b}, {n}" for n in names for b in bands]

    @property
    def outcomes(self) -> tuple[str, ...]:
        return tuple(f"to_{c}" for c in self.categories) + tuple(f"exit_{g}" for g in self.exit_groups)

    @property
    def hazards(self) -> np.ndarray:
        """Posterior mean hazards per day [band, category, outcome]."""
        return np.where(self.alpha > 0, self.alpha / self.beta, 0.0)

    @property
    def entry_rates(self) -> np.ndarray:
        """Posterior mean entries per day [band, category]."""
        return self.entry_alpha / self.entry_beta

    def entry_multiplier(self, month_start: dt.date) -> float:
        if not self.trend_per_month or self.trend_origin is None:
            return 1.0
        t = (month_start.year - self.trend_origin.year) * 12 + month_start.month - self.trend_origin.month
        return float(np.exp(self.trend_per_month * t))

    def rates_frame(self) -> pd.DataFrame:
        """The fitted rates as a tidy table (per child per year), with events and days at risk."""
        rows = []
        h = self.hazards
        for b, band in enumerate(self.group_labels()):
            for i, cat in enumerate(self.categories):
                for k, out in enumerate(self.outcomes):
                    if self.alpha[b, i, k] == 0:
                        continue
                    rows.append({"age_band": band, "category": cat, "outcome": out,
                                 "events": int(self.events[b, i, k]), "days_at_risk": float(self.exposure[b, i]),
                                 "rate_per_year": h[b, i, k] * 365.25})
        return pd.DataFrame(rows)


def _window(data_end: dt.date, months: int) -> tuple[pd.Timestamp, pd.Timestamp]:
    end = pd.Timestamp(data_end)
    start = end + pd.Timedelta(days=1) - pd.DateOffset(months=months)
    return start, end


class Exposure:
    """Person-days at risk per [group, category] in any window, for one set of episodes.

    The per-episode arrays (category index, start, end, the dates each age band begins and ends by date of birth,
    the duration cut) are computed once, so that each window (the reference window and the drift windows) costs a
    few numpy operations. ``ep`` must come from :func:`careflow.model.episodes.with_clocks` when ``duration`` is
    set, and hold only categories in ``cats`` (else :func:`~careflow.model.episodes.category_index` raises).
    """

    def __init__(self, ep: pd.DataFrame, bands: AgeBands, cats: tuple[str, ...], duration: str | None = None,
                 duration_cuts: tuple[int, ...] = (12,), *, ci: np.ndarray | None = None):
        self.bands, self.n_cats = bands, len(cats)
        self.duration = duration
        self.ci = epi.category_index(ep["category"], cats) if ci is None else ci
        self.start = pd.DatetimeIndex(ep["decom"]).values
        self.end = pd.DatetimeIndex(ep["dec"]).values  # NaT while open
        dob = pd.DatetimeIndex(ep["dob"])
        # [band, episode]: the day each band begins and ends (the birthday ``lower`` and ``upper`` years on);
        # bands touch, so each birthday is computed once
        months = [int(round(x * 12)) for x in bands.lower + bands.upper]
        birthday = {m: (dob + pd.DateOffset(months=m)).values for m in dict.fromkeys(months)}
        self.lo = np.stack([birthday[m] for m in months[:bands.n]]) if len(ep) else np.zeros((bands.n, 0), "M8[ns]")
        self.hi = np.stack([birthday[m] for m in months[bands.n:]]) if len(ep) else np.zeros((bands.n, 0), "M8[ns]")
        clock = pd.DatetimeIndex(ep[f"{duration}_start"]) if duration else None
        self.cuts = [(clock + pd.DateOffset(months=c)).values for c in duration_cuts] if duration else []

    def censored(self, keep: np.ndarray, end: np.ndarray) -> Exposure:
        """The same episodes as seen at an earlier day: the ``keep`` rows only, with ends ``end`` (NaT: open)."""
        out = copy.copy(self)
        out.ci, out.start, out.end = self.ci[keep], self.start[keep], end[keep]
        out.lo, out.hi = self.lo[:, keep], self.hi[:, keep]
        out.cuts = [c[keep] for c in self.cuts]
        return out

    def days(self, w0, w1) -> np.ndarray:
        """Person-days in each [group, category] inside [w0, w1] (whole days, both ends included)."""
        K, C = self.bands.n, self.n_cats
        out = np.zeros(((len(self.cuts) + 1) * K, C))
        if not len(self.ci):
            return out
        w0 = np.datetime64(pd.Timestamp(w0).as_unit("ns"))
        stop = np.datetime64((pd.Timestamp(w1) + pd.Timedelta(days=1)).as_unit("ns"))
        a = np.maximum(self.start, w0)
        b = np.where(np.isnat(self.end), stop, np.minimum(self.end, stop))
        # episodes outside the window give b <= a, hence zero days below: adding exact zeros changes no sum
        # duration class k runs from the (k-1)-th cut to the k-th (the first from the start, the last to the end)
        lo_cut, hi_cut = [None] + self.cuts, self.cuts + [None]
        parts = [(a if c0 is None else np.maximum(a, c0), b if c1 is None else np.minimum(b, c1))
                 for c0, c1 in zip(lo_cut, hi_cut, strict=True)]
        index = (np.arange(K)[:, None] * C + self.ci[None, :]).ravel()
        for d, (pa, pb) in enumerate(parts):
            s = np.maximum(pa[None, :], self.lo)
            e = np.minimum(pb[None, :], self.hi)
            days = np.clip((e - s) / np.timedelta64(1, "D"), 0, None)
            out[d * K:(d + 1) * K] = np.bincount(index, weights=days.ravel(), minlength=K * C).reshape(K, C)
        return out


class PreparedEpisodes:
    """Episodes ready for fits at many data ends (the band calibration's refits): what :func:`fit` needs of each
    episode, computed once as arrays, so that each fit censors them with numpy masks instead of re-deriving tables.

    ``ep`` is :func:`careflow.model.episodes.with_clocks` of the usable episodes (sorted by child, period, start).
    Seen at the end of day ``at`` (as :func:`careflow.model.episodes.censor` makes them), the episodes are those
    started by then, and those ending after it are open. As the table is sorted, censoring drops rows from the end
    of each period of care only, so what the censored table would show can be read off the whole one:
    - an episode's next row in its period is still there when the next row started by ``at``;
    - an episode's end, its age then and its months since its clocks are seen when it ended by ``at``;
    - the first episode of a period (its entry) is seen when it started by ``at``;
    - the clocks (start of the period, of the run of placements) are those of the whole table.
    """

    def __init__(self, ep: pd.DataFrame):
        self.frame = ep
        self.start = ep["decom"].to_numpy(dtype="datetime64[ns]")
        self.end = ep["dec"].to_numpy(dtype="datetime64[ns]")
        dob = pd.DatetimeIndex(ep["dob"])
        self.adult = (dob + pd.DateOffset(months=MAX_AGE_MONTHS)).to_numpy(dtype="datetime64[ns]")
        # the next row's relation, as epi.moves_and_exits reads it: in the same period, in another category
        same = (ep["child"].shift(-1) == ep["child"]) & (ep["period"].shift(-1) == ep["period"])
        self.same = same.to_numpy()
        self.moves = (same & (ep["category"].shift(-1) != ep["category"])).to_numpy()
        self.next_start = np.r_[self.start[1:], np.array(["NaT"], dtype="datetime64[ns]")]
        self.child = pd.factorize(ep["child"])[0]
        self.dob = dob.values
        self.clock = {c: ep[f"{c}_start"].to_numpy(dtype="datetime64[ns]") for c in ("care", "placement")}
        self.has_exit_group = ep["exit_group"].notna().to_numpy()
        self.exit_group = ep["exit_group"].astype("object").map({g: j for j, g in enumerate(EXIT_GROUPS)}).fillna(
            len(EXIT_GROUPS) - 1).astype(int).to_numpy()  # a group not in the list counts as the last (other)
        self.entry = ~ep.duplicated(["child", "period"]).to_numpy()  # as epi.period_starts picks them
        self.entry_age = epi.age_months(ep["dob"], ep["decom"]) if len(ep) else np.zeros(0, dtype=np.int64)
        # at the end of the episode (only read where it has one): age, and completed months since each clock
        ended = ~np.isnat(self.end)
        self.end_age = np.zeros(len(ep), dtype=np.int64)
        self.end_months = {c: np.zeros(len(ep), dtype=np.int64) for c in ("care", "placement")}
        if ended.any():
            self.end_age[ended] = epi.age_months(ep["dob"][ended], ep["dec"][ended])
            for c, months in self.end_months.items():
                months[ended] = epi.months_between(ep[f"{c}_start"][ended], ep["dec"][ended])
        self._codes: dict = {}
        self._exposure: dict = {}

    def category_codes(self, cats: tuple[str, ...]) -> np.ndarray:
        """Each episode's category index in ``cats`` (-1 for one not in it: an error if a fit sees it)."""
        if cats not in self._codes:
            self._codes[cats] = epi.category_index(self.frame["category"], cats, unknown_code=-1)
        return self._codes[cats]

    def in_care(self, day, cats: tuple[str, ...]) -> dict[str, np.ndarray] | None:
        """The children in care at the end of ``day`` as :func:`careflow.model.episodes.stock_on` finds them (each
        by its latest started open episode; born and under 18), as arrays: ``category`` (index in ``cats``),
        ``age_months``, ``months_in_care``, ``months_in_placement``, ``care_start``, ``placement_start``. None when
        a child has two episodes open that started on the same day: which one ``stock_on`` keeps depends on the
        order its sort leaves equal starts in, so that rare case is left to it."""
        day = epi.as_timestamp(day)
        at = np.datetime64(day.as_unit("ns"))
        rows = np.flatnonzero((self.start <= at) & (np.isnat(self.end) | (self.end > at)))
        order = np.lexsort((self.start[rows], self.child[rows]))  # by child, then start
        rows = rows[order]
        child, start = self.child[rows], self.start[rows]
        same_child = child[1:] == child[:-1]
        if (same_child & (start[1:] == start[:-1])).any():
            return None
        rows = rows[np.r_[~same_child, True]]  # each child's last: its latest started
        age = epi.age_months(self.dob[rows], day) if len(rows) else np.zeros(0, dtype=np.int64)
        keep = (age >= 0) & (age < MAX_AGE_MONTHS)
        rows, age = rows[keep], age[keep]
        ci = self.category_codes(cats)[rows]
        if (ci < 0).any():
            epi.category_index(self.frame["category"].iloc[rows], cats)  # raises, naming them
        out = {"category": ci, "age_months": age}
        for c in ("care", "placement"):
            out[f"{c}_start"] = self.clock[c][rows]
            out[f"months_in_{c}"] = epi.months_between(out[f"{c}_start"], day) if len(rows) else age[:0]
        return out

    def exposure(self, bands: AgeBands, cats: tuple[str, ...], duration: str | None,
                 cuts: tuple[int, ...]) -> Exposure:
        key = (bands, cats, duration, cuts)
        if key not in self._exposure:
            self._exposure[key] = Exposure(self.frame, bands, cats, duration, cuts, ci=self.category_codes(cats))
        return self._exposure[key]


def _band_of(months: np.ndarray, bands: AgeBands) -> np.ndarray:
    return bands.month_band()[np.clip(months, 0, MAX_AGE_MONTHS - 1)]


def _group_of(ages: np.ndarray, clock_months: np.ndarray | None, bands: AgeBands, cuts: tuple[int, ...]) -> np.ndarray:
    """Hazard group of events at ``ages`` (months) and ``clock_months`` completed months since the duration clock
    (None: time is not a factor)."""
    g = _band_of(ages, bands)
    if clock_months is not None:
        g = g + bands.n * np.searchsorted(np.asarray(cuts), clock_months, side="right")
    return g


def _moments_weight(x: np.ndarray, E: np.ndarray, m: np.ndarray) -> float:
    """Method-of-moments prior weight s for rates lambda = m * theta, theta ~ Gamma(s, s)."""
    ok = (E > 0) & (m > 0)
    if ok.sum() < 2:
        return S_MAX
    mu = E[ok] * m[ok]
    z = x[ok] / mu
    excess = np.sum(mu * ((z - 1) ** 2 - 1 / mu)) / np.sum(mu)
    if excess <= 1 / S_MAX:
        return S_MAX
    return float(np.clip(1 / excess, S_MIN, S_MAX))


def _shrink_hazards(x: np.ndarray, E: np.ndarray, allowed: np.ndarray):
    """Posterior (alpha, beta) for hazards x[b, i, k] over E[b, i] days; cells not ``allowed`` stay zero."""
    B, C, K = x.shape
    xa = np.where(allowed, x, 0.0)
    tot_E = max(E.sum(), 1.0)
    # overall rate per outcome among the categories where it can happen (half an event if none seen)
    allowed_E = (E[:, :, None] * allowed).sum(axis=(0, 1))
    r_k = (xa.sum(axis=(0, 1)) + 0.5) / np.maximum(allowed_E, tot_E / C)
    r_ik = (xa.sum(axis=0) + PRIOR_DAYS * r_k) / (E.sum(axis=0)[:, None] + PRIOR_DAYS)  # [C, K]
    r_bk = (xa.sum(axis=1) + PRIOR_DAYS * r_k) / ((E[:, :, None] * allowed).sum(axis=1) + PRIOR_DAYS)  # [B, K]
    m = r_ik[None, :, :] * (r_bk / r_k)[:, None, :]
    Eb = np.broadcast_to(E[:, :, None], x.shape)
    alpha = np.zeros_like(m)
    beta = np.ones_like(m)
    for k in range(K):
        s = _moments_weight(xa[:, :, k][allowed[:, :, k]], Eb[:, :, k][allowed[:, :, k]], m[:, :, k][allowed[:, :, k]])
        alpha[:, :, k] = s + xa[:, :, k]
        beta[:, :, k] = s / m[:, :, k] + Eb[:, :, k]
    alpha = np.where(allowed, alpha, 0.0)
    return alpha, beta


def _shrink_entries(x: np.ndarray, days: float):
    B, C = x.shape
    n = x.sum()
    r_b = (x.sum(axis=1) + 0.5) / days
    share = (x.sum(axis=0) + 0.1) / (n + 0.1 * C)
    m = r_b[:, None] * share[None, :]
    E = np.full_like(m, days)
    s = _moments_weight(x.ravel(), E.ravel(), m.ravel())
    return s + x, s / m + E


def _trend(starts: pd.DataFrame, data_end: dt.date, w0, w1) -> tuple[float, dt.date]:
    """Log-linear Poisson trend in monthly entries over the last TREND_MONTHS months (IRLS)."""
    end = pd.Timestamp(data_end)
    first = max(end + pd.Timedelta(days=1) - pd.DateOffset(months=TREND_MONTHS), starts["start"].min())
    first = pd.Timestamp(first.year, first.month, 1) + (pd.DateOffset(months=1) if first.day > 1 else pd.DateOffset())
    months = pd.period_range(first, end, freq="M")
    centre = (w0 + (w1 - w0) / 2).date()
    if len(months) < 6:
        return 0.0, centre
    counts = starts["start"].dt.to_period("M").value_counts().reindex(months, fill_value=0).to_numpy(float)
    t = np.arange(len(months), dtype=float)
    X = np.column_stack([np.ones_like(t), t])
    beta = np.array([np.log(counts.mean() + 0.5), 0.0])
    for _ in range(25):
        mu = np.exp(X @ beta)
        z = X @ beta + (counts - mu) / mu
        W = mu
        beta = np.linalg.solve(X.T @ (W[:, None] * X), X.T @ (W * z))
    return float(beta[1]), centre


def _limits(slope: float, entry_drift: float, exit_drift: float) -> tuple[float, list[str]]:
    """The trend within +-TREND_LIMIT a year, and a warning for each bound (trend, drift) that binds."""
    notes = []
    limit = np.log1p(TREND_LIMIT) / 12
    if abs(slope) > limit:
        notes.append(f"the entry trend fitted on the last {TREND_MONTHS} months, {np.expm1(slope * 12):+.0%} a "
                     f"year, is capped at {np.expm1(np.sign(slope) * limit * 12):+.0%} a year")
    for what, sd in (("entry", entry_drift), ("exit", exit_drift)):
        if sd >= DRIFT_MAX:
            notes.append(f"the drift of {what} rates is capped at {DRIFT_MAX:.2f} a year (the data's own year-on-year "
                         f"changes ask for more): the Monte Carlo bands may be too narrow")
    return float(np.clip(slope, -limit, limit)), notes


def _quarter_counts(ep: pd.DataFrame, starts: pd.DataFrame, exits: pd.DataFrame, data_end: dt.date):
    """Entries, exits (not at 18) and days in care (under 18) in each 3-month quarter before ``data_end``, most
    recent first, back to DRIFT_YEARS + 1 years or to the first complete quarter after the first recorded episode
    end (earlier quarters are incomplete in returns that hold only episodes open in their year). ``ep``: episodes
    (censored at ``data_end``), ``starts`` and ``exits`` as :func:`careflow.model.episodes.period_starts` and
    :func:`~careflow.model.episodes.moves_and_exits` give them."""
    ages = epi.age_months(exits["dob"], exits["date"]) if len(exits) else np.zeros(0, dtype=np.int64)
    adult = (pd.DatetimeIndex(ep["dob"]) + pd.DateOffset(months=MAX_AGE_MONTHS)).to_numpy(dtype="datetime64[ns]")
    return _quarter_totals(ep["decom"].to_numpy(dtype="datetime64[ns]"), ep["dec"].to_numpy(dtype="datetime64[ns]"),
                           adult, starts["start"].to_numpy(dtype="datetime64[ns]"),
                           exits["date"].to_numpy(dtype="datetime64[ns]")[ages < MAX_AGE_MONTHS - 1], data_end)


def _quarter_totals(start: np.ndarray, end: np.ndarray, adult: np.ndarray, entry_dates: np.ndarray,
                    exit_dates: np.ndarray, data_end: dt.date):
    """:func:`_quarter_counts` on arrays: episodes' ``start``, ``end`` (NaT: open) and 18th birthday ``adult``, the
    dates of entries and of exits (not at 18)."""
    stop = pd.Timestamp(data_end) + pd.Timedelta(days=1)
    ended = end[~np.isnat(end)]
    first_valid = ended.min() if len(ended) else np.datetime64("NaT")
    # stop - DateOffset(months=3k), k = 0, 1, ... (most recent first)
    edges = epi.add_months(stop.year, stop.month, stop.day, -3 * np.arange(4 * (DRIFT_YEARS + 1) + 1)).astype(
        "datetime64[ns]")
    incomplete = edges[1:] < first_valid
    Q = int(np.argmax(incomplete)) if incomplete.any() else len(edges) - 1
    edges = edges[:Q + 1][::-1]  # ascending, Q quarters
    if Q == 0:
        return np.zeros(0), np.zeros(0), np.zeros(0)

    def per_quarter(dates: np.ndarray) -> np.ndarray:
        q = np.searchsorted(edges, dates, side="right") - 1
        return np.bincount(q[(q >= 0) & (q < Q)], minlength=Q)[::-1].astype(float)

    b = np.minimum(np.where(np.isnat(end), np.datetime64(stop.as_unit("ns")), end), adult)
    # an episode over before the first quarter adds exact zeros to every quarter: left out (the sum over episodes
    # adds them one after another, so the totals are the same to the last bit)
    start, b = start[b > edges[0]], b[b > edges[0]]
    lo, hi = edges[:-1], edges[1:]
    days = np.clip((np.minimum(b[:, None], hi[None, :]) - np.maximum(start[:, None], lo[None, :]))
                   / np.timedelta64(1, "D"), 0, None).sum(axis=0)[::-1]
    return per_quarter(entry_dates), per_quarter(exit_dates), days


def calibrated_drift(counts: np.ndarray, days: np.ndarray | None = None) -> tuple[float | None, int]:
    """Random-walk sd per year of a log rate, calibrated on the data's own pseudo-out-of-sample errors.

    ``counts`` (and ``days`` at risk, or None for a rate per unit time) are per quarter, most recent first. At each
    quarterly pseudo-origin with a full year on both sides, the rate the model would have fitted (the year before)
    is compared with the rate that happened (the year after): ``d = log(rate after / rate before)``. If the log rate
    is a random walk with variance ``sigma**2`` a year, each year's mean differs from the rate at the boundary by
    ``sigma**2 / 3``, so ``E[d**2] = 2 / 3 * sigma**2 + 1 / x_before + 1 / x_after`` (the last two: Poisson noise).
    Solving for ``sigma`` makes the Monte Carlo (which also starts each run a window-lag away from the fitted rate)
    reproduce the spread of these errors. Returns (sigma bounded to [0, DRIFT_MAX], pseudo-origins used), or
    (None, n) when fewer than two pseudo-origins have events on both sides."""
    counts = np.asarray(counts, dtype=float)
    days = np.ones_like(counts) if days is None else np.asarray(days, dtype=float)
    d2, noise = [], []
    for j in range(4, len(counts) - 3):
        x_after, x_before = counts[j - 4:j].sum(), counts[j:j + 4].sum()
        e_after, e_before = days[j - 4:j].sum(), days[j:j + 4].sum()
        if min(x_after, x_before, e_after, e_before) <= 0:
            continue
        d2.append(np.log((x_after / e_after) / (x_before / e_before)) ** 2)
        noise.append(1 / x_after + 1 / x_before)
    if len(d2) < 2:
        return None, len(d2)
    var = 1.5 * (np.mean(d2) - np.mean(noise))
    return float(np.clip(np.sqrt(max(var, 0.0)), 0.0, DRIFT_MAX)), len(d2)


def _drift(quarters: tuple[np.ndarray, np.ndarray, np.ndarray]) -> tuple[float, float, int, tuple[float, float]]:
    """Random-walk sd per year of the log entry rate and the log exit rate (see :func:`calibrated_drift`), from
    the ``quarters`` (entries, exits and days in care of :func:`_quarter_counts`); DEFAULT_DRIFT when the data hold
    fewer than DRIFT_MIN_QUARTERS complete quarters. Also returns how many quarterly pseudo-origins the estimate
    rests on (0: the default was used) and the entries and exits (not at 18) of the last four quarters."""
    entries, exits_q, days = quarters
    last_year = (float(entries[:4].sum()), float(exits_q[:4].sum()))
    if len(entries) < DRIFT_MIN_QUARTERS:
        return DEFAULT_DRIFT, DEFAULT_DRIFT, 0, last_year
    entry, n = calibrated_drift(entries)
    exit_, m = calibrated_drift(exits_q, days)
    return ((DEFAULT_DRIFT if entry is None else entry), (DEFAULT_DRIFT if exit_ is None else exit_), max(n, m),
            last_year)


def choose_window(entry_drift: float, exit_drift: float, entries: float, exits: float, drift_years: int,
                  candidates: tuple[int, ...] = WINDOW_CHOICES) -> int:
    """The reference window (months) that estimates next year's rates best, from the data's own noise and drift.

    A rate fitted on W years of data errs, relative to the rate at the origin, by Poisson noise (log variance
    ``1 / (x * W)`` for ``x`` events a year) and by the drift it averages over (a random walk with variance
    ``sigma**2`` a year puts the window's mean ``sigma**2 * W / 3`` away, as in :func:`calibrated_drift`). The
    window minimising the sum of both errors, for entries and exits together, is chosen among ``candidates``:
    stable rates favour the longer window (less noise), drifting rates the shorter (less lag). Without a drift
    estimate (``drift_years`` 0: under three years of data) the shortest candidate is kept."""
    if drift_years == 0:
        return candidates[0]

    def error(months: int) -> float:
        w = months / 12
        return sum(1 / (max(x, 0.5) * w) + sd ** 2 * w / 3 for x, sd in ((entries, entry_drift), (exits, exit_drift)))

    return min(candidates, key=error)


def _duration_cuts(months) -> tuple[int, ...]:
    """Duration cuts in months from one number or a list: whole months, increasing, from 1 to 216."""
    values = [months] if isinstance(months, int | np.integer) else list(months) if isinstance(
        months, list | tuple) else None
    if (not values or any(isinstance(v, bool) or not isinstance(v, int | np.integer) for v in values)
            or any(v < 1 or v > MAX_AGE_MONTHS for v in values)
            or any(b <= a for a, b in zip(values[:-1], values[1:], strict=True))):
        raise CareflowError(f"duration_months must be a whole number of months from 1 to {MAX_AGE_MONTHS}, or several "
                            f"in increasing order (got {months!r})", field="duration_months", rule="model-settings")
    return tuple(int(v) for v in values)


def fit(data, *, data_end: dt.date | None = None, window_months: int | None = None, bands: AgeBands | None = None,
        categories: tuple[str, ...] | None = None, trend: bool = False, duration: str | None = DEFAULT_DURATION,
        duration_months: int | tuple[int, ...] | list[int] = DEFAULT_DURATION_CUTS,
        prepared: PreparedEpisodes | pd.DataFrame | None = None) -> FittedModel:
    """Fit the model on episodes (a DataFrame in the ``careflow.ssda903`` contract, or an ``Ssda903Data``).

    The reference window is the ``window_months`` months ending on ``data_end`` (default: the data's own end);
    ``None`` (the default) lets the data choose 12 or 24 months (:func:`choose_window`: the longer window when the
    rates' calibrated drift is small against their Poisson noise). Episodes after ``data_end`` are ignored (so
    fitting at a backtest origin sees only the past). ``duration="care"`` or ``"placement"`` lets hazards differ
    with the months in care or in the current placement category: ``duration_months`` is one cut (12: before and
    after a year) or several in increasing order ((1, 3, 6, 12, 24): six duration classes); ``duration=None``
    makes hazards depend on age band and category only. The default, a first month in care with hazards of its
    own, is what the backtests in docs/model.md support. ``prepared``: :class:`PreparedEpisodes` of the episodes
    (or ``with_clocks(usable(episodes))``) when the caller refits at many origins on the same episodes: it is
    censored at ``data_end`` here, which gives the same table, since a clock starts at the first episode of its
    period or run. The model keeps it (``prepared``) to take its starting children from (they must be prepared
    from ``data``).
    """
    if duration not in (None, "care", "placement"):
        raise CareflowError(f"duration must be 'care', 'placement' or None (got {duration!r})", field="duration",
                            rule="model-settings")
    cuts = _duration_cuts(duration_months)
    episodes, own_end, own_categories = epi.episodes_of(data)
    if data_end is None:
        data_end = own_end or epi.data_end_of(episodes)
    data_end = pd.Timestamp(data_end).date()
    if window_months is not None and (isinstance(window_months, bool) or not isinstance(window_months, int | np.integer)
                                      or window_months < 1):
        raise CareflowError(f"the reference window must be a whole number of months, at least 1 (got "
                            f"{window_months!r})", field="window_months", rule="model-window")
    bands = bands or age_bands()
    cats = tuple(categories or own_categories or DEFAULT_CATEGORIES)
    epi.check_columns(episodes)
    if UNKNOWN not in cats and (episodes["category"] == UNKNOWN).any():
        cats = cats + (UNKNOWN,)  # the reader's placeholder for codes it could not map (it reports them)
    if prepared is None:  # of the episodes censored at data_end: not kept on the model (not its episodes)
        pe = PreparedEpisodes(epi.with_clocks(epi.usable(epi.censor(episodes, data_end))))
    else:
        prepared = pe = prepared if isinstance(prepared, PreparedEpisodes) else PreparedEpisodes(prepared)
    # the episodes as seen at the end of data_end (see PreparedEpisodes): masks over the prepared table
    at = np.datetime64(epi.as_timestamp(data_end).as_unit("ns"))
    seen = pe.start <= at
    ended = seen & (pe.end <= at)  # ended by data_end (later ends are open)
    ci = pe.category_codes(cats)
    if (ci[seen] < 0).any():
        epi.category_index(pe.frame["category"][seen], cats)  # unknown categories are an error, never guessed
    if not seen.any():
        raise CareflowError(f"no episodes before {data_end}: nothing to fit", rule="model-window")
    next_seen = pe.next_start <= at  # the next episode of the period had started by data_end
    is_move = pe.moves & next_seen & ended
    is_exit = ~(pe.same & next_seen) & ended & pe.has_exit_group
    is_entry = pe.entry & seen & (pe.entry_age >= 0) & (pe.entry_age <= MAX_AGE_MONTHS - 1)
    adult_exit = pe.end_age >= MAX_AGE_MONTHS - 1  # exits in the month before 18 are the model's own leaving at 18
    if ended.any():
        entry_drift, exit_drift, drift_years, last_year = _drift(_quarter_totals(
            pe.start[seen], np.where(ended, pe.end, np.datetime64("NaT"))[seen], pe.adult[seen],
            pe.start[is_entry], pe.end[is_exit & ~adult_exit], data_end))
    else:
        entry_drift, exit_drift, drift_years, last_year = DEFAULT_DRIFT, DEFAULT_DRIFT, 0, (0.0, 0.0)
    if window_months is None:
        window_months = choose_window(entry_drift, exit_drift, *last_year, drift_years)
    w0, w1 = _window(data_end, window_months)
    lo, hi = np.datetime64(w0.as_unit("ns")), np.datetime64(w1.as_unit("ns"))
    end_seen = np.where(ended, pe.end, np.datetime64("NaT"))
    # episodes over by the window's start add exact zeros to its days: left out (bincount adds one after another,
    # so the sums are the same to the last bit)
    reach = seen & (np.isnat(end_seen) | (end_seen > lo))
    E = pe.exposure(bands, cats, duration, cuts).censored(reach, end_seen).days(w0, w1)
    D = len(cuts) + 1 if duration else 1
    if E.sum() == 0:
        raise CareflowError(f"no child was in care in the reference window {w0.date()} to {w1.date()}: "
                            "choose an origin or window inside the data", rule="model-window")
    C, G = len(cats), len(EXIT_GROUPS)
    x = np.zeros((D * bands.n, C, C + G))
    in_window = (pe.end >= lo) & (pe.end <= hi)
    clock = pe.end_months[duration] if duration else None

    def group(rows: np.ndarray) -> np.ndarray:
        return _group_of(pe.end_age[rows], None if clock is None else clock[rows], bands, cuts)

    moved = is_move & in_window & (pe.end_age < MAX_AGE_MONTHS)
    np.add.at(x, (group(moved), ci[moved], np.r_[ci[1:], -1][moved]), 1)  # to the next episode's category
    left = is_exit & in_window & ~adult_exit
    np.add.at(x, (group(left), ci[left], C + pe.exit_group[left]), 1)
    allowed = np.ones_like(x, dtype=bool)
    allowed[:, np.arange(C), np.arange(C)] = False
    alpha, beta = _shrink_hazards(x, E, allowed)

    entered = is_entry & (pe.start >= lo) & (pe.start <= hi)
    xe = np.zeros((bands.n, C))
    band_all = _band_of(pe.entry_age[is_entry], bands)
    bw = _band_of(pe.entry_age[entered], bands)
    np.add.at(xe, (bw, ci[entered]), 1)
    days = float((w1 - w0).days + 1)
    ea, eb = _shrink_entries(xe, days)
    pmf = np.zeros((bands.n, MAX_AGE_MONTHS))
    for k in range(bands.n):
        ages = pe.entry_age[entered][bw == k]
        if len(ages) == 0:
            ages = pe.entry_age[is_entry][band_all == k]
        if len(ages):
            pmf[k] = np.bincount(ages, minlength=MAX_AGE_MONTHS)[:MAX_AGE_MONTHS]
        else:
            pmf[k, bands.months_in(k)] = 1.0
        pmf[k] /= pmf[k].sum()
    starts = pd.DataFrame({"start": pe.start[is_entry]})
    slope, origin = _trend(starts, data_end, w0, w1) if trend else (0.0, None)
    slope, notes = _limits(slope, entry_drift, exit_drift)
    return FittedModel(age_bands=bands, categories=cats, exit_groups=EXIT_GROUPS, data_end=data_end,
                       window_start=w0.date(), window_end=w1.date(), window_months=window_months,
                       exposure=E, events=x, alpha=alpha, beta=beta,
                       entry_events=xe, entry_alpha=ea, entry_beta=eb, entry_age_pmf=pmf,
                       trend_per_month=slope, trend_origin=origin, entry_drift=entry_drift,
                       exit_drift=exit_drift, drift_years=drift_years, duration=duration,
                       duration_cuts=cuts, episodes=episodes, prepared=prepared, warnings=tuple(notes))
