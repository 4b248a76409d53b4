"""Files kerasette writes, read back by real Keras in this interpreter (optional).

Runs where ``tf_keras`` (Keras 2 API) and ``keras`` (Keras 3) can be
imported: the test extra installs both, so CI runs them; elsewhere they skip.  The fixture
script's ``write-kerasette`` / ``check-kerasette`` commands do the same
check by hand across the side environments (see tests/fixtures/saving/README.md).
"""
import importlib
import os

import numpy as np
import pytest

import kerasette
from kerasette import backend
from tests.fixtures.saving.make_saving_fixtures import BUILDERS, LOSSES, inputs_for, random_weights, single, \
    targets_for


def real_keras(name):
    if name == "tf_keras":
        os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
    else:
        os.environ.setdefault("KERAS_BACKEND", "jax")
    try:
        module = importlib.import_module(name)
    except Exception as error:   # absent, or present without a working backend
        pytest.skip(f"{name} is not importable here: {type(error).__name__}")
    if module is kerasette or not hasattr(module, "models"):
        pytest.skip(f"{name} is not real Keras")
    if name == "keras" and module.backend.backend() != "jax":
        # TensorFlow's Keras applies Embedding gradients as sparse rows, so its next Adam step differs
        pytest.fail(f"Keras 3 was imported on {module.backend.backend()!r} before this test (an earlier test "
                    "set KERAS_BACKEND in this process); these comparisons are made against JAX's")
    return module


@pytest.mark.parametrize("flavour", ["tf_keras", "keras"])
@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_real_keras_reads_kerasette_files(tmp_path, flavour, name):
    K = real_keras(flavour)
    backend.clear_session()
    rng = np.random.default_rng(11)
    model = BUILDERS[name](kerasette)
    model.set_weights(random_weights(model, rng))
    model.compile(optimizer=kerasette.optimizers.Adam(learning_rate=0.01), loss=LOSSES[name])
    model.train_on_batch(single(inputs_for(name, rng, 4)), targets_for(name, rng, 4))
    x = inputs_for(name, rng, 3)
    expected = np.asarray(model(single(x)))
    model.save(tmp_path / "m.h5")
    model.save_weights(tmp_path / "w.h5")
    loaded = [K.models.load_model(str(tmp_path / "m.h5"))]
    rebuilt = BUILDERS[name](K)
    rebuilt.load_weights(str(tmp_path / "w.h5"))
    loaded.append(rebuilt)
    if flavour == "keras":
        model.save_weights(tmp_path / "w.weights.h5")
        again = BUILDERS[name](K)
        again.load_weights(str(tmp_path / "w.weights.h5"))
        loaded.append(again)
    for keras_model in loaded:
        np.testing.assert_allclose(np.asarray(keras_model.predict(single(x), verbose=0)), expected,
                                   rtol=1e-5, atol=1e-6)


def _weights_by_layer(model):
    return {layer.name: [np.asarray(w) for w in layer.get_weights()] for layer in model.layers}


def _assert_same_weights(kerasette_model, keras_model):
    ours, theirs = _weights_by_layer(kerasette_model), _weights_by_layer(keras_model)
    assert sorted(ours) == sorted(theirs)
    for name in ours:
        assert len(ours[name]) == len(theirs[name]), name
        for a, b in zip(ours[name], theirs[name]):
            np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-6, err_msg=name)


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_real_keras3_loads_kerasette_archives_and_trains_on(tmp_path, name):
    """model.save("m.keras") in kerasette; keras.models.load_model in Keras 3 predicts the same and
    its next training step (optimizer state restored from the file) matches kerasette's."""
    K = real_keras("keras")
    backend.clear_session()
    rng = np.random.default_rng(12)
    model = BUILDERS[name](kerasette)
    model.set_weights(random_weights(model, rng))
    model.compile(optimizer=kerasette.optimizers.Adam(learning_rate=0.01), loss=LOSSES[name])
    model.train_on_batch(single(inputs_for(name, rng, 4)), targets_for(name, rng, 4))
    model.save(tmp_path / "m.keras")
    loaded = K.models.load_model(str(tmp_path / "m.keras"))
    x = inputs_for(name, rng, 3)
    np.testing.assert_allclose(np.asarray(loaded.predict(single(x), verbose=0)), np.asarray(model(single(x))),
                               rtol=1e-5, atol=1e-6)
    assert type(loaded.optimizer).__name__ == "Adam" and int(loaded.optimizer.iterations.numpy()) == 1
    x_next, y_next = single(inputs_for(name, rng, 4)), targets_for(name, rng, 4)
    model.train_on_batch(x_next, y_next)
    loaded.train_on_batch(x_next, y_next)
    _assert_same_weights(model, loaded)


