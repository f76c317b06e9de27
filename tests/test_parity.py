"""Wire parity, parametrized from api_spec.json: the JS SDK under Node and the
port make the same call, with the same arguments and client state, against the
same recording server.

Every example in the spec (``"examples"`` of a member) is a case; a member that
talks to the server and has no example fails the suite, unless
``tests/deviations.json`` says why (``noParity``); members whose result differs
on purpose (README table) are listed there under ``requestsOnly``. Asserted per request: HTTP method, path and
query, the JSON body byte for byte, content type, version header and
User-Agent; every signed request verifies with the manager's algorithm (the
server asserts it); and the call's result (or its error fields) is equal.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import backend_ai_client as ai
from oracle import JS_UNDEFINED, port_client
from scripted_server import ACCESS_KEY, SECRET_KEY, Reply, ScriptedServer, scripted_server  # noqa: F401

ROOT = Path(__file__).resolve().parent.parent
SPEC = json.loads((ROOT / "api_spec.json").read_text())
DEVIATIONS = json.loads((Path(__file__).resolve().parent / "deviations.json").read_text())

#: The reply every request gets unless the example names its own: versions for
#: get_manager_version, login answers for SESSION mode, and an ok flag.
UNIVERSAL = {
    "version": "v6.20200815", "manager": "20.09.17", "authenticated": True,
    "data": {"access_key": "AKIASESSION", "role": "user"}, "session_id": "sess-cookie", "ok": True,
}
SENDING_KINDS = ("request", "graphql", "alias", "hook")


def _members() -> list[tuple[str, dict[str, Any]]]:
    out = [(name, entry) for name, entry in SPEC["client"]["members"].items()]
    for attr, ns in SPEC.get("namespaces", {}).items():
        out += [(f"{attr}.{name}", entry) for name, entry in ns["members"].items()]
    return sorted(out)


def _cases() -> list[Any]:
    return [
        pytest.param(target, example, id=f"{target}[{i}]")
        for target, entry in _members()
        for i, example in enumerate(entry.get("examples", []))
    ]


def test_every_member_that_talks_to_the_server_has_a_case() -> None:
    missing = [t for t, e in _members() if e["kind"] in SENDING_KINDS and not e.get("examples")
               and t not in DEVIATIONS["noParity"]]
    assert not missing, f"members without a parity example in api_spec.json: {missing}"
    unknown = (set(DEVIATIONS["noParity"]) | set(DEVIATIONS["requestsOnly"])) - {t for t, _ in _members()}
    assert not unknown, f"tests/deviations.json names unknown members: {sorted(unknown)}"


def _config(server: ScriptedServer, state: dict[str, Any]) -> dict[str, Any]:
    config: dict[str, Any] = {"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY, "endpoint": server.endpoint}
    config.update(state)
    if state.get("connectionMode") == "SESSION":
        config["accessKey"], config["secretKey"] = "user@example.com", "session-password"
    return config


_port_client = port_client


def _wire(records: list) -> list[dict[str, Any]]:
    out = []
    for rec in records:
        ctype = (rec.header("Content-Type") or "").split(";")[0]
        multipart = ctype == "multipart/form-data"
        body: Any = json.loads(rec.body) if ctype == "application/json" and rec.body else rec.body
        out.append({
            "method": rec.method, "path": rec.raw_path, "content-type": ctype,
            "body": "<multipart>" if multipart else body,
            "body-bytes": "<multipart>" if multipart else rec.body,  # JSON.stringify byte for byte
            "x-backendai-version": rec.header("X-BackendAI-Version"), "user-agent": rec.header("User-Agent"),
            "signed": rec.signed,
        })
    return out


def _port_args(args: list[Any]) -> list[Any]:
    return [ai.UNDEFINED if a is JS_UNDEFINED else a for a in args]


def _resolve(client: Any, target: str) -> Any:
    owner = client
    for part in target.split("."):
        owner = getattr(owner, part)
    return owner


def _port_outcome(fn: Any, args: list[Any]) -> dict[str, Any]:
    try:
        return {"resolved": True, "value": fn(*_port_args(args))}
    except ai.BackendAIError as err:
        fields = err.to_dict()
        fields.pop("timestamp")
        return {"resolved": False, "error": fields}
    except ai.ConfigurationError:
        # JS throws a bare string before sending; the port raises ConfigurationError with its own text.
        return {"resolved": False, "threw": True}


def _js_outcome(js: dict[str, Any]) -> dict[str, Any]:
    if js["resolved"]:
        return {"resolved": True, "value": None if js["value"] is JS_UNDEFINED else js["value"]}
    if isinstance(js["error"], str):
        return {"resolved": False, "threw": True}
    err = dict(js["error"]) if isinstance(js["error"], dict) else {"thrown": js["error"]}
    err.pop("timestamp", None)
    problem = {"https://api.backend.ai/probs/server-error": 0, "https://api.backend.ai/probs/client-response-error": 1,
               "https://api.backend.ai/probs/client-request-error": 2}
    if "type" in err:
        err["type"] = problem.get(err["type"], err["type"])
    for key, value in err.items():
        if value is JS_UNDEFINED:
            err[key] = None
    return {"resolved": False, "error": err}


@pytest.mark.parametrize("target, example", _cases())
def test_parity(oracle, scripted_server: ScriptedServer, target: str, example: dict[str, Any]) -> None:
    config = _config(scripted_server, example.get("state", {}))
    reply = example.get("reply", UNIVERSAL)
    scripted_server.reset()
    scripted_server.always(Reply.json(200, json.dumps(reply)))
    try:
        js = oracle.call("call", config=config, target=target, args=example["args"])
        js_wire = _wire(scripted_server.take())
        port = _port_outcome(_resolve(_port_client(config), target), example["args"])
        port_wire = _wire(scripted_server.take())
    finally:
        scripted_server.always(None)
    assert port_wire == js_wire, f"{target}: the port's requests differ from the JS SDK's"
    if target in DEVIATIONS["requestsOnly"]:
        return  # the result differs on purpose: see the reason in tests/deviations.json
    assert port == _js_outcome(js), f"{target}: the result differs"


def test_upload_is_signed_multipart(scripted_server: ScriptedServer) -> None:
    client = ai.Client(ai.ClientConfig(ACCESS_KEY, SECRET_KEY, scripted_server.endpoint))
    scripted_server.reset()
    scripted_server.script(Reply.json(200, "{}"))
    client.upload("sess-1", "notes/a.txt", b"hello \x00 world")
    [rec] = scripted_server.take(signed=True)
    assert rec.method == "POST" and rec.raw_path == "/kernel/sess-1/upload"
    assert rec.header("Content-Type").startswith("multipart/form-data; boundary=")
    assert b'name="src"; filename="notes/a.txt"' in rec.body and b"hello \x00 world" in rec.body
