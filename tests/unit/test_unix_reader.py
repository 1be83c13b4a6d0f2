"""The read-only Engine API client over a unix socket (status and check without docker-py)."""
from __future__ import annotations

import json
import socketserver
import threading
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlsplit

import pytest

from labctl.core.errors import EngineUnavailableError, LabctlError
from labctl.runtime.docker.unix_reader import UnixReader


class FakeEngine(BaseHTTPRequestHandler):
    seen: list[dict] = []

    def log_message(self, *args):
        pass

    def address_string(self):  # a unix socket has no client address
        return "unix"

    def do_GET(self):
        parts = urlsplit(self.path)
        if parts.path == "/_ping":
            self._send(200, b"OK", "text/plain")
        elif parts.path == "/containers/json":
            query = parse_qs(parts.query)
            FakeEngine.seen.append({"all": query["all"][0], "filters": json.loads(query["filters"][0])})
            self._send(200, json.dumps([{"Id": "abc", "Labels": {"io.labctl.managed": "true"}}]).encode())
        else:
            self._send(404, json.dumps({"message": "page not found"}).encode())

    def _send(self, status, body, kind="application/json"):
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def engine_socket(tmp_path):
    path = str(tmp_path / "engine.sock")
    server = socketserver.ThreadingUnixStreamServer(path, FakeEngine)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield path
    server.shutdown()
    server.server_close()


def test_ping_and_containers_with_filters_as_the_engine_wants_them(engine_socket):
    reader = UnixReader(engine_socket, timeout=5)
    assert reader.ping()
    found = reader.containers({"label": "io.labctl.managed=true", "name": ["^/x$"]})
    assert found == [{"Id": "abc", "Labels": {"io.labctl.managed": "true"}}]
    assert FakeEngine.seen[-1] == {"all": "1", "filters": {"label": ["io.labctl.managed=true"], "name": ["^/x$"]}}


def test_engine_errors_and_a_missing_socket(engine_socket, tmp_path):
    with pytest.raises(LabctlError, match="the engine said: page not found"):
        UnixReader(engine_socket).get("/nothing")
    missing = UnixReader(str(tmp_path / "none.sock"))
    assert not missing.ping()
    with pytest.raises(EngineUnavailableError, match="lost the connection to the container engine"):
        missing.containers({})
