"""Whole models: save / load_model, training that continues exactly, JSON configs, custom objects,
Lambda safe mode, subclassed models."""
import json

import h5py
import numpy as np
import pytest

from kerasette import Input, Model, Sequential, backend, losses, metrics, ops
from kerasette.layers import BatchNormalization, Concatenate, Conv2D, Dense, Embedding, Flatten, Lambda, Layer
from kerasette.saving import (SubclassedModelError, UnsafeDeserializationError, custom_object_scope,
                              get_custom_objects, get_registered_name, load_model, model_from_json,
                              register_keras_serializable, save_model)


@pytest.fixture(autouse=True)
def fresh_names():
    backend.clear_session()
    yield


RNG = np.random.default_rng(3)
X = RNG.normal(0, 1, (8, 4)).astype("float32")
Y = RNG.normal(0, 1, (8, 2)).astype("float32")


def mlp():
    return Sequential([Input(shape=(4,)), Dense(5, activation="relu", name="hidden"),
                       BatchNormalization(name="bn"), Dense(2, name="out")], name="mlp")


def functional():
    image = Input(shape=(5, 5, 1), name="image")
    tokens = Input(shape=(3,), dtype="int32", name="tokens")
    x = Flatten(name="flat")(BatchNormalization(name="bn")(Conv2D(2, 3, activation="relu", name="conv")(image)))
    e = Flatten(name="eflat")(Embedding(6, 2, name="embed")(tokens))
    out = Dense(2, activation="softmax", name="out")(Concatenate(name="cat")([x, e]))
    return Model([image, tokens], out, name="two_inputs")


def two_input_data(n=6, seed=0):
    rng = np.random.default_rng(seed)
    xs = [rng.normal(0, 1, (n, 5, 5, 1)).astype("float32"), rng.integers(0, 6, (n, 3)).astype("int32")]
    ys = np.eye(2, dtype="float32")[rng.integers(0, 2, n)]
    return xs, ys


def test_file_layout_is_keras_layout(tmp_path):
    model = mlp()
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    model.fit(X, Y, epochs=1, batch_size=4, verbose=0)
    model.save(tmp_path / "m.h5")
    with h5py.File(tmp_path / "m.h5", "r") as f:
        config = json.loads(f.attrs["model_config"])
        assert config["class_name"] == "Sequential"
        assert [entry["class_name"] for entry in config["config"]["layers"]] == [
            "InputLayer", "Dense", "BatchNormalization", "Dense"]
        training = json.loads(f.attrs["training_config"])
        assert training["loss"] == "mean_squared_error" and training["metrics"] == ["mae"]
        assert training["optimizer_config"]["class_name"] == "Adam"
        assert list(f["model_weights"].attrs["layer_names"]) == ["hidden", "bn", "out"]
        names = list(f["optimizer_weights"].attrs["weight_names"])
        assert names[:3] == ["adam/iteration", "adam/learning_rate", "adam/hidden_kernel_momentum"]
        assert f["optimizer_weights/adam/iteration"][()] == 2


