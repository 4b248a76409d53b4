"""Layers against real Keras: the same config, the same weights, the same numbers.

``tests/fixtures/keras_layers.npz`` was written by real Keras 3 (jax backend)
with ``tests/fixtures/make_keras_fixtures.py``: for each case the layer's
class name and ``get_config()`` (JSON), its inputs, seeded weights in Keras'
``get_weights`` order, and Keras' output.  Here each case is rebuilt from that
config with kerasette's class of the same name, given the same weights, and
run three ways (plain arrays, eager Tensors, a graph through ``Session``);
every output must equal Keras' to float32 precision.

Keras 3 config keys that kerasette does not take are mapped here (dropped when
they hold Keras' default, which leaves the computation unchanged); a case that
would need one with another value fails, naming it.
"""
from __future__ import annotations

import json
import os

import numpy as np
import pytest

import kerasette.layers as kerasette_layers
from kerasette import Tensor, backend
from kerasette.engine import Session
from kerasette.layers import Input

FIXTURE = os.path.join(os.path.dirname(__file__), "..", "fixtures", "keras_layers.npz")
RTOL, ATOL = 1e-5, 1e-6

# Keras 3 arguments kerasette's layers do not accept, with the Keras default
# under which dropping them changes nothing.
KERAS_ONLY_ARGUMENTS = {
    "quantization_config": None,     # Dense, Embedding (Keras 3 quantization)
    "renorm": False,                 # BatchNormalization (batch renormalization)
    "renorm_clipping": None,
    "renorm_momentum": 0.99,
    "rms_scaling": False,            # LayerNormalization
}
# Weight names where Keras 3 and Keras 2 differ: kerasette keeps Keras 2's (its
# weight files use them). Keras 3 names DepthwiseConv*D's kernel plain "kernel".
KERAS3_WEIGHT_NAMES = {("DepthwiseConv1D", "kernel"): "depthwise_kernel",
                       ("DepthwiseConv2D", "kernel"): "depthwise_kernel"}
# Keras 3.15 variance-scaling initializers carry these; weights are set here anyway
KERAS_ONLY_INITIALIZER_ARGUMENTS = {"input_axes": None, "output_axes": None}


def load_fixture() -> dict:
    with np.load(FIXTURE, allow_pickle=False) as data:
        return {key: data[key] for key in data.files}


DATA = load_fixture()
CASES = json.loads(str(DATA["cases"]))


@pytest.fixture(autouse=True)
def fresh_names():
    backend.clear_session()
    yield


def _clean_initializer(value):
    if isinstance(value, dict) and "class_name" in value and isinstance(value.get("config"), dict):
        config = dict(value["config"])
        for key, default in KERAS_ONLY_INITIALIZER_ARGUMENTS.items():
            if key in config and config[key] == default:
                config.pop(key)
        return dict(value, config=config)
    return value


def kerasette_arguments(case: str) -> dict:
    """The stored Keras config as kerasette constructor arguments."""
    config = json.loads(str(DATA[f"{case}.config"]))
    config.pop("name")
    dtype = config.get("dtype")
    if isinstance(dtype, dict):
        # Keras 3 writes a DTypePolicy config; kerasette layers take the dtype's name
        config["dtype"] = dtype["config"]["name"]
    for key, default in KERAS_ONLY_ARGUMENTS.items():
        if key in config:
            value = config.pop(key)
            if value != default:
                pytest.fail(f"case {case}: Keras argument {key}={value!r} has no kerasette counterpart")
    return {key: _clean_initializer(value) for key, value in config.items()}


def inputs_of(case: str) -> list:
    return [DATA[f"{case}.input_{i}"] for i in range(int(DATA[f"{case}.input_count"]))]


def weights_of(case: str, field: str = "weight") -> list:
    count = len(json.loads(str(DATA[f"{case}.weight_names"])))
    return [DATA[f"{case}.{field}_{i}"] for i in range(count)]


def make_layer(case: str):
    """The kerasette layer for ``case``, built on the stored input shapes and given Keras' weights."""
    cls = getattr(kerasette_layers, str(DATA[f"{case}.class_name"]))
    layer = cls(**kerasette_arguments(case))
    inputs = inputs_of(case)
    layer.build(inputs[0].shape if len(inputs) == 1 else [x.shape for x in inputs])
    layer.built = True
    weights = weights_of(case)
    if weights or layer.weights:
        layer.set_weights(weights)
    return layer


