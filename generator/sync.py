"""``python -m generator.sync [--js-version X] [--spec FILE] [--cache DIR] [--write-stubs]``

Compares ``api_spec.json`` with the live surface of the JS SDK
``backend.ai-client@X``: the members of ``Client`` and of its namespace
objects (``client.vfolder``, ``client.keypair``, ...), their kinds (method,
getter, getter+setter), parameter names, order and defaults, and the
namespaces' class names and initial attributes (``spec["namespaces"][ATTR]["attributes"]``,
absent meaning none, against the namespace object's own properties but ``client``).

1. Installs ``backend.ai-client@X`` with npm into ``.cache/js-sdk/X/`` (or
   ``--cache DIR``) unless it is already there.
2. Reads the surface under Node (``generator/js_surface.js``) and parses every
   method's parameters from its source text (``fn.toString()``): a default is
   kept as JSON when it is a literal (string, number, boolean, null, array,
   object) and as ``{"js": "<source text>"}`` otherwise (``undefined``,
   ``new DOMException(...)``).
3. Prints the drift grouped as added in JS / removed from JS / changed, or
   ``no drift against backend.ai-client@X``.

``--write-stubs`` adds the members JS has and the spec lacks to the spec, as
``"kind": "stub"`` entries with the JS parameters and a TODO doc (a namespace
the spec lacks gets its class, TODO doc and attributes), for a person to
complete (the generator refuses stubs). Nothing else in the spec changes.

Exit status: 0 no drift, 1 drift, 2 error (npm or node missing, version not
published, unreadable spec).

Matching rules (spec param -> JS param):

* ``{"name": n}``: JS declares no default;
* ``{"name": n, "optional": true}``: JS declares no default, or ``= undefined``
  (the same thing in JS);
* ``{"name": n, "default": V}``: JS declares a default equal to V as JSON
  (``false`` is not ``0``; ``1`` equals ``1.0``); a non-literal JS default
  only equals the spec default ``{"js": "<same source text>"}``.

Spec kind ``property`` is a JS getter (with ``setterHook``: getter+setter);
``stub`` entries carry the JS kind in ``jsKind`` when it is not ``method``;
every other kind is a JS method.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "backend.ai-client"
ENTRY_FILE = "backend.ai-client-node.js"
SURFACE_SCRIPT = Path(__file__).resolve().parent / "js_surface.js"
DEFAULT_SPEC = ROOT / "api_spec.json"
DEFAULT_CACHE_ROOT = ROOT / ".cache" / "js-sdk"
NPM_TIMEOUT = 300.0
NODE_TIMEOUT = 60.0
CLIENT = "client"  # the scope of Client members; namespace scopes are their attribute names
STUB_DOC = "TODO: describe; added by generator.sync from {package}@{version}"

__all__ = [
    "CLIENT",
    "Finding",
    "JSExpr",
    "JSParam",
    "Report",
    "SyncError",
    "compare",
    "default_cache",
    "ensure_installed",
    "format_report",
    "install_sdk",
    "main",
    "parse_literal",
    "parse_params",
    "read_surface",
    "surface_from_raw",
    "write_stubs",
]


class SyncError(Exception):
    """A failure that ends the run with exit status 2; the message is one line."""


# --------------------------------------------------------------------------
# JS parameter lists
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class JSExpr:
    """A default that is not a JSON literal, kept as its JS source text."""

    source: str

    def to_json(self) -> dict[str, str]:
        return {"js": self.source}


@dataclass(frozen=True)
class JSParam:
    name: str
    has_default: bool = False
    default: Any = None  # a JSON value or a JSExpr
    default_source: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name}
        if self.has_default:
            out["default"] = self.default.to_json() if isinstance(self.default, JSExpr) else self.default
        return out


@dataclass(frozen=True)
class _Tok:
    kind: str  # ident, num, str, template, regex, punct
    text: str
    start: int
    end: int


_PUNCTUATORS = sorted(
    """>>>= ... === !== **= <<= >>= >>> &&= ||= ??= => == != <= >= && || ?? ?. ++ -- += -= *= /= %= &= |= ^= ** << >>
    { } ( ) [ ] ; , < > + - * / % & | ^ ! ~ ? : = . @ #""".split(),
    key=len,
    reverse=True,
)
# After these tokens a `/` starts a regular expression, not a division.
_REGEX_AFTER_IDENT = {"return", "typeof", "instanceof", "in", "of", "new", "delete", "void", "throw", "case", "do",
                      "else", "yield", "await"}
_NUM = re.compile(
    r"0[xX][0-9a-fA-F_]+n?|0[oO][0-7_]+n?|0[bB][01_]+n?|(?:\d[\d_]*\.?[\d_]*|\.\d[\d_]*)(?:[eE][+-]?\d[\d_]*)?n?"
)


def _is_ident_start(ch: str) -> bool:
    return ch == "_" or ch == "$" or ch == "\\" or ch.isalpha() or (ord(ch) > 127 and ch.isidentifier())


