"""Low-level HDF5 reading and writing shared by the weight and model formats.

* Opening for reading turns h5py's errors (not HDF5, truncated, corrupt)
  into one ``WeightFileError`` that names the file.
* String attributes are written as Keras writes them (variable-length
  strings; lists of names split into ``name0, name1, ...`` above HDF5's
  64512-byte object header limit) and read in every form Keras has used
  (bytes or str, fixed or variable length, chunked, the empty float64 array
  of a weightless layer).
* Every dataset kerasette writes carries a ``kerasette_crc32`` attribute, the
  CRC-32 of its bytes; reading verifies it when present, so a flipped byte in
  the weights is an error rather than a silently different model.  Keras'
  readers ignore the extra attribute.  Files are written with the HDF5 1.8
  format (``libver="v108"``), whose metadata blocks carry checksums too;
  every Keras version's h5py reads it.
* Every file kerasette writes is sealed: HDF5 ignores the first 512 bytes
  (the "user block", which h5py and every Keras reader skip), and kerasette
  puts there a small header with the length and CRC-32 of the rest of the
  file.  Reading checks it before the HDF5 library sees a byte, so a
  truncated or damaged file gives a clear error instead of garbage, or the
  endless loop libhdf5 can fall into on a corrupt heap.  Files from Keras
  carry no seal and are read as they are.
"""
from __future__ import annotations

import json
import os
import zlib

import h5py
import numpy

__all__ = ["WeightFileError", "open_for_reading", "open_for_writing", "seal", "check_seal", "unseal",
           "write_string_list", "read_string_list", "read_string", "write_dataset", "read_dataset"]

HDF5_OBJECT_HEADER_LIMIT = 64512
CHECKSUM_ATTRIBUTE = "kerasette_crc32"
USER_BLOCK_SIZE = 512
SEAL_MAGIC = b"KERASETTE-SEALED-HDF5\n"


class WeightFileError(ValueError):
    """A weight or model file cannot be used: unreadable, corrupt, or for another architecture."""


def _crc_of_file(path: str, start: int) -> tuple:
    crc, length = 0, 0
    with open(path, "rb") as handle:
        handle.seek(start)
        while True:
            block = handle.read(1 << 20)
            if not block:
                break
            crc = zlib.crc32(block, crc)
            length += len(block)
    return crc, length


def seal(path: str) -> None:
    """Write the length and CRC-32 of everything after the user block into the user block."""
    crc, length = _crc_of_file(path, USER_BLOCK_SIZE)
    header = SEAL_MAGIC + json.dumps({"version": 1, "length": length, "crc32": crc}).encode("ascii") + b"\n"
    if len(header) > USER_BLOCK_SIZE:
        raise AssertionError("seal header too long")
    with open(path, "r+b") as handle:
        handle.seek(0)
        handle.write(header.ljust(USER_BLOCK_SIZE, b"\0"))


def check_seal(path: str) -> bool:
    """Verify a kerasette seal if the file has one; True if it had one."""
    with open(path, "rb") as handle:
        head = handle.read(USER_BLOCK_SIZE)
    if not head.startswith(SEAL_MAGIC):
        return False
    try:
        record = json.loads(head[len(SEAL_MAGIC):].split(b"\n", 1)[0].decode("ascii"))
        expected_length, expected_crc = int(record["length"]), int(record["crc32"])
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        raise WeightFileError(f"'{path}': its kerasette header is damaged: the file is corrupt") from None
    crc, length = _crc_of_file(path, USER_BLOCK_SIZE)
    if length != expected_length:
        raise WeightFileError(f"'{path}' is truncated or was extended: {length + USER_BLOCK_SIZE} bytes, "
                              f"but kerasette wrote {expected_length + USER_BLOCK_SIZE}")
    if crc != expected_crc:
        raise WeightFileError(f"'{path}' fails its whole-file checksum (stored {expected_crc:#010x}, computed "
                              f"{crc:#010x}): the file is corrupt, or was changed by another program after "
                              "kerasette wrote it (if that change was intended, kerasette.saving.hdf5.unseal(path) "
                              "accepts the file as it is now)")
    return True


def unseal(path) -> None:
    """Remove kerasette's seal (after editing a file with h5py on purpose)."""
    path = os.fspath(path)
    with open(path, "r+b") as handle:
        if handle.read(len(SEAL_MAGIC)) == SEAL_MAGIC:
            handle.seek(0)
            handle.write(b"\0" * USER_BLOCK_SIZE)


