"""New ops on symbolic inputs whose batch (and for images, spatial) sizes are unknown (None):
the graph builds, its static shape agrees with the run, and the values are the array path's."""
import numpy as np
import pytest

import kerasette.ops as ops
from kerasette import engine

R = np.random.default_rng(11)
X = R.standard_normal((3, 4)).astype("float32")
Y = R.uniform(0.5, 2.0, (3, 4)).astype("float32")
IMAGES = R.uniform(0, 1, (2, 6, 7, 3)).astype("float32")

# (id, function, inputs, dims of each input left unknown)
CALLS = [
    *[(name, getattr(ops, name), [X, Y], (0,)) for name in (
        "arctan2", "hypot", "logaddexp", "floor_divide", "mod", "fmod", "fmax", "fmin", "heaviside",
        "divide_no_nan", "nextafter", "isclose", "true_divide")],
    *[(name, getattr(ops, name), [X], (0,)) for name in (
        "tan", "sinh", "cbrt", "sinc", "erfc", "signbit", "nan_to_num", "sparsemax", "celu", "squareplus",
        "glu", "hard_tanh", "soft_shrink", "sparse_plus", "tanh_shrink", "cumprod", "nanmean", "ptp",
        "count_nonzero", "flip", "ravel", "rms_normalization", "layer_normalization", "normalize")],
    ("sort", lambda a: ops.sort(a, axis=0), [X], (0,)),
    ("argsort", lambda a: ops.argsort(a), [X], (0,)),
    ("top_k", lambda a: ops.top_k(a, 2), [X], (0,)),
    ("quantile", lambda a: ops.quantile(a, [0.2, 0.7], axis=1), [X], (0,)),
    ("nanmedian", lambda a: ops.nanmedian(a, axis=1, keepdims=True), [X], (0,)),
    ("median-all", lambda a: ops.median(a), [X], (0,)),
    ("searchsorted", lambda s, v: ops.searchsorted(s, v), [np.sort(X[0]), Y], (1,)),
    ("roll", lambda a: ops.roll(a, 2, axis=1), [X], (0,)),
    ("tril", lambda a: ops.tril(a), [X], (0,)),
    ("diagonal", lambda a: ops.diagonal(a, 0, 0, 1), [X], (0,)),
    ("einsum-trace", lambda a: ops.einsum("bii->b", a), [np.stack([X[:, :3]] * 2)], (0,)),
    ("slice", lambda a: ops.slice(a, [1, 1], (2, 2)), [X], (0,)),
    ("scatter_update", lambda a: ops.scatter_update(a, np.array([[0, 1]]), np.array([5.0], "float32")), [X], (0,)),
    ("inv", ops.inv, [np.stack([X[:, :3] + 3 * np.eye(3, dtype="float32")] * 2)], (0,)),
    ("solve", ops.solve, [X[:, :3] + 3 * np.eye(3, dtype="float32"), Y[:, :2]], ()),
    ("norm", lambda a: ops.norm(a, axis=1), [X], (0,)),
    ("rfft", lambda a: ops.rfft(a), [X], (0,)),
    ("stft", lambda a: ops.stft(a, 4, 2, 4, center=False), [R.standard_normal((2, 16)).astype("float32")], (0,)),
    ("resize", lambda a: ops.image.resize(a, (4, 9), interpolation="bicubic", antialias=True), [IMAGES],
     (0, 1, 2)),
    ("affine_transform", lambda a: ops.image.affine_transform(
        a, np.array([1.0, 0.1, 0.5, 0.0, 1.0, -0.5, 0.0, 0.0], "float32")), [IMAGES], (0,)),
    ("rgb_to_hsv", ops.image.rgb_to_hsv, [IMAGES], (0,)),
    ("gaussian_blur", ops.image.gaussian_blur, [IMAGES], (0,)),
    ("extract_patches", lambda a: ops.image.extract_patches(a, 2), [IMAGES], (0,)),
    ("ctc_loss", lambda t, logits: ops.ctc_loss(t, logits, np.array([2, 1], "int32"), np.array([5, 4], "int32")),
     [np.array([[1, 2], [3, 0]], "int32"), R.standard_normal((2, 5, 4)).astype("float32")], ()),
    ("segment_sum", lambda d: ops.segment_sum(d, np.array([0, 1, 0], "int32"), num_segments=2), [X], ()),
    ("cond", lambda a, b: ops.cond(ops.sum(a) > 0, lambda: a * 2.0, lambda: b), [X, Y], (0,)),
    ("switch", lambda a: ops.switch(ops.cast(ops.sum(a) > 0, "int32"), [lambda v: v, lambda v: -v], a), [X], (0,)),
    ("floordiv-operator", lambda a, b: a // b + a % b, [X, Y], (0,)),
    ("while_loop", lambda a: ops.while_loop(lambda v: ops.sum(ops.abs(v)) < 40.0, lambda v: v * 2.0, a,
                                            maximum_iterations=5), [X], (0,)),
    ("fori_loop", lambda a: ops.fori_loop(0, 3, lambda i, v: v + a * i, a), [X], (0,)),
    ("scan", lambda a: ops.scan(lambda c, row: (c + row, c * row), ops.zeros_like(a[0]), a)[1], [X], ()),
    ("map", lambda a: ops.map(lambda row: ops.sum(row), a), [X], ()),
    ("associative_scan", lambda a: ops.associative_scan(lambda p, q: p + q, a, axis=1), [X], (0,)),
    ("vectorize-signature", lambda a, b: ops.vectorize(lambda p, q: ops.sum(p * q), signature="(n),(n)->()")(a, b),
     [X, Y[0]], ()),
    ("vectorize", lambda a: ops.vectorize(lambda v: v * 2.0 + 1.0)(a), [X], ()),
    ("jvp", lambda a: ops.jvp(lambda v: ops.sin(v) * v, (a,), (np.ones_like(X),))[1], [X], ()),
]


def _results(value):
    return list(value) if isinstance(value, (tuple, list)) else [value]


@pytest.mark.parametrize("name,function,inputs,unknown", CALLS, ids=[c[0] for c in CALLS])
def test_symbolic_matches_arrays(name, function, inputs, unknown):
    expected = [np.asarray(v) for v in _results(function(*inputs))]
    with engine.Graph().as_default():
        feeds = []
        for i, x in enumerate(inputs):
            shape = tuple(None if (i == 0 and axis in unknown) else d for axis, d in enumerate(x.shape))
            feeds.append(engine.placeholder(x.dtype, shape))
        nodes = _results(function(*feeds))
        values = engine.Session().run(nodes, feed_dict=dict(zip(feeds, inputs)))
    for node, value, want in zip(nodes, values, expected):
        assert len(node.shape) == value.ndim
        assert all(s is None or s == v for s, v in zip(node.shape, value.shape)), f"{name}: {node.shape} vs {value.shape}"
        assert np.dtype(node.dtype) == value.dtype == want.dtype, f"{name}: dtypes {node.dtype}, {value.dtype}, {want.dtype}"
        np.testing.assert_allclose(value, want, rtol=1e-5, atol=1e-6, err_msg=name)
