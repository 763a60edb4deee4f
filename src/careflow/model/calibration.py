"""Widening the Monte Carlo bands to the model's own past errors (empirical calibration).

The runs' spread comes from what the model knows it does not know: Poisson noise, the posterior of each rate and
the calibrated drift of the rates. Where the model has also been wrong for reasons it does not represent (a trend
in exit rates, a policy change, a cohort leaving care), its earlier forecasts show it. :func:`past_errors` refits
the model at quarterly pseudo-origins before the forecast origin, using only data before the origin, and records
the log error of the expected total 1 to 12 months ahead. Those errors have a centre (bias: the mean log error at
each lead) and a spread about it (their standard deviation), and the two are kept apart:

- spread: :func:`calibrate` widens each month's runs on the log scale around their median total,
  ``log(total) -> log(P50) + k * (log(total) - log(P50))``, with ``k = max(1, sd(past log errors) /
  sd(runs' log totals))`` at that lead time (made non-decreasing in the lead time; the last lead's factor beyond
  12 months). Exactly: ``total -> c * P50 * (total / P50) ** k``, with ``c`` (about 1) making the runs' P50, as
  ``numpy.quantile`` reads it, the same as before. So the median stays where the model puts it, no run goes below
  0 (a run of 0 children stays 0) and a band is never narrowed;
- bias: measured the same leak-free way and reported (``Projection.bias``), and applied only on request
  (``correct_bias=True``: every run times ``exp(mean past log error)`` at its lead, which moves the median by
  that factor). Off by default: a dozen overlapping errors give a noisy centre, and the product's P50 is the
  model's own.

One factor for the total, not one per placement category: each run's categories, age bands and care-days are
scaled with its total, so categories still add up to the total run by run and their bands widen with it (a
category's own P50 can move a little, because its median run is not the total's). Per-category factors would need
each category's record (a dozen errors of counts often under 20, mostly the Poisson noise the runs already hold)
and would break that additivity. Entries and exits of the runs are left as simulated.
"""

from __future__ import annotations

import copy
import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from careflow.errors import CareflowError
from careflow.model import episodes as epi
from careflow.model.project import Projection, _add_months, project
from careflow.model.rates import PreparedEpisodes, fit
from careflow.model.states import MAX_AGE_MONTHS, age_bands

LEAD_MONTHS = 12  # lead times whose past errors are measured
PSEUDO_ORIGINS = 12  # quarterly pseudo-origins at most (three years)
MIN_ERRORS = 4  # fewer past errors at a lead time than this: no calibration there (factor 1)
DAY_BLOCK = 64  # days counted together by month_end_totals (memory: episodes x DAY_BLOCK booleans)


@dataclass
class PastErrors:
    """Log errors ``log(actual / expected)`` of the total in care, [pseudo-origin, lead month 1..L]; NaN where the
    lead ran past the origin."""

    origin: dt.date
    pseudo_origins: list[dt.date]
    log_errors: np.ndarray

    def _by_lead(self, stat) -> np.ndarray:
        seen = np.isfinite(self.log_errors)
        n = seen.sum(axis=0)
        out = np.full(self.log_errors.shape[1], np.nan)
        for j in np.flatnonzero(n >= MIN_ERRORS):
            out[j] = stat(self.log_errors[seen[:, j], j])
        return out

    def rms(self) -> np.ndarray:
        """Root mean square log error at each lead time (bias included); NaN with fewer than MIN_ERRORS errors."""
        return self._by_lead(lambda e: np.sqrt(np.mean(e ** 2)))

    def bias(self) -> np.ndarray:
        """Mean log error at each lead time (> 0: the model forecast too few); NaN with fewer than MIN_ERRORS."""
        return self._by_lead(np.mean)

    def spread(self) -> np.ndarray:
        """Standard deviation of the log errors about their mean at each lead time (the bias taken out);
        NaN with fewer than MIN_ERRORS errors."""
        return self._by_lead(lambda e: np.std(e, ddof=1))


