"""keras.io's "Customizing Saving and Serialization" guide, section by section,
with what kerasette did differently from Keras 3.15 before:

* ``save_own_variables``: a subclass calling ``super().save_own_variables``
  found no such method on ``Layer``;
* ``get_build_config`` / ``build_from_config``: a layer whose ``build`` takes
  more than the input shape was called (so built with the shape alone) by
  the Sequential being rebuilt, instead of being built from its saved
  ``build_config`` first, as Keras 3 does for every layer it deserializes;
* ``get_compile_config`` / ``compile_from_config``: a model's own overrides
  were neither written nor called (kerasette wrote and read its own record,
  so the model came back uncompiled).

Files go both ways with Keras 3.15.1 where it is installed.
"""
import json
import os
import zipfile

import numpy as np
import pytest

import kerasette as keras


pytestmark = pytest.mark.usefixtures("fresh_names")     # fixtures: tests/saving/conftest.py


def _real_keras():
    os.environ.setdefault("KERAS_BACKEND", "jax")
    return pytest.importorskip("keras")


def _custom_variable_layer(lib):
    @lib.saving.register_keras_serializable(package="guide_saving")
    class LayerWithCustomVariable(lib.layers.Layer):
        def __init__(self, units, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.my_variable = lib.Variable(np.arange(units, dtype="float32"), name="my_variable",
                                            trainable=False)

        def build(self, input_shape):
            self.kernel = self.add_weight(shape=(input_shape[-1], self.units), initializer="ones", name="kernel")

        def get_config(self):
            return {**super().get_config(), "units": self.units}

        def save_own_variables(self, store):
            super().save_own_variables(store)
            store["variables"] = self.my_variable.numpy()

        def load_own_variables(self, store):
            self.my_variable.assign(store["variables"])
            self.kernel.assign(store["0"])

        def call(self, inputs):
            return lib.ops.matmul(inputs, self.kernel) + self.my_variable

    return LayerWithCustomVariable


def test_save_own_variables_calls_super(registry, tmp_path):
    model = keras.Sequential([keras.Input((3,)), _custom_variable_layer(keras)(2)])
    layer = model.layers[0]
    layer.my_variable.assign(np.array([5.0, 7.0], "float32"))
    layer.kernel.assign(np.full((3, 2), 0.25, "float32"))
    path = str(tmp_path / "vars.keras")
    model.save(path)
    with zipfile.ZipFile(path) as archive:
        archive.extract("model.weights.h5", tmp_path)
    import h5py
    with h5py.File(tmp_path / "model.weights.h5") as handle:
        group = handle["layers/layer_with_custom_variable/vars"]
        assert sorted(group) == ["0", "1", "variables"]       # kernel, my_variable, and the extra entry
    restored = keras.models.load_model(path)
    np.testing.assert_array_equal(restored.layers[0].my_variable.numpy(), [5.0, 7.0])
    x = np.ones((2, 3), "float32")
    np.testing.assert_allclose(restored.predict(x, verbose=0), model.predict(x, verbose=0))


def _custom_build_layer(lib):
    @lib.saving.register_keras_serializable(package="guide_saving")
    class LayerWithCustomBuild(lib.layers.Layer):
        def __init__(self, units=32, **kwargs):
            super().__init__(**kwargs)
            self.units = units

        def call(self, inputs):
            return lib.ops.matmul(inputs, self.w) + self.b

        def get_config(self):
            return dict(units=self.units, **super().get_config())

        def build(self, input_shape, layer_init):
            super().build(input_shape)
            self._input_shape = input_shape
            self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer=layer_init)
            self.b = self.add_weight(shape=(self.units,), initializer=layer_init)
            self.layer_init = layer_init

        def get_build_config(self):
            return {"layer_init": self.layer_init, "input_shape": self._input_shape}

        def build_from_config(self, config):
            self.build(config["input_shape"], config["layer_init"])

    return LayerWithCustomBuild


def _build_model(lib):
    layer = _custom_build_layer(lib)(units=4)
    layer.build(input_shape=(8,), layer_init="random_normal")
    return lib.Sequential([layer, lib.layers.Dense(1, activation="sigmoid")])


