"""``client.utils`` (backend_ai_client._utils.UtilsBase) against JS ``class utils``.

Property tests (hypothesis; 2000 examples each under ``CI=true``) call every
member of the real JS SDK through the live Node harness (``oracle`` fixture,
op ``call`` with target ``utils.<member>``) and the port with the same
arguments; results must be equal (JS number semantics: NaN, -0, Infinity;
``undefined``; key order of objects), and where JS throws the port raises
(TypeError for a JS TypeError, ValueError for a JS RangeError).

Where the port deliberately raises instead of returning JS's result, the
properties check exactly that contract:

* ``elapsedTime``: the port raises ValueError exactly when JS prints
  ``'NaN:NaN:NaN'`` (an Invalid Date) for the generated dates (which stay
  inside the forms the port supports, out-of-range fields included);
* ``gqlToObject``/``gqlToList`` (one property for both): the port raises
  ValueError only when the key is a missing ``Object.prototype`` member name
  (JS reads the inherited function).

``test_deviations_from_js`` shows, against JS, the inputs where JS returns
a value and the port refuses: ``null``/``true``/``undefined`` dates, strings
only V8's legacy date parser reads (two-digit years, a 25-hour offset), the
inherited ``toString``, and a ``'__proto__'`` field value.

Time zones: the harness's Node process inherits pytest's environment, and a
date-time without an offset is local time in both JS and the port. The main
``elapsedTime`` property uses only time-zone-independent inputs (offsets,
``Z``, date-only forms, epoch milliseconds, aware datetimes). Local-time
inputs are compared in ``test_elapsedTime_local_time_matches_js``, which
first verifies that both the Node process and this Python process run in UTC
(it skips, saying so, when they do not; run with ``TZ=UTC``), and in
``test_elapsedTime_local_time_in_zones_with_dst``, which starts its own
harness with ``TZ`` set to zones with DST gaps and overlaps.

``test_*_by_hand`` tests check values derived from the JS source
(backend.ai-client-node.ts of 21.3.1, ``class utils`` at lines 3745-3842)
and run without Node.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from backend_ai_client._jsjson import UNDEFINED, as_double, object_keys
from backend_ai_client._utils import UtilsBase
from oracle import JS_UNDEFINED, NodeOracle, in_ci, oracle_unavailable_reason

CONFIG = {"accessKey": "a", "secretKey": "b", "endpoint": "http://127.0.0.1:1"}
UTILS = UtilsBase(client=None)
NAN_TIME = "NaN:NaN:NaN"


# -- helpers -----------------------------------------------------------------------
def canon(x: Any) -> Any:
    """A comparable form of a JS value (port or oracle side): NaN equals NaN, -0
    differs from 0, ints and floats compare as doubles, strings as UTF-16, and
    object keys in order."""
    if x is JS_UNDEFINED or x is UNDEFINED:
        return ("undefined",)
    if x is None:
        return ("null",)
    if isinstance(x, bool):
        return ("bool", x)
    if isinstance(x, (int, float)):
        f = as_double(x)
        if math.isnan(f):
            return ("num", "NaN")
        if f == 0:
            return ("num", "-0" if math.copysign(1.0, f) < 0 else "0")
        return ("num", f)
    if isinstance(x, str):
        return ("str", x.encode("utf-16-le", "surrogatepass"))
    if isinstance(x, Mapping):
        # In JS order (integer-like keys first): a dict sent to JS comes back as a JS object.
        # Key order of results is checked separately where it matters.
        by_key = {str(k): v for k, v in x.items()}
        return ("obj", [(canon(k), canon(by_key[k])) for k in object_keys(by_key)])
    if isinstance(x, (list, tuple)):
        return ("arr", [canon(v) for v in x])
    return ("other", repr(x))


def js(oracle: Any, member: str, args: list[Any]) -> dict[str, Any]:
    return oracle.call("call", config=CONFIG, target=f"utils.{member}", args=args)


def port(member: str, args: list[Any]) -> tuple[str, Any]:
    try:
        return "ok", getattr(UTILS, member)(*args)
    except (TypeError, ValueError) as exc:
        return "raised", exc


def assert_same(member: str, args: list[Any], js_answer: dict[str, Any], port_answer: tuple[str, Any]) -> None:
    kind, value = port_answer
    where = f"utils.{member}{tuple(args)!r}"
    if js_answer["resolved"]:
        assert kind == "ok", f"{where}: JS returned {js_answer['value']!r}, the port raised {value!r}"
        assert canon(value) == canon(js_answer["value"]), (
            f"{where}\nJS:   {js_answer['value']!r}\nport: {value!r}"
        )
    else:
        error = str(js_answer["error"])
        assert kind == "raised", f"{where}: JS threw {error!r}, the port returned {value!r}"
        expected = ValueError if error.startswith("RangeError") else TypeError
        assert isinstance(value, expected), f"{where}: JS threw {error!r}, the port raised {value!r}"


def check(oracle: Any, member: str, args: list[Any]) -> None:
    assert_same(member, args, js(oracle, member, args), port(member, args))


# -- strategies --------------------------------------------------------------------
NO_SURROGATES = st.characters(blacklist_categories=("Cs",))
SPECIAL_NUMBERS = st.sampled_from([
    0.0, -0.0, 5e-324, -5e-324, 2.2250738585072014e-308, 1.7976931348623157e308, 1e21, 1e-7, 1e300, 1e-300,
    9007199254740993.0, 0.1, 1.5, -1.5, 1024.0, 1073741824.0, math.nan, math.inf, -math.inf,
])
js_numbers = st.one_of(
    st.floats(),
    SPECIAL_NUMBERS,
    st.integers(-(2**60), 2**60),
    st.integers(-100, 100),
    st.sampled_from([2**53 + 1, 2**64, -(2**70), 10**30, 2**1024, 10**400]),  # rounded to doubles / Infinity in JS
)
WHITESPACE = [" ", "  ", "\t", "\n", "\xa0", "\u3000", "\ufeff", "\u2028", " \t "]
UNIT_LETTERS = list("bkmgtp") + list("BKMGTP") + ["x", "auto", "i", "B", "b "]
B_UNITS = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "kib", "KB", "GB", "iB", "Gib", "b", "g", ""]
_digits = st.text(st.sampled_from("0123456789"), min_size=0, max_size=8)

size_strings = st.builds(
    lambda lead, sign, prefix, intp, frac, exp, unit, space, bunit, tail: (
        lead + sign + prefix + intp + frac + exp + unit + space + bunit + tail
    ),
    st.sampled_from(["", "", "", " ", "\t", "\xa0"]),
    st.sampled_from(["", "", "", "-", "+"]),
    st.sampled_from(["", "", "", "", "0x", "0b", "0o"]),
    _digits,
    st.one_of(st.just(""), _digits.map(lambda d: "." + d)),
    st.one_of(st.just(""), st.builds(lambda e, s, d: e + s + d, st.sampled_from("eE"),
                                     st.sampled_from(["", "+", "-"]), _digits)),
    st.one_of(st.just(""), st.sampled_from(UNIT_LETTERS)),
    st.one_of(st.just(""), st.sampled_from(WHITESPACE)),
    st.one_of(st.just(""), st.sampled_from(B_UNITS)),
    st.one_of(st.just(""), st.just(""), st.sampled_from(WHITESPACE + ["x", " 1", " GiB", "Infinity"])),
)
text_values = st.one_of(
    size_strings,
    st.sampled_from(["", " ", "Infinity", "-Infinity", "Infinityg", "NaN", "1 GiB", "1.5 GiB", "512 MiB", "1 Gib",
                     "4g", "4G", "1.5 g", "abc", "1 ", " 1", "1  KiB", "1\tKiB", "1\u3000KiB", "1 KiB extra",
                     "[object Object]", "1e3k", "0x10m", "😀", "1😀", "١٢m", "１k"]),
    st.text(NO_SURROGATES, max_size=8),
    st.text(st.sampled_from("0123456789 .bkmgtpBKMGTPiauxe-+\t"), max_size=10),
)
plain_scalars = st.one_of(st.none(), st.booleans(), js_numbers, text_values, st.just(UNDEFINED))
SAFE_KEYS = ["a", "id", "name", "0", "1", "10", "01", "", "a b", "valueOf", "toString"]
object_values = st.one_of(
    st.just({}),
    st.dictionaries(st.sampled_from(SAFE_KEYS), st.integers(-3, 3), max_size=3),
)
js_values = st.one_of(
    plain_scalars,
    plain_scalars,
    st.lists(st.one_of(plain_scalars, st.lists(plain_scalars, max_size=2)), max_size=3),
    object_values,
)

KNOWN_UNITS = ["b", "k", "m", "g", "t", "p", "auto"]
unit_args = st.one_of(
    st.sampled_from(KNOWN_UNITS),
    st.sampled_from(KNOWN_UNITS),
    st.sampled_from(["B", "K", "G", "KiB", "GiB", "x", "", "Auto", " g", "g ", "bytes"]),
    st.none(),
    st.just(UNDEFINED),
    st.integers(-1, 3),
)


# -- changeBinaryUnit ----------------------------------------------------------------
@given(value=js_values, target=unit_args, default=unit_args, count=st.integers(1, 3))
def test_changeBinaryUnit_matches_js(oracle, value, target, default, count):
    # count: how many arguments are passed (fewer leave JS's defaults 'g' / 'b').
    check(oracle, "changeBinaryUnit", [value, target, default][:count])


@given(number=st.one_of(js_numbers, st.floats(min_value=-1e6, max_value=1e6)),
       unit=st.sampled_from(KNOWN_UNITS[:6] + ["B", "KiB", "MiB", "GiB", "TiB", "PiB"]),
       space=st.sampled_from(["", " ", "  "]), target=st.sampled_from(KNOWN_UNITS))
def test_changeBinaryUnit_sizes_match_js(oracle, number, unit, space, target):
    """Well-formed sizes as a server or a user writes them: '1.5g', '512 MiB'."""
    from backend_ai_client._jsjson import js_string

    text = js_string(number) + (space if len(unit) > 1 else "") + unit
    check(oracle, "changeBinaryUnit", [text, target])


# -- elapsedTime: time-zone independent inputs --------------------------------------
def _year_text(year: int, expanded: bool) -> str:
    if 0 <= year <= 9999 and not expanded:
        return f"{year:04d}"
    return ("-" if year < 0 else "+") + f"{abs(year):06d}"


_YEARS = st.one_of(
    st.integers(1970, 2100),
    st.integers(0, 9999),
    st.integers(-275760, 275760),
    st.sampled_from([0, 1, 99, 100, 1000, 9999, 10000, 275760, -271821, -1, 275759, -271820]),
)
_LOCAL_YEARS = st.one_of(st.integers(1970, 2100), st.integers(1, 9999), st.sampled_from([1, 1900, 9999]))
_EXPANDED = st.sampled_from([False, False, False, True])
_PRECISION = st.sampled_from(["y", "ym", "ymd", "ymd", "ymd", "ymd"])
_MONTHS = st.integers(1, 12)
_ODD_MONTHS = st.one_of(st.integers(1, 12), st.sampled_from([0, 13, 99]))
_DAYS = st.integers(1, 31)
_ODD_DAYS = st.one_of(st.integers(1, 28), st.integers(1, 31), st.sampled_from([0, 32]))
_HAS_TIME = st.sampled_from([True, True, True, False])
_SEPS = st.sampled_from(["T", "T", "t", " "])
_HOURS = st.one_of(st.integers(0, 23), st.sampled_from([0, 23, 24, 24, 25]))
_MINUTES = st.one_of(st.integers(0, 59), st.sampled_from([0, 59, 60]))
_FRACTIONS = st.one_of(  # None: no seconds; '': seconds without a fraction
    st.none(),
    st.none(),
    st.just(""),
    st.just(""),
    st.text(st.sampled_from("0123456789"), min_size=1, max_size=9),  # 10+ digits: see test below
    st.sampled_from(["0", "000", "000000", "999", "999999999", "001", "0001", "5"]),
)
_ZONES = st.one_of(
    st.sampled_from(["Z", "z", "+00:00", "-00:00", "+0000"]),
    st.tuples(st.sampled_from("+-"), st.one_of(st.integers(0, 23), st.just(24)),
              st.one_of(st.integers(0, 59), st.just(60)), st.sampled_from([":", ":", ""])),
)


@st.composite
def iso_strings(draw: Any, local: bool = False) -> str:
    """ISO 8601 date(-time)s as V8 reads them; sometimes with fields out of range.

    ``local``: date-times without an offset (local time). Otherwise, every
    date-time has an offset or Z (date-only forms are UTC).
    """
    year = draw(_LOCAL_YEARS if local else _YEARS)
    expanded = draw(_EXPANDED)
    year_text = _year_text(year, expanded)
    if year_text == "-000000":
        year_text = "+000000"  # '-000000' sends V8 to its legacy parser (a two-digit year); the port refuses it
    precision = "ymd" if local else draw(_PRECISION)
    # A month or day out of range sends V8 to its legacy parser, which reads some of them with a
    # year below 100 (e.g. '0001-13' as 2001-01-13); the port refuses them all.
    odd_fields = not local and 100 <= year <= 9999 and not expanded
    text = year_text
    if precision != "y":
        text += f"-{draw(_ODD_MONTHS if odd_fields else _MONTHS):02d}"
    if precision == "ymd":
        text += f"-{draw(_ODD_DAYS if odd_fields else _DAYS):02d}"
    if not (local or draw(_HAS_TIME)):
        return text
    sep = draw(_SEPS)
    # A space instead of T sends V8 to its legacy parser, which reads years below 100 as
    # two-digit years, and accepts offsets of 24 hours and more and 60 minutes (the port does not).
    legacy = sep == " "
    if legacy and (precision != "ymd" or abs(year) < 100):
        sep, legacy = "T", False
    hour = draw(_HOURS)
    text += f"{sep}{hour:02d}:{draw(_MINUTES):02d}"
    fraction = draw(_FRACTIONS)
    if fraction is not None:
        text += f":{draw(_MINUTES):02d}"
        if fraction:
            if legacy and hour == 24 and fraction.strip("0") and not fraction[:3].strip("0"):
                # V8's legacy parser accepts 24:00:00.0001 (ms 0); the ISO parser and the port do not.
                fraction = "0"
            text += "." + fraction
    if local:
        return text
    zone = draw(_ZONES)
    if isinstance(zone, tuple):
        sign, hours, minutes, colon = zone
        if legacy:
            hours, minutes = hours % 24, minutes % 60
        zone = f"{sign}{hours:02d}{colon}{minutes:02d}"
    return text + zone


MAX_MS = 8_640_000_000_000_000
epoch_numbers = st.one_of(
    st.integers(-(10**13), 10**13),
    st.integers(-MAX_MS, MAX_MS),
    st.sampled_from([0, MAX_MS, -MAX_MS, MAX_MS + 1, -MAX_MS - 1, 2**63, 10**400]),
    st.floats(min_value=-1e13, max_value=1e13),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([-0.0, 0.5, -0.5, 1.9, -1.9, 999.999, -999.999, 8.64e15, -8.64e15, 8.640000000000002e15,
                     math.nan, math.inf, -math.inf]),
)
fixed_offsets = st.integers(-(24 * 60 - 1), 24 * 60 - 1).map(lambda m: timezone(timedelta(minutes=m)))
aware_datetimes = st.datetimes(
    min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=fixed_offsets
)


_tz_free_iso = iso_strings().map(lambda text: (text, text))
# (what the port gets, what JS gets): the same instant, independent of the time zone. JS gets an
# aware datetime as its isoformat() (V8 truncates the microseconds to milliseconds).
tz_free_dates = st.one_of(
    _tz_free_iso,
    _tz_free_iso,
    _tz_free_iso,
    epoch_numbers.map(lambda number: (number, number)),
    aware_datetimes.map(lambda dt: (dt, dt.isoformat())),
)


def check_elapsed(oracle: Any, port_args: list[Any], js_args: list[Any]) -> None:
    answer = js(oracle, "elapsedTime", js_args)
    assert answer["resolved"], f"JS threw for elapsedTime{tuple(js_args)!r}: {answer['error']!r}"
    kind, value = port("elapsedTime", port_args)
    where = f"elapsedTime{tuple(port_args)!r} (JS got {tuple(js_args)!r})"
    event("JS: Invalid Date" if answer["value"] == NAN_TIME else "JS: a time")
    if answer["value"] == NAN_TIME:
        # An Invalid Date: the port refuses the input instead of printing NaN.
        assert kind == "raised" and isinstance(value, ValueError), f"{where}: JS {NAN_TIME!r}, port {value!r}"
    else:
        assert kind == "ok", f"{where}: JS {answer['value']!r}, the port raised {value!r}"
        assert value == answer["value"], f"{where}\nJS:   {answer['value']!r}\nport: {value!r}"


@given(start=tz_free_dates, end=tz_free_dates)
def test_elapsedTime_matches_js(oracle, start, end):
    check_elapsed(oracle, [start[0], end[0]], [start[1], end[1]])


_UTC_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


_KINDS = st.sampled_from(["epoch", "iso", "datetime"])
_TIMESPECS = st.sampled_from(["milliseconds", "microseconds", "seconds"])
_SPELLINGS = st.sampled_from(["T", "Z", " "])
_STARTS = st.integers(-(10**13), 10**13)
_DELTAS = st.one_of(
    st.integers(-(10**11), 10**11),
    st.integers(-3_600_000, 3_600_000),
    st.sampled_from([0, 999, 1000, 1001, -1, -999, -1000, -1001, 86_399_999, 86_400_000, 86_400_999]),
)


def _as_input(draw: Any, ms: int) -> tuple[Any, Any]:
    """The instant ``ms`` in a random representation: (port argument, JS argument)."""
    kind = draw(_KINDS)
    if kind == "epoch":
        return ms, ms
    dt = (_UTC_EPOCH + timedelta(milliseconds=ms)).astimezone(draw(fixed_offsets))
    if kind == "datetime":
        return dt, dt.isoformat()
    text = dt.isoformat(timespec=draw(_TIMESPECS))
    spelling = draw(_SPELLINGS)
    if spelling == "Z" and text.endswith("+00:00"):
        text = text[:-6] + "Z"
    elif spelling == " ":  # str(datetime) of a server; years are >= 1653 here
        text = text.replace("T", " ")
    return text, text


@st.composite
def close_date_pairs(draw: Any) -> tuple[tuple[Any, Any], tuple[Any, Any]]:
    start = draw(_STARTS)
    return _as_input(draw, start), _as_input(draw, start + draw(_DELTAS))


@given(dates=close_date_pairs())
def test_elapsedTime_close_dates_match_js(oracle, dates):
    """Dates a realistic distance apart (the random pairs above are mostly decades apart)."""
    (port_start, js_start), (port_end, js_end) = dates
    check_elapsed(oracle, [port_start, port_end], [js_start, js_end])


# -- elapsedTime: local time (no offset) -----------------------------------------------
def _python_is_utc() -> bool:
    instants = [-2208988800, 0, 1610668800, 1626307200, 4102444800]  # 1900, 1970, 2021-01, 2021-07, 2100
    return all(time.localtime(t).tm_gmtoff == 0 for t in instants)


@pytest.fixture(scope="module")
def utc_oracle(oracle):
    """The session oracle, after checking that Node and Python both run in UTC."""
    probes = ["1900-01-01T00:00:00", "1970-01-01T00:00:00", "2021-01-15T12:00:00", "2021-07-15T12:00:00",
              "2100-07-01T00:00:00"]
    answers = oracle.call_many("call", [
        dict(config=CONFIG, target="utils.elapsedTime", args=[p, p + "Z"]) for p in probes
    ])
    node_utc = all(a["resolved"] and a["value"] == "00:00:00" for a in answers)
    if not (node_utc and _python_is_utc()):
        pytest.skip(
            "local-time comparison needs Node and Python in UTC "
            f"(Node UTC: {node_utc}, Python UTC: {_python_is_utc()}, TZ={os.environ.get('TZ')!r}); run with TZ=UTC"
        )
    return oracle


naive_datetimes = st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59))


_local_iso = iso_strings(local=True).map(lambda text: (text, text))
local_dates = st.one_of(
    _local_iso,
    _local_iso,
    naive_datetimes.map(lambda dt: (dt, dt.isoformat())),
    tz_free_dates,
)


@given(start=local_dates, end=local_dates)
def test_elapsedTime_local_time_matches_js(utc_oracle, start, end):
    """Date-times without an offset are local time; compared with Node and Python both in UTC."""
    check_elapsed(utc_oracle, [start[0], end[0]], [start[1], end[1]])


ZONE_CASES = [
    # (start, end): DST gaps and overlaps, LMT, and Samoa skipping 2011-12-30.
    ("2021-03-14T01:59:59", "2021-03-14T02:30:00"),
    ("2021-03-14T02:30:00", "2021-03-14T03:30:00"),
    ("2021-11-07T01:30:00", "2021-11-07T02:30:00"),
    ("2021-11-07T00:59:59", "2021-11-07T01:00:00"),
    ("2021-03-28T02:30:00", "2021-03-28T03:30:00Z"),
    ("2021-10-31T02:30:00", "2021-10-31T03:30:00"),
    ("1850-01-01T00:00:00", "1850-01-01T00:00:00Z"),
    ("1900-06-01T12:00:00", "1900-06-01T12:00:00Z"),
    ("2011-12-29T23:59:59", "2011-12-31T00:00:00"),
    ("2011-12-30T12:00:00", "2011-12-31T00:00:00Z"),
    ("2021-04-04T02:30:00", "2021-10-03T02:15:00"),
    ("2021-06-01 12:00:00", "2021-12-01T12:00:00"),
    ("2024-07-01T00:00:00", "2024-07-01T00:00:00Z"),
    ("2040-03-10T02:30:00", "2040-11-04T01:30:00"),
]
ZONES = ["America/New_York", "Europe/Berlin", "Asia/Kolkata", "Australia/Lord_Howe", "Pacific/Apia",
         "America/Sao_Paulo", "Europe/Dublin"]


@pytest.mark.oracle
def test_elapsedTime_local_time_in_zones_with_dst(monkeypatch):
    """Local time in zones with DST gaps/overlaps: a harness started with TZ=<zone>
    against the port with this process's TZ set to the same zone (restored afterwards)."""
    if not hasattr(time, "tzset"):
        pytest.skip("time.tzset() is not available on this platform")
    reason = oracle_unavailable_reason()
    if reason is not None:
        if in_ci():
            pytest.fail(f"JS oracle required under CI=true but unavailable: {reason}", pytrace=False)
        pytest.skip(f"JS oracle unavailable: {reason}")
    zones = [z for z in ZONES if (Path("/usr/share/zoneinfo") / z).is_file()]
    if not zones:
        pytest.skip("no system time zone data (/usr/share/zoneinfo) for Python's local time")
    checked = 0
    try:
        for zone in zones:
            monkeypatch.setenv("TZ", zone)
            time.tzset()
            with NodeOracle() as node:
                answers = node.call_many("call", [
                    dict(config=CONFIG, target="utils.elapsedTime", args=list(case)) for case in ZONE_CASES
                ])
            for case, answer in zip(ZONE_CASES, answers):
                assert answer["resolved"], (zone, case, answer)
                assert UTILS.elapsedTime(*case) == answer["value"], (
                    f"TZ={zone} elapsedTime{case!r}: JS {answer['value']!r}, port {UTILS.elapsedTime(*case)!r}"
                )
                checked += 1
    finally:
        monkeypatch.undo()
        time.tzset()
    assert checked == len(zones) * len(ZONE_CASES)


