"""Weight initializers: the objects layers call to fill a new weight.

An initializer is called as ``initializer(shape, dtype=None)`` and returns an
array of the backend array module (float32 unless asked otherwise).  Names,
arguments, defaults and formulas are Keras' (``GlorotUniform``,
``VarianceScaling`` with its fan rule and truncated-normal correction, ...),
so a layer config written by Keras resolves here to the same distribution.

Initializers are not differentiated, so they compute straight on arrays
instead of going through ``kerasette.ops``.  Random draws come from a numpy
Generator: ``seed=None`` uses the shared ``backend.rng()`` (seeded by
``backend.set_seed``); an int seed makes every call repeat the same values,
as in Keras 3.

>>> from kerasette import initializers
>>> w = initializers.get("glorot_uniform")((784, 10))
>>> w.shape, w.dtype
((784, 10), dtype('float32'))
"""
from __future__ import annotations

import math

import numpy

from . import backend
from .serialization import Configurable, ObjectRegistry

__all__ = [
    "Initializer", "Constant", "Zeros", "Ones", "RandomNormal", "RandomUniform",
    "TruncatedNormal", "VarianceScaling", "GlorotUniform", "GlorotNormal", "HeUniform",
    "HeNormal", "LecunUniform", "LecunNormal", "Orthogonal", "OrthogonalInitializer",
    "Identity", "IdentityInitializer", "compute_fans", "get", "serialize", "deserialize",
    "STFT", "STFTInitializer", "stft", "constant", "zeros", "ones", "random_normal",
    "random_uniform", "truncated_normal", "variance_scaling", "glorot_uniform", "glorot_normal",
    "he_uniform", "he_normal", "lecun_uniform", "lecun_normal", "orthogonal", "identity",
]

# stddev of a standard normal truncated to [-2, 2]: dividing by it makes the
# truncated draw have the variance VarianceScaling promises (Keras' constant)
TRUNCATED_NORMAL_STDDEV = 0.87962566103423978


def _shape_tuple(shape) -> tuple:
    if isinstance(shape, (int, numpy.integer)):
        return (int(shape),)
    return tuple(int(d) for d in shape)


def _dtype(dtype, name: str, float_only: bool = False) -> numpy.dtype:
    dtype = numpy.dtype(backend.floatx() if dtype is None else dtype)
    if float_only and dtype.kind != "f" and dtype.name != "bfloat16":
        raise ValueError(f"{name} only makes float values, not {dtype.name}")
    return dtype


def compute_fans(shape) -> tuple:
    """``(fan_in, fan_out)`` of a weight shape, Keras' rule.

    For kernels of rank > 2 the leading axes are the receptive field, which
    multiplies both fans: a (3, 3, 16, 32) conv kernel has fan_in 144 and
    fan_out 288.
    """
    shape = _shape_tuple(shape)
    if len(shape) < 1:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    if len(shape) == 2:
        return shape[0], shape[1]
    receptive_field = math.prod(shape[:-2])
    return shape[-2] * receptive_field, shape[-1] * receptive_field


class Initializer(Configurable):
    """Base class: subclasses implement ``__call__(shape, dtype=None)``.

    >>> class Fives(Initializer):
    ...     def __call__(self, shape, dtype=None):
    ...         return Constant(5.0)(shape, dtype)
    """

    def __call__(self, shape, dtype=None):
        raise NotImplementedError(f"{type(self).__name__} does not implement __call__")

    @classmethod
    def from_config(cls, config: dict):
        config = dict(config)
        # TF 2.x wrote the dtype into some initializer configs; it is a call argument here
        config.pop("dtype", None)
        return cls(**config)

    def clone(self):
        return type(self).from_config(self.get_config())


# ------------------------------------------------------------------ constants

class Constant(Initializer):
    """Fills with ``value`` (a number, or an array that broadcasts to the shape).

    >>> Constant(3.0)((2,))
    array([3., 3.], dtype=float32)
    """

    def __init__(self, value=0.0):
        self.value = value

    def __call__(self, shape, dtype=None):
        xp = backend.array_module()
        dtype = _dtype(dtype, "Constant")
        value = xp.asarray(self.value, dtype=dtype)
        return xp.array(xp.broadcast_to(value, _shape_tuple(shape)))

    def get_config(self):
        value = self.value
        if hasattr(value, "tolist"):
            value = value.tolist()
        return {"value": value}


