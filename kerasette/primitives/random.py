"""Random draws: from a shape (``keras.random``), like an input (noise layers), dropout masks.

Every random primitive has a ``seed`` attribute and draws when it *runs*:
a compiled graph draws afresh on every run, an eager call draws once.  The
seed is resolved at that moment (``generator_for``):

* ``None``: the shared generator of ``kerasette.backend``, which
  ``utils.set_random_seed`` reseeds (a program compiled before the reseed
  follows it too);
* an int: a new generator from that seed at every run, so the values are the
  same each time, as Keras' integer seeds give;
* a numpy ``Generator``: drawn from, so it moves on (layers' own generators);
* a ``SeedSource`` (``keras.random.SeedGenerator``): the generator it hands
  out next; it moves on.

Shapes are templates as in ``creation``: ``None`` entries are sizes given as
inputs at run time (the batch size), after any distribution parameters.
Float draws are made in float32 (float64 for float64 results) and cast to
the dtype asked for; numpy's generator makes them, and the result moves to
the array module, so a cupy backend gets cupy arrays.  The draws are not
differentiable: dropout's gradient flows through the multiply by the mask
that ``kerasette.ops.dropout`` builds around ``dropout_mask``.
"""
from __future__ import annotations

import numbers

import numpy

from .. import backend
from .base import REGISTRY, Primitive, ShapeError, Spec, format_shape, register
from .creation import check_non_negative, concrete_shape, host, template_shape


class SeedSource:
    """A seed with state: each draw takes the generator it hands out next, and it
    moves on (``keras.random.SeedGenerator`` is one)."""

    def next_generator(self) -> numpy.random.Generator:
        raise NotImplementedError


def keyed_generator(seed: int, counter: int = 0) -> numpy.random.Generator:
    """The generator of the key ``(seed, counter)``: an int seed is ``(seed, 0)``, and
    a ``SeedGenerator(seed)`` hands out ``(seed, 0)``, ``(seed, 1)``, ..."""
    return numpy.random.default_rng([int(seed) % 2 ** 32, int(counter) % 2 ** 32])


def generator_for(seed) -> numpy.random.Generator:
    """The numpy Generator one draw uses, resolved when the draw runs (see the module doc)."""
    if seed is None:
        return backend.rng()
    if isinstance(seed, numpy.random.Generator):
        return seed
    if isinstance(seed, SeedSource):
        return seed.next_generator()
    if isinstance(seed, numbers.Integral) and not isinstance(seed, bool):
        return keyed_generator(seed)
    raise TypeError(f"seed must be None, an int, a numpy Generator or a SeedGenerator, "
                    f"not {type(seed).__name__}")


def _draw_dtype(dtype) -> str:
    return "float64" if numpy.dtype(dtype) == numpy.float64 else "float32"


# ---------------------------------------------------------- like an input

class RandomLike(Primitive):
    differentiable = False

    def infer(self, x, **attrs):
        if numpy.dtype(x.dtype).kind != "f":
            raise ShapeError(f"{self.name}: needs a float input, got {numpy.dtype(x.dtype).name}")
        return Spec(tuple(x.shape), x.dtype)


@register
class DropoutMask(RandomLike):
    """0 with probability ``rate``, else ``1 / (1 - rate)``; shaped ``noise_shape``.

    ``noise_shape`` has x's rank; ``None`` entries take x's size at run time
    and 1 entries share one draw along that axis.
    """

    name = "dropout_mask"

    def infer(self, x, rate, noise_shape, seed):
        super().infer(x)
        if len(noise_shape) != len(x.shape):
            raise ShapeError(f"{self.name}: noise_shape {noise_shape} does not match an input "
                             f"of shape {format_shape(x.shape)}")
        shape = []
        for size, noise in zip(x.shape, noise_shape):
            if noise is None:
                shape.append(size)
            elif noise == 1 or size is None or noise == size:
                shape.append(noise)
            else:
                raise ShapeError(f"{self.name}: noise_shape {noise_shape} cannot broadcast "
                                 f"to an input of shape {format_shape(x.shape)}")
        return Spec(tuple(shape), x.dtype)

    def forward(self, xp, x, rate, noise_shape, seed):
        shape = tuple(x.shape[i] if d is None else d for i, d in enumerate(noise_shape))
        draws = generator_for(seed).random(shape, dtype=_draw_dtype(x.dtype))
        mask = xp.asarray(draws >= rate).astype(x.dtype)
        mask *= 1.0 / (1.0 - rate)
        return mask


