"""The hand-written hooks (``backend_ai_client/_hooks/``), checked against the JS SDK.

Each test makes the same call with the JS SDK (the ``oracle`` fixture's ``call``
op) and with the port, with the same client state, against one recording and
verifying loopback server (``tests/scripted_server.py``), and compares what
reached the server and what came back. Where JS cannot run the call (Node has
no ``EventSource``; JS keeps state across calls the harness cannot chain), the
expected value is derived from the JS source
(``tests/js/node_modules/backend.ai-client/backend.ai-client-node.ts``) and the
line says so. No assertion compares the port with its own output.

Covered: ``vfolder.create`` (every non-throwing branch over API versions and
feature states; the JS ``TypeError`` branch as ``ValueError``),
``vfolder.create_upload_session``, ``vfolder.download`` (before and from API
v6), ``image.install``, ``image.modifyResource``,
``resources.totalResourceInformation`` / ``_init_resource_values``,
``maintenance.attach_background_task`` (port only), ``enterprise.getLicense``,
and the Client hooks ``get_manager_version``, ``login``, ``token_login`` and
``check_login``.
"""

from __future__ import annotations

import io
import json
import math
import re
import time
from pathlib import Path
from typing import Any

import pytest

import backend_ai_client as ai
from oracle import JS_UNDEFINED, JSErrorValue, port_client
from scripted_server import (  # noqa: F401 - scripted_server is the fixture
    ACCESS_KEY,
    SECRET_KEY,
    Reply,
    ScriptedServer,
    closed_port,
    scripted_server,
)

# -- client states -----------------------------------------------------------------------
# (config apiVersion, clientState); the manager version is always set because JS
# client.supports() reads it (isManagerVersionCompatibleWith splits it).


def _state(api: str, manager: str, **extra: Any) -> dict[str, Any]:
    major = api[1]
    client_state = {"_apiVersion": api, "_apiVersionMajor": major, "_managerVersion": manager}
    if int(major) > 4:
        client_state["kernelPrefix"] = "/session"
    client_state.update(extra)
    return {"apiVersion": api, "apiVersionMajor": major, "clientState": client_state}


STATES = {
    # before v4.20190601: no group folders
    "v4.20190315": _state("v4.20190315", "19.03.0"),
    # group folders, no usage modes
    "v4.20190615": _state("v4.20190615", "19.09.0"),
    # usage_mode / permission (v4.20191215)
    "v4.20191215": _state("v4.20191215", "19.12.0"),
    "v5.20191215": _state("v5.20191215", "20.03.0"),
    # storage proxy: cloneable
    "v6.20200815": _state("v6.20200815", "20.09.17"),
}
V4 = STATES["v4.20190615"]
V6 = STATES["v6.20200815"]


