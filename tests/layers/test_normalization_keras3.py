"""Keras 3's normalization layers against real Keras 3 (keras_dense_norm.npz): LayerNormalization
with rms_scaling, BatchNormalization's Keras 3 arguments, GroupNormalization, RMSNormalization,
UnitNormalization, SpectralNormalization; and a model holding them all read from and written as
Keras 3's .weights.h5 and .keras files."""
from __future__ import annotations

import json
import os
import warnings

import h5py
import numpy as np
import pytest

from kerasette import Tensor, backend, engine, ops
from kerasette.engine import Session
from kerasette.layers import (BatchNormalization, Dense, GroupNormalization, Input, LayerNormalization,
                              RMSNormalization, SpectralNormalization, TimeDistributed, UnitNormalization,
                              Wrapper)
from kerasette.models import Model

from .dense_norm_fixture import (DATA, cases, check_eager_gradients, check_graph_gradients, check_output,
                                 check_shapes_weights_and_config, json_of, make_layer, weights_of)

pytestmark = pytest.mark.filterwarnings("ignore:You passed `rms_scaling=True`:UserWarning")

SAVING = os.path.join(os.path.dirname(__file__), "..", "fixtures", "saving")
CASES = cases(["layer_norm", "batch_norm", "group_norm", "rms_norm", "unit_norm", "spectral"])
# gradients of a training call of SpectralNormalization: see test_spectral_training_gradients
STATELESS = [c for c in CASES if not json_of(c, "call_kwargs").get("training")]


@pytest.fixture(autouse=True)
def fresh_session():
    backend.clear_session()
    yield


@pytest.mark.parametrize("mode", ["graph", "eager", "arrays"])
@pytest.mark.parametrize("case", STATELESS)
def test_output_matches_keras(case, mode):
    check_output(case, mode)


@pytest.mark.parametrize("case", STATELESS)
def test_eager_gradients_match_keras(case):
    check_eager_gradients(case)


@pytest.mark.parametrize("case", STATELESS)
def test_graph_gradients_match_keras(case):
    check_graph_gradients(case)


@pytest.mark.parametrize("case", CASES)
def test_shapes_weights_and_config_match_keras(case):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")    # rms_scaling=True warns, as in Keras 3
        check_shapes_weights_and_config(case)


# ------------------------------------------------------------------ SpectralNormalization training

SPECTRAL_TRAINING = [c for c in CASES if json_of(c, "call_kwargs").get("training")]


