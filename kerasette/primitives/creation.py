"""Creation primitives, and shapes whose sizes are known only at run time.

A shape attribute here is a *template*: a tuple of sizes in which ``None``
marks a size handed in as an input, a 0-d integer such as
``axis_size(x, 0)`` (the batch size), read when the primitive runs.
``fill(n, shape=(None, 3), value=0.0, dtype="float32")`` with
``n = axis_size(x, 0)`` makes a ``(batch, 3)`` array for every batch the
compiled program meets, which is how ``ops.zeros((ops.shape(x)[0], 3))``
works in a graph.  A size input whose value is already known while the graph
is built (an array, a constant node) counts as known in the shape rule.

``reshape_to`` and ``broadcast_to_sizes`` are ``reshape`` and
``broadcast_to`` with such templates; ``arange`` takes its bounds the same
way (``None`` for a bound given as an input).  The rest (``eye``, ``tri``,
``linspace``, ``logspace``, ``geomspace``) follow numpy.
"""
from __future__ import annotations

import math
import numbers

import numpy

from .base import Primitive, ShapeError, Spec, broadcast_shapes, format_shape, register


def static_value(x):
    """The value of an input known while the graph is built (a number, an array,
    a constant node) as a Python scalar, else None (a node computed at run time)."""
    if getattr(x, "kind", None) == "constant":
        x = x.value
    elif not isinstance(x, (numbers.Number, numpy.ndarray, numpy.generic)):
        return None
    array = numpy.asarray(x)
    return array.item() if array.ndim == 0 else None


def _check_scalar_inputs(op_name, what, inputs, kinds="iu"):
    for x in inputs:
        dtype = numpy.dtype(x.dtype)
        if tuple(x.shape) != () or dtype.kind not in kinds:
            raise ShapeError(f"{op_name}: {what} must be 0-d {'integers' if kinds == 'iu' else 'numbers'}, "
                             f"got shape {format_shape(x.shape)} of {dtype.name}")


def template_shape(op_name, template, sizes) -> tuple:
    """The static shape of a template: known sizes filled in, ``None`` for run-time ones."""
    template = tuple(template)
    if len(sizes) != template.count(None):
        raise ShapeError(f"{op_name}: shape {format_shape(template)} needs {template.count(None)} "
                         f"size inputs, got {len(sizes)}")
    _check_scalar_inputs(op_name, "sizes", sizes)
    given = iter(sizes)
    shape = []
    for d in template:
        if d is None:
            value = static_value(next(given))
            shape.append(None if value is None else int(value))
        else:
            shape.append(int(d))
    if any(d is not None and d < -1 for d in shape):
        raise ShapeError(f"{op_name}: negative size in shape {format_shape(shape)}")
    return tuple(shape)


def host(xp, array):
    """An array of the array module as a numpy array (numpy's generator and spacing run on the host)."""
    return array if isinstance(array, numpy.ndarray) else getattr(xp, "asnumpy", numpy.asarray)(array)


def concrete_shape(template, sizes) -> tuple:
    """The template with the run-time sizes in place: a shape to build an array with."""
    given = iter(sizes)
    return tuple(int(next(given)) if d is None else d for d in template)


def check_non_negative(op_name, shape):
    if any(d is not None and d < 0 for d in shape):
        raise ShapeError(f"{op_name}: negative size in shape {format_shape(shape)}")


@register
class Fill(Primitive):
    """An array of ``shape`` (a template) filled with the number ``value``."""

    name = "fill"
    label = "Fill"
    differentiable = False

    def infer(self, *sizes, shape, value, dtype):
        out = template_shape(self.name, shape, sizes)
        check_non_negative(self.name, out)
        return Spec(out, numpy.dtype(dtype))

    def forward(self, xp, *sizes, shape, value, dtype):
        return xp.full(concrete_shape(shape, sizes), value, dtype=dtype)


@register
class BroadcastToSizes(Primitive):
    """``x`` broadcast to ``shape`` (a template), as a new array.

    A -1 in the template keeps x's own size on that axis (known or not), so
    ``(-1, None)`` broadcasts a ``(batch, 1)`` input to ``(batch, n)``.
    """

    name = "broadcast_to_sizes"
    label = "BroadcastTo"

    def _keep_sizes(self, x_shape, out):
        if len(x_shape) > len(out) or any(d == -1 for d in out[:len(out) - len(x_shape)]):
            raise ShapeError(f"{self.name}: cannot broadcast {format_shape(x_shape)} to "
                             f"{format_shape(out)}")
        offset = len(out) - len(x_shape)
        return tuple(x_shape[i - offset] if d == -1 else d for i, d in enumerate(out))

    def infer(self, x, *sizes, shape):
        out = self._keep_sizes(tuple(x.shape), template_shape(self.name, shape, sizes))
        check_non_negative(self.name, out)
        if any(
                d is not None and d != 1 and t is not None and d != t
                for d, t in zip(reversed(x.shape), reversed(out))):
            raise ShapeError(f"{self.name}: cannot broadcast {format_shape(x.shape)} to "
                             f"{format_shape(out)}")
        return Spec(out, x.dtype)

    def forward(self, xp, x, *sizes, shape):
        return xp.broadcast_to(x, self._keep_sizes(x.shape, concrete_shape(shape, sizes))).copy()

    def gradient(self, ops, inputs, output, grad, shape):
        return (ops.sum_to_like(grad, inputs[0]),) + (None,) * (len(inputs) - 1)


