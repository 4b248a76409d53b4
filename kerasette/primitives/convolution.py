"""Convolutions as im2col through stride tricks plus one BLAS matmul.

Layouts are Keras': inputs ``(N, *spatial, C)`` (channels last) and kernels
``(*kernel_size, C_in / groups, C_out)``; spatial rank 1, 2 or 3.

The forward builds the patches of every output position as a strided *view*
of the (padded) input, ``(N, *out, *kernel_size, C)``, and contracts it with
the kernel in one matmul; BLAS needs the patches as one 2-d block, so that is
the only copy (the im2col matrix).  The two gradients are primitives of their
own, because the gradient rule may only call primitives:

* ``conv_backprop_input(grad, kernel, x_like)``: one matmul gives every
  patch's gradient, and a loop over the *kernel offsets* (not over pixels)
  adds them back onto the input (col2im);
* ``conv_backprop_kernel(x, grad, kernel_like)``: patches^T @ grad, one matmul.

All three are linear in each input, so each one's gradients are the other
two; ``conv_transpose`` (Keras' Conv2DTranspose) is ``conv_backprop_input``
with the output size computed from the attrs, and its gradients are ``conv``
and ``conv_backprop_kernel``.

Attrs shared by all of them: ``strides`` and ``dilation_rate`` (tuples, one
per spatial axis), ``padding`` ('valid', 'same' with TensorFlow's split, the
odd pixel going at the end, or 'causal' for rank 1: all padding before),
``groups`` (grouped convolution as Keras' ``groups``) and ``depthwise``
(the kernel is in Keras' depthwise layout ``(*kernel_size, C, multiplier)``;
it is then a grouped convolution with ``groups == C``).
"""
from __future__ import annotations

import functools
import itertools
import math

from .base import Primitive, ShapeError, Spec, format_shape, register, result_dtype
from .conv_rows import SINGLE_CHANNEL_COLUMNS, row_window_conv, row_window_kernel_gradient, use_column_blocks
from .linalg import gemm

PADDINGS = ("valid", "same", "causal")


# ------------------------------------------------------------------ geometry

