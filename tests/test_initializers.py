"""Initializers: shapes, dtypes, distributions (Keras' formulas), seeds, configs, names."""
import math

import numpy as np
import pytest

from kerasette import backend, initializers
from kerasette.initializers import compute_fans

ALL_NAMES = {
    "glorot_uniform": initializers.GlorotUniform, "glorot_normal": initializers.GlorotNormal,
    "he_uniform": initializers.HeUniform, "he_normal": initializers.HeNormal,
    "lecun_uniform": initializers.LecunUniform, "lecun_normal": initializers.LecunNormal,
    "zeros": initializers.Zeros, "ones": initializers.Ones, "constant": initializers.Constant,
    "random_normal": initializers.RandomNormal, "random_uniform": initializers.RandomUniform,
    "truncated_normal": initializers.TruncatedNormal, "orthogonal": initializers.Orthogonal,
    "identity": initializers.Identity, "variance_scaling": initializers.VarianceScaling,
    "normal": initializers.RandomNormal, "uniform": initializers.RandomUniform,
    "one": initializers.Ones, "zero": initializers.Zeros,
}


@pytest.mark.parametrize("name, cls", list(ALL_NAMES.items()))
def test_get_by_name_gives_the_class_and_a_float32_array(name, cls):
    initializer = initializers.get(name)
    assert type(initializer) is cls
    values = initializer((6, 4))
    assert isinstance(values, np.ndarray)
    assert values.shape == (6, 4)
    assert values.dtype == np.float32


@pytest.mark.parametrize("shape, fans", [
    ((), (1, 1)), ((7,), (7, 7)), ((5, 3), (5, 3)),
    ((3, 3, 16, 32), (144, 288)), ((5, 8, 4), (40, 20)), ((2, 2, 2, 3, 6), (24, 48)),
])
def test_compute_fans_follows_keras(shape, fans):
    assert compute_fans(shape) == fans


BIG = (400, 600)


def test_glorot_uniform_bounds_and_variance():
    values = initializers.GlorotUniform(seed=1)(BIG).astype(np.float64)
    limit = math.sqrt(6 / (400 + 600))
    assert np.abs(values).max() <= limit
    assert np.abs(values).max() > 0.99 * limit
    assert abs(values.mean()) < 0.002
    assert values.var() == pytest.approx(limit ** 2 / 3, rel=0.02)


def test_glorot_normal_std_is_sqrt_2_over_fan_sum_after_truncation():
    values = initializers.GlorotNormal(seed=2)(BIG).astype(np.float64)
    expected = math.sqrt(2 / (400 + 600))
    assert values.std() == pytest.approx(expected, rel=0.02)
    # truncated at 2 stddev of the untruncated draw
    assert np.abs(values).max() <= 2 * expected / initializers.TRUNCATED_NORMAL_STDDEV + 1e-6


@pytest.mark.parametrize("cls, fan, scale, uniform", [
    (initializers.HeUniform, "in", 2.0, True), (initializers.HeNormal, "in", 2.0, False),
    (initializers.LecunUniform, "in", 1.0, True), (initializers.LecunNormal, "in", 1.0, False),
])
def test_he_and_lecun_variances_on_a_conv_kernel(cls, fan, scale, uniform):
    shape = (3, 3, 32, 64)
    values = cls(seed=3)(shape).astype(np.float64)
    fan_in = 3 * 3 * 32
    assert values.var() == pytest.approx(scale / fan_in, rel=0.03)
    if uniform:
        assert np.abs(values).max() <= math.sqrt(3 * scale / fan_in)


@pytest.mark.parametrize("mode, n", [("fan_in", 400), ("fan_out", 600), ("fan_avg", 500)])
@pytest.mark.parametrize("distribution", ["uniform", "truncated_normal", "untruncated_normal"])
def test_variance_scaling_modes_and_distributions(mode, n, distribution):
    values = initializers.VarianceScaling(3.0, mode, distribution, seed=4)(BIG).astype(np.float64)
    assert values.var() == pytest.approx(3.0 / n, rel=0.03)
    if distribution == "untruncated_normal":
        # an untruncated draw of 240000 values reaches beyond 4 stddev
        assert np.abs(values).max() > 4 * math.sqrt(3.0 / n)


def test_variance_scaling_accepts_keras2_normal_and_rejects_bad_arguments():
    assert initializers.VarianceScaling(distribution="normal").distribution == "truncated_normal"
    with pytest.raises(ValueError):
        initializers.VarianceScaling(scale=0.0)
    with pytest.raises(ValueError):
        initializers.VarianceScaling(mode="fan_sum")
    with pytest.raises(ValueError):
        initializers.VarianceScaling(distribution="cauchy")


