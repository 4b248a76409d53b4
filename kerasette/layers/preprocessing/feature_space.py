"""FeatureSpace: Keras 3's ``keras.utils.FeatureSpace``, structured data to model inputs in one object.

A FeatureSpace is told what each column of a table is (a plain float, a
float to rescale, normalize or bucket, an integer or string category, an
integer or string to hash, or any preprocessing layer of one's own) and
which columns to cross.  ``adapt(data)`` teaches its layers the data
(means, quantiles, vocabularies); then it encodes a dict of columns, either
eagerly (``feature_space(columns)``) or as part of a functional model
(``get_inputs()`` and ``get_encoded_features()``).

It is built from the preprocessing layers of this package: ``Identity``,
``Rescaling``, ``Normalization``, ``Discretization``, ``IntegerLookup``,
``StringLookup``, ``Hashing`` for the features, ``HashedCrossing`` for the
crosses, ``CategoryEncoding`` (multi-hot) for the features and crosses
encoded as ``"one_hot"``, and ``Concatenate`` for ``output_mode="concat"``.
Encoded features come in the order Keras gives them: the features by sorted
name, then the crosses by sorted name.

Where it differs from Keras 3.15: Keras reads data through ``tf.data``, and
kerasette has no ``Dataset.from_tensor_slices``; here ``adapt`` takes a dict of arrays or lists (any object with ``keys()`` and ``[name]``), or an
iterable of dict batches (a list, a generator, a ``PyDataset``; a batch may be
``(x, y)``, whose ``x`` is read), and a call takes a dict of arrays, lists or
scalars; columns beyond the features are ignored (Keras raises a KeyError).
``float_discretized(bin_boundaries=...)`` works (Keras 3.15 passes both
``num_bins`` and ``bin_boundaries`` to Discretization, which refuses them).
A dict of arrays is adapted on in batches of 32 rows, as Keras batches the
rows of ``from_tensor_slices`` (Discretization's quantiles depend on it).
A ``.keras`` file written by ``FeatureSpace.save`` has a build config of
kerasette's own form (the preprocessors' build configs under
``"preprocessors"``), so that kerasette's loader builds the FeatureSpace
before its weights and vocabularies load.
"""
from __future__ import annotations

from collections.abc import Mapping

import numpy

from ... import backend
from ...engine import Node
from ...serialization.registry import EXTRA_LOOKUPS
from ..identity import Identity
from ..input_layer import Input
from ..layer import Layer
from ..merging import Concatenate
from ..serialization import deserialize_layer, serialize_layer
from .category_encoding import CategoryEncoding
from .data import as_numpy
from .discretization import Discretization
from .hashed_crossing import HashedCrossing
from .hashing import Hashing
from .integer_lookup import IntegerLookup
from .normalization import Normalization
from .rescaling import Rescaling
from .string_lookup import StringLookup
from .text_vectorization import TextVectorization

__all__ = ["FeatureSpace", "Feature", "Cross"]

_MODULE = "keras.src.layers.preprocessing.feature_space"
_KINDS = ("float", "float_rescaled", "float_normalized", "float_discretized", "integer_categorical",
          "string_categorical", "integer_hashed", "string_hashed")
# the batch size Keras' adapt gives a dataset of single rows
_ADAPT_BATCH = 32


def _unique_name(base):
    return backend.unique_object_name(base)


def _record(class_name, config):
    """An object's entry in Keras 3's form (what ``keras.saving.serialize_keras_object`` writes)."""
    return {"module": _MODULE, "class_name": class_name, "config": config, "registered_name": class_name}


class Cross:
    """Which features to cross (``FeatureSpace.cross``) into ``crossing_dim`` hashed bins."""

    def __init__(self, feature_names, crossing_dim, output_mode="one_hot"):
        if output_mode not in ("int", "one_hot"):
            raise ValueError("FeatureSpace.cross: `output_mode` must be 'int' or 'one_hot'. "
                             f"Received: output_mode={output_mode!r}")
        if isinstance(feature_names, str) or len(feature_names) < 2:
            raise ValueError("FeatureSpace.cross: `feature_names` must name at least two features. "
                             f"Received: feature_names={feature_names!r}")
        self.feature_names = tuple(feature_names)
        self.crossing_dim = crossing_dim
        self.output_mode = output_mode

    @property
    def name(self) -> str:
        return "_X_".join(self.feature_names)

    def get_config(self):
        return {"feature_names": self.feature_names, "crossing_dim": self.crossing_dim,
                "output_mode": self.output_mode}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<Cross {self.name} crossing_dim={self.crossing_dim} output_mode={self.output_mode!r}>"


