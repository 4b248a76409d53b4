"""The multilayer perceptron: the zoo's baseline without convolutions.

It sees an image as a flat vector of pixels, so it shows how much the
convolutional models gain from knowing that neighbouring pixels belong together.
"""
from __future__ import annotations

from kerasette import Model
from kerasette.layers import Dense, Dropout, Flatten, Input


def mlp(input_shape=(8, 8, 1), num_classes: int = 10, hidden_units=(128, 64), dropout: float = 0.2,
        name: str = "mlp") -> Model:
    """A multilayer perceptron on flattened images.

    Architecture (defaults)::

        Input(input_shape) -> Flatten
        -> Dense(128, relu) -> Dropout(0.2)
        -> Dense(64, relu) -> Dropout(0.2)
        -> Dense(num_classes, softmax)

    ``hidden_units`` lists the hidden Dense widths; ``dropout=0`` leaves the
    Dropout layers out.

    Parameter count: 17,226 (default arguments); 109,386 with input_shape=(28, 28, 1).

    >>> mlp().count_params()
    17226
    """
    inputs = Input(shape=tuple(input_shape), name="image")
    x = Flatten()(inputs)
    for units in hidden_units:
        x = Dense(units, activation="relu")(x)
        if dropout:
            x = Dropout(dropout)(x)
    outputs = Dense(num_classes, activation="softmax", name="predictions")(x)
    return Model(inputs, outputs, name=name)
