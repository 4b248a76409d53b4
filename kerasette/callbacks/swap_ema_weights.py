"""``SwapEMAWeights``: evaluate and predict with the optimizer's moving averages.

With ``use_ema=True`` an optimizer keeps an exponential moving average of
every trainable variable beside it. This callback swaps the averages into the
model for each evaluation and prediction (validation during ``fit`` included)
and swaps the trained values back afterwards, so training goes on from where
it was. With ``swap_on_epoch=True`` the averages are also in the model
between epochs, which is what ``ModelCheckpoint`` placed after this callback
saves.

Keras 3's ``on_predict_end`` leaves the averages in the model (it tests the
flag the wrong way round); here predict swaps back like evaluate does.
"""
from __future__ import annotations

import numpy

from .callback import Callback

__all__ = ["SwapEMAWeights"]


def _ema_optimizers(optimizer) -> list:
    """The optimizers with moving averages behind ``optimizer`` (a wrapper's inner
    optimizer, each optimizer of a combination); an error names what is missing."""
    optimizer = getattr(optimizer, "inner_optimizer", optimizer)
    if hasattr(optimizer, "optimizers"):
        found = [inner for inner in optimizer.optimizers if getattr(inner, "use_ema", False)]
        if not found:
            raise ValueError("SwapEMAWeights must be used when at least one inner optimizer has `use_ema=True` "
                             "set. Received: use_ema=False for every inner optimizer")
        return found
    if not getattr(optimizer, "use_ema", False):
        raise ValueError("SwapEMAWeights must be used when `use_ema=True` is set on the optimizer. "
                         f"Received: use_ema={getattr(optimizer, 'use_ema', None)}")
    return [optimizer]


def _pairs(optimizer):
    """``(variable, its moving average)`` for each variable the optimizer trains."""
    if not optimizer.built:
        return []
    return [(variable, optimizer._slots[index]["average"])
            for index, variable in enumerate(optimizer._trainable_variables)]


class SwapEMAWeights(Callback):
    """Swap the optimizer's moving averages (``use_ema=True``) into the model for
    evaluation and prediction.

    >>> optimizer = kerasette.optimizers.SGD(use_ema=True, ema_momentum=0.9)
    >>> # model.fit(x, y, validation_data=(vx, vy), callbacks=[SwapEMAWeights()])
    """

    def __init__(self, swap_on_epoch: bool = False):
        super().__init__()
        self.swap_on_epoch = swap_on_epoch
        self._ema_weights_in_model = False

    def _swap_variables(self):
        for optimizer in _ema_optimizers(self.model.optimizer):
            for variable, average in _pairs(optimizer):
                trained = numpy.array(variable.data, copy=True)
                variable.assign(average.data)
                average.assign(trained)

    def _finalize_ema_values(self):
        # the averages are in the model now; fit's end sets the variables to the
        # "averages" again, which must therefore hold the same values
        for optimizer in _ema_optimizers(self.model.optimizer):
            for variable, average in _pairs(optimizer):
                average.assign(numpy.array(variable.data, copy=True))

    def _swap_in(self):
        if not self._ema_weights_in_model:
            self._swap_variables()
            self._ema_weights_in_model = True

    def _swap_out(self):
        if self._ema_weights_in_model:
            self._swap_variables()
            self._ema_weights_in_model = False

    def on_epoch_begin(self, epoch, logs=None):
        if self.swap_on_epoch:
            self._swap_out()

    def on_epoch_end(self, epoch, logs=None):
        if self.swap_on_epoch and not self._ema_weights_in_model:
            self._swap_in()
            if epoch == self.params.get("epochs", 0) - 1:
                self._finalize_ema_values()

    def on_test_begin(self, logs=None):
        self._swap_in()

    def on_test_end(self, logs=None):
        self._swap_out()

    def on_predict_begin(self, logs=None):
        self._swap_in()

    def on_predict_end(self, logs=None):
        self._swap_out()
