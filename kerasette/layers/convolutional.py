"""Convolution layers: Conv1D/2D/3D, their transposes, depthwise and separable ones.

A private ``_Convolution`` base carries what all of them share (the window
arguments, activation and bias, each weight's initializer, regularizer and
constraint); four small bases add their own weights and output shapes; the
public classes only fix the spatial rank (and their defaults).
Every layer computes with ``kerasette.ops`` convolutions, so it runs in a
graph, eagerly with gradients, or on plain arrays.

Weight names, layouts and creation order are Keras' own, which keeps weight
files interchangeable:

=================  ===========================================================
Conv*D             ``kernel (*kernel_size, in / groups, filters)``, ``bias (filters,)``
Conv*DTranspose    ``kernel (*kernel_size, filters, in)``, ``bias (filters,)``
DepthwiseConv*D    ``depthwise_kernel (*kernel_size, in, depth_multiplier)``,
                   ``bias (in * depth_multiplier,)``
SeparableConv*D    ``depthwise_kernel (*kernel_size, in, depth_multiplier)``,
                   ``pointwise_kernel (1, ..., in * depth_multiplier, filters)``,
                   ``bias (filters,)``
=================  ===========================================================

Only channels-last data is supported (``data_format=None`` or
``'channels_last'``).  The argument helpers at the top are shared with the
pooling and reshaping families.
"""
from __future__ import annotations

import numbers

from .. import activations, constraints, initializers, ops, regularizers
from ..primitives.base import ShapeError, format_shape
# Keras' name for it; the transposed-convolution primitive computes the same size
from ..primitives.convolution import transpose_output_size as deconv_output_length
from .layer import InputSpec, Layer

__all__ = [
    "Conv1D", "Conv2D", "Conv3D", "Convolution1D", "Convolution2D", "Convolution3D",
    "Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose", "Convolution1DTranspose",
    "Convolution2DTranspose", "Convolution3DTranspose", "Deconvolution2D", "Deconvolution3D",
    "DepthwiseConv1D", "DepthwiseConv2D", "SeparableConv1D", "SeparableConv2D",
    "SeparableConvolution1D", "SeparableConvolution2D",
]


# ------------------------------------------------------------ argument helpers

def normalize_tuple(value, rank: int, name: str, allow_zero: bool = False) -> tuple:
    """``3`` -> ``(3, 3)`` for rank 2; a sequence must have ``rank`` ints (positive ones)."""
    if isinstance(value, numbers.Integral):
        values = (value,) * rank
    else:
        try:
            values = tuple(value)
        except TypeError:
            raise ValueError(f"`{name}` must be an int or a tuple of {rank} ints, got {value!r}") from None
        if len(values) != rank or not all(isinstance(v, numbers.Integral) for v in values):
            raise ValueError(f"`{name}` must be an int or a tuple of {rank} ints, got {value!r}")
    lowest = 0 if allow_zero else 1
    if any(v < lowest for v in values):
        kind = "non-negative" if allow_zero else "positive"
        raise ValueError(f"`{name}` must hold {kind} ints, got {value!r}")
    return tuple(int(v) for v in values)


def normalize_data_format(data_format) -> str:
    """``None`` and ``'channels_last'`` give ``'channels_last'``; anything else is refused."""
    if data_format is None or str(data_format).lower() == "channels_last":
        return "channels_last"
    if str(data_format).lower() == "channels_first":
        raise ValueError("data_format='channels_first' is not supported: kerasette layers are "
                         "channels last; transpose the input to (batch, *spatial, channels)")
    raise ValueError(f"data_format must be 'channels_last' or None, got {data_format!r}")


def normalize_padding(padding, allowed=("valid", "same")) -> str:
    value = str(padding).lower()
    if value not in allowed:
        choices = ", ".join(repr(a) for a in allowed)
        raise ValueError(f"`padding` must be one of {choices}, got {padding!r}")
    return value


