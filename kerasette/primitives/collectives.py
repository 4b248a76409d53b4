"""Collectives inside a compiled step: statistics over every rank's part of the batch.

Synchronized statistics (``BatchNormalization(synchronized=True)``,
``ops.moments(synchronized=True)``) under a data-parallel distribution over
several MPI processes gather each rank's partial sums inside the step.  Two
primitives do it:

``allgather_rows``
    every rank's array stacked in rank order (one ``MPI_Allgather``); its
    gradient is ``allgather_rows_gradient``;
``allgather_rows_gradient``
    every rank's gradient of the gathered rows, each weighted by its rank's
    share of the global batch (``mpi.gradient_share``: the data-parallel step
    scales a rank's gradients by it after the backward pass), summed by one
    allreduce; this rank's row, divided by its own share.

Both run on host arrays (MPI sends numpy buffers).
"""
from __future__ import annotations

import numpy

from ..distribution import mpi
from .base import Primitive, Spec, register


@register
class AllgatherRows(Primitive):
    """Every rank's array stacked in rank order: shape ``(size,) + x.shape``."""

    name = "allgather_rows"

    def infer(self, x, rank=0, size=1) -> Spec:
        return Spec((size,) + tuple(x.shape), numpy.dtype(x.dtype))

    def forward(self, xp, array, rank=0, size=1):
        gathered = mpi.allgather_rows(numpy.asarray(array))
        if gathered.shape[0] != size:
            raise RuntimeError(f"synchronized statistics: the graph was built for {size} ranks, "
                               f"MPI runs {gathered.shape[0]}")
        return xp.asarray(gathered)

    def gradient(self, ops, inputs, output, grad, rank=0, size=1):
        return [ops.allgather_rows_gradient(grad, rank=rank, size=size)]


@register
class AllgatherRowsGradient(Primitive):
    """The backward of ``allgather_rows``; see the module docstring."""

    name = "allgather_rows_gradient"
    differentiable = False

    def infer(self, grad, rank=0, size=1) -> Spec:
        return Spec(tuple(grad.shape)[1:], numpy.dtype(grad.dtype))

    def forward(self, xp, grad, rank=0, size=1):
        share = mpi.gradient_share()
        grad = numpy.asarray(grad)
        buffer = numpy.zeros(grad.shape, grad.dtype)      # C-ordered: reduced in place
        if share:
            numpy.multiply(grad, share, out=buffer, casting="unsafe")
        mpi.allreduce_sum_(buffer)
        row = buffer[rank]
        return xp.asarray(row / share if share else row)

    def gradient(self, ops, inputs, output, grad, **attrs):
        return [None]


__all__ = ["AllgatherRows", "AllgatherRowsGradient"]
