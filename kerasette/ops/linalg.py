"""Matrix products with Keras' (numpy's) semantics: matmul, dot, tensordot, einsum;
and ``keras.ops.linalg``: inverses, solves, determinants, factorizations, norms.

``dot`` has no primitive of its own: numpy's rules make it a matmul when the
second operand has at most two axes, a tensordot over (last of x,
second-to-last of y) otherwise, and a multiply for scalars.  ``einsum``
takes traces and diagonals (a letter repeated within one operand) by
reading that diagonal first (the ``diagonal`` primitive), then contracting.

The factorizations return what Keras 3 returns (``qr`` -> ``(q, r)``,
``eigh`` -> ``(values, vectors)``, ``svd`` -> ``(u, s, vh)``,
``lu_factor`` -> ``(lu, pivots)``); their primitives are in
``primitives.decompositions``.
"""
from __future__ import annotations

import numpy

from .core import apply, dtype_of, shape_of

__all__ = ["matmul", "dot", "tensordot", "einsum", "cholesky", "cholesky_inverse", "det", "eig", "eigh", "inv",
           "lstsq", "lu_factor", "matrix_rank", "norm", "pinv", "qr", "solve", "solve_triangular", "svd",
           "slogdet", "logdet", "cdist", "corrcoef", "correlate", "trapezoid"]
# jvp is offered here too, as in Keras (kerasette.ops.jvp comes from control_flow)


def matmul(x1, x2):
    """Matrix product like ``numpy.matmul``: batched over leading axes, 1-D operands as vectors."""
    return apply("matmul", x1, x2)


def dot(x1, x2):
    """``numpy.dot``: inner product of vectors, matrix product, or a sum over x1's last axis."""
    rank_1, rank_2 = len(shape_of(x1)), len(shape_of(x2))
    if rank_1 == 0 or rank_2 == 0:
        return apply("multiply", x1, x2)
    if rank_2 <= 2:
        return apply("matmul", x1, x2)
    return apply("tensordot", x1, x2, axes=((rank_1 - 1,), (rank_2 - 2,)))


def _tensordot_axes(axes, rank_1: int, rank_2: int) -> tuple:
    if isinstance(axes, int):
        if axes < 0 or axes > min(rank_1, rank_2):
            raise ValueError(f"tensordot: axes={axes} does not fit ranks {rank_1} and {rank_2}")
        return tuple(range(rank_1 - axes, rank_1)), tuple(range(axes))
    first, second = axes
    first = (first,) if isinstance(first, int) else tuple(first)
    second = (second,) if isinstance(second, int) else tuple(second)
    return (tuple(a % rank_1 if -rank_1 <= a < rank_1 else a for a in first),
            tuple(b % rank_2 if -rank_2 <= b < rank_2 else b for b in second))


def tensordot(x1, x2, axes=2):
    """``numpy.tensordot``: sum products over the last/first ``axes`` axes or the given pairs."""
    axes = _tensordot_axes(axes, len(shape_of(x1)), len(shape_of(x2)))
    return apply("tensordot", x1, x2, axes=axes)


def einsum(subscripts: str, *operands, **kwargs):
    """``numpy.einsum``: sums of products, traces and diagonals (``'ii->i'``, ``'ii'``, ``'bii->b'``)."""
    equation = subscripts.replace(" ", "")
    lhs, arrow, out = equation.partition("->")
    inputs = lhs.split(",")
    if not arrow:
        letters = lhs.replace("...", "").replace(",", "")
        out = ("..." if "..." in lhs else "") + "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    operands = list(operands)
    for k, subs in enumerate(inputs):
        while True:
            core = subs.replace("...", "")
            repeated = next((c for c in core if core.count(c) > 1), None)
            if repeated is None or len(inputs) != len(operands):
                break
            rank = len(shape_of(operands[k]))
            lead = rank - len(core)
            first = core.index(repeated)
            second = core.index(repeated, first + 1)
            operands[k] = apply("diagonal", operands[k], offset=0, axis1=lead + first, axis2=lead + second)
            core = core[:first] + core[first + 1:second] + core[second + 1:] + repeated
            subs = ("..." if "..." in subs else "") + core
        inputs[k] = subs
    return apply("einsum", *operands, equation=",".join(inputs) + "->" + out)


