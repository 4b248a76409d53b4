"""The TensorFlow 1 face: ``import kerasette.graph as tf`` runs TF1-style code.

Define-and-run as the tutorial shows it::

    import kerasette.graph as tf

    x = tf.placeholder(tf.float32, shape=(1,))
    z = x * tf.constant([2.0])
    print(z)                                              # Tensor("mul:0", shape=(1,), dtype=float32)
    tf.InteractiveSession().run(z, feed_dict={x: [3.0]})  # array([6.], dtype=float32)

Everything here is a thin layer over ``kerasette.engine`` (graphs, sessions,
gradients, ``cond``, ``function``) and ``kerasette.ops`` (the math): the op
functions are re-exported under their Keras names, a few TensorFlow 1 names
with their own calling conventions (``reduce_mean``, ``argmax``,
``nn.conv2d``, ``nn.sparse_softmax_cross_entropy_with_logits``, ...) are
adapted onto them, and dtypes are numpy dtypes (``tf.float32.name ==
'float32'``).

Where kerasette differs from TensorFlow 1:

* a variable holds its value from the moment it is made (no
  "uninitialized value" error) and that value is shared by every session;
  running ``global_variables_initializer()`` sets the variables back to
  their initial values, as TensorFlow does;
* ``placeholder`` needs a shape (``None`` for sizes known only at run time),
  because every shape is checked while the graph is built;
* ``tf.layers`` (``conv2d``, ``max_pooling2d``, ``dense``, ...) makes a
  kerasette (Keras) layer and calls it on the node; the layer's weights are
  kerasette Variables that the graph reads when it runs, listed by
  ``global_variables()`` under TensorFlow's names (``conv2d/kernel``).
  There are no variable scopes: ``name=`` with ``reuse=True`` shares a
  layer, and that is all of TensorFlow's sharing that is offered.

The package, one family a module: ``dtypes`` (``tf.float32``, ...), ``building``
(placeholder, constant, Variable, assign, gradients), ``session`` (Operation, the
initializers, Session), ``op_names`` (``reduce_*``, ``argmax``, ``concat``),
``collection`` (GraphKeys, get_collection), ``nn`` (``tf.nn``) and ``layers``
(``tf.layers``); every public op of ``kerasette.ops`` is re-exported here.
"""
from __future__ import annotations

import builtins
import sys  # noqa: F401 - kept: an attribute of the single-module kerasette.graph
import types
import weakref  # noqa: F401 - kept, as sys

import numpy  # noqa: F401 - kept, as sys

from .. import backend, ops  # noqa: F401 - backend kept, as sys
from ..engine import (FeedError, Graph, Node, Program, function, get_default_graph,  # noqa: F401 (public here)
                      reset_default_graph)
from . import layers, nn  # noqa: F401 (public here)
from .building import (Tensor, Variable, assign, assign_add, assign_sub, constant,  # noqa: F401
                       global_variables, gradients, ones, placeholder, trainable_variables, zeros)
from .collection import GraphKeys, add_to_collection, get_collection  # noqa: F401
from .dtypes import (bool, double, float16, float32, float64, half, int8, int16, int32,  # noqa: F401, A004
                     int64, uint8)
from .op_names import (argmax, argmin, concat, reduce_logsumexp, reduce_max, reduce_mean,  # noqa: F401
                       reduce_min, reduce_prod, reduce_sum)
from .session import (InteractiveSession, Operation, Session, global_variables_initializer,  # noqa: F401
                      variables_initializer)

# ------------------------------------------------------------------ the ops

# Every public op function, under its Keras name (tf.multiply, tf.matmul, tf.reshape, ...).
# Helpers of the dispatch (ops.core) and the method installer are not ops.
_HELPER_MODULES = ("kerasette.ops.core", "kerasette.ops.methods")


def _public_ops() -> dict:
    found = {}
    for name in dir(ops):
        value = getattr(ops, name)
        module = getattr(value, "__module__", None) or ""
        if (not name.startswith("_") and callable(value) and not isinstance(value, types.ModuleType)
                and module.startswith("kerasette.ops.") and module not in _HELPER_MODULES):
            found[name] = value
    return found


_OPS = _public_ops()
# TensorFlow 1's own functions imported above (zeros, argmax, ...) keep their names; tf.cond
# is kerasette.ops' cond
globals().update({name: op for name, op in _OPS.items() if name not in globals()})


def __getattr__(name: str):
    # ops that appear in kerasette.ops after this module was imported
    if not name.startswith("_") and hasattr(ops, name):
        return getattr(ops, name)
    raise AttributeError(f"module 'kerasette.graph' has no attribute {name!r}")


# ``from kerasette.graph import *`` leaves Python's own sum, max, abs, bool, ... alone
__all__ = sorted(name for name in set(_OPS) | {
    "float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool", "half", "double",
    "Tensor", "Graph", "get_default_graph", "reset_default_graph", "FeedError",
    "placeholder", "constant", "zeros", "ones", "Variable", "global_variables", "trainable_variables",
    "assign", "assign_add", "assign_sub", "gradients", "cond", "function",
    "Operation", "variables_initializer", "global_variables_initializer", "Session", "InteractiveSession",
    "reduce_sum", "reduce_mean", "reduce_max", "reduce_min", "reduce_prod", "reduce_logsumexp",
    "argmax", "argmin", "concat", "nn", "layers", "GraphKeys", "get_collection", "add_to_collection",
} if name not in vars(builtins))
