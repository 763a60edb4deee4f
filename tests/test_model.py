"""The child-level demand model on hand-made episodes: rates by hand, conservation, leaving at 18, Monte Carlo
against expected values, adjustments, and no NaN/inf/negative from empty states."""

from __future__ import annotations

import copy
import datetime as dt

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from careflow.errors import CareflowError
from careflow.model import ExtraExit, FlowChanges, Move, fit, project
from careflow.model.states import DEFAULT_CATEGORIES, MAX_AGE_MONTHS
from episode_builder import episodes, random_episodes

END = dt.date(2025, 3, 31)  # a 12-month window 1 April 2024 - 31 March 2025: 365 days
B10_16 = 3
IFA = DEFAULT_CATEGORIES.index("ifa_fostering")
IN_HOUSE = DEFAULT_CATEGORIES.index("in_house_fostering")
RETURN_HOME = len(DEFAULT_CATEGORIES) + 3  # outcomes: categories, then adoption, sgo, cao, return_home...


def test_days_at_risk_and_events_by_hand():
    ep = episodes([
        # in care all window, aged 12: 365 days in 10-16 x IFA
        dict(child="a", dob="2012-06-15", decom="2023-01-01", dec=None, category="ifa_fostering"),
        # leaves home on 1 Oct 2024: 1 Apr to 1 Oct = 183 days, one return-home exit
        dict(child="b", dob="2012-06-15", decom="2023-01-01", dec="2024-10-01", category="ifa_fostering",
             exit_group="return_home", rec="E13"),
        # turns 10 on 1 Oct 2024: 183 days in 5-10, 182 in 10-16, all in-house
        dict(child="c", dob="2014-10-01", decom="2022-05-01", dec=None, category="in_house_fostering"),
        # entered 1 Jan 2025 aged 12 (an entry), moved to in-house on 1 Feb 2025 (31 days IFA), 59 days in-house
        dict(child="d", dob="2012-06-15", decom="2025-01-01", dec="2025-02-01", category="ifa_fostering", rec="X1"),
        dict(child="d", dob="2012-06-15", decom="2025-02-01", dec=None, category="in_house_fostering"),
        # before the window: not counted
        dict(child="e", dob="2012-06-15", decom="2020-01-01", dec="2021-01-01", category="ifa_fostering",
             exit_group="adoption"),
    ])
    m = fit(ep, data_end=END, window_months=12, duration=None)  # one duration class: cells are age band x category
    assert (m.window_start, m.window_end) == (dt.date(2024, 4, 1), END)
    assert m.exposure[B10_16, IFA] == 365 + 183 + 31
    assert m.exposure[2, IN_HOUSE] == 183
    assert m.exposure[B10_16, IN_HOUSE] == 182 + 59
    assert m.exposure.sum() == 365 + 183 + 365 + 31 + 59
    assert m.events[B10_16, IFA, RETURN_HOME] == 1
    assert m.events[B10_16, IFA, IN_HOUSE] == 1
    assert m.events.sum() == 2
    assert m.entry_events[B10_16, IFA] == 1 and m.entry_events.sum() == 1


def test_rates_are_events_over_days_when_data_are_plentiful():
    # 200 children aged 12 in IFA all year, 50 of whom go home on 1 Oct 2024: 50 / (150*365 + 50*183) per day
    rows = [dict(child=i, dob="2012-06-15", decom="2023-01-01", dec=None, category="ifa_fostering")
            for i in range(150)]
    rows += [dict(child=f"x{i}", dob="2012-06-15", decom="2023-01-01", dec="2024-10-01", category="ifa_fostering",
                  exit_group="return_home") for i in range(50)]
    m = fit(episodes(rows), data_end=END)
    by_hand = 50 / (150 * 365 + 50 * 183)
    assert m.hazards[B10_16, IFA, RETURN_HOME] == pytest.approx(by_hand, rel=0.02)


