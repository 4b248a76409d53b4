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
"""
from __future__ import annotations

import builtins
import sys
import types
import weakref

import numpy

from . import backend, ops
from .engine import (FeedError, Graph, Node, Program, cond, function, get_default_graph,  # noqa: F401 (public here)
                     reset_default_graph)
from .engine import InteractiveSession as _EngineInteractiveSession
from .engine import Session as _EngineSession
from .engine import constant as _engine_constant
from .engine import gradients as _engine_gradients
from .engine import placeholder as _engine_placeholder
from .engine import Variable as _engine_variable

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
globals().update(_OPS)


def _op(name: str):
    """The op function ``name`` of kerasette.ops, looked up when it is called."""
    try:
        return getattr(ops, name)
    except AttributeError:
        raise NotImplementedError(f"kerasette.ops has no {name!r} yet") from None


def __getattr__(name: str):
    # ops that appear in kerasette.ops after this module was imported
    if not name.startswith("_") and hasattr(ops, name):
        return getattr(ops, name)
    raise AttributeError(f"module 'kerasette.graph' has no attribute {name!r}")


# ------------------------------------------------------------------ dtypes

float16 = numpy.dtype("float16")
float32 = numpy.dtype("float32")
float64 = numpy.dtype("float64")
int8 = numpy.dtype("int8")
int16 = numpy.dtype("int16")
int32 = numpy.dtype("int32")
int64 = numpy.dtype("int64")
uint8 = numpy.dtype("uint8")
bool = numpy.dtype("bool")  # noqa: A001 - TensorFlow's name; this module never needs builtins.bool
half, double = float16, float64

# ------------------------------------------------------------------ graph building

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


# ------------------------------------------------------------------ operations and sessions

class Operation:
    """A fetch that acts instead of computing a value: ``Session.run`` returns ``None`` for it.

    >>> sess.run(global_variables_initializer())
    """

    def __init__(self, name: str, action):
        self.name = name
        self._action = action

    def run(self):
        self._action()

    def __repr__(self):
        return f"<tf.Operation '{self.name}' type=NoOp>"


def variables_initializer(var_list, name: str = "init") -> Operation:
    """An Operation that sets each variable of ``var_list`` back to its initial value."""
    initial = {id(node): value for graph_variables in _variables.values() for node, value in graph_variables}
    pairs = []
    for node in var_list:
        if id(node) not in initial:
            raise ValueError(f"{node!r} was not made with kerasette.graph.Variable; "
                             "its initial value is unknown")
        pairs.append((node, initial[id(node)]))

    def reset():
        for node, value in pairs:
            node.holder.data = value.copy()

    return Operation(name, reset)


def global_variables_initializer() -> Operation:
    """An Operation that sets every variable made so far back to its initial value.

    Variables hold their value from the start in kerasette, so running it
    first is harmless and not required; running it later restarts training.
    """
    return variables_initializer(global_variables())


def _operations_in(structure, found):
    if isinstance(structure, Operation):
        found.append(structure)
    elif isinstance(structure, dict):
        for value in structure.values():
            _operations_in(value, found)
    elif isinstance(structure, (list, tuple)):
        for value in structure:
            _operations_in(value, found)
    return found


def _replace_operations(structure, stand_in):
    if isinstance(structure, Operation):
        return stand_in
    if isinstance(structure, dict):
        return {key: _replace_operations(value, stand_in) for key, value in structure.items()}
    if isinstance(structure, (list, tuple)):
        items = [_replace_operations(value, stand_in) for value in structure]
        return tuple(items) if isinstance(structure, tuple) else items
    return structure


def _none_for_operations(structure, result):
    if isinstance(structure, Operation):
        return None
    if isinstance(structure, dict):
        return {key: _none_for_operations(value, result[key]) for key, value in structure.items()}
    if isinstance(structure, (list, tuple)):
        items = [_none_for_operations(value, part) for value, part in zip(structure, result)]
        return tuple(items) if isinstance(structure, tuple) else items
    return result


# A node that Operations stand in for while the engine runs the fetches; it
# lives in a graph of its own so that it takes no name in the user's graph.
with Graph().as_default():
    _STAND_IN = _engine_constant(numpy.zeros((), dtype="float32"), name="NoOp")


class _OperationsMixin:
    def run(self, fetches, feed_dict=None):
        """Run ``fetches`` (nodes, Operations, or lists, tuples and dicts of them) and return their values.

        ``feed_dict`` maps placeholders to values; every placeholder a fetch
        needs must be fed.  The program for one set of fetches and feeds is
        compiled on the first run and reused afterwards.
        """
        operations = _operations_in(fetches, [])
        if not operations:
            return super().run(fetches, feed_dict)
        for operation in operations:
            operation.run()
        if isinstance(fetches, Operation):
            return None
        result = super().run(_replace_operations(fetches, _STAND_IN), feed_dict)
        return _none_for_operations(fetches, result)


class Session(_OperationsMixin, _EngineSession):
    """Runs graphs: ``with tf.Session() as sess: sess.run(z, feed_dict={x: [3.0]})``."""


class InteractiveSession(_OperationsMixin, _EngineInteractiveSession):
    """A Session meant to stay open in a notebook: ``tf.InteractiveSession().run(z)``."""


# ------------------------------------------------------------------ TensorFlow 1 names for Keras ops

def _reduction(op_name: str):
    def reduce(input_tensor, axis=None, keepdims=False, name=None, keep_dims=None):
        if keep_dims is not None:  # TensorFlow 1's older spelling
            keepdims = keep_dims
        return _op(op_name)(input_tensor, axis=axis, keepdims=keepdims)

    reduce.__name__ = reduce.__qualname__ = f"reduce_{op_name}"
    reduce.__doc__ = f"TensorFlow's ``reduce_{op_name}``: ``kerasette.ops.{op_name}`` over ``axis`` (all axes by default)."
    return reduce


reduce_sum = _reduction("sum")
reduce_mean = _reduction("mean")
reduce_max = _reduction("max")
reduce_min = _reduction("min")
reduce_prod = _reduction("prod")
reduce_logsumexp = _reduction("logsumexp")


def argmax(input, axis=None, name=None, output_type=int64):  # noqa: A002 - TensorFlow's name
    """Index of the largest value along ``axis`` (TensorFlow 1 reads ``None`` as axis 0)."""
    result = _op("argmax")(input, axis=0 if axis is None else axis)
    return result if numpy.dtype(output_type) == result.dtype else _op("cast")(result, output_type)


def argmin(input, axis=None, name=None, output_type=int64):  # noqa: A002 - TensorFlow's name
    """Index of the smallest value along ``axis`` (TensorFlow 1 reads ``None`` as axis 0)."""
    result = _op("argmin")(input, axis=0 if axis is None else axis)
    return result if numpy.dtype(output_type) == result.dtype else _op("cast")(result, output_type)


def concat(values, axis, name=None):
    """TensorFlow's ``concat``: ``kerasette.ops.concatenate(values, axis)``."""
    return _op("concatenate")(values, axis=axis)


