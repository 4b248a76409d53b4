"""SimpleRNN, LSTM and GRU as ONNX's own RNN, LSTM and GRU nodes.

kerasette runs a recurrent layer as one ``recurrence`` primitive over the
projected input ``xw = x @ kernel (+ input bias)`` (primitives/recurrent.py).
When ``xw`` is that product of the layer's weights (always, at inference),
the ONNX node gets ``x`` itself with the kernel as its ``W`` and the input
bias as ``Wb``; otherwise it gets ``xw`` with a permutation matrix as ``W``.
The recurrent kernel is ``R`` and the bias added inside the step is ``Rb``
(GRU with ``reset_after``: ``linear_before_reset=1``, the recurrent bias
inside ``r * (h @ U + b)``, as Keras). Gate blocks are reordered from
Keras' to ONNX's: LSTM i, f, c, o becomes i, o, f, c; GRU z, r, h and
SimpleRNN stay. Keras' activation names map to ONNX's (``hard_sigmoid`` is
``HardSigmoid(1/6, 1/2)``, Keras 3's; ``linear`` is ``Affine(1, 0)``). A
zero initial state (no ``initial_state``) is left out of the node.

The primitive's output packs, per step, the state and what its backward
pass reuses. The export keeps it as ``Packed`` pieces: the hidden state at
every step (the node's ``Y``), the LSTM cell state at the last step only
(``Y_c``), and columns no ONNX node gives. The layer's reads (getitem:
the hidden states, the last row's h and c) are answered piece by piece;
anything that would need an unknown piece is refused, naming the layer.
A masked sequence (``mask_zero``, ``Masking``) is refused: ONNX's nodes
take a length per sequence, not a mask per step. ``go_backwards`` is the
layer's own flip of the input (a Slice). A ``Bidirectional`` layer (a
backward layer like the forward one, reading the flipped input, both from
zero states) is one node with ``direction="bidirectional"``: the backward
layer joins its forward layer's node, and the flip back of its sequence is
the node's reverse half itself.
"""
from __future__ import annotations

import numpy

from ..engine.node import Node
from ..primitives.shape import expand_ellipsis
from .onnx_graph import ExportError
from .onnx_ops import apply_key

__all__ = ["recurrence", "read_packed", "Packed"]

#: name -> (ONNX activation, (alpha, beta) or None)
_ACTIVATIONS = {"tanh": ("Tanh", None), "sigmoid": ("Sigmoid", None), "relu": ("Relu", None),
                "hard_sigmoid": ("HardSigmoid", (1 / 6, 0.5)), "linear": ("Affine", (1.0, 0.0))}
#: ONNX gate block -> Keras gate block
_ORDER = {"lstm": (0, 3, 1, 2), "gru": (0, 1, 2), "simple": (0,)}
_OP = {"lstm": "LSTM", "gru": "GRU", "simple": "RNN"}
_FULL = (None, None, None)


def folded_constant(value):
    """``value`` as a numpy array when it is a weight, a constant, or a getitem of one
    (a GRU's bias rows); None when it is computed from the inputs."""
    if not isinstance(value, Node):
        return numpy.asarray(value)
    if value.kind in ("variable", "constant"):
        return numpy.asarray(value.numpy())
    if value.kind == "op" and value.op.name == "getitem":
        base = folded_constant(value.inputs[0])
        if base is None:
            return None
        key = tuple(slice(*item) if isinstance(item, tuple) else item for item in value.attrs.get("key", ()))
        return numpy.asarray(base[key])
    return None


def _is_zeros(value) -> bool:
    """Whether ``value`` is zeros shaped after the input (the default initial state)."""
    if not isinstance(value, Node) or value.kind != "op":
        return False
    name = value.op.name
    if name == "zeros_like":
        return True
    if name in ("tile", "expand_dims", "reshape", "broadcast_to"):
        return _is_zeros(value.inputs[0])
    if name == "concatenate":
        return all(_is_zeros(part) for part in value.inputs)
    return False


def _op(value, name):
    return isinstance(value, Node) and value.kind == "op" and value.op.name == name


