"""kerasette.applications.convnext against real Keras 3 (see parity_b.py for the checks)."""
import numpy as np
import pytest

import kerasette
from kerasette import applications, backend, layers
from kerasette.applications import convnext
from tests.applications.parity_b import (check_preprocess, check_structure, check_weights_file, imagenet_request,
                                         load, zero_weights)  # noqa: F401 (a fixture)

STRUCTURES = load("structure", "convnext")


@pytest.mark.usefixtures("zero_weights")
@pytest.mark.parametrize("arch", sorted(STRUCTURES))
def test_structure_matches_keras(arch):
    check_structure(STRUCTURES[arch])


@pytest.mark.usefixtures("zero_weights")
@pytest.mark.parametrize("flavour", ["keras3", "tf_keras"])
def test_keras_weight_files_give_keras_predictions(flavour, tmp_path):
    # a small ConvNeXt (depths 1-1-2-1, widths 8-32) through Keras' generic builder: nested
    # Sequential stem and downsampling blocks, grouped 7x7 convolutions, LayerScale
    check_weights_file(tmp_path, "convnext", flavour)


def test_preprocess_input_is_keras_identity():
    check_preprocess("convnext")


@pytest.mark.usefixtures("zero_weights")
@pytest.mark.parametrize("variant", ["Tiny", "Small", "Base", "Large", "XLarge"])
def test_imagenet_weights_are_keras_files(monkeypatch, variant):
    build = getattr(convnext, f"ConvNeXt{variant}")
    assert getattr(applications, f"ConvNeXt{variant}") is build
    name = f"convnext_{variant.lower()}"
    request, _ = imagenet_request(monkeypatch, convnext, lambda: build(include_top=variant != "Base"))
    suffix = "_notop.h5" if variant == "Base" else ".h5"
    assert request == (name + suffix, "https://storage.googleapis.com/tensorflow/keras-applications/convnext/"
                       + name + suffix, convnext.WEIGHTS_HASHES[name][1 if variant == "Base" else 0])
    assert len(request[2]) == 64   # SHA-256


@pytest.mark.usefixtures("zero_weights")
def test_imagenet_refusals():
    with pytest.raises(ValueError, match='Model name "mine" does not match weights variant "convnext_tiny"'):
        convnext.ConvNeXtTiny(name="mine")
    with pytest.raises(ValueError, match="Architecture configuration does not match convnext_small"):
        convnext.ConvNeXt([1, 1, 1, 1], [8, 16, 24, 32], weights="imagenet", weights_name="convnext_small",
                          name="convnext_small")


def test_layer_scale_and_stochastic_depth():
    backend.clear_session()
    scale = convnext.LayerScale(0.5, 3)
    np.testing.assert_allclose(scale(np.ones((2, 3), "float32")), np.full((2, 3), 0.5))
    second = convnext.LayerScale(0.5, 3)
    second.build((None, 3))
    assert [w.name for w in scale.weights + second.weights] == ["variable", "variable_1"]
    assert scale.get_config()["projection_dim"] == 3
    drop = convnext.StochasticDepth(0.5, seed=3)
    x = np.ones((400, 2, 2, 3), "float32")
    np.testing.assert_array_equal(drop(x), x)
    out = np.asarray(drop(x, training=True))
    # whole samples are dropped or kept (kept ones scaled by 1 / (1 - rate))
    per_sample = out.reshape(400, -1)
    assert set(np.unique(per_sample).tolist()) == {0.0, 2.0}
    assert np.all(per_sample.min(axis=1) == per_sample.max(axis=1))
    assert 150 < int((per_sample[:, 0] == 0).sum()) < 250
    assert drop.get_config()["drop_path_rate"] == 0.5


def test_private_layers_load_under_keras_names(tmp_path):
    inputs = layers.Input((3,))
    outputs = convnext.StochasticDepth(0.1, name="drop")(convnext.LayerScale(2.0, 3, name="scale")(inputs))
    model = kerasette.Model(inputs, outputs)
    model.save(tmp_path / "m.keras")
    loaded = kerasette.models.load_model(tmp_path / "m.keras")
    assert type(loaded.get_layer("scale")) is convnext.LayerScale
    assert type(loaded.get_layer("drop")) is convnext.StochasticDepth
    np.testing.assert_allclose(loaded.predict(np.ones((1, 3), "float32"), verbose=0), [[2.0, 2.0, 2.0]])


def test_drop_path_rates_rise_linearly():
    model = convnext.ConvNeXt([1, 1, 2, 1], [8, 16, 24, 32], drop_path_rate=0.4, default_size=32,
                              input_shape=(32, 32, 3), classes=3, include_preprocessing=False)
    rates = [layer.drop_path_rate for layer in model.layers if isinstance(layer, convnext.StochasticDepth)]
    np.testing.assert_allclose(rates, [0.1, 0.2, 0.3, 0.4])   # the first block (rate 0) is an identity
    assert model.get_layer("convnext_stage_0_block_0_identity").get_config()["activation"] == "linear"


def test_keras3_model_files_load_and_predict():
    from tests.applications.parity_b import check_keras3_model_file
    from tests.fixtures.make_applications_b_fixtures import input_images
    # a small ConvNeXt with drop path (StochasticDepth layers, bare "+" ops in Keras' config)
    model = check_keras3_model_file("convnext", input_images((2, 32, 32, 3)))
    kinds = {type(layer) for layer in model.layers}
    assert {convnext.LayerScale, convnext.StochasticDepth} <= kinds
    # the application-private layers of a Keras 3 file resolve by Keras' class names
    model = check_keras3_model_file("private", np.ones((1, 4, 4, 8), "float32"))
    assert [type(layer).__name__ for layer in model.layers[2:]] == ["CustomScaleLayer", "LayerScale",
                                                                   "StochasticDepth"]
