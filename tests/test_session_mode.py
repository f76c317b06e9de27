"""SESSION mode: no signature, /func routing, cookies kept across calls (as a browser does)."""

from __future__ import annotations

import json

import backend_ai_client as ai
from scripted_server import Reply, ScriptedServer, scripted_server  # noqa: F401


def test_login_keeps_the_cookie_and_routes_through_func(scripted_server: ScriptedServer) -> None:
    client = ai.Client(ai.ClientConfig("user@example.com", "pw-123", scripted_server.endpoint, "SESSION"))
    scripted_server.reset()
    login_answer = {"authenticated": True, "data": {"role": "user"}}
    scripted_server.script(
        Reply(200, None, [("Content-Type", "application/json"), ("Set-Cookie", "AIOHTTP_SESSION=abc123; Path=/")],
              json.dumps(login_answer).encode()),
        Reply.json(200, '{"version": "v6.20200815", "manager": "20.09.17"}'),
        Reply.json(200, '{"authenticated": true, "data": {"access_key": "AKIASESSION"}, "session_id": "s1"}'),
        Reply.json(200, '{"ok": true}'),
    )
    assert client.login() is True
    assert client._config.accessKey == "AKIASESSION"
    assert client.managerVersion == "20.09.17" and client.kernelPrefix == "/session"
    assert client.get_info("sess-1") == {"ok": True}
    login, version, check, info = scripted_server.take(signed=False)
    assert (login.method, login.raw_path) == ("POST", "/server/login")
    assert json.loads(login.body) == {"username": "user@example.com", "password": "pw-123"}
    assert version.raw_path == "/func/"
    assert check.raw_path == "/server/login-check"
    assert info.raw_path == "/func/session/sess-1"
    for later in (version, check, info):
        assert later.header("Cookie") == "AIOHTTP_SESSION=abc123"
        assert later.header("Authorization") is None


def test_failed_login_reports_the_details(scripted_server: ScriptedServer) -> None:
    client = ai.Client(ai.ClientConfig("user@example.com", "pw", scripted_server.endpoint, "SESSION"))
    scripted_server.reset()
    scripted_server.script(Reply.json(200, '{"authenticated": false, "data": {"details": "Wrong password"}}'))
    assert client.login() == {"fail_reason": "Wrong password"}
    scripted_server.take()
