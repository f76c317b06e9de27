"""Hand-written hooks: the few members whose logic is not declarative.

Each hook is listed, with the reason, in the ``hooks`` table of api_spec.json.
The Client's hooks are here (the generated Client calls ``_hooks.NAME(client, ...)``);
a namespace's hooks are in ``_hooks/<namespace>.py`` and take the namespace object.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from .._core import _js_less
from .._errors import BackendAIError
from .._jsjson import UNDEFINED, truthy
from .._recipe import _read
from .._result import JSObject

if TYPE_CHECKING:
    from .._generated.client import Client

log = logging.getLogger("backend_ai_client")


def get_manager_version(client: "Client", signal: Any = None) -> Any:
    """Ask the server once for its versions and adopt its API version, as JS does."""
    if client._managerVersion is None:
        v = client.getServerVersion(signal)
        if not isinstance(v, dict) or not isinstance(v.get("version"), str):
            raise ValueError(f"the server's version answer has no 'version' text: {v!r}")
        client._managerVersion = v.get("manager")
        client._apiVersion = v["version"]
        client._config._apiVersion = client._apiVersion
        client._apiVersionMajor = v["version"][1:3]  # JS substr(1, 2): 'v4.2019...' gives '4.'
        client._config._apiVersionMajor = client._apiVersionMajor
        if _js_less(4, client._apiVersionMajor):
            client.kernelPrefix = "/session"
    return client._managerVersion


def set_APIMajorVersion(client: "Client", value: Any) -> None:
    client._apiVersionMajor = value
    client._config._apiVersionMajor = value


def check_login(client: "Client") -> Any:
    """SESSION mode: ask the webserver whether the cookie session is authenticated."""
    rqst = client.newSignedRequest("POST", "/server/login-check", None)
    try:
        result = client._wrapWithPromise(rqst, operation="check_login")
        if _read(result, "authenticated") is True:
            access_key = _read(_read(result, "data"), "access_key")  # JS: a TypeError without data
            client._config._accessKey = access_key
            client._config._session_id = _read(result, "session_id")
    except (BackendAIError, TypeError) as err:
        log.info("check_login failed: %s", getattr(err, "message", err))  # JS logs it and resolves false
        return False
    authenticated = _read(result, "authenticated")
    return None if authenticated is UNDEFINED else authenticated


def _login_failure(err: Exception) -> Exception:
    if isinstance(err, BackendAIError) and err.statusCode == 429:
        return LoginError(err.description, "Too many failed login attempts.", err)
    return LoginError(
        "No manager found at API Endpoint.", "Authentication failed. Check information and manager status.", err
    )


class LoginError(Exception):
    """What JS throws from login/token_login: an object with ``title`` and ``message``."""

    def __init__(self, title: Any, message: str, cause: Exception | None = None) -> None:
        super().__init__(message)
        self.title = title
        self.message = message
        self.cause = cause


def _after_authentication(client: "Client", result: Any, *, refuse_monitor: bool) -> Any:
    """The JS flow after the login answer; a missing field raises TypeError as reading it does in JS."""
    authenticated = _read(result, "authenticated")
    if authenticated is True:
        if refuse_monitor and _read(_read(result, "data"), "role") == "monitor":
            client.logout()
            return JSObject(fail_reason="Monitor user does not allow to login.")
        client.get_manager_version()
        return client.check_login()
    if authenticated is False:
        data = _read(result, "data")
        if truthy(data) and truthy(_read(data, "details")):
            return JSObject(fail_reason=_read(data, "details"))
        return False
    return None


def login(client: "Client") -> Any:
    """SESSION mode: log in to the webserver with the configured user id and password."""
    body = {"username": client._config.userId, "password": client._config.password}
    rqst = client.newSignedRequest("POST", "/server/login", body)
    try:
        result = client._wrapWithPromise(rqst, operation="login")
        return _after_authentication(client, result, refuse_monitor=True)
    except (BackendAIError, TypeError, ValueError) as err:  # JS catches everything in this block
        raise _login_failure(err) from err


def token_login(client: "Client") -> Any:
    """SESSION mode: log in with the webserver's auth cookie token."""
    rqst = client.newSignedRequest("POST", "/server/token-login", {})
    try:
        result = client._wrapWithPromise(rqst, operation="token_login")
        return _after_authentication(client, result, refuse_monitor=False)
    except (BackendAIError, TypeError, ValueError) as err:  # JS catches everything in this block
        raise _login_failure(err) from err
