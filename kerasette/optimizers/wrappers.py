"""Optimizers that drive other optimizers: LossScaleOptimizer, MultiOptimizer and OptimizerMap.

``LossScaleOptimizer`` (Keras 3's dynamic loss scaling for float16 training):
``scale_loss`` multiplies the loss by ``dynamic_scale``; a step divides the
gradients by it and lets the inner optimizer apply them when they are all
finite (after ``dynamic_growth_steps`` such steps in a row the scale doubles),
and otherwise skips the step and halves the scale.  Its own variables
(``iteration``, ``learning_rate``, ``step_counter``, ``dynamic_scale``) come
before the inner optimizer's, as in Keras' weight files.

``MultiOptimizer`` hands each variable to the optimizer an ``OptimizerMap``
names for its path (exact key, else a key that ``re.fullmatch``-es it, else
the default optimizer); its variables are its own ``iteration`` and
``learning_rate`` followed by each inner optimizer's.

Both run eagerly (``apply``) and into a compiled training step
(``get_updates``: a skipped loss-scaled step keeps every variable as it was
with ``where`` on the finiteness of the gradients).
"""
from __future__ import annotations

import re
from collections.abc import MutableMapping

import numpy

from .. import backend, engine, initializers, ops
from ..engine import Node
from .base import Optimizer, _as_node, _node_of

__all__ = ["LossScaleOptimizer", "MultiOptimizer", "OptimizerMap"]

_BASE_DEFAULTS = {"weight_decay": None, "clipnorm": None, "global_clipnorm": None,
                  "clipvalue": None, "use_ema": False, "ema_momentum": 0.99,
                  "ema_overwrite_frequency": None, "loss_scale_factor": None,
                  "gradient_accumulation_steps": None}


def _serialize(obj):
    from . import serialize
    record = serialize(obj)
    return {"module": "keras.optimizers", "class_name": record["class_name"],
            "config": record["config"], "registered_name": None}


def _deserialize(config, custom_objects=None):
    from . import deserialize
    return deserialize(config, custom_objects=custom_objects)


def _all_finite_node(grads):
    """A scalar boolean node: every entry of every gradient is finite."""
    smallest = None
    for grad in grads:
        finite = ops.min(ops.cast(ops.isfinite(grad), "float32"))
        smallest = finite if smallest is None else ops.minimum(smallest, finite)
    return ops.greater(smallest, 0.5)


