"""Python side of the JS oracle: the real JS SDK (npm ``backend.ai-client@21.3.1``)
driven through ``tests/js/harness.js``.

Usage::

    from tests.oracle import NodeOracle, JS_UNDEFINED
    with NodeOracle() as js:
        js.call("authString", config={...}, method="GET", queryString="/", dateValue="...", bodyValue="")

Protocol (JSON lines over the harness's stdin/stdout): request
``{"id": N, "op": NAME, ...args}``; answer ``{"id": N, "ok": true, "result": R}``
or ``{"id": N, "ok": false, "error": "text", "thrown": T}``. Answers may come
back in any order; they are matched by id, so ``call`` is thread-safe and
``call_many`` pipelines many requests.

Decoding of the harness's ``$``-encodings (see the header of harness.js):

==========================  ===========================================
JS value                     Python value
==========================  ===========================================
``undefined``                ``JS_UNDEFINED`` (falsy singleton)
NaN, +-Infinity, -0          ``float`` (``math.nan``, ``math.inf``, ``-0.0``)
Buffer, Blob, ArrayBuffer    ``bytes``
an Error object              ``JSErrorValue`` (a ``str`` holding ``String(err)``,
                             e.g. ``"TypeError: fetch failed"``)
a function                   ``JSFunction`` (a ``str`` holding its name)
FormData                     ``JSFormData`` (a list of ``[name, value]``)
Headers                      ``dict`` of lowercase name -> value
==========================  ===========================================

A JS exception thrown by an op raises ``JSException`` (``.message`` is
``String(err)``, ``.thrown`` the decoded exception value); a harness failure
(process died, no answer within the timeout) raises ``OracleError``.

Arguments are encoded the other way round: ``JS_UNDEFINED`` (or the port's
``backend_ai_client._jsjson.UNDEFINED``) -> ``{"$undefined": true}``,
non-finite floats and ``-0.0`` -> ``{"$number": ...}``, ``bytes`` ->
``{"$bytes": ...}``.
"""

from __future__ import annotations

import base64
import collections
import itertools
import json
import math
import os
import shutil
import subprocess
import threading
from pathlib import Path
from typing import Any, Iterable, Mapping

__all__ = [
    "HARNESS_DIR",
    "JSErrorValue",
    "JSException",
    "JSFormData",
    "JSFunction",
    "JS_UNDEFINED",
    "NodeOracle",
    "OracleError",
    "OracleTimeout",
    "decode",
    "encode",
    "in_ci",
    "js_iso",
    "oracle_unavailable_reason",
    "load_vectors",
    "port_client",
]

HARNESS_DIR = Path(__file__).resolve().parent / "js"
SDK_DIR = HARNESS_DIR / "node_modules" / "backend.ai-client"
DEFAULT_TIMEOUT = 60.0


class _JSUndefined:
    """JS ``undefined`` as returned by the oracle."""

    _instance: "_JSUndefined | None" = None

    def __new__(cls) -> "_JSUndefined":
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "JS_UNDEFINED"

    def __bool__(self) -> bool:
        return False

    def __reduce__(self) -> str:
        return "JS_UNDEFINED"


JS_UNDEFINED: Any = _JSUndefined()


class JSErrorValue(str):
    """A JS Error object, as ``String(err)`` (e.g. ``'TypeError: fetch failed'``)."""

    def __repr__(self) -> str:
        return f"JSErrorValue({str.__repr__(self)})"


class JSFunction(str):
    """A JS function value, as its name."""

    def __repr__(self) -> str:
        return f"JSFunction({str.__repr__(self)})"


class JSFormData(list):
    """A JS FormData, as a list of ``[name, value]`` entries."""


class OracleError(RuntimeError):
    """The harness failed (not started, died, answered garbage or too late)."""


class OracleTimeout(OracleError):
    pass


class JSException(OracleError):
    """The JS code under test threw; ``message`` is ``String(err)``."""

    def __init__(self, op: str, message: str, thrown: Any) -> None:
        super().__init__(f"JS threw in op {op!r}: {message}")
        self.op = op
        self.message = message
        self.thrown = thrown


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes", "on")


def oracle_unavailable_reason() -> str | None:
    """``None`` when the oracle can run here, else why not."""
    if shutil.which("node") is None:
        return "`node` is not on PATH (the JS oracle needs Node >= 20)"
    if not (SDK_DIR / "backend.ai-client-node.js").is_file():
        return (
            f"the JS SDK is not installed in {HARNESS_DIR / 'node_modules'}: "
            f"run `cd {HARNESS_DIR} && npm ci` (backend.ai-client@21.3.1)"
        )
    return None


