"""RandomShear, ContrastLimitedAdaptiveHistogramEqualization, MaxNumBoundingBoxes (and RandomColorDegeneration):
Keras 3 numbers, randomness, training, configs, saving, errors.

The deterministic cases (fixed shear transformations, degeneration factors ``(f, f)``, CLAHE, box padding)
come from tests/fixtures/preprocessing/keras_image_extra.npz, made by real Keras 3 (JAX) with
tests/fixtures/make_image_extra_fixtures.py.
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

EXTRA = ["RandomShear", "ContrastLimitedAdaptiveHistogramEqualization", "MaxNumBoundingBoxes"]
CLAHE = layers.ContrastLimitedAdaptiveHistogramEqualization


DATA = load_npz(os.path.join(HERE, "keras_image_extra.npz"))
CASES = json.loads(str(DATA["cases"]))


def _spec(case):
    return spec_of(DATA, case)


def _images(count=8, height=8, width=9, low=0.0, high=255.0, seed=0):
    return np.random.default_rng(seed).uniform(low, high, (count, height, width, 3)).astype("float32")


def _boxes_input(x, case):
    return {"images": x, "bounding_boxes": {"boxes": DATA[f"{case}.boxes"], "labels": DATA[f"{case}.labels"]}}


def test_names_exported():
    from kerasette.layers.preprocessing.image import extra
    assert sorted(extra.__all__) == sorted(EXTRA)
    for name in EXTRA + ["RandomColorDegeneration"]:
        assert name in layers.preprocessing.__all__
    for name in EXTRA:
        assert getattr(layers, name) is getattr(extra, name)


# ------------------------------------------------------------------ Keras' numbers

@pytest.mark.parametrize("case", CASES)
def test_matches_keras(case):
    spec = _spec(case)
    layer = getattr(layers, spec["class_name"])(**spec["kwargs"])
    x = DATA[f"{case}.x"]
    if spec["mode"] == "call":
        out = layer(x, training=True)
    elif spec["mode"] == "transform":
        out = layer.transform_images(x, {"shear_factor": DATA[f"{case}.shear"]}, training=True)
    else:
        result = layer(_boxes_input(x, case))
        out = result["images"]
        for key in ("boxes", "labels"):
            got, want = np.asarray(result["bounding_boxes"][key]), DATA[f"{case}.{key}_y"]
            assert got.dtype == want.dtype and got.shape == want.shape
            np.testing.assert_array_equal(got, want)
    out, want = np.asarray(out), DATA[f"{case}.y"]
    assert out.shape == want.shape and out.dtype == want.dtype
    if want.dtype == np.uint8:
        np.testing.assert_array_equal(out, want)
    else:
        np.testing.assert_allclose(out, want, rtol=1e-6, atol=2e-4)


@pytest.mark.parametrize("case", CASES)
def test_config_matches_keras_and_round_trips(case):
    spec = _spec(case)
    assert_config_matches_keras_and_round_trips(getattr(layers, spec["class_name"]), spec["kwargs"], spec["config"])


def test_shear_with_fixed_amounts_gives_one_of_keras_two_signs():
    x = np.concatenate([DATA["shear_signs.x"]] * 8)
    plus, minus = DATA["shear_signs.plus"], DATA["shear_signs.minus"]
    layer = layers.RandomShear(x_factor=(0.25, 0.25), y_factor=(0.25, 0.25), seed=3)
    out = np.asarray(layer(x))
    signs = []
    for i, image in enumerate(out):
        if np.allclose(image, plus[i % 2], atol=2e-4):
            signs.append(1)
        else:
            np.testing.assert_allclose(image, minus[i % 2], atol=2e-4)
            signs.append(-1)
    assert set(signs) == {1, -1}


def test_keras_saved_model_loads_and_predicts_like_keras(tmp_path):
    model = kerasette.saving.load_model(os.path.join(HERE, "model_extra.keras"))
    assert [type(layer).__name__ for layer in model.layers[1:]] == [
        "RandomShear", "RandomColorDegeneration", "ContrastLimitedAdaptiveHistogramEqualization",
        "MaxNumBoundingBoxes"]
    shear = model.layers[1]
    assert shear.x_factor == (-0.2, 0.2) and shear.y_factor == (0.1, 0.3) and shear.seed == 3
    assert shear.fill_mode == "constant"
    assert model.layers[3].tile_grid_size == (2, 3) and model.layers[4].max_number == 7
    x = DATA["model_extra.x"]
    predicted = model.predict(x, verbose=0)
    # the random layers are the identity in predict; CLAHE acts
    np.testing.assert_allclose(predicted, DATA["model_extra.predict"], rtol=1e-6, atol=2e-4)
    assert np.abs(predicted - x).max() > 1.0
    path = str(tmp_path / "again.keras")
    model.save(path)
    np.testing.assert_allclose(kerasette.saving.load_model(path).predict(x, verbose=0), predicted, atol=1e-5)


def _every_layer():
    return [layers.RandomShear(0.3, (0.1, 0.4), fill_mode="constant", fill_value=3.0, seed=1),
            layers.RandomColorDegeneration(0.5, seed=2),
            CLAHE(tile_grid_size=(2, 3), clip_limit=2.5, value_range=(0, 255)),
            layers.MaxNumBoundingBoxes(max_number=4, fill_value=-2, bounding_box_format="xyxy")]


def test_model_of_every_layer_saves_and_loads(tmp_path):
    inputs = kerasette.Input((8, 9, 3))
    x = inputs
    for layer in _every_layer():
        x = layer(x)
    model = kerasette.Model(inputs, x)
    images = _images()
    predicted = model.predict(images, verbose=0)
    np.testing.assert_allclose(predicted, CLAHE(tile_grid_size=(2, 3), clip_limit=2.5)(images), atol=1e-4)
    loaded = save_and_reload(model, str(tmp_path / "extra.keras"))
    assert [type(layer).__name__ for layer in loaded.layers] == [type(layer).__name__ for layer in model.layers]
    assert loaded.layers[4].fill_value == -2 and loaded.layers[1].fill_value == 3.0
    np.testing.assert_allclose(loaded.predict(images, verbose=0), predicted, atol=1e-5)


# ------------------------------------------------------------------ training, seeds, graphs

@pytest.mark.parametrize("index", [0, 1])
def test_training_false_is_identity(index):
    assert_training_false_is_identity(_every_layer()[index], _images())


def test_clahe_and_max_boxes_act_whatever_training_is():
    images = _images()
    clahe = CLAHE(tile_grid_size=(2, 2))
    np.testing.assert_array_equal(clahe(images, training=False), clahe(images, training=True))
    assert np.abs(np.asarray(clahe(images, training=False)) - images).max() > 1.0
    layer = layers.MaxNumBoundingBoxes(3, bounding_box_format="xyxy")
    data = {"images": images, "bounding_boxes": {"boxes": np.ones((8, 1, 4), "float32"),
                                                 "labels": np.ones((8, 1), "int32")}}
    assert np.asarray(layer(data, training=False)["bounding_boxes"]["labels"]).shape == (8, 3)


@pytest.mark.parametrize("index", [0, 1])
def test_seed_repeats_and_calls_differ(index):
    assert_seed_repeats_and_calls_differ(_every_layer()[index], _every_layer()[index], _images(16))


def test_shear_amounts_within_bounds_with_one_sign_per_image():
    layer = layers.RandomShear(x_factor=(0.1, 0.3), y_factor=(0.2, 0.5), seed=4)
    shear = np.asarray(layer.get_random_transformation(_images(400, 2, 2))["shear_factor"])
    assert shear.shape == (400, 2)
    assert (np.abs(shear[:, 0]) >= 0.1 - 1e-6).all() and (np.abs(shear[:, 0]) <= 0.3 + 1e-6).all()
    assert (np.abs(shear[:, 1]) >= 0.2 - 1e-6).all() and (np.abs(shear[:, 1]) <= 0.5 + 1e-6).all()
    assert (np.sign(shear[:, 0]) == np.sign(shear[:, 1])).all()
    assert 0.35 < (shear[:, 0] > 0).mean() < 0.65
    assert layer.get_random_transformation(_images(2), training=False) is None
    number = np.asarray(layers.RandomShear(0.4, seed=2).get_random_transformation(_images(400, 2, 2))["shear_factor"])
    assert np.abs(number[:, 0]).max() <= 0.4 + 1e-6 and np.abs(number[:, 0]).max() > 0.3
    np.testing.assert_array_equal(number[:, 1], 0.0)


def test_shear_moves_rows_by_their_index():
    image = np.arange(5 * 6, dtype="float32").reshape(1, 5, 6, 1)
    layer = layers.RandomShear(1.0, fill_mode="constant", fill_value=-1.0, interpolation="nearest")
    out = np.asarray(layer.transform_images(image, {"shear_factor": np.array([[1.0, 0.0]], "float32")}))[0, ..., 0]
    for row in range(5):  # output (row, col) reads input (row, col + row)
        expected = [image[0, row, col + row, 0] if col + row < 6 else -1.0 for col in range(6)]
        np.testing.assert_array_equal(out[row], expected)


def test_shear_dict_input_moves_masks_with_images():
    images = np.round(_images(4))
    masks = images[..., :1].astype("int32")
    layer = layers.RandomShear(0.5, 0.5, interpolation="nearest", seed=9)
    out = layer({"images": images, "segmentation_masks": masks, "labels": np.arange(4)})
    assert out["segmentation_masks"].dtype == np.int32
    np.testing.assert_array_equal(out["segmentation_masks"], np.asarray(out["images"])[..., :1])
    same = layer({"images": images, "segmentation_masks": masks}, training=False)
    np.testing.assert_array_equal(same["segmentation_masks"], masks)
    assert np.abs(np.asarray(out["images"]) - images).max() > 1.0
    np.testing.assert_array_equal(out["labels"], np.arange(4))
    single = layer(images[0])
    assert single.shape == images[0].shape


def test_shear_unknown_image_size_in_a_model():
    inputs = kerasette.Input((None, None, 3))
    model = kerasette.Model(inputs, layers.RandomShear(0.3, seed=1)(inputs))
    images = _images(2, 5, 7)
    np.testing.assert_array_equal(model.predict(images, verbose=0), images)


@pytest.mark.parametrize("make", [lambda: layers.RandomShear(0.5, 0.5, seed=1),
                                  lambda: layers.RandomColorDegeneration((0.2, 1.0), seed=1)],
                         ids=["shear", "degeneration"])
def test_in_a_compiled_model(make):
    images = _images(8)
    images[:, :, :4] *= 0.1  # a dark left side, so shears change the mean
    assert_fit_draws_afresh(make(), images)


# ------------------------------------------------------------------ CLAHE behaviour

def test_clahe_one_tile_without_clipping_is_histogram_equalization():
    images = np.round(_images(3, 7, 5))
    out = np.asarray(CLAHE(tile_grid_size=(1, 1), clip_limit=0)(images))
    for b in range(3):
        for c in range(3):
            values = images[b, ..., c].astype(int)
            cdf = np.cumsum(np.bincount(values.ravel(), minlength=256))
            table = 255.0 * (cdf - cdf[0]) / (values.size - cdf[0])
            np.testing.assert_allclose(out[b, ..., c], table[values], atol=1e-3)


def test_clahe_raises_contrast_and_stays_in_range():
    dull = _images(2, 16, 16, low=100, high=130, seed=3)
    out = np.asarray(CLAHE(tile_grid_size=(2, 2))(dull))
    assert out.min() >= 0.0 and out.max() <= 255.0
    assert out.std() > 3 * dull.std()
    unit = np.asarray(CLAHE(value_range=(0, 1), clip_limit=2.0)(dull / 255.0))
    assert unit.min() >= 0.0 and unit.max() <= 1.0
    # a stricter clip limit amplifies less, none (0) the most
    spreads = [np.asarray(CLAHE(tile_grid_size=(2, 2), clip_limit=limit)(dull)).std() for limit in (1.0, 4.0, 0)]
    assert spreads[0] < out.std() == spreads[1] < spreads[2]


def test_clahe_keeps_integer_dtypes_and_casts_floats():
    images = np.round(_images(2)).astype("uint8")
    out = CLAHE(tile_grid_size=(2, 2))(images)
    assert out.dtype == np.uint8
    np.testing.assert_array_equal(out, np.asarray(CLAHE(tile_grid_size=(2, 2))(images.astype("float32"))).astype(
        "uint8"))
    assert CLAHE()(images.astype("float64")).dtype == np.float32


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_clahe_with_run_time_image_sizes_equals_eager(data_format):
    layer = CLAHE(tile_grid_size=(3, 4), clip_limit=2.0, data_format=data_format)
    shape = (None, None, 3) if data_format == "channels_last" else (3, None, None)
    inputs = kerasette.Input(shape)
    model = kerasette.Model(inputs, layer(inputs))
    for height, width in ((8, 9), (12, 12), (3, 2)):
        images = _images(2, height, width, seed=height)
        if data_format == "channels_first":
            images = np.transpose(images, (0, 3, 1, 2))
        np.testing.assert_allclose(model.predict(images, verbose=0), layer(images), atol=1e-4)
    case = "clahe_pad"  # Keras' numbers through the run-time-size graph
    keras_layer = CLAHE(**_spec(case)["kwargs"])
    inputs = kerasette.Input((None, None, 3))
    model = kerasette.Model(inputs, keras_layer(inputs))
    np.testing.assert_allclose(model.predict(DATA[f"{case}.x"], verbose=0), DATA[f"{case}.y"], atol=2e-4)


def test_clahe_needs_known_channels():
    with pytest.raises(ValueError, match="channels"):
        CLAHE(data_format="channels_first")(kerasette.Input((None, None, None)))


# ------------------------------------------------------------------ MaxNumBoundingBoxes behaviour

def test_max_boxes_keeps_other_entries_and_dtypes():
    images = np.round(_images(2)).astype("uint8")
    masks = np.zeros((2, 8, 9, 1), "int32")
    boxes = {"boxes": np.arange(2 * 5 * 4, dtype="float64").reshape(2, 5, 4),
             "labels": np.arange(10, dtype="int64").reshape(2, 5), "scores": np.ones((2, 5))}
    layer = layers.MaxNumBoundingBoxes(3, bounding_box_format="yxyx")
    out = layer({"images": images, "labels": np.array([0, 1]), "segmentation_masks": masks,
                 "bounding_boxes": boxes})
    assert out["images"].dtype == np.uint8
    np.testing.assert_array_equal(out["images"], images)
    np.testing.assert_array_equal(out["segmentation_masks"], masks)
    np.testing.assert_array_equal(out["labels"], [0, 1])
    assert out["bounding_boxes"]["boxes"].dtype == np.float64 and out["bounding_boxes"]["labels"].dtype == np.int64
    np.testing.assert_array_equal(out["bounding_boxes"]["boxes"], boxes["boxes"][:, :3])
    np.testing.assert_array_equal(out["bounding_boxes"]["labels"], boxes["labels"][:, :3])
    assert out["bounding_boxes"]["scores"] is boxes["scores"]
    np.testing.assert_array_equal(layer(images), images)  # a plain image tensor passes


def test_max_boxes_pads_zero_boxes_and_shapes():
    layer = layers.MaxNumBoundingBoxes(2, fill_value=-7, bounding_box_format="xyxy")
    out = layer({"images": np.zeros((3, 4, 4, 3), "float32"),
                 "bounding_boxes": {"boxes": np.zeros((3, 0, 4), "float32"), "labels": np.zeros((3, 0), "int32")}})
    np.testing.assert_array_equal(out["bounding_boxes"]["boxes"], np.full((3, 2, 4), -7.0))
    np.testing.assert_array_equal(out["bounding_boxes"]["labels"], np.full((3, 2), -7))
    shapes = layer.compute_output_shape({"images": (None, 4, 4, 3),
                                         "bounding_boxes": {"boxes": (None, 9, 4), "labels": (None, 9)}})
    assert shapes["bounding_boxes"] == {"boxes": (None, 2, 4), "labels": (None, 2)}
    assert layer.compute_output_shape((None, 4, 4, 3)) == (None, 4, 4, 3)


@pytest.mark.parametrize("count", [5, None])
def test_max_boxes_in_a_functional_model(count):
    images, boxes = kerasette.Input((4, 4, 3)), kerasette.Input((count, 4))
    labels = kerasette.Input((count,), dtype="int32")
    out = layers.MaxNumBoundingBoxes(3, bounding_box_format="xyxy")(
        {"images": images, "bounding_boxes": {"boxes": boxes, "labels": labels}})
    assert tuple(out["bounding_boxes"]["boxes"].shape) == (None, 3, 4)
    assert tuple(out["bounding_boxes"]["labels"].shape) == (None, 3)
    model = kerasette.Model([images, boxes, labels], [out["bounding_boxes"]["boxes"], out["bounding_boxes"]["labels"]])
    eager = layers.MaxNumBoundingBoxes(3, bounding_box_format="xyxy")
    for n in ([5] if count else [0, 2, 5]):
        data = [np.zeros((2, 4, 4, 3), "float32"), np.arange(2 * n * 4, dtype="float32").reshape(2, n, 4),
                np.arange(2 * n, dtype="int32").reshape(2, n)]
        got_boxes, got_labels = model.predict(data, verbose=0)
        want = eager({"images": data[0], "bounding_boxes": {"boxes": data[1], "labels": data[2]}})["bounding_boxes"]
        np.testing.assert_array_equal(got_boxes, want["boxes"])
        np.testing.assert_array_equal(got_labels, want["labels"])
        assert (got_labels[:, n:] == -1).all() and got_labels.dtype == np.int32


@pytest.mark.parametrize("data, match", [
    ({"images": np.zeros((1, 4, 4, 3)), "bounding_boxes": {"boxes": np.zeros((1, 2, 4))}}, "'labels'"),
    ({"images": np.zeros((1, 4, 4, 3)), "bounding_boxes": {"boxes": np.zeros((2, 4)), "labels": np.zeros((1, 2))}},
     r"\(batch, num_boxes, 4\)"),
    ({"images": np.zeros((1, 4, 4, 3)), "bounding_boxes": {"boxes": np.zeros((1, 2, 5)), "labels": np.zeros((1, 2))}},
     r"\(batch, num_boxes, 4\)"),
    ({"images": np.zeros((4, 4, 3)), "bounding_boxes": {"boxes": np.zeros((1, 2, 4)), "labels": np.zeros((2,))}},
     r"one image"),
    ({"images": np.zeros((4, 3)), "bounding_boxes": {"boxes": np.zeros((2, 4)), "labels": np.zeros((2,))}}, "rank"),
    ({"bounding_boxes": {"boxes": np.zeros((2, 4)), "labels": np.zeros((2,))}}, "'images'"),
])
def test_max_boxes_bad_inputs(data, match):
    with pytest.raises(ValueError, match=match):
        layers.MaxNumBoundingBoxes(3, bounding_box_format="xyxy")(data)


def test_max_boxes_needs_a_box_format_and_shear_refuses_boxes():
    data = {"images": np.zeros((1, 4, 4, 3)), "bounding_boxes": {"boxes": np.zeros((1, 2, 4)),
                                                                 "labels": np.zeros((1, 2))}}
    with pytest.raises(ValueError, match="bounding_box_format"):
        layers.MaxNumBoundingBoxes(3)(data)
    with pytest.raises(NotImplementedError, match="bounding boxes"):
        layers.RandomShear(0.2, bounding_box_format="xyxy")(data)


# ------------------------------------------------------------------ errors

@pytest.mark.parametrize("make, argument, error", [
    (lambda: layers.RandomShear(1.5), "x_factor", ValueError),
    (lambda: layers.RandomShear(-0.1), "x_factor", ValueError),
    (lambda: layers.RandomShear(0.1, (0.1, 0.2, 0.3)), "y_factor", ValueError),
    (lambda: layers.RandomShear(0.1, (0.1, 1.2)), "y_factor", ValueError),
    (lambda: layers.RandomShear("a"), "x_factor", ValueError),
    (lambda: layers.RandomShear(0.1, fill_value="red"), "fill_value", ValueError),
    (lambda: layers.RandomShear(0.1, seed="x"), "seed", ValueError),
    (lambda: layers.RandomShear(0.1, fill_mode="mirror"), "fill_mode", NotImplementedError),
    (lambda: layers.RandomShear(0.1, interpolation="bicubic"), "interpolation", NotImplementedError),
    (lambda: CLAHE(clip_limit="a"), "clip_limit", ValueError),
    (lambda: CLAHE(tile_grid_size=(0, 2)), "tile_grid_size", ValueError),
    (lambda: CLAHE(tile_grid_size=8), "tile_grid_size", ValueError),
    (lambda: CLAHE(tile_grid_size=(2.5, 2)), "tile_grid_size", ValueError),
    (lambda: CLAHE(value_range=(1,)), "value_range", ValueError),
    (lambda: layers.MaxNumBoundingBoxes(0), "max_number", ValueError),
    (lambda: layers.MaxNumBoundingBoxes(2.5), "max_number", ValueError),
    (lambda: layers.MaxNumBoundingBoxes("a"), "max_number", ValueError),
    (lambda: layers.MaxNumBoundingBoxes(3, fill_value=0.5), "fill_value", ValueError),
])
def test_bad_argument_is_named(make, argument, error):
    with pytest.raises(error, match=argument):
        make()


def test_docstring_examples():
    assert_docstring_examples("extra", EXTRA)
