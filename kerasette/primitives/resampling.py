"""Resampling: ``resample`` (what ``ops.image.resize`` is made of), ``map_coordinates``
(sampling at arbitrary points: affine and perspective transforms) and ``dft`` (the
discrete Fourier transform behind ``ops.fft``/``rfft``/``stft``).

``resample(x, axis, size, method, antialias)`` maps axis ``axis`` of length
``n`` to length ``size`` by ``y = W x`` along that axis, where ``W``
(``size x n``) holds the interpolation kernel's weights.  The weights follow
the construction ``jax.image.resize`` uses (Keras 3 on JAX): output pixel
``i`` samples the input at ``(i + 0.5) * n / size - 0.5``; the kernel
(triangle for bilinear, Keys cubic with a = -0.5, Lanczos 3 and 5) is
widened by ``n / size`` when downsampling with ``antialias``; each row is
normalised to sum to one.  'nearest' takes input pixel
``floor((i + 0.5) * n / size)`` (computed in float32 like JAX).

A 2-d resize is two such steps, one per spatial axis.  The op is linear in
``x``, so its gradient is ``resample_grad(grad, x)``: ``W^T`` along the same
axis back to length ``n`` (and ``resample_grad``'s gradient is ``resample``
again).  The matrix is built when the forward runs, from the real length,
so axes of unknown size (``None`` in a graph) work.
"""
from __future__ import annotations

import functools
import math

import numpy

from .base import Primitive, ShapeError, Spec, format_shape, register

RESAMPLE_METHODS = ("nearest", "bilinear", "bicubic", "lanczos3", "lanczos5")


def _triangle(x):
    return numpy.maximum(0.0, 1.0 - numpy.abs(x))


def _keys_cubic(x):
    x = numpy.abs(x)
    near = ((1.5 * x - 2.5) * x) * x + 1.0
    far = ((-0.5 * x + 2.5) * x - 4.0) * x + 2.0
    return numpy.where(x >= 2.0, 0.0, numpy.where(x >= 1.0, far, near))


def _lanczos(radius):
    def kernel(x):
        x = numpy.abs(x)
        with numpy.errstate(divide="ignore", invalid="ignore"):
            y = radius * numpy.sin(math.pi * x) * numpy.sin(math.pi * x / radius) / (math.pi ** 2 * x * x)
        y = numpy.where(x > 1e-3, y, 1.0)
        return numpy.where(x > radius, 0.0, y)
    return kernel


KERNELS = {"bilinear": _triangle, "bicubic": _keys_cubic, "lanczos3": _lanczos(3), "lanczos5": _lanczos(5)}


@functools.lru_cache(maxsize=64)
def weight_matrix(length: int, size: int, method: str, antialias: bool, scale=None,
                  translation: float = 0.0) -> numpy.ndarray:
    """The ``(size, length)`` float64 matrix taking a length-``length`` axis to ``size`` samples.

    ``scale`` (default ``size / length``) and ``translation`` place output pixel ``i`` at
    input position ``(i + 0.5 - translation) / scale - 0.5``, as ``jax.image.scale_and_translate``.
    """
    if method == "nearest":
        offsets = numpy.floor(((numpy.arange(size, dtype=numpy.float32) + 0.5) * numpy.float32(length)
                               / numpy.float32(size)).astype(numpy.float32)).astype(numpy.int64)
        matrix = numpy.zeros((size, length))
        matrix[numpy.arange(size), numpy.minimum(offsets, length - 1)] = 1.0
        return matrix
    if length == size and scale is None and translation == 0.0:
        return numpy.eye(size)
    inv_scale = length / size if scale is None else 1.0 / float(scale)
    kernel_scale = max(inv_scale, 1.0) if antialias else 1.0
    sample = (numpy.arange(size) + 0.5) * inv_scale - float(translation) * inv_scale - 0.5
    distance = numpy.abs(sample[:, None] - numpy.arange(length)[None, :]) / kernel_scale
    weights = KERNELS[method](distance)
    total = weights.sum(axis=1, keepdims=True)
    weights = numpy.where(numpy.abs(total) > 1000 * float(numpy.finfo(numpy.float32).eps),
                          weights / numpy.where(total != 0, total, 1.0), 0.0)
    inside = (sample >= -0.5) & (sample <= length - 0.5)
    return numpy.where(inside[:, None], weights, 0.0)


def _contract(xp, x, matrix, axis):
    """``matrix`` (``m x n``) applied along ``axis`` (length ``n``) of ``x``."""
    matrix = xp.asarray(matrix, dtype=x.dtype)
    moved = xp.moveaxis(x, axis, -1)
    return xp.moveaxis(moved @ matrix.T, -1, axis)


def _out_dtype(dtype):
    dtype = numpy.dtype(dtype)
    return dtype if dtype.kind in "fc" else numpy.dtype("float32")


def _check(name, shape, axis, method):
    if not 0 <= axis < len(shape):
        raise ShapeError(f"{name}: axis {axis} is out of range for input {format_shape(shape)}")
    if method not in RESAMPLE_METHODS:
        raise ValueError(f"{name}: interpolation must be one of {RESAMPLE_METHODS}, got {method!r}")


