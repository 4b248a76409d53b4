"""Reading Keras 3's ``.keras`` files: a zip of ``config.json``, ``metadata.json`` and ``model.weights.h5``.

Only reading: ``load_model("m.keras")`` and ``model.load_weights("m.keras")``.
The archive's JSON is parsed as data; its weights are Keras 3's
``.weights.h5`` layout, opened from memory.  Nothing in the archive is
executed (a Lambda's bytecode is refused in safe mode like everywhere else).
"""
from __future__ import annotations

import contextlib
import io
import json
import zipfile

import h5py

from .hdf5 import WeightFileError

__all__ = ["is_keras_zip", "open_zip_weights", "read_zip_config"]

WEIGHTS_NAME = "model.weights.h5"
CONFIG_NAME = "config.json"


def is_keras_zip(filepath: str) -> bool:
    try:
        return zipfile.is_zipfile(filepath)
    except OSError:
        return False


def _read_member(filepath: str, name: str) -> bytes:
    try:
        with zipfile.ZipFile(filepath) as archive:
            if name not in archive.namelist():
                raise WeightFileError(f"'{filepath}' is a zip file without '{name}': not a Keras '.keras' file")
            return archive.read(name)
    except (zipfile.BadZipFile, OSError, EOFError) as error:
        raise WeightFileError(f"Cannot read '{filepath}': the '.keras' archive is corrupt ({error})") from None


@contextlib.contextmanager
def open_zip_weights(filepath: str):
    data = _read_member(filepath, WEIGHTS_NAME)
    try:
        handle = h5py.File(io.BytesIO(data), "r")
    except OSError as error:
        raise WeightFileError(f"'{filepath}': its '{WEIGHTS_NAME}' is not readable HDF5 ({error})") from None
    try:
        yield handle
    finally:
        handle.close()


def read_zip_config(filepath: str) -> dict:
    text = _read_member(filepath, CONFIG_NAME)
    try:
        return json.loads(text.decode("utf8"))
    except (ValueError, UnicodeDecodeError) as error:
        raise WeightFileError(f"'{filepath}': its '{CONFIG_NAME}' is not valid JSON ({error})") from None