def test_no_rate_is_nan_infinite_or_zero_for_lack_of_data():
    ep = episodes([dict(child="a", dob="2012-06-15", decom="2023-01-01", dec=None, category="ifa_fostering")])
    m = fit(ep, data_end=END)
    h = m.hazards
    off_diagonal = m.alpha > 0
    assert np.all(np.isfinite(h)) and np.all(h[off_diagonal] > 0)
    assert np.all(np.isfinite(m.entry_rates)) and np.all(m.entry_rates > 0)
    p = project(m, END, months=24, runs=50, rng=np.random.default_rng(0))
    for arr in (p.expected_stock, p.expected_care_days, p.expected_exits, p.stock_runs, p.care_days_runs):
        assert np.all(np.isfinite(arr)) and np.all(arr >= 0)
    t = p.stock_table()
    assert not t[["mean", "p10", "p50", "p90"]].isna().any().any()


def test_stock_changes_only_by_entries_and_exits():
    m = fit(random_episodes(1), data_end=END)
    p = project(m, END, months=36, runs=40, rng=np.random.default_rng(3))
    before = np.concatenate([[p.start_stock.sum()], p.expected_stock.sum(axis=(1, 2))[:-1]])
    change = p.expected_entries.sum(axis=(1, 2)) - p.expected_exits.sum(axis=(1, 2))
    np.testing.assert_allclose(p.expected_stock.sum(axis=(1, 2)), before + change, rtol=1e-9, atol=1e-9)
    runs = p.stock_runs.sum(axis=(2, 3))
    before = np.concatenate([np.full((40, 1), p.start_stock.sum()), runs[:, :-1]], axis=1)
    assert np.array_equal(runs, before + p.entries_runs.sum(axis=2) - p.exits_runs.sum(axis=(2, 3)))


def test_nobody_stays_in_care_past_18():
    m = fit(random_episodes(2), data_end=END)
    m.entry_alpha = np.zeros_like(m.entry_alpha)  # no entrants, so every exit is one of the ten
    stock = np.zeros((MAX_AGE_MONTHS, len(DEFAULT_CATEGORIES)))
    stock[MAX_AGE_MONTHS - 1, IFA] = 10  # ten children aged 17 years 11 months
    p = project(m, END, months=3, runs=30, rng=np.random.default_rng(1), stock=stock)
    assert p.exits_runs[:, 0].sum(axis=(1, 2)).tolist() == [10] * 30  # all ten leave in the first month
    adult = p.exit_groups.index("adulthood")
    assert p.expected_exits[0].sum() == pytest.approx(10)
    assert p.expected_exits[0, IFA, adult] > 9  # almost all by reaching 18


@settings(max_examples=5, deadline=None)
@given(seed=st.integers(0, 10_000), months=st.integers(3, 24))
def test_monte_carlo_mean_matches_expected_values(seed, months):
    m = fit(random_episodes(seed, n=150), data_end=END)
    runs = 400
    p = project(m, END, months=months, runs=runs, rng=np.random.default_rng(seed), parameter_uncertainty=False)
    total = p.stock_runs.sum(axis=(2, 3)).astype(float)  # [R, M]
    se = total.std(axis=0, ddof=1) / np.sqrt(runs)
    assert np.all(np.abs(total.mean(axis=0) - p.expected_stock.sum(axis=(1, 2))) <= 4.5 * se + 0.05)
    cd = p.care_days_runs.sum(axis=(1, 2))
    assert abs(cd.mean() - p.expected_care_days.sum()) <= 4.5 * cd.std(ddof=1) / np.sqrt(runs) + 1


def test_same_seed_same_runs():
    m = fit(random_episodes(5), data_end=END)
    a = project(m, END, months=12, runs=20, rng=np.random.default_rng(9))
    b = project(m, END, months=12, runs=20, rng=np.random.default_rng(9))
    assert np.array_equal(a.stock_runs, b.stock_runs)


# --- adjustments -------------------------------------------------------------------------------------------------

class Scripted:
    """An adjustment that applies ``changes`` in the first month only."""

    def __init__(self, changes: FlowChanges):
        self._changes = changes

    def changes(self, step):
        return self._changes if step.index == 0 else FlowChanges()


