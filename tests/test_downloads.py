"""Downloads: bytes as JS returns them, and the Python-only saveTo= that streams into a file."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

import backend_ai_client as ai
from scripted_server import ACCESS_KEY, SECRET_KEY, Reply, ScriptedServer, scripted_server  # noqa: F401

PAYLOAD = bytes(range(256)) * 4096  # 1 MiB, every byte value


def _client(server: ScriptedServer) -> ai.Client:
    return ai.Client(ai.ClientConfig(ACCESS_KEY, SECRET_KEY, server.endpoint))


def test_download_returns_bytes_whatever_the_content_type(scripted_server: ScriptedServer) -> None:
    scripted_server.reset()
    scripted_server.script(Reply(200, None, [("Content-Type", "application/json")], b'{"looks": "like json"}'))
    assert _client(scripted_server).download_single("sess-1", "a.json") == b'{"looks": "like json"}'
    [rec] = scripted_server.take(signed=True)
    assert rec.raw_path == "/kernel/sess-1/download_single?file=a.json"


def test_save_to_streams_into_the_file(scripted_server: ScriptedServer, tmp_path: Path) -> None:
    scripted_server.reset()
    scripted_server.script(Reply(200, None, [("Content-Type", "application/octet-stream")], PAYLOAD))
    target = tmp_path / "out.bin"
    result = _client(scripted_server).download_single("sess-1", "big.bin", saveTo=target)
    scripted_server.take(signed=True)
    assert result == target and target.read_bytes() == PAYLOAD
    assert [p.name for p in tmp_path.iterdir()] == ["out.bin"]  # no temporary file left


def test_failed_download_leaves_no_file(scripted_server: ScriptedServer, tmp_path: Path) -> None:
    scripted_server.reset()
    scripted_server.script(Reply.json(404, '{"title": "No such file."}'))
    target = tmp_path / "out.bin"
    with pytest.raises(ai.ServerError) as info:
        _client(scripted_server).download_single("sess-1", "missing.bin", saveTo=target)
    scripted_server.take()
    # As in JS the raw-file call reports the title as undefined; err.body keeps the server's answer.
    assert info.value.title == "404 Not Found - undefined"
    assert info.value.body == {"title": "No such file."}
    assert list(tmp_path.iterdir()) == []


def test_cut_download_leaves_no_file(scripted_server: ScriptedServer, tmp_path: Path) -> None:
    scripted_server.reset()
    scripted_server.script(Reply(200, None, [("Content-Type", "application/octet-stream")], PAYLOAD, truncate=1000))
    with pytest.raises(ai.ResponseError):
        _client(scripted_server).download_single("sess-1", "big.bin", saveTo=tmp_path / "out.bin")
    scripted_server.take()
    assert list(tmp_path.iterdir()) == []


def test_save_to_is_keyword_only_and_only_on_raw_file_calls() -> None:
    sig = inspect.signature(ai.Client.download)
    assert sig.parameters["saveTo"].kind is inspect.Parameter.KEYWORD_ONLY
    assert "saveTo" not in inspect.signature(ai.Client.get_info).parameters
