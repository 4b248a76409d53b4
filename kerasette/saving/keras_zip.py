"""Keras 3's ``.keras`` files: a zip of ``metadata.json``, ``config.json`` and ``model.weights.h5``.

Writing (``model.save("m.keras")``, ``write_keras_zip``) makes the archive
Keras 3 makes: ``metadata.json`` (``keras_version``, ``date_saved``),
``config.json`` (the model's ``serialize_keras_object`` record with its
``build_config`` and ``compile_config``) and ``model.weights.h5`` (Keras 3's
``.weights.h5`` layout, the optimizer's variables under ``optimizer/vars``),
all stored uncompressed, then each layer's assets (a lookup layer's
``vocabulary.txt``) under ``assets/<the layer's Keras 3 path>/``, which
``load_model`` hands back to the layer's ``load_assets`` after the weights.  The archive is built in memory and reaches the
disk through ``atomic.write_bytes``, like every kerasette save.

Reading (``load_model("m.keras")`` and ``model.load_weights("m.keras")``):
the archive's JSON is parsed as data; its weights are Keras 3's
``.weights.h5`` layout, opened from memory.  Nothing in the archive is
executed (a Lambda's bytecode is refused in safe mode like everywhere else).

An archive is read as if hostile: each member is decompressed in a stream
with a running byte count, refused as soon as it passes its cap (its
declared size is checked first, and a header that lies about it cannot get
past the count): ``config.json`` may hold ``CONFIG_LIMIT`` bytes, the
weights what the model can take (``weights_limit``).  Encrypted members and
compression methods Python cannot decompress are refused with an error that
names the file, as is a damaged archive.
"""
from __future__ import annotations

import contextlib
import datetime
import io
import json
import os
import tempfile
import time
import zipfile
import zlib

import h5py
import numpy

from .hdf5 import WeightFileError, open_image_for_reading
from .json_text import parse_json

__all__ = ["is_keras_zip", "open_zip_weights", "read_zip_config", "read_zip_metadata", "weights_limit",
           "write_keras_zip", "load_zip_assets", "CONFIG_LIMIT", "KERAS3_FORMAT_VERSION"]

WEIGHTS_NAME = "model.weights.h5"
CONFIG_NAME = "config.json"
METADATA_NAME = "metadata.json"
#: the Keras release whose ``.keras`` layout and configs kerasette writes
KERAS3_FORMAT_VERSION = "3.15.1"
#: what ``metadata.json`` may expand to (Keras writes two short entries)
METADATA_LIMIT = 1 << 20

#: the most ``config.json`` may expand to (Keras' configs take kilobytes, a few megabytes for huge models)
CONFIG_LIMIT = 64 << 20
#: room for what a weights file holds besides the variables: HDF5 metadata, names, small state
WEIGHTS_OVERHEAD = 64 << 20
#: the variables, plus an optimizer's slots (Adam keeps two per variable, AMSGrad three) and spare
WEIGHTS_FACTOR = 5

_METHODS = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflate", zipfile.ZIP_BZIP2: "bzip2",
            zipfile.ZIP_LZMA: "lzma"}
_BLOCK = 1 << 20
try:
    from lzma import LZMAError as _LZMAError
except ImportError:                          # a Python without lzma: zipfile says so with RuntimeError
    class _LZMAError(Exception):
        pass


def weights_limit(model) -> int:
    """The most a ``.keras`` file's weights may expand to for ``model``."""
    total = 0
    for variable in getattr(model, "weights", []):
        try:
            total += int(numpy.prod(variable.shape, dtype=object)) * numpy.dtype(variable.dtype).itemsize
        except (AttributeError, TypeError, ValueError):
            pass
    return WEIGHTS_FACTOR * total + WEIGHTS_OVERHEAD


def is_keras_zip(filepath: str) -> bool:
    try:
        return zipfile.is_zipfile(filepath)
    except OSError:
        return False


