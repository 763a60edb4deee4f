"""The workbooks, opened with openpyxl, carry the input figures: totals, years, units, parameters and provenance."""

from __future__ import annotations

import zipfile

import openpyxl
import pytest

from _reports_data import (
    HARINGEY_TABLE_3,
    HF_CASE,
    SAMPLE_PARAMETERS,
    haringey_cases,
    hf_appraisal,
    sample_costs,
    sample_difference,
    sample_forecast,
    sample_validation,
)
from careflow.errors import CareflowError
from careflow.reports import Provenance, case_workbook, forecast_workbook, parameter_rows, portfolio_workbook

RED = "B10E1E"


def _table_rows(ws, name, data_only=True):
    """Rows of a named table as dicts keyed by header."""
    ref = ws.tables[name].ref
    cells = ws[ref]
    header = [c.value for c in cells[0]]
    return [dict(zip(header, [c.value for c in row], strict=True)) for row in cells[1:]], cells


def _find_table(wb, name):
    for ws in wb.worksheets:
        if name in ws.tables:
            return ws
    raise AssertionError(f"no table {name}")


@pytest.fixture(scope="module")
def forecast_xlsx(tmp_path_factory):
    path = tmp_path_factory.mktemp("xl") / "forecast.xlsx"
    forecast_workbook(path, sample_forecast(), sample_costs(), sample_validation(), SAMPLE_PARAMETERS,
                      Provenance(title="Anyshire forecast", data_files=["episodes.csv"], seed=42,
                                 settings={"runs": 1000, "horizon": "5 years"}), la_name="Anyshire")
    return path


def test_forecast_workbook_children_by_month_match_the_forecast(forecast_xlsx):
    wb = openpyxl.load_workbook(forecast_xlsx, data_only=True)
    assert wb.sheetnames[:2] == ["Summary", "Children in care"]
    for sheet in ("By category", "Median by category", "Costs", "Validation", "Parameters", "About"):
        assert sheet in wb.sheetnames
    ws = wb["Children in care"]
    rows, cells = _table_rows(ws, "ChildrenTotal")
    total = sample_forecast().query("category == 'all'")
    assert len(rows) == len(total) == 24
    assert [r["P50 (median)"] for r in rows] == total["p50"].tolist()
    assert rows[0]["Month"].strftime("%Y-%m-%d") == "2026-04-30"
    assert ws.freeze_panes == "A5"  # header frozen
    assert cells[1][0].number_format == "mmm yyyy"
    by_cat, _ = _table_rows(wb["By category"], "ChildrenByCategory")
    # one row a month (one age band), category names as columns; month 3: fostering 300 + 2 x 2, residential 41
    assert len(by_cat) == 24 and list(by_cat[0])[2:] == ["Fostering", "Residential", "All placements"]
    assert (by_cat[2]["Fostering"], by_cat[2]["Residential"], by_cat[2]["All placements"]) == (304, 41, 345)
    wide, _ = _table_rows(wb["Median by category"], "MedianByCategory")
    assert wide[0]["Fostering"] == 300 and wide[0]["Residential"] == 40


def test_forecast_workbook_costs_are_in_thousands_with_the_unit_shown(forecast_xlsx):
    wb = openpyxl.load_workbook(forecast_xlsx, data_only=True)
    rows, cells = _table_rows(wb["Costs"], "Costs")
    # category x financial year, names not keys, the total last
    assert [r["Category"] for r in rows] == ["Fostering", "Residential", "All placements"]
    assert (rows[0]["2026-27 £k"], rows[1]["2027-28 £k"]) == (pytest.approx(9_400.0), pytest.approx(13_500.0))
    assert rows[2]["2026-27 £k"] == pytest.approx(21_400.0)  # 9.4m + 12.0m in £k
    assert '"k"' in cells[1][1].number_format and "£" in cells[1][1].number_format
    assert "cash prices of each financial year" in wb["Costs"]["A2"].value  # the price base, stated
    bands, _ = _table_rows(wb["Costs"], "CostBands")
    assert bands[1]["P90 £k"] == pytest.approx(23_600.0 * 1.12)
    key, _ = _table_rows(wb["Summary"], "KeyFigures")
    figures = {r["Measure"]: r for r in key}
    spend = figures["Placement spend 2026-27"]
    assert (spend["Mean"], spend["P10"], spend["P90"], spend["Unit"]) == \
        (pytest.approx(21_400.0), pytest.approx(19_260.0), pytest.approx(23_968.0),
         "£k, cash prices of each financial year")
    # one central measure: the mean for children too (300 + 40 in April 2026)
    assert figures["Children in care, April 2026"]["Mean"] == 340


