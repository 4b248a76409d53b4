"""Fused cross-entropies: one value per sample (per element for sigmoid), no reduction.

Each loss is one primitive whose forward is the numerically stable formula
(log-sum-exp for softmax, ``max(x, 0) - x z + log1p(exp(-|x|))`` for
sigmoid) and whose gradient is a second, fused primitive that computes the
whole derivative in one vectorised pass: ``(softmax(z) - onehot) * g`` for
sparse labels from logits, with no softmax node in the graph.  From
probabilities the losses follow Keras: normalise by the sum over the class
axis (softmax losses), clip to ``[epsilon, 1 - epsilon]``, take the log; the
clip passes gradient inside the interval (bounds included) and none outside.

Gradients reach the float target too (``-log_softmax(z) * g`` and the like),
never integer labels.  The backward primitives are not differentiated
again: a second derivative through a fused cross-entropy stops there (like
TensorFlow's fused softmax cross-entropy).

The target is cast to the output's dtype, so float32 logits give a float32
loss whatever the labels' dtype.
"""
from __future__ import annotations

import numpy

from .base import Primitive, ShapeError, Spec, format_shape, register


def _same_shape(name, target, output):
    t, o = tuple(target.shape), tuple(output.shape)
    if len(t) != len(o) or any(a is not None and b is not None and a != b for a, b in zip(t, o)):
        raise ShapeError(f"{name}: target and output must have the same shape, got "
                         f"{format_shape(t)} and {format_shape(o)}")
    return tuple(b if b is not None else a for a, b in zip(t, o))


def _class_axis(name, axis, rank):
    if rank < 1:
        raise ShapeError(f"{name}: output must be at least 1-D")
    if not -rank <= axis < rank:
        raise ShapeError(f"{name}: axis {axis} is out of range for rank {rank}")
    return axis % rank


def _float_output(name, output):
    dtype = numpy.dtype(output.dtype)
    if dtype.kind != "f":
        raise ShapeError(f"{name}: output must be float, got {dtype.name}")
    return dtype


def _as_dtype(xp, array, dtype):
    return array if array.dtype == dtype else array.astype(dtype)


def _log_softmax(xp, z, axis):
    shifted = z - z.max(axis=axis, keepdims=True)
    exp = xp.exp(shifted)
    shifted -= xp.log(exp.sum(axis=axis, keepdims=True))
    return shifted


def _softmax(xp, z, axis):
    exp = xp.exp(z - z.max(axis=axis, keepdims=True))
    exp /= exp.sum(axis=axis, keepdims=True)
    return exp


def _normalized(xp, output, axis):
    return output / output.sum(axis=axis, keepdims=True)


def _clip(xp, q, epsilon):
    return xp.clip(q, epsilon, 1.0 - epsilon)


def _inside(xp, q, epsilon):
    return (q >= epsilon) & (q <= 1.0 - epsilon)


# ------------------------------------------------------------ dense softmax CE

class _DenseSoftmax(Primitive):
    def _infer(self, target, output, axis):
        dtype = _float_output(self.name, output)
        shape = _same_shape(self.name, target, output)
        axis = _class_axis(self.name, axis, len(shape))
        return shape, axis, dtype


@register
class SoftmaxCrossEntropy(_DenseSoftmax):
    """``-sum(target * log_softmax(output))`` over ``axis`` (or of the clipped probabilities)."""

    name = "softmax_cross_entropy"

    def infer(self, target, output, from_logits=False, axis=-1, epsilon=1e-7):
        shape, axis, dtype = self._infer(target, output, axis)
        return Spec(shape[:axis] + shape[axis + 1:], dtype)

    def forward(self, xp, target, output, from_logits=False, axis=-1, epsilon=1e-7):
        target = _as_dtype(xp, target, output.dtype)
        if from_logits:
            log_prob = _log_softmax(xp, output, axis)
        else:
            log_prob = _clip(xp, _normalized(xp, output, axis), epsilon)
            xp.log(log_prob, out=log_prob)
        log_prob *= target
        return -log_prob.sum(axis=axis)

    def gradient(self, ops, inputs, output, grad, from_logits=False, axis=-1, epsilon=1e-7):
        target, out = inputs
        attrs = dict(from_logits=from_logits, axis=axis, epsilon=epsilon)
        return (ops.softmax_cross_entropy_backward(target, out, grad, wrt="target", **attrs),
                ops.softmax_cross_entropy_backward(target, out, grad, wrt="output", **attrs))


