"""Whole application models saved and loaded (.keras and Keras 2 .h5): same predictions."""
import numpy as np
import pytest

import kerasette
from kerasette import applications, backend

CASES = {
    "mobilenet": lambda: applications.MobileNet(weights=None, alpha=0.25, input_shape=(32, 32, 3), classes=10),
    "mobilenet_v3_min": lambda: applications.MobileNetV3Small(weights=None, minimalistic=True, alpha=0.75,
                                                              input_shape=(32, 32, 3), classes=10),
    "mobilenet_v2": lambda: applications.MobileNetV2(weights=None, alpha=0.35, input_shape=(32, 32, 3),
                                                     include_top=False, pooling="max"),
}


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_save_and_load_whole_model(case, suffix, tmp_path):
    backend.clear_session()
    model = CASES[case]()
    rng = np.random.default_rng(0)
    model.set_weights([w + rng.normal(scale=0.05, size=w.shape).astype(w.dtype) for w in model.get_weights()])
    x = rng.uniform(0, 255, size=(2, 32, 32, 3)).astype("float32")
    path = str(tmp_path / f"model{suffix}")
    model.save(path)
    loaded = kerasette.models.load_model(path)
    assert [layer.name for layer in loaded.layers] == [layer.name for layer in model.layers]
    assert loaded.name == model.name
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6, atol=1e-6)


def test_squeeze_excite_ops_save_in_the_config_and_as_weights(tmp_path):
    # MobileNetV3's hard sigmoid is two bare ops on symbolic tensors, as in Keras; the config
    # describes them as Keras 3's operation entries, so the whole model saves, and the weights
    # save and load as always
    model = applications.MobileNetV3Small(weights=None, input_shape=(32, 32, 3), classes=10)
    x = np.random.default_rng(0).uniform(0, 255, size=(2, 32, 32, 3)).astype("float32")
    model.save(str(tmp_path / "v3.keras"))
    whole = kerasette.models.load_model(str(tmp_path / "v3.keras"))
    np.testing.assert_allclose(whole.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-5, atol=1e-6)
    model.save_weights(str(tmp_path / "v3.weights.h5"))
    again = applications.MobileNetV3Small(weights=str(tmp_path / "v3.weights.h5"), input_shape=(32, 32, 3),
                                          classes=10)
    for a, b in zip(again.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)