def _is_ident_part(ch: str) -> bool:
    return _is_ident_start(ch) or ch.isdigit() or ch in "\u200c\u200d" or (ord(ch) > 127 and ("a" + ch).isidentifier())


def _tokenize(src: str) -> list[_Tok]:
    return list(_tokens(src))


def _tokens(src: str) -> Iterator[_Tok]:
    """Enough of a JS tokenizer to find and split a parameter list (lazy: the body is never read)."""
    toks: list[_Tok] = []  # what was yielded so far (for the regex-or-division decision)
    i, n = 0, len(src)
    stack: list[str] = []  # open brackets; "`" marks a template substitution's brace

    def regex_allowed() -> bool:
        if not toks:
            return True
        last = toks[-1]
        if last.kind in ("num", "str", "template", "regex"):
            return False
        if last.kind == "ident":
            return last.text in _REGEX_AFTER_IDENT
        return last.text not in (")", "]", "}")

    def read_template(i: int) -> int:
        """From just after ` or }: the index after the closing ` or the ${."""
        while i < n:
            ch = src[i]
            if ch == "\\":
                i += 2
            elif ch == "`":
                return i + 1
            elif ch == "$" and src.startswith("${", i):
                stack.append("`")
                return i + 2
            else:
                i += 1
        raise ValueError("unterminated template literal")

    while i < n:
        ch = src[i]
        if ch.isspace():
            i += 1
        elif src.startswith("//", i):
            j = src.find("\n", i)
            i = n if j < 0 else j + 1
        elif src.startswith("/*", i):
            j = src.find("*/", i + 2)
            if j < 0:
                raise ValueError("unterminated comment")
            i = j + 2
        elif ch in "'\"":
            j = i + 1
            while j < n and src[j] != ch:
                if src[j] == "\\":
                    j += 1
                elif src[j] == "\n":
                    raise ValueError("unterminated string")
                j += 1
            if j >= n:
                raise ValueError("unterminated string")
            toks.append(_Tok("str", src[i:j + 1], i, j + 1))
            yield toks[-1]
            i = j + 1
        elif ch == "`":
            j = read_template(i + 1)
            toks.append(_Tok("template", src[i:j], i, j))
            yield toks[-1]
            i = j
        elif ch == "}" and stack and stack[-1] == "`":
            stack.pop()
            j = read_template(i + 1)
            toks.append(_Tok("template", src[i:j], i, j))
            yield toks[-1]
            i = j
        elif ch.isdigit() or (ch == "." and i + 1 < n and src[i + 1].isdigit()):
            m = _NUM.match(src, i)
            assert m is not None
            toks.append(_Tok("num", m.group(), i, m.end()))
            yield toks[-1]
            i = m.end()
        elif _is_ident_start(ch) or (ch == "#" and i + 1 < n and _is_ident_start(src[i + 1])):
            j = i + 1
            while j < n and _is_ident_part(src[j]):
                j += 2 if src[j] == "\\" else 1
            toks.append(_Tok("ident", src[i:j], i, j))
            yield toks[-1]
            i = j
        elif ch == "/" and regex_allowed():
            j, in_class = i + 1, False
            while j < n:
                c = src[j]
                if c == "\\":
                    j += 2
                    continue
                if c == "\n":
                    raise ValueError("unterminated regular expression")
                if c == "[":
                    in_class = True
                elif c == "]":
                    in_class = False
                elif c == "/" and not in_class:
                    break
                j += 1
            j += 1
            while j < n and _is_ident_part(src[j]):
                j += 1
            toks.append(_Tok("regex", src[i:j], i, j))
            yield toks[-1]
            i = j
        else:
            for p in _PUNCTUATORS:
                if src.startswith(p, i):
                    break
            else:
                raise ValueError(f"unexpected character {ch!r} at offset {i}")
            if p in ("(", "[", "{"):
                stack.append(p)
            elif p in (")", "]", "}") and stack:
                stack.pop()
            toks.append(_Tok("punct", p, i, i + len(p)))
            yield toks[-1]
            i += len(p)


_OPEN = {"(": ")", "[": "]", "{": "}"}


def _param_tokens(source: str) -> list[_Tok]:
    """The tokens between the parentheses of the (first) parameter list; reads no further."""
    stream = _tokens(source)
    toks: list[_Tok] = []

    def at(i: int) -> _Tok | None:
        while len(toks) <= i:
            tok = next(stream, None)
            if tok is None:
                return None
            toks.append(tok)
        return toks[i]

    k = 0
    first, second = at(0), at(1)
    if first is not None and first.text == "async" and second is not None and second.text not in ("(", "=>"):
        k = 1
    head, arrow = at(k), at(k + 1)
    if head is not None and arrow is not None and head.kind == "ident" and arrow.text == "=>":
        return [head]  # `x => ...`: a single parameter without parentheses
    depth = 0
    i = k
    while (t := at(i)) is not None:
        if t.kind == "punct" and t.text == "[":
            depth += 1
        elif t.kind == "punct" and t.text == "]":
            depth -= 1
        elif t.kind == "punct" and t.text == "(" and depth == 0:
            level, j = 0, i
            while (u := at(j)) is not None:
                if u.kind == "punct" and u.text in ("(", "[", "{"):
                    level += 1
                elif u.kind == "punct" and u.text in (")", "]", "}"):
                    level -= 1
                    if level == 0:
                        return toks[i + 1:j]
                j += 1
            raise ValueError("unbalanced parameter list")
        elif t.kind == "punct" and t.text == "{":
            break  # reached a body before any parameter list
        i += 1
    raise ValueError("no parameter list found")


