"""``model_to_dot`` and ``plot_model``: a model's graph through pydot and Graphviz.

Keras 3's two functions and arguments.  pydot builds the graph (``pip install
kerasette[plot]``); Graphviz's ``dot`` program lays it out and writes the
picture (``apt-get install graphviz``, ``brew install graphviz`` or ``conda
install graphviz``).  Both are imported or looked for only when a picture is
asked for; without them the error says what to install.

``plot_model(model, to_file=None)`` (or a ``.txt`` file) needs neither: it
gives the same graph as text (``text.py``).
"""
from __future__ import annotations

import html
import os
import shutil

from .graph import Box, Cluster, build_drawing
from .text import drawing_to_text

__all__ = ["model_to_dot", "plot_model", "check_pydot", "check_graphviz"]

_RANKDIRS = ("TB", "LR", "BT", "RL")
_PLOT_HINT = "pip install 'kerasette[plot]' (or: pip install pydot)"
_GRAPHVIZ_HINT = ("Graphviz's `dot` program (Debian/Ubuntu: apt-get install graphviz; macOS: brew install "
                  "graphviz; conda: conda install graphviz; others: https://graphviz.org/download/)")


def _pydot(what: str):
    try:
        import pydot
    except ImportError as error:
        raise ImportError(f"{what} needs the pydot package: {_PLOT_HINT}. "
                          "plot_model(model, to_file=None) draws the graph as text without it.") from error
    return pydot


def check_pydot() -> bool:
    """Whether pydot can be imported."""
    try:
        _pydot("")
    except ImportError:
        return False
    return True


def check_graphviz() -> bool:
    """Whether pydot is there and Graphviz's ``dot`` program runs."""
    if not check_pydot() or shutil.which("dot") is None:
        return False
    import pydot
    try:
        pydot.Dot().create(format="svg")
    except Exception:   # pydot raises plain exceptions (and OSError) when dot fails
        return False
    return True


def _label(box: Box, show_shapes, show_dtype, show_layer_names, show_layer_activations, show_trainable) -> str:
    """An HTML-like Graphviz label: a dark title row, then rows for what is asked for."""
    def cell(text, bgcolor="white", color="black", colspan=1, bold=False):
        text = html.escape(text)
        text = f"<b>{text}</b>" if bold else text
        span = f' colspan="{colspan}"' if colspan > 1 else ""
        return f'<td bgcolor="{bgcolor}"{span}><font point-size="14" color="{color}">{text}</font></td>'

    columns = []
    if show_shapes:
        if box.input_shape is not None:
            columns.append(cell(f"Input shape: {box.input_shape}"))
        columns.append(cell(f"Output shape: {box.output_shape}"))
    if show_dtype:
        columns.append(cell(f"Output dtype: {box.dtype}"))
    if show_trainable and box.trainable is not None:
        columns.append(cell("Trainable" if box.trainable else "Non-trainable",
                            "forestgreen" if box.trainable else "firebrick", "white", bold=True))
    span = max(len(columns), 1)
    title = f"{box.name} ({box.class_name})" if show_layer_names else box.class_name
    rows = [f"<tr>{cell(title, 'black', 'white', span, bold=True)}</tr>"]
    if show_layer_activations and box.activation is not None:
        rows.append(f"<tr>{cell(f'Activation: {box.activation}', colspan=span)}</tr>")
    if columns:
        rows.append("<tr>" + "".join(columns) + "</tr>")
    return '<<table border="0" cellborder="1" cellspacing="0" cellpadding="8">' + "".join(rows) + "</table>>"


