"""Adaptive pooling layers against real Keras 3 (keras_pool_embed.npz): outputs, gradients, configs, a model."""
from __future__ import annotations

import json
import os

import numpy as np
import pytest

from kerasette import Tensor, ops
from kerasette.layers import AdaptiveAveragePooling2D, AdaptiveMaxPooling1D, Input
from kerasette.layers.serialization import layer_from_config

DATA = np.load(os.path.join(os.path.dirname(__file__), "..", "fixtures", "keras_pool_embed.npz"),
               allow_pickle=False)
CASES = json.loads(str(DATA["pool_cases"]))


def make_layer(case):
    config = json.loads(str(DATA[f"{case}.config"]))
    class_name = json.loads(str(DATA[f"{case}.class_name"]))
    return layer_from_config({"class_name": class_name, "config": config}), config


@pytest.mark.parametrize("case", CASES)
def test_output_and_gradient_match_keras(case):
    layer, _ = make_layer(case)
    x = Tensor(DATA[f"{case}.x"], requires_grad=True)
    y = layer(x)
    np.testing.assert_allclose(y.data, DATA[f"{case}.y"], rtol=1e-5, atol=1e-6)
    (y * Tensor(DATA[f"{case}.cotangent"])).sum().backward()
    np.testing.assert_allclose(x.grad, DATA[f"{case}.grad_x"], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("case", CASES)
def test_config_round_trip_and_symbolic_shape(case):
    layer, config = make_layer(case)
    again = type(layer).from_config(layer.get_config())
    for key in ("output_size", "data_format"):
        assert list(again.get_config()[key]) == list(config[key]) if key == "output_size" else \
            again.get_config()[key] == config[key]
    x = DATA[f"{case}.x"]
    symbolic = Input(shape=(None,) * 0 + x.shape[1:])
    assert tuple(layer(symbolic).shape) == (None,) + DATA[f"{case}.y"].shape[1:]
    assert tuple(layer.compute_output_shape((None,) + x.shape[1:])) == (None,) + DATA[f"{case}.y"].shape[1:]


def test_ops_on_arrays_and_unknown_length():
    x = np.arange(14, dtype="float32").reshape(1, 7, 2)
    np.testing.assert_allclose(ops.adaptive_average_pool(x, 3)[0, :, 0], [2, 6, 10])
    np.testing.assert_allclose(ops.adaptive_max_pool(x, 3)[0, :, 0], [4, 8, 12])
    layer = AdaptiveMaxPooling1D(3)
    assert tuple(layer(Input(shape=(None, 2))).shape) == (None, 3, 2)


def test_bad_arguments():
    with pytest.raises(TypeError):
        AdaptiveAveragePooling2D((2, 2, 2))
    with pytest.raises(ValueError):
        ops.adaptive_average_pool(np.zeros((2, 3)), 2)


def test_keras_model_weights_h5_loads_with_keras_predictions(tmp_path):
    from kerasette.models import model_from_json
    model = model_from_json(json.dumps(json.loads(str(DATA["model_pool.json"]))))
    path = tmp_path / "model.weights.h5"
    path.write_bytes(DATA["model_pool.weights_h5"].tobytes())
    model.load_weights(str(path))
    np.testing.assert_allclose(model.predict(DATA["model_pool.x"], verbose=0), DATA["model_pool.predict"],
                               rtol=1e-5, atol=1e-6)
