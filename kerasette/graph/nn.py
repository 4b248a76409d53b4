"""TensorFlow 1's ``tf.nn``: activations, convolution, pooling and fused losses over kerasette.ops,
with TensorFlow's argument conventions."""
from __future__ import annotations

from .. import ops
from ..engine import Node, get_default_graph
from .op_names import _op


def _spatial(value, name: str) -> tuple:
    """TensorFlow's NHWC ``[1, h, w, 1]`` (or ``[h, w]`` or one int) as ``(h, w)``."""
    if isinstance(value, int):
        return (value, value)
    value = tuple(int(v) for v in value)
    if len(value) == 1:
        return value * 2
    if len(value) == 2:
        return value
    if len(value) == 4 and value[0] == 1 and value[3] == 1:
        return value[1:3]
    raise ValueError(f"{name} must be an int, [h, w] or [1, h, w, 1] for NHWC, got {list(value)}")


def _padding(padding) -> str:
    if not isinstance(padding, str) or padding.lower() not in ("same", "valid"):
        raise ValueError(f"padding must be 'SAME' or 'VALID', got {padding!r}")
    return padding.lower()


def _nhwc_only(data_format):
    if data_format not in (None, "NHWC", "channels_last"):
        raise ValueError(f"kerasette.graph.nn works channels-last (NHWC), got data_format={data_format!r}")


def conv2d(input, filters=None, strides=1, padding="VALID", data_format="NHWC", dilations=1,  # noqa: A002
           name=None, filter=None):  # noqa: A002 - TensorFlow 1 called the kernel ``filter``
    """2-D convolution of NHWC ``input`` with an HWIO kernel (``strides=[1, 2, 2, 1]``, ``padding='SAME'``)."""
    _nhwc_only(data_format)
    kernel = filters if filters is not None else filter
    return _op("conv")(input, kernel, strides=_spatial(strides, "strides"), padding=_padding(padding),
                       data_format="channels_last", dilation_rate=_spatial(dilations if dilations is not None else 1, "dilations"))


def _pool(op_name: str, public_name: str):
    def pool(input, ksize, strides, padding, data_format="NHWC", name=None):  # noqa: A002
        _nhwc_only(data_format)
        return _op(op_name)(input, _spatial(ksize, "ksize"), strides=_spatial(strides, "strides"),
                            padding=_padding(padding), data_format="channels_last")

    pool.__name__ = pool.__qualname__ = public_name
    pool.__doc__ = f"TensorFlow's ``nn.{public_name}`` over NHWC input: ``kerasette.ops.{op_name}``."
    return pool


max_pool = _pool("max_pool", "max_pool")
max_pool2d = _pool("max_pool", "max_pool2d")
avg_pool = _pool("average_pool", "avg_pool")
avg_pool2d = _pool("average_pool", "avg_pool2d")


def bias_add(value, bias, data_format=None, name=None):
    """``value + bias`` over the last axis."""
    return _op("add")(value, bias)


def _named(result, name: str | None, default: str):
    """Give a node just made TensorFlow's name for its op (``Softmax``) or the ``name`` asked for.

    Names only label nodes (``Tensor("Softmax:0", ...)``); nothing looks nodes up by name.
    """
    if isinstance(result, Node) and result.kind == "op":
        result.name = get_default_graph().unique_name(name or default)
    return result


def softmax(logits, axis=None, name=None):
    return _named(_op("softmax")(logits, axis=-1 if axis is None else axis), name, "Softmax")


def log_softmax(logits, axis=None, name=None):
    return _named(_op("log_softmax")(logits, axis=-1 if axis is None else axis), name, "LogSoftmax")


def leaky_relu(features, alpha=0.2, name=None):
    return _op("leaky_relu")(features, negative_slope=alpha)


def softmax_cross_entropy_with_logits(labels=None, logits=None, axis=-1, name=None):
    """Per-example cross-entropy between one-hot (or soft) ``labels`` and ``logits``."""
    return _op("categorical_crossentropy")(labels, logits, from_logits=True, axis=axis)


softmax_cross_entropy_with_logits_v2 = softmax_cross_entropy_with_logits


def sparse_softmax_cross_entropy_with_logits(labels=None, logits=None, name=None):
    """Per-example cross-entropy between integer class ``labels`` and ``logits``."""
    return _op("sparse_categorical_crossentropy")(labels, logits, from_logits=True)


def sigmoid_cross_entropy_with_logits(labels=None, logits=None, name=None):
    """Elementwise binary cross-entropy between ``labels`` in [0, 1] and ``logits``."""
    return _op("binary_crossentropy")(labels, logits, from_logits=True)


def l2_loss(t, name=None):
    """``sum(t ** 2) / 2``, the usual weight-decay term."""
    return _op("sum")(t * t) * 0.5


def __getattr__(name: str):
    # relu, sigmoid, tanh, elu, softplus, ... keep their Keras names and arguments
    if not name.startswith("_") and hasattr(ops, name):
        return getattr(ops, name)
    raise AttributeError(f"module 'kerasette.graph.nn' has no attribute {name!r}")

