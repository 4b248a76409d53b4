"""kerasette against PyTorch on the performance-anchor workloads, in one run.

    python benchmarks/run.py                      # full run: R=3 sweeps, writes RESULTS.md
    python benchmarks/run.py --quick              # smoke test: 1 sweep, short timings, no write
    python benchmarks/run.py --workload w1_train,w4_train --repeats 5
    python benchmarks/run.py --no-torch           # kerasette alone
    python benchmarks/run.py --workload w3_train,w3gru_train,w5_train   # the sequence models
    python benchmarks/run.py --device gpu         # W1/W2/W4 on one NVIDIA GPU (benchmarks/gpu_bench.py)

Workloads (benchmarks/workloads.py, defined in ../shared/reference/workloads.md):
w1_train, w2_train, w3_train (LSTM), w3gru_train (GRU), w4_train,
w5_train (Transformer encoder), w1_infer, w2_infer.  A run of a subset
(``--workload``) writes its own section of RESULTS.md, so it never replaces
the full run's table.

How it measures:

* OpenBLAS: every child (both frameworks, the matmul peak, the imports) runs
  with ``OPENBLAS_CORETYPE`` and ``OPENBLAS_L2_SIZE`` removed from its
  environment, so OpenBLAS picks its kernels from the CPU the same way for
  everyone (``--openblas-coretype NAME`` pins a kernel family instead, for
  experiments); each run records the kernel numpy's OpenBLAS actually used
  (threadpoolctl's ``internal_api`` / ``architecture``), and RESULTS.md lists
  it per run.  Only this command does this: tests and CI leave the variables
  as they find them;
* every (workload, framework) pair runs in its own fresh interpreter
  (``run.py --child ...``) with ``OMP/OPENBLAS/MKL_NUM_THREADS`` = 2 and
  ``torch.set_num_threads(2)``; the runner interleaves the frameworks inside
  each workload and repeats the whole sweep R times (alternating which
  framework goes first), and reports the median with min-max;
* training: >= 5 warm-up steps, then >= 30 steps and >= 2.0 s timed; one step
  is kerasette's ``model.train_on_batch`` (returns the loss as a float) or
  PyTorch's zero_grad / forward / ``F.cross_entropy`` / backward / step /
  ``loss.item()``; inference: ``model.predict_on_batch`` / ``net(x).numpy()``
  under ``torch.no_grad()``, >= 3 warm-up and >= 10 timed calls;
* the BLAS peak: float32 numpy matmul, square 1024 / 2048 / 4096, best of
  several, measured in each sweep (best over the run); a workload's fraction
  of peak is samples/s x FLOP/sample over that peak;
* memory of a W4 training step: in a fresh process, glibc is told to mmap
  every block >= 64 KiB (so freed arrays leave the RSS at once), the RSS
  high-water mark is reset (``/proc/self/clear_refs``) just before a
  steady-state step, and the step's peak is VmHWM minus the VmRSS before it;
  the peak over the first steps above the RSS before training (program
  compilation, optimizer slots) is reported too;
* import time: ``import kerasette`` / ``import torch`` timed inside a fresh
  interpreter (``time.perf_counter`` around the import), several per sweep;
* other jobs on a shared machine: before each measurement the runner waits
  (``--quiet``, ``--max-wait``) for other processes to go idle, records the
  cores they used while it ran (/proc/stat busy time minus the child's own
  CPU time), and repeats a run they disturbed (``--contended``,
  ``--retries``), keeping the least disturbed one.  Two-thread BLAS and
  OpenMP collapse when another process holds a core (each call waits for
  the descheduled thread), so undisturbed runs are the only comparable ones.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import resource
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
RESULTS = os.path.join(HERE, "RESULTS.md")
BEGIN = "<!-- benchmarks/run.py{tag}: begin (this section is rewritten by each full run) -->"
END = "<!-- benchmarks/run.py{tag}: end -->"

sys.path.insert(0, HERE)
from workloads import WORKLOADS, kerasette_available, make_data, measure  # noqa: E402

import gpu_bench  # noqa: E402

FRAMEWORKS = ("kerasette", "torch")
DEFAULT_ORDER = ["w1_train", "w2_train", "w3_train", "w3gru_train", "w4_train", "w5_train", "w1_infer",
                 "w2_infer"]
#: issue 20's goals: kerasette samples/s over PyTorch's in the same run
GOALS = {"w1_train": 1.5, "w2_train": 1.5, "w3_train": 1.0, "w3gru_train": 1.0, "w4_train": 1.2, "w5_train": 1.0,
         "w1_infer": 1.5, "w2_infer": 1.0}
#: and the share of the matmul peak (measured in the same run) kerasette must reach on these
PEAK_GOALS = {"w2_train": 70.0, "w2_infer": 90.0}
#: PyTorch's samples/s in issue 7 (2026-11-28, same machine), for context
ISSUE_TORCH = {"w1_train": 5291, "w2_train": 10017, "w4_train": 440, "w1_infer": 16488,
               "w2_infer": 53017}
RESULT_TAG = "BENCH-RESULT "


# =================================================================== children

def thread_info():
    """What threadpoolctl sees (BLAS / OpenMP pools and their thread counts), if installed."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return None
    return [{key: pool.get(key) for key in ("internal_api", "version", "num_threads", "architecture")}
            for pool in threadpool_info()]


