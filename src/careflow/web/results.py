"""What the result pages of background jobs share: the finished job's result (404 for an unknown job, the progress
page while it runs), charts drawn once in the job (a matplotlib figure is never drawn by two request threads), and
serving them as SVG or PNG."""

from __future__ import annotations

from flask import Response, abort, redirect, url_for

from careflow.web import jobs


def finished(job_id: str, kind: str):
    """The result of job ``job_id`` whose key starts with ``kind``; 404 when there is none, a redirect to its
    progress page while it is still running (or failed: the progress page says why)."""
    job = jobs.get(job_id)
    if job is None or not isinstance(job.key, tuple) or job.key[0] != kind:
        abort(404)
    if job.status != "done":
        abort(redirect(url_for("home.job", job_id=job_id)))
    return job.result


def drawn(charts: dict) -> dict[str, dict]:
    """``careflow.reports.Chart``s by name as what a page serves: svg, png and the alt text."""
    return {name: {"svg": c.svg(), "png": c.png(), "alt": c.alt_text} for name, c in charts.items()}


def chart_response(charts: dict[str, dict], name: str, fmt: str) -> Response:
    if name not in charts or fmt not in ("svg", "png"):
        abort(404)
    return Response(charts[name][fmt], mimetype="image/svg+xml" if fmt == "svg" else "image/png")