def conv_output_length(size, kernel: int, stride: int, dilation: int, padding: str):
    """Spatial size after a convolution or pooling window (``None`` stays ``None``)."""
    if size is None:
        return None
    span = (kernel - 1) * dilation + 1
    if padding in ("same", "causal"):
        return -(-size // stride)
    return (size - span) // stride + 1 if size >= span else 0


def _input_channels(layer, input_shape, rank):
    input_shape = tuple(input_shape)
    where = f"{type(layer).__name__} '{layer.name}'"
    if len(input_shape) != rank + 2:
        raise ShapeError(f"{where} expects an input of rank {rank + 2} (batch, *spatial, channels), "
                         f"got shape {format_shape(input_shape)}")
    channels = input_shape[-1]
    if channels is None:
        raise ShapeError(f"{where} needs a known channel axis (the last), got {format_shape(input_shape)}")
    return channels


def _check_strides_and_dilation(strides, dilation_rate):
    # Keras refuses the combination (TensorFlow's kernels never supported it), so do we
    if max(strides) > 1 and max(dilation_rate) > 1:
        raise ValueError(f"`strides > 1` not supported in conjunction with `dilation_rate > 1`. "
                         f"Received: strides={strides} and dilation_rate={dilation_rate}")


def _check_positive(value, name):
    if value is None or int(value) != value or int(value) <= 0:
        raise ValueError(f"Invalid value for argument `{name}`. Expected a strictly positive "
                         f"integer. Received {name}={value!r}.")
    return int(value)


# ------------------------------------------------------------ shared base

class _Convolution(Layer):
    """What the convolution bases share: the window arguments, activation and bias, and an
    initializer, regularizer and constraint argument for each name in ``_weights``."""

    _paddings = ("valid", "same")
    #: the weights with their own initializer/regularizer/constraint arguments, in Keras' order
    _weights = ("kernel", "bias")

    def _init_window(self, rank, kernel_size, strides, dilation_rate, padding):
        self.rank = rank
        self.kernel_size = normalize_tuple(kernel_size, rank, "kernel_size")
        self.strides = normalize_tuple(strides, rank, "strides")
        self.dilation_rate = normalize_tuple(dilation_rate, rank, "dilation_rate")
        _check_strides_and_dilation(self.strides, self.dilation_rate)
        self.padding = normalize_padding(padding, self._paddings)

    def _init_output(self, data_format, activation, use_bias, *weight_options):
        """``weight_options``: an (initializer, regularizer, constraint) triple per ``_weights`` name."""
        self.data_format = normalize_data_format(data_format)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        for index, (suffix, module) in enumerate(_OPTION_MODULES):
            for weight, options in zip(self._weights, weight_options):
                setattr(self, f"{weight}_{suffix}", module.get(options[index]))
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def _add_weight_with_options(self, name, shape, options):
        """``add_weight`` with the initializer, regularizer and constraint of ``options``."""
        return self.add_weight(name=name, shape=shape,
                               initializer=getattr(self, f"{options}_initializer"),
                               regularizer=getattr(self, f"{options}_regularizer"),
                               constraint=getattr(self, f"{options}_constraint"))

    def _finish_build(self, bias_size, channels):
        self.bias = self._add_weight_with_options("bias", (bias_size,), "bias") if self.use_bias else None
        self.input_spec = InputSpec(ndim=self.rank + 2, axes={-1: channels})
        self.built = True

    def _bias_and_activation(self, outputs):
        if self.bias is not None:
            outputs = ops.add(outputs, self.bias)
        if self.activation is not None:
            outputs = self.activation(outputs)
        return outputs

    def _output_spatial(self, input_shape):
        return tuple(conv_output_length(size, k, s, d, self.padding)
                     for size, k, s, d in zip(tuple(input_shape)[1:-1], self.kernel_size, self.strides,
                                              self.dilation_rate))

    def _output_config(self) -> dict:
        """activation, use_bias and every weight's options, serialized in Keras' key order."""
        config = {"activation": activations.serialize(self.activation), "use_bias": self.use_bias}
        for suffix, module in _OPTION_MODULES:
            for weight in self._weights:
                config[f"{weight}_{suffix}"] = module.serialize(getattr(self, f"{weight}_{suffix}"))
            if suffix == "regularizer":
                # Keras lists the activity regularizer after the weights' own
                config["activity_regularizer"] = regularizers.serialize(self.activity_regularizer)
        return config


_OPTION_MODULES = (("initializer", initializers), ("regularizer", regularizers),
                   ("constraint", constraints))


# ----------------------------------------------------------------- Conv*D

class BaseConv(_Convolution):
    """N-d convolution ``activation(conv(inputs, kernel) + bias)``: the base of Conv1D/2D/3D.

    ``rank`` is the number of spatial axes. ``groups > 1`` splits the input
    channels into groups convolved separately (both ``filters`` and the
    input channels must divide by it); the kernel then has ``in / groups``
    input channels, as in Keras.
    """

    def __init__(self, rank, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, groups=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", kernel_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 bias_constraint=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.filters = _check_positive(filters, "filters")
        self.groups = _check_positive(groups, "groups")
        if self.filters % self.groups:
            raise ValueError(f"The number of filters must be evenly divisible by the number of "
                             f"groups. Received: groups={self.groups}, filters={self.filters}")
        self._init_window(rank, kernel_size, strides, dilation_rate, padding)
        self._init_output(data_format, activation, use_bias,
                          (kernel_initializer, kernel_regularizer, kernel_constraint),
                          (bias_initializer, bias_regularizer, bias_constraint))

    def build(self, input_shape):
        channels = _input_channels(self, input_shape, self.rank)
        if channels % self.groups:
            raise ShapeError(f"{type(self).__name__} '{self.name}': the number of input channels must "
                             f"be evenly divisible by groups={self.groups}, got input shape "
                             f"{format_shape(input_shape)}")
        self.kernel = self._add_weight_with_options(
            "kernel", self.kernel_size + (channels // self.groups, self.filters), "kernel")
        self._finish_build(self.filters, channels)

    def call(self, inputs):
        # ops.conv reads the grouping off the kernel's in-channels, as Keras' op does
        return self._bias_and_activation(ops.conv(inputs, self.kernel, strides=self.strides,
                                                  padding=self.padding,
                                                  dilation_rate=self.dilation_rate))

    def compute_output_shape(self, input_shape):
        return (tuple(input_shape)[0],) + self._output_spatial(input_shape) + (self.filters,)

    def get_config(self):
        config = super().get_config()
        config.update({
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            "groups": self.groups,
            **self._output_config(),
        })
        return config


class Conv1D(BaseConv):
    """1-d convolution over ``(batch, steps, channels)``; ``padding='causal'`` looks only back.

    >>> Conv1D(8, 3, padding="causal")(Input(shape=(10, 4))).shape
    (None, 10, 8)
    """

    _paddings = ("valid", "same", "causal")

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1,
                 groups=1, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(1, filters, kernel_size, strides=strides, padding=padding, data_format=data_format,
                         dilation_rate=dilation_rate, groups=groups, activation=activation,
                         use_bias=use_bias, kernel_initializer=kernel_initializer,
                         bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
                         bias_regularizer=bias_regularizer, activity_regularizer=activity_regularizer,
                         kernel_constraint=kernel_constraint, bias_constraint=bias_constraint, **kwargs)


class Conv2D(BaseConv):
    """2-d convolution over ``(batch, height, width, channels)``.

    >>> Conv2D(10, kernel_size=5)(Input(shape=(28, 28, 1))).shape   # 5*5*1*10 + 10 = 260 params
    (None, 24, 24, 10)
    """

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", data_format=None,
                 dilation_rate=(1, 1), groups=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", kernel_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 bias_constraint=None, **kwargs):
        super().__init__(2, filters, kernel_size, strides=strides, padding=padding, data_format=data_format,
                         dilation_rate=dilation_rate, groups=groups, activation=activation,
                         use_bias=use_bias, kernel_initializer=kernel_initializer,
                         bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
                         bias_regularizer=bias_regularizer, activity_regularizer=activity_regularizer,
                         kernel_constraint=kernel_constraint, bias_constraint=bias_constraint, **kwargs)


class Conv3D(BaseConv):
    """3-d convolution over ``(batch, depth, height, width, channels)``.

    >>> Conv3D(4, 3)(Input(shape=(8, 8, 8, 2))).shape
    (None, 6, 6, 6, 4)
    """

    def __init__(self, filters, kernel_size, strides=(1, 1, 1), padding="valid", data_format=None,
                 dilation_rate=(1, 1, 1), groups=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", kernel_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 bias_constraint=None, **kwargs):
        super().__init__(3, filters, kernel_size, strides=strides, padding=padding, data_format=data_format,
                         dilation_rate=dilation_rate, groups=groups, activation=activation,
                         use_bias=use_bias, kernel_initializer=kernel_initializer,
                         bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
                         bias_regularizer=bias_regularizer, activity_regularizer=activity_regularizer,
                         kernel_constraint=kernel_constraint, bias_constraint=bias_constraint, **kwargs)


# ------------------------------------------------------- Conv*DTranspose

class BaseConvTranspose(_Convolution):
    """N-d transposed convolution (the gradient of a convolution with respect to its input).

    The kernel is ``(*kernel_size, filters, in_channels)`` as in Keras, and
    the output size follows Keras' ``deconv_output_length``: without
    ``output_padding``, ``size * stride`` ('same') or
    ``size * stride + max(kernel - stride, 0)`` ('valid').
    """

    def __init__(self, rank, filters, kernel_size, strides=1, padding="valid", output_padding=None,
                 data_format=None, dilation_rate=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", kernel_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 bias_constraint=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.filters = _check_positive(filters, "filters")
        self._init_window(rank, kernel_size, strides, dilation_rate, padding)
        if output_padding is None:
            self.output_padding = None
        else:
            self.output_padding = normalize_tuple(output_padding, rank, "output_padding", allow_zero=True)
            for stride, extra in zip(self.strides, self.output_padding):
                if extra >= stride:
                    raise ValueError(f"Strides must be greater than output padding. Received strides="
                                     f"{self.strides}, output_padding={self.output_padding}.")
        self._init_output(data_format, activation, use_bias,
                          (kernel_initializer, kernel_regularizer, kernel_constraint),
                          (bias_initializer, bias_regularizer, bias_constraint))

    def build(self, input_shape):
        channels = _input_channels(self, input_shape, self.rank)
        self.kernel = self._add_weight_with_options(
            "kernel", self.kernel_size + (self.filters, channels), "kernel")
        self._finish_build(self.filters, channels)

    def call(self, inputs):
        return self._bias_and_activation(ops.conv_transpose(
            inputs, self.kernel, strides=self.strides, padding=self.padding,
            output_padding=self.output_padding, dilation_rate=self.dilation_rate))

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        extras = self.output_padding or (None,) * self.rank
        spatial = tuple(deconv_output_length(size, k, s, d, self.padding, extra)
                        for size, k, s, d, extra in zip(input_shape[1:-1], self.kernel_size, self.strides,
                                                        self.dilation_rate, extras))
        return (input_shape[0],) + spatial + (self.filters,)

    def get_config(self):
        config = super().get_config()
        config.update({
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "output_padding": self.output_padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            **self._output_config(),
        })
        return config


class Conv1DTranspose(BaseConvTranspose):
    """1-d transposed convolution: ``(batch, steps, channels)`` up to longer sequences.

    >>> Conv1DTranspose(4, 3, strides=2)(Input(shape=(5, 2))).shape
    (None, 11, 4)
    """

    def __init__(self, filters, kernel_size, strides=1, padding="valid", output_padding=None,
                 data_format=None, dilation_rate=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", kernel_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 bias_constraint=None, **kwargs):
        super().__init__(1, filters, kernel_size, strides=strides, padding=padding,
                         output_padding=output_padding, data_format=data_format,
                         dilation_rate=dilation_rate, activation=activation, use_bias=use_bias,
                         kernel_initializer=kernel_initializer, bias_initializer=bias_initializer,
                         kernel_regularizer=kernel_regularizer, bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer, kernel_constraint=kernel_constraint,
                         bias_constraint=bias_constraint, **kwargs)


class Conv2DTranspose(BaseConvTranspose):
    """2-d transposed convolution (sometimes called deconvolution); kernel ``(kh, kw, filters, in)``.

    >>> Conv2DTranspose(8, 3, strides=2, padding="same")(Input(shape=(7, 7, 16))).shape
    (None, 14, 14, 8)
    """

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", output_padding=None,
                 data_format=None, dilation_rate=(1, 1), activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", kernel_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 bias_constraint=None, **kwargs):
        super().__init__(2, filters, kernel_size, strides=strides, padding=padding,
                         output_padding=output_padding, data_format=data_format,
                         dilation_rate=dilation_rate, activation=activation, use_bias=use_bias,
                         kernel_initializer=kernel_initializer, bias_initializer=bias_initializer,
                         kernel_regularizer=kernel_regularizer, bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer, kernel_constraint=kernel_constraint,
                         bias_constraint=bias_constraint, **kwargs)


class Conv3DTranspose(BaseConvTranspose):
    """3-d transposed convolution; kernel ``(kd, kh, kw, filters, in)``.

    >>> Conv3DTranspose(2, 2, strides=2)(Input(shape=(3, 3, 3, 4))).shape
    (None, 6, 6, 6, 2)
    """

    def __init__(self, filters, kernel_size, strides=(1, 1, 1), padding="valid", output_padding=None,
                 data_format=None, dilation_rate=(1, 1, 1), activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", kernel_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 bias_constraint=None, **kwargs):
        super().__init__(3, filters, kernel_size, strides=strides, padding=padding,
                         output_padding=output_padding, data_format=data_format,
                         dilation_rate=dilation_rate, activation=activation, use_bias=use_bias,
                         kernel_initializer=kernel_initializer, bias_initializer=bias_initializer,
                         kernel_regularizer=kernel_regularizer, bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer, kernel_constraint=kernel_constraint,
                         bias_constraint=bias_constraint, **kwargs)


# ------------------------------------------------------- DepthwiseConv*D

class BaseDepthwiseConv(_Convolution):
    """Each input channel convolved on its own with ``depth_multiplier`` filters.

    Output channels: ``in * depth_multiplier``, ordered channel-major
    (channel ``c``'s filters sit at ``c * depth_multiplier + m``), as in Keras
    and TensorFlow.
    """

    _weights = ("depthwise", "bias")

    def __init__(self, rank, depth_multiplier, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, activation=None, use_bias=True, depthwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, depthwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.depth_multiplier = _check_positive(depth_multiplier, "depth_multiplier")
        self._init_window(rank, kernel_size, strides, dilation_rate, padding)
        self._init_output(data_format, activation, use_bias,
                          (depthwise_initializer, depthwise_regularizer, depthwise_constraint),
                          (bias_initializer, bias_regularizer, bias_constraint))

    def build(self, input_shape):
        channels = _input_channels(self, input_shape, self.rank)
        self.depthwise_kernel = self._add_weight_with_options(
            "depthwise_kernel", self.kernel_size + (channels, self.depth_multiplier), "depthwise")
        self._finish_build(channels * self.depth_multiplier, channels)

    def call(self, inputs):
        return self._bias_and_activation(ops.depthwise_conv(
            inputs, self.depthwise_kernel, strides=self.strides, padding=self.padding,
            dilation_rate=self.dilation_rate))

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        channels = None if input_shape[-1] is None else input_shape[-1] * self.depth_multiplier
        return (input_shape[0],) + self._output_spatial(input_shape) + (channels,)

    def get_config(self):
        config = super().get_config()
        config.update({
            "depth_multiplier": self.depth_multiplier,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            **self._output_config(),
        })
        return config


class DepthwiseConv1D(BaseDepthwiseConv):
    """1-d depthwise convolution over ``(batch, steps, channels)``.

    >>> DepthwiseConv1D(3, depth_multiplier=2)(Input(shape=(10, 4))).shape
    (None, 8, 8)
    """

    def __init__(self, kernel_size, strides=1, padding="valid", depth_multiplier=1, data_format=None,
                 dilation_rate=1, activation=None, use_bias=True, depthwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, depthwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(1, depth_multiplier, kernel_size, strides=strides, padding=padding,
                         data_format=data_format, dilation_rate=dilation_rate, activation=activation,
                         use_bias=use_bias, depthwise_initializer=depthwise_initializer,
                         bias_initializer=bias_initializer, depthwise_regularizer=depthwise_regularizer,
                         bias_regularizer=bias_regularizer, activity_regularizer=activity_regularizer,
                         depthwise_constraint=depthwise_constraint, bias_constraint=bias_constraint,
                         **kwargs)


class DepthwiseConv2D(BaseDepthwiseConv):
    """2-d depthwise convolution (MobileNet's building block).

    >>> DepthwiseConv2D(3, padding="same")(Input(shape=(32, 32, 16))).shape   # 3*3*16 + 16 params
    (None, 32, 32, 16)
    """

    def __init__(self, kernel_size, strides=(1, 1), padding="valid", depth_multiplier=1, data_format=None,
                 dilation_rate=(1, 1), activation=None, use_bias=True, depthwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, depthwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(2, depth_multiplier, kernel_size, strides=strides, padding=padding,
                         data_format=data_format, dilation_rate=dilation_rate, activation=activation,
                         use_bias=use_bias, depthwise_initializer=depthwise_initializer,
                         bias_initializer=bias_initializer, depthwise_regularizer=depthwise_regularizer,
                         bias_regularizer=bias_regularizer, activity_regularizer=activity_regularizer,
                         depthwise_constraint=depthwise_constraint, bias_constraint=bias_constraint,
                         **kwargs)


# ------------------------------------------------------- SeparableConv*D

class BaseSeparableConv(_Convolution):
    """A depthwise convolution, then a 1x1 convolution to ``filters`` channels, then the bias.

    Strides and dilation apply to the depthwise step only.
    """

    _weights = ("depthwise", "pointwise", "bias")

    def __init__(self, rank, depth_multiplier, filters, kernel_size, strides=1, padding="valid",
                 data_format=None, dilation_rate=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", pointwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None, pointwise_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, depthwise_constraint=None,
                 pointwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.depth_multiplier = _check_positive(depth_multiplier, "depth_multiplier")
        self.filters = _check_positive(filters, "filters")
        self._init_window(rank, kernel_size, strides, dilation_rate, padding)
        self._init_output(data_format, activation, use_bias,
                          (depthwise_initializer, depthwise_regularizer, depthwise_constraint),
                          (pointwise_initializer, pointwise_regularizer, pointwise_constraint),
                          (bias_initializer, bias_regularizer, bias_constraint))

    def build(self, input_shape):
        channels = _input_channels(self, input_shape, self.rank)
        self.depthwise_kernel = self._add_weight_with_options(
            "depthwise_kernel", self.kernel_size + (channels, self.depth_multiplier), "depthwise")
        self.pointwise_kernel = self._add_weight_with_options(
            "pointwise_kernel", (1,) * self.rank + (channels * self.depth_multiplier, self.filters),
            "pointwise")
        self._finish_build(self.filters, channels)

    def call(self, inputs):
        return self._bias_and_activation(ops.separable_conv(
            inputs, self.depthwise_kernel, self.pointwise_kernel, strides=self.strides,
            padding=self.padding, dilation_rate=self.dilation_rate))

    def compute_output_shape(self, input_shape):
        return (tuple(input_shape)[0],) + self._output_spatial(input_shape) + (self.filters,)

    def get_config(self):
        config = super().get_config()
        config.update({
            "depth_multiplier": self.depth_multiplier,
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            **self._output_config(),
        })
        return config


class SeparableConv1D(BaseSeparableConv):
    """1-d depthwise-separable convolution.

    >>> SeparableConv1D(8, 3)(Input(shape=(10, 4))).shape   # 3*4 + 4*8 + 8 params
    (None, 8, 8)
    """

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1,
                 depth_multiplier=1, activation=None, use_bias=True, depthwise_initializer="glorot_uniform",
                 pointwise_initializer="glorot_uniform", bias_initializer="zeros", depthwise_regularizer=None,
                 pointwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, pointwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(1, depth_multiplier, filters, kernel_size, strides=strides, padding=padding,
                         data_format=data_format, dilation_rate=dilation_rate, activation=activation,
                         use_bias=use_bias, depthwise_initializer=depthwise_initializer,
                         pointwise_initializer=pointwise_initializer, bias_initializer=bias_initializer,
                         depthwise_regularizer=depthwise_regularizer,
                         pointwise_regularizer=pointwise_regularizer, bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer, depthwise_constraint=depthwise_constraint,
                         pointwise_constraint=pointwise_constraint, bias_constraint=bias_constraint, **kwargs)


class SeparableConv2D(BaseSeparableConv):
    """2-d depthwise-separable convolution (Xception's building block).

    >>> SeparableConv2D(32, 3, padding="same")(Input(shape=(16, 16, 8))).shape
    (None, 16, 16, 32)
    """

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", data_format=None,
                 dilation_rate=(1, 1), depth_multiplier=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", pointwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None, pointwise_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, depthwise_constraint=None,
                 pointwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(2, depth_multiplier, filters, kernel_size, strides=strides, padding=padding,
                         data_format=data_format, dilation_rate=dilation_rate, activation=activation,
                         use_bias=use_bias, depthwise_initializer=depthwise_initializer,
                         pointwise_initializer=pointwise_initializer, bias_initializer=bias_initializer,
                         depthwise_regularizer=depthwise_regularizer,
                         pointwise_regularizer=pointwise_regularizer, bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer, depthwise_constraint=depthwise_constraint,
                         pointwise_constraint=pointwise_constraint, bias_constraint=bias_constraint, **kwargs)


# Keras' other names for the same classes (layer names stay those of the class: 'conv2d', ...)
Convolution1D = Conv1D
Convolution2D = Conv2D
Convolution3D = Conv3D
Convolution1DTranspose = Conv1DTranspose
Convolution2DTranspose = Conv2DTranspose
Convolution3DTranspose = Conv3DTranspose
Deconvolution2D = Conv2DTranspose
Deconvolution3D = Conv3DTranspose
SeparableConvolution1D = SeparableConv1D
SeparableConvolution2D = SeparableConv2D

