"""SimpleRNN, LSTM, GRU: Keras' numbers, shapes, parameters, masks, states, training."""
import json
import os

import numpy as np
import pytest

from kerasette import Input, Model, Sequential, Tensor, backend, layers, optimizers
from kerasette.primitives.base import ShapeError

FIXTURES = os.path.join(os.path.dirname(__file__), os.pardir, "fixtures", "keras_recurrent.npz")


@pytest.fixture(autouse=True)
def fresh_state():
    backend.clear_session()
    backend.set_seed(0)
    yield


def fixture():
    return np.load(FIXTURES, allow_pickle=False)


def case_names():
    with np.load(FIXTURES, allow_pickle=False) as data:
        return sorted({key.split(".")[0] for key in data.files if key.endswith(".config")})


def run_case(data, name, eagerly):
    config = json.loads(str(data[f"{name}.config"]))
    kind = config.pop("class")
    layer = getattr(layers, kind)(**config)
    x = data[f"{name}.inputs"]
    kwargs = {}
    if f"{name}.mask" in data.files:
        kwargs["mask"] = data[f"{name}.mask"]
    states = [data[key] for key in sorted(k for k in data.files if k.startswith(f"{name}.state."))]
    if states:
        kwargs["initial_state"] = states
    layer.build(x.shape)
    layer.set_weights([data[f"{name}.weights.{i}"] for i in range(len(layer.weights))])
    if eagerly:
        result = layer(x, **kwargs)
    else:
        inputs = Input(x.shape[1:])
        state_inputs = [Input(s.shape[1:]) for s in states]
        mask_input = Input(x.shape[1:2], dtype="bool") if "mask" in kwargs else None
        call = dict(initial_state=state_inputs) if states else {}
        if mask_input is not None:
            call["mask"] = mask_input
        model = Model([inputs] + state_inputs + ([mask_input] if mask_input is not None else []),
                      layer(inputs, **call))
        feeds = [x] + states + ([kwargs["mask"]] if mask_input is not None else [])
        result = model.predict(feeds if len(feeds) > 1 else x, verbose=0)
    return result if isinstance(result, list) else [result]


@pytest.mark.parametrize("eagerly", [True, False], ids=["eager", "graph"])
@pytest.mark.parametrize("name", case_names())
def test_layer_matches_keras(name, eagerly):
    data = fixture()
    got = run_case(data, name, eagerly)
    expected = [data[key] for key in sorted(k for k in data.files if k.startswith(f"{name}.outputs."))]
    assert len(got) == len(expected)
    for value, want in zip(got, expected):
        value = value.numpy() if isinstance(value, Tensor) else np.asarray(value)
        assert value.shape == want.shape
        np.testing.assert_allclose(value, want, rtol=1e-5, atol=2e-6, err_msg=name)


