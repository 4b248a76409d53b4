"""Models: functional ``Model``, ``Sequential``, subclassing and ``summary()``;
``load_model`` and ``model_from_json`` read what ``save`` and ``to_json`` write."""
from ..layers.serialization import register_model_classes
from .cloning import clone_model
from .config import functional_from_config
from .model import GraphError, Model
from .sequential import Sequential

# model configs name these classes; layer deserialization (on the layers floor) finds them here
register_model_classes(Model, Sequential, functional_from_config)


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """A model saved with ``model.save`` (kerasette, tf.keras or Keras 3 files)."""
    from ..saving import load_model as load
    return load(filepath, custom_objects=custom_objects, compile=compile, safe_mode=safe_mode)


def save_model(model, filepath, overwrite=True, **kwargs):
    """``model.save(filepath)``: a ``.keras`` archive, or legacy HDF5 for a ``.h5`` name."""
    from ..saving import save_model as save
    return save(model, filepath, overwrite=overwrite, **kwargs)


def model_from_json(json_string, custom_objects=None):
    """A model (fresh weights) from ``model.to_json()``."""
    from ..saving import model_from_json as from_json
    return from_json(json_string, custom_objects=custom_objects)


__all__ = ["Model", "Sequential", "GraphError", "clone_model", "load_model", "save_model", "model_from_json"]