def set_torch_threads(threads):
    import torch
    torch.set_num_threads(threads)
    return torch


def child_bench(args):
    workload = WORKLOADS[args.workload]
    xs, ys = make_data(workload)
    if args.framework == "kerasette":
        from workloads import kerasette_step
        step = kerasette_step(workload, xs, ys)
    else:
        set_torch_threads(args.threads)
        from workloads import torch_step
        step = torch_step(workload, xs, ys)
    if args.quick:
        result = measure(step, workload, len(xs), warmup=2, min_steps=5, min_seconds=0.3)
    else:
        result = measure(step, workload, len(xs))
    result["threads"] = thread_info()
    if args.framework == "torch":
        import torch
        result["torch_threads"] = torch.get_num_threads()
    return result


def proc_status():
    values = {}
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(("VmRSS:", "VmHWM:")):
                values[line.split(":")[0]] = int(line.split()[1]) * 1024
    return values


def reset_peak():
    """Reset VmHWM to the current RSS; False where the kernel does not allow it."""
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")
        return True
    except OSError:
        return False


def child_memory(args):
    workload = WORKLOADS[args.workload]
    xs, ys = make_data(workload)
    if args.framework == "kerasette":
        from workloads import kerasette_step
        step = kerasette_step(workload, xs, ys)
    else:
        set_torch_threads(args.threads)
        from workloads import torch_step
        step = torch_step(workload, xs, ys)
    can_reset = reset_peak()
    before_training = proc_status()["VmRSS"]
    warmup = 5
    for i in range(warmup):
        step(i % len(xs))
    first_steps_peak = proc_status()["VmHWM"] - before_training
    step_peaks = []
    for i in range(warmup, warmup + 5):
        if can_reset:
            reset_peak()
        before = proc_status()["VmRSS"]
        step(i % len(xs))
        if can_reset:
            step_peaks.append(proc_status()["VmHWM"] - before)
    after = proc_status()["VmRSS"]
    return {
        "step_peak_bytes": max(step_peaks) if step_peaks else None,
        "first_steps_peak_bytes": first_steps_peak,
        "rss_before_training": before_training,
        "rss_after": after,
        "maxrss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "hwm_reset": can_reset,
    }


def child_matmul(args):
    import numpy as np
    sizes = (1024, 2048, 4096)
    repeats = {1024: 10, 2048: 5, 4096: 3}
    if args.quick:
        sizes, repeats = (1024, 2048), {1024: 3, 2048: 2}
    rng = np.random.default_rng(0)
    result = {}
    for n in sizes:
        a = rng.standard_normal((n, n), dtype=np.float32)
        b = rng.standard_normal((n, n), dtype=np.float32)
        c = np.empty((n, n), np.float32)
        np.matmul(a, b, out=c)
        best = float("inf")
        for _ in range(repeats[n]):
            start = time.perf_counter()
            np.matmul(a, b, out=c)
            best = min(best, time.perf_counter() - start)
        result[str(n)] = 2.0 * n ** 3 / best / 1e9
    return {"gflops": result, "peak_gflops": max(result.values()), "threads": thread_info()}


