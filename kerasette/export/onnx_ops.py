"""One converter per primitive: kerasette's ops as ONNX nodes.

Each converter gets the ``Builder``, the node and an ``Operands`` view of
its inputs, appends ONNX nodes and returns the name of the value holding the
node's result. They follow the primitives' own semantics (numpy
broadcasting, channels-last images, TensorFlow's 'same' padding, Keras'
activation constants); opset 17.

Layouts: kerasette convolves and pools channels-last; ONNX's Conv and Pool
are channels-first, so the image is transposed in and out around them and a
kernel ``(*window, in, out)`` stored as ONNX's ``(out, in, *window)``.
Recurrent layers (one ``recurrence`` primitive per layer) become ONNX's own
LSTM / GRU / RNN node; see ``recurrence``.
"""
from __future__ import annotations

import string

import numpy

from ..engine.node import Node
from ..primitives.convolution import geometry
from ..primitives.shape import expand_ellipsis
from .onnx_graph import ExportError, onnx_dtype

__all__ = ["CONVERTERS", "Operands", "apply_key"]

INT64_MAX = numpy.iinfo(numpy.int64).max
INT64_MIN = numpy.iinfo(numpy.int64).min


class Operands:
    """The inputs of one node as ONNX value names (plain Python values become constants)."""

    def __init__(self, builder, node):
        self.builder, self.node = builder, node

    def __len__(self):
        return len(self.node.inputs)

    def raw(self, index):
        return self.node.inputs[index]

    def dtype(self, index):
        value = self.node.inputs[index]
        return value.dtype if isinstance(value, Node) else numpy.asarray(value).dtype

    def __call__(self, index, dtype=None) -> str:
        value = self.node.inputs[index]
        if isinstance(value, Node):
            name = self.builder.name_of(value)
            if dtype is not None and numpy.dtype(dtype) != value.dtype:
                name = self.builder.add("Cast", [name], to=onnx_dtype(dtype))
            return name
        return self.builder.constant(value, dtype=dtype or self.node.dtype)


def _unary(op_type, **attributes):
    def convert(b, node, x):
        return b.add(op_type, [x(0)], **attributes)
    return convert


def _binary(op_type, same_dtype=True):
    """Elementwise with numpy broadcasting; operands brought to the result's dtype
    (comparisons: to the wider operand's)."""
    def convert(b, node, x):
        if same_dtype:
            dtype = node.dtype
        else:
            dtype = numpy.result_type(*(x.dtype(i) for i in range(len(x))))
        return b.add(op_type, [x(0, dtype), x(1, dtype)])
    return convert


def _scalar(b, value, dtype):
    return b.constant(numpy.asarray(value, dtype=dtype))


# ------------------------------------------------------------ activations
def _gelu(b, node, x, approximate=True):
    value, dtype = x(0), node.dtype
    half = b.add("Mul", [value, _scalar(b, 0.5, dtype)])
    if approximate:
        cube = b.add("Mul", [b.add("Mul", [value, value]), value])
        inner = b.add("Add", [value, b.add("Mul", [cube, _scalar(b, 0.044715, dtype)])])
        core = b.add("Tanh", [b.add("Mul", [inner, _scalar(b, numpy.sqrt(2 / numpy.pi), dtype)])])
    else:
        core = b.add("Erf", [b.add("Mul", [value, _scalar(b, 1 / numpy.sqrt(2), dtype)])])
    return b.add("Mul", [half, b.add("Add", [core, _scalar(b, 1.0, dtype)])])


def _silu(b, node, x):
    return b.add("Mul", [x(0), b.add("Sigmoid", [x(0)])])


def _relu6(b, node, x):
    return b.add("Clip", [x(0), _scalar(b, 0, node.dtype), _scalar(b, 6, node.dtype)])


def _rsqrt(b, node, x):
    return b.add("Reciprocal", [b.add("Sqrt", [x(0)])])


def _square(b, node, x):
    return b.add("Mul", [x(0), x(0)])


def _softmax_like(op_type):
    def convert(b, node, x, axis=(-1,)):
        axes = (axis,) if isinstance(axis, int) else tuple(axis)
        if len(axes) != 1:
            raise ExportError(f"ONNX export: {node.op.name} over several axes {axes} has no ONNX equivalent")
        return b.add(op_type, [x(0)], axis=int(axes[0]))
    return convert


def _clip(b, node, x, min=None, max=None):
    low = _scalar(b, numpy.finfo(node.dtype).min if min is None and node.dtype.kind == "f" else
                  (numpy.iinfo(node.dtype).min if min is None else min), node.dtype)
    high = _scalar(b, numpy.finfo(node.dtype).max if max is None and node.dtype.kind == "f" else
                   (numpy.iinfo(node.dtype).max if max is None else max), node.dtype)
    return b.add("Clip", [x(0), low, high])


