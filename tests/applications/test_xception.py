"""kerasette.applications.xception against real Keras 3 (see parity_b.py for the checks)."""
import numpy as np
import pytest

from kerasette import applications
from kerasette.applications import xception
from tests.applications.parity_b import (check_preprocess, check_structure, check_weights_file, imagenet_request,
                                         load, zero_weights)  # noqa: F401 (a fixture)

# every model here starts from zero-valued weights (nothing reads them; building stays instant)
pytestmark = pytest.mark.usefixtures("zero_weights")

STRUCTURES = load("structure", "xception")


@pytest.mark.parametrize("arch", sorted(STRUCTURES))
def test_structure_matches_keras(arch):
    check_structure(STRUCTURES[arch])


@pytest.mark.parametrize("flavour", ["keras3", "tf_keras"])
def test_keras_weight_files_give_keras_predictions(flavour, tmp_path):
    check_weights_file(tmp_path, "xception", flavour)


def test_preprocess_input_matches_keras():
    check_preprocess("xception")


def test_preprocess_input_scales_to_minus_one_one():
    x = np.array([[[[0.0, 127.5, 255.0]]]], dtype="float32")
    np.testing.assert_allclose(xception.preprocess_input(x), [[[[-1.0, 0.0, 1.0]]]])


def test_imagenet_weights_are_keras_files(monkeypatch):
    request, _ = imagenet_request(monkeypatch, xception, lambda: xception.Xception())
    assert request == ("xception_weights_tf_dim_ordering_tf_kernels.h5",
                       "https://storage.googleapis.com/tensorflow/keras-applications/xception/"
                       "xception_weights_tf_dim_ordering_tf_kernels.h5", "0a58e3b7378bc2990ea3b43d5981f1f6")
    request, _ = imagenet_request(monkeypatch, xception, lambda: xception.Xception(include_top=False))
    assert request[0] == "xception_weights_tf_dim_ordering_tf_kernels_notop.h5"
    assert request[2] == "b0042744bf5b25fce3cb969f33bebb97"


def test_bad_arguments_raise_keras_errors():
    assert applications.Xception is xception.Xception
    with pytest.raises(ValueError, match="`weights` argument"):
        xception.Xception(weights="no/such/file.h5")
    with pytest.raises(ValueError, match="`classes` should be 1000"):
        xception.Xception(weights="imagenet", classes=10)
    with pytest.raises(ValueError, match="at least 71x71"):
        xception.Xception(weights=None, include_top=False, input_shape=(70, 90, 3))
    with pytest.raises(ValueError, match="Only `None` and `softmax`"):
        xception.Xception(weights="imagenet", classifier_activation="relu")


def test_input_tensor_and_pooling():
    from kerasette import layers
    image = layers.Input((80, 80, 3))
    model = xception.Xception(weights=None, include_top=False, input_tensor=image, pooling="avg")
    assert model.inputs[0] is image
    assert model.output_shape == (None, 2048)
    assert type(model.layers[-1]).__name__ == "GlobalAveragePooling2D"
    model = xception.Xception(weights=None, classes=7, classifier_activation=None, input_shape=(90, 90, 3))
    assert model.output_shape == (None, 7)
    assert model.get_layer("predictions").activation.__name__ == "linear"