@pytest.fixture(scope="module")
def quiet_model():
    # 1,000 children in IFA all year with no events; hazards then scaled to almost nothing, so that any change in
    # the first month is the adjustment's alone
    rows = [dict(child=i, dob="2012-06-15", decom="2023-01-01", dec=None, category="ifa_fostering")
            for i in range(1000)]
    model = fit(episodes(rows), data_end=END)
    model.alpha = model.alpha * 1e-9
    return model


def test_entry_multiplier_scales_entries(quiet_model):
    base = project(quiet_model, END, months=2)
    cut = project(quiet_model, END, months=2, adjustment=Scripted(FlowChanges(entry_multiplier=0.75)))
    np.testing.assert_allclose(cut.expected_entries[0], 0.75 * base.expected_entries[0])
    np.testing.assert_allclose(base.expected_stock[0].sum() - cut.expected_stock[0].sum(),
                               0.25 * base.expected_entries[0].sum())


def test_move_and_extra_exit_change_the_projection_as_by_hand(quiet_model):
    ch = FlowChanges(moves=[Move("ifa_fostering", "in_house_fostering", 2)],
                     extra_exits=[ExtraExit("ifa_fostering", "sgo", 3)])
    base = project(quiet_model, END, months=2, runs=25, rng=np.random.default_rng(4))
    scen = project(quiet_model, END, months=2, runs=25, rng=np.random.default_rng(4), adjustment=Scripted(ch))
    d = (scen.expected_stock - base.expected_stock).sum(axis=1)[0]  # by category, month 0
    assert d[IN_HOUSE] == pytest.approx(2, abs=0.01) and d[IFA] == pytest.approx(-5, abs=0.01)
    sgo = scen.exit_groups.index("sgo")
    assert scen.expected_exits[0, IFA, sgo] - base.expected_exits[0, IFA, sgo] == pytest.approx(3)
    # whole children in every run, and the same random numbers: exactly 2 moved and 3 left in each run
    dr = (scen.stock_runs - base.stock_runs).sum(axis=2)[:, 0]
    assert (dr[:, IN_HOUSE] == 2).all() and (dr[:, IFA] == -5).all()
    # care-days: moves and extra exits happen on the first day of the month, so in both engines the moved
    # children count all month (April 2025: 30 days) in in-house fostering and the leavers not at all
    d_days = base.days[0]
    assert d_days == 30
    dc = scen.expected_care_days[0] - base.expected_care_days[0]
    assert dc[IN_HOUSE] == pytest.approx(2 * d_days, abs=0.1) and dc[IFA] == pytest.approx(-5 * d_days, abs=0.1)
    drc = (scen.care_days_runs - base.care_days_runs)[:, 0]
    assert (drc[:, IN_HOUSE] == 2 * d_days).all() and (drc[:, IFA] == -5 * d_days).all()


def test_cap_removes_children_and_reports_them(quiet_model):
    scen = project(quiet_model, END, months=1, runs=10, rng=np.random.default_rng(2),
                   adjustment=Scripted(FlowChanges(caps={"ifa_fostering": 900})))
    assert scen.expected_stock[0, :, IFA].sum() == pytest.approx(900)
    assert scen.expected_capped[0, IFA] == pytest.approx(100 + scen.expected_entries[0, :, IFA].sum(), abs=0.05)
    assert (scen.stock_runs[:, 0, :, IFA].sum(axis=1) == 900).all()
    assert (scen.capped_runs[:, 0, IFA] >= 100).all()


class CapEveryMonth:
    def __init__(self, caps):
        self._caps = caps

    def changes(self, step):
        return FlowChanges(caps=self._caps)


