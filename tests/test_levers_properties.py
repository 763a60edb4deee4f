"""Invariants of the scenario engine (hypothesis), on the stand-in projection with Monte Carlo runs."""

from __future__ import annotations

import datetime as dt

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from careflow.levers import Scenario, evaluate
from levers_standin import BANDS, CATS, StandIn

COSTS = {"in_house_fostering": 350.0, "ifa_fostering": 850.0, "external_residential": 4000.0,
         "in_house_residential": 3000.0, "other": 500.0}
START = dt.date(2025, 4, 1)
MONTHS = 15

dates = st.integers(0, 16).map(lambda m: dt.date(2025 + (3 + m) // 12, (3 + m) % 12 + 1, 1))
cat = st.sampled_from(CATS)


@st.composite
def lever(draw, i: int):
    kind = draw(st.sampled_from(["reduce_entries", "step_down", "sufficiency", "permanence_exits", "cap_growth",
                                 "unit_cost_change", "contract", "close_provision", "income"]))
    start = draw(dates)
    base = {"name": f"l{i}", "type": kind, "start": start}
    if kind == "reduce_entries":
        base["reduction"] = draw(st.lists(st.floats(0, 100), min_size=1, max_size=3))
    elif kind == "step_down":
        a, b = draw(st.lists(cat, min_size=2, max_size=2, unique=True))
        base |= {"from_category": a, "to_category": b, "children_per_year": draw(st.floats(0, 30)),
                 "lag_months": draw(st.integers(0, 4))}
    elif kind == "sufficiency":
        a, b = draw(st.lists(cat, min_size=2, max_size=2, unique=True))
        base |= {"add_category": a, "displace_category": b, "placements": draw(st.floats(0, 20)),
                 "ramp_months": draw(st.integers(0, 6))}
    elif kind == "permanence_exits":
        base |= {"from_category": draw(cat), "exit_group": "sgo", "children_per_year": draw(st.floats(0, 20))}
    elif kind == "cap_growth":
        base |= {"category": draw(cat), "level": draw(st.floats(0, 30))}
    elif kind == "unit_cost_change":
        base |= {"categories": [draw(cat)], "percent": draw(st.floats(-50, 50))}
    elif kind == "contract":
        base |= {"annual_cost": draw(st.floats(0, 1e6)), "reinvest": 0}
    elif kind == "close_provision":
        base |= {"annual_cost": draw(st.floats(0, 1e6)), "moves": [{"category": draw(cat), "weekly_cost": 1000}]}
    else:
        base |= {"profile": {"2025-26": draw(st.floats(-1e5, 1e5)), "2026-27": draw(st.floats(-1e5, 1e5))}}
    return base


@st.composite
def model(draw):
    shape = (len(BANDS), len(CATS))
    s0 = np.array(draw(st.lists(st.integers(0, 15), min_size=shape[0] * shape[1], max_size=shape[0] * shape[1])))
    entries = np.array(draw(st.lists(st.floats(0, 1.5), min_size=shape[0] * shape[1],
                                     max_size=shape[0] * shape[1])))
    return StandIn(s0, entries=entries, exit_rate=np.full(shape, 0.03), start=START, months=MONTHS)


FAST = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(model(), st.integers(0, 2**31))
def test_empty_scenario_is_exactly_the_baseline(m, seed):
    res = evaluate(Scenario.from_dict({"name": "empty", "levers": []}), m, COSTS, runs=5, seed=seed)
    df = res.difference()
    assert list(df.lever.unique()) == ["all"]
    assert (df[["children_mean", "care_days_mean", "pounds_mean", "pounds_p10", "pounds_p90"]] == 0).all().all()


@FAST
@given(model(), st.integers(0, 2**31))
def test_levers_that_do_nothing_change_nothing_in_monte_carlo(m, seed):
    sc = Scenario.from_dict({"name": "zero", "levers": [
        {"type": "reduce_entries", "reduction": 0, "start": START},
        {"type": "sufficiency", "add_category": "in_house_fostering", "displace_category": "ifa_fostering",
         "placements": 0, "start": START}]})
    df = evaluate(sc, m, COSTS, runs=5, seed=seed).difference()
    assert (df[["children_mean", "care_days_mean", "pounds_mean"]].abs() < 1e-9).all().all()


@FAST
@given(model(), st.data(), st.integers(0, 2**31), st.booleans())
def test_contributions_add_up_to_the_combined_difference(m, data, seed, deterministic):
    n = data.draw(st.integers(1, 4))
    sc = Scenario.from_dict({"name": "mix", "levers": [data.draw(lever(i)) for i in range(n)]})
    res = evaluate(sc, m, COSTS, runs=4, seed=seed, deterministic=deterministic)
    parts = sum(res.by_lever.values())
    np.testing.assert_allclose(parts, res.total, rtol=1e-9, atol=1e-6)
    df = res.difference()
    for fy, rows in df.groupby("financial_year"):
        total = rows[rows.lever == "all"].iloc[0]
        others = rows[rows.lever != "all"]
        for col in ("children_mean", "care_days_mean", "pounds_mean"):
            assert abs(others[col].sum() - total[col]) <= 1e-6 * max(1.0, abs(total[col])), (fy, col)


@FAST
@given(model(), st.data(), st.integers(0, 2**31))
def test_a_lever_starting_after_the_horizon_changes_nothing(m, data, seed):
    spec = data.draw(lever(0))
    spec["start"] = dt.date(2026, 7, 1)  # the stand-in's 15 months end on 30 June 2026
    spec.pop("end", None)
    if spec["type"] == "income":
        spec["profile"] = {"2026-27": 1e5}
    res = evaluate(Scenario.from_dict({"name": "late", "levers": [spec]}), m, COSTS, runs=3, seed=seed)
    assert np.all(res.total == 0)
    assert all(np.all(v == 0) for v in res.by_lever.values())
