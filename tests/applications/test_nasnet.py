"""kerasette.applications.nasnet against real Keras 3 (see parity_b.py for the checks)."""
import pytest

from kerasette import applications, backend
from kerasette.applications import nasnet
from tests.applications.parity_b import (check_preprocess, check_structure, check_weights_file, imagenet_request,
                                         load, zero_weights)  # noqa: F401 (a fixture)

# every model here starts from zero-valued weights (nothing reads them; building stays instant)
pytestmark = pytest.mark.usefixtures("zero_weights")

STRUCTURES = load("structure", "nasnet")


@pytest.mark.parametrize("arch", sorted(STRUCTURES))
def test_structure_matches_keras(arch):
    check_structure(STRUCTURES[arch])


@pytest.mark.parametrize("flavour", ["keras3", "tf_keras"])
def test_keras_weight_files_give_keras_predictions(flavour, tmp_path):
    # a small NASNet-A (one normal cell per stage, 96 penultimate filters) through Keras' generic builder
    check_weights_file(tmp_path, "nasnet", flavour)


def test_preprocess_input_matches_keras():
    check_preprocess("nasnet")


def test_imagenet_weights_are_keras_files(monkeypatch):
    assert applications.NASNetMobile is nasnet.NASNetMobile and applications.NASNetLarge is nasnet.NASNetLarge
    base = "https://storage.googleapis.com/tensorflow/keras-applications/nasnet/"
    request, _ = imagenet_request(monkeypatch, nasnet, lambda: nasnet.NASNetMobile())
    assert request == ("nasnet_mobile.h5", base + "NASNet-mobile.h5", "020fb642bf7360b370c678b08e0adf61")
    request, _ = imagenet_request(monkeypatch, nasnet, lambda: nasnet.NASNetMobile(include_top=False))
    assert request == ("nasnet_mobile_no_top.h5", base + "NASNet-mobile-no-top.h5", "1ed92395b5b598bdda52abe5c0dbfd63")
    request, _ = imagenet_request(monkeypatch, nasnet, lambda: nasnet.NASNetLarge(include_top=False))
    assert request == ("nasnet_large_no_top.h5", base + "NASNet-large-no-top.h5", "d81d89dc07e6e56530c4e77faddd61b5")


def test_keras_refusals(monkeypatch):
    with pytest.raises(ValueError, match="must be a multiple of 24"):
        nasnet.NASNet(input_shape=(32, 32, 3), penultimate_filters=100, weights=None, include_top=False)
    with pytest.raises(ValueError, match="must be static"):
        nasnet.NASNetMobile(input_shape=(None, None, 3), include_top=False)
    monkeypatch.setattr(backend, "image_data_format", lambda: "channels_first")
    with pytest.raises(ValueError, match="does not support the `channels_first`"):
        nasnet.NASNetMobile(weights=None)


def test_mobile_without_top_defaults_to_224():
    model = nasnet.NASNetMobile(weights=None, include_top=False)
    assert model.input_shape == (None, 224, 224, 3)
    assert model.output_shape == (None, 7, 7, 1056)
