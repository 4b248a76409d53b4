"""What the keras.io guide 'The Sequential model' does, checked against Keras 3.15.1."""
import os

import numpy as np
import pytest

import kerasette as keras
from kerasette import layers


def _keras():
    os.environ.setdefault("KERAS_BACKEND", "jax")
    return pytest.importorskip("keras")


def _stacks(k):
    """(built, output_shape or None, param count or None) for five ways of putting a model first."""
    inp = k.Input((5,))
    functional = k.Model(inp, k.layers.Dense(2)(inp))
    inner = k.Sequential([k.Input((6,)), k.layers.Dense(2)])
    unbuilt_inner = k.Sequential([k.layers.Dense(2)])
    cases = [k.Sequential([functional, k.layers.Dense(3)]),
             k.Sequential([inner, k.layers.Dense(3)]),
             k.Sequential([functional]),
             k.Sequential([unbuilt_inner, k.layers.Dense(3)])]
    added = k.Sequential()
    added.add(functional)
    built_after_one = added.built
    added.add(k.layers.Dense(4))
    cases.append(added)
    out = []
    for model in cases:
        shape = model.output_shape if model.built else None
        out.append((bool(model.built), None if shape is None else tuple(shape),
                    model.count_params() if model.built else None))
    return out, built_after_one


def test_a_model_put_first_builds_the_sequential_once_a_second_layer_comes():
    ours, ours_after_one = _stacks(keras)
    assert ours[0] == (True, (None, 3), 12 + 9)
    assert ours[1] == (True, (None, 3), 14 + 9)
    assert ours[2][0] is False          # one layer only: not built yet, as in Keras
    assert ours[3][0] is False          # the inner model has no input shape
    assert ours[4] == (True, (None, 4), 12 + 12) and ours_after_one is False
    k = _keras()
    theirs, theirs_after_one = _stacks(k)
    assert ours == theirs and ours_after_one == theirs_after_one


def test_transfer_learning_blueprint_frozen_base_model_then_dense():
    keras.utils.set_random_seed(1)
    inp = keras.Input((8,))
    base = keras.Model(inp, layers.Dense(6, activation="relu")(inp))
    base.trainable = False
    model = keras.Sequential([base, layers.Dense(3)])
    assert model.built and model.count_params() == 8 * 6 + 6 + 6 * 3 + 3
    assert len(model.trainable_weights) == 2 and len(model.non_trainable_weights) == 2
    model.compile(optimizer="sgd", loss="mse")
    frozen = [w.copy() for w in base.get_weights()]
    x = np.random.default_rng(0).normal(size=(16, 8)).astype("float32")
    model.fit(x, np.ones((16, 3), "float32"), verbose=0)
    for before, after in zip(frozen, base.get_weights()):
        np.testing.assert_array_equal(before, after)
    np.testing.assert_allclose(model.predict(x, verbose=0), model.layers[1](base(x)), rtol=1e-6)
