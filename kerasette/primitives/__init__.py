"""The op set: every primitive, one table.

``REGISTRY`` maps each primitive's name to its instance; importing this
package fills it from the family modules below.  Tests walk the table so
that no primitive goes without a gradient check.
"""
# each import registers its family in REGISTRY
from . import (activations, adaptive_pooling, arithmetic, collectives, convolution, creation, ctc,  # noqa: F401
               elementwise, decompositions, introspection, linalg, losses, normalization, optimizer_steps, pooling, random, recurrent,
               reduction, resampling, scatter, shape, sorting, tiling, ufuncs)
from .base import REGISTRY, Primitive, ShapeError, Spec, get, register

__all__ = ["REGISTRY", "Primitive", "ShapeError", "Spec", "get", "register"]
