"""Merge layers: numbers, Keras' output shapes and shape checks, masks, functional forms."""
import numpy as np
import pytest

from kerasette import Tensor, backend, ops
from kerasette.engine import Session
from kerasette.layers import Input
from kerasette.layers.core import Embedding
from kerasette.layers.layer import get_mask
from kerasette.layers.merging import (Add, Average, Concatenate, Dot, Maximum, Minimum, Multiply,
                                      Subtract, add, average, concatenate, dot, maximum, minimum,
                                      multiply, subtract)
from kerasette.primitives.base import ShapeError


@pytest.fixture(autouse=True)
def fresh_names():
    backend.clear_session()
    yield


def rng(seed=0):
    return np.random.default_rng(seed)


def three_ways(layer, xs):
    """Outputs on arrays, on eager Tensors and through a graph."""
    from_arrays = layer(list(xs))
    from_tensor = layer([Tensor(x) for x in xs]).numpy()
    nodes = [Input(shape=x.shape[1:]) for x in xs]
    out = layer(nodes)
    from_graph = Session().run(out, dict(zip(nodes, xs)))
    return from_arrays, from_tensor, from_graph


ELEMENTWISE = [
    (Add, lambda xs: xs[0] + xs[1] + xs[2]),
    (Multiply, lambda xs: xs[0] * xs[1] * xs[2]),
    (Average, lambda xs: (xs[0] + xs[1] + xs[2]) / 3),
    (Maximum, lambda xs: np.maximum(np.maximum(xs[0], xs[1]), xs[2])),
    (Minimum, lambda xs: np.minimum(np.minimum(xs[0], xs[1]), xs[2])),
]


@pytest.mark.parametrize("cls, reference", ELEMENTWISE)
def test_elementwise_merges_numbers_shapes_and_no_params(cls, reference):
    xs = [rng(i).standard_normal((4, 3, 5)).astype(np.float32) for i in range(3)]
    layer = cls()
    for out in three_ways(layer, xs):
        np.testing.assert_allclose(out, reference(xs), rtol=1e-6)
    assert layer.count_params() == 0
    assert layer.compute_output_shape([(None, 3, 5)] * 3) == (None, 3, 5)
    assert cls.from_config(layer.get_config()).get_config() == layer.get_config()


def test_subtract_takes_exactly_two():
    a, b = rng(0).standard_normal((2, 4)).astype(np.float32), rng(1).standard_normal((2, 4)).astype(np.float32)
    for out in three_ways(Subtract(), [a, b]):
        np.testing.assert_allclose(out, a - b)
    with pytest.raises(ValueError, match=r"Subtract 'sub' should be called on exactly 2 inputs, got 3"):
        Subtract(name="sub")([Input(shape=(4,))] * 3)


def test_add_shape_error_names_layer_and_both_shapes():
    with pytest.raises(ShapeError, match=r"Add 'add' cannot merge inputs of incompatible shapes \(None, 3\), \(None, 4\)"):
        Add()([Input(shape=(3,)), Input(shape=(4,))])
    with pytest.raises(ShapeError, match=r"Multiply 'm' .*\(2, 3\), \(5, 3\)"):
        Multiply(name="m")([np.ones((2, 3)), np.ones((5, 3))])
    with pytest.raises(ValueError, match="list of inputs"):
        Add()(Input(shape=(3,)))


def test_elementwise_broadcasting_like_keras():
    assert Add()([Input(shape=(1,)), Input(shape=(4,))]).shape == (None, 4)
    # a lower-rank input gets size-1 axes after the batch axis
    a = rng(0).standard_normal((2, 3, 4)).astype(np.float32)
    b = rng(1).standard_normal((2, 4)).astype(np.float32)
    layer = Add()
    assert layer.compute_output_shape([(None, 3, 4), (None, 4)]) == (None, 3, 4)
    np.testing.assert_allclose(layer([a, b]), a + b[:, None, :], rtol=1e-6)
    nodes = [Input(shape=(3, 4)), Input(shape=(4,))]
    assert Add()(nodes).shape == (None, 3, 4)


