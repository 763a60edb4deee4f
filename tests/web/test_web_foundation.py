"""The web app's foundation: security headers, CSRF, error pages, the secret key, the job runner, `careflow serve`'s
host check, and the home page in a real browser with axe."""

from __future__ import annotations

import io
import stat
import threading

import pytest
from click.testing import CliRunner
from flask import Blueprint, request
from flask_wtf import FlaskForm
from web_helpers import token_in

from careflow.web import create_app, jobs
from careflow.web.jobs import JobRunner
from careflow.web.security import CSP
from careflow.web.server import is_loopback


def _probe(app):
    """A form page and its POST target, registered on ``app`` for these tests (the journeys bring their own)."""
    bp = Blueprint("probe", __name__, url_prefix="/probe")

    @bp.route("/form", methods=["GET", "POST"])
    def form():
        f = FlaskForm()
        if request.method == "POST" and f.validate_on_submit():
            return "accepted"
        return f'<form method="post">{f.csrf_token}</form>'

    @bp.post("/upload")
    def upload():
        return f"{len(request.files.getlist('files'))} files"

    @bp.get("/boom")
    def boom():
        raise RuntimeError("a bug with a secret in it: CHILD 12345")

    app.register_blueprint(bp)
    return app


@pytest.fixture
def probe_client(web_app, client):
    web_app.config["PROPAGATE_EXCEPTIONS"] = False  # a bug is the 500 page, as in real use (testing re-raises)
    _probe(web_app)
    return client  # the one csrf_token(url) reads forms with


def test_every_response_carries_the_security_headers(probe_client):
    for url in ("/", "/no-such-page", "/static/govuk/govuk-frontend.min.css", "/probe/boom"):
        r = probe_client.get(url)
        assert r.headers["Content-Security-Policy"] == CSP, url
        assert "script-src 'self';" in CSP and "unsafe-inline" not in CSP
        assert r.headers["X-Content-Type-Options"] == "nosniff", url
        assert r.headers["X-Frame-Options"] == "DENY", url
        assert r.headers["Referrer-Policy"] == "same-origin", url


def test_pages_have_no_inline_script_or_style(probe_client):
    html = probe_client.get("/").get_data(as_text=True)
    assert "<script>" not in html and "<script " in html  # only <script type="module" src=...>
    assert 'style="' not in html and "<style" not in html
    assert 'src="/static/careflow/init.js"' in html


def test_a_post_without_the_csrf_token_is_refused_with_a_page_not_a_500(probe_client, csrf_token):
    refused = probe_client.post("/probe/form", data={})
    assert refused.status_code == 400
    body = refused.get_data(as_text=True)
    assert "The form has expired or was not sent from careflow" in body and "govuk-heading-l" in body
    wrong = probe_client.post("/probe/form", data={"csrf_token": "forged"})
    assert wrong.status_code == 400
    accepted = probe_client.post("/probe/form", data={"csrf_token": csrf_token("/probe/form")})
    assert accepted.status_code == 200 and accepted.get_data(as_text=True) == "accepted"


def test_unknown_page_is_the_404_page(probe_client):
    r = probe_client.get("/no-such-page")
    assert r.status_code == 404
    assert "Page not found" in r.get_data(as_text=True)


def test_too_large_an_upload_is_the_413_page_naming_the_limit(tmp_path):
    app = _probe(create_app(tmp_path, testing=True, MAX_CONTENT_LENGTH=1024))
    client = app.test_client()
    token = token_in(client.get("/probe/form").get_data(as_text=True))
    r = client.post("/probe/upload", data={"csrf_token": token, "files": (io.BytesIO(b"x" * 5000), "big.csv")},
                    content_type="multipart/form-data")
    assert r.status_code == 413
    body = r.get_data(as_text=True)
    assert "The upload is too large" in body and "up to 1 KB" in body


def test_a_bug_is_the_500_page_without_the_traceback(tmp_path, caplog):
    app = _probe(create_app(tmp_path, testing=True))
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in real use: testing would re-raise
    r = app.test_client().get("/probe/boom")
    assert r.status_code == 500
    body = r.get_data(as_text=True)
    assert "Sorry, there is a problem with careflow" in body
    assert "Traceback" not in body and "CHILD 12345" not in body and "RuntimeError" not in body


