"""kerasette.ops against real Keras 3 (jax) numbers for ops whose results are Keras' own:
image.resize modes and antialias, affine/perspective transforms, map_coordinates fill modes,
blur/sobel/ssim/colour spaces/patches, stft/istft and the FFTs, ctc_loss and ctc_decode, psnr,
normalizations, the newer activations, quantiles, top_k, saturate_cast, rearrange, ...

The calls and Keras' results are in ``tests/fixtures/keras_ops.npz``
(made by ``tests/fixtures/make_ops_fixtures.py``).  Each call is made on arrays, on eager
Tensors, and (for one in five) through a compiled graph, and compared with Keras'.
"""
import json
import os

import numpy as np
import pytest

import kerasette.ops as ops
from kerasette import engine
from kerasette.eager import Tensor

FIXTURE = os.path.join(os.path.dirname(__file__), "..", "fixtures", "keras_ops.npz")
DATA = np.load(FIXTURE, allow_pickle=False)
CASES = json.loads(str(DATA["cases"]))
# ops that take values only (no symbolic inputs) or return values Python-side
VALUES_ONLY = {"ctc_decode", "image.perspective_transform", "histogram", "bincount"}


def decode(spec, wrap=None):
    if isinstance(spec, dict) and "array" in spec:
        value = DATA[spec["array"]]
        return wrap(value) if wrap else value
    if isinstance(spec, dict) and "tuple" in spec:
        return tuple(decode(s, wrap) for s in spec["tuple"])
    if isinstance(spec, list):
        return tuple(spec)
    return spec


def function(path):
    f = ops
    for part in path.split("."):
        f = getattr(f, part)
    return f


def results(value):
    return list(value) if isinstance(value, (tuple, list)) else [value]


def tolerance(case):
    # float32 sums in a different order; uint8 resize rounds at .5 boundaries
    return dict(rtol=2e-4, atol=2e-4 if case["op"] != "image.resize" else 1e-3)


def check(case, got, how):
    for key, dtype, value in zip(case["outputs"], case["dtypes"], results(got)):
        expected = DATA[key]
        value = np.asarray(value.numpy() if hasattr(value, "numpy") else value)
        assert value.shape == expected.shape, f"{case['op']} ({how}): shape {value.shape} vs Keras {expected.shape}"
        if expected.dtype.kind in "iub":
            np.testing.assert_array_equal(value, expected, err_msg=f"{case['op']} ({how})")
        else:
            np.testing.assert_allclose(value, expected, err_msg=f"{case['op']} ({how})", **tolerance(case))
        assert value.dtype.name == dtype or (value.dtype.kind == np.dtype(dtype).kind == "i"), \
            f"{case['op']} ({how}): dtype {value.dtype.name} vs Keras {dtype}"


@pytest.mark.parametrize("index", range(len(CASES)), ids=[f"{i}-{c['op']}" for i, c in enumerate(CASES)])
def test_matches_keras(index):
    case = CASES[index]
    f = function(case["op"])
    args = [decode(a) for a in case["args"]]
    kwargs = {k: decode(v) for k, v in case["kwargs"].items()}
    check(case, f(*args, **kwargs), "arrays")
    tensor_args = [decode(a, Tensor) for a in case["args"]]
    check(case, f(*tensor_args, **kwargs), "eager")
    if index % 5 or case["op"] in VALUES_ONLY:
        return
    with engine.Graph().as_default():
        feeds = {}

        def hold(value):
            node = engine.placeholder(value.dtype, value.shape)
            feeds[node] = value
            return node
        graph_args = [decode(a, hold) for a in case["args"]]
        if not feeds:
            return          # no tensor inputs (tri, ...): nothing symbolic to build
        out = f(*graph_args, **kwargs)
        values = engine.Session().run(results(out), feed_dict=feeds)
    check(case, values, "graph")


def test_fixture_names_its_versions():
    versions = json.loads(str(DATA["versions"]))
    assert versions["keras"].startswith("3.")


def test_result_dtypes_match_keras():
    # binary ops over every pair of dtypes of 32 bits or less: Keras' promotion lattice
    promotion = json.loads(str(DATA["promotion"]))
    assert len(promotion) > 1000
    different = []
    for key, dtype in promotion.items():
        name, a, b = key.split(":")
        x1, x2 = np.ones((2,), a), np.ones((2,), b)
        out = ops.where(np.array([True, False]), x1, x2) if name == "where" else getattr(ops, name)(x1, x2)
        if np.asarray(out).dtype.name != dtype:
            different.append(f"{key}: {np.asarray(out).dtype.name} vs Keras {dtype}")
    assert not different, different


def test_one_input_ops_match_keras_on_every_dtype():
    # dtype and values of ~80 one-input ops on bool, (u)int8/16, int32, float16 and float32 inputs
    unary = json.loads(str(DATA["unary"]))
    assert len(unary) > 500
    different = []
    base = np.array([[-2, -1, 0], [1, 2, 3]])
    for key, (dtype, values) in unary.items():
        name, input_dtype = key.split(":")
        x = (np.abs(base) if input_dtype.startswith("u") else base).astype(input_dtype)
        with np.errstate(all="ignore"):
            out = np.asarray(getattr(ops, name)(x))
        expected = np.asarray(values, dtype=np.float64)
        if out.dtype.name != dtype or out.shape != expected.shape or not np.allclose(
                out.astype(np.float64), expected, rtol=2e-3, atol=2e-3, equal_nan=True):
            different.append(f"{key}: {out.dtype.name} {out.tolist()} vs Keras {dtype} {values}")
    assert not different, different
