"""compile / fit / evaluate / predict: Keras' training API over compiled programs.

``compile`` only records the optimizer, losses and metrics.  The first call
of ``fit``, ``evaluate`` or ``predict`` builds a program for that kind of
work, once, and every later batch reruns it:

* train: the model's graph re-run with ``training=True`` on fresh
  placeholders, the losses (plus regularization), ``engine.gradients`` of
  the total, and the optimizer's updates (plus BatchNormalization's moving
  statistics and weight constraints), all one ``engine.Program``;
* evaluate: the same forward (``training=False``) and losses, no updates;
* predict: the forward alone.

Metrics are computed outside the program, on the predictions it fetches
(small arrays), by the stateful metric objects.  ``run_eagerly=True``
trains define-by-run instead, with the same numbers.
"""
from __future__ import annotations

import copy
import os

import numpy

from .. import backend, eager, engine
from ..eager import Tensor
from ..layers.layer import not_recording
from ..layers.structure import flatten
from . import data as data_module


class _RunningMean:
    """The epoch's mean of a per-batch value, weighted by batch size."""

    def __init__(self):
        self.total = 0.0
        self.count = 0

    def update(self, value, weight):
        self.total += float(value) * weight
        self.count += weight

    def result(self):
        return self.total / self.count if self.count else 0.0


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


