"""examples/image_from_directory.py and examples/text_classification.py: folders of files to trained models."""
import pytest

from tests.examples.test_examples import run_example


def test_image_from_directory_example_learns_the_shapes():
    pytest.importorskip("PIL", reason="the image extra (Pillow) is not installed")
    lines = run_example("image_from_directory.py")
    assert "Found 180 files belonging to 3 classes." in lines
    assert "classes: circle, square, triangle" in lines
    assert "training files: 135, validation files: 45" in lines
    assert "augmentation: random_flip, random_rotation" in lines
    epochs = [line for line in lines if line.startswith("epoch")]
    assert len(epochs) == 4
    first_loss = float(epochs[0].split("loss ")[1].split(",")[0])
    last_loss = float(epochs[-1].split("loss ")[1].split(",")[0])
    assert last_loss < 0.3 * first_loss, epochs
    accuracy = float(lines[-1].split(": ")[1])
    assert lines[-1].startswith("validation accuracy")
    # chance is 1/3; the CNN reaches 1.0 here (0.85 leaves room for another BLAS's rounding)
    assert accuracy >= 0.85, lines


def test_text_classification_example_learns_the_topics():
    lines = run_example("text_classification.py")
    assert "Found 360 files belonging to 3 classes." in lines
    assert "classes: cooking, sports, weather" in lines
    vocabulary = next(line for line in lines if line.startswith("vocabulary:"))
    # the padding token and the OOV token first, then the most frequent words
    assert "['', '[UNK]', 'the'," in vocabulary
    accuracy = float(next(line for line in lines if line.startswith("validation accuracy")).split(": ")[1])
    # chance is 1/3; the model reaches ~0.99 (0.85 leaves room for another BLAS's rounding)
    assert accuracy >= 0.85, lines
    assert lines[-2].endswith(": weather") and lines[-1].endswith(": cooking"), lines[-2:]
