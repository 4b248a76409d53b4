"""``Model``: a graph of layer calls (functional), or user code (subclassed).

Functional: ``Model(inputs, outputs)`` walks back from the output nodes
through the recorded layer calls to the ``Input`` nodes and keeps that
schedule.  Calling the model (on new symbolic inputs, on Tensors or on
arrays) runs the schedule again: each layer's ``call`` on the new values,
with the same weights.  That re-run is also how the compiled programs for
prediction and training are made (with ``training`` fixed to False or True).

Subclassed: ``class Net(Model)`` makes layers in ``__init__`` (tracked through
attributes, lists and dicts) and writes ``call(self, x)``; it runs
define-by-run on Tensors, or builds a graph on symbolic inputs.

>>> inputs = Input(shape=(4,))
>>> outputs = Dense(2)(inputs)
>>> model = Model(inputs, outputs)
"""
from __future__ import annotations

from ..engine import Node
from ..layers.input_layer import InputLayer
from ..layers.layer import Layer, LayerCall, not_recording
from ..layers.structure import flatten, map_structure, pack_like
from .training import Trainer


class GraphError(ValueError):
    """The outputs of a functional model cannot be computed from its inputs."""


class Model(Trainer, Layer):
    """Groups layers into an object with training and inference features."""

    def __init__(self, inputs=None, outputs=None, name=None, trainable=True, **kwargs):
        super().__init__(name=name, trainable=trainable, **kwargs)
        self.__dict__.pop("_manual_input_spec", None)     # Layer's default None: the Inputs' spec applies
        self._schedule = None
        if inputs is not None or outputs is not None:
            if inputs is None or outputs is None:
                raise ValueError("A functional Model needs both inputs and outputs")
            self._init_graph(inputs, outputs)
            self._open_name_scope()     # where it was made is its path, as Keras' Functional builds then

    # --------------------------------------------------- functional graph
    @property
    def is_functional(self) -> bool:
        return self._schedule is not None

    @property
    def input_spec(self):
        """Keras 3's for a functional model: each input's shape (batch axis free, a last axis of 1
        may be squeezed), named by its Input, so that a call on inputs of other shapes is refused
        before it runs.  One set by hand wins; a Sequential sets none (it runs what it is given)."""
        if "_manual_input_spec" in self.__dict__ or not self.is_functional \
                or self._config_class_name() == "Sequential":
            return self.__dict__.get("_manual_input_spec")
        from ..layers.input_spec import InputSpec

        def spec(node):
            shape = (None,) + tuple(node.shape[1:]) if node.shape else ()
            return InputSpec(shape=shape, allow_last_axis_squeeze=True, name=node.origin[0].layer.name)
        specs = map_structure(spec, self._input_structure)
        return specs if isinstance(specs, dict) else (specs[0] if len(self.inputs) == 1 and
                                                      isinstance(specs, list) else specs)

    @input_spec.setter
    def input_spec(self, value):
        self.__dict__["_manual_input_spec"] = value

    def _init_graph(self, inputs, outputs):
        if any(isinstance(node, Node) and not _is_input(node) for node in flatten(inputs)):
            inputs, outputs = _rebased(inputs, outputs)
        self._input_structure = inputs
        self._output_structure = outputs
        self.inputs = flatten(inputs)
        self.outputs = flatten(outputs)
        for node in self.inputs:
            if not (isinstance(node, Node) and node.origin is not None
                    and isinstance(node.origin[0].layer, InputLayer)):
                raise ValueError(f"Model inputs must come from Input(...), got {node!r}")
        for node in self.outputs:
            if not isinstance(node, Node):
                raise ValueError(f"Model outputs must be symbolic tensors made by layers, got {node!r}")
        self._schedule, layers = _schedule(self.inputs, self.outputs)
        names = {}
        for layer in layers:
            names[layer.name] = names.get(layer.name, 0) + 1
        repeated = [name for name, count in names.items() if count > 1]
        if repeated:
            raise ValueError(f"The name '{repeated[0]}' is used {names[repeated[0]]} times in the model. "
                             "All layer names should be unique.")
        object.__setattr__(self, "_graph_layers", layers)
        object.__setattr__(self, "_layers", [layer for layer in layers])
        # for _extend_graph: which layers (by id) and names the graph holds
        object.__setattr__(self, "_graph_layer_ids", {id(layer) for layer in layers})
        object.__setattr__(self, "_graph_layer_names", set(names))
        self.built = True

    def _extend_graph(self, output) -> bool:
        """Grow a one-output graph by the layer call that made ``output`` from that output.

        The result is what ``_init_graph(self.inputs, output)`` would make (the
        call last in the schedule, its layer last in ``layers``), without
        walking the whole graph again, so that ``Sequential.add`` stays linear
        in the number of layers.  Returns False, changing nothing, where the
        call is not such a plain extension; the caller then re-walks the graph.
        """
        if self._schedule is None or len(self.outputs) != 1 or self._output_structure is not self.outputs[0]:
            return False
        previous = self.outputs[0]
        if not isinstance(output, Node) or output.origin is None:
            return False
        call = output.origin[0]
        layer = call.layer
        if not isinstance(call, LayerCall) or isinstance(layer, InputLayer) or not layer._calls \
                or layer._calls[-1] is not call:
            return False
        if len(call.inputs) != 1 or call.inputs[0] is not previous \
                or len(call.flat_outputs) != 1 or call.flat_outputs[0] is not output:
            return False
        if id(layer) in self._graph_layer_ids or layer.name in self._graph_layer_names:
            return False
        self._schedule.append(call)
        self._graph_layers.append(layer)
        if not self._layers or self._layers[-1] is not layer:
            self._layers.append(layer)
        self._graph_layer_ids.add(id(layer))
        self._graph_layer_names.add(layer.name)
        self._output_structure = output
        self.outputs = [output]
        self.built = True
        return True

    @property
    def layers(self) -> list:
        if self.is_functional:
            return list(self._graph_layers)
        return list(self._layers)

    @property
    def input(self):
        if self.is_functional:
            return self._input_structure
        return super().input

    @property
    def output(self):
        if self.is_functional:
            return self._output_structure
        return super().output

    @property
    def input_shape(self):
        if self.is_functional:
            return _shapes_like(self._input_structure)
        return super().input_shape

    @property
    def output_shape(self):
        if self.is_functional:
            return _shapes_like(self._output_structure)
        return super().output_shape

    @property
    def input_names(self) -> list:
        return [node.origin[0].layer.name for node in self.inputs]

    @property
    def output_names(self) -> list:
        # an output made by a bare op (``ops.add(x, 1)``) is named after its node, as Keras names
        # such outputs after the operation
        return [node.origin[0].layer.name if node.origin is not None else node.name for node in self.outputs]

    def get_layer(self, name: str | None = None, index: int | None = None) -> Layer:
        """A layer of this model by name or by index in ``model.layers``."""
        if index is not None:
            if name is not None:
                raise ValueError("get_layer takes a name or an index, not both")
            if not -len(self.layers) <= index < len(self.layers):
                raise ValueError(f"Model '{self.name}' has {len(self.layers)} layers; index {index} is out of range")
            return self.layers[index]
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise ValueError(f"No such layer: {name}. Existing layers are: {[layer.name for layer in self.layers]}")

    def call(self, inputs, training=None, mask=None):
        if not self.is_functional:
            raise NotImplementedError(f"Model '{self.name}' has no graph: a subclassed model must define call()")
        return self._run_graph(inputs, training)

    def _run_graph(self, inputs, training=None):
        flat = _match_inputs(self, inputs)
        values = {id(node): value for node, value in zip(self.inputs, flat)}
        eager = not any(isinstance(value, Node) for value in flat)

        def value_of(item):
            if not isinstance(item, Node):
                return item
            if id(item) in values:
                return values[id(item)]
            if eager and item.kind == "constant":      # a bare op's constant operand, on arrays
                return item.value
            if eager and item.kind == "variable":      # ... or a weight it reads: the Variable itself
                return item.holder
            return item

        from .. import ops
        with not_recording():
            for step in self._schedule:
                if isinstance(step, LayerCall):
                    args = map_structure(value_of, step.args)
                    kwargs = map_structure(value_of, step.kwargs)
                    result = step.layer(*args, training=training, **kwargs)
                    for node, value in zip(step.flat_outputs, flatten(result)):
                        values[id(node)] = value
                else:  # an op applied straight to symbolic tensors between layers
                    values[id(step)] = ops.apply(step.op, *[value_of(x) for x in step.inputs], **step.attrs)
        return pack_like(self._output_structure, [values[id(node)] for node in self.outputs])

    # ------------------------------------------------------------ building
    def build(self, input_shape=None) -> None:
        """Build a subclassed model for ``input_shape`` (Keras 3's default ``Model.build``): run
        ``call`` once on symbolic inputs of that shape, which builds every layer it uses.

        ``get_build_config()`` then records the shape, so that ``load_model`` can
        rebuild the model from a ``.keras`` file.  A functional model is built already.
        """
        if self.is_functional:
            self.built = True
            return
        if input_shape is None:
            raise ValueError(f"Model '{self.name}': build() needs the input shape of a subclassed model, "
                             "e.g. model.build((None, 784))")
        from ..engine import Graph, placeholder
        from ..layers.layer import _shapes_as
        shapes = _shapes_as(input_shape, tuple)

        def symbolic(shape):
            return placeholder(self.dtype, tuple(shape))

        def inputs_for(value):
            if isinstance(value, tuple):
                return symbolic(value)
            if isinstance(value, dict):
                return {key: inputs_for(item) for key, item in value.items()}
            return [inputs_for(item) for item in value]

        with Graph().as_default(), not_recording():
            self.call(inputs_for(shapes))
        self._build_shapes = shapes
        self.built = True

    def _build_on_call(self, shapes) -> None:
        # the first call builds the layers as it runs: Model's own build() (a symbolic run) is not needed
        if type(self).build is not Model.build:
            self.build(shapes)

    def get_build_config(self):
        """Keras 3's build config: ``{"input_shape": ...}``; a functional model's are its inputs' shapes."""
        if self.is_functional:
            shapes = _shapes_like(self._input_structure)
            from ..layers.layer import _shapes_as
            return {"input_shape": _shapes_as(shapes, list)}
        return super().get_build_config()

    def get_compile_config(self):
        """Keras 3's compile config: what ``compile()`` was given, or None if the model is not compiled."""
        from ..saving.keras3_serialization import compile_config
        return compile_config(self)

    def compile_from_config(self, config) -> None:
        """``compile()`` with the arguments of a ``get_compile_config()`` dict (Keras 3's)."""
        from ..saving.keras3_serialization import compile_from_config
        if config:
            compile_from_config(self, config)

    def reset_states(self) -> None:
        """Reset the carried states of every stateful layer (tf.keras' ``Model.reset_states``;
        in Keras 3, ``layer.reset_state()`` per layer)."""
        for layer in self.layers:
            if isinstance(layer, Model) or (getattr(layer, "stateful", False) and hasattr(layer, "reset_states")):
                layer.reset_states()

    reset_state = reset_states

    def summary(self, line_length=None, positions=None, print_fn=None, expand_nested=False,
                show_trainable=False, layer_range=None, style=None, flops_batch_size=None):
        """Print the Keras table of layers, output shapes and parameter counts.

        ``style``: ``'keras2'`` (Keras 2's table, the tutorial's), ``'keras3'`` (Keras 3's box
        table) or None for ``kerasette.config.summary_style()`` (``'keras2'`` unless set).
        ``flops_batch_size=N`` (kerasette's; Keras has none): ``FLOPs`` and ``Activations``
        (output bytes) columns for a forward pass on batches of N, with their totals
        (what is counted: ``kerasette/models/summary_cost.py``).
        """
        from .summary import print_summary
        return print_summary(self, line_length=line_length, positions=positions, print_fn=print_fn,
                             expand_nested=expand_nested, show_trainable=show_trainable,
                             layer_range=layer_range, style=style, flops_batch_size=flops_batch_size)

    def _config_class_name(self) -> str:
        """The class_name a config writes: ``Functional`` for a plain functional Model."""
        if type(self) is Model and self.is_functional:
            return "Functional"
        return type(self).__name__

    def get_config(self) -> dict:
        if not self.is_functional:
            return super().get_config()
        from .config import functional_config
        if any(not isinstance(step, LayerCall) for step in self._schedule):
            # bare ops: only Keras 3's form (operation entries) describes them
            from ..layers.serialization import keras3_model_config
            return keras3_model_config(self)
        return functional_config(self)

    # ------------------------------------------------------------ saving
    def save_weights(self, filepath, overwrite=True, **kwargs):
        """Write the weights as HDF5 in Keras' layout (``kerasette.saving``)."""
        from .. import saving
        return saving.save_weights(self, filepath, overwrite=overwrite, **kwargs)

    def load_weights(self, filepath, by_name=False, skip_mismatch=False, **kwargs):
        """Read weights written by kerasette, tf.keras or Keras 3 (``kerasette.saving``)."""
        from .. import saving
        return saving.load_weights(self, filepath, by_name=by_name, skip_mismatch=skip_mismatch, **kwargs)

    def save(self, filepath, overwrite=True, include_optimizer=True, **kwargs):
        """Write architecture, weights, training config and optimizer state to one file."""
        from .. import saving
        return saving.save_model(self, filepath, overwrite=overwrite,
                                 include_optimizer=include_optimizer, **kwargs)

    def export(self, filepath, format="tf_saved_model", verbose=None, input_signature=None, **kwargs):
        """Write the model for another runtime: ``format="onnx"`` (``kerasette.export``);
        Keras 3's TensorFlow-based formats are not available without TensorFlow."""
        from . import exporting
        if input_signature is not None:
            kwargs["input_signature"] = input_signature
        return exporting.export_model(self, filepath, format=format, verbose=True if verbose is None else verbose,
                                      **kwargs)

    def to_json(self, **kwargs) -> str:
        """The architecture as JSON in Keras' format (``model_from_json`` reads it back)."""
        from .. import saving
        return saving.model_to_json(self, **kwargs)

    @classmethod
    def from_config(cls, config: dict, custom_objects=None):
        """Rebuild a functional model from ``get_config()`` (layers made anew, weights fresh)."""
        from ..layers.config_compat import normalize_entry
        from ..layers.op_serialization import mark_operation_entries
        from .config import functional_from_config
        if "layers" not in config:
            return cls(**config)
        # Keras 3's (and tf.keras') forms, bare-op entries included, read as load_model reads them
        entry = normalize_entry({"class_name": "Functional", "config": mark_operation_entries(config)},
                                custom_objects)
        return functional_from_config(entry["config"], custom_objects, cls=cls)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"


