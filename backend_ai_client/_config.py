"""ClientConfig: what the JS SDK's ClientConfig holds, without ever showing a secret."""

from __future__ import annotations

import os
import re
from typing import Any
from urllib.parse import urlsplit

from ._errors import ConfigurationError
from ._generated.constants import DEFAULTS

__all__ = ["ClientConfig", "split_endpoint"]

_SCHEME = re.compile(r"^[^:]+://")


def split_endpoint(endpoint: str) -> tuple[str, str, str]:
    """(base URL without trailing slash, host[:port] to sign, path prefix).

    JS signs everything after the scheme as the host, so an endpoint with a
    trailing slash or a path fails verification on a real manager, which uses
    the Host header it received. The port signs the network location only.
    """
    if not isinstance(endpoint, str) or not endpoint:
        raise ConfigurationError(f"endpoint must be a non-empty URL such as 'https://api.backend.ai', got {endpoint!r}")
    if not _SCHEME.match(endpoint):
        raise ConfigurationError(
            f"endpoint {endpoint!r} has no scheme: write it as 'https://{endpoint}' or 'http://{endpoint}'"
        )
    parts = urlsplit(endpoint)
    if parts.scheme not in ("http", "https"):
        raise ConfigurationError(f"endpoint {endpoint!r}: only http:// and https:// are supported")
    if not parts.netloc:
        raise ConfigurationError(f"endpoint {endpoint!r} names no host")
    if parts.query or parts.fragment:
        raise ConfigurationError(f"endpoint {endpoint!r} must not contain a query or a fragment")
    if "@" in parts.netloc:
        raise ConfigurationError("endpoint must not carry credentials in the URL; use accessKey/secretKey")
    prefix = parts.path.rstrip("/")
    return f"{parts.scheme}://{parts.netloc}{prefix}", parts.netloc, prefix


class ClientConfig:
    """The client configuration (JS ``ClientConfig``).

    ``ClientConfig(accessKey, secretKey, endpoint=None, connectionMode='API')``.
    In SESSION mode the first two arguments are the user id and the password.
    """

    def __init__(
        self,
        accessKey: str | None,
        secretKey: str | None,
        endpoint: str | None = None,
        connectionMode: str = "API",
    ) -> None:
        self._apiVersionMajor: str = DEFAULTS["apiVersionMajor"]
        self._apiVersion: str = DEFAULTS["apiVersion"]
        self._hashType: str = DEFAULTS["hashType"]
        if endpoint is None:
            endpoint = DEFAULTS["endpoint"]
        self._endpoint, self._endpointHost, self._pathPrefix = split_endpoint(endpoint)
        if connectionMode not in ("API", "SESSION"):
            raise ConfigurationError(f"connectionMode must be 'API' or 'SESSION', got {connectionMode!r}")
        env = DEFAULTS["env"]
        if connectionMode == "API":
            _require(accessKey, "accessKey", env["accessKey"])
            _require(secretKey, "secretKey", env["secretKey"])
            bad = [c for c in accessKey if ord(c) > 0xFF or c in "\x00\r\n"]  # type: ignore[union-attr]
            if bad:
                # It travels in the Authorization header; JS's Headers throws on these too.
                raise ConfigurationError(
                    f"accessKey contains {bad[0]!r}, which cannot be sent in an HTTP header "
                    f"(check {env['accessKey']})"
                )
            self._accessKey: str = accessKey  # type: ignore[assignment]
            self._secretKey: str = secretKey  # type: ignore[assignment]
            self._userId = ""
            self._password = ""
        else:
            _require(accessKey, "user id (first argument)", env["accessKey"])
            _require(secretKey, "password (second argument)", env["secretKey"])
            self._accessKey = ""
            self._secretKey = ""
            self._userId = accessKey  # type: ignore[assignment]
            self._password = secretKey  # type: ignore[assignment]
        self._session_id: Any = None  # SESSION mode: set by check_login, as in JS
        self._proxyURL: Any = None
        self._proxyToken: Any = None
        self._connectionMode = connectionMode

    @property
    def accessKey(self) -> str:
        return self._accessKey

    @property
    def secretKey(self) -> str:
        return self._secretKey

    @property
    def userId(self) -> str:
        return self._userId

    @property
    def password(self) -> str:
        return self._password

    @property
    def endpoint(self) -> str:
        return self._endpoint

    @property
    def proxyURL(self) -> Any:
        return self._proxyURL

    @property
    def proxyToken(self) -> Any:
        return self._proxyToken

    @property
    def endpointHost(self) -> str:
        return self._endpointHost

    @property
    def apiVersion(self) -> str:
        return self._apiVersion

    @property
    def apiVersionMajor(self) -> str:
        return self._apiVersionMajor

    @property
    def hashType(self) -> str:
        return self._hashType

    @property
    def connectionMode(self) -> str:
        return self._connectionMode

    @classmethod
    def createFromEnv(cls) -> "ClientConfig":
        env = DEFAULTS["env"]
        return cls(os.environ.get(env["accessKey"]), os.environ.get(env["secretKey"]), os.environ.get(env["endpoint"]))

    def __repr__(self) -> str:
        who = f"accessKey={self._accessKey!r}" if self._connectionMode == "API" else f"userId={self._userId!r}"
        return (
            f"ClientConfig({who}, secretKey=<hidden>, endpoint={self._endpoint!r}, "
            f"connectionMode={self._connectionMode!r}, apiVersion={self._apiVersion!r})"
        )

    __str__ = __repr__

    def __getstate__(self) -> dict[str, Any]:
        raise TypeError("ClientConfig holds credentials and is not picklable")


def _require(value: Any, what: str, env_name: str) -> None:
    if value is None:
        raise ConfigurationError(f"You must set {what}: pass it as an argument or set the {env_name} environment variable.")
    if not isinstance(value, str) or value == "":
        raise ConfigurationError(f"{what} must be a non-empty string (argument or {env_name}), got a {type(value).__name__}")
