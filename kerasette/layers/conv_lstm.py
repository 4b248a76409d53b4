"""Convolutional LSTM layers: ConvLSTM1D, ConvLSTM2D, ConvLSTM3D (and their cell).

Keras 3's names, arguments, defaults, weights and numbers.  A ConvLSTM is an
LSTM whose input and recurrent transforms are convolutions: inputs are
sequences of images, ``(batch, time, *spatial, channels)`` (or
``(batch, time, channels, *spatial)`` channels first), and the states ``h``
and ``c`` are images ``(batch, *out_spatial, filters)``.  The layer holds its
cell in ``self.cell`` (``conv_lstm2d/conv_lstm_cell/kernel`` and so on, as in
Keras' weight files); the kernel is ``(*kernel_size, channels, 4 * filters)``,
the recurrent kernel ``(*kernel_size, filters, 4 * filters)`` and the bias
``(4 * filters,)``, with the gates i, f, c, o one after another on the last
axis, as Keras lays them out.

How a sequence is run: the input convolution of every step is one
convolution over ``batch * time`` images (a convolution's output channels are
independent, so one kernel of ``4 * filters`` channels gives each gate's
transform at once); the time loop then convolves ``h`` with the recurrent
kernel (``'same'`` padding, stride 1) step by step, and the gates are plain
elementwise ops.  Everything is composed of kerasette ops, so gradients come
from the ops' own rules, eager and compiled.  Inside, the layer computes
channels last; channels-first inputs and states are transposed around it.

The time loop is unrolled, so a layer built on symbolic inputs needs a known
number of timesteps (``Input((10, 32, 32, 3))``); eager calls take any length.
``ConvLSTM`` derives from ``RNN`` and shares its masking (a masked step keeps
the states and repeats the previous output), ``initial_state=[h, c]``,
``go_backwards`` (outputs in reversed order, as Keras), ``return_state`` and
``stateful`` (state variables shaped like the states) machinery.
"""
from __future__ import annotations

from typing import Any

import numpy

from .. import activations, constraints, engine, initializers, ops, regularizers
from ..backend import unique_object_name
from ..eager import Tensor
from ..engine import Node
from ..ops.convolution import to_channels_first, to_channels_last
from ..primitives.base import ShapeError, format_shape
from ..variables import Variable
from .core import seed_generator
from .layer import InputSpec, Layer
from .recurrent import RNN
from .spatial import conv_output_length, join_shape, normalize_data_format, normalize_padding, normalize_tuple

__all__ = ["ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D"]

TensorLike = Any     # a Tensor, a graph Node or an array

_WEIGHT_OPTIONS = ("kernel", "recurrent", "bias")


def _gate(z, index, filters):
    """The ``index``-th block of ``filters`` channels of ``z`` (last axis): gate i, f, c or o."""
    return ops.getitem(z, (Ellipsis, slice(index * filters, (index + 1) * filters)))


