"""Control flow in Keras 3's names: ``cond``, ``switch``, ``while_loop``,
``fori_loop``, ``scan``, ``map``, ``associative_scan``, ``vectorized_map``,
``vectorize``, plus ``stop_gradient`` and ``custom_gradient``.

kerasette's graphs have no loop or branch nodes.  On values (arrays, eager
Tensors) these are Python loops and branches, recorded op by op on the tape,
so gradients flow through them.  On symbolic tensors:

* ``cond`` and ``switch`` with a symbolic predicate build every branch and
  select the result with ``where`` (the branches must give the same
  structure and shapes);
* ``fori_loop``, ``scan``, ``map`` and ``associative_scan`` unroll when the
  trip count is known when the graph is built (Python bounds, a known
  leading axis);
* ``while_loop`` with a symbolic condition needs ``maximum_iterations``: it
  unrolls that many steps, each one kept only while the condition holds.

``custom_gradient(f)`` makes ``f`` (returning ``(y, grad_fn)``) one op with
``grad_fn`` as its gradient rule, in all three callers.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy

from ..eager import Tensor
from ..engine import Node
from ..primitives.base import Primitive, Spec
from . import math as _m
from . import shape_ops as _s
from .core import apply, shape_of

TensorLike = Any

__all__ = ["cond", "switch", "while_loop", "fori_loop", "scan", "map", "associative_scan", "vectorized_map",
           "vectorize", "stop_gradient", "custom_gradient", "jvp"]


# ------------------------------------------------------------------ structures

def _leaves(tree) -> list:
    if isinstance(tree, (list, tuple)):
        return [leaf for item in tree for leaf in _leaves(item)]
    if isinstance(tree, dict):
        return [leaf for key in sorted(tree) for leaf in _leaves(tree[key])]
    return [tree]


def _pack(tree, leaves):
    iterator = iter(leaves)

    def build(node):
        if isinstance(node, (list, tuple)):
            items = [build(item) for item in node]
            return type(node)(items) if not hasattr(node, "_fields") else type(node)(*items)
        if isinstance(node, dict):
            return {key: build(node[key]) for key in sorted(node)}
        return next(iterator)
    return build(tree)


def _map(function, *trees):
    first = trees[0]
    return _pack(first, [function(*leaves) for leaves in zip(*(_leaves(t) for t in trees))])


def _symbolic(value) -> bool:
    return any(isinstance(leaf, Node) for leaf in _leaves(value))


def _concrete_bool(pred, name):
    if isinstance(pred, Tensor):
        pred = pred.data
    return bool(numpy.asarray(pred).reshape(()).item() if numpy.ndim(pred) else pred)


def _select(pred, a, b):
    return _map(lambda x, y: _m.where(pred, x, y), a, b)


# ------------------------------------------------------------------- branches

def cond(pred, true_fn: Callable, false_fn: Callable):
    """``true_fn()`` if ``pred`` else ``false_fn()``; a symbolic ``pred`` builds both and selects."""
    if isinstance(pred, Node):
        return _select(pred, true_fn(), false_fn())
    return true_fn() if _concrete_bool(pred, "cond") else false_fn()


def switch(index, branches, *operands):
    """``branches[index](*operands)``, ``index`` clamped into range; a symbolic index selects among all."""
    if not branches:
        raise ValueError("switch: branches must not be empty")
    if isinstance(index, Node):
        results = [branch(*operands) for branch in branches]
        clamped = _m.clip(index, 0, len(branches) - 1)
        out = results[-1]
        for i in range(len(branches) - 2, -1, -1):
            out = _select(_m.equal(clamped, i), results[i], out)
        return out
    value = int(numpy.asarray(index.data if isinstance(index, Tensor) else index))
    return branches[min(max(value, 0), len(branches) - 1)](*operands)


# ---------------------------------------------------------------------- loops

def while_loop(cond: Callable, body: Callable, loop_vars, maximum_iterations=None):
    """Repeat ``loop_vars = body(*loop_vars)`` while ``cond(*loop_vars)`` (at most ``maximum_iterations``)."""
    single = not isinstance(loop_vars, (list, tuple))
    state = (loop_vars,) if single else tuple(loop_vars)

    def call(function, values):
        return function(*values)

    def normalise(result):
        if single:
            return (result[0],) if isinstance(result, (list, tuple)) and len(result) == 1 else (result,)
        return tuple(result)

    steps = 0
    while maximum_iterations is None or steps < maximum_iterations:
        keep = call(cond, state)
        if isinstance(keep, Node):
            if maximum_iterations is None:
                raise ValueError("while_loop: a symbolic condition needs maximum_iterations (kerasette "
                                 "unrolls the loop into the graph)")
            for _ in range(int(maximum_iterations) - steps):
                keep = call(cond, state)
                state = _select(keep, normalise(call(body, state)), state)
            break
        if not _concrete_bool(keep, "while_loop"):
            break
        state = normalise(call(body, state))
        steps += 1
    if single:
        return state[0]
    return type(loop_vars)(state) if isinstance(loop_vars, (list, tuple)) else state


def fori_loop(lower, upper, body_fun: Callable, init_val):
    """``val = body_fun(i, val)`` for ``i`` in ``range(lower, upper)``; bounds must be known."""
    bounds = []
    for bound in (lower, upper):
        if isinstance(bound, Node):
            raise ValueError("fori_loop: lower and upper must be known when the op is built (kerasette "
                             "unrolls the loop)")
        bounds.append(int(numpy.asarray(bound.data if isinstance(bound, Tensor) else bound)))
    value = init_val
    for i in range(bounds[0], bounds[1]):
        value = body_fun(i, value)
    return value


def _length(xs, length, name):
    leaves = [leaf for leaf in _leaves(xs) if leaf is not None]
    if leaves:
        size = shape_of(leaves[0])[0]
        if size is None:
            raise ValueError(f"{name}: the leading axis must have a known size (kerasette unrolls the loop)")
        return size
    if length is None:
        raise ValueError(f"{name}: give xs or length")
    return int(length)


def _index(xs, i):
    return _map(lambda leaf: None if leaf is None else _s.getitem(leaf, i), xs) if xs is not None else None


def _stack(items):
    if not items:
        return None
    if items[0] is None:
        return None
    return _map(lambda *leaves: None if leaves[0] is None else _s.stack(list(leaves), axis=0), *items)


def scan(f: Callable, init, xs=None, length=None, reverse: bool = False, unroll=1):
    """``(carry, ys)``: ``carry, y = f(carry, x)`` along the leading axis of ``xs``, the ``y``'s stacked."""
    count = _length(xs, length, "scan")
    order = range(count - 1, -1, -1) if reverse else range(count)
    carry, ys = init, [None] * count
    for i in order:
        carry, ys[i] = f(carry, _index(xs, i))
    return carry, _stack(ys)


