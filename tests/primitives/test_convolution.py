"""Convolution primitives against a naive loop-over-positions reference, with gradient checks."""
import itertools

import numpy as np
import pytest

from kerasette.primitives import ShapeError, get
from kerasette.primitives.convolution import axis_geometry, transpose_output_size

from .harness import Case, check_case, random


def naive_padding(size, kernel, stride, dilation, padding):
    """TensorFlow's rule, written out again: 'same' puts the odd pixel at the end."""
    span = (kernel - 1) * dilation + 1
    if padding == "valid":
        return 0, 0
    if padding == "causal":
        return span - 1, 0
    out = -(-size // stride)
    total = max((out - 1) * stride + span - size, 0)
    return total // 2, total - total // 2


def naive_conv(x, kernel, strides, padding="valid", dilation_rate=None, groups=1, depthwise=False):
    """Loops over batch, output position and kernel offset; no stride tricks."""
    rank = x.ndim - 2
    dilation_rate = dilation_rate or (1,) * rank
    ksize = kernel.shape[:rank]
    if depthwise:
        channels, multiplier = kernel.shape[-2:]
        kernel = kernel.reshape(ksize + (1, channels * multiplier))
        groups = channels
    pads = [naive_padding(x.shape[1 + i], ksize[i], strides[i], dilation_rate[i], padding)
            for i in range(rank)]
    xp = np.pad(x, [(0, 0)] + pads + [(0, 0)])
    out_sizes = [(xp.shape[1 + i] - (ksize[i] - 1) * dilation_rate[i] - 1) // strides[i] + 1
                 for i in range(rank)]
    per_in = kernel.shape[-2]
    per_out = kernel.shape[-1] // groups
    result = np.zeros((x.shape[0], *out_sizes, kernel.shape[-1]))
    for position in itertools.product(*(range(o) for o in out_sizes)):
        for offset in itertools.product(*(range(k) for k in ksize)):
            source = tuple(p * s + o * d for p, s, o, d in zip(position, strides, offset, dilation_rate))
            pixel = xp[(slice(None),) + source]             # (N, C)
            for g in range(groups):
                block = pixel[:, g * per_in:(g + 1) * per_in] @ kernel[offset][:, g * per_out:(g + 1) * per_out]
                result[(slice(None),) + position + (slice(g * per_out, (g + 1) * per_out),)] += block
    return result


def conv_case(x_shape, kernel_shape, strides, padding="valid", dilation_rate=None, groups=1,
              depthwise=False, id=""):
    rank = len(x_shape) - 2
    attrs = dict(strides=strides, padding=padding, dilation_rate=dilation_rate or (1,) * rank,
                 groups=groups, depthwise=depthwise)
    x, kernel = random(x_shape, 0), random(kernel_shape, 1)
    cases = [Case("conv", [x, kernel], attrs, expected=lambda a, b: naive_conv(a, b, **attrs),
                  id=f"conv-{id}")]
    y = naive_conv(x, kernel, **attrs)
    grad = random(y.shape, 2)
    cases.append(Case("conv_backprop_input", [grad, kernel, x], attrs, no_grad=(2,),
                      id=f"conv_backprop_input-{id}"))
    cases.append(Case("conv_backprop_kernel", [x, grad, kernel], attrs, no_grad=(2,),
                      id=f"conv_backprop_kernel-{id}"))
    return cases


CONV_CASES = [
    conv_case((2, 7, 3), (3, 3, 2), (1,), id="1d-valid"),
    conv_case((2, 8, 2), (3, 2, 3), (2,), "same", id="1d-same-stride2"),
    conv_case((2, 7, 2), (2, 2, 2), (1,), "causal", (2,), id="1d-causal-dilated"),
    conv_case((1, 9, 1), (4, 1, 2), (3,), "causal", id="1d-causal-stride3"),
    conv_case((2, 5, 6, 2), (3, 3, 2, 3), (1, 1), id="2d-valid"),
    conv_case((2, 5, 6, 2), (3, 2, 2, 3), (1, 1), "same", id="2d-same-even-kernel"),
    conv_case((2, 7, 6, 2), (3, 3, 2, 2), (2, 2), "same", id="2d-same-stride2-odd"),
    conv_case((1, 8, 7, 2), (2, 3, 2, 2), (3, 2), "valid", id="2d-valid-stride-leftover"),
    conv_case((2, 7, 7, 1), (3, 2, 1, 2), (1, 1), "same", (2, 3), id="2d-same-dilated"),
    conv_case((1, 7, 8, 2), (2, 2, 2, 2), (1, 1), "valid", (3, 2), id="2d-valid-dilated"),
    conv_case((2, 5, 5, 4), (3, 3, 2, 4), (1, 1), "same", groups=2, id="2d-groups2"),
    conv_case((2, 5, 6, 3), (3, 3, 3, 2), (1, 1), "valid", depthwise=True, id="2d-depthwise"),
    conv_case((1, 7, 6, 2), (3, 3, 2, 1), (2, 2), "same", (1, 1), depthwise=True,
              id="2d-depthwise-stride2"),
    # 16 input but 2 output channels: not the row-windows path (it needs both sides
    # wide); the forward and kernel gradient take the shifted rows
    conv_case((1, 4, 5, 16), (3, 3, 16, 2), (1, 1), "same", id="2d-same-shifted-rows"),
    # ... and of all three, 'same' and 'valid'
    conv_case((1, 4, 5, 16), (3, 3, 16, 16), (1, 1), "same", id="2d-same-row-windows"),
    conv_case((2, 5, 4, 16), (2, 3, 16, 16), (1, 1), "valid", id="2d-valid-row-windows"),
    # enough channels for the shifted-rows path (stride 1, dilated) and the per-tap input gradient
    conv_case((1, 6, 5, 16), (2, 2, 16, 2), (1, 1), "same", (2, 1), id="2d-same-dilated-shifted-rows"),
    conv_case((2, 7, 16), (3, 16, 2), (1,), "causal", (2,), id="1d-causal-shifted-rows"),
    conv_case((1, 5, 5, 8), (3, 3, 8, 2), (2, 2), "same", id="2d-stride2-per-tap"),
    conv_case((1, 4, 5, 3, 2), (2, 3, 2, 2, 2), (1, 1, 1), id="3d-valid"),
    conv_case((1, 3, 4, 3, 16), (2, 2, 2, 16, 1), (1, 1, 1), "same", id="3d-same-shifted-rows"),
    conv_case((1, 4, 4, 5, 1), (3, 2, 3, 1, 2), (2, 1, 2), "same", id="3d-same-strided"),
]


def naive_conv_transpose(x, kernel, strides, padding="valid", output_padding=None, dilation_rate=None):
    """Scatter every input pixel through the kernel onto the full output, then crop like TF."""
    rank = x.ndim - 2
    dilation_rate = dilation_rate or (1,) * rank
    ksize = kernel.shape[:rank]
    spatial = x.shape[1:-1]
    full = [(n - 1) * s + (k - 1) * d + 1 for n, s, k, d in zip(spatial, strides, ksize, dilation_rate)]
    result = np.zeros((x.shape[0], *full, kernel.shape[-2]))
    for position in itertools.product(*(range(n) for n in spatial)):
        for offset in itertools.product(*(range(k) for k in ksize)):
            target = tuple(p * s + o * d for p, s, o, d in zip(position, strides, offset, dilation_rate))
            result[(slice(None),) + target] += x[(slice(None),) + position] @ kernel[offset].T
    out = [transpose_output_size(n, k, s, d, padding, None if output_padding is None else p)
           for n, k, s, d, p in zip(spatial, ksize, strides, dilation_rate, output_padding or spatial)]
    index = [slice(None)]
    for axis, size in enumerate(out):
        before, _ = naive_padding(size, ksize[axis], strides[axis], dilation_rate[axis], padding)
        if before + size > result.shape[1 + axis]:
            widths = [(0, 0)] * result.ndim
            widths[1 + axis] = (0, before + size - result.shape[1 + axis])
            result = np.pad(result, widths)
        index.append(slice(before, before + size))
    return result[tuple(index)]


def transpose_case(x_shape, kernel_shape, strides, padding="valid", output_padding=None,
                   dilation_rate=None, id=""):
    rank = len(x_shape) - 2
    attrs = dict(strides=strides, padding=padding, output_padding=output_padding,
                 dilation_rate=dilation_rate or (1,) * rank)
    return Case("conv_transpose", [random(x_shape, 3), random(kernel_shape, 4)], attrs,
                expected=lambda a, b: naive_conv_transpose(a, b, **attrs), id=f"conv_transpose-{id}")


TRANSPOSE_CASES = [
    transpose_case((2, 3, 4, 2), (3, 3, 3, 2), (1, 1), id="valid"),
    transpose_case((2, 3, 3, 2), (3, 3, 2, 2), (2, 2), "same", id="same-stride2"),
    transpose_case((1, 3, 4, 2), (2, 3, 2, 2), (2, 3), "valid", id="valid-kernel-smaller-than-stride"),
    transpose_case((1, 3, 3, 1), (3, 2, 2, 1), (2, 2), "same", (1, 1), id="same-output-padding"),
    transpose_case((1, 3, 4, 2), (2, 2, 1, 2), (1, 1), "valid", None, (2, 2), id="valid-dilated"),
    transpose_case((2, 5, 2), (3, 2, 2), (2,), "valid", id="1d"),
]

CASES = [case for group in CONV_CASES for case in group] + TRANSPOSE_CASES


@pytest.mark.parametrize("case", CASES, ids=str)
def test_primitive(case):
    check_case(case)


@pytest.mark.parametrize("size,kernel,stride,dilation,padding,expected", [
    (28, 5, 1, 1, "valid", (24, 0, 0)),
    (28, 5, 1, 1, "same", (28, 2, 2)),
    (7, 2, 2, 1, "same", (4, 0, 1)),        # total 1: the extra pixel at the end, like TF
    (8, 3, 2, 1, "same", (4, 0, 1)),
    (10, 3, 1, 2, "causal", (10, 4, 0)),
    (9, 3, 3, 1, "valid", (3, 0, 0)),
    (None, 3, 1, 1, "same", (None, 0, 0)),
])
def test_geometry(size, kernel, stride, dilation, padding, expected):
    assert axis_geometry(size, kernel, stride, dilation, padding) == expected


def test_kernel_channel_mismatch_names_both_shapes():
    x = np.zeros((2, 5, 5, 3), np.float32)
    kernel = np.zeros((3, 3, 4, 8), np.float32)
    with pytest.raises(ShapeError, match=r"conv: input \(2, 5, 5, 3\) and kernel \(3, 3, 4, 8\)"):
        get("conv").infer(x, kernel, strides=(1, 1), padding="valid", dilation_rate=(1, 1))


def test_kernel_larger_than_input_is_a_shape_error():
    x = np.zeros((1, 2, 2, 1), np.float32)
    with pytest.raises(ShapeError, match="larger than the input"):
        get("conv").infer(x, np.zeros((3, 3, 1, 1), np.float32), strides=(1, 1))


def test_shifted_rows_and_im2col_agree():
    from kerasette.primitives import convolution
    x, kernel = random((2, 16, 16, 32)).astype(np.float32), random((3, 3, 32, 5), 1).astype(np.float32)
    attrs = dict(strides=(1, 1), padding="same", dilation_rate=(1, 2))
    assert convolution.use_shifted_rows((1, 1), 32, (18, 20), (16, 16))
    y = get("conv").forward(np, x, kernel, **attrs)
    g = random(y.shape, 2).astype(np.float32)
    fast = [y, get("conv_backprop_input").forward(np, g, kernel, x, **attrs),
            get("conv_backprop_kernel").forward(np, x, g, kernel, **attrs)]
    previous = convolution.SHIFTED_ROWS_MIN_CHANNELS
    convolution.SHIFTED_ROWS_MIN_CHANNELS = 10**9
    try:
        slow = [get("conv").forward(np, x, kernel, **attrs),
                get("conv_backprop_input").forward(np, g, kernel, x, **attrs),
                get("conv_backprop_kernel").forward(np, x, g, kernel, **attrs)]
    finally:
        convolution.SHIFTED_ROWS_MIN_CHANNELS = previous
    for a, b in zip(fast, slow):
        assert a.dtype == np.float32
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-4)


