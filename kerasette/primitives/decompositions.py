"""Linear algebra beyond products: inverses, solves, determinants, factorizations.

Every primitive works on a batch of matrices (leading axes) like
``numpy.linalg``.  Matrices Keras 3 (JAX) treats as symmetric (``cholesky``,
``eigh``) are symmetrised first, ``(a + a^T) / 2``, as JAX does, so their
gradients are symmetric.  Factorizations with several results are one
primitive per result (``part`` attr); their gradients add up to the joint
one because each is linear in its output gradient.

Gradients:
  inv          ``-Y^T G Y^T``
  det          ``G det(A) A^{-T}``;  slogdet's log|det|: ``G A^{-T}``
  solve        ``B' = solve(A^T, G)``, ``A' = -B' X^T``
  solve_triangular   the same with triangular solves, ``A'`` kept in A's triangle
  pinv         the three-term formula (full rank)
  cholesky     ``L^{-T} Phi(L^T G) L^{-1}``, symmetrised (Murray, 2016)
  eigh         values ``V diag(G) V^T``; vectors ``V (F o V^T G) V^T``, ``F_ij = 1/(w_j - w_i)``
  qr           ``(G_Q + Q copyltu(M)) R^{-T}``, ``M = R G_R^T - G_Q^T Q``; wide matrices through
               their leading square block
  svd values   ``U diag(G) V^T``
  svd vectors  Townsend (2016), distinct singular values
``eig`` (complex results) and ``lu_factor`` carry no gradient.
"""
from __future__ import annotations

import numpy

from .base import Primitive, ShapeError, Spec, format_shape, register
from .elementwise import float_dtype


def _t(ops, x):
    return ops.einsum(x, equation="...ij->...ji")


def _mm(ops, *xs):
    out = xs[0]
    for x in xs[1:]:
        out = ops.matmul(out, x)
    return out


def _expand2(ops, g):
    rank = len(g.shape)
    return ops.expand_dims(g, axis=(rank, rank + 1))


def _square(name, shape):
    if len(shape) < 2 or (shape[-1] is not None and shape[-2] is not None and shape[-1] != shape[-2]):
        raise ShapeError(f"{name}: expects square matrices (..., n, n), got {format_shape(shape)}")


def _float(x):
    return x if x.dtype.kind in "fc" else x.astype(float_dtype(x.dtype))


class Square(Primitive):
    """One result shaped like the input (square matrices), a float dtype."""

    def infer(self, x, **attrs):
        _square(self.name, tuple(x.shape))
        return Spec(tuple(x.shape), float_dtype(x.dtype))


@register
class Inv(Square):
    name = "inv"

    def forward(self, xp, x):
        return xp.linalg.inv(_float(x))

    def gradient(self, ops, inputs, output, grad):
        yt = _t(ops, output)
        return (-_mm(ops, yt, grad, yt),)


@register
class Det(Primitive):
    name = "det"

    def infer(self, x):
        _square(self.name, tuple(x.shape))
        return Spec(tuple(x.shape[:-2]), float_dtype(x.dtype))

    def forward(self, xp, x):
        return xp.asarray(xp.linalg.det(_float(x)))

    def gradient(self, ops, inputs, output, grad):
        (x,) = inputs
        return (_expand2(ops, grad * output) * _t(ops, ops.inv(x)),)


@register
class Slogdet(Primitive):
    """``part='sign'`` (no gradient through it) or ``'logabsdet'``."""

    name = "slogdet"

    def infer(self, x, part):
        _square(self.name, tuple(x.shape))
        return Spec(tuple(x.shape[:-2]), float_dtype(x.dtype))

    def forward(self, xp, x, part):
        sign, logabsdet = xp.linalg.slogdet(_float(x))
        return xp.asarray(sign if part == "sign" else logabsdet)

    def gradient(self, ops, inputs, output, grad, part):
        (x,) = inputs
        if part == "sign":
            return (ops.zeros_like(x),)
        return (_expand2(ops, grad) * _t(ops, ops.inv(x)),)


def _solve_shapes(name, a, b):
    _square(name, tuple(a.shape))
    if len(b.shape) < 2 or (a.shape[-1] is not None and b.shape[-2] is not None and a.shape[-1] != b.shape[-2]):
        raise ShapeError(f"{name}: b must be (..., n, k) for a of shape {format_shape(a.shape)}, got "
                         f"{format_shape(b.shape)}")


