"""Run-time facts about tensors."""
from __future__ import annotations

from .core import apply

__all__ = ["axis_size"]


def axis_size(x, axis: int = 0):
    """The size of ``axis`` when the value exists (a node in a graph, where it may be unknown)."""
    return apply("axis_size", x, axis=int(axis))
