"""Small helpers the generated request recipes call (JS semantics in Python)."""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from typing import Any

from ._core import _js_less as js_less
from ._jsjson import UNDEFINED, parse_float, parse_int, to_fixed, truthy

__all__ = ["item", "js_less", "non_empty", "not_null", "parse_float", "parse_int", "put", "to_fixed", "truthy"]


def item(container: Any, key: str) -> Any:
    """``container[key]`` as JS reads it: missing keys (or a non-object) give ``UNDEFINED``."""
    if isinstance(container, Mapping):
        return container.get(key, UNDEFINED)
    return UNDEFINED


def non_empty(value: Any) -> bool:
    """JS ``value && Object.keys(value).length > 0``."""
    if not truthy(value):
        return False
    if isinstance(value, (Mapping, list, tuple, str)):
        return len(value) > 0
    return False


def not_null(value: Any) -> bool:
    """JS ``value != null``."""
    return value is not None and value is not UNDEFINED


def put(target: MutableMapping[str, Any], path: tuple[str, ...], value: Any) -> None:
    """Set ``target[path[0]][path[1]]... = value``, creating objects on the way in JS insertion order."""
    for key in path[:-1]:
        nxt = target.get(key)
        if not isinstance(nxt, MutableMapping):
            nxt = {}
            target[key] = nxt
        target = nxt
    target[path[-1]] = value
