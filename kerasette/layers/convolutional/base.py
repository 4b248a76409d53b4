"""What every convolution layer shares: the window arguments, activation and bias, weight options.

``_Convolution`` keeps the window (``kernel_size``, ``strides``,
``dilation_rate``, ``padding``), ``data_format``, the activation and the
bias, and an initializer, regularizer and constraint argument for each
weight named in ``_weights``.  Its ``call`` runs the subclass's
``_convolve`` on channels-last data and adds the bias there; channels-first
inputs are transposed to channels last before and back after, and the
activation runs on the result in the layer's own layout (a softmax
activation reduces the last axis, as in Keras).
"""
from __future__ import annotations

from ... import activations, constraints, initializers, ops, regularizers
from ...primitives.base import ShapeError, format_shape
from ...ops.convolution import to_channels_first, to_channels_last
from ..layer import InputSpec, Layer
from ..spatial import (channel_axis, conv_output_length, join_shape, normalize_data_format, normalize_padding,
                       normalize_tuple, spatial_of)

_OPTION_MODULES = (("initializer", initializers), ("regularizer", regularizers),
                   ("constraint", constraints))


def input_channels(layer, input_shape):
    """The size of the channel axis of ``input_shape``; the rank and a known size are checked."""
    input_shape = tuple(input_shape)
    rank = layer.rank
    where = f"{type(layer).__name__} '{layer.name}'"
    layout = ("(batch, channels, *spatial)" if layer.data_format == "channels_first"
              else "(batch, *spatial, channels)")
    if len(input_shape) != rank + 2:
        raise ShapeError(f"{where} expects an input of rank {rank + 2} {layout}, "
                         f"got shape {format_shape(input_shape)}")
    channels = input_shape[channel_axis(layer.data_format)]
    if channels is None:
        raise ShapeError(f"{where} needs a known channel axis ({layout}), got {format_shape(input_shape)}")
    return channels


def check_strides_and_dilation(strides, dilation_rate):
    # Keras refuses the combination (TensorFlow's kernels never supported it), so do we
    if max(strides) > 1 and max(dilation_rate) > 1:
        raise ValueError(f"`strides > 1` not supported in conjunction with `dilation_rate > 1`. "
                         f"Received: strides={strides} and dilation_rate={dilation_rate}")


def check_positive(value, name):
    if value is None or int(value) != value or int(value) <= 0:
        raise ValueError(f"Invalid value for argument `{name}`. Expected a strictly positive "
                         f"integer. Received {name}={value!r}.")
    return int(value)


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
        check_strides_and_dilation(self.strides, self.dilation_rate)
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
        self.input_spec = InputSpec(ndim=self.rank + 2, axes={channel_axis(self.data_format): channels})
        self.built = True

    def _convolve(self, inputs):
        """The convolution of channels-last ``inputs`` (without the bias)."""
        raise NotImplementedError

    def call(self, inputs):
        channels_first = self.data_format == "channels_first"
        if channels_first:
            inputs = to_channels_last(inputs, self.rank)
        outputs = self._convolve(inputs)
        if self.bias is not None:
            outputs = ops.add(outputs, self.bias)
        if channels_first:
            outputs = to_channels_first(outputs, self.rank)
        if self.activation is not None:
            outputs = self.activation(outputs)
        return outputs

    def _output_spatial(self, input_shape):
        return tuple(conv_output_length(size, k, s, d, self.padding)
                     for size, k, s, d in zip(spatial_of(input_shape, self.data_format), self.kernel_size,
                                              self.strides, self.dilation_rate))

    def _output_shape(self, input_shape, spatial, channels):
        return join_shape(tuple(input_shape)[0], spatial, channels, self.data_format)

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
