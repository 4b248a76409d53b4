"""Activation functions by name: what ``Dense(10, activation="relu")`` resolves.

Each activation is a plain function of ``kerasette.ops``, so it works on
arrays, eager Tensors (gradients flow) and symbolic nodes alike.  Names,
arguments and formulas are Keras 3's (``relu`` with ``negative_slope``,
``max_value`` and ``threshold``; ``hard_sigmoid`` is ``relu6(x + 3) / 6``;
``gelu`` is exact unless ``approximate=True``).  ``get`` turns a layer
argument (None, a name, a config dict or a callable) into the function and
``serialize`` turns it back into its name.

One name changed its meaning between Keras 2 and Keras 3: Keras 2's (and
tf.keras') ``hard_sigmoid`` is ``clip(0.2 x + 0.5, 0, 1)``.  That function
is ``keras2_hard_sigmoid`` here; the model loaders resolve ``"hard_sigmoid"``
to it inside ``keras2_names()``, for files that Keras 2 wrote, so a loaded
model computes what the Keras that saved it computed (and saves it again
under its own name).

>>> from kerasette import activations
>>> activations.get("relu")([-1.0, 2.0])
array([0., 2.], dtype=float32)
"""
from __future__ import annotations

import contextlib
import threading

from . import backend, ops
from .serialization import ObjectRegistry

__all__ = [
    "relu", "relu6", "leaky_relu", "elu", "selu", "celu", "gelu", "sigmoid", "hard_sigmoid",
    "log_sigmoid", "sparse_sigmoid", "hard_silu", "hard_swish", "silu", "swish", "softmax",
    "log_softmax", "softplus", "softsign", "squareplus", "sparse_plus", "tanh", "hard_tanh",
    "tanh_shrink", "hard_shrink", "soft_shrink", "threshold", "exponential", "linear", "mish",
    "glu", "sparsemax", "get", "serialize", "deserialize",
]

# SELU's fixed point constants (Klambauer et al. 2017), as Keras writes them
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def _as_operand(x):
    # numbers and lists become floatx arrays; arrays, Tensors and nodes pass through
    if hasattr(x, "shape") and hasattr(x, "dtype"):
        return x
    return backend.as_array(x)


def relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    """``max(x, 0)``, with Keras' options: a slope below ``threshold``, a cap at ``max_value``.

    Below the threshold the output is ``negative_slope * (x - threshold)``;
    from the threshold up it is ``x`` (capped at ``max_value`` when given).
    """
    x = _as_operand(x)
    if negative_slope != 0.0:
        if max_value is None and threshold == 0:
            return ops.leaky_relu(x, negative_slope=negative_slope)
        below = ops.negative(x) if threshold == 0 else ops.subtract(threshold, x)
        negative_part = ops.relu(below)
    clip_max = max_value is not None
    if threshold != 0:
        x = ops.multiply(x, ops.cast(ops.greater(x, threshold), x.dtype))
    elif max_value == 6:
        x = ops.relu6(x)
        clip_max = False
    else:
        x = ops.relu(x)
    if clip_max:
        x = ops.clip(x, 0.0, max_value)
    if negative_slope != 0.0:
        x = ops.subtract(x, ops.multiply(negative_part, negative_slope))
    return x


def relu6(x):
    """``min(max(x, 0), 6)``."""
    return ops.relu6(_as_operand(x))


def leaky_relu(x, negative_slope=0.2):
    """``x`` for ``x >= 0``, ``negative_slope * x`` below (Keras' activation default 0.2)."""
    return ops.leaky_relu(_as_operand(x), negative_slope=negative_slope)


def elu(x, alpha=1.0):
    """``x`` for ``x > 0``, ``alpha * (exp(x) - 1)`` below."""
    return ops.elu(_as_operand(x), alpha=alpha)


def selu(x):
    """``scale * elu(x, alpha)`` with the self-normalising constants."""
    return ops.selu(_as_operand(x))


def celu(x, alpha=1.0):
    """``x`` for ``x >= 0``, ``alpha * (exp(x / alpha) - 1)`` below."""
    x = _as_operand(x)
    negative = ops.minimum(x, 0.0)
    return ops.add(ops.relu(x), ops.multiply(ops.expm1(ops.divide(negative, alpha)), alpha))


