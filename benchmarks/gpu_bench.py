"""``benchmarks/run.py --device gpu``: kerasette on cupy against PyTorch eager on CUDA, on one GPU.

    python benchmarks/run.py --device gpu                   # R=3 sweeps, writes its section of RESULTS.md
    python benchmarks/run.py --device gpu --quick           # one short sweep, no write
    python benchmarks/run.py --device gpu --gpu-stand-in --quick --results /tmp/r.md
                                                            # the same code on the CPU (numpy, torch CPU)

Issue 20's GPU workloads: W1 train at batch 1024, W2 train at batch 1024, W4
train at batch 256 (the CPU workloads' models, optimizers and data, with the
batch sizes a GPU needs to be busy); goal: kerasette >= 1.0x PyTorch eager.

Each (workload, framework) pair runs in its own fresh interpreter, like the CPU
runs: kerasette with ``KERASETTE_ARRAY_MODULE=cupy`` (so the array module is
cupy from the import on) and its batches moved to the GPU once, before timing;
PyTorch with the model and batches on ``cuda``.  Every step ends by waiting for
the GPU (cupy ``cuda.Device().synchronize()``, ``torch.cuda.synchronize()``),
so the time of a step is the GPU's work, not the launch of it.

``--gpu-stand-in`` runs this code path on a machine without a GPU: kerasette
on numpy, PyTorch on its CPU, no synchronization.  Its numbers are not GPU
numbers and it never writes benchmarks/RESULTS.md (only ``--results PATH``).
The run itself lives in benchmarks/gpu_check.sh, which installs cupy first.

Nothing here imports kerasette, cupy or torch at module level (run.py's parent
process stays free of them).
"""
from __future__ import annotations

import dataclasses
import datetime
import os
import statistics
import subprocess

from workloads import WORKLOADS, make_data, measure

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
RESULTS = os.path.join(HERE, "RESULTS.md")
BEGIN = "<!-- benchmarks/run.py --device gpu: begin (this section is rewritten by each GPU run: benchmarks/gpu_check.sh) -->"
END = "<!-- benchmarks/run.py --device gpu: end -->"
#: issue 20: (workload, batch size on the GPU)
GPU_BATCHES = {"w1_train": 1024, "w2_train": 1024, "w4_train": 256}
GOAL = 1.0
FRAMEWORKS = ("kerasette", "torch")
CHILDREN = ("gpu-probe", "gpu-bench")
INSTALL_HINT = "pip install 'kerasette[gpu]' (cupy-cuda12x: an NVIDIA GPU with CUDA 12)"


def add_arguments(parser):
    """run.py's options for ``--device gpu``."""
    parser.add_argument("--device", choices=("cpu", "gpu"), default="cpu",
                        help="gpu: W1/W2 (b1024) and W4 (b256) training, kerasette on cupy against "
                             "PyTorch on CUDA (benchmarks/gpu_bench.py)")
    parser.add_argument("--gpu-stand-in", action="store_true",
                        help="with --device gpu: run its code on the CPU (numpy, torch CPU) to check it; "
                             "writes only to --results")
    parser.add_argument("--results", default=None, help="with --device gpu: the file its section goes to")
    parser.add_argument("--test-summary", default=None,
                        help="with --device gpu: the test suite's summary on cupy, recorded with the numbers")


def gpu_workload(name):
    """The CPU workload ``name`` with issue 20's GPU batch size."""
    if name not in GPU_BATCHES:
        raise SystemExit(f"--device gpu: unknown workload {name!r}; choose from {', '.join(GPU_BATCHES)}")
    base = WORKLOADS[name]
    batch = GPU_BATCHES[name]
    label = base.label.replace(f"b{base.batch}", f"b{batch}")
    return dataclasses.replace(base, batch=batch, label=label)


# =================================================================== children

def gpu_problem(framework):
    """None when ``framework`` can compute on a CUDA GPU in this process, else why not."""
    if framework == "kerasette":
        try:
            import cupy
        except ImportError as error:
            return f"cupy cannot be imported ({error}): {INSTALL_HINT}"
        try:
            count = cupy.cuda.runtime.getDeviceCount()
        except Exception as error:  # cupy's CUDARuntimeError when there is no driver or no device
            return f"cupy finds no CUDA device ({type(error).__name__}: {error})"
        return None if count > 0 else "cupy finds no CUDA device"
    try:
        import torch
    except ImportError as error:
        return f"torch cannot be imported ({error})"
    if not torch.cuda.is_available():
        return f"torch {torch.__version__} sees no CUDA device (a CPU-only build, or no NVIDIA driver)"
    return None


