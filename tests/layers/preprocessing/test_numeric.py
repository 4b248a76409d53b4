"""Rescaling and Normalization against real Keras 3 (tests/fixtures/preprocessing), state and bad input."""
import os

import numpy as np
import pytest

import kerasette
from kerasette import layers

from .fixtures import adapt_data, cases, data, path, spec, weights


@pytest.mark.parametrize("name", cases("norm_") + cases("rescale"))
def test_keras3_numbers(name):
    s = spec(name)
    layer = getattr(layers, s["class"])(**s["kwargs"])
    if adapt_data(name) is not None:
        layer.adapt(adapt_data(name))
    y = layer(data()[f"{name}.x"])
    np.testing.assert_allclose(y, data()[f"{name}.y"], rtol=1e-5, atol=1e-5)
    assert y.dtype == data()[f"{name}.y"].dtype
    got = layer.get_weights()
    expected = weights(name)
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        assert g.shape == e.shape
        np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-6)
    config = layer.get_config()
    config.pop("dtype")
    assert config == {**s["config"], "name": layer.name}
    # the config rebuilds an equal layer
    again = getattr(layers, s["class"]).from_config(layer.get_config())
    assert again.get_config() == layer.get_config()


def test_normalization_weights_named_and_ordered_as_keras():
    layer = layers.Normalization()
    layer.adapt(np.ones((4, 2), "float32"))
    assert [w.path.split("/")[-1] for w in layer.weights] == ["mean", "variance", "count"]
    assert layer.trainable_weights == [] and len(layer.non_trainable_weights) == 3
    assert layer.get_build_config() == {"input_shape": [4, 2]}
    assert layers.Normalization(mean=1.0, variance=2.0).weights == []


def test_set_weights_and_load_weights_take_effect_at_once(tmp_path):
    # Keras 3 needs finalize_state() after set_weights; kerasette reads the weights at every call
    norm = layers.Normalization()
    norm.adapt(np.array([[0.0, 10.0], [2.0, 30.0]], "float32"))
    inputs = kerasette.Input((2,))
    model = kerasette.Model(inputs, norm(inputs))
    x = np.array([[1.0, 20.0]], "float32")
    np.testing.assert_allclose(model.predict(x, verbose=0), [[0.0, 0.0]], atol=1e-6)
    model.save_weights(str(tmp_path / "before.weights.h5"))
    norm.set_weights([np.array([1.0, 0.0]), np.array([4.0, 100.0]), np.array(0)])
    np.testing.assert_allclose(norm(x), [[0.0, 2.0]], atol=1e-6)
    np.testing.assert_allclose(model.predict(x, verbose=0), [[0.0, 2.0]], atol=1e-6)
    model.load_weights(str(tmp_path / "before.weights.h5"))
    np.testing.assert_allclose(model.predict(x, verbose=0), [[0.0, 0.0]], atol=1e-6)
    np.testing.assert_allclose(norm(x), [[0.0, 0.0]], atol=1e-6)
    # readapting moves a compiled model at once too
    norm.adapt(np.array([[1.0, 20.0], [3.0, 22.0]], "float32"))
    np.testing.assert_allclose(model.predict(x, verbose=0), [[-1.0, -1.0]], atol=1e-6)


