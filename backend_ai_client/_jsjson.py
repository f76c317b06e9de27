"""JavaScript value semantics that reach the wire.

The JS SDK serialises request bodies with ``JSON.stringify`` and query strings
with Node's ``querystring.stringify``. Signatures of API versions below v4
cover the body text, and servers compare query strings byte for byte, so the
port reproduces both exactly, including JS number formatting and the order in
which JS objects enumerate their keys.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

__all__ = [
    "JS_WHITESPACE",
    "UNDEFINED",
    "as_double",
    "js_less",
    "js_number_to_string",
    "js_string",
    "object_keys",
    "parse_float",
    "parse_int",
    "querystring_stringify",
    "stringify",
    "to_fixed",
    "to_number",
    "truthy",
]


class _Undefined:
    """JS ``undefined``: dropped from objects by JSON.stringify, ``null`` in arrays."""

    _instance: "_Undefined | None" = None

    def __new__(cls) -> "_Undefined":
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNDEFINED"

    def __bool__(self) -> bool:
        return False


UNDEFINED: Any = _Undefined()

_MAX_ARRAY_INDEX = 2**32 - 2


def _is_array_index(key: str) -> bool:
    # A canonical array index: no sign, no leading zero, below 2**32 - 1.
    if not key or not key.isascii() or not key.isdigit():
        return False
    if len(key) > 1 and key[0] == "0":
        return False
    return int(key) <= _MAX_ARRAY_INDEX


def object_keys(obj: Mapping[str, Any]) -> list[str]:
    """Keys in JS enumeration order: array indices ascending, then insertion order."""
    keys = [_key_text(k) for k in obj]
    indices = sorted((k for k in keys if _is_array_index(k)), key=int)
    return indices + [k for k in keys if not _is_array_index(k)]


def _key_text(key: Any) -> str:
    if isinstance(key, str):
        return key
    if isinstance(key, bool):
        return "true" if key else "false"
    if isinstance(key, (int, float)):
        return js_number_to_string(key)
    if key is None:
        return "null"
    raise TypeError(f"object key {key!r} has no JavaScript equivalent (use str keys)")


def _items(obj: Mapping[Any, Any]) -> list[tuple[str, Any]]:
    by_text: dict[str, Any] = {}
    for key, value in obj.items():
        by_text[_key_text(key)] = value
    return [(k, by_text[k]) for k in object_keys(by_text)]


def as_double(value: float | int) -> float:
    """The JS number for a Python int or float: ints round to the nearest double, or overflow to infinity."""
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


def js_number_to_string(value: float | int) -> str:
    """``String(x)`` for a JS number (ECMA-262 Number::toString, radix 10)."""
    if isinstance(value, bool):
        raise TypeError("booleans are not numbers")
    if isinstance(value, int):
        if abs(value) < 2**53:
            return str(value)
        value = as_double(value)  # JS has only doubles: round as JS would have
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0:
        return "0"
    sign = "-" if value < 0 else ""
    # repr gives the shortest digits that round-trip, as JS does.
    mantissa, _, exp_text = repr(abs(value)).partition("e")
    int_part, _, frac_part = mantissa.partition(".")
    if frac_part == "0":
        frac_part = ""
    digits = (int_part + frac_part).lstrip("0")
    exponent = int(exp_text) if exp_text else 0
    # n: position of the decimal point relative to the start of `digits`.
    n = len(int_part.lstrip("0")) + exponent if int_part.strip("0") else exponent - (
        len(frac_part) - len(frac_part.lstrip("0"))
    )
    digits = digits.rstrip("0")
    k = len(digits)
    if k <= n <= 21:
        text = digits + "0" * (n - k)
    elif 0 < n <= 21:
        text = digits[:n] + "." + digits[n:]
    elif -6 < n <= 0:
        text = "0." + "0" * (-n) + digits
    else:
        e = n - 1
        exp = ("+" if e >= 0 else "-") + str(abs(e))
        text = digits[0] + ("." + digits[1:] if k > 1 else "") + "e" + exp
    return sign + text


def _quote(text: str) -> str:
    out = ['"']
    for ch in text:
        code = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif code < 0x20:
            out.append(_SHORT_ESCAPES.get(ch) or f"\\u{code:04x}")
        elif 0xD800 <= code <= 0xDFFF:
            # Only lone surrogates reach here (Python str holds code points).
            out.append(f"\\u{code:04x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


_SHORT_ESCAPES = {"\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def stringify(value: Any) -> str:
    """``JSON.stringify(value)`` with no replacer and no indentation.

    Returns ``UNDEFINED`` where JS returns ``undefined`` (for ``UNDEFINED`` itself).
    """
    result = _stringify(value, [])
    return UNDEFINED if result is None else result


def _stringify(value: Any, stack: list[int]) -> str | None:
    if value is UNDEFINED or callable(value) and not isinstance(value, (Mapping, list, tuple)):
        return None
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return _quote(value)
    if isinstance(value, (int, float)):
        if not math.isfinite(as_double(value)):
            return "null"
        return js_number_to_string(value)
    if isinstance(value, (list, tuple, Mapping)):
        if id(value) in stack:
            raise ValueError("Converting circular structure to JSON")
        stack.append(id(value))
        try:
            if isinstance(value, Mapping):
                parts = []
                for key, item in _items(value):
                    text = _stringify(item, stack)
                    if text is not None:
                        parts.append(_quote(key) + ":" + text)
                return "{" + ",".join(parts) + "}"
            return "[" + ",".join(_stringify(item, stack) or "null" for item in value) + "]"
        finally:
            stack.pop()
    raise TypeError(
        f"cannot send a {type(value).__name__} in a JSON body: use dict, list, str, int, float, bool or None"
    )


# Node's querystring.escape leaves exactly these characters unescaped.
_QS_SAFE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.!~*'()")


def _qs_escape(text: str) -> str:
    out = []
    for ch in text:
        if ch in _QS_SAFE:
            out.append(ch)
            continue
        code = ord(ch)
        if 0xD800 <= code <= 0xDFFF:
            raise ValueError(f"URI malformed: lone surrogate U+{code:04X} in {text!r}")
        out.extend(f"%{b:02X}" for b in ch.encode("utf-8"))
    return "".join(out)


def _qs_primitive(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return js_number_to_string(value) if math.isfinite(as_double(value)) else ""
    return ""


def querystring_stringify(obj: Any, sep: str = "&", eq: str = "=") -> str:
    """Node's ``querystring.stringify(obj)``."""
    if not isinstance(obj, Mapping):
        return ""
    fields: list[str] = []
    for key, value in _items(obj):
        ks = _qs_escape(_qs_primitive(key)) + eq
        if isinstance(value, (list, tuple)):
            fields.extend(ks + _qs_escape(_qs_primitive(item)) for item in value)
        else:
            fields.append(ks + _qs_escape(_qs_primitive(value)))
    return sep.join(fields)


