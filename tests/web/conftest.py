"""Fixtures for the web app's tests.

- ``web_app``: the app on a throw-away workspace (Anyshire already built in it), CSRF on as in real use.
- ``client``: Flask's test client for the many small checks (status codes, bad input, CSRF); ``csrf_token(url)``
  gives the token of the form on ``url`` to post with it.
- ``live_server``: base URL of a real threaded server of ``web_app`` on a free loopback port.
- ``page``: a Playwright page in Debian's chromium (``/usr/bin/chromium``; ``CAREFLOW_CHROMIUM`` overrides), one
  browser per xdist worker; skipped with a message when there is no chromium. A test fails if the page's
  Content-Security-Policy blocked anything or a static file was missing.
- ``check_accessibility(page)``: axe-core on the page; fails listing every serious or critical WCAG 2.2 A/AA
  violation.
- ``screenshot(page, name)``: writes docs/images/web/<name>.png when ``CAREFLOW_SCREENSHOTS=1`` (for docs/web.md).

Mark browser tests ``@pytest.mark.browser``; keep them few and journey-shaped.
"""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest
from web_helpers import token_in

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "docs" / "images" / "web"
CHROMIUM = os.environ.get("CAREFLOW_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


@pytest.fixture(scope="session")
def anyshire_returns(tmp_path_factory) -> Path:
    """Anyshire's SSDA903 returns, built once per test session (careflow.synth.anyshire)."""
    from careflow.synth import anyshire

    return anyshire(tmp_path_factory.mktemp("anyshire") / "anyshire")


@pytest.fixture
def web_app(tmp_path, anyshire_returns):
    from careflow.web import create_app
    from careflow.web.workspace import ANYSHIRE

    workspace = tmp_path / "workspace"
    target = workspace / "datasets" / ANYSHIRE
    shutil.copytree(anyshire_returns, target)
    (target / ".complete").touch()
    app = create_app(workspace, testing=True, JOB_WORKERS=2)
    yield app
    app.extensions["careflow.jobs"].shutdown()


@pytest.fixture
def client(web_app):
    return web_app.test_client()


@pytest.fixture
def csrf_token(client):
    """``csrf_token(url)``: the CSRF token of the form on ``url`` (GET with the test client's session)."""
    def get(url: str) -> str:
        return token_in(client.get(url).get_data(as_text=True))
    return get


@pytest.fixture
def live_server(web_app):
    from careflow.web.server import local_server, url_of

    server = local_server(web_app, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield url_of(server)
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"browser tests need chromium at {CHROMIUM} (apt-get install chromium, or set "
                    "CAREFLOW_CHROMIUM): skipped")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    """A page on ``live_server`` (relative URLs work: ``page.goto("/")``). Fails the test when the page's
    Content-Security-Policy blocked something or a static file was missing."""
    context = browser.new_context(base_url=live_server, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    problems: list[str] = []
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}")
            if m.type == "error" and ("Content Security Policy" in m.text or "Refused" in m.text) else None)
    page.on("response", lambda r: problems.append(f"{r.status} {r.url}")
            if r.status >= 400 and "/static/" in r.url else None)
    page.on("pageerror", lambda exc: problems.append(f"JavaScript error: {exc}"))
    yield page
    context.close()
    assert not problems, "the browser reported:\n" + "\n".join(problems)


@pytest.fixture(scope="session")
def check_accessibility():
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()

    def check(page) -> None:
        results = axe.run(page, options={"runOnly": {"type": "tag", "values": AXE_TAGS},
                                          "resultTypes": ["violations"]})
        bad = [v for v in results.response["violations"] if v.get("impact") in ("serious", "critical")]
        lines = [f"{v['id']} ({v['impact']}): {v['help']} at " + ", ".join(
            str(n["target"]) for n in v["nodes"][:5]) for v in bad]
        assert not bad, f"axe on {page.url}: {len(bad)} serious or critical violation(s):\n" + "\n".join(lines)
    return check


@pytest.fixture(scope="session")
def screenshot():
    def take(page, name: str) -> None:
        if os.environ.get("CAREFLOW_SCREENSHOTS") == "1":
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    return take