class LossScaleOptimizer(Optimizer):
    """Dynamic loss scaling around ``inner_optimizer`` (for float16 compute).

    >>> from kerasette import Variable, optimizers
    >>> opt = LossScaleOptimizer(optimizers.SGD(learning_rate=1.0), initial_scale=4.0)
    >>> w = Variable([1.0])
    >>> opt.apply([[8.0]], [w]); w.numpy()      # the gradient 8 is unscaled to 2
    array([-1.], dtype=float32)
    >>> opt.apply([[float("inf")]], [w]); w.numpy(), float(opt.dynamic_scale.numpy())
    (array([-1.], dtype=float32), 2.0)
    """

    def __init__(self, inner_optimizer, initial_scale=2.0 ** 15, dynamic_growth_steps=2000,
                 name=None, **kwargs):
        if not kwargs.pop("dynamic", True):
            raise ValueError("LossScaleOptimizer no longer supports `dynamic=False`. Instead, "
                             "simply set `loss_scale_factor` directly on the `inner_optimizer`.")
        for argument, default in _BASE_DEFAULTS.items():
            if argument in kwargs and kwargs.pop(argument) != default:
                raise ValueError(f"LossScaleOptimizer does not support `{argument}`. Instead, "
                                 f"set `{argument}` on the `inner_optimizer`.")
        if kwargs:
            raise ValueError("LossScaleOptimizer does not support arguments: "
                             f"`{'`, `'.join(kwargs)}`.")
        if not isinstance(inner_optimizer, Optimizer):
            raise TypeError("`inner_optimizer` must be an Optimizer instance, got "
                            f"{type(inner_optimizer).__name__}")
        super().__init__(learning_rate=0.0, name=name)
        self.inner_optimizer = inner_optimizer
        self.initial_scale = initial_scale
        self.dynamic_growth_steps = dynamic_growth_steps
        self.inner_optimizer.loss_scale_factor = None

    def build(self, var_list):
        if self.built:
            return
        var_list = list(var_list)
        self.step_counter = self.add_variable((), dtype="int32", name="step_counter")
        self.dynamic_scale = self.add_variable(
            (), initializer=initializers.Constant(self.initial_scale), dtype="float32",
            name="dynamic_scale")
        self.inner_optimizer.build(var_list)
        super().build(var_list)

    @property
    def variables(self) -> list:
        return list(self._variables) + list(self.inner_optimizer.variables)

    @property
    def learning_rate(self):
        return self.inner_optimizer.learning_rate

    @learning_rate.setter
    def learning_rate(self, learning_rate):
        self.inner_optimizer.learning_rate = learning_rate

    @property
    def iterations(self):
        return self.inner_optimizer.iterations

    def scale_loss(self, loss):
        """``loss * dynamic_scale`` (``initial_scale`` before the optimizer is built)."""
        if not self.built:
            return ops.multiply(loss, self.initial_scale)
        scale = _node_of(self.dynamic_scale) if isinstance(loss, Node) else self.dynamic_scale.data
        return ops.multiply(loss, scale)

    def apply(self, grads, trainable_variables=None):
        grads = list(grads)
        if not grads:
            return
        if any(isinstance(g, Node) for g in grads):
            raise TypeError("apply() takes gradient values; for symbolic gradients use get_updates()")
        trainable_variables = self._prepare(grads, trainable_variables)
        grads = [None if g is None else backend.as_array(getattr(g, "data", g)) for g in grads]
        finite = all(bool(numpy.isfinite(g).all()) for g in grads if g is not None)
        scale = self.dynamic_scale.data
        if finite:
            unscaled = [None if g is None else g / scale for g in grads]
            self.inner_optimizer.apply(unscaled, trainable_variables)
            if int(self.step_counter.data) == self.dynamic_growth_steps - 1:
                self.step_counter.assign(numpy.zeros((), "int32"))
                self.dynamic_scale.assign(scale * numpy.float32(2.0))
            else:
                self.step_counter.assign(self.step_counter.data + 1)
        else:
            self.step_counter.assign(numpy.zeros((), "int32"))
            self.dynamic_scale.assign(scale * numpy.float32(0.5))

    def get_updates(self, variables, grads):
        variables, grads = list(variables), list(grads)
        variables = self._prepare(grads, variables)
        grads = [g if g is None or isinstance(g, Node) else engine.constant(getattr(g, "data", g))
                 for g in grads]
        present = [g for g in grads if g is not None]
        if not present:
            raise ValueError("No gradients provided for any variable.")
        finite = _all_finite_node(present)
        scale = _node_of(self.dynamic_scale)
        # zeros in place of a skipped step's gradients keep its (discarded) arithmetic finite
        unscaled = [None if g is None else ops.where(finite, ops.divide(g, scale),
                                                      ops.zeros_like(g)) for g in grads]
        pairs = [(variable, _as_node(ops.where(finite, value, _node_of(variable)), variable))
                 for variable, value in self.inner_optimizer.get_updates(variables, unscaled)]
        counter = _node_of(self.step_counter)
        at_growth = ops.equal(counter, self.dynamic_growth_steps - 1)
        zero = ops.zeros_like(counter)
        new_counter = ops.where(finite, ops.where(at_growth, zero, ops.add(counter, 1)), zero)
        new_scale = ops.where(finite, ops.where(at_growth, ops.multiply(scale, 2.0), scale),
                              ops.multiply(scale, 0.5))
        pairs.append((self.step_counter, _as_node(ops.cast(new_counter, "int32"),
                                                  self.step_counter)))
        pairs.append((self.dynamic_scale, _as_node(new_scale, self.dynamic_scale)))
        return pairs

    def finalize_variable_values(self, var_list):
        self.inner_optimizer.finalize_variable_values(var_list)

    def get_config(self) -> dict:
        return {"name": self.name, "inner_optimizer": _serialize(self.inner_optimizer),
                "initial_scale": self.initial_scale,
                "dynamic_growth_steps": self.dynamic_growth_steps}

    @classmethod
    def from_config(cls, config: dict, custom_objects=None):
        config = dict(config)
        inner = _deserialize(config.pop("inner_optimizer"), custom_objects)
        return cls(inner, **config)


