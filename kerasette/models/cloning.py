"""``clone_model``: the same architecture with new layers (and so new weights), as Keras 3 does it.

* Sequential: each layer cloned, on a new ``Input`` of the same shape, dtype
  and name (or on the ``input_tensors`` given);
* functional: the graph replayed on new inputs, each layer cloned once (a
  layer shared by several calls stays shared in the clone), each call made
  by ``call_function(layer, *args, **kwargs)`` when given;
* anything else (a subclassed model): rebuilt from its config, which needs
  a ``get_config``; ``clone_function``, ``input_tensors`` and
  ``call_function`` are refused there, as in Keras.

``clone_function(layer)`` makes each clone (default:
``layer.__class__.from_config(layer.get_config())``); ``recursive=True``
clones nested Sequential and functional models with the same functions
instead of handing them to ``clone_function``.  A compiled model's clone is
compiled the same way (fresh optimizer and metrics).

>>> clone = clone_model(model)
>>> clone.set_weights(model.get_weights())
"""
from __future__ import annotations

import inspect

from .. import ops
from ..engine import Node
from ..layers.input_layer import Input, InputLayer
from ..layers.layer import LayerCall
from ..layers.structure import flatten, map_structure, pack_like
from ..saving.keras3_serialization import (compile_config, compile_from_config, deserialize_keras_object,
                                           serialize_keras_object)
from .model import Model
from .sequential import Sequential

__all__ = ["clone_model"]


def clone_model(model, input_tensors=None, clone_function=None, call_function=None, recursive=False, **kwargs):
    """A new model reproducing ``model`` on new inputs, with newly made layers and weights.

    >>> def deterministic(layer):
    ...     config = layer.get_config()
    ...     if "seed" in config:
    ...         config["seed"] = 1337
    ...     return layer.__class__.from_config(config)
    >>> clone = clone_model(model, clone_function=deterministic)
    """
    cache = kwargs.pop("cache", None)
    if kwargs:
        raise ValueError(f"Unexpected keyword argument(s): {tuple(kwargs.keys())}")
    if isinstance(model, Sequential):
        if call_function is not None:
            raise ValueError(
                "`call_function` argument is not supported with Sequential models. In a Sequential model, "
                "layers aren't called at model-construction time (they're merely listed). Use "
                f"`call_function` with Functional models only. Received model of type "
                f"'{type(model).__name__}', with call_function={call_function}")
        wrapped = _wrap_clone_function(clone_function, None, recursive, cache)
        return _clone_sequential(model, wrapped, input_tensors)
    if isinstance(model, Model) and model.is_functional:
        wrapped = _wrap_clone_function(clone_function, call_function, recursive, cache)
        return _clone_functional(model, wrapped, input_tensors, call_function)
    if clone_function or input_tensors:
        raise ValueError(
            "Arguments `clone_function` and `input_tensors` are only supported for Sequential models or "
            f"Functional models. Received model of type '{type(model).__name__}', with "
            f"clone_function={clone_function} and input_tensors={input_tensors}")
    if call_function is not None:
        raise ValueError("Argument `call_function` is only supported for Functional models. Received model of "
                         f"type '{type(model).__name__}', with call_function={call_function}")
    return deserialize_keras_object(serialize_keras_object(model),
                                    custom_objects={type(model).__name__: type(model)})


def _default_clone(layer):
    return layer.__class__.from_config(layer.get_config())


def _wrap_clone_function(clone_function, call_function, recursive, cache):
    """``clone_function`` made to clone each layer once (shared layers stay shared) and, with
    ``recursive``, to clone nested models with ``clone_model``."""
    clone_function = clone_function or _default_clone
    if not callable(clone_function):
        raise ValueError(f"Expected `clone_function` argument to be a callable. Received: "
                         f"clone_function={clone_function}")
    cache = {} if cache is None else cache

    def wrapped(layer):
        if id(layer) in cache:
            return cache[id(layer)]
        if recursive and isinstance(layer, Sequential):
            clone = clone_model(layer, clone_function=clone_function, recursive=True, cache=cache)
        elif recursive and isinstance(layer, Model) and layer.is_functional:
            clone = clone_model(layer, clone_function=clone_function, call_function=call_function,
                                recursive=True, cache=cache)
        else:
            clone = clone_function(layer)
        cache[id(layer)] = clone
        return clone

    return wrapped


