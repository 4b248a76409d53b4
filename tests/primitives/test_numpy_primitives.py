"""The numpy-like primitives (ufuncs, sorting and searching, diagonals, segments, linalg
factorizations) through the generic checks: shape rule, forward against numpy/scipy,
gradient against central differences, eager tape and compiled graph."""
import numpy as np
import pytest
import scipy.special

from .harness import Case, check_case, random

X = random((3, 4), seed=1)
POSITIVE = random((3, 4), seed=2, low=0.5, high=2.0)
UNIT = random((3, 4), seed=3, low=-0.8, high=0.8)
ABOVE_ONE = random((3, 4), seed=4, low=1.2, high=3.0)
Y = random((4,), seed=5, low=0.5, high=2.0)

UNARY = {
    "tan": (UNIT, np.tan), "arcsin": (UNIT, np.arcsin), "arccos": (UNIT, np.arccos), "arctan": (X, np.arctan),
    "sinh": (X, np.sinh), "cosh": (X, np.cosh), "arcsinh": (X, np.arcsinh), "arccosh": (ABOVE_ONE, np.arccosh),
    "arctanh": (UNIT, np.arctanh), "log2": (POSITIVE, np.log2), "log10": (POSITIVE, np.log10),
    "exp2": (X, np.exp2), "cbrt": (POSITIVE, np.cbrt), "rsqrt": (POSITIVE, lambda a: 1 / np.sqrt(a)),
    "deg2rad": (X, np.deg2rad), "rad2deg": (X, np.rad2deg), "fabs": (X, np.fabs),
    "erfc": (X, scipy.special.erfc), "erfinv": (UNIT, scipy.special.erfinv), "sinc": (X, np.sinc),
    "i0": (X, scipy.special.i0), "i1": (X, scipy.special.i1), "trunc": (X * 3, np.trunc),
}
BINARY = {
    "arctan2": (X, Y, np.arctan2), "hypot": (X, Y, np.hypot), "logaddexp": (X, Y, np.logaddexp),
    "logaddexp2": (X, Y, np.logaddexp2), "mod": (X * 3, Y, np.mod), "fmod": (X * 3, Y, np.fmod),
    "floor_divide": (X * 3, Y, np.floor_divide), "fmax": (X, Y - 1, np.fmax), "fmin": (X, Y - 1, np.fmin),
}

SPD = (lambda a: a @ a.T + 4 * np.eye(4))(random((4, 4), seed=9))
SQUARE = random((2, 3, 3), seed=10) + 3 * np.eye(3)
TALL = random((5, 3), seed=11)

