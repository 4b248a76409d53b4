"""The compiled programs behind fit/evaluate/predict, and running one batch.

The first call of ``fit``, ``evaluate`` or ``predict`` on data of a new
signature (dtypes and shapes past the batch axis) builds a program for that
kind of work, once, and every later batch reruns it:

* train: the model's graph re-run with ``training=True`` on fresh
  placeholders, the losses, ``engine.gradients`` of the total, and the
  optimizer's updates (plus BatchNormalization's moving statistics and
  weight constraints), all one ``engine.Program``;
* evaluate: the same forward (``training=False``) and losses, no updates;
* predict: the forward alone.

The total loss is Keras 3's: the compiled losses (none when ``compile`` had
no loss), plus every loss the layers added with ``add_loss`` during the
traced call (each summed to a scalar), plus the trainable weights' regularization
penalties, in training and evaluation alike.  A model without trainable
weights (all frozen, or none at all) has no optimizer step: its program
only computes the losses (and BatchNormalization's updates).  Metrics that
layers update inside ``call`` are recorded while the graph is traced
(``metrics.base.capture_symbolic_updates``); the program also fetches the
values they were given, and ``_run_batch`` replays the updates on them.

Each program records its outputs' static shapes (``output_shapes``), which
the input checks read for models that are not functional.  Programs of
models that convolve or pool may run as two shards (sharding.py).
``run_eagerly=True`` runs the same step define-by-run instead.
"""
from __future__ import annotations

import contextlib

import numpy

from .. import backend, eager, engine
from ..eager import Tensor
from ..layers.layer import not_recording
from ..layers.structure import flatten, map_structure
from ..metrics.base import capture_symbolic_updates
from .sharding import (LANE_MINIMUM_WEIGHTS, RANDOM_PRIMITIVES, ShardedForward, shard_worthy,
                       ShardedStep, threads_allowed)



#: the smallest shard of a matmul model's prediction or evaluation run as two shards
MATMUL_SHARD_ROWS = 512


def _worth_shards(nodes) -> bool:
    """Whether shardable op ``nodes`` (None: not shardable) pay for two shards: forced by
    ``set_parallel_shards(2)``, or an op ``sharding.shard_worthy``."""
    return nodes is not None and (backend.parallel_shards() == 2 or any(shard_worthy(node) for node in nodes))


def _all_layers(layer):
    """``layer`` and every layer nested in it, each once."""
    seen, stack, result = set(), [layer], []
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        result.append(current)
        stack.extend(reversed(current._layers))
    return result


