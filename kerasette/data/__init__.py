"""Datasets from files and arrays: Keras 3's ``keras.utils.*_dataset_from_*``.

``image_dataset_from_directory``, ``text_dataset_from_directory``,
``audio_dataset_from_directory`` and ``timeseries_dataset_from_array`` return
``PyDataset`` objects that load their batches on demand (``dataset``), in
parallel where asked. They live on their own floor, above ``ops`` (images are
resized by ``ops.image.resize``) and below layers; the public face offers them
as ``kerasette.utils.*``, where Keras users look for them.
"""
from .dataset import FileDataset, MappedDataset
from .image_dataset import image_dataset_from_directory
from .text_audio import audio_dataset_from_directory, text_dataset_from_directory
from .timeseries import TimeseriesDataset, timeseries_dataset_from_array

__all__ = ["image_dataset_from_directory", "text_dataset_from_directory", "audio_dataset_from_directory",
           "timeseries_dataset_from_array", "FileDataset", "MappedDataset", "TimeseriesDataset"]