class OptimizerMap(MutableMapping):
    """Variable paths (or regular expressions over them) to optimizers, with a default.

    >>> from kerasette import optimizers
    >>> table = OptimizerMap(optimizers.SGD(), {"dense.*/bias": optimizers.Adam()})
    >>> type(table["dense_1/bias"]).__name__, type(table["dense_1/kernel"]).__name__
    ('Adam', 'SGD')
    """

    def __init__(self, default_optimizer, optimizer_map=None):
        if not isinstance(default_optimizer, Optimizer):
            raise TypeError("default_optimizer must be a Keras Optimizer instance. Received: "
                            f"{default_optimizer}")
        if optimizer_map is not None and not isinstance(optimizer_map, dict):
            raise TypeError(f"optimizer_map must be a dictionary. Received: {optimizer_map}")
        self._default_optimizer = default_optimizer
        self._optimizer_map = dict(optimizer_map or {})

    @property
    def default_optimizer(self):
        return self._default_optimizer

    def __getitem__(self, key):
        if key in self._optimizer_map:
            return self._optimizer_map[key]
        matching = [pattern for pattern in self._optimizer_map if re.fullmatch(pattern, key)]
        if len(matching) > 1:
            raise ValueError(f"Multiple optimizers assigned to variable {key}.")
        if matching:
            return self._optimizer_map[matching[0]]
        return self._default_optimizer

    def __setitem__(self, key, optimizer):
        if key in self._optimizer_map:
            raise ValueError(f"'{key}' already exists in the OptimizerMap with value "
                             f"{self._optimizer_map[key]}. Please make sure to not use "
                             "duplicated keys.")
        if not isinstance(key, str):
            raise ValueError(f"key must be a string. Received: {key}")
        if not isinstance(optimizer, Optimizer):
            raise ValueError(f"optimizer must be a Keras Optimizer instance. Received: {optimizer}")
        if isinstance(optimizer, (LossScaleOptimizer, MultiOptimizer)):
            raise ValueError(f"optimizer cannot be {type(optimizer).__name__}.")
        self._optimizer_map[key] = optimizer

    def __delitem__(self, key):
        del self._optimizer_map[key]

    def __len__(self):
        return len(self._optimizer_map)

    def __iter__(self):
        return iter(self._optimizer_map)

    def __call__(self, variable):
        return self[str(getattr(variable, "path", None) or variable.name)]

    def get_config(self) -> dict:
        return {"default_optimizer": _serialize(self._default_optimizer),
                "optimizer_map": {key: _serialize(value)
                                  for key, value in self._optimizer_map.items()}}

    @classmethod
    def from_config(cls, config: dict, custom_objects=None):
        default = _deserialize(config["default_optimizer"], custom_objects)
        table = {key: _deserialize(value, custom_objects)
                 for key, value in (config.get("optimizer_map") or {}).items()}
        return cls(default, table)


