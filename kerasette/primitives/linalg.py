"""Matrix products: matmul (batched, numpy semantics), tensordot and einsum.

``matmul`` carries ``transpose_a``/``transpose_b`` attributes (like
``tf.matmul``) so that its own gradient is two more matmuls on swapped axes,
without a transpose op; broadcast batch axes are summed back with
``sum_to_like``.  ``einsum`` is the general product: its gradient for each
operand is another einsum whose output subscripts are that operand's, and
matmul with a 1-D operand and tensordot borrow that rule by writing
themselves as an einsum equation.  ``dot`` needs no primitive: the public
function lowers it to matmul or tensordot.

Two-operand einsums without an ellipsis run as one batched BLAS matmul
(transpose, reshape, matmul, reshape back) rather than numpy's
element-by-element ``c_einsum``.
"""
from __future__ import annotations

import functools
import os
import string

import numpy

from .. import backend
from .base import (Primitive, ShapeError, Spec, broadcast_shapes, format_shape, register,
                   result_dtype)

# --------------------------------------------------------------------- matmul


def gemm(xp, a, b, out=None):
    """``a @ b`` for 2-D operands, with the GIL released for the whole product.

    numpy's ``matmul`` keeps the GIL when its result has at most 500 elements
    (its threshold counts output elements, not work), so a thin-output
    product such as a convolution's kernel gradient, (25, 36864) @ (36864,
    10), blocks the other shard's thread for its whole duration; ``dot``
    calls the same BLAS routine and always releases the GIL.  ``out`` must be
    C-contiguous, as ``dot`` requires.
    """
    if a.ndim == 2 and b.ndim == 2:
        return xp.dot(a, b) if out is None else xp.dot(a, b, out=out)
    return xp.matmul(a, b) if out is None else xp.matmul(a, b, out=out)


def _matmul_dims(name, x_shape, y_shape, transpose_a, transpose_b):
    """(batch shape, m or None, n or None) of a matmul; None marks a 1-D operand's side."""
    x_shape, y_shape = tuple(x_shape), tuple(y_shape)

    def incompatible():
        return ShapeError(f"{name}: shapes {format_shape(x_shape)} and {format_shape(y_shape)} "
                          f"are incompatible")

    if not x_shape or not y_shape:
        raise ShapeError(f"{name}: operands must be at least 1-D, got shapes "
                         f"{format_shape(x_shape)} and {format_shape(y_shape)}")
    if len(x_shape) == 1:
        x_batch, m, kx = (), None, x_shape[0]
    else:
        x_batch = x_shape[:-2]
        m, kx = x_shape[-2:] if not transpose_a else x_shape[:-3:-1]
    if len(y_shape) == 1:
        y_batch, ky, n = (), y_shape[0], None
    else:
        y_batch = y_shape[:-2]
        ky, n = y_shape[-2:] if not transpose_b else y_shape[:-3:-1]
    if kx is not None and ky is not None and kx != ky:
        raise incompatible()
    try:
        batch = broadcast_shapes(name, x_batch, y_batch) if (x_batch or y_batch) else ()
    except ShapeError:
        raise incompatible() from None
    return batch, m, n


def _swap_last(xp, a, flag):
    return xp.swapaxes(a, -1, -2) if flag else a