class Zeros(Initializer):
    """Fills with 0.

    >>> float(Zeros()((2, 2)).sum())
    0.0
    """

    def __call__(self, shape, dtype=None):
        return backend.array_module().zeros(_shape_tuple(shape), dtype=_dtype(dtype, "Zeros"))


class Ones(Initializer):
    """Fills with 1.

    >>> float(Ones()((2, 2)).sum())
    4.0
    """

    def __call__(self, shape, dtype=None):
        return backend.array_module().ones(_shape_tuple(shape), dtype=_dtype(dtype, "Ones"))


# ---------------------------------------------------------------- random draws

class RandomInitializer(Initializer):
    """Holds the seed; draws with a Generator in float32 (float64 when asked)."""

    def __init__(self, seed=None):
        if seed is not None and not isinstance(seed, (int, numpy.integer, numpy.random.Generator)):
            raise ValueError(f"seed must be None, an int or a numpy Generator, got {seed!r}")
        self.seed = int(seed) if isinstance(seed, numpy.integer) else seed

    def generator(self) -> numpy.random.Generator:
        if self.seed is None:
            return backend.rng()
        if isinstance(self.seed, numpy.random.Generator):
            return self.seed
        # a fresh generator per call: an int seed repeats its values, like Keras 3
        return numpy.random.default_rng(self.seed)

    @staticmethod
    def draw_dtype(dtype: numpy.dtype) -> numpy.dtype:
        # Generator draws float32 or float64 only; float16 is drawn in float32
        return numpy.dtype("float64") if dtype == numpy.float64 else numpy.dtype("float32")

    def standard_normal(self, shape, dtype):
        return self.generator().standard_normal(shape, dtype=self.draw_dtype(dtype))

    def truncated_standard_normal(self, shape, dtype):
        """Standard normal draws, those beyond 2 redrawn until none are left."""
        generator = self.generator()
        draw_dtype = self.draw_dtype(dtype)
        values = generator.standard_normal(shape, dtype=draw_dtype)
        outside = numpy.flatnonzero(numpy.abs(values) > 2.0)
        flat = values.reshape(-1)
        # each round redraws about 4.6% of what is left, so a few rounds suffice
        while outside.size:
            flat[outside] = generator.standard_normal(outside.size, dtype=draw_dtype)
            outside = outside[numpy.abs(flat[outside]) > 2.0]
        return values

    def uniform(self, shape, dtype, low, high):
        unit = self.generator().random(shape, dtype=self.draw_dtype(dtype))
        return unit * (high - low) + low

    @staticmethod
    def finish(values, dtype):
        """Cast to the asked dtype and hand over as an array of the backend."""
        return backend.array_module().asarray(values.astype(dtype, copy=False))

    def get_config(self):
        seed = self.seed if isinstance(self.seed, int) else None
        return {"seed": seed}


class RandomNormal(RandomInitializer):
    """Normal draws with ``mean`` and ``stddev``.

    >>> RandomNormal(stddev=1.0, seed=0)((3,)).shape
    (3,)
    """

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        super().__init__(seed)
        self.mean = mean
        self.stddev = stddev

    def __call__(self, shape, dtype=None):
        dtype = _dtype(dtype, "RandomNormal", float_only=True)
        values = self.standard_normal(_shape_tuple(shape), dtype)
        values *= self.stddev
        values += self.mean
        return self.finish(values, dtype)

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, **super().get_config()}


class RandomUniform(RandomInitializer):
    """Uniform draws in ``[minval, maxval)``.

    >>> w = RandomUniform(-1.0, 1.0, seed=0)((100,)); bool(abs(w).max() <= 1)
    True
    """

    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        super().__init__(seed)
        self.minval = minval
        self.maxval = maxval

    def __call__(self, shape, dtype=None):
        dtype = _dtype(dtype, "RandomUniform", float_only=True)
        values = self.uniform(_shape_tuple(shape), dtype, self.minval, self.maxval)
        return self.finish(values, dtype)

    def get_config(self):
        return {"minval": self.minval, "maxval": self.maxval, **super().get_config()}


