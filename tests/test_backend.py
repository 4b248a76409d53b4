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


SPIN_CODE = """
import os
import numpy as np
from kerasette import backend
applied = backend.shorten_blas_spinning()
backend.blas_threads()
library = backend._blas["library"]
a = np.arange(256 * 256, dtype=np.float32).reshape(256, 256) / 65536
# the BLAS thread pool restarts on the next call and still computes correctly
ok = bool(np.allclose(a @ a, a.astype(np.float64) @ a.astype(np.float64), rtol=1e-4))
print(applied, library.openblas_thread_timeout() if library is not None else None, ok,
      "OPENBLAS_THREAD_TIMEOUT" in os.environ)
"""


@pytest.mark.skipif(backend.blas_threads() is None, reason="numpy's BLAS is not OpenBLAS here")
def test_blas_spinning_is_shortened_once_unless_set_or_switched_off():
    assert run_python(SPIN_CODE, OPENBLAS_NUM_THREADS="2") == \
        f"True {backend.BLAS_SPIN_EXPONENT} True False"
    # the user's own setting wins, and the switch turns the tuning off
    assert run_python(SPIN_CODE, OPENBLAS_THREAD_TIMEOUT="24").split()[:3] == ["False", "24", "True"]
    assert run_python(SPIN_CODE, KERASETTE_BLAS_TUNING="0").split()[0] == "False"


def test_helper_thread_is_one_reused_worker():
    first = backend.helper_thread()
    assert backend.helper_thread() is first
    import threading
    assert first.submit(lambda: threading.current_thread().name).result().startswith("kerasette-helper")


THREAD_CODE = """
import threading
from kerasette import backend
release = threading.Event()
worker = threading.Thread(target=release.wait, daemon={daemon})
worker.start()
print(backend.shorten_blas_spinning())
release.set()
worker.join()
print(backend.shorten_blas_spinning())
"""


@pytest.mark.skipif(backend.blas_threads() is None, reason="numpy's BLAS is not OpenBLAS here")
def test_blas_spinning_is_left_alone_while_another_thread_could_be_in_blas():
    # a non-daemon thread might be inside BLAS: no restart until it is gone
    assert run_python(THREAD_CODE.format(daemon=False)).split() == ["False", "True"]
    # daemon threads (notebook and progress-bar services) do not count
    assert run_python(THREAD_CODE.format(daemon=True)).split() == ["True", "True"]


def test_get_uid_counts_with_layer_names_as_keras3_does():
    import os

    import pytest

    import kerasette as K
    K.backend.clear_session()
    K.layers.Dense(2)
    ours = [K.backend.get_uid("dense"), K.backend.get_uid("dense"), K.backend.get_uid("fresh"), K.backend.get_uid()]
    assert ours == [2, 3, 1, 1]
    assert K.layers.Dense(2).name == "dense_3"          # the names go on after the numbers handed out
    K.backend.clear_session()
    assert K.backend.get_uid("dense") == 1
    os.environ.setdefault("KERAS_BACKEND", "jax")
    keras = pytest.importorskip("keras")
    keras.backend.clear_session()
    keras.layers.Dense(2)
    theirs = [keras.backend.get_uid("dense"), keras.backend.get_uid("dense"), keras.backend.get_uid("fresh"),
              keras.backend.get_uid()]
    assert theirs == ours and keras.layers.Dense(2).name == "dense_3"


def test_kerasette_tree_imports_as_a_module():
    import importlib

    import kerasette as K
    tree = importlib.import_module("kerasette.tree")
    assert tree is K.tree
    assert tree.flatten({"b": [1, 2], "a": 3}) == [3, 1, 2]
