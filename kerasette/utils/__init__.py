"""Utilities around training: the progress bar and the message printer callbacks share.

``kerasette.utils.Progbar`` is Keras' ``keras.utils.Progbar``; data helpers
(``to_categorical``, ...) join this package as they are written.
"""
from .progbar import Progbar, print_msg

__all__ = ["Progbar", "print_msg"]
