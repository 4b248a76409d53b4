"""Audio layers: ``MelSpectrogram`` and ``STFTSpectrogram`` (Keras 3's arguments and numbers).

``MelSpectrogram`` is stateless: the centred short-time Fourier transform
of ``(..., samples)`` (``ops.stft``), its magnitude raised to ``mag_exp``,
warped onto ``num_mel_bins`` triangular HTK mel bands and, with
``power_to_db``, turned into decibels clipped ``top_db`` below the largest
value of the whole call (the batch included, as Keras does).  The output is
``(..., num_mel_bins, frames)``.  When the number of samples is known only
when a graph runs (``Input((None,))``), the same computation runs on the
arrays then, as a host function, through which no gradient flows.

``STFTSpectrogram`` computes the transform as a strided convolution, as
Keras 3 does, so that its kernels can be trained: ``real_kernel`` and
``imag_kernel`` (each ``(frame_length, 1, fft_length // 2 + 1)``, made by
``initializers.STFT``; a ``mode`` that needs only one part has only that
kernel), in Keras' order, so Keras 3 ``.weights.h5`` and ``.keras`` files
load.  Each input channel is transformed on its own (a depthwise convolution
whose kernel is the same for every channel); the output is
``(batch, frames, channels * bins)``, or ``(batch, frames, bins, channels)``
with ``expand_dims`` (channels-first data: ``(batch, channels * bins,
frames)`` and ``(batch, channels, frames, bins)``).
"""
from __future__ import annotations

import math
import numbers
import warnings

import numpy

from ... import backend, initializers, ops
from ..layer import InputSpec, Layer
from ..spatial import conv_output_length
from .data import as_numpy, host_call

__all__ = ["MelSpectrogram", "STFTSpectrogram"]

# the HTK mel scale: mel(f) = 1127 ln(1 + f / 700)
_MEL_BREAK_HZ = 700.0
_MEL_Q = 1127.0

_FLOATS = ("float16", "bfloat16", "float32", "float64")


def _window_value(window):
    """A window from a config: a name, None, or values (a list, an array, a ``__numpy__`` record)."""
    if isinstance(window, dict) and window.get("class_name") in ("__numpy__", "__tensor__"):
        inner = window.get("config", {})
        return numpy.asarray(inner.get("value"), dtype=inner.get("dtype"))
    if isinstance(window, (list, tuple)):
        return numpy.asarray(window, dtype="float32")
    if window is not None and not isinstance(window, (str, numpy.ndarray)):
        return as_numpy(window)
    return window


def _window_config(window):
    return window.tolist() if isinstance(window, numpy.ndarray) else window


def _positive_int(layer, argument, value, allow_none=False):
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{layer}: `{argument}` must be a positive integer, got {argument}={value!r}")
    return int(value)


def _hertz_to_mel(hertz):
    return _MEL_Q * numpy.log(1.0 + hertz / numpy.float32(_MEL_BREAK_HZ))


