"""The optimizers: SGD, RMSprop, Adagrad, Adadelta, Adam, AdamW, Adamax, Nadam.

Each class names its slots (``slot_groups``, in Keras 3's creation order)
and writes its step as a pure function of values with ``kerasette.ops``
(``update_step_values``); the base class runs it eagerly or into a compiled
program.  The arithmetic mirrors Keras 3's ``keras/src/optimizers/*.py``
operation by operation, including where epsilon sits, Python-float
hyperparameters (``1 - beta_1`` computed in double, then float32) against
float32 tensors (Nadam's ``1 - beta_1`` after casting), and the bias
corrections from ``iterations + 1``.
"""
from __future__ import annotations

from .. import backend, initializers, ops
from .base import Optimizer

__all__ = ["SGD", "RMSprop", "Adagrad", "Adadelta", "Adam", "AdamW", "Adamax", "Nadam"]


def _dtype(value):
    return ops.core.dtype_of(value)


def _local_step(iterations, dtype, offset=1):
    return ops.cast(ops.add(iterations, offset), dtype)


class SGD(Optimizer):
    """Gradient descent, with optional (Nesterov) momentum.

    ``velocity = momentum * velocity - learning_rate * g``; ``w += velocity``
    (Nesterov: ``w += momentum * velocity - learning_rate * g``).

    >>> from kerasette import Variable
    >>> w = Variable([1.0]); _ = SGD(0.1).apply_gradients([([2.0], w)]); w.numpy()
    array([0.8], dtype=float32)
    """

    _config_attributes = ("momentum", "nesterov")

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, weight_decay=None,
                 clipnorm=None, clipvalue=None, global_clipnorm=None, use_ema=False,
                 ema_momentum=0.99, ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name="SGD", **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, weight_decay=weight_decay,
                         clipnorm=clipnorm, clipvalue=clipvalue, global_clipnorm=global_clipnorm,
                         use_ema=use_ema, ema_momentum=ema_momentum,
                         ema_overwrite_frequency=ema_overwrite_frequency,
                         loss_scale_factor=loss_scale_factor,
                         gradient_accumulation_steps=gradient_accumulation_steps, **kwargs)
        if isinstance(momentum, bool) or not isinstance(momentum, (int, float)) \
                or momentum < 0 or momentum > 1:
            raise ValueError("`momentum` must be a float between [0, 1].")
        self.momentum = float(momentum)
        self.nesterov = nesterov

    def slot_groups(self):
        return [[("momentum", "zeros")]] if self.momentum != 0 else []

    def update_step_values(self, gradient, value, slots, learning_rate, iterations, shared):
        dtype = _dtype(value)
        learning_rate = ops.cast(learning_rate, dtype)
        if self.momentum == 0:
            return ops.subtract(value, ops.multiply(gradient, learning_rate)), {}
        momentum = ops.cast(self.momentum, dtype)
        m = ops.subtract(ops.multiply(slots["momentum"], momentum),
                         ops.multiply(gradient, learning_rate))
        if self.nesterov:
            value = ops.add(value, ops.subtract(ops.multiply(m, momentum),
                                                ops.multiply(gradient, learning_rate)))
        else:
            value = ops.add(value, m)
        return value, {"momentum": m}


class RMSprop(Optimizer):
    """Divide the gradient by a running root mean square of recent gradients.

    ``v = rho * v + (1 - rho) * g**2``; ``w -= lr * g / sqrt(v + epsilon)``
    (epsilon inside the root; ``centered`` subtracts the squared running mean
    of g; ``momentum`` accumulates the increments).

    >>> optimizer = RMSprop(learning_rate=0.001, centered=True)
    """

    _config_attributes = ("rho", "momentum", "epsilon", "centered")

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False,
                 weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None,
                 use_ema=False, ema_momentum=0.99, ema_overwrite_frequency=None,
                 loss_scale_factor=None, gradient_accumulation_steps=None, name="rmsprop", **kwargs):
        super().__init__(learning_rate=learning_rate, weight_decay=weight_decay, clipnorm=clipnorm,
                         clipvalue=clipvalue, global_clipnorm=global_clipnorm, use_ema=use_ema,
                         ema_momentum=ema_momentum, ema_overwrite_frequency=ema_overwrite_frequency,
                         loss_scale_factor=loss_scale_factor,
                         gradient_accumulation_steps=gradient_accumulation_steps, name=name, **kwargs)
        self.rho = rho
        self.momentum = momentum
        self.epsilon = epsilon
        self.centered = centered

    def slot_groups(self):
        groups = [[("velocity", "zeros")]]
        if self.momentum > 0:
            groups.append([("momentum", "zeros")])
        if self.centered:
            groups.append([("average_gradient", "zeros")])
        return groups

    def update_step_values(self, gradient, value, slots, learning_rate, iterations, shared):
        lr = ops.cast(learning_rate, _dtype(value))
        rho = self.rho
        new = {}
        velocity = ops.add(ops.multiply(rho, slots["velocity"]),
                           ops.multiply(1 - rho, ops.square(gradient)))
        new["velocity"] = velocity
        if self.centered:
            average_grad = ops.add(ops.multiply(rho, slots["average_gradient"]),
                                   ops.multiply(1 - rho, gradient))
            new["average_gradient"] = average_grad
            denominator = ops.add(ops.subtract(velocity, ops.square(average_grad)), self.epsilon)
        else:
            denominator = ops.add(velocity, self.epsilon)
        increment = ops.divide(ops.multiply(lr, gradient), ops.sqrt(denominator))
        if self.momentum > 0:
            momentum = ops.add(ops.multiply(self.momentum, slots["momentum"]), increment)
            new["momentum"] = momentum
            return ops.subtract(value, momentum), new
        return ops.subtract(value, increment), new


