"""Recurrent layers: SimpleRNN, LSTM, GRU, their cells, and RNN over any cell.

Keras' names, arguments, defaults, weights and numbers (Keras 3's
"implementation 2": one matmul per step for all gates).  A layer holds its
cell in ``self.cell``, so its weights are ``lstm/lstm_cell/kernel`` and so on,
as in Keras' weight files.

How a sequence is run: the input projection ``x @ kernel`` for all steps is
one matmul; the time loop is the ``recurrence`` primitive
(``primitives/recurrent.py``), which runs the step for the built-in cells
and back-propagates through time in one pass.  A cell with an activation that
primitive does not know, with ``recurrent_dropout``, or a cell of your own
(any layer with ``state_size`` and ``call(inputs, states)``) runs step by step
through its ``call`` instead: the same numbers, more graph nodes.
"""
from __future__ import annotations

import numpy

from .. import activations, constraints, initializers, ops, regularizers
from ..ops.core import apply
from ..primitives.base import ShapeError, format_shape
from ..primitives.recurrent import ACTIVATIONS
from .core import seed_generator
from .layer import InputSpec, Layer
from .serialization import deserialize_layer, serialize_layer

__all__ = ["RNN", "SimpleRNN", "SimpleRNNCell", "LSTM", "LSTMCell", "GRU", "GRUCell"]


def _rows(x, start, stop):
    """``x[..., start:stop]`` along the last axis."""
    return ops.getitem(x, (Ellipsis, slice(start, stop)))


def _activation_name(function):
    name = activations.serialize(function) if function is not None else "linear"
    return name if isinstance(name, str) and name in ACTIVATIONS else None


