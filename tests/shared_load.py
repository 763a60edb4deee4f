"""Shared mode under load and faults: a throw-away PostgreSQL cluster, a real ``careflow serve --shared`` process,
signed-in virtual users doing a realistic mix over HTTP, and the check that no acknowledged edit was lost or
silently overwritten.

Shared by the tests (tests/web/test_shared_mode_load.py, tests/web/test_shared_mode_faults.py: short runs) and
benchmarks/load_shared.py (the long run whose figures are in benchmarks/RESULTS.md).

What a virtual user does, in a loop with a think time between actions: reads a case page; edits the case's
Assumptions section (GET the form, which carries the version it was made from, pause as a person types, POST);
records a delivered saving for one of the case's financial years on the tracking page (same version check); runs a
small forecast (POST the settings, poll the job's progress page until it redirects to the result, GET the result).
Users share a few cases, so concurrent editors of one case collide: the second save of the same version must be
refused with 409.

The check (:func:`verify`), from the register's own tables after the run: for every case the versions run 1..N
with audit rows for each (nothing half-written); every acknowledged write (303) is in the audit trail as the change
from exactly its base version to the next, under its user's name; every write refused as stale (409) is nowhere;
a write whose outcome the client could not know (connection lost, 503) is either absent or applied exactly like an
acknowledged one; every new version is accounted for by one write; each edited field's audit chain is unbroken
(each change's old value is the previous change's new value); the case's current text and figures are the last
write's.
"""

from __future__ import annotations

import glob
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

PASSWORD = "load-test-password-1"
EDIT_SECTION = "assumptions"  # one free-text field: a clean marker per edit
MIX = {"read": 0.45, "edit": 0.25, "track": 0.2, "forecast": 0.1}
UNAVAILABLE_TITLE = "Sorry, the service is unavailable"
_TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')
_VERSION = re.compile(r'name="version" type="hidden" value="(\d+)"|name="version" value="(\d+)"')
_SAFE_REFERENCE = re.compile(r"^[A-Za-z0-9.\-]+$")


# ---- PostgreSQL: a throw-away cluster of our own --------------------------------------------------------------

