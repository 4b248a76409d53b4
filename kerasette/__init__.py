"""kerasette: Keras without TensorFlow, on an engine of its own.

Two ways to compute, over one set of ops:

* define-by-run: ``Tensor([3.0], requires_grad=True)``, ops compute at once,
  ``backward()`` fills ``.grad`` (like PyTorch and Chainer);
* define-and-run: ``kerasette.graph`` builds symbolic graphs that compile
  once and run many times (like TensorFlow 1); Keras models compile to such
  programs.
"""
import sys

from . import (activations, backend, callbacks, config, constraints, datasets, engine, initializers, layers,
               losses, metrics, models, ops, optimizers, primitives, random, regularizers, saving, utils)
from .eager import Tensor, enable_grad, no_grad
from .layers import Input, Layer
from .models import Model, Sequential
from .variables import Variable
from .version import __version__, version

from . import applications  # the top floor: image models over models and layers
from . import export  # noqa: F401  (the top floor: model.export(format="onnx") registers here)
from . import distribution  # noqa: F401  (keras.distribution: data parallel over MPI, mpi4py imported lazily)


# keras.utils offers keras.saving's registration and serialization functions too; utils sits on
# the bottom floor and never imports saving, so the public face hands them over (saving imports
# h5py only when a file is first read or written)
for _name in ("register_keras_serializable", "custom_object_scope", "CustomObjectScope", "get_custom_objects",
              "get_registered_name", "get_registered_object", "serialize_keras_object",
              "deserialize_keras_object"):
    setattr(utils, _name, getattr(saving, _name))
    utils.__all__.append(_name)
del _name

# keras.utils' dataset builders live on the data floor (they resize images with ops), and its
# get_file beside kerasette's downloader in datasets; both are handed to utils here
from . import data  # noqa: E402
from .datasets.files import get_file as _get_file  # noqa: E402

for _name in data.__all__[:4]:
    setattr(utils, _name, getattr(data, _name))
    utils.__all__.append(_name)
utils.get_file = _get_file
utils.__all__.append("get_file")
del _name, _get_file

# keras.utils.FeatureSpace builds on the preprocessing layers (and saves through saving): handed to utils
from .layers.preprocessing import feature_space as _feature_space  # noqa: E402

_feature_space._SAVER[0] = saving.save_model
utils.FeatureSpace = _feature_space.FeatureSpace
utils.__all__.append("FeatureSpace")
del _feature_space

# keras.utils.plot_model / model_to_dot (and kerasette's plot_history) draw models and histories:
# they live on the top floor (visualization, which reads models' graphs), handed to utils here
from . import visualization  # noqa: E402

for _name in ("plot_model", "model_to_dot", "plot_history"):
    setattr(utils, _name, getattr(visualization, _name))
    utils.__all__.append(_name)
del _name


def _keras3_model_json(model) -> str:
    """Keras 3's ``model.to_json()`` text, which the TensorBoard callback writes for TensorBoard's graph
    plugin (callbacks sit below saving, so the public face hands them the serializer)."""
    import json
    from .saving.serialization import json_default
    return json.dumps(saving.serialize_keras_object(model), default=json_default)


callbacks.tensorboard.model_json = _keras3_model_json

# keras' dtype policies, mixed precision, Operation/Function and the base classes the top level
# names; keras.config's policy functions and keras.backend's result_type/is_keras_tensor (which
# need the ops and engine floors, above backend and config) are handed over here
from . import dtype_policies, mixed_precision, operations  # noqa: E402
from .dtype_policies import DTypePolicy, FloatDTypePolicy  # noqa: E402
from .engine import Node as KerasTensor  # noqa: E402
from .initializers import Initializer  # noqa: E402
from .layers import InputSpec  # noqa: E402
from .losses import Loss  # noqa: E402
from .metrics import Metric  # noqa: E402
from .operations import Function, Operation  # noqa: E402
from .optimizers import Optimizer  # noqa: E402
from .regularizers import Regularizer  # noqa: E402

config.dtype_policy = dtype_policies.dtype_policy
config.set_dtype_policy = dtype_policies.set_dtype_policy


def _result_type(*dtypes) -> str:
    """keras.backend.result_type: Keras' promotion of dtypes (Python int/float/bool are weak)."""
    from .primitives.dtypes import result_type
    if not dtypes:
        return backend.floatx()
    return result_type(*[d if d in (int, float, bool) else backend.standardize_dtype(d)
                         for d in dtypes]).name


def _is_keras_tensor(x) -> bool:
    """keras.backend.is_keras_tensor: whether ``x`` is a symbolic tensor (a graph node)."""
    return isinstance(x, engine.Node)


def _get_source_inputs(tensor):
    """keras.utils.get_source_inputs: the ``Input`` tensors that ``tensor`` is computed from, in the
    order met walking back from it, each once (``[tensor]`` for an Input; a non-symbolic value as is)."""
    if not isinstance(tensor, engine.Node):
        return tensor
    # the engine's depth-first walk meets the first input's sources first
    return [node for node in engine.topological_order([tensor]) if node.kind == "placeholder"]


backend.result_type = _result_type
backend.is_keras_tensor = _is_keras_tensor
config.enable_unsafe_deserialization = saving.enable_unsafe_deserialization
utils.is_keras_tensor = _is_keras_tensor
utils.get_source_inputs = _get_source_inputs
for _module, _names in ((config, ("dtype_policy", "set_dtype_policy", "enable_unsafe_deserialization")),
                        (backend, ("result_type", "is_keras_tensor")),
                        (utils, ("is_keras_tensor", "get_source_inputs"))):
    if hasattr(_module, "__all__"):
        _module.__all__.extend(n for n in _names if n not in _module.__all__)
del _module, _names

# keras.tree (nested structures) lives on the utils floor; `import kerasette.tree` finds it too
from .utils import tree  # noqa: E402

sys.modules[__name__ + ".tree"] = tree

# keras.preprocessing: the dataset builders (and Keras 2's preprocessing.sequence), top floor
from . import preprocessing  # noqa: E402

# keras.name_scope and keras.device (variable-path scopes; placement, CPU only) live in backend
name_scope = backend.name_scope
device = backend.device

# ``import kerasette as tf`` keeps ``tf.keras.Model(...)`` working: kerasette is its own keras
keras = sys.modules[__name__]

__all__ = [
    "activations", "backend", "callbacks", "config", "constraints", "datasets", "engine", "initializers", "layers",
    "losses", "metrics", "models", "ops", "optimizers", "primitives", "random", "regularizers", "saving",
    "utils", "applications", "visualization", "distribution",
    "Tensor", "no_grad", "enable_grad", "Input", "Layer", "Model", "Sequential", "Variable", "__version__", "version",
    "dtype_policies", "mixed_precision", "operations", "DTypePolicy", "FloatDTypePolicy", "KerasTensor",
    "Initializer", "InputSpec", "Loss", "Metric", "Function", "Operation", "Optimizer", "Regularizer",
    "name_scope", "device", "tree", "preprocessing",
]
