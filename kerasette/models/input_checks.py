"""Checks of what users hand to fit/evaluate/predict and the on-batch methods.

Every check here runs before the first batch, so a refusal leaves each
weight, optimizer slot and metric as it was, and each message names the
argument and the shapes involved.  Batches from generators and Sequences are
checked one by one as they arrive, before their own step.

Where Keras 3 refuses, the refusal says the same; where it fails late or
silently (a float label for a sparse loss, a string target, a zero or
negative batch size), kerasette refuses up front.  NaN and inf in the data
are not refused: training proceeds, as in Keras, and ``TerminateOnNaN``
stops it.
"""
from __future__ import annotations

import math
import numbers

import numpy

from ..primitives.base import format_shape

#: array kinds a model can take: bool, signed and unsigned integers, floats
_NUMERIC_KINDS = "biuf"


# ------------------------------------------------------------ arguments
def integer_argument(value, name: str, minimum: int = 1, allow_none: bool = False):
    """``value`` as an ``int`` of at least ``minimum`` (or None where allowed).

    ``TypeError`` for what is not an integer (``2.5``, ``"32"``, ``True``),
    ``ValueError`` for an integer below ``minimum``.
    """
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {value!r} ({type(value).__name__})")
    value = int(value)
    if value < minimum:
        wanted = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
        raise ValueError(f"{name} must be {wanted}, got {value}")
    return value


def verbose_level(verbose) -> int:
    """``"auto"`` is 1; otherwise a non-negative integer (0 silent, 1 bar, 2 one line per epoch)."""
    if verbose == "auto":
        return 1
    if not isinstance(verbose, numbers.Integral):
        raise TypeError(f"verbose must be 'auto', 0, 1 or 2, got {verbose!r}")
    return integer_argument(int(verbose), "verbose", minimum=0)


def validation_split_index(split, total: int) -> int:
    """Where ``validation_split`` cuts ``total`` samples: the last part validates.

    The fraction must be in [0, 1), and both parts must keep at least one
    sample (Keras 3 refuses the same); with ``total=None`` only the fraction
    is checked.
    """
    if isinstance(split, bool) or not isinstance(split, numbers.Real):
        raise TypeError(f"validation_split must be a float in [0, 1), got {split!r} ({type(split).__name__})")
    if not 0.0 <= split < 1.0:
        raise ValueError(f"validation_split must be in [0, 1), got {split}")
    if split == 0 or total is None:
        return total
    index = int(math.floor(total * (1.0 - split)))
    if index == 0 or index == total:
        raise ValueError(f"validation_split={split} cannot cut {total} sample(s) into a training and a "
                         "validation set with at least one sample each; pass more data or another "
                         "validation_split")
    return index


# --------------------------------------------------------------- arrays
def label(argument: str, index: int, count: int, names=None) -> str:
    """``x``, or ``x['input_2']`` / ``x[1]`` for one of several arrays."""
    if count <= 1:
        return argument
    return f"{argument}[{names[index]!r}]" if names and index < len(names) else f"{argument}[{index}]"


def check_numeric(arrays, argument: str, names=None):
    """Each array holds numbers (bool, int or float) and has a batch axis."""
    for index, array in enumerate(arrays or []):
        if array is None:
            continue
        name = label(argument, index, len(arrays), names)
        # text is checked against the model's string Inputs (check_inputs)
        if array.dtype.kind not in _NUMERIC_KINDS and not (argument == "x" and array.dtype.kind in "OUS"
                                                           and array.ndim > 0):
            raise TypeError(f"{name} must hold numbers (bool, int or float), got an array of dtype "
                            f"{array.dtype} and shape {format_shape(array.shape)}")
        if array.ndim == 0:
            raise ValueError(f"{name} must have a batch axis (one entry per sample), got a scalar "
                             f"of shape {format_shape(array.shape)}")


def sample_weight_vectors(weights, names=None):
    """Per-sample weights as vectors: ``(N,)``, or ``(N, 1)`` squeezed to it."""
    if weights is None:
        return None
    check_numeric(weights, "sample_weight", names)
    result = []
    for index, weight in enumerate(weights):
        if weight is not None and weight.ndim != 1:
            if weight.ndim == 2 and weight.shape[1] == 1:
                weight = weight[:, 0]
            else:
                name = label("sample_weight", index, len(weights), names)
                raise ValueError(f"{name} must hold one weight per sample, shape (N,) or (N, 1), got "
                                 f"shape {format_shape(weight.shape)}")
        result.append(weight)
    return result


def check_not_empty(xs, what: str):
    """``what`` needs at least one sample."""
    if xs and len(xs[0]) == 0:
        raise ValueError(f"{what}() received no samples: x has shape {format_shape(xs[0].shape)}")