def _copy_capped(member, limit: int, what: str, declared: int) -> io.BytesIO:
    """Decompress ``member`` into memory with a running count: refused as soon as it passes ``limit``."""
    buffer, total = io.BytesIO(), 0
    while True:
        block = member.read(_BLOCK)
        if not block:
            break
        total += len(block)
        if total > limit:
            raise WeightFileError(f"{what} expands past the {limit} bytes it may hold here, although its "
                                  f"header declares {declared}: the archive is hostile or corrupt")
        buffer.write(block)
    return buffer


def _read_member(filepath: str, name: str, limit: int) -> io.BytesIO:
    """The member ``name``, decompressed into memory, refused past ``limit`` bytes."""
    try:
        with zipfile.ZipFile(filepath) as archive:
            try:
                info = archive.getinfo(name)
            except KeyError:
                raise WeightFileError(f"'{filepath}' is a zip file without '{name}': not a Keras '.keras' "
                                      "file") from None
            if info.flag_bits & 0x1:
                raise WeightFileError(f"'{filepath}': its '{name}' is encrypted; Keras never encrypts "
                                      "'.keras' files, and kerasette reads no encrypted member")
            if info.compress_type not in _METHODS:
                raise WeightFileError(f"'{filepath}': its '{name}' is compressed with method "
                                      f"{info.compress_type}, which kerasette cannot read (Keras stores "
                                      "members uncompressed; deflate, bzip2 and lzma are read too)")
            if info.file_size > limit:
                raise WeightFileError(f"'{filepath}': its '{name}' declares {info.file_size} bytes, more than the "
                                      f"{limit} it may hold here (a decompression bomb, or a file for a much "
                                      "bigger model): refused before decompressing")
            with archive.open(info) as member:
                buffer = _copy_capped(member, limit, f"'{filepath}': its '{name}'", info.file_size)
    except WeightFileError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, zlib.error, _LZMAError, ValueError,
            NotImplementedError, RuntimeError, LookupError) as error:
        # (bz2 reports damaged data as OSError; a missing bz2/lzma module is a RuntimeError)
        raise WeightFileError(f"Cannot read '{filepath}': the '.keras' archive is corrupt "
                              f"({type(error).__name__}: {error})") from None
    buffer.seek(0)
    return buffer


@contextlib.contextmanager
def open_zip_weights(filepath: str, model=None):
    """The archive's ``model.weights.h5``, opened from memory; capped by ``weights_limit(model)``."""
    limit = weights_limit(model) if model is not None else WEIGHTS_OVERHEAD
    data = _read_member(filepath, WEIGHTS_NAME, limit)
    handle = open_image_for_reading(data, f"'{filepath}' (its '{WEIGHTS_NAME}')")
    try:
        yield handle
    finally:
        handle.close()


def read_zip_config(filepath: str) -> dict:
    text = _read_member(filepath, CONFIG_NAME, CONFIG_LIMIT).getvalue()
    config = parse_json(text, f"The '{CONFIG_NAME}' of '{filepath}'")
    if not isinstance(config, dict):
        raise WeightFileError(f"The '{CONFIG_NAME}' of '{filepath}' holds a JSON {type(config).__name__}, "
                              "not the object of a model config: the file is corrupt")
    return config


def read_zip_metadata(filepath: str) -> dict:
    """The archive's ``metadata.json`` (``keras_version``, ``date_saved``), or {} when it has none."""
    try:
        with zipfile.ZipFile(filepath) as archive:
            if METADATA_NAME not in archive.namelist():
                return {}
    except (zipfile.BadZipFile, OSError, ValueError):
        return {}
    text = _read_member(filepath, METADATA_NAME, METADATA_LIMIT).getvalue()
    metadata = parse_json(text, f"The '{METADATA_NAME}' of '{filepath}'")
    return metadata if isinstance(metadata, dict) else {}


# ------------------------------------------------------------------ writing
def _weights_image(model) -> bytes:
    """``model.weights.h5`` as bytes: Keras 3's layout, built in memory (no user block, no seal:
    inside the archive the zip's own CRC-32 guards it)."""
    from .keras3_weights import save_weights_to_file
    buffer = io.BytesIO()
    with h5py.File(buffer, "w", libver=("v108", "v108")) as handle:
        save_weights_to_file(handle, model)
    return buffer.getvalue()


