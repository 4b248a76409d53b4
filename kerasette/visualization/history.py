"""``plot_history``: a ``fit`` History as a picture (matplotlib, ``pip install kerasette[plot]``).

Keras has no such function; the plot everyone writes by hand after ``fit``:
one panel per quantity (the loss, then each metric), its training curve and,
where ``fit`` validated, its ``val_`` curve, against the epoch (1, 2, ...).
The learning rate, when a callback logged it, gets a panel of its own.
"""
from __future__ import annotations

import os

__all__ = ["plot_history"]


def _series(history) -> tuple:
    """(the per-key values, the epoch numbers) of a History or of its ``history`` dict."""
    values = getattr(history, "history", history)
    if not isinstance(values, dict):
        raise TypeError(f"plot_history takes the History fit returns (or its .history dict), "
                        f"got {type(history).__name__}")
    if not values:
        raise ValueError("plot_history: the history is empty (fit ran no epoch)")
    lengths = {key: len(series) for key, series in values.items()}
    if len(set(lengths.values())) != 1:
        raise ValueError(f"plot_history: every series needs one value per epoch, got lengths {lengths}")
    epochs = list(getattr(history, "epoch", []) or [])
    count = next(iter(lengths.values()))
    if len(epochs) != count:
        epochs = list(range(count))
    return values, [epoch + 1 for epoch in epochs]


def plot_history(history, to_file: str | os.PathLike = "history.png", metrics=None, dpi: int = 100,
                 figsize=None, title: str | None = None) -> list:
    """Plot the losses and metrics of ``history`` per epoch, train and validation, into ``to_file``.

    ``history``: what ``fit`` returns (or its ``history`` dict).  ``metrics``: the
    names to plot (``"loss"``, ``"accuracy"``...; default: every name that is not a
    ``val_`` one, the loss first, then the others in the history's order, which Keras 3
    keeps sorted).  One panel per name, side by side; returns the names in panel order.

    >>> history = model.fit(x, y, validation_split=0.2, epochs=5)   # doctest: +SKIP
    >>> plot_history(history, "history.png")                         # doctest: +SKIP
    ['loss', 'accuracy']
    """
    values, epochs = _series(history)
    names = [key for key in values if not key.startswith("val_")]
    names += [key[4:] for key in values if key.startswith("val_") and key[4:] not in values]
    names.sort(key=lambda name: name != "loss")         # stable: the loss's panel first
    if metrics is not None:
        metrics = [metrics] if isinstance(metrics, str) else list(metrics)
        unknown = [name for name in metrics if name not in values and f"val_{name}" not in values]
        if unknown:
            raise ValueError(f"plot_history: metrics {unknown} are not in the history, "
                             f"which holds {sorted(values)}")
        names = metrics
    try:
        from matplotlib.figure import Figure   # no pyplot: the user's backend stays as it is
    except ImportError as error:
        raise ImportError("plot_history needs matplotlib: pip install 'kerasette[plot]' "
                          "(or: pip install matplotlib)") from error
    figsize = figsize or (4.5 * len(names), 3.5)
    figure = Figure(figsize=figsize, dpi=dpi)
    axes = figure.subplots(1, len(names), squeeze=False)[0]
    for ax, name in zip(axes, names):
        for key, label, style in ((name, "train", "-o"), (f"val_{name}", "validation", "--s")):
            if key in values:
                ax.plot(epochs, [float(value) for value in values[key]], style, label=label, markersize=4)
        ax.set_title(name)
        ax.set_xlabel("epoch")
        ax.grid(True, alpha=0.3)
        ax.legend()
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    figure.savefig(os.fspath(to_file), dpi=dpi)
    return names