class TruncatedNormal(RandomInitializer):
    """Normal draws with values beyond two ``stddev`` from ``mean`` redrawn.

    >>> w = TruncatedNormal(stddev=1.0, seed=0)((1000,)); bool(abs(w).max() <= 2)
    True
    """

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        super().__init__(seed)
        self.mean = mean
        self.stddev = stddev

    def __call__(self, shape, dtype=None):
        dtype = _dtype(dtype, "TruncatedNormal", float_only=True)
        values = self.truncated_standard_normal(_shape_tuple(shape), dtype)
        values *= self.stddev
        values += self.mean
        return self.finish(values, dtype)

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, **super().get_config()}


class VarianceScaling(RandomInitializer):
    """Draws scaled to the weight's fans: variance ``scale / n``.

    ``n`` is fan_in, fan_out or their mean (``mode``); ``distribution`` is
    ``'truncated_normal'`` (stddev corrected for the truncation),
    ``'untruncated_normal'`` or ``'uniform'`` (limit ``sqrt(3 * scale / n)``).

    >>> VarianceScaling(2.0, "fan_in", "uniform", seed=0)((3, 3, 8, 16)).shape
    (3, 3, 8, 16)
    """

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None):
        super().__init__(seed)
        if scale <= 0.0:
            raise ValueError(f"VarianceScaling: scale must be positive, got {scale}")
        if mode not in ("fan_in", "fan_out", "fan_avg"):
            raise ValueError(f"VarianceScaling: mode must be fan_in, fan_out or fan_avg, got {mode!r}")
        distribution = distribution.lower()
        # Keras 2.0-2.2 wrote 'normal' for the truncated normal
        if distribution == "normal":
            distribution = "truncated_normal"
        if distribution not in ("uniform", "truncated_normal", "untruncated_normal"):
            raise ValueError("VarianceScaling: distribution must be uniform, truncated_normal "
                             f"or untruncated_normal, got {distribution!r}")
        self.scale = scale
        self.mode = mode
        self.distribution = distribution

    def variance(self, shape) -> float:
        fan_in, fan_out = compute_fans(shape)
        if self.mode == "fan_in":
            n = fan_in
        elif self.mode == "fan_out":
            n = fan_out
        else:
            n = (fan_in + fan_out) / 2.0
        return self.scale / max(1.0, n)

    def __call__(self, shape, dtype=None):
        dtype = _dtype(dtype, type(self).__name__, float_only=True)
        shape = _shape_tuple(shape)
        variance = self.variance(shape)
        if self.distribution == "uniform":
            limit = math.sqrt(3.0 * variance)
            values = self.uniform(shape, dtype, -limit, limit)
        else:
            if self.distribution == "truncated_normal":
                values = self.truncated_standard_normal(shape, dtype)
                stddev = math.sqrt(variance) / TRUNCATED_NORMAL_STDDEV
            else:
                values = self.standard_normal(shape, dtype)
                stddev = math.sqrt(variance)
            values *= stddev
        return self.finish(values, dtype)

    def get_config(self):
        return {"scale": self.scale, "mode": self.mode, "distribution": self.distribution,
                **super().get_config()}


class _FixedVarianceScaling(VarianceScaling):
    """A named VarianceScaling whose only argument is the seed."""

    fixed = (1.0, "fan_in", "truncated_normal")

    def __init__(self, seed=None, input_axes=None, output_axes=None):
        # Keras 3.15 writes input_axes/output_axes (for EinsumDense fans) into
        # these configs; kerasette's layers take fans from the shape, so they
        # are accepted and only kept for the config
        super().__init__(*self.fixed, seed=seed)
        self.input_axes, self.output_axes = input_axes, output_axes

    def get_config(self):
        return {"seed": self.seed if isinstance(self.seed, int) else None}


class GlorotUniform(_FixedVarianceScaling):
    """Uniform in ``[-limit, limit]``, ``limit = sqrt(6 / (fan_in + fan_out))`` (Keras' default)."""

    fixed = (1.0, "fan_avg", "uniform")


class GlorotNormal(_FixedVarianceScaling):
    """Truncated normal, ``stddev = sqrt(2 / (fan_in + fan_out))``."""

    fixed = (1.0, "fan_avg", "truncated_normal")


