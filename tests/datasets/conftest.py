"""Fixtures for the data set tests: an isolated home/cache, small IDX files, a local HTTP server."""

from __future__ import annotations

import gzip
import hashlib
import http.server
import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

from neuronal.datasets import download, mnist, write_idx

FILES = mnist.FILES


@pytest.fixture(autouse=True)
def isolated_env(tmp_path, monkeypatch):
    """Never touch the real home or cache; start every test with an empty verification cache."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    monkeypatch.delenv("NEURONAL_DATA", raising=False)
    monkeypatch.setattr(download, "TIMEOUT", 5.0)
    monkeypatch.setattr(download, "MAX_SECONDS", 20.0)
    monkeypatch.setattr(mnist, "_VERIFIED", set())
    # No test may reach a real mirror.
    monkeypatch.setitem(mnist.MIRRORS, "mnist", [])
    monkeypatch.setitem(mnist.MIRRORS, "fashion-mnist", [])
    return tmp_path


@pytest.fixture
def cache_root(isolated_env) -> Path:
    """The user cache folder the library resolves in the isolated environment."""
    return isolated_env / "xdg-cache" / "neuronal"


@dataclass
class SmallSet:
    """A tiny MNIST-like data set: 20 training and 10 test images of 28x28."""

    arrays: dict[str, np.ndarray]
    gz: dict[str, bytes]  # file stem -> gzipped IDX bytes
    md5: dict[str, str]  # file stem -> MD5 of the decompressed content
    sha256: dict[str, str] = field(default_factory=dict)  # ... SHA-256 of the same
    gz_md5: dict[str, str] = field(default_factory=dict)  # file stem -> MD5 of the .gz bytes

    def write(self, folder: Path, compress: bool = True) -> Path:
        """The files as published: the exact ``gz`` bytes, or the uncompressed IDX files."""
        folder.mkdir(parents=True, exist_ok=True)
        for stem, array in self.arrays.items():
            if compress:
                (folder / (stem + ".gz")).write_bytes(self.gz[stem])
            else:
                write_idx(folder / stem, array)
        return folder


def make_small_set(seed: int = 0, n_train: int = 20, n_test: int = 10, label: int | None = None):
    rng = np.random.default_rng(seed)
    arrays = {
        FILES[0]: rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        FILES[1]: rng.integers(0, 10, n_train, dtype=np.uint8),
        FILES[2]: rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        FILES[3]: rng.integers(0, 10, n_test, dtype=np.uint8),
    }
    if label is not None:
        arrays[FILES[1]][:] = label
        arrays[FILES[3]][:] = label
    gz, md5, sha256, gz_md5 = {}, {}, {}, {}
    for stem, array in arrays.items():
        header = bytes([0, 0, 0x08, array.ndim]) + b"".join(
            int(d).to_bytes(4, "big") for d in array.shape
        )
        raw = header + array.tobytes()
        gz[stem] = gzip.compress(raw, mtime=0)
        md5[stem] = hashlib.md5(raw).hexdigest()
        sha256[stem] = hashlib.sha256(raw).hexdigest()
        gz_md5[stem] = hashlib.md5(gz[stem]).hexdigest()
    return SmallSet(arrays, gz, md5, sha256, gz_md5)


@pytest.fixture
def small_set() -> SmallSet:
    return make_small_set()


@pytest.fixture
def trust_small_set(monkeypatch, small_set):
    """Make the hash tables expect the small set (MNIST by its content, Fashion-MNIST by its
    .gz bytes), and the shape table expect its shapes."""
    monkeypatch.setitem(mnist.MD5, "mnist", dict(small_set.md5))
    monkeypatch.setitem(mnist.SHA256, "mnist", dict(small_set.sha256))
    monkeypatch.setitem(mnist.GZ_MD5, "fashion-mnist", dict(small_set.gz_md5))
    shapes = {stem: array.shape for stem, array in small_set.arrays.items()}
    monkeypatch.setitem(mnist.SHAPES, "fashion-mnist", shapes)
    return small_set


@dataclass
class Server:
    """Routes: path -> (behaviour, body). Behaviours: ok, truncate (Content-Length too big, then
    the connection closes), slow (sleeps before answering), drip (the body one byte every 0.1 s,
    forever), short-length (a Content-Length smaller than the body), huge-length (announces
    10**12 bytes), endless (no Content-Length, zeros until the client hangs up). Anything else
    is a 404."""

    base: str
    routes: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    hits: list[str] = field(default_factory=list)

    def serve(self, prefix: str, files: dict[str, bytes], behaviour: str = "ok") -> str:
        for stem, body in files.items():
            self.routes[f"/{prefix}/{stem}.gz"] = (behaviour, body)
        return f"{self.base}/{prefix}/"


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        state: Server = self.server.state  # type: ignore[attr-defined]
        state.hits.append(self.path)
        behaviour, body = state.routes.get(self.path, ("missing", b""))
        if behaviour == "missing":
            self.send_error(404, "Not Found")
            return
        if behaviour == "slow":
            time.sleep(1.5)
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        if behaviour in ("drip", "endless"):
            self.end_headers()
            self.close_connection = True
            try:
                for i in range(10**9):
                    if behaviour == "drip":
                        self.wfile.write(body[i % len(body):i % len(body) + 1])
                        self.wfile.flush()
                        time.sleep(0.1)
                    else:
                        self.wfile.write(bytes(65536))
            except OSError:  # the client gave up: what the tests expect
                return
            return
        if behaviour in ("short-length", "huge-length"):
            length = len(body) // 2 if behaviour == "short-length" else 10**12
            self.send_header("Content-Length", str(length))
            self.end_headers()
            try:
                self.wfile.write(body)
            except OSError:
                pass
            self.close_connection = True
            return
        if behaviour == "truncate":
            self.send_header("Content-Length", str(len(body) + 1000))
            self.end_headers()
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def server():
    """A real HTTP server on 127.0.0.1 with an ephemeral port, in a background thread."""
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    state = Server(base=f"http://127.0.0.1:{httpd.server_address[1]}")
    httpd.state = state  # type: ignore[attr-defined]
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


@pytest.fixture
def dead_url() -> str:
    """A URL on a local port where nothing listens (connection refused)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/mnist/"


@pytest.fixture
def make_set():
    """Factory for further small sets: ``make_set(seed=1, label=3)``."""
    return make_small_set
