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
* Every file is also checked for the one layout damage that makes libhdf5
  loop forever instead of failing (``check_global_heaps``), sealed or not:
  a seal proves that kerasette wrote a file, not that no one crafted it.
* Datasets are opened lazily (``StoredArray``): their declared shape and
  dtype are checked against the model before a byte of data is read, so a
  dataset declaring (100000, 100000) is refused, not allocated.
* Files are written in memory (``writing``) and reach the disk with plain
  ``os.write`` calls (``atomic.write_bytes``), so a full disk is an
  ``OSError`` naming the file, never a failure inside libhdf5.
"""
from __future__ import annotations

import contextlib
import io
import json
import os
import zlib

import h5py
import numpy

__all__ = ["WeightFileError", "open_for_reading", "open_image_for_reading", "open_for_writing", "writing", "seal",
           "check_seal", "unseal", "check_global_heaps", "StoredArray", "write_string_list", "read_string_list",
           "read_string", "write_dataset", "read_dataset"]

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


def _seal_block(crc: int, length: int) -> bytes:
    """The 512-byte user block that seals a file whose HDF5 part has this CRC-32 and length."""
    header = SEAL_MAGIC + json.dumps({"version": 1, "length": length, "crc32": crc}).encode("ascii") + b"\n"
    if len(header) > USER_BLOCK_SIZE:
        raise AssertionError("seal header too long")
    return header.ljust(USER_BLOCK_SIZE, b"\0")


def seal(path: str) -> None:
    """Write the length and CRC-32 of everything after the user block into the user block."""
    crc, length = _crc_of_file(path, USER_BLOCK_SIZE)
    with open(path, "r+b") as handle:
        handle.seek(0)
        handle.write(_seal_block(crc, length))


def check_seal(path: str) -> bool:
    """Verify a kerasette seal if the file has one; True if it had one."""
    with open(path, "rb") as handle:
        head = handle.read(USER_BLOCK_SIZE)
    if not head.startswith(SEAL_MAGIC):
        return False
    from .json_text import parse_json
    try:
        record = parse_json(head[len(SEAL_MAGIC):].split(b"\n", 1)[0], "the kerasette header")
        expected_length, expected_crc = int(record["length"]), int(record["crc32"])
    except (ValueError, KeyError, TypeError, OverflowError):
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


# ------------------------------------------------------------ global heaps
# Why a damaged file can hang libhdf5 (found with gdb on a tf.keras file whose
# bytes 2103-3127 were zeroed): variable-length data, such as the strings of
# ``layer_names`` and ``weight_names``, lives in "global heap collections",
# blocks that start with ``GCOL``, version 1, 3 reserved bytes and the
# collection's size, followed by objects, each with a 16-byte header (index:
# 2 bytes, reference count: 2, reserved: 4, size: 8) and its data padded to
# 8 bytes.  Index 0 is the collection's free space, whose size counts its
# header.  libhdf5 (H5HG__cache_heap_deserialize, still in HDF5 2.0) walks
# the objects with ``p = begin + need``, where ``need`` is the free space's
# size for index 0 and ``16 + align8(size)`` otherwise.  A zeroed object
# header reads as index 0, size 0: ``need`` is 0, ``p`` never moves, and the
# walk loops forever, inside the C library, while reading the attribute
# (plain h5py hangs the same way).  A size near 2**64 wraps ``need`` to 0 for
# any index.  Every other inconsistency (a size running past the collection,
# a bad signature or version) makes libhdf5 fail with an error.
#
# libhdf5 only walks a collection whose first bytes are ``GCOL`` and version
# 1, wherever a heap reference points; so checking every such place in the
# file before libhdf5 reads anything covers every collection it could ever
# walk, with no need to follow references.  A real collection never has a
# zero step: free space too small for a header is left without one.
_HEAP_MAGIC = b"GCOL\x01"
_HEAP_MINIMUM = 4096
_SIZE_T = 1 << 64
_SCAN_BLOCK = 1 << 20


def _heap_loops_forever(read_at, start: int, file_size: int, length_size: int) -> int | None:
    """The offset of the object libhdf5 would loop on in the collection at ``start``; None if none."""
    header = read_at(start, 8 + length_size)
    if len(header) < 8 + length_size:
        return None
    size = int.from_bytes(header[8:8 + length_size], "little")
    if size < _HEAP_MINIMUM or start + size > file_size:
        return None                         # libhdf5 refuses these before walking
    chunk = read_at(start, size)
    object_header = 8 + length_size
    position = 8 + length_size
    while position < size:
        if position + object_header > size:
            return None                     # a tail too small for a header: free space
        index = int.from_bytes(chunk[position:position + 2], "little")
        object_size = int.from_bytes(chunk[position + 8:position + 8 + length_size], "little")
        if index > 0:
            need = (object_header + ((object_size + 7) // 8) * 8) % _SIZE_T
        else:
            need = object_size % _SIZE_T
        if need == 0:
            return start + position
        if position + need > size:
            return None                     # libhdf5: "ran off end of input buffer"
        position += need
    return None


def check_global_heaps(source, where: str, length_size: int = 8) -> None:
    """Refuse a file with a global heap collection that libhdf5 would walk forever.

    ``source``: a path or a seekable binary file object (rewound afterwards);
    ``length_size``: the file's "size of lengths" (8 in every Keras file).
    """
    if isinstance(source, (str, os.PathLike)):
        with open(source, "rb") as handle:
            return check_global_heaps(handle, where, length_size)
    source.seek(0, os.SEEK_END)
    file_size = source.tell()

    def read_at(offset, count):
        source.seek(offset)
        return source.read(count)

    candidates, offset, tail = [], 0, b""
    while offset < file_size:
        block = tail + read_at(offset, _SCAN_BLOCK)
        base = offset - len(tail)
        found = block.find(_HEAP_MAGIC)
        while found != -1:
            candidates.append(base + found)
            found = block.find(_HEAP_MAGIC, found + 1)
        offset += _SCAN_BLOCK
        tail = block[-(len(_HEAP_MAGIC) - 1):]
    try:
        for start in sorted(set(candidates)):
            stuck = _heap_loops_forever(read_at, start, file_size, length_size)
            if stuck is not None:
                raise WeightFileError(
                    f"{where} is corrupt: the global heap collection at byte {start} has a damaged object "
                    f"header at byte {stuck} (zeroed bytes, or a size that wraps to 0), on which the HDF5 "
                    "library would loop forever; the file is refused")
    finally:
        source.seek(0)


def _length_size(handle) -> int:
    try:
        return int(handle.id.get_create_plist().get_sizes()[1])
    except Exception:                       # noqa: BLE001 - the usual 8 when the library cannot say
        return 8


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
        handle = h5py.File(path, "r")
    except OSError as error:
        raise WeightFileError(f"Cannot read '{path}': the HDF5 file is truncated or corrupt ({error})") from None
    try:
        check_global_heaps(path, f"'{path}'", _length_size(handle))
    except BaseException:
        handle.close()
        raise
    return handle


def open_image_for_reading(image, where: str) -> h5py.File:
    """An HDF5 file held in a seekable binary file object (``io.BytesIO``), checked like ``open_for_reading``."""
    try:
        handle = h5py.File(image, "r")
    except (OSError, ValueError) as error:
        raise WeightFileError(f"{where} is not readable HDF5 ({error})") from None
    try:
        check_global_heaps(image, where, _length_size(handle))
    except BaseException:
        handle.close()
        raise
    return handle


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


def _crc_of_array(array) -> int:
    """CRC-32 of a C-contiguous array's bytes, without copying them."""
    if not array.flags.c_contiguous or array.dtype.hasobject:
        return zlib.crc32(array.tobytes())
    return zlib.crc32(array.reshape(-1).view(numpy.uint8))


