"""The optimizer base: state, clipping, weight decay, and one update rule for two callers.

Every optimizer's arithmetic is a pure function of values,
``update_step_values(gradient, value, slots, learning_rate, iterations, shared)
-> (new_value, new_slots)``, written with ``kerasette.ops`` only.  The base
class runs that function in two ways:

* eagerly, ``apply_gradients(zip(grads, variables))`` / ``apply(grads,
  variables)``: it feeds the current arrays of the variables and slots, and
  assigns the results at once;
* in a compiled training step, ``get_updates(variables, grads)`` with
  symbolic gradient nodes: it feeds the variables' graph nodes and returns
  ``(Variable, new_value_node)`` pairs for the model variables, the slots and
  ``iterations`` (+1), so forward, loss, gradients and updates compile into
  one ``engine.Program`` (``program_updates.py``).

Because both go through the same function, a model trained eagerly and one
trained by a compiled program take exactly the same steps.

State is Keras 3's: ``iterations`` (int64, not trainable), the learning rate
in a float variable (so a compiled program reads the value set later by
``optimizer.learning_rate = 0.5`` without being rebuilt) unless it is a
schedule, and per-variable slots named like Keras' ``add_variable_from_reference``
(``adam/dense_kernel_momentum``), created in Keras' order (which decides
optimizer weight files).  Clipping (``clipnorm`` per variable, ``clipvalue``,
``global_clipnorm``: ``clipping.py``), decoupled ``weight_decay``, ``loss_scale_factor`` and
EMA (``use_ema``) follow ``keras/src/optimizers/base_optimizer.py``.
"""
from __future__ import annotations

import numbers
import re
import warnings

from .. import backend, engine, initializers, ops
from ..eager import Tensor
from ..engine import Node
from ..variables import Variable
from . import program_updates
from . import schedules as schedules_module
# clipping.py and program_updates.py were split from here; their names still import from here
from .clipping import clip_by_global_norm, clip_by_norm, global_norm
from .program_updates import _as_node, _node_of, _unwrap, to_program_updates  # noqa: F401

__all__ = ["Optimizer", "clip_by_global_norm", "global_norm", "to_program_updates"]


def _slot_name(reference: str, slot: str) -> str:
    """A slot's name: ``<the weight's path with _>_<slot>`` (``sequential_dense_kernel_momentum``)."""
    return reference.replace("/", "_").replace(":", "_") + "_" + slot


def _snake_case(name: str) -> str:
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()



