"""What a primitive is, the table of all of them, and shape-rule helpers.

A primitive is the smallest unit of array math in kerasette.  It has exactly
three parts and nothing else:

``infer(*inputs, **attrs)``
    the shape rule: from the inputs' ``shape`` (``None`` marks an axis whose
    size is only known at run time, usually the batch) and ``dtype``, the
    output's ``Spec``.  It raises ``ShapeError`` naming the op and the shapes.
``forward(xp, *arrays, **attrs)``
    the computation on arrays of the array module ``xp`` (never ``numpy`` by
    name, so a cupy backend can run it).
``gradient(ops, inputs, output, grad, **attrs)``
    the vector-Jacobian product: one gradient per input (``None`` where there
    is none), written with Python operators and with ``ops.<primitive>(...)``
    calls on the namespace it is handed.  The engine hands it symbolic
    builders, so the gradient becomes more graph; eager mode hands it array
    functions, so the gradient is computed at once.  ``inputs``, ``output``
    and ``grad`` are whatever that caller works with (nodes or arrays).
    Callers go through ``gradient_of(needed, ...)``, which may skip the
    inputs nobody differentiates (see there).

Every primitive has exactly one output; ops with several results (split,
moments) are composed from several primitives by the public op functions.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy

REGISTRY: dict = {}


class ShapeError(ValueError):
    """An op was built on inputs whose shapes cannot work together."""


class Spec(NamedTuple):
    """A shape (``None`` for a size known only at run time) and a dtype."""

    shape: tuple
    dtype: numpy.dtype


class Primitive:
    """Base class of every primitive; see the module docstring."""

    #: key in the table and in the ``ops`` namespace handed to gradient rules
    name = "primitive"
    #: prefix of symbolic node names (``Tensor("mul:0", ...)``); defaults to ``name``
    label = None
    #: False for comparisons, argmax, random draws and the like
    differentiable = True
    #: inputs whose array may receive the output (``forward_into(xp, out, *arrays, **attrs)``,
    #: which returns None where it cannot) when nothing else reads or holds it: the
    #: compiler's ``in_place`` rewrite (engine/rewrites.py)
    in_place_inputs = ()

    def infer(self, *inputs, **attrs) -> Spec:
        raise NotImplementedError(f"{type(self).__name__} has no shape rule")

    def forward(self, xp, *arrays, **attrs):
        raise NotImplementedError(f"{type(self).__name__} has no forward")

    def gradient(self, ops, inputs, output, grad, **attrs):
        raise NotImplementedError(f"{type(self).__name__} has no gradient rule")

    def gradient_of(self, needed, ops, inputs, output, grad, **attrs):
        """``gradient`` for the inputs flagged True in ``needed``; the others may come back None.

        The eager tape computes each gradient as soon as the rule asks for it,
        so an input gradient nobody wants (a model's first convolution or
        matmul, fed by data) would cost as much as a real one; graphs prune
        such nodes anyway.  Primitives whose input gradients are separate,
        costly computations (convolutions, matmul, einsum) override this; the
        rest compute them all.
        """
        return self.gradient(ops, inputs, output, grad, **attrs)

    @property
    def node_label(self) -> str:
        return self.label or self.name

    @property
    def grad_fn_name(self) -> str:
        """PyTorch-style name shown in a Tensor's repr: ``MulBackward``."""
        return type(self).__name__ + "Backward"

    def __repr__(self):
        return f"<primitive {self.name}>"


def register(cls):
    """Class decorator: instantiate the primitive and enter it in the table."""
    instance = cls()
    if instance.name in REGISTRY:
        raise ValueError(f"primitive {instance.name!r} registered twice")
    REGISTRY[instance.name] = instance
    return cls


def get(name: str) -> Primitive:
    try:
        return REGISTRY[name]
    except KeyError:
        raise KeyError(f"No primitive named {name!r}") from None


# ----------------------------------------------------------------- shape rules

def format_shape(shape) -> str:
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + (",)" if len(shape) == 1 else ")")


def broadcast_shapes(op_name: str, *shapes) -> tuple:
    """numpy broadcasting over shapes that may hold ``None`` (unknown sizes)."""
    rank = max(len(s) for s in shapes)
    result = []
    for axis in range(rank):
        sizes = [s[axis - rank + len(s)] for s in shapes if axis - rank + len(s) >= 0]
        known = {d for d in sizes if d is not None and d != 1}
        if len(known) > 1:
            raise ShapeError(
                f"{op_name}: shapes {' and '.join(format_shape(s) for s in shapes)} "
                f"cannot be broadcast together"
            )
        if known:
            result.append(known.pop())
        elif any(d is None for d in sizes):
            result.append(None)
        else:
            result.append(1)
    return tuple(result)


def result_dtype(*dtypes) -> numpy.dtype:
    return numpy.result_type(*dtypes)


def normalize_axis(axis, rank: int, op_name: str = "op") -> tuple:
    """``axis`` (None, int or sequence) as a sorted tuple of non-negative ints."""
    if axis is None:
        return tuple(range(rank))
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    result = []
    for a in axes:
        if not -rank <= a < rank:
            raise ShapeError(f"{op_name}: axis {a} is out of range for rank {rank}")
        result.append(a % rank)
    return tuple(sorted(set(result)))


def reduced_shape(shape, axes, keepdims: bool) -> tuple:
    if keepdims:
        return tuple(1 if i in axes else d for i, d in enumerate(shape))
    return tuple(d for i, d in enumerate(shape) if i not in axes)