def _adjusted_rank(x, expected):
    """Keras 3's rank adjustment of an input: ``(N,)`` for an ``Input((1,))`` gains its axis of 1,
    ``(N, ..., 1)`` one axis longer than its Input loses it; anything else is left as it is."""
    if x.ndim == len(expected) - 1 and len(expected) >= 2 and expected[-1] == 1:
        return x[..., None]
    if x.ndim == len(expected) + 1 and x.ndim >= 2 and x.shape[-1] == 1:
        return x[..., 0]
    return x


def check_inputs(model, xs):
    """Each input array fits its ``Input`` (functional models; others find out when traced).
    Returns the arrays, each with Keras 3's rank adjustment (``_adjusted_rank``)."""
    if not model.is_functional:
        return xs
    if len(xs) != len(model.inputs):
        raise ValueError(f"Model '{model.name}' expects {len(model.inputs)} input(s), got {len(xs)} array(s) "
                         f"of shapes {', '.join(format_shape(x.shape) for x in xs)}")
    xs = [_adjusted_rank(x, node.shape) for node, x in zip(model.inputs, xs)]
    for node, x in zip(model.inputs, xs):
        expected = node.shape
        if x.ndim != len(expected) or any(e is not None and e != d for e, d in zip(expected[1:], x.shape[1:])):
            raise ValueError(f"Input '{node.origin[0].layer.name}' of model '{model.name}' expects arrays of "
                             f"shape {format_shape(expected)}, got {format_shape(x.shape)}")
    names = [node.origin[0].layer.name for node in model.inputs]
    for index, (node, x) in enumerate(zip(model.inputs, xs)):
        if (node.dtype.kind == "O") != (x.dtype.kind in "OUS"):
            wanted = "strings (its Input has dtype 'string')" if node.dtype.kind == "O" else \
                "numbers (bool, int or float)"
            raise TypeError(f"{label('x', index, len(xs), names)} must hold {wanted}, got an array of dtype "
                            f"{x.dtype} and shape {format_shape(x.shape)}")
    return xs


# -------------------------------------------------------------- targets
def loss_kind(loss_object) -> str:
    """'sparse' or 'categorical' for the cross-entropies whose targets have a fixed
    form, 'builtin' for Keras' other built-in losses, else 'other'."""
    from .. import losses
    wrapped = getattr(loss_object, "fn", None)
    if isinstance(loss_object, losses.SparseCategoricalCrossentropy) or \
            wrapped is losses.sparse_categorical_crossentropy:
        return "sparse"
    if isinstance(loss_object, losses.CategoricalCrossentropy) or wrapped is losses.categorical_crossentropy:
        return "categorical"
    if wrapped is not None and wrapped in losses._FUNCTIONS:
        return "builtin"
    return "other"


def _loss_name(loss_object) -> str:
    wrapped = getattr(loss_object, "fn", None)
    return getattr(wrapped, "__name__", None) or getattr(loss_object, "name", None) or type(loss_object).__name__


def check_targets(loss_objects, output_shapes, output_names, ys):
    """Targets must fit their output and loss: the form the loss expects and,
    for sparse losses, integral class indices inside the output's range."""
    for index, y in enumerate(ys or []):
        loss_object = loss_objects[index] if index < len(loss_objects) else None
        if loss_object is None or index >= len(output_shapes):
            continue
        output_shape = tuple(output_shapes[index])
        name = f"y for output '{output_names[index]}'"
        kind = loss_kind(loss_object)
        if kind == "sparse":
            _check_sparse_labels(loss_object, name, y, output_shape)
        elif kind == "categorical":
            classes = output_shape[-1] if output_shape else None
            if y.ndim != len(output_shape) or (classes is not None and y.shape[-1] != classes):
                raise ValueError(
                    f"{name} has shape {format_shape(y.shape)}, but categorical_crossentropy expects "
                    f"one-hot targets shaped like the output {format_shape(output_shape)}; for class "
                    "indices use sparse_categorical_crossentropy (or kerasette.utils.to_categorical)")
        else:
            _check_elementwise_target(loss_object, kind, name, y, output_shape)


