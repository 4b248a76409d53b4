"""The main example: a CNN on the embedded handwritten digits, offline.

Builds a small convolutional network with the functional API, prints its
summary, trains it with a progress bar on the 1,797 8x8 UCI digits that ship
inside kerasette (no download), reaches at least 97% test accuracy, saves
the weights to HDF5 in Keras' layout, reloads them into a fresh model and
checks that it predicts exactly the same.

    python examples/train_digits.py
"""
import os
import tempfile

import numpy as np

import kerasette
from kerasette import Input, Model
from kerasette.datasets import digits
from kerasette.layers import Conv2D, Dense, Dropout, Flatten, MaxPooling2D


def build_model():
    inputs = Input(shape=(8, 8, 1), name="digit")
    x = Conv2D(32, 3, padding="same", activation="relu")(inputs)
    x = MaxPooling2D()(x)
    x = Conv2D(64, 3, padding="same", activation="relu")(x)
    x = MaxPooling2D()(x)
    x = Flatten()(x)
    x = Dense(64, activation="relu")(x)
    x = Dropout(0.25)(x)
    outputs = Dense(10, activation="softmax")(x)
    return Model(inputs, outputs, name="digits_cnn")


def main():
    kerasette.utils.set_random_seed(7)
    (x_train, y_train), (x_test, y_test) = digits.load_data()
    # pixel values are 0..16; scale to 0..1 and add the channel axis
    x_train = (x_train / 16.0).astype("float32")[..., None]
    x_test = (x_test / 16.0).astype("float32")[..., None]

    model = build_model()
    model.summary()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x_train, y_train, epochs=30, batch_size=32, validation_split=0.1)

    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"test loss: {loss:.4f} - test accuracy: {accuracy:.4f}")
    if accuracy < 0.97:
        raise SystemExit(f"expected at least 97% test accuracy, got {accuracy:.2%}")

    folder = tempfile.mkdtemp(prefix="kerasette-digits-")
    path = os.path.join(folder, "digits_cnn.weights.h5")
    model.save_weights(path)
    print(f"saved weights to {path}")

    fresh = build_model()
    fresh.load_weights(path)
    same = np.array_equal(fresh.predict(x_test, verbose=0), model.predict(x_test, verbose=0))
    print(f"reloaded model predicts identically: {same}")
    if not same:
        raise SystemExit("the reloaded model predicts differently")


if __name__ == "__main__":
    main()