class Feature:
    """One feature: the dtype of its column, its preprocessing layer and how it is encoded after it
    (``"float"``: as it is, ``"int"``: the layer's integer ids, ``"one_hot"``: those ids multi-hot)."""

    def __init__(self, dtype, preprocessor, output_mode):
        if output_mode not in ("int", "one_hot", "float"):
            raise ValueError("FeatureSpace.feature: `output_mode` must be 'int', 'one_hot' or 'float'. "
                             f"Received: output_mode={output_mode!r}")
        if isinstance(preprocessor, dict):
            preprocessor = deserialize_layer(preprocessor, _KERAS_PRIVATE_LAYERS)
        if not isinstance(preprocessor, Layer):
            raise TypeError("FeatureSpace.feature: `preprocessor` must be a layer. "
                            f"Received: preprocessor={preprocessor!r} (of type {type(preprocessor).__name__})")
        self.dtype = dtype
        self.preprocessor = preprocessor
        self.output_mode = output_mode

    def get_config(self):
        return {"dtype": self.dtype, "preprocessor": serialize_layer(self.preprocessor),
                "output_mode": self.output_mode}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return (f"<Feature dtype={self.dtype!r} preprocessor={type(self.preprocessor).__name__} "
                f"output_mode={self.output_mode!r}>")


def _preprocessed(kind, name, dtype, output_mode, layer_class, /, **layer_arguments):
    """The ``Feature`` a ``FeatureSpace.<kind>(...)`` helper returns: a ``layer_class`` layer named
    ``<name>_preprocessor``, ``name`` by default a fresh one made from ``kind``; ``dtype`` is the
    column's (positional only: ``layer_arguments`` may hold the layer's own ``dtype``)."""
    name = name or _unique_name(kind)
    return Feature(dtype, layer_class(name=f"{name}_preprocessor", **layer_arguments), output_mode)


def _from_record(value, kind, where):
    """A ``Feature`` or ``Cross`` from its Keras 3 entry (``{"class_name": ..., "config": ...}``)."""
    if not isinstance(value, dict) or value.get("class_name") != kind.__name__ or \
            not isinstance(value.get("config"), dict):
        raise ValueError(f"FeatureSpace: {where} must be a {kind.__name__} or its serialized form "
                         f"{{'class_name': '{kind.__name__}', 'config': {{...}}}}. Received: {str(value)[:200]}")
    return kind.from_config(value["config"])