def test_caps_keep_children_conserved_run_by_run():
    # a cap that binds every month, entrants among those capped: each run's stock changes only by its entries,
    # exits and the children the cap removed, and the capped category ends at the cap
    m = fit(random_episodes(7, n=300), data_end=END)
    p = project(m, END, months=12, runs=30, rng=np.random.default_rng(4), adjustment=CapEveryMonth({"ifa_fostering": 5}))
    runs = p.stock_runs.sum(axis=(2, 3))
    before = np.concatenate([np.full((30, 1), p.start_stock.sum()), runs[:, :-1]], axis=1)
    change = p.entries_runs.sum(axis=2) - p.exits_runs.sum(axis=(2, 3)) - p.capped_runs.sum(axis=2)
    assert p.capped_runs.sum() > 0
    assert np.array_equal(runs, before + change)
    assert (p.stock_runs[:, :, :, IFA].sum(axis=2) <= 5).all()


def test_unknown_category_in_an_adjustment_is_a_clear_error(quiet_model):
    with pytest.raises(CareflowError, match="unknown category 'fostering'"):
        project(quiet_model, END, months=1, adjustment=Scripted(FlowChanges(moves=[Move("fostering", "other", 1)])))


def test_window_with_no_data_is_a_clear_error():
    ep = episodes([dict(child="a", dob="2012-06-15", decom="2023-01-01", dec=None, category="ifa_fostering")])
    with pytest.raises(CareflowError, match="nothing to fit"):
        fit(ep, data_end=dt.date(2019, 3, 31))


def test_unknown_category_in_the_data_is_a_clear_error():
    ep = episodes([dict(child="a", dob="2012-06-15", decom="2023-01-01", dec=None, category="foster")])
    with pytest.raises(CareflowError, match="foster"):
        fit(ep, data_end=END)


def test_end_before_start_is_a_clear_error(quiet_model):
    with pytest.raises(CareflowError, match="must be after"):
        project(quiet_model, END, dt.date(2024, 1, 1))


def test_days_at_risk_split_by_time_in_care_by_hand():
    ep = episodes([
        # in care from 1 Jan 2024: under 12 months until 1 Jan 2025 (275 days in the window), then 90 days
        dict(child="a", dob="2012-06-15", decom="2024-01-01", dec="2024-06-01", category="ifa_fostering", rec="X1"),
        dict(child="a", dob="2012-06-15", decom="2024-06-01", dec=None, category="in_house_fostering"),
    ])
    care = fit(ep, data_end=END, duration="care", duration_months=12)
    B = care.age_bands.n
    assert care.exposure[B10_16, IFA] == 61 and care.exposure[B10_16, IN_HOUSE] == 275 - 61
    assert care.exposure[B + B10_16, IN_HOUSE] == 90
    assert care.events[B10_16, IFA, IN_HOUSE] == 1  # the move came 5 months into care
    # in placement: the in-house placement began 1 Jun 2024, so all 304 in-house days are in its first year
    placement = fit(ep, data_end=END, duration="placement", duration_months=12)
    assert placement.exposure[B10_16, IN_HOUSE] == 304 and placement.exposure[B:].sum() == 0


@pytest.mark.parametrize("duration", ["care", "placement"])
def test_time_as_a_factor_keeps_conservation_and_monte_carlo_agreement(duration):
    m = fit(random_episodes(11, n=150), data_end=END, duration=duration, duration_months=6)
    runs = 300
    p = project(m, END, months=18, runs=runs, rng=np.random.default_rng(2), parameter_uncertainty=False)
    before = np.concatenate([[p.start_stock.sum()], p.expected_stock.sum(axis=(1, 2))[:-1]])
    change = p.expected_entries.sum(axis=(1, 2)) - p.expected_exits.sum(axis=(1, 2))
    np.testing.assert_allclose(p.expected_stock.sum(axis=(1, 2)), before + change, rtol=1e-9, atol=1e-9)
    total = p.stock_runs.sum(axis=(2, 3)).astype(float)
    se = total.std(axis=0, ddof=1) / np.sqrt(runs)
    assert np.all(np.abs(total.mean(axis=0) - p.expected_stock.sum(axis=(1, 2))) <= 4.5 * se + 0.05)


