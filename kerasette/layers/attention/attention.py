"""Attention: Keras 3's dot-product (Luong-style) attention layer.

``Attention()([query, value])`` or ``([query, value, key])`` on
``(B, Tq, dim)`` and ``(B, Tv, dim)``: scores ``query . key`` (``score_mode=
"dot"``, times the ``scale`` weight with ``use_scale``) or
``concat_score_weight * sum(tanh(scale * (query + key)))`` (``"concat"``), a
softmax over ``Tv`` with the value's mask (and ``use_causal_mask``) applied,
then the weighted sum of ``value``; positions the query's mask hides give zeros.
"""
from __future__ import annotations

from ... import ops
from ..core import seed_generator
from ..layer import Layer

__all__ = ["Attention"]


class Attention(Layer):
    """Dot-product attention over a list ``[query, value]`` or ``[query, value, key]``.

    >>> import numpy
    >>> q, v = numpy.ones((2, 3, 4), "float32"), numpy.ones((2, 5, 4), "float32")
    >>> Attention()([q, v]).shape
    (2, 3, 4)
    """

    def __init__(self, use_scale=False, score_mode="dot", dropout=0.0, seed=None, **kwargs):
        # Keras 2's `causal` constructor argument became Keras 3's call(use_causal_mask=)
        self._causal = bool(kwargs.pop("causal", False))
        super().__init__(**kwargs)
        self.use_scale = use_scale
        self.score_mode = score_mode
        self.dropout = float(dropout)
        self.seed = seed
        self._generator = seed_generator(seed)
        self.supports_masking = True
        if self.score_mode not in ["dot", "concat"]:
            raise ValueError("Invalid value for argument score_mode. Expected one of {'dot', 'concat'}. "
                             f"Received: score_mode={score_mode}")

    def build(self, input_shape):
        self._validate_inputs(input_shape)
        self.scale = None
        self.concat_score_weight = None
        if self.use_scale:
            self.scale = self.add_weight(name="scale", shape=(), initializer="ones", trainable=True)
        if self.score_mode == "concat":
            self.concat_score_weight = self.add_weight(name="concat_score_weight", shape=(),
                                                       initializer="ones", trainable=True)
        self.built = True

    def _calculate_scores(self, query, key):
        if self.score_mode == "dot":
            scores = ops.matmul(query, ops.transpose(key, (*range(len(key.shape) - 2), -1, -2)))
            if self.scale is not None:
                scores = ops.multiply(scores, self.scale)
            return scores
        summed = ops.add(ops.expand_dims(query, axis=-2), ops.expand_dims(key, axis=-3))
        if self.scale is not None:
            summed = ops.multiply(self.scale, summed)
        return ops.multiply(self.concat_score_weight, ops.sum(ops.tanh(summed), axis=-1))

    def _apply_scores(self, scores, value, scores_mask=None, training=False):
        if scores_mask is not None:
            padding_mask = ops.logical_not(ops.cast(scores_mask, "bool"))
            max_value = 65504.0 if str(scores.dtype) == "float16" else 1.0e9
            if len(padding_mask.shape) == 2:
                padding_mask = ops.expand_dims(padding_mask, axis=-2)
            scores = ops.where(padding_mask, ops.subtract(scores, max_value), scores)
        weights = ops.softmax(scores, axis=-1)
        if training and self.dropout > 0:
            weights = ops.dropout(weights, self.dropout, seed=self._generator)
        return ops.matmul(weights, value), weights

    def _calculate_score_mask(self, scores, v_mask, use_causal_mask):
        if not use_causal_mask:
            return v_mask
        shape = ops.shape(scores)
        ones = ops.ones((1, shape[-2], shape[-1]), dtype="int32")
        causal = ops.greater_equal(ops.cumsum(ones, axis=-2), ops.cumsum(ones, axis=-1))
        if v_mask is not None:
            return ops.logical_and(ops.expand_dims(ops.cast(v_mask, "bool"), axis=-2), causal)
        return causal

    def call(self, inputs, mask=None, training=False, return_attention_scores=False,
             use_causal_mask=False):
        self._validate_inputs(inputs, mask)
        query, value = inputs[0], inputs[1]
        key = inputs[2] if len(inputs) > 2 else value
        q_mask = mask[0] if mask else None
        v_mask = mask[1] if mask else None
        scores = self._calculate_scores(query, key)
        scores_mask = self._calculate_score_mask(scores, v_mask, use_causal_mask or self._causal)
        output, weights = self._apply_scores(scores, value, scores_mask, training=training)
        if q_mask is not None:
            output = ops.where(ops.expand_dims(ops.cast(q_mask, "bool"), axis=-1), output, 0.0)
        if return_attention_scores:
            return output, weights
        return output

    def __call__(self, inputs, *args, **kwargs):
        self._scores_requested = bool(kwargs.get("return_attention_scores", False))
        return super().__call__(inputs, *args, **kwargs)

    def compute_mask(self, inputs, mask=None):
        self._validate_inputs(inputs, mask)
        if mask is None or mask[0] is None:
            return None
        if getattr(self, "_scores_requested", False):
            return [mask[0], None]
        return mask[0]

    def compute_output_shape(self, input_shape):
        return (*input_shape[0][:-1], input_shape[1][-1])

    def _validate_inputs(self, inputs, mask=None):
        name = type(self).__name__
        if not isinstance(inputs, (list, tuple)):
            raise ValueError(f"{name} layer must be called on a list of inputs, namely [query, value] "
                             f"or [query, value, key]. Received: inputs={inputs}.")
        if len(inputs) < 2 or len(inputs) > 3:
            raise ValueError(f"{name} layer accepts inputs list of length 2 or 3, namely [query, value] "
                             f"or [query, value, key]. Received length: {len(inputs)}.")
        if mask is not None:
            if not isinstance(mask, (list, tuple)):
                raise ValueError(f"{name} layer mask must be a list, namely [query_mask, value_mask]. "
                                 f"Received: mask={mask}.")
            if len(mask) < 2 or len(mask) > 3:
                raise ValueError(f"{name} layer accepts mask list of length 2 or 3. "
                                 f"Received: inputs={inputs}, mask={mask}.")

    def get_config(self):
        config = super().get_config()
        config.update({"use_scale": self.use_scale, "score_mode": self.score_mode,
                       "dropout": self.dropout, "seed": self.seed})
        return config