def _split_top(toks: list[_Tok], sep: str) -> list[list[_Tok]]:
    parts: list[list[_Tok]] = [[]]
    depth = 0
    for t in toks:
        if t.kind == "punct" and t.text in ("(", "[", "{"):
            depth += 1
        elif t.kind == "punct" and t.text in (")", "]", "}"):
            depth -= 1
        if depth == 0 and t.kind == "punct" and t.text == sep:
            parts.append([])
        else:
            parts[-1].append(t)
    return parts


def parse_params(source: str) -> list[JSParam]:
    """The parameters of a JS function from its source text (``fn.toString()``).

    Handles methods (``async name(a, b = 1) {``), getters/setters, ``function``
    expressions, arrows, comments, multi-line lists, destructuring (the pattern's
    source text is the name) and rest parameters (``...args``).
    """
    if "[native code]" in source:
        raise ValueError("a native function has no parameter source")
    ptoks = _param_tokens(source)
    params: list[JSParam] = []
    pieces = _split_top(ptoks, ",")
    if pieces and not pieces[-1]:
        pieces.pop()  # trailing comma
    for piece in pieces:
        if not piece:
            raise ValueError("empty parameter")
        eq = next(
            (i for i, t in enumerate(piece) if t.kind == "punct" and t.text == "=" and _depth_before(piece, i) == 0),
            None,
        )
        name_toks = piece if eq is None else piece[:eq]
        if not name_toks:
            raise ValueError("parameter without a name")
        name = source[name_toks[0].start:name_toks[-1].end]
        if eq is None:
            params.append(JSParam(name))
            continue
        default_toks = piece[eq + 1:]
        if not default_toks:
            raise ValueError(f"parameter {name!r} has '=' but no default")
        text = source[default_toks[0].start:default_toks[-1].end]
        params.append(JSParam(name, True, _literal_or_expr(default_toks, text), text))
    return params


def _depth_before(toks: list[_Tok], index: int) -> int:
    depth = 0
    for t in toks[:index]:
        if t.kind == "punct" and t.text in ("(", "[", "{"):
            depth += 1
        elif t.kind == "punct" and t.text in (")", "]", "}"):
            depth -= 1
    return depth


class _NotLiteral(Exception):
    pass


def parse_literal(text: str) -> Any:
    """A JS default expression as JSON when it is a literal, else ``JSExpr(text)``."""
    text = text.strip()
    try:
        toks = _tokenize(text)
    except ValueError:
        return JSExpr(text)
    return _literal_or_expr(toks, text)


def _literal_or_expr(toks: list[_Tok], text: str) -> Any:
    try:
        value, end = _literal(toks, 0)
        if end != len(toks):
            raise _NotLiteral
        return value
    except (_NotLiteral, IndexError):
        return JSExpr(text)


def _literal(toks: list[_Tok], i: int) -> tuple[Any, int]:
    t = toks[i]
    if t.kind == "str":
        return _js_string(t.text[1:-1]), i + 1
    if t.kind == "template":
        if not t.text.endswith("`") or len(t.text) < 2 or not t.text.startswith("`"):
            raise _NotLiteral  # has substitutions
        return _js_string(t.text[1:-1].replace("\r\n", "\n").replace("\r", "\n"), template=True), i + 1
    if t.kind == "num":
        return _js_number(t.text), i + 1
    if t.kind == "punct" and t.text in ("-", "+") and toks[i + 1].kind == "num":
        value = _js_number(toks[i + 1].text)
        if t.text == "-":
            if value == 0:
                raise _NotLiteral  # -0 has no JSON form
            value = -value
        return value, i + 2
    if t.kind == "ident" and t.text in ("true", "false", "null"):
        return {"true": True, "false": False, "null": None}[t.text], i + 1
    if t.kind == "punct" and t.text == "[":
        items: list[Any] = []
        i += 1
        while True:
            if toks[i].text == "]" and toks[i].kind == "punct":
                return items, i + 1
            if toks[i].kind == "punct" and toks[i].text in (",", "..."):
                raise _NotLiteral  # hole or spread
            value, i = _literal(toks, i)
            items.append(value)
            if toks[i].kind == "punct" and toks[i].text == ",":
                i += 1
            elif not (toks[i].kind == "punct" and toks[i].text == "]"):
                raise _NotLiteral
    if t.kind == "punct" and t.text == "{":
        obj: dict[str, Any] = {}
        i += 1
        while True:
            k = toks[i]
            if k.kind == "punct" and k.text == "}":
                return obj, i + 1
            if k.kind == "str":
                key = _js_string(k.text[1:-1])
            elif k.kind == "ident" and not k.text.startswith("#"):
                key = k.text
            elif k.kind == "num":
                key = _js_number_key(k.text)
            else:
                raise _NotLiteral  # computed key, spread
            if not (toks[i + 1].kind == "punct" and toks[i + 1].text == ":"):
                raise _NotLiteral  # shorthand or method
            if key == "__proto__":
                raise _NotLiteral
            value, i = _literal(toks, i + 2)
            obj[key] = value
            if toks[i].kind == "punct" and toks[i].text == ",":
                i += 1
            elif not (toks[i].kind == "punct" and toks[i].text == "}"):
                raise _NotLiteral
    raise _NotLiteral


