"""What a layer call gives back: a weight returned by ``call`` is that weight
(a Variable with ``.numpy()``), as in Keras, on arrays and eager Tensors; on
symbolic inputs it is a node of the graph reading that weight."""
import numpy as np
import pytest

import kerasette as keras
from kerasette import Tensor, backend, layers
from kerasette.variables import Variable


@pytest.fixture(autouse=True)
def fresh_state():
    backend.clear_session()
    yield


class WeightOnly(layers.Layer):
    """Keras' pattern of a layer that only holds a weight (e.g. a learned query or embedding table)."""

    def build(self, input_shape):
        self.w = self.add_weight(shape=(2,), initializer="ones", name="w")

    def call(self, inputs):
        return self.w


def test_call_on_arrays_returns_the_variable():
    layer = WeightOnly()
    out = layer(np.zeros((3, 2), "float32"))
    assert out is layer.w
    assert isinstance(out, Variable)
    assert out.numpy().tolist() == [1.0, 1.0]
    layer.w.assign([2.0, 3.0])
    assert out.numpy().tolist() == [2.0, 3.0]


def test_call_on_tensors_returns_the_variable_and_its_gradient_flows():
    layer = WeightOnly()
    out = layer(Tensor(np.zeros((3, 2))))
    assert out is layer.w
    (out * out).sum().backward()
    assert layer.w.grad.numpy().tolist() == [2.0, 2.0]


def test_weights_among_several_outputs_stay_variables():
    class Pair(layers.Layer):
        def build(self, input_shape):
            self.scale = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="scale")

        def call(self, inputs):
            return [inputs * self.scale, self.scale]

    layer = Pair()
    scaled, scale = layer(np.full((2, 3), 2.0, "float32"))
    assert type(scaled) is np.ndarray and scale is layer.scale


def test_symbolic_call_gives_a_node_that_reads_the_weight():
    layer = WeightOnly()
    inputs = keras.Input((2,))
    out = layer(inputs)
    assert tuple(out.shape) == (2,)
    assert out.origin[0].layer is layer
    layer.w.assign([4.0, 5.0])
    np.testing.assert_array_equal(keras.engine.Program([out], [inputs])(np.zeros((1, 2), "float32"))[0],
                                  [4.0, 5.0])