# -- _padding_zeros ---------------------------------------------------------------
widths = st.one_of(
    st.integers(-3, 12),
    st.integers(-3, 12),
    st.sampled_from([0.0, -0.0, 2.5, 3.0, 1e-9, math.nan, math.inf, -math.inf, "3", " 4 ", "2.5", "x", "", "0x5",
                     None, True, False, UNDEFINED, [5], [], ["3"], [1, 2], {}, {"valueOf": 4}, {"toString": 1},
                     2**29 - 23, 2**32, 2**32 + 2, 1e300]),
    st.floats(min_value=-5, max_value=12),
)
pad_inputs = st.one_of(
    js_values,
    st.integers(-10**6, 10**6),
    st.text(st.sampled_from("ab😀\u00e9\ud800"), max_size=5),
)


@given(n=pad_inputs, width=widths)
def test_padding_zeros_matches_js(oracle, n, width):
    check(oracle, "_padding_zeros", [n, width])


# -- clamp --------------------------------------------------------------------------
clamp_values = st.one_of(
    js_numbers,
    st.integers(-10, 10),
    st.floats(min_value=-10, max_value=10),
    st.sampled_from(["5", " 7 ", "", "x", "0x10", "-0", "1e3", "Infinity", None, True, False, UNDEFINED, [3], [],
                     [1, 2], {}, {"toString": 1}, {"valueOf": 1}]),
)


