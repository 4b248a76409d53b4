"""AdditiveAttention: Keras 3's Bahdanau-style attention layer.

Scores ``sum(scale * tanh(query + key), axis=-1)`` with a ``scale`` weight of
shape ``(dim,)`` (``use_scale=True``, Glorot-uniform), then Attention's masked
softmax and weighted sum of ``value``.
"""
from __future__ import annotations

from ... import ops
from .attention import Attention

__all__ = ["AdditiveAttention"]


class AdditiveAttention(Attention):
    """Additive attention over ``[query, value]`` or ``[query, value, key]``.

    >>> import numpy
    >>> q, v = numpy.ones((2, 3, 4), "float32"), numpy.ones((2, 5, 4), "float32")
    >>> AdditiveAttention()([q, v]).shape
    (2, 3, 4)
    """

    def __init__(self, use_scale=True, dropout=0.0, **kwargs):
        super().__init__(use_scale=use_scale, dropout=dropout, **kwargs)

    def build(self, input_shape):
        self._validate_inputs(input_shape)
        dim = input_shape[0][-1]
        self.scale = None
        self.concat_score_weight = None
        if self.use_scale:
            self.scale = self.add_weight(name="scale", shape=(dim,), initializer="glorot_uniform",
                                         trainable=True)
        self.built = True

    def _calculate_scores(self, query, key):
        summed = ops.tanh(ops.add(ops.expand_dims(query, axis=-2), ops.expand_dims(key, axis=-3)))
        if self.use_scale:
            summed = ops.multiply(self.scale, summed)
        return ops.sum(summed, axis=-1)

    def get_config(self):
        config = super().get_config()
        del config["score_mode"]
        return config
