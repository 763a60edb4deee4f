"""Business case documents (python-docx) in the council template of the seeds.

The layout follows the Cambridgeshire business case template (Project Overview table; Project Approach with
Background, Approach, assumptions, constraints and Delivery Options; Scope / Interdependencies; Cost and Savings;
Non Financial Benefits; Risks; Project Impact with the Community Impact Assessment) with the H&F cabinet paper's
financial tables (investment and savings by financial year in £k, totals, payback), risks table, indicators and
timeline. Stated figures that do not add up are shown in red beside the computed figure, never silently corrected.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd
from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

from careflow.errors import CareflowError
from careflow.reports import charts as ch
from careflow.reports.case_view import (
    INVESTMENT,
    NOT_STATED,
    ONGOING,
    SAVING,
    as_mapping,
    case_lines,
    community_impact_of,
    indicator_rows,
    options_of,
    overview_rows,
    price_base_of,
    risk_rows,
    scope_of,
    text_of,
    timeline_rows,
    units_of,
)
from careflow.reports.excel import appraisal_years, failed_checks, measure_rows
from careflow.reports.provenance import Provenance, parameter_rows

RED = "B10E1E"
HEADER = "DCE3F0"


def _shade(cell, fill: str) -> None:
    tc_pr = cell._tc.get_or_add_tcPr()
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), fill)
    tc_pr.append(shd)


def _cell_text(cell, text: str, bold: bool = False, colour: str | None = None, align_right: bool = False,
               size: float = 9) -> None:
    cell.text = ""
    p = cell.paragraphs[0]
    run = p.add_run(text)
    run.bold = bold
    run.font.size = Pt(size)
    if colour:
        run.font.color.rgb = RGBColor.from_string(colour)
    if align_right:
        p.alignment = WD_ALIGN_PARAGRAPH.RIGHT


def _table(doc, header: list[str], rows: list[list[Any]], widths: list[float] | None = None,
           numeric: set[int] | None = None, flag_rows: Iterable[int] = (), bold_rows: Iterable[int] = (),
           size: float = 9):
    t = doc.add_table(rows=1, cols=len(header))
    t.style = "Table Grid"
    t.alignment = WD_TABLE_ALIGNMENT.CENTER
    numeric = numeric or set()
    for j, h in enumerate(header):
        _cell_text(t.rows[0].cells[j], h, bold=True, align_right=j in numeric, size=size)
        _shade(t.rows[0].cells[j], HEADER)
    _repeat_header(t.rows[0])
    flag_rows, bold_rows = set(flag_rows), set(bold_rows)
    for i, r in enumerate(rows):
        cells = t.add_row().cells
        for j, v in enumerate(r):
            flagged = i in flag_rows
            _cell_text(cells[j], "" if v is None else str(v), bold=flagged or i in bold_rows,
                       colour="FFFFFF" if flagged else None, align_right=j in numeric, size=size)
            if flagged:
                _shade(cells[j], RED)
    if not widths and numeric:
        # Money tables: a wide label column, narrow figure columns (17 cm of portrait text width).
        n = len(header)
        fig = 2.0 if n <= 7 else 1.7
        widths = [max(4.0, 17.0 - fig * (n - 1))] + [fig] * (n - 1)
    if widths:
        t.autofit = False
        for j, w in enumerate(widths):
            t.columns[j].width = Cm(w)  # the grid (LibreOffice reads this)
        for row in t.rows:
            for j, w in enumerate(widths):
                row.cells[j].width = Cm(w)  # the cells (Word reads this)
    doc.add_paragraph()
    return t


def _repeat_header(row) -> None:
    tr_pr = row._tr.get_or_add_trPr()
    el = OxmlElement("w:tblHeader")
    el.set(qn("w:val"), "true")
    tr_pr.append(el)


def _text(doc, value: Any) -> None:
    """A field's text: strings as paragraphs, lists as bullets, mappings as 'key: value' bullets."""
    if value is None or value == "" or value == [] or value == {}:
        doc.add_paragraph(NOT_STATED).runs[0].italic = True
        return
    if isinstance(value, list):
        for v in value:
            doc.add_paragraph(text_of(v), style="List Bullet")
    elif isinstance(value, Mapping):
        for k, v in value.items():
            doc.add_paragraph(f"{str(k).replace('_', ' ').capitalize()}: {text_of(v)}", style="List Bullet")
    else:
        # Case files write paragraphs separated by blank lines and bullets as "- item" (indented for sub-items).
        for block in str(value).strip().split("\n\n"):
            para: list[str] = []
            for line in block.split("\n"):
                stripped = line.lstrip()
                if stripped.startswith(("- ", "* ", "• ")):
                    if para:
                        doc.add_paragraph(" ".join(para))
                        para = []
                    level = 2 if len(line) - len(stripped) >= 2 else 1
                    doc.add_paragraph(stripped[2:].strip(), style="List Bullet 2" if level == 2 else "List Bullet")
                elif stripped:
                    para.append(stripped)
            if para:
                doc.add_paragraph(" ".join(para))


