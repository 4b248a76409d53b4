"""MixUp, CutMix, AugMix, RandAugment: Keras 3 numbers, mixing statistics, seeds, training, configs, saving.

Fixed-transformation cases come from tests/fixtures/preprocessing/keras_image_color.npz
(made by real Keras 3 on JAX with tests/fixtures/make_image_color_fixtures.py).
"""
import json
import os

import numpy as np
import pytest

import kerasette
from kerasette import layers
from kerasette.layers.preprocessing.image import mixing_policies

from ._image_helpers import PREPROCESSING as HERE, assert_docstring_examples, load_npz, save_and_reload, spec_of

MIXING = ["MixUp", "CutMix", "AugMix", "RandAugment"]
DATA = load_npz(os.path.join(HERE, "keras_image_color.npz"))


def _images(count=8, height=8, width=8, seed=0):
    return np.random.default_rng(seed).uniform(0, 255, (count, height, width, 3)).astype("float32")


def test_names_exported():
    from kerasette.layers.preprocessing.image import mixing
    assert sorted(mixing.__all__) == sorted(MIXING)
    for name in MIXING:
        assert getattr(layers, name) is getattr(mixing, name)


# ------------------------------------------------------------------ Keras' numbers

@pytest.mark.parametrize("case", ["mixup_t", "cutmix_t"])
def test_matches_keras(case):
    spec = spec_of(DATA, case)
    layer = getattr(layers, spec["class_name"])(**spec["kwargs"])
    transformation = {key: DATA[f"{case}.t.{key}"] for key in spec["transformation_keys"]}
    images = np.asarray(layer.transform_images(DATA[f"{case}.x"], transformation, training=True))
    np.testing.assert_allclose(images, DATA[f"{case}.y"], rtol=1e-6, atol=1e-4)
    labels = np.asarray(layer.transform_labels(DATA[f"{case}.labels"], transformation, training=True))
    np.testing.assert_allclose(labels, DATA[f"{case}.labels_y"], rtol=1e-6, atol=1e-6)
    config = json.loads(json.dumps(layer.get_config()))
    for key, value in spec["config"].items():
        if key not in ("name", "dtype"):
            assert config[key] == value


def _tree(case, value):
    if isinstance(value, dict):
        return {k: _tree(case, v) for k, v in value.items()}
    if isinstance(value, list):
        return [_tree(case, v) for v in value]
    if isinstance(value, str) and value.startswith("@"):
        return DATA[f"{case}.t.{value[1:]}"]
    return value


def test_shear_matches_keras_random_shear():
    spec = spec_of(DATA, "shear_t")
    layer = mixing_policies._shear_class()(**spec["kwargs"])
    assert (layer.x_factor, layer.y_factor) == ((-0.3, 0.3), (-0.2, 0.2))
    out = layer.transform_images(DATA["shear_t.x"], {"shear_factor": DATA["shear_t.t.shear_factor"]})
    np.testing.assert_allclose(out, DATA["shear_t.y"], rtol=1e-5, atol=1e-3)


def test_augmix_mixes_chains_like_keras():
    spec = spec_of(DATA, "augmix_t")
    layer = layers.AugMix(**spec["kwargs"])
    keras_t = _tree("augmix_t", spec["tree"])
    names = layer._augment_layers
    chains = [[(np.array(names.index(step["layer_name"])), {step["layer_name"]: step["transformation"]})
               for step in chain] for chain in keras_t["chain_transforms"]]
    transformation = {"chain_mixing_weights": keras_t["chain_mixing_weights"],
                      "weight_sample": keras_t["weight_sample"], "chain_transforms": chains}
    out = layer.transform_images(DATA["augmix_t.x"], transformation)
    np.testing.assert_allclose(out, DATA["augmix_t.y"], rtol=1e-5, atol=2e-4)
    config = json.loads(json.dumps(layer.get_config()))
    for key, value in spec["config"].items():
        if key not in ("name", "dtype"):
            assert config[key] == value


def test_randaugment_chains_like_keras():
    spec = spec_of(DATA, "randaugment_t")
    layer = layers.RandAugment(**spec["kwargs"])
    out = layer.transform_images(DATA["randaugment_t.x"], _tree("randaugment_t", spec["tree"]))
    np.testing.assert_allclose(out, DATA["randaugment_t.y"], rtol=1e-5, atol=2e-4)
    config = json.loads(json.dumps(layer.get_config()))
    for key, value in spec["config"].items():
        if key not in ("name", "dtype"):
            assert config[key] == value


