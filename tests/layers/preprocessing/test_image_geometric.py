"""Geometric image preprocessing layers: Keras 3 numbers, randomness, training, configs and saving.

The deterministic cases come from tests/fixtures/keras_image_geometric.npz,
made by real Keras 3 (JAX) with tests/fixtures/make_image_geometric_fixtures.py.
"""
import json
import os

import numpy as np
import pytest

import kerasette
from kerasette import layers

from ._image_helpers import (FIXTURES, assert_docstring_examples, assert_fit_draws_afresh,
                             assert_seed_repeats_and_calls_differ, load_npz)

FIXTURE = os.path.join(FIXTURES, "keras_image_geometric.npz")
GEOMETRIC = ["Resizing", "CenterCrop", "RandomCrop", "RandomFlip", "RandomRotation", "RandomZoom",
             "RandomTranslation", "RandomPerspective", "RandomElasticTransform", "Pipeline"]


DATA = load_npz(FIXTURE)
CASES = sorted(key[:-5] for key in DATA if key.endswith(".spec"))


def _images(count=16, height=8, width=10, channels=3, seed=0):
    return np.random.default_rng(seed).uniform(0, 1, (count, height, width, channels)).astype("float32")


def test_names_exported():
    from kerasette.layers.preprocessing.image import geometric
    assert sorted(geometric.__all__) == sorted(GEOMETRIC)
    for name in GEOMETRIC:
        assert getattr(layers, name) is getattr(geometric, name)


# ------------------------------------------------------------------ Keras' numbers

def test_fixture_has_every_family():
    classes = {json.loads(str(DATA[f"{name}.spec"]))["class"] for name in CASES}
    assert {"Resizing", "CenterCrop", "RandomCrop", "RandomRotation", "RandomZoom", "RandomTranslation",
            "RandomPerspective", "RandomFlip", "RandomElasticTransform"} <= classes
    assert len(CASES) >= 50


@pytest.mark.parametrize("name", CASES)
def test_matches_keras(name):
    spec = json.loads(str(DATA[f"{name}.spec"]))
    layer = getattr(layers, spec["class"])(**spec["kwargs"])
    images = DATA[f"input.{spec['input']}"]
    if spec["transformation"] is not None:
        transformation = {key: np.asarray(value, dtype=bool if key.startswith("apply") else "float32")
                          for key, value in spec["transformation"].items()}
        out = layer.transform_images(images, transformation, training=True)
    else:
        out = layer(images, training=spec["training"])
    expected = DATA[f"{name}.out"]
    out = np.asarray(out)
    assert out.shape == expected.shape
    assert out.dtype == expected.dtype
    np.testing.assert_allclose(out.astype("float64"), expected.astype("float64"), rtol=1e-5, atol=2e-6)


@pytest.mark.parametrize("name", CASES)
def test_config_matches_keras(name):
    spec = json.loads(str(DATA[f"{name}.spec"]))
    expected = json.loads(str(DATA[f"{name}.config"]))
    config = getattr(layers, spec["class"])(**spec["kwargs"]).get_config()
    assert set(config) == set(expected)
    for key in set(expected) - {"name", "dtype"}:
        assert json.loads(json.dumps(config[key])) == expected[key], key


# ------------------------------------------------------------------ deterministic layers

def test_resizing_output_shape_and_graph():
    layer = layers.Resizing(5, 7)
    assert layer.compute_output_shape((None, 8, 10, 3)) == (None, 5, 7, 3)
    assert layers.Resizing(5, 7, data_format="channels_first").compute_output_shape((2, 3, 8, 10)) == (2, 3, 5, 7)
    inputs = kerasette.Input((8, 10, 3))
    model = kerasette.Model(inputs, layer(inputs))
    assert model.output_shape == (None, 5, 7, 3)
    images = _images(4)
    # deterministic layers resize in inference too
    np.testing.assert_allclose(model.predict(images, verbose=0), layer(images), atol=1e-6)


def test_center_crop_is_the_middle():
    images = _images(2, 8, 10)
    np.testing.assert_array_equal(layers.CenterCrop(4, 6)(images), images[:, 2:6, 2:8])
    np.testing.assert_array_equal(layers.CenterCrop(4, 6)(images, training=False), images[:, 2:6, 2:8])


# ------------------------------------------------------------------ randomness

