"""Conv1DTranspose, Conv2DTranspose and Conv3DTranspose (the gradient of a convolution).

Weights as in Keras, whatever the ``data_format``: ``kernel (*kernel_size,
filters, in)``, ``bias (filters,)``.
"""
from __future__ import annotations

from ... import ops
# Keras' name for it; the transposed-convolution primitive computes the same size
from ...primitives.convolution import transpose_output_size as deconv_output_length
from ..spatial import normalize_tuple, spatial_of
from .base import _Convolution, check_positive, input_channels

__all__ = ["BaseConvTranspose", "Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose",
           "deconv_output_length"]


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
        self.filters = check_positive(filters, "filters")
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
        channels = input_channels(self, input_shape)
        self.kernel = self._add_weight_with_options(
            "kernel", self.kernel_size + (self.filters, channels), "kernel")
        self._finish_build(self.filters, channels)

    def _convolve(self, inputs):
        return ops.conv_transpose(inputs, self.kernel, strides=self.strides, padding=self.padding,
                                  output_padding=self.output_padding, data_format="channels_last",
                                  dilation_rate=self.dilation_rate)

    def compute_output_shape(self, input_shape):
        extras = self.output_padding or (None,) * self.rank
        spatial = tuple(deconv_output_length(size, k, s, d, self.padding, extra)
                        for size, k, s, d, extra in zip(spatial_of(input_shape, self.data_format),
                                                        self.kernel_size, self.strides,
                                                        self.dilation_rate, extras))
        return self._output_shape(input_shape, spatial, self.filters)

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
