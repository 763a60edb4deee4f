"""Appraisal measures against the seeds' own figures and hand calculations."""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from careflow.cli import main
from careflow.finance.appraisal import appraise
from careflow.finance.discount import discount_factors
from careflow.register import load_finance_case as load_case
from careflow.register import loads_finance_case as loads_case

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "cases"
HF = EXAMPLES / "hf_bc2.yaml"


BRIEF_EXAMPLE = """\
reference: BC2
units: £k
investment: {2016-17: 446, 2017-18: 1055, 2018-19: 200}
savings: {2017-18: 797, 2018-19: 1261, 2019-20: 1365, 2020-21: 1365}
savings_basis: cumulative
recurring: true
stated: {payback_years: 1.72, total_savings_years_1_to_5: 6153, total_savings_years_1_to_10: 13978,
         total_investment: 1701}
"""


def case(body: str):
    return loads_case("reference: T1\nunits: £k\n" + body)


def test_hf_bc2_reproduces_the_stated_figures_and_flags_the_wrong_ones():
    a = appraise(load_case(HF))
    m = a.measures
    assert m.total_investment == 1701
    assert m.total_savings_years_1_to_5 == 797 + 1261 + 3 * 1365 == 6153
    assert m.total_savings_years_1_to_10 == 797 + 1261 + 8 * 1365 == 12978
    assert m.payback_years_simple == pytest.approx(1 + (1701 - 797) / 1261)
    assert round(m.payback_years_simple, 2) == 1.72
    # cash-flow: -446, 797-1055 = -258 (cum -704), 1261-200 = 1061: 2 + 704/1061 years from the start of 2016-17
    assert m.payback_years_cashflow == pytest.approx(2 + 704 / 1061)
    wrong = {c.item: (c.stated, c.computed) for c in a.checks if not c.ok}
    assert wrong["total savings years 1 to 10"] == (13978, 12978)
    assert wrong["investment 2017-18"] == (1095, 1055)  # the total row; projects add to 1,055
    assert set(wrong) == {"total savings years 1 to 10", "investment 2017-18", "ongoing costs 2017-18"}
    ok = {c.item for c in a.checks if c.ok}
    assert {"total investment", "total savings years 1 to 5", "payback years (simple)"} <= ok
    # lines A-H reproduce the yearly investment (446, 1,055, 200) and the net savings row (797, 1,261, 1,365)
    assert all(c.ok for c in a.checks if "sum of lines" in c.item)
    assert [r.net_savings for r in a.years[1:5]] == [797, 1261, 1365, 1365]


def test_brief_example_without_lines():
    a = appraise(loads_case(BRIEF_EXAMPLE))
    assert [c.item for c in a.checks if not c.ok] == ["total savings years 1 to 10"]


def test_npv_by_hand_with_year_zero_undiscounted():
    a = appraise(case("investment: {2025-26: 100}\nsavings: {2026-27: 60, 2027-28: 60}\n"))
    # -100 + 60/1.035 + 60/1.035^2 = -100 + 57.97101 + 56.01064
    assert a.measures.npv == pytest.approx(13.98166, abs=1e-4)
    assert a.measures.benefit_cost_ratio == pytest.approx(113.98166 / 100, abs=1e-6)
    only_investment = appraise(case("investment: {2025-26: 100}\n"))
    assert only_investment.measures.npv == -100


def test_discount_schedule_past_year_30():
    f = discount_factors(80)
    assert f[0] == 1 and f[30] == pytest.approx(1.035 ** -30)
    assert f[31] == pytest.approx(0.3459014, abs=1e-6)  # 1.035^-30 / 1.03, by hand
    assert f[75] == pytest.approx(1.035 ** -30 * 1.03 ** -45)
    assert f[76] == pytest.approx(1.035 ** -30 * 1.03 ** -45 / 1.025)
    a = appraise(case("first_year: 2025-26\nsavings: {2056-57: 1000}\nappraisal: {horizon_years: 32}\n"))
    assert a.years[31].financial_year == "2056-57"
    assert a.measures.npv == pytest.approx(345.9014, abs=1e-3)


def test_fixed_rate_and_optimism_bias():
    body = "investment: {2025-26: 100}\nsavings: {2026-27: 60, 2027-28: 60}\n"
    a = appraise(case(body + "appraisal: {discount: 0.0}\n"))
    assert a.measures.npv == 20
    b = appraise(case(body + "appraisal: {optimism_bias: {investment_pct: 20, savings_pct: 10}}\n"))
    assert b.measures.npv == pytest.approx(-120 + 0.9 * 113.98166, abs=1e-4)
    assert b.measures.npv_before_optimism_bias == pytest.approx(13.98166, abs=1e-4)


