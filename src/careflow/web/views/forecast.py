"""The Forecast journey: settings, the forecast run in the background, then the fan chart with its table, children by
placement category and age band, placement costs by financial year with P10/P50/P90, and the Excel workbook.

Every figure comes from :func:`careflow.pipeline.forecast` (a :class:`careflow.pipeline.Forecast`); charts from
:mod:`careflow.reports.charts`; the workbook from :func:`careflow.pipeline.forecast_report`. The same settings on
the same data reuse the run (the job's key).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from pathlib import Path

from flask import Blueprint, redirect, render_template, send_file, url_for
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import AnyOf, Optional, ValidationError

from careflow import pipeline
from careflow.accounts import Permission
from careflow.errors import CareflowError
from careflow.vocabulary import category_name
from careflow.web import datasets, jobs, results
from careflow.web.auth import requires
from careflow.web.templating import error_list
from careflow.web.workspace import Workspace, current_workspace

bp = Blueprint("forecast", __name__, url_prefix="/forecast")

MAX_RUNS = 5000


def _iso_date(form, field) -> None:
    if field.data:
        try:
            field.data = dt.date.fromisoformat(field.data.strip()).isoformat()
        except ValueError:
            raise ValidationError("Enter the start date like 2025-03-31") from None


def whole_number(what: str, low: int, high: int, required: bool = True):
    """A validator turning the field's text into a whole number from ``low`` to ``high`` (None when left empty
    and not required), with GOV.UK-style messages naming ``what``."""
    def check(form, field) -> None:
        text = (field.data or "").strip().replace(",", "") if isinstance(field.data, str) else field.data
        if text in ("", None):
            if required:
                raise ValidationError(f"Enter the {what}, from {low:,} to {high:,}")
            field.data = None
            return
        try:
            value = int(text)
        except (TypeError, ValueError):
            raise ValidationError(f"The {what} must be a whole number, like {low:,}") from None
        if not low <= value <= high:
            raise ValidationError(f"The {what} must be from {low:,} to {high:,}")
        field.data = value
    return check


class ForecastForm(FlaskForm):
    start = StringField("Start date", validators=[Optional(), _iso_date])
    years = StringField("Years ahead", default="5", validators=[whole_number("number of years ahead", 1, 10)])
    runs = StringField("Monte Carlo runs", default="500", validators=[
        whole_number("number of Monte Carlo runs", 20, MAX_RUNS)])
    window = StringField("Reference window in months (optional)", validators=[
        whole_number("reference window in months", 6, 120, required=False)])
    trend = StringField("Trend in entries", default="no", validators=[
        AnyOf(["no", "yes"], message="Choose whether entries to care follow a trend")])

    trend_choices = (("no", "No: entries stay at the window's rate"),
                     ("yes", "Yes: entries follow the trend fitted over the window"))


def end_of(start: dt.date, years: int) -> dt.date:
    """31 March ``years`` years after the start (the forecast's horizon)."""
    return dt.date(start.year + years + (start.month > 3), 3, 31)


def _data(ds):
    try:
        return datasets.model_data(ds), None
    except CareflowError as exc:
        return None, exc


@dataclass
class ForecastRun:
    """What the result pages show: the forecast, its charts (reports/charts.py) and its workbook."""

    label: str
    forecast: pipeline.Forecast
    charts: dict[str, dict]  # name -> svg, png, alt (drawn once in the job: a figure is not drawn by two threads)
    workbook: Path


def run_forecast(ws: Workspace, ds, start: dt.date, end: dt.date, runs: int, window: int | None, trend: bool,
                 progress=None) -> ForecastRun:
    """The background job: the selected data's forecast with these settings, its charts and its workbook."""
    from careflow.reports import cost_chart, fan_chart

    data = datasets.model_data(ds, ws)
    step = progress or (lambda fraction, message="": None)
    fc = pipeline.forecast(data, start=start, end=end, runs=runs, window_months=window, trend=trend, seed=0,
                           progress=lambda fraction, message: step(0.9 * fraction, message))
    step(0.9, "drawing the charts and writing the workbook")
    name = ds.la_name or ds.label
    digest = hashlib.sha256(repr((ds.id, ds.year, start, end, runs, window, trend)).encode()).hexdigest()[:16]
    path = pipeline.forecast_report(fc, ws.runs / f"forecast-{digest}.xlsx", la_name=ds.la_name or "",
                                    command="careflow serve: Forecast")
    charts = {"fan": fan_chart(fc.stock(), history=fc.history_frame(), la_name=name),
              "costs": cost_chart(fc.costs(), la_name=name)}
    return ForecastRun(name, fc, results.drawn(charts), path)


@bp.route("/", methods=["GET", "POST"])
@requires(Permission.READ)  # a forecast of the selected data only computes: a viewer may run one (shared mode)
def index():
    ds = datasets.selected()
    data, problem = _data(ds)
    if problem is not None:
        return render_template("forecast/unusable.html", ds=ds, problem=problem), 422
    form = ForecastForm()
    errors = []
    if form.validate_on_submit():
        start = dt.date.fromisoformat(form.start.data) if form.start.data else data.data_end
        if start > data.data_end:
            form.start.errors = [f"The start date must be on or before the end of the data, "
                                 f"{data.data_end:%d %B %Y}"]
        else:
            settings = (start, end_of(start, form.years.data), form.runs.data, form.window.data,
                        form.trend.data == "yes")
            job_id = jobs.submit(("forecast", ds.id, ds.year, settings), run_forecast, current_workspace(), ds,
                                 *settings, then=lambda job_id: url_for("forecast.result", job_id=job_id))
            return redirect(url_for("home.job", job_id=job_id), code=303)
    errors = error_list(form)
    return render_template("forecast/index.html", form=form, ds=ds, data=data, errors=errors), 400 if errors else 200


def _result(job_id: str) -> ForecastRun:
    return results.finished(job_id, "forecast")


@bp.get("/result/<job_id>")
def result(job_id: str):
    run = _result(job_id)
    fc = run.forecast
    return render_template("forecast/result.html", job_id=job_id, run=run, fc=fc, summary=fc.summary(),
                           category_name=category_name,
                           fan=fc.fan(), by_category=_by_date(fc.children_by("category"), "category"),
                           by_age=_by_date(fc.children_by("age_band"), "age_band"), costs=fc.costs_by_year())


def _by_date(frame, column: str) -> dict:
    """A children_by table as the page lays it out: one row per category (or age band), one column per date."""
    dates = list(dict.fromkeys(frame["date"]))
    rows = {}
    for r in frame.itertuples():
        rows.setdefault(getattr(r, column), []).append(r)
    return {"dates": dates, "rows": list(rows.items())}


@bp.get("/result/<job_id>/<name>.<fmt>")
def chart(job_id: str, name: str, fmt: str):
    return results.chart_response(_result(job_id).charts, name, fmt)


@bp.get("/result/<job_id>/forecast.xlsx")
def workbook(job_id: str):
    run = _result(job_id)
    return send_file(run.workbook, as_attachment=True, download_name="forecast.xlsx",
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
