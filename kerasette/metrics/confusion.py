"""Confusion-matrix metrics: TP/FP/TN/FN counts, Precision, Recall and AUC.

All of them accumulate weighted counts of true/false positives/negatives at
one or more thresholds (a prediction is positive when ``y_pred > threshold``,
strictly; a label is positive when it is non-zero), then compute their
result from the counts, with Keras 3's arithmetic:

* ``Precision``/``Recall`` take ``top_k`` (only the k highest predictions of
  a row may be positive) and ``class_id`` (look at one column only);
* ``AUC`` uses ``num_thresholds`` evenly spaced thresholds with ``-epsilon``
  and ``1 + epsilon`` at the ends, counts predictions by bucket in one pass
  (``ceil(p * (T - 1)) - 1``, as Keras' optimised path does, predictions
  clipped to [0, 1]), and sums the curve with the trapezoid rule (ROC) or
  Davis & Goadrich's interpolation (PR).

State variables are Keras' (``true_positives``, ``false_positives``, ...), so
``metric.variables`` lists the same arrays Keras would.  The counting runs on
numpy (the backend array module) outside the compiled program.
"""
from __future__ import annotations

import numbers

import numpy

from .. import backend
from .. import losses as losses_module
from .base import Metric, to_array

__all__ = ["TruePositives", "FalsePositives", "TrueNegatives", "FalseNegatives", "Precision",
           "Recall", "AUC", "update_confusion_matrix_variables", "NEG_INF"]

#: the score Keras gives predictions outside the top k
NEG_INF = -1e10

_KINDS = ("tp", "fp", "tn", "fn")


def _to_list(thresholds):
    if isinstance(thresholds, (list, tuple)):
        return list(thresholds)
    if isinstance(thresholds, numpy.ndarray):
        return thresholds.tolist()
    return [thresholds]


def parse_init_thresholds(thresholds, default_threshold=0.5) -> list:
    if thresholds is not None:
        invalid = [t for t in _to_list(thresholds) if t is None or t < 0 or t > 1]
        if invalid:
            raise ValueError(f"Threshold values must be in [0, 1], got {invalid}")
    return [float(t) for t in _to_list(default_threshold if thresholds is None else thresholds)]


def is_evenly_distributed_thresholds(thresholds) -> bool:
    """Whether ``thresholds`` are ``0, 1/(n-1), ..., 1`` (give or take epsilon): the bucket path."""
    count = len(thresholds)
    if count < 3:
        return False
    even = numpy.arange(count, dtype=numpy.float32) / (count - 1)
    return bool(numpy.allclose(thresholds, even, atol=backend.epsilon()))


def _filter_top_k(x, k):
    """Keep the ``k`` largest entries of the last axis; the others become NEG_INF.

    Ties keep the lower index first, like ``top_k``.
    """
    xp = backend.array_module()
    order = xp.argsort(-x, axis=-1, kind="stable")[..., :k]
    keep = xp.zeros(x.shape, dtype=bool)
    xp.put_along_axis(keep, order, True, axis=-1)
    return xp.where(keep, x, xp.asarray(NEG_INF, dtype=x.dtype))


def _counts_by_bucket(y_true, y_pred, weights, thresholds, multi_label, with_epsilon):
    """TP and FP per threshold from bucket sums: O(N + T) instead of O(N * T)."""
    xp = backend.array_module()
    num_thresholds = len(thresholds)
    y_pred = xp.clip(y_pred, 0.0, 1.0)
    true_labels = y_true * weights
    false_labels = (1.0 - y_true) * weights
    # p lands in bucket i when t_i < p <= t_{i+1}; it is positive at thresholds 0..i
    buckets = xp.ceil(y_pred * (num_thresholds - 1)) - 1
    if with_epsilon:
        buckets = xp.maximum(buckets, 0)
    buckets = buckets.astype(numpy.int64)
    keep = buckets >= 0     # below the first threshold: positive nowhere
    if multi_label:
        num_labels = y_pred.shape[-1]
        tp_buckets = xp.zeros((num_thresholds, num_labels), dtype=y_pred.dtype)
        fp_buckets = xp.zeros((num_thresholds, num_labels), dtype=y_pred.dtype)
        rows, columns = xp.nonzero(keep)
        xp.add.at(tp_buckets, (buckets[rows, columns], columns), true_labels[rows, columns])
        xp.add.at(fp_buckets, (buckets[rows, columns], columns), false_labels[rows, columns])
        totals = true_labels.sum(axis=0), false_labels.sum(axis=0)
    else:
        tp_buckets = xp.bincount(buckets[keep], weights=true_labels[keep],
                                 minlength=num_thresholds)[:num_thresholds]
        fp_buckets = xp.bincount(buckets[keep], weights=false_labels[keep],
                                 minlength=num_thresholds)[:num_thresholds]
        totals = true_labels.sum(), false_labels.sum()
    # a prediction in bucket i counts for every threshold up to i: reversed cumulative sums
    tp = xp.cumsum(tp_buckets[::-1], axis=0)[::-1]
    fp = xp.cumsum(fp_buckets[::-1], axis=0)[::-1]
    return {"tp": tp, "fp": fp, "fn": totals[0] - tp, "tn": totals[1] - fp}


