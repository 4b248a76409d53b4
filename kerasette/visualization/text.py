"""A model's graph as text: the picture ``plot_model`` draws, without pydot or Graphviz.

Keras has no such thing; kerasette gives it through ``plot_model(model,
to_file=None)`` (returns the text), ``plot_model(model, to_file="model.txt")``
and ``model_to_text``.  The boxes come in the drawing's order (for a
functional model Keras 3's, inputs first), numbered ``[1]``, ``[2]``...  An
arrow (``│`` over ``▼``) joins a box to the next when that is its only edge
between them; every other edge is written out, on the receiving box as
``◀ from [i] name`` and on the sending one as ``▶ to [j] name``, so each edge
of the graph appears in the text.  A nested model expanded with
``expand_nested`` is a frame (``╔``, ``║``, ``╚``) around its own boxes.
``rankdir``, ``dpi`` and ``splines`` are Graphviz's and have no effect on text.

Example (``show_shapes=True``)::

    ┌─────────────────────────────────────────┐
    │ [1] input_1 (InputLayer)                │
    │ output: (None, 784)                     │
    └─────────────────────────────────────────┘
      │
      ▼
    ┌─────────────────────────────────────────┐
    │ [2] dense (Dense)                       │
    │ (None, 784) → (None, 64)                │
    └─────────────────────────────────────────┘
"""
from __future__ import annotations

from .graph import Box, Cluster, Drawing, build_drawing

__all__ = ["model_to_text", "drawing_to_text"]


def _events(items, depth=0):
    for item in items:
        if isinstance(item, Cluster):
            yield "open", item, depth
            yield from _events(item.items, depth + 1)
            yield "close", item, depth
        else:
            yield "box", item, depth


def drawing_to_text(drawing: Drawing, show_shapes=False, show_dtype=False, show_layer_names=False,
                    show_layer_activations=False, show_trainable=False) -> str:
    """The text of a ``graph.Drawing`` (see the module's docstring)."""
    boxes = drawing.boxes()
    number = {box.key: index + 1 for index, box in enumerate(boxes)}
    by_key = {box.key: box for box in boxes}
    sources, targets = {}, {}
    for source, target in drawing.edges:
        targets.setdefault(source, []).append(target)
        sources.setdefault(target, []).append(source)

    def ref(key):
        return f"[{number[key]}] {by_key[key].name}" if show_layer_names else f"[{number[key]}]"

    events = list(_events(drawing.items))
    # which box follows which with nothing (no frame's edge) between them: those may share an arrow
    follows = {}
    for previous, current in zip(events, events[1:]):
        if previous[0] == "box" and current[0] == "box":
            follows[current[1].key] = previous[1].key
    arrow = {key: before for key, before in follows.items()
             if sources.get(key) == [before] and targets.get(before) == [key]}
    arrow_from = set(arrow.values())

    lines = [f'Model: "{drawing.name}"']
    for kind, item, depth in events:
        margin = "║ " * depth
        if kind == "open":
            lines.append(margin + f"╔═ {item.name} ({item.class_name})")
            continue
        if kind == "close":
            lines.append(margin + "╚═")
            continue
        box: Box = item
        title = f"{box.name} ({box.class_name})" if show_layer_names else box.class_name
        content = [f"[{number[box.key]}] {title}"]
        if box.key in arrow:
            lines += [margin + "  │", margin + "  ▼"]
        elif sources.get(box.key):
            content.append("◀ from " + ", ".join(ref(key) for key in sources[box.key]))
        if show_layer_activations and box.activation is not None:
            content.append(f"activation: {box.activation}")
        if show_shapes:
            content.append(f"output: {box.output_shape}" if box.input_shape is None
                           else f"{box.input_shape} → {box.output_shape}")
        extras = []
        if show_dtype:
            extras.append(f"dtype: {box.dtype}")
        if show_trainable and box.trainable is not None:
            extras.append("trainable" if box.trainable else "non-trainable")
        if extras:
            content.append(" · ".join(extras))
        if targets.get(box.key) and box.key not in arrow_from:
            content.append("▶ to " + ", ".join(ref(key) for key in targets[box.key]))
        width = max(len(text) for text in content)
        lines.append(margin + "┌" + "─" * (width + 2) + "┐")
        lines += [margin + "│ " + text.ljust(width) + " │" for text in content]
        lines.append(margin + "└" + "─" * (width + 2) + "┘")
    return "\n".join(lines)


def model_to_text(model, show_shapes: bool = False, show_dtype: bool = False, show_layer_names: bool = True,
                  expand_nested: bool = False, show_layer_activations: bool = False,
                  show_trainable: bool = False, layer_range=None) -> str:
    """``model``'s graph as text (the boxes and edges ``model_to_dot`` draws); needs no Graphviz.

    >>> print(model_to_text(model, show_shapes=True))   # doctest: +SKIP
    """
    drawing = build_drawing(model, expand_nested=expand_nested, layer_range=layer_range)
    return drawing_to_text(drawing, show_shapes=show_shapes, show_dtype=show_dtype,
                           show_layer_names=show_layer_names, show_layer_activations=show_layer_activations,
                           show_trainable=show_trainable)
