"""Business cases: the register's list (filter by authority, status, RAG), a case in the council template, every
section editable one page at a time (a stale edit refused, the user's text kept), the audit history, status moves,
a new case, the appraisal with its checks, and the case as Word and Excel.

Views call careflow.register (sections, listing) and careflow.pipeline; no finance logic here.
"""

from __future__ import annotations

import re

from flask import Blueprint, abort, redirect, render_template, request, send_file, url_for

from careflow.errors import CareflowError
from careflow.web.casework import VersionForm, findings_errors, register, user
from careflow.web.workspace import current_workspace

bp = Blueprint("cases", __name__, url_prefix="/cases")


def _stored(reference: str):
    try:
        return register().get(reference)
    except CareflowError as exc:
        if any(f.rule == "case-not-found" for f in exc.findings):
            abort(404)
        raise


@bp.get("/")
def index():
    from careflow.register.listing import case_rows, facets

    stored = register().list()
    chosen = {k: request.args.get(k, "") for k in ("authority", "status", "rag")}
    everything = case_rows(stored)
    rows = case_rows(stored, authority=chosen["authority"], status=chosen["status"], rag_filter=chosen["rag"])
    return render_template("cases/index.html", rows=rows, facets=facets(everything), chosen=chosen,
                           total=len(everything))


@bp.route("/new", methods=["GET", "POST"])
def new():
    from careflow.register.sections import NEW_CASE_FIELDS, new_case

    form = VersionForm()
    values = {f.name: request.form.get(f.name, "") for f in NEW_CASE_FIELDS}
    errors, inline = [], {}
    if request.method == "POST" and form.validate_on_submit():
        try:
            case = new_case(request.form)
            register().add(case, user=user())
            return redirect(url_for("cases.show", reference=case.reference), code=303)
        except CareflowError as exc:
            errors, inline = findings_errors(exc, "reference")
    return render_template("cases/new.html", form=form, fields=NEW_CASE_FIELDS, values=values, errors=errors,
                           inline=inline), 400 if errors else 200


@bp.get("/case/<path:reference>")
def show(reference: str):
    from careflow.register import TRANSITIONS
    from careflow.register.listing import delivery_rag
    from careflow.register.sections import SECTIONS
    from careflow.reports import case_view

    s = _stored(reference)
    c = case_view.as_mapping(s.case)
    rag, rag_year = delivery_rag(s.case)
    study, options = case_view.options_of(c)
    within, outside = case_view.scope_of(c)
    return render_template(
        "cases/show.html", stored=s, case=s.case, c=c, sections=SECTIONS, overview=case_view.overview_rows(c),
        options=options, study=study, within=within or [], outside=outside or [],
        risks=case_view.risk_rows(c), cia=case_view.community_impact_of(c), indicators=case_view.indicator_rows(c),
        money=_money_rows(s.case), moves=sorted(m.value for m in TRANSITIONS[s.case.status]), rag=rag,
        rag_year=rag_year, updated=request.args.get("updated"))


def _money_rows(case) -> dict:
    """The cost and savings table as the case states it (by year), and line-item totals where the case gives
    its figures in lines."""
    from careflow.register import financials as fin
    from careflow.register.sections import line_items, year_rows

    return {"units": fin.units(case.financials), "rows": year_rows(case), "lines": line_items(case),
            "planned": fin.planned_savings(case.financials)}


