"""Identity: a placeholder layer that returns its inputs (Keras 3's keras.layers.Identity)."""
from __future__ import annotations

from .layer import Layer

__all__ = ["Identity"]


class Identity(Layer):
    """Returns its inputs unchanged (any nesting), masks included.

    >>> Identity()(Input(shape=(3,))).shape
    (None, 3)
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.built = True

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape
