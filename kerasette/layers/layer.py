"""The Layer base class: one implementation for graphs and for eager code.

A layer is configured in ``__init__``, creates its weights in
``build(input_shape)`` through ``add_weight``, and computes in
``call(inputs, training=None, mask=None)`` with ``kerasette.ops``.  Because
ops work on symbolic nodes, eager Tensors and plain arrays alike, ``call`` is
written once:

* called on symbolic nodes (from ``Input``), the layer adds to the graph and
  records the call (a ``LayerCall``), which is what a functional ``Model`` and
  ``summary()`` read;
* called on ``Tensor``s, it computes at once and records on the tape, so
  ``loss.backward()`` leaves gradients in each weight's ``.grad``;
* called on arrays, it computes and returns arrays.

>>> class Scale(Layer):
...     def build(self, input_shape):
...         self.factor = self.add_weight(name="factor", shape=(input_shape[-1],), initializer="ones")
...     def call(self, inputs):
...         return inputs * self.factor
"""
from __future__ import annotations

import contextlib
import functools
import inspect
import re


from .. import backend, eager
from ..eager import Tensor
from ..engine import Node
from ..ops.core import building_graph
from ..ops.masking import get_mask, set_mask  # noqa: F401 (layers' public path to them)
from ..primitives.base import ShapeError, format_shape
from ..variables import Variable, in_creation_order
from .auto_config import automatic_config, record
from .autocast import DTypeProperties, _call_autocast
from .input_spec import InputSpec, assert_input_compatibility  # noqa: F401 (InputSpec: layers import it from here)
from .masked_outputs import ArrayWithMask, _attach_masks, _unwrap  # noqa: F401 (their old home)
from .own_variables import OwnVariables
from .positional_arguments import check_positional_arguments
from .structure import flatten, map_structure

_recording = [True]
#: how many layer calls are running (one inside another); losses reset at the outermost
_call_depth = [0]


def in_layer_call() -> bool:
    """Whether some layer's ``call`` is running (metrics read it: an update on
    symbolic inputs there belongs to a model being built, and is skipped)."""
    return _call_depth[0] > 0

@contextlib.contextmanager
def _recording_set(value: bool):
    previous, _recording[0] = _recording[0], value
    try:
        yield
    finally:
        _recording[0] = previous


def not_recording():
    """Layer calls inside do not add to the layers' call history (used when a
    Model re-runs its graph of layers to build a program)."""
    return _recording_set(False)


def recording():
    """Layer calls inside add to the call history under an enclosing ``not_recording`` (a
    Sequential first built inside another model's run records its own graph)."""
    return _recording_set(True)


