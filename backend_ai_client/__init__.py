"""Backend.AI client for Python: a port of the Backend.AI JavaScript SDK 21.3.1.

    import backend_ai_client as ai
    config = ai.backend.ClientConfig.createFromEnv()
    client = ai.backend.Client(config)
"""

from __future__ import annotations

from types import SimpleNamespace

from ._config import ClientConfig
from ._core import AbortController, FormData
from ._errors import (
    AbortError,
    BackendAIError,
    ConfigurationError,
    RequestError,
    RequestTimeoutError,
    ResponseError,
    ServerError,
    UnknownError,
)
from ._generated.client import Client
from ._jsjson import UNDEFINED
from ._result import JSObject

__version__ = "0.1.0"

#: ``ai.backend.Client`` / ``ai.backend.ClientConfig``, as in the JS SDK.
backend = SimpleNamespace(
    Client=Client,
    ClientConfig=ClientConfig,
    BackendAIError=BackendAIError,
    ServerError=ServerError,
    ResponseError=ResponseError,
    RequestError=RequestError,
    RequestTimeoutError=RequestTimeoutError,
    AbortError=AbortError,
    UnknownError=UnknownError,
)

# legacy aliases of the JS SDK
BackendAIClient = Client
BackendAIClientConfig = ClientConfig

__all__ = [
    "AbortController",
    "AbortError",
    "BackendAIClient",
    "BackendAIClientConfig",
    "BackendAIError",
    "Client",
    "ClientConfig",
    "ConfigurationError",
    "FormData",
    "JSObject",
    "RequestError",
    "RequestTimeoutError",
    "ResponseError",
    "ServerError",
    "UNDEFINED",
    "UnknownError",
    "backend",
]
