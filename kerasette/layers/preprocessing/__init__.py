"""Preprocessing layers (Keras 3's ``keras.layers`` preprocessing family): one module per layer kind.

Numeric (Rescaling, Normalization, Discretization), categorical
(CategoryEncoding, Hashing, HashedCrossing, StringLookup, IntegerLookup) and
text (TextVectorization) layers live here; layers that learn state from data
take it through ``adapt()`` (see ``data.py``).  To add a layer family, add
its module and one import line plus its names to ``__all__`` below.
"""
from . import audio, image
from .audio import *  # noqa: F401,F403
from .category_encoding import CategoryEncoding
from .discretization import Discretization
from .feature_space import FeatureSpace  # noqa: F401  (keras.utils.FeatureSpace: the public face hands it to utils)
from .hashed_crossing import HashedCrossing
from .hashing import Hashing
from .image import *  # noqa: F401,F403
from .integer_lookup import IntegerLookup
from .normalization import Normalization
from .rescaling import Rescaling
from .string_lookup import StringLookup
from .text_vectorization import TextVectorization

__all__ = ["CategoryEncoding", "Discretization", "HashedCrossing", "Hashing", "IntegerLookup", "Normalization", "Rescaling", "StringLookup", "TextVectorization"] + image.__all__ + audio.__all__
