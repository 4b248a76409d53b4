"""keras.tree (kerasette/utils/tree.py): results checked against Keras 3.15 (optree) by hand."""
import collections
import time
import warnings

import numpy
import pytest

import kerasette
from kerasette.utils import tree

Point = collections.namedtuple("Point", ["x", "y"])


def test_public_face_is_the_utils_module():
    assert kerasette.tree is tree
    assert "tree" in kerasette.__all__
    assert set(tree.__all__) == {
        "MAP_TO_NONE", "assert_same_paths", "assert_same_structure", "flatten", "flatten_with_path",
        "is_nested", "lists_to_tuples", "map_shape_structure", "map_structure", "map_structure_up_to",
        "pack_sequence_as", "traverse"}


@pytest.mark.parametrize("value, nested", [
    (None, False), (3, False), ("ab", False), (b"ab", False), (numpy.ones(3), False), ({1, 2}, False),
    ([], True), ((), True), ({}, True), (Point(1, 2), True), (collections.deque([1]), True),
    (collections.OrderedDict(a=1), True), (collections.defaultdict(int), True), (time.gmtime(0), True),
])
def test_is_nested(value, nested):
    assert tree.is_nested(value) is nested


def test_subclasses_of_list_and_dict_are_leaves_as_in_keras():
    class MyList(list):
        pass

    class MyDict(dict):
        pass

    assert not tree.is_nested(MyList([1])) and not tree.is_nested(MyDict(a=1))
    assert tree.flatten([MyList([1, 2])]) == [[1, 2]]


def test_flatten_dicts_by_sorted_key_and_keeps_none():
    structure = {"b": 1, "a": [2, None], "c": (3, Point(4, 5))}
    assert tree.flatten(structure) == [2, None, 1, 3, 4, 5]
    assert tree.flatten({100: "world!", 6: "Hello"}) == ["Hello", "world!"]
    assert tree.flatten(None) == [None] and tree.flatten(1) == [1] and tree.flatten("abc") == ["abc"]
    assert tree.flatten([[], {}, ()]) == []
    # an OrderedDict keeps its own order; a defaultdict sorts like a dict
    assert tree.flatten(collections.OrderedDict([("b", 1), ("a", 2)])) == [1, 2]
    assert tree.flatten(collections.defaultdict(list, {"b": 1, "a": 2})) == [2, 1]
    # keys of mixed types: by type name, then value (optree's order)
    assert tree.flatten({"b": 2, 1: "a", "a": 3, 0: "z"}) == ["z", "a", 3, 2]
    assert tree.flatten(collections.deque([1, [2]], maxlen=5)) == [1, 2]
    assert tree.flatten(time.gmtime(0))[:3] == [1970, 1, 1]


def test_flatten_with_path():
    structure = {"b": [1, {"z": 2}], "a": Point(3, None)}
    assert tree.flatten_with_path(structure) == [
        (("a", 0), 3), (("a", 1), None), (("b", 0), 1), (("b", 1, "z"), 2)]
    assert tree.flatten_with_path(5) == [((), 5)]
    assert tree.flatten_with_path([{"foo": 42}]) == [((0, "foo"), 42)]


def test_pack_sequence_as_rebuilds_every_container_kind():
    packed = tree.pack_sequence_as({"key3": "", "key1": "", "key2": ""}, ["v1", "v2", "v3"])
    assert packed == {"key3": "v3", "key1": "v1", "key2": "v2"} and list(packed) == ["key3", "key1", "key2"]
    assert tree.pack_sequence_as((("a", "b"), ("c", "d", "e"), "f"), range(6)) == ((0, 1), (2, 3, 4), 5)
    packed = tree.pack_sequence_as(Point(0, [0, 0]), [1, 2, 3])
    assert type(packed) is Point and packed == Point(1, [2, 3])
    packed = tree.pack_sequence_as(collections.defaultdict(list, {"b": 0, "a": 0}), [1, 2])
    assert packed.default_factory is list and dict(packed) == {"a": 1, "b": 2}
    packed = tree.pack_sequence_as(collections.deque([0, 0], maxlen=3), [1, 2])
    assert packed.maxlen == 3 and list(packed) == [1, 2]
    packed = tree.pack_sequence_as(collections.OrderedDict([("b", 0), ("a", 0)]), [1, 2])
    assert list(packed.items()) == [("b", 1), ("a", 2)]
    assert tree.pack_sequence_as([None, 0], [1, 2]) == [1, 2]     # None is a leaf slot
    assert tree.pack_sequence_as(0, [7]) == 7
    assert tree.pack_sequence_as([], []) == []
    assert tree.pack_sequence_as(time.gmtime(0), list(range(9))).tm_mon == 1


