"""RNN states as Keras code uses them: ``return_state`` in trained models (the
seq2seq pattern), and stateful layers (``stateful=True``, ``layer.states``,
``reset_states()``), with real Keras' numbers (tests/fixtures/keras_rnn_state.npz,
made by make_keras_rnn_state_fixtures.py)."""
import json
import os

import numpy as np
import pytest

import kerasette as keras
from kerasette import backend, layers
from kerasette.ops.masking import get_mask

FIXTURES = os.path.join(os.path.dirname(__file__), os.pardir, "fixtures", "keras_rnn_state.npz")
L = layers


@pytest.fixture(autouse=True)
def fresh_state():
    backend.clear_session()
    backend.set_seed(0)
    yield


@pytest.fixture(scope="module")
def data():
    with np.load(FIXTURES, allow_pickle=False) as archive:
        yield {key: archive[key] for key in archive.files}


def weights_of(data, prefix, key="weights"):
    count = len([k for k in data if k.startswith(f"{prefix}.{key}.")])
    return [data[f"{prefix}.{key}.{i}"] for i in range(count)]


def assert_paths(model, data, prefix):
    """Same order as Keras' weights: compared by weight name and shape (layer names
    come from counters that differ between the two libraries)."""
    expected = [path.split("/")[-1] for path in json.loads(str(data[f"{prefix}.weight_paths"]))]
    assert [w.path.split("/")[-1] for w in model.weights] == expected
    assert [tuple(w.shape) for w in model.weights] == [w.shape for w in weights_of(data, prefix)]


def assert_weights(model, expected, atol=1e-5):
    got = model.get_weights()
    assert len(got) == len(expected)
    for i, (a, b) in enumerate(zip(got, expected)):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=atol, err_msg=f"weight {i} ({model.weights[i].path})")


# ------------------------------------------------------------ return_state
@pytest.mark.parametrize("run_eagerly", [False, True])
def test_seq2seq_encoder_states_start_the_decoder_and_train_like_keras(data, run_eagerly):
    encoder_inputs = keras.Input((7, 5), name="encoder_inputs")
    _, h, c = L.LSTM(6, return_state=True, name="encoder")(encoder_inputs)
    decoder_inputs = keras.Input((4, 3), name="decoder_inputs")
    sequence = L.LSTM(6, return_sequences=True, name="decoder")(decoder_inputs, initial_state=[h, c])
    outputs = L.Dense(3, activation="softmax", name="head")(sequence)
    model = keras.Model([encoder_inputs, decoder_inputs], outputs)
    assert_paths(model, data, "seq2seq")
    model.set_weights(weights_of(data, "seq2seq"))
    xs = [data["seq2seq.x.0"], data["seq2seq.x.1"]]
    np.testing.assert_allclose(model.predict(xs, verbose=0), data["seq2seq.predict"], rtol=1e-5, atol=1e-6)
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="categorical_crossentropy", run_eagerly=run_eagerly)
    loss = model.train_on_batch(xs, data["seq2seq.y"])
    np.testing.assert_allclose(float(np.ravel(loss)[0]), float(data["seq2seq.loss"]), rtol=1e-5)
    assert_weights(model, weights_of(data, "seq2seq", "trained"))


