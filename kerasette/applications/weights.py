"""Keras' published weight files for ``kerasette.applications``: found, fetched, loaded.

Each family module keeps Keras' facts about its files (the base address and
the hashes, module constants such as ``BASE_WEIGHTS_PATH`` and
``WEIGHTS_HASHES`` that tests may replace) and hands them to
:func:`load_weights`, which does what the end of every Keras application
does: ``weights="imagenet"`` downloads the named file once through
kerasette's cached, checksum-checked downloader
(:func:`kerasette.datasets.download.get_file`) and loads it; a path loads that
file; ``None`` leaves the fresh initial values.

The published files are Keras 2 ``.h5`` weight files (layer groups in the
model's order, named like the layers), which ``Model.load_weights`` reads.

Where files live (environment variables, read on every call):

* ``KERASETTE_MODELS``: the cache folder itself;
* otherwise ``$KERASETTE_HOME/models``;
* otherwise ``~/.kerasette/models``.
"""
from __future__ import annotations

import os

from ..datasets.download import get_file

__all__ = ["models_cache_dir", "fetch_file", "load_weights"]


def models_cache_dir() -> str:
    """The folder downloaded weight files are cached in (see the module docstring)."""
    explicit = os.environ.get("KERASETTE_MODELS")
    if explicit:
        return os.path.abspath(os.path.expanduser(explicit))
    home = os.environ.get("KERASETTE_HOME") or os.path.join("~", ".kerasette")
    return os.path.abspath(os.path.join(os.path.expanduser(home), "models"))


def fetch_file(file_name: str, origin: str, file_hash: str | None) -> str:
    """The local path of ``file_name`` from ``origin``, downloaded into the models cache
    once and checked against ``file_hash`` (MD5 or SHA-256 hex digest) on every use; ``None``
    for the files Keras publishes no hash for (MobileNet, MobileNetV2), which Keras fetches unchecked."""
    return get_file(file_name, origin, file_hash, cache_dir=models_cache_dir())


def load_weights(model, weights, file_name: str | None = None, base_url: str | None = None,
                 file_hash: str | None = None):
    """Give ``model`` the weights its constructor was asked for, and return it.

    ``weights="imagenet"`` fetches ``base_url + file_name`` (checked against
    ``file_hash``) and loads it; any other non-None value is a path handed to
    ``model.load_weights``. With ``"imagenet"`` and no ``file_name`` (a
    configuration Keras publishes no file for) nothing is loaded, as in Keras.
    """
    if weights == "imagenet":
        if file_name is None:
            return model
        path = fetch_file(file_name, base_url + file_name, file_hash)
        model.load_weights(path)
    elif weights is not None:
        model.load_weights(os.fspath(weights))
    return model
