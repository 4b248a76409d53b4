"""Callbacks driven through CallbackList by a tiny hand-written fit loop with scripted logs.

The model is a fake that records what callbacks do to it, so each test checks
the callback alone: when training stops, which weights come back, which files
are saved, what the CSV holds, how the learning rate moves, what is printed.
"""
import io
import math

import numpy as np
import pytest

from kerasette import Variable
from kerasette.callbacks import (Callback, CallbackList, CSVLogger, EarlyStopping, History,
                                 LambdaCallback, LearningRateScheduler, ModelCheckpoint,
                                 ProgbarLogger, ReduceLROnPlateau, TerminateOnNaN)


class FakeOptimizer:
    def __init__(self, learning_rate):
        self.learning_rate = learning_rate


class FakeModel:
    """What callbacks use of a model, recording saves."""

    def __init__(self, learning_rate=1.0):
        self.stop_training = False
        self.optimizer = FakeOptimizer(learning_rate)
        self.weights = [np.zeros(2), np.zeros(())]
        self.saved = []

    def get_weights(self):
        return [w.copy() for w in self.weights]

    def set_weights(self, weights):
        self.weights = [np.array(w) for w in weights]

    def save(self, filepath):
        self.saved.append(("model", filepath))

    def save_weights(self, filepath):
        self.saved.append(("weights", filepath))


def fit(model, callbacks, epoch_logs, steps=2, batch_logs=None, verbose=0):
    """A fit loop: in epoch e the 'training' sets every weight to e; logs are scripted.

    Returns the History and the number of epochs run.
    """
    callback_list = CallbackList(callbacks, add_history=True, add_progbar=verbose != 0,
                                 model=model, verbose=verbose, epochs=len(epoch_logs), steps=steps)
    model.stop_training = False
    callback_list.on_train_begin()
    epochs_run = 0
    for epoch, logs in enumerate(epoch_logs):
        callback_list.on_epoch_begin(epoch)
        for batch in range(steps):
            callback_list.on_train_batch_begin(batch)
            model.weights = [np.full_like(w, float(epoch)) for w in model.weights]
            logs_now = batch_logs(epoch, batch) if batch_logs else {"loss": logs.get("loss", 0.0)}
            callback_list.on_train_batch_end(batch, logs_now)
            if model.stop_training:
                break
        callback_list.on_epoch_end(epoch, dict(logs))
        epochs_run += 1
        if model.stop_training:
            break
    callback_list.on_train_end()
    return callback_list.history, epochs_run


def val_losses(*values):
    return [{"loss": 1.0, "val_loss": v} for v in values]


# -- Callback and CallbackList -------------------------------------------------

class Recorder(Callback):
    def __init__(self):
        super().__init__()
        self.calls = []

    def __getattribute__(self, name):
        attribute = super().__getattribute__(name)
        if name.startswith("on_") and callable(attribute):
            calls = super().__getattribute__("calls")

            def record(*args, **kwargs):
                calls.append((name,) + args)
                return attribute(*args, **kwargs)
            return record
        return attribute


def test_train_batch_hooks_call_the_keras2_batch_hooks():
    seen = []

    class Keras2Style(Callback):
        def on_batch_begin(self, batch, logs=None):
            seen.append(("begin", batch))

        def on_batch_end(self, batch, logs=None):
            seen.append(("end", batch, logs["loss"]))

    callbacks = CallbackList([Keras2Style()])
    callbacks.on_train_batch_begin(0)
    callbacks.on_train_batch_end(0, {"loss": 0.5})
    callbacks.on_batch_end(1, {"loss": 0.25})  # the list's alias: once, not twice
    assert seen == [("begin", 0), ("end", 0, 0.5), ("end", 1, 0.25)]