def postgres_bin() -> Path | None:
    """The newest PostgreSQL server binaries on this machine (Debian's layout), or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    return Path(found[-1]).parent if found else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresCluster:
    """A PostgreSQL cluster in a temporary folder on a free loopback port, for tests that stop and restart the
    database (never the CI's shared server). Run as ``postgres`` when we are root (initdb refuses root)."""

    def __init__(self, bindir: Path | None = None):
        self.bin = bindir or postgres_bin()
        if self.bin is None:
            raise RuntimeError("no PostgreSQL binaries under /usr/lib/postgresql/*/bin")
        self.dir = Path(tempfile.mkdtemp(prefix="careflow-pg-"))
        self.port = free_port()
        self._as: list[str] = []
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres")
            self._as = ["runuser", "-u", "postgres", "--"]
        self._run("initdb", "-D", str(self.dir / "data"), "-A", "trust", "-U", "postgres", "--no-sync")
        self.start()

    def _run(self, tool: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run([*self._as, str(self.bin / tool), *args], capture_output=True, text=True,
                              check=check, timeout=120)

    def start(self) -> None:
        self._run("pg_ctl", "-D", str(self.dir / "data"), "-l", str(self.dir / "server.log"), "-w", "-t", "60",
                  "-o", f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.dir / "data"), "-m", mode, "-w", "-t", "60", "stop")

    def restart(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.dir / "data"), "-m", mode, "-w", "-t", "60",
                  "-o", f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1", "-l",
                  str(self.dir / "server.log"), "restart")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str = "careflow") -> str:
        import sqlalchemy as sa

        engine = sa.create_engine(self.url(), isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        engine.dispose()
        return self.url(name)

    def close(self) -> None:
        self._run("pg_ctl", "-D", str(self.dir / "data"), "-m", "immediate", "stop", check=False)
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> PostgresCluster:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


# ---- the register, the users and the server -----------------------------------------------------------------

@dataclass
class Prepared:
    database_url: str
    users: list[str]
    references: list[str]
    years: dict[str, list[str]]  # reference -> financial years its tracking form accepts
    initial_versions: dict[str, int]


def prepare(database_url: str, n_users: int, n_cases: int = 6, *, editors_prefix: str = "editor") -> Prepared:
    """The example cases in the register (as a fresh install shows them) and ``n_users`` editors with a password
    (argon2, as in real use). The load works on the first ``n_cases`` cases that have financial years."""
    from careflow.accounts import Accounts
    from careflow.pipeline import seed_register
    from careflow.register import Register
    from careflow.register import financials as fin

    with Register(database_url) as reg:
        seed_register(reg)
        stored = [s for s in reg.list() if fin.planned_savings(s.case.financials)
                  and _SAFE_REFERENCE.match(s.case.reference)][:n_cases]
    acc = Accounts(database_url)
    try:
        names = [f"{editors_prefix}{i:02d}" for i in range(n_users)]
        have = {u.name for u in acc.users()}
        if not have:
            acc.add("approver", "approver", PASSWORD, actor="load")
        for name in names:
            if name not in have:
                acc.add(name, "editor", PASSWORD, actor="load")
    finally:
        acc.close()
    return Prepared(database_url, names, [s.case.reference for s in stored],
                    {s.case.reference: list(fin.planned_savings(s.case.financials)) for s in stored},
                    {s.case.reference: s.version for s in stored})


# The shared-mode app on werkzeug's development server (what `serve --shared` ran on before waitress), for the
# side-by-side comparison in benchmarks/load_shared.py --server werkzeug.
_WERKZEUG = """
import sys
from careflow.web import create_app
from careflow.web.server import local_server
app = create_app(sys.argv[1], SHARED=True)
local_server(app, "127.0.0.1", int(sys.argv[2]), shared=True).serve_forever()
"""


class SharedServer:
    """``careflow serve --shared`` in its own process (its own session, so a kill takes nothing else with it).
    ``server="werkzeug"``: the same app on werkzeug's threaded development server instead, for comparison."""

    def __init__(self, workspace: Path, database_url: str, *, port: int | None = None, threads: int = 8,
                 log: Path | None = None, server: str = "waitress"):
        self.workspace, self.database_url, self.threads, self.server = workspace, database_url, threads, server
        self.port = port or free_port()
        self.log = log or workspace.parent / f"server-{self.port}.log"
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60) -> SharedServer:
        import requests

        env = {**os.environ, "CAREFLOW_DATABASE_URL": self.database_url}
        with open(self.log, "ab") as log:
            command = ([sys.executable, "-c", _WERKZEUG, str(self.workspace), str(self.port)]
                       if self.server == "werkzeug" else
                       [sys.executable, "-c", "from careflow.cli import main; main()", "serve", "--shared", "--port",
                        str(self.port), "--threads", str(self.threads), "--workspace", str(self.workspace)])
            self.proc = subprocess.Popen(
                command, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"careflow serve --shared exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                if requests.get(self.url + "/login", timeout=2).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"careflow serve --shared did not answer within {timeout:.0f} s:\n{self.log_tail()}")

    def kill(self) -> None:
        """SIGKILL: no clean-up, no finishing of requests in flight."""
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def __enter__(self) -> SharedServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


# ---- the virtual users ----------------------------------------------------------------------------------------

@dataclass
class Write:
    """One edit or tracking record as the client sent it, and what the server answered."""

    user: str
    kind: str  # "edit" | "track"
    reference: str
    base_version: int
    field: str  # the audit trail's field: "assumptions" or "tracking.<year>.delivered"
    value: object
    outcome: str = "unknown"  # "ack" (303) | "stale" (409) | "unknown" (connection lost, 503) | "error"
    status: int | None = None


@dataclass
class Results:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    writes: list[Write] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # a traceback shown, a 500, an unexpected status
    unavailable_pages: int = 0  # 503s with the GOV.UK "service unavailable" page
    connection_errors: int = 0
    forecasts_done: int = 0
    started: float = 0.0
    ended: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, step: str, seconds: float | None, status: int | str) -> None:
        with self.lock:
            if seconds is not None:
                self.latencies[step].append(seconds)
            self.statuses[step][status] += 1

    def problem(self, text: str) -> None:
        with self.lock:
            self.problems.append(text)

    @property
    def requests(self) -> int:
        return sum(sum(c.values()) for c in self.statuses.values())

    def table(self) -> list[dict]:
        rows = []
        for step in sorted(self.statuses):
            times = sorted(self.latencies.get(step, []))
            ok = sum(n for s, n in self.statuses[step].items() if isinstance(s, int) and s < 400)
            rows.append({"step": step, "count": sum(self.statuses[step].values()), "ok": ok,
                         "p50_ms": 1000 * _pct(times, 50), "p95_ms": 1000 * _pct(times, 95),
                         "statuses": dict(sorted(self.statuses[step].items(), key=str))})
        return rows

    def report(self) -> str:
        span = max(self.ended - self.started, 1e-9)
        lines = [f"{'step':<18}{'count':>7}{'p50 ms':>9}{'p95 ms':>9}  statuses"]
        for r in self.table():
            lines.append(f"{r['step']:<18}{r['count']:>7}{r['p50_ms']:>9.0f}{r['p95_ms']:>9.0f}  "
                         + ", ".join(f"{k}: {v}" for k, v in r["statuses"].items()))
        outcomes = Counter((w.kind, w.outcome) for w in self.writes)
        lines.append(f"requests: {self.requests} in {span:.0f} s = {self.requests / span:.1f} requests/s; "
                     f"forecasts finished: {self.forecasts_done}")
        lines.append("writes: " + ", ".join(f"{k} {o}: {n}" for (k, o), n in sorted(outcomes.items())))
        lines.append(f"503 service-unavailable pages: {self.unavailable_pages}; connection errors: "
                     f"{self.connection_errors}; problems: {len(self.problems)}")
        lines.extend(f"  problem: {p}" for p in self.problems[:20])
        return "\n".join(lines)


