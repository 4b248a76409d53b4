"""plot_model / model_to_dot / the text rendering: the graph's nodes and edges, read back from what
Graphviz wrote (SVG, PNG) and from the text, for Sequential, functional (branches, a shared layer,
a bare op, nested models) and subclassed models; the errors; Keras 3's edges for the same model."""
import os
import re
import struct
import xml.etree.ElementTree as ET

import pytest

import kerasette as K
from kerasette import layers
from kerasette.visualization import build_drawing, model_to_dot, model_to_text, plot_model

pydot = pytest.importorskip("pydot")     # the plot extra; CI installs it
needs_dot = pytest.mark.skipif(not K.visualization.check_graphviz(), reason="Graphviz's dot is not installed")
SVG = "{http://www.w3.org/2000/svg}"


def sequential():
    return K.Sequential([layers.Input((8,), name="x"), layers.Dense(16, activation="relu", name="hidden"),
                         layers.Dropout(0.5, name="drop"), layers.Dense(3, activation="softmax", name="probs")],
                        name="chain")


def branches():
    """Two inputs, a layer shared by both, a merge, a bare op and two outputs."""
    a = K.Input((4,), name="a")
    b = K.Input((4,), name="b")
    shared = layers.Dense(5, name="shared")
    left, right = shared(a), shared(b)
    merged = layers.Concatenate(name="merge")([left, right])
    scaled = merged * 2.0
    out1 = layers.Dense(1, name="out1")(scaled)
    out2 = layers.Dense(2, name="out2")(left)
    return K.Model([a, b], [out1, out2], name="branches")


def nested(K=K):
    """A Sequential and a functional model inside a functional one (Keras 3 code: K is kerasette or keras)."""
    inner_in = K.Input((5,), name="inner_in")
    inner = K.Model(inner_in, K.layers.Dense(3, name="inner_dense")(inner_in), name="inner")
    seq = K.Sequential([K.layers.Dense(4, name="s1"), K.layers.Dense(5, name="s2")], name="seq")
    x = K.Input((6,), name="x")
    y = inner(seq(x))
    return K.Model(x, K.layers.Dense(2, name="head")(y), name="outer")


def svg_graph(path):
    root = ET.parse(path).getroot()
    nodes, edges, clusters = set(), set(), set()
    for group in root.iter(f"{SVG}g"):
        title = group.find(f"{SVG}title")
        kind = group.get("class")
        if kind == "node":
            nodes.add(title.text)
        elif kind == "edge":
            edges.add(tuple(title.text.split("->")))
        elif kind == "cluster":
            clusters.add(title.text)
    texts = [t.text for t in root.iter(f"{SVG}text") if t.text]
    return nodes, edges, clusters, texts


def dot_graph(dot):
    def name(n):
        return n.strip('"')
    nodes = {name(n.get_name()) for n in dot.get_nodes() if name(n.get_name()) not in ("node", "edge", "graph")}
    for sub in dot.get_subgraphs():
        nodes |= dot_graph(sub)[0]
    edges = {(name(e.get_source()), name(e.get_destination())) for e in dot.get_edges()}
    return nodes, edges


def text_edges(text):
    """The edges a text rendering shows: arrows between consecutive boxes and 'from'/'to' lines."""
    names, edges, previous, pending_arrow = {}, set(), None, False
    for line in text.splitlines():
        body = line.lstrip("║ ").strip("│ ").strip()
        title = re.match(r"\[(\d+)\] (\S+) \(", body)
        if title:
            names[title.group(1)] = title.group(2)
            if pending_arrow:
                edges.add((previous, title.group(2)))
            previous, pending_arrow = title.group(2), False
        elif body == "▼":
            pending_arrow = True
        elif body.startswith("◀ from "):
            edges |= {(ref.split()[1], previous) for ref in body[7:].split(", ")}
        elif body.startswith("▶ to "):
            edges |= {(previous, ref.split()[1]) for ref in body[5:].split(", ")}
    return set(names.values()), edges