class Trainer:
    """The training half of ``Model`` (mixed into it)."""

    compiled = False
    run_eagerly = False
    _resolved = None
    _loss_spec = None

    # ------------------------------------------------------------ compile
    def compile(self, optimizer="rmsprop", loss=None, metrics=None, loss_weights=None,
                weighted_metrics=None, run_eagerly=False, steps_per_execution=1,
                jit_compile="auto", auto_scale_loss=True):
        """Configure training: optimizer, loss(es) and metrics, by name or object."""
        from .. import optimizers
        self.optimizer = optimizers.get(optimizer)
        self.loss = loss
        self._loss_spec = loss
        self._loss_weights_spec = loss_weights
        self._metrics_spec = metrics
        self._weighted_metrics_spec = weighted_metrics
        self.run_eagerly = bool(run_eagerly)
        self.compiled = True
        self.stop_training = False
        self._programs = {}
        self._resolved = None
        if self.is_functional:
            self._resolve_compile(len(self.outputs))

    def _output_names(self, count):
        if self.is_functional:
            return self.output_names
        return ["output"] if count == 1 else [f"output_{i + 1}" for i in range(count)]

    def _resolve_compile(self, output_count):
        """Per-output loss objects, weights and metric objects (once the outputs are known)."""
        from .. import losses, metrics as metrics_module
        names = self._output_names(output_count)
        self._output_count = output_count

        def per_output(spec, what):
            if isinstance(spec, dict):
                unknown = sorted(set(spec) - set(names))
                if unknown:
                    raise ValueError(f"Unknown output names {unknown} in {what}; the outputs are {names}")
                return [spec.get(name) for name in names]
            if isinstance(spec, (list, tuple)) and output_count > 1 and what != "metrics":
                if len(spec) != output_count:
                    raise ValueError(f"{what} has {len(spec)} entries for a model with {output_count} outputs")
                return list(spec)
            if what == "metrics" and isinstance(spec, (list, tuple)) and output_count > 1 and spec and \
                    all(isinstance(item, (list, tuple)) for item in spec):
                return [list(item) for item in spec]
            return [spec] * output_count

        loss_specs = per_output(self._loss_spec, "loss")
        if all(spec is None for spec in loss_specs):
            raise ValueError("compile() needs a loss before fit or evaluate")
        self._loss_objects = [None if spec is None else losses.to_loss_object(spec) for spec in loss_specs]
        weights = self._loss_weights_spec
        self._loss_weights = per_output(weights, "loss_weights") if weights is not None else [1.0] * output_count
        metric_specs = per_output(self._metrics_spec or [], "metrics")
        weighted_specs = per_output(self._weighted_metrics_spec or [], "metrics")
        self._metric_objects = []
        for index in range(output_count):
            for specs, weighted in ((metric_specs[index], False), (weighted_specs[index], True)):
                specs = specs if isinstance(specs, (list, tuple)) else ([specs] if specs else [])
                for spec in specs:
                    metric = self._make_metric(spec, index, metrics_module)
                    if output_count > 1:
                        metric.name = f"{names[index]}_{metric.name}"
                    self._metric_objects.append((index, metric, weighted))
        self._loss_names = ["loss"] + ([f"{name}_loss" for name in names] if output_count > 1 else [])
        self._resolved = True

    def _make_metric(self, spec, index, metrics_module):
        output_shape = self.outputs[index].shape if self.is_functional else None
        loss = self._loss_objects[index] or self._loss_spec
        metric = metrics_module.get_metric(spec, loss, output_shape)
        # a metric object given by the user is copied, so two models never share state
        return copy.deepcopy(metric) if metric is spec else metric

    @property
    def metrics_names(self) -> list:
        if not self._resolved:
            return ["loss"]
        return list(self._loss_names) + [metric.name for _, metric, _ in self._metric_objects]

    # ----------------------------------------------------------- programs
    def _input_placeholders(self, xs):
        if self.is_functional:
            return [engine.placeholder(node.dtype, node.shape, name=node.name) for node in self.inputs]
        return [engine.placeholder(_dtype_for(x), (None,) + tuple(x.shape[1:]), name=f"input_{i + 1}")
                for i, x in enumerate(xs)]

    def _trace(self, placeholders, training):
        """Run the model's graph on new placeholders (nothing recorded in the layers)."""
        structure = placeholders[0] if len(placeholders) == 1 else list(placeholders)
        for layer in _all_layers(self):
            layer._pending_updates = []
        with not_recording():
            outputs = self(structure, training=training)
        flat = flatten(outputs)
        if not self._resolved and self.compiled:
            self._resolve_compile(len(flat))
        return flat

    def _loss_nodes(self, outputs, targets, weights):
        terms, per_output = [], []
        for index, (output, target, weight) in enumerate(zip(outputs, targets, weights)):
            loss_object = self._loss_objects[index]
            if loss_object is None:
                per_output.append(None)
                continue
            value = _call_loss(loss_object, target, output, weight)
            per_output.append(value)
            terms.append(value * self._loss_weights[index] if self._loss_weights[index] != 1.0 else value)
        total = terms[0]
        for term in terms[1:]:
            total = total + term
        return total, per_output

    def _regularization_nodes(self):
        penalties = []
        for layer in _all_layers(self):
            for regularizer, variable in getattr(layer, "_regularized", []):
                penalties.append(regularizer(engine.variable_from_holder(variable)))
            penalties.extend(loss for loss in getattr(layer, "_call_losses", [])
                             if isinstance(loss, engine.Node))
        return penalties

    def _target_placeholders(self, ys, outputs):
        targets = []
        for index, (y, output) in enumerate(zip(ys, outputs)):
            shape = (None,) + tuple(y.shape[1:])
            targets.append(engine.placeholder(_dtype_for(y), shape, name=f"target_{index + 1}"))
        weights = [engine.placeholder(backend.floatx(), (None,), name=f"sample_weight_{i + 1}")
                   for i in range(len(outputs))]
        return targets, weights

    def _program(self, kind, xs, ys=None):
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
            outputs = self._trace(inputs, training=(kind == "train"))
            if kind == "predict":
                program = engine.Program(outputs, inputs)
                program.loss_count = 0
                if self._should_shard(outputs):
                    program = ShardedForward(program, 0)
            else:
                self._check_targets(ys, outputs)
                targets, weights = self._target_placeholders(ys, outputs)
                total, per_output = self._loss_nodes(outputs, targets, weights)
                loss_fetches = [total] + ([v for v in per_output if v is not None] if len(outputs) > 1 else [])
                updates = []
                feeds = inputs + targets + weights
                if kind == "train":
                    penalties = self._regularization_nodes()
                    for penalty in penalties:
                        total = total + penalty
                    loss_fetches[0] = total
                    if self._should_shard(loss_fetches + outputs):
                        program = self._sharded_step(total, loss_fetches + outputs, feeds)
                        program.loss_count = len(loss_fetches)
                        self._programs[signature] = program
                        return program
                    updates = self._training_updates(total)
                program = engine.Program(loss_fetches + outputs, feeds, updates,
                                         update_lanes=self._update_lanes() if updates else 1)
                program.loss_count = len(loss_fetches)
                if kind == "evaluate" and self._should_shard(loss_fetches + outputs):
                    program = ShardedForward(program, len(loss_fetches))
        self._programs[signature] = program
        return program

    def _should_shard(self, fetches) -> bool:
        """Whether the training step runs as two half-batch shards on two threads.

        It pays where numpy's one-threaded elementwise work dominates
        (convolutions and pooling of few channels) and hurts where BLAS
        already uses both cores (large matmuls), so 'auto' shards programs
        that convolve or pool.  Never when a step draws random numbers
        (one generator, two threads) or updates batch statistics (each shard
        would see half a batch).
        """
        setting = backend.parallel_shards()
        if not _threads_allowed():
            return False
        if any(getattr(layer, "_pending_updates", None) for layer in _all_layers(self)):
            return False
        names = {node.op.name for node in engine.topological_order(fetches) if node.kind == "op"}
        if names & _RANDOM_PRIMITIVES:
            return False
        return setting == 2 or bool(names & _SHARD_WORTHY_PRIMITIVES)

    def _update_lanes(self) -> int:
        """How many threads run the optimizer's update: 2 when there are
        enough weights for the second thread to pay for its hand-off (~20 us;
        Adam on W2's 669k weights takes ~1 ms on one core), else 1."""
        if not _threads_allowed():
            return 1
        weights = sum(int(numpy.prod(v.shape)) for v in self.trainable_weights)
        # with OpenBLAS's long spinning a second lane shares a core with the spinner: slower
        if weights < _LANE_MINIMUM_WEIGHTS or not backend.blas_spinning_is_short():
            return 1
        return 2

    def _sharded_step(self, total, fetches, feeds):
        from ..optimizers.base import to_program_updates
        variables = self.trainable_weights
        grads = engine.gradients(total, [engine.variable_from_holder(v, v.name) for v in variables])
        kept = [(v, g) for v, g in zip(variables, grads) if g is not None]
        step = engine.Program(fetches + [g for _, g in kept], feeds)
        grad_feeds = [engine.placeholder(v.dtype, v.shape, name=f"grad_{i}") for i, (v, _) in enumerate(kept)]
        pairs = self.optimizer.get_updates([v for v, _ in kept], grad_feeds)
        apply = engine.Program([], grad_feeds, to_program_updates(pairs), update_lanes=self._update_lanes())
        return ShardedStep(step, apply, len(fetches))

    def _training_updates(self, total):
        from ..optimizers.base import to_program_updates
        variables = self.trainable_weights
        nodes = [engine.variable_from_holder(v, v.name) for v in variables]
        grads = engine.gradients(total, nodes)
        # the optimizer's pairs already apply each variable's constraint
        pairs = list(self.optimizer.get_updates(variables, grads))
        for layer in _all_layers(self):
            pairs.extend(getattr(layer, "_pending_updates", []))
            layer._pending_updates = []
        return to_program_updates(pairs)

    def _check_targets(self, ys, outputs):
        if ys is None:
            raise ValueError("Training and evaluation need targets y")
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
        batch = len(xs[0])
        if weights is None:
            weights = [None] * len(ys)
        weights = [numpy.ones(batch, backend.floatx()) if w is None else numpy.asarray(w, backend.floatx())
                   for w in weights]
        values = program(*xs, *ys, *weights)
        return values[:program.loss_count], values[program.loss_count:]

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
            weights = [None] * len(ys) if weights is None else weights
            weights = [Tensor(numpy.ones(batch, backend.floatx()) if w is None else numpy.asarray(w, backend.floatx()))
                       for w in weights]
            total, per_output = self._loss_nodes(outputs, [Tensor(y) for y in ys], weights)
            if training:
                for penalty in self.losses:
                    total = total + penalty
                variables = self.trainable_weights
                for variable in variables:
                    variable.zero_grad()
                total.backward()
                grads = [v.grad if v.grad is not None else Tensor(numpy.zeros(v.shape, v.dtype)) for v in variables]
                self.optimizer.apply(grads, variables)
                for variable in variables:
                    if variable.constraint is not None:
                        variable.assign(variable.constraint(variable.numpy()))
        losses = [total] + ([v for v in per_output if v is not None] if len(outputs) > 1 else [])
        return ([numpy.asarray(l.numpy()) for l in losses], [o.numpy() for o in outputs])

    # ------------------------------------------------------------ helpers
    def _prepare(self, x, y=None, sample_weight=None):
        names_in = self.input_names if self.is_functional else None
        names_out = self.output_names if self.is_functional else None
        xs = data_module.as_arrays(x, names_in, "inputs")
        ys = data_module.as_arrays(y, names_out, "outputs") if y is not None else None
        if sample_weight is not None and not isinstance(sample_weight, (list, dict)):
            sample_weight = [sample_weight]
        weights = data_module.as_arrays(sample_weight, names_out, "sample_weight") if sample_weight is not None else None
        if weights is not None and ys is not None and len(weights) != len(ys):
            weights = weights + [None] * (len(ys) - len(weights))
        self._check_inputs(xs)
        return xs, ys, weights

    def _check_inputs(self, xs):
        if not self.is_functional:
            return
        if len(xs) != len(self.inputs):
            raise ValueError(f"Model '{self.name}' expects {len(self.inputs)} input(s), got {len(xs)} array(s)")
        for node, x in zip(self.inputs, xs):
            expected = node.shape
            if x.ndim != len(expected) or any(e is not None and e != d for e, d in zip(expected[1:], x.shape[1:])):
                from ..primitives.base import format_shape
                raise ValueError(f"Input '{node.origin[0].layer.name}' of model '{self.name}' expects arrays of "
                                 f"shape {format_shape(expected)}, got {format_shape(x.shape)}")

    def _check_labels(self, ys):
        """Targets must fit their output and loss: the rank the loss expects, and
        for sparse losses class indices inside the output's range."""
        if not self.is_functional or not self._resolved:
            return
        from ..primitives.base import format_shape
        for index, y in enumerate(ys or []):
            loss_object = self._loss_objects[index]
            if loss_object is None:
                continue
            output_shape = self.outputs[index].shape
            name = self.output_names[index]
            kind = _loss_kind(loss_object)
            classes = output_shape[-1] if output_shape else None
            if kind == "sparse":
                if not (y.ndim == len(output_shape) - 1 or (y.ndim == len(output_shape) and y.shape[-1] == 1)):
                    raise ValueError(
                        f"Target for output '{name}' has shape {format_shape(y.shape)}, but "
                        f"sparse_categorical_crossentropy expects class indices of shape "
                        f"{format_shape((None,) + tuple(output_shape[1:-1]))} for an output of shape "
                        f"{format_shape(output_shape)}; for one-hot targets use categorical_crossentropy")
                if classes is None or y.size == 0 or y.dtype.kind not in "iuf":
                    continue
                low, high = y.min(), y.max()
                ignore = getattr(loss_object, "ignore_class", None)
                if ignore is not None:
                    valid = y[y != ignore]
                    low, high = (valid.min(), valid.max()) if valid.size else (0, 0)
                if low < 0 or high >= classes:
                    raise ValueError(f"Sparse labels for output '{name}' must be in "
                                     f"[0, {classes}), got values from {low} to {high}")
            elif kind == "categorical":
                if y.ndim != len(output_shape) or (classes is not None and y.shape[-1] != classes):
                    raise ValueError(
                        f"Target for output '{name}' has shape {format_shape(y.shape)}, but "
                        f"categorical_crossentropy expects one-hot targets shaped like the output "
                        f"{format_shape(output_shape)}; for class indices use "
                        "sparse_categorical_crossentropy (or kerasette.utils.to_categorical)")
            elif abs(y.ndim - len(output_shape)) > 1 or (
                    y.ndim == len(output_shape) and classes is not None and y.shape[-1] not in (1, classes)):
                raise ValueError(f"Target for output '{name}' has shape {format_shape(y.shape)}, which "
                                 f"does not fit the output's shape {format_shape(output_shape)}")

    def _class_weights(self, ys, class_weight):
        if not class_weight:
            return None
        y = ys[0]
        labels = y.argmax(axis=-1) if (y.ndim > 1 and y.shape[-1] > 1) else y.reshape(len(y), -1)[:, 0]
        labels = numpy.rint(labels).astype(int) if labels.dtype.kind == "f" else labels
        table = numpy.ones(int(max(max(class_weight), labels.max(initial=0))) + 1, backend.floatx())
        for cls, weight in class_weight.items():
            table[int(cls)] = weight
        return [table[labels]] + [None] * (len(ys) - 1)

    def _reset_metrics(self):
        for _, metric, _ in getattr(self, "_metric_objects", []):
            metric.reset_state()

    def _update_metrics(self, ys, outputs, weights):
        for index, metric, weighted in self._metric_objects:
            weight = None if (weights is None or not weighted) else weights[index]
            metric.update_state(ys[index], outputs[index], sample_weight=weight)

    def _logs(self, trackers, prefix=""):
        logs = {prefix + name: tracker.result() for name, tracker in zip(self._loss_names, trackers)}
        for _, metric, _ in self._metric_objects:
            value = numpy.asarray(metric.result())
            logs[prefix + metric.name] = float(value) if value.size == 1 else value
        return logs

    # ---------------------------------------------------------------- fit
    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, class_weight=None,
            sample_weight=None, initial_epoch=0, steps_per_epoch=None, validation_steps=None,
            validation_batch_size=None, validation_freq=1):
        """Train for ``epochs`` epochs; returns the ``History``."""
        from .. import callbacks as callbacks_module
        self._require_compiled("fit")
        batch_size = 32 if batch_size is None else int(batch_size)
        verbose = 1 if verbose == "auto" else int(verbose)
        if data_module.is_batch_source(x):
            batches = data_module.SourceBatches(x, steps_per_epoch, *self._io_names())
        else:
            xs, ys, weights = self._prepare(x, y, sample_weight)
            if ys is None:
                raise ValueError("fit needs targets: pass y, or x as (inputs, targets) batches")
            if validation_data is None and validation_split:
                if not 0.0 < validation_split < 1.0:
                    raise ValueError(f"validation_split must be in (0, 1), got {validation_split}")
                total = data_module.check_cardinality({"x": xs, "y": ys})
                split = int(total * (1.0 - validation_split))
                validation_data = data_module.ArrayBatches(
                    [a[split:] for a in xs], [a[split:] for a in ys],
                    None if weights is None else [None if w is None else w[split:] for w in weights],
                    validation_batch_size or batch_size)
                xs, ys = [a[:split] for a in xs], [a[:split] for a in ys]
                weights = None if weights is None else [None if w is None else w[:split] for w in weights]
            if class_weight:
                weights = self._merge_weights(weights, self._class_weights(ys, class_weight))
            if not self._resolved and self.is_functional:
                self._resolve_compile(len(self.outputs))
            self._check_labels(ys)
            batches = data_module.ArrayBatches(xs, ys, weights, batch_size, shuffle=shuffle)
            if steps_per_epoch is not None:
                batches.steps = min(batches.steps, int(steps_per_epoch))
        validation = self._validation_batches(validation_data, validation_batch_size or batch_size, validation_steps)

        callback_list = callbacks_module.CallbackList(
            callbacks, add_history=True, add_progbar=verbose != 0, model=self,
            verbose=verbose, epochs=epochs, steps=batches.steps)
        self.stop_training = False
        callback_list.on_train_begin()
        logs = {}
        for epoch in range(initial_epoch, epochs):
            self._reset_metrics()
            trackers = None
            callback_list.on_epoch_begin(epoch)
            for step, batch in enumerate(batches.epoch()):
                callback_list.on_train_batch_begin(step)
                trackers, logs = self._step_and_log("train", batch, trackers)
                callback_list.on_train_batch_end(step, logs)
                if self.stop_training:
                    break
            logs = dict(logs)
            if validation is not None and (epoch + 1) % validation_freq == 0 and not self.stop_training:
                val_logs = self._evaluate_batches(validation, callback_list=None)
                logs.update({"val_" + key: value for key, value in val_logs.items()})
            callback_list.on_epoch_end(epoch, logs)
            if self.stop_training:
                break
        callback_list.on_train_end(logs)
        return self.history

    def _step_and_log(self, kind, batch, trackers):
        """Run one batch, fold its losses into the running means and its
        predictions into the metrics; returns the trackers and the logs so far."""
        xs, ys, weights = batch
        losses, outputs = self._run_batch(kind, xs, ys, weights)
        if trackers is None:
            trackers = [_RunningMean() for _ in losses]
        for tracker, value in zip(trackers, losses):
            tracker.update(value, len(xs[0]))
        self._update_metrics(ys, outputs, weights)
        return trackers, self._logs(trackers)

    def _io_names(self):
        if self.is_functional:
            return self.input_names, self.output_names
        return None, None

    @staticmethod
    def _merge_weights(weights, extra):
        if weights is None:
            return extra
        return [w if e is None else (e if w is None else w * e) for w, e in zip(weights, extra)]

    def _validation_batches(self, validation_data, batch_size, steps):
        if validation_data is None or isinstance(validation_data, data_module.ArrayBatches):
            return validation_data
        if data_module.is_batch_source(validation_data):
            return data_module.SourceBatches(validation_data, steps, *self._io_names())
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (2, 3):
            raise ValueError("validation_data must be (x, y) or (x, y, sample_weight)")
        vx, vy = validation_data[0], validation_data[1]
        vw = validation_data[2] if len(validation_data) == 3 else None
        xs, ys, weights = self._prepare(vx, vy, vw)
        batches = data_module.ArrayBatches(xs, ys, weights, batch_size, shuffle=False)
        if steps is not None:
            batches.steps = min(batches.steps, int(steps))
        return batches

    def _evaluate_batches(self, batches, callback_list):
        self._reset_metrics()
        trackers = None
        logs = {}
        for step, batch in enumerate(batches.epoch()):
            if callback_list is not None:
                callback_list.on_test_batch_begin(step)
            trackers, logs = self._step_and_log("evaluate", batch, trackers)
            if callback_list is not None:
                callback_list.on_test_batch_end(step, logs)
        return logs

    # ----------------------------------------------------------- evaluate
    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None,
                 steps=None, callbacks=None, return_dict=False):
        """Loss and metrics over the data: a scalar, a list ``[loss, *metrics]`` or a dict."""
        from .. import callbacks as callbacks_module
        self._require_compiled("evaluate")
        batch_size = 32 if batch_size is None else int(batch_size)
        verbose = 1 if verbose == "auto" else int(verbose)
        if data_module.is_batch_source(x):
            batches = data_module.SourceBatches(x, steps, *self._io_names())
        else:
            xs, ys, weights = self._prepare(x, y, sample_weight)
            if not self._resolved and self.is_functional:
                self._resolve_compile(len(self.outputs))
            self._check_labels(ys)
            batches = data_module.ArrayBatches(xs, ys, weights, batch_size)
            if steps is not None:
                batches.steps = min(batches.steps, int(steps))
        callback_list = callbacks_module.CallbackList(
            callbacks, add_progbar=verbose != 0, model=self, verbose=verbose, epochs=1, steps=batches.steps)
        callback_list.on_test_begin()
        logs = self._evaluate_batches(batches, callback_list)
        callback_list.on_test_end(logs)
        if return_dict:
            return logs
        values = [logs[name] for name in self.metrics_names]
        return values[0] if len(values) == 1 else values

    # ------------------------------------------------------------ predict
    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        """The model's outputs for ``x``, computed batch by batch, as arrays."""
        from .. import callbacks as callbacks_module
        batch_size = 32 if batch_size is None else int(batch_size)
        verbose = 1 if verbose == "auto" else int(verbose)
        if data_module.is_batch_source(x):
            batches = data_module.SourceBatches(x, steps, *self._io_names())
        else:
            xs = data_module.as_arrays(x, self.input_names if self.is_functional else None, "inputs")
            self._check_inputs(xs)
            batches = data_module.ArrayBatches(xs, None, None, batch_size)
            if steps is not None:
                batches.steps = min(batches.steps, int(steps))
        callback_list = callbacks_module.CallbackList(
            callbacks, add_progbar=verbose != 0, model=self, verbose=verbose, epochs=1, steps=batches.steps)
        callback_list.on_predict_begin()
        chunks = None
        for step, (bx, _, _) in enumerate(batches.epoch()):
            callback_list.on_predict_batch_begin(step)
            _, outputs = self._run_batch("predict", bx)
            chunks = [[] for _ in outputs] if chunks is None else chunks
            for store, output in zip(chunks, outputs):
                store.append(numpy.asarray(output))
            callback_list.on_predict_batch_end(step, {"outputs": outputs})
        callback_list.on_predict_end()
        if chunks is None:
            raise ValueError("predict received no data")
        results = [numpy.concatenate(store, axis=0) for store in chunks]
        return results[0] if len(results) == 1 else results

    # ---------------------------------------------------------- on batch
    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None, return_dict=False):
        """One training step on one batch; returns the loss (and metrics) of that batch."""
        self._require_compiled("train_on_batch")
        xs, ys, weights = self._prepare(x, y, sample_weight)
        if class_weight:
            weights = self._merge_weights(weights, self._class_weights(ys, class_weight))
        return self._single_batch("train", xs, ys, weights, return_dict)

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        self._require_compiled("test_on_batch")
        xs, ys, weights = self._prepare(x, y, sample_weight)
        return self._single_batch("evaluate", xs, ys, weights, return_dict)

    def predict_on_batch(self, x):
        xs = data_module.as_arrays(x, self.input_names if self.is_functional else None, "inputs")
        self._check_inputs(xs)
        _, outputs = self._run_batch("predict", xs)
        outputs = [numpy.asarray(o) for o in outputs]
        return outputs[0] if len(outputs) == 1 else outputs

    def _single_batch(self, kind, xs, ys, weights, return_dict):
        if not self._resolved and self.is_functional:
            self._resolve_compile(len(self.outputs))
        if self._resolved:
            self._check_labels(ys)
        losses, outputs = self._run_batch(kind, xs, ys, weights)
        self._reset_metrics()
        self._update_metrics(ys, outputs, weights)
        trackers = []
        for value in losses:
            tracker = _RunningMean()
            tracker.update(value, 1)
            trackers.append(tracker)
        logs = self._logs(trackers)
        if return_dict:
            return logs
        values = [logs[name] for name in self.metrics_names]
        return values[0] if len(values) == 1 else values

    def _require_compiled(self, what):
        if not self.compiled:
            raise RuntimeError(f"You must compile the model before calling {what}(): "
                               "model.compile(optimizer=..., loss=...)")


