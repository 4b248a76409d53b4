"""MultiHeadAttention: Keras 3's multi-head (dot-product) attention layer.

The layer holds four einsum projections as sublayers, under the attribute
names Keras 3's ``.weights.h5`` files use for them and Keras' layer names:
``query_dense`` (``query``), ``key_dense`` (``key``), ``value_dense``
(``value``) and ``output_dense`` (``attention_output``), plus ``_gate_dense``
(``gate``) with ``use_gate`` (``_query_dense``... read them too, as in Keras),
and ``_softmax`` and ``_dropout_layer``.  Their kernels have Keras' layouts, ``query/kernel`` ``(dim, num_heads, key_dim)`` with
``query/bias`` ``(num_heads, key_dim)``, ``attention_output/kernel``
``(num_heads, value_dim, dim)`` with ``attention_output/bias`` ``(dim,)``, so
Keras 3's ``.weights.h5`` files (which store the sublayers under those
attribute names) and ``get_weights()`` lists fit as they are.

Masks: the query's, value's and key's Keras masks (``_keras_mask``, or
``query_mask=``... for value and key), ``attention_mask`` and
``use_causal_mask`` combine into one boolean ``(B, T, S)`` mask, as Keras 3
combines them; the output carries the query's mask.
"""
from __future__ import annotations

import math
import string

from ... import constraints, initializers, ops, regularizers
from ...ops.masking import get_mask
from ..activation import Softmax
from ..core import Dropout
from ..einsum_dense import EinsumDense
from ..layer import Layer

__all__ = ["MultiHeadAttention"]


def einsum_projection(equation, bias_axes, output_dims, use_bias, name, activation=None, **common):
    """The EinsumDense Keras' attention layers make: ``output_shape`` is ``None`` for the
    free axes and ``output_dims`` for the projected ones."""
    free = len(equation.split("->")[1]) - 1 - len(output_dims)
    return EinsumDense(equation, output_shape=[None] * free + list(output_dims),
                       bias_axes=bias_axes if use_bias else None, activation=activation,
                       name=name, **common)


def input_mask(value):
    """The Keras mask ``value`` carries (the mask table, or an array's ``_keras_mask``)."""
    if value is None:
        return None
    mask = get_mask(value)
    if mask is None:
        mask = getattr(value, "_keras_mask", None)
    return mask


def shape_tuple(value) -> tuple:
    return tuple(value.shape)


def causal_mask(query, value):
    """``(1, T, S)`` booleans, True where ``s <= t`` (Keras' cumsum construction)."""
    q_len = ops.shape(query)[1]
    v_len = q_len if value is None else ops.shape(value)[1]
    ones = ops.ones((1, q_len, v_len), dtype="int32")
    return ops.greater_equal(ops.cumsum(ones, axis=-2), ops.cumsum(ones, axis=-1))


def sliding_window_mask(query, value, window):
    """``(1, T, S)`` booleans, True where ``|t - s| < window``."""
    q_len = ops.shape(query)[1]
    v_len = q_len if value is None else ops.shape(value)[1]
    rows = ops.reshape(ops.arange(q_len, dtype="int32"), (1, q_len, 1))
    cols = ops.reshape(ops.arange(v_len, dtype="int32"), (1, 1, v_len))
    return ops.less(ops.abs(ops.subtract(rows, cols)), window)


def combined_attention_mask(query, value, query_mask=None, value_mask=None, key_mask=None,
                            attention_mask=None, use_causal_mask=False, sliding_window=None):
    """Keras 3's ``_compute_attention_mask``: the inputs' masks, the causal and
    sliding-window masks and ``attention_mask`` joined with a logical and."""
    auto_mask = None
    if query_mask is not None:
        auto_mask = ops.expand_dims(ops.cast(query_mask, "bool"), -1)
    for mask in (value_mask, key_mask):
        if mask is not None:
            mask = ops.expand_dims(ops.cast(mask, "bool"), -2)
            auto_mask = mask if auto_mask is None else ops.logical_and(auto_mask, mask)
    if use_causal_mask:
        mask = causal_mask(query, value)
        auto_mask = mask if auto_mask is None else ops.logical_and(auto_mask, mask)
    if sliding_window is not None:
        mask = sliding_window_mask(query, value, sliding_window)
        auto_mask = mask if auto_mask is None else ops.logical_and(auto_mask, mask)
    if attention_mask is not None:
        attention_mask = ops.cast(attention_mask, "bool")
    if auto_mask is not None:
        attention_mask = auto_mask if attention_mask is None else ops.logical_and(attention_mask, auto_mask)
    return attention_mask