@register
class Solve(Primitive):
    """``x`` with ``a @ x = b``, for matrices ``b`` (..., n, k)."""

    name = "solve"

    def infer(self, a, b):
        _solve_shapes(self.name, a, b)
        from .base import broadcast_shapes
        batch = broadcast_shapes(self.name, tuple(a.shape[:-2]), tuple(b.shape[:-2]))
        return Spec(batch + tuple(b.shape[-2:]), float_dtype(numpy.result_type(a.dtype, b.dtype)))

    def forward(self, xp, a, b):
        dtype = float_dtype(numpy.result_type(a.dtype, b.dtype))
        return xp.linalg.solve(a.astype(dtype), b.astype(dtype))

    def gradient(self, ops, inputs, output, grad):
        a, b = inputs
        gb = ops.solve(_t(ops, a), grad)
        return ops.sum_to_like(-_mm(ops, gb, _t(ops, output)), a), ops.sum_to_like(gb, b)


def _triangle_mask(n, lower):
    return numpy.tril(numpy.ones((n, n))) if lower else numpy.triu(numpy.ones((n, n)))


@register
class SolveTriangular(Primitive):
    """``x`` with ``a @ x = b`` reading only ``a``'s lower (or upper) triangle."""

    name = "solve_triangular"

    def infer(self, a, b, lower):
        _solve_shapes(self.name, a, b)
        from .base import broadcast_shapes
        batch = broadcast_shapes(self.name, tuple(a.shape[:-2]), tuple(b.shape[:-2]))
        return Spec(batch + tuple(b.shape[-2:]), float_dtype(numpy.result_type(a.dtype, b.dtype)))

    def forward(self, xp, a, b, lower):
        import scipy.linalg
        dtype = float_dtype(numpy.result_type(a.dtype, b.dtype))
        batch = numpy.broadcast_shapes(a.shape[:-2], b.shape[:-2])
        a = numpy.broadcast_to(a.astype(dtype), batch + a.shape[-2:])
        b = numpy.broadcast_to(b.astype(dtype), batch + b.shape[-2:])
        out = numpy.empty(b.shape, dtype)
        for index in numpy.ndindex(*b.shape[:-2]):
            out[index] = scipy.linalg.solve_triangular(a[index], b[index], lower=lower)
        return xp.asarray(out)

    def gradient(self, ops, inputs, output, grad, lower):
        a, b = inputs
        gb = ops.solve_triangular(_t(ops, a), grad, lower=not lower)
        ga = -_mm(ops, gb, _t(ops, output)) * _triangle_mask(a.shape[-1], lower).astype(grad.dtype)
        return ops.sum_to_like(ga, a), ops.sum_to_like(gb, b)


@register
class Pinv(Primitive):
    """The Moore-Penrose pseudo-inverse; singular values below ``rtol * largest`` count as zero."""

    name = "pinv"

    def infer(self, x, rtol):
        if len(x.shape) < 2:
            raise ShapeError(f"pinv: expects matrices (..., m, n), got {format_shape(x.shape)}")
        return Spec(tuple(x.shape[:-2]) + (x.shape[-1], x.shape[-2]), float_dtype(x.dtype))

    def forward(self, xp, x, rtol):
        return xp.linalg.pinv(_float(x), rcond=rtol)

    def gradient(self, ops, inputs, output, grad, rtol):
        (a,) = inputs
        p, pt, gt = output, _t(ops, output), _t(ops, grad)
        term1 = -_mm(ops, pt, grad, pt)
        term2 = _mm(ops, gt, p, pt) - _mm(ops, a, p, gt, p, pt)
        term3 = _mm(ops, pt, p, gt) - _mm(ops, pt, p, gt, p, a)
        return (term1 + term2 + term3,)


@register
class Cholesky(Square):
    """The lower factor ``L`` of ``(a + a^T) / 2 = L L^T``."""

    name = "cholesky"

    def forward(self, xp, x):
        x = _float(x)
        return xp.linalg.cholesky((x + xp.swapaxes(x, -1, -2)) / 2)

    def gradient(self, ops, inputs, output, grad):
        return (ops.cholesky_grad(grad, output),)


@register
class CholeskyGrad(Primitive):
    """The (symmetric) input gradient of ``cholesky`` from ``grad`` and ``L``."""

    name = "cholesky_grad"
    differentiable = False

    def infer(self, grad, factor):
        return Spec(tuple(factor.shape), factor.dtype)

    def forward(self, xp, grad, factor):
        import scipy.linalg
        out = numpy.empty(factor.shape, factor.dtype)
        for index in numpy.ndindex(*factor.shape[:-2]):
            low, g = factor[index], grad[index]
            phi = numpy.tril(low.T @ g)
            phi[numpy.diag_indices_from(phi)] *= 0.5
            left = scipy.linalg.solve_triangular(low, phi, lower=True, trans=1)       # L^{-T} phi
            s = scipy.linalg.solve_triangular(low, left.T, lower=True, trans=1)       # (L^{-T} phi L^{-1})^T
            out[index] = (s + s.T) / 2
        return xp.asarray(out)