_MAX_SAFE = 2**53


def _js_number(text: str) -> int | float:
    if text.endswith("n"):
        raise _NotLiteral  # BigInt
    text = text.replace("_", "")
    low = text.lower()
    if low.startswith(("0x", "0o", "0b")):
        value: int | float = int(text[2:], {"x": 16, "o": 8, "b": 2}[low[1]])
        return value if value <= _MAX_SAFE else float(value)
    if len(text) > 1 and text[0] == "0" and text[1].isdigit():
        raise _NotLiteral  # legacy octal
    number = float(text)
    if number != number or number in (float("inf"), float("-inf")):
        raise _NotLiteral
    if number.is_integer() and abs(number) <= _MAX_SAFE:
        return int(number)
    return number


def _js_number_key(text: str) -> str:
    value = _js_number(text)
    if isinstance(value, float):
        raise _NotLiteral  # JS's Number::toString for keys; not worth mimicking
    return str(value)


_SIMPLE_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v"}


def _js_string(body: str, template: bool = False) -> str:
    out: list[str] = []
    i, n = 0, len(body)
    while i < n:
        ch = body[i]
        if ch != "\\":
            out.append(ch)
            i += 1
            continue
        i += 1
        e = body[i]
        if e in _SIMPLE_ESCAPES:
            out.append(_SIMPLE_ESCAPES[e])
            i += 1
        elif e == "0" and not (i + 1 < n and body[i + 1].isdigit()):
            out.append("\0")
            i += 1
        elif e.isdigit():
            raise _NotLiteral  # legacy octal escapes (\1, \01)
        elif e == "x":
            out.append(chr(int(body[i + 1:i + 3], 16)))
            i += 3
        elif e == "u":
            if body[i + 1] == "{":
                j = body.index("}", i)
                out.append(chr(int(body[i + 2:j], 16)))
                i = j + 1
            else:
                out.append(chr(int(body[i + 1:i + 5], 16)))
                i += 5
        elif e == "\r":
            i += 2 if body[i + 1:i + 2] == "\n" else 1  # line continuation
        elif e in "\n\u2028\u2029":
            i += 1
        else:
            out.append(e)
            i += 1
    text = "".join(out)
    try:  # join UTF-16 surrogate pairs written as \uD83D\uDE00; a lone surrogate is no JSON string
        return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le")
    except UnicodeDecodeError:
        raise _NotLiteral from None


# --------------------------------------------------------------------------
# Surfaces
# --------------------------------------------------------------------------

METHOD = "method"
GETTER_KINDS = ("getter", "getter+setter", "setter")


@dataclass(frozen=True)
class JSMember:
    kind: str  # method, getter, getter+setter, setter, value
    params: tuple[JSParam, ...] = ()


@dataclass
class Scope:
    cls: str
    members: dict[str, JSMember] = field(default_factory=dict)
    attributes: dict[str, Any] | None = None  # namespaces: own properties but `client` (JSON or JSExpr)


@dataclass
class Surface:
    client: Scope
    namespaces: dict[str, Scope] = field(default_factory=dict)


def surface_from_raw(raw: dict[str, Any]) -> Surface:
    """Build a Surface from the JSON js_surface.js prints (parses every method source)."""

    def scope(entry: dict[str, Any], where: str) -> Scope:
        members = {}
        attributes = None
        if "attributes" in entry:
            attributes = {k: JSExpr(v["$js"]) if isinstance(v, dict) and set(v) == {"$js"} else v
                          for k, v in entry["attributes"].items()}
        for name, m in entry["members"].items():
            if m["kind"] == METHOD:
                try:
                    params = tuple(parse_params(m["source"]))
                except ValueError as exc:
                    raise SyncError(f"cannot read the parameters of {where}.{name}: {exc}") from None
                members[name] = JSMember(METHOD, params)
            else:
                members[name] = JSMember(m["kind"])
        return Scope(entry["class"], members, attributes)

    return Surface(
        scope(raw["client"], CLIENT),
        {attr: scope(entry, f"{CLIENT}.{attr}") for attr, entry in raw.get("namespaces", {}).items()},
    )


