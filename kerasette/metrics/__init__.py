"""Metrics: stateful objects that follow a number over the batches of an epoch.

``metric.update_state(y_true, y_pred, sample_weight=None)`` after each batch
(on arrays: the model fetches numpy predictions), ``metric.result()`` for the
running value, ``metric.reset_state()`` between epochs.  Keras 3's classes,
names, constructor arguments and arithmetic:

* ``base``: Metric, Mean, Sum, MeanMetricWrapper;
* ``accuracy``: Accuracy, BinaryAccuracy, CategoricalAccuracy,
  SparseCategoricalAccuracy, (Sparse)TopKCategoricalAccuracy and their
  function forms;
* ``regression``: MeanSquaredError, MeanAbsoluteError, ..., RootMeanSquaredError,
  CosineSimilarity, LogCoshError;
* ``probabilistic``: the cross-entropies, KLDivergence, Poisson and the hinges;
* ``confusion``: TruePositives ... FalseNegatives, Precision, Recall, AUC;
* ``threshold_at``: SensitivityAtSpecificity, SpecificityAtSensitivity,
  PrecisionAtRecall, RecallAtPrecision;
* ``f_score``: FBetaScore, F1Score;
* ``iou``: IoU, MeanIoU, BinaryIoU, OneHotIoU, OneHotMeanIoU;
* ``correlation``: PearsonCorrelation, ConcordanceCorrelation (and their
  functions), R2Score.

Identifiers: ``get("mse")`` and ``get("MeanSquaredError")`` give a fresh
MeanSquaredError; every loss function name (``"huber"``, ``"log_cosh"``, ...)
works too.  ``"accuracy"``/``"acc"`` in ``compile`` depend on the loss and the
output shape: ``get_metric`` (the helper for ``Model.compile``) resolves them
with ``resolve_accuracy``.

>>> from kerasette import metrics
>>> m = metrics.get("binary_accuracy")
>>> m.update_state([[1], [0]], [[0.9], [0.8]]); float(m.result())
0.5
"""
from __future__ import annotations

import inspect

from .. import losses as _losses
from ..serialization import Keras3Registry
from .accuracy import (Accuracy, BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy,
                       SparseTopKCategoricalAccuracy, TopKCategoricalAccuracy, accuracy,
                       binary_accuracy, categorical_accuracy, in_top_k,
                       sparse_categorical_accuracy, sparse_top_k_categorical_accuracy,
                       top_k_categorical_accuracy)
from .base import Mean, MeanMetricWrapper, Metric, Sum, reduce_to_samplewise_values
from .correlation import (ConcordanceCorrelation, PearsonCorrelation, R2Score,
                          concordance_correlation, pearson_correlation)
from .f_score import F1Score, FBetaScore
from .iou import BinaryIoU, IoU, MeanIoU, OneHotIoU, OneHotMeanIoU
from .confusion import (AUC, FalseNegatives, FalsePositives, Precision, Recall, TrueNegatives,
                        TruePositives)
from .probabilistic import (BinaryCrossentropy, CategoricalCrossentropy, CategoricalHinge, Hinge,
                            KLDivergence, Poisson, SparseCategoricalCrossentropy, SquaredHinge)
from .regression import (CosineSimilarity, LogCoshError, MeanAbsoluteError,
                         MeanAbsolutePercentageError, MeanSquaredError,
                         MeanSquaredLogarithmicError, RootMeanSquaredError)
from .threshold_at import (PrecisionAtRecall, RecallAtPrecision, SensitivityAtSpecificity,
                           SpecificityAtSensitivity)

# the loss functions, and their short names, double as metric functions, as in keras.metrics
from ..losses import (KLD, MAE, MAPE, MSE, MSLE, binary_crossentropy, binary_focal_crossentropy,
                      categorical_crossentropy, categorical_focal_crossentropy,
                      categorical_hinge, hinge, huber, kl_divergence, kld,
                      kullback_leibler_divergence, log_cosh, logcosh, mae, mape,
                      mean_absolute_error, mean_absolute_percentage_error, mean_squared_error,
                      mean_squared_logarithmic_error, mse, msle, poisson,
                      sparse_categorical_crossentropy, squared_hinge)

acc = accuracy

