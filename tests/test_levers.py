"""Levers priced against a tiny stand-in projection: figures a finance business partner can check by hand."""

from __future__ import annotations

import datetime as dt
import textwrap

import numpy as np
import pytest

from careflow.errors import CareflowError
from careflow.levers import Scenario, evaluate
from levers_standin import StandIn, stock

COSTS = {"in_house_fostering": 350.0, "ifa_fostering": 850.0, "external_residential": 4000.0,
         "in_house_residential": 3000.0, "other": 500.0}

BRIEF_EXAMPLE = """\
name: More in-house foster carers
levers:
  - type: sufficiency
    add_category: in_house_fostering
    displace_category: ifa_fostering
    placements: 10
    start: 2025-04-01
    ramp_months: 0
  - type: close_provision
    annual_cost: 500000
    start: 2025-04-01
    moves:
      - {category: external_residential, weekly_cost: 2000}
      - {category: ifa_fostering, weekly_cost: 1500}
  - type: contract
    annual_cost: 640000
    reinvest: 319000
    start: 2025-04-01
"""


def run(text: str, model: StandIn | None = None, **kw):
    sc = Scenario.loads(textwrap.dedent(text), file="s.yaml")
    model = model or StandIn(stock(ifa_fostering=10))
    kw.setdefault("deterministic", True)
    return evaluate(sc, model, COSTS, **kw)


def pounds(result, lever="all", fy="2025-26"):
    df = result.difference()
    row = df[(df.lever == lever) & (df.financial_year == fy)]
    assert len(row) == 1, df
    return float(row.pounds_mean.iloc[0])


def test_brief_example_hand_checked():
    res = run(BRIEF_EXAMPLE)
    # 10 placements moved from £850 to £350 a week for the whole of 2025-26 (365 days).
    assert pounds(res, "sufficiency") == pytest.approx(10 * 500 * 365 / 7)  # £260,714
    assert pounds(res, "sufficiency") == pytest.approx(260_714.29, abs=0.01)
    # Closing a £500k provision; its two children cost £2,000 + £1,500 a week elsewhere.
    assert pounds(res, "close_provision") == pytest.approx(500_000 - 3_500 * 365 / 7)  # £317,500
    assert pounds(res, "close_provision") == pytest.approx(317_500)
    # A/R.6.264: £640k contract ended, £319k reinvested: £321k cashable.
    assert pounds(res, "contract") == pytest.approx(321_000)
    assert pounds(res) == pytest.approx(260_714.2857 + 317_500 + 321_000, abs=0.01)
    df = res.difference()
    assert list(df.columns) == ["financial_year", "lever", "children_mean", "care_days_mean", "pounds_mean",
                                "pounds_p10", "pounds_p90"]


def test_part_year_closure_and_contract():
    text = """\
    name: part year
    levers:
      - type: close_provision
        annual_cost: 500000
        start: 2025-10-01
        moves: [{category: external_residential, weekly_cost: 2000}, {category: ifa_fostering, weekly_cost: 1500}]
      - type: contract
        annual_cost: 640000
        reinvest: 319000
        start: 2026-01-01
    """
    res = run(text, StandIn(stock(ifa_fostering=10), months=24))
    # 1 October 2025 to 31 March 2026 is 182 of 2025-26's 365 days; 2026-27 is a full year.
    assert pounds(res, "close_provision") == pytest.approx(500_000 * 182 / 365 - 3_500 * 182 / 7)
    assert pounds(res, "close_provision", "2026-27") == pytest.approx(317_500)
    # January to March 2026: 90 days.
    assert pounds(res, "contract") == pytest.approx(321_000 * 90 / 365)
    assert pounds(res, "contract", "2026-27") == pytest.approx(321_000)