def write_dataset(group, name: str, array) -> None:
    """A contiguous dataset like Keras' (scalars too), plus its CRC-32."""
    # (ascontiguousarray would turn a scalar into shape (1,))
    array = numpy.array(array, order="C", copy=None)
    if array.dtype.kind in "OUS":
        raise ValueError(f"Cannot save weight '{name}' of dtype {array.dtype}: only numeric arrays")
    dataset = group.create_dataset(name, shape=array.shape, dtype=array.dtype)
    if array.size:
        dataset[()] = array
    dataset.attrs[CHECKSUM_ATTRIBUTE] = numpy.uint32(_crc_of_array(array))


def _stored_checksum(dataset, filepath: str, what: str):
    """The dataset's ``kerasette_crc32`` as an int; None if it has none."""
    try:
        stored = dataset.attrs.get(CHECKSUM_ATTRIBUTE)
    except (OSError, ValueError, TypeError, KeyError) as error:
        raise WeightFileError(f"Cannot read {what} from '{filepath}': its attributes are corrupt "
                              f"({error})") from None
    if stored is None:
        return None
    value = numpy.asarray(stored)
    if value.dtype.kind not in "iu" or value.size != 1 or not 0 <= int(value.reshape(-1)[0]) < 1 << 32:
        shown = repr(value.tolist())[:60]
        raise WeightFileError(f"{what} in '{filepath}' has a damaged '{CHECKSUM_ATTRIBUTE}' attribute "
                              f"({shown}, dtype {value.dtype}, where kerasette writes one uint32): "
                              "the file is corrupt")
    return int(value.reshape(-1)[0])