def _shapes_like(structure):
    return map_structure(lambda node: node.shape, structure)


def _match_inputs(model, inputs) -> list:
    if isinstance(inputs, dict):
        names = model.input_names
        missing = [name for name in names if name not in inputs]
        if missing:
            raise ValueError(f"Model '{model.name}' is missing inputs {missing}; it takes {names}")
        return [inputs[name] for name in names]
    flat = flatten(inputs)
    if len(flat) != len(model.inputs):
        raise ValueError(f"Model '{model.name}' expects {len(model.inputs)} input(s), got {len(flat)}")
    return flat


def _is_input(node) -> bool:
    return node.origin is not None and isinstance(node.origin[0].layer, InputLayer)


def _rebased(inputs, outputs):
    """Keras 3 lets a model start at any symbolic tensor (``Model(encoded_features, head)``, as in
    the FeatureSpace guide): each such tensor becomes a fresh ``Input`` of its shape and dtype, and
    the layers (the same objects, so the same weights) and bare ops between it and the outputs are
    called again from there."""
    from .. import ops
    from ..layers.input_layer import Input
    flat_inputs, flat_outputs = flatten(inputs), flatten(outputs)
    if not all(isinstance(node, Node) for node in flat_inputs + flat_outputs):
        return inputs, outputs      # _init_graph names what is wrong
    fresh = [node if _is_input(node) else Input(batch_shape=tuple(node.shape), dtype=node.dtype)
             for node in flat_inputs]
    values = {id(old): new for old, new in zip(flat_inputs, fresh)}
    steps, _ = _schedule(flat_inputs, flat_outputs)

    def value_of(item):
        return values.get(id(item), item) if isinstance(item, Node) else item

    for step in steps:
        if isinstance(step, LayerCall):
            if isinstance(step.layer, InputLayer):
                continue
            result = step.layer(*map_structure(value_of, step.args), **map_structure(value_of, step.kwargs))
            for node, value in zip(step.flat_outputs, flatten(result)):
                values[id(node)] = value
        else:
            values[id(step)] = ops.apply(step.op, *[value_of(x) for x in step.inputs], **step.attrs)
    return pack_like(inputs, fresh), pack_like(outputs, [value_of(node) for node in flat_outputs])


