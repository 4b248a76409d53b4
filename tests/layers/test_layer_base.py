"""The Layer protocol: names, weights, build/call, graph vs eager vs arrays."""
import numpy as np
import pytest

import kerasette
from kerasette import Tensor, backend, ops
from kerasette.engine import Session
from kerasette.layers import Dense, Input, Layer
from kerasette.primitives.base import ShapeError


@pytest.fixture(autouse=True)
def fresh_names():
    backend.clear_session()
    yield


def test_names_are_unique_the_keras_way():
    assert [Dense(1).name for _ in range(3)] == ["dense", "dense_1", "dense_2"]
    backend.clear_session()
    assert Dense(1).name == "dense"
    assert Input(shape=(2,)).origin[0].layer.name == "input_1"


def test_dense_weights_shapes_and_order():
    layer = Dense(3)
    layer.build((None, 4))
    assert [w.path for w in layer.weights] == ["dense/kernel", "dense/bias"]
    assert [w.shape for w in layer.get_weights()] == [(4, 3), (3,)]
    assert layer.count_params() == 15
    assert layer.kernel.dtype == np.float32


def test_graph_eager_and_arrays_give_the_same_numbers():
    layer = Dense(3, activation="relu")
    x = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)
    from_arrays = layer(x)
    assert isinstance(from_arrays, np.ndarray)
    from_tensor = layer(Tensor(x)).numpy()
    node = layer(Input(shape=(4,)))
    from_graph = Session().run(node, {node.origin[0].args[0]: x})
    expected = np.maximum(x @ layer.kernel.numpy() + layer.bias.numpy(), 0)
    np.testing.assert_allclose(from_arrays, expected, rtol=1e-6)
    np.testing.assert_allclose(from_tensor, expected, rtol=1e-6)
    np.testing.assert_allclose(from_graph, expected, rtol=1e-6)


def test_eager_backward_reaches_the_weights():
    layer = Dense(2)
    x = Tensor(np.ones((3, 4), np.float32))
    loss = ops.sum(layer(x))
    loss.backward()
    np.testing.assert_allclose(layer.kernel.grad.numpy(), np.full((4, 2), 3.0))
    np.testing.assert_allclose(layer.bias.grad.numpy(), [3.0, 3.0])


def test_wrong_input_shape_names_layer_and_shapes():
    layer = Dense(2, name="dense_1")
    layer(Input(shape=(320,)))
    with pytest.raises(ShapeError, match=r"Dense 'dense_1' expects an input with last axis 320, got \(None, 300\)"):
        layer(Input(shape=(300,)))


def test_set_weights_checks_before_changing_anything():
    layer = Dense(2)
    layer.build((None, 3))
    before = layer.get_weights()
    with pytest.raises(ValueError, match="expects 2 weights"):
        layer.set_weights([np.zeros((3, 2))])
    with pytest.raises(ValueError, match=r"dense/bias.*\(2,\).*\(5,\)"):
        layer.set_weights([np.ones((3, 2)), np.zeros(5)])
    for old, new in zip(before, layer.get_weights()):
        np.testing.assert_array_equal(old, new)
    layer.set_weights([np.ones((3, 2)), np.ones(2)])
    np.testing.assert_array_equal(layer.kernel.numpy(), np.ones((3, 2)))


def test_trainable_flag_moves_weights():
    layer = Dense(2)
    layer.build((None, 3))
    layer.trainable = False
    assert layer.trainable_weights == []
    assert len(layer.non_trainable_weights) == 2


def test_config_round_trip():
    layer = Dense(7, activation="tanh", use_bias=False, kernel_initializer="he_normal", name="head")
    clone = Dense.from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()
    assert clone.units == 7 and clone.name == "head"
    clone.build((None, 3))
    assert clone.bias is None and len(clone.weights) == 1


def test_custom_layer_tracks_sublayers_and_weights():
    class Block(Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.inner = [Dense(4), Dense(2)]

        def build(self, input_shape):
            self.scale = self.add_weight(name="scale", shape=(1,), initializer="ones")

        def call(self, inputs):
            return self.inner[1](self.inner[0](inputs)) * self.scale

    block = Block()
    out = block(np.ones((2, 3), np.float32))
    assert out.shape == (2, 2)
    assert len(block.weights) == 5
    assert block.count_params() == 1 + (3 * 4 + 4) + (4 * 2 + 2)


def test_compute_output_shape_traces_call():
    assert Dense(6).compute_output_shape((None, 3)) == (None, 6)
    from kerasette.layers import Flatten
    assert Flatten().compute_output_shape((None, 4, 4, 20)) == (None, 320)


def test_regularizer_losses():
    layer = Dense(2, kernel_regularizer=kerasette.regularizers.L2(0.5), kernel_initializer="ones")
    layer.build((None, 3))
    (penalty,) = layer.losses
    np.testing.assert_allclose(np.asarray(penalty.numpy() if hasattr(penalty, "numpy") else penalty), 0.5 * 6)
