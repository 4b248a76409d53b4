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
