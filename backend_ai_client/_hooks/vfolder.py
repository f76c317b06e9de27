"""Hand-written members of ``client.vfolder`` (JS class ``VFolder``).

Each function is listed, with the reason it is not declarative, in the
``hooks`` table of api_spec.json (``vfolder.NAME``). The generated method has
already applied the parameter defaults (``name`` falls back to the object's
``name`` where JS does so) before it calls the hook.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import requests
import urllib3

from .. import _recipe as _r
from .._core import ERR_REQUEST, ERR_SERVER, ERR_TIMEOUT, FormData, _cause_text, _Failure, _js_less
from .._jsjson import UNDEFINED, js_string, querystring_stringify
from .._multipart import make_part
from .._result import parse_json

if TYPE_CHECKING:
    from .._generated.namespaces import VFolder


def create(ns: "VFolder", name: Any, host: Any = "", group: Any = "", usageMode: Any = "general",
           permission: Any = "rw", cloneable: Any = False) -> Any:
    """Create a virtual folder, building the body as JS 21.3.1 does.

    JS starts with no body and creates one only when ``host`` is not ``''``
    (or, on managers with group folders, when ``group`` is not ``''``); the
    keys added afterwards (``usage_mode``, ``permission``, ``cloneable``) go
    into that body. Without one, JS sends the request bodiless when nothing
    has to be added, and throws a ``TypeError`` otherwise: the port raises
    ``ValueError`` there, naming the key and what to pass.
    """
    client = ns.client
    body: Any = UNDEFINED
    if not _r.strict_equals(host, ""):
        body = {"name": name, "host": host}
    if client.supports("group-folder") and not _r.strict_equals(group, ""):
        body = {"name": name, "host": host, "group": group}

    def add(key: str, value: Any) -> None:
        if body is UNDEFINED:
            raise ValueError(
                f"vfolder.create({name!r}): no request body to add {key!r} to, because host is '' and no group "
                "applies (group folders need a group and a manager that supports them); pass the storage host. "
                "JS 21.3.1 throws a TypeError here."
            )
        body[key] = value

    if client.isAPIVersionCompatibleWith("v4.20191215"):
        if _r.truthy(usageMode):
            add("usage_mode", usageMode)
        if _r.truthy(permission):
            add("permission", permission)
    if client.supports("storage-proxy"):
        add("cloneable", cloneable)
    path = client._path("{urlPrefix}", {}, owner=ns)
    return client._call("vfolder.create", "POST", path, None, None if body is UNDEFINED else body)


def _size_of(fs: Any, path: Any) -> Any:
    """JS ``fs.size`` for the values Python callers hold instead of a browser ``File``."""
    if isinstance(fs, Mapping):
        return fs.get("size", UNDEFINED)  # a plain object, as JS reads it
    if isinstance(fs, (bytes, bytearray, memoryview, str, os.PathLike)) or callable(getattr(fs, "read", None)):
        # Measured as upload/FormData sends it: text as UTF-8, files from their position to the end.
        return make_part("src", fs, js_string(path)).measure()[0]
    size = getattr(fs, "size", UNDEFINED)
    if size is UNDEFINED or callable(size):
        raise TypeError(
            "vfolder.create_upload_session: fs must be bytes, text, a binary file object, a pathlib.Path, a "
            f"mapping with a 'size' key or an object with a size attribute, not {type(fs).__name__}"
        )
    return size


def create_upload_session(ns: "VFolder", path: Any, fs: Any, name: Any = None) -> Any:
    """Open a tus upload session for ``fs`` at ``path`` and return the upload URL.

    Before API v6 the URL is the manager's tus endpoint (through ``/func`` in
    SESSION mode); from v6 on it is the storage proxy URL the server answers,
    with the token as its query (an answer without a URL raises ValueError).
    The token is encoded (as a path segment or a query value); ordinary
    tokens read as in JS.
    """
    client = ns.client
    if not _r.not_null(name):
        name = ns.name
    body = {"path": path, "size": _size_of(fs, path)}
    if _js_less(client._apiVersionMajor, 6):
        template = "{urlPrefix}/{name}/create_upload_session"
    else:
        template = "{urlPrefix}/{name}/request-upload"
    res = client._call("vfolder.create_upload_session", "POST", client._path(template, {"name": name}, owner=ns),
                       None, body)
    token = _r.item(res, "token")
    if _js_less(client._apiVersionMajor, 6):
        url = client._config.endpoint
        if client._config.connectionMode == "SESSION":
            url += "/func"
        return url + client._path("{urlPrefix}/_/tus/upload/{token}", {"token": token}, owner=ns)
    base = _r.item(res, "url")
    if not isinstance(base, str) or not base:
        # JS would return the useless text 'undefined?token=...'.
        raise ValueError(
            f"vfolder.create_upload_session: the server's request-upload answer has no 'url': {res!r}"
        )
    return f"{base}?{querystring_stringify({'token': token})}"


def download(ns: "VFolder", file: Any, name: Any = False, archive: Any = False, noCache: Any = False) -> Any:
    """Download ``file`` from the folder ``name`` and return its bytes.

    Before API v6 the manager serves the file (``download_single``). From v6
    on, a token is requested with ``request_download_token(file, name)`` (as
    JS does, without ``archive``) and the storage proxy's URL is fetched
    unsigned with ``token``, ``archive`` and ``no_cache``; JS returns that
    fetch Response, the port its bytes. A non-2xx answer raises
    ``BackendAIError`` (``ERR_SERVER``); redirects are not followed.
    """
    client = ns.client
    if _js_less(client._apiVersionMajor, 6):
        path = client._path("{urlPrefix}/{name}/download_single", {"name": name}, owner=ns)
        return client._call("vfolder.download", "GET", path, {"file": file, "archive": archive}, None, rawFile=True)
    res = ns.request_download_token(file, name)
    base = _r.item(res, "url")
    if not isinstance(base, str) or not base:
        raise ValueError(f"vfolder.download: the server's request-download answer has no 'url': {res!r}")
    query = querystring_stringify({"token": _r.item(res, "token"), "archive": archive, "no_cache": noCache})
    return _fetch_unsigned(ns, f"{base}?{query}", "vfolder.download")


def upload(ns: "VFolder", path: Any, fs: Any, name: Any = None) -> Any:
    """Upload ``fs`` (bytes, text, a binary file object or a ``pathlib.Path``) as ``path`` in the folder.

    Before API v6 this is JS's multipart POST to ``/folders/{name}/upload``. That
    route is gone from managers with a storage proxy (23.09 answers 404), so from
    v6 on the port does what the Web UI does: ``create_upload_session`` and one
    tus ``PATCH`` of the whole content to the storage proxy, streamed from disk.
    """
    client = ns.client
    if not _r.not_null(name):
        name = ns.name
    if _js_less(client._apiVersionMajor, 6):
        form = FormData()
        form.append("src", fs, path)
        target = client._path("{urlPrefix}/{name}/upload", {"name": name}, owner=ns)
        return client._call("vfolder.upload", "POST", target, None, form)
    url = ns.create_upload_session(path, fs, name)
    part = make_part("src", fs, js_string(path))
    size, prepared = part.measure()
    body = _Content(part, size, prepared)
    headers = {"Tus-Resumable": "1.0.0", "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream",
               "Content-Length": str(size)}
    return _fetch_unsigned(ns, url, "vfolder.upload", method="PATCH", extra_headers=headers, data=body)


class _Content:
    """One file's bytes, streamed with a known length (requests sends Content-Length, not chunks)."""

    def __init__(self, part: Any, size: int, prepared: Any) -> None:
        self._part, self._size, self._prepared = part, size, prepared

    def __len__(self) -> int:
        return self._size

    def __iter__(self) -> Any:
        for chunk in self._part.chunks(self._size, self._prepared, 1024 * 1024):
            yield bytes(chunk)


