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

How the variables are split: where the optimizer's update is elementwise
(SGD, RMSprop, Adagrad, Adadelta, Adam, AdamW, Adamax, Nadam, Lion, Ftrl,
with no ``clipnorm`` and no constraints on the weights) the flat buffer of
all gradients is cut into N equal segments whatever the variables' sizes
(``ElementShardedUpdate``: a segment may hold pieces of variables, each
updated as a flat vector with its slots; the slots' pieces stay with their
owner between steps and are written back to the optimizer's slot variables
at the end of each epoch).  Otherwise whole variables are dealt out, in
order (``ShardedUpdate``), which balances badly when one variable holds
most of the weights.  Where every rank runs on one machine the
reduce-scatter and the allgather go through shared memory (one barrier
each, distribution/shared_memory.py).

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
    if _elementwise(optimizer, program):
        return ElementShardedUpdate(model, program, rank, size)
    return ShardedUpdate(model, program, rank, size)


def _elementwise(optimizer, program):
    """Whether each number's update reads only that number's gradient and slots (and
    optimizer-wide scalars), so that any contiguous piece of a variable can be updated alone."""
    from .. import optimizers
    kinds = (optimizers.SGD, optimizers.RMSprop, optimizers.Adagrad, optimizers.Adadelta, optimizers.Adam,
             optimizers.AdamW, optimizers.Adamax, optimizers.Nadam, optimizers.Lion, optimizers.Ftrl)
    if type(optimizer) not in kinds or getattr(optimizer, "clipnorm", None):
        return False
    if any(getattr(v, "constraint", None) is not None for v in program.variables):
        return False
    if any(numpy.dtype(dtype) != numpy.dtype(program.buffer_dtype) for _, dtype in program.grad_specs):
        return False
    return len({tuple(optimizer._slots[optimizer._get_variable_index(v)]) for v in program.variables}) == 1


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


class _Plan:
    """What both plans share: the reduce-scatter of the step's buffer, and the allgather of
    the new weights into every rank's variables."""

    def reduce(self, flat):
        """Sum ``flat`` (the gradients, then the step's other numbers) over the ranks: this
        rank's segment of summed gradients comes back, the rest is summed in place."""
        return mpi.reduce_scatter_sum(flat, self.counts, tail=flat.size - self.gradient_length)

    def _share_weights(self, low, fill, updated=()):
        """Every rank's new weights in every rank's variables: ``fill(own)`` writes this
        rank's segment (from ``low``), one allgather brings the others'.  The buffer is new
        at each step, since the variables keep views of it (no second copy); variables in
        ``updated`` already hold their new values."""
        weights = numpy.empty(self.gradient_length, self.dtype)
        own = weights[low:low + self.counts[self.rank]]
        fill(own)
        mpi.allgather_segments(own, self.counts, weights)
        offset = 0
        for index, (variable, (shape, _), n) in enumerate(zip(self.variables, self.specs, self.sizes)):
            if index not in updated:
                variable.assign(weights[offset:offset + n].reshape(shape))
            offset += n


class ShardedUpdate(_Plan):
    """One rank's part of the sharded update by whole variables; see the module docstring."""

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

        def fill(own):
            offset = 0
            for i in self.owned:
                own[offset:offset + self.sizes[i]] = numpy.ravel(self.variables[i].numpy())
                offset += self.sizes[i]

        self._share_weights(sum(self.counts[:self.rank]), fill, updated=self.owned)

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