def test_restructure_year_one_net_of_one_off_costs():
    text = """\
    name: Early Help
    levers:
      - type: staffing
        start: 2025-04-01
        posts:
          - {post: assistant manager, fte_before: 29, fte_after: 16, in_post: 24, salary: 40000, on_costs: 0.3}
        one_off:
          - {item: redundancy, amount: 150000, date: 2025-06-30}
          - {item: pension strain, amount: 60000, date: 2025-06-30}
    """
    res = run(text, StandIn(stock(ifa_fostering=10), months=24))
    per_fte = 40_000 * 1.3
    assert pounds(res, "staffing") == pytest.approx(13 * per_fte - 210_000)
    assert pounds(res, "staffing", "2026-27") == pytest.approx(13 * per_fte)
    # On the in-post basis only the 8 FTE above the new establishment of 16 were being paid.
    res2 = run(text.replace("        posts:", "        basis: in_post\n        posts:"),
               StandIn(stock(ifa_fostering=10), months=24))
    assert pounds(res2, "staffing", "2026-27") == pytest.approx(8 * per_fte)


def test_sufficiency_lag_and_ramp():
    text = """\
    name: ramp
    levers:
      - {type: sufficiency, add_category: in_house_fostering, displace_category: ifa_fostering,
         placements: 6, start: 2025-04-01, lag_months: 3, ramp_months: 3}
    """
    res = run(text)
    # 2 carers approved in each of July, August, September: 2, 4, then 6 placements for the rest of the year.
    days = {7: 31, 8: 31, 9: 30, 10: 31, 11: 30, 12: 31, 1: 31, 2: 28, 3: 31}
    placement_days = 2 * days[7] + 4 * days[8] + 6 * sum(v for k, v in days.items() if k not in (7, 8))
    assert pounds(res, "sufficiency") == pytest.approx(placement_days * 500 / 7)


def test_explicit_weekly_costs_override_unit_costs():
    text = """\
    name: explicit
    levers:
      - {type: sufficiency, add_category: in_house_fostering, displace_category: ifa_fostering,
         placements: 10, start: 2025-04-01, add_weekly_cost: 300, displace_weekly_cost: 900}
    """
    assert pounds(run(text)) == pytest.approx(10 * 600 * 365 / 7)


def test_step_down_moves_one_child_a_month():
    text = """\
    name: step down
    levers:
      - {type: step_down, from_category: external_residential, to_category: ifa_fostering,
         children_per_year: 12, start: 2025-04-01}
    """
    res = run(text, StandIn(stock(external_residential=20)))
    month_days = [30, 31, 30, 31, 31, 30, 31, 30, 31, 31, 28, 31]
    moved_days = sum((t + 1) * d for t, d in enumerate(month_days))  # 1 child in April, 2 in May, ...
    assert pounds(res) == pytest.approx(moved_days * (4000 - 850) / 7)
    df = res.difference()
    assert df[df.lever == "all"].children_mean.iloc[0] == pytest.approx(0)  # a move, not fewer children


def test_entries_reduction_and_permanence_exits_and_cap():
    model = StandIn(stock(ifa_fostering=10, external_residential=10),
                    entries=stock(ifa_fostering=4, external_residential=1))
    text = """\
    name: flows
    levers:
      - {type: reduce_entries, reduction: 25, categories: [ifa_fostering], start: 2025-04-01}
      - {type: permanence_exits, from_category: ifa_fostering, exit_group: sgo, children_per_year: 12,
         start: 2025-04-01}
      - {type: cap_growth, category: external_residential, level: 10, start: 2025-04-01}
    """
    df = run(text, model).difference().set_index("lever")
    assert df.loc["reduce_entries", "children_mean"] == pytest.approx(12)  # 1 fewer entry a month
    assert df.loc["permanence_exits", "children_mean"] == pytest.approx(12)  # 12 SGOs in the year
    assert df.loc["cap_growth", "children_mean"] == pytest.approx(12)  # 12 additions held back
    assert df.loc["all", "children_mean"] == pytest.approx(36)


def test_cap_growth_remove_n_of_additions():
    # A/R.6.253 shape: 8 additional residential placements expected over the year; mitigate 3 of them.
    model = StandIn(stock(external_residential=10), entries=stock(external_residential=8 / 12))
    text = """\
    name: cap
    levers:
      - {type: cap_growth, category: external_residential, remove: 3, start: 2025-04-01}
    """
    df = run(text, model).difference().set_index("lever")
    assert df.loc["all", "children_mean"] == pytest.approx(3)


