"""Every architecture of kerasette.applications built as Keras 3.15 builds it.

Compared with ``tests/fixtures/applications/structure/*.json`` (made by real
Keras by ``tests/fixtures/make_applications_fixtures.py``): the model name,
parameter counts, input and output shapes, and every layer in order with its
name, class and weight shapes.
"""
import json
import os

import numpy as np
import pytest

import kerasette
from kerasette import applications, backend
from tests.fixtures.make_applications_fixtures import CHANNELS_FIRST_CASES, STRUCTURE_CASES, WEIGHT_CASES, describe

FOLDER = os.path.join(os.path.dirname(__file__), "..", "fixtures", "applications", "structure")


def load_case(case):
    with open(os.path.join(FOLDER, f"{case}.json")) as handle:
        return json.load(handle)


def tuples(record):
    return [(name, cls, [tuple(s) for s in shapes]) for name, cls, shapes in record["layers"]]


@pytest.fixture
def data_format():
    previous = backend.image_data_format()
    yield backend.set_image_data_format
    backend.set_image_data_format(previous)


@pytest.mark.parametrize("case", sorted(STRUCTURE_CASES) + sorted(CHANNELS_FIRST_CASES))
def test_structure_matches_keras(case, data_format):
    expected = load_case(case)
    backend.clear_session()
    data_format(expected["data_format"])
    model = getattr(applications, expected["constructor"])(weights=None, **expected["kwargs"])
    found = describe(model)
    assert found["params"] == expected["params"]
    assert found["trainable"] == expected["trainable"]
    assert found["name"] == expected["name"]
    assert found["input_shape"] == expected["input_shape"]
    assert found["output_shape"] == expected["output_shape"]
    # the input layer's automatic name is the only name kerasette chooses on its own
    assert [cls for _, cls, _ in tuples(found)] == [cls for _, cls, _ in tuples(expected)]
    assert tuples(found)[1:] == tuples(expected)[1:]


def test_fixture_cases_cover_every_constructor():
    names = {constructor for constructor, _ in STRUCTURE_CASES.values()}
    assert names == {"VGG16", "VGG19", "ResNet50", "ResNet101", "ResNet152", "ResNet50V2", "ResNet101V2",
                     "ResNet152V2", "MobileNet", "MobileNetV2", "MobileNetV3Small", "MobileNetV3Large",
                     "DenseNet121", "DenseNet169", "DenseNet201"}


def test_family_modules_as_in_keras():
    from kerasette.applications import (densenet, mobilenet, mobilenet_v2, mobilenet_v3, resnet, resnet50,
                                        resnet_v2, vgg16, vgg19)
    assert resnet50.ResNet50 is resnet.ResNet50 is applications.ResNet50
    assert resnet50.preprocess_input is resnet.preprocess_input
    assert kerasette.applications.ResNet101V2 is resnet_v2.ResNet101V2
    for module, names in [(densenet, ["DenseNet121", "DenseNet169", "DenseNet201"]), (mobilenet, ["MobileNet"]),
                          (mobilenet_v2, ["MobileNetV2"]), (mobilenet_v3, ["MobileNetV3Small", "MobileNetV3Large"]),
                          (vgg16, ["VGG16"]), (vgg19, ["VGG19"])]:
        for name in names + ["preprocess_input", "decode_predictions"]:
            assert callable(getattr(module, name))
        for name in names:
            assert getattr(applications, name) is getattr(module, name)


def test_mobilenet_v3_preprocess_input_is_identity():
    x = np.arange(12.0).reshape(1, 2, 2, 3)
    assert applications.mobilenet_v3.preprocess_input(x) is x


def test_densenet_refuses_channels_first(data_format):
    data_format("channels_first")
    with pytest.raises(ValueError, match="DenseNet does not support the `channels_first` image data format"):
        applications.DenseNet121(weights=None, include_top=False, input_shape=(3, 64, 64))


@pytest.mark.parametrize("case", ["mobilenet_a025", "mobilenet_v2_a035"])
def test_channels_first_model_with_keras_weights(case, data_format, tmp_path):
    # Keras' (channels_last) weight files load into a channels_first model: same predictions
    import gzip
    import shutil
    folder = os.path.join(FOLDER, "..", "weights")
    constructor, kwargs, _ = WEIGHT_CASES[case]
    data = np.load(os.path.join(folder, f"{case}.npz"))
    with gzip.open(os.path.join(folder, f"{case}.weights.h5.gz")) as source, \
            open(tmp_path / "w.weights.h5", "wb") as out:
        shutil.copyfileobj(source, out)
    data_format("channels_first")
    shape = kwargs["input_shape"]
    model = getattr(applications, constructor)(weights=None, **dict(kwargs, input_shape=(shape[2], *shape[:2])))
    model.load_weights(str(tmp_path / "w.weights.h5"))
    family = getattr(applications, {"MobileNet": "mobilenet", "MobileNetV2": "mobilenet_v2",
                                    "MobileNetV3Small": "mobilenet_v3"}[constructor])
    images = np.transpose(data["images"].astype("float32"), (0, 3, 1, 2))
    found = np.asarray(model.predict(family.preprocess_input(images), verbose=0))
    np.testing.assert_allclose(found, data["keras"], rtol=1e-4, atol=2e-5)