def test_keras3_keras_file_loads_and_round_trips(tmp_path):
    model = kerasette.models.load_model(path("numeric_model.keras"))
    x = data()["numeric_model.x.0"]
    np.testing.assert_allclose(model.predict(x, verbose=0), data()["numeric_model.y.0"], rtol=1e-5, atol=1e-5)
    model.save(str(tmp_path / "again.keras"))
    again = kerasette.models.load_model(str(tmp_path / "again.keras"))
    np.testing.assert_allclose(again.predict(x, verbose=0), data()["numeric_model.y.0"], rtol=1e-5, atol=1e-5)
    again.save(str(tmp_path / "again.h5"))
    legacy = kerasette.models.load_model(str(tmp_path / "again.h5"))
    np.testing.assert_allclose(legacy.predict(x, verbose=0), data()["numeric_model.y.0"], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("bad, message", [
    (np.zeros((0, 3), "float32"), "no values"),
    ([], "no values"),
    (iter([]), "empty iterable"),
    (np.array([["a", "b", "c"]]), "takes numbers"),
    (np.ones((4, 5), "float32"), "axes"),
    ([np.ones((2, 3), "float32"), np.ones((2, 4), "float32")], "batch of shape"),
    (None, "needs data"),
])
def test_bad_adapt_names_data_and_changes_nothing(bad, message):
    layer = layers.Normalization()
    layer.adapt(np.array([[1.0, 2.0, 3.0], [3.0, 4.0, 5.0]], "float32"))
    before = layer.get_weights()
    with pytest.raises((ValueError, TypeError), match=message) as error:
        layer.adapt(bad)
    assert "adapt" in str(error.value)
    for b, a in zip(before, layer.get_weights()):
        np.testing.assert_array_equal(a, b)
    fresh = layers.Normalization()
    with pytest.raises((ValueError, TypeError)):
        fresh.adapt(np.zeros((0, 3)))
    assert not fresh.built and fresh.weights == []


def test_bad_arguments():
    with pytest.raises(ValueError, match="both `mean` and `variance`"):
        layers.Normalization(mean=1.0)
    with pytest.raises(ValueError, match="same shape"):
        layers.Normalization(mean=[1.0, 2.0], variance=1.0)
    with pytest.raises(TypeError, match="`mean` must be numbers"):
        layers.Normalization(mean=["a"], variance=["b"])
    with pytest.raises(TypeError, match="takes numbers"):
        layers.Normalization(mean=1.0, variance=1.0)(np.array([["x"]]))
    with pytest.raises(ValueError, match="out of range"):
        layers.Normalization(axis=3).build((None, 2))
    with pytest.raises(ValueError, match="known size"):
        layers.Normalization(axis=1).build((None, None))
    with pytest.raises(TypeError, match="`scale`"):
        layers.Rescaling("big")


def test_symbolic_shapes_and_masks():
    inputs = kerasette.Input((5, 3))
    norm = layers.Normalization(axis=-1)
    norm.adapt(np.arange(30, dtype="float32").reshape(2, 5, 3))
    assert norm(inputs).shape == (None, 5, 3)
    assert layers.Rescaling(0.5)(inputs).shape == (None, 5, 3)
    assert norm.supports_masking and layers.Rescaling(2.0).supports_masking


def test_mixed_precision_computes_in_float16_keeps_float32_state():
    kerasette.mixed_precision.set_global_policy("mixed_float16")
    try:
        norm = layers.Normalization()
        norm.adapt(np.array([[1.0, 2.0], [3.0, 6.0]], "float32"))
        y = norm(np.array([[3.0, 2.0]], "float32"))
        rescaled = layers.Rescaling(0.5, offset=1.0)(np.array([2.0], "float32"))
    finally:
        kerasette.mixed_precision.set_global_policy(None)
    assert y.dtype == np.float16 and rescaled.dtype == np.float16
    np.testing.assert_allclose(y, [[1.0, -1.0]], atol=1e-3)
    np.testing.assert_allclose(rescaled, [2.0])
    assert [w.dtype for w in norm.weights][:2] == ["float32", "float32"]


def _normalization_statistics(module):
    """(mean, variance) of Normalization layers in the states users print them in, for ``module``."""
    L = module.layers
    unbuilt = L.Normalization()
    built = L.Normalization()
    built.build((None, 3))
    adapted = L.Normalization()
    adapted.adapt(np.array([[0.0, 1.0, 2.0], [2.0, 3.0, 6.0]]))
    fixed = L.Normalization(mean=[1.0, 2.0], variance=[1.0, 4.0])
    fixed.build((None, 2))
    over_all = L.Normalization(axis=None)
    over_all.adapt(np.arange(6.0).reshape(2, 3))
    two_axes = L.Normalization(axis=(1, 2))
    two_axes.adapt(np.arange(24.0).reshape(2, 3, 4) ** 2)
    assert unbuilt.mean is None                        # (Keras has no `variance` attribute before build)
    return [(np.asarray(layer.mean), np.asarray(layer.variance), str(layer.mean.dtype))
            for layer in (built, adapted, fixed, over_all, two_axes)]


def test_normalization_mean_and_variance_attributes():
    ours = _normalization_statistics(kerasette)
    assert layers.Normalization().variance is None
    np.testing.assert_allclose(ours[1][0], [[1.0, 2.0, 4.0]])
    np.testing.assert_allclose(ours[1][1], [[1.0, 1.0, 4.0]])
    assert ours[3][0].shape == (1, 1) and ours[4][0].shape == (1, 3, 4)
    norm = layers.Normalization()
    norm.adapt(np.array([[1.0], [3.0]]))
    norm.adapt_mean.assign([5.0])       # it reads the weights, as call does (set_weights takes effect at once)
    np.testing.assert_allclose(norm.mean, [[5.0]])
    os.environ.setdefault("KERAS_BACKEND", "jax")
    keras = pytest.importorskip("keras")
    for (mean, variance, dtype), (k_mean, k_variance, k_dtype) in zip(ours, _normalization_statistics(keras)):
        np.testing.assert_allclose(mean, k_mean, rtol=1e-6)
        np.testing.assert_allclose(variance, k_variance, rtol=1e-6)
        assert dtype == k_dtype
