"""Wrappers: the ``Wrapper`` base (a layer holding one other layer, ``self.layer``),
``Bidirectional`` (an RNN run both ways) and ``TimeDistributed`` (a layer
applied to every step of a sequence; a ``Wrapper``, as in Keras 3, where
Bidirectional is a plain Layer).

Both hold their layers as attributes (``forward_layer`` / ``backward_layer``,
``layer``), as Keras does, so weight files name them the same way:
``bidirectional/forward_lstm/lstm_cell/kernel`` in the legacy layout and
``layers/bidirectional/forward_layer/cell/vars`` in Keras 3's.
"""
from __future__ import annotations

from .. import ops
from .layer import Layer
from .recurrent import InitialStateInputs, prefix_legacy_paths, state_sizes
from .serialization import deserialize_layer, serialize_layer

__all__ = ["Bidirectional", "TimeDistributed", "Wrapper"]

MERGE_MODES = ("concat", "sum", "ave", "mul", None)


def _with_nested_layers(config, keys, custom_objects):
    """``config`` with the nested layer entries under ``keys`` (where present) rebuilt as layers."""
    config = dict(config)
    for key in keys:
        if config.get(key) is not None:
            config[key] = deserialize_layer(config[key], custom_objects=custom_objects)
    return config


def _clone(layer, **changes):
    """A fresh layer from ``layer``'s config, with ``changes`` applied (Keras re-creates it too)."""
    config = dict(layer.get_config())
    config.update(changes)
    return type(layer).from_config(config)


