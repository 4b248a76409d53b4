"""``History``: records each epoch's logs; ``fit`` returns it."""
from __future__ import annotations

from .callback import Callback


class History(Callback):
    """Records each epoch's logs; ``fit`` returns it.

    ``history.history`` maps each key to its per-epoch values, ``history.epoch``
    lists the epochs run and ``history.params`` the loop's parameters.

    >>> history = History()
    >>> history.on_train_begin()
    >>> history.on_epoch_end(0, {"loss": 0.5})
    >>> history.history, history.epoch
    ({'loss': [0.5]}, [0])
    """

    def __init__(self):
        super().__init__()
        self.history: dict = {}
        self.epoch: list = []

    def on_train_begin(self, logs=None):
        self.epoch = []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)
        if self.model is not None:
            self.model.history = self
