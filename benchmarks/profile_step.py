"""Where a kerasette training step spends its time, op by op (no change to kerasette).

    python benchmarks/profile_step.py --workload w1_train            # op table + cProfile
    python benchmarks/profile_step.py --workload w4_train --pyspy     # + native py-spy split
    python benchmarks/profile_step.py --workload w1_infer --threads 1 # one BLAS thread

Three views of the same step (``model.train_on_batch`` on the workload's
data, or ``model.predict_on_batch`` for w1_infer / w2_infer, after warm-up,
at 2 BLAS threads):

1. **ops**: the compiled training ``Program`` (``model._programs``) is run by
   a copy of ``Program.__call__`` that times every step; steps are mapped back
   to their graph nodes (the compiler's topological order is deterministic)
   and aggregated by primitive, by phase (forward / backward / optimizer
   update) and by category.  The difference between ``train_on_batch`` and the
   bare program call is the Python work around the program (input checks,
   label checks, metrics, logs).
2. **cProfile** of whole ``train_on_batch`` calls (Python-level functions;
   numpy ufuncs and ``@`` are not Python calls and stay inside their callers).
3. **py-spy --native** (``--pyspy``, if py-spy is installed): samples the
   native stack of the main thread and splits each kerasette primitive's time
   into BLAS (OpenBLAS sgemm), numpy copies (im2col, padding, strided
   assignment), numpy ufunc loops, allocation/zero-filling and Python.
"""
from __future__ import annotations

import argparse
import collections
import cProfile
import io
import os
import pstats
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
# BLAS reads its thread count when it loads: take --threads from argv before numpy is imported
_THREADS = sys.argv[sys.argv.index("--threads") + 1] if "--threads" in sys.argv[:-1] else "2"
for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[name] = _THREADS
sys.path[:0] = [HERE, ROOT]

import numpy as np  # noqa: E402

from workloads import WORKLOADS, kerasette_model, make_data  # noqa: E402

#: primitive name -> category (anything else: "other")
CATEGORIES = {
    "conv": "conv (BLAS + im2col)", "conv_backprop_input": "conv (BLAS + im2col)",
    "conv_backprop_kernel": "conv (BLAS + im2col)",
    "matmul": "dense matmul (BLAS)",
    "add": "elementwise", "subtract": "elementwise", "multiply": "elementwise", "divide": "elementwise",
    "relu": "elementwise", "greater": "elementwise", "sqrt": "elementwise", "square": "elementwise",
    "maximum": "elementwise", "where": "elementwise", "negative": "elementwise", "power": "elementwise",
    "max_pool": "pooling", "max_pool_grad": "pooling",
    "sum_to_like": "reductions (sum_to_like, mean)", "mean": "reductions (sum_to_like, mean)",
    "sum": "reductions (sum_to_like, mean)",
    "softmax": "softmax + loss", "softmax_grad": "softmax + loss",
    "sparse_softmax_cross_entropy": "softmax + loss",
    "sparse_softmax_cross_entropy_backward": "softmax + loss",
    "reshape": "shape/cast", "reshape_like": "shape/cast", "cast": "shape/cast",
    "expand_dims": "shape/cast", "broadcast_like": "shape/cast", "ones_like": "shape/cast",
    "reduction_count": "shape/cast",
}


def build(workload_name, shards=1):
    """The workload's model, warmed up, and its compiled program.

    ``shards=1`` turns off kerasette's two-shard training step
    (``backend.set_parallel_shards``) so that one ``Program`` holds the whole
    step and every op is timed at the full batch; 'auto' keeps the default.
    """
    from kerasette import backend
    if hasattr(backend, "set_parallel_shards"):
        backend.set_parallel_shards(shards)
    workload = WORKLOADS[workload_name]
    xs, ys = make_data(workload)
    net = kerasette_model(workload.model)
    for i in range(5):
        run_step(net, workload, xs[i % len(xs)], ys[i % len(ys)])
    kind = "train" if workload.train else "predict"
    program = next(p for key, p in net._programs.items() if key[0] == kind)
    return workload, net, program, xs, ys


def run_step(net, workload, x, y):
    """One step as the benchmark times it: train_on_batch, or predict_on_batch for inference."""
    if workload.train:
        return net.train_on_batch(x, y)
    return net.predict_on_batch(x)


def program_feeds(workload, x, y):
    if workload.train:
        return (x, y, np.ones(len(x), np.float32))
    return (x,)


