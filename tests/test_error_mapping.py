"""Error mapping: the port's ``_wrapWithPromise`` against the JS SDK's, exchange by exchange.

The port (``ClientCore._wrapWithPromise`` / ``_send_once`` / ``_to_error``) and
the JS SDK 21.3.1 (through the ``oracle`` fixture, Node 20's fetch) make the
same exchange against a scripted local server (tests/scripted_server.py) and
must end the same way: the same resolved value, or the same error fields.

Three layers:

* ``SCENARIOS``: hand-picked exchanges with the outcome derived by hand from
  the JS source (``backend.ai-client-node.ts`` of 21.3.1; the line that gives
  each value is named). ``test_port_matches_js_source`` checks the port
  against them and always runs, Node or not: it is the fallback where Node is
  missing. ``test_js_matches_js_source`` checks the same derivations against
  the live JS SDK, so the fallback cannot drift from what JS really does.
* Properties (hypothesis, the profile of tests/conftest.py: 2000 examples
  under CI): generated status codes, reason phrases, content types and bodies
  (JSON with and without ``title``/``msg``, non-string values, problem+json,
  broken JSON, empty bodies, proxy HTML, binary), connections closed or cut
  short, refused connections. Port and JS must agree field by field.
* Small slow tests: timeouts (few examples) and retries (JS waits 2 s).

Compared: the port's ``err.type`` (ERR_* constant) with the ERR_* implied by
JS's problem URL in ``type``, ``err.problemType`` with that URL, and
statusCode, statusText, title, message, description, requestUrl,
requestMethod, requestParameters for equality (JS ``undefined`` and ``null``
are both Python ``None``); ``timestamp`` for format and closeness to now.
Documented difference: where the text comes from the runtime (ERR_REQUEST and
ERR_RESPONSE, ``sending request has failed: <cause>`` / ``reading response has
failed: <cause>``; JS puts the raw Error object in title and description), only
the prefix is compared and the port's cause must be an informative
``<ExceptionName>: <text>`` string.

Known port mismatches (``KNOWN_PORT_MISMATCHES``) each have scenarios below
that fail while the port has the bug. While a bug is present, the properties
skip the inputs that would only show it again, so that they keep searching
for other mismatches; once the port is fixed they cover those inputs too.
Set ``ERROR_MAPPING_ALL_INPUTS=1`` to never skip.
"""

from __future__ import annotations

import email.utils
import json
import math
import os
import re
import string
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

import pytest
from hypothesis import given, note, reject, settings
from hypothesis import strategies as st

import backend_ai_client as ai
from backend_ai_client import BackendAIError
from backend_ai_client._jsjson import UNDEFINED, object_keys
from oracle import JS_UNDEFINED, JSErrorValue
from scripted_server import (  # noqa: F401 - scripted_server is the fixture
    ACCESS_KEY,
    SECRET_KEY,
    Reply,
    ScriptedServer,
    closed_port,
    scripted_server,
)

ERR_SERVER = ai.Client.ERR_SERVER
ERR_RESPONSE = ai.Client.ERR_RESPONSE
ERR_REQUEST = ai.Client.ERR_REQUEST
ERR_ABORT = ai.Client.ERR_ABORT
ERR_TIMEOUT = ai.Client.ERR_TIMEOUT

PROBS = "https://api.backend.ai/probs/"
#: JS 21.3.1 overwrites ``type`` with these URLs (backend.ai-client-node.ts l.335-373).
ERR_BY_PROBLEM = {
    PROBS + "server-error": ERR_SERVER,
    PROBS + "client-response-error": ERR_RESPONSE,
    PROBS + "client-request-error": ERR_REQUEST,
    PROBS + "request-abort-error": ERR_ABORT,
    PROBS + "request-timeout-error": ERR_TIMEOUT,
}
CAUSE_PREFIX = {ERR_REQUEST: "sending request has failed: ", ERR_RESPONSE: "reading response has failed: "}
ERROR_FIELDS = ("requestUrl", "requestMethod", "requestParameters", "statusCode", "statusText",
                "title", "message", "description")
TIMESTAMP_RE = re.compile(
    r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} "
    r"\d{2}:\d{2}:\d{2} GMT"
)
INFORMATIVE_CAUSE_RE = re.compile(r"[A-Za-z_][\w.]*: \S.*", re.S)
BOM = b"\xef\xbb\xbf"
ALL_INPUTS = os.environ.get("ERROR_MAPPING_ALL_INPUTS", "").strip().lower() in ("1", "true", "yes")


# ---------------------------------------------------------------------------
# One exchange, on either side
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Call:
    """The arguments of one ``_wrapWithPromise`` call (timeout in ms, as JS)."""

    method: str = "POST"
    path: str = "/test/exchange"
    body: Any = None
    signed: bool = True
    rawFile: bool = False
    timeout: int = 0
    retry: int = 0
    requestTimeout: int | None = None  # the client's default timeout, when set


@dataclass
class Outcome:
    side: str
    resolved: bool
    value: Any = None
    error: dict[str, Any] | None = None  # code, problemType, isError, timestamp + ERROR_FIELDS
    started: float = 0.0
    finished: float = 0.0

    def brief(self) -> str:
        if self.resolved:
            return f"{self.side}: resolved {self.value!r}"
        return f"{self.side}: rejected {self.error!r}"


def run_port(endpoint: str, call: Call) -> Outcome:
    client = ai.Client(ai.ClientConfig(ACCESS_KEY, SECRET_KEY, endpoint))
    if call.requestTimeout is not None:
        client.requestTimeout = call.requestTimeout
    started = time.time()
    try:
        if call.signed:
            rqst = client.newSignedRequest(call.method, call.path, call.body)
        else:
            rqst = client.newPublicRequest(call.method, call.path, call.body, "")
        value = client._wrapWithPromise(rqst, call.rawFile, None, call.timeout, call.retry)
        return Outcome("port", True, value=value, started=started, finished=time.time())
    except BackendAIError as exc:
        error = {f: getattr(exc, f) for f in ERROR_FIELDS}
        error.update(code=exc.type, problemType=exc.problemType, isError=exc.isError, timestamp=exc.timestamp)
        return Outcome("port", False, error=error, started=started, finished=time.time())
    finally:
        client.close()