@pytest.mark.parametrize("optimizer", ["adam", "sgd_momentum", "rmsprop"])
def test_save_load_continue_equals_the_run_that_never_stopped(tmp_path, optimizer):
    from kerasette import optimizers

    def make_optimizer():
        if optimizer == "sgd_momentum":
            return optimizers.SGD(learning_rate=0.05, momentum=0.9, nesterov=True)
        if optimizer == "rmsprop":
            return optimizers.RMSprop(learning_rate=0.01, momentum=0.5, centered=True)
        return optimizers.Adam(learning_rate=0.01, amsgrad=True)

    model = mlp()
    model.compile(optimizer=make_optimizer(), loss="mse", metrics=["mae"])
    model.fit(X, Y, epochs=2, batch_size=4, shuffle=False, verbose=0)
    model.save(tmp_path / "m.h5")
    restored = load_model(tmp_path / "m.h5")
    assert int(restored.optimizer.iterations.numpy()) == 4
    np.testing.assert_array_equal(restored.predict(X, verbose=0), model.predict(X, verbose=0))
    model.fit(X, Y, epochs=1, batch_size=4, shuffle=False, verbose=0)
    restored.fit(X, Y, epochs=1, batch_size=4, shuffle=False, verbose=0)
    for a, b in zip(model.get_weights(), restored.get_weights()):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(model.optimizer.variables, restored.optimizer.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_functional_two_inputs_round_trip_and_continue(tmp_path):
    model = functional()
    xs, ys = two_input_data()
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    model.train_on_batch(xs, ys)
    model.save(tmp_path / "f.h5")
    restored = load_model(tmp_path / "f.h5")
    assert restored.input_names == ["image", "tokens"]
    np.testing.assert_array_equal(np.asarray(restored(xs)), np.asarray(model(xs)))
    model.train_on_batch(xs, ys)
    restored.train_on_batch(xs, ys)
    for a, b in zip(model.get_weights(), restored.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert restored.evaluate(xs, ys, verbose=0) == model.evaluate(xs, ys, verbose=0)


def test_nested_models_round_trip(tmp_path):
    inner = Sequential([Input(shape=(4,)), Dense(3, activation="tanh", name="hidden")], name="inner")
    inputs = Input(shape=(4,), name="x")
    branch = Model(inputs, Dense(3, name="side")(inputs), name="branch")
    outer_in = Input(shape=(4,), name="outer_x")
    joined = Concatenate(name="cat")([inner(outer_in), branch(outer_in)])
    model = Model(outer_in, Dense(2, name="head")(joined), name="outer")
    model.save(tmp_path / "n.h5")
    restored = load_model(tmp_path / "n.h5")
    assert [layer.name for layer in restored.layers] == [layer.name for layer in model.layers]
    np.testing.assert_array_equal(np.asarray(restored(X)), np.asarray(model(X)))


def test_include_optimizer_false_and_compile_false(tmp_path):
    model = mlp()
    model.compile(optimizer="adam", loss="mse")
    model.train_on_batch(X, Y)
    model.save(tmp_path / "plain.h5", include_optimizer=False)
    with h5py.File(tmp_path / "plain.h5", "r") as f:
        assert "training_config" not in f.attrs and "optimizer_weights" not in f
    assert not load_model(tmp_path / "plain.h5").compiled
    model.save(tmp_path / "full.h5")
    assert not load_model(tmp_path / "full.h5", compile=False).compiled


def test_uncompiled_model_saves(tmp_path):
    model = mlp()
    model.save(tmp_path / "u.h5")
    restored = load_model(tmp_path / "u.h5")
    assert not restored.compiled
    np.testing.assert_array_equal(np.asarray(restored(X)), np.asarray(model(X)))


def test_to_json_and_model_from_json(tmp_path):
    model = functional()
    text = model.to_json()
    parsed = json.loads(text)
    assert parsed["class_name"] == "Functional" and parsed["config"]["name"] == "two_inputs"
    clone = model_from_json(text)
    assert [layer.name for layer in clone.layers] == [layer.name for layer in model.layers]
    assert clone.count_params() == model.count_params()
    clone.set_weights(model.get_weights())
    xs, _ = two_input_data()
    np.testing.assert_array_equal(np.asarray(clone(xs)), np.asarray(model(xs)))
    seq = mlp()
    seq_clone = model_from_json(seq.to_json())
    assert type(seq_clone).__name__ == "Sequential" and seq_clone.count_params() == seq.count_params()


def test_model_from_json_reads_a_keras3_config():
    keras3 = {"module": "keras.src.models.functional", "class_name": "Functional", "registered_name": "Functional",
              "config": {"name": "f", "trainable": True, "layers": [
                  {"class_name": "InputLayer", "name": "x", "inbound_nodes": [],
                   "config": {"batch_shape": [None, 3], "dtype": "float32", "sparse": False, "ragged": False,
                              "name": "x", "optional": False}},
                  {"module": "keras.layers", "class_name": "Dense", "name": "d",
                   "config": {"name": "d", "trainable": True, "units": 2, "activation": "relu", "use_bias": True,
                              "dtype": {"module": "keras", "class_name": "DTypePolicy",
                                        "config": {"name": "float32"}, "registered_name": None},
                              "kernel_initializer": {"module": "keras.initializers", "class_name": "GlorotUniform",
                                                     "config": {"seed": None, "input_axes": None,
                                                                "output_axes": None}, "registered_name": None},
                              "bias_initializer": "zeros", "kernel_regularizer": None, "bias_regularizer": None,
                              "kernel_constraint": None, "bias_constraint": None, "quantization_config": None,
                              "lora_rank": None},
                   "build_config": {"input_shape": [None, 3]},
                   "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {
                       "shape": [None, 3], "dtype": "float32", "keras_history": ["x", 0, 0]}}], "kwargs": {}}]}],
                  "input_layers": [["x", 0, 0]], "output_layers": ["d", 0, 0]}}
    model = model_from_json(json.dumps(keras3))
    assert model.layers[1].units == 2 and model.outputs[0].shape == (None, 2)