def _counts_by_comparison(label_is_positive, y_pred, weights, thresholds, multi_label):
    xp = backend.array_module()
    thresholds = xp.asarray(thresholds, dtype=y_pred.dtype)
    shape = (-1,) + (1,) * y_pred.ndim
    predicted_positive = y_pred[None] > thresholds.reshape(shape)      # (T, N[, L])
    label_is_positive = label_is_positive[None]
    axis = 1
    counts = {}
    for kind, label, predicted in (
            ("tp", label_is_positive, predicted_positive),
            ("fp", ~label_is_positive, predicted_positive),
            ("tn", ~label_is_positive, ~predicted_positive),
            ("fn", label_is_positive, ~predicted_positive)):
        hits = (label & predicted).astype(y_pred.dtype)
        counts[kind] = (hits * weights[None]).sum(axis=axis)
    del multi_label  # the per-label axis simply survives the sum over samples
    return counts


def update_confusion_matrix_variables(variables: dict, y_true, y_pred, thresholds, top_k=None,
                                      class_id=None, sample_weight=None, multi_label=False,
                                      label_weights=None, thresholds_distributed_evenly=False,
                                      dtype=None):
    """Add this batch's weighted TP/FP/TN/FN counts to ``variables`` (keys 'tp', 'fp', 'tn', 'fn').

    ``y_true`` and ``y_pred`` have the same shape (``(N,)`` against
    ``(N, 1)`` is fixed up); ``sample_weight`` is a scalar, ``(N,)`` or
    broadcastable to ``y_true``.  Without ``multi_label`` everything is
    flattened into one list of (label, prediction) pairs; with it, counts
    are kept per label column.
    """
    unknown = [key for key in variables if key not in _KINDS]
    if unknown:
        raise ValueError(f"Invalid confusion matrix keys {unknown}; expected some of {_KINDS}")
    if multi_label and label_weights is not None:
        raise ValueError("label_weights for multi-label data are applied when the label AUCs "
                         "are averaged, not here")
    xp = backend.array_module()
    dtype = dtype or backend.floatx()
    y_true = to_array(y_true).astype(dtype)
    y_pred = to_array(y_pred).astype(dtype)
    with_epsilon = bool(thresholds_distributed_evenly and (thresholds[0] < 0.0
                                                           or thresholds[-1] > 1.0))
    y_pred, y_true = losses_module.squeeze_or_expand_to_same_rank(y_pred, y_true)
    if sample_weight is not None:
        sample_weight = xp.expand_dims(to_array(sample_weight, dtype), -1)
        _, sample_weight = losses_module.squeeze_or_expand_to_same_rank(
            y_true, sample_weight, expand_rank_1=False)
    if top_k is not None:
        y_pred = _filter_top_k(y_pred, top_k)
    if class_id is not None:
        if y_pred.ndim == 1:
            raise ValueError("When class_id is given, y_pred must be 2-D "
                             f"(num_samples, num_classes), got shape {y_pred.shape}")
        y_true = y_true[..., class_id, None]
        y_pred = y_pred[..., class_id, None]

    weights = xp.ones(y_pred.shape, dtype=dtype)
    if sample_weight is not None:
        weights = weights * xp.broadcast_to(sample_weight, y_pred.shape)
    if label_weights is not None:
        weights = weights * xp.broadcast_to(xp.asarray(label_weights, dtype=dtype), y_pred.shape)
    label_is_positive = y_true != 0
    if not multi_label:
        y_pred, weights = y_pred.reshape(-1), weights.reshape(-1)
        label_is_positive = label_is_positive.reshape(-1)

    if thresholds_distributed_evenly:
        counts = _counts_by_bucket(label_is_positive.astype(dtype), y_pred, weights, thresholds,
                                   multi_label, with_epsilon)
    else:
        counts = _counts_by_comparison(label_is_positive, y_pred, weights, thresholds,
                                       multi_label)
    for kind, variable in variables.items():
        variable.assign(variable.data + counts[kind].astype(variable.dtype))


