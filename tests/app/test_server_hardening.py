"""Issue 9, server side without a browser: after ``harden()`` Streamlit asks nobody for the
machine's address (start banner, WebSocket origin check), Starlette never spools an upload to
disk, and glibc's malloc_trim is reachable."""

from __future__ import annotations

import io
import socket

import pytest
from pages import _server


def test_no_address_lookup_and_foreign_origins_refused_without_network(monkeypatch):
    _server.harden()
    calls = []

    def no_network(*args, **kwargs):
        calls.append(args)
        raise AssertionError("network used")

    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    monkeypatch.setattr(socket.socket, "connect", no_network)
    from streamlit import net_util
    from streamlit.web.server.server_util import is_url_from_allowed_origins

    assert net_util.get_external_ip() is None and net_util.get_internal_ip() is None
    assert not is_url_from_allowed_origins("http://evil.example")
    assert is_url_from_allowed_origins("http://localhost:8501")
    assert calls == []


@pytest.mark.anyio
async def test_a_large_multipart_upload_stays_in_memory(monkeypatch):
    _server.harden()
    import tempfile

    from starlette.datastructures import UploadFile
    from starlette.requests import Request

    opened = []
    monkeypatch.setattr(tempfile, "TemporaryFile", lambda *a, **k: opened.append(a) or
                        io.BytesIO())
    body = (b"--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"c.csv\"\r\n"
            b"Content-Type: text/csv\r\n\r\n" + b"x" * 5_000_000 + b"\r\n--B--\r\n")
    sent = False

    async def receive():
        nonlocal sent
        if sent:
            return {"type": "http.request", "body": b"", "more_body": False}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    scope = {"type": "http", "method": "PUT", "path": "/", "headers": [
        (b"content-type", b"multipart/form-data; boundary=B"),
        (b"content-length", str(len(body)).encode())], "query_string": b""}
    form = await Request(scope, receive).form()
    upload = form["file"]
    assert isinstance(upload, UploadFile)
    assert len(await upload.read()) == 5_000_000
    assert not upload.file._rolled and opened == []  # never rolled over to a file on disk


def test_memory_can_be_trimmed():
    assert _server.trim_memory() in (True, False)
    assert _server._malloc_trim() is not None  # glibc (Debian): malloc_trim is there
