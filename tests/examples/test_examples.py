"""Each script in examples/ runs in a fresh interpreter and prints what it promises."""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run_example(name: str) -> list:
    env = dict(os.environ)
    # the checkout's kerasette, whether or not it is installed in this interpreter
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    completed = subprocess.run([sys.executable, str(ROOT / "examples" / name)], cwd=ROOT, env=env,
                               capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, f"{name} failed:\n{completed.stdout}\n{completed.stderr}"
    return completed.stdout.splitlines()


def test_define_by_run_prints_the_tutorial_lines():
    assert run_example("define_by_run.py") == [
        "tensor([6.], grad_fn=<MulBackward>)",
        "tensor([2.])",
    ]


def test_define_and_run_prints_the_tutorial_lines():
    assert run_example("define_and_run.py") == [
        'Tensor("mul:0", shape=(1,), dtype=float32)',
        "[6.]",
        'Tensor("mul_1:0", shape=(1,), dtype=float32)',
        "[6.]",
    ]


def test_graph_training_learns_the_spirals():
    lines = run_example("graph_training.py")
    text = "\n".join(lines)
    losses = [float(value) for value in re.findall(r"^epoch\s+\d+\s+loss (\d+\.\d+)$", text, re.M)]
    assert len(losses) >= 3, text
    assert losses[-1] < 0.5 * losses[0], f"loss did not fall: {losses}"
    before = float(re.search(r"^test accuracy before training: (\d\.\d+)$", text, re.M).group(1))
    after = float(re.search(r"^final test accuracy: (\d\.\d+)$", text, re.M).group(1))
    assert before < 0.6
    assert after >= 0.9, text
    # one compiled program for the whole training step, two feeds (x, y) and one fetch (loss)
    assert re.search(r"^training step: <Program \d+ steps, 2 feeds, 1 fetches>$", text, re.M), text


def test_functional_cnn_summary_prints_the_tutorial_table():
    lines = run_example("functional_cnn_summary.py")
    assert lines[2] == "Layer (type)                 Output Shape              Param #   "
    assert lines[4] == "input_1 (InputLayer)         (None, 28, 28, 1)         0         "
    assert lines[6] == "conv2d (Conv2D)              (None, 24, 24, 10)        260       "
    assert "conv2d_1 (Conv2D)            (None, 8, 8, 20)          5,020     " in lines
    assert "max_pooling2d_1 (MaxPooling2 (None, 4, 4, 20)          0         " in lines
    assert "dense (Dense)                (None, 50)                16,050    " in lines
    assert "activation_3 (Activation)    (None, 10)                0         " in lines
    assert "Total params: 21,840" in lines


def test_pytorch_style_net_learns_by_hand():
    lines = run_example("pytorch_style_net.py")
    losses = [float(line.split("loss ")[1]) for line in lines if line.startswith("epoch")]
    assert len(losses) == 3 and losses[-1] < 0.5 * losses[0]
    accuracy = float(lines[-1].split(": ")[1])
    assert accuracy >= 0.9


def test_train_digits_main_example():
    lines = run_example("train_digits.py")
    assert lines[0] == 'Model: "digits_cnn"'
    assert any(line.startswith("Epoch 30/30") for line in lines)
    result = next(line for line in lines if line.startswith("test loss"))
    assert float(result.rsplit(": ", 1)[1]) >= 0.97
    assert lines[-1] == "reloaded model predicts identically: True"
    assert not any("\r" in line for line in lines)   # no bar redraws in a log


def test_sequential_mlp_example():
    lines = run_example("sequential_mlp.py")
    accuracy = float(next(line for line in lines if line.startswith("test accuracy")).split(": ")[1])
    assert accuracy >= 0.95
    assert lines[-1] == "epochs run: 25"


def test_sequence_lstm_example():
    lines = run_example("sequence_lstm.py")
    assert any(line.startswith("lstm (LSTM)") and "(None, 12, 32)" in line and "6,272" in line for line in lines)
    assert any(line.startswith("gru (GRU)") and "(None, 16)" in line and "2,400" in line for line in lines)
    accuracy = float(next(line for line in lines if line.startswith("test accuracy")).split(": ")[1])
    assert accuracy >= 0.9
    assert lines[-1] == f"after save and load: {accuracy:.4f}"


def test_multi_input_output_example():
    lines = run_example("multi_input_output.py")
    results = dict(line.split(": ") for line in lines[-5:])
    assert set(results) == {"loss", "digit_loss", "even_loss", "digit_accuracy", "even_accuracy"}
    assert float(results["digit_accuracy"]) >= 0.93 and float(results["even_accuracy"]) >= 0.9
    assert float(results["loss"]) == pytest.approx(
        float(results["digit_loss"]) + 0.5 * float(results["even_loss"]), abs=2e-4)


def test_callbacks_checkpoint_example_resumes():
    lines = run_example("callbacks_checkpoint.py")
    stopped = int(re.match(r"early stopping after (\d+) of 100 epochs", lines[0]).group(1))
    assert stopped < 100
    assert lines[1] == f"CSV log: {stopped} rows, columns ['epoch', 'accuracy', 'loss', 'val_accuracy', 'val_loss']"
    assert lines[3] == f"resumed for epochs {[stopped + 1, stopped + 2]}"
    assert float(lines[-1].split(": ")[1]) >= 0.93


def test_custom_layer_example_round_trips():
    lines = run_example("custom_layer.py")
    assert float(lines[0].split("mse ")[1]) < 0.1
    assert lines[1] == "loaded layer: Scale with offset 0.1"
    assert lines[2] == "loaded model predicts the same: True"
