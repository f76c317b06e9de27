"""Streaming ``multipart/form-data`` bodies for ``FormData`` uploads.

``FormData.append`` turns each value into a part (:func:`make_part`); the
transport asks for a :class:`MultipartBody` once per attempt. The body knows
its exact length before the first byte is sent (so requests sends it with
``Content-Length``, never chunked) and yields itself in chunks of at most
``chunk_size`` bytes, reading each file chunk only when the socket asks for
it: an upload never holds more than one chunk of a file in memory.

Values, as the port's ``FormData`` accepts them:

* ``bytes`` / ``bytearray`` / ``memoryview`` -- sent as they are when the
  request is sent. Without a filename they are a JS ``Blob``: filename "blob".
* ``str`` -- with a filename, the file's content (UTF-8); without one, a plain
  text field as JS ``FormData.append(name, string)`` (newlines sent as CRLF).
* a binary file object (opened ``'rb'``) -- read from the position it had at
  ``append`` time up to its end; every attempt seeks back to that position.
  Its size must be knowable (seekable, or a regular file): pipes and sockets
  are refused at ``append`` time, since a manager needs a known length.
* an ``os.PathLike`` (``pathlib.Path``) -- checked at ``append`` time
  (``FileNotFoundError`` for a missing path), measured with ``os.stat`` when
  the request starts, opened per attempt and closed after it.

A file that shrinks while it is being sent fails the attempt with
:class:`UploadSourceError` (an ``OSError``, so the client reports it as a
request error); bytes a file gains after the request started are not sent.

Names and filenames are escaped as browsers and undici do (``"`` → ``%22``,
CR → ``%0D``, LF → ``%0A``; newlines in names are first normalized to CRLF)
and sent UTF-8 encoded.
"""

from __future__ import annotations

import errno
import io
import os
import re
import secrets
import stat
from collections.abc import Iterator
from typing import Any

from . import _jsjson

__all__ = ["CHUNK_SIZE", "MultipartBody", "Part", "UploadSourceError", "escape_quoted", "make_part"]

#: The largest piece the body yields (and the largest read from a file).
CHUNK_SIZE = 1024 * 1024

_NEWLINES = re.compile(r"\r\n|\r|\n")


class UploadSourceError(OSError):
    """A file changed (shrank) or misbehaved while it was being uploaded."""


def escape_quoted(text: str) -> str:
    """A name or filename inside ``"..."`` of a part header, escaped as browsers do."""
    return text.replace("\n", "%0A").replace("\r", "%0D").replace('"', "%22")


def _usv(text: str) -> bytes:
    """UTF-8 of a JS USVString: lone surrogates become U+FFFD."""
    return "".join("\ufffd" if 0xD800 <= ord(c) <= 0xDFFF else c for c in text).encode("utf-8")


def _crlf(text: str) -> str:
    return _NEWLINES.sub("\r\n", text)


class Part:
    """One entry of a FormData: what it is, where its bytes come from."""

    __slots__ = ("name", "filename", "kind", "value", "start")

    def __init__(self, name: str, filename: str | None, kind: str, value: Any, start: int = 0) -> None:
        self.name = name
        self.filename = filename  # None: a plain text field
        self.kind = kind  # "buffer" | "text" | "file" | "path"
        self.value = value
        self.start = start  # file objects: the position to read from

    def head(self, boundary: str) -> bytes:
        disposition = f'Content-Disposition: form-data; name="{escape_quoted(_crlf(self.name))}"'
        if self.filename is None:
            return _usv(f"--{boundary}\r\n{disposition}\r\n\r\n")
        disposition += f'; filename="{escape_quoted(self.filename)}"'
        return _usv(f"--{boundary}\r\n{disposition}\r\nContent-Type: application/octet-stream\r\n\r\n")

    # -- sizes, measured when a request starts --------------------------------
    def measure(self) -> tuple[int, Any]:
        """``(size, prepared)``: the content's length now and what ``chunks`` needs."""
        if self.kind == "buffer":
            view = memoryview(self.value).cast("B")
            return view.nbytes, view
        if self.kind == "text":
            data = _usv(self.value if self.filename is not None else _crlf(self.value))
            return len(data), memoryview(data)
        if self.kind == "path":
            st = os.stat(self.value)
            if not stat.S_ISREG(st.st_mode):
                raise _not_regular(self.value, st)
            return st.st_size, None
        end = _file_end(self.value)
        if end is None:
            raise UploadSourceError(f"{_describe(self.value)}: its size can no longer be determined")
        return max(0, end - self.start), None

    # -- content, read lazily -------------------------------------------------
    def chunks(self, size: int, prepared: Any, chunk_size: int) -> Iterator[Any]:
        if self.kind in ("buffer", "text"):
            for offset in range(0, size, chunk_size):
                yield prepared[offset:offset + chunk_size]
            return
        if self.kind == "path":
            with open(self.value, "rb", buffering=0) as f:
                yield from _read_exactly(f, size, chunk_size, self.value)
            return
        f = self.value
        try:
            f.seek(self.start)
        except (OSError, ValueError, AttributeError) as exc:
            raise UploadSourceError(f"{_describe(f)}: cannot seek back to position {self.start}: {exc}") from exc
        yield from _read_exactly(f, size, chunk_size, _describe(f))


