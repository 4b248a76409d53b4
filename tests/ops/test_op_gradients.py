"""The op-gradient harness walked over every differentiable public op added for Keras 3's surface.

For each entry: float64 inputs, ``L = sum(op(*inputs) * g)`` for a fixed random ``g``; the
gradient of ``L`` from the eager tape (``Tensor.backward``) and from a compiled graph
(``engine.gradients`` + ``Session.run``) must both match central differences.  Composite ops
(``quantile``, ``stft``, ``image.resize``, ...) are checked end to end, so every primitive
rule they lean on is exercised through them too.
"""
import numpy as np
import pytest

import kerasette.ops as ops
from kerasette import eager, engine

R = np.random.default_rng(7)


def r(*shape, low=None, high=None, seed=None):
    rng = R if seed is None else np.random.default_rng(seed)
    if low is not None:
        return rng.uniform(low, high, shape)
    return rng.standard_normal(shape)


def distinct(*shape):
    """Values far apart (so sorting, maxima and quantiles have no ties or kinks nearby)."""
    n = int(np.prod(shape))
    return (np.random.default_rng(n).permutation(n).reshape(shape) + r(*shape, low=0.1, high=0.4)) * 0.5


SPD = (lambda a: a @ a.T + 4 * np.eye(3))(r(3, 3, seed=1))
SQUARE = r(3, 3, seed=2) + 3 * np.eye(3)
UNIT = r(3, 4, low=-0.8, high=0.8)
POS = r(3, 4, low=0.5, high=2.0)
X = r(3, 4)
IMG = r(1, 5, 6, 2, low=0.1, high=0.9)
COORDINATES = r(2, 3, 3, low=0.2, high=3.8).round(0) + 0.37     # away from the integer kinks

