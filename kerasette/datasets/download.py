"""Fetching dataset files once, checking them, and keeping them in a cache.

Every downloadable dataset in ``kerasette.datasets`` goes through
:func:`get_file`, which does what ``keras.utils.get_file`` does for Keras, with
three promises a newcomer can rely on:

* **Checked.** Each file has a known SHA-256 (MD5 for the one file Keras only
  publishes an MD5 for, ``imdb_word_index.json``); a file whose checksum
  differs is never handed to a parser, whether it came from the network or was
  found in the cache.
* **All or nothing.** A download streams into a hidden temporary file beside
  its destination and is renamed into place only after the length and the
  checksum are right, so an interrupted or corrupted transfer leaves nothing
  behind that a later run could mistake for the real file.
* **Fast failure offline.** Connecting gives up after a short timeout and the
  error names the address and the exact path where the file can be placed by
  hand; the next call then finds it in the cache and never touches the network.

Where things live (environment variables, read on every call):

* ``KERASETTE_DATASETS``: the cache folder itself;
* otherwise ``$KERASETTE_HOME/datasets``;
* otherwise ``~/.kerasette/datasets``.
* ``KERASETTE_DATASETS_MIRROR``: a base URL that replaces every standard
  address (the file name is appended), for a local mirror or the tests' HTTP
  server on 127.0.0.1.
* ``KERASETTE_DOWNLOAD_TIMEOUT``: seconds to wait for a connection or for the
  next bytes (default 15).
"""
from __future__ import annotations

import hashlib
import http.client
import os
import tempfile
import urllib.request

__all__ = ["get_file", "cache_dir", "DownloadError", "KERAS_DATASETS_URL"]

# Keras' own public address for its prepared dataset files
KERAS_DATASETS_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"

_DEFAULT_TIMEOUT_S = 15.0
_CHUNK_BYTES = 1 << 16


class DownloadError(RuntimeError):
    """A dataset file could not be fetched or failed its checksum."""


def cache_dir() -> str:
    """The folder datasets are cached in (see the module docstring for overrides)."""
    explicit = os.environ.get("KERASETTE_DATASETS")
    if explicit:
        return os.path.abspath(os.path.expanduser(explicit))
    home = os.environ.get("KERASETTE_HOME") or os.path.join("~", ".kerasette")
    return os.path.abspath(os.path.join(os.path.expanduser(home), "datasets"))


_datasets_cache_dir = cache_dir  # ``get_file``'s ``cache_dir`` argument shadows the name


def _timeout() -> float:
    value = os.environ.get("KERASETTE_DOWNLOAD_TIMEOUT")
    return float(value) if value else _DEFAULT_TIMEOUT_S


def _resolve_origin(origin: str) -> str:
    mirror = os.environ.get("KERASETTE_DATASETS_MIRROR")
    if not mirror:
        return origin
    return mirror.rstrip("/") + "/" + origin.rsplit("/", 1)[-1]


def _hasher(file_hash: str):
    # Keras' convention: the length of the hex digest tells the algorithm
    if len(file_hash) == 64:
        return hashlib.sha256()
    if len(file_hash) == 32:
        return hashlib.md5(usedforsecurity=False)
    raise ValueError(f"file_hash must be a SHA-256 (64 hex digits) or MD5 (32), got {file_hash!r}")


