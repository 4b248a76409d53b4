"""Activation functions, with ``keras.ops`` names and defaults.

Note the one default that differs between Keras' two faces: ``keras.ops.gelu``
uses the tanh approximation (``approximate=True``, the default here), while
``keras.activations.gelu`` defaults to the exact erf form.
"""
from __future__ import annotations

from typing import Any

import numpy

from ..primitives.base import normalize_axis
from .core import apply, dtype_of, shape_of

#: what every op accepts: an array, a Python number or list, an eager Tensor or a symbolic node
TensorLike = Any

__all__ = [
    "relu", "relu6", "leaky_relu", "elu", "selu", "gelu", "sigmoid", "hard_sigmoid",
    "hard_silu", "hard_swish", "log_sigmoid", "softplus", "softsign", "silu", "swish", "tanh",
    "softmax", "log_softmax", "celu", "glu", "hard_shrink", "hard_tanh", "soft_shrink", "sparse_plus",
    "sparse_sigmoid", "sparsemax", "squareplus", "tanh_shrink", "threshold",
]


def relu(x: TensorLike) -> TensorLike:
    """``max(x, 0)`` (booleans count as int32, as in Keras)."""
    if numpy.dtype(dtype_of(x)).kind == "b":
        from .math import cast
        x = cast(x, "int32")
    return apply("relu", x)


def relu6(x: TensorLike) -> TensorLike:
    """``min(max(x, 0), 6)``."""
    return apply("relu6", x)


def leaky_relu(x: TensorLike, negative_slope: float = 0.2) -> TensorLike:
    """``x`` where positive, else ``negative_slope * x``."""
    return apply("leaky_relu", x, negative_slope=float(negative_slope))


def elu(x: TensorLike, alpha: float = 1.0) -> TensorLike:
    """``x`` where positive, else ``alpha * (exp(x) - 1)``."""
    return apply("elu", x, alpha=float(alpha))


def selu(x: TensorLike) -> TensorLike:
    """Scaled elu with the self-normalising constants (alpha 1.67326, scale 1.05070)."""
    return apply("selu", x)


def gelu(x: TensorLike, approximate: bool = True) -> TensorLike:
    """Gaussian error linear unit; the tanh approximation unless ``approximate=False``."""
    return apply("gelu", x, approximate=bool(approximate))


def sigmoid(x: TensorLike) -> TensorLike:
    """``1 / (1 + exp(-x))``."""
    return apply("sigmoid", x)


def hard_sigmoid(x: TensorLike) -> TensorLike:
    """``relu6(x + 3) / 6``, as in Keras 3."""
    return apply("hard_sigmoid", x)


def hard_silu(x: TensorLike) -> TensorLike:
    """``x * hard_sigmoid(x)``."""
    return x * hard_sigmoid(x)


hard_swish = hard_silu


def log_sigmoid(x: TensorLike) -> TensorLike:
    """``log(sigmoid(x))`` computed stably as ``-softplus(-x)``."""
    return -softplus(-x if hasattr(x, "_apply") else apply("negative", x))


def softplus(x: TensorLike) -> TensorLike:
    """``log(1 + exp(x))``, stable for large ``|x|``."""
    return apply("softplus", x)


def softsign(x: TensorLike) -> TensorLike:
    """``x / (1 + |x|)``."""
    return apply("softsign", x)


def silu(x: TensorLike) -> TensorLike:
    """``x * sigmoid(x)`` (also called swish)."""
    return apply("silu", x)


swish = silu


def tanh(x: TensorLike) -> TensorLike:
    """Hyperbolic tangent."""
    return apply("tanh", x)


def softmax(x: TensorLike, axis: int | tuple = -1) -> TensorLike:
    """``exp(x) / sum(exp(x))`` along ``axis``, stable for large inputs."""
    return apply("softmax", x, axis=normalize_axis(axis, len(shape_of(x)), "softmax"))


def log_softmax(x: TensorLike, axis: int | tuple = -1) -> TensorLike:
    """``x - logsumexp(x)`` along ``axis``, stable for large inputs."""
    return apply("log_softmax", x, axis=normalize_axis(axis, len(shape_of(x)), "log_softmax"))


# Keras 3's newer activations, composed of the primitives above and elementwise math

def _zeros(x):
    from .creation import zeros_like
    return zeros_like(x)


