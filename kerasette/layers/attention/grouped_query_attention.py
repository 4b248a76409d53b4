"""GroupQueryAttention (also GroupedQueryAttention, Keras 3's class name): grouped-query attention.

``num_query_heads`` query heads share ``num_key_value_heads`` key/value heads
(each repeated ``num_query_heads // num_key_value_heads`` times).  Sublayers
and weights as Keras 3: ``query/kernel`` ``(dim, num_query_heads, head_dim)``,
``key`` and ``value`` ``(dim, num_key_value_heads, head_dim)``,
``attention_output/kernel`` ``(num_query_heads, head_dim, dim)``.
"""
from __future__ import annotations

import math

from ... import backend, constraints, initializers, ops, regularizers
from ..activation import Softmax
from ..core import Dropout
from ..layer import Layer
from .multi_head_attention import (_AttentionCallMixin, causal_mask, check_flash_attention, check_sliding_window,
                                   einsum_projection)

__all__ = ["GroupedQueryAttention", "GroupQueryAttention"]


class GroupQueryAttention(_AttentionCallMixin, Layer):
    """Grouped-query attention: ``layer(query, value, key=None, attention_mask=None,
    return_attention_scores=False, training=None, use_causal_mask=False)`` on
    ``(B, T, dim)`` and ``(B, S, dim)`` inputs, giving ``(B, T, dim)``.

    >>> import numpy
    >>> x = numpy.ones((2, 5, 8), "float32")
    >>> GroupedQueryAttention(head_dim=4, num_query_heads=4, num_key_value_heads=2)(x, x).shape
    (2, 5, 8)
    """

    _explicit_query_mask = True

    def __init__(self, head_dim, num_query_heads, num_key_value_heads, dropout=0.0, use_bias=True,
                 sliding_window=None, flash_attention=None, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None,
                 use_gate=False, seed=None, **kwargs):
        if not kwargs.get("name"):
            # Keras 3 names it after its class, GroupedQueryAttention
            kwargs["name"] = backend.unique_object_name("grouped_query_attention")
        super().__init__(**kwargs)
        self.supports_masking = True
        self._pending_masks = []
        self._scores_requested = []
        self.head_dim = head_dim
        self.num_query_heads = num_query_heads
        self.num_key_value_heads = num_key_value_heads
        if num_query_heads % num_key_value_heads != 0:
            raise ValueError("`num_query_heads` must be divisible by `num_key_value_heads`.")
        self.num_repeats = num_query_heads // num_key_value_heads
        self.dropout = float(dropout)
        self.use_bias = use_bias
        self.use_gate = use_gate
        self.sliding_window = check_sliding_window(sliding_window)
        self._flash_attention = check_flash_attention(flash_attention, dropout)
        self._kernel_init = initializers.get(kernel_initializer)
        self._bias_init = initializers.get(bias_initializer)
        self._kernel_reg = regularizers.get(kernel_regularizer)
        self._bias_reg = regularizers.get(bias_regularizer)
        self._activity_reg = regularizers.get(activity_regularizer)
        # Keras 3 sets it on the layer too, so the output is penalised as well as the projections
        self.activity_regularizer = self._activity_reg
        self._kernel_cons = constraints.get(kernel_constraint)
        self._bias_cons = constraints.get(bias_constraint)
        self.seed = seed
        self._inverse_sqrt_head_dim = 1.0 / math.sqrt(float(self.head_dim))

    def _config_class_name(self):
        # Keras 3's class is GroupedQueryAttention, registered as GroupQueryAttention: its
        # records say GroupQueryAttention (this class's name), its .weights.h5 paths
        # grouped_query_attention (from the class name this gives)
        return "GroupedQueryAttention"

    kernel_initializer = property(lambda self: self._kernel_init)
    bias_initializer = property(lambda self: self._bias_init)

    def _projection(self, equation, dims, name, activation=None):
        bias_axes = equation.split("->")[1][-len(dims):]
        return einsum_projection(equation, bias_axes, dims, self.use_bias, name, activation,
                                 **self._common_sublayer_kwargs())

    def build(self, query_shape, value_shape=None, key_shape=None):
        if value_shape is None:
            return   # built by __call__, which knows every input's shape
        self._remember_build_shapes(query_shape, value_shape, key_shape)
        key_shape = value_shape if key_shape is None else key_shape
        self.feature_dim = query_shape[-1]
        q_dims = (self.num_query_heads, self.head_dim)
        kv_dims = (self.num_key_value_heads, self.head_dim)
        self._query_dense = self._projection("bqm,muh->bquh", q_dims, "query")
        self._query_dense.build(query_shape)
        self._key_dense = self._projection("bkm,mvh->bkvh", kv_dims, "key")
        self._key_dense.build(key_shape)
        if self.use_gate:
            self._gate_dense = self._projection("bqm,muh->bquh", q_dims, "gate", "sigmoid")
            self._gate_dense.build(query_shape)
        self._value_dense = self._projection("bkm,mvh->bkvh", kv_dims, "value")
        self._value_dense.build(value_shape)
        self._softmax = Softmax(axis=-1, dtype=self.dtype)
        self._dropout_layer = Dropout(rate=self.dropout, seed=self.seed, dtype=self.dtype)
        self._dot_product_equation = "bquh,bkuh->buqk"
        self._combine_equation = "buqk,bkuh->bquh"
        self._output_dense = self._projection("bquh,uhm->bqm", (self.feature_dim,), "attention_output")
        self._output_dense.build((None, None, self.num_query_heads, self.head_dim))
        self.built = True

    def _compute_attention(self, query, key, value, attention_mask=None, training=None,
                           use_causal_mask=False, return_attention_scores=False):
        if not (self.dropout > 0.0 or return_attention_scores or len(query.shape) != 4):
            if use_causal_mask and attention_mask is None:
                return ops.dot_product_attention(query, key, value, scale=self._inverse_sqrt_head_dim,
                                                 is_causal=True), None
            if attention_mask is not None:
                for _ in range(4 - len(attention_mask.shape)):
                    attention_mask = ops.expand_dims(attention_mask, axis=-3)
                attention_mask = ops.cast(attention_mask, "bool")
            return ops.dot_product_attention(query, key, value, mask=attention_mask,
                                             scale=self._inverse_sqrt_head_dim), None
        if use_causal_mask:
            mask = causal_mask(query, value)
            attention_mask = mask if attention_mask is None else ops.logical_and(
                ops.cast(attention_mask, "bool"), mask)
        query = ops.multiply(query, ops.cast(self._inverse_sqrt_head_dim, query.dtype))
        scores = ops.einsum(self._dot_product_equation, query, key)
        if attention_mask is not None:
            for _ in range(len(scores.shape) - len(attention_mask.shape)):
                attention_mask = ops.expand_dims(attention_mask, axis=-3)
        scores = self._softmax(scores, mask=attention_mask)
        dropped = self._dropout_layer(scores, training=training) if self.dropout > 0.0 else scores
        return ops.einsum(self._combine_equation, dropped, value), scores

    def call(self, query, value, key=None, query_mask=None, value_mask=None, key_mask=None,
             attention_mask=None, return_attention_scores=False, training=None, use_causal_mask=False):
        if key is None:
            key = value
        query_mask, value_mask, key_mask = self._call_masks(query_mask, value_mask, key_mask,
                                                            query, value, key)
        attention_mask, causal_only = self._mask_for_call(
            query, value, query_mask, value_mask, key_mask, attention_mask, use_causal_mask,
            self.sliding_window, GroupQueryAttention)
        gate = self._gate_dense(query) if self.use_gate else None
        query = self._query_dense(query)
        key = ops.repeat(self._key_dense(key), self.num_repeats, axis=2)
        value = ops.repeat(self._value_dense(value), self.num_repeats, axis=2)
        output, scores = self._compute_attention(query, key, value, attention_mask=attention_mask,
                                                 training=training, use_causal_mask=causal_only,
                                                 return_attention_scores=return_attention_scores)
        if gate is not None:
            output = ops.multiply(output, gate)
        output = self._output_dense(output)
        if return_attention_scores:
            return output, scores
        return output

    def compute_output_shape(self, query_shape, value_shape=None, key_shape=None):
        if value_shape is not None:
            key_shape = value_shape if key_shape is None else key_shape
            if query_shape[-1] != value_shape[-1]:
                raise ValueError("The last dimension of `query_shape` and `value_shape` must be equal, "
                                 f"but are {query_shape[-1]}, {value_shape[-1]}. Received: "
                                 f"query_shape={query_shape}, value_shape={value_shape}")
            if tuple(value_shape[1:-1]) != tuple(key_shape[1:-1]):
                raise ValueError("All dimensions of `value` and `key`, except the last one, must be "
                                 f"equal. Received: value_shape={value_shape} and key_shape={key_shape}")
        return tuple(query_shape)

    def get_config(self):
        config = super().get_config()
        config.update({
            "head_dim": self.head_dim,
            "num_query_heads": self.num_query_heads,
            "num_key_value_heads": self.num_key_value_heads,
            "use_bias": self.use_bias,
            "use_gate": self.use_gate,
            "sliding_window": self.sliding_window,
            "dropout": self.dropout,
            "kernel_initializer": initializers.serialize(self._kernel_init),
            "bias_initializer": initializers.serialize(self._bias_init),
            "kernel_regularizer": regularizers.serialize(self._kernel_reg),
            "bias_regularizer": regularizers.serialize(self._bias_reg),
            "activity_regularizer": regularizers.serialize(self._activity_reg),
            "kernel_constraint": constraints.serialize(self._kernel_cons),
            "bias_constraint": constraints.serialize(self._bias_cons),
            "seed": self.seed,
        })
        return config


#: Keras 3's class name (its records write GroupQueryAttention, the name it exports)
GroupedQueryAttention = GroupQueryAttention