def test_unit_cost_change_part_year():
    text = """\
    name: fees
    levers:
      - {type: unit_cost_change, categories: [ifa_fostering], percent: -10, start: 2025-10-01}
    """
    assert pounds(run(text)) == pytest.approx(10 * 85 * 182 / 7)


def test_income_profile():
    text = """\
    name: income
    levers:
      - {type: income, profile: {2025-26: 50000, 2026-27: 60000}, start: 2025-04-01}
    """
    res = run(text, StandIn(stock(ifa_fostering=10), months=24))
    assert pounds(res, "income") == pytest.approx(50_000)
    assert pounds(res, "income", "2026-27") == pytest.approx(60_000)


def test_shapley_does_not_depend_on_order_and_adds_up():
    model = StandIn(stock(ifa_fostering=30, external_residential=10), entries=stock(ifa_fostering=3),
                    exit_rate=np.full((4, 5), 0.02))
    levers = [
        "{type: reduce_entries, reduction: [10, 20], start: 2025-04-01}",
        "{type: sufficiency, add_category: in_house_fostering, displace_category: ifa_fostering, placements: 8,"
        " start: 2025-06-01, ramp_months: 4}",
        "{type: unit_cost_change, categories: [ifa_fostering], percent: -5, start: 2025-09-01}",
        "{type: step_down, from_category: external_residential, to_category: ifa_fostering, percent_per_year: 20,"
        " start: 2025-04-01}",
    ]
    a = run("name: a\nlevers:\n" + "".join(f"  - {lv}\n" for lv in levers), model).difference()
    b = run("name: b\nlevers:\n" + "".join(f"  - {lv}\n" for lv in reversed(levers)), model).difference()
    a = a.sort_values(["lever", "financial_year"]).reset_index(drop=True)
    b = b.sort_values(["lever", "financial_year"]).reset_index(drop=True)
    np.testing.assert_allclose(a.pounds_mean, b.pounds_mean, rtol=1e-9)
    parts = a[a.lever != "all"].pounds_mean.sum()
    assert parts == pytest.approx(a[a.lever == "all"].pounds_mean.sum())
    # The interaction is shared: cheaper IFA fees are worth less once fewer children are in IFA.
    assert a[a.lever == "unit_cost_change"].pounds_mean.iloc[0] > 0


def test_sampled_shapley_still_adds_up():
    model = StandIn(stock(ifa_fostering=30, external_residential=10), entries=stock(ifa_fostering=3))
    levers = "".join(f"  - {{type: reduce_entries, name: r{i}, reduction: {5 * i}, start: 2025-0{i}-01}}\n"
                     for i in range(1, 5))
    res = run("name: many\nlevers:\n" + levers, model, max_exact=2, sampled_orders=5)
    assert not res.exact
    df = res.difference()
    assert df[df.lever != "all"].pounds_mean.sum() == pytest.approx(df[df.lever == "all"].pounds_mean.sum())


def test_monte_carlo_intervals_with_common_random_numbers():
    model = StandIn(stock(ifa_fostering=40), entries=stock(ifa_fostering=3), exit_rate=np.full((4, 5), 0.03))
    text = """\
    name: mc
    levers:
      - {type: reduce_entries, reduction: 30, start: 2025-04-01}
      - {type: contract, annual_cost: 100000, start: 2025-04-01}
    """
    res = run(text, model, deterministic=False, runs=40, seed=3)
    df = res.difference().set_index("lever")
    assert df.loc["reduce_entries", "pounds_p10"] < df.loc["reduce_entries", "pounds_mean"] < \
        df.loc["reduce_entries", "pounds_p90"]
    assert df.loc["contract", "pounds_p10"] == df.loc["contract", "pounds_p90"] == pytest.approx(100_000)
    # Same seed, same answer.
    again = run(text, model, deterministic=False, runs=40, seed=3).difference().set_index("lever")
    assert again.loc["all", "pounds_mean"] == df.loc["all", "pounds_mean"]


def test_combine_scenarios():
    a = Scenario.loads("name: a\nlevers:\n  - {type: contract, annual_cost: 10, start: 2025-04-01}\n")
    b = Scenario.loads("name: b\nlevers:\n  - {type: income, profile: {2025-26: 5}, start: 2025-04-01}\n")
    c = a + b
    assert [lv.type for lv in c.levers] == ["contract", "income"] and c.name == "a + b"
    with pytest.raises(CareflowError, match="same name"):
        Scenario.combine(a, a)


