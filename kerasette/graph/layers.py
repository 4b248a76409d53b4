"""TensorFlow 1's ``tf.layers``: functions that make a layer and call it.

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
"""
from __future__ import annotations

import weakref

from ..engine import Node, get_default_graph
from ..ops import cond  # tf.cond is kerasette.ops' cond too (see __init__)
from .building import _variables
from .collection import GraphKeys, add_to_collection

# per graph: layers made here by name (for reuse=True)
_graph_layers: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _register_weights(layer, graph) -> None:
    """Give each weight of ``layer`` its graph variable, named like TensorFlow, and list it."""
    from ..engine import variable_from_holder
    listed = _variables.setdefault(graph, [])
    known = {id(node) for node, _ in listed}
    for weight in layer.weights:
        node = variable_from_holder(weight, name=f"{layer.name}/{weight.name}")
        node.attrs["trainable"] = bool(weight.trainable)
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


def _weight_arguments(activation, use_bias, kernel_initializer, bias_initializer, kernel_regularizer,
                      bias_regularizer, activity_regularizer, kernel_constraint, bias_constraint, trainable):
    """The keyword arguments ``dense`` and ``conv2d`` pass alike to their Keras layer (TensorFlow
    1's ``None`` initializers read as Keras' defaults)."""
    return dict(activation=activation, use_bias=use_bias,
                kernel_initializer=_initializer(kernel_initializer, "glorot_uniform"),
                bias_initializer=_initializer(bias_initializer, "zeros"),
                kernel_regularizer=kernel_regularizer, bias_regularizer=bias_regularizer,
                activity_regularizer=activity_regularizer, kernel_constraint=kernel_constraint,
                bias_constraint=bias_constraint, trainable=trainable)


def _channels_last(data_format):
    if data_format not in (None, "channels_last"):
        raise ValueError(f"kerasette.graph.layers works channels-last, got data_format={data_format!r}")


def conv2d(inputs, filters, kernel_size, strides=(1, 1), padding="valid", data_format="channels_last",
           dilation_rate=(1, 1), activation=None, use_bias=True, kernel_initializer=None,
           bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
           activity_regularizer=None, kernel_constraint=None, bias_constraint=None, trainable=True,
           name=None, reuse=None):
    """A 2-D convolution layer (Keras' ``Conv2D``) applied to NHWC ``inputs``.

    >>> x = conv2d(placeholder(float32, (None, 28, 28, 1)), filters=10, kernel_size=5)
    """
    from ..layers import Conv2D
    _channels_last(data_format)

    weights = _weight_arguments(activation, use_bias, kernel_initializer, bias_initializer, kernel_regularizer,
                                bias_regularizer, activity_regularizer, kernel_constraint, bias_constraint, trainable)

    def make(layer_name):
        return Conv2D(filters, kernel_size, strides=strides, padding=padding.lower(), data_format="channels_last",
                      dilation_rate=dilation_rate, name=layer_name, **weights)

    return _apply_layer(make, inputs, name, reuse)[1]


def dense(inputs, units, activation=None, use_bias=True, kernel_initializer=None,
          bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
          activity_regularizer=None, kernel_constraint=None, bias_constraint=None, trainable=True,
          name=None, reuse=None):
    """A fully connected layer (Keras' ``Dense``) over the last axis of ``inputs``."""
    from ..layers import Dense

    weights = _weight_arguments(activation, use_bias, kernel_initializer, bias_initializer, kernel_regularizer,
                                bias_regularizer, activity_regularizer, kernel_constraint, bias_constraint, trainable)

    def make(layer_name):
        return Dense(units, name=layer_name, **weights)

    return _apply_layer(make, inputs, name, reuse)[1]


def _pooling2d(class_name: str, public_name: str):
    def pooling(inputs, pool_size, strides, padding="valid", data_format="channels_last", name=None):
        from .. import layers as keras_layers
        _channels_last(data_format)
        layer_class = getattr(keras_layers, class_name)

        # no variables, so nothing to share or register: a new layer each call, as in TensorFlow
        return layer_class(pool_size=pool_size, strides=strides, padding=padding.lower(),
                           data_format="channels_last", name=name)(inputs)

    pooling.__name__ = pooling.__qualname__ = public_name
    pooling.__doc__ = (f"2-D {public_name.split('_')[0]} pooling (Keras' ``{class_name}``); "
                       "``strides`` is required, as in TensorFlow 1.")
    return pooling


max_pooling2d = _pooling2d("MaxPooling2D", "max_pooling2d")
average_pooling2d = _pooling2d("AveragePooling2D", "average_pooling2d")


def flatten(inputs, name=None, data_format="channels_last"):
    """Keep the batch axis, flatten the rest (Keras' ``Flatten``)."""
    from ..layers import Flatten
    _channels_last(data_format)
    return Flatten(data_format="channels_last", name=name)(inputs)


def dropout(inputs, rate=0.5, noise_shape=None, seed=None, training=False, name=None):
    """Keras' ``Dropout``: active only when ``training`` is True (a bool, or a boolean node decided at run time)."""
    from ..layers import Dropout
    layer = Dropout(rate, noise_shape=noise_shape, seed=seed, name=name)
    if isinstance(training, Node):
        return cond(training, lambda: layer(inputs, training=True), lambda: layer(inputs, training=False))
    return layer(inputs, training=bool(training))


def batch_normalization(inputs, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True,
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
    from ..layers import BatchNormalization
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
    layer, outputs = _apply_layer(make, inputs, name, reuse, training=bool(training))
    if isinstance(inputs, Node):
        from ..engine import variable_from_holder
        # the layer leaves (variable, new value node) pairs; TensorFlow 1 users run assign ops
        for variable, value in layer._pending_updates[already:]:
            add_to_collection(GraphKeys.UPDATE_OPS, variable_from_holder(variable).assign(value))
        del layer._pending_updates[already:]
    return outputs
