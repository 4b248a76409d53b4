"""The public op functions: ``kerasette.ops.relu(x)``, ``conv2d(x, kernel)``, ...

Each takes symbolic nodes, eager Tensors or plain arrays (see ``core``).
Importing this package also installs the named methods (``.sum()``,
``.reshape()``, indexing, ...) on both kinds of tensor, in one place.

No module of this package is named like an op (``ops.shape`` is the
function; the shape ops live in ``shape_ops``): a submodule would shadow
the op of its name once imported.
"""
from . import (activations, arrays, control_flow, convolution, creation, ctc, image, introspection,  # noqa: F401
               linalg, math, neural, nn, numeric, reduction, shape_ops, sorting, spectral)
from .activations import *  # noqa: F401,F403
from .arrays import *  # noqa: F401,F403
from .control_flow import *  # noqa: F401,F403
from .convolution import *  # noqa: F401,F403
from .core import apply  # noqa: F401
from .creation import *  # noqa: F401,F403
from .ctc import *  # noqa: F401,F403
from .introspection import *  # noqa: F401,F403
from .linalg import *  # noqa: F401,F403
from .math import *  # noqa: F401,F403
from .methods import install_methods
from .neural import *  # noqa: F401,F403
from .nn import *  # noqa: F401,F403
from .numeric import *  # noqa: F401,F403
from .reduction import *  # noqa: F401,F403
from .shape_ops import *  # noqa: F401,F403
from .sorting import *  # noqa: F401,F403
from .spectral import *  # noqa: F401,F403
from . import numpy  # noqa: E402,F401  (the keras.ops.numpy namespace, after every family)

install_methods()
