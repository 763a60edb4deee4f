"""The Data journey: upload SSDA903 returns, read the validation report, see the history of children looked after.

Uploads are stored in the workspace (careflow.web.datasets); validation runs in the background; every count comes
from the library (careflow.pipeline). URLs carry only the upload's random id and filter groups, never a child.
"""

from __future__ import annotations

import io

from flask import Blueprint, abort, current_app, redirect, render_template, request, send_file, url_for
from flask_wtf import FlaskForm
from werkzeug.exceptions import RequestEntityTooLarge
from wtforms import MultipleFileField, StringField
from wtforms.validators import Length, Optional, ValidationError

from careflow import pipeline, safecsv
from careflow.errors import CareflowError
from careflow.fy import FinancialYear
from careflow.reports.charts import history_chart
from careflow.vocabulary import category_name
from careflow.web import datasets, jobs
from careflow.web.errors import size_text
from careflow.web.templating import error_list
from careflow.web.workspace import current_workspace

bp = Blueprint("data", __name__, url_prefix="/data")

ISSUE_COLUMNS = ["rule", "severity", "file", "row", "child", "field", "message"]
SHOWN_PER_RULE = 50  # findings listed per rule on the page; the downloads have them all
HISTORY_FILTERS = (("la", "Local authority"), ("sex", "Sex"), ("ethnicity", "Ethnic group"), ("uasc", "UASC"),
                   ("age_band", "Age band"), ("category", "Placement category"))


def _collection_year(form, field) -> None:
    if field.data:
        try:
            field.data = FinancialYear.parse(field.data.strip()).label
        except ValueError:
            raise ValidationError("Enter the collection year like 2024-25") from None


class UploadForm(FlaskForm):
    files = MultipleFileField("SSDA903 files")
    year = StringField("Collection year (optional)", validators=[Optional(), _collection_year])
    la_name = StringField("Council name (optional)", validators=[Optional(), Length(max=100, message=(
        "Council name must be 100 characters or fewer"))])


class YearForm(FlaskForm):
    year = StringField("Collection year", validators=[_collection_year])

    def validate_year(self, field):
        if not field.data:
            raise ValidationError("Enter the collection year like 2024-25")


class SelectForm(FlaskForm):
    pass


def _dataset(dataset_id: str) -> datasets.Dataset:
    ds = datasets.get(dataset_id)
    if ds is None:
        abort(404)
    return ds


@bp.get("/")
def index():
    return render_template("data/index.html", selected=datasets.selected(), builtin=datasets.anyshire(),
                           uploads=datasets.uploads(), form=SelectForm())


@bp.errorhandler(RequestEntityTooLarge)
def too_large(exc):
    """Too large an upload: the upload page again, with the error summary naming the limit."""
    form = UploadForm(formdata=None)
    limit = size_text(current_app.config.get("MAX_CONTENT_LENGTH") or 0)
    message = f"The files must be smaller than {limit} in all: upload fewer files at a time, or zip them"
    return render_template("data/upload.html", form=form, errors=[{"href": "#files", "text": message}],
                           files_error={"text": message}), 413


@bp.route("/upload", methods=["GET", "POST"])
def upload():
    form = UploadForm()
    files_error = None
    if form.validate_on_submit():
        chosen = [f for f in request.files.getlist(form.files.name) if f and f.filename]
        try:
            ds = datasets.create([(f.filename, f.stream) for f in chosen], year=form.year.data or None,
                                 la_name=(form.la_name.data or "").strip() or None, limits={
                                     "max_files": current_app.config["MAX_UPLOAD_FILES"],
                                     "max_bytes": current_app.config["MAX_UNPACKED_BYTES"]})
        except CareflowError as exc:
            files_error = {"text": exc.findings[0].message}
            errors = [{"href": "#files", "text": f.message} for f in exc.findings]
            return render_template("data/upload.html", form=form, errors=errors, files_error=files_error), 400
        datasets.select(ds)
        return redirect(url_for("data.report", dataset_id=ds.id), code=303)
    errors = error_list(form)
    return render_template("data/upload.html", form=form, errors=errors, files_error=files_error), (
        400 if errors else 200)


@bp.post("/<dataset_id>/select")
def select(dataset_id: str):
    ds = _dataset(dataset_id)
    if SelectForm().validate_on_submit():
        datasets.select(ds)
    return redirect(url_for("data.index"), code=303)


