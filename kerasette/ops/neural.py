"""Keras 3's ``keras.ops.nn`` functions that are neither activations nor convolutions:
``layer_normalization``, ``rms_normalization``, ``normalize``, ``psnr``,
``multi_hot``, ``polar``, and torch-style ``unfold``/``fold`` (im2col).

Normalizations compute in at least float32 and cast back to the input's
dtype, as Keras does.  ``unfold`` reads one strided slice per kernel offset
and stacks them (channel-major, like torch's Unfold); ``fold`` writes the
slices back with ``getitem_grad`` and sums them, so both are differentiable.
"""
from __future__ import annotations

from typing import Any

import numpy

from .. import backend
from ..primitives.base import normalize_axis
from . import math as _m
from . import reduction as _r
from . import shape_ops as _s
from .core import apply, dtype_of, shape_of

TensorLike = Any

__all__ = ["layer_normalization", "rms_normalization", "normalize", "psnr", "multi_hot", "polar", "unfold",
           "fold"]


def _compute(x):
    """``(x in at least float32, its original dtype)``."""
    from ..primitives.dtypes import result_type
    original = numpy.dtype(dtype_of(x))
    compute = result_type(original, numpy.dtype("float32"))
    return (_m.cast(x, compute.name) if compute != original else x), original


def _broadcast(v, rank, axes, shape):
    if v is None or len(shape_of(v)) == rank or list(axes) == [rank - 1]:
        return v
    target = [1] * rank
    for a in axes:
        target[a] = shape[a]
    return _s.reshape(v, tuple(target))


def layer_normalization(x: TensorLike, gamma=None, beta=None, axis=-1, epsilon=None, **kwargs) -> TensorLike:
    """``(x - mean) / sqrt(var + epsilon) * gamma + beta`` over ``axis`` (Keras' order of operations)."""
    from .nn import moments
    rms_scaling = kwargs.pop("rms_scaling", False)
    epsilon = backend.epsilon() if epsilon is None else epsilon
    x, original = _compute(x)
    rank = len(shape_of(x))
    axes = normalize_axis(axis, rank, "layer_normalization")
    if _fused_layer_norm(x, gamma, beta, axes, rms_scaling):
        compute = dtype_of(x)
        gamma, beta = (v if dtype_of(v) == compute else _m.cast(v, compute) for v in (gamma, beta))
        out = apply("layer_normalization", x, gamma, beta, epsilon=float(epsilon))
        return out if numpy.dtype(dtype_of(out)) == original else _m.cast(out, original.name)
    gamma = _broadcast(gamma, rank, axes, shape_of(x))
    beta = _broadcast(beta, rank, axes, shape_of(x))
    if rms_scaling:
        inv = _m.reciprocal(_m.sqrt(_m.add(_r.var(x, axis=axes, keepdims=True), epsilon)))
        out = _m.multiply(x, inv)
        if gamma is not None:
            out = _m.multiply(out, gamma)
        return _m.cast(out, original.name)
    mean, variance = moments(x, axes=axes, keepdims=True)
    inv = _m.reciprocal(_m.sqrt(_m.add(variance, epsilon)))
    if gamma is not None:
        inv = _m.multiply(inv, gamma)
    res = _m.multiply(_m.negative(mean), inv)
    if beta is not None:
        res = _m.add(res, beta)
    return _m.cast(_m.add(_m.multiply(x, inv), res), original.name)


def _fused_layer_norm(x, gamma, beta, axes, rms_scaling) -> bool:
    """Whether the ``layer_normalization`` primitive computes this call: gamma and beta
    both given, shaped like the trailing axes normalized (known sizes)."""
    if rms_scaling or gamma is None or beta is None:
        return False
    shape = tuple(shape_of(x))
    rank = len(shape)
    if tuple(axes) != tuple(range(rank - len(axes), rank)):
        return False
    trailing = shape[rank - len(axes):]
    return (None not in trailing and tuple(shape_of(gamma)) == trailing
            and tuple(shape_of(beta)) == trailing
            and numpy.dtype(dtype_of(x)).kind == "f")


def rms_normalization(x: TensorLike, scale=None, axis=-1, epsilon=None) -> TensorLike:
    """``x / sqrt(mean(x^2) + epsilon) * scale`` over ``axis``."""
    epsilon = backend.epsilon() if epsilon is None else epsilon
    x, original = _compute(x)
    if len(shape_of(x)) == 0:
        x = _s.expand_dims(x, 0)
    axes = normalize_axis(axis, len(shape_of(x)), "rms_normalization")
    rrms = _m.reciprocal(_m.sqrt(_m.add(_r.mean(_m.square(x), axis=axes, keepdims=True), epsilon)))
    out = _m.multiply(x, rrms)
    if scale is not None:
        out = _m.multiply(out, scale)
    return _m.cast(out, original.name)


def normalize(x: TensorLike, axis: int = -1, order: int = 2, epsilon=None) -> TensorLike:
    """``x`` divided by its ``order``-norm along ``axis`` (at least ``epsilon``)."""
    from .linalg import norm
    if not isinstance(order, int) or order < 1:
        raise ValueError(f"normalize: order must be an integer >= 1, got {order!r}")
    epsilon = backend.epsilon() if epsilon is None else epsilon
    x, _ = _compute(x) if numpy.dtype(dtype_of(x)).kind != "f" else (x, None)
    return _m.divide(x, _m.maximum(norm(x, ord=order, axis=axis, keepdims=True), epsilon))