def call_kwargs(case: str) -> dict:
    return json.loads(str(DATA[f"{case}.call_kwargs"]))


def run(layer, inputs, mode: str, kwargs):
    single = len(inputs) == 1
    if mode == "arrays":
        out = layer(inputs[0] if single else list(inputs), **kwargs)
        assert isinstance(out, np.ndarray)
        return out
    if mode == "eager":
        tensors = [Tensor(x) for x in inputs]
        out = layer(tensors[0] if single else tensors, **kwargs)
        assert isinstance(out, Tensor)
        return out.numpy()
    nodes = [Input(shape=x.shape[1:], dtype=str(x.dtype)) for x in inputs]
    out = layer(nodes[0] if single else nodes, **kwargs)
    return Session().run(out, dict(zip(nodes, inputs)))


@pytest.mark.parametrize("mode", ["graph", "eager", "arrays"])
@pytest.mark.parametrize("case", CASES)
def test_output_matches_keras(case, mode):
    layer = make_layer(case)
    expected = DATA[f"{case}.output"]
    out = np.asarray(run(layer, inputs_of(case), mode, call_kwargs(case)))
    assert out.shape == expected.shape, f"{case} ({mode}): shape {out.shape}, Keras {expected.shape}"
    assert out.dtype == np.float32, f"{case} ({mode}): dtype {out.dtype}"
    np.testing.assert_allclose(out, expected, rtol=RTOL, atol=ATOL, err_msg=f"{case} ({mode})")


@pytest.mark.parametrize("case", CASES)
def test_weights_have_keras_names_order_and_shapes(case):
    layer = make_layer(case)
    class_name = str(DATA[f"{case}.class_name"])
    names = [KERAS3_WEIGHT_NAMES.get((class_name, name), name)
             for name in json.loads(str(DATA[f"{case}.weight_names"]))]
    assert [w.name.split("/")[-1] for w in layer.weights] == names
    assert [tuple(w.shape) for w in layer.weights] == [w.shape for w in weights_of(case)]
    assert layer.count_params() == sum(w.size for w in weights_of(case))


# merge layers (several inputs) have their output shapes checked through their outputs above
@pytest.mark.parametrize("case", [c for c in CASES if len(inputs_of(c)) == 1])
def test_output_shape_matches_keras(case):
    inputs = inputs_of(case)
    layer = make_layer(case)
    shape = layer.compute_output_shape((None,) + inputs[0].shape[1:])
    assert tuple(shape) == (None,) + DATA[f"{case}.output"].shape[1:]


@pytest.mark.parametrize("case", [c for c in CASES if call_kwargs(c).get("training")])
def test_training_call_updates_moving_statistics_like_keras(case):
    """BatchNormalization(training=True) on arrays/Tensors assigns the moving stats at once."""
    for mode in ("arrays", "eager"):
        layer = make_layer(case)
        run(layer, inputs_of(case), mode, call_kwargs(case))
        for variable, expected in zip(layer.weights, weights_of(case, "weight_after")):
            np.testing.assert_allclose(variable.numpy(), expected, rtol=RTOL, atol=ATOL,
                                       err_msg=f"{case} ({mode}): {variable.name}")


def test_fixture_covers_the_layers_asked_for():
    classes = {str(DATA[f"{case}.class_name"]) for case in CASES}
    assert {"Dense", "Conv1D", "Conv2D", "Conv3D", "Conv2DTranspose", "DepthwiseConv2D", "SeparableConv2D",
            "MaxPooling2D", "AveragePooling2D", "GlobalAveragePooling1D", "BatchNormalization",
            "LayerNormalization", "Embedding", "UpSampling2D", "ZeroPadding2D", "Cropping2D", "PReLU",
            "Softmax", "Dot", "Concatenate", "LeakyReLU", "ELU", "Activation"} <= classes
    versions = json.loads(str(DATA["versions"]))
    assert versions["keras"].startswith("3.") and versions["backend"] == "jax"
