"""``CallbackList``: the callbacks of one fit/evaluate/predict call, called as
one (adds ``History`` and ``ProgbarLogger``, fans each hook out in order)."""
from __future__ import annotations

from typing import Optional

from .callback import Callback, _to_python
from .history import History
from .progbar_logger import ProgbarLogger


def _pythonify_in_place(logs: dict) -> dict:
    for key, value in logs.items():
        logs[key] = _to_python(value)
    return logs


class CallbackList(Callback):
    """The callbacks of one fit/evaluate/predict call, called as one.

    Adds a ``History`` (``add_history``) and a ``ProgbarLogger``
    (``add_progbar``) unless the list already holds one, hands every callback
    the model and ``params``, and sets ``model.history``.

    >>> callbacks = CallbackList([EarlyStopping(monitor="loss")], add_history=True,
    ...                          verbose=0, epochs=2, steps=1)
    >>> [type(c).__name__ for c in callbacks]
    ['EarlyStopping', 'History']
    """

    def __init__(self, callbacks=None, add_history: bool = False, add_progbar: bool = False,
                 model=None, **params):
        super().__init__()
        self.callbacks = list(_flatten(callbacks)) if callbacks else []
        self._history = None
        self._progbar = None
        for callback in self.callbacks:
            if isinstance(callback, History):
                self._history = callback
            elif isinstance(callback, ProgbarLogger):
                self._progbar = callback
        if self._history is None and add_history:
            self._history = History()
            self.callbacks.append(self._history)
        if self._progbar is None and add_progbar:
            self._progbar = ProgbarLogger()
            self.callbacks.append(self._progbar)
        self.set_model(model)
        self.set_params(params)

    @property
    def history(self) -> Optional["History"]:
        """The ``History`` callback in this list (what ``fit`` returns), or None."""
        return self._history

    @property
    def progbar(self) -> Optional["ProgbarLogger"]:
        return self._progbar

    def __iter__(self):
        return iter(self.callbacks)

    def __len__(self):
        return len(self.callbacks)

    def append(self, callback: Callback) -> None:
        if self.model is not None:
            callback.set_model(self.model)
        if self.params:
            callback.set_params(self.params)
        self.callbacks.append(callback)

    def set_params(self, params: dict) -> None:
        self.params = params
        if params:
            for callback in self.callbacks:
                callback.set_params(params)

    def set_model(self, model) -> None:
        if model is None:
            return
        super().set_model(model)
        if self._history is not None:
            model.history = self._history
        for callback in self.callbacks:
            callback.set_model(model)

    def note_samples(self, count: int, total=None) -> None:
        """The loop's word on the batch it just ran: ``count`` samples, of
        ``total`` in all where known (``ProgbarLogger(count_mode="samples")``
        counts with it)."""
        if self._progbar is not None:
            self._progbar.note_samples(count, total)

    def _call(self, hook: str, *args, logs=None):
        logs = {} if logs is None else logs
        for callback in self.callbacks:
            getattr(callback, hook)(*args, logs)
        return logs

    # Whole-run hooks.
    def on_train_begin(self, logs=None):
        self._call("on_train_begin", logs=logs)

    def on_train_end(self, logs=None):
        self._call("on_train_end", logs=logs)

    def on_test_begin(self, logs=None):
        self._call("on_test_begin", logs=logs)

    def on_test_end(self, logs=None):
        self._call("on_test_end", logs=logs)

    def on_predict_begin(self, logs=None):
        self._call("on_predict_begin", logs=logs)

    def on_predict_end(self, logs=None):
        self._call("on_predict_end", logs=logs)

    def on_epoch_begin(self, epoch, logs=None):
        self._call("on_epoch_begin", epoch, logs=logs)

    def on_epoch_end(self, epoch, logs=None):
        # In place: callbacks that add keys (learning_rate) must be seen by
        # the later ones and by the caller.
        self._call("on_epoch_end", epoch, logs=_pythonify_in_place({} if logs is None else logs))

    # Batch hooks.  The Keras 2 names are the train-batch ones: calling
    # both would run each callback twice.
    def on_train_batch_begin(self, batch, logs=None):
        self._call("on_train_batch_begin", batch, logs=logs)

    def on_train_batch_end(self, batch, logs=None):
        self._call("on_train_batch_end", batch, logs=_pythonify_in_place(dict(logs or {})))

    on_batch_begin = on_train_batch_begin
    on_batch_end = on_train_batch_end

    def on_test_batch_begin(self, batch, logs=None):
        self._call("on_test_batch_begin", batch, logs=logs)

    def on_test_batch_end(self, batch, logs=None):
        self._call("on_test_batch_end", batch, logs=_pythonify_in_place(dict(logs or {})))

    def on_predict_batch_begin(self, batch, logs=None):
        self._call("on_predict_batch_begin", batch, logs=logs)

    def on_predict_batch_end(self, batch, logs=None):
        # Outputs are arrays: leave them alone.
        self._call("on_predict_batch_end", batch, logs=logs)


def _flatten(items):
    if isinstance(items, (list, tuple)):
        for item in items:
            yield from _flatten(item)
    elif items is not None:
        yield items
