"""Connectionist Temporal Classification: the ``ctc`` loss function and the ``CTC`` class.

``y_true`` holds integer labels ``(batch, max_label_length)`` padded with 0
(the blank, never a class); ``y_pred`` holds logits ``(batch, steps,
classes)``.  Every sample's label length is its count of non-zero labels and
its input length is ``steps``; the per-sample negative log-likelihood comes
from ``ops.ctc_loss`` (the alpha-beta recursion, with its gradient), as
Keras 3's ``keras.losses.ctc`` computes it.
"""
from __future__ import annotations

from .. import ops
from .loss import TensorLike, _BuiltinLoss, _tensor


def ctc(y_true: TensorLike, y_pred: TensorLike) -> TensorLike:
    """Per-sample CTC loss of 0-padded integer labels against logits (not softmax outputs)."""
    y_true, y_pred = _tensor(y_true), _tensor(y_pred)
    if len(tuple(y_true.shape)) != 2:
        raise ValueError("Targets `y_true` are expected to be a tensor of shape `(batch_size, "
                         f"max_length)` in integer format. Received: y_true.shape="
                         f"{tuple(y_true.shape)}")
    if len(tuple(y_pred.shape)) != 3:
        raise ValueError("Logits `y_pred` are expected to be a tensor of shape `(batch_size, "
                         f"max_length, num_classes)`. Received: y_pred.shape="
                         f"{tuple(y_pred.shape)}")
    labels = ops.cast(y_true, "int32")
    label_length = ops.sum(ops.cast(ops.not_equal(labels, 0), "int32"), axis=-1)
    steps = tuple(y_pred.shape)[1]
    if steps is None:
        steps = ops.cast(ops.axis_size(y_pred, 1), "int32")
    input_length = ops.multiply(ops.ones_like(label_length), steps)
    return ops.ctc_loss(labels, y_pred, label_length, input_length, mask_index=0)


class CTC(_BuiltinLoss):
    """The CTC loss (Graves et al., 2006) for unsegmented sequence labelling.

    >>> import numpy
    >>> logits = numpy.zeros((1, 3, 3), "float32")        # uniform over blank and 2 classes
    >>> round(float(CTC()([[1, 2]], logits)), 4)           # -log(5 / 27): 5 paths of 27
    1.6864
    """

    def __init__(self, reduction="sum_over_batch_size", name="ctc", dtype=None):
        super().__init__(ctc, name=name, reduction=reduction, dtype=dtype)
