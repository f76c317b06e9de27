"""Hooks of ``client.image`` (JS ``ContainerImage``).

``modifyResource`` sends one request per slot and key of its input; its config
keys are text built from the arguments, with the registry's first ``:`` and the
image's first ``/`` escaped, as JS ``String.prototype.replace`` with a string
pattern does. ``install`` starts and then destroys a session.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .._errors import BackendAIError
from .._jsjson import js_string, object_keys

if TYPE_CHECKING:
    from .._generated.namespaces import ContainerImage


def _replace_first(value: Any, old: str, new: str, name: str) -> str:
    """JS ``value.replace(old, new)`` with a string pattern: the first occurrence only."""
    if not isinstance(value, str):
        # JS: TypeError "value.replace is not a function"
        raise TypeError(f"{name} must be a string, got {type(value).__name__}: {value!r}")
    return value.replace(old, new, 1)


def _keys(obj: Any, name: str) -> list[str]:
    if not isinstance(obj, Mapping):
        raise TypeError(f"{name} must be an object such as {{'cpu': {{'min': '1'}}}}, got {type(obj).__name__}: {obj!r}")
    return object_keys(obj)


def modifyResource(ns: "ContainerImage", registry: Any, image: Any, tag: Any, input: Any) -> Any:
    """One ``/config/set`` per ``input[slot_type][key]``.

    JS sends them all at once and rejects with the first failure (``Promise.all``);
    the port sends them one after the other, still sends every one, and raises the
    first failure at the end. Returns the answers in input order.
    """
    client = ns.client
    registry = _replace_first(registry, ":", "%3A", "registry")
    image = _replace_first(image, "/", "%2F", "image")
    results: list[Any] = []
    failure: BackendAIError | None = None
    for slot_type in _keys(input, "input"):
        limits = input[slot_type]
        for key in _keys(limits, f"input[{slot_type!r}]"):
            body = {
                "key": f"images/{registry}/{image}/{js_string(tag)}/resource/{slot_type}/{key}",
                "value": limits[key],
            }
            rqst = client.newSignedRequest("POST", "/config/set", body)
            try:
                results.append(client._wrapWithPromise(rqst, operation="image.modifyResource"))
            except BackendAIError as err:
                failure = failure or err
    if failure is not None:
        raise failure
    return results


def install(ns: "ContainerImage", name: Any, resource: Any, registry: Any) -> Any:
    """Pull the image onto the agents: start a session with it, then destroy that session."""
    client = ns.client
    if registry != "index.docker.io":
        registry = js_string(registry) + "/"
    else:
        registry = ""
    registry = registry.replace(":", "%3A", 1)
    session_id = client.generateSessionId()
    if len(_keys(resource, "resource")) == 0:
        resource = {"cpu": "1", "mem": "512m"}
    client.createIfNotExists(registry + js_string(name), session_id, resource, 600000)
    return client.destroy(session_id)