def _fetch_unsigned(ns: "VFolder", url: str, operation: str, method: str = "GET",
                    extra_headers: dict[str, str] | None = None, data: Any = None) -> bytes:
    """GET ``url`` (another host: no signature, no Host override) and return the body bytes.

    Timeouts as for every call (``requestTimeout`` until the headers,
    ``responseReadTimeout`` for the body); failures map to ``BackendAIError``
    as the client's own requests do.
    """
    client = ns.client
    headers = {"User-Agent": client._user_agent(), **(extra_headers or {})}
    rqst: dict[str, Any] = {"method": method, "headers": headers, "uri": url, "body": UNDEFINED}
    seconds = client.requestTimeout / 1000
    try:
        try:
            resp = client._session.request(method, url, headers=headers, data=data, timeout=(seconds, seconds),
                                           stream=True, allow_redirects=False, verify=client.verify)
        except (requests.Timeout, TimeoutError) as exc:
            raise _Failure(ERR_TIMEOUT, exc) from exc
        except (requests.RequestException, urllib3.exceptions.HTTPError, OSError, ValueError) as exc:
            raise _Failure(ERR_REQUEST, _cause_text(exc)) from exc
        with resp:
            raw = client._read_body(resp)
            if 200 <= resp.status_code < 300:
                return raw
            parsed: Any = raw
            content_type = resp.headers.get("Content-Type") or ""
            if content_type.startswith(("application/json", "application/problem+json")):
                try:
                    parsed = parse_json(raw.decode("utf-8", "replace"))
                except (ValueError, RecursionError):
                    parsed = raw
            raise _Failure(ERR_SERVER, parsed, resp, parsed)
    except _Failure as failure:
        cause = failure.cause if isinstance(failure.cause, BaseException) else None
        raise client._to_error(rqst, failure, operation) from cause
