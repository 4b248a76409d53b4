"""Functional models, Sequential and subclassed models."""
import numpy as np
import pytest

from kerasette import Input, Model, Sequential, Tensor, backend, ops
from kerasette.layers import Dense
from kerasette.models import GraphError


@pytest.fixture(autouse=True)
def fresh_names():
    backend.clear_session()
    yield


def data(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def test_multi_input_multi_output_with_lists_and_dicts():
    a, b = Input(shape=(3,), name="a"), Input(shape=(2,), name="b")
    ha, hb = Dense(4, name="da")(a), Dense(4, name="db")(b)
    total = ops.add(ha, hb)
    out1, out2 = Dense(1, name="o1")(total), Dense(2, name="o2")(hb)
    model = Model([a, b], [out1, out2])
    xa, xb = data(5, 3), data(5, 2, seed=1)
    y1, y2 = model([xa, xb])
    assert y1.shape == (5, 1) and y2.shape == (5, 2)
    d1, d2 = model({"a": xa, "b": xb})
    np.testing.assert_allclose(d1, y1)
    expected = (xa @ model.get_layer("da").kernel.numpy() + model.get_layer("da").bias.numpy()
                + xb @ model.get_layer("db").kernel.numpy() + model.get_layer("db").bias.numpy())
    o1 = model.get_layer("o1")
    np.testing.assert_allclose(y1, expected @ o1.kernel.numpy() + o1.bias.numpy(), rtol=1e-5)
    assert model.input_names == ["a", "b"]
    assert [layer.name for layer in model.layers][:2] == ["a", "b"]


def test_shared_layer_shares_weights():
    shared = Dense(3)
    a, b = Input(shape=(4,)), Input(shape=(4,))
    model = Model([a, b], [shared(a), shared(b)])
    x = data(2, 4)
    y1, y2 = model([x, x])
    np.testing.assert_allclose(y1, y2)
    assert len(model.weights) == 2
    assert model.count_params() == 15


def test_nested_model_as_a_layer():
    inner_in = Input(shape=(4,))
    inner = Model(inner_in, Dense(3, name="inner_dense")(inner_in), name="inner")
    outer_in = Input(shape=(4,))
    outer = Model(outer_in, Dense(1, name="head")(inner(outer_in)))
    x = data(6, 4)
    dense = inner.get_layer("inner_dense")
    head = outer.get_layer("head")
    expected = (x @ dense.kernel.numpy() + dense.bias.numpy()) @ head.kernel.numpy() + head.bias.numpy()
    np.testing.assert_allclose(outer(x), expected, rtol=1e-5)
    assert [layer.name for layer in outer.layers] == ["input_2", "inner", "head"]
    assert outer.count_params() == 4 * 3 + 3 + 3 + 1


def test_feature_extraction_from_a_middle_layer():
    inputs = Input(shape=(4,))
    hidden = Dense(3, name="hidden", activation="relu")(inputs)
    model = Model(inputs, Dense(1)(hidden))
    features = Model(model.input, model.get_layer("hidden").output)
    x = data(2, 4)
    layer = model.get_layer("hidden")
    np.testing.assert_allclose(features(x), np.maximum(x @ layer.kernel.numpy() + layer.bias.numpy(), 0),
                               rtol=1e-6)
    assert model.get_layer(index=1) is layer


def test_disconnected_graph_names_the_missing_input():
    a, b = Input(shape=(2,), name="first"), Input(shape=(2,), name="second")
    out = Dense(1, name="joined")(ops.add(Dense(2)(a), b))
    with pytest.raises(GraphError, match="Graph disconnected.*'second'"):
        Model(a, out)


def test_duplicate_layer_names_raise():
    inputs = Input(shape=(2,))
    x = Dense(2, name="same")(inputs)
    with pytest.raises(ValueError, match="'same' is used 2 times"):
        Model(inputs, Dense(2, name="same")(x))


def test_sequential_add_pop_and_deferred_build():
    model = Sequential([Input(shape=(4,)), Dense(3), Dense(2)])
    assert [layer.name for layer in model.layers] == ["dense", "dense_1"]
    assert model(data(5, 4)).shape == (5, 2)
    model.add(Dense(1))
    assert model(data(5, 4)).shape == (5, 1)
    popped = model.pop()
    assert popped.name == "dense_2" and model(data(5, 4)).shape == (5, 2)

    deferred = Sequential([Dense(3), Dense(1)])
    assert not deferred.built
    assert deferred(data(7, 5)).shape == (7, 1)
    assert deferred(data(2, 5)).shape == (2, 1)   # the batch axis stays free
    assert deferred.count_params() == 5 * 3 + 3 + 3 + 1

    with_shape = Sequential([Dense(3, input_shape=(4,))])
    assert with_shape.built and with_shape.inputs[0].shape == (None, 4)


def test_subclassed_model_tracks_layers_and_trains_eagerly():
    class Net(Model):
        def __init__(self):
            super().__init__()
            self.blocks = [Dense(8, activation="tanh"), Dense(8, activation="tanh")]
            self.heads = {"out": Dense(1)}

        def call(self, x):
            for block in self.blocks:
                x = block(x)
            return self.heads["out"](x)

    net = Net()
    rng = np.random.default_rng(0)
    x = rng.standard_normal((32, 3)).astype(np.float32)
    y = (x[:, :1] * 2.0 - x[:, 1:2]).astype(np.float32)
    losses = []
    for _ in range(60):
        diff = net(Tensor(x)) - y
        loss = ops.mean(diff * diff)
        for w in net.trainable_weights:
            w.zero_grad()
        loss.backward()
        for w in net.trainable_weights:
            w.assign(w.numpy() - 0.05 * w.grad.numpy())
        losses.append(float(loss.numpy()))
    assert len(net.layers) == 3 and len(net.trainable_weights) == 6
    assert losses[-1] < 0.5 * losses[0]
