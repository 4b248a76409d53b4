"""Connectionist temporal classification: the loss and its gradient.

``ctc_loss(target, logits, target_length, output_length, mask_index)`` gives,
per batch entry, ``-log p(target | logits)``: the probability, summed over
every alignment of the target to the first ``output_length`` steps, that
the per-step softmax of ``logits`` spells the first ``target_length``
labels once blanks (``mask_index``) and repeats are removed.  It is
computed with the forward (alpha) recursion over the extended label
sequence ``blank, l1, blank, l2, ..., blank`` in log space, one vectorised
step per time step over the whole batch.

The gradient with respect to the logits is ``softmax - posterior``, where
the posterior of class ``k`` at step ``t`` sums ``alpha * beta`` over the
extended positions holding ``k`` (beta: the backward recursion), times the
upstream gradient of each entry; steps past ``output_length`` get none.
Targets and lengths are integers and get no gradient.

Keras 3 (JAX) computes the same recursion with ``-1e5`` standing for
``log 0``; kerasette uses ``-inf``, which gives the same loss wherever an
alignment exists and ``inf`` where none does.
"""
from __future__ import annotations

import numpy

from .base import Primitive, ShapeError, Spec, format_shape, register

NEG_INF = -numpy.inf


def _log_softmax(xp, logits):
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return shifted - xp.log(xp.exp(shifted).sum(axis=-1, keepdims=True))


def _lse(*terms):
    out = terms[0]
    for term in terms[1:]:
        out = numpy.logaddexp(out, term)
    return out


def _extended(target, target_length, mask_index):
    """Extended labels ``(B, S)``, the skip mask (s-2 -> s allowed) and the valid lengths ``2L+1``."""
    batch, max_label = target.shape
    size = 2 * max_label + 1
    labels = numpy.full((batch, size), mask_index, dtype=numpy.int64)
    labels[:, 1::2] = target
    skip = numpy.zeros((batch, size), dtype=bool)
    if max_label > 1:
        skip[:, 3::2] = target[:, 1:] != target[:, :-1]
    skip[:, 3::2] &= (labels[:, 3::2] != mask_index)
    return labels, skip, 2 * target_length + 1


def _shift(values, by):
    out = numpy.full_like(values, NEG_INF)
    out[:, by:] = values[:, :-by]
    return out


def _unshift(values, by):
    out = numpy.full_like(values, NEG_INF)
    out[:, :-by] = values[:, by:]
    return out


def _recursions(target, logits, target_length, output_length, mask_index, with_beta):
    logp = _log_softmax(numpy, logits.astype(numpy.float64))
    batch, steps, _ = logp.shape
    target = target.astype(numpy.int64)
    target_length = target_length.astype(numpy.int64).reshape(batch)
    output_length = output_length.astype(numpy.int64).reshape(batch)
    labels, skip, valid = _extended(target, target_length, mask_index)
    size = labels.shape[1]
    positions = numpy.arange(size)[None, :]
    inside = positions < valid[:, None]
    emit = numpy.take_along_axis(logp, labels[:, None, :].repeat(steps, axis=1), axis=2)  # (B, T, S)
    emit = numpy.where(inside[:, None, :], emit, NEG_INF)
    with numpy.errstate(invalid="ignore"):
        alphas = numpy.empty((steps, batch, size))
        prev = numpy.where(positions == 0, 0.0, NEG_INF) * numpy.ones((batch, 1))
        for t in range(steps):
            step = _lse(prev, _shift(prev, 1), numpy.where(skip, _shift(prev, 2), NEG_INF)) + emit[:, t]
            prev = numpy.where((t < output_length)[:, None], step, prev)
            alphas[t] = prev
        ends = numpy.where((positions == valid[:, None] - 1) | (positions == valid[:, None] - 2), prev, NEG_INF)
        log_p = numpy.logaddexp.reduce(ends, axis=1)
        if not with_beta:
            return -log_p, None
        ends = (positions == valid[:, None] - 1) | (positions == valid[:, None] - 2)
        skip_next = numpy.zeros_like(skip)
        skip_next[:, :-2] = skip[:, 2:]
        betas = numpy.empty((steps, batch, size))
        prev = numpy.full((batch, size), NEG_INF)
        for t in range(steps - 1, -1, -1):
            step = _lse(prev, _unshift(prev, 1), numpy.where(skip_next, _unshift(prev, 2), NEG_INF)) + emit[:, t]
            last = (t == output_length - 1)[:, None]
            prev = numpy.where(last, numpy.where(ends, emit[:, t], NEG_INF), step)
            betas[t] = prev
        # posterior of each extended position at each step: alpha * beta / emit / p
        joint = alphas.transpose(1, 0, 2) + betas.transpose(1, 0, 2) - emit - log_p[:, None, None]
        joint = numpy.where(numpy.isfinite(joint), joint, NEG_INF)
        posterior = numpy.zeros_like(logp)
        numpy.add.at(posterior, (numpy.arange(batch)[:, None, None], numpy.arange(steps)[None, :, None],
                                 labels[:, None, :]), numpy.exp(joint))
        active = (numpy.arange(steps)[None, :] < output_length[:, None])[..., None]
        dlogits = numpy.where(active, numpy.exp(logp) - posterior, 0.0)
        return -log_p, dlogits


def _check(name, target, logits, target_length, output_length):
    if len(logits.shape) != 3 or len(target.shape) != 2:
        raise ShapeError(f"{name}: output must be (batch, steps, classes) and target (batch, max_label), got "
                         f"{format_shape(logits.shape)} and {format_shape(target.shape)}")
    for label, value in (("target_length", target_length), ("output_length", output_length)):
        if len(value.shape) != 1:
            raise ShapeError(f"{name}: {label} must be (batch,), got {format_shape(value.shape)}")


def _float(dtype):
    dtype = numpy.dtype(dtype)
    return dtype if dtype.kind == "f" and dtype.itemsize >= 4 else numpy.dtype("float32")


@register
class CTCLoss(Primitive):
    """Per-entry CTC loss of logits ``(B, T, K)`` for integer targets ``(B, L)``; attr mask_index."""

    name = "ctc_loss"

    def infer(self, target, logits, target_length, output_length, mask_index):
        _check(self.name, target, logits, target_length, output_length)
        return Spec((logits.shape[0],), _float(logits.dtype))

    def forward(self, xp, target, logits, target_length, output_length, mask_index):
        loss, _ = _recursions(*(numpy.asarray(a) for a in (target, logits, target_length, output_length)),
                              mask_index, with_beta=False)
        return xp.asarray(loss.astype(_float(logits.dtype)))

    def gradient(self, ops, inputs, output, grad, mask_index):
        target, logits, target_length, output_length = inputs
        dlogits = ops.ctc_loss_grad(target, logits, target_length, output_length, mask_index=mask_index)
        return (None, dlogits * ops.expand_dims(grad, axis=(1, 2)), None, None)


@register
class CTCLossGrad(Primitive):
    """d(ctc_loss)/d(logits) per entry (a constant of the targets; no gradient of its own)."""

    name = "ctc_loss_grad"
    differentiable = False

    def infer(self, target, logits, target_length, output_length, mask_index):
        _check(self.name, target, logits, target_length, output_length)
        return Spec(tuple(logits.shape), _float(logits.dtype))

    def forward(self, xp, target, logits, target_length, output_length, mask_index):
        _, dlogits = _recursions(*(numpy.asarray(a) for a in (target, logits, target_length, output_length)),
                                 mask_index, with_beta=True)
        return xp.asarray(dlogits.astype(_float(logits.dtype)))