def js_iso(dt: Any) -> str:
    """The instant as JS ``toISOString`` prints it, computed from integer milliseconds
    (independently of the port's formatting code)."""
    from datetime import datetime, timedelta, timezone

    ms = (dt - datetime(1970, 1, 1, tzinfo=timezone.utc)) // timedelta(milliseconds=1)
    t = datetime(1970, 1, 1, tzinfo=timezone.utc) + timedelta(milliseconds=ms)
    return f"{t:%Y-%m-%dT%H:%M:%S}.{t.microsecond // 1000:03d}Z"


def epoch_ms(dt: Any) -> int:
    from datetime import datetime, timedelta, timezone

    return (dt - datetime(1970, 1, 1, tzinfo=timezone.utc)) // timedelta(milliseconds=1)


# -- value encoding ----------------------------------------------------------
def _is_port_undefined(value: Any) -> bool:
    try:
        from backend_ai_client._jsjson import UNDEFINED
    except Exception:  # pragma: no cover - the port may not import
        return False
    return value is UNDEFINED


def encode(value: Any) -> Any:
    """Python value -> the harness's JSON argument encoding."""
    if value is JS_UNDEFINED or _is_port_undefined(value):
        return {"$undefined": True}
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if math.isnan(value):
            return {"$number": "NaN"}
        if math.isinf(value):
            return {"$number": "Infinity" if value > 0 else "-Infinity"}
        if value == 0 and math.copysign(1.0, value) < 0:
            return {"$number": "-0"}
        return value
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {"$bytes": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, Mapping):
        return {str(k): encode(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [encode(v) for v in value]
    raise TypeError(f"cannot send a {type(value).__name__} to the JS oracle")


_NUMBERS = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf, "-0": -0.0}


def decode(value: Any) -> Any:
    """The harness's result encoding -> Python values (see the module docstring)."""
    if isinstance(value, list):
        return [decode(v) for v in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        (key, inner), = value.items()
        if key == "$undefined":
            return JS_UNDEFINED
        if key == "$number":
            return _NUMBERS[inner] if inner in _NUMBERS else int(inner)
        if key == "$bytes":
            return base64.b64decode(inner)
        if key == "$error":
            return JSErrorValue(inner)
        if key == "$function":
            return JSFunction(inner)
        if key == "$formdata":
            return JSFormData([[name, decode(v)] for name, v in inner])
    return {k: decode(v) for k, v in value.items()}


# -- the process -------------------------------------------------------------
class _Slot:
    __slots__ = ("event", "answer")

    def __init__(self) -> None:
        self.event = threading.Event()
        self.answer: dict[str, Any] | None = None


class NodeOracle:
    """One long-lived ``node tests/js/harness.js`` process."""

    def __init__(self, *, node: str | None = None, timeout: float = DEFAULT_TIMEOUT) -> None:
        reason = oracle_unavailable_reason()
        if reason is not None and node is None:
            raise OracleError(f"JS oracle unavailable: {reason}")
        self.timeout = timeout
        self._ids = itertools.count(1)
        self._write_lock = threading.Lock()
        self._pending_lock = threading.Lock()
        self._pending: dict[int, _Slot] = {}
        self._stderr_tail: collections.deque[str] = collections.deque(maxlen=200)
        self._dead: str | None = None
        self._proc = subprocess.Popen(
            [node or shutil.which("node") or "node", "harness.js"],
            cwd=HARNESS_DIR,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            bufsize=0,
        )
        self._reader = threading.Thread(target=self._read_answers, name="js-oracle-reader", daemon=True)
        self._reader.start()
        self._err_reader = threading.Thread(target=self._read_stderr, name="js-oracle-stderr", daemon=True)
        self._err_reader.start()
        self.call("ping")

    # context manager
    def __enter__(self) -> "NodeOracle":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    @property
    def stderr_tail(self) -> str:
        return "\n".join(self._stderr_tail)

    def _read_stderr(self) -> None:
        assert self._proc.stderr is not None
        for raw in self._proc.stderr:
            self._stderr_tail.append(raw.decode("utf-8", "replace").rstrip("\n"))

    def _read_answers(self) -> None:
        assert self._proc.stdout is not None
        try:
            for raw in self._proc.stdout:
                try:
                    msg = json.loads(raw)
                except ValueError:
                    self._stderr_tail.append(f"[oracle] non-JSON line on stdout: {raw[:200]!r}")
                    continue
                with self._pending_lock:
                    slot = self._pending.pop(msg.get("id"), None)
                if slot is None:
                    self._stderr_tail.append(f"[oracle] unmatched answer: {str(msg)[:200]}")
                    continue
                slot.answer = msg
                slot.event.set()
        finally:
            code = self._proc.poll()
            self._dead = f"the harness process ended (exit code {code})"
            with self._pending_lock:
                slots = list(self._pending.values())
                self._pending.clear()
            for slot in slots:
                slot.event.set()

    def _send(self, op: str, args: Mapping[str, Any]) -> tuple[int, _Slot]:
        if self._dead is not None:
            raise OracleError(f"JS oracle: {self._dead}\n--- harness stderr ---\n{self.stderr_tail}")
        ident = next(self._ids)
        slot = _Slot()
        line = json.dumps({"id": ident, "op": op, **{k: encode(v) for k, v in args.items()}}, ensure_ascii=True)
        with self._pending_lock:
            self._pending[ident] = slot
        try:
            with self._write_lock:
                assert self._proc.stdin is not None
                self._proc.stdin.write(line.encode("ascii") + b"\n")
                self._proc.stdin.flush()
        except (BrokenPipeError, OSError) as exc:
            with self._pending_lock:
                self._pending.pop(ident, None)
            raise OracleError(f"JS oracle: cannot write to the harness: {exc}\n{self.stderr_tail}") from exc
        return ident, slot

    def _wait(self, op: str, ident: int, slot: _Slot, timeout: float | None) -> Any:
        limit = self.timeout if timeout is None else timeout
        if not slot.event.wait(limit):
            with self._pending_lock:
                self._pending.pop(ident, None)
            raise OracleTimeout(
                f"JS oracle: no answer to op {op!r} (request #{ident}) within {limit:g} s"
                f"\n--- harness stderr (tail) ---\n{self.stderr_tail}"
            )
        msg = slot.answer
        if msg is None:
            raise OracleError(f"JS oracle: {self._dead} before answering op {op!r}\n{self.stderr_tail}")
        if msg.get("ok"):
            return decode(msg.get("result"))
        thrown = msg.get("thrown")
        if thrown is None:
            raise OracleError(f"JS oracle: op {op!r} failed: {msg.get('error')}")
        raise JSException(op, str(msg.get("error")), decode(thrown))

    def call(self, op: str, *, timeout: float | None = None, **args: Any) -> Any:
        """Run one op and return its decoded result (raises JSException if JS threw)."""
        ident, slot = self._send(op, args)
        return self._wait(op, ident, slot, timeout)

    def call_many(self, op: str, arg_list: Iterable[Mapping[str, Any]], *, timeout: float | None = None,
                  exceptions: bool = False) -> list[Any]:
        """Pipeline many calls of one op; results in input order.

        With ``exceptions=True`` a ``JSException`` is returned in place of the
        result instead of being raised.
        """
        sent = [self._send(op, args) for args in arg_list]
        out: list[Any] = []
        for ident, slot in sent:
            try:
                out.append(self._wait(op, ident, slot, timeout))
            except JSException as exc:
                if not exceptions:
                    raise
                out.append(exc)
        return out

    def close(self) -> None:
        proc = self._proc
        if proc.poll() is None:
            try:
                assert proc.stdin is not None
                proc.stdin.close()
            except OSError:
                pass
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
        self._reader.join(timeout=5)
        self._err_reader.join(timeout=5)
        for stream in (proc.stdout, proc.stderr):
            try:
                if stream is not None:
                    stream.close()
            except OSError:
                pass


def port_client(config: Mapping[str, Any]) -> Any:
    """The port's client in the state harness.js ``makeClient`` gives the JS client for ``config``."""
    import backend_ai_client as ai

    client = ai.Client(ai.ClientConfig(config["accessKey"], config["secretKey"], config["endpoint"],
                                       config.get("connectionMode", "API")))
    if "apiVersion" in config:
        client._config._apiVersion = config["apiVersion"]
    if "apiVersionMajor" in config:
        client._config._apiVersionMajor = config["apiVersionMajor"]
    if "requestTimeout" in config:
        client.requestTimeout = config["requestTimeout"]
    for key, value in config.get("clientState", {}).items():
        setattr(client, key, value)
    return client


def load_vectors(name: str) -> list[dict[str, Any]]:
    """The committed reference cases ``tests/vectors/NAME.json`` (made by tests/make_vectors.py)."""
    path = Path(__file__).resolve().parent / "vectors" / f"{name}.json"
    if not path.is_file():
        import pytest

        pytest.fail(f"missing vector file {path}: run `.venv/bin/python tests/make_vectors.py`")
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["sdk"] == "backend.ai-client@21.3.1"
    assert len(data["cases"]) >= 100
    return data["cases"]
