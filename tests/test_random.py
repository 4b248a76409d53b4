"""keras.random: distributions, dtypes and shapes, seeds, and draws inside compiled models.

Keras' streams are backend-specific, so these tests check what Keras promises
(distribution, shape, dtype, repeatability), not Keras' bits: statistics of
large draws from fixed seeds, with tolerances several standard errors wide.
"""
import numpy as np
import pytest

import kerasette as keras
from kerasette import Tensor, engine, ops, random
from kerasette.utils import set_random_seed

N = 200_000


# ------------------------------------------------------- shapes and dtypes

@pytest.mark.parametrize("draw, dtype", [
    (lambda **k: random.normal((2, 3), **k), "float32"),
    (lambda **k: random.uniform((2, 3), **k), "float32"),
    (lambda **k: random.truncated_normal((2, 3), **k), "float32"),
    (lambda **k: random.randint((2, 3), 0, 5, **k), "int32"),
    (lambda **k: random.gamma((2, 3), 2.0, **k), "float32"),
    (lambda **k: random.beta((2, 3), 2.0, 3.0, **k), "float32"),
    (lambda **k: random.binomial((2, 3), 5, 0.5, **k), "float32"),
    (lambda **k: random.categorical(np.zeros((2, 4)), 3, **k), "int32"),
], ids=["normal", "uniform", "truncated_normal", "randint", "gamma", "beta", "binomial", "categorical"])
def test_default_dtypes_and_shapes(draw, dtype):
    values = draw(seed=1)
    assert values.dtype == np.dtype(dtype) and values.shape == (2, 3)


def test_dtypes_follow_the_argument():
    assert random.normal((4,), dtype="float16", seed=1).dtype == np.float16
    assert random.uniform((4,), dtype="float64", seed=1).dtype == np.float64
    assert random.truncated_normal((4,), dtype=np.float64, seed=1).dtype == np.float64
    assert random.randint((4,), 0, 9, dtype="uint8", seed=1).dtype == np.uint8
    assert random.binomial((4,), 5, 0.5, dtype="int32", seed=1).dtype == np.int32
    assert random.categorical(np.zeros((1, 3)), 2, dtype="int64", seed=1).dtype == np.int64
    assert random.normal(3, seed=1).shape == (3,) and random.normal((), seed=1).shape == ()


def test_keras_argument_errors():
    with pytest.raises(ValueError, match="floating point"):
        random.uniform((2,), dtype="int32")
    with pytest.raises(ValueError, match="integer"):
        random.randint((2,), 0, 3, dtype="float32")
    with pytest.raises(ValueError, match="2-D"):
        random.categorical(np.zeros(3), 2)
    with pytest.raises(ValueError, match="seed"):
        random.normal((2,), seed="1")
    with pytest.raises(ValueError, match="seed"):
        random.SeedGenerator(1.5)
    with pytest.raises(ValueError, match="Unrecognized"):
        random.SeedGenerator(1, bad=True)


# ------------------------------------------------------------ distributions

def test_normal_and_truncated_normal_statistics():
    x = random.normal((N,), mean=2.0, stddev=3.0, seed=0)
    assert abs(x.mean() - 2.0) < 0.03 and abs(x.std() - 3.0) < 0.03
    t = random.truncated_normal((N,), mean=-1.0, stddev=0.5, seed=0)
    assert t.min() >= -2.0 and t.max() <= 0.0            # within two standard deviations
    # a normal cut at +-2 sd has standard deviation 0.8796 sd
    assert abs(t.mean() + 1.0) < 0.01 and abs(t.std() - 0.5 * 0.87962566) < 0.005


def test_uniform_and_randint_statistics():
    u = random.uniform((N,), minval=-2.0, maxval=6.0, seed=0)
    assert u.min() >= -2.0 and u.max() < 6.0 and abs(u.mean() - 2.0) < 0.03
    assert abs(u.var() - 64 / 12) < 0.05
    r = random.randint((N,), 3, 8, seed=0)
    counts = np.bincount(r, minlength=8)
    assert counts[:3].sum() == 0 and np.allclose(counts[3:] / N, 0.2, atol=0.005)


