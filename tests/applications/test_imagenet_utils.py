"""preprocess_input and decode_predictions give Keras' numbers; Keras' input-shape rules.

Keras' results are in ``tests/fixtures/applications/imagenet_utils.npz``
(``tests/fixtures/make_applications_fixtures.py``): every mode and data format
on numpy arrays and on tensors, and ``decode_predictions`` under a made-up
class index, served here by a local HTTP server as Keras' class index file.
"""
import hashlib
import json
import os

import numpy as np
import pytest

import kerasette
from kerasette import applications
from kerasette.applications import imagenet_utils
from tests.datasets.conftest import FileServer

DATA = np.load(os.path.join(os.path.dirname(__file__), "..", "fixtures", "applications", "imagenet_utils.npz"))
KEYS = ["last4", "first4", "last3", "first3", "uint8"]


@pytest.mark.parametrize("mode", ["caffe", "tf", "torch"])
@pytest.mark.parametrize("key", KEYS)
def test_preprocess_numpy_matches_keras(key, mode):
    data_format = "channels_first" if key.startswith("first") else "channels_last"
    x = DATA[f"in_{key}"].copy()
    result = imagenet_utils.preprocess_input(x, data_format=data_format, mode=mode)
    expected = DATA[f"np_{key}_{mode}"]
    assert result.dtype == expected.dtype
    np.testing.assert_allclose(result, expected, rtol=1e-6, atol=1e-5)
    if key != "uint8":
        # floating arrays are written over, as in Keras (the BGR flip is a view of them)
        assert np.shares_memory(result, x)


@pytest.mark.parametrize("mode", ["caffe", "tf", "torch"])
@pytest.mark.parametrize("key", KEYS)
def test_preprocess_tensors_match_keras(key, mode):
    data_format = "channels_first" if key.startswith("first") else "channels_last"
    x = DATA[f"in_{key}"].astype("float32")
    eager = imagenet_utils.preprocess_input(kerasette.Tensor(x), data_format=data_format, mode=mode)
    np.testing.assert_allclose(np.asarray(eager.data), DATA[f"tensor_{key}_{mode}"], rtol=1e-5, atol=1e-4)
    # inside a functional model too (kerasette's models end in a layer's output: hence the Activation)
    inputs = kerasette.layers.Input(shape=x.shape[1:]) if x.ndim == 4 else None
    if inputs is not None:
        outputs = imagenet_utils.preprocess_input(inputs, data_format=data_format, mode=mode)
        model = kerasette.Model(inputs, kerasette.layers.Activation("linear")(outputs))
        np.testing.assert_allclose(model.predict(x, verbose=0), DATA[f"tensor_{key}_{mode}"], rtol=1e-5,
                                   atol=1e-4)


def test_family_preprocessing_modes():
    x = DATA["in_last4"]
    for module, mode in [(applications.vgg16, "caffe"), (applications.vgg19, "caffe"),
                         (applications.resnet, "caffe"), (applications.resnet50, "caffe"),
                         (applications.resnet_v2, "tf"), (applications.mobilenet, "tf"),
                         (applications.mobilenet_v2, "tf"), (applications.densenet, "torch")]:
        np.testing.assert_allclose(module.preprocess_input(x.copy()), DATA[f"np_last4_{mode}"], rtol=1e-6,
                                   atol=1e-5)


def test_preprocess_errors():
    with pytest.raises(ValueError, match="Expected mode to be one of `caffe`, `tf` or `torch`. Received: mode=x"):
        imagenet_utils.preprocess_input(np.zeros((1, 2, 2, 3)), mode="x")
    with pytest.raises(ValueError, match="Received: data_format=channels_middle"):
        imagenet_utils.preprocess_input(np.zeros((1, 2, 2, 3)), data_format="channels_middle")


