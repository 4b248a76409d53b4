"""Keras layers: the Layer base and one module per family."""
from . import activation, convolutional, core, merging, noise, normalization, pooling, recurrent, reshaping, wrappers
from . import attention
from . import adaptive_pooling
from . import conv_lstm
from .activation import *  # noqa: F401,F403
from .adaptive_pooling import *  # noqa: F401,F403
from .attention import *  # noqa: F401,F403
from .conv_lstm import *  # noqa: F401,F403
from .convolutional import *  # noqa: F401,F403
from .core import *  # noqa: F401,F403
from .einsum_dense import EinsumDense
from .identity import Identity
from .input_layer import Input, InputLayer
from .input_spec import InputSpec
from .layer import Layer
from .merging import *  # noqa: F401,F403
from .noise import *  # noqa: F401,F403
from .normalization import *  # noqa: F401,F403
from .pooling import *  # noqa: F401,F403
from . import preprocessing
from .preprocessing import *  # noqa: F401,F403
from .recurrent import *  # noqa: F401,F403
from .reshaping import *  # noqa: F401,F403
from .reversible_embedding import ReversibleEmbedding
from .serialization import deserialize, serialize
from .wrappers import *  # noqa: F401,F403

__all__ = (["Layer", "InputSpec", "Input", "InputLayer", "serialize", "deserialize", "EinsumDense", "Identity"]
           + adaptive_pooling.__all__ + ["ReversibleEmbedding"] + activation.__all__ + attention.__all__ + conv_lstm.__all__ + convolutional.__all__
           + core.__all__ + merging.__all__ + noise.__all__ + normalization.__all__ + pooling.__all__
           + recurrent.__all__ + reshaping.__all__ + wrappers.__all__ + preprocessing.__all__)

# Variable (a floor below, beside initializers) takes an initializer's name as Keras 3 does:
# Variable("zeros", shape=...); the lookup is handed to it here, where both can be imported
from .. import initializers as _initializers, variables as _variables  # noqa: E402

_variables.register_initializer_lookup(_initializers.get)
