"""Test helpers: a local Backend.AI-compatible manager and server-side signature checks."""

from ._auth import MAX_CLOCK_SKEW, Verdict, verify_request
from ._manager import LocalManager, LocalSession, RequestRecord

__all__ = ["MAX_CLOCK_SKEW", "LocalManager", "LocalSession", "RequestRecord", "Verdict", "verify_request"]