def _pct(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    if len(sorted_values) == 1:
        return sorted_values[0]
    return statistics.quantiles(sorted_values, n=100, method="inclusive")[q - 1]


class VirtualUser:
    def __init__(self, base_url: str, name: str, prepared: Prepared, results: Results, rng: random.Random,
                 think: tuple[float, float], mix: dict[str, float]):
        import requests

        self.base, self.name, self.p, self.r, self.rng, self.think, self.mix = (
            base_url, name, prepared, results, rng, think, mix)
        self.http = requests.Session()
        self.n = 0
        self.stopping = threading.Event()

    # one HTTP request, timed and classified ---------------------------------------------------------------------
    def _send(self, step: str, method: str, path: str, **kw):
        import requests

        start = time.perf_counter()
        try:
            resp = self.http.request(method, self.base + path, allow_redirects=False, timeout=60, **kw)
        except requests.RequestException as exc:
            self.r.record(step, None, "connection error")
            with self.r.lock:
                self.r.connection_errors += 1
            self._last_exc = exc
            return None
        self.r.record(step, time.perf_counter() - start, resp.status_code)
        self._check_page(step, resp)
        return resp

    def _check_page(self, step: str, resp) -> None:
        text = resp.text if "text/html" in resp.headers.get("Content-Type", "") else ""
        if "Traceback" in text or "File \"/" in text:
            self.r.problem(f"{step}: a traceback in a {resp.status_code} page")
        if resp.status_code == 503:
            if UNAVAILABLE_TITLE in text and "govuk-template" in text and resp.headers.get("Retry-After"):
                with self.r.lock:
                    self.r.unavailable_pages += 1
            else:
                self.r.problem(f"{step}: a 503 without the service-unavailable page: {text[:200]!r}")
        elif resp.status_code >= 500:
            self.r.problem(f"{step}: HTTP {resp.status_code}: {text[:300]!r}")

    # the actions ---------------------------------------------------------------------------------------------------
    def sign_in(self) -> bool:
        page = self._send("sign in (form)", "GET", "/login")
        if page is None or page.status_code != 200:
            return False
        resp = self._send("sign in", "POST", "/login", data={
            "csrf_token": _token(page.text), "username": self.name, "password": PASSWORD})
        return resp is not None and resp.status_code == 303

    def read(self, ref: str) -> None:
        self._send("read case", "GET", f"/cases/case/{ref}")

    def _open(self, step: str, path: str):
        """GET a form page; the next write's number, or None when the form did not come."""
        form = self._send(step, "GET", path)
        if form is None or form.status_code != 200:
            return None
        self.n += 1
        return form

    def edit(self, ref: str) -> None:
        path = f"/cases/edit/{EDIT_SECTION}/{ref}"
        if (form := self._open("open edit form", path)) is None:
            return
        marker = f"Load test edit by {self.name} no. {self.n} ({uuid.uuid4().hex[:10]})"
        write = Write(self.name, "edit", ref, _version(form.text), EDIT_SECTION, marker)
        time.sleep(self.rng.uniform(*self.think))  # typing: the window in which others save the same version
        self._save("save edit", path, {"csrf_token": _token(form.text), "version": str(write.base_version),
                                       EDIT_SECTION: marker}, write, "Your changes were not saved")

    def track(self, ref: str) -> None:
        path = f"/tracking/case/{ref}"
        if (form := self._open("open tracking", path)) is None:
            return
        year = self.rng.choice(self.p.years[ref])
        amount = f"{self.n}.{self.p.users.index(self.name):02d}"  # unique per write: this user's nth, user no.
        write = Write(self.name, "track", ref, _version(form.text), f"tracking.{year}.delivered", float(amount))
        time.sleep(self.rng.uniform(*self.think) / 2)
        self._save("record tracking", path, {"csrf_token": _token(form.text), "version": str(write.base_version),
                                             "year": year, "delivered": amount}, write, "Nothing was recorded")

    def _save(self, step: str, path: str, data: dict, write: Write, stale_text: str) -> None:
        with self.r.lock:
            self.r.writes.append(write)
        resp = self._send(step, "POST", path, data=data)
        if resp is None or resp.status_code == 503:
            write.outcome = "unknown"  # the commit may or may not have happened before the failure
        elif resp.status_code == 303:
            write.outcome = "ack"
        elif resp.status_code == 409 and stale_text in resp.text:
            write.outcome = "stale"
        else:
            write.outcome = "error"
            self.r.problem(f"{step} {write.reference}: HTTP {resp.status_code}")
        write.status = None if resp is None else resp.status_code

    def forecast(self) -> None:
        page = self._send("open forecast", "GET", "/forecast/")
        if page is None or page.status_code != 200:
            return
        start = time.perf_counter()
        resp = self._send("start forecast", "POST", "/forecast/", data={
            "csrf_token": _token(page.text), "start": "", "years": str(self.rng.randint(1, 3)),
            "runs": str(self.rng.randint(20, 60)), "window": "", "trend": "no"})
        if resp is None or resp.status_code != 303:
            return
        where = resp.headers["Location"]
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and not self.stopping.is_set():
            poll = self._send("forecast progress", "GET", _path(where))
            if poll is None or poll.status_code not in (200, 303):
                return
            if poll.status_code == 303:
                result = self._send("forecast result", "GET", _path(poll.headers["Location"]))
                if result is not None and result.status_code == 200:
                    self.r.record("forecast (end to end)", time.perf_counter() - start, 200)
                    with self.r.lock:
                        self.r.forecasts_done += 1
                return
            if "failed" in poll.text.lower() and "govuk-error" in poll.text:
                self.r.problem("a forecast job failed")
                return
            time.sleep(0.5)
        if not self.stopping.is_set():
            self.r.problem("a forecast did not finish within 180 s")

    def run(self, stop: threading.Event) -> None:
        self.stopping = stop
        while not stop.is_set() and not self.sign_in():
            stop.wait(0.5)
        actions = list(self.mix)
        weights = [self.mix[a] for a in actions]
        while not stop.is_set():
            action = self.rng.choices(actions, weights)[0]
            ref = self.rng.choice(self.p.references)
            try:
                if action == "read":
                    self.read(ref)
                elif action == "edit":
                    self.edit(ref)
                elif action == "track":
                    self.track(ref)
                else:
                    self.forecast()
            except Exception as exc:  # a bug in the client: keep it visible, keep the load going
                self.r.problem(f"client {action}: {type(exc).__name__}: {exc}")
            stop.wait(self.rng.uniform(*self.think))


def _token(html: str) -> str:
    found = _TOKEN.search(html)
    return (found.group(1) or found.group(2)) if found else ""


def _version(html: str) -> int:
    found = _VERSION.search(html)
    return int(found.group(1) or found.group(2)) if found else -1


def _path(location: str) -> str:
    return "/" + location.split("://", 1)[-1].split("/", 1)[-1] if "://" in location else location


class Load:
    """``users`` virtual users against ``base_url`` until :meth:`stop` (or ``run(seconds)``)."""

    def __init__(self, base_url: str, prepared: Prepared, *, users: int | None = None, seed: int = 21,
                 think: tuple[float, float] = (0.2, 1.0), mix: dict[str, float] | None = None):
        self.results = Results()
        self._stop = threading.Event()
        rng = random.Random(seed)
        names = prepared.users[:users] if users else prepared.users
        self.users = [VirtualUser(base_url, n, prepared, self.results, random.Random(rng.random()), think,
                                  mix or MIX) for n in names]
        self.threads = [threading.Thread(target=u.run, args=(self._stop,), name=f"vu-{u.name}", daemon=True)
                        for u in self.users]

    def start(self) -> Load:
        self.results.started = time.monotonic()
        for t in self.threads:
            t.start()
        return self

    def stop(self) -> Results:
        self._stop.set()
        for t in self.threads:
            t.join(timeout=200)
        self.results.ended = time.monotonic()
        return self.results

    def run(self, seconds: float) -> Results:
        self.start()
        self._stop.wait(seconds)
        return self.stop()


# ---- the check ------------------------------------------------------------------------------------------------

@dataclass
class Verification:
    problems: list[str]
    acknowledged: int
    stale: int
    unknown: int
    unknown_landed: int
    versions_added: int

    def summary(self) -> str:
        return (f"acknowledged writes: {self.acknowledged}, all present at base version + 1; stale writes refused "
                f"(409): {self.stale}, none present; outcome unknown: {self.unknown} ({self.unknown_landed} "
                f"applied whole, the rest absent); new versions: {self.versions_added} = acknowledged + applied "
                f"unknown; problems: {len(self.problems)}")


def verify(database_url: str, prepared: Prepared, writes: list[Write]) -> Verification:
    """Check the register against what the clients were told (see the module's docstring)."""
    from careflow.register import Register

    problems: list[str] = []
    counts = Counter(w.outcome for w in writes)
    landed_unknown = added = 0
    with Register(database_url, migrate=False) as reg:
        for ref in prepared.references:
            stored, history = reg.get(ref), reg.history(ref)
            versions = sorted({e.version for e in history})
            if versions != list(range(1, stored.version + 1)):
                problems.append(f"{ref}: audit versions {versions[:3]}..{versions[-3:]} do not run 1..{stored.version}")
            by_version = defaultdict(list)
            for e in history:
                by_version[e.version].append(e)
            if by_version[stored.version] and by_version[stored.version][0].user != stored.updated_by:
                problems.append(f"{ref}: version {stored.version} updated by {stored.updated_by}, audit says "
                                f"{by_version[stored.version][0].user}")
            used: dict[int, Write] = {}
            mine = [w for w in writes if w.reference == ref]
            for w in mine:
                hits = [e.version for e in history if e.field == w.field and _same(e.new, w.value)]
                if w.outcome == "ack":
                    if hits != [w.base_version + 1]:
                        problems.append(f"{ref}: acknowledged {w.kind} by {w.user} on version {w.base_version} "
                                        f"found at versions {hits} (expected [{w.base_version + 1}])")
                elif w.outcome == "stale":
                    if hits:
                        problems.append(f"{ref}: a {w.kind} refused as stale is in the register at {hits}")
                    if stored.version <= w.base_version:
                        problems.append(f"{ref}: a {w.kind} on the current version {w.base_version} was refused")
                elif w.outcome in ("unknown", "error") and hits:
                    if hits != [w.base_version + 1]:
                        problems.append(f"{ref}: an unacknowledged {w.kind} applied at {hits}, not on its base "
                                        f"{w.base_version}")
                    landed_unknown += 1
                else:
                    continue
                for v in hits[:1]:
                    if v in used:
                        problems.append(f"{ref}: version {v} holds two writes ({used[v].user}, {w.user})")
                    used[v] = w
                    if not any(e.user == w.user for e in by_version[v]):
                        problems.append(f"{ref}: version {v} is {w.user}'s write but the audit names "
                                        f"{sorted({e.user for e in by_version[v]})}")
            new = stored.version - prepared.initial_versions[ref]
            added += new
            accounted = [v for v in used if v > prepared.initial_versions[ref]]
            if new != len(accounted):
                problems.append(f"{ref}: {new} new versions but {len(accounted)} writes account for them")
            problems.extend(_chains(ref, history))
            problems.extend(_finals(ref, stored.case, used))
    return Verification(problems, counts["ack"], counts["stale"], counts["unknown"] + counts["error"],
                        landed_unknown, added)


def _same(stored, sent) -> bool:
    if isinstance(sent, float):
        return isinstance(stored, (int, float)) and abs(float(stored) - sent) < 1e-9
    return stored == sent


def _chains(ref: str, history) -> list[str]:
    """Each field's changes chain: a change's old value is the previous change's new value (nothing in between
    was lost or overwritten without trace)."""
    out, last = [], {}
    for e in sorted(history, key=lambda e: e.version):
        if e.field in last and not _same(e.old, last[e.field]) and e.old != last[e.field]:
            out.append(f"{ref}: {e.field} at version {e.version} changed from {e.old!r}, but the previous change "
                       f"set it to {last[e.field]!r}")
        last[e.field] = e.new
    return out


def _finals(ref: str, case, used: dict[int, Write]) -> list[str]:
    out = []
    latest: dict[str, Write] = {}
    for v in sorted(used):
        latest[used[v].field] = used[v]
    for fld, w in latest.items():
        if fld == EDIT_SECTION:
            now = case.assumptions
        else:
            entry = case.tracking_for(fld.split(".")[1])
            now = entry.delivered if entry else None
        if not _same(now, w.value):
            out.append(f"{ref}: {fld} is {now!r}, not the last write's {w.value!r}")
    return out
