"""Background work for the web app: long jobs (forecasts, scenario runs, validating big uploads) run on a pool of
worker threads sized to the machine, so a page never waits on them.

A job has a key saying what it computes (e.g. ``("forecast", dataset, settings)``): submitting the same key again
while that job is running or finished returns the same job, so a double click or a second visitor reuses the run.
A failed job is retried on the next submit. The work itself is the library's (numpy and pandas release the GIL, and
the Monte Carlo engine runs its own threads); a job reports progress by calling ``progress(fraction, message)``
when its function takes a ``progress`` keyword.

    job_id = jobs.submit(("forecast", key), pipeline.forecast, data, runs=1000)
    jobs.get(job_id)  # Job: status "queued" | "running" | "done" | "failed", progress, result, error
"""

from __future__ import annotations

import contextvars
import inspect
import logging
import os
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from flask import current_app

from careflow.errors import CareflowError

log = logging.getLogger(__name__)


@dataclass
class Job:
    id: str
    key: Any
    status: str = "queued"
    progress: float = 0.0
    message: str = ""
    result: Any = None
    error: str | None = None
    then: Any = None  # where /jobs/<id> sends the user when done: a URL, or a function of the job id giving one
    started: float = field(default_factory=time.monotonic)

    @property
    def finished(self) -> bool:
        return self.status in ("done", "failed")

    def result_url(self) -> str | None:
        return self.then(self.id) if callable(self.then) else self.then


def default_workers() -> int:
    """Workers: the machine's cores less one for the web server, at least 1 and at most 4 (a forecast already uses
    several threads)."""
    return max(1, min(4, (os.cpu_count() or 2) - 1))


class JobRunner:
    KEEP_FINISHED = 50  # finished jobs (and their results) kept for reuse; older ones are forgotten

    def __init__(self, workers: int | None = None):
        self._pool = ThreadPoolExecutor(max_workers=workers or default_workers(), thread_name_prefix="careflow-job")
        self._lock = threading.Lock()
        self._jobs: dict[str, Job] = {}
        self._by_key: dict[Any, str] = {}

    def submit(self, key, fn, *args, then=None, **kwargs) -> str:
        """Run ``fn(*args, **kwargs)`` in the background (or reuse the job with this ``key``); returns its id.
        ``then``: the result page's URL, or a function of the job id returning it (the progress page redirects
        there when the job is done)."""
        with self._lock:
            existing = self._by_key.get(key)
            if existing is not None and self._jobs[existing].status != "failed":
                return existing
            job = Job(uuid.uuid4().hex, key, then=then)
            self._forget_old()
            self._jobs[job.id] = job
            self._by_key[key] = job.id
        if _takes_progress(fn):
            kwargs["progress"] = lambda fraction, message="": self._report(job, fraction, message)
        # the submitting request's context goes with the job: in shared mode, the signed-in user it acts for
        self._pool.submit(contextvars.copy_context().run, self._run, job, fn, args, kwargs)
        return job.id

    def _forget_old(self) -> None:
        """Drop the oldest finished jobs beyond KEEP_FINISHED (results can be large: a forecast's runs)."""
        finished = [j for j in self._jobs.values() if j.finished]
        for old in finished[:max(0, len(finished) - self.KEEP_FINISHED)]:
            del self._jobs[old.id]
            if self._by_key.get(old.key) == old.id:
                del self._by_key[old.key]

    def forget(self, which) -> None:
        """Forget the jobs whose key ``which(key)`` is true of (their data were deleted): a running one finishes
        but its result is no longer served."""
        with self._lock:
            for job in [j for j in self._jobs.values() if which(j.key)]:
                del self._jobs[job.id]
                if self._by_key.get(job.key) == job.id:
                    del self._by_key[job.key]

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    @staticmethod
    def _report(job: Job, fraction: float, message: str = "") -> None:
        job.progress = min(1.0, max(0.0, float(fraction)))
        job.message = message

    @staticmethod
    def _run(job: Job, fn, args, kwargs) -> None:
        job.status = "running"
        try:
            job.result = fn(*args, **kwargs)
        except CareflowError as exc:  # a finding the user can act on: its message is safe to show
            job.error = "; ".join(str(f) for f in exc.findings) or str(exc)
            job.status = "failed"
        except Exception:  # a bug: logged in full for the maintainer, a plain message for the page
            log.exception("job %s failed", job.id)
            job.error = "The job failed because of a problem in careflow. The details are in the server's log."
            job.status = "failed"
        else:
            job.progress = 1.0
            job.status = "done"


def _takes_progress(fn) -> bool:
    try:
        return "progress" in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False


def runner() -> JobRunner:
    return current_app.extensions["careflow.jobs"]


def submit(key, fn, *args, then=None, **kwargs) -> str:
    """Submit to the current app's runner (see :meth:`JobRunner.submit`)."""
    return runner().submit(key, fn, *args, then=then, **kwargs)


def get(job_id: str) -> Job | None:
    return runner().get(job_id)
