"""Loss functions and Loss classes: Keras 3's names, arguments, formulas and reduction.

Two faces, as in Keras:

* loss *functions* (``mean_squared_error``, ``categorical_crossentropy``, ...)
  take ``y_true, y_pred`` and return one value per sample (the mean, or sum,
  over the last axis already taken), unreduced over the batch;
* loss *classes* (``MeanSquaredError()``, ``CategoricalCrossentropy(from_logits=True)``)
  are called as ``loss(y_true, y_pred, sample_weight=None)``: they run the
  function, weight the per-sample values and reduce them to the scalar a
  model minimises (``reduction='sum_over_batch_size'`` by default).

Everything is written with ``kerasette.ops`` only, so one definition serves a
compiled training graph (symbolic nodes, batch size unknown until run time),
eager Tensors (the gradient flows back through ``backward()``) and plain
arrays (metrics use the functions on numpy predictions).  The
cross-entropies hand over to the fused ops of ``kerasette.ops.nn``, whose
gradient is one vectorised pass.  float32 stays float32: Python constants
never widen a float32 tensor.

``get``, ``serialize`` and ``deserialize`` read and write Keras' identifiers
and configs (Keras 3's ``{"module", "class_name", "config",
"registered_name"}`` and Keras 2's ``{"class_name", "config"}`` with
``reduction="auto"``).

The package, by family, as Keras 3 splits ``keras/src/losses``:
``loss.py`` (the ``Loss`` base, reductions, masks and sample weights,
``LossFunctionWrapper``), ``regression.py``, ``probabilistic.py``
(cross-entropies, KL divergence, Poisson), ``hinge.py``, ``focal.py`` (focal
and generalized cross-entropies), ``segmentation.py`` (Dice, Tversky),
``metric_learning.py`` (Circle) and ``ctc.py``; this module
re-exports them all and holds the registry (``get``, ``serialize``,
``deserialize``, ``to_loss_object``).

>>> from kerasette import losses
>>> losses.MeanSquaredError()([[0.0, 1.0]], [[1.0, 1.0]])   # mean over both axes
array(0.5, dtype=float32)
"""
from __future__ import annotations

from ..serialization import Keras3Registry
from .ctc import CTC, ctc
from .focal import (BinaryFocalCrossentropy, CategoricalFocalCrossentropy,
                    CategoricalGeneralizedCrossEntropy, binary_focal_crossentropy,
                    categorical_focal_crossentropy, categorical_generalized_cross_entropy)
from .hinge import CategoricalHinge, Hinge, SquaredHinge, categorical_hinge, hinge, squared_hinge
from .loss import (REDUCTIONS, Loss, LossFunctionWrapper, _to_snake_case, reduce_weighted_values,
                   squeeze_or_expand_to_same_rank)
from .metric_learning import Circle, circle
from .probabilistic import (KLD, BinaryCrossentropy, CategoricalCrossentropy, KLDivergence, Poisson,
                            SparseCategoricalCrossentropy, binary_crossentropy, categorical_crossentropy,
                            kl_divergence, kld, kullback_leibler_divergence, poisson,
                            sparse_categorical_crossentropy)
from .regression import (MAE, MAPE, MSE, MSLE, CosineSimilarity, Huber, LogCosh, MeanAbsoluteError,
                         MeanAbsolutePercentageError, MeanSquaredError, MeanSquaredLogarithmicError, cosine_proximity,
                         cosine_similarity, huber, log_cosh, logcosh, mae, mape, mean_absolute_error,
                         mean_absolute_percentage_error, mean_squared_error, mean_squared_logarithmic_error, mse, msle)
from .segmentation import Dice, Tversky, dice, tversky

# names outside __all__ that kerasette.losses has always offered and other modules use
# (metrics read the helpers and dtype_name; saving, metrics and models/input_checks read
# _BY_NAME, _FUNCTIONS and _lookup, defined below)
from ..ops.math import dtype_name  # noqa: F401
from .loss import (TensorLike, _l2_normalize, _last_dim, _prediction_and_target, _rank, _tensor,  # noqa: F401
                   apply_mask, reduce_values, standardize_reduction)

