"""What keras.io's "Save, serialize, and export models" guide showed kerasette
doing differently from Keras 3.15.

A custom layer's ``get_config`` may hold objects as they are: another layer
(the guide's ``MyDense(nested_model=layer)`` and ``CustomModel(first_layer=...)``)
or a regularizer object (``kernel_regularizer=keras.regularizers.L1L2(...)``).
Keras 3 writes each such value as its own record wherever it serializes a
config (``keras.layers.serialize``, ``Model.get_config``, ``to_json``,
``model.save``); kerasette left them as Python objects, so the record was not
JSON and ``Model.from_config`` handed the object itself to the layer's
``from_config``, whose ``keras.layers.deserialize`` refused it.  The guide's
``CustomModel`` is called ``Wrapper`` here: a registered class whose name is
also a built-in's, which Keras 3 finds by its registered name first.
"""
import json
import os

import numpy as np
import pytest

import kerasette as keras


pytestmark = pytest.mark.usefixtures("fresh_names")     # fixtures: tests/saving/conftest.py


def _classes(lib):
    """The guide's two custom classes, written against ``lib`` (kerasette or Keras)."""

    @lib.saving.register_keras_serializable(package="GuideLayers", name="KernelMult")
    class MyDense(lib.layers.Layer):
        def __init__(self, units, *, kernel_regularizer=None, kernel_initializer=None, nested_model=None,
                     **kwargs):
            super().__init__(**kwargs)
            self.hidden_units = units
            self.kernel_regularizer = kernel_regularizer
            self.kernel_initializer = kernel_initializer
            self.nested_model = nested_model

        def get_config(self):
            config = super().get_config()
            config.update({"units": self.hidden_units, "kernel_regularizer": self.kernel_regularizer,
                           "kernel_initializer": self.kernel_initializer, "nested_model": self.nested_model})
            return config

        def build(self, input_shape):
            self.kernel = self.add_weight(name="kernel", shape=(input_shape[-1], self.hidden_units),
                                          regularizer=self.kernel_regularizer,
                                          initializer=self.kernel_initializer)

        def call(self, inputs):
            return lib.ops.matmul(inputs, self.kernel)

    @lib.saving.register_keras_serializable(package="GuideModels")
    class Wrapper(lib.layers.Layer):
        def __init__(self, first_layer, second_layer=None, **kwargs):
            super().__init__(**kwargs)
            self.first_layer = first_layer
            self.second_layer = second_layer if second_layer is not None else lib.layers.Dense(8, name="second")

        def get_config(self):
            config = super().get_config()
            config.update({"first_layer": self.first_layer, "second_layer": self.second_layer})
            return config

        @classmethod
        def from_config(cls, config):
            config["first_layer"] = lib.layers.deserialize(config["first_layer"])
            config["second_layer"] = lib.layers.deserialize(config["second_layer"])
            return cls(**config)

        def call(self, inputs):
            return self.first_layer(self.second_layer(inputs))

    return MyDense, Wrapper


def test_nested_layer_and_regularizer_objects_are_records(registry):
    MyDense, _ = _classes(keras)
    inner = MyDense(units=16, kernel_regularizer="l1", kernel_initializer="ones", name="inner")
    record = keras.layers.serialize(MyDense(units=64, nested_model=inner, name="outer"))
    nested = record["config"]["nested_model"]
    assert nested["class_name"] == "MyDense" and nested["registered_name"] == "GuideLayers>KernelMult"
    assert nested["config"]["units"] == 16 and nested["config"]["kernel_regularizer"] == "l1"
    json.dumps(record)
    rebuilt = keras.layers.deserialize(record)
    assert rebuilt.hidden_units == 64 and rebuilt.nested_model["config"]["name"] == "inner"

    regularized = keras.layers.serialize(MyDense(units=16, kernel_regularizer=keras.regularizers.L1L2(
        l1=1e-5, l2=1e-4), kernel_initializer="ones", name="reg"))
    assert regularized["config"]["kernel_regularizer"] == {
        "module": "keras.regularizers", "class_name": "L1L2", "config": {"l1": 1e-05, "l2": 0.0001},
        "registered_name": None}


def test_model_from_config_with_a_layer_holding_layers(registry, tmp_path):
    MyDense, Wrapper = _classes(keras)
    inputs = keras.Input((32,))
    outputs = Wrapper(first_layer=MyDense(units=16, kernel_initializer="ones", name="first"), name="wrap")(inputs)
    model = keras.Model(inputs, outputs)
    config = model.get_config()
    json.dumps(config)
    rebuilt = keras.Model.from_config(config)
    wrapper = rebuilt.get_layer("wrap")
    assert isinstance(wrapper.first_layer, MyDense) and wrapper.first_layer.hidden_units == 16
    assert isinstance(wrapper.second_layer, keras.layers.Dense) and wrapper.second_layer.units == 8
    assert [w.shape for w in rebuilt.get_weights()] == [w.shape for w in model.get_weights()]
    again = keras.models.model_from_json(model.to_json())
    assert again.get_layer("wrap").first_layer.hidden_units == 16

    path = str(tmp_path / "wrapped.keras")
    model.save(path)
    loaded = keras.models.load_model(path)
    x = np.random.default_rng(0).random((3, 32)).astype("float32")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)

    sequential = keras.Sequential([keras.Input((32,)), Wrapper(first_layer=MyDense(units=4, name="f"),
                                                               name="seq_wrap")])
    rebuilt = keras.Sequential.from_config(sequential.get_config())
    assert rebuilt.get_layer("seq_wrap").first_layer.hidden_units == 4


def test_records_match_keras_and_files_cross_load(registry, tmp_path):
    os.environ.setdefault("KERAS_BACKEND", "jax")
    real = pytest.importorskip("keras")
    records, paths = {}, {}
    for lib, tag in ((keras, "ours"), (real, "theirs")):
        MyDense, Wrapper = _classes(lib)
        layer = MyDense(units=16, kernel_regularizer=lib.regularizers.L1L2(l1=1e-5, l2=1e-4),
                        kernel_initializer="ones", name="inner")
        records[tag] = lib.layers.serialize(MyDense(units=64, nested_model=layer, name="outer"))
        inputs = lib.Input((6,))
        outputs = Wrapper(first_layer=MyDense(units=3, kernel_initializer="ones", name="first"),
                          second_layer=lib.layers.Dense(5, kernel_initializer="ones", name="second"),
                          name="wrap")(inputs)
        paths[tag] = str(tmp_path / f"{tag}.keras")
        lib.Model(inputs, outputs).save(paths[tag])
    assert records["ours"] == records["theirs"]
    x = np.random.default_rng(1).random((2, 6)).astype("float32")
    theirs_read_by_us = keras.models.load_model(paths["theirs"])
    _classes(real)  # Keras' registry: its own classes, for its reading of our file
    ours_read_by_keras = real.models.load_model(paths["ours"])
    np.testing.assert_allclose(theirs_read_by_us.predict(x, verbose=0),
                               np.asarray(ours_read_by_keras.predict(x, verbose=0)), rtol=1e-6)
