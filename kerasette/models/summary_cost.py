"""What one forward pass costs, per layer, for ``model.summary(flops_batch_size=N)``.

Keras prints neither number; kerasette adds two columns to either table when
``flops_batch_size`` is given:

* ``FLOPs``: floating-point operations of one forward pass on a batch of N,
  a multiply-add counting 2.  Counted, with ``E`` the layer's output elements
  for the batch:

  - Dense, Conv1D/2D/3D (any ``groups``), DepthwiseConv1D/2D:
    ``2 * E * (kernel elements per output)`` plus ``E`` for the bias;
  - Conv1D/2D/3DTranspose: ``2 * (input elements) * (kernel elements per
    input element)`` plus ``E`` for the bias;
  - SeparableConv1D/2D: its depthwise and its pointwise convolution, so;
  - MaxPooling/AveragePooling: one per element of each window (``E *
    prod(pool_size)``); global pooling: one per input element;
  - SimpleRNN, LSTM, GRU (and Bidirectional of them): per sample and time
    step ``2 * (kernel + recurrent kernel elements)`` plus the bias elements
    (the gates' elementwise work is not counted);
  - BatchNormalization (inference: scale and shift): ``2 * E``;
  - Add, Subtract, Multiply, Average, Maximum, Minimum: ``(inputs - 1) * E``;
    an arithmetic op applied straight to symbolic tensors (``x * 2``,
    ``ops.add``...): ``E``;
  - layers that only move or pick data (Input, Flatten, Reshape, Permute,
    RepeatVector, Dropout and the other noise layers, Concatenate,
    Cropping, ZeroPadding, Embedding, Identity): 0;
  - activations (a layer's ``activation`` and activation layers) are not
    counted; any other layer shows ``?`` and is left out of the total, which
    then says so.

* ``Activations``: the bytes of the layer's outputs for the batch (each
  output's elements times its dtype's size); a layer called several times in
  the model counts each call.  The total is the sum over the table's rows:
  what a training step keeps for the backward pass, roughly.

The numbers come from the shapes the model's graph records (a functional or
Sequential model, or a subclassed one after it was called: output shapes
only, so layers needing their input shape show ``?``).
"""
from __future__ import annotations

import math

import numpy

from ..engine.node import Node
from ..layers import (Activation, Add, Average, AveragePooling1D, AveragePooling2D, AveragePooling3D,
                      BatchNormalization, Concatenate, Conv1D, Conv1DTranspose, Conv2D, Conv2DTranspose, Conv3D,
                      Conv3DTranspose, Cropping1D, Cropping2D, Cropping3D, Dense, DepthwiseConv1D,
                      DepthwiseConv2D, Dropout, Embedding, Flatten, InputLayer, Maximum, MaxPooling1D,
                      MaxPooling2D, MaxPooling3D, Minimum, Multiply, Permute, RepeatVector, Reshape,
                      SeparableConv1D, SeparableConv2D, Subtract, ZeroPadding1D, ZeroPadding2D, ZeroPadding3D)
from ..layers import (GlobalAveragePooling1D, GlobalAveragePooling2D, GlobalAveragePooling3D,
                      GlobalMaxPooling1D, GlobalMaxPooling2D, GlobalMaxPooling3D)
from ..layers.layer import LayerCall
from ..layers.structure import flatten

__all__ = ["layer_cost", "format_flops", "format_bytes", "total_lines", "check_batch_size"]

_POOLING = (MaxPooling1D, MaxPooling2D, MaxPooling3D, AveragePooling1D, AveragePooling2D, AveragePooling3D)
_GLOBAL_POOLING = (GlobalMaxPooling1D, GlobalMaxPooling2D, GlobalMaxPooling3D, GlobalAveragePooling1D,
                   GlobalAveragePooling2D, GlobalAveragePooling3D)