def test_flip_gives_input_or_mirror_about_half_each():
    images = _images(400, 4, 5)
    layer = layers.RandomFlip("horizontal", seed=7)
    out = layer(images)
    same = np.array([np.array_equal(o, x) for o, x in zip(out, images)])
    mirrored = np.array([np.array_equal(o, x[:, ::-1]) for o, x in zip(out, images)])
    assert np.all(same ^ mirrored)
    assert 0.4 < same.mean() < 0.6
    vertical = layers.RandomFlip("vertical", seed=1)(images)
    assert all(np.array_equal(o, x) or np.array_equal(o, x[::-1]) for o, x in zip(vertical, images))
    both = layers.RandomFlip(seed=2)(images)
    assert all(np.array_equal(o, x) or np.array_equal(o, x[::-1, ::-1]) for o, x in zip(both, images))


def test_flip_single_image_and_fresh_draws():
    image = _images(1, 4, 5)[0]
    layer = layers.RandomFlip("horizontal", seed=3)
    outs = [layer(image) for _ in range(40)]
    assert outs[0].shape == image.shape
    flipped = [np.array_equal(o, image[:, ::-1]) for o in outs]
    assert 5 < sum(flipped) < 35


@pytest.mark.parametrize("make", [
    lambda seed: layers.RandomFlip(seed=seed),
    lambda seed: layers.RandomRotation(0.3, seed=seed),
    lambda seed: layers.RandomZoom(0.3, 0.2, seed=seed),
    lambda seed: layers.RandomTranslation(0.2, 0.3, seed=seed),
    lambda seed: layers.RandomCrop(5, 6, seed=seed),
    lambda seed: layers.RandomPerspective(seed=seed),
    lambda seed: layers.RandomElasticTransform(seed=seed, value_range=(0, 1)),
], ids=["flip", "rotation", "zoom", "translation", "crop", "perspective", "elastic"])
def test_seed_reproducible_and_inference_identity(make):
    images = _images(6)
    first, second = make(11), make(11)
    a1 = assert_seed_repeats_and_calls_differ(first, second, images)          # each call draws afresh
    assert not np.array_equal(a1, make(12)(images))
    np.testing.assert_array_equal(first(images, training=False), images)


def test_rotation_bounded_by_factor():
    # a bright patch right of the centre: the centroid of its rotated image stays within the angle range
    image = np.zeros((1, 21, 21, 1), "float32")
    image[0, 9:12, 16:19] = 1.0
    layer = layers.RandomRotation((0.0, 0.125), fill_mode="constant", seed=5)
    rows, cols = np.mgrid[0:21, 0:21]
    angles = []
    for _ in range(60):
        out = np.asarray(layer(image))[0, ..., 0]
        assert out.sum() > 4
        row, col = (out * rows).sum() / out.sum(), (out * cols).sum() / out.sum()
        # counter-clockwise as seen on screen (rows grow downwards)
        angles.append(np.degrees(np.arctan2(10 - row, col - 10)))
    angles = np.array(angles)
    assert angles.min() > -2 and angles.max() < 45 + 2
    assert angles.max() - angles.min() > 20


def test_zoom_bounded_by_factor():
    # a horizontal ramp: zooming about the centre by z scales its slope by z
    ramp = np.tile(np.arange(21, dtype="float32"), (21, 1))[None, ..., None]
    layer = layers.RandomZoom((-0.5, 0.5), fill_mode="constant", seed=2)
    slopes = []
    for _ in range(60):
        out = np.asarray(layer(ramp))[0, 10, :, 0]
        slopes.append(out[11] - out[9])
    slopes = np.array(slopes) / 2
    assert slopes.min() >= 0.5 - 1e-4 and slopes.max() <= 1.5 + 1e-4
    assert slopes.max() - slopes.min() > 0.5


def test_translation_bounded_by_factor():
    ramp = np.tile(np.arange(20, dtype="float32")[:, None], (1, 20))[None, ..., None]
    layer = layers.RandomTranslation((-0.25, 0.25), 0.0, fill_mode="nearest", seed=4)
    shifts = []
    for _ in range(60):
        out = np.asarray(layer(ramp))[0, :, 5, 0]
        shifts.append(out[10] - 10)      # the row read at row 10
        np.testing.assert_allclose(np.asarray(layer(ramp, training=False)), ramp)
    shifts = -np.array(shifts)
    assert shifts.min() >= -5 - 1e-4 and shifts.max() <= 5 + 1e-4
    assert shifts.max() - shifts.min() > 4


