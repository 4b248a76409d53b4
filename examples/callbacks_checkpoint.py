"""Callbacks: EarlyStopping, ModelCheckpoint and CSVLogger, then resume.

Trains an MLP on the embedded digits with three callbacks: EarlyStopping
watching val_loss (restoring the best weights), ModelCheckpoint writing the
whole model (architecture, weights, optimizer state) whenever val_loss
improves, and CSVLogger writing one row per epoch.  Then it loads the best
checkpoint with ``load_model`` and resumes training from it.

    python examples/callbacks_checkpoint.py
"""
import csv
import os
import tempfile

import kerasette
from kerasette import Sequential
from kerasette.callbacks import CSVLogger, EarlyStopping, ModelCheckpoint
from kerasette.datasets import digits
from kerasette.layers import Dense, Input
from kerasette.models import load_model


def main():
    kerasette.utils.set_random_seed(0)
    (x_train, y_train), (x_test, y_test) = digits.load_data()
    x_train = (x_train.reshape(-1, 64) / 16.0).astype("float32")
    x_test = (x_test.reshape(-1, 64) / 16.0).astype("float32")

    model = Sequential([Input(shape=(64,)), Dense(64, activation="relu"), Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])

    folder = tempfile.mkdtemp(prefix="kerasette-callbacks-")
    best_path = os.path.join(folder, "best.h5")
    log_path = os.path.join(folder, "training.csv")
    callbacks = [
        EarlyStopping(monitor="val_loss", patience=3, restore_best_weights=True),
        ModelCheckpoint(best_path, monitor="val_loss", save_best_only=True),
        CSVLogger(log_path),
    ]
    history = model.fit(x_train, y_train, epochs=100, batch_size=32, validation_split=0.2,
                        callbacks=callbacks, verbose=0)
    stopped = len(history.epoch)
    print(f"early stopping after {stopped} of 100 epochs")
    with open(log_path) as log:
        rows = list(csv.DictReader(log))
    print(f"CSV log: {len(rows)} rows, columns {list(rows[0])}")

    resumed = load_model(best_path)
    print(f"checkpoint test accuracy: {resumed.evaluate(x_test, y_test, verbose=0)[1]:.4f}")
    more = resumed.fit(x_train, y_train, epochs=stopped + 2, initial_epoch=stopped, batch_size=32, verbose=0)
    print(f"resumed for epochs {[e + 1 for e in more.epoch]}")
    accuracy = resumed.evaluate(x_test, y_test, verbose=0)[1]
    print(f"test accuracy after resuming: {accuracy:.4f}")
    return accuracy


if __name__ == "__main__":
    main()
