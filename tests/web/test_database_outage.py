"""The register's database out of reach, at the level of one request: the GOV.UK "Sorry, the service is
unavailable" page with 503 and Retry-After, never a traceback; a database error that is a bug stays a 500. (The
real outage, PostgreSQL stopped and restarted under load, is tests/web/test_shared_mode_faults.py.)"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from careflow.register import Register


def _unavailable(response) -> str:
    body = response.get_data(as_text=True)
    assert response.status_code == 503, body[:500]
    assert response.headers["Retry-After"] == "30"
    assert "Sorry, the service is unavailable" in body and "Try again in a few minutes" in body
    assert "Traceback" not in body and "psycopg" not in body and "OperationalError" not in body
    return body


def test_a_database_nobody_answers_gives_the_unavailable_page(tmp_path):
    from careflow.web import create_app
    from shared_load import free_port

    url = f"postgresql://careflow@127.0.0.1:{free_port()}/careflow"  # a closed port: connection refused
    app = create_app(tmp_path / "ws", testing=True, DATABASE_URL=url)
    client = app.test_client()
    try:
        _unavailable(client.get("/cases/"))
        _unavailable(client.get("/tracking/"))
        assert client.get("/").status_code == 200  # pages without the register still work
    finally:
        app.extensions["careflow.jobs"].shutdown()


def test_a_lost_connection_mid_request_gives_the_unavailable_page(web_app, monkeypatch):
    def lost(self):
        raise sa.exc.OperationalError("SELECT cases", {}, Exception("server closed the connection unexpectedly"))

    monkeypatch.setattr(Register, "list", lost)
    _unavailable(web_app.test_client().get("/cases/"))


def test_a_database_error_that_is_a_bug_is_still_a_500(web_app, monkeypatch):
    def bug(self):
        raise sa.exc.ProgrammingError("SELECT nonsense", {}, Exception("syntax error"))

    monkeypatch.setattr(Register, "list", bug)
    with pytest.raises(sa.exc.ProgrammingError):  # testing: Flask propagates what it would log and answer 500
        web_app.test_client().get("/cases/")
    web_app.config["PROPAGATE_EXCEPTIONS"] = False
    response = web_app.test_client().get("/cases/")
    assert response.status_code == 500 and "Sorry, there is a problem with careflow" in response.get_data(True)


@pytest.mark.parametrize("message,status", [("no such table: cases", 500), ("no such column: cases.foo", 500),
                                            ('near "SELCT": syntax error', 500), ("database is locked", 503),
                                            ("unable to open database file", 503), ("disk I/O error", 503)])
def test_sqlites_operational_errors_are_told_apart(web_app, monkeypatch, message, status):
    # SQLite raises OperationalError both when its file cannot be used (an outage: 503) and for faults in
    # careflow's own SQL or schema (a bug: 500, logged with its traceback)
    import sqlite3

    def fails(self):
        raise sa.exc.OperationalError("SELECT ...", {}, sqlite3.OperationalError(message))

    monkeypatch.setattr(Register, "list", fails)
    web_app.config["PROPAGATE_EXCEPTIONS"] = False
    response = web_app.test_client().get("/cases/")
    assert response.status_code == status
    assert ("Retry-After" in response.headers) == (status == 503)
