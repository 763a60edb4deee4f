"""The Word business case follows the council template and its financial tables carry the case's figures."""

from __future__ import annotations

import docx
import pytest
from docx.oxml.ns import qn

from _reports_data import HF_CASE, SAMPLE_PARAMETERS, hf_appraisal, sample_difference
from careflow.reports import case_document


@pytest.fixture(scope="module")
def hf_doc(tmp_path_factory):
    path = tmp_path_factory.mktemp("docx") / "hf.docx"
    case_document(path, HF_CASE, hf_appraisal(), sample_difference(), SAMPLE_PARAMETERS[1:])
    return docx.Document(str(path))


def _table_with(doc, first_header):
    for t in doc.tables:
        if t.rows[0].cells[0].text == first_header:
            return t
    raise AssertionError(f"no table headed {first_header}")


def _rows(t):
    return [[c.text for c in r.cells] for r in t.rows]


def test_document_follows_the_council_template_headings_in_order(hf_doc):
    headings = [p.text for p in hf_doc.paragraphs if p.style.name.startswith(("Heading", "Title"))]
    template = ["Business Case", "Project Overview", "Project Approach", "Background",
                "Why do we need to undertake this project?",
                "What would happen if we did not complete this project?", "Approach", "Aims / Objectives",
                "Project Overview - What are we doing", "What assumptions have you made?",
                "What constraints does the project face?", "Delivery Options", "Scope / Interdependencies",
                "What is within scope?", "What is outside of scope?", "Project Dependencies", "Cost and Savings",
                "Non Financial Benefits", "Risks", "Project Impact", "Community Impact Assessment",
                "Who will be affected by this proposal?", "Disproportionate impacts on specific groups with "
                "protected characteristics", "Indicators", "Timeline"]
    positions = [headings.index(h) for h in template]
    assert positions == sorted(positions)
    overview = dict((r[0], r[1]) for r in _rows(_table_with(hf_doc, "Field"))[1:])
    assert overview["Project Title"] == HF_CASE["title"]
    assert overview["Business Planning Reference"] == "BC2"
    assert overview["Senior Responsible Officer"] == "Steve Miley / Dave Mcnamara"


def test_investment_and_savings_tables_match_the_hf_seed(hf_doc):
    inv = _rows(_table_with(hf_doc, "Line (£k)"))
    assert inv[0] == ["Line (£k)", "2016-17", "2017-18", "2018-19", "2019-20", "2020-21", "Total"]
    assert inv[-1] == ["Total investment", "£446k", "£1,055k", "£200k", "£0k", "£0k", "£1,701k"]
    assert inv[1] == ["Project A social work support officers", "£43k", "£44k", "", "", "", "£87k"]
    savings = [_rows(t) for t in hf_doc.tables if t.rows[0].cells[0].text == "Line (£k)"][1]
    assert savings[-1] == ["Total savings", "£0k", "£797k", "£1,261k", "£1,365k", "£1,365k", "£4,788k"]
    net = {r[0]: r[1:] for r in _rows(_table_with(hf_doc, "£k"))}
    assert net["Cumulative net"][:3] == ["(£446k)", "(£704k)", "£357k"]  # negatives in brackets
    measures = dict((r[0], r[1]) for r in _rows(_table_with(hf_doc, "Measure"))[1:])
    assert measures["Payback (simple: investment against cumulative savings)"] == "1.72 years"
    assert measures["Total savings, years 1 to 5"] == "£6,153k"
    assert measures["Total savings, years 1 to 10"] == "£12,978k"
    assert measures["Discount rate (real)"] == "3.5% a year"


def test_inconsistent_stated_figures_are_flagged_in_red(hf_doc):
    t = _table_with(hf_doc, "Item")
    flagged = []
    for row in t.rows[1:]:
        fills = {c._tc.tcPr.find(qn("w:shd")).get(qn("w:fill")) if c._tc.tcPr is not None and
                 c._tc.tcPr.find(qn("w:shd")) is not None else None for c in row.cells}
        if fills == {"B10E1E"}:
            flagged.append([c.text for c in row.cells])
    assert flagged == [["Total savings years 1 to 10", "13,978", "12,978", "DOES NOT ADD UP"],
                       ["Total investment 2017-18", "1,095", "1,055", "DOES NOT ADD UP"]]
    text = "\n".join(p.text for p in hf_doc.paragraphs)
    assert "2 stated figure(s) in the document do not add up" in text