def test_real_keras3_loads_kerasette_archives_of_every_kind(tmp_path, registry):
    """Nested functional outputs, shared layers, initial states, Lambda layers (a named Keras
    function and a lambda), a registered custom layer, hard_sigmoid, loss objects."""
    K = real_keras("keras")
    backend.clear_session()
    L = kerasette.layers

    @kerasette.saving.register_keras_serializable(package="parity")
    class ParityShift(L.Layer):
        def __init__(self, amount=1.0, **kwargs):
            super().__init__(**kwargs)
            self.amount = amount

        def call(self, inputs):
            return inputs + self.amount

        def get_config(self):
            return {**super().get_config(), "amount": self.amount}

    class KerasShift(K.layers.Layer):
        def __init__(self, amount=1.0, **kwargs):
            super().__init__(**kwargs)
            self.amount = amount

        def call(self, inputs):
            return inputs + self.amount

        def get_config(self):
            return {**super().get_config(), "amount": self.amount}

    inner_input = kerasette.Input(shape=(4,), name="inner_in")
    inner = kerasette.Model(inner_input, L.Dense(4, activation="hard_sigmoid", name="inner_dense")(inner_input),
                            name="inner")
    sequence = kerasette.Input(shape=(5, 3), name="sequence")
    state_h, state_c = kerasette.Input(shape=(4,), name="state_h"), kerasette.Input(shape=(4,), name="state_c")
    memory = L.LSTM(4, recurrent_activation="hard_sigmoid", name="lstm")(sequence, initial_state=[state_h, state_c])
    shared = L.Dense(4, name="shared")
    left, right = inner(shared(memory)), inner(shared(state_h))
    named = L.Lambda(kerasette.activations.relu, name="named")(L.Add(name="add")([left, right]))
    scaled = L.Lambda(lambda t: t * 0.5, name="scaled")(named)
    shifted = ParityShift(2.0, name="shift")(scaled)
    model = kerasette.Model([sequence, state_h, state_c], [L.Dense(2, name="head")(shifted), left], name="every")
    model.compile(optimizer="adam", loss=[kerasette.losses.MeanSquaredError(), "mae"], metrics=[["mae"], []])
    xs = [rng_normal((3, 5, 3)), rng_normal((3, 4)), rng_normal((3, 4))]
    ys = [rng_normal((3, 2)), rng_normal((3, 4))]
    model.train_on_batch(xs, ys)
    model.save(tmp_path / "every.keras")
    loaded = K.models.load_model(str(tmp_path / "every.keras"), safe_mode=False,
                                 custom_objects={"parity>ParityShift": KerasShift})
    for got, want in zip(loaded.predict(xs, verbose=0), model.predict(xs, verbose=0)):
        np.testing.assert_allclose(np.asarray(got), want, rtol=1e-5, atol=1e-6)
    model.train_on_batch(xs, ys)
    loaded.train_on_batch(xs, ys)
    _assert_same_weights(model, loaded)


def rng_normal(shape, _rng=np.random.default_rng(5)):
    return _rng.normal(0, 1, shape).astype("float32")


