"""PyTorch's ``torch.nn.functional`` for tutorial code, over kerasette's ops.

Inputs are PyTorch-shaped: images NCHW ``(batch, channels, height, width)``,
class scores ``(batch, classes)``, and ``dim=`` where kerasette says
``axis=``.  kerasette's convolution and pooling ops are channels-last, so
``conv2d`` and the pooling functions transpose NCHW -> NHWC, call the op and
transpose back; the transposes are ops too, so gradients flow through them.
Everything works on eager Tensors (define-by-run), on plain arrays, and on
symbolic nodes alike, because it is all ``kerasette.ops``.

>>> import kerasette.torch as torch
>>> F.max_pool2d(torch.randn(1, 3, 8, 8), 2).shape
(1, 3, 4, 4)
"""
from __future__ import annotations

import numpy

from ... import ops
from ...ops.core import shape_of

__all__ = [
    "conv2d", "linear", "max_pool2d", "avg_pool2d", "relu", "sigmoid", "tanh", "softmax",
    "log_softmax", "dropout", "nll_loss", "cross_entropy", "mse_loss",
]

_TO_CHANNELS_LAST = (0, 2, 3, 1)
_TO_CHANNELS_FIRST = (0, 3, 1, 2)


def _pair(value, name: str) -> tuple:
    if isinstance(value, int):
        return (value, value)
    value = tuple(int(v) for v in value)
    if len(value) != 2:
        raise ValueError(f"{name} must be an int or a pair of ints, got {value}")
    return value


def _four_dimensional(input, function: str):  # noqa: A002 - PyTorch's name
    shape = shape_of(input)
    if len(shape) != 4:
        raise ValueError(f"{function}: expected a 4-D input (batch, channels, height, width), "
                         f"got shape {tuple(shape)}")
    return shape


def _reduce(losses, reduction: str, function: str):
    if reduction == "mean":
        return ops.mean(losses)
    if reduction == "sum":
        return ops.sum(losses)
    if reduction == "none":
        return losses
    raise ValueError(f"{function}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


# ------------------------------------------------------------------ layers' math

def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):  # noqa: A002
    """2-D convolution of NCHW ``input`` with a PyTorch-layout ``weight`` (out, in / groups, kh, kw).

    ``padding`` is an int, a pair, ``'valid'`` or ``'same'``.
    """
    shape = _four_dimensional(input, "conv2d")
    out_channels, kernel_in = shape_of(weight)[:2]
    if shape[1] is not None and shape[1] != kernel_in * groups:
        raise ValueError(f"conv2d: given groups={groups}, weight of size {tuple(shape_of(weight))}, "
                         f"expected input{tuple(shape)} to have {kernel_in * groups} channels, "
                         f"but got {shape[1]} channels instead")
    x = ops.transpose(input, _TO_CHANNELS_LAST)
    if isinstance(padding, str):
        mode = padding.lower()
        if mode not in ("valid", "same"):
            raise ValueError(f"conv2d: padding must be an int, a pair, 'valid' or 'same', got {padding!r}")
    else:
        mode = "valid"
        top, left = _pair(padding, "padding")
        if top or left:
            x = ops.pad(x, ((0, 0), (top, top), (left, left), (0, 0)))
    kernel = ops.transpose(weight, (2, 3, 1, 0))   # (out, in, kh, kw) -> Keras' (kh, kw, in, out)
    y = ops.conv(x, kernel, strides=_pair(stride, "stride"), padding=mode, data_format="channels_last",
                 dilation_rate=_pair(dilation, "dilation"))
    if bias is not None:
        y = ops.add(y, bias)
    return ops.transpose(y, _TO_CHANNELS_FIRST)


def linear(input, weight, bias=None):  # noqa: A002
    """``input @ weight.T + bias`` with PyTorch's ``weight`` layout (out_features, in_features)."""
    y = ops.matmul(input, ops.transpose(weight))
    return y if bias is None else ops.add(y, bias)