__all__ = [
    "Metric", "Mean", "Sum", "MeanMetricWrapper", "Accuracy", "BinaryAccuracy",
    "CategoricalAccuracy", "SparseCategoricalAccuracy", "TopKCategoricalAccuracy",
    "SparseTopKCategoricalAccuracy", "MeanSquaredError", "MeanAbsoluteError",
    "MeanAbsolutePercentageError", "MeanSquaredLogarithmicError", "RootMeanSquaredError",
    "CosineSimilarity", "LogCoshError", "BinaryCrossentropy", "CategoricalCrossentropy",
    "SparseCategoricalCrossentropy", "KLDivergence", "Poisson", "Hinge", "SquaredHinge",
    "CategoricalHinge", "TruePositives", "FalsePositives", "TrueNegatives", "FalseNegatives",
    "Precision", "Recall", "AUC",
    "accuracy", "binary_accuracy", "categorical_accuracy", "sparse_categorical_accuracy",
    "top_k_categorical_accuracy", "sparse_top_k_categorical_accuracy", "in_top_k",
    "binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy",
    "hinge", "squared_hinge", "categorical_hinge", "huber", "kl_divergence", "log_cosh",
    "mean_absolute_error", "mean_absolute_percentage_error", "mean_squared_error",
    "mean_squared_logarithmic_error", "poisson", "mse", "MSE", "mae", "MAE", "mape", "MAPE",
    "msle", "MSLE", "kld", "KLD", "kullback_leibler_divergence", "logcosh", "acc",
    "get", "serialize", "deserialize", "resolve_accuracy", "get_metric",
    "reduce_to_samplewise_values", "F1Score", "FBetaScore", "R2Score", "IoU", "MeanIoU",
    "OneHotIoU", "OneHotMeanIoU", "BinaryIoU", "PearsonCorrelation", "ConcordanceCorrelation",
    "PrecisionAtRecall", "RecallAtPrecision", "SensitivityAtSpecificity",
    "SpecificityAtSensitivity", "pearson_correlation", "concordance_correlation",
    "binary_focal_crossentropy", "categorical_focal_crossentropy",
]

_CLASSES = (Metric, Mean, Sum, MeanMetricWrapper, MeanSquaredError, RootMeanSquaredError,
            MeanAbsoluteError, MeanAbsolutePercentageError, MeanSquaredLogarithmicError,
            CosineSimilarity, LogCoshError, AUC, FalseNegatives, FalsePositives, Precision,
            Recall, TrueNegatives, TruePositives, Hinge, SquaredHinge, CategoricalHinge,
            KLDivergence, Poisson, BinaryCrossentropy, CategoricalCrossentropy,
            SparseCategoricalCrossentropy, Accuracy, BinaryAccuracy, CategoricalAccuracy,
            SparseCategoricalAccuracy, TopKCategoricalAccuracy, SparseTopKCategoricalAccuracy,
            F1Score, FBetaScore, R2Score, IoU, MeanIoU, OneHotIoU, OneHotMeanIoU, BinaryIoU,
            PearsonCorrelation, ConcordanceCorrelation, PrecisionAtRecall, RecallAtPrecision,
            SensitivityAtSpecificity, SpecificityAtSensitivity)

_BY_NAME: dict = {cls.__name__: cls for cls in _CLASSES}
_BY_NAME.update({_losses._to_snake_case(cls.__name__): cls for cls in _CLASSES})
_BY_NAME.update({
    "bce": BinaryCrossentropy, "BCE": BinaryCrossentropy,
    "mse": MeanSquaredError, "MSE": MeanSquaredError,
    "mae": MeanAbsoluteError, "MAE": MeanAbsoluteError,
    "mape": MeanAbsolutePercentageError, "MAPE": MeanAbsolutePercentageError,
    "msle": MeanSquaredLogarithmicError, "MSLE": MeanSquaredLogarithmicError,
    "rmse": RootMeanSquaredError,
    "kld": KLDivergence, "KLD": KLDivergence, "kullback_leibler_divergence": KLDivergence,
    "logcosh": LogCoshError, "log_cosh": LogCoshError, "log_cosh_error": LogCoshError,
    "cosine_proximity": CosineSimilarity, "acc": Accuracy,
})

#: metric functions by name (what a MeanMetricWrapper config names as its fn)
_METRIC_FUNCTIONS = {fn.__name__: fn for fn in (
    accuracy, binary_accuracy, categorical_accuracy, sparse_categorical_accuracy,
    top_k_categorical_accuracy, sparse_top_k_categorical_accuracy, pearson_correlation,
    concordance_correlation)}


class _MetricRegistry(Keras3Registry):
    """Metric names first; then any loss function ("huber", ...) works as a metric.

    The metric functions need no place in the name table: each is named like
    its class (``binary_accuracy``), whose name gives the class first.
    """

    def find(self, name):
        found = super().find(name)
        if found is None:
            loss = _losses._BY_NAME.get(name)
            if not inspect.isclass(loss):
                found = loss
        return found

    def function_module(self, fn) -> str:
        return "keras.metrics" if _METRIC_FUNCTIONS.get(fn.__name__) is fn else "keras.losses"

    def resolve_function(self, name, config, custom_objects=None):
        if custom_objects and name in custom_objects:
            return custom_objects[name]
        if config.get("module") == "keras.losses" and name in _losses._BY_NAME:
            return _losses._BY_NAME[name]
        if name in _METRIC_FUNCTIONS:
            return _METRIC_FUNCTIONS[name]
        return _losses._lookup(name)


_REGISTRY = _MetricRegistry("metric", Metric, _BY_NAME, "keras.metrics")
_lookup = _REGISTRY.lookup


def serialize_function(fn) -> dict:
    """Keras 3's record of a function: ``{"class_name": "function", "config": name, ...}``."""
    return _REGISTRY.serialize_function(fn)


def serialize(metric) -> dict | None:
    """``{"module": "keras.metrics", "class_name": ..., "config": ..., "registered_name": ...}``."""
    return _REGISTRY.serialize(metric)