def truthy(value: Any) -> bool:
    """JS truthiness: empty dicts and lists are truthy, NaN and 0 are not."""
    if value is None or value is UNDEFINED or value is False:
        return False
    if isinstance(value, (int, float)):
        return value == value and value != 0
    if isinstance(value, str):
        return value != ""
    return True


def js_string(value: Any, what: str | None = None, _stack: list[int] | None = None) -> str:
    """``String(value)`` / ``value + ''`` for JSON-like values.

    With ``what`` (the argument's name, for the message) the conversion is strict,
    as JS is: an object with an own ``toString`` property (JSON can only make it a
    non-function) cannot become a primitive, and a Python value with no JS
    equivalent is refused; both raise TypeError. Without ``what``, such values
    become ``"[object Object]"`` and ``str(value)`` (text for messages and URLs).
    """
    if value is None:
        return "null"
    if value is UNDEFINED:
        return "undefined"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        return js_number_to_string(value)
    if isinstance(value, (list, tuple)):
        # Array.prototype.join(','): null/undefined elements are empty; V8 prints
        # an array that contains itself (a cycle) as the empty string.
        stack = [] if _stack is None else _stack
        if id(value) in stack:
            return ""
        stack.append(id(value))
        try:
            return ",".join("" if v is None or v is UNDEFINED else js_string(v, what, stack) for v in value)
        finally:
            stack.pop()
    if isinstance(value, Mapping):
        if what is not None and "toString" in (js_string(k, what) for k in value):
            raise TypeError(
                f"{what}: an object with its own 'toString' property cannot be converted to a string "
                f"(JS: TypeError: Cannot convert object to primitive value): {value!r}"
            )
        return "[object Object]"
    if what is not None:
        raise TypeError(
            f"{what}: a {type(value).__name__} has no JavaScript equivalent "
            "(use None, UNDEFINED, bool, int, float, str, list or dict)"
        )
    return str(value)


