"""The array module and the numeric defaults every other room reads.

Everything that does array math asks this module for ``xp`` (numpy by
default, cupy on request) instead of importing numpy by name, so that a GPU
backend is a switch here and nowhere else.  It also owns ``floatx`` (the
default float type, float32 like Keras), ``epsilon``, ``image_data_format``
(where layers expect the channels) and the seeded random generator used for
initializers and dropout.
"""
from __future__ import annotations

import contextlib
import ctypes
import glob
import importlib
import os

import numpy

_state = {
    "xp": numpy,
    "floatx": "float32",
    "epsilon": 1e-7,
    "rng": numpy.random.default_rng(),
    "parallel_shards": "auto",
    "image_data_format": "channels_last",
}


def array_module():
    """The module arrays are made with: numpy, or cupy after ``set_array_module('cupy')``."""
    return _state["xp"]


def set_array_module(name: str) -> None:
    """Switch the array module (``'numpy'`` or ``'cupy'``) for everything computed afterwards."""
    if name == "numpy":
        _state["xp"] = numpy
        return
    if name != "cupy":
        raise ValueError(f"Unknown array module {name!r}: expected 'numpy' or 'cupy'.")
    try:
        _state["xp"] = importlib.import_module("cupy")
    except ImportError as error:
        raise ImportError(
            "The GPU backend needs cupy: pip install 'kerasette[gpu]' "
            "(or a cupy wheel matching your CUDA version)."
        ) from error


#: the environment variable read once, when kerasette is imported, to pick the array module for a
#: whole process (a test run on a GPU: ``KERASETTE_ARRAY_MODULE=cupy python -m pytest``); unset or
#: empty leaves numpy, and ``set_array_module`` still switches afterwards
ARRAY_MODULE_VARIABLE = "KERASETTE_ARRAY_MODULE"


def _array_module_from_environment() -> None:
    name = os.environ.get(ARRAY_MODULE_VARIABLE, "").strip()
    if not name:
        return
    if name.lower() not in ("numpy", "cupy"):
        raise ValueError(f"{ARRAY_MODULE_VARIABLE}={name!r}: expected 'numpy' or 'cupy' (or leave it unset).")
    try:
        set_array_module(name.lower())
    except ImportError as error:
        raise ImportError(
            f"{ARRAY_MODULE_VARIABLE}={name} asks for the GPU backend, which needs cupy: "
            "pip install 'kerasette[gpu]' (cupy-cuda12x, for an NVIDIA GPU with CUDA 12), "
            f"or unset {ARRAY_MODULE_VARIABLE} to use numpy."
        ) from error


_array_module_from_environment()


def floatx() -> str:
    """The default float type as a string, ``'float32'`` unless changed."""
    return _state["floatx"]


def set_floatx(value: str) -> None:
    if value not in ("float16", "float32", "float64"):
        raise ValueError(f"Unknown floatx {value!r}: expected float16, float32 or float64.")
    _state["floatx"] = value


def epsilon() -> float:
    """The fuzz factor Keras adds to avoid division by zero (1e-7)."""
    return _state["epsilon"]


def set_epsilon(value: float) -> None:
    _state["epsilon"] = float(value)


_FLOAT_NAMES = ("float16", "bfloat16", "float32", "float64")
_INT_NAMES = ("uint8", "uint16", "uint32", "uint64", "int8", "int16", "int32", "int64")