def _answers(doc, c: Mapping, questions: list[tuple[str, str]]) -> None:
    """The council template's questions (level-3 headings), each followed by the case's answer (its field)."""
    for question, field in questions:
        doc.add_heading(question, level=3)
        _text(doc, c.get(field))


def _picture(doc, chart: ch.Chart, width_cm: float = 16.0) -> None:
    doc.add_picture(io.BytesIO(chart.png(dpi=150)), width=Cm(width_cm))
    shape = doc.inline_shapes[-1]
    shape._inline.docPr.set("descr", chart.alt_text)  # alt text for screen readers
    shape._inline.docPr.set("title", chart.title)
    cap = doc.add_paragraph(chart.alt_text, style="Caption") if "Caption" in [s.name for s in doc.styles] \
        else doc.add_paragraph(chart.alt_text)
    cap.runs[0].italic = True
    cap.runs[0].font.size = Pt(8)


def money(v: Any, units: str) -> str:
    if v is None or (isinstance(v, float) and pd.isna(v)):
        return ""
    if not isinstance(v, int | float):
        return str(v)
    # finance convention: negatives in brackets, "(£446k)" not "-£446k"
    from careflow.money import pounds

    if units == "£k":
        return pounds(v, suffix="k")
    if units == "£m":
        return pounds(v, digits=2, suffix="m")
    return pounds(v)


def _stated_years(case: Mapping, years: pd.DataFrame) -> list[str]:
    """The financial years the case itself states (the appraisal's ``stated`` years, or the lines' years), else
    every appraised year. Recurring years beyond are summarised in a sentence, as the councils' tables do."""
    if "stated" in years and years["stated"].any():
        fys = years.loc[years["stated"].astype(bool), "financial_year"].tolist()
    else:
        fys = sorted({fy for ln in case_lines(case) for fy in ln.values})
    return fys or years["financial_year"].tolist()


def case_document(path: str | Path | io.BytesIO, case: Any, appraisal: Mapping | None = None,
                  difference: pd.DataFrame | None = None, parameters: Iterable = (),
                  provenance: Provenance | None = None) -> str | Path | io.BytesIO:
    """Write the business case as a Word document in the council template, with charts embedded.

    ``appraisal`` is the finance appraisal (``careflow appraise --format json``); without one (a case whose figures
    are in an accompanying financial report) the Cost and Savings section says so.
    """
    c = as_mapping(case)
    units = units_of(c, appraisal)
    provenance = provenance or Provenance(title=f"Business case {c.get('reference') or ''}".strip())
    doc = _new_document()
    _overview_and_approach(doc, c)
    _scope_and_dependencies(doc, c)
    if appraisal:
        _cost_and_savings(doc, c, appraisal, appraisal_years(appraisal), units, difference)
    else:
        doc.add_heading("Cost and Savings", level=1)
        doc.add_paragraph("No financial figures are stated in this case (see the accompanying financial report).")

    doc.add_heading("Non Financial Benefits", level=1)
    doc.add_heading("Non Financial Benefits Summary", level=2)
    _text(doc, c.get("non_financial_benefits"))

    _risks(doc, c)
    _community_impact(doc, c)
    _indicators(doc, c)
    _tracking(doc, c, units)
    _timeline(doc, c)
    _annex(doc, parameters, provenance)
    try:
        doc.save(path if isinstance(path, io.BytesIO) else str(path))
    except OSError as exc:
        raise CareflowError(f"cannot write the document: {exc}", rule="output") from exc
    return path


def _new_document():
    """An empty document in the template's fonts (Arial 10) and margins."""
    doc = Document()
    st = doc.styles["Normal"]
    st.font.name = "Arial"
    st.font.size = Pt(10)
    for s in ("Title", "Heading 1", "Heading 2", "Heading 3"):
        doc.styles[s].font.name = "Arial"
    sec = doc.sections[0]
    sec.left_margin = sec.right_margin = Cm(2.0)
    return doc


