"""Uploads stream from disk: ``FormData`` bodies sent by ``_multipart.MultipartBody``.

A small loopback server (127.0.0.1, every wait bounded) receives the uploads:
it verifies each signature with the manager's algorithm
(:func:`backend_ai_client.testing.verify_request`: content type
``multipart/form-data``, empty body hash), refuses chunked bodies, reads
exactly ``Content-Length`` bytes and the tests parse them with a strict
RFC 7578 parser written here, cross-checked with the stdlib ``email`` parser.
"""

from __future__ import annotations

import email.parser
import email.policy
import hashlib
import io
import os
import queue
import re
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

import backend_ai_client as ai
from backend_ai_client import FormData
from backend_ai_client._multipart import MultipartBody, UploadSourceError, make_part
from backend_ai_client.testing import Verdict, verify_request

ACCESS_KEY = "AKIATESTUPLOAD000000"
SECRET_KEY = "upload-secret/key+chars="
LOOPBACK = "127.0.0.1"
HANDLER_TIMEOUT = 10.0
MiB = 1024 * 1024


# -- the loopback server ------------------------------------------------------
@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    verdict: Verdict
    complete: bool

    def header(self, name: str) -> str | None:
        for k, v in self.headers.items():
            if k.lower() == name.lower():
                return v
        return None


@dataclass
class UploadServer:
    statuses: "queue.Queue[int]" = field(default_factory=queue.Queue)
    received: list[Received] = field(default_factory=list)
    #: Called with the request headers before the body is read (streaming checks).
    before_body: Callable[[dict[str, str]], None] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    httpd: Any = None

    @property
    def endpoint(self) -> str:
        return f"http://{LOOPBACK}:{self.httpd.server_address[1]}"

    def take(self) -> list[Received]:
        with self.lock:
            out, self.received[:] = list(self.received), []
        return out


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = HANDLER_TIMEOUT
    server: Any

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass

    def do_POST(self) -> None:
        owner: UploadServer = self.server.owner
        headers = dict(self.headers.items())
        if self.headers.get("Transfer-Encoding"):
            self.send_error(411, "chunked bodies are refused")  # a manager-style server wants a length
            self.close_connection = True
            return
        if owner.before_body is not None:
            owner.before_body(headers)
        length = int(self.headers["Content-Length"])
        chunks, got = [], 0
        try:
            while got < length:
                data = self.rfile.read1(min(MiB, length - got))
                if not data:
                    break
                chunks.append(data)
                got += len(data)
        except OSError:
            pass
        body = b"".join(chunks)
        verdict = verify_request(self.command, self.path, headers, body, {ACCESS_KEY: SECRET_KEY})
        with owner.lock:
            owner.received.append(Received(self.command, self.path, headers, body, verdict, got == length))
        if got < length:
            self.close_connection = True
            return
        try:
            status = owner.statuses.get_nowait()
        except queue.Empty:
            status = 200
        payload = b'{"ok": true}' if status == 200 else b'{"type": "https://api.backend.ai/probs/x", "title": "busy"}'
        # One write: a separate small write of the payload would wait for the client's delayed ACK (Nagle).
        self.wfile.write(f"HTTP/1.1 {status} {self.responses[status][0]}\r\nContent-Type: application/json\r\n"
                         f"Content-Length: {len(payload)}\r\n\r\n".encode() + payload)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    owner: UploadServer

    def server_bind(self) -> None:
        # A small receive buffer, inherited by accepted sockets: a client that
        # reads its file ahead of the socket would show up in the streaming test.
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
        super().server_bind()

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass


@pytest.fixture(scope="module")
def upload_server() -> Iterator[UploadServer]:
    owner = UploadServer()
    httpd = _Server((LOOPBACK, 0), _Handler)
    httpd.owner = owner
    owner.httpd = httpd
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield owner
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=5)


@pytest.fixture()
def server(upload_server: UploadServer) -> Iterator[UploadServer]:
    upload_server.take()
    upload_server.before_body = None
    while not upload_server.statuses.empty():
        upload_server.statuses.get_nowait()
    yield upload_server
    upload_server.before_body = None


@pytest.fixture()
def client(server: UploadServer) -> Iterator[ai.Client]:
    c = ai.Client(ai.ClientConfig(ACCESS_KEY, SECRET_KEY, server.endpoint))
    c.requestTimeout = 20000
    yield c
    c.close()