@register
class MatMul(Primitive):
    """``x @ y`` with numpy's rules; ``transpose_a``/``transpose_b`` swap the last two axes first."""

    name = "matmul"
    label = "MatMul"

    def infer(self, x, y, transpose_a=False, transpose_b=False):
        batch, m, n = _matmul_dims(self.name, x.shape, y.shape, transpose_a, transpose_b)
        shape = batch + tuple(d for d, present in ((m, len(x.shape) > 1), (n, len(y.shape) > 1))
                              if present)
        return Spec(shape, result_dtype(x.dtype, y.dtype))

    def forward(self, xp, x, y, transpose_a=False, transpose_b=False):
        if x.ndim > 1:
            x = _swap_last(xp, x, transpose_a)
        if y.ndim > 1:
            y = _swap_last(xp, y, transpose_b)
        if x.ndim == 2 and y.ndim == 2:
            return gemm(xp, x, y)
        if x.ndim > 2 and y.ndim == 2:
            # a stack of rows times one matrix (Dense on sequences): one GEMM, not one per row block
            rows = gemm(xp, x.reshape(-1, x.shape[-1]), y)
            return rows.reshape(x.shape[:-1] + (y.shape[-1],))
        # vector . vector gives a numpy scalar; keep it an array so its dtype survives
        return xp.asarray(xp.matmul(x, y))

    def gradient(self, ops, inputs, output, grad, **attrs):
        return self.gradient_of((True, True), ops, inputs, output, grad, **attrs)

    def gradient_of(self, needed, ops, inputs, output, grad, transpose_a=False, transpose_b=False):
        x, y = inputs
        x_rank, y_rank = len(x.shape), len(y.shape)
        if x_rank == 1 or y_rank == 1:
            # vector cases: written as an einsum, whose rule handles the lost axis
            equation = _matmul_equation(x_rank, y_rank, transpose_a, transpose_b)
            return einsum_gradient(ops, equation, inputs, grad, needed)
        ta, tb = transpose_a, transpose_b
        # C = A B with A = op(x), B = op(y): dA = g B^T, dB = A^T g
        grad_x = grad_y = None
        if needed[0]:
            if ta:
                grad_x = ops.matmul(y, grad, transpose_a=tb, transpose_b=True)
            else:
                grad_x = ops.matmul(grad, y, transpose_a=False, transpose_b=not tb)
            grad_x = ops.sum_to_like(grad_x, x)
        if needed[1]:
            if x_rank > 2 and y_rank == 2 and not ta:
                # summed over the stacked rows by the product itself: (rows, k)^T @ (rows, n)
                flat_x = ops.reshape(x, shape=(-1, x.shape[-1]))
                flat_grad = ops.reshape(grad, shape=(-1, grad.shape[-1]))
                grad_y = (ops.matmul(flat_grad, flat_x, transpose_a=True) if tb
                          else ops.matmul(flat_x, flat_grad, transpose_a=True))
            elif tb:
                grad_y = ops.sum_to_like(ops.matmul(grad, x, transpose_a=True, transpose_b=ta), y)
            else:
                grad_y = ops.sum_to_like(ops.matmul(x, grad, transpose_a=not ta, transpose_b=False), y)
        return grad_x, grad_y


def _matmul_equation(x_rank, y_rank, transpose_a, transpose_b) -> str:
    x_subs = "k" if x_rank == 1 else ("...km" if transpose_a else "...mk")
    y_subs = "k" if y_rank == 1 else ("...nk" if transpose_b else "...kn")
    out = ("..." if max(x_rank, y_rank) > 1 else "")
    out += ("m" if x_rank > 1 else "") + ("n" if y_rank > 1 else "")
    return f"{x_subs},{y_subs}->{out}"


# --------------------------------------------------------------------- einsum

_LETTERS = set(string.ascii_letters)


