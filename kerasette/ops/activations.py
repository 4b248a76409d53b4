"""Activation functions, with ``keras.ops`` names and defaults.

Note the one default that differs between Keras' two faces: ``keras.ops.gelu``
uses the tanh approximation (``approximate=True``, the default here), while
``keras.activations.gelu`` defaults to the exact erf form.
"""
from __future__ import annotations

from typing import Any

from ..primitives.base import normalize_axis
from .core import apply, shape_of

#: what every op accepts: an array, a Python number or list, an eager Tensor or a symbolic node
TensorLike = Any

__all__ = [
    "relu", "relu6", "leaky_relu", "elu", "selu", "gelu", "sigmoid", "hard_sigmoid",
    "hard_silu", "hard_swish", "log_sigmoid", "softplus", "softsign", "silu", "swish", "tanh",
    "softmax", "log_softmax",
]


def relu(x: TensorLike) -> TensorLike:
    """``max(x, 0)``."""
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
