"""StringLookup, IntegerLookup and TextVectorization beyond the Keras 3 fixtures: vocabulary files,
set_vocabulary, callables, graphs, and refused input that changes nothing."""
import numpy as np
import pytest

import kerasette
from kerasette import layers

farmhash = pytest.importorskip("farmhash", reason="the text extra (pyfarmhash) is not installed")


def test_vocabulary_file_same_as_list_and_saved_as_asset(tmp_path):
    path = tmp_path / "vocab.txt"
    path.write_text("dog\ncat\né\n\n", encoding="utf-8")
    from_file = layers.StringLookup(vocabulary=str(path))
    from_list = layers.StringLookup(vocabulary=["dog", "cat", "é"])
    x = np.array([["é", "cat", "emu"]])
    np.testing.assert_array_equal(from_file(x), from_list(x))
    np.testing.assert_array_equal(from_file(x), [[3, 2, 0]])
    assert from_file.get_config()["vocabulary"] is None      # Keras 3 keeps a file's vocabulary in the assets
    assert from_list.get_config()["vocabulary"] == ["dog", "cat", "é"]
    text = layers.TextVectorization(vocabulary=str(path), output_sequence_length=3)
    np.testing.assert_array_equal(text(np.array(["Cat, DOG!"])), [[3, 2, 0]])
    inputs = kerasette.Input((3,), dtype="string")
    kerasette.Model(inputs, from_file(inputs)).save(str(tmp_path / "m.keras"))
    path.unlink()                                             # the archive holds what it needs
    loaded = kerasette.models.load_model(str(tmp_path / "m.keras"))
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), [[3, 2, 0]])
    numbers = tmp_path / "ids.txt"
    numbers.write_text("7\n-2\n40\n")
    np.testing.assert_array_equal(layers.IntegerLookup(vocabulary=str(numbers))(np.array([40, 3, -2])), [3, 0, 2])


@pytest.mark.parametrize("contents, message", [
    ("dog\ncat\ndog\n", r"repeats the terms \['dog'\]"),
    ("", "is empty"),
])
def test_bad_vocabulary_file_names_it_and_changes_nothing(tmp_path, contents, message):
    path = tmp_path / "vocab.txt"
    path.write_text(contents)
    layer = layers.StringLookup(vocabulary=["a", "b"])
    with pytest.raises(ValueError, match=message) as error:
        layer.set_vocabulary(str(path))
    assert "vocab.txt" in str(error.value)
    assert layer.get_vocabulary() == ["[UNK]", "a", "b"]
    with pytest.raises(ValueError, match="does not exist"):
        layer.set_vocabulary(str(tmp_path / "missing.txt"))
    ints = tmp_path / "ints.txt"
    ints.write_text("1\nx\n")
    with pytest.raises(ValueError, match="not an integer"):
        layers.IntegerLookup(vocabulary=str(ints))


@pytest.mark.parametrize("bad, error, message", [
    (np.array([], dtype=str), ValueError, "no values"),
    (iter([]), ValueError, "empty iterable"),
    (np.array([1.5, 2.5]), TypeError, "must be strings"),
    (None, ValueError, "needs data"),
])
def test_bad_adapt_changes_nothing(bad, error, message):
    layer = layers.StringLookup(output_mode="multi_hot")
    layer.adapt(np.array(["a", "b", "b"]))
    with pytest.raises(error, match=message):
        layer.adapt(bad)
    assert layer.get_vocabulary() == ["[UNK]", "b", "a"]
    text = layers.TextVectorization()
    text.adapt(["x y", "y"])
    with pytest.raises((ValueError, TypeError)):
        text.adapt(np.array([], dtype=str) if bad is None else bad)
    assert text.get_vocabulary() == ["", "[UNK]", "y", "x"]


