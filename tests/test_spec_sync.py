"""generator.sync: the JS-surface/spec comparison, the JS default parser, and a live run against 21.3.1.

* Comparison and --write-stubs on small hand-made surfaces and specs (no Node).
* The parameter parser on real SDK method sources and tricky hand-written ones;
  with Node, every default is also evaluated by JS and compared.
* ``oracle``: the tool against ``backend.ai-client@21.3.1`` installed in the
  same cache ``make spec-sync`` uses (``.cache/js-sdk/21.3.1/``; the first run
  needs npm and the registry). Outside CI a missing node/npm (or a failed
  install) skips with the reason; under ``CI=true`` it fails.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from generator import sync
from generator.sync import CLIENT, JSExpr, JSMember, JSParam, Scope, Surface, compare, parse_literal, parse_params
from oracle import in_ci

ROOT = Path(__file__).resolve().parent.parent
JS_VERSION = "21.3.1"

# The namespaces of a backend.ai-client 21.3.1 Client: attribute -> class.
NAMESPACES_21_3_1 = {
    "resourcePreset": "ResourcePreset", "vfolder": "VFolder", "agent": "Agent", "keypair": "Keypair",
    "image": "ContainerImage", "utils": "utils", "computeSession": "ComputeSession",
    "sessionTemplate": "SessionTemplate", "resourcePolicy": "ResourcePolicy", "user": "User", "group": "Group",
    "domain": "Domain", "resources": "Resources", "storageproxy": "StorageProxy", "maintenance": "Maintenance",
    "scalingGroup": "ScalingGroup", "registry": "Registry", "setting": "Setting", "userConfig": "UserConfig",
    "service": "Service", "enterprise": "Enterprise", "cloud": "Cloud", "eduApp": "EduApp",
}


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------


def method(*params: str | tuple[str, Any]) -> JSMember:
    """method("a", ("b", 1), ("c", JSExpr("undefined"))): a JS method."""
    out = []
    for p in params:
        out.append(JSParam(p) if isinstance(p, str) else JSParam(p[0], True, p[1]))
    return JSMember("method", tuple(out))


def small_surface() -> Surface:
    return Surface(
        Scope("Client", {
            "get_info": method("sessionId", ("ownerKey", None)),
            "createKernel": method("kernelType", ("sessionId", JSExpr("undefined")), ("resources", {}), ("timeout", 0)),
            "execute": method("sessionId", "opts"),
            "managerVersion": JSMember("getter"),
            "APIMajorVersion": JSMember("getter+setter"),
        }),
        {"vfolder": Scope("VFolder", {
            "list": method(("groupId", None)),
            "add": method(("name", None), "input"),
            "create": method("name", ("host", ""), ("cloneable", False), ("fields", ["id", "status"])),
        }, {"name": None, "urlPrefix": "/folders"})},
    )


def small_spec(with_namespaces: bool = True) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "format": 1,
        "jsSdk": {"package": "backend.ai-client", "version": "9.9.9"},
        "client": {"members": {
            "get_info": {"kind": "request", "doc": "d", "params": [{"name": "sessionId"},
                                                                   {"name": "ownerKey", "default": None}]},
            "createKernel": {"kind": "alias", "doc": "d", "params": [
                {"name": "kernelType"}, {"name": "sessionId", "optional": True},
                {"name": "resources", "default": {}}, {"name": "timeout", "default": 0}]},
            "execute": {"kind": "request", "doc": "d", "params": [{"name": "sessionId"},
                                                                  {"name": "opts", "optional": True}]},
            "managerVersion": {"kind": "property", "doc": "d", "params": [], "attribute": "_managerVersion"},
            "APIMajorVersion": {"kind": "property", "doc": "d", "params": [], "attribute": "_apiVersionMajor",
                                "setterHook": "set_APIMajorVersion"},
        }},
    }
    if with_namespaces:
        spec["namespaces"] = {"vfolder": {"class": "VFolder", "attributes": {"name": None, "urlPrefix": "/folders"},
                                          "doc": "d", "members": {
            "list": {"kind": "request", "doc": "d", "params": [{"name": "groupId", "default": None}]},
            "add": {"kind": "request", "doc": "d", "params": [{"name": "name", "default": None},
                                                               {"name": "input", "optional": True}]},
            "create": {"kind": "request", "doc": "d", "params": [
                {"name": "name"}, {"name": "host", "default": ""}, {"name": "cloneable", "default": False},
                {"name": "fields", "default": ["id", "status"]}]},
        }}}
    return spec


def details(report: sync.Report, category: str) -> list[tuple[str, str]]:
    return [(f.where, f.detail) for f in report.by(category)]


# --------------------------------------------------------------------------
# (a) the comparison
# --------------------------------------------------------------------------


def test_equal_surfaces_have_no_drift() -> None:
    report = compare(small_surface(), small_spec())
    assert report.no_drift, report.findings
    assert sync.format_report(report, "9.9.9") == "no drift against backend.ai-client@9.9.9\n"


def test_added_client_member_and_namespace_member() -> None:
    surface = small_surface()
    surface.client.members["slugify"] = method("text")
    surface.namespaces["vfolder"].members["share"] = method("permission", "emails", ("name", None))
    report = compare(surface, small_spec())
    assert [(f.where, f.js) for f in report.added] == [
        ("client.slugify", method("text")),
        ("client.vfolder.share", method("permission", "emails", ("name", None))),
    ]
    assert not report.removed and not report.changed
    text = sync.format_report(report, "9.9.9")
    assert "added in JS (missing from the spec):" in text
    assert "  client.vfolder.share(permission, emails, name = null)" in text


def test_missing_namespaces_key_reports_every_namespace_as_added() -> None:
    report = compare(small_surface(), small_spec(with_namespaces=False))
    assert [f.where for f in report.added] == [
        "client.vfolder", "client.vfolder.list", "client.vfolder.add", "client.vfolder.create"]
    assert report.added[0].js_class == "VFolder"
    assert report.only(CLIENT).no_drift
    text = sync.format_report(report, "9.9.9")
    assert "client.vfolder: namespace VFolder (3 members): list, add, create" in text
    verbose = sync.format_report(report, "9.9.9", verbose=True)
    assert '    client.vfolder.create(name, host = "", cloneable = false, fields = ["id", "status"])' in verbose


def test_removed_member_and_namespace() -> None:
    spec = small_spec()
    spec["client"]["members"]["gone"] = {"kind": "hook", "doc": "d", "params": []}
    spec["namespaces"]["vfolder"]["members"]["old"] = {"kind": "request", "doc": "d", "params": []}
    spec["namespaces"]["legacy"] = {"class": "Legacy", "members": {"x": {"kind": "request", "doc": "d", "params": []}}}
    report = compare(small_surface(), spec)
    assert [f.where for f in report.removed] == ["client.gone", "client.vfolder.old", "client.legacy"]
    assert not report.added and not report.changed
    text = sync.format_report(report, "9.9.9")
    assert "removed from JS (in the spec, not in JS):" in text
    assert "  client.legacy: namespace Legacy (and all its members)" in text
    assert "  client.gone (kind 'hook')" in text


@pytest.mark.parametrize(
    ("scope", "member", "spec_params", "expected"),
    [
        (CLIENT, "get_info", [{"name": "sessionId"}, {"name": "owner", "default": None}],
         "parameters (JS adds ownerKey; JS lacks owner): (sessionId, ownerKey) in JS, (sessionId, owner) in the spec"),
        (CLIENT, "get_info", [{"name": "ownerKey", "default": None}, {"name": "sessionId"}],
         "parameter order: (sessionId, ownerKey) in JS, (ownerKey, sessionId) in the spec"),
        (CLIENT, "get_info", [{"name": "sessionId"}],
         "parameters (JS adds ownerKey): (sessionId, ownerKey) in JS, (sessionId) in the spec"),
        (CLIENT, "get_info", [{"name": "sessionId"}, {"name": "ownerKey", "default": ""}],
         "parameter 'ownerKey': default null in JS, \"\" in the spec"),
        (CLIENT, "get_info", [{"name": "sessionId"}, {"name": "ownerKey"}],
         "parameter 'ownerKey': default null in JS, no default in the spec"),
        (CLIENT, "get_info", [{"name": "sessionId"}, {"name": "ownerKey", "optional": True}],
         "parameter 'ownerKey': default null in JS, optional (no default) in the spec"),
        (CLIENT, "get_info", [{"name": "sessionId", "default": "x"}, {"name": "ownerKey", "default": None}],
         "parameter 'sessionId': no default in JS, default \"x\" in the spec"),
        (CLIENT, "createKernel", [{"name": "kernelType"}, {"name": "sessionId"}, {"name": "resources", "default": {}},
                                  {"name": "timeout", "default": 0}],
         "parameter 'sessionId': default undefined in JS, no default in the spec (mark it optional)"),
        (CLIENT, "createKernel", [{"name": "kernelType"}, {"name": "sessionId", "optional": True},
                                  {"name": "resources", "default": []}, {"name": "timeout", "default": False}],
         "parameter 'resources': default {} in JS, [] in the spec"),
        ("vfolder", "create", [{"name": "name"}, {"name": "host", "default": ""}, {"name": "cloneable", "default": 0},
                               {"name": "fields", "default": ["id", "status"]}],
         "parameter 'cloneable': default false in JS, 0 in the spec"),
        ("vfolder", "create", [{"name": "name"}, {"name": "host", "default": ""}, {"name": "cloneable", "default": False},
                               {"name": "fields", "default": ["id"]}],
         "parameter 'fields': default [\"id\", \"status\"] in JS, [\"id\"] in the spec"),
    ],
)
def test_changed_parameters(scope: str, member: str, spec_params: list[Any], expected: str) -> None:
    spec = small_spec()
    table = spec["client"]["members"] if scope == CLIENT else spec["namespaces"][scope]["members"]
    table[member]["params"] = spec_params
    report = compare(small_surface(), spec)
    assert not report.added and not report.removed
    assert details(report, "changed")[0] == (("client." if scope == CLIENT else f"client.{scope}.") + member, expected)
    assert f"changed:\n  client.{'' if scope == CLIENT else scope + '.'}{member}: {expected}" in sync.format_report(
        report, "9.9.9")


def test_changed_kind_and_namespace_class() -> None:
    spec = small_spec()
    spec["client"]["members"]["managerVersion"] = {"kind": "hook", "doc": "d", "params": []}
    del spec["client"]["members"]["APIMajorVersion"]["setterHook"]
    spec["client"]["members"]["get_info"] = {"kind": "property", "doc": "d", "params": [], "attribute": "x"}
    spec["namespaces"]["vfolder"]["class"] = "Vfolder"
    report = compare(small_surface(), spec)
    assert details(report, "changed") == [
        ("client.get_info", "a method in JS, a getter in the spec (kind 'property')"),
        ("client.managerVersion", "a getter in JS, a method in the spec (kind 'hook')"),
        ("client.APIMajorVersion", "a getter+setter in JS, a getter in the spec (kind 'property')"),
        ("client.vfolder", "class VFolder in JS, Vfolder in the spec"),
    ]


def test_changed_namespace_attributes() -> None:
    spec = small_spec()
    spec["namespaces"]["vfolder"]["attributes"] = {"name": "", "config": None}
    surface = small_surface()
    surface.namespaces["vfolder"].attributes["cache"] = JSExpr("Map(0) {}")
    report = compare(surface, spec)
    assert details(report, "changed") == [
        ("client.vfolder", "attribute 'name': null in JS, \"\" in the spec"),
        ("client.vfolder", "attribute 'urlPrefix': \"/folders\" in JS, missing in the spec"),
        ("client.vfolder", "attribute 'cache': Map(0) {} in JS, missing in the spec"),
        ("client.vfolder", "attribute 'config': in the spec (null), not in JS"),
    ]
    del spec["namespaces"]["vfolder"]["attributes"]  # absent: no attributes
    surface.namespaces["vfolder"].attributes = {}
    assert compare(surface, spec).no_drift


def test_literal_equality_is_json_equality() -> None:
    assert sync.json_equal(1, 1.0) and sync.json_equal({}, {}) and sync.json_equal([], [])
    assert not sync.json_equal(False, 0) and not sync.json_equal(True, 1) and not sync.json_equal(None, False)
    assert not sync.json_equal({}, []) and not sync.json_equal("1", 1) and not sync.json_equal([1], [True])
    assert sync.json_equal({"a": [1, {"b": None}]}, {"a": [1.0, {"b": None}]})
    assert sync.json_equal(JSExpr("undefined"), JSExpr("undefined")) and not sync.json_equal(JSExpr("null"), None)
    # a spec default {"js": SOURCE} stands for the non-literal JS default with that source text
    surface = Surface(Scope("Client", {"abort": method(("reason", JSExpr("new DOMException('x')")))}))
    spec = {"client": {"members": {"abort": {"kind": "stub", "doc": "d", "params": [
        {"name": "reason", "default": {"js": "new DOMException('x')"}}]}}}}
    assert compare(surface, spec).no_drift


def test_full_report_layout() -> None:
    surface = small_surface()
    surface.client.members["slugify"] = method("text")
    surface.namespaces["agent"] = Scope("Agent", {"list": method(("status", "ALIVE"), ("timeout", 0))}, {})
    spec = small_spec()
    spec["client"]["members"]["get_info"]["params"][1]["default"] = ""
    spec["client"]["members"]["gone"] = {"kind": "runtime", "doc": "d", "params": []}
    text = sync.format_report(compare(surface, spec), "9.9.9")
    assert text == (
        "drift between api_spec.json and backend.ai-client@9.9.9: 2 member(s) added in JS "
        "(in 1 namespace(s) the spec lacks), 1 removed from JS, 1 changed\n"
        "\n"
        "added in JS (missing from the spec):\n"
        "  client.slugify(text)\n"
        "  client.agent: namespace Agent (1 member): list\n"
        "\n"
        "removed from JS (in the spec, not in JS):\n"
        "  client.gone (kind 'runtime')\n"
        "\n"
        "changed:\n"
        "  client.get_info: parameter 'ownerKey': default null in JS, \"\" in the spec\n"
    )


# --------------------------------------------------------------------------
# --write-stubs
# --------------------------------------------------------------------------


def test_write_stubs_adds_the_missing_members_and_then_matches() -> None:
    surface = small_surface()
    surface.client.members["slugify"] = method("text")
    surface.client.members["endpoint"] = JSMember("getter")
    spec = small_spec(with_namespaces=False)
    report = compare(surface, spec)
    assert sync.write_stubs(spec, report, surface, "9.9.9") == 5
    doc = "TODO: describe; added by generator.sync from backend.ai-client@9.9.9"
    assert spec["client"]["members"]["slugify"] == {"kind": "stub", "doc": doc, "params": [{"name": "text"}]}
    assert spec["client"]["members"]["endpoint"] == {"kind": "stub", "doc": doc, "params": [], "jsKind": "getter"}
    assert spec["namespaces"]["vfolder"] == {"class": "VFolder", "doc": doc, "attributes": {
        "name": None, "urlPrefix": "/folders"}, "members": {
        "list": {"kind": "stub", "doc": doc, "params": [{"name": "groupId", "default": None}]},
        "add": {"kind": "stub", "doc": doc, "params": [{"name": "name", "default": None}, {"name": "input"}]},
        "create": {"kind": "stub", "doc": doc, "params": [
            {"name": "name"}, {"name": "host", "default": ""}, {"name": "cloneable", "default": False},
            {"name": "fields", "default": ["id", "status"]}]},
    }}
    again = compare(surface, spec)
    assert again.no_drift and again.stubs == 5
    assert "note: 5 stub member(s) in api_spec.json still need completing" in sync.format_report(again, "9.9.9")


def test_stub_params_for_undefined_and_non_literal_defaults() -> None:
    member = method("a", ("b", JSExpr("undefined")), ("c", JSExpr("new DOMException('x', 'AbortError')")))
    assert sync.stub_entry(member, "1.0.0")["params"] == [
        {"name": "a"}, {"name": "b", "optional": True},
        {"name": "c", "default": {"js": "new DOMException('x', 'AbortError')"}}]


def test_cli_exit_codes_and_write_stubs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    surface = small_surface()
    surface.client.members["slugify"] = method("text")
    monkeypatch.setattr(sync, "ensure_installed", lambda version, cache, **kw: tmp_path / "entry.js")
    monkeypatch.setattr(sync, "read_surface", lambda entry: surface)
    spec_file = tmp_path / "spec.json"
    original = small_spec()
    spec_file.write_text(sync.dump_spec(original), encoding="utf-8")

    assert sync.main(["--js-version", "9.9.9", "--spec", str(spec_file)]) == 1
    out = capsys.readouterr().out
    assert "added in JS (missing from the spec):\n  client.slugify(text)\n" in out
    assert json.loads(spec_file.read_text()) == original  # nothing written without --write-stubs

    assert sync.main(["--js-version", "9.9.9", "--spec", str(spec_file), "--write-stubs"]) == 1
    assert 'wrote 1 stub member(s) to' in capsys.readouterr().out
    text = spec_file.read_text(encoding="utf-8")
    written = json.loads(text)
    assert text == json.dumps(written, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    assert written["client"]["members"]["slugify"]["kind"] == "stub"

    assert sync.main(["--spec", str(spec_file)]) == 0  # --js-version defaults to jsSdk.version
    out = capsys.readouterr().out
    assert out.startswith("no drift against backend.ai-client@9.9.9\n") and "1 stub member(s)" in out


def test_cli_errors_are_one_line_and_exit_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    assert sync.main(["--js-version", "1.0.0", "--spec", str(tmp_path / "none.json")]) == 2
    assert capsys.readouterr().err.count("\n") == 1
    spec_file = tmp_path / "spec.json"
    spec_file.write_text(sync.dump_spec(small_spec()), encoding="utf-8")
    monkeypatch.setattr(shutil, "which", lambda name: None)
    assert sync.main(["--js-version", "1.0.0", "--spec", str(spec_file), "--cache", str(tmp_path / "c")]) == 2
    err = capsys.readouterr().err
    assert err == ("generator.sync: npm is not on PATH (needed to install backend.ai-client@1.0.0); "
                   "install Node.js 20+ with npm\n")
    assert not (tmp_path / "c").exists()


def test_npm_error_lines_are_condensed() -> None:
    out = ("npm error code ETARGET\n"
           "npm error notarget No matching version found for backend.ai-client@99.0.0.\n"
           "npm error notarget In most cases you or one of your dependencies are requesting\n"
           "npm error A complete log of this run can be found in: /root/.npm/_logs/x.log\n")
    assert sync._npm_error(out) == "No matching version found for backend.ai-client@99.0.0. (npm error ETARGET)"


# --------------------------------------------------------------------------
# (b) the parameter parser
# --------------------------------------------------------------------------

# Real method sources of backend.ai-client 21.3.1 (fn.toString(); long bodies cut after their first lines).
REAL_SOURCES = {
    (CLIENT, "createKernel"): (
        "createKernel(kernelType, sessionId = undefined, resources = {}, timeout = 0) {\n"
        "        return this.createIfNotExists(kernelType, sessionId, resources, timeout);\n"
        "    }"),
    (CLIENT, "_wrapWithPromise"): (
        "async _wrapWithPromise(rqst, rawFile = false, signal = null, timeout = 0, retry = 0) {\n"
        "        let errorType = Client.ERR_REQUEST;\n"),
    (CLIENT, "getAuthenticationString"): (
        'getAuthenticationString(method, queryString, dateValue, bodyValue, content_type = "application/json") {\n'
        "        let bodyHash = crypto_node.createHash(this._config.hashType)\n"
        "            .update(bodyValue).digest('hex');\n"),
    ("computeSession", "listAll"): (
        'async listAll(fields = ["id", "name", "image", "created_at", "terminated_at", "status", "status_info", '
        '"occupied_slots", "containers {live_stat last_stat}"], status = "RUNNING,RESTARTING,TERMINATING,PENDING,'
        "SCHEDULED,PREPARING,PULLING,TERMINATED,CANCELLED,ERROR\", accessKey = '', limit = 100, offset = 0, "
        "group = '', timeout = 0) {\n"
        "        fields = this.client._updateFieldCompatibilityByAPIVersion(fields);\n"
        "        if (!this.client.supports('avoid-hol-blocking')) {\n"
        "            status.replace('SCHEDULED,', '');\n"
        "            status.replace('SCHEDULED', '');\n"
        "        }\n"
        "        let q, v;\n"
        "        const sessions = [];\n"
        "        q = `query($limit:Int!, $offset:Int!, $ak:String, $group_id:String, $status:String) {\n"
        "      compute_session_list(limit:$limit, offset:$offset, access_key:$ak, group_id:$group_id, status:$status) {\n"
        "        items { ${fields.join(' ')}}\n"),
    ("image", "list"): (
        'async list(fields = ["name", "tag", "registry", "digest", "installed", "labels { key value }", '
        '"resource_limits { key min max }"], installed_only = false, system_images = false) {\n'
        "        let q, v;\n"),
    ("resourcePreset", "add"): (
        "async add(name = null, input) {\n"
        "        if (this.client.is_admin === true && name !== null) {\n"),
    ("utils", "changeBinaryUnit"): (
        "changeBinaryUnit(value, targetUnit = 'g', defaultUnit = 'b') {\n"
        "        if (value === undefined) {\n"
        "            return value;\n"
        "        }\n"
        "        let sourceUnit;\n"
        "        const binaryUnits = ['b', 'k', 'm', 'g', 't', 'p', 'auto'];\n"
        "        const bBinaryUnits = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];\n"
        "        if (!(binaryUnits.includes(targetUnit)))\n"
        "            return false;\n"
        "        value = value.toString();\n"
        "        if (value.indexOf(' ') >= 0) { // Has string\n"
        "            let v = value.split(/(\\s+)/);\n"),
    ("vfolder", "rename_file"): "async rename_file(target_path, new_name, name = null, is_dir = false) {\n",
    ("keypair", "add"): (
        "async add(userId = null, isActive = true, isAdmin = false, resourcePolicy = 'default', rateLimit = 1000) {\n"),
    ("agent", "list"): (
        "async list(status = 'ALIVE', fields = ['id', 'status', 'region', 'first_contact', 'cpu_cur_pct', "
        "'mem_cur_bytes', 'available_slots', 'occupied_slots'], timeout = 0) {\n"),
    (CLIENT, "check_login"): "async check_login() {\n",
}

U = JSExpr("undefined")
REAL_EXPECTED = {
    (CLIENT, "createKernel"): [("kernelType",), ("sessionId", U), ("resources", {}), ("timeout", 0)],
    (CLIENT, "_wrapWithPromise"): [("rqst",), ("rawFile", False), ("signal", None), ("timeout", 0), ("retry", 0)],
    (CLIENT, "getAuthenticationString"): [("method",), ("queryString",), ("dateValue",), ("bodyValue",),
                                          ("content_type", "application/json")],
    ("computeSession", "listAll"): [
        ("fields", ["id", "name", "image", "created_at", "terminated_at", "status", "status_info", "occupied_slots",
                    "containers {live_stat last_stat}"]),
        ("status", "RUNNING,RESTARTING,TERMINATING,PENDING,SCHEDULED,PREPARING,PULLING,TERMINATED,CANCELLED,ERROR"),
        ("accessKey", ""), ("limit", 100), ("offset", 0), ("group", ""), ("timeout", 0)],
    ("image", "list"): [
        ("fields", ["name", "tag", "registry", "digest", "installed", "labels { key value }",
                    "resource_limits { key min max }"]),
        ("installed_only", False), ("system_images", False)],
    ("resourcePreset", "add"): [("name", None), ("input",)],
    ("utils", "changeBinaryUnit"): [("value",), ("targetUnit", "g"), ("defaultUnit", "b")],
    ("vfolder", "rename_file"): [("target_path",), ("new_name",), ("name", None), ("is_dir", False)],
    ("keypair", "add"): [("userId", None), ("isActive", True), ("isAdmin", False), ("resourcePolicy", "default"),
                         ("rateLimit", 1000)],
    ("agent", "list"): [("status", "ALIVE"), ("fields", ["id", "status", "region", "first_contact", "cpu_cur_pct",
                                                          "mem_cur_bytes", "available_slots", "occupied_slots"]),
                        ("timeout", 0)],
    (CLIENT, "check_login"): [],
}

# Hand-written tricky sources -> expected (name,) or (name, default) tuples.
TRICKY = [
    ("multi-line, comments, trailing commas",
     "async list(\n    // the fields to fetch\n    fields = [\n      'id',   /* primary, key */\n      \"status\",\n"
     "    ],\n    limit = 20, offset = -1,\n) {\n  return fields;\n}",
     [("fields", ["id", "status"]), ("limit", 20), ("offset", -1)]),
    ("strings with separators and escapes",
     "f(a = 'x, y)', b = \"say \\\"hi\\\" {}\", c = 'it\\'s', d = '\\u00e9\\x41\\n\\t', e = '\\u{1F600}', "
     "g = '\\uD83D\\uDE00', h = 'a\\\nb') {}",
     [("a", "x, y)"), ("b", 'say "hi" {}'), ("c", "it's"), ("d", "\u00e9A\n\t"), ("e", "\U0001F600"),
      ("g", "\U0001F600"), ("h", "ab")]),
    ("template literals",
     "f(a = `plain, text`, b = `x${1}y`, c = `a ${ {x: 1}.x } b`, n = 2) {}",
     [("a", "plain, text"), ("b", JSExpr("`x${1}y`")), ("c", JSExpr("`a ${ {x: 1}.x } b`")), ("n", 2)]),
    ("numbers",
     "f(a = 0x1F, b = 1e3, c = 1.5, d = -2, e = .5, g = 1_000, h = 10n, i = +3, j = -0, k = 0b101, "
     "l = 9007199254740993) {}",
     [("a", 31), ("b", 1000), ("c", 1.5), ("d", -2), ("e", 0.5), ("g", 1000), ("h", JSExpr("10n")), ("i", 3),
      ("j", JSExpr("-0")), ("k", 5), ("l", 9007199254740992)]),
    ("objects and arrays",
     "f(opts = {a: 1, 'b-c': [true, null], \"d\": {}, 7: 'seven'}, e = {}, l = [], m = [[1], {}],) {}",
     [("opts", {"a": 1, "b-c": [True, None], "d": {}, "7": "seven"}), ("e", {}), ("l", []), ("m", [[1], {}])]),
    ("non-literal defaults",
     "f(a = undefined, b = new DOMException('x', 'AbortError'), c = this.x, d = Date.now(), e = a + 1, "
     "g = [a], h = {a}, i = NaN, j = [, 1], k = {...c}, l = {__proto__: null}, m = '\\uD800') {}",
     [("a", U), ("b", JSExpr("new DOMException('x', 'AbortError')")), ("c", JSExpr("this.x")),
      ("d", JSExpr("Date.now()")), ("e", JSExpr("a + 1")), ("g", JSExpr("[a]")), ("h", JSExpr("{a}")),
      ("i", JSExpr("NaN")), ("j", JSExpr("[, 1]")), ("k", JSExpr("{...c}")), ("l", JSExpr("{__proto__: null}")),
      ("m", JSExpr("'\\uD800'"))]),
    ("regular expression and arrow defaults",
     "f(re = /[,)]/g, cb = (x, y) => x, z = 3) {}",
     [("re", JSExpr("/[,)]/g")), ("cb", JSExpr("(x, y) => x")), ("z", 3)]),
    ("arrow functions", "(a, b = 2) => a + b", [("a",), ("b", 2)]),
    ("arrow with one bare parameter", "x => x * 2", [("x",)]),
    ("async arrow", "async (a = 'q') => a", [("a", "q")]),
    ("async arrow with one bare parameter", "async x => x", [("x",)]),
    ("function with patterns and rest",
     "function named(a, {b, c} = {}, [d] = [], ...rest) { return a; }",
     [("a",), ("{b, c}", {}), ("[d]", []), ("...rest",)]),
    ("getter", "get managerVersion() {\n        return this._managerVersion;\n    }", []),
    ("setter", "set APIMajorVersion(value) { this._apiVersionMajor = value; }", [("value",)]),
    ("body that would not tokenize is never read", "m(a = 1) { const s = 'oops }", [("a", 1)]),
    ("computed name", "['quoted (name)'](x = ')') {}", [("x", ")")]),
    ("a method named async", "async(a) {}", [("a",)]),
    ("generator method", "*items(a = [1, 2]) {}", [("a", [1, 2])]),
    ("multi-line array default",
     "async list(fields = [\n        'id',\n        'status',\n    ], limit = 20) {\n    }",
     [("fields", ["id", "status"]), ("limit", 20)]),
]


def as_params(expected: list[tuple[Any, ...]]) -> list[JSParam]:
    return [JSParam(e[0]) if len(e) == 1 else JSParam(e[0], True, e[1]) for e in expected]


def strip_sources(params: list[JSParam]) -> list[JSParam]:
    return [JSParam(p.name, p.has_default, p.default) for p in params]


@pytest.mark.parametrize("key", list(REAL_SOURCES), ids=lambda k: ".".join(k))
def test_parser_on_real_sdk_sources(key: tuple[str, str]) -> None:
    assert strip_sources(parse_params(REAL_SOURCES[key])) == as_params(REAL_EXPECTED[key])


@pytest.mark.parametrize(("label", "source", "expected"), TRICKY, ids=[t[0] for t in TRICKY])
def test_parser_on_tricky_sources(label: str, source: str, expected: list[tuple[Any, ...]]) -> None:
    parsed = strip_sources(parse_params(source))
    assert parsed == as_params(expected)
    for p, e in zip(parsed, expected):  # bool/int and int/float distinctions
        if len(e) == 2 and not isinstance(e[1], JSExpr):
            assert sync.json_equal(p.default, e[1]) and type(p.default) is type(e[1]), (label, p)


def test_default_source_text_is_kept_verbatim() -> None:
    (p,) = parse_params("f(x = [\n  'a', // first\n  'b'\n]) {}")
    assert p.default == ["a", "b"] and p.default_source == "[\n  'a', // first\n  'b'\n]"
    assert p.to_json() == {"name": "x", "default": ["a", "b"]}
    (q,) = parse_params("f(x = new  Map(\n)) {}")
    assert q.to_json() == {"name": "x", "default": {"js": "new  Map(\n)"}}


def test_parse_literal() -> None:
    assert parse_literal(" ['id', 'status'] ") == ["id", "status"]
    assert parse_literal("{}") == {} and parse_literal("[]") == [] and parse_literal("null") is None
    assert parse_literal("'unterminated") == JSExpr("'unterminated")
    assert parse_literal("1 + 1") == JSExpr("1 + 1")


@pytest.mark.parametrize("source", ["function () { [native code] }", "class X { constructor(a) {} }", "f(a = ) {}",
                                    "f(a, , b) {}", "f(a"])
def test_parser_rejects_what_it_cannot_read(source: str) -> None:
    with pytest.raises(ValueError):
        parse_params(source)


# --------------------------------------------------------------------------
# (c) against the real backend.ai-client@21.3.1 (oracle)
# --------------------------------------------------------------------------


def _unavailable(reason: str) -> None:
    if in_ci():
        pytest.fail(f"generator.sync against backend.ai-client@{JS_VERSION} required under CI=true: {reason}",
                    pytrace=False)
    pytest.skip(f"generator.sync against backend.ai-client@{JS_VERSION} skipped: {reason}")


@pytest.fixture(scope="module")
def sdk_entry() -> Path:
    """backend.ai-client@21.3.1 in the cache make spec-sync uses (installed on first use)."""
    for tool in ("node", "npm"):
        if shutil.which(tool) is None:
            _unavailable(f"`{tool}` is not on PATH (needs Node.js 20+ with npm)")
    try:
        return sync.ensure_installed(JS_VERSION, sync.default_cache(JS_VERSION))
    except sync.SyncError as exc:
        _unavailable(str(exc))
        raise


@pytest.fixture(scope="module")
def live_raw(sdk_entry: Path) -> dict[str, Any]:
    return sync.read_raw_surface(sdk_entry)


@pytest.fixture(scope="module")
def live(live_raw: dict[str, Any]) -> Surface:
    return sync.surface_from_raw(live_raw)


def load_spec() -> dict[str, Any]:
    return json.loads((ROOT / "api_spec.json").read_text(encoding="utf-8"))


@pytest.mark.oracle
def test_live_surface_shape(live: Surface) -> None:
    assert live.client.cls == "Client" and len(live.client.members) == 48
    assert {a: ns.cls for a, ns in live.namespaces.items()} == NAMESPACES_21_3_1
    assert live.namespaces["vfolder"].attributes == {"name": None, "urlPrefix": "/folders"}
    assert live.namespaces["agent"].attributes == {}
    assert live.namespaces["resources"].attributes["agents"] == []
    kinds = {n: m.kind for n, m in live.client.members.items() if m.kind != "method"}
    assert kinds == {"managerVersion": "getter", "apiVersion": "getter", "APIMajorVersion": "getter+setter"}
    assert sum(len(ns.members) for ns in live.namespaces.values()) == 107


@pytest.mark.oracle
def test_spec_matches_the_live_sdk(live: Surface) -> None:
    """Client members always; everything once the spec has namespaces (they must then be all 23)."""
    spec = load_spec()
    report = compare(live, spec)
    text = sync.format_report(report, JS_VERSION)
    assert report.only(CLIENT).no_drift, text
    if spec.get("namespaces"):
        assert report.no_drift, text
    else:
        assert [f.where for f in report.findings if f.member is None] == [f"client.{a}" for a in NAMESPACES_21_3_1]
        assert {f.category for f in report.findings} == {"added"}


@pytest.mark.oracle
def test_write_stubs_round_trip_on_the_live_sdk(live: Surface) -> None:
    spec = copy.deepcopy(load_spec())
    spec.pop("namespaces", None)
    report = compare(live, spec)
    assert sync.write_stubs(spec, report, live, JS_VERSION) == 107
    again = compare(live, json.loads(sync.dump_spec(spec)))
    assert again.no_drift and again.stubs == 107
    assert spec["namespaces"]["computeSession"]["members"]["list"]["params"][0] == {
        "name": "fields", "default": ["id", "name", "image", "created_at", "terminated_at", "status", "status_info",
                                      "occupied_slots", "containers {live_stat last_stat}"]}


@pytest.mark.oracle
def test_real_sources_in_this_file_are_the_sdks(live_raw: dict[str, Any]) -> None:
    for (scope, name), source in REAL_SOURCES.items():
        table = live_raw["client"] if scope == CLIENT else live_raw["namespaces"][scope]
        assert table["members"][name]["source"].startswith(source), (scope, name)


_EVAL_JS = r"""
let data = '';
process.stdin.on('data', (d) => { data += d; });
process.stdin.on('end', () => {
  const out = JSON.parse(data).map((c) => {
    try {
      const fn = new Function('return (function (' + c.src + ') { return [' + c.names.join(', ') + ']; })();');
      return { ok: true, v: fn() };
    } catch (e) { return { ok: false, error: String(e) }; }
  });
  const encode = (k, v) => (v === undefined ? { $undefined: true }
    : typeof v === 'bigint' ? { $bigint: String(v) } : v);
  process.stdout.write(JSON.stringify(out, encode));
});
"""


def _js_defaults(cases: list[list[JSParam]]) -> list[dict[str, Any]]:
    """Each parameter list evaluated by Node with no arguments: the default values JS computes."""
    payload = [{"src": ", ".join(p.name + (f" = {p.default_source}" if p.has_default else "") for p in ps),
                "names": [p.name for p in ps]} for ps in cases]
    proc = subprocess.run(["node", "-e", _EVAL_JS], input=json.dumps(payload), capture_output=True, text=True,
                          timeout=60, check=True)
    return json.loads(proc.stdout)


def _assert_parsed_like_js(params: list[JSParam], js: dict[str, Any], where: str) -> int:
    assert js["ok"], (where, js)
    checked = 0
    for p, value in zip(params, js["v"]):
        if not p.has_default:
            assert value == {"$undefined": True}, (where, p)
        elif isinstance(p.default, JSExpr):
            if p.default.source == "undefined":
                assert value == {"$undefined": True}, (where, p)
        else:
            assert sync.json_equal(p.default, value), (where, p.name, p.default, value)
            checked += 1
    return checked


@pytest.mark.oracle
def test_every_live_default_parses_to_what_js_evaluates(live_raw: dict[str, Any], live: Surface) -> None:
    cases, where = [], []
    for scope, table in [(CLIENT, live.client)] + list(live.namespaces.items()):
        for name, member in table.members.items():
            if member.kind == "method":
                cases.append(list(member.params))
                where.append(f"{scope}.{name}")
    results = _js_defaults(cases)
    checked = sum(_assert_parsed_like_js(ps, r, w) for ps, r, w in zip(cases, results, where))
    assert (len(cases), checked) == (152, 140)  # methods, literal defaults in 21.3.1
    # and the whole source of every live method tokenizes (bodies included)
    for table in [live_raw["client"]] + list(live_raw["namespaces"].values()):
        for m in table["members"].values():
            if m["kind"] == "method":
                sync._tokenize(m["source"])


@pytest.mark.oracle
def test_tricky_expectations_are_what_js_evaluates(sdk_entry: Path) -> None:
    eligible = [(label, parse_params(src)) for label, src, _ in TRICKY]
    eligible = [(label, ps) for label, ps in eligible if all(p.name.isidentifier() for p in ps)]
    results = _js_defaults([ps for _, ps in eligible])
    for (label, ps), result in zip(eligible, results):
        _assert_parsed_like_js(ps, result, label)
    assert len(eligible) >= 10


@pytest.mark.oracle
def test_cli_against_21_3_1(sdk_entry: Path) -> None:
    spec = load_spec()
    proc = subprocess.run([sys.executable, "-m", "generator.sync", "--js-version", JS_VERSION], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    if spec.get("namespaces"):
        assert (proc.returncode, proc.stdout) == (0, f"no drift against backend.ai-client@{JS_VERSION}\n"), proc.stderr
    else:
        assert proc.returncode == 1, proc.stderr
        assert proc.stdout.startswith(
            "drift between api_spec.json and backend.ai-client@21.3.1: 107 member(s) added in JS "
            "(in 23 namespace(s) the spec lacks), 0 removed from JS, 0 changed\n")
        assert "  client.vfolder: namespace VFolder (29 members): list_allowed_types, create," in proc.stdout
    assert proc.stderr == ""  # already installed: no npm run


@pytest.mark.oracle
def test_unpublished_version_is_a_one_line_error(tmp_path: Path, sdk_entry: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "generator.sync", "--js-version", "0.0.0-nonexistent", "--cache", str(tmp_path / "c")],
        cwd=ROOT, capture_output=True, text=True, timeout=180, env={**os.environ, "npm_config_loglevel": "error"})
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("generator.sync: npm install backend.ai-client@0.0.0-nonexistent failed: "), proc.stderr
    assert "No matching version found" in last or "404" in last, last
    assert proc.stdout == "" and sorted(p.name for p in tmp_path.iterdir()) == []
