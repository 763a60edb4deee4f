"""The Scenario builder journey: name a scenario, add levers one at a time (every lever type, each field explained in
plain words), check your answers, run it against the selected data in the background, see each lever's saving by
financial year with its range, and save it as a scenario YAML file.

The lever types, their fields and explanations come from :mod:`careflow.levers.catalogue` (from the scenario schema);
a lever typed into the form is validated as a scenario file is (:func:`careflow.levers.catalogue.lever_from_form`).
The scenario being built is kept as its YAML file in the workspace (``scenarios/<id>.yaml``, a random id), so the
file saved is the file run. A finished run's savings can be attached to a business case in the register (choose
the case and the lever, check your answers): :func:`careflow.pipeline.attach_scenario` does it, the register keeps
the change in the case's history and refuses it when the case changed since the check page was shown.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from pathlib import Path

from flask import Blueprint, Response, abort, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import AnyOf, InputRequired, Length

from careflow import pipeline
from careflow.errors import CareflowError
from careflow.levers import Scenario
from careflow.levers.catalogue import answers, form_values, lever_catalogue, lever_from_form, lever_spec
from careflow.web import datasets, jobs, results
from careflow.web.casework import VersionForm, findings_errors, register, user
from careflow.web.templating import error_list
from careflow.web.views.forecast import whole_number
from careflow.web.workspace import Workspace, current_workspace

bp = Blueprint("scenarios", __name__, url_prefix="/scenarios")

_ID = re.compile(r"^[0-9a-f]{32}$")
MAX_LEVERS = 30
MAX_RUNS = 2000
FIRST_FIELDS = ("start", "end")  # shown first; name and note last
LAST_FIELDS = ("name", "note")


class NameForm(FlaskForm):
    name = StringField("Scenario name", validators=[
        InputRequired(message="Enter a name for the scenario"),
        Length(max=100, message="The scenario name must be 100 characters or fewer")])


class TypeForm(FlaskForm):
    type = StringField("Lever type", validators=[
        InputRequired(message="Choose the kind of lever to add"),
        AnyOf([s.type for s in lever_catalogue()], message="Choose the kind of lever to add")])


class RunForm(FlaskForm):
    runs = StringField("Monte Carlo runs", default="200", validators=[
        whole_number("number of Monte Carlo runs", 20, MAX_RUNS)])


class PostForm(FlaskForm):
    """A form with only the CSRF token (removing a lever)."""


# --- the scenario being built: a YAML file in the workspace -----------------------------------------------------

def _folder(ws: Workspace) -> Path:
    path = ws.root / "scenarios"
    path.mkdir(exist_ok=True, mode=0o700)
    return path


def _path(draft: str) -> Path:
    if not _ID.match(draft):
        abort(404)
    path = _folder(current_workspace()) / f"{draft}.yaml"
    if not path.is_file():
        abort(404)
    return path


def _load(draft: str) -> Scenario:
    return Scenario.loads(_path(draft).read_text(encoding="utf-8"), file=f"{draft}.yaml",
                          categories=_categories())


def _save(draft: str, scenario: Scenario) -> None:
    path = _folder(current_workspace()) / f"{draft}.yaml"
    path.write_text(scenario.to_yaml(), encoding="utf-8")


def _categories() -> tuple[str, ...] | None:
    """The placement categories of the selected data (the levers' choices), when it can be read."""
    try:
        return tuple(datasets.model_data(datasets.selected()).categories)
    except CareflowError:
        return None


# --- pages ---------------------------------------------------------------------------------------------------------

@bp.get("/")
def index():
    return render_template("scenarios/index.html", catalogue=lever_catalogue(_categories()), form=PostForm())


@bp.post("/new")
def new():
    if not PostForm().validate_on_submit():
        abort(400)
    draft = secrets.token_hex(16)
    _save(draft, Scenario(name="New scenario"))
    return redirect(url_for("scenarios.name", draft=draft), code=303)


@bp.route("/<draft>/name", methods=["GET", "POST"])
def name(draft: str):
    scenario = _load(draft)
    form = NameForm(data={"name": scenario.name if scenario.name != "New scenario" else ""})
    if form.validate_on_submit():
        scenario.name = form.name.data.strip()
        _save(draft, scenario)
        return redirect(url_for("scenarios.check" if scenario.levers else "scenarios.add", draft=draft), code=303)
    errors = error_list(form)
    return render_template("scenarios/name.html", form=form, draft=draft, errors=errors), 400 if errors else 200


@bp.route("/<draft>/add", methods=["GET", "POST"])
def add(draft: str):
    scenario = _load(draft)
    if len(scenario.levers) >= MAX_LEVERS:
        return redirect(url_for("scenarios.check", draft=draft), code=303)
    form = TypeForm()
    if form.validate_on_submit():
        return redirect(url_for("scenarios.lever", draft=draft, index="new", kind=form.type.data), code=303)
    errors = error_list(form)
    return render_template("scenarios/add.html", form=form, draft=draft, scenario=scenario,
                           catalogue=lever_catalogue(_categories()), errors=errors), 400 if errors else 200


def _ordered(spec):
    by_name = {f.name: f for f in spec.fields}
    middle = [f for f in spec.fields if f.name not in FIRST_FIELDS + LAST_FIELDS]
    return [by_name[n] for n in FIRST_FIELDS] + middle + [by_name[n] for n in LAST_FIELDS]


@bp.route("/<draft>/lever/<index>/<kind>", methods=["GET", "POST"])
def lever(draft: str, index: str, kind: str):
    """One lever's fields: add a lever (``index`` "new") or change lever ``index``."""
    scenario = _load(draft)
    categories = _categories()
    try:
        spec = lever_spec(kind, categories)
    except CareflowError:
        abort(404)
    position = None if index == "new" else int(index) if index.isdigit() else -1
    if position is not None and not 0 <= position < len(scenario.levers):
        abort(404)
    form = PostForm()
    values: dict = {}
    problems: dict[str, str] = {}
    summary: list[dict] = []
    if request.method == "POST":
        values = {f.name: (request.form.getlist(f.name) if f.kind == "choices" else request.form.get(f.name, ""))
                  for f in spec.fields}
        if not form.validate_on_submit():
            abort(400)
        try:
            built = lever_from_form(kind, values, categories)
        except CareflowError as exc:
            order = [f.name for f in _ordered(spec)]
            for finding in sorted(exc.findings, key=lambda f: order.index(f.field.split(".")[0])
                                  if f.field and f.field.split(".")[0] in order else -1):
                field, _, rest = (finding.field or "").partition(".")
                target = field if field in values else None
                text = _message(spec, field, rest, finding.message)
                if target and target not in problems:
                    problems[target] = text
                summary.append({"href": f"#{target or _ordered(spec)[0].name}", "text": text})
        else:
            levers = list(scenario.levers)
            if position is None:
                levers.append(built)
            else:
                levers[position] = built
            candidate = Scenario(scenario.name, levers, scenario.description, scenario.unit_costs,
                                 scenario.horizon)
            try:
                updated = Scenario.from_dict(candidate.to_mapping(), categories=categories)
            except CareflowError as exc:  # e.g. two levers given the same name
                summary = [{"href": "#name", "text": f.message} for f in exc.findings]
                problems["name"] = summary[0]["text"]
            else:
                _save(draft, updated)
                return redirect(url_for("scenarios.check", draft=draft), code=303)
    elif position is not None:
        values = form_values(scenario.levers[position])
    return render_template("scenarios/lever.html", spec=spec, fields=_ordered(spec), values=values,
                           problems=problems, errors=summary, draft=draft, index=index, form=form,
                           scenario=scenario), 400 if summary else 200


def _message(spec, field: str, rest: str, message: str) -> str:
    """An error as the summary shows it: the field's label first (and the item, for lists of items)."""
    names = {f.name: f for f in spec.fields}
    if field not in names:
        return message[0].upper() + message[1:]
    f = names[field]
    if not rest and message == f"'{field}' is required":
        return f"{'Choose' if f.kind in ('choice', 'choices') else 'Enter'} {f.label.lower()}"
    where = f.label
    if rest:
        first, _, sub = rest.partition(".")
        where += f", item {int(first) + 1}" if first.isdigit() else f", {first}"
        if sub:
            where += f", {sub.replace('_', ' ')}"
    return f"{where}: {message}"


@bp.get("/<draft>/check")
def check(draft: str):
    scenario = _load(draft)
    rows = [(i, lv, answers(lv)) for i, lv in enumerate(scenario.levers)]
    return render_template("scenarios/check.html", scenario=scenario, rows=rows, draft=draft, form=RunForm(),
                           remove=PostForm(), ds=datasets.selected(), max_levers=MAX_LEVERS)


@bp.post("/<draft>/lever/<int:index>/remove")
def remove(draft: str, index: int):
    scenario = _load(draft)
    if not PostForm().validate_on_submit():
        abort(400)
    if not 0 <= index < len(scenario.levers):
        abort(404)
    scenario.levers = [lv for i, lv in enumerate(scenario.levers) if i != index]
    scenario.origins = []
    _save(draft, scenario)
    return redirect(url_for("scenarios.check", draft=draft), code=303)


@bp.get("/<draft>/scenario.yaml")
def download(draft: str):
    text = _path(draft).read_text(encoding="utf-8")
    return Response(text, mimetype="application/yaml",
                    headers={"Content-Disposition": f'attachment; filename="{_file_stem(_load(draft).name)}.yaml"'})


def _file_stem(name: str) -> str:
    """A scenario's name as a file name (what its YAML is saved as)."""
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_") or "scenario"


def run_scenario(ws: Workspace, ds, text: str, runs: int, progress=None) -> dict:
    """The background job: the scenario priced against the selected data's forecast, and its chart."""
    from careflow.reports import savings_waterfall

    data = datasets.model_data(ds, ws)
    scenario = Scenario.loads(text, file="the scenario built in the web app", categories=tuple(data.categories))
    # a case's savings source names the scenario's file: here, the one its result page offers to save
    scenario.file = f"{_file_stem(scenario.name)}.yaml, built in careflow's web app"
    result = pipeline.price_scenario(scenario, data, runs=runs, seed=0, progress=progress)
    diff = result.difference()
    chart = savings_waterfall(diff, title=f"{scenario.name}: savings by lever")
    return {"scenario": scenario, "result": result, "difference": diff, "yaml": text, "data": ds.label, "seed": 0,
            "charts": results.drawn({"savings": chart})}


@bp.post("/<draft>/run")
def run(draft: str):
    scenario = _load(draft)
    form = RunForm()
    if not scenario.levers:
        return redirect(url_for("scenarios.add", draft=draft), code=303)
    if not form.validate_on_submit():
        rows = [(i, lv, answers(lv)) for i, lv in enumerate(scenario.levers)]
        return render_template("scenarios/check.html", scenario=scenario, rows=rows, draft=draft, form=form,
                               remove=PostForm(), ds=datasets.selected(), max_levers=MAX_LEVERS,
                               errors=error_list(form)), 400
    ds = datasets.selected()
    text = scenario.to_yaml()
    key = ("scenario", ds.id, ds.year, hashlib.sha256(text.encode()).hexdigest(), form.runs.data)
    job_id = jobs.submit(key, run_scenario, current_workspace(), ds, text, form.runs.data,
                         then=lambda job_id: url_for("scenarios.result", job_id=job_id, draft=draft))
    return redirect(url_for("home.job", job_id=job_id), code=303)


def _result(job_id: str) -> dict:
    return results.finished(job_id, "scenario")


@bp.get("/result/<job_id>")
def result(job_id: str):
    run = _result(job_id)
    diff = run["difference"]
    years = list(dict.fromkeys(diff["financial_year"]))
    levers = list(dict.fromkeys(diff["lever"]))
    cells = {(r.lever, r.financial_year): r for r in diff.itertuples()}
    draft = request.args.get("draft", "")
    return render_template("scenarios/result.html", run=run, result=run["result"], years=years, levers=levers,
                           cells=cells, job_id=job_id, draft=draft if _ID.match(draft) else None)


@bp.get("/result/<job_id>/savings.<fmt>")
def chart(job_id: str, fmt: str):
    return results.chart_response(_result(job_id)["charts"], "savings", fmt)


@bp.get("/result/<job_id>/scenario.yaml")
def result_yaml(job_id: str):
    run = _result(job_id)
    return Response(run["yaml"], mimetype="application/yaml",
                    headers={"Content-Disposition": f'attachment; filename="{_file_stem(run["scenario"].name)}.yaml"'})


# --- attach a run's savings to a business case --------------------------------------------------------------------

class AttachForm(FlaskForm):
    case = StringField("Business case", validators=[InputRequired(message="Choose the business case")])
    lever = StringField("Lever", validators=[InputRequired(message="Choose whose saving the case takes")])


def _levers(run: dict) -> list[str]:
    """The savings a case can take from a run: each lever's, and all levers together (``all``) when there are
    several."""
    levers = [lv for lv in dict.fromkeys(run["difference"]["lever"]) if lv != "all"]
    return levers + ["all"] if len(levers) > 1 else levers


def _lever_text(lever: str) -> str:
    return "All levers together" if lever == "all" else lever


@bp.route("/result/<job_id>/attach", methods=["GET", "POST"])
def attach(job_id: str):
    """Choose the case (and the lever, when the scenario has several) to take the run's savings."""
    run = _result(job_id)
    levers = _levers(run)
    cases = register().list()
    references = [s.case.reference for s in cases]
    form = AttachForm(data={"case": request.args.get("case", ""),
                            "lever": request.args.get("lever", levers[0] if len(levers) == 1 else "")})
    if form.validate_on_submit():
        if form.case.data not in references:
            form.case.errors = ["Choose the business case"]
        elif form.lever.data not in levers:
            form.lever.errors = ["Choose whose saving the case takes"]
        else:
            return redirect(url_for("scenarios.attach_check", job_id=job_id, case=form.case.data,
                                    lever=form.lever.data), code=303)
    errors = error_list(form)
    return render_template("scenarios/attach.html", run=run, job_id=job_id, form=form, cases=cases, levers=levers,
                           lever_text=_lever_text, errors=errors), 400 if errors else 200


@bp.route("/result/<job_id>/attach/check", methods=["GET", "POST"])
def attach_check(job_id: str):
    """Check your answers: the case's savings now and once the run's are attached; attach them."""
    from careflow.register import StaleEditError
    from careflow.register.financials import units

    run = _result(job_id)
    source = request.form if request.method == "POST" else request.args
    reference, lever = source.get("case", ""), source.get("lever", "")
    if lever not in _levers(run) or not reference or reference not in register():
        return redirect(url_for("scenarios.attach", job_id=job_id), code=303)
    stored = register().get(reference)
    form = VersionForm()

    def preview(case) -> tuple:
        """The case with the run's savings attached (None and the errors when they cannot be)."""
        try:
            return pipeline.attach_scenario(case, run["result"], lever, data=run.get("data"),
                                            seed=run.get("seed")), []
        except CareflowError as exc:
            return None, findings_errors(exc)[0]

    attached, errors = preview(stored.case)
    status = 400 if errors else 200
    if request.method == "POST" and attached is not None:
        if not form.validate_on_submit():
            abort(400)
        try:
            expected = form.expected_version()
            if expected is None:
                raise StaleEditError(_no_version())
            register().update(attached, expected_version=expected, user=user())
        except StaleEditError:
            stored = register().get(reference)
            attached, errors = preview(stored.case)  # the figures again, from the case as it is now
            errors.insert(0, {"href": "#stale-edit", "text": (
                f"The savings were not attached: someone else changed this case since you opened this page (now "
                f"version {stored.version}, last changed by {stored.updated_by} at "
                f"{stored.updated_at:%d %B %Y %H:%M}). Check the figures below again, then attach them.")})
            status = 409
        except CareflowError as exc:
            errors, status = findings_errors(exc)[0], 400
        else:
            return redirect(url_for("cases.show", reference=reference, updated="Cost and savings",
                                    _anchor="section-financials"), code=303)
    form.version.data = str(stored.version)
    return render_template("scenarios/attach_check.html", run=run, job_id=job_id, form=form, stored=stored,
                           lever=lever, lever_text=_lever_text, attached=attached, units=units(
                               attached.financials if attached else stored.case.financials) or "£k",
                           rows=_compare(stored.case, attached), errors=errors), status


def _no_version():
    from careflow.errors import Finding

    return Finding(rule="stale-edit", field="version", message="the page did not say which version it attaches to")


def _compare(before, after) -> list[dict]:
    """Year by year: the case's savings now, and the run's saving with its range once attached (case units)."""
    if after is None:
        return []
    now = before.financials.get("savings") or {}
    new = after.financials
    years = sorted(set(now) | set(new["savings"]))
    return [{"year": y, "now": now.get(y), "new": new["savings"].get(y), "p10": new["savings_p10"].get(y),
             "p90": new["savings_p90"].get(y)} for y in years]