def node_table(net, program):
    """For each program step, its graph node and phase ('forward', 'backward', 'update')."""
    from kerasette.engine.autodiff import topological_order
    order = topological_order(program.fetches + [value for _, value in program.updates], stop=program.feeds)
    forward = {id(n) for n in topological_order(program.fetches, stop=program.feeds)}
    model_weights = {id(v) for v in net.weights}
    # the optimizer's own state (learning rate, iterations, Adam's moments) marks its update arithmetic
    optimizer_state = {id(n) for n in order if n.kind == "variable" and id(n.holder) not in model_weights}
    update = set()
    for node in order:
        if id(node) in forward:
            continue
        if any(id(parent) in optimizer_state or id(parent) in update for parent in node.inputs):
            update.add(id(node))
    # ... plus the elementwise arithmetic on a gradient that only the update consumes
    # (Adam's square(g), (1 - beta1) * g): grow backwards to a fixed point
    consumers = collections.defaultdict(list)
    for node in order:
        for parent in node.inputs:
            consumers[id(parent)].append(node)
    grew = True
    while grew:
        grew = False
        for node in order:
            if (id(node) in forward or id(node) in update or node.kind != "op"
                    or CATEGORIES.get(node.op.name) not in ("elementwise", "shape/cast")):
                continue
            users = consumers[id(node)]
            if users and all(id(user) in update for user in users):
                update.add(id(node))
                grew = True
    nodes = [n for n in order if n.kind in ("op", "assign") and id(n) not in {id(f) for f in program.feeds}]
    if len(nodes) != len(program.steps):
        raise RuntimeError(f"cannot map {len(program.steps)} steps to {len(nodes)} nodes")
    phases = ["forward" if id(n) in forward else "update" if id(n) in update else "backward" for n in nodes]
    return nodes, phases


def timed_call(program, feeds, times, dtypes=None, shapes=None):
    """``Program.__call__`` with a timer around every step (adds to ``times[i]``)."""
    from kerasette.engine.compiler import check_feed
    values = list(program.template)
    for slot, holder in program.variable_slots:
        values[slot] = holder.data
    slots = iter(program.feed_slots)
    for node, value, used in zip(program.feeds, feeds, program.feed_used):
        if used:
            values[next(slots)] = check_feed(node, value)
    xp = program.xp
    clock = time.perf_counter
    for i, (forward, in_slots, attrs, out_slot, release) in enumerate(program.steps):
        start = clock()
        values[out_slot] = forward(xp, *[values[j] for j in in_slots], **attrs)
        times[i] += clock() - start
        if dtypes is not None:
            dtypes[i] = getattr(values[out_slot], "dtype", type(values[out_slot]))
            shapes[i] = getattr(values[out_slot], "shape", None)
        for slot in release:
            values[slot] = None
    for holder, slot in program.update_writes:
        holder.data = values[slot]
    return [values[slot] for slot in program.fetch_slots]


def median_time(fn, repeats):
    samples = []
    for i in range(repeats):
        start = time.perf_counter()
        fn(i)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def op_profile(workload, net, program, xs, ys, steps):
    nodes, phases = node_table(net, program)
    count = len(xs)
    # interleave the three measurements so the machine's load hits all alike
    full, bare, instrumented = [], [], []
    times = [0.0] * len(program.steps)
    for i in range(steps):
        x, y = xs[i % count], ys[i % count]
        start = time.perf_counter()
        run_step(net, workload, x, y)
        full.append(time.perf_counter() - start)
        start = time.perf_counter()
        program(*program_feeds(workload, x, y))
        bare.append(time.perf_counter() - start)
        start = time.perf_counter()
        timed_call(program, program_feeds(workload, x, y), times)
        instrumented.append(time.perf_counter() - start)
    per_step = [t / steps for t in times]
    dtypes, shapes = [None] * len(program.steps), [None] * len(program.steps)
    timed_call(program, program_feeds(workload, xs[0], ys[0]), [0.0] * len(program.steps), dtypes, shapes)
    return {
        "dtypes": dtypes, "shapes": shapes,
        "full": statistics.median(full), "bare": statistics.median(bare),
        "instrumented": statistics.median(instrumented), "per_node": per_step,
        "nodes": nodes, "phases": phases, "names": [step_name(step[0], node) for step, node in zip(program.steps, nodes)],
    }


