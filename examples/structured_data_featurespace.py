"""Structured data classification with FeatureSpace (the keras.io guide, on a generated table).

The script writes its own table (no download): 1,000 patients in a CSV
file, written with the ``csv`` module and read back as the guide reads its
``heart.csv``. The columns are numeric (``age``, ``trestbps``, ``chol``,
``thalach``, ``oldpeak``), integer categories (``sex``, ``cp``, ``fbs``,
``exang``, ``ca``) and a string category (``thal``); the ``target`` follows a
rule that mixes them (age, chest pain type 4, a "reversible" thal, a low
maximum heart rate, ST depression, the number of vessels, and a cross of
thal and ca), with noise, so that about 1 patient in 8 is labelled against
the rule.

As in the guide, a ``keras.utils.FeatureSpace`` says what each column is,
crosses ``sex x age`` and ``thal x ca``, learns its state from the training
split (``adapt``) and encodes each row as one vector; a small MLP learns on
the encoded vectors (``training_model``), and ``inference_model`` takes the
raw columns (``get_inputs()`` -> ``get_encoded_features()`` -> the MLP).
kerasette has no ``tf.data``: the splits are dicts of numpy columns, and
``feature_space(columns)`` encodes a whole split at once.

    python examples/structured_data_featurespace.py
"""
import csv
import os
import tempfile

import numpy as np

import kerasette as keras
from kerasette import layers
from kerasette.utils import FeatureSpace

ROWS = 1000
INTEGER_COLUMNS = ("sex", "cp", "fbs", "exang", "ca", "target")
FLOAT_COLUMNS = ("age", "trestbps", "chol", "thalach", "oldpeak")


def write_csv(path, seed=1337):
    """A table like the guide's heart.csv, with a rule for the target, written with the csv module."""
    rng = np.random.default_rng(seed)
    age = rng.integers(29, 78, ROWS)
    sex = rng.integers(0, 2, ROWS)
    cp = rng.choice([1, 2, 3, 4], ROWS, p=[0.2, 0.2, 0.3, 0.3])
    fbs = (rng.random(ROWS) < 0.15).astype(int)
    exang = (rng.random(ROWS) < 0.3).astype(int)
    ca = rng.choice([0, 1, 2, 3], ROWS, p=[0.55, 0.2, 0.15, 0.1])
    thal = rng.choice(["normal", "fixed", "reversible"], ROWS, p=[0.55, 0.1, 0.35])
    trestbps = rng.normal(131, 17, ROWS).round()
    chol = rng.normal(246, 50, ROWS).round()
    thalach = rng.normal(150, 22, ROWS).round() - 0.4 * (age - 54)
    oldpeak = np.abs(rng.normal(1.0, 1.1, ROWS)).round(1)
    logit = (0.05 * (age - 54) + 1.4 * (cp == 4) + 1.5 * (thal == "reversible") - 0.04 * (thalach - 150)
             + 0.7 * oldpeak + 0.8 * ca + 0.6 * exang + 0.5 * sex - 1.6
             + 1.2 * ((thal == "fixed") & (ca >= 2)))
    target = (logit + rng.logistic(0, 0.5, ROWS) > 0).astype(int)
    columns = {"age": age, "sex": sex, "cp": cp, "trestbps": trestbps, "chol": chol, "fbs": fbs,
               "thalach": thalach, "exang": exang, "oldpeak": oldpeak, "ca": ca, "thal": thal, "target": target}
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(list(columns))
        for row in zip(*columns.values()):
            writer.writerow([str(value) for value in row])


