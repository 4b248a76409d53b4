"""Dtype policies of a layer (split from ``layer.py``): which policy a ``dtype=`` names, the
layer's dtype properties, and Keras 3's autocast of inputs and weights to the compute dtype."""
from __future__ import annotations

import numpy

from .. import dtype_policies
from ..engine import Node
from ..variables import Variable
from .structure import flatten, map_structure


def _policy_of(value):
    """A ``DTypePolicy`` from a layer's ``dtype=``: None (the global policy), a policy, its name,
    a numpy dtype or a Keras 3 record (one of a policy kerasette lacks gives its name's policy)."""
    if isinstance(value, dict) and value.get("class_name") not in (
            "DTypePolicy", "FloatDTypePolicy", "DTypePolicyMap"):
        value = (value.get("config") or {}).get("name")
    policy = dtype_policies.get(value)
    if isinstance(policy, dtype_policies.DTypePolicyMap):
        policy = policy.default_policy
    return policy


class DTypeProperties:
    """A layer's ``dtype_policy`` and the dtypes it gives (mixed into ``Layer``)."""

    @property
    def dtype_policy(self):
        """The layer's ``DTypePolicy`` (``kerasette.dtype_policies``; the global one by default)."""
        return self._dtype_policy

    @dtype_policy.setter
    def dtype_policy(self, value):
        object.__setattr__(self, "_dtype_policy", _policy_of(value))

    @property
    def dtype(self) -> str:
        """The dtype of the layer's weights (Keras 3: the policy's ``variable_dtype``)."""
        return self._dtype_policy.variable_dtype

    @dtype.setter
    def dtype(self, value):
        self.dtype_policy = value

    @property
    def variable_dtype(self) -> str:
        return self._dtype_policy.variable_dtype

    @property
    def compute_dtype(self) -> str:
        """The dtype the layer computes in: float inputs (and, under a mixed policy such as
        ``mixed_float16``, its float trainable weights) are cast to it when it is called."""
        return self._dtype_policy.compute_dtype


def _call_autocast(layer, args, kwargs):
    """``layer.call`` under a policy other than floatx's: float inputs are cast to the compute
    dtype, as Keras 3's autocast does (a floatx layer leaves its inputs as they come, kerasette's
    long-standing rule); under a mixed policy the float trainable weights are read in the
    compute dtype too (through a cast, so gradients reach the float32 variables) and are the
    layer's own again afterwards."""
    from .. import engine, ops
    compute = layer.compute_dtype

    def cast(x):
        if x is not None and hasattr(x, "dtype") and numpy.dtype(x.dtype).kind == "f" \
                and numpy.dtype(x.dtype).name != compute:
            return ops.cast(x, compute)
        return x

    symbolic = any(isinstance(x, Node) for x in flatten(list(args)))
    args = (map_structure(cast, args[0]),) + tuple(args[1:])
    swapped = []
    if layer._dtype_policy.is_mixed:
        # the layer's own weights and those of the layers it holds (an RNN reads its cell's
        # kernels directly, never calling the cell): a layer it calls re-casts nothing twice
        holders, seen = [layer], set()
        while holders:
            holder = holders.pop()
            if id(holder) in seen:
                continue
            seen.add(id(holder))
            holders.extend(getattr(holder, "_layers", ()))
            policy = getattr(holder, "_dtype_policy", None)
            if policy is None or not policy.is_mixed or policy.compute_dtype != compute:
                continue        # a layer of another policy (a float32 head) keeps its weights
            own = {id(w) for w in holder._own_weights if getattr(w, "created_trainable", w.trainable) and numpy.dtype(w.dtype).kind == "f"}
            for name, value in list(vars(holder).items()):
                if isinstance(value, Variable) and id(value) in own and value.dtype != compute:
                    source = engine.variable_from_holder(value, value.name) if symbolic else value
                    object.__setattr__(holder, name, ops.cast(source, compute))
                    swapped.append((holder, name, value))
    try:
        return layer.call(*args, **kwargs)
    finally:
        for holder, name, value in swapped:
            object.__setattr__(holder, name, value)