def open_for_reading(path) -> h5py.File:
    """``h5py.File(path, "r")`` with errors that name the file and say what is wrong."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"No file or directory found at '{path}'")
    if os.path.isdir(path):
        raise WeightFileError(f"'{path}' is a directory, not a weight file (TensorFlow SavedModel "
                              "folders are not supported; save as '.h5' from Keras)")
    check_seal(path)
    if not h5py.is_hdf5(path):
        size = os.path.getsize(path)
        raise WeightFileError(f"'{path}' is not an HDF5 file ({size} bytes without the HDF5 signature): "
                              "it may be truncated, corrupt, or of another format")
    try:
        return h5py.File(path, "r")
    except OSError as error:
        raise WeightFileError(f"Cannot read '{path}': the HDF5 file is truncated or corrupt ({error})") from None


def open_for_writing(path) -> h5py.File:
    """A new HDF5 file with room for the seal; call ``seal(path)`` once it is closed."""
    return h5py.File(path, "w", libver=("v108", "v108"), userblock_size=USER_BLOCK_SIZE)


def _chunks(values: list) -> list:
    """Split ``values`` into pieces whose attribute stays under the header limit."""
    pieces = [values]
    while any(len(" ".join(map(str, piece)).encode("utf8")) + 16 * len(piece) > HDF5_OBJECT_HEADER_LIMIT
              and len(piece) > 1 for piece in pieces):
        split = []
        for piece in pieces:
            half = (len(piece) + 1) // 2
            split += [piece[:half], piece[half:]]
        pieces = split
    return pieces


def write_string_list(group, name: str, values) -> None:
    """A list of names as Keras writes it: vlen strings, chunked if large, empty as float64."""
    values = [str(v) for v in values]
    if not values:
        group.attrs[name] = numpy.asarray([], dtype="float64")
        return
    pieces = _chunks(values)
    string_type = h5py.string_dtype("utf-8")
    if len(pieces) == 1:
        group.attrs.create(name, numpy.asarray(values, dtype=object), dtype=string_type)
        return
    for index, piece in enumerate(pieces):
        group.attrs.create(f"{name}{index}", numpy.asarray(piece, dtype=object), dtype=string_type)


def _text(value) -> str:
    if isinstance(value, (bytes, numpy.bytes_)):
        return bytes(value).decode("utf8")
    return str(value)


def read_string_list(group, name: str):
    """The list stored under ``name`` (or chunked as ``name0, name1, ...``); None if absent."""
    if name in group.attrs:
        values = group.attrs[name]
    elif f"{name}0" in group.attrs:
        values, index = [], 0
        while f"{name}{index}" in group.attrs:
            values.extend(list(numpy.atleast_1d(group.attrs[f"{name}{index}"])))
            index += 1
    else:
        return None
    array = numpy.atleast_1d(numpy.asarray(values))
    if array.size == 0:
        return []
    if array.dtype.kind == "f":
        raise WeightFileError(f"attribute '{name}' of '{group.name}' holds numbers, not names")
    return [_text(v) for v in array.tolist()]


def read_string(group, name: str, default=None):
    if name not in group.attrs:
        return default
    value = group.attrs[name]
    if isinstance(value, numpy.ndarray):
        value = value.tolist()
        if isinstance(value, list):
            value = value[0] if value else ""
    return _text(value)


def write_dataset(group, name: str, array) -> None:
    """A contiguous dataset like Keras' (scalars too), plus its CRC-32."""
    # (ascontiguousarray would turn a scalar into shape (1,))
    array = numpy.array(array, order="C", copy=None)
    if array.dtype.kind in "OUS":
        raise ValueError(f"Cannot save weight '{name}' of dtype {array.dtype}: only numeric arrays")
    dataset = group.create_dataset(name, shape=array.shape, dtype=array.dtype)
    if array.size:
        dataset[()] = array
    dataset.attrs[CHECKSUM_ATTRIBUTE] = numpy.uint32(zlib.crc32(array.tobytes()))


def read_dataset(dataset, filepath: str, what: str) -> numpy.ndarray:
    """The dataset's values, checked against its CRC-32 when it has one."""
    try:
        array = numpy.asarray(dataset[()])
    except (OSError, ValueError, TypeError, KeyError) as error:
        raise WeightFileError(f"Cannot read {what} from '{filepath}': the data is corrupt ({error})") from None
    try:
        stored = dataset.attrs.get(CHECKSUM_ATTRIBUTE)
    except (OSError, ValueError, TypeError, KeyError) as error:
        raise WeightFileError(f"Cannot read {what} from '{filepath}': its attributes are corrupt "
                              f"({error})") from None
    if stored is not None:
        computed = zlib.crc32(numpy.array(array, order="C", copy=None).tobytes())
        if int(numpy.asarray(stored)) != computed:
            raise WeightFileError(
                f"The values of {what} in '{filepath}' fail their checksum (stored {int(stored):#010x}, "
                f"computed {computed:#010x}): the file is corrupt")
    if array.dtype.kind not in "biufc":
        raise WeightFileError(f"{what} in '{filepath}' is not numeric (dtype {array.dtype})")
    return array
