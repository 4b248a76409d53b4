"""The model zoo (top-level ``models/``): every model builds for digits and MNIST
shapes, has the parameter count its docstring states, learns, and the README's
table agrees with the code."""
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from kerasette import Model, backend
from kerasette.datasets import digits
from kerasette.utils import set_random_seed
from models import ZOO, lenet5, tutorial_cnn
from models import evaluate_zoo

DIGITS = (8, 8, 1)
MNIST = (28, 28, 1)
COUNT_LINE = re.compile(r"Parameter count: ([\d,]+) \(default arguments\); ([\d,]+) with input_shape=\(28, 28, 1\)\.")


@pytest.fixture(autouse=True)
def fresh_session():
    backend.clear_session()
    yield
    backend.clear_session()


def documented_counts(builder):
    """(count for the defaults, count for 28x28x1) as the docstring states them."""
    match = COUNT_LINE.search(builder.__doc__)
    assert match, f"{builder.__name__}'s docstring lacks the 'Parameter count: ...' line"
    return tuple(int(group.replace(",", "")) for group in match.groups())


@pytest.mark.parametrize("name", list(ZOO))
def test_counts_match_the_docstring_for_digits_and_mnist(name):
    builder = ZOO[name]
    for_digits, for_mnist = documented_counts(builder)
    model = builder()
    assert model.input.shape == (None,) + DIGITS
    assert model.count_params() == for_digits
    assert builder(input_shape=MNIST, num_classes=10).count_params() == for_mnist
    assert "Architecture" in builder.__doc__


@pytest.mark.parametrize("name", list(ZOO))
@pytest.mark.parametrize("shape", [DIGITS, MNIST])
def test_output_is_a_distribution_over_num_classes(name, shape):
    model = ZOO[name](input_shape=shape, num_classes=7)
    assert model.output.shape == (None, 7)
    images = np.random.default_rng(0).random((3,) + shape, dtype=np.float32)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    probabilities = np.asarray(model.predict(images, verbose=0))
    assert probabilities.shape == (3, 7)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)


@pytest.mark.parametrize("name", list(ZOO))
def test_a_few_training_steps_lower_the_loss(name):
    (x_train, y_train), _ = digits.load_data()
    images = (x_train[:32].astype("float32") / 16.0)[..., None]
    labels = y_train[:32].astype("int64")
    set_random_seed(0)
    model = ZOO[name]()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    losses = [float(np.asarray(model.train_on_batch(images, labels))) for _ in range(10)]
    assert all(np.isfinite(losses))
    # Adam's first steps are small (learning rate 0.001); 5% in ten steps is well clear of noise
    assert losses[-1] < 0.95 * losses[0], losses


@pytest.mark.parametrize("name", list(ZOO))
def test_config_round_trip_rebuilds_the_same_model(name):
    model = ZOO[name]()
    rebuilt = Model.from_config(model.get_config())
    assert [layer.name for layer in rebuilt.layers] == [layer.name for layer in model.layers]
    rebuilt.set_weights(model.get_weights())
    images = np.random.default_rng(1).random((2,) + DIGITS, dtype=np.float32)
    np.testing.assert_array_equal(np.asarray(rebuilt(images)), np.asarray(model(images)))


def test_tutorial_cnn_at_28x28_is_the_tutorials_model():
    model = tutorial_cnn(input_shape=MNIST)
    assert model.count_params() == 21840
    kinds = [type(layer).__name__ for layer in model.layers]
    assert kinds == ["InputLayer", "Conv2D", "Activation", "MaxPooling2D", "Conv2D", "Activation",
                     "MaxPooling2D", "Flatten", "Dense", "Activation", "Dense", "Activation"]
    assert [layer.count_params() for layer in model.layers if layer.weights] == [260, 5020, 16050, 510]


