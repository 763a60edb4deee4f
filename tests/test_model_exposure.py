"""Person-days at risk (:class:`careflow.model.rates.Exposure`): by hand across age-band boundaries and window
edges, and against a day-by-day count."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from careflow.model.rates import Exposure
from careflow.model.states import age_bands, make_age_bands
from episode_builder import episodes

CATS = ("ifa_fostering", "in_house_fostering")
BANDS = age_bands()  # 0-1, 1-5, 5-10, 10-16, 16-18


def test_days_across_a_band_boundary_and_both_window_edges_by_hand():
    ep = episodes([
        # in care 1 Mar 2024 - 10 Jun 2025, turns 16 on 15 Oct 2024: in the window 1 Apr 2024 - 31 Mar 2025,
        # 1 Apr - 14 Oct 2024 aged 15 (197 days, 10-16), 15 Oct 2024 - 31 Mar 2025 aged 16 (168 days, 16-18)
        dict(child="a", dob="2008-10-15", decom="2024-03-01", dec="2025-06-10", category="ifa_fostering"),
        # starts on the window's last day: 1 day; the day it ends (DEC) is not a day in care
        dict(child="b", dob="2016-01-01", decom="2025-03-31", dec=None, category="in_house_fostering"),
        dict(child="c", dob="2015-01-01", decom="2024-03-01", dec="2024-04-01", category="in_house_fostering"),
    ])
    days = Exposure(ep, BANDS, CATS).days(pd.Timestamp("2024-04-01"), pd.Timestamp("2025-03-31"))
    assert days[3, 0] == 197 and days[4, 0] == 168
    assert days[2, 1] == 1  # b (aged 9) has one day; c ended on the window's first day, so c adds nothing
    assert days.sum() == 365 + 1


def test_one_exposure_serves_many_windows():
    ep = episodes([dict(child="a", dob="2008-10-15", decom="2023-01-01", dec="2025-06-10",
                        category="ifa_fostering")])
    exp = Exposure(ep, BANDS, CATS)
    # calendar 2023: aged 14-15 all year; 2024 (leap year): 288 days before the 16th birthday, 78 after
    assert exp.days(pd.Timestamp("2023-01-01"), pd.Timestamp("2023-12-31"))[3, 0] == 365
    d24 = exp.days(pd.Timestamp("2024-01-01"), pd.Timestamp("2024-12-31"))
    assert (d24[3, 0], d24[4, 0]) == (288, 78)
    # a window wholly before the episode, and one after it
    assert exp.days(pd.Timestamp("2020-01-01"), pd.Timestamp("2022-12-31")).sum() == 0
    assert exp.days(pd.Timestamp("2025-06-10"), pd.Timestamp("2026-03-31")).sum() == 0


def test_leap_day_birthday_moves_band_on_28_february():
    ep = episodes([dict(child="a", dob="2008-02-29", decom="2017-04-01", dec=None, category="ifa_fostering")])
    days = Exposure(ep, BANDS, CATS).days(pd.Timestamp("2018-02-01"), pd.Timestamp("2018-03-31"))
    assert days[2, 0] == 27 and days[3, 0] == 59 - 27  # tenth birthday taken as 28 Feb 2018


def test_duration_classes_split_at_the_clock():
    ep = episodes([dict(child="a", dob="2012-06-15", decom="2024-01-01", dec=None, category="ifa_fostering")])
    ep["care_start"] = ep["decom"]
    days = Exposure(ep, BANDS, CATS, duration="care", duration_cuts=(6,)).days(
        pd.Timestamp("2024-04-01"), pd.Timestamp("2025-03-31"))
    # six months in care on 1 Jul 2024: 91 days before in the window, 274 after
    assert days[3, 0] == 91 and days[BANDS.n + 3, 0] == 274


def test_several_duration_cuts_split_the_days_between_them():
    ep = episodes([dict(child="a", dob="2012-06-15", decom="2024-01-01", dec="2025-02-10", category="ifa_fostering")])
    ep["care_start"] = ep["decom"]
    days = Exposure(ep, BANDS, CATS, duration="care", duration_cuts=(1, 3, 6, 12)).days(
        pd.Timestamp("2024-01-01"), pd.Timestamp("2025-03-31"))
    # by hand: Jan (31 days, 0-1m), Feb-Mar (29 + 31, 1-3m), Apr-Jun (30 + 31 + 30, 3-6m), Jul-Dec (184, 6-12m),
    # 1 Jan to 9 Feb 2025 (40, 12m+); aged 11-12 throughout, so all in the 10-16 band
    assert days.reshape(5, BANDS.n, -1)[:, 3, 0].tolist() == [31, 60, 91, 184, 40]
    assert days.sum() == (pd.Timestamp("2025-02-10") - pd.Timestamp("2024-01-01")).days


def _by_day(row, bands, w0: dt.date, w1: dt.date) -> np.ndarray:
    """Count each day one at a time: in care from DECOM to the day before DEC, in the band of the latest
    birthday reached (a 29 February birthday falls on 28 February, as pandas' month offsets do)."""
    out = np.zeros(bands.n)
    dob = row["dob"]
    starts = [(dob + pd.DateOffset(months=int(x * 12))).date() for x in bands.lower]
    eighteen = (dob + pd.DateOffset(months=int(bands.upper[-1] * 12))).date()
    end = row["dec"].date() if pd.notna(row["dec"]) else dt.date.max
    day = max(row["decom"].date(), w0)
    while day <= w1 and day < end:
        if starts[0] <= day < eighteen:
            out[max(i for i, s in enumerate(starts) if s <= day)] += 1
        day += dt.timedelta(days=1)
    return out


@settings(max_examples=25, deadline=None)
@given(dob=st.dates(dt.date(2000, 1, 1), dt.date(2020, 12, 31)),
       start=st.integers(0, 900), length=st.one_of(st.none(), st.integers(1, 900)),
       w_start=st.integers(0, 900), w_length=st.integers(1, 400))
def test_days_match_a_day_by_day_count(dob, start, length, w_start, w_length):
    origin = dt.date(2014, 1, 1)
    decom = max(origin + dt.timedelta(days=start), dob)
    dec = decom + dt.timedelta(days=length) if length else None
    ep = episodes([dict(child="a", dob=str(dob), decom=str(decom), dec=str(dec) if dec else None,
                        category="in_house_fostering")])
    w0 = origin + dt.timedelta(days=w_start)
    w1 = w0 + dt.timedelta(days=w_length - 1)
    bands = make_age_bands({"0-1": (0, 1), "1-10": (1, 10), "10-18": (10, 18)})
    got = Exposure(ep, bands, CATS).days(pd.Timestamp(w0), pd.Timestamp(w1))
    assert got[:, 0].sum() == 0
    assert np.array_equal(got[:, 1], _by_day(ep.iloc[0], bands, w0, w1))


def test_category_index_looks_up_each_value_and_names_unknown_and_missing_ones():
    from careflow.errors import CareflowError
    from careflow.model.episodes import category_index

    got = category_index(pd.Series(["in_house_fostering", "ifa_fostering", "in_house_fostering"], dtype="str"), CATS)
    assert got.tolist() == [1, 0, 1] and got.dtype == np.int64
    assert category_index(pd.Series([], dtype="str"), CATS).tolist() == []
    with pytest.raises(CareflowError, match=r"not in the model's list: None, secure \(known: ifa_fostering, "):
        category_index(pd.Series(["ifa_fostering", "secure", None], dtype="object"), CATS)


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_clocks_on_integers_agree_with_the_pandas_sort_and_groupby(seed):
    from careflow.model.episodes import with_clocks
    from episode_builder import random_episodes

    ep = random_episodes(seed, n=60).sample(frac=1.0, random_state=seed)  # shuffled
    ep = pd.concat([ep, ep.iloc[:5]])  # rows tied on child, period and start
    fast = with_clocks(ep)
    slow = with_clocks(ep.astype({"period": "Int64"}))  # extension dtype: the plain pandas path
    pd.testing.assert_frame_equal(fast, slow.astype({"period": "int64"}), check_exact=True)


def test_clocks_by_hand():
    from careflow.model.episodes import with_clocks

    ep = episodes([
        dict(child="b", dob="2012-06-15", decom="2024-03-01", dec=None, category="ifa_fostering", period=1),
        dict(child="b", dob="2012-06-15", decom="2023-01-01", dec="2023-02-01", category="ifa_fostering"),
        dict(child="a", dob="2012-06-15", decom="2024-02-01", dec=None, category="ifa_fostering"),
        dict(child="a", dob="2012-06-15", decom="2024-01-01", dec="2024-02-01", category="in_house_fostering"),
        dict(child="a", dob="2012-06-15", decom="2023-12-01", dec="2024-01-01", category="in_house_fostering"),
    ])
    got = with_clocks(ep)
    assert got["child"].tolist() == ["a", "a", "a", "b", "b"]
    assert got["care_start"].dt.strftime("%Y-%m-%d").tolist() == ["2023-12-01"] * 3 + ["2023-01-01", "2024-03-01"]
    assert got["placement_start"].dt.strftime("%Y-%m-%d").tolist() == [
        "2023-12-01", "2023-12-01", "2024-02-01", "2023-01-01", "2024-03-01"]


@settings(max_examples=50, deadline=None)
@given(days=st.lists(st.integers(-40_000, 60_000), min_size=1, max_size=20), seconds=st.integers(0, 86_399))
def test_calendar_fields_are_pandas_fields(days, seconds):
    # age_months reads year, month and day from the dates' array: the numbers the index's fields give, before
    # 1970 too, with a time of day, in other units and with a time zone
    from careflow.model.episodes import year_month_day

    index = pd.DatetimeIndex(pd.to_datetime(days, unit="D") + pd.Timedelta(seconds=seconds))
    for x in (index, index.as_unit("s"), index.tz_localize("UTC").tz_convert("Europe/London")):
        want = [np.asarray(v, dtype=np.int64) for v in (x.year, x.month, x.day)]
        assert all(np.array_equal(g, w) for g, w in zip(year_month_day(x), want, strict=True))


@settings(max_examples=50, deadline=None)
@given(days=st.lists(st.integers(-40_000, 60_000), min_size=1, max_size=20), months=st.integers(-300, 300))
def test_add_months_is_pandas_date_offset(days, months):
    # the drift's quarters and the start's month boundaries step months with numpy: the dates DateOffset gives
    # (the same day of the month, or the month's last day when it is shorter: 31 May - 3 months is 28/29 February)
    from careflow.model.episodes import add_months, year_month_day

    index = pd.DatetimeIndex(pd.to_datetime(days, unit="D"))
    want = (index + pd.DateOffset(months=months)).values.astype("datetime64[D]")
    assert np.array_equal(add_months(*year_month_day(index), months), want)
    assert add_months(2024, 5, 31, -3) == np.datetime64("2024-02-29")
