"""data_format='channels_first' against real Keras: shapes, numbers, gradients, weights, configs.

``tests/fixtures/keras_channels_first.npz`` was written by real Keras 3 (jax
backend) with ``tests/fixtures/make_keras_channels_first_fixtures.py``: every
layer kerasette has whose Keras 3 counterpart takes ``data_format``, in
channels-first configurations, with Keras' outputs and jax's gradients of
``sum(output * cotangent)`` with respect to the input and every weight; and a
small CNN made under ``keras.config.set_image_data_format('channels_first')``
and trained two SGD steps.  Each layer is rebuilt here from Keras' config,
given Keras' weights and run as plain arrays, eager Tensors and a graph.
"""
from __future__ import annotations

import json
import os

import numpy as np
import pytest

import kerasette
from kerasette import Tensor, backend, engine, ops
from kerasette.engine import Session
from kerasette.layers import (Conv2D, Cropping1D, Dense, Flatten, GlobalAveragePooling2D, Input, MaxPooling2D,
                              SeparableConv2D, SpatialDropout1D, SpatialDropout2D, SpatialDropout3D, UpSampling2D,
                              ZeroPadding2D)
from kerasette.layers.serialization import layer_from_config
from kerasette.models import Model, Sequential

FIXTURE = os.path.join(os.path.dirname(__file__), "..", "fixtures", "keras_channels_first.npz")
RTOL, ATOL = 1e-5, 1e-5

with np.load(FIXTURE, allow_pickle=False) as _data:
    DATA = {key: _data[key] for key in _data.files}
CASES = json.loads(str(DATA["cases"]))


@pytest.fixture(autouse=True)
def fresh_session():
    backend.clear_session()
    yield
    backend.set_image_data_format("channels_last")


def config_of(case):
    return json.loads(str(DATA[f"{case}.config"]))


def weights_of(case, field="weight"):
    values = []
    while f"{case}.{field}_{len(values)}" in DATA:
        values.append(DATA[f"{case}.{field}_{len(values)}"])
    return values


def make_layer(case):
    """The kerasette layer made from Keras' config, built on the case's input and given Keras' weights."""
    layer = layer_from_config({"class_name": str(DATA[f"{case}.class_name"]), "config": config_of(case)})
    layer.build(DATA[f"{case}.input"].shape)
    weights = weights_of(case)
    if weights or layer.weights:
        layer.set_weights(weights)
    return layer


def call_kwargs(case, kind):
    """The mask as the call wants it (``kind``: 'arrays', 'eager' or 'graph'), or nothing."""
    if f"{case}.mask" not in DATA:
        return {}
    mask = DATA[f"{case}.mask"]
    return {"mask": Tensor(mask) if kind == "eager" else mask}


def run(layer, case, mode):
    x = DATA[f"{case}.input"]
    if mode == "arrays":
        return np.asarray(layer(x, **call_kwargs(case, mode)))
    if mode == "eager":
        return layer(Tensor(x), **call_kwargs(case, mode)).numpy()
    node = Input(shape=x.shape[1:])
    feeds = {node: x}
    kwargs = {}
    if f"{case}.mask" in DATA:
        mask = Input(shape=DATA[f"{case}.mask"].shape[1:], dtype="bool")
        kwargs, feeds[mask] = {"mask": mask}, DATA[f"{case}.mask"]
    return Session().run(layer(node, **kwargs), feeds)


@pytest.mark.parametrize("mode", ["graph", "eager", "arrays"])
@pytest.mark.parametrize("case", CASES)
def test_output_matches_keras(case, mode):
    layer = make_layer(case)
    assert layer.data_format == "channels_first"
    expected = DATA[f"{case}.output"]
    out = run(layer, case, mode)
    assert out.shape == expected.shape and out.dtype == np.float32
    np.testing.assert_allclose(out, expected, rtol=RTOL, atol=ATOL, err_msg=f"{case} ({mode})")