def test_callback_list_sets_model_params_and_fans_out_in_order():
    model = FakeModel()
    first, second = Recorder(), Recorder()
    callbacks = CallbackList([first, [second]], add_history=True, model=model,
                             verbose=0, epochs=3, steps=5)
    assert [type(c) for c in callbacks] == [Recorder, Recorder, History]
    assert first.model is model and second.params == {"verbose": 0, "epochs": 3, "steps": 5}
    assert model.history is callbacks.history
    callbacks.on_train_begin()
    callbacks.on_epoch_begin(0)
    callbacks.on_test_begin()
    callbacks.on_test_batch_end(0, {"loss": 1.0})
    callbacks.on_predict_batch_end(0, {"outputs": "array"})
    assert [c[0] for c in first.calls] == ["on_train_begin", "on_epoch_begin", "on_test_begin",
                                          "on_test_batch_end", "on_predict_batch_end"]
    assert first.calls[3] == ("on_test_batch_end", 0, {"loss": 1.0})
    assert first.calls[4] == ("on_predict_batch_end", 0, {"outputs": "array"})
    assert first.calls == second.calls


def test_callback_list_reuses_given_history_and_progbar():
    history, logger = History(), ProgbarLogger()
    callbacks = CallbackList([history, logger], add_history=True, add_progbar=True,
                             verbose=1, epochs=1, steps=1)
    assert callbacks.callbacks == [history, logger]
    assert callbacks.history is history and callbacks.progbar is logger
    added = CallbackList(None, add_history=True, add_progbar=True, verbose=1, epochs=1, steps=1)
    assert [type(c) for c in added] == [History, ProgbarLogger]


def test_logs_become_python_floats_and_epoch_logs_are_shared():
    class AddsKey(Callback):
        def on_epoch_end(self, epoch, logs=None):
            logs["extra"] = np.float32(2.0)

    model = FakeModel()
    epoch_logs = {"loss": np.float32(0.5), "val_loss": np.array(0.25)}
    callbacks = CallbackList([AddsKey()], add_history=True, model=model, verbose=0, epochs=1, steps=1)
    callbacks.on_train_begin()
    callbacks.on_epoch_begin(0)
    batch = {}

    class Batch(Callback):
        def on_train_batch_end(self, index, logs=None):
            batch.update(logs)
    callbacks.append(Batch())
    callbacks.on_train_batch_end(0, {"loss": np.float64(0.5), "size": 32})
    callbacks.on_epoch_end(0, epoch_logs)
    assert type(batch["loss"]) is float and batch["size"] == 32
    history = callbacks.history.history
    assert history == {"loss": [0.5], "val_loss": [0.25], "extra": [2.0]}
    assert type(history["loss"][0]) is float and type(history["val_loss"][0]) is float
    assert "extra" in epoch_logs  # the caller's dict saw the change


# -- History -------------------------------------------------------------------

def test_history_records_every_epoch_and_params():
    model = FakeModel()
    logs = [{"loss": 0.9, "accuracy": 0.5, "val_loss": 1.0},
            {"loss": 0.7, "accuracy": 0.6, "val_loss": 0.8}]
    history, _ = fit(model, [], logs, steps=3)
    assert history.history == {"loss": [0.9, 0.7], "accuracy": [0.5, 0.6], "val_loss": [1.0, 0.8]}
    assert history.epoch == [0, 1]
    assert history.params == {"verbose": 0, "epochs": 2, "steps": 3}
    assert model.history is history


# -- EarlyStopping -------------------------------------------------------------

def test_early_stopping_stops_after_patience_and_restores_best_weights(capsys):
    model = FakeModel()
    stop = EarlyStopping(patience=2, restore_best_weights=True, verbose=1)
    history, epochs = fit(model, [stop], val_losses(1.0, 0.8, 0.9, 0.85, 0.7))
    # best at epoch 1 (0.8); epochs 2 and 3 do not improve: stop after epoch 3
    assert epochs == 4 and stop.stopped_epoch == 3 and stop.best_epoch == 1
    assert history.history["val_loss"] == [1.0, 0.8, 0.9, 0.85]
    assert [float(w.max()) for w in model.weights] == [1.0, 1.0]
    assert capsys.readouterr().out == ("Epoch 4: early stopping\n"
                                       "Restoring model weights from the end of the best epoch: 2.\n")


