"""A PyTorch-compatibility face for tutorial code: ``import kerasette.torch as torch``.

The tutorial this project comes from shows a PyTorch ``Net``; with
``import kerasette.torch as torch``, ``import kerasette.torch.nn as nn`` and
``import kerasette.torch.nn.functional as F`` that code runs unchanged on
kerasette::

    import kerasette.torch as torch
    import kerasette.torch.nn as nn
    import kerasette.torch.nn.functional as F

    net = nn.Linear(4, 2)
    loss = F.cross_entropy(net(torch.randn(8, 4)), torch.tensor([0, 1] * 4))
    loss.backward()                     # net.weight.grad holds d(loss)/d(weight)

It is a thin face, not a reimplementation of PyTorch: tensors are kerasette's
eager ``Tensor`` (define-by-run, ``backward()``, ``.grad``), modules are
kerasette ``Layer``s whose ``call`` is ``forward``, and the math is
kerasette's channels-last ops, with transposes where PyTorch's NCHW layout
meets them.  It covers what small tutorial networks use (``Conv2d``,
``Linear``, pooling, ``relu``, ``log_softmax``, ``nll_loss``,
``cross_entropy``, ``optim.SGD``); anything else raises ``AttributeError``
rather than pretending.  Differences worth knowing: ``Tensor.size`` is an
attribute (numpy's element count), not PyTorch's ``size()`` method (use
``.shape``); ``Tensor`` methods take numpy's ``axis=`` where PyTorch says
``dim=`` (the functions here take ``dim=``); there are no devices, and
``.to(...)`` on a module does nothing.
"""
from __future__ import annotations

import numpy

from .. import backend
from ..eager import Tensor, enable_grad, is_grad_enabled, no_grad

float16 = numpy.dtype("float16")
float32 = float = numpy.dtype("float32")  # noqa: A001 - PyTorch's names
float64 = double = numpy.dtype("float64")
int32 = numpy.dtype("int32")
int64 = long = numpy.dtype("int64")
bool = numpy.dtype("bool")  # noqa: A001


def _size(size) -> tuple:
    # torch.randn(2, 3) and torch.randn((2, 3)) both work
    if len(size) == 1 and not isinstance(size[0], int):
        return tuple(int(d) for d in size[0])
    return tuple(int(d) for d in size)


def _float_dtype(dtype):
    return numpy.dtype(backend.floatx() if dtype is None else dtype)


def tensor(data, dtype=None, requires_grad=False) -> Tensor:
    """A Tensor holding a copy of ``data``: ``tensor([3.0], requires_grad=True)``.

    Python floats become float32 and integers int64, as in PyTorch.
    """
    if isinstance(data, Tensor):
        data = data.data
    array = backend.as_array(data, dtype=dtype)
    return Tensor(array.copy(), requires_grad=requires_grad)


def from_numpy(array) -> Tensor:
    """A Tensor over ``array`` (its dtype kept)."""
    return Tensor(backend.as_array(array))


def is_tensor(value):
    return isinstance(value, Tensor)


def manual_seed(seed: int) -> None:
    """Seed kerasette's generator (weights initialisation, ``randn``, dropout)."""
    backend.set_seed(int(seed))


def randn(*size, dtype=None, requires_grad=False) -> Tensor:
    """Standard normal draws of the given size, from kerasette's seeded generator."""
    dtype = _float_dtype(dtype)
    values = backend.rng().standard_normal(_size(size)).astype(dtype)
    return Tensor(backend.as_array(values), requires_grad=requires_grad)


def rand(*size, dtype=None, requires_grad=False) -> Tensor:
    """Uniform draws in [0, 1) of the given size."""
    dtype = _float_dtype(dtype)
    values = backend.rng().random(_size(size)).astype(dtype)
    return Tensor(backend.as_array(values), requires_grad=requires_grad)


def randint(low, high=None, size=None, dtype=None) -> Tensor:
    """Integers in [low, high) (``randint(high, size)`` counts from 0), int64 by default."""
    if high is None:
        low, high = 0, low
    if size is None:
        raise TypeError("randint() needs a size")
    values = backend.rng().integers(low, high, size=_size((size,)))
    return Tensor(backend.as_array(values.astype(dtype or "int64")))


def zeros(*size, dtype=None, requires_grad=False) -> Tensor:
    return Tensor(backend.array_module().zeros(_size(size), dtype=_float_dtype(dtype)),
                  requires_grad=requires_grad)


def ones(*size, dtype=None, requires_grad=False) -> Tensor:
    return Tensor(backend.array_module().ones(_size(size), dtype=_float_dtype(dtype)),
                  requires_grad=requires_grad)


def argmax(input, dim=None, keepdim=False) -> Tensor:  # noqa: A002 - PyTorch's name
    """Index of the largest value along ``dim`` (of the flattened input when None)."""
    from .. import ops
    if dim is None:
        return ops.argmax(ops.reshape(input, (-1,)), axis=0)
    return ops.argmax(input, axis=dim, keepdims=keepdim)


from . import nn, optim  # noqa: E402 - the submodules use the names above

__all__ = [
    "Tensor", "no_grad", "enable_grad", "is_grad_enabled", "tensor", "from_numpy", "is_tensor",
    "manual_seed", "randn", "rand", "randint", "zeros", "ones", "argmax", "nn", "optim",
    "float16", "float32", "float64", "int32", "int64", "bool", "float", "double", "long",
]
