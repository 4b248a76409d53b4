"""Learning rate schedules: the learning rate as a function of the optimizer step.

A schedule is called with the step (the optimizer's ``iterations`` before the
update, as in Keras) and returns the learning rate.  Every formula is written
with ``kerasette.ops``, so one schedule serves both ways an optimizer runs:
called on an int array (eager ``apply_gradients``) it computes at once; called
on the symbolic ``iterations`` node (a compiled training step) it adds nodes,
and the compiled program recomputes the rate from the current step on every
run without being rebuilt.

Names, arguments, defaults and arithmetic (float32, the order of operations)
follow Keras 3's ``keras/src/optimizers/schedules/learning_rate_schedule.py``.

>>> schedule = ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
>>> round(float(schedule(10)), 6)
0.05
"""
from __future__ import annotations

import math

from .. import backend, ops
from ..serialization import Configurable, ObjectRegistry

__all__ = [
    "LearningRateSchedule", "ExponentialDecay", "PiecewiseConstantDecay", "PolynomialDecay",
    "InverseTimeDecay", "CosineDecay", "CosineDecayRestarts", "serialize", "deserialize", "get",
]


def _float_constant(value):
    """A Python number (or 0-d array) as a float array of floatx, like Keras'
    ``convert_to_tensor(python_float)``; tensors and nodes pass through."""
    if isinstance(value, (int, float)):
        return backend.as_array(value, dtype=backend.floatx())
    return value


def _dtype_of(value):
    return ops.core.dtype_of(value)


def _as_step(step):
    """The step as something ops accept; a Python int becomes an int64 array."""
    if isinstance(step, (int, float)):
        return backend.as_array(step)
    return step


class LearningRateSchedule(Configurable):
    """Base class: subclasses implement ``__call__(step)`` and ``get_config()``.

    ``__call__`` must use ``kerasette.ops`` only, so that it works on an int
    array and on a symbolic step node.

    >>> class Halving(LearningRateSchedule):
    ...     def __init__(self, rate):
    ...         self.rate = rate
    ...     def __call__(self, step):
    ...         return self.rate / (ops.cast(step, "float32") + 1.0)
    ...     def get_config(self):
    ...         return {"rate": self.rate}
    """

    def __call__(self, step):
        raise NotImplementedError(
            f"Learning rate schedule '{self.__class__.__name__}' must override `__call__(self, step)`.")

    def get_config(self) -> dict:
        raise NotImplementedError(
            f"Learning rate schedule '{self.__class__.__name__}' must override `get_config()` "
            "in order to be serializable.")


def _check_decay_steps(value, argument="decay_steps"):
    if value <= 0:
        raise ValueError(f"Argument `{argument}` must be > 0. Received: {argument}={value}")


class _RateDecay(LearningRateSchedule):
    """ExponentialDecay and InverseTimeDecay: the same arguments and the same
    ``p = step / decay_steps`` (floored with ``staircase``); ``_decayed`` applies
    each one's formula to it."""

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase, name):
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.decay_rate = decay_rate
        self.staircase = staircase
        self.name = name
        _check_decay_steps(decay_steps)

    def __call__(self, step):
        initial = _float_constant(self.initial_learning_rate)
        dtype = _dtype_of(initial)
        decay_steps = ops.cast(self.decay_steps, dtype)
        decay_rate = ops.cast(self.decay_rate, dtype)
        p = ops.divide(ops.cast(_as_step(step), dtype), decay_steps)
        if self.staircase:
            p = ops.floor(p)
        return self._decayed(initial, decay_rate, p, dtype)

    def _decayed(self, initial, decay_rate, p, dtype):
        raise NotImplementedError

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "decay_rate": self.decay_rate, "staircase": self.staircase, "name": self.name}


class ExponentialDecay(_RateDecay):
    """``initial_learning_rate * decay_rate ** (step / decay_steps)``.

    With ``staircase=True`` the exponent is floored, so the rate drops in steps.

    >>> float(ExponentialDecay(1.0, decay_steps=2, decay_rate=0.5, staircase=True)(3))
    0.5
    """

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False,
                 name="ExponentialDecay"):
        super().__init__(initial_learning_rate, decay_steps, decay_rate, staircase, name)

    def _decayed(self, initial, decay_rate, p, dtype):
        return ops.multiply(initial, ops.power(decay_rate, p))


