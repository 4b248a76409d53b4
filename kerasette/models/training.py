"""compile / fit / evaluate / predict: Keras' training API over compiled programs.

``compile`` only records the optimizer, losses and metrics.  The first call
of ``fit``, ``evaluate`` or ``predict`` builds a program for that kind of
work, once, and every later batch reruns it (programs.py, ``ProgramBuilder``;
two-shard steps in sharding.py).  What users pass is checked before the
first batch runs (input_checks.py), so bad input never changes a weight.

Metrics are computed outside the program, on the predictions it fetches
(small arrays), by the stateful metric objects: the compiled ones, then
those the layers hold as attributes (updated in ``call``, Keras' endpoint
pattern), all reset at the start of each epoch and of each evaluation, as
in Keras 3.  ``run_eagerly=True`` trains define-by-run instead, with the
same numbers.

Data comes as arrays or from batch sources (data.py).  Inside ``fit``,
validation runs through the same callbacks as ``evaluate`` does
(``on_test_begin``, ``on_test_batch_begin``/``end``, ``on_test_end``), as in
Keras 3.  ``evaluate``, ``predict`` and the ``*_on_batch`` methods live in
evaluation.py (``EvaluationLoops``, mixed into ``Trainer``).
"""
from __future__ import annotations

import copy
import warnings

import numpy

from .. import backend, eager
from .. import config as config_module
from ..eager import Tensor
from ..layers.structure import flatten
from ..metrics.base import Metric, suspend_updates
from . import data as data_module
from . import custom_steps, data_parallel, input_checks
from .evaluation import EvaluationLoops, _RunningMean, _sample_total
from .programs import ProgramBuilder, _all_layers
from .sharding import ShardedForward, ShardedStep


#: a model's bookkeeping that holds metrics or layers but tracks none of its own (compile's
#: ``metrics``/``weighted_metrics`` as given: the objects compile runs are in _metric_objects)
_NOT_TRACKED = frozenset(("_metric_objects", "_tracked_metrics", "_programs", "_layers", "_graph_layers",
                          "_calls", "_metrics_spec", "_weighted_metrics_spec"))
#: attribute types that are never a metric nor hold one
_PLAIN = frozenset((type(None), bool, int, float, str, bytes, numpy.ndarray, numpy.dtype))


