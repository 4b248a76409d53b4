"""A functional model with two inputs and two outputs.

Inputs: the 8x8 digit image, and two summary numbers about it (ink and
symmetry).  Outputs: the digit's class (10-way softmax) and whether the
digit is even (a sigmoid).  Losses, loss weights and metrics are given per
output name, and the targets are passed as a dict.

    python examples/multi_input_output.py
"""
import numpy as np

import kerasette
from kerasette import Input, Model
from kerasette.datasets import digits
from kerasette.layers import Concatenate, Conv2D, Dense, Flatten


def features(images):
    ink = images.mean(axis=(1, 2))
    symmetry = np.abs(images - images[:, :, ::-1]).mean(axis=(1, 2))
    return np.stack([ink, symmetry], axis=1).astype("float32")


def main():
    kerasette.utils.set_random_seed(0)
    (x_train, y_train), (x_test, y_test) = digits.load_data()
    x_train = (x_train / 16.0).astype("float32")
    x_test = (x_test / 16.0).astype("float32")

    image = Input(shape=(8, 8, 1), name="image")
    stats = Input(shape=(2,), name="stats")
    x = Flatten()(Conv2D(16, 3, padding="same", activation="relu")(image))
    x = Concatenate()([x, Dense(8, activation="relu")(stats)])
    x = Dense(64, activation="relu")(x)
    digit = Dense(10, activation="softmax", name="digit")(x)
    even = Dense(1, activation="sigmoid", name="even")(x)
    model = Model([image, stats], [digit, even], name="two_heads")
    model.summary()

    model.compile(optimizer="adam",
                  loss={"digit": "sparse_categorical_crossentropy", "even": "binary_crossentropy"},
                  loss_weights={"digit": 1.0, "even": 0.5},
                  metrics={"digit": ["accuracy"], "even": ["accuracy"]})
    inputs = {"image": x_train[..., None], "stats": features(x_train)}
    targets = {"digit": y_train, "even": (y_train % 2 == 0).astype("float32")[:, None]}
    model.fit(inputs, targets, epochs=15, batch_size=32, verbose=2)

    results = model.evaluate({"image": x_test[..., None], "stats": features(x_test)},
                             {"digit": y_test, "even": (y_test % 2 == 0).astype("float32")[:, None]},
                             verbose=0, return_dict=True)
    for name in model.metrics_names:
        print(f"{name}: {results[name]:.4f}")
    return results


if __name__ == "__main__":
    main()
