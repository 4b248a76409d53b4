"""Custom layers as the keras.io subclassing guide writes them, against Keras 3.15.1."""
import os

import numpy as np
import pytest

import kerasette as keras


def _keras():
    os.environ.setdefault("KERAS_BACKEND", "jax")
    return pytest.importorskip("keras")


def _paths(k):
    """The paths of the guide's MLPBlock of Linear layers whose add_weight() calls name nothing."""
    k.backend.clear_session()

    class Linear(k.layers.Layer):
        def __init__(self, units=32):
            super().__init__()
            self.units = units

        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer="random_normal")
            self.b = self.add_weight(shape=(self.units,), initializer="zeros")

        def call(self, inputs):
            return k.ops.matmul(inputs, self.w) + self.b

    class MLPBlock(k.layers.Layer):
        def __init__(self):
            super().__init__()
            self.linear_1 = Linear(8)
            self.linear_2 = Linear(1)

        def call(self, inputs):
            return self.linear_2(k.activations.relu(self.linear_1(inputs)))

    first = Linear(4)
    first(np.ones((2, 3), "float32"))
    mlp = MLPBlock()
    mlp(np.ones((3, 5), "float32"))
    named = Linear(2)
    named.build((None, 2))
    return [w.path for w in first.weights + mlp.weights + named.weights]


def test_unnamed_weights_take_session_unique_automatic_names():
    ours = _paths(keras)
    assert ours[:2] == ["linear/variable", "linear/variable_1"]
    assert ours[2:6] == ["mlp_block/linear_1/variable_2", "mlp_block/linear_1/variable_3",
                         "mlp_block/linear_2/variable_4", "mlp_block/linear_2/variable_5"]
    assert _paths(keras) == ours                 # clear_session starts the numbers again
    assert _paths(_keras()) == ours


def _auto_configs(k):
    """Configs of layers whose classes define no get_config(), and a functional round trip."""
    class CustomDense(k.layers.Layer):
        def __init__(self, units=32, activation=None, **kwargs):
            super().__init__(**kwargs)
            self.units = units

        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer="ones")

        def call(self, inputs):
            return k.ops.matmul(inputs, self.w)

    class Pair(k.layers.Layer):                       # no name, no **kwargs: the name is left out
        def __init__(self, a, b=(1, [2.5, "x"]), c=None):
            super().__init__()

    class Explicit(CustomDense):                      # a config of its own: used as it is
        def get_config(self):
            return {"units": self.units}

    def strip(config):
        return {key: value for key, value in config.items() if key != "dtype"}

    configs = [strip(CustomDense(10).get_config()),
               strip(CustomDense(7, "relu", name="named", trainable=False).get_config()),
               strip(Pair(5, c={"k": True}).get_config()),
               Explicit(3).get_config()]
    refusals = []
    for make in (lambda: Pair(np.ones(2)), lambda: Pair(k.layers.Dense(2))):
        try:
            make().get_config()
        except NotImplementedError:
            refusals.append(True)
    inputs = k.Input((4,))
    model = k.Model(inputs, CustomDense(10)(inputs))
    rebuilt = k.Model.from_config(model.get_config(), custom_objects={"CustomDense": CustomDense})
    return configs, refusals, rebuilt.layers[1].units, rebuilt.output_shape


def test_a_layer_without_get_config_configs_its_constructor_arguments():
    ours = _auto_configs(keras)
    assert ours[0][0] == {"name": ours[0][0]["name"], "units": 10, "activation": None, "trainable": True}
    assert list(ours[0][1]) == ["name", "units", "activation", "trainable"] and ours[0][1]["name"] == "named"
    assert ours[0][2] == {"a": 5, "b": (1, [2.5, "x"]), "c": {"k": True}, "trainable": True}
    assert ours[0][3] == {"units": 3}
    assert ours[1] == [True, True]
    assert ours[2:] == (10, (None, 10))       # was rebuilt with the default units=32
    theirs = _auto_configs(_keras())
    assert [dict(c, name=None) for c in ours[0]] == [dict(c, name=None) for c in theirs[0]]
    assert [c.get("name") == "named" for c in ours[0]] == [c.get("name") == "named" for c in theirs[0]]
    assert ours[1:] == theirs[1:]