class Optimizer:
    """Base class of all optimizers.

    A subclass lists its slots in ``slot_groups()`` and writes its arithmetic in
    ``update_step_values``; the base class creates the slots, clips, decays,
    and runs the arithmetic eagerly or into a graph.

    >>> class PlainSGD(Optimizer):
    ...     def __init__(self, learning_rate=0.01, **kwargs):
    ...         super().__init__(learning_rate=learning_rate, **kwargs)
    ...     def update_step_values(self, gradient, value, slots, learning_rate, iterations, shared):
    ...         return ops.subtract(value, ops.multiply(gradient, learning_rate)), {}
    """

    #: a subclass's own hyperparameters, added (in this order) to the base ``get_config``
    _config_attributes: tuple = ()

    def __init__(self, learning_rate, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None, **kwargs):
        if "lr" in kwargs:
            # Keras 2 spelling (keras/legacy/interfaces.py); Keras 3 rejects it
            warnings.warn("The `lr` argument is deprecated, use `learning_rate` instead.",
                          stacklevel=3)
            learning_rate = kwargs.pop("lr")
        if kwargs.pop("decay", None) is not None:
            warnings.warn("Argument `decay` is no longer supported and will be ignored.")
        if kwargs:
            raise ValueError(f"Argument(s) not recognized: {kwargs}")
        if name is None:
            name = backend.unique_object_name(_snake_case(type(self).__name__))
        self.name = name
        self.weight_decay = weight_decay
        self.clipnorm = clipnorm
        self.global_clipnorm = global_clipnorm
        self.clipvalue = clipvalue
        self.use_ema = use_ema
        self.loss_scale_factor = loss_scale_factor
        self.gradient_accumulation_steps = gradient_accumulation_steps
        if gradient_accumulation_steps:
            if not gradient_accumulation_steps >= 2:
                raise ValueError("`gradient_accumulation_steps` must be an integer >= 2. Received: "
                                 f"gradient_accumulation_steps={gradient_accumulation_steps}")
            raise NotImplementedError("gradient_accumulation_steps is not supported by kerasette yet")
        if use_ema:
            if ema_momentum > 1 or ema_momentum < 0:
                raise ValueError(f"`ema_momentum` must be in the range [0, 1]. Received: "
                                 f"ema_momentum={ema_momentum}")
            if ema_overwrite_frequency and (not isinstance(ema_overwrite_frequency, int)
                                            or ema_overwrite_frequency < 1):
                raise ValueError("`ema_overwrite_frequency` must be an integer >= 1 or None. "
                                 f"Received: ema_overwrite_frequency={ema_overwrite_frequency}")
        self.ema_momentum = ema_momentum
        self.ema_overwrite_frequency = ema_overwrite_frequency
        if sum(a is not None for a in (clipnorm, clipvalue, global_clipnorm)) > 1:
            raise ValueError(
                "Only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be set. Received: "
                f"clipnorm={clipnorm}, clipvalue={clipvalue}, global_clipnorm={global_clipnorm}")
        self.built = False
        self._variables: list = []
        self._trainable_variables: list = []
        self._trainable_variables_indices: dict = {}
        # per trainable variable, {slot name: Variable}; and optimizer-wide state (Nadam)
        self._slots: list = []
        self._shared: dict = {}
        self._iterations = self._new_variable(backend.as_array(0, dtype="int64"), "iteration")
        self._learning_rate = self._learning_rate_from(learning_rate)

    # ----------------------------------------------------------- variables
    def _new_variable(self, array, name):
        variable = Variable(array, name=name, trainable=False, dtype=array.dtype)
        variable.path = f"{self.name}/{name}"
        self._variables.append(variable)
        return variable

    def _learning_rate_from(self, learning_rate):
        if isinstance(learning_rate, schedules_module.LearningRateSchedule) or callable(learning_rate):
            return learning_rate
        if isinstance(learning_rate, bool) or not isinstance(learning_rate, numbers.Real) and not (
                backend.is_array(learning_rate) and learning_rate.ndim == 0):
            raise ValueError(
                "Argument `learning_rate` should be float, or an instance of LearningRateSchedule, "
                "or a callable (that takes in the current iteration value and returns the "
                f"corresponding learning rate value). Received instead: learning_rate={learning_rate}")
        return self._new_variable(backend.as_array(float(learning_rate), dtype=backend.floatx()),
                                  "learning_rate")

    @property
    def iterations(self) -> Variable:
        """The number of steps applied so far (an int64 Variable)."""
        return self._iterations

    @property
    def variables(self) -> list:
        """``iterations``, the learning rate variable (unless a schedule) and the slots,
        in creation order: the order of Keras 3's ``optimizer.variables`` and weight files."""
        return list(self._variables)

    def add_variable(self, shape, initializer="zeros", dtype=None, name=None) -> Variable:
        """A new optimizer variable (not trainable), tracked in ``variables``."""
        initializer = initializers.get(initializer)
        array = backend.as_array(initializer(tuple(shape), dtype=dtype or backend.floatx()))
        return self._new_variable(array, name or "variable")

    def add_variable_from_reference(self, reference_variable, name=None, initializer="zeros"):
        """A variable shaped like ``reference_variable``, named ``<its path with _>_<name>``."""
        slot = name or "var"
        reference = getattr(reference_variable, "path", None) or str(reference_variable.name)
        variable = self.add_variable(reference_variable.shape, initializer=initializer,
                                     dtype=reference_variable.dtype, name=_slot_name(reference, slot))
        legacy = getattr(reference_variable, "legacy_path", None)
        if legacy is not None:      # legacy HDF5 files name the slot after the weight's name there
            variable.legacy_path = f"{self.name}/{_slot_name(legacy, slot)}"
        return variable

    def add_optimizer_variables(self, trainable_variables, name, initializer="zeros"):
        """One slot per variable for each of ``name`` (a name or a list of names).

        With several names the slots are interleaved variable by variable
        (``m0, v0, m1, v1``), as Keras does for weight-file compatibility.
        """
        names = [name] if isinstance(name, str) else list(name)
        if isinstance(initializer, (list, tuple)):
            inits = list(initializer)
        else:
            inits = [initializer] * len(names)
        if len(names) != len(inits):
            raise ValueError(f"The number of provided names must match the number of provided "
                             f"initializers. Received name='{name}', initializer='{initializer}'")
        created = tuple([] for _ in names)
        for variable in trainable_variables:
            for i, (slot_name, init) in enumerate(zip(names, inits)):
                created[i].append(self.add_variable_from_reference(variable, slot_name, init))
        return created[0] if isinstance(name, str) else created

    # --------------------------------------------------------------- build
    def slot_groups(self) -> list:
        """The per-variable slots, as a list of groups ``[(name, initializer), ...]``.

        Each group is created with ``add_optimizer_variables`` (interleaved within
        a group, one group after another), which fixes the order of ``variables``.
        """
        return []

    def shared_variables(self) -> list:
        """Optimizer-wide state besides ``iterations``: ``[(name, initial array)]``."""
        return []

    def build(self, var_list):
        """Create the slots for ``var_list`` (the trainable variables, in order)."""
        if self.built:
            return
        var_list = list(var_list)
        self._trainable_variables = var_list[:]
        self._trainable_variables_indices = {id(v): i for i, v in enumerate(var_list)}
        self._slots = [{} for _ in var_list]
        groups = ([[("average", "zeros")]] if self.use_ema else []) + list(self.slot_groups())
        for group in groups:
            names = [slot_name for slot_name, _ in group]
            inits = [init for _, init in group]
            created = self.add_optimizer_variables(var_list, names, inits)
            for slot_name, slot_variables in zip(names, created):
                for index, slot in enumerate(slot_variables):
                    self._slots[index][slot_name] = slot
        for shared_name, initial in self.shared_variables():
            self._shared[shared_name] = self._new_variable(backend.as_array(initial), shared_name)
        self.built = True

    def _check_variables_are_known(self, variables):
        for v in variables:
            if id(v) not in self._trainable_variables_indices:
                raise ValueError(
                    f"Unknown variable: {v}. This optimizer can only be called for the variables "
                    "it was originally built with. When working with a new set of variables, you "
                    "should recreate a new optimizer instance.")

    def _get_variable_index(self, variable) -> int:
        return self._trainable_variables_indices[id(variable)]

    # --------------------------------------------------------- learning rate
    @property
    def learning_rate(self):
        """The learning rate: a float Variable, or the schedule's value at ``iterations``."""
        return self._current_learning_rate(self._iterations.data)

    @learning_rate.setter
    def learning_rate(self, learning_rate):
        previous = self._learning_rate if isinstance(self._learning_rate, Variable) else None
        if isinstance(learning_rate, schedules_module.LearningRateSchedule) or callable(learning_rate):
            self._learning_rate = learning_rate
        else:
            if isinstance(self._learning_rate, schedules_module.LearningRateSchedule):
                raise TypeError(
                    "This optimizer was created with a `LearningRateSchedule` object as its "
                    "`learning_rate` constructor argument, hence its learning rate is not settable. "
                    "If you need the learning rate to be settable, you should instantiate the "
                    "optimizer with a float `learning_rate` argument.")
            if isinstance(learning_rate, Tensor):
                learning_rate = learning_rate.data
            if isinstance(self._learning_rate, Variable):
                self._learning_rate.assign(learning_rate)
            else:
                self._learning_rate = self._learning_rate_from(float(learning_rate))
        if previous is not None and not isinstance(self._learning_rate, Variable):
            self._variables.remove(previous)

    @property
    def lr(self):
        """Keras 2's name for ``learning_rate`` (``K.set_value(optimizer.lr, 0.01)`` code)."""
        return self.learning_rate

    @lr.setter
    def lr(self, learning_rate):
        self.learning_rate = learning_rate

    def _current_learning_rate(self, iterations):
        """The rate for one step: ``iterations`` is an int array (eager) or node (graph)."""
        if isinstance(self._learning_rate, schedules_module.LearningRateSchedule):
            return self._learning_rate(iterations)
        if isinstance(self._learning_rate, Variable):
            if isinstance(iterations, Node):
                return engine.variable_from_holder(self._learning_rate, "learning_rate")
            return self._learning_rate
        if callable(self._learning_rate):
            return self._learning_rate()
        return self._learning_rate

    # ---------------------------------------------------------- arithmetic
    def update_step_values(self, gradient, value, slots, learning_rate, iterations, shared):
        """One variable's step as a function of values (arrays or graph nodes).

        ``slots`` maps slot names to current values; ``iterations`` is the step
        count before this step; ``shared`` holds the optimizer-wide state after
        ``update_shared_values``.  Returns ``(new_value, {slot name: new value})``.
        """
        raise NotImplementedError(f"{type(self).__name__} must implement update_step_values")

    def update_shared_values(self, shared, iterations, dtype):
        """New values of the optimizer-wide state, computed once per step before the variables."""
        return shared

    def _clip_by_norm(self, values):
        return clip_by_norm(values, self.clipnorm)

    def _clip_gradients(self, grads):
        if self.clipnorm and self.clipnorm > 0:
            return [None if g is None else self._clip_by_norm(g) for g in grads]
        if self.global_clipnorm and self.global_clipnorm > 0:
            return clip_by_global_norm(grads, self.global_clipnorm)
        if self.clipvalue and self.clipvalue > 0:
            v = self.clipvalue
            return [None if g is None else ops.clip(g, -v, v) for g in grads]
        return grads

    def exclude_from_weight_decay(self, var_list=None, var_names=None):
        """Keep ``var_list`` and variables whose name contains one of ``var_names``
        out of weight decay (call before the optimizer is built)."""
        if self.built:
            raise ValueError("`exclude_from_weight_decay()` can only be configured before the "
                             "optimizer is built.")
        self._exclude_from_weight_decay = {id(v) for v in (var_list or [])}
        self._exclude_from_weight_decay_pattern = (
            re.compile("|".join(set(var_names))) if var_names else None)

    def _weight_decay_rate(self, variable):
        """The decoupled weight decay applied to ``variable`` before its step (None: none)."""
        if self.weight_decay is None or not self._use_weight_decay(variable):
            return None
        return self.weight_decay

    def _use_weight_decay(self, variable) -> bool:
        if id(variable) in getattr(self, "_exclude_from_weight_decay", set()):
            return False
        pattern = getattr(self, "_exclude_from_weight_decay_pattern", None)
        if pattern is not None and re.search(pattern, variable.name) is not None:
            return False
        return True

    def _step_values(self, variables, grads, values, slot_values, shared_values, iterations):
        """The whole step on values: returns new values, new slot dicts and new shared state.

        Keras' order: unscale, clip, decoupled weight decay (with the rate of this
        step), optimizer-wide state, each variable's update, then EMA.
        """
        if self.loss_scale_factor is not None:
            grads = [ops.divide(g, self.loss_scale_factor) for g in grads]
        grads = self._clip_gradients(grads)
        learning_rate = self._current_learning_rate(iterations)
        if isinstance(learning_rate, Tensor):
            learning_rate = learning_rate.data
        dtype = ops.core.dtype_of(values[0])
        decayed = []
        for variable, value in zip(variables, values):
            rate = self._weight_decay_rate(variable)
            if rate is not None:
                value_dtype = ops.core.dtype_of(value)
                lr = ops.cast(learning_rate, value_dtype)
                wd = ops.cast(rate, value_dtype)
                value = ops.subtract(value, ops.multiply(ops.multiply(value, wd), lr))
            decayed.append(value)
        values = decayed
        shared_values = self.update_shared_values(dict(shared_values), iterations, dtype)
        new_values, new_slots = [], []
        for grad, value, slots in zip(grads, values, slot_values):
            value_dtype = ops.core.dtype_of(value)
            if ops.core.dtype_of(grad) != value_dtype:
                grad = ops.cast(grad, value_dtype)
            own = {k: v for k, v in slots.items() if k != "average"}
            new_value, updated = self.update_step_values(grad, value, own, learning_rate,
                                                         iterations, shared_values)
            updated = dict(updated)
            if self.use_ema:
                average = slots["average"]
                not_first_step = ops.cast(ops.not_equal(iterations, 0), value_dtype)
                momentum = ops.multiply(not_first_step, self.ema_momentum)
                average = ops.add(ops.multiply(momentum, average),
                                  ops.multiply(ops.subtract(1, momentum), new_value))
                updated["average"] = average
                if self.ema_overwrite_frequency:
                    step = ops.cast(ops.add(iterations, 1), "float64")
                    frequency = float(self.ema_overwrite_frequency)
                    remainder = ops.subtract(step, ops.multiply(ops.floor(ops.divide(step, frequency)),
                                                                frequency))
                    new_value = ops.where(ops.equal(remainder, 0.0), average, new_value)
            new_values.append(new_value)
            new_slots.append(updated)
        return new_values, new_slots, shared_values

    # -------------------------------------------------------------- eager
    def apply_gradients(self, grads_and_vars):
        """Apply ``(gradient, variable)`` pairs at once; returns ``iterations``."""
        grads_and_vars = list(grads_and_vars)
        if not grads_and_vars:
            return self._iterations
        grads, variables = zip(*grads_and_vars)
        self.apply(list(grads), list(variables))
        return self._iterations

    def apply(self, grads, trainable_variables=None):
        """Update the variables at once from gradient values (arrays or Tensors).

        ``trainable_variables`` may be left out once the optimizer is built: the
        gradients then match the variables it was built with, one to one.
        """
        grads = list(grads)
        if not grads:
            return
        if any(isinstance(g, Node) for g in grads):
            raise TypeError("apply() takes gradient values; for symbolic gradients use get_updates()")
        trainable_variables = self._prepare(grads, trainable_variables)
        grads = [g.data if isinstance(g, Tensor) else (None if g is None else backend.as_array(g))
                 for g in grads]
        grads, trainable_variables = self._filter_empty_gradients(grads, trainable_variables)
        indices = [self._get_variable_index(v) for v in trainable_variables]
        values = [v.data for v in trainable_variables]
        slot_values = [{k: s.data for k, s in self._slots[i].items()} for i in indices]
        shared_values = {k: v.data for k, v in self._shared.items()}
        new_values, new_slots, new_shared = self._step_values(
            trainable_variables, grads, values, slot_values, shared_values, self._iterations.data)
        for variable, value, index, slots in zip(trainable_variables, new_values, indices, new_slots):
            variable.assign(value)
            for slot_name, slot_value in slots.items():
                self._slots[index][slot_name].assign(slot_value)
            if getattr(variable, "constraint", None) is not None:
                variable.assign(_unwrap(variable.constraint(variable.data)))
        for shared_name, shared_value in new_shared.items():
            self._shared[shared_name].assign(shared_value)
        self._iterations.assign(self._iterations.data + 1)

    def minimize(self, loss, var_list):
        """Compute the gradients of ``loss`` (a Tensor, or a callable returning one)
        for ``var_list`` with ``backward()``, and apply them."""
        var_list = list(var_list)
        saved = [v.grad for v in var_list]
        for v in var_list:
            v.grad = None
        try:
            value = loss() if callable(loss) else loss
            value.backward()
            grads = [v.grad for v in var_list]
        finally:
            for v, grad in zip(var_list, saved):
                v.grad = grad
        self.apply(grads, var_list)

    def _prepare(self, grads, trainable_variables):
        if trainable_variables is None:
            if not self.built:
                raise ValueError(
                    "When passing `grads` without `variables`, the optimizer must already be built "
                    "on a list of variables. Call `optimizer.build(trainable_variables)` first.")
            if len(grads) != len(self._trainable_variables):
                raise ValueError(
                    "When passing `grads` as a list of gradient tensors, the gradients must match "
                    f"`optimizer.variables` one-to-one. Received a list of {len(grads)} gradients, "
                    f"but the optimizer is tracking {len(self._trainable_variables)} trainable "
                    "variables.")
            return list(self._trainable_variables)
        trainable_variables = list(trainable_variables)
        if len(grads) != len(trainable_variables):
            raise ValueError(f"Got {len(grads)} gradients for {len(trainable_variables)} variables")
        if not self.built:
            self.build(trainable_variables)
        self._check_variables_are_known(trainable_variables)
        return trainable_variables

    @staticmethod
    def _filter_empty_gradients(grads, variables):
        kept = [(g, v) for g, v in zip(grads, variables) if g is not None]
        if not kept:
            raise ValueError("No gradients provided for any variable.")
        missing = [getattr(v, "path", getattr(v, "name", "?")) for g, v in zip(grads, variables)
                   if g is None]
        if missing:
            warnings.warn(f"Gradients do not exist for variables {missing} when minimizing the "
                          "loss. If using `model.compile()`, did you forget to provide a `loss` "
                          "argument?")
        return [g for g, _ in kept], [v for _, v in kept]

    # -------------------------------------------------------------- graph
    def get_updates(self, variables, grads):
        """The symbolic step: ``[(Variable, new_value_node), ...]`` for a compiled program
        (``program_updates.get_updates``: the pairs, their order, Keras 2's ``(loss, params)``)."""
        return program_updates.get_updates(self, variables, grads)


    # ---------------------------------------------------------- EMA, state
    def finalize_variable_values(self, var_list):
        """With ``use_ema``, set the variables to their moving averages (end of training)."""
        if self.use_ema:
            for variable in var_list:
                variable.assign(self._slots[self._get_variable_index(variable)]["average"].data)

    def scale_loss(self, loss):
        """``loss * loss_scale_factor`` when one is set (gradients are unscaled in apply)."""
        if self.loss_scale_factor is not None:
            return ops.multiply(loss, self.loss_scale_factor)
        return loss

    def get_weights(self) -> list:
        return [v.data.copy() for v in self.variables]

    def set_weights(self, weights):
        if not self.built:
            raise ValueError(
                "You are calling `set_weights()` on an optimizer that has not yet been built. "
                "Please call `optimizer.build(trainable_variables)` to create the optimizer "
                "weights before calling `set_weights()`.")
        weights = list(weights)
        if len(weights) != len(self.variables):
            raise ValueError(f"Optimizer '{self.name}' has {len(self.variables)} variables, "
                             f"got {len(weights)} weights")
        for variable, weight in zip(self.variables, weights):
            weight = backend.as_array(weight)
            if tuple(variable.shape) != tuple(weight.shape):
                raise ValueError(f"Optimizer variable {variable.path} has shape {variable.shape} "
                                 f"not compatible with provided weight shape {weight.shape}.")
            variable.assign(weight)

    def save_own_variables(self, store):
        """Keras 3's weight-file layout: ``store["0"], store["1"], ...`` in ``variables`` order."""
        for i, variable in enumerate(self.variables):
            store[str(i)] = variable.numpy()

    def load_own_variables(self, store):
        if len(store.keys()) != len(self.variables):
            message = (f"Skipping variable loading for optimizer '{self.name}', because it has "
                       f"{len(self.variables)} variables whereas the saved optimizer has "
                       f"{len(store.keys())} variables. ")
            if not self.built:
                message += "This is likely because the optimizer has not been called/built yet."
            warnings.warn(message, stacklevel=2)
            return
        for i, variable in enumerate(self.variables):
            variable.assign(backend.as_array(store[str(i)], dtype=variable.dtype))

    # --------------------------------------------------------------- config
    def get_config(self) -> dict:
        if isinstance(self._learning_rate, schedules_module.LearningRateSchedule):
            learning_rate = schedules_module.serialize(self._learning_rate)
        elif isinstance(self._learning_rate, Variable):
            learning_rate = float(self._learning_rate.data)
        elif callable(self._learning_rate):
            learning_rate = self._learning_rate
        else:
            learning_rate = 0.5
        return {
            "name": self.name, "learning_rate": learning_rate, "weight_decay": self.weight_decay,
            "clipnorm": self.clipnorm, "global_clipnorm": self.global_clipnorm,
            "clipvalue": self.clipvalue, "use_ema": self.use_ema, "ema_momentum": self.ema_momentum,
            "ema_overwrite_frequency": self.ema_overwrite_frequency,
            "loss_scale_factor": self.loss_scale_factor,
            "gradient_accumulation_steps": self.gradient_accumulation_steps,
            **{name: getattr(self, name) for name in self._config_attributes},
        }

    @classmethod
    def from_config(cls, config: dict, custom_objects=None):
        config = dict(config)
        # tf.keras 2 configs carry these; Keras 3 ignores the legacy flag
        config.pop("is_legacy_optimizer", None)
        if "lr" in config and "learning_rate" not in config:
            config["learning_rate"] = config.pop("lr")
        if isinstance(config.get("learning_rate"), dict):
            config["learning_rate"] = schedules_module.deserialize(config["learning_rate"],
                                                                   custom_objects=custom_objects)
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"