@register
class Resample(Primitive):
    """``x`` resampled to ``size`` samples along ``axis``; attrs: axis, size, method, antialias."""

    name = "resample"

    def infer(self, x, axis, size, method, antialias, scale=None, translation=0.0):
        _check(self.name, x.shape, axis, method)
        shape = list(x.shape)
        shape[axis] = size
        return Spec(tuple(shape), _out_dtype(x.dtype))

    def forward(self, xp, x, axis, size, method, antialias, scale=None, translation=0.0):
        x = x.astype(_out_dtype(x.dtype), copy=False)
        return _contract(xp, x, weight_matrix(x.shape[axis], size, method, bool(antialias), scale, translation), axis)

    def gradient(self, ops, inputs, output, grad, axis, size, method, antialias, scale=None, translation=0.0):
        (x,) = inputs
        return (ops.resample_grad(grad, x, axis=axis, size=size, method=method, antialias=antialias, scale=scale,
                                  translation=translation),)


@register
class ResampleGrad(Primitive):
    """``W^T grad`` along ``axis``: the gradient of ``resample``, shaped like ``x``."""

    name = "resample_grad"

    def infer(self, grad, x, axis, size, method, antialias, scale=None, translation=0.0):
        _check(self.name, x.shape, axis, method)
        return Spec(tuple(x.shape), _out_dtype(grad.dtype))

    def forward(self, xp, grad, x, axis, size, method, antialias, scale=None, translation=0.0):
        grad = grad.astype(_out_dtype(grad.dtype), copy=False)
        matrix = weight_matrix(x.shape[axis], size, method, bool(antialias), scale, translation)
        return _contract(xp, grad, matrix.T, axis)

    def gradient(self, ops, inputs, output, grad, axis, size, method, antialias, scale=None, translation=0.0):
        return (ops.resample(grad, axis=axis, size=size, method=method, antialias=antialias, scale=scale,
                             translation=translation), None)


# ------------------------------------------------------------ map_coordinates

FILL_MODES = ("constant", "nearest", "wrap", "mirror", "reflect")


def _fix_index(xp, index, size, mode):
    if mode == "nearest":
        return xp.clip(index, 0, size - 1)
    if mode == "wrap":
        return index % size
    if mode == "mirror":
        if size == 1:
            return xp.zeros_like(index)
        s = size - 1
        return xp.abs((index + s) % (2 * s) - s)
    if mode == "reflect":
        s = 2 * size
        return ((xp.abs((2 * index + 1 + s) % (2 * s) - s)) - 1) // 2
    return index


def _corners(xp, inputs, coordinates, order, fill_mode, slopes=False):
    """``[(index tuple, valid mask, weight)]`` over the 1 (order 0) or 2^n (order 1) corners.

    With ``slopes``, each entry also carries, per axis, the weight's derivative in that
    axis' coordinate (the other axes' factors times -1 or +1 for the lower or upper corner).
    """
    import itertools
    per_axis = []
    for axis, size in enumerate(inputs.shape):
        c = coordinates[axis].astype(numpy.float64)
        if order == 0:
            nodes = [(xp.where(c >= 0, xp.floor(c + 0.5), xp.ceil(c - 0.5)).astype(numpy.int64), 1.0, 0.0)]
        elif bool(xp.all(c == xp.floor(c))) and not slopes:
            # whole-number coordinates (the batch and channel axes of an image warp): one corner
            nodes = [(c.astype(numpy.int64), 1.0, 0.0)]
        else:
            low = xp.floor(c)
            nodes = [(low.astype(numpy.int64), 1.0 - (c - low), -1.0), (low.astype(numpy.int64) + 1, c - low, 1.0)]
        fixed = []
        for index, weight, slope in nodes:
            valid = (index >= 0) & (index < size) if fill_mode == "constant" else None
            fixed.append((xp.clip(_fix_index(xp, index, size, fill_mode), 0, size - 1), valid, weight, slope))
        per_axis.append(fixed)
    corners = []
    for items in itertools.product(*per_axis):
        index = tuple(item[0] for item in items)
        valids = [item[1] for item in items if item[1] is not None]
        valid = None
        for v in valids:
            valid = v if valid is None else valid & v
        weight = 1.0
        for item in items:
            weight = weight * item[2]
        if not slopes:
            corners.append((index, valid, weight))
            continue
        derivatives = []
        for a in range(len(items)):
            d = items[a][3]
            for b, item in enumerate(items):
                if b != a:
                    d = d * item[2]
            derivatives.append(d)
        corners.append((index, valid, weight, derivatives))
    return corners


def _check_coordinates(name, inputs, coordinates, order, fill_mode):
    if coordinates.shape[0] is not None and coordinates.shape[0] != len(inputs.shape):
        raise ShapeError(f"{name}: coordinates' first axis ({coordinates.shape[0]}) must equal the rank of the "
                         f"inputs {format_shape(inputs.shape)}")
    if order not in (0, 1):
        raise ValueError(f"{name}: order must be 0 or 1, got {order}")
    if fill_mode not in FILL_MODES:
        raise ValueError(f"{name}: fill_mode must be one of {FILL_MODES}, got {fill_mode!r}")