def test_model_without_the_age_band_names_the_line():
    text = "name: x\nlevers:\n  - type: reduce_entries\n    reduction: 5\n    age_bands: [1-4]\n" \
           "    start: 2025-04-01\n"
    with pytest.raises(CareflowError) as exc:
        run(text)
    f = exc.value.findings[0]
    assert f.row == 5 and f.field == "levers.0.age_bands.0" and "age band" in f.message


def test_cap_and_flows_keep_dates(tmp_path):
    # A lever's start can be a day within a month: it acts from the next month start.
    res = run("""\
    name: mid
    levers:
      - {type: sufficiency, add_category: in_house_fostering, displace_category: ifa_fostering,
         placements: 10, start: 2025-04-15}
    """)
    assert pounds(res) == pytest.approx(10 * 500 * (365 - 30) / 7)
    assert res.month_starts[0] == dt.date(2025, 4, 1)


def test_sufficiency_keeps_new_placements_filled_as_children_leave():
    from careflow.levers.flows import LeverContext, flow_adjustment
    from careflow.model.adjust import NO_CHANGE

    model = StandIn(stock(ifa_fostering=60, in_house_fostering=20), exit_rate=np.full((4, 5), 0.05))
    sc = Scenario.loads("name: s\nlevers:\n  - {type: sufficiency, add_category: in_house_fostering, "
                        "displace_category: ifa_fostering, placements: 10, start: 2025-04-01}\n")
    base = model.project(NO_CHANGE, runs=1, seed=0, deterministic=True)
    ctx = LeverContext(model.age_bands, model.categories, base.month_starts, base.stock_end[0])
    scen = model.project(flow_adjustment(sc.levers[0], ctx), runs=1, seed=0, deterministic=True)
    c = model.categories.index("in_house_fostering")
    days = np.array([(b - a).days + 1 for a, b in model.months])
    # Every month starts with 10 more children in in-house fostering than the baseline, although 5% leave a month.
    np.testing.assert_allclose(scen.care_days[0, :, c] - base.care_days[0, :, c], 10 * days)


def test_combined_scenario_errors_name_the_right_file(tmp_path):
    a = tmp_path / "a.yaml"
    b = tmp_path / "b.yaml"
    a.write_text("name: a\nlevers:\n  - {type: contract, annual_cost: 10, start: 2025-04-01}\n")
    b.write_text("name: b\nlevers:\n  - type: reduce_entries\n    reduction: 5\n    start: 2025-04-01\n"
                 "    age_bands: [7-9]\n")
    with pytest.raises(CareflowError) as exc:
        evaluate(Scenario.load(a) + Scenario.load(b), StandIn(stock(ifa_fostering=1)), COSTS, deterministic=True)
    f = exc.value.findings[0]
    assert f.file == str(b) and f.row == 6 and f.field == "levers.0.age_bands.0"


def test_phasing_of_a_restructure():
    text = """\
    name: phased
    levers:
      - type: staffing
        start: 2025-04-01
        phasing: {2025-26: 0.5, 2026-27: 1}
        posts: [{post: manager, fte_before: 10, fte_after: 8, salary: 50000}]
    """
    res = run(text, StandIn(stock(ifa_fostering=1), months=24))
    assert pounds(res, "staffing") == pytest.approx(50_000)
    assert pounds(res, "staffing", "2026-27") == pytest.approx(100_000)
    with pytest.raises(CareflowError, match="2025-26, the year the lever starts in"):
        run(text.replace("{2025-26: 0.5, 2026-27: 1}", "{2026-27: 1}"))


def test_savings_by_year_for_a_business_case():
    res = run(BRIEF_EXAMPLE, StandIn(stock(ifa_fostering=10), months=24))
    assert res.savings_by_year("contract") == pytest.approx({"2025-26": 321_000, "2026-27": 321_000})
    with pytest.raises(KeyError):
        res.savings_by_year("nonesuch")
