"""Keras' ``keras.preprocessing``: Keras 3's dataset builders (``image_dataset_from_directory``,
``text_dataset_from_directory``, ``timeseries_dataset_from_array``, the same functions as in
``kerasette.utils``) and Keras 2's ``preprocessing.sequence.pad_sequences`` import path."""
from . import sequence
from ..data import image_dataset_from_directory, text_dataset_from_directory, timeseries_dataset_from_array

__all__ = ["sequence", "image_dataset_from_directory", "text_dataset_from_directory",
           "timeseries_dataset_from_array"]
