"""RNN(StackedRNNCells([...])) against real Keras 3 (keras_pool_embed.npz): outputs, states, gradients,
weight names, configs, and a Keras model's .weights.h5."""
from __future__ import annotations

import json
import os

import numpy as np
import pytest

from kerasette import Tensor
from kerasette.layers import RNN, GRUCell, Input, LSTMCell, SimpleRNNCell, StackedRNNCells
from kerasette.layers.serialization import layer_from_config

DATA = np.load(os.path.join(os.path.dirname(__file__), "..", "fixtures", "keras_pool_embed.npz"),
               allow_pickle=False)
CASES = json.loads(str(DATA["stacked_cases"]))


def flatten(value):
    return [leaf for item in value for leaf in flatten(item)] if isinstance(value, (list, tuple)) else [value]


def structure(value):
    """jax's tree_structure repr, for lists of lists of tensors (the top level a tuple, as Keras returns it)."""
    def inner(v):
        return "[" + ", ".join(inner(i) for i in v) + "]" if isinstance(v, (list, tuple)) else "*"
    if not isinstance(value, (list, tuple)):
        return "PyTreeDef(*)"
    return "PyTreeDef((" + ", ".join(inner(v) for v in value) + "))"


def weights_of(case, field="weight"):
    count = len(json.loads(str(DATA[f"{case}.weight_paths"])))
    return [DATA[f"{case}.{field}.{i}"] for i in range(count)]


def make_layer(case):
    config = json.loads(str(DATA[f"{case}.config"]))
    layer = layer_from_config({"class_name": "RNN", "config": config})
    layer.build(DATA[f"{case}.x"].shape)
    layer.set_weights(weights_of(case))
    return layer, config


