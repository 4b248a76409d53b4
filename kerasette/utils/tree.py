"""Nested structures, under Keras 3's ``keras.tree`` names.

A structure is a leaf or a container of structures.  The containers walked
into are exactly those Keras 3 walks into (it uses optree in its ``"keras"``
namespace):

* ``list``, ``tuple``, ``collections.deque``, namedtuples and Python's
  struct sequences (``time.struct_time``...): children in order, their path
  entries are the positions (a namedtuple's too, not its field names);
* ``dict``, ``collections.OrderedDict``, ``collections.defaultdict``: a dict
  and a defaultdict give their values in sorted-key order (keys of mixed
  types sort by type name, then value), an OrderedDict in its own order;
  the path entries are the keys.  The three count as one kind when
  structures are compared, as long as their keys agree.

Anything else is a leaf: ``None`` (except in
``map_structure(..., none_is_leaf=False)``, where it is an empty container),
strings, arrays, sets, and subclasses of list or dict that are not one of
the above.  Rebuilt containers have the type of the one they copy (a dict
keeps its own key order; a deque its ``maxlen``; a defaultdict its
factory).

Where two structures differ, the ``ValueError`` names the path at which
they part and what was found there.  This module is on the bottom floor:
it imports nothing from kerasette.
"""
from __future__ import annotations

import collections
import warnings

__all__ = ["MAP_TO_NONE", "assert_same_paths", "assert_same_structure", "flatten", "flatten_with_path",
           "is_nested", "lists_to_tuples", "map_shape_structure", "map_structure", "map_structure_up_to",
           "pack_sequence_as", "traverse"]


class MAP_TO_NONE:
    """Return this from ``traverse``'s function to put ``None`` in place of a sub-structure."""


_MAPPINGS = (dict, collections.OrderedDict, collections.defaultdict)
_SEQUENCES = (list, tuple, collections.deque)


def _is_namedtuple(value) -> bool:
    return isinstance(value, tuple) and type(value) is not tuple and isinstance(getattr(type(value), "_fields", None),
                                                                                tuple)


def _is_structseq(value) -> bool:
    kind = type(value)
    return isinstance(value, tuple) and kind is not tuple and all(
        isinstance(getattr(kind, attr, None), int) for attr in ("n_fields", "n_sequence_fields", "n_unnamed_fields"))


def _is_node(value, none_is_leaf=True) -> bool:
    if value is None:
        return not none_is_leaf
    kind = type(value)
    return kind in _MAPPINGS or kind in _SEQUENCES or _is_namedtuple(value) or _is_structseq(value)


def _kind_name(value) -> str:
    if value is None:
        return "None"
    if type(value) in _MAPPINGS:
        return "dict"
    if _is_namedtuple(value):
        return f"namedtuple {type(value).__qualname__}"
    if type(value) is collections.deque:
        return "collections.deque"
    return type(value).__qualname__


def _sorted_keys(mapping) -> list:
    if type(mapping) is collections.OrderedDict:
        return list(mapping)
    try:
        return sorted(mapping)
    except TypeError:
        pass
    try:     # keys of several types: grouped by type name, sorted within each type
        return sorted(mapping, key=lambda key: (type(key).__name__, key))
    except TypeError:
        return list(mapping)


def _keys_and_children(node) -> tuple:
    """The path entries and the children of a container, in flattening order."""
    if node is None:
        return [], []
    if type(node) in _MAPPINGS:
        keys = _sorted_keys(node)
        return keys, [node[key] for key in keys]
    children = list(node)
    return list(range(len(children))), children


def _rebuild(node, keys, children):
    """A container like ``node`` holding ``children`` (in ``_keys_and_children``'s order)."""
    if node is None:
        return None
    kind = type(node)
    if kind in _MAPPINGS:
        by_key = dict(zip(keys, children))
        items = [(key, by_key[key]) for key in node]   # the mapping's own key order
        if kind is collections.defaultdict:
            return collections.defaultdict(node.default_factory, items)
        return kind(items)
    if kind is list:
        return list(children)
    if kind is tuple:
        return tuple(children)
    if kind is collections.deque:
        return collections.deque(children, maxlen=node.maxlen)
    if _is_namedtuple(node):
        return kind(*children)
    return kind(children)    # a struct sequence


def _check_callable(func, name="func"):
    if not callable(func):
        raise TypeError(f"`{name}` must be callable. Received: {name}={func!r} of type {type(func).__name__}")


