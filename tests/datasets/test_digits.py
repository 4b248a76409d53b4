"""The embedded UCI digits: complete, Keras-shaped, split the same way every time."""
import os

import numpy as np
import pytest

from kerasette.datasets import digits

UCI_COUNTS = [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]


def test_embedded_file_is_small_and_complete():
    assert os.path.getsize(digits.DATA_PATH) < 110_000
    with np.load(digits.DATA_PATH, allow_pickle=False) as arrays:
        images, labels = arrays["images"], arrays["labels"]
    assert images.shape == (1797, 8, 8) and images.dtype == np.uint8
    assert labels.shape == (1797,) and labels.dtype == np.uint8
    assert np.bincount(labels).tolist() == UCI_COUNTS
    assert images.min() == 0 and images.max() == 16
    # a real digit, not noise: the mean image is brighter in the middle columns than at the edges
    mean = images.mean(axis=0)
    assert mean[:, 3:5].mean() > 2 * mean[:, [0, 7]].mean()


def test_default_split_shapes_dtypes_and_coverage():
    (x_train, y_train), (x_test, y_test) = digits.load_data()
    assert x_train.shape == (1437, 8, 8) and x_test.shape == (360, 8, 8)
    assert y_train.shape == (1437,) and y_test.shape == (360,)
    assert x_train.dtype == x_test.dtype == y_train.dtype == np.uint8
    counts = np.bincount(np.concatenate([y_train, y_test]), minlength=10)
    assert counts.tolist() == UCI_COUNTS  # every sample lands in exactly one part
    assert set(np.unique(y_test).tolist()) == set(range(10))
    all_images = np.concatenate([x_train, x_test]).reshape(1797, -1)
    with np.load(digits.DATA_PATH) as arrays:
        original = arrays["images"].reshape(1797, -1)
    assert sorted(map(bytes, all_images)) == sorted(map(bytes, original))


def test_split_is_deterministic_and_follows_seed_and_fraction():
    (a_train, a_labels), (a_test, _) = digits.load_data()
    (b_train, b_labels), (b_test, _) = digits.load_data()
    np.testing.assert_array_equal(a_train, b_train)
    np.testing.assert_array_equal(a_labels, b_labels)
    np.testing.assert_array_equal(a_test, b_test)
    order = np.arange(1797)
    np.random.RandomState(113).shuffle(order)
    with np.load(digits.DATA_PATH) as arrays:
        np.testing.assert_array_equal(a_labels, arrays["labels"][order[:1437]])
    (c_train, _), _ = digits.load_data(seed=7)
    assert not np.array_equal(c_train, a_train)
    (d_train, _), (d_test, _) = digits.load_data(test_split=0.5)
    assert (len(d_train), len(d_test)) == (898, 899)
    with pytest.raises(ValueError, match="test_split"):
        digits.load_data(test_split=1.5)
