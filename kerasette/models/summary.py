"""``model.summary()``: Keras' table of layers, output shapes and parameter counts.

Two tables: Keras 2's (here, the default) and Keras 3's box table
(``summary_keras3.py``), chosen by ``style`` or, when it is None, by
``kerasette.config.summary_style()``.

Keras 2's layout (the one the tutorial prints) is 65 columns split at
45% and 85% for chain-like models, 98 columns with a ``Connected to`` column
otherwise; ``_`` rules between rows, ``=`` rules around them; counts with
thousands separators.  A field too long for its column is cut and its last
character replaced by a space, as Keras does (``max_pooling2d_2 (MaxPooling2``).
"""
from __future__ import annotations

from .. import config
from ..layers.input_layer import InputLayer
from ..layers.structure import flatten
from ..primitives.base import format_shape
from .summary_cost import check_batch_size, format_bytes, format_flops, layer_cost, total_lines


def _is_chain(model, members) -> bool:
    """Sequential-like: every call has one input from one call, and no layer is shared."""
    if not model.is_functional or type(model).__name__ == "Sequential":
        return True
    if len(model.inputs) > 1 or len(model.outputs) > 1:
        return False
    for layer in model.layers:
        calls = [c for c in layer._calls if _in_model(members, c)]
        if len(calls) > 1:
            return False
        for call in calls:
            if len(call.inputs) > 1:
                return False
    return True


def _model_members(model) -> tuple:
    """ids of the model's scheduled calls and of its input tensors, for ``_in_model``
    (sets, so that a model of thousands of layers is not searched once per call)."""
    if not model.is_functional:
        return set(), set()
    return {id(step) for step in model._schedule}, {id(node) for node in model.inputs}


def _in_model(members, call) -> bool:
    scheduled, inputs = members
    return id(call) in scheduled or (isinstance(call.layer, InputLayer) and id(call.outputs) in inputs)


def _output_shape(model, members, layer) -> str:
    calls = [c for c in layer._calls if not model.is_functional or _in_model(members, c)]
    if not calls:
        shape = getattr(layer, "_last_output_shape", None)
        return "multiple" if shape is None else _format(shape)
    shapes = {_format([n.shape for n in c.flat_outputs]) for c in calls}
    if len(shapes) > 1:
        return "multiple"
    return shapes.pop()


def _format(shapes) -> str:
    if isinstance(shapes, tuple):
        return format_shape(shapes)
    shapes = list(shapes)
    if len(shapes) == 1:
        return format_shape(shapes[0])
    return "[" + ", ".join(format_shape(s) for s in shapes) + "]"


def _params(layer) -> str:
    return f"{layer.count_params():,}" if layer.built else "0 (unbuilt)"


def _connections(members, layer) -> list:
    entries = []
    for call in layer._calls:
        if not _in_model(members, call):
            continue
        for node in call.inputs:
            if node.origin is None:
                continue
            parent_call, position = node.origin
            entries.append(f"{parent_call.layer.name}[{parent_call.index}][{position}]")
    return entries


def _print_row(fields, positions, print_fn):
    line = ""
    for index, field in enumerate(fields):
        if index > 0:
            line = line[:-1] + " "
        line += str(field)
        line = line[:positions[index]]
        line += " " * (positions[index] - len(line))
    print_fn(line)


def print_summary(model, line_length=None, positions=None, print_fn=None, expand_nested=False,
                  show_trainable=False, layer_range=None, style=None, flops_batch_size=None):
    """Print the summary of ``model`` in ``style`` (None: ``config.summary_style()``).

    Keras 2's table goes through ``print_fn`` (default ``print``) a line at a
    time and takes no ``expand_nested``, ``show_trainable`` or ``layer_range``;
    Keras 3's goes to ``print_fn`` (default: stdout) as one string, as Keras 3 does.
    ``flops_batch_size=N`` (kerasette's, either style) adds ``FLOPs`` and ``Activations``
    columns and their totals for batches of N (``summary_cost.py`` says what is counted).
    """
    if flops_batch_size is not None:
        check_batch_size(flops_batch_size)
    style = config.summary_style() if style is None else config.normalize_summary_style(style)
    if style == "keras3":
        from . import summary_keras3
        return summary_keras3.print_summary(model, line_length=line_length, positions=positions,
                                            print_fn=print_fn, expand_nested=expand_nested,
                                            show_trainable=show_trainable, layer_range=layer_range,
                                            flops_batch_size=flops_batch_size)
    members = _model_members(model)
    chain = _is_chain(model, members)
    if chain:
        line_length = line_length or 65
        positions = positions or [0.45, 0.85, 1.0]
        header = ["Layer (type)", "Output Shape", "Param #"]
    else:
        line_length = line_length or 98
        positions = positions or [0.33, 0.55, 0.67, 1.0]
        header = ["Layer (type)", "Output Shape", "Param #", "Connected to"]
    if positions[-1] <= 1:
        positions = [int(line_length * p) for p in positions]
    cost = flops_batch_size is not None
    if cost and len(positions) == len(header):   # two columns of 16 and 14 after Param #
        positions = positions[:3] + [positions[2] + 16, positions[2] + 30] + [p + 30 for p in positions[3:]]
        line_length = positions[-1]
    if cost:
        header = header[:3] + ["FLOPs", "Activations"] + header[3:]
    costs = []
    print_fn = print_fn or print
    lines = []

    def emit(text):
        lines.append(text)

    emit(f'Model: "{model.name}"')
    emit("_" * line_length)
    _print_row(header, positions, emit)
    emit("=" * line_length)
    layers = model.layers
    for index, layer in enumerate(layers):
        name = f"{layer.name} ({type(layer).__name__})"
        fields = [name, _output_shape(model, members, layer), _params(layer)]
        if cost:
            calls = [c for c in layer._calls if not model.is_functional or _in_model(members, c)]
            costs.append(layer_cost(layer, calls, flops_batch_size))
            fields += [format_flops(costs[-1][0]), format_bytes(costs[-1][1])]
        if chain:
            _print_row(fields, positions, emit)
        else:
            connections = _connections(members, layer)
            _print_row(fields + [connections[0] if connections else ""], positions, emit)
            for extra in connections[1:]:
                _print_row(["", "", "", "", "", extra] if cost else ["", "", "", extra], positions, emit)
        emit("=" * line_length if index == len(layers) - 1 else "_" * line_length)
    trainable = sum(int(w.size) for w in model.trainable_weights)
    non_trainable = sum(int(w.size) for w in model.non_trainable_weights)
    emit(f"Total params: {trainable + non_trainable:,}")
    emit(f"Trainable params: {trainable:,}")
    emit(f"Non-trainable params: {non_trainable:,}")
    if cost:
        for line in total_lines(costs, flops_batch_size):
            emit(line)
    emit("_" * line_length)
    for line in lines:
        print_fn(line)
    return None


def summary_text(model, **kwargs) -> str:
    """The summary as one string (Keras 3's ends in a newline, as its ``print_fn`` receives it)."""
    lines = []
    print_summary(model, print_fn=lines.append, **kwargs)
    return "\n".join(lines)


__all__ = ["print_summary", "summary_text", "flatten"]
