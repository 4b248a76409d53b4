"""``keras.random``: random draws from a shape, dropout, shuffling, and ``SeedGenerator``.

Keras 3's names, arguments and defaults.  ``seed`` is one of:

* ``None`` (the default): kerasette's shared generator, which
  ``utils.set_random_seed`` reseeds;
* an int: the same values at every call, as Keras' integer seeds give;
* a ``SeedGenerator``: new values at every call, repeatable from its seed.

Each draw is a random primitive that draws when it *runs*.  Called in a
layer's ``call`` on symbolic inputs (a functional model, a compiled
``fit``), it becomes a node even when its shape is all Python ints, so the
compiled program draws afresh at every step instead of keeping one draw as
a constant; shapes may hold sizes known only at run time
(``normal(ops.shape(x))``).  Eagerly, or on arrays, it returns an array.

Keras' exact streams are backend-specific (JAX and TensorFlow differ); these
draws come from numpy's PCG64 and match Keras in distribution, shape and
dtype, not bit for bit.
"""
from __future__ import annotations

import numbers
import random as python_random

import numpy

from . import backend
from .eager import Tensor
from .engine import Node
from .ops import shape_ops
from .ops.core import apply, apply_stateful, shape_of, split_shape
from .ops.creation import static_number
from .ops.math import add, dtype_name, multiply, subtract
from .primitives.random import SeedSource, keyed_generator

__all__ = ["SeedGenerator", "normal", "uniform", "truncated_normal", "randint", "categorical",
           "dropout", "shuffle", "gamma", "beta", "binomial"]


