"""Pooling primitives against a naive loop-over-windows reference, with gradient checks."""
import itertools

import numpy as np
import pytest

from kerasette.primitives import ShapeError, get

from .harness import Case, check_case, random
from .test_convolution import naive_padding


def naive_pool(x, pool_size, strides, padding="valid", kind="max"):
    """Loops over windows; 'same' windows see only real elements (TF semantics)."""
    rank = x.ndim - 2
    spatial = x.shape[1:-1]
    pads = [naive_padding(spatial[i], pool_size[i], strides[i], 1, padding) for i in range(rank)]
    out_sizes = [(spatial[i] + sum(pads[i]) - pool_size[i]) // strides[i] + 1 for i in range(rank)]
    result = np.zeros((x.shape[0], *out_sizes, x.shape[-1]))
    for position in itertools.product(*(range(o) for o in out_sizes)):
        index = tuple(slice(max(p * s - b, 0), min(p * s - b + k, n))
                      for p, s, (b, _), k, n in zip(position, strides, pads, pool_size, spatial))
        window = x[(slice(None),) + index + (slice(None),)].reshape(x.shape[0], -1, x.shape[-1])
        result[(slice(None),) + position] = window.max(axis=1) if kind == "max" else window.mean(axis=1)
    return result


def pool_cases(x_shape, pool_size, strides, padding="valid", id=""):
    attrs = dict(pool_size=pool_size, strides=strides, padding=padding)
    # a permutation keeps every element distinct, so each window has one maximum
    size = int(np.prod(x_shape))
    x = np.random.default_rng(len(id)).permutation(size).reshape(x_shape) / size + random(x_shape, 5, 0, 1e-3)
    y = naive_pool(x, kind="max", **attrs)
    grad = random(y.shape, 6)
    return [
        Case("max_pool", [x], attrs, expected=lambda a: naive_pool(a, kind="max", **attrs),
             id=f"max_pool-{id}"),
        Case("max_pool_grad", [x, y, random(y.shape, 7)], attrs, no_grad=(0, 1), id=f"max_pool_grad-{id}"),
        Case("max_pool_grad_grad", [x, y, random(x_shape, 8)], attrs, no_grad=(0, 1),
             id=f"max_pool_grad_grad-{id}"),
        Case("avg_pool", [x], attrs, expected=lambda a: naive_pool(a, kind="avg", **attrs),
             id=f"avg_pool-{id}"),
        Case("avg_pool_grad", [grad, x], attrs, no_grad=(1,), id=f"avg_pool_grad-{id}"),
    ]


GROUPS = [
    pool_cases((2, 8, 3), (2,), (2,), id="1d-tiled"),
    pool_cases((2, 7, 2), (3,), (2,), "same", id="1d-same-overlap"),
    pool_cases((2, 4, 6, 2), (2, 2), (2, 2), id="2d-tiled"),
    pool_cases((2, 5, 7, 2), (2, 2), (2, 2), id="2d-tiled-leftover"),
    pool_cases((2, 5, 7, 2), (2, 2), (2, 2), "same", id="2d-same-odd"),
    pool_cases((1, 6, 6, 2), (3, 3), (2, 2), "valid", id="2d-overlap"),
    pool_cases((1, 6, 5, 1), (3, 2), (1, 2), "same", id="2d-same-stride-mixed"),
    pool_cases((1, 4, 4, 4, 2), (2, 2, 2), (2, 2, 2), id="3d-tiled"),
    pool_cases((1, 5, 4, 3, 1), (2, 3, 2), (2, 1, 1), "same", id="3d-same"),
    # stride beyond the pool: positions no window covers get a zero gradient
    pool_cases((2, 7, 8, 2), (2, 2), (3, 3), id="2d-stride-over-pool"),
    pool_cases((2, 5, 4, 2), (1, 1), (2, 2), id="2d-1x1-strided"),
    pool_cases((1, 9, 2), (3,), (3,), "same", id="1d-tiled-3"),
]

CASES = [case for group in GROUPS for case in group]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_primitive(case):
    check_case(case)


def test_max_pool_gradient_goes_to_the_first_maximum_only():
    # all-equal windows (as after a relu): one position per window gets the gradient
    x = np.zeros((1, 4, 4, 1), np.float32)
    attrs = dict(pool_size=(2, 2), strides=(2, 2), padding="valid")
    y = get("max_pool").forward(np, x, **attrs)
    grad = np.arange(1, 5, dtype=np.float32).reshape(1, 2, 2, 1)
    dx = get("max_pool_grad").forward(np, x, y, grad, **attrs)
    assert dx.dtype == np.float32
    expected = np.zeros((4, 4), np.float32)
    expected[0, 0], expected[0, 2], expected[2, 0], expected[2, 2] = 1, 2, 3, 4
    np.testing.assert_array_equal(dx[0, :, :, 0], expected)


def test_avg_pool_same_divides_by_real_elements():
    x = np.ones((1, 3, 3, 1), np.float32)
    y = get("avg_pool").forward(np, x, pool_size=(2, 2), strides=(2, 2), padding="same")
    np.testing.assert_array_equal(y, np.ones((1, 2, 2, 1), np.float32))
    assert y.dtype == np.float32


def test_tiled_forward_is_a_view_reduction():
    from kerasette.primitives.pooling import tiles
    x = np.zeros((2, 6, 4, 3), np.float32)
    view = tiles(x, (2, 2), (2, 2), "valid")
    assert view.shape == (2, 3, 2, 2, 2, 3) and np.shares_memory(view, x)


def test_pool_larger_than_input_is_a_shape_error():
    with pytest.raises(ShapeError, match="max_pool"):
        get("max_pool").infer(np.zeros((1, 2, 2, 1)), pool_size=(3, 3), strides=(3, 3))


def reference_max_pool_grad(x, y, grad, pool_size, strides, padding):
    """Loop over windows: ``grad`` goes to the first maximum in row-major window order."""
    from kerasette.primitives.pooling import pool_geometry
    spatial = x.shape[1:-1]
    out, pads = pool_geometry(spatial, pool_size, strides, padding)
    result = np.zeros(x.shape, grad.dtype)
    for n, c in itertools.product(range(x.shape[0]), range(x.shape[-1])):
        for position in itertools.product(*(range(o) for o in out)):
            for offset in itertools.product(*(range(p) for p in pool_size)):
                where = tuple(q * s + o - b for q, s, o, (b, _) in zip(position, strides, offset, pads))
                if all(0 <= w < size for w, size in zip(where, spatial)) and \
                        x[(n,) + where + (c,)] == y[(n,) + position + (c,)]:
                    result[(n,) + where + (c,)] += grad[(n,) + position + (c,)]
                    break
    return result


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("pool_size, strides, padding", [
    ((2, 2), (2, 2), "valid"), ((2, 2), (2, 2), "same"), ((2, 2), (3, 3), "valid"),
    ((3, 3), (2, 2), "valid")])
def test_max_pool_grad_is_an_exact_select(dtype, pool_size, strides, padding):
    # ties (relu zeros) go to the first max; off-max positions are +0.0 even under a
    # negative or infinite gradient, and inf / nan gradients pass through unchanged
    rng = np.random.default_rng(3)
    x = np.maximum(rng.integers(-2, 3, size=(2, 7, 7, 3)), 0).astype(dtype)
    attrs = dict(pool_size=pool_size, strides=strides, padding=padding)
    y = get("max_pool").forward(np, x, **attrs)
    grad = rng.standard_normal(y.shape).astype(dtype)
    grad.flat[::4], grad.flat[1::5], grad.flat[2::7] = np.inf, -np.inf, np.nan
    with np.errstate(invalid="ignore"):
        dx = get("max_pool_grad").forward(np, x, y, grad, **attrs)
        expected = reference_max_pool_grad(x, y, grad, **attrs)
    assert dx.dtype == dtype
    np.testing.assert_array_equal(dx, expected)
    if strides >= pool_size:
        assert not np.signbit(dx[dx == 0]).any()


def test_max_pool_propagates_nan_and_owns_its_result():
    x = np.arange(2 * 4 * 4 * 1, dtype=np.float32).reshape(2, 4, 4, 1)
    x[0, 1, 0, 0] = np.nan
    y = get("max_pool").forward(np, x, pool_size=(2, 2), strides=(2, 2), padding="valid")
    assert np.isnan(y[0, 0, 0, 0]) and np.isfinite(y).sum() == y.size - 1
    np.testing.assert_array_equal(y[1, :, :, 0], [[21, 23], [29, 31]])
    strided = get("max_pool").forward(np, x, pool_size=(1, 1), strides=(2, 2), padding="valid")
    assert not np.shares_memory(strided, x)
    np.testing.assert_array_equal(strided, x[:, ::2, ::2])
