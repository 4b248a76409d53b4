"""An LSTM reads variable-length token sequences (zero-padded, masked) and learns
whether the first token is larger than the last real one.

Shows ``Embedding(mask_zero=True)`` feeding a mask to ``LSTM``, a stacked
``LSTM(return_sequences=True)`` -> ``GRU``, ``summary()``, ``fit`` and
``evaluate``, and the weights saved and loaded in Keras' HDF5 layout.

    python examples/sequence_lstm.py
"""
import os
import tempfile

import numpy as np

import kerasette
from kerasette import Input, Model
from kerasette.layers import GRU, LSTM, Dense, Embedding


def make_data(count, rng, length=12, vocabulary=20):
    tokens = rng.integers(1, vocabulary, (count, length))
    lengths = rng.integers(4, length + 1, count)
    tokens[np.arange(length)[None, :] >= lengths[:, None]] = 0         # padding after each sequence
    last = tokens[np.arange(count), lengths - 1]
    return tokens, (tokens[:, 0] > last).astype("int64")


def main():
    kerasette.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x_train, y_train = make_data(3000, rng)
    x_test, y_test = make_data(500, rng)

    tokens = Input(shape=(12,), dtype="int64", name="tokens")
    h = Embedding(20, 16, mask_zero=True)(tokens)
    h = LSTM(32, return_sequences=True)(h)
    h = GRU(16)(h)
    model = Model(tokens, Dense(2, activation="softmax")(h), name="first_vs_last")
    model.summary()

    model.compile(optimizer=kerasette.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(x_train, y_train, epochs=8, batch_size=64, verbose=2)
    _, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"test accuracy: {accuracy:.4f}")

    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "first_vs_last.weights.h5")
        model.save_weights(path)
        model.load_weights(path)
    _, reloaded = model.evaluate(x_test, y_test, verbose=0)
    print(f"after save and load: {reloaded:.4f}")
    return accuracy


if __name__ == "__main__":
    main()