def step_name(forward, node):
    """The primitive a step runs: the one its forward is bound to (after the compiler's rewrites,
    ``pool_first`` moves a max pool onto the step of the add or relu it skips), else the node's."""
    op = getattr(forward, "__self__", None)
    if getattr(op, "name", None):
        return op.name
    return node.op.name if node.kind == "op" else node.kind


def shape_text(shape, batch):
    return "x".join(str(batch if s is None else s) for s in shape)


def report_ops(workload, result, out):
    nodes, phases, per_node = result["nodes"], result["phases"], result["per_node"]
    full, bare = result["full"], result["bare"]
    summed = sum(per_node)
    out.append(f"### {workload.label}: one step = {1e3 * full:.2f} ms "
               f"({workload.batch / full:,.0f} samples/s, median of the profiled steps)\n")
    api = "train_on_batch" if workload.train else "predict_on_batch"
    out.append(f"- `{api}`: {1e3 * full:.2f} ms; bare `program(...)`: {1e3 * bare:.2f} ms "
               f"-> Python around the program (input/label checks, metrics, logs): "
               f"{1e3 * (full - bare):.2f} ms ({100 * (full - bare) / full:.1f}%)")
    out.append(f"- sum of the {len(nodes)} timed steps: {1e3 * summed:.2f} ms; "
               f"the program's own loop and slot handling: {1e3 * max(bare - summed, 0):.2f} ms "
               f"({100 * max(bare - summed, 0) / full:.1f}%)\n")

    by_prim = collections.defaultdict(lambda: [0, 0.0, collections.Counter()])
    names = result["names"]
    for prim_name, phase, t in zip(names, phases, per_node):
        entry = by_prim[prim_name]
        entry[0] += 1
        entry[1] += t
        entry[2][phase] += t
    out.append("| primitive | steps | ms/step | % of the step | forward / backward / update ms |")
    out.append("|---|---:|---:|---:|---|")
    for prim, (n, t, ph) in sorted(by_prim.items(), key=lambda kv: -kv[1][1]):
        out.append(f"| {prim} | {n} | {1e3 * t:.3f} | {100 * t / full:.1f}% | "
                   f"{1e3 * ph['forward']:.2f} / {1e3 * ph['backward']:.2f} / {1e3 * ph['update']:.2f} |")

    by_cat = collections.Counter()
    for prim_name, t in zip(names, per_node):
        by_cat[CATEGORIES.get(prim_name, "other")] += t
    by_phase = collections.Counter()
    for phase, t in zip(phases, per_node):
        by_phase[phase] += t
    out.append("\nBy category (share of the whole step):\n")
    out.append("| category | ms/step | share |")
    out.append("|---|---:|---:|")
    for cat, t in by_cat.most_common():
        out.append(f"| {cat} | {1e3 * t:.3f} | {100 * t / full:.1f}% |")
    overhead = (full - bare) + max(bare - summed, 0.0)
    out.append(f"| Python outside the program's steps (train/predict_on_batch + program loop) | {1e3 * overhead:.3f} | "
               f"{100 * overhead / full:.1f}% |")
    if summed > bare:
        out.append(f"\n(The timed steps sum to {1e3 * (summed - bare):.2f} ms more than the bare program: "
                   "timing noise from other jobs on the machine; shares are of the median "
                   "train_on_batch.)")
    out.append("\nBy phase: " + ", ".join(f"{p} {1e3 * by_phase[p]:.2f} ms ({100 * by_phase[p] / full:.0f}%)"
                                          for p in ("forward", "backward", "update")) + "\n")

    wide = [(n.name, str(d)) for n, d in zip(nodes, result["dtypes"])
            if str(d) in ("float64", "complex128") or (hasattr(d, "kind") and d.kind == "f" and d.itemsize > 4)]
    out.append("float64 step outputs: " + (", ".join(f"{n} ({d})" for n, d in wide) if wide else
                                            "none (every float step computes in float32)") + "\n")
    out.append("Slowest steps:\n")
    out.append("(a step the compiler rewrote runs another primitive than its graph node's: both are named; "
               "the output shape is the one measured, the inputs are the node's)\n")
    out.append("| step | primitive | phase | output shape | inputs | ms |")
    out.append("|---|---|---|---|---|---:|")
    ranked = sorted(zip(nodes, names, phases, result["shapes"], per_node), key=lambda item: -item[4])
    for node, prim_name, phase, shape, t in ranked[:18]:
        ins = ", ".join(shape_text(p.shape, workload.batch) for p in node.inputs)
        planned = node.op.name if node.kind == "op" else node.kind
        label = prim_name if prim_name == planned else f"{prim_name} (node: {planned})"
        shown = "x".join(map(str, shape)) if shape is not None else shape_text(node.shape, workload.batch)
        out.append(f"| {node.name} | {label} | {phase} | {shown} | {ins} | {1e3 * t:.3f} |")
    out.append("")


