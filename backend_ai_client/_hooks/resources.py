"""Hooks of ``client.resources`` (JS ``Resources``).

``resources`` and ``agents`` are the namespace's state, as in JS: the totals are
summed with JS number semantics (``Number``, ``parseInt``, ``parseFloat``,
``Math.floor``, ``toFixed``), so they equal what JS computes for the same
agents. Whole numbers come back as ``int``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, MutableMapping
from typing import TYPE_CHECKING, Any

from .._jsjson import UNDEFINED, js_string, object_keys, parse_float, parse_int, to_fixed, to_number, truthy
from .._result import JSObject, parse_json

if TYPE_CHECKING:
    from .._generated.namespaces import Resources

_AGENT_FIELDS = ["id", "addr", "status", "first_contact", "cpu_cur_pct", "mem_cur_bytes", "occupied_slots",
                 "available_slots"]
_SLOTS = (
    ("cpu", ("total", "used", "percent")),
    ("mem", ("total", "allocated", "used")),
    ("gpu", ("total", "used")),
    ("cuda.device", ("total", "used")),
    ("fgpu", ("total", "used")),
    ("cuda.shares", ("total", "used")),
    ("rocm.device", ("total", "used")),
    ("tpu.device", ("total", "used")),
    ("agents", ("total", "using")),
)


def _init_resource_values(ns: "Resources") -> None:
    """Zero every counter of ``ns.resources`` (in place: other keys stay) and empty ``ns.agents``."""
    if not isinstance(ns.resources, dict):
        ns.resources = JSObject()
    r = ns.resources
    # The slots first, in the JS constructor's order (the spec keeps the initial value
    # with sorted keys), then any other keys the caller added.
    others = [(k, v) for k, v in r.items() if k not in dict(_SLOTS)]
    r.clear()
    for slot, counters in _SLOTS:
        r[slot] = JSObject((name, 0) for name in counters)
    r.update(others)
    ns.agents = []
    return None


def _num(value: float) -> Any:
    """A JS number as Python shows it best: whole finite values as int."""
    if isinstance(value, float) and math.isfinite(value) and value.is_integer() and abs(value) <= 2**53:
        return int(value)
    return value


def _floor_number(value: Any) -> float:
    """JS ``Math.floor(Number(value))``."""
    if isinstance(value, Mapping):
        n = math.nan
    elif isinstance(value, (list, tuple)):
        n = to_number(js_string(value))  # Number([x]) is Number(String([x]))
    else:
        n = to_number(value)
    return float(math.floor(n)) if math.isfinite(n) else n


def _plus(a: Any, b: Any) -> float:
    # Both operands are numbers here (the results of parseInt/parseFloat/Number).
    return float(a) + float(b)


def _has(slots: Any, key: str) -> bool:
    """JS ``key in slots`` for the parsed slot JSON."""
    if isinstance(slots, Mapping):
        return key in slots
    if isinstance(slots, list):
        return key == "length"
    raise TypeError(f"cannot use 'in' to search for {key!r} in {slots!r} (the slot JSON is not an object)")


def _json(text: Any) -> Any:
    """JS ``JSON.parse(text)`` (the text is ``String(text)``)."""
    return parse_json(text if isinstance(text, str) else js_string(text))


def totalResourceInformation(ns: "Resources", status: Any) -> Any:
    """Sum the slots of the agents in ``status`` into ``ns.resources`` (admins only)."""
    client = ns.client
    if not truthy(getattr(client, "is_admin", UNDEFINED)):
        return False
    response = client.agent.list(status, list(_AGENT_FIELDS))
    _init_resource_values(ns)
    agents = response.get("agents", UNDEFINED) if isinstance(response, Mapping) else UNDEFINED
    ns.agents = agents
    if isinstance(agents, Mapping):
        values = [agents[k] for k in object_keys(agents)]
    elif isinstance(agents, (list, tuple)):
        values = list(agents)
    elif isinstance(agents, str):
        values = [*agents]
    else:
        raise TypeError(f"Cannot convert {js_string(agents)} to object (the answer has no agents: {response!r})")
    r = ns.resources
    change_unit = client.utils.changeBinaryUnit
    for value in values:
        if not isinstance(value, Mapping):
            raise TypeError(f"an agent of the answer is not an object: {value!r}")
        occupied = _json(value.get("occupied_slots", UNDEFINED))
        available = _json(value.get("available_slots", UNDEFINED))
        cpu, mem = r["cpu"], r["mem"]
        if _has(available, "cpu"):
            cpu["total"] = _plus(cpu["total"], _floor_number(available["cpu"]))
        if _has(occupied, "cpu"):
            cpu["used"] = _plus(cpu["used"], _floor_number(occupied["cpu"]))
        cpu["percent"] = _plus(cpu["percent"], parse_float(value.get("cpu_cur_pct", UNDEFINED)))
        if isinstance(occupied, MutableMapping) and occupied.get("mem", UNDEFINED) is UNDEFINED:
            occupied["mem"] = 0
        avail_mem = available.get("mem", UNDEFINED) if isinstance(available, Mapping) else UNDEFINED
        occ_mem = occupied.get("mem", UNDEFINED) if isinstance(occupied, Mapping) else UNDEFINED
        mem["total"] = _plus(parse_float(mem["total"]), parse_int(change_unit(avail_mem, "b")))
        mem["allocated"] = _plus(parse_int(mem["allocated"]), parse_int(change_unit(occ_mem, "b")))
        mem["used"] = _plus(parse_int(mem["used"]), parse_int(change_unit(value.get("mem_cur_bytes", UNDEFINED), "b")))
        for slot, parse in (("cuda.device", None), ("cuda.shares", parse_float), ("rocm.device", None),
                            ("tpu.device", None)):
            for counter, slots in (("total", available), ("used", occupied)):
                if _has(slots, slot):
                    if parse is None:  # parseInt(sum) + Math.floor(Number(slot))
                        r[slot][counter] = _plus(parse_int(r[slot][counter]), _floor_number(slots[slot]))
                    else:  # parseFloat(sum) + parseFloat(slot)
                        r[slot][counter] = _plus(parse_float(r[slot][counter]), parse_float(slots[slot]))
        for slot in ("cpu", "mem", "gpu", "fgpu"):
            used = r[slot]["used"]
            if isinstance(used, float) and math.isnan(used):  # JS isNaN(...): reset to 0
                r[slot]["used"] = 0
    # Legacy fields, as JS keeps them.
    r["gpu"]["total"] = r["cuda.device"]["total"]
    r["gpu"]["used"] = r["cuda.device"]["used"]
    r["fgpu"]["used"] = to_fixed(float(r["cuda.shares"]["used"]), 2)
    r["fgpu"]["total"] = to_fixed(float(r["cuda.shares"]["total"]), 2)
    r["agents"]["total"] = len(values)
    r["agents"]["using"] = len(values)
    for slot, counters in _SLOTS:
        for counter in counters:
            if isinstance(r[slot].get(counter), float):
                r[slot][counter] = _num(r[slot][counter])
    return r