def _config(server: ScriptedServer | str, state: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    endpoint = server if isinstance(server, str) else server.endpoint
    config: dict[str, Any] = {"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY, "endpoint": endpoint}
    config.update(state or {})
    config.update(extra)
    return config


_port_client = port_client


def _wire(records: list) -> list[dict[str, Any]]:
    """What reached the server, in the terms both sides must agree on."""
    out = []
    for rec in records:
        out.append({
            "method": rec.method,
            "path": rec.raw_path,
            "content-type": (rec.header("Content-Type") or "").split(";")[0],
            "body": rec.body,
            "x-backendai-version": rec.header("X-BackendAI-Version"),
            "user-agent": rec.header("User-Agent"),
            "signed": rec.signed,
        })
    return out


def _js(oracle: Any, server: ScriptedServer, config: dict[str, Any], target: str,
        args: list[Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    answer = oracle.call("call", config=config, target=target, args=args)
    return answer, _wire(server.take())


def _undef_to_none(value: Any) -> Any:
    if value is JS_UNDEFINED:
        return None
    if isinstance(value, dict):
        return {k: _undef_to_none(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_undef_to_none(v) for v in value]
    return value


_PROBLEM = {"https://api.backend.ai/probs/server-error": ai.Client.ERR_SERVER,
            "https://api.backend.ai/probs/client-response-error": ai.Client.ERR_RESPONSE,
            "https://api.backend.ai/probs/client-request-error": ai.Client.ERR_REQUEST}


def _js_error(error: dict[str, Any], *drop: str) -> dict[str, Any]:
    """A JS error object as the port's ``err.to_dict()`` reads (README: err.type is the ERR_* code)."""
    err = _undef_to_none(dict(error))
    err["type"] = _PROBLEM.get(err["type"], err["type"])
    for key in ("timestamp", *drop):
        err.pop(key, None)
    return err


def _port_error(exc: ai.BackendAIError, *drop: str) -> dict[str, Any]:
    err = exc.to_dict()
    for key in ("timestamp", *drop):
        err.pop(key, None)
    return err


def _same_number(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return a == b


def _equal_nan(a: Any, b: Any) -> bool:
    """Deep equality where NaN equals NaN (JS totals may be NaN)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return list(a) == list(b) and all(_equal_nan(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_equal_nan(x, y) for x, y in zip(a, b))
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    return _same_number(a, b)


# ======================================================================================
# vfolder.create
# ======================================================================================
_CREATE_TAILS = [(usage, perm, clone) for usage in ("general", "") for perm in ("rw", "") for clone in (False, True)]


@pytest.mark.parametrize("group", ["", "grp-1", None], ids=["no-group", "group", "group-null"])
@pytest.mark.parametrize("host", ["", "local:volume1", None], ids=["no-host", "host", "host-null"])
@pytest.mark.parametrize("state_name", list(STATES))
def test_vfolder_create_matches_js(oracle, scripted_server: ScriptedServer, state_name: str, host: Any,
                                   group: Any) -> None:
    """Every combination: where JS sends, the port sends the same request (a body or none) and returns
    the same; where JS throws a TypeError before sending, the port raises ValueError and sends nothing."""
    config = _config(scripted_server, STATES[state_name])
    scripted_server.reset()
    scripted_server.always(Reply.json(200, '{"id": "f-1", "name": "vf"}'))
    sent = threw = 0
    try:
        for usage, perm, clone in _CREATE_TAILS:
            args = ["vf", host, group, usage, perm, clone]
            js, js_wire = _js(oracle, scripted_server, config, "vfolder.create", args)
            client = _port_client(config)
            if js["resolved"]:
                sent += 1
                assert client.vfolder.create(*args) == js["value"], args
                assert _wire(scripted_server.take()) == js_wire, args
            else:
                threw += 1
                # JS: `body['usage_mode'] = ...` (or permission / cloneable) on an undefined body.
                assert isinstance(js["error"], JSErrorValue) and js["error"].startswith("TypeError"), js
                assert js_wire == []
                with pytest.raises(ValueError, match="host") as info:
                    client.vfolder.create(*args)
                assert "TypeError" in str(info.value)  # says what JS does there
                assert scripted_server.take() == []
    finally:
        scripted_server.always(None)
    assert sent + threw == len(_CREATE_TAILS)


def test_vfolder_create_exercises_both_js_branches(oracle, scripted_server: ScriptedServer) -> None:
    """The bodiless request and the TypeError both exist in JS for host=''; the port follows each."""
    scripted_server.reset()
    scripted_server.always(Reply.json(200, "{}"))
    try:
        # Old manager, no usage modes, no storage proxy: JS sends POST /folders without a body.
        config = _config(scripted_server, STATES["v4.20190315"])
        js, js_wire = _js(oracle, scripted_server, config, "vfolder.create", ["vf"])
        assert js["resolved"] and [w["body"] for w in js_wire] == [b""]
        assert _port_client(config).vfolder.create("vf") == js["value"]
        assert _wire(scripted_server.take()) == js_wire
        # v6, no host: JS throws before sending.
        config = _config(scripted_server, V6)
        js, js_wire = _js(oracle, scripted_server, config, "vfolder.create", ["vf"])
        assert not js["resolved"] and js["error"].startswith("TypeError") and js_wire == []
        with pytest.raises(ValueError, match="host"):
            _port_client(config).vfolder.create("vf")
        assert scripted_server.take() == []
    finally:
        scripted_server.always(None)


# ======================================================================================
# vfolder.create_upload_session
# ======================================================================================
UPLOAD_DATA = b"0123456789\x00\xff" * 100  # 1200 bytes


def _fs(kind: str, tmp_path: Path) -> Any:
    if kind == "bytes":
        return UPLOAD_DATA
    if kind == "fileobj":
        return io.BytesIO(UPLOAD_DATA)
    path = tmp_path / "upload.bin"
    path.write_bytes(UPLOAD_DATA)
    return path


UPLOAD_STATES = {
    "v4-api": ({}, {"token": "tok-4a"}),
    "v4-session": ({"connectionMode": "SESSION"}, {"token": "tok-4b"}),
    "v6-api": (V6, {"token": "tok-6", "url": "http://127.0.0.1:1/upload"}),
}


@pytest.mark.parametrize("kind", ["bytes", "fileobj", "path"])
@pytest.mark.parametrize("state_name", list(UPLOAD_STATES))
def test_create_upload_session_matches_js(oracle, scripted_server: ScriptedServer, tmp_path: Path,
                                          state_name: str, kind: str) -> None:
    state, answer = UPLOAD_STATES[state_name]
    config = _config(scripted_server, state)
    scripted_server.reset()
    scripted_server.always(Reply.json(200, json.dumps(answer)))
    try:
        # JS reads fs.size: a browser File's size is its byte length.
        js, js_wire = _js(oracle, scripted_server, config, "vfolder.create_upload_session",
                          ["dir/a.bin", {"size": len(UPLOAD_DATA)}, "vf1"])
        assert js["resolved"], js
        url = _port_client(config).vfolder.create_upload_session("dir/a.bin", _fs(kind, tmp_path), "vf1")
        port_wire = _wire(scripted_server.take())
    finally:
        scripted_server.always(None)
    assert url == js["value"]
    assert port_wire == js_wire


def test_create_upload_session_without_name_uses_the_object_name(oracle, scripted_server: ScriptedServer) -> None:
    config = _config(scripted_server)
    scripted_server.reset()
    scripted_server.always(Reply.json(200, '{"token": "t"}'))
    try:
        # JS: name == null -> this.name (null on a fresh client).
        js, js_wire = _js(oracle, scripted_server, config, "vfolder.create_upload_session", ["a", {"size": 3}])
        url = _port_client(config).vfolder.create_upload_session("a", b"abc")
        assert url == js["value"]
        assert _wire(scripted_server.take()) == js_wire
    finally:
        scripted_server.always(None)


# ======================================================================================
# vfolder.download
# ======================================================================================
DOWNLOAD = bytes(range(256)) * 8


@pytest.mark.parametrize("ctype", ["application/octet-stream", "application/json"])
@pytest.mark.parametrize("args", [["dir/a.txt", "vf1"], ["dir", "vf1", True], ["a b&c=d.txt", "vf1"], ["a.txt"]],
                         ids=["file", "archive", "escaped", "no-name"])
def test_download_before_v6_returns_the_raw_bytes_as_js(oracle, scripted_server: ScriptedServer, args: list[Any],
                                                        ctype: str) -> None:
    config = _config(scripted_server, V4)
    body = DOWNLOAD if ctype != "application/json" else b'{"looks": "like json"}'
    scripted_server.reset()
    scripted_server.always(Reply(200, None, [("Content-Type", ctype)], body))
    try:
        js, js_wire = _js(oracle, scripted_server, config, "vfolder.download", args)
        data = _port_client(config).vfolder.download(*args)
        port_wire = _wire(scripted_server.take())
    finally:
        scripted_server.always(None)
    assert js["resolved"] and js["value"] == body  # rawFile=true: the Blob's bytes
    assert data == js["value"]
    assert port_wire == js_wire


@pytest.mark.parametrize("args", [["dir/a.txt", "vf1"], ["dir", "vf1", True, True]], ids=["file", "archive-nocache"])
def test_download_v6_fetches_the_storage_proxy_url(oracle, scripted_server: ScriptedServer, args: list[Any]) -> None:
    """The token request as JS sends it, then a GET of `${res.url}?token=..&archive=..&no_cache=..`.

    JS returns that fetch Response (README: Differences); the port returns its bytes.
    """
    config = _config(scripted_server, V6)
    token_answer = json.dumps({"token": "tok-dl", "url": scripted_server.endpoint + "/storage/download"})

    def script() -> None:
        scripted_server.script(Reply.json(200, token_answer),
                               Reply(200, None, [("Content-Type", "application/octet-stream")], DOWNLOAD))

    scripted_server.reset()
    script()
    js, js_wire = _js(oracle, scripted_server, config, "vfolder.download", args)
    script()
    data = _port_client(config).vfolder.download(*args)
    port_wire = _wire(scripted_server.take())
    assert js["resolved"]
    assert len(js_wire) == len(port_wire) == 2
    assert port_wire[0] == js_wire[0]  # POST /folders/vf1/request-download, signed
    assert js_wire[0]["path"] == "/folders/vf1/request-download"
    # The storage proxy request: same method, URL and (no) body; unsigned on both sides.
    # (User-Agent differs: JS's bare fetch sends Node's own.)
    for key in ("method", "path", "body", "signed"):
        assert port_wire[1][key] == js_wire[1][key], key
    archive = str(args[2]).lower() if len(args) > 2 else "false"
    no_cache = str(args[3]).lower() if len(args) > 3 else "false"
    # JS: `${res.url}?token=${res.token}&archive=${archive}&no_cache=${noCache}`
    assert js_wire[1]["path"] == f"/storage/download?token=tok-dl&archive={archive}&no_cache={no_cache}"
    assert data == DOWNLOAD  # the body JS's Response would hold


# ======================================================================================
# image.install
# ======================================================================================
_JS_SESSION_ID = re.compile(r"[A-Za-z0-9]{8}-jsSDK")  # JS generateSessionId(): 8 of [A-Za-z0-9] + '-jsSDK'


def test_generate_session_id_has_the_js_form() -> None:
    client = ai.Client(ai.ClientConfig(ACCESS_KEY, SECRET_KEY, "http://127.0.0.1:1"))
    ids = {client.generateSessionId() for _ in range(50)}
    assert all(_JS_SESSION_ID.fullmatch(i) for i in ids) and len(ids) > 1
    assert re.fullmatch(r"[A-Za-z0-9]{12}", client.generateSessionId(12, True))  # (length, nosuffix)


INSTALL_CASES = {
    "defaults-v4": (V4, ["lablup/python:3.6-ubuntu18.04"]),
    "registry-resource-v6": (V6, ["stable/python:3.9-ubuntu20.04", {"cpu": "2", "mem": "2g"}, "cr.backend.ai:5000"]),
    "empty-resource-registry-v5": (STATES["v5.20191215"], ["python:3.8", {}, "my.registry"]),
}


@pytest.mark.parametrize("case", list(INSTALL_CASES))
def test_image_install_matches_js_modulo_the_session_id(oracle, scripted_server: ScriptedServer,
                                                        monkeypatch: pytest.MonkeyPatch, case: str) -> None:
    state, args = INSTALL_CASES[case]
    config = _config(scripted_server, state)
    scripted_server.reset()
    scripted_server.always(Reply.json(200, '{"sessId": "x", "created": true}'))
    try:
        js, js_wire = _js(oracle, scripted_server, config, "image.install", args)
        assert js["resolved"], js
        ids = {m.group(0) for w in js_wire for m in _JS_SESSION_ID.finditer(w["path"] + w["body"].decode())}
        assert len(ids) == 1, js_wire  # one random id, in the create body and the destroy path
        [js_id] = ids
        client = _port_client(config)
        monkeypatch.setattr(client, "generateSessionId", lambda *a, **k: js_id)
        result = client.image.install(*args)
        port_wire = _wire(scripted_server.take())
    finally:
        scripted_server.always(None)
    assert [w["method"] for w in js_wire] == ["POST", "DELETE"]  # createIfNotExists, then destroy
    assert port_wire == js_wire
    assert result == js["value"]


def test_image_install_failure_stops_before_destroy(oracle, scripted_server: ScriptedServer,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    config = _config(scripted_server, V4)
    failure = Reply.json(500, '{"type": "x", "title": "no agents"}')
    scripted_server.reset()
    scripted_server.script(failure)
    js, js_wire = _js(oracle, scripted_server, config, "image.install", ["python:3.8"])
    [js_id] = _JS_SESSION_ID.findall(js_wire[0]["body"].decode())
    client = _port_client(config)
    monkeypatch.setattr(client, "generateSessionId", lambda *a, **k: js_id)
    scripted_server.script(failure)
    with pytest.raises(ai.ServerError) as info:
        client.image.install("python:3.8")
    assert _wire(scripted_server.take()) == js_wire and len(js_wire) == 1
    assert not js["resolved"]
    assert _port_error(info.value) == _js_error(js["error"])


# ======================================================================================
# image.modifyResource
# ======================================================================================
def _multiset(wire: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return sorted(tuple(sorted((k, v) for k, v in w.items())) for w in wire)


MODIFY_CASES = {
    "several": ["cr.backend.ai:5000:x", "stable/python/x", "3.9-ubuntu20.04",
                {"cpu": {"min": "1", "max": "4"}, "mem": {"min": "1g", "max": None},
                 "cuda.shares": {"min": 0.5, "ok": True}}],
    "numeric-tag": ["index.docker.io", "lablup/python", 3.6, {"mem": {"min": "1g"}}],
    "empty": ["r", "i", "t", {}],
    "empty-slot": ["r", "i", "t", {"cpu": {}, "mem": {"min": "256m"}}],
}


@pytest.mark.parametrize("case", list(MODIFY_CASES))
def test_modify_resource_sends_the_same_set_of_requests(oracle, scripted_server: ScriptedServer, case: str) -> None:
    args = MODIFY_CASES[case]
    config = _config(scripted_server)
    scripted_server.reset()
    scripted_server.always(Reply.json(200, '{"result": "ok"}'))
    try:
        js, js_wire = _js(oracle, scripted_server, config, "image.modifyResource", args)
        result = _port_client(config).image.modifyResource(*args)
        port_wire = _wire(scripted_server.take())
    finally:
        scripted_server.always(None)
    assert js["resolved"], js
    # JS sends them concurrently (Promise.all): the order on the wire is not defined.
    assert _multiset(port_wire) == _multiset(js_wire)
    assert result == js["value"]


def test_modify_resource_failure(oracle, scripted_server: ScriptedServer) -> None:
    """Every request is sent on both sides; the call fails with the server's error."""
    args = ["r:1", "a/b", "t", {"cpu": {"min": "1", "max": "2"}, "mem": {"min": "1g"}}]
    config = _config(scripted_server)
    scripted_server.reset()
    scripted_server.always(Reply.json(500, '{"type": "x", "title": "etcd down"}'))
    try:
        js = oracle.call("call", config=config, target="image.modifyResource", args=args)
        # Promise.all rejects at the first failure; the other requests may still be on their way.
        deadline = time.monotonic() + 5
        while len(scripted_server.requests) < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
        js_wire = _wire(scripted_server.take())
        with pytest.raises(ai.ServerError) as info:
            _port_client(config).image.modifyResource(*args)
        port_wire = _wire(scripted_server.take())
    finally:
        scripted_server.always(None)
    assert not js["resolved"]
    assert len(js_wire) == 3 and _multiset(port_wire) == _multiset(js_wire)
    # Which failure Promise.all reports depends on timing: compare all but the request body.
    assert _port_error(info.value, "requestParameters") == _js_error(js["error"], "requestParameters")
    sent_bodies = [w["body"].decode() for w in js_wire]  # requestParameters: rqst.body, the JSON text
    assert js["error"]["requestParameters"] in sent_bodies
    assert info.value.requestParameters in sent_bodies


def test_modify_resource_non_string_registry_throws_on_both_sides(oracle, scripted_server: ScriptedServer) -> None:
    config = _config(scripted_server)
    scripted_server.reset()
    js, js_wire = _js(oracle, scripted_server, config, "image.modifyResource", [None, "i", "t", {"cpu": {"min": "1"}}])
    assert not js["resolved"] and js["error"].startswith("TypeError") and js_wire == []  # null.replace
    with pytest.raises(TypeError):
        _port_client(config).image.modifyResource(None, "i", "t", {"cpu": {"min": "1"}})
    assert scripted_server.take() == []


def test_modify_resource_text_slot_value_is_refused_not_spelled_out(oracle, scripted_server: ScriptedServer) -> None:
    """README "Differences": JS walks a text slot value character by character and sets
    `.../resource/cpu/0` = "1", `.../cpu/1` = "2"; the port raises before sending anything."""
    config = _config(scripted_server)
    scripted_server.reset()
    scripted_server.always(Reply.json(200, '{"result": "ok"}'))
    try:
        js, js_wire = _js(oracle, scripted_server, config, "image.modifyResource", ["r", "i", "t", {"cpu": "12"}])
        with pytest.raises(TypeError, match=r"input\['cpu'\] must be an object"):
            _port_client(config).image.modifyResource("r", "i", "t", {"cpu": "12"})
        port_wire = _wire(scripted_server.take())
    finally:
        scripted_server.always(None)
    assert js["resolved"]
    keys = sorted(json.loads(w["body"])["key"] for w in js_wire)
    assert keys == ["images/r/i/t/resource/cpu/0", "images/r/i/t/resource/cpu/1"]
    assert port_wire == []


# ======================================================================================
# resources.totalResourceInformation / _init_resource_values
# ======================================================================================
def _agent(ident: str, available: dict[str, Any] | str, occupied: dict[str, Any] | str, **extra: Any) -> dict[str, Any]:
    agent = {"id": ident, "addr": f"tcp://{ident}:6001", "status": "ALIVE",
             "first_contact": "2021-03-01T00:00:00+00:00", "cpu_cur_pct": "12.5", "mem_cur_bytes": "1073741824",
             "available_slots": available if isinstance(available, str) else json.dumps(available),
             "occupied_slots": occupied if isinstance(occupied, str) else json.dumps(occupied)}
    agent.update(extra)
    return {k: v for k, v in agent.items() if v is not None}


AGENT_ANSWERS = {
    "mixed-units": {"agents": [
        _agent("a1", {"cpu": "8", "mem": "34359738368", "cuda.device": "2", "cuda.shares": "2.5",
                      "rocm.device": "1", "tpu.device": "4"}, {"cpu": "2", "mem": "4294967296", "cuda.shares": "0.5"}),
        _agent("a2", {"cpu": "4.5", "mem": "16g", "cuda.shares": "1.25"}, {"cpu": "1.5", "cuda.shares": "0.75",
                                                                            "tpu.device": "2"}, cpu_cur_pct="30.25"),
        _agent("a3", {"cpu": 2, "mem": "512m"}, {}, mem_cur_bytes="0"),
    ]},
    "missing-fields": {"agents": [
        _agent("b1", {"cpu": "2"}, {"cpu": "1"}, cpu_cur_pct=None, mem_cur_bytes=None),
        _agent("b2", {"mem": "1g", "cuda.device": "1"}, {"mem": "1g", "cuda.device": "1"}),
    ]},
    "agents-as-object": {"agents": {
        "x": _agent("c1", {"cpu": "16", "mem": "64g", "cuda.shares": "4"}, {"cpu": "3", "cuda.shares": "1"}),
        "y": _agent("c2", {"cpu": "16", "mem": "64g"}, {"cpu": "0"}),
    }},
    "empty": {"agents": []},
}


@pytest.mark.parametrize("case", list(AGENT_ANSWERS))
def test_total_resource_information_matches_js(oracle, scripted_server: ScriptedServer, case: str) -> None:
    config = _config(scripted_server, clientState={"is_admin": True})
    answer = json.dumps(AGENT_ANSWERS[case])
    scripted_server.reset()
    scripted_server.always(Reply.json(200, answer))
    try:
        js, js_wire = _js(oracle, scripted_server, config, "resources.totalResourceInformation", ["ALIVE"])
        client = _port_client(config)
        result = client.resources.totalResourceInformation("ALIVE")
        port_wire = _wire(scripted_server.take())
        # JS calls _init_resource_values() at the start of every aggregation, so a second
        # call on the same object gives what one call on a fresh client gives.
        again = client.resources.totalResourceInformation("ALIVE")
        assert _wire(scripted_server.take()) == js_wire
    finally:
        scripted_server.always(None)
    assert js["resolved"], js
    assert port_wire == js_wire
    assert _equal_nan(dict(result), js["value"]), (result, js["value"])
    assert _equal_nan(dict(again), js["value"])
    # JS: this.agents = response.agents
    assert client.resources.agents == AGENT_ANSWERS[case]["agents"]


def test_total_resource_information_for_a_non_admin(oracle, scripted_server: ScriptedServer) -> None:
    config = _config(scripted_server)
    scripted_server.reset()
    js, js_wire = _js(oracle, scripted_server, config, "resources.totalResourceInformation", [])
    assert js == {"resolved": True, "value": False, "requests": []}
    assert _port_client(config).resources.totalResourceInformation() is False
    assert scripted_server.take() == []


def test_total_resource_information_without_agents_fails_on_both_sides(oracle, scripted_server: ScriptedServer) -> None:
    config = _config(scripted_server, clientState={"is_admin": True})
    scripted_server.reset()
    scripted_server.always(Reply.json(200, '{"agents": null}'))
    try:
        js, js_wire = _js(oracle, scripted_server, config, "resources.totalResourceInformation", [])
        with pytest.raises(TypeError):
            _port_client(config).resources.totalResourceInformation()
        assert _wire(scripted_server.take()) == js_wire
    finally:
        scripted_server.always(None)
    assert not js["resolved"] and js["error"].startswith("TypeError")  # Object.keys(null)


# JS Resources._init_resource_values (backend.ai-client-node.ts), in its assignment order.
JS_INITIAL_RESOURCES = {
    "cpu": {"total": 0, "used": 0, "percent": 0},
    "mem": {"total": 0, "allocated": 0, "used": 0},
    "gpu": {"total": 0, "used": 0},
    "cuda.device": {"total": 0, "used": 0},
    "fgpu": {"total": 0, "used": 0},
    "cuda.shares": {"total": 0, "used": 0},
    "rocm.device": {"total": 0, "used": 0},
    "tpu.device": {"total": 0, "used": 0},
    "agents": {"total": 0, "using": 0},
}


def test_init_resource_values_resets_as_js(oracle, scripted_server: ScriptedServer) -> None:
    config = _config(scripted_server, clientState={"is_admin": True})
    scripted_server.reset()
    js, _ = _js(oracle, scripted_server, config, "resources._init_resource_values", [])
    assert js == {"resolved": True, "value": JS_UNDEFINED, "requests": []}
    client = _port_client(config)
    # The constructor calls _init_resource_values(): the same values (JS source).
    assert client.resources.resources == JS_INITIAL_RESOURCES and client.resources.agents == []
    scripted_server.always(Reply.json(200, json.dumps(AGENT_ANSWERS["mixed-units"])))
    try:
        client.resources.totalResourceInformation()
    finally:
        scripted_server.always(None)
    scripted_server.take()
    client.resources.resources["custom"] = {"keep": 1}
    assert client.resources._init_resource_values() is None
    r = client.resources.resources
    # JS assigns each counter object anew and leaves other properties alone; this.agents = [].
    assert {k: r[k] for k in JS_INITIAL_RESOURCES} == JS_INITIAL_RESOURCES
    # JS key order: the slots as the assignments run, each counter likewise.
    assert [(k, list(r[k])) for k in r if k in JS_INITIAL_RESOURCES] == [
        (k, list(v)) for k, v in JS_INITIAL_RESOURCES.items()]
    assert r["custom"] == {"keep": 1}
    assert client.resources.agents == []
    assert scripted_server.take() == []


# ======================================================================================
# maintenance.attach_background_task (port only: Node has no EventSource)
# ======================================================================================
TASK_ID = "c8a4b7e2-1f3a-4b5c-9d8e-0123456789ab"
SSE_BODY = (
    "\ufeff: keep-alive\n\n"
    "retry: 1500\n"
    'event: bgtask_updated\ndata: {"task_id": "c8a4", "current_progress": 1, "total_progress": 2}\nid: 1\n\n'
    "event: ignored-without-data\n\n"
    "data: first\r\ndata:second\r\ndata:  third\r\n\r\n"
    "data\nid: 2\0x\n\n"
    'event: bgtask_done\rdata: {"task_id": "c8a4"}\rid: 7\r\r'
    "data: unterminated"
).encode()
# What an EventSource (the object JS returns) dispatches for SSE_BODY, by the HTML
# "event stream interpretation" rules: BOM skipped, comments ignored, one leading space
# stripped, blank data not dispatched, data lines joined with \n, the event type reset
# after each dispatch ('message' by default), an id with NUL ignored, the last id kept,
# and an unterminated final event dropped.
SSE_EVENTS = [
    {"type": "bgtask_updated", "data": '{"task_id": "c8a4", "current_progress": 1, "total_progress": 2}',
     "lastEventId": "1"},
    {"type": "message", "data": "first\nsecond\n third", "lastEventId": "1"},
    {"type": "message", "data": "", "lastEventId": "1"},
    {"type": "bgtask_done", "data": '{"task_id": "c8a4"}', "lastEventId": "7"},
]


def test_attach_background_task_streams_the_events(oracle, scripted_server: ScriptedServer) -> None:
    config = _config(scripted_server)
    scripted_server.reset()
    scripted_server.script(Reply(200, None, [("Content-Type", "text/event-stream")], SSE_BODY, content_length=False))
    client = _port_client(config)
    with client.maintenance.attach_background_task(TASK_ID) as events:
        received = [dict(e) for e in events]
        assert events.retry == 1500  # the stream's `retry:` field (reconnection time, ms)
    assert received == SSE_EVENTS
    [rec] = scripted_server.take(signed=True)  # take() asserts the signature verified
    assert rec.method == "GET"
    # JS: "/events/background-task?task_id=" + task_id, signed with newSignedRequest('GET', urlStr, null)
    assert rec.raw_path == "/events/background-task?task_id=" + TASK_ID
    assert rec.header("Accept") == "text/event-stream"  # what an EventSource sends
    js_rqst = oracle.call("signedRequest", config=config, method="GET",
                          queryString="/events/background-task?task_id=" + TASK_ID)
    assert events.url == js_rqst["uri"]  # JS: new EventSource(req.uri)
    assert rec.header("X-BackendAI-Version") == js_rqst["headers"]["x-backendai-version"]
    assert rec.header("User-Agent") == js_rqst["headers"]["user-agent"]


def test_attach_background_task_in_session_mode_uses_the_js_url(oracle, scripted_server: ScriptedServer) -> None:
    config = _config(scripted_server, connectionMode="SESSION")
    scripted_server.reset()
    scripted_server.script(Reply(200, None, [("Content-Type", "text/event-stream")],
                                 b'event: bgtask_done\ndata: {}\n\n', content_length=False))
    events = _port_client(config).maintenance.attach_background_task(TASK_ID)
    assert [dict(e) for e in events] == [{"type": "bgtask_done", "data": "{}", "lastEventId": ""}]
    [rec] = scripted_server.take(signed=False)  # SESSION mode: no signature, as JS
    js_rqst = oracle.call("signedRequest", config=config, method="GET",
                          queryString="/events/background-task?task_id=" + TASK_ID)
    assert "authorization" not in js_rqst["headers"]
    assert events.url == js_rqst["uri"]
    assert scripted_server.endpoint + rec.raw_path == js_rqst["uri"]


def test_attach_background_task_refused_stream_raises(scripted_server: ScriptedServer) -> None:
    """An EventSource fails the connection on a non-200 answer; the port raises at once."""
    client = _port_client(_config(scripted_server))
    scripted_server.reset()
    scripted_server.script(Reply.json(404, '{"type": "x", "title": "No such background task."}'))
    with pytest.raises(ai.ServerError) as info:
        client.maintenance.attach_background_task(TASK_ID)
    assert info.value.statusCode == 404 and info.value.description == "No such background task."
    scripted_server.take(signed=True)


# ======================================================================================
# enterprise.getLicense
# ======================================================================================
LICENSES = {
    "valid": {"certificate": {"licensee": "Lablup", "valid_until": "2030-01-01"}, "status": "valid"},
    "expired": {"certificate": {"licensee": "Lablup"}, "status": "expired"},
}


@pytest.mark.parametrize("case", list(LICENSES))
def test_get_license_first_call_as_js_then_undefined(oracle, scripted_server: ScriptedServer, case: str) -> None:
    config = _config(scripted_server, clientState={"is_superadmin": True})
    scripted_server.reset()
    scripted_server.always(Reply.json(200, json.dumps(LICENSES[case])))
    try:
        js, js_wire = _js(oracle, scripted_server, config, "enterprise.getLicense", [])
        client = _port_client(config)
        first = client.enterprise.getLicense()
        assert _wire(scripted_server.take()) == js_wire
        # JS: once this.certificate is set, `typeof this.certificate === 'undefined'` is false and
        # the function falls off its end: undefined, no request; the certificate stays on the object.
        assert client.enterprise.getLicense() is None
        assert client.enterprise.getLicense() is None
        assert scripted_server.take() == []
    finally:
        scripted_server.always(None)
    assert js["resolved"] and first == js["value"]
    assert client.enterprise.certificate == js["value"]  # this.certificate = cert.certificate (+ valid)


def test_get_license_for_a_non_superadmin(oracle, scripted_server: ScriptedServer) -> None:
    config = _config(scripted_server, clientState={"is_admin": True, "is_superadmin": False})
    scripted_server.reset()
    js, js_wire = _js(oracle, scripted_server, config, "enterprise.getLicense", [])
    assert js["resolved"] and js["value"] is False and js_wire == []
    assert _port_client(config).enterprise.getLicense() is False
    assert scripted_server.take() == []


@pytest.mark.parametrize("answer", [{"certificate": None, "status": "valid"}, {"certificate": "PEM", "status": "x"}],
                         ids=["null", "text"])
def test_get_license_without_a_certificate_object_fails_on_both_sides(oracle, scripted_server: ScriptedServer,
                                                                       answer: dict[str, Any]) -> None:
    config = _config(scripted_server, clientState={"is_superadmin": True})
    scripted_server.reset()
    scripted_server.always(Reply.json(200, json.dumps(answer)))
    try:
        js, js_wire = _js(oracle, scripted_server, config, "enterprise.getLicense", [])
        client = _port_client(config)
        with pytest.raises(TypeError):
            client.enterprise.getLicense()
        assert _wire(scripted_server.take()) == js_wire
        # JS assigned this.certificate before the failing `this.certificate['valid'] = ...`, and it is
        # not undefined, so a later call sends nothing and resolves undefined.
        assert client.enterprise.getLicense() is None
        assert scripted_server.take() == []
    finally:
        scripted_server.always(None)
    assert not js["resolved"] and js["error"].startswith("TypeError")


# ======================================================================================
# Client hooks: get_manager_version, login, token_login, check_login
# ======================================================================================
VERSIONS = {
    "v4": {"version": "v4.20190615", "manager": "19.09.0"},
    "v6": {"version": "v6.20200815", "manager": "20.09.17"},
}


@pytest.mark.parametrize("case", list(VERSIONS))
def test_get_manager_version_matches_js(oracle, scripted_server: ScriptedServer, case: str) -> None:
    config = _config(scripted_server)
    answer = VERSIONS[case]
    scripted_server.reset()
    scripted_server.always(Reply.json(200, json.dumps(answer)))
    try:
        js, js_wire = _js(oracle, scripted_server, config, "get_manager_version", [])
        client = _port_client(config)
        result = client.get_manager_version()
        assert _wire(scripted_server.take()) == js_wire
        # JS: a second call finds _managerVersion !== null and sends nothing.
        assert client.get_manager_version() == js["value"]
        assert scripted_server.take() == []
    finally:
        scripted_server.always(None)
    assert js["resolved"] and result == js["value"] == answer["manager"]
    assert [(w["method"], w["path"], w["signed"]) for w in js_wire] == [("GET", "/", False)]
    # The state JS's get_manager_version sets (source): _apiVersion = v.version (config too),
    # _apiVersionMajor = v.version.substr(1, 2) (config too), kernelPrefix '/session' when > 4.
    major = answer["version"][1:3]
    assert (client._apiVersion, client._config._apiVersion) == (answer["version"], answer["version"])
    assert (client._apiVersionMajor, client._config._apiVersionMajor) == (major, major)
    assert client.kernelPrefix == ("/session" if float(major) > 4 else "/kernel")


def test_get_manager_version_without_version_fails_on_both_sides(oracle, scripted_server: ScriptedServer) -> None:
    config = _config(scripted_server)
    scripted_server.reset()
    scripted_server.always(Reply.json(200, '{"manager": "20.09.17"}'))
    try:
        js, js_wire = _js(oracle, scripted_server, config, "get_manager_version", [])
        with pytest.raises((ValueError, TypeError)):
            _port_client(config).get_manager_version()
        assert _wire(scripted_server.take()) == js_wire
    finally:
        scripted_server.always(None)
    assert not js["resolved"] and js["error"].startswith("TypeError")  # undefined.substr


SESSION_REPLIES = {
    "/server/login": '{"authenticated": true, "data": {"role": "user"}}',
    "/server/token-login": '{"authenticated": true, "data": {"role": "user"}}',
    "/func/": json.dumps(VERSIONS["v6"]),  # getServerVersion in SESSION mode
    "/server/login-check": '{"authenticated": true, "data": {"access_key": "AKIASESSION"}, "session_id": "s-1"}',
}


def _script_session(server: ScriptedServer, replies: dict[str, Reply]) -> None:
    for path, reply in replies.items():
        server.script(reply, path=path)


def _session_replies() -> dict[str, Reply]:
    return {path: Reply.json(200, body) for path, body in SESSION_REPLIES.items()}


@pytest.mark.parametrize("target", ["login", "token_login"])
def test_login_flow_matches_js(oracle, scripted_server: ScriptedServer, target: str) -> None:
    """The flow (login, GET / for the versions, login-check): the login-check goes out with the
    API version get_manager_version adopted, on both sides."""
    config = _config(scripted_server, connectionMode="SESSION")
    scripted_server.reset()
    _script_session(scripted_server, _session_replies())
    js, js_wire = _js(oracle, scripted_server, config, target, [])
    _script_session(scripted_server, _session_replies())
    client = _port_client(config)
    result = getattr(client, target)()
    port_wire = _wire(scripted_server.take())
    assert js["resolved"] and result == js["value"] is True
    assert port_wire == js_wire
    assert [w["path"] for w in js_wire][1:] == ["/func/", "/server/login-check"]
    assert js_wire[-1]["x-backendai-version"] == VERSIONS["v6"]["version"]
    # check_login (JS): this._config._accessKey = result.data.access_key
    assert client._config.accessKey == "AKIASESSION"


LOGIN_FAILURES = {
    "429-json": Reply.json(429, '{"type": "x", "title": "Too Many Requests", "msg": "Locked for 10 minutes"}'),
    "429-title-only": Reply.json(429, '{"type": "x", "title": "Locked"}'),
    "429-text": Reply(429, None, [("Content-Type", "text/plain")], b"slow down"),
    "401-json": Reply.json(401, '{"type": "x", "title": "Unauthorized"}'),
    "500-html": Reply(500, None, [("Content-Type", "text/html")], b"<html>oops</html>"),
    "bad-json": Reply.json(200, "{not json"),
    # JS reads result.data.role (login) / result.data.access_key (check_login): a TypeError there
    # is caught like a failed request.
    "no-data": Reply.json(200, '{"authenticated": true}'),
}


#: JS leaves its request timer running when fetch fails (clearTimeout is skipped), which keeps the
#: harness's Node process alive that long after the oracle closes: keep it short for refused connections.
REFUSED_TIMEOUT_MS = 300


def _thrown(exc: BaseException) -> dict[str, Any]:
    return {"title": getattr(exc, "title", "<no title>"), "message": getattr(exc, "message", str(exc))}


@pytest.mark.parametrize("case", list(LOGIN_FAILURES))
@pytest.mark.parametrize("target", ["login", "token_login"])
def test_login_errors_match_js(oracle, scripted_server: ScriptedServer, target: str, case: str) -> None:
    """HTTP 429 -> {title: err.description, message: 'Too many failed login attempts.'};
    any other failure -> {title: 'No manager found at API Endpoint.', ...}; as JS throws them."""
    config = _config(scripted_server, connectionMode="SESSION")
    path = "/server/login" if target == "login" else "/server/token-login"
    replies = _session_replies()
    replies[path] = LOGIN_FAILURES[case]
    scripted_server.reset()
    _script_session(scripted_server, replies)
    js, js_wire = _js(oracle, scripted_server, config, target, [])
    scripted_server.reset()  # drop the replies JS did not use
    _script_session(scripted_server, replies)
    client = _port_client(config)
    port: dict[str, Any]
    try:
        port = {"resolved": True, "value": getattr(client, target)()}
    except Exception as exc:  # noqa: BLE001 - compared with what JS throws
        port = {"resolved": False, "error": _thrown(exc)}
    port_wire = _wire(scripted_server.requests)
    scripted_server.reset()
    assert port_wire == js_wire
    expected = ({"resolved": True, "value": _undef_to_none(js["value"])} if js["resolved"]
                else {"resolved": False, "error": _undef_to_none(js["error"])})
    assert port == expected


@pytest.mark.parametrize("target", ["login", "token_login"])
def test_login_without_a_manager_matches_js(oracle, target: str) -> None:
    config = _config(f"http://127.0.0.1:{closed_port()}", connectionMode="SESSION",
                     requestTimeout=REFUSED_TIMEOUT_MS)
    js = oracle.call("call", config=config, target=target, args=[])
    with pytest.raises(Exception) as info:  # noqa: PT011 - compared with JS below
        getattr(_port_client(config), target)()
    assert not js["resolved"]
    assert _thrown(info.value) == js["error"] == {"title": "No manager found at API Endpoint.",
                                                  "message": "Authentication failed. Check information and "
                                                             "manager status."}


def test_login_when_the_version_answer_is_broken_matches_js(oracle, scripted_server: ScriptedServer) -> None:
    """get_manager_version throws inside login's try: JS turns it into 'No manager found'."""
    config = _config(scripted_server, connectionMode="SESSION")
    replies = _session_replies()
    replies["/func/"] = Reply.json(200, '{"manager": "20.09.17"}')  # no 'version'
    scripted_server.reset()
    _script_session(scripted_server, replies)
    js, js_wire = _js(oracle, scripted_server, config, "login", [])
    scripted_server.reset()
    _script_session(scripted_server, replies)
    try:
        port: dict[str, Any] = {"resolved": True, "value": _port_client(config).login()}
    except Exception as exc:  # noqa: BLE001 - compared with what JS throws
        port = {"resolved": False, "error": _thrown(exc)}
    port_wire = _wire(scripted_server.requests)
    scripted_server.reset()
    assert not js["resolved"]
    assert port_wire == js_wire
    assert port == {"resolved": False, "error": js["error"]}


@pytest.mark.parametrize("case", ["429-json", "500-html", "bad-json", "no-data", "refused"])
def test_check_login_failures_resolve_false_as_js(oracle, scripted_server: ScriptedServer, case: str) -> None:
    if case == "refused":
        config = _config(f"http://127.0.0.1:{closed_port()}", connectionMode="SESSION",
                         requestTimeout=REFUSED_TIMEOUT_MS)
    else:
        config = _config(scripted_server, connectionMode="SESSION")
    scripted_server.reset()
    if case != "refused":
        scripted_server.always(LOGIN_FAILURES[case])
    try:
        js, js_wire = _js(oracle, scripted_server, config, "check_login", [])
        client = _port_client(config)
        result = client.check_login()
        port_wire = _wire(scripted_server.take())
    finally:
        scripted_server.always(None)
    assert port_wire == js_wire
    assert js["resolved"] and js["value"] is False  # JS: catch (err) { return Promise.resolve(false) }
    assert result is False
    assert client._config.accessKey == ""  # JS assigns the access key only after reading result.data
