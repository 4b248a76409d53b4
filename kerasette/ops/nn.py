"""Neural-network ops that are not convolution or pooling: batch-norm, dropout, cross-entropies.

Keras 3's names, argument names and defaults (``keras.ops.moments``,
``batch_normalization``, ``categorical_crossentropy``, ... and
``keras.random.dropout``).  The cross-entropies return one value per sample
(per element for the binary one), unreduced, as ``keras.ops`` does; the
reduction over the batch belongs to ``kerasette.losses``.
"""
from __future__ import annotations

import numbers
from typing import Any

import numpy

from .. import backend
from ..primitives.base import normalize_axis
from ..primitives.random import SeedSource
from .core import apply, apply_stateful, dtype_of, shape_of

#: an array, a Python number or list, an eager Tensor or a symbolic node
TensorLike = Any

__all__ = ["moments", "batch_normalization", "dropout", "categorical_crossentropy",
           "sparse_categorical_crossentropy", "binary_crossentropy", "random_uniform_like",
           "random_normal_like", "dot_product_attention", "adaptive_average_pool",
           "adaptive_max_pool"]


# --------------------------------------------------------------- batch norm

def moments(x: TensorLike, axes, keepdims: bool = False, synchronized: bool = False):
    """Mean and variance of ``x`` over ``axes``: ``mean, variance = moments(x, [0, 1, 2])``.

    ``synchronized=True`` under a data-parallel distribution over several processes
    (``kerasette.distribution``): the statistics of every rank's ``x`` together (the
    global batch), the same on every rank, with the gradient of the whole batch's
    statistics; elsewhere the statistics of ``x`` (as Keras' TensorFlow backend does
    outside a distribution strategy)."""
    from . import math, reduction, shape_ops
    axes = normalize_axis(axes, len(shape_of(x)), "moments")
    if synchronized:
        from ..distribution import mesh
        world = mesh.data_parallel_world()
        if world is not None:
            return synchronized_moments(x, axes, world[0], world[1], keepdims=keepdims)
    dtype = numpy.dtype(dtype_of(x))
    if dtype == numpy.float16:
        # float16's range is too small for sums of squares, as Keras notes
        x = math.cast(x, "float32")
    mean = reduction.mean(x, axis=axes, keepdims=True)
    # centred (two-pass) variance: E[(x - m)^2] stays >= 0, unlike E[x^2] - m^2
    variance = reduction.mean(math.square(x - mean), axis=axes, keepdims=keepdims)
    if not keepdims:
        mean = shape_ops.squeeze(mean, axis=axes)
    if dtype == numpy.float16:
        mean, variance = math.cast(mean, "float16"), math.cast(variance, "float16")
    return mean, variance


def synchronized_moments(x, axes, rank, size, keepdims=False, weights=None):
    """The mean and variance over ``axes`` of every rank's ``x`` together (rank ``rank`` of
    ``size``): each rank's count, mean and centred sum of squares, gathered from every rank
    (one allgather inside the step, primitives/collectives.py) and combined as Chan et al.'s
    parallel variance does, as exact as one process's two-pass variance.  The allgather's
    gradient sums every rank's gradient of the gathered rows (one allreduce in the backward
    pass), so the gradient is that of the whole batch's statistics.  ``weights`` (shaped like
    ``x``, e.g. a mask as 0/1) weigh each element; ``axes`` is a tuple of normalized axes.
    ``ops.moments(synchronized=True)`` and ``BatchNormalization(synchronized=True)`` use it."""
    from . import core, creation, math, reduction, shape_ops
    dtype = numpy.dtype(dtype_of(x))
    if dtype == numpy.float16:
        x = math.cast(x, "float32")
    if weights is None:
        count = reduction.sum(creation.ones_like(x), axis=axes, keepdims=True)
        total_x = reduction.sum(x, axis=axes, keepdims=True)
    else:
        weights = math.cast(weights, dtype_of(x))
        count = reduction.sum(weights, axis=axes, keepdims=True)
        total_x = reduction.sum(math.multiply(weights, x), axis=axes, keepdims=True)
    mean = math.divide(total_x, math.maximum(count, 1.0))
    centred = math.square(x - mean)
    squares = reduction.sum(centred if weights is None else math.multiply(weights, centred), axis=axes,
                            keepdims=True)
    rows = shape_ops.stack([count, mean, squares])
    gathered = core.apply("allgather_rows", rows, rank=rank, size=size)            # (ranks, 3, ...)
    counts, means, sums = (shape_ops.take(gathered, i, axis=1) for i in range(3))
    total = reduction.sum(counts, axis=0)
    global_mean = math.divide(reduction.sum(math.multiply(counts, means), axis=0), math.maximum(total, 1.0))
    spread = reduction.sum(math.multiply(counts, math.square(means - global_mean)), axis=0)
    variance = math.divide(reduction.sum(sums, axis=0) + spread, math.maximum(total, 1.0))
    if not keepdims:
        global_mean = shape_ops.squeeze(global_mean, axis=axes)
        variance = shape_ops.squeeze(variance, axis=axes)
    if dtype == numpy.float16:
        global_mean, variance = math.cast(global_mean, "float16"), math.cast(variance, "float16")
    return global_mean, variance


