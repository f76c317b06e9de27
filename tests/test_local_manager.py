"""LocalManager: routes, authentication, execution, lifecycle.

Requests are signed here with a small signer written from the contract's
description of the algorithm (JS-SDK-CONTRACT.md, "Signing"), not with the
client package's signing code, plus a few calls through ``Client`` core methods.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import logging
import os
import pickle
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

import backend_ai_client as ai
from backend_ai_client.testing import LocalManager, RequestRecord

ROOT = Path(__file__).resolve().parents[1]
PROBS = "https://api.backend.ai/probs/"


# -- a signer written from the contract ----------------------------------------------
def js_iso(moment: datetime) -> str:
    moment = moment.astimezone(timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def signed_headers(
    method: str,
    path: str,
    body_text: str,
    *,
    access: str,
    secret: str,
    host: str,
    api_version: str = "v4.20190615",
    moment: datetime | None = None,
    content_type: str = "application/json",
) -> dict[str, str]:
    moment = moment or datetime.now(timezone.utc)
    date_text = js_iso(moment)
    hashed = body_text if api_version[1] < "4" else ""
    body_hash = hashlib.sha256(hashed.encode()).hexdigest()
    to_sign = "\n".join([
        method, path, date_text, "host:" + host, "content-type:" + content_type,
        "x-backendai-version:" + api_version, body_hash,
    ])
    k1 = hmac.new(secret.encode(), moment.astimezone(timezone.utc).strftime("%Y%m%d").encode(), hashlib.sha256).digest()
    k2 = hmac.new(k1, host.encode(), hashlib.sha256).digest()
    sig = hmac.new(k2, to_sign.encode(), hashlib.sha256).hexdigest()
    return {
        "Authorization": f"BackendAI signMethod=HMAC-SHA256, credential={access}:{sig}",
        "X-BackendAI-Date": date_text,
        "X-BackendAI-Version": api_version,
        "Content-Type": content_type,
    }


class Caller:
    """Signed requests to one manager with one keypair."""

    def __init__(self, mgr: LocalManager, access: str | None = None, secret: str | None = None) -> None:
        self.mgr = mgr
        self.access = access or mgr.access_key
        self.secret = secret or mgr.secret_key
        self.http = requests.Session()
        self.http.trust_env = False

    @property
    def host(self) -> str:
        return urlsplit(self.mgr.endpoint).netloc

    def __call__(
        self,
        method: str,
        path: str,
        body: object = None,
        *,
        send_text: str | None = None,
        api_version: str = "v4.20190615",
        moment: datetime | None = None,
        secret: str | None = None,
    ) -> requests.Response:
        text = "" if body is None else json.dumps(body)
        headers = signed_headers(
            method, path, text, access=self.access, secret=secret or self.secret, host=self.host,
            api_version=api_version, moment=moment,
        )
        payload = (send_text if send_text is not None else text).encode() or None
        return self.http.request(method, self.mgr.endpoint + path, headers=headers, data=payload, timeout=15)


def create_body(name: str, lang: str = "python:3.9-ubuntu20.04", **extra: object) -> dict[str, object]:
    """The body JS createIfNotExists sends."""
    return {"lang": lang, "clientSessionToken": name, "config": {"resources": {"cpu": 1, "mem": "1g"}}, **extra}


def execute_body(code: str, mode: str = "query", run_id: str | None = "run-0001") -> dict[str, object]:
    return {"mode": mode, "code": code, "runId": run_id, "options": None}


def console(result: dict) -> dict[str, str]:
    return {stream: text for stream, text in result["console"]}


@pytest.fixture(scope="module")
def mgr():
    with LocalManager(exec_timeout=1.0) as manager:
        yield manager


@pytest.fixture()
def call(mgr):
    return Caller(mgr)


# -- public routes --------------------------------------------------------------------
def test_version_route_is_public(mgr):
    resp = requests.get(mgr.endpoint + "/", timeout=5)
    assert resp.status_code == 200
    assert resp.headers["Content-Type"].startswith("application/json")
    assert resp.json() == {"version": "v4.20190615", "manager": "20.09.0"}


def test_custom_versions_and_resource_slots():
    with LocalManager(api_version="v6.20200815", manager_version="21.03.1") as m:
        assert requests.get(m.endpoint + "/", timeout=5).json() == {"version": "v6.20200815", "manager": "21.03.1"}
        for path in ("/config/resource-slots", "/etcd/resource-slots"):
            resp = requests.get(m.endpoint + path, timeout=5)
            assert resp.status_code == 200
            assert resp.json() == {"cpu": "count", "mem": "bytes"}


def test_unknown_route_is_404_problem(mgr):
    resp = requests.get(mgr.endpoint + "/no/such/route", timeout=5)
    assert resp.status_code == 404
    assert resp.headers["Content-Type"].startswith("application/problem+json")
    body = resp.json()
    assert body["type"] == PROBS + "url-not-found"
    assert body["title"] == "Unknown URL path."


def test_wrong_method_is_405(call):
    resp = call("PUT", "/kernel/abcd")
    assert resp.status_code == 405
    assert resp.json()["type"] == PROBS + "method-not-allowed"
    assert "GET" in resp.headers["Allow"]


# -- session lifecycle ------------------------------------------------------------------
def test_create_then_create_again(mgr, call):
    first = call("POST", "/kernel/create", create_body("life-1"))
    assert first.status_code == 201, first.text
    body = first.json()
    assert body["created"] is True
    assert body["status"] == "RUNNING"
    assert body["sessionId"] == body["kernelId"] == "life-1"
    assert len(body["sessionUuid"]) == 36
    assert body["servicePorts"] == []

    again = call("POST", "/kernel/create", create_body("life-1"))
    assert again.status_code == 200
    assert again.json()["created"] is False
    assert again.json()["sessionUuid"] == body["sessionUuid"]
    assert (mgr.access_key, "life-1") in mgr.sessions


def test_create_under_session_prefix_and_enqueue_only(call):
    resp = call("POST", "/session", create_body("v5-style", enqueueOnly=True))
    assert resp.status_code == 201
    assert resp.json()["status"] == "PENDING"
    info = call("GET", "/session/v5-style")
    assert info.status_code == 200
    assert info.json()["lang"] == "python:3.9-ubuntu20.04"


def test_get_info(call):
    call("POST", "/kernel/create", create_body("info-1"))
    resp = call("GET", "/kernel/info-1")
    assert resp.status_code == 200
    info = resp.json()
    assert info["lang"] == "python:3.9-ubuntu20.04"
    assert info["status"] == "RUNNING"
    assert info["resources"] == {"cpu": 1, "mem": "1g"}
    assert datetime.fromisoformat(info["creationTime"]).tzinfo is not None
    assert info["numQueriesExecuted"] == 1
    assert call("GET", "/kernel/info-1").json()["numQueriesExecuted"] == 2


def test_percent_encoded_session_name(mgr, call):
    call("POST", "/kernel/create", create_body("enc.name_1"))
    # requests would normalise these escapes; http.client sends the path verbatim
    path = "/kernel/%65nc%2Ename_1"
    conn = http.client.HTTPConnection(mgr.host, mgr.port, timeout=5)
    conn.request("GET", path, headers=signed_headers(
        "GET", path, "", access=mgr.access_key, secret=mgr.secret_key, host=call.host))
    resp = conn.getresponse()
    body = json.loads(resp.read())
    conn.close()
    assert resp.status == 200, body
    assert body["sessionName"] == "enc.name_1"
    assert mgr.requests[-1] == RequestRecord("GET", path, True)


def test_execute_prints(call):
    call("POST", "/kernel/create", create_body("exec-1"))
    resp = call("POST", "/kernel/exec-1", execute_body("print(6*7)"))
    assert resp.status_code == 200
    result = resp.json()["result"]
    assert result["status"] == "finished"
    assert result["runId"] == "run-0001"
    assert result["exitCode"] == 0
    assert result["console"] == [["stdout", "42\n"]]
    assert result["files"] == []


def test_execute_keeps_files_per_session_and_hides_environment(call, monkeypatch):
    call("POST", "/kernel/create", create_body("exec-files"))
    call("POST", "/kernel/exec-files", execute_body("open('note.txt', 'w').write('kept')"))
    resp = call("POST", "/kernel/exec-files", execute_body(
        "import os; print(open('note.txt').read(), 'BACKEND_SECRET_KEY' in os.environ)"))
    assert console(resp.json()["result"])["stdout"] == "kept False\n"


def test_execute_syntax_error(call):
    call("POST", "/kernel/create", create_body("exec-2"))
    result = call("POST", "/kernel/exec-2", execute_body("def broken(:\n")).json()["result"]
    assert result["exitCode"] != 0
    streams = console(result)
    assert "stdout" not in streams
    assert "SyntaxError" in streams["stderr"]


def test_execute_timeout(mgr, call):
    assert mgr.exec_timeout == 1.0
    call("POST", "/kernel/create", create_body("exec-loop"))
    started = time.monotonic()
    result = call("POST", "/kernel/exec-loop", execute_body("print('begin', flush=True)\nwhile True: pass")).json()["result"]
    elapsed = time.monotonic() - started
    assert elapsed < 5
    assert result["status"] == "finished"
    assert result["exitCode"] == -1
    streams = console(result)
    assert streams["stdout"] == "begin\n"
    assert "timed out" in streams["stderr"]


def test_execute_output_is_capped():
    with LocalManager(max_output_bytes=1000) as m:
        c = Caller(m)
        c("POST", "/kernel/create", create_body("cap-1"))
        result = c("POST", "/kernel/cap-1", execute_body("print('x' * 100000)")).json()["result"]
        out = console(result)["stdout"]
        assert out.startswith("x" * 1000)
        assert "truncated" in out
        assert len(out) < 1200


def test_execute_code_longer_than_an_argv_entry(call):
    call("POST", "/kernel/create", create_body("exec-big"))
    code = "x = '" + "a" * 200_000 + "'\nprint(len(x))"
    result = call("POST", "/kernel/exec-big", execute_body(code)).json()["result"]
    assert result["exitCode"] == 0
    assert console(result) == {"stdout": "200000\n"}


def test_execute_other_modes_and_validation(call):
    call("POST", "/kernel/create", create_body("exec-modes"))
    batch = call("POST", "/kernel/exec-modes", execute_body("print(1)", mode="batch")).json()["result"]
    assert batch["status"] == "finished"
    assert batch["console"] == []
    missing = call("POST", "/kernel/exec-modes", {"mode": "query", "code": "1"})
    assert missing.status_code == 400
    assert missing.json()["msg"] == "runId is missing!"
    bad_mode = call("POST", "/kernel/exec-modes", execute_body("1", mode="nope"))
    assert bad_mode.status_code == 400
    assert bad_mode.json()["type"] == PROBS + "invalid-api-params"


def test_non_python_image_does_not_execute(call):
    call("POST", "/kernel/create", create_body("exec-r", lang="r-base:4.0"))
    result = call("POST", "/kernel/exec-r", execute_body("print(1)")).json()["result"]
    assert result["exitCode"] == 127
    assert "python" in console(result)["stderr"]


def test_execute_unknown_session_is_404(call):
    resp = call("POST", "/kernel/ghost-session", execute_body("print(1)"))
    assert resp.status_code == 404
    assert resp.json()["title"] == "No such session."


def test_restart_logs_destroy(call):
    call("POST", "/kernel/create", create_body("life-2"))
    call("POST", "/kernel/life-2", execute_body("print('hello logs')"))

    restart = call("PATCH", "/kernel/life-2")
    assert restart.status_code == 204
    assert restart.content == b""

    logs = call("GET", "/kernel/life-2/logs")
    assert logs.status_code == 200
    text = logs.json()["result"]["logs"]
    assert "hello logs" in text and "restarted" in text

    destroy = call("DELETE", "/kernel/life-2?forced=true")
    assert destroy.status_code == 200
    assert destroy.json() == {"stats": {}}

    gone = call("GET", "/kernel/life-2")
    assert gone.status_code == 404
    assert gone.headers["Content-Type"].startswith("application/problem+json")
    assert gone.json()["title"] == "No such session."
    assert gone.json()["type"].startswith(PROBS)


def test_sessions_are_per_access_key_and_owner_access_key():
    keys = {"AKIATESTOWNER0000001": "s" * 40, "AKIATESTOTHER0000002": "t" * 40}
    with LocalManager(keys) as m:
        owner = Caller(m, "AKIATESTOWNER0000001", "s" * 40)
        other = Caller(m, "AKIATESTOTHER0000002", "t" * 40)
        assert owner("POST", "/kernel/create", create_body("mine")).status_code == 201
        assert other("GET", "/kernel/mine").status_code == 404
        assert other("GET", "/kernel/mine?owner_access_key=AKIATESTOWNER0000001").status_code == 200
        assert set(m.sessions) == {("AKIATESTOWNER0000001", "mine")}


def test_ssh_keypair(call):
    resp = call("GET", "/auth/ssh-keypair")
    assert resp.status_code == 200
    key = resp.json()["ssh_public_key"]
    kind, blob, comment = key.split(" ")
    assert kind == "ssh-ed25519" and blob.startswith("AAAAC3NzaC1lZDI1NTE5") and comment == "local"
    assert call("GET", "/auth/ssh-keypair").json()["ssh_public_key"] == key


# -- validation ---------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["abc", "x" * 65, "-leading", "trailing-", "has space", "slash/name", "한글이름"])
def test_bad_session_name(call, name):
    resp = call("POST", "/kernel/create", create_body(name))
    assert resp.status_code == 400
    body = resp.json()
    assert body["type"] == PROBS + "invalid-api-params"
    assert "clientSessionToken" in body["msg"]


def test_missing_lang_and_bad_json(call):
    no_lang = call("POST", "/kernel/create", {"clientSessionToken": "nolang-1"})
    assert no_lang.status_code == 400
    assert "lang" in no_lang.json()["msg"]
    bad_json = call("POST", "/kernel/create", {"x": 1}, send_text="{not json")
    assert bad_json.status_code == 400
    assert bad_json.json()["type"] == PROBS + "invalid-api-params"
    assert bad_json.json()["msg"].startswith("Malformed body")


def test_content_length_cap_answers_413():
    with LocalManager(max_body_bytes=1024) as m:
        conn = http.client.HTTPConnection(m.host, m.port, timeout=5)
        conn.putrequest("POST", "/kernel/create")
        conn.putheader("Content-Length", str(10**9))
        conn.putheader("Content-Type", "application/json")
        conn.endheaders()
        resp = conn.getresponse()
        assert resp.status == 413
        assert json.loads(resp.read())["title"] == "Request entity too large."
        conn.close()


# -- authentication -------------------------------------------------------------------------
def test_wrong_secret_is_401(mgr, call):
    resp = call("GET", "/kernel/whatever", secret="not-the-secret")
    assert resp.status_code == 401
    body = resp.json()
    assert body == {"type": PROBS + "auth-failed", "title": "Credential/signature mismatch.", "msg": "Signature mismatch"}
    assert mgr.requests[-1] == RequestRecord("GET", "/kernel/whatever", False)


def test_unknown_access_key_and_unsigned(mgr):
    stranger = Caller(mgr, "AKIANOBODY0000000000", "x" * 40)
    resp = stranger("GET", "/kernel/whatever")
    assert resp.status_code == 401
    assert resp.json()["msg"] == "Access key not found"
    unsigned = requests.get(
        mgr.endpoint + "/kernel/whatever",
        headers={"X-BackendAI-Date": js_iso(datetime.now(timezone.utc)), "X-BackendAI-Version": "v4.20190615"},
        timeout=5,
    )
    assert unsigned.status_code == 401
    assert unsigned.json()["msg"] == "Unauthorized access"


def test_clock_skew_is_rejected_as_date_time_sync_error(call):
    # The real manager raises InvalidAuthParameters('Date/time sync error'): 400, invalid-auth-params.
    skewed = datetime.now(timezone.utc) - timedelta(minutes=20)
    resp = call("GET", "/kernel/whatever", moment=skewed)
    assert resp.status_code == 400
    body = resp.json()
    assert body["type"] == PROBS + "invalid-auth-params"
    assert body["msg"].startswith("Date/time sync error")
    assert js_iso(skewed) in body["msg"]  # the request's time, and the server's
    assert "server" in body["msg"]
    within = call("GET", "/auth/ssh-keypair", moment=datetime.now(timezone.utc) - timedelta(minutes=10))
    assert within.status_code == 200


def test_api_v3_hashes_the_body_v4_does_not(call):
    original = create_body("hash-v3a")
    tampered = json.dumps(create_body("hash-v3b"))
    v3 = call("POST", "/kernel/create", original, send_text=tampered, api_version="v3.20170615")
    assert v3.status_code == 401
    assert v3.json()["msg"] == "Signature mismatch"
    v3_ok = call("POST", "/kernel/create", original, api_version="v3.20170615")
    assert v3_ok.status_code == 201
    v4 = call("POST", "/kernel/create", original, send_text=tampered, api_version="v4.20190615")
    assert v4.status_code == 201
    assert v4.json()["sessionId"] == "hash-v3b"


def test_request_log_records_verification(mgr, call):
    call("GET", "/auth/ssh-keypair?x=1")
    requests.get(mgr.endpoint + "/", timeout=5)
    assert mgr.requests[-2:] == (
        RequestRecord("GET", "/auth/ssh-keypair?x=1", True),
        RequestRecord("GET", "/", False),
    )


def test_request_log_is_bounded():
    with LocalManager(request_log_size=3) as m:
        for _ in range(5):
            requests.get(m.endpoint + "/", timeout=5)
        assert len(m.requests) == 3


# -- through the client package's core ---------------------------------------------------------
def test_client_core_round_trip(mgr):
    client = ai.Client(ai.ClientConfig(mgr.access_key, mgr.secret_key, mgr.endpoint))
    with client:
        created = client._wrapWithPromise(client.newSignedRequest(
            "POST", "/kernel/create", {"lang": "python:3.9", "clientSessionToken": "via-client"}))
        assert created["created"] is True
        assert created["kernelId"] == "via-client"
        ran = client._wrapWithPromise(client.newSignedRequest(
            "POST", "/kernel/via-client", {"mode": "query", "code": "print(6*7)", "runId": "r-client", "options": None}))
        assert ran["result"]["console"] == [["stdout", "42\n"]]
        info = client._wrapWithPromise(client.newSignedRequest("GET", "/kernel/via-client", None))
        assert info["lang"] == "python:3.9"
        version = client._wrapWithPromise(client.newPublicRequest("GET", "/", None, ""))
        assert version["version"] == "v4.20190615"
        with pytest.raises(ai.ServerError) as caught:
            client._wrapWithPromise(client.newSignedRequest("GET", "/kernel/never-made", None))
        assert caught.value.statusCode == 404
        assert caught.value.type == ai.Client.ERR_SERVER
        assert "No such session." in caught.value.title


def test_client_with_wrong_secret_gets_401(mgr):
    client = ai.Client(ai.ClientConfig(mgr.access_key, "wrong-secret", mgr.endpoint))
    with client, pytest.raises(ai.ServerError) as caught:
        client._wrapWithPromise(client.newSignedRequest("GET", "/auth/ssh-keypair", None))
    assert caught.value.statusCode == 401
    assert "Signature mismatch" in str(caught.value)


# -- construction, lifecycle, secrecy --------------------------------------------------------------
@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "::", "example.com", ""])
def test_non_loopback_host_refused(host):
    with pytest.raises(ValueError, match="loopback"):
        LocalManager(host=host)


def test_loopback_hosts_accepted():
    with LocalManager(host="localhost") as m:
        assert m.endpoint.startswith("http://127.0.0.1:")
        assert requests.get(m.endpoint + "/", timeout=5).status_code == 200


def test_stop_is_idempotent_and_closes_the_socket():
    m = LocalManager()
    m.stop()  # never started: nothing to do
    m = LocalManager().start()
    assert m.start() is m  # already running: no-op
    endpoint = m.endpoint
    keepalive = requests.Session()
    assert keepalive.get(endpoint + "/", timeout=5).status_code == 200  # an open keep-alive connection
    started = time.monotonic()
    m.stop()
    m.stop()
    assert time.monotonic() - started < 3
    assert not m.running
    with pytest.raises(requests.ConnectionError):
        requests.get(endpoint + "/", timeout=2)
    with pytest.raises(RuntimeError):
        m.start()


def test_stop_ends_a_running_execution():
    m = LocalManager(exec_timeout=30.0).start()
    c = Caller(m)
    c("POST", "/kernel/create", create_body("long-run"))
    outcome: list[object] = []

    def run() -> None:
        try:
            outcome.append(c("POST", "/kernel/long-run", execute_body("import time; time.sleep(60)")))
        except requests.RequestException as exc:
            outcome.append(exc)

    t = threading.Thread(target=run)
    t.start()
    time.sleep(0.5)
    started = time.monotonic()
    m.stop()
    t.join(10)
    assert not t.is_alive()
    assert time.monotonic() - started < 6
    assert outcome


def test_secret_never_shown(caplog):
    caplog.set_level(logging.DEBUG, logger="backend_ai_client.testing")
    with LocalManager() as m:
        secret = m.secret_key
        assert len(secret) >= 32
        assert m.access_key.startswith("AKIA")
        Caller(m)("GET", "/auth/ssh-keypair")
        for text in (repr(m), str(m), f"{m}", repr(m.sessions), repr(m.requests)):
            assert secret not in text
        assert "<hidden>" in repr(m)
    assert secret not in repr(m)
    assert secret not in caplog.text
    with pytest.raises(TypeError):
        pickle.dumps(m)


def test_sessions_view_is_read_only(mgr, call):
    call("POST", "/kernel/create", create_body("ro-view"))
    view = mgr.sessions
    snap = view[(mgr.access_key, "ro-view")]
    assert snap.lang == "python:3.9-ubuntu20.04" and snap.status == "RUNNING"
    with pytest.raises(TypeError):
        view[(mgr.access_key, "x")] = snap  # type: ignore[index]
    with pytest.raises(AttributeError):
        snap.status = "TERMINATED"  # type: ignore[misc]


@pytest.mark.parametrize("bad", [{"keypairs": {}}, {"keypairs": {"a:b": "s"}}, {"keypairs": {"AK": ""}},
                                 {"port": 70000}, {"api_version": "4"}, {"exec_timeout": 0}])
def test_bad_arguments(bad):
    with pytest.raises(ValueError):
        LocalManager(**bad)


# -- python -m backend_ai_client.testing --------------------------------------------------------------
def _spawn(*args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "backend_ai_client.testing", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=str(ROOT),
    )


def _read_vars(proc: subprocess.Popen[str]) -> dict[str, str]:
    assert proc.stdout is not None
    values = {}
    for _ in range(3):
        line = proc.stdout.readline().strip()
        key, _, value = line.partition("=")
        values[key] = value
    return values


def test_main_hides_secret_and_stops_on_sigterm():
    proc = _spawn("--lifetime", "30")
    try:
        values = _read_vars(proc)
        assert values["BACKEND_SECRET_KEY"] == "<hidden; pass --print-secret>"
        assert values["BACKEND_ACCESS_KEY"].startswith("AKIA")
        assert values["BACKEND_ENDPOINT"].startswith("http://127.0.0.1:")
        assert requests.get(values["BACKEND_ENDPOINT"] + "/", timeout=5).json()["version"] == "v4.20190615"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(10) == 0
    finally:
        proc.kill()
        proc.wait()


def test_main_print_secret_and_lifetime():
    proc = _spawn("--lifetime", "0.5", "--print-secret")
    try:
        values = _read_vars(proc)
        secret = values["BACKEND_SECRET_KEY"]
        assert len(secret) >= 32 and "hidden" not in secret
        caller_mgr = type("M", (), {"endpoint": values["BACKEND_ENDPOINT"]})()
        resp = Caller(caller_mgr, values["BACKEND_ACCESS_KEY"], secret)("GET", "/auth/ssh-keypair")  # type: ignore[arg-type]
        assert resp.status_code == 200
        assert proc.wait(10) == 0
    finally:
        proc.kill()
        proc.wait()
