"""Rate drift: the calibration on pseudo-out-of-sample rate errors (by hand), the quarterly counts it rests on,
and the Monte Carlo's random walk (its variance by month, its window-lag, its mean)."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest

from careflow.model import episodes as epi
from careflow.model import fit
from careflow.model.project import drift_walk
from careflow.model.rates import DEFAULT_DRIFT, DRIFT_MAX, _quarter_counts, calibrated_drift, choose_window
from episode_builder import episodes


def test_calibrated_drift_by_hand():
    # three years of quarters, oldest first: 250 a quarter, then 300, then 250 (most recent first below).
    # Pseudo-origins at the five quarter ends with a full year on both sides: (year before, year after) =
    # (1000, 1200), (750 + 300, 900 + 250), (500 + 600, 600 + 500), (250 + 900, 300 + 750), (1200, 1000)
    counts = [250] * 4 + [300] * 4 + [250] * 4
    pairs = [(1000, 1200), (1050, 1150), (1100, 1100), (1150, 1050), (1200, 1000)]
    mean_d2 = sum(math.log(a / b) ** 2 for b, a in pairs) / 5
    noise = sum(1 / a + 1 / b for b, a in pairs) / 5
    sigma, n = calibrated_drift(counts)
    assert n == 5
    # E[d^2] = 2/3 sigma^2 + Poisson part, so sigma^2 = 1.5 (mean d^2 - noise): 0.1489 a year
    assert sigma == pytest.approx(math.sqrt(1.5 * (mean_d2 - noise)), rel=1e-12)
    assert sigma == pytest.approx(0.1489, abs=5e-4)


def test_calibrated_drift_compares_rates_not_counts():
    # exits double and so does the time at risk: the rate never changed, and no drift is left after the Poisson part
    counts = [200] * 4 + [400] * 4 + [200] * 4
    days = [9_000] * 4 + [18_000] * 4 + [9_000] * 4
    assert calibrated_drift(counts, days)[0] == 0.0
    assert calibrated_drift(counts)[0] > 0.3  # as counts per unit time, the same series drifts a lot


def test_calibrated_drift_is_bounded_and_needs_two_pseudo_origins():
    assert calibrated_drift([10] * 4 + [1000] * 4 + [10] * 4)[0] == DRIFT_MAX
    assert calibrated_drift([100] * 8) == (None, 1)  # one pseudo-origin only: no estimate
    # pseudo-origins with no events on one side are left out
    assert calibrated_drift([0] * 4 + [100] * 5)[1] == 1


def _entries_by_quarter(per_quarter: list[int], end: dt.date) -> list[dict]:
    """Children entering 10 days into each quarter before ``end`` (most recent first) and staying in care."""
    rows = []
    stop = pd.Timestamp(end) + pd.Timedelta(days=1)
    for q, n in enumerate(per_quarter):
        start = stop - pd.DateOffset(months=3 * (q + 1)) + pd.Timedelta(days=10)
        for i in range(n):
            rows.append(dict(child=f"q{q}-{i}", dob="2015-06-01", decom=start, dec=None,
                             category="in_house_fostering"))
    return rows


def test_quarterly_counts_and_fitted_drift_by_hand():
    end = dt.date(2025, 3, 31)
    pattern = [3] * 4 + [5] * 4 + [3] * 4 + [2] * 4  # most recent first; four years
    rows = _entries_by_quarter(pattern, end)
    # the first recorded episode end (20 March 2022) makes 1 April 2022 the first complete quarter: 12 quarters
    rows.append(dict(child="early", dob="2010-01-01", decom="2019-01-01", dec="2022-03-20",
                     category="in_house_fostering", exit_group="return_home"))
    # a child in care the whole last year who turns 18 on 15 February 2025: days to the day before the birthday
    rows.append(dict(child="adult", dob="2007-02-15", decom="2020-01-01", dec="2025-02-15",
                     category="in_house_fostering", exit_group="adulthood"))
    ep = epi.with_clocks(epi.usable(episodes(rows)))
    _, exits = epi.moves_and_exits(ep)
    starts = epi.period_starts(ep)
    entries, exits_q, days = _quarter_counts(ep, starts, exits, end)
    assert entries.tolist() == [3] * 4 + [5] * 4 + [3] * 4
    assert exits_q.tolist() == [0] * 12  # the exit at 18 is the model's own leaving, not a hazard event
    # last quarter (1 Jan - 31 Mar 2025): the 3 entrants of 11 Jan for 80 days, the 3 x 3 + 5 x 4 + 3 x 4 + 2 x 4 =
    # 49 earlier entrants all 90 days, and the child turning 18 from 1 January to 14 February: 45 days
    assert days[0] == 3 * 80 + 49 * 90 + 45
    model = fit(episodes(rows), data_end=end)
    assert model.drift_years == 5
    assert model.entry_drift == pytest.approx(calibrated_drift(entries)[0])
    assert model.exit_drift == DEFAULT_DRIFT  # no exit in any pseudo-origin's years: no estimate


def test_fewer_than_three_complete_years_use_the_default():
    end = dt.date(2025, 3, 31)
    rows = _entries_by_quarter([3] * 11, end)
    rows.append(dict(child="early", dob="2010-01-01", decom="2019-01-01", dec="2022-06-20",
                     category="in_house_fostering", exit_group="return_home"))
    model = fit(episodes(rows), data_end=end)
    assert (model.entry_drift, model.exit_drift, model.drift_years) == (DEFAULT_DRIFT, DEFAULT_DRIFT, 0)


def test_drift_walk_variance_by_month_and_mean():
    sd, runs, months = 0.3, 40_000, 12
    walk = drift_walk(np.random.default_rng(3), sd, runs, months, window_years=1.0)
    logs = np.log(walk)
    # the window-lag (sd^2 / 3) plus one twelfth of sd^2 a month: 0.03 + 0.0075 in month 0, 0.12 in month 11
    expected = sd ** 2 * (1 / 3 + np.arange(1, months + 1) / 12)
    assert np.var(logs, axis=0) == pytest.approx(expected, rel=0.03)
    assert walk.mean(axis=0) == pytest.approx(np.ones(months), abs=0.01)  # mean-corrected
    # a 24-month window lags twice as far
    lag2 = np.log(drift_walk(np.random.default_rng(4), sd, runs, 1, window_years=2.0))[:, 0]
    assert np.var(lag2) == pytest.approx(sd ** 2 * (2 / 3 + 1 / 12), rel=0.03)
    assert np.all(drift_walk(np.random.default_rng(5), 0.0, 10, 5) == 1.0)


def test_window_choice_by_hand():
    # 450 entries and 450 exits a year. A 24-month window halves the Poisson variance (1/450 -> 1/900 each) and
    # doubles the drift lag (sigma^2/3 -> 2 sigma^2/3), so it wins while 1/900 > sigma^2/3: sigma < 0.0577
    assert choose_window(0.0, 0.0, 450, 450, drift_years=9) == 24
    assert choose_window(0.05, 0.05, 450, 450, drift_years=9) == 24
    assert choose_window(0.07, 0.07, 450, 450, drift_years=9) == 12
    assert choose_window(0.30, 0.0, 450, 450, drift_years=9) == 12  # one drifting rate is enough here
    # a small LA's noise buys more drift: 40 a year -> 24 months up to sigma = sqrt(3/80) = 0.19
    assert choose_window(0.15, 0.15, 40, 40, drift_years=9) == 24
    # no drift estimate (under three years of data): the shortest window
    assert choose_window(0.0, 0.0, 450, 450, drift_years=0) == 12
