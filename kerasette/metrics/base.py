"""The Metric base class and the reducing metrics: Mean, Sum, MeanMetricWrapper.

A metric is a small accumulator.  Unlike losses it is not part of the
compiled training program: after each batch the model fetches its numpy
predictions and calls ``metric.update_state(y_true, y_pred)``; at the end of
an epoch it reads ``metric.result()`` and calls ``reset_state()``.  So the
state lives in non-trainable ``kerasette.variables.Variable`` objects (listed
by ``metric.variables``, as in Keras) and updates compute on plain arrays of
``backend.array_module()``.  Metric *functions* (``binary_accuracy``, the loss
functions, ...) are written with ``kerasette.ops`` and so also work in graphs;
here they are simply called on arrays.

A metric updated inside a layer's ``call()`` (Keras' endpoint-layer pattern)
sees symbolic nodes while a compiled program is traced: its
``update_state`` is then recorded (``capture_symbolic_updates``) and
replayed by the model on each batch's values, which the program fetches;
outside such a trace (a functional model being built) it does nothing.

The arithmetic follows Keras 3's ``reduce_to_samplewise_values``: per-sample
values are averaged over their trailing axes, multiplied by the sample
weights, and ``Mean`` divides the weighted total by the summed weights (or
the number of samples).
"""
from __future__ import annotations

import contextlib
import functools
from typing import Any

from .. import backend, initializers
from .. import losses as losses_module
from ..ops.masking import get_mask, set_mask
from ..variables import Variable

__all__ = ["Metric", "Mean", "Sum", "MeanMetricWrapper", "capture_symbolic_updates",
           "reduce_to_samplewise_values", "suspend_updates", "to_array"]

#: innermost last: a list that records symbolic updates, or None that drops every update
_UPDATE_SCOPES: list = []


@contextlib.contextmanager
def capture_symbolic_updates():
    """Inside, ``update_state`` called with symbolic nodes (a layer's ``call`` traced
    into a compiled program) is not run but recorded as ``(metric, args, kwargs)``
    in the list this yields, for the caller to replay on the values."""
    records: list = []
    _UPDATE_SCOPES.append(records)
    try:
        yield records
    finally:
        _UPDATE_SCOPES.pop()


@contextlib.contextmanager
def suspend_updates():
    """Inside, every ``update_state`` does nothing (a forward pass run only to learn shapes)."""
    _UPDATE_SCOPES.append(None)
    try:
        yield
    finally:
        _UPDATE_SCOPES.pop()


def _holds_node(structure) -> bool:
    from ..engine import Node
    stack = [structure]
    while stack:
        item = stack.pop()
        if isinstance(item, Node):
            return True
        if isinstance(item, (list, tuple)):
            stack.extend(item)
        elif isinstance(item, dict):
            stack.extend(item.values())
    return False


def _scoped(update_state):
    """``update_state`` that honours the scopes above (installed on every Metric subclass)."""
    @functools.wraps(update_state)
    def scoped_update_state(self, *args, **kwargs):
        scope = _UPDATE_SCOPES[-1] if _UPDATE_SCOPES else False
        if scope is None:
            return None
        if _holds_node((args, kwargs)):
            if scope is not False:
                scope.append((self, args, kwargs))
                return None
            from ..layers.layer import in_layer_call
            if in_layer_call():
                return None   # a layer called on symbolic inputs (a model being built)
        return update_state(self, *args, **kwargs)

    scoped_update_state._scoped = True
    return scoped_update_state


def to_array(x, dtype=None):
    """An array of the backend module from an array, a list, a number or an eager Tensor."""
    from ..engine import Node
    from ..eager import Tensor
    if isinstance(x, Node):
        raise TypeError("Metrics accumulate concrete values: update them with arrays or eager "
                        "Tensors (e.g. the numpy predictions of a batch), not symbolic nodes")
    if isinstance(x, Tensor):
        x = x.data
    return backend.as_array(x, dtype=dtype)


def _mask_of(x):
    return get_mask(x)


