"""Collections of the default graph (TensorFlow 1's ``tf.GraphKeys``, ``get_collection``,
``add_to_collection``): the variables, and the update ops ``tf.layers`` leaves."""
from __future__ import annotations

import weakref

from ..engine import get_default_graph
from .building import global_variables, trainable_variables

_collections: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


class GraphKeys:
    """Names of the collections ``get_collection`` knows (TensorFlow 1's ``tf.GraphKeys``)."""

    GLOBAL_VARIABLES = "variables"
    TRAINABLE_VARIABLES = "trainable_variables"
    UPDATE_OPS = "update_ops"


def add_to_collection(name: str, value) -> None:
    """Append ``value`` to the collection ``name`` of the default graph."""
    _collections.setdefault(get_default_graph(), {}).setdefault(name, []).append(value)


def get_collection(key: str, scope=None) -> list:
    """The items of collection ``key`` in the default graph (variables: as ``global_variables()`` gives them)."""
    if key == GraphKeys.GLOBAL_VARIABLES:
        items = global_variables()
    elif key == GraphKeys.TRAINABLE_VARIABLES:
        items = trainable_variables()
    else:
        items = list(_collections.get(get_default_graph(), {}).get(key, []))
    if scope is not None:
        items = [item for item in items if getattr(item, "name", "").startswith(scope)]
    return items