def map(f: Callable, xs):  # noqa: A001 (Keras' name)
    """``f`` applied to each slice along the leading axis of ``xs``, the results stacked."""
    count = _length(xs, None, "map")
    return _stack([f(_index(xs, i)) for i in range(count)])


def vectorized_map(function: Callable, elements):
    """``function`` applied to each slice of ``elements`` along the leading axis, stacked."""
    return map(function, elements)


def associative_scan(f: Callable, elems, reverse: bool = False, axis: int = 0):
    """Inclusive prefix combination ``f(f(e0, e1), e2), ...`` along ``axis`` (``f`` associative)."""
    from .arrays import moveaxis
    moved = _map(lambda leaf: moveaxis(leaf, axis, 0), elems)
    count = _length(moved, None, "associative_scan")
    order = list(range(count - 1, -1, -1)) if reverse else list(range(count))
    out = [None] * count
    running = None
    for i in order:
        item = _index(moved, i)
        running = item if running is None else (f(item, running) if reverse else f(running, item))
        out[i] = running
    return _map(lambda leaf: moveaxis(leaf, 0, axis), _stack(out))


def _core_ranks(signature):
    """``'(n),(n,m)->(m)'`` -> ([1, 2], [1]): the core ranks of the inputs and outputs."""
    import re
    try:
        inputs, outputs = signature.replace(" ", "").split("->")
    except ValueError:
        raise ValueError(f"vectorize: invalid signature {signature!r}") from None

    def ranks(side):
        return [0 if not group else len(group.split(",")) for group in re.findall(r"\(([^)]*)\)", side)]
    return ranks(inputs), ranks(outputs)


def vectorize(pyfunc: Callable, *, excluded=None, signature=None):
    """``pyfunc`` made to loop over broadcast leading axes (numpy's ``vectorize``): elementwise, or over
    the core dimensions of a ``signature`` such as ``'(n),(n)->()'``."""
    excluded = set(excluded or ())

    def wrapper(*args, **kwargs):
        positions = [i for i in range(len(args)) if i not in excluded]
        if not positions:
            return pyfunc(*args, **kwargs)
        if signature is None:
            cores = [0] * len(positions)
        else:
            cores, _ = _core_ranks(signature)
            if len(cores) != len(positions):
                raise ValueError(f"vectorize: signature {signature!r} has {len(cores)} inputs, got "
                                 f"{len(positions)}")
        shapes = [tuple(shape_of(args[i])) for i in positions]
        batch = numpy.broadcast_shapes(*(s[:len(s) - c] for s, c in zip(shapes, cores)))
        flat = []
        for i, shape, core in zip(positions, shapes, cores):
            core_shape = shape[len(shape) - core:]
            value = _s.broadcast_to(args[i], batch + core_shape)
            flat.append(_s.reshape(value, (-1,) + core_shape))

        def one(elements):
            call = list(args)
            for i, element in zip(positions, elements):
                call[i] = element
            return pyfunc(*call, **kwargs)

        out = map(one, tuple(flat))
        return _map(lambda leaf: _s.reshape(leaf, batch + tuple(shape_of(leaf)[1:])), out)
    return wrapper


