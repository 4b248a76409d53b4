"""A local HTTP server on 127.0.0.1 that stands in for the dataset hosts.

No test here touches the real network: ``KERASETTE_DATASETS_MIRROR`` points
every download at this server, and ``KERASETTE_DATASETS`` at a temporary cache.
"""
import hashlib
import http.server
import socket
import threading

import pytest


class FileServer:
    """Serves ``files`` (name -> bytes); names in ``drop`` are cut off mid-body."""

    def __init__(self):
        self.files: dict = {}
        self.drop: set = set()
        self.requests: list = []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's name)
                name = self.path.rsplit("/", 1)[-1]
                server.requests.append(name)
                body = server.files.get(name)
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if name in server.drop:
                    self.wfile.write(body[: len(body) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/datasets"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)

    def add(self, name: str, body: bytes) -> str:
        """Serve ``body`` as ``name``; return its SHA-256."""
        self.files[name] = body
        return hashlib.sha256(body).hexdigest()


@pytest.fixture
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("KERASETTE_DATASETS", str(folder))
    monkeypatch.setenv("KERASETTE_DOWNLOAD_TIMEOUT", "5")
    # a proxy configured on the machine must not capture requests to 127.0.0.1
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    return folder


@pytest.fixture
def server(cache, monkeypatch):
    files = FileServer()
    files.thread.start()
    monkeypatch.setenv("KERASETTE_DATASETS_MIRROR", files.url)
    yield files
    files.httpd.shutdown()
    files.httpd.server_close()


@pytest.fixture
def dead_address(cache, monkeypatch):
    """A mirror address on 127.0.0.1 where nothing listens."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/datasets"
    monkeypatch.setenv("KERASETTE_DATASETS_MIRROR", url)
    return url
