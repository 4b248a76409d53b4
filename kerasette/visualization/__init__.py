"""Pictures of models and of training: the top floor, above models (it reads their graphs).

* ``plot_model``/``model_to_dot`` (``dot.py``): Keras 3's functions, through
  pydot and Graphviz (``pip install kerasette[plot]`` and Graphviz's ``dot``);
* ``model_to_text`` (``text.py``): the same graph as text, with neither;
  ``plot_model(model, to_file=None)`` returns it;
* ``plot_history`` (``history.py``): a ``fit`` History's losses and metrics per
  epoch, train and validation, to a PNG (matplotlib).

``graph.py`` decides what a model's picture holds (boxes, nested frames,
edges) once for both renderers.  The public face (``kerasette/__init__.py``)
offers ``plot_model``, ``model_to_dot`` and ``plot_history`` as
``kerasette.utils.*``, as Keras does (``keras.utils.plot_model``).
"""
from __future__ import annotations

from .dot import check_graphviz, check_pydot, model_to_dot, plot_model
from .graph import build_drawing
from .history import plot_history
from .text import model_to_text

__all__ = ["plot_model", "model_to_dot", "model_to_text", "plot_history", "build_drawing", "check_pydot",
           "check_graphviz"]
