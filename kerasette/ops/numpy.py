"""``kerasette.ops.numpy``: Keras 3's ``keras.ops.numpy`` namespace.

The functions live in the family modules of this package; this module only
gathers the numpy-like ones under the names Keras gives them.
"""
# The package's own modules, imported relatively: ``numpy`` below is never the numpy library.
from .arrays import *  # noqa: F401,F403
from .creation import *  # noqa: F401,F403
from .introspection import ndim, size  # noqa: F401
from .linalg import correlate, corrcoef, dot, einsum, matmul, slogdet, tensordot, trapezoid  # noqa: F401
from .math import *  # noqa: F401,F403
from .numeric import *  # noqa: F401,F403
from .reduction import *  # noqa: F401,F403
from .shape_ops import *  # noqa: F401,F403
from .sorting import *  # noqa: F401,F403
from .spectral import bartlett, blackman, hamming, hanning, kaiser  # noqa: F401
from .activations import tanh  # noqa: F401
from .control_flow import vectorize  # noqa: F401