def post(client: ai.Client, fd: FormData, retry: int = 0) -> Any:
    return client._call("upload_test", "POST", "/upload-test", None, fd, retry=retry)


# -- a strict multipart/form-data parser ---------------------------------------
@dataclass
class Parsed:
    name: str
    filename: str | None
    content_type: str | None
    data: bytes


_DISPOSITION = re.compile(r'form-data; name="([^"\r\n]*)"(?:; filename="([^"\r\n]*)")?')


def parse_multipart(content_type: str, body: bytes) -> list[Parsed]:
    """RFC 7578 as aiohttp reads it, strictly: CRLF everywhere, one closing delimiter, nothing after it."""
    m = re.fullmatch(r"multipart/form-data; boundary=([0-9A-Za-z'()+_,./:=?-]{1,70})", content_type)
    assert m, content_type
    delim = b"--" + m.group(1).encode()
    if body == delim + b"--\r\n":
        return []  # no parts (undici sends the same for an empty FormData)
    assert body.startswith(delim + b"\r\n"), body[:100]
    assert body.endswith(b"\r\n" + delim + b"--\r\n"), body[-100:]
    pieces = (b"\r\n" + body).split(b"\r\n" + delim)
    assert pieces[0] == b"" and pieces[-1] == b"--\r\n"
    parts = []
    for piece in pieces[1:-1]:
        assert piece.startswith(b"\r\n")
        head, sep, data = piece[2:].partition(b"\r\n\r\n")
        assert sep, piece[:200]
        lines = head.decode("utf-8").split("\r\n")
        fields = {}
        for line in lines:
            key, colon, value = line.partition(": ")
            assert colon and key.lower() not in fields, line
            fields[key.lower()] = value
        assert set(fields) <= {"content-disposition", "content-type"}, fields
        d = _DISPOSITION.fullmatch(fields["content-disposition"])
        assert d, fields["content-disposition"]
        parts.append(Parsed(d.group(1), d.group(2), fields.get("content-type"), data))
    return parts


def parse_with_email(content_type: str, body: bytes) -> list[tuple[str, str | None, bytes]]:
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode() + body
    )
    assert message.is_multipart() and not message.defects, message.defects
    out = []
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        out.append((name, part.get_filename(), part.get_payload(decode=True)))
    return out


def received_parts(rec: Received) -> list[Parsed]:
    assert rec.verdict.ok, rec.verdict.reason
    assert rec.complete
    assert rec.header("Transfer-Encoding") is None
    assert int(rec.header("Content-Length")) == len(rec.body)
    return parse_multipart(rec.header("Content-Type"), rec.body)


# -- file objects that tell on the encoder -------------------------------------
class RecordingFile(io.RawIOBase):
    """A seekable binary file of ``size`` pattern bytes that records every read."""

    def __init__(self, size: int, on_read: Callable[["RecordingFile", int], None] | None = None) -> None:
        self.size = size
        self.pos = 0
        self.reads: list[int] = []
        self.total = 0
        self.on_read = on_read

    @staticmethod
    def content(start: int, n: int) -> bytes:
        block = bytes(range(256)) * 4
        first = start % len(block)
        reps = (first + n) // len(block) + 1
        return (block * reps)[first:first + n]

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.pos

    def seek(self, offset: int, whence: int = 0) -> int:
        self.pos = {0: 0, 1: self.pos, 2: self.size}[whence] + offset
        return self.pos

    def read(self, n: int = -1) -> bytes:
        if self.on_read:
            self.on_read(self, n)
        n = self.size - self.pos if n is None or n < 0 else min(n, self.size - self.pos)
        data = self.content(self.pos, n)
        self.pos += n
        self.reads.append(n)
        self.total += n
        return data


def open_files_under(directory: Path) -> list[str]:
    out = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith(str(directory)):
            out.append(target)
    return out


