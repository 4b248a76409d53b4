"""``BackupAndRestore``: resume an interrupted ``fit`` where it stopped.

Keras 3's callback, file for file: ``backup_dir/latest.weights.h5`` (the
model's weights and the optimizer's state, Keras 3's ``.weights.h5`` layout)
and ``backup_dir/training_metadata.json`` (``{"epoch": ..., "batch": ...}``),
with ``.bkp`` copies of the previous pair when ``double_checkpoint=True``.

Keras 3 restarts an interrupted run at the start of the epoch it was in.
kerasette goes further: the metadata also records how many batches of that
epoch were done and the state of the shared random generator (at the epoch's
start, which fixes its shuffle order, and at the save, which fixes dropout's
draws from then on). ``fit`` then replays the epoch's order, skips the batches
already trained, and goes on; weights and optimizer state come out identical
to a run that was never interrupted. The logs of that one resumed epoch
cover only the batches trained after the restart.

A metadata file written by Keras 3 (no batch count, no generator state)
resumes at its epoch, as Keras does.

Under data-parallel training over several processes (``kerasette.distribution``)
rank 0 alone writes the backup and reads it back; the restored epoch and resume
point reach the other ranks by a broadcast, the weights and optimizer state by
the broadcast that starts every data-parallel ``fit``, so ``backup_dir`` need not
be on a file system the ranks share.  With ``DataParallel(sharded_update=True)``
the optimizer's slots are gathered to rank 0 before each save.
"""
from __future__ import annotations

import json
import os
import shutil

from .. import backend
from .callback import Callback

__all__ = ["BackupAndRestore"]