def test_early_stopping_without_restore_keeps_last_weights():
    model = FakeModel()
    fit(model, [EarlyStopping(patience=1)], val_losses(1.0, 1.5, 0.5))
    assert [float(w.max()) for w in model.weights] == [1.0, 1.0]


def test_early_stopping_patience_zero_and_min_delta():
    _, epochs = fit(FakeModel(), [EarlyStopping(patience=0)], val_losses(1.0, 1.1, 0.5))
    assert epochs == 2
    # 0.95 is better than 1.0 by less than min_delta: not an improvement
    _, epochs = fit(FakeModel(), [EarlyStopping(patience=1, min_delta=0.1)],
                    val_losses(1.0, 0.95, 0.5))
    assert epochs == 2
    _, epochs = fit(FakeModel(), [EarlyStopping(patience=1, min_delta=0.01)],
                    val_losses(1.0, 0.95, 0.5))
    assert epochs == 3


def test_early_stopping_auto_mode_maximizes_accuracy_like_names():
    logs = [{"val_accuracy": v} for v in (0.5, 0.6, 0.55, 0.58, 0.9)]
    _, epochs = fit(FakeModel(), [EarlyStopping(monitor="val_accuracy", patience=2)], logs)
    assert epochs == 4
    logs = [{"val_auc": v} for v in (0.5, 0.6, 0.7)]
    _, epochs = fit(FakeModel(), [EarlyStopping(monitor="val_auc", patience=0)], logs)
    assert epochs == 3
    # 'min' forced on an accuracy: the first rise stops it
    logs = [{"val_accuracy": v} for v in (0.5, 0.6, 0.7)]
    _, epochs = fit(FakeModel(), [EarlyStopping(monitor="val_accuracy", mode="min")], logs)
    assert epochs == 2


def test_early_stopping_uses_a_metric_direction_from_the_model():
    class Metric:
        name = "score"
        _direction = "up"
    model = FakeModel()
    model.metrics = [Metric()]
    logs = [{"val_score": v} for v in (1.0, 2.0, 3.0)]
    _, epochs = fit(model, [EarlyStopping(monitor="val_score")], logs)
    assert epochs == 3


def test_early_stopping_baseline_must_be_beaten_to_reset_patience():
    values = (0.9, 0.8, 0.85, 0.86, 0.87)
    _, epochs = fit(FakeModel(), [EarlyStopping(patience=2)], val_losses(*values))
    assert epochs == 4
    # with a baseline of 0.5 nothing counts as a real improvement: patience runs out sooner
    stop = EarlyStopping(patience=2, baseline=0.5, restore_best_weights=True)
    model = FakeModel()
    _, epochs = fit(model, [stop], val_losses(*values))
    assert epochs == 3 and stop.best_epoch == 1
    assert float(model.weights[0].max()) == 1.0  # best epoch restored though baseline unmet
    # a baseline the model beats behaves like none
    _, epochs = fit(FakeModel(), [EarlyStopping(patience=2, baseline=0.95)], val_losses(*values))
    assert epochs == 4


def test_early_stopping_waits_until_start_from_epoch():
    rising = val_losses(1.0, 2.0, 3.0, 4.0, 5.0, 6.0)
    _, epochs = fit(FakeModel(), [EarlyStopping(patience=1)], rising)
    assert epochs == 2
    stop = EarlyStopping(patience=1, start_from_epoch=3, restore_best_weights=True)
    model = FakeModel()
    _, epochs = fit(model, [stop], rising)
    assert epochs == 5 and stop.best_epoch == 3
    assert float(model.weights[0].max()) == 3.0


def test_early_stopping_restores_best_even_without_stopping_and_is_reusable():
    stop = EarlyStopping(patience=10, restore_best_weights=True)
    model = FakeModel()
    _, epochs = fit(model, [stop], val_losses(1.0, 0.5, 0.7))
    assert epochs == 3 and float(model.weights[0].max()) == 1.0
    # a second fit starts afresh: the old best (0.5) does not carry over
    _, epochs = fit(model, [stop], val_losses(2.0, 3.0, 1.5))
    assert stop.best == 1.5 and float(model.weights[0].max()) == 2.0


