"""Convolution and pooling against PyTorch, forward and backward (skipped without torch)."""
import numpy as np
import pytest

import kerasette.ops as ops
from kerasette.eager import Tensor

from tests.primitives.test_convolution import naive_conv_transpose, naive_padding
from tests.ops.test_convolution import rand

# ------------------------------------------------------------ PyTorch parity

torch = pytest.importorskip("torch")
F = torch.nn.functional


def torch_pad(x_nc, kernel_size, strides, dilation, padding):
    """TF padding on a channels-first torch tensor (asymmetric for 'same')."""
    widths = []
    for axis in reversed(range(len(kernel_size))):
        widths += naive_padding(x_nc.shape[2 + axis], kernel_size[axis], strides[axis], dilation[axis], padding)
    return F.pad(x_nc, widths)


def to_torch(array):
    return torch.tensor(np.asarray(array), requires_grad=True)


def channels_first(x):
    return x.permute(0, x.ndim - 1, *range(1, x.ndim - 1))


def channels_last(x):
    return x.permute(0, *range(2, x.ndim), 1)


def kernel_to_torch(kernel):
    # Keras (*k, in, out) -> torch (out, in, *k)
    rank = kernel.ndim - 2
    return kernel.permute(rank + 1, rank, *range(rank))


def compare(ours_fn, torch_fn, arrays, out_seed=9):
    """Forward and backward (of sum(y * g)) in float32, ours vs torch."""
    tensors = [Tensor(a, requires_grad=True) for a in arrays]
    ours = ours_fn(*tensors)
    reference_inputs = [to_torch(a) for a in arrays]
    reference = torch_fn(*reference_inputs)
    assert ours.shape == tuple(reference.shape)
    np.testing.assert_allclose(ours.numpy(), reference.detach().numpy(), rtol=1e-4, atol=1e-4)
    g = rand(ours.shape, out_seed)
    ours.backward(g)
    reference.backward(torch.tensor(g))
    for tensor, torch_tensor in zip(tensors, reference_inputs):
        assert tensor.grad.dtype == np.float32
        np.testing.assert_allclose(tensor.grad.numpy(), torch_tensor.grad.numpy(), rtol=1e-4, atol=1e-4)


CONV_PARITY = [
    ((4, 20, 3), (5, 3, 6), 1, "valid", 1),
    ((4, 21, 3), (4, 3, 6), 2, "same", 1),
    ((4, 20, 3), (3, 3, 6), 1, "causal", 3),
    ((8, 28, 28, 1), (5, 5, 1, 10), 1, "valid", 1),
    ((8, 12, 12, 10), (5, 5, 10, 20), 1, "valid", 1),
    ((4, 15, 14, 6), (3, 3, 6, 8), 2, "same", 1),
    ((4, 16, 15, 4), (4, 3, 4, 5), (2, 3), "same", 1),
    ((4, 17, 16, 4), (3, 3, 4, 5), 1, "same", (2, 3)),
    ((4, 17, 16, 4), (3, 2, 4, 5), (2, 1), "valid", 2),
    ((4, 10, 11, 32), (3, 3, 32, 16), 1, "same", 1),
    ((4, 10, 11, 24), (3, 3, 24, 8), 1, "same", (2, 1)),
    ((4, 20, 16), (3, 16, 8), 1, "causal", 2),
    ((4, 9, 9, 8), (3, 3, 8, 4), 2, "same", 1),
    ((2, 7, 8, 9, 3), (3, 3, 2, 3, 4), (2, 1, 2), "same", 1),
    ((2, 5, 6, 7, 16), (3, 3, 3, 16, 4), 1, "same", 1),
    ((2, 7, 8, 9, 3), (2, 2, 2, 3, 4), 1, "valid", (1, 2, 2)),
]


@pytest.mark.parametrize("x_shape,k_shape,strides,padding,dilation", CONV_PARITY, ids=str)
def test_conv_matches_torch(x_shape, k_shape, strides, padding, dilation):
    rank = len(x_shape) - 2
    strides_t = (strides,) * rank if isinstance(strides, int) else strides
    dilation_t = (dilation,) * rank if isinstance(dilation, int) else dilation
    torch_conv = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}[rank]

    def reference(x, kernel):
        padded = torch_pad(channels_first(x), k_shape[:rank], strides_t, dilation_t, padding)
        return channels_last(torch_conv(padded, kernel_to_torch(kernel), stride=strides_t, dilation=dilation_t))

    compare(lambda x, k: ops.conv(x, k, strides, padding, dilation_rate=dilation), reference,
            [rand(x_shape), rand(k_shape, 1)])