class ElementShardedUpdate(_Plan):
    """One rank's part of the sharded update when the optimizer is elementwise: rank
    ``r`` owns the ``r``-th of N equal segments of the flat gradient buffer, whatever
    variables (or pieces of them) it holds; see the module docstring."""

    def __init__(self, model, program, rank, size):
        from ..optimizers.base import _node_of
        self.model, self.rank, self.size = model, rank, size
        self.optimizer = optimizer = model.optimizer
        self.variables = list(program.variables)
        self.specs = program.grad_specs
        self.dtype = numpy.dtype(program.buffer_dtype)
        self.sizes = [int(numpy.prod(shape)) for shape, _ in self.specs]
        self.gradient_length = total = sum(self.sizes)
        self.counts = [total * (r + 1) // size - total * r // size for r in range(size)]
        self.low = total * rank // size
        high = self.low + self.counts[rank]
        # the pieces this rank updates: (variable index, start, stop) within the variable's flat values
        self.pieces, start = [], 0
        for index, count in enumerate(self.sizes):
            a, b = max(self.low, start) - start, min(high, start + count) - start
            if b > a:
                self.pieces.append((index, a, b))
            start += count
        self.slot_names = list(optimizer._slots[optimizer._get_variable_index(self.variables[0])])
        self.state = None           # the pieces' slot values, {name: flat array}, between steps
        self.apply = self._program(_node_of)      # plan_for: at least one number per rank

    def _program(self, node):
        """A program taking the pieces' gradients, values and slots and returning their new
        values and slots, with the optimizer-wide state it changes (the same step as the
        optimizer's own program, on flat pieces)."""
        optimizer = self.optimizer
        variables = [self.variables[i] for i, _, _ in self.pieces]
        grads = [engine.placeholder(self.dtype, (b - a,), name=f"grad_{i}") for i, a, b in self.pieces]
        values = [engine.placeholder(self.dtype, (b - a,), name=f"value_{i}") for i, a, b in self.pieces]
        slots = [{name: engine.placeholder(self.dtype, (b - a,), name=f"{name}_{i}") for name in self.slot_names}
                 for i, a, b in self.pieces]
        shared = {k: node(v) for k, v in optimizer._shared.items()}
        self.shared_names = list(shared)
        new_values, new_slots, new_shared = optimizer._step_values(variables, grads, values, slots, shared,
                                                                   node(optimizer._iterations))
        fetches = list(new_values) + [new[name] for new in new_slots for name in self.slot_names]
        fetches += [new_shared[k] for k in self.shared_names]
        feeds = grads + values + [piece[name] for piece in slots for name in self.slot_names]
        return engine.Program(fetches, feeds)

    def _slot_values(self):
        if self.state is None:      # from the optimizer's slots (rank 0's, broadcast before the first step)
            optimizer = self.optimizer
            self.state = [{name: numpy.ravel(optimizer._slots[optimizer._get_variable_index(self.variables[i])]
                                             [name].numpy())[a:b].copy() for name in self.slot_names}
                          for i, a, b in self.pieces]
        return self.state

    def apply_and_gather(self, mine, divisor):
        """Run the optimizer on this rank's summed gradients (divided by ``divisor`` unless 1),
        then put every rank's new weights into every rank's variables."""
        optimizer = self.optimizer
        state = self._slot_values()
        grads, values, offset = [], [], 0
        for i, a, b in self.pieces:
            grad = mine[offset:offset + b - a]
            grads.append(grad if divisor == 1 else (grad / divisor).astype(self.dtype, copy=False))
            values.append(numpy.ravel(self.variables[i].numpy())[a:b])
            offset += b - a
        results = self.apply(*grads, *values, *[piece[name] for piece in state for name in self.slot_names])
        count = len(self.pieces)
        slots = iter(results[count:count + count * len(self.slot_names)])
        self.state = [{name: numpy.ravel(next(slots)) for name in self.slot_names} for _ in self.pieces]
        for name, value in zip(self.shared_names, results[count + count * len(self.slot_names):]):
            optimizer._shared[name].assign(value)
        optimizer._iterations.assign(optimizer._iterations.numpy() + 1)

        def fill(own):
            offset = 0
            for new, (_, a, b) in zip(results[:count], self.pieces):
                own[offset:offset + b - a] = numpy.ravel(new)
                offset += b - a

        self._share_weights(self.low, fill)

    def gather_slots(self):
        """Every variable's optimizer slots, assembled from their owners' pieces, on every rank."""
        state = self._slot_values()
        optimizer = self.optimizer
        for k, name in enumerate(self.slot_names):
            full = numpy.empty(self.gradient_length, self.dtype)
            own = full[self.low:self.low + self.counts[self.rank]]
            offset = 0
            for piece, (i, a, b) in zip(state, self.pieces):
                own[offset:offset + b - a] = piece[name]
                offset += b - a
            mpi.allgather_segments(own, self.counts, full)
            offset = 0
            for variable, n in zip(self.variables, self.sizes):
                slot = optimizer._slots[optimizer._get_variable_index(variable)][name]
                slot.assign(full[offset:offset + n].reshape(slot.shape).astype(slot.dtype))
                offset += n
        self.state = None           # read back from the slots at the next step (a callback may set them)


__all__ = ["ElementShardedUpdate", "ShardedUpdate", "plan_for"]