def _input_projection(b, xw, permutation, dtype):
    """(X, W, Wb, x) of the ONNX node: ``x``'s value, the kernel and the input bias when ``xw``
    is ``x @ kernel (+ bias)`` with weights, else ``xw``'s and a permutation matrix (x None)."""
    width = len(permutation)
    product, bias = xw, numpy.zeros(width, dtype)
    if _op(xw, "add"):
        for index in (0, 1):
            constant = folded_constant(xw.inputs[1 - index])
            if _op(xw.inputs[index], "matmul") and constant is not None and constant.size == width:
                product, bias = xw.inputs[index], constant.reshape(-1)[permutation]
                break
    if _op(product, "matmul") and not product.attrs.get("transpose_a") and not product.attrs.get("transpose_b"):
        kernel = folded_constant(product.inputs[1])
        x = product.inputs[0]
        if kernel is not None and kernel.ndim == 2 and isinstance(x, Node) and len(x.shape) == 3:
            return b.name_of(x), kernel[:, permutation].T[None].astype(dtype), bias.astype(dtype), x
    return b.name_of(xw), numpy.eye(width, dtype=dtype)[permutation][None], numpy.zeros(width, dtype), None


def _flipped(value):
    """The node whose time-reversal ``value`` is (``x[:, ::-1]``, go_backwards' flip), else None."""
    if _op(value, "getitem") and len(value.inputs[0].shape) == 3 and \
            expand_ellipsis(tuple(value.attrs.get("key", ())), 3) == (_FULL, (None, None, -1), _FULL):
        return value.inputs[0]
    return None


def _activations(cell, activation, recurrent_activation):
    chosen = [activation] if cell == "simple" else (
        [recurrent_activation, activation, activation] if cell == "lstm" else [recurrent_activation, activation])
    names, alphas, betas = [], [], []
    for name in chosen:
        if name not in _ACTIVATIONS:
            raise ExportError(f"ONNX export: the activation {name!r} of a recurrent layer has no ONNX equivalent")
        op_name, constants = _ACTIVATIONS[name]
        names.append(op_name)
        if constants:   # consumed in order by the activations that take them
            alphas.append(constants[0])
            betas.append(constants[1])
    return dict(activations=names, **(dict(activation_alpha=alphas, activation_beta=betas) if alphas else {}))


def recurrence(b, node, x, owner="", **attrs):
    """The ONNX node of one recurrent layer; returns its ``Packed`` states."""
    cell, units = attrs["cell"], attrs["units"]
    where = f"layer '{owner}'" if owner else "a recurrent layer"
    if attrs.get("has_mask"):
        raise ExportError(f"ONNX export: {where} is masked (mask_zero=True or a Masking layer before it); "
                          f"ONNX's {_OP[cell]} node takes one length per sequence, not a mask per step, so a "
                          "masked recurrent layer cannot be exported: export a model without the mask")
    dtype = numpy.dtype(node.dtype)
    permutation = numpy.concatenate([numpy.arange(s * units, (s + 1) * units) for s in _ORDER[cell]])
    kernel = folded_constant(node.inputs[1])
    if kernel is None:
        raise ExportError(f"ONNX export: {where}: a recurrent kernel computed in the graph is not supported")
    sequence, w, input_bias, source = _input_projection(b, node.inputs[0], permutation, dtype)
    recurrent_bias = numpy.zeros(len(permutation), dtype)
    if attrs.get("has_bias"):
        value = folded_constant(node.inputs[3])
        if value is None:
            raise ExportError(f"ONNX export: {where}: a recurrent bias computed in the graph is not supported")
        recurrent_bias = value.reshape(-1)[permutation].astype(dtype)
    extra = _activations(cell, attrs.get("activation", "tanh"), attrs.get("recurrent_activation", "sigmoid"))
    if cell == "gru":
        extra["linear_before_reset"] = int(attrs.get("reset_after", True))
    weights = (w, kernel[:, permutation].T[None].astype(dtype), numpy.concatenate([input_bias, recurrent_bias])[None])
    count = 3 if cell == "lstm" else 2
    zero_state = _is_zeros(node.inputs[2])
    pairing = (cell, units, repr(sorted(extra.items())), dtype.str)
    if zero_state and source is not None and _flipped(source) is not None:
        first = b.recurrent_forward.pop((id(_flipped(source)),) + pairing, None)
        if first is not None:
            outputs = _bidirectional(b, first, weights, count)
            return _packed(b, node, cell, units, where, outputs, flipped=True)
    inputs = [b.add("Transpose", [sequence], perm=[1, 0, 2]),                 # (time, batch, features)
              b.constant(weights[0], name_hint="W"), b.constant(weights[1], name_hint="R"),
              b.constant(weights[2], name_hint="B"), ""]
    if not zero_state:
        state = x(2, dtype)
        for start in range(2 if cell == "lstm" else 1):
            part = b.add("Slice", [state, b.int64s([start * units]), b.int64s([(start + 1) * units]),
                                   b.int64s([1])])
            inputs.append(b.add("Unsqueeze", [part, b.int64s([0])]))
    outputs = b.add(_OP[cell], inputs, outputs=count, hidden_size=units, **extra)
    if zero_state and source is not None:
        # a Bidirectional's backward layer (the same source, flipped) may join this node
        b.recurrent_forward[(id(source),) + pairing] = (b.nodes[-1], weights)
    return _packed(b, node, cell, units, where, outputs)


