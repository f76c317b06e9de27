"""The hand-written base of the ``utils`` namespace (JS ``class utils``).

The generator emits ``class utils(UtilsBase)`` and builds it as
``utils(client)``; the six members of JS 21.3.1 live here:
``changeBinaryUnit``, ``elapsedTime``, ``_padding_zeros``, ``clamp``,
``gqlToObject`` and ``gqlToList``.

They return what JS returns for the same arguments, JS coercions included
(numbers are JS numbers, so results are Python floats; ``undefined`` is
``UNDEFINED``; NaN is ``float('nan')``). Where JS throws, they raise
``TypeError`` (JS ``TypeError``) or ``ValueError`` (JS ``RangeError``).
Where JS would quietly compute from an input that makes no sense for the
function (a date it cannot parse, an inherited ``Object.prototype`` member
read as data), they raise ``ValueError``/``TypeError`` saying which input
was wrong instead of returning JS's garbage; each method's docstring lists
those cases.

Accepted JS-like values are ``None`` (``null``), ``UNDEFINED``, ``bool``,
``int``, ``float``, ``str``, ``list``/``tuple`` (arrays) and mappings with
string keys (plain objects); ``elapsedTime`` also takes ``datetime``.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

from ._jsjson import JS_WHITESPACE, UNDEFINED, js_number_to_string, js_string, object_keys, to_number
from ._result import JSObject

__all__ = ["UtilsBase"]

_BINARY_UNITS = ("b", "k", "m", "g", "t", "p", "auto")
_B_BINARY_UNITS = ("B", "KiB", "MiB", "GiB", "TiB", "PiB")

# V8's String::kMaxLength (2**29 - 24 code units on 64-bit Node 20).
_JS_MAX_STRING_LENGTH = 2**29 - 24
_MAX_ARRAY_LENGTH = 2**32 - 1

# Own properties of Object.prototype: reading one of these names from a plain
# object that lacks it gives JS an inherited function (or the prototype).
_OBJECT_PROTOTYPE_NAMES = frozenset({
    "constructor", "__defineGetter__", "__defineSetter__", "hasOwnProperty", "__lookupGetter__",
    "__lookupSetter__", "isPrototypeOf", "propertyIsEnumerable", "toString", "valueOf", "__proto__",
    "toLocaleString",
})

_JS_SPACE_RUN = re.compile("([" + "".join(re.escape(c) for c in JS_WHITESPACE) + "]+)")


# -- JS coercions ----------------------------------------------------------------
def _key_text(key: Any) -> str:
    if isinstance(key, str):
        return key
    return js_string(key, "an object key")


def _own_keys(obj: Mapping[Any, Any]) -> dict[str, Any]:
    """The object's own properties by JS property key (a later duplicate spelling wins)."""
    return {_key_text(k): v for k, v in obj.items()}


def _to_js_number(value: Any, what: str) -> float:
    """JS ``ToNumber`` (after ``ToPrimitive`` for arrays and objects)."""
    if value is None or value is UNDEFINED or isinstance(value, (bool, int, float, str)):
        return to_number(value)
    return to_number(js_string(value, what))


def _utf16_length(text: str) -> int:
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def _js_min(a: float, b: float) -> float:
    if math.isnan(a) or math.isnan(b):
        return math.nan
    if a == b == 0:
        return -0.0 if math.copysign(1.0, a) < 0 or math.copysign(1.0, b) < 0 else 0.0
    return a if a < b else b


def _js_max(a: float, b: float) -> float:
    if math.isnan(a) or math.isnan(b):
        return math.nan
    if a == b == 0:
        return 0.0 if math.copysign(1.0, a) > 0 or math.copysign(1.0, b) > 0 else -0.0
    return a if a > b else b


def _js_get(element: Any, key: Any, what: str) -> Any:
    """``element[key]`` for a plain object element."""
    if element is None or element is UNDEFINED:
        raise TypeError(
            f"{what}: an element is {'null' if element is None else 'undefined'} "
            "(JS: TypeError: Cannot read properties of "
            f"{'null' if element is None else 'undefined'})"
        )
    if not isinstance(element, Mapping):
        raise TypeError(
            f"{what}: elements must be objects (dicts), got a {type(element).__name__}: {element!r}"
        )
    prop = _key_text(key)
    if prop in element:
        return element[prop]
    own = _own_keys(element)
    if prop in own:
        return own[prop]
    if prop in _OBJECT_PROTOTYPE_NAMES:
        raise ValueError(
            f"{what}: key {prop!r} is missing from element {element!r}; JS would read the inherited "
            f"Object.prototype.{prop} instead of data"
        )
    return UNDEFINED


