"""Draw the tutorial's CNN with plot_model: the picture README.md shows (docs/images/tutorial_model.png).

    python examples/plot_model_picture.py [to_file]

Needs the plot extra (``pip install 'kerasette[plot]'``) and Graphviz's ``dot``
(``apt-get install graphviz``) for the picture; the text rendering it prints
first needs neither.
"""
import sys
from pathlib import Path

import kerasette
from kerasette import Input, Model
from kerasette.layers import Activation, Conv2D, Dense, Flatten, MaxPooling2D


def tutorial_model():
    inputs = Input(shape=(28, 28, 1))
    x = Conv2D(10, kernel_size=5)(inputs)
    x = Activation("relu")(x)
    x = MaxPooling2D()(x)
    x = Conv2D(20, kernel_size=5)(x)
    x = Activation("relu")(x)
    x = MaxPooling2D()(x)
    x = Flatten()(x)
    x = Dense(50, activation="relu")(x)
    outputs = Dense(10, activation="softmax")(x)
    return Model(inputs, outputs)


def main(to_file):
    kerasette.backend.clear_session()       # the layer names of a fresh interpreter
    model = tutorial_model()
    print(kerasette.utils.plot_model(model, to_file=None, show_shapes=True, show_layer_names=True))
    kerasette.utils.plot_model(model, to_file=to_file, show_shapes=True, show_layer_names=True, dpi=60)
    print(f"wrote {to_file}")


if __name__ == "__main__":
    default = Path(__file__).resolve().parents[1] / "docs" / "images" / "tutorial_model.png"
    main(sys.argv[1] if len(sys.argv) > 1 else str(default))