def default_cache(version: str) -> Path:
    return DEFAULT_CACHE_ROOT / version


def _installed_version(cache: Path) -> str | None:
    pkg = cache / "node_modules" / PACKAGE
    try:
        meta = json.loads((pkg / "package.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not (pkg / ENTRY_FILE).is_file():
        return None
    return meta.get("version")


def _npm_error(output: str) -> str:
    code = None
    lines = []
    for line in output.splitlines():
        m = re.match(r"npm (?:error|ERR!)\s*(.*)$", line.strip())
        if not m or not m.group(1):
            continue
        text = m.group(1)
        if text.startswith("code "):
            code = code or text[5:].strip()
        elif not text.startswith(("A complete log", "In most cases", "notarget In most cases")):
            lines.append(re.sub(r"^(notarget|404|enoent|network)\s+", "", text))
    first = lines[0] if lines else (output.strip().splitlines() or ["no output"])[-1]
    return first + (f" (npm error {code})" if code else "")


def ensure_installed(version: str, cache: Path | None = None, *, timeout: float = NPM_TIMEOUT,
                     log: Any = None) -> Path:
    """Install ``backend.ai-client@version`` into ``cache`` unless it is there; return the SDK entry file.

    The install goes to a temporary sibling folder first and is renamed into
    place when complete, so an interrupted install never looks finished.
    """
    cache = Path(cache) if cache is not None else default_cache(version)
    entry = cache / "node_modules" / PACKAGE / ENTRY_FILE
    if _installed_version(cache) is not None:
        return entry
    install_sdk(version, cache, timeout=timeout, log=log)
    if not entry.is_file():
        raise SyncError(f"{PACKAGE}@{version} installed into {cache} has no {ENTRY_FILE}")
    return entry


def install_sdk(version: str, cache: Path, *, timeout: float = NPM_TIMEOUT, log: Any = None) -> None:
    npm = shutil.which("npm")
    if npm is None:
        raise SyncError(f"npm is not on PATH (needed to install {PACKAGE}@{version}); install Node.js 20+ with npm")
    cache.parent.mkdir(parents=True, exist_ok=True)
    if log is not None:
        print(f"generator.sync: installing {PACKAGE}@{version} into {cache} ...", file=log, flush=True)
    tmp = cache.parent / f".{cache.name}.tmp-{os.getpid()}-{os.urandom(4).hex()}"
    tmp.mkdir()  # not mkdtemp: the folder gets the umask's permissions, as the renamed cache should
    try:
        cmd = [npm, "install", "--no-audit", "--no-fund", "--prefix", str(tmp), f"{PACKAGE}@{version}"]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                                  stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            raise SyncError(f"npm install {PACKAGE}@{version} did not finish within {timeout:g} s") from None
        except OSError as exc:
            raise SyncError(f"cannot run npm: {exc}") from None
        if proc.returncode != 0:
            raise SyncError(f"npm install {PACKAGE}@{version} failed: {_npm_error(proc.stderr + proc.stdout)}")
        if _installed_version(tmp) is None:
            raise SyncError(f"npm install {PACKAGE}@{version} left no {PACKAGE}/{ENTRY_FILE} behind")
        if _installed_version(cache) is None:
            if cache.exists():
                shutil.rmtree(cache)  # a broken leftover
            try:
                os.replace(tmp, cache)
            except OSError:
                if _installed_version(cache) is None:  # lost no race: a real failure
                    raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def read_raw_surface(entry: Path, *, timeout: float = NODE_TIMEOUT) -> dict[str, Any]:
    node = shutil.which("node")
    if node is None:
        raise SyncError("node is not on PATH (needed to read the JS SDK surface); install Node.js 20+")
    try:
        proc = subprocess.run([node, str(SURFACE_SCRIPT), str(entry)], capture_output=True, text=True,
                              timeout=timeout, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise SyncError(f"reading the JS surface under Node did not finish within {timeout:g} s") from None
    except OSError as exc:
        raise SyncError(f"cannot run node: {exc}") from None
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise SyncError(f"reading the JS surface under Node failed: {last}")
    try:
        return json.loads(proc.stdout)
    except ValueError:
        raise SyncError("the JS surface script printed no JSON") from None


def read_surface(entry: Path) -> Surface:
    return surface_from_raw(read_raw_surface(entry))


# --------------------------------------------------------------------------
# Comparison
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    category: str  # added, removed, changed
    scope: str  # CLIENT or a namespace attribute
    member: str | None  # None: the namespace itself
    detail: str = ""
    js: JSMember | None = None  # added members: what JS has
    js_class: str | None = None  # added/removed namespaces: the class

    @property
    def where(self) -> str:
        if self.scope == CLIENT:
            return f"client.{self.member}"
        return f"client.{self.scope}" + (f".{self.member}" if self.member else "")


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)
    stubs: int = 0  # stub entries still in the spec

    def by(self, category: str) -> list[Finding]:
        return [f for f in self.findings if f.category == category]

    @property
    def added(self) -> list[Finding]:
        return self.by("added")

    @property
    def removed(self) -> list[Finding]:
        return self.by("removed")

    @property
    def changed(self) -> list[Finding]:
        return self.by("changed")

    @property
    def no_drift(self) -> bool:
        return not self.findings

    def only(self, scope: str) -> "Report":
        return Report([f for f in self.findings if f.scope == scope], self.stubs)


def json_equal(a: Any, b: Any) -> bool:
    """Equality of JSON values as JS sees them: booleans are not numbers, 1 == 1.0."""
    if isinstance(a, JSExpr) or isinstance(b, JSExpr):
        return isinstance(a, JSExpr) and isinstance(b, JSExpr) and a.source == b.source
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, (int, float)) or isinstance(b, (int, float)):
        return isinstance(a, (int, float)) and isinstance(b, (int, float)) and a == b
    if isinstance(a, dict) or isinstance(b, dict):
        return (isinstance(a, dict) and isinstance(b, dict) and a.keys() == b.keys()
                and all(json_equal(a[k], b[k]) for k in a))
    if isinstance(a, list) or isinstance(b, list):
        return (isinstance(a, list) and isinstance(b, list) and len(a) == len(b)
                and all(json_equal(x, y) for x, y in zip(a, b)))
    return type(a) is type(b) and a == b


def _spec_default(value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {"js"} and isinstance(value["js"], str):
        return JSExpr(value["js"])
    return value


def show_value(value: Any) -> str:
    if isinstance(value, JSExpr):
        return value.source
    return json.dumps(value, ensure_ascii=False)


def _expected_js_kind(entry: dict[str, Any]) -> str:
    kind = entry.get("kind")
    if kind == "property":
        return "getter+setter" if entry.get("setterHook") else "getter"
    if kind == "stub":
        return entry.get("jsKind", METHOD)
    return METHOD


def _kind_name(js_kind: str) -> str:
    return "a method" if js_kind == METHOD else f"a {js_kind}" if js_kind != "value" else "a plain value"


def _compare_params(scope: str, name: str, js: tuple[JSParam, ...], spec_params: list[Any]) -> list[Finding]:
    out: list[Finding] = []
    spec_params = [p for p in spec_params if isinstance(p, dict)]
    js_names = [p.name for p in js]
    spec_names = [p.get("name") for p in spec_params]
    if js_names != spec_names:
        if sorted(js_names) == sorted(map(str, spec_names)):
            what = "parameter order"
        else:
            gone = [n for n in spec_names if n not in js_names]
            new = [n for n in js_names if n not in spec_names]
            bits = [f"JS adds {', '.join(new)}"] if new else []
            bits += [f"JS lacks {', '.join(map(str, gone))}"] if gone else []
            what = "parameters" + (f" ({'; '.join(bits)})" if bits else "")
        out.append(Finding("changed", scope, name,
                           f"{what}: ({', '.join(js_names)}) in JS, ({', '.join(map(str, spec_names))}) in the spec"))
        return out
    for jp, sp in zip(js, spec_params):
        label = f"parameter {jp.name!r}"
        optional = sp.get("optional") is True
        if "default" in sp:
            want = _spec_default(sp["default"])
            if not jp.has_default:
                out.append(Finding("changed", scope, name,
                                   f"{label}: no default in JS, default {show_value(want)} in the spec"))
            elif not json_equal(jp.default, want):
                out.append(Finding("changed", scope, name,
                                   f"{label}: default {show_value(jp.default)} in JS, {show_value(want)} in the spec"))
        elif jp.has_default:
            if optional and jp.default == JSExpr("undefined"):
                continue
            spec_says = "optional (no default)" if optional else "no default"
            hint = " (mark it optional)" if jp.default == JSExpr("undefined") else ""
            out.append(Finding("changed", scope, name,
                               f"{label}: default {show_value(jp.default)} in JS, {spec_says} in the spec{hint}"))
    return out


def _compare_scope(scope: str, js: Scope, spec_members: dict[str, Any]) -> list[Finding]:
    out: list[Finding] = []
    for name, member in js.members.items():
        if name not in spec_members:
            out.append(Finding("added", scope, name, js=member))
            continue
        entry = spec_members[name] if isinstance(spec_members[name], dict) else {}
        want = _expected_js_kind(entry)
        if member.kind != want:
            out.append(Finding("changed", scope, name,
                               f"{_kind_name(member.kind)} in JS, {_kind_name(want)} in the spec "
                               f"(kind {entry.get('kind')!r})"))
            continue
        if member.kind == METHOD:
            out.extend(_compare_params(scope, name, member.params, entry.get("params") or []))
    for name in spec_members:
        if name not in js.members:
            out.append(Finding("removed", scope, name, detail=f"kind {spec_members[name].get('kind')!r}"
                               if isinstance(spec_members[name], dict) else ""))
    return out


def _compare_attributes(scope: str, js: dict[str, Any], spec: dict[str, Any]) -> list[Finding]:
    """Spec ``attributes`` (absent: none) against the namespace object's own properties after construction."""
    out = []
    for name in list(js) + [n for n in spec if n not in js]:
        label = f"attribute {name!r}"
        if name not in spec:
            out.append(Finding("changed", scope, None, f"{label}: {show_value(js[name])} in JS, missing in the spec"))
        elif name not in js:
            out.append(Finding("changed", scope, None, f"{label}: in the spec ({show_value(spec[name])}), not in JS"))
        elif not json_equal(js[name], _spec_default(spec[name])):
            out.append(Finding("changed", scope, None,
                               f"{label}: {show_value(js[name])} in JS, {show_value(spec[name])} in the spec"))
    return out


def spec_scopes(spec: dict[str, Any]) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """(client members, {attr: namespace entry}) of a spec; absent parts are empty."""
    client = (spec.get("client") or {}).get("members") or {}
    namespaces = spec.get("namespaces") or {}
    return client, namespaces


def compare(surface: Surface, spec: dict[str, Any]) -> Report:
    client_members, namespaces = spec_scopes(spec)
    findings = _compare_scope(CLIENT, surface.client, client_members)
    for attr, js_ns in surface.namespaces.items():
        entry = namespaces.get(attr)
        if not isinstance(entry, dict):
            findings.append(Finding("added", attr, None, js_class=js_ns.cls))
            findings.extend(Finding("added", attr, n, js=m) for n, m in js_ns.members.items())
            continue
        if entry.get("class") != js_ns.cls:
            findings.append(Finding("changed", attr, None,
                                    f"class {js_ns.cls} in JS, {entry.get('class')} in the spec"))
        if js_ns.attributes is not None:
            findings.extend(_compare_attributes(attr, js_ns.attributes, entry.get("attributes") or {}))
        findings.extend(_compare_scope(attr, js_ns, entry.get("members") or {}))
    for attr, entry in namespaces.items():
        if attr not in surface.namespaces:
            cls = entry.get("class") if isinstance(entry, dict) else None
            findings.append(Finding("removed", attr, None, js_class=cls))
    stubs = sum(1 for m in _all_spec_members(spec) if isinstance(m, dict) and m.get("kind") == "stub")
    return Report(findings, stubs)


def _all_spec_members(spec: dict[str, Any]) -> Iterable[Any]:
    client, namespaces = spec_scopes(spec)
    yield from client.values()
    for entry in namespaces.values():
        if isinstance(entry, dict):
            yield from (entry.get("members") or {}).values()


# --------------------------------------------------------------------------
# Report text
# --------------------------------------------------------------------------


def signature(name: str, member: JSMember) -> str:
    if member.kind != METHOD:
        return f"{name} ({member.kind})"
    parts = [p.name + (f" = {show_value(p.default)}" if p.has_default else "") for p in member.params]
    return f"{name}({', '.join(parts)})"


def format_report(report: Report, version: str, *, spec_name: str = "api_spec.json", verbose: bool = False) -> str:
    """The report text; ``verbose`` lists the signatures of the members of added namespaces too."""
    target = f"{PACKAGE}@{version}"
    lines: list[str] = []
    if report.no_drift:
        lines.append(f"no drift against {target}")
    else:
        whole_added = {f.scope for f in report.added if f.member is None}
        whole_removed = {f.scope for f in report.removed if f.member is None}
        n_added = len([f for f in report.added if f.member is not None])
        lines.append(
            f"drift between {spec_name} and {target}: {n_added} member(s) added in JS"
            + (f" (in {len(whole_added)} namespace(s) the spec lacks)" if whole_added else "")
            + f", {len(report.removed)} removed from JS, {len(report.changed)} changed"
        )
        if report.added:
            lines += ["", "added in JS (missing from the spec):"]
            for f in report.added:
                if f.member is None:
                    members = [g.member for g in report.added if g.scope == f.scope and g.member is not None]
                    head = f"  {f.where}: namespace {f.js_class} ({_count(len(members), 'member')})"
                    if verbose:
                        lines.append(head)
                        lines += [f"    {_prefix(g)}{signature(g.member, g.js)}" for g in report.added
                                  if g.scope == f.scope and g.member is not None]
                    else:
                        lines += textwrap.wrap(", ".join(members), width=100, initial_indent=head + ": ",
                                               subsequent_indent=" " * 6, break_on_hyphens=False)
                elif f.scope not in whole_added:
                    lines.append(f"  {_prefix(f)}{signature(f.member, f.js)}")
        if report.removed:
            lines += ["", "removed from JS (in the spec, not in JS):"]
            for f in report.removed:
                if f.member is None:
                    lines.append(f"  {f.where}: namespace {f.js_class} (and all its members)")
                elif f.scope not in whole_removed:
                    lines.append(f"  {f.where}" + (f" ({f.detail})" if f.detail else ""))
        if report.changed:
            lines += ["", "changed:"]
            lines += [f"  {f.where}: {f.detail}" for f in report.changed]
    if report.stubs:
        lines.append(f"note: {report.stubs} stub member(s) in {spec_name} still need completing (kind \"stub\")")
    return "\n".join(lines) + "\n"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _prefix(f: Finding) -> str:
    return "client." if f.scope == CLIENT else f"client.{f.scope}."


# --------------------------------------------------------------------------
# --write-stubs
# --------------------------------------------------------------------------


def stub_entry(member: JSMember, version: str) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "kind": "stub",
        "doc": STUB_DOC.format(package=PACKAGE, version=version),
        "params": [],
    }
    if member.kind != METHOD:
        entry["jsKind"] = member.kind
        return entry
    for p in member.params:
        if p.has_default and p.default == JSExpr("undefined"):
            entry["params"].append({"name": p.name, "optional": True})
        else:
            entry["params"].append(p.to_json())
    return entry


def write_stubs(spec: dict[str, Any], report: Report, surface: Surface, version: str) -> int:
    """Add a stub for every member JS has and the spec lacks (in place); the number added."""
    count = 0
    for f in report.added:
        if f.member is None:
            continue
        if f.scope == CLIENT:
            table = spec.setdefault("client", {}).setdefault("members", {})
        else:
            js_ns = surface.namespaces[f.scope]
            new = {"class": js_ns.cls, "doc": STUB_DOC.format(package=PACKAGE, version=version), "members": {}}
            if js_ns.attributes:
                new["attributes"] = {k: v.to_json() if isinstance(v, JSExpr) else v
                                     for k, v in js_ns.attributes.items()}
            ns = spec.setdefault("namespaces", {}).setdefault(f.scope, new)
            table = ns.setdefault("members", {})
        table[f.member] = stub_entry(f.js, version)
        count += 1
    return count


def dump_spec(spec: dict[str, Any]) -> str:
    return json.dumps(spec, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


# --------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m generator.sync",
        description="Compare api_spec.json with the live surface of the JS SDK backend.ai-client.",
    )
    parser.add_argument("--js-version", help="the backend.ai-client version (default: the spec's jsSdk.version)")
    parser.add_argument("--spec", default=str(DEFAULT_SPEC), help="the spec (default: api_spec.json)")
    parser.add_argument("--cache", help="where the SDK is installed (default: .cache/js-sdk/VERSION/)")
    parser.add_argument("--write-stubs", action="store_true",
                        help='add members JS has and the spec lacks as "kind": "stub" entries')
    parser.add_argument("--verbose", "-v", action="store_true",
                        help="list the parameters of every added member, also in namespaces the spec lacks")
    parser.add_argument("--npm-timeout", type=float, default=NPM_TIMEOUT, help="seconds (default: %(default)s)")
    args = parser.parse_args(argv)
    try:
        return _run(args)
    except SyncError as exc:
        print(f"generator.sync: {exc}", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace) -> int:
    spec_path = Path(args.spec)
    try:
        spec = json.loads(spec_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SyncError(f"{spec_path}: file not found") from None
    except ValueError as exc:
        raise SyncError(f"{spec_path}: not valid JSON: {exc}") from None
    if not isinstance(spec, dict):
        raise SyncError(f"{spec_path}: expected a JSON object")
    version = args.js_version or (spec.get("jsSdk") or {}).get("version")
    if not version:
        raise SyncError("no --js-version given and the spec has no jsSdk.version")
    if not re.match(r"^[A-Za-z0-9][A-Za-z0-9._+-]*$", version):
        raise SyncError(f"--js-version {version!r} is not a version")
    cache = Path(args.cache) if args.cache else default_cache(version)
    entry = ensure_installed(version, cache, timeout=args.npm_timeout, log=sys.stderr)
    surface = read_surface(entry)
    report = compare(surface, spec)
    spec_version = (spec.get("jsSdk") or {}).get("version")
    if spec_version and spec_version != version:
        print(f"note: {spec_path.name} mirrors {PACKAGE}@{spec_version}; comparing against {version}")
    sys.stdout.write(format_report(report, version, spec_name=spec_path.name, verbose=args.verbose))
    if args.write_stubs:
        added = write_stubs(spec, report, surface, version)
        if added:
            spec_path.write_text(dump_spec(spec), encoding="utf-8")
            print(f"wrote {added} stub member(s) to {spec_path} (kind \"stub\": complete them before generating)")
        else:
            print("no stubs to write")
    return 0 if report.no_drift else 1


if __name__ == "__main__":
    sys.exit(main())
