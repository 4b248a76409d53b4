"""The row-windows path of 2-d stride-1 convolutions (split from ``convolution.py``).

With stride 1 and no dilation, the kw taps of one kernel row read kw * C
contiguous floats of a C-contiguous padded input, so a padded image row's
windows are a strided view ``(rows, out_w, kw * C)`` and each kernel row is
one matmul with inner dimension kw * C, run block by block through one reused
buffer (see the comment above ``kernel_groups`` in ``convolution.py`` for
when it is chosen and what it measured).

Column blocks (``columns`` = P > 1): a window then covers P neighbouring output
columns, (P + kw - 1) * C floats, and each kernel row is a block-Toeplitz
matrix ((P + kw - 1) * C, P * C_out) holding the kernel row P times, shifted
by C rows each time (``column_blocked``).  Its product writes P outputs of
C_out channels side by side: the (N, H, W / P, P * C_out) result is the
(N, H, W, C_out) layout itself.  For one input channel (a first layer on
grey images) the products are otherwise far too thin for BLAS ((rows, 5) @
(5, 10) per kernel row for W1); with P = 4, (rows / 4, 8) @ (8, 40) does
1.6x the multiplies and runs 1.1-1.8x faster (benchmarks/NOTES.md, session 7).
"""
from __future__ import annotations

from .linalg import gemm


#: output columns per window of a one-channel input's row-windows convolution
SINGLE_CHANNEL_COLUMNS = 4
#: ... for kernels at least this wide and at most this many output channels.  Measured at one
#: BLAS thread against convolution.py's tap-major im2col (benchmarks/NOTES.md, session 7): 5x5 and 7x7
#: kernels with 6-12 filters 1.1-2.5x faster (W1's first layer, 10 filters: 0.81 -> 0.75 ms at
#: batch 64, 8.5 -> 6.0 ms at 512); 3x3 kernels, or 16 filters and more, 1.3-2.6x slower
SINGLE_CHANNEL_MIN_WIDTH, SINGLE_CHANNEL_MAX_OUT = 5, 12
#: ... and at least this many output positions (batch x height x width): the blocks' loop
#: makes ~30 small products and adds per 2048 windows, Python that holds the GIL while a
#: training step's other shard waits; in W1's training shards of 64 samples (36,864
#: positions) no gain could be shown within the machine's drift; W1 inference's shards of
#: 512 samples: 25.6 -> 22.3 ms a call in one A/B, 25.0 -> 24.8 ms in a later, noisier one
#: (with im2col already in slices of samples)
SINGLE_CHANNEL_MIN_POSITIONS = 1 << 17


def use_column_blocks(kernel_size, strides, dilation_rate, out_channels, positions=SINGLE_CHANNEL_MIN_POSITIONS):
    """Whether a one-channel input convolves through column-blocked row windows (``positions``:
    the output positions, batch included)."""
    return (len(strides) == 2 and all(s == 1 for s in strides) and all(d == 1 for d in dilation_rate)
            and kernel_size[1] >= SINGLE_CHANNEL_MIN_WIDTH and out_channels <= SINGLE_CHANNEL_MAX_OUT
            and positions >= SINGLE_CHANNEL_MIN_POSITIONS)


#: output positions per block of the row-windows path (measured 1024-4096 alike; 2048 best)
ROW_WINDOW_BLOCK = 2048


