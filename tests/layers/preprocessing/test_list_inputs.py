"""Preprocessing layers called on plain Python lists (``layer(["the cat", "a dog"])``), as the
keras.io preprocessing-layers guide does: Keras reads the whole list as one array; and
TextVectorization called on one string."""
import os

import numpy as np
import pytest

from kerasette import layers

GREEK = ["ξεῖν᾽, ἦ τοι μὲν ὄνειροι", "γίγνοντ᾽, οὐδέ τι πάντα", "δοιαὶ γάρ τε πύλαι ἀμενηνῶν"]

CASES = {
    "string_lookup": (lambda L: L.StringLookup(vocabulary=["a", "b"]), ["a", "b", "z"]),
    "string_lookup_2d": (lambda L: L.StringLookup(vocabulary=["a", "b"]), [["a"], ["b"]]),
    "integer_lookup": (lambda L: L.IntegerLookup(vocabulary=[5, 6]), [5, 6, 7]),
    "hashing_strings": (lambda L: L.Hashing(3), ["a", "b", "cat"]),
    "hashing_ints": (lambda L: L.Hashing(5, salt=1337), [1, 2, 99]),
    "category_encoding": (lambda L: L.CategoryEncoding(3, output_mode="one_hot"), [0, 2]),
    "discretization": (lambda L: L.Discretization(bin_boundaries=[0.5]), [0.1, 0.9]),
    "text_vectorization": (lambda L: L.TextVectorization(vocabulary=["a", "b"]), ["a b", "b a z"]),
    "text_vectorization_tuple": (lambda L: L.TextVectorization(vocabulary=["a", "b"]), ("a b", "b")),
    "text_multi_hot": (lambda L: L.TextVectorization(vocabulary=["a", "b"], output_mode="multi_hot"),
                       ["a z", "b"]),
}


def _expected(name):
    make, data = CASES[name]
    return np.asarray(make(layers)(np.asarray(data)))


@pytest.mark.parametrize("name", sorted(CASES))
def test_list_is_read_as_one_array(name):
    make, data = CASES[name]
    if "hashing" in name:
        pytest.importorskip("farmhash")
    got = make(layers)(data)
    assert isinstance(got, np.ndarray)
    np.testing.assert_array_equal(got, _expected(name))


def test_guide_adapt_and_call_on_a_list_of_strings():
    layer = layers.TextVectorization()
    layer.adapt(GREEK)
    from_list = layer(GREEK)
    np.testing.assert_array_equal(from_list, layer(np.array(GREEK)))
    assert from_list.shape == (3, 5) and from_list.dtype == np.int64
    assert (from_list[:, :4] >= 2).all()                   # each line has 4 or 5 words, all seen by adapt
    os.environ.setdefault("KERAS_BACKEND", "jax")
    keras = pytest.importorskip("keras")
    pytest.importorskip("tensorflow")
    theirs = keras.layers.TextVectorization()
    theirs.adapt(GREEK)
    np.testing.assert_array_equal(np.asarray(theirs(GREEK)), from_list)


def test_lists_holding_arrays_are_still_a_structure():
    # a list of arrays (or an empty list) is not turned into one array: Layer.__call__ sees it as before
    concat = layers.Concatenate()
    out = concat([np.ones((2, 1), "float32"), np.zeros((2, 2), "float32")])
    assert out.shape == (2, 3)


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_as_keras(name):
    os.environ.setdefault("KERAS_BACKEND", "jax")
    keras = pytest.importorskip("keras")
    pytest.importorskip("tensorflow")                       # Keras' lookup and text layers run on tf
    make, data = CASES[name]
    if "hashing" in name:
        pytest.importorskip("farmhash")
    np.testing.assert_allclose(np.asarray(make(keras.layers)(data)), make(layers)(data))


ONE_STRING = [
    ({}, [2, 3, 2]),
    ({"output_sequence_length": 5}, [2, 3, 2, 0, 0]),
    ({"split": None}, 1),                               # "a b a" is one (unknown) token
    ({"output_mode": "count"}, [0, 2, 1]),
    ({"output_mode": "multi_hot", "split": None}, [1, 0, 0]),
    ({"output_mode": "tf_idf", "idf_weights": [0.5, 0.25]}, [0.0, 1.0, 0.25]),
]


@pytest.mark.parametrize("kwargs, expected", ONE_STRING)
def test_text_vectorization_on_one_string(kwargs, expected):
    layer = layers.TextVectorization(vocabulary=["a", "b"], **kwargs)
    got = layer("A b, a")                       # one sentence: no batch axis in, none out
    np.testing.assert_allclose(got, expected)
    assert got.dtype == ("float32" if kwargs.get("output_mode") == "tf_idf" else "int64")
    np.testing.assert_array_equal(layer(np.array("A b, a")), got)
    os.environ.setdefault("KERAS_BACKEND", "jax")
    keras = pytest.importorskip("keras")
    pytest.importorskip("tensorflow")
    theirs = keras.layers.TextVectorization(vocabulary=["a", "b"], **kwargs)("A b, a")
    np.testing.assert_allclose(np.asarray(theirs), got)


def test_text_vectorization_one_number_is_refused():
    with pytest.raises(TypeError, match="takes strings, got dtype int64"):
        layers.TextVectorization(vocabulary=["a", "b"])(5)
