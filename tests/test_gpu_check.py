"""The GPU check's CPU-side parts: benchmarks/gpu_check.sh (syntax, --dry-run, no GPU), the
``KERASETTE_ARRAY_MODULE`` variable, and ``benchmarks/run.py --device gpu`` (its errors without
cupy / CUDA, and its whole code path in the CPU stand-in mode)."""
import importlib.util
import os
import re
import stat
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(ROOT, "benchmarks", "gpu_check.sh")
HAVE_CUPY = importlib.util.find_spec("cupy") is not None


def fake_nvidia_smi(folder, gpu):
    """A stand-in ``nvidia-smi`` first on PATH: one that lists a GPU, or one that fails as it does without a driver."""
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, "nvidia-smi")
    with open(path, "w") as f:
        if gpu:
            f.write('#!/bin/sh\necho "GPU 0: NVIDIA Stand-in (UUID: GPU-0)"\n')
        else:
            f.write('#!/bin/sh\necho "NVIDIA-SMI has failed because it could not communicate with the NVIDIA driver."\n'
                    "exit 9\n")
    os.chmod(path, os.stat(path).st_mode | stat.S_IEXEC)
    return folder


def run_script(tmp_path, *argv, gpu=False):
    env = dict(os.environ, PATH=fake_nvidia_smi(str(tmp_path / "bin"), gpu) + os.pathsep + os.environ["PATH"],
               KERASETTE_GPU_VENV=str(tmp_path / "venv"))
    return subprocess.run(["bash", SCRIPT, *argv], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)


def test_gpu_check_script_parses():
    done = subprocess.run(["bash", "-n", SCRIPT], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    with open(SCRIPT) as f:
        assert f.readline().startswith("#!/usr/bin/env bash")


def test_dry_run_without_a_gpu_lists_every_step_runs_nothing_and_says_no_gpu(tmp_path):
    done = run_script(tmp_path, "--dry-run")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "No NVIDIA GPU found" in out and "no NVIDIA GPU was found on this machine" in out
    steps = [line for line in out.splitlines() if line.startswith("+ ")]
    assert any("-m venv" in s for s in steps)
    assert any("pip install -e" in s and "test" in s and "gpu" in s for s in steps)       # cupy-cuda12x: the gpu extra
    assert any("import cupy" in s for s in steps)
    assert any("KERASETTE_ARRAY_MODULE=cupy" in s and "pytest" in s for s in steps)
    assert any("benchmarks/run.py --device gpu" in s for s in steps)
    assert not (tmp_path / "venv").exists()                       # a dry run creates nothing


def test_dry_run_with_a_gpu_says_so(tmp_path):
    done = run_script(tmp_path, "--dry-run", "--quick", gpu=True)
    assert done.returncode == 0, done.stderr
    assert "GPU 0: NVIDIA Stand-in" in done.stdout and "a GPU is present" in done.stdout
    assert "No NVIDIA GPU found" not in done.stdout
    assert re.search(r"run\.py --device gpu .*--quick", done.stdout)
    assert not (tmp_path / "venv").exists()


def test_real_run_without_a_gpu_stops_before_installing_anything(tmp_path):
    done = run_script(tmp_path)
    assert done.returncode == 3
    assert "no NVIDIA GPU found" in done.stderr
    assert "== 2." not in done.stdout and not (tmp_path / "venv").exists()


def test_unknown_option_is_refused(tmp_path):
    done = run_script(tmp_path, "--dry-rn")
    assert done.returncode == 2 and "unknown option '--dry-rn'" in done.stderr


# ------------------------------------------------------------ KERASETTE_ARRAY_MODULE

PROBE = "import kerasette.backend as b; print(b.array_module().__name__)"


def python_with(value, code=PROBE):
    env = dict(os.environ, PYTHONPATH=ROOT)
    env.pop("KERASETTE_ARRAY_MODULE", None)
    if value is not None:
        env["KERASETTE_ARRAY_MODULE"] = value
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)


@pytest.mark.parametrize("value", [None, "", "numpy", " NumPy "])
def test_array_module_variable_unset_empty_or_numpy_gives_numpy(value):
    done = python_with(value)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "numpy"


def test_array_module_variable_numpy_still_lets_set_array_module_switch():
    done = python_with("numpy", "import kerasette.backend as b; b.set_array_module('numpy'); "
                                "print(b.array_module().__name__)")
    assert done.returncode == 0 and done.stdout.strip() == "numpy"


@pytest.mark.skipif(HAVE_CUPY, reason="cupy is installed here: the error for a missing cupy cannot happen")
def test_array_module_variable_cupy_without_cupy_names_the_gpu_extra():
    done = python_with("cupy")
    assert done.returncode != 0
    assert "ImportError" in done.stderr and "KERASETTE_ARRAY_MODULE=cupy" in done.stderr
    assert "kerasette[gpu]" in done.stderr


def test_array_module_variable_rejects_an_unknown_module():
    done = python_with("torch")
    assert done.returncode != 0
    assert "KERASETTE_ARRAY_MODULE='torch'" in done.stderr and "'numpy' or 'cupy'" in done.stderr


# ------------------------------------------------------------ run.py --device gpu

def run_py(*argv, extra_env=None):
    env = dict(os.environ, PYTHONPATH=ROOT, **(extra_env or {}))
    return subprocess.run([sys.executable, "benchmarks/run.py", *argv], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300)


