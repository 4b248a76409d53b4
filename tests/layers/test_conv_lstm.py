"""ConvLSTM1D / ConvLSTM2D / ConvLSTM3D against real Keras 3: outputs, states, gradients, configs,
training, files both ways, masks, stateful calls and bad input.

The numbers come from tests/fixtures/conv_lstm.npz (made by real Keras 3.15,
jax backend, with tests/fixtures/make_conv_lstm_fixtures.py); the test that
has Keras 3 read kerasette's files imports the installed Keras (skipped
where it is absent; CI installs it).
"""
from __future__ import annotations

import importlib
import json
import os

import numpy as np
import pytest

import kerasette
from kerasette import Input, Model, Sequential, Tensor, backend, engine, layers, ops, optimizers
from kerasette.engine import Session
from kerasette.layers.serialization import keras3_layer_config
from kerasette.primitives.base import ShapeError

HERE = os.path.dirname(__file__)
FIXTURES = os.path.join(HERE, os.pardir, "fixtures")
DATA = np.load(os.path.join(FIXTURES, "conv_lstm.npz"), allow_pickle=False)
CASES = sorted({key.split(".")[0] for key in DATA.files if key.endswith(".spec")})
RTOL, ATOL = 1e-5, 2e-6
GRAD_RTOL, GRAD_ATOL = 1e-4, 1e-5


@pytest.fixture(autouse=True)
def fresh_state():
    backend.clear_session()
    backend.set_seed(0)
    yield


def spec(case):
    return json.loads(str(DATA[f"{case}.spec"]))


def arrays(case, kind):
    found, i = [], 0
    while f"{case}.{kind}.{i}" in DATA.files:
        found.append(DATA[f"{case}.{kind}.{i}"])
        i += 1
    return found


def make_layer(case):
    info = spec(case)
    layer = getattr(layers, info["class"])(**info["kwargs"])
    layer.build(DATA[f"{case}.inputs"].shape)
    layer.set_weights(arrays(case, "weights"))
    return layer


def call_arguments(case, states=None, mask=None):
    kwargs = {}
    if f"{case}.mask" in DATA.files:
        kwargs["mask"] = DATA[f"{case}.mask"] if mask is None else mask
    given = arrays(case, "state") if states is None else states
    if given:
        kwargs["initial_state"] = list(given)
    return kwargs


def symbolic_model(case, layer):
    """Input(s) -> the layer, as a functional model: (model, placeholders, feeds)."""
    x = DATA[f"{case}.inputs"]
    inputs = [Input(x.shape[1:])]
    feeds = [x]
    states = [Input(s.shape[1:]) for s in arrays(case, "state")]
    inputs += states
    feeds += arrays(case, "state")
    mask = None
    if f"{case}.mask" in DATA.files:
        mask = Input(x.shape[1:2], dtype="bool")
        inputs.append(mask)
        feeds.append(DATA[f"{case}.mask"])
    outputs = layer(inputs[0], **call_arguments(case, states=states, mask=mask))
    return Model(inputs, outputs), inputs, feeds


def as_list(result):
    return list(result) if isinstance(result, (list, tuple)) else [result]


@pytest.mark.parametrize("mode", ["eager", "graph"])
@pytest.mark.parametrize("case", CASES)
def test_outputs_and_states_match_keras(case, mode):
    layer = make_layer(case)
    if mode == "eager":
        got = as_list(layer(DATA[f"{case}.inputs"], **call_arguments(case)))
    else:
        model, _, feeds = symbolic_model(case, layer)
        got = as_list(model.predict(feeds if len(feeds) > 1 else feeds[0], verbose=0))
    expected = arrays(case, "outputs")
    assert len(got) == len(expected)
    for value, want in zip(got, expected):
        value = np.asarray(value)
        assert value.shape == want.shape
        np.testing.assert_allclose(value, want, rtol=RTOL, atol=ATOL, err_msg=case)


@pytest.mark.parametrize("case", CASES)
def test_eager_gradients_match_keras(case):
    layer = make_layer(case)
    x = Tensor(DATA[f"{case}.inputs"], requires_grad=True)
    outputs = as_list(layer(x, **call_arguments(case)))
    total = None
    for out, cot in zip(outputs, arrays(case, "cotangents")):
        term = ops.sum(ops.multiply(out, cot))
        total = term if total is None else total + term
    total.backward()
    np.testing.assert_allclose(x.grad.numpy(), DATA[f"{case}.grad_inputs"], rtol=GRAD_RTOL, atol=GRAD_ATOL,
                               err_msg=f"{case}: input gradient")
    expected = arrays(case, "grad_weights")
    assert len(expected) == len(layer.trainable_weights)
    for weight, grad in zip(layer.trainable_weights, expected):
        np.testing.assert_allclose(np.asarray(weight.grad), grad, rtol=GRAD_RTOL, atol=GRAD_ATOL,
                                   err_msg=f"{case}: gradient of {weight.path}")


