"""Setting ``trainable`` on a layer sets it on every layer nested in it, as Keras 3 does
(shown by the transfer-learning guide: ``model.trainable = False`` must leave
``inner_model.trainable`` False), and a weight counts as trainable while the layer holding
it is trainable."""
import os

import numpy as np
import pytest

import kerasette


def _nested(keras):
    inner = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(3, activation="relu"),
                              keras.layers.Dense(3, activation="relu")])
    outer = keras.Sequential([keras.Input(shape=(3,)), inner, keras.layers.Dense(3, activation="sigmoid")])
    return inner, outer


def _story(keras):
    """The counts of trainable weights and the flags after each step of freezing and thawing."""
    inner, outer = _nested(keras)
    seen = []

    def record():
        seen.append(([layer.trainable for layer in inner.layers], inner.trainable, outer.trainable,
                     len(outer.trainable_weights), len(outer.non_trainable_weights),
                     len(inner.trainable_weights), [bool(w.trainable) for w in outer.weights],
                     [w.path.split("/")[-1] for w in outer.weights]))
    record()
    outer.trainable = False
    record()
    inner.layers[1].trainable = True          # thaw one layer inside the frozen inner model
    record()
    outer.trainable = True
    record()
    inner.trainable = False
    record()
    inner.layers[0].trainable = True
    record()
    return seen


def test_freezing_a_model_freezes_its_nested_model():
    inner, outer = _nested(kerasette)
    outer.trainable = False
    assert inner.trainable is False
    assert [layer.trainable for layer in inner.layers] == [False, False]
    assert outer.trainable_weights == [] and len(outer.non_trainable_weights) == 6
    outer.trainable = True
    assert inner.trainable is True and all(layer.trainable for layer in inner.layers)
    assert len(outer.trainable_weights) == 6


def test_a_layer_thawed_inside_a_frozen_model_counts_again():
    inner, outer = _nested(kerasette)
    inner.trainable = False
    inner.layers[1].trainable = True
    assert inner.trainable_weights == []          # inner itself is still frozen
    assert [id(w) for w in outer.trainable_weights] == [id(w) for w in inner.layers[1].weights
                                                     + outer.layers[1].weights]


def test_frozen_inner_model_weights_do_not_change_in_fit():
    inner, outer = _nested(kerasette)
    outer.layers[-1].trainable = True
    inner.trainable = False
    before = [w.copy() for w in inner.get_weights()]
    head_before = outer.layers[-1].get_weights()[0].copy()
    outer.compile(optimizer="adam", loss="mse")
    outer.fit(np.random.random((4, 3)), np.random.random((4, 3)), verbose=0)
    for old, new in zip(before, inner.get_weights()):
        np.testing.assert_array_equal(old, new)
    assert not np.array_equal(head_before, outer.layers[-1].get_weights()[0])


def test_trainable_set_before_layer_init_does_not_fail():
    class Early(kerasette.layers.Layer):
        def __init__(self):
            self.trainable = False
            super().__init__(trainable=False)

    assert Early().trainable is False


def test_same_flags_and_counts_as_keras():
    os.environ.setdefault("KERAS_BACKEND", "jax")
    keras = pytest.importorskip("keras")
    assert _story(kerasette) == _story(keras)


def _batch_norm_story(keras):
    """Weights made in a frozen layer are made off; thawing turns on only those made trainable
    (a BatchNormalization's moving statistics stay off), and the order of the weights holds."""
    frozen = keras.layers.Dense(2, trainable=False)
    frozen.build((None, 3))
    made_off = [bool(w.trainable) for w in frozen.weights]
    frozen.trainable = True
    norm = keras.layers.BatchNormalization(trainable=False)
    norm.build((None, 3))
    before = [w.path.split("/")[-1] for w in norm.weights]
    norm.trainable = True
    return (made_off, [bool(w.trainable) for w in frozen.weights], len(frozen.trainable_weights), before,
            [w.path.split("/")[-1] for w in norm.weights], [bool(w.trainable) for w in norm.weights],
            len(norm.trainable_weights), len(norm.non_trainable_weights))


def test_weights_made_in_a_frozen_layer_and_thawed():
    assert _batch_norm_story(kerasette) == (
        [False, False], [True, True], 2, ["gamma", "beta", "moving_mean", "moving_variance"],
        ["gamma", "beta", "moving_mean", "moving_variance"], [True, True, False, False], 2, 2)


def test_thawed_layer_weights_as_keras():
    os.environ.setdefault("KERAS_BACKEND", "jax")
    keras = pytest.importorskip("keras")
    assert _batch_norm_story(kerasette) == _batch_norm_story(keras)
