"""keras.utils.get_file against a local HTTP server on 127.0.0.1: Keras 3's
paths and return values, the cache, hashes, and safe, all-or-nothing extraction."""
import hashlib
import http.server
import io
import os
import tarfile
import threading
import zipfile

import pytest

from kerasette import utils
from kerasette.datasets.download import DownloadError


class _Files(http.server.BaseHTTPRequestHandler):
    files = {}
    hits = []

    def do_GET(self):
        self.hits.append(self.path)
        body = self.files.get(self.path)
        if body is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    _Files.files, _Files.hits = {}, []
    httpd = http.server.HTTPServer(("127.0.0.1", 0), _Files)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", _Files
    httpd.shutdown()
    httpd.server_close()


def _tar_gz(members):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _zip(members):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_download_cache_and_hashes(server, tmp_path):
    root, files = server
    files.files["/data/table.csv"] = b"a,b\n1,2\n"
    good = hashlib.sha256(b"a,b\n1,2\n").hexdigest()
    path = utils.get_file(origin=root + "/data/table.csv", file_hash=good, cache_dir=tmp_path)
    assert path == os.path.join(str(tmp_path), "datasets", "table.csv")
    assert open(path, "rb").read() == b"a,b\n1,2\n"
    # the cached copy is used: no second request; md5_hash works too
    md5 = hashlib.md5(b"a,b\n1,2\n").hexdigest()
    assert utils.get_file("table.csv", root + "/data/table.csv", md5_hash=md5, cache_dir=tmp_path) == path
    assert files.hits == ["/data/table.csv"]
    utils.get_file("table.csv", root + "/data/table.csv", cache_dir=tmp_path, force_download=True)
    assert len(files.hits) == 2
    # a wrong hash: the download is refused and nothing is left under that name
    with pytest.raises(DownloadError, match="checksum"):
        utils.get_file("other.csv", root + "/data/table.csv", file_hash="0" * 64, cache_dir=tmp_path,
                       cache_subdir="x")
    assert os.listdir(tmp_path / "x") == []
    with pytest.raises(DownloadError, match="Not Found"):
        utils.get_file("missing.bin", root + "/nope.bin", cache_dir=tmp_path)
    with pytest.raises(ValueError, match="Paths are no longer accepted"):
        utils.get_file("sub/dir.csv", root + "/data/table.csv", cache_dir=tmp_path)
    with pytest.raises(ValueError, match="origin"):
        utils.get_file("x.csv", None)


@pytest.mark.parametrize("kind", ["tar.gz", "zip"])
def test_extract_returns_the_folder_keras_3_names(server, tmp_path, kind):
    root, files = server
    members = {"flowers/roses/a.txt": b"rose", "flowers/tulips/b.txt": b"tulip"}
    files.files[f"/flowers.{kind}"] = _tar_gz(members) if kind == "tar.gz" else _zip(members)
    folder = utils.get_file(origin=f"{root}/flowers.{kind}", extract=True, cache_dir=tmp_path)
    assert folder == os.path.join(str(tmp_path), "datasets", f"flowers.{kind}")
    assert open(os.path.join(folder, "flowers", "tulips", "b.txt"), "rb").read() == b"tulip"
    named = utils.get_file(f"flowers.{kind}", f"{root}/flowers.{kind}", extract=True, cache_dir=tmp_path / "b")
    assert named == os.path.join(str(tmp_path / "b"), "datasets", "flowers_extracted")
    assert sorted(os.listdir(os.path.join(named, "flowers"))) == ["roses", "tulips"]


def test_archives_that_escape_are_refused_and_leave_nothing(server, tmp_path):
    root, files = server
    files.files["/evil.tar.gz"] = _tar_gz({"ok.txt": b"fine", "../../escaped.txt": b"gotcha"})
    files.files["/evil.zip"] = _zip({"ok.txt": b"fine", "../escaped.txt": b"gotcha"})
    for name in ("evil.tar.gz", "evil.zip"):
        with pytest.raises(ValueError, match="outside the extraction folder"):
            utils.get_file(name, f"{root}/{name}", extract=True, cache_dir=tmp_path / "cache")
    assert not (tmp_path / "escaped.txt").exists() and not (tmp_path / "cache" / "escaped.txt").exists()
    assert not (tmp_path / "cache" / "datasets" / "evil_extracted").exists()
    leftovers = [n for n in os.listdir(tmp_path / "cache" / "datasets") if n.startswith(".")]
    assert leftovers == []
