"""SimpleRNN, LSTM and GRU as ONNX's own RNN, LSTM and GRU nodes.

kerasette runs a recurrent layer as one ``recurrence`` primitive over the
projected input ``xw = x @ kernel (+ bias)`` (see primitives/recurrent.py).
The ONNX node is given ``xw`` itself as its input, with a permutation
matrix as its input weights ``W`` (ONNX orders an LSTM's gates i, o, f, c;
Keras i, f, c, o), the recurrent kernel as ``R`` and the bias the
primitive adds inside the step as ``Rb``. Keras' activation names map to
ONNX's (``hard_sigmoid`` is ``HardSigmoid(1/6, 1/2)``, Keras 3's).

The primitive's output holds, per step, the state and what its backward
pass reuses; a layer reads only the hidden states (every step, or the
last) and, for an LSTM, the cell state at the last step. The export builds
those columns from the ONNX node's outputs and checks that the graph reads
nothing else: otherwise, and for masked sequences, it refuses, naming the layer.
"""
from __future__ import annotations

import numpy

from ..engine.node import Node
from ..primitives.shape import expand_ellipsis
from .onnx_graph import ExportError

__all__ = ["recurrence", "check_recurrence_reads"]

_ACTIVATIONS = {"tanh": ("Tanh", None), "sigmoid": ("Sigmoid", None), "relu": ("Relu", None),
                "hard_sigmoid": ("HardSigmoid", (1 / 6, 0.5)), "linear": ("Affine", (1.0, 0.0))}
#: ONNX gate block -> Keras gate block
_ORDER = {"lstm": (0, 3, 1, 2), "gru": (0, 1, 2), "simple": (0,)}
_OP = {"lstm": "LSTM", "gru": "GRU", "simple": "RNN"}


def _constant(node):
    if isinstance(node, Node) and node.kind in ("variable", "constant"):
        return numpy.asarray(node.numpy())
    if not isinstance(node, Node):
        return numpy.asarray(node)
    return None


def check_recurrence_reads(node, consumers, layer_name) -> None:
    """Refuse a graph that reads columns of the packed output an ONNX node cannot give."""
    units, cell = node.attrs["units"], node.attrs["cell"]
    time = node.shape[1]
    for consumer in consumers:
        key = consumer.attrs.get("key") if consumer.kind == "op" and consumer.op.name == "getitem" else None
        if key is None:
            raise ExportError(f"ONNX export: layer '{layer_name}': its recurrent states are read by "
                              f"{consumer.op.name if consumer.kind == 'op' else consumer.kind}, which the ONNX "
                              f"{_OP[cell]} node cannot feed")
        key = expand_ellipsis(key, 3)
        step_item, columns = key[1], key[2]
        if not isinstance(columns, tuple):
            raise ExportError(f"ONNX export: layer '{layer_name}' reads a single state column")
        start, stop, step = columns
        start, stop = (start or 0), (stop if stop is not None else 10 ** 9)
        if step not in (None, 1) or start < 0:
            raise ExportError(f"ONNX export: layer '{layer_name}' reads its states in an unsupported way")
        if stop <= units:
            continue
        last = step_item == -1 or (time is not None and step_item == time - 1)
        if cell == "lstm" and start >= units and stop <= 2 * units and last:
            continue
        raise ExportError(f"ONNX export: layer '{layer_name}' reads state columns {start}:{stop} "
                          f"{'' if last else 'at every step '}, which the ONNX {_OP[cell]} node does not give")


def recurrence(b, node, x, **attrs):
    cell, units = attrs["cell"], attrs["units"]
    if attrs.get("has_mask"):
        raise ExportError("ONNX export: a masked recurrent layer (mask_zero, Masking) is not supported")
    gates = len(_ORDER[cell])
    kernel = _constant(node.inputs[1])
    if kernel is None:
        raise ExportError("ONNX export: a recurrent kernel computed in the graph is not supported")
    dtype = node.dtype
    blocks = [numpy.arange(s * units, (s + 1) * units) for s in _ORDER[cell]]
    permutation = numpy.concatenate(blocks)
    # W: the identity that reorders xw's gate blocks; R: the recurrent kernel, ONNX's way round
    w = numpy.eye(gates * units, dtype=dtype)[permutation][None]
    r = kernel[:, permutation].T[None].astype(dtype)
    bias = numpy.zeros(2 * gates * units, dtype)
    if attrs.get("has_bias"):
        recurrent_bias = _constant(node.inputs[3])
        if recurrent_bias is None:
            raise ExportError("ONNX export: a recurrent bias computed in the graph is not supported")
        bias[gates * units:] = recurrent_bias.reshape(-1)[permutation]
    activation, recurrent_activation = attrs.get("activation", "tanh"), attrs.get("recurrent_activation", "sigmoid")
    chosen = [activation] if cell == "simple" else (
        [recurrent_activation, activation, activation] if cell == "lstm" else [recurrent_activation, activation])
    names, alphas, betas = [], [], []
    for name in chosen:
        op_name, constants = _ACTIVATIONS[name]
        names.append(op_name)
        if constants:
            alphas.append(constants[0])
            betas.append(constants[1])
    extra = {}
    if alphas:
        if len(alphas) != len(names):
            raise ExportError(f"ONNX export: activations {chosen} mix parameterised and plain ones")
        extra = dict(activation_alpha=alphas, activation_beta=betas)
    if cell == "gru":
        extra["linear_before_reset"] = int(attrs.get("reset_after", True))
    sequence = b.add("Transpose", [x(0, dtype)], perm=[1, 0, 2])             # (time, batch, gates)
    state0 = x(2, dtype)
    h0 = b.add("Unsqueeze", [b.add("Slice", [state0, b.int64s([0]), b.int64s([units]), b.int64s([1])]),
                             b.int64s([0])])
    inputs = [sequence, b.constant(w, name_hint="W"), b.constant(r, name_hint="R"), b.constant(bias, name_hint="B"),
              "", h0]
    if cell == "lstm":
        c0 = b.add("Unsqueeze", [b.add("Slice", [state0, b.int64s([units]), b.int64s([2 * units]),
                                                  b.int64s([1])]), b.int64s([0])])
        inputs.append(c0)
        y, _, c_last = b.add("LSTM", inputs, outputs=3, hidden_size=units, activations=names, **extra)
    else:
        y, _ = b.add(_OP[cell], inputs, outputs=2, hidden_size=units, activations=names, **extra)
    # Y (time, 1, batch, units) -> (batch, time, units)
    hidden = b.add("Transpose", [b.add("Squeeze", [y, b.int64s([1])])], perm=[1, 0, 2])
    columns = [hidden]
    if cell == "lstm":
        # the last cell state, repeated along time (only the last step is ever read; checked)
        last_c = b.add("Transpose", [c_last], perm=[1, 0, 2])                # (batch, 1, units)
        columns.append(b.add("Expand", [last_c, b.add("Shape", [hidden])]))
    width = node.shape[2] - units * len(columns)
    if width:
        shape = b.add("Concat", [b.add("Shape", [hidden], end=2), b.int64s([width])], axis=0)
        from onnx import helper
        from .onnx_graph import onnx_dtype
        zero = helper.make_tensor("value", onnx_dtype(dtype), [1], [0])
        columns.append(b.add("ConstantOfShape", [shape], value=zero))
    return b.add("Concat", columns, axis=2) if len(columns) > 1 else hidden
