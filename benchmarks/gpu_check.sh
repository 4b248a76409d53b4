#!/usr/bin/env bash
# The one command that checks kerasette's GPU path (the cupy array module) on a machine with an
# NVIDIA GPU and CUDA 12, from a clean checkout:
#
#   bash benchmarks/gpu_check.sh             # everything below; writes benchmarks/RESULTS.md's GPU section
#   bash benchmarks/gpu_check.sh --dry-run   # print the steps, run none of them (works without a GPU)
#   bash benchmarks/gpu_check.sh --quick     # one short benchmark sweep, RESULTS.md left alone
#
# Steps: 1. nvidia-smi must list a GPU; 2. a virtual environment (build/venv-gpu, or $KERASETTE_GPU_VENV)
# with kerasette installed editable with its test and gpu extras (cupy-cuda12x); PyTorch from the test
# extra, replaced by a CUDA build from $TORCH_CUDA_INDEX when the installed one sees no GPU and that
# index offers one; 3. cupy and kerasette's array module checked; 4. the test suite with
# KERASETTE_ARRAY_MODULE=cupy (failures are recorded, the script goes on); 5. W1 (b1024), W2 (b1024)
# and W4 (b256) training, kerasette on cupy against PyTorch eager on CUDA
# (benchmarks/run.py --device gpu), written into benchmarks/RESULTS.md between its begin/end markers
# together with the test suite's summary. Exit status: 0 when the tests passed and the benchmark ran.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${KERASETTE_GPU_VENV:-$ROOT/build/venv-gpu}"
PYTHON_BIN="${PYTHON:-python3}"
TORCH_CUDA_INDEX="${TORCH_CUDA_INDEX:-https://download.pytorch.org/whl/cu128}"
TEST_WORKERS="${TEST_WORKERS:-4}"
DRY_RUN=0
QUICK=0

usage() { sed -n '2,16p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

for arg in "$@"; do
    case "$arg" in
        --dry-run) DRY_RUN=1 ;;
        --quick) QUICK=1 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "gpu_check.sh: unknown option '$arg' (expected --dry-run, --quick or --help)" >&2; exit 2 ;;
    esac
done

step() { echo; echo "== $*"; }
# run a command, or only show it in a dry run
# shown as a shell would take it back: words with spaces or quotes in single quotes
show() {
    local out="" word safe='^[A-Za-z0-9_./=:,+@%-]+$'
    for word in "$@"; do
        if [[ "$word" =~ $safe ]]; then out+="$word "
        else out+="'${word//\'/\'\\\'\'}' "; fi
    done
    echo "+ ${out% }"
}
run() {
    show "$@"
    if [ "$DRY_RUN" -eq 0 ]; then "$@"; fi
}

cd "$ROOT" || exit 2
PY="$VENV/bin/python"

step "1. the GPU (nvidia-smi)"
echo "+ nvidia-smi"
if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L 2>/dev/null | grep -q '^GPU'; then
    nvidia-smi -L
    [ "$DRY_RUN" -eq 0 ] && nvidia-smi
    GPU=1
else
    GPU=0
    if [ "$DRY_RUN" -eq 0 ]; then
        echo "gpu_check.sh: no NVIDIA GPU found (nvidia-smi is missing or lists no GPU): nothing was run." >&2
        echo "This check needs a machine with an NVIDIA GPU and CUDA 12; --dry-run shows its steps." >&2
        exit 3
    fi
    echo "No NVIDIA GPU found (nvidia-smi is missing or lists no GPU): a real run would stop here."
    echo "Dry run: the steps it would run on a GPU machine follow."
fi

step "2. virtual environment $VENV: kerasette[test,gpu] (cupy-cuda12x), PyTorch with CUDA"
if [ ! -x "$PY" ]; then run "$PYTHON_BIN" -m venv "$VENV" || exit 2; fi
run "$PY" -m pip install --upgrade pip || exit 2
run "$PY" -m pip install -e "$ROOT[test,gpu]" || exit 2
echo "+ $PY -c 'import torch; torch.cuda.is_available()'  (else a CUDA build of the same version from $TORCH_CUDA_INDEX)"
if [ "$DRY_RUN" -eq 0 ] && ! "$PY" -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)"; then
    TORCH_VERSION="$("$PY" -c 'import torch; print(torch.__version__.split("+")[0])' 2>/dev/null)"
    TORCH="torch${TORCH_VERSION:+==$TORCH_VERSION}"
    echo "PyTorch ${TORCH_VERSION:-(not importable)} sees no GPU: trying a CUDA build from $TORCH_CUDA_INDEX"
    run "$PY" -m pip uninstall -y torch
    if ! run "$PY" -m pip install "$TORCH" --index-url "$TORCH_CUDA_INDEX"; then
        echo "gpu_check.sh: no CUDA build of $TORCH there (set TORCH_CUDA_INDEX to another index);" \
             "the build from PyPI goes back and PyTorch's column will say why it did not run."
        run "$PY" -m pip install "$TORCH"
    fi
fi

step "3. cupy and kerasette's array module"
run "$PY" -c 'import cupy; print("cupy", cupy.__version__, "CUDA devices:", cupy.cuda.runtime.getDeviceCount())' || exit 4
run env KERASETTE_ARRAY_MODULE=cupy "$PY" -c \
    'import kerasette.backend as b; m = b.array_module().__name__; print("kerasette array module:", m); assert m == "cupy"' \
    || exit 4

step "4. the test suite on cupy (KERASETTE_ARRAY_MODULE=cupy)"
LOG="$ROOT/build/gpu_check_tests.log"
echo "+ env KERASETTE_ARRAY_MODULE=cupy $PY -m pytest -q -n $TEST_WORKERS -p no:cacheprovider tests > $LOG"
TESTS_STATUS=0
SUMMARY="not run (dry run)"
if [ "$DRY_RUN" -eq 0 ]; then
    mkdir -p "$ROOT/build"
    env KERASETTE_ARRAY_MODULE=cupy "$PY" -m pytest -q -n "$TEST_WORKERS" -p no:cacheprovider tests > "$LOG" 2>&1
    TESTS_STATUS=$?
    SUMMARY="$(grep -E '(passed|failed|error)' "$LOG" | tail -n 1 | sed 's/=//g; s/^ *//; s/ *$//')"
    SUMMARY="${SUMMARY:-no summary line (exit status $TESTS_STATUS; see $LOG)}"
    echo "tests: $SUMMARY (exit status $TESTS_STATUS; full log: $LOG)"
fi

step "5. W1 (b1024), W2 (b1024), W4 (b256) training: kerasette on cupy against PyTorch eager on CUDA"
BENCH=("$PY" benchmarks/run.py --device gpu --test-summary "$SUMMARY")
if [ "$QUICK" -eq 1 ]; then BENCH+=(--quick); fi
run "${BENCH[@]}"
BENCH_STATUS=$?

echo
if [ "$DRY_RUN" -eq 1 ]; then
    if [ "$GPU" -eq 1 ]; then echo "Dry run: nothing was run (a GPU is present)."
    else echo "Dry run: nothing was run; no NVIDIA GPU was found on this machine."; fi
    exit 0
fi
echo "tests on cupy: $SUMMARY; benchmark exit status $BENCH_STATUS"
[ "$QUICK" -eq 1 ] || echo "results: benchmarks/RESULTS.md (section 'benchmarks/run.py --device gpu')"
if [ "$TESTS_STATUS" -ne 0 ] || [ "$BENCH_STATUS" -ne 0 ]; then exit 1; fi
exit 0
