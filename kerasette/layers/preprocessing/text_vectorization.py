"""TextVectorization: strings to token indices or encodings, as Keras 3 does it.

Each string is standardized (``"lower_and_strip_punctuation"``, ``"lower"``,
``"strip_punctuation"``, None or a callable), split into tokens
(``"whitespace"``, ``"character"``, None or a callable), optionally joined
into n-grams, then looked up in a vocabulary by a ``StringLookup`` held as
``_lookup_layer`` (mask token ``""``), which is also where the vocabulary is
saved (see ``index_lookup``).  TensorFlow's text ops are mirrored exactly:
lowercasing and the punctuation removed are ASCII only, whitespace is
``" \\t\\n\\r\\f\\v"``, characters are Unicode code points, n-grams of all
widths of a row are listed width by width.

Callables get what Keras 3 hands them on its numpy-based backends: the
standardize callable a numpy array of ``str``, the split callable a 1-d
numpy array of ``str`` (one per input row); split returns one list of
tokens per row.
"""
from __future__ import annotations

import re

import numpy

from ...eager import Tensor
from ...engine import Node
from ..layer import Layer
from .data import ListInputs, as_numpy, host_call
from .string_lookup import StringLookup

__all__ = ["TextVectorization"]

_PUNCTUATION = re.compile(r'[!"#$%&()\*\+,-\./:;<=>?@\[\\\]^_`{|}~\']')
_WHITESPACE = re.compile(r"[ \t\n\r\f\v]+")
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_STANDARDIZE = ("lower_and_strip_punctuation", "lower", "strip_punctuation")
_SPLIT = ("whitespace", "character")


def _text_array(values, encoding):
    """``values`` as a numpy array of Python ``str`` (object dtype), bytes decoded."""
    array = as_numpy(values)
    if array.dtype.kind not in "OUS":
        raise TypeError(f"TextVectorization takes strings, got dtype {array.dtype}")
    flat = [v.decode(encoding) if isinstance(v, bytes) else str(v) for v in array.reshape(-1).tolist()]
    result = numpy.empty(len(flat), dtype=object)
    result[:] = flat
    return result.reshape(array.shape)


