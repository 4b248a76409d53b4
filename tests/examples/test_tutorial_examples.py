"""The tutorial's tf.layers graph and PyTorch Net, as scripts with only the imports changed,
each run in a fresh interpreter and checked line by line."""
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_example(name: str) -> list:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    completed = subprocess.run([sys.executable, str(ROOT / "examples" / name)], cwd=ROOT, env=env,
                               capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, f"{name} failed:\n{completed.stdout}\n{completed.stderr}"
    return completed.stdout.splitlines()


def test_tf_layers_graph_prints_the_softmax_node_and_runs():
    assert run_example("tf_layers_graph.py") == [
        # TensorFlow 1 prints Tensor("Softmax:0", shape=(?, 10), dtype=float32)
        'Tensor("Softmax:0", shape=(None, 10), dtype=float32)',
        "conv2d/kernel:0 (5, 5, 1, 10)",
        "conv2d/bias:0 (10,)",
        "conv2d_1/kernel:0 (5, 5, 10, 20)",
        "conv2d_1/bias:0 (20,)",
        "dense/kernel:0 (320, 50)",
        "dense/bias:0 (50,)",
        "dense_1/kernel:0 (50, 10)",
        "dense_1/bias:0 (10,)",
        "parameters: 21840",   # the Keras summary of the same model: Total params 21,840
        "output shape: (32, 10)",
        "each row sums to 1: True",
    ]


def test_pytorch_net_prints_like_torch_and_its_loss_falls():
    lines = run_example("pytorch_net.py")
    # exactly what PyTorch prints for the tutorial's Net
    assert lines[:6] == [
        "Net(",
        "  (conv1): Conv2d(1, 10, kernel_size=(5, 5), stride=(1, 1))",
        "  (conv2): Conv2d(10, 20, kernel_size=(5, 5), stride=(1, 1))",
        "  (fc1): Linear(in_features=320, out_features=50, bias=True)",
        "  (fc2): Linear(in_features=50, out_features=10, bias=True)",
        ")",
    ]
    assert lines[6] == "output shape: (64, 10)"
    steps = [re.fullmatch(r"step +(\d+): nll loss (\d+\.\d{4})", line) for line in lines[7:]]
    assert all(steps), lines[7:]
    assert [int(m.group(1)) for m in steps] == list(range(1, 21))
    losses = [float(m.group(2)) for m in steps]
    # untrained, the log-probabilities of 10 classes are near uniform: -log(1/10) = 2.303
    assert abs(losses[0] - 2.303) < 0.1, losses
    assert losses[-1] < 0.7 * losses[0], losses
    assert sum(b < a for a, b in zip(losses, losses[1:])) >= 17, losses
