"""Random draws: shapes, statistics, and that each run draws afresh."""
import numpy as np
import pytest

from kerasette import engine
from kerasette.primitives import ShapeError, get

from .harness import Case, check_case, random

CASES = [
    Case("dropout_mask", [random((4, 5))],
         attrs={"rate": 0.3, "noise_shape": (None, None), "generator": np.random.default_rng(0)}),
    Case("dropout_mask", [random((4, 5, 3))],
         attrs={"rate": 0.5, "noise_shape": (None, 1, 3), "generator": np.random.default_rng(0)},
         id="dropout_mask-noise-shape"),
    Case("random_uniform_like", [random((3, 4))],
         attrs={"minval": -2.0, "maxval": 3.0, "generator": np.random.default_rng(0)}),
    Case("random_normal_like", [random((3, 4))],
         attrs={"mean": 1.0, "stddev": 0.5, "generator": np.random.default_rng(0)}),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_primitive(case):
    check_case(case)


def test_dropout_mask_values_and_rate():
    x = np.zeros((200, 500), "float32")
    mask = get("dropout_mask").forward(np, x, rate=0.25, noise_shape=(None, None),
                                      generator=np.random.default_rng(1))
    assert mask.dtype == np.float32 and mask.shape == x.shape
    assert set(np.unique(mask)) == {0.0, np.float32(1 / 0.75)}
    assert abs((mask == 0).mean() - 0.25) < 0.01


def test_noise_shape_shares_draws_and_none_takes_the_batch():
    x = engine.placeholder("float32", (None, 6, 4))
    spec = get("dropout_mask").infer(x, rate=0.5, noise_shape=(None, 1, 4), generator=None)
    assert spec.shape == (None, 1, 4)
    mask = get("dropout_mask").forward(np, np.zeros((3, 6, 4), "float32"), rate=0.5,
                                      noise_shape=(None, 1, 4), generator=np.random.default_rng(0))
    assert mask.shape == (3, 1, 4)
    with pytest.raises(ShapeError, match="noise_shape"):
        get("dropout_mask").infer(x, rate=0.5, noise_shape=(None, 3, 4), generator=None)


def test_noise_statistics_and_dtype():
    x = np.zeros((300, 300), "float32")
    rng = np.random.default_rng(3)
    normal = get("random_normal_like").forward(np, x, mean=1.0, stddev=0.5, generator=rng)
    uniform = get("random_uniform_like").forward(np, x, minval=-2.0, maxval=3.0, generator=rng)
    assert normal.dtype == np.float32 and uniform.dtype == np.float32
    assert abs(normal.mean() - 1.0) < 0.01 and abs(normal.std() - 0.5) < 0.01
    assert uniform.min() >= -2.0 and uniform.max() < 3.0 and abs(uniform.mean() - 0.5) < 0.03
