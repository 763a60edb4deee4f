"""Shared mode under faults, on a PostgreSQL cluster of the test's own (never the CI's shared server: other test
workers use it) and a real ``careflow serve --shared`` process, while signed-in users edit cases and record
tracking figures (tests/shared_load.py):

- the server killed with SIGKILL mid-write, then started again: every edit acknowledged before the kill is in the
  register, nothing half-written (versions and audit agree), the users' sessions carry on;
- PostgreSQL restarted (``pg_ctl restart``), then stopped for a while and started again, under the same load: while
  it is down users get the GOV.UK "Sorry, the service is unavailable" page (503, Retry-After; never a traceback or
  a 500), no acknowledged edit is lost, and the same careflow process serves again once the database is back.

Skipped with a message when the PostgreSQL server binaries are absent.
"""

from __future__ import annotations

import time

import pytest

from shared_load import (
    EDIT_SECTION,
    PASSWORD,
    UNAVAILABLE_TITLE,
    Load,
    PostgresCluster,
    SharedServer,
    _token,
    postgres_bin,
    prepare,
    verify,
)

pytestmark = pytest.mark.slow
WRITES = {"read": 0.2, "edit": 0.45, "track": 0.35}  # write-heavy: the faults land mid-write


@pytest.fixture
def cluster():
    if postgres_bin() is None:
        pytest.skip("the fault tests start and restart a PostgreSQL cluster of their own and need the server "
                    "binaries (/usr/lib/postgresql/*/bin: apt-get install postgresql): skipped")
    with PostgresCluster() as c:
        yield c


@pytest.fixture
def site(cluster, tmp_path):
    url = cluster.create_database()
    prepared = prepare(url, n_users=10, n_cases=3)
    server = SharedServer(tmp_path / "workspace", url, log=tmp_path / "server.log")
    try:
        yield server.start(), prepared
    finally:
        server.kill()


def _acks(results) -> int:
    with results.lock:
        return sum(w.outcome == "ack" for w in results.writes)


def _wait_for(predicate, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"not within {seconds:.0f} s: {what}")


def test_server_killed_mid_write_loses_no_acknowledged_edit(site):
    server, prepared = site
    load = Load(server.url, prepared, think=(0.05, 0.3), mix=WRITES).start()
    try:
        _wait_for(lambda: _acks(load.results) >= 15, 60, "15 acknowledged writes before the kill")
        server.kill()
        acked_before_kill = [w for w in load.results.writes if w.outcome == "ack"]
        time.sleep(1)
        server.start()
        before = _acks(load.results)
        _wait_for(lambda: _acks(load.results) >= before + 10, 60, "10 more writes after the restart")
    finally:
        results = load.stop()
    print(results.report())
    assert results.connection_errors >= 1, "the kill should have cut some requests off"
    assert results.problems == [], results.report()
    check = verify(prepared.database_url, prepared, results.writes)
    print(check.summary())
    assert check.problems == [], "\n".join(check.problems)
    assert all(w.outcome == "ack" for w in acked_before_kill) and len(acked_before_kill) >= 15


def test_database_restart_and_outage_show_the_unavailable_page_and_recover_without_restarting(site, cluster):
    import requests

    server, prepared = site
    pid = server.proc.pid
    probe = requests.Session()  # one user signed in before the outage, looking at pages by hand
    token = _token(probe.get(server.url + "/login").text)
    assert probe.post(server.url + "/login", data={"csrf_token": token, "username": prepared.users[0],
                                                   "password": PASSWORD}, allow_redirects=False).status_code == 303
    case_page = f"{server.url}/cases/case/{prepared.references[0]}"
    edit_page = f"{server.url}/cases/edit/{EDIT_SECTION}/{prepared.references[0]}"
    form = probe.get(edit_page).text

    load = Load(server.url, prepared, users=8, think=(0.05, 0.3), mix=WRITES).start()
    try:
        _wait_for(lambda: _acks(load.results) >= 10, 60, "10 acknowledged writes before the restart")
        cluster.restart()  # pg_ctl restart -m fast: every connection in the pool is cut
        restarted = _acks(load.results)
        _wait_for(lambda: _acks(load.results) >= restarted + 10, 60, "10 writes after pg_ctl restart")

        cluster.stop()  # stop -> requests -> start
        for method, url, data in (("GET", case_page, None), ("GET", edit_page, None),
                                  ("POST", edit_page, {"csrf_token": _token(form), "version": "1",
                                                       EDIT_SECTION: "Written while the database was down"})):
            r = probe.request(method, url, data=data, allow_redirects=False, timeout=30)
            body = r.text
            assert r.status_code == 503, (method, url, r.status_code, body[:500])
            assert UNAVAILABLE_TITLE in body and "Try again in a few minutes" in body and "govuk-template" in body
            assert "Traceback" not in body and "OperationalError" not in body and "psycopg" not in body
            assert r.headers["Retry-After"] == "30"
        time.sleep(2)  # the load keeps coming while the database is down
        cluster.start()
        _wait_for(lambda: probe.get(case_page, timeout=30).status_code == 200, 30,
                  "the case page served again once PostgreSQL is back")
        recovered = _acks(load.results)
        _wait_for(lambda: _acks(load.results) >= recovered + 10, 60, "10 writes after the database came back")
    finally:
        results = load.stop()
    print(results.report())
    assert server.proc.poll() is None and server.proc.pid == pid, "careflow was not restarted"
    assert results.problems == [], results.report()  # no 500, no traceback, every 503 the GOV.UK page
    assert results.unavailable_pages >= 1
    check = verify(prepared.database_url, prepared, results.writes)
    print(check.summary())
    assert check.problems == [], "\n".join(check.problems)
    assert check.acknowledged >= 30
    from careflow.register import Register

    with Register(prepared.database_url, migrate=False) as reg:  # the POST answered 503 wrote nothing
        assert not [e for e in reg.history(prepared.references[0]) if e.new == "Written while the database was down"]
    log = server.log_tail(10_000)
    assert "Traceback" not in log, log
    assert "database unavailable (503)" in log