def test_payback_not_reached_says_so():
    a = appraise(case("investment: {2025-26: 1000}\nsavings: {2026-27: 100, 2027-28: 100, 2028-29: 100}\n"))
    assert a.measures.payback_years_simple is None and a.measures.payback_years_cashflow is None
    from careflow.finance.render import appraisal_text

    assert "not reached" in appraisal_text(a)


def test_stated_payback_when_not_reached_is_flagged():
    a = appraise(case("investment: {2025-26: 1000}\nsavings: {2026-27: 100}\nstated: {payback_years: 3}\n"))
    (c,) = a.checks
    assert not c.ok and c.computed is None and c.note == "payback not reached"


def test_switching_values_bring_npv_to_zero():
    body = "investment: {2025-26: 500}\nsavings: {2026-27: 300, 2027-28: 300}\nongoing_costs: {2026-27: 20}\n"
    a = appraise(case(body))
    fin = a.measures
    sw = a.switching
    base = case(body).financials
    scaled_savings = base.model_copy(update={"savings": {y: v * (1 + sw.savings_pct / 100)
                                                         for y, v in base.savings.items()}})
    assert appraise(scaled_savings).measures.npv == pytest.approx(0, abs=1e-9)
    scaled_inv = base.model_copy(update={"investment": {y: v * (1 + sw.investment_pct / 100)
                                                        for y, v in base.investment.items()}})
    assert appraise(scaled_inv).measures.npv == pytest.approx(0, abs=1e-9)
    assert fin.npv > 0 and sw.savings_pct < 0 < sw.investment_pct


def test_sensitivity_moves_npv_the_right_way():
    a = appraise(load_case(HF))
    by = {(s.variable, s.change_pct): s for s in a.sensitivity}
    assert by[("savings", -10)].npv < a.measures.npv < by[("savings", 10)].npv
    assert by[("costs", 10)].npv < a.measures.npv < by[("costs", -10)].npv
    # simple payback with savings -10%: the net savings rows become 797*0.9, 1611*0.9 - 350
    s1, s2 = 797 * 0.9, 1611 * 0.9 - 350
    assert by[("savings", -10)].payback_years_simple == pytest.approx(1 + (1701 - s1) / s2)


def test_incremental_basis_is_converted_to_levels():
    a = appraise(case("savings_basis: incremental\nsavings: {2025-26: 100, 2026-27: 50}\nrecurring: true\n"
                      "stated: {total_savings: 150, total_savings_years_1_to_5: 700}\n"))
    assert [r.savings for r in a.years[:3]] == [100, 150, 150]
    assert [r.savings_incremental for r in a.years[:3]] == [100, 50, 0]
    assert a.ok  # 100 + 150 * 4 = 700


def test_savings_from_a_scenario_difference(tmp_path):
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "difference.csv").write_text(
        "financial_year,lever,children_mean,care_days_mean,pounds_mean,pounds_p10,pounds_p90\n"
        "2026-27,all,-2.0,-600,250000,100000,400000\n"
        "2027-28,all,-3.5,-1200,480000,200000,700000\n"
        "2026-27,reduce_entries,-1.0,-300,120000,50000,200000\n")
    f = tmp_path / "case.yaml"
    f.write_text("reference: S1\nunits: £k\ninvestment: {2026-27: 300}\n"
                 "savings_from: {file: run/difference.csv, lever: all, measure: pounds_mean}\n", encoding="utf-8")
    a = appraise(load_case(f))
    assert [r.savings for r in a.years] == [250, 480]
    assert a.measures.payback_years_simple == pytest.approx(1 + 50 / 480)
    f.write_text(f.read_text().replace("lever: all", "lever: cap_growth"), encoding="utf-8")
    with pytest.raises(Exception) as exc:
        load_case(f)
    assert "no rows for lever 'cap_growth'" in str(exc.value)


def test_appraise_cli_json_and_exit_codes(tmp_path):
    r = CliRunner().invoke(main, ["appraise", str(HF), "--format", "json"])
    assert r.exit_code == 1  # stated figures disagree
    data = json.loads(r.stdout)
    for key in ("payback_years_simple", "payback_years_cashflow", "total_savings_years_1_to_5",
                "total_savings_years_1_to_10", "npv", "benefit_cost_ratio"):
        assert key in data["measures"]
    assert set(data["years"][0]) >= {"financial_year", "investment", "savings", "ongoing_costs", "net",
                                     "cumulative_net"}
    assert {"item", "stated", "computed", "ok"} <= set(data["checks"][0])
    good = EXAMPLES / "haringey_01_early_years.yaml"
    r = CliRunner().invoke(main, ["appraise", str(good)])
    assert r.exit_code == 0 and "all agree" in r.output
