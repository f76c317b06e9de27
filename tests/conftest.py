"""Shared test configuration: the JS oracle fixture and the hypothesis profiles.

* ``oracle`` (session scope): one ``node tests/js/harness.js`` process for the
  whole session (see ``tests/oracle.py``). It is available when ``node`` is on
  PATH and ``tests/js/node_modules/backend.ai-client`` is installed
  (``cd tests/js && npm ci``). Under CI (``CI=true``) an unavailable oracle is
  an error (the fixture fails loudly); elsewhere tests that use it are skipped
  with the reason, and the committed-vector tests still run.
* Hypothesis profiles: ``ci`` (2000 examples, no deadline; loaded when
  ``CI=true``) and ``dev`` (200 examples, no deadline; the default).
  ``HYPOTHESIS_PROFILE=<name>`` overrides the choice.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

TESTS_DIR = Path(__file__).resolve().parent
if str(TESTS_DIR) not in sys.path:
    sys.path.insert(0, str(TESTS_DIR))

from oracle import NodeOracle, in_ci, oracle_unavailable_reason  # noqa: E402

settings.register_profile(
    "ci",
    max_examples=2000,
    deadline=None,
    derandomize=False,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", max_examples=200, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if in_ci() else "dev"))


def pytest_report_header(config: pytest.Config) -> list[str]:
    reason = oracle_unavailable_reason()
    profile = settings._current_profile  # type: ignore[attr-defined]
    if reason is None:
        try:
            version = subprocess.run(["node", "--version"], capture_output=True, text=True, timeout=10).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            version = "?"
        line = f"JS oracle: available (node {version}, backend.ai-client@21.3.1 in tests/js/node_modules)"
    elif in_ci():
        line = f"JS oracle: UNAVAILABLE under CI -- oracle tests will FAIL: {reason}"
    else:
        line = f"JS oracle: unavailable -- oracle tests will be skipped: {reason}"
    return [line, f"hypothesis profile: {profile}"]


@pytest.fixture(scope="session")
def oracle():
    """The live JS SDK (one Node process per session)."""
    reason = oracle_unavailable_reason()
    if reason is not None:
        if in_ci():
            pytest.fail(f"JS oracle required under CI=true but unavailable: {reason}", pytrace=False)
        pytest.skip(f"JS oracle unavailable: {reason}")
    js = NodeOracle()
    try:
        yield js
    finally:
        js.close()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests that use the live JS SDK get the ``oracle`` marker (``-m "not oracle"`` deselects them)."""
    for item in items:
        if "oracle" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.oracle)
