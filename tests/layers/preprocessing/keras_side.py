"""The real-Keras side of test_keras_files.py, run in a child process on Keras 3's TensorFlow backend
(its lookup and text layers are TensorFlow ops).

    python keras_side.py <folder>

reads ``<folder>/inputs.npz`` and ``<folder>/kerasette.keras`` (written by kerasette), writes
``<folder>/kerasette_in_keras.npz`` (Keras' predictions of that file), builds the same kind of model
with Keras, adapts it on the inputs file's ``adapt.*`` data and writes ``<folder>/keras.keras`` and
``<folder>/keras.npz`` (its predictions).
"""
import os
import sys

import numpy as np

# the backend is chosen only when this runs as a script: test_keras_files.py imports build() from
# here, and a KERAS_BACKEND set at import would leak into every later test of its pytest worker


def build(keras, adapt):
    """Normalization, StringLookup, IntegerLookup, TextVectorization (int -> Embedding, tf_idf) and
    Discretization in one functional model; written for both kerasette and Keras."""
    L = keras.layers
    norm = L.Normalization()
    norm.adapt(adapt["numbers"])
    words = L.StringLookup(output_mode="one_hot", num_oov_indices=2)
    words.adapt(adapt["words"])
    ids = L.IntegerLookup(mask_token=0)
    ids.adapt(adapt["ids"])
    sequences = L.TextVectorization(max_tokens=12, output_sequence_length=5)
    sequences.adapt(adapt["texts"])
    tf_idf = L.TextVectorization(output_mode="tf_idf", ngrams=2)
    tf_idf.adapt(adapt["texts"])
    bins = L.Discretization(num_bins=3)
    bins.adapt(adapt["numbers"])
    numbers = keras.Input((3,), name="numbers")
    word = keras.Input((1,), dtype="string", name="word")
    code = keras.Input((2,), dtype="int64", name="code")
    text = keras.Input((), dtype="string", name="text")
    dense = L.Dense(2, name="head")(norm(numbers))
    pooled = L.GlobalAveragePooling1D()(L.Embedding(12, 4, name="embed")(sequences(text)))
    outputs = [dense, words(word), ids(code), L.Dense(2, name="text_head")(pooled),
               L.Dense(3, name="tf_idf_head")(tf_idf(text)), bins(numbers)]
    return keras.Model([numbers, word, code, text], outputs)


def main(folder):
    import keras
    import tensorflow as tf
    with np.load(os.path.join(folder, "inputs.npz")) as archive:
        arrays = {key: archive[key] for key in archive.files}
    x = [tf.constant(arrays[f"x.{i}"]) for i in range(4)]
    model = keras.models.load_model(os.path.join(folder, "kerasette.keras"))
    np.savez(os.path.join(folder, "kerasette_in_keras.npz"),
             **{f"y.{i}": np.asarray(y) for i, y in enumerate(model(x))})
    adapt = {key[len("adapt."):]: value for key, value in arrays.items() if key.startswith("adapt.")}
    keras.utils.set_random_seed(3)
    ours = build(keras, adapt)
    ours.save(os.path.join(folder, "keras.keras"))
    np.savez(os.path.join(folder, "keras.npz"), **{f"y.{i}": np.asarray(y) for i, y in enumerate(ours(x))})


if __name__ == "__main__":
    os.environ["KERAS_BACKEND"] = "tensorflow"
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    main(sys.argv[1])
