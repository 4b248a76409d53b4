"""Gradient clipping (split from ``base.py``): by each tensor's norm (``clipnorm``) and by the
global norm of all of them (``global_clipnorm``), as ``keras/src/optimizers/base_optimizer.py``."""
from __future__ import annotations

from .. import ops

__all__ = ["clip_by_global_norm", "clip_by_norm", "global_norm"]


def global_norm(values):
    """sqrt of the sum of squares of every element of every tensor (None skipped)."""
    squared = [ops.sum(ops.square(v)) for v in values if v is not None]
    return ops.sqrt(ops.sum(ops.stack(squared)))


def clip_by_global_norm(values, clip_norm):
    """Scale all ``values`` together so that their global norm is at most ``clip_norm``.

    A non-finite norm makes the scale NaN, as in Keras (the step is then visibly broken).
    """
    norm = global_norm(values)
    scale_for_finite = ops.multiply(clip_norm, ops.minimum(ops.divide(1.0, norm), 1.0 / clip_norm))
    scale = ops.add(scale_for_finite, ops.subtract(norm, norm))
    return [None if v is None else ops.multiply(v, scale) for v in values]


def clip_by_norm(values, clipnorm):
    """``values`` scaled down so that their L2 norm is at most ``clipnorm`` (``clipnorm=`` of an
    optimizer, applied to each gradient on its own)."""
    l2sum = ops.sum(ops.square(values), keepdims=True)
    positive = ops.greater(l2sum, 0)
    # two-sided where: a zero gradient must not give a NaN through sqrt'(0)
    l2sum_safe = ops.where(positive, l2sum, ops.ones_like(l2sum))
    l2norm = ops.where(positive, ops.sqrt(l2sum_safe), l2sum)
    return ops.divide(ops.multiply(values, clipnorm), ops.maximum(l2norm, clipnorm))