def month_end_totals(episodes: pd.DataFrame, days: list[dt.date]) -> np.ndarray:
    """Children in care (under 18, short breaks left out) at the end of each day: the counts
    :func:`careflow.model.episodes.stock_on` gives, for many days at once."""
    ep = epi.usable(episodes)
    out = np.zeros(len(days))
    if not len(ep) or not len(days):
        return out
    child = pd.factorize(ep["child"])[0]
    born = ep["dob"].to_numpy(dtype="datetime64[ns]")
    adult = (pd.DatetimeIndex(ep["dob"]) + pd.DateOffset(months=MAX_AGE_MONTHS)).to_numpy(dtype="datetime64[ns]")
    end = ep["dec"].to_numpy(dtype="datetime64[ns]")
    # an episode counts its child at the end of day t when it has started, has not ended and the child is born and
    # under 18: lo <= t < hi (an open episode ends at 18)
    lo = np.maximum(ep["decom"].to_numpy(dtype="datetime64[ns]"), born)
    hi = np.where(np.isnat(end), adult, np.minimum(end, adult))
    # a child with several episodes open counts once: its rows (together after a stable sort by child) are or-ed
    order = np.argsort(child, kind="stable")
    lo, hi, child = lo[order], hi[order], child[order]
    first = np.flatnonzero(np.r_[True, child[1:] != child[:-1]])
    t = pd.DatetimeIndex(pd.to_datetime(list(days))).as_unit("ns").to_numpy()
    for a in range(0, len(t), DAY_BLOCK):  # [episodes, days] booleans a block of days at a time
        tb = t[a:a + DAY_BLOCK]
        open_ = (lo[:, None] <= tb[None, :]) & (tb[None, :] < hi[:, None])
        out[a:a + DAY_BLOCK] = np.logical_or.reduceat(open_, first, axis=0).sum(axis=0)
    return out


def past_errors(episodes: pd.DataFrame, origin: dt.date, *, lead_months: int = LEAD_MONTHS,
                pseudo_origins: int = PSEUDO_ORIGINS, **fit_options) -> PastErrors:
    """The model's own errors at quarter ends before ``origin``: at each pseudo-origin ``o`` (every 3 months back
    from 3 months before the origin, at most ``pseudo_origins``), fit on the data to ``o`` with ``fit_options``,
    project the expected total, and compare it with the actual total ``1..lead_months`` months on, as far as the
    data before ``origin`` reach. Pseudo-origins where the model cannot be fitted (no data yet) are skipped."""
    origin = pd.Timestamp(origin).date()
    ep = epi.censor(episodes, origin)
    fit_options.setdefault("bands", None)
    fit_options["bands"] = fit_options["bands"] or age_bands()  # read once, not at each pseudo-origin
    prepared = PreparedEpisodes(epi.with_clocks(epi.usable(ep)))  # arrays once; each refit censors them
    first_valid = ep["dec"].min()
    origins, projected = [], []
    for k in range(1, pseudo_origins + 1):
        o = _add_months(origin + dt.timedelta(days=1), -3 * k) - dt.timedelta(days=1)
        if pd.isna(first_valid) or pd.Timestamp(o) < first_valid + pd.DateOffset(months=12):
            break  # the first year of returns is incomplete (only episodes open in it), as for the drift
        try:
            model = fit(ep, data_end=o, prepared=prepared, **fit_options)
        except CareflowError:
            break
        proj = project(model, o, months=min(lead_months, 3 * k))
        origins.append(o)
        projected.append((proj.month_ends, proj.expected_stock.sum(axis=(1, 2))))
    # the actual totals of every pseudo-origin's month ends in one pass over the episodes (they overlap)
    days = sorted({d for month_ends, _ in projected for d in month_ends})
    actual = dict(zip(days, month_end_totals(ep, days), strict=True))
    rows = []
    for month_ends, expected in projected:
        row = np.full(lead_months, np.nan)
        row[:len(month_ends)] = np.log((np.array([actual[d] for d in month_ends]) + 0.5) / (expected + 0.5))
        rows.append(row)
    errors = np.array(rows) if rows else np.zeros((0, lead_months))
    return PastErrors(origin=origin, pseudo_origins=origins, log_errors=errors)


