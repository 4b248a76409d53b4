"""Models: functional ``Model``, ``Sequential``, subclassing and ``summary()``."""
from .model import GraphError, Model
from .sequential import Sequential

__all__ = ["Model", "Sequential", "GraphError"]