def test_masked_sequence_model_trains_like_keras():
    data = fixture()
    tokens = Input((6,), dtype="int32")
    h = layers.Embedding(12, 4, mask_zero=True)(tokens)
    h = layers.LSTM(3, return_sequences=True)(h)
    h = layers.GRU(2)(h)
    model = Model(tokens, layers.Dense(2, activation="softmax")(h))
    model.set_weights([data[f"train.weights.{i}"] for i in range(len(model.weights))])
    model.compile(optimizer=optimizers.SGD(0.1), loss="sparse_categorical_crossentropy")
    losses = [model.train_on_batch(data[f"train.x.{i}"], data[f"train.y.{i}"]) for i in range(2)]
    np.testing.assert_allclose(losses, data["train.losses"], rtol=1e-5)
    for i, weight in enumerate(model.get_weights()):
        np.testing.assert_allclose(weight, data[f"train.trained.{i}"], rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("kind, units, params", [("SimpleRNN", 3, 3 * (4 + 3) + 3),
                                                 ("LSTM", 3, 4 * (3 * (4 + 3) + 3)),
                                                 ("GRU", 2, 3 * (2 * (4 + 2) + 2 * 2))])
def test_parameter_counts_weight_names_and_shapes(kind, units, params):
    layer = getattr(layers, kind)(units, return_sequences=True, return_state=True)
    outputs = layer(Input((None, 4)))
    assert layer.count_params() == params          # features.md: LSTM in 4 units 3 -> 96, GRU in 4 units 2 -> 48
    cell = {"SimpleRNN": "simple_rnn_cell", "LSTM": "lstm_cell", "GRU": "gru_cell"}[kind]
    prefix = {"SimpleRNN": "simple_rnn", "LSTM": "lstm", "GRU": "gru"}[kind]
    assert [w.path for w in layer.weights] == [f"{prefix}/{cell}/{n}" for n in ("kernel", "recurrent_kernel", "bias")]
    assert outputs[0].shape == (None, None, units)
    assert [o.shape for o in outputs[1:]] == [(None, units)] * (2 if kind == "LSTM" else 1)
    assert layer.compute_output_shape((None, 7, 4))[0] == (None, 7, units)


def test_gru_reset_before_has_keras_2_parameter_count():
    layer = layers.GRU(2, reset_after=False)
    layer(Input((5, 4)))
    assert layer.count_params() == 42
    assert layer.cell.bias.shape == (6,)


def test_lstm_unit_forget_bias_and_defaults():
    layer = layers.LSTM(3)
    layer(Input((5, 2)))
    np.testing.assert_array_equal(layer.cell.bias.numpy(), [0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0])
    kernel = layer.cell.recurrent_kernel.numpy()
    np.testing.assert_allclose(kernel @ kernel.T, np.eye(3), atol=1e-5)   # orthogonal
    assert layer.units == 3 and layer.activation.__name__ == "tanh"
    assert layer.recurrent_activation.__name__ == "sigmoid"


def test_config_round_trip_and_summary():
    layer = layers.LSTM(5, dropout=0.1, go_backwards=True, return_sequences=True, name="enc")
    config = layer.get_config()
    for key in ("units", "activation", "recurrent_activation", "unit_forget_bias", "dropout",
                "recurrent_dropout", "return_sequences", "return_state", "go_backwards", "stateful", "unroll"):
        assert key in config
    clone = layers.LSTM.from_config(config)
    assert clone.get_config() == config
    model = Sequential([Input((7, 3)), layers.GRU(4), layers.Dense(1)])
    lines = []
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert "gru (GRU)" in text and "(None, 4)" in text and "108" in text     # 3*(4*(3+4)+2*4)


def test_graph_and_eager_training_give_the_same_weights():
    rng = np.random.default_rng(1)
    x = rng.integers(1, 30, (16, 9))
    x[:, 6:] = 0
    y = rng.integers(0, 2, 16)

    def build():
        backend.clear_session()
        tokens = Input((9,), dtype="int64")
        h = layers.Embedding(30, 6, mask_zero=True)(tokens)
        h = layers.SimpleRNN(5, return_sequences=True, go_backwards=True)(h)
        h = layers.LSTM(4)(h)
        return Model(tokens, layers.Dense(2, activation="softmax")(h))

    first = build()
    second = build()
    second.set_weights(first.get_weights())
    for model, eagerly in ((first, False), (second, True)):
        model.compile(optimizer=optimizers.Adam(0.01), loss="sparse_categorical_crossentropy", run_eagerly=eagerly)
        model.fit(x, y, epochs=3, batch_size=8, shuffle=False, verbose=0)
    for a, b in zip(first.get_weights(), second.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_learns_a_sequence_task():
    # the label is whether the first token is larger than the last: needs memory across the sequence
    rng = np.random.default_rng(0)
    x = rng.integers(1, 10, (512, 8))
    y = (x[:, 0] > x[:, -1]).astype("int64")
    model = Sequential([Input((8,), dtype="int64"), layers.Embedding(10, 8), layers.LSTM(16),
                        layers.Dense(2, activation="softmax")])
    model.compile(optimizer=optimizers.Adam(0.01), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=12, batch_size=32, verbose=0)
    assert history.history["accuracy"][-1] > 0.9


@pytest.mark.parametrize("kind", ["SimpleRNN", "LSTM", "GRU"])
def test_step_by_step_path_equals_the_fused_one(kind):
    """An activation the fused recurrence lacks runs the cell's call per step; with the
    same activation forced through both paths the numbers agree."""
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 5, 3)).astype(np.float32)
    mask = np.array([[1, 1, 0, 1, 0], [0, 1, 1, 1, 1]], dtype=bool)
    fused = getattr(layers, kind)(3, return_sequences=True, return_state=True)
    stepped = getattr(layers, kind)(3, return_sequences=True, return_state=True)
    fused.build(x.shape)
    stepped.build(x.shape)
    stepped.set_weights(fused.get_weights())
    stepped.cell._fused_attrs = lambda: None
    for a, b in zip(fused(x, mask=mask), stepped(x, mask=mask)):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-5, atol=1e-6)


