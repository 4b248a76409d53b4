"""Loading a ``PyDataset``'s batches in parallel, in order, ahead of the training loop.

``PyDataset(workers=N, use_multiprocessing=..., max_queue_size=...)`` asks for
it, as in Keras 3: with ``workers > 1`` (or ``use_multiprocessing=True``) the
batches of a pass are fetched by N threads (or N processes) while the model
trains on earlier ones, at most ``max_queue_size`` ahead, and handed out in
index order, so training sees exactly what a plain loop would.

What the loop can count on:

* a worker's exception is raised again in the main process, at the batch it
  belongs to, with the worker's traceback (threads keep the exception
  object; processes send it back and ``concurrent.futures`` attaches the
  remote traceback as its cause);
* ``close()`` (the loop calls it when an epoch ends early, when ``fit``
  returns or raises, or the generator is dropped) cancels what has not
  started, waits for what has, and leaves no worker running;
* processes get a fresh copy of the dataset for each pass (Keras 3 restarts
  its pool per epoch too), so what ``on_epoch_end`` changes in the main
  process, a reshuffle, reaches them. They are forked where the platform
  can (the dataset's class may be defined anywhere, a test included), else
  spawned (the class must then be importable).
"""
from __future__ import annotations

import collections
import concurrent.futures
import multiprocessing
import sys

__all__ = ["wants_parallel", "ordered_batches"]


def wants_parallel(dataset) -> bool:
    """Keras 3's rule: parallel when ``workers > 1``, or ``workers > 0`` with
    ``use_multiprocessing``."""
    workers = getattr(dataset, "workers", 1) or 0
    return workers > 1 or (workers > 0 and bool(getattr(dataset, "use_multiprocessing", False)))


# ------------------------------------------------------------ processes
_WORKER_DATASET = None


def _install_dataset(dataset) -> None:
    global _WORKER_DATASET
    _WORKER_DATASET = dataset


def _fetch_in_worker(index):
    return _WORKER_DATASET[index]


def _process_context():
    if sys.platform != "win32" and "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


class _Pass:
    """One pass over ``indices``: a pool, a window of futures, in order."""

    def __init__(self, dataset, indices, workers, use_multiprocessing, max_queue_size):
        self.dataset = dataset
        self.indices = iter(indices)
        self.window = max(1, int(max_queue_size or 1), int(workers))
        self.pending = collections.deque()
        if use_multiprocessing:
            self.pool = concurrent.futures.ProcessPoolExecutor(
                max_workers=workers, mp_context=_process_context(),
                initializer=_install_dataset, initargs=(dataset,))
            self.fetch = _fetch_in_worker
        else:
            self.pool = concurrent.futures.ThreadPoolExecutor(max_workers=workers,
                                                              thread_name_prefix="kerasette-data")
            self.fetch = dataset.__getitem__
        self.closed = False

    def _fill(self):
        while len(self.pending) < self.window:
            index = next(self.indices, None)
            if index is None:
                return
            self.pending.append(self.pool.submit(self.fetch, index))

    def next_batch(self):
        self._fill()
        if not self.pending:
            raise StopIteration
        future = self.pending.popleft()
        try:
            batch = future.result()
        except BaseException:
            self.close()
            raise
        self._fill()
        return batch

    def close(self):
        if self.closed:
            return
        self.closed = True
        for future in self.pending:
            future.cancel()
        self.pending.clear()
        self.pool.shutdown(wait=True, cancel_futures=True)


def ordered_batches(dataset, indices=None, workers=None, use_multiprocessing=None, max_queue_size=None):
    """Yield ``dataset[i]`` for ``i`` in ``indices`` (default: every index), fetched
    in parallel as the dataset's ``workers``/``use_multiprocessing``/
    ``max_queue_size`` ask, in order. Closing the generator stops the workers.

    >>> class Squares(PyDataset):
    ...     def __len__(self): return 4
    ...     def __getitem__(self, i): return np.full((2, 1), i * i)
    >>> [int(b[0, 0]) for b in ordered_batches(Squares(workers=2))]
    [0, 1, 4, 9]
    """
    workers = getattr(dataset, "workers", 1) if workers is None else workers
    use_multiprocessing = (getattr(dataset, "use_multiprocessing", False) if use_multiprocessing is None
                           else use_multiprocessing)
    max_queue_size = getattr(dataset, "max_queue_size", 10) if max_queue_size is None else max_queue_size
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers must be a positive integer, got {workers!r}")
    if indices is None:
        indices = range(len(dataset))
    one_pass = _Pass(dataset, indices, workers, bool(use_multiprocessing), max_queue_size)
    try:
        while True:
            try:
                batch = one_pass.next_batch()
            except StopIteration:
                return
            yield batch
    finally:
        one_pass.close()