TRANSPOSE_PARITY = [
    ((4, 7, 6, 3), (3, 3, 5, 3), 2, "same", None),
    ((4, 7, 6, 3), (3, 3, 5, 3), 2, "valid", None),
    ((4, 7, 6, 3), (4, 4, 5, 3), 2, "same", None),
    ((4, 5, 6, 3), (2, 2, 5, 3), 3, "valid", None),
    ((4, 5, 6, 3), (3, 3, 2, 3), 1, "same", None),
    ((4, 5, 6, 3), (3, 3, 2, 3), 2, "same", 1),
]


@pytest.mark.parametrize("x_shape,k_shape,strides,padding,output_padding", TRANSPOSE_PARITY, ids=str)
def test_conv2d_transpose_matches_torch(x_shape, k_shape, strides, padding, output_padding):
    # torch gives the full (uncropped) output; TF/Keras crops it: compare on Keras' crop of it
    ours = ops.conv2d_transpose(rand(x_shape), rand(k_shape, 1), strides, padding, output_padding)
    spatial = ours.shape[1:3]

    def reference(x, kernel):
        weight = kernel.permute(3, 2, 0, 1)          # (kh, kw, out, in) -> (in, out, kh, kw)
        full = channels_last(F.conv_transpose2d(channels_first(x), weight, stride=strides))
        index = [slice(None)]
        for axis, size in enumerate(spatial):
            before, _ = naive_padding(size, k_shape[axis], strides, 1, padding)
            extra = before + size - full.shape[1 + axis]
            if extra > 0:
                widths = [0, 0] * (3 - axis - 1) + [0, extra]
                full = F.pad(full, widths)
            index.append(slice(before, before + size))
        return full[tuple(index)]

    compare(lambda x, k: ops.conv2d_transpose(x, k, strides, padding, output_padding), reference,
            [rand(x_shape), rand(k_shape, 1)])
    np.testing.assert_allclose(
        ours, naive_conv_transpose(rand(x_shape).astype(np.float64), rand(k_shape, 1).astype(np.float64),
                                   (strides, strides), padding,
                                   None if output_padding is None else (output_padding,) * 2),
        rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("strides,padding,multiplier", [(1, "valid", 1), (2, "same", 3), (1, "same", 2)])
def test_depthwise_conv2d_matches_torch_groups(strides, padding, multiplier):
    channels = 4

    def reference(x, kernel):
        kh, kw = kernel.shape[:2]
        weight = kernel.reshape(kh, kw, 1, channels * multiplier).permute(3, 2, 0, 1)
        padded = torch_pad(channels_first(x), (kh, kw), (strides,) * 2, (1, 1), padding)
        return channels_last(F.conv2d(padded, weight, stride=strides, groups=channels))

    compare(lambda x, k: ops.depthwise_conv2d(x, k, strides, padding), reference,
            [rand((3, 9, 8, channels)), rand((3, 3, channels, multiplier), 1)])


POOL_PARITY = [
    ((4, 8, 8, 3), 2, None, "valid"),
    ((4, 9, 7, 3), 2, None, "valid"),
    ((4, 9, 9, 3), 3, 2, "valid"),
    ((4, 9, 9, 3), 3, 1, "same"),       # symmetric padding: torch can pad like TF
]


@pytest.mark.parametrize("x_shape,pool,strides,padding", POOL_PARITY, ids=str)
def test_pooling_matches_torch(x_shape, pool, strides, padding):
    pad = pool // 2 if padding == "same" else 0
    torch_strides = strides or pool
    x = rand(x_shape)
    compare(lambda t: ops.max_pool2d(t, pool, strides, padding),
            lambda t: channels_last(F.max_pool2d(channels_first(t), pool, torch_strides, pad)), [x])
    compare(lambda t: ops.avg_pool2d(t, pool, strides, padding),
            lambda t: channels_last(F.avg_pool2d(channels_first(t), pool, torch_strides, pad,
                                                 count_include_pad=False)), [x])


def test_max_pool_ties_match_torch():
    # relu outputs leave whole windows of zeros: the gradient goes to one element, as in torch
    x = np.maximum(rand((2, 8, 8, 3)), 0) * (rand((2, 8, 8, 3), 1) > 0.5)
    compare(lambda t: ops.max_pool2d(t, 2),
            lambda t: channels_last(F.max_pool2d(channels_first(t), 2)), [x.astype(np.float32)])