def celu(x: TensorLike, alpha: float = 1.0) -> TensorLike:
    """``max(x, 0) + min(alpha * (exp(x / alpha) - 1), 0)``."""
    from . import math as m
    return m.add(relu(x), m.minimum(m.multiply(m.expm1(m.divide(x, alpha)), alpha), 0.0))


def glu(x: TensorLike, axis: int = -1) -> TensorLike:
    """Gated linear unit: the first half of ``axis`` times the sigmoid of the second half."""
    from .math import multiply
    from .shape_ops import split
    size = shape_of(x)[axis]
    if size is None or size % 2:
        raise ValueError(f"glu: axis {axis} must have an even, known size, got shape {shape_of(x)}")
    a, b = split(x, 2, axis=axis)
    return multiply(a, sigmoid(b))


def hard_shrink(x: TensorLike, threshold: float = 0.5) -> TensorLike:
    """``x`` where ``|x| > threshold``, else 0."""
    from .math import abs as abs_
    from .math import greater, where
    return where(greater(abs_(x), threshold), x, _zeros(x))


def hard_tanh(x: TensorLike) -> TensorLike:
    """``x`` clipped to [-1, 1]."""
    from .math import clip
    return clip(x, -1.0, 1.0)


def soft_shrink(x: TensorLike, threshold: float = 0.5) -> TensorLike:
    """``x - threshold`` above ``threshold``, ``x + threshold`` below ``-threshold``, else 0."""
    from .math import add, greater, less, subtract, where
    return where(greater(x, threshold), subtract(x, threshold),
                 where(less(x, -threshold), add(x, threshold), _zeros(x)))


def sparse_plus(x: TensorLike) -> TensorLike:
    """0 for ``x <= -1``, ``x`` for ``x >= 1``, ``(x + 1)^2 / 4`` between."""
    from .math import add, greater_equal, less_equal, multiply, square, where
    return where(less_equal(x, -1.0), _zeros(x),
                 where(greater_equal(x, 1.0), x, multiply(square(add(x, 1.0)), 0.25)))


def sparse_sigmoid(x: TensorLike) -> TensorLike:
    """0 for ``x <= -1``, 1 for ``x >= 1``, ``(x + 1) / 2`` between."""
    from .math import add, clip, multiply
    return clip(multiply(add(x, 1.0), 0.5), 0.0, 1.0)


def sparsemax(x: TensorLike, axis: int = -1) -> TensorLike:
    """Sparse probabilities along ``axis``, computed as Keras 3.15 computes them.

    The support is the textbook one (sorted ``z_j > (cumsum_j - 1) / j``), but
    Keras' threshold is ``tau = (sum of the running sums over the support - 1) / k``
    (the textbook projection onto the simplex uses the k-th running sum alone), so
    the result sums to 1 only when the support has one entry.  kerasette follows
    Keras' numbers.
    """
    from . import math as m
    from . import reduction as r
    from .arrays import moveaxis
    from .sorting import sort
    rank = len(shape_of(x))
    axis = normalize_axis(axis, rank, "sparsemax")[0]
    z = moveaxis(x, axis, -1)
    ordered = m.negative(sort(m.negative(z), axis=-1))            # descending
    size = shape_of(z)[-1]
    k = numpy.arange(1, size + 1, dtype=numpy.dtype(dtype_of(ordered)))
    cumulative = r.cumsum(ordered, axis=-1)
    support = m.greater(m.subtract(ordered, m.divide(m.subtract(cumulative, 1.0), k)), 0.0)
    count = r.sum(m.cast(support, m.dtype_name(dtype_of(ordered))), axis=-1, keepdims=True)
    total = r.sum(m.where(support, cumulative, _zeros(cumulative)), axis=-1, keepdims=True)
    tau = m.divide(m.subtract(total, 1.0), count)
    return moveaxis(m.maximum(m.subtract(z, tau), 0.0), -1, axis)


def squareplus(x: TensorLike, b: float = 4) -> TensorLike:
    """``(x + sqrt(x^2 + b)) / 2``."""
    from .math import add, multiply, sqrt, square
    return multiply(add(x, sqrt(add(square(x), float(b)))), 0.5)


def tanh_shrink(x: TensorLike) -> TensorLike:
    """``x - tanh(x)``."""
    from .math import subtract
    return subtract(x, tanh(x))


def threshold(x: TensorLike, threshold: float, default_value: float) -> TensorLike:
    """``x`` where ``x > threshold``, else ``default_value``."""
    from .math import add, greater, where
    return where(greater(x, threshold), x, add(_zeros(x), default_value))
