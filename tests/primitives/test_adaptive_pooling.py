"""Adaptive pooling primitives (one axis) against a loop-over-bins reference, with gradient checks."""
import math

import numpy as np
import pytest

from kerasette.primitives import ShapeError, get

from .harness import Case, check_case, random


def naive_adaptive(x, axis, output_size, kind):
    """Bin i covers floor(i*L/O) .. ceil((i+1)*L/O) (exclusive), computed with floats as Keras writes it."""
    length = x.shape[axis]
    pieces = []
    for i in range(output_size):
        start = math.floor(i * length / output_size)
        end = math.ceil((i + 1) * length / output_size)
        window = np.take(x, np.arange(start, end), axis=axis)
        pieces.append(window.max(axis=axis) if kind == "max" else window.mean(axis=axis))
    return np.stack(pieces, axis=axis)


def adaptive_cases(x_shape, axis, output_size, id):
    attrs = dict(axis=axis, output_size=output_size)
    size = int(np.prod(x_shape))
    # distinct values: every bin has one maximum, so finite differences see a smooth function
    x = np.random.default_rng(len(id)).permutation(size).reshape(x_shape) / size + random(x_shape, 5, 0, 1e-3)
    pooled = naive_adaptive(x, axis, output_size, "max").shape
    return [
        Case("adaptive_avg_pool", [x], attrs, expected=lambda a: naive_adaptive(a, axis, output_size, "avg"),
             id=f"adaptive_avg_pool-{id}"),
        Case("adaptive_avg_pool_grad", [random(pooled, 6), x], attrs, no_grad=(1,),
             id=f"adaptive_avg_pool_grad-{id}"),
        Case("adaptive_max_pool", [x], attrs, expected=lambda a: naive_adaptive(a, axis, output_size, "max"),
             id=f"adaptive_max_pool-{id}"),
        Case("adaptive_max_pool_grad", [x, random(pooled, 7)], attrs, no_grad=(0,),
             id=f"adaptive_max_pool_grad-{id}"),
        Case("adaptive_max_pool_select", [x, random(x_shape, 8)], attrs, no_grad=(0,),
             id=f"adaptive_max_pool_select-{id}"),
    ]


GROUPS = [
    adaptive_cases((2, 8, 3), 1, 4, id="1d-divides"),
    adaptive_cases((2, 7, 2), 1, 3, id="1d-uneven"),
    adaptive_cases((2, 5, 2), 1, 3, id="1d-overlap"),
    adaptive_cases((2, 3, 2), 1, 5, id="1d-upsample"),
    adaptive_cases((2, 6, 2), 1, 1, id="1d-global"),
    adaptive_cases((1, 2, 5, 7), 3, 4, id="channels-first-last-axis"),
    adaptive_cases((1, 5, 6, 2), 2, 4, id="2d-middle-axis"),
]

CASES = [case for group in GROUPS for case in group]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_primitive(case):
    check_case(case)


def test_bins_match_keras_boundaries():
    from kerasette.primitives.adaptive_pooling import bin_bounds
    for length in range(1, 30):
        for output_size in range(1, 12):
            starts, ends = bin_bounds(np, length, output_size)
            i = np.arange(output_size)
            np.testing.assert_array_equal(starts, np.floor(i * length / output_size))
            np.testing.assert_array_equal(ends, np.ceil((i + 1) * length / output_size))


def test_max_gradient_goes_to_the_first_maximum_and_overlaps_add():
    x = np.zeros((1, 5, 1), np.float32)          # bins [0,2) [1,4) [3,5): all ties
    grad = np.array([1, 2, 4], np.float32).reshape(1, 3, 1)
    dx = get("adaptive_max_pool_grad").forward(np, x, grad, axis=1, output_size=3)
    np.testing.assert_array_equal(dx.ravel(), [1, 2, 0, 4, 0])


def test_shape_errors():
    with pytest.raises(ShapeError):
        get("adaptive_avg_pool").infer(np.zeros((2, 3)), axis=2, output_size=2)
    with pytest.raises(ValueError):
        get("adaptive_max_pool").infer(np.zeros((2, 3, 1)), axis=1, output_size=0)