class BackupAndRestore(Callback):
    """Back the training state up to ``backup_dir`` and restore it when ``fit``
    starts again after an interruption.

    ``save_freq`` is ``"epoch"`` (at each epoch's end) or an integer number of
    batches. ``delete_checkpoint=True`` removes the backup when training ends
    normally, so the next ``fit`` starts afresh.

    >>> callback = BackupAndRestore(backup_dir="/tmp/backup", save_freq=10)
    >>> # model.fit(x, y, epochs=5, callbacks=[callback])  # killed? run it again
    """

    def __init__(self, backup_dir, save_freq="epoch", double_checkpoint=False, delete_checkpoint=True):
        super().__init__()
        if not backup_dir:
            raise ValueError("Empty `backup_dir` argument passed")
        if save_freq != "epoch" and (isinstance(save_freq, bool) or not isinstance(save_freq, int)
                                     or save_freq < 1):
            raise ValueError(f"Invalid value for argument `save_freq`. Received: save_freq={save_freq!r}. "
                             "Expected either 'epoch' or a positive integer value.")
        self.backup_dir = os.fspath(backup_dir)
        self.save_freq = save_freq
        self.double_checkpoint = double_checkpoint
        self.delete_checkpoint = delete_checkpoint
        self._weights_path = os.path.join(self.backup_dir, "latest.weights.h5")
        self._training_metadata_path = os.path.join(self.backup_dir, "training_metadata.json")
        self._prev_weights_path = self._weights_path + ".bkp"
        self._prev_training_metadata_path = self._training_metadata_path + ".bkp"
        self._current_epoch = 0
        self._steps_done = 0
        self._last_batch_seen = 0
        self._batches_seen_since_last_saving = 0
        self._epoch_rng_state = None

    # ------------------------------------------------------------ restore
    @staticmethod
    def _rank():
        """``(rank, size)`` under data-parallel training over several processes, else None."""
        from ..distribution import mesh
        world = mesh.data_parallel_world()
        return None if world is None else world[:2]

    def on_train_begin(self, logs=None):
        world = self._rank()
        if world is None:
            return self._restore()
        from ..distribution import mpi
        restored = None
        if world[0] == 0:
            self._restore()
            restored = {"epoch": self._current_epoch, "steps_done": self._steps_done,
                        "resume": getattr(self.model, "_resume_point", None)}
        restored = mpi.broadcast(restored)
        if world[0] != 0:     # rank 0's weights and optimizer reach this rank at the first step
            self._current_epoch = self.model._initial_epoch = restored["epoch"]
            self._steps_done = restored["steps_done"]
            self._last_batch_seen = self._steps_done - 1 if self._steps_done else 0
            self.model._resume_point = restored["resume"]
            if not restored["epoch"] and not restored["steps_done"]:
                self.model._initial_epoch = None

    def _restore(self):
        try:
            self._load_model()
        except (OSError, ValueError):
            # the latest pair is damaged (a kill mid-write; kerasette's weight-file
            # errors are ValueErrors): fall back on the previous one
            if not os.path.exists(self._prev_weights_path):
                raise
            shutil.copyfile(self._prev_weights_path, self._weights_path)
            if os.path.exists(self._prev_training_metadata_path):
                shutil.copyfile(self._prev_training_metadata_path, self._training_metadata_path)
            elif os.path.exists(self._training_metadata_path):
                os.remove(self._training_metadata_path)
            self._load_model()

    def _load_model(self):
        model = self.model
        if not getattr(model, "built", True):
            raise ValueError("To use the BackupAndRestore callback, your model must be built before you call "
                             f"`fit()`. Model {model.name!r} is unbuilt. You can build it beforehand by calling "
                             "it on a batch of data.")
        if os.path.exists(self._weights_path):
            optimizer = getattr(model, "optimizer", None)
            if optimizer is not None and not optimizer.built:
                optimizer.build(model.trainable_variables)
            model.load_weights(self._weights_path)
        if not os.path.exists(self._training_metadata_path):
            return
        with open(self._training_metadata_path, "r", encoding="utf-8") as handle:
            try:
                metadata = json.load(handle)
            except ValueError as error:
                raise OSError(f"BackupAndRestore: {self._training_metadata_path} is damaged: {error}") from None
        epoch = int(metadata["epoch"])
        self._current_epoch = epoch
        model._initial_epoch = epoch
        steps_done = int(metadata.get("steps_done", 0))
        if steps_done and metadata.get("epoch_rng_state") is not None:
            model._resume_point = {"epoch": epoch, "steps_done": steps_done,
                                   "epoch_rng_state": metadata["epoch_rng_state"],
                                   "rng_state": metadata["rng_state"]}
            self._steps_done = steps_done
            self._last_batch_seen = steps_done - 1

    # --------------------------------------------------------------- save
    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch
        # the shuffle order of this epoch is drawn from the generator as it is now
        self._epoch_rng_state = backend.rng().bit_generator.state

    def on_train_batch_end(self, batch, logs=None):
        self._steps_done = batch + 1
        if self._should_save_on_batch(batch):
            self._save_model()

    def on_epoch_end(self, epoch, logs=None):
        self._current_epoch = epoch + 1
        self._steps_done = 0
        self._last_batch_seen = 0
        if self.save_freq == "epoch":
            self._save_model()

    def _should_save_on_batch(self, batch) -> bool:
        if self.save_freq == "epoch":
            return False
        if batch <= self._last_batch_seen:   # a new epoch began
            added = batch + 1
        else:
            added = batch - self._last_batch_seen
        self._batches_seen_since_last_saving += added
        self._last_batch_seen = batch
        if self._batches_seen_since_last_saving >= self.save_freq:
            self._batches_seen_since_last_saving = 0
            return True
        return False

    def _save_model(self):
        world = self._rank()
        if world is not None:
            replicas = getattr(self.model, "_replicas", None)
            if replicas is not None:    # a collective on every rank: a sharded update's slots to rank 0
                replicas.gather_optimizer_state()
            if world[0] != 0:
                return
        os.makedirs(self.backup_dir, exist_ok=True)
        if self.double_checkpoint:
            for latest, previous in ((self._weights_path, self._prev_weights_path),
                                     (self._training_metadata_path, self._prev_training_metadata_path)):
                if os.path.exists(latest):
                    shutil.copyfile(latest, previous)
        self.model.save_weights(self._weights_path, overwrite=True)
        metadata = {"epoch": self._current_epoch, "batch": self._last_batch_seen,
                    "steps_done": self._steps_done}
        if self._steps_done:
            metadata["epoch_rng_state"] = self._epoch_rng_state
            metadata["rng_state"] = backend.rng().bit_generator.state
        # written whole to a side file, then renamed: a kill never leaves half a JSON file
        partial = self._training_metadata_path + ".partial"
        with open(partial, "w", encoding="utf-8") as handle:
            json.dump(metadata, handle)
        os.replace(partial, self._training_metadata_path)

    def on_train_end(self, logs=None):
        world = self._rank()
        if world is not None and world[0] != 0:
            return
        if self.delete_checkpoint and os.path.exists(self.backup_dir):
            shutil.rmtree(self.backup_dir)