def test_random_crop_windows_come_from_the_image():
    image = np.arange(8 * 10, dtype="float32").reshape(1, 8, 10, 1)
    layer = layers.RandomCrop(3, 4, seed=9)
    starts = set()
    for _ in range(50):
        out = np.asarray(layer(image))[0, ..., 0]
        top, left = divmod(int(out[0, 0]), 10)
        np.testing.assert_array_equal(out, image[0, top:top + 3, left:left + 4, 0])
        starts.add((top, left))
    assert len(starts) > 10
    assert all(0 <= t <= 5 and 0 <= left <= 6 for t, left in starts)


def test_perspective_factor_zero_and_scale_zero_keep_images():
    images = _images(4)
    np.testing.assert_allclose(layers.RandomPerspective(factor=0.0, seed=1)(images), images)
    np.testing.assert_allclose(layers.RandomPerspective(scale=0.0, seed=1)(images), images, atol=1e-5)


def test_elastic_transform_statistics():
    images = _images(8, 16, 16) * 255
    out = np.asarray(layers.RandomElasticTransform(factor=(1.0, 1.0), scale=(1.0, 1.0), seed=3)(images))
    assert out.shape == images.shape
    assert out.min() >= 0 and out.max() <= 255
    assert np.abs(out - images).mean() > 1.0
    np.testing.assert_array_equal(layers.RandomElasticTransform(factor=0.0, seed=3)(images), images)
    clipped = layers.RandomElasticTransform(factor=0.0, value_range=(0, 100), seed=3)(images)
    np.testing.assert_array_equal(clipped, images)     # factor 0: not transformed, so not clipped (as Keras)


# ------------------------------------------------------------------ models

@pytest.mark.parametrize("make", [
    lambda: layers.RandomRotation(0.2, seed=1),
    lambda: layers.RandomZoom(0.3, seed=1),
    lambda: layers.RandomTranslation(0.2, 0.2, seed=1),
    lambda: layers.RandomPerspective(seed=1),
    lambda: layers.RandomElasticTransform(seed=1, value_range=(0, 1)),
    lambda: layers.RandomCrop(5, 6, seed=1),
], ids=["rotation", "zoom", "translation", "perspective", "elastic", "crop"])
def test_in_a_compiled_model(make):
    augment = make()
    # predict runs with training=False: the identity (RandomCrop's output has another size)
    assert_fit_draws_afresh(augment, _images(8), decimals=6,
                            predict_is_identity=not isinstance(augment, layers.RandomCrop))


def test_pipeline_applies_in_order_and_passes_training():
    images = _images(4)
    pipe = layers.Pipeline([layers.RandomFlip("horizontal", seed=0), layers.CenterCrop(4, 4),
                            layers.Resizing(2, 3)])
    out = pipe(images)
    assert out.shape == (4, 2, 3, 3)
    assert pipe.compute_output_shape((None, 8, 10, 3)) == (None, 2, 3, 3)
    expected = layers.Resizing(2, 3)(layers.CenterCrop(4, 4)(images))
    np.testing.assert_allclose(pipe(images, training=False), expected, atol=1e-6)
    config = pipe.get_config()
    assert [entry["class_name"] for entry in config["layers"]] == ["RandomFlip", "CenterCrop", "Resizing"]
    again = layers.Pipeline.from_config(config)
    assert [type(layer).__name__ for layer in again.layers] == ["RandomFlip", "CenterCrop", "Resizing"]
    np.testing.assert_allclose(again(images, training=False), expected, atol=1e-6)


# ------------------------------------------------------------------ configs and saving

ALL = [
    lambda: layers.Resizing(4, 5, interpolation="bicubic", pad_to_aspect_ratio=True, fill_value=0.5),
    lambda: layers.CenterCrop(4, 4),
    lambda: layers.RandomCrop(4, 5, seed=3),
    lambda: layers.RandomFlip("vertical", seed=3),
    lambda: layers.RandomRotation((-0.2, 0.1), fill_mode="constant", fill_value=0.5, seed=3),
    lambda: layers.RandomZoom(0.2, (-0.1, 0.3), interpolation="nearest", seed=3),
    lambda: layers.RandomTranslation(0.1, 0.2, fill_mode="wrap", seed=3),
    lambda: layers.RandomPerspective(0.5, scale=0.4, seed=3),
    lambda: layers.RandomElasticTransform(0.5, scale=0.3, value_range=(0, 1), seed=3),
    lambda: layers.Pipeline([layers.RandomFlip(seed=1), layers.Resizing(4, 4)]),
]