def test_multiply_gradients_reach_both_inputs():
    a = Tensor(np.array([[1.0, 2.0]], np.float32), requires_grad=True)
    b = Tensor(np.array([[3.0, 4.0]], np.float32), requires_grad=True)
    ops.sum(Multiply()([a, b])).backward()
    np.testing.assert_allclose(a.grad.numpy(), [[3.0, 4.0]])
    np.testing.assert_allclose(b.grad.numpy(), [[1.0, 2.0]])
    c = Tensor(np.array([[1.0, 5.0]], np.float32), requires_grad=True)
    d = Tensor(np.array([[2.0, 0.0]], np.float32), requires_grad=True)
    ops.sum(Maximum()([c, d])).backward()
    np.testing.assert_allclose(c.grad.numpy(), [[0.0, 1.0]])
    np.testing.assert_allclose(d.grad.numpy(), [[1.0, 0.0]])


def test_elementwise_masks_combine_with_and():
    embed_a, embed_b = Embedding(10, 2, mask_zero=True), Embedding(10, 2, mask_zero=True)
    a = embed_a(np.array([[1, 0, 3, 4]]))
    b = embed_b(np.array([[2, 5, 0, 4]]))
    out = Add()([a, b])
    np.testing.assert_array_equal(get_mask(out), [[True, False, False, True]])


# -------------------------------------------------------------- Concatenate

def test_concatenate_numbers_and_shapes():
    a = rng(0).standard_normal((2, 4, 3)).astype(np.float32)
    b = rng(1).standard_normal((2, 4, 5)).astype(np.float32)
    layer = Concatenate()
    for out in three_ways(layer, [a, b]):
        np.testing.assert_array_equal(out, np.concatenate([a, b], axis=-1))
    assert layer.compute_output_shape([(None, 4, 3), (None, 4, 5)]) == (None, 4, 8)
    c = rng(2).standard_normal((2, 1, 3)).astype(np.float32)
    np.testing.assert_array_equal(Concatenate(axis=1)([a, c]), np.concatenate([a, c], axis=1))
    assert Concatenate(axis=1)([Input(shape=(None, 3)), Input(shape=(2, 3))]).shape == (None, None, 3)


def test_concatenate_shape_errors():
    with pytest.raises(ShapeError, match=r"Concatenate 'cat' requires inputs with matching shapes except for "
                                         r"the concatenation axis -1, got shapes \(None, 4, 3\), \(None, 5, 3\)"):
        Concatenate(name="cat")([Input(shape=(4, 3)), Input(shape=(5, 3))])
    with pytest.raises(ShapeError, match="same rank"):
        Concatenate()([Input(shape=(4, 3)), Input(shape=(4,))])


def test_concatenate_gradient_and_config():
    a = Tensor(np.ones((1, 2), np.float32), requires_grad=True)
    b = Tensor(np.ones((1, 3), np.float32), requires_grad=True)
    out = Concatenate()([a, b])
    ops.sum(ops.multiply(out, np.arange(5, dtype=np.float32))).backward()
    np.testing.assert_array_equal(a.grad.numpy(), [[0.0, 1.0]])
    np.testing.assert_array_equal(b.grad.numpy(), [[2.0, 3.0, 4.0]])
    layer = Concatenate(axis=1, name="c")
    clone = Concatenate.from_config(layer.get_config())
    assert clone.axis == 1 and clone.get_config() == layer.get_config()


def test_concatenate_joins_masks():
    embed = Embedding(10, 2, mask_zero=True)
    a = embed(np.array([[1, 0, 3]]))
    b = Embedding(10, 2, mask_zero=True)(np.array([[0, 0, 2]]))
    np.testing.assert_array_equal(get_mask(Concatenate(axis=1)([a, b])), [[True, False, True, False, False, True]])
    # along the features: a step is kept if either input keeps it
    np.testing.assert_array_equal(get_mask(Concatenate()([a, b])), [[True, False, True]])


# ---------------------------------------------------------------------- Dot