# ------------------------------------------------------------ keras.ops.linalg

def inv(x):
    """The inverse of each square matrix."""
    return apply("inv", x)


def det(x):
    """The determinant of each square matrix."""
    return apply("det", x)


def slogdet(x):
    """``(sign, log|det|)`` of each square matrix."""
    return apply("slogdet", x, part="sign"), apply("slogdet", x, part="logabsdet")


def logdet(x):
    """``log(det(x))`` of symmetric positive-definite matrices (via the Cholesky factor)."""
    from .math import log, multiply
    from .reduction import sum as sum_
    return multiply(sum_(log(apply("diagonal", cholesky(x), offset=0, axis1=len(shape_of(x)) - 2,
                                   axis2=len(shape_of(x)) - 1)), axis=-1), 2.0)


def _as_matrix(b):
    """``(b, was_vector)``: a vector right-hand side as one column."""
    from .shape_ops import expand_dims
    if len(shape_of(b)) == 1:
        return expand_dims(b, -1), True
    return b, False


def solve(a, b):
    """``x`` with ``a @ x = b`` (``b`` a vector or matrices)."""
    from .shape_ops import squeeze
    b, vector = _as_matrix(b)
    out = apply("solve", a, b)
    return squeeze(out, -1) if vector else out


def solve_triangular(a, b, lower: bool = False):
    """``x`` with ``a @ x = b`` for triangular ``a`` (its other triangle is ignored)."""
    from .shape_ops import squeeze
    b, vector = _as_matrix(b)
    out = apply("solve_triangular", a, b, lower=bool(lower))
    return squeeze(out, -1) if vector else out


def _swap(x):
    rank = len(shape_of(x))
    return apply("transpose", x, axes=tuple(range(rank - 2)) + (rank - 1, rank - 2))


def cholesky(x, upper: bool = False):
    """The lower (or upper) Cholesky factor of symmetric positive-definite matrices."""
    factor = apply("cholesky", x)
    return _swap(factor) if upper else factor


def cholesky_inverse(x, upper: bool = False):
    """The inverse of ``A`` from its Cholesky factor ``x`` (``A = x x^T``, or ``x^T x`` if upper)."""
    product = matmul(_swap(x), x) if upper else matmul(x, _swap(x))
    return inv(product)


def eig(x):
    """``(values, vectors)`` of general square matrices (complex, no gradient)."""
    return apply("eig", x, part="values"), apply("eig", x, part="vectors")


def eigh(x):
    """``(values, vectors)`` of symmetric matrices, values ascending."""
    return apply("eigh", x, part="values"), apply("eigh", x, part="vectors")


def qr(x, mode: str = "reduced"):
    """``(q, r)`` with ``x = q r`` ('reduced' or 'complete')."""
    if mode not in ("reduced", "complete"):
        raise ValueError(f"qr: mode must be 'reduced' or 'complete', got {mode!r}")
    return apply("qr", x, part="q", mode=mode), apply("qr", x, part="r", mode=mode)


def svd(x, full_matrices: bool = True, compute_uv: bool = True):
    """``(u, s, vh)`` with ``x = u diag(s) vh`` (just ``s`` when ``compute_uv=False``)."""
    s = apply("svd_values", x)
    if not compute_uv:
        return s
    return (apply("svd_vectors", x, part="u", full_matrices=bool(full_matrices)), s,
            apply("svd_vectors", x, part="vh", full_matrices=bool(full_matrices)))


def pinv(x, rcond=None):
    """The Moore-Penrose pseudo-inverse (singular values below ``rcond * largest`` dropped)."""
    if rcond is None:
        m, n = shape_of(x)[-2:]
        rcond = 10 * max(m or 1, n or 1) * float(numpy.finfo(numpy.dtype(_float_dtype(x))).eps)
    return apply("pinv", x, rtol=float(rcond))