def read_csv(path):
    """The CSV file as a dict of numpy columns (ints, floats, strings by column)."""
    with open(path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    table = {}
    for name in rows[0]:
        values = [row[name] for row in rows]
        if name in INTEGER_COLUMNS:
            table[name] = np.array([int(v) for v in values], dtype="int64")
        elif name in FLOAT_COLUMNS:
            table[name] = np.array([float(v) for v in values], dtype="float32")
        else:
            table[name] = np.array(values, dtype=object)
    return table


def main(seed=42):
    keras.utils.set_random_seed(seed)
    folder = tempfile.mkdtemp()
    path = os.path.join(folder, "heart.csv")
    write_csv(path)
    table = read_csv(path)
    print(f"read {len(table['target'])} rows and {len(table)} columns from {os.path.basename(path)}")

    # the guide's split: 20% of the rows for validation
    rng = np.random.default_rng(7)
    order = rng.permutation(len(table["target"]))
    cut = int(0.8 * len(order))
    train = {name: column[order[:cut]] for name, column in table.items()}
    val = {name: column[order[cut:]] for name, column in table.items()}
    train_labels, val_labels = train.pop("target"), val.pop("target")
    print(f"using {len(train_labels)} samples for training and {len(val_labels)} for validation")

    feature_space = FeatureSpace(
        features={
            # categorical features encoded as integers
            "sex": "integer_categorical",
            "cp": "integer_categorical",
            "fbs": "integer_categorical",
            "exang": "integer_categorical",
            "ca": "integer_categorical",
            # categorical feature encoded as a string
            "thal": "string_categorical",
            # numerical features to discretize
            "age": FeatureSpace.float_discretized(num_bins=30),
            # numerical features to normalize
            "trestbps": "float_normalized",
            "chol": "float_normalized",
            "thalach": "float_normalized",
            "oldpeak": "float_normalized",
        },
        crosses=[
            FeatureSpace.cross(feature_names=("sex", "age"), crossing_dim=64),
            FeatureSpace.cross(feature_names=("thal", "ca"), crossing_dim=16),
        ],
        output_mode="concat",
    )
    feature_space.adapt(train)       # the features only: the labels are not given

    x_train, x_val = feature_space(train), feature_space(val)
    print("encoded features:", x_train.shape[1], "per row")

    dict_inputs = feature_space.get_inputs()
    encoded_features = feature_space.get_encoded_features()

    encoded_input = keras.Input(shape=tuple(encoded_features.shape[1:]), name="encoded_features")
    x = layers.Dense(32, activation="relu")(encoded_input)
    x = layers.Dropout(0.5)(x)
    predictions = layers.Dense(1, activation="sigmoid")(x)
    training_model = keras.Model(inputs=encoded_input, outputs=predictions)
    training_model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    inference_model = keras.Model(inputs=dict_inputs, outputs=training_model(encoded_features))

    training_model.fit(x_train, train_labels, epochs=20, batch_size=32, validation_data=(x_val, val_labels),
                       verbose=0)
    _, accuracy = training_model.evaluate(x_val, val_labels, verbose=0)
    always_yes = max(val_labels.mean(), 1 - val_labels.mean())
    print(f"majority class accuracy: {always_yes:.3f}")
    print(f"validation accuracy: {accuracy:.3f}")

    # inference on raw columns: one patient, each value a batch of one
    sample = {"age": 60, "sex": 1, "cp": 1, "trestbps": 145, "chol": 233, "fbs": 1, "thalach": 150, "exang": 0,
              "oldpeak": 2.3, "ca": 0, "thal": "fixed"}
    dtypes = {"float32": "float32", "int32": "int64", "string": object}
    columns = {name: np.array([[value]], dtype=dtypes[feature_space.features[name].dtype])
               for name, value in sample.items()}
    probability = float(inference_model.predict(columns, verbose=0)[0, 0])
    by_training_model = float(training_model.predict(feature_space(sample)[None, :], verbose=0)[0, 0])
    print(f"This particular patient had a {100 * probability:.1f} percent probability of having a heart disease, "
          "as evaluated by our model.")
    print("inference model agrees with training model:", abs(probability - by_training_model) < 1e-5)

    # the adapted FeatureSpace saves to a .keras file and loads back encoding the same
    feature_space.save(os.path.join(folder, "featurespace.keras"))
    reloaded = keras.models.load_model(os.path.join(folder, "featurespace.keras"))
    print("reloaded FeatureSpace encodes the same:", bool(np.array_equal(reloaded(val), x_val)))


if __name__ == "__main__":
    main()