def standardize_dtype(dtype=None) -> str:
    """A dtype's canonical name, as ``keras.backend.standardize_dtype`` gives it.

    ``None`` is floatx; Python's ``float`` floatx, ``int`` int64 (kerasette
    keeps 64-bit integers, as Keras' TensorFlow backend does), ``bool`` bool;
    numpy dtypes and types, strings and objects with a ``.name`` (a tensor's
    dtype) give their name; ``'bfloat16'`` needs ml_dtypes.

    >>> standardize_dtype("float"), standardize_dtype(int), standardize_dtype(numpy.float16)
    ('float32', 'int64', 'float16')
    """
    if dtype is None or dtype is float or dtype == "float":
        return floatx()
    if dtype is int or dtype == "int":
        return "int64"
    if dtype is bool:
        return "bool"
    if isinstance(dtype, str) and dtype == "string":
        return "string"     # Keras' text tensors (numpy's object dtype holds them: Input(dtype="string"))
    name = getattr(dtype, "name", dtype) if not isinstance(dtype, type) else dtype
    if name == "bfloat16" or getattr(name, "__name__", None) == "bfloat16":
        return "bfloat16"
    try:
        return numpy.dtype(name).name
    except TypeError:
        raise ValueError(f"Invalid dtype: {dtype!r}") from None


def is_float_dtype(dtype) -> bool:
    """Whether ``dtype`` is a float type (``float``, 'float16', 'bfloat16', 'float32', ...)."""
    return standardize_dtype(dtype) in _FLOAT_NAMES


def is_int_dtype(dtype) -> bool:
    """Whether ``dtype`` is a signed or unsigned integer type."""
    return standardize_dtype(dtype) in _INT_NAMES


_DATA_FORMATS = ("channels_first", "channels_last")


def _checked_data_format(data_format) -> str:
    value = str(data_format).lower()
    if value not in _DATA_FORMATS:
        raise ValueError("The `data_format` argument must be one of {'channels_first', 'channels_last'}. "
                         f"Received: data_format={data_format}")
    return value


def image_data_format() -> str:
    """Where image-like layers expect the channels: ``'channels_last'`` unless changed.

    Layers and ops given ``data_format=None`` use this setting (as in Keras).
    """
    return _state["image_data_format"]


def set_image_data_format(data_format: str) -> None:
    """Set the default ``data_format``: ``'channels_last'`` or ``'channels_first'``."""
    _state["image_data_format"] = _checked_data_format(data_format)


def standardize_data_format(data_format) -> str:
    """``None`` -> ``image_data_format()``; otherwise the lower-cased value, checked."""
    if data_format is None:
        return image_data_format()
    return _checked_data_format(data_format)


def set_seed(seed: int | None) -> None:
    """Seed the generator behind initializers and dropout, for repeatable runs."""
    _state["rng"] = numpy.random.default_rng(seed)


def rng() -> numpy.random.Generator:
    """The shared random generator (a numpy Generator)."""
    return _state["rng"]


# ------------------------------------------------------------------ naming

_name_counts: dict = {}
_clear_session_hooks: list = []


def unique_object_name(base: str, zero_based: bool = True) -> str:
    """Keras' layer naming: ``dense``, ``dense_1``, ... (or ``input_1``, ``input_2``).

    ``zero_based=False`` numbers from 1 (``input_1``), as tf.keras does for inputs.
    """
    count = _name_counts.get(base, 0)
    _name_counts[base] = count + 1
    if zero_based:
        return base if count == 0 else f"{base}_{count}"
    return f"{base}_{count + 1}"


def get_uid(prefix: str = "") -> int:
    """The next number for ``prefix`` (1, 2, ...), from the counters layer names use
    (``keras.backend.get_uid``): after a first ``Dense``, ``get_uid("dense")`` is 2;
    ``clear_session`` starts them again."""
    _name_counts[prefix] = _name_counts.get(prefix, 0) + 1
    return _name_counts[prefix]


def on_clear_session(hook) -> None:
    """Register a function that ``clear_session`` calls (higher floors reset their state)."""
    _clear_session_hooks.append(hook)


def clear_session() -> None:
    """Forget generated names (the next Dense is ``dense`` again) and reset graphs."""
    _name_counts.clear()
    for hook in _clear_session_hooks:
        hook()


def is_array(value) -> bool:
    return isinstance(value, _state["xp"].ndarray)