def reduce_to_samplewise_values(values, sample_weight, reduce_fn, dtype):
    """One value per sample, weighted: Keras 3's rule, on arrays.

    Values with more axes than the weights are first reduced over the extra
    trailing axes; the weights are broadcast to the values and, when they
    had several axes themselves, reduced to one per sample.  Returns
    ``(values, sample_weight)``.
    """
    xp = backend.array_module()
    dtype = dtype or backend.floatx()
    mask = _mask_of(values)
    values = to_array(values).astype(dtype, copy=False)
    if sample_weight is not None:
        sample_weight = to_array(sample_weight, dtype=dtype)
        if mask is not None:
            sample_weight = to_array(losses_module.apply_mask(sample_weight, to_array(mask),
                                                              dtype, "sum"))
        values, sample_weight = losses_module.squeeze_or_expand_to_same_rank(values,
                                                                             sample_weight)
        weight_ndim, values_ndim = sample_weight.ndim, values.ndim
        if values_ndim > weight_ndim:
            values = reduce_fn(values, axis=tuple(range(weight_ndim, values_ndim)))
        sample_weight = xp.broadcast_to(sample_weight, values.shape)
        values = values * sample_weight
        if weight_ndim > 1:
            sample_weight = reduce_fn(sample_weight, axis=tuple(range(1, weight_ndim)))
    if values.ndim > 1:
        values = reduce_fn(values, axis=tuple(range(1, values.ndim)))
    return values, sample_weight


class Metric:
    """Base class: ``update_state(...)`` accumulates, ``result()`` reads, ``reset_state()`` clears.

    Subclasses create their state with ``add_variable`` in ``__init__``.

    >>> class CountPositives(Metric):
    ...     def __init__(self, name="count_positives", dtype=None):
    ...         super().__init__(name=name, dtype=dtype)
    ...         self.count = self.add_variable((), "zeros", name="count")
    ...     def update_state(self, y_true, y_pred, sample_weight=None):
    ...         self.count.assign_add((to_array(y_pred) > 0).sum())
    ...     def result(self):
    ...         return self.count.numpy()
    >>> m = CountPositives(); m.update_state(None, [1.0, -1.0, 2.0]); float(m.result())
    2.0
    """

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        update_state = cls.__dict__.get("update_state")
        if update_state is not None and not getattr(update_state, "_scoped", False):
            cls.update_state = _scoped(update_state)

    def __init__(self, dtype=None, name: str | None = None):
        self.name = name or backend.unique_object_name(
            losses_module._to_snake_case(type(self).__name__))
        self._dtype = backend.floatx() if dtype is None else losses_module.dtype_name(dtype)
        self._variables: list = []

    @property
    def dtype(self) -> str:
        return self._dtype

    @property
    def variables(self) -> list:
        """The state variables, in creation order (nested metrics' after this one's)."""
        found = list(self._variables)
        for value in vars(self).values():
            if isinstance(value, Metric) and value is not self:
                found.extend(value.variables)
        return found

    def add_variable(self, shape, initializer="zeros", dtype=None, aggregation="sum",
                     name=None) -> Variable:
        """A non-trainable Variable holding part of the state (``aggregation``: Keras', unused)."""
        shape = tuple(shape) if isinstance(shape, (tuple, list)) else ((shape,) if shape else ())
        dtype = dtype or self.dtype
        value = initializers.get(initializer)(shape, dtype=dtype)
        variable = Variable(value, name=name, trainable=False, dtype=dtype)   # unnamed: Keras' automatic name
        # under the open name scopes, as Keras 3 names them (``my_layer/mean/total`` for a metric
        # a layer makes in build)
        variable.path = backend.scoped_path(f"{self.name.replace('/', '>')}/{variable.name}")
        self._variables.append(variable)
        return variable

    def add_weight(self, shape=(), initializer=None, dtype=None, name=None) -> Variable:
        """Keras 2's name for ``add_variable``."""
        return self.add_variable(shape, initializer or "zeros", dtype=dtype, name=name)

    def update_state(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} must implement update_state")

    def result(self):
        raise NotImplementedError(f"{type(self).__name__} must implement result")

    def reset_state(self) -> None:
        """Set every state variable back to zeros."""
        xp = backend.array_module()
        for variable in self.variables:
            variable.assign(xp.zeros(variable.shape, dtype=variable.dtype))

    def reset_states(self) -> None:
        """Keras 2's name for ``reset_state``."""
        self.reset_state()

    def __call__(self, *args, **kwargs):
        """Update with one batch and return the running result."""
        self.update_state(*args, **kwargs)
        return self.result()

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config: dict):
        return cls(**config)

    def _scalar(self, value):
        """A 0-d array of the metric dtype (what ``result`` returns)."""
        return backend.array_module().asarray(value, dtype=self.dtype)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}>"