@register
class RandomUniformLike(RandomLike):
    """Uniform noise in ``[minval, maxval)`` with x's shape and dtype."""

    name = "random_uniform_like"

    def forward(self, xp, x, minval, maxval, seed):
        draws = xp.asarray(generator_for(seed).random(x.shape, dtype=_draw_dtype(x.dtype)))
        draws *= maxval - minval
        draws += minval
        return draws.astype(x.dtype, copy=False)


@register
class RandomNormalLike(RandomLike):
    """Gaussian noise of ``mean`` and ``stddev`` with x's shape and dtype."""

    name = "random_normal_like"

    def forward(self, xp, x, mean, stddev, seed):
        draws = xp.asarray(generator_for(seed).standard_normal(x.shape, dtype=_draw_dtype(x.dtype)))
        draws *= stddev
        draws += mean
        return draws.astype(x.dtype, copy=False)


# ---------------------------------------------------------- from a shape

class RandomDraw(Primitive):
    """Values of ``shape`` (a template) and ``dtype`` from one distribution.

    The first ``parameters`` inputs are the distribution's array parameters
    (each broadcasts to the shape); the run-time sizes follow.
    """

    differentiable = False
    parameters = 0
    #: dtype kinds the distribution can give
    kinds = "f"

    def infer(self, *inputs, shape, dtype, seed, **attrs):
        params, sizes = inputs[:self.parameters], inputs[self.parameters:]
        out = template_shape(self.name, shape, sizes)
        check_non_negative(self.name, out)
        dtype = numpy.dtype(dtype)
        if dtype.kind not in self.kinds:
            raise ShapeError(f"{self.name}: cannot draw values of dtype {dtype.name}")
        for param in params:
            if len(param.shape) > len(out) or any(
                    p is not None and p != 1 and d is not None and p != d
                    for p, d in zip(reversed(param.shape), reversed(out))):
                raise ShapeError(f"{self.name}: a parameter of shape {format_shape(param.shape)} "
                                 f"does not broadcast to the shape {format_shape(out)}")
        return Spec(out, dtype)

    def forward(self, xp, *inputs, shape, dtype, seed, **attrs):
        params = [host(xp, p) for p in inputs[:self.parameters]]
        size = concrete_shape(shape, inputs[self.parameters:])
        dtype = numpy.dtype(dtype)
        draws = self.draw(generator_for(seed), size, dtype, *params, **attrs)
        return xp.asarray(draws).astype(dtype, copy=False)

    def draw(self, rng, size, dtype, *params, **attrs):
        raise NotImplementedError


@register
class RandomNormal(RandomDraw):
    """Gaussian values of ``mean`` and ``stddev``."""

    name = "random_normal"

    def draw(self, rng, size, dtype, mean, stddev):
        values = rng.standard_normal(size, dtype=_draw_dtype(dtype))
        values *= stddev
        values += mean
        return values


@register
class RandomUniform(RandomDraw):
    """Uniform values in ``[minval, maxval)``."""

    name = "random_uniform"

    def draw(self, rng, size, dtype, minval, maxval):
        values = rng.random(size, dtype=_draw_dtype(dtype))
        values *= maxval - minval
        values += minval
        return values


@register
class RandomTruncatedNormal(RandomDraw):
    """Gaussian values of ``mean`` and ``stddev``, those beyond two standard deviations drawn again."""

    name = "random_truncated_normal"

    def draw(self, rng, size, dtype, mean, stddev):
        draw_dtype = _draw_dtype(dtype)
        values = rng.standard_normal(size, dtype=draw_dtype)
        outside = numpy.abs(values) > 2.0
        while outside.any():
            values[outside] = rng.standard_normal(int(outside.sum()), dtype=draw_dtype)
            outside = numpy.abs(values) > 2.0
        values *= stddev
        values += mean
        return values