def _report_or_job(ds: datasets.Dataset):
    """The report, or a redirect to the progress page of the job making it (which shows why, if it fails;
    asking again retries)."""
    found = datasets.report(ds)
    if found is not None:
        return found, None
    ws = current_workspace()
    job_id = jobs.submit(("validate", str(ws.root), ds.id, ds.year), datasets.validate, ds, ws,
                         then=url_for("data.report", dataset_id=ds.id))
    return None, redirect(url_for("home.job", job_id=job_id), code=303)


@bp.get("/<dataset_id>/report")
def report(dataset_id: str):
    ds = _dataset(dataset_id)
    doc, wait = _report_or_job(ds)
    if wait is not None:
        return wait
    view = pipeline.validation_view(doc, severity=request.args.get("severity") or None,
                                    rule=request.args.get("rule") or None, file=request.args.get("file") or None,
                                    shown=SHOWN_PER_RULE)
    needs_year = any(i.get("rule") == "CF-YEAR" for i in doc.get("issues", []))
    return render_template("data/report.html", ds=ds, doc=doc, view=view, needs_year=needs_year,
                           selected=datasets.selected())


def _made_report(dataset_id: str) -> dict:
    """The dataset's report for a download; a report not made yet sends the user to the report page."""
    ds = _dataset(dataset_id)
    doc = datasets.report(ds)
    if doc is None:
        abort(redirect(url_for("data.report", dataset_id=ds.id), code=303))
    return doc


@bp.get("/<dataset_id>/report.csv")
def report_csv(dataset_id: str):
    doc = _made_report(dataset_id)
    text = safecsv.dict_rows(ISSUE_COLUMNS, doc.get("issues", []))
    return send_file(io.BytesIO(text.encode("utf-8")), mimetype="text/csv", as_attachment=True,
                     download_name="validation.csv")


@bp.get("/<dataset_id>/report.xlsx")
def report_xlsx(dataset_id: str):
    doc = _made_report(dataset_id)
    buffer = io.BytesIO()
    pipeline.write_validation_workbook(doc, buffer)
    buffer.seek(0)
    return send_file(buffer, as_attachment=True, download_name="validation.xlsx",
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@bp.route("/<dataset_id>/year", methods=["GET", "POST"])
def year(dataset_id: str):
    ds = _dataset(dataset_id)
    if ds.builtin:
        abort(404)
    form = YearForm(data={"year": ds.year})
    if form.validate_on_submit():
        datasets.set_year(ds, form.year.data)
        return redirect(url_for("data.report", dataset_id=ds.id), code=303)
    errors = error_list(form)
    return render_template("data/year.html", ds=ds, form=form, errors=errors), 400 if errors else 200


def _history(ds: datasets.Dataset):
    """(data, the history for the filters in the query, the filters used, errors) of a dataset."""
    data = datasets.returns(ds)
    chosen = {name: request.args.get(name) or None for name, _ in HISTORY_FILTERS}
    try:
        return data, pipeline.history(data, **chosen), chosen, []
    except CareflowError as exc:  # a filter value the data do not have (an edited URL)
        errors = [{"href": f"#{f.field}", "text": f.message} for f in exc.findings]
        return data, pipeline.history(data), {name: None for name in chosen}, errors


def _who(filters: dict) -> str:
    return "children" + ("" if not filters else " with " + ", ".join(
        f"{k.replace('_', ' ')} {category_name(v) if k == 'category' else v}" for k, v in filters.items()))


@bp.get("/<dataset_id>/history")
def history(dataset_id: str):
    ds = _dataset(dataset_id)
    try:
        data, result, chosen, errors = _history(ds)
    except CareflowError as exc:
        return render_template("data/unusable.html", ds=ds, findings=exc.findings[:20]), 200
    chart = history_chart(result.monthly, _who(result.filters)) if len(result.monthly) else None
    return render_template("data/history.html", ds=ds, options=pipeline.history_filters(data), chosen=chosen,
                           filters=HISTORY_FILTERS, result=result, errors=errors, chart=chart,
                           chart_url=url_for("data.history_svg", dataset_id=ds.id, **{
                               k: v for k, v in result.filters.items()})), 400 if errors else 200


@bp.get("/<dataset_id>/history.svg")
def history_svg(dataset_id: str):
    ds = _dataset(dataset_id)
    try:
        _, result, _, _ = _history(ds)
    except CareflowError:
        abort(404)
    if not len(result.monthly):
        abort(404)
    svg = history_chart(result.monthly, _who(result.filters)).svg()
    return current_app.response_class(svg, mimetype="image/svg+xml")