class _Cell(Layer):
    """What the three built-in cells share: weights, dropout, config."""

    gates = 1

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, kernel_constraint=None, recurrent_constraint=None,
                 bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        if int(units) <= 0:
            raise ValueError(f"{type(self).__name__} units must be a positive integer, got {units}")
        self.units = int(units)
        self.activation = activations.get(activation)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.recurrent_constraint = constraints.get(recurrent_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.dropout = min(1.0, max(0.0, float(dropout)))
        self.recurrent_dropout = min(1.0, max(0.0, float(recurrent_dropout)))
        self.seed = seed
        self._generator = seed_generator(seed)
        self._sequence_masks = None      # (input mask, recurrent mask) while an RNN runs a sequence

    @property
    def state_size(self):
        return self.units

    @property
    def output_size(self):
        return self.units

    def build(self, input_shape):
        input_dim = input_shape[-1]
        if input_dim is None:
            raise ShapeError(f"{type(self).__name__} '{self.name}' needs a known last axis, "
                             f"got {format_shape(input_shape)}")
        width = self.gates * self.units
        self.kernel = self.add_weight(name="kernel", shape=(input_dim, width), initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer, constraint=self.kernel_constraint)
        self.recurrent_kernel = self.add_weight(
            name="recurrent_kernel", shape=(self.units, width), initializer=self.recurrent_initializer,
            regularizer=self.recurrent_regularizer, constraint=self.recurrent_constraint)
        if self.use_bias:
            self.bias = self.add_weight(name="bias", shape=self._bias_shape(), initializer=self._bias_init(),
                                        regularizer=self.bias_regularizer, constraint=self.bias_constraint)
        else:
            self.bias = None
        self.built = True

    def _bias_shape(self):
        return (self.gates * self.units,)

    def _bias_init(self):
        return self.bias_initializer

    # ------------------------------------------------------------ dropout
    def _masks(self, inputs, state, training):
        """The (input, recurrent) dropout masks of this call: the running
        sequence's, or drawn now for a single step."""
        if self._sequence_masks is not None:
            return self._sequence_masks
        return (self._draw(inputs, self.dropout) if training else None,
                self._draw(state, self.recurrent_dropout) if training else None)

    def _draw(self, like, rate):
        if not 0.0 < rate < 1.0:
            return None
        return ops.dropout(ops.ones_like(like), rate, seed=self._generator)

    # ------------------------------------------------- the fused recurrence
    def _fused_attrs(self):
        """attrs of the ``recurrence`` primitive for this cell, or None when the
        step must run through ``call`` (an activation it lacks, recurrent dropout)."""
        activation = _activation_name(self.activation)
        recurrent = _activation_name(self.recurrent_activation) if self.gates > 1 else "sigmoid"
        if activation is None or recurrent is None or self.recurrent_dropout > 0.0:
            return None
        return dict(cell=self._kind, units=self.units, activation=activation, recurrent_activation=recurrent,
                    reset_after=getattr(self, "reset_after", True))

    def get_config(self):
        config = super().get_config()
        config.update({
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "recurrent_initializer": initializers.serialize(self.recurrent_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "recurrent_regularizer": regularizers.serialize(self.recurrent_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "recurrent_constraint": constraints.serialize(self.recurrent_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
            "seed": self.seed,
        })
        if self.gates > 1:
            config["recurrent_activation"] = activations.serialize(self.recurrent_activation)
        return config


class SimpleRNNCell(_Cell):
    """``h = activation(x @ kernel + bias + h_prev @ recurrent_kernel)``."""

    _kind = "simple"

    def __init__(self, units, activation="tanh", **kwargs):
        kwargs.pop("recurrent_activation", None)
        super().__init__(units, activation=activation, **kwargs)

    def call(self, inputs, states, training=None):
        previous = states[0] if isinstance(states, (list, tuple)) else states
        input_mask, recurrent_mask = self._masks(inputs, previous, training)
        if input_mask is not None:
            inputs = inputs * input_mask
        h = ops.matmul(inputs, self.kernel)
        if self.bias is not None:
            h = ops.add(h, self.bias)
        if recurrent_mask is not None:
            previous = previous * recurrent_mask
        output = h + ops.matmul(previous, self.recurrent_kernel)
        if self.activation is not None:
            output = self.activation(output)
        return output, [output] if isinstance(states, (list, tuple)) else output


class LSTMCell(_Cell):
    """Gates i, f, c, o (in that order in the kernel's columns); state ``[h, c]``."""

    gates = 4
    _kind = "lstm"

    def __init__(self, units, unit_forget_bias=True, implementation=2, **kwargs):
        super().__init__(units, **kwargs)
        self.unit_forget_bias = unit_forget_bias
        self.implementation = implementation

    @property
    def state_size(self):
        return [self.units, self.units]

    def _bias_init(self):
        if not self.unit_forget_bias:
            return self.bias_initializer
        base, units = self.bias_initializer, self.units

        def initializer(shape, dtype=None):
            parts = [base((units,), dtype=dtype), numpy.ones((units,), dtype=dtype or "float32"),
                     base((2 * units,), dtype=dtype)]
            return numpy.concatenate([numpy.asarray(part) for part in parts])
        return initializer

    def call(self, inputs, states, training=None):
        h_prev, c_prev = states[0], states[1]
        input_mask, recurrent_mask = self._masks(inputs, h_prev, training)
        if input_mask is not None:
            inputs = inputs * input_mask
        z = ops.matmul(inputs, self.kernel)
        if recurrent_mask is not None:
            h_prev = h_prev * recurrent_mask
        z = ops.add(z, ops.matmul(h_prev, self.recurrent_kernel))
        if self.bias is not None:
            z = ops.add(z, self.bias)
        u = self.units
        i = self.recurrent_activation(_rows(z, 0, u))
        f = self.recurrent_activation(_rows(z, u, 2 * u))
        c = f * c_prev + i * self.activation(_rows(z, 2 * u, 3 * u))
        o = self.recurrent_activation(_rows(z, 3 * u, 4 * u))
        h = o * self.activation(c)
        return h, [h, c]

    def get_config(self):
        config = super().get_config()
        config["unit_forget_bias"] = self.unit_forget_bias
        return config


class GRUCell(_Cell):
    """Gates z, r, h; ``reset_after=True`` (Keras 3's default) has two bias rows."""

    gates = 3
    _kind = "gru"

    def __init__(self, units, reset_after=True, implementation=2, **kwargs):
        super().__init__(units, **kwargs)
        self.reset_after = bool(reset_after)
        self.implementation = implementation

    def _bias_shape(self):
        return (2, 3 * self.units) if self.reset_after else (3 * self.units,)

    def _biases(self):
        """(input bias, recurrent bias): the rows of a reset_after bias."""
        if self.bias is None:
            return None, None
        if not self.reset_after:
            return self.bias, None
        return ops.getitem(self.bias, 0), ops.getitem(self.bias, 1)

    def call(self, inputs, states, training=None):
        h_prev = states[0] if isinstance(states, (list, tuple)) else states
        input_mask, recurrent_mask = self._masks(inputs, h_prev, training)
        if input_mask is not None:
            inputs = inputs * input_mask
        input_bias, recurrent_bias = self._biases()
        u = self.units
        matrix_x = ops.matmul(inputs, self.kernel)
        if input_bias is not None:
            matrix_x = ops.add(matrix_x, input_bias)
        dropped = h_prev * recurrent_mask if recurrent_mask is not None else h_prev
        if self.reset_after:
            inner = ops.matmul(dropped, self.recurrent_kernel)
            if recurrent_bias is not None:
                inner = inner + recurrent_bias
        else:
            inner = ops.matmul(dropped, _rows(self.recurrent_kernel, 0, 2 * u))
        z = self.recurrent_activation(_rows(matrix_x, 0, u) + _rows(inner, 0, u))
        r = self.recurrent_activation(_rows(matrix_x, u, 2 * u) + _rows(inner, u, 2 * u))
        if self.reset_after:
            recurrent_h = r * _rows(inner, 2 * u, 3 * u)
        else:
            recurrent_h = ops.matmul(r * h_prev, _rows(self.recurrent_kernel, 2 * u, 3 * u))
        candidate = self.activation(_rows(matrix_x, 2 * u, 3 * u) + recurrent_h)
        h = z * h_prev + (1 - z) * candidate
        return h, [h] if isinstance(states, (list, tuple)) else h

    def get_config(self):
        config = super().get_config()
        config["reset_after"] = self.reset_after
        return config


def state_sizes(cell):
    """A cell's state sizes as a list (one entry per state)."""
    size = cell.state_size
    return list(size) if isinstance(size, (list, tuple)) else [size]


def prefix_weight_paths(owner, layers):
    """Weights of ``layers`` (built inside ``owner``) get ``owner.name/`` in front of their
    paths, as Keras names them: ``lstm/lstm_cell/kernel``, ``bidirectional/forward_lstm/...``."""
    for layer in layers:
        for variable in layer.weights:
            if not variable.path.startswith(owner.name + "/"):
                variable.path = f"{owner.name}/{variable.path}"


class InitialStateInputs:
    """For layers called as ``layer(x, initial_state=[...])`` (RNN, Bidirectional).

    Like tf.keras, the initial states join the inputs (``[x, *states]``): they
    are the call's inbound tensors, so models connect them and configs record
    them; the input spec applies to ``x``.
    """

    def __call__(self, inputs, initial_state=None, **kwargs):
        if initial_state is not None:
            states = list(initial_state) if isinstance(initial_state, (list, tuple)) else [initial_state]
            inputs = [inputs] + states
        return super().__call__(inputs, **kwargs)

    def _check_input_spec(self, shapes):
        super()._check_input_spec(shapes[0] if isinstance(shapes, list) else shapes)


class RNN(InitialStateInputs, Layer):
    """Runs ``cell`` over the time axis of (batch, time, features) inputs.

    ``return_sequences`` gives every step's output, else the last;
    ``return_state`` adds the final states; ``go_backwards`` reads the
    sequence from its end (and returns outputs in that order, like Keras); a
    mask (from ``Embedding(mask_zero=True)`` or ``Masking``) keeps the previous
    state and output at masked steps.  ``unroll`` is accepted and changes
    nothing (the time loop is always unrolled or fused); ``stateful`` is not
    supported.
    """

    def __init__(self, cell, return_sequences=False, return_state=False, go_backwards=False, stateful=False,
                 unroll=False, zero_output_for_mask=False, time_major=False, **kwargs):
        if stateful:
            raise NotImplementedError("stateful recurrent layers are not supported by kerasette; pass the final "
                                      "states back with return_state=True and initial_state=...")
        if time_major:
            raise NotImplementedError("time_major=True is not supported: inputs are (batch, time, features)")
        if isinstance(cell, (list, tuple)):
            raise NotImplementedError("a list of cells (StackedRNNCells) is not supported yet; stack layers")
        if not hasattr(cell, "state_size") or not hasattr(cell, "call"):
            raise ValueError(f"RNN needs a cell with a state_size and call(inputs, states), got {cell!r}")
        super().__init__(**kwargs)
        self.cell = cell
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.stateful = False
        self.unroll = bool(unroll)
        self.zero_output_for_mask = bool(zero_output_for_mask)
        self.supports_masking = True
        self.input_spec = InputSpec(ndim=3)

    def build(self, input_shape):
        if isinstance(input_shape, list):
            input_shape = input_shape[0]
        if not self.cell.built:
            self.cell.build((input_shape[0], input_shape[-1]))
            self.cell.built = True
        prefix_weight_paths(self, [self.cell])
        self.built = True

    def _initial_states(self, inputs, initial_state):
        sizes = state_sizes(self.cell)
        if initial_state is None:
            first = ops.getitem(inputs, (slice(None), 0, slice(0, 1)))
            zero = ops.zeros_like(first)
            return [ops.tile(zero, (1, size)) if size != 1 else zero for size in sizes]
        states = list(initial_state) if isinstance(initial_state, (list, tuple)) else [initial_state]
        if len(states) != len(sizes):
            raise ValueError(f"RNN layer '{self.name}' expects {len(sizes)} initial state(s), got {len(states)}")
        for state, size in zip(states, sizes):
            shape = tuple(state.shape)
            if len(shape) != 2 or shape[1] not in (None, size):
                raise ValueError(f"RNN layer '{self.name}': an initial state must be (batch, {size}), "
                                 f"got {format_shape(shape)}")
        return states

    def call(self, inputs, mask=None, training=None):
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        initial_state = None
        if isinstance(inputs, (list, tuple)):
            inputs, initial_state = inputs[0], (list(inputs[1:]) or None)
        states = self._initial_states(inputs, initial_state)
        if mask is not None:
            mask = ops.cast(mask, "bool")
        if self.go_backwards:
            inputs = ops.getitem(inputs, (slice(None), slice(None, None, -1)))
            if mask is not None:
                mask = ops.getitem(mask, (slice(None), slice(None, None, -1)))
        cell = self.cell
        input_mask = None
        if training and 0.0 < getattr(cell, "dropout", 0.0) < 1.0:
            # one mask per sequence (Keras draws it once and keeps it for every step)
            input_mask = ops.dropout(ops.ones_like(ops.getitem(inputs, (slice(None), 0))), cell.dropout,
                                     seed=cell._generator)
        fused = cell._fused_attrs() if isinstance(cell, _Cell) else None
        if fused is not None:
            outputs, states = self._run_fused(inputs, states, mask, input_mask, fused)
        else:
            outputs, states = self._run_steps(inputs, states, mask, input_mask, training)
        if self.return_state:
            return [outputs] + list(states)
        return outputs

    def _run_fused(self, inputs, states, mask, input_mask, attrs):
        cell = self.cell
        if input_mask is not None:
            inputs = inputs * ops.expand_dims(input_mask, 1)
        xw = ops.matmul(inputs, cell.kernel)
        inner_bias = None
        if attrs["cell"] == "lstm":
            inner_bias = cell.bias
        elif attrs["cell"] == "gru":
            input_bias, inner_bias = cell._biases()
            if input_bias is not None:
                xw = ops.add(xw, input_bias)
        elif cell.bias is not None:
            xw = ops.add(xw, cell.bias)
        state0 = states[0] if len(states) == 1 else ops.concatenate(states, axis=-1)
        extra = ([inner_bias] if inner_bias is not None else []) + ([mask] if mask is not None else [])
        sequence = apply("recurrence", xw, cell.recurrent_kernel, state0, *extra,
                         has_bias=inner_bias is not None, has_mask=mask is not None, **attrs)
        units = cell.units
        outputs = _rows(sequence, 0, units)
        last = ops.getitem(sequence, (slice(None), -1))
        zeroed = self.zero_output_for_mask and mask is not None
        if zeroed:
            # masked steps output zeros (their states still carry over)
            outputs = ops.where(ops.expand_dims(mask, -1), outputs, ops.zeros_like(outputs))
        # the packed output: the states, then what the backward pass reuses
        if attrs["cell"] == "lstm":
            final = [_rows(last, 0, units), _rows(last, units, 2 * units)]
        else:
            final = [_rows(last, 0, units)]
        if not self.return_sequences:
            outputs = ops.getitem(outputs, (slice(None), -1)) if zeroed else final[0]
        return outputs, final

    def _run_steps(self, inputs, states, mask, input_mask, training):
        cell = self.cell
        time = tuple(inputs.shape)[1]
        if time is None:
            raise ShapeError(f"RNN layer '{self.name}' runs the cell {type(cell).__name__} step by step and needs "
                             "a known number of timesteps, got None")
        recurrent_mask = None
        if training and 0.0 < getattr(cell, "recurrent_dropout", 0.0) < 1.0:
            recurrent_mask = ops.dropout(ops.ones_like(states[0]), cell.recurrent_dropout, seed=cell._generator)
        outputs = []
        previous_output = None
        if isinstance(cell, _Cell):
            cell._sequence_masks = (input_mask, recurrent_mask)
        try:
            for t in range(time):
                x = ops.getitem(inputs, (slice(None), t))
                output, new_states = cell.call(x, list(states) if len(states) > 1 or isinstance(
                    cell.state_size, (list, tuple)) else states[0], training=training)
                new_states = list(new_states) if isinstance(new_states, (list, tuple)) else [new_states]
                if mask is not None:
                    keep = ops.expand_dims(ops.getitem(mask, (slice(None), t)), -1)
                    if self.zero_output_for_mask:
                        held = ops.zeros_like(output)
                    else:
                        held = states[0] if previous_output is None else previous_output
                    output = ops.where(keep, output, held)
                    new_states = [ops.where(keep, new, old) for new, old in zip(new_states, states)]
                outputs.append(output)
                previous_output = output
                states = new_states
        finally:
            if isinstance(cell, _Cell):
                cell._sequence_masks = None
        result = ops.stack(outputs, axis=1) if self.return_sequences else outputs[-1]
        return result, states

    def compute_output_shape(self, input_shape):
        if isinstance(input_shape, list):
            input_shape = input_shape[0]
        units = state_sizes(self.cell)[0]
        output = tuple(input_shape[:2]) + (units,) if self.return_sequences else (input_shape[0], units)
        if self.return_state:
            return [output] + [(input_shape[0], size) for size in state_sizes(self.cell)]
        return output

    def compute_mask(self, inputs, mask=None):
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        output_mask = mask if self.return_sequences else None
        if self.return_state:
            return [output_mask] + [None] * len(state_sizes(self.cell))
        return output_mask

    def get_config(self):
        config = super().get_config()
        config.update({
            "return_sequences": self.return_sequences,
            "return_state": self.return_state,
            "go_backwards": self.go_backwards,
            "stateful": self.stateful,
            "unroll": self.unroll,
            "zero_output_for_mask": self.zero_output_for_mask,
        })
        if type(self) is RNN:
            config["cell"] = serialize_layer(self.cell)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        if cls is RNN:
            config["cell"] = deserialize_layer(config["cell"], custom_objects=custom_objects)
        return cls(**config)


_RNN_ARGUMENTS = ("return_sequences", "return_state", "go_backwards", "stateful", "unroll", "zero_output_for_mask",
                  "time_major")
_LAYER_ARGUMENTS = ("name", "trainable", "dtype", "input_shape", "batch_input_shape", "batch_size",
                    "activity_regularizer", "input_dim", "input_length")


class _RecurrentLayer(RNN):
    """SimpleRNN / LSTM / GRU: an RNN that makes its own cell from the same arguments."""

    cell_class = None
    cell_name = None

    def __init__(self, units, **kwargs):
        layer_kwargs = {key: kwargs.pop(key) for key in _RNN_ARGUMENTS + _LAYER_ARGUMENTS if key in kwargs}
        if "input_dim" in layer_kwargs:
            # Keras 2: input_dim (and input_length) give a first layer its input shape
            input_dim = layer_kwargs.pop("input_dim")
            layer_kwargs.setdefault("input_shape", (layer_kwargs.pop("input_length", None), input_dim))
        layer_kwargs.pop("input_length", None)
        kwargs.pop("use_cudnn", None)
        cell = self.cell_class(units, name=self.cell_name, dtype=layer_kwargs.get("dtype"),
                               trainable=layer_kwargs.get("trainable", True), **kwargs)
        super().__init__(cell, **layer_kwargs)

    def __getattr__(self, name):
        # units, activation, dropout, ...: the cell's, like Keras' properties
        if name.startswith("_") or name == "cell":
            raise AttributeError(name)
        cell = self.__dict__.get("cell")
        if cell is not None and hasattr(cell, name):
            return getattr(cell, name)
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def get_config(self):
        config = self.cell.get_config()
        for key in ("name", "trainable", "dtype"):
            config.pop(key, None)
        config.update(super().get_config())
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        return cls(**dict(config))


class SimpleRNN(_RecurrentLayer):
    """Fully connected RNN whose output is fed back: ``SimpleRNN(units)``."""

    cell_class = SimpleRNNCell
    cell_name = "simple_rnn_cell"

    def __init__(self, units, activation="tanh", **kwargs):
        super().__init__(units, activation=activation, **kwargs)


class LSTM(_RecurrentLayer):
    """Long short-term memory: ``LSTM(units)``; states ``[h, c]``."""

    cell_class = LSTMCell
    cell_name = "lstm_cell"


class GRU(_RecurrentLayer):
    """Gated recurrent unit: ``GRU(units, reset_after=True)``."""

    cell_class = GRUCell
    cell_name = "gru_cell"
