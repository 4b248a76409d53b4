"""Arithmetic with numpy broadcasting, and the two ops that undo broadcasting.

Binary ops broadcast like numpy; their gradient rules hand each input's
gradient to ``sum_to_like`` so that it is summed back to that input's shape.
"""
from __future__ import annotations

from .base import Primitive, ShapeError, Spec, broadcast_shapes, register, result_dtype


class Elementwise(Primitive):
    """Shape rule shared by ops that broadcast their inputs."""

    def infer(self, *inputs, **attrs):
        shape = broadcast_shapes(self.name, *(x.shape for x in inputs))
        return Spec(shape, result_dtype(*(x.dtype for x in inputs)))


class Unary(Primitive):
    def infer(self, x, **attrs):
        return Spec(tuple(x.shape), x.dtype)


# ------------------------------------------------------- undoing broadcasting

@register
class SumToLike(Primitive):
    """Sum ``x`` over the axes along which it was broadcast from ``like``'s shape."""

    name = "sum_to_like"

    def infer(self, x, like):
        return Spec(tuple(like.shape), x.dtype)

    def forward(self, xp, x, like):
        return sum_to(xp, x, like.shape)

    def gradient(self, ops, inputs, output, grad):
        x, _ = inputs
        return ops.broadcast_like(grad, x), None


@register
class BroadcastLike(Primitive):
    """Broadcast ``x`` to the shape of ``like`` (a run-time shape, batch included)."""

    name = "broadcast_like"

    def infer(self, x, like):
        shape = broadcast_shapes(self.name, x.shape, like.shape)
        if tuple(shape) != tuple(like.shape) and None not in like.shape:
            raise ShapeError(f"{self.name}: cannot broadcast {x.shape} to {like.shape}")
        return Spec(tuple(like.shape), x.dtype)

    def forward(self, xp, x, like):
        return xp.broadcast_to(x, like.shape)

    def gradient(self, ops, inputs, output, grad):
        x, _ = inputs
        return ops.sum_to_like(grad, x), None


def sum_to(xp, x, shape):
    """Sum ``x`` down to ``shape`` (the inverse of broadcasting to x.shape)."""
    shape = tuple(shape)
    if x.shape == shape:
        return x
    lead = x.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, d in enumerate(shape) if d == 1 and x.shape[lead + i] != 1
    )
    out = x.sum(axis=axes, keepdims=True) if axes else x
    if lead:
        out = out.reshape(out.shape[lead:])
    return out


# ------------------------------------------------------------------ arithmetic

@register
class Add(Elementwise):
    name = "add"

    def forward(self, xp, x, y):
        return xp.add(x, y)

    def gradient(self, ops, inputs, output, grad):
        x, y = inputs
        return ops.sum_to_like(grad, x), ops.sum_to_like(grad, y)


@register
class Sub(Elementwise):
    name = "subtract"
    label = "sub"

    def forward(self, xp, x, y):
        return xp.subtract(x, y)

    def gradient(self, ops, inputs, output, grad):
        x, y = inputs
        return ops.sum_to_like(grad, x), ops.sum_to_like(-grad, y)


@register
class Mul(Elementwise):
    name = "multiply"
    label = "mul"

    def forward(self, xp, x, y):
        return xp.multiply(x, y)

    def gradient(self, ops, inputs, output, grad):
        x, y = inputs
        return ops.sum_to_like(grad * y, x), ops.sum_to_like(grad * x, y)


@register
class Div(Elementwise):
    name = "divide"
    label = "truediv"

    def forward(self, xp, x, y):
        return xp.true_divide(x, y)

    def gradient(self, ops, inputs, output, grad):
        x, y = inputs
        grad_x = grad / y
        return ops.sum_to_like(grad_x, x), ops.sum_to_like(-grad_x * x / y, y)


@register
class Neg(Unary):
    name = "negative"
    label = "neg"

    def forward(self, xp, x):
        return xp.negative(x)

    def gradient(self, ops, inputs, output, grad):
        return (-grad,)


@register
class Pow(Elementwise):
    name = "power"
    label = "pow"

    def forward(self, xp, x, y):
        return xp.power(x, y)

    def gradient(self, ops, inputs, output, grad):
        x, y = inputs
        grad_x = grad * y * ops.power(x, y - 1)
        # d/dy x**y = x**y log x, defined where x > 0; elsewhere take 0 like TF
        safe_log = ops.log(ops.where(x > 0, x, ops.ones_like(x)))
        grad_y = grad * output * safe_log
        return ops.sum_to_like(grad_x, x), ops.sum_to_like(grad_y, y)


@register
class OnesLike(Unary):
    name = "ones_like"
    differentiable = False

    def forward(self, xp, x):
        return xp.ones_like(x)


@register
class ZerosLike(Unary):
    name = "zeros_like"
    differentiable = False

    def forward(self, xp, x):
        return xp.zeros_like(x)


@register
class Identity(Unary):
    """The input itself, as a new node (a layer that passes its input through
    still needs an output of its own in the graph)."""

    name = "identity"

    def forward(self, xp, x):
        return x

    def gradient(self, ops, inputs, output, grad):
        return (grad,)
