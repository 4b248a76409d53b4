"""Batch normalization applied with given statistics, as one fused primitive.

``batch_normalization(x, mean, variance, offset, scale)`` computes
``(x - mean) * scale / sqrt(variance + epsilon) + offset`` with the four
parameters of one shape, broadcast against ``x`` (``(C,)`` for channels
last).  The forward folds the parameters into one multiplier and one shift
(small arrays) so the big array is touched twice; the gradient reduces the
big arrays only twice (``sum(g)`` and ``sum(g * (x - mean))``) and derives
all four parameter gradients from those two sums.

The statistics themselves (``moments``) are ordinary reductions composed in
``kerasette.ops.nn``; when they are computed from ``x``, autodiff carries the
gradient through them as well.

``stop_gradient(x)`` is ``x`` that carries no gradient back (not
differentiable): SpectralNormalization's power-iteration vectors, which
Keras 3 keeps out of the gradient.
"""
from __future__ import annotations

import math

from .arithmetic import sum_leading
from .base import Primitive, ShapeError, Spec, broadcast_shapes, format_shape, register


@register
class BatchNormalization(Primitive):
    name = "batch_normalization"
    label = "FusedBatchNorm"

    def infer(self, x, mean, variance, offset, scale, epsilon=1e-3):
        params = (mean, variance, offset, scale)
        shapes = [tuple(p.shape) for p in params]
        for shape in shapes[1:]:
            if len(shape) != len(shapes[0]) or any(
                    a is not None and b is not None and a != b for a, b in zip(shape, shapes[0])):
                raise ShapeError(f"{self.name}: mean, variance, offset and scale must share one "
                                 f"shape, got {', '.join(format_shape(s) for s in shapes)}")
        broadcast_shapes(self.name, x.shape, shapes[0])
        x_shape = tuple(x.shape)
        aligned = x_shape[len(x_shape) - len(shapes[0]):] if len(shapes[0]) <= len(x_shape) else None
        # the statistics may not widen x, not even along an axis of unknown size
        if aligned is None or any(p not in (1, None) and p != d for p, d in zip(shapes[0], aligned)):
            raise ShapeError(f"{self.name}: statistics of shape {format_shape(shapes[0])} do not "
                             f"fit an input of shape {format_shape(x.shape)}")
        return Spec(tuple(x.shape), x.dtype)

    def forward(self, xp, x, mean, variance, offset, scale, epsilon=1e-3):
        factor = scale / xp.sqrt(variance + epsilon)
        shift = offset - mean * factor
        shape = x.shape
        x, factor, shift = _fold_channels(xp, x, factor, shift)
        out = xp.multiply(x, factor, dtype=x.dtype)
        out += shift
        return out.reshape(shape)

    def gradient(self, ops, inputs, output, grad, epsilon=1e-3):
        x, mean, variance, offset, scale = inputs
        inverse_std = ops.power(variance + epsilon, -0.5)
        factor = scale * inverse_std
        grad_sum = ops.sum_to_like(grad, mean)
        centered_sum = ops.sum_to_like(grad * (x - mean), mean)
        grad_x = grad * factor
        grad_mean = -grad_sum * factor
        grad_variance = centered_sum * factor * inverse_std * inverse_std * -0.5
        grad_scale = centered_sum * inverse_std
        return grad_x, grad_mean, grad_variance, grad_sum, grad_scale


@register
class StopGradient(Primitive):
    name = "stop_gradient"
    label = "StopGradient"
    differentiable = False

    def infer(self, x):
        return Spec(tuple(x.shape), x.dtype)

    def forward(self, xp, x):
        return x

    def gradient(self, ops, inputs, output, grad):
        return (None,)