# ------------------------------------------------------------------ tf.nn

nn = types.ModuleType("kerasette.graph.nn", "TensorFlow 1's ``tf.nn``: activations, convolution, "
                      "pooling and fused losses over kerasette.ops, with TensorFlow's argument conventions.")


def _nn_function(implementation):
    """Put ``implementation`` into ``nn`` under its name without the leading underscore."""
    implementation.__name__ = implementation.__qualname__ = implementation.__name__.lstrip("_")
    implementation.__module__ = nn.__name__
    setattr(nn, implementation.__name__, implementation)
    return implementation


def _spatial(value, name: str) -> tuple:
    """TensorFlow's NHWC ``[1, h, w, 1]`` (or ``[h, w]`` or one int) as ``(h, w)``."""
    if isinstance(value, int):
        return (value, value)
    value = tuple(int(v) for v in value)
    if len(value) == 1:
        return value * 2
    if len(value) == 2:
        return value
    if len(value) == 4 and value[0] == 1 and value[3] == 1:
        return value[1:3]
    raise ValueError(f"{name} must be an int, [h, w] or [1, h, w, 1] for NHWC, got {list(value)}")


def _padding(padding) -> str:
    if not isinstance(padding, str) or padding.lower() not in ("same", "valid"):
        raise ValueError(f"padding must be 'SAME' or 'VALID', got {padding!r}")
    return padding.lower()


