"""Matrix products with Keras' (numpy's) semantics: matmul, dot, tensordot, einsum.

``dot`` has no primitive of its own: numpy's rules make it a matmul when the
second operand has at most two axes, a tensordot over (last of x,
second-to-last of y) otherwise, and a multiply for scalars.
"""
from __future__ import annotations

from .core import apply, shape_of

__all__ = ["matmul", "dot", "tensordot", "einsum"]


def matmul(x1, x2):
    """Matrix product like ``numpy.matmul``: batched over leading axes, 1-D operands as vectors."""
    return apply("matmul", x1, x2)


def dot(x1, x2):
    """``numpy.dot``: inner product of vectors, matrix product, or a sum over x1's last axis."""
    rank_1, rank_2 = len(shape_of(x1)), len(shape_of(x2))
    if rank_1 == 0 or rank_2 == 0:
        return apply("multiply", x1, x2)
    if rank_2 <= 2:
        return apply("matmul", x1, x2)
    return apply("tensordot", x1, x2, axes=((rank_1 - 1,), (rank_2 - 2,)))


def _tensordot_axes(axes, rank_1: int, rank_2: int) -> tuple:
    if isinstance(axes, int):
        if axes < 0 or axes > min(rank_1, rank_2):
            raise ValueError(f"tensordot: axes={axes} does not fit ranks {rank_1} and {rank_2}")
        return tuple(range(rank_1 - axes, rank_1)), tuple(range(axes))
    first, second = axes
    first = (first,) if isinstance(first, int) else tuple(first)
    second = (second,) if isinstance(second, int) else tuple(second)
    return (tuple(a % rank_1 if -rank_1 <= a < rank_1 else a for a in first),
            tuple(b % rank_2 if -rank_2 <= b < rank_2 else b for b in second))


def tensordot(x1, x2, axes=2):
    """``numpy.tensordot``: sum products over the last/first ``axes`` axes or the given pairs."""
    axes = _tensordot_axes(axes, len(shape_of(x1)), len(shape_of(x2)))
    return apply("tensordot", x1, x2, axes=axes)


def einsum(subscripts: str, *operands, **kwargs):
    """``numpy.einsum`` for sums of products; traces and diagonals are not supported."""
    return apply("einsum", *operands, equation=subscripts.replace(" ", ""))