@functools.lru_cache(maxsize=512)
def parse_equation(equation: str, count: int, name: str = "einsum"):
    """``'ij,jk->ik'`` -> (['ij', 'jk'], 'ik'); '...' stays in the strings.

    Raises ValueError for the forms kerasette does not support: a letter
    repeated within one operand (traces, diagonals) and an ellipsis that does
    not open an operand's subscripts.
    """
    equation = equation.replace(" ", "")
    if "->" in equation:
        lhs, out = equation.split("->")
    else:
        lhs = equation
        letters = lhs.replace("...", "").replace(",", "")
        out = ("..." if "..." in lhs else "") + "".join(
            sorted(c for c in set(letters) if letters.count(c) == 1))
    operands = lhs.split(",")
    if len(operands) != count:
        raise ValueError(f"{name}: equation {equation!r} has {len(operands)} operands, "
                         f"got {count} arrays")
    for subs in operands + [out]:
        core = subs.replace("...", "")
        if "." in core or not set(core) <= _LETTERS:
            raise ValueError(f"{name}: invalid subscripts {subs!r} in {equation!r}")
        if len(set(core)) != len(core):
            raise ValueError(f"{name}: repeated index in {subs!r} ({equation!r}); traces and "
                             "diagonals are not supported")
    for subs in operands:
        if "..." in subs and not subs.startswith("..."):
            raise ValueError(f"{name}: an ellipsis must open an operand's subscripts "
                             f"({equation!r})")
    seen = set("".join(operands))
    missing = set(out.replace("...", "")) - seen
    if missing:
        raise ValueError(f"{name}: output index {''.join(sorted(missing))!r} appears in no "
                         f"operand ({equation!r})")
    return tuple(operands), out


def _einsum_sizes(name, equation, operands, shapes):
    """Size of each letter (None if unknown) and the broadcast ellipsis shape."""
    sizes, ellipses = {}, []
    for subs, shape in zip(operands, shapes):
        core = subs.replace("...", "")
        if len(core) > len(shape) or ("..." not in subs and len(core) != len(shape)):
            raise ShapeError(f"{name}: subscripts {subs!r} do not fit an operand of shape "
                             f"{format_shape(shape)} ({equation!r})")
        lead = len(shape) - len(core)
        ellipses.append(tuple(shape[:lead]))
        for letter, size in zip(core, shape[lead:]):
            known = sizes.get(letter)
            if known is not None and size is not None and known != size:
                raise ShapeError(f"{name}: index {letter!r} has sizes {known} and {size} in "
                                 f"shapes {' and '.join(format_shape(s) for s in shapes)}")
            if known is None:
                sizes[letter] = size
    ellipsis = broadcast_shapes(name, *ellipses) if any(ellipses) else ()
    return sizes, ellipsis


@register
class Einsum(Primitive):
    """``numpy.einsum(equation, *operands)`` for sums of products (no traces)."""

    name = "einsum"
    label = "Einsum"

    def infer(self, *operands, equation):
        subs, out = parse_equation(equation, len(operands), self.name)
        sizes, ellipsis = _einsum_sizes(self.name, equation, subs, [x.shape for x in operands])
        if ellipsis and "..." not in out:
            raise ShapeError(f"{self.name}: {equation!r} drops the ellipsis axes "
                             f"{format_shape(ellipsis)} from its output")
        shape = (ellipsis if "..." in out else ()) + tuple(sizes[c] for c in out.replace("...", ""))
        return Spec(shape, result_dtype(*(x.dtype for x in operands)))

    def forward(self, xp, *operands, equation):
        # parsed (and cached) here too, so plain-array calls reject traces as graphs do
        subs, out = parse_equation(equation, len(operands), self.name)
        if len(operands) == 2 and "..." not in equation:
            result = _pair_as_matmul(xp, subs, out, *operands)
            if result is not None:
                return result
        return xp.asarray(xp.einsum(equation, *operands, optimize=len(operands) > 2))

    def gradient(self, ops, inputs, output, grad, equation):
        return einsum_gradient(ops, equation, inputs, grad)

    def gradient_of(self, needed, ops, inputs, output, grad, equation):
        return einsum_gradient(ops, equation, inputs, grad, needed)