def read_dataset(dataset, filepath: str, what: str) -> numpy.ndarray:
    """The dataset's values, checked against its CRC-32 when it has one."""
    try:
        array = numpy.asarray(dataset[()])
    except (OSError, ValueError, TypeError, KeyError) as error:
        raise WeightFileError(f"Cannot read {what} from '{filepath}': the data is corrupt ({error})") from None
    stored = _stored_checksum(dataset, filepath, what)
    if stored is not None:
        computed = _crc_of_array(numpy.array(array, order="C", copy=None))
        if stored != computed:
            raise WeightFileError(
                f"The values of {what} in '{filepath}' fail their checksum (stored {stored:#010x}, "
                f"computed {computed:#010x}): the file is corrupt")
    if array.dtype.kind not in "biufc":
        raise WeightFileError(f"{what} in '{filepath}' is not numeric (dtype {array.dtype})")
    return array


#: a chunk may hold at most this many bytes more than its whole dataset (libhdf5 allocates whole chunks)
CHUNK_SLACK_BYTES = 16 << 20


class StoredArray:
    """A dataset not read yet: its declared ``shape`` and ``dtype``, and ``read()``.

    Readers hand these to ``LoadPlan``, which compares shape and dtype with
    the model's variable and calls ``read()`` only when they fit, so the
    memory a file can make kerasette allocate is what the model itself holds.
    """

    def __init__(self, dataset, filepath: str, what: str):
        self.dataset, self.filepath, self.what = dataset, filepath, what
        try:
            shape, self.dtype = dataset.shape, dataset.dtype
        except (OSError, ValueError, TypeError, KeyError, RuntimeError) as error:
            raise WeightFileError(f"Cannot read {what} from '{filepath}': its header is corrupt ({error})") from None
        if shape is None:
            raise WeightFileError(f"{what} in '{filepath}' holds no data (an empty dataspace): the file is corrupt")
        self.shape = tuple(int(n) for n in shape)

    @property
    def size(self) -> int:
        return int(numpy.prod(self.shape, dtype=object))

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def __repr__(self):
        return f"<StoredArray {self.what}: shape {self.shape}, dtype {self.dtype}>"

    def check_readable(self) -> None:
        """Refuse, before reading, data that is not numbers or whose chunks dwarf the dataset."""
        if self.dtype.kind not in "biufc" or self.dtype.hasobject:
            raise WeightFileError(f"{self.what} in '{self.filepath}' is not numeric (dtype {self.dtype})")
        try:
            chunks = self.dataset.chunks
        except (OSError, ValueError, TypeError, KeyError, RuntimeError) as error:
            raise WeightFileError(f"Cannot read {self.what} from '{self.filepath}': its header is corrupt "
                                  f"({error})") from None
        if chunks is not None:
            chunks = tuple(int(n) for n in chunks)
            chunk_bytes = int(numpy.prod(chunks, dtype=object)) * self.dtype.itemsize
            if chunk_bytes > self.size * self.dtype.itemsize + CHUNK_SLACK_BYTES:
                raise WeightFileError(
                    f"{self.what} in '{self.filepath}' declares chunks of {chunks} ({chunk_bytes} bytes) "
                    f"for a dataset of shape {self.shape}: the file is corrupt or hostile")

    def read(self) -> numpy.ndarray:
        self.check_readable()
        array = read_dataset(self.dataset, self.filepath, self.what)
        if tuple(array.shape) != self.shape:
            raise WeightFileError(f"{self.what} in '{self.filepath}' changed shape while read: the file is corrupt")
        return array


def materialize(array) -> numpy.ndarray:
    """The values of a ``StoredArray`` (read now) or of an array already in memory."""
    return array.read() if isinstance(array, StoredArray) else numpy.asarray(array)


# ------------------------------------------------------------------ writing
@contextlib.contextmanager
def writing(path, overwrite: bool = True):
    """Yield a new, in-memory HDF5 file; on success write it, sealed, to ``path`` atomically.

    libhdf5 never touches the disk: it writes into an ``io.BytesIO``, and the
    finished bytes reach ``path`` through ``atomic.write_bytes`` (temporary
    file, ``fsync``, rename).  A full disk is then an ``OSError`` that names
    the path, with the old file kept and no temporary file left; libhdf5
    failing to flush to a full disk used to raise ``RuntimeError`` or crash
    the process at exit.  Peak memory: one copy of the file.
    """
    from .atomic import check_destination, write_bytes
    path = os.fspath(path)
    check_destination(path, overwrite)
    buffer = io.BytesIO()
    handle = h5py.File(buffer, "w", libver=("v108", "v108"), userblock_size=USER_BLOCK_SIZE)
    try:
        yield handle
    finally:
        handle.close()
    with buffer.getbuffer() as image:
        # the user block is the first 512 bytes of the buffer: the seal goes there
        image[:USER_BLOCK_SIZE] = _seal_block(zlib.crc32(image[USER_BLOCK_SIZE:]), len(image) - USER_BLOCK_SIZE)
        write_bytes(path, [image], overwrite=overwrite)
