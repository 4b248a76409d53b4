"""backend: BLAS thread control and the allocator tuning for compiled steps."""
import os
import subprocess
import sys

import numpy as np
import pytest

from kerasette import backend

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_limit_blas_threads_restores_the_previous_count():
    before = backend.blas_threads()
    if before is None:
        pytest.skip("numpy's BLAS is not OpenBLAS here")
    with backend.limit_blas_threads(1):
        assert backend.blas_threads() == 1
        a = np.ones((64, 64), np.float32)
        np.testing.assert_allclose(a @ a, np.full((64, 64), 64.0))
    assert backend.blas_threads() == before


def run_python(code, **env):
    environment = dict(os.environ, PYTHONPATH=ROOT, **env)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=environment, timeout=120).stdout.strip()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc malloc tuning is Linux-only")
def test_allocator_tuning_applies_once_and_can_be_switched_off():
    code = "from kerasette import backend; print(backend.tune_memory_allocator())"
    assert run_python(code) == "True"
    assert run_python(code, KERASETTE_MALLOC_TUNING="0") == "False"


def test_parallel_shards_setting_is_checked():
    with pytest.raises(ValueError, match="'auto', 1 or 2"):
        backend.set_parallel_shards(3)
    backend.set_parallel_shards(1)
    assert backend.parallel_shards() == 1
    backend.set_parallel_shards("auto")
    assert backend.parallel_shards() == "auto"