def _pair_as_matmul(xp, subs, out, x, y):
    """A two-operand einsum as one batched matmul, or None when it is not one."""
    x_subs, y_subs = subs
    in_both = set(x_subs) & set(y_subs)
    if (set(x_subs) | set(y_subs)) - in_both - set(out):
        return None                     # an index summed within one operand only
    batch = [c for c in out if c in in_both]
    left = [c for c in out if c in x_subs and c not in in_both]
    right = [c for c in out if c in y_subs and c not in in_both]
    contract = [c for c in x_subs if c in in_both and c not in out]
    size = dict(zip(x_subs, x.shape))
    size.update(zip(y_subs, y.shape))

    def volume(letters):
        total = 1
        for c in letters:
            total *= size[c]
        return total

    if not batch:
        # no batch letter: one 2-D product (numpy's batched matmul would not call BLAS once)
        x_mat = x.transpose([x_subs.index(c) for c in left + contract]).reshape(volume(left), volume(contract))
        y_mat = y.transpose([y_subs.index(c) for c in contract + right]).reshape(volume(contract), volume(right))
        result = gemm(xp, x_mat, y_mat).reshape([size[c] for c in left + right])
        return _in_order(xp, result, left + right, out)
    if isinstance(x, numpy.ndarray) and isinstance(y, numpy.ndarray) and x.dtype == y.dtype:
        result = _batched_in_place(xp, x_subs, y_subs, out, batch, left, right, contract, x, y)
        if result is not None:
            return result
    x_mat = x.transpose([x_subs.index(c) for c in batch + left + contract]).reshape(
        volume(batch), volume(left), volume(contract))
    y_mat = y.transpose([y_subs.index(c) for c in batch + contract + right]).reshape(
        volume(batch), volume(contract), volume(right))
    result = xp.matmul(x_mat, y_mat).reshape([size[c] for c in batch + left + right])
    return _in_order(xp, result, batch + left + right, out)


def _in_order(xp, result, order, out):
    """``result`` (axes lettered ``order``) with its axes in ``out``'s order, C-contiguous.

    A transposed view would be copied by each product that reads it later
    (attention's combine output, or its query/key/value gradients, each read
    by two einsums of the projection's backward pass): one copy here instead.
    """
    if not out or list(order) == list(out):
        return result
    return xp.ascontiguousarray(result.transpose([order.index(c) for c in out]))


# Batched products without layout copies.  numpy's matmul hands BLAS any stack of
# matrices whose rows or columns are one stride apart (a "blasable" matrix), so an
# operand such as (B, T, N, H) seen as (B, N) stacks of (T, H) needs no copy, and the
# result can be written straight into the output's own layout through ``out=``.
# Measured on attention's products (W5, benchmarks/NOTES.md, session 6: W5 attention):
# in isolation views cost the product nothing against packed copies, in a training step
# (cold caches) some of what the copy would; a copy costs 0.2-0.5 ms per 2 MB, more when
# it moves the innermost axis; and BLAS's small-matrix path is 40-100% slower when both
# operands hold the contracted index innermost ("A @ B.T"), the form avoided by packing
# whichever operand is cheaper to pack.

#: relative cost of copying one element: keeping the source's innermost axis innermost,
#: or moving it (an inner transpose, strided reads), and of one flop of a small product
_COPY_KEEPS_INNER, _COPY_MOVES_INNER, _FLOP = 0.5, 0.9, 0.01
#: extra cost per element of reading an operand whose matrices' rows lie apart (a view
#: such as (B, T, N, H) read as (B, N) stacks of (T, H)) rather than packed: in the W5 step
#: such views cost between nothing (in isolation) and what a copy keeping the innermost axis
#: costs (cold caches in the step; the measurements cannot tell within +-0.2 ms)
_SPREAD_VIEW = 0.25
#: extra time of the ``A @ B.T`` form in BLAS's small-matrix path, as a share of the product
_BOTH_INNER_PENALTY = 0.5


def _merged(shape, strides):
    """``(size, stride)`` of axes read as one, or None when they are not one stride apart
    (size-1 axes drop out; no axis at all gives ``(1, None)``)."""
    axes = [(n, s) for n, s in zip(shape, strides) if n != 1]
    if not axes:
        return 1, None
    size, stride = axes[-1]
    for n, s in reversed(axes[:-1]):
        if s != stride * size:
            return None
        size *= n
    return size, stride


