"""save_weights / load_weights: Keras' legacy layout and Keras 3's, matching rules, warnings."""
import warnings

import h5py
import numpy as np
import pytest

from kerasette import Input, Model, Sequential, backend
from kerasette.layers import BatchNormalization, Conv2D, Dense, Dropout, Embedding, Flatten
from kerasette.saving import WeightFileError, load_weights, save_weights


@pytest.fixture(autouse=True)
def fresh_names():
    backend.clear_session()
    yield


def mlp(hidden_name="hidden", out_units=2, with_dropout=False):
    layers = [Input(shape=(4,)), Dense(3, activation="relu", name=hidden_name),
              BatchNormalization(name="bn")]
    if with_dropout:
        layers.append(Dropout(0.5, name="drop"))
    layers.append(Dense(out_units, name="out"))
    return Sequential(layers, name="mlp")


def randomize(model, seed=0):
    rng = np.random.default_rng(seed)
    model.set_weights([rng.normal(0, 1, w.shape).astype(w.dtype) if "variance" not in w.path
                       else rng.uniform(0.5, 2, w.shape).astype(w.dtype) for w in model.weights])


def same_weights(a, b):
    return all(np.array_equal(x, y) for x, y in zip(a.get_weights(), b.get_weights()))


X = np.random.default_rng(5).normal(0, 1, (3, 4)).astype("float32")


def test_legacy_layout_is_keras_layout(tmp_path):
    model = mlp()
    path = tmp_path / "w.h5"
    model.save_weights(path)
    with h5py.File(path, "r") as f:
        assert [n.decode() if isinstance(n, bytes) else n for n in f.attrs["layer_names"]] == ["hidden", "bn", "out"]
        assert f.attrs["keras_version"] and f.attrs["backend"] == "numpy"
        names = list(f["hidden"].attrs["weight_names"])
        assert names == ["hidden/kernel:0", "hidden/bias:0"]
        assert f["hidden"]["hidden/kernel:0"].shape == (4, 3)
        assert f["/hidden/hidden/kernel:0"].shape == (4, 3)     # the "/" makes an inner group, as in Keras
        assert list(f["bn"].attrs["weight_names"]) == [
            "bn/gamma:0", "bn/beta:0", "bn/moving_mean:0", "bn/moving_variance:0"]
        assert f["hidden"]["hidden/kernel:0"].chunks is None    # contiguous, like Keras'
        assert "top_level_model_weights" in f
        np.testing.assert_array_equal(f["out/out/bias:0"][()], model.get_layer("out").weights[1].numpy())


def test_legacy_round_trip(tmp_path):
    model = mlp()
    randomize(model)
    model.save_weights(tmp_path / "w.h5")
    backend.clear_session()
    clone = mlp()
    clone.load_weights(tmp_path / "w.h5")
    assert same_weights(model, clone)
    np.testing.assert_array_equal(clone(X), model(X))


def test_keras3_layout_written_for_weights_h5_names(tmp_path):
    model = mlp()
    randomize(model)
    path = tmp_path / "w.weights.h5"
    model.save_weights(path)
    with h5py.File(path, "r") as f:
        assert "layer_names" not in f.attrs
        assert f["layers/dense/vars"].attrs["name"] == "hidden"
        assert f["layers/dense_1/vars"].attrs["name"] == "out"
        assert sorted(f["layers/batch_normalization/vars"].keys()) == ["0", "1", "2", "3"]
        np.testing.assert_array_equal(f["layers/dense/vars/0"][()], model.get_layer("hidden").weights[0].numpy())
        assert f["vars"].attrs["name"] == "mlp"
    backend.clear_session()
    clone = mlp()
    clone.load_weights(path)
    assert same_weights(model, clone)