@pytest.mark.parametrize("make", ALL, ids=[f"layer{i}" for i in range(len(ALL))])
def test_config_round_trip(make):
    layer = make()
    config = layer.get_config()
    again = type(layer).from_config(config)
    assert again.get_config() == config
    assert json.loads(json.dumps(config)) is not None
    images = _images(3)
    np.testing.assert_allclose(again(images, training=False), layer(images, training=False), atol=1e-6)


@pytest.mark.parametrize("extension", [".keras", ".h5"])
def test_saved_model_loads_back(tmp_path, extension):
    inputs = kerasette.Input((8, 10, 3))
    x = layers.RandomFlip(seed=1)(inputs)
    x = layers.RandomRotation(0.1, seed=2)(x)
    x = layers.RandomZoom(0.1, seed=3)(x)
    x = layers.RandomTranslation(0.1, 0.1, seed=4)(x)
    x = layers.RandomPerspective(0.5, seed=5)(x)
    x = layers.RandomElasticTransform(0.5, value_range=(0, 1), seed=6)(x)
    x = layers.Pipeline([layers.CenterCrop(6, 8), layers.Resizing(4, 4)])(x)
    outputs = layers.Dense(2)(layers.Flatten()(x))
    model = kerasette.Model(inputs, outputs)
    images = _images(3)
    expected = model.predict(images, verbose=0)
    path = str(tmp_path / f"model{extension}")
    model.save(path)
    loaded = kerasette.saving.load_model(path)
    assert [type(layer).__name__ for layer in loaded.layers] == [type(layer).__name__ for layer in model.layers]
    np.testing.assert_allclose(loaded.predict(images, verbose=0), expected, atol=1e-5)
    rotation = [layer for layer in loaded.layers if isinstance(layer, layers.RandomRotation)][0]
    assert rotation.factor == (-0.1, 0.1) and rotation.seed == 2


# ------------------------------------------------------------------ errors

@pytest.mark.parametrize("make, words", [
    (lambda: layers.RandomFlip("diagonal"), ["mode", "diagonal"]),
    (lambda: layers.RandomRotation(1.5), ["factor", "1.5"]),
    (lambda: layers.RandomRotation("big"), ["factor", "big"]),
    (lambda: layers.RandomZoom(-1.0), ["height_factor", "-1.0"]),
    (lambda: layers.RandomZoom(0.2, width_factor=(0.1, 2.0)), ["width_factor"]),
    (lambda: layers.RandomTranslation(0.1, 1.2), ["width_factor", "1.2"]),
    (lambda: layers.RandomPerspective(scale=2.0), ["scale", "2.0"]),
    (lambda: layers.RandomElasticTransform(value_range=(1, 0)), ["value_range"]),
    (lambda: layers.Resizing(0, 4), ["height", "0"]),
    (lambda: layers.Resizing(4, 4, interpolation="cubic"), ["interpolation", "cubic"]),
    (lambda: layers.Resizing(4, 4, crop_to_aspect_ratio=True, pad_to_aspect_ratio=True), ["pad_to_aspect_ratio"]),
    (lambda: layers.CenterCrop(4, 2.5), ["width", "2.5"]),
    (lambda: layers.RandomCrop(4, 4, seed="x"), ["seed"]),
    (lambda: layers.RandomFlip(data_format="channels_middle"), ["data_format"]),
    (lambda: layers.Pipeline("flip"), ["layers"]),
])
def test_bad_arguments_are_named(make, words):
    with pytest.raises(ValueError) as error:
        make()
    for word in words:
        assert word in str(error.value)


@pytest.mark.parametrize("make, words", [
    (lambda: layers.RandomRotation(0.1, fill_mode="mirror"), ["fill_mode", "mirror"]),
    (lambda: layers.RandomZoom(0.1, interpolation="bicubic"), ["interpolation", "bicubic"]),
    (lambda: layers.RandomElasticTransform(fill_mode="edge"), ["fill_mode", "edge"]),
])
def test_unsupported_modes_are_named(make, words):
    with pytest.raises(NotImplementedError) as error:
        make()
    for word in words:
        assert word in str(error.value)


