"""Serving the app: on this computer (local mode) with werkzeug's threaded server bound to a loopback address, or
for a team (shared mode) with waitress, a production WSGI server.

Local mode has no sign-in, so it refuses any address another computer could reach. Shared mode serves many users
at once for months: waitress (pure Python, so it runs on a council's Windows laptop as well as on Linux) reads each
request and writes each response on its own event loop and hands only complete requests to a fixed pool of
``threads``, so slow or idle connections never hold an app thread and a burst cannot start unbounded threads, as
werkzeug's development server (one thread per connection) does. See benchmarks/RESULTS.md (shared mode under load).
"""

from __future__ import annotations

import ipaddress
import threading
import webbrowser

from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server

from careflow.errors import CareflowError


def is_loopback(host: str) -> bool:
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_local_host(host: str) -> None:
    """Refuse a host other computers could reach: local mode has no sign-in."""
    if not is_loopback(host):
        raise CareflowError(
            f"careflow serve binds only to this computer in local mode (127.0.0.1, ::1 or localhost), not "
            f"{host!r}: local mode has no sign-in, so another address would show your data to anyone who can "
            "reach this computer", field="--host", rule="serve")


def local_server(app: Flask, host: str = "127.0.0.1", port: int = 8000, *, shared: bool = False) -> BaseWSGIServer:
    """A threaded server for ``app`` on ``host:port`` (port 0: a free one; see ``server.server_port``)."""
    if not shared:  # shared mode has sign-in and roles (careflow.web.auth): it may listen where it is told
        check_local_host(host)
    try:
        return make_server(host, port, app, threaded=True)
    except OSError as exc:
        raise CareflowError(f"cannot listen on {host}:{port}: {exc.strerror or exc}", field="--port",
                            rule="serve") from None


def url_of(server: BaseWSGIServer) -> str:
    host = server.host if ":" not in server.host else f"[{server.host}]"
    return f"http://{host}:{server.server_port}"


SHARED_THREADS = 8  # requests handled at once; the rest queue (background jobs have their own pool)


def shared_server(app: Flask, host: str = "127.0.0.1", port: int = 8000, *, threads: int = SHARED_THREADS,
                  behind_proxy: bool = False):
    """A waitress server for ``app`` on ``host:port`` (port 0: a free one; see :func:`shared_url`).

    waitress drops X-Forwarded-* headers by default; ``behind_proxy`` keeps them for the app's ProxyFix (the one
    reverse proxy careflow is told to trust)."""
    from waitress import create_server

    try:
        return create_server(app, host=host, port=port, threads=threads, ident="careflow",
                             clear_untrusted_proxy_headers=not behind_proxy,
                             max_request_body_size=request_body_cap(app))
    except OSError as exc:
        raise CareflowError(f"cannot listen on {host}:{port}: {exc.strerror or exc}", field="--port",
                            rule="serve") from None


BODY_HEADROOM = 1024 * 1024


def request_body_cap(app: Flask) -> int:
    """The largest request body waitress reads for ``app``: the app's upload limit and a little headroom, so an
    upload just over the limit still reaches the app (and gets its GOV.UK "too large" page) while a far larger one
    is refused by waitress (a plain 413) before it is read. waitress reads a whole body, into a temporary file,
    before the app sees the request, so without this cap anyone, signed in or not, could make the server store
    up to 1 GB (waitress's own default) per request."""
    return int(app.config.get("MAX_CONTENT_LENGTH") or 0) + BODY_HEADROOM


def shared_url(server) -> str:
    host, port = server.effective_host, server.effective_port
    return f"http://{f'[{host}]' if ':' in host else host}:{port}"


def serve(app: Flask, host: str = "127.0.0.1", port: int = 8000, *, open_browser: bool = False,
          announce=print, shared: bool = False, threads: int = SHARED_THREADS, behind_proxy: bool = False) -> None:
    """Serve until interrupted (Ctrl+C), optionally opening the home page in the user's browser. Local mode:
    werkzeug's threaded server on a loopback address; shared mode: waitress with ``threads`` worker threads."""
    if shared:
        server = shared_server(app, host, port, threads=threads, behind_proxy=behind_proxy)
        url, run, close = shared_url(server), server.run, server.close
        what = f"careflow (shared mode, {threads} threads)"
    else:
        server = local_server(app, host, port)
        url, run, close = url_of(server), server.serve_forever, server.server_close
        what = "careflow"
    announce(f"{what} is running at {url} (workspace {app.extensions['careflow.workspace'].root}); "
             "press Ctrl+C to stop")
    if open_browser:
        threading.Timer(0.5, webbrowser.open, args=(url,)).start()
    try:
        run()
    except KeyboardInterrupt:
        pass
    finally:
        close()
        app.extensions["careflow.jobs"].shutdown()