class ProgramBuilder:
    """Building, caching and running the compiled programs (mixed into ``Trainer``)."""

    # ----------------------------------------------------------- programs
    def _input_placeholders(self, xs):
        if self.is_functional:
            return [engine.placeholder(node.dtype, node.shape, name=node.name) for node in self.inputs]
        return [engine.placeholder(_dtype_for(x), (None,) + tuple(x.shape[1:]), name=f"input_{i + 1}")
                for i, x in enumerate(xs)]

    def _trace(self, placeholders, training):
        """Run the model's graph on new placeholders (nothing recorded in the layers);
        the flat outputs."""
        return self._trace_all(placeholders, training)[0]

    def _trace_all(self, placeholders, training, capture_metrics=False):
        """``_trace``, returning also the losses the layers added during this call
        and, with ``capture_metrics``, the metric updates made in ``call``
        (``(metric, args, kwargs)`` on symbolic values)."""
        structure = placeholders[0] if len(placeholders) == 1 else list(placeholders)
        from .sequential import Sequential
        if isinstance(self, Sequential) and not self.is_functional and len(placeholders) == 1:
            # a Sequential without an input shape builds its graph first, recorded
            # (its layers' calls are its structure), then runs it like any other
            self.build(placeholders[0].shape)
        for layer in _all_layers(self):
            layer._pending_updates = []
        capture = capture_symbolic_updates() if capture_metrics else contextlib.nullcontext([])
        with not_recording(), capture as records:
            outputs = self(structure, training=training)
        flat = flatten(outputs)
        added = []
        for layer in _all_layers(self):
            added.extend(layer._call_losses)
            # those nodes belong to the program's graph: the layers do not keep them
            layer._call_losses = []
        if not self._resolved and self.compiled:
            self._resolve_compile(len(flat))
        return flat, added, list(records)

    def _loss_nodes(self, outputs, targets, weights):
        """The compiled losses: their weighted sum (None when there is none) and
        each output's loss (None for an output without one)."""
        terms, per_output = [], []
        for index, output in enumerate(outputs):
            loss_object = self._loss_objects[index]
            if loss_object is None:
                per_output.append(None)
                continue
            if index >= len(targets):
                raise ValueError(f"The loss of output '{self._output_names(len(outputs))[index]}' needs targets: "
                                 "pass y, or batches of (inputs, targets)")
            value = _call_loss(loss_object, targets[index], output, weights[index])
            per_output.append(value)
            terms.append(value * self._loss_weights[index] if self._loss_weights[index] != 1.0 else value)
        return _sum(terms), per_output

    def _additional_loss_nodes(self, call_losses):
        """Keras 3's additional losses: each ``add_loss`` value of the traced call
        summed to a scalar, then the regularization penalty of each trainable
        weight (a frozen weight's penalty is not trained on, nor reported)."""
        from .. import ops
        terms = []
        for loss in call_losses:
            if not isinstance(loss, engine.Node):
                loss = engine.constant(numpy.asarray(getattr(loss, "data", loss), backend.floatx()))
            if loss.dtype.kind != "f":
                loss = ops.cast(loss, backend.floatx())
            terms.append(ops.sum(loss) if loss.shape != () else loss)
        for regularizer, variable in self._trainable_regularized():
            terms.append(regularizer(engine.variable_from_holder(variable)))
        return terms

    def _trainable_regularized(self):
        """``(regularizer, variable)`` of the model's trainable weights, layer by layer."""
        trainable = {id(variable) for variable in self.trainable_weights}
        return [(regularizer, variable) for layer in _all_layers(self)
                for regularizer, variable in getattr(layer, "_regularized", []) if id(variable) in trainable]

    def _total_loss(self, compiled, additional):
        total = _sum(([] if compiled is None else [compiled]) + list(additional))
        if total is None:
            raise ValueError("No loss to compute. Provide a `loss` argument in `compile()`, or add losses "
                             "in the model's layers with `self.add_loss()`.")
        return total

    def _target_placeholders(self, ys, outputs):
        targets = []
        for index, (y, output) in enumerate(zip(ys, outputs)):
            shape = (None,) + tuple(y.shape[1:])
            targets.append(engine.placeholder(_dtype_for(y), shape, name=f"target_{index + 1}"))
        weights = [engine.placeholder(backend.floatx(), (None,), name=f"sample_weight_{i + 1}")
                   for i in range(len(outputs))]
        return targets, weights

    def _program(self, kind, xs, ys=None):
        """The compiled program for ``kind`` on data like ``xs`` (and ``ys``), built once."""
        signature = (kind,) + tuple((x.dtype.str, x.shape[1:]) for x in xs) + (
            tuple((y.dtype.str, y.shape[1:]) for y in ys) if ys is not None else ())
        if not hasattr(self, "_programs"):
            self._programs = {}   # predict works before compile
        program = self._programs.get(signature)
        if program is not None:
            return program
        backend.tune_memory_allocator()
        with engine.Graph().as_default():
            inputs = self._input_placeholders(xs)
            outputs, call_losses, records = self._trace_all(inputs, training=kind in ("train", "train_replica"),
                                                            capture_metrics=(kind != "predict"))
            if kind == "predict":
                program = engine.Program(outputs, inputs)
                program.loss_count = 0
                shard = self._forward_shard(outputs)
                if shard:
                    program = ShardedForward(program, 0, minimum_shard=shard)
            else:
                self._check_targets(ys, outputs)
                targets, weights = self._target_placeholders(ys, outputs) if ys is not None else ([], [])
                compiled, per_output = self._loss_nodes(outputs, targets, weights)
                total = self._total_loss(compiled, self._additional_loss_nodes(call_losses))
                loss_fetches = [total] + _per_output_losses(per_output)
                metric_nodes = _metric_nodes(records)
                feeds = inputs + targets + weights
                # a loss a layer added may sum over the batch, and the captured metric
                # values need not have a batch axis: neither splits into shards
                shardable = not records and not call_losses
                if kind == "train_replica":   # data parallel over MPI: data_parallel.py
                    from .data_parallel import build_replica_step
                    program = build_replica_step(self, total, loss_fetches, outputs, metric_nodes, feeds, records,
                                                 _all_layers(self))
                    program.output_shapes = [tuple(node.shape) for node in outputs]
                    self._programs[signature] = program
                    return program
                updates = []
                if kind == "train":
                    if shardable and self.trainable_weights and self._should_shard(loss_fetches + outputs):
                        program = self._sharded_step(total, loss_fetches + outputs, feeds)
                        program.loss_count = len(loss_fetches)
                        program.output_shapes = [tuple(node.shape) for node in outputs]
                        self._programs[signature] = program
                        return program
                    updates = self._training_updates(total)
                program = engine.Program(loss_fetches + outputs + metric_nodes, feeds, updates,
                                         update_lanes=self._update_lanes() if updates else 1)
                program.loss_count = len(loss_fetches)
                program.output_count = len(outputs)
                program.metric_updates, program.metric_nodes = records, metric_nodes
                shard = self._forward_shard(loss_fetches + outputs) if kind == "evaluate" and shardable else None
                if shard:
                    program = ShardedForward(program, len(loss_fetches), minimum_shard=shard)
            program.output_shapes = [tuple(node.shape) for node in outputs]
        self._programs[signature] = program
        return program

    def _should_shard(self, fetches) -> bool:
        """Whether the training step runs as two half-batch shards on two threads.

        It pays where numpy's one-threaded elementwise work dominates
        (convolutions and pooling of few channels, attention) and hurts where
        BLAS already uses both cores (large matmuls), so 'auto' shards programs
        that convolve, pool or attend (``sharding.shard_worthy``).  Never when a step draws random numbers
        (one generator, two threads) or updates batch statistics (each shard
        would see half a batch).
        """
        return _worth_shards(self._shardable_nodes(fetches))

    def _forward_shard(self, fetches):
        """The smallest shard (rows) of a prediction or evaluation program run as two half-batch
        shards, or None: as for training steps (``_should_shard``), and besides, for programs
        with matmuls, batches of 1024 rows or more.  There one BLAS thread per shard on half
        the rows runs the products as fast as two threads on all of them, and the bias adds
        and activations in between run on both cores (W2 inference, 1024 rows: 9.1 -> 8.5 ms;
        2048: 17.3 -> 15.6 ms; but 768 rows +4%, 512 +18%: benchmarks/NOTES.md, session 7)."""
        nodes = self._shardable_nodes(fetches)
        if _worth_shards(nodes):
            return 64
        if nodes is not None and any(node.op.name == "matmul" for node in nodes):
            return MATMUL_SHARD_ROWS
        return None

    def _shardable_nodes(self, fetches):
        """The op nodes of a program that may run as shards, or None: threads allowed, no layer
        updating batch statistics, nothing drawing random numbers."""
        if not threads_allowed():
            return None
        if any(getattr(layer, "_pending_updates", None) for layer in _all_layers(self)):
            return None
        nodes = [node for node in engine.topological_order(fetches) if node.kind == "op"]
        if {node.op.name for node in nodes} & RANDOM_PRIMITIVES:
            return None
        return nodes

    def _update_lanes(self) -> int:
        """How many threads run the optimizer's update: 2 when there are
        enough weights for the second thread to pay for its hand-off (~20 us;
        Adam on W2's 669k weights takes ~1 ms on one core), else 1."""
        if not threads_allowed():
            return 1
        weights = sum(int(numpy.prod(v.shape)) for v in self.trainable_weights)
        # with OpenBLAS's long spinning a second lane shares a core with the spinner: slower
        if weights < LANE_MINIMUM_WEIGHTS or not backend.blas_spinning_is_short():
            return 1
        return 2

    def _loss_for_gradients(self, total, variables):
        """The loss the gradients are taken of: ``optimizer.scale_loss(total)`` (Keras' trainers
        do the same), so a LossScaleOptimizer or a ``loss_scale_factor``, which unscale the
        gradients they are given, see scaled ones.  The optimizer is built first so that a
        dynamic scale is read from its variable at every step, not frozen at its initial value."""
        if not self.optimizer.built:
            self.optimizer.build(variables)
        return self.optimizer.scale_loss(total)

    def _sharded_step(self, total, fetches, feeds):
        from ..optimizers.base import to_program_updates
        variables = self.trainable_weights
        grads = engine.gradients(self._loss_for_gradients(total, variables), [engine.variable_from_holder(v, v.name) for v in variables])
        kept = [(v, g) for v, g in zip(variables, grads) if g is not None]
        step = engine.Program(fetches + [g for _, g in kept], feeds)
        grad_feeds = [engine.placeholder(v.dtype, v.shape, name=f"grad_{i}") for i, (v, _) in enumerate(kept)]
        pairs = self.optimizer.get_updates([v for v, _ in kept], grad_feeds)
        apply = engine.Program([], grad_feeds, to_program_updates(pairs), update_lanes=self._update_lanes())
        return ShardedStep(step, apply, len(fetches))

    def _training_updates(self, total):
        """The optimizer's updates of the trainable weights (none when there are
        none: a frozen model trains without a step, as in Keras) and the layers'
        pending updates (BatchNormalization's moving statistics)."""
        from ..optimizers.base import to_program_updates
        variables = self.trainable_weights
        pairs = []
        if variables:
            nodes = [engine.variable_from_holder(v, v.name) for v in variables]
            grads = engine.gradients(self._loss_for_gradients(total, variables), nodes)
            # the optimizer's pairs already apply each variable's constraint
            pairs = list(self.optimizer.get_updates(variables, grads))
        for layer in _all_layers(self):
            pairs.extend(getattr(layer, "_pending_updates", []))
            layer._pending_updates = []
        return to_program_updates(pairs)

    def _check_targets(self, ys, outputs):
        if ys is None:
            return   # the compiled losses that need targets say so (_loss_nodes)
        if len(ys) != len(outputs):
            raise ValueError(f"The model has {len(outputs)} output(s) but {len(ys)} target array(s) were given")

    # -------------------------------------------------------- one batch
    def _run_batch(self, kind, xs, ys=None, weights=None):
        """Run one batch; returns (loss values, output arrays)."""
        xs = [numpy.asarray(x) for x in xs]
        if self.run_eagerly and kind != "predict":
            return self._run_batch_eagerly(kind, xs, ys, weights)
        program = self._program(kind, xs, ys)
        if kind == "predict":
            return [], program(*xs)
        feeds = list(xs)
        if ys is not None:
            batch = len(xs[0])
            if weights is None:
                weights = [None] * len(ys)
            weights = [numpy.ones(batch, backend.floatx()) if w is None else numpy.asarray(w, backend.floatx())
                       for w in weights]
            feeds += list(ys) + weights
        values = program(*feeds)
        losses_end = program.loss_count
        outputs_end = losses_end + getattr(program, "output_count", len(values) - losses_end)
        _replay_metric_updates(getattr(program, "metric_updates", ()), getattr(program, "metric_nodes", ()),
                               values[outputs_end:])
        return values[:losses_end], values[losses_end:outputs_end]

    def _run_batch_eagerly(self, kind, xs, ys, weights):
        training = kind == "train"
        inputs = [Tensor(x) for x in xs]
        structure = inputs[0] if len(inputs) == 1 else inputs
        context = eager.enable_grad() if training else eager.no_grad()
        with context:
            outputs = flatten(self(structure, training=training))
            if not self._resolved:
                self._resolve_compile(len(outputs))
            batch = len(xs[0])
            targets, tensors = [], []
            if ys is not None:
                targets = [Tensor(y) for y in ys]
                weights = [None] * len(ys) if weights is None else weights
                tensors = [Tensor(numpy.ones(batch, backend.floatx()) if w is None
                                  else numpy.asarray(w, backend.floatx())) for w in weights]
            compiled, per_output = self._loss_nodes(outputs, targets, tensors)
            call_losses = [loss for layer in _all_layers(self) for loss in layer._call_losses]
            additional = [_summed(loss) for loss in call_losses]
            additional += [regularizer(variable) for regularizer, variable in self._trainable_regularized()]
            total = self._total_loss(compiled, additional)
            variables = self.trainable_weights
            if training and variables:
                for variable in variables:
                    variable.zero_grad()
                self._loss_for_gradients(total, variables).backward()
                grads = [v.grad if v.grad is not None else Tensor(numpy.zeros(v.shape, v.dtype)) for v in variables]
                self.optimizer.apply(grads, variables)
                for variable in variables:
                    if variable.constraint is not None:
                        variable.assign(variable.constraint(variable.numpy()))
        losses = [total] + _per_output_losses(per_output)
        return ([numpy.asarray(getattr(value, "data", value)) for value in losses], [o.numpy() for o in outputs])