@given(value=clamp_values, low=clamp_values, high=clamp_values)
def test_clamp_matches_js(oracle, value, low, high):
    check(oracle, "clamp", [value, low, high])


@given(value=st.floats(allow_nan=False), low=st.floats(allow_nan=False), high=st.floats(allow_nan=False))
def test_clamp_numbers_match_js(oracle, value, low, high):
    check(oracle, "clamp", [value, low, high])


# -- gqlToObject / gqlToList ---------------------------------------------------------
FIELD_KEYS = ["id", "name", "0", "1", "10", "2", "01", "-1", "4294967294", "4294967295", "", "a b", "status",
              "toString", "valueOf", "constructor", "hasOwnProperty"]
field_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**53), 2**53),
    st.integers(-3, 12),
    st.floats(),
    st.sampled_from([-0.0, 1e21, 1.5, math.nan]),
    st.text(NO_SURROGATES, max_size=6).filter(lambda s: s != "__proto__"),
    st.sampled_from(["0", "1", "10", "2", "007", "x", "undefined", "null", "NaN", "4294967295", "toString"]),
    st.just(UNDEFINED),
    st.lists(st.one_of(st.integers(-3, 3), st.text(max_size=2).filter(lambda s: s != "__proto__"), st.none()),
             max_size=3),
    st.dictionaries(st.sampled_from(["a", "toString", "valueOf"]), st.integers(0, 3), max_size=2),
)
elements = st.one_of(
    st.dictionaries(st.sampled_from(FIELD_KEYS), field_values, max_size=5),
    st.dictionaries(st.sampled_from(FIELD_KEYS), field_values, max_size=5),
    st.dictionaries(st.sampled_from(FIELD_KEYS), field_values, max_size=5),
    st.sampled_from([None, UNDEFINED]),
)
arrays = st.one_of(
    st.lists(elements, max_size=6),
    st.lists(elements, max_size=6),
    st.lists(elements, max_size=6),
    st.sampled_from([None, UNDEFINED, "abc", 5, {}, {"forEach": 1}, True]),
)
gql_keys = st.one_of(
    st.sampled_from(FIELD_KEYS),
    st.sampled_from(FIELD_KEYS),
    st.sampled_from([0, 1, 10, 1.0, -0.0, None, UNDEFINED, True, ["id"], ["0"], {}, "missing"]),
)