def run_child(args):
    os.environ.setdefault("PYTHONHASHSEED", "0")
    if args.child == "bench":
        result = child_bench(args)
    elif args.child == "memory":
        result = child_memory(args)
    elif args.child == "matmul":
        result = child_matmul(args)
    elif args.child in gpu_bench.CHILDREN:
        result = gpu_bench.run_child(args)
    else:
        raise SystemExit(f"unknown child {args.child!r}")
    print(RESULT_TAG + json.dumps(result))


# ===================================================================== parent

#: set by ``--openblas-coretype``: the OPENBLAS_CORETYPE every child gets
#: ("": unset, OpenBLAS picks its kernels from the CPU; the default)
CORETYPE = [""]
#: removed from every child's environment, together (workloads.md): they choose
#: OpenBLAS's kernels and blocking, and a machine's setting would favour no framework alike
OPENBLAS_OVERRIDES = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


def child_env(threads, extra=None):
    env = dict(os.environ)
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[name] = str(threads)
    for name in OPENBLAS_OVERRIDES:
        env.pop(name, None)
    if CORETYPE[0]:
        env["OPENBLAS_CORETYPE"] = CORETYPE[0]
    env["PYTHONPATH"] = ROOT + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.update(extra or {})
    return env


def cpu_jiffies():
    """(busy, total) jiffies of the whole machine from /proc/stat (steal counts as busy)."""
    try:
        with open("/proc/stat") as stat:
            fields = [int(v) for v in stat.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return sum(fields) - idle, sum(fields)


CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def busy_cores(seconds):
    """How many cores other processes keep busy, sampled over ``seconds`` (this one sleeps)."""
    before = cpu_jiffies()
    time.sleep(seconds)
    after = cpu_jiffies()
    if before is None or after is None:
        return None
    return (after[0] - before[0]) / CLOCK_TICKS / seconds


def wait_quiet(args):
    """Wait (up to ``--max-wait`` s) until other jobs use at most ``--quiet`` cores."""
    if args.max_wait <= 0:
        return None
    waited, busy = 0.0, None
    while True:
        busy = busy_cores(1.0)
        waited += 1.0
        if busy is None or busy <= args.quiet or waited >= args.max_wait:
            return busy


def spawn(argv, threads, extra_env=None, timeout=900, args=None):
    """Run ``run.py --child ...`` in a fresh interpreter; its JSON result, or {'error': ...}.

    Also records ``others_cores``: the CPU that other processes used while the
    child ran (machine busy time minus the child's own CPU time, over wall time).
    """
    if args is not None:
        wait_quiet(args)
    command = [sys.executable, os.path.abspath(__file__)] + argv + ["--threads", str(threads)]
    jiffies, usage, start = cpu_jiffies(), resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
    try:
        done = subprocess.run(command, env=child_env(threads, extra_env), capture_output=True,
                              text=True, timeout=timeout, cwd=ROOT)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout} s"}
    wall = time.perf_counter() - start
    after, usage_after = cpu_jiffies(), resource.getrusage(resource.RUSAGE_CHILDREN)
    others = None
    if jiffies and after and wall > 0:
        child_cpu = (usage_after.ru_utime - usage.ru_utime) + (usage_after.ru_stime - usage.ru_stime)
        others = max(0.0, ((after[0] - jiffies[0]) / CLOCK_TICKS - child_cpu) / wall)
    for line in reversed(done.stdout.splitlines()):
        if line.startswith(RESULT_TAG):
            result = json.loads(line[len(RESULT_TAG):])
            result["others_cores"] = others
            return result
    tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
    return {"error": " | ".join(tail) or f"exit status {done.returncode}"}


IMPORT_CODE = ("import time, sys; start = time.perf_counter(); import {module}; "
               "print('" + RESULT_TAG + "' + repr(time.perf_counter() - start))")


def time_import(module, threads):
    done = subprocess.run([sys.executable, "-c", IMPORT_CODE.format(module=module)],
                          env=child_env(threads), capture_output=True, text=True, cwd=ROOT, timeout=300)
    for line in done.stdout.splitlines():
        if line.startswith(RESULT_TAG):
            return float(line[len(RESULT_TAG):])
    return None


def torch_importable():
    done = subprocess.run([sys.executable, "-c", "import torch"], capture_output=True)
    return done.returncode == 0


def log(message):
    print(message, flush=True)