def axis_geometry(size, kernel, stride, dilation, padding):
    """``(out, pad_before, pad_after)`` along one spatial axis (``None`` sizes allowed)."""
    span = (kernel - 1) * dilation + 1
    if padding == "causal":
        before = span - 1
        if size is None:
            return None, before, 0
        return (size - 1) // stride + 1, before, 0
    if size is None:
        return None, 0, 0
    if padding == "valid":
        return (size - span) // stride + 1 if size >= span else 0, 0, 0
    out = -(-size // stride)
    total = max((out - 1) * stride + span - size, 0)
    return out, total // 2, total - total // 2


def geometry(spatial, kernel_size, strides, dilation_rate, padding):
    """Per-axis output sizes and ``(before, after)`` paddings."""
    outs, pads = [], []
    for size, k, s, d in zip(spatial, kernel_size, strides, dilation_rate):
        out, before, after = axis_geometry(size, k, s, d, padding)
        outs.append(out)
        pads.append((before, after))
    return tuple(outs), tuple(pads)


def pad_spatial(xp, x, pads, value=0):
    if not any(before or after for before, after in pads):
        return x
    return xp.pad(x, ((0, 0),) + tuple(pads) + ((0, 0),), constant_values=value)


def crop_spatial(x, pads, spatial):
    if not any(before or after for before, after in pads):
        return x
    index = tuple(slice(before, before + size) for (before, _), size in zip(pads, spatial))
    return x[(slice(None),) + index + (slice(None),)]


def patches(xp, x, out, kernel_size, strides, dilation_rate):
    """Read-only view ``(N, *out, *kernel_size, C)`` of the padded input ``x``."""
    rank = len(kernel_size)
    step = x.strides
    shape = (x.shape[0],) + tuple(out) + tuple(kernel_size) + (x.shape[-1],)
    strides = ((step[0],)
               + tuple(step[1 + i] * strides[i] for i in range(rank))
               + tuple(step[1 + i] * dilation_rate[i] for i in range(rank))
               + (step[-1],))
    return xp.lib.stride_tricks.as_strided(x, shape, strides, writeable=False)


def offset_slices(kernel_size, strides, dilation_rate, out):
    """For each kernel offset, the index of the padded-input positions it touches.

    Cached: a training step asks for the same geometry every time, and the
    Python that builds it holds the GIL the other shard's thread waits on.
    """
    return _offset_slices(tuple(kernel_size), tuple(strides), tuple(dilation_rate), tuple(out))


@functools.lru_cache(maxsize=256)
def _offset_slices(kernel_size, strides, dilation_rate, out):
    result = []
    for offset in itertools.product(*(range(k) for k in kernel_size)):
        index = tuple(slice(o * d, o * d + s * (m - 1) + 1, s)
                      for o, s, d, m in zip(offset, strides, dilation_rate, out))
        result.append((offset, (slice(None),) + index + (slice(None),)))
    return tuple(result)


# ------------------------------------------------------------- the arithmetic
#
# Three ways to turn a convolution into BLAS calls, chosen per call:
#
# * im2col: copy the patches view into a (positions, taps * C) matrix and do
#   one matmul.  Any stride; best when C is small (the first layer of a CNN).
# * shifted rows (stride 1 only): flatten the padded input to rows
#   (N * padded positions, C).  A kernel tap at offset (i, j) reads the row
#   i * padded_width + j further on, so each tap's contribution is one matmul
#   on a *contiguous slice* of those rows: no im2col copy at all.  Outputs are
#   computed on the whole padded grid and the valid corner is kept (rows that
#   would wrap around an edge fall outside that corner).  This wins when C is
#   large enough for a tap's matmul to be efficient and the padded grid is not
#   much larger than the output.
# * row windows (2-d, stride 1, no dilation: the 3x3 'same' layers of a CNN):
#   with stride 1 the kw taps of one kernel row read kw * C *contiguous*
#   floats of the padded input, so the windows of a padded image row are a
#   strided view ``(padded rows, out_w, kw * C)`` and each kernel row is one
#   matmul with inner dimension kw * C (3x that of a shifted-rows tap: BLAS
#   runs it faster and the result is re-added kh times instead of kh * kw).
#   The rows are processed in blocks of about ROW_WINDOW_BLOCK output
#   positions: each block's windows are copied into one reused buffer small
#   enough to stay in the core's cache while its kh matmuls and adds run.
#   The input gradient is the same correlation of the padded output gradient
#   with the flipped kernel, the kernel gradient sums windows^T @ grad per
#   block.  Measured on W4's 3x3 layers (batch 32, one BLAS thread): 1.05-1.23x
#   the shifted rows per op (83-92 GFLOP/s a core; OpenBLAS itself reaches
#   ~110-120 on these matmul shapes), 1.2x at batch 64 with two BLAS threads.
#   The blocks cost a Python loop over ~N * H * W / 2048 blocks, never over
#   samples or pixels.  (Tried and slower on these shapes: one full im2col,
#   K = 9 * C; Winograd F(2x2, 3x3), whose numpy transform passes cost about
#   what its 2.25x fewer multiplies save; scipy's sgemm with beta = 1, which
#   holds the GIL and so serialises the two training shards.)

def kernel_groups(kernel_shape, groups, depthwise):
    """``(groups, in-channels per group, out-channels per group)`` from a kernel's shape."""
    if depthwise:
        return kernel_shape[-2], 1, kernel_shape[-1]
    return groups, kernel_shape[-2], kernel_shape[-1] // groups


#: the shifted-rows path needs this many input channels (measured: below it, im2col wins)
SHIFTED_ROWS_MIN_CHANNELS = 16
#: ... and a padded grid at most this much larger than the output
SHIFTED_ROWS_MAX_WASTE = 1.6


def use_shifted_rows(strides, channels, padded, out):
    return (all(s == 1 for s in strides) and channels >= SHIFTED_ROWS_MIN_CHANNELS
            and math.prod(padded) <= SHIFTED_ROWS_MAX_WASTE * math.prod(out))


def use_row_windows(strides, dilation_rate, in_channels, out_channels):
    # both sides wide: with few output channels (W1's second layer seen from
    # its input gradient: 20 -> 10) the per-tap paths measured faster
    return (len(strides) == 2 and all(s == 1 for s in strides)
            and all(d == 1 for d in dilation_rate)
            and min(in_channels, out_channels) >= SHIFTED_ROWS_MIN_CHANNELS)


def row_offsets(padded, kernel_size, dilation_rate):
    """How many rows of the flattened padded grid each kernel tap reads ahead."""
    steps = [math.prod(padded[i + 1:]) for i in range(len(padded))]
    return [sum(o * d * step for o, d, step in zip(offset, dilation_rate, steps))
            for offset in itertools.product(*(range(k) for k in kernel_size))]


def on_padded_grid(xp, grad, padded):
    """``grad`` (N, *out, C) written into the corner of zeros (N, *padded, C), as rows."""
    grid = xp.zeros((grad.shape[0],) + tuple(padded) + (grad.shape[-1],), dtype=grad.dtype)
    grid[(slice(None),) + tuple(slice(0, o) for o in grad.shape[1:-1])] = grad
    return grid.reshape(-1, grad.shape[-1])


def single_channel_columns(xp, padded_x, out, kernel_size, strides, dilation_rate):
    """im2col of a one-channel input laid out tap-major, ``(taps, N * out)``.

    One contiguous copy per tap: about twice as fast as copying the patches
    view, whose innermost run is only ``kernel_width`` elements long.
    """
    taps = math.prod(kernel_size)
    cols = xp.empty((taps, padded_x.shape[0]) + tuple(out) + (1,), dtype=padded_x.dtype)
    for tap, (_, index) in enumerate(offset_slices(kernel_size, strides, dilation_rate, out)):
        cols[tap] = padded_x[index]
    return cols.reshape(taps, -1)


def conv_forward(xp, x, kernel, strides, padding, dilation_rate, groups, depthwise):
    rank = x.ndim - 2
    kernel_size = kernel.shape[:rank]
    out, pads = geometry(x.shape[1:-1], kernel_size, strides, dilation_rate, padding)
    padded_x = pad_spatial(xp, x, pads)
    batch = x.shape[0]
    taps = math.prod(kernel_size)
    groups, per_in, per_out = kernel_groups(kernel.shape, groups, depthwise)
    padded = padded_x.shape[1:-1]
    if groups == 1 and use_row_windows(strides, dilation_rate, per_in, per_out):
        weights = kernel.reshape(kernel_size[0], -1, per_out)
        return row_window_conv(xp, padded_x, weights, out, xp.result_type(x, kernel))
    if groups == 1 and use_shifted_rows(strides, per_in, padded, out):
        rows = padded_x.reshape(-1, per_in)
        offsets = row_offsets(padded, kernel_size, dilation_rate)
        count = rows.shape[0] - offsets[-1]
        weights = kernel.reshape(taps, per_in, per_out)
        result = xp.zeros((rows.shape[0], per_out), dtype=xp.result_type(x, kernel))
        xp.matmul(rows[:count], weights[0], out=result[:count])
        for tap in range(1, taps):
            result[:count] += rows[offsets[tap]:offsets[tap] + count] @ weights[tap]
        result = result.reshape((batch,) + padded + (per_out,))
        return result[(slice(None),) + tuple(slice(0, o) for o in out)]
    if groups == 1 and per_in == 1 and use_column_blocks(kernel_size, strides, dilation_rate, per_out,
                                                         batch * math.prod(out)):
        weights = kernel.reshape(kernel_size[0], -1, per_out)
        return row_window_conv(xp, padded_x, weights, out, xp.result_type(x, kernel),
                               columns=SINGLE_CHANNEL_COLUMNS)
    if groups == 1 and per_in == 1:
        cols = single_channel_columns(xp, padded_x, out, kernel_size, strides, dilation_rate)
        result = cols.T @ kernel.reshape(taps, per_out)
        return result.reshape((batch,) + out + (per_out,))
    if groups == 1:
        return im2col_conv(xp, padded_x, kernel.reshape(taps * per_in, per_out), out, kernel_size, strides,
                           dilation_rate, xp.result_type(x, kernel))
    cols = patches(xp, padded_x, out, kernel_size, strides, dilation_rate)
    # grouped: one batched matmul with the group as the batch axis
    cols = cols.reshape((-1, taps, groups, per_in)).transpose(2, 0, 1, 3).reshape(groups, -1, taps * per_in)
    weights = kernel.reshape(taps, per_in, groups, per_out).transpose(2, 0, 1, 3).reshape(
        groups, taps * per_in, per_out)
    result = xp.matmul(cols, weights)                       # (groups, N*out, per_out)
    return result.transpose(1, 0, 2).reshape((batch,) + out + (groups * per_out,))


#: bytes of im2col columns copied at once: larger batches go through a reused buffer in slices
#: of samples (benchmarks/NOTES.md, session 7: W1's second layer on 512 samples 9.1 -> 5.9 ms,
#: on 1024 23.6 -> 11.9 ms; one slice, as before, up to twice this)
IM2COL_BYTES = 4 << 20


def im2col_conv(xp, padded_x, weights, out, kernel_size, strides, dilation_rate, dtype):
    """``conv`` as im2col and one matmul with ``weights`` (taps * C, C_out), slice by slice of
    samples for large batches: each slice's columns stay in cache for their product."""
    batch = padded_x.shape[0]
    positions = math.prod(out)
    inner, per_out = weights.shape
    per_slice = max(1, IM2COL_BYTES // (positions * inner * padded_x.itemsize))
    if batch <= 2 * per_slice:
        # the im2col copy happens in this reshape; the matmul is the one BLAS call
        cols = patches(xp, padded_x, out, kernel_size, strides, dilation_rate)
        result = cols.reshape(-1, inner) @ weights
        return result.reshape((batch,) + tuple(out) + (per_out,))
    result = xp.empty((batch * positions, per_out), dtype=dtype)
    buffer = xp.empty((per_slice,) + tuple(out) + tuple(kernel_size) + (padded_x.shape[-1],), dtype=padded_x.dtype)
    for start in range(0, batch, per_slice):
        stop = min(start + per_slice, batch)
        block = buffer[:stop - start]
        xp.copyto(block, patches(xp, padded_x[start:stop], out, kernel_size, strides, dilation_rate))
        xp.matmul(block.reshape(-1, inner), weights, out=result[start * positions:stop * positions])
    return result.reshape((batch,) + tuple(out) + (per_out,))


def conv_input_gradient(xp, grad, kernel, spatial, strides, padding, dilation_rate, groups, depthwise):
    """The gradient of ``conv`` with respect to an input of spatial size ``spatial``."""
    rank = grad.ndim - 2
    kernel_size = kernel.shape[:rank]
    out, pads = geometry(spatial, kernel_size, strides, dilation_rate, padding)
    if tuple(out) != tuple(grad.shape[1:-1]):
        raise ShapeError(f"conv_backprop_input: gradient shape {format_shape(grad.shape)} does not "
                         f"match the output size {out} of a convolution of spatial size {tuple(spatial)}")
    batch = grad.shape[0]
    taps = math.prod(kernel_size)
    groups, per_in, per_out = kernel_groups(kernel.shape, groups, depthwise)
    channels = groups * per_in
    padded = tuple(size + before + after for size, (before, after) in zip(spatial, pads))
    dtype = xp.result_type(grad, kernel)
    if groups == 1 and use_row_windows(strides, dilation_rate, per_out, per_in):
        # stride 1: the input gradient is the correlation of the gradient, padded by
        # kernel - 1 - pad on each side, with the kernel flipped and its channels swapped
        spans = [k - 1 for k in kernel_size]
        grad_pads = tuple((span - before, span - after) for span, (before, after) in zip(spans, pads))
        flipped = kernel[::-1, ::-1].swapaxes(-1, -2)
        weights = xp.ascontiguousarray(flipped).reshape(kernel_size[0], -1, per_in)
        # (with stride 1, 'valid' and 'same' never pad more than kernel - 1)
        return row_window_conv(xp, pad_spatial(xp, grad, grad_pads), weights, tuple(spatial), dtype)
    if groups == 1 and use_shifted_rows(strides, per_in, padded, out):
        rows = on_padded_grid(xp, grad, padded)
        offsets = row_offsets(padded, kernel_size, dilation_rate)
        count = rows.shape[0] - offsets[-1]
        weights = kernel.reshape(taps, per_in, per_out)
        result = xp.zeros((rows.shape[0], per_in), dtype=dtype)
        for tap, offset in enumerate(offsets):
            result[offset:offset + count] += rows[:count] @ weights[tap].T
        return crop_spatial(result.reshape((batch,) + padded + (per_in,)), pads, spatial)
    result = xp.zeros((batch,) + padded + (channels,), dtype=dtype)
    if groups == 1 and per_in >= 8:
        # one matmul per tap: each tap's gradient comes out contiguous for the add
        weights = kernel.reshape(taps, per_in, per_out)
        rows = grad.reshape(-1, per_out)
        shape = (batch,) + tuple(out) + (per_in,)
        for tap, (_, index) in enumerate(offset_slices(kernel_size, strides, dilation_rate, out)):
            result[index] += (rows @ weights[tap].T).reshape(shape)
        return crop_spatial(result, pads, spatial)
    if groups == 1 and per_in == 1:
        # tap-major, so that each tap's add reads a contiguous block
        cols = kernel.reshape(taps, per_out) @ grad.reshape(-1, per_out).T
        shape = (batch,) + tuple(out) + (1,)
        for tap, (_, index) in enumerate(offset_slices(kernel_size, strides, dilation_rate, out)):
            result[index] += cols[tap].reshape(shape)
        return crop_spatial(result, pads, spatial)
    if groups == 1:
        cols = grad.reshape(-1, per_out) @ kernel.reshape(taps * per_in, per_out).T
    else:
        weights = kernel.reshape(taps, per_in, groups, per_out).transpose(2, 3, 0, 1).reshape(
            groups, per_out, taps * per_in)
        cols = xp.matmul(grad.reshape(-1, groups, per_out).transpose(1, 0, 2), weights)
        cols = cols.reshape(groups, -1, taps, per_in).transpose(1, 2, 0, 3)
    cols = cols.reshape((batch,) + tuple(out) + tuple(kernel_size) + (channels,))
    lead = (slice(None),) * (1 + rank)
    # col2im: one vectorised add per kernel offset
    for offset, index in offset_slices(kernel_size, strides, dilation_rate, out):
        result[index] += cols[lead + offset]
    return crop_spatial(result, pads, spatial)


def conv_kernel_gradient(xp, x, grad, kernel_shape, strides, padding, dilation_rate, groups, depthwise):
    rank = x.ndim - 2
    kernel_size = tuple(kernel_shape[:rank])
    out, pads = geometry(x.shape[1:-1], kernel_size, strides, dilation_rate, padding)
    padded_x = pad_spatial(xp, x, pads)
    taps = math.prod(kernel_size)
    groups, per_in, per_out = kernel_groups(kernel_shape, groups, depthwise)
    padded = padded_x.shape[1:-1]
    if groups == 1 and use_row_windows(strides, dilation_rate, per_in, per_out):
        return row_window_kernel_gradient(xp, padded_x, grad, tuple(kernel_shape),
                                          xp.result_type(x, grad))
    if groups == 1 and use_shifted_rows(strides, per_in, padded, out):
        rows = padded_x.reshape(-1, per_in)
        grad_rows = on_padded_grid(xp, grad, padded)
        offsets = row_offsets(padded, kernel_size, dilation_rate)
        count = rows.shape[0] - offsets[-1]
        result = xp.empty((taps, per_in, per_out), dtype=xp.result_type(x, grad))
        for tap, offset in enumerate(offsets):
            gemm(xp, rows[offset:offset + count].T, grad_rows[:count], out=result[tap])
        return result.reshape(kernel_shape)
    if groups == 1 and per_in == 1 and use_column_blocks(kernel_size, strides, dilation_rate, per_out,
                                                         x.shape[0] * math.prod(out)):
        return row_window_kernel_gradient(xp, padded_x, grad, tuple(kernel_shape), xp.result_type(x, grad),
                                          columns=SINGLE_CHANNEL_COLUMNS)
    if groups == 1 and per_in == 1:
        cols = single_channel_columns(xp, padded_x, out, kernel_size, strides, dilation_rate)
        return gemm(xp, cols, grad.reshape(-1, per_out)).reshape(kernel_shape)
    cols = patches(xp, padded_x, out, kernel_size, strides, dilation_rate)
    if groups == 1:
        result = gemm(xp, cols.reshape(-1, taps * per_in).T, grad.reshape(-1, per_out))
        return result.reshape(kernel_shape)
    cols = cols.reshape(-1, taps, groups, per_in).transpose(2, 1, 3, 0).reshape(groups, taps * per_in, -1)
    result = xp.matmul(cols, grad.reshape(-1, groups, per_out).transpose(1, 0, 2))
    # (groups, taps, per_in, per_out) -> (*kernel_size, per_in, groups * per_out)
    result = result.reshape(groups, taps, per_in, per_out).transpose(1, 2, 0, 3)
    return result.reshape(kernel_shape)


# -------------------------------------------------------------- shape rules

def check_attrs(name, rank, strides, padding, dilation_rate):
    if rank not in (1, 2, 3):
        raise ShapeError(f"{name}: convolutions have 1, 2 or 3 spatial axes, got {rank}")
    if padding not in PADDINGS:
        raise ValueError(f"{name}: padding must be one of {PADDINGS}, got {padding!r}")
    if padding == "causal" and rank != 1:
        raise ValueError(f"{name}: 'causal' padding is only for 1-d convolutions")
    for label, values in (("strides", strides), ("dilation_rate", dilation_rate)):
        if len(values) != rank or any(v < 1 for v in values):
            raise ValueError(f"{name}: {label} must be {rank} positive ints, got {values}")


def conv_output_shape(name, x_shape, kernel_shape, strides, padding, dilation_rate, groups, depthwise):
    """Shape of ``conv(x, kernel)``, raising ShapeError naming both shapes."""
    x_shape, kernel_shape = tuple(x_shape), tuple(kernel_shape)
    both = f"input {format_shape(x_shape)} and kernel {format_shape(kernel_shape)}"
    if len(x_shape) != len(kernel_shape):
        raise ShapeError(f"{name}: {both} must have the same rank (batch, *spatial, channels) "
                         f"and (*kernel_size, in_channels, out_channels)")
    rank = len(x_shape) - 2
    check_attrs(name, rank, strides, padding, dilation_rate)
    if any(k is None for k in kernel_shape):
        raise ShapeError(f"{name}: kernel shape {format_shape(kernel_shape)} must be fully known")
    channels = x_shape[-1]
    groups_, per_in, per_out = kernel_groups(kernel_shape, groups, depthwise)
    if channels is not None and groups_ * per_in != channels:
        expected = f"{per_in} * groups={groups_}" if groups_ > 1 else f"{per_in}"
        raise ShapeError(f"{name}: {both}: the input has {channels} channels but the kernel "
                         f"expects {expected}")
    if not depthwise and kernel_shape[-1] % groups:
        raise ShapeError(f"{name}: {both}: the kernel's {kernel_shape[-1]} output channels are not "
                         f"divisible by groups={groups}")
    out, _ = geometry(x_shape[1:-1], kernel_shape[:rank], strides, dilation_rate, padding)
    if any(o is not None and o < 1 for o in out):
        raise ShapeError(f"{name}: {both}: the kernel (dilation {dilation_rate}) is larger than the "
                         f"input with padding {padding!r}")
    return (x_shape[0],) + out + (groups_ * per_out,)


def transpose_output_size(size, kernel, stride, dilation, padding, output_padding):
    """Keras' ``deconv_output_length``: the spatial size Conv*DTranspose produces."""
    if size is None:
        return None
    span = (kernel - 1) * dilation + 1
    if output_padding is None:
        if padding == "valid":
            return size * stride + max(span - stride, 0)
        return size * stride
    pad = span // 2 if padding == "same" else 0
    return (size - 1) * stride + span - 2 * pad + output_padding


class Convolution(Primitive):
    """Base of the three primitives sharing conv's attrs (strides, padding, ...)."""


@register
class Conv(Convolution):
    """``conv(x, kernel)``: N-d convolution (cross-correlation, like Keras)."""

    name = "conv"
    label = "Conv"

    def infer(self, x, kernel, strides, padding="valid", dilation_rate=None, groups=1, depthwise=False):
        dilation_rate = dilation_rate or (1,) * len(strides)
        shape = conv_output_shape(self.name, x.shape, kernel.shape, strides, padding,
                                  dilation_rate, groups, depthwise)
        return Spec(shape, result_dtype(x.dtype, kernel.dtype))

    def forward(self, xp, x, kernel, strides, padding="valid", dilation_rate=None, groups=1, depthwise=False):
        dilation_rate = dilation_rate or (1,) * len(strides)
        return conv_forward(xp, x, kernel, strides, padding, dilation_rate, groups, depthwise)

    def gradient(self, ops, inputs, output, grad, **attrs):
        return self.gradient_of((True, True), ops, inputs, output, grad, **attrs)

    def gradient_of(self, needed, ops, inputs, output, grad, **attrs):
        x, kernel = inputs
        return (ops.conv_backprop_input(grad, kernel, x, **attrs) if needed[0] else None,
                ops.conv_backprop_kernel(x, grad, kernel, **attrs) if needed[1] else None)


@register
class ConvBackpropInput(Convolution):
    """``conv_backprop_input(grad, kernel, x_like)``: d conv(x, kernel) / dx, applied to grad."""

    name = "conv_backprop_input"

    def infer(self, grad, kernel, x_like, strides, padding="valid", dilation_rate=None, groups=1,
              depthwise=False):
        dilation_rate = dilation_rate or (1,) * len(strides)
        expected = conv_output_shape(self.name, x_like.shape, kernel.shape, strides, padding,
                                     dilation_rate, groups, depthwise)
        check_same(self.name, "gradient", grad.shape, expected)
        return Spec(tuple(x_like.shape), result_dtype(grad.dtype, kernel.dtype))

    def forward(self, xp, grad, kernel, x_like, strides, padding="valid", dilation_rate=None, groups=1,
                depthwise=False):
        dilation_rate = dilation_rate or (1,) * len(strides)
        return conv_input_gradient(xp, grad, kernel, x_like.shape[1:-1], strides, padding,
                                   dilation_rate, groups, depthwise)

    def gradient(self, ops, inputs, output, grad, **attrs):
        return self.gradient_of((True, True, False), ops, inputs, output, grad, **attrs)

    def gradient_of(self, needed, ops, inputs, output, grad, **attrs):
        upstream, kernel, x_like = inputs
        return (ops.conv(grad, kernel, **attrs) if needed[0] else None,
                ops.conv_backprop_kernel(grad, upstream, kernel, **attrs) if needed[1] else None,
                None)


@register
class ConvBackpropKernel(Convolution):
    """``conv_backprop_kernel(x, grad, kernel_like)``: d conv(x, kernel) / dkernel, applied to grad."""

    name = "conv_backprop_kernel"

    def infer(self, x, grad, kernel_like, strides, padding="valid", dilation_rate=None, groups=1,
              depthwise=False):
        dilation_rate = dilation_rate or (1,) * len(strides)
        expected = conv_output_shape(self.name, x.shape, kernel_like.shape, strides, padding,
                                     dilation_rate, groups, depthwise)
        check_same(self.name, "gradient", grad.shape, expected)
        return Spec(tuple(kernel_like.shape), result_dtype(x.dtype, grad.dtype))

    def forward(self, xp, x, grad, kernel_like, strides, padding="valid", dilation_rate=None, groups=1,
                depthwise=False):
        dilation_rate = dilation_rate or (1,) * len(strides)
        return conv_kernel_gradient(xp, x, grad, kernel_like.shape, strides, padding,
                                    dilation_rate, groups, depthwise)

    def gradient(self, ops, inputs, output, grad, **attrs):
        return self.gradient_of((True, True, False), ops, inputs, output, grad, **attrs)

    def gradient_of(self, needed, ops, inputs, output, grad, **attrs):
        x, upstream, kernel_like = inputs
        return (ops.conv_backprop_input(upstream, grad, x, **attrs) if needed[0] else None,
                ops.conv(x, grad, **attrs) if needed[1] else None,
                None)


@register
class ConvTranspose(Primitive):
    """``conv_transpose(x, kernel)``: Keras' Conv*DTranspose, kernel ``(*k, out_channels, in_channels)``.

    It is the gradient of ``conv`` with respect to its input, for an input of
    the size Keras computes (``transpose_output_size``).
    """

    name = "conv_transpose"
    label = "conv2d_transpose"

    @staticmethod
    def output_spatial(x_shape, kernel_shape, strides, padding, output_padding, dilation_rate):
        rank = len(x_shape) - 2
        output_padding = output_padding or (None,) * rank
        return tuple(transpose_output_size(size, k, s, d, padding, p) for size, k, s, d, p in zip(
            x_shape[1:-1], kernel_shape[:rank], strides, dilation_rate, output_padding))

    def infer(self, x, kernel, strides, padding="valid", output_padding=None, dilation_rate=None):
        x_shape, kernel_shape = tuple(x.shape), tuple(kernel.shape)
        rank = len(x_shape) - 2
        dilation_rate = dilation_rate or (1,) * rank
        both = f"input {format_shape(x_shape)} and kernel {format_shape(kernel_shape)}"
        if len(x_shape) != len(kernel_shape):
            raise ShapeError(f"{self.name}: {both} must have the same rank")
        check_attrs(self.name, rank, strides, padding, dilation_rate)
        if padding == "causal":
            raise ValueError(f"{self.name}: padding must be 'valid' or 'same'")
        if x_shape[-1] is not None and x_shape[-1] != kernel_shape[-1]:
            raise ShapeError(f"{self.name}: {both}: the input has {x_shape[-1]} channels but the "
                             f"kernel (*kernel_size, out_channels, in_channels) expects {kernel_shape[-1]}")
        if output_padding is not None:
            if len(output_padding) != rank or any(p >= s for p, s in zip(output_padding, strides)):
                raise ValueError(f"{self.name}: output_padding {output_padding} must be {rank} ints, "
                                 f"each smaller than the strides {strides}")
        spatial = self.output_spatial(x_shape, kernel_shape, strides, padding, output_padding,
                                      dilation_rate)
        out, _ = geometry(spatial, kernel_shape[:rank], strides, dilation_rate, padding)
        if any(o is not None and o != size for o, size in zip(out, x_shape[1:-1])):
            raise ShapeError(f"{self.name}: {both}: output size {spatial} does not convolve back to "
                             f"the input's size with strides {strides} and padding {padding!r}")
        shape = (x_shape[0],) + spatial + (kernel_shape[-2],)
        return Spec(shape, result_dtype(x.dtype, kernel.dtype))

    def forward(self, xp, x, kernel, strides, padding="valid", output_padding=None, dilation_rate=None):
        dilation_rate = dilation_rate or (1,) * len(strides)
        spatial = self.output_spatial(x.shape, kernel.shape, strides, padding, output_padding,
                                      dilation_rate)
        return conv_input_gradient(xp, x, kernel, spatial, strides, padding, dilation_rate, 1, False)

    def gradient(self, ops, inputs, output, grad, **attrs):
        return self.gradient_of((True, True), ops, inputs, output, grad, **attrs)

    def gradient_of(self, needed, ops, inputs, output, grad, strides, padding="valid",
                    output_padding=None, dilation_rate=None):
        x, kernel = inputs
        attrs = dict(strides=strides, padding=padding,
                     dilation_rate=dilation_rate or (1,) * len(strides))
        # the output plays the part of conv's input, x that of conv's output
        return (ops.conv(grad, kernel, **attrs) if needed[0] else None,
                ops.conv_backprop_kernel(grad, x, kernel, **attrs) if needed[1] else None)


def check_same(name, what, shape, expected):
    if len(shape) != len(expected) or any(
            a is not None and b is not None and a != b for a, b in zip(shape, expected)):
        raise ShapeError(f"{name}: {what} shape {format_shape(shape)} does not match the "
                         f"convolution's output shape {format_shape(expected)}")
