"""Colour image preprocessing layers: Keras 3 numbers, randomness, training, configs, saving, errors.

The deterministic cases (fixed factors, fixed transformations, Equalization,
AutoContrast) come from tests/fixtures/preprocessing/keras_image_color.npz,
made by real Keras 3 (JAX) with tests/fixtures/make_image_color_fixtures.py.
"""
import json
import os

import numpy as np
import pytest

import kerasette
from kerasette import layers

from ._image_helpers import (PREPROCESSING as HERE, assert_config_matches_keras_and_round_trips,
                             assert_docstring_examples, assert_fit_draws_afresh, assert_seed_repeats_and_calls_differ,
                             assert_training_false_is_identity, load_npz, save_and_reload, spec_of)

COLOR = ["RandomContrast", "RandomBrightness", "RandomGrayscale", "RandomHue", "RandomSaturation",
         "RandomColorDegeneration", "RandomColorJitter", "RandomSharpness", "RandomPosterization", "RandomErasing",
         "RandomGaussianBlur", "RandomInvert", "Solarization", "Equalization", "AutoContrast"]


DATA = load_npz(os.path.join(HERE, "keras_image_color.npz"))
CASES = json.loads(str(DATA["cases"]))
COLOR_CASES = [c for c in CASES if json.loads(str(DATA[f"{c}.spec"]))["class_name"] in COLOR]


def _spec(case):
    return spec_of(DATA, case)


def _transformation(case, spec):
    keys = spec["transformation_keys"]
    if keys == [""]:
        return DATA[f"{case}.t."]
    return {key: DATA[f"{case}.t.{key}"] for key in keys}


def _images(count=8, height=6, width=7, low=0.0, high=255.0, seed=0):
    return np.random.default_rng(seed).uniform(low, high, (count, height, width, 3)).astype("float32")


def test_names_exported():
    from kerasette.layers.preprocessing.image import color
    assert sorted(color.__all__) == sorted(COLOR)
    for name in COLOR:
        assert getattr(layers, name) is getattr(color, name)


# ------------------------------------------------------------------ Keras' numbers

@pytest.mark.parametrize("case", COLOR_CASES)
def test_matches_keras(case):
    spec = _spec(case)
    layer = getattr(layers, spec["class_name"])(**spec["kwargs"])
    x = DATA[f"{case}.x"]
    if spec["mode"] == "call":
        out = layer(x, training=True)
    else:
        out = layer.transform_images(x, _transformation(case, spec), training=True)
    out = np.asarray(out)
    assert out.shape == DATA[f"{case}.y"].shape and out.dtype == np.float32
    np.testing.assert_allclose(out, DATA[f"{case}.y"], rtol=1e-6, atol=2e-4)


@pytest.mark.parametrize("case", COLOR_CASES)
def test_config_matches_keras_and_round_trips(case):
    spec = _spec(case)
    assert_config_matches_keras_and_round_trips(getattr(layers, spec["class_name"]), spec["kwargs"], spec["config"])


def test_keras_saved_model_loads_and_predicts_like_keras(tmp_path):
    model = kerasette.saving.load_model(os.path.join(HERE, "model_color.keras"))
    names = [type(layer).__name__ for layer in model.layers[1:]]
    assert names == ["RandomContrast", "RandomBrightness", "RandomGrayscale", "RandomHue", "RandomSaturation",
                     "RandomColorJitter", "RandomSharpness", "RandomPosterization", "RandomErasing",
                     "RandomGaussianBlur", "RandomInvert", "Solarization", "AutoContrast"]
    x = DATA["model_color.x"]
    predicted = model.predict(x, verbose=0)
    # the random layers are the identity in predict; AutoContrast acts (Keras 3 applies it in inference too)
    np.testing.assert_allclose(predicted, DATA["model_color.predict"], rtol=1e-6, atol=1e-4)
    assert np.abs(predicted - x).max() > 1.0
    assert model.layers[1].seed == 1 and model.layers[1].factor == (0, 0.3)
    path = str(tmp_path / "again.keras")
    model.save(path)
    np.testing.assert_allclose(kerasette.saving.load_model(path).predict(x, verbose=0), predicted, atol=1e-5)