def as_doubles(value: Any) -> Any:
    """JS numbers are doubles; the oracle prints those beyond 2**53 as integers ("12345678901234567000")."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 2**53:
        return float(value)
    if isinstance(value, list):
        return [as_doubles(v) for v in value]
    if isinstance(value, dict):
        return {k: as_doubles(v) for k, v in value.items()}
    return value


def run_js(oracle: Any, endpoint: str, call: Call) -> Outcome:
    config: dict[str, Any] = {"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY, "endpoint": endpoint}
    if call.requestTimeout is not None:
        config["requestTimeout"] = call.requestTimeout
    started = time.time()
    # call_many, not call: the op's own `timeout` argument would be taken as call()'s wait limit.
    [answer] = oracle.call_many("request", [dict(
        config=config, method=call.method, path=call.path, body=call.body, rawFile=call.rawFile,
        timeout=call.timeout, retry=call.retry, signed=call.signed)])
    finished = time.time()
    if answer["resolved"]:
        return Outcome("JS", True, value=as_doubles(answer["value"]), started=started, finished=finished)
    raw = as_doubles(answer["error"])
    assert isinstance(raw, dict) and raw.get("isError") is True, f"JS rejected with something else: {raw!r}"
    error = {f: (None if raw.get(f, JS_UNDEFINED) is JS_UNDEFINED else raw[f]) for f in ERROR_FIELDS}
    error.update(code=ERR_BY_PROBLEM.get(raw.get("type")), problemType=raw.get("type"), isError=raw.get("isError"),
                 timestamp=raw.get("timestamp"))
    return Outcome("JS", False, error=error, started=started, finished=finished)


def exchange(server: ScriptedServer, replies: tuple[Reply, ...], run: Callable[[], Outcome], *,
             signed: bool, repeat: bool = False) -> tuple[Outcome, list[Any]]:
    """Script ``replies``, run one side, and return its outcome and requests (all verified).

    ``repeat``: every request gets ``replies[0]`` (so that a side that sends
    more requests than scripted shows up as a request count, not a 599).
    """
    server.reset()
    if repeat:
        server.always(replies[0])
    else:
        server.script(*replies)
    outcome = run()
    return outcome, server.take(signed=signed)


# ---------------------------------------------------------------------------
# Comparing
# ---------------------------------------------------------------------------
def value_diffs(port: Any, js: Any, where: str = "value") -> list[str]:
    """Strict equality of a port value and a JS value (or a hand-derived expectation).

    ``undefined``/``null`` = None; booleans are not numbers; ints and floats
    compare by exact value; objects compare keys in order (JS enumeration order).
    """
    if js is JS_UNDEFINED or js is None:
        ok = port is None or port is UNDEFINED
    elif isinstance(js, bool) or isinstance(port, bool):
        ok = type(js) is bool and type(port) is bool and js == port
    elif isinstance(js, (int, float)):
        ok = isinstance(port, (int, float)) and (port == js or (math.isnan(port) and math.isnan(js)))
    elif isinstance(js, str):
        ok = isinstance(port, str) and port == js
    elif isinstance(js, (bytes, bytearray)):
        ok = isinstance(port, (bytes, bytearray)) and bytes(port) == bytes(js)
    elif isinstance(js, list):
        if not isinstance(port, list) or len(port) != len(js):
            return [f"{where}: port {port!r} != JS {js!r}"]
        return [d for i, (p, j) in enumerate(zip(port, js)) for d in value_diffs(p, j, f"{where}[{i}]")]
    elif isinstance(js, Mapping):
        if not isinstance(port, Mapping):
            return [f"{where}: port {port!r} != JS {js!r}"]
        if list(port) != list(js):
            return [f"{where}: keys (in order) port {list(port)!r} != JS {list(js)!r}"]
        return [d for k in js for d in value_diffs(port[k], js[k], f"{where}[{k!r}]")]
    else:
        ok = port == js
    return [] if ok else [f"{where}: port {port!r} != JS {js!r}"]


def timestamp_diffs(outcome: Outcome, slack: float = 3.0) -> list[str]:
    ts = outcome.error["timestamp"] if outcome.error else None
    if not isinstance(ts, str) or not TIMESTAMP_RE.fullmatch(ts):
        return [f"{outcome.side} timestamp {ts!r} is not like 'Thu, 03 Dec 2026 15:16:30 GMT'"]
    when = email.utils.parsedate_to_datetime(ts)
    if when.strftime("%a") != ts[:3]:
        return [f"{outcome.side} timestamp {ts!r}: wrong weekday"]
    if not outcome.started - slack <= when.timestamp() <= outcome.finished + slack:
        return [f"{outcome.side} timestamp {ts!r} is not within {slack} s of the exchange"]
    return []


def cause_diffs(outcome: Outcome, code: int) -> list[str]:
    """ERR_REQUEST/ERR_RESPONSE: ``<prefix><cause>``, title = description = cause (runtime text)."""
    e, side = outcome.error, outcome.side
    prefix = CAUSE_PREFIX[code]
    out = []
    if side == "JS":
        # l.337-339 / l.348-350: title and description are the raw Error object.
        if not isinstance(e["title"], JSErrorValue):
            out.append(f"JS title {e['title']!r} is not an Error")
        if e["message"] != prefix + str(e["title"]) or e["description"] != e["title"]:
            out.append(f"JS message/description {e['message']!r}/{e['description']!r} do not carry the cause")
    else:
        cause = e["title"]
        if not isinstance(cause, str) or not INFORMATIVE_CAUSE_RE.fullmatch(cause):
            out.append(f"port cause {cause!r} is not an informative '<ExceptionName>: <text>'")
        if e["description"] != cause or e["message"] != f"{prefix}{cause}":
            out.append(f"port message/description {e['message']!r}/{e['description']!r} do not carry the cause")
    return out


def outcome_diffs(port: Outcome, js: Outcome, *, url_map: Callable[[str], str] = lambda u: u) -> list[str]:
    """Everything that differs between the port's and JS's outcome of the same exchange."""
    if port.resolved != js.resolved:
        return [f"one side resolved, the other rejected:\n  {port.brief()}\n  {js.brief()}"]
    if port.resolved:
        return value_diffs(port.value, js.value)
    p, j = port.error, js.error
    out: list[str] = []
    if j["code"] is None:
        out.append(f"JS type {j['problemType']!r} is not a known problem URL")
    if p["code"] != j["code"]:
        out.append(f"type: port ERR {p['code']} != JS ERR {j['code']} ({j['problemType']})")
    if p["problemType"] != j["problemType"]:
        out.append(f"problemType: port {p['problemType']!r} != JS {j['problemType']!r}")
    if p["isError"] is not True or j["isError"] is not True:
        out.append(f"isError: port {p['isError']!r}, JS {j['isError']!r}")
    for f in ("requestMethod", "requestParameters", "statusCode", "statusText"):
        out += value_diffs(p[f], j[f], f)
    out += value_diffs(url_map(p["requestUrl"]), j["requestUrl"], "requestUrl")
    if j["code"] in CAUSE_PREFIX and p["code"] == j["code"]:
        out += cause_diffs(port, j["code"]) + cause_diffs(js, j["code"])
    else:
        for f in ("title", "message", "description"):
            out += value_diffs(p[f], j[f], f)
    return out + timestamp_diffs(port) + timestamp_diffs(js)


def request_diffs(port_recs: list[Any], js_recs: list[Any]) -> list[str]:
    """The requests both sides sent: same count, method, raw path, body and Content-Type."""
    if len(port_recs) != len(js_recs):
        return [f"port sent {len(port_recs)} request(s), JS {len(js_recs)}"]
    out = []
    for i, (p, j) in enumerate(zip(port_recs, js_recs)):
        for name, pv, jv in (("method", p.method, j.method), ("path", p.raw_path, j.raw_path),
                             ("body", p.body, j.body),
                             ("content-type", p.header("Content-Type"), j.header("Content-Type"))):
            if pv != jv:
                out.append(f"request #{i} {name}: port {pv!r} != JS {jv!r}")
    return out


# ---------------------------------------------------------------------------
# Hand-derived scenarios (line numbers: backend.ai-client-node.ts of 21.3.1)
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Resolves:
    value: Any


@dataclass(frozen=True)
class Rejects:
    code: int
    statusCode: Any
    statusText: Any
    title: Any = None
    message: Any = None
    description: Any = None
    js_cause: str | None = None  # ERR_REQUEST/ERR_RESPONSE: the start of String(err) under Node 20


@dataclass(frozen=True)
class Scenario:
    id: str
    replies: tuple[Reply, ...]
    expect: Resolves | Rejects
    call: Call = Call()
    requests: int = 1  # how many requests reach the server
    refused: bool = False  # send to a port nobody listens on
    bug: str | None = None  # the known port mismatch this scenario shows (see KNOWN_PORT_MISMATCHES)


def _json(status: int, reason: str, body: str | bytes, ctype: str = "application/json", **kw: Any) -> Reply:
    raw = body.encode() if isinstance(body, str) else body
    return Reply(status, reason, [("Content-Type", ctype)], raw, **kw)


def _srv(status: int, reason: str, body_title: Any, message_tail: Any, description: Any) -> Rejects:
    """ERR_SERVER as l.352-362 builds it."""
    return Rejects(ERR_SERVER, status, reason, f"{status} {reason} - {body_title}",
                   f"server responded failure: {status} {reason} - {message_tail}", description)


def _timeout() -> Rejects:
    # l.286 (the timer sets ERR_TIMEOUT and aborts) and l.372-378.
    return Rejects(ERR_TIMEOUT, 408, "Timeout exceeded", "Request timeout", "No response returned within timeout",
                   "No response returned within timeout")


NGINX_502 = (b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
             b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.18.0</center>\r\n"
             b"</body>\r\n</html>\r\n")

SCENARIOS: list[Scenario] = [
    # -- ERR_SERVER: l.294-316 parse the body by Content-Type, `throw body` if !resp.ok, l.352-362 format.
    Scenario("server-error-msg-and-title",
             (_json(500, "Internal Server Error", '{"type":"https://api.backend.ai/probs/session-not-found",'
                    '"title":"Session not found","msg":"No such session: s1"}'),),
             _srv(500, "Internal Server Error", "Session not found", "No such session: s1", "No such session: s1"),
             Call("POST", "/session/s1", {"a": 1})),
    # l.356 `if (body.msg)` false without msg: message and description from body.title (l.360-361);
    # problem+json is parsed as JSON (l.302); GET has no requestParameters (l.274).
    Scenario("server-error-problem-json-title-only",
             (_json(404, "Not Found", '{"type":"https://api.backend.ai/probs/generic-not-found","title":"Not found"}',
                    "application/problem+json"),),
             _srv(404, "Not Found", "Not found", "Not found", "Not found"), Call("GET", "/session/s1?owner=x")),
    # JS truthiness at l.356: "" and 0 are falsy.
    Scenario("server-error-empty-msg",
             (_json(400, "Bad Request", '{"title":"Invalid input","msg":""}'),),
             _srv(400, "Bad Request", "Invalid input", "Invalid input", "Invalid input")),
    Scenario("server-error-zero-msg",
             (_json(400, "Bad Request", '{"title":"Invalid input","msg":0}'),),
             _srv(400, "Bad Request", "Invalid input", "Invalid input", "Invalid input")),
    # No title, no msg: `${undefined}` and description undefined (l.354, l.360-361).
    Scenario("server-error-no-title-no-msg",
             (_json(403, "Forbidden", '{"error":"denied"}'),),
             _srv(403, "Forbidden", "undefined", "undefined", None)),
    # Non-string values are interpolated with String(): 1e21 -> "1e+21", objects -> "[object Object]".
    Scenario("server-error-number-title-object-msg",
             (_json(422, "Unprocessable Entity", '{"title":1e21,"msg":{"k":[1]}}'),),
             _srv(422, "Unprocessable Entity", "1e+21", "[object Object]", {"k": [1]})),
    # null -> "null"; arrays join with "," and null elements print as "".
    Scenario("server-error-null-title-array-msg",
             (_json(409, "Conflict", '{"title":null,"msg":[1,[2,3],null]}'),),
             _srv(409, "Conflict", "null", "1,2,3,", [1, [2, 3], None])),
    Scenario("server-error-true-title-false-msg",
             (_json(400, "Bad Request", '{"title":true,"msg":false}'),),
             _srv(400, "Bad Request", "true", "true", True)),
    # A JSON string or array body has no .title/.msg.
    Scenario("server-error-json-string-body",
             (_json(500, "Internal Server Error", '"something broke"'),),
             _srv(500, "Internal Server Error", "undefined", "undefined", None)),
    # A proxy's HTML page: text/* is read as text (l.306-307), a string has no .title.
    Scenario("server-error-proxy-html",
             (Reply(502, "Bad Gateway", [("Content-Type", "text/html")], NGINX_502),),
             _srv(502, "Bad Gateway", "undefined", "undefined", None)),
    # No Content-Type: a Blob (l.296-300).
    Scenario("server-error-no-content-type",
             (Reply(503, "Service Unavailable", [], b"busy"),),
             _srv(503, "Service Unavailable", "undefined", "undefined", None)),
    # rawFile: always a Blob (l.308-313), even for a JSON error body.
    Scenario("server-error-raw-file",
             (_json(500, "Internal Server Error", '{"title":"t","msg":"m"}'),),
             _srv(500, "Internal Server Error", "undefined", "undefined", None), Call(rawFile=True)),
    Scenario("server-error-json-charset",
             (_json(401, "Unauthorized", '{"title":"Unauthorized access","msg":"Signature mismatch"}',
                    "application/json; charset=utf-8"),),
             _srv(401, "Unauthorized", "Unauthorized access", "Signature mismatch", "Signature mismatch")),
    Scenario("server-error-empty-reason",
             (_json(500, "", '{"title":"x"}'),), _srv(500, "", "x", "x", "x")),
    # Unsigned (newPublicRequest has no body, l.1225-1231): requestParameters undefined.
    Scenario("server-error-public-request",
             (_json(500, "Internal Server Error", '{"title":"x"}'),),
             _srv(500, "Internal Server Error", "x", "x", "x"), Call("POST", "/server/login", {"a": 1}, signed=False)),
    # A deeply nested (valid) JSON body: JSON.parse copes; a 500 is an ERR_SERVER without a title.
    # -- ERR_RESPONSE: errorType is ERR_RESPONSE from l.294 until l.315; resp.status is known.
    Scenario("response-error-broken-json",
             (_json(500, "Internal Server Error", '{"title": "x"'),),
             Rejects(ERR_RESPONSE, 500, "Internal Server Error", js_cause="SyntaxError: ")),
    Scenario("response-error-empty-json",
             (_json(200, "OK", b""),), Rejects(ERR_RESPONSE, 200, "OK",
                                               js_cause="SyntaxError: Unexpected end of JSON input")),
    Scenario("response-error-html-as-json",
             (_json(502, "Bad Gateway", NGINX_502),), Rejects(ERR_RESPONSE, 502, "Bad Gateway", js_cause="SyntaxError: ")),
    Scenario("response-error-nan-literal",
             (_json(200, "OK", '{"a":NaN}'),), Rejects(ERR_RESPONSE, 200, "OK", js_cause="SyntaxError: ")),
    Scenario("response-error-body-cut-short",
             (_json(200, "OK", '{"a":"0123456789"}', truncate=5),),
             Rejects(ERR_RESPONSE, 200, "OK", js_cause="TypeError: terminated"), bug="body-read-errors"),
    # -- ERR_REQUEST: fetch itself rejects (l.290) while errorType is still ERR_REQUEST (l.266);
    # resp is undefined, so statusCode/statusText are undefined (l.331-332).
    Scenario("request-error-refused", (), Rejects(ERR_REQUEST, None, None, js_cause="TypeError: fetch failed"),
             Call("GET", "/server/version"), requests=0, refused=True),
    Scenario("request-error-closed-without-answer", (Reply(close=True),),
             Rejects(ERR_REQUEST, None, None, js_cause="TypeError: fetch failed"), Call("POST", "/x", {"k": "v"})),
    # -- ERR_TIMEOUT: per-call timeout, and the client's requestTimeout when timeout is 0 (l.288).
    Scenario("timeout-per-call", (_json(200, "OK", "{}", delay=1.0),), _timeout(), Call(timeout=300)),
    Scenario("timeout-client-default", (_json(200, "OK", "{}", delay=1.0),), _timeout(),
             Call("GET", "/x", timeout=0, requestTimeout=300)),
    # -- retry: any failure waits 2 s (l.320-322) and calls again with retry - 1.
    Scenario("retry-then-success",
             (_json(500, "Internal Server Error", '{"title":"x"}'), _json(200, "OK", '{"ok":true}')),
             Resolves({"ok": True}), Call(retry=1), requests=2),
    Scenario("retry-exhausted",
             (_json(503, "Service Unavailable", '{"title":"a"}'), _json(502, "Bad Gateway", '{"title":"b","msg":"c"}')),
             _srv(502, "Bad Gateway", "b", "c", "c"), Call(retry=1), requests=2),
    # -- success: the body by Content-Type (l.296-313).
    Scenario("success-json", (_json(200, "OK", '{"a":[1,"x",null],"b":{"c":1.5}}'),),
             Resolves({"a": [1, "x", None], "b": {"c": 1.5}})),
    Scenario("success-problem-json", (_json(201, "Created", '[1,2]', "application/problem+json"),), Resolves([1, 2])),
    Scenario("success-text", (Reply(200, "OK", [("Content-Type", "text/plain")], b"plain text"),),
             Resolves("plain text")),
    Scenario("success-octet-stream", (Reply(200, "OK", [("Content-Type", "application/octet-stream")], b"\x00\xff"),),
             Resolves(b"\x00\xff")),
    Scenario("success-no-content-type", (Reply(200, "OK", [], b'{"a":1}'),), Resolves(b'{"a":1}')),
    Scenario("success-raw-file", (_json(200, "OK", '{"a":1}'),), Resolves(b'{"a":1}'), Call(rawFile=True)),
    # startsWith is case-sensitive (l.301): "Application/JSON" is not JSON.
    Scenario("success-uppercase-json-type", (_json(200, "OK", '{"a":1}', "Application/JSON"),), Resolves(b'{"a":1}')),
    Scenario("success-204-no-content", (Reply(204, "No Content", [], b""),), Resolves(b""), Call("DELETE", "/x")),

    # -- known port mismatches ---------------------------------------------------------------------
    # fetch's resp.ok is status 200-299 (l.316); 3xx (not followed without Location) and 600+ are failures.
    Scenario("status-300-is-not-ok", (_json(300, "Multiple Choices", '{"title":"choose"}'),),
             _srv(300, "Multiple Choices", "choose", "choose", "choose"), bug="ok-status"),
    Scenario("status-600-is-not-ok", (_json(600, "Six Hundred", '{"title":"t"}'),),
             _srv(600, "Six Hundred", "t", "t", "t"), bug="ok-status"),
    # fetch turns a 407 into a network error ("fetch failed": the Fetch standard's HTTP-network-or-cache
    # fetch, no window to prompt in), so fetch rejects at l.290 while errorType is ERR_REQUEST.
    Scenario("status-407-is-a-network-error",
             (_json(407, "Proxy Authentication Required", '{"title":"proxy"}'),),
             Rejects(ERR_REQUEST, None, None, js_cause="TypeError: fetch failed"), bug="status-407"),
    # fetch re-sends a request answered with 421 once, on a new connection (Fetch standard,
    # HTTP-network-or-cache fetch); l.290 then gets the second answer.
    Scenario("status-421-is-retried-by-fetch",
             (_json(421, "Misdirected Request", '{"title":"wrong host"}'), _json(200, "OK", '{"ok":true}')),
             Resolves({"ok": True}), Call("GET", "/x"), requests=2, bug="status-421"),
    # resp.text() (l.307) is always UTF-8 with the BOM stripped, whatever the charset says.
    Scenario("text-is-utf8", (Reply(200, "OK", [("Content-Type", "text/plain")], "héllo wörld ✓".encode()),),
             Resolves("héllo wörld ✓"), bug="text-decoding"),
    Scenario("text-charset-ignored",
             (Reply(200, "OK", [("Content-Type", "text/html; charset=iso-8859-1")], BOM + "é".encode()),),
             Resolves("é"), bug="text-decoding"),
    # resp.json() (l.303) decodes UTF-8 and strips a BOM before JSON.parse.
    Scenario("json-with-bom", (_json(200, "OK", BOM + b'{"a":1}'),), Resolves({"a": 1}), bug="json-bom"),
    # A JSON `null` body: l.304 reads null.type and throws a TypeError while errorType is ERR_RESPONSE.
    Scenario("json-null-body-success", (_json(200, "OK", "null"),),
             Rejects(ERR_RESPONSE, 200, "OK", js_cause="TypeError: Cannot read properties of null"), bug="json-null"),
    Scenario("json-null-body-error", (_json(404, "Not Found", " null "),),
             Rejects(ERR_RESPONSE, 404, "Not Found", js_cause="TypeError: Cannot read properties of null"),
             bug="json-null"),
    # JSON.parse gives doubles: integers beyond 2**53 are rounded.
    Scenario("json-big-integers", (_json(200, "OK", "[12345678901234567890,9007199254740993]"),),
             Resolves([1.2345678901234567e19, 9007199254740992.0]), bug="json-big-int"),
    Scenario("json-big-integer-msg", (_json(400, "Bad Request", '{"msg":12345678901234567890}'),),
             _srv(400, "Bad Request", "undefined", "12345678901234567000", 1.2345678901234567e19), bug="json-big-int"),
    # JS objects enumerate integer-like keys first, ascending, then the others in insertion order.
    Scenario("json-key-order", (_json(200, "OK", '{"b":1,"10":2,"a":3,"2":4}'),),
             Resolves({"2": 4, "10": 2, "b": 1, "a": 3}), bug="json-key-order"),
    # resp.statusText is the reason phrase as sent (not stripped), decoded as UTF-8.
    Scenario("reason-phrase-verbatim", (_json(500, " Spaced Reason ", '{"title":"x"}'),),
             _srv(500, " Spaced Reason ", "x", "x", "x"), bug="reason-phrase-space"),
    Scenario("reason-phrase-utf8", (_json(500, "Fehler ü".encode().decode("latin-1"), '{"title":"x"}'),),
             _srv(500, "Fehler ü", "x", "x", "x"), bug="reason-phrase"),
    # A deeply nested (valid) JSON body: JSON.parse copes; a 500 is an ERR_SERVER without a title.
    Scenario("json-deeply-nested", (_json(500, "Internal Server Error", "[" * 3000 + "]" * 3000),),
             _srv(500, "Internal Server Error", "undefined", "undefined", None), bug="json-depth"),
    # The timer is cleared once the headers are in (l.291-293): a slow body is waited for.
    Scenario("slow-body-after-headers", (_json(200, "OK", '{"a":1}', body_delay=0.8),), Resolves({"a": 1}),
             Call(timeout=300), bug="body-timeout"),
]

#: The port/JS mismatches found by these tests (see the scenarios marked with each). A marked
#: scenario passes once the port is fixed; the mark only explains a failure and lets the properties
#: skip inputs that would show the same bug again (see present_port_bugs).
KNOWN_PORT_MISMATCHES = {
    # Fixed in the port while these tests were written; kept as a regression check.
    "ok-status": "3xx and >= 600 statuses resolve: the port uses requests' Response.ok (status < 400) "
                 "instead of fetch's ok (200-299)",
    "status-407": "a 407 answer is an ERR_SERVER, while fetch makes it a network error (JS ERR_REQUEST, "
                  "statusCode undefined)",
    "status-421": "a 421 answer is final, while fetch re-sends the request once on a new connection "
                  "(JS sends two requests and returns the second answer)",
    "text-decoding": "text/* bodies are decoded with the charset parameter or ISO-8859-1 (requests' default) "
                     "instead of UTF-8 with the BOM stripped",
    "json-bom": "a JSON body starting with a UTF-8 BOM is an ERR_RESPONSE instead of being parsed",
    "json-null": "a JSON `null` body resolves to None / is an ERR_SERVER instead of JS's ERR_RESPONSE "
                 "(TypeError reading null.type)",
    "json-big-int": "integers beyond 2**53 keep full precision instead of becoming doubles",
    "json-key-order": "parsed objects keep document key order instead of JS order (integer-like keys first)",
    "reason-phrase": "statusText is decoded as ISO-8859-1 instead of UTF-8",
    "reason-phrase-space": "statusText is stripped of surrounding whitespace (http.client does it) instead of "
                           "kept verbatim",
    "body-read-errors": "a failure while reading the body (connection cut short, read timeout) escapes as a raw "
                        "urllib3 exception (ProtocolError, ReadTimeoutError) instead of an ERR_RESPONSE",
    "redirect-body": "a 3xx with a Location header loses its body (requests' redirect handling reads it before "
                     "the port reads resp.raw), so it is an ERR_RESPONSE instead of an ERR_SERVER",
    "json-depth": "a JSON body nested deeper than Python's parser allows (3000 levels) is an ERR_RESPONSE, "
                  "while JSON.parse copes (documented in the README)",
    "body-timeout": "the per-call timeout also limits each read of the body (the call fails), while JS clears "
                    "it once the headers are in and waits for the body",
}
assert {s.bug for s in SCENARIOS if s.bug} | {"redirect-body"} == set(KNOWN_PORT_MISMATCHES)


def expected_parameters(call: Call) -> Any:
    if call.method == "GET" or not call.signed:  # l.274; newPublicRequest has no body
        return None
    if call.body is None:  # newSignedRequest l.1138-1140
        return ""
    return json.dumps(call.body, separators=(",", ":"), ensure_ascii=False)  # JSON.stringify, simple bodies


def expectation_diffs(outcome: Outcome, sc: Scenario, endpoint: str) -> list[str]:
    exp = sc.expect
    if isinstance(exp, Resolves):
        if not outcome.resolved:
            return [f"expected to resolve with {exp.value!r}; {outcome.brief()}"]
        return value_diffs(outcome.value, exp.value)
    if outcome.resolved:
        return [f"expected to reject with ERR {exp.code}; {outcome.brief()}"]
    e = outcome.error
    out: list[str] = []
    if e["code"] != exp.code:
        out.append(f"type: ERR {e['code']} != expected ERR {exp.code}")
    url = {v: k for k, v in ERR_BY_PROBLEM.items()}[exp.code]
    if e["problemType"] != url:
        out.append(f"problemType {e['problemType']!r} != {url!r}")
    out += value_diffs(e["requestUrl"], endpoint + sc.call.path, "requestUrl")
    out += value_diffs(e["requestMethod"], sc.call.method, "requestMethod")
    out += value_diffs(e["requestParameters"], expected_parameters(sc.call), "requestParameters")
    out += value_diffs(e["statusCode"], exp.statusCode, "statusCode")
    out += value_diffs(e["statusText"], exp.statusText, "statusText")
    if exp.code in CAUSE_PREFIX:
        if e["code"] == exp.code:
            out += cause_diffs(outcome, exp.code)
        if outcome.side == "JS" and exp.js_cause and not str(e["title"]).startswith(exp.js_cause):
            out.append(f"JS cause {e['title']!r} does not start with {exp.js_cause!r}")
    else:
        for f in ("title", "message", "description"):
            out += value_diffs(e[f], getattr(exp, f), f)
    return out + timestamp_diffs(outcome)


def run_scenario(server: ScriptedServer, sc: Scenario, run: Callable[[str, Call], Outcome]) -> list[str]:
    endpoint = f"http://127.0.0.1:{closed_port()}" if sc.refused else server.endpoint
    try:
        outcome, recs = exchange(server, sc.replies, lambda: run(endpoint, sc.call), signed=sc.call.signed)
    except (AssertionError, BackendAIError):
        raise
    except Exception as exc:  # noqa: BLE001 - any other exception is itself the finding
        return [f"raised {type(exc).__name__}: {str(exc)[:200]} instead of resolving or rejecting with a "
                f"BackendAIError"]
    diffs = expectation_diffs(outcome, sc, endpoint)
    if len(recs) != sc.requests:
        diffs.append(f"{len(recs)} request(s) reached the server, expected {sc.requests}")
    if sc.call.retry and outcome.finished - outcome.started < 2.0 * sc.call.retry:
        diffs.append(f"{sc.call.retry} retr(y/ies) took only {outcome.finished - outcome.started:.2f} s (JS waits 2 s)")
    return diffs


def _scenario_params() -> list[Any]:
    return [pytest.param(sc, id=sc.id) for sc in SCENARIOS]


#: Mismatches the README lists as deliberate differences; each has its own test of the port's behaviour below.
DOCUMENTED_DEVIATIONS = {
    "json-depth": "test_deeply_nested_json_is_a_response_error",
    "reason-phrase-space": "test_reason_phrase_whitespace_is_trimmed",
}


@pytest.mark.parametrize("sc", _scenario_params())
def test_port_matches_js_source(sc: Scenario, scripted_server: ScriptedServer) -> None:
    """The port against the outcome derived from the JS source (runs without Node)."""
    if sc.bug in DOCUMENTED_DEVIATIONS:
        pytest.skip(f"documented difference from JS (README); checked by {DOCUMENTED_DEVIATIONS[sc.bug]}")
    diffs = run_scenario(scripted_server, sc, run_port)
    if diffs and sc.bug:
        # Not an xfail: these are undocumented port bugs and must stay visible until fixed.
        diffs.insert(0, f"known port mismatch {sc.bug!r}: {KNOWN_PORT_MISMATCHES[sc.bug]}")
    assert not diffs, "\n".join(diffs)


@pytest.mark.oracle
@pytest.mark.parametrize("sc", _scenario_params())
def test_js_matches_js_source(sc: Scenario, scripted_server: ScriptedServer, oracle: Any) -> None:
    """The hand derivations above, checked against the live JS SDK."""
    diffs = run_scenario(scripted_server, sc, lambda endpoint, call: run_js(oracle, endpoint, call))
    assert not diffs, "\n".join(diffs)


def test_redirect_is_not_followed(scripted_server: ScriptedServer) -> None:
    """A 3xx with Location: the port answers ERR_SERVER and sends nothing more.

    JS (fetch's default redirect: 'follow') re-sends the request to the new
    location with the signature made for the old one, which a manager rejects
    (see test_js_follows_redirects_with_a_stale_signature). Not following is
    a documented difference (README, "Redirects": "a 3xx fails as
    ERR_SERVER"); the 3xx must then map as any other non-2xx answer does
    (l.316, l.352-362), title and msg from its JSON body included.
    """
    sc = Scenario("redirect", (Reply(302, "Found", [("Content-Type", "application/json"), ("Location", "/elsewhere")],
                                     b'{"title":"moved"}'),),
                  _srv(302, "Found", "moved", "moved", "moved"), bug="redirect-body")
    diffs = run_scenario(scripted_server, sc, run_port)
    assert not diffs, "\n".join([f"known port mismatch 'redirect-body': {KNOWN_PORT_MISMATCHES['redirect-body']}",
                                  *diffs])


@pytest.mark.oracle
def test_js_follows_redirects_with_a_stale_signature(scripted_server: ScriptedServer, oracle: Any) -> None:
    server = scripted_server
    server.reset()
    server.script(Reply(302, "Found", [("Content-Type", "application/json"), ("Location", "/elsewhere")],
                        b'{"title":"moved"}'),
                  _json(401, "Unauthorized", '{"title":"Unauthorized access","msg":"Signature mismatch"}'))
    outcome = run_js(oracle, server.endpoint, Call("POST", "/session/s1", {"a": 1}))
    recs = server.take(check_signatures=False)
    assert [(r.method, r.raw_path) for r in recs] == [("POST", "/session/s1"), ("GET", "/elsewhere")]
    assert recs[0].verdict and not recs[1].verdict, "JS re-sends the old signature to the new location"
    assert outcome.error and outcome.error["statusCode"] == 401


# ---------------------------------------------------------------------------
# Which known mismatches the port still has (the properties skip their inputs)
# ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def present_port_bugs(scripted_server: ScriptedServer) -> frozenset[str]:
    if ALL_INPUTS:
        return frozenset()
    present = {sc.bug for sc in SCENARIOS
               if sc.bug and not sc.call.timeout and run_scenario(scripted_server, sc, run_port)}
    return frozenset(present)


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _js_parse(body: bytes) -> tuple[bool, Any]:
    """(parsed?, value) as resp.json() would see the body (UTF-8, BOM stripped, no NaN/Infinity)."""
    text = body.decode("utf-8", "replace").removeprefix("\ufeff")
    try:
        return True, json.loads(text, parse_constant=_no_constants)
    except (ValueError, RecursionError):
        return False, None


def _walk(value: Any) -> Any:
    yield value
    if isinstance(value, list):
        for v in value:
            yield from _walk(v)
    elif isinstance(value, dict):
        for v in value.values():
            yield from _walk(v)


def mismatch_class(reply: Reply, call: Call) -> set[str]:
    """The known port mismatches this exchange could show (by its inputs alone)."""
    out: set[str] = set()
    if 300 <= reply.status < 400 or reply.status >= 600:
        out.add("ok-status")
    if reply.status == 407 and not reply.close:
        out.add("status-407")
    if reply.status == 421 and not reply.close:
        out.add("status-421")
    if 300 <= reply.status < 400 and any(k.lower() == "location" for k, _ in reply.headers):
        out.add("redirect-body")
    if reply.truncate is not None or reply.body_delay:
        out.add("body-read-errors")
    if reply.reason is not None and not reply.reason.isascii():
        out.add("reason-phrase")
    if reply.reason is not None and reply.reason != reply.reason.strip():
        out.add("reason-phrase-space")
    if reply.close:
        return out
    ctype = dict((k.lower(), v) for k, v in reply.headers).get("content-type")
    if ctype is None or call.rawFile:
        return out
    if ctype.startswith("text/") and not reply.body.isascii() and 200 <= reply.status < 300:
        out.add("text-decoding")
    if ctype.startswith(("application/json", "application/problem+json")):
        if reply.body.startswith(BOM):
            out.add("json-bom")
        ok, value = _js_parse(reply.body)
        if ok and value is None:
            out.add("json-null")
        if ok:
            for v in _walk(value):
                if isinstance(v, int) and not isinstance(v, bool) and abs(v) > 2**53:
                    out.add("json-big-int")
                if isinstance(v, dict) and list(v) != object_keys(v):
                    out.add("json-key-order")
    return out


def skip_known(reply: Reply, call: Call, present: frozenset[str]) -> None:
    hit = mismatch_class(reply, call) & present
    if hit:
        note(f"skipped: shows known port mismatch(es) {sorted(hit)}")
        reject()


# ---------------------------------------------------------------------------
# Strategies
# ---------------------------------------------------------------------------
CONTENT_TYPES = [None, "application/json", "application/problem+json", "application/json; charset=utf-8",
                 "text/html", "text/html; charset=utf-8", "text/plain", "text/plain; charset=iso-8859-1",
                 "application/octet-stream", "Application/JSON", "application/jsonp", ""]
JSON_TYPES = ["application/json", "application/problem+json", "application/json; charset=utf-8"]
COMMON_STATUSES = [200, 201, 202, 204, 206, 299, 300, 301, 302, 304, 400, 401, 403, 404, 405, 409, 410, 413,
                   418, 422, 429, 500, 501, 502, 503, 504, 599, 600, 999]
NO_BODY_STATUSES = {204, 205, 304}
HTML_PAGES = [NGINX_502, b"<!DOCTYPE html><html><body><h1>503 Service Temporarily Unavailable</h1></body></html>",
              b"<html><title>504 Gateway Time-out</title></html>"]
BROKEN_JSON = [b"{", b'{"title": "x"', b"{'title': 'x'}", b'{"a":1,}', b"[1,]", b"01", b"NaN", b"Infinity",
               b'{"a":NaN}', b"-", b"tru", b'"\\x"', b"\x0c{}", b'{"a":1} x', b"\xff\xfe{}", b"undefined",
               b'{"title":"x"}{"msg":"y"}', b"1e400", b"-0", b"[" * 50, b'"\\ud800"']

safe_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=12)
json_keys = st.one_of(st.sampled_from(["title", "msg", "type", "detail", "status", "error", "data", "1", "0", "10"]),
                      st.text(string.ascii_letters + string.digits + "_-é ", max_size=6))
json_scalars = st.one_of(
    st.none(), st.booleans(),
    st.integers(-(2**53) + 1, 2**53 - 1), st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    safe_text, st.sampled_from(["\ud800x", "", "0", "[object Object]", "ünïcödé ✓"]),
)
json_values = st.recursive(json_scalars, lambda kids: st.one_of(st.lists(kids, max_size=3),
                                                                 st.dictionaries(json_keys, kids, max_size=3)),
                           max_leaves=8)
title_values = st.one_of(safe_text, json_values)
error_objects = st.fixed_dictionaries(
    {},
    optional={"type": st.sampled_from([PROBS + "generic-not-found", PROBS + "server-error", "about:blank", "x"]),
              "title": title_values, "msg": title_values, "status": st.integers(0, 999), "detail": safe_text},
)


@st.composite
def json_text(draw: st.DrawFn, values: st.SearchStrategy[Any]) -> bytes:
    value = draw(values)
    compact = draw(st.booleans())
    text = json.dumps(value, ensure_ascii=True if _has_surrogate(value) else draw(st.booleans()),
                      separators=(",", ":") if compact else (", ", ": "))
    return draw(st.sampled_from(["", " ", "\n"])).encode() + text.encode("utf-8") + draw(
        st.sampled_from([b"", b"\n", b" \r\n"]))


def _has_surrogate(value: Any) -> bool:
    return any(isinstance(v, str) and any(0xD800 <= ord(c) <= 0xDFFF for c in v)
               or isinstance(v, dict) and any(any(0xD800 <= ord(c) <= 0xDFFF for c in k) for k in v)
               for v in _walk(value))


bodies = st.one_of(
    json_text(error_objects),
    json_text(json_values),
    st.sampled_from(BROKEN_JSON),
    json_text(json_values).flatmap(lambda b: st.integers(1, max(1, len(b) - 1)).map(lambda k: b[:k])),
    st.just(b""),
    st.sampled_from(HTML_PAGES),
    st.binary(max_size=48),
    safe_text.map(lambda s: s.encode("utf-8")),
    json_text(json_values).map(lambda b: BOM + b),
)
reasons = st.one_of(
    st.none(),
    st.sampled_from(["OK", "Not Found", "", "Bad Gateway", "Custom Reason", "x", "Internal  Server Error"]),
    st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=16),
    st.text(st.sampled_from(list("ab \té")), max_size=6),
)
statuses = st.one_of(st.sampled_from(COMMON_STATUSES), st.integers(200, 599))
segments = st.text(string.ascii_letters + string.digits + "-_", min_size=1, max_size=8)
paths = st.builds(
    lambda segs, query: "/" + "/".join(segs) + ("?" + "&".join(f"{k}={v}" for k, v in query) if query else ""),
    st.lists(segments, min_size=1, max_size=3), st.lists(st.tuples(segments, segments), max_size=2))
# Keys naming a password or secret are left out: the port hides their values in requestParameters
# (a documented difference, README "requestParameters of a failed call").
request_bodies = st.one_of(st.none(), st.dictionaries(
    segments.filter(lambda k: not re.search("password|secret", k, re.I)),
    st.one_of(st.integers(-1000, 1000), safe_text, st.booleans(), st.none()), max_size=3))
calls = st.builds(Call, method=st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE"]), path=paths,
                  body=request_bodies, signed=st.booleans(), rawFile=st.sampled_from([False, False, False, True]))


@st.composite
def replies(draw: st.DrawFn, status: st.SearchStrategy[int] = statuses,
            ctypes: st.SearchStrategy[str | None] = st.sampled_from(CONTENT_TYPES),
            body: st.SearchStrategy[bytes] = bodies) -> Reply:
    code = draw(status)
    ctype = draw(ctypes)
    raw = b"" if code in NO_BODY_STATUSES else draw(body)
    return Reply(code, draw(reasons), [] if ctype is None else [("Content-Type", ctype)], raw)


# ---------------------------------------------------------------------------
# Properties: the port and JS make the same exchange and must agree
# ---------------------------------------------------------------------------
def compare_exchange(server: ScriptedServer, oracle: Any, reply_list: tuple[Reply, ...], call: Call,
                     endpoint: str | None = None) -> None:
    endpoint = endpoint or server.endpoint
    note(f"replies={reply_list!r}\ncall={call!r}")
    repeat = len(reply_list) == 1
    port, port_recs = exchange(server, reply_list, lambda: run_port(endpoint, call), signed=call.signed,
                               repeat=repeat)
    js, js_recs = exchange(server, reply_list, lambda: run_js(oracle, endpoint, call), signed=call.signed,
                           repeat=repeat)
    diffs = outcome_diffs(port, js) + request_diffs(port_recs, js_recs)
    assert not diffs, "\n".join([*diffs, port.brief(), js.brief()])


@pytest.mark.oracle
@given(reply=replies(), call=calls)
def test_responses_map_like_js(reply: Reply, call: Call, scripted_server: ScriptedServer, oracle: Any,
                               present_port_bugs: frozenset[str]) -> None:
    """Any status, reason, content type and body: same resolved value or same error fields."""
    skip_known(reply, call, present_port_bugs)
    compare_exchange(scripted_server, oracle, (reply,), call)


@pytest.mark.oracle
@given(reply=replies(status=st.integers(400, 599), ctypes=st.sampled_from(JSON_TYPES),
                     body=st.one_of(json_text(error_objects), json_text(json_values))),
       call=calls)
def test_json_error_bodies_map_like_js(reply: Reply, call: Call, scripted_server: ScriptedServer, oracle: Any,
                                       present_port_bugs: frozenset[str]) -> None:
    """ERR_SERVER from JSON bodies: title/msg of every JSON type, present or not."""
    skip_known(reply, call, present_port_bugs)
    compare_exchange(scripted_server, oracle, (reply,), call)


@st.composite
def broken_connections(draw: st.DrawFn) -> tuple[tuple[Reply, ...], bool]:
    kind = draw(st.sampled_from(["close", "truncate", "no-length", "refused"]))
    if kind == "refused":
        return (), True
    reply = draw(replies(status=st.sampled_from([200, 201, 400, 404, 500, 502, 503]),
                         body=st.one_of(json_text(error_objects), st.binary(min_size=1, max_size=32))))
    if kind == "close":
        reply = replace(reply, close=True)
    elif kind == "truncate":
        reply = replace(reply, truncate=draw(st.integers(0, max(0, len(reply.body) - 1))))
    else:
        reply = replace(reply, content_length=False)
    return (reply,), False


@pytest.mark.oracle
@given(case=broken_connections(), call=calls)
def test_broken_connections_map_like_js(case: tuple[tuple[Reply, ...], bool], call: Call,
                                        scripted_server: ScriptedServer, oracle: Any,
                                        present_port_bugs: frozenset[str]) -> None:
    """Closed without an answer, body cut short, body ended by closing, nobody listening."""
    reply_list, refused = case
    for reply in reply_list:
        skip_known(reply, call, present_port_bugs)
    endpoint = f"http://127.0.0.1:{closed_port()}" if refused else None
    compare_exchange(scripted_server, oracle, reply_list, call, endpoint)


@pytest.mark.oracle
@settings(max_examples=4)
@given(reply=replies(), call=calls, timeout=st.sampled_from([150, 300]), per_call=st.booleans())
def test_timeouts_map_like_js(reply: Reply, call: Call, timeout: int, per_call: bool,
                              scripted_server: ScriptedServer, oracle: Any) -> None:
    """The server answers after the timeout: ERR_TIMEOUT, 408 'Timeout exceeded' on both sides."""
    reply = replace(reply, delay=timeout / 1000 + 0.5)
    call = replace(call, timeout=timeout) if per_call else replace(call, timeout=0, requestTimeout=timeout)
    compare_exchange(scripted_server, oracle, (reply,), call)


RETRY_CASES = [
    pytest.param((_json(500, "Internal Server Error", '{"title":"x"}'), _json(200, "OK", '{"ok":true}')),
                 id="server-error-then-success"),
    pytest.param((_json(503, "Service Unavailable", '{"title":"a"}'),
                  Reply(502, "Bad Gateway", [("Content-Type", "text/html")], NGINX_502)),
                 id="server-error-twice"),
    pytest.param((Reply(close=True), Reply(200, "OK", [("Content-Type", "text/plain")], b"fine")),
                 id="closed-then-success"),
    pytest.param((_json(200, "OK", '{"late":true}', delay=0.8), _json(200, "OK", '{"ok":1}')),
                 id="timeout-then-success"),
]


@pytest.mark.oracle
@pytest.mark.parametrize("reply_list", RETRY_CASES)
def test_retry_maps_like_js(reply_list: tuple[Reply, ...], scripted_server: ScriptedServer, oracle: Any) -> None:
    """retry=1: both sides try twice (JS waits 2 s) and end with the same result.

    The two sides run at once on different paths (the server scripts each
    path separately), so this costs one retry delay, not two.
    """
    server = scripted_server
    server.reset()
    base = Call("POST", "/retry", {"n": 1}, retry=1, timeout=300)
    port_call, js_call = replace(base, path="/retry?side=port"), replace(base, path="/retry?side=js")
    server.script(*reply_list, path=port_call.path)
    server.script(*reply_list, path=js_call.path)
    result: dict[str, Outcome] = {}
    worker = threading.Thread(target=lambda: result.setdefault("port", run_port(server.endpoint, port_call)))
    worker.start()
    js = run_js(oracle, server.endpoint, js_call)
    worker.join(timeout=30)
    assert "port" in result, "the port's call did not finish"
    port = result["port"]
    port_recs, js_recs = server.take(signed=True, path=port_call.path), server.take(signed=True, path=js_call.path)
    assert len(port_recs) == len(js_recs) == 2
    diffs = outcome_diffs(port, js, url_map=lambda u: u.replace("side=port", "side=js"))
    for o in (port, js):
        if o.finished - o.started < 2.0:
            diffs.append(f"{o.side} retried after {o.finished - o.started:.2f} s (JS waits 2 s)")
    assert not diffs, "\n".join([*diffs, port.brief(), js.brief()])


# ---------------------------------------------------------------------------
# The scripted server itself: a bad signature or an unscripted request fails the test
# ---------------------------------------------------------------------------
def test_scripted_server_flags_bad_signatures_and_unscripted_requests(scripted_server: ScriptedServer) -> None:
    import requests

    server = scripted_server
    client = ai.Client(ai.ClientConfig(ACCESS_KEY, SECRET_KEY, server.endpoint))
    rqst = client.newSignedRequest("GET", "/signed/path?a=1", None)
    headers = dict(rqst["headers"])
    server.reset()
    server.script(_json(200, "OK", "{}"), _json(200, "OK", "{}"))
    with requests.Session() as session:
        session.trust_env = False
        assert session.get(server.endpoint + "/signed/path?a=1", headers=headers, timeout=5).status_code == 200
        assert session.get(server.endpoint + "/signed/path?a=2", headers=headers, timeout=5).status_code == 200
        with pytest.raises(AssertionError, match="failed server-side verification"):
            server.take()
        assert session.get(server.endpoint + "/anything", timeout=5).status_code == 599
        with pytest.raises(AssertionError, match="no reply scripted"):
            server.take()
    client.close()
    server.reset()


def _port_client(server: ScriptedServer) -> ai.Client:
    return ai.Client(ai.ClientConfig(ACCESS_KEY, SECRET_KEY, server.endpoint))


def test_deeply_nested_json_is_a_response_error(scripted_server: ScriptedServer) -> None:
    """README: JSON nested deeper than Python's parser allows fails as ERR_RESPONSE (JS parses it)."""
    scripted_server.reset()
    scripted_server.script(_json(500, "Internal Server Error", "[" * 3000 + "]" * 3000))
    with pytest.raises(ai.ResponseError) as info:
        _port_client(scripted_server)._wrapWithPromise(
            _port_client(scripted_server).newSignedRequest("POST", "/x", None))
    scripted_server.take()
    assert info.value.type == ai.Client.ERR_RESPONSE and info.value.statusCode == 500
    assert "nested too deeply" in info.value.message


def test_reason_phrase_whitespace_is_trimmed(scripted_server: ScriptedServer) -> None:
    """README: the reason phrase loses surrounding spaces (Python's http.client strips it)."""
    scripted_server.reset()
    scripted_server.script(_json(500, " Spaced Reason ", '{"title":"x"}'))
    client = _port_client(scripted_server)
    with pytest.raises(ai.ServerError) as info:
        client._wrapWithPromise(client.newSignedRequest("POST", "/x", None))
    scripted_server.take()
    assert info.value.statusText == "Spaced Reason"
    assert info.value.title == "500 Spaced Reason - x"