@register
class Eigh(Primitive):
    """Eigenvalues (ascending, ``part='values'``) or eigenvectors (columns) of ``(a + a^T) / 2``."""

    name = "eigh"

    def infer(self, x, part):
        _square(self.name, tuple(x.shape))
        shape = tuple(x.shape) if part == "vectors" else tuple(x.shape[:-1])
        return Spec(shape, float_dtype(x.dtype))

    def forward(self, xp, x, part):
        x = _float(x)
        values, vectors = xp.linalg.eigh((x + xp.swapaxes(x, -1, -2)) / 2)
        return vectors if part == "vectors" else values

    def gradient(self, ops, inputs, output, grad, part):
        (x,) = inputs
        if part == "values":
            vectors = ops.eigh(x, part="vectors")
            scaled = vectors * ops.expand_dims(grad, axis=(len(grad.shape) - 1,))
            out = _mm(ops, scaled, _t(ops, vectors))
        else:
            values = ops.eigh(x, part="values")
            diff = ops.expand_dims(values, axis=(len(values.shape) - 1,)) - ops.expand_dims(
                values, axis=(len(values.shape),))
            eye = numpy.eye(x.shape[-1], dtype=bool)
            f = ops.where(eye, ops.zeros_like(diff), 1 / ops.where(eye, ops.ones_like(diff), diff))
            out = _mm(ops, output, f * _mm(ops, _t(ops, output), grad), _t(ops, output))
        return ((out + _t(ops, out)) / 2,)


@register
class Qr(Primitive):
    """``part='q'`` or ``'r'`` of numpy's QR ('reduced' or 'complete')."""

    name = "qr"

    def infer(self, x, part, mode):
        if len(x.shape) < 2:
            raise ShapeError(f"qr: expects matrices (..., m, n), got {format_shape(x.shape)}")
        m, n = x.shape[-2], x.shape[-1]
        k = None if m is None or n is None else (min(m, n) if mode == "reduced" else m)
        shape = (m, k) if part == "q" else (k, n)
        return Spec(tuple(x.shape[:-2]) + shape, float_dtype(x.dtype))

    def forward(self, xp, x, part, mode):
        q, r = xp.linalg.qr(_float(x), mode=mode)
        return q if part == "q" else r

    def gradient(self, ops, inputs, output, grad, part, mode):
        (x,) = inputs
        return (ops.qr_grad(grad, x, part=part, mode=mode),)


@register
class QrGrad(Primitive):
    """Input gradient of one QR factor (reduced, or complete for square and wide matrices)."""

    name = "qr_grad"
    differentiable = False

    def infer(self, grad, x, part, mode):
        return Spec(tuple(x.shape), grad.dtype)

    def forward(self, xp, grad, x, part, mode):
        m, n = x.shape[-2:]
        if mode != "reduced" and m > n:
            raise NotImplementedError("qr gradient: mode='complete' of a tall matrix has no unique gradient")
        out = numpy.empty(x.shape, grad.dtype)
        for index in numpy.ndindex(*x.shape[:-2]):
            a = x[index].astype(numpy.float64)
            q, r = numpy.linalg.qr(a)
            gq = grad[index] if part == "q" else numpy.zeros_like(q)
            gr = grad[index] if part == "r" else numpy.zeros_like(r)
            if m >= n:
                out[index] = _qr_square_or_tall(q, r, gq, gr)
            else:
                # wide: A = [X | Y] with X = Q R1 square and R2 = Q^T Y
                y, gr1, gr2 = a[:, m:], gr[:, :m], gr[:, m:]
                gx = _qr_square_or_tall(q, r[:, :m], gq + y @ gr2.T, gr1)
                out[index] = numpy.concatenate([gx, q @ gr2], axis=1)
        return xp.asarray(out)


def _qr_square_or_tall(q, r, gq, gr):
    import scipy.linalg
    mm = r @ gr.T - gq.T @ q
    copyltu = numpy.tril(mm, -1) + numpy.tril(mm, -1).T + numpy.diag(numpy.diag(mm))
    return scipy.linalg.solve_triangular(r, (gq + q @ copyltu).T, lower=False).T


@register
class SvdValues(Primitive):
    """The singular values, largest first."""

    name = "svd_values"

    def infer(self, x):
        if len(x.shape) < 2:
            raise ShapeError(f"svd: expects matrices (..., m, n), got {format_shape(x.shape)}")
        m, n = x.shape[-2], x.shape[-1]
        return Spec(tuple(x.shape[:-2]) + (None if m is None or n is None else min(m, n),), float_dtype(x.dtype))

    def forward(self, xp, x):
        return xp.linalg.svd(_float(x), compute_uv=False)

    def gradient(self, ops, inputs, output, grad):
        (x,) = inputs
        u = ops.svd_vectors(x, part="u", full_matrices=False)
        vh = ops.svd_vectors(x, part="vh", full_matrices=False)
        return (_mm(ops, u * ops.expand_dims(grad, axis=(len(grad.shape) - 1,)), vh),)