def test_gamma_beta_binomial_statistics():
    g = random.gamma((N,), alpha=3.0, seed=0)
    assert g.min() > 0 and abs(g.mean() - 3.0) < 0.03 and abs(g.var() - 3.0) < 0.1
    b = random.beta((N,), alpha=2.0, beta=6.0, seed=0)
    assert 0 < b.min() and b.max() < 1 and abs(b.mean() - 0.25) < 0.003
    n = random.binomial((N,), counts=10, probabilities=0.3, seed=0)
    assert set(np.unique(n)) <= set(range(11)) and abs(n.mean() - 3.0) < 0.02
    assert abs(n.var() - 2.1) < 0.05
    # array parameters broadcast against the shape
    per_column = random.binomial((N, 2), counts=np.array([4.0, 20.0]), probabilities=0.5, seed=0)
    assert np.allclose(per_column.mean(axis=0), [2.0, 10.0], atol=0.05)


def test_categorical_frequencies():
    with np.errstate(divide="ignore"):
        logits = np.log(np.array([[0.1, 0.6, 0.3], [0.5, 0.0, 0.5]]))
    samples = random.categorical(logits, 50_000, seed=0)
    assert samples.shape == (2, 50_000)
    for row, probabilities in zip(samples, np.exp(logits)):
        np.testing.assert_allclose(np.bincount(row, minlength=3) / row.size, probabilities, atol=0.01)
    assert not (samples[1] == 1).any()         # probability 0 is never drawn


def test_dropout_rate_scale_and_noise_shape():
    x = np.ones((400, 500), "float32")
    y = random.dropout(x, 0.3, seed=0)
    assert y.dtype == np.float32 and set(np.unique(y)) == {0.0, np.float32(1 / 0.7)}
    assert abs((y == 0).mean() - 0.3) < 0.005
    shared = random.dropout(np.ones((8, 5, 3), "float32"), 0.5, noise_shape=(None, 1, 3), seed=0)
    assert (shared == shared[:, :1, :]).all()
    np.testing.assert_array_equal(random.dropout(x, 0.0), x)
    np.testing.assert_array_equal(random.dropout(x, 1.0), np.zeros_like(x))


def test_shuffle_permutes_each_slice_along_the_axis():
    x = np.arange(100).reshape(10, 10)
    for axis in (0, 1, -1):
        y = random.shuffle(x, axis=axis, seed=0)
        assert not (y == x).all()
        np.testing.assert_array_equal(np.sort(y, axis=axis), x)
        np.testing.assert_array_equal(y.sum(axis=axis), x.sum(axis=axis))
    assert sorted(random.shuffle(np.arange(5.0), seed=1).tolist()) == [0, 1, 2, 3, 4]