def check_gql(oracle: Any, member: str, array: Any, key: Any) -> None:
    answer = js(oracle, member, [array, key])
    kind, value = port(member, [array, key])
    if kind == "raised" and isinstance(value, ValueError):
        # Not mirrored: JS reads an inherited Object.prototype member where the field is missing
        # (and goes on to the next element, which may still make it throw).
        assert str(key) in {"toString", "valueOf", "constructor", "hasOwnProperty"}, (member, array, key, value)
        return
    assert_same(member, [array, key], answer, (kind, value))
    if member == "gqlToObject" and kind == "ok":
        assert list(value) == list(answer["value"]), f"key order of gqlToObject({array!r}, {key!r})"


@given(array=arrays, key=gql_keys)
def test_gqlToObject_and_gqlToList_match_js(oracle, array, key):
    # One property for both members: they read the same input the same way (and it halves the time).
    check_gql(oracle, "gqlToObject", array, key)
    check_gql(oracle, "gqlToList", array, key)


# -- deviations, shown against JS ------------------------------------------------------
DEVIATIONS = [
    # (member, args, what JS returns) where the port raises instead.
    ("elapsedTime", [None, 1000], "00:00:01"),  # new Date(null) is 1970-01-01
    ("elapsedTime", [True, 1000], "00:00:00"),  # new Date(true) is 1 ms
    ("elapsedTime", [UNDEFINED, 1000], NAN_TIME),  # Invalid Date
    ("elapsedTime", ["2021-03-04T05:06:07Z", "garbage"], NAN_TIME),
    ("elapsedTime", ["-000000-01-01", 0], None),  # legacy parser: a two-digit year (2000 or 2001)
    ("elapsedTime", ["0050-01-01 00:00Z", "1950-01-01T00:00:00Z"], "00:00:00"),  # two-digit year
    ("elapsedTime", ["2021-01-04 05:06+25:00", "2021-01-03T04:06:00Z"], "00:00:00"),  # offset of 25 h
]