def _every_layer():
    return [layers.RandomContrast(0.4, seed=1), layers.RandomBrightness(0.2, seed=2), layers.RandomGrayscale(seed=3),
            layers.RandomHue(0.3, seed=4), layers.RandomSaturation(0.5, seed=5),
            layers.RandomColorDegeneration(0.5, seed=6),
            layers.RandomColorJitter(brightness_factor=0.1, contrast_factor=0.2, saturation_factor=0.5,
                                     hue_factor=0.1, seed=7),
            layers.RandomSharpness(0.5, seed=8), layers.RandomPosterization(6, seed=9),
            layers.RandomErasing(seed=10), layers.RandomGaussianBlur(kernel_size=5, seed=11),
            layers.RandomInvert(seed=12), layers.Solarization(0.2, 0.6, seed=13), layers.Equalization(bins=64),
            layers.AutoContrast()]


def test_model_of_every_layer_saves_and_loads(tmp_path):
    inputs = kerasette.Input((6, 7, 3))
    x = inputs
    for layer in _every_layer():
        x = layer(x)
    model = kerasette.Model(inputs, x)
    images = _images()
    predicted = model.predict(images, verbose=0)
    # only AutoContrast acts in predict
    np.testing.assert_allclose(predicted, layers.AutoContrast()(images, training=False), atol=1e-4)
    loaded = save_and_reload(model, str(tmp_path / "color.keras"))
    assert [type(layer).__name__ for layer in loaded.layers] == [type(layer).__name__ for layer in model.layers]
    np.testing.assert_allclose(loaded.predict(images, verbose=0), predicted, atol=1e-5)


# ------------------------------------------------------------------ training, seeds

@pytest.mark.parametrize("index", range(14))
def test_training_false_is_identity(index):
    assert_training_false_is_identity(_every_layer()[index], _images())


def test_autocontrast_acts_whatever_training_is():
    images = _images(low=50, high=100)
    out = np.asarray(layers.AutoContrast()(images, training=False))
    np.testing.assert_allclose(out.min(axis=(1, 2)), 0.0, atol=1e-3)
    np.testing.assert_allclose(out.max(axis=(1, 2)), 255.0, atol=1e-3)


@pytest.mark.parametrize("index", range(13))
def test_seed_repeats_and_calls_differ(index):
    assert_seed_repeats_and_calls_differ(_every_layer()[index], _every_layer()[index], _images(16))


@pytest.mark.parametrize("make", [
    lambda: layers.RandomContrast(0.5, seed=1),
    lambda: layers.RandomBrightness(0.3, seed=1),
    lambda: layers.RandomHue(0.5, seed=1),
    lambda: layers.RandomColorJitter(brightness_factor=0.2, saturation_factor=0.5, seed=1),
    lambda: layers.RandomErasing(factor=(1.0, 1.0), seed=1),
    lambda: layers.RandomGaussianBlur(factor=(1.0, 1.0), sigma=(0.1, 1.0), seed=1),
    lambda: layers.Solarization(0.5, 0.5, seed=1),
    lambda: layers.RandomPosterization(7, seed=1),
], ids=["contrast", "brightness", "hue", "jitter", "erasing", "blur", "solarization", "posterization"])
def test_in_a_compiled_model(make):
    assert_fit_draws_afresh(make(), _images(8))


def test_single_image_and_dict_inputs():
    images = _images(1)
    one = layers.RandomBrightness((0.1, 0.1))(images[0])
    assert one.shape == (6, 7, 3)
    np.testing.assert_allclose(one, np.minimum(images[0] + 25.5, 255), atol=1e-4)
    out = layers.RandomInvert((1.0, 1.0))({"images": images, "labels": np.array([[1.0, 0.0]])})
    np.testing.assert_allclose(out["images"], 255 - images, atol=1e-4)
    np.testing.assert_array_equal(out["labels"], [[1.0, 0.0]])


def test_integer_images_come_back_in_the_compute_dtype():
    images = np.round(_images()).astype("uint8")
    out = layers.Solarization()(images)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, 255.0 - images)


# ------------------------------------------------------------------ statistics and bounds

def test_contrast_scales_around_the_mean_within_factor():
    images = _images(64, low=100, high=150)
    out = np.asarray(layers.RandomContrast((0.3, 0.6), seed=2)(images))
    np.testing.assert_allclose(out.mean(axis=(1, 2)), images.mean(axis=(1, 2)), atol=1e-3)
    ratio = out.std(axis=(1, 2)) / images.std(axis=(1, 2))
    assert np.ptp(ratio, axis=1).max() < 1e-4            # one factor per image
    assert ratio.min() >= 0.7 - 1e-4 and ratio.max() <= 1.6 + 1e-4
    assert ratio.min() < 0.85 and ratio.max() > 1.4