def _matrix_kind(rows, cols, itemsize):
    """'cols' when the (rows, cols) matrix reads along its columns (C-like), 'rows' when
    along its rows (F-like), None when BLAS cannot take it as it is."""
    (r, sr), (c, sc) = rows, cols
    if r == 1 or c == 1 or sr is None or sc is None:
        return None
    if sc == itemsize and sr % itemsize == 0 and sr >= c * itemsize:
        return "cols"
    if sr == itemsize and sc % itemsize == 0 and sc >= r * itemsize:
        return "rows"
    return None


def _view_kind(shape, strides, subs, batch, rows, cols, itemsize, packed=False):
    """The kind of the operand seen as (batch..., rows, cols) without a copy, or None;
    with ``packed``, ``(kind, whether each matrix's elements are one block)``."""
    index = {c: i for i, c in enumerate(subs)}
    merged = [_merged([shape[index[c]] for c in group], [strides[index[c]] for c in group])
              for group in (rows, cols)]
    if merged[0] is None or merged[1] is None:
        return (None, False) if packed else None
    kind = _matrix_kind(merged[0], merged[1], itemsize)
    if not packed:
        return kind
    (r, sr), (c, sc) = merged
    return kind, (kind == "cols" and sr == c * itemsize) or (kind == "rows" and sc == r * itemsize)


def _view_cost(shape, packed):
    size = 1
    for n in shape:
        size *= n
    return 0.0 if packed else size * _SPREAD_VIEW


def _copy_cost(shape, strides, subs, order):
    """Cost of copying an operand into ``order`` (C-contiguous)."""
    size = 1
    for n in shape:
        size *= n
    axes = [(abs(s), c) for n, s, c in zip(shape, strides, subs) if n != 1]
    inner = min(axes)[1] if axes else None
    return size * (_COPY_KEEPS_INNER if inner is None or order[-1] == inner else _COPY_MOVES_INNER)


@functools.lru_cache(maxsize=1024)
def _batched_plan(x_subs, y_subs, out, batch, left, right, contract, x_shape, x_strides,
                  y_shape, y_strides, itemsize):
    """How to run ``x . y`` as one stacked matmul: ``(x_form, y_form, out_form, out_shape)``.

    ``x_form`` (``y_form``) is ``None`` (use the operand as it is) or ``(order, transposed)``:
    the axis order to copy it into and whether the copy is then read transposed;
    ``out_form`` is ``None`` (write into the output's layout) or the order the product
    comes out in before it is copied into ``out``'s.
    """
    size = dict(zip(x_subs, x_shape))
    size.update(zip(y_subs, y_shape))
    flops = 2
    for c in set(batch + left + right + contract):
        flops *= size[c]
    # x is the (left, contract) matrix: "inner" is True when the contracted index is innermost
    x_options, y_options = [], []
    kind, packed = _view_kind(x_shape, x_strides, x_subs, batch, left, contract, itemsize, True)
    if kind is not None:
        x_options.append((_view_cost(x_shape, packed), kind == "cols", None))
    for order, inner in ((batch + left + contract, True), (batch + contract + left, False)):
        x_options.append((_copy_cost(x_shape, x_strides, x_subs, order), inner, (order, not inner)))
    kind, packed = _view_kind(y_shape, y_strides, y_subs, batch, contract, right, itemsize, True)
    if kind is not None:
        y_options.append((_view_cost(y_shape, packed), kind == "rows", None))
    for order, inner in ((batch + contract + right, False), (batch + right + contract, True)):
        y_options.append((_copy_cost(y_shape, y_strides, y_subs, order), inner, (order, inner)))
    best = None
    for x_cost, x_inner, x_form in x_options:
        for y_cost, y_inner, y_form in y_options:
            cost = x_cost + y_cost + (_BOTH_INNER_PENALTY * flops * _FLOP if x_inner and y_inner else 0.0)
            if best is None or cost < best[0]:
                best = (cost, x_form, y_form)
    # the output, C-contiguous in ``out``'s order, seen as (batch..., left, right)
    out_shape = tuple(size[c] for c in out)
    out_strides = [itemsize] * len(out)
    for i in range(len(out) - 2, -1, -1):
        out_strides[i] = out_strides[i + 1] * out_shape[i + 1]
    out_kind = _view_kind(out_shape, tuple(out_strides), out, batch, left, right, itemsize)
    out_form = None if out_kind is not None else batch + left + right
    return best[1], best[2], out_form, out_shape