def _bidirectional(b, first, weights, count):
    """The forward node ``first`` made bidirectional with the backward layer's ``weights``:
    ONNX's own ``direction="bidirectional"`` node. Its forward half keeps the old output
    names (what already reads them is unchanged); returns the reverse half's outputs."""
    old, forward_weights = first
    index = next(i for i, candidate in enumerate(b.nodes) if candidate is old)
    fused = [b.constant(numpy.concatenate([f, r]), name_hint=hint)
             for f, r, hint in zip(forward_weights, weights, ("W", "R", "B"))]
    both = [b.fresh(name + "_both") for name in old.output]
    attributes = {a.name: b.helper.get_attribute_value(a) for a in old.attribute}
    for name in ("activations", "activation_alpha", "activation_beta"):   # one list per direction
        if name in attributes:
            attributes[name] = list(attributes[name]) * 2
    node = b.helper.make_node(old.op_type, [old.input[0]] + fused + list(old.input[4:]), both,
                              name=old.name, **dict(attributes, direction="bidirectional"))
    halves, reverse = [], []
    for position, (name, forward_name) in enumerate(zip(both, old.output)):
        axis = 1 if position == 0 else 0          # Y (time, direction, batch, units); Y_h, Y_c (direction, ...)
        reverse.append(b.fresh("reverse"))
        for direction, target in ((0, forward_name), (1, reverse[-1])):
            halves.append(b.helper.make_node("Slice", [name, b.int64s([direction]), b.int64s([direction + 1]),
                                                       b.int64s([axis])], [target], name=b.fresh("n_Slice")))
    b.nodes[index:index + 1] = [node] + halves
    return reverse


def _packed(b, node, cell, units, where, outputs, flipped=False):
    """The layer's ``Packed`` states from its ONNX node's outputs: Y (time, 1, batch, units)
    -> (batch, time, units); Y_h, Y_c (1, batch, units) -> (batch, units). ``flipped``: the
    reverse half of a bidirectional node, whose Y runs in the input's time order, while the
    layer's own (go_backwards) order is flipped; the flip is remembered, so that flipping it
    back (Bidirectional does) is the node's Y itself."""
    hidden = b.add("Transpose", [b.add("Squeeze", [outputs[0], b.int64s([1])])], perm=[1, 0, 2])
    if flipped:
        in_order = hidden
        hidden = apply_key(b, in_order, (_FULL, (None, None, -1), _FULL), 3)
        b.reversals[hidden] = in_order
    last_h = b.add("Squeeze", [outputs[1], b.int64s([0])])
    pieces = [Piece(units, "seq", hidden, last_h)]
    if cell == "lstm":
        pieces.append(Piece(units, "last", b.add("Squeeze", [outputs[2], b.int64s([0])])))
    saved = node.shape[2] - sum(piece.width for piece in pieces)
    if saved:
        pieces.append(Piece(saved, None))
    return Packed(pieces, True, node.shape[1], where, _OP[cell])


