"""Adafactor (Shazeer & Stern, 2018): second moments kept as row and column factors.

For a variable of rank 2 or more, Adafactor keeps the running means of the
squared gradient over its last axis (``r``, shape ``shape[:-1]``) and over
its second-to-last axis (``c``, ``shape[:-2] + shape[-1:]``) and rebuilds the
full estimate as their normalised outer product; smaller variables keep a
full ``velocity``.  The step is relative to the variable's RMS and clipped
by the update's RMS.  Variables and arithmetic follow Keras 3's
``keras/src/optimizers/adafactor.py``: per variable ``r`` and ``c`` (named
after the variable; two int32 placeholders for variables of rank < 2, as
Keras creates them) and then ``<path>_velocity``, which fixes the order of
``optimizer.variables`` in weight files.
"""
from __future__ import annotations

from .. import backend, ops
from ..variables import Variable
from .base import Optimizer

__all__ = ["Adafactor"]


def _rms(x):
    return ops.sqrt(ops.mean(ops.square(x)))


class Adafactor(Optimizer):
    """Adafactor: factored second moments, updates relative to the variable's scale.

    >>> from kerasette import Variable
    >>> w = Variable([[1.0, 2.0], [3.0, 4.0]])
    >>> _ = Adafactor(learning_rate=0.01).apply_gradients([([[1.0, 0.0], [0.0, 1.0]], w)])
    >>> w.numpy().round(4)
    array([[0.9613, 2.    ],
           [3.    , 3.9613]], dtype=float32)
    """

    _config_attributes = ("beta_2_decay", "epsilon_1", "epsilon_2", "clip_threshold",
                          "relative_step")

    def __init__(self, learning_rate=0.001, beta_2_decay=-0.8, epsilon_1=1e-30, epsilon_2=1e-3,
                 clip_threshold=1.0, relative_step=True, weight_decay=None, clipnorm=None,
                 clipvalue=None, global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None, **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, weight_decay=weight_decay,
                         clipnorm=clipnorm, clipvalue=clipvalue, global_clipnorm=global_clipnorm,
                         use_ema=use_ema, ema_momentum=ema_momentum,
                         ema_overwrite_frequency=ema_overwrite_frequency,
                         loss_scale_factor=loss_scale_factor,
                         gradient_accumulation_steps=gradient_accumulation_steps, **kwargs)
        self.beta_2_decay = beta_2_decay
        self.epsilon_1 = epsilon_1
        self.epsilon_2 = epsilon_2
        self.clip_threshold = clip_threshold
        self.relative_step = relative_step

    def build(self, var_list):
        if self.built:
            return
        var_list = list(var_list)
        super().build(var_list)
        for index, variable in enumerate(var_list):
            shape = tuple(variable.shape)
            name = str(variable.name)
            if len(shape) < 2:
                # Keras makes two untouched int32 scalars here (they still count in files)
                for _ in range(2):
                    placeholder = self._new_variable(backend.as_array(0, dtype="int32"), name)
                    placeholder.path = name
            else:
                self._slots[index]["r"] = self.add_variable(shape[:-1], dtype=variable.dtype,
                                                            name=name)
                self._slots[index]["c"] = self.add_variable(shape[:-2] + shape[-1:],
                                                            dtype=variable.dtype, name=name)
            self._slots[index]["velocity"] = self.add_variable_from_reference(variable,
                                                                              "velocity")

    def update_step_values(self, gradient, value, slots, learning_rate, iterations, shared):
        dtype = ops.core.dtype_of(value)
        lr = ops.cast(learning_rate, dtype)
        local_step = ops.cast(ops.add(iterations, 1), dtype)
        inverse_root_step = ops.divide(1.0, ops.sqrt(local_step))
        if self.relative_step and isinstance(self._learning_rate, Variable):
            lr = ops.minimum(lr, inverse_root_step)
        rho = ops.minimum(lr, inverse_root_step)
        alpha = ops.multiply(ops.maximum(ops.cast(self.epsilon_2, dtype), _rms(value)), rho)
        regulated = ops.add(ops.square(gradient), self.epsilon_1)
        beta_2 = ops.subtract(1.0, ops.power(local_step, self.beta_2_decay))
        keep = ops.subtract(1.0, beta_2)
        if "r" in slots:
            r = ops.add(ops.multiply(beta_2, slots["r"]),
                        ops.multiply(keep, ops.mean(regulated, axis=-1)))
            c = ops.add(ops.multiply(beta_2, slots["c"]),
                        ops.multiply(keep, ops.mean(regulated, axis=-2)))
            row = ops.divide(r, ops.mean(r, axis=-1, keepdims=True))
            velocity = ops.multiply(ops.expand_dims(row, -1), ops.expand_dims(c, -2))
            new = {"r": r, "c": c, "velocity": velocity}
        else:
            velocity = ops.add(ops.multiply(beta_2, slots["velocity"]),
                               ops.multiply(keep, regulated))
            new = {"velocity": velocity}
        update = ops.divide(gradient, ops.sqrt(velocity))
        update = ops.divide(update, ops.maximum(ops.cast(1.0, dtype),
                                                ops.divide(_rms(update), self.clip_threshold)))
        return ops.subtract(value, ops.multiply(alpha, update)), new
