"""Utilities around training: the progress bar, the message printer callbacks
share, and ``set_random_seed``.

``kerasette.utils.Progbar`` and ``set_random_seed`` are Keras' own
``keras.utils`` names; data helpers (``to_categorical``, ...) join this
package as they are written.
"""
from .progbar import Progbar, print_msg
from .seeding import set_random_seed

__all__ = ["Progbar", "print_msg", "set_random_seed"]
