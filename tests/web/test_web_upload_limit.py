"""A real 1 GB upload to the live server (careflow serve's server, the app's default limit, not a stand-in): the GOV.UK
error summary comes back (413), nothing is written under the workspace's uploads/, and the server goes on answering.

The body is streamed from a generator over a raw socket (never held in memory) while a second thread reads the
answer as it arrives, so the test sees the answer whenever the server sends it, and can tell how much of the body
had been sent by then: with a Content-Length over the limit, the server answers before reading the body (only the
sockets' buffers, a few MB, can have been sent); with a chunked body and no Content-Length, it reads up to the limit
and stops there.
"""

from __future__ import annotations

import itertools
import re
import socket
import threading
import time
import urllib.request
from collections.abc import Iterator
from urllib.parse import urlsplit

from careflow.web import MAX_UPLOAD_BYTES

GB = 1 << 30
CHUNK = 1 << 20
BOUNDARY = "careflowtestboundary7MA4YWxkTrZu0gW"


def _parts(total: int, token: str) -> tuple[bytes, Iterator[bytes], bytes]:
    """A multipart form with the CSRF token and one file whose parts come to ``total`` bytes: the head, the file's
    bytes (a generator of 1 MB chunks, the same buffer each time) and the tail."""
    head = (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{token}\r\n"
            f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"episodes.csv\"\r\n"
            "Content-Type: text/csv\r\n\r\n").encode()
    tail = f"\r\n--{BOUNDARY}--\r\n".encode()
    size = total - len(head) - len(tail)
    block = (b"CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN\n"
             * (CHUNK // 90 + 1))[:CHUNK]

    def body() -> Iterator[bytes]:
        left = size
        while left > 0:
            yield block if left >= CHUNK else block[:left]
            left -= CHUNK
    return head, body(), tail


class Upload:
    """One POST over a raw socket: the body sent from a generator while a thread collects the answer."""

    def __init__(self, base: str, path: str, headers: dict[str, str]):
        url = urlsplit(base)
        self.sock = socket.create_connection((url.hostname, url.port), timeout=60)
        self.answer = bytearray()
        self.sent = 0
        self.sent_when_answered: int | None = None
        lines = [f"POST {path} HTTP/1.1", f"Host: {url.netloc}", *(f"{k}: {v}" for k, v in headers.items())]
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        while True:
            try:
                data = self.sock.recv(65536)
            except OSError:
                return
            if not data:
                return
            if self.sent_when_answered is None:
                self.sent_when_answered = self.sent
            self.answer += data

    def send(self, pieces) -> None:
        """Send every piece (stops if the server closes the connection)."""
        try:
            for piece in pieces:
                self.sock.sendall(piece)
                self.sent += len(piece)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def finish(self) -> tuple[int, str]:
        try:
            self.sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        self.reader.join(60)
        self.sock.close()
        head, _, body = bytes(self.answer).partition(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1]) if head else 0
        return status, body.decode("utf-8", "replace")


def _session(base: str) -> tuple[str, str]:
    """The session cookie and the upload form's CSRF token, as a browser gets them."""
    with urllib.request.urlopen(base + "/data/upload") as r:
        cookie = r.headers["Set-Cookie"].split(";", 1)[0]
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', r.read().decode()).group(1)
    return cookie, token


def _chunked(pieces) -> Iterator[bytes]:
    for piece in pieces:
        yield f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
    yield b"0\r\n\r\n"


def _uploads(web_app) -> list[str]:
    root = web_app.extensions["careflow.workspace"].uploads
    return sorted(str(p.relative_to(root)) for p in root.rglob("*")) if root.exists() else []


def _check_refused(status: int, body: str, web_app, before: list[str], live_server: str) -> None:
    assert status == 413, body[:500]
    summary = re.search(r'govuk-error-summary.*?</div>\s*</div>', body, re.S)
    assert summary and "The files must be smaller than 200 MB in all" in summary.group(0)
    assert _uploads(web_app) == before  # nothing of it kept
    with urllib.request.urlopen(live_server + "/", timeout=30) as r:  # the server is still up
        assert r.status == 200


def test_a_1_gb_upload_is_refused_by_its_content_length_before_the_body_is_read(live_server, web_app):
    assert web_app.config["MAX_CONTENT_LENGTH"] == MAX_UPLOAD_BYTES  # the real default, 200 MB
    before = _uploads(web_app)
    cookie, token = _session(live_server)
    head, body, tail = _parts(GB, token)
    started = time.monotonic()
    upload = Upload(live_server, "/data/upload", {
        "Cookie": cookie, "Content-Type": f"multipart/form-data; boundary={BOUNDARY}", "Content-Length": str(GB)})
    upload.send([head])
    upload.send(body)
    upload.send([tail])
    status, page = upload.finish()
    took = time.monotonic() - started
    # the answer came while the body was still being sent: at most the sockets' buffers had gone, never the body
    assert upload.sent_when_answered is not None and upload.sent_when_answered < 64 * CHUNK, upload.sent_when_answered
    _check_refused(status, page, web_app, before, live_server)
    print(f"1 GB offered, {upload.sent / GB:.2f} GB sent, answered after {upload.sent_when_answered / CHUNK:.1f} MB, "
          f"{took:.1f} s")


def test_a_chunked_1_gb_upload_without_content_length_stops_at_the_limit(live_server, web_app):
    before = _uploads(web_app)
    cookie, token = _session(live_server)
    head, body, tail = _parts(GB, token)
    upload = Upload(live_server, "/data/upload", {
        "Cookie": cookie, "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
        "Transfer-Encoding": "chunked"})
    upload.send(_chunked(itertools.chain([head], body, [tail])))
    status, page = upload.finish()
    # read up to the limit (200 MB) and no further before answering: the rest of the 1 GB was not read first
    assert upload.sent_when_answered is not None
    assert MAX_UPLOAD_BYTES <= upload.sent_when_answered < MAX_UPLOAD_BYTES + 64 * CHUNK, upload.sent_when_answered
    _check_refused(status, page, web_app, before, live_server)
    print(f"chunked 1 GB offered, {upload.sent / GB:.2f} GB sent, answered after "
          f"{upload.sent_when_answered / CHUNK:.1f} MB")
