"""Shared pieces of the image preprocessing layer tests (``test_image_*.py``): Keras' fixtures, and the checks
every family runs (configs, training, seeds, compiled models, saving, docstring examples)."""
import doctest
import functools
import importlib
import json
import os

import numpy as np

import kerasette
from kerasette import layers

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures")
PREPROCESSING = os.path.join(FIXTURES, "preprocessing")


@functools.lru_cache(maxsize=None)
def load_npz(path):
    """Every array of a fixture ``.npz`` (read once per session; the tests only read it)."""
    with np.load(path, allow_pickle=False) as archive:
        return {key: archive[key] for key in archive.files}


def spec_of(data, case):
    """A case's JSON ``<case>.spec``."""
    return json.loads(str(data[f"{case}.spec"]))


def assert_config_matches_keras_and_round_trips(cls, kwargs, keras_config):
    """``cls(**kwargs)``'s config holds Keras' values (but ``name`` and ``dtype``) and survives ``from_config``."""
    config = json.loads(json.dumps(cls(**kwargs).get_config()))
    for key, value in keras_config.items():
        if key not in ("name", "dtype"):
            assert config[key] == value, key
    again = cls.from_config(config)
    assert json.loads(json.dumps(again.get_config())) == config


def assert_training_false_is_identity(layer, images):
    np.testing.assert_array_equal(layer(images, training=False), images)
    assert np.abs(np.asarray(layer(images)) - images).max() > 0.5     # training defaults to True


def assert_seed_repeats_and_calls_differ(first, second, images):
    """Two layers of one seed give the same sequence of outputs; two calls of one layer differ. Returns the
    first output."""
    a1, a2 = np.asarray(first(images)), np.asarray(first(images))
    b1, b2 = np.asarray(second(images)), np.asarray(second(images))
    np.testing.assert_array_equal(a1, b1)
    np.testing.assert_array_equal(a2, b2)
    assert not np.array_equal(a1, a2)
    return a1


def assert_fit_draws_afresh(augment, images, decimals=3, predict_is_identity=True):
    """``augment`` -> GlobalAveragePooling2D -> Dense(ones) fit 3 steps at learning rate 0: three different losses
    (every step draws afresh); ``predict`` (training False) gives the plain model's output when
    ``predict_is_identity``."""
    targets = np.zeros((len(images), 1), "float32")
    inputs = kerasette.Input(images.shape[1:])
    outputs = layers.Dense(1, kernel_initializer="ones")(layers.GlobalAveragePooling2D()(augment(inputs)))
    model = kerasette.Model(inputs, outputs)
    model.compile(kerasette.optimizers.SGD(0.0), "mse")
    losses = model.fit(images, targets, epochs=3, batch_size=8, verbose=0).history["loss"]
    assert len(set(np.round(losses, decimals))) == 3           # every step draws afresh
    if predict_is_identity:
        plain = np.asarray(layers.Dense(1, kernel_initializer="ones")(images.mean(axis=(1, 2))))
        np.testing.assert_allclose(model.predict(images, verbose=0), plain, rtol=1e-5)


def save_and_reload(model, path):
    """``model`` saved to ``path`` and loaded back; every layer's config is the same. Returns the loaded model."""
    model.save(path)
    loaded = kerasette.saving.load_model(path)
    for old, new in zip(model.layers, loaded.layers):
        assert json.dumps(old.get_config(), default=str) == json.dumps(new.get_config(), default=str)
    return loaded


def assert_docstring_examples(module, names, **globs):
    """The doctests of ``kerasette.layers.preprocessing.image.<module>`` run and pass (``numpy``, the layers
    ``names`` and ``globs`` in scope)."""
    target = importlib.import_module(f"kerasette.layers.preprocessing.image.{module}")
    globs = {"numpy": np, **globs, **{name: getattr(layers, name) for name in names}}
    result = doctest.testmod(target, globs=globs, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
