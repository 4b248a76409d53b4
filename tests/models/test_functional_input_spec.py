"""A functional model refuses, before running, inputs of another shape than its Inputs' (Keras 3's
Functional.input_spec: batch axis free, a last axis of 1 may be squeezed, specs named by input);
a Sequential takes what it is given, as in Keras 3 (found running transfer_learning, where the
augmentation Sequential built on 150x150 images then takes other sizes)."""
import os

import numpy as np
import pytest

import kerasette
from kerasette.layers import InputSpec


def _models(keras):
    one = keras.Input((8, 8, 3))
    single = keras.Model(one, keras.layers.Conv2D(2, 3)(one))
    a, b = keras.Input((4,), name="a"), keras.Input((4, 1), name="b")
    pair = keras.Model([a, b], keras.layers.Concatenate()([a, keras.layers.Flatten()(b)]))
    named = keras.Model({"a": a, "b": b}, keras.layers.Add()([a, keras.layers.Flatten()(b)]))
    built_by_call = keras.Sequential([keras.layers.Conv2D(2, 3)])
    built_by_call(np.ones((1, 8, 8, 3), "float32"))
    return single, pair, named, built_by_call


def _outcomes(keras):
    single, pair, named, built_by_call = _models(keras)
    calls = [lambda: single(np.ones((2, 8, 8, 3), "float32")), lambda: single(np.ones((2, 6, 6, 3), "float32")),
             lambda: single(keras.Input((6, 6, 3))), lambda: single(np.ones((2, 8, 8), "float32")),
             lambda: pair([np.ones((2, 4), "float32"), np.ones((2, 4), "float32")]),    # squeezed last axis
             lambda: pair([np.ones((2, 5), "float32"), np.ones((2, 4, 1), "float32")]),
             lambda: named({"a": np.ones((2, 4), "float32"), "b": np.ones((2, 3, 1), "float32")}),
             lambda: built_by_call(np.ones((2, 6, 6, 3), "float32"))]
    outcomes = []
    for call in calls:
        try:
            outcomes.append(tuple(call().shape))
        except ValueError:
            outcomes.append("ValueError")
    return outcomes


def test_functional_model_refuses_inputs_of_other_shapes():
    single, pair, _, built_by_call = _models(kerasette)
    with pytest.raises(ValueError, match=r"(?s)input_\d+.*\(None, 8, 8, 3\).*\(2, 6, 6, 3\)"):
        single(np.ones((2, 6, 6, 3), "float32"))
    spec = single.input_spec
    assert isinstance(spec, InputSpec) and spec.shape == (None, 8, 8, 3) and spec.allow_last_axis_squeeze
    assert [s.name for s in pair.input_spec] == ["a", "b"]
    assert built_by_call.input_spec is None
    single.input_spec = None                       # one set by hand wins
    assert single(np.ones((2, 6, 6, 3), "float32")).shape == (2, 4, 4, 2)


def test_same_outcomes_as_keras():
    os.environ.setdefault("KERAS_BACKEND", "jax")
    keras = pytest.importorskip("keras")
    ours = _outcomes(kerasette)
    assert ours == _outcomes(keras)
    assert ours.count("ValueError") == 5