def test_float32_stays_float32():
    x = random((2, 6, 6, 3)).astype(np.float32)
    kernel = random((3, 3, 3, 4), 1).astype(np.float32)
    attrs = dict(strides=(2, 2), padding="same", dilation_rate=(1, 1))
    y = get("conv").forward(np, x, kernel, **attrs)
    assert y.dtype == np.float32
    assert get("conv_backprop_input").forward(np, y, kernel, x, **attrs).dtype == np.float32
    assert get("conv_backprop_kernel").forward(np, x, y, kernel, **attrs).dtype == np.float32


@pytest.mark.parametrize("x_shape, kernel_shape, padding, dtype", [
    ((2, 16, 16, 32), (3, 3, 32, 16), "same", np.float32),
    ((3, 7, 9, 16), (3, 3, 16, 17), "same", np.float32),
    ((2, 6, 11, 16), (2, 4, 16, 16), "same", np.float64),     # even kernel: odd pixel padded at the end
    ((1, 9, 5, 20), (5, 3, 20, 18), "valid", np.float64),
    ((2, 40, 70, 16), (3, 3, 16, 16), "same", np.float32),   # several row blocks
])
def test_row_windows_agree_with_im2col(x_shape, kernel_shape, padding, dtype):
    from kerasette.primitives import convolution
    x = random(x_shape).astype(dtype)
    kernel = random(kernel_shape, 1).astype(dtype)
    attrs = dict(strides=(1, 1), padding=padding, dilation_rate=(1, 1))
    assert convolution.use_row_windows((1, 1), (1, 1), x_shape[-1], kernel_shape[-1])
    y = get("conv").forward(np, x, kernel, **attrs)
    g = random(y.shape, 2).astype(dtype)
    fast = [y, get("conv_backprop_input").forward(np, g, kernel, x, **attrs),
            get("conv_backprop_kernel").forward(np, x, g, kernel, **attrs)]
    previous = convolution.SHIFTED_ROWS_MIN_CHANNELS
    convolution.SHIFTED_ROWS_MIN_CHANNELS = 10**9
    try:
        slow = [get("conv").forward(np, x, kernel, **attrs),
                get("conv_backprop_input").forward(np, g, kernel, x, **attrs),
                get("conv_backprop_kernel").forward(np, x, g, kernel, **attrs)]
    finally:
        convolution.SHIFTED_ROWS_MIN_CHANNELS = previous
    np.testing.assert_allclose(fast[0], naive_conv(x.astype(np.float64), kernel.astype(np.float64),
                                                   (1, 1), padding), rtol=1e-4, atol=1e-4)
    tolerance = 1e-4 if dtype == np.float32 else 1e-10
    for a, b in zip(fast, slow):
        assert a.dtype == dtype and a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=tolerance, atol=tolerance)


