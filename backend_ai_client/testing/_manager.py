"""A local Backend.AI-compatible manager for demos and tests (standard library only).

    from backend_ai_client.testing import LocalManager

    with LocalManager() as mgr:
        config = ClientConfig(mgr.access_key, mgr.secret_key, mgr.endpoint)
        ...

It serves the session API that the JS SDK's ``Client`` core calls
(``createIfNotExists``, ``get_info``, ``execute``, ``restart``, ``destroy``,
``get_logs``, the version and resource-slot routes, ``fetchSSHKeypair``) under
both the ``/kernel`` prefix (API v4 and below) and ``/session`` (v5 and up),
and checks every non-public request with :func:`verify_request`, which follows
the real manager's signature algorithm. Error bodies are RFC 7807
``application/problem+json`` with the real manager's ``type`` URLs and titles.

SECURITY: ``execute`` in ``query`` mode RUNS THE POSTED CODE as Python
(``sys.executable -I -c CODE``) as the user who started the manager, with that
user's rights, in a temporary working directory, a time limit and an output
cap. Only requests signed with one of the manager's keypairs can do this, and
the server binds to a loopback address only (any other host is refused), but
anyone holding the secret key, or any local process that can reach the port
with it, can run code. Keep the secret key private and do not expose the port.

Routes (PREFIX is ``/kernel`` or ``/session``; NAME is percent-decoded):

    GET    /                        {"version": API_VERSION, "manager": MANAGER_VERSION}   public
    GET    /config/resource-slots   {"cpu": "count", "mem": "bytes"}                        public
    GET    /etcd/resource-slots     (the same)                                             public
    GET    /auth/ssh-keypair        {"ssh_public_key": "ssh-ed25519 AAAA... local"}
    POST   PREFIX/create, PREFIX    create if not exists: 201 created / 200 existing
    GET    PREFIX/NAME              session information
    POST   PREFIX/NAME              execute {mode, code, runId, options}
    PATCH  PREFIX/NAME              restart: 204
    DELETE PREFIX/NAME              destroy: {"stats": {}}
    GET    PREFIX/NAME/logs         {"result": {"logs": TEXT}}

Deliberate simplifications against a real manager: there is no agent or
container (a session is a record plus a working directory), every keypair acts
as an administrator (``owner_access_key`` selects the owner, ``forced`` is
allowed), a session created with ``enqueueOnly`` answers ``PENDING`` and is
``RUNNING`` right after, and only ``python*`` images execute code.
"""

from __future__ import annotations

import base64
import collections
import copy
import ipaddress
import json
import logging
import os
import re
import secrets
import shutil
import signal
import socket
import socketserver
import string
import struct
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import MappingProxyType
from typing import Any, NamedTuple
from urllib.parse import parse_qs, unquote

from ._auth import MAX_CLOCK_SKEW, _parse_date, verify_request

__all__ = ["LocalManager", "LocalSession", "RequestRecord"]

log = logging.getLogger(__name__)

PROBS = "https://api.backend.ai/probs/"

# The real manager's session-name rule (api/session.py): 4-64 ASCII word
# characters, dots and dashes, starting and ending with a word character.
SESSION_NAME = re.compile(r"^(?=.{4,64}$)\w[\w.-]*\w$", re.ASCII)
EXEC_MODES = frozenset({"query", "batch", "complete", "continue", "input"})
_LOG_CAP = 256 * 1024  # per-session container log kept, in characters
_ARGV_CODE_LIMIT = 32 * 1024  # characters; longer code runs from a temporary file


class RequestRecord(NamedTuple):
    """One entry of :attr:`LocalManager.requests`."""

    method: str
    raw_path: str
    verified: bool


@dataclass(frozen=True)
class LocalSession:
    """A snapshot of one session, as :attr:`LocalManager.sessions` shows it."""

    name: str
    uuid: str
    access_key: str
    lang: str
    status: str
    created_at: datetime
    config: Any
    num_queries: int
    restarts: int