# -- Dates ------------------------------------------------------------------------
_MS_PER_DAY = 86_400_000
_MAX_TIME_MS = 8.64e15  # TimeClip: |t| <= 8.64e15
_UTC_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_NAIVE_EPOCH = datetime(1970, 1, 1)

_ISO_DATE_TIME = re.compile(
    r"""
    (?P<year>[0-9]{4}|[+-][0-9]{6})
    (?:-(?P<month>[0-9]{2})(?:-(?P<day>[0-9]{2}))?)?
    (?:
        (?P<sep>[Tt\ ])
        (?P<hour>[0-9]{2}):(?P<minute>[0-9]{2})
        (?::(?P<second>[0-9]{2})(?:\.(?P<fraction>[0-9]+))?)?
        (?P<tz>[Zz]|(?P<tz_sign>[+-])(?P<tz_hour>[0-9]{2}):?(?P<tz_minute>[0-9]{2}))?
    )?
    """,
    re.VERBOSE | re.ASCII,
)

_DATE_FORMATS = (
    "YYYY, YYYY-MM or YYYY-MM-DD (UTC); optionally followed by THH:mm, THH:mm:ss or THH:mm:ss.fff "
    "(any number of fraction digits) and Z, +HH:MM, -HH:MM, +HHMM or -HHMM (without an offset the "
    "time is local time); a space may replace the T when the date is complete and the year is "
    "at least 0100; years may be +YYYYYY/-YYYYYY"
)


def _days_from_civil(year: int, month: int, day: int) -> int:
    """Days from 1970-01-01 to the proleptic Gregorian date (any year; day may overflow the month)."""
    y = year - (month <= 2)
    era = y // 400
    yoe = y - era * 400
    mp = (month + 9) % 12
    doy = (153 * mp + 2) // 5
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468 + day - 1