def _mismatch(path, message):
    where = f" at path {path}" if path else ""
    return ValueError(f"The structures don't have the same nested structure{where}: {message}")


def _children_like(template, other, path):
    """``other``'s children in the order of ``template``'s, after checking that
    ``other`` is the same kind of container with the same keys or length."""
    template_is_mapping = type(template) in _MAPPINGS
    if template is None:
        if other is not None:
            raise _mismatch(path, f"expected None, got {other!r}")
        return []
    if template_is_mapping:
        if type(other) not in _MAPPINGS:
            raise _mismatch(path, f"expected a dict, got {other!r}")
        keys, _ = _keys_and_children(template)
        if set(keys) != set(other):
            missing = [key for key in keys if key not in other]
            extra = [key for key in other if key not in template]
            raise _mismatch(path, f"the dict keys differ: expected {keys}, got {list(other)} (missing {missing}, "
                                  f"extra {extra}); dict: {other!r}")
        return [other[key] for key in keys]
    if type(other) is not type(template):   # list, tuple, deque and each namedtuple class all differ
        if _kind_name(other) == _kind_name(template):
            raise _mismatch(path, f"expected an instance of {_kind_name(template)} (defined in "
                                  f"{type(template).__module__}), got one of another class of that name: {other!r}")
        raise _mismatch(path, f"expected an instance of {_kind_name(template)}, got {other!r}")
    if len(other) != len(template):
        raise _mismatch(path, f"{_kind_name(template)} length differs: expected {len(template)}, got "
                              f"{len(other)}; {_kind_name(template)}: {other!r}")
    return list(other)


def _zip_map(func, first, others, path, *, none_is_leaf=True, shallow=False):
    """Map ``func`` over ``first``'s leaves and the matching parts of ``others``.

    ``shallow``: ``first`` is only a prefix (``map_structure_up_to``): its
    leaves (``None`` included) may stand for whole sub-structures of the
    others, and ``func`` is not given ``first``'s own leaves.
    """
    if not _is_node(first, none_is_leaf=True if shallow else none_is_leaf):
        if not shallow:
            for other in others:
                if _is_node(other, none_is_leaf=none_is_leaf):
                    raise _mismatch(path, f"the first structure has the leaf {first!r} where another has "
                                          f"the sub-structure {other!r}")
            return func(first, *others)
        return func(*others)
    keys, children = _keys_and_children(first)
    matched = [_children_like(first, other, path) for other in others]
    results = [_zip_map(func, child, [parts[index] for parts in matched], path + (key,),
                        none_is_leaf=none_is_leaf, shallow=shallow)
               for index, (key, child) in enumerate(zip(keys, children))]
    return _rebuild(first, keys, results)


def is_nested(structure) -> bool:
    """Whether ``structure`` is a container walked into (list, tuple, dict, namedtuple...), not a leaf."""
    return _is_node(structure)


def flatten(structure) -> list:
    """The leaves of ``structure`` in order (dicts by sorted key), as a list; a leaf gives ``[leaf]``."""
    leaves = []

    def collect(node):
        if _is_node(node):
            for child in _keys_and_children(node)[1]:
                collect(child)
        else:
            leaves.append(node)

    collect(structure)
    return leaves


def flatten_with_path(structure) -> list:
    """``(path, leaf)`` pairs in ``flatten``'s order; a path is the tuple of keys and positions to the leaf."""
    pairs = []

    def collect(node, path):
        if _is_node(node):
            for key, child in zip(*_keys_and_children(node)):
                collect(child, path + (key,))
        else:
            pairs.append((path, node))

    collect(structure, ())
    return pairs


def map_structure(func, *structures, none_is_leaf=True):
    """``func`` applied to the leaves of ``structures`` (alike, leaf for leaf), in the first one's layout.

    With ``none_is_leaf=False`` a ``None`` is an empty container: ``func``
    never sees it, it stays ``None``, and the others must hold ``None`` there.
    """
    if not structures:
        raise ValueError("Must provide at least one structure")
    _check_callable(func)
    return _zip_map(func, structures[0], list(structures[1:]), (), none_is_leaf=none_is_leaf)


