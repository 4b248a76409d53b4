"""ScheduleFreeAdamW (Defazio et al., 2024): AdamW without a learning rate schedule.

The trainable variable holds the interpolation ``y`` between the averaged
iterate ``x`` and the base iterate ``z`` (kept in the ``momentum`` slot,
which starts as a copy of the variable); ``velocity`` is Adam's second
moment.  Each step moves ``z`` by the Adam-scaled gradient, folds it into
``x`` with weight ``1 / t`` and sets ``y = (1 - beta_1) * z + beta_1 * x``,
with an optional linear warm-up, as ``keras/src/optimizers/schedule_free_adamw.py``.
"""
from __future__ import annotations

from .. import ops
from .base import Optimizer

__all__ = ["ScheduleFreeAdamW"]


class ScheduleFreeAdamW(Optimizer):
    """Schedule-free AdamW: iterate averaging in place of a decaying learning rate.

    >>> from kerasette import Variable
    >>> w = Variable([1.0, 2.0])
    >>> _ = ScheduleFreeAdamW(learning_rate=0.1).apply_gradients([([1.0, -1.0], w)])
    >>> w.numpy().round(4)
    array([0.9, 2.1], dtype=float32)
    """

    _config_attributes = ("beta_1", "beta_2", "epsilon", "warmup_steps")

    def __init__(self, learning_rate=0.0025, beta_1=0.9, beta_2=0.999, epsilon=1e-8,
                 warmup_steps=0, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None, **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, weight_decay=weight_decay,
                         clipnorm=clipnorm, clipvalue=clipvalue, global_clipnorm=global_clipnorm,
                         use_ema=use_ema, ema_momentum=ema_momentum,
                         ema_overwrite_frequency=ema_overwrite_frequency,
                         loss_scale_factor=loss_scale_factor,
                         gradient_accumulation_steps=gradient_accumulation_steps, **kwargs)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.warmup_steps = warmup_steps

    def slot_groups(self):
        return [[("momentum", "zeros"), ("velocity", "zeros")]]

    def build(self, var_list):
        if self.built:
            return
        var_list = list(var_list)
        super().build(var_list)
        for index, variable in enumerate(var_list):
            self._slots[index]["momentum"].assign(variable.numpy().copy())

    def update_step_values(self, gradient, value, slots, learning_rate, iterations, shared):
        dtype = ops.core.dtype_of(value)
        lr = ops.cast(learning_rate, dtype)
        local_step = ops.cast(ops.add(iterations, 1), dtype)
        beta_1 = ops.cast(self.beta_1, dtype)
        beta_2 = ops.cast(self.beta_2, dtype)
        epsilon = ops.cast(self.epsilon, dtype)
        if self.warmup_steps > 0:
            warmup = ops.minimum(ops.divide(local_step, ops.cast(self.warmup_steps, dtype)), 1.0)
            lr = ops.multiply(lr, warmup)
        z_old = slots["momentum"]
        velocity = slots["velocity"]
        bias_correction_2 = ops.subtract(1, ops.power(beta_2, local_step))
        velocity = ops.add(velocity, ops.multiply(ops.subtract(ops.square(gradient), velocity),
                                                  ops.subtract(1, beta_2)))
        denominator = ops.add(ops.sqrt(ops.divide(velocity, bias_correction_2)), epsilon)
        z = ops.subtract(z_old, ops.divide(ops.multiply(lr, gradient), denominator))
        weight = ops.divide(1.0, local_step)
        one_minus_beta_1 = ops.subtract(1, beta_1)
        x_old = ops.divide(ops.subtract(value, ops.multiply(one_minus_beta_1, z_old)), beta_1)
        x_new = ops.add(ops.multiply(ops.subtract(1, weight), x_old), ops.multiply(weight, z))
        y_new = ops.add(ops.multiply(one_minus_beta_1, z), ops.multiply(beta_1, x_new))
        return y_new, {"momentum": z, "velocity": velocity}
