"""kerasette.applications.inception_v3 against real Keras 3 (see parity_b.py for the checks)."""
import pytest

from kerasette import applications
from kerasette.applications import inception_v3
from tests.applications.parity_b import (check_preprocess, check_structure, check_weights_file, imagenet_request,
                                         load, zero_weights)  # noqa: F401 (a fixture)

# every model here starts from zero-valued weights (nothing reads them; building stays instant)
pytestmark = pytest.mark.usefixtures("zero_weights")

STRUCTURES = load("structure", "inception_v3")


@pytest.mark.parametrize("arch", sorted(STRUCTURES))
def test_structure_matches_keras(arch):
    check_structure(STRUCTURES[arch])


@pytest.mark.parametrize("flavour", ["keras3", "tf_keras"])
def test_keras_weight_files_give_keras_predictions(flavour, tmp_path):
    check_weights_file(tmp_path, "inception_v3", flavour)


def test_preprocess_input_matches_keras():
    check_preprocess("inception_v3")


def test_imagenet_weights_are_keras_files(monkeypatch):
    assert applications.InceptionV3 is inception_v3.InceptionV3
    request, _ = imagenet_request(monkeypatch, inception_v3, lambda: inception_v3.InceptionV3())
    assert request == ("inception_v3_weights_tf_dim_ordering_tf_kernels.h5",
                       "https://storage.googleapis.com/tensorflow/keras-applications/inception_v3/"
                       "inception_v3_weights_tf_dim_ordering_tf_kernels.h5", "9a0d58056eeedaa3f26cb7ebd46da564")
    request, model = imagenet_request(monkeypatch, inception_v3,
                                      lambda: inception_v3.InceptionV3(include_top=False, pooling="max"))
    assert request[0] == "inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5"
    assert request[2] == "bcbd6486424b2319ff4ef7d526e38f63"
    assert model.output_shape == (None, 2048)


def test_conv2d_bn_names_its_three_layers():
    from kerasette import layers
    x = inception_v3.conv2d_bn(layers.Input((9, 9, 4)), 5, 1, 3, name="unit")
    assert x.shape == (None, 9, 9, 5)
    model = applications.InceptionV3(weights=None, include_top=False, input_shape=(75, 75, 3))
    assert model.output_shape == (None, 1, 1, 2048)
    with pytest.raises(ValueError, match="at least 75x75"):
        inception_v3.InceptionV3(weights=None, include_top=False, input_shape=(74, 75, 3))