def check_sliding_window(sliding_window):
    if sliding_window is not None and (not isinstance(sliding_window, int) or sliding_window <= 0):
        raise ValueError("`sliding_window` must be `None` or a positive integer. "
                         f"Received: sliding_window={sliding_window}")
    return sliding_window


def check_flash_attention(flash_attention, dropout):
    if flash_attention:
        raise ValueError("Flash attention is not supported by kerasette (it has no fused "
                         "attention kernel); pass flash_attention=None or False")
    return False


class _AttentionCallMixin:
    """What MultiHeadAttention and GroupedQueryAttention share: ``layer(query, value,
    key=None, ...)`` builds from all three shapes, and the inputs' masks are read
    before the call (arrays lose them when the base class wraps them)."""

    def _mask_for_call(self, query, value, query_mask, value_mask, key_mask, attention_mask,
                       use_causal_mask, sliding_window, base_class):
        """``(attention_mask, causal_only)``: with only a causal mask asked for (and the
        class's own attention core), the core applies it itself; otherwise every mask is
        combined into one attention mask."""
        causal_only = (use_causal_mask and query_mask is None and value_mask is None
                       and key_mask is None and attention_mask is None and sliding_window is None
                       and type(self)._compute_attention is base_class._compute_attention)
        if not causal_only:
            attention_mask = combined_attention_mask(
                query, value, query_mask=query_mask, value_mask=value_mask, key_mask=key_mask,
                attention_mask=attention_mask, use_causal_mask=use_causal_mask,
                sliding_window=sliding_window)
        return attention_mask, causal_only

    def __call__(self, query, value=None, key=None, **kwargs):
        if value is None and isinstance(query, (list, tuple)) and len(query) in (2, 3):
            # a model record's call of several positional tensors: [query, value(, key)]
            query, value, key = (list(query) + [key])[:3]
        if value is None:
            raise TypeError(f"{type(self).__name__} '{self.name}' needs `query` and `value`: "
                            "layer(query, value, key=None)")
        if not self.built:
            self.build(shape_tuple(query), shape_tuple(value),
                       None if key is None else shape_tuple(key))
            self.built = True
        masks = {"query_mask": input_mask(query), "value_mask": input_mask(value),
                 "key_mask": input_mask(key)}
        for name in ("value_mask", "key_mask"):
            if kwargs.get(name) is not None:
                masks[name] = kwargs.pop(name)
            kwargs.pop(name, None)
        if kwargs.get("query_mask") is not None and self._explicit_query_mask:
            masks["query_mask"] = kwargs.pop("query_mask")
        kwargs.pop("query_mask", None)
        self._pending_masks.append(masks)
        self._scores_requested.append(bool(kwargs.get("return_attention_scores", False)))
        try:
            if key is not None:
                kwargs["key"] = key
            return super().__call__(query, value, **kwargs)
        finally:
            self._pending_masks.pop()
            self._scores_requested.pop()

    def _call_masks(self, query_mask, value_mask, key_mask, query, value, key):
        if self._pending_masks:
            pending = self._pending_masks[-1]
        else:   # call() run directly, not through __call__: the inputs' own masks
            pending = {"query_mask": input_mask(query), "value_mask": input_mask(value),
                       "key_mask": None if key is value else input_mask(key)}
        query_mask = pending.get("query_mask") if query_mask is None else query_mask
        value_mask = pending.get("value_mask") if value_mask is None else value_mask
        key_mask = pending.get("key_mask") if key_mask is None else key_mask
        return query_mask, value_mask, key_mask

    def compute_mask(self, inputs, mask=None):
        pending = self._pending_masks[-1] if self._pending_masks else {}
        query_mask = pending.get("query_mask", mask)
        if self._scores_requested and self._scores_requested[-1]:
            return [query_mask, None]
        return query_mask

    def get_build_config(self):
        """Keras 3's build config of these layers: ``{"shapes_dict": {"query_shape": ...,
        "value_shape": ...(, "key_shape": ...)}}`` (``build_from_config`` calls
        ``build(**shapes_dict)``)."""
        shapes = getattr(self, "_attention_build_shapes", None)
        if shapes is None:
            return None
        names = ("query_shape", "value_shape", "key_shape")
        return {"shapes_dict": {name: list(shape) for name, shape in zip(names, shapes) if shape is not None}}

    def _remember_build_shapes(self, query_shape, value_shape, key_shape):
        self._attention_build_shapes = (tuple(query_shape), tuple(value_shape),
                                        None if key_shape is None else tuple(key_shape))

    def _common_sublayer_kwargs(self):
        return dict(kernel_initializer=initializers.get(initializers.serialize(self._kernel_init)),
                    bias_initializer=initializers.get(initializers.serialize(self._bias_init)),
                    kernel_regularizer=self._kernel_reg, bias_regularizer=self._bias_reg,
                    activity_regularizer=self._activity_reg, kernel_constraint=self._kernel_cons,
                    bias_constraint=self._bias_cons, dtype=self.dtype)