def test_early_stopping_warns_when_monitor_missing():
    with pytest.warns(UserWarning, match="val_loss"):
        _, epochs = fit(FakeModel(), [EarlyStopping()], [{"loss": 1.0}, {"loss": 2.0}])
    assert epochs == 2


# -- ModelCheckpoint -----------------------------------------------------------

def test_checkpoint_formats_path_with_one_based_epoch_and_logs(tmp_path):
    model = FakeModel()
    template = str(tmp_path / "w.{epoch:02d}-{val_loss:.2f}.h5")
    fit(model, [ModelCheckpoint(template, save_weights_only=True)], val_losses(0.5, 0.6, 0.412))
    assert model.saved == [("weights", str(tmp_path / name))
                           for name in ("w.01-0.50.h5", "w.02-0.60.h5", "w.03-0.41.h5")]


def test_checkpoint_best_only_saves_improvements(tmp_path, capsys):
    model = FakeModel()
    path = str(tmp_path / "best.h5")
    checkpoint = ModelCheckpoint(path, save_best_only=True, verbose=1)
    fit(model, [checkpoint], val_losses(0.5, 0.6, 0.4, 0.4))
    assert model.saved == [("model", path), ("model", path)]
    assert checkpoint.best == 0.4
    # Keras 3.15's messages: no best value before the first one ("None"), and a line once saved
    assert capsys.readouterr().out.splitlines() == [
        f"Epoch 1: val_loss improved from None to 0.50000, saving model to {path}",
        f"Epoch 1: finished saving model to {path}",
        "Epoch 2: val_loss did not improve from 0.50000",
        f"Epoch 3: val_loss improved from 0.50000 to 0.40000, saving model to {path}",
        f"Epoch 3: finished saving model to {path}",
        "Epoch 4: val_loss did not improve from 0.40000",
    ]


def test_checkpoint_best_only_max_mode_and_initial_threshold(tmp_path):
    model = FakeModel()
    logs = [{"val_accuracy": v} for v in (0.5, 0.7, 0.6, 0.8)]
    fit(model, [ModelCheckpoint(str(tmp_path / "{epoch}.h5"), monitor="val_accuracy",
                                save_best_only=True)], logs)
    assert [p for _, p in model.saved] == [str(tmp_path / f"{e}.h5") for e in (1, 2, 4)]
    model = FakeModel()
    fit(model, [ModelCheckpoint(str(tmp_path / "{epoch}.h5"), save_best_only=True,
                                initial_value_threshold=0.45)], val_losses(0.5, 0.4, 0.42))
    assert [p for _, p in model.saved] == [str(tmp_path / "2.h5")]


def test_checkpoint_every_n_batches_and_keras2_period(tmp_path):
    model = FakeModel()
    template = str(tmp_path / "e{epoch}-b{batch}.h5")
    fit(model, [ModelCheckpoint(template, save_freq=3)], val_losses(1, 1, 1), steps=2)
    # batches 0,1 | 0,1 | 0,1: the 3rd and 6th batches done
    assert [p for _, p in model.saved] == [str(tmp_path / "e2-b1.h5"), str(tmp_path / "e3-b2.h5")]
    model = FakeModel()
    fit(model, [ModelCheckpoint(str(tmp_path / "{epoch}.h5"), period=2)], val_losses(1, 1, 1, 1))
    assert [p for _, p in model.saved] == [str(tmp_path / "2.h5"), str(tmp_path / "4.h5")]