@register
class SoftmaxCrossEntropyBackward(_DenseSoftmax):
    """d(softmax_cross_entropy)/d(``wrt``) times the per-sample gradient ``grad``."""

    name = "softmax_cross_entropy_backward"
    differentiable = False

    def infer(self, target, output, grad, from_logits=False, axis=-1, epsilon=1e-7, wrt="output"):
        shape, axis, dtype = self._infer(target, output, axis)
        return Spec(shape, dtype)

    def forward(self, xp, target, output, grad, from_logits=False, axis=-1, epsilon=1e-7,
                wrt="output"):
        axis = axis % output.ndim
        target = _as_dtype(xp, target, output.dtype)
        grad = xp.expand_dims(_as_dtype(xp, grad, output.dtype), axis)
        if from_logits:
            if wrt == "target":
                result = _log_softmax(xp, output, axis)
                result *= -grad
                return result
            # d/dz [sum(t) * logsumexp(z) - sum(t * z)] = softmax(z) * sum(t) - t
            result = _softmax(xp, output, axis)
            result *= target.sum(axis=axis, keepdims=True)
            result -= target
            result *= grad
            return result
        normalizer = output.sum(axis=axis, keepdims=True)
        probs = output / normalizer
        clipped = _clip(xp, probs, epsilon)
        if wrt == "target":
            result = xp.log(clipped)
            result *= -grad
            return result
        # d/dc of -sum(t log c), through the clip, then through q = o / sum(o)
        d_clipped = -target / clipped
        d_clipped *= _inside(xp, probs, epsilon)
        result = d_clipped - (d_clipped * probs).sum(axis=axis, keepdims=True)
        result *= grad / normalizer
        return result


# ----------------------------------------------------------- sparse softmax CE

class _SparseSoftmax(Primitive):
    def _infer(self, target, output, axis):
        dtype = _float_output(self.name, output)
        if numpy.dtype(target.dtype).kind not in "iu":
            raise ShapeError(f"{self.name}: labels must be integers, got "
                             f"{numpy.dtype(target.dtype).name}")
        out_shape = tuple(output.shape)
        axis = _class_axis(self.name, axis, len(out_shape))
        expected = out_shape[:axis] + out_shape[axis + 1:]
        labels = tuple(target.shape)
        if len(labels) == len(out_shape) and labels and labels[-1] == 1:
            labels = labels[:-1]            # (N, 1) labels, as Keras accepts
        if len(labels) != len(expected) or any(
                a is not None and b is not None and a != b for a, b in zip(labels, expected)):
            raise ShapeError(f"{self.name}: labels of shape {format_shape(target.shape)} do not "
                             f"match output of shape {format_shape(out_shape)} without axis {axis}")
        shape = tuple(b if b is not None else a for a, b in zip(labels, expected))
        return shape, axis, dtype


def _label_index(xp, target, output, axis):
    """Labels as an index into ``output``: for (batch, classes) outputs the pair
    (rows, labels), otherwise an array with a size-1 class axis for take_along_axis."""
    if target.ndim == output.ndim:
        target = target.reshape(target.shape[:-1])
    target = target.astype(xp.intp, copy=False)
    if output.ndim == 2 and axis == 1:
        return xp.arange(len(target)), target
    return xp.expand_dims(target, axis)


def _take_label(xp, values, index, axis):
    """``values`` at each sample's label, keeping a size-1 class axis."""
    if isinstance(index, tuple):
        return xp.expand_dims(values[index], axis)
    return xp.take_along_axis(values, index, axis=axis)


def _put_label(xp, values, index, picked, axis):
    """Write ``picked`` (with a size-1 class axis) at each sample's label."""
    if isinstance(index, tuple):
        values[index] = picked.reshape(-1)
    else:
        xp.put_along_axis(values, index, picked, axis=axis)


@register
class SparseSoftmaxCrossEntropy(_SparseSoftmax):
    """``-log_softmax(output)[label]`` along ``axis`` (or of the clipped probabilities)."""

    name = "sparse_softmax_cross_entropy"

    def infer(self, target, output, from_logits=False, axis=-1, epsilon=1e-7):
        shape, axis, dtype = self._infer(target, output, axis)
        return Spec(shape, dtype)

    def forward(self, xp, target, output, from_logits=False, axis=-1, epsilon=1e-7):
        axis = axis % output.ndim
        index = _label_index(xp, target, output, axis)
        picked = _take_label(xp, output, index, axis)
        if from_logits:
            peak = output.max(axis=axis, keepdims=True)
            exp = xp.exp(output - peak)
            # logsumexp(z) - z[label], without forming log_softmax
            loss = xp.log(exp.sum(axis=axis, keepdims=True))
            loss += peak
            loss -= picked
        else:
            loss = _clip(xp, picked / output.sum(axis=axis, keepdims=True), epsilon)
            loss = -xp.log(loss)
        return loss.squeeze(axis)

    def gradient(self, ops, inputs, output, grad, from_logits=False, axis=-1, epsilon=1e-7):
        target, out = inputs
        return None, ops.sparse_softmax_cross_entropy_backward(
            target, out, grad, from_logits=from_logits, axis=axis, epsilon=epsilon)