def _letters(i: int) -> str:
    return string.ascii_lowercase[i]


def build_projection_equation(free_dims: int, bound_dims: int, output_dims: int):
    """Keras' ``_build_proj_equation``: ``("abc,cde->abde", "de", 4)`` for (3-1, 1, 2)."""
    input_str = kernel_str = output_str = bias_axes = ""
    offset = 0
    for i in range(free_dims):
        input_str += _letters(i + offset)
        output_str += _letters(i + offset)
    offset += free_dims
    for i in range(bound_dims):
        input_str += _letters(i + offset)
        kernel_str += _letters(i + offset)
    offset += bound_dims
    for i in range(output_dims):
        kernel_str += _letters(i + offset)
        output_str += _letters(i + offset)
        bias_axes += _letters(i + offset)
    return f"{input_str},{kernel_str}->{output_str}", bias_axes, len(output_str)


def build_attention_equation(rank: int, attn_axes: tuple):
    """Keras' ``_build_attention_equation``: the query-key product and the combination
    einsums for projected tensors of ``rank`` attending over ``attn_axes``."""
    target = "".join(_letters(i) for i in range(rank))
    batch_dims = tuple(i for i in range(rank) if i not in attn_axes + (rank - 1,))
    offset = rank
    source = ""
    for i in range(rank):
        if i in batch_dims or i == rank - 1:
            source += target[i]
        else:
            source += _letters(offset)
            offset += 1
    product = "".join([target[i] for i in batch_dims] + [target[i] for i in attn_axes]
                      + [source[i] for i in attn_axes])
    return f"{source},{target}->{product}", f"{product},{source}->{target}", len(product)