def as_array(value, dtype=None):
    """Turn a Python number, list or array into an array of the backend.

    Python floats become ``floatx`` (like Keras), integers keep numpy's
    default, and arrays keep their dtype unless ``dtype`` is given.
    """
    xp = _state["xp"]
    if dtype is not None:
        return xp.asarray(value, dtype=dtype)
    if isinstance(value, xp.ndarray):
        return value
    if isinstance(value, numpy.generic):
        return xp.asarray(value)   # a numpy scalar keeps its dtype (float64 stays float64)
    array = xp.asarray(value)
    if array.dtype.kind == "f" and array.dtype != xp.dtype(floatx()):
        array = array.astype(floatx())
    return array


# ------------------------------------------------------------ CPU threads
#
# Small convolutions spend most of their time in numpy's one-threaded
# elementwise loops; running a training step as two half-batch shards on two
# threads uses both cores there.  Each shard's BLAS calls must then use one
# thread, or four threads fight over two cores.  numpy's bundled OpenBLAS is
# reached through ctypes; where it cannot be found the functions below do
# nothing and report it.

_blas = {"loaded": False, "get": None, "set": None, "library": None}
_BLAS_SYMBOLS = [
    ("scipy_openblas_get_num_threads64_", "scipy_openblas_set_num_threads64_"),
    ("scipy_openblas_get_num_threads", "scipy_openblas_set_num_threads"),
    ("openblas_get_num_threads64_", "openblas_set_num_threads64_"),
    ("openblas_get_num_threads", "openblas_set_num_threads"),
]


def _load_blas():
    if _blas["loaded"]:
        return
    _blas["loaded"] = True
    folder = os.path.dirname(numpy.__file__)
    candidates = glob.glob(os.path.join(folder, "..", "numpy.libs", "*openblas*")) + \
        glob.glob(os.path.join(folder, ".libs", "*openblas*"))
    for path in candidates:
        try:
            library = ctypes.CDLL(path)
        except OSError:
            continue
        for getter, setter in _BLAS_SYMBOLS:
            if hasattr(library, getter) and hasattr(library, setter):
                _blas["get"], _blas["set"] = getattr(library, getter), getattr(library, setter)
                _blas["set"].argtypes = [ctypes.c_int]
                _blas["library"] = library
                return


def blas_threads() -> int | None:
    """How many threads numpy's BLAS uses (None when it cannot be told)."""
    _load_blas()
    return None if _blas["get"] is None else int(_blas["get"]())


def set_blas_threads(count: int) -> bool:
    """Set numpy's BLAS thread count; False when the BLAS cannot be reached."""
    _load_blas()
    if _blas["set"] is None:
        return False
    _blas["set"](int(count))
    return True


@contextlib.contextmanager
def limit_blas_threads(count: int):
    """Inside, numpy's BLAS uses at most ``count`` threads."""
    previous = blas_threads()
    changed = previous is not None and previous > count and set_blas_threads(count)
    try:
        yield
    finally:
        if changed:
            set_blas_threads(previous)


# OpenBLAS's worker threads spin for 2**28 TSC ticks (~0.1 s) after each
# multithreaded call before they sleep, so the second core stays busy long
# after a step's last matmul.  Work put on kerasette's helper thread in that
# time (the second lane of an optimizer update) then shares a core with the
# spinner and runs at half speed: W2's Adam took 1.2 ms in two lanes against
# 0.7 ms with short spinning (benchmarks/NOTES.md).  ``shorten_blas_spinning``
# sets the spin to 2**18 ticks (~0.1 ms: still enough to bridge the gaps
# between a step's consecutive matmuls) by re-reading OpenBLAS's settings
# and restarting its thread pool, which the next BLAS call recreates.
# Process-wide, so done once, when the first program with update lanes is
# compiled; skipped where OPENBLAS_THREAD_TIMEOUT is already set or
# KERASETTE_BLAS_TUNING=0.

_blas_spin_tuned = [False]
BLAS_SPIN_EXPONENT = 18


