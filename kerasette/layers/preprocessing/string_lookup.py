"""StringLookup: strings to vocabulary indices (or encodings), and back with ``invert=True``."""
from __future__ import annotations

import numpy

from .index_lookup import IndexLookup

__all__ = ["StringLookup"]


class StringLookup(IndexLookup):
    """Maps strings to integer indices of a vocabulary (given, read from a file, or learned by ``adapt``).

    >>> layer = StringLookup(vocabulary=["a", "b", "c"])
    >>> layer(numpy.array([["a", "c"], ["d", "b"]]))
    array([[1, 3],
           [0, 2]])

    Index 0 is the out-of-vocabulary index (after the mask index 0 when
    ``mask_token`` is set); ``output_mode`` may also be ``"one_hot"``,
    ``"multi_hot"``, ``"count"`` or ``"tf_idf"``.
    """

    def __init__(self, max_tokens=None, num_oov_indices=1, mask_token=None, oov_token="[UNK]",
                 vocabulary=None, idf_weights=None, invert=False, output_mode="int", pad_to_max_tokens=False,
                 sparse=False, encoding="utf-8", name=None, salt=None, oov_method="floormod", vocabulary_size=None,
                 has_input_vocabulary=None, **kwargs):
        kwargs.pop("vocabulary_dtype", None)
        if has_input_vocabulary is not None:
            kwargs["has_input_vocabulary"] = has_input_vocabulary
        self.encoding = encoding
        super().__init__(max_tokens=max_tokens, num_oov_indices=num_oov_indices, mask_token=mask_token,
                         oov_token=oov_token, vocabulary=vocabulary, idf_weights=idf_weights, invert=invert,
                         output_mode=output_mode, pad_to_max_tokens=pad_to_max_tokens, sparse=sparse, name=name,
                         salt=salt, oov_method=oov_method, vocabulary_dtype="string", vocabulary_size=vocabulary_size,
                         **kwargs)

    def _token_value(self, value):
        if isinstance(value, bytes):
            return value.decode(self.encoding)
        if isinstance(value, (numpy.str_, str)):
            return str(value)
        raise TypeError(f"StringLookup '{self.name}' takes strings, got {value!r} ({type(value).__name__})")

    def _check_values(self, array, what):
        if array.dtype.kind not in "OUS":
            raise TypeError(f"StringLookup '{self.name}': {what} must be strings, got dtype {array.dtype}")
        return array

    def get_config(self):
        config = super().get_config()
        del config["vocabulary_dtype"]
        config["encoding"] = self.encoding
        return config