def sweep(plan, sweep_index, args, results):
    """One pass over everything, each measurement in its own process."""
    matmul = spawn(["--child", "matmul"] + (["--quick"] if args.quick else []), args.threads, args=args)
    results["matmul"].append(matmul)
    log(f"  matmul peak: {matmul.get('peak_gflops', float('nan')):.1f} GFLOP/s "
        f"{matmul.get('gflops', matmul.get('error'))}")
    for name, frameworks in plan:
        # alternate who goes first, so slow drift in the machine's load hits both
        order = frameworks if sweep_index % 2 == 0 else list(reversed(frameworks))
        for framework in order:
            argv = ["--child", "bench", "--workload", name, "--framework", framework]
            result = spawn(argv + (["--quick"] if args.quick else []), args.threads, args=args)
            attempts = 1
            # another job held a core during the run: measure again, keep the least disturbed run
            latest = result
            while ("error" not in result and attempts <= args.retries
                   and (latest.get("others_cores") or 0.0) > args.contended):
                log(f"  {name:9s} {framework:9s} {latest['samples_per_s']:10.1f} samples/s with other jobs at "
                    f"{latest['others_cores']:.2f} cores: measuring again")
                latest = spawn(argv + (["--quick"] if args.quick else []), args.threads, args=args)
                attempts += 1
                if "error" in latest:
                    break
                if (latest.get("others_cores") or 0.0) < result["others_cores"]:
                    result = latest
            result["attempts"] = attempts
            results["bench"].setdefault(name, {}).setdefault(framework, []).append(result)
            if "error" in result:
                log(f"  {name:9s} {framework:9s} ERROR {result['error']}")
            else:
                log(f"  {name:9s} {framework:9s} {result['samples_per_s']:10.1f} samples/s "
                    f"({result['steps']} steps, {result['elapsed_s']:.2f} s, "
                    f"median step {result['step_ms_median']:.1f} ms, fastest {result['step_ms_min']:.1f} ms; "
                    f"other jobs: {fmt(result.get('others_cores'), 2)} cores; {kernel_of(result)})")
    if args.memory:
        for framework in args.memory_frameworks:
            argv = ["--child", "memory", "--workload", "w4_train", "--framework", framework]
            result = spawn(argv, args.threads,
                           {"MALLOC_MMAP_THRESHOLD_": "65536", "MALLOC_TRIM_THRESHOLD_": "0"}, args=args)
            results["memory"].setdefault(framework, []).append(result)
            if "error" in result:
                log(f"  memory {framework}: ERROR {result['error']}")
            else:
                log(f"  memory w4_train {framework:9s} step peak {mib(result['step_peak_bytes'])} MiB, "
                    f"first steps {mib(result['first_steps_peak_bytes'])} MiB")
    for module in (args.import_modules if args.import_runs > 0 else ()):
        for _ in range(args.import_runs):
            seconds = time_import(module, args.threads)
            results["imports"].setdefault(module, []).append(seconds)
        log(f"  import {module}: {[round(s, 3) if s else s for s in results['imports'][module][-args.import_runs:]]}")


def mib(value):
    return "n/a" if value is None else f"{value / 2 ** 20:.1f}"


def summary(values):
    values = [v for v in values if v is not None]
    if not values:
        return None
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "n": len(values)}


def machine_info():
    info = {"python": platform.python_version(), "platform": platform.platform()}
    model, flags = None, ""
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            text = cpuinfo.read()
        match = re.search(r"^model name\s*:\s*(.*)$", text, re.M)
        model = match.group(1).strip() if match else None
        match = re.search(r"^flags\s*:\s*(.*)$", text, re.M)
        flags = match.group(1) if match else ""
    except OSError:
        pass
    info["cpu"] = model or platform.processor() or "unknown"
    info["cores"] = os.cpu_count()
    info["simd"] = ", ".join(f for f in ("avx2", "fma", "avx512f") if f in flags.split())
    code = ("import json, numpy, kerasette; "
            "from run import thread_info; "
            "print(json.dumps({'numpy': numpy.__version__, 'kerasette': kerasette.__version__, "
            "'blas': thread_info()}))")
    done = subprocess.run([sys.executable, "-c", code], env=child_env(2), capture_output=True,
                          text=True, cwd=HERE)
    try:
        info.update(json.loads(done.stdout.strip().splitlines()[-1]))
    except (IndexError, ValueError):
        info["versions_error"] = done.stderr.strip()[-300:]
    done = subprocess.run([sys.executable, "-c", "import torch; print(torch.__version__)"],
                          capture_output=True, text=True)
    info["torch"] = done.stdout.strip() if done.returncode == 0 else None
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                                cwd=ROOT).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "kerasette"], capture_output=True,
                               text=True, cwd=ROOT).stdout.strip()
        info["commit"] = commit + (" + uncommitted changes in kerasette/" if dirty else "")
    except OSError:
        info["commit"] = None
    return info