def png_size(path):
    with open(path, "rb") as handle:
        head = handle.read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", head[16:24])


BRANCH_EDGES = {("a", "shared"), ("b", "shared"), ("shared", "merge"), ("merge", "multiply"),
                ("multiply", "out1"), ("shared", "out2")}
NESTED_EDGES = {("x", "seq/s1"), ("seq/s1", "seq/s2"), ("seq/s2", "inner/inner_in"),
                ("inner/inner_in", "inner/inner_dense"), ("inner/inner_dense", "head")}


@needs_dot
def test_sequential_dot_and_png(tmp_path):
    model = sequential()
    nodes, edges = dot_graph(model_to_dot(model))
    assert nodes == {"hidden", "drop", "probs"}      # Keras 3 draws no Input box for a Sequential
    assert edges == {("hidden", "drop"), ("drop", "probs")}
    path = tmp_path / "chain.png"
    plot_model(model, to_file=path, dpi=50)
    width, height = png_size(path)
    assert height > 2 * width > 50         # a top-to-bottom chain of three boxes
    plot_model(model, to_file=path, dpi=50, rankdir="LR")
    assert png_size(path)[0] > 2 * png_size(path)[1]   # left to right
    plot_model(model, to_file=path, dpi=100, rankdir="LR")
    assert png_size(path)[0] > 1.9 * width              # dpi scales the picture


@needs_dot
def test_functional_branches_svg(tmp_path):
    model = branches()
    model.get_layer("out2").trainable = False
    path = tmp_path / "branches.svg"
    plot_model(model, to_file=str(path), show_shapes=True, show_dtype=True, show_layer_names=True,
               show_layer_activations=True, show_trainable=True)
    nodes, edges, clusters, texts = svg_graph(path)
    assert nodes == {"a", "b", "shared", "merge", "multiply", "out1", "out2"}
    assert edges == BRANCH_EDGES           # the shared layer: one box, an edge from each caller
    assert not clusters
    assert "merge (Concatenate)" in texts and "multiply (Multiply)" in texts
    assert "Input shape: [(None, 5), (None, 5)]" in texts and "Output shape: (None, 10)" in texts
    assert "Output dtype: float32" in texts and texts.count("Trainable") == 2   # shared, out1
    assert texts.count("Non-trainable") == 1                                     # out2
    assert "Activation: linear" in texts
    assert "Input shape: (None, 4)" not in [t for t in texts if "a (InputLayer)" in t]
    assert model_to_dot(model).get("rankdir") == "TB"


@needs_dot
def test_nested_expanded_and_collapsed(tmp_path):
    model = nested()
    path = tmp_path / "nested.svg"
    plot_model(model, to_file=path, expand_nested=True, show_layer_names=True)
    nodes, edges, clusters, texts = svg_graph(path)
    assert edges == NESTED_EDGES
    assert nodes == {"x", "seq/s1", "seq/s2", "inner/inner_in", "inner/inner_dense", "head"}
    assert clusters == {"cluster_seq", "cluster_inner"}
    assert "seq (Sequential)" in texts and "inner (Functional)" in texts
    nodes, edges = dot_graph(model_to_dot(model))
    assert nodes == {"x", "seq", "inner", "head"}
    assert edges == {("x", "seq"), ("seq", "inner"), ("inner", "head")}


def test_subclassed_model_is_one_box(tmp_path):
    class TwoLayers(K.Model):
        def __init__(self):
            super().__init__(name="two")
            self.first, self.second = layers.Dense(4), layers.Dense(2)

        def call(self, x):
            return self.second(self.first(x))

    model = TwoLayers()
    with pytest.raises(ValueError, match="not yet been built"):
        model_to_dot(model)
    model.build((None, 3))
    nodes, edges = dot_graph(model_to_dot(model))
    assert nodes == {"two"} and not edges
    assert "[1] two (TwoLayers)" in model_to_text(model)
    assert "(None, 3) →" in model_to_text(model, show_shapes=True)


