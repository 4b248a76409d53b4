"""Named methods for both kinds of tensor, installed once on their shared mixin.

``Tensor`` (eager) and ``Node`` (symbolic) both inherit
``primitives.operators.Operators``; the methods below are added to that
class here, so ``x.sum(axis=1)``, ``x.reshape(-1, 320)``, ``x[:, 0]`` and
``x.T`` behave the same whether ``x`` computes now or later.
"""
from __future__ import annotations

import sys

from ..primitives.operators import Operators

# method name -> public op function name, for methods whose call is op(self, ...)
_SAME_CALL = [
    "sum", "mean", "max", "min", "prod", "var", "std", "logsumexp", "argmax", "argmin",
    "cumsum", "exp", "log", "sqrt", "square", "abs", "sign", "tanh", "sigmoid", "relu",
    "softmax", "log_softmax", "clip", "transpose", "squeeze", "expand_dims", "matmul",
    "dot", "cast", "take", "repeat", "tile", "broadcast_to", "flatten",
]


def _shape_arguments(shape):
    # x.reshape(2, 3) and x.reshape((2, 3)) both work, as in numpy and torch; a
    # lone size may be a run-time one (a 0-d node from ops.shape)
    if len(shape) == 1 and not isinstance(shape[0], int) and getattr(shape[0], "ndim", 1) != 0:
        return tuple(shape[0])
    return tuple(shape)


def install_methods():
    ops = sys.modules["kerasette.ops"]
    from ..eager import Tensor
    from ..engine import Node
    from .core import apply

    # Operators go through the same dispatch as every op, so ``node * weight``
    # (a Node meeting a Tensor) joins the graph with the weight as a variable,
    # whichever side it stands on.
    def dispatch(cls, name, *inputs, **attrs):
        return apply(name, *inputs, **attrs)

    Tensor._apply = classmethod(dispatch)
    Node._apply = classmethod(dispatch)

    def method(op):
        def call(self, *args, **kwargs):
            return op(self, *args, **kwargs)
        call.__name__ = op.__name__
        call.__doc__ = op.__doc__
        return call

    for name in _SAME_CALL:
        op = getattr(ops, name, None)
        if op is not None:
            setattr(Operators, name, method(op))

    def reshape(self, *shape):
        return ops.reshape(self, _shape_arguments(shape))

    def permute(self, *axes):
        return ops.transpose(self, _shape_arguments(axes))

    def astype(self, dtype):
        return ops.cast(self, dtype)

    def getitem(self, key):
        return ops.getitem(self, key)

    Operators.reshape = reshape
    Operators.view = reshape          # PyTorch's name, for ported code
    Operators.permute = permute
    Operators.astype = astype
    Operators.__getitem__ = getitem
    Operators.T = property(lambda self: ops.transpose(self))