def test_bad_rank_is_named():
    with pytest.raises(ValueError, match="rank 3.*rank 4|data.shape"):
        layers.RandomFlip()(np.zeros((4, 4), "float32"))


def test_dict_inputs_move_masks_with_images():
    images = _images(6, 4, 5)
    masks = (images[..., :1] > 0.5).astype("float32")
    labels = np.arange(6)
    out = layers.RandomFlip("horizontal", seed=3)({"images": images, "segmentation_masks": masks, "labels": labels})
    np.testing.assert_array_equal(out["labels"], labels)
    for image, mask, x, m in zip(out["images"], out["segmentation_masks"], images, masks):
        if np.array_equal(image, x):
            np.testing.assert_array_equal(mask, m)
        else:
            np.testing.assert_array_equal(image, x[:, ::-1])
            np.testing.assert_array_equal(mask, m[:, ::-1])
    single = layers.Resizing(2, 2)({"images": images[0], "labels": labels[:1]})
    assert single["images"].shape == (2, 2, 3)
    with pytest.raises(ValueError, match="bounding_box_format"):
        layers.RandomFlip()({"images": images, "bounding_boxes": {"boxes": np.zeros((6, 1, 4))}})


def test_channels_first_random_layers_in_a_model():
    images = np.transpose(_images(4), (0, 3, 1, 2))
    inputs = kerasette.Input((3, 8, 10))
    x = layers.RandomRotation(0.2, data_format="channels_first", seed=1)(inputs)
    x = layers.RandomZoom(0.2, data_format="channels_first", seed=1)(x)
    x = layers.RandomFlip(data_format="channels_first", seed=1)(x)
    x = layers.RandomPerspective(data_format="channels_first", seed=1)(x)
    x = layers.RandomElasticTransform(data_format="channels_first", value_range=(0, 1), seed=1)(x)
    outputs = layers.RandomCrop(4, 5, data_format="channels_first", seed=1)(x)
    model = kerasette.Model(inputs, outputs)
    assert model.output_shape == (None, 3, 4, 5)
    augmented = np.asarray(model(images, training=True))
    assert augmented.shape == (4, 3, 4, 5)
    np.testing.assert_array_equal(model.predict(images, verbose=0), images)


def test_integer_images_are_cast_to_the_compute_dtype():
    images = (np.arange(2 * 6 * 6 * 3) % 256).astype("uint8").reshape(2, 6, 6, 3)
    out = layers.RandomRotation(0.2, seed=0)(images)
    assert out.dtype == np.float32
    assert layers.Resizing(3, 3)(images).dtype == np.uint8


@pytest.mark.parametrize("module", ["geometric", "geometric_affine", "geometric_warp"])
def test_docstring_examples(module):
    assert_docstring_examples(module, GEOMETRIC, Input=kerasette.Input)


def test_loads_a_keras_saved_model():
    """A .keras file written by real Keras 3 with every geometric layer loads and predicts the same."""
    path = os.path.join(os.path.dirname(FIXTURE), "keras_image_geometric_model.keras")
    model = kerasette.saving.load_model(path)
    names = [type(layer).__name__ for layer in model.layers]
    assert names == ["InputLayer", "RandomFlip", "RandomRotation", "RandomZoom", "RandomTranslation",
                     "RandomPerspective", "RandomElasticTransform", "Pipeline", "RandomCrop", "Resizing",
                     "Flatten", "Dense"]
    np.testing.assert_allclose(model.predict(DATA["model.input"], verbose=0), DATA["model.predict"],
                               rtol=1e-5, atol=1e-5)
    pipeline = model.layers[7]
    assert [type(layer).__name__ for layer in pipeline.layers] == ["CenterCrop", "Resizing"]
    assert model.layers[2].factor == (-0.1, 0.1) and model.layers[2].seed == 2


