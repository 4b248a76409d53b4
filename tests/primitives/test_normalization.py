"""The fused batch-normalization primitive: forward and gradients to all five inputs."""
import numpy as np
import pytest

from kerasette import engine
from kerasette.primitives import ShapeError, get

from .harness import Case, check_case, random


def reference(x, mean, variance, offset, scale, epsilon=1e-3):
    return (x - mean) * scale / np.sqrt(variance + epsilon) + offset


def params(shape, seed):
    return [random(shape, seed), random(shape, seed + 1, 0.5, 2.0),
            random(shape, seed + 2), random(shape, seed + 3, 0.5, 1.5)]


CASES = [
    Case("batch_normalization", [random((4, 3))] + params((3,), 1), expected=reference),
    Case("batch_normalization", [random((2, 3, 3, 5))] + params((5,), 5),
         attrs={"epsilon": 1e-5}, expected=lambda *a: reference(*a, epsilon=1e-5), id="bn-nhwc"),
    Case("batch_normalization", [random((2, 3, 2, 2))] + params((3, 1, 1), 9),
         expected=reference, id="bn-channels-first"),
    Case("batch_normalization", [random((3, 4, 2))] + params((1, 4, 2), 13),
         expected=reference, id="bn-per-position"),
    Case("stop_gradient", [random((3, 4))], expected=lambda x: x, id="stop-gradient"),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_primitive(case):
    check_case(case)


def test_parameters_must_share_a_shape():
    x = engine.placeholder("float32", (None, 3))
    with pytest.raises(ShapeError, match="share one shape"):
        get("batch_normalization").infer(x, np.zeros(3), np.zeros(3), np.zeros(3), np.zeros(1))


def test_statistics_must_fit_the_input():
    x = engine.placeholder("float32", (None, 3))
    with pytest.raises(ShapeError, match=r"batch_normalization: shapes \(None, 3\) and \(4,\)"):
        get("batch_normalization").infer(x, *[np.zeros(4)] * 4)
    with pytest.raises(ShapeError):
        get("batch_normalization").infer(x, *[np.zeros((2, 3))] * 4)


def test_float32_stays_float32():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((8, 4)).astype("float32")
    stats = [np.zeros(4, "float32"), np.ones(4, "float32"), np.zeros(4, "float32"), np.ones(4, "float32")]
    out = get("batch_normalization").forward(np, x, *stats, epsilon=1e-3)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, x / np.sqrt(1.001), rtol=1e-6)


def test_stop_gradient_passes_values_and_no_gradient():
    from kerasette import Tensor
    from kerasette.ops.core import apply
    x = Tensor(np.arange(3.0), requires_grad=True)
    y = apply("stop_gradient", x) * x
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, np.arange(3.0))     # d(c * x)/dx with c held fixed
    node = engine.placeholder("float64", (None, 3))
    (grad,) = engine.gradients((apply("stop_gradient", node) * node).sum(), [node])
    np.testing.assert_array_equal(engine.Session().run(grad, {node: np.ones((2, 3))}), np.ones((2, 3)))
