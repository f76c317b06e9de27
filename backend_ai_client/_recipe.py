"""Small helpers the generated request recipes call (JS semantics in Python)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, MutableMapping
from typing import Any

from ._core import _js_less as js_less
from ._errors import ConfigurationError
from ._jsjson import UNDEFINED, _qs_escape, js_string, parse_float, parse_int, to_fixed, truthy

__all__ = [
    "ConfigurationError",
    "attr",
    "concat",
    "encode_uri_component",
    "gql_join",
    "includes",
    "is_true",
    "item",
    "js_less",
    "js_or",
    "non_empty",
    "not_null",
    "parse_float",
    "parse_int",
    "put",
    "strict_equals",
    "to_fixed",
    "truthy",
]


def concat(*parts: Any) -> str:
    """A JS template literal: ``String()`` of each part, joined."""
    return "".join(js_string(p) for p in parts)


def encode_uri_component(value: Any) -> str:
    """JS ``encodeURIComponent(String(value))``."""
    return _qs_escape(js_string(value))


def attr(obj: Any, name: str) -> Any:
    """``obj.name`` as JS reads it: a missing property is ``UNDEFINED``."""
    return getattr(obj, name, UNDEFINED)


def js_or(*options: Callable[[], Any]) -> Any:
    """JS ``a || b || c``: the first truthy operand, else the last (operands evaluated lazily)."""
    value: Any = UNDEFINED
    for option in options:
        value = option()
        if truthy(value):
            return value
    return value


def is_true(value: Any) -> bool:
    """JS ``value === true``."""
    return value is True


def strict_equals(a: Any, b: Any) -> bool:
    """JS ``a === b`` for primitives."""
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    return type(a) is type(b) and a == b


def includes(options: list[Any], value: Any) -> bool:
    """JS ``options.includes(value)`` for primitives."""
    return any(strict_equals(option, value) for option in options)


def gql_join(fields: Any) -> str:
    """JS ``fields.join(" ")``: the GraphQL field list the SDK interpolates into documents."""
    if isinstance(fields, (list, tuple)):
        return " ".join("" if f is None or f is UNDEFINED else js_string(f) for f in fields)
    raise TypeError(f"fields must be a list of GraphQL field names, got {type(fields).__name__}: {fields!r}")


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
