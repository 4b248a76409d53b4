"""Shared checks of the part-B application families against real Keras 3 (fixtures in
``tests/fixtures/applications_b/``, made by ``tests/fixtures/make_applications_b_fixtures.py``).

* :func:`check_structure`: a kerasette model built with the fixture's arguments has Keras'
  name, parameter counts, output shape and, layer by layer in order, Keras' names, classes,
  output shapes and variables (names and shapes). The models are built with zero-valued
  initial weights (calloc'd arrays, never touched), so even ConvNeXtXLarge's 350M
  parameters take no time or memory; shapes are all this check reads.
* :func:`check_weights_file`: the weight file Keras wrote for a small seeded model
  (Keras 3 ``.weights.h5``, or tf.keras' legacy ``.h5``, the layout of Keras' published
  ImageNet files) is rebuilt byte for byte in ``tmp_path`` from its recorded skeleton,
  loaded with ``load_weights`` and the model's predictions compared with Keras'.
"""
import importlib
import json
import os

import numpy as np
import pytest

from kerasette import backend, initializers
from tests.fixtures.make_applications_b_fixtures import input_images, variable_values, write_skeleton

FOLDER = os.path.join(os.path.dirname(__file__), "..", "fixtures", "applications_b")


def load(kind: str, name: str) -> dict:
    with open(os.path.join(FOLDER, f"{kind}_{name}.json")) as handle:
        return json.load(handle)


def load_file(name: str) -> dict:
    with open(os.path.join(FOLDER, name)) as handle:
        return json.load(handle)


def constructor(dotted: str):
    module, function = dotted.split(".")
    return getattr(importlib.import_module(f"kerasette.applications.{module}"), function)


@pytest.fixture
def zero_weights(monkeypatch):
    """Every initializer gives untouched zeros: building costs nothing, shapes stay exact."""
    def get(identifier):
        return lambda shape, dtype=None: np.zeros(shape, dtype or backend.floatx())
    monkeypatch.setattr(initializers, "get", get)


def _kwargs(record) -> dict:
    kwargs = dict(record["kwargs"])
    if "input_shape" in kwargs:
        kwargs["input_shape"] = tuple(kwargs["input_shape"])
    return kwargs


# kerasette keeps tf.keras' variable name for DepthwiseConv2D's kernel (Keras 3 calls it
# "kernel"); files load by position and by layer, so only this comparison needs to know
_KERAS3_VARIABLE_NAMES = {("DepthwiseConv2D", "depthwise_kernel"): "kernel"}


def describe(model) -> dict:
    layers = []
    for layer in model.layers:
        output = layer.output
        shape = None if isinstance(output, (list, tuple)) else list(output.shape)
        kind = type(layer).__name__
        variables = []
        for v in layer.weights:
            name = v.name.split(":")[0]
            variables.append([_KERAS3_VARIABLE_NAMES.get((kind, name), name), list(v.shape)])
        layers.append([layer.name, kind, shape, variables])
    trainable = int(sum(np.prod(v.shape) for v in model.trainable_weights))
    return {"name": model.name, "params": int(model.count_params()), "trainable": trainable,
            "output_shape": list(model.output_shape), "layers": layers}


def check_structure(record: dict) -> None:
    backend.clear_session()
    model = constructor(record["constructor"])(weights=None, **_kwargs(record))
    found = describe(model)
    assert (found["name"], found["params"], found["trainable"]) == \
        (record["name"], record["params"], record["trainable"])
    assert found["output_shape"] == record["output_shape"]
    assert len(found["layers"]) == len(record["layers"])
    # the input layer's automatic name ("input_1" here, "input_layer" in Keras 3) is the
    # only name kerasette chooses on its own
    assert found["layers"][0][1:] == record["layers"][0][1:]
    for mine, theirs in zip(found["layers"][1:], record["layers"][1:]):
        assert mine == theirs


def check_weights_file(tmp_path, case: str, flavour: str, rtol: float = 2e-4) -> None:
    record = load("weights", case)
    file_record = record[flavour]
    values = variable_values(file_record["variables"], record["seed"])
    path = str(tmp_path / ("w.weights.h5" if flavour == "keras3" else "w.h5"))
    write_skeleton(file_record["skeleton"], values, path)
    backend.clear_session()
    model = constructor(record["constructor"])(weights=path, **_kwargs(record))
    x = input_images(tuple(record["input_shape"]))
    expected = np.array(file_record["predictions"], dtype="float32")
    got = np.asarray(model.predict(x, verbose=0))
    scale = float(np.max(np.abs(expected)))
    np.testing.assert_allclose(got, expected, rtol=rtol, atol=rtol * scale)


def check_preprocess(module: str) -> None:
    """``<module>.preprocess_input`` gives Keras' numbers and dtype (4D, 3D, channels-first and
    integer input), and returns its very input where Keras' does (the identity families)."""
    from tests.fixtures.make_applications_b_fixtures import preprocess_cases
    mine = importlib.import_module(f"kerasette.applications.{module}").preprocess_input
    for (x, data_format), expected in zip(preprocess_cases(), load_file("preprocess.json")[module]):
        given = x.copy()
        got = mine(given, data_format=data_format)
        assert (got is given) == expected["same_object"]
        got = np.asarray(got)
        assert str(got.dtype) == expected["dtype"]
        np.testing.assert_allclose(got, np.array(expected["values"]), rtol=1e-6, atol=1e-5)


class Requested(Exception):
    """Raised by the stand-in downloader, carrying what it was asked for."""


def imagenet_request(monkeypatch, family, build) -> tuple:
    """``(file name, address, hash)`` that ``weights="imagenet"`` asks the downloader for, and
    the model built before the request (the download is stopped there). ``family`` is the
    family module, whose ``load_weights`` is watched to see the model."""
    from kerasette.applications import weights as weights_module
    seen = {}

    def fetch(file_name, origin, file_hash):
        raise Requested(file_name, origin, file_hash)

    original_load = family.load_weights

    def load_weights(model, *args, **kwargs):
        seen["model"] = model
        return original_load(model, *args, **kwargs)

    monkeypatch.setattr(weights_module, "fetch_file", fetch)
    monkeypatch.setattr(family, "load_weights", load_weights)
    backend.clear_session()
    with pytest.raises(Requested) as caught:
        build()
    return caught.value.args, seen.get("model")


def check_keras3_model_file(name: str, x) -> object:
    """Keras 3's ``keras3_<name>.keras`` loads without custom objects and predicts Keras' numbers."""
    import kerasette
    expected = np.load(os.path.join(FOLDER, "keras3_files.npz"))[name]
    backend.clear_session()
    model = kerasette.models.load_model(os.path.join(FOLDER, f"keras3_{name}.keras"))
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-4,
                               atol=1e-5 * float(np.max(np.abs(expected))))
    return model
