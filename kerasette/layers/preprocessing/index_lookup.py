"""IndexLookup: the vocabulary machinery StringLookup, IntegerLookup and TextVectorization share.

A vocabulary maps tokens to indices: first the mask index (0, when a
``mask_token`` is set and the output is ``"int"``), then ``num_oov_indices``
out-of-vocabulary indices, then the tokens, most frequent first (ties: the
larger token first), as Keras 3 orders them.  ``invert=True`` maps indices
back to tokens.  Tokens out of the vocabulary go to the one OOV index, or,
with several, to a bin chosen by hashing (FarmHash Fingerprint64, SipHash
with a ``salt``) or, for integers, by ``value mod num_oov_indices``.

Where Keras 3 keeps the state: a vocabulary given as a list stays in the
config (``vocabulary``); a learned one (``adapt``) or one read from a file
is saved as ``vocabulary.txt`` among the ``.keras`` file's assets
(``save_assets``/``load_assets``); ``tf_idf`` weights are saved among the
layer's variables under the key ``idf_weights`` (``save_own_variables``).
The layer has no weights (``get_weights() == []``), like Keras'.
"""
from __future__ import annotations

import collections
import os

import numpy

from ... import backend
from ...eager import Tensor
from ...engine import Node
from ..layer import Layer
from .data import ListInputs, as_numpy, host_call
from .hash_functions import hash_buckets

__all__ = ["IndexLookup", "encode_categorical"]

_OUTPUT_MODES = ("int", "one_hot", "multi_hot", "count", "tf_idf")
_INT64_MAX = numpy.iinfo("int64").max


def encode_categorical(indices, output_mode, depth, dtype="int64", count_weights=None):
    """Keras 3's one_hot / multi_hot / count encoding of integer ``indices`` as numpy.

    one_hot adds an axis of size ``depth`` (replacing a last axis of 1);
    multi_hot and count fold axis 1 (axis 0 for a vector) into it.  Indices
    outside ``[0, depth)`` count nowhere.
    """
    indices = numpy.asarray(indices)
    if indices.ndim == 0:
        indices = indices.reshape(1)
    if output_mode == "one_hot" and indices.ndim > 1 and indices.shape[-1] == 1:
        indices = indices.reshape(indices.shape[:-1])
    valid = (indices >= 0) & (indices < depth)
    safe = numpy.where(valid, indices, 0)
    weights = valid.astype("float64" if count_weights is not None else dtype)
    if count_weights is not None:
        weights = weights * numpy.asarray(count_weights)
    encoded = numpy.zeros(indices.shape + (depth,), dtype=weights.dtype)
    numpy.put_along_axis(encoded, safe[..., None], weights[..., None], axis=-1)
    if output_mode == "one_hot":
        return encoded.astype(dtype)
    axis = 1 if indices.ndim > 1 else 0
    if output_mode == "multi_hot":
        return encoded.max(axis=axis).astype(dtype)
    return encoded.sum(axis=axis).astype(dtype if count_weights is None else encoded.dtype)


def categorical_shape(input_shape, output_mode, depth):
    """Keras 3's output shape of ``encode_categorical``."""
    input_shape = tuple(input_shape)
    if output_mode == "one_hot":
        if len(input_shape) > 1 and input_shape[-1] == 1:
            return input_shape[:-1] + (depth,)
        return input_shape + (depth,)
    if not input_shape:
        return (depth,)
    return input_shape[:-1] + (depth,)