_ELEMENTWISE = (Add, Subtract, Multiply, Average, Maximum, Minimum)
_FREE = (InputLayer, Flatten, Reshape, Permute, RepeatVector, Dropout, Concatenate, Cropping1D, Cropping2D,
         Cropping3D, ZeroPadding1D, ZeroPadding2D, ZeroPadding3D, Embedding)
_ARITHMETIC = ("add", "subtract", "multiply", "divide", "true_divide", "maximum", "minimum")
_FREE_NAMES = ("Identity", "GaussianNoise", "GaussianDropout", "AlphaDropout", "SpatialDropout1D",
               "SpatialDropout2D", "SpatialDropout3D", "ActivityRegularization", "Masking")


def check_batch_size(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"flops_batch_size must be a positive integer (the batch size to count FLOPs and "
                         f"activation memory for), got {value!r}")
    return value


def _elements(shape, batch: int) -> int | None:
    """Elements of a tensor of ``shape`` (batch axis first) for a batch of ``batch``; None if unknown."""
    rest = tuple(shape)[1:]
    if any(size is None for size in rest):
        return None
    return batch * math.prod(rest)


def _bytes(node, batch) -> int | None:
    count = _elements(node.shape, batch)
    return None if count is None else count * node.dtype.itemsize


def _calls_shapes(layer, calls) -> list:
    """[(input shapes, output shapes)] of the layer's calls (output shapes only where nothing was recorded)."""
    if calls:
        return [([tuple(n.shape) for n in call.inputs], [tuple(n.shape) for n in call.flat_outputs])
                for call in calls]
    shape = getattr(layer, "_last_output_shape", None)
    if shape is None:
        return []
    outputs = [shape] if isinstance(shape, tuple) and all(s is None or isinstance(s, int) for s in shape) \
        else [tuple(s) for s in flatten(shape)]
    return [(None, outputs)]


def _is_recurrent(layer) -> bool:
    cell = getattr(layer, "cell", None)
    return getattr(cell, "kernel", None) is not None and getattr(cell, "recurrent_kernel", None) is not None


def _recurrent_flops(layer, input_shape, batch) -> int | None:
    """SimpleRNN/LSTM/GRU: every step multiplies the input by the kernel and the state by the
    recurrent kernel (all gates at once) and adds the bias; the gates' elementwise work is not counted."""
    if len(input_shape) < 3 or input_shape[1] is None:
        return None
    cell = layer.cell
    steps = batch * input_shape[1]
    kernel = math.prod(tuple(cell.kernel.shape))
    recurrent = math.prod(tuple(cell.recurrent_kernel.shape))
    bias = 0 if getattr(cell, "bias", None) is None else math.prod(tuple(cell.bias.shape))
    return steps * (2 * (kernel + recurrent) + bias)


def _flops_of_call(layer, inputs, outputs, batch) -> int | None:
    out = _elements(outputs[0], batch) if outputs else None
    if isinstance(layer, _FREE) or type(layer).__name__ in _FREE_NAMES or (
            isinstance(layer, Activation)):
        return 0
    if out is None:
        return None
    bias = out if getattr(layer, "use_bias", False) else 0
    if isinstance(layer, (Dense, Conv1D, Conv2D, Conv3D)):
        kernel = tuple(layer.kernel.shape)
        return 2 * out * math.prod(kernel[:-1]) + bias
    if isinstance(layer, (DepthwiseConv1D, DepthwiseConv2D)):
        return 2 * out * math.prod(tuple(layer.depthwise_kernel.shape)[:-2]) + bias
    if isinstance(layer, (SeparableConv1D, SeparableConv2D)):
        depthwise = tuple(layer.depthwise_kernel.shape)    # (*kernel, in, multiplier)
        pointwise = tuple(layer.pointwise_kernel.shape)    # (1, ..., in * multiplier, filters)
        filters = pointwise[-1]
        middle = out // filters * pointwise[-2]             # the depthwise output's elements
        return 2 * middle * math.prod(depthwise[:-2]) + 2 * out * pointwise[-2] + bias
    if inputs is None:
        return None
    first_in = _elements(inputs[0], batch) if inputs else None
    if _is_recurrent(layer):
        return _recurrent_flops(layer, inputs[0], batch)
    if type(layer).__name__ == "Bidirectional":
        halves = [_recurrent_flops(half, inputs[0], batch) if _is_recurrent(half) else None
                  for half in (layer.forward_layer, layer.backward_layer)]
        return None if None in halves else sum(halves)
    if isinstance(layer, (Conv1DTranspose, Conv2DTranspose, Conv3DTranspose)):
        if first_in is None:
            return None
        kernel = tuple(layer.kernel.shape)     # (*kernel, filters, in)
        return 2 * first_in * math.prod(kernel[:-1]) + bias
    if isinstance(layer, _POOLING):
        return out * math.prod(layer.pool_size)
    if isinstance(layer, _GLOBAL_POOLING):
        return first_in
    if isinstance(layer, BatchNormalization):
        return 2 * out
    if isinstance(layer, _ELEMENTWISE):
        return (len(inputs) - 1) * out
    return None


