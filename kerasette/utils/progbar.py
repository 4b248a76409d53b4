"""The training progress bar: Keras' text line, drawn live through tqdm.

``Progbar`` is what ``fit``/``evaluate``/``predict`` show (through
``kerasette.callbacks.ProgbarLogger``) and what users call by hand, with
Keras' constructor and ``update``/``add``.  It has two ways to write:

* dynamic (stdout is a terminal or a Jupyter kernel): a live line, redrawn at
  most every ``interval`` seconds by tqdm, which owns the terminal (width
  trimming, clearing, other tqdm bars, ``tqdm.write``);
* static (a pipe, a CI log, a file): nothing while the epoch runs, then the
  final line alone.  Keras wrote ``\\n`` plus a whole bar at every update here,
  which is why its log files fill with bars; this writes no ``\\r`` or ``\\b``.

Either way the line left behind is Keras' own::

    375/375 [==============================] - 2s 5ms/step - loss: 0.1234 - accuracy: 0.9650

and ``verbose=2`` prints tf.keras' one line per epoch at the end::

    375/375 - 2s - loss: 0.1234 - accuracy: 0.9650 - 2s/epoch - 5ms/step

The mode is detected, or forced with ``dynamic=True/False`` or the environment
variable ``KERASETTE_PROGBAR=dynamic|static``.  The clock is injectable so
tests can pin the timings.

With interactive logging off (``keras.config.disable_interactive_logging()``)
nothing is drawn live and the lines that would be written, and ``print_msg``'s
messages, go to the ``"kerasette"`` logger at INFO level instead (Keras 3 sends
them to absl's logging).
"""
from __future__ import annotations

import logging
import math
import numbers
import os
import sys
import time
from typing import Callable, Iterable, Mapping, Optional, TextIO

import numpy

from ..backend import is_interactive_logging_enabled

__all__ = ["Progbar", "print_msg"]

# Environment override of the detected display mode: "dynamic" or "static".
PROGBAR_ENV = "KERASETTE_PROGBAR"

#: where lines go while interactive logging is off
logger = logging.getLogger("kerasette")


def _tqdm_class():
    # tqdm is imported lazily: a silent or static run never needs it, and the
    # package import stays light.
    from tqdm import tqdm
    return tqdm


def print_msg(message: str, line_break: bool = True, file: Optional[TextIO] = None) -> None:
    """Print a message without tearing a live progress bar.

    While a tqdm bar is on screen, ``tqdm.write`` clears it, prints the message
    and redraws it below; otherwise this is a plain write.  Callbacks print
    their notices ("Epoch 5: early stopping") through here.  With interactive
    logging off the message goes to the ``"kerasette"`` logger (INFO) instead.
    """
    if not is_interactive_logging_enabled():
        logger.info(message)
        return
    stream = file if file is not None else sys.stdout
    tqdm = sys.modules.get("tqdm.std")
    live = tqdm is not None and bool(getattr(tqdm.tqdm, "_instances", None))
    if live and line_break:
        tqdm.tqdm.write(message, file=stream)
        return
    stream.write(message + ("\n" if line_break else ""))
    stream.flush()


def _detect_dynamic(stream) -> bool:
    forced = os.environ.get(PROGBAR_ENV, "").strip().lower()
    if forced in ("dynamic", "1", "true", "tty"):
        return True
    if forced in ("static", "0", "false", "log"):
        return False
    isatty = getattr(stream, "isatty", None)
    try:
        if isatty is not None and isatty():
            return True
    except ValueError:  # a closed stream
        return False
    return "ipykernel" in sys.modules


def _terminal_size(stream) -> tuple:
    """Usable ``(columns, rows)`` of the terminal behind ``stream``; None where unknown.

    Some pseudo-terminals (CI runners, ``script``) report 0x0, and tqdm, left
    to ask itself, would then trim every line to nothing and draw no row.
    """
    try:
        size = os.get_terminal_size(stream.fileno())
    except (AttributeError, OSError, ValueError):
        return None, None
    # one column short of the edge: a full line would wrap on some terminals
    return (size.columns - 1 if size.columns > 1 else None,
            size.lines if size.lines > 1 else None)


def _as_number(value):
    """A float for scalars (Python, numpy, 0-d arrays, Tensors), a mean for arrays,
    or None for anything that is not numeric (shown as text)."""
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, numbers.Real):
        return float(value)
    if isinstance(value, str):
        return None
    try:
        array = numpy.asarray(value, dtype=float)
    except (TypeError, ValueError):
        # cupy arrays refuse implicit host copies; their .get() is the way
        getter = getattr(value, "get", None)
        if getter is None:
            return None
        try:
            array = numpy.asarray(getter(), dtype=float)
        except (TypeError, ValueError):
            return None
    return float(array.mean()) if array.size else None