class MelSpectrogram(Layer):
    """Mel spectrograms of ``(samples,)`` or ``(batch, samples)`` audio: ``(..., num_mel_bins, frames)``.

    >>> layer = MelSpectrogram(num_mel_bins=64, sampling_rate=8000, sequence_stride=256, fft_length=2048)
    >>> layer(numpy.zeros((2, 16000), "float32")).shape
    (2, 64, 63)
    """

    def __init__(self, fft_length=2048, sequence_stride=512, sequence_length=None, window="hann",
                 sampling_rate=16000, num_mel_bins=128, min_freq=20.0, max_freq=None, power_to_db=True,
                 top_db=80.0, mag_exp=2.0, min_power=1e-10, ref_power=1.0, **kwargs):
        where = "MelSpectrogram"
        self.fft_length = _positive_int(where, "fft_length", fft_length)
        self.sequence_stride = _positive_int(where, "sequence_stride", sequence_stride)
        self.sequence_length = _positive_int(where, "sequence_length", sequence_length or fft_length)
        if self.fft_length < self.sequence_length:
            raise ValueError(f"{where}: `fft_length` must be greater than or equal to `sequence_length`. "
                             f"Received: sequence_length={self.sequence_length}, fft_length={self.fft_length}")
        window = _window_value(window)
        if isinstance(window, str) and window not in ("hann", "hamming"):
            raise ValueError(f"{where}: `window` must be 'hann', 'hamming', None or values of length "
                             f"sequence_length, got window={window!r}")
        if isinstance(window, numpy.ndarray) and window.shape != (self.sequence_length,):
            raise ValueError(f"{where}: `window` given as values must have shape ({self.sequence_length},) "
                             f"(sequence_length), got shape {window.shape}")
        self.window = window
        self.sampling_rate = sampling_rate
        self.num_mel_bins = _positive_int(where, "num_mel_bins", num_mel_bins)
        self.min_freq = min_freq
        # Keras keeps an integer Nyquist frequency when max_freq is not given
        self.max_freq = max_freq or int(sampling_rate / 2)
        self.power_to_db = power_to_db
        self.top_db = top_db
        self.mag_exp = mag_exp
        self.min_power = min_power
        self.ref_power = ref_power
        super().__init__(**kwargs)

    # ------------------------------------------------------------ math
    def linear_to_mel_weight_matrix(self, num_mel_bins=20, num_spectrogram_bins=129, sampling_rate=8000,
                                    lower_edge_hertz=125.0, upper_edge_hertz=3800.0, dtype="float32"):
        """The ``(num_spectrogram_bins, num_mel_bins)`` matrix of HTK triangles (peaks 1.0, the DC bin 0)
        that maps a linear spectrum over ``[0, sampling_rate / 2]`` onto mel bands spanning
        ``[lower_edge_hertz, upper_edge_hertz]``."""
        dtype = numpy.dtype(dtype)
        num_mel_bins, bins = int(num_mel_bins), int(num_spectrogram_bins)
        nyquist = dtype.type(sampling_rate) / dtype.type(2.0)
        # the DC bin gets no weight: it is left out, then padded back as a row of zeros
        linear = numpy.linspace(dtype.type(0), nyquist, bins, dtype=dtype)[1:]
        bins_mel = _hertz_to_mel(linear).astype(dtype)[:, None]
        edges = numpy.linspace(_hertz_to_mel(dtype.type(lower_edge_hertz)),
                               _hertz_to_mel(dtype.type(upper_edge_hertz)), num_mel_bins + 2, dtype=dtype)
        lower, center, upper = edges[None, :-2], edges[None, 1:-1], edges[None, 2:]
        rising = (bins_mel - lower) / (center - lower)
        falling = (upper - bins_mel) / (upper - center)
        weights = numpy.maximum(dtype.type(0), numpy.minimum(rising, falling)).astype(dtype)
        return numpy.pad(weights, [(1, 0), (0, 0)])

    def _spectrogram(self, inputs):
        real, imag = ops.stft(inputs, sequence_length=self.sequence_length, sequence_stride=self.sequence_stride,
                              fft_length=self.fft_length, window=self.window, center=True)
        magnitude = ops.sqrt(ops.add(ops.square(real), ops.square(imag)))
        return ops.power(magnitude, self.mag_exp)

    def _to_db(self, power, dtype):
        def log10(value):
            return numpy.log10(numpy.asarray(value, dtype))

        ten = numpy.asarray(10.0, dtype)
        db = ops.multiply(ten, ops.log10(ops.maximum(power, numpy.asarray(self.min_power, dtype))))
        reference = max(abs(float(self.ref_power)), float(self.min_power))
        db = ops.subtract(db, ten * log10(reference))
        # clipped top_db below the largest value of the whole call
        return ops.maximum(db, ops.subtract(ops.max(db), numpy.asarray(self.top_db, dtype)))

    def call(self, inputs):
        shape = tuple(inputs.shape)
        if shape and shape[-1] is None:
            # a sample count known only when the graph runs (``Input((None,))``): ops.stft needs it
            # when it is built, so the same computation runs on the arrays then (no gradient flows back)
            frames = shape[:-1] + (self.num_mel_bins, None)
            return host_call(lambda x: numpy.asarray(self._mel(x)), inputs, frames, self.compute_dtype,
                             label="mel_spectrogram")
        return self._mel(inputs)

    def _mel(self, inputs):
        compute_dtype = self.compute_dtype
        dtype = compute_dtype if compute_dtype in ("float32", "float64") else "float32"
        x = ops.cast(inputs, dtype)
        spectrum = self._spectrogram(x)
        bins = self.fft_length // 2 + 1
        matrix = self.linear_to_mel_weight_matrix(num_mel_bins=self.num_mel_bins, num_spectrogram_bins=bins,
                                                  sampling_rate=self.sampling_rate,
                                                  lower_edge_hertz=self.min_freq,
                                                  upper_edge_hertz=self.max_freq, dtype=dtype)
        mel = ops.tensordot(spectrum, matrix, axes=1)
        if self.power_to_db:
            mel = self._to_db(mel, dtype)
        return ops.cast(ops.swapaxes(mel, -1, -2), compute_dtype)

    def compute_output_shape(self, input_shape):
        # Keras 3's count of frames (one more than the transform gives when samples + 1 is a
        # multiple of the stride), kept for parity
        input_shape = tuple(input_shape)
        samples = input_shape[-1]
        frames = None if samples is None else (samples + self.sequence_stride + 1) // self.sequence_stride
        if len(input_shape) == 1:
            return (self.num_mel_bins, frames)
        return (input_shape[0], self.num_mel_bins, frames)

    def get_config(self):
        config = super().get_config()
        config.update({
            "fft_length": self.fft_length, "sequence_stride": self.sequence_stride,
            "sequence_length": self.sequence_length, "window": _window_config(self.window),
            "sampling_rate": self.sampling_rate, "num_mel_bins": self.num_mel_bins, "min_freq": self.min_freq,
            "max_freq": self.max_freq, "power_to_db": self.power_to_db, "top_db": self.top_db,
            "mag_exp": self.mag_exp, "min_power": self.min_power, "ref_power": self.ref_power,
        })
        return config


