"""Reading the CIFAR *binary* archives shared by ``cifar10`` and ``cifar100``.

Keras downloads the "python version" of CIFAR, whose batches are pickles;
kerasette never unpickles downloaded data, so it uses the "binary version"
the CIFAR authors publish beside it (https://www.cs.toronto.edu/~kriz/cifar.html):
fixed-size records of label byte(s) followed by 3,072 pixel bytes (the red
plane, then green, then blue, each 32x32 row-major). The images and labels are
the same as in the python version. Members are read straight out of the
tar.gz stream, nothing is extracted to disk.
"""
from __future__ import annotations

import tarfile

import numpy as np

PIXELS = 3 * 32 * 32


def read_members(path: str, names: list[str]) -> dict:
    """Return ``{name: bytes}`` for the named members, in one pass over the archive."""
    wanted = set(names)
    found = {}
    # streaming mode ('r|gz') decompresses once; random access would rewind the gzip stream
    with tarfile.open(path, mode="r|gz") as archive:
        for member in archive:
            if member.name in wanted and member.isfile():
                found[member.name] = archive.extractfile(member).read()
    missing = wanted - set(found)
    if missing:
        raise ValueError(f"{path} lacks {sorted(missing)}: is it the CIFAR binary archive?")
    return found


def split_records(data: bytes, label_bytes: int, source: str):
    """Split binary records into (labels (n, label_bytes) uint8, images (n, 32, 32, 3) uint8)."""
    width = label_bytes + PIXELS
    if len(data) % width:
        raise ValueError(f"{source}: {len(data)} bytes is not a whole number of {width}-byte records")
    records = np.frombuffer(data, dtype=np.uint8).reshape(-1, width)
    images = records[:, label_bytes:].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    return records[:, :label_bytes].copy(), np.ascontiguousarray(images)