def test_entrants_face_exit_hazards_in_their_first_month_by_hand(quiet_model):
    # One entry a day into IFA aged 10-16, a return-home hazard of 1/30 a day, no other events; April 2025 has 30
    # days. Entrants arrive evenly through the month and face the hazard for the rest of it, so a share
    # (1 - e^-1) / 1 = 0.632 of the 30 are still in care on 30 April: 18.96, and 11.04 have gone home.
    m = copy.copy(quiet_model)
    m.alpha = np.where(m.alpha > 0, 1e-12, 0.0)
    m.alpha[:, :, RETURN_HOME] = 1.0
    m.beta = np.where(m.alpha >= 1, 30.0, 1.0)
    m.entry_alpha = np.zeros_like(m.entry_alpha)
    m.entry_alpha[B10_16, IFA] = 1.0
    m.entry_beta = np.ones_like(m.entry_beta)
    stock = np.zeros((MAX_AGE_MONTHS, len(DEFAULT_CATEGORIES)))
    p = project(m, END, months=1, stock=stock, runs=400, rng=np.random.default_rng(5), parameter_uncertainty=False)
    stay = 1 - np.exp(-1.0)
    assert p.expected_entries[0].sum() == pytest.approx(30)
    assert p.expected_stock[0].sum() == pytest.approx(30 * stay, rel=1e-6)
    assert p.expected_exits[0, IFA, p.exit_groups.index("return_home")] == pytest.approx(30 * (1 - stay), rel=1e-6)
    # Monte Carlo: whole children, the same shares within sampling error (binomial given the Poisson entries)
    entered = p.entries_runs[:, 0].sum(axis=1)
    left = p.exits_runs[:, 0].sum(axis=(1, 2))
    assert np.array_equal(p.stock_runs[:, 0].sum(axis=(1, 2)), entered - left)
    share = left.sum() / entered.sum()
    assert abs(share - (1 - stay)) < 4 * np.sqrt(stay * (1 - stay) / entered.sum())


def test_several_duration_cuts_give_one_hazard_class_each_by_hand():
    ep = episodes([
        # in care from 1 Jan 2025: January in the first month (0-1m), February and March in 1-3m; moved on 1 Mar
        dict(child="a", dob="2012-06-15", decom="2025-01-01", dec="2025-03-01", category="ifa_fostering", rec="X1"),
        dict(child="a", dob="2012-06-15", decom="2025-03-01", dec=None, category="in_house_fostering"),
        # in care since 2020: every window day in the 12m+ class; home on 1 Oct 2024
        dict(child="b", dob="2012-06-15", decom="2020-01-01", dec="2024-10-01", category="ifa_fostering",
             exit_group="return_home", rec="E13"),
    ])
    m = fit(ep, data_end=END, duration="care", duration_months=[1, 3, 12])
    B = m.age_bands.n
    assert m.duration_classes == 4 and m.duration_states == 13
    assert m.exposure[B10_16, IFA] == 31 and m.exposure[B + B10_16, IFA] == 28
    assert m.exposure[B + B10_16, IN_HOUSE] == 31 and m.exposure[3 * B + B10_16, IFA] == 183
    assert m.events[B + B10_16, IFA, IN_HOUSE] == 1  # the move two months into care
    assert m.events[3 * B + B10_16, IFA, RETURN_HOME] == 1
    assert m.group_labels()[B + B10_16] == "10-16, care 1-3m"
    assert m.duration_class(np.array([0, 1, 2, 3, 11, 12, 40])).tolist() == [0, 1, 1, 2, 2, 3, 3]


@pytest.mark.parametrize("bad", [0, [3, 3], [6, 1], [1.5], "12", [True]])
def test_bad_duration_cuts_are_a_clear_error(bad):
    ep = episodes([dict(child="a", dob="2012-06-15", decom="2023-01-01", dec=None, category="ifa_fostering")])
    with pytest.raises(CareflowError, match="duration_months"):
        fit(ep, data_end=END, duration="care", duration_months=bad)