@pytest.mark.parametrize("case", CASES)
def test_compiled_gradients_match_keras(case):
    layer = make_layer(case)
    model, inputs, feeds = symbolic_model(case, layer)
    total = None
    for out, cot in zip(as_list(model.outputs), arrays(case, "cotangents")):
        term = ops.sum(ops.multiply(out, cot))
        total = term if total is None else total + term
    wanted = [inputs[0]] + [engine.variable_from_holder(w) for w in layer.trainable_weights]
    values = Session().run(engine.gradients(total, wanted), dict(zip(inputs, feeds)))
    expected = [DATA[f"{case}.grad_inputs"]] + arrays(case, "grad_weights")
    for value, want in zip(values, expected):
        np.testing.assert_allclose(value, want, rtol=GRAD_RTOL, atol=GRAD_ATOL, err_msg=case)


@pytest.mark.parametrize("case", CASES)
def test_weights_config_and_output_shape_match_keras(case):
    info = spec(case)
    layer = make_layer(case)
    # Keras numbered its layers in the order the fixture made them: compare under our name
    keras_name = info["config"]["name"]
    assert [p.split("/")[0] for p in info["paths"]] == [keras_name] * len(info["paths"])
    assert [w.path for w in layer.weights] == [layer.name + p[len(keras_name):] for p in info["paths"]]
    assert [tuple(w.shape) for w in layer.weights] == [w.shape for w in arrays(case, "weights")]
    config = json.loads(json.dumps(keras3_layer_config(layer.get_config(), info["class"]), default=list))
    config.pop("dtype")
    keras_config = {**info["config"], "name": layer.name}
    # Keras 3.15's variance-scaling initializers also record input_axes/output_axes (None by
    # default), which kerasette's initializers (not this layer) do not have yet
    keras_config["kernel_initializer"]["config"] = {
        k: v for k, v in keras_config["kernel_initializer"]["config"].items()
        if k not in ("input_axes", "output_axes") or v is not None}
    assert config == keras_config
    assert list(config) == list(keras_config)
    shape = (None,) + DATA[f"{case}.inputs"].shape[1:]
    ours = layer.compute_output_shape(shape)
    ours = [list(s) for s in ours] if isinstance(ours, list) else list(ours)
    assert ours == info["output_shape"]
    again = type(layer).from_config(layer.get_config())
    assert again.get_config() == layer.get_config()
    again.build(DATA[f"{case}.inputs"].shape)
    again.set_weights(layer.get_weights())
    for a, b in zip(as_list(again(DATA[f"{case}.inputs"], **call_arguments(case))), arrays(case, "outputs")):
        np.testing.assert_allclose(np.asarray(a), b, rtol=RTOL, atol=ATOL)


