"""The Client surface: the JS 21.3.1 members, names and parameters (from the spec)."""

from __future__ import annotations

import inspect
import json
from pathlib import Path

import backend_ai_client as ai
from backend_ai_client._core import ClientCore

ROOT = Path(__file__).resolve().parent.parent
SPEC = json.loads((ROOT / "api_spec.json").read_text())

# The Client members of backend.ai-client 21.3.1, as enumerated from a live JS
# instance (Object.getOwnPropertyNames of the prototype, constructor excluded).
JS_CLIENT_MEMBERS = sorted(
    "managerVersion apiVersion _wrapWithPromise getServerVersion APIMajorVersion get_manager_version supports "
    "_updateFieldCompatibilityByAPIVersion _updateSupportList isManagerVersionCompatibleWith "
    "isAPIVersionCompatibleWith check_login login logout token_login signout update_full_name update_password "
    "get_resource_slots createIfNotExists createSessionFromTemplate get_info get_logs getTaskLogs destroy restart "
    "execute createKernel destroyKernel refreshKernel runCode shutdown_service upload download download_single "
    "mangleUserAgentSignature query newSignedRequest newUnsignedRequest newPublicRequest getAuthenticationString "
    "getCurrentDate sign getSignKey generateSessionId slugify fetchSSHKeypair refreshSSHKeypair".split()
)


def test_spec_lists_exactly_the_js_client_members() -> None:
    assert len(JS_CLIENT_MEMBERS) == 48
    assert sorted(SPEC["client"]["members"]) == JS_CLIENT_MEMBERS


def test_every_member_exists_with_the_spec_parameters() -> None:
    for name, entry in SPEC["client"]["members"].items():
        member = inspect.getattr_static(ai.Client, name)
        if entry["kind"] == "property":
            assert isinstance(member, property), name
            assert (member.fset is not None) == ("setterHook" in entry), name
            continue
        params = [  # keyword-only parameters are Python-only extras
            p for p in list(inspect.signature(getattr(ai.Client, name)).parameters.values())[1:]
            if p.kind is not inspect.Parameter.KEYWORD_ONLY
        ]
        assert [p.name for p in params] == [p["name"] for p in entry["params"]], name
        for p, spec_p in zip(params, entry["params"]):
            has_default = "default" in spec_p or spec_p.get("optional", False)
            assert (p.default is not inspect.Parameter.empty) == has_default, (name, p.name)


def test_runtime_members_live_in_the_hand_written_core() -> None:
    for name, entry in SPEC["client"]["members"].items():
        if entry["kind"] == "runtime":
            assert name in ClientCore.__dict__, f"{name} is a runtime member but ClientCore does not define it"


def test_exports_and_error_constants() -> None:
    assert ai.backend.Client is ai.Client is ai.BackendAIClient
    assert ai.backend.ClientConfig is ai.ClientConfig is ai.BackendAIClientConfig
    assert ai.backend.BackendAIError is ai.BackendAIError
    codes = {name: entry["code"] for name, entry in SPEC["errors"].items()}
    assert codes == {"ERR_SERVER": 0, "ERR_RESPONSE": 1, "ERR_REQUEST": 2, "ERR_ABORT": 3, "ERR_TIMEOUT": 4,
                     "ERR_UNKNOWN": 99}
    for name, code in codes.items():
        assert getattr(ai.backend.Client, name) == code
    for cls in (ai.ServerError, ai.ResponseError, ai.RequestError, ai.AbortError, ai.RequestTimeoutError,
                ai.UnknownError):
        assert issubclass(cls, ai.BackendAIError)
    assert ai.ServerError.type == ai.Client.ERR_SERVER and ai.RequestTimeoutError.type == ai.Client.ERR_TIMEOUT


def test_hooks_named_in_the_spec_exist() -> None:
    import importlib

    from backend_ai_client import _hooks

    for name in SPEC["hooks"]:
        module, _, function = name.rpartition(".")
        owner = importlib.import_module(f"backend_ai_client._hooks.{module}") if module else _hooks
        assert callable(getattr(owner, function, None)), name