def format_value(value) -> str:
    """Keras' number format: ``%.4f`` unless tiny, then ``%.4e``."""
    if isinstance(value, float):
        return f"{value:.4f}" if abs(value) > 1e-3 else f"{value:.4e}"
    return str(value)


def format_time(seconds: float, unit_name: str) -> str:
    """``5ms/step``-style: whole seconds, milliseconds or microseconds per unit."""
    if seconds >= 1 or seconds == 0:
        return f"{seconds:.0f}s/{unit_name}"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.0f}ms/{unit_name}"
    return f"{seconds * 1e6:.0f}us/{unit_name}"


def format_eta(seconds: float) -> str:
    """Keras' ETA: ``%ds``, ``%d:%02d`` or ``%d:%02d:%02d``."""
    if seconds > 3600:
        return "%d:%02d:%02d" % (seconds // 3600, (seconds % 3600) // 60, seconds % 60)
    if seconds > 60:
        return "%d:%02d" % (seconds // 60, seconds % 60)
    return "%ds" % seconds


class Progbar:
    """A Keras progress bar.

    ``values`` are ``(name, value)`` pairs (or a dict) for the last step; they are
    averaged over the steps seen, weighted by the step size, except names in
    ``stateful_metrics``, which are shown as given.

    >>> import io
    >>> out = io.StringIO()
    >>> ticks = iter([0.0, 0.5, 1.0, 1.5])
    >>> bar = Progbar(3, dynamic=False, file=out, clock=lambda: next(ticks))
    >>> for step in (1, 2, 3):
    ...     bar.update(step, [("loss", 1.0 / step)])
    >>> print(out.getvalue(), end="")
    3/3 [==============================] - 2s 500ms/step - loss: 0.6111

    Args beyond Keras': ``dynamic`` forces the live (True) or the log-friendly
    (False) display, ``None`` detects it; ``file`` is the stream (stdout when
    None, looked up at each write); ``clock`` returns seconds (``time.time``);
    ``style="tqdm"`` shows tqdm's own bar while the epoch runs instead of Keras'.
    """

    def __init__(self, target: Optional[int], width: int = 30, verbose: int = 1,
                 interval: float = 0.05, stateful_metrics: Optional[Iterable[str]] = None,
                 unit_name: str = "step", *, dynamic: Optional[bool] = None,
                 file: Optional[TextIO] = None, clock: Optional[Callable[[], float]] = None,
                 style: str = "keras"):
        if style not in ("keras", "tqdm"):
            raise ValueError(f"Progbar style must be 'keras' or 'tqdm', got {style!r}")
        self.target = target
        self.width = int(width)
        self.verbose = verbose
        self.interval = interval
        self.unit_name = unit_name
        self.stateful_metrics = set(stateful_metrics) if stateful_metrics else set()
        self.style = style
        self._file = file
        self._clock = clock or time.time
        self._dynamic = dynamic
        # name -> [weighted sum, weight] for averaged values, or the raw value
        self._values: dict = {}
        self._values_order: list = []
        self._seen_so_far = 0
        self._start = self._clock()
        self._last_update = -math.inf
        self._time_at_epoch_start = self._start
        self._time_at_epoch_end = None
        self._time_after_first_step = None
        self._live_bar = None

    # -- public API -------------------------------------------------------------

    @property
    def dynamic(self) -> bool:
        """Whether this bar redraws a live line (resolved at the first write)."""
        if self._dynamic is None:
            self._dynamic = _detect_dynamic(self._stream)
        return self._dynamic

    def update(self, current: int, values=None, finalize: Optional[bool] = None) -> None:
        """Move the bar to step ``current`` (1-based count of steps done).

        ``finalize`` marks the last update (default: ``current >= target``); it
        writes the final line.
        """
        if finalize is None:
            finalize = self.target is not None and current >= self.target
        self._accumulate(current, values)
        self._seen_so_far = current

        now = self._clock()
        time_per_unit = self._estimate_step_duration(current, now)
        if self.target is not None and current >= self.target and self._time_at_epoch_end is None:
            self._time_at_epoch_end = now

        if self.verbose == 1:
            if not finalize and now - self._last_update < self.interval:
                return
            if finalize:
                self._close_live_bar()
                self._write(self._final_line(current, now, time_per_unit) + "\n")
            elif self.dynamic and is_interactive_logging_enabled():
                self._draw_live(current, now, time_per_unit)
        elif self.verbose == 2 and finalize:
            self._write(self._summary_line(current, now) + "\n")
        self._last_update = now

    def add(self, n: int, values=None) -> None:
        """Advance by ``n`` steps."""
        self.update(self._seen_so_far + n, values)

    # -- values and time --------------------------------------------------------

    def _accumulate(self, current, values):
        if values is None:
            return
        items = values.items() if isinstance(values, Mapping) else values
        for name, value in items:
            if name not in self._values_order:
                self._values_order.append(name)
            number = _as_number(value)
            if name in self.stateful_metrics or number is None:
                self._values[name] = value if number is None else number
                continue
            # A bar without a target gets the same step twice (last batch,
            # then the epoch end): count such a repeat as one step, not zero.
            step_size = max(current - self._seen_so_far, 1)
            total = self._values.get(name)
            if isinstance(total, list):
                total[0] += number * step_size
                total[1] += step_size
            else:
                self._values[name] = [number * step_size, step_size]

    def _value_text(self) -> str:
        parts = []
        for name in self._values_order:
            value = self._values[name]
            if isinstance(value, list):
                value = value[0] / max(1, value[1])
            parts.append(f" - {name}: {format_value(value)}")
        return "".join(parts)

    def _estimate_step_duration(self, current, now) -> float:
        # The first step carries one-off costs (compiling the program): leave
        # it out of the per-step time once later steps are known, as Keras does.
        if not current:
            return 0.0
        if self._time_after_first_step is not None and current > 1:
            per_unit = (now - self._time_after_first_step) / (current - 1)
        else:
            per_unit = (now - self._start) / current
        if current == 1:
            self._time_after_first_step = now
        return per_unit

    # -- lines ------------------------------------------------------------------

    def _count_text(self, current) -> str:
        digits = int(math.log10(self.target)) + 1
        return f"{current:{digits}d}/{self.target}"

    def _bar_text(self, current) -> str:
        if not self.target:
            return "%7d/Unknown" % current
        progress_width = int(self.width * min(current / self.target, 1.0))
        bar = ""
        if progress_width > 0:
            bar = "=" * (progress_width - 1) + (">" if current < self.target else "=")
        bar += "." * (self.width - progress_width)
        return f"{self._count_text(current)} [{bar}]"

    def _final_line(self, current, now, time_per_unit) -> str:
        timing = f" - {now - self._start:.0f}s {format_time(time_per_unit, self.unit_name)}"
        return self._bar_text(current) + timing + self._value_text()

    def _live_line(self, current, now, time_per_unit) -> str:
        if not self.target:
            return self._final_line(current, now, time_per_unit)
        eta = time_per_unit * (self.target - current)
        return self._bar_text(current) + f" - ETA: {format_eta(eta)}" + self._value_text()

    def _summary_line(self, current, now) -> str:
        count = self._count_text(current) if self.target else f"{current}"
        line = f"{count} - {now - self._start:.0f}s" + self._value_text()
        epoch_end = self._time_at_epoch_end if self._time_at_epoch_end is not None else now
        epoch_time = epoch_end - self._time_at_epoch_start
        steps = self.target or current
        if steps:
            line += f" - {format_time(epoch_time, 'epoch')}"
            line += f" - {format_time(epoch_time / steps, self.unit_name)}"
        return line

    # -- output -----------------------------------------------------------------

    @property
    def _stream(self):
        return self._file if self._file is not None else sys.stdout

    def _write(self, text: str) -> None:
        if not is_interactive_logging_enabled():
            logger.info(text.rstrip("\n"))
            return
        stream = self._stream
        stream.write(text)
        stream.flush()

    def _draw_live(self, current, now, time_per_unit) -> None:
        tqdm = _tqdm_class()
        # Re-read the width at each redraw: the window may have been resized.
        # Unknown width: Keras' line is left whole, tqdm's bar gets 80 columns.
        columns, rows = _terminal_size(self._stream)
        rows = rows or 20
        if self.style == "tqdm":
            columns = columns or 80
            if self._live_bar is None:
                self._live_bar = tqdm(total=self.target, file=self._stream, unit=self.unit_name,
                                      leave=False, ncols=columns, nrows=rows, mininterval=0,
                                      miniters=1)
            self._live_bar.ncols, self._live_bar.nrows = columns, rows
            self._live_bar.set_postfix_str(self._value_text()[3:], refresh=False)
            if current > self._live_bar.n:
                self._live_bar.update(current - self._live_bar.n)  # keeps tqdm's rate right
            else:
                self._live_bar.refresh()
            return
        line = self._live_line(current, now, time_per_unit)
        if self._live_bar is None:
            # The whole Keras line is tqdm's description: tqdm only draws it,
            # trimmed to the terminal width so that it never wraps and leaves
            # debris (ncols=0: no trimming).
            self._live_bar = tqdm(total=None, desc=line, bar_format="{desc}", file=self._stream,
                                  leave=False, ncols=columns or 0, nrows=rows, mininterval=0)
        else:
            self._live_bar.ncols, self._live_bar.nrows = columns or 0, rows
            self._live_bar.set_description_str(line, refresh=True)

    def _close_live_bar(self) -> None:
        # leave=False: tqdm wipes its line, and the untrimmed final line is
        # written in its place.
        if self._live_bar is not None:
            self._live_bar.close()
            self._live_bar = None

    def __del__(self):
        try:
            self._close_live_bar()
        except Exception:  # interpreter shutdown: nothing sensible to do
            pass
