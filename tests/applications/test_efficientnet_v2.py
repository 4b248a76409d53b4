"""kerasette.applications.efficientnet_v2 against real Keras 3 (see parity_b.py for the checks)."""
import pytest

from kerasette import applications
from kerasette.applications import efficientnet_v2
from tests.applications.parity_b import (check_preprocess, check_structure, check_weights_file, imagenet_request,
                                         load, zero_weights)  # noqa: F401 (a fixture)

# every model here starts from zero-valued weights (nothing reads them; building stays instant)
pytestmark = pytest.mark.usefixtures("zero_weights")

STRUCTURES = load("structure", "efficientnet_v2")


@pytest.mark.parametrize("arch", sorted(STRUCTURES))
def test_structure_matches_keras(arch):
    check_structure(STRUCTURES[arch])


@pytest.mark.parametrize("flavour", ["keras3", "tf_keras"])
@pytest.mark.parametrize("case", ["efficientnet_v2", "efficientnet_v2_s"])
def test_keras_weight_files_give_keras_predictions(case, flavour, tmp_path):
    # small B-style (Rescaling + Normalization with ImageNet statistics) and S-style
    # (Rescaling to [-1, 1]) models through Keras' generic builder
    check_weights_file(tmp_path, case, flavour)


def test_preprocess_input_is_keras_identity():
    check_preprocess("efficientnet_v2")


@pytest.mark.parametrize("variant,key", [("B0", "b0"), ("B1", "b1"), ("B2", "b2"), ("B3", "b3"), ("S", "-s"),
                                         ("M", "-m"), ("L", "-l")])
def test_imagenet_weights_are_keras_files(monkeypatch, variant, key):
    build = getattr(efficientnet_v2, f"EfficientNetV2{variant}")
    assert getattr(applications, f"EfficientNetV2{variant}") is build
    top = variant in ("B0", "S", "L")
    request, model = imagenet_request(monkeypatch, efficientnet_v2, lambda: build(include_top=top))
    name = f"efficientnetv2-{variant.lower()}" + (".h5" if top else "_notop.h5")
    assert request == (name, "https://storage.googleapis.com/tensorflow/keras-applications/efficientnet_v2/" + name,
                       efficientnet_v2.WEIGHTS_HASHES[key][0 if top else 1])
    classes = [type(layer).__name__ for layer in model.layers[1:3]]
    assert classes == (["Rescaling", "Normalization"] if variant.startswith("B") else ["Rescaling", "Conv2D"])


def test_default_blocks_need_a_known_name():
    with pytest.raises(ValueError, match="efficientnetv2-b0"):
        efficientnet_v2.EfficientNetV2(1.0, 1.0, 224, name="mine", weights=None)
    model = efficientnet_v2.EfficientNetV2(
        0.25, 0.5, 32, name="mine", weights=None, input_shape=(32, 32, 3), classes=2,
        blocks_args=efficientnet_v2.DEFAULT_BLOCKS_ARGS["efficientnetv2-b0"])
    # a name that is not a B variant's scales to [-1, 1] like S/M/L, as in Keras
    assert type(model.layers[1]).__name__ == "Rescaling"
    assert model.layers[1].get_config()["offset"] == -1
    assert model.output_shape == (None, 2)