def test_row_windows_need_wide_inputs_and_outputs():
    from kerasette.primitives import convolution
    assert convolution.use_row_windows((1, 1), (1, 1), 32, 64)
    # W1's second layer (10 -> 20) and its input gradient (20 -> 10) keep the per-tap paths
    assert not convolution.use_row_windows((1, 1), (1, 1), 10, 20)
    assert not convolution.use_row_windows((1, 1), (1, 1), 20, 10)
    assert not convolution.use_row_windows((2, 2), (1, 1), 32, 32)


@pytest.mark.parametrize("x_shape, kernel_shape, padding, dtype", [
    ((4, 28, 28, 1), (5, 5, 1, 10), "valid", np.float32),     # W1's first layer: 24 columns, 6 blocks of 4
    ((3, 13, 27, 1), (5, 5, 1, 6), "valid", np.float64),      # 23 columns: the last block padded and cropped
    ((2, 11, 10, 1), (7, 5, 1, 12), "same", np.float32),      # 'same' padding, 10 columns
    ((5, 9, 6, 1), (3, 7, 1, 8), "same", np.float64),         # a kernel wider than tall
    ((40, 30, 30, 1), (5, 5, 1, 10), "same", np.float32),     # several row blocks
])
def test_column_blocked_row_windows_for_one_input_channel(monkeypatch, x_shape, kernel_shape, padding, dtype):
    from kerasette.primitives import conv_rows
    monkeypatch.setattr(conv_rows, "SINGLE_CHANNEL_MIN_POSITIONS", 0)     # these batches are small
    x = random(x_shape).astype(dtype)
    kernel = random(kernel_shape, 1).astype(dtype)
    attrs = dict(strides=(1, 1), padding=padding, dilation_rate=(1, 1))
    assert conv_rows.use_column_blocks(kernel_shape[:2], (1, 1), (1, 1), kernel_shape[-1])
    fast = get("conv").forward(np, x, kernel, **attrs)
    g = random(fast.shape, 2).astype(dtype)
    fast_kernel = get("conv_backprop_kernel").forward(np, x, g, kernel, **attrs)
    previous = conv_rows.SINGLE_CHANNEL_MAX_OUT
    conv_rows.SINGLE_CHANNEL_MAX_OUT = 0
    try:
        slow = get("conv").forward(np, x, kernel, **attrs)
        slow_kernel = get("conv_backprop_kernel").forward(np, x, g, kernel, **attrs)
    finally:
        conv_rows.SINGLE_CHANNEL_MAX_OUT = previous
    expected = naive_conv(x.astype(np.float64), kernel.astype(np.float64), (1, 1), padding)
    assert fast.dtype == dtype and fast.shape == expected.shape == slow.shape
    tolerance = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(fast, expected, rtol=tolerance, atol=tolerance)
    np.testing.assert_allclose(fast, slow, rtol=tolerance, atol=tolerance)
    # the kernel gradient: sum over positions of the input window times the output gradient
    assert fast_kernel.dtype == dtype and fast_kernel.shape == kernel.shape
    np.testing.assert_allclose(fast_kernel, slow_kernel, rtol=10 * tolerance, atol=10 * tolerance)
    probe = random(kernel.shape, 3)
    # <d conv / d kernel applied to g, probe> = <g, conv(x, probe)>: the adjoint identity
    lhs = float((fast_kernel.astype(np.float64) * probe).sum())
    rhs = float((g.astype(np.float64) * naive_conv(x.astype(np.float64), probe, (1, 1), padding)).sum())
    assert abs(lhs - rhs) <= 1e-4 * max(1.0, abs(rhs))