def _schedule(inputs, outputs):
    """Layer calls (and bare op nodes) from inputs to outputs, and the layers by depth.

    Layers are ordered like Keras: by depth from the inputs, ties broken by
    the order in which a walk back from the outputs first finishes them.
    """
    input_ids = {id(node) for node in inputs}
    finished, order, visiting = set(), [], set()

    def step_of(node):
        if node.origin is not None:
            return node.origin[0]
        return node if node.kind == "op" else None

    def name_of(step):
        return step.layer.name if isinstance(step, LayerCall) else step.name

    def check_reachable(node, consumer):
        parent = step_of(node)
        if parent is None and node.kind == "placeholder":
            accessed = [s.layer.name for s in order if isinstance(s, LayerCall)]
            raise GraphError(
                f"Graph disconnected: cannot obtain value for tensor {node!r} at layer "
                f"'{consumer}'. The following previous layers were accessed without issue: {accessed}")
        if isinstance(parent, LayerCall) and isinstance(parent.layer, InputLayer):
            accessed = [s.layer.name for s in order if isinstance(s, LayerCall)]
            raise GraphError(
                f"Graph disconnected: cannot obtain value for tensor {node!r} (input "
                f"'{parent.layer.name}') at layer '{consumer}'. The model's inputs do not include it. "
                f"The following previous layers were accessed without issue: {accessed}")
        return parent   # None for constants and variables, which are read where they stand

    def visit(root):
        # Depth first from ``root`` with an explicit stack: a chain of thousands
        # of layers is deeper than Python's recursion limit.  A frame is a step
        # and an iterator over its inputs, so steps finish in the order of a
        # recursive post-order walk.
        if id(root) in finished:
            return
        visiting.add(id(root))
        stack = [(root, iter(root.inputs))]
        while stack:
            step, parents = stack[-1]
            for node in parents:
                if id(node) in input_ids:
                    continue
                parent = check_reachable(node, name_of(step))
                if parent is None or id(parent) in finished:
                    continue
                if id(parent) in visiting:
                    raise GraphError("The layer graph has a cycle")
                visiting.add(id(parent))
                stack.append((parent, iter(parent.inputs)))
                break
            else:
                stack.pop()
                visiting.discard(id(step))
                finished.add(id(step))
                order.append(step)

    for node in outputs:
        if id(node) in input_ids:
            continue
        step = step_of(node)
        if step is None:
            raise GraphError(f"Output {node!r} was not produced by a layer")
        visit(step)

    # depth of each step: 0 at the outputs, growing towards the inputs
    depth = {}
    for step in reversed(order):
        key = id(step)
        depth.setdefault(key, 0)
        for node in step.inputs:
            parent = step_of(node) if id(node) not in input_ids else None
            if parent is not None:
                depth[id(parent)] = max(depth.get(id(parent), 0), depth[key] + 1)
    input_layers = [node.origin[0].layer for node in inputs]
    layer_depth, first_seen = {}, {}
    for position, step in enumerate(order):
        if isinstance(step, LayerCall):
            layer = step.layer
            layer_depth[id(layer)] = max(layer_depth.get(id(layer), 0), depth[id(step)])
            first_seen.setdefault(id(layer), (position, layer))
    layers = [layer for _, layer in sorted(first_seen.values(), key=lambda item: item[0])]
    layers.sort(key=lambda layer: -layer_depth[id(layer)])
    return order, _unique(input_layers) + [layer for layer in layers if layer not in input_layers]


def _unique(items):
    result = []
    for item in items:
        if item not in result:
            result.append(item)
    return result
