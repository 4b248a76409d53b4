"""Files kerasette writes, read back by real Keras in this interpreter (optional).

Runs where ``tf_keras`` (Keras 2 API) and ``keras`` (Keras 3) can be
imported: the test extra installs both, so CI runs them; elsewhere they skip.  The fixture
script's ``write-kerasette`` / ``check-kerasette`` commands do the same
check by hand across the side environments (see tests/fixtures/saving/README.md).
"""
import importlib
import os

import numpy as np
import pytest

import kerasette
from kerasette import backend
from tests.fixtures.saving.make_saving_fixtures import BUILDERS, LOSSES, inputs_for, random_weights, single, \
    targets_for


def real_keras(name):
    if name == "tf_keras":
        os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
    else:
        os.environ.setdefault("KERAS_BACKEND", "jax")
    try:
        module = importlib.import_module(name)
    except Exception as error:   # absent, or present without a working backend
        pytest.skip(f"{name} is not importable here: {type(error).__name__}")
    if module is kerasette or not hasattr(module, "models"):
        pytest.skip(f"{name} is not real Keras")
    return module


@pytest.mark.parametrize("flavour", ["tf_keras", "keras"])
@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_real_keras_reads_kerasette_files(tmp_path, flavour, name):
    K = real_keras(flavour)
    backend.clear_session()
    rng = np.random.default_rng(11)
    model = BUILDERS[name](kerasette)
    model.set_weights(random_weights(model, rng))
    model.compile(optimizer=kerasette.optimizers.Adam(learning_rate=0.01), loss=LOSSES[name])
    model.train_on_batch(single(inputs_for(name, rng, 4)), targets_for(name, rng, 4))
    x = inputs_for(name, rng, 3)
    expected = np.asarray(model(single(x)))
    model.save(tmp_path / "m.h5")
    model.save_weights(tmp_path / "w.h5")
    loaded = [K.models.load_model(str(tmp_path / "m.h5"))]
    rebuilt = BUILDERS[name](K)
    rebuilt.load_weights(str(tmp_path / "w.h5"))
    loaded.append(rebuilt)
    if flavour == "keras":
        model.save_weights(tmp_path / "w.weights.h5")
        again = BUILDERS[name](K)
        again.load_weights(str(tmp_path / "w.weights.h5"))
        loaded.append(again)
    for keras_model in loaded:
        np.testing.assert_allclose(np.asarray(keras_model.predict(single(x), verbose=0)), expected,
                                   rtol=1e-5, atol=1e-6)