class Piece:
    """Columns of a packed state: ``kind`` "seq" (batch, time, width) with ``last`` its final
    step, "last" (batch, width) known at the final step only, "row" (batch, width) at one
    step, or None (nothing ONNX gives)."""

    def __init__(self, width, kind, name=None, last=None):
        self.width, self.kind, self.name, self.last = width, kind, name, last


class Packed:
    """A recurrence's packed output, answered piece by piece until something reads it whole."""

    def __init__(self, pieces, timed, time, where, op_type):
        self.pieces, self.timed, self.time, self.where, self.op_type = pieces, timed, time, where, op_type

    @property
    def width(self):
        return sum(piece.width for piece in self.pieces)

    def known(self) -> bool:
        return all(piece.kind in (("seq",) if self.timed else ("row",)) for piece in self.pieces)

    def materialize(self, b) -> str:
        if not self.known():
            what = "at every step" if self.timed else "at that step"
            raise ExportError(f"ONNX export: {self.where} has its states read {what} beyond what the ONNX "
                              f"{self.op_type} node gives (the hidden states at every step, an LSTM's cell "
                              "state at the last step)")
        names = [piece.name for piece in self.pieces]
        return names[0] if len(names) == 1 else b.add("Concat", names, axis=-1)

    def _is_last(self, index) -> bool:
        return index == -1 or (self.time is not None and index == self.time - 1)

    def read(self, b, key):
        """``self[key]``: a ``Packed`` (or an ONNX value once every column read is known);
        None for a key read only through the whole value."""
        rank = 3 if self.timed else 2
        key = expand_ellipsis(tuple(key), rank)
        if any(item is None for item in key) or key[0] != _FULL:
            return None
        time_item = key[1] if self.timed else None
        columns = key[-1]
        if isinstance(columns, tuple):
            start, stop, step = columns
            if step not in (None, 1):
                return None
            start, stop, _ = slice(start, stop).indices(self.width)
        else:
            start = int(columns) % self.width
            stop = start + 1
        pieces, offset = [], 0
        for piece in self.pieces:
            low, high = max(start, offset), min(stop, offset + piece.width)
            if low < high:
                pieces.append(self._cut(b, piece, time_item, low - offset, high - offset))
            offset += piece.width
        timed = self.timed and isinstance(time_item, tuple)
        result = Packed(pieces, timed, self.time, self.where, self.op_type)
        if not isinstance(columns, tuple):
            if not result.known():
                return None
            return b.add("Squeeze", [result.materialize(b), b.int64s([-1])])
        return result.materialize(b) if result.known() else result

    def _cut(self, b, piece, time_item, low, high):
        width, cols = high - low, (None if low == 0 else low, None if high == piece.width else high, None)
        if piece.kind is None:
            return Piece(width, None)
        if not self.timed:     # a row: (batch, width)
            return Piece(width, "row", _slice(b, piece.name, (_FULL, cols), 2))
        if isinstance(time_item, tuple):
            if piece.kind == "seq":
                return Piece(width, "seq", _slice(b, piece.name, (_FULL, time_item, cols), 3))
            return Piece(width, "last" if time_item == _FULL else None,
                         _slice(b, piece.name, (_FULL, cols), 2) if time_item == _FULL else None)
        if piece.kind == "seq":
            if self._is_last(time_item) and piece.last is not None:
                return Piece(width, "row", _slice(b, piece.last, (_FULL, cols), 2))
            return Piece(width, "row", _slice(b, piece.name, (_FULL, time_item, cols), 3))
        if self._is_last(time_item):
            return Piece(width, "row", _slice(b, piece.name, (_FULL, cols), 2))
        return Piece(width, None)


def _slice(b, name, key, rank):
    return name if all(item == _FULL for item in key) else apply_key(b, name, key, rank)


def read_packed(b, node, packed):
    """The getitem ``node`` of a ``Packed`` value."""
    result = packed.read(b, node.attrs.get("key", ()))
    if result is None:
        return apply_key(b, packed.materialize(b), node.attrs.get("key", ()), len(node.inputs[0].shape))
    return result