def shorten_blas_spinning() -> bool:
    """Make OpenBLAS's idle threads sleep after ~0.1 ms instead of ~0.1 s; True if applied.

    Restarting OpenBLAS's thread pool while another thread is inside a
    multithreaded BLAS call could hang both, so this is only done while the
    calling thread and kerasette's idle helper are the only non-daemon
    Python threads.
    """
    if _blas_spin_tuned[0]:
        return True
    if os.environ.get("KERASETTE_BLAS_TUNING", "1") == "0" or "OPENBLAS_THREAD_TIMEOUT" in os.environ:
        return False
    _load_blas()
    library = _blas["library"]
    read_env = getattr(library, "openblas_read_env", None)
    shutdown = getattr(library, "blas_thread_shutdown_", None)
    if read_env is None or shutdown is None or _other_threads_alive():
        return False
    # OpenBLAS reads the setting from the environment: set it only while it is read
    os.environ["OPENBLAS_THREAD_TIMEOUT"] = str(BLAS_SPIN_EXPONENT)
    try:
        read_env()
    finally:
        del os.environ["OPENBLAS_THREAD_TIMEOUT"]
    shutdown()
    _blas_spin_tuned[0] = True
    return True


def blas_spinning_is_short() -> bool:
    """Whether numpy's BLAS threads leave a core free soon after a call: its spinning
    was shortened (here or by the user's OPENBLAS_THREAD_TIMEOUT <= 20), or it runs
    one thread; tries ``shorten_blas_spinning`` first."""
    if shorten_blas_spinning():
        return True
    setting = os.environ.get("OPENBLAS_THREAD_TIMEOUT", "")
    if setting.strip().isdigit() and int(setting) <= 20:
        return True
    return blas_threads() == 1


def _other_threads_alive() -> bool:
    """Whether a non-daemon Python thread other than this one and kerasette's helper runs.

    Daemon threads are let pass: they are the service threads of notebooks
    and progress bars (IPython's heartbeat, tqdm's monitor), not BLAS users.
    """
    import threading
    mine = {threading.current_thread()}
    if _helper:
        mine |= set(getattr(_helper[0], "_threads", ()))
    return any(thread not in mine and not thread.daemon for thread in threading.enumerate())


_helper = []


def helper_thread():
    """The one extra thread kerasette runs work on beside the caller's (a
    single-worker executor, started on first use): the second batch shard of
    a training step, the second lane of an optimizer update."""
    if not _helper:
        import concurrent.futures
        _helper.append(concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="kerasette-helper"))
    return _helper[0]


def on_helper_thread() -> bool:
    """True inside work running on ``helper_thread()``: such work must not wait on
    the helper itself (it has one worker), so it runs its parts in sequence."""
    import threading
    return threading.current_thread().name.startswith("kerasette-helper")


def parallel_shards():
    """'auto' (the compiled training step decides), or a fixed shard count (1 = never split)."""
    return _state["parallel_shards"]


def set_parallel_shards(value) -> None:
    """Run training steps on this many batch shards in threads: 'auto', 1 (off) or 2."""
    if value != "auto" and int(value) not in (1, 2):
        raise ValueError(f"parallel_shards is 'auto', 1 or 2, got {value!r}")
    _state["parallel_shards"] = value if value == "auto" else int(value)


# -------------------------------------------------------- memory allocator
#
# A compiled step frees its large intermediates as it goes and allocates
# them again the next step.  With glibc's defaults every array above 128 KiB
# is a fresh mmap whose pages fault in anew each time, and freed heap tops
# are trimmed back to the system: on the W1 training step that costs ~18%
# (benchmarks/NOTES.md).  Raising the mmap and trim thresholds lets steps
# reuse the same memory.  Process-wide, so it is done once, on Linux with
# glibc only, when a model compiles its first program; set
# KERASETTE_MALLOC_TUNING=0 to leave malloc alone.

_malloc_tuned = [False]
_M_TRIM_THRESHOLD, _M_TOP_PAD, _M_MMAP_THRESHOLD = -1, -2, -3