def _batched_in_place(xp, x_subs, y_subs, out, batch, left, right, contract, x, y):
    """The stacked product of ``_pair_as_matmul`` by views and ``out=`` (see above), or None."""
    if x.itemsize != y.itemsize or len(set(out)) != len(out):
        return None
    x_form, y_form, out_form, out_shape = _batched_plan(
        x_subs, y_subs, out, tuple(batch), tuple(left), tuple(right), tuple(contract),
        x.shape, x.strides, y.shape, y.strides, x.itemsize)
    size = dict(zip(x_subs, x.shape))
    size.update(zip(y_subs, y.shape))
    flops = 2
    for c in set(batch + left + right + contract):
        flops *= size[c]

    def stacked(a, subs, rows, cols, form):
        lead = [size[c] for c in batch]
        volume = [1, 1]
        for i, group in enumerate((rows, cols)):
            for c in group:
                volume[i] *= size[c]
        if form is None:
            return a.transpose([subs.index(c) for c in batch + rows + cols]).reshape(lead + volume)
        order, transposed = form
        copy = xp.ascontiguousarray(a.transpose([subs.index(c) for c in order]))
        if transposed:
            return copy.reshape(lead + volume[::-1]).swapaxes(-1, -2)
        return copy.reshape(lead + volume)

    x_mat = stacked(x, x_subs, left, contract, x_form)
    y_mat = stacked(y, y_subs, contract, right, y_form)
    if out_form is None:
        result = xp.empty(out_shape, dtype=x.dtype)
        target = stacked(result, out, left, right, None)
        if xp.may_share_memory(target, result):
            _stacked_matmul(xp, x_mat, y_mat, target, flops)
            return result
        out_form = batch + left + right
    product = xp.empty(x_mat.shape[:-1] + y_mat.shape[-1:], dtype=x.dtype)
    _stacked_matmul(xp, x_mat, y_mat, product, flops)
    return _in_order(xp, product.reshape([size[c] for c in out_form]), list(out_form), out)


#: stacked products of at least this many flops may run in two threads (``_stacked_matmul``)
SPLIT_FLOPS = 1 << 24


def _two_threads() -> bool:
    """Whether a product may use kerasette's helper thread beside the caller's: BLAS is
    allowed two threads (not inside a two-shard step, which limits it to one), the
    machine has two cores, the caller is not the helper, and idle BLAS threads do not
    spin on the second core (``backend.blas_spinning_is_short``)."""
    return (backend.parallel_shards() != 1 and not backend.on_helper_thread()
            and (os.cpu_count() or 1) >= 2 and (backend.blas_threads() or 1) >= 2
            and backend.blas_spinning_is_short())


def _stacked_matmul(xp, a, b, out, flops):
    """``matmul(a, b, out=out)`` on stacks with the same leading axis.

    BLAS runs each small product of a stack (attention's (128 x 32) @ (32 x 128)) on
    the calling thread whatever its thread count, so a stack uses one core; with two
    BLAS threads allowed, the two halves of a large stack run on the caller's thread and
    kerasette's helper thread.  Every product is computed as it is alone: the numbers
    do not depend on the split.
    """
    count = a.shape[0]
    if count < 2 or flops < SPLIT_FLOPS or xp is not numpy or not _two_threads():
        return xp.matmul(a, b, out=out)
    half = count // 2
    other = backend.helper_thread().submit(xp.matmul, a[half:], b[half:], out=out[half:])
    try:
        xp.matmul(a[:half], b[:half], out=out[:half])
    finally:
        other.result()
    return out