class Adagrad(Optimizer):
    """Per-parameter rates that shrink with the sum of squared gradients seen.

    ``acc += g**2``; ``w -= lr * g / sqrt(acc + epsilon)``; ``acc`` starts at
    ``initial_accumulator_value``.

    >>> optimizer = Adagrad(learning_rate=0.01)
    """

    _config_attributes = ("initial_accumulator_value", "epsilon")

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7,
                 weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None,
                 use_ema=False, ema_momentum=0.99, ema_overwrite_frequency=None,
                 loss_scale_factor=None, gradient_accumulation_steps=None, name=None, **kwargs):
        super().__init__(learning_rate=learning_rate, weight_decay=weight_decay, clipnorm=clipnorm,
                         clipvalue=clipvalue, global_clipnorm=global_clipnorm, use_ema=use_ema,
                         ema_momentum=ema_momentum, ema_overwrite_frequency=ema_overwrite_frequency,
                         loss_scale_factor=loss_scale_factor,
                         gradient_accumulation_steps=gradient_accumulation_steps, name=name, **kwargs)
        self.initial_accumulator_value = initial_accumulator_value
        self.epsilon = epsilon

    def slot_groups(self):
        return [[("accumulator", initializers.Constant(self.initial_accumulator_value))]]

    def update_step_values(self, gradient, value, slots, learning_rate, iterations, shared):
        lr = ops.cast(learning_rate, _dtype(value))
        accumulator = ops.add(slots["accumulator"], ops.square(gradient))
        value = ops.subtract(value, ops.divide(ops.multiply(lr, gradient),
                                               ops.sqrt(ops.add(accumulator, self.epsilon))))
        return value, {"accumulator": accumulator}


class Adadelta(Optimizer):
    """Steps scaled by the ratio of running RMS of past steps to running RMS of gradients.

    >>> optimizer = Adadelta(learning_rate=1.0)  # the paper's form
    """

    _config_attributes = ("rho", "epsilon")

    def __init__(self, learning_rate=0.001, rho=0.95, epsilon=1e-7, weight_decay=None,
                 clipnorm=None, clipvalue=None, global_clipnorm=None, use_ema=False,
                 ema_momentum=0.99, ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name="adadelta", **kwargs):
        super().__init__(learning_rate=learning_rate, weight_decay=weight_decay, clipnorm=clipnorm,
                         clipvalue=clipvalue, global_clipnorm=global_clipnorm, use_ema=use_ema,
                         ema_momentum=ema_momentum, ema_overwrite_frequency=ema_overwrite_frequency,
                         loss_scale_factor=loss_scale_factor,
                         gradient_accumulation_steps=gradient_accumulation_steps, name=name, **kwargs)
        self.rho = rho
        self.epsilon = epsilon

    def slot_groups(self):
        return [[("accumulated_grad", "zeros"), ("accumulated_delta_var", "zeros")]]

    def update_step_values(self, gradient, value, slots, learning_rate, iterations, shared):
        lr = ops.cast(learning_rate, _dtype(value))
        rho = self.rho

        def rms(x):
            return ops.sqrt(ops.add(x, self.epsilon))

        accumulated_grad = ops.add(ops.multiply(rho, slots["accumulated_grad"]),
                                   ops.multiply(1 - rho, ops.square(gradient)))
        accumulated_delta = slots["accumulated_delta_var"]
        delta = ops.negative(ops.divide(ops.multiply(rms(accumulated_delta), gradient),
                                        rms(accumulated_grad)))
        accumulated_delta = ops.add(ops.multiply(rho, accumulated_delta),
                                    ops.multiply(1 - rho, ops.square(delta)))
        value = ops.add(value, ops.multiply(lr, delta))
        return value, {"accumulated_grad": accumulated_grad,
                       "accumulated_delta_var": accumulated_delta}