@register
class SparseSoftmaxCrossEntropyBackward(_SparseSoftmax):
    """d(sparse_softmax_cross_entropy)/d(output) times the per-sample gradient ``grad``."""

    name = "sparse_softmax_cross_entropy_backward"
    differentiable = False

    def infer(self, target, output, grad, from_logits=False, axis=-1, epsilon=1e-7):
        self._infer(target, output, axis)
        return Spec(tuple(output.shape), numpy.dtype(output.dtype))

    def forward(self, xp, target, output, grad, from_logits=False, axis=-1, epsilon=1e-7):
        axis = axis % output.ndim
        index = _label_index(xp, target, output, axis)
        grad = xp.expand_dims(_as_dtype(xp, grad, output.dtype), axis)
        if from_logits:
            result = _softmax(xp, output, axis)
            picked = _take_label(xp, result, index, axis)
            _put_label(xp, result, index, picked - 1, axis)
            result *= grad
            return result
        # only the label's clipped probability enters the loss: with a = -1/c there,
        # d/do_k = (a [k == label] - a q_label) / sum(o)
        normalizer = output.sum(axis=axis, keepdims=True)
        picked = _take_label(xp, output, index, axis) / normalizer
        d_clipped = -1.0 / _clip(xp, picked, epsilon)
        d_clipped *= _inside(xp, picked, epsilon)
        d_clipped *= grad / normalizer
        result = xp.broadcast_to(-d_clipped * picked, output.shape).copy()
        _put_label(xp, result, index, d_clipped * (1 - picked), axis)
        return result


# ---------------------------------------------------------------- sigmoid CE

class _Sigmoid(Primitive):
    def _infer(self, target, output):
        dtype = _float_output(self.name, output)
        return _same_shape(self.name, target, output), dtype


def _sigmoid(xp, x):
    # exp of -|x| only, so nothing overflows for large |x|
    exp = xp.exp(-xp.abs(x))
    return xp.where(x >= 0, 1 / (1 + exp), exp / (1 + exp))


@register
class SigmoidCrossEntropy(_Sigmoid):
    """Elementwise binary cross-entropy of ``target`` and logits or probabilities."""

    name = "sigmoid_cross_entropy"

    def infer(self, target, output, from_logits=False, epsilon=1e-7):
        shape, dtype = self._infer(target, output)
        return Spec(shape, dtype)

    def forward(self, xp, target, output, from_logits=False, epsilon=1e-7):
        target = _as_dtype(xp, target, output.dtype)
        if from_logits:
            # max(x, 0) - x z + log(1 + exp(-|x|))
            loss = xp.log1p(xp.exp(-xp.abs(output)))
            loss += xp.maximum(output, 0)
            loss -= output * target
            return loss
        clipped = _clip(xp, output, epsilon)
        loss = target * xp.log(clipped)
        loss += (1 - target) * xp.log1p(-clipped)
        return -loss

    def gradient(self, ops, inputs, output, grad, from_logits=False, epsilon=1e-7):
        target, out = inputs
        attrs = dict(from_logits=from_logits, epsilon=epsilon)
        return (ops.sigmoid_cross_entropy_backward(target, out, grad, wrt="target", **attrs),
                ops.sigmoid_cross_entropy_backward(target, out, grad, wrt="output", **attrs))


@register
class SigmoidCrossEntropyBackward(_Sigmoid):
    """d(sigmoid_cross_entropy)/d(``wrt``) times ``grad``."""

    name = "sigmoid_cross_entropy_backward"
    differentiable = False

    def infer(self, target, output, grad, from_logits=False, epsilon=1e-7, wrt="output"):
        shape, dtype = self._infer(target, output)
        return Spec(shape, dtype)

    def forward(self, xp, target, output, grad, from_logits=False, epsilon=1e-7, wrt="output"):
        target = _as_dtype(xp, target, output.dtype)
        grad = _as_dtype(xp, grad, output.dtype)
        if from_logits:
            if wrt == "target":
                return -output * grad
            result = _sigmoid(xp, output)
            result -= target
            result *= grad
            return result
        clipped = _clip(xp, output, epsilon)
        if wrt == "target":
            # log(1 - c) - log(c)
            result = xp.log1p(-clipped)
            result -= xp.log(clipped)
            result *= grad
            return result
        result = (1 - target) / (1 - clipped)
        result -= target / clipped
        result *= _inside(xp, output, epsilon)
        result *= grad
        return result