_MODES = ("log", "magnitude", "psd", "real", "imag", "angle", "stft")


class STFTSpectrogram(Layer):
    """Spectrograms of ``(batch, time, channels)`` signals by a strided convolution with DFT kernels.

    >>> layer = STFTSpectrogram(mode="log", frame_length=256, frame_step=128, fft_length=512)
    >>> layer(numpy.ones((3, 16000, 1), "float32")).shape
    (3, 124, 257)
    """

    def __init__(self, mode="log", frame_length=256, frame_step=None, fft_length=None, window="hann",
                 periodic=False, scaling="density", padding="valid", expand_dims=False, data_format=None,
                 **kwargs):
        where = "STFTSpectrogram"
        frame_length = _positive_int(where, "frame_length", frame_length)
        if frame_step is not None and (isinstance(frame_step, bool) or not isinstance(frame_step, numbers.Integral)
                                       or frame_step > frame_length or frame_step < 1):
            raise ValueError(f"{where}: `frame_step` should be a positive integer not greater than "
                             f"`frame_length`. Received frame_step={frame_step!r}, frame_length={frame_length}")
        fft_length = _positive_int(where, "fft_length", fft_length, allow_none=True)
        if fft_length is not None and fft_length < frame_length:
            raise ValueError(f"{where}: `fft_length` should be not less than `frame_length`. "
                             f"Received fft_length={fft_length}, frame_length={frame_length}")
        if fft_length is not None and fft_length & (fft_length - 1):
            warnings.warn(f"`fft_length` is recommended to be a power of two. Received fft_length={fft_length}",
                          stacklevel=2)
        if mode not in _MODES:
            raise ValueError(f"{where}: output `mode` is invalid, it must be one of {', '.join(_MODES)}. "
                             f"Received: mode={mode!r}")
        if scaling is not None and scaling not in ("density", "spectrum"):
            raise ValueError(f"{where}: `scaling` is invalid, it must be None, 'density' or 'spectrum'. "
                             f"Received scaling={scaling!r}")
        if padding not in ("valid", "same"):
            raise ValueError(f"{where}: `padding` is invalid, it should be 'valid' or 'same'. "
                             f"Received: padding={padding!r}")
        window = _window_value(window)
        if isinstance(window, str):
            import scipy.signal
            try:
                scipy.signal.get_window(window, 1)
            except ValueError as error:
                raise ValueError(f"{where}: `window` {window!r} is not a scipy.signal window: {error}") from None
        elif isinstance(window, numpy.ndarray) and window.shape != (frame_length,):
            raise ValueError(f"{where}: `window` given as values must have shape ({frame_length},) "
                             f"(frame_length), got shape {window.shape}")
        super().__init__(**kwargs)
        self.mode = mode
        self.frame_length = frame_length
        self.frame_step = None if frame_step is None else int(frame_step)
        self._frame_step = self.frame_step or frame_length // 2
        self.fft_length = fft_length
        self._fft_length = fft_length or 2 ** int(math.ceil(math.log2(frame_length)))
        self.window = window
        self.periodic = periodic
        self.scaling = scaling
        self.padding = padding
        self.expand_dims = expand_dims
        self.data_format = backend.standardize_data_format(data_format)
        self.input_spec = InputSpec(ndim=3)

    def build(self, input_shape):
        shape = (self.frame_length, 1, self._fft_length // 2 + 1)
        if self.mode != "imag":
            self.real_kernel = self.add_weight(
                name="real_kernel", shape=shape,
                initializer=initializers.STFT("real", self.window, self.scaling, self.periodic))
        if self.mode != "real":
            self.imag_kernel = self.add_weight(
                name="imag_kernel", shape=shape,
                initializer=initializers.STFT("imag", self.window, self.scaling, self.periodic))
        self.built = True

    def _channels(self, input_shape):
        channels = input_shape[1] if self.data_format == "channels_first" else input_shape[-1]
        if channels is None:
            raise ValueError(f"STFTSpectrogram '{self.name}': the channel axis of the input must be known, "
                             f"got shape {tuple(input_shape)}")
        return int(channels)

    def _transform(self, signal, kernel, channels):
        """``(batch, time, channels)`` -> one ``(batch, frames, bins)`` tensor per channel."""
        kernel = ops.cast(kernel, signal.dtype if hasattr(signal, "dtype") else self.compute_dtype)
        if channels > 1:
            kernel = ops.tile(kernel, (1, channels, 1))
        out = ops.depthwise_conv(signal, kernel, strides=self._frame_step, padding=self.padding,
                                 data_format="channels_last")
        if channels == 1:
            return [out]
        bins = self._fft_length // 2 + 1
        return [out[:, :, c * bins:(c + 1) * bins] for c in range(channels)]

    def _assemble(self, parts):
        """Per-channel ``(batch, frames, bins)`` tensors in the layer's output layout."""
        if self.expand_dims:
            return ops.stack(parts, axis=1 if self.data_format == "channels_first" else -1)
        out = parts[0] if len(parts) == 1 else ops.concatenate(parts, axis=-1)
        return ops.transpose(out, (0, 2, 1)) if self.data_format == "channels_first" else out

    def call(self, inputs):
        dtype = str(getattr(inputs, "dtype", ""))
        if dtype not in _FLOATS:
            raise TypeError("STFTSpectrogram: invalid input type. Expected `float16`, `float32` or `float64`. "
                            f"Received: input type={dtype}")
        channels = self._channels(tuple(inputs.shape))
        signal = ops.transpose(inputs, (0, 2, 1)) if self.data_format == "channels_first" else inputs
        real = imag = None
        if self.mode != "imag":
            real = self._transform(signal, self.real_kernel, channels)
        if self.mode != "real":
            imag = self._transform(signal, self.imag_kernel, channels)
        if self.mode == "real":
            return self._assemble(real)
        if self.mode == "imag":
            return self._assemble(imag)
        if self.mode == "angle":
            return self._assemble([ops.arctan2(i, r) for r, i in zip(real, imag)])
        if self.mode == "stft":
            return self._assemble([ops.concatenate([r, i], axis=-1) for r, i in zip(real, imag)])
        power = [ops.add(ops.square(r), ops.square(i)) for r, i in zip(real, imag)]
        if self.mode == "psd":
            # one-sided density: every bin but the first and the last counted twice
            return self._assemble([ops.add(p, ops.pad(p[:, :, 1:-1], [(0, 0), (0, 0), (1, 1)])) for p in power])
        eps = backend.epsilon()
        magnitude = [ops.sqrt(ops.maximum(p, eps)) for p in power]
        if self.mode == "magnitude":
            return self._assemble(magnitude)
        return self._assemble([ops.log(ops.maximum(m, eps)) for m in magnitude])

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        channels = self._channels(input_shape)
        time = input_shape[2] if self.data_format == "channels_first" else input_shape[1]
        frames = conv_output_length(time, self.frame_length, self._frame_step, 1, self.padding)
        bins = self._fft_length // 2 + 1
        if self.mode == "stft":
            bins *= 2
        batch = input_shape[0]
        if self.expand_dims:
            if self.data_format == "channels_first":
                return (batch, channels, frames, bins)
            return (batch, frames, bins, channels)
        if self.data_format == "channels_first":
            return (batch, channels * bins, frames)
        return (batch, frames, channels * bins)

    def get_config(self):
        config = super().get_config()
        config.update({
            "mode": self.mode, "frame_length": self.frame_length, "frame_step": self.frame_step,
            "fft_length": self.fft_length, "window": _window_config(self.window), "periodic": self.periodic,
            "scaling": self.scaling, "padding": self.padding, "data_format": self.data_format,
            "expand_dims": self.expand_dims,
        })
        return config
