"""The seeds' example case files, appraised by careflow.finance, give documents whose financial tables match the
seeds' own figures, with the inconsistent stated figures flagged."""

from __future__ import annotations

from pathlib import Path

import docx
import openpyxl
from docx.oxml.ns import qn

from careflow.pipeline.appraise import load_and_appraise
from careflow.reports import case_document, case_workbook, portfolio_workbook

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "cases"


def _appraised(name):
    return load_and_appraise(EXAMPLES / name)


def _rows(t):
    return [[c.text for c in r.cells] for r in t.rows]


def _red(row):
    shd = [c._tc.tcPr.find(qn("w:shd")) if c._tc.tcPr is not None else None for c in row.cells]
    return all(s is not None and s.get(qn("w:fill")) == "B10E1E" for s in shd)


def test_hf_word_case_matches_the_seed_and_flags_its_errors(tmp_path):
    case, appraisal = _appraised("hf_bc2.yaml")
    path = tmp_path / "hf.docx"
    case_document(path, case, appraisal)
    doc = docx.Document(str(path))
    tables = {}
    for t in doc.tables:
        tables.setdefault(t.rows[0].cells[0].text, t)  # first table with that heading (the annex also has "Item")
    headed = [_rows(t) for t in doc.tables if t.rows[0].cells[0].text == "Line (£k)"]
    investment, savings = headed[0], headed[1]
    assert investment[0][1:] == ["2016-17", "2017-18", "2018-19", "2019-20", "2020-21", "Total"]
    assert investment[-1] == ["Total investment", "£446k", "£1,055k", "£200k", "£0k", "£0k", "£1,701k"]
    assert savings[1][0].startswith("H: Placement Commissioning")
    net = {r[0]: r[1:] for r in _rows(tables["£k"])}
    # "Total cashable Cumulative Savings" in the seed: 797, 1,261, 1,365, 1,365 (after ongoing costs of 350).
    assert net["Net savings (savings less ongoing costs)"] == ["£0k", "£797k", "£1,261k", "£1,365k", "£1,365k"]
    measures = dict((r[0], r[1]) for r in _rows(tables["Measure"])[1:])
    assert measures["Payback (simple: investment against cumulative savings)"] == "1.72 years"
    assert measures["Total savings, years 1 to 5"] == "£6,153k"
    flagged = [[c.text for c in r.cells] for r in tables["Item"].rows[1:] if _red(r)]
    assert ["total savings years 1 to 10", "13,978", "12,978", "DOES NOT ADD UP"] in flagged
    assert ["investment 2017-18", "1,095", "1,055", "DOES NOT ADD UP"] in flagged
    ok = [[c.text for c in r.cells] for r in tables["Item"].rows[1:] if not _red(r)]
    assert ["total savings years 1 to 5", "6,153", "6,153", "Consistent"] in ok


def test_hf_workbook_profile_matches_the_seed(tmp_path):
    case, appraisal = _appraised("hf_bc2.yaml")
    path = tmp_path / "hf.xlsx"
    case_workbook(path, case, appraisal)
    wb = openpyxl.load_workbook(path, data_only=True)
    ws = wb["MTFS profile"]
    cells = ws[ws.tables["MTFSProfile"].ref]
    header = [c.value for c in cells[0]]
    rows = {r[0].value: dict(zip(header, [c.value for c in r], strict=True)) for r in cells[1:]}
    inv = rows["Total investment (one-off)"]
    assert [inv["2016-17 £k"], inv["2017-18 £k"], inv["2018-19 £k"], inv["Total £k"]] == [446, 1055, 200, 1701]
    # Gross savings 530 + 267 = 797, then 920 + 591 + 100 = 1,611, 920 + 695 + 100 = 1,715, recurring after 2020-21.
    sav = rows["Total savings (against baseline)"]
    assert [sav[f"{fy} £k"] for fy in ("2017-18", "2018-19", "2019-20", "2021-22", "2026-27")] == \
        [797, 1611, 1715, 1715, 1715]
    assert rows["Total ongoing costs"]["2021-22 £k"] == 350
    ns = rows["Net savings (savings less ongoing costs)"]
    assert [ns[f"{fy} £k"] for fy in ("2017-18", "2018-19", "2019-20", "2020-21")] == [797, 1261, 1365, 1365]
    checks = wb["Checks"]
    ccells = checks[checks.tables["Checks"].ref]
    bad = {r[0].value: (r[1].value, r[2].value) for r in ccells[1:] if r[4].value == "DOES NOT ADD UP"}
    assert bad["total savings years 1 to 10"] == (13978, 12978)
    assert bad["investment 2017-18"] == (1095, 1055)
    assert all(r[0].fill.fgColor.rgb.endswith("B10E1E") for r in ccells[1:] if r[4].value == "DOES NOT ADD UP")


def test_haringey_cases_roll_up_to_table_3(tmp_path):
    files = sorted(EXAMPLES.glob("haringey_*.yaml"))
    assert len(files) == 10
    cases = [_appraised(f.name) for f in files]
    path = tmp_path / "haringey.xlsx"
    portfolio_workbook(path, cases, title="Haringey Priority 1")
    wb = openpyxl.load_workbook(path, data_only=True)
    ws = wb["MTFS incremental"]
    cells = ws[ws.tables["MTFSIncremental"].ref]
    header = [c.value for c in cells[0]]
    total = dict(zip(header, [c.value for c in cells[-1]], strict=True))
    assert [total["2015-16 £k"], total["2016-17 £k"], total["2017-18 £k"], total["Total £k"]] == \
        [5364, 7025, 4395, 16784]
    assert header[7:] == ["2015-16 £k", "2016-17 £k", "2017-18 £k", "Total £k"]  # the years Table 3 states
    assert header[5:7] == ["Price base", "Source of savings"]  # for every case, so a total never hides a mix
    rows = {r[1].value: [c.value for c in r[7:11]] for r in cells[1:-1]}
    assert rows["LAC & Sufficiency"] == [2000, 2000, 1100, 5100]
