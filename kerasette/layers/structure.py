"""Nested structures of tensors (a tensor, or lists, tuples and dicts of them)."""
from __future__ import annotations


def flatten(structure) -> list:
    if isinstance(structure, dict):
        return [leaf for key in structure for leaf in flatten(structure[key])]
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
    """Rebuild ``structure`` with the leaves taken in order from ``flat``."""
    leaves = iter(flat)
    return map_structure(lambda _: next(leaves), structure)
