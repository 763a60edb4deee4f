"""Workforce: FTE from cases, staff cost, agency savings and the DfE workforce file, checked by hand."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from careflow.cli import main
from careflow.costs.staff import StaffCost, default_staff_cost
from careflow.dfe import read_csww
from careflow.errors import CareflowError
from careflow.workforce import Deployment, Team, direct_time_capacity, fte_needed, plan, read_teams

MONTHS = [dt.date(2025 + (m >= 9), (3 + m) % 12 + 1, 1) for m in range(12)]  # April 2025 to March 2026
COST = StaffCost(salary=40000, on_costs=0.25, agency_premium=0.5)  # employee 50,000, agency 75,000 a year


def cases(values) -> pd.DataFrame:
    v = np.asarray(values, float)
    return pd.DataFrame({"month": MONTHS, "mean": v, "p10": v * 0.9, "p90": v * 1.1})


def test_months_are_one_financial_year():
    assert MONTHS[0] == dt.date(2025, 4, 1) and MONTHS[-1] == dt.date(2026, 3, 1)


def test_staff_cost_by_hand():
    assert COST.employee == 50000 and COST.agency == 75000
    assert COST.cost(8, 2) == 8 * 50000 + 2 * 75000 == 550000


def test_fte_is_cases_over_caseload_for_a_month_and_a_year():
    # 150 children in care April-September, 180 October-March, caseload 15: 10 FTE then 12 FTE.
    p = plan([Team("children looked after", 15)], MONTHS, Deployment(agency_rate=20), COST,
             forecast=cases([150] * 6 + [180] * 6))
    m = p.monthly
    assert m.fte_mean.iloc[0] == pytest.approx(10) and m.fte_mean.iloc[11] == pytest.approx(12)
    assert m.fte_p10.iloc[0] == pytest.approx(9) and m.fte_p90.iloc[11] == pytest.approx(13.2)
    y = p.yearly.iloc[0]
    assert y.financial_year == "2025-26" and y.months == 12
    # The year's FTE is the average of its months: (6 x 10 + 6 x 12) / 12 = 11.
    assert y.fte_mean == pytest.approx(11)
    assert y.agency_fte == pytest.approx(2.2) and y.permanent_fte == pytest.approx(8.8)
    # Cost by days: April-September is 183 of the 365 days of 2025-26.
    days_first = sum((MONTHS[k + 1] - MONTHS[k]).days for k in range(6))  # 183
    assert days_first == 183
    per_fte = 0.8 * 50000 + 0.2 * 75000  # 55,000 a year at a 20% agency rate
    assert y.cost_mean == pytest.approx(per_fte * (10 * 183 + 12 * 182) / 365)


def test_constant_demand_costs_exactly_a_year():
    p = plan([Team("cla", 15)], MONTHS, Deployment(agency_rate=20), COST, forecast=cases([150] * 12))
    assert p.yearly.cost_mean.iloc[0] == pytest.approx(550000)  # 8 x 50,000 + 2 x 75,000


def test_uncovered_vacancies_are_not_paid():
    dep = Deployment(agency_rate=25, vacancy_uncovered=10)
    emp, agy, vac = dep.split(20.0)
    assert (vac, agy, emp) == pytest.approx((2.0, 4.5, 13.5))  # 18 filled, a quarter agency


def test_agency_saving_is_fte_removed_times_cost_difference():
    # 5 agency FTE replaced by employees: 5 x (75,000 - 50,000).
    assert COST.agency_conversion_saving(5) == pytest.approx(125000)
    # Demand falls by 7 FTE with 5 agency workers: agency go first (5 x 75,000), then 2 employees (2 x 50,000).
    saving, agency, employees = COST.demand_fall_saving(7, agency_fte=5)
    assert (saving, agency, employees) == pytest.approx((475000, 5, 2))
    assert COST.demand_fall_saving(3, agency_fte=5)[0] == pytest.approx(225000)


def test_direct_time_twenty_to_forty_frees_half():
    assert direct_time_capacity(30, 20, 40) == pytest.approx(15)
    assert direct_time_capacity(30, 40, 20) == pytest.approx(-30)


def test_growth_team_by_hand():
    t = Team("child protection", caseload=12, cases="growth", cases_now=120, growth_percent=10)
    p = plan([Team("cla", 15), t], MONTHS, Deployment(agency_rate=0), COST, forecast=cases([150] * 12))
    m = p.monthly[p.monthly.team == "child protection"]
    assert m.cases_mean.iloc[-1] == pytest.approx(132)  # a year on: 120 x 1.1
    assert m.fte_mean.iloc[-1] == pytest.approx(11)
    y = p.yearly
    assert list(y.team) == ["cla", "child protection", "all"]
    assert y.fte_mean.iloc[2] == pytest.approx(y.fte_mean.iloc[0] + y.fte_mean.iloc[1])


def test_bad_caseload_is_a_clear_error():
    with pytest.raises(CareflowError, match="caseload must be more than 0"):
        Team("cla", 0)
    with pytest.raises(CareflowError, match="agency rate"):
        Deployment(agency_rate=120)
    with pytest.raises(CareflowError):
        fte_needed(10, -1)


@settings(max_examples=60, deadline=None)
@given(st.floats(0, 5000), st.floats(1, 40), st.floats(0, 100), st.floats(0, 50))
def test_every_fte_needed_is_employee_agency_or_vacant(n_cases, caseload, agency, vacancy):
    fte = fte_needed(n_cases, caseload)
    emp, agy, vac = Deployment(agency, vacancy).split(fte)
    assert emp + agy + vac == pytest.approx(fte, abs=1e-9)
    assert min(emp, agy, vac) >= -1e-12
    assert fte * caseload == pytest.approx(n_cases, abs=1e-9)


def test_defaults_are_sourced():
    c = default_staff_cost()
    assert c.price_base == "2025-26"
    assert all(c.sources[k] for k in ("salary", "on_costs", "agency_premium"))
    assert default_staff_cost(salary=50000).sources["salary"] == "given by the user"


def test_teams_file(tmp_path):
    (tmp_path / "cin.csv").write_text("month,cases\n" + "".join(f"{m:%Y-%m},{200}\n" for m in MONTHS))
    f = tmp_path / "teams.yaml"
    f.write_text("teams:\n  - {name: looked after}\n  - {name: children in need, caseload: 20, cases_file: cin.csv}\n"
                 "  - {name: care leavers, caseload: 25, cases_now: 50, growth_percent: 0}\n")
    teams = read_teams(f, default_caseload=15)
    assert [(t.name, t.caseload, t.cases) for t in teams] == [
        ("looked after", 15, "forecast"), ("children in need", 20, "file"), ("care leavers", 25, "growth")]
    p = plan(teams, MONTHS, Deployment(0), COST, forecast=cases([150] * 12))
    y = p.yearly.set_index("team").fte_mean
    assert (y["looked after"], y["children in need"], y["care leavers"], y["all"]) == pytest.approx((10, 10, 2, 22))
    f.write_text("teams:\n  - {name: x, caseload: 15, colour: red}\n")
    with pytest.raises(CareflowError) as exc:
        read_teams(f)
    assert "colour" in str(exc.value) and "row 2" in str(exc.value)


# --- the DfE workforce file -------------------------------------------------------------------------------------


@pytest.mark.shared
def test_csww_reads_back_exactly(shared_data):
    d = read_csww(shared_data / "workforce" / "csww_indicators_2017_to_2025.csv")
    assert d.findings == []
    assert d.years == list(range(2017, 2026))
    # Figures typed from the file's rows: Haringey 2025, Cambridgeshire 2025 and 2019,
    # Hammersmith and Fulham 2025.
    h = d.la_row("309", 2025)
    assert (h["inpost_fte"], h["agency_fte"], h["agency_rate_fte"], h["vacancy_rate_fte"], h["turnover_rate_fte"],
            h["case_holders_fte"], h["cases"], h["caseload_fte"]) == (214.2, 31.7, 12.9, 12.6, 9.8, 118, 1721, 14.6)
    c = d.la_row("873", 2025)
    assert (c["inpost_fte"], c["agency_rate_fte"], c["vacancy_rate_fte"], c["turnover_rate_fte"],
            c["caseload_fte"]) == (240, 13.4, 13.7, 17.2, 15.2)
    assert d.value("873", 2019, "inpost_fte") == 272.7 and d.value("873", 2019, "cases") == 2605
    f = d.la_row("205", 2025)
    assert (f["la_name"], f["agency_rate_fte"], f["vacancy_agency_cover_rate_fte"], f["caseload_fte"]) == (
        "Hammersmith and Fulham", 2.2, 16.7, 13.1)
    e = d.england_row(2025)
    assert (e["inpost_fte"], e["agency_rate_fte"], e["caseload_fte"]) == (36186.3, 13, 15.2)
    # Sunderland's agency FTE is printed "low": missing with its meaning, not 0.
    assert np.isnan(d.value("394", 2025, "agency_fte")) and d.reason("394", 2025, "agency_fte").startswith("low")


HEADER = ("time_period,time_identifier,geographic_level,country_code,country_name,region_code,region_name,"
          "old_la_code,new_la_code,la_name,inpost_fte,agency_rate_fte,vacancy_rate_fte,turnover_rate_fte,"
          "caseload_fte\n")


def test_csww_symbols_and_bad_cells(tmp_path):
    f = tmp_path / "w.csv"
    f.write_text(HEADER
                 + "2025,Reporting year,National,E92000001,England,,,,,,1000,10,8,12,15\n"
                 + "2025,Reporting year,Local authority,E92000001,England,E1,R,999,E0,Testshire,50,c,#REF!,z,12.5\n"
                 + "20x5,Reporting year,Local authority,E92000001,England,E1,R,998,E0,Other,1,1,1,1,1\n")
    d = read_csww(f)
    assert d.value("999", 2025, "inpost_fte") == 50 and d.value("999", 2025, "caseload_fte") == 12.5
    assert np.isnan(d.value("999", 2025, "agency_rate_fte")) and "confidential" in d.reason("999", 2025,
                                                                                          "agency_rate_fte")
    rules = sorted((x.rule, x.row, x.field) for x in d.findings)
    assert rules == [("csww-value", 2, "vacancy_rate_fte"), ("csww-year", 3, "time_period")]


def test_csww_missing_columns_is_an_error(tmp_path):
    f = tmp_path / "w.csv"
    f.write_text("time_period,geographic_level,old_la_code,la_name,inpost_fte\n2025,National,,,1\n")
    with pytest.raises(CareflowError) as exc:
        read_csww(f)
    assert "caseload_fte" in str(exc.value) and "w.csv" in str(exc.value)


# --- the command ------------------------------------------------------------------------------------------------


def forecast_dir(tmp_path, values):
    d = tmp_path / "fc"
    d.mkdir()
    rows = ["date,category,age_band,mean,p10,p50,p90"]
    for m, v in zip(MONTHS, values, strict=True):
        end = (pd.Timestamp(m) + pd.offsets.MonthEnd(0)).date()
        rows.append(f"{end},all,all,{v},{v * 0.9},{v},{v * 1.1}")
        rows.append(f"{end},in_house_fostering,all,{v / 2},{v / 2},{v / 2},{v / 2}")
    (d / "forecast.csv").write_text("\n".join(rows) + "\n")
    return d


def test_cli_writes_workforce_csv(tmp_path):
    d = forecast_dir(tmp_path, [150] * 12)
    out = tmp_path / "wf"
    r = CliRunner().invoke(main, ["workforce", str(d), "--caseload", "15", "--agency-rate", "20", "--salary",
                                  "40000", "--on-costs", "25", "--agency-premium", "50", "--output", str(out)])
    assert r.exit_code == 0, r.output
    w = pd.read_csv(out / "workforce.csv")
    assert list(w.columns[:8]) == ["financial_year", "team", "fte_mean", "fte_p10", "fte_p90", "permanent_fte",
                                   "agency_fte", "cost_mean"]
    row = w.iloc[0]
    assert (row.financial_year, row.team, row.fte_mean, row.fte_p10, row.fte_p90, row.permanent_fte,
            row.agency_fte, row.cost_mean) == ("2025-26", "children looked after", 10, 9, 11, 8, 2, 550000)
    assert (out / "workforce_chart.png").stat().st_size > 1000
    s = json.loads((out / "workforce.json").read_text())
    assert s["sources"]["caseload"] == "given by the user" and s["employee_cost_per_fte"] == 50000


def test_cli_without_caseload_is_a_clear_error(tmp_path):
    d = forecast_dir(tmp_path, [150] * 12)
    r = CliRunner().invoke(main, ["workforce", str(d), "--output", str(tmp_path / "o")])
    assert r.exit_code == 1 and "--caseload" in r.output and "Traceback" not in r.output


def test_cli_bad_forecast_names_file_row_and_field(tmp_path):
    d = forecast_dir(tmp_path, [150] * 12)
    text = (d / "forecast.csv").read_text().splitlines()
    text[3] = text[3].replace(",150.0,", ",lots,", 1).replace(",150,", ",lots,", 1)
    (d / "forecast.csv").write_text("\n".join(text) + "\n")
    r = CliRunner().invoke(main, ["workforce", str(d), "--caseload", "15", "--output", str(tmp_path / "o")])
    assert r.exit_code == 1 and "forecast.csv" in r.output and "Traceback" not in r.output


@pytest.mark.shared
def test_cli_takes_defaults_from_the_las_own_row(tmp_path, shared_data):
    d = forecast_dir(tmp_path, [146] * 12)
    out = tmp_path / "wf"
    r = CliRunner().invoke(main, ["workforce", str(d), "--la", "Hammersmith and Fulham", "--csww",
                                  str(shared_data / "workforce"), "--output", str(out)])
    assert r.exit_code == 0, r.output
    s = json.loads((out / "workforce.json").read_text())
    # H&F 2025: caseload 13.1, agency rate 2.2%, vacancy rate 3.3% of which 16.7% covered by agency.
    assert s["teams"][0]["caseload"] == 13.1 and s["agency_rate_percent"] == 2.2
    assert s["vacancy_uncovered_percent"] == pytest.approx(3.3 * (1 - 0.167))
    w = pd.read_csv(out / "workforce.csv")
    assert w.fte_mean.iloc[0] == pytest.approx(146 / 13.1, abs=0.005)


# --- the benchmark's workforce section ----------------------------------------------------------------------------


def test_workforce_benchmark_median_leaves_out_missing_neighbours(tmp_path):
    from careflow.aggregate.workforce_benchmark import workforce_benchmark

    f = tmp_path / "w.csv"
    la = "2025,Reporting year,Local authority,E92000001,England,E1,R,{code},E0,{name},{fte},{agency},10,12,{cl}\n"
    f.write_text(HEADER + "2025,Reporting year,National,E92000001,England,,,,,,1000,13,14,12,15.2\n"
                 + la.format(code="901", name="Own", fte=100, agency=20, cl=16)
                 + la.format(code="902", name="N1", fte=50, agency=10, cl=12)
                 + la.format(code="903", name="N2", fte=80, agency=30, cl=14)
                 + la.format(code="904", name="N3", fte=60, agency="c", cl=13))
    wb = workforce_benchmark(read_csww(f), "901", ["902", "903", "904", "905"])
    assert wb.year == 2025 and wb.la["agency_rate_fte"] == 20 and wb.england["caseload_fte"] == 15.2
    assert wb.neighbours_median["agency_rate_fte"] == 20  # median of 10 and 30; N3 suppressed, 905 absent
    assert wb.neighbours_used["agency_rate_fte"] == 2
    assert wb.neighbours_median["caseload_fte"] == 13 and wb.neighbours_used["caseload_fte"] == 3
    assert "905" in wb.notes[0] and "N3 (904): no figure for agency_rate_fte" in wb.notes[0]
    assert workforce_benchmark(read_csww(f), "999", ["902"]) is None


@pytest.mark.shared
def test_benchmark_haringey_workforce_2025(tmp_path, shared_data):
    chart = tmp_path / "wf.png"
    r = CliRunner().invoke(main, ["benchmark", "--data", str(shared_data), "--la", "Haringey", "--format", "json",
                                  "--workforce-chart", str(chart)])
    assert r.exit_code == 0, r.output
    w = json.loads(r.stdout)["workforce"]
    assert w["year"] == 2025
    assert (w["la"]["inpost_fte"], w["la"]["agency_rate_fte"], w["la"]["vacancy_rate_fte"],
            w["la"]["turnover_rate_fte"], w["la"]["caseload_fte"]) == (214.2, 12.9, 12.6, 9.8, 14.6)
    # The 2025 neighbours' agency rates typed from the file: Waltham Forest 15.4, Ealing 29.2, Lewisham 32.6,
    # Lambeth 29.3, Barnet 21.1, Enfield 7.9, Southwark 14.8, Brent 16.8, Hounslow 12.7, Redbridge 8: the median
    # is (15.4 + 16.8) / 2 = 16.1. Caseloads 16.3, 12.7, 14.2, 11.2, 14.1, 12, 12.3, 15.8, 13.9, 14.3: 14.0.
    assert w["neighbours_median"]["agency_rate_fte"] == pytest.approx(16.1)
    assert w["neighbours_median"]["caseload_fte"] == pytest.approx(14.0)
    assert w["england"]["agency_rate_fte"] == 13 and w["england"]["caseload_fte"] == 15.2
    assert chart.stat().st_size > 5000
    text = CliRunner().invoke(main, ["benchmark", "--data", str(shared_data), "--la", "309"]).output
    assert "Children's social work workforce, 2025" in text and "agency rate" in text