def test_layer_range_keeps_the_layers_between():
    nodes, edges = dot_graph(model_to_dot(branches(), layer_range=["shared", "multiply"]))
    assert nodes == {"shared", "merge", "multiply"}
    assert edges == {("shared", "merge"), ("merge", "multiply")}
    with pytest.raises(ValueError, match="do not match"):
        model_to_dot(branches(), layer_range=["nope", "out1"])
    with pytest.raises(ValueError, match="length 2"):
        model_to_dot(branches(), layer_range=["a"])


def test_text_rendering_has_the_same_graph_without_graphviz(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))       # no dot program
    for model, expected in ((branches(), BRANCH_EDGES), (nested(), None), (sequential(), None)):
        drawing = build_drawing(model, expand_nested=True)
        text = plot_model(model, to_file=None, show_layer_names=True, expand_nested=True, show_shapes=True)
        nodes, edges = text_edges(text)
        assert nodes == {box.name for box in drawing.boxes()}
        key_to_name = {box.key: box.name for box in drawing.boxes()}
        assert edges == {(key_to_name[s], key_to_name[t]) for s, t in drawing.edges}
        if expected is not None:
            assert edges == expected
    text = model_to_text(nested(), expand_nested=True)
    assert "╔═ seq (Sequential)" in text and "╔═ inner (Functional)" in text
    assert plot_model(sequential(), to_file=tmp_path / "model.txt") is None
    assert (tmp_path / "model.txt").read_text().startswith('Model: "chain"')
    with pytest.raises(ImportError, match=r"apt-get install graphviz"):
        plot_model(sequential(), to_file=tmp_path / "m.png")
    assert not (tmp_path / "m.png").exists()


def test_dot_file_needs_no_graphviz(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    plot_model(branches(), to_file=tmp_path / "m.dot", show_layer_names=True)
    parsed = pydot.graph_from_dot_file(str(tmp_path / "m.dot"))[0]
    assert dot_graph(parsed)[1] == BRANCH_EDGES


def test_without_pydot_the_message_names_the_extra(monkeypatch):
    import sys
    monkeypatch.setitem(sys.modules, "pydot", None)
    with pytest.raises(ImportError, match=r"kerasette\[plot\]"):
        model_to_dot(sequential())
    assert not K.visualization.check_pydot()
    assert "[3] Dense" in plot_model(sequential(), to_file=None)   # the text needs no pydot


def test_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="rankdir"):
        model_to_dot(sequential(), rankdir="UP")
    with pytest.raises(ValueError, match=r"to_file=.*'xyz'.*'png'"):
        plot_model(sequential(), to_file=tmp_path / "model.xyz")
    assert not list(tmp_path.iterdir())
    with pytest.raises(TypeError, match="kerasette Model"):
        model_to_dot(layers.Dense(3))


def test_public_face():
    assert K.utils.plot_model is plot_model and K.utils.model_to_dot is model_to_dot
    assert "plot_model" in K.utils.__all__