@pytest.mark.parametrize("prefix, make, units", [
    ("lstm_state", lambda: L.LSTM(16, return_state=True), 3),
    ("gru_state", lambda: L.GRU(8, return_state=True, return_sequences=True), 2),
])
def test_fit_a_model_with_return_state_layer(data, prefix, make, units):
    # issue 14: the states' (empty) masks were put on every output, and the
    # loss read the list [None, None, None] as a mask of shape (3,)
    inputs = keras.Input((9, 6))
    results = make()(inputs)
    assert len(results) == (3 if prefix == "lstm_state" else 2)
    model = keras.Model(inputs, L.Dense(units)(results[0]))
    model.set_weights(weights_of(data, prefix))
    model.compile(optimizer=keras.optimizers.SGD(0.05), loss="mse")
    history = model.fit(data[f"{prefix}.x"], data[f"{prefix}.y"], batch_size=4, epochs=1, shuffle=False, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    assert_weights(model, weights_of(data, prefix, "trained"))


def test_return_state_outputs_carry_no_mask_but_the_sequence_keeps_it():
    tokens = keras.Input((5,), dtype="int32")
    embedded = L.Embedding(10, 3, mask_zero=True)(tokens)
    sequence, h, c = L.LSTM(4, return_sequences=True, return_state=True)(embedded)
    assert get_mask(sequence) is not None
    assert get_mask(h) is None and get_mask(c) is None
    assert sequence._keras_mask is not None and h._keras_mask is None


def test_states_of_a_return_state_model_feed_a_second_model():
    # inference seq2seq: the encoder model gives states, the decoder model takes them
    encoder_inputs = keras.Input((6, 4))
    _, h, c = L.LSTM(5, return_state=True)(encoder_inputs)
    encoder = keras.Model(encoder_inputs, [h, c])
    decoder_lstm = L.LSTM(5, return_sequences=True, return_state=True)
    decoder_inputs, h0, c0 = keras.Input((3, 2)), keras.Input((5,)), keras.Input((5,))
    sequence, h1, c1 = decoder_lstm(decoder_inputs, initial_state=[h0, c0])
    decoder = keras.Model([decoder_inputs, h0, c0], [sequence, h1, c1])
    x = np.random.default_rng(0).normal(size=(2, 6, 4)).astype("float32")
    y = np.random.default_rng(1).normal(size=(2, 3, 2)).astype("float32")
    states = encoder.predict(x, verbose=0)
    sequence, h1, c1 = decoder.predict([y] + states, verbose=0)
    np.testing.assert_allclose(sequence[:, -1], h1, rtol=1e-6)
    direct = decoder_lstm(y, initial_state=states)
    np.testing.assert_allclose(direct[0], sequence, rtol=1e-5, atol=1e-6)


# ----------------------------------------------------------------- stateful
def test_stateful_layer_called_eagerly_carries_its_states_like_keras(data):
    # keras.io's RNN guide: a stateful LSTM reads paragraph after paragraph
    layer = L.LSTM(4, stateful=True)
    layer.build((3, 5, 2))
    layer.set_weights(weights_of(data, "stateful_eager"))
    assert layer.states is not None and len(layer.states) == 2
    assert [tuple(s.shape) for s in layer.states] == [(3, 4), (3, 4)]
    for k in range(3):
        np.testing.assert_allclose(layer(data[f"stateful_eager.x.{k}"]), data[f"stateful_eager.out.{k}"],
                                   rtol=1e-5, atol=1e-6)
        for i, state in enumerate(layer.states):
            np.testing.assert_allclose(state.numpy(), data[f"stateful_eager.state.{k}.{i}"], rtol=1e-5, atol=1e-6)
    layer.reset_states()
    assert all(not s.numpy().any() for s in layer.states)
    np.testing.assert_allclose(layer(data["stateful_eager.x.0"]), data["stateful_eager.after_reset"],
                               rtol=1e-5, atol=1e-6)


def test_states_are_not_weights():
    layer = L.GRU(3, stateful=True)
    layer(np.zeros((2, 4, 5), "float32"))
    assert len(layer.weights) == 3 and len(layer.get_weights()) == 3
    assert layer.non_trainable_weights == []
    assert [s.path for s in layer.states] == [f"{layer.name}/rnn_state"]
    assert not layer.states[0].trainable
    assert layer.get_config()["stateful"] is True


def test_guide_state_reuse_passes_states_to_a_new_layer():
    rng = np.random.default_rng(0)
    paragraphs = [rng.random((20, 10, 50)).astype("float32") for _ in range(3)]
    lstm_layer = L.LSTM(64, stateful=True)
    lstm_layer(paragraphs[0])
    lstm_layer(paragraphs[1])
    existing_state = lstm_layer.states
    new_lstm_layer = L.LSTM(64)
    new_output = new_lstm_layer(paragraphs[2], initial_state=existing_state)
    assert tuple(new_output.shape) == (20, 64)
    # the same as starting the new layer from copies of those states
    copies = [s.numpy().copy() for s in existing_state]
    np.testing.assert_allclose(np.asarray(new_lstm_layer(paragraphs[2], initial_state=copies)),
                               np.asarray(new_output), rtol=1e-6)


def stateful_model():
    inputs = keras.Input(batch_shape=(3, 5, 2))
    rnn = L.GRU(4, stateful=True, return_sequences=True)
    return keras.Model(inputs, L.Dense(2)(rnn(inputs))), rnn


@pytest.mark.parametrize("run_eagerly", [False, True])
def test_stateful_model_carries_states_through_predict_fit_and_evaluate(data, run_eagerly):
    model, rnn = stateful_model()
    assert_paths(model, data, "stateful_model")
    model.set_weights(weights_of(data, "stateful_model"))
    x, y = data["stateful_model.x"], data["stateful_model.y"]
    np.testing.assert_allclose(model.predict(x, batch_size=3, verbose=0), data["stateful_model.predict"],
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(rnn.states[0].numpy(), data["stateful_model.predict_state"], rtol=1e-5, atol=1e-6)
    rnn.reset_state()
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse", run_eagerly=run_eagerly)
    model.fit(x, y, batch_size=3, epochs=1, shuffle=False, verbose=0)
    assert_weights(model, weights_of(data, "stateful_model", "trained"))
    np.testing.assert_allclose(rnn.states[0].numpy(), data["stateful_model.fit_state"], rtol=1e-4, atol=1e-5)
    loss = model.evaluate(x, y, batch_size=3, verbose=0)
    np.testing.assert_allclose(float(np.ravel(loss)[0]), float(data["stateful_model.evaluate"]), rtol=1e-4)
    np.testing.assert_allclose(rnn.states[0].numpy(), data["stateful_model.evaluate_state"], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(model.predict(x, batch_size=3, verbose=0), data["stateful_model.predict_after"],
                               rtol=1e-4, atol=1e-5)


def test_stateful_sequential_trains_on_consecutive_chunks_like_keras(data):
    model = keras.Sequential([keras.Input(batch_shape=(2, 4, 3)), L.LSTM(3, stateful=True, return_sequences=True),
                              L.LSTM(2, stateful=True), L.Dense(1)])
    assert_paths(model, data, "stateful_sequential")
    model.set_weights(weights_of(data, "stateful_sequential"))
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    losses = [float(np.ravel(model.train_on_batch(data[f"stateful_sequential.x.{k}"],
                                                  data[f"stateful_sequential.y.{k}"]))[0]) for k in range(2)]
    np.testing.assert_allclose(losses, data["stateful_sequential.losses"], rtol=1e-5)
    assert_weights(model, weights_of(data, "stateful_sequential", "trained"))
    np.testing.assert_allclose(model.predict(data["stateful_sequential.x.2"], verbose=0),
                               data["stateful_sequential.predict"], rtol=1e-4, atol=1e-5)
    model.reset_states()
    assert all(not s.numpy().any() for layer in model.layers if getattr(layer, "stateful", False)
               for s in layer.states)


def test_keras2_batch_input_shape_gives_a_stateful_sequential_its_batch():
    model = keras.Sequential([L.SimpleRNN(3, stateful=True, batch_input_shape=(2, 4, 1)), L.Dense(1)])
    assert [tuple(s.shape) for s in model.layers[0].states] == [(2, 3)]
    x = np.ones((2, 4, 1), "float32")
    first, second = model.predict(x, verbose=0), model.predict(x, verbose=0)
    assert not np.allclose(first, second)
    model.layers[0].reset_states()
    np.testing.assert_allclose(model.predict(x, verbose=0), first, rtol=1e-6)


@pytest.mark.parametrize("make", [
    lambda: keras.Sequential([keras.Input((4, 1), batch_size=2), L.GRU(3, stateful=True)]),
    lambda: keras.Sequential([L.GRU(3, stateful=True, input_shape=(4, 1), batch_size=2)]),
])
def test_batch_size_arguments_fix_the_batch_of_a_stateful_model(make):
    model = make()
    assert tuple(model.layers[0].states[0].shape) == (2, 3)
    x = np.ones((4, 4, 1), "float32")
    first = model.predict(x, batch_size=2, verbose=0)
    assert not np.allclose(first[:2], first[2:])     # the second batch starts from the first one's state
    model.reset_states()
    np.testing.assert_allclose(model.predict(x[:2], verbose=0), first[:2], rtol=1e-6)


def test_stateful_needs_a_fixed_batch_size():
    with pytest.raises(ValueError, match="batch size must be static"):
        L.LSTM(3, stateful=True)(keras.Input((5, 2)))


def test_stateful_refuses_another_batch_size():
    layer = L.GRU(2, stateful=True)
    layer(np.zeros((3, 4, 2), "float32"))
    with pytest.raises(ValueError, match="Expected batch size: 3"):
        layer(np.zeros((4, 4, 2), "float32"))


def test_reset_states_to_given_values_and_refused_when_not_stateful():
    layer = L.LSTM(2, stateful=True)
    layer(np.zeros((1, 3, 2), "float32"))
    layer.reset_states([np.ones((1, 2)), np.full((1, 2), 2.0)])
    assert layer.states[1].numpy().tolist() == [[2.0, 2.0]]
    with pytest.raises(AttributeError, match="stateful"):
        L.LSTM(2).reset_states()


def test_an_explicit_initial_state_overrides_the_carried_one():
    layer = L.SimpleRNN(2, stateful=True)
    x = np.ones((1, 3, 2), "float32")
    layer(x)
    start = np.zeros((1, 2), "float32")
    explicit = np.asarray(layer(x, initial_state=[start]))
    layer.reset_states()
    np.testing.assert_allclose(np.asarray(layer(x)), explicit, rtol=1e-6)


def test_stateful_bidirectional_and_step_by_step_cells_carry_states():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(2, 4, 3)).astype("float32")
    wrapper = L.Bidirectional(L.LSTM(2, stateful=True))
    first = np.asarray(wrapper(x))
    assert wrapper.stateful and len(wrapper.states) == 4
    assert not np.allclose(np.asarray(wrapper(x)), first)
    wrapper.reset_states()
    np.testing.assert_allclose(np.asarray(wrapper(x)), first, rtol=1e-6)
    # a cell of one's own runs step by step; its state carries all the same
    inputs = keras.Input(batch_shape=(2, 4, 3))
    rnn = L.RNN(L.SimpleRNNCell(3, activation="softsign"), stateful=True)
    model = keras.Model(inputs, rnn(inputs))
    first = model.predict(x, verbose=0)
    np.testing.assert_allclose(rnn.states[0].numpy(), first, rtol=1e-6)
    assert not np.allclose(model.predict(x, verbose=0), first)
    rnn.reset_states()
    np.testing.assert_allclose(model.predict(x, verbose=0), first, rtol=1e-6)


def test_stateful_model_from_its_config_is_stateful_again():
    model, _ = stateful_model()
    clone = keras.Model.from_config(model.get_config())
    rnn = [layer for layer in clone.layers if isinstance(layer, L.GRU)][0]
    assert rnn.stateful and tuple(rnn.states[0].shape) == (3, 4)