def test_checkpoint_makes_directories_and_rejects_bad_arguments(tmp_path):
    model = FakeModel()
    path = str(tmp_path / "sub" / "dir" / "w.h5")
    fit(model, [ModelCheckpoint(path, save_weights_only=True)], val_losses(1.0))
    assert (tmp_path / "sub" / "dir").is_dir() and model.saved == [("weights", path)]
    with pytest.raises(ValueError, match="save_freq"):
        ModelCheckpoint("w.h5", save_freq="batch")
    with pytest.raises(TypeError, match="unexpected"):
        ModelCheckpoint("w.h5", frequency=2)
    with pytest.raises(KeyError, match="val_acc"):
        fit(FakeModel(), [ModelCheckpoint(str(tmp_path / "{val_acc}.h5"))], val_losses(1.0))


# -- CSVLogger -----------------------------------------------------------------

def test_csv_logger_writes_epoch_then_sorted_keys(tmp_path):
    path = tmp_path / "log.csv"
    logs = [{"loss": 0.5, "val_loss": 0.75, "accuracy": 0.25},
            {"loss": 0.25, "val_loss": 0.5, "accuracy": 0.5}]
    fit(FakeModel(), [CSVLogger(path)], logs)
    assert path.read_bytes().decode() == ("epoch,accuracy,loss,val_loss\r\n"
                                          "0,0.25,0.5,0.75\r\n"
                                          "1,0.5,0.25,0.5\r\n")


def test_csv_logger_append_separator_and_missing_values(tmp_path):
    path = tmp_path / "log.csv"
    fit(FakeModel(), [CSVLogger(path, separator=";")], [{"loss": 1.0, "val_loss": 2.0}])
    fit(FakeModel(), [CSVLogger(path, separator=";", append=True)],
        [{"loss": 0.5, "val_loss": 1.5}, {"loss": 0.25}])
    assert path.read_bytes().decode() == ("epoch;loss;val_loss\r\n"
                                          "0;1.0;2.0\r\n"
                                          "0;0.5;1.5\r\n"
                                          "1;0.25;NA\r\n")
    # append=False starts over
    fit(FakeModel(), [CSVLogger(path)], [{"loss": 3.0}])
    assert path.read_bytes().decode() == "epoch,loss\r\n0,3.0\r\n"


def test_csv_logger_append_to_missing_file_writes_header(tmp_path):
    path = tmp_path / "new.csv"
    fit(FakeModel(), [CSVLogger(path, append=True)], [{"loss": 1.0}])
    assert path.read_text().splitlines() == ["epoch,loss", "0,1.0"]


# -- ReduceLROnPlateau ---------------------------------------------------------

def test_reduce_lr_with_cooldown_and_min_lr(capsys):
    model = FakeModel(learning_rate=1.0)
    reduce = ReduceLROnPlateau(factor=0.5, patience=1, cooldown=2, min_lr=0.2, verbose=1)
    rates = []
    record = LambdaCallback(on_epoch_end=lambda epoch, logs: rates.append(model.optimizer.learning_rate))
    history, _ = fit(model, [reduce, record], val_losses(*[1.0] * 7))
    # epoch 0 sets the best; from then on no improvement: reduce, cool down,
    # reduce again ... until min_lr.  Keras counts the cooldown from the epoch
    # of the reduction, so cooldown=2 skips one epoch (and cooldown=1 none).
    assert rates == [1.0, 0.5, 0.5, 0.25, 0.25, 0.2, 0.2]
    assert history.history["learning_rate"] == [1.0, 1.0, 0.5, 0.5, 0.25, 0.25, 0.2]
    assert capsys.readouterr().out.splitlines() == [
        "Epoch 2: ReduceLROnPlateau reducing learning rate to 0.5.",
        "Epoch 4: ReduceLROnPlateau reducing learning rate to 0.25.",
        "Epoch 6: ReduceLROnPlateau reducing learning rate to 0.2.",
    ]


def test_reduce_lr_cooldown_one_is_no_pause_like_keras():
    model = FakeModel(learning_rate=1.0)
    fit(model, [ReduceLROnPlateau(factor=0.5, patience=1, cooldown=1)], val_losses(1.0, 1.0, 1.0))
    assert model.optimizer.learning_rate == 0.25