def child_probe(args):
    """What this machine offers ``args.framework``: a problem, or the device's name."""
    if args.gpu_stand_in:
        return {"problem": None, "device": "CPU stand-in"}
    problem = gpu_problem(args.framework)
    if problem is not None:
        return {"problem": problem}
    if args.framework == "kerasette":
        import cupy
        name = cupy.cuda.runtime.getDeviceProperties(0)["name"]
        name = name.decode() if isinstance(name, bytes) else name
        return {"problem": None, "device": name, "version": f"cupy {cupy.__version__}",
                "cuda_runtime": cupy.cuda.runtime.runtimeGetVersion()}
    import torch
    return {"problem": None, "device": torch.cuda.get_device_name(0),
            "version": f"torch {torch.__version__} (CUDA {torch.version.cuda})"}


def kerasette_gpu_step(workload, xs, ys, stand_in):
    from kerasette import backend

    from workloads import kerasette_model

    xp = backend.array_module()
    if not stand_in and xp.__name__ != "cupy":
        raise RuntimeError("kerasette's array module is not cupy: run with KERASETTE_ARRAY_MODULE=cupy")
    synchronize = (lambda: None) if stand_in else xp.cuda.Device().synchronize
    net = kerasette_model(workload.model)
    gxs = [xp.asarray(x) for x in xs]          # on the GPU once, outside the timed steps
    gys = [xp.asarray(y) for y in ys]
    synchronize()

    def step(i):
        loss = net.train_on_batch(gxs[i], gys[i])
        synchronize()
        return loss
    return step


def torch_gpu_step(workload, xs, ys, stand_in):
    import numpy as np
    import torch
    import torch.nn.functional as F

    from workloads import INPUT_SHAPES, torch_model

    device = torch.device("cpu" if stand_in else "cuda")
    synchronize = (lambda: None) if stand_in else torch.cuda.synchronize
    torch.manual_seed(0)
    net = torch_model(workload.model).to(device)
    if len(INPUT_SHAPES[workload.model]) == 3:    # NCHW, PyTorch's natural layout
        xs = [np.ascontiguousarray(x.transpose(0, 3, 1, 2)) for x in xs]
    txs = [torch.from_numpy(x).to(device) for x in xs]
    tys = [torch.from_numpy(y).to(device) for y in ys]
    net.train()
    if workload.model == "w1":
        optimizer = torch.optim.SGD(net.parameters(), lr=0.01)
    else:
        optimizer = torch.optim.Adam(net.parameters(), lr=1e-3)
    synchronize()

    def step(i):
        optimizer.zero_grad()
        loss = F.cross_entropy(net(txs[i]), tys[i])
        loss.backward()
        optimizer.step()
        synchronize()
        return loss.item()
    return step


def child_bench(args):
    problem = None if args.gpu_stand_in else gpu_problem(args.framework)
    if problem is not None:
        raise SystemExit(f"--device gpu, {args.framework}: {problem}")
    workload = gpu_workload(args.workload)
    xs, ys = make_data(workload)
    make = kerasette_gpu_step if args.framework == "kerasette" else torch_gpu_step
    step = make(workload, xs, ys, args.gpu_stand_in)
    if args.quick:
        return measure(step, workload, len(xs), warmup=2, min_steps=5, min_seconds=0.3)
    return measure(step, workload, len(xs))


def run_child(args):
    if args.child == "gpu-probe":
        return child_probe(args)
    return child_bench(args)


# ===================================================================== parent

def child_env_extra(args, framework):
    if framework == "kerasette" and not args.gpu_stand_in:
        return {"KERASETTE_ARRAY_MODULE": "cupy"}
    return {"KERASETTE_ARRAY_MODULE": ""}