def test_gradients_reach_inputs_states_and_weights():
    rng = np.random.default_rng(3)
    layer = layers.LSTM(3, return_state=True)
    x = Tensor(rng.standard_normal((2, 4, 3)).astype(np.float32), requires_grad=True)
    h0 = Tensor(rng.standard_normal((2, 3)).astype(np.float32), requires_grad=True)
    c0 = Tensor(rng.standard_normal((2, 3)).astype(np.float32), requires_grad=True)
    output, h, c = layer(x, initial_state=[h0, c0])
    (output.sum() + c.sum()).backward()
    for tensor in (x, h0, c0):
        assert tensor.grad is not None and np.all(np.isfinite(tensor.grad.numpy()))
    assert all(w.grad is not None for w in layer.weights)


def test_dropout_only_in_training_and_one_mask_per_sequence():
    x = np.ones((4, 6, 5), np.float32)
    layer = layers.SimpleRNN(3, dropout=0.5, seed=1, return_sequences=True)
    layer.build(x.shape)
    inference = np.asarray(layer(x))
    np.testing.assert_array_equal(inference, np.asarray(layer(x)))
    assert not np.allclose(np.asarray(layer(x, training=True)), inference)
    steps = layers.SimpleRNN(3, dropout=0.5, recurrent_dropout=0.3, seed=1)   # recurrent dropout: per step path
    steps.build(x.shape)
    assert np.all(np.isfinite(np.asarray(steps(x, training=True))))


def test_bad_input_and_unsupported_options():
    with pytest.raises(Exception, match="ndim|rank|3"):
        layers.LSTM(3)(Input((5,)))
    with pytest.raises(ValueError, match="stateful.*batch size must be static"):
        layers.LSTM(3, stateful=True)(Input((5, 3)))
    with pytest.raises(ValueError, match="initial state"):
        layers.LSTM(3)(np.zeros((2, 4, 3), np.float32), initial_state=[np.zeros((2, 3), np.float32)])
    cell = layers.SimpleRNNCell(3, activation="selu")
    with pytest.raises(ShapeError, match="known number of timesteps"):
        layers.RNN(cell)(Input((None, 4)))


def test_rnn_wraps_a_custom_cell():
    class MinimalCell(layers.Layer):
        state_size = 2

        def build(self, input_shape):
            self.kernel = self.add_weight(name="kernel", shape=(input_shape[-1], 2), initializer="ones")

        def call(self, inputs, states, training=None):
            output = inputs @ self.kernel + states[0]
            return output, [output]

    x = np.arange(12, dtype=np.float32).reshape(1, 4, 3)
    result = layers.RNN(MinimalCell(), return_sequences=True)(x)
    # a running sum of each step's feature sum
    np.testing.assert_allclose(np.asarray(result)[0, :, 0], np.cumsum(x[0].sum(-1)))


def test_keras3_config_with_initial_states_as_keyword_tensors():
    from kerasette.saving import model_from_json
    data = fixture()
    model = model_from_json(str(data["states_model.json"]))
    model.set_weights([data[f"states_model.weights.{i}"] for i in range(len(model.weights))])
    got = model.predict([data[f"states_model.x.{i}"] for i in range(3)], verbose=0)
    for i, value in enumerate(got):
        np.testing.assert_allclose(value, data[f"states_model.y.{i}"], rtol=1e-5, atol=2e-6)


def test_initial_states_are_inbound_tensors_of_the_call():
    """tf.keras' form: the states join the call's inputs, so models connect them and
    their configs (and summaries) name them; the config round trip gives the same model."""
    from kerasette.saving import model_from_json
    x, h, c = Input((5, 3)), Input((4,)), Input((4,))
    model = Model([x, h, c], layers.LSTM(4)(x, initial_state=[h, c]))
    config = json.loads(model.to_json())
    nodes = [layer["inbound_nodes"] for layer in config["config"]["layers"] if layer["class_name"] == "LSTM"]
    assert [ref[0] for ref in nodes[0][0]] == ["input_1", "input_2", "input_3"]
    rng = np.random.default_rng(0)
    feeds = [rng.standard_normal(s).astype(np.float32) for s in ((2, 5, 3), (2, 4), (2, 4))]
    clone = model_from_json(model.to_json())
    clone.set_weights(model.get_weights())
    np.testing.assert_array_equal(clone.predict(feeds, verbose=0), model.predict(feeds, verbose=0))
