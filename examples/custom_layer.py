"""A user-defined layer with get_config, saved in a whole model and loaded back.

``Scale`` multiplies its input by a learned per-feature factor and adds an
offset given in its constructor.  It is registered with
``register_keras_serializable`` so ``load_model`` can rebuild it from the
file (passing ``custom_objects`` works too).

    python examples/custom_layer.py
"""
import os
import tempfile

import numpy as np

import kerasette
from kerasette import Input, Model, ops
from kerasette.layers import Dense, Layer
from kerasette.models import load_model
from kerasette.saving import register_keras_serializable


@register_keras_serializable(package="examples")
class Scale(Layer):
    """``inputs * factor + offset`` with one learned factor per feature."""

    def __init__(self, offset=0.0, **kwargs):
        super().__init__(**kwargs)
        self.offset = offset

    def build(self, input_shape):
        self.factor = self.add_weight(name="factor", shape=(input_shape[-1],), initializer="ones")

    def call(self, inputs):
        return ops.add(ops.multiply(inputs, self.factor), self.offset)

    def get_config(self):
        config = super().get_config()
        config["offset"] = self.offset
        return config


def main():
    kerasette.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((256, 4)).astype("float32")
    y = (x @ np.array([[1.0], [-2.0], [0.5], [3.0]], "float32") + 0.3).astype("float32")

    inputs = Input(shape=(4,))
    outputs = Dense(1)(Scale(offset=0.1, name="scale")(inputs))
    model = Model(inputs, outputs)
    model.compile(optimizer=kerasette.optimizers.Adam(0.05), loss="mse")
    model.fit(x, y, epochs=40, batch_size=32, verbose=0)
    print(f"trained: mse {model.evaluate(x, y, verbose=0):.4f}")

    path = os.path.join(tempfile.mkdtemp(prefix="kerasette-custom-"), "scaled.h5")
    model.save(path)
    loaded = load_model(path)
    layer = loaded.get_layer("scale")
    print(f"loaded layer: {type(layer).__name__} with offset {layer.offset}")
    same = np.allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    print(f"loaded model predicts the same: {same}")
    return same


if __name__ == "__main__":
    main()
