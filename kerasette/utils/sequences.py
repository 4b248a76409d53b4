"""``pad_sequences``: a list of variable-length sequences as one padded array (Keras' rules)."""
from __future__ import annotations

import numpy as np

__all__ = ["pad_sequences"]


def pad_sequences(sequences, maxlen=None, dtype="int32", padding="pre", truncating="pre", value=0.0):
    """Pad (and cut) each sequence to ``maxlen`` steps; returns ``(len(sequences), maxlen, ...)``.

    ``maxlen`` defaults to the longest sequence.  ``padding`` / ``truncating``
    ('pre' or 'post') say at which end values are added or removed: by
    default, like Keras, both at the start, so the end of every sequence is
    kept and the last step is real data.  Items of a sequence may themselves
    be arrays (all of one shape).

    >>> pad_sequences([[1, 2, 3], [4]], maxlen=2).tolist()
    [[2, 3], [0, 4]]
    """
    if padding not in ("pre", "post"):
        raise ValueError(f'Padding type "{padding}" not understood: use "pre" or "post"')
    if truncating not in ("pre", "post"):
        raise ValueError(f'Truncating type "{truncating}" not understood: use "pre" or "post"')
    if not hasattr(sequences, "__len__"):
        raise ValueError("`sequences` must be a list of iterables")
    lengths, item_shape = [], None
    for index, sequence in enumerate(sequences):
        try:
            lengths.append(len(sequence))
        except TypeError:
            raise ValueError(f"`sequences` must be a list of iterables; item {index} is {sequence!r}") from None
        if item_shape is None and len(sequence):
            item_shape = np.asarray(sequence).shape[1:]
    item_shape = item_shape or ()
    if maxlen is None:
        maxlen = max(lengths, default=0)
    maxlen = int(maxlen)
    if maxlen < 0:
        raise ValueError(f"maxlen must be at least 0, got {maxlen}")
    text = np.issubdtype(np.dtype(dtype), np.str_) or np.issubdtype(np.dtype(dtype), np.bytes_)
    if isinstance(value, str) and np.dtype(dtype) != object and not text:
        raise ValueError(f"dtype {dtype} cannot hold the padding value {value!r}: "
                         "use dtype=object for variable-length strings")
    result = np.full((len(sequences), maxlen) + tuple(item_shape), value, dtype=dtype)
    for index, sequence in enumerate(sequences):
        kept = min(len(sequence), maxlen)
        if kept == 0:
            continue
        part = sequence[len(sequence) - kept:] if truncating == "pre" else sequence[:kept]
        part = np.asarray(part, dtype=dtype)
        if part.shape[1:] != tuple(item_shape):
            raise ValueError(f"Sequence {index} has items of shape {part.shape[1:]}, the first one "
                             f"{tuple(item_shape)}")
        if padding == "pre":
            result[index, maxlen - kept:] = part
        else:
            result[index, :kept] = part
    return result