def test_deviations_from_js(oracle):
    """Inputs where JS returns a value from input it cannot make sense of and the port raises."""
    answers = oracle.call_many("call", [
        dict(config=CONFIG, target=f"utils.{member}", args=args) for member, args, _ in DEVIATIONS
    ])
    for (member, args, expected), answer in zip(DEVIATIONS, answers):
        assert answer["resolved"], (member, args, answer)
        if expected is None:
            assert answer["value"] != NAN_TIME, (member, args, answer)
        else:
            assert answer["value"] == expected, (member, args, answer)
        with pytest.raises((TypeError, ValueError)):
            getattr(UTILS, member)(*args)
    for member in ("gqlToObject", "gqlToList"):
        answer = js(oracle, member, [[{"id": 1}], "toString"])
        assert answer["resolved"] and "toString" in str(answer["value"]), answer
        with pytest.raises(ValueError, match="Object.prototype.toString"):
            getattr(UTILS, member)([{"id": 1}], "toString")
    # '__proto__' as a field value: JS sets the result's prototype and loses the element.
    answer = js(oracle, "gqlToObject", [[{"id": "__proto__", "x": 1}, {"id": "a"}], "id"])
    assert answer["value"] == {"a": {"id": "a"}}
    assert UTILS.gqlToObject([{"id": "__proto__", "x": 1}, {"id": "a"}], "id") == {
        "__proto__": {"id": "__proto__", "x": 1}, "a": {"id": "a"}}


