"""Building a graph (TensorFlow 1's names): placeholders, constants, variables (each listed with
its initial value, per graph, for the initializers), assign ops and symbolic gradients."""
from __future__ import annotations

import weakref

import numpy

from .. import backend
from ..engine import Node, Program, get_default_graph
from ..engine import Variable as _engine_variable
from ..engine import constant as _engine_constant
from ..engine import gradients as _engine_gradients
from ..engine import placeholder as _engine_placeholder
from .dtypes import float32

Tensor = Node  # TensorFlow 1's tf.Tensor is the symbolic kind


def placeholder(dtype, shape=None, name: str | None = None) -> Node:
    """A value fed at run time: ``x = placeholder(tf.float32, shape=(None, 784))``.

    ``None`` in ``shape`` marks a size known only at run time; the shape
    itself is required (TensorFlow allows an unknown rank, kerasette does not).
    """
    return _engine_placeholder(dtype, shape=shape, name=name)


def constant(value, dtype=None, shape=None, name: str | None = None) -> Node:
    """A value fixed when the graph is built; ``shape`` fills or reshapes it as TensorFlow does."""
    array = backend.as_array(value, dtype=dtype)
    if shape is not None:
        shape = tuple(int(d) for d in shape)
        size = int(numpy.prod(shape))
        if array.size == 1:
            array = backend.array_module().full(shape, array.reshape(()), dtype=array.dtype)
        elif array.size == size:
            array = array.reshape(shape)
        else:
            raise ValueError(f"constant: {array.size} values cannot fill shape {shape}")
    return _engine_constant(array, name=name)


def zeros(shape, dtype=float32, name: str | None = None) -> Node:
    """A constant of zeros (TensorFlow's ``tf.zeros``: a graph node, not an array)."""
    return constant(0, dtype=dtype, shape=shape, name=name or "zeros")


def ones(shape, dtype=float32, name: str | None = None) -> Node:
    """A constant of ones (TensorFlow's ``tf.ones``: a graph node, not an array)."""
    return constant(1, dtype=dtype, shape=shape, name=name or "ones")


# The variables made through this face, per graph, with their initial values,
# so that an initializer can set them back (weak keys: a dropped graph goes).
_variables: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def Variable(initial_value, trainable=True, name: str | None = None, dtype=None) -> Node:  # noqa: N802
    """A value kept between runs, changed by ``assign`` or by ``function`` updates.

    ``initial_value`` may be a number, a list, an array, or a graph node that
    needs no feeds (``tf.Variable(tf.zeros([784, 10]))``), which is run once now.

    >>> w = Variable([[0.5], [-0.5]], name="w")
    """
    if isinstance(initial_value, Node):
        initial_value = Program([initial_value])()[0]
    node = _engine_variable(initial_value, dtype=dtype, name=name, trainable=trainable)
    _variables.setdefault(get_default_graph(), []).append((node, node.holder.data.copy()))
    return node


def global_variables() -> list:
    """The variables made with ``Variable`` in the default graph, oldest first."""
    return [node for node, _ in _variables.get(get_default_graph(), [])]


def trainable_variables() -> list:
    return [node for node in global_variables() if node.attrs.get("trainable", True)]


def assign(ref: Node, value, name: str | None = None) -> Node:
    """A node that, when run, writes ``value`` into the variable ``ref`` and returns it."""
    if not isinstance(value, Node):
        value = constant(value, dtype=ref.dtype)
    return ref.assign(value)


def assign_add(ref: Node, value, name: str | None = None) -> Node:
    return ref.assign(ref + value)


def assign_sub(ref: Node, value, name: str | None = None) -> Node:
    return ref.assign(ref - value)


def gradients(ys, xs, grad_ys=None, name: str | None = None) -> list:
    """Symbolic d(sum of ys)/dx for each x in ``xs``, a list with ``None`` where ys do not depend on x."""
    return _engine_gradients(ys, xs, grad_ys=grad_ys)