def _nhwc_only(data_format):
    if data_format not in (None, "NHWC", "channels_last"):
        raise ValueError(f"kerasette.graph.nn works channels-last (NHWC), got data_format={data_format!r}")


@_nn_function
def _conv2d(input, filters=None, strides=1, padding="VALID", data_format="NHWC", dilations=1,  # noqa: A002
            name=None, filter=None):  # noqa: A002 - TensorFlow 1 called the kernel ``filter``
    """2-D convolution of NHWC ``input`` with an HWIO kernel (``strides=[1, 2, 2, 1]``, ``padding='SAME'``)."""
    _nhwc_only(data_format)
    kernel = filters if filters is not None else filter
    return _op("conv")(input, kernel, strides=_spatial(strides, "strides"), padding=_padding(padding),
                       data_format="channels_last", dilation_rate=_spatial(dilations if dilations is not None else 1, "dilations"))


def _pool(op_name: str, public_name: str):
    def pool(input, ksize, strides, padding, data_format="NHWC", name=None):  # noqa: A002
        _nhwc_only(data_format)
        return _op(op_name)(input, _spatial(ksize, "ksize"), strides=_spatial(strides, "strides"),
                            padding=_padding(padding), data_format="channels_last")

    pool.__name__ = "_" + public_name
    pool.__doc__ = f"TensorFlow's ``nn.{public_name}`` over NHWC input: ``kerasette.ops.{op_name}``."
    return _nn_function(pool)


for _name, _public in (("max_pool", "max_pool"), ("max_pool", "max_pool2d"),
                       ("average_pool", "avg_pool"), ("average_pool", "avg_pool2d")):
    _pool(_name, _public)


@_nn_function
def _bias_add(value, bias, data_format=None, name=None):
    """``value + bias`` over the last axis."""
    return _op("add")(value, bias)


def _named(result, name: str | None, default: str):
    """Give a node just made TensorFlow's name for its op (``Softmax``) or the ``name`` asked for.

    Names only label nodes (``Tensor("Softmax:0", ...)``); nothing looks nodes up by name.
    """
    if isinstance(result, Node) and result.kind == "op":
        result.name = get_default_graph().unique_name(name or default)
    return result


@_nn_function
def _softmax(logits, axis=None, name=None):
    return _named(_op("softmax")(logits, axis=-1 if axis is None else axis), name, "Softmax")


@_nn_function
def _log_softmax(logits, axis=None, name=None):
    return _named(_op("log_softmax")(logits, axis=-1 if axis is None else axis), name, "LogSoftmax")


@_nn_function
def _leaky_relu(features, alpha=0.2, name=None):
    return _op("leaky_relu")(features, negative_slope=alpha)


@_nn_function
def _softmax_cross_entropy_with_logits(labels=None, logits=None, axis=-1, name=None):
    """Per-example cross-entropy between one-hot (or soft) ``labels`` and ``logits``."""
    return _op("categorical_crossentropy")(labels, logits, from_logits=True, axis=axis)


nn.softmax_cross_entropy_with_logits_v2 = nn.softmax_cross_entropy_with_logits