# -- by hand, without Node (expected values from the JS source) ------------------------
def test_constructor_keeps_the_client():
    client = object()
    assert UtilsBase(client).client is client  # line 3748-3750


def test_client_utils_is_a_UtilsBase():
    from backend_ai_client import Client, ClientConfig

    client = Client(ClientConfig("a", "b", "http://127.0.0.1:1"))
    assert isinstance(client.utils, UtilsBase)
    assert client.utils.client is client
    assert client.utils.changeBinaryUnit("1 GiB", "m") == 1024.0


@pytest.mark.parametrize(("args", "expected"), [
    (["1 GiB"], 1.0),  # 3761-3764: 'GiB' -> 'g'; 3778: 1 * 1024**(3-3)
    (["512 MiB"], 0.5),
    (["512m"], 0.5),  # 3769-3771: trailing unit letter
    ([1073741824], 1.0),  # 3773: defaultUnit 'b'
    (["4g", "m"], 4096.0),
    (["1p", "auto"], 1 / 1024),  # 'auto' is index 6
    ([1, "b", "x"], 1 / 1024),  # unknown defaultUnit: indexOf -1, one step below 'b'
    ([1024, "k", "x"], 1 / 1024),  # 1024 * 1024**(-1 - 1)
    (["1.5 g"], 1.5 / 1024**3),  # 3766: only the *iB spellings count after a space
    (["", "g"], 0.0),  # Number('') is 0
    (["  "], 0.0),  # split gives ['', '  ', '']
    ([2.5, "k", "m"], 2.5 * 1024),
    ([-0.0, "b", "b"], 0.0),  # 3760: String(-0) is '0'
    (["-0", "b", "b"], -0.0),
])
def test_changeBinaryUnit_by_hand(args, expected):
    result = UTILS.changeBinaryUnit(*args)
    assert canon(result) == canon(expected)
    assert isinstance(result, float)


