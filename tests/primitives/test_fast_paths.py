"""The fast paths of sum_to (leading axes folded into wide lines) and relu
(maximum against a zero row): same results as the plain numpy expressions,
on shapes large enough to take them, with gradient checks through them."""
import numpy as np
import pytest

from kerasette.primitives import activations, arithmetic

from .harness import Case, check_case, random
from .test_activations import away_from

CASES = [
    # 5 * 6 * 7 * 40 = 8,400 elements: over FOLD_WIDTH, so the bias-gradient fold runs in two stages
    Case("sum_to_like", [random((5, 6, 7, 40)), random((40,), 1)], no_grad=(1,),
         expected=lambda x, like: x.sum(axis=(0, 1, 2)), id="sum_to_like-bias-folded"),
    Case("sum_to_like", [random((4, 3, 2, 5)), random((1, 1, 1, 5), 1)], no_grad=(1,),
         expected=lambda x, like: x.sum(axis=(0, 1, 2), keepdims=True), id="sum_to_like-keepdims-bias"),
    # 4,608 elements as rows of 4 * 6 * 8 * 24: relu against a zero row
    Case("relu", [away_from((4, 6, 8, 24), [0])], expected=lambda x: np.maximum(x, 0), id="relu-zero-row"),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_primitive(case):
    check_case(case)


@pytest.mark.parametrize("fold_width", [16, 64, arithmetic.FOLD_WIDTH])
@pytest.mark.parametrize("x_shape, shape", [
    ((6, 5, 4, 3), (3,)), ((6, 5, 4, 3), (1, 1, 1, 3)), ((6, 5, 4, 3), (4, 3)), ((6, 1, 4, 3), (4, 3)),
    ((6, 1, 4, 3), (1, 4, 3)), ((128, 24, 24, 10), (10,)), ((3, 4), (4,)), ((7, 1, 2), (1, 1, 2)),
])
@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_sum_to_over_leading_axes(monkeypatch, fold_width, x_shape, shape, dtype):
    monkeypatch.setattr(arithmetic, "FOLD_WIDTH", fold_width)
    x = np.random.default_rng(0).uniform(-1, 1, size=x_shape).astype(dtype)
    total = arithmetic.sum_to(np, x, shape)
    assert total.shape == shape and total.dtype == dtype
    full = (1,) * (x.ndim - len(shape)) + shape
    expected = x.astype(np.float64).sum(axis=tuple(i for i, d in enumerate(full) if d == 1), keepdims=True)
    # float16 running sums of thousands of terms drift by units (numpy's own sum too)
    tolerance = {np.float16: 5.0 if x.size > 10000 else 5e-2, np.float32: 2e-3, np.float64: 1e-10}[dtype]
    np.testing.assert_allclose(total.astype(np.float64), expected.reshape(shape), atol=tolerance)


def test_sum_to_keeps_other_axes_and_integers_on_the_plain_path():
    x = np.arange(24, dtype=np.int32).reshape(2, 3, 4)
    # summing a middle axis and integer sums keep numpy's own reduction (and its dtype)
    np.testing.assert_array_equal(arithmetic.sum_to(np, x.astype(np.float32), (3, 1)),
                                  x.sum(axis=(0, 2), keepdims=True)[0].astype(np.float32))
    assert arithmetic.sum_to(np, x, (4,)).dtype == x.sum(axis=(0, 1)).dtype
    transposed = np.arange(60, dtype=np.float32).reshape(3, 4, 5).transpose(1, 0, 2)
    np.testing.assert_array_equal(arithmetic.sum_to(np, transposed, (5,)), transposed.sum(axis=(0, 1)))


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("shape", [(64, 8, 8, 20), (3, 5000), (2, 3, 4), (1, 1, 70000)])
def test_relu_is_bit_identical_to_maximum_with_scalar_zero(dtype, shape):
    rng = np.random.default_rng(1)
    x = rng.standard_normal(shape).astype(dtype)
    special = np.array([-0.0, 0.0, np.nan, -np.nan, np.inf, -np.inf, 3.0, -3.0], dtype)
    x.flat[rng.integers(0, x.size, size=min(64, x.size))] = rng.choice(special, size=min(64, x.size))
    result = activations.maximum_with_zero(np, x)
    expected = np.maximum(x, 0)
    assert result.dtype == dtype and result.shape == shape and not np.shares_memory(result, x)
    np.testing.assert_array_equal(result.view(np.uint8), expected.view(np.uint8))
