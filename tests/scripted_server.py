"""A local HTTP server whose answers a test scripts, one request at a time.

Used by the transport and error-mapping tests: the test says what the next
requests get (status code and reason phrase, headers -- including a
Content-Type or none at all --, body bytes, a delay before answering, a body
cut short, or "close the connection without answering"); the server records
every request (method, raw path with its query, headers, body) and verifies
every signed request with :func:`backend_ai_client.testing.verify_request`,
the manager's own algorithm. A request whose signature does not verify fails
the test that sent it: :meth:`ScriptedServer.take` (and the fixture teardown)
assert on the recorded verdicts.

Loopback only: the server binds 127.0.0.1 on a free port. Every wait is
bounded: handler sockets time out, delays are capped at ``MAX_DELAY``.

    server.script(Reply(502, "Bad Gateway", [("Content-Type", "text/html")], b"<html>..."))
    ... make the request ...
    [rec] = server.take()          # asserts every signed request verified
"""

from __future__ import annotations

import collections
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Iterator

import pytest

from backend_ai_client.testing import Verdict, verify_request

__all__ = [
    "ACCESS_KEY",
    "MAX_DELAY",
    "Recorded",
    "Reply",
    "SECRET_KEY",
    "ScriptedServer",
    "closed_port",
    "scripted_server",
]

LOOPBACK = "127.0.0.1"
#: The longest a scripted delay may be, in seconds.
MAX_DELAY = 5.0
#: Socket timeout of every handler (reading a request, writing an answer).
HANDLER_TIMEOUT = 10.0


@dataclass
class Reply:
    """What the server answers to one request.

    ``reason`` None sends the standard phrase of ``status`` (empty if none).
    ``headers`` are sent verbatim and in order; pass no Content-Type to send
    none at all. ``Content-Length`` is added unless ``content_length`` is
    False (then the server closes the connection after the body, which marks
    its end). ``truncate`` sends only that many body bytes under the full
    Content-Length and then closes. ``close`` closes the connection without
    answering at all. ``delay`` (seconds, capped at MAX_DELAY) is waited
    before anything is sent; ``body_delay`` (also capped) between the status
    line and headers and the body.
    """

    status: int = 200
    reason: str | None = None
    headers: list[tuple[str, str]] = field(default_factory=lambda: [("Content-Type", "application/json")])
    body: bytes = b"{}"
    delay: float = 0.0
    close: bool = False
    truncate: int | None = None
    content_length: bool = True
    body_delay: float = 0.0

    @classmethod
    def json(cls, status: int, obj_text: str | bytes, reason: str | None = None,
             content_type: str = "application/json") -> "Reply":
        body = obj_text.encode() if isinstance(obj_text, str) else obj_text
        return cls(status, reason, [("Content-Type", content_type)], body)


@dataclass
class Recorded:
    """One request as the server received it."""

    method: str
    raw_path: str
    headers: list[tuple[str, str]]
    body: bytes
    verdict: Verdict | None  # None: the request carried no Authorization header
    reply: Reply
    received_at: float

    def header(self, name: str) -> str | None:
        lname = name.lower()
        for k, v in self.headers:
            if k.lower() == lname:
                return v
        return None

    @property
    def signed(self) -> bool:
        return self.verdict is not None


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = HANDLER_TIMEOUT
    server: "_Server"

    def setup(self) -> None:
        super().setup()
        try:
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass

    def _read_body(self) -> bytes:
        if (self.headers.get("Transfer-Encoding") or "").lower() == "chunked":
            chunks = []
            while True:
                size_line = self.rfile.readline(65537)
                size = int(size_line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline(65537)
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _handle(self) -> None:
        owner = self.server.owner
        body = self._read_body()
        headers = list(self.headers.items())
        verdict = None
        if any(k.lower() == "authorization" for k, _ in headers):
            verdict = verify_request(self.command, self.path, dict(headers), body, owner.secret_keys)
        reply = owner._next_reply(self.path)
        owner._record(Recorded(self.command, self.path, headers, body, verdict, reply, time.time()))
        if reply.delay:
            owner._stopping.wait(min(float(reply.delay), MAX_DELAY))
        if reply.close:
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        status_line = f"{self.protocol_version} {reply.status}"
        reason = reply.reason
        if reason is None:
            reason = self.responses.get(reply.status, ("",))[0]
        status_line += f" {reason}\r\n"
        out = [status_line.encode("latin-1")]
        for k, v in reply.headers:
            out.append(f"{k}: {v}\r\n".encode("latin-1"))
        closing = not reply.content_length or reply.truncate is not None
        if reply.content_length:
            out.append(f"Content-Length: {len(reply.body)}\r\n".encode())
        if closing:
            out.append(b"Connection: close\r\n")
        out.append(b"\r\n")
        payload = reply.body if reply.truncate is None else reply.body[: reply.truncate]
        if self.command == "HEAD":
            payload = b""
        try:
            if reply.body_delay:
                self.wfile.write(b"".join(out))
                self.wfile.flush()
                owner._stopping.wait(min(float(reply.body_delay), MAX_DELAY))
                self.wfile.write(payload)
            else:
                # One write: a second small write would wait for the client's delayed ACK (Nagle).
                self.wfile.write(b"".join(out) + payload)
            self.wfile.flush()
        except OSError:
            self.close_connection = True
            return
        if closing:
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_WR)
            except OSError:
                pass

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _handle


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    owner: "ScriptedServer"

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up (timeout tests) makes the handler hit a closed
        # socket; that is expected, not a server bug.
        pass


