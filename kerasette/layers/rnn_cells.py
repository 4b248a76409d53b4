"""The cells of the recurrent layers: SimpleRNNCell, LSTMCell, GRUCell.

Keras' names, arguments, defaults, weights and numbers (Keras 3's
"implementation 2": one matmul per step for all gates).  A cell's ``call``
is one step, ``(inputs, states) -> (output, new states)``; ``RNN``
(layers/recurrent.py) runs the built-in cells over a whole sequence through
the fused ``recurrence`` primitive instead, with the same numbers, and
falls back to ``call`` step by step where the primitive cannot (an
activation it lacks, ``recurrent_dropout``).
"""
from __future__ import annotations

import numpy

from .. import activations, constraints, initializers, ops, regularizers
from ..primitives.base import ShapeError, format_shape
from ..primitives.recurrent import ACTIVATIONS
from .core import seed_generator
from .layer import Layer

__all__ = ["SimpleRNNCell", "LSTMCell", "GRUCell", "StackedRNNCells"]


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
    """A cell's state sizes as a flat list (one entry per state; a stack's cells one after another)."""
    size = cell.state_size
    if not isinstance(size, (list, tuple)):
        return [size]
    return [inner for entry in size for inner in (entry if isinstance(entry, (list, tuple)) else [entry])]


class StackedRNNCells(Layer):
    """Cells run one after another as one cell: ``RNN(StackedRNNCells([LSTMCell(8), GRUCell(4)]))``.

    Keras 3's layout: ``state_size`` and the states are a list with one entry
    per cell (that cell's own ``state_size`` / states); each cell's output is
    the next cell's input, and the last cell's output is the stack's.  Its
    weights are ``rnn/stacked_rnn_cells/lstm_cell/kernel`` and so on, cell by
    cell.  ``RNN`` runs a stack step by step through ``call``, handing it the
    nested states (``nest_states``) and keeping them flat in between.
    """

    def __init__(self, cells, **kwargs):
        super().__init__(**kwargs)
        for cell in cells:
            if not hasattr(cell, "call"):
                raise ValueError(f"All cells must have a `call` method. Received cell without a `call` method: "
                                 f"{cell}")
            if not hasattr(cell, "state_size"):
                raise ValueError(f"All cells must have a `state_size` attribute. Received cell without a "
                                 f"`state_size`: {cell}")
        self.cells = list(cells)

    @property
    def state_size(self):
        return [cell.state_size for cell in self.cells]

    @property
    def output_size(self):
        last = self.cells[-1]
        if getattr(last, "output_size", None) is not None:
            return last.output_size
        return state_sizes(last)[0]

    def nest_states(self, flat):
        """A flat list of states as the stack's call takes them: per cell a list, or a tensor for an int size."""
        nested, start = [], 0
        for cell in self.cells:
            count = len(state_sizes(cell))
            part = list(flat[start:start + count])
            nested.append(part if isinstance(cell.state_size, (list, tuple)) else part[0])
            start += count
        return nested

    @staticmethod
    def flatten_states(nested):
        flat = []
        for entry in nested:
            flat.extend(entry if isinstance(entry, (list, tuple)) else [entry])
        return flat

    def build(self, input_shape):
        batch = input_shape[0]
        for cell in self.cells:
            if isinstance(cell, Layer) and not cell.built:
                cell.build(tuple(input_shape))
                cell.built = True
            for variable in getattr(cell, "weights", []):
                # legacy HDF5 names: under this layer's name (tf.keras'); paths are Keras 3's already
                current = variable.legacy_path or variable.path
                if not current.startswith(self.name + "/"):
                    variable.legacy_path = f"{self.name}/{current}"
            size = getattr(cell, "output_size", None)
            input_shape = (batch, size if size is not None else state_sizes(cell)[0])
        self.built = True

    def call(self, inputs, states, training=None):
        new_states = []
        for cell, cell_states in zip(self.cells, states):
            given_list = isinstance(cell_states, (list, tuple))
            cell_states = list(cell_states) if given_list else [cell_states]
            argument = cell_states if isinstance(cell.state_size, (list, tuple)) else cell_states[0]
            inputs, cell_states = cell.call(inputs, argument, training=training)
            cell_states = list(cell_states) if isinstance(cell_states, (list, tuple)) else [cell_states]
            new_states.append(cell_states if given_list or len(cell_states) > 1 else cell_states[0])
        return inputs, new_states

    def get_config(self):
        from .serialization import serialize_layer
        config = super().get_config()
        config["cells"] = [serialize_layer(cell) for cell in self.cells]
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from .serialization import deserialize_layer
        config = dict(config)
        cells = [deserialize_layer(cell, custom_objects=custom_objects) for cell in config.pop("cells")]
        return cls(cells, **config)
