"""IMDB movie-review sentiment, as ``keras.datasets.imdb``.

25,000 training and 25,000 test reviews labelled positive (1) or negative (0),
each a list of word indices ranked by frequency (index 1 is the most frequent
word), from Keras' prepared ``imdb.npz`` and ``imdb_word_index.json``.

About pickle: Keras' ``imdb.npz`` stores the reviews as numpy *object* arrays
(one Python list per review), which numpy only knows how to save as a pickle
stream, so ``np.load(allow_pickle=False)`` cannot read them and Keras itself
loads them through a restricted unpickler. kerasette does not run pickle on
downloaded data at all: :mod:`._npz` decodes the stream as plain data (lists,
ints, numpy arrays), refusing anything else, after the file's SHA-256 has
been checked. No option turns real unpickling on.

The word index is checked with the MD5 Keras publishes for it (Keras records
no SHA-256 for this one file).

Returned values follow Keras 3: ``x_train``/``x_test`` are Python lists of
lists of ints, ``y_train``/``y_test`` int64 arrays; the shuffle uses
``numpy.random.RandomState(seed)`` like Keras, so the order matches Keras'.
"""
from __future__ import annotations

import json

import numpy as np

from ._npz import load_npz
from .download import KERAS_DATASETS_URL, get_file

__all__ = ["load_data", "get_word_index"]

_SHA256 = "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f"
_WORD_INDEX_MD5 = "bfafd718b763782e994055a2d397834f"


def load_data(path: str = "imdb.npz", num_words: int | None = None, skip_top: int = 0,
              maxlen: int | None = None, seed: int = 113, start_char: int | None = 1,
              oov_char: int | None = 2, index_from: int = 3):
    """Load the IMDB reviews as sequences of word indices.

    Arguments as in Keras: ``num_words`` keeps the most frequent words only
    (rarer ones become ``oov_char``, or are dropped if it is None);
    ``skip_top`` also replaces the most frequent ones; ``maxlen`` drops every
    review of ``maxlen`` words or more (Keras keeps only shorter ones);
    ``seed`` seeds the shuffle; ``start_char`` marks each review's start;
    word indices are shifted up by ``index_from`` to leave room for 0
    (padding), ``start_char`` and ``oov_char``.

    >>> from kerasette.datasets import imdb
    >>> (x_train, y_train), (x_test, y_test) = imdb.load_data(num_words=10000)  # doctest: +SKIP
    >>> len(x_train), x_train[0][:3]                                           # doctest: +SKIP
    (25000, [1, 14, 22])
    """
    local = get_file(path, origin=KERAS_DATASETS_URL + "imdb.npz", file_hash=_SHA256)
    arrays = load_npz(local)
    x_train, labels_train = arrays["x_train"], arrays["y_train"]
    x_test, labels_test = arrays["x_test"], arrays["y_test"]

    # one generator for both shuffles, in this order, as Keras does
    rng = np.random.RandomState(seed)
    order = np.arange(len(x_train))
    rng.shuffle(order)
    x_train, labels_train = x_train[order], labels_train[order]
    order = np.arange(len(x_test))
    rng.shuffle(order)
    x_test, labels_test = x_test[order], labels_test[order]

    prefix = [start_char] if start_char is not None else []
    x_train = [prefix + [word + index_from for word in review] for review in x_train]
    x_test = [prefix + [word + index_from for word in review] for review in x_test]

    if maxlen:
        x_train, labels_train = _drop_long(maxlen, x_train, labels_train)
        x_test, labels_test = _drop_long(maxlen, x_test, labels_test)
        if not x_train or not x_test:
            raise ValueError(f"No review is shorter than maxlen={maxlen}; increase maxlen.")

    reviews = x_train + x_test
    labels = np.concatenate([labels_train, labels_test])
    if not num_words:
        # Keras' rule, kept for identical outputs: the largest index itself then
        # falls outside ``w < num_words`` and becomes oov_char
        num_words = max(max(review) for review in reviews if review)
    if oov_char is not None:
        reviews = [[w if skip_top <= w < num_words else oov_char for w in review]
                   for review in reviews]
    else:
        reviews = [[w for w in review if skip_top <= w < num_words] for review in reviews]

    split = len(x_train)
    return (reviews[:split], labels[:split]), (reviews[split:], labels[split:])


def _drop_long(maxlen: int, reviews: list, labels) -> tuple:
    keep = [index for index, review in enumerate(reviews) if len(review) < maxlen]
    return [reviews[index] for index in keep], np.asarray(labels)[keep]


def get_word_index(path: str = "imdb_word_index.json") -> dict:
    """Return the dict mapping each word to its frequency rank (1 = most frequent).

    Add ``index_from`` (3 by default) to a rank to get the index used in the
    sequences of :func:`load_data`.

    >>> from kerasette.datasets import imdb
    >>> word_index = imdb.get_word_index()  # doctest: +SKIP
    >>> word_index["the"]                   # doctest: +SKIP
    1
    """
    local = get_file(path, origin=KERAS_DATASETS_URL + "imdb_word_index.json",
                     file_hash=_WORD_INDEX_MD5)
    with open(local, encoding="utf-8") as handle:
        return json.load(handle)
