"""keras_dense_norm.npz (real Keras 3's numbers, made by
tests/fixtures/make_keras_dense_norm_fixtures.py) and the checks the EinsumDense
and normalization parity tests share."""
from __future__ import annotations

import json
import os

import numpy as np

from kerasette import Tensor, engine, ops
from kerasette.engine import Session
from kerasette.layers import Input
from kerasette.layers.serialization import layer_from_config

FIXTURE = os.path.join(os.path.dirname(__file__), "..", "fixtures", "keras_dense_norm.npz")
RTOL, ATOL = 1e-5, 1e-5

with np.load(FIXTURE, allow_pickle=False) as _data:
    DATA = {key: _data[key] for key in _data.files}
CASES = json.loads(str(DATA["cases"]))
REVERSED_ELIDED_AXES = {"ed_ellipsis_left_rank4"}


def cases(prefixes) -> list:
    return [c for c in CASES if c.startswith(tuple(prefixes))]


def json_of(case, field):
    return json.loads(str(DATA[f"{case}.{field}"]))


def weights_of(case, field="weight"):
    values = []
    while f"{case}.{field}_{len(values)}" in DATA:
        values.append(DATA[f"{case}.{field}_{len(values)}"])
    return values


def make_layer(case):
    """The kerasette layer made from Keras' config, built on the case's input, with Keras' weights."""
    layer = layer_from_config({"class_name": str(DATA[f"{case}.class_name"]),
                               "config": json_of(case, "config")})
    layer.build(DATA[f"{case}.input"].shape)
    if layer.weights:
        layer.set_weights(weights_of(case))
    return layer


def run(layer, case, mode):
    x = DATA[f"{case}.input"]
    kwargs = json_of(case, "call_kwargs")
    if mode == "arrays":
        return np.asarray(layer(x, **kwargs))
    if mode == "eager":
        return layer(Tensor(x), **kwargs).numpy()
    node = Input(shape=x.shape[1:])
    return Session().run(layer(node, **kwargs), {node: x})


def check_output(case, mode):
    layer = make_layer(case)
    out = run(layer, case, mode)
    expected = DATA[f"{case}.output"]
    assert out.shape == expected.shape and out.dtype == np.float32
    np.testing.assert_allclose(out, expected, rtol=RTOL, atol=ATOL, err_msg=f"{case} ({mode})")
    return layer


def check_eager_gradients(case):
    layer = make_layer(case)
    x = Tensor(DATA[f"{case}.input"], requires_grad=True)
    total = ops.sum(ops.multiply(layer(x, **json_of(case, "call_kwargs")), DATA[f"{case}.cotangent"]))
    total.backward()
    np.testing.assert_allclose(x.grad, DATA[f"{case}.grad_input"], rtol=RTOL, atol=ATOL,
                               err_msg=f"{case}: input gradient")
    expected = weights_of(case, "grad_weight")
    assert len(expected) == len(layer.trainable_weights)
    for weight, grad in zip(layer.trainable_weights, expected):
        np.testing.assert_allclose(np.asarray(weight.grad), grad, rtol=RTOL, atol=ATOL,
                                   err_msg=f"{case}: gradient of {weight.name}")


def check_graph_gradients(case, rtol=RTOL, atol=ATOL):
    layer = make_layer(case)
    x = Input(shape=DATA[f"{case}.input"].shape[1:])
    total = ops.sum(ops.multiply(layer(x, **json_of(case, "call_kwargs")), DATA[f"{case}.cotangent"]))
    wanted = [x] + [engine.variable_from_holder(w) for w in layer.trainable_weights]
    values = Session().run(engine.gradients(total, wanted), {x: DATA[f"{case}.input"]})
    expected = [DATA[f"{case}.grad_input"]] + weights_of(case, "grad_weight")
    assert len(values) == len(expected)
    for value, want in zip(values, expected):
        np.testing.assert_allclose(value, want, rtol=rtol, atol=atol, err_msg=case)


def check_shapes_weights_and_config(case):
    layer = make_layer(case)
    x = DATA[f"{case}.input"]
    expected_shape = tuple(json_of(case, "output_shape"))
    if case in REVERSED_ELIDED_AXES:
        # Keras 3's compute_output_shape lists two or more left-elided axes in reverse order
        # ((None, 3, 2, 4) -> (None, 2, 3, 3)); its actual output, and kerasette, keep them in order
        expected_shape = (None,) + DATA[f"{case}.output"].shape[1:]
    assert tuple(layer.compute_output_shape((None,) + x.shape[1:])) == expected_shape
    assert [w.name for w in layer.weights] == json_of(case, "weight_names")
    assert [tuple(w.shape) for w in layer.weights] == [w.shape for w in weights_of(case)]
    layer(x, **json_of(case, "call_kwargs"))
    config = layer.get_config()
    keras_config = json_of(case, "built_config")
    skip = ("dtype", "name", "layer")
    missing = set(keras_config) - set(config) - {"build_config"}
    assert not missing, (case, missing)
    for key, value in config.items():
        if key in keras_config and key not in skip and not isinstance(value, dict):
            assert json.loads(json.dumps(value)) == keras_config[key], (case, key)
    again = type(layer).from_config(json.loads(json.dumps(config)))
    again.build(x.shape)
    if layer.weights:
        again.set_weights(layer.get_weights())
    np.testing.assert_array_equal(np.asarray(again(x)), np.asarray(layer(x)))
