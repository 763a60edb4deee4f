"""``careflow report``: files written from real inputs, and clear errors (exit 1, no traceback) for bad ones."""

from __future__ import annotations

import json
from pathlib import Path

import docx
import openpyxl
import pytest
from click.testing import CliRunner

from _reports_data import hf_appraisal, sample_costs, sample_forecast, sample_validation
from careflow.cli import main

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "cases"


def _run(*args):
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def _forecast_dir(tmp_path) -> Path:
    d = tmp_path / "fc"
    d.mkdir()
    sample_forecast().to_csv(d / "forecast.csv", index=False)
    sample_costs().to_csv(d / "costs.csv", index=False)
    (d / "summary.json").write_text(json.dumps({
        "runs": 500, "seed": 11, "start": "2026-03-31", "end": "2028-03-31",
        "unit_costs_weekly": {"fostering": {"2026-27": 612.5}, "residential": {"2026-27": 5950.0}},
        "unit_cost_sources": {"fostering": "PSSRU Unit Costs 2024, table 6.2",
                              "residential": "Cambridgeshire A/R.6.258 (2018-19)"}}))
    (d / "validation.json").write_text(json.dumps(sample_validation()))
    return d


def test_report_forecast_writes_the_workbook_and_charts(tmp_path):
    d = _forecast_dir(tmp_path)
    out = tmp_path / "out" / "forecast.xlsx"
    r = _run("report", "forecast", d, "--output", out, "--la-name", "Anyshire", "--charts", tmp_path / "charts")
    assert r.exit_code == 0, r.output
    wb = openpyxl.load_workbook(out, data_only=True)
    params = wb["Parameters"]
    rows = list(params[params.tables["Parameters"].ref])[1:]
    used = [[c.value for c in r] for r in rows if r[0].value == "unit_costs (as used)"]
    assert [(u[2], u[3], u[4]) for u in used] == [("fostering", "2026-27", 612.5), ("residential", "2026-27", 5950)]
    # each category's own source, then how careflow carried it to the year
    assert used[0][6].startswith("PSSRU Unit Costs 2024, table 6.2; carried to each financial year's cash prices")
    assert used[1][6].startswith("Cambridgeshire A/R.6.258 (2018-19); carried")
    pairs = [(r[0].value, r[1].value) for r in list(wb["About"][wb["About"].tables["About"].ref])[1:]]
    about = dict(pairs)
    assert about["Random seed"] == "11" and about["Setting: runs"] == "500"
    files = [v for k, v in pairs if k == "Data file"]
    assert [Path(f.split(" (")[0]).name for f in files] == ["forecast.csv", "costs.csv", "validation.json"]
    assert "sha256" in files[0]
    issues = wb["Validation"]
    assert len(list(issues[issues.tables["ValidationRules"].ref])) == 3  # header + 2 rules (counts, no children)
    assert sorted(p.name for p in (tmp_path / "charts").iterdir()) == [
        "cost_chart.png", "cost_chart.svg", "cost_chart.txt", "fan_chart.png", "fan_chart.svg", "fan_chart.txt"]


