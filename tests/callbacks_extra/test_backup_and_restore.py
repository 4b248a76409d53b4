"""BackupAndRestore: a training process killed mid-epoch resumes, in a new
process, to exactly the weights and optimizer state of a run never stopped."""
import json
import os
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import kerasette
from kerasette.callbacks import BackupAndRestore

SCRIPT = textwrap.dedent("""
    import os, signal, sys
    import numpy as np
    import kerasette
    from kerasette import layers

    backup_dir, out_path, kill_at = sys.argv[1], sys.argv[2], sys.argv[3]
    kerasette.utils.set_random_seed(7)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((60, 6)).astype("float32")
    y = rng.integers(0, 3, size=60)
    inputs = kerasette.Input((6,))
    hidden = layers.Dense(16, activation="relu")(inputs)
    hidden = layers.Dropout(0.3)(hidden)          # draws from the shared generator
    outputs = layers.Dense(3, activation="softmax")(hidden)
    model = kerasette.Model(inputs, outputs)
    model.compile(optimizer=kerasette.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy")

    class Killer(kerasette.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if kill_at != "none" and (self.epoch, batch) == tuple(map(int, kill_at.split(","))):
                os.kill(os.getpid(), signal.SIGKILL)
        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch

    callbacks = [BackupAndRestoreHere, Killer()] if backup_dir != "none" else [Killer()]
    history = model.fit(x, y, batch_size=8, epochs=3, shuffle=True, verbose=0, callbacks=callbacks)
    np.savez(out_path, *model.get_weights(), *model.optimizer.get_weights(),
             epochs=np.array(history.epoch))
""").replace("BackupAndRestoreHere",
             "kerasette.callbacks.BackupAndRestore(backup_dir, save_freq=3, double_checkpoint=True)")


def _run(tmp_path, backup_dir, out_name, kill_at):
    script = tmp_path / "train.py"
    script.write_text(SCRIPT)
    env = dict(os.environ, PYTHONPATH=os.getcwd() + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run([sys.executable, str(script), str(backup_dir), str(tmp_path / out_name), kill_at],
                          env=env, capture_output=True, text=True, timeout=120)


def test_killed_mid_epoch_resumes_to_identical_weights_and_optimizer_state(tmp_path):
    reference = _run(tmp_path, "none", "reference.npz", "none")
    assert reference.returncode == 0, reference.stderr
    backup = tmp_path / "backup"
    killed = _run(tmp_path, backup, "never.npz", "1,5")
    assert killed.returncode == -signal.SIGKILL
    assert not (tmp_path / "never.npz").exists()
    metadata = json.loads((backup / "training_metadata.json").read_text())
    # 8 batches an epoch, saved every 3 batches counted across epochs (Keras 3's
    # count): after batches 2 and 5 of epoch 0, then 0 and 3 of epoch 1; the kill
    # at (1, 5) leaves the save after batch 3: 4 steps of epoch 1 done
    assert metadata["epoch"] == 1 and metadata["batch"] == 3 and metadata["steps_done"] == 4
    assert (backup / "latest.weights.h5.bkp").exists()
    resumed = _run(tmp_path, backup, "resumed.npz", "none")
    assert resumed.returncode == 0, resumed.stderr
    expected, got = np.load(tmp_path / "reference.npz"), np.load(tmp_path / "resumed.npz")
    assert list(got["epochs"]) == [1, 2]                     # resumed in epoch 1
    names = [n for n in expected.files if n != "epochs"]
    assert len(names) == 4 + 2 + 8       # weights; Adam: iterations, learning_rate, 2 slots a weight
    for name in names:
        np.testing.assert_array_equal(got[name], expected[name])
    assert not backup.exists()                               # delete_checkpoint after a normal end


def _model(seed=3):
    kerasette.utils.set_random_seed(seed)
    model = kerasette.Sequential([kerasette.Input((4,)), kerasette.layers.Dense(3), kerasette.layers.Dense(1)])
    model.compile(optimizer=kerasette.optimizers.SGD(0.05, momentum=0.5), loss="mse")
    return model


def _data():
    rng = np.random.default_rng(1)
    return rng.standard_normal((32, 4)).astype("float32"), rng.standard_normal((32, 1)).astype("float32")


def test_epoch_level_backup_resumes_at_the_epoch_keras_metadata_names(tmp_path):
    x, y = _data()
    backup = tmp_path / "b"
    model = _model()
    model.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0,
              callbacks=[BackupAndRestore(backup, delete_checkpoint=False)])
    assert json.loads((backup / "training_metadata.json").read_text())["epoch"] == 2
    weights_after_2 = model.get_weights()
    # a fresh model (other initial weights) restarts from the backup: epoch 2 of 4
    other = _model(seed=99)
    history = other.fit(x, y, epochs=4, batch_size=8, shuffle=False, verbose=0,
                        callbacks=[BackupAndRestore(backup)])
    assert history.epoch == [2, 3]
    reference = _model()
    reference.fit(x, y, epochs=4, batch_size=8, shuffle=False, verbose=0)
    for got, want in zip(other.get_weights(), reference.get_weights()):
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)
    assert not any(np.allclose(a, b) for a, b in zip(weights_after_2[:1], other.get_weights()[:1]))
    # a metadata file as Keras 3 writes it (no batch count) resumes at its epoch
    backup.mkdir()
    other.save_weights(backup / "latest.weights.h5")
    (backup / "training_metadata.json").write_text(json.dumps({"epoch": 3, "batch": 0}))
    history = _model(seed=5).fit(x, y, epochs=4, batch_size=8, verbose=0, callbacks=[BackupAndRestore(backup)])
    assert history.epoch == [3]
    # the resume point is used once: the next fit starts at its own initial_epoch
    assert other.fit(x, y, epochs=1, verbose=0).epoch == [0]


def test_damaged_latest_backup_falls_back_on_the_previous_one(tmp_path):
    x, y = _data()
    backup = tmp_path / "b"
    model = _model()
    model.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0,
              callbacks=[BackupAndRestore(backup, double_checkpoint=True, delete_checkpoint=False)])
    previous = json.loads((backup / "training_metadata.json.bkp").read_text())
    assert previous["epoch"] == 1
    (backup / "latest.weights.h5").write_bytes(b"not an hdf5 file at all")
    history = _model().fit(x, y, epochs=3, batch_size=8, shuffle=False, verbose=0,
                           callbacks=[BackupAndRestore(backup)])
    assert history.epoch == [1, 2]


@pytest.mark.parametrize("save_freq", ["batch", 0, -2, 1.5, True])
def test_bad_save_freq_is_refused(tmp_path, save_freq):
    with pytest.raises(ValueError, match="save_freq"):
        BackupAndRestore(tmp_path, save_freq=save_freq)
    with pytest.raises(ValueError, match="backup_dir"):
        BackupAndRestore("")
