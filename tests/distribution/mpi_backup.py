"""BackupAndRestore under data-parallel training (run by test_mpi.py under mpiexec).

    mpi_backup.py MODE OUT BACKUP SHARDED SAVE_FREQ

MODE ``straight`` trains 4 epochs; ``interrupted`` stops after 2 epochs (or,
with SAVE_FREQ a number, 2 batches into the third), keeping its backup;
``resumed`` starts from other initial weights and trains to epoch 4 with the
backup.  Each rank is given its own BACKUP folder (``BACKUP/rank<r>``), as on
machines without a shared file system: rank 0 alone writes and reads it.
"""
import os
import sys

import numpy as np

from kerasette import Input, Model, backend, callbacks, distribution, optimizers
from kerasette.layers import Dense


class Interrupt(callbacks.Callback):
    def __init__(self, at_batch):
        super().__init__()
        self.at_batch, self.epoch = at_batch, 0

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self.at_batch is not None and self.epoch == 2 and batch + 1 == self.at_batch:
            self.model.stop_training = True

    def on_epoch_end(self, epoch, logs=None):
        if self.at_batch is None and epoch == 1:
            self.model.stop_training = True


def main():
    mode, out, backup, sharded, save_freq = sys.argv[1:6]
    save_freq = "epoch" if save_freq == "epoch" else int(save_freq)
    distribution.set_distribution(distribution.DataParallel(sharded_update=sharded == "1"))
    rank = distribution.rank()
    backend.set_seed(5 if mode == "resumed" else 1)
    rng = np.random.default_rng(7)
    x = rng.standard_normal((80, 6)).astype("float32")
    y = (x[:, :3].sum(axis=1) > 0).astype("int64")
    inputs = Input(shape=(6,))
    model = Model(inputs, Dense(3, activation="softmax")(Dense(16, activation="tanh")(inputs)))
    model.compile(optimizer=optimizers.Adam(0.01), loss="sparse_categorical_crossentropy")
    folder = os.path.join(backup, f"rank{rank}")
    extra = [] if mode == "straight" else [
        callbacks.BackupAndRestore(folder, save_freq=save_freq, delete_checkpoint=mode == "resumed")]
    if mode == "interrupted":
        extra.append(Interrupt(None if save_freq == "epoch" else 2))
    # an epoch-end backup keeps no generator state (as in Keras, and on one process): the next
    # epochs' shuffle orders would differ from the straight run's, so those runs keep the data's order
    model.fit(x, y, batch_size=20, epochs=4, shuffle=save_freq != "epoch", verbose=0, callbacks=extra)
    arrays = {f"weight_{i}": np.asarray(w) for i, w in enumerate(model.get_weights())}
    arrays.update({f"optimizer_{i}": np.asarray(v.numpy()) for i, v in enumerate(model.optimizer.variables)})
    arrays["wrote"] = np.asarray(os.path.exists(folder))
    np.savez(f"{out}.{rank}.npz", **arrays)


if __name__ == "__main__":
    main()
