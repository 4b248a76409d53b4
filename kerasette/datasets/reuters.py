"""Reuters newswire topics, as ``keras.datasets.reuters``.

11,228 newswires labelled over 46 topics, each a list of word indices ranked
by frequency, from Keras' prepared ``reuters.npz`` (checked by its SHA-256)
and ``reuters_word_index.json`` (checked by the MD5 Keras publishes). Like
``imdb``, the object arrays in the file are decoded as plain data, never
unpickled (see ``_npz``).

Keras 3's arithmetic, step for step: one ``RandomState(seed)`` shuffle of
all newswires, ``start_char`` then indices shifted by ``index_from``,
newswires of ``maxlen`` words or more dropped, the vocabulary cut at
``num_words`` (rarer and ``skip_top`` words become ``oov_char``), and the
last ``test_split`` of them kept for testing. ``x_*`` come back as object
arrays of lists, as in Keras 3.
"""
from __future__ import annotations

import json

import numpy as np

from ._npz import load_npz
from .download import KERAS_DATASETS_URL, get_file

__all__ = ["load_data", "get_word_index", "get_label_names"]

_SHA256 = "d6586e694ee56d7a4e65172e12b3e987c03096cb01eab99753921ef915959916"
_WORD_INDEX_MD5 = "4d44cc38712099c9e383dc6e5f11a921"

_LABEL_NAMES = (
    "cocoa", "grain", "veg-oil", "earn", "acq", "wheat", "copper", "housing", "money-supply", "coffee", "sugar",
    "trade", "reserves", "ship", "cotton", "carcass", "crude", "nat-gas", "cpi", "money-fx", "interest", "gnp",
    "meal-feed", "alum", "oilseed", "gold", "tin", "strategic-metal", "livestock", "retail", "ipi", "iron-steel",
    "rubber", "heat", "jobs", "lei", "bop", "zinc", "orange", "pet-chem", "dlr", "gas", "silver", "wpi", "hog",
    "lead")


def _object_array(lists) -> np.ndarray:
    array = np.empty(len(lists), dtype=object)
    array[:] = [list(item) for item in lists]
    return array


def load_data(path: str = "reuters.npz", num_words: int | None = None, skip_top: int = 0,
              maxlen: int | None = None, test_split: float = 0.2, seed: int = 113, start_char: int | None = 1,
              oov_char: int | None = 2, index_from: int = 3):
    """Load the Reuters newswires as sequences of word indices and their topic labels.

    >>> from kerasette.datasets import reuters
    >>> (x_train, y_train), (x_test, y_test) = reuters.load_data(num_words=10000)  # doctest: +SKIP
    >>> len(x_train), len(x_test)                                                  # doctest: +SKIP
    (8982, 2246)
    """
    if not 0 <= test_split < 1:
        raise ValueError(f"test_split must be in [0, 1), got {test_split}")
    local = get_file(path, origin=KERAS_DATASETS_URL + "reuters.npz", file_hash=_SHA256)
    arrays = load_npz(local)
    sequences, labels = arrays["x"], arrays["y"]
    order = np.arange(len(sequences))
    np.random.RandomState(seed).shuffle(order)
    sequences, labels = sequences[order], labels[order]
    if start_char is not None:
        sequences = [[start_char] + [w + index_from for w in seq] for seq in sequences]
    elif index_from:
        sequences = [[w + index_from for w in seq] for seq in sequences]
    else:
        sequences = [list(seq) for seq in sequences]
    if maxlen:
        keep = [i for i, seq in enumerate(sequences) if len(seq) < maxlen]
        sequences, labels = [sequences[i] for i in keep], np.asarray(labels)[keep]
        if not sequences:
            raise ValueError(f"No newswire is shorter than maxlen={maxlen}; increase maxlen.")
    if not num_words:
        num_words = max(max(seq) for seq in sequences if seq)
    if oov_char is not None:
        sequences = [[w if skip_top <= w < num_words else oov_char for w in seq] for seq in sequences]
    else:
        sequences = [[w for w in seq if skip_top <= w < num_words] for seq in sequences]
    cut = int(len(sequences) * (1 - test_split))
    return ((_object_array(sequences[:cut]), np.array(labels[:cut])),
            (_object_array(sequences[cut:]), np.array(labels[cut:])))


def get_word_index(path: str = "reuters_word_index.json") -> dict:
    """The dict mapping each word to its frequency rank (add ``index_from`` for the sequences' index)."""
    local = get_file(path, origin=KERAS_DATASETS_URL + "reuters_word_index.json", file_hash=_WORD_INDEX_MD5)
    with open(local, encoding="utf-8") as handle:
        return json.load(handle)


def get_label_names() -> tuple:
    """The 46 topic names, in label order."""
    return _LABEL_NAMES
