"""``Input`` and ``InputLayer``: where a functional graph starts.

``Input(shape=(28, 28, 1))`` makes a placeholder node of shape
``(None, 28, 28, 1)`` recorded as the output of an ``InputLayer``; layers
called on it build the graph that ``Model(inputs, outputs)`` reads.
"""
from __future__ import annotations

from .. import backend
from ..engine import placeholder
from .layer import Layer, LayerCall


class InputLayer(Layer):
    """The layer behind ``Input``: no weights, one placeholder output."""

    def __init__(self, input_shape=None, batch_size=None, dtype=None, name=None,
                 batch_input_shape=None, batch_shape=None, sparse=None, ragged=None, **kwargs):
        if name is None:
            name = backend.unique_object_name("input", zero_based=False)
        batch_input_shape = batch_shape or batch_input_shape
        if batch_input_shape is None:
            if input_shape is None:
                raise ValueError("Input needs a shape, e.g. Input(shape=(28, 28, 1))")
            batch_input_shape = (batch_size,) + tuple(input_shape)
        super().__init__(name=name, dtype=dtype, batch_input_shape=batch_input_shape, **kwargs)
        self.built = True
        # Keras' "string" inputs hold Python strings: numpy's object dtype
        node = placeholder(object if self.dtype == "string" else self.dtype, self._batch_input_shape,
                           name=self.name)
        self._calls.append(LayerCall(self, (), {}, node))

    def get_config(self):
        return {"batch_input_shape": self._batch_input_shape, "dtype": self.dtype,
                "sparse": False, "ragged": False, "name": self.name}


def Input(shape=None, batch_size=None, dtype=None, name=None, batch_shape=None, **kwargs):
    """A symbolic input of shape ``(batch_size, *shape)`` to start a functional model.

    >>> inputs = Input(shape=(28, 28, 1))
    >>> inputs.shape
    (None, 28, 28, 1)
    """
    if shape is None and batch_shape is None:
        raise ValueError("Input needs a shape, e.g. Input(shape=(784,))")
    if shape is not None and not isinstance(shape, (tuple, list)):
        shape = (shape,)
    layer = InputLayer(input_shape=shape, batch_size=batch_size, dtype=dtype, name=name,
                       batch_shape=batch_shape, **kwargs)
    return layer._calls[0].outputs