def test_central_differences_in_float64_through_the_harness():
    """The layer composes ops only: its gradients (eager tape and compiled graph) agree with
    central differences of the float64 forward, as the primitive harness checks a primitive."""
    from tests.primitives.harness import numeric_gradient
    rng = np.random.default_rng(4)
    layer = layers.ConvLSTM1D(2, 2, padding="same", return_sequences=True, dtype="float64")
    x = rng.standard_normal((1, 3, 4, 2))
    layer.build(x.shape)
    kernel = rng.standard_normal(layer.cell.kernel.shape) * 0.5
    layer.set_weights([kernel] + [rng.standard_normal(w.shape) * 0.5 for w in layer.weights[1:]])
    cot = rng.standard_normal((1, 3, 4, 2))

    def scalar(x, kernel):
        layer.cell.kernel.assign(kernel)
        return float(np.sum(np.asarray(layer(x)) * cot))

    expected_x = numeric_gradient(scalar, [x, kernel], 0, 1e-6)
    expected_kernel = numeric_gradient(scalar, [x, kernel], 1, 1e-6)
    layer.cell.kernel.assign(kernel)
    tensor = Tensor(x, requires_grad=True)
    ops.sum(ops.multiply(layer(tensor), cot)).backward()
    np.testing.assert_allclose(tensor.grad.numpy(), expected_x, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(layer.cell.kernel.grad.numpy(), expected_kernel, rtol=1e-6, atol=1e-9)
    placeholder = Input(x.shape[1:], dtype="float64")
    total = ops.sum(ops.multiply(layer(placeholder), cot))
    grads = Session().run(engine.gradients(total, [placeholder, engine.variable_from_holder(layer.cell.kernel)]),
                          {placeholder: x})
    np.testing.assert_allclose(grads[0], expected_x, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(grads[1], expected_kernel, rtol=1e-6, atol=1e-9)


def build_training_model(K):
    inputs = K.Input((4, 6, 6, 2))
    h = K.layers.ConvLSTM2D(3, 3, padding="same", return_sequences=True)(inputs)
    h = K.layers.ConvLSTM2D(2, 3, go_backwards=True)(h)
    h = K.layers.GlobalAveragePooling2D()(h)
    return K.Model(inputs, K.layers.Dense(3, activation="softmax")(h))


def build_file_model(K):
    inputs = K.Input((3, 5, 5, 2))
    h = K.layers.ConvLSTM2D(3, 3, padding="same", return_sequences=True, name="frames")(inputs)
    h = K.layers.ConvLSTM2D(2, 2, strides=2, name="summary_frame")(h)
    h = K.layers.Flatten()(h)
    return K.Model(inputs, K.layers.Dense(2, name="head")(h))


def test_three_adam_steps_give_keras_losses_and_weights():
    model = build_training_model(kerasette)
    model.set_weights(arrays("train", "weights"))
    model.compile(optimizer=optimizers.Adam(learning_rate=0.02), loss="sparse_categorical_crossentropy")
    losses = [float(np.ravel(model.train_on_batch(DATA[f"train.x.{i}"], DATA[f"train.y.{i}"]))[0])
              for i in range(3)]
    np.testing.assert_allclose(losses, DATA["train.losses"], rtol=1e-5)
    for weight, final in zip(model.get_weights(), arrays("train", "final")):
        np.testing.assert_allclose(weight, final, rtol=1e-4, atol=1e-5)


def test_summary_counts_keras_parameters():
    model = build_file_model(kerasette)
    lines = []
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    # frames: 3*3*(2+3)*12 + 12 = 552; summary_frame: 2*2*(3+2)*8 + 8 = 168; head: 8*2 + 2 = 18
    assert "frames (ConvLSTM2D)" in text and "(None, 3, 5, 5, 3)" in text and "552" in text
    assert "summary_frame (ConvLSTM2D)" in text and "(None, 2, 2, 2)" in text and "168" in text
    assert "Total params: 738" in text
    assert model.get_layer("frames").count_params() == 552


def test_kerasette_reads_keras3_weights_and_archive(tmp_path):
    from kerasette.saving import load_model
    model = build_file_model(kerasette)
    model.load_weights(os.path.join(FIXTURES, "conv_lstm_model.weights.h5"))
    np.testing.assert_allclose(model.predict(DATA["file.inputs"], verbose=0), DATA["file.outputs"],
                               rtol=RTOL, atol=ATOL)
    loaded = load_model(os.path.join(FIXTURES, "conv_lstm_model.keras"))
    assert [type(layer).__name__ for layer in loaded.layers][1:3] == ["ConvLSTM2D", "ConvLSTM2D"]
    assert loaded.get_layer("summary_frame").strides == (2, 2)
    np.testing.assert_allclose(loaded.predict(DATA["file.inputs"], verbose=0), DATA["file.outputs"],
                               rtol=RTOL, atol=ATOL)
    # legacy .h5 (Keras 2's layout), whole model and weights, within kerasette
    loaded.save(tmp_path / "m.h5")
    loaded.save_weights(tmp_path / "w.h5")
    again = kerasette.models.load_model(str(tmp_path / "m.h5"))
    np.testing.assert_allclose(again.predict(DATA["file.inputs"], verbose=0), DATA["file.outputs"],
                               rtol=RTOL, atol=ATOL)
    fresh = build_file_model(kerasette)
    fresh.load_weights(str(tmp_path / "w.h5"))
    np.testing.assert_allclose(fresh.predict(DATA["file.inputs"], verbose=0), DATA["file.outputs"],
                               rtol=RTOL, atol=ATOL)


def test_kerasette_reads_a_tf_keras_legacy_h5_with_keras2_defaults(tmp_path):
    """tf.keras 2's ConvLSTM2D: recurrent_activation='hard_sigmoid' (Keras 2's), time_major in
    its config, weights named frames/kernel:0 (no cell scope)."""
    expected = np.load(os.path.join(FIXTURES, "conv_lstm_tf_keras.npz"))
    model = kerasette.models.load_model(os.path.join(FIXTURES, "conv_lstm_tf_keras.h5"))
    frames = model.get_layer("frames")
    assert isinstance(frames, layers.ConvLSTM2D)
    # Keras 2's hard sigmoid (0.2 x + 0.5), not Keras 3's (x / 6 + 0.5)
    np.testing.assert_allclose(np.asarray(frames.recurrent_activation(np.float32([1.0]))), [0.7], rtol=1e-6)
    np.testing.assert_allclose(model.predict(expected["inputs"], verbose=0), expected["outputs"],
                               rtol=RTOL, atol=ATOL)
    fresh = build_file_model(kerasette)
    for layer in fresh.layers:
        if isinstance(layer, layers.ConvLSTM2D):
            layer.cell.recurrent_activation = model.get_layer(layer.name).recurrent_activation
    fresh.load_weights(os.path.join(FIXTURES, "conv_lstm_tf_keras.h5"))
    np.testing.assert_allclose(fresh.predict(expected["inputs"], verbose=0), expected["outputs"],
                               rtol=RTOL, atol=ATOL)


def real_keras3():
    os.environ.setdefault("KERAS_BACKEND", "jax")
    try:
        module = importlib.import_module("keras")
    except Exception as error:   # absent, or present without a working backend
        pytest.skip(f"keras is not importable here: {type(error).__name__}")
    if module is kerasette or not hasattr(module, "models"):
        pytest.skip("keras is not real Keras")
    return module


def test_real_keras3_reads_kerasette_files(tmp_path):
    K = real_keras3()
    rng = np.random.default_rng(12)
    model = build_file_model(kerasette)
    model.set_weights([rng.standard_normal(w.shape).astype("float32") * 0.4 for w in model.weights])
    x = DATA["file.inputs"]
    expected = model.predict(x, verbose=0)
    model.save(tmp_path / "m.keras")
    model.save_weights(tmp_path / "w.weights.h5")
    theirs = K.models.load_model(str(tmp_path / "m.keras"))
    np.testing.assert_allclose(np.asarray(theirs.predict(x, verbose=0)), expected, rtol=RTOL, atol=ATOL)
    rebuilt = build_file_model(K)
    rebuilt.load_weights(str(tmp_path / "w.weights.h5"))
    np.testing.assert_allclose(np.asarray(rebuilt.predict(x, verbose=0)), expected, rtol=RTOL, atol=ATOL)


def test_bidirectional_conv_lstm_matches_keras():
    x = DATA["bidirectional.inputs"]
    layer = layers.Bidirectional(layers.ConvLSTM2D(2, 3, padding="same", return_sequences=True))
    layer.build(x.shape)
    keras_paths = json.loads(str(DATA["bidirectional.paths"]))
    # <bidirectional>/<forward|backward>_<inner name>/conv_lstm_cell/<weight>; Keras numbered its names
    def shape_of_path(path):
        parts = path.split("/")
        return [parts[1].split("_")[0]] + parts[2:]
    assert [shape_of_path(w.path) for w in layer.weights] == [shape_of_path(p) for p in keras_paths]
    assert [shape_of_path(p)[0] for p in keras_paths] == ["forward"] * 3 + ["backward"] * 3
    layer.set_weights(arrays("bidirectional", "weights"))
    np.testing.assert_allclose(np.asarray(layer(x)), DATA["bidirectional.outputs"], rtol=RTOL, atol=ATOL)
    model = Model(inputs := Input(x.shape[1:]), layer(inputs))
    np.testing.assert_allclose(model.predict(x, verbose=0), DATA["bidirectional.outputs"], rtol=RTOL, atol=ATOL)


def test_stateful_carries_image_states_between_calls():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 6, 5, 5, 1)).astype("float32")
    whole = layers.ConvLSTM2D(2, 3, padding="same", return_sequences=True)
    whole.build(x.shape)
    stateful = layers.ConvLSTM2D(2, 3, padding="same", return_sequences=True, stateful=True)
    stateful.build(x.shape)
    stateful.set_weights(whole.get_weights())
    assert [tuple(s.shape) for s in stateful.states] == [(2, 5, 5, 2)] * 2
    assert len(stateful.weights) == 3
    expected = np.asarray(whole(x))
    halves = [np.asarray(stateful(x[:, :3])), np.asarray(stateful(x[:, 3:]))]
    np.testing.assert_allclose(np.concatenate(halves, axis=1), expected, rtol=1e-5, atol=1e-6)
    stateful.reset_state()
    assert not np.any(stateful.states[0].numpy())
    np.testing.assert_allclose(np.asarray(stateful(x[:, :3])), expected[:, :3], rtol=1e-5, atol=1e-6)
    # compiled: a fixed batch size, the states written by predict
    backend.clear_session()
    model = Sequential([Input(batch_shape=(2, 3, 5, 5, 1)),
                        layers.ConvLSTM2D(2, 3, padding="same", return_sequences=True, stateful=True)])
    model.layers[0].set_weights(whole.get_weights())
    parts = [model.predict(x[:, :3], batch_size=2, verbose=0), model.predict(x[:, 3:], batch_size=2, verbose=0)]
    np.testing.assert_allclose(np.concatenate(parts, axis=1), expected, rtol=1e-5, atol=1e-6)