class Sum(Metric):
    """The (weighted) sum of the values given.

    >>> m = Sum(); m.update_state([1, 3, 5, 7], sample_weight=[1, 1, 0, 0]); float(m.result())
    4.0
    """

    def __init__(self, name="sum", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable((), "zeros", name="total")

    def update_state(self, values, sample_weight=None):
        xp = backend.array_module()
        values, _ = reduce_to_samplewise_values(values, sample_weight, xp.sum, self.dtype)
        self.total.assign(self.total.data + values.sum(dtype=self.dtype))

    def result(self):
        return self._scalar(self.total.data)


class Mean(Metric):
    """The (weighted) mean of the values given, over every batch since the last reset.

    >>> m = Mean(); m.update_state([1, 3, 5, 7], sample_weight=[1, 1, 0, 0]); float(m.result())
    2.0
    """

    def __init__(self, name="mean", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable((), "zeros", name="total")
        self.count = self.add_variable((), "zeros", name="count")

    def update_state(self, values, sample_weight=None):
        xp = backend.array_module()
        values, sample_weight = reduce_to_samplewise_values(values, sample_weight, xp.mean,
                                                            self.dtype)
        if sample_weight is not None:
            count = sample_weight.sum(dtype=self.dtype)
        elif values.ndim >= 1:
            count = values.shape[0]
        else:
            count = 1
        self.total.assign(self.total.data + values.sum(dtype=self.dtype))
        self.count.assign(self.count.data + count)

    def result(self):
        total, count = self.total.data, self.count.data
        return self._scalar(0.0 if count == 0 else total / count)


class MeanMetricWrapper(Mean):
    """The running mean of a function ``fn(y_true, y_pred, **kwargs)`` of per-sample values.

    >>> from kerasette import losses
    >>> m = MeanMetricWrapper(losses.mean_absolute_error, name="mae")
    >>> m.update_state([[1.0], [2.0]], [[1.5], [2.0]]); float(m.result())
    0.25
    """

    def __init__(self, fn, name=None, dtype=None, **kwargs):
        super().__init__(name=name, dtype=dtype)
        self._fn = fn
        self._fn_kwargs = kwargs

    @property
    def fn(self):
        return self._fn

    def update_state(self, y_true, y_pred, sample_weight=None):
        mask = _mask_of(y_pred)
        y_true = to_array(y_true)
        y_pred = to_array(y_pred)
        values = self._fn(y_true, y_pred, **self._fn_kwargs)
        if mask is not None:
            sample_weight = losses_module.apply_mask(
                None if sample_weight is None else to_array(sample_weight, self.dtype),
                to_array(mask), self.dtype, "sum")
        values_mask = _mask_of(values)
        values = to_array(values)
        if values_mask is not None:
            # keep a mask the function attached (sparse CE's ignore_class) on the array
            set_mask(values, to_array(values_mask))
        super().update_state(values, sample_weight=sample_weight)

    def get_config(self) -> dict:
        from . import serialize_function
        config = super().get_config()
        config["fn"] = serialize_function(self._fn)
        config.update(self._fn_kwargs)
        return config

    @classmethod
    def from_config(cls, config: dict):
        from . import deserialize
        config = dict(config)
        if "fn" in config:
            config["fn"] = deserialize(config["fn"])
        return cls(**config)


class _FunctionMetric(MeanMetricWrapper):
    """A built-in MeanMetricWrapper: its config lists its constructor arguments, never ``fn``."""

    _function: Any = None
    #: names of the constructor arguments kept as attributes; each is also a keyword
    #: argument of the metric function
    _arguments: tuple = ()

    def __init__(self, fn, name=None, dtype=None, **kwargs):
        super().__init__(fn, name=name, dtype=dtype, **kwargs)
        for key in self._arguments:
            setattr(self, key, kwargs[key])

    def get_config(self) -> dict:
        config = {"name": self.name, "dtype": self.dtype}
        config.update({key: getattr(self, key) for key in self._arguments})
        return config

    @classmethod
    def from_config(cls, config: dict):
        return cls(**config)
