"""Keras layers: the Layer base and one module per family."""
from .core import Activation, Dense, Flatten
from .input_layer import Input, InputLayer
from .layer import InputSpec, Layer

__all__ = ["Layer", "InputSpec", "Input", "InputLayer", "Dense", "Activation", "Flatten"]