def test_tutorial_cnn_resizes_small_images_to_28x28_without_parameters():
    model = tutorial_cnn()
    resize = model.layers[1:3]
    assert [type(layer).__name__ for layer in resize] == ["UpSampling2D", "ZeroPadding2D"]
    assert resize[0].output.shape == (None, 24, 24, 1) and resize[1].output.shape == (None, 28, 28, 1)
    # each pixel becomes a 3x3 block inside a 2-pixel zero frame
    image = np.arange(64, dtype=np.float32).reshape(1, 8, 8, 1)
    resized = np.asarray(Model(model.input, resize[1].output)(image))[0, :, :, 0]
    assert np.all(resized[:2] == 0) and np.all(resized[-2:] == 0) and np.all(resized[:, :2] == 0)
    np.testing.assert_array_equal(resized[2:26, 2:26], np.kron(image[0, :, :, 0], np.ones((3, 3))))
    # non-square images are centred too, and the body is still the tutorial's
    assert tutorial_cnn(input_shape=(10, 12, 1)).count_params() == 21840


def test_tutorial_cnn_refuses_to_resize_large_images():
    with pytest.raises(ValueError, match="resize=False"):
        tutorial_cnn(input_shape=(32, 32, 3))
    # without resizing the tutorial's layers run on the input as it is: a 5x5x20 map, so a wider Dense
    assert tutorial_cnn(input_shape=(32, 32, 3), resize=False).count_params() == 760 + 5020 + 500 * 50 + 50 + 510


def test_lenet5_c3_is_valid_on_mnist_and_same_on_digits():
    assert lenet5(input_shape=MNIST).get_layer("c3").output.shape == (None, 10, 10, 16)
    assert lenet5().get_layer("c3").output.shape == (None, 4, 4, 16)


def test_readme_table_lists_every_model_with_its_count():
    text = (Path(evaluate_zoo.README)).read_text(encoding="utf-8")
    start, end = text.index(evaluate_zoo.START_MARKER), text.index(evaluate_zoo.END_MARKER)
    rows = dict(re.findall(r"^\| `(\w+)` \| ([\d,]+) \|", text[start:end], re.M))
    assert list(rows) == list(ZOO)
    for name, builder in ZOO.items():
        assert int(rows[name].replace(",", "")) == builder().count_params(), name


def test_readme_accuracy_is_what_the_script_measures():
    """Rerun the script for the quickest model: the README's number must not be stale.

    A different CPU may round differently, hence the tolerance; a changed
    architecture or training recipe moves the number by more.
    """
    text = Path(evaluate_zoo.README).read_text(encoding="utf-8")
    documented = float(re.search(r"^\| `mlp` \| [\d,]+ \| ([\d.]+)% \| 20 \|", text, re.M).group(1))
    env = {key: value for key, value in os.environ.items() if key not in evaluate_zoo.BLAS_THREAD_VARIABLES}
    completed = subprocess.run([sys.executable, str(Path(evaluate_zoo.ROOT) / "models" / "evaluate_zoo.py"),
                                "--only", "mlp", "--no-write"], env=env, capture_output=True, text=True, timeout=120)
    assert completed.returncode == 0, completed.stderr
    measured = float(re.search(r"^mlp .* test accuracy\s+([\d.]+)%", completed.stdout, re.M).group(1))
    assert abs(measured - documented) <= 1.5, (measured, documented)


def test_evaluate_zoo_trains_a_model_and_writes_only_between_the_markers(tmp_path):
    rows = evaluate_zoo.main(["--only", "mlp", "--epochs", "1", "--no-write"])
    assert [row["name"] for row in rows] == ["mlp"]
    assert rows[0]["params"] == 17226 and 0.5 < rows[0]["accuracy"] <= 1.0
    readme = tmp_path / "README.md"
    readme.write_text(f"before\n{evaluate_zoo.START_MARKER}\nold\n{evaluate_zoo.END_MARKER}\nafter\n")
    evaluate_zoo.write_readme(evaluate_zoo.markdown_table(rows), path=str(readme))
    text = readme.read_text()
    assert text.startswith("before\n") and text.endswith("after\n") and "old" not in text
    assert "| `mlp` | 17,226 |" in text
    readme.write_text("no markers here\n")
    with pytest.raises(ValueError, match="markers"):
        evaluate_zoo.write_readme("table", path=str(readme))