# -- tests -------------------------------------------------------------------
def test_bytes_and_str_values(server: UploadServer, client: ai.Client) -> None:
    fd = FormData()
    fd.append("a", b"binary \x00\xff\r\n--not-a-boundary", "a.bin")
    fd.append("b", "text ünïcode\nline2", "b.txt")
    fd.append("c", "plain\nfield\r")  # no filename: a text field, newlines sent as CRLF (as JS)
    fd.append("d", bytearray(b"blob bytes"))  # no filename: a Blob, filename "blob"
    fd.append("e", memoryview(b"view"), "e.bin")
    assert post(client, fd) == {"ok": True}
    [rec] = server.take()
    assert rec.method == "POST" and rec.path == "/upload-test"
    assert rec.header("Content-Type").startswith("multipart/form-data; boundary=")
    parts = received_parts(rec)
    assert [(p.name, p.filename, p.content_type, p.data) for p in parts] == [
        ("a", "a.bin", "application/octet-stream", b"binary \x00\xff\r\n--not-a-boundary"),
        ("b", "b.txt", "application/octet-stream", "text ünïcode\nline2".encode()),
        ("c", None, None, b"plain\r\nfield\r\n"),
        ("d", "blob", "application/octet-stream", b"blob bytes"),
        ("e", "e.bin", "application/octet-stream", b"view"),
    ]
    assert parse_with_email(rec.header("Content-Type"), rec.body) == [
        (p.name, p.filename, p.data) for p in parts
    ]


def test_file_object_path_and_offset(server: UploadServer, client: ai.Client, tmp_path: Path) -> None:
    big = os.urandom(3 * MiB + 123)
    (tmp_path / "big.bin").write_bytes(big)
    (tmp_path / "small.txt").write_bytes(b"0123456789")
    with open(tmp_path / "big.bin", "rb") as whole, open(tmp_path / "small.txt", "rb") as tail:
        tail.seek(4)  # read from the current position, as JS slices a Blob
        fd = FormData()
        fd.append("whole", whole)  # filename: the file's base name
        fd.append("path", tmp_path / "big.bin", "renamed.bin")
        fd.append("tail", tail, "tail.txt")
        fd.append("pathdefault", tmp_path / "small.txt")
        post(client, fd)
    assert open_files_under(tmp_path) == []  # the transport closed what it opened
    [rec] = server.take()
    parts = received_parts(rec)
    assert [(p.name, p.filename, p.data) for p in parts] == [
        ("whole", "big.bin", big),
        ("path", "renamed.bin", big),
        ("tail", "tail.txt", b"456789"),
        ("pathdefault", "small.txt", b"0123456789"),
    ]


def test_filenames_are_escaped_as_browsers_do(server: UploadServer, client: ai.Client) -> None:
    fd = FormData()
    fd.append('na"me\nx', b"1", 'q"uote.txt')
    fd.append("crlf", b"2", "line\r\nbreak\r.txt")
    fd.append("ünï", b"3", "naïve 文件 \U0001f600.txt")
    fd.append("slash", b"4", "dir/sub\\back;semi=.txt")
    post(client, fd)
    [rec] = server.take()
    head = rec.body.split(b"\r\n\r\n", 1)[0]
    assert b'name="na%22me%0D%0Ax"; filename="q%22uote.txt"' in head  # names get CRLF first, as JS
    parts = received_parts(rec)
    assert [(p.name, p.filename) for p in parts] == [
        ("na%22me%0D%0Ax", "q%22uote.txt"),
        ("crlf", "line%0D%0Abreak%0D.txt"),
        ("ünï", "naïve 文件 \U0001f600.txt"),
        ("slash", "dir/sub\\back;semi=.txt"),
    ]
    assert "naïve 文件 \U0001f600.txt".encode() in rec.body  # UTF-8 in the header, as browsers send it


