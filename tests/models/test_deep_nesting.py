"""Layers nested thousands deep: the walks over nesting (weights, trainable and non-trainable
weights, losses, Keras 3's weight paths and ``.weights.h5``, fetch structures) are loops, not
recursion, so they work past Python's recursion limit and keep Keras' order."""
import numpy as np
import pytest

import kerasette as keras
from kerasette import backend, layers
from kerasette.engine import Graph, placeholder
from kerasette.engine.session import Session
from kerasette.saving.keras3_weights import walk

DEPTH = 1500


@pytest.fixture(autouse=True)
def fresh_names():
    backend.clear_session()
    yield


def nested(depth, regularize_every=100):
    """Each level a Sequential holding the level below and a Dense; the Dense layers built
    directly (building the chain by calling it runs every level inside every call of it)."""
    model = layers.Dense(2, name="d0")
    model.build((None, 2))
    dense = [model]
    for level in range(1, depth):
        layer = layers.Dense(2, name=f"d{level}",
                             kernel_regularizer="l2" if level % regularize_every == 0 else None)
        layer.build((None, 2))
        dense.append(layer)
        model = keras.Sequential([model, layer], name=f"s{level}")
    return model, dense


def test_weights_of_a_model_nested_1500_deep_keep_keras_order():
    model, dense = nested(DEPTH)
    expected = [w for layer in dense for w in (layer.kernel, layer.bias)]
    assert [id(w) for w in model.weights] == [id(w) for w in expected]
    assert [id(w) for w in model.trainable_weights] == [id(w) for w in expected]
    assert model.non_trainable_weights == []
    assert len(model.losses) == (DEPTH - 1) // 100
    # freezing a level freezes everything inside it, and nothing around it
    frozen = model
    for _ in range(DEPTH - 1 - 700):
        frozen = frozen.layers[0]
    frozen.trainable = False
    inside = [id(w) for layer in dense[:frozen_level(frozen) + 1] for w in (layer.kernel, layer.bias)]
    assert [id(w) for w in model.non_trainable_weights] == inside
    assert [id(w) for w in model.trainable_weights] == [id(w) for w in expected[len(inside):]]
    assert sum(w.size for w in model.weights) == DEPTH * 6


def frozen_level(sequential):
    return int(sequential.name[1:])


def test_a_model_nested_1500_deep_round_trips_through_weights_h5(tmp_path):
    model, dense = nested(DEPTH)
    paths = [path for path, _ in walk(model)]
    assert paths[:4] == ["", "layers/sequential", "layers/sequential/layers/sequential",
                         "layers/sequential/layers/sequential/layers/sequential"]
    assert len(paths) == 2 * DEPTH - 1
    rng = np.random.default_rng(0)
    values = [rng.normal(0, 1, w.shape).astype("float32") for w in model.weights]
    model.set_weights(values)
    model.built = True          # its layers are built; the chain itself was never called
    model.save_weights(tmp_path / "deep.weights.h5")
    model.set_weights([np.zeros_like(v) for v in values])
    model.load_weights(tmp_path / "deep.weights.h5")
    for got, want in zip(model.get_weights(), values):
        np.testing.assert_array_equal(got, want)


def test_a_nested_model_builds_and_predicts_through_its_levels():
    # every level of a nested model is one more call inside a call: built and run the Keras way
    model, _ = nested(60, regularize_every=1000)
    x = np.ones((3, 2), "float32")
    expected = x
    chain = model
    levels = []
    while isinstance(chain, keras.Sequential):
        levels.append(chain.layers[1])
        chain = chain.layers[0]
    levels.append(chain)
    for layer in reversed(levels):
        expected = expected @ layer.kernel.numpy() + layer.bias.numpy()
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-5)
    assert [w.path for w in model.weights][:2] == ["d0/kernel", "d0/bias"]


def test_fetch_structures_nested_thousands_deep():
    with Graph().as_default():
        x = placeholder("float32", (2,))
        y = x * 2.0
        fetches = [y]
        for _ in range(5000):
            fetches = [fetches, {"y": y}, (y,)]
        result = Session().run(fetches, feed_dict={x: np.array([1.0, 2.0], "float32")})
    for _ in range(5000):
        assert isinstance(result, list) and len(result) == 3
        np.testing.assert_array_equal(result[1]["y"], [2.0, 4.0])
        assert isinstance(result[2], tuple)
        result = result[0]
    np.testing.assert_array_equal(result[0], [2.0, 4.0])