def test_keras3_layout_includes_the_built_optimizer(tmp_path):
    model = mlp()
    model.compile(optimizer="adam", loss="mse")
    model.train_on_batch(X, np.ones((3, 2), "float32"))
    model.save_weights(tmp_path / "w.weights.h5")
    with h5py.File(tmp_path / "w.weights.h5", "r") as f:
        assert f["optimizer/vars"].attrs["name"] == model.optimizer.name
        assert len(f["optimizer/vars"]) == len(model.optimizer.variables)
    clone = mlp()
    clone.compile(optimizer="adam", loss="mse")
    clone.load_weights(tmp_path / "w.weights.h5")
    assert int(clone.optimizer.iterations.numpy()) == 1
    for a, b in zip(model.optimizer.variables, clone.optimizer.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_keras3_numeric_keys_sort_numerically(tmp_path):
    # more than ten variables in one entry: h5py lists 0, 1, 10, 11, 2, ...
    from kerasette.layers import Layer

    class Many(Layer):
        def build(self, input_shape):
            self.parts = [self.add_weight(name=f"w{i}", shape=(i + 1,), initializer="ones") for i in range(12)]

        def call(self, inputs):
            return inputs

    inputs = Input(shape=(2,))
    model = Model(inputs, Many(name="many")(inputs))
    for i, w in enumerate(model.weights):
        w.assign(np.full(w.shape, i, "float32"))
    model.save_weights(tmp_path / "m.weights.h5")
    backend.clear_session()
    inputs = Input(shape=(2,))
    clone = Model(inputs, Many(name="many")(inputs))
    clone.load_weights(tmp_path / "m.weights.h5")
    assert [float(w.numpy()[0]) for w in clone.weights] == list(range(12))


def test_topological_ignores_weightless_layers_and_names(tmp_path):
    model = mlp(hidden_name="first")
    randomize(model)
    model.save_weights(tmp_path / "w.h5")
    backend.clear_session()
    other = mlp(hidden_name="renamed", with_dropout=True)     # other names, one more weightless layer
    other.load_weights(tmp_path / "w.h5")
    assert same_weights(model, other)


def test_by_name_loads_matching_layers_only(tmp_path):
    model = mlp()
    randomize(model)
    model.save_weights(tmp_path / "w.h5")
    backend.clear_session()
    other = mlp(hidden_name="something_else")
    before = other.get_layer("something_else").get_weights()
    other.load_weights(tmp_path / "w.h5", by_name=True)
    for a, b in zip(other.get_layer("something_else").get_weights(), before):
        np.testing.assert_array_equal(a, b)        # not in the file: untouched
    for name in ("bn", "out"):
        for a, b in zip(other.get_layer(name).get_weights(), model.get_layer(name).get_weights()):
            np.testing.assert_array_equal(a, b)


def test_by_name_on_keras3_layout_uses_the_name_attribute(tmp_path):
    model = mlp()
    randomize(model)
    model.save_weights(tmp_path / "w.weights.h5")
    backend.clear_session()
    other = Sequential([Input(shape=(4,)), Dense(3, name="unrelated"), BatchNormalization(name="bn"),
                        Dense(2, name="out")])
    other.load_weights(tmp_path / "w.weights.h5", by_name=True)
    for name in ("bn", "out"):
        for a, b in zip(other.get_layer(name).get_weights(), model.get_layer(name).get_weights()):
            np.testing.assert_array_equal(a, b)


def test_shape_mismatch_error_names_file_layer_and_both_shapes(tmp_path):
    model = mlp()
    model.save_weights(tmp_path / "w.h5")
    backend.clear_session()
    other = mlp(out_units=5)
    before = other.get_weights()
    with pytest.raises(WeightFileError) as error:
        other.load_weights(tmp_path / "w.h5")
    message = str(error.value)
    assert "'out'" in message and "(3, 5)" in message and "(3, 2)" in message and "w.h5" in message
    assert same_weights(other, type("W", (), {"get_weights": lambda self: before})())


def test_shape_mismatch_in_keras3_layout(tmp_path):
    mlp().save_weights(tmp_path / "w.weights.h5")
    backend.clear_session()
    other = mlp(out_units=5)
    before = other.get_weights()
    with pytest.raises(WeightFileError, match=r"'out'.*\(3, 5\).*\(3, 2\)"):
        other.load_weights(tmp_path / "w.weights.h5")
    assert all(np.array_equal(a, b) for a, b in zip(other.get_weights(), before))


def test_skip_mismatch_warns_and_loads_the_rest(tmp_path):
    model = mlp()
    randomize(model)
    model.save_weights(tmp_path / "w.h5")
    backend.clear_session()
    other = mlp(out_units=5)
    out_before = other.get_layer("out").get_weights()
    with pytest.warns(UserWarning, match=r"Skipping loading weights.*'out'.*\(3, 5\).*\(3, 2\)"):
        other.load_weights(tmp_path / "w.h5", skip_mismatch=True)
    for a, b in zip(other.get_layer("out").get_weights(), out_before):
        np.testing.assert_array_equal(a, b)
    for name in ("hidden", "bn"):
        for a, b in zip(other.get_layer(name).get_weights(), model.get_layer(name).get_weights()):
            np.testing.assert_array_equal(a, b)


def test_skip_mismatch_by_name_and_keras3_layout(tmp_path):
    model = mlp()
    randomize(model)
    model.save_weights(tmp_path / "w.h5")
    model.save_weights(tmp_path / "w.weights.h5")
    for path, by_name in ((tmp_path / "w.h5", True), (tmp_path / "w.weights.h5", False)):
        backend.clear_session()
        other = mlp(out_units=5)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            other.load_weights(path, by_name=by_name, skip_mismatch=True)
        assert any("'out'" in str(w.message) for w in caught)
        for a, b in zip(other.get_layer("hidden").get_weights(), model.get_layer("hidden").get_weights()):
            np.testing.assert_array_equal(a, b)


def test_layer_count_mismatch_is_an_error(tmp_path):
    mlp().save_weights(tmp_path / "w.h5")
    backend.clear_session()
    bigger = Sequential([Input(shape=(4,)), Dense(3, name="a"), Dense(3, name="b"), BatchNormalization(name="bn"),
                         Dense(2, name="out")])
    before = bigger.get_weights()
    with pytest.raises(WeightFileError, match=r"Layer count mismatch.*w\.h5.*4 layers with weights.*3"):
        bigger.load_weights(tmp_path / "w.h5")
    assert all(np.array_equal(a, b) for a, b in zip(bigger.get_weights(), before))


def test_nested_model_round_trips_in_both_layouts(tmp_path):
    inner = Sequential([Input(shape=(4,)), Dense(3, name="hidden"), BatchNormalization(name="ibn")], name="inner")
    model = Sequential([Input(shape=(4,)), inner, Dense(2, name="head")], name="outer")
    randomize(model)
    model.save_weights(tmp_path / "w.h5")
    model.save_weights(tmp_path / "w.weights.h5")
    with h5py.File(tmp_path / "w.h5", "r") as f:
        assert list(f["inner"].attrs["weight_names"])[:2] == ["hidden/kernel:0", "hidden/bias:0"]
    with h5py.File(tmp_path / "w.weights.h5", "r") as f:
        assert f["layers/sequential/layers/dense/vars"].attrs["name"] == "hidden"
    for path in (tmp_path / "w.h5", tmp_path / "w.weights.h5"):
        backend.clear_session()
        inner2 = Sequential([Input(shape=(4,)), Dense(3, name="hidden"), BatchNormalization(name="ibn")], name="inner")
        clone = Sequential([Input(shape=(4,)), inner2, Dense(2, name="head")], name="outer")
        clone.load_weights(path)
        assert same_weights(model, clone)


def test_functional_cnn_with_embedding_round_trips(tmp_path):
    from tests.fixtures.saving.make_saving_fixtures import build_cnn
    import kerasette
    model = build_cnn(kerasette)
    randomize(model)
    xs = [np.random.default_rng(1).normal(0, 1, (2, 6, 6, 2)).astype("float32"),
          np.random.default_rng(2).integers(0, 10, (2, 4)).astype("int32")]
    for name in ("w.h5", "w.weights.h5"):
        model.save_weights(tmp_path / name)
        backend.clear_session()
        clone = build_cnn(kerasette)
        clone.load_weights(tmp_path / name)
        np.testing.assert_array_equal(np.asarray(clone(xs)), np.asarray(model(xs)))


def test_subclassed_model_saves_and_loads_weights(tmp_path):
    class Net(Model):
        def __init__(self):
            super().__init__(name="net")
            self.conv = Conv2D(2, 3, name="conv")
            self.flat = Flatten(name="flat")
            self.dense = Dense(3, name="dense")

        def call(self, x):
            return self.dense(self.flat(self.conv(x)))

    x = np.random.default_rng(0).normal(0, 1, (2, 5, 5, 1)).astype("float32")
    net = Net()
    expected = np.asarray(net(x))
    for name in ("net.h5", "net.weights.h5"):
        net.save_weights(tmp_path / name)
        backend.clear_session()
        again = Net()
        again(x)
        again.load_weights(tmp_path / name)
        np.testing.assert_array_equal(np.asarray(again(x)), expected)


def test_unbuilt_model_refuses_clearly(tmp_path):
    model = Sequential([Dense(2)])
    with pytest.raises(ValueError, match="has not created its weights yet"):
        model.save_weights(tmp_path / "w.h5")


def test_overwrite_false_keeps_the_file(tmp_path):
    model = mlp()
    model.save_weights(tmp_path / "w.h5")
    content = (tmp_path / "w.h5").read_bytes()
    with pytest.raises(FileExistsError, match="overwrite=False"):
        model.save_weights(tmp_path / "w.h5", overwrite=False)
    assert (tmp_path / "w.h5").read_bytes() == content


def test_dtype_is_cast_on_load(tmp_path):
    model = mlp()
    randomize(model)
    path = tmp_path / "w64.h5"
    model.save_weights(path)
    from kerasette.saving.hdf5 import unseal
    unseal(path)                          # edited below on purpose
    with h5py.File(path, "a") as f:     # a writer that stored float64
        data = f["hidden/hidden/kernel:0"][()].astype("float64")
        del f["hidden/hidden/kernel:0"]
        f["hidden"].create_dataset("hidden/kernel:0", data=data)
    clone = mlp()
    clone.load_weights(path)
    assert clone.get_layer("hidden").weights[0].dtype == np.float32
    np.testing.assert_array_equal(clone.get_layer("hidden").weights[0].numpy(),
                                  model.get_layer("hidden").weights[0].numpy())


def test_old_writer_variants_are_read(tmp_path):
    """Fixed-length byte strings (h5py 2), chunked layer_names0/1, names without ':0', no top-level group."""
    model = mlp()
    randomize(model)
    path = tmp_path / "old.h5"
    with h5py.File(path, "w") as f:
        f.attrs["layer_names0"] = np.array([b"hidden", b"bn"], dtype="S")
        f.attrs["layer_names1"] = np.array([b"out"], dtype="S")
        f.attrs["keras_version"] = b"2.3.1"
        f.attrs["backend"] = b"tensorflow"
        for layer in model.layers:
            group = f.create_group(layer.name)
            names = [f"{layer.name}/{w.name}" for w in layer.weights]   # no ":0"
            group.attrs["weight_names"] = np.array([n.encode() for n in names], dtype="S")
            for name, weight in zip(names, layer.weights):
                group.create_dataset(name, data=weight.numpy())
    clone = mlp()
    clone.load_weights(path)
    assert same_weights(model, clone)


def test_large_layer_lists_are_chunked_like_keras(tmp_path):
    from kerasette.saving.hdf5 import read_string_list, write_string_list
    names = [f"layer_with_a_rather_long_name_{i:05d}" for i in range(3000)]
    with h5py.File(tmp_path / "big.h5", "w") as f:
        write_string_list(f, "layer_names", names)
        assert "layer_names" not in f.attrs and "layer_names0" in f.attrs and "layer_names1" in f.attrs
        assert read_string_list(f, "layer_names") == names


def test_embedding_and_conv_weights_in_keras_order(tmp_path):
    inputs = Input(shape=(3,), dtype="int32")
    x = Embedding(7, 2, name="emb")(inputs)
    model = Model(inputs, Dense(1, name="d")(Flatten()(x)))
    model.save_weights(tmp_path / "e.h5")
    with h5py.File(tmp_path / "e.h5", "r") as f:
        assert list(f["emb"].attrs["weight_names"]) == ["emb/embeddings:0"]
        assert f["emb/emb/embeddings:0"].shape == (7, 2)


def test_functions_take_the_model_as_first_argument(tmp_path):
    model = mlp()
    randomize(model)
    save_weights(model, tmp_path / "w.h5")
    clone = mlp()
    load_weights(clone, tmp_path / "w.h5")
    assert same_weights(model, clone)


def test_a_file_edited_after_saving_is_refused_until_unsealed(tmp_path):
    from kerasette.saving.hdf5 import unseal
    model = mlp()
    model.save_weights(tmp_path / "w.h5")
    with h5py.File(tmp_path / "w.h5", "a") as f:
        f["out/out/bias:0"][...] = 7.0
    clone = mlp()
    before = clone.get_weights()
    with pytest.raises(WeightFileError, match="whole-file checksum.*unseal"):
        clone.load_weights(tmp_path / "w.h5")
    assert all(np.array_equal(a, b) for a, b in zip(clone.get_weights(), before))
    unseal(tmp_path / "w.h5")
    with pytest.raises(WeightFileError, match="fail their checksum"):   # the dataset's own CRC still disagrees
        clone.load_weights(tmp_path / "w.h5")


def test_file_without_weights_is_refused(tmp_path):
    with h5py.File(tmp_path / "empty.h5", "w") as f:
        f.create_group("something")
    with pytest.raises(WeightFileError, match="holds no Keras weights"):
        mlp().load_weights(tmp_path / "empty.h5")


def test_missing_file_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothing_here.h5"):
        mlp().load_weights(tmp_path / "nothing_here.h5")
