"""Files written by REAL Keras (tf.keras 2.21 and Keras 3.15) load into kerasette and compute
Keras' numbers.

The fixtures and the script that made them are in tests/fixtures/saving/
(see its README): small models with Dense, Conv2D, BatchNormalization,
Embedding, MaxPooling2D, Flatten, Concatenate, a nested Sequential and a
Lambda; weights-only files, whole-model files (compiled, trained two steps,
so they hold the optimizer's state), and Keras' inputs and outputs.
"""
import os
import warnings

import numpy as np
import pytest

from kerasette import backend
from kerasette.saving import UnsafeDeserializationError, load_model
from tests.fixtures.saving.make_saving_fixtures import BUILDERS, single

HERE = os.path.join(os.path.dirname(__file__), "..", "fixtures", "saving")
PRODUCERS = ["tf_keras", "keras3"]
MODELS = sorted(BUILDERS)


@pytest.fixture(autouse=True)
def fresh_names():
    backend.clear_session()
    yield


def fixture_io(producer):
    return np.load(os.path.join(HERE, f"{producer}_io.npz"), allow_pickle=False)


def inputs(io, name, key="x"):
    return [io[f"{name}.{key}{i}"] for i in range(int(io[f"{name}.x.count"]))]


def weights_file(producer, name):
    if producer == "tf_keras":
        return os.path.join(HERE, f"tf_keras_{name}_weights.h5")
    return os.path.join(HERE, f"keras3_{name}.weights.h5")


def predict(model, xs):
    return np.asarray(model(single(xs)))


@pytest.mark.parametrize("producer", PRODUCERS)
@pytest.mark.parametrize("name", MODELS)
def test_weights_file_from_keras_predicts_keras_outputs(producer, name):
    import kerasette
    io = fixture_io(producer)
    model = BUILDERS[name](kerasette)
    model.load_weights(weights_file(producer, name))
    np.testing.assert_allclose(predict(model, inputs(io, name)), io[f"{name}.y_weights"], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("producer", PRODUCERS)
@pytest.mark.parametrize("name", MODELS)
def test_weights_file_from_keras_loads_by_name(producer, name):
    import kerasette
    io = fixture_io(producer)
    model = BUILDERS[name](kerasette)
    model.load_weights(weights_file(producer, name), by_name=True)
    np.testing.assert_allclose(predict(model, inputs(io, name)), io[f"{name}.y_weights"], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("producer", PRODUCERS)
@pytest.mark.parametrize("name", MODELS)
def test_whole_model_file_from_keras_predicts_and_keeps_training(producer, name):
    io = fixture_io(producer)
    model = load_model(os.path.join(HERE, f"{producer}_{name}_model.h5"))
    np.testing.assert_allclose(predict(model, inputs(io, name)), io[f"{name}.y_model"], rtol=1e-5, atol=1e-6)
    assert model.compiled
    assert type(model.optimizer).__name__ == "Adam"
    np.testing.assert_allclose(float(model.optimizer.learning_rate.numpy()), 0.01, rtol=1e-6)
    assert int(model.optimizer.iterations.numpy()) == 2   # Keras trained two steps
    # one more step from the restored optimizer state reaches Keras' weights
    model.train_on_batch(single(inputs(io, name, "next_x")), io[f"{name}.next_y"])
    for layer in model.layers:
        for index, value in enumerate(layer.get_weights()):
            expected = io[f"{name}.after_next.{layer.name}.{index}"]
            if producer == "tf_keras" and layer.name == "bn" and index == 3:
                # tf.keras' fused BatchNormalization updates the moving variance with the
                # unbiased (n/(n-1)) batch variance; Keras 3 and kerasette use the biased one
                np.testing.assert_allclose(value, expected, rtol=2e-3)
                continue
            np.testing.assert_allclose(value, expected, rtol=2e-5, atol=2e-6,
                                       err_msg=f"{producer} {name} {layer.name}[{index}]")


def test_tf_keras_training_config_is_understood():
    model = load_model(os.path.join(HERE, "tf_keras_cnn_model.h5"))
    # tf.keras wrote metrics as [[MeanMetricWrapper(name="accuracy")]] and Custom>Adam
    assert model._metrics_spec == ["accuracy"]
    assert model._loss_spec == "categorical_crossentropy"


def test_compile_false_gives_an_uncompiled_model():
    model = load_model(os.path.join(HERE, "keras3_seq_model.h5"), compile=False)
    assert not model.compiled


def test_keras3_archive_loads():
    io = fixture_io("keras3")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = load_model(os.path.join(HERE, "keras3_cnn.keras"))
    np.testing.assert_allclose(predict(model, inputs(io, "cnn")), io["cnn.y_model"], rtol=1e-5, atol=1e-6)
    # Keras 3.15's archive names no optimizer in compile_config: compile's default, as in Keras
    assert model.compiled and type(model.optimizer).__name__ == "RMSprop"
    assert any("optimizer state" in str(w.message) for w in caught)


def test_keras3_archive_weights_load_into_a_built_model():
    import kerasette
    io = fixture_io("keras3")
    model = BUILDERS["cnn"](kerasette)
    model.load_weights(os.path.join(HERE, "keras3_cnn.keras"))
    np.testing.assert_allclose(predict(model, inputs(io, "cnn")), io["cnn.y_model"], rtol=1e-5, atol=1e-6)


def test_tf_keras_lambda_is_refused_in_safe_mode():
    path = os.path.join(HERE, "tf_keras_lambda.h5")
    with pytest.raises(UnsafeDeserializationError, match="Lambda layer 'double'.*bytecode.*safe_mode=False"):
        load_model(path)


def test_tf_keras_lambda_loads_with_safe_mode_off():
    io = fixture_io("tf_keras")
    model = load_model(os.path.join(HERE, "tf_keras_lambda.h5"), safe_mode=False)
    np.testing.assert_allclose(predict(model, inputs(io, "lambda")), io["lambda.y_model"], rtol=1e-6)
