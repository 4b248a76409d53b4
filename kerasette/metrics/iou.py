"""Intersection-over-union metrics: IoU, MeanIoU, BinaryIoU, OneHotIoU, OneHotMeanIoU.

All of them accumulate one ``(num_classes, num_classes)`` confusion matrix
(rows: true class, columns: predicted class; Keras 3's variable
``total_confusion_matrix``, integer by default: float sample weights are
truncated, as in Keras) and report the mean of
``TP / (TP + FP + FN)`` over the target classes that occur.  Labels or
predictions outside ``[0, num_classes)`` and the ``ignore_class`` are left
out.
"""
from __future__ import annotations

import warnings

import numpy

from .. import backend
from ..ops.math import dtype_name
from .base import Metric, to_array

__all__ = ["IoU", "MeanIoU", "BinaryIoU", "OneHotIoU", "OneHotMeanIoU"]


class _IoUBase(Metric):
    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None, sparse_y_true=True,
                 sparse_y_pred=True, axis=-1):
        super().__init__(name=name, dtype="int32" if dtype in (None, "int") else dtype_name(dtype))
        self.num_classes = int(num_classes)
        self.ignore_class = ignore_class
        self.sparse_y_true = sparse_y_true
        self.sparse_y_pred = sparse_y_pred
        self.axis = axis
        self.total_cm = self.add_variable((self.num_classes, self.num_classes), "zeros",
                                          name="total_confusion_matrix")

    def update_state(self, y_true, y_pred, sample_weight=None):
        xp = backend.array_module()
        y_true, y_pred = to_array(y_true), to_array(y_pred)
        if not self.sparse_y_true:
            y_true = xp.argmax(y_true, axis=self.axis)
        if not self.sparse_y_pred:
            y_pred = xp.argmax(y_pred, axis=self.axis)
        y_true = y_true.astype(self.dtype).reshape(-1)
        y_pred = y_pred.astype(self.dtype).reshape(-1)
        if y_true.shape != y_pred.shape:
            raise ValueError(f"{type(self).__name__}: y_true and y_pred must hold as many labels, "
                             f"got {y_true.shape[0]} and {y_pred.shape[0]}")
        if sample_weight is None:
            weight = xp.ones(y_true.shape, dtype=self.dtype)
        else:
            weight = to_array(sample_weight)
            if weight.dtype.kind == "f" and numpy.dtype(self.dtype).kind in "iu":
                warnings.warn("You are passing weight as `float`, but dtype is `int`. This may "
                              "result in an incorrect weight due to type casting. Consider using "
                              "integer weights.", stacklevel=2)
            weight = xp.broadcast_to(weight.astype(self.dtype).reshape(-1) if weight.ndim > 1
                                     else weight.astype(self.dtype), y_true.shape)
        valid = (y_true >= 0) & (y_true < self.num_classes) & (y_pred >= 0) & (
            y_pred < self.num_classes)
        if self.ignore_class is not None:
            valid &= y_true != self.ignore_class
        cells = y_true[valid].astype(numpy.int64) * self.num_classes + y_pred[valid].astype(
            numpy.int64)
        counts = xp.bincount(cells, weights=weight[valid].astype(numpy.float64),
                             minlength=self.num_classes ** 2)
        counts = counts.reshape(self.num_classes, self.num_classes).astype(self.dtype)
        self.total_cm.assign(self.total_cm.data + counts)

    def reset_state(self) -> None:
        self.total_cm.assign(backend.array_module().zeros(self.total_cm.shape,
                                                          dtype=self.total_cm.dtype))


class IoU(_IoUBase):
    """The mean IoU of the classes in ``target_class_ids`` (integer labels and predictions).

    >>> m = IoU(num_classes=2, target_class_ids=[0])
    >>> m.update_state([0, 1, 0, 1], [0, 1, 1, 1]); round(float(m.result()), 4)
    0.5
    """

    def __init__(self, num_classes, target_class_ids, name=None, dtype=None, ignore_class=None,
                 sparse_y_true=True, sparse_y_pred=True, axis=-1):
        super().__init__(num_classes=num_classes, name=name, dtype=dtype,
                         ignore_class=ignore_class, sparse_y_true=sparse_y_true,
                         sparse_y_pred=sparse_y_pred, axis=axis)
        target_class_ids = list(target_class_ids)
        if max(target_class_ids) >= num_classes:
            raise ValueError(f"Target class id {max(target_class_ids)} is out of range, which is "
                             f"[0, {num_classes}).")
        self.target_class_ids = target_class_ids

    def result(self):
        matrix = self.total_cm.data.astype(numpy.float32)
        true_positives = numpy.diag(matrix)
        denominator = matrix.sum(axis=0) + matrix.sum(axis=1) - true_positives
        ids = numpy.asarray(self.target_class_ids, dtype=numpy.int64)
        true_positives, denominator = true_positives[ids], denominator[ids]
        valid = denominator > 1e-9
        epsilon = numpy.float32(backend.epsilon())
        iou = numpy.where(valid, true_positives / (denominator + epsilon), numpy.float32(0.0))
        return numpy.asarray(iou.sum() / (valid.sum(dtype=numpy.float32) + epsilon),
                             dtype=numpy.float32)

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype, "num_classes": self.num_classes,
                "target_class_ids": self.target_class_ids, "ignore_class": self.ignore_class,
                "sparse_y_true": self.sparse_y_true, "sparse_y_pred": self.sparse_y_pred,
                "axis": self.axis}