class Adam(Optimizer):
    """Adaptive moment estimation (Kingma & Ba), Keras' form:

    ``alpha = lr * sqrt(1 - beta_2**t) / (1 - beta_1**t)``;
    ``w -= alpha * m / (sqrt(v) + epsilon)`` (epsilon is "epsilon hat").

    >>> optimizer = Adam(learning_rate=1e-3, amsgrad=True)
    """

    _config_attributes = ("beta_1", "beta_2", "epsilon", "amsgrad")

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False,
                 weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None,
                 use_ema=False, ema_momentum=0.99, ema_overwrite_frequency=None,
                 loss_scale_factor=None, gradient_accumulation_steps=None, name="adam", **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, weight_decay=weight_decay,
                         clipnorm=clipnorm, clipvalue=clipvalue, global_clipnorm=global_clipnorm,
                         use_ema=use_ema, ema_momentum=ema_momentum,
                         ema_overwrite_frequency=ema_overwrite_frequency,
                         loss_scale_factor=loss_scale_factor,
                         gradient_accumulation_steps=gradient_accumulation_steps, **kwargs)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.amsgrad = amsgrad

    def slot_groups(self):
        groups = [[("momentum", "zeros"), ("velocity", "zeros")]]
        if self.amsgrad:
            groups.append([("velocity_hat", "zeros")])
        return groups

    def _step_values(self, *args, **kwargs):
        # alpha depends only on the learning rate, the iteration and the dtype:
        # one per step and dtype, not one chain of small ops per variable
        self._alpha_by_dtype = {}
        try:
            return super()._step_values(*args, **kwargs)
        finally:
            self._alpha_by_dtype = None

    def _alpha(self, learning_rate, iterations, dtype):
        cache = getattr(self, "_alpha_by_dtype", None)
        key = str(dtype)
        if cache is not None and key in cache:
            return cache[key]
        lr = ops.cast(learning_rate, dtype)
        local_step = _local_step(iterations, dtype)
        beta_1_power = ops.power(ops.cast(self.beta_1, dtype), local_step)
        beta_2_power = ops.power(ops.cast(self.beta_2, dtype), local_step)
        alpha = ops.divide(ops.multiply(lr, ops.sqrt(ops.subtract(1, beta_2_power))),
                           ops.subtract(1, beta_1_power))
        if cache is not None:
            cache[key] = alpha
        return alpha

    def update_step_values(self, gradient, value, slots, learning_rate, iterations, shared):
        dtype = _dtype(value)
        alpha = self._alpha(learning_rate, iterations, dtype)
        if all(isinstance(x, (int, float)) for x in (self.beta_1, self.beta_2, self.epsilon)):
            # fused primitives (kerasette/primitives/optimizer_steps.py): the same float
            # operations in the same order as the formulas below, so the same bits
            m = ops.core.apply("adam_moment", slots["momentum"], gradient, rate=1 - self.beta_1)
            v = ops.core.apply("adam_moment", slots["velocity"], gradient, rate=1 - self.beta_2,
                               square=True)
            new = {"momentum": m, "velocity": v}
            if self.amsgrad:
                v = ops.maximum(slots["velocity_hat"], v)
                new["velocity_hat"] = v
            value = ops.core.apply("adam_update", value, m, v, alpha, epsilon=float(self.epsilon))
            return value, new
        m = slots["momentum"]
        m = ops.add(m, ops.multiply(ops.subtract(gradient, m), 1 - self.beta_1))
        v = slots["velocity"]
        v = ops.add(v, ops.multiply(ops.subtract(ops.square(gradient), v), 1 - self.beta_2))
        new = {"momentum": m, "velocity": v}
        if self.amsgrad:
            v = ops.maximum(slots["velocity_hat"], v)
            new["velocity_hat"] = v
        value = ops.subtract(value, ops.divide(ops.multiply(m, alpha),
                                               ops.add(ops.sqrt(v), self.epsilon)))
        return value, new


class AdamW(Adam):
    """Adam with decoupled weight decay: before each step ``w -= w * weight_decay * lr``.

    >>> optimizer = AdamW(learning_rate=1e-3, weight_decay=0.004)
    """

    def __init__(self, learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999,
                 epsilon=1e-7, amsgrad=False, clipnorm=None, clipvalue=None, global_clipnorm=None,
                 use_ema=False, ema_momentum=0.99, ema_overwrite_frequency=None,
                 loss_scale_factor=None, gradient_accumulation_steps=None, name="adamw", **kwargs):
        super().__init__(learning_rate=learning_rate, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon,
                         amsgrad=amsgrad, name=name, weight_decay=weight_decay, clipnorm=clipnorm,
                         clipvalue=clipvalue, global_clipnorm=global_clipnorm, use_ema=use_ema,
                         ema_momentum=ema_momentum, ema_overwrite_frequency=ema_overwrite_frequency,
                         loss_scale_factor=loss_scale_factor,
                         gradient_accumulation_steps=gradient_accumulation_steps, **kwargs)
        if self.weight_decay is None:
            raise ValueError("Argument `weight_decay` must be a float. Received: weight_decay=None")