def test_tensor_parameters_scale_and_shift_with_gradients():
    mean = Tensor(np.array([0.0, 10.0], "float32"), requires_grad=True)
    x = random.normal((N // 10, 2), mean=mean, stddev=0.5, seed=0)
    assert np.allclose(x.data.mean(axis=0), [0.0, 10.0], atol=0.02)
    x.sum().backward()
    np.testing.assert_array_equal(mean.grad.numpy(), [N // 10, N // 10])
    low = Tensor(np.float32(5.0))
    u = random.uniform((1000,), minval=low, maxval=6.0, seed=0)
    assert 5.0 <= float(u.data.min()) and float(u.data.max()) < 6.0


def test_dropout_on_a_tensor_records_the_mask_in_its_gradient():
    x = Tensor(np.ones((3, 4), "float32"), requires_grad=True)
    y = random.dropout(x, 0.5, seed=2)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), y.data)


# -------------------------------------------------------------------- seeds

def test_an_int_seed_repeats_and_a_seed_generator_moves_on():
    np.testing.assert_array_equal(random.normal((5,), seed=7), random.normal((5,), seed=7))
    assert not np.array_equal(random.normal((5,), seed=7), random.normal((5,), seed=8))
    gen = random.SeedGenerator(7)
    first, second = random.normal((5,), seed=gen), random.normal((5,), seed=gen)
    assert not np.array_equal(first, second)
    # the first draw of SeedGenerator(7) is the draw of seed=7, as in Keras
    np.testing.assert_array_equal(first, random.normal((5,), seed=7))
    again = random.SeedGenerator(7)
    np.testing.assert_array_equal(random.normal((5,), seed=again), first)
    np.testing.assert_array_equal(random.normal((5,), seed=again), second)
    assert gen.state.dtype == np.uint32 and gen.state.numpy().tolist() == [7, 2]


def test_seed_generator_config_and_next():
    gen = random.SeedGenerator(3, name="noise_seed")
    assert gen.get_config() == {"seed": 3, "name": "noise_seed"}
    copy = random.SeedGenerator.from_config(gen.get_config())
    assert copy.state.numpy().tolist() == [3, 0]
    assert gen.next().tolist() == [3, 0] and gen.next().tolist() == [3, 1]
    assert random.SeedGenerator().get_config()["seed"] is None


def test_set_random_seed_repeats_unseeded_draws_and_generators():
    set_random_seed(11)
    a = [random.normal((4,)), random.uniform((4,), seed=random.SeedGenerator())]
    set_random_seed(11)
    b = [random.normal((4,)), random.uniform((4,), seed=random.SeedGenerator())]
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
    set_random_seed(12)
    assert not np.array_equal(random.normal((4,)), a[0])


def test_keras_face():
    assert keras.random is random and keras.keras.random.SeedGenerator is random.SeedGenerator
    assert set(random.__all__) == {"SeedGenerator", "normal", "uniform", "truncated_normal", "randint",
                                   "categorical", "dropout", "shuffle", "gamma", "beta", "binomial"}


# --------------------------------------------------------- inside models

class GaussianNoiseLayer(keras.layers.Layer):
    """Keras-style user code: a SeedGenerator attribute and keras.random in call()."""

    def __init__(self, stddev, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.stddev = stddev
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, x, training=None):
        if not training:
            return x
        return x + keras.random.normal(ops.shape(x), stddev=self.stddev, seed=self.seed_generator)


class AlwaysNoisy(keras.layers.Layer):
    def __init__(self, seed, **kwargs):
        super().__init__(**kwargs)
        self.seed = seed

    def call(self, x):
        # a static shape: still drawn when the program runs, not baked in as a constant
        return x + keras.random.uniform((1, 4), seed=self.seed) + ops.zeros((ops.shape(x)[0], 1))


def _data(seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(64, 4)).astype("float32")
    return x, (x @ np.array([[1.0], [-2.0], [0.5], [3.0]], "float32"))


def test_a_seed_generator_draws_afresh_at_every_compiled_step():
    inputs = keras.Input((4,))
    noisy = GaussianNoiseLayer(0.5, seed=3)
    model = keras.Model(inputs, keras.layers.Dense(1)(noisy(inputs)))
    model.compile(optimizer="sgd", loss="mse")
    x, y = _data()
    model.fit(x, y, batch_size=16, epochs=2, verbose=0)
    assert noisy.seed_generator.state.numpy().tolist() == [3, 8]      # one draw per step
    # training=False in predict: no noise, no draws
    np.testing.assert_allclose(model.predict(x, verbose=0), model(x), rtol=1e-6)
    assert noisy.seed_generator.state.numpy()[1] == 8


def test_compiled_draws_differ_between_runs_unless_seeded_with_an_int():
    inputs = keras.Input((4,))
    fresh = keras.Model(inputs, AlwaysNoisy(random.SeedGenerator(1))(inputs))
    fixed = keras.Model(inputs, AlwaysNoisy(5)(inputs))
    x = np.zeros((3, 4), "float32")
    first, second = fresh.predict(x, verbose=0), fresh.predict(x, verbose=0)
    assert not np.allclose(first, second) and (first == first[:1]).all()
    np.testing.assert_array_equal(fixed.predict(x, verbose=0), fixed.predict(x, verbose=0))
    np.testing.assert_allclose(fixed.predict(x, verbose=0)[0], random.uniform((1, 4), seed=5)[0])


def test_random_ops_with_run_time_shapes_in_a_graph():
    x = engine.placeholder("float32", (None, 3))
    batch = ops.shape(x)[0]
    draws = [random.normal(ops.shape(x), seed=1), random.randint((batch, 2), 0, 4, seed=1),
             random.gamma((batch,), 2.0, seed=random.SeedGenerator(0)),
             random.dropout(x, 0.5, noise_shape=(None, 1)), random.shuffle(x, axis=0),
             random.categorical(x, 2, seed=3)]
    assert [d.shape for d in draws] == [(None, 3), (None, 2), (None,), (None, 3), (None, 3), (None, 2)]
    value = np.arange(15, dtype="float32").reshape(5, 3)
    out = engine.Session().run(draws, feed_dict={x: value})
    assert [o.shape for o in out] == [(5, 3), (5, 2), (5,), (5, 3), (5, 3), (5, 2)]
    np.testing.assert_array_equal(np.sort(out[4], axis=0), value)


def _noisy_model():
    inputs = keras.Input((4,))
    hidden = keras.layers.Dense(8, activation="relu")(inputs)
    hidden = GaussianNoiseLayer(0.3)(hidden)           # SeedGenerator(None): seeded by Python's random
    hidden = keras.layers.Dropout(0.25)(hidden)
    hidden = keras.layers.Lambda(lambda t: t + 0.01 * keras.random.normal(ops.shape(t)))(hidden)
    model = keras.Model(inputs, keras.layers.Dense(1)(hidden))
    model.compile(optimizer="adam", loss="mse")
    return model


def _fit_weights(seed):
    set_random_seed(seed)
    model = _noisy_model()
    x, y = _data()
    history = model.fit(x, y, batch_size=8, epochs=2, verbose=0)
    return model.get_weights(), history.history["loss"]


def test_set_random_seed_reproduces_a_whole_fit():
    weights_a, loss_a = _fit_weights(123)
    weights_b, loss_b = _fit_weights(123)
    assert loss_a == loss_b
    for a, b in zip(weights_a, weights_b):
        np.testing.assert_array_equal(a, b)
    weights_c, _ = _fit_weights(124)
    assert any(not np.array_equal(a, c) for a, c in zip(weights_a, weights_c))


class NoisyRegressor(keras.Model):
    """A subclassed model drawing in its own call()."""

    def __init__(self):
        super().__init__()
        self.dense = keras.layers.Dense(1)
        self.seed_generator = keras.random.SeedGenerator(42)

    def call(self, x, training=None):
        if training:
            x = keras.random.dropout(x, 0.2, seed=self.seed_generator)
        return self.dense(x)


def test_a_subclassed_model_drawing_in_call_fits():
    model = NoisyRegressor()
    model.compile(optimizer="sgd", loss="mse")
    x, y = _data(1)
    history = model.fit(x, y, batch_size=16, epochs=2, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    assert model.seed_generator.state.numpy()[1] >= 8


class Sampling(keras.layers.Layer):
    """The VAE guide's layer: z = mean + exp(log_var / 2) * epsilon, epsilon of a run-time shape."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seed_generator = keras.random.SeedGenerator(1337)

    def call(self, inputs):
        z_mean, z_log_var = inputs
        batch = ops.shape(z_mean)[0]
        dim = ops.shape(z_mean)[1]
        epsilon = keras.random.normal(shape=(batch, dim), seed=self.seed_generator)
        return z_mean + ops.exp(0.5 * z_log_var) * epsilon


def test_the_vae_sampling_layer_in_a_functional_model():
    inputs = keras.Input((4,))
    z_mean = keras.layers.Dense(2)(inputs)
    z_log_var = keras.layers.Dense(2)(inputs)
    sampling = Sampling()
    z = sampling([z_mean, z_log_var])
    model = keras.Model(inputs, keras.layers.Dense(4)(z))
    model.compile(optimizer="adam", loss="mse")
    x, _ = _data(2)
    history = model.fit(x, x, batch_size=16, epochs=3, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    assert sampling.seed_generator.state.numpy().tolist() == [1337, 12]
    first, second = model.predict(x[:5], verbose=0), model.predict(x[:5], verbose=0)
    assert first.shape == (5, 4) and not np.allclose(first, second)
    eager = sampling([np.zeros((3, 2), "float32"), np.zeros((3, 2), "float32")])
    assert eager.shape == (3, 2) and eager.dtype == np.float32


def test_docstring_examples():
    import doctest
    result = doctest.testmod(random, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted and not result.failed