def gelu(x, approximate=False):
    """``x * Phi(x)`` (Gaussian CDF); the tanh approximation when ``approximate=True``."""
    return ops.gelu(_as_operand(x), approximate=approximate)


def sigmoid(x):
    """``1 / (1 + exp(-x))``."""
    return ops.sigmoid(_as_operand(x))


def hard_sigmoid(x):
    """``relu6(x + 3) / 6``: 0 below -3, 1 above 3, linear between (Keras 3's slope 1/6)."""
    return ops.hard_sigmoid(_as_operand(x))


def keras2_hard_sigmoid(x):
    """Keras 2's (and tf.keras') ``hard_sigmoid``: ``clip(0.2 x + 0.5, 0, 1)``, slope 1/5.

    What ``"hard_sigmoid"`` means in files written by Keras 2 (Keras 2.3's
    LSTM and GRU use it as their ``recurrent_activation`` by default).
    """
    x = _as_operand(x)
    return ops.clip(ops.add(ops.multiply(x, 0.2), 0.5), 0.0, 1.0)


def log_sigmoid(x):
    """``log(sigmoid(x)) = -softplus(-x)``, stable for large ``|x|``."""
    return ops.negative(ops.softplus(ops.negative(_as_operand(x))))


def sparse_sigmoid(x):
    """0 below -1, 1 above 1, ``(x + 1) / 2`` between."""
    return ops.clip(ops.multiply(ops.add(_as_operand(x), 1.0), 0.5), 0.0, 1.0)


def hard_silu(x):
    """``x * hard_sigmoid(x)`` (hard swish)."""
    return ops.hard_silu(_as_operand(x))


def silu(x):
    """``x * sigmoid(x)`` (swish)."""
    return ops.silu(_as_operand(x))


def softmax(x, axis=-1):
    """``exp(x) / sum(exp(x))`` along ``axis``."""
    return ops.softmax(_as_operand(x), axis=axis)


def log_softmax(x, axis=-1):
    """``x - logsumexp(x)`` along ``axis``."""
    return ops.log_softmax(_as_operand(x), axis=axis)


def softplus(x):
    """``log(1 + exp(x))``."""
    return ops.softplus(_as_operand(x))


def softsign(x):
    """``x / (1 + |x|)``."""
    return ops.softsign(_as_operand(x))


def squareplus(x, b=4):
    """``(x + sqrt(x ** 2 + b)) / 2``, a smooth relu."""
    x = _as_operand(x)
    return ops.multiply(ops.add(x, ops.sqrt(ops.add(ops.square(x), b))), 0.5)


def sparse_plus(x):
    """0 below -1, ``x`` above 1, ``(x + 1) ** 2 / 4`` between."""
    x = _as_operand(x)
    between = ops.multiply(ops.square(ops.add(ops.clip(x, -1.0, 1.0), 1.0)), 0.25)
    # above 1 the clipped quadratic is 1; adding relu(x - 1) continues it as x
    return ops.add(between, ops.relu(ops.subtract(x, 1.0)))


def tanh(x):
    """Hyperbolic tangent."""
    return ops.tanh(_as_operand(x))


def hard_tanh(x):
    """``x`` clipped to ``[-1, 1]``."""
    return ops.clip(_as_operand(x), -1.0, 1.0)


def tanh_shrink(x):
    """``x - tanh(x)``."""
    x = _as_operand(x)
    return ops.subtract(x, ops.tanh(x))


def hard_shrink(x, threshold=0.5):
    """``x`` where ``|x| > threshold``, else 0."""
    x = _as_operand(x)
    return ops.multiply(x, ops.cast(ops.greater(ops.abs(x), threshold), x.dtype))


def soft_shrink(x, threshold=0.5):
    """``x`` moved ``threshold`` towards 0, and 0 within ``threshold`` of it."""
    x = _as_operand(x)
    above = ops.relu(ops.subtract(x, threshold))
    below = ops.relu(ops.subtract(ops.negative(x), threshold))
    return ops.subtract(above, below)


def threshold(x, threshold, default_value):
    """``x`` where ``x > threshold``, else ``default_value``."""
    x = _as_operand(x)
    return ops.where(ops.greater(x, threshold), x, ops.add(ops.zeros_like(x), default_value))