@_nn_function
def _sparse_softmax_cross_entropy_with_logits(labels=None, logits=None, name=None):
    """Per-example cross-entropy between integer class ``labels`` and ``logits``."""
    return _op("sparse_categorical_crossentropy")(labels, logits, from_logits=True)


@_nn_function
def _sigmoid_cross_entropy_with_logits(labels=None, logits=None, name=None):
    """Elementwise binary cross-entropy between ``labels`` in [0, 1] and ``logits``."""
    return _op("binary_crossentropy")(labels, logits, from_logits=True)


@_nn_function
def _l2_loss(t, name=None):
    """``sum(t ** 2) / 2``, the usual weight-decay term."""
    return _op("sum")(t * t) * 0.5


def _nn_getattr(name: str):
    # relu, sigmoid, tanh, elu, softplus, ... keep their Keras names and arguments
    if not name.startswith("_") and hasattr(ops, name):
        return getattr(ops, name)
    raise AttributeError(f"module 'kerasette.graph.nn' has no attribute {name!r}")


nn.__getattr__ = _nn_getattr
sys.modules[nn.__name__] = nn  # so that ``from kerasette.graph.nn import relu`` works too

del _name, _public

# ------------------------------------------------------------------ tf.layers

layers = types.ModuleType("kerasette.graph.layers", """TensorFlow 1's ``tf.layers``: functions that make a layer and call it.

``tf.layers.conv2d(x, filters=10, kernel_size=5)`` makes a kerasette
``Conv2D`` (Keras' layer: same weights, same layout, same numbers), calls it on
``x`` and returns the output node.  The layer's weights are kerasette
Variables; the graph reads them each time a Session runs it, and they are
listed by ``global_variables()`` / ``trainable_variables()`` under
TensorFlow's names (``conv2d/kernel``, ``dense_1/bias``), so
``gradients(loss, trainable_variables())`` and ``global_variables_initializer()``
see them.

``batch_normalization(..., training=True)`` puts one assign node per moving
statistic into ``get_collection(GraphKeys.UPDATE_OPS)``; run them with the
training step, as in TensorFlow 1.
""")

# per graph: layers made here by name (for reuse=True), and TensorFlow-style collections
_graph_layers: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_collections: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


class GraphKeys:
    """Names of the collections ``get_collection`` knows (TensorFlow 1's ``tf.GraphKeys``)."""

    GLOBAL_VARIABLES = "variables"
    TRAINABLE_VARIABLES = "trainable_variables"
    UPDATE_OPS = "update_ops"


def add_to_collection(name: str, value) -> None:
    """Append ``value`` to the collection ``name`` of the default graph."""
    _collections.setdefault(get_default_graph(), {}).setdefault(name, []).append(value)


def get_collection(key: str, scope=None) -> list:
    """The items of collection ``key`` in the default graph (variables: as ``global_variables()`` gives them)."""
    if key == GraphKeys.GLOBAL_VARIABLES:
        items = global_variables()
    elif key == GraphKeys.TRAINABLE_VARIABLES:
        items = trainable_variables()
    else:
        items = list(_collections.get(get_default_graph(), {}).get(key, []))
    if scope is not None:
        items = [item for item in items if getattr(item, "name", "").startswith(scope)]
    return items


def _layers_function(implementation):
    """Put ``implementation`` into ``layers`` under its name without the leading underscore."""
    implementation.__name__ = implementation.__qualname__ = implementation.__name__.lstrip("_")
    implementation.__module__ = layers.__name__
    setattr(layers, implementation.__name__, implementation)
    return implementation


def _register_weights(layer, graph) -> None:
    """Give each weight of ``layer`` its graph variable, named like TensorFlow, and list it."""
    from .engine import variable_from_holder
    listed = _variables.setdefault(graph, [])
    known = {id(node) for node, _ in listed}
    for weight in layer.weights:
        node = variable_from_holder(weight, name=f"{layer.name}/{weight.name}")
        node.attrs["trainable"] = builtins.bool(weight.trainable)
        if id(node) not in known:
            listed.append((node, weight.data.copy()))