def batch_normalization(x: TensorLike, mean: TensorLike, variance: TensorLike, axis: int,
                        offset: TensorLike = None, scale: TensorLike = None,
                        epsilon: float = 1e-3) -> TensorLike:
    """``(x - mean) * scale / sqrt(variance + epsilon) + offset``, statistics of shape (C,) on ``axis``."""
    from . import creation, shape_ops
    rank = len(shape_of(x))
    axis = normalize_axis(axis, rank, "batch_normalization")[0]
    if offset is None:
        offset = creation.zeros_like(mean)
    if scale is None:
        scale = creation.ones_like(mean)
    params = [mean, variance, offset, scale]
    if axis != rank - 1 and len(shape_of(mean)) == 1:
        # (C,) -> (C, 1, ..., 1) so that numpy broadcasting meets x's axis
        layout = (-1,) + (1,) * (rank - 1 - axis)
        params = [shape_ops.reshape(p, layout) for p in params]
    return apply("batch_normalization", x, *params, epsilon=float(epsilon))


# ------------------------------------------------------------------ dropout

def _generator(seed):
    """The ``seed`` attribute of a random primitive: ``None`` (the shared generator, looked
    up when the draw runs), a Generator or SeedGenerator (they move on from draw to draw),
    or for an int a new Generator of its own, made now (so a graph draws afresh each run)."""
    if seed is None or isinstance(seed, (numpy.random.Generator, SeedSource)):
        return seed
    if isinstance(seed, numbers.Integral) and not isinstance(seed, bool):
        return numpy.random.default_rng(int(seed))
    raise TypeError(f"seed must be an int, a numpy Generator, a SeedGenerator or None, "
                    f"not {type(seed).__name__}")


def dropout(x: TensorLike, rate: float, noise_shape=None, seed=None) -> TensorLike:
    """Zero each entry with probability ``rate`` and scale the rest by ``1 / (1 - rate)``.

    A graph draws a fresh mask every time it runs; ``seed`` (an int or a
    numpy Generator) makes the draws repeatable.
    """
    rate = float(rate)
    if not 0.0 <= rate < 1.0:
        raise ValueError(f"dropout rate must be in [0, 1), got {rate}")
    if rate == 0.0:
        return x
    rank = len(shape_of(x))
    if noise_shape is None:
        noise_shape = (None,) * rank
    else:
        noise_shape = tuple(None if d is None else int(d) for d in noise_shape)
    mask = apply_stateful("dropout_mask", x, rate=rate, noise_shape=noise_shape,
                          seed=_generator(seed))
    return apply("multiply", x, mask)


def random_uniform_like(x: TensorLike, minval: float = 0.0, maxval: float = 1.0,
                        seed=None) -> TensorLike:
    """Uniform noise shaped like ``x``, drawn afresh each time a graph runs (for noise layers)."""
    return apply_stateful("random_uniform_like", x, minval=float(minval), maxval=float(maxval),
                          seed=_generator(seed))


