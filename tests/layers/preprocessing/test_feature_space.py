"""FeatureSpace (keras.utils.FeatureSpace) against real Keras 3's numbers, in models, saved, and its errors.

Fixture: tests/fixtures/preprocessing/keras_feature_space.npz, written by
tests/fixtures/make_feature_space_fixtures.py (its docstring lists the keys and cases).
"""
import doctest
import json
import os

import numpy
import pytest

pytest.importorskip("farmhash", reason="the text extra (pyfarmhash) is not installed")

import kerasette  # noqa: E402
from kerasette import layers  # noqa: E402
from kerasette.layers.preprocessing import feature_space as feature_space_module  # noqa: E402
from kerasette.utils import FeatureSpace as FS  # noqa: E402

FIXTURE = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "preprocessing", "keras_feature_space.npz")
Z = numpy.load(FIXTURE)
COLUMNS = [key[5:] for key in Z.files if key.startswith("data.")]
DATA = {c: Z["data." + c] for c in COLUMNS}
NEW = {c: Z["new." + c] for c in COLUMNS}


def explicit_features():
    return {"age": FS.float(), "income": FS.float_rescaled(scale=0.01, offset=-1.0),
            "height": FS.float_normalized(), "score": FS.float_discretized(num_bins=5),
            "rooms": FS.integer_categorical(max_tokens=6), "city": FS.string_categorical(num_oov_indices=2),
            "zip": FS.integer_hashed(num_bins=11), "colour": FS.string_hashed(num_bins=7)}


BY_NAME = {"age": "float", "income": "float_rescaled", "height": "float_normalized", "score": "float_discretized",
           "rooms": "integer_categorical", "city": "string_categorical", "zip": "integer_hashed",
           "colour": "string_hashed"}


def make(case):
    if case == "concat":
        return FS(explicit_features(), output_mode="concat",
                  crosses=[FS.cross(("rooms", "city"), crossing_dim=9), FS.cross(("city", "colour"), crossing_dim=6)])
    if case == "by_name":
        return FS(BY_NAME, output_mode="concat", crosses=[("rooms", "colour")], crossing_dim=5, hashing_dim=4,
                  num_discretization_bins=3)
    if case == "as_dict":
        return FS({"age": FS.float(), "height": FS.float_normalized(),
                   "score": FS.float_discretized(num_bins=4, output_mode="int"),
                   "rooms": FS.integer_categorical(output_mode="int"),
                   "city": FS.string_categorical(output_mode="one_hot"),
                   "colour": FS.feature(preprocessor=layers.Hashing(num_bins=3), dtype="string", output_mode="int"),
                   "zip": FS.feature(preprocessor=layers.Hashing(num_bins=5), dtype="int32", output_mode="one_hot")},
                  output_mode="dict",
                  crosses=[FS.cross(("rooms", "city"), crossing_dim=8, output_mode="int"),
                           FS.cross(("city", "colour"), crossing_dim=4)])
    assert case == "batched"
    return FS(explicit_features(), output_mode="concat", crosses=[FS.cross(("rooms", "city"), crossing_dim=9)])


def adapt_data(case):
    if case == "batched":
        return [{k: v[i:i + 50] for k, v in DATA.items()} for i in range(0, 120, 50)]
    return DATA


def assert_matches_keras(case, fs):
    result = fs(NEW)
    if case == "as_dict":
        keys = json.loads(str(Z[case + ".spec"]))["keys"]
        assert list(result) == keys
        for key in keys:
            expected = Z[f"{case}.y.{key}"]
            assert result[key].shape == expected.shape, key
            if expected.dtype.kind == "f":
                numpy.testing.assert_allclose(result[key], expected, rtol=1e-5, atol=1e-5, err_msg=key)
            else:
                numpy.testing.assert_array_equal(result[key], expected, err_msg=key)
    else:
        assert result.dtype == numpy.float32
        numpy.testing.assert_allclose(result, Z[case + ".y"], rtol=1e-5, atol=1e-5)
        single = fs({k: v[3] for k, v in NEW.items()})
        assert single.shape == Z[case + ".single"].shape
        numpy.testing.assert_allclose(single, Z[case + ".single"], rtol=1e-5, atol=1e-5)
    for name, layer in fs.preprocessors.items():
        if f"{case}.vocab.{name}" in Z.files:
            assert layer.get_vocabulary() == json.loads(str(Z[f"{case}.vocab.{name}"]))
        if f"{case}.bins.{name}" in Z.files:
            numpy.testing.assert_allclose(layer.bin_boundaries, Z[f"{case}.bins.{name}"], rtol=1e-6)
        if f"{case}.moments.{name}" in Z.files:
            mean, variance = layer.get_weights()[:2]
            moments = numpy.concatenate([numpy.ravel(mean), numpy.ravel(variance)])
            numpy.testing.assert_allclose(moments, Z[f"{case}.moments.{name}"], rtol=1e-5)


