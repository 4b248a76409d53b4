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