def test_the_secret_key_is_made_once_and_readable_by_its_owner_only(tmp_path):
    first = create_app(tmp_path / "ws").config["SECRET_KEY"]
    again = create_app(tmp_path / "ws").config["SECRET_KEY"]
    other = create_app(tmp_path / "other").config["SECRET_KEY"]
    assert first == again and first != other and len(first) == 32
    assert stat.S_IMODE((tmp_path / "ws" / "secret_key").stat().st_mode) == 0o600


def test_the_register_lives_in_the_workspace_unless_configured(tmp_path, monkeypatch):
    monkeypatch.delenv("CAREFLOW_DATABASE_URL", raising=False)
    app = create_app(tmp_path)
    assert app.extensions["careflow.workspace"].database_url == f"sqlite:///{tmp_path / 'register.sqlite'}"
    app = create_app(tmp_path, DATABASE_URL=str(tmp_path / "elsewhere.sqlite"))
    assert app.extensions["careflow.workspace"].database_url.endswith("elsewhere.sqlite")


def test_the_same_job_key_reuses_the_job_and_a_failure_is_a_message():
    runner = JobRunner(2)
    gate = threading.Event()
    calls = []

    def work(x, progress):
        calls.append(x)
        progress(0.5, "half")
        gate.wait(5)
        return x * 2

    first = runner.submit(("double", 21), work, 21)
    second = runner.submit(("double", 21), work, 21)
    assert first == second
    gate.set()
    runner._pool.shutdown(wait=True)
    assert runner.get(first).status == "done" and runner.get(first).result == 42 and calls == [21]

    from careflow.errors import CareflowError

    def bad():
        raise CareflowError("the file has no episodes", file="x.csv", rule="file")

    runner = JobRunner(1)
    failed = runner.submit("bad", bad)
    runner._pool.shutdown(wait=True)
    job = runner.get(failed)
    assert job.status == "failed" and "the file has no episodes" in job.error


def test_old_finished_jobs_are_forgotten():
    runner = JobRunner(1)
    runner.KEEP_FINISHED = 3
    ids = []
    for k in range(6):
        ids.append(runner.submit(("n", k), int, k))
        runner._pool.submit(lambda: None).result()  # the queue is first in, first out: job k has run
    assert [runner.get(i) is not None for i in ids] == [False, False, True, True, True, True]
    assert runner.submit(("n", 5), int, 5) == ids[5] and runner.submit(("n", 0), int, 0) != ids[0]
    runner.shutdown()


def test_the_progress_page_refreshes_without_javascript_then_redirects(web_app, client):
    gate = threading.Event()
    with web_app.test_request_context():
        job_id = jobs.submit("slow", gate.wait, 5, then="/")
    page = client.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert '<meta http-equiv="refresh" content="2">' in page
    gate.set()
    for _ in range(100):
        if web_app.extensions["careflow.jobs"].get(job_id).finished:
            break
        threading.Event().wait(0.05)
    done = client.get(f"/jobs/{job_id}")
    assert done.status_code == 303 and done.headers["Location"] == "/"
    assert client.get("/jobs/not-a-job").status_code == 404


@pytest.mark.parametrize("host,ok", [("127.0.0.1", True), ("localhost", True), ("::1", True), ("127.0.0.2", True),
                                     ("0.0.0.0", False), ("192.168.1.10", False), ("example.org", False),
                                     ("::", False)])
def test_loopback_hosts(host, ok):
    assert is_loopback(host) is ok


def test_serve_refuses_a_host_other_computers_can_reach(tmp_path):
    from careflow.cli import main

    result = CliRunner().invoke(main, ["serve", "--host", "0.0.0.0", "--workspace", str(tmp_path / "ws")])
    assert result.exit_code == 1
    assert "binds only to this computer" in result.output and "0.0.0.0" in result.output
    assert not (tmp_path / "ws").exists()  # refused before making anything


@pytest.mark.browser
def test_home_page_in_the_browser(page, check_accessibility, screenshot):
    page.goto("/")
    assert page.title() == "careflow - careflow"
    body_classes = page.eval_on_selector("body", "b => b.className")
    assert "govuk-frontend-supported" in body_classes  # init.js ran under the CSP
    assert page.locator(".govuk-generic-header").inner_text().strip() == "careflow"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent").strip() == "Skip to main content"
    check_accessibility(page)
    screenshot(page, "home")
    page.goto("/no-such-page")
    assert page.locator("h1").inner_text() == "Page not found"
    check_accessibility(page)
