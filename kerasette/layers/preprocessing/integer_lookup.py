"""IntegerLookup: integers to vocabulary indices (or encodings), and back with ``invert=True``."""
from __future__ import annotations

import numpy

from .index_lookup import IndexLookup

__all__ = ["IntegerLookup"]


class IntegerLookup(IndexLookup):
    """Maps integers to indices of a vocabulary (given, read from a file, or learned by ``adapt``).

    >>> layer = IntegerLookup(vocabulary=[12, 36, 1138, 42])
    >>> layer(numpy.array([[12, 1138, 42], [42, 1000, 36]]))
    array([[1, 3, 4],
           [4, 0, 2]])

    Out-of-vocabulary integers go to index 0 (``oov_token=-1``); with several
    OOV indices, to ``value mod num_oov_indices`` (or a FarmHash bin with
    ``oov_method="farmhash"``).
    """

    def __init__(self, max_tokens=None, num_oov_indices=1, mask_token=None, oov_token=-1, vocabulary=None,
                 vocabulary_dtype="int64", idf_weights=None, invert=False, output_mode="int", sparse=False,
                 pad_to_max_tokens=False, oov_method="floormod", salt=None, name=None, vocabulary_size=None,
                 has_input_vocabulary=None, **kwargs):
        if has_input_vocabulary is not None:
            kwargs["has_input_vocabulary"] = has_input_vocabulary
        if max_tokens is not None and max_tokens <= 1:
            raise ValueError("If `max_tokens` is set for `IntegerLookup`, it must be greater than 1. "
                             f"Received: max_tokens={max_tokens}")
        if vocabulary_dtype != "int64":
            raise ValueError("IntegerLookup: only vocabulary_dtype='int64' is supported (as in Keras 3). "
                             f"Received: vocabulary_dtype={vocabulary_dtype}")
        super().__init__(max_tokens=max_tokens, num_oov_indices=num_oov_indices, mask_token=mask_token,
                         oov_token=oov_token, vocabulary=vocabulary, vocabulary_dtype=vocabulary_dtype,
                         idf_weights=idf_weights, invert=invert, output_mode=output_mode, sparse=sparse,
                         pad_to_max_tokens=pad_to_max_tokens, oov_method=oov_method, salt=salt, name=name,
                         vocabulary_size=vocabulary_size, **kwargs)

    def _token_value(self, value):
        if isinstance(value, (bool, numpy.bool_)):
            raise TypeError(f"IntegerLookup '{self.name}' takes integers, got {value!r}")
        if isinstance(value, (int, numpy.integer)):
            return int(value)
        if isinstance(value, str):
            return int(value.strip())
        if isinstance(value, (float, numpy.floating)) and float(value).is_integer():
            return int(value)
        raise TypeError(f"IntegerLookup '{self.name}' takes integers, got {value!r} ({type(value).__name__})")

    def _check_values(self, array, what):
        if array.dtype.kind not in "iu":
            raise TypeError(f"IntegerLookup '{self.name}': {what} must be integers, got dtype {array.dtype}")
        return array

    def get_config(self):
        config = super().get_config()
        for key in ("oov_token", "mask_token"):
            if config[key] is not None:
                config[key] = int(config[key])
        if config["vocabulary"] is not None:
            config["vocabulary"] = [int(v) for v in config["vocabulary"]]
        return config