def _not_equal(b, node, x):
    dtype = numpy.result_type(x.dtype(0), x.dtype(1))
    return b.add("Not", [b.add("Equal", [x(0, dtype), x(1, dtype)])])


def _cast(b, node, x, dtype):
    return b.add("Cast", [x(0)], to=onnx_dtype(node.dtype))


def _where(b, node, x):
    return b.add("Where", [x(0, "bool"), x(1, node.dtype), x(2, node.dtype)])


def _fill_like(value):
    def convert(b, node, x):
        from onnx import helper
        shape = b.add("Shape", [x(0)])
        tensor = helper.make_tensor("value", onnx_dtype(node.dtype), [1], [value])
        return b.add("ConstantOfShape", [shape], value=tensor)
    return convert


# ----------------------------------------------------------------- shapes
def _reshape(b, node, x, shape=()):
    return b.add("Reshape", [x(0), b.int64s([-1 if s is None else s for s in shape])])


def _reshape_to(b, node, x, *sizes, shape):
    if any(s is None for s in node.shape[1:]):
        raise ExportError("ONNX export: a reshape to sizes known only at run time is not supported")
    return b.add("Reshape", [x(0), b.int64s([-1] + list(node.shape[1:]))])


def _transpose(b, node, x, axes=()):
    return b.add("Transpose", [x(0)], perm=[int(a) for a in axes])


def _expand_dims(b, node, x, axis=()):
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    return b.add("Unsqueeze", [x(0), b.int64s(axes)])


def _squeeze(b, node, x, axis=()):
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    if not axes:
        return b.add("Squeeze", [x(0)])
    return b.add("Squeeze", [x(0), b.int64s(axes)])


def _concatenate(b, node, x, axis=0):
    return b.add("Concat", [x(i, node.dtype) for i in range(len(x))], axis=int(axis))


def _stack(b, node, x, axis=0):
    parts = [b.add("Unsqueeze", [x(i, node.dtype), b.int64s([axis])]) for i in range(len(x))]
    return b.add("Concat", parts, axis=int(axis))


def _tile(b, node, x, repeats=()):
    return b.add("Tile", [x(0), b.int64s(repeats)])


def _repeat(b, node, x, repeats=1, axis=0):
    """numpy's repeat with one count: a new axis after ``axis`` expanded to ``repeats``, merged back."""
    rank = len(node.inputs[0].shape)
    if not isinstance(repeats, (int, numpy.integer)):
        raise ExportError("ONNX export: repeat with a count per element is not supported")
    axis = int(axis) % rank
    shape = b.add("Shape", [x(0)])
    size = b.add("Mul", [b.add("Slice", [shape, b.int64s([axis]), b.int64s([axis + 1])]), b.int64s([repeats])])
    target = b.add("Concat", [b.add("Slice", [shape, b.int64s([0]), b.int64s([axis])]), size,
                              b.add("Slice", [shape, b.int64s([axis + 1]), b.int64s([INT64_MAX])])], axis=0)
    wide = [1] * (rank + 1)
    wide[axis + 1] = int(repeats)
    expanded = b.add("Expand", [b.add("Unsqueeze", [x(0), b.int64s([axis + 1])]), b.int64s(wide)])
    return b.add("Reshape", [expanded, target])


def _take(b, node, x, axis=0):
    return b.add("Gather", [x(0), x(1, "int64")], axis=int(axis))


def _pad(b, node, x, pad_width=(), mode="constant", constant_values=0):
    modes = {"constant": "constant", "reflect": "reflect", "edge": "edge"}
    if mode not in modes:
        raise ExportError(f"ONNX export: pad mode {mode!r} has no ONNX equivalent")
    pads = [int(before) for before, _ in pad_width] + [int(after) for _, after in pad_width]
    inputs = [x(0), b.int64s(pads)]
    if mode == "constant":
        inputs.append(_scalar(b, constant_values, node.dtype))
    return b.add("Pad", inputs, mode=modes[mode])


def _broadcast_to(b, node, x, shape=()):
    if any(s is None for s in shape):
        raise ExportError("ONNX export: broadcast_to a shape with unknown sizes is not supported")
    return b.add("Expand", [x(0), b.int64s(shape)])