def cprofile_report(net, workload, xs, ys, steps, out):
    profiler = cProfile.Profile()
    profiler.enable()
    for i in range(steps):
        run_step(net, workload, xs[i % len(xs)], ys[i % len(ys)])
    profiler.disable()
    stream = io.StringIO()
    stats = pstats.Stats(profiler, stream=stream)
    stats.sort_stats("tottime").print_stats(22)
    text = stream.getvalue()
    text = text.replace(ROOT + "/", "").replace(sys.prefix, "<venv>")
    body = text[text.find("ncalls"):] if "ncalls" in text else text
    out.append(f"cProfile, {steps} steps, sorted by own time (per-step: divide by {steps}):\n")
    out.append("```\n" + body.strip() + "\n```\n")


# ----------------------------------------------------------------- py-spy

#: (category, pattern) tried on each native frame from the leaf upwards; the first hit decides
NATIVE_RULES = [
    ("BLAS (OpenBLAS sgemm, packing, thread sync)", r"openblas"),
    ("allocation / zero-fill / free", r"^(brk|sbrk|madvise|mmap|munmap|malloc|free|calloc|_int_malloc|_int_free"
                                      r"|__default_morecore|PyDataMem\w*|npy_alloc\w*|default_calloc|memset\w*"
                                      r"|array_dealloc) "),
    ("numpy FP-status checks (per ufunc call)", r"fetestexcept|floatstatus"),
    ("numpy copies (im2col, pad, strided assign, cast)",
     r"_contig_to_contig|_strided_to|assign_array|AssignArray|copy_to_buffers|copy_from_buffers"
     r"|TransferStridedToNDim|memcpy|memmove|CopyInto|_cast|aligned_|PyArray_Pad|array_assign_subscript"),
    ("numpy elementwise + reduction loops", r"^(FLOAT|DOUBLE|BOOL|LONG|INT|HALF|UBYTE)_|PyArray_Where|reduce_loop"
                                             r"|iternext|ufunc_generic|execute_ufunc|GenericReduction|ReduceWrapper"),
]


def classify_leaf(frames):
    """Category of one native stack sample (frames outermost first)."""
    for frame in reversed(frames):
        if re.search(r"\.py:\d+\)$", frame):
            return "Python interpreter (incl. numpy call overhead)"
        if frame.startswith("0x"):
            continue          # an unresolved address (inside libc's memcpy, usually): look at its caller
        for category, pattern in NATIVE_RULES:
            if re.search(pattern, frame, re.I):
                return category
    return "other native"


PY_FRAME = re.compile(r"^([\w.<>]+) \((?:[^)]*?)kerasette/(primitives|engine|models)/(\w+\.py):(\d+)\)$")


def owner(frames):
    """(primitive, innermost kerasette line) of one sample: e.g. ('Conv.forward', 'conv_forward:183')."""
    outer, inner = None, None
    for frame in frames:
        match = PY_FRAME.match(frame)
        if not match:
            continue
        func, package, module, line = match.groups()
        if package == "primitives":
            outer = outer or func
            inner = f"{func} ({module}:{line})"
        elif package == "engine" and outer is None:
            inner = f"{func} ({module}:{line})"
        elif package == "models" and outer is None:
            inner = f"{func} ({module}:{line})"
    if outer is None:
        outer = "program loop / train_on_batch Python" if inner else "outside the step"
    return outer, inner or outer


