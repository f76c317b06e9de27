"""ClientConfig and Client construction: JS properties, clear errors, no secret ever shown."""

from __future__ import annotations

import logging
import pickle

import pytest

import backend_ai_client as ai

SECRET = "s3cr3t-ÄÖÜ-value"


def test_js_properties_and_defaults() -> None:
    config = ai.ClientConfig("AK", SECRET)
    assert config.endpoint == "https://api.backend.ai"
    assert config.endpointHost == "api.backend.ai"
    assert (config.accessKey, config.secretKey, config.userId, config.password) == ("AK", SECRET, "", "")
    assert (config.apiVersion, config.apiVersionMajor, config.hashType) == ("v4.20190615", "4", "sha256")
    assert (config.connectionMode, config.proxyURL, config.proxyToken) == ("API", None, None)


def test_session_mode_takes_user_and_password() -> None:
    config = ai.ClientConfig("user@example.com", SECRET, "http://127.0.0.1:8090", "SESSION")
    assert (config.userId, config.password, config.accessKey, config.secretKey) == (
        "user@example.com", SECRET, "", "")


@pytest.mark.parametrize(
    "args, words",
    [
        ((None, SECRET), ["accessKey", "BACKEND_ACCESS_KEY"]),
        (("AK", None), ["secretKey", "BACKEND_SECRET_KEY"]),
        (("", SECRET), ["accessKey", "non-empty"]),
        (("AK", SECRET, "api.backend.ai"), ["no scheme", "https://api.backend.ai"]),
        (("AK", SECRET, "ftp://x"), ["http://"]),
        (("AK", SECRET, "http://u:p@host"), ["credentials"]),
        (("AK", SECRET, "https://api.backend.ai", "BOTH"), ["connectionMode"]),
        (("AK\u0100", SECRET), ["accessKey", "HTTP header"]),
        (("AK\n", SECRET), ["accessKey", "HTTP header"]),
    ],
)
def test_bad_configuration_says_what_to_fix(args, words) -> None:
    with pytest.raises(ai.ConfigurationError) as info:
        ai.ClientConfig(*args)
    for word in words:
        assert word in str(info.value)
    assert SECRET not in str(info.value)


def test_create_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BACKEND_ACCESS_KEY", "AKENV")
    monkeypatch.setenv("BACKEND_SECRET_KEY", SECRET)
    monkeypatch.setenv("BACKEND_ENDPOINT", "http://127.0.0.1:8081")
    config = ai.backend.ClientConfig.createFromEnv()
    assert (config.accessKey, config.endpoint, config.endpointHost) == ("AKENV", "http://127.0.0.1:8081", "127.0.0.1:8081")
    client = ai.backend.Client()  # no config: reads the environment, as JS does
    assert client._config.accessKey == "AKENV"
    monkeypatch.delenv("BACKEND_SECRET_KEY")
    with pytest.raises(ai.ConfigurationError, match="BACKEND_SECRET_KEY"):
        ai.backend.ClientConfig.createFromEnv()


def test_no_secret_in_repr_str_or_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    for config in (ai.ClientConfig("AK", SECRET), ai.ClientConfig("user", SECRET, None, "SESSION")):
        client = ai.Client(config)
        for text in (repr(config), str(config), repr(client), str(client)):
            assert SECRET not in text
            assert "hidden" in text
        with pytest.raises(TypeError):
            pickle.dumps(config)
    assert SECRET not in caplog.text


def test_client_state_matches_js_constructor() -> None:
    client = ai.Client(ai.ClientConfig("AK", SECRET, "http://127.0.0.1:1"), "my-agent")
    assert client.requestTimeout == 5000
    assert client.kernelPrefix == "/kernel"
    assert (client.managerVersion, client.apiVersion, client.APIMajorVersion) == (None, None, None)
    assert (client.is_admin, client.is_superadmin, client.ready) == (False, False, False)
    assert client.clientVersion == "20.11.0"
    assert client.mangleUserAgentSignature() == "20.11.0; my-agent"
    client.APIMajorVersion = "6"
    assert client._config.apiVersionMajor == "6"


def test_manager_version_check_before_the_version_is_known() -> None:
    client = ai.Client(ai.ClientConfig("AK", SECRET, "http://127.0.0.1:1"))
    with pytest.raises(RuntimeError, match="get_manager_version"):
        client.isManagerVersionCompatibleWith("20.09.16")
    assert client.isAPIVersionCompatibleWith("v4.20190601") is False
    client._managerVersion, client._apiVersion = "20.09.17", "v6.20200815"
    assert client.isManagerVersionCompatibleWith("20.09.16") is True
    assert client.isManagerVersionCompatibleWith("20.09.18") is False
    assert client.supports("multi-container") is True and client.supports("nothing") is False


@pytest.mark.parametrize("bad", [-1, "5000", float("nan"), True])
def test_bad_timeout_is_refused_before_sending(bad) -> None:
    client = ai.Client(ai.ClientConfig("AK", SECRET, "http://127.0.0.1:1"))
    with pytest.raises(ValueError, match="timeout"):
        client.get_logs("s1", None, bad)