@pytest.mark.parametrize("case", CASES)
def test_eager_gradients_match_keras(case):
    layer = make_layer(case)
    x = Tensor(DATA[f"{case}.input"], requires_grad=True)
    kwargs = call_kwargs(case, "eager")
    total = ops.sum(ops.multiply(layer(x, **kwargs), DATA[f"{case}.cotangent"]))
    total.backward()
    np.testing.assert_allclose(x.grad, DATA[f"{case}.grad_input"], rtol=RTOL, atol=ATOL,
                               err_msg=f"{case}: input gradient")
    expected = weights_of(case, "grad_weight")
    assert len(expected) == len(layer.weights)
    for weight, grad in zip(layer.weights, expected):
        np.testing.assert_allclose(np.asarray(weight.grad), grad, rtol=RTOL, atol=ATOL,
                                   err_msg=f"{case}: gradient of {weight.name}")


@pytest.mark.parametrize("case", [c for c in CASES if f"{c}.mask" not in DATA])
def test_graph_gradients_match_keras(case):
    layer = make_layer(case)
    x = Input(shape=DATA[f"{case}.input"].shape[1:])
    total = ops.sum(ops.multiply(layer(x), DATA[f"{case}.cotangent"]))
    # layer weights enter graphs as variable nodes reading the eager Variables
    wanted = [x] + [engine.variable_from_holder(w) for w in layer.weights]
    grads = engine.gradients(total, wanted)
    values = Session().run(grads, {x: DATA[f"{case}.input"]})
    for value, expected in zip(values, [DATA[f"{case}.grad_input"]] + weights_of(case, "grad_weight")):
        np.testing.assert_allclose(value, expected, rtol=RTOL, atol=ATOL, err_msg=case)


@pytest.mark.parametrize("case", CASES)
def test_shapes_weights_and_config_match_keras(case):
    layer = make_layer(case)
    x = DATA[f"{case}.input"]
    # the output shape, symbolic and computed
    expected = DATA[f"{case}.output"].shape
    assert tuple(layer.compute_output_shape((None,) + x.shape[1:])) == (None,) + expected[1:]
    assert tuple(layer(Input(shape=x.shape[1:])).shape) == (None,) + expected[1:]
    # kernels keep Keras' (channels-last) layouts: the same shapes as Keras' weights
    assert [tuple(w.shape) for w in layer.weights] == [w.shape for w in weights_of(case)]
    # the config keeps data_format, and a layer made from it computes the same
    config = layer.get_config()
    assert config["data_format"] == "channels_first"
    keras_config = config_of(case)
    for key, value in config.items():
        if key in keras_config and key not in ("dtype", "name") and not isinstance(value, dict):
            assert json.loads(json.dumps(value)) == keras_config[key], (case, key)
    again = type(layer).from_config(config)
    assert again.data_format == "channels_first"
    again.build(x.shape)
    again.set_weights(layer.get_weights())
    np.testing.assert_array_equal(np.asarray(again(x, **call_kwargs(case, "arrays"))),
                                  np.asarray(layer(x, **call_kwargs(case, "arrays"))))


def test_fixture_covers_every_layer_with_a_data_format():
    classes = {str(DATA[f"{case}.class_name"]) for case in CASES}
    assert classes == {
        "Conv1D", "Conv2D", "Conv3D", "Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose",
        "DepthwiseConv1D", "DepthwiseConv2D", "SeparableConv1D", "SeparableConv2D",
        "MaxPooling1D", "MaxPooling2D", "MaxPooling3D", "AveragePooling1D", "AveragePooling2D",
        "AveragePooling3D", "GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalAveragePooling3D",
        "GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalMaxPooling3D", "UpSampling2D", "UpSampling3D",
        "ZeroPadding1D", "ZeroPadding2D", "ZeroPadding3D", "Cropping2D", "Cropping3D", "Flatten"}
    versions = json.loads(str(DATA["versions"]))
    assert versions["keras"].startswith("3.") and versions["backend"] == "jax"


# ------------------------------------------------------------------ the global setting

def test_image_data_format_setting():
    assert backend.image_data_format() == "channels_last"
    with pytest.raises(ValueError, match="data_format"):
        backend.set_image_data_format("NCHW")
    backend.set_image_data_format("Channels_First")
    assert backend.image_data_format() == "channels_first"
    assert backend.standardize_data_format(None) == "channels_first"
    assert backend.standardize_data_format("CHANNELS_LAST") == "channels_last"