def _check_sparse_labels(loss_object, name, y, output_shape):
    loss = _loss_name(loss_object)
    if not (y.ndim == len(output_shape) - 1 or (y.ndim == len(output_shape) and y.shape[-1] == 1)):
        raise ValueError(
            f"{name} has shape {format_shape(y.shape)}, but {loss} expects class indices of shape "
            f"{format_shape((None,) + tuple(output_shape[1:-1]))} for an output of shape "
            f"{format_shape(output_shape)}; for one-hot targets use categorical_crossentropy")
    if y.size == 0:
        return
    if y.dtype.kind == "f":
        bad = ~numpy.isfinite(y)
        bad[~bad] = y[~bad] != numpy.floor(y[~bad])
        if bad.any():
            where = numpy.unravel_index(int(numpy.flatnonzero(bad)[0]), y.shape)
            where = where[0] if len(where) == 1 else where
            raise ValueError(f"{name} (shape {format_shape(y.shape)}) holds {y[bad].flat[0].item()!r} at index "
                             f"{where}, but {loss} needs integer class indices; round or cast the labels "
                             "(e.g. y.astype('int64'))")
    classes = output_shape[-1] if output_shape else None
    if classes is None:
        return
    ignore = getattr(loss_object, "ignore_class", None)
    if ignore is None:
        ignore = getattr(loss_object, "_fn_kwargs", {}).get("ignore_class")
    valid = y if ignore is None else y[y != ignore]
    if valid.size and (valid.min() < 0 or valid.max() >= classes):
        offending = valid[(valid < 0) | (valid >= classes)].flat[0]
        raise ValueError(f"{name} (shape {format_shape(y.shape)}): {loss}'s class indices must be in "
                         f"[0, {classes}) for an output of shape {format_shape(output_shape)}, got "
                         f"{offending.item()!r} (values from {valid.min()} to {valid.max()})")


def _check_elementwise_target(loss_object, kind, name, y, output_shape):
    """The target's shape must pair with the output's as Keras' losses pair them.

    Keras 3 first squeezes or expands a last axis of size 1 when the ranks
    differ by one (``squeeze_or_expand_to_same_rank``), then subtracts: a
    target ``(N,)`` against an output ``(N, 3)`` fails to broadcast there
    (or, for a batch of 3, broadcasts into a wrong (3, 3) loss).  Built-in
    losses are held to that pairing; a loss of the user's own only to ranks
    that differ by at most one and a last axis of 1 or the output's.
    """
    classes = output_shape[-1] if output_shape else None
    mismatch = abs(y.ndim - len(output_shape)) > 1 or (
        y.ndim == len(output_shape) and classes is not None and y.shape[-1] not in (1, classes))
    if kind == "builtin" and not mismatch:
        if y.ndim == len(output_shape) - 1:
            mismatch = classes is not None and classes != 1
        elif y.ndim == len(output_shape) + 1:
            mismatch = y.shape[-1] != 1
        else:
            mismatch = any(o is not None and d not in (1, o) and o != 1
                           for d, o in zip(y.shape[1:], output_shape[1:]))
    if mismatch:
        raise ValueError(
            f"{name} has shape {format_shape(y.shape)}, which does not fit the output's shape "
            f"{format_shape(output_shape)} for the loss {_loss_name(loss_object)}: pass one target "
            f"per output value, shape {format_shape((len(y),) + tuple(output_shape[1:]))}")


# -------------------------------------------------------- batch sources
def check_source_arguments(source, y, sample_weight, kind: str):
    """Batches carry their own targets and weights: ``y`` and ``sample_weight``
    beside them are refused, with Keras 3's message."""
    for value, argument, description in ((y, "y", "the targets"),
                                         (sample_weight, "sample_weights", "the sample weights")):
        if value is not None:
            raise ValueError(f"When providing `x` as a {kind}, `{argument}` should not be passed. Instead, "
                             f"{description} should be included as part of the {kind}.")


# --------------------------------------------------------- class weights
def check_class_weight(class_weight, output_count: int):
    """A dict of integer class index -> number, for a single-output model (as Keras 3)."""
    if not class_weight:
        return None
    if not isinstance(class_weight, dict):
        raise TypeError("class_weight must be a dict mapping integer class indices to weights, got "
                        f"{type(class_weight).__name__}")
    for key, value in class_weight.items():
        if isinstance(key, bool) or not isinstance(key, numbers.Integral):
            raise TypeError(f"class_weight keys must be integer class indices, got {key!r} "
                            f"({type(key).__name__}) in {class_weight!r}")
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise TypeError(f"class_weight values must be numbers, got {value!r} for class {key}")
    if output_count > 1:
        raise ValueError(f"class_weight is only supported for models with a single output; this one has "
                         f"{output_count}: pass sample_weight per output instead")
    return class_weight


def class_weight_vector(y, class_weight, dtype):
    """Each sample's class weight (1 for classes not named), as Keras: the class is
    the rounded label, or the argmax of a one-hot row."""
    labels = y.argmax(axis=-1) if (y.ndim > 1 and y.shape[-1] > 1) else y.reshape(len(y), -1)[:, 0]
    labels = numpy.rint(labels).astype(numpy.int64) if labels.dtype.kind in "fb" else labels
    classes, inverse = numpy.unique(labels, return_inverse=True)
    table = numpy.array([class_weight.get(int(c), 1.0) for c in classes], dtype)
    return table[inverse.reshape(-1)]


__all__ = ["check_class_weight", "check_inputs", "check_source_arguments", "check_not_empty", "check_numeric", "check_targets",
           "class_weight_vector", "integer_argument", "label", "loss_kind", "sample_weight_vectors",
           "validation_split_index", "verbose_level"]
