"""Keras 2's ``keras.preprocessing`` import path: ``preprocessing.sequence.pad_sequences``."""
from . import sequence

__all__ = ["sequence"]
