"""Subclassed models (and custom layers) in Keras 3's ``.keras`` files: their class's record
(``get_config``) with a ``build_config`` (the input shape they were built with), which
``load_model`` uses to build them before it sets the weights; ``compile_config`` as for
other models.  Real Keras 3 reads kerasette's file where it is importable."""
import json
import zipfile

import numpy as np
import pytest

import kerasette as keras
from kerasette import layers
from kerasette.models import Model, load_model
from tests.saving.test_real_keras import real_keras

RNG = np.random.default_rng(5)
X = RNG.normal(0, 1, (40, 6)).astype("float32")
Y = (X @ RNG.normal(0, 1, (6, 1))).astype("float32")


pytestmark = pytest.mark.usefixtures("fresh_names", "registry")     # tests/saving/conftest.py


def define_classes(K, package):
    """keras.io's pattern, written once for kerasette and for real Keras 3: a custom layer and
    a subclassed model, registered, with get_config."""

    @K.saving.register_keras_serializable(package=package)
    class Scale(K.layers.Layer):
        def __init__(self, init=1.0, **kwargs):
            super().__init__(**kwargs)
            self.init = init

        def build(self, input_shape):
            self.factor = self.add_weight(name="factor", shape=(input_shape[-1],),
                                          initializer=K.initializers.Constant(self.init))

        def call(self, inputs):
            return inputs * self.factor

        def get_config(self):
            return {**super().get_config(), "init": self.init}

    @K.saving.register_keras_serializable(package=package)
    class Regressor(K.Model):
        def __init__(self, units=8, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.hidden = K.layers.Dense(units, activation="relu")
            self.norm = K.layers.BatchNormalization()
            self.scale = Scale(0.5)
            self.head = K.layers.Dense(1)

        def call(self, inputs, training=None):
            return self.head(self.scale(self.norm(self.hidden(inputs), training=training)))

        def get_config(self):
            return {**super().get_config(), "units": self.units}

    return Scale, Regressor


def trained(package="SubclassedKeras"):
    _, Regressor = define_classes(keras, package)
    model = Regressor(units=5, name="regressor")
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="mse", metrics=["mae"])
    model.fit(X, Y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    return model, Regressor


def test_a_subclassed_model_round_trips_through_keras_files(tmp_path):
    model, Regressor = trained()
    model.save(tmp_path / "m.keras")
    record = json.loads(zipfile.ZipFile(tmp_path / "m.keras").read("config.json"))
    assert record["class_name"] == "Regressor"
    assert record["registered_name"] == "SubclassedKeras>Regressor"
    assert record["config"]["units"] == 5
    assert record["build_config"] == {"input_shape": [None, 6]}
    assert record["compile_config"]["loss"] == "mse"

    restored = load_model(tmp_path / "m.keras")
    assert type(restored) is Regressor and restored.units == 5 and restored.built
    np.testing.assert_array_equal(restored.predict(X, verbose=0), model.predict(X, verbose=0))
    assert [w.shape for w in restored.weights] == [w.shape for w in model.weights]
    for got, want in zip(restored.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(got, want)
    # the optimizer's state came back: one more epoch on both gives the same weights
    model.fit(X, Y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    restored.fit(X, Y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    for got, want in zip(restored.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(got, want)


def test_custom_objects_name_an_unregistered_subclassed_model(tmp_path):
    class Plain(Model):
        def __init__(self, width=3, **kwargs):
            super().__init__(**kwargs)
            self.width = width
            self.dense = layers.Dense(width)

        def call(self, inputs):
            return self.dense(inputs)

        def get_config(self):
            return {**super().get_config(), "width": self.width}

    net = Plain(width=4)
    net(X[:2])
    net.save(tmp_path / "net.keras")
    with pytest.raises(Exception, match="Plain"):
        load_model(tmp_path / "net.keras")
    restored = load_model(tmp_path / "net.keras", custom_objects={"Plain": Plain})
    assert restored.width == 4 and not restored.compiled
    np.testing.assert_array_equal(restored.predict(X, verbose=0), net.predict(X, verbose=0))


def test_build_config_and_build_from_config():
    _, Regressor = define_classes(keras, "SubclassedBuild")
    model = Regressor(units=3)
    assert model.get_build_config() is None and model.get_compile_config() is None
    model.build((None, 6))          # Keras 3's default Model.build: one symbolic run of call()
    assert model.built and len(model.weights) == 2 + 4 + 1 + 2
    assert model.get_build_config() == {"input_shape": [None, 6]}
    again = Regressor(units=3)
    again.build_from_config(model.get_build_config())
    assert [w.shape for w in again.weights] == [w.shape for w in model.weights]
    dense = layers.Dense(2)
    dense(X[:3])
    assert dense.get_build_config() == {"input_shape": [3, 6]}
    fresh = layers.Dense(2)
    fresh.build_from_config({"input_shape": [None, 6]})
    assert fresh.built and fresh.kernel.shape == (6, 2)
    model.compile(optimizer="sgd", loss="mse")
    config = model.get_compile_config()
    assert config["loss"] == "mse"
    again.compile_from_config(config)
    assert again.compiled and type(again.optimizer).__name__ == "SGD"


def test_real_keras3_loads_a_kerasette_subclassed_model(tmp_path):
    K = real_keras("keras")
    model, _ = trained(package="SubclassedReal")
    model.save(tmp_path / "m.keras")
    from keras.saving import get_custom_objects
    before = dict(get_custom_objects())
    try:
        define_classes(K, "SubclassedReal")
        theirs = K.models.load_model(str(tmp_path / "m.keras"))
        np.testing.assert_allclose(np.asarray(theirs.predict(X, verbose=0)), model.predict(X, verbose=0),
                                   rtol=1e-5, atol=1e-5)
        # and kerasette reads the file real Keras 3 writes of it
        theirs.save(str(tmp_path / "theirs.keras"))
        ours = load_model(tmp_path / "theirs.keras")
        np.testing.assert_allclose(ours.predict(X, verbose=0), model.predict(X, verbose=0), rtol=1e-5, atol=1e-5)
    finally:
        get_custom_objects().clear()
        get_custom_objects().update(before)
