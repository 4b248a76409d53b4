"""The serialization API (issue 14, item 10), as Keras 3 code calls it.

``keras.saving.serialize_keras_object`` / ``deserialize_keras_object`` in Keras
3's record form, ``keras.layers.serialize`` / ``deserialize``, and the
``keras.utils`` spellings of these and of the registration functions.  Where
real Keras 3 is importable, the records are compared with its own and read by it.
"""
import numpy as np
import pytest

import kerasette as keras
from kerasette import Input, Model, Sequential, layers
from kerasette.saving import UnsafeDeserializationError, deserialize_keras_object, serialize_keras_object


pytestmark = pytest.mark.usefixtures("fresh_names")     # fixtures: tests/saving/conftest.py


def test_utils_spells_the_saving_functions():
    for name in ("register_keras_serializable", "custom_object_scope", "CustomObjectScope", "get_custom_objects",
                 "get_registered_name", "get_registered_object", "serialize_keras_object",
                 "deserialize_keras_object"):
        assert getattr(keras.utils, name) is getattr(keras.saving, name), name
        assert name in keras.utils.__all__
    assert keras.layers.serialize is keras.layers.serialization.serialize
    assert keras.models.clone_model.__module__ == "kerasette.models.cloning"


def test_records_of_builtin_objects():
    assert serialize_keras_object(keras.optimizers.SGD(learning_rate=0.5))["module"] == "keras.optimizers"
    schedule = keras.optimizers.schedules.ExponentialDecay(0.1, 10, 0.9)
    record = serialize_keras_object(keras.optimizers.SGD(learning_rate=schedule))
    assert record["config"]["learning_rate"] == {
        "module": "keras.optimizers.schedules", "class_name": "ExponentialDecay",
        "config": {"initial_learning_rate": 0.1, "decay_steps": 10, "decay_rate": 0.9, "staircase": False,
                   "name": "ExponentialDecay"}, "registered_name": None}
    assert serialize_keras_object(keras.losses.MeanSquaredError()) == {
        "module": "keras.losses", "class_name": "MeanSquaredError",
        "config": {"name": "mean_squared_error", "reduction": "sum_over_batch_size"}, "registered_name": None}
    assert serialize_keras_object(keras.activations.relu) == {
        "module": "builtins", "class_name": "function", "config": "relu", "registered_name": "function"}
    assert serialize_keras_object(keras.initializers.GlorotUniform())["module"] == "keras.initializers"
    assert serialize_keras_object(keras.regularizers.L2(0.1)) == {
        "module": "keras.regularizers", "class_name": "L2", "config": {"l2": 0.1}, "registered_name": None}
    assert serialize_keras_object(np.arange(3)) == {"class_name": "__numpy__",
                                                    "config": {"value": [0, 1, 2], "dtype": "int64"}}
    assert serialize_keras_object(np.float32(2.0)) == 2.0
    assert serialize_keras_object((1, [2, None], {"a": "b"})) == (1, [2, None], {"a": "b"})
    assert serialize_keras_object(b"ab") == {"class_name": "__bytes__", "config": {"value": "ab"}}
    assert serialize_keras_object(slice(1, 2)) == {"class_name": "__slice__",
                                                   "config": {"start": 1, "stop": 2, "step": None}}


