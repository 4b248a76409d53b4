"""kerasette.applications.inception_resnet_v2 against real Keras 3 (see parity_b.py for the checks)."""
import numpy as np
import pytest

import kerasette
from kerasette import applications, layers
from kerasette.applications import inception_resnet_v2
from tests.applications.parity_b import (check_preprocess, check_structure, check_weights_file, imagenet_request,
                                         load, zero_weights)  # noqa: F401 (a fixture)

# every model here starts from zero-valued weights (nothing reads them; building stays instant)
pytestmark = pytest.mark.usefixtures("zero_weights")

STRUCTURES = load("structure", "inception_resnet_v2")


@pytest.mark.parametrize("arch", sorted(STRUCTURES))
def test_structure_matches_keras(arch):
    check_structure(STRUCTURES[arch])


@pytest.mark.parametrize("flavour", ["keras3", "tf_keras"])
def test_keras_weight_files_give_keras_predictions(flavour, tmp_path):
    check_weights_file(tmp_path, "inception_resnet_v2", flavour)


def test_preprocess_input_matches_keras():
    check_preprocess("inception_resnet_v2")


def test_imagenet_weights_are_keras_files(monkeypatch):
    assert applications.InceptionResNetV2 is inception_resnet_v2.InceptionResNetV2
    request, _ = imagenet_request(monkeypatch, inception_resnet_v2, lambda: inception_resnet_v2.InceptionResNetV2())
    assert request == ("inception_resnet_v2_weights_tf_dim_ordering_tf_kernels.h5",
                       "https://storage.googleapis.com/tensorflow/keras-applications/inception_resnet_v2/"
                       "inception_resnet_v2_weights_tf_dim_ordering_tf_kernels.h5", "e693bd0210a403b3192acc6073ad2e96")
    request, _ = imagenet_request(monkeypatch, inception_resnet_v2,
                                  lambda: inception_resnet_v2.InceptionResNetV2(include_top=False))
    assert request[2] == "d19885ff4a710c122648d3b5c3b684e4"


def test_custom_scale_layer_sums_and_round_trips(tmp_path):
    a = layers.Input((3,))
    b = layers.Input((3,))
    out = inception_resnet_v2.CustomScaleLayer(0.25, name="scale")([a, b])
    model = kerasette.Model([a, b], out)
    x, y = np.ones((2, 3), "float32"), np.full((2, 3), 4.0, "float32")
    np.testing.assert_allclose(model.predict([x, y], verbose=0), np.full((2, 3), 2.0))
    assert model.get_layer("scale").get_config()["scale"] == 0.25
    # Keras' class name resolves without custom_objects, in both file formats
    for name in ("m.keras", "m.h5"):
        model.save(tmp_path / name)
        loaded = kerasette.models.load_model(tmp_path / name)
        assert type(loaded.get_layer("scale")) is inception_resnet_v2.CustomScaleLayer
        np.testing.assert_allclose(loaded.predict([x, y], verbose=0), np.full((2, 3), 2.0))


def test_unknown_block_type_is_refused():
    with pytest.raises(ValueError, match="Unknown Inception-ResNet block type"):
        inception_resnet_v2.inception_resnet_block(layers.Input((8, 8, 4)), 0.1, "block99", 1)