def test_changeBinaryUnit_odd_cases_by_hand():
    assert UTILS.changeBinaryUnit(UNDEFINED) is UNDEFINED  # 3753-3755
    assert UTILS.changeBinaryUnit(1, "G") is False  # 3759: units are lower case
    assert UTILS.changeBinaryUnit(1, "GiB") is False
    assert UTILS.changeBinaryUnit(None, "x") is False  # 3759 runs before value.toString()
    assert UTILS.changeBinaryUnit(1, UNDEFINED, UNDEFINED) == 1 / 1024**3  # undefined takes the defaults
    assert math.isnan(UTILS.changeBinaryUnit("1G"))  # 'G' is no unit: Number('1G')
    assert math.isnan(UTILS.changeBinaryUnit("abc"))
    assert math.isnan(UTILS.changeBinaryUnit(True))  # 'true'
    assert UTILS.changeBinaryUnit("Infinity") == math.inf
    assert UTILS.changeBinaryUnit([2048], "k") == 2.0  # [2048].toString()
    with pytest.raises(TypeError, match="None"):
        UTILS.changeBinaryUnit(None)  # 3760: null.toString()
    with pytest.raises(TypeError, match="toString"):
        UTILS.changeBinaryUnit({"toString": 1})
    with pytest.raises(TypeError, match="no JavaScript equivalent"):
        UTILS.changeBinaryUnit(object())


@pytest.mark.parametrize(("start", "end", "expected"), [
    ("2021-03-04T05:06:07Z", "2021-03-06T07:08:09.5+00:00", "2 Day 02:02:02"),  # 3798-3807
    ("2021-03-04T05:06:07Z", "2021-03-04T05:06:07.999Z", "00:00:00"),  # 3788: seconds floored
    ("2021-03-04T05:06:07.123456+00:00", "2021-03-04T05:06:08.1229Z", "00:00:00"),  # fraction cut to ms
    (1000, 0, "23:59:59"),  # end before start: floor(-1) wraps, days (-1) hidden
    (0, 86_400_000, "1 Day 00:00:00"),
    (0, 86_399_999, "23:59:59"),
    (1.9, 1000, "00:00:00"),  # TimeClip truncates 1.9 to 1
    ("2021-02-28", "2021-02-30", "2 Day 00:00:00"),  # V8 rolls Feb 30 over to Mar 2
    ("2021-03-04T24:00Z", "2021-03-05", "00:00:00"),
    ("2021-03-04T05:06+0530", "2021-03-04T05:06+05:00", "00:30:00"),
    ("2021", "2021-01-02T00:00:01z", "1 Day 00:00:01"),
    ("2021-03-04 05:06:07.5+00:00", "2021-03-04T05:06:08Z", "00:00:00"),
    ("+275760-09-13T00:00:00Z", "+275760-09-13T01:00:00+01:00", "00:00:00"),
    ("-271821-04-20T00:00:00Z", 0, "100000000 Day 00:00:00"),
    (datetime(2021, 3, 4, tzinfo=timezone.utc), "2021-03-04T00:00:01.9991+00:00", "00:00:01"),
    (datetime(2021, 3, 4, 0, 0, 0, 999, tzinfo=timezone(timedelta(hours=1))), "2021-03-03T23:00:00Z", "00:00:00"),
])
def test_elapsedTime_by_hand(start, end, expected):
    assert UTILS.elapsedTime(start, end) == expected


def test_elapsedTime_now_by_hand():
    # 3783-3784: end null is now.
    start = time.time() * 1000 - (86_400_000 + 2 * 3_600_000)
    assert UTILS.elapsedTime(start, None) in ("1 Day 02:00:00", "1 Day 02:00:01", "1 Day 02:00:02")


@pytest.mark.parametrize("bad", [
    "garbage", "2021-13-01", "2021-00-01", "2021-01-32", "2021-03-04T25:00Z", "2021-03-04T24:01Z",
    "2021-03-04T24:00:00.001Z", "2021-03-04T05:60Z", "2021-03-04T05:06:60Z", "2021-03-04T05:06+24:00",
    "2021-03-04T05:06+05", "2021-03-04T05", "2021-03-04T05:06:07.", "2021-3-4", " 2021-03-04", "20210304",
    "-000000-01-01", "0050-01-01 00:00Z", "2021-03 05:06Z", "2021-03-04Z", "+275760-09-13T00:00:00.001Z",
    "1614834367000", "２０２１-03-04", math.nan, math.inf, 8.64e15 + 1, 10**400,
])
def test_elapsedTime_rejects_by_hand(bad):
    with pytest.raises(ValueError, match="elapsedTime: start"):
        UTILS.elapsedTime(bad, 0)


