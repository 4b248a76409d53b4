"""SeparableConv1D and SeparableConv2D: a depthwise convolution, then a 1x1 convolution.

Weights as in Keras: ``depthwise_kernel (*kernel_size, in, depth_multiplier)``,
``pointwise_kernel (1, ..., in * depth_multiplier, filters)``, ``bias (filters,)``.
"""
from __future__ import annotations

from ... import ops
from .base import _Convolution, check_positive, input_channels

__all__ = ["BaseSeparableConv", "SeparableConv1D", "SeparableConv2D"]


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
        self.depth_multiplier = check_positive(depth_multiplier, "depth_multiplier")
        self.filters = check_positive(filters, "filters")
        self._init_window(rank, kernel_size, strides, dilation_rate, padding)
        self._init_output(data_format, activation, use_bias,
                          (depthwise_initializer, depthwise_regularizer, depthwise_constraint),
                          (pointwise_initializer, pointwise_regularizer, pointwise_constraint),
                          (bias_initializer, bias_regularizer, bias_constraint))

    def build(self, input_shape):
        channels = input_channels(self, input_shape)
        self.depthwise_kernel = self._add_weight_with_options(
            "depthwise_kernel", self.kernel_size + (channels, self.depth_multiplier), "depthwise")
        self.pointwise_kernel = self._add_weight_with_options(
            "pointwise_kernel", (1,) * self.rank + (channels * self.depth_multiplier, self.filters),
            "pointwise")
        self._finish_build(self.filters, channels)

    def _convolve(self, inputs):
        return ops.separable_conv(inputs, self.depthwise_kernel, self.pointwise_kernel, strides=self.strides,
                                  padding=self.padding, data_format="channels_last",
                                  dilation_rate=self.dilation_rate)

    def compute_output_shape(self, input_shape):
        return self._output_shape(input_shape, self._output_spatial(input_shape), self.filters)

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
