"""Keras 3's ``model.summary()``: the box table, in plain text, as Keras 3 prints it off a terminal.

Keras 3 draws the table with rich (heavy-headed box, a rule between rows,
text wrapped inside its column) and prints what rich captures when
``print_fn`` is given or the output is not a terminal.  kerasette does not
depend on rich: this module lays the same table out itself, character for
character (``tests/models/test_summary_keras3.py`` compares it with real
Keras 3's text), without colours or bold.

What goes in the table follows Keras 3's ``summary_utils.print_summary``:

* rows: a Sequential's or a subclassed model's layers; for a functional
  model its operations (Input layers, layers and ops applied straight to
  symbolic tensors) in Keras 3's order, deepest first, ties in the order a
  walk back from the outputs first meets them;
* columns: ``Layer (type)``, ``Output Shape`` (the layer's last call),
  ``Param #`` (right-aligned), and ``Connected to`` unless the model is a
  chain (one call per depth, one input per call, no shared layer); with
  ``show_trainable`` a centred ``Trainable`` column (``Y``, ``N`` or ``-``);
* widths: 88 columns for chains, 108 for graphs (+12 with ``show_trainable``),
  at most the terminal's width less 4 (``shutil.get_terminal_size``: 80
  off a terminal, or ``$COLUMNS``), split at ``positions``;
* then ``Total params``, ``Trainable params``, ``Non-trainable params`` and,
  once a compiled model's optimizer is built, ``Optimizer params``, each with
  its size in bytes from the weights' dtypes (``bool`` counts one bit).
"""
from __future__ import annotations

import math
import os
import re
import shutil
import sys

from ..engine.node import Node
from ..layers.input_layer import InputLayer
from ..layers.layer import LayerCall
from ..layers.structure import flatten
from . import summary_cost

# -------------------------------------------------------------- text layout

_WORD = re.compile(r"\s*\S+\s*")
# rich's HEAVY_HEAD box (and its ASCII stand-in for consoles that cannot encode it), one string per
# part: top, header row, rule under the header, body row, rule between rows, bottom
_HEAVY_HEAD = ("┏━┳┓", "┃ ┃┃", "┡━╇┩", "│ ││", "├─┼┤", "└─┴┘")
_ASCII = ("+--+", "| ||", "|-+|", "| ||", "|-+|", "+--+")


def _wrap(text: str, width: int, fold: bool = False) -> list:
    """Word-wrap ``text`` into lines, as rich does: lines break at whitespace; a word longer than
    a line gets a line of its own, where it is cut (and ends in '…', see ``_truncate``) or, with
    ``fold``, goes on over as many lines as it needs."""
    breaks, offset = [], 0
    for match in _WORD.finditer(text):
        start, word = match.start(), match.group(0)
        length = len(word.rstrip())
        if width - offset >= length:
            offset += len(word)
        elif length > width and fold and width > 0:
            pieces = [word[i:i + width] for i in range(0, len(word), width)]
            for piece in pieces[:-1]:
                if start:
                    breaks.append(start)
                start += len(piece)
            if start:
                breaks.append(start)
            offset = len(pieces[-1])
        elif length > width or (offset and start):
            if start:
                breaks.append(start)
            offset = len(word)
    lines = [text[a:b] for a, b in zip([0] + breaks, breaks + [len(text)])]
    result = []
    for line in lines:
        if len(line) > width:   # trailing whitespace beyond the width goes first
            stripped = line.rstrip()
            line = line[:max(len(stripped), width)]
        result.append(line)
    return result


def _truncate(line: str, width: int) -> str:
    return line if len(line) <= width else line[:max(width - 1, 0)] + "…"


def _justify(line: str, width: int, how: str) -> str:
    if how == "left":
        line = _truncate(line, width)
        return line + " " * (width - len(line))
    line = _truncate(line.rstrip(), width)
    if how == "right":
        return " " * (width - len(line)) + line
    left = (width - len(line)) // 2      # centre
    line = " " * left + line
    return line + " " * (width - len(line))


def _cell_lines(text: str, width: int, how: str) -> list:
    return [_justify(line, width, how) for line in _wrap(text, width)]


