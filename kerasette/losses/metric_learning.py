"""Metric-learning losses: Circle loss (Sun et al., 2020) on L2-normalised embeddings.

``circle(y_true, y_pred)``: integer labels ``(N,)`` and unit-norm embeddings
``(N, D)``; every pair's cosine distance is weighted so that pairs far from
their optimum count more; one value per sample, with a Keras mask keeping
only the samples whose loss is positive (so the default reduction averages
over those), as Keras 3 does.
"""
from __future__ import annotations

import numpy

from .. import ops
from ..ops.masking import set_mask
from .loss import TensorLike, _BuiltinLoss, _rank, _tensor


def _column(labels):
    return ops.reshape(labels, (-1, 1)) if _rank(labels) == 1 else labels


def _positions(labels):
    """0, 1, 2, ... along the labels (a run-time count, so unknown batch sizes work)."""
    flat = ops.reshape(labels, (-1,))
    return ops.subtract(ops.cumsum(ops.ones_like(flat, dtype="int32")), 1)


def _masked_logsumexp(values, mask, axis):
    # a very negative finite stand-in for -inf: rows with nothing in the mask give a value
    # that softplus turns into 0, without log(0) warnings or NaN gradients
    floor = -min(float(numpy.finfo(numpy.dtype(values.dtype)).max) / 4.0, 1e30)
    return ops.logsumexp(ops.where(mask, values, floor), axis=axis)


def circle(y_true: TensorLike, y_pred: TensorLike, ref_labels=None, ref_embeddings=None,
           remove_diagonal: bool = True, gamma: float = 80, margin: float = 0.4) -> TensorLike:
    """Circle loss of each embedding against the reference embeddings (default: the batch).

    Positive pairs share a label (the pair of a sample with itself is left out
    when ``remove_diagonal``); each sample's loss is
    ``softplus(logsumexp(pos) + logsumexp(neg))`` of the weighted distances.
    """
    y_pred = _tensor(y_pred)
    y_true = ops.cast(_tensor(y_true), "int32")
    ref_embeddings = y_pred if ref_embeddings is None else _tensor(ref_embeddings, y_pred.dtype)
    ref_labels = y_true if ref_labels is None else ops.cast(_tensor(ref_labels), "int32")
    gamma, margin = float(gamma), float(margin)

    distances = ops.maximum(ops.subtract(1.0, ops.matmul(y_pred, ops.transpose(ref_embeddings))),
                            0.0)
    positive = ops.equal(_column(y_true), ops.transpose(_column(ref_labels)))
    negative = ops.logical_not(positive)
    if remove_diagonal:
        diagonal = ops.equal(ops.expand_dims(_positions(y_true), 1),
                             ops.expand_dims(_positions(ref_labels), 0))
        positive = ops.logical_and(positive, ops.logical_not(diagonal))
    positive_weight = ops.cast(positive, distances.dtype)
    negative_weight = ops.cast(negative, distances.dtype)

    pos_weights = ops.maximum(ops.multiply(ops.add(distances, margin), positive_weight), 0.0)
    neg_weights = ops.maximum(ops.multiply(ops.subtract(1.0 + margin, distances),
                                           negative_weight), 0.0)
    pos_terms = ops.multiply(ops.multiply(pos_weights, ops.subtract(margin, distances)), -gamma)
    neg_terms = ops.multiply(ops.multiply(neg_weights, ops.subtract(1.0 - margin, distances)),
                             gamma)
    loss = ops.softplus(ops.add(_masked_logsumexp(pos_terms, positive, 1),
                                _masked_logsumexp(neg_terms, negative, 1)))
    set_mask(loss, ops.greater(loss, 0.0))
    return loss


class Circle(_BuiltinLoss):
    """Circle loss between integer labels and L2-normalised embeddings (``gamma``, ``margin``).

    >>> import numpy
    >>> emb = numpy.array([[1.0, 0.0], [0.8, 0.6], [0.0, 1.0]], "float32")
    >>> round(float(Circle()([0, 0, 1], emb)), 3)
    3.201
    """

    _arguments = ("gamma", "margin", "remove_diagonal")

    def __init__(self, gamma=80.0, margin=0.4, remove_diagonal=True,
                 reduction="sum_over_batch_size", name="circle", dtype=None):
        super().__init__(circle, name=name, reduction=reduction, dtype=dtype, gamma=gamma,
                         margin=margin, remove_diagonal=remove_diagonal)
