"""The hand-written core of ``Client``: request builders, signing, transport.

The generated ``Client`` (``backend_ai_client/_generated/client.py``) inherits
from ``ClientCore`` and describes each API call declaratively; every call ends
in ``ClientCore._call``, which builds the request as the JS SDK does, sends it
through one ``requests.Session`` and maps failures as JS 21.3.1 does.
"""

from __future__ import annotations

import contextlib
import email.utils
import os
import tempfile
import random
import re
import threading
import time
from collections.abc import Iterator, Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import quote

import requests
import urllib3

from . import _jsjson, _signing
from ._config import ClientConfig
from ._errors import BackendAIError, error_class_for
from ._generated.constants import DEFAULTS, ERROR_CODES
from ._result import parse_json

__all__ = ["AbortController", "ClientCore", "FormData"]

ERR_SERVER = ERROR_CODES["ERR_SERVER"]
ERR_RESPONSE = ERROR_CODES["ERR_RESPONSE"]
ERR_REQUEST = ERROR_CODES["ERR_REQUEST"]
ERR_TIMEOUT = ERROR_CODES["ERR_TIMEOUT"]

_CHUNK = 64 * 1024


class AbortSignal:
    def __init__(self) -> None:
        self._event = threading.Event()

    @property
    def aborted(self) -> bool:
        return self._event.is_set()


class AbortController:
    """Python stand-in for the JS AbortController accepted by ``signal`` parameters."""

    def __init__(self) -> None:
        self.signal = AbortSignal()

    def abort(self) -> None:
        self.signal._event.set()


class FormData:
    """A multipart body, as JS ``FormData``: ``append(name, value, filename)``.

    ``value`` is bytes/bytearray/memoryview, str (sent UTF-8), a binary file
    object (read from its position at ``append`` time) or an ``os.PathLike``
    such as ``pathlib.Path`` (opened when sent, closed afterwards). The
    transport streams the body with its exact Content-Length (see
    ``_multipart``). Values are checked here: a missing path raises
    ``FileNotFoundError`` before anything is sent.
    """

    def __init__(self) -> None:
        self.entries: list[tuple[str, Any, str | None]] = []
        self._parts: list[Any] = []

    def append(self, name: str, value: Any, filename: str | None = None) -> None:
        from ._multipart import make_part

        self._parts.append(make_part(name, value, filename))
        self.entries.append((name, value, filename))

    def _stream(self, chunk_size: int | None = None) -> Any:
        """A fresh streaming body for one attempt: paths reopened, file objects rewound."""
        from ._multipart import CHUNK_SIZE, MultipartBody

        return MultipartBody(self._parts, chunk_size or CHUNK_SIZE)

    def __repr__(self) -> str:
        return f"FormData({[(n, f) for n, _, f in self.entries]!r})"


class _Failure(Exception):
    """Internal: carries the JS error classification out of the send step."""

    def __init__(self, code: int, cause: Any, response: requests.Response | None = None, body: Any = None) -> None:
        super().__init__(cause)
        self.code = code
        self.cause = cause
        self.response = response
        self.body = body
        self.python_body: Any = None  # Python only: a parsed error body where JS keeps bytes


