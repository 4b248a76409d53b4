"""The sharded optimizer update of data-parallel training (``DataParallel(sharded_update=True)``).

Without it every rank sums all gradients (one allreduce) and runs the whole
optimizer update on all weights: the same work N times.  With it (the first
stage of ZeRO) the trainable variables are split into N contiguous groups of
about equal size, rank ``r`` owning group ``r``:

* the step's buffer is summed by a reduce-scatter over the gradients (each
  rank receives only its group's summed gradients) and a small allreduce over
  the losses, the sample count and the metric states;
* each rank runs the optimizer on its group alone;
* one allgather sends every group's new weights to every rank.

The reduce-scatter and the allgather move as many bytes as the allreduce
they replace (an allreduce is a reduce-scatter then an allgather), so the
update's cost is divided by N for free.  The optimizer's slots (Adam's
moments) are current only on their owner; at the end of each epoch, before
the callbacks that save models, they are gathered to every rank, so the
optimizer's state is the same everywhere again.  The weights are the same on
every rank after every step, and equal to one process's (each variable's
update is the same arithmetic on the same summed gradient).

Optimizers whose step looks at all gradients together (``global_clipnorm``,
gradient accumulation, a ``LossScaleOptimizer``) and models with fewer
trainable variables than ranks keep the plain update (``plan_for`` returns
None and says why in a warning).
"""
from __future__ import annotations

import warnings

import numpy

from .. import engine
from ..distribution import mpi


def plan_for(model, program, rank, size):
    """A ``ShardedUpdate`` for this step program, or None (plain update) with a warning."""
    optimizer = model.optimizer
    reason = None
    if getattr(optimizer, "global_clipnorm", None):
        reason = "global_clipnorm needs every gradient's norm"
    elif getattr(optimizer, "gradient_accumulation_steps", None):
        reason = "gradient accumulation"
    elif hasattr(optimizer, "inner_optimizer"):
        reason = "a LossScaleOptimizer checks every gradient"
    elif len(program.variables) < size:
        reason = f"{len(program.variables)} trainable variable(s) for {size} ranks"
    if reason is not None:
        if rank == 0:
            warnings.warn(f"DataParallel(sharded_update=True): the optimizer update is not sharded ({reason}); "
                          "every rank updates every weight", stacklevel=5)
        return None
    return ShardedUpdate(model, program, rank, size)


def _split(sizes, parts):
    """Boundaries of ``parts`` contiguous, non-empty groups of ``sizes`` whose sums are as
    near equal as whole variables allow: group ``k`` is ``sizes[bounds[k]:bounds[k + 1]]``."""
    cumulative = numpy.cumsum([0] + list(sizes))
    bounds = [0]
    for part in range(1, parts):
        target = cumulative[-1] * part / parts
        low, high = bounds[-1] + 1, len(sizes) - (parts - part)
        bounds.append(min(range(low, high + 1), key=lambda i: abs(cumulative[i] - target)))
    bounds.append(len(sizes))
    return bounds


class ShardedUpdate:
    """One rank's part of the sharded update; see the module docstring."""

    def __init__(self, model, program, rank, size):
        self.model, self.rank, self.size = model, rank, size
        self.variables = list(program.variables)
        self.sizes = [int(numpy.prod(shape)) for shape, _ in program.grad_specs]
        self.bounds = _split(self.sizes, size)
        self.counts = [sum(self.sizes[self.bounds[r]:self.bounds[r + 1]]) for r in range(size)]
        self.owned = range(self.bounds[rank], self.bounds[rank + 1])
        self.specs = program.grad_specs
        self.dtype = program.buffer_dtype
        self.gradient_length = sum(self.sizes)
        from ..optimizers.base import to_program_updates
        owned = [self.variables[i] for i in self.owned]
        feeds = [engine.placeholder(v.dtype, v.shape, name=f"grad_{i}") for i, v in zip(self.owned, owned)]
        self.apply = engine.Program([], feeds, to_program_updates(model.optimizer.get_updates(owned, feeds)))
        self.weights = numpy.empty(self.gradient_length, self.dtype)

    def reduce(self, flat):
        """Sum ``flat`` (the gradients, then the step's other numbers) over the ranks: this
        rank's group of summed gradients comes back, the rest is summed in place."""
        mine = mpi.reduce_scatter_sum(flat[:self.gradient_length], self.counts)
        tail = numpy.ascontiguousarray(flat[self.gradient_length:])
        mpi.allreduce_sum_(tail)
        flat[self.gradient_length:] = tail
        return mine

    def apply_and_gather(self, mine, divisor):
        """Run the optimizer on this rank's summed gradients (divided by ``divisor`` unless 1),
        then put every rank's new weights into every rank's variables."""
        grads, offset = [], 0
        for i in self.owned:
            shape, dtype = self.specs[i]
            n = self.sizes[i]
            grad = mine[offset:offset + n] if divisor == 1 else mine[offset:offset + n] / divisor
            grads.append(grad.reshape(shape).astype(dtype, copy=False))
            offset += n
        self.apply(*grads)
        start = sum(self.counts[:self.rank])
        own = self.weights[start:start + self.counts[self.rank]]
        offset = 0
        for i in self.owned:
            n = self.sizes[i]
            own[offset:offset + n] = numpy.ravel(self.variables[i].numpy())
            offset += n
        own = own.copy()
        mpi.allgather_segments(own, self.counts, self.weights)
        offset = 0
        for i, variable in enumerate(self.variables):
            n = self.sizes[i]
            if i not in self.owned:
                shape, dtype = self.specs[i]
                variable.assign(self.weights[offset:offset + n].reshape(shape).astype(dtype, copy=False))
            offset += n

    def gather_slots(self):
        """Every variable's optimizer slots from its owner, on every rank (the end of an epoch)."""
        optimizer = self.model.optimizer
        slots = [list(optimizer._slots[optimizer._get_variable_index(v)].items()) for v in self.variables]
        counts = [sum(int(numpy.prod(s.shape)) for r in range(self.bounds[k], self.bounds[k + 1])
                      for _, s in slots[r]) for k in range(self.size)]
        if not sum(counts):
            return
        out = numpy.empty(sum(counts), numpy.float64)
        own = numpy.concatenate([numpy.ravel(numpy.asarray(s.numpy(), numpy.float64))
                                 for i in self.owned for _, s in slots[i]] or [numpy.empty(0)])
        mpi.allgather_segments(own, counts, out)
        offset = 0
        for i in range(len(self.variables)):
            for _, slot in slots[i]:
                n = int(numpy.prod(slot.shape))
                if i not in self.owned:
                    slot.assign(out[offset:offset + n].reshape(slot.shape).astype(slot.dtype))
                offset += n


__all__ = ["ShardedUpdate", "plan_for"]