def random_normal_like(x: TensorLike, mean: float = 0.0, stddev: float = 1.0,
                       seed=None) -> TensorLike:
    """Gaussian noise shaped like ``x``, drawn afresh each time a graph runs (for noise layers)."""
    return apply_stateful("random_normal_like", x, mean=float(mean), stddev=float(stddev),
                          seed=_generator(seed))


# ---------------------------------------------------------------- attention

def dot_product_attention(query: TensorLike, key: TensorLike, value: TensorLike, bias: TensorLike = None,
                          mask: TensorLike = None, scale: float | None = None, is_causal: bool = False,
                          flash_attention: bool | None = None,
                          attn_logits_soft_cap: float | None = None) -> TensorLike:
    """``softmax(query . key * scale + bias) . value`` per head, Keras 3's ``ops.dot_product_attention``.

    ``query`` is ``(B, T, N, H)``, ``key`` and ``value`` ``(B, S, K, H)`` with
    ``N`` a multiple of ``K`` (grouped-query attention repeats each key/value
    head ``N // K`` times); ``bias`` and the boolean ``mask`` (True = attend)
    broadcast to ``(B, N, T, S)``; ``scale`` defaults to ``1 / sqrt(H)``;
    ``is_causal`` lets position ``t`` see ``s <= t`` only.  Masked logits
    become ``-0.7 * finfo.max`` before the softmax, as Keras' JAX backend
    does, so a fully masked row attends uniformly.  Composed of ``einsum``,
    ``where`` and ``softmax``, so gradients reach query, key, value and bias.
    ``flash_attention=True`` is refused (no fused kernel here); the soft cap,
    which Keras 3 allows on TPUs only, is refused likewise.

    >>> q = numpy.ones((2, 4, 8, 16), "float32")
    >>> dot_product_attention(q, q, q).shape
    (2, 4, 8, 16)
    """
    from . import creation, math, reduction, shape_ops
    from .activations import softmax
    from .linalg import einsum
    if attn_logits_soft_cap is not None:
        raise ValueError("attn_logits_soft_cap is only supported for JAX on TPU. "
                         "Set attn_logits_soft_cap=None when not using JAX on TPU.")
    if flash_attention:
        raise ValueError("Flash attention is not supported by kerasette (it has no fused "
                         "attention kernel); pass flash_attention=None or False")
    shapes = [shape_of(t) for t in (query, key, value)]
    if any(len(s) != 4 for s in shapes):
        raise ValueError("`dot_product_attention` only supports 4D inputs. Received: "
                         f"query.shape={shapes[0]}, key.shape={shapes[1]}, value.shape={shapes[2]}.")
    heads, kv_heads = shapes[0][2], shapes[1][2]
    if heads is not None and kv_heads is not None and heads != kv_heads:
        if heads % kv_heads != 0 or shapes[2][2] != kv_heads:
            raise ValueError(f"dot_product_attention: the query's {heads} heads must be a multiple "
                             f"of the key's and value's ({kv_heads} and {shapes[2][2]})")
        key = shape_ops.repeat(key, heads // kv_heads, axis=2)
        value = shape_ops.repeat(value, heads // kv_heads, axis=2)
    if scale is None:
        scale = 1.0 / float(numpy.sqrt(shapes[0][3]))
    dtype = numpy.dtype(dtype_of(query))
    # the scale applied to the query, (B, T, N, H), rather than to the logits, (B, N, T, S):
    # the same product up to rounding, at a fraction of the work forward and backward
    logits = einsum("BTNH,BSNH->BNTS", math.multiply(query, numpy.asarray(scale, dtype)), key)
    if bias is not None:
        logits = math.add(logits, math.cast(bias, dtype))
    keep = None if mask is None else math.cast(mask, "bool")
    if is_causal:
        t, s = shapes[0][1], shapes[1][1]
        if t is None or s is None:
            from .introspection import shape as run_time_shape
            t, s = run_time_shape(query)[1], run_time_shape(key)[1]
        ones = creation.ones((t, s), dtype="int32")
        causal = math.greater_equal(reduction.cumsum(ones, axis=0), reduction.cumsum(ones, axis=1))
        keep = causal if keep is None else math.logical_and(keep, causal)
    if keep is not None:
        large_negative = numpy.asarray(-0.7 * numpy.finfo(dtype).max, dtype)
        logits = math.where(keep, logits, large_negative)
    probs = softmax(logits, axis=-1)
    return einsum("BNTS,BSNH->BTNH", probs, value)


# ----------------------------------------------------------- cross-entropies

def categorical_crossentropy(target: TensorLike, output: TensorLike, from_logits: bool = False,
                             axis: int = -1) -> TensorLike:
    """Cross-entropy of one-hot (or soft) ``target`` and probabilities or logits, per sample."""
    return apply("softmax_cross_entropy", target, output, from_logits=bool(from_logits),
                 axis=int(axis), epsilon=backend.epsilon())


def sparse_categorical_crossentropy(target: TensorLike, output: TensorLike,
                                    from_logits: bool = False, axis: int = -1) -> TensorLike:
    """Cross-entropy of integer labels and probabilities or logits, per sample."""
    if numpy.dtype(dtype_of(target)).kind not in "iu":
        # labels stored as floats (y_train.astype('float32')) are still labels
        from . import math
        target = math.cast(target, "int64")
    return apply("sparse_softmax_cross_entropy", target, output, from_logits=bool(from_logits),
                 axis=int(axis), epsilon=backend.epsilon())


def binary_crossentropy(target: TensorLike, output: TensorLike,
                        from_logits: bool = False) -> TensorLike:
    """Elementwise binary cross-entropy of ``target`` and probabilities or logits."""
    return apply("sigmoid_cross_entropy", target, output, from_logits=bool(from_logits),
                 epsilon=backend.epsilon())


# ---------------------------------------------------------- adaptive pooling

def _adaptive_pool(name, inputs, output_size, data_format, op):
    shape = shape_of(inputs)
    rank = len(shape) - 2
    if rank not in (1, 2, 3):
        raise ValueError(f"{op}: the input must have rank 3, 4 or 5 (batch, *spatial, channels) or "
                         f"(batch, channels, *spatial), got shape {shape}")
    if isinstance(output_size, numbers.Integral):
        output_size = (int(output_size),) * rank
    else:
        output_size = tuple(output_size)
        if len(output_size) != rank or not all(isinstance(o, numbers.Integral) for o in output_size):
            raise ValueError(f"{op}: output_size must be an int or {rank} ints for input shape {shape}, "
                             f"got {output_size!r}")
    if any(o < 1 for o in output_size):
        raise ValueError(f"{op}: output_size must hold positive ints, got {output_size!r}")
    first = 2 if backend.standardize_data_format(data_format) == "channels_first" else 1
    for axis, size in enumerate(output_size, start=first):
        inputs = apply(name, inputs, axis=axis, output_size=int(size))
    return inputs


def adaptive_average_pool(inputs: TensorLike, output_size, data_format=None) -> TensorLike:
    """The mean over ``output_size`` bins per spatial axis, whatever the input's size.

    Bin ``i`` of an axis of length ``L`` covers ``floor(i * L / O)`` to
    ``ceil((i + 1) * L / O)`` (Keras 3's and PyTorch's boundaries).
    """
    return _adaptive_pool("adaptive_avg_pool", inputs, output_size, data_format, "adaptive_average_pool")


def adaptive_max_pool(inputs: TensorLike, output_size, data_format=None) -> TensorLike:
    """The maximum over ``output_size`` bins per spatial axis (bins as ``adaptive_average_pool``'s)."""
    return _adaptive_pool("adaptive_max_pool", inputs, output_size, data_format, "adaptive_max_pool")


# keras.ops.nn: Keras 3 offers these here too; their code lives in the family modules
from .activations import *  # noqa: E402,F401,F403
from .arrays import depth_to_space, space_to_depth  # noqa: E402,F401
from .convolution import (average_pool, conv, conv_transpose, depthwise_conv, max_pool,  # noqa: E402,F401
                          separable_conv)
from .ctc import ctc_decode, ctc_loss  # noqa: E402,F401
from .neural import *  # noqa: E402,F401,F403
from .shape_ops import one_hot  # noqa: E402,F401
