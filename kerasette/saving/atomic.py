"""Atomic file writes: a crash or a full disk mid-save never destroys the old file.

Every file kerasette saves is first written completely to a temporary file
in the same folder (same file system, so the final rename is atomic),
flushed to disk, and only then renamed over the destination with
``os.replace``.  If anything fails before the rename (an exception, a full
disk, the process being killed) the destination still holds the previous
file, whole; the half-written temporary file is removed when Python still
runs, and otherwise left as ``.<name>.kerasette-tmp-*`` beside it.

>>> with atomic_write("model.h5") as temporary_path:   # doctest: +SKIP
...     write_everything_to(temporary_path)

``write_bytes`` does the same for bytes already in memory, with plain
``os.write`` calls: kerasette's HDF5 files are built in memory and written
this way, so a full disk fails in Python, as an ``OSError`` that names the
destination, never inside libhdf5 (which crashed the process at exit).
"""
from __future__ import annotations

import contextlib
import os
import tempfile

__all__ = ["atomic_write", "write_bytes", "check_destination", "TEMPORARY_MARKER"]

TEMPORARY_MARKER = ".kerasette-tmp-"


def _fsync_folder(folder: str) -> None:
    # the rename itself must reach the disk too; not possible on every platform
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def check_destination(path, overwrite: bool = True) -> str:
    """The folder ``path`` will be written in; errors if it cannot be (checked before any work)."""
    path = os.fspath(path)
    if not overwrite and os.path.exists(path):
        raise FileExistsError(f"'{path}' exists and overwrite=False: nothing was written")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"Cannot save to '{path}': the folder '{folder}' does not exist")
    return folder


def _temporary_beside(path: str, folder: str) -> tuple:
    return tempfile.mkstemp(prefix="." + os.path.basename(path) + TEMPORARY_MARKER, dir=folder)


def _set_mode(temporary: str, path: str) -> None:
    if os.path.exists(path):
        # keep the old file's permission bits, as an in-place write would
        try:
            os.chmod(temporary, os.stat(path).st_mode & 0o7777)
        except OSError:
            pass
    else:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)


def _naming(error: OSError, path: str) -> OSError:
    """``error`` again, saying it happened saving ``path`` (the same OSError subclass, from its errno)."""
    if error.errno is None:
        return error
    reason = os.strerror(error.errno)
    return OSError(error.errno, f"Cannot save '{path}': {reason}; '{path}' was left as it was and no "
                                "temporary file remains", path)


@contextlib.contextmanager
def atomic_write(path, overwrite: bool = True):
    """Yield a temporary path beside ``path``; rename it onto ``path`` on success."""
    path = os.fspath(path)
    folder = check_destination(path, overwrite)
    descriptor, temporary = _temporary_beside(path, folder)
    os.close(descriptor)
    try:
        yield temporary
        with open(temporary, "rb+") as handle:
            os.fsync(handle.fileno())
        _set_mode(temporary, path)
        os.replace(temporary, path)
        _fsync_folder(folder)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(temporary)
        raise


def _write_all(descriptor: int, chunks) -> None:
    for chunk in chunks:
        view = memoryview(chunk).cast("B")
        while len(view):
            written = os.write(descriptor, view[:1 << 24])
            if written <= 0:
                raise OSError(28, os.strerror(28))      # ENOSPC: a write that makes no progress
            view = view[written:]


def write_bytes(path, chunks, overwrite: bool = True) -> None:
    """Write the byte strings ``chunks``, in order, to ``path`` atomically.

    A failure (a full disk, a quota, an I/O error) raises ``OSError`` naming
    ``path``, with ``path`` as it was and the temporary file removed.
    """
    path = os.fspath(path)
    folder = check_destination(path, overwrite)
    try:
        descriptor, temporary = _temporary_beside(path, folder)
    except OSError as error:
        raise _naming(error, path) from None
    try:
        try:
            _write_all(descriptor, chunks)
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
        _set_mode(temporary, path)
        os.replace(temporary, path)
    except BaseException as error:
        with contextlib.suppress(OSError):
            os.remove(temporary)
        if isinstance(error, OSError):
            raise _naming(error, path) from None
        raise
    _fsync_folder(folder)