class ConvLSTMCell(Layer):
    """One step of a convolutional LSTM: ``(x_t, [h, c]) -> (h', [h', c'])``.

    ``x_t`` is one image ``(batch, *spatial, channels)`` in the cell's
    ``data_format``; ``h`` and ``c`` are ``(batch, *out_spatial, filters)``.
    The ConvLSTM layers make and run it; on its own::

        cell = ConvLSTMCell(rank=2, filters=4, kernel_size=3, padding="same")
        h, [h, c] = cell(x_t, [h, c])
    """

    def __init__(self, rank, filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1,
                 activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias=True, kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
                 kernel_constraint=None, recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        if rank not in (1, 2, 3):
            raise ValueError(f"Rank {rank} convolutions are not currently implemented. Received: rank={rank}")
        if filters is None or int(filters) != filters or int(filters) <= 0:
            raise ValueError(f"Invalid value for argument `filters`. Expected a strictly positive integer. "
                             f"Received filters={filters!r}")
        self.rank = rank
        self.filters = int(filters)
        self.kernel_size = normalize_tuple(kernel_size, rank, "kernel_size")
        self.strides = normalize_tuple(strides, rank, "strides", allow_zero=True)
        self.padding = normalize_padding(padding)
        self.data_format = normalize_data_format(data_format)
        self.dilation_rate = normalize_tuple(dilation_rate, rank, "dilation_rate")
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(f"Specifying `strides > 1` is not compatible with `dilation_rate > 1`: give "
                             f"`strides=1` or `dilation_rate=1`. Received: strides={self.strides} and "
                             f"dilation_rate={self.dilation_rate}")
        self.activation = activations.get(activation)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.use_bias = use_bias
        self.unit_forget_bias = unit_forget_bias
        options = dict(kernel=(kernel_initializer, kernel_regularizer, kernel_constraint),
                       recurrent=(recurrent_initializer, recurrent_regularizer, recurrent_constraint),
                       bias=(bias_initializer, bias_regularizer, bias_constraint))
        for weight, (initializer, regularizer, constraint) in options.items():
            setattr(self, f"{weight}_initializer", initializers.get(initializer))
            setattr(self, f"{weight}_regularizer", regularizers.get(regularizer))
            setattr(self, f"{weight}_constraint", constraints.get(constraint))
        self.dropout = min(1.0, max(0.0, float(dropout)))
        self.recurrent_dropout = min(1.0, max(0.0, float(recurrent_dropout)))
        self.seed = seed
        self._generator = seed_generator(seed)
        self.state_size = -1           # as Keras: the states are images, shaped in build
        self.input_spec = InputSpec(ndim=rank + 2)
        self.kernel = self.recurrent_kernel = self.bias = None

    # ------------------------------------------------------------ shapes
    def _channel_axis(self):
        return 1 if self.data_format == "channels_first" else -1

    def _spatial(self, shape):
        shape = tuple(shape)
        return shape[2:] if self.data_format == "channels_first" else shape[1:-1]

    def output_spatial(self, spatial) -> tuple:
        """The spatial sizes of the states for input images of ``spatial`` sizes."""
        return tuple(conv_output_length(size, k, s, d, self.padding)
                     for size, k, s, d in zip(spatial, self.kernel_size, self.strides, self.dilation_rate))

    def compute_output_shape(self, inputs_shape, states_shape=None) -> tuple:
        shape = join_shape(tuple(inputs_shape)[0], self.output_spatial(self._spatial(inputs_shape)), self.filters,
                           self.data_format)
        return shape, [shape, shape]

    def build(self, inputs_shape, states_shape=None):
        inputs_shape = tuple(inputs_shape)
        where = f"ConvLSTMCell '{self.name}'"
        if len(inputs_shape) != self.rank + 2:
            raise ShapeError(f"{where} expects one step of rank {self.rank + 2}, got {format_shape(inputs_shape)}")
        spatial = self._spatial(inputs_shape)
        if None in spatial:
            raise ShapeError(f"{where}: ConvLSTM layers need static spatial sizes, got input shape "
                             f"{format_shape(inputs_shape)}")
        channels = inputs_shape[self._channel_axis()]
        if channels is None:
            raise ShapeError(f"{where} needs a known channel axis, got input shape {format_shape(inputs_shape)}")
        self.spatial_dims = tuple(spatial)
        self.input_dim = int(channels)
        width = 4 * self.filters
        self.kernel_shape = self.kernel_size + (self.input_dim, width)
        self.kernel = self.add_weight(name="kernel", shape=self.kernel_shape, initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer, constraint=self.kernel_constraint)
        self.recurrent_kernel = self.add_weight(
            name="recurrent_kernel", shape=self.kernel_size + (self.filters, width),
            initializer=self.recurrent_initializer, regularizer=self.recurrent_regularizer,
            constraint=self.recurrent_constraint)
        if self.use_bias:
            self.bias = self.add_weight(name="bias", shape=(width,), initializer=self._bias_init(),
                                        regularizer=self.bias_regularizer, constraint=self.bias_constraint)
        else:
            self.bias = None
        self.built = True

    def _bias_init(self):
        if not self.unit_forget_bias:
            return self.bias_initializer
        base, filters = self.bias_initializer, self.filters

        def initializer(shape, dtype=None):
            # the forget gate's block starts at one (Jozefowicz et al.)
            parts = [base((filters,), dtype=dtype), numpy.ones((filters,), dtype=dtype or "float32"),
                     base((2 * filters,), dtype=dtype)]
            return numpy.concatenate([numpy.asarray(part) for part in parts])
        return initializer

    # ------------------------------------------------------------ the step (channels last)
    def input_transform(self, x: TensorLike | list) -> TensorLike:
        """``conv(x, kernel) + bias`` for channels-last images ``x``: the four gates' input
        parts, ``(..., 4 * filters)``.  With input dropout ``x`` is a list of four images, each
        dropped with its gate's own mask, and each convolved with its gate's block of the kernel."""
        conv = dict(strides=self.strides, padding=self.padding, dilation_rate=self.dilation_rate,
                    data_format="channels_last")
        if not isinstance(x, (list, tuple)):
            z = ops.conv(x, self.kernel, **conv)
        else:
            kernels = ops.split(self.kernel, 4, axis=-1)
            z = ops.concatenate([ops.conv(part, kernel, **conv) for part, kernel in zip(x, kernels)], axis=-1)
        if self.bias is not None:
            z = ops.add(z, self.bias)
        return z

    def recurrent_step(self, z_x: TensorLike, h: TensorLike, c: TensorLike,
                       masks: list | None = None) -> tuple:
        """One step from the input part ``z_x`` and the channels-last states: ``(h', c')``.
        ``masks``: one recurrent dropout mask per gate."""
        same = dict(strides=1, padding="same", data_format="channels_last")
        if masks is None:
            z_h = ops.conv(h, self.recurrent_kernel, **same)
        else:
            kernels = ops.split(self.recurrent_kernel, 4, axis=-1)
            z_h = ops.concatenate([ops.conv(h * mask, kernel, **same) for mask, kernel in zip(masks, kernels)],
                                  axis=-1)
        z = z_x + z_h
        f = self.filters
        i = self.recurrent_activation(_gate(z, 0, f))
        forget = self.recurrent_activation(_gate(z, 1, f))
        candidate = _gate(z, 2, f)
        if self.activation is not None:
            candidate = self.activation(candidate)
        c = forget * c + i * candidate
        o = self.recurrent_activation(_gate(z, 3, f))
        h = o * (self.activation(c) if self.activation is not None else c)
        return h, c

    def dropout_masks(self, like: TensorLike, rate: float, training) -> list | None:
        """Four dropout masks shaped like ``like`` (one per gate), or None."""
        if not training or not 0.0 < rate < 1.0:
            return None
        ones = ops.ones_like(like)
        return [ops.dropout(ones, rate, seed=self._generator) for _ in range(4)]

    def call(self, inputs, states, training=None):
        h, c = states[0], states[1]
        first = self.data_format == "channels_first"
        if first:
            inputs, h, c = (to_channels_last(t, self.rank) for t in (inputs, h, c))
        masks = self.dropout_masks(inputs, self.dropout, training)
        z_x = self.input_transform(inputs if masks is None else [inputs * mask for mask in masks])
        h, c = self.recurrent_step(z_x, h, c, self.dropout_masks(h, self.recurrent_dropout, training))
        if first:
            h, c = (to_channels_first(t, self.rank) for t in (h, c))
        return h, [h, c]

    def get_initial_state(self, batch_size: int | None = None) -> list:
        """Zero states ``[h, c]`` for ``batch_size`` sequences (after ``build``)."""
        shape = join_shape(batch_size, self.output_spatial(self.spatial_dims), self.filters, self.data_format)
        return [ops.zeros(shape, dtype=self.dtype), ops.zeros(shape, dtype=self.dtype)]

    def options_config(self) -> dict:
        """Every argument but the layer's own, in Keras' order (the cell's and the layer's config share it)."""
        config = {
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            "activation": activations.serialize(self.activation),
            "recurrent_activation": activations.serialize(self.recurrent_activation),
            "use_bias": self.use_bias,
        }
        for weight in _WEIGHT_OPTIONS:
            config[f"{weight}_initializer"] = initializers.serialize(getattr(self, f"{weight}_initializer"))
        config["unit_forget_bias"] = self.unit_forget_bias
        for suffix, module in (("regularizer", regularizers), ("constraint", constraints)):
            for weight in _WEIGHT_OPTIONS:
                config[f"{weight}_{suffix}"] = module.serialize(getattr(self, f"{weight}_{suffix}"))
        config.update(dropout=self.dropout, recurrent_dropout=self.recurrent_dropout, seed=self.seed)
        return config

    def get_config(self):
        config = super().get_config()
        config.update(self.options_config())
        return config


_CELL_ARGUMENTS = ("strides", "padding", "data_format", "dilation_rate", "activation", "recurrent_activation",
                   "use_bias", "kernel_initializer", "recurrent_initializer", "bias_initializer",
                   "unit_forget_bias", "kernel_regularizer", "recurrent_regularizer", "bias_regularizer",
                   "kernel_constraint", "recurrent_constraint", "bias_constraint", "dropout", "recurrent_dropout",
                   "seed")


class ConvLSTM(RNN):
    """A convolutional LSTM over ``rank`` spatial axes (the base of ConvLSTM1D/2D/3D)."""

    rank = None

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1,
                 activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias=True, kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, recurrent_constraint=None, bias_constraint=None,
                 dropout=0.0, recurrent_dropout=0.0, seed=None, return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, **kwargs):
        if kwargs.get("name") is None:
            kwargs["name"] = unique_object_name(f"conv_lstm{self.rank}d")
        cell = ConvLSTMCell(
            self.rank, filters, kernel_size, strides=strides, padding=padding, data_format=data_format,
            dilation_rate=dilation_rate, activation=activation, recurrent_activation=recurrent_activation,
            use_bias=use_bias, kernel_initializer=kernel_initializer, recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer, unit_forget_bias=unit_forget_bias,
            kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
            recurrent_constraint=recurrent_constraint, bias_constraint=bias_constraint, dropout=dropout,
            recurrent_dropout=recurrent_dropout, seed=seed, name="conv_lstm_cell", dtype=kwargs.get("dtype"))
        super().__init__(cell, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, activity_regularizer=activity_regularizer,
                         **kwargs)
        self.input_spec = InputSpec(ndim=self.rank + 3)

    def __getattr__(self, name):
        # filters, kernel_size, dropout, ...: the cell's, like Keras' properties
        if name.startswith("_") or name == "cell":
            raise AttributeError(name)
        cell = self.__dict__.get("cell")
        if cell is not None and name in _CELL_ARGUMENTS + ("filters", "kernel_size"):
            return getattr(cell, name)
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    # ------------------------------------------------------------ shapes
    def _step_shape(self, input_shape):
        input_shape = tuple(input_shape)
        return (input_shape[0],) + input_shape[2:]

    def _state_shape(self, batch):
        cell = self.cell
        return join_shape(batch, cell.output_spatial(cell.spatial_dims), cell.filters, cell.data_format)

    def build(self, input_shape):
        if isinstance(input_shape, list):
            input_shape = input_shape[0]
        input_shape = tuple(input_shape)
        if len(input_shape) != self.rank + 3:
            raise ShapeError(f"{type(self).__name__} '{self.name}' expects an input of rank {self.rank + 3}, "
                             f"got shape {format_shape(input_shape)}")
        if not self.cell.built:
            try:
                self.cell.build(self._step_shape(input_shape))
            except ShapeError as error:
                raise ShapeError(f"{type(self).__name__} '{self.name}': {error} (the layer's input shape "
                                 f"{format_shape(input_shape)})") from None
        channel_axis = 2 if self.cell.data_format == "channels_first" else -1
        self.input_spec = InputSpec(ndim=self.rank + 3, axes={channel_axis: self.cell.input_dim})
        super().build(input_shape)

    def compute_output_shape(self, input_shape, initial_state_shape=None):
        if isinstance(input_shape, list):
            input_shape = input_shape[0]
        input_shape = tuple(input_shape)
        state = self.cell.compute_output_shape(self._step_shape(input_shape))[0]
        output = (state[0], input_shape[1]) + state[1:] if self.return_sequences else state
        if self.return_state:
            return [output, state, state]
        return output

    def compute_mask(self, inputs, mask=None):
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        output_mask = mask if self.return_sequences else None
        return [output_mask, None, None] if self.return_state else output_mask

    # ------------------------------------------------------------ states
    def _create_states(self, batch_size):
        if batch_size is None:
            raise ValueError(f"When using `stateful=True` in a RNN (layer '{self.name}'), the batch size must be "
                             "static: give the model's Input a batch size (Input(batch_shape=(batch, time, ...)) "
                             "or Input(shape, batch_size=batch)), or batch_input_shape= to the first layer of a "
                             "Sequential")
        shape = self._state_shape(int(batch_size))
        # in the layer's name scope, as Keras makes them in build: ``sequential/conv_lstm2d/rnn_state``
        with self._open_name_scope():
            self.states = [Variable(numpy.zeros(shape, dtype=self.cell.dtype or self.dtype), name="rnn_state",
                                    trainable=False) for _ in range(2)]

    def _initial_states(self, inputs, initial_state):
        if initial_state is None:
            # zeros of the states' shape, with the inputs' batch (a slice of the first step's input
            # convolution would cost a convolution; this costs a sum)
            first = ops.getitem(inputs, (slice(None), 0))
            zero = ops.zeros_like(ops.sum(first, axis=tuple(range(1, self.rank + 2)), keepdims=True))
            shape = self._state_shape(1)
            return [zero + ops.zeros(shape, dtype=zero.dtype) for _ in range(2)]
        states = list(initial_state) if isinstance(initial_state, (list, tuple)) else [initial_state]
        if len(states) != 2:
            raise ValueError(f"{type(self).__name__} layer '{self.name}' expects 2 initial states [h, c], "
                             f"got {len(states)}")
        expected = self._state_shape(None)
        for state in states:
            shape = tuple(state.shape)
            if len(shape) != len(expected) or any(a is not None and b is not None and a != b
                                                  for a, b in zip(shape[1:], expected[1:])):
                raise ValueError(f"{type(self).__name__} layer '{self.name}': an initial state must be "
                                 f"{format_shape(expected)}, got {format_shape(shape)}")
        return states

    # ------------------------------------------------------------ the sequence
    def call(self, inputs, mask=None, training=None):
        """The sequence; under a mixed dtype policy (``mixed_float16``) the cell's float32
        weights are read in the compute dtype, through casts that carry their gradients (the
        layer base does so for a layer's own weights; these are its cell's)."""
        policy = getattr(self, "_dtype_policy", None)
        compute = self.compute_dtype
        if policy is None or not policy.is_mixed:
            return self._run(inputs, mask, training)
        first = inputs[0] if isinstance(inputs, (list, tuple)) else inputs
        swapped = []
        for name in ("kernel", "recurrent_kernel", "bias"):
            variable = getattr(self.cell, name)
            if variable is not None and numpy.dtype(variable.dtype).name != compute:
                source = engine.variable_from_holder(variable, variable.name) if isinstance(first, Node) \
                    else variable
                object.__setattr__(self.cell, name, ops.cast(source, compute))
                swapped.append((name, variable))
        try:
            return self._run(inputs, mask, training)
        finally:
            for name, variable in swapped:
                object.__setattr__(self.cell, name, variable)

    def _run(self, inputs, mask, training):
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        initial_state = None
        if isinstance(inputs, (list, tuple)):
            inputs, initial_state = inputs[0], (list(inputs[1:]) or None)
        if self.stateful:
            self._check_stateful_batch(inputs)
            if initial_state is None:
                initial_state = list(self.states) if isinstance(inputs, Node) else [
                    Tensor(variable.data) for variable in self.states]
        h, c = self._initial_states(inputs, initial_state)
        # the states in the inputs' dtype (a stateful layer keeps them in the variable dtype, as Keras)
        h, c = (state if numpy.dtype(state.dtype) == numpy.dtype(inputs.dtype) else ops.cast(state, inputs.dtype)
                for state in (h, c))
        cell, rank = self.cell, self.rank
        shape = tuple(inputs.shape)
        time = shape[1]
        if time is None:
            raise ShapeError(f"{type(self).__name__} layer '{self.name}' unrolls its time loop and needs a known "
                             f"number of timesteps, got input shape {format_shape(shape)}")
        step = (shape[0],) + shape[2:]
        if tuple(cell._spatial(step)) != cell.spatial_dims:
            raise ShapeError(f"{type(self).__name__} layer '{self.name}' was built for images of spatial shape "
                             f"{format_shape(cell.spatial_dims)}, got input shape {format_shape(shape)}")
        first = cell.data_format == "channels_first"
        if first:
            # (batch, time, channels, *spatial) -> (batch, time, *spatial, channels)
            inputs = ops.transpose(inputs, (0, 1, *range(3, rank + 3), 2))
            h, c = to_channels_last(h, rank), to_channels_last(c, rank)
        if self.go_backwards:
            inputs = ops.getitem(inputs, (slice(None), slice(None, None, -1)))
        if mask is not None:
            if len(tuple(mask.shape)) != 2:
                raise ShapeError(f"{type(self).__name__} layer '{self.name}' takes a mask of shape (batch, time), "
                                 f"got {format_shape(tuple(mask.shape))} for input shape {format_shape(shape)}")
            mask = ops.cast(mask, "bool")
            if self.go_backwards:
                mask = ops.getitem(mask, (slice(None), slice(None, None, -1)))
        image = tuple(inputs.shape)[2:]           # (*spatial, channels): known since build
        # the input convolution of every step at once, over (batch * time, *spatial, channels) images
        input_masks = cell.dropout_masks(ops.getitem(inputs, (slice(None), 0)), cell.dropout, training)
        if input_masks is None:
            z_x = cell.input_transform(ops.reshape(inputs, (-1,) + image))
        else:
            # one mask per sequence and gate, the same at every step (as Keras draws them)
            z_x = cell.input_transform([ops.reshape(inputs * ops.expand_dims(m, 1), (-1,) + image)
                                        for m in input_masks])
        z_x = ops.reshape(z_x, (-1, time) + tuple(z_x.shape)[1:])
        recurrent_masks = cell.dropout_masks(h, cell.recurrent_dropout, training)
        outputs, previous = [], None
        for t in range(time):
            new_h, new_c = cell.recurrent_step(ops.getitem(z_x, (slice(None), t)), h, c, recurrent_masks)
            output = new_h
            if mask is not None:
                keep = ops.reshape(ops.getitem(mask, (slice(None), t)), (-1,) + (1,) * (rank + 1))
                held = ops.zeros_like(new_h) if self.zero_output_for_mask else (h if previous is None else previous)
                output = ops.where(keep, new_h, held)
                new_h, new_c = ops.where(keep, new_h, h), ops.where(keep, new_c, c)
            outputs.append(output)
            previous, h, c = output, new_h, new_c
        if self.return_sequences:
            result = ops.stack(outputs, axis=1)
            if first:
                result = ops.transpose(result, (0, 1, rank + 2, *range(2, rank + 2)))
        else:
            result = to_channels_first(outputs[-1], rank) if first else outputs[-1]
        final = [to_channels_first(h, rank), to_channels_first(c, rank)] if first else [h, c]
        returned = [result] + final if self.return_state else result
        if self.stateful:
            returned = self._keep_states(final, returned)
        return returned

    # ------------------------------------------------------------ config
    def get_config(self):
        config = super().get_config()
        options = self.cell.options_config()
        # Keras lists the activity regularizer among the weights' regularizers
        ordered = {}
        for key, value in options.items():
            ordered[key] = value
            if key == "bias_regularizer":
                ordered["activity_regularizer"] = regularizers.serialize(self.activity_regularizer)
        config.pop("activity_regularizer", None)
        config.update(ordered)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        config.pop("cell", None)
        return cls(**config)


class ConvLSTM1D(ConvLSTM):
    """1-d convolutional LSTM over ``(batch, time, steps, channels)`` sequences.

    Example::

        x = Input((10, 32, 3))                       # 10 frames of 32 steps, 3 channels
        y = layers.ConvLSTM1D(8, 3, padding="same")(x)    # (None, 32, 8)
    """

    rank = 1


class ConvLSTM2D(ConvLSTM):
    """2-d convolutional LSTM over ``(batch, time, rows, cols, channels)`` sequences of images.

    Example::

        frames = Input((10, 16, 16, 1))
        h = layers.ConvLSTM2D(8, 3, padding="same", return_sequences=True)(frames)   # (None, 10, 16, 16, 8)
        h, state_h, state_c = layers.ConvLSTM2D(4, 3, return_state=True)(h)          # (None, 14, 14, 4) each
    """

    rank = 2


class ConvLSTM3D(ConvLSTM):
    """3-d convolutional LSTM over ``(batch, time, depth, rows, cols, channels)`` sequences of volumes.

    Example::

        volumes = Input((4, 8, 8, 8, 2))
        y = layers.ConvLSTM3D(3, 2, strides=2)(volumes)     # (None, 4, 4, 4, 3)
    """

    rank = 3