class BinaryIoU(IoU):
    """IoU of 0/1 labels and scores thresholded at ``threshold`` (a score ``>= threshold`` is 1).

    >>> m = BinaryIoU(target_class_ids=[0, 1], threshold=0.3)
    >>> m.update_state([0, 1, 0, 1], [0.1, 0.2, 0.4, 0.7]); round(float(m.result()), 4)
    0.3333
    """

    def __init__(self, target_class_ids=(0, 1), threshold=0.5, name=None, dtype=None):
        super().__init__(num_classes=2, target_class_ids=target_class_ids, name=name,
                         dtype=dtype)
        self.threshold = threshold

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = to_array(y_pred, "float32")
        y_pred = (y_pred >= self.threshold).astype(self.dtype)
        y_true = to_array(y_true).astype(self.dtype)
        return super().update_state(y_true, y_pred, sample_weight)

    def get_config(self) -> dict:
        return {"target_class_ids": self.target_class_ids, "threshold": self.threshold,
                "name": self.name, "dtype": self.dtype}


class MeanIoU(IoU):
    """The IoU averaged over every class.

    >>> m = MeanIoU(num_classes=2)
    >>> m.update_state([0, 0, 1, 1], [0, 1, 0, 1]); round(float(m.result()), 4)
    0.3333
    """

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None, sparse_y_true=True,
                 sparse_y_pred=True, axis=-1):
        super().__init__(num_classes=num_classes, target_class_ids=list(range(num_classes)),
                         name=name, dtype=dtype, ignore_class=ignore_class,
                         sparse_y_true=sparse_y_true, sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self) -> dict:
        return {"num_classes": self.num_classes, "name": self.name, "dtype": self.dtype,
                "ignore_class": self.ignore_class, "sparse_y_true": self.sparse_y_true,
                "sparse_y_pred": self.sparse_y_pred, "axis": self.axis}


class OneHotIoU(IoU):
    """IoU of one-hot labels and class scores (both reduced with argmax over ``axis``).

    >>> m = OneHotIoU(num_classes=3, target_class_ids=[0, 2])
    >>> m.update_state([[0, 0, 1], [1, 0, 0]], [[0.2, 0.3, 0.5], [0.1, 0.2, 0.7]])
    >>> round(float(m.result()), 4)
    0.25
    """

    def __init__(self, num_classes, target_class_ids, name=None, dtype=None, ignore_class=None,
                 sparse_y_pred=False, axis=-1):
        super().__init__(num_classes=num_classes, target_class_ids=target_class_ids, name=name,
                         dtype=dtype, ignore_class=ignore_class, sparse_y_true=False,
                         sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self) -> dict:
        return {"num_classes": self.num_classes, "target_class_ids": self.target_class_ids,
                "name": self.name, "dtype": self.dtype, "ignore_class": self.ignore_class,
                "sparse_y_pred": self.sparse_y_pred, "axis": self.axis}


class OneHotMeanIoU(MeanIoU):
    """Mean IoU over every class, from one-hot labels and class scores.

    >>> m = OneHotMeanIoU(num_classes=3)
    >>> m.update_state([[0, 0, 1], [1, 0, 0]], [[0.2, 0.3, 0.5], [0.1, 0.2, 0.7]])
    >>> round(float(m.result()), 4)
    0.25
    """

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None,
                 sparse_y_pred=False, axis=-1):
        super().__init__(num_classes=num_classes, name=name, dtype=dtype,
                         ignore_class=ignore_class, sparse_y_true=False,
                         sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self) -> dict:
        return {"num_classes": self.num_classes, "name": self.name, "dtype": self.dtype,
                "ignore_class": self.ignore_class, "sparse_y_pred": self.sparse_y_pred,
                "axis": self.axis}
