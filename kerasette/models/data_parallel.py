"""fit / evaluate / predict on several MPI processes (``kerasette.distribution``).

With ``set_distribution(DataParallel())`` and more than one process, the
training loop (training.py) hands each batch to ``Replicas``:

* data: arrays are cut into the same global batches on every process (the
  shuffle order is drawn from one generator that rank 0 seeds), and each
  process takes its rows (``distribution.mesh.shard_bounds``: contiguous,
  sizes differing by at most one); a batch source (generator, ``PyDataset``,
  ``DataLoader``) is read on every process and sharded by batch index: N
  consecutive batches make a global batch, process ``r`` takes the ``r``-th
  (at the end of the data some processes may have none);
* one step: the local program computes losses, outputs and gradients; the
  gradients scaled by the shard's size, the losses times the shard's size,
  the shard's size and the metrics' state variables go into one flat buffer,
  summed over the processes by one ``MPI_Allreduce`` (the same order every
  step, so the run is reproducible); dividing by the global size gives the
  whole batch's mean gradient and losses, applied by the optimizer on every
  process alike;
* state: the weights and the optimizer's variables of rank 0 are broadcast
  before the first step; non-trainable float weights (moving statistics)
  are averaged at the end of each epoch;
* logs are global (the metrics' summed states), so ``EarlyStopping`` and
  ``ReduceLROnPlateau`` decide alike everywhere; the progress bar and the
  callbacks that write files run on rank 0 only;
* ``predict`` runs each process on its rows and gathers the outputs in order;
* ``BatchNormalization(synchronized=True)`` runs collectives inside the step
  (layers/normalization.py): the step tells them its gradient share
  (``mpi.set_gradient_share``), and a rank with no rows in a global batch
  still runs the step, on an empty batch, so that the others are not left
  waiting in them.
"""
from __future__ import annotations

import warnings

import numpy

from .. import backend, engine
from ..distribution import mesh, mpi


def replicas_for(model, what):
    """A ``Replicas`` when a data-parallel distribution over several processes is set, else None."""
    world = mesh.data_parallel_world()
    if world is None:
        return None
    if model.run_eagerly and what != "predict":
        raise ValueError(f"{what}() with a DataParallel distribution over {world[1]} processes runs the compiled "
                         "step; compile the model with run_eagerly=False")
    replicas = Replicas(*world)
    replicas.sharded = what == "fit" and bool(getattr(mesh.distribution(), "sharded_update", False))
    return replicas


def session(model, what, callbacks, verbose, batches):
    """``(outer, replicas, callbacks, verbose, steps)`` for a loop about to start: what
    ``model._replicas`` held (a ``fit`` around this call; the caller puts it back when
    it ends), the ``Replicas`` it holds now (the outer one, a new one, or None on one
    process), and this rank's callbacks, verbosity and steps per epoch."""
    outer = getattr(model, "_replicas", None)
    replicas = model._replicas = outer if outer is not None else replicas_for(model, what)
    if replicas is None:
        return outer, None, callbacks, verbose, batches.steps
    callbacks, verbose = replicas.callbacks(callbacks, verbose)
    return outer, replicas, callbacks, verbose, replicas.steps(batches)


def abort_others(replicas, outer, error):
    """``fit`` raised on this rank: the others would wait for it in their next
    collective forever, so every rank is aborted (``MPI_Abort``), with the reason."""
    if replicas is None or outer is not None:
        return
    import sys
    import traceback
    text = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    sys.stderr.write(f"kerasette.distribution: rank {replicas.rank} raised {type(error).__name__} in fit; "
                     f"aborting every rank (MPI_Abort)\n{text}")
    sys.stderr.flush()
    mpi.world().Abort(1)


def single_batch(model, kind, batch, tracker_class):
    """``train_on_batch`` / ``test_on_batch`` as one global step (the batch sharded by
    rank); the logs, or None on one process."""
    replicas = getattr(model, "_replicas", None)
    if replicas is None:
        if mesh.data_parallel_world() is None:
            return None
        # kept between calls: rank 0's weights are broadcast once, not at every batch
        replicas = getattr(model, "_batch_replicas", None) or replicas_for(model, f"{kind}_on_batch")
        model._batch_replicas = replicas
    return replicas.step_and_log(model, kind, replicas._local(batch), None, tracker_class)[1]