def test_column_blocks_only_where_they_measured_faster():
    from kerasette.primitives import conv_rows
    assert conv_rows.use_column_blocks((5, 5), (1, 1), (1, 1), 10)
    assert conv_rows.use_column_blocks((5, 5), (1, 1), (1, 1), 10, 512 * 24 * 24)   # W1 inference's shard
    assert not conv_rows.use_column_blocks((5, 5), (1, 1), (1, 1), 10, 64 * 24 * 24)   # W1 train's shard
    assert not conv_rows.use_column_blocks((3, 3), (1, 1), (1, 1), 10)     # 3x3: slower
    assert not conv_rows.use_column_blocks((5, 5), (1, 1), (1, 1), 16)     # 16 filters: slower
    assert not conv_rows.use_column_blocks((5, 5), (2, 2), (1, 1), 10)
    assert not conv_rows.use_column_blocks((5, 5), (1, 1), (2, 2), 10)


def test_column_blocked_weights_repeat_the_kernel_row_shifted():
    from kerasette.primitives.conv_rows import column_blocked
    weights = np.arange(2 * 3 * 2 * 4, dtype=np.float32).reshape(2, 3 * 2, 4)    # kh 2, kw 3, C 2, C_out 4
    blocked = column_blocked(np, weights, channels=2, columns=3)
    assert blocked.shape == (2, (3 + 2) * 2, 3 * 4)
    for p in range(3):
        np.testing.assert_array_equal(blocked[:, 2 * p:2 * p + 6, 4 * p:4 * p + 4], weights)
        outside = np.ones(blocked.shape[1], bool)
        outside[2 * p:2 * p + 6] = False
        assert not blocked[:, outside, 4 * p:4 * p + 4].any()


