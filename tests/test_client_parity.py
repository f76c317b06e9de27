"""Wire parity of the Client's own API calls: the JS SDK under Node and the port
make the same call against the same recording server.

Every spec member that sends requests (request recipes, aliases, hooks) needs
a case here; a member with neither a case nor a stated reason fails the suite.
Asserted per request: HTTP method, path and query, body (as JSON), content
type, version header and User-Agent, and the JSON body text byte for byte; every signed request verifies with the
manager's algorithm (the server asserts it); and the call's result is equal.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import backend_ai_client as ai
from oracle import JS_UNDEFINED
from scripted_server import ACCESS_KEY, SECRET_KEY, Reply, ScriptedServer, scripted_server  # noqa: F401

SPEC = json.loads((Path(__file__).resolve().parent.parent / "api_spec.json").read_text())

#: A reply that satisfies every call: versions for get_manager_version, login answers for SESSION mode.
UNIVERSAL = json.dumps({
    "version": "v6.20200815", "manager": "20.09.17", "authenticated": True,
    "data": {"access_key": "AKIASESSION", "role": "user"}, "session_id": "sess-cookie", "ok": True,
})

V6 = {"apiVersion": "v6.20200815", "apiVersionMajor": "6",
      "clientState": {"_apiVersion": "v6.20200815", "_apiVersionMajor": "6", "kernelPrefix": "/session"}}
RESOURCES = {
    "cpu": 2, "mem": "4g", "gpu": "1", "fgpu": 0.5, "cuda.shares": "0.25", "cluster_size": 2, "cluster_mode": "single-node",
    "env": {"A": "1", "10": "x"}, "mounts": ["data"], "mount_map": {"data": "/home/work/d"}, "shmem": "1g",
    "enqueueOnly": True, "startsAt": "2026-12-24T00:00:00Z", "scaling_group": "default", "owner_access_key": "AKOWNER",
    "bootstrap_script": "echo hi", "type": "batch", "startupCommand": "ls", "group_name": "g", "domain": "d",
    "maxWaitSeconds": 10, "reuseIfExists": True, "rocm": 1, "tpu": 2, "vgpu": 0,
}

# (member, args, config extras); args are JSON values, JS_UNDEFINED for an omitted argument.
CASES: list[tuple[str, list[Any], dict[str, Any]]] = [
    ("getServerVersion", [], {}),
    ("get_manager_version", [], {}),
    ("logout", [], {}),
    ("signout", ["user@example.com", "pw"], {}),
    ("update_full_name", ["user@example.com", "Fülle Name"], {}),
    ("update_password", ["old", "new", "new"], {}),
    ("get_resource_slots", [], {}),
    ("get_resource_slots", [], V6),
    ("createIfNotExists", ["python:3.11", "sess-1", RESOURCES, 20000], {}),
    ("createIfNotExists", ["python:3.11", "sess-2"], V6),
    ("createIfNotExists", ["python:3.11", "sess-3", {"vgpu": "0.5", "fgpu": "1.5", "gpu": "x2"}], {}),
    ("createSessionFromTemplate", ["tpl-1", "img:1", "name-1", {"cpu": 1, "fgpu": "0.333", "env": {"B": "2"}}], {}),
    ("createSessionFromTemplate", ["tpl-1", None, "name-2", {}], V6),
    ("get_info", ["sess-1"], {}),
    ("get_info", ["sess-1", "AKOWNER"], V6),
    ("get_logs", ["sess-1", None, 3000], {}),
    ("getTaskLogs", ["sess-1"], {}),
    ("destroy", ["sess-1"], {}),
    ("destroy", ["sess-1", "AKOWNER", True], V6),
    ("destroy", ["sess-1", None, True], {}),
    ("restart", ["sess-1", "AKOWNER"], {}),
    ("execute", ["sess-1", "run-00000001", "query", "print(1)", {"exec": "x"}], {}),
    ("execute", ["sess-1", "run-00000001", "query", "print(1)"], V6),
    ("createKernel", ["python:3.11", "sess-4", {"cpu": 1}], {}),
    ("destroyKernel", ["sess-4", "AKOWNER"], {}),
    ("refreshKernel", ["sess-4"], {}),
    ("runCode", ["print(2)", "sess-4", "run-00000002", "query"], {}),
    ("shutdown_service", ["sess-1", "jupyter notebook"], {}),
    ("download", ["sess-1", ["a.txt", "b c/ü.txt"]], {}),
    ("download_single", ["sess-1", "dir/a b.txt"], V6),
    ("query", ["query { keypair { access_key } }", {"a": [1, 2.5, None]}], {}),
    ("query", ["query { x }"], {}),
    ("fetchSSHKeypair", [], {}),
    ("refreshSSHKeypair", [], {}),
    ("login", [], {"connectionMode": "SESSION"}),
    ("token_login", [], {"connectionMode": "SESSION"}),
    ("check_login", [], {"connectionMode": "SESSION"}),
]

#: Members that send requests but have no parity case here, with the reason.
NO_PARITY = {
    "upload": "JS needs a Blob argument, which the harness does not build yet; the port's multipart upload is "
              "verified against the recording server in test_upload_is_signed_multipart",
}

SENDING_KINDS = ("request", "alias", "hook")


def test_every_sending_member_has_a_parity_case() -> None:
    members = {n for n, e in SPEC["client"]["members"].items() if e["kind"] in SENDING_KINDS}
    covered = {name for name, _, _ in CASES} | set(NO_PARITY)
    assert members - covered == set(), f"members without a parity case: {sorted(members - covered)}"
    assert covered - members == set(), f"cases for unknown members: {sorted(covered - members)}"


def _config(server: ScriptedServer, extra: dict[str, Any]) -> dict[str, Any]:
    config = {"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY, "endpoint": server.endpoint}
    config.update(extra)
    if extra.get("connectionMode") == "SESSION":
        config["accessKey"], config["secretKey"] = "user@example.com", "session-password"
    return config


def _port_client(config: dict[str, Any]) -> ai.Client:
    client = ai.Client(ai.ClientConfig(config["accessKey"], config["secretKey"], config["endpoint"],
                                       config.get("connectionMode", "API")))
    if "apiVersion" in config:
        client._config._apiVersion = config["apiVersion"]
    if "apiVersionMajor" in config:
        client._config._apiVersionMajor = config["apiVersionMajor"]
    for key, value in config.get("clientState", {}).items():
        setattr(client, key, value)
    return client


def _wire(records: list) -> list[dict[str, Any]]:
    out = []
    for rec in records:
        ctype = (rec.header("Content-Type") or "").split(";")[0]
        if ctype == "application/json" and rec.body:
            body: Any = json.loads(rec.body)
        else:
            body = rec.body if ctype != "multipart/form-data" else "<multipart>"
        out.append({
            "method": rec.method, "path": rec.raw_path, "body": body, "content-type": ctype,
            "body-bytes": rec.body if ctype != "multipart/form-data" else "<multipart>",  # JSON.stringify byte for byte
            "x-backendai-version": rec.header("X-BackendAI-Version"), "user-agent": rec.header("User-Agent"),
            "signed": rec.signed,
        })
    return out


def _port_args(args: list[Any]) -> list[Any]:
    return [ai.UNDEFINED if a is JS_UNDEFINED else a for a in args]


@pytest.mark.parametrize("member, args, extra", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_client_call_parity(oracle, scripted_server: ScriptedServer, member: str, args: list[Any],
                            extra: dict[str, Any]) -> None:
    config = _config(scripted_server, extra)
    scripted_server.reset()
    scripted_server.always(Reply.json(200, UNIVERSAL))
    js = oracle.call("call", config=config, target=member, args=args)
    js_wire = _wire(scripted_server.take())
    port_client = _port_client(config)
    port_value = getattr(port_client, member)(*_port_args(args))
    port_wire = _wire(scripted_server.take())
    scripted_server.always(None)
    assert js["resolved"] is True, js
    assert port_wire == js_wire, f"{member}: the port's requests differ from the JS SDK's"
    assert port_value == js["value"]
    assert js_wire, "the call sent nothing"


def test_upload_is_signed_multipart(scripted_server: ScriptedServer) -> None:
    client = ai.Client(ai.ClientConfig(ACCESS_KEY, SECRET_KEY, scripted_server.endpoint))
    scripted_server.reset()
    scripted_server.script(Reply.json(200, "{}"))
    client.upload("sess-1", "notes/a.txt", b"hello \x00 world")
    [rec] = scripted_server.take(signed=True)
    assert rec.method == "POST" and rec.raw_path == "/kernel/sess-1/upload"
    assert rec.header("Content-Type").startswith("multipart/form-data; boundary=")
    assert b'name="src"; filename="notes/a.txt"' in rec.body and b"hello \x00 world" in rec.body
