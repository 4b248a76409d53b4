"""Random draws with an explicit generator: dropout masks and noise like an input.

The generator (a numpy ``Generator``) is an attribute of the node, hashed by
identity, and it is drawn from when the primitive *runs*: a compiled graph
draws a fresh mask on every run, an eager call draws once.  The draws are
not differentiable; dropout's gradient flows through the multiply by the
mask that ``kerasette.ops.dropout`` builds around this primitive.

Draws are made in float32 (or float64 for float64 inputs) and cast to the
input's dtype, and moved to the array module, so a cupy backend gets cupy
arrays from numpy's generator.
"""
from __future__ import annotations

import numpy

from .base import Primitive, ShapeError, Spec, format_shape, register


def _draw_dtype(dtype) -> str:
    return "float64" if numpy.dtype(dtype) == numpy.float64 else "float32"


class RandomLike(Primitive):
    differentiable = False

    def infer(self, x, **attrs):
        if numpy.dtype(x.dtype).kind != "f":
            raise ShapeError(f"{self.name}: needs a float input, got {numpy.dtype(x.dtype).name}")
        return Spec(tuple(x.shape), x.dtype)


@register
class DropoutMask(RandomLike):
    """0 with probability ``rate``, else ``1 / (1 - rate)``; shaped ``noise_shape``.

    ``noise_shape`` has x's rank; ``None`` entries take x's size at run time
    and 1 entries share one draw along that axis.
    """

    name = "dropout_mask"

    def infer(self, x, rate, noise_shape, generator):
        super().infer(x)
        if len(noise_shape) != len(x.shape):
            raise ShapeError(f"{self.name}: noise_shape {noise_shape} does not match an input "
                             f"of shape {format_shape(x.shape)}")
        shape = []
        for size, noise in zip(x.shape, noise_shape):
            if noise is None:
                shape.append(size)
            elif noise == 1 or size is None or noise == size:
                shape.append(noise)
            else:
                raise ShapeError(f"{self.name}: noise_shape {noise_shape} cannot broadcast "
                                 f"to an input of shape {format_shape(x.shape)}")
        return Spec(tuple(shape), x.dtype)

    def forward(self, xp, x, rate, noise_shape, generator):
        shape = tuple(x.shape[i] if d is None else d for i, d in enumerate(noise_shape))
        draws = generator.random(shape, dtype=_draw_dtype(x.dtype))
        mask = xp.asarray(draws >= rate).astype(x.dtype)
        mask *= 1.0 / (1.0 - rate)
        return mask


@register
class RandomUniformLike(RandomLike):
    """Uniform noise in ``[minval, maxval)`` with x's shape and dtype."""

    name = "random_uniform_like"

    def forward(self, xp, x, minval, maxval, generator):
        draws = xp.asarray(generator.random(x.shape, dtype=_draw_dtype(x.dtype)))
        draws *= maxval - minval
        draws += minval
        return draws.astype(x.dtype, copy=False)


@register
class RandomNormalLike(RandomLike):
    """Gaussian noise of ``mean`` and ``stddev`` with x's shape and dtype."""

    name = "random_normal_like"

    def forward(self, xp, x, mean, stddev, generator):
        draws = xp.asarray(generator.standard_normal(x.shape, dtype=_draw_dtype(x.dtype)))
        draws *= stddev
        draws += mean
        return draws.astype(x.dtype, copy=False)