def _apply_layer(make, inputs, name, reuse, **call_kwargs):
    """Make the layer (or find it, with ``reuse``), build it, register its weights, call it."""
    graph = get_default_graph()
    by_name = _graph_layers.setdefault(graph, {})
    if name is not None and name in by_name:
        if not reuse:
            raise ValueError(f"tf.layers: a layer named {name!r} already exists in this graph; "
                             "pass reuse=True to share its variables")
        layer = by_name[name]
    else:
        if reuse is True and name is not None:
            raise ValueError(f"tf.layers: reuse=True, but no layer named {name!r} exists in this graph")
        layer = make(name)
        by_name[layer.name] = layer
    if isinstance(inputs, Node) and not layer.built:
        # built here rather than inside the call, so that the weights enter the
        # graph under their own names before the call reads them
        layer.build(tuple(inputs.shape))
        layer.built = True
    if isinstance(inputs, Node):
        _register_weights(layer, graph)
    return layer, layer(inputs, **call_kwargs)


def _initializer(value, default):
    return default if value is None else value


def _channels_last(data_format):
    if data_format not in (None, "channels_last"):
        raise ValueError(f"kerasette.graph.layers works channels-last, got data_format={data_format!r}")


@_layers_function
def _conv2d(inputs, filters, kernel_size, strides=(1, 1), padding="valid", data_format="channels_last",
            dilation_rate=(1, 1), activation=None, use_bias=True, kernel_initializer=None,
            bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
            activity_regularizer=None, kernel_constraint=None, bias_constraint=None, trainable=True,
            name=None, reuse=None):
    """A 2-D convolution layer (Keras' ``Conv2D``) applied to NHWC ``inputs``.

    >>> x = conv2d(placeholder(float32, (None, 28, 28, 1)), filters=10, kernel_size=5)
    """
    from .layers import Conv2D
    _channels_last(data_format)

    def make(layer_name):
        return Conv2D(filters, kernel_size, strides=strides, padding=padding.lower(), data_format="channels_last",
                      dilation_rate=dilation_rate, activation=activation, use_bias=use_bias,
                      kernel_initializer=_initializer(kernel_initializer, "glorot_uniform"),
                      bias_initializer=_initializer(bias_initializer, "zeros"),
                      kernel_regularizer=kernel_regularizer, bias_regularizer=bias_regularizer,
                      activity_regularizer=activity_regularizer, kernel_constraint=kernel_constraint,
                      bias_constraint=bias_constraint, trainable=trainable, name=layer_name)

    return _apply_layer(make, inputs, name, reuse)[1]


@_layers_function
def _dense(inputs, units, activation=None, use_bias=True, kernel_initializer=None,
           bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
           activity_regularizer=None, kernel_constraint=None, bias_constraint=None, trainable=True,
           name=None, reuse=None):
    """A fully connected layer (Keras' ``Dense``) over the last axis of ``inputs``."""
    from .layers import Dense

    def make(layer_name):
        return Dense(units, activation=activation, use_bias=use_bias,
                     kernel_initializer=_initializer(kernel_initializer, "glorot_uniform"),
                     bias_initializer=_initializer(bias_initializer, "zeros"),
                     kernel_regularizer=kernel_regularizer, bias_regularizer=bias_regularizer,
                     activity_regularizer=activity_regularizer, kernel_constraint=kernel_constraint,
                     bias_constraint=bias_constraint, trainable=trainable, name=layer_name)

    return _apply_layer(make, inputs, name, reuse)[1]


