"""One rate read at the threshold where another reaches a target.

``SensitivityAtSpecificity``, ``SpecificityAtSensitivity``,
``PrecisionAtRecall`` and ``RecallAtPrecision`` count TP/FP/TN/FN at
``num_thresholds`` evenly spaced thresholds (0 and 1 included; one
threshold of 0.5 when ``num_thresholds=1``), with the counting of
``confusion.py``, and report the best value of the one rate over the
thresholds where the other rate is at least the target (0 when none is),
as Keras 3 does.
"""
from __future__ import annotations

import numpy

from .base import Metric
from .confusion import _divide_no_nan, update_confusion_matrix_variables

__all__ = ["SensitivityAtSpecificity", "SpecificityAtSensitivity", "PrecisionAtRecall",
           "RecallAtPrecision"]


class _SensitivitySpecificityBase(Metric):
    _target_name = "value"

    def __init__(self, value, num_thresholds=200, class_id=None, name=None, dtype=None):
        if value < 0 or value > 1:
            raise ValueError(f"Argument `{self._target_name}` must be in the range [0, 1]. "
                             f"Received: {self._target_name}={value}")
        if num_thresholds <= 0:
            raise ValueError("Argument `num_thresholds` must be an integer > 0. Received: "
                             f"num_thresholds={num_thresholds}")
        super().__init__(name=name, dtype=dtype)
        setattr(self, self._target_name, value)
        self.value = value
        self.num_thresholds = num_thresholds
        self.class_id = class_id
        if num_thresholds == 1:
            self.thresholds = [0.5]
            self._thresholds_distributed_evenly = False
        else:
            inner = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            self.thresholds = [0.0] + inner + [1.0]
            self._thresholds_distributed_evenly = True
        size = (len(self.thresholds),)
        self.true_positives = self.add_variable(size, "zeros", name="true_positives")
        self.false_positives = self.add_variable(size, "zeros", name="false_positives")
        self.true_negatives = self.add_variable(size, "zeros", name="true_negatives")
        self.false_negatives = self.add_variable(size, "zeros", name="false_negatives")

    def update_state(self, y_true, y_pred, sample_weight=None):
        update_confusion_matrix_variables(
            {"tp": self.true_positives, "tn": self.true_negatives, "fp": self.false_positives,
             "fn": self.false_negatives}, y_true, y_pred, self.thresholds,
            thresholds_distributed_evenly=self._thresholds_distributed_evenly,
            class_id=self.class_id, sample_weight=sample_weight, dtype=self.dtype)

    def _rates(self):
        tp, fp = self.true_positives.data, self.false_positives.data
        tn, fn = self.true_negatives.data, self.false_negatives.data
        return {"sensitivity": _divide_no_nan(tp, tp + fn),
                "specificity": _divide_no_nan(tn, tn + fp),
                "precision": _divide_no_nan(tp, tp + fp)}

    def _best(self, constrained, dependent):
        rates = self._rates()
        feasible = rates[constrained] >= self.value
        return self._scalar(numpy.max(numpy.where(feasible, rates[dependent], 0), initial=0))

    def get_config(self) -> dict:
        return {**super().get_config(), "class_id": self.class_id,
                "num_thresholds": self.num_thresholds,
                self._target_name: getattr(self, self._target_name)}


class SensitivityAtSpecificity(_SensitivitySpecificityBase):
    """The best sensitivity (recall) where the specificity is at least ``specificity``.

    >>> m = SensitivityAtSpecificity(0.5)
    >>> m.update_state([0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8]); float(m.result())
    0.5
    """

    _target_name = "specificity"

    def __init__(self, specificity, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(specificity, num_thresholds=num_thresholds, class_id=class_id,
                         name=name, dtype=dtype)

    def result(self):
        return self._best("specificity", "sensitivity")


class SpecificityAtSensitivity(_SensitivitySpecificityBase):
    """The best specificity where the sensitivity (recall) is at least ``sensitivity``.

    >>> m = SpecificityAtSensitivity(0.5)
    >>> m.update_state([0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8]); round(float(m.result()), 4)
    0.6667
    """

    _target_name = "sensitivity"

    def __init__(self, sensitivity, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(sensitivity, num_thresholds=num_thresholds, class_id=class_id,
                         name=name, dtype=dtype)

    def result(self):
        return self._best("sensitivity", "specificity")


class PrecisionAtRecall(_SensitivitySpecificityBase):
    """The best precision where the recall is at least ``recall``.

    >>> m = PrecisionAtRecall(0.5)
    >>> m.update_state([0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8]); float(m.result())
    0.5
    """

    _target_name = "recall"

    def __init__(self, recall, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(recall, num_thresholds=num_thresholds, class_id=class_id, name=name,
                         dtype=dtype)

    def result(self):
        return self._best("sensitivity", "precision")


class RecallAtPrecision(_SensitivitySpecificityBase):
    """The best recall where the precision is at least ``precision``.

    >>> m = RecallAtPrecision(0.8)
    >>> m.update_state([0, 0, 1, 1], [0, 0.5, 0.3, 0.9]); float(m.result())
    0.5
    """

    _target_name = "precision"

    def __init__(self, precision, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(precision, num_thresholds=num_thresholds, class_id=class_id,
                         name=name, dtype=dtype)

    def result(self):
        return self._best("precision", "sensitivity")