def _read_exactly(f: Any, size: int, chunk_size: int, what: Any) -> Iterator[bytes]:
    remaining = size
    while remaining > 0:
        data = f.read(min(chunk_size, remaining))
        if not data:
            raise UploadSourceError(
                f"{os.fsdecode(what) if isinstance(what, (bytes, os.PathLike)) else what}: the file ended "
                f"{remaining} bytes early (it was {size} bytes when the upload started)"
            )
        if not isinstance(data, (bytes, bytearray)):
            raise UploadSourceError(f"{what}: read() returned {type(data).__name__}, not bytes; open the file in binary mode ('rb')")
        if len(data) > remaining:  # a misbehaving read(n); never send more than announced
            data = data[:remaining]
        remaining -= len(data)
        yield bytes(data)


def _describe(f: Any) -> str:
    name = getattr(f, "name", None)
    return f"file object {name!r}" if isinstance(name, (str, bytes)) else f"file object {type(f).__name__}"


def _not_regular(path: Any, st: os.stat_result) -> OSError:
    if stat.S_ISDIR(st.st_mode):
        return IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), os.fsdecode(path))
    return UploadSourceError(
        f"{os.fsdecode(path)}: not a regular file, so its size cannot be known before the upload; "
        "read it into bytes or copy it to a regular file first"
    )


def _file_end(f: Any) -> int | None:
    """The offset of the end of a binary file object, or None when it cannot be known."""
    try:
        seekable = f.seekable()
    except (AttributeError, OSError, ValueError):
        seekable = hasattr(f, "seek") and hasattr(f, "tell")
    if seekable:
        try:
            here = f.tell()
            end = f.seek(0, io.SEEK_END)
            if end is None:
                end = f.tell()
            f.seek(here)
            return int(end)
        except (OSError, ValueError, AttributeError, io.UnsupportedOperation):
            pass
    return None


def make_part(name: Any, value: Any, filename: Any = None) -> Part:
    """Check one ``FormData.append`` value and note what the transport needs to send it."""
    name = name if isinstance(name, str) else _jsjson.js_string(name)
    if filename is not None and not isinstance(filename, str):
        filename = _jsjson.js_string(filename)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return Part(name, "blob" if filename is None else filename, "buffer", value)
    if isinstance(value, str):
        return Part(name, filename, "text", value)
    if isinstance(value, os.PathLike):
        st = os.stat(value)  # FileNotFoundError / PermissionError name the path
        if not stat.S_ISREG(st.st_mode):
            raise _not_regular(value, st)
        if not os.access(value, os.R_OK):
            raise PermissionError(13, os.strerror(13), os.fsdecode(value))
        default = os.path.basename(os.fsdecode(value))
        return Part(name, default if filename is None else filename, "path", value)
    if callable(getattr(value, "read", None)):
        if isinstance(value, io.TextIOBase):
            raise TypeError(f"FormData: {_describe(value)} is open in text mode; open it in binary mode ('rb')")
        try:
            start = value.tell()
        except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
            start = None
        if start is None or _file_end(value) is None:
            raise ValueError(
                f"FormData: the size of {_describe(value)} cannot be determined (it is not seekable), and an upload "
                "needs a known length; read it into bytes, or pass a pathlib.Path of a regular file"
            )
        if filename is None:
            own = getattr(value, "name", None)
            filename = os.path.basename(os.fsdecode(own)) if isinstance(own, (str, bytes)) and own else "blob"
        return Part(name, filename, "file", value, start)
    if filename is not None:
        raise TypeError(
            f"FormData: a value with a filename must be bytes, str, a binary file object or an os.PathLike, "
            f"not {type(value).__name__}"
        )
    return Part(name, None, "text", _jsjson.js_string(value))  # JS: String(value)


def new_boundary() -> str:
    return "----BackendAIFormBoundary" + secrets.token_hex(16)


class MultipartBody:
    """One request's multipart body: sized up front, yielded lazily, re-iterable.

    requests streams it because it is iterable and sized (``__len__``; no
    ``read``), with ``Content-Length: len(body)``. Each iteration reopens
    paths and seeks file objects back to their start.
    """

    def __init__(self, parts: list[Part], chunk_size: int = CHUNK_SIZE, boundary: str | None = None) -> None:
        if chunk_size <= 0:
            raise ValueError("chunk_size must be positive")
        self.boundary = boundary or new_boundary()
        self.content_type = f"multipart/form-data; boundary={self.boundary}"
        self.chunk_size = chunk_size
        self._parts = list(parts)
        self._heads = [p.head(self.boundary) for p in self._parts]
        self._measured = [p.measure() for p in self._parts]
        self._tail = f"--{self.boundary}--\r\n".encode("ascii")
        self._length = sum(len(h) + size + 2 for h, (size, _) in zip(self._heads, self._measured)) + len(self._tail)

    def __len__(self) -> int:
        return self._length

    def __repr__(self) -> str:
        return f"MultipartBody({len(self._parts)} parts, {self._length} bytes)"

    def _pieces(self) -> Iterator[Any]:
        for part, head, (size, prepared) in zip(self._parts, self._heads, self._measured):
            yield head
            yield from part.chunks(size, prepared, self.chunk_size)
            yield b"\r\n"
        yield self._tail

    def __iter__(self) -> Iterator[Any]:
        """The body in pieces of at most ``chunk_size`` bytes; small pieces are sent together."""
        limit = self.chunk_size
        pending = bytearray()
        for piece in self._pieces():
            if len(pending) + len(piece) <= limit:
                pending += piece
                continue
            if pending:
                yield bytes(pending)
                pending = bytearray()
            if len(piece) < limit:
                pending += piece
            else:
                yield piece
        if pending:
            yield bytes(pending)
