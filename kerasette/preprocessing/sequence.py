"""``keras.preprocessing.sequence`` (Keras 2): ``pad_sequences``, also in ``kerasette.utils``."""
from ..utils.sequences import pad_sequences

__all__ = ["pad_sequences"]
