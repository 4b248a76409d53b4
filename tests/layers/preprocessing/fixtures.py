"""Reads tests/fixtures/preprocessing/keras_preprocessing.npz (made by real Keras 3)."""
import json
import os

import numpy as np

HERE = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "preprocessing")
_cache = {}


def data():
    if "npz" not in _cache:
        with np.load(os.path.join(HERE, "keras_preprocessing.npz"), allow_pickle=False) as archive:
            _cache["npz"] = {key: archive[key] for key in archive.files}
    return _cache["npz"]


def cases(prefix=""):
    return sorted(key[:-5] for key in data() if key.endswith(".spec") and key.startswith(prefix))


def spec(name):
    return json.loads(str(data()[f"{name}.spec"]))


def path(name):
    return os.path.join(HERE, name)


def adapt_data(name):
    d = data()
    if f"{name}.adapt" in d:
        return d[f"{name}.adapt"]
    count = spec(name).get("batches")
    if count:
        return [d[f"{name}.adapt.{i}"] for i in range(count)]
    return None


def weights(name):
    d = data()
    result, i = [], 0
    while f"{name}.weights.{i}" in d:
        result.append(d[f"{name}.weights.{i}"])
        i += 1
    return result


def inputs(name):
    d = data()
    count = spec(name).get("inputs")
    if count:
        return tuple(d[f"{name}.x.{i}"] for i in range(count))
    return d[f"{name}.x"]


def run(name, layers):
    """Build, adapt and call the layer of case ``name`` with kerasette's ``layers``; (layer, output)."""
    s = spec(name)
    kwargs = dict(s["kwargs"])
    if isinstance(kwargs.get("ngrams"), list):
        kwargs["ngrams"] = tuple(kwargs["ngrams"])
    layer = getattr(layers, s["class"])(**kwargs)
    adapt = adapt_data(name)
    if adapt is not None:
        layer.adapt(iter(adapt) if s.get("generator") else adapt)
    call = {key: data()[f"{name}.call.{key}"] for key in s.get("call", [])}
    return layer, layer(inputs(name), **call)
