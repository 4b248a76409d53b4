"""Bidirectional and TimeDistributed: Keras' numbers, weight paths, shapes, configs."""
import json
import os
import re

import numpy as np
import pytest

from kerasette import Input, Model, Sequential, backend, layers, optimizers
from kerasette.saving import model_from_json

FIXTURES = os.path.join(os.path.dirname(__file__), os.pardir, "fixtures", "keras_recurrent.npz")
L = layers

FACTORIES = {
    "bidirectional_lstm_concat_masked": lambda: L.Bidirectional(L.LSTM(3, return_sequences=True)),
    "bidirectional_gru_sum_state": lambda: L.Bidirectional(L.GRU(2, return_state=True), merge_mode="sum"),
    "bidirectional_simple_rnn_none": lambda: L.Bidirectional(L.SimpleRNN(2, return_sequences=True),
                                                             merge_mode=None),
    "bidirectional_lstm_ave_initial_state": lambda: L.Bidirectional(L.LSTM(2), merge_mode="ave"),
    "bidirectional_lstm_mul_backward_layer": lambda: L.Bidirectional(
        L.LSTM(2, return_sequences=True), merge_mode="mul",
        backward_layer=L.LSTM(2, activation="relu", return_sequences=True, go_backwards=True)),
    "time_distributed_dense": lambda: L.TimeDistributed(L.Dense(3, activation="tanh")),
    "time_distributed_conv2d": lambda: L.TimeDistributed(L.Conv2D(2, 3)),
}


@pytest.fixture(autouse=True)
def fresh_state():
    backend.clear_session()
    backend.set_seed(0)
    yield


def without_numbers(path):
    return re.sub(r"_\d+(?=/|$)", "", path)


@pytest.mark.parametrize("eagerly", [True, False], ids=["eager", "graph"])
@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_wrapper_matches_keras(name, eagerly):
    data = np.load(FIXTURES, allow_pickle=False)
    layer = FACTORIES[name]()
    x = data[f"{name}.inputs"]
    layer.build(x.shape)
    paths = json.loads(str(data[f"{name}.weight_paths"]))
    assert [without_numbers(w.path) for w in layer.weights] == [without_numbers(p) for p in paths]
    layer.set_weights([data[f"{name}.weights.{i}"] for i in range(len(paths))])
    mask = data[f"{name}.mask"] if f"{name}.mask" in data.files else None
    states = [data[k] for k in sorted(k for k in data.files if k.startswith(f"{name}.state."))]
    kwargs = {}
    if mask is not None:
        kwargs["mask"] = mask
    if states:
        kwargs["initial_state"] = states
    if eagerly:
        got = layer(x, **kwargs)
    else:
        inputs = Input(x.shape[1:])
        state_inputs = [Input(s.shape[1:]) for s in states]
        mask_input = Input(mask.shape[1:], dtype="bool") if mask is not None else None
        call = {}
        if states:
            call["initial_state"] = state_inputs
        if mask_input is not None:
            call["mask"] = mask_input
        model = Model([inputs] + state_inputs + ([mask_input] if mask_input is not None else []),
                      layer(inputs, **call))
        feeds = [x] + states + ([mask] if mask is not None else [])
        got = model.predict(feeds if len(feeds) > 1 else x, verbose=0)
    got = got if isinstance(got, list) else [got]
    expected = [data[k] for k in sorted(k for k in data.files if k.startswith(f"{name}.outputs."))]
    assert len(got) == len(expected)
    for value, want in zip(got, expected):
        np.testing.assert_allclose(np.asarray(value), want, rtol=1e-5, atol=2e-6, err_msg=name)


def test_bidirectional_shapes_params_and_summary():
    layer = L.Bidirectional(L.LSTM(4, return_sequences=True, return_state=True))
    outputs = layer(Input((7, 3)))
    assert [o.shape for o in outputs] == [(None, 7, 8)] + [(None, 4)] * 4
    assert layer.count_params() == 2 * 4 * (4 * (3 + 4) + 4)
    assert layer.forward_layer.name == "forward_lstm" and layer.backward_layer.go_backwards
    model = Sequential([Input((5, 2)), L.Bidirectional(L.GRU(3)), L.Dense(1)])
    lines = []
    model.summary(print_fn=lines.append)
    assert any(line.startswith("bidirectional_1 (Bidirectio") and "(None, 6)" in line for line in lines)


def test_time_distributed_shapes_and_weights_are_shared():
    layer = L.TimeDistributed(L.Dense(3))
    assert layer(Input((6, 5))).shape == (None, 6, 3)
    assert layer.count_params() == 18
    x = np.random.default_rng(0).standard_normal((2, 6, 5)).astype(np.float32)
    out = np.asarray(layer(x))
    kernel, bias = layer.get_weights()
    np.testing.assert_allclose(out, x @ kernel + bias, rtol=1e-5, atol=1e-6)
    with pytest.raises(Exception, match="at least 3 axes"):
        L.TimeDistributed(L.Dense(3))(Input((5,)))


def test_configs_round_trip_and_models_rebuild_from_json():
    tokens = Input((8,), dtype="int64")
    h = L.Embedding(20, 4, mask_zero=True)(tokens)
    h = L.Bidirectional(L.LSTM(3, return_sequences=True), merge_mode="sum")(h)
    h = L.TimeDistributed(L.Dense(2))(h)
    h = L.Bidirectional(L.GRU(2))(h)
    model = Model(tokens, L.Dense(2, activation="softmax")(h))
    clone = model_from_json(model.to_json())
    clone.set_weights(model.get_weights())
    x = np.random.default_rng(0).integers(0, 20, (3, 8))
    x[:, 5:] = 0
    np.testing.assert_array_equal(clone.predict(x, verbose=0), model.predict(x, verbose=0))
    bidirectional = model.layers[2]
    config = bidirectional.get_config()
    assert config["merge_mode"] == "sum" and config["layer"]["class_name"] == "LSTM"
    assert config["backward_layer"]["config"]["go_backwards"] is True


def test_masked_bidirectional_model_trains_and_eager_agrees():
    rng = np.random.default_rng(1)
    x = rng.integers(1, 15, (24, 7))
    x[:, 5:] = 0
    y = rng.integers(0, 2, 24)

    def build():
        backend.clear_session()
        tokens = Input((7,), dtype="int64")
        h = L.Embedding(15, 4, mask_zero=True)(tokens)
        h = L.Bidirectional(L.LSTM(3, return_sequences=True))(h)
        h = L.Bidirectional(L.GRU(2), merge_mode="ave")(h)
        return Model(tokens, L.Dense(2, activation="softmax")(h))

    first, second = build(), build()
    second.set_weights(first.get_weights())
    for model, eagerly in ((first, False), (second, True)):
        model.compile(optimizer=optimizers.Adam(0.01), loss="sparse_categorical_crossentropy", run_eagerly=eagerly)
        history = model.fit(x, y, epochs=3, batch_size=8, shuffle=False, verbose=0)
        assert history.history["loss"][-1] < history.history["loss"][0]
    for a, b in zip(first.get_weights(), second.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_bad_arguments():
    with pytest.raises(ValueError, match="merge mode"):
        L.Bidirectional(L.LSTM(2), merge_mode="max")
    with pytest.raises(ValueError, match="recurrent layer"):
        L.Bidirectional(L.Dense(2))
    with pytest.raises(ValueError, match="opposite directions"):
        L.Bidirectional(L.LSTM(2), backward_layer=L.LSTM(2))
