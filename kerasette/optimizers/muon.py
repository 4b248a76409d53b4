"""Muon: momentum orthogonalised by Newton-Schulz iterations, AdamW for everything else.

2-D variables (not embeddings, not matching ``exclude_layers``) take
``m = momentum * m + g`` (Nesterov: ``g + momentum * m``), orthogonalised
with ``ns_steps`` quintic Newton-Schulz iterations (``muon_a``, ``muon_b``,
``muon_c``) and scaled by ``rms_rate * sqrt(max(rows, cols))``; the others
take an AdamW step at ``learning_rate * adam_lr_ratio``, decayed with
``adam_weight_decay``.  Slots: ``momentum`` for every variable and
``velocity`` only for the AdamW ones, created variable by variable as
Keras 3's ``keras/src/optimizers/muon.py`` does (so weight files line up).
"""
from __future__ import annotations

import re

from .. import ops
from .base import Optimizer

__all__ = ["Muon"]


def _swap_last_axes(x):
    rank = len(tuple(x.shape))
    order = list(range(rank))
    order[-2], order[-1] = order[-1], order[-2]
    return ops.transpose(x, order)


class Muon(Optimizer):
    """Muon for 2-D weights, AdamW for the rest.

    >>> from kerasette import Variable
    >>> w = Variable([[1.0, 0.0], [0.0, 1.0]], name="kernel")
    >>> _ = Muon(learning_rate=0.1).apply_gradients([([[1.0, 0.0], [0.0, 0.0]], w)])
    >>> w.numpy().round(3)
    array([[0.98, 0.  ],
           [0.  , 1.  ]], dtype=float32)
    """

    _config_attributes = ("adam_beta_1", "adam_beta_2", "epsilon", "exclude_layers", "muon_a",
                          "muon_b", "muon_c", "adam_lr_ratio", "momentum", "ns_steps",
                          "nesterov", "exclude_embeddings", "adam_weight_decay", "rms_rate")

    def __init__(self, learning_rate=0.001, adam_beta_1=0.9, adam_beta_2=0.999,
                 adam_weight_decay=0.004, epsilon=1e-7, weight_decay=0.004, clipnorm=None,
                 clipvalue=None, global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None, exclude_layers=None,
                 exclude_embeddings=True, muon_a=3.4445, muon_b=-4.775, muon_c=2.0315,
                 adam_lr_ratio=1, momentum=0.95, ns_steps=5, nesterov=True, rms_rate=0.2,
                 **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, weight_decay=weight_decay,
                         clipnorm=clipnorm, clipvalue=clipvalue, global_clipnorm=global_clipnorm,
                         use_ema=use_ema, ema_momentum=ema_momentum,
                         ema_overwrite_frequency=ema_overwrite_frequency,
                         loss_scale_factor=loss_scale_factor,
                         gradient_accumulation_steps=gradient_accumulation_steps, **kwargs)
        self.adam_beta_1 = adam_beta_1
        self.adam_beta_2 = adam_beta_2
        self.epsilon = epsilon
        self.muon_a = muon_a
        self.muon_b = muon_b
        self.muon_c = muon_c
        self.adam_lr_ratio = adam_lr_ratio
        self.momentum = momentum
        self.ns_steps = ns_steps
        self.nesterov = nesterov
        self.exclude_embeddings = exclude_embeddings
        self.exclude_layers = exclude_layers or []
        self.adam_weight_decay = adam_weight_decay
        self.rms_rate = rms_rate

    def _should_use_adamw(self, variable) -> bool:
        if len(tuple(variable.shape)) != 2:
            return True
        path = str(getattr(variable, "path", None) or variable.name)
        if self.exclude_embeddings and "embedding" in path.lower():
            return True
        return any(re.search(keyword, path) for keyword in self.exclude_layers)

    def build(self, var_list):
        if self.built:
            return
        var_list = list(var_list)
        super().build(var_list)
        for index, variable in enumerate(var_list):
            self._slots[index]["momentum"] = self.add_variable_from_reference(variable,
                                                                              "momentum")
            if self._should_use_adamw(variable):
                self._slots[index]["velocity"] = self.add_variable_from_reference(variable,
                                                                                  "velocity")

    def _weight_decay_rate(self, variable):
        if not self._use_weight_decay(variable):
            return None
        return self.adam_weight_decay if self._should_use_adamw(variable) else self.weight_decay

    def update_step_values(self, gradient, value, slots, learning_rate, iterations, shared):
        if "velocity" in slots:
            return self._adamw_step(gradient, value, slots,
                                    ops.multiply(learning_rate, self.adam_lr_ratio), iterations)
        m = slots["momentum"]
        m = ops.add(m, ops.add(gradient, ops.multiply(m, self.momentum - 1)))
        direction = ops.add(gradient, ops.multiply(self.momentum, m)) if self.nesterov else m
        update = ops.multiply(learning_rate, self.zeropower_via_newtonschulz5(direction,
                                                                              self.ns_steps))
        return ops.subtract(value, self.lr_adjust(update)), {"momentum": m}

    def _adamw_step(self, gradient, value, slots, learning_rate, iterations):
        dtype = ops.core.dtype_of(value)
        lr = ops.cast(learning_rate, dtype)
        local_step = ops.cast(ops.add(iterations, 1), dtype)
        beta_1_power = ops.power(ops.cast(self.adam_beta_1, dtype), local_step)
        beta_2_power = ops.power(ops.cast(self.adam_beta_2, dtype), local_step)
        alpha = ops.divide(ops.multiply(lr, ops.sqrt(ops.subtract(1, beta_2_power))),
                           ops.subtract(1, beta_1_power))
        m = slots["momentum"]
        m = ops.add(m, ops.multiply(ops.subtract(gradient, m), 1 - self.adam_beta_1))
        v = slots["velocity"]
        v = ops.add(v, ops.multiply(ops.subtract(ops.square(gradient), v), 1 - self.adam_beta_2))
        value = ops.subtract(value, ops.divide(ops.multiply(m, alpha),
                                               ops.add(ops.sqrt(v), self.epsilon)))
        return value, {"momentum": m, "velocity": v}

    def lr_adjust(self, x):
        """Scale an update by ``rms_rate * sqrt(max(rows, cols))`` (unchanged when rms_rate is None)."""
        if self.rms_rate is None:
            return x
        shape = tuple(x.shape)
        return ops.multiply(ops.multiply(x, float(max(shape[0], shape[1])) ** 0.5),
                            self.rms_rate)

    def zeropower_via_newtonschulz5(self, x, steps: int):
        """The orthogonal factor of ``x`` (approximately), by quintic Newton-Schulz iterations."""
        shape = tuple(x.shape)
        if len(shape) < 2:
            raise ValueError("Expected gradient or momentum to have at least 2 dimensions. "
                             f"Received: shape={shape}")
        a, b, c = self.muon_a, self.muon_b, self.muon_c
        tall = shape[-2] > shape[-1]
        if tall:
            x = _swap_last_axes(x)
        norm = ops.sqrt(ops.sum(ops.square(x), axis=(-2, -1), keepdims=True))
        x = ops.divide(x, ops.add(norm, 1e-7))
        for _ in range(steps):
            gram = ops.matmul(x, _swap_last_axes(x))
            mix = ops.add(ops.multiply(b, gram), ops.matmul(ops.multiply(c, gram), gram))
            x = ops.add(ops.multiply(a, x), ops.matmul(mix, x))
        if tall:
            x = _swap_last_axes(x)
        return x
