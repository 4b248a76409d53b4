"""Recurrent layers: SimpleRNN, LSTM, GRU, and RNN over any cell (the cells: rnn_cells.py).

Keras' names, arguments, defaults, weights and numbers.  A layer holds its
cell in ``self.cell``, so its weights are ``lstm/lstm_cell/kernel`` and so on,
as in Keras' weight files.

How a sequence is run: the input projection ``x @ kernel`` for all steps is
one matmul; the time loop is the ``recurrence`` primitive
(``primitives/recurrent.py``), which runs the step for the built-in cells
and back-propagates through time in one pass.  A cell with an activation that
primitive does not know, with ``recurrent_dropout``, or a cell of your own
(any layer with ``state_size`` and ``call(inputs, states)``) runs step by step
through its ``call`` instead: the same numbers, more graph nodes.

``stateful=True`` (with a fixed batch size) keeps the final states in
``layer.states``, non-trainable variables that are not weights, as in Keras,
and starts the next call from them: at once for eager calls, and through
assign nodes run with the compiled programs of fit, evaluate and predict;
``reset_state()`` sets them to zeros.
"""
from __future__ import annotations

import numpy

from .. import engine, ops
from ..eager import Tensor
from ..engine import Node
from ..ops.core import apply
from ..primitives.base import ShapeError, format_shape
from ..variables import Variable
from .layer import InputSpec, Layer
from .rnn_cells import GRUCell, LSTMCell, SimpleRNNCell, StackedRNNCells, _Cell, _rows, state_sizes
from .serialization import deserialize_layer, serialize_layer
from .structure import map_structure

__all__ = ["RNN", "SimpleRNN", "SimpleRNNCell", "LSTM", "LSTMCell", "GRU", "GRUCell", "StackedRNNCells"]


def prefix_legacy_paths(owner, layers):
    """The weights of ``layers`` (held by ``owner``) get ``owner.name/`` in front of the names
    legacy HDF5 files give them, as tf.keras names them: ``lstm/lstm_cell/kernel:0``,
    ``bidirectional/forward_lstm/lstm_cell/kernel:0`` (their ``path`` is Keras 3's already)."""
    for layer in layers:
        for variable in layer.weights:
            current = variable.legacy_path or variable.path
            if not current.startswith(owner.name + "/"):
                variable.legacy_path = f"{owner.name}/{current}"


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

    def _check_input_spec(self, inputs):
        super()._check_input_spec(inputs[0] if isinstance(inputs, list) else inputs)