def test_reduce_lr_without_cooldown_and_improvements_reset_wait():
    model = FakeModel(learning_rate=1.0)
    rates = []
    record = LambdaCallback(on_epoch_end=lambda epoch, logs: rates.append(model.optimizer.learning_rate))
    fit(model, [ReduceLROnPlateau(factor=0.1, patience=2), record],
        val_losses(1.0, 1.0, 0.5, 0.5, 0.5, 0.49995, 0.5))
    # improvement at epoch 2 resets the wait; 0.49995 is within min_delta of 0.5
    assert rates == pytest.approx([1.0, 1.0, 1.0, 1.0, 0.1, 0.1, 0.01])


def test_reduce_lr_max_mode_for_accuracy():
    model = FakeModel(learning_rate=1.0)
    fit(model, [ReduceLROnPlateau(monitor="val_accuracy", factor=0.5, patience=1)],
        [{"val_accuracy": v} for v in (0.5, 0.6, 0.7)])
    assert model.optimizer.learning_rate == 1.0
    fit(model, [ReduceLROnPlateau(monitor="val_accuracy", factor=0.5, patience=1)],
        [{"val_accuracy": v} for v in (0.7, 0.6)])
    assert model.optimizer.learning_rate == 0.5


def test_reduce_lr_assigns_a_variable_in_place():
    model = FakeModel()
    variable = Variable(np.float32(1.0), name="learning_rate", trainable=False)
    model.optimizer.learning_rate = variable
    fit(model, [ReduceLROnPlateau(factor=0.5, patience=1)], val_losses(1.0, 1.0))
    assert model.optimizer.learning_rate is variable
    assert float(variable) == 0.5


def test_reduce_lr_rejects_factor_of_one_and_accepts_keras2_epsilon():
    with pytest.raises(ValueError, match="factor"):
        ReduceLROnPlateau(factor=1.0)
    with pytest.warns(UserWarning, match="epsilon"):
        assert ReduceLROnPlateau(epsilon=0.01).min_delta == 0.01


# -- LearningRateScheduler -----------------------------------------------------

def test_scheduler_with_epoch_and_lr(capsys):
    model = FakeModel(learning_rate=0.8)
    rates = []
    record = LambdaCallback(on_epoch_begin=lambda epoch, logs: rates.append(model.optimizer.learning_rate))
    scheduler = LearningRateScheduler(lambda epoch, lr: lr if epoch < 1 else lr / 2, verbose=1)
    history, _ = fit(model, [scheduler, record], val_losses(1, 1, 1))
    assert rates == [0.8, 0.4, 0.2]
    assert history.history["learning_rate"] == [0.8, 0.4, 0.2]
    assert capsys.readouterr().out.splitlines() == [
        f"Epoch {e}: LearningRateScheduler setting learning rate to {lr}."
        for e, lr in ((1, 0.8), (2, 0.4), (3, 0.2))]


def test_scheduler_with_epoch_only_and_numpy_results():
    model = FakeModel(learning_rate=1.0)
    fit(model, [LearningRateScheduler(lambda epoch: 0.1 * (epoch + 1))], val_losses(1, 1))
    assert model.optimizer.learning_rate == pytest.approx(0.2)
    fit(model, [LearningRateScheduler(lambda epoch, lr: np.float32(0.5))], val_losses(1))
    assert model.optimizer.learning_rate == 0.5 and type(model.optimizer.learning_rate) is float


def test_scheduler_rejects_non_numbers_and_keeps_schedule_type_errors():
    with pytest.raises(ValueError, match="should be a float"):
        fit(FakeModel(), [LearningRateScheduler(lambda epoch, lr: "fast")], val_losses(1))

    def broken(epoch, lr):
        return lr + "oops"
    with pytest.raises(TypeError):  # not silently retried as schedule(epoch)
        fit(FakeModel(), [LearningRateScheduler(broken)], val_losses(1))
    model = FakeModel()
    model.optimizer = object()
    with pytest.raises(ValueError, match="learning_rate"):
        fit(model, [LearningRateScheduler(lambda epoch: 0.1)], val_losses(1))


