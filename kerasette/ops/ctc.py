"""CTC: ``ctc_loss`` (differentiable in the logits) and ``ctc_decode`` (greedy, beam search).

Keras 3's ``keras.ops.ctc_loss(target, output, target_length, output_length,
mask_index=0)``: ``output`` holds logits ``(batch, steps, classes)``, the
loss is per batch entry.  ``ctc_decode`` gives ``(decoded, scores)`` as Keras
does: ``decoded`` is ``(top_paths, batch, steps)`` with ``-1`` after each
path's end, ``scores`` is ``(batch, top_paths)``.  Decoding has no gradient
and works on values (arrays, eager Tensors); a symbolic input raises.
"""
from __future__ import annotations

from typing import Any

import numpy

from .. import backend
from ..eager import Tensor
from ..engine import Node
from .core import apply

TensorLike = Any

__all__ = ["ctc_loss", "ctc_decode"]


def _int(x):
    if isinstance(x, (Tensor, Node)):
        from .math import cast
        return x if numpy.dtype(x.dtype).kind in "iu" else cast(x, "int32")
    return backend.as_array(x).astype("int32")


def ctc_loss(target: TensorLike, output: TensorLike, target_length: TensorLike, output_length: TensorLike,
             mask_index: int = 0) -> TensorLike:
    """Per-entry CTC loss of logits ``output`` for integer ``target`` labels; blank is ``mask_index``."""
    if not isinstance(output, (Tensor, Node)):
        output = backend.as_array(output)
        if output.dtype.kind != "f":
            output = output.astype(backend.floatx())
    return apply("ctc_loss", _int(target), output, _int(target_length), _int(output_length),
                 mask_index=int(mask_index))


def _values(x, name):
    if isinstance(x, Node):
        raise TypeError(f"ctc_decode: {name} must hold values (an array or eager Tensor), not a symbolic "
                        f"tensor; decode the model's predictions")
    return numpy.asarray(x.data if isinstance(x, Tensor) else x)


def _log_softmax(x):
    shifted = x - x.max(axis=-1, keepdims=True)
    return shifted - numpy.log(numpy.exp(shifted).sum(axis=-1, keepdims=True))


def _greedy(inputs, lengths, merge_repeated, mask_index):
    batch, steps, _ = inputs.shape
    indices = inputs.argmax(axis=-1)
    scores = inputs.max(axis=-1)
    past = numpy.arange(steps)[None, :] >= lengths[:, None]
    indices = numpy.where(past, mask_index, indices)
    scores = numpy.where(past, 0.0, scores)
    if merge_repeated:
        repeat = numpy.zeros_like(past)
        repeat[:, 1:] = indices[:, 1:] == indices[:, :-1]
        indices = numpy.where(repeat, mask_index, indices)
    decoded = numpy.full((batch, steps), -1, dtype="int32")
    for b in range(batch):
        kept = indices[b][indices[b] != mask_index]
        decoded[b, :kept.size] = kept
    return decoded[None], (-scores.sum(axis=1))[:, None].astype(inputs.dtype)


def _beam_search(inputs, lengths, beam_width, top_paths, mask_index):
    """Prefix beam search over log-softmax probabilities (blank and non-blank endings kept apart)."""
    logp = _log_softmax(inputs.astype(numpy.float64))
    batch, steps, classes = logp.shape
    decoded = numpy.full((top_paths, batch, steps), -1, dtype="int32")
    scores = numpy.full((batch, top_paths), -numpy.inf)
    for b in range(batch):
        # prefix -> (log p ending in blank, log p ending in a label)
        beams = {(): (0.0, -numpy.inf)}
        for t in range(int(lengths[b])):
            row = logp[b, t]
            nxt: dict = {}

            def add(prefix, blank, label):
                old = nxt.get(prefix, (-numpy.inf, -numpy.inf))
                nxt[prefix] = (numpy.logaddexp(old[0], blank), numpy.logaddexp(old[1], label))

            for prefix, (p_blank, p_label) in beams.items():
                total = numpy.logaddexp(p_blank, p_label)
                add(prefix, total + row[mask_index], -numpy.inf)
                last = prefix[-1] if prefix else None
                for k in range(classes):
                    if k == mask_index:
                        continue
                    if k == last:
                        add(prefix, -numpy.inf, p_label + row[k])
                        add(prefix + (k,), -numpy.inf, p_blank + row[k])
                    else:
                        add(prefix + (k,), -numpy.inf, total + row[k])
            ranked = sorted(nxt.items(), key=lambda item: -numpy.logaddexp(*item[1]))
            beams = dict(ranked[:beam_width])
        ranked = sorted(beams.items(), key=lambda item: -numpy.logaddexp(*item[1]))[:top_paths]
        for p, (prefix, probs) in enumerate(ranked):
            decoded[p, b, :len(prefix)] = prefix
            scores[b, p] = numpy.logaddexp(*probs)
    return decoded, scores.astype(inputs.dtype)


def ctc_decode(inputs: TensorLike, sequence_lengths: TensorLike, strategy: str = "greedy", beam_width: int = 100,
               top_paths: int = 1, merge_repeated: bool = True, mask_index: int = 0):
    """``(decoded, scores)`` of per-step class scores ``(batch, steps, classes)``.

    'greedy' takes the best class per step (``inputs`` as given; its score is
    minus the sum of those maxima, as Keras); 'beam_search' runs a prefix beam
    search on the log-softmax of ``inputs`` and scores each path by its log
    probability.
    """
    inputs = _values(inputs, "inputs")
    if inputs.dtype.kind != "f" or inputs.dtype.itemsize < 4:
        inputs = inputs.astype("float32")
    if inputs.ndim != 3:
        raise ValueError(f"ctc_decode: inputs must be (batch, steps, classes), got shape {inputs.shape}")
    lengths = _values(sequence_lengths, "sequence_lengths").astype("int64").reshape(-1)
    if lengths.shape[0] != inputs.shape[0]:
        raise ValueError(f"ctc_decode: sequence_lengths has {lengths.shape[0]} entries for a batch of "
                         f"{inputs.shape[0]}")
    if mask_index is None:
        mask_index = inputs.shape[-1] - 1
    if strategy == "greedy":
        decoded, scores = _greedy(inputs, lengths, merge_repeated, int(mask_index))
    elif strategy == "beam_search":
        decoded, scores = _beam_search(inputs, lengths, int(beam_width), int(top_paths), int(mask_index))
    else:
        raise ValueError(f"ctc_decode: strategy must be 'greedy' or 'beam_search', got {strategy!r}")
    if any(isinstance(x, Tensor) for x in (inputs,)):
        return Tensor(decoded), Tensor(scores)
    return decoded, scores
