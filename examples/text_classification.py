"""Topic classification of short text files: text_dataset_from_directory, TextVectorization, Embedding.

The script writes its own corpus (no download): 120 short reports on each of
three topics (sports, cooking, weather), one ``.txt`` file each, in
``<tmp>/reports/<topic>/`` -- the folder layout Keras'
``text_dataset_from_directory`` reads. A report mixes words every topic
uses ("the", "today", "really", ...) with a few words of its topic, some of
which two topics share ("hot" is weather and cooking, "fast" sports and
cooking), and now and then a word of another topic, so no single word
decides. Capitals and punctuation vary; ``TextVectorization``'s default
standardization (lower case, punctuation stripped) removes them.

``TextVectorization`` learns its vocabulary from the training split
(``adapt``), and the model takes the raw strings: TextVectorization ->
``Embedding`` (masking the padding) -> ``GlobalAveragePooling1D`` ->
``Dense``.

    python examples/text_classification.py
"""
import os
import tempfile

import numpy as np

import kerasette
from kerasette import layers

COMMON = ("the team the dish the sky we saw it was a very really quite today this morning yesterday "
          "and then again after some people said that there is no more of".split())
TOPICS = {
    "sports": "match goal score players coach league fans fast win lost season stadium ball referee "
              "championship hot".split(),
    "cooking": "recipe oven bake salt pepper garlic onion fast sauce dinner hot flavour boil fresh "
               "kitchen taste".split(),
    "weather": "rain sunny cloudy wind storm forecast hot cold snow temperature degrees humid fresh "
               "clouds sky".split(),
}
PER_TOPIC = 120
MAX_TOKENS = 200
SEQUENCE_LENGTH = 24


def report(topic, rng):
    """One report: 10 to 20 common words, 2 to 4 words of ``topic``, sometimes one of another topic."""
    words = list(rng.choice(COMMON, rng.integers(10, 21)))
    words += list(rng.choice(TOPICS[topic], rng.integers(2, 5)))
    if rng.random() < 0.3:
        other = rng.choice([name for name in TOPICS if name != topic])
        words.append(rng.choice(TOPICS[other]))
    rng.shuffle(words)
    words[0] = words[0].capitalize()
    return " ".join(words) + rng.choice([".", "!", "...", "?"])


def write_reports(root, rng):
    for topic in TOPICS:
        os.makedirs(os.path.join(root, topic))
        for index in range(PER_TOPIC):
            with open(os.path.join(root, topic, f"{index:03d}.txt"), "w", encoding="utf-8") as handle:
                handle.write(report(topic, rng))


def train_and_evaluate(root):
    # the datasets read the files batch by batch, so the folder stays until training is over
    train, validation = kerasette.utils.text_dataset_from_directory(
        root, batch_size=32, validation_split=0.25, subset="both", seed=7)
    print("classes:", ", ".join(train.class_names))

    vectorize = layers.TextVectorization(max_tokens=MAX_TOKENS, output_sequence_length=SEQUENCE_LENGTH)
    vectorize.adapt(train)
    print("vocabulary:", len(vectorize.get_vocabulary()), "tokens, first ones", vectorize.get_vocabulary()[:6])

    inputs = kerasette.Input(shape=(), dtype="string")   # a batch of strings: (batch,)
    x = vectorize(inputs)
    x = layers.Embedding(MAX_TOKENS, 16, mask_zero=True)(x)
    x = layers.GlobalAveragePooling1D()(x)
    outputs = layers.Dense(len(TOPICS), activation="softmax")(x)
    model = kerasette.Model(inputs, outputs, name="topics")
    model.compile(optimizer=kerasette.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(train, validation_data=validation, epochs=12, verbose=0)
    for epoch in (0, 5, 11):
        print(f"epoch {epoch + 1:2d}: loss {history.history['loss'][epoch]:.3f}, "
              f"val_accuracy {history.history['val_accuracy'][epoch]:.3f}")
    _, accuracy = model.evaluate(validation, verbose=0)
    print(f"validation accuracy: {accuracy:.3f}")
    samples = np.array(["Rain and wind all morning, the forecast said snow.",
                        "Add garlic to the sauce and bake it in the oven."])
    for text, probabilities in zip(samples, model.predict(samples, verbose=0)):
        print(f"{str(text)!r}: {train.class_names[int(np.argmax(probabilities))]}")


def main():
    kerasette.utils.set_random_seed(0)
    with tempfile.TemporaryDirectory() as tmp:
        root = os.path.join(tmp, "reports")
        write_reports(root, np.random.default_rng(0))
        train_and_evaluate(root)


if __name__ == "__main__":
    main()