def test_random_normal_and_uniform_statistics():
    normal = initializers.RandomNormal(mean=1.5, stddev=0.3, seed=5)(BIG).astype(np.float64)
    assert normal.mean() == pytest.approx(1.5, abs=0.003)
    assert normal.std() == pytest.approx(0.3, rel=0.01)
    uniform = initializers.RandomUniform(minval=-2.0, maxval=1.0, seed=6)(BIG).astype(np.float64)
    assert uniform.min() >= -2.0 and uniform.max() < 1.0
    assert uniform.mean() == pytest.approx(-0.5, abs=0.01)
    assert uniform.var() == pytest.approx(9 / 12, rel=0.02)


def test_truncated_normal_redraws_beyond_two_stddev():
    values = initializers.TruncatedNormal(mean=1.0, stddev=0.5, seed=7)(BIG).astype(np.float64)
    assert values.min() >= 0.0 and values.max() <= 2.0
    # a normal truncated at 2 sigma has this stddev; the edges are populated
    assert values.std() == pytest.approx(0.5 * initializers.TRUNCATED_NORMAL_STDDEV, rel=0.01)
    assert values.min() < 0.01 and values.max() > 1.99


def test_defaults_match_keras():
    assert initializers.RandomNormal().get_config() == {"mean": 0.0, "stddev": 0.05, "seed": None}
    assert initializers.RandomUniform().get_config() == {"minval": -0.05, "maxval": 0.05, "seed": None}
    assert initializers.TruncatedNormal().get_config() == {"mean": 0.0, "stddev": 0.05, "seed": None}
    assert initializers.VarianceScaling().get_config() == {
        "scale": 1.0, "mode": "fan_in", "distribution": "truncated_normal", "seed": None}
    assert initializers.Orthogonal().get_config() == {"gain": 1.0, "seed": None}
    assert initializers.Identity().get_config() == {"gain": 1.0}
    assert initializers.Constant().get_config() == {"value": 0.0}
    assert initializers.GlorotUniform(seed=3).get_config() == {"seed": 3}


def test_int_seed_repeats_and_none_follows_the_backend_generator():
    first = initializers.GlorotUniform(seed=42)((20, 30))
    np.testing.assert_array_equal(first, initializers.GlorotUniform(seed=42)((20, 30)))
    initializer = initializers.HeNormal(seed=9)
    np.testing.assert_array_equal(initializer((5, 5)), initializer((5, 5)))
    assert not np.array_equal(first, initializers.GlorotUniform(seed=43)((20, 30)))

    unseeded = initializers.GlorotUniform()
    backend.set_seed(123)
    a, b = unseeded((20, 30)), unseeded((20, 30))
    assert not np.array_equal(a, b)
    backend.set_seed(123)
    np.testing.assert_array_equal(a, unseeded((20, 30)))
    backend.set_seed(None)


@pytest.mark.parametrize("name", ["glorot_uniform", "he_normal", "random_normal", "random_uniform",
                                  "truncated_normal", "orthogonal", "identity", "zeros", "ones",
                                  "constant"])
def test_dtype_argument_is_honoured(name):
    assert initializers.get(name)((4, 4), dtype="float64").dtype == np.float64
    assert initializers.get(name)((4, 4), dtype="float16").dtype == np.float16


def test_random_initializers_refuse_integer_dtypes_but_constants_accept_them():
    with pytest.raises(ValueError):
        initializers.GlorotUniform()((2, 2), dtype="int32")
    values = initializers.Constant(3)((2, 3), dtype="int32")
    assert values.dtype == np.int32 and values.tolist() == [[3, 3, 3]] * 2


def test_constant_zeros_ones_values():
    np.testing.assert_array_equal(initializers.Zeros()((2, 3)), np.zeros((2, 3)))
    np.testing.assert_array_equal(initializers.Ones()((4,)), np.ones(4))
    np.testing.assert_array_equal(initializers.Constant(0.25)((2, 2)), np.full((2, 2), 0.25))
    row = initializers.Constant([1.0, 2.0, 3.0])((2, 3))
    np.testing.assert_array_equal(row, [[1, 2, 3], [1, 2, 3]])
    row[0, 0] = 9.0  # a writable array of its own, not a broadcast view
    assert row[1, 0] == 1.0


