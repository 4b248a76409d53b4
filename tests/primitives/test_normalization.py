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


def layer_norm_reference(x, gamma, beta, epsilon=1e-3):
    axes = tuple(range(x.ndim - gamma.ndim, x.ndim))
    mean = x.mean(axis=axes, keepdims=True)
    variance = ((x - mean) ** 2).mean(axis=axes, keepdims=True)
    return (x - mean) / np.sqrt(variance + epsilon) * gamma + beta


def layer_norm_backward_reference(x, gamma, grad, epsilon=1e-3):
    """The packed gradients by central differences of the reference, summed against ``grad``."""
    beta = np.zeros_like(gamma)
    width = gamma.size
    columns = []
    for value, index in ((x, 0), (gamma, 1)):
        flat = np.array(value, dtype=np.float64)
        out = np.zeros_like(flat)
        for i in range(flat.size):
            step = np.zeros_like(flat)
            step.reshape(-1)[i] = 1e-6
            args = [x, gamma, beta]
            args[index] = flat + step
            plus = (layer_norm_reference(*args, epsilon) * grad).sum()
            args[index] = flat - step
            minus = (layer_norm_reference(*args, epsilon) * grad).sum()
            out.reshape(-1)[i] = (plus - minus) / 2e-6
        columns.append(out)
    grad_x, grad_gamma = columns
    grad_beta = grad.reshape(-1, width).sum(axis=0)
    return np.concatenate([grad_x.reshape(-1, width), grad_gamma.reshape(1, width),
                           grad_beta.reshape(1, width)])


CASES += [
    Case("layer_normalization", [random((4, 6), 1), random((6,), 2), random((6,), 3)],
         expected=layer_norm_reference, id="layer-norm-2d"),
    Case("layer_normalization", [random((2, 3, 5), 4) * 3 + 1, random((5,), 5), random((5,), 6)],
         attrs={"epsilon": 1e-5}, expected=lambda *a: layer_norm_reference(*a, epsilon=1e-5),
         id="layer-norm-sequence"),
    Case("layer_normalization", [random((2, 3, 4), 7), random((3, 4), 8), random((3, 4), 9)],
         expected=layer_norm_reference, id="layer-norm-two-axes"),
    Case("layer_normalization_backward", [random((3, 5), 10), random((5,), 11), random((3, 5), 12)],
         expected=layer_norm_backward_reference, rtol=1e-4, atol=1e-6, id="layer-norm-backward"),
    Case("layer_normalization_backward", [random((2, 2, 3), 13) * 2, random((2, 3), 14),
                                          random((2, 2, 3), 15)],
         attrs={"epsilon": 1e-2}, expected=lambda *a: layer_norm_backward_reference(*a, epsilon=1e-2),
         rtol=1e-4, atol=1e-6, id="layer-norm-backward-two-axes"),
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


def test_layer_norm_parameters_must_fit_the_trailing_axes():
    x = engine.placeholder("float32", (None, 3, 4))
    with pytest.raises(ShapeError, match=r"layer_normalization: gamma of shape \(3,\)"):
        get("layer_normalization").infer(x, np.ones(3), np.zeros(3))
    with pytest.raises(ShapeError, match="must share one shape"):
        get("layer_normalization").infer(x, np.ones(4), np.zeros((1, 4)))
    spec = get("layer_normalization_backward").infer(x, np.ones(4), x)
    assert spec.shape == (None, 4)
    spec = get("layer_normalization_backward").infer(np.zeros((2, 3, 4)), np.ones((3, 4)), np.zeros((2, 3, 4)))
    assert spec.shape == (4, 12)


def test_layer_norm_float32_is_stable_for_large_offsets():
    rng = np.random.default_rng(0)
    x = (rng.standard_normal((64, 32)) + 1e4).astype("float32")
    gamma, beta = np.ones(32, "float32"), np.zeros(32, "float32")
    out = get("layer_normalization").forward(np, x, gamma, beta, epsilon=1e-3)
    assert out.dtype == np.float32
    expected = layer_norm_reference(x.astype(np.float64), gamma.astype(np.float64), beta.astype(np.float64))
    np.testing.assert_allclose(out, expected, rtol=1e-2, atol=1e-2)
    packed = get("layer_normalization_backward").forward(np, x, gamma, np.ones_like(x), epsilon=1e-3)
    assert packed.dtype == np.float32 and packed.shape == (66, 32)
    # a constant gradient moves every normalized value equally: the input gets none
    np.testing.assert_allclose(packed[:64], 0, atol=1e-2)
    np.testing.assert_allclose(packed[65], 64, rtol=1e-6)


def test_layer_norm_wide_rows():
    # rows wider than EINSUM_ROW_LIMIT take numpy's pairwise sums
    from kerasette.primitives.normalization import EINSUM_ROW_LIMIT
    rng = np.random.default_rng(1)
    width = EINSUM_ROW_LIMIT + 500
    x = rng.standard_normal((3, width)) * 2 + 5
    gamma, beta = rng.standard_normal(width), rng.standard_normal(width)
    out = get("layer_normalization").forward(np, x, gamma, beta, epsilon=1e-3)
    np.testing.assert_allclose(out, layer_norm_reference(x, gamma, beta), rtol=1e-10, atol=1e-12)
    grad = rng.standard_normal((3, width))
    packed = get("layer_normalization_backward").forward(np, x, gamma, grad, epsilon=1e-3)
    xhat = layer_norm_reference(x, np.ones(width), np.zeros(width))
    np.testing.assert_allclose(packed[3], (grad * xhat).sum(axis=0), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(packed[4], grad.sum(axis=0), rtol=1e-10, atol=1e-12)