@register
class ReshapeTo(Primitive):
    """``x`` reshaped to ``shape``, a template that may also hold one -1."""

    name = "reshape_to"
    label = "Reshape"

    def infer(self, x, *sizes, shape):
        out = template_shape(self.name, shape, sizes)
        if out.count(-1) > 1:
            raise ShapeError(f"{self.name}: more than one -1 in {format_shape(out)}")
        source = tuple(x.shape)
        known_out = math.prod(d for d in out if d not in (None, -1))
        if None in source or None in out:
            return Spec(tuple(None if d == -1 else d for d in out), x.dtype)
        total = math.prod(source)
        if -1 in out:
            if known_out == 0 or total % known_out:
                raise ShapeError(f"{self.name}: cannot reshape {format_shape(source)} into "
                                 f"{format_shape(out)}")
            return Spec(tuple(total // known_out if d == -1 else d for d in out), x.dtype)
        if total != known_out:
            raise ShapeError(f"{self.name}: cannot reshape {format_shape(source)} into "
                             f"{format_shape(out)}")
        return Spec(out, x.dtype)

    def forward(self, xp, x, *sizes, shape):
        return xp.reshape(x, concrete_shape(shape, sizes))

    def gradient(self, ops, inputs, output, grad, shape):
        return (ops.reshape_like(grad, inputs[0]),) + (None,) * (len(inputs) - 1)


@register
class Arange(Primitive):
    """``start, start + step, ...`` up to ``stop`` (excluded), like numpy's.

    ``bounds`` is ``(start, stop, step)``; a ``None`` there is the next input
    (a 0-d number, e.g. a run-time size), and the length is then unknown
    until the graph runs.
    """

    name = "arange"
    differentiable = False

    def _bounds(self, inputs, bounds, read):
        given = iter(inputs)
        return tuple(read(next(given)) if b is None else b for b in bounds)

    def infer(self, *inputs, bounds, dtype):
        if len(inputs) != sum(1 for b in bounds if b is None):
            raise ShapeError(f"{self.name}: bounds {bounds} need "
                             f"{sum(1 for b in bounds if b is None)} inputs, got {len(inputs)}")
        _check_scalar_inputs(self.name, "bounds", inputs, kinds="iuf")
        start, stop, step = self._bounds(inputs, bounds, static_value)
        if step == 0:
            raise ShapeError(f"{self.name}: step must not be zero")
        if None in (start, stop, step):
            return Spec((None,), numpy.dtype(dtype))
        return Spec((max(0, math.ceil((stop - start) / step)),), numpy.dtype(dtype))

    def forward(self, xp, *inputs, bounds, dtype):
        start, stop, step = self._bounds(inputs, bounds, lambda x: x.item())
        return xp.arange(start, stop, step, dtype=dtype)


class _Matrix(Primitive):
    """A 2-D array of ``shape`` (a template ``(N, M)``) with a diagonal offset ``k``."""

    differentiable = False

    def infer(self, *sizes, shape, k, dtype):
        out = template_shape(self.name, shape, sizes)
        if len(out) != 2:
            raise ShapeError(f"{self.name}: needs a 2-d shape, got {format_shape(out)}")
        check_non_negative(self.name, out)
        return Spec(out, numpy.dtype(dtype))


@register
class Eye(_Matrix):
    """Ones on diagonal ``k``, zeros elsewhere."""

    name = "eye"

    def forward(self, xp, *sizes, shape, k, dtype):
        rows, columns = concrete_shape(shape, sizes)
        return xp.eye(rows, columns, k=k, dtype=dtype)


@register
class Tri(_Matrix):
    """Ones at and below diagonal ``k``, zeros above."""

    name = "tri"

    def forward(self, xp, *sizes, shape, k, dtype):
        rows, columns = concrete_shape(shape, sizes)
        return xp.tri(rows, columns, k=k, dtype=dtype)


class _Spaced(Primitive):
    """``num`` samples from ``start`` to ``stop`` (arrays that broadcast), on a new ``axis``.

    Computed by numpy on the host (small arrays; not every array module has
    all three with array bounds) and moved to the array module.
    """

    differentiable = False

    def infer(self, start, stop, num, endpoint, axis, dtype, **attrs):
        shape = list(broadcast_shapes(self.name, tuple(start.shape), tuple(stop.shape)))
        if not 0 <= axis <= len(shape):
            raise ShapeError(f"{self.name}: axis {axis} is out of range for a result of "
                             f"rank {len(shape) + 1}")
        if num < 0:
            raise ShapeError(f"{self.name}: num must be non-negative, got {num}")
        shape.insert(axis, num)
        return Spec(tuple(shape), numpy.dtype(dtype))


@register
class Linspace(_Spaced):
    name = "linspace"

    def forward(self, xp, start, stop, num, endpoint, axis, dtype):
        return xp.asarray(numpy.linspace(host(xp, start), host(xp, stop), num=num, endpoint=endpoint,
                                         axis=axis, dtype=dtype))


@register
class Logspace(_Spaced):
    name = "logspace"

    def forward(self, xp, start, stop, num, endpoint, axis, dtype, base):
        return xp.asarray(numpy.logspace(host(xp, start), host(xp, stop), num=num, endpoint=endpoint,
                                         base=base, axis=axis, dtype=dtype))


@register
class Geomspace(_Spaced):
    name = "geomspace"

    def forward(self, xp, start, stop, num, endpoint, axis, dtype):
        return xp.asarray(numpy.geomspace(host(xp, start), host(xp, stop), num=num, endpoint=endpoint,
                                          axis=axis, dtype=dtype))
