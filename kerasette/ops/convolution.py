"""Convolution and pooling, with ``keras.ops`` names and arguments.

``data_format`` is Keras': ``'channels_last'`` (``(N, *spatial, C)``),
``'channels_first'`` (``(N, C, *spatial)``), or ``None`` for
``backend.image_data_format()``.  The primitives compute channels last;
channels-first data is transposed to channels last around them (the
gradients follow through the transposes).  Kernels are in Keras' layouts
whatever the data format: ``conv`` ``(*kernel_size, in, out)``,
``conv_transpose`` ``(*kernel_size, out, in)``, ``depthwise_conv``
``(*kernel_size, in, multiplier)``.  The spatial rank comes from the kernel
(convolutions) or the input (pooling).  ``conv2d``, ``max_pool2d`` and friends
are conveniences that check the rank.
"""
from __future__ import annotations

from .. import backend
from .core import apply, as_tuple, shape_of

__all__ = [
    "conv", "conv1d", "conv2d", "conv3d", "conv_transpose", "conv1d_transpose", "conv2d_transpose",
    "conv3d_transpose", "depthwise_conv", "depthwise_conv2d", "separable_conv",
    "max_pool", "max_pool1d", "max_pool2d", "max_pool3d",
    "average_pool", "avg_pool", "avg_pool1d", "avg_pool2d", "avg_pool3d",
]


def to_channels_last(x, rank: int):
    """``(N, C, *spatial)`` -> ``(N, *spatial, C)`` for ``rank`` spatial axes."""
    return apply("transpose", x, axes=(0, *range(2, rank + 2), 1))


def to_channels_first(x, rank: int):
    """``(N, *spatial, C)`` -> ``(N, C, *spatial)`` for ``rank`` spatial axes."""
    return apply("transpose", x, axes=(0, rank + 1, *range(1, rank + 1)))


def _channels_first(data_format) -> bool:
    return backend.standardize_data_format(data_format) == "channels_first"


def _in_channels_last(compute, inputs, rank, data_format):
    """``compute(channels-last inputs)``, with channels-first data transposed around it."""
    if not _channels_first(data_format):
        return compute(inputs)
    if len(shape_of(inputs)) != rank + 2:
        raise ValueError(f"expected an input of rank {rank + 2} (batch, channels, *spatial), "
                         f"got shape {shape_of(inputs)}")
    return to_channels_first(compute(to_channels_last(inputs, rank)), rank)


def _padding(padding, op):
    padding = str(padding).lower()
    if padding not in ("valid", "same", "causal"):
        raise ValueError(f"{op}: padding must be 'valid', 'same' or (1-d only) 'causal', "
                         f"got {padding!r}")
    return padding


def _spatial_rank(kernel, op, rank=None):
    kernel_rank = len(shape_of(kernel)) - 2
    if kernel_rank not in (1, 2, 3) or (rank is not None and kernel_rank != rank):
        wanted = f"{rank + 2}" if rank is not None else "3, 4 or 5"
        raise ValueError(f"{op}: the kernel must have rank {wanted}, got shape {shape_of(kernel)}")
    return kernel_rank


def _conv_attrs(inputs, kernel, strides, padding, dilation_rate, op, rank=None):
    rank = _spatial_rank(kernel, op, rank)
    padding = _padding(padding, op)
    if padding == "causal" and rank != 1:
        raise ValueError(f"{op}: 'causal' padding is only for 1-d convolutions")
    return dict(strides=as_tuple(strides, rank, "strides"), padding=_padding(padding, op),
                dilation_rate=as_tuple(dilation_rate, rank, "dilation_rate"))


def conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    """N-d convolution of ``(N, *spatial, C)`` inputs with a ``(*k, C_in, C_out)`` kernel."""
    attrs = _conv_attrs(inputs, kernel, strides, padding, dilation_rate, "conv")

    def compute(x):
        channels, kernel_in = shape_of(x)[-1], shape_of(kernel)[-2]
        # like Keras, a kernel with fewer in-channels than the input means a grouped convolution
        groups = 1
        if channels is not None and kernel_in and channels != kernel_in and channels % kernel_in == 0 \
                and shape_of(kernel)[-1] % (channels // kernel_in) == 0:
            groups = channels // kernel_in
        return apply("conv", x, kernel, groups=groups, depthwise=False, **attrs)

    return _in_channels_last(compute, inputs, len(attrs["strides"]), data_format)


def conv1d(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    """1-d convolution; ``padding='causal'`` pads on the left only."""
    _spatial_rank(kernel, "conv1d", 1)
    return conv(inputs, kernel, strides, padding, data_format, dilation_rate)


def conv2d(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    """2-d convolution of ``(N, H, W, C)`` inputs with a ``(kh, kw, C_in, C_out)`` kernel."""
    _spatial_rank(kernel, "conv2d", 2)
    return conv(inputs, kernel, strides, padding, data_format, dilation_rate)


def conv3d(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    """3-d convolution of ``(N, D, H, W, C)`` inputs with a ``(kd, kh, kw, C_in, C_out)`` kernel."""
    _spatial_rank(kernel, "conv3d", 3)
    return conv(inputs, kernel, strides, padding, data_format, dilation_rate)


def conv_transpose(inputs, kernel, strides=1, padding="valid", output_padding=None, data_format=None,
                   dilation_rate=1):
    """Transposed convolution (Keras Conv*DTranspose), kernel ``(*k, out_channels, in_channels)``."""
    attrs = _conv_attrs(inputs, kernel, strides, padding, dilation_rate, "conv_transpose")
    if attrs["padding"] == "causal":
        raise ValueError("conv_transpose: padding must be 'valid' or 'same', got 'causal'")
    rank = len(attrs["strides"])
    if output_padding is not None:
        output_padding = as_tuple(output_padding, rank, "output_padding")
    return _in_channels_last(lambda x: apply("conv_transpose", x, kernel, output_padding=output_padding,
                                             **attrs), inputs, rank, data_format)


def conv1d_transpose(inputs, kernel, strides, padding="valid", output_padding=None, data_format=None,
                     dilation_rate=1):
    """1-d transposed convolution."""
    _spatial_rank(kernel, "conv1d_transpose", 1)
    return conv_transpose(inputs, kernel, strides, padding, output_padding, data_format, dilation_rate)


def conv2d_transpose(inputs, kernel, strides, padding="valid", output_padding=None, data_format=None,
                     dilation_rate=1):
    """2-d transposed convolution, kernel ``(kh, kw, out_channels, in_channels)``."""
    _spatial_rank(kernel, "conv2d_transpose", 2)
    return conv_transpose(inputs, kernel, strides, padding, output_padding, data_format, dilation_rate)


def conv3d_transpose(inputs, kernel, strides, padding="valid", output_padding=None, data_format=None,
                     dilation_rate=1):
    """3-d transposed convolution."""
    _spatial_rank(kernel, "conv3d_transpose", 3)
    return conv_transpose(inputs, kernel, strides, padding, output_padding, data_format, dilation_rate)


def depthwise_conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    """Each channel convolved on its own with ``multiplier`` filters: kernel ``(*k, C, multiplier)``."""
    attrs = _conv_attrs(inputs, kernel, strides, padding, dilation_rate, "depthwise_conv")
    return _in_channels_last(lambda x: apply("conv", x, kernel, groups=1, depthwise=True, **attrs),
                             inputs, len(attrs["strides"]), data_format)


def depthwise_conv2d(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    """2-d depthwise convolution, kernel ``(kh, kw, C, multiplier)``."""
    _spatial_rank(kernel, "depthwise_conv2d", 2)
    return depthwise_conv(inputs, kernel, strides, padding, data_format, dilation_rate)


def separable_conv(inputs, depthwise_kernel, pointwise_kernel, strides=1, padding="valid",
                   data_format=None, dilation_rate=1):
    """A depthwise convolution followed by a 1x1 convolution mixing the channels."""
    rank = _spatial_rank(depthwise_kernel, "separable_conv")

    def compute(x):
        hidden = depthwise_conv(x, depthwise_kernel, strides, padding, "channels_last", dilation_rate)
        return conv(hidden, pointwise_kernel, 1, "valid", "channels_last", 1)

    return _in_channels_last(compute, inputs, rank, data_format)


# ------------------------------------------------------------------- pooling

def _pool_attrs(inputs, pool_size, strides, padding, op, rank=None):
    input_rank = len(shape_of(inputs)) - 2
    if input_rank not in (1, 2, 3) or (rank is not None and input_rank != rank):
        wanted = f"{rank + 2}" if rank is not None else "3, 4 or 5"
        raise ValueError(f"{op}: the input must have rank {wanted} (batch, *spatial, channels) or "
                         f"(batch, channels, *spatial), "
                         f"got shape {shape_of(inputs)}")
    pool_size = as_tuple(pool_size, input_rank, "pool_size")
    strides = pool_size if strides is None else as_tuple(strides, input_rank, "strides")
    padding = str(padding).lower()
    if padding not in ("valid", "same"):
        raise ValueError(f"{op}: padding must be 'valid' or 'same', got {padding!r}")
    return dict(pool_size=pool_size, strides=strides, padding=padding)


def _pool(name, inputs, pool_size, strides, padding, data_format, op, rank=None):
    attrs = _pool_attrs(inputs, pool_size, strides, padding, op, rank)
    return _in_channels_last(lambda x: apply(name, x, **attrs), inputs, len(attrs["pool_size"]), data_format)


def max_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    """The maximum over each window; ``strides`` defaults to ``pool_size``."""
    return _pool("max_pool", inputs, pool_size, strides, padding, data_format, "max_pool")


def average_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    """The mean over each window ('same' counts only real, unpadded elements)."""
    return _pool("avg_pool", inputs, pool_size, strides, padding, data_format, "average_pool")


avg_pool = average_pool


def max_pool1d(inputs, pool_size, strides=None, padding="valid", data_format=None):
    """1-d max pooling of ``(N, steps, C)`` (or channels-first) inputs."""
    return _pool("max_pool", inputs, pool_size, strides, padding, data_format, "max_pool1d", 1)


def max_pool2d(inputs, pool_size, strides=None, padding="valid", data_format=None):
    """2-d max pooling of ``(N, H, W, C)`` (or channels-first) inputs."""
    return _pool("max_pool", inputs, pool_size, strides, padding, data_format, "max_pool2d", 2)


def max_pool3d(inputs, pool_size, strides=None, padding="valid", data_format=None):
    """3-d max pooling of ``(N, D, H, W, C)`` (or channels-first) inputs."""
    return _pool("max_pool", inputs, pool_size, strides, padding, data_format, "max_pool3d", 3)


def avg_pool1d(inputs, pool_size, strides=None, padding="valid", data_format=None):
    """1-d average pooling of ``(N, steps, C)`` (or channels-first) inputs."""
    return _pool("avg_pool", inputs, pool_size, strides, padding, data_format, "avg_pool1d", 1)


def avg_pool2d(inputs, pool_size, strides=None, padding="valid", data_format=None):
    """2-d average pooling of ``(N, H, W, C)`` (or channels-first) inputs."""
    return _pool("avg_pool", inputs, pool_size, strides, padding, data_format, "avg_pool2d", 2)


def avg_pool3d(inputs, pool_size, strides=None, padding="valid", data_format=None):
    """3-d average pooling of ``(N, D, H, W, C)`` (or channels-first) inputs."""
    return _pool("avg_pool", inputs, pool_size, strides, padding, data_format, "avg_pool3d", 3)
