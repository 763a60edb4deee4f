"""``careflow cases``: the commands end to end, bad input (exit 1, register unchanged), the register's portfolio."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from careflow.cli import main
from careflow.register import Register

ROOT = Path(__file__).resolve().parents[1]
CASES = ROOT / "examples" / "cases"
CAMBS = sorted((ROOT / "examples" / "cases").glob("cambs_*.yaml"))


@pytest.fixture
def db(tmp_path, monkeypatch) -> str:
    monkeypatch.setenv("CAREFLOW_USER", "tester")
    return str(tmp_path / "register.sqlite")


def run(db: str, *args: str):
    return CliRunner().invoke(main, ["cases", "--database", db, *args])


def snapshot(db: str):
    with Register(db) as reg:
        return [(s.case, s.version, len(reg.history(s.case.reference))) for s in reg.list()]


def test_the_commands_end_to_end(db, tmp_path):
    r = run(db, "import", *map(str, CAMBS))
    assert r.exit_code == 0, r.output
    assert r.output.count("created") == 13
    r = run(db, "list")
    assert "A/R.6.255" in r.output and "13 case(s)" in r.output
    assert run(db, "status", "A/R.6.264", "submitted").exit_code == 0
    assert run(db, "status", "A/R.6.264", "approved").exit_code == 0
    assert run(db, "status", "A/R.6.264", "delivering").exit_code == 0
    r = run(db, "track", "A/R.6.264", "--year", "2019-20", "--forecast", "300", "--delivered", "321")
    assert r.exit_code == 0 and "planned 321.0" in r.output and "RAG green" in r.output
    r = run(db, "track", "Cambs Early Help 2020-21", "--year", "2020/21", "--forecast", "700")
    assert "RAG amber" in r.output  # 700 of 750 = 93%
    r = run(db, "show", "A/R.6.264")
    assert "version 5" in r.output and "2019-20: planned 321.0, forecast 300.0, delivered 321.0: green" in r.output
    r = run(db, "history", "A/R.6.264")
    assert "status: approved -> delivering" in r.output and "tester" in r.output
    out = tmp_path / "mst.xlsx"
    assert run(db, "export", "A/R.6.264", "--format", "xlsx", "--output", str(out)).exit_code == 0
    assert run(db, "import", "--update", str(out)).output.startswith("unchanged")
    # an edit made in the workbook, re-imported: a new version with the field in the audit trail
    wb = openpyxl.load_workbook(out)
    ws = wb["overview"]
    row = next(r for r in ws.iter_rows(min_row=2) if r[0].value == "notes")
    row[1].value = "Edited in Excel"
    wb.save(out)
    r = run(db, "import", "--update", str(out))
    assert r.exit_code == 0 and "updated" in r.output and "version 6" in r.output
    assert "notes: " in run(db, "history", "A/R.6.264").output
    # the same workbook again is now stale (it says version 5)
    r = run(db, "import", "--update", str(out))
    assert r.exit_code == 1 and "stale-edit" in r.output and "mst.xlsx" in r.output
    y = tmp_path / "mst.yaml"
    assert run(db, "export", "A/R.6.264", "--output", str(y)).exit_code == 0
    assert y.read_text(encoding="utf-8").startswith("version: 6\nreference: A/R.6.264\n")


BAD = {
    "missing_reference": ("title: no reference\n", "case-reference"),
    "wrong_type": ("reference: X/1\nrisks: not a list\n", "row 2"),
    "unknown_status": ("reference: X/1\nstatus: agreed\n", "case-status"),
    "bad_financials": ("reference: X/1\nunits: £k\nsavings: {2019-20: lots}\n", "savings.2019-20"),
    "not_yaml": ("reference: [unclosed\n", "yaml-syntax"),
}


@pytest.mark.parametrize("name", BAD)
def test_bad_case_file_exit_1_register_unchanged(db, tmp_path, name):
    assert run(db, "import", *map(str, CAMBS[:3])).exit_code == 0
    before = snapshot(db)
    text, expected = BAD[name]
    bad = tmp_path / f"{name}.yaml"
    bad.write_text(text, encoding="utf-8")
    good = tmp_path / "good.yaml"
    good.write_text("reference: NEW/1\n", encoding="utf-8")
    r = run(db, "import", str(good), str(bad))
    assert r.exit_code == 1 and expected in r.output and f"{name}.yaml" in r.output
    assert "Traceback" not in r.output
    assert snapshot(db) == before


def test_duplicate_references_refused(db, tmp_path):
    assert run(db, "import", str(CAMBS[0])).exit_code == 0
    before = snapshot(db)
    r = run(db, "import", str(CAMBS[1]), str(CAMBS[0]))  # CAMBS[0] is already there
    assert r.exit_code == 1 and "already in the register" in r.output and CAMBS[0].name in r.output
    twin = tmp_path / "twin.yaml"
    twin.write_text(CAMBS[1].read_text(encoding="utf-8"), encoding="utf-8")
    r = run(db, "import", str(CAMBS[1]), str(twin))
    assert r.exit_code == 1 and "more than one" in r.output
    assert snapshot(db) == before


def _workbook(db, tmp_path) -> Path:
    assert run(db, "import", str(CASES / "hf_bc2.yaml")).exit_code == 0
    out = tmp_path / "bc2.xlsx"
    assert run(db, "export", "BC2", "--format", "xlsx", "-o", str(out)).exit_code == 0
    return out


@pytest.mark.parametrize(("sheet", "cell", "value", "expected"), [
    ("risks", "C1", "chance", "row 1, field risks!C: header should be 'likelihood'"),
    ("financials_by_year", "B2", "lots", "row 2, field financials_by_year!B: expected a number"),
    ("financials_by_year", "B1", "next year", "row 1, field financials_by_year!B: column header should be a financial"),
    ("options", "C2", "maybe", "row 2, field options!C: expected TRUE or FALSE"),
    ("overview", "B9", "agreed", "row 9, field overview!B: status"),
    ("tracking", "A2", "2019-20", None),  # a tracking row is fine
])
def test_excel_in_the_wrong_shape(db, tmp_path, sheet, cell, value, expected):
    path = _workbook(db, tmp_path)
    before = snapshot(db)
    wb = openpyxl.load_workbook(path)
    wb[sheet][cell] = value
    wb.save(path)
    r = run(db, "import", "--update", str(path))
    if expected is None:
        assert r.exit_code == 0, r.output
        return
    assert r.exit_code == 1 and expected in r.output, r.output
    assert "Traceback" not in r.output
    assert snapshot(db) == before


def test_unknown_sheet_and_not_a_workbook(db, tmp_path):
    path = _workbook(db, tmp_path)
    wb = openpyxl.load_workbook(path)
    wb.create_sheet("Sheet1")
    wb.save(path)
    r = run(db, "import", "--update", str(path))
    assert r.exit_code == 1 and "unknown sheet 'Sheet1'" in r.output
    junk = tmp_path / "junk.xlsx"
    junk.write_bytes(b"not a zip")
    r = run(db, "import", str(junk))
    assert r.exit_code == 1 and "not a readable .xlsx" in r.output
    r = run(db, "import", str(tmp_path / "case.csv"))
    assert r.exit_code == 1 and "case files are .yaml" in r.output


def test_unknown_case_and_bad_status_exit_1(db):
    assert run(db, "import", str(CASES / "hf_bc2.yaml")).exit_code == 0
    assert run(db, "show", "NOPE").exit_code == 1
    r = run(db, "status", "BC2", "draft")  # approved cannot go back to draft
    assert r.exit_code == 1 and "cannot move from approved to draft" in r.output
    r = run(db, "track", "BC2", "--year", "2017", "--forecast", "1")
    assert r.exit_code == 1 and "not a financial year" in r.output


def test_register_portfolio_reproduces_the_seeds_totals(db):
    assert run(db, "import", *map(str, sorted(CASES.glob("*.yaml")))).exit_code == 0
    with Register(db) as reg:
        haringey = [c for c in reg.finance_cases() if c.reference.startswith("HGY-")]
        from careflow.finance import rollup

        by_year = rollup(haringey).by_year()
        assert list(by_year["savings_incremental"]) == [5364, 7025, 4395, 16784]  # Haringey Table 3
        bc2 = rollup([c for c in reg.finance_cases() if c.reference == "BC2"]).by_year()
        assert by_year is not None and bc2.loc["Total", "investment"] == 1701  # H&F: 446 + 1,055 + 200
        assert reg.portfolio(combine_authorities=True).by_year().loc["Total", "investment"] == 1701
    hgy = [str(p) for p in sorted(CASES.glob("haringey_*.yaml"))]
    r = CliRunner().invoke(main, ["portfolio", "--register", "--database", db, "--format", "csv"])
    assert r.exit_code == 0, r.output
    total = next(line for line in r.output.splitlines()
                 if line.startswith("London Borough of Hammersmith & Fulham,all,all,total"))
    assert total.split(",")[4] == "1701.0"  # investment: H&F's only
    # --register together with the same files is refused: they would count twice
    r = CliRunner().invoke(main, ["portfolio", *hgy, "--register", "--database", db])
    assert r.exit_code == 1 and "both in this file and in the register" in r.output


def test_portfolio_from_register_checks_stated_totals(tmp_path):
    db = str(tmp_path / "haringey.sqlite")
    hgy = [str(p) for p in sorted(CASES.glob("haringey_*.yaml"))]
    assert CliRunner().invoke(main, ["cases", "--database", db, "import", *hgy]).exit_code == 0
    stated = ROOT / "examples" / "portfolios" / "haringey_table3.yaml"
    r = CliRunner().invoke(main, ["portfolio", "--register", "--database", db, "--stated", str(stated)])
    assert r.exit_code == 0, r.output
    assert "16,784" in r.output
    r = CliRunner().invoke(main, ["portfolio"])
    assert r.exit_code == 2  # neither files nor --register


def test_track_indicator_actuals_against_baseline_and_target(db):
    assert run(db, "import", str(CASES / "hf_bc2.yaml")).exit_code == 0
    name = "Increase in social worker time & capacity"  # baseline 20%, target 40% (H&F BC2)
    r = run(db, "track", "BC2", "--year", "2017-18", "--forecast", "797", "--indicator", f"{name}=28.5")
    assert r.exit_code == 0, r.output
    assert f"BC2 2017-18: {name} = 28.5 (baseline 20, target 40)" in r.output
    assert run(db, "track", "BC2", "--year", "2018-19", "--indicator", f"{name}=33").exit_code == 0
    with Register(db) as reg:
        ind = next(i for i in reg.get("BC2").case.indicators if i.name == name)
        assert ind.actuals == {"2017-18": 28.5, "2018-19": 33.0}
        assert any(h.field == "indicators" for h in reg.history("BC2"))
    assert "actuals 2017-18 28.5, 2018-19 33" in run(db, "show", "BC2").output
    r = run(db, "track", "BC2", "--year", "2018-19", "--indicator", "No such indicator=1")
    assert r.exit_code == 1 and "has no indicator" in r.output
    assert run(db, "track", "BC2", "--year", "2018-19", "--indicator", "junk").exit_code == 2


def test_one_planned_figure_for_bc2(db):
    """H&F BC2 states a net saving of £1,261k for 2018-19 (gross 1,611 less ongoing costs 350): delivering exactly
    that is green; track, list and the portfolio show the same 1,261 (cumulative) and 464 (incremental)."""
    import json

    assert run(db, "import", str(CASES / "hf_bc2.yaml")).exit_code == 0
    r = run(db, "track", "BC2", "--year", "2018-19", "--delivered", "1261")
    assert r.exit_code == 0, r.output
    assert "planned 1261.0 (net saving against the baseline, cumulative basis; 464 of it new in 2018-19" in r.output
    assert "RAG green" in r.output
    r = run(db, "list")
    assert "1,365 (2020-21)" in r.output  # the last year's net saving: 920 + 695 + 100 - 350
    r = CliRunner().invoke(main, ["portfolio", "--format", "json", str(CASES / "hf_bc2.yaml")])
    rows = {(row["financial_year"]): row for row in json.loads(r.output)["by_year"]}
    assert rows["2018-19"]["savings_cumulative"] == 1261 and rows["2018-19"]["savings_incremental"] == 464


@pytest.mark.parametrize("year", ["2015-16", "2021-22"])
def test_a_year_outside_the_case_is_refused(db, year):
    assert run(db, "import", str(CASES / "hf_bc2.yaml")).exit_code == 0
    before = snapshot(db)
    r = run(db, "track", "BC2", "--year", year, "--delivered", "100")
    assert r.exit_code == 1 and f"{year} is outside 'BC2', whose years run 2016-17 to 2020-21" in r.output
    assert snapshot(db) == before
