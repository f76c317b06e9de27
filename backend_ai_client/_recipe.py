"""Small helpers the generated request recipes call (JS semantics in Python)."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, MutableMapping
from typing import Any

from ._core import _js_less as js_less
from ._errors import ConfigurationError
from ._jsjson import UNDEFINED, _qs_escape, js_string, parse_float, parse_int, to_fixed, to_number, truthy
from ._result import JSObject

__all__ = [
    "ConfigurationError",
    "JSObject",
    "decode_uri_component",
    "gather_pages",
    "loose_equals",
    "replace_first",
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


def without(value: Any, items: list[Any]) -> Any:
    """A list (or tuple) with ``items`` left out, as a new list; any other value unchanged.

    Python only (spec transform ``without``): e.g. a GraphQL field the server no longer has.
    """
    if isinstance(value, (list, tuple)):
        return [v for v in value if not any(strict_equals(v, item) for item in items)]
    return value


def replace_first(value: Any, search: str, replacement: str) -> str:
    """JS ``value.replace(search, replacement)`` with a string pattern: the first occurrence only."""
    if not isinstance(value, str):
        raise TypeError(f"expected text to replace {search!r} in, got {type(value).__name__}: {value!r}")
    return value.replace(search, replacement, 1)


def decode_uri_component(value: Any) -> str:
    """JS ``decodeURIComponent(String(value))``; a malformed escape raises ValueError (JS URIError)."""
    text = js_string(value)
    out = bytearray()
    result = []
    i = 0
    while i < len(text):
        if text[i] == "%":
            if not _is_hex(text[i + 1:i + 3]):
                raise ValueError(f"URI malformed: {text!r}")
            out.append(int(text[i + 1:i + 3], 16))
            i += 3
            continue
        if out:
            result.append(_utf8_or_fail(out, text))
            out = bytearray()
        result.append(text[i])
        i += 1
    if out:
        result.append(_utf8_or_fail(out, text))
    return "".join(result)


def _is_hex(pair: str) -> bool:
    return len(pair) == 2 and all(c in "0123456789abcdefABCDEF" for c in pair)


def _utf8_or_fail(data: bytearray, text: str) -> str:
    try:
        return bytes(data).decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError(f"URI malformed: {text!r}") from None


def loose_equals(a: Any, b: Any) -> bool:
    """JS ``a == b`` for primitives and arrays (arrays compare by their joined text)."""
    if (a is None or a is UNDEFINED) or (b is None or b is UNDEFINED):
        return (a is None or a is UNDEFINED) and (b is None or b is UNDEFINED)
    if isinstance(a, (list, tuple)):
        a = js_string(a)
    if isinstance(b, (list, tuple)):
        b = js_string(b)
    if isinstance(a, Mapping) or isinstance(b, Mapping):
        return a is b
    if isinstance(a, str) and isinstance(b, str):
        return a == b
    return to_number(a) == to_number(b)


def _read(obj: Any, key: str) -> Any:
    """JS ``obj[key]``: a TypeError for null/undefined, undefined for a missing key or a non-object."""
    if obj is None or obj is UNDEFINED:
        raise TypeError(f"Cannot read properties of {'null' if obj is None else 'undefined'} (reading '{key}')")
    return obj.get(key, UNDEFINED) if isinstance(obj, Mapping) else UNDEFINED


def _at_least(offset: float, total: Any) -> bool:
    """JS ``offset >= total``: false when ``total`` is not a number after coercion (undefined, an object)."""
    if isinstance(total, Mapping):
        return False
    number = to_number(js_string(total)) if isinstance(total, (list, tuple)) else to_number(total)
    return not math.isnan(number) and offset >= number


def gather_pages(
    query: Callable[[Any], Any], variables_at: Callable[[Any], Any], limit: Any, max_pages: int, list_field: str
) -> list[Any]:
    """JS's page loop: ``for (offset = 0; offset < max_pages * limit; offset += limit)``, gathering
    ``page[list_field].items`` and stopping after the page whose offset reaches its ``total_count``."""
    if isinstance(limit, bool) or not isinstance(limit, (int, float)):
        raise TypeError(f"limit must be a number, got {type(limit).__name__}: {limit!r}")
    gathered: list[Any] = []
    offset: float | int = 0
    bound = max_pages * limit  # JS: no page at all when limit is 0, negative or NaN
    while offset < bound:
        holder = _read(query(variables_at(offset)), list_field)
        items = _read(holder, "items")
        if not isinstance(items, (list, tuple, str)):
            raise TypeError(f"page.{list_field}.items is not iterable")
        gathered.extend(items)
        if _at_least(offset, _read(holder, "total_count")):
            break
        offset += limit
    return gathered
