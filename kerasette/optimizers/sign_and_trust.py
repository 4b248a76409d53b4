"""Lamb (layer-wise trust ratio on Adam's step) and Lion (the sign of an interpolated momentum).

``Lamb`` (You et al., 2019): Adam's bias-corrected ``m / (sqrt(v) + eps)``
scaled by ``||w|| / ||update||`` (1 when either norm is 0).  ``Lion`` (Chen et
al., 2023): ``w -= lr * sign(beta_1 * m + (1 - beta_1) * g)``, then
``m = beta_2 * m + (1 - beta_2) * g``.  Slots and arithmetic are Keras 3's.
"""
from __future__ import annotations

from .. import ops
from .base import Optimizer

__all__ = ["Lamb", "Lion"]


def _local_step(iterations, dtype):
    return ops.cast(ops.add(iterations, 1), dtype)


class Lamb(Optimizer):
    """Adam with a per-variable trust ratio ``||w|| / ||update||``.

    >>> from kerasette import Variable
    >>> w = Variable([3.0, 4.0])
    >>> _ = Lamb(learning_rate=0.1).apply_gradients([([1.0, -1.0], w)]); w.numpy().round(4)
    array([2.6464, 4.3536], dtype=float32)
    """

    _config_attributes = ("beta_1", "beta_2", "epsilon")

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None,
                 use_ema=False, ema_momentum=0.99, ema_overwrite_frequency=None,
                 loss_scale_factor=None, gradient_accumulation_steps=None, name=None, **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, weight_decay=weight_decay,
                         clipnorm=clipnorm, clipvalue=clipvalue, global_clipnorm=global_clipnorm,
                         use_ema=use_ema, ema_momentum=ema_momentum,
                         ema_overwrite_frequency=ema_overwrite_frequency,
                         loss_scale_factor=loss_scale_factor,
                         gradient_accumulation_steps=gradient_accumulation_steps, **kwargs)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon

    def slot_groups(self):
        return [[("momentum", "zeros"), ("velocity", "zeros")]]

    def update_step_values(self, gradient, value, slots, learning_rate, iterations, shared):
        dtype = ops.core.dtype_of(value)
        lr = ops.cast(learning_rate, dtype)
        local_step = _local_step(iterations, dtype)
        beta_1_power = ops.power(ops.cast(self.beta_1, dtype), local_step)
        beta_2_power = ops.power(ops.cast(self.beta_2, dtype), local_step)
        m = slots["momentum"]
        m = ops.add(m, ops.multiply(ops.subtract(gradient, m), 1 - self.beta_1))
        v = slots["velocity"]
        v = ops.add(v, ops.multiply(ops.subtract(ops.square(gradient), v), 1 - self.beta_2))
        m_hat = ops.divide(m, ops.subtract(1.0, beta_1_power))
        v_root = ops.add(ops.sqrt(ops.divide(v, ops.subtract(1.0, beta_2_power))), self.epsilon)
        update = ops.divide(m_hat, v_root)
        w_norm = ops.sqrt(ops.sum(ops.power(value, 2)))
        u_norm = ops.sqrt(ops.sum(ops.power(update, 2)))
        # the inner division only where it is used: no 0/0 anywhere
        safe_u_norm = ops.where(ops.greater(u_norm, 0), u_norm, 1.0)
        ratio = ops.where(ops.greater(w_norm, 0),
                          ops.where(ops.greater(u_norm, 0), ops.divide(w_norm, safe_u_norm), 1.0),
                          1.0)
        value = ops.subtract(value, ops.multiply(ops.multiply(ratio, lr), update))
        return value, {"momentum": m, "velocity": v}


class Lion(Optimizer):
    """EvoLved Sign Momentum: every coordinate moves by exactly ``lr`` (or 0).

    >>> from kerasette import Variable
    >>> w = Variable([1.0, 1.0])
    >>> _ = Lion(learning_rate=0.1).apply_gradients([([0.3, -2.0], w)]); w.numpy()
    array([0.9, 1.1], dtype=float32)
    """

    _config_attributes = ("beta_1", "beta_2")

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.99, weight_decay=None,
                 clipnorm=None, clipvalue=None, global_clipnorm=None, use_ema=False,
                 ema_momentum=0.99, ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None, **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, weight_decay=weight_decay,
                         clipnorm=clipnorm, clipvalue=clipvalue, global_clipnorm=global_clipnorm,
                         use_ema=use_ema, ema_momentum=ema_momentum,
                         ema_overwrite_frequency=ema_overwrite_frequency,
                         loss_scale_factor=loss_scale_factor,
                         gradient_accumulation_steps=gradient_accumulation_steps, **kwargs)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        if beta_1 <= 0 or beta_1 > 1:
            raise ValueError("Argument `beta_1` must be in the [0, 1] range. Otherwise, the "
                             f"optimizer degenerates to SignSGD. Received: beta_1={beta_1}.")

    def slot_groups(self):
        return [[("momentum", "zeros")]]

    def update_step_values(self, gradient, value, slots, learning_rate, iterations, shared):
        dtype = ops.core.dtype_of(value)
        lr = ops.cast(learning_rate, dtype)
        beta_1 = ops.cast(self.beta_1, dtype)
        beta_2 = ops.cast(self.beta_2, dtype)
        m = slots["momentum"]
        direction = ops.sign(ops.add(ops.multiply(m, beta_1),
                                     ops.multiply(gradient, ops.subtract(1.0, beta_1))))
        value = ops.subtract(value, ops.multiply(lr, direction))
        m = ops.add(ops.multiply(m, beta_2), ops.multiply(gradient, ops.subtract(1.0, beta_2)))
        return value, {"momentum": m}
