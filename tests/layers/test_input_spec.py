"""InputSpec: Keras 3's arguments (dtype, shape, allow_last_axis_squeeze, name, optional),
its config and repr, and the checks a layer call makes with it."""
import os

import numpy as np
import pytest

import kerasette as K
from kerasette.layers.input_spec import InputSpec, assert_input_compatibility
from kerasette.primitives.base import ShapeError


class _Shaped:
    """An input as the checks see it: a shape (None for a free axis) and a dtype."""

    def __init__(self, shape, dtype="float32"):
        self.shape, self.dtype = tuple(shape), dtype


class _Named:
    name = "probe"


SPECS = [
    dict(ndim=3), dict(min_ndim=2), dict(max_ndim=2), dict(min_ndim=2, axes={-1: 4}),
    dict(axes={1: 5}), dict(axes={-2: 5, -1: 4}), dict(dtype="float32"), dict(dtype="int32"),
    dict(shape=(None, 28, 28, 1)), dict(shape=(None, 28, 28, 1), allow_last_axis_squeeze=True),
    dict(shape=(None, 28, 28), allow_last_axis_squeeze=True), dict(shape=(2, None)),
]
INPUTS = [((None, 5, 4), "float32"), ((2, 5, 4), "int32"), ((None, 4), "float32"), ((7,), "float32"),
          ((None, 28, 28), "float32"), ((None, 28, 28, 1), "float32"), ((3, 28, 28, 3), "float32"),
          ((2, 9), "float32"), ((None, 28, 28, 1, 1), "float32")]


def _accepts(check):
    try:
        check()
    except (ValueError, IndexError):    # Keras releases before 3.15 index out of range for a missing axis
        return False
    return True


def test_accepts_and_refuses_what_keras3_does():
    os.environ.setdefault("KERAS_BACKEND", "jax")
    keras = pytest.importorskip("keras")
    from keras.src.layers.input_spec import assert_input_compatibility as keras_check

    disagreements, refused = [], 0
    for kwargs in SPECS:
        for shape, dtype in INPUTS:
            ours = _accepts(lambda: assert_input_compatibility(InputSpec(**kwargs), _Shaped(shape, dtype), _Named()))
            theirs = _accepts(lambda: keras_check(keras.InputSpec(**kwargs), keras.KerasTensor(shape, dtype), "probe"))
            refused += not ours
            if ours != theirs:
                disagreements.append((kwargs, shape, dtype, ours, theirs))
    # Keras 3.15.1 drops a last axis of 1 from the spec and from the input independently, so a spec
    # (None, 28, 28, 1) with the squeeze allowed takes (3, 28, 28, 3): its later source compares ranks
    # first and refuses it, as kerasette does (a clear error rather than a wrong input let through)
    assert disagreements == [(dict(shape=(None, 28, 28, 1), allow_last_axis_squeeze=True), (3, 28, 28, 3), "float32",
                              False, True)]
    assert 40 < refused < len(SPECS) * len(INPUTS)     # the matrix exercises both answers


def test_config_and_repr_follow_keras3():
    spec = InputSpec(dtype="float32", shape=(None, 3), axes={"-1": 3}, optional=True, name="x")
    assert spec.ndim == 2 and spec.axes == {-1: 3}
    assert spec.get_config() == {"dtype": "float32", "shape": (None, 3), "ndim": 2, "max_ndim": None,
                                 "min_ndim": None, "axes": {-1: 3}, "optional": True}
    again = InputSpec.from_config(spec.get_config())
    assert (again.shape, again.dtype, again.axes, again.optional) == ((None, 3), "float32", {-1: 3}, True)
    assert repr(InputSpec(min_ndim=2, axes={-1: 8})) == "InputSpec(min_ndim=2, axes={-1: 8})"
    assert repr(InputSpec(shape=(None, 4), dtype=int)) == "InputSpec(dtype=int64, shape=(None, 4), ndim=2)"
    with pytest.raises(TypeError, match="axes must be a dict with integer keys"):
        InputSpec(axes={"last": 3})
    with pytest.raises(ValueError, match="axis 3 is greater than the largest axis of an input of rank 2"):
        InputSpec(ndim=2, axes={3: 1})
    assert K.InputSpec is InputSpec and K.layers.InputSpec is InputSpec