class TextVectorization(ListInputs, Layer):
    """Turns strings into sequences of token indices (or multi-hot, count, tf-idf vectors).

    >>> layer = TextVectorization(max_tokens=10, output_sequence_length=4)
    >>> layer.adapt(["the cat sat", "the dog ran"])
    >>> layer(numpy.array(["The cat ran!"]))
    array([[2, 6, 4, 0]])
    """

    def __init__(self, max_tokens=None, standardize="lower_and_strip_punctuation", split="whitespace",
                 ngrams=None, output_mode="int", output_sequence_length=None, pad_to_max_tokens=False,
                 vocabulary=None, idf_weights=None, sparse=False, ragged=False, encoding="utf-8", name=None,
                 vocabulary_size=None, has_input_vocabulary=None, **kwargs):
        if sparse:
            raise ValueError("TextVectorization: sparse=True needs sparse tensors, which kerasette does not have; "
                             "use sparse=False")
        if ragged:
            raise ValueError("TextVectorization: ragged=True needs ragged tensors, which kerasette does not have; "
                             "use ragged=False (rows are padded with 0)")
        if not (standardize is None or callable(standardize) or standardize in _STANDARDIZE):
            raise ValueError(f"TextVectorization: `standardize` must be one of {_STANDARDIZE}, None or a callable. "
                             f"Received: standardize={standardize!r}")
        if not (split is None or callable(split) or split in _SPLIT):
            raise ValueError(f"TextVectorization: `split` must be one of {_SPLIT}, None or a callable. "
                             f"Received: split={split!r}")
        output_mode = {"binary": "multi_hot", "tf-idf": "tf_idf"}.get(output_mode, output_mode)
        if output_mode not in ("int", "one_hot", "multi_hot", "count", "tf_idf"):
            raise ValueError("TextVectorization: `output_mode` must be one of 'int', 'one_hot', 'multi_hot', "
                             f"'count', 'tf_idf'. Received: output_mode={output_mode!r}")
        if isinstance(ngrams, list):
            ngrams = tuple(ngrams)
        if not (ngrams is None or isinstance(ngrams, int) or (
                isinstance(ngrams, tuple) and all(isinstance(item, int) for item in ngrams))):
            raise ValueError(f"TextVectorization: `ngrams` must be None, an integer, or a tuple of integers. "
                             f"Received: ngrams={ngrams!r}")
        if output_mode == "int" and not (output_sequence_length is None or isinstance(output_sequence_length, int)):
            raise ValueError("TextVectorization: `output_sequence_length` must be None or an integer when "
                             f"`output_mode` is 'int'. Received: output_sequence_length={output_sequence_length!r}")
        if output_mode != "int" and output_sequence_length is not None:
            raise ValueError("TextVectorization: `output_sequence_length` must not be set if `output_mode` is not "
                             f"'int'. Received: output_sequence_length={output_sequence_length}")
        if has_input_vocabulary is None:
            has_input_vocabulary = vocabulary is not None
        super().__init__(name=name, **kwargs)
        self._max_tokens = max_tokens
        self._standardize = standardize
        self._split = split
        self._ngrams_arg = ngrams
        self._ngrams = tuple(range(1, ngrams + 1)) if isinstance(ngrams, int) else ngrams
        self._ragged = False
        self._output_mode = output_mode
        self._output_sequence_length = output_sequence_length
        self._encoding = encoding
        self._has_input_vocabulary = has_input_vocabulary
        self._lookup_layer = StringLookup(
            max_tokens=max_tokens, vocabulary=vocabulary, idf_weights=idf_weights,
            pad_to_max_tokens=pad_to_max_tokens, mask_token="", output_mode=output_mode,
            has_input_vocabulary=has_input_vocabulary, encoding=encoding, vocabulary_size=vocabulary_size)
        self.built = True

    # ------------------------------------------------------------ text
    def _standardized(self, texts):
        if self._standardize in ("lower", "lower_and_strip_punctuation"):
            texts = numpy.vectorize(lambda s: s.translate(_ASCII_LOWER), otypes=[object])(texts)
        if self._standardize in ("strip_punctuation", "lower_and_strip_punctuation"):
            texts = numpy.vectorize(lambda s: _PUNCTUATION.sub("", s), otypes=[object])(texts)
        if callable(self._standardize):
            result = self._standardize(texts.astype(str) if texts.size else texts)
            texts = _text_array(result, self._encoding)
        return texts

    def _tokens(self, texts):
        """Rows of tokens (a list of lists), or the array itself when ``split`` is None."""
        if self._split is None:
            rows = texts
        else:
            if texts.ndim > 1:
                if texts.shape[-1] != 1:
                    raise ValueError("When using TextVectorization to tokenize strings, the input rank must be 1 "
                                     f"or the last axis must have size 1. Received: inputs.shape={texts.shape}")
                texts = texts.reshape(texts.shape[:-1])
            if texts.ndim != 1:
                raise ValueError(f"TextVectorization '{self.name}' splits a batch of strings of shape (batch,) "
                                 f"or (batch, 1), got shape {texts.shape + (1,)}")
            if self._split == "whitespace":
                rows = [[token for token in _WHITESPACE.split(text) if token] for text in texts.tolist()]
            elif self._split == "character":
                rows = [list(text) for text in texts.tolist()]
            else:
                result = self._split(texts.astype(str) if texts.size else texts)
                rows = [[v.decode(self._encoding) if isinstance(v, bytes) else str(v) for v in as_numpy(row).tolist()]
                        if not isinstance(row, (list, tuple)) else [str(v) for v in row] for row in result]
        if self._ngrams is not None:
            if self._split is None:
                rows = [[text] for text in numpy.asarray(rows).reshape(-1).tolist()] if numpy.asarray(
                    rows).ndim <= 1 else [list(row) for row in numpy.asarray(rows).tolist()]
            rows = [_ngrams(row, self._ngrams) for row in rows]
        return rows

    def _preprocess(self, inputs):
        texts = _text_array(inputs, self._encoding)
        return self._tokens(self._standardized(texts))

    # ------------------------------------------------------------ adapt
    def adapt(self, data, batch_size=None, steps=None) -> None:
        """Learn the vocabulary of ``data`` (strings: an array, a list, or an iterable of batches)."""
        where = f"TextVectorization '{self.name}': adapt(data)"
        if data is None:
            raise ValueError(f"{where} needs data, got None")
        if isinstance(data, (list, tuple, numpy.ndarray, Tensor)) or isinstance(data, str):
            array = as_numpy(data)
            if array.ndim == 1:
                array = array[:, None]
            batches = [array]
        else:
            batches = []
            for index, batch in enumerate(data):
                if steps is not None and index >= steps:
                    break
                batches.append(as_numpy(batch[0] if isinstance(batch, tuple) else batch))
            if not batches:
                raise ValueError(f"{where} received an empty iterable (no batches)")
        if sum(b.size for b in batches) == 0:
            raise ValueError(f"{where} received no strings (shape {batches[0].shape}): adapt needs at least one")
        for batch in batches:
            if batch.dtype.kind not in "OUS":
                raise TypeError(f"{where} must be strings, got dtype {batch.dtype}")
        token_batches = [_pad_rows(self._preprocess(batch), "") for batch in batches]
        if self._lookup_layer._has_input_vocabulary:
            raise ValueError(f"Cannot adapt layer '{self.name}' after setting a static vocabulary via the "
                             "`vocabulary` argument")
        self._lookup_layer._adapt_tokens(token_batches)

    # ---------------------------------------------------------- vocabulary
    def get_vocabulary(self, include_special_tokens: bool = True) -> list:
        """The vocabulary in index order (with the padding and OOV tokens unless told not to)."""
        return self._lookup_layer.get_vocabulary(include_special_tokens)

    def vocabulary_size(self) -> int:
        return self._lookup_layer.vocabulary_size()

    def set_vocabulary(self, vocabulary, idf_weights=None) -> None:
        """Set the vocabulary (a list, an array or a file path) and, for ``tf_idf``, the idf weights."""
        self._lookup_layer.set_vocabulary(vocabulary, idf_weights=idf_weights)

    # --------------------------------------------------------------- call
    def _forward(self, inputs):
        rows = self._preprocess(inputs)
        lookup = self._lookup_layer
        if isinstance(rows, numpy.ndarray):       # split=None: the strings themselves are the tokens
            result = lookup._forward(rows)
            if self._output_mode == "int" and self._output_sequence_length is not None:
                result = _fit_length(result, self._output_sequence_length)
            return result
        if self._output_mode == "int":
            indices = [lookup._forward(numpy.asarray(row, dtype=object)) if row else numpy.zeros(0, "int64")
                       for row in rows]
            width = self._output_sequence_length
            if width is None:
                width = max((len(row) for row in indices), default=0)
            result = numpy.zeros((len(indices), width), dtype="int64")
            for i, row in enumerate(indices):
                row = row[:width]
                result[i, :len(row)] = row
            return result
        padded = _pad_rows(rows, "")
        # padding is the mask token "": it counts nowhere in these modes
        return lookup._forward(padded)

    def call(self, inputs):
        lookup = self._lookup_layer
        if self._output_mode != "int" and not lookup.pad_to_max_tokens and lookup._frozen_vocab_size is None:
            raise RuntimeError(f"TextVectorization '{self.name}': with output_mode='{self._output_mode}' and "
                               "pad_to_max_tokens=False, set the vocabulary (the `vocabulary` argument or adapt) "
                               "before calling the layer")
        lookup._size_used = True
        if not isinstance(inputs, Node) and not numpy.ndim(as_numpy(inputs)):
            return self._call_one_string(inputs)
        if isinstance(inputs, (Node, Tensor)):
            shape = tuple(inputs.shape)
            if self._split is not None and len(shape) > 1 and shape[-1] == 1:
                shape = shape[:-1]      # the strings are split along a new last axis (Keras squeezes it)
            shape = self.compute_output_shape(shape)
            dtype = "float32" if self._output_mode == "tf_idf" else "int64"
            return host_call(self._forward, inputs, shape, dtype, label=self.name)
        return self._forward(as_numpy(inputs))

    def _call_one_string(self, inputs):
        # a single string (rank 0) is read as a batch of one, without the batch axis, as Keras does:
        # its token ids (int), or one vector over the vocabulary (the other modes)
        if self._output_mode != "int":
            shape = self.compute_output_shape((None,))[1:]
        else:
            shape = () if self._split is None else (self._output_sequence_length,)
        dtype = "float32" if self._output_mode == "tf_idf" else "int64"
        # unsplit strings are the tokens: a (1, 1) batch keeps the vocabulary axis in the count modes
        batch = (1, 1) if self._split is None and self._output_mode != "int" else (1,)
        return host_call(lambda text: self._forward(numpy.reshape(text, batch))[0], inputs, shape, dtype,
                         label=self.name)

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        if self._output_mode == "int":
            return (input_shape[0], self._output_sequence_length)
        if self._split is None:
            if len(input_shape) <= 1:
                input_shape = input_shape + (1,)
        else:
            input_shape = input_shape + (None,)
        return self._lookup_layer.compute_output_shape(input_shape)

    # ------------------------------------------------------------ config
    def get_config(self):
        config = super().get_config()
        config.update({
            "max_tokens": self._lookup_layer.max_tokens, "standardize": _function_record(self._standardize),
            "split": _function_record(self._split),
            "ngrams": self._ngrams_arg, "output_mode": self._output_mode,
            "output_sequence_length": self._output_sequence_length,
            "pad_to_max_tokens": self._lookup_layer.pad_to_max_tokens, "sparse": False, "ragged": False,
            "vocabulary": _listify(self._lookup_layer.input_vocabulary),
            "idf_weights": _listify(self._lookup_layer.input_idf_weights),
            "encoding": self._encoding, "vocabulary_size": self.vocabulary_size(),
        })
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for key in ("standardize", "split"):
            config[key] = _function_from_record(config.get(key), key)
        if isinstance(config.get("ngrams"), list):
            config["ngrams"] = tuple(config["ngrams"])
        return cls(**config)

    def get_build_config(self):
        shapes = getattr(self, "_build_shapes", None)
        return {"input_shape": list(shapes)} if shapes is not None else None

    def build_from_config(self, config):
        if config and config.get("input_shape") is not None:
            self._build_shapes = tuple(config["input_shape"])
        self.built = True

    # ------------------------------------------------------------ saving
    def save_own_variables(self, store) -> None:
        self._lookup_layer.save_own_variables(store)

    def load_own_variables(self, store) -> None:
        self._lookup_layer.load_own_variables(store)

    def save_assets(self, dir_path: str) -> None:
        self._lookup_layer.save_assets(dir_path)

    def load_assets(self, dir_path: str) -> None:
        self._lookup_layer.load_assets(dir_path)


