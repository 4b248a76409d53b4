"""kerasette: Keras without TensorFlow, on an engine of its own."""
from . import backend, engine, ops, primitives
from .eager import Tensor, enable_grad, no_grad

__version__ = "0.1.0"
__all__ = ["backend", "engine", "ops", "primitives", "Tensor", "no_grad", "enable_grad"]