@pytest.fixture
def class_index_server(tmp_path, monkeypatch):
    monkeypatch.setenv("KERASETTE_MODELS", str(tmp_path / "models"))
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    body = str(DATA["class_index"]).encode()
    files = FileServer()
    files.add("imagenet_class_index.json", body)
    files.thread.start()
    monkeypatch.setattr(imagenet_utils, "CLASS_INDEX", None)
    monkeypatch.setattr(imagenet_utils, "CLASS_INDEX_PATH", files.url + "/imagenet_class_index.json")
    monkeypatch.setattr(imagenet_utils, "CLASS_INDEX_HASH", hashlib.md5(body).hexdigest())
    yield files
    files.httpd.shutdown()
    files.httpd.server_close()


def test_decode_predictions_matches_keras(class_index_server, tmp_path):
    expected = json.loads(str(DATA["decoded"]))
    preds = DATA["preds"]
    for top in ("5", "1", "3"):
        found = applications.vgg16.decode_predictions(preds, top=int(top))
        assert [[[name, text] for name, text, _ in row] for row in found] == \
            [[[name, text] for name, text, _ in row] for row in expected[top]]
        np.testing.assert_allclose([[score for *_, score in row] for row in found],
                                   [[score for *_, score in row] for row in expected[top]], rtol=1e-7)
    assert class_index_server.requests == ["imagenet_class_index.json"]  # read once, then kept
    assert (tmp_path / "models" / "imagenet_class_index.json").exists()
    # a tensor batch decodes too
    assert imagenet_utils.decode_predictions(kerasette.Tensor(preds[:1]), top=1)[0][0][:2] == tuple(
        expected["1"][0][0][:2])


def test_decode_predictions_shape_error():
    with pytest.raises(ValueError, match=r"\(samples, 1000\)\). Received array with shape: \(2, 10\)"):
        imagenet_utils.decode_predictions(np.zeros((2, 10)))


def test_obtain_input_shape_rules():
    ois = imagenet_utils.obtain_input_shape
    assert ois(None, 224, 32, "channels_last", require_flatten=True) == (224, 224, 3)
    assert ois(None, 224, 32, "channels_first", require_flatten=False) == (3, None, None)
    assert ois((64, 80, 3), 224, 32, "channels_last", require_flatten=False, weights="imagenet") == (64, 80, 3)
    assert ois(None, 299, 75, "channels_last", require_flatten=True, weights="imagenet") == (299, 299, 3)
    with pytest.raises(ValueError, match="Input size must be at least 32x32"):
        ois((16, 64, 3), 224, 32, "channels_last", require_flatten=False)
    with pytest.raises(ValueError, match="The input must have 3 channels"):
        ois((64, 64, 1), 224, 32, "channels_last", require_flatten=False, weights="imagenet")
    with pytest.raises(ValueError, match="you should specify a static `input_shape`"):
        ois((None, None, 3), 224, 32, "channels_last", require_flatten=True)
    with pytest.raises(ValueError, match="must be a tuple of three integers"):
        ois((64, 64), 224, 32, "channels_last", require_flatten=False)
    with pytest.warns(UserWarning, match="usually expects 1 or 3 input channels"):
        assert ois((64, 64, 5), 224, 32, "channels_last", require_flatten=False) == (64, 64, 5)


def test_correct_pad_and_input_tensor():
    inputs = kerasette.layers.Input(shape=(7, 8, 3))
    assert imagenet_utils.correct_pad(inputs, 3) == ((1, 1), (0, 1))
    assert imagenet_utils.correct_pad(kerasette.layers.Input(shape=(None, None, 3)), (5, 5)) == ((1, 2), (1, 2))
    # layers before input_tensor stay part of the model
    images = kerasette.layers.Input(shape=(32, 32, 3))
    scaled = kerasette.layers.Rescaling(1.0 / 255)(images)
    model = applications.MobileNetV3Small(weights=None, input_tensor=scaled, include_top=False, pooling="avg",
                                          include_preprocessing=False)
    assert model.inputs[0] is images
    assert model.layers[1].__class__.__name__ == "Rescaling"
    with pytest.raises(ValueError, match="input_tensor"):
        applications.ResNet50(weights=None, input_tensor=np.zeros((1, 32, 32, 3)))
