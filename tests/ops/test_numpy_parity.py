"""Every numpy-like op against its numpy/scipy counterpart over many shapes and dtypes.

Hypothesis draws shapes (scalars to rank 3, broadcasting pairs for binary ops), dtypes
(float32, float64 and, where the op takes them, int32) and values in each op's domain;
values must match numpy's (to float32 rounding), and the result dtype must be numpy's for
float inputs of one dtype (Keras keeps it) and floatx for integer inputs of float-valued
functions.  Each op is also run once as an eager Tensor and once in a compiled graph,
which must give the array result.
"""
import numpy as np
import pytest
import scipy.special
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import kerasette.ops as ops
from kerasette import engine
from kerasette.eager import Tensor

FLOATS = ("float32", "float64")
SETTINGS = settings(max_examples=12, deadline=None, derandomize=True,
                    suppress_health_check=list(HealthCheck))

# name -> (numpy reference, (low, high) domain, dtypes)
UNARY = {
    "tan": (np.tan, (-1.2, 1.2), FLOATS), "arcsin": (np.arcsin, (-1, 1), FLOATS),
    "arccos": (np.arccos, (-1, 1), FLOATS), "arctan": (np.arctan, (-5, 5), FLOATS + ("int32",)),
    "sinh": (np.sinh, (-4, 4), FLOATS), "cosh": (np.cosh, (-4, 4), FLOATS),
    "arcsinh": (np.arcsinh, (-5, 5), FLOATS), "arccosh": (np.arccosh, (1, 6), FLOATS),
    "arctanh": (np.arctanh, (-0.99, 0.99), FLOATS), "log2": (np.log2, (0.01, 50), FLOATS + ("int32",)),
    "log10": (np.log10, (0.01, 50), FLOATS), "exp2": (np.exp2, (-8, 8), FLOATS + ("int32",)),
    "cbrt": (np.cbrt, (-30, 30), FLOATS), "deg2rad": (np.deg2rad, (-400, 400), FLOATS),
    "rad2deg": (np.rad2deg, (-7, 7), FLOATS), "fabs": (np.fabs, (-5, 5), FLOATS),
    "erfc": (scipy.special.erfc, (-3, 3), FLOATS), "erfinv": (scipy.special.erfinv, (-0.99, 0.99), FLOATS),
    "sinc": (np.sinc, (-4, 4), FLOATS), "i0": (scipy.special.i0, (-4, 4), FLOATS),
    "trunc": (np.trunc, (-9, 9), FLOATS + ("int32",)), "rsqrt": (lambda a: 1 / np.sqrt(a), (0.01, 9), FLOATS),
    "signbit": (np.signbit, (-3, 3), FLOATS + ("int32",)), "isposinf": (np.isposinf, (-3, 3), FLOATS),
    "isneginf": (np.isneginf, (-3, 3), FLOATS), "isreal": (np.isreal, (-3, 3), FLOATS),
    "ravel": (np.ravel, (-3, 3), FLOATS + ("int32",)), "copy": (np.copy, (-3, 3), FLOATS + ("int32",)),
    "fliplr": (np.fliplr, (-3, 3), FLOATS, 2), "flipud": (np.flipud, (-3, 3), FLOATS, 1),
    "nan_to_num": (np.nan_to_num, (-3, 3), FLOATS), "real": (np.real, (-3, 3), FLOATS),
    "imag": (np.imag, (-3, 3), FLOATS), "conj": (np.conj, (-3, 3), FLOATS),
    "sort": (np.sort, (-3, 3), FLOATS + ("int32",), 1), "argsort": (lambda a: np.argsort(a, kind="stable"), (-3, 3), ("int32",), 1),
    "count_nonzero": (np.count_nonzero, (-2, 2), ("int32",)),
    "all": (np.all, (-2, 2), ("int32",)), "any": (np.any, (-2, 2), ("int32",)),
    "amax": (np.amax, (-3, 3), FLOATS, 1), "amin": (np.amin, (-3, 3), FLOATS, 1),
    "ptp": (np.ptp, (-3, 3), FLOATS, 1), "median": (np.median, (-3, 3), FLOATS, 1),
    "nansum": (np.nansum, (-3, 3), FLOATS), "nanmean": (np.nanmean, (-3, 3), FLOATS, 1),
    "nanmax": (np.nanmax, (-3, 3), FLOATS, 1), "nanmin": (np.nanmin, (-3, 3), FLOATS, 1),
    "nanprod": (np.nanprod, (-1.5, 1.5), FLOATS), "nanvar": (np.nanvar, (-3, 3), FLOATS, 1),
    "nanstd": (np.nanstd, (-3, 3), FLOATS, 1), "nanmedian": (np.nanmedian, (-3, 3), FLOATS, 1),
    "cumprod": (np.cumprod, (-1.5, 1.5), FLOATS), "nancumsum": (np.nancumsum, (-3, 3), FLOATS),
    "nancumprod": (np.nancumprod, (-1.5, 1.5), FLOATS), "diff": (np.diff, (-3, 3), FLOATS, 1),
    "flip": (np.flip, (-3, 3), FLOATS + ("int32",)), "trace": (np.trace, (-3, 3), FLOATS, 2),
    "tril": (np.tril, (-3, 3), FLOATS, 2), "triu": (np.triu, (-3, 3), FLOATS, 2),
    "diagonal": (np.diagonal, (-3, 3), FLOATS, 2), "bitwise_invert": (np.invert, (-9, 9), ("int32",)),
    "nanargmax": (np.nanargmax, (-3, 3), FLOATS, 1), "nanargmin": (np.nanargmin, (-3, 3), FLOATS, 1),
    "corrcoef": (np.corrcoef, (-3, 3), FLOATS, 2, 2), "vander": (np.vander, (-2, 2), FLOATS, 1, 1),
    "diag": (np.diag, (-3, 3), FLOATS, 1, 2), "unique": (np.unique, (-4, 4), ("int32",), 1),
}
BINARY = {
    "arctan2": (np.arctan2, (-3, 3), FLOATS), "hypot": (np.hypot, (-3, 3), FLOATS),
    "logaddexp": (np.logaddexp, (-5, 5), FLOATS), "logaddexp2": (np.logaddexp2, (-5, 5), FLOATS),
    "floor_divide": (np.floor_divide, (-9, 9), FLOATS + ("int32",)), "mod": (np.mod, (-9, 9), FLOATS + ("int32",)),
    "fmod": (np.fmod, (-9, 9), FLOATS + ("int32",)), "fmax": (np.fmax, (-3, 3), FLOATS),
    "fmin": (np.fmin, (-3, 3), FLOATS), "heaviside": (np.heaviside, (-2, 2), FLOATS),
    "nextafter": (np.nextafter, (-2, 2), FLOATS), "gcd": (np.gcd, (-30, 30), ("int32",)),
    "lcm": (np.lcm, (-30, 30), ("int32",)), "bitwise_and": (np.bitwise_and, (-30, 30), ("int32",)),
    "bitwise_or": (np.bitwise_or, (-30, 30), ("int32",)), "bitwise_xor": (np.bitwise_xor, (-30, 30), ("int32",)),
    "left_shift": (np.left_shift, (0, 5), ("int32",)), "right_shift": (np.right_shift, (0, 30), ("int32",)),
    "isclose": (np.isclose, (-1, 1), FLOATS), "true_divide": (np.true_divide, (0.5, 3), FLOATS),
    "kron": (np.kron, (-3, 3), FLOATS), "outer": (np.outer, (-3, 3), FLOATS),
    "isin": (np.isin, (-4, 4), ("int32",)), "append": (np.append, (-3, 3), FLOATS),
}
NONZERO_SECOND = {"floor_divide", "mod", "fmod", "gcd", "lcm", "true_divide"}
SAME_SHAPE = {"kron", "outer", "isin", "append"}      # no broadcasting: each input drawn on its own
FLOAT_VALUED = {"tan", "arcsin", "arccos", "arctan", "sinh", "cosh", "arcsinh", "arccosh", "arctanh", "log2",
                "log10", "exp2", "cbrt", "deg2rad", "rad2deg", "erfc", "erfinv", "sinc", "i0", "rsqrt"}


