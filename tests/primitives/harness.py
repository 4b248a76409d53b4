"""The generic checks every primitive goes through, driven by case tables.

A test module lists ``CASES``: each a ``Case(primitive, inputs, attrs)`` with
concrete float64 inputs.  ``check_case`` then asserts, for that case:

1. the shape rule (``infer``) gives the forward's real shape and dtype, and
   still works with the first axis unknown (``None``);
2. the forward matches ``expected`` (a reference function on numpy arrays),
   when given;
3. the gradient rule, evaluated on arrays, matches central finite
   differences of ``sum(forward(x) * g)`` for a random ``g``;
4. the same gradient computed through the three callers agrees: the array
   namespace (rule), the eager tape (``Tensor.backward``) and the symbolic
   engine (``gradients`` + ``Session.run``);
5. asking for one input's gradient alone (``gradient_of`` with one input
   flagged, as the tape does when only that input requires grad) gives the
   same array, and the tape then leaves the other inputs' ``.grad`` empty.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from kerasette import eager, engine
from kerasette.primitives import get


@dataclasses.dataclass
class Case:
    primitive: str
    inputs: list
    attrs: dict = dataclasses.field(default_factory=dict)
    expected: object = None          # reference: f(*inputs) -> array
    no_grad: tuple = ()              # indexes of inputs not to differentiate
    batch_none: bool = True          # check the shape rule with axis 0 unknown
    value_dependent: bool = False    # the shape rule may say None where the size depends on the values
    #: where the output carries a gradient, as a mask of its shape (default: everywhere); the
    #: recurrence keeps intermediates for its backward pass in columns that carry none
    differentiable_output: object = None
    eps: float = 1e-6
    rtol: float = 1e-5
    atol: float = 1e-7
    id: str = ""

    def __str__(self):
        return self.id or f"{self.primitive}{tuple(np.shape(x) for x in self.inputs)}"


def numeric_gradient(function, inputs, index, eps):
    """Central differences of the scalar ``function(*inputs)`` w.r.t. ``inputs[index]``."""
    x = np.array(inputs[index], dtype=np.float64)
    grad = np.zeros_like(x)
    flat = x.reshape(-1)
    for i in range(flat.size):
        original = flat[i]
        flat[i] = original + eps
        plus = function(*inputs[:index], x, *inputs[index + 1:])
        flat[i] = original - eps
        minus = function(*inputs[:index], x, *inputs[index + 1:])
        flat[i] = original
        grad.reshape(-1)[i] = (plus - minus) / (2 * eps)
    return grad


def differentiable_indexes(case):
    return [i for i, x in enumerate(case.inputs)
            if i not in case.no_grad and np.asarray(x).dtype.kind == "f"]


def check_case(case: Case):
    primitive = get(case.primitive)
    inputs = [np.asarray(x) for x in case.inputs]
    out = primitive.forward(np, *inputs, **case.attrs)

    # 1. shape rule
    spec = primitive.infer(*inputs, **case.attrs)
    if case.value_dependent:
        spec = spec._replace(shape=tuple(real if got is None else got for got, real in zip(spec.shape, out.shape)))
    assert tuple(spec.shape) == out.shape, f"{case}: shape rule says {spec.shape}, forward gives {out.shape}"
    assert np.dtype(spec.dtype) == out.dtype, f"{case}: shape rule says {spec.dtype}, forward gives {out.dtype}"
    if case.batch_none and inputs and inputs[0].ndim > 0:
        unknown = engine.placeholder(inputs[0].dtype, (None,) + inputs[0].shape[1:])
        others = [engine.placeholder(x.dtype, x.shape) for x in inputs[1:]]
        spec = primitive.infer(unknown, *others, **case.attrs)
        assert len(spec.shape) == out.ndim
        for got, real in zip(spec.shape, out.shape):
            assert got is None or got == real, f"{case}: batch-None shape {spec.shape} vs {out.shape}"

    # 2. forward against a reference
    if case.expected is not None:
        np.testing.assert_allclose(out, case.expected(*inputs), rtol=1e-6, atol=1e-10,
                                   err_msg=f"{case}: forward")

    if not primitive.differentiable:
        return
    targets = differentiable_indexes(case)
    if not targets:
        return
    rng = np.random.default_rng(0)
    g = rng.standard_normal(out.shape)
    if case.differentiable_output is not None:
        g = g * case.differentiable_output(out.shape)

    # 3. rule vs central differences
    rule = primitive.gradient(eager.ARRAY_OPS, inputs, out, g, **case.attrs)
    rule = [None if r is None else np.broadcast_to(np.asarray(r), inputs[i].shape)
            for i, r in enumerate(rule)]

    def objective(*xs):
        return float(np.sum(primitive.forward(np, *xs, **case.attrs) * g))

    for i in targets:
        numeric = numeric_gradient(objective, inputs, i, case.eps)
        assert rule[i] is not None, f"{case}: no gradient for input {i}"
        np.testing.assert_allclose(rule[i], numeric, rtol=case.rtol, atol=case.atol,
                                   err_msg=f"{case}: gradient of input {i} vs central differences")

    # 4a. eager tape
    tensors = [eager.Tensor(x, requires_grad=(i in targets)) for i, x in enumerate(inputs)]
    result = eager.apply(primitive, *tensors, **case.attrs)
    result.backward(g)
    for i in targets:
        np.testing.assert_allclose(tensors[i].grad.numpy(), rule[i], rtol=1e-10, atol=1e-12,
                                   err_msg=f"{case}: eager gradient of input {i}")

    # 4b. symbolic engine
    with engine.Graph().as_default():
        feeds = [engine.placeholder(x.dtype, x.shape) for x in inputs]
        node = engine.apply(primitive, *feeds, **case.attrs)
        grads = engine.gradients(node, [feeds[i] for i in targets], grad_ys=engine.constant(g))
        values = engine.Session().run(grads, feed_dict=dict(zip(feeds, inputs)))
    for i, value in zip(targets, values):
        np.testing.assert_allclose(np.broadcast_to(value, inputs[i].shape), rule[i], rtol=1e-10,
                                   atol=1e-12, err_msg=f"{case}: symbolic gradient of input {i}")

    # 5. one input's gradient alone
    for i in targets:
        needed = [j == i for j in range(len(inputs))]
        alone = primitive.gradient_of(needed, eager.ARRAY_OPS, inputs, out, g, **case.attrs)
        np.testing.assert_array_equal(np.broadcast_to(np.asarray(alone[i]), inputs[i].shape), rule[i],
                                      err_msg=f"{case}: gradient_of input {i} alone")
        tensors = [eager.Tensor(x, requires_grad=(j == i)) for j, x in enumerate(inputs)]
        eager.apply(primitive, *tensors, **case.attrs).backward(g)
        np.testing.assert_array_equal(tensors[i].grad.numpy(), rule[i],
                                      err_msg=f"{case}: eager gradient of input {i} alone")
        assert all(t.grad is None for j, t in enumerate(tensors) if j != i)


def random(shape, seed=0, low=None, high=None):
    """float64 test input; ``low``/``high`` give a uniform range (away from kinks)."""
    rng = np.random.default_rng(seed)
    if low is not None:
        return rng.uniform(low, high, size=shape)
    return rng.standard_normal(shape)
