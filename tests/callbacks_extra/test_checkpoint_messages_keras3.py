"""ModelCheckpoint's verbose lines as Keras 3.15 prints them (keras.io's
"Training & evaluation with the built-in methods" guide, section
"Checkpointing models"): before the first value there is no best one
("improved from None"), and each save ends with "finished saving model to".
kerasette printed "improved from inf" and no second line.
"""
import os

import pytest

import kerasette as keras


class _Saves:
    """The part of a model ModelCheckpoint uses."""

    def __init__(self):
        self.saved = []
        self.metrics = []

    def save(self, filepath, overwrite=True, **kwargs):
        self.saved.append(filepath)

    save_weights = save


def _lines(lib, path, values, capsys, **kwargs):
    callback = lib.callbacks.ModelCheckpoint(path, verbose=1, **kwargs)
    model = _Saves()
    callback.set_model(model)
    callback.on_train_begin()
    for epoch, value in enumerate(values):
        callback.on_epoch_begin(epoch)
        callback.on_epoch_end(epoch, {"val_loss": value, "loss": value})
    out = [line for line in capsys.readouterr().out.splitlines() if line.strip()]
    return out, model.saved, callback.best


@pytest.mark.parametrize("kwargs", [{"save_best_only": True}, {"save_best_only": True, "mode": "min"},
                                    {"save_best_only": False}])
def test_messages_and_best_match_keras(tmp_path, capsys, kwargs):
    os.environ.setdefault("KERAS_BACKEND", "jax")
    real = pytest.importorskip("keras")
    path = str(tmp_path / "model_{epoch}.keras")
    values = [0.5, 0.6, 0.4]
    ours = _lines(keras, path, values, capsys, **kwargs)
    theirs = _lines(real, path, values, capsys, **kwargs)
    assert ours == theirs
    assert any("improved from None" in line for line in ours[0]) == kwargs["save_best_only"]
