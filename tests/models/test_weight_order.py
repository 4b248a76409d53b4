"""Weight order as in Keras (3 and tf.keras alike): layer by layer, each layer's
trainable weights then its non-trainable ones, then its nested layers'.
``model.weights``, ``get_weights`` and ``set_weights`` follow it, so a real
Keras model's ``get_weights()`` goes straight into ``set_weights`` (real
Keras' names, weights and predictions: tests/fixtures/keras_rnn_state.npz,
``order_*``)."""
import json
import os

import numpy as np
import pytest

import kerasette as keras
from kerasette import backend, layers

FIXTURES = os.path.join(os.path.dirname(__file__), os.pardir, "fixtures", "keras_rnn_state.npz")
L = layers


@pytest.fixture(autouse=True)
def fresh_state():
    backend.clear_session()
    backend.set_seed(0)
    yield


@pytest.fixture(scope="module")
def data():
    with np.load(FIXTURES, allow_pickle=False) as archive:
        yield {key: archive[key] for key in archive.files}


def weights_of(data, prefix):
    count = len([k for k in data if k.startswith(f"{prefix}.weights.")])
    return [data[f"{prefix}.weights.{i}"] for i in range(count)]


def tails(paths, parts):
    return [tuple(path.split("/")[-parts:]) for path in paths]


def check_order(model, data, prefix, parts=2):
    """Paths compared by their last ``parts`` parts (Keras 3 puts a nested model's or
    layer's name in front, tf.keras and kerasette do not)."""
    for key, variables in (("weight_paths", model.weights), ("trainable_paths", model.trainable_weights),
                           ("non_trainable_paths", model.non_trainable_weights)):
        expected = json.loads(str(data[f"{prefix}.{key}"]))
        assert tails([w.path for w in variables], parts) == tails(expected, parts), key
    assert model.trainable_variables == model.trainable_weights
    assert model.variables == model.weights
    model.set_weights(weights_of(data, prefix))
    for got, expected in zip(model.get_weights(), weights_of(data, prefix)):
        np.testing.assert_array_equal(got, expected)
    np.testing.assert_allclose(model.predict(data[f"{prefix}.x"], verbose=0), data[f"{prefix}.predict"],
                               rtol=1e-5, atol=1e-6)


def test_dense_batch_norm_dense_takes_keras_weights(data):
    model = keras.Sequential([keras.Input((3,)), L.Dense(4, name="hidden"), L.BatchNormalization(name="norm"),
                              L.Dense(2, name="top")])
    # Keras 3's paths: under the Sequential's name
    assert [w.path for w in model.weights] == [f"{model.name}/{path}" for path in (
        "hidden/kernel", "hidden/bias", "norm/gamma", "norm/beta", "norm/moving_mean", "norm/moving_variance",
        "top/kernel", "top/bias")]
    check_order(model, data, "order_bn")


def test_nested_model_and_frozen_layer(data):
    inner = keras.Sequential([keras.Input((3,)), L.Dense(4, name="inner_dense"),
                              L.BatchNormalization(name="inner_bn")], name="inner")
    frozen = L.BatchNormalization(name="frozen_bn")
    frozen.trainable = False
    inputs = keras.Input((3,))
    model = keras.Model(inputs, L.Dense(2, name="outer_dense")(frozen(inner(inputs))))
    check_order(model, data, "order_nested")
    assert [w.path for w in inner.weights] == ["inner/inner_dense/kernel", "inner/inner_dense/bias",
                                               "inner/inner_bn/gamma", "inner/inner_bn/beta",
                                               "inner/inner_bn/moving_mean", "inner/inner_bn/moving_variance"]
    assert frozen.trainable_weights == [] and len(frozen.non_trainable_weights) == 4


class Block(layers.Layer):
    """A layer of one's own: weights of its own (a non-trainable one made first), then sublayers."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.dense = L.Dense(2)
        self.norm = L.BatchNormalization()

    def build(self, input_shape):
        self.scale = self.add_weight(shape=(2,), name="scale", initializer="ones", trainable=False)
        self.shift = self.add_weight(shape=(2,), name="shift", initializer="zeros")

    def call(self, x):
        return self.norm(self.dense(x)) * self.scale + self.shift


def test_layer_of_ones_own_lists_its_weights_then_its_sublayers(data):
    inputs = keras.Input((3,))
    model = keras.Model(inputs, L.Dense(1)(Block()(inputs)))
    check_order(model, data, "order_block", parts=1)


def test_set_weights_refuses_a_wrong_list_before_changing_anything():
    model = keras.Sequential([keras.Input((3,)), L.Dense(4), L.BatchNormalization(), L.Dense(2)])
    before = model.get_weights()
    trainable_first = [w.numpy() for w in model.trainable_weights + model.non_trainable_weights]
    with pytest.raises(ValueError, match="shape"):
        model.set_weights(trainable_first)     # the old order: (4,) moving mean where a kernel goes
    for got, expected in zip(model.get_weights(), before):
        np.testing.assert_array_equal(got, expected)


def test_training_still_updates_trainable_weights_only():
    model = keras.Sequential([keras.Input((3,)), L.Dense(4), L.BatchNormalization(), L.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x = np.random.default_rng(0).normal(size=(16, 3)).astype("float32")
    before = {w.path: w.numpy().copy() for w in model.weights}
    model.fit(x, x[:, :1], epochs=1, verbose=0)
    changed = {w.path for w in model.weights if not np.array_equal(before[w.path], w.numpy())}
    assert changed == {w.path for w in model.weights}     # moving statistics move too, by their own update
    assert [w.path for w in model.trainable_weights] == [
        w.path for w in model.weights if not w.path.split("/")[-1].startswith("moving")]


@pytest.mark.parametrize("suffix", [".h5", ".weights.h5"])
def test_weight_files_round_trip_models_with_batch_norm_inside(tmp_path, suffix):
    def build():
        inner = keras.Sequential([keras.Input((3,)), L.Dense(4), L.BatchNormalization()], name="inner")
        inputs = keras.Input((3,))
        return keras.Model(inputs, L.Dense(2)(Block()(inner(inputs))))
    model = build()
    rng = np.random.default_rng(1)
    model.set_weights([rng.uniform(0.5, 2.0, w.shape).astype("float32") for w in model.weights])
    path = str(tmp_path / f"model{suffix}")
    model.save_weights(path)
    backend.clear_session()
    other = build()
    other.load_weights(path)
    for got, expected in zip(other.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(got, expected)