def test_unsupported_argument_in_a_foreign_config_is_named():
    config = {"class_name": "Sequential", "config": {"name": "s", "layers": [
        {"class_name": "InputLayer", "config": {"batch_input_shape": [None, 3], "name": "i"}},
        {"class_name": "Dense", "config": {"name": "d", "units": 2, "lora_rank": 4}}]}}
    with pytest.raises(ValueError, match=r"Layer 'd' \(Dense\).*lora_rank=4"):
        model_from_json(json.dumps(config))


# ------------------------------------------------------------ custom objects
class Scale(Layer):
    def __init__(self, factor=2.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def build(self, input_shape):
        self.gain = self.add_weight(name="gain", shape=(input_shape[-1],), initializer="ones")

    def call(self, inputs):
        return inputs * self.gain * self.factor

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


def scaled_model():
    inputs = Input(shape=(4,))
    return Model(inputs, Dense(2, name="d")(Scale(3.0, name="scale")(inputs)))


def test_custom_layer_needs_custom_objects(tmp_path):
    model = scaled_model()
    model.get_layer("scale").gain.assign(np.array([1, 2, 3, 4], "float32"))
    model.save(tmp_path / "c.h5")
    with pytest.raises(ValueError, match="Unknown layer: 'Scale'"):
        load_model(tmp_path / "c.h5")
    restored = load_model(tmp_path / "c.h5", custom_objects={"Scale": Scale})
    np.testing.assert_array_equal(np.asarray(restored(X)), np.asarray(model(X)))
    assert restored.get_layer("scale").factor == 3.0
    with custom_object_scope({"Scale": Scale}):
        again = load_model(tmp_path / "c.h5")
    np.testing.assert_array_equal(np.asarray(again(X)), np.asarray(model(X)))


def test_registered_layer_loss_and_metric(tmp_path):
    @register_keras_serializable(package="tests")
    class Shift(Layer):
        def call(self, inputs):
            return inputs + 1.0

    @register_keras_serializable(package="tests")
    def doubled_mse(y_true, y_pred):
        return 2.0 * losses.mean_squared_error(y_true, y_pred)

    @register_keras_serializable(package="tests")
    class MaxError(metrics.MeanMetricWrapper):
        def __init__(self, name="max_error", dtype=None):
            super().__init__(lambda t, p: ops.max(ops.abs(t - p), axis=-1), name=name, dtype=dtype)

        def get_config(self):
            return {"name": self.name}

    assert get_registered_name(Shift) == "tests>Shift"
    assert get_custom_objects()["tests>doubled_mse"] is doubled_mse
    inputs = Input(shape=(4,))
    model = Model(inputs, Dense(2, name="d")(Shift(name="shift")(inputs)))
    model.compile(optimizer="sgd", loss=doubled_mse, metrics=[MaxError()])
    model.train_on_batch(X, Y)
    model.save(tmp_path / "r.h5")
    restored = load_model(tmp_path / "r.h5")
    assert type(restored.get_layer("shift")) is Shift
    assert restored.loss is doubled_mse or restored._loss_spec is doubled_mse
    assert any(isinstance(m, MaxError) for m in restored._metrics_spec)
    model.train_on_batch(X, Y)
    restored.train_on_batch(X, Y)
    for a, b in zip(model.get_weights(), restored.get_weights()):
        np.testing.assert_array_equal(a, b)


# --------------------------------------------------------------- lambdas
def lambda_model():
    inputs = Input(shape=(4,))
    offset = 0.5
    outputs = Lambda(lambda t, k=3.0: t * k + offset, name="affine")(Dense(3, name="d")(inputs))
    return Model(inputs, outputs)


def test_lambda_bytecode_is_stored_keras2_style(tmp_path):
    config = lambda_model().get_layer("affine").get_config()
    assert config["function_type"] == "lambda"
    code, defaults, closure = config["function"]
    assert isinstance(code, str) and defaults == [3.0] and closure == [0.5]


def test_lambda_refused_in_safe_mode_and_loaded_when_trusted(tmp_path):
    model = lambda_model()
    model.save(tmp_path / "l.h5")
    with pytest.raises(UnsafeDeserializationError, match="'affine'.*safe_mode=False"):
        load_model(tmp_path / "l.h5")
    with pytest.raises(UnsafeDeserializationError):
        model_from_json(model.to_json())
    restored = load_model(tmp_path / "l.h5", safe_mode=False)
    np.testing.assert_allclose(np.asarray(restored(X)), np.asarray(model(X)), rtol=1e-6)


def test_named_function_in_lambda_needs_no_unsafe_mode(tmp_path):
    inputs = Input(shape=(4,))
    model = Model(inputs, Lambda(ops.relu, name="r")(inputs))
    model.save(tmp_path / "f.h5")
    np.testing.assert_array_equal(np.asarray(load_model(tmp_path / "f.h5")(X)), np.maximum(X, 0))


def test_no_pickle_anywhere():
    import pathlib
    import kerasette.saving as saving
    for path in pathlib.Path(saving.__file__).parent.glob("*.py"):
        text = path.read_text()
        assert "import pickle" not in text and "pickle.load" not in text and "allow_pickle=True" not in text


# ------------------------------------------------------------- subclassed
class Net(Model):
    def __init__(self):
        super().__init__(name="net")
        self.hidden = Dense(3, name="hidden")
        self.out = Dense(2, name="out")

    def call(self, x):
        return self.out(self.hidden(x))


def test_subclassed_model_refuses_architecture_clearly(tmp_path):
    net = Net()
    net(X)
    with pytest.raises(SubclassedModelError, match="subclassed model.*save_weights"):
        net.save(tmp_path / "net.h5")
    assert not (tmp_path / "net.h5").exists()
    with pytest.raises(SubclassedModelError):
        net.to_json()
    net.save_weights(tmp_path / "net_weights.h5")
    again = Net()
    again(X)
    again.load_weights(tmp_path / "net_weights.h5")
    np.testing.assert_array_equal(np.asarray(again(X)), np.asarray(net(X)))


def test_weights_file_given_to_load_model_says_so(tmp_path):
    model = mlp()
    model.save_weights(tmp_path / "w.h5")
    with pytest.raises(ValueError, match="weights only.*load_weights"):
        load_model(tmp_path / "w.h5")


def test_load_weights_accepts_a_whole_model_file(tmp_path):
    model = mlp()
    model.save(tmp_path / "m.h5")
    backend.clear_session()
    clone = mlp()
    clone.load_weights(tmp_path / "m.h5")
    np.testing.assert_array_equal(np.asarray(clone(X)), np.asarray(model(X)))


def test_weights_names_are_refused_for_writing_whole_models(tmp_path):
    model = mlp()
    with pytest.raises(ValueError, match="save_weights"):
        save_model(model, tmp_path / "m.weights.h5")


def test_registered_and_scoped_classes_resolve_in_plain_from_config():
    @register_keras_serializable(package="plain")
    class AddOne(Layer):
        def call(self, inputs):
            return inputs + 1.0

    class Negate(Layer):
        def call(self, inputs):
            return -inputs

    inputs = Input(shape=(4,))
    model = Model(inputs, Negate(name="neg")(AddOne(name="add")(inputs)))
    config = model.get_config()
    with pytest.raises(ValueError, match="Unknown layer: 'Negate'"):
        Model.from_config(config)
    with custom_object_scope({"Negate": Negate}):
        clone = Model.from_config(config)       # AddOne through the registry, Negate through the scope
    assert [type(layer).__name__ for layer in clone.layers[1:]] == ["AddOne", "Negate"]
    np.testing.assert_array_equal(np.asarray(clone(X)), -(X + 1.0))
    assert "plain>AddOne" in get_custom_objects() and "AddOne" not in list(get_custom_objects())


def test_model_checkpoint_writes_through_the_atomic_sealed_writer(tmp_path):
    from kerasette import callbacks
    model = mlp()
    model.compile(optimizer="adam", loss="mse")
    checkpoints = [callbacks.ModelCheckpoint(str(tmp_path / "m_{epoch:02d}.h5")),
                   callbacks.ModelCheckpoint(str(tmp_path / "w.weights.h5"), save_weights_only=True)]
    model.fit(X, Y, epochs=2, batch_size=4, shuffle=False, verbose=0, callbacks=checkpoints)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m_01.h5", "m_02.h5", "w.weights.h5"]
    assert (tmp_path / "m_02.h5").read_bytes().startswith(b"KERASETTE-SEALED-HDF5")
    restored = load_model(tmp_path / "m_02.h5")
    assert int(restored.optimizer.iterations.numpy()) == 4
    np.testing.assert_array_equal(np.asarray(restored(X)), np.asarray(model(X)))


def test_registered_custom_regularizer_resolves_by_name():
    from kerasette import regularizers
    from kerasette.saving import register_keras_serializable

    @register_keras_serializable(package="tests")
    class HalfL2(regularizers.Regularizer):
        def __call__(self, x):
            from kerasette import ops
            return ops.multiply(ops.sum(ops.square(x)), 0.5)

    resolved = regularizers.get({"class_name": "HalfL2", "config": {}})
    assert isinstance(resolved, HalfL2)