def _pooling2d(class_name: str, public_name: str):
    def pooling(inputs, pool_size, strides, padding="valid", data_format="channels_last", name=None):
        from . import layers as keras_layers
        _channels_last(data_format)
        layer_class = getattr(keras_layers, class_name)

        # no variables, so nothing to share or register: a new layer each call, as in TensorFlow
        return layer_class(pool_size=pool_size, strides=strides, padding=padding.lower(),
                           data_format="channels_last", name=name)(inputs)

    pooling.__name__ = "_" + public_name
    pooling.__doc__ = (f"2-D {public_name.split('_')[0]} pooling (Keras' ``{class_name}``); "
                       "``strides`` is required, as in TensorFlow 1.")
    return _layers_function(pooling)


_pooling2d("MaxPooling2D", "max_pooling2d")
_pooling2d("AveragePooling2D", "average_pooling2d")


@_layers_function
def _flatten(inputs, name=None, data_format="channels_last"):
    """Keep the batch axis, flatten the rest (Keras' ``Flatten``)."""
    from .layers import Flatten
    _channels_last(data_format)
    return Flatten(data_format="channels_last", name=name)(inputs)


@_layers_function
def _dropout(inputs, rate=0.5, noise_shape=None, seed=None, training=False, name=None):
    """Keras' ``Dropout``: active only when ``training`` is True (a bool, or a boolean node decided at run time)."""
    from .layers import Dropout
    layer = Dropout(rate, noise_shape=noise_shape, seed=seed, name=name)
    if isinstance(training, Node):
        return cond(training, lambda: layer(inputs, training=True), lambda: layer(inputs, training=False))
    return layer(inputs, training=builtins.bool(training))


@_layers_function
def _batch_normalization(inputs, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True,
                         beta_initializer="zeros", gamma_initializer="ones",
                         moving_mean_initializer="zeros", moving_variance_initializer="ones",
                         beta_regularizer=None, gamma_regularizer=None, beta_constraint=None,
                         gamma_constraint=None, training=False, trainable=True, name=None, reuse=None,
                         renorm=False, renorm_clipping=None, renorm_momentum=0.99, fused=None,
                         virtual_batch_size=None, adjustment=None):
    """Keras' ``BatchNormalization``; with ``training=True`` the moving statistics' updates
    go to ``get_collection(GraphKeys.UPDATE_OPS)``.

    >>> y = batch_normalization(x, training=True)
    >>> sess.run([train_step, get_collection(GraphKeys.UPDATE_OPS)], feed_dict=...)
    """
    from .layers import BatchNormalization
    if renorm or virtual_batch_size is not None or adjustment is not None:
        raise NotImplementedError("kerasette.graph.layers.batch_normalization has no renorm, "
                                  "virtual_batch_size or adjustment")
    if isinstance(training, Node):
        raise NotImplementedError("kerasette.graph.layers.batch_normalization takes training as a "
                                  "Python bool; build one graph for training and one for inference")

    def make(layer_name):
        return BatchNormalization(axis=axis, momentum=momentum, epsilon=epsilon, center=center,
                                  scale=scale, beta_initializer=beta_initializer,
                                  gamma_initializer=gamma_initializer,
                                  moving_mean_initializer=moving_mean_initializer,
                                  moving_variance_initializer=moving_variance_initializer,
                                  beta_regularizer=beta_regularizer, gamma_regularizer=gamma_regularizer,
                                  beta_constraint=beta_constraint, gamma_constraint=gamma_constraint,
                                  trainable=trainable, name=layer_name)

    graph = get_default_graph()
    by_name = _graph_layers.get(graph, {})
    layer = by_name.get(name) if name is not None and reuse else None
    already = len(layer._pending_updates) if layer is not None else 0
    layer, outputs = _apply_layer(make, inputs, name, reuse, training=builtins.bool(training))
    if isinstance(inputs, Node):
        from .engine import variable_from_holder
        # the layer leaves (variable, new value node) pairs; TensorFlow 1 users run assign ops
        for variable, value in layer._pending_updates[already:]:
            add_to_collection(GraphKeys.UPDATE_OPS, variable_from_holder(variable).assign(value))
        del layer._pending_updates[already:]
    return outputs


sys.modules[layers.__name__] = layers

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