def test_round_trips_of_keras_objects():
    for obj in (keras.optimizers.Adam(learning_rate=0.02, beta_1=0.8), keras.losses.Huber(delta=2.0),
                keras.metrics.MeanAbsoluteError(), keras.initializers.RandomNormal(stddev=0.3, seed=3),
                keras.regularizers.L1L2(l1=0.1, l2=0.2), keras.constraints.MaxNorm(2.0),
                keras.optimizers.schedules.PiecewiseConstantDecay([10], [0.1, 0.01])):
        again = deserialize_keras_object(serialize_keras_object(obj))
        assert type(again) is type(obj) and again.get_config() == obj.get_config(), type(obj).__name__
    assert deserialize_keras_object(serialize_keras_object(keras.activations.gelu)) is keras.activations.gelu
    assert deserialize_keras_object(serialize_keras_object(keras.losses.mean_squared_error)) is \
        keras.losses.mean_squared_error
    array = np.arange(6, dtype="float32").reshape(2, 3)
    np.testing.assert_array_equal(deserialize_keras_object(serialize_keras_object(array)), array)
    value = {"numbers": [1, 2.5], "flag": True, "none": None, "slice": slice(0, 4, 2), "bytes": b"xy"}
    assert deserialize_keras_object(serialize_keras_object(value)) == {
        "numbers": [1, 2.5], "flag": True, "none": None, "slice": slice(0, 4, 2), "bytes": b"xy"}
    # Keras 2's form and plain names are read too
    assert isinstance(deserialize_keras_object({"class_name": "L2", "config": {"l2": 0.5}}), keras.regularizers.L2)
    with pytest.raises(TypeError, match="Could not locate class 'Nowhere'"):
        deserialize_keras_object({"module": "keras.layers2", "class_name": "Nowhere", "config": {},
                                  "registered_name": None})


def test_layers_serialize_and_deserialize_as_keras3_code_does():
    dense = layers.Dense(3, activation="relu", kernel_regularizer="l2", name="hidden")
    dense(np.zeros((2, 4), "float32"))
    config = keras.layers.serialize(dense)
    assert (config["module"], config["class_name"], config["registered_name"]) == ("keras.layers", "Dense", None)
    assert config["config"]["dtype"] == {"module": "keras", "class_name": "DTypePolicy",
                                         "config": {"name": "float32"}, "registered_name": None}
    assert config["config"]["kernel_regularizer"]["module"] == "keras.regularizers"
    clone = keras.layers.deserialize(config)
    assert isinstance(clone, layers.Dense) and clone.name == "hidden" and clone.units == 3
    assert clone.get_config() == dense.get_config()
    # Keras 2's {"class_name", "config"} and nested layers
    wrapped = keras.layers.deserialize({"class_name": "Bidirectional", "config": keras.layers.serialize(
        layers.Bidirectional(layers.LSTM(2)))["config"]})
    assert isinstance(wrapped.forward_layer, layers.LSTM)
    with pytest.raises(ValueError, match="not a `keras.layers.Layer`"):
        keras.layers.deserialize(keras.saving.serialize_keras_object(keras.optimizers.Adam()))


def test_models_serialize_with_their_compile_config():
    model = Sequential([Input(shape=(4,)), layers.Dense(2, name="out")], name="tiny")
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.02), loss="mse", metrics=["mae"])
    record = keras.saving.serialize_keras_object(model)
    assert record["compile_config"]["loss"] == "mse"
    again = keras.saving.deserialize_keras_object(record)
    assert isinstance(again, Sequential) and again.compiled and again.name == "tiny"
    assert again.optimizer.get_config()["learning_rate"] == pytest.approx(0.02)
    x = np.ones((3, 4), "float32")
    assert again.predict(x, verbose=0).shape == (3, 2)


def test_custom_objects_scopes_and_registration(registry):
    @keras.utils.register_keras_serializable(package="api")
    class ApiDouble(layers.Layer):
        def call(self, inputs):
            return inputs * 2.0

    class ApiTriple(layers.Layer):
        def call(self, inputs):
            return inputs * 3.0

    @keras.saving.register_keras_serializable(package="api", name="halve")
    def halve(x):
        return x / 2

    assert keras.utils.get_registered_name(ApiDouble) == "api>ApiDouble"
    assert keras.utils.get_registered_object("api>ApiDouble") is ApiDouble
    assert keras.utils.get_custom_objects()["api>halve"] is halve
    record = keras.utils.serialize_keras_object(ApiDouble(name="double"))
    assert record["registered_name"] == "api>ApiDouble" and record["module"] == ApiDouble.__module__
    assert isinstance(keras.utils.deserialize_keras_object(record), ApiDouble)
    assert keras.utils.serialize_keras_object(halve)["config"] == "api>halve"
    assert keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(halve)) is halve
    record = keras.utils.serialize_keras_object(ApiTriple(name="triple"))
    assert record["registered_name"] == "ApiTriple"
    with pytest.raises((TypeError, ValueError)):
        keras.utils.deserialize_keras_object(record)
    assert isinstance(keras.utils.deserialize_keras_object(record, custom_objects={"ApiTriple": ApiTriple}), ApiTriple)
    with keras.utils.custom_object_scope({"ApiTriple": ApiTriple}):
        assert isinstance(keras.utils.deserialize_keras_object(record), ApiTriple)