def first_month_only(model):
    """``model`` with a return-home hazard of 1/30 a day in the first month in care and (almost) none after it."""
    m = copy.copy(model)
    B = m.age_bands.n
    assert m.duration == "care" and m.duration_cuts == (1,)
    m.alpha = np.where(m.alpha > 0, 1e-12, 0.0)
    m.beta = np.ones_like(m.beta)
    m.alpha[:B, :, RETURN_HOME] = 1.0  # groups 0..B-1: the first month in care
    m.beta[:B, :, RETURN_HOME] = 30.0
    return m


class EntriesInTheFirstMonthOnly:
    def changes(self, step):
        return FlowChanges() if step.index == 0 else FlowChanges(entry_multiplier=0.0)


def test_the_first_month_in_care_lasts_one_month_by_hand(quiet_model):
    # One entry a day into IFA aged 10-16 in April 2025 (30 days) and none after; a return-home hazard of 1/30 a
    # day in the first month in care, none later. Whatever day a child arrives, its first month lasts 30 days
    # (to the same day of May), so e^-1 = 36.8% of the entrants are still in care at the end of May and stay.
    m = first_month_only(quiet_model)
    m.entry_alpha = np.zeros_like(m.entry_alpha)
    m.entry_alpha[B10_16, IFA] = 1.0
    m.entry_beta = np.ones_like(m.entry_beta)
    stock = np.zeros((MAX_AGE_MONTHS, len(DEFAULT_CATEGORIES)))
    p = project(m, END, months=3, stock=stock, runs=1000, rng=np.random.default_rng(3), parameter_uncertainty=False,
                adjustment=EntriesInTheFirstMonthOnly())
    entered = p.expected_entries[0].sum()
    assert entered == pytest.approx(30) and p.expected_entries[1:].sum() == 0
    kept = p.expected_stock.sum(axis=(1, 2)) / entered
    assert kept[1] == pytest.approx(np.exp(-1), abs=0.005)  # end of May
    assert kept[2] == pytest.approx(kept[1], abs=1e-6)  # nothing happens after the first month
    # Monte Carlo: each run's entrants are whole children; the pooled share within sampling error, and within
    # half a point of e^-1
    n = p.entries_runs[:, 0].sum()
    share = p.stock_runs[:, 1].sum() / n
    assert abs(share - np.exp(-1)) < max(4 * np.sqrt(np.exp(-1) * (1 - np.exp(-1)) / n), 0.005)


def test_children_in_their_first_month_at_the_start_finish_it_by_hand():
    # 1,000 children long in care, and ten who came into care on each day of March 2025. On 31 March (the start)
    # those who came on 1 March have just finished their first month; one who came on day x has x - 1 days of it
    # left in April (29 for 31 March: its first month ends on 30 April). With a hazard of 1/30 a day in the first
    # month only, exp(-(x - 1) / 30) of them are in care at the end of April.
    rows = [dict(child=i, dob="2012-06-15", decom="2023-01-01", dec=None, category="ifa_fostering")
            for i in range(1000)]
    rows += [dict(child=f"m{x}-{k}", dob="2012-06-15", decom=f"2025-03-{x:02d}", dec=None, category="ifa_fostering")
             for x in range(1, 32) for k in range(10)]
    m = first_month_only(fit(episodes(rows), data_end=END))
    m.entry_alpha = np.zeros_like(m.entry_alpha)
    p = project(m, END, months=2, runs=400, rng=np.random.default_rng(4), parameter_uncertainty=False)
    kept = 10 * sum(np.exp(-min(x - 1, 29) / 30) for x in range(1, 32))  # 192.9 of the 310
    assert p.start_stock.sum() == 1310
    assert p.expected_stock[0].sum() - 1000 == pytest.approx(kept, rel=1e-6)
    assert p.expected_stock[1].sum() == pytest.approx(p.expected_stock[0].sum(), abs=1e-6)
    gone = 1310 - p.stock_runs[:, 0].sum(axis=(1, 2))
    assert abs(gone.mean() - (310 - kept)) < 4 * gone.std(ddof=1) / np.sqrt(len(gone))
