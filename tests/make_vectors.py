#!/usr/bin/env python
"""Regenerate the committed JS-oracle vectors in tests/vectors/ from the live JS SDK.

    cd /work/main && .venv/bin/python tests/make_vectors.py [--seed 20210301] [--count 300]

Needs Node and the JS SDK (``cd tests/js && npm ci``). The inputs come from a
``random.Random(seed)``, so for a given seed (and SDK version) the files are
byte-for-byte identical; they are pretty-printed with sorted keys. Values that
JSON cannot hold (undefined, NaN, +-Infinity, -0) use the oracle's
``$``-encodings (tests/oracle.py); request bodies and stringify inputs are
stored as JSON *text* so that sorting the file's keys does not reorder them.

Files: authString.json, signKey.json, signedRequest.json, stringify.json,
querystring.json, numbers.json, parse.json. They are read by the ``*_vectors``
tests in tests/test_signing_oracle.py and tests/test_jsjson_oracle.py, which
run with or without Node.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import math
import random
import string
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

TESTS_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(TESTS_DIR))

from oracle import JS_UNDEFINED, NodeOracle, encode, epoch_ms, js_iso  # noqa: E402

VECTORS = TESTS_DIR / "vectors"
SDK = "backend.ai-client@21.3.1"
DEFAULT_SEED = 20210301
UNDEF = JS_UNDEFINED  # encoded as {"$undefined": true}

INT_LIKE_KEYS = ["0", "1", "2", "10", "11", "007", "01", "-1", "1.5", "4294967294", "4294967295", "4294967296",
                 "9007199254740993", "1e3"]
URL_SAFE = string.ascii_letters + string.digits + "-._~!$&'()*+,;=:@"
WHITESPACE = [" ", "\t", "\n", "\xa0", "\ufeff", "\u1680", "\u2000", "\u2028", "\u3000", "\x1c", "\x85", "\u200b"]


class Gen:
    def __init__(self, seed: int) -> None:
        self.r = random.Random(seed)

    # text -------------------------------------------------------------------
    def char(self, kind: str) -> str:
        r = self.r
        if kind == "ascii":
            return chr(r.randint(0x20, 0x7E))
        if kind == "latin1":
            return chr(r.choice([r.randint(0x20, 0x7E), r.randint(0xA0, 0xFF), r.randint(0x80, 0x9F)]))
        if kind == "control":
            return chr(r.randint(0, 0x3F))
        # any code point but surrogates
        pick = r.random()
        if pick < 0.4:
            return chr(r.randint(0x20, 0x7E))
        if pick < 0.5:
            return chr(r.randint(0, 0x1F))
        if pick < 0.8:
            c = r.randint(0xA0, 0xFFFD)
            return chr(c) if not 0xD800 <= c <= 0xDFFF else "\u00e9"
        return chr(r.randint(0x10000, 0x10FFFF))

    def text(self, kind: str, lo: int, hi: int) -> str:
        return "".join(self.char(kind) for _ in range(self.r.randint(lo, hi)))

    # signing inputs -----------------------------------------------------------
    def access_key(self) -> str:
        kind = self.r.choice(["ascii", "latin1", "akia"])
        if kind == "akia":
            return "AKIA" + "".join(self.r.choice(string.ascii_uppercase + string.digits) for _ in range(16))
        return self.text(kind, 1, 24)

    def secret_key(self) -> str:
        return self.text(self.r.choice(["ascii", "any"]), 1, 40)

    def endpoint(self) -> str:
        r = self.r
        kind = r.choice(["dns", "dns", "ipv4", "ipv6", "localhost"])
        if kind == "dns":
            labels = []
            for _ in range(r.randint(1, 4)):
                n = r.randint(1, 12)
                body = "".join(r.choice(string.ascii_letters + string.digits + "-") for _ in range(n))
                labels.append(r.choice(string.ascii_lowercase) + body.strip("-") + r.choice(string.digits + "abc"))
            host = ".".join(labels)
        elif kind == "ipv4":
            host = str(ipaddress.IPv4Address(r.getrandbits(32)))
        elif kind == "ipv6":
            bits = r.getrandbits(128) if r.random() < 0.5 else r.getrandbits(16)
            host = f"[{ipaddress.IPv6Address(bits)}]"
        else:
            host = "localhost"
        port = "" if r.random() < 0.4 else f":{r.randint(1, 65535)}"
        return f"{r.choice(['http', 'https'])}://{host}{port}"

    def method(self) -> str:
        return self.r.choice(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"])

    def path(self) -> str:
        r = self.r
        if r.random() < 0.2:
            return r.choice(["/", "/kernel/create", "/folders", "/admin/graphql", "/server/login"])
        segs = []
        for _ in range(r.randint(0, 5)):
            kind = r.random()
            if kind < 0.5:
                segs.append("".join(r.choice(URL_SAFE) for _ in range(r.randint(1, 10))))
            elif kind < 0.75:
                segs.append(r.choice(["%20", "%2F", "%25", "%3F", "%E2%82%AC", "%ED%95%9C", "%zz", "%"]))
            else:
                segs.append(self.text("any", 1, 5).replace("?", "_").replace("#", "_"))
        p = "/" + "/".join(segs)
        if r.random() < 0.5:
            pairs = [(self.text(r.choice(["ascii", "any"]), 0, 6), self.text(r.choice(["ascii", "any"]), 0, 8))
                     for _ in range(r.randint(0, 4))]
            p += "?" + "&".join(f"{k}={v}" for k, v in pairs)
        return p

    def api_version(self) -> str:
        r = self.r
        if r.random() < 0.5:
            return r.choice(["v3.20170615", "v4.20190615", "v6.20220615", "v4.20181215", "v5.20191215"])
        d = datetime(2015, 1, 1) + timedelta(days=r.randint(0, 16 * 365))
        return f"v{r.randint(1, 12)}.{d:%Y%m%d}"

    def instant(self) -> datetime:
        r = self.r
        lo = 0
        hi = int((datetime(2101, 1, 1, tzinfo=timezone.utc) - datetime(1970, 1, 1, tzinfo=timezone.utc)).total_seconds())
        dt = datetime(1970, 1, 1, tzinfo=timezone.utc) + timedelta(seconds=r.randint(lo, hi - 1),
                                                                   microseconds=r.randint(0, 999_999))
        tz = timezone.utc if r.random() < 0.5 else timezone(timedelta(minutes=r.randint(-14 * 60, 14 * 60)))
        return dt.astimezone(tz)

    def agent_signature(self) -> str | None:
        r = self.r
        if r.random() < 0.6:
            return None
        return r.choice(["webui", "bai-cli 23.09"]) if r.random() < 0.5 else (
            r.choice(string.ascii_letters) + "".join(r.choice(string.ascii_letters + " ./-") for _ in range(8))
            + r.choice(string.ascii_letters))

    # JSON values --------------------------------------------------------------
    def number(self) -> Any:
        r = self.r
        pick = r.random()
        if pick < 0.15:
            return r.choice([0.0, -0.0, 5e-324, 1.7976931348623157e308, 1e21, 1e-7, 1e-6, 1e20, 0.1 + 0.2, 1.5e-7,
                             math.nan, math.inf, -math.inf, 9007199254740993.0, 1e300, 123456789012345680000.0])
        if pick < 0.35:
            return r.randint(-(2**53), 2**53)
        if pick < 0.45:
            return r.randint(-(2**64), 2**64)
        if pick < 0.65:
            return round(r.uniform(-1e6, 1e6), r.randint(0, 4))
        if pick < 0.85:
            return r.uniform(-1, 1) * 10 ** r.randint(-30, 30)
        bits = r.getrandbits(64)
        return float.fromhex("0x1.%013xp%d" % (bits & ((1 << 52) - 1), r.randint(-1074, 1023)))

    def scalar(self) -> Any:
        r = self.r
        pick = r.random()
        if pick < 0.1:
            return None
        if pick < 0.2:
            return r.random() < 0.5
        if pick < 0.5:
            return self.number()
        if pick < 0.6:
            return self.text("control", 0, 6)
        return self.text(r.choice(["ascii", "any"]), 0, 12)

    def key(self) -> str:
        r = self.r
        if r.random() < 0.4:
            return r.choice(INT_LIKE_KEYS)
        if r.random() < 0.2:
            return str(r.randint(0, 2**33))
        k = self.text(r.choice(["ascii", "any"]), 0, 8)
        return k if not k.startswith("$") else "_" + k

    def json_value(self, depth: int = 0) -> Any:
        r = self.r
        if depth >= 3 or r.random() < 0.5:
            return self.scalar()
        if r.random() < 0.5:
            return [self.member(depth + 1) for _ in range(r.randint(0, 5))]
        return {self.key(): self.member(depth + 1) for _ in range(r.randint(0, 6))}

    def member(self, depth: int) -> Any:
        return UNDEF if self.r.random() < 0.08 else self.json_value(depth)

    def body(self) -> Any:
        r = self.r
        pick = r.random()
        if pick < 0.15:
            return None
        if pick < 0.75:
            return {self.key(): self.json_value(1) for _ in range(r.randint(0, 6))}
        return self.json_value(0)

    def qs_scalar(self) -> Any:
        r = self.r
        pick = r.random()
        if pick < 0.1:
            return None
        if pick < 0.2:
            return r.random() < 0.5
        if pick < 0.45:
            return self.number()
        return self.text(r.choice(["ascii", "any"]), 0, 10)

    def qs_object(self) -> dict[str, Any]:
        r = self.r
        out: dict[str, Any] = {}
        for _ in range(r.randint(0, 8)):
            pick = r.random()
            if pick < 0.2:
                value: Any = [self.qs_scalar() for _ in range(r.randint(0, 4))]
            elif pick < 0.25:
                value = {"a": self.qs_scalar()}
            else:
                value = self.qs_scalar()
            out[self.key()] = value
        return out

    def parse_input(self) -> Any:
        r = self.r
        pick = r.random()
        if pick < 0.2:
            return self.number()
        if pick < 0.35:
            return self.text("any", 0, 8)
        ws = "".join(r.choice(WHITESPACE) for _ in range(r.randint(0, 2)))
        sign = r.choice(["", "", "+", "-"])
        prefix = r.choice(["", "", "", "0x", "0X", "0"])
        digits = "".join(r.choice(string.digits) for _ in range(r.randint(0, 22)))
        frac = "" if r.random() < 0.5 else "." + "".join(r.choice(string.digits) for _ in range(r.randint(0, 6)))
        exp = "" if r.random() < 0.7 else r.choice("eE") + r.choice(["", "+", "-"]) + str(r.randint(0, 400))
        tail = r.choice(["", "", "abc", "x", " 1", "٣", "_1", "Infinity"])
        special = r.choice(["", "", "", "", "Infinity", "-Infinity", "١٢٣", "１２"])
        return ws + (special or (sign + prefix + digits + frac + exp)) + tail


def number_repr(x: Any) -> str:
    return str(x) if isinstance(x, int) else repr(x)


def dump(name: str, seed: int, cases: list[dict[str, Any]]) -> None:
    data = {
        "_comment": f"Generated by `.venv/bin/python tests/make_vectors.py --seed {seed}` from the live JS SDK "
                    f"({SDK}); do not edit by hand.",
        "sdk": SDK,
        "seed": seed,
        "count": len(cases),
        "cases": cases,
    }
    text = json.dumps(data, indent=2, sort_keys=True, ensure_ascii=True) + "\n"
    (VECTORS / f"{name}.json").write_text(text, encoding="utf-8")
    print(f"wrote {VECTORS / (name + '.json')} ({len(cases)} cases)")


def as_text(value: Any) -> str:
    """JSON text of the $-encoded value; key order kept (not sorted)."""
    return json.dumps(encode(value), ensure_ascii=False)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument("--count", type=int, default=300, help="cases per file (default 300)")
    args = ap.parse_args(argv)
    n = args.count
    VECTORS.mkdir(exist_ok=True)

    with NodeOracle() as js:
        # authString
        g = Gen(args.seed * 10 + 1)
        inputs = []
        for _ in range(n):
            dt = g.instant()
            body_text = "" if g.r.random() < 0.3 else (
                g.text("any", 0, 30) if g.r.random() < 0.3 else json.dumps(g.body(), ensure_ascii=False, default=str))
            inputs.append({
                "accessKey": g.access_key(), "secretKey": g.secret_key(), "endpoint": g.endpoint(),
                "apiVersion": g.api_version(), "method": g.method(), "queryString": g.path(),
                "dateValue": js_iso(dt) if g.r.random() < 0.8 else g.text("any", 0, 20),
                "bodyValue": body_text,
                "contentType": g.r.choice(["application/json", "application/json", "multipart/form-data",
                                           g.text("ascii", 0, 20)]),
            })
        outs = js.call_many("authString", [
            {"config": {"accessKey": a["accessKey"], "secretKey": a["secretKey"], "endpoint": a["endpoint"],
                        "apiVersion": a["apiVersion"]},
             "method": a["method"], "queryString": a["queryString"], "dateValue": a["dateValue"],
             "bodyValue": a["bodyValue"], "contentType": a["contentType"]}
            for a in inputs])
        dump("authString", args.seed, [{"input": a, "expected": o} for a, o in zip(inputs, outs)])

        # signKey (+ getCurrentDate)
        g = Gen(args.seed * 10 + 2)
        inputs = [{"accessKey": g.access_key(), "secretKey": g.secret_key(), "endpoint": g.endpoint(),
                   "now": g.instant().isoformat()} for _ in range(n)]
        cfgs = [{"config": {"accessKey": a["accessKey"], "secretKey": a["secretKey"], "endpoint": a["endpoint"]},
                 "now": epoch_ms(datetime.fromisoformat(a["now"]))} for a in inputs]
        keys = js.call_many("signKey", [{**c, "secretKey": a["secretKey"]} for c, a in zip(cfgs, inputs)])
        days = js.call_many("currentDate", cfgs)
        dump("signKey", args.seed, [{"input": a, "expected": {"key": k, "day": d}}
                                    for a, k, d in zip(inputs, keys, days)])

        # signedRequest
        g = Gen(args.seed * 10 + 3)
        inputs = []
        for _ in range(n):
            a = {"accessKey": g.access_key(), "secretKey": g.secret_key(), "endpoint": g.endpoint(),
                 "apiVersion": g.api_version(), "method": g.method(), "queryString": g.path(),
                 "body_json": as_text(g.body()), "now": g.instant().isoformat()}
            sig = g.agent_signature()
            if sig is not None:
                a["agentSignature"] = sig
            inputs.append(a)
        calls = []
        for a in inputs:
            cfg = {"accessKey": a["accessKey"], "secretKey": a["secretKey"], "endpoint": a["endpoint"],
                   "apiVersion": a["apiVersion"]}
            if "agentSignature" in a:
                cfg["agentSignature"] = a["agentSignature"]
            calls.append({"config": cfg, "method": a["method"], "queryString": a["queryString"],
                          "body": json.loads(a["body_json"]), "now": epoch_ms(datetime.fromisoformat(a["now"]))})
        # bodies are already $-encoded: send them as raw JSON (encode() leaves them as they are)
        outs = js.call_many("signedRequest", calls)
        dump("signedRequest", args.seed, [{"input": a, "expected": encode(o)} for a, o in zip(inputs, outs)])

        # stringify
        g = Gen(args.seed * 10 + 4)
        values = []
        for i in range(n):
            if i % 3 == 0:
                values.append({g.key(): g.member(1) for _ in range(g.r.randint(0, 10))})
            else:
                values.append(g.json_value(0) if g.r.random() < 0.95 else UNDEF)
        outs = js.call_many("stringify", [{"value": v} for v in values])
        dump("stringify", args.seed, [{"input": {"value_json": as_text(v)}, "expected": encode(o)}
                                      for v, o in zip(values, outs)])

        # querystring
        g = Gen(args.seed * 10 + 5)
        values = [g.qs_object() for _ in range(n)]
        outs = js.call_many("querystring", [{"value": v} for v in values])
        dump("querystring", args.seed, [{"input": {"value_json": as_text(v)}, "expected": o}
                                        for v, o in zip(values, outs)])

        # numbers: String(x), JSON.stringify(x), x.toFixed(2)
        g = Gen(args.seed * 10 + 6)
        reprs = [number_repr(g.number()) for _ in range(n)]
        strs = js.call_many("stringifyNumber", [{"repr": s} for s in reprs])
        fixed = js.call_many("toFixed", [{"repr": s, "digits": 2} for s in reprs])
        dump("numbers", args.seed, [{"input": {"repr": s}, "expected": {"string": o["string"], "json": o["json"],
                                                                       "toFixed2": f}}
                                    for s, o, f in zip(reprs, strs, fixed)])

        # parseInt / parseFloat
        g = Gen(args.seed * 10 + 7)
        values = [g.parse_input() for _ in range(n)]
        ints = js.call_many("parseInt", [{"value": v} for v in values])
        floats = js.call_many("parseFloat", [{"value": v} for v in values])
        dump("parse", args.seed, [{"input": {"value": encode(v)},
                                   "expected": {"parseInt": encode(i), "parseFloat": encode(f)}}
                                  for v, i, f in zip(values, ints, floats)])
    return 0


if __name__ == "__main__":
    sys.exit(main())