def test_same_edges_as_keras3():
    """Keras 3's model_to_dot on the same functional model: the same boxes and the same edges."""
    os.environ.setdefault("KERAS_BACKEND", "jax")
    keras = pytest.importorskip("keras")
    keras.backend.clear_session()   # Keras' op names count per session: another test's ops made `multiply_12`
    a = keras.Input((4,), name="a")
    b = keras.Input((4,), name="b")
    shared = keras.layers.Dense(5, name="shared")
    left, right = shared(a), shared(b)
    merged = keras.layers.Concatenate(name="merge")([left, right])
    scaled = keras.ops.multiply(merged, 2.0)
    out1 = keras.layers.Dense(1, name="out1")(scaled)
    out2 = keras.layers.Dense(2, name="out2")(left)
    theirs = keras.utils.model_to_dot(keras.Model([a, b], [out1, out2]))
    names = {}
    for node in theirs.get_nodes():
        match = re.search(r"<b>([^<]+)</b>", node.get("label") or "")
        if match:
            names[node.get_name()] = match.group(1)
    their_edges = {(names[e.get_source()], names[e.get_destination()]) for e in theirs.get_edges()}
    assert set(names.values()) == {"a", "b", "shared", "merge", "multiply", "out1", "out2"}
    assert their_edges == BRANCH_EDGES == dot_graph(model_to_dot(branches()))[1]
    # every label shows the same texts (a shared layer: its first call's shapes)
    flags = dict(show_shapes=True, show_dtype=True, show_layer_activations=True, show_trainable=True)
    keras_model = keras.Model([a, b], [out1, out2])
    keras_model.get_layer("out2").trainable = False
    ours_model = branches()
    ours_model.get_layer("out2").trainable = False

    def texts(dot):
        found = {}
        for node in dot.get_nodes():
            cells = [re.sub(r"<[^>]+>", "", cell) for cell in re.findall(r"<font[^>]*>(.*?)</font>",
                                                                        node.get("label") or "")]
            if cells:
                found[cells[0].split(" (")[0]] = sorted(cells)
        return found

    theirs, ours = texts(keras.utils.model_to_dot(keras_model, **flags)), texts(model_to_dot(ours_model, **flags))
    assert ours == theirs
    assert "Input shape: (None, 4)" in ours["shared"] and "Output shape: (None, 10)" in ours["merge"]


@needs_dot
def test_readme_picture_is_made_by_the_example(tmp_path, capsys):
    """docs/images/tutorial_model.png: examples/plot_model_picture.py draws it (the tutorial's CNN)."""
    import importlib.util
    from pathlib import Path
    root = Path(__file__).resolve().parents[2]
    spec = importlib.util.spec_from_file_location("plot_model_picture", root / "examples" / "plot_model_picture.py")
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    example.main(str(tmp_path / "model.png"))
    names = ["input_1", "conv2d", "activation", "max_pooling2d", "conv2d_1", "activation_1", "max_pooling2d_1",
             "flatten", "dense", "dense_1"]
    nodes, edges = dot_graph(model_to_dot(example.tutorial_model()))
    assert len(nodes) == 10 and len(edges) == 9
    printed = capsys.readouterr().out
    assert [re.search(r"\] (\S+) \(", line).group(1) for line in printed.splitlines() if "] " in line] == names
    made, committed = png_size(tmp_path / "model.png"), png_size(root / "docs" / "images" / "tutorial_model.png")
    assert made[1] > 1.5 * made[0] and committed[1] > 1.5 * committed[0]    # a tall chain of ten boxes
    assert abs(made[0] - committed[0]) < 0.2 * committed[0] and abs(made[1] - committed[1]) < 0.2 * committed[1]


def test_nested_edges_as_keras3():
    """Keras 3's model_to_dot of the same nested models, collapsed and expanded: the same boxes (by
    name) and edges, nested edges resolved to the same inner boxes."""
    os.environ.setdefault("KERAS_BACKEND", "jax")
    keras = pytest.importorskip("keras")
    keras.backend.clear_session()   # Keras' op names count per session: another test's ops made `multiply_12`

    def by_name(dot):
        names, edges = {}, set()

        def walk(graph):
            for node in graph.get_nodes():
                match = re.search(r"<b>([^<]+)</b>", node.get("label") or "")
                if match:
                    names[node.get_name().strip('"')] = match.group(1).split(" (")[0]
            for sub in graph.get_subgraphs():
                walk(sub)

        def walk_edges(graph):
            for edge in graph.get_edges():
                edges.add((names[edge.get_source().strip('"')], names[edge.get_destination().strip('"')]))
            for sub in graph.get_subgraphs():
                walk_edges(sub)

        walk(dot)
        walk_edges(dot)
        return set(names.values()), edges

    for expand in (False, True):
        theirs = by_name(keras.utils.model_to_dot(nested(keras), expand_nested=expand))
        assert by_name(model_to_dot(nested(), expand_nested=expand)) == theirs
    assert theirs[1] == {(s.split("/")[-1], t.split("/")[-1]) for s, t in NESTED_EDGES}
