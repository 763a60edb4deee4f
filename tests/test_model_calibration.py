"""Band calibration to the model's own past errors: the widening by hand, never narrowing, no data after the
origin, and the fast month-end counts against stock_on."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from careflow.errors import CareflowError
from careflow.model import calibration, fit, project
from careflow.model import episodes as epi
from careflow.model.calibration import PastErrors, band_factors, calibrate, month_end_totals, past_errors
from careflow.model.project import start_state
from careflow.model.rates import PreparedEpisodes
from episode_builder import CATS, episodes, random_episodes

END = dt.date(2025, 3, 31)


def projection_with_totals(totals: np.ndarray):
    """A real projection whose runs are replaced by ``totals`` [R, M] children, all in one cell."""
    m = fit(random_episodes(3, n=60), data_end=END)
    p = project(m, END, months=totals.shape[1], runs=len(totals), rng=np.random.default_rng(0))
    stock = np.zeros(p.stock_runs.shape)  # float: calibrated runs need not be whole children
    stock[:, :, 0, 0] = totals
    p.stock_runs = stock
    p.care_days_runs = np.zeros_like(p.care_days_runs)
    p.care_days_runs[:, :, 0] = totals * 30.0
    return p


def errors(sd_by_lead: list[float], n: int = 6, bias: float = 0.0) -> PastErrors:
    # errors of bias +- a, alternating, with a chosen so that their standard deviation (ddof 1) is sd exactly
    a = np.sqrt((n - 1) / n)
    e = np.array([[bias + r * a * (1 if i % 2 else -1) for r in sd_by_lead] for i in range(n)])
    return PastErrors(origin=END, pseudo_origins=[END] * n, log_errors=e)


def test_runs_are_spread_on_the_log_scale_around_their_median_by_hand():
    # three runs of 90, 100 and 110 children: median 100, sd of log(total + 0.5) 0.0999 (np.std by hand below);
    # past errors with sd 0.3 at lead 1 ask for k = 0.3 / 0.0999 = 3.004: log(total / 100) is multiplied by k,
    # so the runs become 100 x 0.9^k = 72.9, 100 and 100 x 1.1^k = 133.1: wider above than below, as counts are
    totals = np.array([[90.0], [100.0], [110.0]])
    p = projection_with_totals(totals)
    c = calibrate(p, errors([0.3]))
    k = 0.3 / np.log(totals[:, 0] + 0.5).std(ddof=1)
    assert c.band_factor[0] == pytest.approx(k) and k == pytest.approx(3.004, abs=0.001)
    got = c.stock_runs.sum(axis=(2, 3))[:, 0]
    np.testing.assert_allclose(got, [100 * 0.9 ** k, 100, 100 * 1.1 ** k])
    assert np.median(got) == 100  # the median (P50) does not move
    # care-days scale with the run's total; the expected values are untouched
    np.testing.assert_allclose(c.care_days_runs[:, 0, 0] / p.care_days_runs[:, 0, 0],
                               c.stock_runs[:, 0, 0, 0] / p.stock_runs[:, 0, 0, 0])
    assert np.array_equal(c.expected_stock, p.expected_stock)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), runs=st.integers(2, 60), k=st.floats(1.0, 6.0), zeros=st.integers(0, 5))
def test_calibrated_bands_leave_p50_where_the_model_puts_it(seed, runs, k, zeros):
    # skewed runs of a small LA (Poisson-like counts, some zero, an even or odd number of runs), widened by any
    # factor: P50 is unchanged, the runs keep their order, none goes below 0 and a run of 0 stays 0
    rng = np.random.default_rng(seed)
    totals = rng.poisson(rng.uniform(0.5, 40), size=(runs, 3)).astype(float)
    totals[:min(zeros, runs - 1)] = 0.0
    p = projection_with_totals(totals)
    sd = np.log(totals + 0.5).std(axis=0, ddof=1)
    c = calibrate(p, errors(list(k * np.where(sd > 0, sd, 1.0))))
    got = c.stock_runs.sum(axis=(2, 3))
    np.testing.assert_allclose(np.quantile(got, 0.5, axis=0), np.quantile(totals, 0.5, axis=0), rtol=1e-12)
    assert np.all(got >= 0) and np.all(got[totals == 0] == 0)
    for m in range(3):
        assert np.all(np.diff(got[np.argsort(totals[:, m], kind="stable"), m]) >= -1e-9)
    # the P10-P90 band is at least as wide as before
    q = np.quantile(got, [0.1, 0.9], axis=0) - np.quantile(totals, 0.5, axis=0)
    q0 = np.quantile(totals, [0.1, 0.9], axis=0) - np.quantile(totals, 0.5, axis=0)
    assert np.all(q[0] <= q0[0] + 1e-9) and np.all(q[1] >= q0[1] - 1e-9)


def test_the_bias_is_kept_apart_from_the_spread():
    # past errors of +0.10 +- 0.05: the spread asks for k = 0.05 / sd of the runs, not the rms (0.112); the bias
    # is reported and, only when asked for, moves every run by exp(0.10)
    rng = np.random.default_rng(5)
    totals = 100 * np.exp(rng.normal(0, 0.02, size=(401, 1)))
    p = projection_with_totals(totals)
    sd = np.log(totals[:, 0] + 0.5).std(ddof=1)
    rec = errors([0.05], bias=0.10)
    assert rec.bias()[0] == pytest.approx(0.10) and rec.spread()[0] == pytest.approx(0.05)
    c = calibrate(p, rec)
    assert c.band_factor[0] == pytest.approx(0.05 / sd)
    assert c.bias[0] == pytest.approx(0.10) and not c.bias_corrected
    assert np.quantile(c.stock_runs.sum(axis=(2, 3)), 0.5) == pytest.approx(np.quantile(totals, 0.5), rel=1e-12)
    cb = calibrate(p, rec, correct_bias=True)
    assert cb.bias_corrected
    np.testing.assert_allclose(cb.stock_runs.sum(axis=(2, 3)), c.stock_runs.sum(axis=(2, 3)) * np.exp(0.10))


def test_bands_are_never_narrowed_and_short_records_do_nothing():
    totals = np.array([[80.0, 80.0], [100.0, 100.0], [120.0, 120.0]])
    p = projection_with_totals(totals)
    c = calibrate(p, errors([0.001, 0.001]))  # the runs already cover these errors
    assert c.band_factor.tolist() == [1.0, 1.0] and np.array_equal(c.stock_runs, p.stock_runs)
    c = calibrate(p, errors([0.5, 0.5], n=3))  # three past errors: too few to judge
    assert c.band_factor.tolist() == [1.0, 1.0]


def test_beyond_the_record_the_last_lead_factor_holds():
    rng = np.random.default_rng(1)
    totals = 100 * np.exp(rng.normal(0, 0.05, size=(200, 1))) * np.ones((1, 5))
    p = projection_with_totals(totals)
    k = band_factors(p, errors([0.1, 0.2]))
    sd = np.log(totals[:, 0] + 0.5).std(ddof=1)
    np.testing.assert_allclose(k, [0.1 / sd, 0.2 / sd, 0.2 / sd, 0.2 / sd, 0.2 / sd])


def test_calibration_needs_runs():
    m = fit(random_episodes(3, n=60), data_end=END)
    with pytest.raises(CareflowError, match="Monte Carlo runs"):
        calibrate(project(m, END, months=3), errors([0.1]))


def test_past_errors_use_no_data_after_the_origin():
    ep = random_episodes(8, n=300, first="2018-04-01", last="2025-03-31")
    origin = dt.date(2023, 3, 31)
    a = past_errors(ep, origin, window_months=12)
    # everything after the origin changed: later entries dropped, later exits moved and re-coded
    later = ep.copy()
    later = later[later["decom"] <= pd.Timestamp(origin)]
    moved = later["dec"] > pd.Timestamp(origin)
    later.loc[moved, "dec"] = later.loc[moved, "dec"] + pd.Timedelta(days=40)
    later.loc[moved, "exit_group"] = "other"
    b = past_errors(later, origin, window_months=12)
    assert a.pseudo_origins == b.pseudo_origins and len(a.pseudo_origins) >= 4
    np.testing.assert_array_equal(a.log_errors, b.log_errors)
    # each pseudo-origin's leads stop at the origin: a quarter back has 3 leads, two quarters 6, ...
    assert np.isfinite(a.log_errors).sum(axis=1).tolist()[:4] == [3, 6, 9, 12]
    assert max(a.pseudo_origins) == dt.date(2022, 12, 31)


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 5_000))
def test_month_end_totals_match_stock_on(seed):
    ep = random_episodes(seed, n=80)
    days = [dt.date(2021, 3, 31), dt.date(2022, 9, 30), dt.date(2024, 2, 29), dt.date(2025, 3, 31)]
    assert month_end_totals(ep, days).tolist() == [len(epi.stock_on(ep, d)) for d in days]


def test_month_end_totals_count_each_child_once_by_hand(monkeypatch):
    # child a: two overlapping open episodes (counted once); b: leaves on 10 June 2024 (not in care at the end of
    # that day); c: turns 18 on 20 May 2024 (in care to the 19th); d: a short break only (never counted); e: an
    # episode recorded before the birth (counted from the day of birth)
    ep = episodes([
        dict(child="a", dob="2015-01-01", decom="2024-01-01", dec=None, category="in_house_fostering"),
        dict(child="a", dob="2015-01-01", decom="2024-03-01", dec=None, category="ifa_fostering", period=1),
        dict(child="b", dob="2012-01-01", decom="2024-02-15", dec="2024-06-10", category="in_house_fostering",
             exit_group="return_home"),
        dict(child="c", dob="2006-05-20", decom="2023-01-01", dec=None, category="external_residential"),
        dict(child="d", dob="2014-01-01", decom="2024-01-01", dec=None, category="in_house_fostering",
             short_break=True),
        dict(child="e", dob="2024-04-05", decom="2024-04-01", dec=None, category="kinship_fostering"),
    ])
    days = [dt.date(2023, 12, 31), dt.date(2024, 1, 1), dt.date(2024, 3, 31), dt.date(2024, 4, 4),
            dt.date(2024, 4, 5), dt.date(2024, 5, 19), dt.date(2024, 5, 20), dt.date(2024, 6, 9),
            dt.date(2024, 6, 10)]
    expected = [1, 2, 3, 3, 4, 4, 3, 3, 2]  # by hand from the comments above
    assert month_end_totals(ep, days).tolist() == expected
    assert [len(epi.stock_on(ep, d)) for d in days] == expected
    assert month_end_totals(ep, []).tolist() == [] and month_end_totals(ep.iloc[:0], days).tolist() == [0] * 9
    monkeypatch.setattr(calibration, "DAY_BLOCK", 2)  # the days counted a few at a time: the same counts
    assert month_end_totals(ep, days).tolist() == expected


def test_factors_do_not_dip_with_the_lead_time():
    rng = np.random.default_rng(2)
    totals = 100 * np.exp(rng.normal(0, 0.05, size=(400, 1))) * np.ones((1, 4))
    p = projection_with_totals(totals)
    sd = np.log(totals[:, 0] + 0.5).std(ddof=1)
    # the record asks for 3, 1, 2, 4 times the runs' spread: the dip at lead 2 is pooled with lead 1 (2, 2), then
    # 2 and 4 follow
    k = band_factors(p, errors([3 * sd, 1 * sd, 2 * sd, 4 * sd]))
    np.testing.assert_allclose(k, [2.0, 2.0, 2.0, 4.0])


def test_the_last_lead_factor_holds_however_the_runs_spread_later():
    # the runs' spread keeps growing after the record ends (lead 2): the factor at lead 2 is held, not pooled with
    # the smaller ratios the growing spread would give
    rng = np.random.default_rng(3)
    z = rng.normal(0, 1, size=(400, 1))
    totals = 100 * np.exp(z * np.array([[0.02, 0.02, 0.1, 0.2]]))
    p = projection_with_totals(totals)
    sd = np.log(totals + 0.5).std(axis=0, ddof=1)
    k = band_factors(p, errors([0.05, 0.05]))
    np.testing.assert_allclose(k, [0.05 / sd[0], 0.05 / sd[1], 0.05 / sd[1], 0.05 / sd[1]], rtol=0.02)


@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 5_000))
def test_refits_on_prepared_episodes_equal_fits_on_the_censored_episodes(seed):
    # past_errors refits at many data ends on arrays prepared once (PreparedEpisodes, censored by masks): each
    # refit must be the fit of the episodes censored at its data end, array for array
    # and a child whose period has a gap between two episodes, the first with an exit reason: on 30 June 2022 its
    # first episode is the last seen of the period (an exit), later it is a move
    gap = episodes([dict(child="gap", dob="2010-01-01", decom="2021-01-01", dec="2022-06-20",
                         category="in_house_fostering", exit_group="return_home"),
                    dict(child="gap", dob="2010-01-01", decom="2022-07-10", category="ifa_fostering")])
    ep = pd.concat([random_episodes(seed, n=90), gap], ignore_index=True)
    prepared = PreparedEpisodes(epi.with_clocks(epi.usable(ep)))
    for end in (dt.date(2022, 6, 30), dt.date(2023, 12, 31), END):
        for options in ({}, {"duration": "placement", "duration_months": (1, 6)}, {"duration": None, "trend": True}):
            a = fit(ep, data_end=end, window_months=12, **options)
            b = fit(ep, data_end=end, window_months=12, prepared=prepared, **options)
            for name in ("exposure", "events", "alpha", "beta", "entry_events", "entry_alpha", "entry_beta",
                         "entry_age_pmf"):
                assert np.array_equal(getattr(a, name), getattr(b, name)), name
            assert (a.entry_drift, a.exit_drift, a.drift_years, a.trend_per_month, a.warnings) == (
                b.entry_drift, b.exit_drift, b.drift_years, b.trend_per_month, b.warnings)
            # the refit's starting children come from the prepared episodes: the same as stock_on gives
            assert np.array_equal(start_state(b, end), start_state(b, end, ep))


def test_starting_children_from_prepared_episodes_by_hand():
    # two children in care on 31 March 2025, "one" since 1 January 2024 (aged 10 years 2 months, 14 months in
    # care), "two" since 1 May 2021 (13 years 2 months, 46 months); the prepared episodes give stock_on's children
    # ("one" also has an older episode left open, in an earlier period: stock_on keeps the latest started)
    ep = episodes([dict(child="one", dob="2015-01-01", decom="2024-01-01", category="ifa_fostering", period=1),
                   dict(child="one", dob="2015-01-01", decom="2023-06-01", category="kinship_fostering"),
                   dict(child="two", dob="2012-01-01", decom="2021-05-01", category="ifa_fostering"),
                   dict(child="old", dob="2006-01-01", decom="2021-05-01", category="ifa_fostering")])
    got = PreparedEpisodes(epi.with_clocks(epi.usable(ep))).in_care(END, CATS)
    st = epi.stock_on(ep, END).set_index("child").loc[["one", "two"]]  # in the prepared table's order
    assert got["age_months"].tolist() == st["age_months"].tolist() == [122, 158]
    assert got["months_in_care"].tolist() == st["months_in_care"].tolist() == [14, 46]
    assert got["category"].tolist() == [CATS.index("ifa_fostering")] * 2
    # a child with two episodes open from the same day: which one is its placement is stock_on's choice
    two = pd.concat([ep, episodes([dict(child="two", dob="2012-01-01", decom="2021-05-01",
                                        category="kinship_fostering", period=1)])], ignore_index=True)
    assert PreparedEpisodes(epi.with_clocks(epi.usable(two))).in_care(END, CATS) is None
    model = fit(two, data_end=END, window_months=12, prepared=PreparedEpisodes(epi.with_clocks(epi.usable(two))))
    assert np.array_equal(start_state(model, END), start_state(model, END, two))


def test_a_category_unknown_only_after_the_data_end_does_not_stop_an_earlier_refit():
    ep = random_episodes(4, n=60)
    late = ep["decom"] > pd.Timestamp("2024-06-30")
    ep.loc[late, "category"] = "mystery"
    prepared = PreparedEpisodes(epi.with_clocks(epi.usable(ep)))
    early = fit(ep, data_end=dt.date(2024, 6, 30), window_months=12, prepared=prepared)
    assert np.array_equal(early.events, fit(ep, data_end=dt.date(2024, 6, 30), window_months=12).events)
    with pytest.raises(CareflowError, match="mystery"):
        fit(ep, data_end=END, window_months=12, prepared=prepared)
