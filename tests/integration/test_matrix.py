"""The compatibility matrix: every member of the port that talks to the server,
called against the real Backend.AI manager 23.09.10 (API v7.20230615, with its
storage-proxy and no agents) brought up by tests/integration/stack/up.sh, and
the same call made by the JS SDK 21.3.1 through the Node harness.

Each row of ``ROWS`` names a member, the role that calls it, its arguments
(valid for this manager; every name created is unique, and everything created
is removed at the end), the outcome class the port must have, and, for every
row whose class is not "works", the reason. Classes:

* ``works``: a result, after at least one request;
* ``fails``: an error (the server's, quoted as ``err.message``, or one thrown
  by the SDK);
* ``needs an agent``: the server's error says the call needs a running
  container (here, for calls the manager forwards to the session's agent: the
  manager's agent lookup fails and it answers 500; see ``agent`` of a row);
* ``client-side``: settles without a request (a guard or a constant).

The port's class must equal the row's ``expect`` (so regressions fail), and the
JS SDK's must equal it too unless the row names why they differ: a row of the
README's "Differences from the JS SDK" table (checked to exist) or a limit of
the Node harness (it cannot build a Blob or FormData, nor set a namespace's
attribute). Where both fail, the messages must be equal too.

The client state: the port client calls get_manager_version() first (as JS
apps do) and the JS client gets the state that leaves on the port client
(``_apiVersion`` v7.20230615, ``_apiVersionMajor`` "7." -- JS's own
``substr(1, 2)`` of the version, which the port mirrors --, ``kernelPrefix``
/session, ``_managerVersion``) and ``is_admin``/``is_superadmin`` of the role.
Every call is bounded: ``requestTimeout`` and ``responseReadTimeout`` are
20 s, sessions are only ever created with enqueueOnly, and the image rescan
targets a registry on a closed loopback port.

The rows run in table order (create a folder before listing its files, and so
on); the port and the JS SDK each work on their own objects (``Side``). At the
end of the module, when every row ran, ``docs/compatibility.md`` is written:
sorted by member, with random names, ids, tokens and times replaced by
placeholders, so that regenerating it gives the same file; no key or password
is ever written.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import pytest
import requests

import backend_ai_client as ai
from oracle import JS_UNDEFINED, JSErrorValue

pytestmark = [pytest.mark.integration]

ROOT = Path(__file__).resolve().parents[2]
SPEC = json.loads((ROOT / "api_spec.json").read_text())
README = (ROOT / "README.md").read_text()
DOC = ROOT / "docs" / "compatibility.md"
MATRIX_KINDS = ("request", "graphql", "alias", "hook", "constant")
TIMEOUT_MS = 20000

WORKS, FAILS, AGENT, CLIENT = "works", "fails", "needs an agent", "client-side"
CLASSES = (WORKS, FAILS, AGENT, CLIENT)

#: The manager forwards the call to the session's agent; without one its agent
#: lookup raises and it answers "500 Internal Server Error".
AGENT_500 = r"\b500 Internal Server Error\b"

# Reasons used by several rows.
WEBSERVER = ("not a manager route: SESSION-mode call served by the separate Backend.AI webserver "
             "(`/server/*`), which this stack does not run")
CLOUD = "not a manager route: `/cloud/*` is served by the Backend.AI Cloud service, not by an open-source manager"
EDUAPP = "not a manager route: `/eduapp/*` is served by the EduApp service, not by an open-source manager"
GONE_USER_PASSWORD = ("server-side change: managers announcing v6.20220315 or later (23.09 too) have no "
                      "`User.password` in GraphQL; JS asks for it (\"Cannot query field 'password' on type 'User'.\"), "
                      "the port leaves it out there (version-aware fix in the spec)")
USER_PASSWORD_README = ("README: `user.get`, `user.list`, `user.create` on managers announcing API v6.20220315 "
                        "or later (22.03+)")
HARNESS_BLOB = ("harness: JS needs a browser Blob/FormData, which the Node harness cannot build "
                "(it passes a Buffer, which FormData.append rejects before anything is sent)")
NO_AGENT = ("the session is only queued (no agent runs it): the manager looks for the session's agent to forward "
            "the call to, finds none and answers 500")
HARNESS_NAME = ("harness: the port call sets `client.vfolder.name`; the Node harness cannot set a namespace "
                "attribute, so JS renames the folder `null`")


# ---- the two sides -------------------------------------------------------------
class Side:
    """The objects one side (``port`` or ``js``) works on; ``doc`` answers placeholders."""

    def __init__(self, key: str, fixed: dict[str, Any]) -> None:
        self.key = key
        self.v: dict[str, Any] = dict(fixed)

    def __getitem__(self, name: str) -> Any:
        if self.key == "doc" and name not in self.v:
            return f"<{name}>"
        if name not in self.v:
            raise KeyError(f"{self.key} side has no {name!r} (an earlier row or its preparation failed)")
        return self.v[name]

    def __setitem__(self, name: str, value: Any) -> None:
        self.v[name] = value

    def get(self, name: str, default: Any = None) -> Any:
        return self.v.get(name, default)


@dataclass
class Row:
    member: str
    who: str  # "admin" (admin and superadmin), "user" (the stack's normal user) or "temp" (a throw-away user per side)
    args: Callable[[Side], list[Any]]
    expect: str
    reason: str = ""  # why, for every row that is not "works" (and notes for some that are)
    label: str = ""  # tells two rows of one member apart
    js_expect: str | None = None  # the JS class when it differs from the port's ...
    allow: str = ""  # ... and why: "README: <area>" (a row of the README table) or "harness: ..."
    js_args: Callable[[Side], list[Any]] | None = None
    prep: Callable[["Matrix", Side], None] | None = None  # before the call, on each side (port helpers)
    after: Callable[[Side, Any], None] | None = None  # with the call's result, on each side
    port_setup: Callable[[Any, Side], None] | None = None  # state only the port client can be given
    adopt: bool = True  # get_manager_version() first (and the same state for JS)
    agent: str | None = None  # the error pattern that means "needs an agent"
    consume: bool = False  # the result is an event stream: read it to its end
    settle: bool = False  # the call starts background work on the manager: wait for it before going on

    @property
    def id(self) -> str:
        return f"{self.member}[{self.label}]" if self.label else self.member


# ---- the rows -------------------------------------------------------------------
def _session_resources(s: Side) -> dict[str, Any]:
    return {"enqueueOnly": True, "cpu": 1, "mem": "1g", "group_name": s["group"], "domain": s["domain"]}


def _keep(name: str, key: str | None = None) -> Callable[[Side, Any], None]:
    def after(s: Side, result: Any) -> None:
        s[name] = result if key is None else _dig(result, key)
    return after


def _dig(value: Any, path: str) -> Any:
    for part in path.split("."):
        value = value[int(part)] if isinstance(value, list) else value[part]
    return value


POLICY_INPUT = {
    "default_for_unspecified": "UNLIMITED", "total_resource_slots": "{}", "max_session_lifetime": 0,
    "max_concurrent_sessions": 1, "max_containers_per_session": 1, "idle_timeout": 3600,
    "max_vfolder_count": 0, "max_vfolder_size": 0,
    "allowed_vfolder_hosts": "{}",
}


ROWS: list[Row] = [
    # -- versions and public routes
    Row("getServerVersion", "admin", lambda s: [], WORKS),
    Row("get_manager_version", "admin", lambda s: [], WORKS, adopt=False,
        reason="called on a client that has not adopted the server's version yet"),
    Row("get_resource_slots", "admin", lambda s: [], WORKS),
    # -- webserver (SESSION mode) and other services the manager does not serve
    Row("login", "admin", lambda s: [], FAILS, reason=WEBSERVER + "; the server's 404 becomes this message, as in JS"),
    Row("check_login", "admin", lambda s: [], WORKS,
        reason="resolves `false`: the manager answers 404 (" + WEBSERVER + ") and the call swallows it, as in JS"),
    Row("token_login", "admin", lambda s: [], FAILS, reason=WEBSERVER + "; the server's 404 becomes this message, as in JS"),
    Row("logout", "admin", lambda s: [], FAILS, reason=WEBSERVER),
    Row("cloud.ping", "admin", lambda s: [], FAILS, reason=CLOUD),
    Row("cloud.send_verification_email", "admin", lambda s: ["nobody@integ.test"], FAILS, reason=CLOUD),
    Row("cloud.verify_email", "admin", lambda s: ["not-a-token"], FAILS, reason=CLOUD),
    Row("cloud.send_password_change_email", "admin", lambda s: ["nobody@integ.test"], FAILS, reason=CLOUD),
    Row("cloud.change_password", "admin", lambda s: ["nobody@integ.test", s["password"], "not-a-token"], FAILS,
        reason=CLOUD),
    Row("eduApp.ping", "admin", lambda s: [], FAILS, reason=EDUAPP),
    Row("eduApp.get_mount_folders", "admin", lambda s: [], FAILS, reason=EDUAPP),
    Row("enterprise.getLicense", "admin", lambda s: [], FAILS,
        reason="not a manager route: `/license` exists only in the enterprise edition of the manager"),
    # -- manager-wide settings
    Row("service.get_announcement", "admin", lambda s: [], WORKS),
    Row("service.update_announcement", "admin", lambda s: [False, s["announcement"]], WORKS,
        prep=lambda m, s: m.keep_announcement()),
    Row("setting.set", "admin", lambda s: [s["setting"], "matrix"], WORKS),
    Row("setting.get", "admin", lambda s: [s["setting"]], WORKS),
    Row("setting.list", "admin", lambda s: [s["setting_prefix"]], WORKS),
    Row("setting.delete", "admin", lambda s: [s["setting"], False], WORKS),
    Row("registry.add", "admin", lambda s: [s["registry"], {"": "http://127.0.0.1:9", "type": "docker"}], WORKS),
    Row("registry.list", "admin", lambda s: [], WORKS),
    Row("maintenance.rescan_images", "admin", lambda s: [s["registry"]], WORKS,
        reason="rescans only the loopback registry added above (no internet): the background task fails quickly",
        after=_keep("task_id", "rescan_images.task_id")),
    Row("maintenance.attach_background_task", "admin", lambda s: [s["task_id"]], WORKS, consume=True,
        js_expect=FAILS, allow="README: `maintenance.attach_background_task`",
        reason="the port reads the task's events to the end"),
    Row("registry.delete", "admin", lambda s: [s["registry"]], WORKS),
    Row("maintenance.recalculate_usage", "admin", lambda s: [], WORKS),
    # -- images
    Row("image.list", "admin", lambda s: [], WORKS),
    Row("image.get", "admin", lambda s: [s["image_registry"], s["image_name"], s["image_tag"]], WORKS),
    Row("image.modifyLabel", "admin", lambda s: [s["fake_registry"], "matrix/image", "latest", "note", "matrix"], WORKS,
        reason="writes the etcd key the JS SDK targets; 23.09 keeps image metadata in its database, so it has no effect"),
    Row("image.modifyResource", "admin",
        lambda s: [s["fake_registry"], "matrix/image", "latest", {"cpu": {"min": "1"}}], WORKS,
        reason="as image.modifyLabel: an etcd key 23.09 does not read"),
    Row("image.install", "admin", lambda s: [s["image"], {"cpu": "1", "mem": "1g", "enqueueOnly": True}], WORKS,
        reason="with enqueueOnly the throw-away session is only queued (no agent pulls anything), then destroyed"),
    Row("image.uninstall", "admin", lambda s: [s["image"]], CLIENT, reason="not implemented by the JS SDK: always false"),
    # -- agents and resources
    Row("agent.list", "admin", lambda s: [], WORKS),
    Row("resources.totalResourceInformation", "admin", lambda s: [], WORKS),
    Row("resources._init_resource_values", "admin", lambda s: [], CLIENT, reason="resets local counters; sends nothing"),
    Row("resources.user_stats", "user", lambda s: [], WORKS),
    Row("resourcePreset.list", "user", lambda s: [], WORKS),
    Row("resourcePreset.check", "user", lambda s: [{"scaling_group": s["scaling_group"], "group": s["group"]}], WORKS),
    Row("resourcePreset.add", "admin",
        lambda s: [s["preset"], {"resource_slots": json.dumps({"cpu": "1", "mem": "1073741824"})}], WORKS),
    Row("resourcePreset.mutate", "admin",
        lambda s: [s["preset"], {"resource_slots": json.dumps({"cpu": "2", "mem": "1073741824"})}], WORKS),
    Row("resourcePreset.delete", "admin", lambda s: [s["preset"]], WORKS),
    # -- resource policies
    Row("resourcePolicy.get", "admin", lambda s: [None], WORKS),
    Row("resourcePolicy.add", "admin", lambda s: [s["policy"], POLICY_INPUT], WORKS,
        reason="23.09.10 still needs `max_vfolder_count`/`max_vfolder_size` in the input (deprecated in its GraphQL "
               "schema, but NOT NULL in its table): without them the mutation answers ok false"),
    Row("resourcePolicy.mutate", "admin", lambda s: [s["policy"], {"idle_timeout": 1800}], WORKS),
    Row("resourcePolicy.delete", "admin", lambda s: [s["policy"]], WORKS),
    # -- keypairs
    Row("keypair.info", "admin", lambda s: [s["admin_access_key"]], WORKS),
    Row("keypair.info", "user", lambda s: [None, ["access_key", "is_admin"]], WORKS, label="own keypair"),
    Row("keypair.list", "admin", lambda s: [None], WORKS),
    Row("keypair.add", "admin", lambda s: [s["temp_email"], True, False, "default", 1000], WORKS,
        reason="the answer does not name the new access key; keypair.mutate/delete act on one made for the test"),
    Row("keypair.mutate", "admin",
        lambda s: [s["keypair"], {"is_active": True, "is_admin": False, "resource_policy": "default", "rate_limit": 500}],
        WORKS, prep=lambda m, s: m.make_keypair(s)),
    Row("keypair.delete", "admin", lambda s: [s["keypair"]], WORKS),
    # -- users
    Row("user.list", "admin", lambda s: [True], WORKS, label="default fields", reason=GONE_USER_PASSWORD,
        js_expect=FAILS, allow=USER_PASSWORD_README),
    Row("user.list", "admin", lambda s: [True, ["email", "username", "role", "groups {id name}"]], WORKS,
        label="23.09 fields"),
    Row("user.get", "admin", lambda s: [s["user_email"]], WORKS, label="default fields", reason=GONE_USER_PASSWORD,
        js_expect=FAILS, allow=USER_PASSWORD_README),
    Row("user.get", "admin", lambda s: [s["user_email"], ["email", "username", "role", "groups {id name}"]], WORKS,
        label="23.09 fields"),
    Row("user.get", "user", lambda s: [None, ["email", "role"]], WORKS, label="own account"),
    Row("user.create", "admin", lambda s: [s["new_email"], _user_input(s["new_email"], s["password"], s)], WORKS,
        reason=GONE_USER_PASSWORD + " in the mutation's result (for JS nothing is created)",
        js_expect=FAILS, allow=USER_PASSWORD_README),
    Row("user.update", "admin", lambda s: [s["temp_email"], {"full_name": "Matrix Temp", "description": "matrix"}], WORKS),
    Row("user.delete", "admin", lambda s: [s["doomed_email"]], WORKS),
    # -- the temp user's own account
    Row("update_full_name", "temp", lambda s: [s["temp_email"], "Matrix User"], WORKS),
    Row("fetchSSHKeypair", "temp", lambda s: [], WORKS),
    Row("refreshSSHKeypair", "temp", lambda s: [], WORKS),
    Row("userConfig.get_bootstrap_script", "temp", lambda s: [], WORKS),
    Row("userConfig.update_bootstrap_script", "temp", lambda s: ["echo matrix"], WORKS),
    Row("userConfig.create", "temp", lambda s: ["alias ll='ls -l'", ".matrixrc"], WORKS),
    Row("userConfig.get", "temp", lambda s: [], WORKS),
    Row("userConfig.update", "temp", lambda s: ["alias ll='ls -al'", ".matrixrc"], WORKS),
    Row("userConfig.delete", "temp", lambda s: [".matrixrc"], WORKS),
    Row("update_password", "temp", lambda s: [s["temp_password"], s["password"], s["password"]], WORKS,
        after=lambda s, r: s.v.update(temp_password=s["password"])),
    Row("signout", "temp", lambda s: [s["temp_email"], s["temp_password"]], WORKS,
        reason="deactivates the throw-away account and deletes its keypairs"),
    # -- domains, groups, scaling groups, storage
    Row("domain.list", "admin", lambda s: [], WORKS),
    Row("domain.get", "admin", lambda s: [s["domain"]], WORKS),
    Row("domain.update", "admin", lambda s: [s["new_domain"], {"description": "matrix"}], WORKS,
        prep=lambda m, s: m.make_domain(s)),
    Row("group.list", "admin", lambda s: [True, False], WORKS),
    Row("scalingGroup.create", "admin", lambda s: [s["sgroup"], "matrix"], WORKS),
    Row("scalingGroup.list_available", "admin", lambda s: [], WORKS),
    Row("scalingGroup.update", "admin", lambda s: [s["sgroup"], {"description": "matrix, changed"}], WORKS),
    Row("scalingGroup.associate_domain", "admin", lambda s: [s["domain"], s["sgroup"]], WORKS),
    Row("scalingGroup.list", "user", lambda s: [s["group"]], WORKS),
    Row("scalingGroup.delete", "admin", lambda s: [s["sgroup"]], WORKS),
    Row("storageproxy.list", "admin", lambda s: [], WORKS),
    Row("storageproxy.detail", "admin", lambda s: [s["host"]], WORKS),
    Row("query", "admin", lambda s: ["query($name: String) { domain(name: $name) { name is_active } }",
                                     {"name": s["domain"]}], WORKS),
    # -- compute sessions (queued only: no agent runs them)
    Row("createIfNotExists", "admin", lambda s: [s["image"], s["sess"], _session_resources(s), TIMEOUT_MS], WORKS,
        reason="with enqueueOnly: the session is created PENDING", after=_keep("sess_id", "sessionId")),
    Row("createKernel", "admin", lambda s: [s["image"], s["sess2"], _session_resources(s), TIMEOUT_MS], WORKS,
        reason="with enqueueOnly, as createIfNotExists"),
    Row("createSessionFromTemplate", "admin",
        lambda s: [s["template"], None, s["sess3"], _session_resources(s), TIMEOUT_MS], WORKS,
        reason="with enqueueOnly, from a task template made for the test"),
    Row("sessionTemplate.list", "admin", lambda s: [], WORKS),
    Row("get_info", "admin", lambda s: [s["sess"]], WORKS),
    Row("computeSession.list", "admin", lambda s: [["id", "name", "status"], "PENDING"], WORKS),
    Row("computeSession.listAll", "admin", lambda s: [], WORKS),
    Row("computeSession.total_count", "admin", lambda s: ["PENDING"], WORKS),
    Row("computeSession.get", "admin", lambda s: [["id", "name", "status"], s["sess_id"]], WORKS),
    Row("execute", "admin", lambda s: [s["sess"], "matrix-run-1", "query", "print(1)", {}], AGENT, agent=AGENT_500,
        reason=NO_AGENT),
    Row("runCode", "admin", lambda s: ["print(1)", s["sess"], "matrix-run-2", "query"], AGENT, agent=AGENT_500,
        reason=NO_AGENT),
    Row("get_logs", "admin", lambda s: [s["sess"]], AGENT, agent=AGENT_500,
        reason=NO_AGENT),
    Row("getTaskLogs", "admin", lambda s: [s["sess_id"]], AGENT, agent=r"No such vfolder",
        reason="takes the session's UUID on 23.09; the log is read from the `.logs` folder that batch sessions "
               "write through an agent, and there is none (\"No such vfolder.\")"),
    Row("upload", "admin", lambda s: [s["sess"], "matrix.txt", b"hello matrix\n"], AGENT, agent=AGENT_500,
        reason=NO_AGENT, js_expect=FAILS, allow="README: Uploads; " + HARNESS_BLOB),
    Row("download", "admin", lambda s: [s["sess"], ["matrix.txt"]], AGENT, agent=AGENT_500,
        reason=NO_AGENT),
    Row("download_single", "admin", lambda s: [s["sess"], "matrix.txt"], AGENT, agent=AGENT_500,
        reason=NO_AGENT),
    Row("shutdown_service", "admin", lambda s: [s["sess"], "jupyter"], AGENT, agent=AGENT_500,
        reason=NO_AGENT),
    Row("restart", "admin", lambda s: [s["sess"]], WORKS, agent=AGENT_500,
        reason="the manager accepts it and restarts in the background, which fails there without an agent"),
    Row("refreshKernel", "admin", lambda s: [s["sess"]], WORKS, agent=AGENT_500, reason="as restart"),
    Row("destroy", "admin", lambda s: [s["sess"]], WORKS),
    Row("destroyKernel", "admin", lambda s: [s["sess2"]], WORKS),
    # -- virtual folders
    Row("vfolder.list_hosts", "admin", lambda s: [], WORKS),
    Row("vfolder.list_allowed_types", "admin", lambda s: [], WORKS),
    Row("vfolder.create", "admin", lambda s: [s["folder"], s["host"]], WORKS, after=_keep("folder_id", "id")),
    Row("vfolder.list", "admin", lambda s: [], WORKS),
    Row("vfolder.info", "admin", lambda s: [s["folder"]], WORKS),
    Row("vfolder.upload", "admin", lambda s: ["hello.txt", b"hello matrix\n", s["folder"]], WORKS,
        js_expect=FAILS, allow="README: `vfolder.upload` on API v6 and later"),
    Row("vfolder.uploadFormData", "admin", lambda s: [_form("hello.txt", b"hello matrix\n"), s["folder"]], FAILS,
        js_args=lambda s: [{}, s["folder"]],
        reason="server-side change: 23.09 has no `/folders/{name}/upload` (uploads go to the storage proxy; "
               "vfolder.upload does that on API v6+). JS: the harness cannot build a FormData and posts `{}` "
               "to the same route"),
    Row("vfolder.create_upload_session", "admin", lambda s: ["second.txt", {"size": 6}, s["folder"]], WORKS),
    Row("vfolder.mkdir", "admin", lambda s: ["matrix-dir", s["folder"]], WORKS),
    Row("vfolder.list_files", "admin", lambda s: [".", s["folder"]], WORKS),
    Row("vfolder.rename_file", "admin", lambda s: ["hello.txt", "renamed.txt", s["folder"]], WORKS,
        prep=lambda m, s: m.ensure_file(s, "hello.txt")),
    Row("vfolder.request_download_token", "admin", lambda s: ["renamed.txt", s["folder"]], WORKS,
        after=_keep("download_token", "token")),
    Row("vfolder.download", "admin", lambda s: ["renamed.txt", s["folder"]], WORKS,
        reason="JS returns the storage proxy's fetch Response, the port its bytes (README: `vfolder.download` on API v6)"),
    Row("vfolder.download_with_token", "admin", lambda s: [s["download_token"]], FAILS,
        reason="server-side change: 23.09 has no `/folders/_/download_with_token`; downloads go to the storage "
               "proxy's URL from request_download_token (vfolder.download does that)"),
    Row("vfolder.get_download_url_with_token", "admin", lambda s: [s["download_token"]], CLIENT,
        reason="builds a URL; sends nothing"),
    Row("vfolder.delete_files", "admin", lambda s: [["matrix-dir"], True, s["folder"]], WORKS),
    Row("vfolder.update_folder", "admin", lambda s: [{"cloneable": True, "permission": "rw"}, s["folder"]], WORKS),
    Row("vfolder.clone", "admin",
        lambda s: [{"target_name": s["clone"], "target_host": s["host"], "permission": "rw",
                    "usage_mode": "general", "cloneable": False}, s["folder"]], WORKS, settle=True),
    Row("vfolder.rename", "admin", lambda s: [s["renamed"]], WORKS, js_expect=FAILS, allow=HARNESS_NAME,
        prep=lambda m, s: m.make_folder(s, "to_rename"),
        port_setup=lambda c, s: setattr(c.vfolder, "name", s["to_rename"])),
    Row("vfolder.invite", "admin", lambda s: ["ro", [s["user_email"]], s["folder"]], WORKS),
    Row("vfolder.invitations", "user", lambda s: [], WORKS),
    Row("vfolder.delete_invitation", "user", lambda s: [s["inv_id"]], WORKS,
        prep=lambda m, s: m.find_invitation(s)),
    Row("vfolder.accept_invitation", "user", lambda s: [s["inv_id"]], WORKS,
        prep=lambda m, s: m.find_invitation(s, invite=True)),
    Row("vfolder.list_invitees", "admin", lambda s: [s["folder_id"]], WORKS),
    Row("vfolder.modify_invitee_permission", "admin",
        lambda s: [{"perm": "rw", "user": s["user_id"], "vfolder": s["folder_id"]}], WORKS),
    Row("vfolder.leave_invited", "user", lambda s: [s["folder"]], WORKS),
    Row("vfolder.share", "admin", lambda s: ["ro", [s["user_email"]], s["group_folder"]], WORKS,
        prep=lambda m, s: m.make_folder(s, "group_folder", group=True)),
    Row("vfolder.unshare", "admin", lambda s: [[s["user_email"]], s["group_folder"]], WORKS),
    Row("vfolder.delete", "admin", lambda s: [s["folder"]], WORKS),
]

def _user_input(email: str, password: str, s: Side) -> dict[str, Any]:
    return {"username": email.split("@")[0], "password": password, "need_password_change": False,
            "full_name": "", "description": "matrix", "is_active": True, "status": "active",
            "domain_name": s["domain"], "role": "user", "group_ids": [s["group_id"]]}


def _form(path: str, data: bytes) -> Any:
    form = ai.FormData()
    form.append("src", data, path)
    return form


# ---- outcomes ------------------------------------------------------------------------
@dataclass
class Outcome:
    cls: str
    text: str  # the message of a failure, or a short rendering of a scalar result
    status: Any = None
    detail: str = ""  # port only: what the server's body says beyond err.message (GraphQL errors)
    value: Any = None  # the result, for MATRIX_VERBOSE=1


def _classify(row: Row, message: str) -> str:
    if row.agent and re.search(row.agent, message or ""):
        return AGENT
    return FAILS


def _refusal(value: Any) -> str | None:
    """A GraphQL mutation answered 200 with ``{"<mutation>": {"ok": false, "msg": ...}}``: the server refused it."""
    if isinstance(value, dict) and len(value) == 1:
        (name, inner), = value.items()
        if isinstance(inner, dict) and inner.get("ok") is False:
            return f"{name}: ok false: {inner.get('msg')}"
    return None


def _scalar(value: Any, js: bool) -> str:
    if value is JS_UNDEFINED:
        return "undefined"
    if value is None:
        return "null" if js else "None"
    if isinstance(value, bool):
        return ("true" if value else "false") if js else repr(value)
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str) and len(value) <= 80:
        return json.dumps(value)
    return ""


def _body_detail(body: Any) -> str:
    if isinstance(body, dict):
        data = body.get("data")
        if isinstance(data, list) and data and isinstance(data[0], dict) and "message" in data[0]:
            return "; ".join(str(d.get("message")) for d in data if isinstance(d, dict))
        if isinstance(data, dict):
            return json.dumps(data, sort_keys=True)
    return ""


# ---- the run ---------------------------------------------------------------------------
class Matrix:
    """Clients, the two sides, preparation helpers, cleanup and the records."""

    def __init__(self, stack: dict[str, Any], oracle: Any) -> None:
        self.stack = stack
        self.oracle = oracle
        self.endpoint = stack["endpoint"]
        self.cleanups: list[tuple[str, Callable[[], Any]]] = []
        self.records: dict[str, dict[str, Any]] = {}
        self.secrets: set[str] = {stack[w][k] for w in ("admin", "user") for k in ("secret_key", "password")}
        self.admin = self.client("admin")
        self.user = self.client("user")
        self.state = {
            "_apiVersion": self.admin._apiVersion, "_apiVersionMajor": self.admin._apiVersionMajor,
            "kernelPrefix": self.admin.kernelPrefix, "_managerVersion": self.admin._managerVersion,
        }
        self.user_id = self.admin.user.get(stack["user"]["email"], ["id"])["user"]["id"]
        registry, _, rest = stack["image"].partition("/")
        name, _, tag = rest.rpartition(":")
        fixed = {
            "host": stack["vfolder_host"], "image": stack["image"], "domain": stack["domain"],
            "group": stack["group"], "group_id": stack["group_id"], "scaling_group": stack["scaling_group"],
            "user_email": stack["user"]["email"], "image_registry": registry, "image_name": name,
            "image_tag": tag,
        }
        self.sides = {key: Side(key, fixed) for key in ("port", "js")}
        self.doc = Side("doc", fixed)
        self.doc.v.update(admin_access_key="<admin-access-key>", user_id="<user-id>", password="<password>")
        #: placeholders for random values, longest first when scrubbing
        self.placeholders: dict[str, str] = {self.endpoint: "<endpoint>", stack["admin"]["access_key"]: "<admin-access-key>",
                                             stack["user"]["access_key"]: "<user-access-key>", self.user_id: "<user-id>"}
        tag_of = {"port": "p", "js": "j"}
        for key, side in self.sides.items():
            h = f"{tag_of[key]}{secrets.token_hex(3)}"
            names = {
                "admin_access_key": stack["admin"]["access_key"], "user_id": self.user_id,
                "password": "Mx-" + secrets.token_hex(8), "announcement": f"matrix announcement {h}",
                "setting_prefix": f"matrix-{h}", "setting": f"matrix-{h}/key", "registry": f"mx-{h}.local",
                "fake_registry": f"mx-{h}.local", "preset": f"mx-{h}-preset", "policy": f"mx-{h}-policy", "new_email": f"mx-{h}-new@integ.test", "temp_email": f"mx-{h}-temp@integ.test",
                "doomed_email": f"mx-{h}-doomed@integ.test", "new_domain": f"mx-{h}-domain", "sgroup": f"mx-{h}-sgroup",
                "sess": f"mx-{h}-s1", "sess2": f"mx-{h}-s2", "sess3": f"mx-{h}-s3", "folder": f"mx-{h}-folder",
                "clone": f"mx-{h}-clone", "to_rename": f"mx-{h}-torename", "renamed": f"mx-{h}-renamed",
                "group_folder": f"mx-{h}-gfolder",
            }
            side.v.update(names)
            for name, value in names.items():
                if name not in fixed and name not in ("admin_access_key", "user_id"):
                    self.placeholders[value] = f"<{name}>"
            self.secrets.add(names["password"])
        self._make_users()
        self._make_template()
        self._plan_cleanup()

    # -- clients
    def keys(self, who: str, side: Side | None) -> tuple[str, str]:
        if who == "temp":
            assert side is not None
            return side["temp_access_key"], side["temp_secret_key"]
        return self.stack[who]["access_key"], self.stack[who]["secret_key"]

    def client(self, who: str, side: Side | None = None, adopt: bool = True) -> Any:
        """A fresh port client of ``who``: get_manager_version() first (unless not ``adopt``), admin flags set."""
        access_key, secret_key = self.keys(who, side)
        client = ai.Client(ai.ClientConfig(access_key, secret_key, self.endpoint))
        client.requestTimeout = TIMEOUT_MS
        client.responseReadTimeout = TIMEOUT_MS
        if adopt:
            client.get_manager_version()
        client.is_admin = client.is_superadmin = who == "admin"
        return client

    def js_config(self, who: str, side: Side, adopt: bool) -> dict[str, Any]:
        access_key, secret_key = self.keys(who, side)
        admin = who == "admin"
        config: dict[str, Any] = {"accessKey": access_key, "secretKey": secret_key, "endpoint": self.endpoint,
                                  "requestTimeout": TIMEOUT_MS,
                                  "clientState": {"is_admin": admin, "is_superadmin": admin}}
        if adopt:
            config["apiVersion"] = self.state["_apiVersion"]
            config["apiVersionMajor"] = self.state["_apiVersionMajor"]
            config["clientState"].update(self.state)
        return config

    # -- fixtures made outside the matrix
    def _create_user(self, email: str, password: str) -> None:
        q = ("mutation($email: String!, $props: UserInput!) "
             "{ create_user(email: $email, props: $props) { ok msg } }")
        props = {"username": email.split("@")[0], "password": password, "need_password_change": False,
                 "full_name": "", "description": "matrix", "is_active": True, "status": "active",
                 "domain_name": self.stack["domain"], "role": "user", "group_ids": [self.stack["group_id"]],
                 "resource_policy": "default"}
        self.cleanups.append((f"purge user {email}", lambda: self._purge_user(email)))
        answer = self.admin.query(q, {"email": email, "props": props})
        assert answer["create_user"]["ok"], answer

    def _purge_user(self, email: str) -> None:
        q = ("mutation($email: String!, $props: PurgeUserInput!) "
             "{ purge_user(email: $email, props: $props) { ok msg } }")
        self.admin.query(q, {"email": email, "props": {"purge_shared_vfolders": False}})

    def _make_users(self) -> None:
        for side in self.sides.values():
            side["temp_password"] = "Mx-" + secrets.token_hex(8)
            self.secrets.add(side["temp_password"])
            self._create_user(side["temp_email"], side["temp_password"])
            rows = self.admin.keypair.list(side["temp_email"], ["access_key", "secret_key"], True)["keypairs"]
            side["temp_access_key"], side["temp_secret_key"] = rows[0]["access_key"], rows[0]["secret_key"]
            self.placeholders[side["temp_access_key"]] = "<temp-access-key>"
            self.secrets.add(side["temp_secret_key"])
            self._create_user(side["doomed_email"], "Mx-" + secrets.token_hex(8))
            self.cleanups.append((f"purge user {side['new_email']}", lambda e=side["new_email"]: self._purge_user(e)))

    def _make_template(self) -> None:
        template = {"api_version": "6", "kind": "task_template", "metadata": {"name": "matrix", "tag": None},
                    "spec": {"session_type": "interactive",
                             "kernel": {"image": self.stack["image"], "architecture": "x86_64", "environ": {}},
                             "scaling_group": self.stack["scaling_group"], "mounts": {},
                             "resources": {"cpu": "1", "mem": "1g"}}}
        body = {"payload": json.dumps([{"template": template, "name": "matrix"}]),
                "group": self.stack["group"], "domain": self.stack["domain"]}
        made = self.admin._wrapWithPromise(self.admin.newSignedRequest("POST", "/template/session", body))
        template_id = made[0]["id"]
        for side in self.sides.values():
            side["template"] = template_id
        self.placeholders[template_id] = "<template>"
        self.cleanups.append(("delete the session template", lambda: self.admin._wrapWithPromise(
            self.admin.newSignedRequest("DELETE", f"/template/session/{template_id}", None))))

    def _plan_cleanup(self) -> None:
        """Everything the rows may create, removed at the end whether or not a row did it."""
        for side in self.sides.values():
            v = side.v
            for key in ("sess", "sess2", "sess3"):
                self.cleanups.append((f"destroy session {v[key]}", lambda n=v[key]: self._destroy_session(n)))
            for key in ("folder", "clone", "to_rename", "renamed", "group_folder"):
                self.cleanups.append((f"delete folder {v[key]}", lambda n=v[key]: self._delete_folder(n)))
            gql = self.admin.query
            self.cleanups += [
                (f"delete preset {v['preset']}", lambda n=v["preset"]: gql(
                    "mutation($n: String!) { delete_resource_preset(name: $n) { ok } }", {"n": n})),
                (f"delete policy {v['policy']}", lambda n=v["policy"]: gql(
                    "mutation($n: String!) { delete_keypair_resource_policy(name: $n) { ok } }", {"n": n})),
                (f"delete scaling group {v['sgroup']}", lambda n=v["sgroup"]: self._delete_sgroup(n)),
                (f"purge domain {v['new_domain']}", lambda n=v["new_domain"]: self._purge_domain(n)),
                (f"delete setting {v['setting_prefix']}", lambda n=v["setting_prefix"]: self.admin.setting.delete(n, True)),
                (f"delete registry {v['registry']}", lambda n=v["registry"]: self.admin.registry.delete(n)),
                (f"delete image keys of {v['fake_registry']}", lambda n=v["fake_registry"]: self.admin._wrapWithPromise(
                    self.admin.newSignedRequest("POST", "/config/delete", {"key": f"images/{n}", "prefix": True}))),
            ]
        self.cleanups.append(("restore the announcement", self._restore_announcement))

    def _destroy_session(self, name: str) -> None:
        """Forced, without the retries of destroy(); a session that is gone already is fine."""
        try:
            self.admin._wrapWithPromise(self.admin.newSignedRequest("DELETE", f"/session/{name}?forced=true", None))
        except ai.ServerError as err:
            if err.statusCode != 404:
                raise

    def _delete_folder(self, name: str) -> None:
        names = {f["name"] for f in self.admin.vfolder.list()}
        if name not in names:
            return
        for _ in range(20):  # a clone may still be copying
            try:
                self.admin.vfolder.delete(name)
                return
            except ai.BackendAIError:
                time.sleep(0.25)
        self.admin.vfolder.delete(name)

    def _delete_sgroup(self, name: str) -> None:
        gql = self.admin.query
        gql("mutation($d: String!, $s: String!) { disassociate_scaling_group_with_domain(domain: $d, scaling_group: $s) "
            "{ ok } }", {"d": self.stack["domain"], "s": name})
        gql("mutation($n: String!) { delete_scaling_group(name: $n) { ok } }", {"n": name})

    def _purge_domain(self, name: str) -> None:
        gql = self.admin.query
        gql("mutation($n: String!) { delete_domain(name: $n) { ok } }", {"n": name})
        gql("mutation($n: String!) { purge_domain(name: $n) { ok } }", {"n": name})

    # -- preparations used by rows (always through the port's helper clients)
    def keep_announcement(self) -> None:
        if not hasattr(self, "_announcement"):
            self._announcement = self.admin.service.get_announcement()

    def _restore_announcement(self) -> None:
        saved = getattr(self, "_announcement", None)
        if saved is not None:
            # the manager refuses a blank message: leave it out then (it keeps the stored one)
            self.admin.service.update_announcement(bool(saved.get("enabled")), saved.get("message") or ai.UNDEFINED)

    def make_keypair(self, s: Side) -> None:
        q = ("mutation($u: String!, $i: KeyPairInput!) "
             "{ create_keypair(user_id: $u, props: $i) { ok msg keypair { access_key } } }")
        made = self.admin.query(q, {"u": s["temp_email"], "i": {"is_active": True, "is_admin": False,
                                                                 "resource_policy": "default", "rate_limit": 1000}})
        s["keypair"] = made["create_keypair"]["keypair"]["access_key"]
        self.placeholders[s["keypair"]] = "<keypair>"
        self.cleanups.append((f"delete keypair of {s['temp_email']}", lambda k=s["keypair"]: self.admin.query(
            "mutation($k: String!) { delete_keypair(access_key: $k) { ok } }", {"k": k})))

    def make_domain(self, s: Side) -> None:
        q = "mutation($n: String!, $i: DomainInput!) { create_domain(name: $n, props: $i) { ok msg } }"
        assert self.admin.query(q, {"n": s["new_domain"], "i": {"description": "", "is_active": True}})["create_domain"]["ok"]

    def make_folder(self, s: Side, key: str, group: bool = False) -> None:
        self.settle_folders(f"before creating {s[key]}")
        made = self.admin.vfolder.create(s[key], s["host"], s["group"] if group else "")
        self.placeholders[made["id"]] = f"<{key}-id>"

    def settle_folders(self, when: str, timeout: float = 60.0) -> None:
        """Wait until every folder the admin sees is `ready` again.

        vfolder.clone answers at once and copies in a background task that writes the
        vfolders table when it ends. The manager runs its transactions SERIALIZABLE and
        its folder creation does not retry, so a create that overlaps that write can fail
        with a 500 (seen in CI: the rename row's folder, made 13 ms after the JS clone).
        """
        deadline = time.monotonic() + timeout
        while True:
            busy = sorted(f"{f['name']}={f['status']}" for f in self.admin.vfolder.list() if f.get("status") != "ready")
            if not busy:
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"{when}: folders still busy after {timeout:.0f} s: {', '.join(busy)}")
            time.sleep(0.1)

    def ensure_file(self, s: Side, path: str) -> None:
        """The file exists in the side's folder even if vfolder.upload regressed (one tus PATCH)."""
        listing = self.admin.vfolder.list_files(".", s["folder"])
        if any(item.get("name") == path for item in listing.get("items", [])):
            return
        data = b"hello matrix\n"
        url = self.admin.vfolder.create_upload_session(path, data, s["folder"])
        headers = {"Tus-Resumable": "1.0.0", "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"}
        requests.patch(url, data=data, headers=headers, timeout=20).raise_for_status()

    def find_invitation(self, s: Side, invite: bool = False) -> None:
        if invite:
            self.admin.vfolder.invite("ro", [s["user_email"]], s["folder"])
        for item in self.user.vfolder.invitations()["invitations"]:
            if item.get("vfolder_name") == s["folder"]:
                s["inv_id"] = item["id"]
                self.placeholders[item["id"]] = "<inv_id>"
                return
        raise AssertionError(f"no invitation to {s['folder']} for the user")

    # -- one row, both sides
    def run_port(self, row: Row, side: Side) -> Outcome:
        client = self.client(row.who, side, adopt=row.adopt)
        if row.port_setup is not None:
            row.port_setup(client, side)
        sent = [0]
        real = client._session.request

        def counting(*a: Any, **k: Any) -> Any:
            sent[0] += 1
            return real(*a, **k)

        client._session.request = counting  # type: ignore[method-assign]
        fn: Any = client
        for part in row.member.split("."):
            fn = getattr(fn, part)
        try:
            value = fn(*row.args(side))
            if row.consume:
                with value as events:
                    value = [event.type for event in events]
        except Exception as err:  # every failure is a row outcome
            message = getattr(err, "message", None)
            if not isinstance(message, str):
                message = f"{type(err).__name__}: {err}"
            return Outcome(_classify(row, message), message, getattr(err, "statusCode", None),
                           _body_detail(getattr(err, "body", None)))
        finally:
            client.close()
        refused = _refusal(value)
        if refused is not None:
            return Outcome(FAILS, refused)
        if row.after is not None:
            row.after(side, value)
        return Outcome(WORKS if sent[0] else CLIENT, "" if row.consume else _scalar(value, js=False), value=value)

    def run_js(self, row: Row, side: Side) -> Outcome:
        args = (row.js_args or row.args)(side)
        answer = self.oracle.call("call", config=self.js_config(row.who, side, row.adopt), target=row.member,
                                  args=args, timeout=90)
        requests_sent = len(answer.get("requests") or [])
        if answer["resolved"]:
            value = answer["value"]
            refused = _refusal(value)
            if refused is not None:
                return Outcome(FAILS, refused)
            if row.after is not None:
                row.after(side, value)
            return Outcome(WORKS if requests_sent else CLIENT, _scalar(value, js=True), value=value)
        error = answer["error"]
        if isinstance(error, dict):
            message = error.get("message")
            status = error.get("statusCode")
            if not isinstance(message, str):
                message = json.dumps({k: str(v) for k, v in error.items()})
        else:
            message, status = str(error), None
        if isinstance(error, JSErrorValue) and not requests_sent:
            message = f"{message} (thrown before sending)"
        return Outcome(_classify(row, message), message, status if status is not JS_UNDEFINED else None)

    # -- rendering
    def scrub(self, text: str) -> str:
        for value in sorted(self.placeholders, key=len, reverse=True):
            if value:
                text = text.replace(value, self.placeholders[value])
        text = re.sub(r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b", "<uuid>", text)
        text = re.sub(r"\b[0-9a-fA-F]{32}\b", "<hex-id>", text)
        text = re.sub(r"\b\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:?\d\d)?", "<time>", text)
        text = re.sub(r"\b[A-Za-z0-9]{8}-jsSDK\b", "<generated-session>", text)
        for secret in self.secrets:
            assert secret not in text, "a secret would be written"
        return text

    def render_call(self, row: Row) -> str:
        def lit(value: Any) -> str:
            if isinstance(value, (bytes, bytearray)):
                return f"<{len(value)} bytes>"
            if isinstance(value, ai.FormData):
                return "FormData(" + ", ".join(f"{n}: {f} <{len(v)} bytes>" for n, v, f in value.entries) + ")"
            return json.dumps(value, ensure_ascii=False)

        role = {"admin": "superadmin", "user": "user", "temp": "throw-away user"}[row.who]
        text = f"`{row.member}({', '.join(lit(a) for a in row.args(self.doc))})` as {role}"
        if row.js_args is not None:
            text += f"; JS: `({', '.join(lit(a) for a in row.js_args(self.doc))})`"
        if not row.adopt:
            text += ", before the version is known"
        return self.scrub(text).replace("|", "\\|")


# ---- the fixture and the test ------------------------------------------------------------
@pytest.fixture(scope="module")
def matrix(stack: dict[str, Any], oracle: Any) -> Any:
    started = time.monotonic()
    m = Matrix(stack, oracle)
    try:
        yield m
    finally:
        failures = []
        for what, fn in reversed(m.cleanups):
            try:
                fn()
            except Exception as err:  # cleanup is best effort; what could not be removed is printed
                failures.append(f"{what}: {type(err).__name__}: {getattr(err, 'message', err)}")
        if failures:
            print("\ncompatibility matrix: cleanup left these behind:\n  " + "\n  ".join(failures))
        if len(m.records) == len(ROWS):
            DOC.write_text(render_doc(m))
            print(f"\ncompatibility matrix: wrote {DOC.relative_to(ROOT)} ({len(ROWS)} rows, "
                  f"{time.monotonic() - started:.1f} s)")
        else:
            print(f"\ncompatibility matrix: {len(m.records)} of {len(ROWS)} rows ran; "
                  f"{DOC.relative_to(ROOT)} not rewritten")


def test_the_table_covers_every_member_that_talks_to_the_server() -> None:
    members = {name for name, e in SPEC["client"]["members"].items() if e["kind"] in MATRIX_KINDS}
    for attr, ns in SPEC["namespaces"].items():
        members |= {f"{attr}.{name}" for name, e in ns["members"].items() if e["kind"] in MATRIX_KINDS}
    covered = {row.member for row in ROWS}
    assert sorted(members - covered) == [], "members without a matrix row"
    assert sorted(covered - members) == [], "matrix rows for unknown (or runtime) members"
    ids = [row.id for row in ROWS]
    assert len(ids) == len(set(ids)), "two rows with one id: give one a label"
    for row in ROWS:
        assert row.expect in CLASSES and (row.js_expect is None or row.js_expect in CLASSES), row.id
        if row.expect != WORKS:
            assert row.reason, f"{row.id}: every row that is not 'works' needs a reason"
        if row.js_expect is not None:
            assert row.allow, f"{row.id}: a JS class that differs needs the README row or harness limit that says why"
        if row.allow.startswith("README: "):
            area = row.allow[len("README: "):].split("; ")[0]
            assert re.search(r"^\| " + re.escape(area) + r" \|", README, re.M), (
                f"{row.id}: the README's Differences table has no row {area!r}")


@pytest.mark.parametrize("row", ROWS, ids=[row.id for row in ROWS])
def test_matrix(matrix: Matrix, row: Row) -> None:
    sides = matrix.sides
    outcomes: dict[str, Outcome] = {}
    for key in ("port", "js"):
        side = sides[key]
        if row.prep is not None:
            row.prep(matrix, side)
        outcomes[key] = matrix.run_port(row, side) if key == "port" else matrix.run_js(row, side)
        if row.settle:
            matrix.settle_folders(f"after {row.id} [{key}]")
    port, js = outcomes["port"], outcomes["js"]
    matrix.records[row.id] = {"row": row, "port": port, "js": js}
    if os.environ.get("MATRIX_VERBOSE") == "1":
        for key, outcome in outcomes.items():
            print(f"\n{row.id} [{key}] {outcome.cls}: {outcome.text} {str(outcome.value)[:300]}")

        def norm(value: Any) -> str:
            text = json.dumps(value, default=repr, sort_keys=True)
            for side in sides.values():
                text = text.replace(side["folder"].split("-")[1], "<side>")
            text = re.sub(r"[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}", "<id>", text)
            return re.sub(r"\d{4}-\d\d-\d\d[T ][0-9:.+]+", "<t>", text)

        if port.cls == js.cls == WORKS and norm(port.value) != norm(js.value):
            print(f"\nVALUES DIFFER {row.id}:\n  port {norm(port.value)[:600]}\n  js   {norm(js.value)[:600]}")
    assert port.cls == row.expect, (
        f"{row.id}: the port's outcome is {port.cls!r} ({port.text} {port.detail}), the table expects {row.expect!r}")
    js_expected = row.js_expect or row.expect
    assert js.cls == js_expected, f"{row.id}: the JS SDK's outcome is {js.cls!r} ({js.text}), expected {js_expected!r}"
    if row.js_expect is None and port.cls in (FAILS, AGENT):
        assert matrix.scrub(port.text) == matrix.scrub(js.text), f"{row.id}: the port and JS fail differently"


# ---- docs/compatibility.md ------------------------------------------------------------------
def _cell(m: Matrix, outcome: Outcome) -> str:
    if outcome.cls in (WORKS, CLIENT):
        text = f"{outcome.cls}: `{outcome.text}`" if outcome.text else outcome.cls
    else:
        text = f'{outcome.cls}: "{outcome.text}"'
    return m.scrub(text).replace("|", "\\|").replace("\n", " ")


def render_doc(m: Matrix) -> str:
    records = sorted(m.records.values(), key=lambda r: (r["row"].member.lower(), r["row"].label))
    counts = {key: {c: 0 for c in CLASSES} for key in ("port", "js")}
    for rec in records:
        for key in ("port", "js"):
            counts[key][rec[key].cls] += 1
    lines = [
        "<!-- Generated by `make test-integration` from tests/integration/test_matrix.py. Do not edit by hand. -->",
        "# Compatibility with a real Backend.AI manager",
        "",
        "Generated by `make test-integration` from `tests/integration/test_matrix.py`: every member of the port "
        "that talks to the server, called against a real Backend.AI manager "
        f"**{m.state['_managerVersion']}** (API **{m.state['_apiVersion']}**) with its storage-proxy and no agents "
        "(`tests/integration/stack/up.sh`), and the same call made by the JS SDK **21.3.1** (run under Node through "
        "`tests/js/harness.js`) against the same manager, with the same client state (`get_manager_version()` "
        "called first, as JS apps do).",
        "",
        "Outcomes: **works** (a result), **fails** (the error, quoted as `err.message`), **needs an agent** (the "
        "server's error comes from the call needing a running container), **client-side** (settles without a "
        "request). Random names, ids, tokens and times are shown as `<placeholders>`. A row's reason explains every "
        "outcome that is not \"works\" (and notes a few that are).",
        "",
        "| | works | fails | needs an agent | client-side |",
        "| --- | --- | --- | --- | --- |",
        f"| port against {m.state['_managerVersion']} | " + " | ".join(str(counts["port"][c]) for c in CLASSES) + " |",
        f"| JS SDK 21.3.1 against {m.state['_managerVersion']} | " + " | ".join(str(counts["js"][c]) for c in CLASSES) + " |",
        "",
        f"| member | call | port against {m.state['_managerVersion']} | JS SDK 21.3.1 against "
        f"{m.state['_managerVersion']} | reason |",
        "| --- | --- | --- | --- | --- |",
    ]
    for rec in records:
        row: Row = rec["row"]
        port, js = rec["port"], rec["js"]
        reasons = [row.reason] if row.reason else []
        if port.detail and port.cls == FAILS:
            reasons.append(f"server detail: {port.detail}")
        if row.allow:
            reasons.append(f"JS differs: {row.allow}")
        reason = m.scrub("; ".join(reasons)).replace("|", "\\|").replace("\n", " ")
        member = f"`{row.member}`" + (f" ({row.label})" if row.label else "")
        lines.append(f"| {member} | {m.render_call(row)} | {_cell(m, port)} | {_cell(m, js)} | {reason} |")
    return "\n".join(lines) + "\n"