def _divide_no_nan(numerator, denominator):
    xp = backend.array_module()
    safe = xp.where(denominator == 0, 1, denominator)
    return xp.where(denominator == 0, 0, numerator / safe)


class _ConfusionMatrixConditionCount(Metric):
    _kind = "tp"

    def __init__(self, thresholds=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds = thresholds
        self.thresholds = parse_init_thresholds(thresholds, default_threshold=0.5)
        self._thresholds_distributed_evenly = is_evenly_distributed_thresholds(self.thresholds)
        self.accumulator = self.add_variable((len(self.thresholds),), "zeros",
                                             name="accumulator")

    def update_state(self, y_true, y_pred, sample_weight=None):
        update_confusion_matrix_variables(
            {self._kind: self.accumulator}, y_true, y_pred, self.thresholds,
            thresholds_distributed_evenly=self._thresholds_distributed_evenly,
            sample_weight=sample_weight, dtype=self.dtype)

    def result(self):
        value = self.accumulator.data
        return self._scalar(value[0] if len(self.thresholds) == 1 else value)

    def get_config(self) -> dict:
        return {**super().get_config(), "thresholds": self.init_thresholds}


class TruePositives(_ConfusionMatrixConditionCount):
    """Weighted count of positive labels predicted positive (``y_pred > threshold``).

    >>> m = TruePositives(); m.update_state([0, 1, 1, 1], [1, 0, 1, 1]); float(m.result())
    2.0
    """

    _kind = "tp"


class FalsePositives(_ConfusionMatrixConditionCount):
    """Weighted count of negative labels predicted positive.

    >>> m = FalsePositives(); m.update_state([0, 1, 0, 0], [0, 0, 1, 1]); float(m.result())
    2.0
    """

    _kind = "fp"


class TrueNegatives(_ConfusionMatrixConditionCount):
    """Weighted count of negative labels predicted negative.

    >>> m = TrueNegatives(); m.update_state([0, 1, 0, 0], [1, 1, 0, 0]); float(m.result())
    2.0
    """

    _kind = "tn"


class FalseNegatives(_ConfusionMatrixConditionCount):
    """Weighted count of positive labels predicted negative.

    >>> m = FalseNegatives(); m.update_state([0, 1, 1, 1], [0, 1, 0, 0]); float(m.result())
    2.0
    """

    _kind = "fn"


class _PrecisionRecall(Metric):
    _kinds = ("tp", "fp")

    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds = thresholds
        self.top_k = top_k
        self.class_id = class_id
        default = 0.5 if top_k is None else NEG_INF
        self.thresholds = parse_init_thresholds(thresholds, default_threshold=default)
        self._thresholds_distributed_evenly = is_evenly_distributed_thresholds(self.thresholds)
        size = (len(self.thresholds),)
        self.true_positives = self.add_variable(size, "zeros", name="true_positives")
        second = self._kinds[1]
        attribute = "false_positives" if second == "fp" else "false_negatives"
        setattr(self, attribute, self.add_variable(size, "zeros", name=attribute))
        self._second = getattr(self, attribute)

    def update_state(self, y_true, y_pred, sample_weight=None):
        update_confusion_matrix_variables(
            {"tp": self.true_positives, self._kinds[1]: self._second}, y_true, y_pred,
            self.thresholds, top_k=self.top_k, class_id=self.class_id,
            sample_weight=sample_weight,
            thresholds_distributed_evenly=self._thresholds_distributed_evenly, dtype=self.dtype)

    def result(self):
        tp = self.true_positives.data
        value = _divide_no_nan(tp, tp + self._second.data)
        return self._scalar(value[0] if len(self.thresholds) == 1 else value)

    def get_config(self) -> dict:
        return {**super().get_config(), "thresholds": self.init_thresholds, "top_k": self.top_k,
                "class_id": self.class_id}


class Precision(_PrecisionRecall):
    """``TP / (TP + FP)``: of the predictions called positive, how many are.

    ``thresholds`` (one or a list: one result each) default to 0.5, or to
    "any score" with ``top_k``; ``class_id`` looks at one class column.

    >>> m = Precision(); m.update_state([0, 1, 1, 1], [1, 0, 1, 1]); round(float(m.result()), 4)
    0.6667
    >>> m = Precision(top_k=2); m.update_state([0, 0, 1, 1], [1, 1, 1, 1]); float(m.result())
    0.0
    """

    _kinds = ("tp", "fp")


class Recall(_PrecisionRecall):
    """``TP / (TP + FN)``: of the positive labels, how many were predicted positive.

    >>> m = Recall(); m.update_state([0, 1, 1, 1], [1, 0, 1, 1]); round(float(m.result()), 4)
    0.6667
    """

    _kinds = ("tp", "fn")


_CURVES = {"roc": "ROC", "pr": "PR"}
_SUMMATIONS = ("interpolation", "minoring", "majoring")


class AUC(Metric):
    """Area under the ROC (default) or precision-recall curve, approximated on thresholds.

    >>> m = AUC(num_thresholds=3); m.update_state([0, 0, 1, 1], [0, 0.5, 0.3, 0.9])
    >>> float(m.result())
    0.75
    """

    def __init__(self, num_thresholds=200, curve="ROC", summation_method="interpolation",
                 name=None, dtype=None, thresholds=None, multi_label=False, num_labels=None,
                 label_weights=None, from_logits=False):
        curve_key = str(getattr(curve, "value", curve)).lower()
        if curve_key not in _CURVES:
            raise ValueError(f'Invalid AUC curve value "{curve}"; expected "ROC" or "PR"')
        summation = str(getattr(summation_method, "value", summation_method)).lower()
        if summation not in _SUMMATIONS:
            raise ValueError(f'Invalid AUC summation method "{summation_method}"; expected one '
                             f'of {list(_SUMMATIONS)}')
        self._init_from_thresholds = thresholds is not None
        if thresholds is not None:
            inner = sorted(float(t) for t in _to_list(thresholds))
            self.num_thresholds = len(inner) + 2
            self._thresholds_distributed_evenly = is_evenly_distributed_thresholds(
                numpy.array([0.0] + inner + [1.0]))
        else:
            if not isinstance(num_thresholds, numbers.Integral) or num_thresholds <= 1:
                raise ValueError(f"Argument `num_thresholds` must be an integer > 1, got "
                                 f"{num_thresholds}")
            self.num_thresholds = int(num_thresholds)
            inner = [(i + 1) * 1.0 / (self.num_thresholds - 1)
                     for i in range(self.num_thresholds - 2)]
            self._thresholds_distributed_evenly = True
        # end points below 0 and above 1 catch predictions of exactly 0 and 1
        epsilon = backend.epsilon()
        self._thresholds = numpy.array([0.0 - epsilon] + inner + [1.0 + epsilon])
        self.curve = _CURVES[curve_key]
        self.summation_method = summation
        super().__init__(name=name, dtype=dtype)
        self.multi_label = bool(multi_label)
        self.num_labels = num_labels
        self.label_weights = (None if label_weights is None
                              else numpy.asarray(label_weights, dtype=self.dtype))
        self._from_logits = bool(from_logits)
        self._built = False
        if self.multi_label:
            if num_labels:
                self._build((None, num_labels))
        else:
            if num_labels:
                raise ValueError("`num_labels` is needed only when `multi_label` is True.")
            self._build(None)

    @property
    def thresholds(self) -> list:
        """The thresholds used, end points included."""
        return list(self._thresholds)

    def _build(self, shape):
        if self.multi_label:
            if len(shape) != 2:
                raise ValueError(f"`y_pred` must have rank 2 when `multi_label=True`, got "
                                 f"shape {tuple(shape)}")
            self._num_labels = shape[1]
            variable_shape = (self.num_thresholds, self._num_labels)
        else:
            variable_shape = (self.num_thresholds,)
        self._build_input_shape = shape
        self.true_positives = self.add_variable(variable_shape, "zeros", name="true_positives")
        self.false_positives = self.add_variable(variable_shape, "zeros", name="false_positives")
        self.true_negatives = self.add_variable(variable_shape, "zeros", name="true_negatives")
        self.false_negatives = self.add_variable(variable_shape, "zeros", name="false_negatives")
        self._built = True

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = to_array(y_pred)
        if not self._built:
            self._build(y_pred.shape)
        if self._from_logits:
            from .. import ops
            y_pred = ops.sigmoid(y_pred.astype(self.dtype, copy=False))
        update_confusion_matrix_variables(
            {"tp": self.true_positives, "tn": self.true_negatives,
             "fp": self.false_positives, "fn": self.false_negatives},
            y_true, y_pred, self._thresholds,
            thresholds_distributed_evenly=self._thresholds_distributed_evenly,
            sample_weight=sample_weight, multi_label=self.multi_label,
            label_weights=None if self.multi_label else self.label_weights, dtype=self.dtype)

    def _average_labels(self, by_label):
        xp = backend.array_module()
        if self.label_weights is None:
            return xp.mean(by_label)
        weights = xp.asarray(self.label_weights)
        return _divide_no_nan(xp.sum(by_label * weights), xp.sum(weights))

    def interpolate_pr_auc(self):
        """PR-AUC with precision interpolated between thresholds (Davis & Goadrich 2006).

        Within each interval TP and P = TP + FP vary linearly, so the area is
        ``slope * (dTP + intercept * log(P_B / P_A)) / total_positives``.
        """
        xp = backend.array_module()
        tp = self.true_positives.data
        fn = self.false_negatives.data
        p = tp + self.false_positives.data
        dtp = tp[:-1] - tp[1:]
        dp = p[:-1] - p[1:]
        slope = _divide_no_nan(dtp, xp.maximum(dp, 0))
        intercept = tp[1:] - slope * p[1:]
        both_positive = (p[:-1] > 0) & (p[1:] > 0)
        ratio = xp.where(both_positive, _divide_no_nan(p[:-1], xp.maximum(p[1:], 0)), 1.0)
        with numpy.errstate(divide="ignore", invalid="ignore"):
            log_ratio = xp.log(xp.where(ratio > 0, ratio, 1.0))
        increment = _divide_no_nan(slope * (dtp + intercept * log_ratio),
                                   xp.maximum(tp[1:] + fn[1:], 0))
        if self.multi_label:
            return self._scalar(self._average_labels(xp.sum(increment, axis=0)))
        return self._scalar(xp.sum(increment))

    def result(self):
        xp = backend.array_module()
        if not self._built:
            return self._scalar(0.0)
        if self.curve == "PR" and self.summation_method == "interpolation":
            return self.interpolate_pr_auc()
        tp, fp = self.true_positives.data, self.false_positives.data
        tn, fn = self.true_negatives.data, self.false_negatives.data
        recall = _divide_no_nan(tp, tp + fn)
        if self.curve == "ROC":
            x, y = _divide_no_nan(fp, fp + tn), recall
        else:
            x, y = recall, _divide_no_nan(tp, tp + fp)
        if self.summation_method == "interpolation":
            heights = (y[:-1] + y[1:]) / 2.0
        elif self.summation_method == "minoring":
            heights = xp.minimum(y[:-1], y[1:])
        else:
            heights = xp.maximum(y[:-1], y[1:])
        terms = (x[:-1] - x[1:]) * heights
        if self.multi_label:
            return self._scalar(self._average_labels(xp.sum(terms, axis=0)))
        return self._scalar(xp.sum(terms))

    def reset_state(self) -> None:
        if self._built:
            super().reset_state()

    def get_config(self) -> dict:
        label_weights = self.label_weights
        config = {
            "num_thresholds": self.num_thresholds,
            "curve": self.curve,
            "summation_method": self.summation_method,
            "multi_label": self.multi_label,
            "num_labels": self.num_labels,
            "label_weights": None if label_weights is None else label_weights.tolist(),
            "from_logits": self._from_logits,
        }
        if self._init_from_thresholds:
            # without the end points, so that from_config adds them back once
            config["thresholds"] = [float(t) for t in self.thresholds[1:-1]]
        return {**super().get_config(), **config}