def test_safe_mode_is_honoured():
    with pytest.warns(UserWarning, match="lambda"):
        record = serialize_keras_object(lambda x: x + 1)
    assert record["class_name"] == "__lambda__"
    with pytest.raises(UnsafeDeserializationError, match="safe_mode=False"):
        deserialize_keras_object(record)
    assert deserialize_keras_object(record, safe_mode=False)(1) == 2
    inputs = Input(shape=(2,))
    model = Model(inputs, layers.Lambda(lambda t: t * 5.0, name="times5")(inputs))
    record = serialize_keras_object(model)
    with pytest.raises(UnsafeDeserializationError):
        deserialize_keras_object(record)
    with keras.saving.SafeModeScope(False):
        trusted = deserialize_keras_object(record)     # an enclosing scope wins, as in Keras 3
    np.testing.assert_array_equal(trusted.predict(np.ones((1, 2), "float32"), verbose=0), [[5.0, 5.0]])
    # a function named by a record is looked up, never imported, in safe mode
    with pytest.raises(UnsafeDeserializationError):
        deserialize_keras_object({"module": "os", "class_name": "function", "config": "system",
                                  "registered_name": "system"})


def test_records_match_real_keras3():
    from tests.saving.test_real_keras import real_keras
    K = real_keras("keras")
    # (Keras 3 numbers the names of optimizers made earlier in the process: both are named here)
    pairs = [(keras.optimizers.Adam(learning_rate=0.01, name="adam"),
              K.optimizers.Adam(learning_rate=0.01, name="adam")),
             (keras.losses.MeanSquaredError(), K.losses.MeanSquaredError()),
             (keras.regularizers.L2(0.1), K.regularizers.L2(0.1)),
             (keras.activations.relu, K.activations.relu),
             (keras.optimizers.schedules.ExponentialDecay(0.1, 10, 0.9),
              K.optimizers.schedules.ExponentialDecay(0.1, 10, 0.9)),
             (np.arange(3), np.arange(3)), (slice(1, 2), slice(1, 2))]
    for ours, theirs in pairs:
        assert serialize_keras_object(ours) == K.saving.serialize_keras_object(theirs), ours
    dense, keras_dense = layers.Dense(2, name="d"), K.layers.Dense(2, name="d")
    ours, theirs = keras.layers.serialize(dense), K.layers.serialize(keras_dense)
    assert {k: ours[k] for k in ("module", "class_name", "registered_name")} == \
        {k: theirs[k] for k in ("module", "class_name", "registered_name")}
    assert ours["config"]["dtype"] == {key: value for key, value in theirs["config"]["dtype"].items()
                                       if key != "shared_object_id"}
    # each reads the other's records
    rebuilt = K.layers.deserialize(ours)
    assert isinstance(rebuilt, K.layers.Dense) and rebuilt.units == 2
    assert isinstance(keras.layers.deserialize(theirs), layers.Dense)
    optimizer = K.saving.deserialize_keras_object(serialize_keras_object(keras.optimizers.RMSprop(0.3)))
    assert type(optimizer).__name__ == "RMSprop" and float(optimizer.learning_rate) == pytest.approx(0.3)
    again = deserialize_keras_object(K.saving.serialize_keras_object(K.optimizers.Nadam(learning_rate=0.2)))
    assert isinstance(again, keras.optimizers.Nadam) and again.get_config()["learning_rate"] == pytest.approx(0.2)
