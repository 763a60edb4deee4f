"""Widening the Monte Carlo bands to the model's own past errors (empirical calibration).

The runs' spread comes from what the model knows it does not know: Poisson noise, the posterior of each rate and
the calibrated drift of the rates. Where the model has also been wrong for reasons it does not represent (a trend
in exit rates, a policy change, a cohort leaving care), its earlier forecasts show it. :func:`past_errors` refits
the model at quarterly pseudo-origins before the forecast origin, using only data before the origin, and records
the log error of the expected total 1 to 12 months ahead. :func:`calibrate` then spreads each month's runs around
their mean by ``k = max(1, rms(past log errors) / sd(runs' log totals))`` at that lead time (made non-decreasing
in the lead time; the last lead's factor beyond 12 months): a band is widened to the relative width the model's
record asks for, never narrowed, and the mean of the runs (the forecast) does not move. Each run's categories, age bands and care-days are scaled with its
total, so category and cost bands widen with it. Entries and exits of the runs are left as simulated.
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
from careflow.model.rates import fit
from careflow.model.states import MAX_AGE_MONTHS

LEAD_MONTHS = 12  # lead times whose past errors are measured
PSEUDO_ORIGINS = 12  # quarterly pseudo-origins at most (three years)
MIN_ERRORS = 4  # fewer past errors at a lead time than this: no calibration there (factor 1)


@dataclass
class PastErrors:
    """Log errors ``log(actual / expected)`` of the total in care, [pseudo-origin, lead month 1..L]; NaN where the
    lead ran past the origin."""

    origin: dt.date
    pseudo_origins: list[dt.date]
    log_errors: np.ndarray

    def rms(self) -> np.ndarray:
        """Root mean square log error at each lead time (bias included); NaN with fewer than MIN_ERRORS errors."""
        seen = np.isfinite(self.log_errors)
        n = seen.sum(axis=0)
        squares = np.where(seen, self.log_errors, 0.0) ** 2
        return np.where(n >= MIN_ERRORS, np.sqrt(squares.sum(axis=0) / np.maximum(n, 1)), np.nan)


def month_end_totals(episodes: pd.DataFrame, days: list[dt.date]) -> np.ndarray:
    """Children in care (under 18, short breaks left out) at the end of each day: the counts
    :func:`careflow.model.episodes.stock_on` gives, for many days at once."""
    ep = epi.usable(episodes)
    child = pd.factorize(ep["child"])[0]
    start = ep["decom"].to_numpy(dtype="datetime64[ns]")
    end = ep["dec"].to_numpy(dtype="datetime64[ns]")
    adult = (pd.DatetimeIndex(ep["dob"]) + pd.DateOffset(months=MAX_AGE_MONTHS)).to_numpy(dtype="datetime64[ns]")
    born = ep["dob"].to_numpy(dtype="datetime64[ns]")
    out = np.zeros(len(days))
    for i, d in enumerate(days):
        t = np.datetime64(pd.Timestamp(d).as_unit("ns"))
        open_ = (start <= t) & (np.isnat(end) | (end > t)) & (born <= t) & (t < adult)
        out[i] = np.unique(child[open_]).size
    return out


def past_errors(episodes: pd.DataFrame, origin: dt.date, *, lead_months: int = LEAD_MONTHS,
                pseudo_origins: int = PSEUDO_ORIGINS, **fit_options) -> PastErrors:
    """The model's own errors at quarter ends before ``origin``: at each pseudo-origin ``o`` (every 3 months back
    from 3 months before the origin, at most ``pseudo_origins``), fit on the data to ``o`` with ``fit_options``,
    project the expected total, and compare it with the actual total ``1..lead_months`` months on, as far as the
    data before ``origin`` reach. Pseudo-origins where the model cannot be fitted (no data yet) are skipped."""
    origin = pd.Timestamp(origin).date()
    ep = epi.censor(episodes, origin)
    first_valid = ep["dec"].min()
    origins, rows = [], []
    for k in range(1, pseudo_origins + 1):
        o = _add_months(origin + dt.timedelta(days=1), -3 * k) - dt.timedelta(days=1)
        if pd.isna(first_valid) or pd.Timestamp(o) < first_valid + pd.DateOffset(months=12):
            break  # the first year of returns is incomplete (only episodes open in it), as for the drift
        try:
            model = fit(ep, data_end=o, **fit_options)
        except CareflowError:
            break
        leads = min(lead_months, 3 * k)
        proj = project(model, o, months=leads)
        actual = month_end_totals(ep, proj.month_ends)
        expected = proj.expected_stock.sum(axis=(1, 2))
        row = np.full(lead_months, np.nan)
        row[:leads] = np.log((actual + 0.5) / (expected + 0.5))
        origins.append(o)
        rows.append(row)
    errors = np.array(rows) if rows else np.zeros((0, lead_months))
    return PastErrors(origin=origin, pseudo_origins=origins, log_errors=errors)


def band_factors(proj: Projection, errors: PastErrors) -> np.ndarray:
    """The widening factor for each month of the projection (1 where the record is too short or the runs' spread
    already covers it)."""
    if proj.stock_runs is None:
        raise CareflowError("calibrating bands needs Monte Carlo runs (runs > 0)", rule="model-runs")
    log_total = np.log(proj.stock_runs.sum(axis=(2, 3)) + 0.5)  # [R, M]
    sd = log_total.std(axis=0, ddof=1) if len(log_total) > 1 else np.zeros(proj.months)
    rms = errors.rms()
    L = min(len(rms), proj.months)
    if L == 0:
        return np.ones(proj.months)
    with np.errstate(invalid="ignore", divide="ignore"):
        k = np.where(np.isfinite(rms[:L]) & (sd[:L] > 0), rms[:L] / np.where(sd[:L] > 0, sd[:L], 1), 1.0)
    # never below 1, and not lower at a longer lead than at a shorter one: a noisy record (a dozen overlapping
    # errors) should not make the band pinch in and out from month to month, so the factors are replaced by their
    # closest non-decreasing sequence (pool-adjacent-violators: a dip is averaged with what comes before it);
    # beyond the record's last lead the runs' own spread keeps growing and the last factor is held
    k = np.maximum(_non_decreasing(k), 1.0)
    return np.concatenate([k, np.full(proj.months - L, k[-1])])


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


def calibrate(proj: Projection, errors: PastErrors) -> Projection:
    """A copy of ``proj`` whose runs are spread around each month's mean total by :func:`band_factors`
    (``total -> mean + k * (total - mean)``, never below 0), so the mean of the runs and the expected values are
    unchanged. ``band_factor`` on the result records the factors, ``past_errors`` the record."""
    k = band_factors(proj, errors)
    out = copy.copy(proj)
    out.band_factor = k
    out.past_errors = errors
    if np.all(k == 1.0):
        return out
    total = proj.stock_runs.sum(axis=(2, 3)).astype(float)  # [R, M]
    mean = total.mean(axis=0)
    widened = np.maximum(mean + k * (total - mean), 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        scale = np.where(total > 0, widened / np.where(total > 0, total, 1), 1.0)
    out.stock_runs = proj.stock_runs * scale[:, :, None, None]
    out.care_days_runs = proj.care_days_runs * scale[:, :, None]
    return out
