"""Load and validate api_spec.json into the intermediate model.

Every problem is reported with its location in the spec (a dotted path such as
``client.members.get_info.request.query[0].value``) and what is wrong; all
problems are collected before failing, so one run shows them all.
"""

from __future__ import annotations

import json
import keyword
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .model import (
    Assignment,
    ErrorCode,
    Example,
    FormPart,
    GraphQL,
    GraphQLChoice,
    Hook,
    Paging,
    Member,
    Namespace,
    Param,
    PathChoice,
    Request,
    Spec,
    compact_literal,
)

SPEC_FORMAT = 1
KINDS = ("request", "graphql", "alias", "constant", "hook", "runtime", "property")
DECLARATIVE_KINDS = ("request", "graphql", "alias", "constant", "property")
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
TESTS = ("always", "truthy", "notNull", "nonEmpty")
TRANSFORMS = {
    "parseInt": "_r.parse_int({})",
    "toFixed2": "_r.to_fixed(_r.parse_float({}), 2)",
    "join": "_r.gql_join({})",
    "encodeURIComponent": "_r.encode_uri_component({})",
    "decodeURIComponent": "_r.decode_uri_component({})",
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
CLIENT_ATTRIBUTES = ("kernelPrefix",)
EXAMPLE_STATE = ("apiVersion", "apiVersionMajor", "connectionMode", "clientState")
CLIENT_STATE = ("_apiVersion", "_apiVersionMajor", "kernelPrefix", "is_admin", "is_superadmin", "_managerVersion")
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


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


@dataclass
class _Scope:
    """Where a member lives: the Client itself or a namespace object."""

    ck: _Checker
    namespace: str | None  # None for the Client
    attributes: dict[str, Any]  # namespace attributes (urlPrefix, name, ...)
    hooks: dict[str, "Hook"]
    used_hooks: set[str]
    names: frozenset[str] = frozenset()  # parameter names of the current member
    paging: bool = False  # inside a paginated GraphQL recipe: {"page": "offset"} is allowed

    @property
    def client(self) -> str:
        return "self" if self.namespace is None else "self.client"


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
    if not ck.keys(raw, "(top)", ("format", "jsSdk", "defaults", "errors", "hooks", "client"), ("namespaces",)):
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
    errors = _errors(ck, raw["errors"])
    hooks: dict[str, Hook] = {}
    if isinstance(raw["hooks"], dict):
        for name, why in sorted(raw["hooks"].items()):
            parts = name.split(".")
            if len(parts) > 2 or not all(_IDENT.match(p) for p in parts):
                ck.fail(f"hooks.{name}", "hook names are NAME (Client) or NAMESPACE.NAME")
            if not isinstance(why, str) or not why.strip():
                ck.fail(f"hooks.{name}", "say why this member cannot be declarative")
            hooks[name] = Hook(name, why if isinstance(why, str) else "")
    else:
        ck.fail("hooks", "expected an object of hook name -> reason")
    used_hooks: set[str] = set()

    client_members: tuple[Member, ...] = ()
    if ck.keys(raw["client"], "client", ("members",)):
        scope = _Scope(ck, None, {}, hooks, used_hooks)
        client_members = _members(scope, "client.members", raw["client"]["members"])

    namespaces = []
    raw_ns = raw.get("namespaces", {})
    if not isinstance(raw_ns, dict):
        ck.fail("namespaces", "expected an object of attribute name -> namespace")
        raw_ns = {}
    for attr in sorted(raw_ns):
        where = f"namespaces.{attr}"
        entry = raw_ns[attr]
        if not _IDENT.match(attr):
            ck.fail(where, "namespace attributes are identifiers")
            continue
        if not ck.keys(entry, where, ("class", "doc", "members"), ("attributes", "base")):
            continue
        if not isinstance(entry["class"], str) or not _IDENT.match(entry["class"]):
            ck.fail(f"{where}.class", "expected the JS class name")
        attributes = entry.get("attributes", {})
        if not isinstance(attributes, dict) or not all(_IDENT.match(k) for k in attributes):
            ck.fail(f"{where}.attributes", "expected an object of attribute name -> initial JSON value")
            attributes = {}
        base = entry.get("base")
        base_module = base_class = None
        if base is not None:
            m = re.match(r"^(_[a-z_]+)\.([A-Za-z_][A-Za-z0-9_]*)$", str(base))
            if not m:
                ck.fail(f"{where}.base", "expected MODULE.Class of a hand-written base in backend_ai_client, "
                        "e.g. _utils.UtilsBase")
            else:
                base_module, base_class = m.groups()
        scope = _Scope(ck, attr, attributes, hooks, used_hooks)
        members = _members(scope, f"{where}.members", entry["members"])
        if any(m.kind == "runtime" for m in members) and base is None:
            ck.fail(f"{where}.base", "runtime members need a hand-written base class")
        namespaces.append(Namespace(
            attr=attr, class_name=str(entry["class"]), doc=str(entry["doc"]),
            attributes_py=tuple((k, compact_literal(attributes[k])) for k in sorted(attributes)),
            base_module=base_module, base_class=base_class, members=members,
        ))
    classes = [n.class_name for n in namespaces]
    if len(set(classes)) != len(classes):
        ck.fail("namespaces", "two namespaces share a class name")
    for name in sorted(set(hooks) - used_hooks):
        ck.fail(f"hooks.{name}", "declared but no member uses it")
    if ck.problems:
        raise SpecError(ck.problems)
    return Spec(
        format=raw["format"],
        js_package=raw["jsSdk"]["package"],
        js_version=raw["jsSdk"]["version"],
        defaults=defaults,
        errors=errors,
        hooks=tuple(hooks[n] for n in sorted(hooks)),
        client_members=client_members,
        namespaces=tuple(namespaces),
    )


def _errors(ck: _Checker, raw: Any) -> tuple[ErrorCode, ...]:
    errors = []
    if not isinstance(raw, dict):
        ck.fail("errors", "expected an object of ERR_NAME entries")
        return ()
    for name, entry in raw.items():
        where = f"errors.{name}"
        if not re.match(r"^ERR_[A-Z]+$", name):
            ck.fail(where, "error constant names look like ERR_NAME")
        if ck.keys(entry, where, ("code", "doc"), ("problemType",)):
            if not isinstance(entry["code"], int) or isinstance(entry["code"], bool):
                ck.fail(f"{where}.code", "expected an integer")
                continue
            errors.append(ErrorCode(name, entry["code"], entry.get("problemType"), entry["doc"]))
    codes = [e.code for e in errors]
    if len(set(codes)) != len(codes):
        ck.fail("errors", "two constants share a code")
    return tuple(sorted(errors, key=lambda e: (e.code, e.name)))


def _members(scope: _Scope, where: str, table: Any) -> tuple[Member, ...]:
    if not isinstance(table, dict):
        scope.ck.fail(where, "expected an object of member name -> entry")
        return ()
    out = []
    for name in sorted(table):
        member = _member(scope, f"{where}.{name}", name, table[name], table)
        if member is not None:
            out.append(member)
    return tuple(out)


# -- parameters ---------------------------------------------------------------
def _params(scope: _Scope, where: str, raw: Any) -> tuple[tuple[Param, ...], list[str], list[str]]:
    ck = scope.ck
    params: list[Param] = []
    prelude: list[str] = []
    notes: list[str] = []
    if not isinstance(raw, list):
        ck.fail(where, "expected a list of parameters")
        return (), [], []
    names = {e.get("name") for e in raw if isinstance(e, dict)}
    value_scope = _Scope(ck, scope.namespace, scope.attributes, scope.hooks, scope.used_hooks,
                         frozenset(n for n in names if isinstance(n, str)))
    seen_default = False
    for i, entry in enumerate(raw):
        pw = f"{where}[{i}]"
        if not ck.keys(entry, pw, ("name",), ("default", "optional", "ifNull", "ifFalsy", "adjust", "versionFix")):
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
            py_default = "None"
            fill = f"if {name} is None:\n    {name} = {compact_literal(default)}"
        elif optional is True:
            py_default = "UNDEFINED"
        else:
            py_default = repr(default)
        for key, test in (("ifNull", "not _r.not_null({})"), ("ifFalsy", "not _r.truthy({})")):
            if key in entry:
                factory = entry[key]
                if isinstance(factory, dict) and set(factory) == {"call"}:
                    if not _IDENT.match(str(factory["call"])):
                        ck.fail(f"{pw}.{key}.call", "expected a client method name")
                        continue
                    replacement = f"{scope.client}.{factory['call']}()"
                else:
                    replacement = _value(value_scope, f"{pw}.{key}", factory)[0]
                prelude.append(f"if {test.format(name)}:\n    {name} = {replacement}")
        if fill:
            prelude.append(fill)
        if "adjust" in entry:  # JS reassigns the parameter first thing (fields = f(fields))
            adjusted = _value(value_scope, f"{pw}.adjust", entry["adjust"])[0]
            prelude.append(f"{name} = {adjusted}")
        if "versionFix" in entry:  # Python only: the server changed since the JS SDK was written
            fix = entry["versionFix"]
            fw = f"{pw}.versionFix"
            if ck.keys(fix, fw, ("if", "value", "why")):
                why = _why(ck, f"{fw}.why", fix["why"])
                cond = _cond(value_scope, f"{fw}.if", fix["if"])
                fixed = _value(value_scope, f"{fw}.value", fix["value"])[0]
                prelude.append(f"if {cond}:  # Python only: {why}\n    {name} = {fixed}")
                notes.append(f"`{name}`: {why}")
        params.append(Param(name, has_default, default, py_default, fill, optional is True))
    return tuple(params), prelude, notes


def _why(ck: _Checker, where: str, raw: Any) -> str:
    """The reason of a Python-only version fix: one line of text."""
    if not isinstance(raw, str) or not raw.strip() or "\n" in raw:
        ck.fail(where, "expected the reason as one line of text (it becomes a code comment and a doc note)")
        return ""
    return raw.strip()


# -- values and conditions ------------------------------------------------------
def _value(scope: _Scope, where: str, raw: Any) -> tuple[str, str]:
    """(python expression, python expression before any transform)."""
    ck = scope.ck
    if not isinstance(raw, dict):
        ck.fail(where, 'expected a value such as {"param": "name"}, {"const": 1}, {"client": "attr"}, '
                '{"attr": "name"}, {"config": "endpoint"} or {"or": [value, value]}')
        return "None", "None"
    sources = [k for k in ("param", "const", "client", "attr", "config", "or", "concat", "call", "page") if k in raw]
    if len(sources) != 1:
        ck.fail(where, "a value names exactly one of param, const, client, attr, config, or, concat, call, page")
        return "None", "None"
    src = sources[0]
    ck.keys(raw, where, (src,), ("key", "transform", "args") if src == "call" else ("key", "transform"))
    if src == "param":
        if raw["param"] not in scope.names:
            ck.fail(f"{where}.param", f"unknown parameter {raw['param']!r} "
                    f"(parameters: {', '.join(sorted(scope.names)) or 'none'})")
        expr = str(raw["param"])
    elif src == "client":
        if not isinstance(raw["client"], str) or not _IDENT.match(raw["client"]):
            ck.fail(f"{where}.client", "expected a client attribute name")
        expr = f"_r.attr({scope.client}, {str(raw['client'])!r})"
    elif src == "attr":
        if scope.namespace is None or raw["attr"] not in scope.attributes:
            ck.fail(f"{where}.attr", f"{raw['attr']!r} is not an attribute of this namespace "
                    f"(attributes: {', '.join(sorted(scope.attributes)) or 'none'})")
        expr = f"self.{raw['attr']}"
    elif src == "config":
        if raw["config"] not in ("endpoint", "connectionMode", "apiVersion", "accessKey", "endpointHost"):
            ck.fail(f"{where}.config", "expected one of endpoint, connectionMode, apiVersion, accessKey, endpointHost")
        expr = f"{scope.client}._config.{raw['config']}"
    elif src == "call":
        if not isinstance(raw["call"], str) or not _IDENT.match(raw["call"]):
            ck.fail(f"{where}.call", "expected a client method name")
        args = raw.get("args", [])
        if not isinstance(args, list):
            ck.fail(f"{where}.args", "expected a list of values")
            args = []
        expr = f"{scope.client}.{raw['call']}(" + ", ".join(
            _value(scope, f"{where}.args[{i}]", a)[0] for i, a in enumerate(args)) + ")"
    elif src == "page":
        if raw["page"] not in ("offset", "limit") or not scope.paging:
            ck.fail(f"{where}.page", 'expected "offset" or "limit", inside a paginated GraphQL recipe')
        expr = "_offset" if raw["page"] == "offset" else "_limit"
    elif src == "concat":
        parts = raw["concat"]
        if not isinstance(parts, list) or not parts:
            ck.fail(f"{where}.concat", "expected a list of values (a JS template literal: String() of each, joined)")
            return "None", "None"
        expr = "_r.concat(" + ", ".join(_value(scope, f"{where}.concat[{i}]", v)[0] for i, v in enumerate(parts)) + ")"
    elif src == "or":
        options = raw["or"]
        if not isinstance(options, list) or len(options) < 2:
            ck.fail(f"{where}.or", "expected a list of two or more values (JS a || b)")
            return "None", "None"
        expr = "_r.js_or(" + ", ".join(f"lambda: {_value(scope, f'{where}.or[{i}]', o)[0]}"
                                        for i, o in enumerate(options)) + ")"
    else:
        expr = compact_literal(raw["const"])
    if "key" in raw:
        if not isinstance(raw["key"], str):
            ck.fail(f"{where}.key", "expected a string key")
        expr = f"_r.item({expr}, {raw['key']!r})"
    before = expr
    if "transform" in raw:
        steps = raw["transform"] if isinstance(raw["transform"], list) else [raw["transform"]]
        for i, step in enumerate(steps):
            tw = f"{where}.transform" + (f"[{i}]" if isinstance(raw["transform"], list) else "")
            if isinstance(step, dict) and set(step) == {"replaceFirst"}:
                pair = step["replaceFirst"]
                if not (isinstance(pair, list) and len(pair) == 2 and all(isinstance(x, str) for x in pair)):
                    ck.fail(f"{tw}.replaceFirst", 'expected ["search", "replacement"] (JS s.replace(a, b))')
                    continue
                expr = f"_r.replace_first({expr}, {pair[0]!r}, {pair[1]!r})"
            elif isinstance(step, dict) and set(step) == {"without"}:
                items = step["without"]
                if not isinstance(items, list) or not items:
                    ck.fail(f"{tw}.without", 'expected a list of constants to leave out of a list (e.g. ["password"])')
                    continue
                expr = f"_r.without({expr}, {compact_literal(items)})"
            elif step in TRANSFORMS:
                expr = TRANSFORMS[step].format(expr)
            else:
                ck.fail(tw, f"unknown transform {step!r} (known: {', '.join(TRANSFORMS)}, "
                        f"{{\"replaceFirst\": [a, b]}}, {{\"without\": [a, ...]}})")
    return expr, before


_COND_KEYS = ("truthy", "notNull", "nonEmpty", "isTrue", "not", "all", "any", "supports", "apiVersionAtLeast",
              "apiVersionMajorBelow", "equals", "looseEquals", "in")


def _cond(scope: _Scope, where: str, raw: Any) -> str:
    """A condition object as a Python expression."""
    ck = scope.ck
    if not isinstance(raw, dict) or len(raw) != 1 or next(iter(raw)) not in _COND_KEYS:
        ck.fail(where, f"expected a condition: an object with one of {', '.join(_COND_KEYS)}")
        return "False"
    (key, arg), = raw.items()
    client = scope.client
    if key in ("truthy", "notNull", "nonEmpty", "isTrue"):
        fn = {"truthy": "truthy", "notNull": "not_null", "nonEmpty": "non_empty", "isTrue": "is_true"}[key]
        return f"_r.{fn}({_value(scope, f'{where}.{key}', arg)[0]})"
    if key == "not":
        return f"not ({_cond(scope, f'{where}.not', arg)})"
    if key in ("all", "any"):
        if not isinstance(arg, list) or not arg:
            ck.fail(f"{where}.{key}", "expected a non-empty list of conditions")
            return "False"
        joiner = " and " if key == "all" else " or "
        return "(" + joiner.join(_cond(scope, f"{where}.{key}[{i}]", c) for i, c in enumerate(arg)) + ")"
    if key == "supports":
        if not isinstance(arg, str):
            ck.fail(f"{where}.supports", "expected a feature name")
        return f"{client}.supports({arg!r})"
    if key == "apiVersionAtLeast":
        if not isinstance(arg, str):
            ck.fail(f"{where}.apiVersionAtLeast", "expected a version such as v4.20190601")
        return f"{client}.isAPIVersionCompatibleWith({arg!r})"
    if key == "apiVersionMajorBelow":
        if not isinstance(arg, int) or isinstance(arg, bool):
            ck.fail(f"{where}.apiVersionMajorBelow", "expected an integer")
        return f"_r.js_less({client}._apiVersionMajor, {arg!r})"
    if key in ("equals", "looseEquals"):
        if not isinstance(arg, list) or len(arg) != 2:
            ck.fail(f"{where}.{key}", f"expected [value, value] (JS {'===' if key == 'equals' else '=='})")
            return "False"
        a, b = (_value(scope, f"{where}.{key}[{i}]", v)[0] for i, v in enumerate(arg))
        return f"_r.{'strict_equals' if key == 'equals' else 'loose_equals'}({a}, {b})"
    # "in": [value, [constants]]
    if not isinstance(arg, list) or len(arg) != 2 or not isinstance(arg[1], list):
        ck.fail(f"{where}.in", "expected [value, [constant, ...]] (JS [..].includes(value))")
        return "False"
    subject = _value(scope, f"{where}.in[0]", arg[0])[0]
    return f"_r.includes({compact_literal(arg[1])}, {subject})"


def _entry_condition(scope: _Scope, where: str, entry: dict[str, Any], raw_value_py: str) -> str | None:
    """``when`` tests the raw value; ``if`` adds a general condition."""
    test = entry.get("when", "always")
    if test not in TESTS:
        scope.ck.fail(f"{where}.when", f"unknown test {test!r} (known: {', '.join(TESTS)})")
        return None
    parts = []
    if test != "always":
        fn = {"truthy": "truthy", "notNull": "not_null", "nonEmpty": "non_empty"}[test]
        parts.append(f"_r.{fn}({raw_value_py})")
    if "if" in entry:
        parts.append(_cond(scope, f"{where}.if", entry["if"]))
    return " and ".join(parts) or None


def _assignments(scope: _Scope, where: str, raw: Any, *, nested: bool) -> tuple[Assignment, ...]:
    ck = scope.ck
    out = []
    if not isinstance(raw, list):
        ck.fail(where, "expected a list")
        return ()
    for i, entry in enumerate(raw):
        ew = f"{where}[{i}]"
        target = "to" if nested else "name"
        if not ck.keys(entry, ew, (target, "value"), ("when", "if")):
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
        value_py, raw_py = _value(scope, f"{ew}.value", entry["value"])
        out.append(Assignment(path, value_py, _entry_condition(scope, ew, entry, raw_py)))
    return tuple(out)


# -- request recipes ----------------------------------------------------------------
def _path_choice(scope: _Scope, where: str, template: Any, condition: str | None,
                 extra: frozenset[str] = frozenset()) -> PathChoice | None:
    if not isinstance(template, str) or not (template.startswith("/") or template.startswith("{")):
        scope.ck.fail(where, "a path template starts with / or a {placeholder}")
        return None
    used = []
    for name in _PLACEHOLDER.findall(template):
        if name in scope.names:
            used.append(name)
        elif name not in extra and name not in scope.attributes and name not in CLIENT_ATTRIBUTES:
            scope.ck.fail(where, f"placeholder {{{name}}} is not a parameter, a namespace attribute or a client "
                          f"attribute ({', '.join(CLIENT_ATTRIBUTES)})")
    params_py = "{" + ", ".join(f"{n!r}: {n}" for n in sorted(set(used))) + "}"
    return PathChoice(condition, template, params_py)


def _variant_paths(scope: _Scope, where: str, variants: Any, base: Any,
                   extra: frozenset[str] = frozenset()) -> tuple[PathChoice, ...]:
    paths = []
    if variants is not None:
        if not isinstance(variants, list):
            scope.ck.fail(where.rsplit(".", 1)[0] + ".variants", "expected a list")
        else:
            for i, variant in enumerate(variants):
                vw = where.rsplit(".", 1)[0] + f".variants[{i}]"
                if scope.ck.keys(variant, vw, ("when", "path")):
                    choice = _path_choice(scope, f"{vw}.path", variant["path"],
                                          _cond(scope, f"{vw}.when", variant["when"]), extra)
                    if choice:
                        paths.append(choice)
    choice = _path_choice(scope, f"{where}.path", base, None, extra)
    if choice:
        paths.append(choice)
    return tuple(paths)


def _knob(scope: _Scope, where: str, raw: dict[str, Any], key: str, default: str) -> str:
    value = raw.get(key)
    if value is None:
        return default
    if isinstance(value, int) and not isinstance(value, bool):
        return repr(value)
    return _value(scope, f"{where}.{key}", value)[0]


def _request(scope: _Scope, where: str, raw: Any, variants: Any) -> Request | None:
    ck = scope.ck
    if not ck.keys(raw, where, ("method", "path"),
                   ("query", "body", "signed", "rawFile", "timeout", "retry", "signal", "guard", "guardResult",
                    "pathValues", "returnUrl")):
        return None
    method = raw["method"]
    if method not in METHODS:
        ck.fail(f"{where}.method", f"unknown HTTP method {method!r}")
    path_values = raw.get("pathValues", {})
    if not isinstance(path_values, dict):
        ck.fail(f"{where}.pathValues", "expected placeholder -> value")
        path_values = {}
    extra_py = {k: _value(scope, f"{where}.pathValues.{k}", v)[0] for k, v in sorted(path_values.items())}
    paths = tuple(
        PathChoice(p.condition_py, p.template, _with_extra(p.params_py, extra_py))
        for p in _variant_paths(scope, where, variants, raw["path"], frozenset(extra_py))
    )
    return_url = raw.get("returnUrl", False)
    if not isinstance(return_url, bool):
        ck.fail(f"{where}.returnUrl", "expected true or false")
    query = _assignments(scope, f"{where}.query", raw.get("query", []), nested=False)
    body = raw.get("body")
    body_kind, body_py, fields, parts = "none", None, (), ()
    if body is None:
        pass
    elif isinstance(body, dict) and "fields" in body:
        ck.keys(body, f"{where}.body", ("fields",))
        body_kind, fields = "fields", _assignments(scope, f"{where}.body.fields", body["fields"], nested=True)
    elif isinstance(body, dict) and "multipart" in body:
        ck.keys(body, f"{where}.body", ("multipart",))
        parts_list = []
        for i, part in enumerate(body["multipart"] if isinstance(body["multipart"], list) else []):
            pw = f"{where}.body.multipart[{i}]"
            if ck.keys(part, pw, ("name", "value"), ("filename",)):
                value_py, _ = _value(scope, f"{pw}.value", part["value"])
                filename_py = _value(scope, f"{pw}.filename", part["filename"])[0] if "filename" in part else None
                parts_list.append(FormPart(str(part["name"]), value_py, filename_py))
        body_kind, parts = "multipart", tuple(parts_list)
    else:
        body_kind = "param"
        body_py, _ = _value(scope, f"{where}.body", body)
    if method in ("GET", "HEAD") and body_kind not in ("none", "param"):
        ck.fail(f"{where}.body", f"{method} requests carry no body")
    signed = raw.get("signed", True)
    raw_file = raw.get("rawFile", False)
    for key, value in (("signed", signed), ("rawFile", raw_file)):
        if not isinstance(value, bool):
            ck.fail(f"{where}.{key}", "expected true or false")
    guard = _cond(scope, f"{where}.guard", raw["guard"]) if "guard" in raw else None
    guard_result = _guard_result(scope, where, raw)
    route = " | ".join(
        f"{method} {p.template}" + (" (when a variant condition holds)" if p.condition_py else "") for p in paths
    )
    return Request(
        method=method, paths=paths, query=query, body_kind=body_kind, body_py=body_py, body_fields=fields,
        form_parts=parts, signed=bool(signed), raw_file=bool(raw_file),
        timeout_py=_knob(scope, where, raw, "timeout", "0"), retry_py=_knob(scope, where, raw, "retry", "0"),
        signal_py=_knob(scope, where, raw, "signal", "None"), route=route, guard_py=guard,
        guard_result_py=guard_result, return_url=bool(return_url),
    )


def _with_extra(params_py: str, extra_py: dict[str, str]) -> str:
    if not extra_py:
        return params_py
    extra = ", ".join(f"{k!r}: {v}" for k, v in extra_py.items())
    return params_py[:-1] + (", " if params_py != "{}" else "") + extra + "}"


def _guard_result(scope: _Scope, where: str, raw: dict[str, Any]) -> str:
    """What a call resolves to when its guard fails: JS false, or another value (``guardResult``)."""
    if "guardResult" not in raw:
        return "False"
    if "guard" not in raw:
        scope.ck.fail(f"{where}.guardResult", "guardResult goes with guard")
    return _value(scope, f"{where}.guardResult", raw["guardResult"])[0]


def _graphql(scope: _Scope, where: str, raw: Any) -> GraphQL | None:
    ck = scope.ck
    if not ck.keys(raw, where, ("document", "variables"),
                   ("variants", "guard", "guardResult", "timeout", "signal", "retry", "paginate")):
        return None
    choices = []
    variants = raw.get("variants", [])
    if not isinstance(variants, list):
        ck.fail(f"{where}.variants", "expected a list")
        variants = []
    for i, variant in enumerate(variants):
        vw = f"{where}.variants[{i}]"
        if ck.keys(variant, vw, ("when", "document", "variables"), ("paginate", "why")):
            why = _why(ck, f"{vw}.why", variant["why"]) if "why" in variant else None
            choices.append(_gql_choice(scope, vw, variant, _cond(scope, f"{vw}.when", variant["when"]), why))
    choices.append(_gql_choice(scope, where, raw, None))
    guard = _cond(scope, f"{where}.guard", raw["guard"]) if "guard" in raw else None
    operation = re.match(r"\s*(query|mutation|subscription)?", raw["document"]).group(1) or "query"
    return GraphQL(
        choices=tuple(choices), guard_py=guard, guard_result_py=_guard_result(scope, where, raw), timeout_py=_knob(scope, where, raw, "timeout", "0"),
        signal_py=_knob(scope, where, raw, "signal", "None"), retry_py=_knob(scope, where, raw, "retry", "0"),
        operation=operation,
    )


def _gql_choice(scope: _Scope, where: str, raw: dict[str, Any], condition: str | None,
                why: str | None = None) -> GraphQLChoice:
    document = raw["document"]
    if not isinstance(document, str):
        scope.ck.fail(f"{where}.document", "expected the GraphQL document text")
        document = ""
    pieces: list[str] = []
    last = 0
    for m in _PLACEHOLDER.finditer(document):
        name = m.group(1)
        if name not in scope.names:
            # GraphQL itself has no {identifier} syntax, so every placeholder must be a parameter.
            scope.ck.fail(f"{where}.document", f"placeholder {{{name}}} is not a parameter")
            continue
        pieces.append(repr(document[last:m.start()]))
        pieces.append(f"_r.gql_join({name})")
        last = m.end()
    pieces.append(repr(document[last:]))
    document_py = " + ".join(p for p in pieces if p != "''") or "''"
    paginate = raw.get("paginate")
    paging = None
    if paginate is not None:
        pw = f"{where}.paginate"
        if scope.ck.keys(paginate, pw, ("limit", "maxPages", "list"), ("wrap",)):
            limit_py = _knob(scope, pw, paginate, "limit", "100")
            pages = paginate["maxPages"]
            if not isinstance(pages, int) or isinstance(pages, bool) or pages < 1:
                scope.ck.fail(f"{pw}.maxPages", "expected a whole number >= 1")
            if not isinstance(paginate["list"], str) or not _IDENT.match(paginate["list"]):
                scope.ck.fail(f"{pw}.list", "expected the name of the GraphQL list field (e.g. keypair_list)")
            wrap = paginate.get("wrap")
            if wrap is not None and not (isinstance(wrap, str) and _IDENT.match(wrap)):
                scope.ck.fail(f"{pw}.wrap", "expected the key of the returned object (e.g. keypairs)")
            paging = Paging(limit_py, int(pages) if isinstance(pages, int) else 1, str(paginate["list"]), wrap)
    var_scope = _Scope(scope.ck, scope.namespace, scope.attributes, scope.hooks, scope.used_hooks, scope.names,
                       paging=paging is not None)
    variables = _assignments(var_scope, f"{where}.variables", raw["variables"], nested=True)
    return GraphQLChoice(condition, document_py, variables, paging, why)


def _examples(scope: _Scope, where: str, raw: Any, params: tuple[Param, ...]) -> tuple[Example, ...]:
    ck = scope.ck
    out = []
    if not isinstance(raw, list):
        ck.fail(where, "expected a list of examples")
        return ()
    for i, entry in enumerate(raw):
        ew = f"{where}[{i}]"
        if not ck.keys(entry, ew, ("args",), ("state", "note", "reply")):
            continue
        args = entry["args"]
        if not isinstance(args, list):
            ck.fail(f"{ew}.args", "expected the list of arguments (JSON)")
            continue
        required = sum(1 for p in params if not p.has_default)
        if not required <= len(args) <= len(params):
            ck.fail(f"{ew}.args", f"takes {required} to {len(params)} arguments, got {len(args)}")
        state = entry.get("state", {})
        if ck.keys(state, f"{ew}.state", (), EXAMPLE_STATE) and "clientState" in state:
            ck.keys(state["clientState"], f"{ew}.state.clientState", (), CLIENT_STATE)
        out.append(Example(json.dumps(args, sort_keys=True), json.dumps(state, sort_keys=True)))
    return tuple(out)


def _requirements(scope: _Scope, where: str, raw: Any) -> list[str]:
    """Preconditions: where JS throws before sending, the port raises a ConfigurationError."""
    out = []
    if not isinstance(raw, list):
        scope.ck.fail(where, "expected a list of {\"if\": COND, \"message\": text}")
        return out
    for i, entry in enumerate(raw):
        ew = f"{where}[{i}]"
        if scope.ck.keys(entry, ew, ("if", "message")):
            if not isinstance(entry["message"], str) or not entry["message"].strip():
                scope.ck.fail(f"{ew}.message", "say what is wrong and what to do")
            cond = _cond(scope, f"{ew}.if", entry["if"])
            out.append(f"if not ({cond}):\n    raise _r.ConfigurationError({entry['message']!r})")
    return out


def _member(scope: _Scope, where: str, name: str, raw: Any, table: dict[str, Any]) -> Member | None:
    ck = scope.ck
    if not _IDENT.match(name):
        ck.fail(where, "member names are identifiers")
        return None
    if not isinstance(raw, dict) or raw.get("kind") not in KINDS:
        hint = " (a stub from generator.sync: complete it by hand)" if isinstance(raw, dict) and raw.get(
            "kind") == "stub" else ""
        ck.fail(f"{where}.kind", f"expected one of {', '.join(KINDS)}{hint}")
        return None
    kind = raw["kind"]
    optional_by_kind = {
        "request": ("request", "variants", "examples", "require"),
        "graphql": ("graphql", "examples", "require"),
        "alias": ("target", "args", "examples"),
        "constant": ("value", "examples"),
        "hook": ("hook", "examples", "route"),
        "runtime": ("examples",),
        "property": ("attribute", "setterHook"),
    }
    ck.keys(raw, where, ("kind", "doc", "params"), optional_by_kind[kind])
    doc = raw.get("doc", "")
    if not isinstance(doc, str) or not doc.strip():
        ck.fail(f"{where}.doc", "every member needs its doc text")
        doc = ""
    params, prelude, notes = _params(scope, f"{where}.params", raw.get("params", []))
    scope = _Scope(ck, scope.namespace, scope.attributes, scope.hooks, scope.used_hooks,
                   frozenset(p.name for p in params))
    examples = _examples(scope, f"{where}.examples", raw.get("examples", []), params)
    prelude += _requirements(scope, f"{where}.require", raw.get("require", []))
    common = dict(name=name, kind=kind, doc=doc, params=params, prelude=tuple(prelude), examples=examples,
                  namespace=scope.namespace, version_fixes=tuple(notes))
    if kind == "request":
        if "request" not in raw:
            ck.fail(where, "a request member needs a request recipe")
            return None
        request = _request(scope, f"{where}.request", raw["request"], raw.get("variants"))
        if request is None:
            return None
        return Member(**common, request=request, summary_route=request.route)
    if kind == "graphql":
        if "graphql" not in raw:
            ck.fail(where, "a graphql member needs a graphql recipe")
            return None
        gql = _graphql(scope, f"{where}.graphql", raw["graphql"])
        if gql is None:
            return None
        common["version_fixes"] += tuple(f"the GraphQL document: {c.why}" for c in gql.choices if c.why)
        return Member(**common, graphql=gql, summary_route=f"GraphQL {gql.operation} (POST /admin/graphql)")
    if kind == "alias":
        target = raw.get("target")
        if target not in table or target == name:
            ck.fail(f"{where}.target", f"alias target {target!r} is not another member")
            return None
        args = raw.get("args", [])
        args_py = [_value(scope, f"{where}.args[{i}]", a)[0] for i, a in enumerate(args if isinstance(args, list)
                                                                                    else [])]
        return Member(**common, call_py=f"self.{target}({', '.join(args_py)})", summary_route=f"alias of {target}")
    if kind == "constant":
        if "value" not in raw:
            ck.fail(where, "a constant member needs its value (JSON)")
            return None
        return Member(**common, call_py=compact_literal(raw["value"]),
                      summary_route=f"no request: always {json.dumps(raw['value'])}")
    if kind == "hook":
        default_hook = name if scope.namespace is None else f"{scope.namespace}.{name}"
        hook = raw.get("hook", default_hook)
        if hook not in scope.hooks:
            ck.fail(f"{where}.hook", f"hook {hook!r} is not declared in the top-level hooks table")
            return None
        scope.used_hooks.add(hook)
        module, _, function = hook.rpartition(".")
        target = f"_hooks.{function}" if not module else f"_hooks_{module}.{function}"
        args = ", ".join(["self"] + [p.name for p in params])
        route = raw.get("route")
        summary = f"{route} (hand-written hook)" if route else "hand-written hook"
        return Member(**common, call_py=f"{target}({args})", summary_route=summary,
                      hook_module=module or None)
    if kind == "property":
        attribute = raw.get("attribute")
        if not isinstance(attribute, str) or not _IDENT.match(attribute):
            ck.fail(f"{where}.attribute", "a property names the attribute it reads")
            return None
        setter = raw.get("setterHook")
        setter_py = None
        if setter is not None:
            if setter not in scope.hooks:
                ck.fail(f"{where}.setterHook", f"hook {setter!r} is not declared in the top-level hooks table")
            else:
                scope.used_hooks.add(setter)
                setter_py = f"_hooks.{setter}(self, value)"
        if params:
            ck.fail(f"{where}.params", "properties take no parameters")
        return Member(**{**common, "params": ()}, attribute=attribute, setter_py=setter_py, summary_route="property")
    return Member(**common, summary_route="runtime (hand-written)")