@pytest.mark.parametrize("mode", ["eager", "arrays"])
@pytest.mark.parametrize("case", SPECTRAL_TRAINING)
def test_spectral_eager_training_call_matches_keras(case, mode):
    # an eager call with training=True assigns vector_u and kernel / sigma, then runs the layer
    layer = make_layer(case)
    x = DATA[f"{case}.input"]
    out = layer(Tensor(x), training=True).numpy() if mode == "eager" else layer(x, training=True)
    np.testing.assert_allclose(np.asarray(out), DATA[f"{case}.output"], rtol=1e-5, atol=1e-6)
    for weight, expected in zip(layer.get_weights(), weights_of(case, "weight_after")):
        np.testing.assert_allclose(weight, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("case", SPECTRAL_TRAINING)
def test_spectral_graph_training_matches_keras_jax_step(case):
    # in a graph: the layer runs on kernel / sigma, the gradient is jax's through Keras' stateless
    # call, and vector_u (only) is left to update
    layer = make_layer(case)
    x = Input(shape=DATA[f"{case}.input"].shape[1:])
    y = layer(x, training=True)
    total = ops.sum(ops.multiply(y, DATA[f"{case}.cotangent"]))
    wanted = [x] + [engine.variable_from_holder(w) for w in layer.trainable_weights]
    values = Session().run([y] + engine.gradients(total, wanted), {x: DATA[f"{case}.input"]})
    np.testing.assert_allclose(values[0], DATA[f"{case}.stateless_output"], rtol=1e-5, atol=1e-6)
    for value, expected in zip(values[1:], [DATA[f"{case}.grad_input"]] + weights_of(case, "grad_weight")):
        np.testing.assert_allclose(value, expected, rtol=1e-5, atol=1e-5)
    ((variable, update),) = layer._pending_updates
    assert variable is layer.vector_u
    u_after = weights_of(case, "weight_after")[1]
    np.testing.assert_allclose(Session().run(update, {x: DATA[f"{case}.input"]}), u_after, rtol=1e-5, atol=1e-6)


def test_spectral_compiled_fit_updates_vector_u_and_trains():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(16, 5)).astype("float32"), rng.normal(size=(16, 3)).astype("float32")
    inputs = Input(shape=(5,))
    spectral = SpectralNormalization(Dense(3), power_iterations=2)
    model = Model(inputs, spectral(inputs))
    model.compile("sgd", "mse")
    u_before = spectral.vector_u.numpy().copy()
    history = model.fit(x, y, epochs=3, batch_size=8, verbose=0).history["loss"]
    assert history[-1] < history[0]
    assert not np.allclose(spectral.vector_u.numpy(), u_before)
    # power iteration converges to the kernel's top singular vector
    for _ in range(30):
        model.train_on_batch(x, y)
    kernel = spectral.layer.kernel.numpy()
    top = np.linalg.svd(kernel)[2][0]
    u = spectral.vector_u.numpy()[0]
    assert abs(abs(u @ top) - 1.0) < 1e-3
    # inference runs the wrapped layer with its kernel as stored
    np.testing.assert_allclose(model.predict(x, verbose=0), x @ kernel + spectral.layer.bias.numpy(),
                               rtol=1e-5, atol=1e-5)


def test_spectral_arguments_and_weights():
    with pytest.raises(ValueError, match="power_iterations"):
        SpectralNormalization(Dense(2), power_iterations=0)
    with pytest.raises(ValueError, match="supplied to Wrapper"):
        SpectralNormalization("dense")
    layer = SpectralNormalization(Dense(2))
    layer.build((None, 3))
    assert isinstance(layer, Wrapper)
    assert [w.name for w in layer.weights] == ["kernel", "vector_u", "bias"]
    assert [w.name for w in layer.trainable_weights] == ["kernel", "bias"]
    assert [w.name for w in layer.non_trainable_weights] == ["vector_u"]
    with pytest.raises(ValueError, match="no attribute 'kernel' nor 'embeddings'"):
        SpectralNormalization(UnitNormalization()).build((None, 3))


def test_time_distributed_is_a_wrapper():
    assert isinstance(TimeDistributed(Dense(2)), Wrapper)


# ------------------------------------------------------------------ arguments Keras 3 writes

def test_layer_normalization_rms_scaling():
    with pytest.warns(UserWarning, match="rms_scaling=True"):
        layer = LayerNormalization(rms_scaling=True)
    layer.build((None, 4))
    assert [w.name for w in layer.weights] == ["gamma"]
    x = np.random.default_rng(1).normal(size=(3, 4)).astype("float32")
    expected = x / np.sqrt(x.var(axis=-1, keepdims=True) + 1e-3)
    np.testing.assert_allclose(np.asarray(layer(x)), expected, rtol=1e-5)
    plain = LayerNormalization(rms_scaling=False)
    assert plain.get_config()["rms_scaling"] is False


def test_batch_normalization_keras3_arguments():
    layer = BatchNormalization(renorm=False, renorm_clipping=None, renorm_momentum=0.9, synchronized=False)
    config = layer.get_config()
    assert (config["renorm"], config["renorm_clipping"], config["renorm_momentum"]) == (False, None, 0.9)
    with pytest.raises(NotImplementedError, match="renorm"):
        BatchNormalization(renorm=True)