def test_pack_sequence_as_errors():
    with pytest.raises(ValueError, match="Too few leaves.*3 leaves, got 2"):
        tree.pack_sequence_as([0, [0, 0]], [1, 2])
    with pytest.raises(ValueError, match="Too many leaves.*3 leaves, got 4"):
        tree.pack_sequence_as([0, [0, 0]], [1, 2, 3, 4])
    with pytest.raises(TypeError, match="flat_sequence=5"):
        tree.pack_sequence_as([0], 5)


def test_flatten_then_pack_round_trips():
    structure = {"z": [1, (2, Point(3, {"q": 4, "p": 5}))], "a": None, "m": collections.OrderedDict(y=6, x=7)}
    assert tree.pack_sequence_as(structure, tree.flatten(structure)) == structure


def test_map_structure():
    structure = [[1], [2], [3]]
    assert tree.map_structure(lambda v: v ** 2, structure) == [[1], [4], [9]]
    assert tree.map_structure(lambda a, b: a * b, structure, structure) == [[1], [4], [9]]
    assert tree.map_structure(lambda v: v * 2, Point(1, 2)) == Point(2, 4)
    assert tree.map_structure(lambda a, b: a + b, {"a": [1, 2], "b": 3}, {"b": 10, "a": [20, 30]}) == \
        {"a": [21, 32], "b": 13}
    assert tree.map_structure(lambda a: a + 1, 1) == 2
    assert tree.map_structure(lambda a: 1, []) == []
    # dict kinds match when their keys do; the result has the first one's type and order
    result = tree.map_structure(lambda a, b: a + b, collections.OrderedDict([("b", 1), ("a", 2)]), {"a": 1, "b": 2})
    assert type(result) is collections.OrderedDict and list(result.items()) == [("b", 3), ("a", 3)]
    result = tree.map_structure(lambda v: v * 2, collections.defaultdict(int, {"b": 1, "a": 2}))
    assert result.default_factory is int and result == {"a": 4, "b": 2}


def test_map_structure_none_handling():
    seen = []
    assert tree.map_structure(lambda a: seen.append(a) or a, [1, None]) == [1, None]
    assert seen == [1, None]
    assert tree.map_structure(lambda a: a * 2, [1, None, (2,)], none_is_leaf=False) == [2, None, (4,)]
    assert tree.map_structure(lambda a: 1, None, none_is_leaf=False) is None
    assert tree.map_structure(lambda a, b: a, [None], [1]) == [None]
    with pytest.raises(ValueError, match=r"path \(0,\): expected None, got 2"):
        tree.map_structure(lambda a, b: a, [None, 1], [2, 1], none_is_leaf=False)
    with pytest.raises(ValueError, match=r"path \(0,\): the first structure has the leaf None"):
        tree.map_structure(lambda a, b: a, [None], [[1]])


def test_map_structure_mismatches_name_the_path_and_what_differs():
    with pytest.raises(ValueError, match=r"expected an instance of list, got \(1, 2\)"):
        tree.map_structure(lambda a, b: a, [1, 2], (1, 2))
    with pytest.raises(ValueError, match="list length differs: expected 2, got 3"):
        tree.map_structure(lambda a, b: a, [1, 2], [1, 2, 3])
    with pytest.raises(ValueError, match=r"at path \(1,\): the first structure has the leaf 2 where another has "
                                         r"the sub-structure \[2\]"):
        tree.map_structure(lambda a, b: a, [1, 2], [1, [2]])
    with pytest.raises(ValueError, match=r"at path \('k', 1\): expected an instance of list, got 2"):
        tree.map_structure(lambda a, b: a, {"k": [1, [2]]}, {"k": [1, 2]})
    with pytest.raises(ValueError, match=r"dict keys differ: expected \['a'\], got \['b'\] \(missing \['a'\], "
                                         r"extra \['b'\]\)"):
        tree.map_structure(lambda a, b: a, {"a": 1}, {"b": 1})
    with pytest.raises(ValueError, match="expected an instance of namedtuple Point"):
        tree.map_structure(lambda a, b: a, Point(1, 2), (1, 2))
    with pytest.raises(ValueError, match="expected an instance of collections.deque"):
        tree.map_structure(lambda a, b: a, collections.deque([1]), [1])
    with pytest.raises(ValueError, match="Must provide at least one structure"):
        tree.map_structure(lambda a: a)
    with pytest.raises(TypeError, match="func=3"):
        tree.map_structure(3, [1])


