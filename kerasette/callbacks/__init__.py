"""Callbacks: code the training loop calls at fixed points of fit/evaluate/predict.

Keras 3's protocol, so user callbacks port unchanged.  The loop builds one
``CallbackList`` per ``fit``/``evaluate``/``predict`` and calls its hooks; the
list fans each call out to every callback in order (user callbacks first, then
the ``History`` and ``ProgbarLogger`` it adds), passing the *same* ``logs``
dict at an epoch's end, so what an early callback writes into it
(``ReduceLROnPlateau`` adds ``learning_rate``) is recorded by ``History``.

What the loop promises (Keras 3's conventions):

* ``params`` is ``{"verbose", "epochs", "steps"}``;
* batch logs hold the epoch's running values so far (the mean loss over the
  batches seen), epoch logs the epoch's final values plus ``val_*``;
* after each batch and epoch the loop reads ``model.stop_training``, which
  callbacks set to end training.

The callbacks touch the model only through ``stop_training``,
``get_weights``/``set_weights``, ``save``/``save_weights``,
``optimizer.learning_rate`` and (optionally) ``metrics``.

The package holds one family a module, as Keras 3 does: ``callback`` (the
base class), ``callback_list``, ``history``, ``progbar_logger``,
``monitor_callback`` (the shared base of the callbacks that watch a metric),
``early_stopping``, ``model_checkpoint``, ``csv_logger``, ``learning_rate``
(the optimizer's learning rate, read and set), ``reduce_lr_on_plateau``,
``learning_rate_scheduler``, ``terminate_on_nan``, ``lambda_callback``,
``backup_and_restore`` (resume an interrupted fit), ``swap_ema_weights``,
``remote_monitor`` and ``tensorboard`` (event files through tensorboardX, an
optional extra).
"""
from __future__ import annotations

from .backup_and_restore import BackupAndRestore
from .callback import Callback
from .callback_list import CallbackList
from .csv_logger import CSVLogger
from .early_stopping import EarlyStopping
from .history import History
from .lambda_callback import LambdaCallback
from .learning_rate_scheduler import LearningRateScheduler
from .model_checkpoint import ModelCheckpoint
from .progbar_logger import ProgbarLogger
from .reduce_lr_on_plateau import ReduceLROnPlateau
from .remote_monitor import RemoteMonitor
from .swap_ema_weights import SwapEMAWeights
from .tensorboard import TensorBoard
from .terminate_on_nan import TerminateOnNaN

__all__ = [
    "Callback", "CallbackList", "History", "ProgbarLogger", "EarlyStopping", "ModelCheckpoint",
    "CSVLogger", "ReduceLROnPlateau", "LearningRateScheduler", "TerminateOnNaN", "LambdaCallback",
    "BackupAndRestore", "RemoteMonitor", "SwapEMAWeights", "TensorBoard",
]
