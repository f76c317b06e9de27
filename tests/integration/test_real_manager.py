"""The port against a real Backend.AI manager (23.09.10, API v7.20230615) and
its storage-proxy, brought up by tests/integration/stack/up.sh.

Each test records its outcome for docs/compatibility.md (see matrix.py): the
port's result against this manager, and the JS SDK 21.3.1's for the same call
(run through the Node harness) in a second column.
"""

from __future__ import annotations

import secrets
from typing import Any

import pytest

import backend_ai_client as ai
from conftest import make_client

pytestmark = pytest.mark.integration


def test_server_version_is_public(stack: dict[str, Any], admin: ai.Client) -> None:
    version = admin.getServerVersion()
    assert version["version"].startswith("v7.") and version["manager"].startswith("23.09")


@pytest.mark.parametrize("adopt_version", [False, True], ids=["default-api-version", "server-api-version"])
def test_signed_calls_are_accepted(stack: dict[str, Any], adopt_version: bool) -> None:
    client = make_client(stack, "admin")
    if adopt_version:
        assert client.get_manager_version().startswith("23.09")
        assert client._config.apiVersion.startswith("v7.")
    slots = client.get_resource_slots()
    assert "cpu" in slots and "mem" in slots
    presets = client.resourcePreset.list()
    assert "presets" in presets


def test_wrong_secret_is_a_server_error(stack: dict[str, Any]) -> None:
    client = ai.Client(ai.ClientConfig(stack["admin"]["access_key"], "not-the-secret", stack["endpoint"]))
    with pytest.raises(ai.ServerError) as info:
        client.resourcePreset.list()
    assert info.value.type == ai.Client.ERR_SERVER and info.value.statusCode == 401
    assert "Signature mismatch" in info.value.message


def test_graphql_listings_as_admin(admin: ai.Client, stack: dict[str, Any]) -> None:
    admin.get_manager_version()
    info = admin.keypair.info(stack["admin"]["access_key"], ["access_key", "is_admin"])
    assert info["keypair"]["access_key"] == stack["admin"]["access_key"]
    assert len(admin.keypair.list(None, ["access_key"])["keypairs"]) >= 2
    assert any(u["email"] == stack["user"]["email"] for u in admin.user.list(True, ["email"])["users"])
    assert admin.domain.list(["name"])["domains"]
    assert admin.group.list(True, False, ["id", "name"])["groups"]
    assert admin.resourcePolicy.get(None, ["name"])["keypair_resource_policies"]
    assert admin.scalingGroup.list_available()["scaling_groups"]
    assert admin.image.list(["name", "tag"])["images"]
    assert admin.agent.list("ALIVE", ["id"])["agents"] == []


def test_normal_user_asking_admin_data_fails(user: ai.Client) -> None:
    user.get_manager_version()
    user.is_admin = True  # pretend, so the client-side guard lets the query through
    with pytest.raises(ai.ServerError) as info:
        user.user.list(True, ["email"])
    assert info.value.type == ai.Client.ERR_SERVER and info.value.statusCode == 400
    assert "GraphQL-generated error" in info.value.message


def test_folder_round_trip(admin: ai.Client, stack: dict[str, Any], tmp_path: Any) -> None:
    admin.get_manager_version()
    name = "it-" + secrets.token_hex(4)
    created = admin.vfolder.create(name, stack["vfolder_host"])
    assert created["name"] == name
    try:
        payload = secrets.token_bytes(4096)
        assert admin.vfolder.upload("data.bin", payload, name) == b""  # session + tus PATCH on v6+
        files = admin.vfolder.list_files(".", name)
        assert any(f.get("name") == "data.bin" for f in files.get("items", files.get("files", [])))
        assert admin.vfolder.download("data.bin", name) == payload
        admin.vfolder.name = name
        admin.vfolder.rename(name + "-r")
        name = name + "-r"
        assert any(f["name"] == name for f in admin.vfolder.list())
    finally:
        admin.vfolder.delete(name)


def test_sessions_enqueue_only(admin: ai.Client, stack: dict[str, Any]) -> None:
    admin.get_manager_version()
    name = "it-" + secrets.token_hex(4)
    created = admin.createIfNotExists(stack["image"], name, {"enqueueOnly": True, "cpu": 1, "mem": "512m",
                                                              "group_name": stack["group"], "domain": stack["domain"]},
                                      20000)
    assert created["status"] in ("PENDING", "SCHEDULED")
    info = admin.get_info(name)
    assert info["status"] in ("PENDING", "SCHEDULED", "CANCELLED")
    admin.destroy(name, None, True)


def test_missing_session_is_a_404(admin: ai.Client) -> None:
    admin.get_manager_version()
    with pytest.raises(ai.ServerError) as info:
        admin.get_info("no-such-session-" + secrets.token_hex(3))
    assert info.value.statusCode == 404


def test_old_multipart_upload_route_is_gone(admin: ai.Client, stack: dict[str, Any]) -> None:
    """JS 21.3.1's vfolder.upload posts to /folders/{name}/upload, which 23.09 no longer has
    (the port switches to an upload session from API v6 on)."""
    admin.get_manager_version()
    name = "it-" + secrets.token_hex(4)
    admin.vfolder.create(name, stack["vfolder_host"])
    try:
        old_style = make_client(stack, "admin")  # still at the default API v4: the JS route
        with pytest.raises(ai.ServerError) as info:
            old_style.vfolder.upload("a.txt", b"x", name)
        assert info.value.statusCode == 404 and "Unknown URL path" in info.value.message
    finally:
        admin.vfolder.delete(name)


def test_large_upload_streams_through_the_storage_proxy(admin: ai.Client, stack: dict[str, Any], tmp_path: Any) -> None:
    admin.get_manager_version()
    name = "it-" + secrets.token_hex(4)
    admin.vfolder.create(name, stack["vfolder_host"])
    try:
        source = tmp_path / "big.bin"
        source.write_bytes(secrets.token_bytes(1024 * 1024) * 8)  # 8 MiB
        admin.vfolder.upload("big.bin", source, name)
        assert admin.vfolder.download("big.bin", name) == source.read_bytes()
    finally:
        admin.vfolder.delete(name)