def _pool2d(op, input, kernel_size, stride, padding, pad_value, function):  # noqa: A002
    _four_dimensional(input, function)
    kernel_size = _pair(kernel_size, "kernel_size")
    stride = kernel_size if stride is None or stride == [] else _pair(stride, "stride")
    top, left = _pair(padding, "padding")
    if top > kernel_size[0] // 2 or left > kernel_size[1] // 2:
        raise ValueError(f"{function}: padding should be at most half of the kernel size, "
                         f"got padding={(top, left)} and kernel_size={kernel_size}")
    x = ops.transpose(input, _TO_CHANNELS_LAST)
    if top or left:
        x = ops.pad(x, ((0, 0), (top, top), (left, left), (0, 0)), constant_values=pad_value)
    y = op(x, kernel_size, strides=stride, padding="valid", data_format="channels_last")
    return ops.transpose(y, _TO_CHANNELS_FIRST)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,  # noqa: A002
               return_indices=False):
    """The maximum over each window of NCHW ``input``; ``stride`` defaults to ``kernel_size``."""
    if dilation not in (1, (1, 1)) or ceil_mode or return_indices:
        raise NotImplementedError("max_pool2d: dilation, ceil_mode and return_indices are not supported")
    # PyTorch pads max pooling with -inf, so padding never wins a window
    return _pool2d(ops.max_pool, input, kernel_size, stride, padding, -numpy.inf, "max_pool2d")


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,  # noqa: A002
               count_include_pad=True, divisor_override=None):
    """The mean over each window of NCHW ``input`` (zero padding counted, PyTorch's default)."""
    if ceil_mode or not count_include_pad or divisor_override is not None:
        raise NotImplementedError("avg_pool2d: ceil_mode, count_include_pad=False and "
                                  "divisor_override are not supported")
    return _pool2d(ops.average_pool, input, kernel_size, stride, padding, 0.0, "avg_pool2d")


# ------------------------------------------------------------------ activations

def relu(input, inplace=False):  # noqa: A002 - inplace accepted for ported code; a new tensor is returned
    return ops.relu(input)


def sigmoid(input):  # noqa: A002
    return ops.sigmoid(input)


def tanh(input):  # noqa: A002
    return ops.tanh(input)


def _dim(dim, function: str) -> int:
    if dim is None:
        # PyTorch guesses (and warns); a tutorial is better served by an error
        raise TypeError(f"{function}() needs dim=, e.g. {function}(x, dim=1)")
    return int(dim)


def softmax(input, dim=None, dtype=None):  # noqa: A002
    x = input if dtype is None else ops.cast(input, dtype)
    return ops.softmax(x, axis=_dim(dim, "softmax"))


def log_softmax(input, dim=None, dtype=None):  # noqa: A002
    x = input if dtype is None else ops.cast(input, dtype)
    return ops.log_softmax(x, axis=_dim(dim, "log_softmax"))


def dropout(input, p=0.5, training=True, inplace=False):  # noqa: A002
    """Zero entries with probability ``p`` and scale the rest by ``1 / (1 - p)``, when ``training``
    (PyTorch's default is True here, unlike ``nn.Dropout`` which follows ``module.training``)."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return ops.multiply(input, 0.0)
    return ops.dropout(input, p)


# ------------------------------------------------------------------ losses

def nll_loss(input, target, weight=None, ignore_index=-100, reduction="mean"):  # noqa: A002
    """Negative log-likelihood of integer class ``target`` (N,) under log-probabilities ``input`` (N, C)."""
    if weight is not None or ignore_index != -100:
        raise NotImplementedError("nll_loss: class weights and ignore_index are not supported")
    if len(shape_of(input)) != 2:
        raise ValueError(f"nll_loss: expected input of shape (batch, classes), got {tuple(shape_of(input))}")
    picked = ops.take_along_axis(input, ops.expand_dims(target, 1), axis=1)
    losses = ops.negative(ops.squeeze(picked, axis=1))
    return _reduce(losses, reduction, "nll_loss")


def cross_entropy(input, target, weight=None, ignore_index=-100, reduction="mean",  # noqa: A002
                  label_smoothing=0.0):
    """``nll_loss(log_softmax(input, dim=1), target)``, fused: integer class ``target`` (N,),
    or class probabilities of ``input``'s shape."""
    if weight is not None or ignore_index != -100 or label_smoothing:
        raise NotImplementedError("cross_entropy: class weights, ignore_index and label smoothing "
                                  "are not supported")
    if tuple(shape_of(target)) == tuple(shape_of(input)):
        losses = ops.categorical_crossentropy(target, input, from_logits=True, axis=1)
    else:
        losses = ops.sparse_categorical_crossentropy(target, input, from_logits=True, axis=1)
    return _reduce(losses, reduction, "cross_entropy")


def mse_loss(input, target, reduction="mean"):  # noqa: A002
    return _reduce(ops.square(ops.subtract(input, target)), reduction, "mse_loss")
