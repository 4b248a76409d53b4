"""A Sequential without an input shape, held by a subclassed model, is first built inside the
model's own run (fit's symbolic trace, or ``model.build``): its layers must stay its layers,
their weights the model's weights, and fit must train them (intro_to_keras_for_engineers'
``MyModel`` with its ``conv_base``)."""
import os

import numpy as np
import pytest

import kerasette


def _model_class(keras):
    class Stacked(keras.Model):
        def __init__(self):
            super().__init__()
            self.base = keras.Sequential([keras.layers.Dense(4, activation="relu"), keras.layers.Dense(3)])
            self.head = keras.layers.Dense(2)

        def call(self, x):
            return self.head(self.base(x))
    return Stacked


X = np.random.default_rng(0).random((8, 5)).astype("float32")
Y = np.random.default_rng(1).random((8, 2)).astype("float32")


def _summary(keras, how):
    model = _model_class(keras)()
    if how == "build":
        model.build((None, 5))
    model.compile(optimizer="sgd", loss="mse")
    if how == "fit":
        model.fit(X, Y, batch_size=4, verbose=0)
    return ([type(layer).__name__ for layer in model.base.layers], len(model.weights),
            len(model.trainable_weights), [tuple(w.shape) for w in model.weights])


@pytest.mark.parametrize("how", ["fit", "build"])
def test_nested_sequential_keeps_its_layers_and_weights(how):
    layers, count, trainable, shapes = _summary(kerasette, how)
    assert layers == ["Dense", "Dense"]
    assert count == trainable == 6
    assert shapes == [(5, 4), (4,), (4, 3), (3,), (3, 2), (2,)]


def test_fit_trains_the_nested_sequential():
    model = _model_class(kerasette)()
    model.compile(optimizer="sgd", loss="mse")
    model.fit(X, Y, batch_size=4, verbose=0)        # builds everything inside fit's trace
    before = [w.copy() for w in model.base.get_weights()]
    assert len(before) == 4
    model.fit(X, Y, batch_size=4, verbose=0)
    after = model.base.get_weights()
    assert all(not np.array_equal(old, new) for old, new in zip(before, after))
    # the model's outputs are the Sequential's, through the head
    np.testing.assert_allclose(model.predict(X, verbose=0), model.head(model.base(X)), rtol=1e-5, atol=1e-6)


def test_same_structure_as_keras_after_fit():
    # (Keras 3.15.1's model.build((None, 5)) on a subclassed model only warns and builds
    # nothing; kerasette runs call on symbolic inputs there, so only fit is compared)
    os.environ.setdefault("KERAS_BACKEND", "jax")
    keras = pytest.importorskip("keras")
    assert _summary(kerasette, "fit") == _summary(keras, "fit")
