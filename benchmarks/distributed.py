"""Data-parallel training over MPI: 1 rank against 2 ranks, W2 and W4.

    python benchmarks/distributed.py            # full run, rewrites its section of RESULTS.md
    python benchmarks/distributed.py --sharded  # also 2 ranks with DataParallel(sharded_update=True)
    python benchmarks/distributed.py --quick    # one short run each, prints only

Each configuration trains the workload's model (benchmarks/workloads.py,
``kerasette_model``) with ``fit`` on the same global batches (W2: 128, W4: 64)
in fresh processes: 1 rank is plain ``python``, 2 ranks are
``mpiexec -n 2 --oversubscribe --bind-to none`` with
``set_distribution(DataParallel())``.  Every process has one BLAS thread
(``OMP/OPENBLAS/MKL_NUM_THREADS=1``) and does not split its steps over threads
(``set_parallel_shards(1)``), so 1 rank uses one core and 2 ranks two;
``OPENBLAS_CORETYPE`` and ``OPENBLAS_L2_SIZE`` are removed from the
environment (as benchmarks/run.py does) and the OpenBLAS kernel is recorded
(threadpoolctl).  Samples/s is the median of ``--repeats`` runs, the
configurations interleaved; the allreduce time per step comes from
``kerasette.distribution.mpi.stats`` (rank 0's wait in ``MPI_Allreduce``,
which includes waiting for the slower rank).  The machine's load average is
recorded with the results, since other jobs share its cores, and a control
runs beside them: two independent 1-rank trainings at once (no MPI), whose
summed samples/s is what the machine gives two processes at that moment,
the ceiling for 2 ranks.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
BEGIN = "<!-- benchmarks/distributed.py: begin (this section is rewritten by each full run) -->"
END = "<!-- benchmarks/distributed.py: end -->"
WORKLOADS = {"w2": ("W2 MLP train (b128, Adam)", 128), "w4": ("W4 wide CNN train (b64, Adam)", 64)}


def kernel():
    """The OpenBLAS kernel numpy uses (threadpoolctl), or why it is not known."""
    import numpy  # noqa: F401  (loads the BLAS threadpoolctl looks for)
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "threadpoolctl not installed"
    pools = [pool for pool in threadpool_info() if pool.get("internal_api") == "openblas"]
    return ", ".join(sorted({f"openblas {pool.get('architecture')} {pool.get('version')}" for pool in pools})) or "n/a"


# ====================================================================== child

def run_child(model_name, steps, sharded):
    import numpy as np

    sys.path.insert(0, ROOT)
    from benchmarks.workloads import CLASSES, INPUT_SHAPES, kerasette_model
    from kerasette import backend, distribution
    from kerasette.distribution import mpi

    backend.set_parallel_shards(1)
    distribution.set_distribution(distribution.DataParallel(sharded_update=sharded))
    batch = WORKLOADS[model_name][1]
    rng = np.random.default_rng(0)
    x = rng.standard_normal((steps * batch,) + INPUT_SHAPES[model_name], dtype=np.float32)
    y = rng.integers(0, CLASSES[model_name], steps * batch)
    model = kerasette_model(model_name)
    warm = min(steps, 5) * batch
    model.fit(x[:warm], y[:warm], batch_size=batch, epochs=1, verbose=0, shuffle=False)
    mpi.stats.update(allreduce_calls=0, allreduce_seconds=0.0, allreduce_bytes=0)
    started = time.perf_counter()
    model.fit(x, y, batch_size=batch, epochs=1, verbose=0, shuffle=False)
    elapsed = time.perf_counter() - started
    if distribution.rank() == 0:
        calls = max(1, mpi.stats["allreduce_calls"])
        print(f"RESULT {steps * batch / elapsed:.2f} {1e3 * elapsed / steps:.3f} "
              f"{1e3 * mpi.stats['allreduce_seconds'] / steps:.3f} {mpi.stats['allreduce_bytes'] / calls / 1e6:.4f} "
              f"{calls / steps:.2f}", flush=True)


# ===================================================================== parent

def child_env():
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1",
               OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    env.pop("OPENBLAS_CORETYPE", None)
    env.pop("OPENBLAS_L2_SIZE", None)
    for name in list(env):
        if name.startswith(("OMPI_COMM_WORLD", "PMIX_", "PMI_")):
            del env[name]
    env["PYTHONPATH"] = ROOT + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


def mpiexec():
    beside = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    return beside if os.path.exists(beside) else shutil.which("mpiexec")


def launch(model_name, ranks, steps, sharded=False, independent=False):
    """One run; ``independent``: ``ranks`` separate 1-rank processes at once (no MPI), their
    samples/s summed: what the machine gives that many processes right now."""
    child = [sys.executable, os.path.abspath(__file__), "--child", model_name, str(steps), str(int(sharded))]
    if independent:
        commands = [child] * ranks
    else:
        commands = [child if ranks == 1 else [mpiexec(), "-n", str(ranks), "--oversubscribe", "--bind-to", "none",
                                              *child]]
    running = [subprocess.Popen(command, env=child_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                cwd=ROOT) for command in commands]
    results = []
    for command, process in zip(commands, running):
        out, err = process.communicate(timeout=900)
        if process.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed:\n{out}\n{err}")
        fields = [line for line in out.splitlines() if line.startswith("RESULT")][-1].split()[1:]
        results.append(dict(zip(("samples", "step_ms", "allreduce_ms", "mb", "calls"), map(float, fields))))
    result = results[0]
    result["samples"] = sum(r["samples"] for r in results)
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--steps", default="w2=150,w4=30", help="global steps per timed epoch, per workload")
    parser.add_argument("--workloads", default="w2,w4")
    parser.add_argument("--sharded", action="store_true",
                        help="also time 2 ranks with the sharded optimizer update (DataParallel(sharded_update=True))")
    parser.add_argument("--quick", action="store_true", help="one short run each; RESULTS.md is left alone")
    parser.add_argument("--child", nargs=3)
    args = parser.parse_args()
    if args.child:
        run_child(args.child[0], int(args.child[1]), args.child[2] == "1")
        return
    steps = dict(item.split("=") for item in args.steps.split(","))
    if args.quick:
        args.repeats = 1
        steps = {name: str(max(5, int(value) // 5)) for name, value in steps.items()}
    # the control: two 1-rank trainings at once, each on the full batch, no MPI: what two processes
    # get from the machine now (other jobs share its cores); 2 ranks can at best match it
    configs = [("1 rank", 1, False, False), ("control: 2 independent 1-rank runs at once", 2, False, True),
               ("2 ranks", 2, False, False)] + ([("2 ranks, sharded update", 2, True, False)] if args.sharded else [])
    load_before = os.getloadavg()
    kernel_text = subprocess.run([sys.executable, "-c", f"import sys; sys.path.insert(0, {ROOT!r}); "
                                  "from benchmarks.distributed import kernel; print(kernel())"],
                                 env=child_env(), capture_output=True, text=True).stdout.strip()
    rows = []
    for model_name in args.workloads.split(","):
        count = int(steps[model_name])
        results = {name: [] for name, _, _, _ in configs}
        for repeat in range(args.repeats):
            for name, ranks, sharded, independent in (configs if repeat % 2 == 0 else configs[::-1]):
                result = launch(model_name, ranks, count, sharded, independent)
                results[name].append(result)
                print(f"{model_name} {name}: {result['samples']:.1f} samples/s, step {result['step_ms']:.2f} ms, "
                      f"allreduce {result['allreduce_ms']:.2f} ms/step ({result['mb']:.2f} MB), "
                      f"load {os.getloadavg()[0]:.2f}", flush=True)
        rows.append((model_name, count, results))
    load_after = os.getloadavg()
    lines = [BEGIN, "", "## Data-parallel training over MPI (benchmarks/distributed.py)", "",
             f"`python benchmarks/distributed.py`: W2 and W4 trained with `fit` on 1 rank (plain python) and on 2 "
             "ranks (`mpiexec -n 2 --oversubscribe --bind-to none`, `DataParallel()`), the same global batches; "
             "every process with 1 BLAS thread and no step split over threads (`set_parallel_shards(1)`); "
             f"OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset; OpenBLAS kernel: {kernel_text}; "
             f"{os.cpu_count()} cores. Median of {args.repeats} runs, configurations interleaved, each run a fresh "
             f"process group. Load average (1/5/15 min) {load_before[0]:.2f}/{load_before[1]:.2f}/"
             f"{load_before[2]:.2f} before and {load_after[0]:.2f}/{load_after[1]:.2f}/{load_after[2]:.2f} after: "
             "the machine was shared with other jobs, so the 2-rank runs did not always have two idle cores. "
             "The control row runs two independent 1-rank trainings at the same time (no MPI, each on the "
             "whole batch; samples/s summed): it is what the machine gave two processes during the run, the "
             "ceiling for 2 ranks; 2 ranks against the control is the cost of data parallelism itself. "
             "Step ms is rank 0's wall time per global step; the allreduce column is rank 0's wall time in the "
             "step's collectives (waiting for the other rank included) and the bytes handed to them per step "
             "(a sharded update hands the gradients to a reduce-scatter and the weights to an allgather).", "",
             "| workload | configuration | samples/s (median, min-max) | speed-up | step ms | allreduce ms/step | "
             "allreduce MB/step |", "|---|---|---|---|---|---|---|"]
    for model_name, count, results in rows:
        base = statistics.median(r["samples"] for r in results["1 rank"])
        for name, ranks, _, independent in configs:
            values = [r["samples"] for r in results[name]]
            middle = statistics.median(values)
            step = statistics.median(r["step_ms"] for r in results[name])
            reduce_ms = statistics.median(r["allreduce_ms"] for r in results[name])
            megabytes = statistics.median(r["mb"] * r["calls"] for r in results[name])
            lines.append(f"| {WORKLOADS[model_name][0]}, {count} steps | {name} | {middle:.1f} "
                         f"({min(values):.1f}-{max(values):.1f}) | {middle / base:.2f}x | {step:.2f} | "
                         + (f"{reduce_ms:.2f} | {megabytes:.2f} |" if ranks > 1 and not independent else "- | - |"))
    lines += ["", END]
    text = "\n".join(lines)
    print(text)
    if not args.quick:
        sys.path.insert(0, ROOT)
        from benchmarks.results_section import write_section
        write_section(os.path.join(HERE, "RESULTS.md"), BEGIN, END, text)


if __name__ == "__main__":
    main()