def test_dot_of_vectors_gives_batch_by_one():
    a = rng(0).standard_normal((3, 8)).astype(np.float32)
    b = rng(1).standard_normal((3, 8)).astype(np.float32)
    layer = Dot(axes=1)
    for out in three_ways(layer, [a, b]):
        np.testing.assert_allclose(out, np.sum(a * b, axis=1, keepdims=True), rtol=1e-5)
    assert layer.compute_output_shape([(None, 8), (None, 8)]) == (None, 1)


def test_dot_of_matrices_with_axis_pairs():
    a = rng(0).standard_normal((2, 3, 8)).astype(np.float32)
    b = rng(1).standard_normal((2, 8, 5)).astype(np.float32)
    out = Dot(axes=(2, 1))([a, b])
    np.testing.assert_allclose(out, a @ b, rtol=1e-5)
    assert Dot(axes=(2, 1))([Input(shape=(3, 8)), Input(shape=(8, 5))]).shape == (None, 3, 5)
    # same axis on both: (b, 4, 3) . (b, 4, 6) over axis 1 -> (b, 3, 6)
    c = rng(2).standard_normal((2, 4, 3)).astype(np.float32)
    d = rng(3).standard_normal((2, 4, 6)).astype(np.float32)
    np.testing.assert_allclose(Dot(axes=1)([c, d]), np.einsum("bkc,bkd->bcd", c, d), rtol=1e-5)
    np.testing.assert_allclose(dot([c, d], axes=-2), np.einsum("bkc,bkd->bcd", c, d), rtol=1e-5)


def test_dot_normalize_is_cosine_similarity():
    a = rng(0).standard_normal((4, 6)).astype(np.float32)
    b = rng(1).standard_normal((4, 6)).astype(np.float32)
    expected = np.sum(a * b, axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
    np.testing.assert_allclose(Dot(axes=1, normalize=True)([a, b])[:, 0], expected, rtol=1e-5)


def test_dot_gradients_and_errors():
    a = Tensor(np.array([[1.0, 2.0]], np.float32), requires_grad=True)
    b = Tensor(np.array([[3.0, 4.0]], np.float32), requires_grad=True)
    ops.sum(Dot(axes=1)([a, b])).backward()
    np.testing.assert_allclose(a.grad.numpy(), [[3.0, 4.0]])
    np.testing.assert_allclose(b.grad.numpy(), [[1.0, 2.0]])
    with pytest.raises(ShapeError, match=r"Dot 'dot_1' got incompatible shapes: size 3 on axis 1 of \(None, 3\) "
                                         r"differs from size 4 on axis 1 of \(None, 4\)"):
        Dot(axes=1)([Input(shape=(3,)), Input(shape=(4,))])
    with pytest.raises(ValueError, match="exactly 2 inputs"):
        Dot(axes=1)([Input(shape=(3,))] * 3)
    layer = Dot(axes=(2, 1), normalize=True, name="d")
    clone = Dot.from_config(layer.get_config())
    assert clone.axes == (2, 1) and clone.normalize is True


# -------------------------------------------------------- functional forms

def test_functional_forms_build_the_layers():
    a, b = Input(shape=(4,)), Input(shape=(4,))
    forms = {add: "Add", subtract: "Subtract", multiply: "Multiply", average: "Average",
             maximum: "Maximum", minimum: "Minimum", concatenate: "Concatenate"}
    for form, class_name in forms.items():
        out = form([a, b])
        assert type(out.origin[0].layer).__name__ == class_name
    assert concatenate([a, b]).shape == (None, 8)
    assert concatenate([Input(shape=(2, 4)), Input(shape=(3, 4))], axis=1).shape == (None, 5, 4)
    assert dot([a, b], axes=1).shape == (None, 1)
    named = add([a, b], name="sum_ab")
    assert named.origin[0].layer.name == "sum_ab"
    x, y = np.ones((2, 4), np.float32), np.full((2, 4), 3.0, np.float32)
    np.testing.assert_allclose(average([x, y]), np.full((2, 4), 2.0))
    np.testing.assert_allclose(subtract([x, y]), np.full((2, 4), -2.0))