def main(args, spawn, log):
    """Probe, measure R sweeps, report; writes its section unless --quick or the stand-in without --results."""
    repeats = args.repeats or (1 if args.quick else 3)
    names = list(GPU_BATCHES) if args.workload == "all" else [n.strip().lower() for n in args.workload.split(",")]
    plan = [gpu_workload(name) for name in names]
    flags = (["--gpu-stand-in"] if args.gpu_stand_in else []) + (["--quick"] if args.quick else [])
    frameworks = ["kerasette"] + ([] if args.no_torch else ["torch"])
    devices, missing = {}, {}
    for framework in frameworks:
        probe = spawn(["--child", "gpu-probe", "--framework", framework] + flags, args.threads,
                      child_env_extra(args, framework))
        problem = probe.get("problem", probe.get("error"))
        if problem is None:
            devices[framework] = probe
        else:
            missing[framework] = problem
    if "kerasette" in missing:
        raise SystemExit(f"--device gpu: kerasette cannot run on a GPU here: {missing['kerasette']}. "
                         "(--gpu-stand-in runs this path on the CPU.)")
    for framework, problem in missing.items():
        log(f"--device gpu: {framework} not run: {problem}")
    log("--device gpu: " + "; ".join(f"{fw}: {info.get('device')} {info.get('version', '')}".strip()
                                    for fw, info in devices.items()))
    results = {w.name: {fw: [] for fw in devices} for w in plan}
    for index in range(repeats):
        log(f"sweep {index + 1}/{repeats}")
        for workload in plan:
            order = list(devices) if index % 2 == 0 else list(reversed(list(devices)))
            for framework in order:
                result = spawn(["--child", "gpu-bench", "--workload", workload.name, "--framework", framework]
                               + flags, args.threads, child_env_extra(args, framework))
                results[workload.name][framework].append(result)
                if "error" in result:
                    log(f"  {workload.name} {framework:9s} ERROR {result['error']}")
                else:
                    log(f"  {workload.name} {framework:9s} {result['samples_per_s']:10.1f} samples/s "
                        f"(median step {result['step_ms_median']:.2f} ms, loss {result.get('last_loss')})")
    section = report(plan, results, devices, missing, args, repeats)
    print()
    print(section)
    path = args.results or (None if args.gpu_stand_in else RESULTS)
    write = args.write if args.write is not None else not args.quick
    if path and (write or args.results):
        write_section(path, section)
        log(f"wrote {path}")
    return results


def commit():
    done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    return done.stdout.strip() or "unknown"


def report(plan, results, devices, missing, args, repeats):
    today = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    device = devices.get("kerasette", {}).get("device", "unknown")
    lines = ["## GPU: kerasette on cupy against PyTorch eager on CUDA (issue 20)", ""]
    if args.gpu_stand_in:
        lines += ["**CPU stand-in run (`--gpu-stand-in`): kerasette on numpy, PyTorch on its CPU. "
                  "These are not GPU numbers; the run checks the code path only.**", ""]
    lines += [f"- run: {today}, commit {commit()}, {repeats} sweep(s){' (--quick)' if args.quick else ''}, "
              f"each measurement in a fresh process; command: `benchmarks/gpu_check.sh` "
              f"(`python benchmarks/run.py --device gpu`)",
              f"- device: {device}; " + "; ".join(f"{fw}: {info.get('version', 'n/a')}"
                                                  for fw, info in devices.items())]
    for framework, problem in missing.items():
        lines.append(f"- {framework}: not run ({problem})")
    if args.test_summary:
        lines.append(f"- test suite with KERASETTE_ARRAY_MODULE=cupy: {args.test_summary}")
    lines += ["", "Training samples/s, median of the sweeps [min-max]; every step ends with the GPU synchronized "
              "(cupy `cuda.Device().synchronize()`, `torch.cuda.synchronize()`); ratio = kerasette / PyTorch "
              f"eager; goal >= {GOAL}.", "",
              "| workload | kerasette samples/s | PyTorch samples/s | ratio | goal |", "|---|---:|---:|---:|---|"]
    errors = []
    for workload in plan:
        cells, medians = [], {}
        for framework in FRAMEWORKS:
            runs = results[workload.name].get(framework)
            values = [r["samples_per_s"] for r in runs or [] if "samples_per_s" in r]
            errors += [(workload.name, framework, r["error"]) for r in runs or [] if "error" in r]
            if values:
                medians[framework] = statistics.median(values)
                cells.append(f"{medians[framework]:,.0f} [{min(values):,.0f}-{max(values):,.0f}]")
            else:
                cells.append("not run" if runs is None else "error")
        if len(medians) == 2:
            ratio = medians["kerasette"] / medians["torch"]
            verdict = f"{ratio:.2f}", f">= {GOAL}: " + ("met" if ratio >= GOAL else "**not met**")
        else:
            verdict = "n/a", f">= {GOAL}: not measured"
        lines.append(f"| {workload.label} | {cells[0]} | {cells[1]} | {verdict[0]} | {verdict[1]} |")
    if errors:
        lines += ["", "Errors:"] + [f"- {name} {fw}: {error}" for name, fw, error in errors]
    return "\n".join(lines) + "\n"


def write_section(path, section):
    """Replace the GPU section of ``path`` (between BEGIN and END); other sections are kept."""
    from results_section import write_section as write_between_markers
    write_between_markers(path, BEGIN, END, f"{BEGIN}\n{section}{END}")