def _overview_and_approach(doc, c: Mapping) -> None:
    """Title, the Project Overview table, background, approach and the delivery options."""
    doc.add_heading("Business Case", level=0)
    ref = c.get("reference")
    doc.add_paragraph().add_run(f"Title: {(ref + ' ') if ref else ''}{c.get('title') or NOT_STATED}").bold = True

    doc.add_heading("Project Overview", level=1)
    _table(doc, ["Field", "Detail"], [list(r) for r in overview_rows(c)], widths=[5.0, 12.0])

    doc.add_heading("Project Approach", level=1)
    doc.add_heading("Background", level=2)
    _answers(doc, c, [("Why do we need to undertake this project?", "background"),
                      ("What would happen if we did not complete this project?", "what_if_not")])
    doc.add_heading("Approach", level=2)
    _answers(doc, c, [("Aims / Objectives", "aims"), ("Project Overview - What are we doing", "approach"),
                      ("What assumptions have you made?", "assumptions"),
                      ("What constraints does the project face?", "constraints")])
    doc.add_heading("Delivery Options", level=2)
    doc.add_heading("Has an options and feasibility study been undertaken?", level=3)
    study, options = options_of(c)
    if study or not options:
        _text(doc, study)
    if options:
        _table(doc, ["Option", "Description", "Preferred"],
               [[text_of(o.get("title") or o.get("name")), text_of(o.get("description")),
                 "Preferred" if o.get("preferred") else ""] for o in options], widths=[5, 9.5, 2.5],
               bold_rows=[i for i, o in enumerate(options) if o.get("preferred")])


def _scope_and_dependencies(doc, c: Mapping) -> None:
    doc.add_heading("Scope / Interdependencies", level=1)
    doc.add_heading("Scope", level=2)
    within, outside = scope_of(c)
    doc.add_heading("What is within scope?", level=3)
    _text(doc, within)
    doc.add_heading("What is outside of scope?", level=3)
    _text(doc, outside)
    doc.add_heading("Project Dependencies", level=2)
    deps = c.get("dependencies") or []
    if isinstance(deps, list) and deps:
        _table(doc, ["Title"], [[text_of(d)] for d in deps], widths=[17])
    else:
        _text(doc, deps)


def _risks(doc, c: Mapping) -> None:
    doc.add_heading("Risks", level=1)
    risks = c.get("risks") or []
    if isinstance(risks, list) and risks and all(isinstance(r, Mapping) for r in risks):
        # highest score (likelihood x impact, 1-5 scales) first; review dates when the case has them
        _table(doc, ["Risk", "Likelihood", "Impact", "Score", "Mitigation", "Owner", "Review"],
               [[text_of(r.get("title") or r.get("risk")), text_of(r.get("likelihood")), text_of(r.get("impact")),
                 "" if r["score"] is None else str(r["score"]), text_of(r.get("mitigation")),
                 text_of(r.get("owner")), text_of(r.get("review_date")) if r.get("review_date") else ""]
                for r in risk_rows(c)],
               widths=[4.0, 1.8, 2.6, 1.1, 4.4, 2.0, 1.6], size=8.5)
    else:
        _text(doc, risks)


def _community_impact(doc, c: Mapping) -> None:
    doc.add_heading("Project Impact", level=1)
    doc.add_heading("Community Impact Assessment", level=2)
    cia = community_impact_of(c)
    for key, question in (("affected", "Who will be affected by this proposal?"),
                          ("positive", "What positive impacts are anticipated from this proposal?"),
                          ("negative", "What negative impacts are anticipated from this proposal?"),
                          ("neutral", "Are there other impacts which are more neutral?"),
                          ("disproportionate", "Disproportionate impacts on specific groups with protected "
                                               "characteristics")):
        doc.add_heading(question, level=3)
        _text(doc, cia.get(key))