# ------------------------------------------------------------------ gradients

def stop_gradient(variable):
    """The same values, with no gradient flowing back through them."""
    return apply("stop_gradient", variable)


class CustomGradient(Primitive):
    """One op whose forward is ``f(*args)[0]`` and whose gradient rule is the ``grad_fn`` ``f`` returns."""

    name = "custom_gradient"
    label = "CustomGradient"

    def __init__(self, function):
        self.function = function

    def infer(self, *inputs):
        value, _ = self.function(*inputs)
        return Spec(tuple(value.shape), value.dtype)

    def forward(self, xp, *arrays):
        value, _ = self.function(*arrays)
        return xp.asarray(value)

    def gradient(self, ops, inputs, output, grad):
        _, grad_fn = self.function(*inputs)
        grads = grad_fn(grad)
        if not isinstance(grads, (list, tuple)):
            grads = (grads,)
        return tuple(grads) + (None,) * (len(inputs) - len(grads))


def custom_gradient(f: Callable):
    """Decorator: ``f(*args)`` returns ``(y, grad_fn)``; ``grad_fn(upstream)`` gives the inputs' gradients.

    >>> @custom_gradient
    ... def clipped(x):
    ...     return x, lambda upstream: upstream * 0.5
    """
    primitive = CustomGradient(f)

    def wrapper(*args):
        return apply(primitive, *args)
    wrapper.__name__ = getattr(f, "__name__", "custom_gradient")
    wrapper.__doc__ = f.__doc__
    return wrapper


def jvp(fun: Callable, primals, tangents, has_aux: bool = False):
    """``(fun(*primals), J @ tangents)``: the Jacobian-vector product by reverse mode twice.

    ``J^T u`` is one backward pass; its derivative in ``u`` along the tangents is ``J t``.
    It needs the gradient rules of ``fun``'s ops to be differentiable themselves (most are;
    the fused backward primitives of a few ops, such as ``ctc_loss``, are not).  Symbolic
    primals give symbolic results; anything else is computed now.
    """
    from .. import engine
    from .creation import zeros_like
    from .reduction import sum as sum_
    primals, tangents = list(primals), list(tangents)
    if len(primals) != len(tangents):
        raise ValueError(f"jvp: {len(primals)} primals but {len(tangents)} tangents")

    def split(result):
        return result if has_aux else (result, None)

    if any(isinstance(p, Node) for p in _leaves(primals)):
        out, aux = split(fun(*primals))
        outputs = _leaves(out)
        probes = [zeros_like(y) for y in outputs]
        grads = engine.gradients(outputs, primals, grad_ys=probes)
        total = None
        for g, t in zip(grads, tangents):
            if g is not None:
                term = sum_(_m.multiply(g, t))
                total = term if total is None else _m.add(total, term)
        tangent_out = engine.gradients(total, probes) if total is not None else [None] * len(probes)
        tangent_out = [zeros_like(y) if t is None else t for y, t in zip(outputs, tangent_out)]
        result = (out, _pack(out, tangent_out))
        return result + (aux,) if has_aux else result
    from ..eager import enable_grad
    values = [p.data if isinstance(p, Tensor) else p for p in primals]
    with enable_grad():
        xs = [Tensor(numpy.asarray(v, dtype=numpy.result_type(v, numpy.float32)), requires_grad=True)
              for v in values]
        out, aux = split(fun(*xs))
        outputs = _leaves(out)
        probes = [Tensor(numpy.zeros(numpy.shape(y.data if isinstance(y, Tensor) else y),
                                     dtype=numpy.asarray(y.data if isinstance(y, Tensor) else y).dtype),
                         requires_grad=True) for y in outputs]
        loss = None
        for y, u in zip(outputs, probes):
            term = sum_(_m.multiply(y, u))
            loss = term if loss is None else _m.add(loss, term)
        loss.backward(create_graph=True)
        for u in probes:
            u.grad = None          # the first pass also wrote y into the probes' .grad
        total = None
        for x, t in zip(xs, tangents):
            if x.grad is not None and x.grad.requires_grad:
                term = sum_(_m.multiply(x.grad, t.data if isinstance(t, Tensor) else t))
                total = term if total is None else _m.add(total, term)
        if total is not None:
            total.backward()
    tangent_out = [numpy.zeros(u.shape, u.dtype) if u.grad is None else u.grad.numpy() for u in probes]
    primal_out = [y.detach().numpy() if isinstance(y, Tensor) else y for y in outputs]
    result = (_pack(out, primal_out), _pack(out, tangent_out))
    return result + (aux,) if has_aux else result
