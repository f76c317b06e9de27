"""The one exception type a failed call raises, with a subclass per kind.

The fields are the ones JS 21.3.1 rejects with. ``type`` holds the ERR_*
constant the JS README promises; ``problemType`` the problem URL that 21.3.1
puts in its ``type``; ``body`` the server's parsed error body.
"""

from __future__ import annotations

from typing import Any

from ._generated.constants import ERROR_CODES, PROBLEM_TYPES

__all__ = [
    "AbortError",
    "BackendAIError",
    "ConfigurationError",
    "RequestError",
    "RequestTimeoutError",
    "ResponseError",
    "ServerError",
    "UnknownError",
    "error_class_for",
]


class ConfigurationError(ValueError):
    """A ClientConfig could not be built from the given arguments or environment."""


class BackendAIError(Exception):
    """A call to the manager failed. ``err.type`` is one of ``Client.ERR_*``."""

    type: int = ERROR_CODES["ERR_UNKNOWN"]

    def __init__(
        self,
        *,
        timestamp: str,
        requestUrl: str,
        requestMethod: str,
        requestParameters: Any,
        statusCode: Any,
        statusText: Any,
        title: Any,
        message: str,
        description: Any,
        body: Any = None,
        problemType: str | None = None,
        operation: str | None = None,
    ) -> None:
        super().__init__(message)
        self.isError = True
        self.timestamp = timestamp
        self.requestUrl = requestUrl
        self.requestMethod = requestMethod
        self.requestParameters = requestParameters
        self.statusCode = statusCode
        self.statusText = statusText
        self.title = title
        self.message = message
        self.description = description
        self.body = body
        self.problemType = problemType if problemType is not None else PROBLEM_TYPES.get(self.type)
        self.operation = operation
        #: Python only: set when the server refused the request's date (``{"local", "server", "seconds"}``).
        self.clockSkew: dict[str, Any] | None = None

    def __str__(self) -> str:
        where = f" ({self.operation}: {self.requestMethod} {self.requestUrl})" if self.operation else (
            f" ({self.requestMethod} {self.requestUrl})"
        )
        text = f"{self.message}{where}"
        if self.clockSkew:
            skew = self.clockSkew
            apart = f", {abs(skew['seconds']):.0f} s apart" if skew.get("seconds") is not None else ""
            text += (
                f" -- this client's clock and the server's disagree: local time {skew['local']}, "
                f"server time {skew['server'] or 'unknown (no Date header)'}{apart}; the server accepts "
                "15 minutes at most. Correct the clock of this machine (e.g. with NTP)."
            )
        return text

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(type={self.type}, statusCode={self.statusCode!r}, "
            f"requestMethod={self.requestMethod!r}, requestUrl={self.requestUrl!r}, message={self.message!r})"
        )

    def to_dict(self) -> dict[str, Any]:
        """The fields of the JS error object, with ``type`` as the ERR_* constant."""
        return {
            "isError": True,
            "timestamp": self.timestamp,
            "type": self.type,
            "requestUrl": self.requestUrl,
            "requestMethod": self.requestMethod,
            "requestParameters": self.requestParameters,
            "statusCode": self.statusCode,
            "statusText": self.statusText,
            "title": self.title,
            "message": self.message,
            "description": self.description,
        }


class ServerError(BackendAIError):
    """The server answered with an HTTP status that is not 2xx (ERR_SERVER)."""

    type = ERROR_CODES["ERR_SERVER"]


class ResponseError(BackendAIError):
    """The response arrived but could not be read or parsed (ERR_RESPONSE)."""

    type = ERROR_CODES["ERR_RESPONSE"]


class RequestError(BackendAIError):
    """The request could not be sent: refused, DNS, TLS (ERR_REQUEST)."""

    type = ERROR_CODES["ERR_REQUEST"]


class AbortError(BackendAIError):
    """The request was aborted by the caller (ERR_ABORT)."""

    type = ERROR_CODES["ERR_ABORT"]


class RequestTimeoutError(BackendAIError):
    """No response arrived within the timeout (ERR_TIMEOUT)."""

    type = ERROR_CODES["ERR_TIMEOUT"]


class UnknownError(BackendAIError):
    """A failure the JS SDK classifies as ERR_UNKNOWN."""

    type = ERROR_CODES["ERR_UNKNOWN"]


_BY_CODE: dict[int, type[BackendAIError]] = {
    cls.type: cls
    for cls in (ServerError, ResponseError, RequestError, AbortError, RequestTimeoutError, UnknownError)
}


def error_class_for(code: int) -> type[BackendAIError]:
    return _BY_CODE.get(code, UnknownError)
