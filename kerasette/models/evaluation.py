"""evaluate / predict / train_on_batch / test_on_batch / predict_on_batch.

The loops over batches that ``Trainer`` (training.py) mixes in beside
``fit``: they run the programs ``ProgramBuilder`` (programs.py) compiles and
go through ``data_parallel`` so that, with a ``DataParallel`` distribution
over several processes, each rank evaluates or predicts its part and the
results are reduced or gathered in order.  They use the model's own helpers
(``_prepare``, ``_run_batch``, ``_step_and_log``, ``_logs``, ...) from
training.py and programs.py.
"""
from __future__ import annotations

import numpy

from . import data as data_module
from . import custom_steps, data_parallel, input_checks


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


class EvaluationLoops:
    """``evaluate``, ``predict`` and the one-batch methods of ``Model`` (mixed into ``Trainer``)."""

    def _evaluate_batches(self, batches, callback_list):
        """Every batch of one evaluation, with the test-batch hooks; returns the logs."""
        self._reset_metrics()
        self.stop_evaluating = False
        trackers = None
        logs = {}
        for step, batch in enumerate(data_parallel.epoch(self, batches)):
            callback_list.on_test_batch_begin(step)
            trackers, logs = self._step_and_log("evaluate", batch, trackers)
            callback_list.note_samples(data_parallel.samples(self, batch), _sample_total(batches))
            callback_list.on_test_batch_end(step, logs)
            if self.stop_evaluating:
                break
        return logs

    # ----------------------------------------------------------- evaluate
    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None,
                 steps=None, callbacks=None, return_dict=False):
        """Loss and metrics over the data: a scalar, a list ``[loss, *metrics]`` or a dict."""
        from .. import callbacks as callbacks_module
        self._require_compiled("evaluate")
        batch_size = input_checks.integer_argument(32 if batch_size is None else batch_size, "batch_size")
        steps = input_checks.integer_argument(steps, "steps", allow_none=True)
        verbose = input_checks.verbose_level(verbose)
        if data_module.is_batch_source(x):
            batches = self._source_batches(x, steps, "evaluate", y=y, sample_weight=sample_weight)
        else:
            xs, ys, weights = self._prepare(x, y, sample_weight, "evaluate")
            if ys is None and self._needs_targets():
                raise ValueError("evaluate() needs targets: pass y, or x as (inputs, targets) batches; got "
                                 f"y=None for x of shape {xs[0].shape}")
            batches = data_module.ArrayBatches(xs, ys, weights, batch_size)
            if steps is not None:
                batches.steps = min(batches.steps, steps)
        outer, replicas, callbacks, verbose, steps = data_parallel.session(self, "evaluate", callbacks, verbose, batches)
        callback_list = callbacks_module.CallbackList(
            callbacks, add_progbar=verbose != 0, model=self, verbose=verbose, epochs=1, steps=steps)
        try:
            callback_list.on_test_begin()
            logs = self._evaluate_batches(batches, callback_list)
            callback_list.on_test_end(logs)
        finally:
            self._replicas = outer
            batches.close()
        if not logs:
            raise ValueError("evaluate() received no batches: the generator or Sequence yielded none")
        if return_dict:
            return logs
        values = [logs[name] for name in self.metrics_names if name in logs]
        values += [logs[name] for name in sorted(logs) if name not in self.metrics_names]
        return values[0] if len(values) == 1 else values

    # ------------------------------------------------------------ predict
    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        """The model's outputs for ``x``, computed batch by batch, as arrays."""
        from .. import callbacks as callbacks_module
        batch_size = input_checks.integer_argument(32 if batch_size is None else batch_size, "batch_size")
        steps = input_checks.integer_argument(steps, "steps", allow_none=True)
        verbose = input_checks.verbose_level(verbose)
        if data_module.is_batch_source(x):
            batches = self._source_batches(x, steps, "predict")
        else:
            xs, _, _ = self._prepare(x, None, None, "predict")
            batches = data_module.ArrayBatches(xs, None, None, batch_size)
            if steps is not None:
                batches.steps = min(batches.steps, steps)
        outer, replicas, callbacks, verbose, steps = data_parallel.session(self, "predict", callbacks, verbose, batches)
        callback_list = callbacks_module.CallbackList(
            callbacks, add_progbar=verbose != 0, model=self, verbose=verbose, epochs=1, steps=steps)
        try:
            callback_list.on_predict_begin()
            chunks, per_step = None, []
            step_method = custom_steps.custom_step(self, "predict")
            rebuild = None
            for step, batch in enumerate(data_parallel.epoch(self, batches)):
                callback_list.on_predict_batch_begin(step)
                if replicas is not None:   # this rank's rows; every rank's are gathered in order below
                    outputs = replicas.predict_batch(self, batch)
                    per_step.append(outputs)
                elif step_method is not None:   # the model's own predict_step, as Keras 3 calls it
                    outputs, rebuild = custom_steps.predict_outputs(self, step_method, batch)
                    chunks = [[] for _ in outputs] if chunks is None else chunks
                    for store, output in zip(chunks, outputs):
                        store.append(output)
                else:
                    _, outputs = self._run_batch("predict", batch[0])
                    chunks = [[] for _ in outputs] if chunks is None else chunks
                    for store, output in zip(chunks, outputs):
                        store.append(numpy.asarray(output))
                callback_list.note_samples(data_parallel.samples(self, batch), _sample_total(batches))
                callback_list.on_predict_batch_end(step, {"outputs": outputs})
            if replicas is not None:
                chunks = replicas.gather_predictions(per_step)
            callback_list.on_predict_end()
        finally:
            self._replicas = outer
            batches.close()
        if chunks is None:
            raise ValueError("predict() received no batches: the generator or Sequence yielded none")
        results = [numpy.concatenate(store, axis=0) for store in chunks]
        if rebuild is not None:
            return rebuild(results)
        return self._outputs_like_model(results)

    # ---------------------------------------------------------- on batch
    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None, return_dict=False):
        """One training step on one batch; returns the loss (and metrics) of that batch."""
        self._require_compiled("train_on_batch")
        xs, ys, weights = self._prepare(x, y, sample_weight, "train_on_batch")
        if ys is None and self._needs_targets():
            raise ValueError(f"train_on_batch() needs targets y; got y=None for x of shape {xs[0].shape}")
        class_weight = input_checks.check_class_weight(class_weight, 1 if ys is None else len(ys))
        if class_weight and ys is None:
            raise ValueError("class_weight needs targets y; got y=None")
        if class_weight:
            weights = self._merge_weights(weights, self._class_weights(ys, class_weight))
        return self._single_batch("train", xs, ys, weights, return_dict)

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        self._require_compiled("test_on_batch")
        xs, ys, weights = self._prepare(x, y, sample_weight, "test_on_batch")
        if ys is None and self._needs_targets():
            raise ValueError(f"test_on_batch() needs targets y; got y=None for x of shape {xs[0].shape}")
        return self._single_batch("evaluate", xs, ys, weights, return_dict)

    def predict_on_batch(self, x):
        xs, _, _ = self._prepare(x, None, None, "predict_on_batch")
        step = custom_steps.custom_step(self, "predict")
        if step is not None:   # the model's own predict_step
            outputs, rebuild = custom_steps.predict_outputs(self, step, (xs, None, None))
            return rebuild(outputs)
        _, outputs = self._run_batch("predict", xs)
        outputs = [numpy.asarray(o) for o in outputs]
        return self._outputs_like_model(outputs)

    def _outputs_like_model(self, results):
        """predict's arrays: one array, a list, or (as Keras 3) a dict when the model's outputs are one."""
        structure = getattr(self, "_output_structure", None)
        if getattr(self, "_schedule", None) is not None and isinstance(structure, dict):
            from ..layers.structure import pack_like
            return pack_like(structure, results)
        return results[0] if len(results) == 1 else results

    def _single_batch(self, kind, xs, ys, weights, return_dict):
        self._reset_metrics()
        step = custom_steps.custom_step(self, kind)
        if step is not None:   # the model's own train_step/test_step, as Keras 3 calls it
            logs = custom_steps.run(self, step, (xs, ys, weights))
            return logs if return_dict else custom_steps.values_in_order(self, logs)
        logs = data_parallel.single_batch(self, kind, (xs, ys, weights), _RunningMean)   # None: one process
        if logs is None:
            losses, outputs = self._run_batch(kind, xs, ys, weights)
            self._update_metrics(ys, outputs, weights)
            trackers = []
            for value in losses:
                tracker = _RunningMean()
                tracker.update(value, 1)
                trackers.append(tracker)
            logs = self._logs(trackers)
        if return_dict:
            return logs
        # the layers' metrics as _reset_metrics found them at the start of this batch
        values = [logs[name] for name in self._names_with(self._tracked_metrics) if name in logs]
        return values[0] if len(values) == 1 else values


def _sample_total(batches):
    """How many samples the batches hold, where that is known up front (arrays)."""
    size, batch_size = getattr(batches, "size", None), getattr(batches, "batch_size", None)
    if size is None or batch_size is None:
        return None
    return min(size, batches.steps * batch_size)


__all__ = ["EvaluationLoops"]