class MultiOptimizer(Optimizer):
    """Different optimizers for different variables, chosen by an ``OptimizerMap``.

    >>> from kerasette import Variable, optimizers
    >>> table = OptimizerMap(optimizers.SGD(1.0), {"slow": optimizers.SGD(0.1)})
    >>> fast, slow = Variable([1.0], name="fast"), Variable([1.0], name="slow")
    >>> fast.path, slow.path = "fast", "slow"
    >>> MultiOptimizer(table).apply([[1.0], [1.0]], [fast, slow])
    >>> fast.numpy(), slow.numpy()
    (array([0.], dtype=float32), array([0.9], dtype=float32))
    """

    def __init__(self, optimizer_map, loss_scale_factor=None, name=None):
        self._inner_optimizers = []
        super().__init__(learning_rate=0.0, loss_scale_factor=loss_scale_factor, name=name)
        self._optimizer_map = optimizer_map
        if hasattr(optimizer_map, "values"):
            for optimizer in optimizer_map.values():
                if optimizer not in self._inner_optimizers:
                    optimizer.loss_scale_factor = loss_scale_factor
                    self._inner_optimizers.append(optimizer)
        default = getattr(optimizer_map, "default_optimizer", None)
        if default is not None and default not in self._inner_optimizers:
            default.loss_scale_factor = loss_scale_factor
            self._inner_optimizers.append(default)
        self._owner_of: dict = {}

    @property
    def optimizers(self) -> list:
        return self._inner_optimizers

    @property
    def loss_scale_factor(self):
        return getattr(self, "_loss_scale_factor", None)

    @loss_scale_factor.setter
    def loss_scale_factor(self, value):
        self._loss_scale_factor = value
        for optimizer in getattr(self, "_inner_optimizers", ()):
            optimizer.loss_scale_factor = value

    @property
    def learning_rate(self):
        raise AttributeError("Learning rate cannot be accessed on a MultiOptimizer. Access the "
                             "learning rate on the individual sub-optimizers instead.")

    @learning_rate.setter
    def learning_rate(self, value):
        raise AttributeError("Learning rate cannot be set on a MultiOptimizer. Set the learning "
                             "rate on the individual sub-optimizers instead.")

    @property
    def variables(self) -> list:
        found = list(self._variables)
        for optimizer in self._inner_optimizers:
            found.extend(optimizer.variables)
        return found

    def build(self, var_list):
        if self.built:
            return
        var_list = list(var_list)
        groups = [[] for _ in self._inner_optimizers]
        owners = {}
        for variable in var_list:
            optimizer = self._optimizer_map(variable)
            if not isinstance(optimizer, Optimizer):
                raise ValueError(f"Optimizer for variable {variable} is not an Optimizer instance.")
            if isinstance(optimizer, (LossScaleOptimizer, MultiOptimizer)):
                raise ValueError(f"{type(optimizer).__name__} cannot be used inside an "
                                 "MultiOptimizer.")
            if optimizer not in self._inner_optimizers:
                optimizer.loss_scale_factor = self.loss_scale_factor
                self._inner_optimizers.append(optimizer)
                groups.append([])
            index = self._inner_optimizers.index(optimizer)
            owners[id(variable)] = index
            groups[index].append(variable)
        for optimizer, group in zip(self._inner_optimizers, groups):
            if group:
                optimizer.build(group)
        self._owner_of = owners
        super().build(var_list)

    def _split(self, grads, variables):
        split = [([], []) for _ in self._inner_optimizers]
        for grad, variable in zip(grads, variables):
            index = self._owner_of[id(variable)]
            split[index][0].append(grad)
            split[index][1].append(variable)
        return split

    def apply(self, grads, trainable_variables=None):
        grads = list(grads)
        if not grads:
            return
        trainable_variables = self._prepare(grads, trainable_variables)
        for optimizer, (sub_grads, sub_variables) in zip(self._inner_optimizers,
                                                         self._split(grads, trainable_variables)):
            if sub_variables:
                optimizer.apply(sub_grads, sub_variables)
        self._iterations.assign(self._iterations.data + 1)

    def get_updates(self, variables, grads):
        variables, grads = list(variables), list(grads)
        variables = self._prepare(grads, variables)
        pairs = []
        for optimizer, (sub_grads, sub_variables) in zip(self._inner_optimizers,
                                                         self._split(grads, variables)):
            if any(g is not None for g in sub_grads):
                pairs.extend(optimizer.get_updates(sub_variables, sub_grads))
        iterations = _node_of(self._iterations)
        pairs.append((self._iterations, _as_node(ops.add(iterations, 1), self._iterations)))
        return pairs

    def finalize_variable_values(self, var_list):
        for optimizer, (_, sub_variables) in zip(
                self._inner_optimizers, self._split([None] * len(var_list), var_list)):
            if sub_variables:
                optimizer.finalize_variable_values(sub_variables)

    def get_config(self) -> dict:
        table = self._optimizer_map
        if isinstance(table, OptimizerMap):
            table = {"module": "keras.optimizers", "class_name": "OptimizerMap",
                     "config": table.get_config(), "registered_name": None}
        return {"optimizer_map": table, "loss_scale_factor": self.loss_scale_factor,
                "name": self.name}

    @classmethod
    def from_config(cls, config: dict, custom_objects=None):
        config = dict(config)
        table = config["optimizer_map"]
        if isinstance(table, dict) and table.get("class_name") == "OptimizerMap":
            config["optimizer_map"] = OptimizerMap.from_config(table["config"], custom_objects)
        return cls(**config)