def _dtype_for(array):
    if array.dtype.kind == "f":
        return array.dtype if array.dtype == numpy.float64 and backend.floatx() == "float64" else backend.floatx()
    if array.dtype.kind == "b":
        return backend.floatx()
    return array.dtype


def _per_output_losses(per_output):
    """Each output's loss, logged as ``<output>_loss`` when more than one output has a
    loss (Keras 3 adds those trackers only then)."""
    present = [value for value in per_output if value is not None]
    return present if len(present) > 1 else []


def _sum(terms):
    """``terms[0] + terms[1] + ...`` in order, or None for no terms."""
    total = None
    for term in terms:
        total = term if total is None else total + term
    return total


def _summed(loss):
    """An eager ``add_loss`` value (or penalty) as a float scalar, as Keras 3 aggregates it."""
    from .. import ops
    if not isinstance(loss, Tensor):
        loss = Tensor(numpy.asarray(loss, backend.floatx()))
    if loss.dtype.kind != "f":
        loss = ops.cast(loss, backend.floatx())
    return ops.sum(loss) if loss.shape != () else loss


def _metric_nodes(records):
    """The symbolic values the recorded metric updates were given, each once, in order."""
    nodes, seen = [], set()
    for _, args, kwargs in records:
        for leaf in flatten([list(args), kwargs]):
            if isinstance(leaf, engine.Node) and id(leaf) not in seen:
                seen.add(id(leaf))
                nodes.append(leaf)
    return nodes


def _replay_metric_updates(records, nodes, values):
    """Run the metric updates recorded while tracing, on this batch's values."""
    if not records:
        return
    value_of = {id(node): value for node, value in zip(nodes, values)}

    def concrete(item):
        return value_of[id(item)] if isinstance(item, engine.Node) else item

    for metric, args, kwargs in records:
        metric.update_state(*map_structure(concrete, list(args)), **map_structure(concrete, kwargs))


def _call_loss(loss_object, target, output, weight):
    """Keras' reduced loss of one output (``losses.to_loss_object`` made every loss an object)."""
    return loss_object(target, output, sample_weight=weight)


__all__ = ["ProgramBuilder"]
