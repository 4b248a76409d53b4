"""Lambda: a layer around a Python function (split from ``core.py``).

A function the file can name (a module-level function Keras or the user
registered) is saved by name; a lambda or closure is saved as marshalled
bytecode, which ``load_model`` refuses to run in safe mode (the default).
"""
from __future__ import annotations

import inspect

import numpy

from .. import activations, backend, ops
from ..serialization.functions import func_dump, func_load, is_stored_bytecode, resolve_function
from .layer import Layer

__all__ = ["Lambda"]


def _is_importable_function(function) -> bool:
    """A plain function defined at module level, that can be found again by name."""
    return (inspect.isfunction(function) or inspect.isbuiltin(function)) \
        and function.__name__ != "<lambda>" and "<locals>" not in function.__qualname__ \
        and getattr(function, "__closure__", None) is None


def _serialize_callable(value):
    """(stored value, type, module) of a Lambda's function, output_shape or mask."""
    if value is None or not callable(value):
        if isinstance(value, tuple):
            value = list(value)
        return value, "raw", None
    module = getattr(value, "__module__", None)
    name = getattr(value, "__name__", None) or type(value).__name__
    # a lambda or closure cannot be found again by name: get_config stores its
    # bytecode instead (see Lambda.get_config)
    kind = "function" if _is_importable_function(value) else "lambda"
    return name, kind, module


def _lambda_namespace() -> dict:
    """The module globals a Lambda's stored bytecode runs with: kerasette's public
    modules under the names Keras code uses for them."""
    import sys
    package = sys.modules.get("kerasette")
    namespace = {"ops": ops, "K": backend, "backend": backend, "activations": activations, "np": numpy}
    if package is not None:
        namespace.update({"keras": package, "kerasette": package})
    return namespace


def _deserialize_callable(value, kind, module, custom_objects, what, layer_name, safe_mode=None):
    """A Lambda's function, output_shape or mask as stored by name (or a raw value)."""
    if kind == "raw" or value is None:
        return tuple(value) if isinstance(value, list) else value
    where = f"Lambda layer '{layer_name}'"
    if not isinstance(value, str):
        raise ValueError(f"{where}: cannot rebuild its {what} from {value!r}")
    if custom_objects and value in custom_objects:
        return custom_objects[value]
    if kind == "lambda":
        raise ValueError(f"{where}: its {what} was a lambda or closure ({value!r}), "
                         "saved by name only; pass it as custom_objects={" + repr(value) + ": ...}")
    if kind != "function":
        raise ValueError(f"{where}: unknown {what} type {kind!r} in its config "
                         "(expected 'function', 'lambda' or 'raw')")
    return resolve_function(value, module, namespaces=(ops, activations), custom_objects=custom_objects,
                            where=where, what=what, safe_mode=safe_mode)