class Trainer(EvaluationLoops, ProgramBuilder):
    """The training half of ``Model`` (mixed into it)."""

    compiled = False
    run_eagerly = False
    loss = None             # Keras 3: None until a compile names one (there is no optimizer yet)
    _resolved = None
    _loss_spec = None

    # ------------------------------------------------------------ compile
    def compile(self, optimizer="rmsprop", loss=None, metrics=None, loss_weights=None,
                weighted_metrics=None, run_eagerly=False, steps_per_execution=1,
                jit_compile="auto", auto_scale_loss=True):
        """Configure training: optimizer, loss(es) and metrics, by name or object."""
        from .. import optimizers
        saved = {key: self.__dict__[key] for key in self._COMPILE_STATE if key in self.__dict__}
        self.optimizer = optimizers.get(optimizer)
        # what compile() was given, for get_compile_config(); Keras 3 keeps the loss (and its
        # weights) of an earlier compile when this one names none, and the metrics when this
        # one names neither metrics nor weighted_metrics
        self._compile_given = {"loss": loss, "loss_weights": loss_weights, "metrics": metrics,
                               "weighted_metrics": weighted_metrics}
        if loss is not None or self._loss_spec is None:
            self.loss = loss
            self._loss_spec = loss
            self._loss_weights_spec = loss_weights
        if metrics is not None or weighted_metrics is not None or not self.compiled:
            self._metrics_spec = metrics
            self._weighted_metrics_spec = weighted_metrics
        self.run_eagerly = bool(run_eagerly)
        self.compiled = True
        self.stop_training = False
        self._programs = {}
        self._resolved = None
        if self.is_functional:
            try:
                self._resolve_compile(len(self.outputs))
            except Exception:
                self._restore_compile_state(saved)
                raise

    _COMPILE_STATE = ("optimizer", "_compile_given", "loss", "_loss_spec", "_loss_weights_spec",
                      "_metrics_spec", "_weighted_metrics_spec", "run_eagerly", "compiled", "stop_training",
                      "_programs", "_resolved", "_output_count", "_loss_objects", "_loss_weights",
                      "_metric_objects", "_loss_names")

    def _restore_compile_state(self, saved) -> None:
        """Undo a compile() that refused its arguments: the model is as it was before."""
        for key in self._COMPILE_STATE:
            if key in saved:
                self.__dict__[key] = saved[key]
            else:
                self.__dict__.pop(key, None)

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
            if isinstance(spec, (list, tuple)) and what != "metrics":
                # a one-entry list for a one-output model is its loss / weight, as in Keras 3
                if len(spec) != output_count:
                    raise ValueError(f"{what} has {len(spec)} entries for a model with {output_count} "
                                     f"output{'s' if output_count > 1 else ''} ({names}): give one per output")
                return list(spec)
            if what == "metrics" and isinstance(spec, (list, tuple)) and output_count > 1 and spec and \
                    all(isinstance(item, (list, tuple)) for item in spec):
                return [list(item) for item in spec]
            return [spec] * output_count

        # no loss at all is allowed: the model's own add_loss() losses are then
        # the whole loss (the program refuses a model that has none either)
        loss_specs = per_output(self._loss_spec, "loss")
        self._loss_objects = [None if spec is None else losses.to_loss_object(spec) for spec in loss_specs]
        weights = self._loss_weights_spec
        self._loss_weights = per_output(weights, "loss_weights") if weights is not None else [1.0] * output_count
        metric_specs = per_output(self._metrics_spec or [], "metrics")
        weighted_specs = per_output(self._weighted_metrics_spec or [], "metrics")
        self._metric_objects = []
        used = set()
        for index in range(output_count):
            for specs, weighted in ((metric_specs[index], False), (weighted_specs[index], True)):
                specs = specs if isinstance(specs, (list, tuple)) else ([specs] if specs else [])
                for spec in specs:
                    metric = self._make_metric(spec, index, metrics_module, output_count > 1 or id(spec) in used)
                    used.add(id(spec))
                    if output_count > 1:
                        metric.name = f"{names[index]}_{metric.name}"
                    self._metric_objects.append((index, metric, weighted))
        # one ``<output>_loss`` per output that has a loss, when more than one has (Keras 3)
        per_output = [f"{name}_loss" for name, loss in zip(names, self._loss_objects) if loss is not None]
        self._loss_names = ["loss"] + (per_output if len(per_output) > 1 else [])
        self._resolved = True

    def _make_metric(self, spec, index, metrics_module, copied):
        output_shape = self.outputs[index].shape if self.is_functional else None
        loss = self._loss_objects[index] or self._loss_spec
        metric = metrics_module.get_metric(spec, loss, output_shape)
        # a metric object given by the user is the one updated (Keras 3: its result() after
        # fit is the epoch's), unless it serves several outputs (each renamed after its
        # output) or twice: then each use gets a copy
        return copy.deepcopy(metric) if metric is spec and copied else metric

    @property
    def metrics_names(self) -> list:
        """``loss``, each output's loss, the compiled metrics, then the metrics the layers hold."""
        return self._names_with(self._layer_metrics())

    def _names_with(self, layer_metrics) -> list:
        """``metrics_names`` with the layers' metrics already found (``_reset_metrics``)."""
        tracked = [metric.name for metric in layer_metrics]
        if not self._resolved:
            return ["loss"] + tracked
        return list(self._loss_names) + [metric.name for _, metric, _ in self._metric_objects] + tracked

    def _layer_metrics(self) -> list:
        """Metrics held as attributes by the model and its layers (also as items of a
        list or dict), as Keras 3 tracks them: the model's own first, then each
        layer's, each metric once; the compiled metrics are not among them."""
        compiled = {id(metric) for _, metric, _ in getattr(self, "_metric_objects", [])}
        found, seen = [], set(compiled)

        def keep(item):
            if isinstance(item, Metric) and id(item) not in seen:
                seen.add(id(item))
                found.append(item)

        # once per train_on_batch: plain values (numbers, strings, arrays, None) pass by type
        for layer in _all_layers(self):
            for name, value in vars(layer).items():
                if type(value) in _PLAIN or name in _NOT_TRACKED:
                    continue
                if isinstance(value, dict):
                    for item in value.values():
                        keep(item)
                elif isinstance(value, (list, tuple)):
                    for item in value:
                        keep(item)
                else:
                    keep(value)
        return found

    # ------------------------------------------------------------ helpers
    def _prepare(self, x, y=None, sample_weight=None, what="fit"):
        """``x``, ``y`` and ``sample_weight`` as lists of arrays, checked (``_check_data``)."""
        if x is None:
            shape = "" if y is None else f" (y has shape {numpy.shape(y)})"
            raise ValueError(f"{what}() needs x, the model's inputs, as arrays, a dict of arrays, a generator "
                             f"or a Sequence; got x=None{shape}")
        names_in, names_out = self._io_names()
        xs = data_module.as_arrays(x, names_in, "x")
        ys = data_module.as_arrays(y, names_out, "y") if y is not None else None
        # one array weighs every output (Keras 3 repeats it); a list or dict, one per output
        weights = data_module.sample_weights_for(sample_weight, ys, names_out)
        return self._check_data(what, xs, ys, weights)

    def _check_data(self, what, xs, ys=None, weights=None):
        """Refuse, before anything runs, data the step cannot take (input_checks):
        non-numbers, arrays of different lengths, no samples, inputs that do
        not fit the model, targets that do not fit their output and loss."""
        names_in, names_out = self._io_names()
        input_checks.check_numeric(xs, "x", names_in)
        input_checks.check_numeric(ys, "y", names_out)
        weights = input_checks.sample_weight_vectors(weights, names_out)
        data_module.check_cardinality({"x": xs, "y": ys, "sample_weight": weights})
        input_checks.check_not_empty(xs, what)
        xs = input_checks.check_inputs(self, xs)
        if ys is not None and self.compiled:
            shapes = self._output_shapes(xs)
            if len(ys) != len(shapes) or (weights is not None and len(weights) > len(shapes)):
                given = ", ".join(str(y.shape) for y in ys)
                weights_given = "" if weights is None else f" and {len(weights)} sample_weight array(s)"
                raise ValueError(f"The model has {len(shapes)} output(s) but {what}() was given {len(ys)} "
                                 f"target array(s) y (shapes {given}){weights_given}")
            if self._resolved:
                input_checks.check_targets(self._loss_objects, shapes, self._output_names(len(shapes)), ys)
        return xs, ys, weights

    def _output_shapes(self, xs):
        """The outputs' static shapes.  A functional model knows them; another
        is traced once, on the first sample (in the prediction program, which
        predict reuses; define-by-run, a forward pass without gradients)."""
        if not self.is_functional:
            if self.run_eagerly:
                inputs = [Tensor(x[:1]) for x in xs]
                with eager.no_grad(), suspend_updates():
                    outputs = flatten(self(inputs[0] if len(inputs) == 1 else inputs, training=False))
                if not self._resolved:
                    self._resolve_compile(len(outputs))
                return [(None,) + tuple(output.shape[1:]) for output in outputs]
            program = self._program("predict", [x[:1] for x in xs])
            return program.output_shapes
        return [tuple(node.shape) for node in self.outputs]

    def _batch_check(self, what, class_weight=None):
        """The check each batch from a batch source goes through before its step;
        ``class_weight`` becomes the batch's sample weights there (Keras 3 does
        so per batch for its datasets)."""
        def check(xs, ys, weights):
            xs, ys, weights = self._check_data(what, xs, ys, weights)
            if ys is None and what != "predict" and self._needs_targets():
                raise ValueError(f"{what}() needs targets: the batches must be (inputs, targets) or (inputs, "
                                 f"targets, sample_weight), got inputs alone (shape {xs[0].shape})")
            if class_weight:
                if ys is None:
                    raise ValueError("class_weight needs targets: the batches must be (inputs, targets)")
                input_checks.check_class_weight(class_weight, len(ys))
                weights = self._merge_weights(weights, self._class_weights(ys, class_weight))
            return xs, ys, weights
        return check

    def _source_batches(self, source, steps, what, class_weight=None, y=None, sample_weight=None):
        """``SourceBatches`` over a batch source, its first batch fetched and checked now."""
        input_checks.check_source_arguments(source, y, sample_weight, data_module.source_kind(source))
        batches = data_module.SourceBatches(source, steps, *self._io_names(),
                                            check=self._batch_check(what, class_weight))
        if batches.peek() is None:
            raise ValueError(f"{what}() received no batches: the {data_module.source_kind(source)} given "
                             "as data yielded none")
        return batches

    def _needs_targets(self) -> bool:
        """Whether compile() was given a loss, which needs targets (else add_loss() losses train alone)."""
        spec = self._loss_spec
        if isinstance(spec, dict):
            return any(value is not None for value in spec.values())
        if isinstance(spec, (list, tuple)):
            return any(value is not None for value in spec)
        return spec is not None

    def _class_weights(self, ys, class_weight):
        if not class_weight:
            return None
        vector = input_checks.class_weight_vector(ys[0], class_weight, backend.floatx())
        return [vector] + [None] * (len(ys) - 1)

    def _reset_metrics(self):
        """Reset every metric, and find the layers' metrics again (``_logs`` reads them)."""
        self._tracked_metrics = self._layer_metrics()
        for _, metric, _ in getattr(self, "_metric_objects", []):
            metric.reset_state()
        for metric in self._tracked_metrics:
            metric.reset_state()
        custom_steps.reset_listed_metrics(self)

    def _update_metrics(self, ys, outputs, weights):
        if ys is None:
            return   # no targets (a model trained on its add_loss() losses): nothing to compare
        for index, metric, weighted in self._metric_objects:
            weight = None if (weights is None or not weighted) else weights[index]
            metric.update_state(ys[index], outputs[index], sample_weight=weight)

    def _logs(self, trackers, prefix=""):
        logs = {prefix + name: tracker.result() for name, tracker in zip(self._loss_names, trackers)}
        tracked = getattr(self, "_tracked_metrics", None)
        tracked = self._layer_metrics() if tracked is None else tracked
        for metric in [metric for _, metric, _ in self._metric_objects] + tracked:
            result = metric.result()
            for name, value in (result.items() if isinstance(result, dict) else [(metric.name, result)]):
                value = numpy.asarray(value)
                logs[prefix + name] = float(value) if value.size == 1 else value
        # Keras 3 hands out every logs dict in key order (what History, the progress bar,
        # return_dict and the callbacks see); evaluate()'s list keeps metrics_names' order
        return dict(sorted(logs.items()))

    # ---------------------------------------------------------------- fit
    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, class_weight=None,
            sample_weight=None, initial_epoch=0, steps_per_epoch=None, validation_steps=None,
            validation_batch_size=None, validation_freq=1):
        """Train for ``epochs`` epochs; returns the ``History``.

        Every argument and array is checked before the first step
        (input_checks), so bad input leaves the weights as they were.
        """
        from .. import callbacks as callbacks_module
        self._require_compiled("fit")
        check = input_checks.integer_argument
        batch_size = check(32 if batch_size is None else batch_size, "batch_size")
        epochs = check(epochs, "epochs", minimum=0)
        cap = config_module.max_epochs()     # keras.config.set_max_epochs: a debugging cap
        if cap and cap < epochs:
            warnings.warn(f"Limiting epochs to {cap}", stacklevel=2)
            epochs = cap
        initial_epoch = check(initial_epoch, "initial_epoch", minimum=0)
        steps_per_epoch = check(steps_per_epoch, "steps_per_epoch", allow_none=True)
        validation_steps = check(validation_steps, "validation_steps", allow_none=True)
        validation_batch_size = check(validation_batch_size, "validation_batch_size", allow_none=True)
        validation_freq = check(validation_freq, "validation_freq")
        verbose = input_checks.verbose_level(verbose)
        if data_module.is_batch_source(x):
            if validation_split:
                raise ValueError(f"validation_split is only supported for arrays, not for a "
                                 f"{data_module.source_kind(x)} as x; pass validation_data instead")
            class_weight = input_checks.check_class_weight(class_weight, 1)
            batches = self._source_batches(x, steps_per_epoch, "fit", class_weight, y, sample_weight)
        else:
            xs, ys, weights = self._prepare(x, y, sample_weight, "fit")
            if ys is None and self._needs_targets():
                raise ValueError("fit() needs targets: pass y, or x as (inputs, targets) batches; got y=None "
                                 f"for x of shape {xs[0].shape}")
            class_weight = input_checks.check_class_weight(class_weight, 1 if ys is None else len(ys))
            if class_weight and ys is None:
                raise ValueError("class_weight needs targets y; got y=None")
            if validation_data is None and validation_split:
                total = len(xs[0])
                split = input_checks.validation_split_index(validation_split, total)
                validation_data = data_module.ArrayBatches(
                    [a[split:] for a in xs], None if ys is None else [a[split:] for a in ys],
                    None if weights is None else [None if w is None else w[split:] for w in weights],
                    validation_batch_size or batch_size)
                xs = [a[:split] for a in xs]
                ys = None if ys is None else [a[:split] for a in ys]
                weights = None if weights is None else [None if w is None else w[:split] for w in weights]
            elif validation_split:
                input_checks.validation_split_index(validation_split, None)
            if class_weight:
                weights = self._merge_weights(weights, self._class_weights(ys, class_weight))
            batches = data_module.ArrayBatches(xs, ys, weights, batch_size, shuffle=shuffle)
            if steps_per_epoch is not None:
                batches.steps = min(batches.steps, steps_per_epoch)
        validation = self._validation_batches(validation_data, validation_batch_size or batch_size, validation_steps)
        # data parallel over MPI (kerasette.distribution; data_parallel.py): None on one process
        outer, replicas, callbacks, verbose, steps = data_parallel.session(self, "fit", callbacks, verbose, batches)
        callback_list = callbacks_module.CallbackList(
            callbacks, add_history=True, add_progbar=verbose != 0, model=self,
            verbose=verbose, epochs=epochs, steps=steps)
        self.stop_training = False
        try:
            callback_list.on_train_begin()
            # BackupAndRestore may have set where an interrupted run stopped
            initial_epoch, resume = self._take_resume_point(initial_epoch)
            logs = {}
            for epoch in range(initial_epoch, epochs):
                if batches.exhausted:
                    # a generator used up: Keras 3's warning, and no empty epochs after it
                    warnings.warn(data_module.RAN_OUT, stacklevel=2)
                    break
                self._reset_metrics()
                trackers = None
                skip = 0
                if resume is not None and resume["epoch"] == epoch:
                    # replay this epoch's shuffle order, skip what was trained, then go on
                    # with the random state of the moment the backup was made
                    skip = resume["steps_done"]
                    backend.rng().bit_generator.state = resume["epoch_rng_state"]
                callback_list.on_epoch_begin(epoch)
                for step, batch in enumerate(data_parallel.epoch(self, batches)):
                    if step < skip:
                        if step == skip - 1:
                            backend.rng().bit_generator.state = resume["rng_state"]
                        continue
                    callback_list.on_train_batch_begin(step)
                    trackers, logs = self._step_and_log("train", batch, trackers)
                    callback_list.note_samples(data_parallel.samples(self, batch), _sample_total(batches))
                    callback_list.on_train_batch_end(step, logs)
                    if self.stop_training:
                        break
                if replicas is not None:
                    replicas.average_non_trainable(self)
                logs = dict(logs)
                if validation is not None and (epoch + 1) % validation_freq == 0 and not self.stop_training:
                    val_logs = self._validate(validation, callback_list)
                    logs.update({"val_" + key: value for key, value in val_logs.items()})
                    logs = dict(sorted(logs.items()))
                callback_list.on_epoch_end(epoch, logs)
                if self.stop_training:
                    break
            optimizer = getattr(self, "optimizer", None)
            if optimizer is not None and epochs > 0 and getattr(optimizer, "built", False):
                # Keras 3: with use_ema the weights end training as their moving averages
                optimizer.finalize_variable_values(self.trainable_weights)
            callback_list.on_train_end(logs)
        except BaseException as error:   # one rank failing must not leave the others waiting
            data_parallel.abort_others(replicas, outer, error)
            raise
        finally:
            self._replicas = outer
            _close_all(batches, validation)
        return self.history

    def _take_resume_point(self, initial_epoch):
        """The epoch to start at, and the mid-epoch resume point, that a
        ``BackupAndRestore`` restored in ``on_train_begin`` (each used once)."""
        start = getattr(self, "_initial_epoch", None)
        resume = getattr(self, "_resume_point", None)
        self._initial_epoch = None
        self._resume_point = None
        return (initial_epoch if start is None else start), resume

    def _validate(self, batches, callback_list):
        """The validation pass of one epoch: ``evaluate`` on the validation batches
        through fit's callbacks (Keras 3 calls ``evaluate(callbacks=callbacks)``:
        ``on_test_begin``, the test-batch hooks, ``on_test_end`` with the logs)."""
        if batches.exhausted:
            warnings.warn("validation_data ran out of batches: this epoch has no validation logs. Pass data "
                          "that can be iterated again, or validation_steps with a generator that repeats",
                          stacklevel=3)
            return {}
        callback_list.on_test_begin()
        logs = self._evaluate_batches(batches, callback_list)
        callback_list.on_test_end(logs)
        return logs

    def _step_and_log(self, kind, batch, trackers):
        """Run one batch, fold its losses into the running means and its
        predictions into the metrics; returns the trackers and the logs so far."""
        if getattr(self, "_replicas", None) is not None:   # data parallel: one allreduce a step
            return self._replicas.step_and_log(self, kind, batch, trackers, _RunningMean)
        step = custom_steps.custom_step(self, kind)
        if step is not None:   # the model's own train_step/test_step, as Keras 3 calls it
            return trackers, custom_steps.run(self, step, batch)
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
            try:
                return self._source_batches(validation_data, steps, "evaluate")
            except (ValueError, TypeError) as error:
                raise type(error)(f"validation_data: {error}") from None
        if isinstance(validation_data, (tuple, list)):
            if len(validation_data) not in (1, 2, 3):
                raise ValueError("validation_data must be (x,), (x, y) or (x, y, sample_weight), or batches (a "
                                 "generator, a Sequence, a DataLoader, any iterable of batches), got a "
                                 f"{type(validation_data).__name__} of length {len(validation_data)}")
            vx, vy, vw = (tuple(validation_data) + (None, None))[:3]
        else:   # x alone, as Keras 3 unpacks it
            vx, vy, vw = validation_data, None, None
        try:
            xs, ys, weights = self._prepare(vx, vy, vw, "evaluate")
        except (ValueError, TypeError) as error:
            raise type(error)(f"validation_data: {error}") from None
        if ys is None and self._needs_targets():
            raise ValueError("validation_data needs targets: (x, y) or (x, y, sample_weight), got y=None")
        batches = data_module.ArrayBatches(xs, ys, weights, batch_size, shuffle=False)
        if steps is not None:
            batches.steps = min(batches.steps, steps)
        return batches

    def _require_compiled(self, what):
        if not self.compiled:
            raise RuntimeError(f"You must compile the model before calling {what}(): "
                               "model.compile(optimizer=..., loss=...)")


__all__ = ["ShardedForward", "ShardedStep", "Trainer"]


def _close_all(*batch_sets):
    """Stop the workers of every batch set that has them (``None`` skipped)."""
    for batches in batch_sets:
        if batches is not None and hasattr(batches, "close"):
            batches.close()