def _getitem(b, node, x, key=()):
    rank = len(node.inputs[0].shape)
    if x(0) in b.reversals and rank >= 2 and \
            expand_ellipsis(key, rank) == ((None, None, None), (None, None, -1)) + ((None, None, None),) * (rank - 2):
        return b.reversals[x(0)]     # flipping back what was flipped (Bidirectional's backward sequence)
    return apply_key(b, x(0), key, rank)


def apply_key(b, value, key, rank) -> str:
    """``value[key]`` (the getitem primitive's key: ints, (start, stop, step), None) as Slice,
    Squeeze and Unsqueeze; an Identity when the key selects everything."""
    key = expand_ellipsis(key, rank)
    original = value
    starts, ends, axes, steps, squeeze, inserted = [], [], [], [], [], []
    axis = 0
    for position, item in enumerate(key):
        if item is None:
            inserted.append(position)
            continue
        if isinstance(item, tuple):
            start, stop, step = item
            step = 1 if step is None else step
            if (start, stop, step) != (None, None, 1):
                starts.append(start if start is not None else (0 if step > 0 else -1))
                ends.append(stop if stop is not None else (INT64_MAX if step > 0 else INT64_MIN))
                axes.append(axis)
                steps.append(step)
        else:
            index = int(item)
            starts.append(index)
            ends.append(index + 1 if index != -1 else INT64_MAX)
            axes.append(axis)
            steps.append(1)
            squeeze.append(axis)
        axis += 1
    if axes:
        value = b.add("Slice", [value, b.int64s(starts), b.int64s(ends), b.int64s(axes), b.int64s(steps)])
    if squeeze:
        value = b.add("Squeeze", [value, b.int64s(squeeze)])
    if inserted:
        value = b.add("Unsqueeze", [value, b.int64s(inserted)])
    return value if value != original else b.add("Identity", [value])


# ----------------------------------------------------------------- reductions
def _reduce(op_type, axes_as_input=False):
    def convert(b, node, x, axis=(), keepdims=False):
        axes = (axis,) if isinstance(axis, int) else (tuple(axis) if axis is not None else ())
        if axes_as_input:
            inputs = [x(0)] + ([b.int64s(axes)] if axes else [])
            return b.add(op_type, inputs, keepdims=int(bool(keepdims)))
        attributes = {"keepdims": int(bool(keepdims))}
        if axes:
            attributes["axes"] = [int(a) for a in axes]
        return b.add(op_type, [x(0)], **attributes)
    return convert


# ----------------------------------------------------------------- linear algebra
def _matmul(b, node, x, transpose_a=False, transpose_b=False):
    def swapped(name, rank):
        perm = list(range(rank))
        perm[-1], perm[-2] = perm[-2], perm[-1]
        return b.add("Transpose", [name], perm=perm)
    left, right = x(0, node.dtype), x(1, node.dtype)
    if transpose_a:
        left = swapped(left, len(node.inputs[0].shape))
    if transpose_b:
        right = swapped(right, len(node.inputs[1].shape))
    return b.add("MatMul", [left, right])


def _lower_letters(equation: str) -> str:
    """An einsum equation in lower-case letters only (onnxruntime's Einsum reads a-z):
    each upper-case letter becomes a lower-case one the equation does not use."""
    used = {c for c in equation if c.isalpha()}
    spare = iter(c for c in string.ascii_lowercase if c not in used)
    mapping = {c: (c if c.islower() else next(spare)) for c in sorted(used)}
    return "".join(mapping.get(c, c) for c in equation)


def _einsum(b, node, x, equation):
    return b.add("Einsum", [x(i, node.dtype) for i in range(len(x))], equation=_lower_letters(equation))


def _tensordot(b, node, x, axes):
    left_rank, right_rank = len(node.inputs[0].shape), len(node.inputs[1].shape)
    if isinstance(axes, int):
        left_axes, right_axes = list(range(left_rank - axes, left_rank)), list(range(axes))
    else:
        left_axes, right_axes = [list(a) if isinstance(a, (list, tuple)) else [a] for a in axes]
    letters = iter(string.ascii_lowercase)
    left = [next(letters) for _ in range(left_rank)]
    right = [next(letters) for _ in range(right_rank)]
    for la, ra in zip(left_axes, right_axes):
        right[ra] = left[la]
    out = [c for i, c in enumerate(left) if i not in [a % left_rank for a in left_axes]] + \
          [c for i, c in enumerate(right) if i not in [a % right_rank for a in right_axes]]
    equation = "".join(left) + "," + "".join(right) + "->" + "".join(out)
    return b.add("Einsum", [x(0, node.dtype), x(1, node.dtype)], equation=equation)


# ----------------------------------------------------------------- images
def _channels_first(b, value, rank):
    return b.add("Transpose", [value], perm=[0, rank - 1] + list(range(1, rank - 1)))


