"""``keras.mixed_precision``: dtype policies and the loss-scale optimizer under their Keras names.

``Policy``/``DTypePolicy``, ``set_global_policy``/``set_dtype_policy`` and
``global_policy``/``dtype_policy`` are ``kerasette.dtype_policies``'; the
``LossScaleOptimizer`` is ``kerasette.optimizers``'.  The module sits on the
floor above optimizers so it can offer both.

>>> from kerasette import layers, mixed_precision
>>> mixed_precision.set_global_policy("mixed_float16")
>>> dense = layers.Dense(2)
>>> dense.compute_dtype, dense.variable_dtype
('float16', 'float32')
>>> mixed_precision.set_global_policy("float32")
"""
from __future__ import annotations

from .dtype_policies import DTypePolicy, dtype_policy, set_dtype_policy
from .optimizers.wrappers import LossScaleOptimizer

Policy = DTypePolicy
global_policy = dtype_policy
set_global_policy = set_dtype_policy

__all__ = ["DTypePolicy", "Policy", "LossScaleOptimizer", "dtype_policy", "global_policy",
           "set_dtype_policy", "set_global_policy"]
