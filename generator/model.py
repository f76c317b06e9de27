"""The typed intermediate model the templates print.

Everything a template needs is computed here, Python expressions included, so
that templates only loop and print.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Param:
    name: str
    has_default: bool
    default: Any
    #: the default as Python source; mutable JS defaults ({} / []) render as None
    py_default: str
    #: Python statement that replaces a None placeholder by a fresh {} / [] (or "")
    fill_default: str
    #: JS parameter without a default that may be omitted (then ``undefined``)
    optional: bool = False


@dataclass(frozen=True)
class Assignment:
    """One key set in a request object (query string or JSON body), in JS order."""

    path: tuple[str, ...]
    value_py: str
    condition_py: str | None


@dataclass(frozen=True)
class PathChoice:
    condition_py: str | None
    template: str
    params_py: str  # dict display of the parameters the template names


@dataclass(frozen=True)
class FormPart:
    name: str
    value_py: str
    filename_py: str | None


@dataclass(frozen=True)
class Request:
    method: str
    paths: tuple[PathChoice, ...]
    query: tuple[Assignment, ...]
    body_kind: str  # "none" | "param" | "fields" | "multipart"
    body_py: str | None
    body_fields: tuple[Assignment, ...]
    form_parts: tuple[FormPart, ...]
    signed: bool
    raw_file: bool
    timeout_py: str
    retry_py: str
    signal_py: str
    route: str  # human-readable route for docstrings and docs


@dataclass(frozen=True)
class Member:
    name: str
    kind: str  # "request" | "alias" | "hook" | "runtime" | "property"
    doc: str
    params: tuple[Param, ...]
    prelude: tuple[str, ...] = ()  # statements run before the call (defaults, session ids)
    request: Request | None = None
    call_py: str | None = None  # alias / hook: the expression returned
    attribute: str | None = None  # property: the attribute read
    setter_py: str | None = None  # property: statement body of the setter, or None
    summary_route: str = ""

    @property
    def signature_py(self) -> str:
        parts = ["self"]
        for p in self.params:
            parts.append(f"{p.name}: Any = {p.py_default}" if p.has_default else f"{p.name}: Any")
        return ", ".join(parts)

    @property
    def js_signature(self) -> str:
        import json

        parts = []
        for p in self.params:
            if p.optional:
                parts.append(f"{p.name}?")
            else:
                parts.append(f"{p.name} = {json.dumps(p.default)}" if p.has_default else p.name)
        return f"{self.name}({', '.join(parts)})"


@dataclass(frozen=True)
class ErrorCode:
    name: str
    code: int
    problem_type: str | None
    doc: str


@dataclass(frozen=True)
class Hook:
    name: str
    why: str


@dataclass(frozen=True)
class Spec:
    format: int
    js_package: str
    js_version: str
    defaults: dict[str, Any]
    errors: tuple[ErrorCode, ...]
    hooks: tuple[Hook, ...]
    client_members: tuple[Member, ...]
    stats: dict[str, int] = field(default_factory=dict)

    @property
    def defaults_py(self) -> str:
        return _py_literal(self.defaults)


def _py_literal(value: Any, indent: int = 0) -> str:
    """A deterministic, pretty Python literal for JSON data."""
    pad = "    " * (indent + 1)
    end = "    " * indent
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = [f"{pad}{_py_literal(k)}: {_py_literal(value[k], indent + 1)}," for k in sorted(value)]
        return "{\n" + "\n".join(items) + "\n" + end + "}"
    if isinstance(value, list):
        if not value:
            return "[]"
        items = [f"{pad}{_py_literal(v, indent + 1)}," for v in value]
        return "[\n" + "\n".join(items) + "\n" + end + "]"
    return repr(value)


py_literal = _py_literal


def compact_literal(value: Any) -> str:
    """A one-line Python literal for JSON data (keys in the spec's order)."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k!r}: {compact_literal(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(compact_literal(v) for v in value) + "]"
    return repr(value)
