"""How long the web app keeps uploads: each upload, and everything made from it, is deleted once it is older than
the retention (``RETENTION_DAYS``; ``careflow serve --retention-days N``; in shared mode 90 days unless set,
docs/shared-mode.md says why). Local mode keeps uploads until the user deletes them, unless the option is given.

Deleted: the upload's folder (its pseudonymised copy, meta.json and validation report), the finished jobs made
from it and its loaded returns (memory), and files under ``runs/`` (forecast workbooks, downloads) older than the
retention. The sweep runs when the app starts and then at most every :data:`SWEEP_EVERY` before a request (no
thread of its own: an idle server deletes at the next request, or the next start). Each deletion is logged with
the upload's random id and dates, never a child or a file name. ``CLOCK`` (a function returning an aware UTC
datetime) lets tests move time on without sleeping.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading

from flask import Flask, current_app

from careflow.web import datasets
from careflow.web.workspace import Workspace

log = logging.getLogger(__name__)

SHARED_DEFAULT_DAYS = 90
SWEEP_EVERY = dt.timedelta(minutes=10)


def retention_days(app: Flask | None = None) -> int | None:
    """The app's retention in days, or None: uploads are kept."""
    return (app or current_app).config.get("RETENTION_DAYS")


def deletion_time(ds: datasets.Dataset, days: int | None) -> dt.datetime | None:
    """When ``ds`` will be deleted (None: never; the built-in data are never deleted)."""
    if days is None or ds.builtin or not ds.created:
        return None
    return dt.datetime.fromisoformat(ds.created) + dt.timedelta(days=days)


def sweep(ws: Workspace, days: int, now: dt.datetime, jobs=None) -> list[str]:
    """Delete what is older than ``days`` at ``now``; returns the ids of the uploads deleted."""
    deleted = []
    for ds in datasets.uploads(ws):
        when = deletion_time(ds, days)
        if when is not None and when <= now:
            datasets.delete(ds, ws)
            if jobs is not None:
                jobs.forget(lambda key, ds_id=ds.id: isinstance(key, tuple) and len(key) > 1 and ds_id in key)
            deleted.append(ds.id)
            log.info("retention: deleted upload %s (uploaded %s, kept %d days)", ds.id, ds.created, days)
    cutoff = (now - dt.timedelta(days=days)).timestamp()
    old = [p for p in ws.runs.rglob("*") if p.is_file() and p.stat().st_mtime <= cutoff]
    for p in old:
        p.unlink(missing_ok=True)
    if old:
        log.info("retention: deleted %d files under runs/ older than %d days", len(old), days)
    return deleted


def init_app(app: Flask) -> None:
    """Set the retention (shared mode's default when none is given), sweep now, then before requests."""
    if app.config.get("RETENTION_DAYS") is None:
        app.config["RETENTION_DAYS"] = SHARED_DEFAULT_DAYS if app.config.get("SHARED") else None
    clock = app.config.get("CLOCK") or datasets.utc_now
    app.jinja_env.globals["upload_deletion"] = lambda ds: deletion_time(ds, retention_days())
    days = app.config.get("RETENTION_DAYS")
    if days is None:
        return
    ws = app.extensions["careflow.workspace"]
    lock = threading.Lock()
    last = [clock()]
    sweep(ws, days, last[0], app.extensions.get("careflow.jobs"))

    @app.before_request
    def _sweep_now_and_then() -> None:
        now = clock()
        if now - last[0] < SWEEP_EVERY or not lock.acquire(blocking=False):
            return
        try:
            last[0] = now
            sweep(ws, days, now, app.extensions.get("careflow.jobs"))
        finally:
            lock.release()
