"""Masks on a layer's outputs: ``_keras_mask`` on eager Tensors, symbolic nodes and arrays
(split from ``layer.py``).

A layer called on arrays returns arrays; one that gets a mask comes back as
an ``ArrayWithMask`` so that ``output._keras_mask`` reads it, as on Keras'
tensors.
"""
from __future__ import annotations

import numpy

from ..eager import Tensor
from ..engine import Node
from ..ops.masking import get_mask, set_mask
from ..variables import Variable
from .structure import flatten, map_structure

def _unwrap(value):
    if isinstance(value, Tensor) and not isinstance(value, Variable):
        value = value.data
    # a view of a masked input (x[:, 0], a reshape) is a plain array again
    return value.view(numpy.ndarray) if isinstance(value, ArrayWithMask) else value


def _attach_masks(outputs, output_mask, plain):
    """Attach the masks ``compute_mask`` gave to the outputs, pairing them as Keras
    does (flattened, in order; a single mask goes to the first output).  Arrays
    that get a mask come back as ``ArrayWithMask``s so that ``_keras_mask`` reads it."""
    flat_outputs = flatten(outputs)
    masks = flatten(output_mask) if isinstance(output_mask, (list, tuple)) else [output_mask]
    replaced = {}
    for output, mask in zip(flat_outputs, masks):
        if mask is None:
            continue
        if plain and type(output) is numpy.ndarray:
            replaced[id(output)] = output = output.view(ArrayWithMask)
        set_mask(output, mask)
    if not replaced:
        return outputs
    return map_structure(lambda x: replaced.get(id(x), x), outputs)


class ArrayWithMask(numpy.ndarray):
    """A layer's array output that carries a Keras mask (a layer called on arrays):
    ``_keras_mask`` reads it, as on Keras' tensors.  Arithmetic on it gives plain
    arrays without a mask, as in Keras."""

    @property
    def _keras_mask(self):
        return get_mask(self)

    @_keras_mask.setter
    def _keras_mask(self, mask):
        set_mask(self, mask)

    def __array_wrap__(self, array, context=None, return_scalar=False):
        if return_scalar:
            return array[()]
        return array.view(numpy.ndarray) if isinstance(array, numpy.ndarray) else array


# the masks layers attach (``ops.masking``), read and written the Keras way:
# ``output._keras_mask``, on eager Tensors and symbolic nodes alike
Tensor._keras_mask = Node._keras_mask = property(get_mask, set_mask, doc="""The Keras mask a layer attached to
this tensor (``Embedding(mask_zero=True)``, ``Masking``, ...), or None.""")
