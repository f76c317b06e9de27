"""Load and validate api_spec.json into the intermediate model.

Every problem is reported with its location in the spec (a dotted path such as
``client.members.get_info.request.query[0].value``) and what is wrong; all
problems are collected before failing, so one run shows them all.
"""

from __future__ import annotations

import json
import keyword
import re
from pathlib import Path
from typing import Any

from .model import (
    Assignment,
    ErrorCode,
    FormPart,
    Hook,
    Member,
    Param,
    PathChoice,
    Request,
    Spec,
    compact_literal,
)

SPEC_FORMAT = 1
KINDS = ("request", "alias", "hook", "runtime", "property")
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
TESTS = ("always", "truthy", "notNull", "nonEmpty")
TRANSFORMS = {
    "parseInt": "_r.parse_int({})",
    "toFixed2": "_r.to_fixed(_r.parse_float({}), 2)",
}
REQUIRED_DEFAULTS = {
    "apiVersion": str,
    "apiVersionMajor": str,
    "clientVersion": str,
    "endpoint": str,
    "env": dict,
    "hashType": str,
    "kernelPrefix": str,
    "requestTimeout": int,
    "responseReadTimeout": int,
    "retryDelay": int,
    "userAgentPrefix": str,
}
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


class SpecError(Exception):
    """The spec is invalid; ``problems`` lists (location, message) pairs."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        lines = [f"  {where}: {what}" for where, what in problems]
        super().__init__(f"api_spec.json has {len(problems)} problem(s):\n" + "\n".join(lines))


class _Checker:
    def __init__(self) -> None:
        self.problems: list[tuple[str, str]] = []

    def fail(self, where: str, what: str) -> None:
        self.problems.append((where, what))

    def keys(self, obj: Any, where: str, required: tuple[str, ...], optional: tuple[str, ...] = ()) -> bool:
        if not isinstance(obj, dict):
            self.fail(where, f"expected an object, got {type(obj).__name__}")
            return False
        for key in required:
            if key not in obj:
                self.fail(where, f"missing required key {key!r}")
        for key in obj:
            if key not in required and key not in optional:
                allowed = ", ".join(sorted(required + optional))
                self.fail(f"{where}.{key}", f"unknown key (allowed: {allowed})")
        return all(k in obj for k in required)


def load_spec(path: str | Path) -> Spec:
    path = Path(path)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SpecError([(str(path), "file not found")]) from None
    except json.JSONDecodeError as exc:
        raise SpecError([(f"{path}:{exc.lineno}:{exc.colno}", f"not valid JSON: {exc.msg}")]) from None
    return build_spec(raw)


def build_spec(raw: Any) -> Spec:
    ck = _Checker()
    if not ck.keys(raw, "(top)", ("format", "jsSdk", "defaults", "errors", "hooks", "client")):
        raise SpecError(ck.problems)
    if raw["format"] != SPEC_FORMAT:
        ck.fail("format", f"this generator reads format {SPEC_FORMAT}, the spec says {raw['format']!r}")
    ck.keys(raw["jsSdk"], "jsSdk", ("package", "version"))
    defaults = raw["defaults"]
    if ck.keys(defaults, "defaults", tuple(REQUIRED_DEFAULTS)):
        for key, typ in REQUIRED_DEFAULTS.items():
            if not isinstance(defaults[key], typ) or isinstance(defaults[key], bool):
                ck.fail(f"defaults.{key}", f"expected {typ.__name__}, got {defaults[key]!r}")
        ck.keys(defaults["env"], "defaults.env", ("accessKey", "secretKey", "endpoint"))

    errors = []
    if isinstance(raw["errors"], dict):
        for name in sorted(raw["errors"], key=lambda n: (raw["errors"][n].get("code", 0) if isinstance(raw["errors"][n], dict) else 0, n)):
            entry = raw["errors"][name]
            where = f"errors.{name}"
            if not re.match(r"^ERR_[A-Z]+$", name):
                ck.fail(where, "error constant names look like ERR_NAME")
            if ck.keys(entry, where, ("code", "doc"), ("problemType",)):
                if not isinstance(entry["code"], int):
                    ck.fail(f"{where}.code", "expected an integer")
                errors.append(ErrorCode(name, entry["code"], entry.get("problemType"), entry["doc"]))
        codes = [e.code for e in errors]
        if len(set(codes)) != len(codes):
            ck.fail("errors", "two constants share a code")
    else:
        ck.fail("errors", "expected an object of ERR_NAME entries")

    hooks: dict[str, Hook] = {}
    if isinstance(raw["hooks"], dict):
        for name, why in sorted(raw["hooks"].items()):
            if not _IDENT.match(name):
                ck.fail(f"hooks.{name}", "hook names are Python identifiers")
            if not isinstance(why, str) or not why.strip():
                ck.fail(f"hooks.{name}", "say why this member cannot be declarative")
            hooks[name] = Hook(name, why if isinstance(why, str) else "")
    else:
        ck.fail("hooks", "expected an object of hook name -> reason")

    members: list[Member] = []
    used_hooks: set[str] = set()
    client = raw["client"]
    if ck.keys(client, "client", ("members",)):
        table = client["members"]
        if not isinstance(table, dict):
            ck.fail("client.members", "expected an object of member name -> entry")
            table = {}
        for name in sorted(table):
            member = _member(ck, f"client.members.{name}", name, table[name], table, hooks, used_hooks)
            if member is not None:
                members.append(member)
    for name in sorted(set(hooks) - used_hooks):
        ck.fail(f"hooks.{name}", "declared but no member uses it")
    if ck.problems:
        raise SpecError(ck.problems)
    stats = {kind: sum(1 for m in members if m.kind == kind) for kind in KINDS}
    return Spec(
        format=raw["format"],
        js_package=raw["jsSdk"]["package"],
        js_version=raw["jsSdk"]["version"],
        defaults=defaults,
        errors=tuple(errors),
        hooks=tuple(hooks[n] for n in sorted(hooks)),
        client_members=tuple(members),
        stats=stats,
    )


def _params(ck: _Checker, where: str, raw: Any) -> tuple[tuple[Param, ...], list[str]]:
    params: list[Param] = []
    prelude: list[str] = []
    if not isinstance(raw, list):
        ck.fail(where, "expected a list of parameters")
        return (), []
    seen_default = False
    for i, entry in enumerate(raw):
        pw = f"{where}[{i}]"
        if not ck.keys(entry, pw, ("name",), ("default", "optional", "ifNull")):
            continue
        name = entry["name"]
        if not isinstance(name, str) or not _IDENT.match(name) or keyword.iskeyword(name) or name == "self":
            ck.fail(f"{pw}.name", f"{name!r} cannot be a Python parameter name")
            continue
        if any(p.name == name for p in params):
            ck.fail(f"{pw}.name", f"duplicate parameter {name!r}")
        optional = entry.get("optional", False)
        if not isinstance(optional, bool) or (optional and "default" in entry):
            ck.fail(f"{pw}.optional", "optional is true (JS: may be omitted, then undefined) and excludes default")
        has_default = "default" in entry or optional is True
        if seen_default and not has_default:
            ck.fail(pw, f"parameter {name!r} has no default but follows one that has (JS allows it, Python does not)")
        seen_default = seen_default or has_default
        default = entry.get("default")
        fill = ""
        if isinstance(default, (dict, list)):
            if default:
                ck.fail(f"{pw}.default", "only empty {} / [] are supported as mutable defaults")
            py_default = "None"
            fill = f"if {name} is None:\n    {name} = {'{}' if isinstance(default, dict) else '[]'}"
        elif optional is True:
            py_default = "UNDEFINED"
        else:
            py_default = repr(default)
        if "ifNull" in entry:
            factory = entry["ifNull"]
            if not (isinstance(factory, dict) and set(factory) == {"call"} and _IDENT.match(str(factory["call"]))):
                ck.fail(f"{pw}.ifNull", 'expected {"call": "clientMethodName"}')
            else:
                prelude.append(f"if not _r.not_null({name}):\n    {name} = self.{factory['call']}()")
        if fill:
            prelude.append(fill)
        params.append(Param(name, has_default, default, py_default, fill, optional is True))
    return tuple(params), prelude


def _value(ck: _Checker, where: str, raw: Any, names: set[str], *, raw_only: bool = False) -> tuple[str, str]:
    """(python expression, python expression before any transform)."""
    if not isinstance(raw, dict):
        ck.fail(where, 'expected a value such as {"param": "name"}, {"const": 1} or {"client": "attr"}')
        return "None", "None"
    sources = [k for k in ("param", "const", "client") if k in raw]
    if len(sources) != 1:
        ck.fail(where, "a value names exactly one of param, const, client")
        return "None", "None"
    ck.keys(raw, where, (sources[0],), ("key", "transform"))
    src = sources[0]
    if src == "param":
        if raw["param"] not in names:
            ck.fail(f"{where}.param", f"unknown parameter {raw['param']!r} (parameters: {', '.join(sorted(names)) or 'none'})")
        expr = str(raw["param"])
    elif src == "client":
        if not isinstance(raw["client"], str) or not _IDENT.match(raw["client"]):
            ck.fail(f"{where}.client", "expected a client attribute name")
        expr = f"self.{raw['client']}"
    else:
        expr = compact_literal(raw["const"])
    if "key" in raw:
        if not isinstance(raw["key"], str):
            ck.fail(f"{where}.key", "expected a string key")
        expr = f"_r.item({expr}, {raw['key']!r})"
    before = expr
    if "transform" in raw:
        if raw["transform"] not in TRANSFORMS:
            ck.fail(f"{where}.transform", f"unknown transform {raw['transform']!r} (known: {', '.join(TRANSFORMS)})")
        else:
            expr = TRANSFORMS[raw["transform"]].format(expr)
    return expr, before


def _condition(ck: _Checker, where: str, entry: dict[str, Any], raw_value_py: str, names: set[str]) -> str | None:
    """``when`` tests the raw value (or the ``if`` value); ``unless`` vetoes when truthy (JS else-if)."""
    test = entry.get("when", "always")
    subject = raw_value_py
    if "if" in entry:
        subject, _ = _value(ck, f"{where}.if", entry["if"], names)
        if test == "always":
            test = "truthy"
    if test not in TESTS:
        ck.fail(f"{where}.when", f"unknown test {test!r} (known: {', '.join(TESTS)})")
        return None
    parts = []
    if test != "always":
        fn = {"truthy": "truthy", "notNull": "not_null", "nonEmpty": "non_empty"}[test]
        parts.append(f"_r.{fn}({subject})")
    if "unless" in entry:
        veto, _ = _value(ck, f"{where}.unless", entry["unless"], names)
        parts.append(f"not _r.truthy({veto})")
    return " and ".join(parts) or None


def _assignments(ck: _Checker, where: str, raw: Any, names: set[str], *, nested: bool) -> tuple[Assignment, ...]:
    out = []
    if not isinstance(raw, list):
        ck.fail(where, "expected a list")
        return ()
    for i, entry in enumerate(raw):
        ew = f"{where}[{i}]"
        target = "to" if nested else "name"
        if not ck.keys(entry, ew, (target, "value"), ("when", "if", "unless")):
            continue
        key = entry[target]
        if nested:
            if not (isinstance(key, list) and key and all(isinstance(k, str) for k in key)):
                ck.fail(f"{ew}.to", 'expected a key path such as ["config", "resources", "cuda.device"]')
                continue
            path = tuple(key)
        else:
            if not isinstance(key, str):
                ck.fail(f"{ew}.name", "expected a query parameter name")
                continue
            path = (key,)
        value_py, raw_py = _value(ck, f"{ew}.value", entry["value"], names)
        out.append(Assignment(path, value_py, _condition(ck, ew, entry, raw_py, names)))
    return tuple(out)


def _version_condition(ck: _Checker, where: str, raw: Any) -> str | None:
    if isinstance(raw, dict) and len(raw) == 1:
        (key, value), = raw.items()
        if key == "apiVersionMajorBelow" and isinstance(value, int):
            return f"_r.js_less(self._apiVersionMajor, {value})"
        if key == "apiVersionAtLeast" and isinstance(value, str):
            return f"self.isAPIVersionCompatibleWith({value!r})"
    ck.fail(where, 'expected {"apiVersionMajorBelow": 5} or {"apiVersionAtLeast": "v4.20190601"}')
    return None


def _path_choice(ck: _Checker, where: str, template: Any, names: set[str], condition: str | None) -> PathChoice | None:
    if not isinstance(template, str) or not template.startswith("/") and not template.startswith("{"):
        ck.fail(where, "a path template starts with / or a {clientAttribute}")
        return None
    used = []
    for name in _PLACEHOLDER.findall(template):
        if not _IDENT.match(name):
            ck.fail(where, f"placeholder {{{name}}} is not a name")
        elif name in names:
            used.append(name)
        elif name[0].isupper() or name not in ("kernelPrefix", "urlPrefix"):
            ck.fail(where, f"placeholder {{{name}}} is neither a parameter nor a known client attribute (kernelPrefix)")
    params_py = "{" + ", ".join(f"{n!r}: {n}" for n in sorted(set(used))) + "}"
    return PathChoice(condition, template, params_py)


def _request(ck: _Checker, where: str, raw: Any, names: set[str], variants: Any) -> Request | None:
    if not ck.keys(
        raw, where, ("method", "path"), ("query", "body", "signed", "rawFile", "timeout", "retry", "signal")
    ):
        return None
    method = raw["method"]
    if method not in METHODS:
        ck.fail(f"{where}.method", f"unknown HTTP method {method!r}")
    paths: list[PathChoice] = []
    if variants is not None:
        if not isinstance(variants, list):
            ck.fail(f"{where}.variants", "expected a list")
        else:
            for i, variant in enumerate(variants):
                vw = f"{where}.variants[{i}]"
                if ck.keys(variant, vw, ("when", "path")):
                    cond = _version_condition(ck, f"{vw}.when", variant["when"])
                    choice = _path_choice(ck, f"{vw}.path", variant["path"], names, cond)
                    if choice:
                        paths.append(choice)
    base = _path_choice(ck, f"{where}.path", raw["path"], names, None)
    if base:
        paths.append(base)
    query = _assignments(ck, f"{where}.query", raw.get("query", []), names, nested=False)
    body = raw.get("body")
    body_kind, body_py, fields, parts = "none", None, (), ()
    if body is None:
        pass
    elif isinstance(body, dict) and "fields" in body:
        ck.keys(body, f"{where}.body", ("fields",))
        body_kind, fields = "fields", _assignments(ck, f"{where}.body.fields", body["fields"], names, nested=True)
    elif isinstance(body, dict) and "multipart" in body:
        ck.keys(body, f"{where}.body", ("multipart",))
        parts_list = []
        for i, part in enumerate(body["multipart"] if isinstance(body["multipart"], list) else []):
            pw = f"{where}.body.multipart[{i}]"
            if ck.keys(part, pw, ("name", "value"), ("filename",)):
                value_py, _ = _value(ck, f"{pw}.value", part["value"], names)
                filename_py = _value(ck, f"{pw}.filename", part["filename"], names)[0] if "filename" in part else None
                parts_list.append(FormPart(str(part["name"]), value_py, filename_py))
        body_kind, parts = "multipart", tuple(parts_list)
    else:
        body_kind = "param"
        body_py, _ = _value(ck, f"{where}.body", body, names)
    if method in ("GET", "HEAD") and body_kind not in ("none", "param"):
        ck.fail(f"{where}.body", f"{method} requests carry no body")

    def knob(key: str, default: str) -> str:
        value = raw.get(key)
        if value is None:
            return default
        if isinstance(value, int) and not isinstance(value, bool):
            return repr(value)
        return _value(ck, f"{where}.{key}", value, names)[0]

    signed = raw.get("signed", True)
    raw_file = raw.get("rawFile", False)
    for key, value in (("signed", signed), ("rawFile", raw_file)):
        if not isinstance(value, bool):
            ck.fail(f"{where}.{key}", "expected true or false")
    route = " | ".join(
        f"{method} {p.template}" + (f" (when {_describe(p.condition_py)})" if p.condition_py else "") for p in paths
    )
    return Request(
        method=method,
        paths=tuple(paths),
        query=query,
        body_kind=body_kind,
        body_py=body_py,
        body_fields=fields,
        form_parts=parts,
        signed=bool(signed),
        raw_file=bool(raw_file),
        timeout_py=knob("timeout", "0"),
        retry_py=knob("retry", "0"),
        signal_py=knob("signal", "None"),
        route=route,
    )


def _describe(condition_py: str | None) -> str:
    if condition_py is None:
        return ""
    m = re.match(r"_r\.js_less\(self\._apiVersionMajor, (\d+)\)", condition_py)
    if m:
        return f"API major version < {m.group(1)}"
    m = re.match(r"self\.isAPIVersionCompatibleWith\('([^']+)'\)", condition_py)
    if m:
        return f"API version >= {m.group(1)}"
    return condition_py


def _member(
    ck: _Checker,
    where: str,
    name: str,
    raw: Any,
    table: dict[str, Any],
    hooks: dict[str, Hook],
    used_hooks: set[str],
) -> Member | None:
    if not _IDENT.match(name):
        ck.fail(where, "member names are identifiers")
        return None
    if not isinstance(raw, dict) or raw.get("kind") not in KINDS:
        ck.fail(f"{where}.kind", f"expected one of {', '.join(KINDS)}")
        return None
    kind = raw["kind"]
    optional_by_kind = {
        "request": ("request", "variants"),
        "alias": ("target", "args"),
        "hook": ("hook",),
        "runtime": (),
        "property": ("attribute", "setterHook"),
    }
    ck.keys(raw, where, ("kind", "doc", "params"), optional_by_kind[kind])
    doc = raw.get("doc", "")
    if not isinstance(doc, str) or not doc.strip():
        ck.fail(f"{where}.doc", "every member needs its doc text")
        doc = ""
    params, prelude = _params(ck, f"{where}.params", raw.get("params", []))
    names = {p.name for p in params}
    if kind == "request":
        if "request" not in raw:
            ck.fail(where, "a request member needs a request recipe")
            return None
        request = _request(ck, f"{where}.request", raw["request"], names, raw.get("variants"))
        if request is None:
            return None
        return Member(name, kind, doc, params, tuple(prelude), request=request, summary_route=request.route)
    if kind == "alias":
        target = raw.get("target")
        if target not in table or target == name:
            ck.fail(f"{where}.target", f"alias target {target!r} is not another member")
            return None
        args = raw.get("args", [])
        args_py = [
            _value(ck, f"{where}.args[{i}]", a, names)[0] for i, a in enumerate(args if isinstance(args, list) else [])
        ]
        return Member(
            name, kind, doc, params, tuple(prelude), call_py=f"self.{target}({', '.join(args_py)})",
            summary_route=f"alias of {target}",
        )
    if kind == "hook":
        hook = raw.get("hook", name)
        if hook not in hooks:
            ck.fail(f"{where}.hook", f"hook {hook!r} is not declared in the top-level hooks table")
            return None
        used_hooks.add(hook)
        args = ", ".join(["self"] + [p.name for p in params])
        return Member(name, kind, doc, params, tuple(prelude), call_py=f"_hooks.{hook}({args})",
                      summary_route="hand-written hook")
    if kind == "property":
        attribute = raw.get("attribute")
        if not isinstance(attribute, str) or not _IDENT.match(attribute):
            ck.fail(f"{where}.attribute", "a property names the attribute it reads")
            return None
        setter = raw.get("setterHook")
        setter_py = None
        if setter is not None:
            if setter not in hooks:
                ck.fail(f"{where}.setterHook", f"hook {setter!r} is not declared in the top-level hooks table")
            else:
                used_hooks.add(setter)
                setter_py = f"_hooks.{setter}(self, value)"
        if params:
            ck.fail(f"{where}.params", "properties take no parameters")
        return Member(name, kind, doc, (), attribute=attribute, setter_py=setter_py, summary_route="property")
    return Member(name, kind, doc, params, summary_route="runtime (hand-written core)")