def einsum_gradient(ops, equation, inputs, grad, needed=None):
    """One einsum per operand: contract the output gradient with the other operands.

    Operands that are not float, or not flagged in ``needed``, get None.

    An index that only that operand carries (summed away within it) has no
    source in the other terms; ``ones_like(operand)`` supplies it, which
    broadcasts the gradient along that index.  Ellipsis axes that were
    broadcast are summed back with ``sum_to_like``.
    """
    subs, out = parse_equation(equation, len(inputs))
    has_ellipsis = "..." in out
    grads = []
    for i, x in enumerate(inputs):
        if not _is_float(x) or (needed is not None and not needed[i]):
            grads.append(None)
            continue
        terms = [(grad, out)] + [(inputs[j], subs[j]) for j in range(len(inputs)) if j != i]
        core = subs[i].replace("...", "")
        target = ("..." if has_ellipsis else "") + core
        available = set("".join(s for _, s in terms))
        if set(core) - available:
            terms.append((ops.ones_like(x), subs[i]))
        term_equation = ",".join(s for _, s in terms) + "->" + target
        result = ops.einsum(*(value for value, _ in terms), equation=term_equation)
        grads.append(ops.sum_to_like(result, x) if has_ellipsis else result)
    return tuple(grads)


def _is_float(x) -> bool:
    dtype = getattr(x, "dtype", None)
    return dtype is None or getattr(dtype, "kind", "f") in "fc"


# ------------------------------------------------------------------ tensordot

def tensordot_equation(x_rank: int, y_rank: int, axes) -> str:
    """The einsum equation of ``tensordot(x, y, axes=(x_axes, y_axes))``."""
    x_axes, y_axes = axes
    letters = iter(string.ascii_letters)
    x_subs = [next(letters) for _ in range(x_rank)]
    y_subs = [next(letters) for _ in range(y_rank)]
    for a, b in zip(x_axes, y_axes):
        y_subs[b] = x_subs[a]
    out = [c for i, c in enumerate(x_subs) if i not in x_axes]
    out += [c for i, c in enumerate(y_subs) if i not in y_axes]
    return "".join(x_subs) + "," + "".join(y_subs) + "->" + "".join(out)


@register
class TensorDot(Primitive):
    """``numpy.tensordot(x, y, axes=(x_axes, y_axes))`` with non-negative axis tuples."""

    name = "tensordot"
    label = "Tensordot"

    def infer(self, x, y, axes):
        x_axes, y_axes = axes
        if len(x_axes) != len(y_axes):
            raise ShapeError(f"{self.name}: axes {axes} pair {len(x_axes)} axes with {len(y_axes)}")
        x_shape, y_shape = tuple(x.shape), tuple(y.shape)
        for a, b in zip(x_axes, y_axes):
            if not (0 <= a < len(x_shape) and 0 <= b < len(y_shape)):
                raise ShapeError(f"{self.name}: axes {axes} out of range for shapes "
                                 f"{format_shape(x_shape)} and {format_shape(y_shape)}")
            if x_shape[a] is not None and y_shape[b] is not None and x_shape[a] != y_shape[b]:
                raise ShapeError(f"{self.name}: shapes {format_shape(x_shape)} and "
                                 f"{format_shape(y_shape)} are incompatible on axes {axes}")
        shape = tuple(d for i, d in enumerate(x_shape) if i not in x_axes)
        shape += tuple(d for i, d in enumerate(y_shape) if i not in y_axes)
        return Spec(shape, result_dtype(x.dtype, y.dtype))

    def forward(self, xp, x, y, axes):
        return xp.asarray(xp.tensordot(x, y, axes=(list(axes[0]), list(axes[1]))))

    def gradient(self, ops, inputs, output, grad, axes):
        x, y = inputs
        equation = tensordot_equation(len(x.shape), len(y.shape), axes)
        return einsum_gradient(ops, equation, inputs, grad)
