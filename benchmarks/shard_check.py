"""Which steps of a sharded training program keep the other shard waiting.

    python benchmarks/shard_check.py --workload w1_train
    python benchmarks/shard_check.py --workload w4_train --min-ms 0.2

Two half-batch shards only run side by side where numpy releases the GIL.
This runs every step of one shard's compiled program (one BLAS thread, the
shard's real inputs) three times in a row, then the same three calls in this
thread and in ``backend.helper_thread()`` at once, and prints the ratio:
about 1.0 means the two copies overlap, about 2.0 means they ran one after
the other (the GIL was held, or a lock inside a library was).  Each step is
measured twice (a pass to warm up the thread and caches, then the reported
pass); steps faster than ``--min-ms`` are skipped, their Python overhead
dominates anyway.  Found this way (benchmarks/NOTES.md): numpy's matmul keeps
the GIL when its result has at most 500 elements, as the kernel gradient of a
first convolution layer has.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.dirname(HERE)]

import numpy as np  # noqa: E402

from workloads import WORKLOADS, kerasette_model, make_data  # noqa: E402


def shard_program(workload_name):
    """The per-shard step program of the workload's sharded training step, and one shard's feeds."""
    from kerasette import backend
    workload = WORKLOADS[workload_name]
    backend.set_parallel_shards(2)
    model = kerasette_model(workload.model)
    xs, ys = make_data(workload)
    for i in range(3):
        model.train_on_batch(xs[i], ys[i])
    program = next(p for key, p in model._programs.items() if key[0] == "train")
    step = program.step
    half = workload.batch // 2
    feeds = [xs[0][:half], ys[0][:half].astype(step.feeds[1].dtype), np.ones(half, np.float32)]
    return step, feeds


def recorded_calls(program, feeds):
    """Every step of one run of ``program`` with the arrays it was called with."""
    values = list(program.template)
    for slot, holder in program.variable_slots:
        values[slot] = holder.data
    for slot, value in zip(program.feed_slots, feeds):
        values[slot] = value
    calls = []
    for forward, in_slots, attrs, out_slot, _ in program.steps:
        args = [values[i] for i in in_slots]
        values[out_slot] = forward(program.xp, *args, **attrs)
        calls.append((forward, args, attrs))
    return calls


def median_seconds(fn, repeats):
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workload", default="w1_train", choices=["w1_train", "w4_train"])
    parser.add_argument("--min-ms", type=float, default=0.05, help="skip steps faster than this")
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args(argv)
    from kerasette import backend
    program, feeds = shard_program(args.workload)
    helper = backend.helper_thread()
    rows = []
    with backend.limit_blas_threads(1):
        for attempt in range(2):
            rows = []
            for forward, call_args, attrs in recorded_calls(program, feeds):
                def three(forward=forward, call_args=call_args, attrs=attrs):
                    for _ in range(3):
                        forward(np, *call_args, **attrs)
                alone = median_seconds(three, args.repeats)
                if alone / 3 * 1e3 < args.min_ms:
                    continue

                def both(three=three):
                    other = helper.submit(three)
                    three()
                    other.result()
                together = median_seconds(both, args.repeats)
                shapes = ", ".join("x".join(map(str, a.shape)) if hasattr(a, "shape") else repr(a)
                                   for a in call_args)
                rows.append((type(forward.__self__).__name__, shapes, alone / 3 * 1e3, together / alone))
    print(f"{args.workload}: one shard's program steps, alone vs two copies at once (1 BLAS thread each)\n")
    print("| step | inputs | ms alone | two at once / alone |")
    print("|---|---|---:|---:|")
    for name, shapes, ms, ratio in rows:
        print(f"| {name} | {shapes} | {ms:.3f} | {ratio:.2f} |")
    lost = sum(ms * (ratio - 1) for _, _, ms, ratio in rows)
    print(f"\ntime lost to serialisation: {lost:.2f} ms of {sum(r[2] for r in rows):.2f} ms "
          "(sum of ms alone x (ratio - 1))")


if __name__ == "__main__":
    main()