def test_empty_values(server: UploadServer, client: ai.Client, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.touch()
    with open(empty, "rb") as f:
        fd = FormData()
        fd.append("p", empty, "e1")
        fd.append("f", f, "e2")
        fd.append("b", b"", "e3")
        post(client, fd)
    [rec] = server.take()
    assert [(p.name, p.filename, p.data) for p in received_parts(rec)] == [
        ("p", "e1", b""), ("f", "e2", b""), ("b", "e3", b"")
    ]
    post(client, FormData())  # no entries: just the closing delimiter
    [rec] = server.take()
    assert received_parts(rec) == []


def test_retry_resends_the_whole_body(server: UploadServer, client: ai.Client, tmp_path: Path) -> None:
    data = os.urandom(2 * MiB + 7)
    (tmp_path / "r.bin").write_bytes(data)
    server.statuses.put(503)
    with open(tmp_path / "r.bin", "rb") as f:
        f.seek(100)
        fd = FormData()
        fd.append("path", tmp_path / "r.bin", "r.bin")
        fd.append("file", f, "r-tail.bin")
        fd.append("text", "hello", "t.txt")
        started = time.monotonic()
        assert post(client, fd, retry=1) == {"ok": True}
        assert time.monotonic() - started < 15
    first, second = server.take()
    expected = [("path", data), ("file", data[100:]), ("text", b"hello")]
    assert [(p.name, p.data) for p in received_parts(first)] == expected
    assert [(p.name, p.data) for p in received_parts(second)] == expected


def test_missing_path_fails_before_sending(server: UploadServer, client: ai.Client, tmp_path: Path) -> None:
    missing = tmp_path / "nope" / "missing.bin"
    with pytest.raises(FileNotFoundError) as info:
        client.upload("sess-1", "missing.bin", missing)
    assert info.value.filename == str(missing) and str(missing) in str(info.value)
    with pytest.raises(IsADirectoryError):
        client.upload("sess-1", "dir", tmp_path)
    assert server.take() == []


def test_unsized_or_text_sources_are_refused(server: UploadServer, client: ai.Client, tmp_path: Path) -> None:
    r, w = os.pipe()
    with os.fdopen(r, "rb") as pipe, os.fdopen(w, "wb"):
        with pytest.raises(ValueError, match="size .* cannot be determined"):
            client.upload("sess-1", "p", pipe)
    (tmp_path / "t.txt").write_text("x")
    with open(tmp_path / "t.txt") as text:
        with pytest.raises(TypeError, match="binary mode"):
            client.upload("sess-1", "t", text)
    with pytest.raises(TypeError, match="filename"):
        client.upload("sess-1", "n", 42)
    assert server.take() == []


def test_client_and_vfolder_upload_send_src_part(server: UploadServer, client: ai.Client, tmp_path: Path) -> None:
    src = tmp_path / "model.bin"
    src.write_bytes(b"weights" * 1000)
    assert client.upload("sess/1", "data/model.bin", src) == {"ok": True}
    [rec] = server.take()
    assert rec.method == "POST" and rec.path == "/kernel/sess%2F1/upload"
    [part] = received_parts(rec)
    assert (part.name, part.filename, part.data) == ("src", "data/model.bin", b"weights" * 1000)
    # vfolder.upload(path, fs, name): the same body, to the folder's upload endpoint.
    with open(src, "rb") as f:
        assert client.vfolder.upload("dir/w.bin", f, "my folder") == {"ok": True}
    [rec] = server.take()
    assert rec.method == "POST" and rec.path == "/folders/my%20folder/upload"
    [part] = received_parts(rec)
    assert (part.name, part.filename, part.data) == ("src", "dir/w.bin", b"weights" * 1000)


def test_encoder_reads_at_most_one_chunk_ahead() -> None:
    chunk = 64 * 1024
    f = RecordingFile(10 * chunk + 17)
    f.seek(5)
    part = make_part("f", f, "f.bin")
    body = MultipartBody([part, make_part("g", b"x" * (3 * chunk), "g.bin")], chunk_size=chunk)
    assert f.reads == []  # sizing reads nothing
    out = bytearray()
    for piece in body:
        assert len(piece) <= chunk
        out += piece
        # The file has been read no further than what was yielded plus one chunk.
        assert f.total <= len(out) + chunk
    assert len(out) == len(body)
    assert max(f.reads) <= chunk and sum(f.reads) == f.size - 5
    parts = parse_multipart(body.content_type, bytes(out))
    assert parts[0].data == RecordingFile.content(5, f.size - 5) and parts[1].data == b"x" * (3 * chunk)
    again = b"".join(bytes(p) for p in body)  # re-iterable: seeks back to the start position
    assert again == bytes(out)


def test_transport_streams_instead_of_buffering(server: UploadServer, client: ai.Client) -> None:
    size = 32 * MiB
    seen: dict[str, Any] = {}
    f = RecordingFile(size)

    def before_body(headers: dict[str, str]) -> None:
        time.sleep(0.5)  # the client blocks on a full socket meanwhile
        seen["read_before_body"] = f.total
        seen["reads_before_body"] = len(f.reads)

    server.before_body = before_body
    fd = FormData()
    fd.append("src", f, "big.bin")
    post(client, fd)
    [rec] = server.take()
    assert rec.complete and rec.verdict.ok and len(rec.body) == int(rec.header("Content-Length"))
    assert rec.header("Transfer-Encoding") is None
    # Only what fits in the socket buffers plus a chunk was read while the server waited.
    assert 0 < seen["read_before_body"] <= 12 * MiB, seen
    assert max(f.reads) <= MiB
    [part] = received_parts(rec)
    assert hashlib.sha256(part.data).digest() == hashlib.sha256(RecordingFile.content(0, size)).digest()


def test_file_that_shrinks_fails_the_request(server: UploadServer, client: ai.Client, tmp_path: Path) -> None:
    path = tmp_path / "shrinks.bin"
    path.write_bytes(b"a" * (3 * MiB))
    fd = FormData()
    fd.append("src", path, "shrinks.bin")
    body = fd._stream()
    with open(path, "r+b") as f:
        f.truncate(MiB)
    with pytest.raises(UploadSourceError, match="ended .* early"):
        b"".join(bytes(p) for p in body)

    class Shrinking(RecordingFile):
        def read(self, n: int = -1) -> bytes:
            return b"" if self.total >= MiB else super().read(n)

    fd = FormData()
    fd.append("src", Shrinking(3 * MiB), "s.bin")
    with pytest.raises(ai.BackendAIError) as info:
        post(client, fd)
    assert info.value.type == ai.Client.ERR_REQUEST
    assert "UploadSourceError" in info.value.message and "early" in info.value.message
    deadline = time.monotonic() + 5
    while not server.received and time.monotonic() < deadline:
        time.sleep(0.02)
    [rec] = server.take()
    assert not rec.complete  # the server saw the connection end before the announced length


# -- timeouts while the body is sent (README "Differences": Upload timeouts) --------------
class _RawServer:
    """Accepts on 127.0.0.1 and hands each connection to ``serve`` in a thread (bounded by the test)."""

    def __init__(self, serve: Callable[[socket.socket], None]) -> None:
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16 * 1024)  # inherited by accepted sockets
        self.sock.bind((LOOPBACK, 0))
        self.sock.listen(4)
        self.sock.settimeout(HANDLER_TIMEOUT)
        self.serve = serve
        self.conns: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def endpoint(self) -> str:
        return f"http://{LOOPBACK}:{self.sock.getsockname()[1]}"

    def _accept(self) -> None:
        with self.sock:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(conn)
            conn.settimeout(HANDLER_TIMEOUT)
            self.serve(conn)

    def close(self) -> None:
        for conn in self.conns:
            conn.close()
        self.sock.close()