class MultiHeadAttention(_AttentionCallMixin, Layer):
    """Multi-head attention (Vaswani et al.), Keras 3's layer.

    ``layer(query, value, key=None, attention_mask=None, return_attention_scores=False,
    training=None, use_causal_mask=False)``: ``query`` ``(B, T, dim)``, ``value``
    (and ``key``) ``(B, S, dim_v)``; the output is ``(B, T, dim)`` (or
    ``(B, T) + output_shape``); with ``return_attention_scores`` also the
    scores ``(B, num_heads, T, S)``.  ``attention_axes`` chooses the axes attended
    over for inputs of higher rank.

    >>> import numpy
    >>> x = numpy.ones((2, 5, 8), "float32")
    >>> MultiHeadAttention(num_heads=2, key_dim=4)(x, x).shape
    (2, 5, 8)
    """

    _explicit_query_mask = False

    def __init__(self, num_heads, key_dim, value_dim=None, dropout=0.0, use_bias=True,
                 output_shape=None, attention_axes=None, sliding_window=None, flash_attention=None,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, use_gate=False, seed=None, **kwargs):
        if not isinstance(num_heads, int) or isinstance(num_heads, bool) or num_heads <= 0:
            raise ValueError("Received an invalid value for argument `num_heads`, expected a "
                             f"positive integer. Received: num_heads={num_heads}")
        if not isinstance(key_dim, int) or isinstance(key_dim, bool) or key_dim <= 0:
            raise ValueError("Received an invalid value for argument `key_dim`, expected a "
                             f"positive integer. Received: key_dim={key_dim}")
        if value_dim is not None and (not isinstance(value_dim, int) or value_dim <= 0):
            raise ValueError("Received an invalid value for argument `value_dim`, expected a "
                             f"positive integer or `None`. Received: value_dim={value_dim}")
        super().__init__(**kwargs)
        self.supports_masking = True
        self._pending_masks = []
        self._scores_requested = []
        self._num_heads = num_heads
        self._key_dim = key_dim
        self._value_dim = value_dim if value_dim else key_dim
        self._dropout = float(dropout)
        self._use_bias = use_bias
        self._use_gate = use_gate
        if output_shape:
            if isinstance(output_shape, int):
                output_shape = (output_shape,)
            try:
                output_shape = tuple(output_shape)
            except TypeError:
                raise ValueError(f"Invalid `output_shape`: {output_shape}. When specified, the "
                                 "`output_shape` should be of type tuple, list, or int.") from None
        self._output_shape = output_shape
        self._flash_attention = check_flash_attention(flash_attention, dropout)
        self._kernel_init = initializers.get(kernel_initializer)
        self._bias_init = initializers.get(bias_initializer)
        self._kernel_reg = regularizers.get(kernel_regularizer)
        self._bias_reg = regularizers.get(bias_regularizer)
        self._activity_reg = regularizers.get(activity_regularizer)
        self._kernel_cons = constraints.get(kernel_constraint)
        self._bias_cons = constraints.get(bias_constraint)
        if isinstance(attention_axes, int):
            attention_axes = (attention_axes,)
        elif attention_axes and not isinstance(attention_axes, (list, tuple)):
            raise ValueError("`attention_axes` must be an int, list, or tuple."
                             f"Received: attention_axes={attention_axes}")
        self._attention_axes = None if attention_axes is None else tuple(attention_axes)
        self._sliding_window = check_sliding_window(sliding_window)
        self.seed = seed
        self._inverse_sqrt_key_dim = 1.0 / math.sqrt(float(self._key_dim))

    num_heads = property(lambda self: self._num_heads)
    key_dim = property(lambda self: self._key_dim)
    value_dim = property(lambda self: self._value_dim)
    dropout = property(lambda self: self._dropout)
    use_bias = property(lambda self: self._use_bias)
    attention_axes = property(lambda self: self._attention_axes)
    # Keras 3 keeps the projections in _query_dense... and exposes query_dense...; its
    # .weights.h5 files name them by the public names, so those are the attributes here
    _query_dense = property(lambda self: self.query_dense)
    _key_dense = property(lambda self: self.key_dense)
    _value_dense = property(lambda self: self.value_dense)
    _output_dense = property(lambda self: self.output_dense)

    def _projection(self, rank, bound, heads_dims, name, activation=None):
        equation, bias_axes, _ = build_projection_equation(rank - bound, bound, len(heads_dims))
        return einsum_projection(equation, bias_axes, heads_dims, self._use_bias, name, activation,
                                 **self._common_sublayer_kwargs())

    def build(self, query_shape, value_shape=None, key_shape=None):
        if value_shape is None:
            return   # built by __call__, which knows every input's shape
        self._remember_build_shapes(query_shape, value_shape, key_shape)
        query_shape, value_shape = tuple(query_shape), tuple(value_shape)
        key_shape = value_shape if key_shape is None else tuple(key_shape)
        if value_shape[1:-1] != key_shape[1:-1]:
            raise ValueError("All dimensions of `value` and `key`, except the last one, must be "
                             f"equal. Received: value_shape={value_shape} and key_shape={key_shape}")
        heads_k, heads_v = (self._num_heads, self._key_dim), (self._num_heads, self._value_dim)
        self.query_dense = self._projection(len(query_shape), 1, heads_k, "query")
        self.query_dense.build(query_shape)
        self.key_dense = self._projection(len(key_shape), 1, heads_k, "key")
        self.key_dense.build(key_shape)
        if self._use_gate:
            self._gate_dense = self._projection(len(query_shape), 1, heads_v, "gate", "sigmoid")
            self._gate_dense.build(query_shape)
        self.value_dense = self._projection(len(value_shape), 1, heads_v, "value")
        self.value_dense.build(value_shape)
        rank = len(value_shape) + 1
        if self._attention_axes is None:
            self._attention_axes = tuple(range(1, rank - 2))
        else:
            self._attention_axes = tuple(a if a >= 0 else (rank - 1) + a for a in self._attention_axes)
        self._dot_product_equation, self._combine_equation, scores_rank = build_attention_equation(
            rank, self._attention_axes)
        norm_axes = tuple(range(scores_rank - len(self._attention_axes), scores_rank))
        self._softmax = Softmax(axis=norm_axes, dtype=self.dtype)
        self._dropout_layer = Dropout(rate=self._dropout, seed=self.seed, dtype=self.dtype)
        output_dims = self._output_shape if self._output_shape else (query_shape[-1],)
        self.output_dense = self._projection(len(query_shape) + 1, 2, tuple(output_dims),
                                              "attention_output")
        projected = tuple(query_shape[:-1]) + (self._num_heads, self._value_dim)
        self.output_dense.build(projected)
        self.built = True

    def _masked_softmax(self, scores, attention_mask=None):
        if attention_mask is not None:
            axis = -len(self._attention_axes) * 2 - 1
            for _ in range(len(scores.shape) - len(attention_mask.shape)):
                attention_mask = ops.expand_dims(attention_mask, axis=axis)
        return self._softmax(scores, mask=attention_mask)

    def _compute_attention(self, query, key, value, attention_mask=None, training=None,
                           return_attention_scores=False, use_causal_mask=False):
        """Keras 3's two paths: ``ops.dot_product_attention`` for 4-D projections without
        dropout or returned scores (a fully masked row attends uniformly there), else
        the einsums with the masked Softmax (a fully masked row gives zeros)."""
        if not (self._dropout > 0.0 or return_attention_scores or len(query.shape) != 4):
            if use_causal_mask and attention_mask is None:
                return ops.dot_product_attention(query, key, value, scale=self._inverse_sqrt_key_dim,
                                                 is_causal=True), None
            if attention_mask is not None:
                axis = -len(self._attention_axes) * 2 - 1
                for _ in range(4 - len(attention_mask.shape)):
                    attention_mask = ops.expand_dims(attention_mask, axis=axis)
                attention_mask = ops.cast(attention_mask, "bool")
            return ops.dot_product_attention(query, key, value, mask=attention_mask,
                                             scale=self._inverse_sqrt_key_dim), None
        if use_causal_mask:
            mask = causal_mask(query, value)
            attention_mask = mask if attention_mask is None else ops.logical_and(
                ops.cast(attention_mask, "bool"), mask)
        query = ops.multiply(query, ops.cast(self._inverse_sqrt_key_dim, query.dtype))
        scores = ops.einsum(self._dot_product_equation, key, query)
        scores = self._masked_softmax(scores, attention_mask)
        dropped = self._dropout_layer(scores, training=training) if self._dropout > 0.0 else scores
        return ops.einsum(self._combine_equation, dropped, value), scores

    def call(self, query, value, key=None, query_mask=None, value_mask=None, key_mask=None,
             attention_mask=None, return_attention_scores=False, training=None, use_causal_mask=False):
        query_mask, value_mask, key_mask = self._call_masks(None, value_mask, key_mask, query, value, key)
        if key is None:
            key = value
        attention_mask, causal_only = self._mask_for_call(
            query, value, query_mask, value_mask, key_mask, attention_mask, use_causal_mask,
            self._sliding_window, MultiHeadAttention)
        gate = self._gate_dense(query) if self._use_gate else None
        query = self._query_dense(query)
        key = self._key_dense(key)
        value = self._value_dense(value)
        extra = {"use_causal_mask": True} if causal_only else {}
        output, scores = self._compute_attention(query, key, value, attention_mask, training,
                                                 return_attention_scores, **extra)
        if gate is not None:
            output = ops.multiply(output, gate)
        output = self._output_dense(output)
        if return_attention_scores:
            return output, scores
        return output

    def compute_output_shape(self, query_shape, value_shape=None, key_shape=None):
        query_shape = tuple(query_shape)
        if value_shape is not None:
            value_shape = tuple(value_shape)
            key_shape = value_shape if key_shape is None else tuple(key_shape)
            if value_shape[1:-1] != key_shape[1:-1]:
                raise ValueError("All dimensions of `value` and `key`, except the last one, must be "
                                 f"equal. Received: value_shape={value_shape} and key_shape={key_shape}")
        if self._output_shape:
            return query_shape[:-1] + tuple(self._output_shape)
        return query_shape

    def get_config(self):
        config = super().get_config()
        config.update({
            "num_heads": self._num_heads,
            "key_dim": self._key_dim,
            "value_dim": self._value_dim,
            "dropout": self._dropout,
            "use_bias": self._use_bias,
            "use_gate": self._use_gate,
            "output_shape": self._output_shape,
            "attention_axes": self._attention_axes,
            "sliding_window": self._sliding_window,
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