class HeUniform(_FixedVarianceScaling):
    """Uniform in ``[-limit, limit]``, ``limit = sqrt(6 / fan_in)``."""

    fixed = (2.0, "fan_in", "uniform")


class HeNormal(_FixedVarianceScaling):
    """Truncated normal, ``stddev = sqrt(2 / fan_in)``."""

    fixed = (2.0, "fan_in", "truncated_normal")


class LecunUniform(_FixedVarianceScaling):
    """Uniform in ``[-limit, limit]``, ``limit = sqrt(3 / fan_in)``."""

    fixed = (1.0, "fan_in", "uniform")


class LecunNormal(_FixedVarianceScaling):
    """Truncated normal, ``stddev = sqrt(1 / fan_in)``."""

    fixed = (1.0, "fan_in", "truncated_normal")


class Orthogonal(RandomInitializer):
    """A (semi-)orthogonal matrix times ``gain``, from the QR of a normal draw.

    Shapes of rank > 2 are flattened to (prod(shape[:-1]), shape[-1]) first.

    >>> q = Orthogonal(seed=0)((4, 4)); bool(abs(q.T @ q - numpy.eye(4)).max() < 1e-5)
    True
    """

    def __init__(self, gain=1.0, seed=None):
        super().__init__(seed)
        self.gain = gain

    def __call__(self, shape, dtype=None):
        dtype = _dtype(dtype, "Orthogonal", float_only=True)
        shape = _shape_tuple(shape)
        if len(shape) < 2:
            raise ValueError(f"Orthogonal needs a shape of rank 2 or more, got {shape}")
        rows, columns = math.prod(shape[:-1]), shape[-1]
        # drawn and factorised in float64 so the result is orthonormal to float32 precision
        matrix = self.standard_normal((max(rows, columns), min(rows, columns)), numpy.dtype("float64"))
        q, r = numpy.linalg.qr(matrix)
        # the sign fix (diag(R) > 0) makes Q uniform over orthogonal matrices
        q *= numpy.sign(numpy.diagonal(r))
        if rows < columns:
            q = q.T
        q *= self.gain
        return self.finish(q.reshape(shape), dtype)

    def get_config(self):
        return {"gain": self.gain, **super().get_config()}


class Identity(Initializer):
    """``gain`` times the identity matrix (rectangular allowed); 2-D shapes only.

    >>> Identity()((2, 3))
    array([[1., 0., 0.],
           [0., 1., 0.]], dtype=float32)
    """

    def __init__(self, gain=1.0):
        self.gain = gain

    def __call__(self, shape, dtype=None):
        dtype = _dtype(dtype, "Identity")
        shape = _shape_tuple(shape)
        if len(shape) != 2:
            raise ValueError(f"Identity needs a 2-D shape, got {shape}")
        xp = backend.array_module()
        return xp.eye(*shape, dtype=dtype) * xp.asarray(self.gain, dtype=dtype)

    def get_config(self):
        return {"gain": self.gain}