def _upload_client(endpoint: str, timeout_ms: int) -> ai.Client:
    client = ai.Client(ai.ClientConfig(ACCESS_KEY, SECRET_KEY, endpoint))
    client.requestTimeout = timeout_ms
    return client


def test_stalled_upload_fails_with_err_timeout() -> None:
    """The peer stops reading: the call ends after about the timeout, as ERR_TIMEOUT (JS's abort timer)."""
    stop = threading.Event()
    server = _RawServer(lambda conn: stop.wait(HANDLER_TIMEOUT))  # accepts, never reads
    try:
        client = _upload_client(server.endpoint, 800)
        started = time.monotonic()
        with pytest.raises(ai.RequestTimeoutError) as info:
            client.upload("sess", "big.bin", b"x" * (32 * MiB))
        elapsed = time.monotonic() - started
    finally:
        stop.set()
        server.close()
    assert info.value.type == ai.Client.ERR_TIMEOUT and info.value.statusCode == 408
    assert 0.7 < elapsed < 5, elapsed


def test_slow_upload_that_keeps_moving_outlives_the_timeout() -> None:
    """The timeout bounds each wait for progress, not the whole body: 24 MiB read at about
    10 MiB/s takes over twice the 1 s timeout and still succeeds (JS would abort it at 1 s)."""
    got: dict[str, Any] = {}

    def serve(conn: socket.socket) -> None:
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = conn.recv(4096)
            if not chunk:
                return
            head += chunk
        head, _, body = head.partition(b"\r\n\r\n")
        length = int(re.search(rb"(?im)^content-length:\s*(\d+)", head).group(1))
        received = len(body)
        started = time.monotonic()
        while received < length:
            time.sleep(0.1)
            quota = MiB  # 1 MiB per 100 ms
            while quota > 0 and received < length:
                chunk = conn.recv(min(quota, length - received))
                if not chunk:
                    return
                received += len(chunk)
                quota -= len(chunk)
        got["seconds"], got["bytes"] = time.monotonic() - started, received
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}")

    server = _RawServer(serve)
    try:
        result = _upload_client(server.endpoint, 1000).upload("sess", "big.bin", b"y" * (24 * MiB))
    finally:
        server.close()
    assert result == {}
    assert got["bytes"] > 24 * MiB and got["seconds"] > 2.0, got