def test_column_blocks_read_a_one_channel_batch_transposed_from_nchw(monkeypatch):
    # numpy calls such a view C-contiguous (its one channel's stride is ignored): the
    # windows must not take that stride for the channel axis
    from kerasette.primitives import conv_rows
    monkeypatch.setattr(conv_rows, "SINGLE_CHANNEL_MIN_POSITIONS", 0)
    nchw = random((3, 1, 16, 16)).astype(np.float32)      # 12 output columns: 3 blocks, no padding
    x = nchw.transpose(0, 2, 3, 1)
    assert x.flags.c_contiguous and x.strides[-1] != x.itemsize
    kernel = random((5, 5, 1, 10), 1).astype(np.float32)
    got = get("conv").forward(np, x, kernel, strides=(1, 1), padding="valid", dilation_rate=(1, 1))
    expected = naive_conv(x.astype(np.float64), kernel.astype(np.float64), (1, 1), "valid")
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("x_shape, kernel_shape, padding, strides", [
    ((13, 12, 12, 10), (5, 5, 10, 20), "valid", (1, 1)),     # W1's second layer
    ((9, 9, 11, 3), (3, 3, 3, 5), "same", (2, 1)),
    ((7, 10, 4), (4, 4, 6), "same", (1,)),                   # 1-d
])
def test_im2col_in_slices_of_samples_gives_the_same_numbers(monkeypatch, x_shape, kernel_shape, padding, strides):
    from kerasette.primitives import convolution
    x = random(x_shape).astype(np.float32)
    kernel = random(kernel_shape, 1).astype(np.float32)
    attrs = dict(strides=strides, padding=padding, dilation_rate=(1,) * len(strides))
    whole = get("conv").forward(np, x, kernel, **attrs)
    columns_per_sample = 4 * np.prod(whole.shape[1:-1]) * np.prod(kernel_shape[:-1])
    monkeypatch.setattr(convolution, "IM2COL_BYTES", int(2 * columns_per_sample))   # slices of 2 samples
    sliced = get("conv").forward(np, x, kernel, **attrs)
    assert sliced.shape == whole.shape and sliced.dtype == np.float32
    np.testing.assert_allclose(sliced, whole, rtol=1e-5, atol=1e-5)     # BLAS may block rows differently
    expected = naive_conv(x.astype(np.float64), kernel.astype(np.float64), strides, padding)
    np.testing.assert_allclose(sliced, expected, rtol=1e-4, atol=1e-4)
