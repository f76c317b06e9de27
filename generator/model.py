"""The typed intermediate model the templates print.

Everything a template needs is computed here, Python expressions included, so
that templates only loop and print.
"""

from __future__ import annotations

from dataclasses import dataclass
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
    return_url: bool = False  # build the URL only (JS get_download_url_with_token)
    guard_py: str | None = None  # when false, the call resolves without a request (JS admin guards)
    guard_result_py: str = "False"  # what it then resolves to (JS Promise.resolve(false))


@dataclass(frozen=True)
class Paging:
    """JS's page loop: offsets 0, limit, ... (at most max_pages), items of ``list_field`` gathered."""

    limit_py: str
    max_pages: int
    list_field: str
    wrap: str | None  # return {wrap: items} instead of the bare list


@dataclass(frozen=True)
class GraphQLChoice:
    condition_py: str | None
    document_py: str  # Python expression building the document text
    variables: tuple[Assignment, ...]
    paging: Paging | None = None
    why: str | None = None  # a Python-only variant: the server change it answers


@dataclass(frozen=True)
class GraphQL:
    choices: tuple[GraphQLChoice, ...]  # the last has no condition
    guard_py: str | None
    guard_result_py: str
    timeout_py: str
    signal_py: str
    retry_py: str
    operation: str


@dataclass(frozen=True)
class Example:
    """A parity case: arguments and client state, as JSON text."""

    args_json: str
    state_json: str


@dataclass(frozen=True)
class Member:
    name: str
    kind: str  # "request" | "alias" | "hook" | "runtime" | "property"
    doc: str
    params: tuple[Param, ...]
    prelude: tuple[str, ...] = ()  # statements run before the call (defaults, session ids)
    request: Request | None = None
    graphql: GraphQL | None = None
    examples: tuple[Example, ...] = ()
    namespace: str | None = None  # None: a member of the Client itself
    hook_module: str | None = None  # namespace hooks live in backend_ai_client/_hooks/<module>.py
    call_py: str | None = None  # alias / hook: the expression returned
    attribute: str | None = None  # property: the attribute read
    setter_py: str | None = None  # property: statement body of the setter, or None
    summary_route: str = ""
    version_fixes: tuple[str, ...] = ()  # Python-only fixes for server changes since the JS SDK (why, per part)

    @property
    def client_ref(self) -> str:
        """How generated code reaches the Client: itself, or a namespace's ``client``."""
        return "self" if self.namespace is None else "self.client"

    @property
    def path_owner_py(self) -> str:
        return "" if self.namespace is None else ", owner=self"

    @property
    def qualified_name(self) -> str:
        return self.name if self.namespace is None else f"{self.namespace}.{self.name}"

    @property
    def signature_py(self) -> str:
        parts = ["self"]
        for p in self.params:
            parts.append(f"{p.name}: Any = {p.py_default}" if p.has_default else f"{p.name}: Any")
        if self.saves_to_file:
            parts += ["*", "saveTo: Any = None"]  # Python only: stream the raw answer into a file
        return ", ".join(parts)

    @property
    def saves_to_file(self) -> bool:
        return self.request is not None and self.request.raw_file and not self.request.return_url

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
class Namespace:
    attr: str  # the Client attribute (vfolder)
    class_name: str  # the JS class (VFolder)
    doc: str
    attributes_py: tuple[tuple[str, str], ...]  # initial attribute values as Python source
    base_module: str | None  # hand-written base class for runtime members
    base_class: str | None
    members: tuple[Member, ...]

    @property
    def hook_modules(self) -> tuple[str, ...]:
        return tuple(sorted({m.hook_module for m in self.members if m.hook_module}))


@dataclass(frozen=True)
class Spec:
    format: int
    js_package: str
    js_version: str
    defaults: dict[str, Any]
    errors: tuple[ErrorCode, ...]
    hooks: tuple[Hook, ...]
    client_members: tuple[Member, ...]
    namespaces: tuple[Namespace, ...] = ()

    @property
    def all_members(self) -> tuple[Member, ...]:
        return self.client_members + tuple(m for ns in self.namespaces for m in ns.members)

    @property
    def stats(self) -> dict[str, int]:
        members = self.all_members
        return {kind: sum(1 for m in members if m.kind == kind)
                for kind in ("request", "graphql", "alias", "constant", "property", "hook", "runtime")}

    @property
    def hook_modules(self) -> tuple[str, ...]:
        return tuple(sorted({m for ns in self.namespaces for m in ns.hook_modules}))

    @property
    def base_imports(self) -> tuple[tuple[str, str], ...]:
        return tuple(sorted({(ns.base_module, ns.base_class) for ns in self.namespaces
                             if ns.base_module and ns.base_class}))

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