class ScriptedServer:
    """The server behind the ``scripted_server`` fixture. See the module docstring."""

    def __init__(self, secret_keys: dict[str, str] | None = None) -> None:
        self.secret_keys = dict(secret_keys or {})
        self._lock = threading.Lock()
        self._queue: collections.deque[Reply] = collections.deque()
        self._by_path: dict[str, collections.deque[Reply]] = {}
        self._default: Reply | None = None
        self._requests: list[Recorded] = []
        self._unscripted = 0
        self._stopping = threading.Event()
        self._httpd = _Server((LOOPBACK, 0), _Handler)
        self._httpd.owner = self
        self.port: int = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=f"scripted-server-{self.port}", daemon=True)
        self._thread.start()

    # -- scripting -----------------------------------------------------------
    @property
    def endpoint(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def script(self, *replies: Reply, path: str | None = None) -> None:
        """The next requests get these replies, in order.

        With ``path`` (the raw path with its query, exactly as sent) only the
        requests for that path take from this script, so that two clients can
        be scripted at once on different paths.
        """
        with self._lock:
            if path is None:
                self._queue.extend(replies)
            else:
                self._by_path.setdefault(path, collections.deque()).extend(replies)

    def always(self, reply: Reply | None) -> None:
        """Every request that finds the script empty gets ``reply`` (None: unscripted → 599)."""
        with self._lock:
            self._default = reply

    def reset(self) -> None:
        """Forget the script, the default reply and the recorded requests."""
        with self._lock:
            self._queue.clear()
            self._by_path.clear()
            self._default = None
            self._requests.clear()
            self._unscripted = 0

    def _next_reply(self, raw_path: str) -> Reply:
        with self._lock:
            if self._by_path.get(raw_path):
                return self._by_path[raw_path].popleft()
            if self._queue:
                return self._queue.popleft()
            if self._default is not None:
                return self._default
            self._unscripted += 1
            return Reply(599, "Unscripted", [("Content-Type", "text/plain")], b"no reply was scripted")

    def _record(self, rec: Recorded) -> None:
        with self._lock:
            self._requests.append(rec)

    # -- inspecting ----------------------------------------------------------
    @property
    def requests(self) -> list[Recorded]:
        with self._lock:
            return list(self._requests)

    def take(self, *, signed: bool | None = None, path: str | None = None,
             check_signatures: bool = True) -> list[Recorded]:
        """The requests recorded since the last ``take``/``reset``, removed from the record.

        With ``path`` only the requests for that raw path are taken. Asserts
        that every signed request taken verified (unless ``check_signatures``
        is False: for tests about requests that must not verify), that no
        request found the script empty, and (if ``signed`` is given) that each
        request was or was not signed.
        """
        with self._lock:
            if path is None:
                recs, self._requests = self._requests, []
            else:
                recs = [r for r in self._requests if r.raw_path == path]
                self._requests = [r for r in self._requests if r.raw_path != path]
            unscripted, self._unscripted = self._unscripted, 0
        bad = [(r.method, r.raw_path, r.verdict.reason) for r in recs if r.verdict is not None and not r.verdict.ok]
        assert not bad or not check_signatures, f"signed request(s) failed server-side verification: {bad}"
        assert not unscripted, f"{unscripted} request(s) arrived with no reply scripted"
        if signed is not None:
            wrong = [(r.method, r.raw_path) for r in recs if r.signed != signed]
            assert not wrong, f"expected signed={signed}: {wrong}"
        return recs

    def bad_verdicts(self) -> list[tuple[str, str, str]]:
        return [(r.method, r.raw_path, r.verdict.reason) for r in self.requests
                if r.verdict is not None and not r.verdict.ok]

    def close(self) -> None:
        self._stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)


def closed_port() -> int:
    """A port on 127.0.0.1 that was bound and closed again: nothing listens there."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]
    finally:
        s.close()


#: The key pair the fixture's server accepts.
ACCESS_KEY = "AKIATESTSCRIPTED000"
SECRET_KEY = "scripted-secret-key/with+chars="


@pytest.fixture(scope="module")
def scripted_server() -> Iterator[ScriptedServer]:
    """A ScriptedServer for the module; tests ``reset()`` it as they need.

    The teardown fails the module's last test if any signed request was not
    verified (tests should also call ``take()`` after each exchange).
    """
    server = ScriptedServer({ACCESS_KEY: SECRET_KEY})
    try:
        yield server
        bad = server.bad_verdicts()
        assert not bad, f"signed request(s) failed server-side verification: {bad}"
    finally:
        server.close()
