"""Running one step on two half-batch shards in two threads.

numpy runs elementwise loops, copies and reductions on one core; for models
that convolve or pool, where that work dominates, a step cut in two halves
that run side by side (numpy and BLAS release the GIL) uses both cores.
``Trainer._should_shard`` decides which programs are run this way.
"""
from __future__ import annotations

import os

import numpy

from .. import backend
from ..primitives.random import RANDOM_PRIMITIVES  # every primitive that draws

SHARD_WORTHY_PRIMITIVES = {"conv", "conv_transpose", "max_pool", "avg_pool", "layer_normalization"}


def shard_worthy(node) -> bool:
    """Whether an op of a training program makes two half-batch shards pay: convolutions
    and pooling (one-threaded numpy work on many small channels), and attention's parts
    (layer normalization, a softmax over scores of rank 3 or more): batched products too
    small for two BLAS threads, and elementwise work, where one BLAS thread per shard
    beats two on the whole batch (W5: ~1.3x)."""
    name = node.op.name
    if name in SHARD_WORTHY_PRIMITIVES:
        return True
    return name == "softmax" and len(node.shape) >= 3
#: weights from which the optimizer's update runs in two lanes
LANE_MINIMUM_WEIGHTS = 1 << 17


def threads_allowed() -> bool:
    """Whether steps may use the helper thread at all: not when switched off
    (``set_parallel_shards(1)``), on one core, or with the arrays on a GPU
    (whose work is already asynchronous)."""
    return (backend.parallel_shards() != 1 and (os.cpu_count() or 1) >= 2
            and backend.array_module() is numpy)


def _run_shards(program, feeds, minimum_shard):
    """Run ``program`` on the two halves of the batch side by side; returns
    the per-shard results and each shard's share of the batch."""
    size = len(feeds[0])
    if size < 2 * minimum_shard or backend.on_helper_thread():
        return [program(*feeds)], [1.0]
    half = (size + 1) // 2
    with backend.limit_blas_threads(1):
        other = backend.helper_thread().submit(program, *[feed[half:] for feed in feeds])
        first = program(*[feed[:half] for feed in feeds])
        results = [first, other.result()]
    return results, [half / size, (size - half) / size]


def _combine(results, shares, loss_count, fetch_count):
    """Losses weighted by shard share (the batch mean), outputs joined in order."""
    losses = [sum(share * result[i] for share, result in zip(shares, results)) for i in range(loss_count)]
    outputs = [numpy.concatenate([result[i] for result in results], axis=0) if len(results) > 1
               else results[0][i] for i in range(loss_count, fetch_count)]
    return losses + outputs


class ShardedForward:
    """An inference or evaluation program run on two half-batch shards in two threads."""

    def __init__(self, program, loss_count, minimum_shard=64):
        self.program = program
        self.loss_count = loss_count
        self.minimum_shard = minimum_shard

    def __call__(self, *feeds):
        results, shares = _run_shards(self.program, feeds, self.minimum_shard)
        return _combine(results, shares, self.loss_count, len(results[0]))


class ShardedStep:
    """A training step run as two half-batch shards on two threads, then one update.

    ``step`` computes the losses, outputs and gradients of one shard (numpy
    and BLAS release the GIL, so the shards really run side by side, each
    with one BLAS thread); the gradients are averaged weighted by shard size
    in a fixed order, which equals the whole batch's mean-loss gradient, and
    ``apply`` runs the optimizer's updates on them.  Called like a Program.
    """

    def __init__(self, step, apply, fetch_count, minimum_shard=16):
        self.step, self.apply = step, apply
        self.fetch_count = fetch_count
        self.minimum_shard = minimum_shard
        self.loss_count = 1

    def __call__(self, *feeds):
        results, shares = _run_shards(self.step, feeds, self.minimum_shard)
        grads = []
        for i in range(self.fetch_count, len(results[0])):
            total = results[0][i] * shares[0]
            for share, result in zip(shares[1:], results[1:]):
                total = total + result[i] * share
            grads.append(total.astype(results[0][i].dtype, copy=False))
        self.apply(*grads)
        return _combine(results, shares, self.loss_count, self.fetch_count)



__all__ = ["ShardedForward", "ShardedStep", "RANDOM_PRIMITIVES", "SHARD_WORTHY_PRIMITIVES", "shard_worthy",
           "LANE_MINIMUM_WEIGHTS", "threads_allowed"]
