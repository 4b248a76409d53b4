"""A Sequential MLP on the embedded digits, flattened to 64 features.

Shows ``Sequential`` with ``add``, the deferred build from ``input_shape``,
``summary()``, ``fit`` with validation data, ``evaluate`` and ``predict``.

    python examples/sequential_mlp.py
"""
import kerasette
from kerasette import Sequential
from kerasette.datasets import digits
from kerasette.layers import Dense, Dropout


def main():
    kerasette.utils.set_random_seed(0)
    (x_train, y_train), (x_test, y_test) = digits.load_data()
    x_train = (x_train.reshape(-1, 64) / 16.0).astype("float32")
    x_test = (x_test.reshape(-1, 64) / 16.0).astype("float32")

    model = Sequential(name="digits_mlp")
    model.add(Dense(128, activation="relu", input_shape=(64,)))
    model.add(Dropout(0.2))
    model.add(Dense(64, activation="relu"))
    model.add(Dense(10, activation="softmax"))
    model.summary()

    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x_train, y_train, epochs=25, batch_size=32,
                        validation_data=(x_test, y_test), verbose=2)
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"test accuracy: {accuracy:.4f}")
    first = model.predict(x_test[:5], verbose=0).argmax(axis=1)
    print(f"first predictions: {first.tolist()} (true: {y_test[:5].tolist()})")
    print(f"epochs run: {len(history.epoch)}")
    return accuracy


if __name__ == "__main__":
    main()
