"""Parsed JSON with attribute access, so ``response.kernelId`` works as in JS."""

from __future__ import annotations

import json
from typing import Any

from ._jsjson import object_keys

__all__ = ["JSObject", "parse_json"]


class JSObject(dict):  # type: ignore[type-arg]
    """A dict whose keys can also be read and written as attributes.

    A missing attribute is ``None`` (JS gives ``undefined``) rather than an
    AttributeError, so JS-style checks such as ``if result.data:`` port as is.
    """

    __slots__ = ()

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return self.get(name)

    def __setattr__(self, name: str, value: Any) -> None:
        self[name] = value

    def __delattr__(self, name: str) -> None:
        try:
            del self[name]
        except KeyError:
            raise AttributeError(name) from None


def parse_json(text: str) -> Any:
    """``JSON.parse``: objects become JSObject; NaN/Infinity literals are rejected as in JS."""

    def reject_constant(name: str) -> Any:
        raise ValueError(f"Unexpected token {name[0]!r} in JSON ({name} is not JSON)")

    return json.loads(text, object_pairs_hook=_js_object, parse_constant=reject_constant, parse_int=_js_int)


def _js_int(literal: str) -> int | float:
    # JS numbers are doubles: integers beyond 2**53 lose precision as in JSON.parse.
    value = int(literal)
    return value if abs(value) <= 2**53 else float(literal)


def _js_object(pairs: list[tuple[str, Any]]) -> JSObject:
    # Later duplicates win, at the first position; array-index keys enumerate first, as in JS.
    merged = dict(pairs)
    return JSObject((key, merged[key]) for key in object_keys(merged))