def _entry(table, name):
    spec = table[name]
    reference, domain, dtypes = spec[:3]
    min_dims = spec[3] if len(spec) > 3 else 0
    max_dims = spec[4] if len(spec) > 4 else 3
    return reference, domain, dtypes, min_dims, max_dims


def _arrays(draw, dtype, shape, domain, nonzero=False):
    low, high = domain
    if dtype == "int32":
        elements = st.integers(int(low), int(high))
        if nonzero:
            elements = elements.filter(lambda v: v != 0)
    else:
        if dtype == "float32":
            low, high = float(np.float32(low)), float(np.float32(high))
        elements = st.floats(low, high, width=32 if dtype == "float32" else 64)
        if nonzero:
            elements = elements.filter(lambda v: abs(v) > 0.25)
    return draw(hnp.arrays(dtype, shape, elements=elements))


def _compare(name, got, expected, dtypes):
    got, expected = np.asarray(got), np.asarray(expected)
    assert got.shape == expected.shape, f"{name}: shape {got.shape} vs numpy {expected.shape}"
    if expected.dtype.kind in "iub":
        np.testing.assert_array_equal(got, expected, err_msg=name)
    else:
        tight = all(d == "float64" for d in dtypes)
        np.testing.assert_allclose(got, expected, rtol=1e-9 if tight else 2e-5, atol=1e-9 if tight else 2e-5,
                                   err_msg=name, equal_nan=True)
    if len(set(dtypes)) == 1 and dtypes[0] in FLOATS and expected.dtype.kind == "f":
        assert got.dtype == np.dtype(dtypes[0]), f"{name}: dtype {got.dtype} for {dtypes[0]} inputs"
    if dtypes[0] == "int32" and name in FLOAT_VALUED:
        assert got.dtype == np.dtype("float32"), f"{name}: integer inputs give floatx, got {got.dtype}"