def deserialize(config, custom_objects: dict | None = None):
    """The metric (instance or function) a ``serialize`` dict, Keras 2 dict or name describes."""
    return _REGISTRY.deserialize(config, custom_objects)


def get(identifier):
    """A metric from None, a name, a config dict, a class, a function or a Metric instance.

    Names give a fresh instance (``get("mse")`` is a ``MeanSquaredError``, as in
    Keras 3); names of loss functions with no metric class (``"huber"``) give the
    function; functions and instances pass through.
    """
    return _REGISTRY.get(identifier)


# -------------------------------------------------- compile's special names

def _loss_kind(loss) -> str | None:
    """'binary', 'sparse' or 'categorical' for the cross-entropy losses, else None."""
    if loss is None:
        return None
    if isinstance(loss, (str, dict)):
        try:
            loss = _losses.get(loss)
        except ValueError:
            return None
    fn = loss.fn if isinstance(loss, _losses.LossFunctionWrapper) else loss
    if isinstance(loss, _losses.BinaryCrossentropy) or fn is _losses.binary_crossentropy:
        return "binary"
    if (isinstance(loss, _losses.SparseCategoricalCrossentropy)
            or fn is _losses.sparse_categorical_crossentropy):
        return "sparse"
    if (isinstance(loss, _losses.CategoricalCrossentropy)
            or fn is _losses.categorical_crossentropy):
        return "categorical"
    return None


def _choose(loss, output_shape, y_true_shape):
    """tf.keras' rule, with Keras 3's look at the labels when the loss says nothing."""
    kind = _loss_kind(loss)
    last = None if output_shape is None or len(output_shape) == 0 else output_shape[-1]
    if last == 1 or kind == "binary":
        return "binary"
    if kind == "sparse":
        return "sparse"
    if kind is None and y_true_shape is not None and output_shape is not None:
        y_true_shape = tuple(y_true_shape)
        if len(y_true_shape) < len(output_shape) or (
                len(y_true_shape) == len(output_shape) and y_true_shape[-1:] == (1,)):
            return "sparse"
    return "categorical"


def resolve_accuracy(loss, output_shape, y_true_shape=None, name: str = "accuracy") -> Metric:
    """The accuracy metric that ``metrics=["accuracy"]`` (or ``"acc"``) means for this model.

    Keras' rule: ``BinaryAccuracy`` when the output's last dimension is 1 or
    the loss is binary cross-entropy; ``SparseCategoricalAccuracy`` when the
    loss is sparse categorical cross-entropy; ``CategoricalAccuracy``
    otherwise.  When the loss is none of the cross-entropies (a custom loss),
    integer-looking labels (``y_true_shape`` of lower rank than the output,
    or a last dimension of 1) choose the sparse form, as Keras 3 does.  The
    metric keeps the ``name`` the user wrote (``"acc"`` stays ``"acc"``).

    >>> resolve_accuracy("sparse_categorical_crossentropy", (None, 10)).name
    'accuracy'
    >>> type(resolve_accuracy("mse", (None, 1), name="acc")).__name__
    'BinaryAccuracy'
    """
    kind = _choose(loss, output_shape, y_true_shape)
    cls = {"binary": BinaryAccuracy, "sparse": SparseCategoricalAccuracy,
           "categorical": CategoricalAccuracy}[kind]
    return cls(name=name)


def resolve_crossentropy(loss, output_shape, y_true_shape=None,
                         name: str = "crossentropy") -> Metric:
    """tf.keras' ``"crossentropy"``/``"ce"`` metric: the cross-entropy matching loss and output."""
    kind = _choose(loss, output_shape, y_true_shape)
    cls = {"binary": BinaryCrossentropy, "sparse": SparseCategoricalCrossentropy,
           "categorical": CategoricalCrossentropy}[kind]
    return cls(name=name)


def get_metric(identifier, loss=None, output_shape=None, y_true_shape=None) -> Metric | None:
    """What ``Model.compile(metrics=[...])`` makes of one entry: always a Metric (or None).

    * ``"accuracy"``/``"acc"`` (and ``"crossentropy"``/``"ce"``) are resolved
      from the loss and output shape (``resolve_accuracy``);
    * other strings become the metric they name, renamed to the string
      (``"mse"`` reports as ``mse``, like Keras);
    * a function is wrapped in a ``MeanMetricWrapper`` named after it;
    * a Metric class is instantiated; an instance is returned as it is.
    """
    if identifier is None:
        return None
    if isinstance(identifier, str):
        lowered = identifier.lower()
        if lowered in ("accuracy", "acc"):
            return resolve_accuracy(loss, output_shape, y_true_shape, name=identifier)
        if lowered in ("crossentropy", "ce"):
            return resolve_crossentropy(loss, output_shape, y_true_shape, name=identifier)
    metric = get(identifier)
    if not isinstance(metric, Metric):
        name = getattr(metric, "__name__", None) or _losses._to_snake_case(type(metric).__name__)
        metric = MeanMetricWrapper(metric, name=name)
    if isinstance(identifier, str):
        metric.name = identifier
    return metric