def _ratio_reduce(total: int, ratios: list, maximums: list, values: list) -> list:
    """Take ``total`` off ``values`` in proportion to ``ratios`` (rich's rounding: Python's)."""
    ratios = [ratio if maximum else 0 for ratio, maximum in zip(ratios, maximums)]
    total_ratio = sum(ratios)
    if not total_ratio:
        return list(values)
    remaining, result = total, []
    for ratio, maximum, value in zip(ratios, maximums, values):
        if ratio and total_ratio > 0:
            taken = min(maximum, round(ratio * remaining / total_ratio))
            result.append(value - taken)
            remaining -= taken
            total_ratio -= ratio
        else:
            result.append(value)
    return result


def _column_widths(content_widths: list, table_width: int) -> list:
    """The widths of the cells (padding included) of fixed-width columns in a table of
    ``table_width`` characters (borders included), reduced evenly when they do not fit."""
    available = table_width - (len(content_widths) + 1)
    widths = [min(width + 2, available) for width in content_widths]
    if sum(widths) > available:
        widths = _ratio_reduce(sum(widths) - available, [1] * len(widths), widths, widths)
        widths = [max(width, 0) for width in widths]
    return widths


def render_table(header: list, rows: list, content_widths: list, alignments: list, table_width: int,
                 box=_HEAVY_HEAD) -> list:
    """The lines of a rich ``Table(show_lines=True)`` of fixed-width columns, as rich renders it."""
    widths = _column_widths(content_widths, table_width)
    top, head, head_rule, body, rule, bottom = box

    def border(chars):
        left, fill, cross, right = chars
        return left + cross.join(fill * width for width in widths) + right

    def row_lines(fields, chars, bottom_aligned):
        cells = [_cell_lines(str(field), max(width - 2, 0), how)
                 for field, width, how in zip(fields, widths, alignments)]
        height = max(len(cell) for cell in cells)
        lines = []
        for index in range(height):
            parts = []
            for cell, width in zip(cells, widths):
                blank = " " * max(width - 2, 0)
                at = index - (height - len(cell)) if bottom_aligned else index
                parts.append(" " + (cell[at] if 0 <= at < len(cell) else blank) + " ")
            lines.append(chars[0] + chars[2].join(parts) + chars[3])
        return lines

    lines = [border(top)]
    lines += row_lines(header, head, bottom_aligned=True)
    lines.append(border(head_rule))
    for index, fields in enumerate(rows):
        lines += row_lines(fields, body, bottom_aligned=False)
        if index < len(rows) - 1:
            lines.append(border(rule))
    lines.append(border(bottom))
    return lines


def console_width() -> int:
    """The width rich's console assumes: ``$COLUMNS``, else the terminal's, else 80."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    for fd in (0, 1, 2):
        try:
            return os.get_terminal_size(fd).columns or 80
        except (AttributeError, ValueError, OSError):
            continue
    return 80


def _box_for_console():
    encoding = (getattr(sys.stdout, "encoding", None) or "utf-8").lower()
    return _HEAVY_HEAD if encoding.startswith("utf") else _ASCII


# ------------------------------------------------------------- the graph

def _producer(node):
    """The call that made ``node`` (a LayerCall, or the node itself for a bare op); None for
    constants and variables."""
    if node.origin is not None:
        return node.origin[0]
    return node if node.kind == "op" else None


def _inputs_of(step) -> list:
    """A call's input tensors as Keras 3 lists them: positional, then keyword arguments."""
    if isinstance(step, LayerCall):
        return step.inputs + [x for x in flatten(step.kwargs) if isinstance(x, Node)]
    return [x for x in step.inputs if isinstance(x, Node)]


def _is_input(step) -> bool:
    return isinstance(step, LayerCall) and isinstance(step.layer, InputLayer)


def _operation(step):
    return step.layer if isinstance(step, LayerCall) else step


