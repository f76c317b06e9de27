"""Hooks of ``client.user`` (JS class ``User``).

``list`` is a hook because on API v5+ JS fetches ``user_list`` page by page in
a loop (up to ten requests) and gathers the items into one answer.
"""

from __future__ import annotations

from typing import Any

from .. import _recipe as _r
from .._result import JSObject
from .keypair import PAGE_LIMIT, _document, gather_pages

# The documents are the JS template literals, newlines and indentation included.
_V4_ADMIN = "\n        query($is_active:Boolean) {\n          users(is_active:$is_active) { {fields} }\n        }\n      "
_V4_SELF = "\n        query {\n          users { {fields} }\n        }\n      "
_V5_ADMIN = (
    "\n        query($offset:Int!, $limit:Int!, $is_active:Boolean) {\n"
    "          user_list(offset:$offset, limit:$limit, is_active:$is_active) {\n"
    "            items { {fields} }\n            total_count\n          }\n        }\n      "
)
_V5_SELF = (
    "\n        query($offset:Int!, $limit:Int!) {\n"
    "          user_list(offset:$offset, limit:$limit) {\n"
    "            items { {fields} }\n            total_count\n          }\n        }\n      "
)


def list(ns: Any, is_active: Any = True, fields: Any = None) -> Any:  # noqa: A001
    """Users (an admin: filtered by ``is_active``); v5+ fetches pages of 100."""
    client = ns.client
    if _r.js_less(client._apiVersionMajor, 5):
        admin = _r.truthy(_r.attr(client, "is_admin"))
        document = _document(_V4_ADMIN if admin else _V4_SELF, fields)
        return client.query(document, {"is_active": is_active} if admin else {})
    document = _document(_V5_ADMIN if _r.truthy(_r.attr(client, "is_admin")) else _V5_SELF, fields)

    def page_variables(offset: int) -> dict[str, Any]:
        if _r.truthy(_r.attr(client, "is_admin")):
            return {"offset": offset, "limit": PAGE_LIMIT, "is_active": is_active}
        return {"offset": offset, "limit": PAGE_LIMIT}

    return JSObject(users=gather_pages(ns, document, page_variables, "user_list"))