def test_bad_vocabularies_and_arguments():
    layer = layers.StringLookup(vocabulary=["a", "b"])
    for vocabulary, message in [(["a", "a"], "repeats"), ([], "empty"), (["x", "[UNK]", "y"], None)]:
        if message is None:
            continue
        with pytest.raises(ValueError, match=message):
            layer.set_vocabulary(vocabulary)
        assert layer.get_vocabulary() == ["[UNK]", "a", "b"]
    with pytest.raises(ValueError, match="mask token"):
        layers.StringLookup(mask_token="", vocabulary=["a", ""])
    with pytest.raises(ValueError, match="larger than `max_tokens`"):
        layers.StringLookup(max_tokens=3, vocabulary=["a", "b", "c"])
    with pytest.raises(ValueError, match="`idf_weights` must be as long"):
        layers.StringLookup(output_mode="tf_idf", vocabulary=["a", "b"], idf_weights=[1.0])
    with pytest.raises(ValueError, match="static vocabulary"):
        layers.StringLookup(vocabulary=["a"]).adapt(["b"])
    with pytest.raises(ValueError, match="num_oov_indices=0"):
        layers.StringLookup(vocabulary=["a"], num_oov_indices=0)(np.array(["a", "zz"]))
    with pytest.raises(ValueError, match="sparse=True"):
        layers.StringLookup(output_mode="multi_hot", sparse=True)
    with pytest.raises(ValueError, match="ragged=True"):
        layers.TextVectorization(ragged=True)
    with pytest.raises(ValueError, match="`output_mode` must be 'int' when `invert`"):
        layers.IntegerLookup(invert=True, output_mode="one_hot")
    with pytest.raises(RuntimeError, match="set the vocabulary"):
        layers.StringLookup(output_mode="one_hot")(np.array(["a"]))
    with pytest.raises(TypeError, match="must be strings"):
        layers.StringLookup(vocabulary=["a"])(np.array([1, 2]))
    with pytest.raises(TypeError, match="must be integers"):
        layers.IntegerLookup(vocabulary=[1])(np.array(["a"]))
    with pytest.raises(ValueError, match="last axis must have size 1"):
        layers.TextVectorization(vocabulary=["a"])(np.array([["a", "b"]]))


def test_multi_hot_vocabulary_size_is_fixed_once_called():
    layer = layers.StringLookup(output_mode="multi_hot")
    layer.adapt(["a", "b"])
    assert layer(np.array([["a"]])).shape == (1, 3)
    with pytest.raises(RuntimeError, match="cannot change"):
        layer.set_vocabulary(["a", "b", "c"])
    assert layer.get_vocabulary() == ["[UNK]", "b", "a"]


def test_callables_and_set_vocabulary():
    def standardize(texts):
        assert isinstance(texts, np.ndarray)
        return np.char.upper(texts.astype(str))

    def split(texts):
        return [text.split("-") for text in texts.tolist()]

    layer = layers.TextVectorization(standardize=standardize, split=split, output_sequence_length=3)
    layer.adapt(np.array(["a-b-b", "c-b"]))
    assert layer.get_vocabulary() == ["", "[UNK]", "B", "C", "A"]
    np.testing.assert_array_equal(layer(np.array(["b-a", "z"])), [[2, 4, 0], [1, 0, 0]])
    layer.set_vocabulary(["A", "Z"])
    np.testing.assert_array_equal(layer(np.array(["b-a", "z"])), [[1, 2, 0], [3, 0, 0]])
    tf_idf = layers.TextVectorization(output_mode="tf_idf")
    tf_idf.set_vocabulary(["x", "y"], idf_weights=[1.0, 2.0])
    np.testing.assert_allclose(tf_idf(np.array(["y y x q"])), [[1.5, 1.0, 4.0]])