def _fold_channels(xp, x, *params):
    """Views that make numpy's inner loop long when params vary along the last axis only.

    Broadcasting a (C,) vector over channels-last data runs numpy's inner
    loop C elements at a time; viewing x as rows of k*C elements and tiling
    the (small) parameters k times gives the same result about twice as fast.
    """
    channels = x.shape[-1] if x.ndim else 1
    if (x.ndim < 2 or not x.flags.c_contiguous or channels >= 2048
            or any(p.size != channels or p.shape[-1:] != (channels,) for p in params)):
        return (x,) + params
    rows = x.size // channels
    k = max(1, 4096 // channels)
    while rows % k:
        k -= 1
    if k == 1:
        return (x,) + params
    return (x.reshape(rows // k, k * channels),) + tuple(xp.tile(p.reshape(-1), k) for p in params)


# ------------------------------------------------------------ layer normalization

def _trailing(x_shape, gamma_shape):
    """(rows, width): the leading sizes' product (None if unknown) and the normalized sizes'."""
    k = len(gamma_shape)
    lead = tuple(x_shape[:len(x_shape) - k])
    rows = None if None in lead else math.prod(lead)
    return rows, math.prod(gamma_shape)


def _check_layer_norm(name, x, gamma, beta=None):
    x_shape, g_shape = tuple(x.shape), tuple(gamma.shape)
    if beta is not None and tuple(beta.shape) != g_shape:
        raise ShapeError(f"{name}: gamma {format_shape(g_shape)} and beta "
                         f"{format_shape(tuple(beta.shape))} must share one shape")
    if (not g_shape or len(g_shape) > len(x_shape) or None in g_shape
            or x_shape[len(x_shape) - len(g_shape):] != g_shape):
        raise ShapeError(f"{name}: gamma of shape {format_shape(g_shape)} does not match the "
                         f"trailing axes of an input of shape {format_shape(x_shape)}")


#: rows up to this long are summed by einsum (3x faster than numpy's mean over short rows, no
#: BLAS call); longer ones by numpy's pairwise sum, whose rounding error grows more slowly
EINSUM_ROW_LIMIT = 2048


def _row_sums(xp, rows):
    if rows.shape[1] <= EINSUM_ROW_LIMIT:
        return xp.einsum("ij->i", rows)
    return rows.sum(axis=1)


def _normalized_rows(xp, x, width, epsilon):
    """``(x - mean) / sqrt(var + epsilon)`` per row of ``x`` viewed as (rows, width), and 1/sqrt(var + epsilon)."""
    rows = x.reshape(-1, width)
    centered = xp.subtract(rows, _row_sums(xp, rows)[:, None] * (1.0 / width))
    variance = xp.einsum("ij,ij->i", centered, centered)
    variance /= width
    variance += epsilon
    inverse = xp.sqrt(variance, out=variance)
    xp.reciprocal(inverse, out=inverse)
    inverse = inverse[:, None]
    centered *= inverse
    return centered, inverse


@register
class LayerNormalization(Primitive):
    """``(x - mean) / sqrt(var + epsilon) * gamma + beta`` over the trailing axes ``gamma`` spans.

    One pass over ``x`` for the statistics (the variance of the centred
    values, never ``E[x^2] - m^2``), the result written into one buffer.
    Its gradient is ``layer_normalization_backward``: the input's, gamma's
    and beta's gradients from one pass, packed in one array.
    """

    name = "layer_normalization"
    label = "LayerNorm"

    def infer(self, x, gamma, beta, epsilon=1e-3):
        _check_layer_norm(self.name, x, gamma, beta)
        return Spec(tuple(x.shape), x.dtype)

    def forward(self, xp, x, gamma, beta, epsilon=1e-3):
        out, _ = _normalized_rows(xp, x, gamma.size, epsilon)
        out *= gamma.reshape(-1)
        out += beta.reshape(-1)
        return out.reshape(x.shape)

    def gradient(self, ops, inputs, output, grad, epsilon=1e-3):
        x, gamma, _ = inputs
        packed = ops.layer_normalization_backward(x, gamma, grad, epsilon=epsilon)
        return unpack_layer_norm_grads(ops, packed, x, gamma)


def unpack_layer_norm_grads(ops, packed, x, gamma):
    """(input, gamma, beta) gradients from ``layer_normalization_backward``'s (rows + 2, width) array."""
    grad_x = ops.reshape_like(ops.getitem(packed, key=((None, -2, None),)), x)
    grad_gamma = ops.reshape_like(ops.getitem(packed, key=(-2,)), gamma)
    grad_beta = ops.reshape_like(ops.getitem(packed, key=(-1,)), gamma)
    return grad_x, grad_gamma, grad_beta


@register
class LayerNormalizationBackward(Primitive):
    """Layer normalization's backward pass, written out: ``(x, gamma, grad)`` -> one (rows + 2, width) array.

    Viewing ``x`` as rows of ``width = gamma.size`` values with ``xhat`` the
    normalized rows and ``inv = 1 / sqrt(var + epsilon)``, the first rows hold
    the input's gradient ``inv * (h - mean(h) - xhat * mean(h * xhat))`` with
    ``h = grad * gamma``; the row before last gamma's gradient
    ``sum(grad * xhat)`` and the last beta's ``sum(grad)`` (sums over rows).
    The statistics are recomputed from ``x`` (cheaper than keeping them).
    """

    name = "layer_normalization_backward"
    label = "LayerNormGrad"

    def infer(self, x, gamma, grad, epsilon=1e-3):
        _check_layer_norm(self.name, x, gamma)
        if len(x.shape) != len(grad.shape) or any(
                a is not None and b is not None and a != b for a, b in zip(x.shape, grad.shape)):
            raise ShapeError(f"{self.name}: input {format_shape(tuple(x.shape))} and gradient "
                             f"{format_shape(tuple(grad.shape))} differ")
        rows, width = _trailing(tuple(x.shape), tuple(gamma.shape))
        return Spec((None if rows is None else rows + 2, width), x.dtype)

    def forward(self, xp, x, gamma, grad, epsilon=1e-3):
        width = gamma.size
        xhat, inverse = _normalized_rows(xp, x, width, epsilon)
        grad = grad.reshape(-1, width).astype(xhat.dtype, copy=False)
        rows = xhat.shape[0]
        out = xp.empty((rows + 2, width), dtype=xhat.dtype)
        scratch = xp.multiply(grad, xhat)
        out[rows] = _column_sums(xp, scratch)
        out[rows + 1] = _column_sums(xp, grad)
        # mean(h) and mean(h * xhat) per row as products with gamma / width, h = grad * gamma
        # (einsum, not BLAS: a matrix-vector product on two BLAS threads costs 5-30x more here)
        weights = gamma.reshape(-1) * (1.0 / width)
        mean_h = xp.einsum("ij,j->i", grad, weights)
        projection = xp.einsum("ij,j->i", scratch, weights)
        h = xp.multiply(grad, gamma.reshape(-1), out=out[:rows])
        xp.multiply(xhat, projection[:, None], out=scratch)
        scratch += mean_h[:, None]
        h -= scratch
        h *= inverse
        return out

    def gradient(self, ops, inputs, output, upstream, epsilon=1e-3):
        x, gamma, grad = inputs
        rank, k = len(x.shape), len(gamma.shape)
        axes = tuple(range(rank - k, rank))
        width = 1
        for size in gamma.shape:
            width *= size

        def mean(value):
            return ops.sum(value, axis=axes, keepdims=True) * (1.0 / width)

        centered = x - mean(x)
        inverse = 1.0 / ops.sqrt(mean(centered * centered) + epsilon)
        xhat = centered * inverse

        def normalize_back(u):
            # the Jacobian of xhat(x), symmetric, applied to u
            return inverse * (u - mean(u) - xhat * mean(u * xhat))

        up_x, up_gamma, up_beta = unpack_layer_norm_grads(ops, upstream, x, gamma)
        grad_x_out, _, _ = unpack_layer_norm_grads(ops, output, x, gamma)
        back = normalize_back(up_x)
        h_projection = mean(grad * gamma * xhat)
        grad_x = normalize_back(grad * up_gamma) - inverse * (
            xhat * mean(up_x * grad_x_out) + h_projection * back + grad_x_out * mean(up_x * xhat))
        grad_gamma = ops.sum_to_like(back * grad, gamma)
        grad_grad = back * gamma + xhat * up_gamma + up_beta
        return grad_x, grad_gamma, grad_grad


def _column_sums(xp, rows):
    """The sum of a (rows, width) array over its rows (arithmetic's folded sum)."""
    return sum_leading(rows, 1)