class STFT(Initializer):
    """Kernels of a short-time Fourier transform, shape ``(frame_length, channels, fft_bins)``:
    ``cos`` (``side='real'``) or ``sin`` (``side='imag'``) of ``-2 pi t f / (2 (bins - 1))``,
    times a window (a scipy window name or values) divided by its ``'density'`` (root of the
    summed squares) or ``'spectrum'`` (sum) scaling, as Keras 3's ``STFTSpectrogram`` uses.

    >>> STFT(window=None)((4, 1, 3))[:, 0, 1].round(4)
    array([ 1., -0., -1.,  0.], dtype=float32)
    """

    def __init__(self, side="real", window="hann", scaling="density", periodic=False):
        if side not in ("real", "imag"):
            raise ValueError(f"side should be 'real' or 'imag', not {side}")
        if isinstance(window, str):
            import scipy.signal
            scipy.signal.get_window(window, 1)
        if scaling is not None and scaling not in ("density", "spectrum"):
            raise ValueError("Scaling is invalid, it must be `None`, 'density' or 'spectrum'. "
                             f"Received scaling={scaling}")
        self.side = side
        self.window = window
        self.scaling = scaling
        self.periodic = periodic

    def __call__(self, shape, dtype=None):
        dtype = _dtype(dtype, "STFT", float_only=True)
        frame_length, _, fft_length = _shape_tuple(shape)
        time = numpy.arange(frame_length, dtype=dtype).reshape(frame_length, 1, 1)
        freq = numpy.arange(fft_length, dtype=dtype).reshape(1, 1, fft_length) / dtype.type(
            (fft_length - 1) * 2)
        angle = (dtype.type(-2) * time) * freq * numpy.arccos(dtype.type(-1))
        kernel = (numpy.cos(angle) if self.side == "real" else numpy.sin(angle)).astype(dtype)
        if self.window is not None:
            window = self.window
            if isinstance(window, str):
                import scipy.signal
                window = scipy.signal.get_window(window, frame_length, self.periodic)
            window = numpy.asarray(window, dtype=dtype)
            if window.ndim != 1 or window.shape[-1] != frame_length:
                raise ValueError("The shape of `window` must be equal to [frame_length]."
                                 f"Received: window shape={window.shape}")
            window = window.reshape(frame_length, 1, 1)
            scale = dtype.type(1)
            if self.scaling == "density":
                scale = numpy.sqrt(numpy.sum(numpy.square(window)))
            elif self.scaling == "spectrum":
                scale = numpy.sum(numpy.abs(window))
            kernel = (kernel * window / scale).astype(dtype)
        return backend.array_module().asarray(kernel)

    def get_config(self):
        window = self.window.tolist() if isinstance(self.window, numpy.ndarray) else self.window
        return {"side": self.side, "window": window, "periodic": self.periodic,
                "scaling": self.scaling}


# Keras 3's own class names and its lowercase aliases (keras.initializers.glorot_uniform is
# the GlorotUniform class)
OrthogonalInitializer = Orthogonal
IdentityInitializer = Identity
STFTInitializer = stft = STFT
constant = Constant
zeros = Zeros
ones = Ones
random_normal = RandomNormal
random_uniform = RandomUniform
truncated_normal = TruncatedNormal
variance_scaling = VarianceScaling
glorot_uniform = GlorotUniform
glorot_normal = GlorotNormal
he_uniform = HeUniform
he_normal = HeNormal
lecun_uniform = LecunUniform
lecun_normal = LecunNormal
orthogonal = Orthogonal
identity = Identity


# ------------------------------------------------------------- by name / config

_CLASSES = [Constant, Zeros, Ones, RandomNormal, RandomUniform, TruncatedNormal, VarianceScaling,
            GlorotUniform, GlorotNormal, HeUniform, HeNormal, LecunUniform, LecunNormal,
            Orthogonal, Identity, STFT]

_BY_NAME = {cls.__name__: cls for cls in _CLASSES}
_BY_NAME.update({
    "OrthogonalInitializer": Orthogonal, "IdentityInitializer": Identity,
    "constant": Constant, "zeros": Zeros, "ones": Ones, "random_normal": RandomNormal,
    "random_uniform": RandomUniform, "truncated_normal": TruncatedNormal,
    "variance_scaling": VarianceScaling, "glorot_uniform": GlorotUniform,
    "glorot_normal": GlorotNormal, "he_uniform": HeUniform, "he_normal": HeNormal,
    "lecun_uniform": LecunUniform, "lecun_normal": LecunNormal, "orthogonal": Orthogonal,
    "identity": Identity, "STFTInitializer": STFT, "stft": STFT,
    # Keras 1/2 spellings still found in old configs
    "normal": RandomNormal, "uniform": RandomUniform, "one": Ones, "zero": Zeros,
    "RandomNormalV2": RandomNormal, "RandomUniformV2": RandomUniform,
})
_REGISTRY = ObjectRegistry("initializer", Initializer, _BY_NAME)
_lookup = _REGISTRY.lookup


def serialize(initializer) -> dict:
    """``{"class_name": "GlorotUniform", "config": {"seed": None}}`` (Keras 2's form)."""
    return _REGISTRY.serialize(initializer)


def deserialize(config: dict, custom_objects: dict | None = None) -> Initializer:
    """The initializer a ``serialize`` dict (Keras 2 or Keras 3 form) describes."""
    return _REGISTRY.deserialize(config, custom_objects)


def get(identifier):
    """An initializer from None, a name, a config dict, a class, a callable or an instance.

    >>> get("he_normal")
    HeNormal(seed=None)
    """
    return _REGISTRY.get(identifier)
