"""A small CNN learns three kinds of shapes from a folder of PNG files.

The script draws its own images with Pillow (``pip install kerasette[image]``;
no download): circles, squares and triangles of random size, place and
colour on a random background, 60 of each, written as
``<tmp>/shapes/<class name>/<n>.png`` -- the folder layout Keras'
``image_dataset_from_directory`` reads. Three quarters of the files train
the model, the rest (picked by ``validation_split`` with a seed) validate it.

The model rescales the pixels to [0, 1] with a ``Rescaling`` layer, then
augments them in training only (``RandomFlip`` and ``RandomRotation``: a
shape stays the same shape when mirrored or turned a little), then two
convolution blocks and a softmax over the three classes. Two worker threads
decode the next batches' PNG files while the model trains (``workers=2``).

    python examples/image_from_directory.py
"""
import os
import tempfile

import numpy as np
from PIL import Image, ImageDraw

import kerasette
from kerasette import layers

CLASSES = ("circle", "square", "triangle")
PER_CLASS = 60
SIZE = 32


def draw(shape, rng):
    """One RGB image of ``shape``: a shape of random size, place and colour on a random background."""
    background = tuple(int(v) for v in rng.integers(0, 100, 3))
    colour = tuple(int(v) for v in rng.integers(130, 256, 3))
    image = Image.new("RGB", (SIZE, SIZE), background)
    pen = ImageDraw.Draw(image)
    half = rng.integers(7, 13)
    cx, cy = rng.integers(half, SIZE - half, 2)
    if shape == "circle":
        pen.ellipse([cx - half, cy - half, cx + half, cy + half], fill=colour)
    elif shape == "square":
        pen.rectangle([cx - half, cy - half, cx + half, cy + half], fill=colour)
    else:
        pen.polygon([(cx, cy - half), (cx - half, cy + half), (cx + half, cy + half)], fill=colour)
    return image


def write_images(root, rng):
    for shape in CLASSES:
        os.makedirs(os.path.join(root, shape))
        for index in range(PER_CLASS):
            draw(shape, rng).save(os.path.join(root, shape, f"{index:03d}.png"))


def build_model():
    return kerasette.Sequential([
        layers.Input((SIZE, SIZE, 3)),
        layers.Rescaling(1.0 / 255),
        layers.RandomFlip("horizontal", seed=1),
        layers.RandomRotation(0.05, seed=2),
        layers.Conv2D(16, 3, activation="relu"),
        layers.MaxPooling2D(),
        layers.Conv2D(32, 3, activation="relu"),
        layers.MaxPooling2D(),
        layers.GlobalMaxPooling2D(),
        layers.Dense(32, activation="relu"),
        layers.Dense(len(CLASSES), activation="softmax"),
    ], name="shapes_cnn")


def main():
    kerasette.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as tmp:
        root = os.path.join(tmp, "shapes")
        write_images(root, rng)
        train, validation = kerasette.utils.image_dataset_from_directory(
            root, image_size=(SIZE, SIZE), batch_size=16, validation_split=0.25, subset="both", seed=42,
            workers=2)
        print("classes:", ", ".join(train.class_names))
        print(f"training files: {len(train.file_paths)}, validation files: {len(validation.file_paths)}")
        model = build_model()
        print("augmentation:", ", ".join(layer.name for layer in model.layers if layer.name.startswith("random")))
        model.compile(optimizer=kerasette.optimizers.Adam(0.005), loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])
        history = model.fit(train, validation_data=validation, epochs=15, verbose=0)
        for epoch in (0, 4, 9, 14):
            print(f"epoch {epoch + 1:2d}: loss {history.history['loss'][epoch]:.3f}, "
                  f"val_accuracy {history.history['val_accuracy'][epoch]:.3f}")
        _, accuracy = model.evaluate(validation, verbose=0)
    print(f"validation accuracy: {accuracy:.3f}")


if __name__ == "__main__":
    main()
