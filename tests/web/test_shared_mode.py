"""Shared mode (careflow serve --shared): sign-in with a second factor, roles on every request, sessions,
throttling, no user enumeration, and local mode unchanged. Flask test client here; the browser journeys are in
test_shared_mode_browser.py."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from argon2 import PasswordHasher
from flask import Blueprint
from web_helpers import token_in

from careflow.accounts import Accounts, code_at
from careflow.register import Register, loads_case

FAST = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
PW = "correct horse battery"


class Clock:
    def __init__(self):
        self.now = dt.datetime.now(dt.UTC)

    def __call__(self):
        return self.now

    def advance(self, **kw):
        self.now += dt.timedelta(**kw)


PROBE_FORM = """{% extends "base.html" %}{% block content %}
<h1 class="govuk-heading-l">Case status</h1>
<form method="post"><input type="hidden" name="csrf_token" value="{{ csrf_token() }}">
<div class="govuk-form-group"><label class="govuk-label" for="status">Status</label>
<select class="govuk-select" id="status" name="status"><option value="submitted">submitted</option>
<option value="approved">approved</option></select></div>
<button type="submit" class="govuk-button" data-module="govuk-button">Save</button></form>{% endblock %}"""


def _probe_blueprint() -> Blueprint:
    """Stand-ins for a journey's edit form and status form (the real journeys are covered the same way: the hook
    runs before every view)."""
    bp = Blueprint("probe", __name__, url_prefix="/probe")

    @bp.route("/edit", methods=["GET", "POST"])
    def edit():
        from flask import render_template_string, request

        if request.method == "POST":
            with Register() as reg:  # opened as a view would: the signed-in user is recorded without user=
                reg.set_status("A/R.1", request.form["status"])
            return render_template_string('{% extends "base.html" %}{% block content %}'
                                          '<h1 class="govuk-heading-l">Saved</h1>{% endblock %}')
        return render_template_string(PROBE_FORM)

    @bp.post("/job")
    def job():
        from flask import request

        from careflow.web import jobs

        def work(status):
            with Register() as reg:
                return reg.set_status("A/R.1", status)
        return jobs.submit(("probe", request.form["status"]), work, request.form["status"])

    return bp


@pytest.fixture
def shared(tmp_path, monkeypatch, anyshire_returns):
    import shutil

    from careflow.web import create_app
    from careflow.web.workspace import ANYSHIRE

    workspace = tmp_path / "workspace"
    shutil.copytree(anyshire_returns, workspace / "datasets" / ANYSHIRE)
    (workspace / "datasets" / ANYSHIRE / ".complete").touch()
    url = f"sqlite:///{tmp_path / 'register.sqlite'}"
    monkeypatch.setenv("CAREFLOW_DATABASE_URL", url)
    clock = Clock()
    acc = Accounts(url, hasher=FAST, clock=clock)
    acc.add("alice", "approver", PW, actor="test")
    acc.add("ed", "editor", PW, actor="test")
    acc.add("vic", "viewer", PW, actor="test")
    with Register(url) as reg:
        reg.add(loads_case("reference: A/R.1\ntitle: A case\n")[0], user="test")
    app = create_app(workspace, testing=True, SHARED=True, ACCOUNTS=acc, JOB_WORKERS=1)
    app.register_blueprint(_probe_blueprint())
    app.clock, app.accounts, app.url = clock, acc, url
    yield app
    app.extensions["careflow.jobs"].shutdown()


def _login(client, name, password=PW, **kw):
    token = token_in(client.get("/login").get_data(as_text=True))
    return client.post("/login", data={"csrf_token": token, "username": name, "password": password}, **kw)


def _code(client, code, page="/login/code"):
    token = token_in(client.get(page).get_data(as_text=True))
    return client.post(page, data={"csrf_token": token, "code": code})


def test_every_page_but_login_and_static_needs_a_session(shared):
    c = shared.test_client()
    r = c.get("/")
    assert r.status_code == 303 and r.headers["Location"].startswith("/login")
    assert c.get("/probe/edit").headers["Location"] == "/login?next=/probe/edit"
    assert c.get("/login").status_code == 200
    assert c.get("/static/govuk/govuk-frontend.min.css").status_code == 200
    assert c.get("/login/code").status_code == 303  # no session: back to the login page


def test_no_user_enumeration_and_cookie_flags(shared):
    c = shared.test_client()
    unknown, wrong = _login(c, "nobody"), _login(c, "ed", "wrong password!")
    assert unknown.status_code == wrong.status_code == 401
    msg = re.compile(r"The username or password is not right")
    assert msg.search(unknown.get_data(as_text=True)) and msg.search(wrong.get_data(as_text=True))
    r = _login(c, "vic")
    assert r.status_code == 303 and r.headers["Location"] == "/"
    cookie = next(h for h in r.headers.getlist("Set-Cookie") if h.startswith("careflow_session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie  # plain http in the test
    assert "Expires" not in cookie  # a browser-session cookie; the server ends it after its lifetime
    assert c.get("/").status_code == 200


def test_secure_cookie_over_tls(shared):
    c = shared.test_client()
    token = token_in(c.get("/login", base_url="https://localhost").get_data(as_text=True))
    r = c.post("/login", base_url="https://localhost", headers={"Referer": "https://localhost/login"},
               data={"csrf_token": token, "username": "vic", "password": PW})  # over https Flask-WTF checks it
    cookie = next(h for h in r.headers.getlist("Set-Cookie") if h.startswith("careflow_session="))
    assert "Secure" in cookie and r.headers["Strict-Transport-Security"].startswith("max-age=")


def test_viewer_may_read_not_post_editor_may_edit_not_approve(shared):
    viewer = shared.test_client()
    _login(viewer, "vic")
    token = token_in(viewer.get("/probe/edit").get_data(as_text=True))
    assert viewer.post("/probe/edit", data={"csrf_token": token, "status": "submitted"}).status_code == 403
    editor = shared.test_client()
    _login(editor, "ed")
    token = token_in(editor.get("/probe/edit").get_data(as_text=True))
    assert editor.post("/probe/edit", data={"csrf_token": token, "status": "submitted"}).status_code == 200
    assert editor.post("/probe/edit", data={"csrf_token": token, "status": "approved"}).status_code == 403
    with Register(shared.url) as reg:
        assert reg.get("A/R.1").case.status.value == "submitted"
        assert [(e.user, e.new) for e in reg.history("A/R.1") if e.action == "status"] == [("ed", "submitted")]


def test_approver_enrols_totp_signs_in_with_it_and_approval_names_them(shared):
    c = shared.test_client()
    r = _login(c, "alice")
    assert r.headers["Location"] == "/login/enrol"
    assert c.get("/").headers["Location"].startswith("/login")  # password alone is not enough for an approver
    page = c.get("/login/enrol").get_data(as_text=True)
    secret = re.search(r'id="secret">([A-Z2-7]+)<', page).group(1)
    assert "<svg" in page  # the QR code, inline, no script
    r = _code(c, code_at(secret, shared.clock.now.timestamp()), "/login/enrol")
    codes = re.findall(r"<code>([a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4})</code>", r.get_data(as_text=True))
    assert r.status_code == 200 and len(codes) == 10
    token = token_in(c.get("/probe/edit").get_data(as_text=True))
    with Register(shared.url) as reg:
        reg.set_status("A/R.1", "submitted", user="ed")
    assert c.post("/probe/edit", data={"csrf_token": token, "status": "approved"}).status_code == 200
    with Register(shared.url) as reg:
        approval = reg.approval("A/R.1")
    assert approval.user == "alice"
    # sign out: the old cookie no longer works; sign in again with a code from the app
    old = c.get_cookie("careflow_session").value
    token = token_in(c.get("/").get_data(as_text=True))
    r = c.post("/logout", data={"csrf_token": token})
    assert r.status_code == 303 and c.get_cookie("careflow_session") is None
    c.set_cookie("careflow_session", old)
    assert c.get("/").status_code == 303
    shared.clock.advance(seconds=30)
    assert _login(c, "alice").headers["Location"] == "/login/code"
    r = _code(c, "000000" if code_at(secret, shared.clock.now.timestamp()) != "000000" else "111111")
    assert r.status_code == 401 and "That code is not right" in r.get_data(as_text=True)
    r = _code(c, code_at(secret, shared.clock.now.timestamp()))
    assert r.status_code == 303 and c.get("/").status_code == 200


def test_session_rotates_on_sign_in(shared):
    c = shared.test_client()
    _login(c, "vic")
    first = c.get_cookie("careflow_session").value
    _login(c, "vic")
    second = c.get_cookie("careflow_session").value
    assert first != second
    other = shared.test_client()
    other.set_cookie("careflow_session", first)
    assert other.get("/").status_code == 303  # the token from before the new sign-in is dead


def test_idle_timeout_ends_the_session(shared):
    c = shared.test_client()
    _login(c, "vic")
    shared.clock.advance(minutes=29)
    assert c.get("/").status_code == 200
    shared.clock.advance(minutes=31)
    assert c.get("/").status_code == 303


def test_throttling_answers_429_with_retry_after(shared):
    c = shared.test_client()
    for _ in range(5):
        assert _login(c, "ed", "wrong password!").status_code == 401
    r = _login(c, "ed")  # the right password, but too many failures
    assert r.status_code == 429 and 0 < int(r.headers["Retry-After"]) <= 15 * 60
    assert "Too many attempts" in r.get_data(as_text=True)
    shared.clock.advance(minutes=15, seconds=1)
    assert _login(c, "ed").status_code == 303


def test_open_redirect_refused(shared):
    c = shared.test_client()
    token = token_in(c.get("/login").get_data(as_text=True))
    r = c.post("/login?next=//evil.example/x", data={"csrf_token": token, "username": "vic", "password": PW})
    assert r.headers["Location"] == "/"


def test_security_headers_on_login_and_error_pages(shared):
    c = shared.test_client()
    for r in (c.get("/login"), _login(c, "nobody")):
        assert "frame-ancestors 'none'" in r.headers["Content-Security-Policy"]
        assert "unsafe-inline" not in r.headers["Content-Security-Policy"]
        assert r.headers["X-Content-Type-Options"] == "nosniff" and r.headers["Referrer-Policy"]


def test_local_mode_has_no_sign_in(web_app):
    c = web_app.test_client()
    assert c.get("/").status_code == 200 and c.get("/login").status_code == 404


def test_serve_shared_binds_beyond_loopback_only_in_shared_mode(tmp_path, monkeypatch):
    from click.testing import CliRunner

    import careflow.web.server as server
    from careflow.cli import main

    url = f"sqlite:///{tmp_path / 'register.sqlite'}"
    monkeypatch.setenv("CAREFLOW_DATABASE_URL", url)
    served = []
    monkeypatch.setattr(server, "serve", lambda app, host, port, **kw: served.append((host, port, kw)))
    ws = str(tmp_path / "ws")
    r = CliRunner().invoke(main, ["serve", "--host", "0.0.0.0", "--workspace", ws])
    assert r.exit_code == 1 and "local mode" in r.output and not served
    r = CliRunner().invoke(main, ["serve", "--behind-proxy", "--workspace", ws])
    assert r.exit_code == 2
    r = CliRunner().invoke(main, ["serve", "--shared", "--host", "0.0.0.0", "--workspace", ws])
    assert r.exit_code == 1 and "no users yet" in r.output and not served
    Accounts(url, hasher=FAST).add("alice", "approver", PW, actor="test")
    r = CliRunner().invoke(main, ["serve", "--shared", "--host", "0.0.0.0", "--port", "8123", "--workspace", ws])
    assert r.exit_code == 0, r.output
    assert len(served) == 1 and served[0][:2] == ("0.0.0.0", 8123) and served[0][2]["shared"] is True


def test_a_background_job_acts_for_the_user_who_started_it(shared):
    import time

    from careflow.web import jobs

    c = shared.test_client()
    _login(c, "ed")
    token = token_in(c.get("/probe/edit").get_data(as_text=True))
    job_id = c.post("/probe/job", data={"csrf_token": token, "status": "submitted"}).get_data(as_text=True)
    with shared.app_context():
        for _ in range(200):
            if jobs.get(job_id).finished:
                break
            time.sleep(0.05)
        assert jobs.get(job_id).status == "done", jobs.get(job_id).error
    with Register(shared.url) as reg:
        assert [e.user for e in reg.history("A/R.1") if e.action == "status"] == ["ed"]


def test_the_real_case_edit_form_in_shared_mode_names_the_editor_and_refuses_a_viewer(shared):
    # the business-case journey's own edit page, not a stand-in: the before-request hook and the acting user
    # reach it, so the audit trail names who edited, and a viewer's POST is refused before the view runs
    url = "/cases/edit/assumptions/A/R.1"
    editor = shared.test_client()
    _login(editor, "ed")
    html = editor.get(url).get_data(as_text=True)
    version = re.search(r'name="version" type="hidden" value="(\d+)"|name="version" value="(\d+)"', html)
    form = {"csrf_token": token_in(html), "version": version.group(1) or version.group(2),
            "assumptions": "Placements move at the end of the school year."}
    viewer = shared.test_client()
    _login(viewer, "vic")
    assert viewer.post(url, data={**form, "csrf_token": token_in(viewer.get(url).get_data(as_text=True))}
                       ).status_code == 403
    assert editor.post(url, data=form).status_code == 303
    with Register(shared.url) as reg:
        stored = reg.get("A/R.1")
        edits = [e for e in reg.history("A/R.1") if e.field == "assumptions"]
    assert stored.case.assumptions == "Placements move at the end of the school year." and stored.version == 2
    assert [e.user for e in edits] == ["ed"]


def test_pages_offer_edits_only_to_roles_that_may_make_them(shared):
    # a viewer reads the same pages without the actions the role hook would refuse it; an editor sees them
    pages = {"/cases/": ['id="new-case"'],
             "/cases/case/A/R.1": ['id="change-status"', 'id="change-assumptions"'],
             "/cases/appraisal/A/R.1": ["Enter its cost and savings"],
             "/tracking/case/A/R.1": ["Enter its cost and savings", "Add indicators"]}
    for name in ("ed", "vic"):
        client = shared.test_client()
        _login(client, name)
        for url, marks in pages.items():
            html = client.get(url).get_data(as_text=True)
            for mark in marks:
                assert (mark in html) == (name == "ed"), (name, url, mark)


def test_a_viewer_may_run_a_forecast_which_only_computes(shared):
    # the forecast form's POST is declared READ (it changes nothing shared); a viewer's case edit is still refused
    viewer = shared.test_client()
    _login(viewer, "vic")
    token = token_in(viewer.get("/forecast/").get_data(as_text=True))
    r = viewer.post("/forecast/", data={"csrf_token": token, "years": "1", "runs": "20", "trend": "no"})
    assert r.status_code == 303 and r.headers["Location"].startswith("/jobs/")
    assert viewer.post("/cases/new", data={"csrf_token": token}).status_code == 403