_js_less = _jsjson.js_less


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and every exception behind it (causes, contexts, exception args, urllib3 reasons), each once."""
    seen = set()
    stack = [exc]
    while stack:
        e = stack.pop()
        if id(e) in seen:
            continue
        seen.add(id(e))
        yield e
        stack.extend(n for n in (e.__cause__, e.__context__, *[a for a in e.args if isinstance(a, BaseException)])
                     if n is not None)
        reason = getattr(e, "reason", None)
        if isinstance(reason, BaseException):
            stack.append(reason)


def _timed_out(exc: BaseException) -> bool:
    """Whether a socket timeout is anywhere behind ``exc``."""
    # not urllib3's TimeoutError: its NewConnectionError (a refused connection) derives from it
    return any(isinstance(e, (TimeoutError, requests.Timeout, urllib3.exceptions.ReadTimeoutError))
               for e in _chain(exc))


def _cause_text(exc: BaseException) -> str:
    """The innermost meaningful cause, e.g. 'ConnectionRefusedError: [Errno 111] Connection refused'."""
    best: BaseException = exc
    for e in _chain(exc):
        if isinstance(e, OSError) and not isinstance(e, requests.RequestException) and e.args:
            best = e
    text = str(best)
    # urllib3 wraps the errno text in its own prose; keep the last clause.
    m = re.search(r"(\[Errno [^\]]+\][^')]*)", text)
    if m:
        text = m.group(1).strip()
    return f"{type(best).__name__}: {text}"


class ClientCore:
    """State and plumbing shared by every generated API call."""

    ERR_SERVER = ERROR_CODES["ERR_SERVER"]
    ERR_RESPONSE = ERROR_CODES["ERR_RESPONSE"]
    ERR_REQUEST = ERROR_CODES["ERR_REQUEST"]
    ERR_ABORT = ERROR_CODES["ERR_ABORT"]
    ERR_TIMEOUT = ERROR_CODES["ERR_TIMEOUT"]
    ERR_UNKNOWN = ERROR_CODES["ERR_UNKNOWN"]

    def __init__(self, config: ClientConfig | None = None, agentSignature: str | None = None) -> None:
        self.ready = False
        self.code: Any = None
        self.sessionId: str | None = None
        self.kernelType: Any = None
        self.clientVersion: str = DEFAULTS["clientVersion"]
        self.agentSignature = agentSignature
        self._config: ClientConfig = ClientConfig.createFromEnv() if config is None else config
        self._managerVersion: Any = None
        self._apiVersion: Any = None
        self._apiVersionMajor: Any = None
        self.is_admin = False
        self.is_superadmin = False
        self.kernelPrefix = DEFAULTS["kernelPrefix"]
        self._features: dict[str, bool] = {}
        self.abortController = AbortController()
        self.abortSignal = self.abortController.signal
        #: Default timeout of every call, in milliseconds (JS ``requestTimeout``).
        self.requestTimeout: int = DEFAULTS["requestTimeout"]
        #: Python only: the longest a response body may take to arrive, in milliseconds.
        self.responseReadTimeout: int = DEFAULTS["responseReadTimeout"]
        #: Python only: TLS verification (a CA bundle path also works). Never off by default.
        self.verify: bool | str = True
        self._session = requests.Session()
        self._session.trust_env = False

    # -- Python conveniences -------------------------------------------------
    def close(self) -> None:
        """Close the pooled connections (Python only)."""
        self._session.close()

    def __enter__(self) -> "ClientCore":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._config!r})"

    def _now(self) -> datetime:
        """The clock used for signing; tests freeze it by assigning ``client._now``."""
        return datetime.now(timezone.utc)

    # -- request builders (JS names) ----------------------------------------
    def mangleUserAgentSignature(self) -> str:
        return self.clientVersion + (("; " + str(self.agentSignature)) if self.agentSignature else "")

    def _user_agent(self) -> str:
        return f"{DEFAULTS['userAgentPrefix']} {self.mangleUserAgentSignature()}"

    def _uri(self, queryString: str) -> str:
        if self._config.connectionMode == "SESSION" and not queryString.startswith("/server"):
            return self._config.endpoint + "/func" + queryString
        return self._config.endpoint + queryString

    def newSignedRequest(self, method: str, queryString: str, body: Any) -> dict[str, Any]:
        """Build a signed request: ``{method, headers, body, uri}`` as JS does."""
        content_type = "application/json"
        now = self._now()
        date_text = _signing.iso_date(now)
        if body is None or body is _jsjson.UNDEFINED:
            request_body: Any = ""
            auth_body = ""
        elif isinstance(body, FormData):
            request_body = body
            auth_body = ""
            content_type = "multipart/form-data"
        else:
            request_body = _jsjson.stringify(body)
            auth_body = request_body
        headers: dict[str, str] = {
            "User-Agent": self._user_agent(),
            "X-BackendAI-Version": self._config.apiVersion,
            "X-BackendAI-Date": date_text,
        }
        if self._config.connectionMode != "SESSION":
            version = self._config._apiVersion
            version_digit = version[1] if len(version) > 1 else _jsjson.UNDEFINED  # JS: apiVersion[1] < 4
            signed_body = auth_body if _js_less(version_digit, 4) else ""
            auth = self.getAuthenticationString(method, queryString, date_text, signed_body, content_type)
            key = self.getSignKey(self._config.secretKey, now)
            sig = self.sign(key, "binary", auth, "hex")
            headers["Authorization"] = (
                f"BackendAI signMethod=HMAC-SHA256, credential={self._config.accessKey}:{sig}"
            )
        if isinstance(body, FormData):
            pass  # the transport sets the multipart Content-Type with its boundary
        elif body is not None and body is not _jsjson.UNDEFINED:
            headers["Content-Type"] = content_type
            headers["Content-Length"] = str(len(auth_body.encode("utf-8")))
        else:
            headers["Content-Type"] = content_type
        return {"method": method, "headers": _normalized(headers), "body": request_body, "uri": self._uri(queryString)}

    def newUnsignedRequest(self, method: str, queryString: str, body: Any) -> dict[str, Any]:
        return self.newPublicRequest(method, queryString, body, self._config.apiVersionMajor)

    def newPublicRequest(self, method: str, queryString: str, body: Any, urlPrefix: Any) -> dict[str, Any]:
        """An unsigned request. JS also sends ``credentials``/``mode`` as HTTP headers; the port does not."""
        headers = {
            "Content-Type": "application/json",
            "User-Agent": self._user_agent(),
            "X-BackendAI-Version": self._config.apiVersion,
            "X-BackendAI-Date": _signing.iso_date(self._now()),
        }
        return {"method": method, "headers": _normalized(headers), "uri": self._uri(queryString)}

    # -- signing steps (JS names) -------------------------------------------
    def getAuthenticationString(
        self, method: str, queryString: str, dateValue: str, bodyValue: str, content_type: str = "application/json"
    ) -> str:
        return _signing.authentication_string(
            method,
            queryString,
            dateValue,
            self._config.endpointHost,
            content_type,
            self._config.apiVersion,
            _signing.body_hash(self._config.hashType, _utf8(bodyValue)),
        )

    def getCurrentDate(self, now: datetime) -> str:
        return _signing.utc_day(now)

    def sign(self, key: bytes | str, key_encoding: str, msg: str, digest_type: str) -> Any:
        """HMAC of ``msg`` with ``key``; ``digest_type`` 'hex' gives text, 'binary' bytes."""
        if isinstance(key, str):
            key = _utf8(key) if key_encoding in ("utf8", "utf-8") else key.encode("latin-1")
        digest = _signing.sign(self._config.hashType, key, _utf8(msg))
        return digest.hex() if digest_type == "hex" else digest

    def getSignKey(self, secret_key: str, now: datetime) -> bytes:
        k1 = self.sign(secret_key, "utf8", self.getCurrentDate(now), "binary")
        return self.sign(k1, "binary", self._config.endpointHost, "binary")

    # -- paths and queries ---------------------------------------------------
    def _path(self, template: str, params: Mapping[str, Any], owner: Any = None) -> str:
        """Expand ``{name}``: parameters as one encoded path segment; attributes of the
        namespace object (``owner``) or of the client verbatim."""

        def expand(m: re.Match[str]) -> str:
            name = m.group(1)
            if name in params:
                return quote(_jsjson.js_string(params[name]), safe="")
            if owner is not None and hasattr(owner, name):
                return str(getattr(owner, name))
            return str(getattr(self, name))

        return re.sub(r"\{([A-Za-z_][A-Za-z0-9_]*)\}", expand, template)

    # -- the one entry point of generated calls -----------------------------
    def _call(
        self,
        operation: str,
        method: str,
        path: str,
        query: Mapping[str, Any] | None = None,
        body: Any = None,
        *,
        signed: bool = True,
        rawFile: bool = False,
        signal: Any = None,
        timeout: Any = 0,
        retry: Any = 0,
        returnUrl: bool = False,
        saveTo: Any = None,
    ) -> Any:
        if query:
            qs = _jsjson.querystring_stringify(query)
            if qs:
                path = f"{path}?{qs}"
        if returnUrl:
            return self._uri(path)
        if signed:
            rqst = self.newSignedRequest(method, path, body)
        else:
            rqst = self.newPublicRequest(method, path, body, "")
        return self._wrapWithPromise(rqst, rawFile, signal, timeout, retry, operation=operation, saveTo=saveTo)

    # -- transport -----------------------------------------------------------
    def _wrapWithPromise(
        self,
        rqst: dict[str, Any],
        rawFile: bool = False,
        signal: Any = None,
        timeout: Any = 0,
        retry: Any = 0,
        *,
        operation: str | None = None,
        saveTo: Any = None,
    ) -> Any:
        """Send ``rqst`` and decode the answer as JS does; raise BackendAIError on failure.

        Python only: ``saveTo`` (a path) streams a successful answer into that file and
        returns its ``pathlib.Path``; the file appears only once it is complete.
        """
        timeout_ms = _validate_ms("timeout", timeout)
        retries = _validate_count("retry", retry)
        if rqst["method"] == "GET":
            rqst["body"] = _jsjson.UNDEFINED
        while True:
            try:
                return self._send_once(rqst, rawFile, signal, timeout_ms or self.requestTimeout, saveTo)
            except _Failure as failure:
                if retries > 0:
                    retries -= 1
                    time.sleep(DEFAULTS["retryDelay"] / 1000)
                    continue
                raise self._to_error(rqst, failure, operation) from (
                    failure.cause if isinstance(failure.cause, BaseException) else None
                )

    def _send_once(self, rqst: dict[str, Any], rawFile: bool, signal: Any, timeout_ms: int, saveTo: Any = None) -> Any:
        if signal is not None and getattr(signal, "aborted", False):
            raise _Failure(ERR_REQUEST, "AbortError: This operation was aborted")
        resp = self._fetch(rqst, timeout_ms / 1000)
        if resp.status_code == 421:
            # fetch retries a 421 (Misdirected Request) once on a new connection.
            resp.close()
            resp = self._fetch(rqst, timeout_ms / 1000)
        if resp.status_code == 407:
            # fetch turns a 407 outside a proxy context into a network error.
            resp.close()
            raise _Failure(ERR_REQUEST, "NetworkError: proxy authentication required (HTTP 407), which fetch treats as a network error")
        with resp:
            if saveTo is not None and 200 <= resp.status_code < 300:
                return self._save_body(resp, saveTo)
            raw = self._read_body(resp)
            content_type = resp.headers.get("Content-Type")
            if not rawFile and content_type is not None and (
                content_type.startswith("application/json") or content_type.startswith("application/problem+json")
            ):
                try:
                    parsed = parse_json(_utf8_text(raw))
                except RecursionError as exc:
                    raise _Failure(ERR_RESPONSE, "RecursionError: the JSON body is nested too deeply to parse", resp) from exc
                except ValueError as exc:
                    raise _Failure(ERR_RESPONSE, f"SyntaxError: {exc}", resp) from exc
                if parsed is None:
                    # JS reads body.type right after parsing, which throws for null.
                    raise _Failure(ERR_RESPONSE, "TypeError: the JSON body is null", resp)
            elif not rawFile and content_type is not None and content_type.startswith("text/"):
                parsed = _utf8_text(raw)  # Response.text() always decodes UTF-8
            else:
                parsed = raw
            if not 200 <= resp.status_code < 300:  # fetch's Response.ok
                failure = _Failure(ERR_SERVER, parsed, resp, parsed)
                if rawFile and content_type is not None and "json" in content_type:
                    # JS keeps raw bytes here and loses the server's message; err.body keeps it parsed.
                    with contextlib.suppress(ValueError, RecursionError):
                        failure.python_body = parse_json(_utf8_text(raw))
                raise failure
            return parsed

    def _fetch(self, rqst: dict[str, Any], seconds: float) -> requests.Response:
        """Send the request; return once the status line and headers arrived."""
        headers = {k: v for k, v in rqst["headers"].items()}
        headers["Host"] = self._config.endpointHost
        body = rqst.get("body", _jsjson.UNDEFINED)
        data: Any = None
        if isinstance(body, FormData):
            # Streamed (iterable + __len__) with its exact length; a fresh body per attempt.
            data = body._stream()
            headers["Content-Type"] = data.content_type
            headers["Content-Length"] = str(len(data))
        elif body is not _jsjson.UNDEFINED and body is not None:
            data = _utf8(body)
        else:
            headers.pop("Content-Length", None)
        try:
            return self._session.request(
                rqst["method"],
                rqst["uri"],
                headers=headers,
                data=data,
                timeout=(seconds, seconds),
                stream=True,
                allow_redirects=False,
                verify=self.verify,
            )
        except (requests.Timeout, TimeoutError) as exc:
            raise _Failure(ERR_TIMEOUT, exc) from exc
        except (requests.RequestException, urllib3.exceptions.HTTPError, OSError, ValueError) as exc:
            if _timed_out(exc):
                # e.g. the peer stopped reading an upload: urllib3 reports the socket timeout of a
                # body write as "Connection aborted"; JS's abort timer makes it ERR_TIMEOUT.
                raise _Failure(ERR_TIMEOUT, exc) from exc
            raise _Failure(ERR_REQUEST, _cause_text(exc)) from exc
        finally:
            close = getattr(data, "close", None)
            if close is not None:
                close()  # a streamed multipart body: its open files, at once

    def _save_body(self, resp: requests.Response, target: Any) -> Path:
        """Stream the body into ``target`` through a temporary file in the same folder."""
        path = Path(target)
        if path.is_dir():
            raise ValueError(f"saveTo must name a file, {str(path)!r} is a folder")
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent or ".")
        try:
            with os.fdopen(fd, "wb") as out:
                self._read_body(resp, sink=out.write)
            os.replace(tmp_name, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp_name)
            raise
        return path

    def _read_body(self, resp: requests.Response, sink: Any = None) -> bytes:
        """Read the whole body. As in JS the call's timeout no longer applies once the headers
        arrived; ``responseReadTimeout`` bounds the body instead."""
        if getattr(resp, "_content_consumed", False):  # requests read it already (3xx with Location)
            return resp.content or b""
        deadline = time.monotonic() + self.responseReadTimeout / 1000
        sock = getattr(getattr(resp.raw, "connection", None), "sock", None)
        chunks = []
        try:
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise _Failure(
                        ERR_RESPONSE,
                        f"TimeoutError: the response body took longer than responseReadTimeout={self.responseReadTimeout} ms",
                        resp,
                    )
                if sock is not None:
                    sock.settimeout(remaining)
                chunk = resp.raw.read1(_CHUNK, decode_content=True)
                if not chunk:
                    break
                if sink is not None:
                    sink(chunk)
                else:
                    chunks.append(chunk)
        except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
            if isinstance(exc, (TimeoutError, urllib3.exceptions.ReadTimeoutError)):
                raise _Failure(
                    ERR_RESPONSE,
                    f"TimeoutError: the response body took longer than responseReadTimeout={self.responseReadTimeout} ms",
                    resp,
                ) from exc
            raise _Failure(ERR_RESPONSE, _cause_text(exc), resp) from exc
        return b"".join(chunks)

    def _to_error(self, rqst: dict[str, Any], failure: _Failure, operation: str | None) -> BackendAIError:
        resp = failure.response
        status: Any = resp.status_code if resp is not None else None
        status_text: Any = _status_text(resp) if resp is not None else None
        body = failure.body
        code = failure.code
        if code == ERR_SERVER:
            title_value = _field(body, "title")
            msg = _field(body, "msg")
            title = f"{status} {status_text} - {_jsjson.js_string(title_value)}"
            if _jsjson.truthy(msg):
                message = f"server responded failure: {status} {status_text} - {_jsjson.js_string(msg)}"
                description = msg
            else:
                message = f"server responded failure: {status} {status_text} - {_jsjson.js_string(title_value)}"
                description = None if title_value is _jsjson.UNDEFINED else title_value
        elif code == ERR_TIMEOUT:
            title, message = "Request timeout", "No response returned within timeout"
            description, status, status_text = message, 408, "Timeout exceeded"
        else:
            cause = failure.cause if isinstance(failure.cause, str) else _cause_text(failure.cause)
            title = description = cause
            verb = "sending request" if code == ERR_REQUEST else "reading response"
            message = f"{verb} has failed: {cause}"
        params = _redacted(rqst.get("body", _jsjson.UNDEFINED))
        error = error_class_for(code)(
            timestamp=email.utils.formatdate(usegmt=True),
            requestUrl=rqst["uri"],
            requestMethod=rqst["method"],
            requestParameters=None if params is _jsjson.UNDEFINED else params,
            statusCode=status,
            statusText=status_text,
            title=title,
            message=message,
            description=description,
            body=failure.python_body if failure.python_body is not None else (
                body if isinstance(body, (Mapping, list)) else None),
            operation=operation,
        )
        if code == ERR_SERVER and resp is not None and _mentions_clock_skew(body):
            error.clockSkew = _clock_skew(resp, rqst)
        return error

    # -- small JS helpers ----------------------------------------------------
    def generateSessionId(self, length: int = 8, nosuffix: bool = False) -> str:
        possible = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
        text = "".join(random.choice(possible) for _ in range(length))
        return text if nosuffix else text + "-jsSDK"

    def slugify(self, text: Any) -> str:
        a = "àáäâèéëêìíïîòóöôùúüûñçßÿœæŕśńṕẃǵǹḿǘẍźḧ·/_,:;"
        b = "aaaaeeeeiiiioooouuuuncsyoarsnpwgnmuxzh------"
        out = _jsjson.js_string(text).lower()
        out = re.sub(r"\s+", "-", out)
        out = "".join(b[a.index(c)] if c in a else c for c in out)
        out = out.replace("&", "-and-")
        out = re.sub(r"[^A-Za-z0-9_\-]+", "", out)
        out = re.sub(r"--+", "-", out)
        return re.sub(r"-+$", "", re.sub(r"^-+", "", out))

    def _updateFieldCompatibilityByAPIVersion(self, fields: list[str]) -> list[str]:
        if _js_less(self._apiVersionMajor, 5):
            replacements = {"session_name": "sess_id"}
            for key, new in replacements.items():
                if key in fields:
                    fields[fields.index(key)] = new
        return fields

    def _updateSupportList(self) -> None:
        if self.isAPIVersionCompatibleWith("v4.20190601"):
            for name in ("scaling-group", "group", "group-folder", "system-images", "detailed-session-states",
                         "change-user-name"):
                self._features[name] = True
        if self.isAPIVersionCompatibleWith("v6.20200815"):
            for name in ("multi-container", "multi-node", "storage-proxy", "hardware-metadata"):
                self._features[name] = True
        if self.isManagerVersionCompatibleWith("20.09.16"):
            self._features["avoid-hol-blocking"] = True

    def supports(self, feature: str) -> bool:
        if not self._features:
            self._updateSupportList()
        return self._features.get(feature, False)

    def isManagerVersionCompatibleWith(self, version: str) -> bool:
        if self._managerVersion is None:
            # JS throws a TypeError here; the port says what to do instead.
            raise RuntimeError("manager version unknown: call client.get_manager_version() first")
        return _padded(version) <= _padded(self._managerVersion)

    def isAPIVersionCompatibleWith(self, version: str) -> bool:
        if self._apiVersion is None or version is None:
            return False  # JS compares with null, which is false for version strings
        return _padded(version) <= _padded(self._apiVersion)


def _mentions_clock_skew(body: Any) -> bool:
    """The manager refuses a request date more than 15 minutes off with 'Date/time sync error'."""
    texts = [_jsjson.js_string(_field(body, k)) for k in ("msg", "title")] if isinstance(body, Mapping) else [
        body if isinstance(body, str) else ""]
    return any("date/time sync" in t.lower() for t in texts)


def _clock_skew(resp: requests.Response, rqst: dict[str, Any]) -> dict[str, Any]:
    """The request's date (what the server judged) against the server's Date header."""
    sent = rqst.get("headers", {}).get("X-BackendAI-Date")
    local = datetime.now(timezone.utc)
    with contextlib.suppress(TypeError, ValueError):
        local = datetime.fromisoformat(str(sent).replace("Z", "+00:00"))
    server_text = resp.headers.get("Date")
    server = None
    if server_text:
        with contextlib.suppress(TypeError, ValueError):
            server = email.utils.parsedate_to_datetime(server_text).astimezone(timezone.utc)
    return {
        "local": _signing.iso_date(local),
        "server": _signing.iso_date(server) if server else None,
        "seconds": (local - server).total_seconds() if server else None,
    }


_SENSITIVE = re.compile(r"password|secret", re.IGNORECASE)


def _redacted(body: Any) -> Any:
    """The request body as an error shows it: values of password/secret keys hidden.

    JS puts the raw body (login and password-change bodies included) in
    ``requestParameters``; an error that gets logged must not carry them.
    """
    if not isinstance(body, str) or not _SENSITIVE.search(body):
        return body
    try:
        value = parse_json(body)
    except ValueError:
        return "<hidden: the request body mentions a password or secret>"

    def hide(v: Any) -> Any:
        if isinstance(v, dict):
            return {k: "<hidden>" if _SENSITIVE.search(k) else hide(x) for k, x in v.items()}
        if isinstance(v, list):
            return [hide(x) for x in v]
        return v

    return _jsjson.stringify(hide(value))


def _normalized(headers: dict[str, str]) -> dict[str, str]:
    """Header values as fetch's Headers keeps them: leading and trailing HTTP whitespace removed."""
    return {name: value.strip(" \t\r\n") for name, value in headers.items()}


