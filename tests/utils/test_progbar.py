"""Progbar: Keras' exact final line, averaging, time units, and no redraw spam in logs."""
import io

import numpy as np
import pytest

from kerasette.utils import Progbar, print_msg
from kerasette.utils import progbar as progbar_module


class FakeClock:
    """Returns the scripted times in order, then keeps returning the last one."""

    def __init__(self, *times):
        self.times = list(times)

    def __call__(self):
        return self.times.pop(0) if len(self.times) > 1 else self.times[0]


def make_bar(target, clock, verbose=1, dynamic=False, **kwargs):
    out = io.StringIO()
    return Progbar(target, verbose=verbose, dynamic=dynamic, file=out, clock=clock, **kwargs), out


def test_final_line_exact_in_static_mode():
    # start at 0; the first step takes 1s (compiling); then 1/256 s per step
    step = 1 / 256
    clock = FakeClock(0.0, 1.0, 1.0 + step, 1.0 + 2 * step, 1.0 + 3 * step)
    bar, out = make_bar(4, clock, stateful_metrics=["accuracy"])
    for current, (loss, accuracy) in enumerate([(0.9, 0.5), (0.7, 0.6), (0.6, 0.7), (0.4, 0.75)], 1):
        bar.update(current, [("loss", loss), ("accuracy", accuracy)])
    # loss is the mean 0.65; accuracy (stateful) is the last value; the slow first
    # step is left out of the per-step time: 4ms/step, elapsed 1s
    assert out.getvalue() == (
        "4/4 [==============================] - 1s 4ms/step - loss: 0.6500 - accuracy: 0.7500\n")


def test_static_mode_writes_one_line_without_carriage_returns():
    bar, out = make_bar(375, FakeClock(*[i * 0.01 for i in range(400)]), interval=0.0)
    for current in range(1, 376):
        bar.update(current, {"loss": 1.0, "val_loss": 2.0})
    text = out.getvalue()
    assert "\r" not in text and "\b" not in text
    assert text.count("\n") == 1
    assert text.startswith("375/375 [==============================] - 4s 10ms/step - loss: 1.0000 "
                           "- val_loss: 2.0000")


def test_values_are_weighted_by_step_size():
    bar, out = make_bar(4, FakeClock(0.0, 1.0, 2.0))
    bar.add(3, [("loss", 1.0)])
    bar.add(1, [("loss", 0.0)])
    # (3 * 1.0 + 1 * 0.0) / 4, not the plain mean 0.5
    assert out.getvalue().endswith("- loss: 0.7500\n")


def test_small_values_use_exponent_format():
    bar, out = make_bar(1, FakeClock(0.0, 0.5))
    bar.update(1, [("loss", 0.0005), ("mae", -0.25), ("zero", 0.0)])
    assert out.getvalue().endswith(" - loss: 5.0000e-04 - mae: -0.2500 - zero: 0.0000e+00\n")


def test_values_accept_numpy_scalars_arrays_and_text():
    bar, out = make_bar(1, FakeClock(0.0, 0.5), stateful_metrics=["note"])
    bar.update(1, [("loss", np.float32(0.25)), ("per_class", np.array([0.5, 1.0])), ("note", "ok")])
    assert out.getvalue().endswith(" - loss: 0.2500 - per_class: 0.7500 - note: ok\n")


@pytest.mark.parametrize("seconds, text", [
    (2.0, "2s/step"), (0.0, "0s/step"), (0.005, "5ms/step"), (0.00025, "250us/step"),
])
def test_time_per_unit_units(seconds, text):
    assert progbar_module.format_time(seconds, "step") == text


@pytest.mark.parametrize("seconds, text", [(42.0, "42s"), (125.0, "2:05"), (3725.0, "1:02:05")])
def test_eta_format(seconds, text):
    assert progbar_module.format_eta(seconds) == text


def test_time_per_step_in_final_line_switches_units():
    bar, out = make_bar(2, FakeClock(0.0, 3.0, 6.0))
    bar.update(1)
    bar.update(2)
    assert out.getvalue() == "2/2 [==============================] - 6s 3s/step\n"


def test_count_is_padded_to_the_target_width():
    bar, out = make_bar(100, FakeClock(0.0, 0.1), width=10)
    bar.update(7, finalize=True)
    assert out.getvalue().startswith("  7/100 [..........] - ")
    bar, out = make_bar(100, FakeClock(0.0, 0.1), width=10)
    bar.update(25, finalize=True)
    assert out.getvalue().startswith(" 25/100 [=>........] - ")


def test_verbose_2_prints_one_summary_line():
    clock = FakeClock(0.0, 1.0, 2.0, 3.0)
    bar, out = make_bar(3, clock, verbose=2)
    bar.update(1, [("loss", 0.3)])
    bar.update(2, [("loss", 0.2)])
    assert out.getvalue() == ""
    bar.update(3, [("loss", 0.1)])
    assert out.getvalue() == "3/3 - 3s - loss: 0.2000 - 3s/epoch - 1s/step\n"


