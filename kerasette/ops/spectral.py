"""Fourier transforms, short-time transforms and window functions (Keras 3's names).

Complex values travel as Keras passes them: a pair ``(real, imag)`` of
float tensors.  Transforms along the last axis are the ``dft`` primitive
(numpy's FFT, one primitive per part, whose gradient is the transform of the
output gradient); ``rfft`` is its first ``n // 2 + 1`` bins and ``irfft`` the
inverse of the Hermitian-extended spectrum, so all of them are
differentiable and run in O(n log n).  The axis length must be known when
the op is built.

``stft`` is Keras 3's (JAX): frames of ``fft_length`` (the signal
reflect-padded by ``fft_length // 2`` each side when ``center``), times the
window (scipy's periodic 'hann' or 'hamming' of ``sequence_length``,
zero-padded to ``fft_length`` in the middle), then ``rfft``.  ``istft``
inverts it: ``irfft`` of each frame, times the window, overlap-added and
divided by the overlap-added squared window, as scipy's ``istft`` does.
"""
from __future__ import annotations

from typing import Any

import numpy

from .. import backend
from . import math as _m
from . import shape_ops as _s
from .core import apply, dtype_of, shape_of

TensorLike = Any

__all__ = ["fft", "fft2", "ifft2", "rfft", "irfft", "stft", "istft", "hamming", "hanning", "bartlett",
           "blackman", "kaiser"]


def _float(x):
    dtype = numpy.dtype(dtype_of(x))
    return x if dtype.kind == "f" else _m.cast(x, backend.floatx())


def _length(x, name):
    n = shape_of(x)[-1]
    if n is None:
        raise ValueError(f"{name}: the last axis must have a known size, got shape {shape_of(x)}")
    return n


def _complex_pair(x, name):
    if not isinstance(x, (tuple, list)) or len(x) != 2:
        raise ValueError(f"{name}: x must be a tuple (real, imag) of two tensors")
    real, imag = (_float(v) for v in x)
    if shape_of(real) != shape_of(imag):
        raise ValueError(f"{name}: real and imag parts differ in shape: {shape_of(real)} and {shape_of(imag)}")
    return real, imag


def _transform_last(real, imag, inverse, name):
    _length(real, name)
    return (apply("dft", real, imag, inverse=inverse, part="real"),
            apply("dft", real, imag, inverse=inverse, part="imag"))


def fft(x) -> tuple:
    """The discrete Fourier transform along the last axis of ``(real, imag)``."""
    real, imag = _complex_pair(x, "fft")
    return _transform_last(real, imag, False, "fft")


def _swap_last(x):
    rank = len(shape_of(x))
    return _s.transpose(x, tuple(range(rank - 2)) + (rank - 1, rank - 2))


def _two_d(x, inverse, name):
    real, imag = _complex_pair(x, name)
    real, imag = _transform_last(real, imag, inverse, name)
    real, imag = _transform_last(_swap_last(real), _swap_last(imag), inverse, name)
    return _swap_last(real), _swap_last(imag)


def fft2(x) -> tuple:
    """The 2-d discrete Fourier transform over the last two axes of ``(real, imag)``."""
    return _two_d(x, False, "fft2")


def ifft2(x) -> tuple:
    """The inverse of ``fft2``."""
    return _two_d(x, True, "ifft2")


def _fit_last(x, n):
    size = shape_of(x)[-1]
    if size > n:
        return _s.getitem(x, (Ellipsis, slice(0, n)))
    if size < n:
        widths = [(0, 0)] * (len(shape_of(x)) - 1) + [(0, n - size)]
        return _s.pad(x, widths)
    return x