class PiecewiseConstantDecay(LearningRateSchedule):
    """``values[0]`` while ``step <= boundaries[0]``, ``values[1]`` while
    ``step <= boundaries[1]``, ..., ``values[-1]`` after the last boundary.

    >>> schedule = PiecewiseConstantDecay([10, 20], [1.0, 0.5, 0.1])
    >>> [round(float(schedule(s)), 6) for s in (10, 11, 21)]
    [1.0, 0.5, 0.1]
    """

    def __init__(self, boundaries, values, name="PiecewiseConstant"):
        if len(boundaries) != len(values) - 1:
            raise ValueError(
                "The length of boundaries should be 1 less than the length of values. "
                f"Received: boundaries={boundaries} of length {len(boundaries)}, and "
                f"values={values} of length {len(values)}.")
        self.boundaries = boundaries
        self.values = values
        self.name = name

    def __call__(self, step):
        step = _as_step(step)
        step_dtype = _dtype_of(step)
        integer_step = step_dtype.kind in "iu"
        # boundaries take the step's type, as in Keras
        boundaries = [int(b) if integer_step else b for b in self.boundaries]
        values = [_float_constant(v) if isinstance(v, float) else backend.as_array(v)
                  for v in self.values]
        result_dtype = _dtype_of(values[0])
        result = ops.multiply(ops.cast(ops.less_equal(step, boundaries[0]), result_dtype), values[0])
        result = ops.add(result, ops.multiply(
            ops.cast(ops.greater(step, boundaries[-1]), result_dtype), values[-1]))
        for low, high, value in zip(boundaries[:-1], boundaries[1:], values[1:-1]):
            in_range = ops.logical_and(ops.greater(step, low), ops.less_equal(step, high))
            result = ops.add(result, ops.multiply(ops.cast(in_range, result_dtype), value))
        return result

    def get_config(self):
        return {"boundaries": self.boundaries, "values": self.values, "name": self.name}


class PolynomialDecay(LearningRateSchedule):
    """``(initial - end) * (1 - min(step, decay_steps) / decay_steps) ** power + end``.

    With ``cycle=True`` the horizon grows to the first multiple of
    ``decay_steps`` beyond the step instead of holding at ``end``.

    >>> float(PolynomialDecay(1.0, decay_steps=4, end_learning_rate=0.0)(1))
    0.75
    """

    def __init__(self, initial_learning_rate, decay_steps, end_learning_rate=0.0001, power=1.0,
                 cycle=False, name="PolynomialDecay"):
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.end_learning_rate = end_learning_rate
        self.power = power
        self.cycle = cycle
        self.name = name
        _check_decay_steps(decay_steps)

    def __call__(self, step):
        initial = _float_constant(self.initial_learning_rate)
        dtype = _dtype_of(initial)
        end = ops.cast(self.end_learning_rate, dtype)
        power = ops.cast(self.power, dtype)
        global_step = ops.cast(_as_step(step), dtype)
        decay_steps = ops.cast(self.decay_steps, dtype)
        if self.cycle:
            # the first multiple of decay_steps above the step (1 at step 0)
            multiplier = ops.where(ops.equal(global_step, 0), 1.0,
                                   ops.ceil(ops.divide(global_step, self.decay_steps)))
            decay_steps = ops.multiply(decay_steps, multiplier)
        else:
            global_step = ops.minimum(global_step, decay_steps)
        p = ops.divide(global_step, decay_steps)
        return ops.add(ops.multiply(ops.subtract(initial, end), ops.power(ops.subtract(1, p), power)),
                       end)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "end_learning_rate": self.end_learning_rate, "power": self.power,
                "cycle": self.cycle, "name": self.name}


class InverseTimeDecay(_RateDecay):
    """``initial_learning_rate / (1 + decay_rate * step / decay_steps)``
    (with the quotient floored when ``staircase=True``).

    >>> float(InverseTimeDecay(1.0, decay_steps=1, decay_rate=0.5)(2))
    0.5
    """

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False,
                 name="InverseTimeDecay"):
        super().__init__(initial_learning_rate, decay_steps, decay_rate, staircase, name)

    def _decayed(self, initial, decay_rate, p, dtype):
        return ops.divide(initial, ops.add(ops.cast(1, dtype), ops.multiply(decay_rate, p)))


class CosineDecay(LearningRateSchedule):
    """Cosine decay from the initial rate (or ``warmup_target``) to ``alpha`` times it,
    after an optional linear warmup from ``initial_learning_rate`` to ``warmup_target``
    over ``warmup_steps``.

    >>> round(float(CosineDecay(1.0, decay_steps=10)(5)), 6)
    0.5
    """

    def __init__(self, initial_learning_rate, decay_steps, alpha=0.0, name="CosineDecay",
                 warmup_target=None, warmup_steps=0):
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.alpha = alpha
        self.name = name
        self.warmup_steps = warmup_steps
        self.warmup_target = warmup_target
        _check_decay_steps(decay_steps)

    def _decay(self, step, decay_steps, decay_from, dtype):
        completed_fraction = ops.divide(step, decay_steps)
        pi = backend.as_array(math.pi, dtype=dtype)
        cosine_decayed = ops.multiply(0.5, ops.add(1.0, ops.cos(ops.multiply(pi, completed_fraction))))
        decayed = ops.add(ops.multiply(1 - self.alpha, cosine_decayed), self.alpha)
        return ops.multiply(decay_from, decayed)

    def _warmup(self, step, warmup_steps, warmup_target, initial):
        completed_fraction = ops.divide(step, warmup_steps)
        total_delta = ops.subtract(warmup_target, initial)
        return ops.add(ops.multiply(total_delta, completed_fraction), initial)

    def __call__(self, step):
        initial = _float_constant(self.initial_learning_rate)
        dtype = _dtype_of(initial)
        decay_steps = ops.cast(self.decay_steps, dtype)
        global_step = ops.cast(_as_step(step), dtype)
        if self.warmup_target is None:
            global_step = ops.minimum(global_step, decay_steps)
            return self._decay(global_step, decay_steps, initial, dtype)
        warmup_target = ops.cast(self.warmup_target, dtype)
        warmup_steps = ops.cast(self.warmup_steps, dtype)
        global_step = ops.minimum(global_step, ops.add(decay_steps, warmup_steps))
        # Keras branches with cond; both sides are cheap scalars, so pick with where
        return ops.where(
            ops.less(global_step, warmup_steps),
            self._warmup(global_step, warmup_steps, warmup_target, initial),
            self._decay(ops.subtract(global_step, warmup_steps), decay_steps, warmup_target, dtype))

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "alpha": self.alpha, "name": self.name, "warmup_target": self.warmup_target,
                "warmup_steps": self.warmup_steps}