def test_verbose_0_is_silent_even_when_dynamic():
    bar, out = make_bar(2, FakeClock(0.0, 1.0, 2.0), verbose=0, dynamic=True)
    bar.update(1, [("loss", 1.0)])
    bar.update(2, [("loss", 1.0)])
    assert out.getvalue() == ""


def test_unknown_target_finalizes_with_count():
    bar, out = make_bar(None, FakeClock(0.0, 1.0, 2.0))
    bar.update(1, [("loss", 1.0)])
    assert out.getvalue() == ""  # no target, no end: nothing yet in a log
    bar.update(2, [("loss", 0.0)], finalize=True)
    assert out.getvalue() == "      2/Unknown - 2s 1s/step - loss: 0.5000\n"


def test_dynamic_mode_redraws_live_and_leaves_the_final_line():
    clock = FakeClock(0.0, 0.1, 0.2, 0.3, 0.4)
    bar, out = make_bar(4, clock, dynamic=True, interval=0.0)
    for current in range(1, 5):
        bar.update(current, [("loss", 1.0)])
    text = out.getvalue()
    assert "\r" in text  # live redraws
    assert "2/4 [==============>...............] - ETA: 0s - loss: 1.0000" in text
    final = text.split("\r")[-1]
    assert final == "4/4 [==============================] - 0s 100ms/step - loss: 1.0000\n"


def test_dynamic_mode_throttles_redraws_by_interval():
    # updates 0.01s apart with interval 0.05: only every fifth one is drawn
    times = [0.0] + [0.01 * i for i in range(1, 21)]
    bar, out = make_bar(20, FakeClock(*times), dynamic=True, interval=0.05)
    for current in range(1, 21):
        bar.update(current, [("loss", 1.0)])
    text = out.getvalue()
    drawn = [piece for piece in text.split("\r") if "ETA" in piece]
    assert 3 <= len(drawn) <= 5
    assert text.endswith("20/20 [==============================] - 0s 10ms/step - loss: 1.0000\n")


def test_tqdm_style_shows_tqdm_bar_then_keras_line():
    bar, out = make_bar(3, FakeClock(0.0, 1.0, 2.0, 3.0), dynamic=True, interval=0.0, style="tqdm")
    for current in range(1, 4):
        bar.update(current, [("loss", 0.5)])
    text = out.getvalue()
    assert "1/3" in text and "loss: 0.5000" in text and "step" in text
    assert text.split("\r")[-1] == "3/3 [==============================] - 3s 1s/step - loss: 0.5000\n"


def test_environment_variable_forces_the_mode(monkeypatch):
    monkeypatch.setenv("KERASETTE_PROGBAR", "dynamic")
    assert Progbar(3, file=io.StringIO()).dynamic is True
    monkeypatch.setenv("KERASETTE_PROGBAR", "static")
    assert Progbar(3, file=io.StringIO()).dynamic is False


def test_detects_non_terminal_streams_as_static(monkeypatch):
    monkeypatch.delenv("KERASETTE_PROGBAR", raising=False)
    monkeypatch.delitem(__import__("sys").modules, "ipykernel", raising=False)

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    assert Progbar(3, file=io.StringIO()).dynamic is False
    assert Progbar(3, file=Terminal()).dynamic is True


def test_writes_to_current_stdout_by_default(capsys):
    bar = Progbar(1, dynamic=False, clock=FakeClock(0.0, 0.002))
    bar.update(1, [("loss", 2.0)])
    assert capsys.readouterr().out == "1/1 [==============================] - 0s 2ms/step - loss: 2.0000\n"


def test_print_msg_keeps_a_live_bar_intact():
    bar, out = make_bar(4, FakeClock(0.0, 0.1, 0.2, 0.3, 0.4), dynamic=True, interval=0.0)
    bar.update(1, [("loss", 1.0)])
    print_msg("a notice", file=out)
    bar.update(2, [("loss", 1.0)])
    bar.update(3, [("loss", 1.0)])
    bar.update(4, [("loss", 1.0)])
    lines = out.getvalue().split("\n")
    assert any(line.split("\r")[-1] == "a notice" for line in lines)
    assert out.getvalue().endswith("4/4 [==============================] - 0s 100ms/step - loss: 1.0000\n")


def test_print_msg_plain_without_live_bar():
    out = io.StringIO()
    print_msg("Epoch 5: early stopping", file=out)
    assert out.getvalue() == "Epoch 5: early stopping\n"


def test_rejects_unknown_style():
    with pytest.raises(ValueError, match="style"):
        Progbar(3, style="rich")