def psnr(x1: TensorLike, x2: TensorLike, max_val) -> TensorLike:
    """Peak signal-to-noise ratio: ``20 log10(max_val) - 10 log10(mean((x1 - x2)^2))``."""
    from .numeric import log10
    if shape_of(x1) != shape_of(x2):
        raise ValueError(f"psnr: x1 {shape_of(x1)} and x2 {shape_of(x2)} must have the same shape")
    mse = _r.mean(_m.square(_m.subtract(x1, x2)))
    return _m.subtract(_m.multiply(log10(_m.cast(max_val, _m.dtype_name(dtype_of(mse)))), 20.0),
                       _m.multiply(log10(mse), 10.0))


def multi_hot(inputs: TensorLike, num_classes=None, axis: int = -1, dtype=None, sparse: bool = False,
              **kwargs) -> TensorLike:
    """1 for every class that appears in each row of integer ``inputs`` (a 1-d input is one row)."""
    if num_classes is None:
        num_classes = kwargs.pop("num_tokens", None)
    if num_classes is None:
        raise ValueError("multi_hot: num_classes is required")
    if sparse:
        raise ValueError("multi_hot: sparse=True is not supported; kerasette has no sparse tensors")
    encoded = _s.one_hot(_m.cast(inputs, "int32"), int(num_classes), axis=axis, dtype=dtype)
    return _r.max(encoded, axis=1 if len(shape_of(inputs)) > 1 else 0)


def polar(abs_: TensorLike, angle: TensorLike):
    """The complex number ``abs_ * (cos(angle) + i sin(angle))``."""
    cos, sin = _m.cos(angle), _m.sin(angle)
    return apply("complex_view", _s.stack([_m.multiply(abs_, cos), _m.multiply(abs_, sin)], axis=-1),
                 to="complex")


def _pair(value):
    return (int(value), int(value)) if isinstance(value, (int, numpy.integer)) else tuple(int(v) for v in value)


def _geometry(size, kernel, dilation, padding, stride):
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def unfold(x: TensorLike, kernel_size, dilation=1, padding=0, stride=1) -> TensorLike:
    """Sliding blocks of a channels-first ``(N, C, H, W)`` input as ``(N, C * kh * kw, L)``."""
    (kh, kw), (dh, dw), (ph, pw), (sh, sw) = (_pair(v) for v in (kernel_size, dilation, padding, stride))
    from .introspection import shape as runtime_shape
    if len(shape_of(x)) != 4:
        raise ValueError(f"unfold: x must be (N, C, H, W), got shape {shape_of(x)}")
    if ph or pw:
        x = _s.pad(x, [(0, 0), (0, 0), (ph, ph), (pw, pw)])
    n, c, h, w = runtime_shape(x)
    oh, ow = _geometry(h, kh, dh, 0, sh), _geometry(w, kw, dw, 0, sw)
    pieces = []
    for i in range(kh):
        for j in range(kw):
            key = (slice(None), slice(None), slice(i * dh, i * dh + sh * (oh - 1) + 1, sh),
                   slice(j * dw, j * dw + sw * (ow - 1) + 1, sw))
            pieces.append(_s.getitem(x, key))
    stacked = _s.stack(pieces, axis=2)                       # (N, C, kh*kw, oh, ow)
    return _s.reshape(stacked, (n, c * kh * kw, oh * ow))


def fold(x: TensorLike, output_size, kernel_size, dilation=1, padding=0, stride=1) -> TensorLike:
    """The inverse arrangement of ``unfold``: ``(N, C * kh * kw, L)`` blocks summed into ``(N, C, H, W)``."""
    (height, width), (kh, kw), (dh, dw), (ph, pw), (sh, sw) = (
        _pair(v) for v in (output_size, kernel_size, dilation, padding, stride))
    from .introspection import shape as runtime_shape
    n, ckk, length = runtime_shape(x)
    c = ckk // (kh * kw)
    hp, wp = height + 2 * ph, width + 2 * pw
    oh, ow = _geometry(hp, kh, dh, 0, sh), _geometry(wp, kw, dw, 0, sw)
    blocks = _s.reshape(x, (n, c, kh * kw, oh, ow))
    like = numpy.zeros((1, 1, hp, wp), dtype=numpy.dtype(dtype_of(x)))
    total = None
    for index in range(kh * kw):
        i, j = divmod(index, kw)
        piece = _s.getitem(blocks, (slice(None), slice(None), index))
        key = ((None, None, None), (None, None, None), (i * dh, i * dh + sh * (oh - 1) + 1, sh),
               (j * dw, j * dw + sw * (ow - 1) + 1, sw))
        target = _s.broadcast_to(like, (n, c, hp, wp)) if total is None else total
        placed = apply("getitem_grad", piece, target, key=key)
        total = placed if total is None else _m.add(total, placed)
    return _s.getitem(total, (slice(None), slice(None), slice(ph, ph + height), slice(pw, pw + width)))
