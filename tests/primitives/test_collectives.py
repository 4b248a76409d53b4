"""The collectives of synchronized statistics on one process: gathering one rank's rows
is adding an axis, and the gradient is that row's (tests/distribution runs them on 2 ranks)."""
import numpy as np
import pytest

from kerasette import distribution, ops

from .harness import Case, check_case, random

CASES = [
    Case("allgather_rows", [random((3, 4))], attrs={"rank": 0, "size": 1}, expected=lambda x: x[None]),
    Case("allgather_rows_gradient", [random((1, 2, 5))], attrs={"rank": 0, "size": 1}, expected=lambda g: g[0]),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_primitive(case):
    check_case(case)


@pytest.mark.parametrize("keepdims", [False, True])
def test_synchronized_moments_on_one_process_are_the_moments(keepdims):
    # as Keras' TensorFlow backend outside a distribution strategy: the statistics of x
    x = np.random.default_rng(0).standard_normal((6, 5, 3)).astype("float32")
    for setting in (None, distribution.DataParallel()):
        distribution.set_distribution(setting)
        try:
            mean, variance = ops.moments(x, axes=[0, 1], keepdims=keepdims, synchronized=True)
        finally:
            distribution.set_distribution(None)
        expected_shape = (1, 1, 3) if keepdims else (3,)
        assert np.shape(mean) == expected_shape and np.shape(variance) == expected_shape
        np.testing.assert_allclose(np.ravel(mean), x.mean(axis=(0, 1)), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(np.ravel(variance), x.var(axis=(0, 1)), rtol=1e-5)