def _member(name: str, stamp) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=stamp)
    info.compress_type = zipfile.ZIP_STORED
    info.external_attr = 0o644 << 16
    return info


def write_keras_zip(model, filepath: str, overwrite: bool = True) -> None:
    """Write ``model`` as a Keras 3 ``.keras`` archive, atomically."""
    from ..version import __version__
    from .atomic import check_destination, write_bytes
    from .keras3_serialization import serialize_keras_object
    from .legacy_h5 import check_has_weights
    from .serialization import json_default
    check_destination(filepath, overwrite)
    check_has_weights(model)
    config_json = json.dumps(serialize_keras_object(model), default=json_default)
    now = datetime.datetime.now()
    metadata_json = json.dumps({"keras_version": KERAS3_FORMAT_VERSION,
                                "date_saved": now.strftime("%Y-%m-%d@%H:%M:%S"),
                                "kerasette_version": __version__})
    weights = _weights_image(model)
    assets = _assets(model)
    stamp = time.localtime()[:6]
    archive_bytes = io.BytesIO()
    with zipfile.ZipFile(archive_bytes, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr(_member(METADATA_NAME, stamp), metadata_json.encode("utf-8"))
        archive.writestr(_member(CONFIG_NAME, stamp), config_json.encode("utf-8"))
        archive.writestr(_member(WEIGHTS_NAME, stamp), weights)
        for name, data in assets:
            archive.writestr(_member(name, stamp), data)
    with archive_bytes.getbuffer() as image:
        write_bytes(filepath, [image], overwrite=overwrite)


# ------------------------------------------------------------------ assets
#: what one asset file (a lookup layer's vocabulary.txt) may expand to
ASSET_LIMIT = 256 << 20


def _assets(model) -> list:
    """``[(member name, bytes)]``: what each object with ``save_assets(dir_path)`` writes, under
    ``assets/<its Keras 3 path>/``, as Keras 3 lays them out in the archive."""
    from .keras3_weights import walk
    members = []
    for path, obj in walk(model):
        save = getattr(obj, "save_assets", None)
        if not callable(save):
            continue
        with tempfile.TemporaryDirectory() as folder:
            save(folder)
            for root, _, files in sorted(os.walk(folder)):
                for file in sorted(files):
                    relative = os.path.relpath(os.path.join(root, file), folder).replace(os.sep, "/")
                    with open(os.path.join(root, file), "rb") as handle:
                        members.append(("/".join(part for part in ("assets", path, relative) if part),
                                        handle.read()))
    return members


def load_zip_assets(filepath: str, model) -> None:
    """Hand each object with ``load_assets(dir_path)`` a folder holding the files the archive keeps
    under ``assets/<its path>/`` (each member capped by ``ASSET_LIMIT``; names are never used as paths)."""
    from .keras3_weights import walk
    try:
        with zipfile.ZipFile(filepath) as archive:
            names = [name for name in archive.namelist() if name.startswith("assets/")]
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise WeightFileError(f"Cannot read '{filepath}': the '.keras' archive is corrupt ({error})") from None
    for path, obj in walk(model):
        load = getattr(obj, "load_assets", None)
        if not callable(load):
            continue
        prefix = "/".join(part for part in ("assets", path) if part) + "/"
        own = [name for name in names if name.startswith(prefix) and "/" not in name[len(prefix):]
               and name[len(prefix):] not in ("", ".", "..")]
        with tempfile.TemporaryDirectory() as folder:
            for name in own:
                data = _read_member(filepath, name, ASSET_LIMIT).getvalue()
                with open(os.path.join(folder, os.path.basename(name)), "wb") as handle:
                    handle.write(data)
            try:
                load(folder)
            except (OSError, ValueError, TypeError) as error:
                raise WeightFileError(f"'{filepath}': the assets of {type(obj).__name__} '{obj.name}' (under "
                                      f"'{prefix}') cannot be loaded: {error}") from None