def test_forecast_workbook_has_native_excel_charts_on_its_data(forecast_xlsx):
    with zipfile.ZipFile(forecast_xlsx) as z:
        charts = [n for n in z.namelist() if n.startswith("xl/charts/chart")]
        xml = "".join(z.read(n).decode() for n in charts)
    assert len(charts) == 2
    assert "'Children in care'!$D$5:$D$28" in xml  # the P50 column, 24 months
    assert "Summary!$B$" in xml  # spend by year


def test_forecast_workbook_validation_sheet_counts_by_rule_without_child_identifiers(forecast_xlsx):
    wb = openpyxl.load_workbook(forecast_xlsx)
    ws = wb["Validation"]
    summary, _ = _table_rows(ws, "ValidationSummary")
    assert {r["Measure"]: r["Value"] for r in summary}["Errors"] == 1
    rules, cells = _table_rows(ws, "ValidationRules")
    assert [(r["Severity"], r["Rule"], r["Count"]) for r in rules] == [("error", "1004", 1), ("warning", "PLACE", 1)]
    assert cells[1][0].fill.fgColor.rgb.endswith(RED)  # (row 0 is the header)
    # The sample issues name children c1 and c9: a workbook for finance holds no child identifier anywhere.
    text = [str(c.value) for sheet in wb.worksheets for row in sheet.iter_rows() for c in row if c.value is not None]
    assert not {"c1", "c9"} & set(text) and not any("start date after end date" in t for t in text)


def test_parameters_sheet_lists_every_value_with_its_source(forecast_xlsx):
    wb = openpyxl.load_workbook(forecast_xlsx)
    rows, _ = _table_rows(wb["Parameters"], "Parameters")
    assert len(rows) == len(parameter_rows(SAMPLE_PARAMETERS)) == 3
    assert all(r["Source"] for r in rows)
    ifa = next(r for r in rows if r["Item"] == "fostering_ifa")
    assert (ifa["Value"], ifa["Applies from"], ifa["Unit"]) == (850, "2018-04-01", "GBP per week")
    assert {r["Parameter"] for r in rows} == {"unit_costs", "discount_rate"}
    about, _ = _table_rows(wb["About"], "About")
    detail = {r["Item"]: r["Detail"] for r in about}
    assert detail["Produced by"].startswith("careflow ") and detail["Random seed"] == "42"
    assert detail["Data file"] == "episodes.csv" and detail["Setting: runs"] == "1000"


def test_a_parameter_without_a_source_is_refused(tmp_path):
    bad = [{**SAMPLE_PARAMETERS[0], "reference": " "}]
    with pytest.raises(CareflowError, match="no reference"):
        forecast_workbook(tmp_path / "x.xlsx", sample_forecast(), parameters=bad)


@pytest.fixture(scope="module")
def hf_xlsx(tmp_path_factory):
    path = tmp_path_factory.mktemp("xl") / "hf.xlsx"
    case_workbook(path, HF_CASE, hf_appraisal(), sample_difference(), SAMPLE_PARAMETERS[1:])
    return path


def test_case_workbook_mtfs_profile_matches_the_hf_seed(hf_xlsx):
    wb = openpyxl.load_workbook(hf_xlsx, data_only=True)
    rows, cells = _table_rows(wb["MTFS profile"], "MTFSProfile")
    by = {r["Line"]: r for r in rows}
    inv = by["Total investment (one-off)"]
    assert [inv["2016-17 £k"], inv["2017-18 £k"], inv["2018-19 £k"]] == [446, 1055, 200]
    assert inv["Total £k"] == 1701
    sav = by["Total savings (against baseline)"]
    assert [sav[f"{fy} £k"] for fy in ("2017-18", "2018-19", "2019-20", "2020-21")] == [797, 1261, 1365, 1365]
    assert by["Cumulative net"]["2018-19 £k"] == 357  # -446 - 258 + 1061
    # Totals are live formulas over the detail lines.
    wbf = openpyxl.load_workbook(hf_xlsx)
    formula_rows, _ = _table_rows(wbf["MTFS profile"], "MTFSProfile")
    f = next(r for r in formula_rows if r["Line"] == "Total investment (one-off)")
    assert f["2017-18 £k"].startswith("=SUM(")
    assert '"k"' in cells[1][2].number_format


