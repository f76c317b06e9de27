"""JS value semantics (backend_ai_client._jsjson) against Node, the JS SDK's runtime.

Property tests (hypothesis; 2000 examples each under ``CI=true``) compare the
port with the live Node harness (``oracle`` fixture, tests/oracle.py):

* ``JSON.stringify`` of generated JSON values (objects whose keys include
  integer-like strings such as "0", "10", "007", "4294967295", so JS key
  ordering is exercised; ``undefined``, NaN, +-Infinity and -0 included),
* ``String(x)`` and ``JSON.stringify(x)`` of generated numbers,
* Node's ``querystring.stringify`` of generated flat objects,
* ``x.toFixed(2)`` (and other digit counts),
* ``parseInt(v)`` / ``parseFloat(v)`` of generated strings and numbers.

``test_*_vectors`` check the port against the committed JS outputs in
tests/vectors/ (regenerate with ``.venv/bin/python tests/make_vectors.py``);
they run with or without Node.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backend_ai_client._jsjson import (
    UNDEFINED,
    js_number_to_string,
    parse_float,
    parse_int,
    querystring_stringify,
    stringify,
    to_fixed,
)
from oracle import JS_UNDEFINED, decode, load_vectors


# -- strategies ----------------------------------------------------------------
NO_SURROGATES = st.characters(blacklist_categories=("Cs",))
INT_LIKE_KEYS = [
    "0", "1", "2", "9", "10", "11", "007", "01", "00", "-0", "-1", "+1", "1.5", "1e3", " 1",
    "4294967294", "4294967295", "4294967296", "9007199254740993", "18446744073709551616",
]
object_keys = st.one_of(
    st.sampled_from(INT_LIKE_KEYS),
    st.integers(0, 2**33).map(str),
    st.text(NO_SURROGATES, max_size=8).filter(lambda k: not k.startswith("$")),
)

tiny_and_huge = st.sampled_from([
    0.0, -0.0, 5e-324, -5e-324, 2.2250738585072014e-308, 1.7976931348623157e308, 1e21, 1e-7, 1e-6, 1e20,
    123456789012345680000.0, 0.000001, 0.0000001, 1.5e-7, 1e300, 9007199254740993.0, 0.1, 0.2 + 0.1,
    math.nan, math.inf, -math.inf,
])
# Doubles and the ints that behave as doubles (|n| <= 2**53), for toFixed.
doubles = st.one_of(
    st.floats(),
    tiny_and_huge,
    st.integers(-(2**53), 2**53),
    st.floats(min_value=-1e6, max_value=1e6).map(lambda x: round(x, 3)),
    st.floats(min_value=-1e3, max_value=1e3).map(lambda x: round(x, 2) + 0.005),  # toFixed(2) ties
)
# ... plus Python ints up to 2**64, which JS rounds to the nearest double.
numbers = st.one_of(doubles, st.integers(-(2**64), 2**64))
# Python ints beyond the largest double: Infinity in JS.
HUGE_INTS = [2**1024, -(2**1024), 10**400]

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    numbers,
    st.text(NO_SURROGATES, max_size=12),
    st.text(st.characters(max_codepoint=0x3F), max_size=8),  # control characters, quotes, backslashes
    st.text(st.sampled_from("\u2028\u2029\u007f\u0080\u00ff\ufeff\U0001f600\"\\/"), max_size=4),
)


def _children(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    member = st.one_of(children, st.just(UNDEFINED))
    return st.lists(member, max_size=6) | st.dictionaries(object_keys, member, max_size=8)


json_values = st.recursive(json_scalars, _children, max_leaves=24)
top_values = st.one_of(st.dictionaries(object_keys, json_values, max_size=10), json_values, st.just(UNDEFINED))

qs_scalars = st.one_of(
    st.none(),
    st.booleans(),
    numbers,
    st.text(NO_SURROGATES, max_size=10),
    st.text(st.characters(max_codepoint=0x7F), max_size=10),
)
qs_values = st.one_of(qs_scalars, st.lists(qs_scalars, max_size=4), st.dictionaries(st.text(max_size=3), qs_scalars,
                                                                                     max_size=2))
qs_objects = st.dictionaries(
    st.one_of(object_keys, st.text(st.characters(max_codepoint=0x7F), max_size=6)), qs_values, max_size=8
)

WHITESPACE = [" ", "\t", "\n", "\v", "\f", "\r", "\xa0", "\ufeff", "\u1680", "\u2000", "\u200a", "\u2028", "\u2029",
              "\u202f", "\u205f", "\u3000", "\x1c", "\x1f", "\x85", "\u200b", "\u180e"]
_digits = st.text(st.sampled_from("0123456789"), max_size=25)
numeric_strings = st.builds(
    lambda ws, sign, prefix, int_part, frac, exp, tail: "".join(ws) + sign + prefix + int_part + frac + exp + tail,
    st.lists(st.sampled_from(WHITESPACE), max_size=3),
    st.sampled_from(["", "", "+", "-", "--", "+-"]),
    st.sampled_from(["", "", "", "0x", "0X", "0b", "0o", "0", "00"]),
    _digits,
    st.one_of(st.just(""), _digits.map(lambda d: "." + d)),
    st.one_of(st.just(""), st.builds(lambda e, s, d: e + s + d, st.sampled_from("eE"), st.sampled_from(["", "+", "-"]),
                                     _digits)),
    st.one_of(st.just(""), st.text(st.sampled_from("abcdefxXgG .,_-+eE1٣１ \t"), max_size=4), st.text(NO_SURROGATES,
                                                                                                   max_size=3)),
)
special_strings = st.sampled_from([
    "", " ", "Infinity", "-Infinity", "+Infinity", "infinity", "INFINITY", "Infinityx", " -Infinity", "NaN", "nan",
    "inf", "1_000", "٣", "１２", "1e", "1e+", ".5", "5.", ".", "e5", "0x", "-0x1A", "0xg", "0x1f", "0X1F", "-0",
    "+0", "0.0", "-0.0", "1e1000", "-1e1000", "1e-400", "9007199254740993", "123456789012345678901234567890",
    "0.1e-5", "\u30001", "\u20281", "\x1c1", "\x851", "\u200b1", "١٢٣",
])
parse_inputs = st.one_of(
    numeric_strings,
    special_strings,
    st.text(NO_SURROGATES, max_size=12),
    numbers,
)

# -- helpers ---------------------------------------------------------------------


def same_number(port: Any, js: Any, *, zero_sign: bool = True) -> bool:
    """Whether the port's result is the JS number (Object.is semantics).

    Python compares ints and floats exactly, so a port int that no double can
    hold (e.g. 9007199254740993, or 10**400 where JS has Infinity) differs
    from the JS result, as it behaves differently downstream.
    """
    if isinstance(port, bool) or not isinstance(port, (int, float)) or not isinstance(js, (int, float)):
        return False
    # A JS number arrives as its shortest decimal text (an int in Python for
    # integral values); float() gets the double back.
    js = float(js)
    if isinstance(port, float) and math.isnan(port) or isinstance(js, float) and math.isnan(js):
        return port != port and js != js
    if port == 0 and js == 0 and zero_sign:
        return math.copysign(1, port) == math.copysign(1, js)
    return port == js


def show(x: Any) -> str:
    """repr, plus the exact value of big integral numbers (a double prints rounded)."""
    if isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) and abs(x) >= 2**53:
        return f"{x!r} (exactly {int(x)})"
    return repr(x)


def show_js(x: Any) -> str:
    """Like show() for a JS result: an integral JS number arrives as its shortest
    decimal text, so the exact double is float() of it."""
    if isinstance(x, int) and not isinstance(x, bool):
        x = float(x)
    return show(x)


def number_repr(x: Any) -> str:
    """A Python spelling the harness turns into the JS number (ints as decimal text)."""
    return str(x) if isinstance(x, int) else repr(x)


def js_args_for_value(value: Any) -> dict[str, Any]:
    """``text`` (JSON text, key order kept) when the value is plain JSON, else ``value`` ($-encoded)."""
    try:
        return {"text": json.dumps(value, allow_nan=False, ensure_ascii=False, default=_reject)}
    except (ValueError, TypeError):
        return {"value": value}


def _reject(obj: Any) -> Any:
    raise TypeError(obj)


def port_js(value: Any) -> Any:
    return JS_UNDEFINED if value is UNDEFINED else value


# -- properties against the oracle ------------------------------------------------


@given(value=top_values)
def test_stringify_matches_js(oracle, value):
    port_value = port_js(stringify(value))
    js_value = oracle.call("stringify", **js_args_for_value(value))
    assert port_value == js_value, f"JSON.stringify differs for {value!r}\nJS:   {js_value!r}\nport: {port_value!r}"


@given(x=numbers)
def test_number_to_string_matches_js(oracle, x):
    js = oracle.call("stringifyNumber", repr=number_repr(x))
    port_string, port_json = js_number_to_string(x), stringify(x)
    assert (port_string, port_json) == (js["string"], js["json"]), (
        f"number {x!r}: JS String()={js['string']!r} JSON={js['json']!r}; "
        f"port js_number_to_string={port_string!r} stringify={port_json!r}"
    )


@given(obj=qs_objects)
def test_querystring_matches_js(oracle, obj):
    port_value = querystring_stringify(obj)
    js_value = oracle.call("querystring", **js_args_for_value(obj))
    assert port_value == js_value, f"querystring.stringify differs for {obj!r}\nJS:   {js_value!r}\nport: {port_value!r}"


@given(x=doubles)
def test_to_fixed_2_matches_js(oracle, x):
    js_value = oracle.call("toFixed", repr=number_repr(x), digits=2)
    port_value = to_fixed(x, 2)
    assert port_value == js_value, f"({x!r}).toFixed(2): JS={js_value!r} port={port_value!r}"


@settings(max_examples=500)
@given(x=doubles, digits=st.integers(0, 20))
def test_to_fixed_any_digits_matches_js(oracle, x, digits):
    js_value = oracle.call("toFixed", repr=number_repr(x), digits=digits)
    port_value = to_fixed(x, digits)
    assert port_value == js_value, f"({x!r}).toFixed({digits}): JS={js_value!r} port={port_value!r}"


@settings(max_examples=200)
@given(x=st.one_of(st.integers(2**53 + 1, 2**80), st.integers(-(2**80), -(2**53) - 1)))
def test_to_fixed_of_ints_beyond_2_53_matches_js(oracle, x):
    """Python ints are exact; JS numbers are doubles, so (2**53 + 1).toFixed(0) is "9007199254740992"."""
    js_value = oracle.call("toFixed", repr=number_repr(x), digits=2)
    port_value = to_fixed(x, 2)
    assert port_value == js_value, f"({x!r}).toFixed(2): JS={js_value!r} port={port_value!r}"


@pytest.mark.parametrize("x", HUGE_INTS, ids=["2**1024", "-2**1024", "10**400"])
def test_ints_beyond_the_double_range_match_js(oracle, x):
    """JS reads such a number as +-Infinity: String gives "Infinity", JSON.stringify "null"."""
    js = oracle.call("stringifyNumber", repr=str(x))
    results = {}
    for name, fn in [("String", js_number_to_string), ("JSON.stringify", stringify),
                     ("querystring", lambda v: querystring_stringify({"a": v})),
                     ("toFixed(2)", lambda v: to_fixed(v, 2))]:
        try:
            results[name] = fn(x)
        except Exception as exc:  # noqa: BLE001 - reported below
            results[name] = f"raises {type(exc).__name__}: {exc}"
    expected = {
        "String": js["string"],
        "JSON.stringify": js["json"],
        "querystring": oracle.call("querystring", value={"a": x}),
        "toFixed(2)": oracle.call("toFixed", repr=str(x), digits=2),
    }
    assert results == expected


# Minimal inputs of the runtime mismatches found so far (one per cause), so a
# single run lists them all; the properties above find them too.
EDGE_CASES = [
    ("parseInt", "0x1f"),
    ("parseInt", "-0x1A"),
    ("parseInt", "0x"),
    ("parseInt", "\u30001"),
    ("parseInt", "\u16800"),
    ("parseInt", "9007199254740993"),
    ("parseInt", 2**64),
    ("parseInt", "-0"),
    ("parseFloat", "\u0663"),
    ("parseFloat", "1\u0663"),
    ("parseFloat", "\uff11\uff12"),
    ("parseFloat", "\u30001.5"),
    ("parseFloat", "\u2028-Infinity"),
    ("toFixed", (1e16, 12)),
    ("toFixed", (100000000.0, 20)),
    ("toFixed", (2**53 + 1, 2)),
]


@pytest.mark.parametrize("fn,arg", EDGE_CASES, ids=[f"{f}({a!r})" for f, a in EDGE_CASES])
def test_edge_cases_match_js(oracle, fn, arg):
    js_value: Any = None
    try:
        if fn == "toFixed":
            x, digits = arg
            js_value = oracle.call("toFixed", repr=number_repr(x), digits=digits)
            port_value: Any = to_fixed(x, digits)
            ok = port_value == js_value
        else:
            js_value = oracle.call(fn, value=arg)
            port_value = (parse_int if fn == "parseInt" else parse_float)(arg)
            ok = same_number(port_value, js_value)
    except Exception as exc:  # noqa: BLE001
        port_value, ok = f"raises {type(exc).__name__}: {exc}", False
    assert ok, f"{fn}({arg!r}): JS={show_js(js_value)} port={show(port_value)}"


@given(value=parse_inputs)
def test_parse_int_matches_js(oracle, value):
    js_value = oracle.call("parseInt", value=value)
    port_value = parse_int(value)
    # -0 and 0 are not told apart here: parseInt("-0") is -0 in JS, which no
    # caller can observe through String()/JSON (reported separately).
    assert same_number(port_value, js_value, zero_sign=False), (
        f"parseInt({value!r}): JS={show_js(js_value)} port={show(port_value)}"
    )


@given(value=parse_inputs)
def test_parse_float_matches_js(oracle, value):
    js_value = oracle.call("parseFloat", value=value)
    port_value = parse_float(value)
    assert same_number(port_value, js_value), f"parseFloat({value!r}): JS={show_js(js_value)} port={show(port_value)}"


# -- committed vectors (no Node needed) -----------------------------------------------


_load = load_vectors


def _port_value(value: Any) -> Any:
    if value is JS_UNDEFINED:
        return UNDEFINED
    if isinstance(value, list):
        return [_port_value(v) for v in value]
    if isinstance(value, dict):
        return {k: _port_value(v) for k, v in value.items()}
    return value


def _report(name: str, failures: list[str], total: int) -> None:
    if failures:
        pytest.fail(f"{len(failures)} of {total} {name} vectors differ; first ones:\n" + "\n".join(failures[:12]),
                    pytrace=False)


def _number(text: str) -> Any:
    return {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}.get(text) if text in ("nan", "inf", "-inf") else (
        float(text) if any(c in text for c in ".en") else int(text)
    )


def test_stringify_vectors():
    cases = _load("stringify")
    failures = []
    for i, case in enumerate(cases):
        value = _port_value(decode(json.loads(case["input"]["value_json"])))
        got = port_js(stringify(value))
        expected = decode(case["expected"])
        if got != expected:
            failures.append(f"#{i} {case['input']['value_json']}\n  JS:   {expected!r}\n  port: {got!r}")
    _report("stringify", failures, len(cases))


def test_querystring_vectors():
    cases = _load("querystring")
    failures = []
    for i, case in enumerate(cases):
        obj = _port_value(decode(json.loads(case["input"]["value_json"])))
        got = querystring_stringify(obj)
        if got != case["expected"]:
            failures.append(f"#{i} {case['input']['value_json']}\n  JS:   {case['expected']!r}\n  port: {got!r}")
    _report("querystring", failures, len(cases))


def test_number_vectors():
    cases = _load("numbers")
    failures = []
    for i, case in enumerate(cases):
        a, expected = case["input"], decode(case["expected"])
        x = _number(a["repr"])
        got = {"string": js_number_to_string(x), "json": stringify(x), "toFixed2": to_fixed(x, 2)}
        want = {k: expected[k] for k in got}
        if got != want:
            failures.append(f"#{i} {a['repr']}: JS={want!r} port={got!r}")
    _report("numbers", failures, len(cases))


def test_parse_vectors():
    cases = _load("parse")
    failures = []
    for i, case in enumerate(cases):
        value = decode(case["input"]["value"])
        expected = decode(case["expected"])
        got_int, got_float = parse_int(value), parse_float(value)
        if not same_number(got_int, expected["parseInt"], zero_sign=False):
            failures.append(f"#{i} parseInt({value!r}): JS={show_js(expected['parseInt'])} port={show(got_int)}")
        if not same_number(got_float, expected["parseFloat"]):
            failures.append(f"#{i} parseFloat({value!r}): JS={show_js(expected['parseFloat'])} port={show(got_float)}")
    _report("parseInt/parseFloat", failures, len(cases))
