"""weights="imagenet" end to end against a local HTTP server on 127.0.0.1 (no network).

The family modules' address and hash tables are pointed at the server and at
a file made here (a model of the same architecture with chosen weights, saved
in the Keras 2 ``.h5`` layout of Keras' published files); the download is
cached under ``KERASETTE_MODELS``, checked against its hash, refused on a
wrong one, and reused without a request on the next call.
"""
import hashlib
import os
import warnings

import numpy as np
import pytest

from kerasette import applications, backend
from kerasette.applications import mobilenet, mobilenet_v3, weights as weights_module
from kerasette.datasets.download import DownloadError
from tests.datasets.conftest import FileServer


@pytest.fixture
def server(tmp_path, monkeypatch):
    monkeypatch.setenv("KERASETTE_MODELS", str(tmp_path / "models"))
    monkeypatch.setenv("KERASETTE_DOWNLOAD_TIMEOUT", "5")
    monkeypatch.delenv("KERASETTE_DATASETS_MIRROR", raising=False)
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    files = FileServer()
    files.thread.start()
    yield files
    files.httpd.shutdown()
    files.httpd.server_close()


def published_file(tmp_path, build):
    """A weights file in Keras 2's layout with weights unlike fresh ones, and its weights."""
    backend.clear_session()
    model = build(weights=None)
    rng = np.random.default_rng(5)
    chosen = [rng.uniform(0.5, 1.5, size=w.shape).astype("float32") for w in model.get_weights()]
    model.set_weights(chosen)
    path = tmp_path / "published.h5"
    model.save_weights(str(path))
    return path.read_bytes(), chosen


V3_CONFIG = "small_minimalistic_224_1.0_float"
V3_FILE = f"weights_mobilenet_v3_{V3_CONFIG}_no_top_v2.h5"


def v3_small(**kwargs):
    return applications.MobileNetV3Small(minimalistic=True, include_top=False, input_shape=(32, 32, 3), **kwargs)


def test_imagenet_weights_download_check_and_cache(server, tmp_path, monkeypatch):
    body, chosen = published_file(tmp_path, v3_small)
    server.add(V3_FILE, body)
    md5 = hashlib.md5(body).hexdigest()
    monkeypatch.setattr(mobilenet_v3, "BASE_WEIGHT_PATH", server.url + "/")
    monkeypatch.setitem(mobilenet_v3.WEIGHTS_HASHES, V3_CONFIG, ("0" * 32, md5))

    backend.clear_session()
    with pytest.warns(UserWarning, match="Weights for input shape \\(224, 224\\) will be loaded"):
        model = v3_small(weights="imagenet")
    for found, wanted in zip(model.get_weights(), chosen):
        np.testing.assert_array_equal(found, wanted)
    cached = tmp_path / "models" / V3_FILE
    assert cached.read_bytes() == body
    assert server.requests == [V3_FILE]

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        again = v3_small(weights="imagenet")  # from the cache: no second request
    assert server.requests == [V3_FILE]
    for found, wanted in zip(again.get_weights(), chosen):
        np.testing.assert_array_equal(found, wanted)
    assert sorted(os.listdir(tmp_path / "models")) == [V3_FILE]


def test_wrong_hash_is_refused_and_nothing_is_kept(server, tmp_path, monkeypatch):
    body, _ = published_file(tmp_path, v3_small)
    server.add(V3_FILE, body)
    monkeypatch.setattr(mobilenet_v3, "BASE_WEIGHT_PATH", server.url + "/")
    monkeypatch.setitem(mobilenet_v3.WEIGHTS_HASHES, V3_CONFIG, ("0" * 32, "f" * 32))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(DownloadError, match="checksum") as error:
            v3_small(weights="imagenet")
    assert f"{server.url}/{V3_FILE}" in str(error.value)
    assert "f" * 32 in str(error.value)
    assert os.listdir(tmp_path / "models") == []

    # a cached file that fails its hash is fetched again, then accepted with the right hash
    (tmp_path / "models" / V3_FILE).write_bytes(b"stale bytes")
    monkeypatch.setitem(mobilenet_v3.WEIGHTS_HASHES, V3_CONFIG, ("0" * 32, hashlib.md5(body).hexdigest()))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        v3_small(weights="imagenet")
    assert (tmp_path / "models" / V3_FILE).read_bytes() == body
    assert server.requests == [V3_FILE, V3_FILE]


def test_unhashed_keras_file_is_fetched_once(server, tmp_path, monkeypatch):
    # Keras publishes no hash for MobileNet's files and fetches them unchecked; so does kerasette
    def small(**kwargs):
        return applications.MobileNet(alpha=0.25, include_top=False, input_shape=(128, 128, 3), **kwargs)

    body, chosen = published_file(tmp_path, small)
    server.add("mobilenet_2_5_128_tf_no_top.h5", body)
    monkeypatch.setattr(mobilenet, "BASE_WEIGHT_PATH", server.url + "/")
    backend.clear_session()
    model = small(weights="imagenet")
    assert model.name == "mobilenet_0.25_128"
    for found, wanted in zip(model.get_weights(), chosen):
        np.testing.assert_array_equal(found, wanted)
    small(weights="imagenet")
    assert server.requests == ["mobilenet_2_5_128_tf_no_top.h5"]


def test_weights_path_and_cache_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("KERASETTE_MODELS", raising=False)
    monkeypatch.setenv("KERASETTE_HOME", str(tmp_path / "home"))
    assert weights_module.models_cache_dir() == str(tmp_path / "home" / "models")
    monkeypatch.setenv("KERASETTE_MODELS", str(tmp_path / "direct"))
    assert weights_module.models_cache_dir() == str(tmp_path / "direct")

    body, chosen = published_file(tmp_path, v3_small)
    path = tmp_path / "mine.h5"
    path.write_bytes(body)
    model = v3_small(weights=str(path))
    for found, wanted in zip(model.get_weights(), chosen):
        np.testing.assert_array_equal(found, wanted)


def test_no_download_for_invalid_arguments(tmp_path, monkeypatch):
    monkeypatch.setenv("KERASETTE_MODELS", str(tmp_path / "models"))
    with pytest.raises(ValueError, match="alpha can be one of `0.75`, `1.0` for non minimalistic"):
        applications.MobileNetV3Small(alpha=0.5, weights="imagenet")
    with pytest.raises(ValueError, match="`classes` should be 1000"):
        applications.ResNet50(weights="imagenet", classes=10)
    with pytest.raises(ValueError, match="Received: weights=nowhere.h5"):
        applications.ResNet50(weights="nowhere.h5")
    with pytest.raises(ValueError, match="depth multiplier must be 1"):
        applications.MobileNet(weights="imagenet", depth_multiplier=2)
    with pytest.raises(ValueError, match="alpha must be one of `0.35`"):
        applications.MobileNetV2(weights="imagenet", alpha=0.2)
    with pytest.raises(ValueError, match="`input_shape` should be \\(224, 224, 3\\)"):
        applications.VGG16(weights="imagenet", input_shape=(64, 64, 3))
    with pytest.raises(ValueError, match="Only `None` and `softmax` activations are allowed"):
        applications.DenseNet121(weights="imagenet", classifier_activation="relu")
    assert not os.path.exists(tmp_path / "models")
