"""One test per row of the README's "Differences from the JS SDK" table.

Each test shows the port doing what a Backend.AI server accepts, where JS
21.3.1 would not; the JS behaviour is described from its source next to it.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from datetime import datetime, timezone

import pytest

import backend_ai_client as ai
from backend_ai_client.testing import LocalManager, verify_request
from scripted_server import ACCESS_KEY, SECRET_KEY, Reply, ScriptedServer, scripted_server  # noqa: F401


@pytest.fixture(scope="module")
def manager():
    with LocalManager() as m:
        yield m


def _client(m: LocalManager, endpoint: str | None = None) -> ai.Client:
    return ai.Client(ai.ClientConfig(m.access_key, m.secret_key, endpoint or m.endpoint))


def test_trailing_slash_endpoint_still_verifies(manager: LocalManager) -> None:
    # JS: endpointHost = 'host:port/' is signed as the host, the manager uses the Host header: mismatch.
    client = _client(manager, manager.endpoint + "/")
    assert client._config.endpointHost == f"127.0.0.1:{manager.port}"
    created = client.createIfNotExists("python:3.11", "slash-endpoint")
    assert created.created is True
    assert manager.requests[-1].raw_path == "/kernel/create" and manager.requests[-1].verified


def test_endpoint_with_path_signs_host_and_manager_path() -> None:
    # Behind a reverse proxy that strips /api, the manager sees /kernel/x with Host host:port.
    client = ai.Client(ai.ClientConfig("AK", "SK", "http://127.0.0.1:9/api/"))
    client._now = lambda: datetime(2026, 12, 3, 15, 16, 30, 265000, tzinfo=timezone.utc)
    rqst = client.newSignedRequest("GET", "/kernel/x", None)
    assert rqst["uri"] == "http://127.0.0.1:9/api/kernel/x"
    headers = dict(rqst["headers"], Host="127.0.0.1:9")
    verdict = verify_request("GET", "/kernel/x", headers, b"", {"AK": "SK"},
                             now=datetime(2026, 12, 3, 15, 20, tzinfo=timezone.utc))
    assert verdict.ok, verdict.reason


@pytest.mark.parametrize("name", ["my session", "a/b", "what?", "hash#tag", "세션-이름", "100%"])
def test_path_parameters_are_one_encoded_segment(manager: LocalManager, name: str) -> None:
    # JS: `${kernelPrefix}/${sessionId}` raw: '/' and '?' change the route, '#' cuts the URL.
    client = _client(manager)
    with pytest.raises(ai.ServerError) as info:
        client.get_info(name)
    record = manager.requests[-1]
    assert record.verified
    assert record.raw_path.count("/") == 2 and "?" not in record.raw_path and "#" not in record.raw_path
    assert info.value.statusCode == 404
    assert info.value.body["title"] == "No such session."


def test_query_values_are_encoded(manager: LocalManager) -> None:
    # JS: `?owner_access_key=${ownerKey}` raw: '&' would add a parameter.
    client = _client(manager)
    with pytest.raises(ai.ServerError):
        client.destroy("no-such-session", "AK&forced=true", False)
    assert manager.requests[-1].raw_path == "/kernel/no-such-session?owner_access_key=AK%26forced%3Dtrue"
    assert manager.requests[-1].verified


def test_public_requests_send_no_fetch_options_as_headers() -> None:
    client = ai.Client(ai.ClientConfig("AK", "SK", "http://127.0.0.1:9"))
    headers = {k.lower() for k in client.newPublicRequest("GET", "/", None, "")["headers"]}
    assert "credentials" not in headers and "mode" not in headers
    assert {"content-type", "user-agent", "x-backendai-version", "x-backendai-date"} <= headers


def test_host_header_is_the_signed_host(scripted_server: ScriptedServer) -> None:
    # fetch would send Host without a default port while JS signs 'host:443'.
    config = ai.ClientConfig(ACCESS_KEY, SECRET_KEY, scripted_server.endpoint)
    client = ai.Client(config)
    scripted_server.reset()
    scripted_server.script(Reply.json(200, '{"ok": true}'))
    assert client.fetchSSHKeypair() == {"ok": True}
    [rec] = scripted_server.take(signed=True)
    assert rec.header("Host") == config.endpointHost
    explicit = ai.ClientConfig("AK", "SK", "https://api.example.invalid:443")
    assert explicit.endpointHost == "api.example.invalid:443"


def test_redirects_are_not_followed(scripted_server: ScriptedServer) -> None:
    client = ai.Client(ai.ClientConfig(ACCESS_KEY, SECRET_KEY, scripted_server.endpoint))
    scripted_server.reset()
    scripted_server.script(Reply(302, "Found", [("Location", "http://127.0.0.1:1/elsewhere"),
                                                ("Content-Type", "text/plain")], b"moved"))
    with pytest.raises(ai.ServerError) as info:
        client.fetchSSHKeypair()
    assert info.value.statusCode == 302
    assert len(scripted_server.take()) == 1


def test_signal_keeps_the_timeout(scripted_server: ScriptedServer) -> None:
    # JS: a given signal replaces the timer, so a silent server is waited on forever.
    client = ai.Client(ai.ClientConfig(ACCESS_KEY, SECRET_KEY, scripted_server.endpoint))
    client.requestTimeout = 300
    scripted_server.reset()
    scripted_server.script(Reply.json(200, "{}").__class__(delay=2.0))
    controller = ai.AbortController()
    start = time.monotonic()
    with pytest.raises(ai.RequestTimeoutError):
        client.getServerVersion(controller.signal)
    assert time.monotonic() - start < 1.5
    scripted_server.take()
    controller.abort()
    with pytest.raises(ai.RequestError) as info:
        client.getServerVersion(controller.signal)
    assert "aborted" in info.value.message


def test_session_template_start_time_is_sent(monkeypatch: pytest.MonkeyPatch) -> None:
    # JS: `if (resources['starts_at']) params['starts_at'] = resources['startsAt']`.
    client = ai.Client(ai.ClientConfig("AK", "SK", "http://127.0.0.1:9"))
    sent = {}
    monkeypatch.setattr(client, "_wrapWithPromise", lambda rqst, *a, **kw: sent.update(rqst) or {})
    client.createSessionFromTemplate("tpl-1", None, "s-name", {"startsAt": "2026-12-24T00:00:00Z", "cpu": 1})
    assert '"starts_at":"2026-12-24T00:00:00Z"' in sent["body"]


def test_response_body_has_a_deadline() -> None:
    # A server that sends headers, then trickles the body: JS waits as long as it trickles.
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    stop = threading.Event()

    def serve() -> None:
        conn, _ = listener.accept()
        with conn:
            conn.recv(65536)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 1000\r\n\r\n")
            for _ in range(100):
                if stop.is_set():
                    break
                try:
                    conn.sendall(b"x")
                except OSError:
                    break
                time.sleep(0.05)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    client = ai.Client(ai.ClientConfig("AK", "SK", f"http://127.0.0.1:{port}"))
    client.responseReadTimeout = 300
    start = time.monotonic()
    with pytest.raises(ai.BackendAIError) as info:
        client.getServerVersion()
    stop.set()
    thread.join(5)
    listener.close()
    assert time.monotonic() - start < 3
    assert info.value.type in (ai.Client.ERR_RESPONSE, ai.Client.ERR_TIMEOUT)


def test_passwords_never_reach_error_fields(scripted_server: ScriptedServer) -> None:
    # JS copies the raw body, password included, into requestParameters.
    client = ai.Client(ai.ClientConfig(ACCESS_KEY, SECRET_KEY, scripted_server.endpoint))
    scripted_server.reset()
    scripted_server.script(Reply.json(400, '{"title": "bad", "msg": "wrong password"}'))
    with pytest.raises(ai.ServerError) as info:
        client.update_password("old-Pa55", "new-Pa55", "new-Pa55")
    scripted_server.take()
    err = info.value
    shown = repr(err) + str(err) + repr(err.to_dict())
    assert "Pa55" not in shown
    assert err.requestParameters == '{"old_password":"<hidden>","new_password":"<hidden>","new_password2":"<hidden>"}'


def test_session_template_list_sends_one_query_string(scripted_server: ScriptedServer) -> None:
    # JS: `?all=true` then `?group_id=${groupId}` appended with a second '?'.
    client = ai.Client(ai.ClientConfig(ACCESS_KEY, SECRET_KEY, scripted_server.endpoint))
    scripted_server.reset()
    scripted_server.script(Reply.json(200, "[]"))
    assert client.sessionTemplate.list(True, "g-1") == []
    [rec] = scripted_server.take(signed=True)
    assert rec.raw_path == "/template/session?all=true&group_id=g-1"


def test_raw_query_values_are_encoded_in_namespaces(scripted_server: ScriptedServer) -> None:
    # JS: `?group=${group}` raw, so a null group is sent as the text 'null'.
    client = ai.Client(ai.ClientConfig(ACCESS_KEY, SECRET_KEY, scripted_server.endpoint))
    scripted_server.reset()
    scripted_server.always(Reply.json(200, "{}"))
    client.scalingGroup.list("my group&x")
    client.scalingGroup.list(None)
    first, second = scripted_server.take(signed=True)
    scripted_server.always(None)
    assert first.raw_path == "/scaling-groups?group=my%20group%26x"
    assert second.raw_path == "/scaling-groups?group="


def test_clock_skew_is_said_plainly(manager: LocalManager) -> None:
    # The manager refuses dates more than 15 minutes off with "Date/time sync error" (JS shows only that).
    from datetime import timedelta

    client = _client(manager)
    client._now = lambda: datetime.now(timezone.utc) - timedelta(minutes=20)
    with pytest.raises(ai.ServerError) as info:
        client.get_info("any-session")
    err = info.value
    assert err.message.startswith("server responded failure: 400 Bad Request - Date/time sync error")
    assert err.clockSkew is not None and err.clockSkew["server"] is not None
    assert -1260 < err.clockSkew["seconds"] < -1140  # the request's date was 20 minutes behind the server
    text = str(err)
    assert "clock" in text and err.clockSkew["local"] in text and err.clockSkew["server"] in text


def test_resource_slots_use_the_current_route_before_the_version_is_known(scripted_server: ScriptedServer) -> None:
    # JS: isAPIVersionCompatibleWith(...) is false while the API version is unknown, so a fresh client
    # asks /etcd/resource-slots, which managers 23.09 and later no longer serve (404 Unknown URL path).
    client = ai.Client(ai.ClientConfig(ACCESS_KEY, SECRET_KEY, scripted_server.endpoint))
    scripted_server.reset()
    scripted_server.always(Reply.json(200, '{"cpu": "count"}'))
    client.get_resource_slots()
    client._apiVersion = "v4.20190301"  # a manager known to be older keeps the old route, as in JS
    client.get_resource_slots()
    first, second = scripted_server.take(signed=False)
    scripted_server.always(None)
    assert (first.raw_path, second.raw_path) == ("/config/resource-slots", "/etcd/resource-slots")


def test_folder_upload_uses_an_upload_session_from_api_v6(scripted_server: ScriptedServer, tmp_path) -> None:
    # JS 21.3.1 always posts multipart to /folders/{name}/upload, which managers with a storage proxy
    # no longer serve; the port asks for an upload session and sends the bytes with one tus PATCH.
    client = ai.Client(ai.ClientConfig(ACCESS_KEY, SECRET_KEY, scripted_server.endpoint))
    client._apiVersion = client._config._apiVersion = "v7.20230615"
    client._apiVersionMajor = client._config._apiVersionMajor = "7"
    source = tmp_path / "data.bin"
    source.write_bytes(bytes(range(256)) * 1000)
    scripted_server.reset()
    scripted_server.script(
        Reply.json(200, json.dumps({"token": "tok-1", "url": scripted_server.endpoint + "/upload"})),
        Reply(204, None, [], b""),
    )
    assert client.vfolder.upload("dir/data.bin", source, "my-folder") == b""
    session, patch = scripted_server.take()
    assert (session.method, session.raw_path, session.signed) == ("POST", "/folders/my-folder/request-upload", True)
    assert json.loads(session.body) == {"path": "dir/data.bin", "size": 256000}
    assert (patch.method, patch.raw_path, patch.signed) == ("PATCH", "/upload?token=tok-1", False)
    assert patch.header("Upload-Offset") == "0" and patch.header("Tus-Resumable") == "1.0.0"
    assert patch.body == source.read_bytes()


# -- user.get / user.list / user.create on managers without User.password ----------------
def _user_state(api: str, manager: str) -> dict:
    major = api[1]
    return {"apiVersion": api, "apiVersionMajor": major,
            "clientState": {"_apiVersion": api, "_apiVersionMajor": major, "_managerVersion": manager,
                            "kernelPrefix": "/session", "is_admin": True, "is_superadmin": True}}


USER_CALLS = {
    "user.get": ["alice@example.com"],
    "user.list": [True],
    "user.create": ["alice@example.com", {"username": "alice", "password": "s3cret", "domain_name": "default"}],
}


@pytest.mark.parametrize("target", list(USER_CALLS))
@pytest.mark.parametrize("api, manager, fixed", [
    ("v6.20210815", "21.03.17", False),  # 21.03.17 still has User.password: JS's query stays
    ("v6.20220315", "22.03.0", True),
    ("v7.20230615", "23.09.10", True),
])
def test_user_queries_leave_out_the_removed_password_field(oracle, scripted_server, target, api, manager,
                                                          fixed) -> None:
    # JS 21.3.1 always asks for User.password; managers announcing v6.20220315 or later answer
    # "Cannot query field 'password' on type 'User'" and fail the whole query (docs/compatibility.md).
    from oracle import port_client

    config = {"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY, "endpoint": scripted_server.endpoint,
              **_user_state(api, manager)}
    answer = {"user": {}, "user_list": {"items": [], "total_count": 0}, "create_user": {"ok": True}}
    args = USER_CALLS[target]
    scripted_server.reset()
    scripted_server.always(Reply.json(200, json.dumps(answer)))
    try:
        js = oracle.call("call", config=config, target=target, args=args)
        js_sent = [json.loads(r.body) for r in scripted_server.take()]
        owner = port_client(config)
        for part in target.split("."):
            owner = getattr(owner, part)
        port_value = owner(*args)
        port_sent = [json.loads(r.body) for r in scripted_server.take()]
    finally:
        scripted_server.always(None)
    assert js["resolved"] and len(js_sent) == len(port_sent) == 1
    (js_body,), (port_body,) = js_sent, port_sent
    assert " password " in js_body["query"]
    assert port_body["variables"] == js_body["variables"]
    if fixed:
        assert port_body["query"] == js_body["query"].replace(" password ", " ", 1)
        assert " password " not in port_body["query"]
    else:
        assert port_body["query"] == js_body["query"]
    assert port_value == js["value"]
