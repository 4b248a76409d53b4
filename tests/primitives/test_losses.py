"""Fused cross-entropies: forward against Keras' formulas, gradients against finite differences."""
import numpy as np
import pytest

from kerasette import engine
from kerasette.primitives import ShapeError, get

from .harness import Case, check_case, random

EPS = 1e-7


def log_softmax(z, axis=-1):
    shifted = z - z.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def dense_reference(from_logits, axis=-1):
    def reference(t, o):
        if from_logits:
            log_prob = log_softmax(o, axis)
        else:
            log_prob = np.log(np.clip(o / o.sum(axis=axis, keepdims=True), EPS, 1 - EPS))
        return -(t * log_prob).sum(axis=axis)
    return reference


def sparse_reference(from_logits, axis=-1):
    def reference(labels, o):
        labels = labels.reshape(o.shape[:axis % o.ndim] + o.shape[axis % o.ndim + 1:])
        onehot = np.moveaxis(np.eye(o.shape[axis])[labels], -1, axis)
        return dense_reference(from_logits, axis)(onehot, o)
    return reference


def binary_reference(from_logits):
    def reference(t, o):
        if from_logits:
            p = 1 / (1 + np.exp(-o))
            return -(t * np.log(p) + (1 - t) * np.log(1 - p))
        c = np.clip(o, EPS, 1 - EPS)
        return -(t * np.log(c) + (1 - t) * np.log(1 - c))
    return reference


def soft_targets(shape, seed, axis=-1):
    t = random(shape, seed, 0.1, 1.0)
    return t / t.sum(axis=axis, keepdims=True)


def labels(shape, classes, seed):
    return np.random.default_rng(seed).integers(0, classes, size=shape)


def backward_reference(loss, wrt):
    """d loss / d input ``wrt`` times grad, by central differences (for the backward primitives)."""
    def reference(t, o, g):
        x = [t, o][wrt].astype(np.float64).copy()
        out = np.zeros_like(x)
        for i in range(x.size):
            for sign in (1, -1):
                y = x.copy()
                y.flat[i] += sign * 1e-6
                args = [y, o] if wrt == 0 else [t, y]
                out.flat[i] += sign * np.sum(loss(*args) * g) / 2e-6
        return out
    return reference


CASES = [
    # dense targets, from logits and from probabilities, last and middle axis
    Case("softmax_cross_entropy", [soft_targets((4, 5), 0), random((4, 5), 1)],
         attrs={"from_logits": True}, expected=dense_reference(True), id="cce-logits"),
    Case("softmax_cross_entropy", [random((3, 4), 0, 0.0, 1.0), random((3, 4), 1)],
         attrs={"from_logits": True}, expected=dense_reference(True), id="cce-logits-unnormalized-target"),
    Case("softmax_cross_entropy", [soft_targets((2, 3, 4), 2, 1), random((2, 3, 4), 3)],
         attrs={"from_logits": True, "axis": 1}, expected=dense_reference(True, 1), id="cce-logits-axis1"),
    Case("softmax_cross_entropy", [soft_targets((4, 5), 4), random((4, 5), 5, 0.1, 1.0)],
         expected=dense_reference(False), id="cce-probs"),
    Case("softmax_cross_entropy", [soft_targets((2, 3, 3), 6, 0), random((2, 3, 3), 7, 0.1, 1.0)],
         attrs={"axis": 0}, expected=dense_reference(False, 0), id="cce-probs-axis0"),
    # integer labels: no gradient to them
    Case("sparse_softmax_cross_entropy", [labels((6,), 4, 0), random((6, 4), 1)],
         attrs={"from_logits": True}, expected=sparse_reference(True), id="scce-logits"),
    Case("sparse_softmax_cross_entropy", [labels((2, 3), 5, 2), random((2, 3, 5), 3)],
         attrs={"from_logits": True}, expected=sparse_reference(True), id="scce-logits-sequence"),
    Case("sparse_softmax_cross_entropy", [labels((5, 1), 3, 4), random((5, 3), 5)],
         attrs={"from_logits": True}, expected=sparse_reference(True), id="scce-logits-column-labels"),
    Case("sparse_softmax_cross_entropy", [labels((6,), 4, 6), random((6, 4), 7, 0.1, 1.0)],
         expected=sparse_reference(False), id="scce-probs"),
    Case("sparse_softmax_cross_entropy", [labels((2, 4), 3, 8), random((2, 3, 4), 9)],
         attrs={"from_logits": True, "axis": 1}, expected=sparse_reference(True, 1), id="scce-axis1"),
    # elementwise binary
    Case("sigmoid_cross_entropy", [random((4, 3), 0, 0.0, 1.0), random((4, 3), 1, -4, 4)],
         attrs={"from_logits": True}, expected=binary_reference(True), id="bce-logits"),
    Case("sigmoid_cross_entropy", [random((5,), 2, 0.0, 1.0), random((5,), 3, 0.05, 0.95)],
         expected=binary_reference(False), id="bce-probs"),
    # the fused backward primitives (their values are checked through the cases above too)
    Case("softmax_cross_entropy_backward",
         [soft_targets((3, 4), 0), random((3, 4), 1), random((3,), 2)],
         attrs={"from_logits": True, "wrt": "output"},
         expected=backward_reference(dense_reference(True), 1), id="cce-backward-logits"),
    Case("softmax_cross_entropy_backward",
         [soft_targets((3, 4), 0), random((3, 4), 1, 0.1, 1.0), random((3,), 2)],
         attrs={"wrt": "output"},
         expected=backward_reference(dense_reference(False), 1), id="cce-backward-probs"),
    Case("sparse_softmax_cross_entropy_backward", [labels((3,), 4, 0), random((3, 4), 1), random((3,), 2)],
         attrs={"from_logits": True},
         expected=lambda t, o, g: backward_reference(sparse_reference(True), 1)(t, o, g),
         id="scce-backward-logits"),
    Case("sparse_softmax_cross_entropy_backward",
         [labels((3,), 4, 0), random((3, 4), 1, 0.1, 1.0), random((3,), 2)],
         expected=lambda t, o, g: backward_reference(sparse_reference(False), 1)(t, o, g),
         id="scce-backward-probs"),
    Case("sigmoid_cross_entropy_backward",
         [random((3, 2), 0, 0.0, 1.0), random((3, 2), 1), random((3, 2), 2)],
         attrs={"from_logits": True, "wrt": "target"},
         expected=backward_reference(binary_reference(True), 0), id="bce-backward-target"),
]