class _Flat(K.layers.Layer):
    """Keras 3's docstring example: takes (*, 28, 28) and (*, 28, 28, 1)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.input_spec = InputSpec(shape=(None, 28, 28, 1), allow_last_axis_squeeze=True)

    def call(self, x):
        return K.ops.reshape(x, (-1, 28 * 28))


def test_a_layer_checks_its_spec_before_it_runs():
    layer = _Flat(name="flat")
    assert layer(np.ones((2, 28, 28), "float32")).shape == (2, 784)
    assert layer(np.ones((2, 28, 28, 1), "float32")).shape == (2, 784)
    assert tuple(layer(K.Input((28, 28))).shape) == (None, 784)
    with pytest.raises(ShapeError, match=r"_Flat 'flat' expects an input of shape \(None, 28, 28, 1\) "
                                         r"\(a last axis of 1 may be added or left out\), got \(2, 28, 27\)"):
        layer(np.ones((2, 28, 27), "float32"))
    with pytest.raises(ShapeError, match=r"expects an input of shape \(None, 28, 28, 1\) \(a last axis .*\), "
                                         r"got \(2, 28, 28, 3\)"):
        layer(np.ones((2, 28, 28, 3), "float32"))
    assert len(layer._calls) == 1       # the refused calls added nothing to any graph


class _Pair(K.layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.input_spec = [InputSpec(ndim=2, name="a"), InputSpec(dtype="int32", name="b", optional=True)]

    def call(self, inputs):
        if isinstance(inputs, dict):
            inputs = [inputs["a"], inputs["b"]]
        a, b = inputs
        return a if b is None else a + K.ops.cast(b, a.dtype)


def test_several_inputs_by_position_by_name_and_optional():
    layer = _Pair(name="pair")
    a, b = np.ones((2, 3), "float32"), np.full((2, 3), 2, "int32")
    assert np.array_equal(layer([a, b]), np.full((2, 3), 3.0))
    assert np.array_equal(layer({"b": b, "a": a}), np.full((2, 3), 3.0))
    assert np.array_equal(layer([a, None]), a)                       # b is optional
    with pytest.raises(ValueError, match=r"_Pair 'pair' \(input 1 'b'\) expects an input of dtype int32, "
                                         r"got float32 \(shape \(2, 3\)\)"):
        layer([a, a])
    with pytest.raises(ShapeError, match=r"_Pair 'pair' \(input 0 'a'\) expects an input of rank 2, "
                                         r"got shape \(2, 3, 1\)"):
        layer([a[..., None], b])
    with pytest.raises(ValueError, match=r"_Pair 'pair' expects 2 input\(s\), got 1"):
        layer([a])
    with pytest.raises(ValueError, match=r"_Pair 'pair' is missing the input 'b': it expects the keys "
                                         r"\['a', 'b'\], got \['a'\]"):
        layer({"a": a})
    with pytest.raises(ValueError, match=r"\(input 0 'a'\) takes tensors as inputs, got None"):
        layer([None, b])


def test_an_axis_the_input_does_not_have_is_refused_as_in_keras3():
    probe = _Named()
    with pytest.raises(ShapeError, match=r"probe' expects an input with an axis 2 \(of size 4\), got shape \(None, 4\)"):
        assert_input_compatibility(InputSpec(axes={2: 4}), _Shaped((None, 4)), probe)
    assert_input_compatibility(InputSpec(axes={2: None}), _Shaped((None, 4)), probe)   # None: any size, any rank