def test_build_from_config_with_an_extra_build_argument(registry, tmp_path):
    model = _build_model(keras)
    x = np.random.default_rng(0).random((5, 8)).astype("float32")
    expected = np.asarray(model(x))
    path = str(tmp_path / "build.keras")
    model.save(path)
    restored = keras.models.load_model(path)
    assert restored.layers[0].layer_init == "random_normal" and restored.built
    np.testing.assert_allclose(np.asarray(restored(x)), expected, rtol=1e-6)


def test_build_from_config_files_cross_load_with_keras(registry, tmp_path):
    real = _real_keras()
    x = np.random.default_rng(1).random((5, 8)).astype("float32")
    ours = _build_model(keras)
    theirs = _build_model(real)
    ours(x)
    theirs(x)
    ours.save(str(tmp_path / "ours.keras"))
    theirs.save(str(tmp_path / "theirs.keras"))
    read_by_us = keras.models.load_model(str(tmp_path / "theirs.keras"))
    read_by_keras = real.models.load_model(str(tmp_path / "ours.keras"))
    assert read_by_us.layers[0].layer_init == "random_normal"
    np.testing.assert_allclose(np.asarray(read_by_us(x)), np.asarray(theirs(x)), rtol=1e-5)
    np.testing.assert_allclose(np.asarray(read_by_keras(x)), np.asarray(ours(x)), rtol=1e-5)


def _compile_classes(lib):
    @lib.saving.register_keras_serializable(package="guide_saving")
    def small_square_sum_loss(y_true, y_pred):
        return lib.ops.sum(lib.ops.square(y_pred - y_true) / 10.0, axis=1)

    @lib.saving.register_keras_serializable(package="guide_saving")
    def mean_pred(y_true, y_pred):
        return lib.ops.mean(y_pred)

    @lib.saving.register_keras_serializable(package="guide_saving")
    class ModelWithCustomCompile(lib.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.dense1 = lib.layers.Dense(8, activation="relu")
            self.dense2 = lib.layers.Dense(4, activation="softmax")

        def call(self, inputs):
            return self.dense2(self.dense1(inputs))

        def compile(self, optimizer, loss_fn, metrics):
            super().compile(optimizer=optimizer, loss=loss_fn, metrics=metrics)
            self.model_optimizer = optimizer
            self.loss_fn = loss_fn
            self.loss_metrics = metrics

        def get_compile_config(self):
            return {"model_optimizer": self.model_optimizer, "loss_fn": self.loss_fn, "metric": self.loss_metrics}

        def compile_from_config(self, config):
            self.compile(optimizer=lib.utils.deserialize_keras_object(config["model_optimizer"]),
                         loss_fn=lib.utils.deserialize_keras_object(config["loss_fn"]),
                         metrics=lib.utils.deserialize_keras_object(config["metric"]))

    return ModelWithCustomCompile, small_square_sum_loss, mean_pred


def _compiled(lib, path):
    cls, loss, metric = _compile_classes(lib)
    model = cls()
    model.compile(optimizer="SGD", loss_fn=loss, metrics=["accuracy", metric])
    rng = np.random.default_rng(2)
    model.fit(rng.random((4, 8)).astype("float32"), rng.random((4,)).astype("float32"), verbose=0)
    model.save(path)
    with zipfile.ZipFile(path) as archive:
        return model, json.loads(archive.read("config.json"))["compile_config"]


def test_compile_config_overrides_are_written_and_called(registry, tmp_path):
    path = str(tmp_path / "compile.keras")
    model, written = _compiled(keras, path)
    assert written["model_optimizer"] == "SGD"
    assert written["loss_fn"] == {"module": "builtins", "class_name": "function",
                                  "config": "guide_saving>small_square_sum_loss", "registered_name": "function"}
    restored = keras.models.load_model(path)
    assert restored.compiled
    assert restored.model_optimizer == model.model_optimizer
    assert restored.loss_fn is model.loss_fn
    assert restored.loss_metrics == model.loss_metrics


def test_compile_config_overrides_match_keras(registry, tmp_path):
    real = _real_keras()
    _, ours = _compiled(keras, str(tmp_path / "ours.keras"))
    _, theirs = _compiled(real, str(tmp_path / "theirs.keras"))
    assert ours == theirs
    read_by_us = keras.models.load_model(str(tmp_path / "theirs.keras"))
    assert read_by_us.compiled and read_by_us.model_optimizer == "SGD"
    read_by_keras = real.models.load_model(str(tmp_path / "ours.keras"))
    assert read_by_keras.model_optimizer == "SGD"