def test_report_forecast_without_forecast_csv_is_a_clear_error(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    r = _run("report", "forecast", empty, "--output", tmp_path / "f.xlsx")
    # Neither a forecast folder nor SSDA903 data: a finding naming the folder, never a traceback.
    assert r.exit_code == 1
    assert "empty" in r.output and "Traceback" not in r.output
    r = _run("report", "forecast", tmp_path / "missing", "--output", tmp_path / "f.xlsx")
    assert r.exit_code == 1 and "no forecast.csv here" in r.output


def test_report_forecast_with_a_broken_forecast_names_the_columns(tmp_path):
    d = _forecast_dir(tmp_path)
    (d / "forecast.csv").write_text("date,category,mean\n2026-04-30,all,3\n")
    r = _run("report", "forecast", d, "--output", tmp_path / "f.xlsx")
    assert r.exit_code == 1 and "missing column(s) age_band, p10, p50, p90" in r.output


@pytest.mark.skipif(not (EXAMPLES / "hf_bc2.yaml").exists(), reason="examples/cases/hf_bc2.yaml not present")
def test_report_case_docx_and_xlsx_from_the_hf_example(tmp_path):
    r = _run("report", "case", EXAMPLES / "hf_bc2.yaml", "--output", tmp_path / "hf.docx")
    assert r.exit_code == 0, r.output
    doc = docx.Document(str(tmp_path / "hf.docx"))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "Title: BC2 Maximising Children's Social Care Effectiveness" in text
    r = _run("report", "case", EXAMPLES / "hf_bc2.yaml", "--format", "xlsx", "--output", tmp_path / "hf.xlsx")
    assert r.exit_code == 0, r.output
    wb = openpyxl.load_workbook(tmp_path / "hf.xlsx", data_only=True)
    assert wb["Cash flows"]["B5"].value == 446  # 2016-17 investment, first data row
    params = {r[0].value for r in list(wb["Parameters"][wb["Parameters"].tables["Parameters"].ref])[1:]}
    assert "green_book_discount" in params


def test_report_case_with_a_given_appraisal_json(tmp_path):
    case = tmp_path / "case.yaml"
    case.write_text("reference: T1\ntitle: Test case\nunits: £k\ninvestment: {2016-17: 446, 2017-18: 1055, "
                    "2018-19: 200}\nsavings: {2017-18: 797, 2018-19: 1261, 2019-20: 1365}\n")
    appraisal = tmp_path / "appraisal.json"
    appraisal.write_text(json.dumps(hf_appraisal()))
    r = _run("report", "case", case, "--appraisal", appraisal, "--output", tmp_path / "t.xlsx")
    assert r.exit_code == 0, r.output
    wb = openpyxl.load_workbook(tmp_path / "t.xlsx", data_only=True)
    checks = [[c.value for c in r] for r in list(wb["Checks"][wb["Checks"].tables["Checks"].ref])[1:]]
    assert ["Total investment 2017-18", 1095, 1055, 40, "DOES NOT ADD UP"] in checks


def test_report_case_errors_are_clear(tmp_path, monkeypatch):
    from careflow.register import db as regdb

    # a register of its own: the user's default register (shared by every checkout on the machine) is not the
    # test's to read or migrate
    monkeypatch.setenv(regdb.ENV_URL, str(tmp_path / "register.sqlite"))
    bad = tmp_path / "bad.yaml"
    bad.write_text("reference: X\nunits: £k\nsavings: {2017-18: lots}\n")
    r = _run("report", "case", bad, "--output", tmp_path / "x.docx")
    assert r.exit_code == 1 and "bad.yaml" in r.output and "Traceback" not in r.output
    r = _run("report", "case", bad, "--output", tmp_path / "x.pdf")
    assert r.exit_code == 1 and "use --format docx|xlsx" in r.output
    r = _run("report", "case", "A/R.9.999", "--output", tmp_path / "x.docx")
    assert r.exit_code == 1 and "A/R.9.999" in r.output


@pytest.mark.skipif(not list(EXAMPLES.glob("haringey_*.yaml")), reason="Haringey example cases not present")
def test_report_portfolio_of_the_haringey_cases(tmp_path):
    files = sorted(EXAMPLES.glob("haringey_*.yaml"))
    r = _run("report", "portfolio", *files, "--output", tmp_path / "p.xlsx", "--title", "Haringey")
    assert r.exit_code == 0, r.output
    assert "(10 cases)" in r.output
    wb = openpyxl.load_workbook(tmp_path / "p.xlsx", data_only=True)
    ws = wb["MTFS incremental"]
    last = [c.value for c in list(ws[ws.tables["MTFSIncremental"].ref])[-1]]
    assert last[0] == "Total" and last[7:] == [5364, 7025, 4395, 16784]


@pytest.mark.skipif(not (EXAMPLES / "cambs_ar_6_264.yaml").exists(), reason="Cambridgeshire example not present")
def test_report_case_from_the_register_includes_status_and_tracking(tmp_path):
    from careflow.register import Register, load_case

    database = str(tmp_path / "register.sqlite")
    with Register(database, user="test") as reg:
        reg.import_cases([load_case(EXAMPLES / "cambs_ar_6_264.yaml")])
        reg.track("A/R.6.264", "2019-20", forecast=300, delivered=321)
    out = tmp_path / "ar.docx"
    r = _run("report", "case", "A/R.6.264", "--database", database, "--output", out)
    assert r.exit_code == 0, r.output
    doc = docx.Document(str(out))
    tracking = next(t for t in doc.tables if t.rows[0].cells[0].text == "Financial year")
    row = [c.text for c in tracking.rows[1].cells]
    # MST: £640k contract, £319k reinvested, £321k cashable saving planned in 2019-20; £321k delivered: green.
    assert row[:5] == ["2019-20", "£321k", "£300k", "£321k", "green"]
    r = _run("report", "case", "A/R.0.000", "--database", database, "--output", tmp_path / "x.docx")
    assert r.exit_code == 1 and "no case 'A/R.0.000' in the register" in r.output


def test_report_case_without_figures_writes_the_document_only(tmp_path):
    case = tmp_path / "words.yaml"
    case.write_text("reference: W1\ntitle: Words only\nbackground: Why we do this.\n")
    r = _run("report", "case", case, "--output", tmp_path / "w.docx")
    assert r.exit_code == 0, r.output
    text = "\n".join(p.text for p in docx.Document(str(tmp_path / "w.docx")).paragraphs)
    assert "No financial figures are stated in this case" in text and "Why we do this." in text
    r = _run("report", "case", case, "--output", tmp_path / "w.xlsx")
    assert r.exit_code == 1 and "no financial workbook" in r.output