def test_layers_made_with_no_data_format_follow_the_setting_and_keep_it():
    backend.set_image_data_format("channels_first")
    conv, pool, flat = Conv2D(4, 3), MaxPooling2D(), Flatten()
    backend.set_image_data_format("channels_last")
    # the setting is read when the layer is made; configs store the resolved value, as Keras does
    assert conv.data_format == pool.data_format == flat.data_format == "channels_first"
    assert conv.get_config()["data_format"] == "channels_first"
    assert Conv2D(4, 3).get_config()["data_format"] == "channels_last"
    out = pool(conv(Input(shape=(2, 9, 8))))
    assert tuple(out.shape) == (None, 4, 3, 3)
    assert tuple(conv.kernel.shape) == (3, 3, 2, 4)


def test_keras_style_model_under_channels_first_trains_like_keras():
    """A CNN written as Keras 3 code under set_image_data_format('channels_first')."""
    kerasette.backend.set_image_data_format("channels_first")
    inputs = kerasette.Input(shape=(2, 10, 9))
    x = kerasette.layers.Conv2D(4, 3, padding="same", activation="relu")(inputs)
    x = kerasette.layers.MaxPooling2D()(x)
    x = kerasette.layers.SeparableConv2D(5, 3, activation="relu")(x)
    x = kerasette.layers.ZeroPadding2D(1)(x)
    x = kerasette.layers.AveragePooling2D(2, padding="same")(x)
    x = kerasette.layers.Flatten()(x)
    outputs = kerasette.layers.Dense(3, activation="softmax")(x)
    model = kerasette.Model(inputs, outputs)
    _train_and_compare(model)


def test_keras_json_with_channels_first_loads_and_trains_like_keras():
    from kerasette.saving import model_from_json
    model = model_from_json(str(DATA["model.json"]))
    assert [layer.data_format for layer in model.layers if hasattr(layer, "data_format")] == ["channels_first"] * 6
    _train_and_compare(model)
    again = model_from_json(model.to_json())
    assert [layer.data_format for layer in again.layers if hasattr(layer, "data_format")] == ["channels_first"] * 6


