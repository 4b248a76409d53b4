"""Keras 3's public names that issue 16 adds (keras.ops aside): the top level's base classes,
keras.backend's dtype helpers, keras.initializers' lowercase names and STFT, keras.activations'
glu/sparsemax, keras.Operation/keras.Function, and the coverage script that measures them all
against the installed Keras 3."""
import os
import subprocess
import sys

import numpy as np
import pytest

import kerasette
from kerasette import activations, backend, engine, initializers, ops

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_top_level_base_classes_are_kerasettes_own():
    assert kerasette.Loss is kerasette.losses.Loss
    assert kerasette.Metric is kerasette.metrics.Metric
    assert kerasette.Optimizer is kerasette.optimizers.Optimizer
    assert kerasette.Initializer is initializers.Initializer
    assert kerasette.Regularizer is kerasette.regularizers.Regularizer
    assert kerasette.InputSpec is kerasette.layers.InputSpec
    assert isinstance(kerasette.Input((3,)), kerasette.KerasTensor)
    assert kerasette.DTypePolicy("mixed_float16").compute_dtype == "float16"
    assert kerasette.config.dtype_policy().name == backend.floatx()


def test_backend_dtype_helpers():
    assert backend.standardize_dtype(None) == backend.floatx()
    assert backend.standardize_dtype("float") == backend.floatx()
    assert backend.standardize_dtype(int) == "int64"
    assert backend.standardize_dtype(np.dtype("uint8")) == "uint8"
    assert backend.standardize_dtype(np.zeros(2, np.float16).dtype) == "float16"
    with pytest.raises(ValueError, match="Invalid dtype"):
        backend.standardize_dtype("float33")
    assert backend.is_float_dtype("bfloat16") and backend.is_float_dtype(float)
    assert not backend.is_float_dtype("int32") and backend.is_int_dtype("uint16")
    assert backend.result_type("int8", "float16") == "float16"      # Keras' lattice, not numpy's
    assert backend.result_type(int, "int8") == "int8"
    assert backend.result_type("uint8", "int8") == "int16"
    assert backend.result_type("float32", float) == "float32"
    assert backend.is_keras_tensor(kerasette.Input((2,)))
    assert not backend.is_keras_tensor(np.zeros(2))


@pytest.mark.parametrize("name, cls", [
    ("glorot_uniform", "GlorotUniform"), ("he_normal", "HeNormal"), ("zeros", "Zeros"),
    ("ones", "Ones"), ("constant", "Constant"), ("orthogonal", "Orthogonal"),
    ("identity", "Identity"), ("lecun_uniform", "LecunUniform"),
    ("truncated_normal", "TruncatedNormal"), ("variance_scaling", "VarianceScaling"),
    ("stft", "STFT"), ("STFTInitializer", "STFT"),
])
def test_lowercase_initializer_names_are_the_classes(name, cls):
    assert getattr(initializers, name) is getattr(initializers, cls)
    assert isinstance(initializers.get(name), getattr(initializers, cls))


@pytest.mark.parametrize("kwargs", [
    {}, {"side": "imag", "window": "hamming", "scaling": "spectrum", "periodic": True},
    {"window": None}, {"window": [0.1, 0.5, 1.0, 0.5, 0.2, 0.0], "scaling": None},
])
def test_stft_initializer_matches_its_formula(kwargs):
    import scipy.signal
    frames, bins = 6, 5
    kernel = initializers.STFT(**kwargs)((frames, 1, bins))
    assert kernel.shape == (frames, 1, bins) and kernel.dtype == np.float32
    t = np.arange(frames)[:, None]
    f = np.arange(bins)[None, :] / ((bins - 1) * 2)
    angle = -2 * np.pi * t * f
    expected = np.cos(angle) if kwargs.get("side", "real") == "real" else np.sin(angle)
    window = kwargs.get("window", "hann")
    if window is not None:
        if isinstance(window, str):
            window = scipy.signal.get_window(window, frames, kwargs.get("periodic", False))
        window = np.asarray(window)
        scaling = kwargs.get("scaling", "density")
        scale = {"density": np.sqrt((window ** 2).sum()), "spectrum": np.abs(window).sum(),
                 None: 1.0}[scaling]
        expected = expected * window[:, None] / scale
    np.testing.assert_allclose(kernel[:, 0, :], expected, rtol=1e-5, atol=1e-6)
    again = initializers.deserialize(initializers.serialize(initializers.STFT(**kwargs)))
    np.testing.assert_array_equal(again((frames, 1, bins)), kernel)
    with pytest.raises(ValueError, match="side"):
        initializers.STFT(side="both")


def test_glu_and_sparsemax_activations():
    x = np.random.default_rng(0).normal(size=(3, 6)).astype(np.float32)
    a, b = x[:, :3], x[:, 3:]
    np.testing.assert_allclose(activations.glu(x), a / (1 + np.exp(-b)), rtol=1e-6)
    assert activations.get("glu") is activations.glu
    assert activations.get("sparsemax") is activations.sparsemax
    np.testing.assert_allclose(activations.sparsemax(x), ops.sparsemax(x))


def test_operation_and_function():
    class Cube(kerasette.Operation):
        def call(self, x):
            return ops.multiply(ops.square(x), x)

    cube = Cube(name="cube")
    np.testing.assert_allclose(cube(np.array([2.0, -1.0], np.float32)), [8.0, -1.0])
    assert cube.get_config() == {"name": "cube"}
    spec = cube.compute_output_spec(np.zeros((4, 3), np.float32))
    assert tuple(spec.shape) == (4, 3) and str(spec.dtype) == "float32"
    with pytest.raises(ValueError, match="cannot contain"):
        Cube(name="a/b")
    x = kerasette.Input((2,))
    y = kerasette.Input((2,))
    function = kerasette.Function([x, y], {"sum": ops.add(x, y), "cube": cube(x)})
    out = function([np.ones((3, 2), np.float32), np.full((3, 2), 2.0, np.float32)])
    np.testing.assert_allclose(out["sum"], np.full((3, 2), 3.0))
    np.testing.assert_allclose(out["cube"], np.ones((3, 2)))
    with pytest.raises(ValueError, match="does not fit"):
        function([np.ones((3, 5), np.float32), np.ones((3, 2), np.float32)])
    with pytest.raises(ValueError, match="KerasTensors"):
        kerasette.Function(np.zeros(2), x)
    placeholder = engine.placeholder("float32", (None,))
    assert kerasette.Function(placeholder, ops.sum(placeholder))([1.0, 2.5]) == 3.5


def test_coverage_script_reports_full_coverage_of_the_issue_16_modules():
    modules = ("activations,backend,constraints,initializers,losses,metrics,optimizers,"
               "optimizers.schedules,mixed_precision,dtype_policies,regularizers,config,tree,preprocessing")
    done = subprocess.run([sys.executable, "tools/api_coverage.py", "--modules", modules,
                           "--missing"], cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env=dict(os.environ, KERAS_BACKEND="jax", PYTHONPATH=ROOT))
    assert done.returncode == 0, done.stderr[-2000:]
    rows = {line.split("|")[1].strip(): line.split("|")[4].strip()
            for line in done.stdout.splitlines() if line.startswith("| ") and "%" in line}
    assert set(rows) >= set(modules.split(",")) | {"all"}
    assert all(value == "100.0%" for value in rows.values()), done.stdout
