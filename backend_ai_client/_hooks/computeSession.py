"""Hooks of ``client.computeSession`` (JS ``ComputeSession``).

``list`` and ``get`` pass their fields through
``client._updateFieldCompatibilityByAPIVersion`` (``session_name`` becomes
``sess_id`` below API v5, in place, as in JS); ``listAll`` pages through the
results. The documents are the exact text JS sends.
"""

from __future__ import annotations

import builtins
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .._jsjson import UNDEFINED, js_string, to_number
from .._recipe import gql_join, item

if TYPE_CHECKING:
    from .._generated.namespaces import ComputeSession

log = logging.getLogger("backend_ai_client")

_LIST_HEAD = (
    "query($limit:Int!, $offset:Int!, $ak:String, $group_id:String, $status:String) {\n"
    "      compute_session_list(limit:$limit, offset:$offset, access_key:$ak, group_id:$group_id, status:$status) {\n"
    "        items { "
)
_LIST_TAIL = "}\n        total_count\n      }\n    }"
_GET_HEAD = "query($session_uuid: UUID!) {\n      compute_session(id:$session_uuid) {\n        "
_GET_TAIL = "\n      }\n    }"


def _loose_not_empty(value: Any) -> bool:
    """JS ``value != ''`` (loose: 0, false and [] equal '')."""
    if value is None or value is UNDEFINED:
        return True
    if isinstance(value, str):
        return value != ""
    if isinstance(value, (bool, int, float)):
        return to_number(value) != 0
    if isinstance(value, (builtins.list, tuple)):
        return js_string(value) != ""
    return True


def _js_ge(a: Any, b: Any) -> bool:
    """JS ``a >= b`` for primitives (false when either side is NaN)."""
    if isinstance(a, str) and isinstance(b, str):
        return a >= b
    x = to_number(a) if not isinstance(a, (Mapping, builtins.list, tuple)) else float("nan")
    y = to_number(b) if not isinstance(b, (Mapping, builtins.list, tuple)) else float("nan")
    return x >= y


def list(  # noqa: A001 - the JS name
    ns: "ComputeSession", fields: Any, status: Any, accessKey: Any, limit: Any, offset: Any, group: Any, timeout: Any
) -> Any:
    """One page of sessions."""
    client = ns.client
    fields = client._updateFieldCompatibilityByAPIVersion(fields)
    q = _LIST_HEAD + gql_join(fields) + _LIST_TAIL
    v: dict[str, Any] = {"limit": limit, "offset": offset, "status": status}
    if _loose_not_empty(accessKey):
        v["ak"] = accessKey
    if _loose_not_empty(group):
        v["group_id"] = group
    return client.query(q, v, None, timeout)


def listAll(
    ns: "ComputeSession", fields: Any, status: Any, accessKey: Any, limit: Any, offset: Any, group: Any, timeout: Any
) -> Any:
    """Every page (at most ten), concatenated. Mirrors JS 21.3.1 exactly, defects included:
    ``offset`` is unused (the loop starts at 0), the access key goes out as an
    ``access_key`` variable the document does not declare, the page after the
    last one is fetched too, and the SCHEDULED status is not removed for old
    managers (JS discards the result of ``status.replace``)."""
    client = ns.client
    fields = client._updateFieldCompatibilityByAPIVersion(fields)
    if not client.supports("avoid-hol-blocking") and not isinstance(status, str):
        # JS calls status.replace(...) here (and throws for anything but a string).
        raise TypeError(f"status must be a comma-separated string, got {type(status).__name__}: {status!r}")
    if isinstance(limit, bool) or not isinstance(limit, (int, float)):
        raise TypeError(f"limit must be a number, got {type(limit).__name__}: {limit!r}")
    q = _LIST_HEAD + gql_join(fields) + _LIST_TAIL
    sessions: builtins.list[Any] = []
    page_offset: Any = 0
    while page_offset < 10 * limit:
        v: dict[str, Any] = {"limit": limit, "offset": page_offset, "status": status}
        if _loose_not_empty(accessKey):
            v["access_key"] = accessKey
        if _loose_not_empty(group):
            v["group_id"] = group
        session = client.query(q, v, None, timeout)
        page = item(session, "compute_session_list")
        items = item(page, "items")
        total = item(page, "total_count")
        if page is UNDEFINED or items is UNDEFINED or items is None or isinstance(items, (Mapping, int, float)):
            raise TypeError(f"the answer has no compute_session_list.items list: {session!r}")
        log.debug("computeSession.listAll: total_count %s", total)
        sessions.extend(items)
        if _js_ge(page_offset, total):
            break
        page_offset += limit
    return sessions


def get(ns: "ComputeSession", fields: Any, sessionUuid: Any) -> Any:
    """One session by its UUID."""
    client = ns.client
    fields = client._updateFieldCompatibilityByAPIVersion(fields)
    q = _GET_HEAD + gql_join(fields) + _GET_TAIL
    return client.query(q, {"session_uuid": sessionUuid})
