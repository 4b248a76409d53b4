"""image/text/audio_dataset_from_directory and timeseries_dataset_from_array
against real Keras 3's batches (tests/fixtures/make_data_utils_fixtures.py),
plus what kerasette promises beyond them: fit takes the datasets directly,
shuffling is seeded per epoch, bad folders and files give clear errors."""
import os

import numpy as np
import pytest

pytest.importorskip("PIL", reason="the image tests need Pillow: pip install kerasette[image]")

import kerasette  # noqa: E402
from kerasette import utils  # noqa: E402
from tests.fixtures.make_data_utils_fixtures import make_audio_tree, make_image_tree, make_text_tree  # noqa: E402

FIXTURES = np.load(os.path.join(os.path.dirname(__file__), "..", "fixtures", "data_utils", "keras3_data.npz"))


def _collect(dataset):
    xs, ys = [], []
    for x, y in dataset:
        xs.append(np.asarray(x))
        ys.append(np.asarray(y))
    return np.concatenate(xs), np.concatenate(ys)


@pytest.fixture(scope="module")
def images(tmp_path_factory):
    return make_image_tree(str(tmp_path_factory.mktemp("images")))


@pytest.mark.parametrize("name,kwargs,atol", [
    ("rgb_bilinear", dict(image_size=(6, 8)), 1e-3),
    ("grey_nearest", dict(image_size=(5, 5), color_mode="grayscale", interpolation="nearest"), 0),
    ("rgba_categorical", dict(image_size=(4, 6), color_mode="rgba", label_mode="categorical"), 1e-3),
    ("crop", dict(image_size=(6, 6), crop_to_aspect_ratio=True), 1e-3),
    ("pad", dict(image_size=(6, 6), pad_to_aspect_ratio=True), 1e-3),
    # TF's bicubic weighs the borders a little differently from Keras 3's own ops.image.resize,
    # which kerasette follows exactly (tests/ops): within 0.15 on the 0-255 scale
    ("binary", dict(image_size=(3, 3), label_mode="binary", interpolation="bicubic"), 0.15),
])
def test_image_dataset_matches_keras_3(images, name, kwargs, atol):
    dataset = utils.image_dataset_from_directory(images, batch_size=3, shuffle=False, verbose=False, **kwargs)
    assert dataset.class_names == ["cats", "dogs"]
    assert [os.path.relpath(p, images) for p in dataset.file_paths] == list(FIXTURES[f"image_{name}_paths"])
    x, y = _collect(dataset)
    expected_x = FIXTURES[f"image_{name}_x"]
    assert x.dtype == expected_x.dtype and x.shape == expected_x.shape   # uint8 for "nearest", as in Keras
    np.testing.assert_allclose(x, expected_x, atol=atol, rtol=1e-5)
    np.testing.assert_array_equal(y, FIXTURES[f"image_{name}_y"])
    assert y.dtype == FIXTURES[f"image_{name}_y"].dtype


def test_image_split_with_seed_takes_keras_3s_files(images, capsys):
    train, val = utils.image_dataset_from_directory(images, batch_size=2, image_size=(4, 4), seed=1337,
                                                    validation_split=0.3, subset="both")
    assert [os.path.relpath(p, images) for p in train.file_paths] == list(FIXTURES["image_split_train_paths"])
    assert [os.path.relpath(p, images) for p in val.file_paths] == list(FIXTURES["image_split_val_paths"])
    np.testing.assert_array_equal(_collect(val)[1], FIXTURES["image_split_val_y"])
    printed = capsys.readouterr().out
    assert "Found 7 files belonging to 2 classes." in printed and "Using 5 files for training." in printed
    only_val = utils.image_dataset_from_directory(images, image_size=(4, 4), seed=1337, validation_split=0.3,
                                                  subset="validation", verbose=False)
    assert only_val.file_paths == val.file_paths


