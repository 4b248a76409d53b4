"""Keras' weight files for kerasette.applications give Keras' predictions.

Small models: files written by real Keras 3 (``.weights.h5``) and by tf_keras
(the Keras 2 ``.h5`` layout of Keras' published ImageNet files), gzipped under
``tests/fixtures/applications/weights`` with both libraries' predictions
(``tests/fixtures/make_applications_fixtures.py``). The legacy files load in
layer order (how ``weights="imagenet"`` loads them) and, where tf_keras names
the layers as Keras 3 does, by name.

ResNet50, VGG16 and DenseNet121 are far too large for a fixture file: the
same script writes their files with the installed real Keras 3 (numpy backend,
both layouts, the Keras 2 one by Keras 3's own writer of it) in a subprocess,
once for this module, into tmp_path.
"""
import gzip
import os
import shutil
import subprocess
import sys

import h5py
import numpy as np
import pytest

from kerasette import applications, backend
from tests.fixtures.make_applications_fixtures import FAMILIES, LIVE_CASES, WEIGHT_CASES

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
FOLDER = os.path.join(HERE, "..", "fixtures", "applications", "weights")


def build(spec):
    constructor, kwargs, _ = spec
    backend.clear_session()
    return getattr(applications, constructor)(weights=None, **kwargs)


def model_input(spec, images):
    family = getattr(applications, FAMILIES[spec[0]])
    return family.preprocess_input(images.astype("float32"))


def unzip(name, tmp_path):
    target = tmp_path / name
    with gzip.open(os.path.join(FOLDER, name + ".gz"), "rb") as source, open(target, "wb") as out:
        shutil.copyfileobj(source, out)
    return str(target)


def predict(model, spec, images):
    return np.asarray(model.predict(model_input(spec, images), verbose=0))


def check(model, spec, expected, images):
    # ternary weights without normalising statistics let some logits grow to thousands
    scale = max(1.0, float(np.abs(expected).max()))
    np.testing.assert_allclose(predict(model, spec, images), expected, rtol=1e-4, atol=2e-5 * scale)


def legacy_layer_names(path):
    with h5py.File(path, "r") as handle:
        return [name.decode() if isinstance(name, bytes) else name for name in handle.attrs["layer_names"]
                if len(handle[name if isinstance(name, str) else name.decode()].attrs["weight_names"])]


def check_by_name(spec, legacy_file, in_order_model, expected, images):
    """``by_name=True``: each weighted layer whose name is in the file gets that file's weights
    (the ones loading in layer order gives it), every other one keeps its own."""
    model = build(spec)
    before = {layer.name: layer.get_weights() for layer in model.layers if layer.weights}
    model.load_weights(legacy_file, by_name=True)
    in_file = set(legacy_layer_names(legacy_file))
    matched = 0
    for layer in model.layers:
        if not layer.weights:
            continue
        wanted = in_order_model.get_layer(layer.name).get_weights() if layer.name in in_file else before[layer.name]
        matched += layer.name in in_file
        for found, value in zip(layer.get_weights(), wanted):
            np.testing.assert_array_equal(found, value)
    if matched == len(before):
        check(model, spec, expected, images)
    return matched, len(before)


@pytest.mark.parametrize("case", sorted(WEIGHT_CASES))
def test_fixture_files_give_keras_predictions(case, tmp_path):
    spec = WEIGHT_CASES[case]
    data = np.load(os.path.join(FOLDER, f"{case}.npz"))
    assert str(data["legacy_writer"]) == "tf_keras"
    keras3_file = unzip(f"{case}.weights.h5", tmp_path)
    legacy_file = unzip(f"{case}.h5", tmp_path)

    model = build(spec)
    scale = max(1.0, float(np.abs(data["keras"]).max()))
    assert np.abs(predict(model, spec, data["images"]) - data["keras"]).max() > 1e-2 * scale  # not by chance
    model.load_weights(keras3_file)
    check(model, spec, data["keras"], data["images"])

    model = build(spec)
    model.load_weights(legacy_file)  # in layer order, as weights="imagenet" loads Keras' files
    check(model, spec, data["legacy"], data["images"])

    matched, weighted = check_by_name(spec, legacy_file, model, data["legacy"], data["images"])
    if spec[0].startswith("MobileNetV3"):
        # tf_keras names these layers "Conv", "Conv/BatchNorm", "expanded_conv/depthwise", ...
        assert matched < weighted // 2
    else:
        assert matched == weighted


def test_large_models_load_keras_files(tmp_path):
    # one test, so that under xdist a single worker pays for Keras' start-up in the subprocess
    try:
        __import__("keras")
    except Exception as error:  # real Keras absent: an optional extra of the tests
        pytest.skip(f"real Keras is not importable here: {type(error).__name__}")
    env = dict(os.environ, KERAS_BACKEND="numpy")
    script = os.path.join(ROOT, "tests", "fixtures", "make_applications_fixtures.py")
    result = subprocess.run([sys.executable, script, "live", str(tmp_path), *sorted(LIVE_CASES)], env=env,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    for case in sorted(LIVE_CASES):
        check_large_model(case, tmp_path)


def check_large_model(case, folder):
    spec = LIVE_CASES[case]
    data = np.load(folder / f"{case}.npz")
    model = build(spec)
    fresh = model.get_weights()
    model.load_weights(str(folder / f"{case}.weights.h5"))
    check(model, spec, data["keras"], data["images"])
    loaded = model.get_weights()
    assert any(not np.array_equal(a, b) for a, b in zip(fresh, loaded))
    # both files hold the same model's weights: each load gives exactly the weights predicted with
    for by_name in (False, True):
        model.set_weights(fresh)
        model.load_weights(str(folder / f"{case}.h5"), by_name=by_name)
        for found, wanted in zip(model.get_weights(), loaded):
            np.testing.assert_array_equal(found, wanted)