@register
class RandomRandint(RandomDraw):
    """Integers uniform in ``[minval, maxval)``."""

    name = "random_randint"
    kinds = "iu"

    def infer(self, *inputs, shape, dtype, seed, minval, maxval):
        if maxval <= minval:
            raise ShapeError(f"{self.name}: maxval ({maxval}) must be above minval ({minval})")
        return super().infer(*inputs, shape=shape, dtype=dtype, seed=seed)

    def draw(self, rng, size, dtype, minval, maxval):
        return rng.integers(minval, maxval, size=size, dtype=dtype)


@register
class RandomGamma(RandomDraw):
    """Gamma values of shape parameter ``alpha`` (an input) and scale 1."""

    name = "random_gamma"
    parameters = 1

    def draw(self, rng, size, dtype, alpha):
        return rng.standard_gamma(alpha.astype("float64"), size=size)


@register
class RandomBeta(RandomDraw):
    """Beta values of parameters ``alpha`` and ``beta`` (inputs)."""

    name = "random_beta"
    parameters = 2

    def draw(self, rng, size, dtype, alpha, beta):
        return rng.beta(alpha.astype("float64"), beta.astype("float64"), size=size)


@register
class RandomBinomial(RandomDraw):
    """Successes in ``counts`` trials of success probability ``probabilities`` (inputs)."""

    name = "random_binomial"
    parameters = 2
    kinds = "fiu"

    def draw(self, rng, size, dtype, counts, probabilities):
        return rng.binomial(numpy.rint(counts).astype("int64"), probabilities.astype("float64"),
                            size=size)


# ------------------------------------------------------------ from an input

@register
class RandomCategorical(Primitive):
    """``num_samples`` class indices per row of ``logits`` (rows, classes), drawn
    with the probabilities ``softmax(logits)``."""

    name = "random_categorical"
    differentiable = False

    def infer(self, logits, num_samples, dtype, seed):
        if len(logits.shape) != 2:
            raise ShapeError(f"{self.name}: logits must be 2-d (batch_size, num_classes), got "
                             f"shape {format_shape(logits.shape)}")
        if numpy.dtype(dtype).kind not in "iu":
            raise ShapeError(f"{self.name}: samples are class indices, not {numpy.dtype(dtype).name}")
        return Spec((logits.shape[0], int(num_samples)), numpy.dtype(dtype))

    def forward(self, xp, logits, num_samples, dtype, seed):
        logits = host(xp, logits).astype("float64")
        rows, classes = logits.shape
        weights = numpy.exp(logits - logits.max(axis=1, keepdims=True))
        cdf = numpy.cumsum(weights, axis=1)
        # a sample is the number of cumulative weights at or below a uniform draw
        # in [0, total), so a class of probability 0 is never drawn
        draws = generator_for(seed).random((rows, num_samples)) * cdf[:, -1:]
        if rows * num_samples * classes <= 1 << 22:
            samples = (cdf[:, None, :] <= draws[:, :, None]).sum(axis=2)
        else:
            samples = numpy.stack([numpy.searchsorted(c, d, side="right") for c, d in zip(cdf, draws)])
        samples = numpy.minimum(samples, classes - 1).reshape(rows, num_samples)
        return xp.asarray(samples.astype(dtype))


@register
class RandomShuffleIndices(Primitive):
    """Positions that shuffle ``x`` along ``axis``: an int64 array of x's shape whose
    every slice along ``axis`` is a random permutation of its own (so
    ``take_along_axis(x, this, axis)`` shuffles each slice independently)."""

    name = "random_shuffle_indices"
    differentiable = False

    def infer(self, x, axis, seed):
        if not 0 <= axis < len(x.shape):
            raise ShapeError(f"{self.name}: axis {axis} is out of range for rank {len(x.shape)}")
        return Spec(tuple(x.shape), numpy.dtype("int64"))

    def forward(self, xp, x, axis, seed):
        keys = generator_for(seed).random(x.shape)
        return xp.asarray(numpy.argsort(keys, axis=axis, kind="stable"))


#: primitives whose every run draws new values (never split over threads, never folded)
RANDOM_PRIMITIVES = frozenset(
    name for name, primitive in REGISTRY.items()
    if isinstance(primitive, (RandomLike, RandomDraw, RandomCategorical, RandomShuffleIndices)))
