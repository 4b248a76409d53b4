"""Optimizers and learning rate schedules, with Keras 3's names, defaults and arithmetic.

* ``base``: the ``Optimizer`` base (state, clipping, weight decay, EMA) and the
  two ways a step runs: eagerly (``apply_gradients``) or as graph updates for a
  compiled training step (``get_updates``);
* ``algorithms``: SGD, RMSprop, Adagrad, Adadelta, Adam, AdamW, Adamax, Nadam;
* ``factored`` (Adafactor), ``ftrl`` (Ftrl), ``sign_and_trust`` (Lamb, Lion),
  ``muon`` (Muon), ``schedule_free`` (ScheduleFreeAdamW);
* ``wrappers``: LossScaleOptimizer, MultiOptimizer and OptimizerMap;
* ``schedules``: learning rate schedules (``ExponentialDecay``, ...).

``get('adam')``, ``serialize(optimizer)`` and ``deserialize(config)`` turn
optimizers into strings and configs and back, as ``compile()`` and model files need.

>>> from kerasette import optimizers
>>> optimizers.get("adam").get_config()["learning_rate"]
0.0010000000474974513
"""
from __future__ import annotations

import inspect

from ..serialization import ObjectRegistry
from . import schedules
from .algorithms import SGD, Adadelta, Adagrad, Adam, Adamax, AdamW, Nadam, RMSprop
from .base import Optimizer, clip_by_global_norm, global_norm, to_program_updates
from .factored import Adafactor
from .ftrl import Ftrl
from .muon import Muon
from .schedule_free import ScheduleFreeAdamW
from .sign_and_trust import Lamb, Lion
from .wrappers import LossScaleOptimizer, MultiOptimizer, OptimizerMap

__all__ = [
    "Optimizer", "SGD", "RMSprop", "Adagrad", "Adadelta", "Adam", "AdamW", "Adamax", "Nadam",
    "schedules", "get", "serialize", "deserialize", "clip_by_global_norm", "global_norm",
    "to_program_updates", "Adafactor", "Ftrl", "Lamb", "Lion", "Muon", "ScheduleFreeAdamW",
    "LossScaleOptimizer", "MultiOptimizer", "OptimizerMap",
]


class _OptimizerRegistry(ObjectRegistry):
    def find(self, name):
        # Keras 2 files write "Adam" and tf.keras 2.15 "Custom>Adam"; strings are case-insensitive
        return self.objects_by_name.get(name.split(">")[-1].lower())


_CLASSES = {cls.__name__.lower(): cls for cls in (
    SGD, RMSprop, Adagrad, Adadelta, Adam, AdamW, Adamax, Nadam, Adafactor, Ftrl, Lamb, Lion,
    Muon, ScheduleFreeAdamW, LossScaleOptimizer, MultiOptimizer)}
_REGISTRY = _OptimizerRegistry(
    "optimizer", Optimizer, _CLASSES,
    unknown_error="Could not interpret optimizer identifier: {name!r}. Known optimizers: {known_list}")
_lookup = _REGISTRY.lookup


def serialize(optimizer: Optimizer) -> dict:
    """``{"class_name": "Adam", "config": {...}}`` (the form model files store)."""
    if optimizer is None:   # the registry passes None through; a model file needs an optimizer
        raise ValueError("Cannot serialize None: it is not an Optimizer")
    return _REGISTRY.serialize(optimizer)


def deserialize(config: dict, custom_objects: dict | None = None) -> Optimizer:
    """The optimizer a ``serialize`` dict (Keras 2, tf.keras or Keras 3 form) describes."""
    custom_objects = custom_objects or {}
    cls = _REGISTRY.resolve(config, custom_objects)
    inner = dict(config.get("config") or {})
    # Optimizer.from_config hands custom_objects on to a learning rate schedule's config
    if "custom_objects" in inspect.signature(cls.from_config).parameters:
        return cls.from_config(inner, custom_objects=custom_objects)
    return cls.from_config(inner)


def get(identifier) -> Optimizer:
    """An optimizer from an instance, a name (``'adam'``, ``'sgd'``, ...) or a config dict.

    >>> get("rmsprop").name
    'rmsprop'
    """
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, str):
        return _lookup(identifier)()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, type) and issubclass(identifier, Optimizer):
        return identifier()
    raise ValueError(f"Could not interpret optimizer identifier: {identifier!r}")
