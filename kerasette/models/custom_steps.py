"""User-written ``train_step`` / ``test_step``: Keras 3's way of customising fit.

A ``Model`` subclass that defines ``train_step(self, data)`` (or
``test_step``) has it called by ``fit`` (``evaluate``) once per batch, in
place of the compiled program, define-by-run.  ``data`` is packed as Keras 3
packs a batch: ``(x, y)``, ``(x, y, sample_weight)``, and without targets
``x`` alone (``(x,)`` where x is a list), each part one tensor for a single
input/output and a list for several.  The dict the step returns becomes the
batch's logs as Keras 3 makes them: nested dicts flattened, what converts
to a float converted, in key order.  At the start of each
epoch (and of each evaluation) the metrics the model lists in ``metrics``
are reset, with the compiled and attribute metrics, as Keras 3 resets
``model.metrics``.  ``train_on_batch``/``test_on_batch`` call the same steps
and, without ``return_dict``, list the values as Keras 3 does (those named
by ``model.metrics`` first, then the others in key order).  A
``predict_step(data)`` returns the batch's outputs (a tensor, or a list,
tuple or dict of them), which ``predict`` joins along the batch axis into
the same structure.
"""
from __future__ import annotations

import numpy

from ..eager import Tensor

_HOOKS = {"train": "train_step", "evaluate": "test_step", "predict": "predict_step"}


def custom_step(model, kind):
    """The user's step method for ``kind`` ("train", "evaluate", "predict"), or None."""
    # kerasette's own Model defines none of these: any one found is the user's
    return getattr(model, _HOOKS[kind], None) if kind in _HOOKS else None


def _one_or_list(arrays):
    tensors = [None if a is None else Tensor(a) for a in arrays]
    return tensors[0] if len(tensors) == 1 else tensors


def pack(batch):
    """Keras 3's batch tuple from kerasette's (xs, ys, weights) lists."""
    xs, ys, weights = batch
    x = _one_or_list(xs)
    if ys is None:
        return (x,) if isinstance(x, list) else x
    if weights is not None and any(w is not None for w in weights):
        return x, _one_or_list(ys), _one_or_list(weights)
    return x, _one_or_list(ys)


def _logs(result):
    logs = {}
    for key, value in result.items():
        if isinstance(value, dict):
            logs.update(_logs(value))
            continue
        try:
            value = float(value.numpy() if hasattr(value, "numpy") else value)
        except (TypeError, ValueError):
            pass
        logs[key] = value
    return logs


def reset_listed_metrics(model):
    """Reset what the model's ``metrics`` property lists (a subclass may override it)."""
    listed = getattr(model, "metrics", None) or []
    for metric in listed:
        reset = getattr(metric, "reset_state", None)
        if reset is not None:
            reset()


def run(model, step, batch):
    """Call the user's step on one batch; its returned dict, made into logs."""
    result = step(pack(batch))
    if result is None:
        return {}
    if not isinstance(result, dict):
        raise TypeError(f"{type(model).__name__}.{step.__name__}() must return a dict of logs (name -> value), "
                        f"got {type(result).__name__}")
    return dict(sorted(_logs(result).items()))


def values_in_order(model, logs):
    """``*_on_batch`` without ``return_dict``: Keras 3's order, one value alone."""
    names = [getattr(metric, "name", None) for metric in (getattr(model, "metrics", None) or [])]
    values = [logs[name] for name in names if name in logs]
    values += [logs[key] for key in sorted(logs) if key not in names]
    return values[0] if len(values) == 1 else values


def predict_outputs(model, step, batch):
    """The user's predict_step on one batch: (leaves as arrays, how to rebuild the structure)."""
    result = step(pack(batch))

    def as_array(value):
        return value.numpy() if hasattr(value, "numpy") else numpy.asarray(value)

    if isinstance(result, dict):
        keys = list(result)
        return [as_array(result[key]) for key in keys], lambda leaves: dict(zip(keys, leaves))
    if isinstance(result, (list, tuple)):
        kind = type(result)
        return [as_array(value) for value in result], lambda leaves: kind(leaves)
    return [as_array(result)], lambda leaves: leaves[0]