class Lambda(Layer):
    """Wraps a function of tensors as a layer: ``Lambda(lambda x: x ** 2)``.

    The function gets ``mask=`` and ``training=`` when it accepts them, plus
    the entries of ``arguments``.  ``output_shape`` (without the batch axis,
    or a function of the input shape) is only needed where tracing the
    function cannot tell.

    ``get_config`` stores a module-level function by name
    (``"function_type": "function"``, found again from its module or
    ``kerasette.ops``); a lambda or closure is stored as Python bytecode with
    ``"function_type": "lambda"`` (Keras 2's form), which ``from_config`` only
    runs outside safe mode (``kerasette.saving.SafeModeScope(False)`` or
    ``load_model(..., safe_mode=False)``); or pass it in ``custom_objects``.

    >>> Lambda(lambda x: x[:, :2])(Input(shape=(5,))).shape
    (None, 2)
    """

    def __init__(self, function, output_shape=None, mask=None, arguments=None, **kwargs):
        super().__init__(**kwargs)
        if not callable(function):
            raise TypeError(f"Lambda expects a callable function, got {function!r}")
        self.function = function
        self.arguments = dict(arguments or {})
        self._output_shape = tuple(output_shape) if isinstance(output_shape, list) else output_shape
        self.mask = mask
        self.supports_masking = mask is not None
        try:
            parameters = inspect.signature(function).parameters
        except (TypeError, ValueError):
            parameters = {}
        any_keyword = any(p.kind is p.VAR_KEYWORD for p in parameters.values())
        self._function_takes_mask = "mask" in parameters or any_keyword
        self._function_takes_training = "training" in parameters or any_keyword

    def call(self, inputs, mask=None, training=None):
        kwargs = dict(self.arguments)
        if self._function_takes_mask:
            kwargs["mask"] = mask
        if self._function_takes_training:
            kwargs["training"] = training
        return self.function(inputs, **kwargs)

    def compute_mask(self, inputs, mask=None):
        if callable(self.mask):
            return self.mask(inputs, mask)
        return self.mask

    def compute_output_shape(self, input_shape):
        if self._output_shape is None:
            return super().compute_output_shape(input_shape)
        if callable(self._output_shape):
            return tuple(self._output_shape(input_shape))
        nested = isinstance(input_shape, list) or (
            isinstance(input_shape, tuple) and input_shape and isinstance(input_shape[0], (tuple, list)))
        batch = input_shape[0][0] if nested else input_shape[0]
        return (batch,) + tuple(self._output_shape)

    def get_config(self):
        config = super().get_config()
        function, function_type, module = _serialize_callable(self.function)
        output_shape, output_shape_type, output_shape_module = _serialize_callable(self._output_shape)
        mask, mask_type, mask_module = _serialize_callable(self.mask)
        # a lambda or closure has no name to find it by: store its bytecode, as Keras 2
        # does ([code, defaults, closure]); loading it needs safe_mode=False
        if function_type == "lambda":
            function = func_dump(self.function)
        if output_shape_type == "lambda":
            output_shape = func_dump(self._output_shape)
        if mask_type == "lambda":
            mask = func_dump(self.mask)
        config.update({
            "function": function, "function_type": function_type, "module": module,
            "output_shape": output_shape, "output_shape_type": output_shape_type,
            "output_shape_module": output_shape_module,
            "mask": mask, "mask_type": mask_type, "mask_module": mask_module,
            "arguments": dict(self.arguments),
        })
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None, safe_mode=None):
        """Rebuild from ``get_config`` (or a tf.keras / Keras 3 config).

        Stored bytecode (Keras 2's ``[code, defaults, closure]`` or Keras 3's
        ``{"class_name": "__lambda__"}``) only loads outside safe mode
        (``load_model(..., safe_mode=False)``): it runs code from the file.
        """
        config = dict(config)
        name = config.get("name")
        parts = {}
        for key, kind_key, module_key in (("function", "function_type", "module"),
                                          ("output_shape", "output_shape_type", "output_shape_module"),
                                          ("mask", "mask_type", "mask_module")):
            value = config.pop(key, None)
            kind = config.pop(kind_key, "function" if key == "function" else "raw")
            module = config.pop(module_key, None)
            if isinstance(value, dict) and value.get("class_name") == "__lambda__" or (
                    kind == "lambda" and is_stored_bytecode(value)):
                parts[key] = func_load(value, key, name, custom_objects, safe_mode, namespace=_lambda_namespace())
            elif isinstance(value, dict) and value.get("class_name") in ("function", "builtins.function"):
                # Keras 3 names a module-level function {"class_name": "function", "config": name}
                parts[key] = _deserialize_callable(value.get("config"), "function", value.get("module"),
                                                   custom_objects, key, name, safe_mode)
            elif isinstance(value, dict):
                raise ValueError(f"Lambda layer '{name}': cannot rebuild its {key} from {value!r}")
            else:
                parts[key] = _deserialize_callable(value, kind, module, custom_objects, key, name, safe_mode)
        return cls(parts["function"], output_shape=parts["output_shape"], mask=parts["mask"], **config)


# ---------------------------------------------------------- Keras 3 records


def _keras3_function(function) -> dict:
    """What Keras 3 stores for a Lambda's callable: bytecode for a lambda or closure, else its name."""
    from .serialization import registered_name_of
    if not _is_importable_function(function):
        code, defaults, closure = func_dump(function)
        return {"class_name": "__lambda__", "config": {"code": code, "defaults": defaults, "closure": closure}}
    name = registered_name_of(function) or function.__name__
    return {"module": "builtins", "class_name": "function", "config": name, "registered_name": "function"}


def keras3_lambda_config(layer) -> dict:
    """A Lambda's config in Keras 3's form (``keras.layers.serialize``): its callables as
    Keras 3 records them (``_keras3_function``)."""
    from .serialization import keras3_layer_config, keras3_value
    base = {key: value for key, value in Layer.get_config(layer).items() if key != "batch_input_shape"}
    config = keras3_layer_config(base, "Lambda")
    config["function"] = _keras3_function(layer.function)
    if layer._output_shape is not None:
        shape = layer._output_shape
        config["output_shape"] = _keras3_function(shape) if callable(shape) else list(shape)
    if layer.mask is not None:
        config["mask"] = _keras3_function(layer.mask) if callable(layer.mask) else layer.mask
    config["arguments"] = keras3_value(dict(layer.arguments))
    return config