def test_group_normalization_arguments():
    with pytest.raises(ValueError, match="groups"):
        GroupNormalization(groups=0)
    with pytest.raises(ValueError, match="must be a multiple"):
        GroupNormalization(groups=4).build((None, 6))
    with pytest.raises(ValueError, match="cannot be more than"):
        GroupNormalization(groups=8).build((None, 6))
    layer = GroupNormalization(groups=-1)
    layer.build((None, 5, 6))
    assert layer.groups == 6


def test_group_normalization_with_unknown_steps_compiles():
    inputs = Input(shape=(None, 4))
    layer = GroupNormalization(groups=2)
    node = layer(inputs)
    x = np.random.default_rng(2).normal(size=(2, 7, 4)).astype("float32")
    np.testing.assert_allclose(Session().run(node, {inputs: x}), np.asarray(layer(x)), rtol=1e-6)


def test_rms_and_unit_normalization_by_hand():
    x = np.random.default_rng(3).normal(size=(2, 3, 4)).astype("float32")
    rms = RMSNormalization(epsilon=1e-6)
    np.testing.assert_allclose(np.asarray(rms(x)), x / np.sqrt((x ** 2).mean(-1, keepdims=True) + 1e-6),
                               rtol=1e-5)
    assert rms.get_config()["axis"] == [-1]
    unit = UnitNormalization(axis=[1, 2])
    out = np.asarray(unit(x))
    np.testing.assert_allclose(np.sqrt((out ** 2).sum(axis=(1, 2))), np.ones(2), rtol=1e-5)


# ------------------------------------------------------------------ a model of them all, Keras 3 files

def _keras_model():
    from kerasette.saving import model_from_json
    return model_from_json(str(DATA["model.json"]))


def test_keras3_model_json_builds_and_predicts_like_keras():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = _keras_model()
    model.set_weights(weights_of("model"))
    np.testing.assert_allclose(model.predict(DATA["model.x"], verbose=0), DATA["model.predict"],
                               rtol=1e-5, atol=1e-6)


def test_keras3_weights_file_loads_and_writes_back_the_same_layout(tmp_path):
    model = _keras_model()
    model.load_weights(os.path.join(SAVING, "keras3_dense_norm.weights.h5"))
    for weight, expected in zip(model.get_weights(), weights_of("model")):
        np.testing.assert_array_equal(weight, expected)
    np.testing.assert_allclose(model.predict(DATA["model.x"], verbose=0), DATA["model.predict"],
                               rtol=1e-5, atol=1e-6)
    # written back: the same groups and datasets as Keras' own file, with the same values
    path = str(tmp_path / "back.weights.h5")
    model.save_weights(path)

    def datasets(filename):
        found = {}
        with h5py.File(filename, "r") as handle:
            handle.visititems(lambda name, obj: found.__setitem__(name, np.asarray(obj))
                              if isinstance(obj, h5py.Dataset) else None)
        return found

    ours, theirs = datasets(path), datasets(os.path.join(SAVING, "keras3_dense_norm.weights.h5"))
    theirs = {k: v for k, v in theirs.items() if not k.startswith("optimizer")}
    ours = {k: v for k, v in ours.items() if not k.startswith("optimizer")}
    assert sorted(ours) == sorted(theirs)
    for key, value in theirs.items():
        np.testing.assert_array_equal(ours[key], value, err_msg=key)
    again = _keras_model()
    again.load_weights(path)
    np.testing.assert_allclose(again.predict(DATA["model.x"], verbose=0), DATA["model.predict"],
                               rtol=1e-5, atol=1e-6)


def test_keras3_archive_loads():
    from kerasette.saving import load_model
    model = load_model(os.path.join(SAVING, "keras3_dense_norm.keras"))
    ln = model.get_layer("ln")
    assert ln.rms_scaling is False
    np.testing.assert_allclose(model.predict(DATA["model.x"], verbose=0), DATA["model.predict"],
                               rtol=1e-5, atol=1e-6)
    assert [w.shape for w in model.get_weights()] == [w.shape for w in weights_of("model")]
    assert json.loads(str(DATA["model.weight_paths"]))[0].startswith("project/")