def _train_and_compare(model):
    count = int(DATA["model.weight_count"])
    model.set_weights([DATA[f"model.initial_{i}"] for i in range(count)])
    model.compile(optimizer=kerasette.optimizers.SGD(learning_rate=0.1, momentum=0.9),
                  loss="sparse_categorical_crossentropy")
    losses = [float(np.ravel(model.train_on_batch(DATA["model.x"][i], DATA["model.y"][i]))[0]) for i in range(2)]
    np.testing.assert_allclose(losses, DATA["model.losses"], rtol=1e-5)
    for index, weight in enumerate(model.get_weights()):
        np.testing.assert_allclose(weight, DATA[f"model.final_{index}"], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(model.predict(DATA["model.x"][0], verbose=0), DATA["model.predict"],
                               rtol=1e-4, atol=1e-6)


# ------------------------------------------------------------------ ops and the rest

def test_ops_take_channels_first_and_none_follows_the_setting():
    rng = np.random.default_rng(0)
    x_last = rng.standard_normal((2, 7, 6, 3)).astype("float32")
    x_first = np.ascontiguousarray(x_last.transpose(0, 3, 1, 2))
    kernel = rng.standard_normal((3, 3, 3, 4)).astype("float32")
    to_first = (0, 3, 1, 2)
    pairs = [
        (ops.conv(x_last, kernel, 2, "same"), ops.conv(x_first, kernel, 2, "same", "channels_first")),
        (ops.depthwise_conv(x_last, kernel[..., :2], 1, "valid"),
         ops.depthwise_conv(x_first, kernel[..., :2], 1, "valid", "channels_first")),
        (ops.conv_transpose(x_last, kernel.transpose(0, 1, 3, 2), 2, "same"),
         ops.conv_transpose(x_first, kernel.transpose(0, 1, 3, 2), 2, "same", data_format="channels_first")),
        (ops.separable_conv(x_last, kernel[..., :1], kernel[:1, :1, :, :2]),
         ops.separable_conv(x_first, kernel[..., :1], kernel[:1, :1, :, :2], data_format="channels_first")),
        (ops.max_pool(x_last, 2, padding="same"), ops.max_pool(x_first, 2, padding="same",
                                                               data_format="channels_first")),
        (ops.average_pool(x_last, 3, 2, "same"), ops.average_pool(x_first, 3, 2, "same", "channels_first")),
    ]
    for last, first in pairs:
        np.testing.assert_allclose(np.asarray(first), np.asarray(last).transpose(to_first), rtol=1e-6, atol=1e-6)
    backend.set_image_data_format("channels_first")
    np.testing.assert_array_equal(np.asarray(ops.max_pool(x_first, 2)),
                                  np.asarray(ops.max_pool(x_first, 2, data_format="channels_first")))


def test_channels_first_and_last_agree_in_a_model():
    """The same weights give the same features in both layouts (Flatten orders them channels last)."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal((3, 2, 8, 8)).astype("float32")

    def build(data_format, shape):
        return Sequential([Input(shape=shape), Conv2D(4, 3, data_format=data_format),
                           UpSampling2D(data_format=data_format, interpolation="bilinear"),
                           ZeroPadding2D(1, data_format=data_format), MaxPooling2D(data_format=data_format),
                           Flatten(data_format=data_format), Dense(2)])

    first, last = build("channels_first", (2, 8, 8)), build("channels_last", (8, 8, 2))
    last.set_weights(first.get_weights())
    np.testing.assert_allclose(first.predict(x, verbose=0), last.predict(x.transpose(0, 2, 3, 1), verbose=0),
                               rtol=1e-5, atol=1e-6)
    pooled = GlobalAveragePooling2D(data_format="channels_first")(x)
    np.testing.assert_allclose(pooled, x.mean(axis=(2, 3)), rtol=1e-6)


def test_spatial_dropout_drops_whole_channels_first_maps():
    x = np.ones((4, 6, 5, 5), "float32")
    out = SpatialDropout2D(0.5, data_format="channels_first", seed=1)(x, training=True)
    per_map = out.reshape(4, 6, -1)
    assert set(np.unique(per_map)) <= {0.0, 2.0}
    assert (per_map.min(axis=2) == per_map.max(axis=2)).all()     # each (sample, channel) map whole
    out3 = SpatialDropout3D(0.5, data_format="channels_first", seed=2)(np.ones((2, 5, 2, 3, 3), "float32"),
                                                                        training=True).reshape(2, 5, -1)
    assert (out3.min(axis=2) == out3.max(axis=2)).all()
    assert SpatialDropout2D(0.1, data_format="channels_first").get_config()["data_format"] == "channels_first"
    # SpatialDropout1D has no data_format (Keras gives it none): the setting does not move its steps
    backend.set_image_data_format("channels_first")
    steps = SpatialDropout1D(0.5, seed=3)(np.ones((3, 7, 4), "float32"), training=True)
    assert (steps.min(axis=1) == steps.max(axis=1)).all()


def test_cropping1d_takes_no_data_format_like_keras():
    assert "data_format" not in Cropping1D((1, 2)).get_config()
    assert Cropping1D.from_config({"cropping": (1, 2), "data_format": "channels_last"}).cropping == (1, 2)
    with pytest.raises(ValueError, match="data_format"):
        Cropping1D(data_format="channels_first")


def test_channels_first_summary_shapes():
    inputs = Input(shape=(3, 16, 16))
    x = Conv2D(8, 3, padding="same", data_format="channels_first")(inputs)
    x = SeparableConv2D(4, 3, data_format="channels_first")(x)
    model = Model(inputs, GlobalAveragePooling2D(data_format="channels_first")(x))
    assert tuple(model.output_shape) == (None, 4)
    assert [tuple(layer.output.shape) for layer in model.layers[1:]] == [(None, 8, 16, 16), (None, 4, 14, 14),
                                                                        (None, 4)]
