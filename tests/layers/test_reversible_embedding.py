"""ReversibleEmbedding against real Keras 3 (keras_pool_embed.npz): both call modes, gradients, configs, a model."""
from __future__ import annotations

import json
import os

import numpy as np
import pytest

from kerasette import Tensor
from kerasette.layers import Input, ReversibleEmbedding
from kerasette.layers.serialization import layer_from_config

DATA = np.load(os.path.join(os.path.dirname(__file__), "..", "fixtures", "keras_pool_embed.npz"),
               allow_pickle=False)
CASES = json.loads(str(DATA["embed_cases"]))


def weights_of(case, field="weight"):
    count = len(json.loads(str(DATA[f"{case}.weight_paths"])))
    return [DATA[f"{case}.{field}.{i}"] for i in range(count)]


def make_layer(case):
    config = json.loads(str(DATA[f"{case}.config"]))
    layer = layer_from_config({"class_name": "ReversibleEmbedding", "config": config})
    layer.build((None, 5))
    layer.set_weights(weights_of(case))
    return layer, config


@pytest.mark.parametrize("case", CASES)
def test_output_and_gradients_match_keras(case):
    layer, _ = make_layer(case)
    reverse = json.loads(str(DATA[f"{case}.reverse"]))
    x = DATA[f"{case}.x"]
    x = Tensor(x, requires_grad=True) if reverse else Tensor(x)
    y = layer(x, reverse=reverse)
    np.testing.assert_allclose(y.data, DATA[f"{case}.y"], rtol=1e-5, atol=1e-6)
    (y * Tensor(DATA[f"{case}.cotangent"])).sum().backward()
    for weight, expected in zip(layer.weights, weights_of(case, "grad_weight")):
        grad = np.zeros_like(expected) if weight.grad is None else weight.grad
        np.testing.assert_allclose(grad, expected, rtol=1e-5, atol=1e-6)
    if reverse:
        np.testing.assert_allclose(x.grad, DATA[f"{case}.grad_x"], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("case", CASES)
def test_weight_names_and_config_round_trip(case):
    layer, config = make_layer(case)
    paths = json.loads(str(DATA[f"{case}.weight_paths"]))
    assert [w.path.split("/", 1)[1] for w in layer.weights] == [p.split("/", 1)[1] for p in paths]
    mine = layer.get_config()
    for key in ("input_dim", "output_dim", "tie_weights", "reverse_dtype", "logit_soft_cap", "mask_zero"):
        assert mine[key] == config[key]
    again = ReversibleEmbedding.from_config(mine)
    assert again.get_config() == mine


def test_masks_and_shapes():
    layer = ReversibleEmbedding(10, 3, mask_zero=True)
    ids = Input(shape=(4,), dtype="int32")
    hidden = layer(ids)
    assert hidden._keras_mask is not None
    logits = layer(hidden, reverse=True)
    assert tuple(logits.shape) == (None, 4, 10)
    assert layer.compute_output_shape((None, 4, 3), reverse=True) == (None, 4, 10)
    out = layer(np.array([[1, 0]]))
    np.testing.assert_array_equal(out._keras_mask, [[True, False]])
    assert len(ReversibleEmbedding(5, 2, tie_weights=False)(np.zeros((1, 1), "int32")).shape) == 3