def test_kerasette_loads_real_keras3_archives_and_trains_on(tmp_path):
    """The other way round: a Keras 3 archive (function records as Keras 3 writes them, a
    nested functional output, a loss object) loads in kerasette and trains on the same."""
    K = real_keras("keras")
    backend.clear_session()
    inner_input = K.Input(shape=(4,), name="inner_in")
    inner = K.Model(inner_input, K.layers.Dense(3, activation="hard_sigmoid", name="inner_dense")(inner_input),
                    name="inner")
    x_in = K.Input(shape=(4,), name="x")
    hidden = K.layers.Lambda(K.activations.relu, name="named")(K.layers.Dense(4, name="first")(x_in))
    model = K.Model(x_in, [inner(hidden), K.layers.Dense(2, name="head")(inner(hidden))], name="k3")
    model.compile(optimizer=K.optimizers.Adam(learning_rate=0.01),
                  loss=[K.losses.MeanSquaredError(), K.losses.mean_absolute_error])
    xs, ys = rng_normal((4, 4)), [rng_normal((4, 3)), rng_normal((4, 2))]
    model.train_on_batch(xs, ys)
    model.save(str(tmp_path / "k3.keras"))
    loaded = kerasette.models.load_model(tmp_path / "k3.keras")
    for got, want in zip(loaded.predict(xs, verbose=0), model.predict(xs, verbose=0)):
        np.testing.assert_allclose(got, np.asarray(want), rtol=1e-5, atol=1e-6)
    assert int(loaded.optimizer.iterations.numpy()) == 1
    model.train_on_batch(xs, ys)
    loaded.train_on_batch(xs, ys)
    _assert_same_weights(loaded, model)


def test_a_real_keras3_archive_of_a_model_never_trained(tmp_path):
    """Keras 3 stores an optimizer before its first step as its iteration and learning rate only."""
    import warnings
    K = real_keras("keras")
    model = K.Sequential([K.Input(shape=(3,)), K.layers.Dense(2)])
    model.compile(optimizer="adam", loss="mse")
    model.save(str(tmp_path / "fresh.keras"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loaded = kerasette.models.load_model(tmp_path / "fresh.keras")
    assert loaded.compiled and type(loaded.optimizer).__name__ == "Adam"


def _nested_batchnorm_model(K):
    """A nested Sequential whose layer-by-layer weight order (Dense, BN, Dense) differs from the
    legacy files' order (trainable first): the case that tells the two apart."""
    inner = K.Sequential([K.Input(shape=(4,)), K.layers.Dense(4, name="d1"), K.layers.BatchNormalization(name="bn"),
                          K.layers.Dense(3, name="d2")], name="inner")
    inputs = K.Input(shape=(4,), name="x")
    return K.Model(inputs, K.layers.Dense(2, name="head")(inner(inputs)))


def _set_distinct_weights(model):
    rng = np.random.default_rng(3)
    model.set_weights([rng.uniform(0.5, 1.5, w.shape).astype("float32") for w in model.get_weights()])


@pytest.mark.parametrize("direction", ["kerasette_writes", "tf_keras_writes"])
def test_legacy_h5_of_a_nested_model_with_batchnorm_between_libraries(tmp_path, direction):
    K = real_keras("tf_keras")
    x = np.random.default_rng(0).normal(size=(5, 4)).astype("float32")
    ours, theirs = _nested_batchnorm_model(kerasette), _nested_batchnorm_model(K)
    path = str(tmp_path / "nested.h5")
    writer, reader = (ours, theirs) if direction == "kerasette_writes" else (theirs, ours)
    _set_distinct_weights(writer)
    writer.save_weights(path)
    reader.load_weights(path)
    np.testing.assert_allclose(np.asarray(reader.predict(x, verbose=0)), np.asarray(writer.predict(x, verbose=0)),
                               rtol=1e-5, atol=1e-6)
