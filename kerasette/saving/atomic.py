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
"""
from __future__ import annotations

import contextlib
import os
import tempfile

__all__ = ["atomic_write", "TEMPORARY_MARKER"]

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


@contextlib.contextmanager
def atomic_write(path, overwrite: bool = True):
    """Yield a temporary path beside ``path``; rename it onto ``path`` on success."""
    path = os.fspath(path)
    if not overwrite and os.path.exists(path):
        raise FileExistsError(f"'{path}' exists and overwrite=False: nothing was written")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"Cannot save to '{path}': the folder '{folder}' does not exist")
    descriptor, temporary = tempfile.mkstemp(prefix="." + os.path.basename(path) + TEMPORARY_MARKER,
                                             dir=folder)
    os.close(descriptor)
    try:
        yield temporary
        with open(temporary, "rb+") as handle:
            os.fsync(handle.fileno())
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
        os.replace(temporary, path)
        _fsync_folder(folder)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(temporary)
        raise