@bp.route("/edit/<key>/<path:reference>", methods=["GET", "POST"])
def edit(key: str, reference: str):
    from careflow.register import StaleEditError
    from careflow.register.sections import SECTIONS, apply_section, form_values, line_items, row_count

    if key not in SECTIONS:
        abort(404)
    section = SECTIONS[key]
    s = _stored(reference)
    form = VersionForm()
    errors, inline, stale = [], {}, None
    if request.method == "POST":
        values = {k: v for k, v in request.form.items() if k not in ("csrf_token", "version")}
        if form.validate_on_submit():
            expected = form.expected_version()
            try:
                edited = apply_section(s.case, key, values)
                if expected is None:
                    raise StaleEditError(_no_version())
                register().update(edited, expected_version=expected, user=user())
                return redirect(url_for("cases.show", reference=reference, updated=section.title,
                                        _anchor=f"section-{key}"), code=303)
            except StaleEditError as exc:
                stale = register().get(reference)
                errors = [{"href": "#stale-edit", "text": _stale_text(exc, stale)}]
            except CareflowError as exc:
                errors, inline = findings_errors(exc)
        else:
            errors = [{"href": "#main-content", "text": "The form could not be read: reload the page and try again"}]
    else:
        values = form_values(s.case, key)
        form.version.data = str(s.version)
    rows = list(range(row_count(values, key))) if section.rows else []
    return render_template("cases/edit.html", form=form, stored=s, section=section, values=values, rows=rows,
                           errors=errors, inline=inline, stale=stale,
                           lines=line_items(s.case) if key == "financials" else {}), 409 if stale else (
        400 if errors else 200)


def _no_version():
    from careflow.errors import Finding

    return Finding(rule="stale-edit", field="version", message="the page did not say which version it edits")


def _stale_text(exc, current) -> str:
    return (f"Your changes were not saved: someone else changed this case while you were editing it (now version "
            f"{current.version}, last changed by {current.updated_by} at {current.updated_at:%d %B %Y %H:%M}). "
            "Your text is kept below. Open the current version, then make your change again.")


@bp.get("/history/<path:reference>")
def history(reference: str):
    s = _stored(reference)
    entries = list(reversed(register().history(reference)))
    return render_template("cases/history.html", stored=s, entries=entries, short=_short)


def _short(value) -> str:
    import json

    if value is None:
        return ""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 300 else text[:297] + "..."


@bp.route("/status/<path:reference>", methods=["GET", "POST"])
def status(reference: str):
    from careflow.register import TRANSITIONS, StaleEditError

    s = _stored(reference)
    form = VersionForm()
    moves = sorted(m.value for m in TRANSITIONS[s.case.status])
    errors, inline = [], {}
    chosen = request.form.get("status", "")
    if request.method == "POST" and form.validate_on_submit():
        if chosen not in moves:
            errors, inline = [{"href": "#status", "text": "Choose the new status"}], {
                "status": {"text": "Choose the new status"}}
        else:
            try:
                register().set_status(reference, chosen, user=user(), expected_version=form.expected_version())
                return redirect(url_for("cases.show", reference=reference, updated="Status"), code=303)
            except StaleEditError as exc:
                errors = [{"href": "#status", "text": _stale_text(exc, register().get(reference))}]
            except CareflowError as exc:
                errors, inline = findings_errors(exc, "status")
    elif request.method == "GET":
        form.version.data = str(s.version)
    return render_template("cases/status.html", form=form, stored=s, moves=moves, chosen=chosen, errors=errors,
                           inline=inline), 400 if errors else 200


@bp.get("/appraisal/<path:reference>")
def appraisal(reference: str):
    from careflow.pipeline import appraise_stored
    from careflow.pipeline.cases import cross_checks_only
    from careflow.reports.excel import MEASURES

    s = _stored(reference)
    a = appraise_stored(s.case)
    checks = a["checks"] if a is not None else cross_checks_only(s.case)
    return render_template("cases/appraisal.html", stored=s, a=a, checks=checks, measures=MEASURES)


def _filename(reference: str, suffix: str) -> str:
    return (re.sub(r"[^A-Za-z0-9]+", "_", reference).strip("_").lower() or "case") + suffix


@bp.get("/download/<fmt>/<path:reference>")
def download(fmt: str, reference: str):
    from careflow.pipeline import stored_case_report

    if fmt not in ("docx", "xlsx"):
        abort(404)
    s = _stored(reference)
    out = current_workspace().runs / "downloads" / f"{_filename(reference, '')}-v{s.version}.{fmt}"
    try:
        stored_case_report(s.case, out, fmt, version=s.version)
    except CareflowError as exc:
        return render_template("error.html", title="There is no workbook for this case",
                               message=exc.findings[0].message, status=404), 404
    return send_file(out, as_attachment=True, download_name=_filename(reference, f".{fmt}"))
