"""Parallel input pipelines: training with workers=2 against workers=1 on this machine.

    python benchmarks/pipeline.py            # measures, prints, and writes its section of RESULTS.md
    python benchmarks/pipeline.py --quick    # a short run, nothing written

The work (issue 17): loading one batch costs about as much as one training
step. A folder of PNG files (generated once, random pixels so they do not
compress) is read by ``image_dataset_from_directory``: each batch decodes
its files with Pillow, resizes them with ``ops.image.resize`` and is
augmented (random flips and crops in numpy); the model is W4's CNN
(../shared/reference/workloads.md) with Adam, batch 64. The same epochs
run with ``workers=1`` (load, then train, in turn), ``workers=2`` threads
and ``workers=2`` processes; samples/s are compared (median of the repeats).

Like benchmarks/run.py, the command unsets OPENBLAS_CORETYPE and
OPENBLAS_L2_SIZE (here only, never in tests or CI) and records the OpenBLAS
kernel threadpoolctl reports.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)

BEGIN = "<!-- benchmarks/pipeline.py: begin (this section is rewritten by each full run) -->"
END = "<!-- benchmarks/pipeline.py: end -->"


def make_folder(root, count, size, seed=0):
    import numpy as np
    from PIL import Image
    rng = np.random.default_rng(seed)
    for label in ("a", "b"):
        os.makedirs(os.path.join(root, label), exist_ok=True)
    for index in range(count):
        pixels = rng.integers(0, 256, size=(size, size, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(os.path.join(root, "ab"[index % 2], f"{index:05d}.png"))
    return root


def build_model():
    import kerasette
    from kerasette import layers
    kerasette.utils.set_random_seed(0)
    model = kerasette.Sequential([
        kerasette.Input((32, 32, 3)), layers.Rescaling(1 / 255),
        layers.Conv2D(32, 3, padding="same", activation="relu"),
        layers.Conv2D(32, 3, padding="same", activation="relu"), layers.MaxPooling2D(2),
        layers.Conv2D(64, 3, padding="same", activation="relu"),
        layers.Conv2D(64, 3, padding="same", activation="relu"), layers.MaxPooling2D(2),
        layers.Flatten(), layers.Dense(128, activation="relu"), layers.Dense(10, activation="softmax")])
    model.compile(optimizer=kerasette.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy")
    return model


class Augment:
    """Random flips and 4-pixel-padded random crops, in numpy (a picklable callable)."""

    def __init__(self, seed=0):
        self.seed = seed

    def __call__(self, x, y):
        import numpy as np
        rng = np.random.default_rng([self.seed, int(x[0, 0, 0, 0] * 1000) % 100000])
        flip = rng.random(len(x)) < 0.5
        x = np.where(flip[:, None, None, None], x[:, :, ::-1], x)
        padded = np.pad(x, ((0, 0), (4, 4), (4, 4), (0, 0)), mode="reflect")
        out = np.empty_like(x)
        for i, (dy, dx) in enumerate(rng.integers(0, 9, size=(len(x), 2))):
            out[i] = padded[i, dy:dy + 32, dx:dx + 32]
        return out, y


def run_child(folder, workers, processes, epochs, source_size):
    import kerasette
    if os.environ.get("PIPELINE_STEP_SHARDS"):
        kerasette.backend.set_parallel_shards(os.environ["PIPELINE_STEP_SHARDS"])
    dataset = kerasette.utils.image_dataset_from_directory(
        folder, image_size=(32, 32), batch_size=64, seed=1, verbose=False, workers=workers,
        use_multiprocessing=processes, max_queue_size=4).map(Augment())
    model = build_model()
    model.fit(dataset.take(3), epochs=1, verbose=0)        # compile and warm up
    start = time.perf_counter()
    model.fit(dataset, epochs=epochs, verbose=0)
    elapsed = time.perf_counter() - start
    samples = epochs * len(dataset.dataset.items)
    # how long one batch takes to load and one step to train, each alone
    t0 = time.perf_counter()
    batches = [dataset[i] for i in range(3)]
    load = (time.perf_counter() - t0) / 3
    t0 = time.perf_counter()
    for x, y in batches:
        model.train_on_batch(x, y)
    step = (time.perf_counter() - t0) / 3
    print(f"RESULT {samples / elapsed:.2f} {load:.4f} {step:.4f}", flush=True)


def kernel():
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "threadpoolctl not installed"
    return "; ".join(f"{p.get('internal_api')} {p.get('architecture')} x{p.get('num_threads')}"
                     for p in threadpool_info() if p.get("user_api") == "blas")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--images", type=int, default=1920)
    parser.add_argument("--source-size", type=int, default=320)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--step-threads", default="1,2",
                        help="cores the training step may use, one table per value (comma-separated): 1 is one "
                             "BLAS thread and one batch shard, 2 is two BLAS threads and kerasette's automatic "
                             "batch shards")
    parser.add_argument("--child", nargs=5)
    args = parser.parse_args()
    if args.child:
        folder, workers, processes, epochs, size = args.child
        run_child(folder, int(workers), processes == "1", int(epochs), int(size))
        return
    if args.quick:
        args.repeats, args.images, args.epochs = 1, 256, 1
    configs = [("workers=1", 1, 0), ("workers=2 threads", 2, 0), ("workers=2 processes", 2, 1)]
    lines = [BEGIN, "", "## Parallel input pipeline (benchmarks/pipeline.py)", "",
             f"{args.images} PNG files of {args.source_size}x{args.source_size} random pixels, decoded, resized to "
             "32x32 and augmented per batch of 64, training W4's CNN with Adam; "
             f"{args.epochs} epochs per run, median of {args.repeats} runs, each in a fresh process, the loaders "
             "interleaved. On one core the training step leaves the second core to the loaders (the case the "
             "issue's figure is about: loading one batch costs about one step); on two, the step itself already "
             "spreads its GEMMs and batch shards over both cores, so loading in parallel can only take the "
             "time the step leaves idle."]
    for threads in [int(value) for value in str(args.step_threads).split(",")]:
        env = dict(os.environ, OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads),
                   MKL_NUM_THREADS=str(threads))
        if threads == 1:
            env["PIPELINE_STEP_SHARDS"] = "1"
        else:
            env.pop("PIPELINE_STEP_SHARDS", None)
        env.pop("OPENBLAS_CORETYPE", None)
        env.pop("OPENBLAS_L2_SIZE", None)
        results = {name: [] for name, _, _ in configs}
        details = {}
        with tempfile.TemporaryDirectory() as tmp:
            folder = make_folder(os.path.join(tmp, "images"), args.images, args.source_size)
            for repeat in range(args.repeats):
                for name, workers, processes in (configs if repeat % 2 == 0 else configs[::-1]):
                    out = subprocess.run([sys.executable, __file__, "--child", folder, str(workers), str(processes),
                                          str(args.epochs), str(args.source_size)], env=env, capture_output=True,
                                         text=True, check=True).stdout
                    line = [row for row in out.splitlines() if row.startswith("RESULT")][-1].split()
                    results[name].append(float(line[1]))
                    details[name] = (float(line[2]), float(line[3]))
                    print(f"step on {threads} core(s), {name}: {line[1]} samples/s (one batch loads in {line[2]} s, "
                          f"one step trains in {line[3]} s)", flush=True)
        base = statistics.median(results["workers=1"])
        kernel_text = subprocess.run([sys.executable, "-c", "import numpy, sys; sys.path.insert(0, %r); "
                                      "from benchmarks.pipeline import kernel; print(kernel())" % ROOT],
                                     env=env, capture_output=True, text=True).stdout.strip()
        load, step = details["workers=1"]
        what = ("the training step on one core: one BLAS thread, one batch shard" if threads == 1 else
                f"the training step on {threads} cores: {threads} BLAS threads, kerasette's automatic batch shards")
        lines += ["", f"### {what} (OpenBLAS kernel: {kernel_text})", "",
                  "| loader | samples/s (median, min-max) | speed-up over workers=1 |", "|---|---|---|"]
        for name, _, _ in configs:
            values = results[name]
            lines.append(f"| {name} | {statistics.median(values):.1f} ({min(values):.1f}-{max(values):.1f}) | "
                         f"{statistics.median(values) / base:.2f}x |")
        lines += ["", f"One batch alone loads in {load * 1e3:.0f} ms and one step alone trains in "
                  f"{step * 1e3:.0f} ms (measured after the workers=1 run)."]
    lines += ["", END]
    text = "\n".join(lines)
    print(text)
    if not args.quick:
        from benchmarks.results_section import write_section
        write_section(os.path.join(HERE, "RESULTS.md"), BEGIN, END, text)


if __name__ == "__main__":
    main()