class Wrapper(Layer):
    """Base of the layers that wrap one layer (``self.layer``) and change what it does.

    ``build`` builds the wrapped layer on the same input shape; the config
    holds the wrapped layer's record under ``"layer"``.  Not a usable layer
    on its own: subclasses write ``call``.
    """

    def __init__(self, layer, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(f"Layer {layer!r} supplied to Wrapper isn't a supported layer type. Please "
                             "ensure wrapped layer is a valid Keras layer.")
        super().__init__(**kwargs)
        self.layer = layer

    def build(self, input_shape=None):
        if not self.layer.built:
            self.layer.build(input_shape)
            self.layer.built = True
        prefix_legacy_paths(self, (self.layer,))
        self.built = True

    def get_config(self):
        config = super().get_config()
        config["layer"] = serialize_layer(self.layer)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        return cls(**_with_nested_layers(config, ("layer",), custom_objects))


class Bidirectional(InitialStateInputs, Layer):
    """Runs an RNN layer forwards and a copy of it backwards, and merges the two.

    ``merge_mode`` is 'concat' (default), 'sum', 'ave', 'mul' or None (both
    outputs, as a list).  The backward copy reads the sequence from its end;
    with ``return_sequences`` its outputs are flipped back into time order
    before the merge.  ``initial_state`` takes the forward layer's states,
    then the backward layer's; ``return_state`` returns them in that order.
    """

    def __init__(self, layer, merge_mode="concat", weights=None, backward_layer=None, **kwargs):
        if not isinstance(layer, Layer) or not hasattr(layer, "go_backwards"):
            raise ValueError(f"Bidirectional needs a recurrent layer (an RNN), got {layer!r}")
        if merge_mode not in MERGE_MODES:
            raise ValueError(f"Invalid merge mode {merge_mode!r}: expected one of {MERGE_MODES}")
        if weights is not None:
            raise NotImplementedError("Bidirectional(weights=...) is not supported; call set_weights() after "
                                      "building the layer")
        super().__init__(**kwargs)
        base = layer.name
        for prefix in ("forward_", "backward_"):
            base = base[len(prefix):] if base.startswith(prefix) else base
        self.forward_layer = _clone(layer, name=f"forward_{base}")
        if backward_layer is None:
            self.backward_layer = _clone(layer, name=f"backward_{base}", go_backwards=not layer.go_backwards)
        else:
            self.backward_layer = backward_layer
        if self.forward_layer.stateful != self.backward_layer.stateful:
            raise ValueError("Bidirectional: the forward and backward layers must have the same stateful")
        if self.forward_layer.go_backwards == self.backward_layer.go_backwards:
            raise ValueError("Bidirectional: the forward and backward layers must read the sequence in "
                             f"opposite directions, both have go_backwards={self.forward_layer.go_backwards}")
        for attribute in ("return_sequences", "return_state"):
            if getattr(self.forward_layer, attribute) != getattr(self.backward_layer, attribute):
                raise ValueError(f"Bidirectional: the forward and backward layers must have the same "
                                 f"{attribute}")
        # like Keras: returned sequences are zero at masked steps
        for inner in (self.forward_layer, self.backward_layer):
            inner.zero_output_for_mask = inner.return_sequences
        self.merge_mode = merge_mode
        self.return_sequences = self.forward_layer.return_sequences
        self.return_state = self.forward_layer.return_state
        self.stateful = self.forward_layer.stateful
        self.supports_masking = True
        self.input_spec = layer.input_spec

    def build(self, input_shape):
        for inner in (self.forward_layer, self.backward_layer):
            if not inner.built:
                inner.build(input_shape)
                inner.built = True
        prefix_legacy_paths(self, (self.forward_layer, self.backward_layer))
        self.built = True

    @property
    def states(self):
        """Stateful: the forward layer's carried states, then the backward layer's (else None)."""
        if self.forward_layer.states and self.backward_layer.states:
            return tuple(self.forward_layer.states + self.backward_layer.states)
        return None

    def reset_state(self, states=None):
        """Stateful: both layers' states to zeros (or to ``states``, forward ones first)."""
        if not self.stateful:
            raise AttributeError("Layer must be stateful.")
        if states is None:
            self.forward_layer.reset_state()
            self.backward_layer.reset_state()
            return
        states = list(states)
        half = len(states) // 2
        self.forward_layer.reset_state(states[:half])
        self.backward_layer.reset_state(states[half:])

    def reset_states(self, states=None):
        self.reset_state(states)

    def call(self, inputs, mask=None, training=None):
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        forward_state = backward_state = None
        if isinstance(inputs, (list, tuple)):
            inputs, states = inputs[0], list(inputs[1:])
            if len(states) % 2:
                raise ValueError(f"Bidirectional '{self.name}' needs the forward layer's initial states and "
                                 f"then the backward layer's, got {len(states)} states")
            half = len(states) // 2
            forward_state, backward_state = states[:half] or None, states[half:] or None
        forward = self.forward_layer.call([inputs] + forward_state if forward_state else inputs,
                                          mask=mask, training=training)
        backward = self.backward_layer.call([inputs] + backward_state if backward_state else inputs,
                                            mask=mask, training=training)
        states = []
        if self.return_state:
            states = list(forward[1:]) + list(backward[1:])
            forward, backward = forward[0], backward[0]
        if self.return_sequences:
            backward = ops.getitem(backward, (slice(None), slice(None, None, -1)))
        if self.merge_mode == "concat":
            output = ops.concatenate([forward, backward], axis=-1)
        elif self.merge_mode == "sum":
            output = forward + backward
        elif self.merge_mode == "ave":
            output = (forward + backward) / 2
        elif self.merge_mode == "mul":
            output = forward * backward
        else:
            output = [forward, backward]
        if self.return_state:
            return (output if isinstance(output, list) else [output]) + states
        return output

    def compute_output_shape(self, input_shape):
        if isinstance(input_shape, list):
            input_shape = input_shape[0]
        shape = self.forward_layer.compute_output_shape(input_shape)
        states = []
        if self.return_state:
            shape, states = shape[0], list(shape[1:])
        if self.merge_mode == "concat":
            shape = tuple(shape[:-1]) + (None if shape[-1] is None else 2 * shape[-1],)
        output = [shape, shape] if self.merge_mode is None else [shape]
        if self.return_state:
            return output + states + states
        return output if self.merge_mode is None else output[0]

    def compute_mask(self, inputs, mask=None):
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        output_mask = mask if self.return_sequences else None
        count = (2 if self.merge_mode is None else 1)
        if self.return_state:
            return [output_mask] * count + [None] * (2 * len(state_sizes(self.forward_layer.cell)))
        return [output_mask] * 2 if self.merge_mode is None else output_mask

    def get_config(self):
        config = super().get_config()
        config["merge_mode"] = self.merge_mode
        config["layer"] = serialize_layer(self.forward_layer)
        config["backward_layer"] = serialize_layer(self.backward_layer)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        return cls(**_with_nested_layers(config, ("layer", "backward_layer"), custom_objects))


class TimeDistributed(Wrapper):
    """Applies ``layer`` to every step of (batch, time, ...) inputs, with one set of weights.

    The steps are folded into the batch, so the layer runs once on
    (batch * time, ...) and its output is unfolded again.
    """

    def __init__(self, layer, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(f"TimeDistributed needs a layer instance, got {layer!r}")
        super().__init__(layer, **kwargs)
        self.supports_masking = True

    def _child_shape(self, input_shape):
        if not isinstance(input_shape, (tuple, list)) or len(input_shape) < 3:
            raise ValueError(f"TimeDistributed '{self.name}' needs inputs with at least 3 axes "
                             f"(batch, time, ...), got shape {input_shape}")
        return (input_shape[0],) + tuple(input_shape[2:])

    def build(self, input_shape):
        if not self.layer.built:
            self.layer.build(self._child_shape(input_shape))
            self.layer.built = True
        prefix_legacy_paths(self, (self.layer,))
        self.built = True

    def call(self, inputs, training=None, mask=None):
        shape = tuple(inputs.shape)
        steps = shape[1]
        if steps is None:
            raise ValueError(f"TimeDistributed '{self.name}' needs a known number of timesteps, got {shape}")
        folded = ops.reshape(inputs, (-1,) + shape[2:])
        kwargs = {}
        if training is not None and self.layer._call_accepts("training"):
            kwargs["training"] = training
        if mask is not None and self.layer._call_accepts("mask"):
            kwargs["mask"] = ops.reshape(mask, (-1,) + tuple(mask.shape[2:]))
        output = self.layer.call(folded, **kwargs)
        return ops.reshape(output, (-1, steps) + tuple(output.shape[1:]))

    def compute_output_shape(self, input_shape):
        child = self.layer.compute_output_shape(self._child_shape(input_shape))
        return (child[0], input_shape[1]) + tuple(child[1:])

    def compute_mask(self, inputs, mask=None):
        return mask
