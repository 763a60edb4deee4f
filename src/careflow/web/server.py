"""Serving the app on this computer: a threaded WSGI server (werkzeug's) bound to a loopback address.

Local mode has no sign-in, so it refuses any address another computer could reach; a shared server with accounts is
a separate mode.
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


def serve(app: Flask, host: str = "127.0.0.1", port: int = 8000, *, open_browser: bool = False,
          announce=print, shared: bool = False) -> None:
    """Serve until interrupted (Ctrl+C), optionally opening the home page in the user's browser."""
    server = local_server(app, host, port, shared=shared)
    url = url_of(server)
    announce(f"careflow is running at {url} (workspace {app.extensions['careflow.workspace'].root}); "
             "press Ctrl+C to stop")
    if open_browser:
        threading.Timer(0.5, webbrowser.open, args=(url,)).start()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        app.extensions["careflow.jobs"].shutdown()