def loose(case):
    # the backward cases' references are finite differences themselves
    return case.primitive.endswith("_backward")


@pytest.mark.parametrize("case", CASES, ids=str)
def test_primitive(case):
    if loose(case):
        out = get(case.primitive).forward(np, *case.inputs, **case.attrs)
        np.testing.assert_allclose(out, case.expected(*case.inputs), rtol=1e-6, atol=1e-8)
        case = type(case)(**{**case.__dict__, "expected": None})
    check_case(case)


def test_shape_errors_name_both_shapes():
    logits = engine.placeholder("float32", (None, 10))
    with pytest.raises(ShapeError, match=r"\(None, 9\) and \(None, 10\)"):
        get("softmax_cross_entropy").infer(engine.placeholder("float32", (None, 9)), logits)
    with pytest.raises(ShapeError, match=r"labels of shape \(None, 10\)"):
        get("sparse_softmax_cross_entropy").infer(engine.placeholder("int64", (None, 10)), logits)
    with pytest.raises(ShapeError, match="integers"):
        get("sparse_softmax_cross_entropy").infer(engine.placeholder("float32", (None,)), logits)
    with pytest.raises(ShapeError, match=r"\(None,\) and \(None, 1\)"):
        get("sigmoid_cross_entropy").infer(engine.placeholder("float32", (None,)),
                                           engine.placeholder("float32", (None, 1)))


def test_extreme_logits_stay_finite_and_float32():
    z = np.array([[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 0.0]], "float32")
    loss = get("sparse_softmax_cross_entropy").forward(np, np.array([1, 1]), z, from_logits=True)
    assert loss.dtype == np.float32
    np.testing.assert_allclose(loss, [2000.0, 0.0])
    grad = get("sparse_softmax_cross_entropy_backward").forward(
        np, np.array([1, 1]), z, np.ones(2, "float32"), from_logits=True)
    np.testing.assert_allclose(grad, [[1, -1, 0], [0, 0, 0]], atol=1e-6)
    binary = get("sigmoid_cross_entropy").forward(np, np.ones(2, "float32"),
                                                  np.array([-200.0, 200.0], "float32"), from_logits=True)
    assert binary.dtype == np.float32
    np.testing.assert_allclose(binary, [200.0, 0.0])


def test_probabilities_are_clipped_like_keras():
    out = get("softmax_cross_entropy").forward(np, np.array([[0.0, 1.0]]), np.array([[1.0, 0.0]]))
    np.testing.assert_allclose(out, [-np.log(EPS)], rtol=1e-6)
    # outside the clip interval the output gets no gradient
    grad = get("sigmoid_cross_entropy_backward").forward(
        np, np.array([1.0]), np.array([0.0]), np.array([1.0]), wrt="output")
    assert grad[0] == 0.0
