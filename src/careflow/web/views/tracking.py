"""Delivery tracking: for a case, record the planned, forecast and delivered saving of a financial year and the
year's indicator actuals; see each year's RAG and each indicator against its target.

Views call careflow.register (Register.track, listing, sections); the RAG rule is the register's.
"""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for

from careflow.errors import CareflowError
from careflow.web.casework import VersionForm, findings_errors, register, user

bp = Blueprint("tracking", __name__, url_prefix="/tracking")


@bp.get("/")
def index():
    from careflow.register.listing import case_rows

    rows = [r for r in case_rows(register().list()) if r.net_saving is not None]
    return render_template("tracking/index.html", rows=rows)


@bp.route("/case/<path:reference>", methods=["GET", "POST"])
def case(reference: str):
    from careflow.register import StaleEditError
    from careflow.register import financials as fin
    from careflow.register.listing import delivery_table, indicator_table
    from careflow.register.sections import read_tracking, tracking_fields

    reg = register()
    try:
        stored = reg.get(reference)
    except CareflowError as exc:
        if any(f.rule == "case-not-found" for f in exc.findings):
            abort(404)
        raise
    form = VersionForm()
    errors, inline, values, stale = [], {}, {}, False
    if request.method == "POST":
        values = {k: v for k, v in request.form.items() if k not in ("csrf_token", "version")}
        if form.validate_on_submit():
            try:
                got = read_tracking(stored.case, request.form)
                reg.track(reference, got.year, planned=got.planned, forecast=got.forecast, delivered=got.delivered,
                          note=got.note, indicators=got.indicators or None, user=user(),
                          expected_version=form.expected_version())
                return redirect(url_for("tracking.case", reference=reference, recorded=got.year), code=303)
            except StaleEditError:
                now = reg.get(reference)
                errors = [{"href": "#year", "text": f"Nothing was recorded: someone else changed this case while "
                                                    f"you were entering figures (now version {now.version}, by "
                                                    f"{now.updated_by}). Your figures are kept below: check the "
                                                    f"current figures, then record again."}]
                stored, stale = now, True
            except CareflowError as exc:
                errors, inline = findings_errors(exc, "year")
        else:
            errors = [{"href": "#main-content", "text": "The form could not be read: reload the page and try again"}]
    else:
        form.version.data = str(stored.version)
    rows = delivery_table(stored.case)
    return render_template("tracking/case.html", stored=stored, case=stored.case, rows=rows,
                           indicators=indicator_table(stored.case), fields=tracking_fields(stored.case),
                           units=fin.units(stored.case.financials) or "", years=[r.year for r in rows],
                           form=form, values=values, errors=errors, inline=inline,
                           recorded=request.args.get("recorded")), 409 if stale else (400 if errors else 200)
