"""Random draws: shapes, statistics, seeds, and that each run draws afresh."""
import numpy as np
import pytest

from kerasette import backend, engine
from kerasette.primitives import ShapeError, get
from kerasette.primitives.random import RANDOM_PRIMITIVES, SeedSource, generator_for, keyed_generator

from .harness import Case, check_case, random


def seeded():
    return np.random.default_rng(0)


N2 = np.int64(2)

CASES = [
    Case("dropout_mask", [random((4, 5))],
         attrs={"rate": 0.3, "noise_shape": (None, None), "seed": seeded()}),
    Case("dropout_mask", [random((4, 5, 3))],
         attrs={"rate": 0.5, "noise_shape": (None, 1, 3), "seed": seeded()},
         id="dropout_mask-noise-shape"),
    Case("random_uniform_like", [random((3, 4))],
         attrs={"minval": -2.0, "maxval": 3.0, "seed": seeded()}),
    Case("random_normal_like", [random((3, 4))],
         attrs={"mean": 1.0, "stddev": 0.5, "seed": seeded()}),
    Case("random_normal", [], attrs={"shape": (3, 4), "dtype": "float32", "seed": 1,
                                     "mean": 1.0, "stddev": 2.0}),
    Case("random_normal", [N2], attrs={"shape": (None, 4), "dtype": "float64", "seed": 1,
                                       "mean": 0.0, "stddev": 1.0}, id="random_normal-run-time-size"),
    Case("random_uniform", [], attrs={"shape": (5,), "dtype": "float16", "seed": 1,
                                      "minval": -1.0, "maxval": 1.0}),
    Case("random_truncated_normal", [], attrs={"shape": (2, 3), "dtype": "float32", "seed": 1,
                                               "mean": 0.0, "stddev": 1.0}),
    Case("random_randint", [N2], attrs={"shape": (None, 3), "dtype": "int32", "seed": 1,
                                        "minval": 0, "maxval": 5}),
    Case("random_gamma", [np.array([0.5, 2.0])], attrs={"shape": (3, 2), "dtype": "float32", "seed": 1},
         batch_none=False),
    Case("random_beta", [np.float64(2.0), np.float64(3.0)],
         attrs={"shape": (4,), "dtype": "float32", "seed": 1}),
    Case("random_binomial", [np.float64(10.0), np.array([0.1, 0.9])],
         attrs={"shape": (3, 2), "dtype": "float32", "seed": 1}, batch_none=False),
    Case("random_categorical", [random((3, 4))], attrs={"num_samples": 5, "dtype": "int32", "seed": 1}),
    Case("random_shuffle_indices", [random((3, 4))], attrs={"axis": 1, "seed": 1}),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_primitive(case):
    check_case(case)


def test_random_primitives_are_listed_for_the_threads():
    assert {case.primitive for case in CASES} == set(RANDOM_PRIMITIVES)


def test_dropout_mask_values_and_rate():
    x = np.zeros((200, 500), "float32")
    mask = get("dropout_mask").forward(np, x, rate=0.25, noise_shape=(None, None),
                                      seed=np.random.default_rng(1))
    assert mask.dtype == np.float32 and mask.shape == x.shape
    assert set(np.unique(mask)) == {0.0, np.float32(1 / 0.75)}
    assert abs((mask == 0).mean() - 0.25) < 0.01


def test_noise_shape_shares_draws_and_none_takes_the_batch():
    x = engine.placeholder("float32", (None, 6, 4))
    spec = get("dropout_mask").infer(x, rate=0.5, noise_shape=(None, 1, 4), seed=None)
    assert spec.shape == (None, 1, 4)
    mask = get("dropout_mask").forward(np, np.zeros((3, 6, 4), "float32"), rate=0.5,
                                      noise_shape=(None, 1, 4), seed=np.random.default_rng(0))
    assert mask.shape == (3, 1, 4)
    with pytest.raises(ShapeError, match="noise_shape"):
        get("dropout_mask").infer(x, rate=0.5, noise_shape=(None, 3, 4), seed=None)


def test_noise_statistics_and_dtype():
    x = np.zeros((300, 300), "float32")
    rng = np.random.default_rng(3)
    normal = get("random_normal_like").forward(np, x, mean=1.0, stddev=0.5, seed=rng)
    uniform = get("random_uniform_like").forward(np, x, minval=-2.0, maxval=3.0, seed=rng)
    assert normal.dtype == np.float32 and uniform.dtype == np.float32
    assert abs(normal.mean() - 1.0) < 0.01 and abs(normal.std() - 0.5) < 0.01
    assert uniform.min() >= -2.0 and uniform.max() < 3.0 and abs(uniform.mean() - 0.5) < 0.03


class Counter(SeedSource):
    def __init__(self):
        self.count = 0

    def next_generator(self):
        self.count += 1
        return keyed_generator(7, self.count)


def test_seeds_resolve_when_the_draw_runs():
    backend.set_seed(5)
    first = generator_for(None).random()
    backend.set_seed(5)
    assert generator_for(None).random() == first
    # an int seed is the same stream every time; a Generator and a SeedSource move on
    assert generator_for(3).random() == generator_for(3).random() == keyed_generator(3, 0).random()
    rng = np.random.default_rng(0)
    assert generator_for(rng) is rng
    source = Counter()
    assert generator_for(source).random() != generator_for(source).random() and source.count == 2
    with pytest.raises(TypeError, match="seed"):
        generator_for("7")


def test_a_compiled_draw_changes_from_run_to_run_unless_the_seed_is_an_int():
    with engine.Graph().as_default():
        x = engine.placeholder("float32", (None, 3))
        batch = engine.apply("axis_size", x, axis=0)
        free = engine.apply("random_normal", batch, shape=(None, 3), dtype="float32", seed=None,
                            mean=0.0, stddev=1.0)
        fixed = engine.apply("random_normal", batch, shape=(None, 3), dtype="float32", seed=4,
                             mean=0.0, stddev=1.0)
        session = engine.Session()
        feed = {x: np.zeros((2, 3), "float32")}
        a, b = session.run([free, fixed], feed), session.run([free, fixed], feed)
    assert a[0].shape == (2, 3) and not np.array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])


def test_parameters_must_broadcast_and_dtypes_must_fit():
    with pytest.raises(ShapeError, match="broadcast"):
        get("random_gamma").infer(np.ones(3), shape=(2, 2), dtype="float32", seed=None)
    with pytest.raises(ShapeError, match="dtype"):
        get("random_normal").infer(shape=(2,), dtype="int32", seed=None, mean=0.0, stddev=1.0)
    with pytest.raises(ShapeError, match="maxval"):
        get("random_randint").infer(shape=(2,), dtype="int32", seed=None, minval=3, maxval=3)
    with pytest.raises(ShapeError, match="2-d"):
        get("random_categorical").infer(np.zeros(3), num_samples=2, dtype="int32", seed=None)