@register
class SvdVectors(Primitive):
    """``u`` or ``vh`` of the SVD; their gradient needs distinct singular values (and, for
    ``full_matrices=True``, square matrices)."""

    name = "svd_vectors"

    def infer(self, x, part, full_matrices):
        m, n = x.shape[-2], x.shape[-1]
        k = None if m is None or n is None else min(m, n)
        if part == "u":
            shape = (m, m if full_matrices else k)
        else:
            shape = (n if full_matrices else k, n)
        return Spec(tuple(x.shape[:-2]) + shape, float_dtype(x.dtype))

    def forward(self, xp, x, part, full_matrices):
        u, _, vh = xp.linalg.svd(_float(x), full_matrices=full_matrices)
        return u if part == "u" else vh

    def gradient(self, ops, inputs, output, grad, part, full_matrices):
        (x,) = inputs
        return (ops.svd_vectors_grad(grad, x, part=part, full_matrices=full_matrices),)


@register
class SvdVectorsGrad(Primitive):
    """Input gradient of ``u`` or ``vh`` (Townsend, 2016): with ``F_ij = 1 / (s_j^2 - s_i^2)``,
    ``U [(F o (U^T G - G^T U)) S] V^T + (I - U U^T) G S^-1 V^T`` for ``u`` and the mirror image for ``vh``."""

    name = "svd_vectors_grad"
    differentiable = False

    def infer(self, grad, x, part, full_matrices):
        return Spec(tuple(x.shape), grad.dtype)

    def forward(self, xp, grad, x, part, full_matrices):
        m, n = x.shape[-2:]
        if full_matrices and m != n:
            raise NotImplementedError("svd gradient of u/vh: full_matrices=True needs square matrices")
        out = numpy.empty(x.shape, grad.dtype)
        for index in numpy.ndindex(*x.shape[:-2]):
            a = numpy.asarray(x[index], numpy.float64)
            u, s, vh = numpy.linalg.svd(a, full_matrices=False)
            v = vh.T
            k = s.size
            g = numpy.asarray(grad[index], numpy.float64)
            squares = s * s
            with numpy.errstate(divide="ignore"):
                f = 1.0 / (squares[None, :] - squares[:, None])
            f[numpy.diag_indices(k)] = 0.0
            if part == "u":
                gu = g[:, :k]
                inner = f * (u.T @ gu - gu.T @ u)
                result = u @ (inner * s[None, :]) @ vh
                result += (numpy.eye(m) - u @ u.T) @ gu @ numpy.diag(1.0 / s) @ vh
            else:
                gv = g[:k, :].T
                inner = f * (v.T @ gv - gv.T @ v)
                result = u @ (s[:, None] * inner) @ vh
                result += u @ numpy.diag(1.0 / s) @ gv.T @ (numpy.eye(n) - v @ v.T)
            out[index] = result
        return xp.asarray(out)


@register
class Eig(Primitive):
    """Eigenvalues or eigenvectors of a general matrix (complex; no gradient)."""

    name = "eig"
    differentiable = False

    def infer(self, x, part):
        _square(self.name, tuple(x.shape))
        dtype = numpy.dtype("complex128" if numpy.dtype(x.dtype) == numpy.float64 else "complex64")
        return Spec(tuple(x.shape) if part == "vectors" else tuple(x.shape[:-1]), dtype)

    def forward(self, xp, x, part):
        dtype = "complex128" if x.dtype == numpy.float64 else "complex64"
        values, vectors = xp.linalg.eig(_float(x))
        return (vectors if part == "vectors" else values).astype(dtype)


@register
class LuFactor(Primitive):
    """scipy's ``lu_factor``: ``part='lu'`` (L and U in one matrix) or ``'pivots'`` (int32)."""

    name = "lu_factor"
    differentiable = False

    def infer(self, x, part):
        _square(self.name, tuple(x.shape))
        if part == "pivots":
            return Spec(tuple(x.shape[:-1]), numpy.dtype("int32"))
        return Spec(tuple(x.shape), float_dtype(x.dtype))

    def forward(self, xp, x, part):
        import scipy.linalg
        x = _float(numpy.asarray(x))
        lu = numpy.empty(x.shape, x.dtype)
        piv = numpy.empty(x.shape[:-1], "int32")
        for index in numpy.ndindex(*x.shape[:-2]):
            lu[index], piv[index] = scipy.linalg.lu_factor(x[index])
        return xp.asarray(piv if part == "pivots" else lu)
