"""``set_random_seed``: one call that makes a run repeatable, as in Keras.

kerasette draws from three generators: the backend's (initializers, dropout,
noise layers), numpy's global one (user code, shuffling helpers) and Python's
``random``.  Keras' ``keras.utils.set_random_seed`` seeds them all; so does this.
"""
from __future__ import annotations

import random

import numpy

from .. import backend

__all__ = ["set_random_seed"]


def set_random_seed(seed: int) -> None:
    """Seed Python's ``random``, numpy's global generator and kerasette's backend.

    >>> set_random_seed(42); first = backend.rng().random()
    >>> set_random_seed(42); first == backend.rng().random()
    True
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, numpy.integer)):
        raise ValueError(f"Expected `seed` argument to be an integer. Received: seed={seed!r}")
    seed = int(seed)
    random.seed(seed)
    numpy.random.seed(seed)
    backend.set_seed(seed)
