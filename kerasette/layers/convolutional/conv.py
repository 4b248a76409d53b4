"""Conv1D, Conv2D and Conv3D: ``activation(conv(inputs, kernel) + bias)``.

Weights as in Keras, whatever the ``data_format``: ``kernel (*kernel_size,
in / groups, filters)``, ``bias (filters,)``.
"""
from __future__ import annotations

from ... import ops
from ...primitives.base import ShapeError, format_shape
from .base import _Convolution, check_positive, input_channels

__all__ = ["BaseConv", "Conv1D", "Conv2D", "Conv3D"]


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
        self.filters = check_positive(filters, "filters")
        self.groups = check_positive(groups, "groups")
        if self.filters % self.groups:
            raise ValueError(f"The number of filters must be evenly divisible by the number of "
                             f"groups. Received: groups={self.groups}, filters={self.filters}")
        self._init_window(rank, kernel_size, strides, dilation_rate, padding)
        self._init_output(data_format, activation, use_bias,
                          (kernel_initializer, kernel_regularizer, kernel_constraint),
                          (bias_initializer, bias_regularizer, bias_constraint))

    def build(self, input_shape):
        channels = input_channels(self, input_shape)
        if channels % self.groups:
            raise ShapeError(f"{type(self).__name__} '{self.name}': the number of input channels must "
                             f"be evenly divisible by groups={self.groups}, got input shape "
                             f"{format_shape(input_shape)}")
        self.kernel = self._add_weight_with_options(
            "kernel", self.kernel_size + (channels // self.groups, self.filters), "kernel")
        self._finish_build(self.filters, channels)

    def _convolve(self, inputs):
        # ops.conv reads the grouping off the kernel's in-channels, as Keras' op does
        return ops.conv(inputs, self.kernel, strides=self.strides, padding=self.padding,
                        data_format="channels_last", dilation_rate=self.dilation_rate)

    def compute_output_shape(self, input_shape):
        return self._output_shape(input_shape, self._output_spatial(input_shape), self.filters)

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
    """1-d convolution over ``(batch, steps, channels)`` (channels first: ``(batch, channels, steps)``);
    ``padding='causal'`` looks only back.

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
    >>> Conv2D(10, kernel_size=5, data_format="channels_first")(Input(shape=(1, 28, 28))).shape
    (None, 10, 24, 24)
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
