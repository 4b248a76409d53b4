"""DepthwiseConv1D and DepthwiseConv2D: each input channel convolved on its own.

Weights as in Keras 2 (Keras 3 calls the kernel ``kernel``; kerasette keeps
the name its weight files use): ``depthwise_kernel (*kernel_size, in,
depth_multiplier)``, ``bias (in * depth_multiplier,)``.
"""
from __future__ import annotations

from ... import ops
from ..spatial import channel_axis
from .base import _Convolution, check_positive, input_channels

__all__ = ["BaseDepthwiseConv", "DepthwiseConv1D", "DepthwiseConv2D"]


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
        self.depth_multiplier = check_positive(depth_multiplier, "depth_multiplier")
        self._init_window(rank, kernel_size, strides, dilation_rate, padding)
        self._init_output(data_format, activation, use_bias,
                          (depthwise_initializer, depthwise_regularizer, depthwise_constraint),
                          (bias_initializer, bias_regularizer, bias_constraint))

    def build(self, input_shape):
        channels = input_channels(self, input_shape)
        self.depthwise_kernel = self._add_weight_with_options(
            "depthwise_kernel", self.kernel_size + (channels, self.depth_multiplier), "depthwise")
        self._finish_build(channels * self.depth_multiplier, channels)

    def _convolve(self, inputs):
        return ops.depthwise_conv(inputs, self.depthwise_kernel, strides=self.strides, padding=self.padding,
                                  data_format="channels_last", dilation_rate=self.dilation_rate)

    def compute_output_shape(self, input_shape):
        channels = tuple(input_shape)[channel_axis(self.data_format)]
        channels = None if channels is None else channels * self.depth_multiplier
        return self._output_shape(input_shape, self._output_spatial(input_shape), channels)

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
