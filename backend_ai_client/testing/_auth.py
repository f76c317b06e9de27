"""Server-side signature verification, as the Backend.AI manager performs it.

Written from the manager's algorithm, not from the client's signing code, so
that a request the client signs wrongly fails here as it would on a real
manager: the manager takes the raw ``X-BackendAI-Date`` text, the ``Host``
header it received, the MIME type of ``Content-Type`` without parameters, the
raw path with its query, and hashes the body only for API versions that sort
below ``v4.20181215`` and never for multipart bodies.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

__all__ = ["MAX_CLOCK_SKEW", "Verdict", "verify_request"]

MAX_CLOCK_SKEW = timedelta(minutes=15)
_AUTH = re.compile(r"^BackendAI signMethod=([^,]+), credential=([^:]+):([0-9a-fA-F]+)$")


@dataclass(frozen=True)
class Verdict:
    ok: bool
    access_key: str | None
    reason: str  # "" when ok; otherwise what a manager would complain about

    def __bool__(self) -> bool:
        return self.ok


def _header(headers: Mapping[str, str], name: str) -> str | None:
    lname = name.lower()
    for key, value in headers.items():
        if key.lower() == lname:
            return value
    return None


def _parse_date(text: str) -> datetime | None:
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value


def verify_request(
    method: str,
    raw_path: str,
    headers: Mapping[str, str],
    body: bytes,
    secret_keys: Mapping[str, str],
    now: datetime | None = None,
) -> Verdict:
    """Check one request's signature. ``raw_path`` is the path with its query, as received."""
    auth = _header(headers, "Authorization")
    if auth is None:
        return Verdict(False, None, "missing Authorization header")
    m = _AUTH.match(auth)
    if not m:
        return Verdict(False, None, f"malformed Authorization header: {auth[:60]!r}")
    sign_method, access_key, received_sig = m.groups()
    try:
        mac_type, hash_type = sign_method.lower().split("-")
    except ValueError:
        return Verdict(False, access_key, f"unknown sign method {sign_method!r}")
    if mac_type != "hmac" or hash_type not in hashlib.algorithms_guaranteed:
        return Verdict(False, access_key, f"unsupported sign method {sign_method!r}")
    secret = secret_keys.get(access_key)
    if secret is None:
        return Verdict(False, access_key, "unknown access key")
    # The manager reads Date first, then X-BackendAI-Date.
    raw_date = _header(headers, "Date") or _header(headers, "X-BackendAI-Date")
    if raw_date is None:
        return Verdict(False, access_key, "missing X-BackendAI-Date header")
    date = _parse_date(raw_date)
    if date is None:
        return Verdict(False, access_key, f"unparsable date {raw_date!r}")
    now = now or datetime.now(timezone.utc)
    if abs(now - date) > MAX_CLOCK_SKEW:
        return Verdict(False, access_key, f"date/time sync error: request {raw_date}, server {now.isoformat()}")
    api_version = _header(headers, "X-BackendAI-Version")
    if api_version is None:
        return Verdict(False, access_key, "missing X-BackendAI-Version header")
    host = _header(headers, "Host") or ""
    content_type = (_header(headers, "Content-Type") or "application/octet-stream").split(";")[0].strip().lower()
    if api_version < "v4.20181215" and not content_type.startswith("multipart/form-data"):
        hashed = body
    else:
        hashed = b""
    body_hash = hashlib.new(hash_type, hashed).hexdigest()
    string_to_sign = (
        f"{method}\n{raw_path}\n{raw_date}\nhost:{host}\ncontent-type:{content_type}\n"
        f"x-backendai-version:{api_version}\n{body_hash}"
    ).encode()
    key = hmac.new(secret.encode(), date.strftime("%Y%m%d").encode(), hash_type).digest()
    key = hmac.new(key, host.encode(), hash_type).digest()
    expected = hmac.new(key, string_to_sign, hash_type).hexdigest()
    if not hmac.compare_digest(expected, received_sig.lower()):
        return Verdict(False, access_key, "Signature mismatch")
    return Verdict(True, access_key, "")