def test_keras_saved_model_loads_and_predicts_like_keras(tmp_path):
    model = kerasette.saving.load_model(os.path.join(HERE, "model_mixing.keras"))
    assert [type(layer).__name__ for layer in model.layers[1:]] == MIXING
    mixup, cutmix, augmix, randaugment = model.layers[1:]
    assert (mixup.alpha, mixup.seed, cutmix.factor) == (0.4, 2, (0, 0.7))
    assert (augmix.num_chains, augmix.chain_depth, augmix.factor) == (2, 2, (0, 0.4))
    assert (randaugment.num_ops, randaugment.factor) == (3, (0, 0.3))
    x = DATA["model_mixing.x"]
    np.testing.assert_allclose(model.predict(x, verbose=0), DATA["model_mixing.predict"], atol=1e-5)
    loaded = save_and_reload(model, str(tmp_path / "again.keras"))
    out = np.asarray(loaded(x, training=True))
    assert out.shape == x.shape and not np.allclose(out, x)


# ------------------------------------------------------------------ MixUp and CutMix

def test_mixup_blends_images_and_labels_alike():
    images = _images(64, 4, 4)
    labels = np.eye(64, dtype="float32")
    out = layers.MixUp(alpha=0.5, seed=1)({"images": images, "labels": labels})
    mixed, soft = np.asarray(out["images"]), np.asarray(out["labels"])
    np.testing.assert_allclose(soft.sum(axis=1), 1.0, rtol=1e-5)
    weights = []
    for i in range(64):
        partners = np.nonzero(soft[i])[0]
        own = soft[i, i]
        other = [p for p in partners if p != i]
        partner = other[0] if other else i
        np.testing.assert_allclose(mixed[i], own * images[i] + (1 - own) * images[partner], rtol=1e-4, atol=1e-3)
        weights.append(own)
    weights = np.array(weights)
    assert 0.35 < weights.mean() < 0.65 and weights.min() < 0.2 and weights.max() > 0.8   # Beta(0.5, 0.5)


def test_cutmix_pastes_a_rectangle_and_mixes_labels_by_area():
    images = _images(32, 16, 16)
    labels = np.eye(32, dtype="float32")
    out = layers.CutMix(seed=2)({"images": images, "labels": labels})
    mixed, soft = np.asarray(out["images"]), np.asarray(out["labels"])
    np.testing.assert_allclose(soft.sum(axis=1), 1.0, rtol=1e-5)
    for i in range(32):
        own = soft[i, i]
        pasted = np.any(mixed[i] != images[i], axis=-1)
        if own > 0.999:
            continue
        partner = [p for p in np.nonzero(soft[i])[0] if p != i][0]
        np.testing.assert_array_equal(mixed[i][pasted], images[partner][pasted])
        np.testing.assert_array_equal(mixed[i][~pasted], images[i][~pasted])
        rows, cols = np.nonzero(pasted)
        assert pasted[rows.min():rows.max() + 1, cols.min():cols.max() + 1].all()
        # the label weight is the area kept, within the rounding of the box to pixels
        assert abs((1 - own) * 256 - pasted.sum()) <= 2 * 16 + 1


def test_mixup_cutmix_seeds_and_training():
    images = _images(8)
    for make in (lambda: layers.MixUp(seed=5), lambda: layers.CutMix(seed=5)):
        first, second = make(), make()
        a1, a2 = np.asarray(first(images)), np.asarray(first(images))
        np.testing.assert_array_equal(a1, second(images))
        assert not np.array_equal(a1, a2)
        np.testing.assert_array_equal(first(images, training=False), images)


# ------------------------------------------------------------------ AugMix and RandAugment

def test_augmix_and_randaugment_bounds_seeds_training():
    images = _images(8, 12, 12)
    for make in (lambda: layers.AugMix(seed=3), lambda: layers.AugMix(all_ops=False, factor=0.6, seed=3),
                 lambda: layers.RandAugment(seed=4), lambda: layers.RandAugment(num_ops=4, factor=0.9, seed=4),
                 lambda: layers.AugMix(value_range=(0, 1), seed=3)):
        layer = make()
        x = images / 255 if layer.value_range == (0, 1) else images
        outs = [np.asarray(layer(x)) for _ in range(4)]
        for out in outs:
            assert out.shape == x.shape and out.dtype == np.float32
            assert out.min() >= layer.value_range[0] - 1e-4 and out.max() <= layer.value_range[1] + 1e-4
        assert len({out.tobytes() for out in outs}) == 4
        assert max(np.abs(out - x).mean() for out in outs) > 0.01 * layer.value_range[1]
        again = make()
        np.testing.assert_array_equal(np.asarray(again(x)), outs[0])
        np.testing.assert_array_equal(layer(x, training=False), x)
    np.testing.assert_array_equal(layers.RandAugment(num_ops=0)(images), images)


def test_augmix_layer_sets():
    assert layers.AugMix()._augment_layers == mixing_policies.AUGMENT_LAYERS_ALL
    assert layers.AugMix(all_ops=False)._augment_layers == mixing_policies.AUGMENT_LAYERS
    rand = layers.RandAugment(factor=0.5, value_range=(0, 1))
    assert rand.random_posterization.factor == (1, 4)
    assert rand.solarization.addition_factor == (0, 0.5) and rand.random_contrast.factor == (0, 0.5)
    assert rand.equalization.value_range == (0, 1)