def fmt(value, digits=0):
    if value is None:
        return "n/a"
    return f"{value:,.{digits}f}"


def openblas_env_text():
    """The OPENBLAS_* variables the children run with (they choose numpy's kernels and blocking)."""
    env = child_env(2)
    settings = {k: v for k, v in sorted(env.items()) if k.startswith("OPENBLAS_") and k != "OPENBLAS_NUM_THREADS"}
    text = ", ".join(f"{k}={v}" for k, v in settings.items()) or "none"
    here = {k: os.environ[k] for k in OPENBLAS_OVERRIDES if k in os.environ}
    text += (f"; {' and '.join(OPENBLAS_OVERRIDES)} removed for every child"
             + (f" (this shell has {', '.join(f'{k}={v}' for k, v in here.items())})" if here else
                " (this shell sets neither)"))
    if "OPENBLAS_CORETYPE" not in settings:
        text += ", so OpenBLAS chooses its kernels from the CPU"
    return text


def kernel_of(result):
    """The OpenBLAS kernel a child's numpy used, from threadpoolctl: 'openblas Haswell' etc."""
    pools = [p for p in (result.get("threads") or []) if p.get("internal_api") == "openblas"]
    if not pools:
        return "n/a" if "threads" in result else "?"
    return ", ".join(sorted({f"{p.get('internal_api')} {p.get('architecture')}" for p in pools}))