class CosineDecayRestarts(LearningRateSchedule):
    """Cosine decay with warm restarts (SGDR): each period lasts ``t_mul`` times
    the previous one and starts at ``m_mul`` times its rate.

    >>> float(CosineDecayRestarts(1.0, first_decay_steps=10, t_mul=1.0)(10))
    1.0
    """

    def __init__(self, initial_learning_rate, first_decay_steps, t_mul=2.0, m_mul=1.0, alpha=0.0,
                 name="SGDRDecay"):
        self.initial_learning_rate = initial_learning_rate
        self.first_decay_steps = first_decay_steps
        self._t_mul = t_mul
        self._m_mul = m_mul
        self.alpha = alpha
        self.name = name
        _check_decay_steps(first_decay_steps, "first_decay_steps")

    def __call__(self, step):
        initial = _float_constant(self.initial_learning_rate)
        dtype = _dtype_of(initial)
        first_decay_steps = ops.cast(self.first_decay_steps, dtype)
        alpha = ops.cast(self.alpha, dtype)
        t_mul = ops.cast(self._t_mul, dtype)
        m_mul = ops.cast(self._m_mul, dtype)
        completed_fraction = ops.divide(ops.cast(_as_step(step), dtype), first_decay_steps)
        # t_mul is a Python number: the branch Keras takes with cond is known now
        if float(self._t_mul) == 1.0:
            i_restart = ops.floor(completed_fraction)
            completed_fraction = ops.subtract(completed_fraction, i_restart)
        else:
            i_restart = ops.floor(ops.divide(
                ops.log(ops.subtract(1.0, ops.multiply(completed_fraction, ops.subtract(1.0, t_mul)))),
                ops.log(t_mul)))
            sum_r = ops.divide(ops.subtract(1.0, ops.power(t_mul, i_restart)), ops.subtract(1.0, t_mul))
            completed_fraction = ops.divide(ops.subtract(completed_fraction, sum_r),
                                            ops.power(t_mul, i_restart))
        m_factor = ops.power(m_mul, i_restart)
        pi = backend.as_array(math.pi, dtype=dtype)
        cosine_decayed = ops.multiply(ops.multiply(0.5, m_factor),
                                      ops.add(1.0, ops.cos(ops.multiply(pi, completed_fraction))))
        decayed = ops.add(ops.multiply(ops.subtract(1, alpha), cosine_decayed), alpha)
        return ops.multiply(initial, decayed)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "first_decay_steps": self.first_decay_steps, "t_mul": self._t_mul,
                "m_mul": self._m_mul, "alpha": self.alpha, "name": self.name}


_SCHEDULES = {cls.__name__: cls for cls in (
    ExponentialDecay, PiecewiseConstantDecay, PolynomialDecay, InverseTimeDecay, CosineDecay,
    CosineDecayRestarts)}
_REGISTRY = ObjectRegistry(
    "learning rate schedule", LearningRateSchedule, _SCHEDULES,
    unknown_error="Unknown {kind}: {name!r}. Known: {known_list}; pass custom classes in "
                  "custom_objects.")


def serialize(schedule: LearningRateSchedule) -> dict:
    """``{"class_name": "ExponentialDecay", "config": {...}}`` (Keras 2's form)."""
    if schedule is None:   # the registry passes None through; an optimizer's rate is never None
        raise ValueError("Cannot serialize None: it is not a LearningRateSchedule")
    return _REGISTRY.serialize(schedule)


def deserialize(config: dict, custom_objects: dict | None = None) -> LearningRateSchedule:
    """The schedule a ``serialize`` dict (Keras 2 or Keras 3 form) describes."""
    return _REGISTRY.deserialize(config, custom_objects)


def get(identifier):
    """A schedule from an instance or a ``serialize`` dict."""
    if isinstance(identifier, LearningRateSchedule):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    raise ValueError(f"Cannot interpret learning rate schedule identifier {identifier!r}")