def row_windows(xp, padded_x, out_width, columns=1):
    """Read-only view ``(N * padded_height, out_width / columns, span * C)`` of a C-contiguous
    padded input, ``span`` = kw + columns - 1 (``out_width`` a multiple of ``columns``).

    Element ``[r, w]`` is the span * C floats under a kernel row placed at padded
    image row ``r`` and output columns ``w * columns`` .. ``w * columns + columns - 1``
    (rows run across samples: the sample stride is padded_height image rows).
    """
    if not padded_x.flags.c_contiguous:     # the strides below assume rows laid end to end
        raise ValueError("row_windows needs a C-contiguous padded input (call xp.ascontiguousarray first)")
    batch, height, width, channels = padded_x.shape
    span = width - out_width + columns
    # strides from the shape: numpy calls an array with one channel C-contiguous whatever
    # that axis' stride (a transposed NCHW batch keeps the stride of its channel axis)
    item = padded_x.itemsize
    return xp.lib.stride_tricks.as_strided(
        padded_x, (batch * height, out_width // columns, span * channels),
        (width * channels * item, columns * channels * item, item), writeable=False)


def column_blocked(xp, weights, channels, columns):
    """Kernel rows ``(kh, kw * C, C_out)`` as block-Toeplitz matrices ``(kh, (kw + columns - 1)
    * C, columns * C_out)`` whose product with a ``row_windows(..., columns)`` window gives
    ``columns`` neighbouring outputs side by side."""
    if columns == 1:
        return weights
    kh, inner, per_out = weights.shape
    kw = inner // channels
    blocked = xp.zeros((kh, (kw + columns - 1) * channels, columns * per_out), dtype=weights.dtype)
    for p in range(columns):
        blocked[:, p * channels:(p + kw) * channels, p * per_out:(p + 1) * per_out] = weights
    return blocked


def row_blocks(lines, out_width):
    """``(start, stop)`` image-row ranges of about ROW_WINDOW_BLOCK output positions each."""
    step = max(1, ROW_WINDOW_BLOCK // out_width)
    return [(start, min(start + step, lines)) for start in range(0, lines, step)], step


def window_blocks(xp, padded_x, out_width, kh, blocks, step, columns=1):
    """``(start, stop, block)`` for each image-row range of ``blocks`` (``row_blocks``, which
    also gives ``step``): ``block`` is the windows of rows ``start`` .. ``stop + kh - 2``
    (what kernel rows 0 .. kh - 1 read for output lines ``start`` .. ``stop - 1``), copied
    into one buffer reused by every block, as ``((stop - start + kh - 1) * out_width / columns,
    span * C)`` (``row_windows``)."""
    windows = row_windows(xp, padded_x, out_width, columns)
    out_width //= columns
    inner = windows.shape[2]
    buffer = xp.empty((step + kh - 1, out_width, inner), dtype=padded_x.dtype)
    for start, stop in blocks:
        block = buffer[:stop - start + kh - 1]
        xp.copyto(block, windows[start:stop + kh - 1])
        yield start, stop, block.reshape(-1, inner)


def whole_column_blocks(xp, padded_x, out_width, columns):
    """``(padded_x, wide)``: the padded input C-contiguous, with zero columns on the right
    so that its ``wide`` output columns (``out_width`` rounded up to whole blocks of
    ``columns``) all have windows; the extra outputs are cropped by the caller."""
    wide = -(-out_width // columns) * columns
    if wide > out_width:
        padded_x = xp.pad(padded_x, ((0, 0), (0, 0), (0, wide - out_width), (0, 0)))
    return xp.ascontiguousarray(padded_x), wide


def row_window_conv(xp, padded_x, weights, out, dtype, columns=1):
    """Stride-1 2-d correlation of ``padded_x`` (N, Hp, Wp, C) with ``weights`` (kh, kw * C, C_out),
    ``columns`` output columns per window (module docstring).

    Returns ``(N, *out, C_out)``, a view of a grid ``(N, Hp, out_w, C_out)``
    whose rows past ``out[0]`` (which would mix two samples) are dropped.
    """
    out_h, out_w = out
    channels = padded_x.shape[-1]
    padded_x, wide = whole_column_blocks(xp, padded_x, out_w, columns)
    weights = column_blocked(xp, weights, channels, columns)
    batch, height = padded_x.shape[:2]
    kh, inner, per_out = weights.shape
    across = wide // columns                         # windows along a row
    lines = batch * height - (kh - 1)
    blocks, step = row_blocks(lines, across)
    result = xp.empty((batch * height, across, per_out), dtype=dtype)
    result[lines:] = 0        # rows never computed (cropped below); no garbage NaNs
    partial = xp.empty((step * across, per_out), dtype=dtype)
    for start, stop, block in window_blocks(xp, padded_x, wide, kh, blocks, step, columns):
        count = (stop - start) * across
        target = result[start:stop].reshape(count, per_out)
        xp.matmul(block[:count], weights[0], out=target)
        for row in range(1, kh):
            xp.matmul(block[row * across:row * across + count], weights[row], out=partial[:count])
            target += partial[:count]
    return result.reshape(batch, height, wide, per_out // columns)[:, :out_h, :out_w]


def row_window_kernel_gradient(xp, padded_x, grad, kernel_shape, dtype, columns=1):
    """``conv_backprop_kernel`` of ``row_window_conv``: per block, windows^T @ grad, summed.

    With column blocks, each kernel row's sum is ((kw + columns - 1) * C, columns * C_out):
    the kernel row's gradient is the sum of its ``columns`` shifted diagonal blocks, the
    transpose of how ``column_blocked`` lays the kernel out."""
    batch, height = padded_x.shape[:2]
    kh, kw, per_in, per_out = kernel_shape
    out_h, out_w = grad.shape[1:3]
    padded_x, wide = whole_column_blocks(xp, padded_x, out_w, columns)
    across = wide // columns
    inner = (kw + columns - 1) * per_in
    # the gradient on the same (N, Hp, wide) grid, zero on the rows and columns cropped away
    grid = xp.zeros((batch, height, wide, per_out), dtype=grad.dtype)
    grid[:, :out_h, :out_w] = grad
    grid = grid.reshape(batch * height, across, columns * per_out)
    lines = batch * height - (kh - 1)
    blocks, step = row_blocks(lines, across)
    result = xp.zeros((kh, inner, columns * per_out), dtype=dtype)
    partial = xp.empty((inner, columns * per_out), dtype=dtype)
    for start, stop, block in window_blocks(xp, padded_x, wide, kh, blocks, step, columns):
        count = (stop - start) * across
        rows = grid[start:stop].reshape(count, columns * per_out)
        for row in range(kh):
            # dot, not matmul: a product of at most 500 outputs keeps the GIL in matmul,
            # serialising the two shards of a training step (linalg.gemm)
            gemm(xp, block[row * across:row * across + count].T, rows, out=partial)
            result[row] += partial
    if columns == 1:
        return result.reshape(kernel_shape)
    result = result.reshape(kh, kw + columns - 1, per_in, columns, per_out)
    total = xp.array(result[:, :kw, :, 0])
    for p in range(1, columns):
        total += result[:, p:p + kw, :, p]
    return total