def _indicators(doc, c: Mapping) -> None:
    """Each indicator's baseline, target and latest actual, then targets and actuals by period."""
    doc.add_heading("Indicators", level=1)
    inds = c.get("indicators") or []
    if isinstance(inds, list) and inds and all(isinstance(i, Mapping) for i in inds):
        rows = []
        for i in inds:
            actuals = i.get("actuals") or {}
            latest = ""
            if isinstance(actuals, Mapping) and actuals:
                k = sorted(actuals, key=str)[-1]
                latest = f"{actuals[k]} ({k})"
            source = i.get("source")
            rows.append([text_of(i.get("name") or i.get("title")), text_of(i.get("tier")) if i.get("tier") else "",
                         text_of(i.get("unit")), text_of(i.get("baseline")), text_of(i.get("target")),
                         latest or "none yet", f"data: {source}" if source else "by hand"])
        _table(doc, ["Indicator", "Tier", "Unit", "Baseline", "Target", "Latest actual", "Source"], rows,
               widths=[4.8, 2.2, 2.4, 2.0, 1.6, 2.2, 2.3], size=8.5)
        profile = [r for r in indicator_rows(c) if r["period"] is not None]
        if profile:
            doc.add_heading("Indicators by period (targets and actuals)", level=2)
            _table(doc, ["Indicator", "Period", "Target", "Actual"],
                   [[text_of(r["name"]), str(r["period"]), "" if r["planned"] is None else f"{r['planned']:g}",
                     "" if r["actual"] is None else f"{r['actual']:g}"] for r in profile],
                   widths=[8.0, 3.0, 3.0, 3.0], numeric={2, 3}, size=8.5)
    else:
        _text(doc, inds)


def _timeline(doc, c: Mapping) -> None:
    """Milestones in the form the case gives them (spans, tracked dates or phases) and the timeline chart."""
    doc.add_heading("Timeline", level=1)
    milestones = [m for m in (c.get("milestones") or []) if isinstance(m, Mapping)]
    if milestones and any("start" in m for m in milestones):
        _table(doc, ["Project", "Phase", "Start", "End"],
               [[text_of(m.get("project") or m.get("title") or "Programme"), text_of(m.get("phase") or m.get("name")),
                 text_of(m.get("start")), text_of(m.get("end") or m.get("start"))] for m in milestones],
               widths=[6, 5, 3, 3])
    elif milestones and any(m.get(k) for m in milestones for k in ("planned", "actual", "status")):
        _table(doc, ["Phase", "Date", "Planned", "Actual", "Status", "Description"],
               [[text_of(m.get("phase")), text_of(m.get("date")) if m.get("date") else "",
                 text_of(m.get("planned")) if m.get("planned") else "",
                 text_of(m.get("actual")) if m.get("actual") else "",
                 text_of(m.get("status")) if m.get("status") else "", text_of(m.get("description"))]
                for m in milestones], widths=[3, 2.5, 2.2, 2.2, 2.1, 5])
    elif milestones:
        _table(doc, ["Phase", "Date", "Description"],
               [[text_of(m.get("phase")), text_of(m.get("date")), text_of(m.get("description"))]
                for m in milestones], widths=[5, 4, 8])
    else:
        _text(doc, c.get("milestones"))
    spans = timeline_rows(c)
    if spans:
        try:
            _picture(doc, ch.timeline_chart(spans, title=f"{c.get('title') or 'Programme'}: timeline"))
        except CareflowError as exc:
            doc.add_paragraph(f"Timeline chart not drawn: {exc}")


def _savings_range(doc, appraisal: Mapping, units: str) -> None:
    """A scenario's savings: the source named, and P10, mean and P90 by financial year."""
    rng = list(appraisal.get("savings_range") or [])
    source = appraisal.get("savings_source")
    if not rng and not source:
        return
    doc.add_paragraph(f"Savings source: {source or 'as the case states them'}.")
    if rng:
        _table(doc, ["Financial year", f"P10 ({units})", f"Mean ({units})", f"P90 ({units})"],
               [[r["financial_year"], *(money(r.get(k), units) for k in ("p10", "mean", "p90"))] for r in rng],
               numeric={1, 2, 3}, size=8.5)
        doc.add_paragraph("P10 to P90: 80% of the scenario's simulations fall inside; the mean is the figure "
                          "appraised.")