def rfft(x: TensorLike, fft_length=None) -> tuple:
    """The transform of a real signal along its last axis: ``fft_length // 2 + 1`` frequencies."""
    from .creation import zeros_like
    x = _float(x)
    n = _length(x, "rfft") if fft_length is None else int(fft_length)
    x = _fit_last(x, n)
    real, imag = _transform_last(x, zeros_like(x), False, "rfft")
    bins = (Ellipsis, slice(0, n // 2 + 1))
    return _s.getitem(real, bins), _s.getitem(imag, bins)


def irfft(x, fft_length=None) -> TensorLike:
    """The real signal whose ``rfft`` is ``(real, imag)`` (length ``fft_length``, default ``2 (m - 1)``)."""
    from .arrays import flip
    real, imag = _complex_pair(x, "irfft")
    bins = _length(real, "irfft")
    n = 2 * (bins - 1) if fft_length is None else int(fft_length)
    use = n // 2 + 1
    real, imag = _fit_last(real, use), _fit_last(imag, use)
    # numpy ignores the imaginary parts of the zero and (even n) Nyquist frequencies
    keep = numpy.ones(use, dtype=numpy.dtype(dtype_of(imag)))
    keep[0] = 0
    if n % 2 == 0:
        keep[-1] = 0
    imag = _m.multiply(imag, keep)
    mirrored = (Ellipsis, slice(1, n - use + 1))
    full_real = _s.concatenate([real, flip(_s.getitem(real, mirrored), -1)], axis=-1)
    full_imag = _s.concatenate([imag, _m.negative(flip(_s.getitem(imag, mirrored), -1))], axis=-1)
    return _transform_last(full_real, full_imag, True, "irfft")[0]


# ------------------------------------------------------------------- windows

def _window_array(window, sequence_length, fft_length, dtype, name):
    if window is None:
        return numpy.ones(fft_length, dtype)
    if isinstance(window, str):
        if window not in ("hann", "hamming"):
            raise ValueError(f"{name}: window must be 'hann', 'hamming', an array or None, got {window!r}")
        import scipy.signal
        values = scipy.signal.get_window(window, sequence_length)
    else:
        from .introspection import convert_to_numpy
        values = convert_to_numpy(window)
    values = numpy.asarray(values, dtype=numpy.float64)
    if values.shape != (sequence_length,):
        raise ValueError(f"{name}: the window must have shape ({sequence_length},), got {values.shape}")
    left = (fft_length - sequence_length) // 2
    return numpy.pad(values, (left, fft_length - sequence_length - left)).astype(dtype)


def stft(x: TensorLike, sequence_length: int, sequence_stride: int, fft_length: int, window="hann",
         center: bool = True) -> tuple:
    """``(real, imag)`` of the short-time Fourier transform: ``(..., frames, fft_length // 2 + 1)``."""
    from .arrays import extract_sequences
    dtype = numpy.dtype(dtype_of(x))
    if dtype.name not in ("float32", "float64"):
        raise TypeError(f"stft: x must be float32 or float64, got {dtype.name}")
    if fft_length < sequence_length:
        raise ValueError(f"stft: fft_length ({fft_length}) must be at least sequence_length ({sequence_length})")
    win = _window_array(window, int(sequence_length), int(fft_length), dtype, "stft")
    if center:
        widths = [(0, 0)] * (len(shape_of(x)) - 1) + [(fft_length // 2, fft_length // 2)]
        x = _s.pad(x, widths, mode="reflect")
    frames = extract_sequences(x, int(fft_length), int(sequence_stride))
    return rfft(_m.multiply(frames, win), int(fft_length))


def istft(x, sequence_length: int, sequence_stride: int, fft_length: int, length=None, window="hann",
          center: bool = True) -> TensorLike:
    """The signal whose ``stft`` is ``x = (real, imag)``; ``length`` trims (or pads) the result."""
    real, imag = _complex_pair(x, "istft")
    if len(shape_of(real)) < 2:
        raise ValueError(f"istft: x must have at least 2 axes, got shape {shape_of(real)}")
    dtype = numpy.dtype(dtype_of(real))
    frames_count = shape_of(real)[-2]
    win = _window_array(window, int(sequence_length), int(fft_length), dtype, "istft")
    frames = irfft((real, imag), int(fft_length))
    signal = apply("overlap_add", _m.multiply(frames, win), stride=int(sequence_stride))
    norm = numpy.zeros(fft_length + sequence_stride * (frames_count - 1))
    for t in range(frames_count):
        norm[t * sequence_stride:t * sequence_stride + fft_length] += win.astype(numpy.float64) ** 2
    divisor = float(win.sum()) if window is not None else float(sequence_stride)
    total = float(win.astype(numpy.float64).sum())
    scale = total / numpy.where(norm > 1e-10, norm, 1.0) / divisor
    signal = _m.multiply(signal, scale.astype(dtype))
    start = fft_length // 2 if center else 0
    total = fft_length + sequence_stride * (frames_count - 1)
    if length is not None:
        end = start + int(length)
    elif center:
        end = total - fft_length // 2
    else:
        end = total
    return _s.getitem(signal, (Ellipsis, slice(start, min(end, total))))


def _window(values) -> TensorLike:
    return numpy.asarray(values, dtype=backend.floatx())


def hamming(x) -> TensorLike:
    """The Hamming window of ``x`` points (numpy's, symmetric)."""
    return _window(numpy.hamming(int(x)))


def hanning(x) -> TensorLike:
    """The Hann window of ``x`` points (numpy's, symmetric)."""
    return _window(numpy.hanning(int(x)))


def bartlett(x) -> TensorLike:
    """The Bartlett (triangular) window of ``x`` points."""
    return _window(numpy.bartlett(int(x)))


def blackman(x) -> TensorLike:
    """The Blackman window of ``x`` points."""
    return _window(numpy.blackman(int(x)))


def kaiser(x, beta) -> TensorLike:
    """The Kaiser window of ``x`` points with shape ``beta``."""
    return _window(numpy.kaiser(int(x), float(beta)))