# ----------------------------------------------------------------- Keras parity
@pytest.mark.parametrize("case", ["concat", "by_name", "as_dict", "batched"])
def test_encoded_features_match_keras(case):
    fs = make(case)
    fs.adapt(adapt_data(case))
    assert_matches_keras(case, fs)


def test_concat_order_and_widths():
    fs = make("concat")
    fs.adapt(DATA)
    out = fs(NEW)
    # sorted features, then sorted crosses: age(1) city(8) colour(7) height(1) income(1) rooms(6) score(5) zip(11)
    # city_X_colour(6) rooms_X_city(9)
    widths = [1, 8, 7, 1, 1, 6, 5, 11, 6, 9]
    assert out.shape == (24, sum(widths))
    starts = numpy.cumsum([0] + widths)
    numpy.testing.assert_allclose(out[:, 0], NEW["age"])
    numpy.testing.assert_allclose(out[:, starts[4]], NEW["income"] * 0.01 - 1.0, rtol=1e-6)
    for index in (1, 2, 5, 6, 7, 8, 9):
        block = out[:, starts[index]:starts[index + 1]]
        numpy.testing.assert_array_equal(block.sum(axis=1), 1.0)
    # unseen cities ("oslo", "rome") land in the out-of-vocabulary indices 0 and 1
    city = out[:, starts[1]:starts[2]]
    unseen = numpy.isin(NEW["city"], ["oslo", "rome"])
    assert unseen.any() and (city[unseen, :2].sum(axis=1) == 1).all()


@pytest.mark.parametrize("case", ["concat", "by_name", "as_dict"])
def test_reads_keras_config(case):
    """A config written by Keras' FeatureSpace (its private TFDIdentity included) builds the same features."""
    fs = FS.from_config(json.loads(str(Z[case + ".config"])))
    fs.adapt(DATA)
    assert_matches_keras(case, fs)


# ------------------------------------------------------------------- adapt data
def test_adapt_on_batches_tuples_and_rows_equals_dict():
    reference = make("concat")
    reference.adapt(DATA)
    expected = reference(NEW)
    labels = numpy.zeros(120)
    rows = ({k: v[i] for k, v in DATA.items()} for i in range(120))      # a generator of single rows
    tuples = [({k: v[i:i + 40] for k, v in DATA.items()}, labels[i:i + 40]) for i in range(0, 120, 40)]
    for data in (rows, tuples):
        fs = make("concat")
        fs.adapt(data)
        got = fs(NEW)
        # batches of 40 give other quantiles than Keras' 32 rows per batch for the dict: compare all but score
        score = slice(1 + 8 + 7 + 1 + 1 + 6, 1 + 8 + 7 + 1 + 1 + 6 + 5)
        mask = numpy.ones(expected.shape[1], bool)
        if data is tuples:
            mask[score] = False
        numpy.testing.assert_allclose(got[:, mask], expected[:, mask], rtol=1e-5, atol=1e-5)


def test_adapt_on_py_dataset_of_dict_batches():
    class Batches(kerasette.utils.PyDataset):
        def __len__(self):
            return 3

        def __getitem__(self, index):
            rows = slice(index * 50, (index + 1) * 50)
            return {k: v[rows] for k, v in DATA.items()}, numpy.zeros(len(DATA["age"][rows]))

    fs = make("batched")
    fs.adapt(Batches())
    assert_matches_keras("batched", fs)


def test_adapt_on_lists_and_calls_on_lists():
    fs = FS({"n": "float_normalized", "c": "string_categorical", "i": "integer_categorical"})
    fs.adapt({"n": [1.0, 2.0, 3.0, 4.0], "c": ["a", "b", "b", "c"], "i": [7, 7, 8, 9]})
    out = fs({"n": [2.5], "c": ["b"], "i": [7]})
    # c: [UNK] b c a; i: [UNK] 7 9 8; n: 0.0
    numpy.testing.assert_allclose(out, [[0, 1, 0, 0, 0, 1, 0, 0, 0.0]], atol=1e-6)


def test_features_without_state_need_no_adapt():
    fs = FS({"x": FS.float_rescaled(scale=2.0), "h": FS.string_hashed(num_bins=4),
             "d": FS.float_discretized(bin_boundaries=[0.0, 1.0])})
    out = fs({"x": numpy.array([1.0, 3.0]), "h": numpy.array(["a", "b"]), "d": numpy.array([-1.0, 0.5])})
    # d: 3 bins one-hot, h: 4 hashed bins one-hot, x rescaled
    assert out.shape == (2, 3 + 4 + 1)
    numpy.testing.assert_array_equal(out[:, :3], [[1, 0, 0], [0, 1, 0]])
    numpy.testing.assert_array_equal(out[:, 3:7].sum(axis=1), [1, 1])
    numpy.testing.assert_allclose(out[:, 7], [2.0, 6.0])