def tune_memory_allocator() -> bool:
    """Let repeated large allocations reuse memory (glibc); True if applied."""
    if _malloc_tuned[0]:
        return True
    if os.environ.get("KERASETTE_MALLOC_TUNING", "1") == "0" or not os.sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    applied = (mallopt(_M_MMAP_THRESHOLD, 256 * 2 ** 20) == 1
               and mallopt(_M_TRIM_THRESHOLD, 1024 * 2 ** 20) == 1
               and mallopt(_M_TOP_PAD, 64 * 2 ** 20) == 1)
    _malloc_tuned[0] = applied
    return applied


# ------------------------------------------------------------- name scopes and devices
class name_scope:
    """A sub-namespace for variable paths (Keras 3's ``keras.name_scope``).

    Variables and layer weights created inside ``with name_scope("block"):``
    get paths that start with ``block/``; scopes nest.  ``caller`` and
    ``deduplicate`` follow Keras: re-entering the scope the same caller just
    opened under the same name adds nothing; ``override_parent`` replaces the
    enclosing scopes' path.

    >>> with name_scope("outer"), name_scope("inner"):
    ...     current_path()
    'outer/inner'
    """

    def __init__(self, name, caller=None, deduplicate=True, override_parent=None):
        if not isinstance(name, str) or "/" in name:
            raise ValueError(f"name_scope: `name` must be a string without '/', received name={name!r}")
        self.name, self.caller, self.deduplicate = name, caller, deduplicate
        self.override_parent = override_parent
        if override_parent is None and deduplicate and getattr(caller, "_parent_path", None) is not None:
            self.override_parent = caller._parent_path
        self._pushed = False

    def __enter__(self):
        stack = _state.setdefault("name_scopes", [])
        top = stack[-1] if stack else None
        if (self.deduplicate and top is not None and self.caller is not None
                and top.caller is self.caller and top.name == self.name):
            return self
        stack.append(self)
        self._pushed = True
        return self

    def __exit__(self, *exc_info):
        if self._pushed:
            _state["name_scopes"].pop()
            self._pushed = False
        return False


def current_path() -> str:
    """The path of the open name scopes, ``""`` outside any."""
    parts: list[str] = []
    for scope in _state.get("name_scopes", ()):
        if scope.override_parent is not None:
            parts = [part for part in scope.override_parent.split("/") if part]
        parts.append(scope.name)
    return "/".join(parts)


def scoped_path(name: str) -> str:
    """``name`` under the open name scopes (``block/dense/kernel`` inside ``name_scope("block")``)."""
    prefix = current_path()
    return f"{prefix}/{name}" if prefix else name


@contextlib.contextmanager
def device(device_name: str):
    """Keras 3's ``keras.device``: places work on a device.  kerasette computes on the CPU
    (numpy), so ``"cpu"`` and ``"cpu:N"`` are accepted and anything else is refused by name.

    >>> with device("cpu:0"):
    ...     pass
    """
    if not isinstance(device_name, str):
        raise ValueError(f"device: `device_name` must be a string such as 'cpu:0', received {device_name!r}")
    kind, _, index = device_name.lower().partition(":")
    if kind != "cpu" or (index and not index.isdigit()):
        raise ValueError(f"device: kerasette runs on the CPU only; device_name={device_name!r} is not "
                         "available (use 'cpu' or 'cpu:0')")
    previous = _state.get("device")
    _state["device"] = f"cpu:{int(index or 0)}"
    try:
        yield
    finally:
        _state["device"] = previous


# -- interactive logging (keras.config / keras.utils' switch): the progress bar and print_msg
# (kerasette.utils.progbar) write to stdout while it is on, and through Python's ``logging``
# (the ``"kerasette"`` logger, INFO level) while it is off
_logging = {"interactive": True}


def is_interactive_logging_enabled() -> bool:
    """Whether progress bars and messages go to stdout (True, the default) or to ``logging``."""
    return _logging["interactive"]


def enable_interactive_logging() -> None:
    """Show progress bars and messages on stdout (the default): best in a shell or a notebook."""
    _logging["interactive"] = True


def disable_interactive_logging() -> None:
    """Send progress bars' final lines and messages to the ``"kerasette"`` logger (INFO) instead of stdout:
    best for jobs whose output goes to log files."""
    _logging["interactive"] = False