@pytest.mark.parametrize("case", CASES)
def test_outputs_and_gradients_match_keras(case):
    layer, _ = make_layer(case)
    x = Tensor(DATA[f"{case}.x"], requires_grad=True)
    outputs = layer(x)
    # Keras 3's structure: the output, then one list of states per cell
    assert structure(outputs) == json.loads(str(DATA[f"{case}.structure"]))
    flat = flatten(outputs)
    assert len(flat) == int(DATA[f"{case}.output_count"])
    loss = None
    for k, output in enumerate(flat):
        np.testing.assert_allclose(output.data, DATA[f"{case}.output.{k}"], rtol=1e-5, atol=1e-6)
        term = (output * Tensor(DATA[f"{case}.cotangent.{k}"])).sum()
        loss = term if loss is None else loss + term
    loss.backward()
    np.testing.assert_allclose(x.grad, DATA[f"{case}.grad_x"], rtol=1e-5, atol=1e-6)
    for weight, expected in zip(layer.weights, weights_of(case, "grad_weight")):
        np.testing.assert_allclose(weight.grad, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("case", CASES)
def test_weight_names_and_config_round_trip(case):
    layer, config = make_layer(case)
    # the config names every layer, so the paths are Keras' exactly: rnn_1/stacked_rnn_cells_1/gru_cell_1/kernel
    assert [w.path for w in layer.weights] == json.loads(str(DATA[f"{case}.weight_paths"]))
    cells = [entry["class_name"] for entry in config["cell"]["config"]["cells"]]
    assert [type(c).__name__ for c in layer.cell.cells] == cells
    again = RNN.from_config(layer.get_config())
    again.build(DATA[f"{case}.x"].shape)
    again.set_weights(layer.get_weights())
    first = layer(DATA[f"{case}.x"])
    second = again(DATA[f"{case}.x"])
    for a, b in zip(flatten(first), flatten(second)):
        np.testing.assert_array_equal(a, b)


def test_symbolic_shapes_list_of_cells_and_nested_state_size():
    cells = [LSTMCell(3), GRUCell(4), SimpleRNNCell(2)]
    stack = StackedRNNCells(cells)
    assert stack.state_size == [[3, 3], 4, 2] and stack.output_size == 2
    layer = RNN(cells, return_state=True, return_sequences=True)
    assert isinstance(layer.cell, StackedRNNCells)
    outputs = layer(Input(shape=(5, 6)))
    assert [tuple(o.shape) for o in flatten(outputs)] == [(None, 5, 2), (None, 3), (None, 3), (None, 4), (None, 2)]
    assert structure(outputs) == "PyTreeDef((*, [*, *], [*], [*]))"
    assert layer.compute_output_shape((None, 5, 6)) == [(None, 5, 2), [(None, 3), (None, 3)], [(None, 4)],
                                                        [(None, 2)]]


def test_initial_states_and_masks():
    layer = RNN(StackedRNNCells([LSTMCell(2), GRUCell(3)]), return_state=True)
    x = np.random.default_rng(0).normal(size=(2, 4, 3)).astype("float32")
    zeros = [np.zeros((2, 2), "float32"), np.zeros((2, 2), "float32"), np.zeros((2, 3), "float32")]
    out, [h, c], [g] = layer(x)
    again, *_ = layer(x, initial_state=zeros)
    nested, *_ = layer(x, initial_state=[zeros[:2], [zeros[2]]])
    np.testing.assert_allclose(nested, again, rtol=1e-6)
    ones = [np.ones_like(z) for z in zeros]
    moved, *_ = layer(x, initial_state=[ones[:2], ones[2]])
    assert not np.allclose(moved, out)
    np.testing.assert_allclose(out, again, rtol=1e-6)
    np.testing.assert_allclose(out, g, rtol=1e-6)
    # a masked last step keeps the states of the step before
    from kerasette.layers import Masking
    padded = np.concatenate([x, np.zeros((2, 1, 3), "float32")], axis=1)
    masked, *_ = layer(Masking()(padded))
    np.testing.assert_allclose(masked, out, rtol=1e-5, atol=1e-6)


def test_nested_states_in_a_functional_model_survive_json():
    from kerasette.layers import Concatenate, Dense
    from kerasette.models import Model, model_from_json
    x = Input((5, 3))
    out, [h, c], [g] = RNN(StackedRNNCells([LSTMCell(2), GRUCell(3)]), return_state=True)(x)
    model = Model(x, Dense(1)(Concatenate()([out, h, c, g])))
    data = np.random.default_rng(1).normal(size=(2, 5, 3)).astype("float32")
    copy = model_from_json(model.to_json())
    copy.set_weights(model.get_weights())
    np.testing.assert_allclose(copy.predict(data, verbose=0), model.predict(data, verbose=0), rtol=1e-6)


def test_keras_model_weights_h5_loads_with_keras_predictions(tmp_path):
    from kerasette.models import model_from_json
    model = model_from_json(json.dumps(json.loads(str(DATA["model_text.json"]))))
    path = tmp_path / "model.weights.h5"
    path.write_bytes(DATA["model_text.weights_h5"].tobytes())
    model.load_weights(str(path))
    np.testing.assert_allclose(model.predict(DATA["model_text.x"], verbose=0), DATA["model_text.predict"],
                               rtol=1e-5, atol=1e-6)
    # and back: kerasette's .weights.h5 reloads into a fresh copy
    model.save_weights(str(tmp_path / "again.weights.h5"))
    copy = model_from_json(json.dumps(json.loads(str(DATA["model_text.json"]))))
    copy.load_weights(str(tmp_path / "again.weights.h5"))
    np.testing.assert_allclose(copy.predict(DATA["model_text.x"], verbose=0), DATA["model_text.predict"],
                               rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("options", [dict(return_sequences=True), dict(return_state=True),
                                     dict(return_sequences=True, zero_output_for_mask=True),
                                     dict(go_backwards=True, return_state=True, return_sequences=True)])
def test_fused_stack_equals_stepping_the_stack(monkeypatch, options):
    """The stack of built-in cells runs one fused sequence per cell; stepping the cells gives the same."""
    rng = np.random.default_rng(3)
    x = rng.normal(size=(3, 6, 2)).astype("float32")
    mask = np.ones((3, 6), bool)
    mask[0, 4:] = False
    mask[1, :2] = False
    mask[2, 2] = False
    layer = RNN(StackedRNNCells([LSTMCell(3), GRUCell(2, reset_after=False), SimpleRNNCell(4)]), **options)
    layer.build(x.shape)
    layer.set_weights([rng.normal(0, 0.5, w.shape).astype("float32") for w in layer.weights])

    def run():
        inputs = Tensor(x, requires_grad=True)
        outputs = flatten(layer.call(inputs, mask=mask))
        total = None
        for k, output in enumerate(outputs):
            term = (output * float(k + 1)).sum()
            total = term if total is None else total + term
        for weight in layer.weights:
            weight.grad = None
        total.backward()
        return [o.data for o in outputs] + [inputs.grad] + [w.grad for w in layer.weights]

    assert RNN._stack_fuses(layer.cell)
    fused = run()
    monkeypatch.setattr(RNN, "_stack_fuses", staticmethod(lambda cell: False))
    stepped = run()
    for a, b in zip(fused, stepped):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_training_dropout_in_a_stack_masks_once_per_sequence():
    rng = np.random.default_rng(4)
    x = np.ones((4, 5, 3), "float32")
    for cells in ([LSTMCell(3, dropout=0.5), GRUCell(2, dropout=0.5)],                       # fused per cell
                  [LSTMCell(3, recurrent_dropout=0.5), SimpleRNNCell(2, dropout=0.5, recurrent_dropout=0.3)]):
        layer = RNN(StackedRNNCells(cells), return_sequences=True)
        layer.build(x.shape)
        layer.set_weights([rng.normal(0, 0.5, w.shape).astype("float32") for w in layer.weights])
        inference = np.asarray(layer(x))
        trained = np.asarray(layer(x, training=True))
        assert trained.shape == inference.shape == (4, 5, 2)
        assert np.isfinite(trained).all() and not np.allclose(trained, inference)
        assert all(getattr(c, "_sequence_masks", None) is None for c in cells)