class _Graph:
    """A functional model's calls as Keras 3's ``map_graph`` sees them: the depth of every call
    (0 at the outputs) and the operations in Keras 3's order."""

    def __init__(self, model):
        post_order, first_seen = [], {}
        finished = set()
        for output in model.outputs:
            root = _producer(output)
            if root is None or id(root) in finished:
                continue
            # depth first with an explicit stack (a chain of thousands of layers is deeper than
            # Python's recursion limit); an operation's index is the order it is first reached
            first_seen.setdefault(id(_operation(root)), len(first_seen))
            stack = [(root, iter([] if _is_input(root) else _inputs_of(root)))]
            on_stack = {id(root)}
            while stack:
                step, parents = stack[-1]
                for tensor in parents:
                    parent = _producer(tensor)
                    if parent is None or id(parent) in finished or id(parent) in on_stack:
                        continue
                    first_seen.setdefault(id(_operation(parent)), len(first_seen))
                    on_stack.add(id(parent))
                    stack.append((parent, iter([] if _is_input(parent) else _inputs_of(parent))))
                    break
                else:
                    stack.pop()
                    on_stack.discard(id(step))
                    finished.add(id(step))
                    post_order.append(step)
        depths, operation_depth, operations = {}, {}, {}
        for step in reversed(post_order):
            operation = _operation(step)
            operations[id(operation)] = operation
            depth = max(depths.setdefault(id(step), 0), operation_depth.get(id(operation), 0))
            operation_depth[id(operation)] = depths[id(step)] = depth
            if not _is_input(step):
                for tensor in _inputs_of(step):
                    parent = _producer(tensor)
                    if parent is not None and id(parent) in finished:
                        depths[id(parent)] = max(depth + 1, depths.get(id(parent), 0))
        for node in model.inputs:   # inputs no output depends on
            step = _producer(node)
            if step is not None and id(_operation(step)) not in operation_depth:
                operations[id(step.layer)] = step.layer
                operation_depth[id(step.layer)] = depths[id(step)] = 0
                first_seen[id(step.layer)] = -1
                post_order.append(step)
        self.steps = post_order
        self.step_ids = {id(step) for step in post_order}
        self.depths = depths
        order = sorted(operations, key=lambda key: (-operation_depth[key], first_seen[key]))
        self.operations = [operations[key] for key in order]

    def is_chain(self) -> bool:
        """Keras 3's "sequential-like": one call per depth, no call with several inputs, no layer
        called twice in the model."""
        per_depth = {}
        for step in self.steps:
            per_depth.setdefault(self.depths[id(step)], []).append(step)
        for steps in per_depth.values():
            if len(steps) > 1 or (not _is_input(steps[0]) and len(_inputs_of(steps[0])) > 1):
                return False
        calls = [id(step.layer) for step in self.steps if isinstance(step, LayerCall)]
        return len(calls) == len(set(calls))


def _op_names(operations) -> dict:
    """Names for bare ops, as Keras 3 names its operations: the op's name, then ``_1``, ``_2``..."""
    names, counts = {}, {}
    for operation in operations:
        if isinstance(operation, Node):
            base = operation.op.name
            count = counts.get(base, 0)
            counts[base] = count + 1
            names[id(operation)] = base if count == 0 else f"{base}_{count}"
    return names


def _class_name(operation) -> str:
    if isinstance(operation, Node):    # the op's function in CamelCase: concatenate -> Concatenate
        return "".join(part.capitalize() for part in operation.op.name.split("_"))
    from .model import Model
    if type(operation) is Model and operation.is_functional:
        return "Functional"
    return type(operation).__name__


# ----------------------------------------------------------------- fields

def _format_shape(shape) -> str:
    return "(" + ", ".join(str(size) for size in shape) + ")"


def _format_outputs(structure) -> str:
    flat = flatten(structure)
    if len(flat) == 1:
        return _format_shape(flat[0])
    # the structure as Python prints it, quotes removed: [(None, 4), (None, 4)]
    return str(_map_shapes(structure)).replace("'", "")


def _map_shapes(structure):
    if isinstance(structure, dict):
        return {key: _map_shapes(value) for key, value in structure.items()}
    if isinstance(structure, (list, tuple)) and not _is_shape(structure):
        return type(structure)(_map_shapes(value) for value in structure)
    return _format_shape(structure)


def _is_shape(value) -> bool:
    return isinstance(value, tuple) and all(v is None or isinstance(v, int) for v in value)


def _output_shape(operation) -> str:
    if isinstance(operation, Node):
        return _format_shape(operation.shape)
    calls = getattr(operation, "_calls", [])
    if calls:   # Keras 3 shows the layer's last call, wherever it was made
        outputs = calls[-1].outputs
        return _format_outputs(_map_nodes(outputs))
    shape = getattr(operation, "_last_output_shape", None)
    if shape is None:
        return "?"
    return _format_outputs(shape)


def _map_nodes(structure):
    if isinstance(structure, Node):
        return tuple(structure.shape)
    if isinstance(structure, dict):
        return {key: _map_nodes(value) for key, value in structure.items()}
    if isinstance(structure, (list, tuple)):
        return type(structure)(_map_nodes(value) for value in structure)
    return structure


