"""Keras' ``keras.utils``: the progress bar, seeding, and data helpers.

``Progbar``, ``set_random_seed``, ``to_categorical``, ``normalize``,
``split_dataset``, ``pad_sequences`` and ``Sequence`` (alias ``PyDataset``) carry
Keras' names;
``print_msg`` is how callbacks print above a live progress bar.
"""
from .data_utils import PyDataset, Sequence, normalize, split_dataset, to_categorical
from .progbar import Progbar, print_msg
from .seeding import set_random_seed
from .sequences import pad_sequences

__all__ = ["Progbar", "print_msg", "set_random_seed", "PyDataset", "Sequence", "normalize",
           "split_dataset", "to_categorical", "pad_sequences"]
