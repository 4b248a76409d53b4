"""Keras layers: the Layer base and one module per family."""
from .convolutional import *  # noqa: F401,F403
from .core import Activation, Dense, Flatten
from .input_layer import Input, InputLayer
from .layer import InputSpec, Layer
from .pooling import *  # noqa: F401,F403
from .reshaping import *  # noqa: F401,F403
from . import convolutional, pooling, reshaping

__all__ = (["Layer", "InputSpec", "Input", "InputLayer", "Dense", "Activation", "Flatten"]
           + convolutional.__all__ + pooling.__all__ + reshaping.__all__)