def _nested_cost(model, calls, batch) -> tuple:
    """A nested functional or Sequential model: the sum over its own graph, once per call."""
    totals = [0, 0]
    steps = {}
    for step in model._schedule:
        operation = step if isinstance(step, Node) else step.layer
        steps.setdefault(id(operation), (operation, []))[1].append(step)
    for operation, inner_calls in steps.values():
        for index, value in enumerate(layer_cost(operation, inner_calls, batch)):
            totals[index] = None if value is None or totals[index] is None else totals[index] + value
    times = max(len(calls), 1)
    return tuple(None if value is None else value * times for value in totals)


def layer_cost(operation, calls, batch: int) -> tuple:
    """(FLOPs or None, activation bytes or None) of an operation's calls in the model, for a batch."""
    if isinstance(operation, Node):           # a bare op applied to symbolic tensors
        flops = _elements(operation.shape, batch) if operation.op.name in _ARITHMETIC else None
        return flops, _bytes(operation, batch)
    if getattr(operation, "_schedule", None) is not None:
        return _nested_cost(operation, calls, batch)
    memory = 0
    for call in calls:
        for node in (call.flat_outputs if isinstance(call, LayerCall) else []):
            size = _bytes(node, batch)
            if size is None:
                memory = None
                break
            memory += size
        if memory is None:
            break
    shapes = _calls_shapes(operation, calls)
    if not calls:      # a subclassed model's layer: the shapes of its last (eager) call
        memory = None
        if shapes:
            sizes = [_elements(shape, batch) for shape in shapes[0][1]]
            itemsize = numpy.dtype(getattr(operation, "compute_dtype", None) or operation.dtype
                                   or "float32").itemsize
            if all(size is not None for size in sizes):
                memory = sum(sizes) * itemsize
    flops = 0
    for inputs, outputs in shapes or [(None, [])]:
        count = _flops_of_call(operation, inputs, outputs, batch)
        if count is None:
            flops = None
            break
        flops += count
    return flops, memory


def format_flops(value) -> str:
    return "?" if value is None else f"{value:,}"


def format_bytes(value) -> str:
    from .summary_keras3 import readable_memory_size
    return "?" if value is None else readable_memory_size(value)


def total_lines(costs, batch: int) -> list:
    """The two lines under the table: the FLOPs and the activation memory of all rows."""
    lines = []
    for label, index, show in (("Total FLOPs", 0, lambda v: f"{v:,}"),
                               ("Activation memory", 1, format_bytes)):
        known = [cost[index] for cost in costs if cost[index] is not None]
        missing = len(costs) - len(known)
        note = f", {missing} layer{'s' if missing > 1 else ''} not counted" if missing else ""
        lines.append(f"{label} (batch of {batch}{note}): {show(sum(known))}")
    return lines