def band_factors(proj: Projection, errors: PastErrors) -> np.ndarray:
    """The widening factor for each month of the projection: the spread of the past log errors about their mean
    over the spread of the runs' log totals (1 where the record is too short or the runs' spread already covers
    it)."""
    if proj.stock_runs is None:
        raise CareflowError("calibrating bands needs Monte Carlo runs (runs > 0)", rule="model-runs")
    log_total = np.log(proj.stock_runs.sum(axis=(2, 3)) + 0.5)  # [R, M]
    sd = log_total.std(axis=0, ddof=1) if len(log_total) > 1 else np.zeros(proj.months)
    spread = errors.spread()
    L = min(len(spread), proj.months)
    if L == 0:
        return np.ones(proj.months)
    with np.errstate(invalid="ignore", divide="ignore"):
        k = np.where(np.isfinite(spread[:L]) & (sd[:L] > 0), spread[:L] / np.where(sd[:L] > 0, sd[:L], 1), 1.0)
    # never below 1, and not lower at a longer lead than at a shorter one: a noisy record (a dozen overlapping
    # errors) should not make the band pinch in and out from month to month, so the factors are replaced by their
    # closest non-decreasing sequence (pool-adjacent-violators: a dip is averaged with what comes before it);
    # beyond the record's last lead the runs' own spread keeps growing and the last factor is held
    k = np.maximum(_non_decreasing(k), 1.0)
    return np.concatenate([k, np.full(proj.months - L, k[-1])])


def bias_by_month(proj: Projection, errors: PastErrors) -> np.ndarray:
    """The past mean log error for each month of the projection (0 where the record is too short; the last lead's
    beyond the record)."""
    b = errors.bias()
    L = min(len(b), proj.months)
    if L == 0:
        return np.zeros(proj.months)
    b = np.where(np.isfinite(b[:L]), b[:L], 0.0)
    return np.concatenate([b, np.full(proj.months - L, b[-1])])


def _non_decreasing(x: np.ndarray) -> np.ndarray:
    """The least-squares non-decreasing fit to ``x`` (pool adjacent violators)."""
    blocks: list[list[float]] = []  # [sum, count]
    for v in np.asarray(x, dtype=float):
        blocks.append([v, 1.0])
        while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] > blocks[-1][0] / blocks[-1][1]:
            total, n = blocks.pop()
            blocks[-1][0] += total
            blocks[-1][1] += n
    return np.concatenate([np.full(int(n), total / n) for total, n in blocks]) if blocks else np.zeros(0)


def widen(totals: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Runs' totals [R, M] widened by ``k`` [M] on the log scale around each month's median:
    ``c * P50 * (total / P50) ** k``, ``c`` chosen so that ``numpy.quantile(..., 0.5)`` is unchanged (with an even
    number of runs the median is the mean of the two middle runs, which a power alone would move slightly). A run
    of 0 stays 0; a month whose median is 0 is left as it is."""
    totals = np.asarray(totals, dtype=float)
    med = np.quantile(totals, 0.5, axis=0)
    out = totals.copy()
    for m in np.flatnonzero((k != 1.0) & (med > 0)):
        x = (totals[:, m] / med[m]) ** k[m]
        out[:, m] = med[m] * x / np.quantile(x, 0.5)
    return out


def calibrate(proj: Projection, errors: PastErrors, *, correct_bias: bool = False) -> Projection:
    """A copy of ``proj`` whose runs are widened by :func:`band_factors` around each month's median total
    (:func:`widen`): the P50 of the total, and the expected values, are unchanged. ``correct_bias``: also multiply
    every run by ``exp(bias)`` at its lead (:func:`bias_by_month`), which moves the median by that factor.
    ``band_factor`` on the result records the factors, ``bias`` the past mean log errors by month (applied or
    not), ``bias_corrected`` whether they were applied, ``past_errors`` the record."""
    k = band_factors(proj, errors)
    b = bias_by_month(proj, errors)
    out = copy.copy(proj)
    out.band_factor = k
    out.bias = b
    out.bias_corrected = correct_bias
    out.past_errors = errors
    if np.all(k == 1.0) and not (correct_bias and np.any(b != 0)):
        return out
    total = proj.stock_runs.sum(axis=(2, 3)).astype(float)  # [R, M]
    new = widen(total, k)
    if correct_bias:
        new = new * np.exp(b)[None, :]
    with np.errstate(invalid="ignore", divide="ignore"):
        scale = np.where(total > 0, new / np.where(total > 0, total, 1), 1.0)
    out.stock_runs = proj.stock_runs * scale[:, :, None, None]
    out.care_days_runs = proj.care_days_runs * scale[:, :, None]
    return out
