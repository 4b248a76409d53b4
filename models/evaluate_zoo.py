"""Train every zoo model on the embedded digits and write the accuracy table into models/README.md.

Run from the repository root (offline; about 20 seconds on 2 cores)::

    python models/evaluate_zoo.py            # train all, print the table, update models/README.md
    python models/evaluate_zoo.py --no-write # print only
    python models/evaluate_zoo.py --only mlp lenet5 --epochs 5

Each model gets the same treatment, so the numbers compare architectures, not
tuning: the random seed is reset before the model is built, then it is
compiled with Adam (learning rate 0.001), sparse categorical cross-entropy and
accuracy, trained for ``EPOCHS`` epochs in batches of 32 on the 1,437 training
digits (pixels scaled by 1/16 to [0, 1], a channel axis added) and evaluated on
the 360 test digits.  The seconds are the wall time of ``fit`` on the machine
that ran the script; the table records which machine that was.  The script
runs numpy's BLAS on one thread unless told otherwise (see below).
"""
from __future__ import annotations

import argparse
import datetime
import os
import platform
import re
import sys
import time

# One BLAS thread, set before numpy loads (an environment variable already set
# wins): the training trajectory then does not depend on the machine's core
# count (threads change the order of floating-point sums, and 20 epochs amplify
# that into a different accuracy), and these small matmuls gain nothing from
# threads; on 2 busy cores, two OpenBLAS threads made this script ten times slower.
BLAS_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
if __name__ == "__main__":
    for variable in BLAS_THREAD_VARIABLES:
        os.environ.setdefault(variable, "1")

# run as a script, the repository root (for ``models`` and the checkout's ``kerasette``) is not on the path
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

import numpy as np  # noqa: E402

from kerasette.datasets import digits  # noqa: E402
from kerasette.utils import set_random_seed  # noqa: E402
from models import ZOO  # noqa: E402

SEED = 1234
EPOCHS = 20
BATCH_SIZE = 32
README = os.path.join(ROOT, "models", "README.md")
# the table is written between these markers; everything else in the README is left alone
START_MARKER = "<!-- zoo-table:start (written by models/evaluate_zoo.py) -->"
END_MARKER = "<!-- zoo-table:end -->"


def load_digits():
    """The embedded digits as float32 (n, 8, 8, 1) in [0, 1] and integer labels."""
    (x_train, y_train), (x_test, y_test) = digits.load_data()

    def prepare(images):
        return (images.astype("float32") / 16.0)[..., np.newaxis]

    return (prepare(x_train), y_train.astype("int64")), (prepare(x_test), y_test.astype("int64"))


def evaluate(name: str, train, test, epochs: int = EPOCHS) -> dict:
    """Build, train and test one zoo model; returns one row of the table."""
    (x_train, y_train), (x_test, y_test) = train, test
    set_random_seed(SEED)
    model = ZOO[name](input_shape=x_train.shape[1:], num_classes=10)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    started = time.perf_counter()
    history = model.fit(x_train, y_train, batch_size=BATCH_SIZE, epochs=epochs, verbose=0)
    seconds = time.perf_counter() - started
    test_loss, test_accuracy = model.evaluate(x_test, y_test, batch_size=256, verbose=0)
    return {"name": name, "params": model.count_params(), "accuracy": float(test_accuracy),
            "loss": float(test_loss), "train_accuracy": float(history.history["accuracy"][-1]),
            "epochs": epochs, "seconds": seconds}


def machine() -> str:
    """A one-line description of where the numbers were measured."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    cpu = platform.processor() or ""
    if not cpu and os.path.exists("/proc/cpuinfo"):
        with open("/proc/cpuinfo") as cpuinfo:
            cpu = next((line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")), "")
    threads = os.environ.get("OPENBLAS_NUM_THREADS") or os.environ.get("OMP_NUM_THREADS") or "default"
    return (f"{cpu or platform.machine()}, {cores} cores, {platform.system()}, "
            f"Python {platform.python_version()}, numpy {np.__version__}, BLAS threads: {threads}")


def markdown_table(rows: list) -> str:
    lines = ["| model | parameters | test accuracy | epochs | seconds |",
             "|---|---:|---:|---:|---:|"]
    for row in rows:
        lines.append(f"| `{row['name']}` | {row['params']:,} | {100 * row['accuracy']:.1f}% "
                     f"| {row['epochs']} | {row['seconds']:.1f} |")
    return "\n".join(lines)


def write_readme(table: str, path: str = README) -> None:
    """Replace the text between the markers in the README with the new table."""
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    pattern = re.compile(re.escape(START_MARKER) + r".*?" + re.escape(END_MARKER), re.S)
    if not pattern.search(text):
        raise ValueError(f"{path} lacks the markers {START_MARKER!r} ... {END_MARKER!r}")
    text = pattern.sub(lambda _: f"{START_MARKER}\n{table}\n{END_MARKER}", text)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)


def main(argv=None) -> list:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=list(ZOO), help="evaluate these models only")
    parser.add_argument("--epochs", type=int, default=EPOCHS, help=f"epochs per model (default {EPOCHS})")
    parser.add_argument("--no-write", action="store_true", help="print the table, leave models/README.md alone")
    args = parser.parse_args(argv)

    train, test = load_digits()
    rows = []
    for name in args.only or list(ZOO):
        row = evaluate(name, train, test, epochs=args.epochs)
        print(f"{name:<14} {row['params']:>8,} params  test accuracy {100 * row['accuracy']:5.1f}%  "
              f"train accuracy {100 * row['train_accuracy']:5.1f}%  {row['seconds']:5.1f} s", flush=True)
        rows.append(row)

    table = markdown_table(rows)
    stamp = (f"Measured {datetime.date.today().isoformat()} on {machine()}; "
             f"{len(train[0])} training and {len(test[0])} test digits, seed {SEED}, batch size {BATCH_SIZE}.")
    print()
    print(table)
    print()
    print(stamp)
    if not args.no_write:
        if args.only or args.epochs != EPOCHS:
            print("(a partial or non-default run: models/README.md left as it is)")
        else:
            write_readme(f"{table}\n\n{stamp}")
            print(f"wrote the table into {os.path.relpath(README)}")
    return rows


if __name__ == "__main__":
    main()
