"""Quick measurements behind the predictions at the end of benchmarks/NOTES.md.

    python benchmarks/experiments.py                  # all
    python benchmarks/experiments.py shard pool       # some

Each experiment times the expression kerasette runs today against a
candidate replacement, on the workloads' real shapes, in float32, at 2 BLAS
threads (min of ``--repeats`` interleaved runs).  Nothing here changes
kerasette: these are numbers to decide with, not code to ship.

* ``shipped``: kerasette's own sharded training step (``parallel_shards``
  'auto') against the same model with ``set_parallel_shards(1)``;
* ``shard``: the compiled W1/W2/W4 training program run on two half-batch
  shards in two Python threads with BLAS at one thread each, against one
  full-batch call at two BLAS threads (weights are not updated in a
  meaningful way by the shards: this times the work only);
* ``pool``: 2x2 max pooling forward and backward, today's primitives against
  strided-view ``np.maximum`` and a first-max mask written with ``out=``;
* ``bias``: conv bias gradient (``sum_to_like`` over N, H, W) against a
  reshape to ``(rows, C)`` and against ``ones @ grad`` (BLAS gemv);
* ``bias_relu``: bias add + ReLU as two new arrays against in place;
* ``gemm``: the W4 shifted-rows convolution's per-tap ``result += rows @ w``
  against ``scipy.linalg.blas.sgemm`` accumulating in place (beta=1).
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(name, "2")
sys.path[:0] = [HERE, ROOT]

import numpy as np  # noqa: E402
import scipy.linalg.blas  # noqa: E402,F401  (loaded before threadpool_limits, so the limits reach its BLAS)


def best(fns, repeats):
    """Min time (ms) of each function, interleaved so load changes hit all alike."""
    for fn in fns:
        fn()
    times = [float("inf")] * len(fns)
    for _ in range(repeats):
        for i, fn in enumerate(fns):
            start = time.perf_counter()
            fn()
            times[i] = min(times[i], time.perf_counter() - start)
    return [1e3 * t for t in times]


def row(label, current, candidate):
    print(f"| {label} | {current:.3f} | {candidate:.3f} | {current / candidate:.2f}x |")


def header(title):
    print(f"\n{title}\n\n| case | today ms | candidate ms | speed-up |\n|---|---:|---:|---:|")


def rng_array(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape, dtype=np.float32)


# --------------------------------------------------------------------- shard

def shard(repeats):
    from threadpoolctl import threadpool_limits

    from kerasette import backend
    from workloads import WORKLOADS, kerasette_model, make_data
    if hasattr(backend, "set_parallel_shards"):
        backend.set_parallel_shards(1)      # the plain program; this experiment does the sharding
    print("\nThe compiled training program on the whole batch (BLAS at --threads) against two half-batch "
          "shards at one BLAS thread each, one on this thread and one on a worker (as kerasette's "
          "ShardedStep does), and the same two shards one after the other\n")
    print("| case | whole batch ms | two shards in parallel ms | speed-up | two shards in sequence ms |")
    print("|---|---:|---:|---:|---:|")
    pool = ThreadPoolExecutor(1)
    for name in ("w1_train", "w2_train", "w4_train"):
        workload = WORKLOADS[name]
        xs, ys = make_data(workload)
        net = kerasette_model(workload.model)
        net.train_on_batch(xs[0], ys[0])
        program = next(p for key, p in net._programs.items() if key[0] == "train")
        x, y = xs[0], ys[0]
        w = np.ones(len(x), np.float32)
        half = len(x) // 2
        first, second = (x[:half], y[:half], w[:half]), (x[half:], y[half:], w[half:])

        def whole():
            program(x, y, w)

        def parallel():
            with threadpool_limits(1, user_api="blas"):
                other = pool.submit(program, *second)
                program(*first)
                other.result()

        def sequence():
            with threadpool_limits(1, user_api="blas"):
                program(*first)
                program(*second)

        reps = repeats if name != "w4_train" else max(5, repeats // 2)
        current, candidate, serial = best([whole, parallel, sequence], reps)
        print(f"| {name} (batch {len(x)}) | {current:.3f} | {candidate:.3f} | {current / candidate:.2f}x | "
              f"{serial:.3f} |")


# ---------------------------------------------------------------------- pool

def pool(repeats):
    import kerasette.ops  # noqa: F401  (registers the primitives)
    from kerasette.primitives.pooling import MaxPool, MaxPoolGrad
    header("2x2 max pooling (stride 2, valid)")
    for shape in ((128, 24, 24, 10), (64, 32, 32, 32)):
        x = rng_array(shape)
        attrs = dict(pool_size=(2, 2), strides=(2, 2), padding="valid")
        forward, backward = MaxPool(), MaxPoolGrad()
        y = forward.forward(np, x, **attrs)
        grad = rng_array(y.shape, 1)

        def strided_max():
            out = np.maximum(x[:, 0::2, 0::2], x[:, 0::2, 1::2])
            np.maximum(out, x[:, 1::2, 0::2], out=out)
            np.maximum(out, x[:, 1::2, 1::2], out=out)
            return out

        assert np.array_equal(strided_max(), y)
        current, candidate = best([lambda: forward.forward(np, x, **attrs), strided_max], repeats)
        row(f"max_pool fwd {'x'.join(map(str, shape))}", current, candidate)

        def mask_grad():
            result = np.empty_like(x)
            taken = np.zeros(y.shape, bool)
            hit = np.empty(y.shape, bool)
            for i in (0, 1):
                for j in (0, 1):
                    np.equal(x[:, i::2, j::2], y, out=hit)
                    np.greater(hit, taken, out=hit)          # hit and not yet taken
                    np.logical_or(taken, hit, out=taken)
                    np.multiply(grad, hit, out=result[:, i::2, j::2])
            return result

        assert np.array_equal(mask_grad(), backward.forward(np, x, y, grad, **attrs))
        current, candidate = best([lambda: backward.forward(np, x, y, grad, **attrs), mask_grad], repeats)
        row(f"max_pool_grad {'x'.join(map(str, shape))}", current, candidate)


# ---------------------------------------------------------------------- bias

def bias(repeats):
    from kerasette.primitives.arithmetic import sum_to
    header("Bias gradient: sum over N, H, W")
    for shape in ((128, 24, 24, 10), (64, 32, 32, 32)):
        g = rng_array(shape)
        channels = shape[-1]
        ones = np.ones(g.size // channels, np.float32)
        current, reshaped, gemv = best([lambda: sum_to(np, g, (channels,)),
                                        lambda: g.reshape(-1, channels).sum(0),
                                        lambda: ones @ g.reshape(-1, channels)], repeats)
        row(f"reshape(-1, C).sum(0) {'x'.join(map(str, shape))}", current, reshaped)
        row(f"ones @ grad (gemv) {'x'.join(map(str, shape))}", current, gemv)


def bias_relu(repeats):
    header("Bias add + ReLU")
    for shape in ((128, 24, 24, 10), (64, 32, 32, 32)):
        z = rng_array(shape)
        b = rng_array(shape[-1:], 1)

        def two_arrays():
            return np.maximum(np.add(z, b), 0)

        def in_place():
            out = np.add(z, b)
            return np.maximum(out, 0, out=out)

        current, candidate = best([two_arrays, in_place], repeats)
        row(f"add then relu {'x'.join(map(str, shape))}", current, candidate)


# ---------------------------------------------------------------------- gemm

def gemm(repeats):
    from scipy.linalg.blas import sgemm
    header("W4 shifted-rows convolution forward: 9 taps accumulated")
    for batch, size, cin, cout in ((64, 32, 32, 32), (64, 16, 64, 64)):
        padded = size + 2
        rows = rng_array((batch * padded * padded, cin))
        weights = rng_array((9, cin, cout), 1)
        offsets = [i * padded + j for i in range(3) for j in range(3)]
        count = rows.shape[0] - offsets[-1]

        def numpy_taps():
            result = np.zeros((rows.shape[0], cout), np.float32)
            np.matmul(rows[:count], weights[0], out=result[:count])
            for tap in range(1, 9):
                result[:count] += rows[offsets[tap]:offsets[tap] + count] @ weights[tap]
            return result

        def sgemm_taps():
            result = np.zeros((rows.shape[0], cout), np.float32)
            # C-order (count, cout) is Fortran-order (cout, count): compute result^T += w^T @ rows^T
            target = result[:count].T
            for tap in range(9):
                sgemm(1.0, weights[tap].T, rows[offsets[tap]:offsets[tap] + count].T, beta=1.0,
                      c=target, overwrite_c=True)
            return result

        assert np.allclose(numpy_taps(), sgemm_taps(), atol=1e-3)
        current, candidate = best([numpy_taps, sgemm_taps], max(3, repeats // 3))
        row(f"conv fwd {batch}x{size}x{size}x{cin} -> {cout}", current, candidate)


def shipped(repeats):
    """kerasette's own two-shard training step ('auto') against set_parallel_shards(1)."""
    from kerasette import backend
    from workloads import WORKLOADS, kerasette_model, make_data
    if not hasattr(backend, "set_parallel_shards"):
        print("\nkerasette has no backend.set_parallel_shards: nothing to compare")
        return
    header("train_on_batch: kerasette's sharded step ('auto') is the candidate, "
           "set_parallel_shards(1) is 'today'")
    for name in ("w1_train", "w2_train", "w4_train"):
        workload = WORKLOADS[name]
        xs, ys = make_data(workload)
        nets = {}
        for setting in (1, "auto"):
            backend.set_parallel_shards(setting)
            nets[setting] = kerasette_model(workload.model)
            nets[setting].train_on_batch(xs[0], ys[0])      # compiles under this setting
        counter = [0]

        def step(net):
            i = counter[0] = counter[0] + 1
            net.train_on_batch(xs[i % len(xs)], ys[i % len(ys)])

        reps = repeats if name != "w4_train" else max(5, repeats // 2)
        current, candidate = best([lambda: step(nets[1]), lambda: step(nets["auto"])], reps)
        row(f"{name} (batch {workload.batch})", current, candidate)
    backend.set_parallel_shards("auto")


EXPERIMENTS = {"shipped": shipped, "shard": shard, "pool": pool, "bias": bias, "bias_relu": bias_relu, "gemm": gemm}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="any of: " + ", ".join(EXPERIMENTS))
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--threads", type=int, default=2,
                        help="BLAS threads for 'today' (1 separates the arithmetic from thread sync "
                             "when other jobs hold a core)")
    args = parser.parse_args(argv)
    unknown = set(args.names) - set(EXPERIMENTS)
    if unknown:
        parser.error(f"unknown experiment(s) {sorted(unknown)}; choose from {', '.join(EXPERIMENTS)}")
    print(f"load average at start: {tuple(round(x, 2) for x in os.getloadavg())}")
    from threadpoolctl import threadpool_limits
    print(f"BLAS threads: {args.threads}")
    for name in args.names or list(EXPERIMENTS):
        with threadpool_limits(args.threads, user_api="blas"):
            EXPERIMENTS[name](args.repeats)
    print(f"\nload average at end: {tuple(round(x, 2) for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