def _cost_and_savings(doc, c: Mapping, appraisal: Mapping, years: pd.DataFrame, units: str,
                      difference: pd.DataFrame | None) -> None:
    doc.add_heading("Cost and Savings", level=1)
    fys = _stated_years(c, years)
    doc.add_paragraph(f"All figures in {units} ({'thousands of pounds' if units == '£k' else 'pounds'}), "
                      f"{price_base_of(c, appraisal)}; financial years 1 April to 31 March. Savings are against the "
                      "baseline (each year's saving, not the increment).")
    _savings_range(doc, appraisal, units)
    lines = case_lines(c)
    for kind, title, col in ((INVESTMENT, "Investment (one-off costs)", "investment"),
                             (SAVING, "Savings", "savings"), (ONGOING, "Ongoing costs", "ongoing_costs")):
        detail = [ln for ln in lines if ln.kind == kind]
        appraised = {fy: float(years.loc[years["financial_year"] == fy, col].sum()) for fy in fys}
        if not detail and not any(appraised.values()):
            continue
        doc.add_heading(title, level=2)
        rows = [[ln.name, *[money(ln.values.get(fy), units) for fy in fys], money(ln.total, units)]
                for ln in detail]
        total = {fy: sum(ln.values.get(fy, 0.0) for ln in detail) for fy in fys} if detail else appraised
        rows.append([f"Total {title.split(' (')[0].lower()}", *[money(total[fy], units) for fy in fys],
                     money(sum(total.values()), units)])
        _table(doc, [f"Line ({units})", *fys, "Total"], rows, numeric=set(range(1, len(fys) + 2)),
               bold_rows=[len(rows) - 1], size=8)

    doc.add_heading("Net position", level=2)
    sub = years[years["financial_year"].isin(fys)]
    rows = [["Net savings (savings less ongoing costs)", *[money(v, units) for v in sub["net_savings"]]],
            ["Net (savings less investment and ongoing costs)", *[money(v, units) for v in sub["net"]]],
            ["Cumulative net", *[money(v, units) for v in sub["cumulative_net"]]]]
    _table(doc, [f"{units}", *fys], rows, numeric=set(range(1, len(fys) + 1)), bold_rows=[0, 2], size=8)
    later = years[~years["financial_year"].isin(fys) & (years["financial_year"] > max(fys))]
    if not later.empty:
        doc.add_paragraph(f"The appraisal continues to {later['financial_year'].iloc[-1]}: net savings of "
                          f"{money(float(later['net_savings'].iloc[-1]), units)} a year recur after {max(fys)}, and the "
                          f"cumulative net reaches {money(float(later['cumulative_net'].iloc[-1]), units)}.")

    doc.add_heading("Return on investment", level=2)
    mrows = []
    for label, v, key, unit in measure_rows(appraisal, units):
        if key in ("£", "£k", "£m"):
            mrows.append([label, money(v, units)])
        elif isinstance(v, int | float):
            mrows.append([label, f"{v:,.2f} {unit}" if unit != "ratio" else f"{v:,.2f}"])
        else:
            mrows.append([label, str(v)])
    settings = appraisal.get("settings") or {}
    if "discount_rate" in settings:
        mrows.append(["Discount rate (real)", f"{float(settings['discount_rate']):.1%} a year"])
    _table(doc, ["Measure", "Value"], mrows, widths=[11, 6], numeric={1})
    _sensitivity(doc, appraisal, units)

    checks = list(appraisal.get("checks") or [])
    if checks:
        doc.add_heading("Checks of the stated figures", level=2)
        bad = failed_checks(appraisal)
        p = doc.add_paragraph()
        run = p.add_run(f"{len(bad)} stated figure(s) in the document do not add up; they are shown in red with "
                        "the figure computed from the document's own numbers." if bad else
                        "Every stated figure checked adds up.")
        run.bold = True
        if bad:
            run.font.color.rgb = RGBColor.from_string(RED)
        rows, flags = [], []
        for i, k in enumerate(checks):
            ok = bool(k.get("ok", True))
            rows.append([str(k.get("item", "")), _fmt(k.get("stated")), _fmt(k.get("computed")),
                         "Consistent" if ok else "DOES NOT ADD UP"])
            if not ok:
                flags.append(i)
        _table(doc, ["Item", "Stated", "Computed", "Result"], rows, widths=[8, 2.8, 2.8, 3.4], numeric={1, 2},
               flag_rows=flags)
    _picture(doc, ch.mtfs_chart(years, units=units, title=f"{c.get('title') or 'Business case'}: cash flows"))

    if difference is not None and not difference.empty:
        doc.add_heading("Savings modelled by lever", level=2)
        d = difference.assign(financial_year=difference["financial_year"].map(lambda v: ch._fy_label(v)))
        piv = d.pivot_table(index="lever", columns="financial_year", values="pounds_mean", aggfunc="sum",
                            sort=False)
        dfys = sorted(piv.columns)
        rows = [[str(lv).replace("_", " ") if lv != "all" else "all (combined scenario)",
                 *[money(float(piv.loc[lv, fy]) / 1000, "£k") for fy in dfys]] for lv in piv.index]
        doc.add_paragraph("Modelled savings against the baseline forecast (£k, mean of the simulations).")
        _table(doc, ["Lever (£k)", *dfys], rows, numeric=set(range(1, len(dfys) + 1)), size=8)
        _picture(doc, ch.savings_waterfall(difference))