def _params(operation) -> str:
    if isinstance(operation, Node):
        return "0"
    if not operation.built:
        return "0 (unbuilt)"
    return f"{operation.count_params():,}"


def _trainable(operation) -> str:
    weights = [] if isinstance(operation, Node) else operation.weights
    if not weights:
        return "-"
    return "Y" if operation.trainable else "N"


def count_params(weights) -> int:
    return int(sum(math.prod(tuple(w.shape)) for w in weights))


def weight_memory_size(weights) -> float:
    """Bytes of the weights (each counted once) by their dtypes, as Keras 3 computes them."""
    unique = {id(w): w for w in weights}.values()
    bits = 0
    for weight in unique:
        dtype = weight.dtype
        size = 1 if str(dtype) == "bool" else getattr(dtype, "itemsize", 4) * 8
        bits += math.prod(tuple(weight.shape)) * size
    return bits / 8


def readable_memory_size(size: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if size / 1024 < 1:
            return f"{size:.2f} {unit}"
        size /= 1024
    return f"{size:.2f} PB"


def _layer_range(layers, layer_range, name_of):
    if layer_range is None:
        return 0, len(layers)
    if len(layer_range) != 2:
        raise ValueError(f"layer_range must be a list or tuple of length 2. Received: "
                         f"layer_range = {layer_range} of length {len(layer_range)}")
    if not all(isinstance(name, str) for name in layer_range):
        raise ValueError(f"layer_range should contain string type only. Received: {layer_range}")
    names = [name_of(layer) for layer in layers]
    lower = [i for i, name in enumerate(names) if re.match(layer_range[0], name)]
    upper = [i for i, name in enumerate(names) if re.match(layer_range[1], name)]
    if not lower or not upper:
        raise ValueError(f"Passed layer_names do not match the layer names in the model. "
                         f"Received: {layer_range}")
    if min(lower) > max(upper):
        return min(upper), max(lower) + 1
    return min(lower), max(upper) + 1


# ------------------------------------------------------------------ summary

def summary_lines(model, line_length=None, positions=None, expand_nested=False, show_trainable=False,
                  layer_range=None, flops_batch_size=None) -> list:
    """The lines Keras 3's ``model.summary()`` prints (with ``flops_batch_size``, kerasette's two
    cost columns after ``Param #`` and their totals: ``summary_cost.py``)."""
    from .sequential import Sequential
    graph = None
    if model.is_functional and not isinstance(model, Sequential):
        graph = _Graph(model)
        layers = graph.operations
        chain = graph.is_chain()
    else:
        layers = list(model.layers)
        chain = True
    op_names = _op_names(layers)

    def name_of(operation):
        return op_names.get(id(operation)) or operation.name

    if chain:
        default_length, positions = 88, positions or [0.45, 0.80, 1.0]
        header, alignments = ["Layer (type)", "Output Shape", "Param #"], ["left", "left", "right"]
    else:
        default_length, positions = 108, positions or [0.3, 0.56, 0.74, 1.0]
        header = ["Layer (type)", "Output Shape", "Param #", "Connected to"]
        alignments = ["left", "left", "right", "left"]
    cost = flops_batch_size is not None
    if cost and len(positions) == len(header):   # 16 and 14 characters after Param #, others as they were
        at = positions[2] * default_length
        positions = [p * default_length / (default_length + 30) for p in positions[:3]] + \
            [(at + 16) / (default_length + 30), (at + 30) / (default_length + 30)] + \
            [(p * default_length + 30) / (default_length + 30) for p in positions[3:]]
    if cost:
        default_length += 30
        header[3:3] = ["FLOPs", "Activations"]
        alignments[3:3] = ["right", "right"]
    if show_trainable:
        default_length += 12
        positions = [p * 0.90 for p in positions] + [1.0]
        header.append("Trainable")
        alignments.append("center")
    default_length = min(default_length, shutil.get_terminal_size().columns - 4)
    line_length = line_length or default_length
    widths, current = [], 0
    for position in positions:
        width = int(position * line_length) - current
        if width < 4:
            raise ValueError("Insufficient console width to print summary.")
        widths.append(width)
        current += width

    def connections(operation):
        if graph is None:
            return "-"
        steps = [operation] if isinstance(operation, Node) else getattr(operation, "_calls", [])
        entries = []
        for step in steps:
            if id(step) not in graph.step_ids or _is_input(step):
                continue
            for tensor in _inputs_of(step):
                parent = _producer(tensor)
                if isinstance(parent, LayerCall):
                    entries.append(f"{parent.layer.name}[{parent.index}][{tensor.origin[1]}]")
                elif parent is not None:
                    entries.append(f"{name_of(parent)}[0][0]")
        return ", ".join(entries) or "-"

    def rows_of(operation, level=0):
        prefix = "   " * level + "└ " if level else ""
        fields = [f"{prefix}{name_of(operation)} ({_class_name(operation)})", _output_shape(operation),
                  _params(operation)]
        if cost:
            steps = [operation] if isinstance(operation, Node) else [
                step for step in getattr(operation, "_calls", [])
                if graph is None or id(step) in graph.step_ids or level]
            if graph is None and not level:
                steps = [step for step in steps if id(step) in sequential_steps]
            flops, memory = summary_cost.layer_cost(operation, steps, flops_batch_size)
            if not level:
                costs.append((flops, memory))
            fields += [summary_cost.format_flops(flops), summary_cost.format_bytes(memory)]
        if not chain:
            fields.append(connections(operation))
        if show_trainable:
            fields.append(_trainable(operation))
        rows = [fields]
        inner = getattr(operation, "layers", None) if not isinstance(operation, Node) else None
        if expand_nested and inner:
            if getattr(operation, "is_functional", False) and not isinstance(operation, Sequential):
                inner = [op for op in _Graph(operation).operations if not isinstance(op, Node)]
            for layer in inner:
                rows += rows_of(layer, level + 1)
        return rows

    costs = []
    sequential_steps = {id(step) for step in (getattr(model, "_schedule", None) or [])}
    first, last = _layer_range(layers, layer_range, name_of)
    rows = [row for operation in layers[first:last] for row in rows_of(operation)]

    trainable = getattr(model, "_collected_trainable_weights", None) or model.trainable_weights
    non_trainable = model.non_trainable_weights
    optimizer = getattr(model, "optimizer", None)
    optimizer_weights = None
    if getattr(model, "compiled", False) and optimizer is not None and getattr(optimizer, "built", False):
        optimizer_weights = list(optimizer.variables)
    counts = [count_params(trainable), count_params(non_trainable), count_params(optimizer_weights or [])]
    sizes = [weight_memory_size(trainable), weight_memory_size(non_trainable),
             weight_memory_size(optimizer_weights or [])]

    width = console_width()
    lines = _wrap_text(f'Model: "{model.name}"', width)
    table = render_table(header, rows, widths, alignments, line_length, _box_for_console())
    lines += [line[:width] for line in table]   # rich crops what is wider than the console
    totals = [("Total params", sum(counts), sum(sizes)), ("Trainable params", counts[0], sizes[0]),
              ("Non-trainable params", counts[1], sizes[1])]
    if optimizer_weights is not None:
        totals.append(("Optimizer params", counts[2], sizes[2]))
    for label, count, size in totals:
        lines += _wrap_text(f" {label}: {count:,} ({readable_memory_size(size)})", width)
    if cost:
        for line in summary_cost.total_lines(costs, flops_batch_size):
            lines += _wrap_text(" " + line, width)
    return lines


def _wrap_text(text: str, width: int) -> list:
    """A line printed by rich's console (no justification, long words folded): wrapped and cut
    at the console's width."""
    return [line[:width] for line in _wrap(text, width, fold=True)]


def summary_text(model, **kwargs) -> str:
    """The whole summary as Keras 3's ``print_fn`` receives it: one string, ending in a newline."""
    return "\n".join(summary_lines(model, **kwargs)) + "\n"


def print_summary(model, line_length=None, positions=None, print_fn=None, expand_nested=False,
                  show_trainable=False, layer_range=None, flops_batch_size=None):
    """Print Keras 3's summary: one call of ``print_fn`` with the whole text, or to stdout."""
    text = summary_text(model, line_length=line_length, positions=positions, expand_nested=expand_nested,
                        show_trainable=show_trainable, layer_range=layer_range,
                        flops_batch_size=flops_batch_size)
    if print_fn is None:
        sys.stdout.write(text)
        sys.stdout.flush()
    else:
        print_fn(text)


__all__ = ["print_summary", "summary_text", "summary_lines", "render_table", "count_params",
           "weight_memory_size", "readable_memory_size"]
