"""to_categorical, normalize, split_dataset and Sequence, against Keras' behaviour."""
import math

import numpy as np
import pytest

from kerasette.utils.data_utils import PyDataset, Sequence, normalize, split_dataset, to_categorical


def test_to_categorical_shapes_values_dtype():
    encoded = to_categorical([0, 2, 1, 2])
    assert encoded.dtype == np.float32 and encoded.shape == (4, 3)
    np.testing.assert_array_equal(encoded.argmax(axis=1), [0, 2, 1, 2])
    assert encoded.sum() == 4
    column = to_categorical(np.array([[3], [1]]), num_classes=5)  # CIFAR-style (n, 1) labels
    assert column.shape == (2, 5) and column[0, 3] == 1 and column[1, 1] == 1
    grid = to_categorical(np.array([[0, 1], [1, 0]]), dtype="int32")
    assert grid.shape == (2, 2, 2) and grid.dtype == np.int32 and grid[0, 1].tolist() == [0, 1]


def test_to_categorical_rejects_bad_labels():
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        to_categorical([0, 3], num_classes=3)
    with pytest.raises(ValueError, match="integer"):
        to_categorical([0.5, 1.0])


def test_normalize():
    x = np.array([[3.0, 4.0], [0.0, 0.0], [1.0, -1.0]])
    out = normalize(x)
    np.testing.assert_allclose(out, [[0.6, 0.8], [0, 0], [2 ** -0.5, -(2 ** -0.5)]])
    np.testing.assert_allclose(normalize(x, axis=0, order=1)[:, 0], [0.75, 0, 0.25])
    assert np.array_equal(x[0], [3.0, 4.0])  # a copy, the input is untouched
    with pytest.raises(ValueError, match="order"):
        normalize(x, order=0)


def test_split_dataset_sizes_and_structures():
    x, y = np.arange(10), np.arange(10) * 10
    (x_left, y_left), (x_right, y_right) = split_dataset((x, y), left_size=0.8)
    assert x_left.tolist() == list(range(8)) and y_right.tolist() == [80, 90]
    left, right = split_dataset(x, right_size=3)
    assert left.tolist() == list(range(7)) and right.tolist() == [7, 8, 9]
    left, right = split_dataset(x, left_size=2, right_size=3)  # the middle is left out, as in Keras
    assert left.tolist() == [0, 1] and right.tolist() == [7, 8, 9]
    left, right = split_dataset({"a": x, "b": y}, left_size=5, shuffle=True, seed=1)
    assert set(left) == {"a", "b"} and np.array_equal(left["a"] * 10, left["b"])
    assert sorted(left["a"].tolist() + right["a"].tolist()) == list(range(10))
    assert left["a"].tolist() != list(range(5))
    again, _ = split_dataset({"a": x, "b": y}, left_size=5, shuffle=True, seed=1)
    assert np.array_equal(again["a"], left["a"])
    listed = split_dataset([x, y], left_size=0.5)
    assert isinstance(listed[0], list) and len(listed[0][1]) == 5


@pytest.mark.parametrize("left, right, error", [
    (None, None, ValueError), (1.5, None, ValueError), (10, None, ValueError),
    (6, 6, ValueError), ("5", None, TypeError), (0.01, None, ValueError),
])
def test_split_dataset_rejects_bad_sizes(left, right, error):
    with pytest.raises(error):
        split_dataset(np.arange(10), left_size=left, right_size=right)


def test_split_dataset_rejects_mismatched_arrays():
    with pytest.raises(ValueError, match="different numbers"):
        split_dataset((np.arange(4), np.arange(5)), left_size=2)


class Squares(Sequence):
    def __init__(self, count, batch_size, **kwargs):
        super().__init__(**kwargs)
        self.x = np.arange(count, dtype="float32")[:, None]
        self.batch_size = batch_size
        self.epochs_ended = 0

    def __len__(self):
        return math.ceil(len(self.x) / self.batch_size)

    def __getitem__(self, index):
        part = self.x[index * self.batch_size:(index + 1) * self.batch_size]
        return part, part ** 2

    def on_epoch_end(self):
        self.epochs_ended += 1


def test_sequence_protocol():
    data = Squares(10, 4, workers=2)
    assert len(data) == data.num_batches == 3 and data.workers == 2
    batches = list(data)
    assert [len(x) for x, _ in batches] == [4, 4, 2]
    assert batches[2][1][:, 0].tolist() == [64.0, 81.0]
    assert PyDataset is Sequence

    class Bare(Sequence):
        pass

    with pytest.raises(NotImplementedError, match="__len__"):
        len(Bare())
    with pytest.raises(NotImplementedError, match="__getitem__"):
        Bare()[0]


def test_sequence_trains_a_model_through_fit():
    import kerasette
    from kerasette import layers

    kerasette.utils.set_random_seed(0)
    model = kerasette.Sequential([layers.Input((1,)), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    data = Squares(8, 4)
    history = model.fit(data, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2 and np.isfinite(history.history["loss"]).all()
    assert data.epochs_ended >= 1