_RANDOM_PRIMITIVES = {"dropout_mask", "random_uniform_like", "random_normal_like"}
_SHARD_WORTHY_PRIMITIVES = {"conv", "conv_transpose", "max_pool", "avg_pool"}
#: weights from which the optimizer's update runs in two lanes
_LANE_MINIMUM_WEIGHTS = 1 << 17


def _threads_allowed() -> bool:
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


def _dtype_for(array):
    if array.dtype.kind == "f":
        return array.dtype if array.dtype == numpy.float64 and backend.floatx() == "float64" else backend.floatx()
    if array.dtype.kind == "b":
        return backend.floatx()
    return array.dtype


def _loss_kind(loss_object) -> str:
    """'sparse' or 'categorical' for the cross-entropies whose targets have a fixed form."""
    from .. import losses
    wrapped = getattr(loss_object, "fn", None)
    if isinstance(loss_object, losses.SparseCategoricalCrossentropy) or \
            wrapped is losses.sparse_categorical_crossentropy:
        return "sparse"
    if isinstance(loss_object, losses.CategoricalCrossentropy) or wrapped is losses.categorical_crossentropy:
        return "categorical"
    return "other"


def _call_loss(loss_object, target, output, weight):
    """Keras' reduced loss of one output (``losses.to_loss_object`` made every loss an object)."""
    return loss_object(target, output, sample_weight=weight)


__all__ = ["Trainer"]