@pytest.mark.skipif(HAVE_CUPY, reason="cupy is installed here: the error for a missing cupy cannot happen")
def test_device_gpu_without_cupy_stops_with_an_error_naming_cupy_and_the_extra(tmp_path):
    results = tmp_path / "RESULTS.md"
    done = run_py("--device", "gpu", "--quick", "--workload", "w2_train", "--results", str(results))
    assert done.returncode != 0
    assert "kerasette cannot run on a GPU here" in done.stderr
    assert "cupy" in done.stderr and "kerasette[gpu]" in done.stderr and "CUDA" in done.stderr
    assert not results.exists()


def test_device_gpu_refuses_a_workload_outside_issue_20s_three():
    done = run_py("--device", "gpu", "--gpu-stand-in", "--quick", "--workload", "w3_train")
    assert done.returncode != 0 and "w1_train, w2_train, w4_train" in done.stderr


def test_device_gpu_stand_in_runs_the_whole_path_and_writes_only_its_section(tmp_path):
    """On the CPU (numpy, torch CPU): probe, W2 at the GPU batch size (1024) for both frameworks in
    fresh processes, the report, and the section written between its markers, the rest of the file kept."""
    pytest.importorskip("torch")
    sys.path.insert(0, os.path.join(ROOT, "benchmarks"))
    try:
        import gpu_bench
    finally:
        sys.path.pop(0)
    results = tmp_path / "RESULTS.md"
    results.write_text(f"# Benchmark results\n\nkept above\n\n{gpu_bench.BEGIN}\nold\n{gpu_bench.END}\n\nkept below\n")
    done = run_py("--device", "gpu", "--gpu-stand-in", "--quick", "--workload", "w2_train",
                  "--results", str(results), "--test-summary", "12 passed", "--max-wait", "0")
    assert done.returncode == 0, done.stderr[-2000:]
    text = results.read_text()
    assert text.startswith("# Benchmark results\n\nkept above\n\n") and text.endswith("\n\nkept below\n")
    assert "old" not in text and text.count(gpu_bench.BEGIN) == 1 and text.count(gpu_bench.END) == 1
    assert "CPU stand-in run" in text and "not GPU numbers" in text
    assert "test suite with KERASETTE_ARRAY_MODULE=cupy: 12 passed" in text
    row = next(line for line in text.splitlines() if line.startswith("| W2 MLP train (b1024"))
    cells = [cell.strip() for cell in row.split("|")[1:-1]]
    kerasette, torch = (float(cell.split("[")[0].replace(",", "")) for cell in cells[1:3])
    assert kerasette > 0 and torch > 0
    assert float(cells[3]) == pytest.approx(kerasette / torch, abs=0.01)
    assert cells[4].startswith(">= 1.0: ")


def test_stand_in_without_results_writes_nothing_and_gpu_batches_are_issue_20s():
    sys.path.insert(0, os.path.join(ROOT, "benchmarks"))
    try:
        import gpu_bench
    finally:
        sys.path.pop(0)
    assert gpu_bench.gpu_workload("w1_train").batch == 1024
    assert gpu_bench.gpu_workload("w2_train").batch == 1024
    assert gpu_bench.gpu_workload("w4_train").batch == 256
    assert gpu_bench.gpu_workload("w4_train").label == "W4 wide CNN train (b256, Adam)"
    done = run_py("--device", "gpu", "--gpu-stand-in", "--quick", "--workload", "w2_train", "--no-torch",
                  "--max-wait", "0")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "| W2 MLP train (b1024, Adam) | " in done.stdout and "| not run |" in done.stdout
    assert "wrote" not in done.stdout


@pytest.mark.skipif(HAVE_CUPY, reason="cupy is installed here: the run would go on to the whole test suite")
def test_real_run_with_a_gpu_installs_then_stops_where_cupy_is_missing(tmp_path):
    """The run past the GPU check, with pip stubbed (the venv's python records pip commands and runs
    everything else with this interpreter): it installs kerasette[test,gpu], replaces a PyTorch without
    CUDA from TORCH_CUDA_INDEX, then stops at the cupy check with exit status 4."""
    venv_bin = tmp_path / "venv" / "bin"
    venv_bin.mkdir(parents=True)
    pip_log = tmp_path / "pip.log"
    python = venv_bin / "python"
    python.write_text(f'#!/bin/sh\nif [ "$1" = "-m" ] && [ "$2" = "pip" ]; then echo "$*" >> {pip_log}; exit 0; fi\n'
                      f'exec {sys.executable} "$@"\n')
    python.chmod(0o755)
    done = run_script(tmp_path, gpu=True)
    assert done.returncode == 4, done.stdout[-2000:] + done.stderr[-2000:]
    pips = pip_log.read_text().splitlines()
    assert pips[0] == "-m pip install --upgrade pip"
    assert pips[1] == f"-m pip install -e {ROOT}[test,gpu]"
    torch_has_cuda = subprocess.run([sys.executable, "-c", "import torch, sys; sys.exit(not torch.cuda.is_available())"],
                                    capture_output=True).returncode == 0
    if not torch_has_cuda:
        assert pips[2] == "-m pip uninstall -y torch"
        assert pips[3].startswith("-m pip install torch==") and "--index-url https://download.pytorch.org/whl/cu" in pips[3]
    assert "No module named 'cupy'" in done.stderr
    assert "== 4." not in done.stdout