CASES = (
    [Case(name, [x], expected=f, id=name) for name, (x, f) in UNARY.items()]
    + [Case(name, [a, b], expected=f, id=name) for name, (a, b, f) in BINARY.items()]
    + [Case("heaviside", [np.round(X), Y], expected=np.heaviside, no_grad=(0,)),
       Case("nextafter", [X, Y], expected=np.nextafter),
       Case("ldexp", [X, np.array([1, -2, 0, 3])], expected=np.ldexp, id="ldexp")]
    + [Case(name, [np.array([12, 7, -9]), np.array([8, 3, 6])], expected=getattr(np, name), id=name)
       for name in ("gcd", "lcm", "bitwise_and", "bitwise_or", "bitwise_xor")]
    + [Case("left_shift", [np.array([1, 3, 5]), np.array([1, 2, 0])], expected=np.left_shift),
       Case("right_shift", [np.array([8, 12, 5]), np.array([1, 2, 0])], expected=np.right_shift),
       Case("bitwise_invert", [np.array([0, 5, -3])], expected=np.invert),
       Case("isclose", [X, X + 1e-9], dict(rtol=1e-5, atol=1e-8, equal_nan=False),
            expected=lambda a, b: np.isclose(a, b))]
    + [Case(name, [np.array([-np.inf, -1.0, 0.0, np.inf])], expected=getattr(np, name))
       for name in ("signbit", "isneginf", "isposinf", "isreal")]
    + [Case("argsort", [X], dict(axis=1), expected=lambda a: np.argsort(a, axis=1)),
       Case("top_k_indices", [X], dict(k=2), expected=lambda a: np.argsort(-a, axis=-1)[:, :2]),
       Case("argpartition", [X], dict(kth=1, axis=0), expected=lambda a: np.concatenate(
           [np.argsort(a, axis=0)[:2], np.sort(np.argsort(a, axis=0)[2:], axis=0)], axis=0)),
       Case("searchsorted", [np.sort(Y), X], dict(side="right"),
            expected=lambda s, v: np.searchsorted(s, v, side="right"), batch_none=False),
       Case("bincount", [np.array([0, 3, 3, 1])], dict(minlength=6, length=6),
            expected=lambda a: np.bincount(a, minlength=6)),
       Case("bincount", [np.array([[0, 3, 3], [1, 1, 2]]), random((2, 3), 3)], dict(minlength=0, length=4)),
       Case("unique", [np.array([3, 1, 3, 2])], dict(part="values"), batch_none=False, value_dependent=True,
            expected=lambda a: np.unique(a)),
       Case("unique", [np.array([[1, 2], [3, 4], [1, 2]])], dict(part="values", axis=0), batch_none=False,
            value_dependent=True, expected=lambda a: np.unique(a, axis=0)),
       Case("unique", [np.array([[1, 2], [3, 4], [1, 2]])], dict(part="counts", axis=0), batch_none=False,
            value_dependent=True, expected=lambda a: np.unique(a, axis=0, return_counts=True)[1]),
       Case("unique", [np.array([3, 1, 3, 2])], dict(part="inverse"),
            expected=lambda a: np.unique(a, return_inverse=True)[1]),
       Case("nonzero", [np.array([[0, 1], [2, 0]])], dict(axis=1), batch_none=False, value_dependent=True,
            expected=lambda a: np.nonzero(a)[1]),
       Case("histogram", [X, np.linspace(-1, 1, 4)], batch_none=False,
            expected=lambda a, e: np.histogram(a, e)[0]),
       Case("unique", [np.array([3, 1, 3, 2])], dict(part="index"), batch_none=False, value_dependent=True,
            expected=lambda a: np.unique(a, return_index=True)[1]),
       Case("isin", [np.array([1, 2, 3]), np.array([2, 5])], dict(invert=False),
            expected=lambda a, b: np.isin(a, b)),
       Case("cumprod", [POSITIVE], dict(axis=1), expected=lambda a: np.cumprod(a, axis=1)),
       Case("diagonal", [random((3, 4, 2), 6)], dict(offset=1, axis1=0, axis2=1),
            expected=lambda a: np.diagonal(a, 1, 0, 1), batch_none=False),
       Case("diagonal", [random((2, 4, 3), 6)], dict(offset=-1, axis1=1, axis2=2),
            expected=lambda a: np.diagonal(a, -1, 1, 2)),
       Case("diagonal_grad", [random((2, 3), 7), random((2, 4, 3), 6)], dict(offset=-1, axis1=1, axis2=2),
            no_grad=(1,))]
    + [Case("segment_reduce", [POSITIVE, np.array([0, 1, 0])], dict(kind=kind, num_segments=2), batch_none=False,
            id=f"segment_{kind}") for kind in ("sum", "max", "min", "prod")]
    + [Case("inv", [SQUARE], expected=np.linalg.inv),
       Case("det", [SQUARE], expected=np.linalg.det),
       Case("slogdet", [SQUARE], dict(part="logabsdet"), expected=lambda a: np.linalg.slogdet(a)[1]),
       Case("slogdet", [SQUARE], dict(part="sign"), expected=lambda a: np.linalg.slogdet(a)[0]),
       Case("solve", [SQUARE, random((2, 3, 2), 12)], expected=np.linalg.solve),
       Case("solve_triangular", [SQUARE, random((3, 2), 12)], dict(lower=True), batch_none=False,
            expected=lambda a, b: np.linalg.solve(np.tril(a), b)),
       Case("solve_triangular", [SQUARE[0], random((3, 2), 12)], dict(lower=False),
            expected=lambda a, b: np.linalg.solve(np.triu(a), b)),
       Case("pinv", [TALL], dict(rtol=1e-15), expected=np.linalg.pinv),
       Case("cholesky", [SPD], expected=np.linalg.cholesky),
       Case("cholesky_grad", [random((4, 4), 1), np.linalg.cholesky(SPD)]),
       Case("eigh", [SPD], dict(part="values"), expected=lambda a: np.linalg.eigh(a)[0]),
       Case("eigh", [SPD], dict(part="vectors"), rtol=1e-4),
       Case("qr", [TALL], dict(part="q", mode="reduced"), batch_none=False, rtol=1e-4),
       Case("qr", [TALL], dict(part="r", mode="reduced"), batch_none=False, rtol=1e-4),
       Case("qr_grad", [random((5, 3), 2), TALL], dict(part="q", mode="reduced"), batch_none=False),
       Case("svd_values", [TALL], expected=lambda a: np.linalg.svd(a, compute_uv=False)),
       Case("svd_vectors", [TALL], dict(part="u", full_matrices=False), batch_none=False, rtol=1e-4),
       Case("svd_vectors", [TALL], dict(part="vh", full_matrices=False), batch_none=False, rtol=1e-4),
       Case("svd_vectors", [SQUARE], dict(part="u", full_matrices=True), rtol=1e-4),
       Case("svd_vectors_grad", [random((5, 3), 3), TALL], dict(part="u", full_matrices=False),
            no_grad=(1,), batch_none=False),
       Case("eig", [SQUARE[0]], dict(part="values"), batch_none=False),
       Case("lu_factor", [SQUARE], dict(part="lu")),
       Case("lu_factor", [SQUARE], dict(part="pivots"))]
    + [Case("bitcast", [X], dict(dtype="int32"), expected=lambda a: a.view("int32")),
       Case("complex_part", [X + 2j * X], dict(part="angle"), expected=np.angle),
       Case("complex_part", [X + 2j * X], dict(part="imag"), expected=np.imag),
       Case("complex_view", [X + 2j * X], dict(to="real"), expected=lambda a: np.stack([a.real, a.imag], -1)),
       Case("complex_view", [random((3, 2), 4)], dict(to="complex"), expected=lambda a: a[:, 0] + 1j * a[:, 1]),
       Case("dynamic_slice", [X, np.array([1, 2])], dict(shape=(2, 2)), expected=lambda a, s: a[1:3, 2:4]),
       Case("dynamic_slice", [X, np.array([5, -1])], dict(shape=(2, 2)), expected=lambda a, s: a[1:3, 0:2],
            id="dynamic_slice-clamped"),
       Case("slice_update", [X, random((2, 3), 5), np.array([1, 0])]),
       Case("gather_nd", [random((3, 4, 2), 3), np.array([[0, 1], [2, 3], [0, 1]])], batch_none=False,
            expected=lambda a, i: a[i[:, 0], i[:, 1]]),
       Case("scatter_nd", [X, np.array([[0, 1], [2, 3], [0, 1]]), random((3,), 7)], dict(reduction="add"),
            batch_none=False),
       Case("scatter_nd", [X, np.array([[0, 1], [2, 3]]), random((2,), 7)], dict(reduction=None),
            batch_none=False),
       Case("scatter_nd", [X, np.array([[0], [2]]), random((2, 4), 7)], dict(reduction="max"), no_grad=(0, 2),
            batch_none=False)]
)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_case(case):
    check_case(case)
