"""kerasette.applications.efficientnet against real Keras 3 (see parity_b.py for the checks)."""
import math

import numpy as np
import pytest

import kerasette
from kerasette import applications
from kerasette.applications import efficientnet
from tests.applications.parity_b import (check_preprocess, check_structure, check_weights_file, imagenet_request,
                                         load, zero_weights)  # noqa: F401 (a fixture)

# models whose weight values nothing reads start from zeros (building stays instant)
zeros = pytest.mark.usefixtures("zero_weights")

STRUCTURES = load("structure", "efficientnet")


@zeros
@pytest.mark.parametrize("arch", sorted(STRUCTURES))
def test_structure_matches_keras(arch):
    check_structure(STRUCTURES[arch])


@zeros
@pytest.mark.parametrize("flavour", ["keras3", "tf_keras"])
def test_keras_weight_files_give_keras_predictions(flavour, tmp_path):
    # a small EfficientNet (width x0.25, depth x0.5) through Keras' generic builder: the
    # Normalization statistics come from the file, as the ImageNet files give them
    check_weights_file(tmp_path, "efficientnet", flavour)


def test_preprocess_input_is_keras_identity():
    check_preprocess("efficientnet")


@zeros
@pytest.mark.parametrize("variant", range(8))
def test_imagenet_weights_are_keras_files(monkeypatch, variant):
    build = getattr(efficientnet, f"EfficientNetB{variant}")
    assert getattr(applications, f"EfficientNetB{variant}") is build
    request, model = imagenet_request(monkeypatch, efficientnet, lambda: build(include_top=variant % 2 == 0))
    suffix = ".h5" if variant % 2 == 0 else "_notop.h5"
    digest = efficientnet.WEIGHTS_HASHES[f"b{variant}"][0 if variant % 2 == 0 else 1]
    assert request == (f"efficientnetb{variant}{suffix}",
                       f"https://storage.googleapis.com/keras-applications/efficientnetb{variant}{suffix}", digest)
    # the published files expect Keras' extra Rescaling by 1/sqrt(ImageNet stddev) after Normalization
    classes = [type(layer).__name__ for layer in model.layers[:5]]
    assert classes == ["InputLayer", "Rescaling", "Normalization", "Rescaling", "ZeroPadding2D"]
    scale = model.layers[3].get_config()["scale"]
    np.testing.assert_allclose(scale, [1 / math.sqrt(s) for s in (0.229, 0.224, 0.225)])


def test_hashes_are_keras_facts():
    assert efficientnet.WEIGHTS_HASHES["b0"] == ("902e53a9f72be733fc0bcb005b3ebbac", "50bc09e76180e00e4465e1a485ddc09d")
    assert efficientnet.WEIGHTS_HASHES["b7"] == ("8c03f828fec3ef71311cd463b6759d99", "cbcfe4450ddf6f3ad90b1b398090fe4a")


@zeros
def test_refusals():
    with pytest.raises(ValueError, match="`classes` should be 1000"):
        efficientnet.EfficientNetB0(classes=3)
    with pytest.raises(ValueError, match="repeats in `EfficientNet` must be > 0"):
        efficientnet.EfficientNet(1.0, 1.0, 32, weights=None, input_shape=(32, 32, 3),
                                  blocks_args=[dict(efficientnet.DEFAULT_BLOCKS_ARGS[0], repeats=0)])


def test_whole_model_file_round_trip(tmp_path):
    model = efficientnet.EfficientNet(0.25, 0.5, 32, weights=None, input_shape=(32, 32, 3), classes=3)
    model.set_weights([np.full(w.shape, 0.01, w.dtype) if w.dtype.kind == "f" else w for w in model.get_weights()])
    x = np.random.default_rng(1).uniform(0, 255, (2, 32, 32, 3)).astype("float32")
    expected = model.predict(x, verbose=0)
    model.save(tmp_path / "m.keras")
    loaded = kerasette.models.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), expected, rtol=1e-6)


def test_keras3_model_file_loads_and_predicts():
    from tests.applications.parity_b import check_keras3_model_file
    from tests.fixtures.make_applications_b_fixtures import input_images
    model = check_keras3_model_file("efficientnet", input_images((2, 32, 32, 3)))
    assert [type(layer).__name__ for layer in model.layers[1:3]] == ["Rescaling", "Normalization"]