# (id, function of the differentiable inputs, inputs)
ENTRIES = [
    *[(name, getattr(ops, name), [UNIT]) for name in ("tan", "arcsin", "arccos", "arctanh", "erfinv")],
    *[(name, getattr(ops, name), [X]) for name in ("arctan", "sinh", "cosh", "arcsinh", "exp2", "deg2rad",
                                                    "rad2deg", "erfc", "sinc", "i0", "copy", "ravel",
                                                    "hard_tanh", "squareplus", "tanh_shrink", "celu")],
    *[(name, getattr(ops, name), [POS]) for name in ("log2", "log10", "cbrt", "rsqrt", "fabs")],
    ("arccosh", ops.arccosh, [POS + 1.5]),
    *[(name, getattr(ops, name), [X, POS]) for name in ("arctan2", "hypot", "logaddexp", "logaddexp2",
                                                        "fmod", "mod", "fmax", "fmin", "divide_no_nan",
                                                        "true_divide")],
    ("ldexp", lambda a: ops.ldexp(a, np.array([1, -1, 0, 2])), [X]),
    ("nan_to_num", ops.nan_to_num, [X]),
    ("sort", lambda a: ops.sort(a, axis=0), [distinct(3, 4)]),
    ("top_k", lambda a: ops.top_k(a, 2)[0], [distinct(3, 4)]),
    *[(f"quantile-{m}", (lambda m: lambda a: ops.quantile(a, [0.3, 0.6], axis=1, method=m))(m), [distinct(3, 5)])
      for m in ("linear", "midpoint", "lower")],
    ("median", lambda a: ops.median(a, axis=0, keepdims=True), [distinct(3, 4)]),
    ("nanquantile", lambda a: ops.nanquantile(ops.where(np.eye(3, 4, dtype=bool), np.nan, a), 0.4, axis=1),
     [distinct(3, 4)]),
    ("percentile", lambda a: ops.percentile(a, 70), [distinct(3, 4)]),
    *[(name, (lambda f: lambda a: f(ops.where(np.eye(3, 4, dtype=bool), np.nan, a), axis=1))(getattr(ops, name)),
       [distinct(3, 4)]) for name in ("nanmean", "nanvar", "nanstd", "nansum", "nanprod", "nanmax", "nanmin",
                                      "nancumsum", "nancumprod", "nanmedian")],
    ("cumprod", lambda a: ops.cumprod(a, axis=1), [POS]),
    ("ptp", lambda a: ops.ptp(a, axis=1), [distinct(3, 4)]),
    ("average", lambda a, w: ops.average(a, axis=1, weights=w), [X, POS[0]]),
    ("amax", lambda a: ops.amax(a, axis=0), [distinct(3, 4)]),
    ("amin", lambda a: ops.amin(a, axis=1), [distinct(3, 4)]),
    ("flip", lambda a: ops.flip(a, 1), [X]),
    ("roll", lambda a: ops.roll(a, 3, axis=1), [X]),
    ("rot90", lambda a: ops.rot90(a, 3), [X]),
    ("swapaxes", lambda a: ops.swapaxes(a, 0, 1), [X]),
    ("moveaxis", lambda a: ops.moveaxis(r(2, 3, 4, seed=3) * a[:1, :1], 0, -1), [X]),
    ("hstack", lambda a, b: ops.hstack([a, b]), [X, POS]),
    ("vstack", lambda a, b: ops.vstack([a[0], b[0]]), [X, POS]),
    ("dstack", lambda a, b: ops.dstack([a, b]), [X, POS]),
    ("append", lambda a, b: ops.append(a, b), [X, POS]),
    ("array_split", lambda a: ops.array_split(a, 3, axis=1)[1], [X]),
    ("unstack", lambda a: ops.unstack(a, axis=1)[2], [X]),
    ("diagonal", lambda a: ops.diagonal(a, 1), [X]),
    ("diag", lambda a: ops.diag(a[0], -1), [X]),
    ("diagflat", lambda a: ops.diagflat(a[:2, :2]), [X]),
    ("trace", lambda a: ops.trace(a), [X]),
    ("tril", lambda a: ops.tril(a, -1), [X]),
    ("triu", lambda a: ops.triu(a, 1), [X]),
    ("kron", ops.kron, [X[:2, :2], POS[:2, :3]]),
    ("outer", ops.outer, [X[0], POS[1]]),
    ("inner", ops.inner, [X, POS]),
    ("vdot", ops.vdot, [X, POS]),
    ("cross", ops.cross, [X[:, :3], POS[:, :3]]),
    ("diff", lambda a: ops.diff(a, 2, axis=1), [X]),
    ("meshgrid", lambda a, b: ops.meshgrid(a[0], b[0])[1], [X, POS]),
    ("vander", lambda a: ops.vander(a[0]), [X]),
    ("slice", lambda a: ops.slice(a, [1, 1], (2, 2)), [X]),
    ("slice_update", lambda a, b: ops.slice_update(a, [1, 2], b[:2, :2]), [X, POS]),
    ("scatter", lambda v: ops.scatter(np.array([[0, 1], [2, 3], [0, 1]]), v, (3, 4)), [X[0, :3]]),
    ("scatter_update", lambda a, v: ops.scatter_update(a, np.array([[0, 1], [2, 3]]), v), [X, POS[0, :2]]),
    ("get_item", lambda a: ops.get_item(a, (slice(1, None), 2)), [X]),
    ("select", lambda a, b: ops.select([a > 0.5, b > 1.0], [a, b], 0.5), [X, POS]),
    ("rearrange", lambda a: ops.rearrange(a, "a (b c) -> c a b", c=2), [X]),
    ("extract_sequences", lambda a: ops.extract_sequences(a, 3, 1), [X]),
    ("depth_to_space", lambda a: ops.depth_to_space(a, 2), [r(1, 2, 2, 8)]),
    ("space_to_depth", lambda a: ops.space_to_depth(a, 2), [r(1, 4, 2, 2)]),
    ("einsum-trace", lambda a, b: ops.einsum("ii,ij->j", a, b), [SQUARE, POS[:3, :3]]),
    ("inv", ops.inv, [SQUARE]),
    ("det", ops.det, [SQUARE]),
    ("slogdet", lambda a: ops.slogdet(a)[1], [SQUARE]),
    ("logdet", ops.logdet, [SPD]),
    ("solve", ops.solve, [SQUARE, X[:, :2]]),
    ("solve-vector", ops.solve, [SQUARE, X[:, 0]]),
    ("solve_triangular", lambda a, b: ops.solve_triangular(a, b, lower=True), [SQUARE, X[:, :2]]),
    ("cholesky", ops.cholesky, [SPD]),
    ("cholesky_inverse", lambda a: ops.cholesky_inverse(ops.cholesky(a)), [SPD]),
    ("eigh", lambda a: ops.eigh(a)[0], [SPD]),
    ("qr", lambda a: ops.add(ops.qr(a)[1], 0.0), [r(4, 3, seed=5)]),
    ("qr-q", lambda a: ops.qr(a)[0], [r(4, 3, seed=5)]),
    ("qr-wide", lambda a: ops.add(ops.qr(a)[0], ops.sum(ops.qr(a)[1])), [r(3, 5, seed=9)]),
    ("svd", lambda a: ops.svd(a, compute_uv=False), [r(4, 3, seed=5)]),
    ("svd-u", lambda a: ops.svd(a, full_matrices=False)[0], [r(4, 3, seed=5)]),
    ("svd-vh", lambda a: ops.svd(a)[2], [r(3, 3, seed=8)]),
    ("pinv", ops.pinv, [r(4, 3, seed=5)]),
    ("lstsq", ops.lstsq, [r(4, 3, seed=5), r(4, seed=6)]),
    *[(f"norm-{o}", (lambda o: lambda a: ops.norm(a, ord=o, axis=1))(o), [distinct(3, 4)])
      for o in (None, 1, 3, np.inf)],
    *[(f"matrix-norm-{o}", (lambda o: lambda a: ops.norm(a, ord=o))(o), [distinct(3, 4)])
      for o in ("fro", "nuc", 1, np.inf, 2)],
    ("cdist", ops.cdist, [X, POS[:2]]),
    ("corrcoef", ops.corrcoef, [X]),
    ("correlate", lambda a, b: ops.correlate(a[0], b[1, :3], mode="full"), [X, POS]),
    ("trapezoid", lambda a: ops.trapezoid(a, dx=0.5), [X]),
    ("fft", lambda a, b: ops.fft((a, b))[1], [X, POS]),
    ("fft2", lambda a, b: ops.fft2((a, b))[0], [X, POS]),
    ("ifft2", lambda a, b: ops.ifft2((a, b))[1], [X, POS]),
    ("rfft", lambda a: ops.rfft(a, 6)[1], [X]),
    ("irfft", lambda a, b: ops.irfft((a, b), 5), [X, POS]),
    ("stft", lambda a: ops.stft(a, 4, 2, 6)[0], [r(1, 12)]),
    ("istft", lambda a, b: ops.istft((a, b), 4, 2, 6), [r(1, 4, 4), r(1, 4, 4)]),
    ("glu", ops.glu, [X]),
    ("hard_shrink", ops.hard_shrink, [distinct(3, 4)]),
    ("soft_shrink", ops.soft_shrink, [distinct(3, 4)]),
    ("sparse_plus", ops.sparse_plus, [r(3, 4, low=-0.9, high=0.9)]),
    ("sparse_sigmoid", ops.sparse_sigmoid, [r(3, 4, low=-0.9, high=0.9)]),
    ("sparsemax", ops.sparsemax, [distinct(2, 4)]),
    ("threshold", lambda a: ops.threshold(a, 1.0, -2.0), [distinct(3, 4)]),
    ("layer_normalization", lambda a, g, b: ops.layer_normalization(a, g, b), [X, POS[0], X[1]]),
    ("rms_normalization", lambda a, s: ops.rms_normalization(a, s), [X, POS[0]]),
    ("normalize", lambda a: ops.normalize(a, axis=0), [X]),
    ("psnr", lambda a, b: ops.psnr(a, b, 2.0), [X, POS]),
    ("unfold", lambda a: ops.unfold(a, 2, stride=(1, 2), padding=1), [r(1, 2, 3, 4)]),
    ("fold", lambda a: ops.fold(a, (3, 4), 2, padding=1, stride=(1, 2)), [r(1, 8, 12)]),
    ("ctc_loss", lambda logits: ops.ctc_loss(np.array([[1, 2], [2, 2]]), logits, np.array([2, 2]),
                                             np.array([5, 4])), [r(2, 5, 3)]),
    ("segment_sum", lambda d: ops.segment_sum(d, np.array([0, 1, 0]), 2), [X]),
    ("segment_max", lambda d: ops.segment_max(d, np.array([0, 1, 0]), 2), [distinct(3, 4)]),
    ("segment_prod", lambda d: ops.segment_prod(d, np.array([0, 1, 0]), 2), [POS]),
    *[(f"resize-{m}-{a}", (lambda m, a: lambda x: ops.image.resize(x, (3, 8), interpolation=m, antialias=a))(m, a),
       [IMG]) for m in ("bilinear", "bicubic", "lanczos3", "nearest") for a in (False, True)],
    ("affine_transform", lambda x: ops.image.affine_transform(
        x, np.array([0.9, 0.1, 0.3, -0.1, 1.1, 0.2, 0, 0])), [IMG]),
    ("map_coordinates", lambda x: ops.image.map_coordinates(x[0, :, :, 0], COORDINATES, 1), [IMG]),
    ("map_coordinates-coordinates", lambda c: ops.image.map_coordinates(IMG[0, :, :, 0], c, 1, "reflect"),
     [COORDINATES]),
    ("affine_transform-transform", lambda t: ops.image.affine_transform(IMG, t, fill_mode="nearest"),
     [np.array([0.93, 0.11, 0.31, -0.12, 1.07, 0.23, 0.0, 0.0])]),
    ("gaussian_blur", lambda x: ops.image.gaussian_blur(x, (3, 3), (1.0, 0.5)), [IMG]),
    ("rgb_to_hsv", lambda x: ops.image.rgb_to_hsv(ops.concatenate([x, x[..., :1] * 0.5], axis=-1)),
     [r(1, 2, 2, 2, low=0.1, high=0.9)]),
    ("hsv_to_rgb", lambda x: ops.image.hsv_to_rgb(ops.concatenate([x, x[..., :1]], axis=-1)),
     [r(1, 2, 2, 2, low=0.1, high=0.3)]),
    ("rgb_to_grayscale", lambda x: ops.image.rgb_to_grayscale(ops.concatenate([x, x[..., :1]], axis=-1)), [IMG]),
    ("extract_patches", lambda x: ops.image.extract_patches(x, 2, padding="same"), [IMG]),
    ("sobel_edges", ops.image.sobel_edges, [IMG]),
    ("ssim", lambda a, b: ops.image.ssim(a, b, filter_size=3), [IMG, IMG[:, ::-1] * 0.9]),
    ("crop_images", lambda x: ops.image.crop_images(x, 1, 2, 1, 0), [IMG]),
    ("pad_images", lambda x: ops.image.pad_images(x, 1, 0, 2, 1), [IMG]),
    ("scan", lambda a: ops.scan(lambda c, x: (c * x + 1.0, c), a[0, 0] * 0 + 1.0, a[0])[1], [X]),
    ("fori_loop", lambda a: ops.fori_loop(0, 3, lambda i, v: v * a, a), [X]),
    ("map", lambda a: ops.map(lambda row: ops.sum(row * row), a), [X]),
    ("associative_scan", lambda a: ops.associative_scan(lambda p, q: p * q, a, axis=1), [X]),
    ("cond", lambda a: ops.cond(True, lambda: a * 2.0, lambda: a * 3.0), [X]),
    ("while_loop", lambda a: ops.while_loop(lambda v: ops.sum(ops.abs(v)) < 50.0, lambda v: v * 2.0, a,
                                            maximum_iterations=6), [X]),
]


