"""kerasette against PyTorch on the ops a CNN and an MLP spend their time in.

    python benchmarks/ops.py            # prints the machine and a markdown table
    python benchmarks/ops.py --repeats 30

Each row times one training-shaped step, forward and backward, in float32:
kerasette builds the graph once (``engine.gradients``) and reruns the
compiled ``Program`` like a Keras training step does; PyTorch runs eagerly
with ``torch.set_num_threads(2)`` in its native layout (NCHW).  Convolutions
compute the gradients of both the input and the kernel in both libraries.
Times are the median of ``--repeats`` runs after two warm-up runs; the ratio
is kerasette's time over PyTorch's (below 1: kerasette is faster).
"""
from __future__ import annotations

import argparse
import datetime
import os
import platform
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import kerasette  # noqa: E402
import kerasette.ops as ops  # noqa: E402
from kerasette import engine  # noqa: E402

try:
    import torch
except ImportError:      # the benchmark still times kerasette alone
    torch = None

CONV_SHAPES = [
    # (label, input shape NHWC, kernel shape (kh, kw, in, out), padding)
    ("W1 conv1 128x28x28x1 5x5->10 valid", (128, 28, 28, 1), (5, 5, 1, 10), "valid"),
    ("W1 conv2 128x12x12x10 5x5->20 valid", (128, 12, 12, 10), (5, 5, 10, 20), "valid"),
    ("W4 64x32x32x32 3x3->32 same", (64, 32, 32, 32), (3, 3, 32, 32), "same"),
]
MLP_LAYERS = (784, 512, 512, 10)
MLP_BATCH = 128


def median_ms(step, repeats):
    step()
    step()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3


def random(shape, seed):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


# ---------------------------------------------------------------- kerasette

def kerasette_conv_step(x_value, kernel_value, padding):
    with engine.Graph().as_default():
        x = engine.placeholder("float32", (None,) + x_value.shape[1:])
        kernel = engine.placeholder("float32", kernel_value.shape)
        y = ops.conv2d(x, kernel, padding=padding)
        grad_y = engine.placeholder("float32", y.shape)
        grads = engine.gradients(y, [x, kernel], grad_ys=grad_y)
        program = engine.Program([y] + grads, [x, kernel, grad_y])
    grad_value = random((x_value.shape[0],) + y.shape[1:], 2)
    return lambda: program(x_value, kernel_value, grad_value)


def kerasette_mlp_step(x_value, labels, weights):
    with engine.Graph().as_default():
        x = engine.placeholder("float32", (None, MLP_LAYERS[0]))
        target = engine.placeholder("int64", (None,))
        params = [engine.placeholder("float32", w.shape) for w in weights]
        hidden = x
        for i in range(0, len(params), 2):
            hidden = ops.matmul(hidden, params[i]) + params[i + 1]
            if i + 2 < len(params):
                hidden = ops.relu(hidden)
        loss = ops.mean(ops.sparse_categorical_crossentropy(target, hidden, from_logits=True))
        grads = engine.gradients(loss, params)
        program = engine.Program([loss] + grads, [x, target] + params)
    return lambda: program(x_value, labels, *weights)


# ------------------------------------------------------------------ PyTorch

def torch_conv_step(x_value, kernel_value, padding):
    x = torch.tensor(x_value).permute(0, 3, 1, 2).contiguous().requires_grad_()
    weight = torch.tensor(kernel_value).permute(3, 2, 0, 1).contiguous().requires_grad_()
    torch_padding = "same" if padding == "same" else 0
    with torch.no_grad():
        shape = torch.nn.functional.conv2d(x, weight, padding=torch_padding).shape
    grad = torch.tensor(random(tuple(shape), 2))

    def step():
        x.grad = weight.grad = None
        y = torch.nn.functional.conv2d(x, weight, padding=torch_padding)
        y.backward(grad)
    return step


def torch_mlp_step(x_value, labels, weights):
    x = torch.tensor(x_value)
    target = torch.tensor(labels)
    params = [torch.tensor(w).requires_grad_() for w in weights]

    def step():
        for p in params:
            p.grad = None
        hidden = x
        for i in range(0, len(params), 2):
            hidden = hidden @ params[i] + params[i + 1]
            if i + 2 < len(params):
                hidden = torch.relu(hidden)
        loss = torch.nn.functional.cross_entropy(hidden, target)
        loss.backward()
    return step


# --------------------------------------------------------------------- main

def machine() -> list[str]:
    model = "unknown"
    try:
        with open("/proc/cpuinfo") as info:
            model = next(line.split(":", 1)[1].strip() for line in info if line.startswith("model name"))
    except (OSError, StopIteration):
        model = platform.processor() or model
    lines = [f"- date: {datetime.date.today().isoformat()}",
             f"- CPU: {model}, nproc {os.cpu_count()}",
             f"- Python {platform.python_version()}, numpy {np.__version__}, "
             f"kerasette {getattr(kerasette, '__version__', 'dev')}"
             + (f", torch {torch.__version__} (set_num_threads(2))" if torch else ", torch absent")]
    return lines


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args(argv)
    if torch is not None:
        torch.set_num_threads(2)

    rows = []
    for label, x_shape, kernel_shape, padding in CONV_SHAPES:
        x, kernel = random(x_shape, 0), random(kernel_shape, 1)
        rows.append((label + " fwd+bwd",
                     median_ms(kerasette_conv_step(x, kernel, padding), args.repeats),
                     median_ms(torch_conv_step(x, kernel, padding), args.repeats) if torch else None))

    if hasattr(ops, "matmul") and hasattr(ops, "sparse_categorical_crossentropy"):
        x = random((MLP_BATCH, MLP_LAYERS[0]), 3)
        labels = np.random.default_rng(4).integers(0, MLP_LAYERS[-1], MLP_BATCH)
        weights = []
        for i, (n_in, n_out) in enumerate(zip(MLP_LAYERS[:-1], MLP_LAYERS[1:])):
            weights += [random((n_in, n_out), 10 + i) * np.float32(np.sqrt(2 / n_in)),
                        np.zeros(n_out, np.float32)]
        label = "MLP 784-512-512-10 batch 128 fwd+bwd"
        rows.append((label, median_ms(kerasette_mlp_step(x, labels, weights), args.repeats),
                     median_ms(torch_mlp_step(x, labels, weights), args.repeats) if torch else None))
    else:
        print("note: kerasette.ops.matmul / sparse_categorical_crossentropy missing: MLP row skipped")

    print("\n".join(machine()))
    if torch is None:
        print("note: torch is not installed: kerasette times only")
    print()
    print("| step | kerasette ms | torch ms | kerasette / torch |")
    print("|---|---:|---:|---:|")
    for label, ours, theirs in rows:
        ratio = f"{ours / theirs:.2f}" if theirs else "-"
        theirs_text = f"{theirs:.2f}" if theirs else "-"
        print(f"| {label} | {ours:.2f} | {theirs_text} | {ratio} |")


if __name__ == "__main__":
    main()
