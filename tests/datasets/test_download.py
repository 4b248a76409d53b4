"""get_file: caching, checksums, all-or-nothing writes and offline failures."""
import hashlib
import os
import time

import numpy as np
import pytest

from kerasette.datasets import download, mnist
from kerasette.datasets.download import DownloadError, cache_dir, get_file

ORIGIN = "https://example.invalid/data/blob.bin"


def leftovers(folder):
    return sorted(os.listdir(folder)) if os.path.isdir(folder) else []


def test_cache_dir_follows_environment(tmp_path, monkeypatch):
    monkeypatch.delenv("KERASETTE_DATASETS", raising=False)
    monkeypatch.delenv("KERASETTE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_dir() == str(tmp_path / "home" / ".kerasette" / "datasets")
    monkeypatch.setenv("KERASETTE_HOME", str(tmp_path / "kh"))
    assert cache_dir() == str(tmp_path / "kh" / "datasets")
    monkeypatch.setenv("KERASETTE_DATASETS", str(tmp_path / "direct"))
    assert cache_dir() == str(tmp_path / "direct")


def test_download_then_cache_reuse_without_request(server, cache):
    body = os.urandom(300_000)
    sha = server.add("blob.bin", body)
    path = get_file("blob.bin", ORIGIN, sha, verbose=False)
    assert path == str(cache / "blob.bin")
    with open(path, "rb") as handle:
        assert handle.read() == body
    assert server.requests == ["blob.bin"]
    assert get_file("blob.bin", ORIGIN, sha, verbose=False) == path
    assert server.requests == ["blob.bin"]  # the second call made no request
    assert leftovers(cache) == ["blob.bin"]  # no temporary file left beside it


def test_md5_digest_accepted(server):
    body = b'{"the": 1}'
    server.add("index.json", body)
    path = get_file("index.json", "https://x.invalid/index.json",
                    hashlib.md5(body).hexdigest(), verbose=False)
    assert open(path, "rb").read() == body


def test_wrong_checksum_discards_the_file(server, cache):
    server.add("blob.bin", b"not what was promised")
    wrong = "0" * 64
    with pytest.raises(DownloadError) as error:
        get_file("blob.bin", ORIGIN, wrong, verbose=False)
    message = str(error.value)
    assert "checksum" in message and wrong in message
    assert f"{server.url}/blob.bin" in message
    assert leftovers(cache) == []


def test_dropped_connection_leaves_nothing(server, cache):
    body = os.urandom(200_000)
    sha = server.add("blob.bin", body)
    server.drop.add("blob.bin")
    with pytest.raises(DownloadError) as error:
        get_file("blob.bin", ORIGIN, sha, verbose=False)
    message = str(error.value)
    assert "was cut after" in message and "of 200000 bytes" in message
    assert "nothing was kept" in message
    assert leftovers(cache) == []
    # once the server behaves, the same call succeeds
    server.drop.clear()
    assert open(get_file("blob.bin", ORIGIN, sha, verbose=False), "rb").read() == body


def test_missing_file_on_server_is_a_clear_error(server, cache):
    with pytest.raises(DownloadError, match="Not Found"):
        get_file("absent.bin", ORIGIN, "0" * 64, verbose=False)
    assert leftovers(cache) == []


def test_offline_fails_fast_naming_address_and_manual_path(dead_address, cache):
    start = time.monotonic()
    with pytest.raises(DownloadError) as error:
        get_file("blob.bin", ORIGIN, "0" * 64, verbose=False)
    assert time.monotonic() - start < 3
    message = str(error.value)
    assert f"{dead_address}/blob.bin" in message
    assert f"place it at {cache / 'blob.bin'}" in message
    assert leftovers(cache) == []


def test_file_placed_by_hand_is_used_offline(dead_address, cache, monkeypatch):
    arrays = {"x_train": np.arange(2 * 28 * 28, dtype=np.uint8).reshape(2, 28, 28),
              "y_train": np.array([3, 4], np.uint8),
              "x_test": np.zeros((1, 28, 28), np.uint8), "y_test": np.array([9], np.uint8)}
    cache.mkdir()
    np.savez(cache / "mnist.npz", **arrays)
    monkeypatch.setattr(mnist, "_SHA256", hashlib.sha256((cache / "mnist.npz").read_bytes()).hexdigest())
    (x_train, y_train), (x_test, y_test) = mnist.load_data()
    np.testing.assert_array_equal(x_train, arrays["x_train"])
    assert y_test.tolist() == [9]


def test_stale_cached_file_is_replaced(server, cache):
    body = b"fresh contents"
    sha = server.add("blob.bin", body)
    cache.mkdir()
    (cache / "blob.bin").write_bytes(b"corrupted")
    path = get_file("blob.bin", ORIGIN, sha, verbose=False)
    assert open(path, "rb").read() == body
    assert server.requests == ["blob.bin"]


def test_progress_bar_shown(server, capsys):
    sha = server.add("blob.bin", os.urandom(100_000))
    get_file("blob.bin", ORIGIN, sha, verbose=True)
    assert "Downloading blob.bin" in capsys.readouterr().err


def test_mirror_keeps_only_the_file_name(monkeypatch):
    monkeypatch.setenv("KERASETTE_DATASETS_MIRROR", "http://127.0.0.1:1/m/")
    assert download._resolve_origin(ORIGIN) == "http://127.0.0.1:1/m/blob.bin"
    monkeypatch.delenv("KERASETTE_DATASETS_MIRROR")
    assert download._resolve_origin(ORIGIN) == ORIGIN


def test_interrupted_download_leaves_nothing(server, cache, monkeypatch):
    sha = server.add("blob.bin", os.urandom(500_000))
    real_hasher = download._hasher

    class InterruptAfterFirstChunk:
        def __init__(self, file_hash):
            self.inner, self.chunks = real_hasher(file_hash), 0

        def update(self, chunk):
            self.chunks += 1
            if self.chunks == 2:
                raise KeyboardInterrupt  # as if the user pressed Ctrl-C mid-transfer
            self.inner.update(chunk)

    monkeypatch.setattr(download, "_hasher", InterruptAfterFirstChunk)
    with pytest.raises(KeyboardInterrupt):
        get_file("blob.bin", ORIGIN, sha, verbose=False)
    assert leftovers(cache) == []


def test_file_name_with_sub_folder(server, cache):
    sha = server.add("blob.bin", b"nested")
    path = get_file(os.path.join("sub", "blob.bin"), ORIGIN, sha, verbose=False)
    assert path == str(cache / "sub" / "blob.bin") and open(path, "rb").read() == b"nested"