def test_brightness_adds_one_delta_per_image():
    images = _images(64, low=100, high=150)
    out = np.asarray(layers.RandomBrightness(0.2, seed=3)(images))
    delta = (out - images).reshape(64, -1)
    assert np.ptp(delta, axis=1).max() < 1e-3
    assert np.abs(delta).max() <= 0.2 * 255 + 1e-3 and delta.min() < -30 and delta.max() > 30
    unit = np.asarray(layers.RandomBrightness(0.9, value_range=(0, 1), seed=3)(images / 255))
    assert unit.min() >= 0 and unit.max() <= 1


def test_grayscale_probability():
    images = _images(400, 2, 2)
    out = np.asarray(layers.RandomGrayscale(0.3, seed=4)(images))
    gray = np.all(np.ptp(out, axis=-1) < 1e-4, axis=(1, 2))
    assert 0.22 < gray.mean() < 0.38
    np.testing.assert_array_equal(out[~gray], images[~gray])
    expected = images @ np.array([0.2989, 0.5870, 0.1140], "float32")
    np.testing.assert_allclose(out[gray][..., 0], expected[gray], rtol=1e-5)


def test_hue_keeps_value_and_saturation():
    images = _images(32)
    out = np.asarray(layers.RandomHue(0.8, seed=5)(images))
    np.testing.assert_allclose(out.max(axis=-1), images.max(axis=-1), atol=0.05)
    np.testing.assert_allclose(out.min(axis=-1), images.min(axis=-1), atol=0.05)
    assert np.abs(out - images).mean() > 5


def test_saturation_keeps_hue_and_value():
    images = _images(32) / 255
    out = np.asarray(layers.RandomSaturation((0.6, 0.8), value_range=(0, 1), seed=5)(images))
    hsv_in = np.asarray(kerasette.ops.image.rgb_to_hsv(images))
    hsv_out = np.asarray(kerasette.ops.image.rgb_to_hsv(out))
    np.testing.assert_allclose(hsv_out[..., 2], hsv_in[..., 2], atol=1e-5)
    scale = hsv_out[..., 1] / np.maximum(hsv_in[..., 1], 1e-6)
    # f / (1 - f) for f in [0.6, 0.8]: 1.5 .. 4, saturation capped at 1
    capped = hsv_out[..., 1] > 0.999
    assert scale[~capped].min() > 1.5 - 1e-3 and scale[~capped].max() < 4 + 1e-3


def test_color_degeneration_moves_toward_gray():
    images = _images(32)
    out = np.asarray(layers.RandomColorDegeneration((0.2, 0.7), seed=6)(images))
    gray = (images @ np.array([0.2989, 0.5870, 0.1140], "float32"))[..., None]
    f = ((out - images) * (gray - images)).sum(axis=(1, 2, 3)) / ((gray - images) ** 2).sum(axis=(1, 2, 3))
    assert f.min() > 0.2 - 1e-4 and f.max() < 0.7 + 1e-4


def test_sharpness_half_keeps_the_image_and_bounds():
    images = _images()
    np.testing.assert_allclose(layers.RandomSharpness((0.5, 0.5))(images), images, atol=1e-4)
    out = np.asarray(layers.RandomSharpness(1.0, seed=7)(images))
    assert out.min() >= 0 and out.max() <= 255 and np.abs(out - images).mean() > 1


def test_posterization_keeps_high_bits():
    images = np.round(_images(64))
    out = np.asarray(layers.RandomPosterization(4, seed=8)(images))
    shifts = []
    for image, source in zip(out, images):
        # factor 4: 1 to 3 bits kept (Keras' randint excludes 4), a shift of 5 to 7
        matches = [s for s in (5, 6, 7) if np.array_equal(image, (source.astype(np.uint8) >> s) << s)]
        assert matches
        shifts.append(matches[0])
    assert len(set(shifts)) == 3


def test_invert_probability():
    images = _images(400, 2, 2)
    out = np.asarray(layers.RandomInvert(seed=9)(images))
    inverted = np.all(np.abs(out - (255 - images)) < 1e-4, axis=(1, 2, 3))
    kept = np.all(out == images, axis=(1, 2, 3))
    assert np.all(inverted | kept)
    assert 0.4 < inverted.mean() < 0.6     # factor 1.0: probability drawn in [0, 1], so one half