class _Problem(Exception):
    """An error answer: status, problem type (after ``probs/``), title, msg, data."""

    def __init__(
        self,
        status: int,
        kind: str,
        title: str,
        msg: str | None = None,
        data: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(msg or title)
        self.status = status
        self.kind = kind
        self.title = title
        self.msg = msg
        self.data = data
        self.headers = dict(headers or {})

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": PROBS + self.kind, "title": self.title}
        if self.msg is not None:
            out["msg"] = self.msg
        if self.data is not None:
            out["data"] = self.data
        return out


def _invalid_params(msg: str | None = None, data: Any = None) -> _Problem:
    return _Problem(400, "invalid-api-params", "Missing or invalid API parameters.", msg, data)


def _no_session(name: str) -> _Problem:
    # The real manager raises SessionNotFound(ObjectNotFound): type object-not-found.
    return _Problem(404, "object-not-found", "No such session.", f"session {name!r} not found")


def _auth_problem(reason: str) -> _Problem:
    """Map a Verdict.reason to the answer the real manager gives for that failure.

    The real manager (api/auth.py) answers 400 ``invalid-auth-params`` for a
    missing/unparsable/skewed date, a malformed Authorization header, an
    unsupported sign method or a missing API version, and 401 ``auth-failed``
    for an unknown access key, a wrong signature or an unsigned request.
    """
    low = reason.lower()
    bad_params = "Missing or invalid authorization parameters."
    if low.startswith("date/time sync error"):
        return _Problem(400, "invalid-auth-params", bad_params, "Date/time sync error" + reason[len("date/time sync error"):])
    if low.startswith(("missing x-backendai-date", "unparsable date")):
        return _Problem(400, "invalid-auth-params", bad_params, f"Date/time sync error: {reason}")
    if low.startswith("missing x-backendai-version"):
        return _Problem(400, "invalid-auth-params", bad_params, "API version missing in request headers")
    if low.startswith(("malformed authorization", "unknown sign method", "unsupported sign method")):
        return _Problem(400, "invalid-auth-params", bad_params, reason)
    mismatch = "Credential/signature mismatch."
    if low.startswith("missing authorization"):
        return _Problem(401, "auth-failed", mismatch, "Unauthorized access")
    if low.startswith("unknown access key"):
        return _Problem(401, "auth-failed", mismatch, "Access key not found")
    return _Problem(401, "auth-failed", mismatch, reason or "Signature mismatch")


def _date_problem(headers: Mapping[str, str]) -> _Problem | None:
    """The real manager checks the date before it looks at the Authorization header."""
    lowered = {k.lower(): v for k, v in headers.items()}
    raw = lowered.get("x-backendai-date") or lowered.get("date")
    if raw is None:
        return _auth_problem("missing X-BackendAI-Date header")
    date = _parse_date(raw)
    if date is None:
        return _auth_problem(f"unparsable date {raw!r}")
    now = _now()
    if abs(now - date) > MAX_CLOCK_SKEW:
        return _auth_problem(f"date/time sync error: request {raw}, server {now.isoformat()}")
    return None


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _fake_ssh_public_key() -> str:
    blob = b"".join(struct.pack(">I", len(part)) + part for part in (b"ssh-ed25519", secrets.token_bytes(32)))
    return "ssh-ed25519 " + base64.b64encode(blob).decode("ascii") + " local"


def _generate_keypair() -> tuple[str, str]:
    """A keypair in the real manager's shapes: AKIA + 16 characters, 40-character secret."""
    alphabet = string.ascii_uppercase + string.digits
    access = "AKIA" + "".join(secrets.choice(alphabet) for _ in range(16))
    return access, secrets.token_urlsafe(30)


def _check_loopback(host: str) -> tuple[str, int]:
    """The address to bind and its family; ValueError for anything but loopback."""
    if not isinstance(host, str) or not host:
        raise ValueError(f"host must be a loopback address such as '127.0.0.1', got {host!r}")
    if host == "localhost":
        return "127.0.0.1", socket.AF_INET
    try:
        addr = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        raise ValueError(
            f"LocalManager binds to a loopback address only ('127.0.0.1', '::1' or 'localhost'); "
            f"{host!r} is not one. It runs posted code, so it must not listen on other interfaces."
        ) from None
    if not addr.is_loopback:
        raise ValueError(
            f"LocalManager binds to a loopback address only; {host!r} is not a loopback address. "
            "It runs posted code, so it must not listen on other interfaces."
        )
    return str(addr), socket.AF_INET6 if addr.version == 6 else socket.AF_INET


class _Session:
    """The manager's own mutable record of a session (guarded by the manager's lock)."""

    def __init__(self, name: str, access_key: str, lang: str, config: Any, params: dict[str, Any]) -> None:
        self.name = name
        self.uuid = str(uuid.uuid4())
        self.access_key = access_key
        self.lang = lang
        self.status = "RUNNING"
        self.created_at = _now()
        self.config = config
        self.params = params
        self.num_queries = 0
        self.restarts = 0
        self.workdir: str | None = None
        self.logs: list[str] = []
        self.log_chars = 0

    def add_log(self, text: str) -> None:
        if not text:
            return
        self.logs.append(text)
        self.log_chars += len(text)
        while self.log_chars > _LOG_CAP and len(self.logs) > 1:
            self.log_chars -= len(self.logs.pop(0))

    def snapshot(self) -> LocalSession:
        return LocalSession(
            name=self.name,
            uuid=self.uuid,
            access_key=self.access_key,
            lang=self.lang,
            status=self.status,
            created_at=self.created_at,
            config=copy.deepcopy(self.config),
            num_queries=self.num_queries,
            restarts=self.restarts,
        )


class _Capture(threading.Thread):
    """Drain one pipe, keeping at most ``cap`` bytes."""

    def __init__(self, fd: int, cap: int) -> None:
        super().__init__(daemon=True, name="LocalManager-capture")
        self.fd = fd
        self.cap = cap
        self.chunks: list[bytes] = []
        self.size = 0
        self.truncated = False

    def run(self) -> None:
        while True:
            try:
                chunk = os.read(self.fd, 65536)
            except OSError:
                return
            if not chunk:
                return
            room = self.cap - self.size
            if room > 0:
                kept = chunk[:room]
                self.chunks.append(kept)
                self.size += len(kept)
            if len(chunk) > max(room, 0):
                self.truncated = True

    def text(self) -> str:
        out = b"".join(self.chunks).decode("utf-8", errors="replace")
        if self.truncated:
            out += f"\n[LocalManager: output truncated after {self.cap} bytes]\n"
        return out


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], family: int, manager: "LocalManager") -> None:
        self.address_family = family
        self.manager = manager
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind resolves the host name (getfqdn), which can
        # block on a slow resolver; a loopback server needs no name.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)

    def process_request(self, request: Any, client_address: Any) -> None:
        """One daemon thread per connection, tracked so that stop() can end and join it."""
        thread = threading.Thread(
            target=self._serve_connection, args=(request, client_address), daemon=True, name="LocalManager-conn"
        )
        self.manager._track(request, thread, add=True)
        thread.start()

    def _serve_connection(self, request: Any, client_address: Any) -> None:
        try:
            self.finish_request(request, client_address)
        except Exception:
            self.handle_error(request, client_address)
        finally:
            self.shutdown_request(request)
            self.manager._track(request, threading.current_thread(), add=False)

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.debug("LocalManager: connection error from %s", client_address, exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    server: _HTTPServer
    protocol_version = "HTTP/1.1"
    def version_string(self) -> str:
        return "LocalManager"

    def setup(self) -> None:
        self.timeout = self.server.manager._socket_timeout  # type: ignore[misc]  # bounds every read and write
        super().setup()

    # every method goes through one dispatcher
    def do_GET(self) -> None:
        self._dispatch()

    do_POST = do_PATCH = do_DELETE = do_PUT = do_HEAD = do_OPTIONS = do_GET

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's name
        log.debug("LocalManager %s: " + format, self.client_address[0], *args)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Protocol-level errors (bad request line, oversized headers) as problem+json too."""
        try:
            title = HTTPStatus(code).phrase + "."
        except ValueError:
            title = "Bad request."
        problem = _Problem(code, "generic-bad-request", title, message or explain)
        self.close_connection = True
        try:
            self._send_json(code, problem.body(), content_type="application/problem+json")
        except OSError:
            pass

    # -- plumbing -------------------------------------------------------------
    def _send_json(
        self,
        status: int,
        payload: Any,
        content_type: str = "application/json",
        headers: Mapping[str, str] | None = None,
    ) -> None:
        data = b"" if payload is None else json.dumps(payload).encode("ascii")
        self.send_response(status)
        if payload is not None:
            self.send_header("Content-Type", f"{content_type}; charset=utf-8")
        if status != 204:
            self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if data and self.command != "HEAD":
            self.wfile.write(data)

    def _read_body(self) -> bytes:
        mgr = self.server.manager
        if self.headers.get("Transfer-Encoding", "").lower() not in ("", "identity"):
            self.close_connection = True
            raise _Problem(411, "generic-bad-request", "Bad request.", "chunked request bodies are not supported; send a Content-Length")
        raw = self.headers.get("Content-Length")
        if raw is None:
            return b""
        try:
            length = int(raw)
            if length < 0:
                raise ValueError
        except ValueError:
            self.close_connection = True
            raise _Problem(400, "generic-bad-request", "Bad request.", f"invalid Content-Length {raw!r}") from None
        if length > mgr._max_body:
            self.close_connection = True
            raise _Problem(
                413, "generic-bad-request", "Request entity too large.",
                f"the body is {length} bytes; this LocalManager accepts at most {mgr._max_body}",
            )
        data = self.rfile.read(length)
        if len(data) != length:
            self.close_connection = True
            raise _Problem(400, "generic-bad-request", "Bad request.", "the request body ended early")
        return data

    def _dispatch(self) -> None:
        mgr = self.server.manager
        method = self.command
        raw_path = self.path
        verified = False
        try:
            try:
                body = self._read_body()
                route = mgr._route(method, raw_path)
                if not route.public:
                    headers: dict[str, str] = {}
                    for key, value in self.headers.items():
                        headers.setdefault(key, value)
                    verdict = verify_request(method, raw_path, headers, body, mgr._secrets)
                    if not verdict.ok:
                        raise _date_problem(headers) or _auth_problem(verdict.reason)
                    verified = True
                    route.access_key = verdict.access_key
            finally:
                mgr._record(RequestRecord(method, raw_path, verified))
            status, payload = route.handler(route, body)
            self._send_json(status, payload)
        except _Problem as problem:
            self._send_json(problem.status, problem.body(), "application/problem+json", problem.headers)
        except Exception:  # a bug here must still answer, and never leak details
            log.exception("LocalManager: internal error on %s %s", method, raw_path.split("?")[0])
            internal = _Problem(500, "internal-server-error", "Internal server error.")
            self._send_json(500, internal.body(), "application/problem+json")


class _Route:
    def __init__(self, handler: Any, public: bool, params: dict[str, Any] | None = None) -> None:
        self.handler = handler
        self.public = public
        self.params = params or {}
        self.query: dict[str, list[str]] = {}
        self.access_key: str | None = None

    def q(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None


class LocalManager:
    """A Backend.AI-compatible manager on a loopback port, in a background thread.

    ``keypairs`` maps access keys to secret keys; with none, one keypair is
    generated (:attr:`access_key`, :attr:`secret_key`). ``port=0`` picks a free
    port. Use ``with LocalManager() as mgr:`` or ``start()``/``stop()``.
    """

    def __init__(
        self,
        keypairs: Mapping[str, str] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        api_version: str = "v4.20190615",
        manager_version: str = "20.09.0",
        *,
        exec_timeout: float = 10.0,
        max_output_bytes: int = 1024 * 1024,
        max_body_bytes: int = 64 * 1024 * 1024,
        socket_timeout: float = 30.0,
        request_log_size: int = 1000,
    ) -> None:
        self._bind_host, self._family = _check_loopback(host)
        if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
            raise ValueError(f"port must be an integer 0-65535 (0 picks a free port), got {port!r}")
        if not isinstance(api_version, str) or not re.match(r"^v\d+\.\d{8}$", api_version):
            raise ValueError(f"api_version must look like 'v4.20190615', got {api_version!r}")
        if not isinstance(manager_version, str) or not manager_version:
            raise ValueError(f"manager_version must be a non-empty string such as '20.09.0', got {manager_version!r}")
        for name, value in (("exec_timeout", exec_timeout), ("socket_timeout", socket_timeout)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
                raise ValueError(f"{name} must be a positive number of seconds, got {value!r}")
        for name, value in (
            ("max_output_bytes", max_output_bytes),
            ("max_body_bytes", max_body_bytes),
            ("request_log_size", request_log_size),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        if keypairs is None:
            access, secret = _generate_keypair()
            keypairs = {access: secret}
        if not isinstance(keypairs, Mapping) or not keypairs:
            raise ValueError("keypairs must be a non-empty mapping of access key -> secret key")
        cleaned: dict[str, str] = {}
        for access, secret in keypairs.items():
            if not isinstance(access, str) or not re.fullmatch(r"[^\s:,]+", access):
                raise ValueError(f"access key {access!r} must be a non-empty string without spaces, ':' or ','")
            if not isinstance(secret, str) or not secret:
                raise ValueError(f"the secret key of {access!r} must be a non-empty string")
            cleaned[access] = secret
        self._secrets: dict[str, str] = cleaned
        self._port = port
        self.api_version = api_version
        self.manager_version = manager_version
        self.exec_timeout = float(exec_timeout)
        self._max_output = max_output_bytes
        self._max_body = max_body_bytes
        self._socket_timeout = float(socket_timeout)

        self._lock = threading.Lock()
        self._state_lock = threading.Lock()
        self._sessions: dict[tuple[str, str], _Session] = {}
        self._requests: collections.deque[RequestRecord] = collections.deque(maxlen=request_log_size)
        self._ssh_keys: dict[str, str] = {}
        self._connections: set[socket.socket] = set()
        self._handler_threads: set[threading.Thread] = set()
        self._procs: set[subprocess.Popen[bytes]] = set()
        self._server: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._stopped = False

    # -- public surface ---------------------------------------------------------
    @property
    def access_key(self) -> str:
        """The first (or the generated) access key."""
        return next(iter(self._secrets))

    @property
    def secret_key(self) -> str:
        """The secret key of :attr:`access_key`. Never shown by repr/str."""
        return self._secrets[self.access_key]

    @property
    def access_keys(self) -> tuple[str, ...]:
        return tuple(self._secrets)

    @property
    def running(self) -> bool:
        return self._server is not None and not self._stopped

    @property
    def host(self) -> str:
        return self._bind_host

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("LocalManager is not started: call start() or use it as a context manager")
        return int(self._server.server_address[1])

    @property
    def endpoint(self) -> str:
        """``http://127.0.0.1:PORT`` (``http://[::1]:PORT`` for IPv6)."""
        host = f"[{self._bind_host}]" if self._family == socket.AF_INET6 else self._bind_host
        return f"http://{host}:{self.port}"

    @property
    def sessions(self) -> Mapping[tuple[str, str], LocalSession]:
        """A read-only snapshot: ``{(access_key, session_name): LocalSession}``."""
        with self._lock:
            return MappingProxyType({key: s.snapshot() for key, s in self._sessions.items()})

    @property
    def requests(self) -> tuple[RequestRecord, ...]:
        """The most recent requests (bounded), oldest first: ``(method, raw_path, verified)``."""
        with self._lock:
            return tuple(self._requests)

    def start(self) -> "LocalManager":
        """Bind and serve in a daemon thread. Calling it again while running does nothing."""
        with self._state_lock:
            if self._stopped:
                raise RuntimeError("this LocalManager was stopped; create a new one to serve again")
            if self._server is not None:
                return self
            server = _HTTPServer((self._bind_host, self._port), self._family, self)
            thread = threading.Thread(
                target=server.serve_forever, kwargs={"poll_interval": 0.05},
                name=f"LocalManager:{server.server_address[1]}", daemon=True,
            )
            self._server, self._thread = server, thread
            thread.start()
        log.debug("LocalManager listening on %s", self.endpoint)
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Stop serving, end running executions, close the socket. Idempotent."""
        with self._state_lock:
            if self._stopped or self._server is None:
                self._stopped = True
                return
            self._stopped = True
            server, thread = self._server, self._thread
        deadline = time.monotonic() + timeout
        server.shutdown()
        with self._lock:
            procs = list(self._procs)
            conns = list(self._connections)
            threads = list(self._handler_threads)
        for proc in procs:
            _kill(proc)
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        server.server_close()
        if thread is not None:
            thread.join(max(0.0, deadline - time.monotonic()))
        for t in threads:
            if t is not threading.current_thread():
                t.join(max(0.0, deadline - time.monotonic()))
        with self._lock:
            workdirs = [s.workdir for s in self._sessions.values() if s.workdir]
            for s in self._sessions.values():
                s.workdir = None
        for path in workdirs:
            shutil.rmtree(path, ignore_errors=True)

    close = stop

    def __enter__(self) -> "LocalManager":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def __repr__(self) -> str:
        where = self.endpoint if self.running else ("stopped" if self._stopped else "not started")
        return f"LocalManager({where}, access_keys={list(self._secrets)!r}, secret_key=<hidden>)"

    __str__ = __repr__

    def __getstate__(self) -> dict[str, Any]:
        raise TypeError("LocalManager holds secret keys and a live server; it is not picklable")

    # -- bookkeeping used by the handler -----------------------------------------
    def _track(self, conn: socket.socket, thread: threading.Thread, *, add: bool) -> None:
        with self._lock:
            if add:
                self._connections.add(conn)
                self._handler_threads.add(thread)
            else:
                self._connections.discard(conn)
                self._handler_threads.discard(thread)

    def _record(self, record: RequestRecord) -> None:
        with self._lock:
            self._requests.append(record)

    # -- routing -----------------------------------------------------------------
    def _route(self, method: str, raw_path: str) -> _Route:
        path, _, query = raw_path.partition("?")
        if not path.startswith("/"):
            raise _Problem(404, "url-not-found", "Unknown URL path.", data=path)
        segs = [unquote(s, errors="replace") for s in path.split("/")[1:]]
        if segs and segs[-1] == "" and len(segs) > 1:
            segs = segs[:-1]  # tolerate one trailing slash
        route = self._match(method, segs, path)
        route.query = parse_qs(query, keep_blank_values=True)
        return route

    def _match(self, method: str, segs: list[str], path: str) -> _Route:
        def only(allowed: dict[str, Any], public: bool, **params: Any) -> _Route:
            if method == "HEAD" and "GET" in allowed:
                return _Route(allowed["GET"], public, params)
            if method not in allowed:
                names = ", ".join(sorted(allowed))
                raise _Problem(
                    405, "method-not-allowed", "HTTP Method Not Allowed.",
                    f"{method} is not allowed on {path}; allowed: {names}", headers={"Allow": names},
                )
            return _Route(allowed[method], public, params)

        if segs == [""]:
            return only({"GET": self._h_root}, True)
        if segs in (["config", "resource-slots"], ["etcd", "resource-slots"]):
            return only({"GET": self._h_resource_slots}, True)
        if segs == ["auth", "ssh-keypair"]:
            return only({"GET": self._h_ssh_keypair}, False)
        if segs and segs[0] in ("kernel", "session"):
            rest = segs[1:]
            if rest in ([], [""]):
                return only({"POST": self._h_create}, False)
            if len(rest) == 1 and rest[0] == "create" and method == "POST":
                return only({"POST": self._h_create}, False)
            if len(rest) == 1 and rest[0]:
                return only(
                    {"GET": self._h_info, "POST": self._h_execute, "PATCH": self._h_restart, "DELETE": self._h_destroy},
                    False, name=rest[0],
                )
            if len(rest) == 2 and rest[0] and rest[1] == "logs":
                return only({"GET": self._h_logs}, False, name=rest[0])
        raise _Problem(404, "url-not-found", "Unknown URL path.", data=path)

    # -- helpers for handlers ------------------------------------------------------
    @staticmethod
    def _json_body(body: bytes) -> Any:
        if not body.strip():
            raise _invalid_params("Malformed body: the request needs a JSON object")
        try:
            return json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise _invalid_params(f"Malformed body: {exc}") from None

    def _owner(self, route: _Route, explicit: Any = None) -> str:
        owner = explicit if isinstance(explicit, str) and explicit else route.q("owner_access_key")
        return owner or route.access_key or ""

    def _get(self, route: _Route, explicit_owner: Any = None) -> _Session:
        name = route.params["name"]
        sess = self._sessions.get((self._owner(route, explicit_owner), name))
        if sess is None:
            raise _no_session(name)
        return sess

    # -- handlers: each returns (status, payload) -----------------------------------
    def _h_root(self, route: _Route, body: bytes) -> tuple[int, Any]:
        return 200, {"version": self.api_version, "manager": self.manager_version}

    def _h_resource_slots(self, route: _Route, body: bytes) -> tuple[int, Any]:
        return 200, {"cpu": "count", "mem": "bytes"}

    def _h_ssh_keypair(self, route: _Route, body: bytes) -> tuple[int, Any]:
        with self._lock:
            key = self._ssh_keys.setdefault(route.access_key or "", _fake_ssh_public_key())
        return 200, {"ssh_public_key": key}

    def _h_create(self, route: _Route, body: bytes) -> tuple[int, Any]:
        params = self._json_body(body)
        if not isinstance(params, dict):
            raise _invalid_params("Malformed body: the request needs a JSON object")
        lang = params.get("lang", params.get("image"))
        name = params.get("clientSessionToken", params.get("name"))
        errors: dict[str, str] = {}
        if not isinstance(lang, str) or not lang:
            errors["lang"] = "is required and must be a non-empty string (the image, e.g. 'python:3.9-ubuntu20.04')"
        if not isinstance(name, str):
            errors["clientSessionToken"] = "is required and must be a string (the session name)"
        elif not SESSION_NAME.match(name):
            errors["clientSessionToken"] = (
                f"{name!r} is not a valid session name: use 4-64 characters of A-Z a-z 0-9 _ . -, "
                "starting and ending with a letter, a digit or _"
            )
        config = params.get("config")
        if config is not None and not isinstance(config, dict):
            errors["config"] = "must be an object"
        elif isinstance(config, dict) and config.get("resources") is not None and not isinstance(config["resources"], dict):
            errors["config.resources"] = "must be an object"
        if errors:
            detail = "; ".join(f"{k} {v}" for k, v in errors.items())
            raise _invalid_params(f"Input validation error: {detail}", errors)
        assert isinstance(name, str) and isinstance(lang, str)
        owner = self._owner(route, params.get("owner_access_key"))
        enqueue_only = _truthy(params.get("enqueueOnly", params.get("enqueue_only", False)))
        reuse = _truthy(params.get("reuse", True))
        with self._lock:
            existing = self._sessions.get((owner, name))
            if existing is not None:
                if existing.lang != lang or not reuse:
                    raise _Problem(
                        400, "session-already-exists",
                        "The session already exists but you requested not to reuse existing one.",
                        data={"existingSessionId": existing.uuid},
                    )
                return 200, self._create_answer(existing, existing.status, created=False)
            sess = _Session(name, owner, lang, copy.deepcopy(config) if config is not None else {}, params)
            sess.add_log(f"[LocalManager] session {name} created ({lang}) at {sess.created_at.isoformat()}\n")
            self._sessions[(owner, name)] = sess
            return 201, self._create_answer(sess, "PENDING" if enqueue_only else "RUNNING", created=True)

    @staticmethod
    def _create_answer(sess: _Session, status: str, *, created: bool) -> dict[str, Any]:
        return {
            "sessionId": sess.name,
            "sessionUuid": sess.uuid,
            "sessionName": sess.name,
            "kernelId": sess.name,
            "status": status,
            "servicePorts": [],
            "created": created,
        }

    def _h_info(self, route: _Route, body: bytes) -> tuple[int, Any]:
        with self._lock:
            sess = self._get(route)
            sess.num_queries += 1
            config = copy.deepcopy(sess.config)
            resources = config.get("resources") if isinstance(config, dict) else None
            age_ms = int((_now() - sess.created_at).total_seconds() * 1000)
            return 200, {
                "sessionId": sess.uuid,
                "sessionName": sess.name,
                "domainName": "default",
                "ownerAccessKey": sess.access_key,
                "lang": sess.lang,
                "image": sess.lang,
                "registry": "local",
                "tag": None,
                "status": sess.status,
                "statusInfo": "restarted" if sess.restarts else None,
                "age": age_ms,
                "creationTime": sess.created_at.isoformat(),
                "created_at": sess.created_at.isoformat(),
                "terminationTime": None,
                "resources": resources if resources is not None else {},
                "config": config,
                "numQueriesExecuted": sess.num_queries,
                "restarts": sess.restarts,
            }

    def _h_restart(self, route: _Route, body: bytes) -> tuple[int, Any]:
        with self._lock:
            sess = self._get(route)
            sess.num_queries += 1
            sess.restarts += 1
            sess.status = "RUNNING"
            sess.add_log(f"[LocalManager] session {sess.name} restarted at {_now().isoformat()}\n")
        return 204, None

    def _h_destroy(self, route: _Route, body: bytes) -> tuple[int, Any]:
        with self._lock:
            sess = self._get(route)
            self._sessions.pop((sess.access_key, sess.name), None)
            workdir, sess.workdir = sess.workdir, None
        if workdir:
            shutil.rmtree(workdir, ignore_errors=True)
        return 200, {"stats": {}}

    def _h_logs(self, route: _Route, body: bytes) -> tuple[int, Any]:
        with self._lock:
            sess = self._get(route)
            return 200, {"result": {"logs": "".join(sess.logs)}}

    def _h_execute(self, route: _Route, body: bytes) -> tuple[int, Any]:
        params = self._json_body(body)
        if not isinstance(params, dict):
            raise _invalid_params("Malformed body: the request needs a JSON object")
        with self._lock:
            sess = self._get(route)
            sess.num_queries += 1
            lang = sess.lang
        # The real manager's checks (api/session.py execute), for API v2 and later.
        if "runId" not in params:
            raise _invalid_params("runId is missing!")
        mode = params.get("mode")
        if not mode:
            raise _invalid_params("mode is missing or empty!")
        if mode not in EXEC_MODES:
            raise _invalid_params("mode has an invalid value.")
        run_id = params.get("runId")
        if mode in ("continue", "input") and run_id is None:
            raise _invalid_params("continuation requires explicit run ID")
        if run_id is None:
            run_id = secrets.token_hex(8)
        if mode == "complete":
            return 200, {"result": {"status": "finished", "completions": []}}
        code = params.get("code")
        if code is None:
            code = ""
        if not isinstance(code, str):
            raise _invalid_params("code must be a string")
        result: dict[str, Any] = {
            "runId": run_id, "status": "finished", "exitCode": 0, "console": [], "options": None, "files": [],
        }
        if mode != "query":
            return 200, {"result": result}
        if not lang.lower().startswith("python"):
            message = f"LocalManager executes code only in python images; {lang!r} cannot run code here\n"
            result["exitCode"] = 127
            result["console"] = [["stderr", message]]
            return 200, {"result": result}
        workdir = self._workdir(sess)
        rc, out, err = self._run_python(code, workdir)
        result["exitCode"] = rc
        result["console"] = [[stream, text] for stream, text in (("stdout", out), ("stderr", err)) if text]
        with self._lock:
            sess.add_log(out + err)
        return 200, {"result": result}

    # -- code execution -----------------------------------------------------------------
    def _workdir(self, sess: _Session) -> str:
        with self._lock:
            if self._sessions.get((sess.access_key, sess.name)) is not sess:
                raise _no_session(sess.name)  # destroyed meanwhile
            if sess.workdir is None or not os.path.isdir(sess.workdir):
                sess.workdir = tempfile.mkdtemp(prefix="backendai-local-")
            return sess.workdir

    def _run_python(self, code: str, workdir: str) -> tuple[int, str, str]:
        env = {k: os.environ[k] for k in ("PATH", "SYSTEMROOT", "TEMP", "TMP", "LANG", "LC_ALL") if k in os.environ}
        env["HOME"] = workdir
        kwargs: dict[str, Any] = {}
        if os.name == "posix":
            kwargs["start_new_session"] = True
        argv = [sys.executable, "-I", "-X", "utf8", "-c", code]
        script_dir = None
        try:
            if len(code) > _ARGV_CODE_LIMIT:
                # too long for one argv entry (Linux allows 128 KiB): run it from a file instead
                script_dir = tempfile.mkdtemp(prefix="backendai-local-code-")
                script = os.path.join(script_dir, "code.py")
                with open(script, "w", encoding="utf-8") as fh:
                    fh.write(code)
                argv = [sys.executable, "-I", "-X", "utf8", script]
            proc = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                cwd=workdir, env=env, **kwargs,
            )
        except (OSError, ValueError) as exc:  # e.g. a NUL byte or a lone surrogate in the code
            if script_dir:
                shutil.rmtree(script_dir, ignore_errors=True)
            return 1, "", f"LocalManager could not start Python for this code: {type(exc).__name__}: {exc}\n"
        try:
            return self._wait(proc)
        finally:
            if script_dir:
                shutil.rmtree(script_dir, ignore_errors=True)

    def _wait(self, proc: subprocess.Popen[bytes]) -> tuple[int, str, str]:
        with self._lock:
            self._procs.add(proc)
        assert proc.stdout is not None and proc.stderr is not None
        out = _Capture(proc.stdout.fileno(), self._max_output)
        err = _Capture(proc.stderr.fileno(), self._max_output)
        out.start()
        err.start()
        timed_out = False
        try:
            rc = proc.wait(self.exec_timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            _kill(proc)
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                pass
            rc = -1
        finally:
            with self._lock:
                self._procs.discard(proc)
            _kill(proc)  # also ends background children the code left behind
        for capture, pipe in ((out, proc.stdout), (err, proc.stderr)):
            capture.join(2.0)
            if not capture.is_alive():
                pipe.close()
        stderr_text = err.text()
        if timed_out:
            stderr_text += f"LocalManager: execution timed out after {self.exec_timeout:g} s and was stopped\n"
        return rc, out.text(), stderr_text


def _kill(proc: subprocess.Popen[bytes]) -> None:
    """Kill the process and, on POSIX, its whole process group."""
    try:
        if os.name == "posix":
            os.killpg(proc.pid, signal.SIGKILL)
        else:
            proc.kill()
    except (ProcessLookupError, PermissionError, OSError):
        pass


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)