def test_preset_normalization_is_not_adapted():
    preset = layers.Normalization(mean=10.0, variance=4.0)
    fs = FS({"x": FS.feature(preprocessor=preset, dtype="float32", output_mode="float")})
    numpy.testing.assert_allclose(fs({"x": numpy.array([12.0, 8.0])}), [[1.0], [-1.0]])


# -------------------------------------------------------------- in a model
def model_space():
    fs = FS({"age": FS.float_normalized(), "rooms": "integer_categorical", "city": "string_categorical",
             "colour": FS.string_hashed(5)}, crosses=[("rooms", "city")], crossing_dim=7)
    fs.adapt(DATA)
    return fs


def columns(table, names):
    return {name: table[name][:, None] for name in names}


def test_inputs_and_encoded_features_build_a_model(tmp_path):
    fs = model_space()
    inputs = fs.get_inputs()
    assert list(inputs) == ["age", "rooms", "city", "colour"]
    assert [tuple(inputs[n].shape) for n in inputs] == [(None, 1)] * 4
    encoded = fs.get_encoded_features()
    assert tuple(encoded.shape) == (None, 1 + 7 + 5 + 8 + 7)   # age, city, colour, rooms, rooms_X_city
    # the graph computes what the eager call computes
    encoder = kerasette.Model(inputs, encoded)
    numpy.testing.assert_allclose(encoder.predict(columns(NEW, inputs), verbose=0), fs(NEW), atol=1e-6)
    outputs = layers.Dense(1, activation="sigmoid")(encoded)
    model = kerasette.Model(inputs, outputs)
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    target = (DATA["age"] > 40).astype("float32")
    history = model.fit(columns(DATA, inputs), target, epochs=3, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    predictions = model.predict(columns(NEW, inputs), verbose=0)
    # a model over the same layers with its inputs as a list saves and loads back predicting the same
    saved = kerasette.Model(list(inputs.values()), outputs)
    path = tmp_path / "model.keras"
    saved.save(path)
    loaded = kerasette.models.load_model(path)
    numpy.testing.assert_allclose(loaded.predict(columns(NEW, inputs), verbose=0), predictions, rtol=1e-6)


def test_symbolic_call_on_inputs():
    fs = model_space()
    inputs = {name: kerasette.Input(shape=(1,), dtype=f.dtype, name=f"{name}_in") for name, f in fs.features.items()}
    encoded = fs(inputs)
    model = kerasette.Model(list(inputs.values()), encoded)
    got = model.predict([NEW[n][:, None] for n in inputs], verbose=0)
    numpy.testing.assert_allclose(got, fs(NEW), atol=1e-6)


def test_dict_output_in_a_model():
    fs = make("as_dict")
    fs.adapt({k: v for k, v in DATA.items() if k in ("age", "height", "score", "rooms", "city", "colour", "zip")})
    encoded = fs.get_encoded_features()
    assert list(encoded) == json.loads(str(Z["as_dict.spec"]))["keys"]
    model = kerasette.Model(fs.get_inputs(), encoded["city_X_colour"])
    numpy.testing.assert_array_equal(model.predict(columns(NEW, fs.features), verbose=0), Z["as_dict.y.city_X_colour"])


# ------------------------------------------------------------ config and saving
def test_config_round_trip():
    fs = make("concat")
    config = json.loads(json.dumps(fs.get_config()))
    assert config["output_mode"] == "concat" and config["crossing_dim"] == 32
    assert config["features"]["city"]["class_name"] == "Feature"
    assert config["features"]["city"]["config"]["preprocessor"]["class_name"] == "StringLookup"
    assert config["crosses"][0]["config"] == {"feature_names": ["rooms", "city"], "crossing_dim": 9,
                                              "output_mode": "one_hot"}
    rebuilt = FS.from_config(config)
    assert {n: type(f.preprocessor).__name__ for n, f in rebuilt.features.items()} == \
        {n: type(f.preprocessor).__name__ for n, f in fs.features.items()}
    assert [c.name for c in rebuilt.crosses] == ["rooms_X_city", "city_X_colour"]
    rebuilt.adapt(DATA)
    assert_matches_keras("concat", rebuilt)


def test_feature_space_saves_and_loads(tmp_path):
    fs = make("concat")
    fs.adapt(DATA)
    path = tmp_path / "featurespace.keras"
    fs.save(path)
    loaded = kerasette.models.load_model(path)
    assert isinstance(loaded, FS)
    numpy.testing.assert_array_equal(loaded(NEW), fs(NEW))
    assert loaded.preprocessors["city"].get_vocabulary() == fs.preprocessors["city"].get_vocabulary()


# ---------------------------------------------------------------------- errors
def test_unknown_kind_names_the_feature():
    with pytest.raises(ValueError, match=r"feature 'age' has an unknown type 'float_normalised'"):
        FS({"age": "float_normalised"})


def test_missing_column_in_adapt_names_the_feature():
    fs = FS({"age": "float_normalized", "city": "string_categorical"})
    with pytest.raises(ValueError, match=r"no column for the features \['city'\]"):
        fs.adapt({"age": DATA["age"]})
    with pytest.raises(ValueError, match=r"batch 1 of the dataset has no column for the features \['city'\]"):
        fs.adapt([{"age": DATA["age"], "city": DATA["city"]}, {"age": DATA["age"]}])


def test_missing_column_in_call_names_the_feature():
    fs = FS({"age": "float", "zip": "integer_hashed"})
    with pytest.raises(ValueError, match=r"no column for the features \['zip'\]"):
        fs({"age": DATA["age"]})


def test_adapt_never_called_names_the_features():
    fs = FS({"age": "float", "height": "float_normalized", "city": "string_categorical"})
    for use in (lambda: fs(DATA), fs.get_inputs, fs.get_encoded_features):
        with pytest.raises(ValueError, match=r"call `.adapt\(dataset\)`.*\['height', 'city'\]"):
            use()


def test_bad_arguments():
    with pytest.raises(ValueError, match="non-empty dict"):
        FS({})
    with pytest.raises(ValueError, match="output_mode"):
        FS({"a": "float"}, output_mode="stack")
    with pytest.raises(ValueError, match=r"not in `features`: \['b'\]"):
        FS({"a": "integer_categorical"}, crosses=[("a", "b")])
    with pytest.raises(ValueError, match="output_mode"):
        FS.cross(("a", "b"), crossing_dim=4, output_mode="float")
    with pytest.raises(ValueError, match="called on a dict"):
        FS({"a": "float"})(numpy.zeros(3))
    with pytest.raises(TypeError, match="dict of column arrays"):
        FS({"a": "float_normalized"}).adapt(numpy.zeros(3))
    with pytest.raises(TypeError, match="batch 0 of the dataset is a ndarray"):
        FS({"a": "float_normalized"}).adapt([numpy.zeros(3)])


def test_concat_of_int_feature_is_refused():
    fs = FS({"a": FS.integer_categorical(output_mode="int"), "b": "float"})
    with pytest.raises(ValueError, match=r"feature 'a' is not encoded.*output_mode='dict'"):
        fs.adapt({"a": [1, 2], "b": [0.0, 1.0]})      # adapt finishes building (as in Keras)


def test_one_hot_of_unknown_cardinality_is_refused():
    fs = FS({"a": FS.feature(preprocessor=layers.Identity(dtype="int32"), dtype="int32", output_mode="one_hot")})
    with pytest.raises(ValueError, match=r"feature 'a'.*size of the output space.*output_mode='int'"):
        fs({"a": [1, 2]})


# -------------------------------------------------------------------- exposure
def test_exposed_as_keras_utils_only():
    assert "FeatureSpace" in kerasette.utils.__all__
    assert kerasette.utils.FeatureSpace is feature_space_module.FeatureSpace
    assert "FeatureSpace" not in layers.preprocessing.__all__
    assert not hasattr(layers, "FeatureSpace")


def test_docstring_example():
    result = doctest.testmod(feature_space_module, globs={"numpy": numpy, "FeatureSpace": FS},
                             optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


def test_adapting_again_resizes_the_encoders():
    fs = FS({"c": "string_categorical", "x": "float"})
    fs.adapt({"c": ["a", "b"], "x": [0.0, 1.0]})
    assert fs({"c": ["b"], "x": [2.0]}).shape == (1, 3 + 1)
    fs.adapt({"c": ["a", "b", "c", "d", "d"], "x": [0.0, 1.0, 2.0, 3.0, 4.0]})
    numpy.testing.assert_array_equal(fs({"c": ["d", "q"], "x": [2.0, 3.0]}), [[0, 1, 0, 0, 0, 2], [1, 0, 0, 0, 0, 3]])
    assert tuple(fs.get_encoded_features().shape) == (None, 5 + 1)
    assert len(fs.layers) == 2 + 1 + 1       # two preprocessors, one encoder, the concat layer