def test_randaugment_applies_the_chosen_layers_in_turn():
    images = _images(4)
    layer = layers.RandAugment(num_ops=2, seed=1)
    auto = layer._augment_layers.index("auto_contrast")
    equal = layer._augment_layers.index("equalization")
    transformation = {"layer_idxes": np.array([auto, equal]), "transforms": {"auto_contrast": None,
                                                                            "equalization": None}}
    out = layer.transform_images(images, transformation)
    expected = layers.Equalization()(layers.AutoContrast()(images))
    np.testing.assert_allclose(out, expected, atol=1e-4)


@pytest.mark.parametrize("make", [lambda: layers.RandAugment(num_ops=3, seed=2),
                                  lambda: layers.AugMix(chain_depth=2, seed=2)], ids=["randaugment", "augmix"])
def test_graph_choice_equals_eager_choice(make, monkeypatch):
    """Traced graphs choose with ops.where among every layer's output; eager calls run the chosen one only."""
    images = _images(4)
    layer = make()
    with monkeypatch.context() as patch:
        patch.setattr(mixing_policies, "_static_int", lambda value: None)
        transformation = layer.get_random_transformation(images)
        as_graph = np.asarray(layer.transform_images(images, transformation))
    as_eager = np.asarray(layer.transform_images(images, transformation))
    np.testing.assert_allclose(as_graph, as_eager, atol=1e-4)


@pytest.mark.parametrize("make", [lambda: layers.MixUp(seed=1), lambda: layers.CutMix(seed=1),
                                  lambda: layers.AugMix(num_chains=2, chain_depth=2, seed=1),
                                  lambda: layers.RandAugment(seed=1)],
                         ids=["mixup", "cutmix", "augmix", "randaugment"])
def test_in_a_compiled_model(make):
    images, targets = _images(8), np.zeros((8, 1), "float32")
    inputs = kerasette.Input((8, 8, 3))
    features = layers.Flatten()(make()(inputs))
    outputs = layers.Dense(1, kernel_initializer="ones", use_bias=False)(features)
    model = kerasette.Model(inputs, outputs)
    model.compile(kerasette.optimizers.SGD(0.0), "mse")
    losses = model.fit(images, targets, epochs=4, batch_size=8, verbose=0).history["loss"]
    assert np.all(np.isfinite(losses))
    assert len(set(np.round(losses, 2))) >= 3          # every step draws afresh
    plain = images.reshape(8, -1).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(model.predict(images, verbose=0), plain, rtol=1e-5)


def test_every_layer_in_a_saved_model(tmp_path):
    inputs = kerasette.Input((8, 8, 3))
    x = inputs
    for layer in (layers.MixUp(alpha=0.3, seed=1), layers.CutMix(factor=0.5), layers.AugMix(num_chains=2, seed=2),
                  layers.RandAugment(num_ops=1, factor=0.2, interpolation="nearest")):
        x = layer(x)
    model = kerasette.Model(inputs, x)
    loaded = save_and_reload(model, str(tmp_path / "mixing.keras"))
    assert [type(layer).__name__ for layer in loaded.layers[1:]] == MIXING
    assert loaded.layers[4].interpolation == "nearest" and loaded.layers[3].num_chains == 2
    images = _images(4)
    np.testing.assert_allclose(loaded.predict(images, verbose=0), images)


# ------------------------------------------------------------------ errors

@pytest.mark.parametrize("make, argument", [
    (lambda: layers.MixUp(alpha=0.0), "alpha"),
    (lambda: layers.CutMix(factor=2.0), "factor"),
    (lambda: layers.AugMix(num_chains=0), "num_chains"),
    (lambda: layers.AugMix(chain_depth=1.5), "chain_depth"),
    (lambda: layers.AugMix(alpha=-1), "alpha"),
    (lambda: layers.AugMix(interpolation="cubic"), "interpolation"),
    (lambda: layers.RandAugment(num_ops=-1), "num_ops"),
    (lambda: layers.RandAugment(factor=1.5), "factor"),
    (lambda: layers.RandAugment(value_range=(1,)), "value_range"),
    (lambda: layers.MixUp(seed=1.5), "seed"),
])
def test_bad_argument_is_named(make, argument):
    with pytest.raises(ValueError, match=argument):
        make()


def test_sparse_labels_are_refused():
    with pytest.raises(ValueError, match="labels.shape"):
        layers.MixUp(seed=1)({"images": _images(4), "labels": np.arange(4)})


@pytest.mark.parametrize("module", ["mixing", "mixing_policies"])
def test_docstring_examples(module):
    assert_docstring_examples(module, MIXING)
