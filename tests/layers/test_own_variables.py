"""Variables a layer holds as attributes, and Keras 3's ``save_own_variables`` /
``load_own_variables`` protocol (keras.io's "Customizing Saving and
Serialization" guide: a Dense subclass with ``self.my_variable =
keras.Variable(...)`` whose ``save_own_variables`` calls ``super()``).

Keras 3 tracks a ``keras.Variable`` assigned to a layer attribute (also in a
list or a dict) as one of the layer's weights: it is trained, saved and
counted.  kerasette ignored it (never trained, never saved), and ``Layer``
had no ``save_own_variables`` for a subclass's ``super()`` to call.  A
stateful RNN's carried states stay out of the weights, as in Keras 3.
"""
import os

import numpy as np
import pytest

import kerasette as keras
from kerasette import backend


@pytest.fixture(autouse=True)
def fresh_names():
    backend.clear_session()
    yield


def _layer_class(lib):
    class WithVariables(lib.layers.Dense):
        def __init__(self, units, **kwargs):
            super().__init__(units, **kwargs)
            self.my_variable = lib.Variable(np.full((units,), 0.5), name="my_variable", dtype="float32")
            self.frozen = lib.Variable(np.zeros((2,)), name="frozen", trainable=False)

        def call(self, inputs):
            return super().call(inputs) + self.my_variable

    return WithVariables


def _train(lib):
    layer = _layer_class(lib)(1, kernel_initializer="ones")
    model = lib.Sequential([lib.Input((3,)), layer])
    model.compile(optimizer="sgd", loss="mse")
    x = np.linspace(0.0, 1.0, 12, dtype="float32").reshape(4, 3)
    y = np.array([[0.0], [1.0], [0.5], [2.0]], "float32")
    model.fit(x, y, batch_size=2, epochs=2, verbose=0, shuffle=False)
    return layer, model


def test_attribute_variables_are_weights_and_train():
    layer, model = _train(keras)
    assert [(w.name, w.trainable) for w in layer.weights] == [
        ("my_variable", True), ("kernel", True), ("bias", True), ("frozen", False)]
    assert [w.name for w in layer.trainable_weights] == ["my_variable", "kernel", "bias"]
    assert [w.name for w in layer.non_trainable_weights] == ["frozen"]
    assert layer.count_params() == 1 + 3 + 1 + 2
    assert float(layer.my_variable.numpy()[0]) != 0.5          # trained
    np.testing.assert_array_equal(layer.frozen.numpy(), [0.0, 0.0])
    assert len(model.get_weights()) == 4


def test_attribute_variables_train_like_keras():
    os.environ.setdefault("KERAS_BACKEND", "jax")
    real = pytest.importorskip("keras")
    ours, _ = _train(keras)
    theirs, _ = _train(real)
    assert [w.name for w in ours.weights] == [w.name for w in theirs.weights]
    for got, want in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(got, np.asarray(want), rtol=1e-5, atol=1e-6)


def test_variables_in_lists_and_dicts_are_tracked_once():
    class Holder(keras.layers.Layer):
        def __init__(self):
            super().__init__()
            self.pair = [keras.Variable(np.zeros(2), name="a"), keras.Variable(np.ones(3), name="b", trainable=False)]
            self.table = {"x": keras.Variable(np.zeros(1), name="c")}
            self.same = self.pair[0]

        def call(self, x):
            return x

    assert [w.name for w in Holder().weights] == ["a", "c", "b"]     # Keras 3.15's order


def test_stateful_rnn_states_are_not_weights():
    model = keras.Sequential([keras.Input((4, 2), batch_size=3), keras.layers.LSTM(2, stateful=True)])
    model.predict(np.ones((3, 4, 2), "float32"), verbose=0)
    assert [w.name for w in model.layers[0].weights] == ["kernel", "recurrent_kernel", "bias"]


def test_default_save_and_load_own_variables():
    layer = _layer_class(keras)(2, kernel_initializer="ones")
    layer.build((None, 3))
    store = {}
    layer.save_own_variables(store)
    assert sorted(store) == ["0", "1", "2", "3"]
    assert [store[k].shape for k in ("0", "1", "2", "3")] == [(2,), (3, 2), (2,), (2,)]
    other = _layer_class(keras)(2)
    other.build((None, 3))
    other.load_own_variables(store)
    for got, want in zip(other.get_weights(), layer.get_weights()):
        np.testing.assert_array_equal(got, want)


def test_load_own_variables_refuses_before_assigning():
    layer = keras.layers.Dense(2)
    layer.build((None, 3))
    before = [w.copy() for w in layer.get_weights()]
    with pytest.raises(ValueError, match=r"Layer 'dense' has 2 variable\(s\) \['kernel', 'bias'\], but the store "
                                         r"holds 1 entries"):
        layer.load_own_variables({"0": np.zeros((3, 2))})
    with pytest.raises(ValueError, match=r"entry '1' has shape \(3,\), but variable 'bias' has shape \(2,\)"):
        layer.load_own_variables({"0": np.ones((3, 2)), "1": np.ones(3)})
    for got, want in zip(layer.get_weights(), before):
        np.testing.assert_array_equal(got, want)          # the kernel was not assigned either


def test_dense_and_embedding_take_keras3_quantization_arguments():
    # a subclass passing Keras 3.15's config on to Dense gets these at their defaults
    assert keras.layers.Dense(2, lora_rank=None, lora_alpha=None, quantization_config=None).units == 2
    assert keras.layers.Embedding(4, 2, lora_rank=None, quantization_config=None).output_dim == 2
    with pytest.raises(NotImplementedError, match=r"Dense\(lora_rank=4\)"):
        keras.layers.Dense(2, lora_rank=4)
    with pytest.raises(NotImplementedError, match="Embedding"):
        keras.layers.Embedding(4, 2, quantization_config={"mode": "int8"})


def test_the_store_order_does_not_change_when_the_layer_is_frozen():
    class Counter(keras.layers.Layer):
        def build(self, input_shape):
            self.count = self.add_weight(shape=(1,), initializer="zeros", trainable=False, name="count")
            self.scale = self.add_weight(shape=(2,), initializer="ones", name="scale")

        def call(self, x):
            return x * self.scale

    layer = Counter()
    layer(np.ones((1, 2), "float32"))
    layer.count.assign([7.0])
    layer.scale.assign([2.0, 3.0])
    live, frozen = {}, {}
    layer.save_own_variables(live)
    layer.trainable = False
    layer.save_own_variables(frozen)
    assert [v.shape for v in live.values()] == [(2,), (1,)]          # made trainable first
    assert list(live) == list(frozen) and all(np.array_equal(live[k], frozen[k]) for k in live)
    layer.trainable = True
    layer.load_own_variables(frozen)
    np.testing.assert_array_equal(layer.scale.numpy(), [2.0, 3.0])
    np.testing.assert_array_equal(layer.count.numpy(), [7.0])