def _padded(version: str) -> str:
    return ".".join(part.rjust(10) for part in str(version).split("."))


def _field(body: Any, name: str) -> Any:
    if isinstance(body, Mapping):
        return body.get(name, _jsjson.UNDEFINED)
    return _jsjson.UNDEFINED


def _status_text(resp: requests.Response) -> str:
    """The reason phrase; http.client reads it as Latin-1, fetch as UTF-8."""
    reason = resp.reason or ""
    try:
        return reason.encode("latin-1").decode("utf-8", errors="replace")
    except UnicodeEncodeError:
        return reason


def _utf8_text(raw: bytes) -> str:
    """WHATWG "UTF-8 decode": a leading BOM dropped, bad sequences replaced."""
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    return raw.decode("utf-8", errors="replace")


def _utf8(text: str | bytes) -> bytes:
    if isinstance(text, bytes):
        return text
    # JS encodes lone surrogates as U+FFFD.
    return "".join("\ufffd" if 0xD800 <= ord(c) <= 0xDFFF else c for c in text).encode("utf-8")


def _validate_ms(name: str, value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0 or value != value:
        raise ValueError(f"{name} must be a number of milliseconds >= 0 (0 means the client default), got {value!r}")
    return int(value)


def _validate_count(name: str, value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{name} must be a whole number >= 0, got {value!r}")
    return value