def to_snake_case(name: str) -> str:
    """Keras' default layer names: ``Conv2D`` -> ``conv2d``, ``MaxPooling2D`` -> ``max_pooling2d``."""
    name = re.sub(r"(.)([A-Z][a-z0-9]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


class LayerCall:
    """One call of a layer on symbolic inputs (Keras calls it a node)."""

    def __init__(self, layer, args, kwargs, outputs):
        self.layer = layer
        self.args = args            # the positional arguments, structure of nodes kept
        self.kwargs = kwargs        # keyword arguments other than training
        self.inputs = [x for x in flatten(args) if isinstance(x, Node)]
        self.outputs = outputs
        self.flat_outputs = flatten(outputs)
        self.index = len(layer._calls)
        for position, node in enumerate(self.flat_outputs):
            node.origin = (self, position)

    def __repr__(self):
        return f"<LayerCall {self.layer.name}[{self.index}]>"


class Layer(DTypeProperties, OwnVariables):
    """Base class of all layers; see the module docstring."""

    def __init__(self, trainable: bool = True, name: str | None = None, dtype=None,
                 input_shape=None, batch_input_shape=None, batch_size=None, input_dim=None,
                 activity_regularizer=None, **kwargs):
        if kwargs:
            raise TypeError(f"{type(self).__name__} got unexpected keyword arguments: {sorted(kwargs)}")
        self._tracking = True
        # where the layer's weights live (Keras 3's variable paths): the path of the name scopes
        # open where the layer first built or was called (``_parent_path``), then its own name
        self._parent_path = getattr(self, "_parent_path", None)
        self._path = getattr(self, "_path", None)
        self._layers = []
        self._own_weights = []
        self._calls = []
        self._regularized = []
        self._call_losses = []
        self.built = False
        self.trainable = trainable
        self.name = name or backend.unique_object_name(to_snake_case(type(self).__name__))
        self.dtype_policy = dtype     # a policy, its name, a dtype or a Keras 3 record
        self.input_spec = None
        self.supports_masking = False
        from .. import regularizers
        self.activity_regularizer = regularizers.get(activity_regularizer)
        # Keras lets the first layer of a Sequential carry the input shape
        if input_dim is not None and input_shape is None:
            input_shape = (input_dim,)
        if batch_input_shape is not None:
            self._batch_input_shape = tuple(batch_input_shape)
        elif input_shape is not None:
            self._batch_input_shape = (batch_size,) + tuple(input_shape)
        else:
            self._batch_input_shape = None

    # ------------------------------------------------------------ freezing
    @property
    def trainable(self) -> bool:
        """Whether the optimizer may update the layer's weights; setting it sets every nested
        layer's too, as in Keras 3 (each may be set back on its own afterwards)."""
        return self.__dict__.get("_trainable", True)

    @trainable.setter
    def trainable(self, value):
        value = bool(value)
        for layer in _nested_layers(self):
            object.__setattr__(layer, "_trainable", value)
            for weight in getattr(layer, "_own_weights", ()):
                weight.trainable = value if getattr(weight, "created_trainable", True) else weight.trainable

    # ---------------------------------------------------------- tracking
    #: attributes whose variables are not weights (a stateful RNN's carried states)
    _untracked_attributes = frozenset()

    def __setattr__(self, name, value):
        # layers and variables assigned as attributes (also private ones, also inside
        # lists and dicts) are tracked, as Keras 3 does; the tracking lists themselves are not
        if getattr(self, "_tracking", False) and name not in ("_layers", "_own_weights"):
            for item in flatten(value) if isinstance(value, (list, tuple, dict)) else [value]:
                if isinstance(item, Layer) and item is not self and item not in self._layers:
                    self._layers.append(item)
                elif isinstance(item, Variable) and name not in self._untracked_attributes \
                        and not any(item is own for own in self._own_weights):
                    if getattr(item, "legacy_path", None) is None:
                        item.legacy_path = f"{self.name}/{item.name}"
                    self._own_weights.append(item)
        object.__setattr__(self, name, value)

    # ------------------------------------------------------- name scopes
    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        build = getattr(cls, "build", None)
        if callable(build) and not getattr(build, "_opens_name_scope", False):
            cls.build = _build_in_name_scope(build)

    def _open_name_scope(self):
        """The layer's name scope (Keras 3's): under the path where it was first built or called."""
        name = self.name.replace("/", ">")     # a name read from an old file may hold a "/"
        if getattr(self, "_parent_path", None) is None:
            parent = backend.current_path()
            object.__setattr__(self, "_parent_path", parent)
            object.__setattr__(self, "_path", f"{parent}/{name}" if parent else name)
        return backend.name_scope(name, caller=self)

    @property
    def path(self):
        """The layer's path, as in Keras 3 (``sequential/dense``): None until it is built."""
        return getattr(self, "_path", None)

    # ----------------------------------------------------------- weights
    def add_weight(self, name=None, shape=None, initializer=None, regularizer=None,
                   trainable=True, constraint=None, dtype=None) -> Variable:
        """Create a weight of this layer (call from ``build``)."""
        from .. import constraints, initializers, regularizers
        dtype = dtype or self.dtype
        if initializer is None:
            initializer = "glorot_uniform" if str(dtype).startswith("float") else "zeros"
        value = initializers.get(initializer)(tuple(shape), dtype=dtype)
        # the path: inside the layer's scope (Keras 3's ``sequential/dense/kernel``)
        with backend.name_scope(self.name.replace("/", ">"), caller=self):
            # unnamed: Keras 3's session-unique automatic name ("variable", "variable_1", ...)
            variable = Variable(value, name=name,
                                trainable=trainable, dtype=dtype,
                                constraint=constraints.get(constraint))
        # legacy HDF5 files name it by layer and weight, under the scopes the user opened
        user_scopes = [scope.name for scope in backend._state.get("name_scopes", ())
                       if not isinstance(scope.caller, Layer)]
        variable.legacy_path = "/".join(user_scopes + [self.name, variable.name])
        self._own_weights.append(variable)
        variable.trainable = variable.trainable and self.trainable     # made off in a frozen layer
        regularizer = regularizers.get(regularizer)
        if regularizer is not None:
            self._regularized.append((regularizer, variable))
        return variable

    @property
    def weights(self) -> list:
        """Keras' order, layer by layer: this layer's own trainable weights, then its own
        non-trainable ones, then each nested layer's weights in that order (what
        ``get_weights`` and ``set_weights`` use; tf.keras and Keras 3 agree)."""
        result = []
        for layer in _nested_layers(self):
            own = layer._own_weights
            result += in_creation_order(own)
        return _unique(result)

    @property
    def trainable_weights(self) -> list:
        """The weights the optimizer updates, in ``weights`` order; none if the layer is frozen."""
        # as in Keras 3: freezing a layer turns off its weights' ``trainable`` and those of the
        # layers it holds (one set back on counts again)
        return [w for w in self.weights if w.trainable] if self.trainable else []

    @property
    def non_trainable_weights(self) -> list:
        """The other weights (moving statistics, frozen layers' weights), in ``weights`` order."""
        trainable = {id(w) for w in self.trainable_weights}
        return [w for w in self.weights if id(w) not in trainable]

    trainable_variables = trainable_weights
    non_trainable_variables = non_trainable_weights
    variables = weights

    def get_weights(self) -> list:
        return [w.numpy().copy() for w in self.weights]

    def set_weights(self, weights) -> None:
        """Set all weights at once; nothing changes if the count or a shape is wrong."""
        own = self.weights
        weights = list(weights)
        if len(weights) != len(own):
            raise ValueError(f"Layer '{self.name}' expects {len(own)} weights, "
                             f"but set_weights received {len(weights)}")
        arrays = []
        for variable, value in zip(own, weights):
            array = backend.as_array(value.data if isinstance(value, Tensor) else value,
                                     dtype=variable.dtype)
            if array.shape != variable.shape:
                raise ValueError(f"Layer '{self.name}' weight '{variable.path}' has shape "
                                 f"{format_shape(variable.shape)}, but set_weights received "
                                 f"shape {format_shape(array.shape)}")
            arrays.append(array)
        for variable, array in zip(own, arrays):
            variable.assign(array)

    def count_params(self) -> int:
        if not self.built:
            raise ValueError(f"Layer '{self.name}' is not built yet: call it on an input or "
                             "build(input_shape) first, then count its parameters")
        return int(sum(w.size for w in self.weights))

    @property
    def losses(self) -> list:
        """Regularization penalties of the current weights, and activity penalties of the last call."""
        penalties = []
        # depth first, each layer before its nested ones; a layer held twice counts twice
        stack = [self]
        while stack:
            layer = stack.pop()
            penalties += [regularizer(variable) for regularizer, variable in layer._regularized]
            penalties += list(layer._call_losses)
            stack.extend(reversed(layer._layers))
        return penalties

    def add_loss(self, loss) -> None:
        """Add a loss (a scalar, or summed) from inside ``call``: ``fit`` adds it to the
        compiled loss, and trains on it alone when ``compile`` had no loss.  The
        losses of one call of the outermost layer (or model) are kept, its
        nested layers' too, until its next call."""
        self._call_losses.append(loss)

    def _clear_call_losses(self) -> None:
        stack, seen = [self], set()
        while stack:
            layer = stack.pop()
            if id(layer) not in seen:
                seen.add(id(layer))
                layer._call_losses = []
                stack.extend(layer._layers)

    def add_metric(self, *args, **kwargs):
        raise NotImplementedError(
            "Layer `add_metric()` method is deprecated. Add your metric in `Model.compile(metrics=[...])`, "
            "or create metric trackers in init() or build() when subclassing the layer or model, then call "
            "`metric.update_state()` whenever necessary.")

    # ------------------------------------------------------------ calling
    def build(self, input_shape) -> None:
        self.built = True

    def call(self, inputs, *args, **kwargs):
        return inputs

    def __call__(self, *args, **kwargs):
        if not args:
            raise TypeError(f"Layer '{self.name}' was called without inputs")
        if len(args) > 1:
            check_positional_arguments(self, args)
        # the layer builds and runs inside its name scope: layers it builds or calls first, and
        # weights it makes, get paths under its own
        with self._open_name_scope():
            return self._call_in_scope(args, kwargs)

    def _call_in_scope(self, args, kwargs):
        inputs = args[0]
        leaves = flatten(inputs)
        symbolic = any(isinstance(x, Node) for x in leaves)
        plain = not symbolic and not any(isinstance(x, Tensor) for x in leaves)
        input_masks = [get_mask(x) for x in leaves]
        if "mask" in kwargs and kwargs["mask"] is not None:
            input_mask = kwargs["mask"]
        elif any(m is not None for m in input_masks):
            input_mask = input_masks[0] if len(input_masks) == 1 else input_masks
        else:
            input_mask = None
        if plain:
            # arrays are computed on as Tensors without a tape, so that a call()
            # using tensor methods (x.view, x.sum, ...) behaves the same for them
            inputs = map_structure(lambda x: x if x is None else Tensor(backend.as_array(x)), inputs)
            args = (inputs,) + args[1:]
        shapes = map_structure(lambda x: None if x is None else tuple(x.shape), inputs)
        if not self.built:
            self._build_shapes = shapes
            self._build_on_call(shapes)
            self.built = True
        if self.input_spec is not None:
            self._check_input_spec(inputs)

        call_kwargs = dict(kwargs)
        for argument in ("training", "mask"):
            if argument in call_kwargs and not self._call_accepts(argument):
                call_kwargs.pop(argument)
        if input_mask is not None and self._call_accepts("mask"):
            call_kwargs["mask"] = input_mask
        if not _call_depth[0]:
            self._clear_call_losses()
        if plain:
            with eager.no_grad():
                outputs = self._checked_call(args, call_kwargs, shapes)
        elif symbolic:
            with building_graph():
                outputs = self._checked_call(args, call_kwargs, shapes)
        else:
            outputs = self._checked_call(args, call_kwargs, shapes)
        output_mask = self.compute_mask(inputs, input_mask)
        if plain:
            # a weight returned as it is stays that Variable, as in Keras
            outputs = map_structure(_unwrap, outputs)
            output_mask = map_structure(_unwrap, output_mask)
        if symbolic:
            # an output that is one of the inputs (an identity), or one of the
            # layer's weights, gets a node of its own, so the graph records
            # which layer call produced it
            # (any argument counts: an endpoint layer may return its second one)
            input_ids = {id(x) for x in flatten([list(args), kwargs])}
            outputs = map_structure(lambda x: apply_identity(x) if id(x) in input_ids or isinstance(x, Variable)
                                    else x, outputs)
        if output_mask is not None:
            outputs = _attach_masks(outputs, output_mask, plain)
        if not symbolic:
            # what summary() shows for layers only ever called eagerly (subclassed models)
            self._last_output_shape = map_structure(
                lambda x: (None,) + tuple(x.shape[1:]) if getattr(x, "ndim", 0) else (), outputs)
        if self.activity_regularizer is not None:
            for output in flatten(outputs):
                self._call_losses.append(self.activity_regularizer(output) / _batch_size(output))
        if symbolic and _recording[0]:
            recorded = {k: v for k, v in kwargs.items() if k != "training"}
            self._calls.append(LayerCall(self, args, recorded, outputs))
        return outputs

    def _check_input_spec(self, inputs):
        assert_input_compatibility(self.input_spec, inputs, self)

    def _checked_call(self, args, kwargs, shapes):
        _call_depth[0] += 1
        try:
            policy = self._dtype_policy
            if policy.is_mixed or (policy.compute_dtype != backend.floatx()
                                   and backend.is_float_dtype(policy.compute_dtype)):
                return _call_autocast(self, args, kwargs)
            return self.call(*args, **kwargs)
        except ShapeError as error:
            message = str(error)
            if f"'{self.name}'" in message:
                raise
            raise ShapeError(f"{type(self).__name__} '{self.name}' cannot take an input of shape "
                             f"{_format_shapes(shapes)}: {message}") from None
        finally:
            _call_depth[0] -= 1

    @classmethod
    def _call_accepts(cls, argument: str) -> bool:
        cache = cls.__dict__.get("_call_arguments")
        if cache is None:
            parameters = inspect.signature(cls.call).parameters
            cache = set(parameters)
            if any(p.kind is p.VAR_KEYWORD for p in parameters.values()):
                cache |= {"training", "mask"}
            type.__setattr__(cls, "_call_arguments", cache)
        return argument in cache

    def compute_mask(self, inputs, mask=None):
        """The mask of the outputs: passed through when the layer supports masking."""
        if mask is None or not self.supports_masking:
            return None
        return mask

    def compute_output_shape(self, input_shape):
        """The output shape for ``input_shape`` (batch may be None), found by tracing ``call``."""
        from ..engine import Graph, placeholder
        with Graph().as_default(), not_recording():
            if isinstance(input_shape, list) and input_shape and isinstance(input_shape[0], (tuple, list)):
                inputs = [placeholder(self.dtype, tuple(s)) for s in input_shape]
            else:
                inputs = placeholder(self.dtype, tuple(input_shape))
            if not self.built:
                self.build(input_shape)
                self.built = True
            outputs = self.call(inputs)
        return map_structure(lambda node: node.shape, outputs)

    def _build_on_call(self, shapes) -> None:
        """What the first call does before ``call``: ``build(shapes)`` (models change it)."""
        self.build(shapes)

    def get_build_config(self):
        """Keras 3's build config: ``{"input_shape": ...}``, the input shape(s) the layer was
        built with on its first call (lists, as JSON holds them), or None if it never was."""
        shapes = getattr(self, "_build_shapes", None)
        if shapes is None:
            return None
        return {"input_shape": _shapes_as(shapes, list)}

    def build_from_config(self, config) -> None:
        """Build the layer from ``get_build_config()``'s dict (Keras 3's ``build_from_config``):
        ``build(config["input_shape"])``, or ``build(**config["shapes_dict"])``."""
        if not config:
            return
        if config.get("input_shape") is not None:
            shapes = _shapes_as(config["input_shape"], tuple)
            self._build_shapes = shapes
            self.build(shapes)
            self.built = True
        elif isinstance(config.get("shapes_dict"), dict):
            self.build(**{key: _shapes_as(value, tuple) for key, value in config["shapes_dict"].items()})
            self.built = True

    # ------------------------------------------------------- graph facts
    def _only_call(self, what: str) -> LayerCall:
        if not self._calls:
            raise AttributeError(f"Layer '{self.name}' has never been called on a symbolic input, "
                                 f"so it has no {what}")
        if len(self._calls) > 1 and what in ("input_shape", "output_shape"):
            shapes = {repr(map_structure(lambda n: n.shape, getattr(c, "outputs" if what == "output_shape" else "args")))
                      for c in self._calls}
            if len(shapes) > 1:
                raise AttributeError(f"Layer '{self.name}' has been called several times with "
                                     f"different shapes, so its {what} is not defined")
        return self._calls[0]

    @property
    def input(self):
        call = self._only_call("input")
        return call.args[0] if len(call.args) == 1 else list(call.args)

    @property
    def output(self):
        return self._only_call("output").outputs

    @property
    def input_shape(self):
        return map_structure(lambda n: n.shape, self._only_call("input_shape").args[0])

    @property
    def output_shape(self):
        return map_structure(lambda n: n.shape, self._only_call("output_shape").outputs)

    # ------------------------------------------------------------- config
    def __new__(cls, *args, **kwargs):
        layer = super().__new__(cls)
        # the constructor's arguments, for the config of a layer whose class defines none (Keras 3)
        recorded = record(cls, args, kwargs)
        if recorded is not None:
            object.__setattr__(layer, "_auto_config", recorded)
        return layer

    def get_config(self) -> dict:
        config = {"name": self.name, "trainable": self.trainable, "dtype": self._dtype_policy.name}
        if self._batch_input_shape is not None:
            config["batch_input_shape"] = self._batch_input_shape
        if type(self).get_config is Layer.get_config:
            return automatic_config(self, config) or config
        return config

    @classmethod
    def from_config(cls, config: dict):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"


def _build_in_name_scope(build):
    """``build`` run inside the layer's name scope (as Keras 3's build wrapper does), however it is
    reached: a first call, ``layer.build(shape)`` by hand, or an outer layer's build."""
    @functools.wraps(build)
    def build_in_name_scope(self, *args, **kwargs):
        with self._open_name_scope():
            object.__setattr__(self, "_path", backend.current_path())
            return build(self, *args, **kwargs)
    build_in_name_scope._opens_name_scope = True
    return build_in_name_scope


Layer.build = _build_in_name_scope(Layer.build)


def apply_identity(node):
    from ..engine import apply, variable_from_holder
    if isinstance(node, Variable):
        node = variable_from_holder(node, node.name)
    return apply("identity", node)


def _nested_layers(root) -> list:
    """``root`` and the layers nested in it, each once, depth first in tracking order (each layer
    before its nested ones): the order of Keras' weight lists.  A loop, not recursion, so that
    models nested thousands deep are walked too."""
    seen, order, stack = set(), [], [root]
    while stack:
        layer = stack.pop()
        if id(layer) in seen:
            continue
        seen.add(id(layer))
        order.append(layer)
        stack.extend(reversed(getattr(layer, "_layers", ())))
    return order


def _unique(variables):
    seen, result = set(), []
    for variable in variables:
        if id(variable) not in seen:
            seen.add(id(variable))
            result.append(variable)
    return result


def _shapes_as(shapes, kind):
    """A shape (a sequence of sizes) or a structure of shapes, each shape made a ``kind`` (list, tuple)."""
    if isinstance(shapes, (list, tuple)) and all(d is None or isinstance(d, int) for d in shapes):
        return kind(shapes)
    if isinstance(shapes, dict):
        return {key: _shapes_as(value, kind) for key, value in shapes.items()}
    if isinstance(shapes, (list, tuple)):
        return [_shapes_as(item, kind) for item in shapes]
    return shapes


def _format_shapes(shapes):
    if isinstance(shapes, tuple) and all(d is None or isinstance(d, int) for d in shapes):
        return format_shape(shapes)
    return repr(map_structure(format_shape, shapes) if not isinstance(shapes, tuple) else shapes)


def _batch_size(output):
    """The batch size as a number (eager) or a node (graph), to average activity penalties."""
    from .. import ops
    return ops.cast(ops.axis_size(output, 0), output.dtype)
