"""HMAC request signing, split into the pure steps the JS SDK performs.

Each function is one step of ``Client.newSignedRequest`` in the JS SDK so that
tests can compare every intermediate value with the JS SDK's.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timezone

__all__ = [
    "authentication_string",
    "body_hash",
    "iso_date",
    "sign",
    "sign_key",
    "signature",
    "utc_day",
]


def iso_date(now: datetime) -> str:
    """JS ``Date.prototype.toISOString()``: UTC, milliseconds, ``Z``."""
    now = now.astimezone(timezone.utc)
    return (
        f"{now.year:04d}-{now.month:02d}-{now.day:02d}T{now.hour:02d}:{now.minute:02d}:{now.second:02d}."
        f"{now.microsecond // 1000:03d}Z"
    )


def utc_day(now: datetime) -> str:
    """``getCurrentDate``: YYYYMMDD of the instant in UTC."""
    now = now.astimezone(timezone.utc)
    return f"{now.year:04d}{now.month:02d}{now.day:02d}"


def body_hash(hash_type: str, body_text: str | bytes) -> str:
    data = body_text.encode("utf-8") if isinstance(body_text, str) else body_text
    return hashlib.new(hash_type, data).hexdigest()


def authentication_string(
    method: str,
    path_and_query: str,
    date_value: str,
    host: str,
    content_type: str,
    api_version: str,
    body_digest: str,
) -> str:
    return "\n".join(
        [
            method,
            path_and_query,
            date_value,
            "host:" + host,
            "content-type:" + content_type,
            "x-backendai-version:" + api_version,
            body_digest,
        ]
    )


def sign(hash_type: str, key: bytes, msg: str | bytes) -> bytes:
    data = msg.encode("utf-8") if isinstance(msg, str) else msg
    return hmac.new(key, data, hash_type).digest()


def sign_key(hash_type: str, secret_key: str, now: datetime, host: str) -> bytes:
    k1 = sign(hash_type, secret_key.encode("utf-8"), utc_day(now))
    return sign(hash_type, k1, host)


def signature(hash_type: str, key: bytes, auth_string: str) -> str:
    return sign(hash_type, key, auth_string).hex()