def pyspy(workload_name, seconds, out):
    exe = shutil.which("py-spy") or os.path.join(os.path.dirname(sys.executable), "py-spy")
    if not os.path.exists(exe):
        out.append("py-spy is not installed (`pip install py-spy`); native split skipped.\n")
        return
    with tempfile.TemporaryDirectory() as tmp:
        raw = os.path.join(tmp, "samples.txt")
        command = [exe, "record", "--native", "-r", "250", "-f", "raw", "-o", raw, "--",
                   sys.executable, os.path.abspath(__file__), "--workload", workload_name,
                   "--loop", str(seconds), "--threads", _THREADS]
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0 or not os.path.exists(raw):
            out.append(f"py-spy failed: {done.stderr.strip()[-300:]}\n")
            return
        with open(raw) as f:
            lines = f.read().splitlines()
    by_cat = collections.Counter()
    by_owner = collections.defaultdict(collections.Counter)
    by_line = collections.defaultdict(collections.Counter)
    total = 0
    for line in lines:
        stack, _, count = line.rpartition(" ")
        frames = stack.split(";")
        if not any("_loop_steps" in fr for fr in frames):
            continue      # model building and warm-up
        n = int(count)
        total += n
        category = classify_leaf(frames)
        by_cat[category] += n
        outer, inner = owner(frames)
        by_owner[outer][category] += n
        by_line[inner][category] += n
    if not total:
        out.append("py-spy recorded no samples in the timed loop.\n")
        return
    out.append(f"py-spy --native, {total} samples of the main thread in the timed loop "
               f"(wall-clock; OpenBLAS's second thread is not sampled):\n")
    out.append("| where (leaf of the native stack) | share |")
    out.append("|---|---:|")
    for cat, n in by_cat.most_common():
        out.append(f"| {cat} | {100 * n / total:.1f}% |")
    cats = [c for c, _ in by_cat.most_common()]
    short = {c: c.split(" (")[0] for c in cats}
    for title, table, rows in (("primitive (outermost kerasette/primitives frame)", by_owner, 16),
                               ("innermost kerasette line", by_line, 14)):
        out.append(f"\nPer {title} x native category, % of all samples:\n")
        out.append(f"| {title.split(' (')[0]} | total | " + " | ".join(short[c] for c in cats) + " |")
        out.append("|---|---:|" + "---:|" * len(cats))
        for who, counter in sorted(table.items(), key=lambda kv: -sum(kv[1].values()))[:rows]:
            n = sum(counter.values())
            cells = [f"{100 * counter[c] / total:.1f}" if counter[c] else "" for c in cats]
            out.append(f"| {who} | {100 * n / total:.1f}% | " + " | ".join(cells) + " |")
    out.append("")


def _loop_steps(net, workload, xs, ys, seconds):
    end = time.perf_counter() + seconds
    i = 0
    while time.perf_counter() < end:
        run_step(net, workload, xs[i % len(xs)], ys[i % len(ys)])
        i += 1
    return i


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workload", default="w1_train", choices=list(WORKLOADS))
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--pyspy", action="store_true", help="also sample native stacks with py-spy")
    parser.add_argument("--seconds", type=float, default=12.0, help="py-spy sampling time")
    parser.add_argument("--threads", type=int, default=2, help="BLAS threads (default 2, as benchmarked)")
    parser.add_argument("--loop", type=float, help=argparse.SUPPRESS)    # child of --pyspy
    args = parser.parse_args(argv)

    out = [f"load average at start: {tuple(round(x, 2) for x in os.getloadavg())}; "
           f"BLAS threads: {_THREADS}\n"]
    if not args.loop and WORKLOADS[args.workload].train:
        # the step as shipped (two shards on two threads where kerasette decides so), for reference
        workload, net, program, xs, ys = build(args.workload, "auto")
        if not hasattr(program, "steps"):
            shipped = median_time(lambda i: run_step(net, workload, xs[i % len(xs)], ys[i % len(ys)]),
                                  max(10, args.steps // 2))
            out.append(f"As shipped, kerasette runs this step as {type(program).__name__} (two half-batch "
                       f"shards on two threads): {1e3 * shipped:.2f} ms per step "
                       f"({workload.batch / shipped:,.0f} samples/s). The tables below profile the "
                       "unsharded program (backend.set_parallel_shards(1)), every op at the full batch.\n")
    workload, net, program, xs, ys = build(args.workload, 1)
    if args.loop:
        _loop_steps(net, workload, xs, ys, args.loop)
        return
    result = op_profile(workload, net, program, xs, ys, args.steps)
    report_ops(workload, result, out)
    cprofile_report(net, workload, xs, ys, max(10, args.steps // 2), out)
    if args.pyspy:
        pyspy(args.workload, args.seconds, out)
    out.append(f"load average at end: {tuple(round(x, 2) for x in os.getloadavg())}")
    print("\n".join(out))


if __name__ == "__main__":
    main()
