"""Run-time facts about arrays, for graphs whose batch size is not known when built."""
from __future__ import annotations

import numpy

from .base import Primitive, Spec, register


@register
class AxisSize(Primitive):
    """The size of one axis as a 0-d int64 array (the batch size, say)."""

    name = "axis_size"
    differentiable = False

    def infer(self, x, axis):
        return Spec((), numpy.dtype("int64"))

    def forward(self, xp, x, axis):
        return xp.asarray(x.shape[axis], dtype="int64")