def test_case_workbook_flags_the_inconsistent_stated_figures(hf_xlsx):
    wb = openpyxl.load_workbook(hf_xlsx, data_only=True)
    rows, cells = _table_rows(wb["Checks"], "Checks")
    bad = {r["Item"]: r for r in rows if r["Result"] == "DOES NOT ADD UP"}
    assert set(bad) == {"Total savings years 1 to 10", "Total investment 2017-18"}
    assert (bad["Total savings years 1 to 10"]["Stated"], bad["Total savings years 1 to 10"]["Computed"]) == \
        (13978, 12978)
    assert bad["Total investment 2017-18"]["Stated less computed"] == 40
    for i, r in enumerate(rows, start=1):
        is_red = cells[i][0].fill.fgColor.rgb.endswith(RED)
        assert is_red == (r["Result"] == "DOES NOT ADD UP")
    overview = wb["Summary"]
    texts = [c.value for row in overview.iter_rows() for c in row if isinstance(c.value, str)]
    assert "2 stated figure(s) in the document do not add up: see Checks." in texts
    measures, _ = _table_rows(overview, "Measures")
    m = {r["Measure"]: r["Value"] for r in measures}
    assert round(m["Payback (simple: investment against cumulative savings)"], 2) == 1.72
    assert m["Total savings, years 1 to 5"] == 6153 and m["Total savings, years 1 to 10"] == 12978


def test_case_workbook_scenario_by_lever_in_thousands(hf_xlsx):
    wb = openpyxl.load_workbook(hf_xlsx, data_only=True)
    rows, _ = _table_rows(wb["Scenario by lever"], "SavingsByLever")
    by = {r["Lever"]: r for r in rows}
    assert by["reduce entries"]["Total £k"] == pytest.approx(420.0)
    assert by["all (combined scenario)"]["2027-28 £k"] == pytest.approx(420.0)
    assert "Parameters" in wb.sheetnames and "About" in wb.sheetnames


def test_portfolio_reproduces_haringey_table_3(tmp_path):
    path = tmp_path / "portfolio.xlsx"
    portfolio_workbook(path, haringey_cases(), title="Haringey Priority 1")
    wb = openpyxl.load_workbook(path, data_only=True)
    rows, _ = _table_rows(wb["MTFS incremental"], "MTFSIncremental")
    for (name, *inc), r in zip(HARINGEY_TABLE_3, rows, strict=False):
        assert r["Title"] == name
        assert [r["2015-16 £k"], r["2016-17 £k"], r["2017-18 £k"]] == inc
    total = rows[-1]
    assert total["Reference"] == "Total"
    assert [total["2015-16 £k"], total["2016-17 £k"], total["2017-18 £k"], total["Total £k"]] == \
        [5364, 7025, 4395, 16784]
    against, _ = _table_rows(wb["MTFS against baseline"], "MTFSAgainstBaseline")
    assert against[-1]["2017-18 £k"] == 16784  # full-year effect by the last year
    by_status, _ = _table_rows(wb["By directorate, type, status"], "ByStatus")
    assert by_status == [{"Status": "planned", "2015-16 £k": 5364, "2016-17 £k": 7025, "2017-18 £k": 4395,
                          "Total £k": 16784}]
    wbf = openpyxl.load_workbook(path)
    frows, _ = _table_rows(wbf["MTFS incremental"], "MTFSIncremental")
    assert frows[-1]["Total £k"].startswith("=SUM(")
    assert "Parameters" in wb.sheetnames and "About" in wb.sheetnames


def test_every_shipped_parameter_appears_with_its_source(tmp_path):
    from careflow.parameters import available, load_parameter

    shipped = [load_parameter(n) for n in available()]
    if not shipped:
        pytest.skip("no parameter files shipped")
    path = tmp_path / "p.xlsx"
    case_workbook(path, HF_CASE, hf_appraisal(), parameters=shipped)
    wb = openpyxl.load_workbook(path)
    rows, _ = _table_rows(wb["Parameters"], "Parameters")
    assert {r["Parameter"] for r in rows} == {p.name for p in shipped}
    for p in shipped:
        mine = [r for r in rows if r["Parameter"] == p.name]
        # each value's own source (the file's `sources` entry for its item, else its reference), written once
        # for a run of rows that share it ("as above")
        shown = []
        for r in mine:
            shown.append(shown[-1] if r["Source"] == "as above" else r["Source"])
        items = [r["Item"].split(" / ")[0] for r in mine]
        assert shown == [p.source(i).strip() for i in items] and all(r["Unit"] == p.unit for r in mine)
        assert mine[0]["Description"] == p.description and all(not r["Description"] for r in mine[1:])
        assert all(r["Value"] is not None for r in mine)
    if "green_book_discount" in available():
        gb = [(r["Item"], r["Value"]) for r in rows if r["Parameter"] == "green_book_discount"]
        assert gb[0] == ("from_year 0, to_year 30", 0.035)  # Green Book: 3.5% for years 0-30
