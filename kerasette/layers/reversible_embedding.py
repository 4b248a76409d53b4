"""ReversibleEmbedding: an Embedding that can also project back from ``output_dim`` to ``input_dim``.

Keras 3's layer for language models.  ``layer(ids)`` embeds like
``Embedding``; ``layer(hidden, reverse=True)`` multiplies the last axis by
the transposed ``embeddings`` (``tie_weights=True``, the default) or by a
weight of its own, ``reverse_embeddings`` ``(output_dim, input_dim)``
(``tie_weights=False``, made after ``embeddings`` with the same
initializer).  ``logit_soft_cap`` bounds the logits:
``tanh(logits / cap) * cap``; ``reverse_dtype`` casts both operands of the
reverse matmul.  No bias.  Weight names, order and config are Keras 3's.
"""
from __future__ import annotations

import numpy

from .. import ops
from .core import Embedding

__all__ = ["ReversibleEmbedding"]


class ReversibleEmbedding(Embedding):
    """``Embedding`` plus the reverse projection ``call(inputs, reverse=True)`` to ``input_dim`` logits.

    >>> embedding = ReversibleEmbedding(100, 8)
    >>> embedding(embedding(numpy.zeros((2, 5), "int32")), reverse=True).shape
    (2, 5, 100)
    """

    def __init__(self, input_dim, output_dim, tie_weights=True, embeddings_initializer="uniform",
                 embeddings_regularizer=None, embeddings_constraint=None, mask_zero=False,
                 reverse_dtype=None, logit_soft_cap=None, **kwargs):
        kwargs.pop("quantization_config", None)
        super().__init__(input_dim, output_dim, embeddings_initializer=embeddings_initializer,
                         embeddings_regularizer=embeddings_regularizer,
                         embeddings_constraint=embeddings_constraint, mask_zero=mask_zero, **kwargs)
        self.tie_weights = bool(tie_weights)
        self.reverse_dtype = reverse_dtype
        self.logit_soft_cap = logit_soft_cap
        self.reverse_embeddings = None

    def build(self, input_shape=None):
        super().build(input_shape)
        if not self.tie_weights:
            self.reverse_embeddings = self.add_weight(name="reverse_embeddings",
                                                      shape=(self.output_dim, self.input_dim),
                                                      initializer=self.embeddings_initializer, trainable=True)
        self.built = True

    def call(self, inputs, reverse=False):
        if not reverse:
            return super().call(inputs)
        kernel = ops.transpose(self.embeddings) if self.tie_weights else self.reverse_embeddings
        if self.reverse_dtype is not None:
            inputs = ops.cast(inputs, self.reverse_dtype)
            kernel = ops.cast(kernel, self.reverse_dtype)
        logits = ops.matmul(inputs, kernel)
        if self.logit_soft_cap is not None:
            cap = self.logit_soft_cap
            logits = ops.multiply(ops.tanh(ops.divide(logits, cap)), cap)
        return logits

    def compute_mask(self, inputs, mask=None):
        # ids get Embedding's mask; the reverse call's float hidden states get none, as in Keras
        if numpy.dtype(inputs.dtype).kind not in "iu":
            return None
        return super().compute_mask(inputs, mask)

    def compute_output_shape(self, input_shape, reverse=False):
        if reverse:
            return tuple(input_shape[:-1]) + (self.input_dim,)
        return tuple(input_shape) + (self.output_dim,)

    def get_config(self):
        config = super().get_config()
        config.pop("input_length", None)
        config.update({"tie_weights": self.tie_weights, "reverse_dtype": self.reverse_dtype,
                       "logit_soft_cap": self.logit_soft_cap})
        return config
