"""Keras' ``keras.utils``: the progress bar, seeding, and data helpers.

``Progbar``, ``set_random_seed``, ``to_categorical``, ``normalize``,
``split_dataset``, ``pad_sequences`` and ``Sequence`` (alias ``PyDataset``) carry
Keras' names;
``print_msg`` is how callbacks print above a live progress bar.
Image files (``load_img``, ``img_to_array``, ``array_to_img``, ``save_img``)
need Pillow; ``prefetch`` loads a PyDataset's batches in parallel.
The dataset builders (``image_dataset_from_directory``...) and ``get_file``
live on other floors; the public face (kerasette/__init__.py) adds them here,
with ``is_keras_tensor`` and ``get_source_inputs`` (they read the engine's
graphs).  ``Config`` is Keras 3's attribute-dict of settings;
``clear_session``, ``standardize_dtype`` and the interactive-logging switch
are ``kerasette.backend``'s.  ``FeatureSpace`` (built on the preprocessing layers) is attached here by the public face.
"""
import gc

from ..backend import (disable_interactive_logging, enable_interactive_logging, is_interactive_logging_enabled,
                       standardize_dtype)
from ..backend import clear_session as _clear_session
from .config import Config
from .data_utils import (PyDataset, Sequence, normalize, pack_x_y_sample_weight, split_dataset, to_categorical,
                         unpack_x_y_sample_weight)
from .image_utils import array_to_img, img_to_array, load_img, save_img
from .progbar import Progbar, print_msg
from .seeding import set_random_seed
from .sequences import pad_sequences

__all__ = ["Progbar", "print_msg", "set_random_seed", "PyDataset", "Sequence", "normalize",
           "split_dataset", "to_categorical", "pad_sequences", "pack_x_y_sample_weight", "unpack_x_y_sample_weight",
           "array_to_img", "img_to_array", "load_img", "save_img", "Config", "clear_session",
           "disable_interactive_logging", "enable_interactive_logging", "is_interactive_logging_enabled",
           "standardize_dtype"]


def clear_session(free_memory: bool = True) -> None:
    """Keras' ``clear_session``: forget generated layer names and reset graphs; with ``free_memory``
    (the default) also run Python's garbage collector."""
    _clear_session()
    if free_memory:
        gc.collect()