def _channels_last(b, value, rank):
    return b.add("Transpose", [value], perm=[0] + list(range(2, rank)) + [1])


def _weights(b, x, index, perm):
    """A kernel transposed to ``perm``: computed once if it is a weight, else in the graph."""
    raw = x.raw(index)
    if isinstance(raw, Node) and raw.kind in ("variable", "constant"):
        return b.constant(numpy.transpose(numpy.asarray(raw.numpy()), perm), name_hint=raw.name + "_onnx")
    return b.add("Transpose", [x(index)], perm=list(perm))


def _conv(b, node, x, strides, padding="valid", dilation_rate=None, groups=1, depthwise=False):
    image = node.inputs[0]
    rank = len(image.shape)
    spatial = len(strides)
    kernel_shape = tuple(node.inputs[1].shape)
    dilation_rate = tuple(dilation_rate or (1,) * spatial)
    _, pads = geometry(image.shape[1:-1], kernel_shape[:spatial], strides, dilation_rate, padding)
    if any(p is None for pair in pads for p in pair):
        raise ExportError("ONNX export: a convolution over spatial sizes known only at run time")
    window = list(range(spatial))
    if depthwise:
        # (*window, in, multiplier) -> (in * multiplier, 1, *window), output channel c * multiplier + m
        channels, multiplier = kernel_shape[-2], kernel_shape[-1]
        raw = x.raw(1)
        if not (isinstance(raw, Node) and raw.kind in ("variable", "constant")):
            raise ExportError("ONNX export: a depthwise kernel computed in the graph is not supported")
        kernel = numpy.asarray(raw.numpy()).reshape(kernel_shape[:spatial] + (channels * multiplier,))
        kernel = b.constant(numpy.transpose(kernel, (spatial,) + tuple(window))[:, None],
                            name_hint=raw.name + "_onnx")
        group = channels
    else:
        kernel = _weights(b, x, 1, (spatial + 1, spatial) + tuple(window))
        group = int(groups)
    out = b.add("Conv", [_channels_first(b, x(0), rank), kernel], strides=[int(s) for s in strides],
                dilations=[int(d) for d in dilation_rate], group=group,
                pads=[int(p[0]) for p in pads] + [int(p[1]) for p in pads])
    return _channels_last(b, out, rank)


def _conv_transpose(b, node, x, strides, padding="valid", output_padding=None, dilation_rate=None):
    """ConvTranspose: its full output cut (or zero-extended at the end) to the window Keras keeps,
    the forward convolution's padding of the output size."""
    image = node.inputs[0]
    rank, spatial = len(image.shape), len(strides)
    kernel_shape = tuple(node.inputs[1].shape)
    dilation_rate = tuple(dilation_rate or (1,) * spatial)
    sizes, out_sizes = image.shape[1:-1], node.shape[1:-1]
    if any(size is None for size in tuple(sizes) + tuple(out_sizes)):
        raise ExportError("ONNX export: a transposed convolution over spatial sizes known only at run time")
    _, pads = geometry(out_sizes, kernel_shape[:spatial], strides, dilation_rate, padding)
    begins, ends, extra = [], [], []
    for size, out, (before, _), k, s, d in zip(sizes, out_sizes, pads, kernel_shape, strides, dilation_rate):
        end = s * (size - 1) + (k - 1) * d + 1 - before - out
        begins.append(int(before))
        ends.append(int(max(end, 0)))
        extra.append(int(max(-end, 0)))
    kernel = _weights(b, x, 1, (spatial + 1, spatial) + tuple(range(spatial)))
    out = b.add("ConvTranspose", [_channels_first(b, x(0), rank), kernel], strides=[int(s) for s in strides],
                dilations=[int(d) for d in dilation_rate], pads=begins + ends, output_padding=extra)
    return _channels_last(b, out, rank)


def _pool(op_type):
    def convert(b, node, x, pool_size, strides, padding="valid"):
        image = node.inputs[0]
        rank = len(image.shape)
        _, pads = geometry(image.shape[1:-1], pool_size, strides, (1,) * len(pool_size), padding)
        if any(p is None for pair in pads for p in pair):
            raise ExportError("ONNX export: pooling over spatial sizes known only at run time")
        attributes = dict(kernel_shape=[int(p) for p in pool_size], strides=[int(s) for s in strides],
                          pads=[int(p[0]) for p in pads] + [int(p[1]) for p in pads])
        if op_type == "AveragePool":
            attributes["count_include_pad"] = 0   # TensorFlow's 'same': the real elements' mean
        out = b.add(op_type, [_channels_first(b, x(0), rank)], **attributes)
        return _channels_last(b, out, rank)
    return convert


