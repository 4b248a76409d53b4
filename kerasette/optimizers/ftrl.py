"""FTRL-Proximal (McMahan et al., 2013), with Keras 3's L2 shrinkage and ``beta``.

Per variable an ``accumulator`` of squared gradients (starting at
``initial_accumulator_value``) and a ``linear`` term; the new weights are
the closed-form minimiser ``(clip(linear, -l1, l1) - linear) / quadratic``,
as ``keras/src/optimizers/ftrl.py`` computes it.
"""
from __future__ import annotations

from .. import initializers, ops
from .base import Optimizer

__all__ = ["Ftrl"]


class Ftrl(Optimizer):
    """Follow The Regularized Leader, for wide sparse models (L1 gives exact zeros).

    >>> from kerasette import Variable
    >>> w = Variable([1.0, -2.0])
    >>> _ = Ftrl(learning_rate=0.1).apply_gradients([([0.5, -0.5], w)]); w.numpy().round(4)
    array([ 0.381 , -0.8464], dtype=float32)
    """

    _config_attributes = ("learning_rate_power", "initial_accumulator_value",
                          "l1_regularization_strength", "l2_regularization_strength",
                          "l2_shrinkage_regularization_strength", "beta")

    def __init__(self, learning_rate=0.001, learning_rate_power=-0.5,
                 initial_accumulator_value=0.1, l1_regularization_strength=0.0,
                 l2_regularization_strength=0.0, l2_shrinkage_regularization_strength=0.0,
                 beta=0.0, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None, **kwargs):
        for argument, value, sign in (
                ("initial_accumulator_value", initial_accumulator_value, "positive or zero"),
                ("learning_rate_power", -learning_rate_power, "negative or zero"),
                ("l1_regularization_strength", l1_regularization_strength, "positive or zero"),
                ("l2_regularization_strength", l2_regularization_strength, "positive or zero"),
                ("l2_shrinkage_regularization_strength", l2_shrinkage_regularization_strength,
                 "positive or zero")):
            if value < 0.0:
                shown = -value if argument == "learning_rate_power" else value
                raise ValueError(f"`{argument}` needs to be {sign}. Received: "
                                 f"{argument}={shown}.")
        super().__init__(learning_rate=learning_rate, name=name, weight_decay=weight_decay,
                         clipnorm=clipnorm, clipvalue=clipvalue, global_clipnorm=global_clipnorm,
                         use_ema=use_ema, ema_momentum=ema_momentum,
                         ema_overwrite_frequency=ema_overwrite_frequency,
                         loss_scale_factor=loss_scale_factor,
                         gradient_accumulation_steps=gradient_accumulation_steps, **kwargs)
        self.learning_rate_power = learning_rate_power
        self.initial_accumulator_value = initial_accumulator_value
        self.l1_regularization_strength = l1_regularization_strength
        self.l2_regularization_strength = l2_regularization_strength
        self.l2_shrinkage_regularization_strength = l2_shrinkage_regularization_strength
        self.beta = beta

    def slot_groups(self):
        return [[("accumulator", initializers.Constant(self.initial_accumulator_value)),
                 ("linear", "zeros")]]

    def update_step_values(self, gradient, value, slots, learning_rate, iterations, shared):
        lr = ops.cast(learning_rate, ops.core.dtype_of(value))
        power = -self.learning_rate_power
        l2 = ops.add(self.l2_regularization_strength,
                     ops.divide(self.beta, ops.multiply(2.0, lr)))
        shrunk_gradient = ops.add(gradient, ops.multiply(
            2 * self.l2_shrinkage_regularization_strength, value))
        accumulator = slots["accumulator"]
        new_accumulator = ops.add(accumulator, ops.square(gradient))
        new_power = ops.power(new_accumulator, power)
        sigma = ops.divide(ops.subtract(new_power, ops.power(accumulator, power)), lr)
        linear = ops.add(slots["linear"],
                         ops.subtract(shrunk_gradient, ops.multiply(sigma, value)))
        quadratic = ops.add(ops.divide(new_power, lr), ops.multiply(2, l2))
        l1 = self.l1_regularization_strength
        value = ops.divide(ops.subtract(ops.clip(linear, -l1, l1), linear), quadratic)
        return value, {"accumulator": new_accumulator, "linear": linear}