def _float_dtype(x):
    dtype = numpy.dtype(dtype_of(x))
    if dtype.kind in "fc":
        return dtype
    from .. import backend
    return numpy.dtype(backend.floatx())


def lstsq(a, b, rcond=None):
    """The least-squares solution of ``a @ x = b`` (via the pseudo-inverse)."""
    b, vector = _as_matrix(b)
    out = matmul(pinv(a, rcond), b)
    if vector:
        from .shape_ops import squeeze
        out = squeeze(out, -1)
    return out


def lu_factor(x):
    """``(lu, pivots)`` as scipy's ``lu_factor`` (no gradient)."""
    return apply("lu_factor", x, part="lu"), apply("lu_factor", x, part="pivots")


def matrix_rank(x, tol=None):
    """The number of singular values above ``tol`` (default: ``max(m, n) * eps * largest``)."""
    from .math import cast, greater, multiply
    from .reduction import max as max_
    from .reduction import sum as sum_
    from .shape_ops import expand_dims
    s = apply("svd_values", x)
    if tol is None:
        m, n = shape_of(x)[-2:]
        tol = multiply(max_(s, axis=-1, keepdims=True),
                       max(m or 1, n or 1) * float(numpy.finfo(numpy.dtype(_float_dtype(x))).eps))
    elif len(shape_of(tol)) > 0 if hasattr(tol, "shape") else False:
        tol = expand_dims(tol, -1)
    return sum_(cast(greater(s, tol), "int32"), axis=-1)


def norm(x, ord=None, axis=None, keepdims: bool = False):  # noqa: A002 (Keras' name)
    """Vector or matrix norms as ``numpy.linalg.norm`` (``ord``: None, 'fro', 'nuc', inf, -inf, 0, p)."""
    from . import math as m
    from . import reduction as r
    from .shape_ops import reshape
    rank = len(shape_of(x))
    x = m.cast(x, _float_dtype(x).name) if numpy.dtype(dtype_of(x)).kind not in "fc" else x
    if axis is None:
        if ord is None:
            out = m.sqrt(r.sum(m.square(reshape(x, (-1,)))))
            return reshape(out, (1,) * rank) if keepdims else out
        axis = tuple(range(rank))
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    axes = tuple(a % rank for a in axes)
    if len(axes) == 1:
        a = axes[0]
        if ord is None or ord == 2:
            return m.sqrt(r.sum(m.square(x), axis=a, keepdims=keepdims))
        if ord == numpy.inf:
            return r.max(m.abs(x), axis=a, keepdims=keepdims)
        if ord == -numpy.inf:
            return r.min(m.abs(x), axis=a, keepdims=keepdims)
        if ord == 0:
            return r.sum(m.cast(m.not_equal(x, 0), dtype_of(x)), axis=a, keepdims=keepdims)
        if isinstance(ord, str):
            raise ValueError(f"norm: ord={ord!r} is a matrix norm; give two axes")
        return m.power(r.sum(m.power(m.abs(x), float(ord)), axis=a, keepdims=keepdims), 1.0 / float(ord))
    if len(axes) != 2:
        raise ValueError(f"norm: axis must be one or two axes, got {axis}")
    row, col = axes
    if ord is None or ord == "fro":
        return m.sqrt(r.sum(m.square(x), axis=axes, keepdims=keepdims))
    if ord in (1, -1):
        out = (r.max if ord == 1 else r.min)(r.sum(m.abs(x), axis=row, keepdims=True), axis=col, keepdims=True)
    elif ord in (numpy.inf, -numpy.inf):
        out = (r.max if ord > 0 else r.min)(r.sum(m.abs(x), axis=col, keepdims=True), axis=row, keepdims=True)
    elif ord in (2, -2, "nuc"):
        others = [i for i in range(rank) if i not in axes]
        moved = apply("transpose", x, axes=tuple(others) + (row, col))
        s = apply("svd_values", moved)
        value = r.sum(s, axis=-1) if ord == "nuc" else (r.max if ord == 2 else r.min)(s, axis=-1)
        if not keepdims:
            return value
        shape = list(shape_of(x))
        shape[row] = shape[col] = 1
        return reshape(value, tuple(-1 if d is None else d for d in shape))
    else:
        raise ValueError(f"norm: invalid ord {ord!r} for a matrix norm")
    if keepdims:
        return out
    from .shape_ops import squeeze
    return squeeze(out, axis=axes)


