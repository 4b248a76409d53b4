"""PyDataset(workers=..., use_multiprocessing=...): batches loaded in parallel,
in order, errors raised in the main process, and no worker left behind."""
import multiprocessing
import threading
import time
import traceback

import numpy as np
import pytest

import kerasette
from kerasette.utils import PyDataset
from kerasette.utils.prefetch import ordered_batches, wants_parallel


class Numbered(PyDataset):
    """Batch i holds the samples of ``order[i*4:(i+1)*4]``; later batches come back faster."""

    def __init__(self, n=40, fail_at=None, delay=0.0, **kwargs):
        super().__init__(**kwargs)
        rng = np.random.default_rng(0)
        self.x = rng.standard_normal((n, 3)).astype("float32")
        self.y = (self.x.sum(axis=1, keepdims=True) > 0).astype("float32")
        self.order = np.arange(n)
        self.fail_at, self.delay = fail_at, delay
        self.epochs_ended = 0

    def __len__(self):
        return len(self.x) // 4

    def __getitem__(self, index):
        if index == self.fail_at:
            raise RuntimeError(f"cannot decode batch {index}")
        if self.delay:
            time.sleep(self.delay * (len(self) - index) / len(self))
        pick = self.order[index * 4:(index + 1) * 4]
        return self.x[pick], self.y[pick]

    def on_epoch_end(self):
        self.epochs_ended += 1
        self.order = np.random.default_rng(self.epochs_ended).permutation(len(self.x))


def _data_threads():
    return [t for t in threading.enumerate() if t.name.startswith("kerasette-data")]


def test_wants_parallel_follows_keras_3():
    assert not wants_parallel(Numbered())
    assert wants_parallel(Numbered(workers=2))
    assert wants_parallel(Numbered(workers=1, use_multiprocessing=True))
    assert not wants_parallel(Numbered(workers=0, use_multiprocessing=True))


@pytest.mark.parametrize("processes", [False, True])
def test_batches_come_in_index_order(processes):
    data = Numbered(delay=0.02, workers=3, use_multiprocessing=processes, max_queue_size=5)
    got = list(ordered_batches(data))
    assert len(got) == 10
    for index, (x, y) in enumerate(got):
        np.testing.assert_array_equal(x, data.x[index * 4:(index + 1) * 4])
    assert not _data_threads() and not multiprocessing.active_children()


def test_a_thread_workers_error_is_raised_in_the_main_process_with_its_traceback():
    data = Numbered(fail_at=3, workers=2)
    seen = []
    with pytest.raises(RuntimeError, match="cannot decode batch 3") as caught:
        for batch in ordered_batches(data):
            seen.append(batch)
    assert len(seen) == 3
    frames = [frame.name for frame in traceback.extract_tb(caught.value.__traceback__)]
    assert "__getitem__" in frames
    assert not _data_threads()


def test_a_process_workers_error_is_raised_with_the_remote_traceback():
    data = Numbered(fail_at=2, workers=2, use_multiprocessing=True)
    with pytest.raises(RuntimeError, match="cannot decode batch 2") as caught:
        list(ordered_batches(data))
    assert "__getitem__" in str(caught.value.__cause__)
    assert not multiprocessing.active_children()


def _model():
    kerasette.utils.set_random_seed(0)
    model = kerasette.Sequential([kerasette.Input((3,)), kerasette.layers.Dense(4, activation="relu"),
                                  kerasette.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    return model


@pytest.mark.parametrize("workers,processes", [(2, False), (2, True)])
def test_fit_in_parallel_trains_exactly_as_one_worker(workers, processes):
    reference = _model()
    serial = Numbered()
    reference_history = reference.fit(serial, epochs=3, verbose=0)
    model = _model()
    parallel = Numbered(workers=workers, use_multiprocessing=processes)
    history = model.fit(parallel, epochs=3, verbose=0, validation_data=Numbered(workers=2))
    for got, want in zip(model.get_weights(), reference.get_weights()):
        np.testing.assert_array_equal(got, want)
    assert history.history["loss"] == reference_history.history["loss"]
    assert parallel.epochs_ended == 3         # each epoch's reshuffle reached the worker processes too
    np.testing.assert_array_equal(model.predict(Numbered(workers=2), verbose=0),
                                  reference.predict(Numbered(), verbose=0))
    assert not _data_threads() and not multiprocessing.active_children()


def test_no_worker_is_left_when_fit_raises_or_stops_early():
    model = _model()
    with pytest.raises(RuntimeError, match="cannot decode batch 7"):
        model.fit(Numbered(fail_at=7, workers=2), epochs=2, verbose=0)
    assert not _data_threads()

    class StopAtBatch2(kerasette.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch == 2:
                self.model.stop_training = True

    model.fit(Numbered(workers=2, use_multiprocessing=True, delay=0.01), epochs=3, verbose=0,
              callbacks=[StopAtBatch2()])
    assert not multiprocessing.active_children()
    model.fit(Numbered(workers=2), epochs=2, steps_per_epoch=3, verbose=0)   # epochs end mid-pass
    assert not _data_threads()
    with pytest.raises(ValueError, match="workers must be a positive integer"):
        list(ordered_batches(Numbered(), workers=0))