def test_dropout_draws_one_mask_per_gate_and_sequence_and_only_in_training():
    rng = np.random.default_rng(6)
    x = rng.standard_normal((2, 4, 5, 3)).astype("float32")
    plain = layers.ConvLSTM1D(2, 3, padding="same", return_sequences=True)
    dropped = layers.ConvLSTM1D(2, 3, padding="same", return_sequences=True, dropout=0.5, recurrent_dropout=0.3,
                                seed=1)
    plain.build(x.shape)
    dropped.build(x.shape)
    dropped.set_weights(plain.get_weights())
    np.testing.assert_allclose(np.asarray(dropped(x)), np.asarray(plain(x)), rtol=1e-6)
    trained = np.asarray(dropped(x, training=True))
    assert trained.shape == (2, 4, 5, 2) and not np.allclose(trained, np.asarray(plain(x)))
    # a graph trains with it: the loss goes down on a fixed batch
    model = Sequential([Input((4, 5, 3)), layers.ConvLSTM1D(2, 3, dropout=0.2, recurrent_dropout=0.2, seed=3),
                        layers.Flatten(), layers.Dense(1)])
    model.compile(optimizer=optimizers.Adam(0.02), loss="mse")
    y = rng.standard_normal((2, 1)).astype("float32")
    history = model.fit(x, y, epochs=15, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_masks_pass_through_return_sequences_and_zero_output_for_mask():
    rng = np.random.default_rng(7)
    x = rng.standard_normal((2, 4, 3, 3, 2)).astype("float32")
    mask = np.array([[True] * 4, [True, True, False, False]])
    layer = layers.ConvLSTM2D(2, 2, return_sequences=True, zero_output_for_mask=True)
    outputs = np.asarray(layer(x, mask=mask))
    assert np.all(outputs[1, 2:] == 0.0) and np.any(outputs[1, :2] != 0.0)
    # a per-pixel mask (Masking's, over the channels) is not a (batch, time) mask
    with pytest.raises(ShapeError, match=r"mask of shape \(batch, time\), got \(2, 4, 3, 3\) for input shape "
                                         r"\(2, 4, 3, 3, 2\)"):
        layer(layers.Masking(0.0)(x))
    assert layer.compute_mask(x, np.ones((2, 4), bool)).shape == (2, 4)
    last = layers.ConvLSTM2D(2, 2, return_state=True)
    assert last.compute_mask(x, np.ones((2, 4), bool)) == [None, None, None]


def test_mixed_float16_computes_in_float16_and_trains_float32_weights():
    """As Keras 3: float16 outputs and states, float32 variables that the gradients reach."""
    x = np.random.default_rng(8).random((2, 3, 5, 5, 2)).astype("float32")
    mixed = layers.ConvLSTM2D(2, 3, dtype="mixed_float16", return_state=True)
    outputs = mixed(x)
    assert [np.asarray(o).dtype for o in outputs] == [np.float16] * 3
    assert [w.dtype for w in mixed.weights] == [np.float32] * 3
    plain = layers.ConvLSTM2D(2, 3, return_state=True)
    plain.build(x.shape)
    plain.set_weights(mixed.get_weights())
    for a, b in zip(outputs, plain(x)):
        np.testing.assert_allclose(np.asarray(a, dtype="float32"), np.asarray(b), rtol=5e-3, atol=2e-3)
    inputs = Input((3, 5, 5, 2))
    model = Model(inputs, layers.Flatten()(layers.ConvLSTM2D(2, 3, dtype="mixed_float16")(inputs)))
    assert model.predict(x, verbose=0).dtype == np.float16
    model.compile(optimizer=optimizers.SGD(0.1), loss="mse")
    before = [w.copy() for w in model.get_weights()]
    model.train_on_batch(x, np.zeros((2, 18), "float32"))
    assert all(w.dtype == np.float32 and not np.array_equal(w, b) for w, b in zip(model.get_weights(), before))


def test_layer_arguments_defaults_and_names():
    layer = layers.ConvLSTM3D(4, 3)
    assert layer.name == "conv_lstm3d"
    assert (layer.strides, layer.padding, layer.dilation_rate, layer.data_format) == (
        (1, 1, 1), "valid", (1, 1, 1), "channels_last")
    assert (layer.return_sequences, layer.return_state, layer.go_backwards, layer.stateful, layer.unroll) == (
        False, False, False, False, False)
    assert layer.unit_forget_bias is True and layer.dropout == 0.0 and layer.seed is None
    layer.build((None, 2, 5, 5, 5, 3))
    bias = layer.cell.bias.numpy()
    np.testing.assert_array_equal(bias, np.r_[np.zeros(4), np.ones(4), np.zeros(8)])
    assert layer.count_params() == 3 ** 3 * (3 + 4) * 16 + 16
    assert layers.ConvLSTM1D(2, 2, use_bias=False, name="x").name == "x"
    assert layers.deserialize(layers.serialize(layers.ConvLSTM2D(2, 3))).__class__ is layers.ConvLSTM2D


def test_bad_input_names_the_layer_and_the_shapes():
    layer = layers.ConvLSTM2D(2, 3)
    with pytest.raises(ShapeError, match=r"ConvLSTM2D 'conv_lstm2d' expects an input of rank 5, got shape "
                                         r"\(2, 4, 6, 3\)"):
        layer(np.zeros((2, 4, 6, 3), "float32"))
    assert not layer.built and layer.weights == []
    with pytest.raises(ShapeError, match=r"ConvLSTM1D .*rank 4.*\(None, 3, 5, 5, 2\)"):
        layers.ConvLSTM1D(2, 3)(Input((3, 5, 5, 2)))
    with pytest.raises(ShapeError, match=r"static spatial sizes.*\(None, None, 5, 2\)"):
        layers.ConvLSTM2D(2, 3)(Input((3, None, 5, 2)))
    with pytest.raises(ShapeError, match=r"known number of timesteps.*\(None, None, 5, 5, 2\)"):
        layers.ConvLSTM2D(2, 3)(Input((None, 5, 5, 2)))
    with pytest.raises(ValueError, match="strides > 1.*dilation_rate > 1"):
        layers.ConvLSTM2D(2, 3, strides=2, dilation_rate=2)
    with pytest.raises(ValueError, match="initial state must be"):
        layers.ConvLSTM2D(2, 3, padding="same")(np.zeros((1, 2, 4, 4, 1), "float32"),
                                                initial_state=[np.zeros((1, 3, 3, 2), "float32")] * 2)
    with pytest.raises(ValueError, match="padding"):
        layers.ConvLSTM2D(2, 3, padding="full")
    # once built: the channels and the image size are fixed, and a refused call changes nothing
    built = layers.ConvLSTM2D(2, 3)
    built(np.zeros((1, 2, 5, 5, 2), "float32"))
    before = [w.copy() for w in built.get_weights()]
    with pytest.raises(ShapeError, match=r"ConvLSTM2D 'conv_lstm2d_\d+' expects an input with last axis 2, got "
                                         r"\(1, 2, 5, 5, 3\)"):
        built(np.zeros((1, 2, 5, 5, 3), "float32"))
    with pytest.raises(ShapeError, match=r"built for images of spatial shape \(5, 5\), got input shape "
                                         r"\(1, 2, 6, 5, 2\)"):
        built(np.zeros((1, 2, 6, 5, 2), "float32"))
    assert all(np.array_equal(a, b) for a, b in zip(before, built.get_weights()))
    first = layers.ConvLSTM1D(2, 3, data_format="channels_first")
    first(np.zeros((1, 2, 4, 5), "float32"))
    with pytest.raises(ShapeError, match=r"axis 2 4, got \(1, 2, 3, 5\)"):
        first(np.zeros((1, 2, 3, 5), "float32"))
