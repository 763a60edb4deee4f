"""Shared mode's server (waitress, careflow.web.server.shared_server): it serves the app, and the reverse proxy's
X-Forwarded-* headers reach the app only with --behind-proxy (waitress drops them by default; careflow's ProxyFix
then trusts one proxy), so a client cannot claim HTTPS or another address by sending them itself."""

from __future__ import annotations

import contextlib
import threading

import pytest
import requests
from flask import Flask, request
from werkzeug.middleware.proxy_fix import ProxyFix

from careflow.web.server import shared_server, shared_url


@contextlib.contextmanager
def serving(server):
    """The server's loop on a thread, closed from this one at the end. Closing can catch the loop entering
    select() with the listening socket just closed (EBADF): once the close was asked that is the loop's expected
    end; any other error of the loop fails the test."""
    failures: list[BaseException] = []
    closing = threading.Event()

    def run():
        try:
            server.run()
        except OSError as exc:
            if not closing.is_set():
                failures.append(exc)
        except BaseException as exc:  # noqa: BLE001 - reported by the test below
            failures.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield
    finally:
        closing.set()
        server.close()
        thread.join(timeout=10)
    assert not thread.is_alive(), "the server did not stop"
    assert not failures, failures


@pytest.mark.parametrize("behind_proxy", [False, True])
def test_forwarded_headers_reach_the_app_only_behind_a_proxy(behind_proxy):
    app = Flask(__name__)
    app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1)  # as careflow serve --shared --behind-proxy does

    @app.get("/who")
    def who():
        return f"{request.scheme} {request.remote_addr}"

    server = shared_server(app, "127.0.0.1", 0, threads=2, behind_proxy=behind_proxy)
    with serving(server):
        r = requests.get(shared_url(server) + "/who", timeout=10,
                         headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9",
                                  "Connection": "close"})  # no idle channel keeps the loop running
        assert r.status_code == 200 and r.headers["Server"] == "careflow"
        assert r.text == ("https 203.0.113.9" if behind_proxy else "http 127.0.0.1")


def test_a_body_far_over_the_upload_limit_is_refused_before_it_is_read():
    """waitress reads a whole body before the app sees it: with the app's limit at 64 KB a 512 MB body announced by
    its Content-Length is answered 413 at once (only headers and a first chunk sent), a body just over the app's
    limit still reaches the app (its own 413 page), and the server goes on answering. (512 MB: waitress itself
    refuses 1 GB and more.)"""
    import socket

    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024

    @app.post("/upload")
    def upload():
        return str(len(request.get_data()))

    @app.errorhandler(413)
    def too_large(_):
        return "app: too large", 413

    server = shared_server(app, "127.0.0.1", 0, threads=2)
    url = shared_url(server)
    with serving(server):
        host, port = server.effective_host, server.effective_port
        with socket.create_connection((host, port), timeout=10) as sock:
            sock.sendall(b"POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % (512 * 1024 ** 2))
            sent = 0
            answer = b""
            sock.settimeout(0.05)
            while sent < 64 * 1024 * 1024 and not answer:  # stop sending once answered; never the whole body
                try:
                    sock.sendall(b"\0" * 65536)
                    sent += 65536
                    answer = sock.recv(4096)
                except TimeoutError:
                    continue
                except OSError:
                    break
            sock.settimeout(10)
            answer = answer or sock.recv(4096)
        assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
        assert sent < 64 * 1024 * 1024
        just_over = requests.post(url + "/upload", data=b"x" * (64 * 1024 + 1), timeout=10,
                                  headers={"Connection": "close"})
        assert just_over.status_code == 413 and just_over.text == "app: too large"
        fits = requests.post(url + "/upload", data=b"x" * 1000, timeout=10, headers={"Connection": "close"})
        assert fits.status_code == 200 and fits.text == "1000"