def test_shuffle_is_seeded_per_epoch_and_fit_takes_the_dataset(images):
    first = utils.image_dataset_from_directory(images, batch_size=7, image_size=(4, 4), seed=3, verbose=False)
    again = utils.image_dataset_from_directory(images, batch_size=7, image_size=(4, 4), seed=3, verbose=False)
    epoch_1 = [y.tolist() for _, y in first]
    assert epoch_1 == [y.tolist() for _, y in again]
    epoch_2 = [y.tolist() for _, y in first]       # a new order each epoch, same samples
    assert sorted(epoch_1[0]) == sorted(epoch_2[0])
    kerasette.utils.set_random_seed(0)
    model = kerasette.Sequential([kerasette.Input((4, 4, 3)), kerasette.layers.Rescaling(1 / 255),
                                  kerasette.layers.Flatten(), kerasette.layers.Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    dataset = utils.image_dataset_from_directory(images, batch_size=3, image_size=(4, 4), seed=1, verbose=False,
                                                 workers=2)
    history = model.fit(dataset, epochs=2, verbose=0, validation_data=dataset.take(1))
    assert len(history.history["loss"]) == 2 and "val_accuracy" in history.history
    assert model.predict(dataset.map(lambda x, y: x), verbose=0).shape == (7, 2)
    samples = list(dataset.unbatch())
    assert len(samples) == 7 and samples[0][0].shape == (4, 4, 3)


def test_text_and_audio_datasets_match_keras_3(tmp_path):
    texts = make_text_tree(str(tmp_path / "texts"))
    x, y = _collect(utils.text_dataset_from_directory(texts, batch_size=4, shuffle=False, max_length=12,
                                                      verbose=False))
    assert list(x) == list(FIXTURES["text_x"])
    np.testing.assert_array_equal(y, FIXTURES["text_y"])
    audio = make_audio_tree(str(tmp_path / "audio"))
    batches = list(utils.audio_dataset_from_directory(audio, batch_size=2, shuffle=False, verbose=False))
    for index, (clips, _) in enumerate(batches):
        np.testing.assert_allclose(clips, FIXTURES[f"audio_padded_{index}"], rtol=0, atol=1e-7)
    np.testing.assert_array_equal(np.concatenate([b[1] for b in batches]), FIXTURES["audio_y"])
    fixed, _ = _collect(utils.audio_dataset_from_directory(audio, batch_size=4, shuffle=False,
                                                           output_sequence_length=30, verbose=False))
    np.testing.assert_allclose(fixed, FIXTURES["audio_fixed_x"], atol=1e-7)


@pytest.mark.parametrize("name,kwargs", [
    ("plain", dict(sequence_length=5, batch_size=7)),
    ("strided", dict(sequence_length=4, sequence_stride=3, sampling_rate=2, batch_size=4, start_index=3,
                     end_index=45)),
])
def test_timeseries_windows_match_keras_3(name, kwargs):
    series = np.arange(100, dtype="float32").reshape(50, 2)
    targets = np.arange(50, dtype="int32") * 10
    x, y = _collect(utils.timeseries_dataset_from_array(series, targets, **kwargs))
    np.testing.assert_array_equal(x, FIXTURES[f"series_{name}_x"])
    np.testing.assert_array_equal(y, FIXTURES[f"series_{name}_y"])
    shuffled = utils.timeseries_dataset_from_array(series, targets, shuffle=True, seed=5, **kwargs)
    sx, sy = _collect(shuffled)
    assert sorted(sy.tolist()) == sorted(y.tolist()) and sy.tolist() != y.tolist()
    np.testing.assert_array_equal(sx[:, 0, 0] / 2, sy / 10)    # each window still starts at its target


def test_bad_folders_files_and_arguments_give_clear_errors(tmp_path, images):
    empty = tmp_path / "empty"
    (empty / "a").mkdir(parents=True)
    with pytest.raises(ValueError, match="No images found in directory"):
        utils.image_dataset_from_directory(empty, verbose=False)
    with pytest.raises(ValueError, match="does not exist"):
        utils.image_dataset_from_directory(tmp_path / "nowhere", verbose=False)
    broken = tmp_path / "broken" / "cls"
    broken.mkdir(parents=True)
    good = open(os.path.join(images, "cats", "img_0.png"), "rb").read()
    (broken / "a.png").write_bytes(good)
    (broken / "b.png").write_bytes(good[:60])          # truncated
    dataset = utils.image_dataset_from_directory(broken.parent, image_size=(4, 4), shuffle=False, verbose=False,
                                                 batch_size=1)
    assert dataset[0][0].shape == (1, 4, 4, 3)
    with pytest.raises(ValueError, match="Cannot read the image file .*b.png"):
        dataset[1]
    with pytest.raises(ValueError, match="Expected the lengths of `labels` to match"):
        utils.image_dataset_from_directory(images, labels=[0, 1], verbose=False)
    with pytest.raises(ValueError, match="you must provide a `seed`"):
        utils.image_dataset_from_directory(images, validation_split=0.2, subset="training", verbose=False)
    with pytest.raises(ValueError, match="exactly 2 class_names"):
        utils.image_dataset_from_directory(images, label_mode="binary", class_names=["cats"], verbose=False)
    with pytest.raises(ValueError, match="color_mode"):
        utils.image_dataset_from_directory(images, color_mode="cmyk", verbose=False)
    with pytest.raises(ValueError, match="`sequence_stride` must be higher than 0"):
        utils.timeseries_dataset_from_array(np.zeros(10), None, 3, sequence_stride=0)


def test_image_file_helpers_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, size=(5, 7, 3)).astype("float32")
    utils.save_img(tmp_path / "p.png", pixels, scale=False)
    img = utils.load_img(tmp_path / "p.png")
    assert img.size == (7, 5)
    np.testing.assert_array_equal(utils.img_to_array(img), pixels)
    assert utils.img_to_array(img, data_format="channels_first").shape == (3, 5, 7)
    grey = utils.load_img(tmp_path / "p.png", color_mode="grayscale", target_size=(3, 4))
    assert utils.img_to_array(grey).shape == (3, 4, 1)
    scaled = utils.img_to_array(utils.array_to_img(pixels * 0.01))
    assert scaled.min() == 0 and scaled.max() == 255
    assert utils.pack_x_y_sample_weight(pixels) is pixels
    assert utils.unpack_x_y_sample_weight([1, 2, 3]) == (1, 2, 3)
    with pytest.raises(ValueError, match="Data is expected to be in format"):
        utils.unpack_x_y_sample_weight((1, 2, 3, 4))
