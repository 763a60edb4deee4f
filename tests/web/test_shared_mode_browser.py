"""Shared mode in a real browser: an approver enrols an authenticator app, approves a case and signs out, then
signs in with a recovery code; a viewer's edit is refused (403); throttling (429); cookie flags and headers."""

from __future__ import annotations

import threading

import pytest
from test_shared_mode import PW, _probe_blueprint

from careflow.accounts import code_at

pytestmark = pytest.mark.browser


@pytest.fixture
def shared_live(tmp_path, monkeypatch, anyshire_returns):
    import shutil

    from argon2 import PasswordHasher

    from careflow.accounts import Accounts
    from careflow.register import Register, loads_case
    from careflow.web import create_app
    from careflow.web.server import local_server, url_of
    from careflow.web.workspace import ANYSHIRE

    workspace = tmp_path / "workspace"
    shutil.copytree(anyshire_returns, workspace / "datasets" / ANYSHIRE)
    (workspace / "datasets" / ANYSHIRE / ".complete").touch()
    url = f"sqlite:///{tmp_path / 'register.sqlite'}"
    monkeypatch.setenv("CAREFLOW_DATABASE_URL", url)
    acc = Accounts(url, hasher=PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    acc.add("alice", "approver", PW, actor="test")
    acc.add("vic", "viewer", PW, actor="test")
    with Register(url) as reg:
        reg.add(loads_case("reference: A/R.1\ntitle: A case\nstatus: submitted\n")[0], user="test")
    app = create_app(workspace, testing=True, SHARED=True, ACCOUNTS=acc, JOB_WORKERS=1)
    app.register_blueprint(_probe_blueprint())
    server = local_server(app, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield url_of(server), url
    server.shutdown()
    server.server_close()
    app.extensions["careflow.jobs"].shutdown()


@pytest.fixture
def shared_page(browser, shared_live):
    context = browser.new_context(base_url=shared_live[0])
    page = context.new_page()
    page.set_default_timeout(15_000)
    blocked: list[str] = []
    page.on("console", lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None)
    yield page
    context.close()
    assert not blocked, blocked


def _sign_in(page, name, password=PW, *, go=True):
    if go:
        page.goto("/login")
    page.fill("#username", name)
    page.fill("#password", password)
    page.click("button:has-text('Sign in')")


def test_approver_enrols_approves_signs_out_and_back_in_with_a_recovery_code(shared_page, shared_live,
                                                                            check_accessibility):
    import time

    from careflow.register import Register

    page = shared_page
    page.goto("/probe/edit")
    assert page.url.endswith("/login?next=/probe/edit")
    check_accessibility(page)
    _sign_in(page, "alice", go=False)  # on the page it was sent to, which remembers where it was going
    assert "/login/enrol" in page.url and page.locator("svg").count() == 1
    check_accessibility(page)
    secret = page.locator("#secret").inner_text()
    page.fill("#code", code_at(secret, time.time()))
    page.click("button:has-text('Continue')")
    codes = page.locator("#recovery-codes code").all_inner_texts()
    assert len(codes) == 10
    check_accessibility(page)
    page.click("text=Continue to careflow")
    assert page.url.endswith("/probe/edit")
    assert "Signed in as alice (approver)" in page.locator(".careflow-account").inner_text()
    page.select_option("#status", "approved")
    page.click("button:has-text('Save')")
    assert page.locator("h1").inner_text() == "Saved"
    with Register(shared_live[1]) as reg:
        assert reg.approval("A/R.1").user == "alice"
    page.click("button:has-text('Sign out')")
    assert "You have signed out" in page.content()
    page.goto("/")
    assert "/login" in page.url
    _sign_in(page, "alice")
    assert "/login/code" in page.url
    check_accessibility(page)
    page.fill("#code", codes[0])
    page.click("button:has-text('Continue')")
    assert page.url == shared_live[0] + "/"
    assert "Signed in as alice" in page.locator(".careflow-account").inner_text()


def test_viewer_edit_is_refused_and_cookie_and_headers(shared_page):
    page = shared_page
    _sign_in(page, "vic")
    cookie = next(c for c in page.context.cookies() if c["name"] == "careflow_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax" and cookie["expires"] == -1
    response = page.goto("/probe/edit")
    headers = response.headers
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff" and headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] and headers["cache-control"] == "no-store"
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.click("button:has-text('Save')")
    assert posted.value.status == 403
    assert page.locator("h1").inner_text() == "You cannot see this page"


def test_five_wrong_passwords_then_429(shared_page):
    page = shared_page
    for _ in range(5):
        _sign_in(page, "vic", "wrong password!")
        assert "The username or password is not right" in page.content()
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        _sign_in(page, "vic")
    assert posted.value.status == 429 and int(posted.value.headers["retry-after"]) > 0
    assert "Too many attempts" in page.content()