class IndexLookup(ListInputs, Layer):
    """Base of StringLookup and IntegerLookup (see the module docstring); not used on its own."""

    def __init__(self, max_tokens, num_oov_indices, mask_token, oov_token, vocabulary_dtype,
                 vocabulary=None, idf_weights=None, invert=False, output_mode="int", sparse=False,
                 pad_to_max_tokens=False, oov_method="floormod", name=None, salt=None, vocabulary_size=None,
                 has_input_vocabulary=None, **kwargs):
        kind = type(self).__name__
        if max_tokens is not None and max_tokens <= 1:
            raise ValueError(f"{kind}: if set, `max_tokens` must be greater than 1. Received: max_tokens={max_tokens}")
        if pad_to_max_tokens and max_tokens is None:
            raise ValueError(f"{kind}: pad_to_max_tokens=True needs `max_tokens`. Received: max_tokens=None")
        if num_oov_indices is None or num_oov_indices < 0:
            raise ValueError(f"{kind}: `num_oov_indices` must be >= 0. Received: num_oov_indices={num_oov_indices}")
        if oov_method not in ("floormod", "farmhash"):
            raise ValueError(f"{kind}: `oov_method` must be 'floormod' or 'farmhash'. Received: "
                             f"oov_method={oov_method!r}")
        if salt is not None:
            if vocabulary_dtype != "string" and oov_method != "farmhash":
                raise ValueError(f"{kind}: `salt` can only be used when `oov_method='farmhash'`. "
                                 f"Received: oov_method={oov_method}")
            if isinstance(salt, (tuple, list)) and len(salt) == 2:
                salt = [int(s) for s in salt]
            elif isinstance(salt, int):
                salt = [salt, salt]
            else:
                raise ValueError(f"{kind}: `salt` must be an integer or a tuple of 2 integers. Received: salt={salt!r}")
        output_mode = {"binary": "multi_hot", "tf-idf": "tf_idf"}.get(output_mode, output_mode)
        if output_mode not in _OUTPUT_MODES:
            raise ValueError(f"{kind}: `output_mode` must be one of {_OUTPUT_MODES}. Received: "
                             f"output_mode={output_mode!r}")
        if invert and output_mode != "int":
            raise ValueError(f"{kind}: `output_mode` must be 'int' when `invert` is true. Received: "
                             f"output_mode={output_mode}")
        if sparse:
            raise ValueError(f"{kind}: sparse=True needs sparse tensors, which kerasette does not have "
                             "(Keras 3 offers them on the TensorFlow backend only); use sparse=False")
        if idf_weights is not None and output_mode != "tf_idf":
            raise ValueError(f"{kind}: `idf_weights` should only be set if `output_mode` is 'tf_idf'. "
                             f"Received: output_mode={output_mode}")
        frozen = vocabulary_size
        if has_input_vocabulary is None:
            has_input_vocabulary = vocabulary is not None
        kwargs.pop("dtype", None)
        trainable = kwargs.pop("trainable", True)
        super().__init__(name=name, trainable=trainable, **kwargs)
        self.invert = bool(invert)
        self.max_tokens = max_tokens
        self.num_oov_indices = int(num_oov_indices)
        self.mask_token = mask_token
        self.oov_token = oov_token
        self.output_mode = output_mode
        self.sparse = False
        self.pad_to_max_tokens = bool(pad_to_max_tokens)
        self.vocabulary_dtype = vocabulary_dtype
        self.oov_method = oov_method
        self.salt = salt
        self._frozen_vocab_size = frozen
        self.input_vocabulary = vocabulary if not isinstance(vocabulary, str) else None
        self.input_idf_weights = idf_weights
        self._has_input_vocabulary = has_input_vocabulary
        self._tokens = []           # the vocabulary without special tokens, in index order
        self._index = {}            # token -> index
        self.idf_weights = None     # numpy float array (tf_idf), padded like Keras'
        self.supports_masking = False
        if output_mode == "tf_idf":
            if has_input_vocabulary and idf_weights is None:
                raise ValueError(f"{kind}: with a `vocabulary` in 'tf_idf' output mode, `idf_weights` must be "
                                 "given too")
            if idf_weights is not None:
                self.idf_weights = numpy.asarray(idf_weights, dtype=backend.floatx())
        if vocabulary is not None:
            self.set_vocabulary(vocabulary, idf_weights)
        self.built = True

    # ------------------------------------------------------------ indices
    def _oov_start_index(self):
        return 1 if self.mask_token is not None and self.output_mode == "int" else 0

    def _token_start_index(self):
        return self._oov_start_index() + self.num_oov_indices

    def vocabulary_size(self) -> int:
        """The size of the vocabulary, mask and OOV indices included."""
        return len(self._tokens) + self._token_start_index()

    def get_vocabulary(self, include_special_tokens: bool = True) -> list:
        """The vocabulary in index order (with the mask and OOV tokens unless told not to)."""
        vocabulary = [self.oov_token] * self._token_start_index() + list(self._tokens)
        if self.mask_token is not None and self.output_mode == "int":
            vocabulary[0] = self.mask_token
        if not include_special_tokens:
            vocabulary = vocabulary[self._token_start_index():]
        return vocabulary

    # ---------------------------------------------------------- vocabulary
    def _token_value(self, value):
        """One token as the layer keeps it (str or int)."""
        raise NotImplementedError

    def _read_vocabulary_file(self, path):
        if not os.path.isfile(path):
            raise ValueError(f"{type(self).__name__} '{self.name}': vocabulary file '{path}' does not exist")
        with open(path, encoding=getattr(self, "encoding", "utf-8")) as handle:
            lines = handle.read().splitlines()
        while lines and lines[-1] == "":
            lines.pop()
        try:
            tokens = [self._token_value(line) for line in lines]
        except ValueError:
            raise ValueError(f"{type(self).__name__} '{self.name}': vocabulary file '{path}' holds a line that "
                             "is not an integer") from None
        repeated = _repeated(tokens)
        if repeated:
            raise ValueError(f"{type(self).__name__} '{self.name}': vocabulary file '{path}' repeats the terms "
                             f"{repeated}; each term must appear once")
        if not tokens:
            raise ValueError(f"{type(self).__name__} '{self.name}': vocabulary file '{path}' is empty")
        return tokens

    def set_vocabulary(self, vocabulary, idf_weights=None) -> None:
        """Set the vocabulary (a list, an array or a file path, one term a line) and, for
        ``tf_idf``, the idf weights.  Nothing changes when either is refused."""
        kind = f"{type(self).__name__} '{self.name}'"
        if self.output_mode == "tf_idf":
            if idf_weights is None:
                raise ValueError(f"{kind}: `idf_weights` must be set if output_mode is 'tf_idf'")
        elif idf_weights is not None:
            raise ValueError(f"{kind}: `idf_weights` should only be set if output_mode is 'tf_idf'. "
                             f"Received: output_mode={self.output_mode}")
        if isinstance(vocabulary, str):
            if self.output_mode == "tf_idf":
                raise ValueError(f"{kind}: output_mode 'tf_idf' does not support a vocabulary file")
            tokens = self._read_vocabulary_file(vocabulary)
            self._install(tokens, None)
            return
        values = as_numpy(vocabulary).reshape(-1) if not isinstance(vocabulary, (list, tuple)) else vocabulary
        tokens = [self._token_value(v) for v in values]
        if not tokens:
            raise ValueError(f"{kind}: cannot set an empty vocabulary. Received: vocabulary={vocabulary!r}")
        token_start = self._token_start_index()
        special = [self.mask_token] * self._oov_start_index() + [self.oov_token] * self.num_oov_indices
        found_special = tokens[:token_start] == special
        if found_special:
            tokens = tokens[token_start:]
        repeated = _repeated(tokens)
        if repeated:
            raise ValueError(f"{kind}: the `vocabulary` repeats the terms {repeated}; each term must appear once")
        if self.mask_token is not None and self.mask_token in tokens:
            raise ValueError(f"{kind}: the mask token {self.mask_token!r} is in `vocabulary` at an unexpected "
                             f"place; leave the special tokens out, or put them first in this order: {special}")
        if self.oov_token is not None and self.invert and self.oov_token in tokens:
            raise ValueError(f"{kind}: the OOV token {self.oov_token!r} is in `vocabulary` at an unexpected "
                             f"place; leave the special tokens out, or put them first in this order: {special}")
        size = token_start + len(tokens)
        if self.max_tokens is not None and size > self.max_tokens:
            raise ValueError(f"{kind}: the vocabulary of size {size} is larger than `max_tokens`={self.max_tokens}")
        weights = None
        if self.output_mode == "tf_idf":
            weights = as_numpy(idf_weights).astype("float64")
            if weights.ndim != 1:
                raise ValueError(f"{kind}: `idf_weights` must be 1-d, got shape {weights.shape}")
            if len(weights) != len(values):
                raise ValueError(f"{kind}: `idf_weights` must be as long as the vocabulary: "
                                 f"len(idf_weights)={len(weights)}, len(vocabulary)={len(values)}")
            front, front_value = (0, 0.0) if found_special else (token_start, numpy.average(weights))
            back = self.max_tokens - front - len(weights) if self.pad_to_max_tokens and self.max_tokens else 0
            weights = numpy.pad(weights, (front, back), constant_values=(front_value, 0.0))
            weights = weights.astype(backend.floatx())
        self._install(tokens, weights)

    def _install(self, tokens, idf_weights):
        new_size = len(tokens) + self._token_start_index()
        if (self.output_mode != "int" and not self.pad_to_max_tokens and self._frozen_vocab_size is not None
                and new_size != self._frozen_vocab_size and getattr(self, "_size_used", False)):
            raise RuntimeError(f"{type(self).__name__} '{self.name}': with output_mode='{self.output_mode}' and "
                               "pad_to_max_tokens=False the vocabulary size cannot change after the layer was "
                               f"called (old size {self._frozen_vocab_size}, new size {new_size})")
        self._tokens = list(tokens)
        start = self._token_start_index()
        self._index = {token: start + i for i, token in enumerate(self._tokens)}
        if idf_weights is not None:
            self.idf_weights = idf_weights
        self._frozen_vocab_size = new_size

    # -------------------------------------------------------------- adapt
    def _adapt_arrays(self, data):
        """The data of ``adapt`` as a list of 2-d-or-more arrays, one per batch (Keras' rules)."""
        where = f"{type(self).__name__} '{self.name}': adapt(data)"
        if data is None:
            raise ValueError(f"{where} needs data, got None")
        if isinstance(data, (list, tuple, numpy.ndarray, Tensor)) or numpy.isscalar(data):
            array = as_numpy(data)
            if array.ndim == 1:
                array = array[:, None]
            batches = [array]
        else:
            batches = []
            for batch in data:
                batch = as_numpy(batch[0] if isinstance(batch, tuple) else batch)
                if batch.ndim == 0:
                    batch = batch.reshape(1)
                if batch.ndim == 1:
                    batch = batch[None, :]
                batches.append(batch)
            if not batches:
                raise ValueError(f"{where} received an empty iterable (no batches)")
        if sum(b.size for b in batches) == 0:
            raise ValueError(f"{where} received no values (shape {batches[0].shape}): adapt needs at least one")
        return [self._check_values(b, "adapt(data)") for b in batches]

    def adapt(self, data, steps=None) -> None:
        """Learn the vocabulary (and for ``tf_idf`` the document frequencies) of ``data``: an array,
        a list, or an iterable of batches.  Nothing changes when ``data`` is refused."""
        if self._has_input_vocabulary:
            raise ValueError(f"Cannot adapt layer '{self.name}' after setting a static vocabulary via the "
                             "`vocabulary` argument")
        if steps is not None and not isinstance(data, (list, tuple, numpy.ndarray, Tensor)):
            data = _take(data, steps)
        self._adapt_tokens(self._adapt_arrays(data))

    def _adapt_tokens(self, batches) -> None:
        """Learn the vocabulary from checked batches of tokens (arrays, one row a document)."""
        counts = collections.Counter()
        document_counts = collections.Counter()
        documents = 0
        for batch in batches:
            flat = batch.reshape(-1)
            unique, unique_counts = numpy.unique(flat, return_counts=True)
            for token, count in zip(unique.tolist(), unique_counts.tolist()):
                counts[self._token_value(token)] += count
            if self.output_mode == "tf_idf":
                for row in batch.reshape(batch.shape[0], -1):
                    document_counts.update({self._token_value(token) for token in row.tolist()})
                documents += batch.shape[0]
        for special in (self.mask_token, self.oov_token):
            counts.pop(special, None)
        # most frequent first, ties broken by the larger token first (Keras' lexsort, reversed)
        ordered = sorted(counts.items(), key=lambda item: (item[1], item[0]), reverse=True)
        tokens = [token for token, _ in ordered]
        if self.max_tokens:
            tokens = tokens[:max(self.max_tokens - self._token_start_index(), 0)]
        weights = None
        if self.output_mode == "tf_idf":
            frequency = numpy.array([document_counts[t] for t in tokens], dtype="float64")
            weights = numpy.log(1 + documents / (1 + frequency)).astype(backend.floatx())
            fill = weights.mean() if len(weights) else numpy.float32("nan")
            weights = numpy.concatenate([numpy.full(self._token_start_index(), fill, dtype=weights.dtype), weights])
            if self.pad_to_max_tokens and self.max_tokens is not None:
                weights = numpy.pad(weights, (0, self.max_tokens - len(weights)))
        self._install(tokens, weights)

    def _check_values(self, array, what):
        raise NotImplementedError

    # --------------------------------------------------------------- call
    def _lookup(self, values):
        """Indices (int64) of ``values`` (a numpy array of tokens)."""
        kind = f"{type(self).__name__} '{self.name}'"
        if values.size == 0:
            return numpy.zeros(values.shape, dtype="int64")
        unique, inverse = numpy.unique(values.reshape(-1), return_inverse=True)
        tokens = [self._token_value(v) for v in unique.tolist()]
        default = -1 if self.num_oov_indices != 1 else self._oov_start_index()
        found = numpy.array([self._index.get(t, default) for t in tokens], dtype="int64")
        if self.mask_token is not None:
            mask_value = 0 if self.output_mode == "int" else _INT64_MAX
            found = numpy.where(numpy.array([t == self.mask_token for t in tokens]), mask_value, found)
        if self.num_oov_indices == 0 and (found == -1).any():
            missing = [t for t, f in zip(tokens, found) if f == -1][:10]
            raise ValueError(f"{kind}: with num_oov_indices=0 all inputs must be in the vocabulary; found "
                             f"out-of-vocabulary values {missing}. Consider num_oov_indices=1")
        if self.num_oov_indices > 1:
            oov = found == -1
            if oov.any():
                found = found.copy()
                found[oov] = self._oov_bins(numpy.asarray([t for t, o in zip(tokens, oov) if o], dtype=object))
        return found[inverse].reshape(values.shape)

    def _oov_bins(self, tokens):
        if self.vocabulary_dtype != "string" and self.oov_method != "farmhash":
            bins = numpy.mod(tokens.astype("int64"), self.num_oov_indices)
        else:
            bins = hash_buckets(tokens, self.num_oov_indices, salt=self.salt,
                                encoding=getattr(self, "encoding", "utf-8"))
        return bins + self._oov_start_index()

    def _invert(self, values):
        indices = numpy.asarray(values).astype("int64")
        table = self.get_vocabulary()
        lookup = {i: t for i, t in enumerate(table) if i >= self._token_start_index()}
        if self.mask_token is not None:
            lookup[0] = self.mask_token
        unique, inverse = numpy.unique(indices.reshape(-1), return_inverse=True)
        mapped = [lookup.get(int(i), self.oov_token) for i in unique.tolist()]
        dtype = object if self.vocabulary_dtype == "string" else "int64"
        result = numpy.empty(len(mapped), dtype=dtype)
        result[:] = mapped
        return result[inverse].reshape(indices.shape)

    def _depth(self):
        return self.max_tokens if self.pad_to_max_tokens else self._frozen_vocab_size

    def _forward(self, values):
        values = numpy.asarray(values)
        scalar = values.ndim == 0
        if scalar:
            values = values.reshape(1)
        if self.invert:
            result = self._invert(values)
            return result.reshape(()) if scalar else result
        values = self._check_values(values, "the inputs")
        indices = self._lookup(values)
        if self.output_mode == "int":
            return indices.reshape(()) if scalar else indices
        depth = self._depth()
        if self.output_mode == "tf_idf":
            counts = encode_categorical(indices, "count", depth, dtype="int64")
            weights = self.idf_weights
            if weights is None:
                raise ValueError(f"{type(self).__name__} '{self.name}': output_mode 'tf_idf' needs `idf_weights`")
            return (counts.astype(backend.floatx()) * weights).astype(backend.floatx())
        return encode_categorical(indices, self.output_mode, depth, dtype="int64")

    def _output_dtype(self):
        if self.invert:
            return object if self.vocabulary_dtype == "string" else "int64"
        return backend.floatx() if self.output_mode == "tf_idf" else "int64"

    def call(self, inputs):
        if self.output_mode != "int" and not self.pad_to_max_tokens and self._frozen_vocab_size is None:
            raise RuntimeError(f"{type(self).__name__} '{self.name}': with output_mode='{self.output_mode}' and "
                               "pad_to_max_tokens=False, set the vocabulary (the `vocabulary` argument or adapt) "
                               "before calling the layer")
        self._size_used = True
        if isinstance(inputs, (Node, Tensor)):
            shape = self.compute_output_shape(tuple(inputs.shape))
            return host_call(self._forward, inputs, shape, self._output_dtype(), label=self.name)
        return self._forward(as_numpy(inputs))

    def compute_output_shape(self, input_shape):
        if self.output_mode == "int":
            return tuple(input_shape)
        return categorical_shape(input_shape, self.output_mode, self._depth())

    # ------------------------------------------------------------ config
    def get_config(self):
        config = super().get_config()
        config.update({
            "invert": self.invert, "max_tokens": self.max_tokens, "num_oov_indices": self.num_oov_indices,
            "oov_token": self.oov_token, "mask_token": self.mask_token, "output_mode": self.output_mode,
            "sparse": self.sparse, "pad_to_max_tokens": self.pad_to_max_tokens,
            "vocabulary_dtype": self.vocabulary_dtype,
            "idf_weights": _listify(self.input_idf_weights), "vocabulary": _listify(self.input_vocabulary),
            "vocabulary_size": self._frozen_vocab_size, "oov_method": self.oov_method, "salt": self.salt,
        })
        return config

    def get_build_config(self):
        return {}

    def build_from_config(self, config):
        self.built = True

    # ------------------------------------------------------------ saving
    def save_own_variables(self, store) -> None:
        """Keras 3's entry: ``idf_weights`` (tf_idf only)."""
        if self.output_mode == "tf_idf" and self.idf_weights is not None:
            store["idf_weights"] = numpy.asarray(self.idf_weights)

    def load_own_variables(self, store) -> None:
        if self.output_mode == "tf_idf":
            if "idf_weights" not in store:
                raise ValueError(f"{type(self).__name__} '{self.name}': the saved state has no 'idf_weights'")
            self.idf_weights = numpy.asarray(store["idf_weights"], dtype=backend.floatx())

    def save_assets(self, dir_path: str) -> None:
        """Write ``vocabulary.txt`` (special tokens included) unless the config holds the vocabulary."""
        if self.input_vocabulary is not None:
            return
        with open(os.path.join(dir_path, "vocabulary.txt"), "w", encoding="utf-8") as handle:
            handle.write("\n".join(str(token) for token in self.get_vocabulary(include_special_tokens=True)))

    def load_assets(self, dir_path: str) -> None:
        if self.input_vocabulary is not None:
            return
        path = os.path.join(dir_path, "vocabulary.txt")
        if not os.path.isfile(path):
            raise ValueError(f"{type(self).__name__} '{self.name}': the saved vocabulary (vocabulary.txt) is missing")
        with open(path, encoding="utf-8") as handle:
            lines = handle.read().splitlines()
        while lines and lines[-1] == "":
            lines.pop()
        if self.output_mode == "tf_idf":
            self.set_vocabulary(lines, idf_weights=self.idf_weights)
        else:
            self.set_vocabulary(lines)


def _repeated(tokens):
    counts = collections.Counter(tokens)
    return [token for token, count in counts.items() if count > 1]


def _listify(value):
    if isinstance(value, Tensor):
        value = value.data
    if isinstance(value, numpy.ndarray):
        return value.tolist()
    return value


def _take(data, steps):
    for index, batch in enumerate(data):
        if index >= steps:
            break
        yield batch