def test_erasing_writes_one_rectangle():
    images = _images(32, 20, 20, low=1, high=255)
    out = np.asarray(layers.RandomErasing(factor=(1.0, 1.0), scale=(0.1, 0.3), fill_value=0.0, seed=10)(images))
    for image, source in zip(out, images):
        changed = np.any(image != source, axis=-1)
        rows, cols = np.nonzero(changed)
        assert rows.size > 0
        box = changed[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
        assert box.all()                          # a filled rectangle
        assert np.all(image[changed] == 0.0)
        assert 0.1 * 400 * 0.5 <= box.size <= 0.3 * 400 * 1.6
    noisy = np.asarray(layers.RandomErasing(factor=(1.0, 1.0), seed=1)(images))
    assert noisy.min() >= 0 and noisy.max() <= 255


def test_gaussian_blur_smooths():
    images = _images(16, 10, 10)
    out = np.asarray(layers.RandomGaussianBlur(factor=(1.0, 1.0), kernel_size=3, sigma=(0.5, 1.0),
                                               seed=11)(images))
    inner = (slice(None), slice(1, -1), slice(1, -1))
    assert out[inner].std() < images[inner].std() * 0.8
    np.testing.assert_allclose(out[inner].mean(), images[inner].mean(), rtol=0.02)


def test_solarization_statistics():
    images = _images(32)
    # threshold 0: every pixel inverted after one addition per image in [0, 0.2 * 255]
    out = np.asarray(layers.Solarization(addition_factor=0.2, seed=12)(images))
    added = 255 - out - images
    unclipped = images + added < 255 - 1e-3
    for a, keep in zip(added, unclipped):
        assert np.ptp(a[keep]) < 1e-3 and -1e-3 <= a[keep][0] <= 0.2 * 255 + 1e-3
    assert np.ptp([a[k][0] for a, k in zip(added, unclipped)]) > 5
    # no addition: pixels below the threshold (in [0.4, 0.6 * 255]) kept, the others inverted
    out = np.asarray(layers.Solarization(threshold_factor=(0.4, 0.6), seed=12)(images))
    for image, source in zip(out, images):
        kept = np.abs(image - source) < 1e-4
        inverted = np.abs(image - (255 - source)) < 1e-4
        assert np.all(kept | inverted)
        if kept.any() and inverted.any() and not np.all(kept == inverted):
            assert source[kept & ~inverted].max() < source[inverted & ~kept].min()
        assert not np.any(kept & ~inverted & (source >= 0.6 * 255 + 1e-3))


def test_equalization_flattens_the_histogram():
    images = np.round(_images(4, 16, 16, low=60, high=120))
    out = np.asarray(layers.Equalization()(images))
    assert out.min() == 0 and out.max() == 255
    # the order of values is kept within each channel
    for c in range(3):
        order = np.argsort(images[..., c].ravel(), kind="stable")
        assert np.all(np.diff(out[..., c].ravel()[order]) >= 0)


# ------------------------------------------------------------------ errors

@pytest.mark.parametrize("make, argument", [
    (lambda: layers.RandomContrast(1.5), "factor"),
    (lambda: layers.RandomBrightness(0.2, value_range=5), "value_range"),
    (lambda: layers.RandomGrayscale(2.0), "factor"),
    (lambda: layers.RandomHue("a"), "factor"),
    (lambda: layers.RandomGaussianBlur(kernel_size=4), "kernel_size"),
    (lambda: layers.RandomGaussianBlur(sigma=3.0), "sigma"),
    (lambda: layers.RandomErasing(scale=(0.1, 0.2, 0.3)), "scale"),
    (lambda: layers.RandomErasing(fill_value="red"), "fill_value"),
    (lambda: layers.Equalization(bins=0), "bins"),
    (lambda: layers.Solarization(addition_factor=2.0), "addition_factor"),
    (lambda: layers.Solarization(threshold_factor=-1.0), "threshold_factor"),
    (lambda: layers.RandomPosterization(9), "factor"),
    (lambda: layers.RandomInvert(seed="x"), "seed"),
    (lambda: layers.RandomColorJitter(value_range=(0,)), "value_range"),
])
def test_bad_argument_is_named(make, argument):
    with pytest.raises(ValueError, match=argument):
        make()


def test_bad_rank_is_refused():
    with pytest.raises(ValueError, match="rank"):
        layers.RandomContrast(0.2)(np.zeros((2, 3), "float32"))


@pytest.mark.parametrize("module", ["color_tone", "color_effects", "color_levels"])
def test_docstring_examples(module):
    assert_docstring_examples(module, COLOR)


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_erasing_fill_per_channel(data_format):
    images = _images(2)
    if data_format == "channels_first":
        images = images.transpose(0, 3, 1, 2)
    layer = layers.RandomErasing(factor=(1.0, 1.0), scale=(1.0, 1.0), fill_value=(1, 2, 300), data_format=data_format)
    out = np.asarray(layer(images))
    if data_format == "channels_first":
        out = out.transpose(0, 2, 3, 1)
    np.testing.assert_array_equal(out, np.broadcast_to(np.array([1, 2, 255], "float32"), out.shape))