def epoch(model, batches):
    """One epoch's batches: all of them, or this rank's part under data parallelism."""
    replicas = getattr(model, "_replicas", None)
    return batches.epoch() if replicas is None else replicas.epoch(batches)


def samples(model, batch):
    """The samples a step ran: the batch's, or the global batch's under data parallelism."""
    replicas = getattr(model, "_replicas", None)
    return len(batch[0][0]) if replicas is None else replicas.global_count


#: callbacks that write to files or the terminal: on rank 0 only
def _rank_zero_only():
    from .. import callbacks
    return (callbacks.ProgbarLogger, callbacks.ModelCheckpoint, callbacks.CSVLogger, callbacks.TensorBoard)


class Replicas:
    """One process's part in data-parallel training; see the module docstring."""

    def __init__(self, rank, size, auto_shard=True):
        self.rank, self.size, self.auto_shard = rank, size, auto_shard
        self.synced = set()
        self.template = None        # one row of the current global batch: programs build from it
        self.global_count = 0       # samples in the last global batch
        self.lengths = {}           # the step buffer's length by kind, checked once against the others'
        self.agreed = {}            # auto_shard_dataset=False: the steps every rank takes, by batch set
        self.known_total = False    # whether global_count is the current global batch's size before its step
        self.sharded = False        # DataParallel(sharded_update=True) in fit: sharded_update.py
        self.plans = {}             # its plan per step program
        generator = backend.rng()
        if rank and hasattr(generator.bit_generator, "jumped"):
            # draws inside the model (dropout masks) differ from rank to rank; the
            # shuffle order comes from rank 0's generator (``_array_epoch``)
            generator.bit_generator.state = generator.bit_generator.jumped(rank).state

    # ------------------------------------------------------------ callbacks
    def callbacks(self, callbacks, verbose):
        """The callbacks and verbosity of this rank: rank 0 keeps everything."""
        if self.rank == 0 or not callbacks:
            return callbacks, (verbose if self.rank == 0 else 0)
        from ..callbacks.callback_list import _flatten
        writers = _rank_zero_only()
        return [c for c in _flatten(callbacks) if not isinstance(c, writers)], 0

    # ----------------------------------------------------------------- data
    def epoch(self, batches):
        """This rank's batches of one epoch (None where it has none this step)."""
        from .data import ArrayBatches
        if not self.auto_shard:
            return self._own_epoch(batches)
        if isinstance(batches, ArrayBatches):
            return self._array_epoch(batches)
        return self._source_epoch(batches)

    def _array_epoch(self, batches):
        generator = backend.rng()
        if batches.shuffle:
            # one shuffle order everywhere: drawn from rank 0's generator state
            shared = mpi.broadcast(generator.bit_generator.state if self.rank == 0 else None)
            own = generator.bit_generator.state
            generator.bit_generator.state = shared
        iterator = batches.epoch()
        first = next(iterator, None)
        if batches.shuffle:
            if self.rank == 0:
                own = generator.bit_generator.state
            generator.bit_generator.state = own
        if first is None:
            return
        for batch in _chain(first, iterator):
            yield self._local(batch)

    def _local(self, batch):
        xs, ys, weights = batch
        count = self.global_count = len(xs[0])
        self.known_total = True
        self.template = ([x[:1] for x in xs], None if ys is None else [y[:1] for y in ys])
        if not self.auto_shard:
            return batch
        start, stop = mesh.shard_bounds(count, self.rank, self.size)
        if start == stop:
            return None
        pick = slice(start, stop)
        return ([x[pick] for x in xs], None if ys is None else [y[pick] for y in ys],
                None if weights is None else [None if w is None else w[pick] for w in weights])

    def _own_epoch(self, batches):
        """``auto_shard_dataset=False``: each rank's data is its own part; every rank
        takes as many batches as the rank with the fewest."""
        steps = self._agreed_steps(batches)
        for step, batch in enumerate(batches.epoch()):
            if step >= steps:
                break
            self._local(batch)
            yield batch

    def _agreed_steps(self, batches):
        if id(batches) not in self.agreed:
            counts = mpi.allgather(batches.steps)
            if any(count is None for count in counts):
                raise ValueError("DataParallel(auto_shard_dataset=False) needs each rank's number of batches: pass "
                                 f"steps_per_epoch, or data with a len() (the ranks have {counts})")
            if len(set(counts)) > 1 and self.rank == 0:
                warnings.warn(f"DataParallel(auto_shard_dataset=False): the ranks hold {counts} batches; each "
                              f"epoch takes {min(counts)} on every rank, the others are left out", stacklevel=4)
            self.agreed[id(batches)] = min(counts)
        return self.agreed[id(batches)]

    def _source_epoch(self, batches):
        group = []
        for batch in batches.epoch():
            group.append(batch)
            if len(group) == self.size:
                yield self._pick(group)
                group = []
        if group:
            yield self._pick(group)

    def _pick(self, group):
        self.known_total = False
        xs, ys, _ = group[0]
        self.template = ([x[:1] for x in xs], None if ys is None else [y[:1] for y in ys])
        return group[self.rank] if self.rank < len(group) else None

    def steps(self, batches):
        """Global steps of an epoch (for the progress bar)."""
        from .data import ArrayBatches
        if not self.auto_shard:
            return self._agreed_steps(batches)
        if isinstance(batches, ArrayBatches) or batches.steps is None:
            return batches.steps
        return -(-batches.steps // self.size)

    # ----------------------------------------------------------------- state
    def sync(self, model, optimizer=False):
        """Rank 0's weights (and optimizer variables) on every rank, once per session."""
        variables = list(model.weights)
        if optimizer and getattr(model, "optimizer", None) is not None and model.optimizer.built:
            variables += list(model.optimizer.variables)
        key = (len(variables), optimizer)
        if key in self.synced:
            return
        self.synced.add(key)
        values = mpi.broadcast([numpy.asarray(v.numpy()) for v in variables] if self.rank == 0 else None)
        for variable, value in zip(variables, values):
            variable.assign(value)

    def _plan(self, model, program):
        """The sharded optimizer update of this step program (None: every rank updates all)."""
        if not self.sharded:
            return None
        if id(program) not in self.plans:
            from .sharded_update import plan_for
            self.plans[id(program)] = plan_for(model, program, self.rank, self.size)
        return self.plans[id(program)]

    def gather_optimizer_state(self):
        """With a sharded update, every optimizer slot from its owner to every rank (a
        collective: every rank calls it at the same step); nothing otherwise."""
        for plan in self.plans.values():
            if plan is not None:
                plan.gather_slots()

    def average_non_trainable(self, model):
        """Average float non-trainable weights (moving statistics) over the ranks; with a
        sharded update, gather the optimizer's slots from their owners."""
        self.gather_optimizer_state()
        variables = [v for v in model.non_trainable_weights if numpy.dtype(v.dtype).kind == "f"]
        if not variables:
            return
        flat = numpy.concatenate([numpy.asarray(v.numpy(), numpy.float64).ravel() for v in variables])
        mpi.allreduce_sum_(flat)
        flat /= self.size
        offset = 0
        for variable in variables:
            n = int(numpy.prod(variable.shape))
            variable.assign(flat[offset:offset + n].reshape(variable.shape).astype(variable.dtype))
            offset += n

    # ------------------------------------------------------------------ steps
    def step_and_log(self, model, kind, batch, trackers, tracker_class):
        """One global step (``train`` or ``evaluate``): local work, one allreduce, the
        update; returns the trackers and the global logs."""
        template_x, template_y = self.template
        program = model._program("train_replica" if kind == "train" else kind, template_x, template_y)
        self.sync(model, optimizer=(kind == "train"))
        if kind == "train" and "reductions" not in self.synced:
            self.synced.add("reductions")
            _check_reductions(model, self.rank)
        loss_count = program.loss_count
        count = 0 if batch is None else len(batch[0][0])
        grads, losses = None, numpy.zeros(loss_count)
        # arrays cut here: the global batch's size is known, so the gradients are scaled
        # by the shard's share before the sum and need no division after it
        known = self.auto_shard and self.known_total
        if kind == "train":   # collectives inside the step's backward pass weigh by it too
            mpi.set_gradient_share(count / self.global_count if known and self.global_count else count)
        if count:
            xs, ys, weights = batch
            if kind == "train":
                values = program.compute(*_feeds(xs, ys, weights))
                losses, outputs, grads = program.split(values)
            else:
                losses, outputs = model._run_batch(kind, xs, ys, weights)
            model._update_metrics(ys, outputs, weights)
        elif kind == "train" and program.collective:
            # no rows here, but the step's own collectives (synchronized BatchNormalization)
            # need every rank: run it on an empty batch, keeping only its moving statistics
            with numpy.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                program.compute(*_feeds([x[:0] for x in template_x],
                                        None if template_y is None else [y[:0] for y in template_y], None))
        metrics = _metric_variables(model)
        parts = []
        if kind == "train":
            if grads is None:
                grads = [numpy.zeros(shape, dtype) for shape, dtype in program.grad_specs]
            parts += [(g, count / self.global_count if known else count) for g in grads]
        parts += [(numpy.asarray(losses, numpy.float64), count), (numpy.asarray([count]), 1)]
        parts += [(v.numpy(), 1) for v in metrics]
        flat = _pack(parts, program.buffer_dtype if kind == "train" else numpy.float64)
        if self.lengths.get(kind) != flat.size:
            lengths = mpi.allgather(flat.size)
            if len(set(lengths)) > 1:
                raise RuntimeError(f"data parallel {kind} step: the ranks' buffers differ in length {lengths}: "
                                   "their models, optimizers or metrics hold different variables (a metric that "
                                   "creates its state on its first update, on a rank that had no samples yet?)")
            self.lengths[kind] = flat.size
        plan = self._plan(model, program) if kind == "train" else None
        offset = 0
        if plan is not None:              # reduce-scatter, this rank's update, allgather
            mine = plan.reduce(flat)
            offset = plan.gradient_length
            plan.apply_and_gather(mine, 1 if known else flat[offset + loss_count])
        else:
            mpi.allreduce_sum_(flat)      # the step's one collective
        if kind == "train" and plan is None:
            total = flat[sum(int(numpy.prod(s)) for s, _ in program.grad_specs) + loss_count]
            reduced = []
            for shape, grad_dtype in program.grad_specs:
                n = int(numpy.prod(shape))
                grad = flat[offset:offset + n] if known else flat[offset:offset + n] / total
                reduced.append(grad.reshape(shape).astype(grad_dtype, copy=False))
                offset += n
            program.apply(*reduced)
        global_losses = flat[offset:offset + loss_count]
        offset += loss_count
        total = float(flat[offset])
        offset += 1
        self.global_count = int(round(total))
        if trackers is None:
            trackers = [tracker_class() for _ in range(loss_count)]
        for tracker, value in zip(trackers, global_losses):
            tracker.update(float(value) / total if total else 0.0, total)
        return trackers, _global_logs(model, trackers, metrics, flat[offset:])

    def predict_batch(self, model, batch):
        """This rank's outputs of one batch (None where it has no rows)."""
        model._program("predict", self.template[0])
        self.sync(model)
        if batch is None:
            return None
        _, outputs = model._run_batch("predict", batch[0])
        return [numpy.asarray(o) for o in outputs]

    def gather_predictions(self, per_step):
        """Every rank's outputs, step by step, in rank order: the whole data's outputs."""
        everything = mpi.allgather(per_step)
        chunks = None
        for step in range(len(per_step)):
            for rank_steps in everything:
                outputs = rank_steps[step]
                if outputs is None:
                    continue
                chunks = [[] for _ in outputs] if chunks is None else chunks
                for store, output in zip(chunks, outputs):
                    store.append(output)
        return chunks


def _check_reductions(model, rank):
    """Each rank's loss is weighted by its share of the global batch: that is one
    process's loss for losses that are means over the batch (Keras' default,
    ``sum_over_batch_size``), not for a sum or a mean over the sample weights."""
    exact = ("sum_over_batch_size", "mean", "auto")
    odd = [(getattr(loss, "name", type(loss).__name__), getattr(loss, "reduction", None))
           for loss in getattr(model, "_loss_objects", []) if loss is not None
           and getattr(loss, "reduction", "sum_over_batch_size") not in exact]
    if odd and rank == 0:
        warnings.warn(f"DataParallel weighs each rank's loss by its share of the global batch, which gives one "
                      f"process's loss for losses averaged over the batch (reduction='sum_over_batch_size'); "
                      f"the losses {odd} are reduced otherwise, so their gradients differ from one process's",
                      stacklevel=5)


def _pack(parts, dtype):
    """One flat buffer of ``dtype`` holding each ``(array, scale)`` part times its scale, in order."""
    sizes = [int(numpy.size(part)) for part, _ in parts]
    flat = numpy.empty(sum(sizes), dtype)
    offset = 0
    for (part, scale), size_ in zip(parts, sizes):
        target = flat[offset:offset + size_]
        numpy.multiply(numpy.ravel(numpy.asarray(part)), scale, out=target, casting="unsafe")
        offset += size_
    return flat


def _chain(first, rest):
    yield first
    yield from rest


def _feeds(xs, ys, weights):
    feeds = [numpy.asarray(x) for x in xs]
    if ys is not None:
        batch = len(xs[0])
        weights = [None] * len(ys) if weights is None else weights
        feeds += list(ys) + [numpy.ones(batch, backend.floatx()) if w is None else numpy.asarray(w, backend.floatx())
                             for w in weights]
    return feeds


def _metric_variables(model):
    metrics = [metric for _, metric, _ in getattr(model, "_metric_objects", [])]
    metrics += getattr(model, "_tracked_metrics", None) or []
    return [v for metric in metrics for v in metric.variables]


def _global_logs(model, trackers, variables, states):
    """The logs with every metric's state summed over the ranks (the local state kept)."""
    saved = [numpy.array(v.numpy(), copy=True) for v in variables]
    offset = 0
    for variable in variables:
        n = int(numpy.prod(variable.shape))
        value = states[offset:offset + n].reshape(variable.shape)
        if numpy.dtype(variable.dtype).kind in "iub":
            value = numpy.rint(value)
        variable.assign(value.astype(variable.dtype))
        offset += n
    try:
        return model._logs(trackers)
    finally:
        for variable, value in zip(variables, saved):
            variable.assign(value)


class ReplicaStep:
    """The training step of one rank: ``compute`` (losses, outputs, metric values,
    gradients, and the layers' own updates), then ``apply`` (the optimizer on the
    reduced gradients)."""

    def __init__(self, step, apply, loss_count, output_count, grad_specs, records, metric_nodes):
        self.step, self.apply = step, apply
        self.collective = False     # whether the step runs collectives itself (synchronized BatchNormalization)
        self.loss_count, self.output_count = loss_count, output_count
        self.grad_specs = grad_specs
        self.metric_updates, self.metric_nodes = records, metric_nodes
        kinds = [numpy.dtype(d) for _, d in grad_specs] or [numpy.dtype(backend.floatx())]
        self.buffer_dtype = numpy.result_type(*kinds, numpy.float32)

    def compute(self, *feeds):
        return self.step(*feeds)

    def split(self, values):
        from .programs import _replay_metric_updates
        losses = values[:self.loss_count]
        outputs_end = self.loss_count + self.output_count
        metrics_end = outputs_end + len(self.metric_nodes)
        _replay_metric_updates(self.metric_updates, self.metric_nodes, values[outputs_end:metrics_end])
        return losses, values[self.loss_count:outputs_end], values[metrics_end:]


def build_replica_step(model, total, loss_fetches, outputs, metric_nodes, feeds, records, layers):
    """A ``ReplicaStep`` for the graph just traced (programs.py calls it inside its graph)."""
    from ..optimizers.base import to_program_updates
    variables = model.trainable_weights
    kept = []
    if variables:
        grads = engine.gradients(model._loss_for_gradients(total, variables),
                                 [engine.variable_from_holder(v, v.name) for v in variables])
        kept = [(v, g) for v, g in zip(variables, grads) if g is not None]
    pending = []
    for layer in layers:
        pending.extend(getattr(layer, "_pending_updates", []))
        layer._pending_updates = []
    step = engine.Program(loss_fetches + outputs + metric_nodes + [g for _, g in kept], feeds,
                          to_program_updates(pending))
    grad_feeds = [engine.placeholder(v.dtype, v.shape, name=f"grad_{i}") for i, (v, _) in enumerate(kept)]
    pairs = model.optimizer.get_updates([v for v, _ in kept], grad_feeds) if kept else []
    apply = engine.Program([], grad_feeds, to_program_updates(pairs))
    grad_specs = [(tuple(v.shape), numpy.dtype(v.dtype)) for v, _ in kept]
    replica = ReplicaStep(step, apply, len(loss_fetches), len(outputs), grad_specs, records, metric_nodes)
    replica.variables = [v for v, _ in kept]
    replica.collective = any(getattr(layer, "synchronized", False) is True for layer in layers)
    return replica


__all__ = ["Replicas", "ReplicaStep", "abort_others", "build_replica_step", "epoch", "replicas_for", "samples", "session",
           "single_batch"]