def map_structure_up_to(shallow_structure, func, *structures):
    """``func`` applied to the parts of ``structures`` that sit at ``shallow_structure``'s leaves.

    Each structure must contain ``shallow_structure``'s layout; below its
    leaves (``None`` is a leaf here) anything may follow and is handed whole.
    """
    if not structures:
        raise ValueError("Must provide at least one structure")
    _check_callable(func)
    return _zip_map(func, shallow_structure, list(structures), (), shallow=True)


def assert_same_structure(a, b, check_types=None) -> None:
    """Raise ``ValueError`` unless ``a`` and ``b`` are nested alike (container types, keys, lengths).

    A dict, an OrderedDict and a defaultdict match if their keys do; list,
    tuple, deque and each namedtuple class are all different.
    ``check_types`` is deprecated and has no effect (Keras 3's warning).
    """
    if check_types is not None:
        hint = ("" if check_types else " For a looser check, use `keras.tree.assert_same_paths()`, which considers "
                "`list`, `tuple`, `namedtuple` and `deque` as matching")
        warnings.warn("The `check_types` argument is deprecated and no longer has any effect"
                      + (", please remove." if check_types else "." + hint), DeprecationWarning, stacklevel=2)
    _zip_map(lambda *leaves: None, a, [b], ())


def _paths(structure) -> set:
    return {path for path, _ in flatten_with_path(structure)}


def assert_same_paths(a, b) -> None:
    """Raise ``ValueError`` unless ``a`` and ``b`` have the same leaf paths (container types are not compared)."""
    a_paths, b_paths = _paths(a), _paths(b)
    if a_paths == b_paths:
        return
    message = "`a` and `b` don't have the same paths."
    if a_paths - b_paths:
        message += f"\nPaths in `a` missing in `b`:\n{sorted(a_paths - b_paths, key=repr)}"
    if b_paths - a_paths:
        message += f"\nPaths in `b` missing in `a`:\n{sorted(b_paths - a_paths, key=repr)}"
    raise ValueError(message)


def pack_sequence_as(structure, flat_sequence):
    """``flat_sequence``'s items put into ``structure``'s layout, in ``flatten``'s order (dicts by sorted key)."""
    try:
        items = list(flat_sequence)
    except TypeError:
        raise TypeError("`flat_sequence` must be an iterable of leaves. Received: "
                        f"flat_sequence={flat_sequence!r} of type {type(flat_sequence).__name__}") from None
    expected = len(flatten(structure))
    if len(items) != expected:
        word = "few" if len(items) < expected else "many"
        raise ValueError(f"Too {word} leaves in `flat_sequence` for the structure: it has {expected} leaves, "
                         f"got {len(items)} items. structure={structure!r}")
    position = iter(items)

    def fill(node):
        if not _is_node(node):
            return next(position)
        keys, children = _keys_and_children(node)
        return _rebuild(node, keys, [fill(child) for child in children])

    return fill(structure)


def traverse(func, structure, top_down=True):
    """Walk ``structure`` depth first, calling ``func`` on every sub-structure and leaf.

    Top down (parents first): a non-None result replaces that sub-structure
    and is not walked into.  Bottom up (children first): a non-None result
    replaces the rebuilt sub-structure.  ``MAP_TO_NONE`` as a result puts
    ``None`` in its place.
    """
    _check_callable(func)

    def result(value):
        return None if value is MAP_TO_NONE else value

    def walk(node):
        if top_down:
            replaced = func(node)
            if replaced is not None:
                return result(replaced)
            return walk_children(node)
        rebuilt = walk_children(node)
        replaced = func(rebuilt)
        return rebuilt if replaced is None else result(replaced)

    def walk_children(node):
        if not _is_node(node):
            return node
        keys, children = _keys_and_children(node)
        return _rebuild(node, keys, [walk(child) for child in children])

    return walk(structure)


def lists_to_tuples(structure):
    """``structure`` with every list (at any depth) turned into a tuple."""
    return traverse(lambda node: tuple(node) if isinstance(node, list) else None, structure, top_down=False)


def _is_shape(value) -> bool:
    return isinstance(value, (list, tuple)) and all(isinstance(entry, (int, type(None))) for entry in value)


def map_shape_structure(func, structure):
    """``map_structure`` where lists and tuples of ints and Nones (shapes) are leaves handed to ``func``."""
    _check_callable(func)

    def walk(node):
        if _is_shape(node) or not _is_node(node):
            return func(node)
        keys, children = _keys_and_children(node)
        return _rebuild(node, keys, [walk(child) for child in children])

    return walk(structure)