def test_risks_indicators_and_timeline(hf_doc):
    risks = _rows(_table_with(hf_doc, "Risk"))
    assert risks[0] == ["Risk", "Likelihood", "Impact", "Score", "Mitigation", "Owner", "Review"]
    assert risks[1][:2] == ["Front line staff not involved and bought into the changes", "Medium"]
    inds = _rows(_table_with(hf_doc, "Indicator"))
    assert inds[1][:5] == ["Looked after children per 10,000", "", "rate per 10,000", "57.1", "55.0"]
    phases = _rows(_table_with(hf_doc, "Project"))
    assert phases[3] == ["Project F", "implementation", "2016-09-01", "2017-12-31"]


def test_charts_are_embedded_with_alt_text(hf_doc):
    shapes = hf_doc.inline_shapes
    assert len(shapes) == 3  # MTFS profile, savings by lever, timeline
    descr = [s._inline.docPr.get("descr") for s in shapes]
    assert descr[0].startswith("Bar and line chart of the business case") and "1,701" in descr[0]
    assert descr[1].startswith("Waterfall chart") and descr[2].startswith("Timeline of 2 projects")


def test_annex_lists_parameters_with_sources(hf_doc):
    params = _rows(_table_with(hf_doc, "Parameter"))
    assert params[0] == ["Parameter", "Description", "Values", "Unit", "Source"]
    assert params[1][0] == "discount_rate" and params[1][2] == "from 2022-04-01: 0.035"
    assert params[1][4].startswith("HM Treasury Green Book")


def test_missing_template_fields_say_not_stated(tmp_path):
    case = {"reference": "X1", "title": "Bare case", "units": "GBP"}
    appraisal = {"years": [{"financial_year": "2026-27", "investment": 1000.0, "savings": 0.0, "net": -1000.0,
                            "cumulative_net": -1000.0}], "measures": {}, "checks": []}
    path = tmp_path / "bare.docx"
    case_document(path, case, appraisal)
    doc = docx.Document(str(path))
    overview = dict((r[0], r[1]) for r in _rows(_table_with(doc, "Field"))[1:])
    assert overview["Senior Responsible Officer"] == "Not stated"
    assert sum(p.text == "Not stated" for p in doc.paragraphs) >= 10
    inv = _rows(_table_with(doc, "Line (£)"))
    assert inv[-1] == ["Total investment", "£1,000", "£1,000"]


def test_sensitivity_and_switching_values_are_in_the_case(tmp_path):
    """The Word case carries what ``careflow appraise`` computes: NPV and payback with savings and costs moved
    by 10% and 20%, and the switching values (H&F BC2, appraised from its case file)."""
    from pathlib import Path

    import docx

    from careflow.pipeline.appraise import load_and_appraise

    case, appraisal = load_and_appraise(Path(__file__).resolve().parents[1] / "examples" / "cases" / "hf_bc2.yaml")
    case_document(tmp_path / "bc2.docx", case, appraisal)
    doc = docx.Document(str(tmp_path / "bc2.docx"))
    headings = [p.text for p in doc.paragraphs if p.style.name.startswith("Heading")]
    assert "Sensitivity and switching values" in headings
    rows = _rows(_table_with(doc, "Change"))
    assert rows[0] == ["Change", "NPV (£k)", "Payback (simple)", "Payback (cash-flow)"]
    by = {r[0]: r for r in rows[1:]}
    want = next(s for s in appraisal["sensitivity"] if s["variable"] == "savings" and s["change_pct"] == -10)
    assert by["Savings -10%"][1] == f"£{want['npv']:,.0f}k"
    sw = appraisal["switching_values_pct"]["savings_pct"]
    text = "\n".join(p.text for p in doc.paragraphs)
    assert f"Switching values (the change that brings NPV to zero): savings {sw:,.1f}%" in text