def _file_digest(path: str, file_hash: str) -> str:
    digest = _hasher(file_hash)
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def get_file(fname: str, origin: str, file_hash: str | None, cache_subdir: str | None = None,
             verbose: bool = True, cache_dir: str | None = None) -> str:
    """Return the local path of ``fname``, downloading it from ``origin`` if needed.

    ``file_hash`` is the expected SHA-256 (or MD5) hex digest. A cached file
    with the right checksum is reused without any network access; a cached
    file with a wrong one is fetched again. Raises :class:`DownloadError` with
    the address and the manual placement path when the file cannot be had.
    ``file_hash=None`` is for the few files Keras itself fetches unchecked
    (some of its published model weights): the length is still checked and a
    cached copy is reused as it is.
    ``cache_dir`` replaces the datasets cache folder as the root that
    ``cache_subdir`` is taken under (``kerasette.applications`` keeps its
    weight files in a models folder this way).

    >>> path = get_file("mnist.npz", KERAS_DATASETS_URL + "mnist.npz",
    ...                 "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1")
    ... # doctest: +SKIP
    """
    root = _datasets_cache_dir() if cache_dir is None else os.path.abspath(os.path.expanduser(cache_dir))
    folder = root if cache_subdir is None else os.path.join(root, cache_subdir)
    target = os.path.join(folder, fname)
    expected = file_hash.lower() if file_hash is not None else None
    url = _resolve_origin(origin)

    stale_note = ""
    if os.path.exists(target) and expected is None:
        return target
    if os.path.exists(target):
        found = _file_digest(target, expected)
        if found == expected:
            return target
        stale_note = (f" (the file already at {target} has checksum {found}, not {expected}, "
                      "so it is being replaced)")
        if verbose:
            print(f"kerasette: {target} fails its checksum; downloading it again.")

    # ``fname`` may hold sub-folders, as Keras' ``path`` arguments may
    os.makedirs(os.path.dirname(target), exist_ok=True)
    _download(url, target, expected, stale_note, verbose)
    return target


def _manual_hint(url: str, target: str) -> str:
    return (f"To use this file without network access, download {url} on another machine "
            f"and place it at {target} (set KERASETTE_DATASETS, or KERASETTE_MODELS for model "
            "weights, to use another folder).")


def _download(url: str, target: str, expected: str | None, stale_note: str, verbose: bool) -> None:
    from tqdm.auto import tqdm  # the one runtime use of tqdm here; import it only when needed

    folder, name = os.path.split(target)
    handle, partial = tempfile.mkstemp(prefix=f".{name}.", suffix=".part", dir=folder)
    try:
        try:
            response = urllib.request.urlopen(url, timeout=_timeout())
        except (OSError, http.client.HTTPException) as error:  # URLError is an OSError
            reason = getattr(error, "reason", error)
            raise DownloadError(f"Could not download {url}: {reason}{stale_note}. "
                                + _manual_hint(url, target)) from error
        digest = _hasher(expected) if expected is not None else None
        received = 0
        with response, os.fdopen(handle, "wb") as out:
            handle = None  # now owned by ``out``
            declared = response.headers.get("Content-Length")
            total = int(declared) if declared and declared.isdigit() else None
            with tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024,
                      desc=f"Downloading {name}", disable=not verbose, leave=False) as bar:
                while True:
                    try:
                        chunk = response.read(_CHUNK_BYTES)
                    except (OSError, http.client.HTTPException) as error:
                        raise DownloadError(
                            f"The connection to {url} was cut after {received} of "
                            f"{total if total is not None else 'unknown'} bytes ({error!r}); "
                            "nothing was kept. " + _manual_hint(url, target)) from error
                    if not chunk:
                        break
                    out.write(chunk)
                    if digest is not None:
                        digest.update(chunk)
                    received += len(chunk)
                    bar.update(len(chunk))
        # http.client reads a short body without complaint when the server closes early
        if total is not None and received != total:
            raise DownloadError(f"The connection to {url} was cut after {received} of {total} "
                                "bytes; nothing was kept. " + _manual_hint(url, target))
        found = digest.hexdigest() if digest is not None else None
        if found != expected:
            raise DownloadError(f"The file downloaded from {url} has checksum {found}, expected "
                                f"{expected}; it was discarded. The server may be serving a "
                                "different or corrupted file. " + _manual_hint(url, target))
        os.replace(partial, target)
    finally:
        if handle is not None:
            os.close(handle)
        if os.path.exists(partial):
            os.remove(partial)
