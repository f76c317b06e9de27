"""Hooks of ``client.maintenance`` (JS ``Maintenance``).

``attach_background_task``: JS 21.3.1 returns a browser ``EventSource`` on
``/events/background-task?task_id=...`` (it connects at once, with cookies but
without the signature headers, so it only works through a webserver session;
Node has no EventSource and throws). Python has no EventSource, so the port
opens the same URL as a signed request (or, in SESSION mode, with the session
cookie, as JS) and returns :class:`BackgroundTaskEvents`, an iterator of the
server-sent events. Unlike EventSource it does not reconnect: iteration ends
when the server closes the stream, which the manager does after the task's
final event (``bgtask_done``, ``bgtask_failed`` or ``bgtask_cancelled``).
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import requests
import urllib3

from .._core import ERR_RESPONSE, ERR_SERVER, _cause_text, _Failure, _utf8_text
from .._jsjson import querystring_stringify
from .._result import JSObject, parse_json

if TYPE_CHECKING:
    from .._generated.namespaces import Maintenance

_OPERATION = "maintenance.attach_background_task"


# -- attach_background_task ------------------------------------------------------------
class BackgroundTaskEvents(Iterator[JSObject]):
    """The server-sent events of a background task, read as they arrive.

    Each event is a JSObject with ``type`` (the SSE event name, ``"message"``
    when the server names none), ``data`` (the event's data text; Backend.AI
    sends JSON, ``json.loads(event.data)`` reads it) and ``lastEventId``, the
    fields of a JS ``MessageEvent``. ``retry`` fields are kept in
    ``self.retry`` (milliseconds) but never acted on: there is no reconnection.

    Waiting for the next event is bounded by ``client.responseReadTimeout``
    (milliseconds, 10 minutes by default): a longer silence raises
    ``BackendAIError`` (``ERR_RESPONSE``). Close the stream with ``close()`` or
    a ``with`` block when you stop reading early.
    """

    def __init__(self, client: Any, rqst: dict[str, Any], response: requests.Response) -> None:
        self.client = client
        self.url: str = rqst["uri"]
        self.retry: int | None = None
        self.closed = False
        self._rqst = rqst
        self._response = response
        self._lines = self._read_lines()
        self._last_event_id = ""

    # -- iterator protocol -------------------------------------------------
    def __iter__(self) -> "BackgroundTaskEvents":
        return self

    def __next__(self) -> JSObject:
        event_type, data = "", []  # type: tuple[str, list[str]]
        for line in self._lines:
            if line == "":
                if data:
                    payload = "\n".join(data)
                    return JSObject(type=event_type or "message", data=payload, lastEventId=self._last_event_id)
                event_type, data = "", []
                continue
            if line.startswith(":"):
                continue  # a comment (keep-alive)
            name, sep, value = line.partition(":")
            if sep and value.startswith(" "):
                value = value[1:]
            if name == "event":
                event_type = value
            elif name == "data":
                data.append(value)
            elif name == "id":
                if "\0" not in value:
                    self._last_event_id = value
            elif name == "retry":
                if value.isascii() and value.isdigit():
                    self.retry = int(value)
        # The stream ended: an unterminated event is dropped, as EventSource does.
        self.close()
        raise StopIteration

    # -- resources ------------------------------------------------------------
    def close(self) -> None:
        """Drop the connection (JS ``EventSource.close()``)."""
        if not self.closed:
            self.closed = True
            self._response.close()

    def __enter__(self) -> "BackgroundTaskEvents":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # noqa: BLE001 - best effort at garbage collection
            pass

    def __repr__(self) -> str:
        return f"BackgroundTaskEvents({self.url!r}, closed={self.closed})"

    # -- reading --------------------------------------------------------------
    def _chunks(self) -> Iterator[bytes]:
        resp = self._response
        sock = _socket_of(resp)
        idle = self.client.responseReadTimeout / 1000
        while not self.closed:
            try:
                if sock is not None:
                    sock.settimeout(idle)
                chunk = resp.raw.read1(64 * 1024, decode_content=True)
            except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
                if self.closed:
                    return
                if isinstance(exc, (TimeoutError, urllib3.exceptions.ReadTimeoutError)):
                    cause = (f"TimeoutError: no event within responseReadTimeout="
                             f"{self.client.responseReadTimeout} ms")
                else:
                    cause = _cause_text(exc)
                self.close()
                raise self.client._to_error(self._rqst, _Failure(ERR_RESPONSE, cause, resp), _OPERATION) from exc
            if not chunk:
                return
            yield chunk

    def _read_lines(self) -> Iterator[str]:
        """Lines of the stream (UTF-8; CRLF, LF or CR end a line; a leading BOM is skipped)."""
        buffer = ""
        first = True
        pending_cr = False
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        for chunk in self._chunks():
            text = decoder.decode(chunk)
            if first and text:
                text = text.removeprefix("\ufeff")
                first = False
            if pending_cr and text.startswith("\n"):
                text = text[1:]
            pending_cr = False
            buffer += text
            parts = re.split(r"\r\n|\r|\n", buffer)
            buffer = parts.pop()
            if buffer == "" and text.endswith("\r"):
                pending_cr = True  # a CRLF may be split across chunks
            yield from parts
        tail = buffer + decoder.decode(b"", final=True)
        if tail:
            yield tail  # no line end: ignored by the parser unless followed by a blank line


def _socket_of(resp: requests.Response) -> Any:
    """The socket under a streamed response (urllib3 drops ``connection.sock`` when the
    server said ``Connection: close``; the file object still holds it)."""
    sock = getattr(getattr(resp.raw, "connection", None), "sock", None)
    if sock is None:
        fp = getattr(getattr(resp.raw, "_fp", None), "fp", None)
        sock = getattr(getattr(fp, "raw", None), "_sock", None)
    return sock


def attach_background_task(ns: "Maintenance", task_id: Any) -> BackgroundTaskEvents:
    """Open the event stream of a background task and return its events as an iterator."""
    client = ns.client
    query = querystring_stringify({"task_id": task_id})
    rqst = client.newSignedRequest("GET", f"/events/background-task?{query}", None)
    rqst["headers"]["Accept"] = "text/event-stream"
    rqst["body"] = None
    try:
        resp = client._fetch(rqst, client.requestTimeout / 1000)
    except _Failure as failure:
        raise client._to_error(rqst, failure, _OPERATION) from (
            failure.cause if isinstance(failure.cause, BaseException) else None
        )
    if not 200 <= resp.status_code < 300:
        with resp:
            try:
                raw = client._read_body(resp)
            except _Failure as failure:
                raise client._to_error(rqst, failure, _OPERATION) from None
            ctype = resp.headers.get("Content-Type") or ""
            body: Any = _utf8_text(raw)
            if ctype.startswith(("application/json", "application/problem+json")):
                try:
                    body = parse_json(body)
                except ValueError:
                    pass
        raise client._to_error(rqst, _Failure(ERR_SERVER, body, resp, body), _OPERATION)
    return BackgroundTaskEvents(client, rqst, resp)