def _value(out):
    return out.numpy() if hasattr(out, "numpy") else np.asarray(out)


def numeric(function, inputs, g, index, eps=1e-6):
    x = np.array(inputs[index], dtype=np.float64)
    grad = np.zeros_like(x)
    flat = x.reshape(-1)
    for i in range(flat.size):
        saved = flat[i]
        values = []
        for step in (eps, -eps):
            flat[i] = saved + step
            args = list(inputs)
            args[index] = x
            values.append(float(np.sum(np.asarray(function(*args)) * g)))
        flat[i] = saved
        grad.reshape(-1)[i] = (values[0] - values[1]) / (2 * eps)
    return grad


@pytest.mark.parametrize("entry", ENTRIES, ids=[e[0] for e in ENTRIES])
def test_gradient_eager_and_compiled(entry):
    name, function, inputs = entry
    inputs = [np.asarray(x, dtype=np.float64) for x in inputs]
    out = np.asarray(function(*inputs))
    g = np.random.default_rng(3).standard_normal(out.shape)
    expected = [numeric(function, inputs, g, i) for i in range(len(inputs))]

    tensors = [eager.Tensor(x, requires_grad=True) for x in inputs]
    result = function(*tensors)
    (result * g).sum().backward()
    for i, tensor in enumerate(tensors):
        got = np.zeros_like(inputs[i]) if tensor.grad is None else tensor.grad.numpy()
        np.testing.assert_allclose(got, expected[i], rtol=1e-4, atol=1e-6, err_msg=f"{name}: eager, input {i}")

    with engine.Graph().as_default():
        feeds = [engine.placeholder("float64", x.shape) for x in inputs]
        node = function(*feeds)
        loss = ops.sum(node * g)
        grads = engine.gradients(loss, feeds)
        values = engine.Session().run([x for x in grads if x is not None], feed_dict=dict(zip(feeds, inputs)))
    values = iter(values)
    for i, grad in enumerate(grads):
        got = np.zeros_like(inputs[i]) if grad is None else np.broadcast_to(next(values), inputs[i].shape)
        np.testing.assert_allclose(got, expected[i], rtol=1e-4, atol=1e-6, err_msg=f"{name}: compiled, input {i}")


