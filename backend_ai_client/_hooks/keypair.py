"""Hooks of ``client.keypair`` (JS class ``Keypair``).

``list`` is a hook because on API v5+ JS fetches ``keypair_list`` page by page
in a loop (up to ten requests) and gathers the items into one answer.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from .. import _recipe as _r
from .._jsjson import UNDEFINED, js_string, to_number
from .._result import JSObject

#: JS stops after ten pages of 100 ("Prevent fetching more than 1000 keypairs").
PAGE_LIMIT = 100
MAX_PAGES = 10

# The documents are the JS template literals, newlines and indentation included.
_V4_ALL = (
    "\n        query($is_active: Boolean) {\n          keypairs(is_active: $is_active) {\n"
    "            {fields}\n          }\n        }\n      "
)
_V4_USER = (
    "\n        query($email: String!, $is_active: Boolean) {\n"
    "          keypairs(email: $email, is_active: $is_active) {\n            {fields}\n          }\n        }\n      "
)
_V5_ALL = (
    "\n        query($offset:Int!, $limit:Int!, $is_active: Boolean) {\n"
    "          keypair_list(offset:$offset, limit:$limit, is_active: $is_active) {\n"
    "            items { {fields} }\n            total_count\n          }\n        }\n      "
)
_V5_USER = (
    "\n        query($offset:Int!, $limit:Int!, $email: String!, $is_active: Boolean) {\n"
    "          keypair_list(offset:$offset, limit:$limit, email: $email, is_active: $is_active) {\n"
    "            items { {fields} }\n            total_count\n          }\n        }\n      "
)


py_list = list  # ``list`` below is the JS method name


def _document(template: str, fields: Any) -> str:
    """The template with JS ``${fields.join(' ')}`` in place of ``{fields}``."""
    return template.replace("{fields}", _r.gql_join(fields), 1)


def _js_at_least(offset: int, total: Any) -> bool:
    """JS ``offset >= total``: false when ``total`` is not a number after coercion (undefined, an object)."""
    if isinstance(total, Mapping):
        number = math.nan
    elif isinstance(total, (py_list, tuple)):
        number = to_number(js_string(total))  # ToPrimitive of an array is its join(",")
    else:
        number = to_number(total)
    return not math.isnan(number) and offset >= number


def _read(obj: Any, key: str) -> Any:
    """JS ``obj[key]``: a TypeError for null/undefined, undefined for a missing key or a non-object."""
    if obj is None or obj is UNDEFINED:
        raise TypeError(f"Cannot read properties of {'null' if obj is None else 'undefined'} (reading '{key}')")
    return obj.get(key, UNDEFINED) if isinstance(obj, Mapping) else UNDEFINED


def _spread(items: Any, where: str) -> "py_list[Any]":
    """JS ``[...items]``: arrays and strings spread, anything else is not iterable."""
    if isinstance(items, (py_list, tuple, str)):
        return py_list(items)
    raise TypeError(f"{where} is not iterable")


def gather_pages(ns: Any, document: str, variables: Any, key: str) -> "py_list[Any]":
    """Query ``document`` at offsets 0, 100, ... (at most ten pages) and collect ``key.items``,
    stopping after the page whose offset reaches ``key.total_count``, as JS does."""
    gathered: py_list[Any] = []
    for page_no in range(MAX_PAGES):
        offset = page_no * PAGE_LIMIT
        page = ns.client.query(document, variables(offset))
        holder = _read(page, key)
        gathered.extend(_spread(_read(holder, "items"), f"page.{key}.items"))
        if _js_at_least(offset, _read(holder, "total_count")):
            break
    return gathered


def list(ns: Any, userId: Any = None, fields: Any = None, isActive: Any = True) -> Any:  # noqa: A001
    """Keypairs of ``userId`` (an admin without ``userId``: all of them); v5+ fetches pages of 100."""
    client = ns.client
    every = _r.truthy(_r.attr(client, "is_admin")) and not _r.not_null(userId)

    def email() -> Any:
        return _r.js_or(lambda: userId, lambda: _r.attr(client, "email"))

    if _r.js_less(client._apiVersionMajor, 5):
        document = _document(_V4_ALL if every else _V4_USER, fields)
        variables: dict[str, Any] = {}
        _r.put(variables, ("email",), email())
        _r.put(variables, ("is_active",), isActive)
        return client.query(document, variables)
    document = _document(_V5_ALL if every else _V5_USER, fields)

    def page_variables(offset: int) -> dict[str, Any]:
        v: dict[str, Any] = {}
        _r.put(v, ("offset",), offset)
        _r.put(v, ("limit",), PAGE_LIMIT)
        _r.put(v, ("email",), email())
        _r.put(v, ("is_active",), isActive)
        return v

    return JSObject(keypairs=gather_pages(ns, document, page_variables, "keypair_list"))