def _sensitivity(doc, appraisal: Mapping, units: str) -> None:
    """What ``careflow appraise`` computes beside the central case: NPV and payback with savings and costs moved,
    and the switching values (the change that brings NPV to zero)."""
    rows = list(appraisal.get("sensitivity") or [])
    sw = appraisal.get("switching_values_pct") or {}
    if not rows and not sw:
        return
    doc.add_heading("Sensitivity and switching values", level=2)
    if rows:
        def years(v):
            return "not reached" if v is None else f"{float(v):,.2f} years"

        table = [[f"{str(r.get('variable', '')).capitalize()} {float(r.get('change_pct', 0)):+.0f}%",
                  money(r.get("npv"), units), years(r.get("payback_years_simple")),
                  years(r.get("payback_years_cashflow"))] for r in rows]
        _table(doc, ["Change", f"NPV ({units})", "Payback (simple)", "Payback (cash-flow)"], table,
               numeric={1, 2, 3}, size=8)
    if sw:
        def pct(v):
            return "no such flow" if v is None else f"{float(v):,.1f}%"

        doc.add_paragraph("Switching values (the change that brings NPV to zero): savings "
                          f"{pct(sw.get('savings_pct'))}, investment {pct(sw.get('investment_pct'))}, ongoing "
                          f"costs {pct(sw.get('ongoing_costs_pct'))}.")


def _tracking(doc, c: Mapping, units: str) -> None:
    """Delivery tracking (planned, forecast, delivered savings by year) when the register holds it."""
    entries = [t for t in (c.get("tracking") or []) if isinstance(t, Mapping)]
    if not entries:
        return
    doc.add_heading("Delivery tracking", level=1)
    doc.add_paragraph(f"Savings against the baseline in {units}: planned in the case, latest forecast and delivered.")
    from careflow.register import rag  # the register's RAG rule, so the document agrees with the register

    def status(t: Mapping) -> str:
        if t.get("rag"):
            return str(t["rag"])
        r = rag(t.get("planned"), t.get("forecast"), t.get("delivered"))
        return r.value if r is not None else ""

    _table(doc, ["Financial year", "Planned", "Forecast", "Delivered", "RAG", "Note"],
           [[text_of(t.get("year")), money(t.get("planned"), units), money(t.get("forecast"), units),
             money(t.get("delivered"), units), status(t), text_of(t.get("note")) if t.get("note") else ""]
            for t in entries], numeric={1, 2, 3}, widths=[2.6, 2.6, 2.6, 2.6, 2.2, 4.4])


def _fmt(v: Any) -> str:
    if isinstance(v, int | float) and not isinstance(v, bool):
        return f"{v:,.2f}" if v != int(v) else f"{v:,.0f}"
    return "" if v is None else str(v)


def _annex(doc, parameters: Iterable, provenance: Provenance) -> None:
    new = doc.add_section()
    new.orientation = WD_ORIENT.LANDSCAPE
    new.page_width, new.page_height = new.page_height, new.page_width
    doc.add_heading("Annex: parameters and how this document was produced", level=1)
    # One row per parameter (its values listed together) so each source is printed once.
    grouped: dict[str, list] = {}
    for p in parameter_rows(parameters):
        grouped.setdefault(p.parameter, []).append(p)
    rows = []
    for name, ps in grouped.items():
        values = "\n".join(" ".join(x for x in (q.item, f"from {q.date}" if q.date else "") if x) + f": {q.value}"
                           if (q.item or q.date) else str(q.value) for q in ps)
        rows.append([name, ps[0].description, values, ps[0].unit, ps[0].source])
    if rows:
        _table(doc, ["Parameter", "Description", "Values", "Unit", "Source"], rows, widths=[3.5, 5, 5, 3, 9],
               size=8)
    else:
        doc.add_paragraph("No modelling parameters were used: the figures are the case's own.")
    _table(doc, ["Item", "Detail"], [list(r) for r in provenance.rows()], widths=[5, 20], size=8)