# ------------------------------------------------------------------- numeric

def cdist(x, y):
    """Euclidean distances between the rows of ``x`` (..., m, d) and of ``y`` (..., n, d): (..., m, n)."""
    from . import math as m
    from .reduction import sum as sum_
    from .shape_ops import expand_dims
    difference = m.subtract(expand_dims(x, -2), expand_dims(y, -3))
    return m.sqrt(sum_(m.square(difference), axis=-1))


def corrcoef(x):
    """Pearson correlation coefficients between the rows of ``x``."""
    from . import math as m
    from .reduction import mean
    from .shape_ops import expand_dims
    x = m.cast(x, _float_dtype(x).name)
    centred = m.subtract(x, mean(x, axis=-1, keepdims=True))
    cov = matmul(centred, _swap(centred) if len(shape_of(centred)) > 1 else centred)
    if len(shape_of(x)) == 1:
        return m.divide(cov, cov)
    diagonal = apply("diagonal", cov, offset=0, axis1=0, axis2=1)
    scale = m.sqrt(m.multiply(expand_dims(diagonal, -1), expand_dims(diagonal, 0)))
    out = m.clip(m.divide(cov, scale), -1.0, 1.0)
    if shape_of(x)[0] == 1:
        # one variable: numpy's (and Keras') result is the scalar coefficient
        from .shape_ops import reshape
        out = reshape(out, ())
    return out


def correlate(x1, x2, mode: str = "valid"):
    """numpy's 1-d cross-correlation ``c[k] = sum_n x1[n + k] * x2[n]`` ('valid', 'same', 'full')."""
    from .shape_ops import pad, take
    if mode not in ("valid", "same", "full"):
        raise ValueError(f"correlate: mode must be 'valid', 'same' or 'full', got {mode!r}")
    n, k = shape_of(x1)[0], shape_of(x2)[0]
    if k > n:
        from .arrays import flip
        return flip(correlate(x2, x1, mode), 0)
    if mode == "full":
        x1 = pad(x1, [(k - 1, k - 1)])
    elif mode == "same":
        x1 = pad(x1, [(k // 2, k - 1 - k // 2)])
    length = shape_of(x1)[0] - k + 1
    frames = take(x1, numpy.arange(length)[:, None] + numpy.arange(k)[None, :], axis=0)
    return matmul(frames, x2)


def trapezoid(y, x=None, dx: float = 1.0, axis: int = -1):
    """The integral of ``y`` along ``axis`` by the trapezoidal rule (sample points ``x`` or spacing ``dx``)."""
    from . import math as m
    from .arrays import diff
    from .reduction import sum as sum_
    from .shape_ops import getitem
    rank = len(shape_of(y))
    axis = axis % rank
    head = (slice(None),) * axis
    mean_heights = m.multiply(m.add(getitem(y, head + (slice(1, None),)), getitem(y, head + (slice(None, -1),))),
                              0.5)
    if x is None:
        return m.multiply(sum_(mean_heights, axis=axis), dx)
    widths = diff(x, axis=-1 if len(shape_of(x)) == 1 else axis)
    if len(shape_of(x)) == 1 and rank > 1:
        from .shape_ops import reshape
        widths = reshape(widths, tuple(-1 if i == axis else 1 for i in range(rank)))
    return sum_(m.multiply(mean_heights, widths), axis=axis)


def jvp(fun, primals, tangents, has_aux: bool = False):
    """The Jacobian-vector product (``keras.ops.linalg.jvp``; see ``control_flow.jvp``)."""
    from .control_flow import jvp as jvp_
    return jvp_(fun, primals, tangents, has_aux=has_aux)
