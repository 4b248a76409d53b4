"""The benchmark tools still run (smoke tests: numbers are printed, never asserted as timings)."""
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_tool(*argv):
    done = subprocess.run([sys.executable, *argv], cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env=dict(os.environ, PYTHONPATH=ROOT))
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_run_py_measures_a_workload_and_reports_it():
    out = run_tool("benchmarks/run.py", "--workload", "w2_infer", "--quick", "--no-torch", "--no-memory",
                   "--import-runs", "1", "--no-write", "--max-wait", "0")
    row = next(line for line in out.splitlines() if line.startswith("| W2 inference"))
    samples = float(row.split("|")[2].split("[")[0].replace(",", ""))
    assert samples > 0
    assert "OpenBLAS settings in the environment" in out
    assert re.search(r"`import kerasette` \| \d+\.\d+", out)


def test_shard_check_lists_the_shard_steps_with_a_ratio():
    out = run_tool("benchmarks/shard_check.py", "--workload", "w1_train", "--repeats", "3", "--min-ms", "0.2")
    rows = [line.split("|") for line in out.splitlines() if line.startswith("| Conv")]
    assert len(rows) >= 4      # two forward convolutions, their input and kernel gradients
    assert all(float(row[3]) > 0 and float(row[4]) > 0 for row in rows)
    assert "time lost to serialisation" in out


def test_sequence_workloads_match_pytorch_in_size_and_train_a_step():
    """W3-GRU and W5 are the same networks in both frameworks (workloads.md): same parameter count
    (Keras' GRU with reset_after=True keeps two bias rows like torch's b_ih and b_hh; W5's attention
    biases are torch's in_proj_bias split three ways), and one training step of each gives a finite loss."""
    import math

    import numpy as np
    import pytest

    pytest.importorskip("torch")
    sys.path.insert(0, os.path.join(ROOT, "benchmarks"))
    try:
        import workloads
    finally:
        sys.path.pop(0)
    expected = {"w3gru": 1000 * 64 + 3 * (64 * 64 * 2 + 2 * 64) + 64 * 2 + 2,
                "w5": 1000 * 128 + 128 * 128 + 2 * (4 * (128 * 128 + 128) + 2 * 2 * 128 + 128 * 512 + 512
                                                    + 512 * 128 + 128) + 128 * 2 + 2}
    for model, count in expected.items():
        assert workloads.kerasette_model(model).count_params() == count
        assert sum(p.numel() for p in workloads.torch_model(model).parameters()) == count
        workload = workloads.WORKLOADS[f"{model}_train"]
        xs, ys = workloads.make_data(workload)
        assert xs[0].shape == (workload.batch,) + workloads.INPUT_SHAPES[model] and xs[0].max() < 1000
        for step in (workloads.kerasette_step(workload, xs[:1], ys[:1]), workloads.torch_step(workload, xs[:1], ys[:1])):
            assert math.isfinite(float(np.ravel(step(0))[0]))


def test_run_py_unsets_the_openblas_overrides_for_every_child(monkeypatch):
    sys.path.insert(0, os.path.join(ROOT, "benchmarks"))
    try:
        import run
    finally:
        sys.path.pop(0)
    monkeypatch.setenv("OPENBLAS_CORETYPE", "Haswell")
    monkeypatch.setenv("OPENBLAS_L2_SIZE", "512")
    env = run.child_env(2)
    assert "OPENBLAS_CORETYPE" not in env and "OPENBLAS_L2_SIZE" not in env
    assert env["OPENBLAS_NUM_THREADS"] == "2"
    assert "removed for every child" in run.openblas_env_text()
    assert run.kernel_of({"threads": [{"internal_api": "openblas", "architecture": "SkylakeX"}]}) == "openblas SkylakeX"


def test_profile_step_names_a_rewritten_step_by_the_primitive_it_runs():
    # W1 inference: pool_first moves each max pool onto the step of the bias add in front of
    # it, so the op table must count those steps as max_pool, and the measured shape is pooled
    sys.path.insert(0, os.path.join(ROOT, "benchmarks"))
    try:
        import profile_step
    finally:
        sys.path.pop(0)
    from kerasette import backend
    before = backend.parallel_shards()
    try:
        workload, net, program, xs, ys = profile_step.build("w1_infer")     # sets one shard
        result = profile_step.op_profile(workload, net, program, xs, ys, steps=1)
    finally:
        backend.set_parallel_shards(before)
    rows = {node.name: (name, shape) for node, name, shape in
            zip(result["nodes"], result["names"], result["shapes"])}
    assert rows["add"] == ("max_pool", (1024, 12, 12, 10))
    assert rows["add_1"] == ("max_pool", (1024, 4, 4, 20))
    assert rows["Conv"] == ("conv", (1024, 24, 24, 10))
    assert sorted(result["names"]).count("max_pool") == 2
    out = []
    profile_step.report_ops(workload, result, out)
    table = "\n".join(out)
    assert "| max_pool | 2 |" in table and "max_pool (node: add) | forward | 1024x12x12x10 |" in table