class Adamax(Optimizer):
    """Adam with the infinity norm: ``u = max(beta_2 * u, |g|)``;
    ``w -= lr * m / ((1 - beta_1**t) * (u + epsilon))``.

    >>> optimizer = Adamax(learning_rate=0.002)
    """

    _config_attributes = ("beta_1", "beta_2", "epsilon")

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None,
                 use_ema=False, ema_momentum=0.99, ema_overwrite_frequency=None,
                 loss_scale_factor=None, gradient_accumulation_steps=None, name="adamax", **kwargs):
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
        return [[("momentum", "zeros"), ("norm", "zeros")]]

    def update_step_values(self, gradient, value, slots, learning_rate, iterations, shared):
        dtype = _dtype(value)
        lr = ops.cast(learning_rate, dtype)
        beta_1_power = ops.power(ops.cast(self.beta_1, dtype), _local_step(iterations, dtype))
        m = slots["momentum"]
        m = ops.add(m, ops.multiply(ops.subtract(gradient, m), 1 - self.beta_1))
        u = ops.maximum(ops.multiply(self.beta_2, slots["norm"]), ops.abs(gradient))
        value = ops.subtract(value, ops.divide(
            ops.multiply(lr, m),
            ops.multiply(ops.subtract(1, beta_1_power), ops.add(u, self.epsilon))))
        return value, {"momentum": m, "norm": u}


class Nadam(Optimizer):
    """Adam with Nesterov momentum (Dozat), with Keras' momentum schedule
    ``u_t = beta_1 * (1 - 0.5 * 0.96**t)`` and its running product ``u_product``
    (one optimizer-wide variable, created after the slots).

    >>> optimizer = Nadam(learning_rate=0.002)
    """

    _config_attributes = ("beta_1", "beta_2", "epsilon")

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None,
                 use_ema=False, ema_momentum=0.99, ema_overwrite_frequency=None,
                 loss_scale_factor=None, gradient_accumulation_steps=None, name="nadam", **kwargs):
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

    def build(self, var_list):
        var_list = list(var_list)
        self._u_product_dtype = var_list[0].dtype if var_list else backend.floatx()
        super().build(var_list)

    def shared_variables(self):
        return [("u_product", backend.as_array(1.0, dtype=self._u_product_dtype))]

    def update_shared_values(self, shared, iterations, dtype):
        u_product = shared["u_product"]
        u_dtype = _dtype(u_product)
        factor = ops.subtract(1.0, ops.multiply(0.5, ops.power(0.96, _local_step(iterations, u_dtype))))
        shared["u_product"] = ops.multiply(ops.multiply(u_product, self.beta_1), factor)
        return shared

    def update_step_values(self, gradient, value, slots, learning_rate, iterations, shared):
        dtype = _dtype(value)
        lr = ops.cast(learning_rate, dtype)
        local_step = _local_step(iterations, dtype)
        next_step = _local_step(iterations, dtype, offset=2)
        decay = ops.cast(0.96, dtype)
        beta_1 = ops.cast(self.beta_1, dtype)
        beta_2 = ops.cast(self.beta_2, dtype)
        u_t = ops.multiply(beta_1, ops.subtract(1.0, ops.multiply(0.5, ops.power(decay, local_step))))
        u_t_1 = ops.multiply(beta_1, ops.subtract(1.0, ops.multiply(0.5, ops.power(decay, next_step))))
        u_product_t = ops.cast(shared["u_product"], dtype)
        u_product_t_1 = ops.multiply(u_product_t, u_t_1)
        beta_2_power = ops.power(beta_2, local_step)
        m = slots["momentum"]
        # beta_1 and beta_2 are float32 here, so 1 - beta is a float32 subtraction, as in Keras
        m = ops.add(m, ops.multiply(ops.subtract(gradient, m), ops.subtract(1, beta_1)))
        v = slots["velocity"]
        v = ops.add(v, ops.multiply(ops.subtract(ops.square(gradient), v), ops.subtract(1, beta_2)))
        m_hat = ops.add(ops.divide(ops.multiply(u_t_1, m), ops.subtract(1, u_product_t_1)),
                        ops.divide(ops.multiply(ops.subtract(1, u_t), gradient),
                                   ops.subtract(1, u_product_t)))
        v_hat = ops.divide(v, ops.subtract(1, beta_2_power))
        value = ops.subtract(value, ops.divide(ops.multiply(m_hat, lr),
                                               ops.add(ops.sqrt(v_hat), self.epsilon)))
        return value, {"momentum": m, "velocity": v}