@pytest.mark.parametrize("shape", [(6, 6), (10, 4), (4, 10), (3, 3, 8, 5)])
def test_orthogonal_columns_or_rows_are_orthonormal(shape):
    values = initializers.Orthogonal(gain=2.0, seed=11)(shape)
    assert values.shape == shape and values.dtype == np.float32
    matrix = values.reshape(-1, shape[-1]).astype(np.float64) / 2.0
    if matrix.shape[0] >= matrix.shape[1]:
        np.testing.assert_allclose(matrix.T @ matrix, np.eye(matrix.shape[1]), atol=1e-5)
    else:
        np.testing.assert_allclose(matrix @ matrix.T, np.eye(matrix.shape[0]), atol=1e-5)


def test_orthogonal_and_identity_reject_wrong_ranks():
    with pytest.raises(ValueError):
        initializers.Orthogonal()((5,))
    with pytest.raises(ValueError):
        initializers.Identity()((2, 2, 2))


def test_identity_is_a_scaled_rectangular_eye():
    np.testing.assert_array_equal(initializers.Identity(gain=3.0)((2, 3)),
                                  [[3, 0, 0], [0, 3, 0]])


@pytest.mark.parametrize("initializer", [
    initializers.Constant(1.5), initializers.Zeros(), initializers.Ones(),
    initializers.RandomNormal(0.1, 0.2, seed=1), initializers.RandomUniform(-1, 2, seed=2),
    initializers.TruncatedNormal(0.0, 1.0, seed=3),
    initializers.VarianceScaling(2.0, "fan_avg", "uniform", seed=4),
    initializers.GlorotUniform(seed=5), initializers.GlorotNormal(), initializers.HeUniform(),
    initializers.HeNormal(seed=6), initializers.LecunUniform(), initializers.LecunNormal(),
    initializers.Orthogonal(gain=0.5, seed=7), initializers.Identity(gain=2.0),
])
def test_serialize_get_round_trip(initializer):
    config = initializers.serialize(initializer)
    assert config["class_name"] == type(initializer).__name__
    rebuilt = initializers.get(config)
    assert type(rebuilt) is type(initializer)
    assert rebuilt.get_config() == initializer.get_config()
    rebuilt = type(initializer).from_config(initializer.get_config())
    assert rebuilt.get_config() == initializer.get_config()
    # same seed, same numbers
    if initializer.get_config().get("seed") is not None:
        np.testing.assert_array_equal(rebuilt((5, 7)), initializer((5, 7)))


def test_get_accepts_keras3_dicts_tf2_dtype_key_classes_instances_and_callables():
    keras3 = {"module": "keras.initializers", "class_name": "HeNormal", "config": {"seed": 8},
              "registered_name": None}
    assert initializers.get(keras3).get_config() == {"seed": 8}
    tf2 = {"class_name": "GlorotUniform", "config": {"seed": None, "dtype": "float32"}}
    assert type(initializers.get(tf2)) is initializers.GlorotUniform
    assert type(initializers.get({"class_name": "OrthogonalInitializer", "config": {}})) is initializers.Orthogonal
    assert type(initializers.get(initializers.Ones)) is initializers.Ones
    instance = initializers.Zeros()
    assert initializers.get(instance) is instance
    assert initializers.get(None) is None

    def fives(shape, dtype=None):
        return np.full(shape, 5.0, dtype=dtype)
    assert initializers.get(fives) is fives
    with pytest.raises(ValueError):
        initializers.get("glorot_sideways")
    with pytest.raises(ValueError):
        initializers.get(3.5)


def test_custom_objects_in_deserialize():
    class Fives(initializers.Initializer):
        def __call__(self, shape, dtype=None):
            return initializers.Constant(5.0)(shape, dtype)

    found = initializers.deserialize({"class_name": "Fives", "config": {}}, custom_objects={"Fives": Fives})
    assert float(found((2,)).sum()) == 10.0


def test_truncated_normal_is_vectorised_enough_for_a_big_kernel():
    import time
    start = time.perf_counter()
    initializers.GlorotNormal(seed=0)((2048, 2048))
    assert time.perf_counter() - start < 1.0


def test_docstring_examples():
    import doctest

    from kerasette import initializers as module
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


def test_orthogonal_is_the_sign_fixed_q_of_its_seeded_draw():
    draw = np.random.default_rng(6).standard_normal((120, 50))
    q, r = np.linalg.qr(draw)
    expected = (q * np.sign(np.diag(r))).T * 1.5
    values = initializers.Orthogonal(1.5, seed=6)((50, 120))
    np.testing.assert_allclose(values, expected, atol=1e-6)
    # diag(R) > 0: the first row correlates positively with the first column of the draw
    assert float(values[0] @ draw[:, 0]) > 0