class RNN(InitialStateInputs, Layer):
    """Runs ``cell`` over the time axis of (batch, time, features) inputs.

    ``return_sequences`` gives every step's output, else the last;
    ``return_state`` adds the final states; ``go_backwards`` reads the
    sequence from its end (and returns outputs in that order, like Keras); a
    mask (from ``Embedding(mask_zero=True)`` or ``Masking``) keeps the previous
    state and output at masked steps.  ``unroll`` is accepted and changes
    nothing (the time loop is always unrolled or fused).  ``stateful`` carries
    the final states of one call (one batch) into the next: the batch size
    must be fixed (``Input(batch_shape=...)`` or ``batch_size=``).
    """

    #: a stateful RNN's carried states are variables but not weights (Keras 3 tracks none of them)
    _untracked_attributes = frozenset({"states"})

    def __init__(self, cell, return_sequences=False, return_state=False, go_backwards=False, stateful=False,
                 unroll=False, zero_output_for_mask=False, time_major=False, **kwargs):
        if time_major:
            raise NotImplementedError("time_major=True is not supported: inputs are (batch, time, features)")
        if isinstance(cell, (list, tuple)):
            cell = StackedRNNCells(cell)
        if not hasattr(cell, "state_size") or not hasattr(cell, "call"):
            raise ValueError(f"RNN needs a cell with a state_size and call(inputs, states), got {cell!r}")
        super().__init__(**kwargs)
        self.cell = cell
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.stateful = bool(stateful)
        self.states = None               # stateful: the carried state variables, made in build
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
        prefix_legacy_paths(self, [self.cell])
        if self.stateful:
            if self.states is not None:
                self.reset_state()
            else:
                self._create_states(input_shape[0])
        self.built = True

    # ------------------------------------------------------------ stateful
    def _create_states(self, batch_size):
        if batch_size is None:
            raise ValueError(f"When using `stateful=True` in a RNN (layer '{self.name}'), the batch size must be "
                             "static: give the model's Input a batch size (Input(batch_shape=(batch, time, "
                             "features)) or Input(shape, batch_size=batch)), or batch_input_shape= to the first "
                             "layer of a Sequential")
        dtype = getattr(self.cell, "dtype", None) or self.dtype
        # not weights (Keras does not track them either): neither trained, saved nor in get_weights()
        # in the layer's name scope, as Keras makes them in build: ``sequential/lstm/rnn_state``
        with self._open_name_scope():
            self.states = [Variable(numpy.zeros((int(batch_size), size), dtype=dtype), name="rnn_state",
                                    trainable=False) for size in state_sizes(self.cell)]

    def reset_state(self, states=None):
        """Set the carried states to zeros (or to ``states``, arrays in ``layer.states`` order)."""
        if not self.stateful:
            raise AttributeError(f"Layer '{self.name}' must be stateful (stateful=True) to reset its states")
        if self.states is None:
            return
        if states is None:
            for variable in self.states:
                variable.assign(numpy.zeros(variable.shape, variable.dtype))
            return
        values = list(states) if isinstance(states, (list, tuple)) else [states]
        if len(values) != len(self.states):
            raise ValueError(f"Layer '{self.name}' expects {len(self.states)} states, got {len(values)}")
        for variable, value in zip(self.states, values):
            variable.assign(value)

    def reset_states(self, states=None):
        """``reset_state``'s other name (Keras 2's, and Keras 3's alias)."""
        self.reset_state(states)

    def _check_stateful_batch(self, inputs):
        expected = self.states[0].shape[0]
        actual = tuple(inputs.shape)[0]
        if actual is not None and actual != expected:
            raise ValueError(f"If an RNN is stateful, the batch size of the input sequences must be the same as "
                             f"the batch size of the initial state (layer '{self.name}'). \n"
                             f"- Expected batch size: {expected}\n- Received batch size: {actual}")

    def _keep_states(self, final, returned):
        """Stateful: the final states start the next call.  Eager, they are assigned now;
        in a graph, by assign nodes that every returned tensor waits for, so
        that any program fetching the layer's outputs (fit, evaluate, predict)
        writes them when it runs; the train step also lists them with
        BatchNormalization's updates (``_pending_updates``)."""
        if not any(isinstance(state, Node) for state in final):
            for variable, state in zip(self.states, final):
                variable.assign((state.data if isinstance(state, Tensor) else state).copy())
            return returned
        assigns = []
        pending = self.__dict__.setdefault("_pending_updates", [])
        for variable, state in zip(self.states, final):
            assigns.append(engine.variable_from_holder(variable, variable.name).assign(state))
            pending.append((variable, state))
        return map_structure(lambda x: apply("with_updates", x, *assigns), returned)

    def _initial_states(self, inputs, initial_state):
        sizes = state_sizes(self.cell)
        if initial_state is None:
            first = ops.getitem(inputs, (slice(None), 0, slice(0, 1)))
            zero = ops.zeros_like(first)
            return [ops.tile(zero, (1, size)) if size != 1 else zero for size in sizes]
        states = list(initial_state) if isinstance(initial_state, (list, tuple)) else [initial_state]
        if isinstance(self.cell, StackedRNNCells):
            # Keras 3 nests a stack's initial states per cell
            states = StackedRNNCells.flatten_states(states)
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
        if self.stateful:
            self._check_stateful_batch(inputs)
            if initial_state is None:
                # eager: today's values, as tensors of their own (the tape may read them
                # in backward() after this call has assigned the new states)
                initial_state = list(self.states) if isinstance(inputs, Node) else [
                    Tensor(variable.data) for variable in self.states]
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
        elif self._stack_fuses(cell):
            outputs, states = self._run_stack_fused(inputs, states, mask, training)
        else:
            outputs, states = self._run_steps(inputs, states, mask, input_mask, training)
        returned = [outputs] + self._state_structure(states) if self.return_state else outputs
        if self.stateful:
            returned = self._keep_states(states, returned)
        return returned

    @staticmethod
    def _stack_fuses(cell):
        return isinstance(cell, StackedRNNCells) and all(
            isinstance(inner, _Cell) and inner._fused_attrs() is not None for inner in cell.cells)

    def _run_stack_fused(self, inputs, states, mask, training):
        """A stack of built-in cells, one fused sequence per cell: each cell's output sequence is the
        next cell's input.  The same numbers as stepping the stack: at a masked step every cell keeps
        its states, so what a lower cell outputs there never reaches a state above it."""
        cells = self.cell.cells
        finals, start = [], 0
        for index, cell in enumerate(cells):
            count = len(state_sizes(cell))
            last = index == len(cells) - 1
            input_mask = None
            if training and 0.0 < cell.dropout < 1.0:
                input_mask = ops.dropout(ops.ones_like(ops.getitem(inputs, (slice(None), 0))), cell.dropout,
                                         seed=cell._generator)
            inputs, final = self._run_fused(inputs, states[start:start + count], mask, input_mask,
                                            cell._fused_attrs(), cell=cell,
                                            sequences=self.return_sequences if last else True,
                                            zero_masked=self.zero_output_for_mask and last)
            finals.extend(final)
            start += count
        return inputs, finals

    def _run_fused(self, inputs, states, mask, input_mask, attrs, cell=None, sequences=None, zero_masked=None):
        cell = self.cell if cell is None else cell
        sequences = self.return_sequences if sequences is None else sequences
        zero_masked = self.zero_output_for_mask if zero_masked is None else zero_masked
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
        zeroed = zero_masked and mask is not None
        if zeroed:
            # masked steps output zeros (their states still carry over)
            outputs = ops.where(ops.expand_dims(mask, -1), outputs, ops.zeros_like(outputs))
        # the packed output: the states, then what the backward pass reuses
        if attrs["cell"] == "lstm":
            final = [_rows(last, 0, units), _rows(last, units, 2 * units)]
        else:
            final = [_rows(last, 0, units)]
        if not sequences:
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
        # the state the output equals (a stack's: its last cell's first state)
        first_output = len(states) - len(state_sizes(cell.cells[-1])) if isinstance(cell, StackedRNNCells) else 0
        if isinstance(cell, _Cell):
            cell._sequence_masks = (input_mask, recurrent_mask)
        elif isinstance(cell, StackedRNNCells) and training:
            self._stack_sequence_masks(cell, inputs, states)
        try:
            for t in range(time):
                x = ops.getitem(inputs, (slice(None), t))
                if isinstance(cell, StackedRNNCells):
                    output, new_states = cell.call(x, cell.nest_states(states), training=training)
                    new_states = cell.flatten_states(new_states)
                else:
                    output, new_states = cell.call(x, list(states) if len(states) > 1 or isinstance(
                        cell.state_size, (list, tuple)) else states[0], training=training)
                    new_states = list(new_states) if isinstance(new_states, (list, tuple)) else [new_states]
                if mask is not None:
                    keep = ops.expand_dims(ops.getitem(mask, (slice(None), t)), -1)
                    if self.zero_output_for_mask:
                        held = ops.zeros_like(output)
                    else:
                        held = states[first_output] if previous_output is None else previous_output
                    output = ops.where(keep, output, held)
                    new_states = [ops.where(keep, new, old) for new, old in zip(new_states, states)]
                outputs.append(output)
                previous_output = output
                states = new_states
        finally:
            for inner in cell.cells if isinstance(cell, StackedRNNCells) else [cell]:
                if isinstance(inner, _Cell):
                    inner._sequence_masks = None
        result = ops.stack(outputs, axis=1) if self.return_sequences else outputs[-1]
        return result, states

    @staticmethod
    def _stack_sequence_masks(cell, inputs, states):
        """Training a stack step by step: each built-in cell's dropout masks drawn once for the
        sequence (as Keras does), shaped like that cell's input (the cell below's output) and state."""
        like_input, start = ops.getitem(inputs, (slice(None), 0)), 0
        for inner in cell.cells:
            count = len(state_sizes(inner))
            if isinstance(inner, _Cell):
                state = states[start]
                inner._sequence_masks = (
                    ops.dropout(ops.ones_like(like_input), inner.dropout, seed=inner._generator)
                    if 0.0 < inner.dropout < 1.0 else None,
                    ops.dropout(ops.ones_like(state), inner.recurrent_dropout, seed=inner._generator)
                    if 0.0 < inner.recurrent_dropout < 1.0 else None)
            like_input = states[start]
            start += count

    def _state_structure(self, flat):
        """The returned states as Keras 3 returns them: flat, or for a stack one list per cell."""
        if not isinstance(self.cell, StackedRNNCells):
            return list(flat)
        nested, start = [], 0
        for cell in self.cell.cells:
            count = len(state_sizes(cell))
            nested.append(list(flat[start:start + count]))
            start += count
        return nested

    def compute_output_shape(self, input_shape):
        if isinstance(input_shape, list):
            input_shape = input_shape[0]
        units = self.cell.output_size if isinstance(self.cell, StackedRNNCells) else state_sizes(self.cell)[0]
        output = tuple(input_shape[:2]) + (units,) if self.return_sequences else (input_shape[0], units)
        if self.return_state:
            return [output] + self._state_structure([(input_shape[0], size) for size in state_sizes(self.cell)])
        return output

    def compute_mask(self, inputs, mask=None):
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        output_mask = mask if self.return_sequences else None
        if self.return_state:
            return [output_mask] + self._state_structure([None] * len(state_sizes(self.cell)))
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
