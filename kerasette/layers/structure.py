"""Nested structures of tensors (a tensor, or lists, tuples and dicts of them).

Dicts are walked in sorted-key order, as Keras 3's ``keras.tree`` walks them, so
that a model with dict inputs or outputs orders its tensors, layers and weight
files as Keras does; ``pack_like`` gives each key its leaf back by the same
order and keeps the dict's own key order.
"""
from __future__ import annotations


def _keys(mapping) -> list:
    try:
        return sorted(mapping)
    except TypeError:           # keys that do not sort: their own order
        return list(mapping)


def flatten(structure) -> list:
    if isinstance(structure, dict):
        return [leaf for key in _keys(structure) for leaf in flatten(structure[key])]
    if isinstance(structure, (list, tuple)):
        return [leaf for item in structure for leaf in flatten(item)]
    return [structure]


def map_structure(function, structure):
    if isinstance(structure, dict):
        return {key: map_structure(function, value) for key, value in structure.items()}
    if isinstance(structure, (list, tuple)):
        mapped = [map_structure(function, item) for item in structure]
        return tuple(mapped) if isinstance(structure, tuple) else mapped
    return function(structure)


def pack_like(structure, flat: list):
    """Rebuild ``structure`` with the leaves taken in ``flatten``'s order from ``flat``."""
    leaves = iter(flat)

    def pack(item):
        if isinstance(item, dict):
            packed = {key: pack(item[key]) for key in _keys(item)}
            return {key: packed[key] for key in item}
        if isinstance(item, (list, tuple)):
            mapped = [pack(value) for value in item]
            return tuple(mapped) if isinstance(item, tuple) else mapped
        return next(leaves)
    return pack(structure)