def test_custom_gradient_in_every_caller():
    @ops.custom_gradient
    def scaled(x):
        def grad(upstream):
            return upstream * 3.0
        return ops.multiply(x, 2.0), grad

    x = np.array([1.0, -2.0])
    np.testing.assert_allclose(scaled(x), [2.0, -4.0])
    t = eager.Tensor(x, requires_grad=True)
    ops.sum(scaled(t)).backward()
    np.testing.assert_allclose(t.grad.numpy(), [3.0, 3.0])
    with engine.Graph().as_default():
        p = engine.placeholder("float64", (2,))
        (grad,) = engine.gradients(ops.sum(scaled(p)), [p])
        np.testing.assert_allclose(engine.Session().run(grad, feed_dict={p: x}), [3.0, 3.0])


def test_stop_gradient_blocks():
    t = eager.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    ops.sum(t * ops.stop_gradient(t)).backward()
    np.testing.assert_allclose(t.grad.numpy(), [1.0, 2.0])


def test_jvp_matches_finite_differences_in_every_caller():
    def f(x, y):
        return ops.sin(x) * y + ops.cumsum(x * x)
    x, y = np.array([0.3, 1.2, -0.4]), np.array([2.0, 3.0, 0.5])
    tx, ty = np.array([1.0, 0.5, -1.0]), np.array([0.0, 1.0, 2.0])
    eps = 1e-6
    expected = (np.asarray(f(x + eps * tx, y + eps * ty)) - np.asarray(f(x - eps * tx, y - eps * ty))) / (2 * eps)
    out, tangent = ops.jvp(f, (x, y), (tx, ty))
    np.testing.assert_allclose(out, f(x, y))
    np.testing.assert_allclose(tangent, expected, rtol=1e-6)
    with engine.Graph().as_default():
        a, b = engine.placeholder("float64", (3,)), engine.placeholder("float64", (3,))
        out, tangent, aux = ops.jvp(lambda p, q: (f(p, q), p), (a, b), (tx, ty), has_aux=True)
        values = engine.Session().run([tangent, aux], feed_dict={a: x, b: y})
    np.testing.assert_allclose(values[0], expected, rtol=1e-6)
    np.testing.assert_allclose(values[1], x)