# -- TerminateOnNaN ------------------------------------------------------------

@pytest.mark.parametrize("bad", [math.nan, math.inf, np.float32("nan")])
def test_terminate_on_nan_stops_at_the_bad_batch(capsys, bad):
    model = FakeModel()
    seen = []

    def batch_logs(epoch, batch):
        seen.append((epoch, batch))
        return {"loss": bad if (epoch, batch) == (1, 1) else 0.5}
    history, epochs = fit(model, [TerminateOnNaN()], val_losses(1, 1, 1), steps=3,
                          batch_logs=batch_logs)
    assert seen == [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1)]
    assert model.stop_training and epochs == 2
    assert capsys.readouterr().out == "Batch 1: Invalid loss, terminating training\n"


def test_terminate_on_nan_can_raise():
    with pytest.raises(RuntimeError, match="batch 0"):
        fit(FakeModel(), [TerminateOnNaN(raise_error=True)], val_losses(1),
            batch_logs=lambda epoch, batch: {"loss": math.nan})


# -- LambdaCallback ------------------------------------------------------------

def test_lambda_callback_calls_given_functions():
    calls = []
    callback = LambdaCallback(
        on_train_begin=lambda logs: calls.append("train_begin"),
        on_epoch_begin=lambda epoch, logs: calls.append(("epoch_begin", epoch)),
        on_train_batch_end=lambda batch, logs: calls.append(("batch_end", batch, logs["loss"])),
        on_epoch_end=lambda epoch, logs: calls.append(("epoch_end", epoch, logs["val_loss"])),
        on_train_end=lambda logs: calls.append("train_end"),
        on_test_end=lambda logs: calls.append("test_end"))
    fit(FakeModel(), [callback], val_losses(0.5), steps=2)
    assert calls == ["train_begin", ("epoch_begin", 0), ("batch_end", 0, 1.0),
                     ("batch_end", 1, 1.0), ("epoch_end", 0, 0.5), "train_end"]
    CallbackList([callback]).on_test_end()
    assert calls[-1] == "test_end"


def test_lambda_callback_keras2_batch_hook_and_unknown_names():
    calls = []
    callback = LambdaCallback(on_batch_end=lambda batch, logs: calls.append(batch))
    fit(FakeModel(), [callback], val_losses(1), steps=3)
    assert calls == [0, 1, 2]
    with pytest.raises(TypeError, match="on_epoch_ending"):
        LambdaCallback(on_epoch_ending=print)


# -- ProgbarLogger -------------------------------------------------------------

class FakeClock:
    """Returns the scripted times in order, then keeps returning the last one."""

    def __init__(self, *times):
        self.times = list(times)

    def __call__(self):
        return self.times.pop(0) if len(self.times) > 1 else self.times[0]


def test_progbar_logger_verbose_1_prints_epochs_and_final_lines():
    out = io.StringIO()
    # per epoch the clock is read at its start, after each batch and at its end;
    # the first step (0.25s) is left out of the per-step time (0.5s)
    clock = FakeClock(0.0, 0.25, 0.75, 0.75, 1.0, 1.25, 1.75, 1.75)
    logger = ProgbarLogger(dynamic=False, file=out, clock=clock)
    logs = [{"loss": 0.5, "accuracy": 0.75, "val_loss": 0.625},
            {"loss": 0.25, "accuracy": 0.875, "val_loss": 0.5}]
    fit(FakeModel(), [logger], logs, steps=2, verbose=1)
    assert out.getvalue() == (
        "Epoch 1/2\n"
        "2/2 [==============================] - 1s 500ms/step - loss: 0.5000 - accuracy: 0.7500"
        " - val_loss: 0.6250\n"
        "Epoch 2/2\n"
        "2/2 [==============================] - 1s 500ms/step - loss: 0.2500 - accuracy: 0.8750"
        " - val_loss: 0.5000\n")
    assert "\r" not in out.getvalue()