def model_to_dot(model, show_shapes: bool = False, show_dtype: bool = False, show_layer_names: bool = True,
                 rankdir: str = "TB", expand_nested: bool = False, dpi: int = 200, subgraph: bool = False,
                 show_layer_activations: bool = False, show_trainable: bool = False, splines: str = "ortho",
                 layer_range=None):
    """A ``pydot.Dot`` of ``model``'s graph (a ``pydot.Cluster`` with ``subgraph=True``).

    Keras 3's arguments; ``layer_range=[first, last]`` (two layer names, matched with
    ``re.match``) keeps the layers from the first match to the last and the edges
    between them, as Keras 2 did.  Node names are the layers' names
    (``outer/inner`` inside an expanded nested model).

    >>> dot = model_to_dot(model, show_shapes=True)         # doctest: +SKIP
    >>> sorted(node.get_name() for node in dot.get_nodes())  # doctest: +SKIP
    """
    if rankdir not in _RANKDIRS:
        raise ValueError(f"rankdir must be one of {_RANKDIRS}, got {rankdir!r}")
    drawing = build_drawing(model, expand_nested=expand_nested, layer_range=layer_range)
    pydot = _pydot("model_to_dot")
    flags = dict(show_shapes=show_shapes, show_dtype=show_dtype, show_layer_names=show_layer_names,
                 show_layer_activations=show_layer_activations, show_trainable=show_trainable)
    if subgraph:
        dot = pydot.Cluster(graph_name=model.name, style="dashed", label=model.name, labeljust="l")
    else:
        dot = pydot.Dot(graph_type="digraph", rankdir=rankdir, concentrate="true", dpi=str(dpi),
                        splines=splines)
        dot.set_node_defaults(shape="plaintext")

    def add(parent, items):
        for item in items:
            if isinstance(item, Cluster):
                cluster = pydot.Cluster(graph_name=item.key.replace("/", "__"), style="dashed",
                                        label=f"{item.name} ({item.class_name})", labeljust="l")
                add(cluster, item.items)
                parent.add_subgraph(cluster)
            else:
                parent.add_node(pydot.Node(item.key, label=_label(item, **flags), fontname="Helvetica",
                                           shape="plaintext", margin="0"))

    add(dot, drawing.items)
    for source, target in drawing.edges:
        dot.add_edge(pydot.Edge(source, target, penwidth="2"))
    return dot


def plot_model(model, to_file: str | os.PathLike | None = "model.png", show_shapes: bool = False,
               show_dtype: bool = False, show_layer_names: bool = False, rankdir: str = "TB",
               expand_nested: bool = False, dpi: int = 200, show_layer_activations: bool = False,
               show_trainable: bool = False, splines: str = "ortho", layer_range=None):
    """Draw ``model``'s graph into ``to_file`` (its extension picks the format: png, svg, pdf, dot...).

    Keras 3's arguments and defaults (``show_layer_names=False`` here, ``True`` in
    ``model_to_dot``, as in Keras 3).  Returns an ``IPython.display.Image`` where
    IPython is installed (not for pdf), else None.

    kerasette's addition: ``to_file=None`` returns the graph as text (needs neither
    pydot nor Graphviz), and ``to_file='model.txt'`` writes that text.

    >>> print(plot_model(model, to_file=None, show_shapes=True))   # doctest: +SKIP
    """
    if to_file is None or str(to_file).endswith(".txt"):
        if rankdir not in _RANKDIRS:
            raise ValueError(f"rankdir must be one of {_RANKDIRS}, got {rankdir!r}")
        text = drawing_to_text(build_drawing(model, expand_nested=expand_nested, layer_range=layer_range),
                               show_shapes=show_shapes, show_dtype=show_dtype,
                               show_layer_names=show_layer_names,
                               show_layer_activations=show_layer_activations, show_trainable=show_trainable)
        if to_file is None:
            return text
        with open(to_file, "w", encoding="utf-8") as handle:
            handle.write(text + "\n")
        return None
    dot = model_to_dot(model, show_shapes=show_shapes, show_dtype=show_dtype, show_layer_names=show_layer_names,
                       rankdir=rankdir, expand_nested=expand_nested, dpi=dpi,
                       show_layer_activations=show_layer_activations, show_trainable=show_trainable,
                       splines=splines, layer_range=layer_range)
    to_file = os.fspath(to_file)
    extension = os.path.splitext(to_file)[1][1:].lower() or "png"
    formats = set(getattr(dot, "formats", ())) | {"dot", "gv"}
    if formats != {"dot", "gv"} and extension not in formats:
        raise ValueError(f"plot_model: to_file={to_file!r} asks for the format {extension!r}, which Graphviz "
                         f"does not write; use one of {sorted(formats)} (or .txt for the text)")
    if extension not in ("dot", "gv") and not check_graphviz():
        raise ImportError(f"plot_model needs {_GRAPHVIZ_HINT} to write {to_file!r}. "
                          "plot_model(model, to_file=None) draws the graph as text without it.")
    dot.write(to_file, format="raw" if extension in ("dot", "gv") else extension)
    if extension != "pdf":
        try:
            from IPython import display
        except ImportError:
            return None
        return display.Image(filename=to_file)
    return None
