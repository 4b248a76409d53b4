"""kerasette: Keras without TensorFlow, on an engine of its own.

Two ways to compute, over one set of ops:

* define-by-run: ``Tensor([3.0], requires_grad=True)``, ops compute at once,
  ``backward()`` fills ``.grad`` (like PyTorch and Chainer);
* define-and-run: ``kerasette.graph`` builds symbolic graphs that compile
  once and run many times (like TensorFlow 1); Keras models compile to such
  programs.
"""
import sys

from . import (activations, backend, callbacks, constraints, datasets, engine, initializers, layers,
               losses, metrics, models, ops, optimizers, primitives, random, regularizers, utils)
from .eager import Tensor, enable_grad, no_grad
from .layers import Input, Layer
from .models import Model, Sequential
from .variables import Variable
from .version import __version__, version


def __getattr__(name):
    # saving pulls in h5py: imported on first use, so ``import kerasette`` stays fast
    if name == "saving":
        import importlib
        return importlib.import_module(".saving", __name__)
    raise AttributeError(f"module 'kerasette' has no attribute {name!r}")


# ``import kerasette as tf`` keeps ``tf.keras.Model(...)`` working: kerasette is its own keras
keras = sys.modules[__name__]

__all__ = [
    "activations", "backend", "callbacks", "constraints", "datasets", "engine", "initializers", "layers",
    "losses", "metrics", "models", "ops", "optimizers", "primitives", "random", "regularizers", "saving",
    "utils",
    "Tensor", "no_grad", "enable_grad", "Input", "Layer", "Model", "Sequential", "Variable", "__version__", "version",
]