class SeedGenerator(SeedSource):
    """The state of a random stream: each draw that takes it gets new values.

    ``state`` holds ``[seed, counter]`` (uint32, as in Keras); a draw uses the
    key ``(seed, counter)`` and then counts on, so ``SeedGenerator(42)``
    gives the same sequence of draws in every run, and its first draw equals
    a draw with ``seed=42``.  Without a seed, one is taken from Python's
    ``random`` (which ``set_random_seed`` seeds), as Keras does.

    >>> gen = SeedGenerator(42)
    >>> first, second = normal((2,), seed=gen), normal((2,), seed=gen)
    >>> bool((first != second).all()), bool((first == normal((2,), seed=42)).all())
    (True, True)
    """

    def __init__(self, seed=None, name=None, **kwargs):
        kwargs.pop("backend", None)
        if kwargs:
            raise ValueError(f"Unrecognized keyword arguments: {kwargs}")
        self.name = name or backend.unique_object_name("seed_generator")
        self._initial_seed = seed
        if seed is None:
            seed = python_random.randint(1, int(1e9))
        if isinstance(seed, bool) or not isinstance(seed, (numbers.Integral, numpy.integer)):
            raise ValueError(f"Argument `seed` must be an integer. Received: seed={seed}")
        self.state = Tensor(numpy.array([int(seed) % 2 ** 32, 0], dtype="uint32"))

    def next(self, ordered: bool = True):
        """The current ``[seed, counter]`` (a uint32 array); the state then moves on."""
        value = numpy.array(self.state.data, dtype="uint32")
        seed, counter = (int(v) for v in value)
        step = counter + 1 if ordered else (counter + 1) * 5387 % 933199
        self.state.data = backend.as_array(numpy.array([seed, step % 2 ** 32], dtype="uint32"))
        return value

    def next_generator(self) -> numpy.random.Generator:
        seed, counter = (int(v) for v in self.next())
        return keyed_generator(seed, counter)

    def get_config(self) -> dict:
        return {"seed": self._initial_seed, "name": self.name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        seed, counter = (int(v) for v in self.state.data)
        return f"<SeedGenerator name={self.name} seed={seed} draws={counter}>"


# ------------------------------------------------------------------ helpers

def _seed(seed):
    """``seed`` as the attribute random primitives take."""
    if seed is None or isinstance(seed, (SeedSource, numpy.random.Generator)):
        return seed
    if isinstance(seed, (numbers.Integral, numpy.integer)) and not isinstance(seed, bool):
        return int(seed)
    raise ValueError(f"Argument `seed` must be either an integer or an instance of `SeedGenerator`. "
                     f"Received: seed={seed} (of type {type(seed)})")


def _float_dtype(dtype, function: str) -> str:
    dtype = backend.floatx() if dtype is None else dtype_name(dtype)
    if numpy.dtype(dtype).kind != "f":
        raise ValueError(f"`keras.random.{function}` requires a floating point `dtype`. "
                         f"Received: dtype={dtype} ")
    return dtype


def _parameter(value):
    """A distribution parameter as a primitive input: tensors as they are, numbers as float64."""
    if isinstance(value, (Tensor, Node)) or backend.is_array(value):
        return value
    return numpy.asarray(value, dtype="float64")


def _draw(name, shape, dtype, seed, params=(), **attrs):
    template, sizes = split_shape(shape, name)
    return apply_stateful(name, *params, *sizes, shape=template, dtype=dtype, seed=_seed(seed),
                          **attrs)


def _scaled(name, shape, dtype, seed, location, scale, names):
    """A draw of location 0 and scale 1, moved and scaled; tensors as the two work too."""
    low, width = static_number(location), static_number(scale)
    if low is not None and width is not None:
        return _draw(name, shape, dtype, seed, **{names[0]: float(low), names[1]: float(width)})
    draws = _draw(name, shape, dtype, seed, **{names[0]: 0.0, names[1]: 1.0})
    return add(multiply(draws, scale), location)


# -------------------------------------------------------------------- draws

def normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Values from the normal distribution of ``mean`` and ``stddev`` (floatx by default)."""
    return _scaled("random_normal", shape, _float_dtype(dtype, "normal"), seed, mean, stddev,
                   ("mean", "stddev"))


def uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    """Values uniform in ``[minval, maxval)`` (floatx by default)."""
    dtype = _float_dtype(dtype, "uniform")
    low, high = static_number(minval), static_number(maxval)
    if low is not None and high is not None:
        return _draw("random_uniform", shape, dtype, seed, minval=float(low), maxval=float(high))
    draws = _draw("random_uniform", shape, dtype, seed, minval=0.0, maxval=1.0)
    return add(multiply(draws, subtract(maxval, minval)), minval)


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Normal values of ``mean`` and ``stddev``, those more than two ``stddev`` away drawn again."""
    return _scaled("random_truncated_normal", shape, _float_dtype(dtype, "truncated_normal"), seed,
                   mean, stddev, ("mean", "stddev"))


def randint(shape, minval, maxval, dtype="int32", seed=None):
    """Integers uniform in ``[minval, maxval)``."""
    dtype = "int32" if dtype is None else dtype_name(dtype)
    if numpy.dtype(dtype).kind not in "iu":
        raise ValueError(f"`keras.random.randint` requires an integer `dtype`. Received: dtype={dtype} ")
    low, high = static_number(minval), static_number(maxval)
    if low is None or high is None:
        raise ValueError("randint: minval and maxval must be numbers")
    if int(high) <= int(low):
        raise ValueError(f"randint: maxval ({high}) must be above minval ({low})")
    return _draw("random_randint", shape, dtype, seed, minval=int(low), maxval=int(high))


def categorical(logits, num_samples, dtype="int32", seed=None):
    """``num_samples`` class indices per row of ``logits`` ``(batch_size, num_classes)``,
    drawn with the probabilities ``softmax(logits)``; shape ``(batch_size, num_samples)``."""
    if len(shape_of(logits)) != 2:
        raise ValueError(f"`logits` should be a 2-D tensor with shape [batch_size, num_classes]. "
                         f"Received: logits={logits}")
    if not isinstance(logits, (Tensor, Node)):
        logits = backend.as_array(logits)
    return apply_stateful("random_categorical", logits, num_samples=int(num_samples),
                          dtype="int32" if dtype is None else dtype_name(dtype), seed=_seed(seed))


def dropout(inputs, rate, noise_shape=None, seed=None):
    """``inputs`` with each entry zeroed with probability ``rate``, the rest scaled by
    ``1 / (1 - rate)``; ``noise_shape`` (``None`` entries: the input's size) shares draws."""
    rate = float(rate)
    if not 0.0 <= rate <= 1.0:
        raise ValueError(f"dropout: rate must be between 0 and 1, got {rate}")
    if rate == 1.0:
        from .ops.creation import zeros_like
        return zeros_like(inputs)
    if rate == 0.0:
        return inputs
    if not isinstance(inputs, (Tensor, Node)):
        inputs = backend.as_array(inputs)
    rank = len(shape_of(inputs))
    if noise_shape is None:
        noise_shape = (None,) * rank
    else:
        noise_shape = tuple(None if d is None else int(d) for d in noise_shape)
    mask = apply_stateful("dropout_mask", inputs, rate=rate, noise_shape=noise_shape, seed=_seed(seed))
    return apply("multiply", inputs, mask)


def shuffle(x, axis: int = 0, seed=None):
    """``x`` with the entries of each slice along ``axis`` in random order (every slice its
    own order, as Keras' JAX and NumPy backends do)."""
    if not isinstance(x, (Tensor, Node)):
        x = backend.as_array(x)
    rank = len(shape_of(x))
    if not -rank <= int(axis) < rank:
        raise ValueError(f"shuffle: axis {axis} is out of range for rank {rank}")
    axis = int(axis) % rank
    order = apply_stateful("random_shuffle_indices", x, axis=axis, seed=_seed(seed))
    return shape_ops.take_along_axis(x, order, axis=axis)


def gamma(shape, alpha, dtype=None, seed=None):
    """Values from the gamma distribution of shape parameter ``alpha`` (scale 1)."""
    return _draw("random_gamma", shape, _float_dtype(dtype, "gamma"), seed, params=(_parameter(alpha),))


def beta(shape, alpha, beta, dtype=None, seed=None):
    """Values from the beta distribution of parameters ``alpha`` and ``beta`` (which broadcast)."""
    return _draw("random_beta", shape, _float_dtype(dtype, "beta"), seed,
                 params=(_parameter(alpha), _parameter(beta)))


def binomial(shape, counts, probabilities, dtype=None, seed=None):
    """Successes in ``counts`` trials of probability ``probabilities`` (floatx by default)."""
    dtype = backend.floatx() if dtype is None else dtype_name(dtype)
    return _draw("random_binomial", shape, dtype, seed,
                 params=(_parameter(counts), _parameter(probabilities)))