def exponential(x):
    """``exp(x)``."""
    return ops.exp(_as_operand(x))


def linear(x):
    """The identity: ``x`` unchanged (what ``activation=None`` means)."""
    return x


def mish(x):
    """``x * tanh(softplus(x))``."""
    x = _as_operand(x)
    return ops.multiply(x, ops.tanh(ops.softplus(x)))


# Keras' other names for the same functions
def glu(x, axis=-1):
    """Gated linear unit: the two halves ``a, b`` of ``axis`` give ``a * sigmoid(b)``."""
    return ops.glu(_as_operand(x), axis=axis)


def sparsemax(x, axis=-1):
    """The Euclidean projection of ``x`` onto the probability simplex along ``axis`` (sparse softmax)."""
    return ops.sparsemax(_as_operand(x), axis=axis)


swish = silu
hard_swish = hard_silu

_BY_NAME = {function.__name__: function for function in [
    relu, relu6, leaky_relu, elu, selu, celu, gelu, sigmoid, hard_sigmoid, log_sigmoid,
    sparse_sigmoid, hard_silu, silu, softmax, log_softmax, softplus, softsign, squareplus,
    sparse_plus, tanh, hard_tanh, tanh_shrink, hard_shrink, soft_shrink, threshold,
    exponential, linear, mish, glu, sparsemax,
]}
_BY_NAME.update({"swish": silu, "hard_swish": hard_silu, "keras2_hard_sigmoid": keras2_hard_sigmoid})
_NAME_OF = {id(function): name for name, function in _BY_NAME.items() if name == function.__name__}
# functions, not classes: only the registry's name lookup applies
_REGISTRY = ObjectRegistry("activation function", None, _BY_NAME)

# names that meant another function in Keras 2, and that function
_KERAS2_MEANINGS = {"hard_sigmoid": keras2_hard_sigmoid}
_scope = threading.local()


@contextlib.contextmanager
def keras2_names(active: bool = True):
    """Inside the block (when ``active``), names resolve as Keras 2 meant them:
    ``"hard_sigmoid"`` is ``keras2_hard_sigmoid``.  The loaders enter it while
    they rebuild a model from a file written by Keras 2 or tf.keras.

    >>> with keras2_names():
    ...     get("hard_sigmoid") is keras2_hard_sigmoid
    True
    """
    previous = getattr(_scope, "keras2", False)
    _scope.keras2 = bool(active)
    try:
        yield
    finally:
        _scope.keras2 = previous


def serialize(activation):
    """The name of a built-in activation (``'relu'``); a custom function's ``__name__``;
    ``{"class_name", "config"}`` for an object with ``get_config`` (an activation layer)."""
    if activation is None:
        return "linear"
    name = _NAME_OF.get(id(activation))
    if name is not None:
        return name
    if hasattr(activation, "get_config"):
        return {"class_name": type(activation).__name__, "config": activation.get_config()}
    name = getattr(activation, "__name__", None)
    if name is None:
        raise ValueError(f"Cannot serialize activation {activation!r}")
    return name


def deserialize(config, custom_objects: dict | None = None):
    """The activation a name or a config dict describes.

    Keras 3 writes a built-in activation as ``{"class_name": "function",
    "config": "relu", ...}``; ``custom_objects`` resolves other names.
    """
    custom_objects = custom_objects or {}
    if isinstance(config, str):
        name, options = config, None
    else:
        class_name = config.get("class_name")
        inner = config.get("config")
        if class_name == "function" or isinstance(inner, str):
            name, options = inner, None
        else:
            name, options = class_name, inner
    if name in custom_objects:
        found = custom_objects[name]
        if options is not None and hasattr(found, "from_config"):
            return found.from_config(options)
        return found
    if getattr(_scope, "keras2", False) and name in _KERAS2_MEANINGS:
        return _KERAS2_MEANINGS[name]
    return _REGISTRY.lookup(name)


def get(identifier):
    """The activation function for a layer argument: None means ``linear``.

    >>> get(None) is linear, get("swish") is silu
    (True, True)
    """
    if identifier is None:
        return linear
    if isinstance(identifier, (str, dict)):
        return deserialize(identifier)
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret activation function identifier: {identifier!r}")