# StrWhiteSpaceChar: WhiteSpace and LineTerminator of ECMA-262 (not Python's str.isspace).
JS_WHITESPACE = "\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
_HEX = "0123456789abcdefABCDEF"
_DEC = "0123456789"
_DECIMAL_LITERAL = re.compile(r"[+-]?(?:Infinity|(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)")


def parse_int(value: Any) -> float:
    """``parseInt(value)`` with no radix: a JS number (a float here), NaN where JS gives NaN."""
    text = js_string(value).lstrip(JS_WHITESPACE)
    sign = 1.0
    if text[:1] in ("-", "+") and text:
        sign = -1.0 if text[0] == "-" else 1.0
        text = text[1:]
    radix, alphabet = 10, _DEC
    if text[:2] in ("0x", "0X"):
        radix, alphabet, text = 16, _HEX, text[2:]
    end = 0
    while end < len(text) and text[end] in alphabet:
        end += 1
    if end == 0:
        return math.nan
    return sign * as_double(int(text[:end], radix))


def parse_float(value: Any) -> float:
    """``parseFloat(value)``: the longest prefix that is a StrDecimalLiteral (ASCII digits only)."""
    text = js_string(value).lstrip(JS_WHITESPACE)
    match = _DECIMAL_LITERAL.match(text)
    if not match:
        return math.nan
    literal = match.group(0)
    if literal.lstrip("+-") == "Infinity":
        return -math.inf if literal.startswith("-") else math.inf
    return float(literal)


def to_fixed(value: float | int, digits: int) -> str:
    """``Number.prototype.toFixed(digits)`` (digits 0 to 100)."""
    from decimal import ROUND_HALF_UP, Context, Decimal

    if not 0 <= digits <= 100:
        raise ValueError(f"toFixed() digits argument must be between 0 and 100, got {digits}")
    value = as_double(value)
    if math.isnan(value):
        return "NaN"
    if abs(value) >= 1e21:
        return js_number_to_string(value)
    if value < 0:
        return "-" + to_fixed(-value, digits)
    value = abs(value)  # -0 prints as 0
    # toFixed works on the exact binary value; a tie picks the larger n.
    exact = Decimal(value)
    rounded = exact.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP, context=Context(prec=200))
    return format(rounded, "f")


_NUMERIC_STRING = re.compile(r"[+-]?(?:Infinity|(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)\Z")
_PREFIXED_INTEGER = {"0x": 16, "0X": 16, "0o": 8, "0O": 8, "0b": 2, "0B": 2}


def to_number(value: Any) -> float:
    """JS ``Number(value)`` (ToNumber) for null, undefined, booleans, numbers and strings."""
    if value is None:
        return 0.0
    if value is UNDEFINED:
        return math.nan
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, (int, float)):
        return as_double(value)
    if isinstance(value, str):
        text = value.strip(JS_WHITESPACE)
        if not text:
            return 0.0
        if _NUMERIC_STRING.match(text):
            return parse_float(text)
        radix = _PREFIXED_INTEGER.get(text[:2])
        if radix:
            try:
                return as_double(int(text[2:], radix)) if text[2:].isascii() and "_" not in text else math.nan
            except ValueError:
                return math.nan
        return math.nan
    return math.nan


def js_less(a: Any, b: Any) -> bool:
    """JS ``a < b`` for primitives: two strings compare as text, anything else as numbers."""
    if isinstance(a, str) and isinstance(b, str):
        return a < b
    return to_number(a) < to_number(b)
