"""``keras.utils.get_file`` with Keras 3's arguments, over kerasette's downloader.

Same names, paths and return values as Keras 3: the file lands in
``cache_dir/cache_subdir/fname`` (``cache_dir`` defaults to
``$KERASETTE_HOME`` or ``~/.kerasette``; Keras uses ``~/.keras``), ``fname``
defaults to the last part of the URL, and with ``extract=True`` the archive is
unpacked next to it into ``<name>_extracted`` (or ``<name>`` when no file name
was given) and that folder is returned.

What kerasette adds: the download goes through ``download._download``, so it
streams into a hidden file that is renamed into place only when its length
and hash are right; an archive is unpacked into a hidden folder that is
renamed into place only when every member came out, and members that would
land outside that folder (``../``, absolute paths, links pointing out) are
refused, naming the member.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import tarfile
import tempfile
import urllib.parse
import warnings
import zipfile

from . import download

__all__ = ["get_file", "hash_file", "validate_file", "extract_archive"]


def _home() -> str:
    return os.path.expanduser(os.environ.get("KERASETTE_HOME") or os.path.join("~", ".kerasette"))


def _hasher(algorithm: str, file_hash=None):
    if algorithm == "sha256" or (algorithm == "auto" and file_hash is not None and len(file_hash) == 64):
        return hashlib.sha256()
    return hashlib.md5()


def hash_file(fpath, algorithm: str = "sha256", chunk_size: int = 65535) -> str:
    """The file's SHA-256 (or MD5) hex digest."""
    hasher = _hasher(algorithm)
    with open(fpath, "rb") as handle:
        for chunk in iter(lambda: handle.read(chunk_size), b""):
            hasher.update(chunk)
    return hasher.hexdigest()


def validate_file(fpath, file_hash: str, algorithm: str = "auto", chunk_size: int = 65535) -> bool:
    """Whether the file's hash is ``file_hash`` (``"auto"``: SHA-256 for 64 hex digits, else MD5)."""
    algorithm = "sha256" if _hasher(algorithm, file_hash).name == "sha256" else "md5"
    return hash_file(fpath, algorithm, chunk_size) == str(file_hash).lower()


def _inside(base: str, name: str) -> bool:
    target = os.path.realpath(os.path.join(base, name))
    return os.path.commonpath([os.path.realpath(base), target]) == os.path.realpath(base)


def _extract_into(archive_path: str, folder: str, kind: str) -> None:
    if kind == "zip":
        with zipfile.ZipFile(archive_path) as archive:
            for member in archive.infolist():
                if not _inside(folder, member.filename):
                    raise ValueError(f"The archive {archive_path} holds {member.filename!r}, which would be written "
                                     "outside the extraction folder; nothing was extracted")
            archive.extractall(folder)
        return
    with tarfile.open(archive_path) as archive:
        for member in archive.getmembers():
            if not _inside(folder, member.name) or (
                    (member.issym() or member.islnk())
                    and not _inside(folder, os.path.join(os.path.dirname(member.name), member.linkname))):
                raise ValueError(f"The archive {archive_path} holds {member.name!r}, which would be written or "
                                 "point outside the extraction folder; nothing was extracted")
            if not (member.isfile() or member.isdir() or member.issym() or member.islnk()):
                raise ValueError(f"The archive {archive_path} holds {member.name!r}, a device or pipe; nothing "
                                 "was extracted")
        archive.extractall(folder, filter="data") if hasattr(tarfile, "data_filter") else archive.extractall(folder)


def extract_archive(file_path, path=".", archive_format="auto") -> bool:
    """Unpack a tar (plain, gz, bz2, xz) or zip archive into ``path``, all or
    nothing; False when it is none of the formats asked for."""
    if archive_format is None:
        return False
    formats = ["tar", "zip"] if archive_format == "auto" else (
        [archive_format] if isinstance(archive_format, str) else list(archive_format))
    file_path, path = os.fspath(file_path), os.fspath(path)
    for kind in formats:
        if kind not in ("tar", "zip"):
            raise NotImplementedError(kind)
        matches = tarfile.is_tarfile(file_path) if kind == "tar" else zipfile.is_zipfile(file_path)
        if not matches:
            continue
        parent = os.path.dirname(os.path.abspath(path)) or "."
        os.makedirs(parent, exist_ok=True)
        staging = tempfile.mkdtemp(prefix=f".{os.path.basename(path)}.", suffix=".partial", dir=parent)
        try:
            _extract_into(file_path, staging, kind)
            if os.path.isdir(path):
                shutil.rmtree(path)
            os.replace(staging, path)
        finally:
            if os.path.exists(staging):
                shutil.rmtree(staging)
        return True
    return False


def get_file(fname=None, origin=None, untar=False, md5_hash=None, file_hash=None, cache_subdir="datasets",
             hash_algorithm="auto", extract=False, archive_format="auto", cache_dir=None, force_download=False):
    """Download ``origin`` into the cache (unless a good copy is there) and return its path.

    >>> # path = get_file(origin="https://example.org/flowers.tgz", extract=True)
    """
    if origin is None:
        raise ValueError('Please specify the "origin" argument (URL of the file to download).')
    if md5_hash is not None and file_hash is None:
        file_hash, hash_algorithm = md5_hash, "md5"
    datadir = os.path.join(os.path.expanduser(os.fspath(cache_dir)) if cache_dir is not None else _home(),
                           cache_subdir)
    os.makedirs(datadir, exist_ok=True)
    provided = fname
    fname = os.fspath(fname) if fname is not None else ""
    if not fname:
        fname = os.path.basename(urllib.parse.urlsplit(origin).path)
        if not fname:
            raise ValueError(f"Can't parse the file name from the origin provided: '{origin}'.Please specify the "
                             "`fname` argument.")
    elif os.sep in fname:
        raise ValueError("Paths are no longer accepted as the `fname` argument. To specify the file's parent "
                         f"directory, use the `cache_dir` argument. Received: fname={fname}")
    extraction_dir = None
    if extract or untar:
        if provided and "." in fname:
            target = os.path.join(datadir, fname)
            extraction_dir = os.path.join(datadir, f"{fname[:fname.find('.')]}_extracted")
        else:
            extraction_dir = os.path.join(datadir, fname)
            target = os.path.join(datadir, f"{fname}_archive")
    else:
        target = os.path.join(datadir, fname)
    expected = None if file_hash is None else str(file_hash).lower()
    if expected is not None and hash_algorithm in ("md5", "sha256") and len(expected) != (
            32 if hash_algorithm == "md5" else 64):
        raise ValueError(f"file_hash={file_hash!r} is not a {hash_algorithm} hex digest")
    fetch = force_download or not os.path.exists(target)
    if not fetch and expected is not None and not validate_file(target, expected, hash_algorithm):
        print(f"A local file was found, but it seems to be incomplete or outdated because the {hash_algorithm} "
              f"file hash does not match the original value of {file_hash} so we will re-download the data.")
        fetch = True
    if fetch:
        print(f"Downloading data from {origin}")
        download._download(origin, target, expected, "", True)
        if extraction_dir is not None and os.path.isdir(extraction_dir):
            shutil.rmtree(extraction_dir)   # a new archive: what came out of the old one goes
    if extraction_dir is None:
        return target
    if not os.path.isdir(extraction_dir):
        if not extract_archive(target, extraction_dir, "tar" if untar else archive_format):
            warnings.warn("Could not extract archive.", stacklevel=2)
    return extraction_dir
