"""Keras masks that ride along with tensors: ``get_mask`` and ``set_mask``.

A Keras mask (``Embedding(mask_zero=True)``, ``Masking``) travels with the
tensor a layer returns, as ``_keras_mask`` does in Keras.  kerasette keeps it
beside the tensor, in a table by ``id``, because tensors compare elementwise
and cannot be dictionary keys; a weak reference drops the entry when the
tensor goes.  The table lives on the ops floor because layers write masks
and losses read them, and neither may import the other.
"""
from __future__ import annotations

import weakref

__all__ = ["get_mask", "set_mask"]

# id(tensor) -> (weak reference to the tensor, mask)
_masks: dict = {}


def get_mask(tensor):
    """The mask a layer attached to ``tensor`` (``None`` if there is none)."""
    entry = _masks.get(id(tensor))
    if entry is None or entry[0]() is not tensor:
        return None
    return entry[1]


def set_mask(tensor, mask) -> None:
    """Attach ``mask`` to ``tensor`` (``None`` removes it)."""
    if mask is None:
        _masks.pop(id(tensor), None)
        return
    key = id(tensor)
    try:
        # the table is bound now: at interpreter exit the module's globals may already be None
        reference = weakref.ref(tensor, lambda _, key=key, masks=_masks: masks.pop(key, None))
    except TypeError:
        return   # Python numbers and the like cannot carry a mask
    _masks[key] = (reference, mask)
