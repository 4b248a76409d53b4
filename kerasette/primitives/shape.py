"""Shape ops: reshape, transpose, expand/squeeze, concatenate, stack, slicing and indexing, take, pad, tile, repeat, broadcast_to, one_hot."""
from __future__ import annotations
