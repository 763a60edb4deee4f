"""The home page (the journeys) and the progress page of background jobs."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template

from careflow.web import jobs

bp = Blueprint("home", __name__)

REFRESH_SECONDS = 2


@bp.get("/")
def index():
    return render_template("home.html")


@bp.get("/jobs/<job_id>")
def job(job_id: str):
    """Progress of a background job: refreshes itself (meta refresh, no JavaScript needed) until the job is done,
    then redirects to its result page."""
    found = jobs.get(job_id)
    if found is None:
        abort(404)
    if found.status == "done" and found.result_url():
        return redirect(found.result_url(), code=303)
    return render_template("jobs/progress.html", job=found, refresh=None if found.finished else REFRESH_SECONDS)