@register
class MapCoordinates(Primitive):
    """``inputs`` sampled at ``coordinates`` (one row per input axis), nearest (order 0) or linear (order 1)."""

    name = "map_coordinates"

    def infer(self, inputs, coordinates, order, fill_mode, fill_value):
        _check_coordinates(self.name, inputs, coordinates, order, fill_mode)
        return Spec(tuple(coordinates.shape[1:]), inputs.dtype)

    def forward(self, xp, inputs, coordinates, order, fill_mode, fill_value):
        out = 0.0
        for index, valid, weight in _corners(xp, inputs, coordinates, order, fill_mode):
            value = inputs[index]
            if valid is not None:
                value = xp.where(valid, value, fill_value)
            out = out + weight * value
        out = xp.asarray(out)
        if inputs.dtype.kind in "iu":
            out = xp.where(out >= 0, xp.floor(out + 0.5), xp.ceil(out - 0.5))
        return out.astype(inputs.dtype)

    def gradient(self, ops, inputs, output, grad, order, fill_mode, fill_value):
        image, coordinates = inputs
        return (ops.map_coordinates_grad(grad, image, coordinates, order=order, fill_mode=fill_mode),
                ops.map_coordinates_slope(grad, image, coordinates, order=order, fill_mode=fill_mode,
                                          fill_value=fill_value))


@register
class MapCoordinatesSlope(Primitive):
    """The coordinates' gradient of ``map_coordinates``: ``grad`` times the sampled value's slope
    along each axis (zero for order 0, piecewise constant for order 1; no gradient of its own)."""

    name = "map_coordinates_slope"
    differentiable = False

    def infer(self, grad, inputs, coordinates, order, fill_mode, fill_value):
        return Spec(tuple(coordinates.shape), numpy.dtype(coordinates.dtype) if numpy.dtype(
            coordinates.dtype).kind == "f" else grad.dtype)

    def forward(self, xp, grad, inputs, coordinates, order, fill_mode, fill_value):
        dtype = coordinates.dtype if coordinates.dtype.kind == "f" else grad.dtype
        out = xp.zeros(coordinates.shape, numpy.float64)
        if order == 0:
            return out.astype(dtype)
        for index, valid, _, derivatives in _corners(xp, inputs, coordinates, order, fill_mode, slopes=True):
            value = inputs[index].astype(numpy.float64)
            if valid is not None:
                value = xp.where(valid, value, fill_value)
            for axis, d in enumerate(derivatives):
                out[axis] += grad * d * value
        return out.astype(dtype)


@register
class MapCoordinatesGrad(Primitive):
    """The input gradient of ``map_coordinates``: ``grad`` scattered back with the sampling weights."""

    name = "map_coordinates_grad"

    def infer(self, grad, inputs, coordinates, order, fill_mode):
        return Spec(tuple(inputs.shape), grad.dtype)

    def forward(self, xp, grad, inputs, coordinates, order, fill_mode):
        out = xp.zeros(inputs.shape, grad.dtype)
        for index, valid, weight in _corners(xp, inputs, coordinates, order, fill_mode):
            contribution = grad * weight
            if valid is not None:
                contribution = xp.where(valid, contribution, 0)
            xp.add.at(out, index, contribution)
        return out

    def gradient(self, ops, inputs, output, grad, order, fill_mode):
        _, image, coordinates = inputs
        return ops.map_coordinates(grad, coordinates, order=order, fill_mode=fill_mode, fill_value=0.0), None, None


# ------------------------------------------------------------------ Fourier

@register
class Dft(Primitive):
    """``part`` ('real' or 'imag') of the discrete Fourier transform (``inverse``: its inverse, 1/n)
    of ``real + i imag`` along the last axis; numpy's FFT in float64, cast back."""

    name = "dft"

    def infer(self, real, imag, inverse, part):
        if tuple(real.shape) != tuple(imag.shape) and None not in real.shape and None not in imag.shape:
            raise ShapeError(f"dft: real {format_shape(real.shape)} and imag {format_shape(imag.shape)} differ")
        return Spec(tuple(real.shape), numpy.result_type(real.dtype, imag.dtype))

    def forward(self, xp, real, imag, inverse, part):
        z = real.astype(numpy.float64) + 1j * imag.astype(numpy.float64)
        out = xp.fft.ifft(z, axis=-1) if inverse else xp.fft.fft(z, axis=-1)
        return (out.real if part == "real" else out.imag).astype(numpy.result_type(real.dtype, imag.dtype))

    def gradient(self, ops, inputs, output, grad, inverse, part):
        zeros = ops.zeros_like(grad)
        g_real = ops.dft(grad, zeros, inverse=inverse, part="real")
        g_imag = ops.dft(grad, zeros, inverse=inverse, part="imag")
        if part == "real":
            return g_real, -g_imag
        return g_imag, g_real
