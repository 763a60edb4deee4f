"""The Benchmark journey: any LA against its statistical neighbours and England (rates per 10,000 children, the gap
in children and pounds a year, placement mix and spend per child), from DfE published statistics.

The statistics are not shipped with careflow: the app reads them from the folder in the ``BENCHMARK_DATA`` setting,
else ``CAREFLOW_BENCHMARK_DATA``, else ``<workspace>/dfe``, else ``../shared/data`` from where careflow was started;
without them the page says what to put where. Reading the folder (and benchmarking an LA) runs in the background;
the folder is read once per app (the job's key).
"""

from __future__ import annotations

import os
from pathlib import Path

from flask import Blueprint, current_app, redirect, render_template, request, url_for

from careflow import pipeline
from careflow.web import jobs, results
from careflow.web.workspace import current_workspace

bp = Blueprint("benchmark", __name__, url_prefix="/benchmark")

NEIGHBOUR_MODELS = {"2025": "2025 statistical neighbour model", "2021": "2021 statistical neighbour model"}


def data_folder() -> Path | None:
    """Where the DfE statistics are, or None (see the module's docstring)."""
    given = current_app.config.get("BENCHMARK_DATA") or os.environ.get("CAREFLOW_BENCHMARK_DATA")
    candidates = [Path(given)] if given else [current_workspace().root / "dfe", Path.cwd().parent / "shared" / "data"]
    return next((p.resolve() for p in candidates if p.is_dir()), None)


def _loaded(folder: Path) -> tuple[str, jobs.Job]:
    job_id = jobs.submit(("benchmark-data", str(folder)), pipeline.load_benchmark_data, folder,
                         then=url_for("benchmark.index"))
    return job_id, jobs.get(job_id)


def run_benchmark(data: pipeline.BenchmarkData, la: str, model: str) -> dict:
    """The background job: the benchmark, and its charts drawn once (reports/charts.py)."""
    import json

    from careflow.reports import benchmark_chart, spend_chart
    from careflow.reports.charts import benchmark_frame

    b = pipeline.benchmark(data, la, neighbour_model=model)
    as_json = json.loads(json.dumps(b.to_dict()))
    frame, name = benchmark_frame(as_json)
    charts = {"rates": benchmark_chart(frame, la_name=name)}
    if b.spend:
        charts["spend"] = spend_chart(as_json)
    return {"benchmark": b, "charts": results.drawn(charts)}


@bp.get("/")
def index():
    folder = data_folder()
    if folder is None:
        return render_template("benchmark/no_data.html")
    job_id, job = _loaded(folder)  # a folder that could not be read: its progress page says why
    if job.status != "done":
        return redirect(url_for("home.job", job_id=job_id), code=303)
    data: pipeline.BenchmarkData = job.result
    model = request.args.get("model", "2025")
    la = request.args.get("la", "")
    las = data.local_authorities(model if model in NEIGHBOUR_MODELS else "2025")
    errors = []
    if "la" in request.args:
        if model not in NEIGHBOUR_MODELS:
            errors.append({"href": "#model", "text": "Choose a statistical neighbour model"})
        if la not in {code for code, _ in las}:
            errors.append({"href": "#la", "text": "Choose a local authority"})
        if not errors:
            job_id = jobs.submit(("benchmark", str(folder), la, model), run_benchmark, data, la, model,
                                 then=lambda job_id: url_for("benchmark.result", job_id=job_id))
            return redirect(url_for("home.job", job_id=job_id), code=303)
    return render_template("benchmark/index.html", las=las, la=la, model=model, models=NEIGHBOUR_MODELS,
                           errors=errors, folder=folder), 400 if errors else 200


def _result(job_id: str) -> dict:
    return results.finished(job_id, "benchmark")


@bp.get("/result/<job_id>")
def result(job_id: str):
    run = _result(job_id)
    b = run["benchmark"]
    return render_template("benchmark/result.html", b=b, job_id=job_id, charts=run["charts"],
                           measures=[("cla", "Children looked after on 31 March"),
                                     ("starts", "Children starting to be looked after"),
                                     ("ceases", "Children ceasing to be looked after")])


@bp.get("/result/<job_id>/<name>.<fmt>")
def chart(job_id: str, name: str, fmt: str):
    return results.chart_response(_result(job_id)["charts"], name, fmt)
