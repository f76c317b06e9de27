"""The real-manager integration suite: fixtures reading the stack that
`tests/integration/stack/up.sh` brought up (see `make test-integration`).

Without a running stack every test here is skipped with the reason printed
(pytest -ra); under `make test-integration` the stack is started first and a
missing stack is an error.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

import backend_ai_client as ai

STACK = Path(__file__).resolve().parent / "stack"
ENV_FILE = Path(os.environ.get("STACK_ENV", STACK / "env.json"))


def _stack_env() -> dict[str, Any]:
    if not ENV_FILE.exists():
        reason = f"no real-manager stack: {ENV_FILE} is missing (run `make test-integration`)"
        if os.environ.get("INTEGRATION_REQUIRED") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    return json.loads(ENV_FILE.read_text())


@pytest.fixture(scope="session")
def stack() -> dict[str, Any]:
    return _stack_env()


def make_client(stack: dict[str, Any], who: str = "admin", **state: Any) -> ai.Client:
    keys = stack[who]
    client = ai.Client(ai.ClientConfig(keys["access_key"], keys["secret_key"], stack["endpoint"]))
    client.requestTimeout = 20000
    for key, value in state.items():
        setattr(client, key, value)
    return client


@pytest.fixture()
def admin(stack: dict[str, Any]) -> ai.Client:
    client = make_client(stack, "admin")
    client.is_admin = client.is_superadmin = True
    return client


@pytest.fixture()
def user(stack: dict[str, Any]) -> ai.Client:
    return make_client(stack, "user")
