"""``Sequential``: a plain stack of layers, one input and one output.

It is a functional model built as layers are added: once the input shape is
known (an ``Input`` first, or ``input_shape=`` on the first layer, or the
first call on data, or ``build(input_shape)``), each added layer is called
on the previous output and the graph grows by one call.

>>> model = Sequential([Input(shape=(784,)), Dense(64, activation="relu"), Dense(10)])
"""
from __future__ import annotations

from ..engine import Node
from ..layers.input_layer import Input, InputLayer
from ..layers.layer import Layer, recording
from .model import Model


class Sequential(Model):
    def __init__(self, layers=None, name=None, trainable=True, **kwargs):
        super().__init__(name=name, trainable=trainable, **kwargs)
        self._stack = []
        self._stack_names = set()   # the names in _stack, so add() need not scan it
        self._input_node = None
        self._outputs_so_far = []
        for layer in layers or []:
            self.add(layer)

    @property
    def layers(self) -> list:
        return [layer for layer in self._stack if not isinstance(layer, InputLayer)]

    def add(self, layer) -> None:
        """Append a layer (or an ``Input``) on top of the stack."""
        if isinstance(layer, Node) and layer.origin is not None and isinstance(layer.origin[0].layer, InputLayer):
            layer = layer.origin[0].layer
        if not isinstance(layer, Layer):
            raise TypeError(f"Sequential.add takes a layer, got {layer!r}")
        if isinstance(layer, InputLayer) and self._stack:
            raise ValueError("An Input can only be the first entry of a Sequential model")
        if layer.name in self._stack_names and any(existing.name == layer.name for existing in self._stack):
            raise ValueError(f"All layers in a Sequential model should have unique names; "
                             f"'{layer.name}' is already used")
        self._stack.append(layer)
        self._stack_names.add(layer.name)
        self._layers.append(layer) if layer not in self._layers else None
        if self._input_node is None:
            batch_shape = layer._calls[0].outputs.shape if isinstance(layer, InputLayer) else layer._batch_input_shape
            if batch_shape is not None:
                self._start_graph(batch_shape, layer)
                return
            batch_shape = self._model_input_shape(self._stack[0])
            if batch_shape is not None and len(self._stack) > 1:
                self._start_graph(batch_shape, self._stack[0])
                return
        if self._input_node is not None and not isinstance(layer, InputLayer):
            with self._open_name_scope(), recording():   # its weights: ``sequential/dense/kernel``, as in Keras
                self._outputs_so_far.append(layer(self._outputs_so_far[-1]))
            if not self._extend_graph(self._outputs_so_far[-1]):
                self._init_graph(self._input_node, self._outputs_so_far[-1])

    def pop(self) -> Layer:
        """Remove and return the top layer."""
        if not self.layers:
            raise TypeError("There are no layers in the model to pop")
        layer = self._stack.pop()
        self._stack_names = {existing.name for existing in self._stack}
        self._layers.remove(layer)
        if self._input_node is not None:
            layer._calls.pop()
            self._outputs_so_far.pop()
            if len(self._outputs_so_far) > 1:
                self._init_graph(self._input_node, self._outputs_so_far[-1])
            else:
                self._schedule = None
                self.built = False
        return layer

    @staticmethod
    def _model_input_shape(first):
        """The input shape of a model put first in the stack (a functional or built Sequential
        model with one input), or None: Keras 3 builds the Sequential from it once a second
        layer is added, as ``Sequential([base_model, Dense(10)])`` in the transfer-learning guide."""
        if not isinstance(first, Model) or isinstance(first, InputLayer):
            return None
        try:
            shape = first.input_shape
        except (AttributeError, ValueError):
            return None
        if not isinstance(shape, tuple) or not all(dim is None or isinstance(dim, int) for dim in shape):
            return None
        return shape

    def _start_graph(self, batch_shape, first):
        if isinstance(first, InputLayer):
            self._input_node = first._calls[0].outputs
        else:
            self._input_node = Input(batch_shape=tuple(batch_shape), name=f"{first.name}_input")
        self._outputs_so_far = [self._input_node]
        # the layers build under the model's name, as in Keras; their calls are the model's graph,
        # recorded also when the model is first built inside another model's run (a subclassed
        # model's ``call`` on fit's symbolic inputs)
        with self._open_name_scope(), recording():
            for layer in self._stack:
                if not isinstance(layer, InputLayer):
                    self._outputs_so_far.append(layer(self._outputs_so_far[-1]))
        if len(self._outputs_so_far) > 1:
            self._init_graph(self._input_node, self._outputs_so_far[-1])

    def build(self, input_shape=None) -> None:
        """Build the graph for inputs of ``input_shape`` (batch axis included, may be None)."""
        if self._input_node is None:
            if input_shape is None:
                raise ValueError("Sequential.build needs an input shape")
            if not self._stack:
                raise ValueError("Sequential.build: the model has no layers yet")
            # the batch axis stays free, so the model takes batches of any size
            self._start_graph((None,) + tuple(input_shape[1:]), self._stack[0])
        self.built = True

    # Before the input shape is known (no Input, the first fit or call still to
    # come) these raise Keras 3's errors; functional models set inputs/outputs.
    @property
    def inputs(self) -> list:
        return self._defined("_inputs", "inputs")

    @inputs.setter
    def inputs(self, value):
        self.__dict__["_inputs"] = value

    @property
    def outputs(self) -> list:
        return self._defined("_outputs", "outputs")

    @outputs.setter
    def outputs(self, value):
        self.__dict__["_outputs"] = value

    @property
    def input_shape(self):
        self._defined("_inputs", "input shape")
        return super().input_shape

    @property
    def output_shape(self):
        self._defined("_outputs", "output shape")
        return super().output_shape

    def _defined(self, key, what):
        if key not in self.__dict__:
            raise AttributeError(f"Sequential model '{self.name}' has no defined {what} yet.")
        return self.__dict__[key]

    def call(self, inputs, training=None, mask=None):
        if not self.is_functional:
            return inputs
        return self._run_graph(inputs, training)

    def _config_class_name(self) -> str:
        return "Sequential"

    def get_config(self) -> dict:
        from .config import sequential_config
        return sequential_config(self)

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from .config import sequential_from_config
        return sequential_from_config(config, custom_objects)
