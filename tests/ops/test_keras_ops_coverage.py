"""kerasette.ops offers every name of Keras 3's keras.ops and its numpy/nn/linalg/image namespaces.

Keras 3.15's names are recorded in ``tests/fixtures/keras_ops.npz`` (``names``, written by
``make_ops_fixtures.py``); ``keras_ops_coverage.py`` measures the same live against the installed Keras.
"""
import json
import os
import types

import numpy as np

import kerasette.ops as ops

from .keras_ops_coverage import EXCLUDED

FIXTURE = os.path.join(os.path.dirname(__file__), "..", "fixtures", "keras_ops.npz")


def test_every_keras_ops_name_is_offered():
    names = json.loads(str(np.load(FIXTURE, allow_pickle=False)["names"]))
    assert len(names["ops"]) > 300 and len(names["numpy"]) > 200
    missing = {}
    for space, wanted in names.items():
        module = ops if space == "ops" else getattr(ops, space)
        lacking = [n for n in wanted if n not in EXCLUDED and not callable(getattr(module, n, None))]
        if lacking:
            missing[space] = lacking
    assert not missing, f"kerasette.ops lacks Keras 3 names: {missing}"


def test_namespaces_are_modules_and_never_shadow_ops():
    for name in ("numpy", "nn", "linalg", "image"):
        assert isinstance(getattr(ops, name), types.ModuleType)
    # ops.shape is the function, and so are the ops named like families elsewhere
    for name in ("shape", "sort", "slice", "map", "copy", "all", "any", "round", "abs"):
        assert callable(getattr(ops, name)) and not isinstance(getattr(ops, name), types.ModuleType), name
    assert ops.numpy.sort is ops.sort and ops.nn.relu is ops.relu and ops.linalg.inv is ops.inv


def test_floor_divide_and_mod_operators():
    import numpy as np

    from kerasette import engine
    from kerasette.eager import Tensor
    a, b = np.array([7.0, -7.0, 5.5]), np.array([2.0, 2.0, -2.0])
    t = Tensor(a)
    np.testing.assert_array_equal((t // b).numpy(), a // b)
    np.testing.assert_array_equal((t % b).numpy(), a % b)
    np.testing.assert_array_equal((7.0 // Tensor(b)).numpy(), 7.0 // b)
    np.testing.assert_array_equal((7.0 % Tensor(b)).numpy(), 7.0 % b)
    with engine.Graph().as_default():
        p = engine.placeholder("float64", (3,))
        values = engine.Session().run([p // b, p % b, 3.0 % p], feed_dict={p: a})
    np.testing.assert_array_equal(values[0], a // b)
    np.testing.assert_array_equal(values[1], a % b)
    np.testing.assert_array_equal(values[2], 3.0 % a)


def _signature(function):
    import inspect
    return [[p.name, p.kind.name, None if p.default is inspect.Parameter.empty else repr(p.default)]
            for p in inspect.signature(function).parameters.values()]


def test_signatures_match_keras():
    # same parameter names, kinds and defaults as Keras 3.15, so keyword calls port unchanged
    signatures = json.loads(str(np.load(FIXTURE, allow_pickle=False)["signatures"]))
    different = []
    for space, table in signatures.items():
        module = ops if space == "ops" else getattr(ops, space)
        for name, expected in table.items():
            if name in EXCLUDED or expected is None:
                continue
            got = _signature(getattr(module, name))
            if got != expected:
                different.append(f"{space}.{name}: {got} vs Keras {expected}")
    assert not different, "\n".join(different)