def _batch_normalization(b, node, x, epsilon=1e-3):
    params = node.inputs[1:]
    if all(isinstance(p, Node) and p.kind in ("variable", "constant") for p in params):
        mean, variance, offset, scale = (numpy.asarray(p.numpy()) for p in params)
        factor = (scale / numpy.sqrt(variance + numpy.asarray(epsilon, variance.dtype))).astype(node.dtype)
        shift = (offset - mean * factor).astype(node.dtype)
        folded = b.add("Mul", [x(0), b.constant(factor, name_hint="bn_factor")])
        return b.add("Add", [folded, b.constant(shift, name_hint="bn_shift")])
    mean, variance, offset, scale = (x(i, node.dtype) for i in range(1, 5))
    factor = b.add("Div", [scale, b.add("Sqrt", [b.add("Add", [variance, _scalar(b, epsilon, node.dtype)])])])
    shift = b.add("Sub", [offset, b.add("Mul", [mean, factor])])
    return b.add("Add", [b.add("Mul", [x(0), factor]), shift])


def _layer_normalization(b, node, x, epsilon=1e-3):
    """ONNX's own LayerNormalization (opset 17): gamma and beta span the trailing axes."""
    width = len(node.inputs[1].shape)
    return b.add("LayerNormalization", [x(0), x(1), x(2)], axis=-width, epsilon=float(epsilon))


CONVERTERS = {
    "layer_normalization": _layer_normalization,
    "identity": _unary("Identity"), "stop_gradient": _unary("Identity"),
    "relu": _unary("Relu"), "sigmoid": _unary("Sigmoid"), "tanh": _unary("Tanh"),
    "softplus": _unary("Softplus"), "softsign": _unary("Softsign"), "exp": _unary("Exp"), "log": _unary("Log"),
    "sqrt": _unary("Sqrt"), "abs": _unary("Abs"), "negative": _unary("Neg"), "erf": _unary("Erf"),
    "floor": _unary("Floor"), "ceil": _unary("Ceil"), "round": _unary("Round"), "sign": _unary("Sign"),
    "reciprocal": _unary("Reciprocal"), "sin": _unary("Sin"), "cos": _unary("Cos"),
    "logical_not": _unary("Not"), "isnan": _unary("IsNaN"),
    "selu": _unary("Selu", alpha=1.6732632423543772, gamma=1.0507009873554805),
    "hard_sigmoid": _unary("HardSigmoid", alpha=1 / 6, beta=0.5),
    "elu": lambda b, node, x, alpha=1.0: b.add("Elu", [x(0)], alpha=float(alpha)),
    "leaky_relu": lambda b, node, x, negative_slope=0.2: b.add("LeakyRelu", [x(0)], alpha=float(negative_slope)),
    "gelu": _gelu, "silu": _silu, "relu6": _relu6, "rsqrt": _rsqrt, "square": _square,
    "softmax": _softmax_like("Softmax"), "log_softmax": _softmax_like("LogSoftmax"),
    "add": _binary("Add"), "subtract": _binary("Sub"), "multiply": _binary("Mul"), "divide": _binary("Div"),
    "power": _binary("Pow"), "maximum": _binary("Max"), "minimum": _binary("Min"),
    "equal": _binary("Equal", False), "not_equal": _not_equal, "greater": _binary("Greater", False), "less": _binary("Less", False),
    "greater_equal": _binary("GreaterOrEqual", False), "less_equal": _binary("LessOrEqual", False),
    "logical_and": _binary("And", False), "logical_or": _binary("Or", False),
    "clip": _clip, "cast": _cast, "where": _where,
    "zeros_like": _fill_like(0), "ones_like": _fill_like(1),
    "reshape": _reshape, "reshape_to": _reshape_to, "transpose": _transpose, "expand_dims": _expand_dims,
    "squeeze": _squeeze, "concatenate": _concatenate, "stack": _stack, "tile": _tile, "repeat": _repeat, "take": _take,
    "pad": _pad, "broadcast_to": _broadcast_to, "getitem": _getitem,
    "mean": _reduce("ReduceMean"), "sum": _reduce("ReduceSum", axes_as_input=True), "max": _reduce("ReduceMax"),
    "min": _reduce("ReduceMin"), "prod": _reduce("ReduceProd"),
    "matmul": _matmul, "einsum": _einsum, "tensordot": _tensordot,
    "conv": _conv, "conv_transpose": _conv_transpose, "max_pool": _pool("MaxPool"), "avg_pool": _pool("AveragePool"),
    "batch_normalization": _batch_normalization,
}