def test_map_structure_up_to():
    # Keras' documented examples (None in the shallow structure is a leaf)
    assert tree.map_structure_up_to([None, None], len, [[1, 1], [2, 2]]) == [2, 2]
    assert tree.map_structure_up_to([None, [None, None]], str, [[1, 1], [2, 2]]) == ["[1, 1]", ["2", "2"]]
    assert tree.map_structure_up_to([0, [0, 0]], lambda a, b: (a, b), [[1, 1], [2, 2]], [3, [4, 5]]) == \
        [([1, 1], 3), [(2, 4), (2, 5)]]
    assert tree.map_structure_up_to({"a": 0, "b": 0}, str, {"b": [1], "a": (2,)}) == {"a": "(2,)", "b": "[1]"}
    assert tree.map_structure_up_to(0, str, [1, 2]) == "[1, 2]"
    with pytest.raises(ValueError, match=r"path \(1,\): expected an instance of list, got 2"):
        tree.map_structure_up_to([0, [0, 0]], str, [1, 2])
    with pytest.raises(ValueError, match="list length differs: expected 2, got 3"):
        tree.map_structure_up_to([0, 0], str, [1, 2, 3])
    with pytest.raises(ValueError, match="Must provide at least one structure"):
        tree.map_structure_up_to([0], str)


def test_assert_same_structure():
    tree.assert_same_structure([(0, 1)], [(2, 3)])
    tree.assert_same_structure({"a": 1}, collections.OrderedDict(a=1))
    tree.assert_same_structure([None], [1])
    tree.assert_same_structure(numpy.ones(3), 1.0)
    with pytest.raises(ValueError, match="expected an instance of list"):
        tree.assert_same_structure([0, 1], (0, 1))
    with pytest.raises(ValueError, match="length differs: expected 2, got 1"):
        tree.assert_same_structure([0, 1], [0])
    with pytest.raises(ValueError, match="the first structure has the leaf None"):
        tree.assert_same_structure(None, [1])
    # two namedtuple classes of one name are different structures
    other_point = collections.namedtuple("Point", ["x", "y"])
    with pytest.raises(ValueError, match="another class of that name"):
        tree.assert_same_structure(Point(0, 1), other_point(0, 1))
    with pytest.warns(DeprecationWarning, match="check_types"):
        tree.assert_same_structure([1], [2], check_types=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tree.assert_same_structure([1], [2])


def test_assert_same_paths():
    tree.assert_same_paths([0, 1], (2, 3))
    tree.assert_same_paths(Point(0, 1), collections.namedtuple("Other", "a b")(2, 3))
    tree.assert_same_paths(1, 2)
    with pytest.raises(ValueError) as error:
        tree.assert_same_paths({"a": 1, "b": [1]}, {"a": 1, "c": 2})
    message = str(error.value)
    assert "`a` and `b` don't have the same paths" in message
    assert "Paths in `a` missing in `b`:\n[('b', 0)]" in message
    assert "Paths in `b` missing in `a`:\n[('c',)]" in message


def test_traverse():
    visited = []
    structure = [(1, 2), [3], {"a": 4}]
    assert tree.traverse(visited.append, structure, top_down=True) == structure
    assert visited == [structure, (1, 2), 1, 2, [3], 3, {"a": 4}, 4]
    visited = []
    assert tree.traverse(visited.append, structure, top_down=False) == structure
    assert visited == [1, 2, (1, 2), 3, [3], 4, {"a": 4}, structure]
    # top down: a result replaces the sub-tree and is not walked into
    assert tree.traverse(lambda s: "X" if isinstance(s, tuple) else None, [(1, 2), [3, (4,)]]) == ["X", [3, "X"]]
    assert tree.traverse(lambda s: tree.MAP_TO_NONE if s == 3 else None, [(1, 2), [3]]) == [(1, 2), [None]]
    assert tree.traverse(lambda s: tree.MAP_TO_NONE if s == [3] else None, [(1, 2), [3]], top_down=False) == \
        [(1, 2), None]
    assert tree.traverse(lambda s: tree.MAP_TO_NONE, [1, 2]) is None
    with pytest.raises(TypeError, match="func=5"):
        tree.traverse(5, [1])


def test_lists_to_tuples_and_map_shape_structure():
    assert tree.lists_to_tuples([1, [2, {"a": [3]}], (4, [5])]) == (1, (2, {"a": (3,)}), (4, (5,)))
    assert tree.lists_to_tuples([None, []]) == (None, ())
    shapes = tree.map_shape_structure(lambda s: ("S", s), {"a": (None, 3), "b": [[2, 3], (4,)], "c": ()})
    assert shapes == {"a": ("S", (None, 3)), "b": [("S", [2, 3]), ("S", (4,))], "c": ("S", ())}
    assert tree.map_shape_structure(lambda s: ("S", s), [None, (None,)]) == [("S", None), ("S", (None,))]
    assert tree.map_shape_structure(lambda s: ("S", s), 5) == ("S", 5)