@pytest.mark.parametrize("bad", [None, UNDEFINED, True, [2021], {"t": 0}, b"2021"])
def test_elapsedTime_rejects_types_by_hand(bad):
    with pytest.raises(TypeError, match="elapsedTime: start"):
        UTILS.elapsedTime(bad, 0)


def test_elapsedTime_local_time_range_by_hand():
    with pytest.raises(ValueError, match="local time"):
        UTILS.elapsedTime("0000-06-01T00:00:00", 0)
    with pytest.raises(ValueError, match="local time"):
        UTILS.elapsedTime("+010000-01-01T00:00", 0)


@pytest.mark.parametrize(("n", "width", "expected"), [
    (5, 2, "05"),  # 3811-3812
    (5, 3, "005"),
    (123, 2, "123"),  # long enough: unchanged
    ("abc", 5, "00abc"),
    (7, "3", "007"),  # width - n.length coerces '3'
    (-1, 3, "0-1"),  # n + '' is '-1'
    (1.5, 4, "01.5"),
    (None, 6, "00null"),
    (UNDEFINED, 2, "undefined"),
    ([1, 2], 4, "01,2"),
    ("😀", 2, "😀"),  # length counts UTF-16 code units: 2
    ("x", -math.inf, "x"),
    ("x", None, "x"),  # null is 0
    (0, [3], "000"),
])
def test_padding_zeros_by_hand(n, width, expected):
    assert UTILS._padding_zeros(n, width) == expected


@pytest.mark.parametrize("width", [2.5, math.nan, math.inf, UNDEFINED, "x", {}, 2**32 + 2, 2**29 - 23])
def test_padding_zeros_range_errors_by_hand(width):
    # new Array(width - n.length + 1) needs a uint32; the string is at most 2**29 - 24 long (RangeError).
    with pytest.raises(ValueError, match="RangeError"):
        UTILS._padding_zeros(1, width)


@pytest.mark.parametrize(("args", "expected"), [
    ((5, 0, 10), 5.0),  # 3823
    ((-1, 0, 10), 0.0),
    ((11, 0, 10), 10.0),
    ((5, 10, 0), 10.0),  # min > max: min wins
    (("5", 0, "3"), 3.0),  # Number() coercion
    ((None, -1, 1), 0.0),
    ((-0.0, -0.0, 0.0), -0.0),  # Math.min(-0, 0) is -0, Math.max(-0, -0) is -0
    ((-0.0, 0.0, 0.0), 0.0),
    ((math.inf, 0, math.inf), math.inf),
])
def test_clamp_by_hand(args, expected):
    assert canon(UTILS.clamp(*args)) == canon(expected)


@pytest.mark.parametrize("args", [(math.nan, 0, 1), (1, UNDEFINED, 2), ("x", 0, 1), (1, 0, {})])
def test_clamp_nan_by_hand(args):
    assert math.isnan(UTILS.clamp(*args))


def test_gql_by_hand():
    rows = [{"id": "b", "v": 1}, {"id": 2, "v": 2}, {"id": 1.0, "v": 3}, {"v": 4}, {"id": None}, {"id": "b", "v": 5}]
    result = UTILS.gqlToObject(rows, "id")  # 3828-3830: result[element[key]] = element
    # Integer-like keys first, ascending; a repeated key keeps its first position with the last element.
    assert list(result.items()) == [
        ("1", rows[2]), ("2", rows[1]), ("b", rows[5]), ("undefined", rows[3]), ("null", rows[4]),
    ]
    assert result.b is rows[5]  # a JSObject, like parsed answers
    assert UTILS.gqlToList(rows, "id") == ["b", 2, 1.0, UNDEFINED, None, "b"]  # 3836-3838
    assert UTILS.gqlToList(rows, "v")[:4] == [1, 2, 3, 4]
    assert UTILS.gqlToObject([], {"toString": 1}) == {}  # the key is never converted
    assert UTILS.gqlToObject([{"1": "x"}], 1) == {"x": {"1": "x"}}  # String(1)
    assert UTILS.gqlToList([{"id": 1}], "missing") == [UNDEFINED]
    assert UTILS.gqlToList(({"a": 1},), "a") == [1]


@pytest.mark.parametrize(("array", "error"), [
    (None, TypeError), ("abc", TypeError), ({"a": 1}, TypeError), ([None], TypeError), ([UNDEFINED], TypeError),
    ([1], TypeError), ([{"id": {"toString": 1}}], TypeError), ([{}], ValueError),
])
def test_gql_errors_by_hand(array, error):
    key = "toString" if error is ValueError else "id"
    with pytest.raises(error):
        UTILS.gqlToObject(array, key)
    if array != [{"id": {"toString": 1}}]:
        with pytest.raises(error):
            UTILS.gqlToList(array, key)


def test_more_than_nine_fraction_digits_are_refused() -> None:
    """V8 reads 10+ fraction digits as a number: '.0100000000' is 100 ms, not 10 ms (checked under Node 20)."""
    from backend_ai_client import Client, ClientConfig

    utils = Client(ClientConfig("a", "b", "http://127.0.0.1:1")).utils
    with pytest.raises(ValueError, match="9 fraction digits"):
        utils.elapsedTime("1970-01-01T00:00:00.0100000000Z", 10)
    assert utils.elapsedTime("1970-01-01T00:00:00.010000000Z", 10) == "00:00:00"