__all__ = [
    "Loss", "LossFunctionWrapper", "MeanSquaredError", "MeanAbsoluteError",
    "MeanAbsolutePercentageError", "MeanSquaredLogarithmicError", "Hinge", "SquaredHinge",
    "CategoricalHinge", "LogCosh", "Huber", "CategoricalCrossentropy", "BinaryCrossentropy",
    "SparseCategoricalCrossentropy", "KLDivergence", "Poisson", "CosineSimilarity",
    "mean_squared_error", "mse", "MSE", "mean_absolute_error", "mae", "MAE",
    "mean_absolute_percentage_error", "mape", "MAPE", "mean_squared_logarithmic_error", "msle",
    "MSLE", "squared_hinge", "hinge", "categorical_hinge", "log_cosh", "logcosh", "huber",
    "categorical_crossentropy", "binary_crossentropy", "sparse_categorical_crossentropy",
    "kl_divergence", "kld", "KLD", "kullback_leibler_divergence", "poisson",
    "cosine_similarity", "cosine_proximity", "get", "serialize", "deserialize",
    "to_loss_object", "squeeze_or_expand_to_same_rank", "reduce_weighted_values",
    "REDUCTIONS", "BinaryFocalCrossentropy", "CategoricalFocalCrossentropy",
    "CategoricalGeneralizedCrossEntropy", "Dice", "Tversky", "Circle",
    "binary_focal_crossentropy", "categorical_focal_crossentropy",
    "categorical_generalized_cross_entropy", "dice", "tversky", "circle", "CTC", "ctc",
]



# ----------------------------------------------------------- identifiers

_CLASSES = (Loss, LossFunctionWrapper, MeanSquaredError, MeanAbsoluteError,
            MeanAbsolutePercentageError, MeanSquaredLogarithmicError, CosineSimilarity, Huber,
            LogCosh, Hinge, SquaredHinge, CategoricalHinge, KLDivergence, Poisson,
            BinaryCrossentropy, CategoricalCrossentropy, SparseCategoricalCrossentropy,
            BinaryFocalCrossentropy, CategoricalFocalCrossentropy,
            CategoricalGeneralizedCrossEntropy, Dice, Tversky, Circle, CTC)
_FUNCTIONS = (mean_squared_error, mean_absolute_error, mean_absolute_percentage_error,
              mean_squared_logarithmic_error, cosine_similarity, huber, log_cosh, hinge,
              squared_hinge, categorical_hinge, kl_divergence, poisson, binary_crossentropy,
              categorical_crossentropy, sparse_categorical_crossentropy,
              binary_focal_crossentropy, categorical_focal_crossentropy,
              categorical_generalized_cross_entropy, dice, tversky, circle, ctc)

_BY_NAME: dict = {cls.__name__: cls for cls in _CLASSES}
_BY_NAME.update({fn.__name__: fn for fn in _FUNCTIONS})
_BY_NAME.update({
    "bce": binary_crossentropy, "BCE": binary_crossentropy,
    "kld": kl_divergence, "KLD": kl_divergence,
    "kullback_leibler_divergence": kl_divergence,
    "mae": mean_absolute_error, "MAE": mean_absolute_error,
    "mse": mean_squared_error, "MSE": mean_squared_error,
    "mape": mean_absolute_percentage_error, "MAPE": mean_absolute_percentage_error,
    "msle": mean_squared_logarithmic_error, "MSLE": mean_squared_logarithmic_error,
    "logcosh": log_cosh, "cosine_proximity": cosine_similarity, "huber_loss": huber,
})
_REGISTRY = Keras3Registry("loss", Loss, _BY_NAME, "keras.losses")
_lookup = _REGISTRY.lookup


def serialize(loss) -> dict | None:
    """Keras 3's form: ``{"module": "keras.losses", "class_name", "config", "registered_name"}``.

    A loss function gives ``class_name="function"`` and its name as config.
    """
    return _REGISTRY.serialize(loss)


def deserialize(config, custom_objects: dict | None = None):
    """The loss (instance or function) a ``serialize`` dict, a Keras 2 dict or a name describes."""
    return _REGISTRY.deserialize(config, custom_objects)


def get(identifier):
    """A loss from None, a name, a config dict, a class, a function or a Loss instance.

    Function names and aliases give the function (``get("mse") is
    mean_squared_error``); class names give a fresh instance
    (``get("MeanSquaredError")``), as in Keras 3.
    """
    return _REGISTRY.get(identifier)


def to_loss_object(identifier) -> Loss | None:
    """What ``Model.compile`` needs: always a ``Loss`` instance.

    A function (given as such or by name) is wrapped in a
    ``LossFunctionWrapper`` named after it, as Keras 3's compile does:
    ``to_loss_object("mse").name == "mean_squared_error"``.
    """
    obj = get(identifier)
    if obj is None or isinstance(obj, Loss):
        return obj
    name = getattr(obj, "__name__", None) or _to_snake_case(type(obj).__name__)
    return LossFunctionWrapper(obj, name=name)
