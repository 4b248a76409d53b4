"""Convolution layers: Conv1D/2D/3D, their transposes, depthwise and separable ones.

One module per family, as in Keras: ``base`` (what they share), ``conv``,
``conv_transpose``, ``depthwise`` and ``separable``.  Every layer computes
with ``kerasette.ops`` convolutions, so it runs in a graph, eagerly with
gradients, or on plain arrays.

Weight names, layouts and creation order are Keras' own, which keeps weight
files interchangeable; the layouts do not depend on ``data_format``:

=================  ===========================================================
Conv*D             ``kernel (*kernel_size, in / groups, filters)``, ``bias (filters,)``
Conv*DTranspose    ``kernel (*kernel_size, filters, in)``, ``bias (filters,)``
DepthwiseConv*D    ``depthwise_kernel (*kernel_size, in, depth_multiplier)``,
                   ``bias (in * depth_multiplier,)``
SeparableConv*D    ``depthwise_kernel (*kernel_size, in, depth_multiplier)``,
                   ``pointwise_kernel (1, ..., in * depth_multiplier, filters)``,
                   ``bias (filters,)``
=================  ===========================================================

``data_format`` is ``'channels_last'`` (``(batch, *spatial, channels)``),
``'channels_first'`` (``(batch, channels, *spatial)``) or ``None``
(``backend.image_data_format()``, stored resolved in the config as Keras does).
"""
from __future__ import annotations

from .conv import Conv1D, Conv2D, Conv3D
from .conv_transpose import Conv1DTranspose, Conv2DTranspose, Conv3DTranspose
from .depthwise import DepthwiseConv1D, DepthwiseConv2D
from .separable import SeparableConv1D, SeparableConv2D

__all__ = [
    "Conv1D", "Conv2D", "Conv3D", "Convolution1D", "Convolution2D", "Convolution3D",
    "Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose", "Convolution1DTranspose",
    "Convolution2DTranspose", "Convolution3DTranspose", "Deconvolution2D", "Deconvolution3D",
    "DepthwiseConv1D", "DepthwiseConv2D", "SeparableConv1D", "SeparableConv2D",
    "SeparableConvolution1D", "SeparableConvolution2D",
]

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