@pytest.mark.parametrize("name", sorted(UNARY))
@SETTINGS
@given(data=st.data())
def test_unary_matches_numpy(name, data):
    reference, domain, dtypes, min_dims, max_dims = _entry(UNARY, name)
    dtype = data.draw(st.sampled_from(dtypes))
    shape = data.draw(hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=1, max_side=4))
    x = _arrays(data.draw, dtype, shape, domain)
    if name.startswith("nan") and dtype != "int32" and x.size > 1:
        x = x.copy()
        x.reshape(-1)[data.draw(st.integers(0, x.size - 2))] = np.nan
    if name == "corrcoef":
        x = x + np.arange(x.shape[-1], dtype=x.dtype)      # rows of some spread (numpy divides by it)
    _compare(name, getattr(ops, name)(x), reference(x), [dtype])


@pytest.mark.parametrize("name", sorted(BINARY))
@SETTINGS
@given(data=st.data())
def test_binary_matches_numpy(name, data):
    reference, domain, dtypes, _, _ = _entry(BINARY, name)
    dtype = data.draw(st.sampled_from(dtypes))
    if name in SAME_SHAPE:
        shapes = [data.draw(hnp.array_shapes(min_dims=1, max_dims=2, min_side=1, max_side=3)) for _ in range(2)]
        if name == "kron":
            shapes[1] = shapes[1][:len(shapes[0])] + (1,) * (len(shapes[0]) - len(shapes[1]))
    else:
        shapes = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3,
                                                             max_side=4)).input_shapes
    a = _arrays(data.draw, dtype, shapes[0], domain)
    b = _arrays(data.draw, dtype, shapes[1], domain, nonzero=name in NONZERO_SECOND)
    _compare(name, getattr(ops, name)(a, b), reference(a, b), [dtype, dtype])


REDUCTIONS = {"quantile": np.quantile, "nanquantile": np.nanquantile, "percentile": np.percentile}


@pytest.mark.parametrize("name", sorted(REDUCTIONS))
@SETTINGS
@given(data=st.data())
def test_quantiles_match_numpy(name, data):
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4))
    x = _arrays(data.draw, data.draw(st.sampled_from(FLOATS)), shape, (-3, 3))
    axis = data.draw(st.one_of(st.none(), st.integers(0, len(shape) - 1)))
    method = data.draw(st.sampled_from(["linear", "lower", "higher", "midpoint", "nearest"]))
    q = data.draw(st.sampled_from([0.25, [0.0, 0.5, 1.0]]))
    if name == "percentile":
        q = np.asarray(q) * 100
    keepdims = data.draw(st.booleans())
    _compare(name, getattr(ops, name)(x, q, axis=axis, method=method, keepdims=keepdims),
             REDUCTIONS[name](x, q, axis=axis, method=method, keepdims=keepdims), [str(x.dtype)])


THREE_CALLERS = [(name, UNARY[name][0], UNARY[name][1]) for name in sorted(UNARY)
                 if name not in ("unique", "nanargmax", "nanargmin")]


@pytest.mark.parametrize("name,reference,domain", THREE_CALLERS, ids=[c[0] for c in THREE_CALLERS])
def test_eager_and_graph_give_the_array_result(name, reference, domain):
    x = np.random.default_rng(0).uniform(domain[0], domain[1], (3, 4)).astype("float32")
    if UNARY[name][2] == ("int32",):
        x = np.round(x).astype("int32")
    function = getattr(ops, name)
    expected = np.asarray(function(x))
    np.testing.assert_allclose(function(Tensor(x)).numpy(), expected, rtol=1e-6, err_msg=f"{name}: eager")
    with engine.Graph().as_default():
        p = engine.placeholder(x.dtype, x.shape)
        value = engine.Session().run(function(p), feed_dict={p: x})
    np.testing.assert_allclose(value, expected, rtol=1e-6, err_msg=f"{name}: graph")
