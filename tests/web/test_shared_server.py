"""Shared mode's server (waitress, careflow.web.server.shared_server): it serves the app, and the reverse proxy's
X-Forwarded-* headers reach the app only with --behind-proxy (waitress drops them by default; careflow's ProxyFix
then trusts one proxy), so a client cannot claim HTTPS or another address by sending them itself."""

from __future__ import annotations

import threading

import pytest
import requests
from flask import Flask, request
from werkzeug.middleware.proxy_fix import ProxyFix

from careflow.web.server import shared_server, shared_url


@pytest.mark.parametrize("behind_proxy", [False, True])
def test_forwarded_headers_reach_the_app_only_behind_a_proxy(behind_proxy):
    app = Flask(__name__)
    app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1)  # as careflow serve --shared --behind-proxy does

    @app.get("/who")
    def who():
        return f"{request.scheme} {request.remote_addr}"

    server = shared_server(app, "127.0.0.1", 0, threads=2, behind_proxy=behind_proxy)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        r = requests.get(shared_url(server) + "/who", timeout=10,
                         headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9",
                                  "Connection": "close"})  # no idle channel keeps the loop running
        assert r.status_code == 200 and r.headers["Server"] == "careflow"
        assert r.text == ("https 203.0.113.9" if behind_proxy else "http 127.0.0.1")
    finally:
        server.close()
        thread.join(timeout=10)
    assert not thread.is_alive(), "the server did not stop"