def _is_input(value) -> bool:
    return isinstance(value, Node) and value.origin is not None and isinstance(value.origin[0].layer, InputLayer)


def _compile_like(clone, model):
    compiled = compile_config(model)
    if compiled is not None:
        compile_from_config(clone, compiled)
    return clone


def _clone_sequential(model, clone_function, input_tensors):
    new_layers = [clone_function(layer) for layer in model.layers]
    if input_tensors is not None:
        if isinstance(input_tensors, (list, tuple)):
            if len(input_tensors) != 1:
                raise ValueError("Argument `input_tensors` must contain a single tensor.")
            input_tensors = input_tensors[0]
        if not _is_input(input_tensors):
            raise ValueError("Argument `input_tensors` must be a symbolic tensor made by `Input` (kerasette "
                             "starts a model only at an Input). Received invalid value: "
                             f"input_tensors={input_tensors}")
        new_layers = [input_tensors] + new_layers
    elif model._input_node is not None:
        node = model._input_node
        name = node.origin[0].layer.name if node.origin is not None else None
        new_layers = [Input(batch_shape=tuple(node.shape), dtype=node.dtype, name=name)] + new_layers
    clone = Sequential(new_layers, name=model.name, trainable=model.trainable)
    return _compile_like(clone, model)


def _clone_functional(model, clone_function, input_tensors, call_function):
    if input_tensors is not None:
        if not all(_is_input(x) for x in flatten(input_tensors)):
            raise ValueError("All entries in `input_tensors` must be symbolic tensors made by `Input`. "
                             f"Received invalid values: inputs_tensors={input_tensors}")
        if not _same_structure(input_tensors, model._input_structure):
            raise ValueError("`input_tensors` must have the same structure as model.input\n"
                             f"Reference structure: {model.input}\nReceived structure: {input_tensors}")
    else:
        input_tensors = map_structure(
            lambda node: Input(batch_shape=tuple(node.shape), dtype=node.dtype, name=node.origin[0].layer.name),
            model._input_structure)
    values = {id(node): value for node, value in zip(model.inputs, flatten(input_tensors))}

    def value_of(item):
        return values.get(id(item), item) if isinstance(item, Node) else item

    for step in model._schedule:
        if isinstance(step, LayerCall):
            if isinstance(step.layer, InputLayer):
                continue
            layer = clone_function(step.layer)
            args = map_structure(value_of, step.args)
            kwargs = map_structure(value_of, step.kwargs)
            result = call_function(layer, *args, **kwargs) if call_function is not None else layer(*args, **kwargs)
            for node, value in zip(step.flat_outputs, flatten(result)):
                values[id(node)] = value
        else:   # an op applied straight to symbolic tensors between layers
            values[id(step)] = ops.apply(step.op, *[value_of(x) for x in step.inputs], **step.attrs)
    outputs = pack_like(model._output_structure, [values[id(node)] for node in model.outputs])
    cls = type(model) if _functional_like_constructor(type(model)) else Model
    clone = cls(input_tensors, outputs, name=model.name)
    return _compile_like(clone, model)


def _same_structure(given, reference) -> bool:
    if isinstance(reference, dict):
        return isinstance(given, dict) and set(given) == set(reference) and all(
            _same_structure(given[key], reference[key]) for key in reference)
    if isinstance(reference, (list, tuple)):
        return isinstance(given, (list, tuple)) and len(given) == len(reference) and all(
            _same_structure(a, b) for a, b in zip(given, reference))
    return not isinstance(given, (list, tuple, dict))


def _functional_like_constructor(cls) -> bool:
    """Keras' test: a Model subclass whose constructor starts with ``inputs, outputs``."""
    if cls is Model:
        return True
    try:
        parameters = list(inspect.signature(cls.__init__).parameters)
    except (TypeError, ValueError):
        return False
    return parameters[1:3] == ["inputs", "outputs"]