def _function_record(value):
    """A standardize/split callable as Keras 3 records a function (its registered name, if any)."""
    if not callable(value):
        return value
    from ..serialization import registered_name_of
    name = getattr(value, "__name__", None)
    if not name or name == "<lambda>":
        return value        # as Keras 3 (its get_config hands the callable on); files cannot hold it
    return {"module": "builtins", "class_name": "function", "config": registered_name_of(value) or name,
            "registered_name": "function"}


def _function_from_record(value, argument):
    if not isinstance(value, dict):
        return value
    if value.get("class_name") != "function":
        raise ValueError(f"TextVectorization: `{argument}` must be a name, None or a function record, got {value!r}")
    from ...serialization.functions import resolve_function
    name = value.get("config") if value.get("registered_name") in (None, "function") else value["registered_name"]
    return resolve_function(name, value.get("module"), where="TextVectorization", what=f"`{argument}` function")


def _ngrams(tokens, widths):
    result = []
    for width in widths:
        result += [" ".join(tokens[i:i + width]) for i in range(len(tokens) - width + 1)]
    return result


def _pad_rows(rows, fill):
    """Rows of tokens as a 2-d object array padded with ``fill`` (an array stays as it is)."""
    if isinstance(rows, numpy.ndarray):
        return rows
    width = max((len(row) for row in rows), default=0)
    result = numpy.full((len(rows), width), fill, dtype=object)
    for i, row in enumerate(rows):
        result[i, :len(row)] = row
    return result


def _fit_length(array, length):
    array = array[..., :length]
    if array.shape[-1] < length:
        pad = [(0, 0)] * (array.ndim - 1) + [(0, length - array.shape[-1])]
        array = numpy.pad(array, pad)
    return array


def _listify(value):
    if isinstance(value, numpy.ndarray):
        return value.tolist()
    return value