@pytest.mark.parametrize("make", [
    lambda: layers.RandomRotation((0.1, 0.1), fill_mode="constant"),
    lambda: layers.RandomZoom((0.3, 0.3), (-0.2, -0.2)),
    lambda: layers.RandomTranslation((0.2, 0.2), (-0.1, -0.1), fill_mode="wrap"),
    lambda: layers.CenterCrop(4, 6),
    lambda: layers.Resizing(5, 4),
], ids=["rotation", "zoom", "translation", "center_crop", "resizing"])
def test_unknown_image_sizes_in_a_graph(make):
    """``Input((None, None, 3))``: sizes known only at run time give the eager numbers."""
    images = _images(3)
    layer = make()
    inputs = kerasette.Input((None, None, 3))
    model = kerasette.Model(inputs, layer(inputs))
    np.testing.assert_allclose(np.asarray(model(images, training=True)), np.asarray(layer(images)), atol=1e-5)


def test_unknown_image_sizes_random_warps_run():
    images = _images(3)
    for layer in (layers.RandomPerspective(seed=1), layers.RandomElasticTransform(value_range=(0, 1), seed=1),
                  layers.RandomFlip(seed=1)):
        inputs = kerasette.Input((None, None, 3))
        model = kerasette.Model(inputs, layer(inputs))
        out = np.asarray(model(images, training=True))
        assert out.shape == images.shape and not np.array_equal(out, images)
        np.testing.assert_array_equal(model.predict(images, verbose=0), images)
    with pytest.raises(ValueError, match="fully defined height and width"):
        layers.RandomCrop(4, 4)(kerasette.Input((None, None, 3)))


@pytest.mark.parametrize("sigma", [0.4, 0.9, 1.3, 2.2])
def test_elastic_blur_is_keras_gaussian_blur(sigma):
    """The run-time-sigma blur matrices equal a zero-padded Gaussian blur of ``int(6 sigma) | 1`` taps."""
    from kerasette import ops
    field = np.random.default_rng(1).normal(size=(1, 12, 15, 1)).astype("float32")
    size = int(6 * sigma) | 1
    expected = np.asarray(ops.image.gaussian_blur(field, (size, size), (sigma, sigma)))[0, ..., 0]
    blur = layers.RandomElasticTransform._blur_matrix
    taps = np.arange(-11, 12, dtype="float32")
    rows, cols = np.asarray(blur(12, np.float32(sigma), taps)), np.asarray(blur(15, np.float32(sigma), taps))
    np.testing.assert_allclose(rows @ field[0, ..., 0] @ cols.T, expected, atol=1e-5)


@pytest.mark.parametrize("fill_mode", ["constant", "nearest", "wrap", "mirror", "reflect"])
@pytest.mark.parametrize("interpolation", ["nearest", "bilinear"])
def test_sampling_matches_map_coordinates(fill_mode, interpolation):
    """The layers' per-pixel gather equals ops.image.map_coordinates (scipy's fill rules), far outside too."""
    from kerasette import ops
    from kerasette.layers.preprocessing.image.geometric_affine import sample
    rng = np.random.default_rng(3)
    images = rng.uniform(0, 1, (2, 5, 7, 3)).astype("float32")
    rows = rng.uniform(-12, 17, (2, 5, 7)).astype("float32")
    cols = rng.uniform(-15, 22, (2, 5, 7)).astype("float32")
    rows[0, 0, :3] = [-1.5, 2.5, 4.0]            # halves and whole numbers
    target = images.shape
    grid_b = np.broadcast_to(np.arange(2, dtype="float32").reshape(-1, 1, 1, 1), target)
    grid_c = np.broadcast_to(np.arange(3, dtype="float32").reshape(1, 1, 1, -1), target)
    coordinates = np.stack([grid_b, np.broadcast_to(rows[..., None], target),
                            np.broadcast_to(cols[..., None], target), grid_c])
    expected = ops.image.map_coordinates(images, coordinates, {"nearest": 0, "bilinear": 1}[interpolation],
                                         fill_mode, 0.75)
    out = sample(images, rows, cols, interpolation, fill_mode, 0.75)
    np.testing.assert_allclose(np.asarray(out), np.asarray(expected), atol=2e-6)


def test_random_crop_keeps_its_drawn_seed_in_the_config():
    layer = layers.RandomCrop(3, 3)
    assert isinstance(layer.get_config()["seed"], int)
    images = _images(1, 8, 8, 1)
    first = layers.RandomCrop.from_config(layer.get_config())
    second = layers.RandomCrop.from_config(layer.get_config())
    np.testing.assert_array_equal(first(images), second(images))
