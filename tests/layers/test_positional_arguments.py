"""Layer calls refuse positional arguments Keras 3 refuses, before anything is built: a non-tensor
after the inputs (pass it by keyword), and one landing on ``call``'s ``training`` parameter
(understanding_masking_and_padding ends with ``model(x, y)`` on a functional model, which
Keras 3.15.1 refuses with a TypeError)."""
import os

import numpy as np
import pytest

import kerasette


def _layers(keras):
    class WithTraining(keras.layers.Layer):
        def call(self, x, training=None):
            return x

    class WithMask(keras.layers.Layer):
        def call(self, x, mask=None):
            return x

    class TwoInputs(keras.layers.Layer):
        def call(self, x, y):
            return x + y

    return WithTraining, WithMask, TwoInputs


def _functional(keras):
    inputs = keras.Input(shape=(None,), dtype="int32")
    x = keras.layers.Embedding(input_dim=10, output_dim=4, mask_zero=True)(inputs)
    return keras.Model(inputs, keras.layers.Dense(1)(x))


def _outcomes(keras):
    WithTraining, WithMask, TwoInputs = _layers(keras)
    a = np.ones((2, 2), "float32")
    calls = [lambda: WithTraining()(a, a), lambda: WithMask()(a, a), lambda: TwoInputs()(a, a),
             lambda: TwoInputs()(a, 3.0), lambda: keras.layers.Dropout(0.5)(a, True),
             lambda: _functional(keras)(np.ones((3, 5), "int32"), np.ones((3, 5, 1))),
             lambda: keras.layers.Add()([a, a])]
    outcomes = []
    for call in calls:
        try:
            outcomes.append(tuple(call().shape))
        except (TypeError, ValueError) as error:
            outcomes.append(type(error).__name__)
    return outcomes


def test_non_tensor_positional_argument_is_refused_with_its_value_named():
    dense = kerasette.layers.Dense(2)
    with pytest.raises(ValueError, match=r"passed as a keyword argument: True \(of type <class 'bool'>\)"):
        dense(np.ones((2, 3), "float32"), True)
    assert not dense.built                       # refused before building


def test_positional_argument_on_training_is_refused():
    model = _functional(kerasette)
    with pytest.raises(TypeError, match="got multiple values for argument 'training'"):
        model(np.ones((3, 5), "int32"), np.ones((3, 5, 1)))
    WithTraining, WithMask, _ = _layers(kerasette)
    layer = WithMask()
    assert layer(np.ones((2, 2)), np.ones((2, 2), bool)).shape == (2, 2)   # a mask may come positionally
    assert layer.built


def test_same_outcomes_as_keras():
    os.environ.setdefault("KERAS_BACKEND", "jax")
    keras = pytest.importorskip("keras")
    ours, theirs = _outcomes(kerasette), _outcomes(keras)
    assert ours == theirs
    assert ours == ["TypeError", (2, 2), (2, 2), "ValueError", "ValueError", "TypeError", (2, 2)]