def _local_offset_ms(utc_ms: int) -> int:
    """The machine's local UTC offset at the instant (what JS's LocalTZA uses)."""
    try:
        return time.localtime(utc_ms // 1000).tm_gmtoff * 1000
    except (OverflowError, OSError, ValueError) as exc:  # pragma: no cover - platform limits
        raise ValueError(f"cannot look up the local time zone offset at {utc_ms} ms: {exc}") from exc


def _local_to_utc_ms(local_ms: int) -> int:
    """ECMA-262 UTC(t) for a local wall time: the earlier instant when the wall time
    happens twice, and the offset from before the transition when it is skipped."""
    before = _local_offset_ms(local_ms - _MS_PER_DAY)
    after = _local_offset_ms(local_ms + _MS_PER_DAY)
    for candidate in sorted({local_ms - before, local_ms - after}):
        if candidate + _local_offset_ms(candidate) == local_ms:
            return candidate
    return local_ms - before


def _parse_iso(text: str, what: str) -> int:
    """``Date.parse`` (V8) for the ISO 8601 forms listed in ``_DATE_FORMATS``."""
    m = _ISO_DATE_TIME.fullmatch(text)
    if m is None:
        raise ValueError(f"{what}: unsupported date string {text!r}; expected ISO 8601: {_DATE_FORMATS}")
    year_text = m["year"]
    if year_text == "-000000":
        raise ValueError(f"{what}: {text!r}: year -000000 is not a valid ISO 8601 year (use +000000)")
    year = int(year_text)
    if m["sep"] == " " and (m["day"] is None or abs(year) < 100):
        raise ValueError(
            f"{what}: unsupported date string {text!r}: with a space instead of 'T' the date must be "
            "complete and the year at least 0100 (JS reads such years as two-digit years)"
        )
    month = int(m["month"] or 1)
    day = int(m["day"] or 1)
    if not 1 <= month <= 12:
        raise ValueError(f"{what}: {text!r}: month {month} is out of range 01-12")
    if not 1 <= day <= 31:
        raise ValueError(f"{what}: {text!r}: day {day} is out of range 01-31")
    hour = int(m["hour"] or 0)
    minute = int(m["minute"] or 0)
    second = int(m["second"] or 0)
    fraction = m["fraction"] or ""
    if hour > 24 or minute > 59 or second > 59:
        raise ValueError(f"{what}: {text!r}: time of day out of range (hours 00-24, minutes and seconds 00-59)")
    if hour == 24 and (minute or second or fraction.strip("0")):
        raise ValueError(f"{what}: {text!r}: hour 24 is only valid as 24:00, 24:00:00 or 24:00:00.000")
    if len(fraction) > 9:
        # V8 reads 10 or more fraction digits as a number (leading zeros lost: .0100000000 is 100 ms).
        raise ValueError(f"{what}: {text!r}: more than 9 fraction digits (JS misreads them); use at most 9")
    # Extra fraction digits are cut off (not rounded), as V8 does.
    millisecond = int((fraction + "00")[:3])
    # A day past the end of the month rolls over (2021-02-30 is 2021-03-02), as in V8.
    ms = (_days_from_civil(year, month, day) * _MS_PER_DAY
          + ((hour * 60 + minute) * 60 + second) * 1000 + millisecond)
    if m["tz"] is not None:
        if m["tz_sign"] is not None:
            tz_hour, tz_minute = int(m["tz_hour"]), int(m["tz_minute"])
            if tz_hour > 23 or tz_minute > 59:
                raise ValueError(f"{what}: {text!r}: UTC offset out of range (hours 00-23, minutes 00-59)")
            offset = (tz_hour * 60 + tz_minute) * 60_000
            ms -= offset if m["tz_sign"] == "+" else -offset
    elif m["hour"] is not None:
        if not 1 <= year <= 9999:
            raise ValueError(
                f"{what}: {text!r} has no UTC offset (local time) and a year outside 0001-9999, "
                "where the port does not follow V8's local time zone rules; give an offset (Z or +HH:MM)"
            )
        ms = _local_to_utc_ms(ms)
    # Date-only forms without an offset are UTC (ECMA-262 Date Time String Format).
    if abs(ms) > _MAX_TIME_MS:
        raise ValueError(f"{what}: {text!r} is outside the JS Date range (+-8.64e15 ms around 1970)")
    return ms


def _date_ms(value: Any, what: str) -> int:
    """The time value of JS ``new Date(value)`` for the inputs the port supports."""
    if isinstance(value, datetime):
        if value.utcoffset() is None:
            return _local_to_utc_ms((value.replace(tzinfo=None) - _NAIVE_EPOCH) // timedelta(milliseconds=1))
        return (value - _UTC_EPOCH) // timedelta(milliseconds=1)
    if isinstance(value, str):
        return _parse_iso(value, what)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        number = to_number(value)
        if not math.isfinite(number) or abs(number) > _MAX_TIME_MS:
            raise ValueError(
                f"{what}: {value!r} is not a time in epoch milliseconds within the JS Date range (+-8.64e15)"
            )
        return int(number)  # TimeClip truncates toward zero
    if value is None:
        raise TypeError(f"{what} is None; JS would read null as 1970-01-01T00:00:00Z")
    if value is UNDEFINED:
        raise TypeError(f"{what} is undefined; JS would make an Invalid Date and print 'NaN:NaN:NaN'")
    raise TypeError(
        f"{what}: expected an ISO 8601 string, epoch milliseconds (int or float) or a datetime, "
        f"got a {type(value).__name__}: {value!r}"
    )


class UtilsBase:
    """Helpers of the JS SDK's ``utils`` namespace (``client.utils``)."""

    client: Any

    def __init__(self, client: Any) -> None:
        self.client = client

    def changeBinaryUnit(self, value: Any, targetUnit: Any = "g", defaultUnit: Any = "b") -> Any:
        """Convert a size between binary units (powers of 1024).

        ``value`` is a number or text: a trailing unit letter (``b``, ``k``,
        ``m``, ``g``, ``t``, ``p``) names its unit, as does a space-separated
        ``B``/``KiB``/``MiB``/``GiB``/``TiB``/``PiB`` (``"1 GiB"``); otherwise it
        is in ``defaultUnit``. The result is ``value`` expressed in
        ``targetUnit`` (``b`` to ``p``, or ``auto``, which JS treats as one
        step above ``p``), as a float. ``UNDEFINED`` for targetUnit or
        defaultUnit means the default, as in JS.

        JS results kept as they are:

        * ``value`` is ``UNDEFINED``: returns ``UNDEFINED``.
        * ``targetUnit`` is not one of the lower-case units above (``'G'``,
          ``'GiB'``, ``None``): returns ``False``.
        * a ``defaultUnit`` JS does not know counts as one step below ``b``
          (``changeBinaryUnit(1, 'b', 'x')`` is ``1/1024``).
        * after a space only the ``*iB`` spellings count, and the rest of the
          text after the first space is dropped: ``"1.5 g"`` is 1.5 in
          ``defaultUnit``, ``"1 GiB extra"`` is 1 GiB.
        * the number is read with JS ``Number()`` once the unit is removed:
          ``"abc"`` and ``"1G"`` (unit letters are case-sensitive) give NaN,
          ``""`` gives 0, ``"0x10k"`` 16 KiB, ``"Infinity"`` infinity;
          ``True`` reads as ``"true"`` (NaN) and a list as its
          comma-joined text, as ``value.toString()`` does.
        * ``-0.0`` is printed as ``"0"`` first, so the result is ``0.0``.

        Raises TypeError where JS throws: ``value`` is ``None`` (with a known
        ``targetUnit``), or an object with its own ``toString`` key.
        """
        if value is UNDEFINED:
            return UNDEFINED
        if targetUnit is UNDEFINED:
            targetUnit = "g"
        if defaultUnit is UNDEFINED:
            defaultUnit = "b"
        if not (isinstance(targetUnit, str) and targetUnit in _BINARY_UNITS):
            return False
        if value is None:
            raise TypeError("changeBinaryUnit: value is None (JS: TypeError: Cannot read properties of null "
                            "(reading 'toString'))")
        if isinstance(value, Mapping) and "toString" in _own_keys(value):
            raise TypeError("changeBinaryUnit: value has its own 'toString' key (JS: TypeError: "
                            "value.toString is not a function)")
        text = js_string(value, "changeBinaryUnit: value")
        if " " in text:
            parts = _JS_SPACE_RUN.split(text)
            if parts[2] in _B_BINARY_UNITS:
                text = parts[0] + _BINARY_UNITS[_B_BINARY_UNITS.index(parts[2])]
            else:
                text = parts[0]
        if text and text[-1] in _BINARY_UNITS:
            source_unit: Any = text[-1]
            text = text[:-1]
        else:
            source_unit = defaultUnit
        source_index = _BINARY_UNITS.index(source_unit) if isinstance(source_unit, str) and \
            source_unit in _BINARY_UNITS else -1
        exponent = source_index - _BINARY_UNITS.index(targetUnit)
        return to_number(text) * math.ldexp(1.0, 10 * exponent)

    def elapsedTime(self, start: Any, end: Any) -> str:
        """The time from ``start`` to ``end`` as ``'[D Day ]HH:MM:SS'``.

        ``end=None`` means now. Supported inputs (what a Backend.AI server
        returns, and their Python forms):

        * ISO 8601 strings: ``YYYY``, ``YYYY-MM``, ``YYYY-MM-DD`` (UTC),
          optionally with ``THH:mm``, ``THH:mm:ss`` or ``THH:mm:ss.fff`` (any
          number of fraction digits; digits past milliseconds are cut off,
          as in V8) and ``Z``/``z``, ``+HH:MM``, ``-HH:MM``, ``+HHMM``,
          ``-HHMM``. A date-time without an offset is local time (the
          machine's time zone, as JS; a skipped wall time uses the offset
          before the change, a repeated one the earlier instant), supported
          for years 0001-9999. ``T`` may be ``t``, or a space when the date is
          complete and the year is at least 0100 (``str(datetime)`` of a
          server). Years ``+YYYYYY``/``-YYYYYY`` work too. A day past the end
          of its month rolls over (``2021-02-30`` is 2021-03-02), as in V8.
        * epoch milliseconds as int or float (fractions truncated toward
          zero, as JS's TimeClip).
        * ``datetime`` objects (JS Date): aware ones as their instant, naive
          ones as local time like an ISO string without offset (``fold`` is
          ignored); microseconds are floored to milliseconds.

        Everything else raises instead of returning JS's ``'NaN:NaN:NaN'``
        (Invalid Date) or a time from 1970: ValueError for strings outside
        these forms, fields out of range (month 13, 25:00, 24:01), times beyond
        JS's +-8.64e15 ms, NaN and infinite numbers; TypeError for ``None`` as
        start (JS reads it as 1970), ``UNDEFINED``, booleans and other types.

        As in JS: seconds are floored; when ``end`` is before ``start`` the
        result wraps (one second before is ``'23:59:59'``, days hidden).
        """
        start_ms = _date_ms(start, "elapsedTime: start")
        if end is None:
            end_ms = time.time_ns() // 1_000_000
        else:
            end_ms = _date_ms(end, "elapsedTime: end")
        # The arithmetic of the JS code, on doubles.
        seconds_total = float(math.floor((float(end_ms) - float(start_ms)) / 1000))
        seconds_cumulative = seconds_total
        days = float(math.floor(seconds_cumulative / 86400))
        seconds_cumulative = seconds_cumulative - days * 86400
        hours = float(math.floor(seconds_cumulative / 3600))
        seconds_cumulative = seconds_cumulative - hours * 3600
        minutes = float(math.floor(seconds_cumulative / 60))
        seconds_cumulative = seconds_cumulative - minutes * 60
        seconds = seconds_cumulative
        result = ""
        if days > 0:
            result = result + js_number_to_string(days) + " Day "
        result = result + self._padding_zeros(hours, 2) + ":"
        result = result + self._padding_zeros(minutes, 2) + ":"
        return result + self._padding_zeros(seconds, 2) + ""

    def _padding_zeros(self, n: Any, width: Any) -> str:
        """``n`` as text (JS ``n + ''``), left-padded with ``'0'`` to ``width`` characters.

        Text at least ``width`` long (in UTF-16 code units, as JS counts) is
        returned unchanged, as is anything when ``width`` is ``-Infinity``.
        ``width`` is converted as JS does (``'3'`` is 3, ``None`` is 0).

        Raises ValueError where JS throws a RangeError: padding needed and
        ``width`` not a whole number (NaN, ``UNDEFINED``, ``2.5``,
        ``Infinity``), or a result longer than V8's maximum string length
        (2**29 - 24). TypeError for an object with its own ``toString``.
        """
        text = js_string(n, "_padding_zeros: n")
        length = _utf16_length(text)
        target = _to_js_number(width, "_padding_zeros: width")
        if length >= target:
            return text
        array_length = target - length + 1
        if not (math.isfinite(array_length) and array_length == int(array_length)
                and 0 <= array_length <= _MAX_ARRAY_LENGTH):
            raise ValueError(
                f"_padding_zeros: width {width!r} is not a usable length (JS: RangeError: Invalid array length)"
            )
        if target > _JS_MAX_STRING_LENGTH:
            raise ValueError(
                f"_padding_zeros: width {width!r} exceeds the longest JS string "
                f"({_JS_MAX_STRING_LENGTH}; JS: RangeError: Invalid string length)"
            )
        return "0" * (int(array_length) - 1) + text

    def clamp(self, value: Any, min: Any, max: Any) -> float:  # noqa: A002 - the JS parameter names
        """Limit ``value`` to the range ``[min, max]``: ``Math.max(min, Math.min(value, max))``.

        Arguments are converted with JS ``Number()`` (``'5'`` is 5, ``None``
        0, ``UNDEFINED`` NaN); the result is a float. As in JS: any NaN gives
        NaN, ``min`` wins when ``min > max``, and ``-0.0`` counts as below
        ``0.0``. TypeError for an object with its own ``toString``.
        """
        low = _js_min(_to_js_number(value, "clamp: value"), _to_js_number(max, "clamp: max"))
        return _js_max(_to_js_number(min, "clamp: min"), low)

    def gqlToObject(self, array: Any, key: Any) -> JSObject:
        """Index a list of GraphQL result objects by one of their fields.

        Returns a dict (``JSObject``) from ``String(element[key])`` to the
        element; a later element with the same value replaces the earlier one
        at its position; keys are in JS order (integer-like keys ascending
        first). As in JS, an element without the field is stored under
        ``'undefined'``, a null field under ``'null'``, a number under its JS
        spelling (``1.0`` is ``'1'``).

        Raises TypeError when ``array`` is not a list/tuple, or an element is
        ``None``/``UNDEFINED`` (JS throws for both) or not a dict (JS would
        read a property of a string, number or array; not supported).
        ValueError when an element lacks ``key`` and ``key`` names a member of
        ``Object.prototype`` (``'toString'``, ``'constructor'``...), which JS
        would read instead of data. Not mirrored: a value ``'__proto__'`` is
        an ordinary key here; JS replaces the result's prototype and loses
        the element.
        """
        if not isinstance(array, (list, tuple)):
            raise TypeError(f"gqlToObject: array must be a list, got {type(array).__name__} "
                            "(JS: TypeError: array.forEach is not a function)")
        result: dict[str, Any] = {}
        for element in array:
            value = _js_get(element, key, "gqlToObject")
            result[js_string(value, "gqlToObject: the key value of an element")] = element
        return JSObject((k, result[k]) for k in object_keys(result))

    def gqlToList(self, array: Any, key: Any) -> list[Any]:
        """The ``key`` field of every object in a list of GraphQL results, in order.

        A missing field is ``UNDEFINED``, as in JS. Raises like
        ``gqlToObject`` for arrays and elements that are not lists and dicts.
        """
        if not isinstance(array, (list, tuple)):
            raise TypeError(f"gqlToList: array must be a list, got {type(array).__name__} "
                            "(JS: TypeError: array.forEach is not a function)")
        return [_js_get(element, key, "gqlToList") for element in array]