def test_layers_inside_compiled_graphs():
    kerasette.backend.clear_session()
    words = kerasette.Input((2,), dtype="string")
    ids = kerasette.Input((2,), dtype="int64")
    numbers = kerasette.Input((2,))
    hashed = layers.Hashing(num_bins=5, output_mode="multi_hot")(words)
    crossed = layers.HashedCrossing(num_bins=7)((layers.Reshape((1,))(layers.Lambda(lambda t: t[:, :1])(ids)),
                                                 layers.Reshape((1,))(layers.Lambda(lambda t: t[:, 1:])(ids))))
    encoded = layers.CategoryEncoding(num_tokens=4, output_mode="count")(ids)
    buckets = layers.Discretization(bin_boundaries=[0.0, 1.0], output_mode="one_hot")(numbers)
    inverted = layers.StringLookup(vocabulary=["a", "b"], invert=True)(
        layers.StringLookup(vocabulary=["a", "b"])(words))
    model = kerasette.Model([words, ids, numbers], [hashed, crossed, encoded, buckets, inverted])
    x = [np.array([["a", "b"], ["c", "a"]]), np.array([[1, 3], [2, 2]]), np.array([[-1.0, 0.5], [2.0, 0.0]])]
    outputs = model.predict(x, verbose=0)
    direct = [layers.Hashing(num_bins=5, output_mode="multi_hot")(x[0]),
              layers.HashedCrossing(num_bins=7)((x[1][:, :1], x[1][:, 1:])),
              layers.CategoryEncoding(num_tokens=4, output_mode="count")(x[1]),
              layers.Discretization(bin_boundaries=[0.0, 1.0], output_mode="one_hot")(x[2])]
    for got, want in zip(outputs, direct):
        np.testing.assert_array_equal(got, want)
    assert outputs[4].tolist() == [["a", "b"], ["[UNK]", "a"]]
    assert [o.shape for o in model.outputs] == [(None, 5), (None, 1), (None, 4), (None, 2, 3), (None, 2)]


def test_legacy_h5_warns_that_vocabularies_are_left_out(tmp_path):
    kerasette.backend.clear_session()
    lookup = layers.StringLookup()
    lookup.adapt(np.array(["a", "b", "b"]))
    inputs = kerasette.Input((1,), dtype="string")
    model = kerasette.Model(inputs, lookup(inputs))
    with pytest.warns(UserWarning, match=r"cannot hold the assets .*\['string_lookup'\].*'\.keras'"):
        model.save(str(tmp_path / "m.h5"))
    given = layers.StringLookup(vocabulary=["a", "b"])           # a list lives in the config: no warning
    other = kerasette.Model(inputs, given(inputs))
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        other.save(str(tmp_path / "given.h5"))
    loaded = kerasette.models.load_model(str(tmp_path / "given.h5"))
    np.testing.assert_array_equal(loaded.predict(np.array([["b"], ["q"]]), verbose=0), [[2], [0]])


def test_registered_standardize_function_saved_as_keras_records_it(tmp_path):
    @kerasette.saving.register_keras_serializable(package="preprocessing_test")
    def shout(texts):
        return np.char.upper(texts.astype(str))

    kerasette.backend.clear_session()
    text = layers.TextVectorization(standardize=shout, output_sequence_length=3)
    text.adapt(np.array(["a b", "b"]))
    assert text.get_config()["standardize"] == {"module": "builtins", "class_name": "function",
                                                "config": "preprocessing_test>shout", "registered_name": "function"}
    inputs = kerasette.Input((), dtype="string")
    kerasette.Model(inputs, text(inputs)).save(str(tmp_path / "m.keras"))
    loaded = kerasette.models.load_model(str(tmp_path / "m.keras"))
    np.testing.assert_array_equal(loaded.predict(np.array(["b A", "a"]), verbose=0), [[2, 3, 0], [3, 0, 0]])
    anonymous = layers.TextVectorization(standardize=lambda t: t, vocabulary=["a"])
    assert callable(anonymous.get_config()["standardize"])
    with pytest.raises(TypeError, match="Cannot write <function"):
        kerasette.Model(inputs, anonymous(inputs)).save(str(tmp_path / "lambda.keras"))