def report(results, plan, skipped, args, machine, started, loads):
    """The markdown section (also printed)."""
    peak = max((m["peak_gflops"] for m in results["matmul"] if "peak_gflops" in m), default=None)
    lines = [
        "## End-to-end workloads: kerasette vs PyTorch (`python benchmarks/run.py"
        + command_tag(args) + "`)",
        "",
        f"- date: {started:%Y-%m-%d %H:%M} UTC; {args.repeats} interleaved sweep(s)"
        + (" (--quick: short timings, not comparable)" if args.quick else ""),
        f"- machine: {machine['cpu']}, {machine['cores']} cores ({machine['simd']}); "
        f"{machine['platform']}",
        f"- versions: Python {machine['python']}, numpy {machine.get('numpy')}, "
        f"BLAS {blas_text(machine.get('blas'))}, torch {machine.get('torch') or 'not installed'}, "
        f"kerasette {machine.get('kerasette')} (commit {machine.get('commit')})",
        f"- threads: {args.threads} (OMP/OPENBLAS/MKL_NUM_THREADS and torch.set_num_threads)",
        f"- OpenBLAS settings in the environment: {openblas_env_text()}",
        f"- load average (1 min / 5 min / 15 min): at start {loads[0]}, at end {loads[1]} "
        f"(the machine is shared; 2 cores)",
        f"- float32 matmul peak (numpy, square 1024/2048/4096, best over the run): "
        f"**{fmt(peak, 1)} GFLOP/s**"
        + ("" if not results["matmul"] else "; per size, best: " + ", ".join(
            f"{n}: {max(m['gflops'][n] for m in results['matmul'] if 'gflops' in m and n in m['gflops']):.1f}"
            for n in sorted({n for m in results['matmul'] if 'gflops' in m for n in m['gflops']}, key=int))),
        "",
        "Samples/s: median of the sweeps [min-max]; ratio = kerasette median / PyTorch median "
        "(per-sweep ratios in brackets); % peak = samples/s x FLOP/sample / matmul peak; "
        "ratio of fastest steps = PyTorch's fastest step time / kerasette's over all sweeps "
        "(less sensitive to other jobs on the machine, not the contract's number); other jobs = "
        "CPU that other processes used while each measurement ran (machine busy time from /proc/stat "
        "minus the measured process's own CPU time), median [min-max] over its runs; a run during which "
        f"other jobs used more than {args.contended} cores was repeated (up to {args.retries} times) and the "
        "least disturbed run kept.",
        "",
        "| workload | kerasette samples/s | PyTorch samples/s | ratio [per sweep] | goal | "
        "kerasette % peak | PyTorch % peak | ratio of fastest steps | other jobs, cores |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, frameworks in plan:
        workload = WORKLOADS[name]
        runs = results["bench"].get(name, {})
        stats = {fw: summary([r.get("samples_per_s") for r in runs.get(fw, [])]) for fw in FRAMEWORKS}
        cells = []
        for fw in FRAMEWORKS:
            s = stats[fw]
            missing = skipped.get(name, "not run") if fw == "kerasette" else "not run"
            cells.append(missing if s is None else f"{fmt(s['median'])} [{fmt(s['min'])}-{fmt(s['max'])}]")
        ratio, per_sweep = "n/a", ""
        if stats["kerasette"] and stats["torch"]:
            ratio = f"{stats['kerasette']['median'] / stats['torch']['median']:.2f}"
            pairs = [a["samples_per_s"] / b["samples_per_s"]
                     for a, b in zip(runs["kerasette"], runs["torch"])
                     if "samples_per_s" in a and "samples_per_s" in b]
            if pairs:
                per_sweep = f" [{min(pairs):.2f}-{max(pairs):.2f}]"
        goal = GOALS.get(name)
        goal_text = "n/a" if goal is None else f">= {goal}" + (
            f", >= {PEAK_GOALS[name]:.0f}% peak" if name in PEAK_GOALS else "")
        percents = []
        for fw in FRAMEWORKS:
            s = stats[fw]
            percents.append("n/a" if s is None or not peak else
                            f"{100 * s['median'] * workload.flop_per_sample / 1e9 / peak:.1f}%")
        fastest = {fw: min((r["step_ms_min"] for r in runs.get(fw, []) if "step_ms_min" in r), default=None)
                   for fw in FRAMEWORKS}
        best = ("n/a" if None in fastest.values() else f"{fastest['torch'] / fastest['kerasette']:.2f}")
        others = summary([r.get("others_cores") for fw in FRAMEWORKS for r in runs.get(fw, [])])
        others_text = "n/a" if others is None else f"{others['median']:.2f} [{others['min']:.2f}-{others['max']:.2f}]"
        lines.append(f"| {workload.label} | {cells[0]} | {cells[1]} | {ratio}{per_sweep} | {goal_text} | "
                     f"{percents[0]} | {percents[1]} | {best} | {others_text} |")
    for name, why in skipped.items():
        if name in dict(plan):
            continue
        lines.append(f"| {WORKLOADS[name].label} | {why} | not run | n/a | n/a | n/a | n/a | n/a | n/a |")
    lines += ["", "FLOP/sample (workloads.md: 2 x conv/dense MACs, training = 3 x forward): "
              + ", ".join(f"{n} {WORKLOADS[n].flop_per_sample / 1e6:.3f} M" for n, _ in plan) + "."]
    errors = [(name, fw, r["error"]) for name, by_fw in results["bench"].items()
              for fw, rs in by_fw.items() for r in rs if "error" in r]
    if errors:
        lines += ["", "Errors:"] + [f"- {n} {fw}: {e}" for n, fw, e in errors]

    runs = [(name, fw, index + 1, r) for name, _ in plan for fw in FRAMEWORKS
            for index, r in enumerate(results["bench"].get(name, {}).get(fw, []))]
    if runs:
        lines += ["", "### Every run: the OpenBLAS kernel it used", "",
                  "The kernel numpy's OpenBLAS ran in each measured process (threadpoolctl `internal_api` "
                  "`architecture`; PyTorch's own GEMMs go through oneDNN/MKL, which these variables do not "
                  "steer), and the matmul-peak runs.", "",
                  "| workload | framework | sweep | samples/s | other jobs, cores | attempts | OpenBLAS kernel |",
                  "|---|---|---:|---:|---:|---:|---|"]
        for name, fw, sweep_number, r in runs:
            lines.append(f"| {WORKLOADS[name].label} | {fw} | {sweep_number} | {fmt(r.get('samples_per_s'))} | "
                         f"{fmt(r.get('others_cores'), 2)} | {r.get('attempts', 1)} | {kernel_of(r)} |")
        for index, m in enumerate(results["matmul"]):
            lines.append(f"| matmul peak | numpy | {index + 1} | {fmt(m.get('peak_gflops'), 1)} GFLOP/s | "
                         f"{fmt(m.get('others_cores'), 2)} | 1 | {kernel_of(m)} |")

    if results["memory"]:
        lines += ["", "### Memory of a W4 training step (batch 64, Adam)", "",
                  "| framework | one steady-state step: VmHWM - VmRSS before it | first 5 steps: "
                  "VmHWM - VmRSS before training | RSS after |",
                  "|---|---:|---:|---:|"]
        for fw in FRAMEWORKS:
            runs = [r for r in results["memory"].get(fw, []) if "error" not in r]
            if not runs:
                continue
            step = summary([r["step_peak_bytes"] for r in runs])
            first = summary([r["first_steps_peak_bytes"] for r in runs])
            after = summary([r["rss_after"] for r in runs])
            lines.append(f"| {fw} | {mib(step and step['median'])} MiB [{mib(step and step['min'])}-"
                         f"{mib(step and step['max'])}] | {mib(first['median'])} MiB | "
                         f"{mib(after['median'])} MiB |")
        lines += ["", "(RSS from /proc/self/status in a fresh process per measurement, "
                  "MALLOC_MMAP_THRESHOLD_=65536 so freed arrays leave the RSS at once; "
                  "the high-water mark is reset through /proc/self/clear_refs before the step.)"]

    if results["imports"]:
        lines += ["", "### Import time (fresh interpreter, warm disk)", "",
                  "| module | median s [min-max] | runs |", "|---|---:|---:|"]
        for module, values in results["imports"].items():
            s = summary(values)
            if s:
                lines.append(f"| `import {module}` | {s['median']:.3f} [{s['min']:.3f}-{s['max']:.3f}] "
                             f"| {s['n']} |")
        lines.append("")
        lines.append("(time.perf_counter around the import statement; interpreter start-up excluded.)")

    goals = []
    for name, _ in plan:
        runs = results["bench"].get(name, {})
        k = summary([r.get("samples_per_s") for r in runs.get("kerasette", [])])
        t = summary([r.get("samples_per_s") for r in runs.get("torch", [])])
        if name in GOALS and k and t:
            ratio = k["median"] / t["median"]
            met = ratio >= GOALS[name]
            text = f"- {WORKLOADS[name].label}: ratio {ratio:.2f}, goal {GOALS[name]}"
            if name in PEAK_GOALS and peak:
                share = 100 * k["median"] * WORKLOADS[name].flop_per_sample / 1e9 / peak
                met = met and share >= PEAK_GOALS[name]
                text += f"; {share:.1f}% of the matmul peak, goal {PEAK_GOALS[name]:.0f}%"
            goals.append(text + " -> " + ("met" if met else "**not met**"))
    if goals:
        contended = [r.get("others_cores") for by_fw in results["bench"].values() for rs in by_fw.values()
                     for r in rs if r.get("others_cores") is not None]
        lines += ["", "### Goals of issue 20", ""] + goals
        if contended and statistics.median(contended) > 0.25:
            lines += ["", f"Caution: other jobs kept a median {statistics.median(contended):.2f} of the "
                      f"{machine['cores']} cores busy during these measurements; both frameworks run 2 "
                      "threads, so a verdict needs a quieter rerun (compare the fastest-step ratios)."]
    return "\n".join(lines) + "\n"


def blas_text(pools):
    if not pools:
        return "unknown"
    return "; ".join(f"{p.get('internal_api')} {p.get('version')} ({p.get('architecture')}, "
                     f"{p.get('num_threads')} threads)" for p in pools)


def command_tag(args):
    """What tells this command's section of RESULTS.md apart: thread count and workload subset."""
    tag = "" if args.threads == 2 else f" --threads {args.threads}"
    if args.workload != "all":
        tag += f" --workload {args.workload}"
    return tag


def write_results(section, tag=""):
    """Replace this command's section of RESULTS.md (other sections are kept).

    The contract's full 2-thread run, runs at other thread counts and runs of a
    workload subset keep separate sections (``command_tag``).
    """
    begin, end = BEGIN.format(tag=tag), END.format(tag=tag)
    text = ""
    if os.path.exists(RESULTS):
        with open(RESULTS) as f:
            text = f.read()
    block = f"{begin}\n{section}{end}\n"
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        _, tail = rest.split(end, 1)
        text = head + block + ("\n" + tail.lstrip("\n") if tail.strip() else "")
    else:
        text = (text.rstrip("\n") + "\n\n" if text else "# Benchmark results\n\n") + block
    with open(RESULTS, "w") as f:
        f.write(text)


def parse(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workload", default="all",
                        help="comma-separated names (" + ", ".join(DEFAULT_ORDER) + ") or 'all'")
    parser.add_argument("--repeats", "-R", type=int, default=None, help="sweeps (default 3; 1 with --quick)")
    parser.add_argument("--quick", action="store_true", help="short timings and one sweep; no RESULTS.md")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--openblas-coretype", default=None,
                        help="OPENBLAS_CORETYPE for every child process ('' unsets it, so OpenBLAS "
                             "picks its kernels from the CPU); default: as in this environment")
    parser.add_argument("--no-torch", action="store_true", help="time kerasette alone")
    parser.add_argument("--no-memory", dest="memory", action="store_false", help="skip the W4 memory runs")
    parser.add_argument("--import-runs", type=int, default=3, help="imports timed per module per sweep")
    parser.add_argument("--write", dest="write", action="store_true", default=None,
                        help="write RESULTS.md (default: yes for full runs, no with --quick)")
    parser.add_argument("--no-write", dest="write", action="store_false")
    parser.add_argument("--json", help="also dump every raw measurement to this file")
    parser.add_argument("--quiet", type=float, default=0.3,
                        help="before each measurement wait until other jobs use at most this many cores")
    parser.add_argument("--max-wait", type=float, default=30.0,
                        help="... but wait at most this many seconds (0: never wait)")
    parser.add_argument("--contended", type=float, default=0.5,
                        help="a measurement during which other jobs used more cores than this is retried")
    parser.add_argument("--retries", type=int, default=2,
                        help="... at most this many times, keeping the run with the least other load")
    # internal: one measurement in this (fresh) process
    gpu_bench.add_arguments(parser)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--framework", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse(argv)
    if args.child:
        return run_child(args)
    CORETYPE[0] = args.openblas_coretype
    if args.device == "gpu":
        return gpu_bench.main(args, spawn, log)
    if args.repeats is None:
        args.repeats = 1 if args.quick else 3
    if args.write is None:
        args.write = not args.quick
    names = DEFAULT_ORDER if args.workload == "all" else [n.strip().lower() for n in args.workload.split(",")]
    for name in names:
        if name not in WORKLOADS:
            raise SystemExit(f"unknown workload {name!r}; choose from {', '.join(DEFAULT_ORDER)}")
    have_torch = not args.no_torch and torch_importable()
    frameworks = ["kerasette"] + (["torch"] if have_torch else [])

    sys.path.insert(0, ROOT)
    plan, skipped = [], {}
    for name in names:
        why = kerasette_available(WORKLOADS[name].model)
        if why is None:
            plan.append((name, frameworks))
        elif args.workload == "all":
            skipped[name] = why
            log(f"{name}: kerasette {why}")
        else:   # asked for by name: time the peers anyway
            skipped[name] = why
            if len(frameworks) > 1:
                plan.append((name, frameworks[1:]))
    args.memory = args.memory and ("w4_train" in names)
    args.memory_frameworks = frameworks
    args.import_modules = ["kerasette"] + (["torch"] if have_torch else [])

    started = datetime.datetime.now(datetime.timezone.utc)
    loads = [tuple(round(x, 2) for x in os.getloadavg())]
    log(f"machine: load average {loads[0]} at start; frameworks: {', '.join(frameworks)}")
    machine = machine_info()
    results = {"matmul": [], "bench": {}, "memory": {}, "imports": {}}
    for index in range(args.repeats):
        log(f"sweep {index + 1}/{args.repeats}")
        sweep(plan, index, args, results)
    loads.append(tuple(round(x, 2) for x in os.getloadavg()))
    section = report(results, plan, skipped, args, machine, started, loads)
    print()
    print(section)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"machine": machine, "loads": loads, "results": results}, f, indent=1)
    if args.write:
        write_results(section, command_tag(args))
        log(f"wrote {os.path.relpath(RESULTS)}")


if __name__ == "__main__":
    main()