def test_progbar_logger_verbose_2_one_line_per_epoch():
    out = io.StringIO()
    logger = ProgbarLogger(dynamic=False, file=out, clock=FakeClock(0.0, 0.25, 0.5, 0.75, 0.75))
    fit(FakeModel(), [logger], [{"loss": 0.5, "val_loss": 0.75}], steps=3, verbose=2)
    # one epoch: no "Epoch 1/1" line, like Keras
    assert out.getvalue() == ("3/3 - 1s - loss: 0.5000 - val_loss: 0.7500 - 750ms/epoch"
                              " - 250ms/step\n")


def test_progbar_logger_shows_logs_as_given_not_reaveraged():
    out = io.StringIO()
    logger = ProgbarLogger(dynamic=True, file=out, clock=FakeClock(0.0, 0.25, 0.75, 0.75),
                           interval=0)
    fit(FakeModel(), [logger], [{"loss": 0.5}], steps=2, verbose=1,
        batch_logs=lambda epoch, batch: {"loss": [0.9, 0.7][batch]})
    text = out.getvalue()
    # batch logs are running values already: the second draw shows 0.7, not (0.9+0.7)/2
    assert "1/2 [==============>...............] - ETA: 0s - loss: 0.9000" in text
    assert "2/2 [==============================] - ETA: 0s - loss: 0.7000" in text
    assert text.split("\r")[-1] == "2/2 [==============================] - 1s 500ms/step - loss: 0.5000\n"


def test_progbar_logger_silent_validation_inside_fit_and_evaluate_alone():
    out = io.StringIO()
    logger = ProgbarLogger(dynamic=False, file=out)
    callbacks = CallbackList([logger], model=FakeModel(), verbose=1, epochs=1, steps=2)
    callbacks.on_train_begin()
    callbacks.on_epoch_begin(0)
    callbacks.on_train_batch_end(0, {"loss": 1.0})
    callbacks.on_train_batch_end(1, {"loss": 1.0})
    callbacks.on_test_begin()
    callbacks.on_test_batch_end(0, {"loss": 9.0})
    callbacks.on_test_end({"loss": 9.0})
    callbacks.on_epoch_end(0, {"loss": 1.0, "val_loss": 9.0})
    callbacks.on_train_end()
    assert out.getvalue().count("\n") == 1 and "val_loss: 9.0000" in out.getvalue()

    out = io.StringIO()
    logger = ProgbarLogger(dynamic=False, file=out, clock=FakeClock(0.0, 0.25, 0.5, 0.75, 0.75))
    evaluation = CallbackList([logger], model=FakeModel(), verbose=1, epochs=1, steps=None)
    evaluation.on_test_begin()
    for batch in range(3):
        evaluation.on_test_batch_end(batch, {"loss": 0.5})
    evaluation.on_test_end({"loss": 0.5, "accuracy": 1.0})
    # steps unknown beforehand: the count seen becomes the target
    assert out.getvalue() == ("3/3 [==============================] - 1s 250ms/step"
                              " - loss: 0.5000 - accuracy: 1.0000\n")


def test_progbar_logger_predict_has_no_metrics_and_verbose_0_is_silent():
    out = io.StringIO()
    logger = ProgbarLogger(dynamic=False, file=out, clock=FakeClock(0.0, 0.25, 0.5, 0.5))
    prediction = CallbackList([logger], model=FakeModel(), verbose=1, epochs=1, steps=2)
    prediction.on_predict_begin()
    prediction.on_predict_batch_end(0, {"outputs": np.zeros((4, 2))})
    prediction.on_predict_batch_end(1, {"outputs": np.zeros((4, 2))})
    prediction.on_predict_end()
    assert out.getvalue() == "2/2 [==============================] - 0s 250ms/step\n"

    out = io.StringIO()
    logger = ProgbarLogger(dynamic=False, file=out)
    fit(FakeModel(), [logger], val_losses(1, 1), verbose=0)
    assert out.getvalue() == ""