class FeatureSpace(Layer):
    """Preprocesses and encodes structured data: a dict of columns in, model-ready features out.

    ``features`` maps each column name to its kind: a name (``"float"``,
    ``"float_rescaled"``, ``"float_normalized"``, ``"float_discretized"``,
    ``"integer_categorical"``, ``"string_categorical"``, ``"integer_hashed"``,
    ``"string_hashed"``, with this FeatureSpace's defaults) or what a
    ``FeatureSpace.<kind>(...)`` helper or ``FeatureSpace.feature(...)``
    returns.  ``crosses`` lists feature-name tuples (hashed into
    ``crossing_dim`` bins) or ``FeatureSpace.cross(...)``.  ``output_mode``:
    ``"concat"`` (one float vector per row) or ``"dict"`` (each encoded feature
    and cross by name).

    >>> fs = FeatureSpace({"x": "float_normalized", "c": "string_categorical"}, output_mode="concat")
    >>> fs.adapt({"x": numpy.array([0.0, 2.0]), "c": numpy.array(["a", "b"])})
    >>> fs({"x": numpy.array([0.0, 2.0]), "c": numpy.array(["b", "z"])})   # c one-hot ([UNK], b, a), then x
    array([[ 0.,  1.,  0., -1.],
           [ 1.,  0.,  0.,  1.]], dtype=float32)

    In a model::

        inputs = fs.get_inputs()                       # {name: Input}
        outputs = Dense(1)(fs.get_encoded_features())  # the encoded inputs
        model = kerasette.Model(inputs, outputs)
    """

    # ---------------------------------------------------------------- kinds
    @classmethod
    def cross(cls, feature_names, crossing_dim, output_mode="one_hot"):
        return Cross(feature_names, crossing_dim, output_mode=output_mode)

    @classmethod
    def feature(cls, dtype, preprocessor, output_mode):
        return Feature(dtype, preprocessor, output_mode)

    @classmethod
    def float(cls, name=None):
        return _preprocessed("float", name, "float32", "float", Identity, dtype="float32")

    @classmethod
    def float_rescaled(cls, scale=1.0, offset=0.0, name=None):
        return _preprocessed("float_rescaled", name, "float32", "float", Rescaling, scale=scale, offset=offset)

    @classmethod
    def float_normalized(cls, name=None):
        return _preprocessed("float_normalized", name, "float32", "float", Normalization, axis=-1)

    @classmethod
    def float_discretized(cls, num_bins=None, bin_boundaries=None, output_mode="one_hot", name=None):
        name = name or _unique_name("float_discretized")
        if bin_boundaries is not None:
            num_bins = None        # the boundaries fix the bins (Keras 3.15 would refuse both)
        elif num_bins is None:
            raise ValueError("FeatureSpace.float_discretized: pass `num_bins` (bins learned by adapt) or "
                             "`bin_boundaries`")
        return _preprocessed("float_discretized", name, "float32", output_mode, Discretization,
                             num_bins=num_bins, bin_boundaries=bin_boundaries)

    @classmethod
    def integer_categorical(cls, max_tokens=None, num_oov_indices=1, output_mode="one_hot", name=None):
        return _preprocessed("integer_categorical", name, "int32", output_mode, IntegerLookup,
                             max_tokens=max_tokens, num_oov_indices=num_oov_indices)

    @classmethod
    def string_categorical(cls, max_tokens=None, num_oov_indices=1, output_mode="one_hot", name=None):
        return _preprocessed("string_categorical", name, "string", output_mode, StringLookup,
                             max_tokens=max_tokens, num_oov_indices=num_oov_indices)

    @classmethod
    def string_hashed(cls, num_bins, output_mode="one_hot", name=None):
        return _preprocessed("string_hashed", name, "string", output_mode, Hashing, num_bins=num_bins)

    @classmethod
    def integer_hashed(cls, num_bins, output_mode="one_hot", name=None):
        return _preprocessed("integer_hashed", name, "int32", output_mode, Hashing, num_bins=num_bins)

    # ----------------------------------------------------------------- setup
    def __init__(self, features, output_mode="concat", crosses=None, crossing_dim=32, hashing_dim=32,
                 num_discretization_bins=32, name=None, **kwargs):
        kwargs.pop("trainable", None)
        kwargs.pop("dtype", None)
        super().__init__(name=name, **kwargs)
        if not features or not isinstance(features, Mapping):
            raise ValueError("FeatureSpace: `features` must be a non-empty dict of feature name -> feature "
                             f"type. Received: features={features!r}")
        if output_mode not in ("dict", "concat"):
            raise ValueError("FeatureSpace: `output_mode` must be 'dict' or 'concat'. "
                             f"Received: output_mode={output_mode!r}")
        self.crossing_dim = crossing_dim
        self.hashing_dim = hashing_dim
        self.num_discretization_bins = num_discretization_bins
        self.output_mode = output_mode
        self.features = {name: self._standardize_feature(name, value) for name, value in features.items()}
        self.crosses = [self._standardize_cross(cross) for cross in (crosses or [])]
        self.crosses_by_name = {cross.name: cross for cross in self.crosses}
        clash = sorted(set(self.crosses_by_name) & set(self.features))
        if clash:
            raise ValueError(f"FeatureSpace: the cross {clash[0]!r} has the name of a feature; rename the feature")
        self.inputs = {name: Input(shape=(1,), dtype=feature.dtype, name=name)
                       for name, feature in self.features.items()}
        self.preprocessors = {name: feature.preprocessor for name, feature in self.features.items()}
        self.crossers = {cross.name: HashedCrossing(cross.crossing_dim, name=cross.name)
                         for cross in self.crosses}
        self.one_hot_encoders = {}
        self.concat = None
        self.encoded_features = None
        self._is_adapted = False
        self._sublayers_built = False

    def _standardize_feature(self, name, feature):
        if isinstance(feature, Feature):
            return feature
        if isinstance(feature, dict):
            return _from_record(feature, Feature, f"feature {name!r}")
        if feature == "float_discretized":
            return self.float_discretized(num_bins=self.num_discretization_bins, name=name)
        if feature in ("integer_hashed", "string_hashed"):
            return getattr(self, feature)(self.hashing_dim, name=name)
        if isinstance(feature, str) and feature in _KINDS:
            return getattr(self, feature)(name=name)
        raise ValueError(f"FeatureSpace: feature {name!r} has an unknown type {feature!r}. Expected one of "
                         f"{list(_KINDS)}, or a FeatureSpace.<type>(...) / FeatureSpace.feature(...) object")

    def _standardize_cross(self, cross):
        if isinstance(cross, dict):
            cross = _from_record(cross, Cross, "a cross")
        if not isinstance(cross, Cross):
            if not self.crossing_dim:
                raise ValueError("FeatureSpace: with `crosses`, `crossing_dim` (the size of the crossing "
                                 f"space) must be set. Received: crossing_dim={self.crossing_dim!r}")
            cross = Cross(cross, crossing_dim=self.crossing_dim)
        unknown = [name for name in cross.feature_names if name not in self.features]
        if unknown:
            raise ValueError(f"FeatureSpace: the cross {cross.feature_names} names features that are not in "
                             f"`features`: {unknown}. Features: {list(self.features)}")
        return cross

    # ----------------------------------------------------------------- adapt
    def _list_adaptable_preprocessors(self) -> list:
        """The names of the features whose layer learns from data (those with preset state left out)."""
        names = []
        for name, layer in self.preprocessors.items():
            if isinstance(layer, Normalization) and layer.input_mean is not None:
                continue
            if isinstance(layer, TextVectorization) and layer._has_input_vocabulary:
                continue
            if isinstance(layer, (StringLookup, IntegerLookup)) and layer._has_input_vocabulary:
                continue
            if isinstance(layer, Discretization) and layer.num_bins is None:
                continue
            if callable(getattr(layer, "adapt", None)):
                names.append(name)
        return names

    def adapt(self, dataset):
        """Teach the features' layers ``dataset``: a dict of column arrays (or lists),
        or an iterable of dict batches (a batch may be ``(x, y)``: ``x`` is read)."""
        names = self._list_adaptable_preprocessors()
        if names:
            columns = _columns_for_adapt(dataset, names)
            for name in names:
                self.preprocessors[name].adapt(iter(columns[name]))   # an iterable of batches
        if self._sublayers_built:
            # adapted again: new vocabularies may have new sizes, so the encoders and the encoded
            # graph are made anew (models built on the previous ones keep theirs)
            self._reset_build()
        self._is_adapted = True
        self._finish_build()

    def _reset_build(self):
        self.one_hot_encoders = {}
        self.concat = None
        self.encoded_features = None
        self._sublayers_built = False

    def _check_if_adapted(self):
        if self._is_adapted:
            return
        names = self._list_adaptable_preprocessors()
        if names:
            kinds = [type(self.preprocessors[name]).__name__ for name in names]
            raise ValueError(f"FeatureSpace '{self.name}': call `.adapt(dataset)` before using it: the features "
                             f"{names} ({', '.join(kinds)}) learn their state from data")
        self._is_adapted = True

    # ---------------------------------------------------------------- graph
    def _finish_build(self):
        """Apply the layers to the symbolic inputs once (creating the encoders and the concat layer)."""
        if self._sublayers_built:
            return
        self._check_if_adapted()
        try:
            self.encoded_features = self._encode(dict(self.inputs), building=True)
        except Exception:
            self._reset_build()
            raise
        self._sublayers_built = True
        self.built = True

    def get_inputs(self) -> dict:
        """``{feature name: Input}``: the symbolic inputs of a model built on this FeatureSpace."""
        self._finish_build()
        return self.inputs

    def get_encoded_features(self):
        """The encoded features of ``get_inputs()``: one symbolic tensor (``"concat"``) or a dict."""
        self._finish_build()
        return self.encoded_features

    def _encode(self, columns, building=False):
        preprocessed = {name: self.preprocessors[name](columns[name]) for name in self.features}
        crossed = {cross.name: self.crossers[cross.name]([preprocessed[n] for n in cross.feature_names])
                   for cross in self.crosses}
        names = sorted(preprocessed) + sorted(crossed)
        values = {**preprocessed, **crossed}
        encoded = {}
        for name in names:
            value = values[name]
            if building:
                self._make_encoder(name, value)
            encoder = self.one_hot_encoders.get(name)
            encoded[name] = encoder(value) if encoder is not None else value
        if self.output_mode == "dict":
            return encoded
        if building:
            for name in names:
                kind = numpy.dtype(object if encoded[name].dtype == "string" else encoded[name].dtype).kind
                if kind not in "f":
                    raise ValueError(f"FeatureSpace: cannot concatenate the features because feature {name!r} "
                                     f"is not encoded (its output has dtype {numpy.dtype(encoded[name].dtype)}): "
                                     "give it output_mode='one_hot' or 'float', or use output_mode='dict'")
            self.concat = Concatenate(axis=-1, name=_unique_name("feature_space_concat"))
        return self.concat([encoded[name] for name in names])

    def _make_encoder(self, name, value):
        spec = self.features.get(name) or self.crosses_by_name[name]
        if spec.output_mode != "one_hot":
            return
        dtype = numpy.dtype(value.dtype) if value.dtype != "string" else numpy.dtype(object)
        if dtype.kind not in "iu":
            raise ValueError(f"FeatureSpace: feature {name!r} has output_mode='one_hot', so its preprocessor "
                             f"must return integer ids; it returns dtype {dtype}")
        layer = self.preprocessors.get(name) or self.crossers.get(name)
        if isinstance(layer, (IntegerLookup, StringLookup)):
            size = layer.vocabulary_size()
        elif isinstance(layer, CategoryEncoding):
            size = layer.num_tokens
        elif isinstance(layer, Discretization):
            size = layer.num_bins if layer.num_bins is not None else len(layer.bin_boundaries) + 1
        elif isinstance(layer, (Hashing, HashedCrossing)):
            size = layer.num_bins
        else:
            raise ValueError(f"FeatureSpace: feature {name!r} has output_mode='one_hot', but the size of the "
                             f"output space of its preprocessor ({type(layer).__name__}) is not known, so it "
                             "cannot be one-hot encoded; use output_mode='int'")
        self.one_hot_encoders[name] = CategoryEncoding(num_tokens=size, output_mode="multi_hot",
                                                       name=_unique_name(f"{name}_encoder"))

    # ------------------------------------------------------------------ call
    def __call__(self, data):
        """Encode ``data``, a dict of columns (arrays, lists, or one row of scalars): numpy arrays out
        (symbolic tensors for a dict of symbolic inputs)."""
        self._finish_build()
        if not isinstance(data, Mapping):
            raise ValueError(f"FeatureSpace '{self.name}' is called on a dict of columns. "
                             f"Received: data of type {type(data).__name__}")
        missing = [name for name in self.features if name not in data]
        if missing:
            raise ValueError(f"FeatureSpace '{self.name}': the data has no column for the features {missing} "
                             f"(it has {list(data)})")
        if any(isinstance(data[name], Node) for name in self.features):
            return self._encode({name: data[name] for name in self.features})
        columns, scalar = {}, []
        for name, feature in self.features.items():
            column = _column_array(data[name], feature.dtype)
            scalar.append(column.ndim == 0)
            if column.ndim == 0:
                column = column.reshape(1, 1)
            elif column.ndim == 1:
                column = column[:, None]
            columns[name] = column
        result = self._encode(columns)
        if all(scalar):
            # one row of scalars: one row out, without its batch axis
            if isinstance(result, dict):
                return {k: v[0] if v.ndim == 2 and v.shape[0] == 1 else v for k, v in result.items()}
            return result[0]
        return result

    # ---------------------------------------------------------------- config
    def get_config(self):
        return {"features": {name: _record("Feature", f.get_config()) for name, f in self.features.items()},
                "output_mode": self.output_mode,
                "crosses": [_record("Cross", c.get_config()) for c in self.crosses],
                "crossing_dim": self.crossing_dim, "hashing_dim": self.hashing_dim,
                "num_discretization_bins": self.num_discretization_bins, "name": self.name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def get_build_config(self):
        # each preprocessor's build config (Keras 3 writes only these, by feature name); the
        # "input_shape" entry makes the loader build the FeatureSpace before its weights load
        return {"input_shape": [None, 1],
                "preprocessors": {name: f.preprocessor.get_build_config() for name, f in self.features.items()}}

    def build_from_config(self, config):
        config = config or {}
        builds = config["preprocessors"] if isinstance(config.get("preprocessors"), dict) else config
        for name, build in builds.items():
            layer = self.preprocessors.get(name)
            if layer is not None and not layer.built and isinstance(build, dict):
                layer.build_from_config(build)
        # the learned state (weights, vocabularies) is loaded next: the encoders are made on first use
        self._is_adapted = True
        self.built = True

    @property
    def layers(self) -> list:
        """The layers this FeatureSpace holds (preprocessors, crossers, encoders, the concat layer)."""
        held = list(self.preprocessors.values()) + list(self.crossers.values()) + list(self.one_hot_encoders.values())
        return held + ([self.concat] if self.concat is not None else [])

    def save(self, filepath):
        """Write this FeatureSpace (its layers and their learned state) to a ``.keras`` file, which
        ``kerasette.models.load_model`` reads back."""
        if _SAVER[0] is None:
            raise RuntimeError("FeatureSpace.save needs kerasette.saving: import kerasette first")
        self._finish_build()
        _SAVER[0](self, filepath)

    # the saving walk finds a FeatureSpace's sublayers itself; it has no variables of its own
    def save_own_variables(self, store):
        return

    def load_own_variables(self, store):
        return


def _find_feature_space(name):
    return FeatureSpace if name == "FeatureSpace" else None


# a saved FeatureSpace is found by its class name when a file is loaded (it is not among
# kerasette.layers' names: Keras 3 offers it as keras.utils.FeatureSpace only)
if _find_feature_space not in EXTRA_LOOKUPS:
    EXTRA_LOOKUPS.append(_find_feature_space)

#: set by the package's public face (kerasette/__init__.py): the saving floor's ``save_model``
_SAVER: list = [None]


#: Keras' private layer names that its FeatureSpace configs hold
_KERAS_PRIVATE_LAYERS = {"TFDIdentity": Identity}


def _column_array(value, dtype):
    array = as_numpy(value)
    if dtype == "string":
        if array.dtype.kind in "US":
            array = array.astype(object)
    elif dtype.startswith("float") and array.dtype != numpy.dtype(dtype):
        if array.dtype.kind not in "biuf":
            raise TypeError(f"FeatureSpace: a float feature got values of dtype {array.dtype}")
        array = array.astype(dtype)
    return array


def _dict_like(value) -> bool:
    return isinstance(value, Mapping) or (hasattr(value, "keys") and hasattr(value, "__getitem__")
                                         and not isinstance(value, (list, tuple, numpy.ndarray)))


def _columns_for_adapt(dataset, names) -> dict:
    """``{feature name: [batch arrays of shape (n, ...)]}`` for the features ``names`` of ``dataset``."""
    if dataset is None or isinstance(dataset, (str, bytes, numpy.ndarray)):
        raise TypeError("FeatureSpace.adapt takes a dict of column arrays or an iterable of dict batches. "
                        f"Received: {type(dataset).__name__}")
    if _dict_like(dataset):
        batches = []
        columns = _pick(dataset, names, "the data")
        rows = {len(column) if column.ndim else 1 for column in columns.values()}
        if len(rows) > 1:
            raise ValueError(f"FeatureSpace.adapt: the columns have different lengths "
                             f"{ {n: len(c) for n, c in columns.items()} }")
        count = rows.pop()
        # Keras slices a dict into rows and adapts on batches of 32 (quantiles depend on it)
        for start in range(0, max(count, 1), _ADAPT_BATCH):
            batches.append({n: c[start:start + _ADAPT_BATCH] if c.ndim else c for n, c in columns.items()})
    elif hasattr(dataset, "__iter__") or hasattr(dataset, "__getitem__"):
        batches = []
        for index, batch in enumerate(dataset):
            if isinstance(batch, tuple) and batch and _dict_like(batch[0]):
                batch = batch[0]
            if not _dict_like(batch):
                raise TypeError(f"FeatureSpace.adapt: batch {index} of the dataset is a {type(batch).__name__}, "
                                "not a dict of columns (or an (x, y) tuple whose x is one)")
            batches.append(_pick(batch, names, f"batch {index} of the dataset"))
        if not batches:
            raise ValueError("FeatureSpace.adapt received an empty dataset (no batches)")
    else:
        raise TypeError("FeatureSpace.adapt takes a dict of column arrays or an iterable of dict batches. "
                        f"Received: {type(dataset).__name__}")
    result = {}
    for name in names:
        parts = [batch[name] for batch in batches]
        if all(part.ndim == 0 for part in parts):
            # single rows: batched as Keras batches them
            rows = numpy.stack(parts)
            parts = [rows[i:i + _ADAPT_BATCH] for i in range(0, len(rows), _ADAPT_BATCH)]
        result[name] = [part[:, None] if part.ndim == 1 else part for part in parts]
    return result


def _pick(batch, names, where) -> dict:
    missing = [name for name in names if name not in batch]
    if missing:
        keys = list(batch.keys())
        raise ValueError(f"FeatureSpace.adapt: {where} has no column for the features {missing} (it has {keys})")
    return {name: _plain_column(batch[name]) for name in names}


def _plain_column(value):
    array = as_numpy(value)
    if array.dtype.kind in "US":
        array = array.astype(object)
    return array
