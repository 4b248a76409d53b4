"""SimpleRNN, LSTM, GRU and Bidirectional exported as ONNX's own RNN / LSTM / GRU nodes:
onnxruntime gives kerasette's predictions for any batch size."""
import numpy as np
import pytest

onnx = pytest.importorskip("onnx", reason="ONNX export needs pip install kerasette[onnx]")
ort = pytest.importorskip("onnxruntime", reason="the check runs the file in onnxruntime")

import kerasette as k  # noqa: E402
from kerasette import layers as L  # noqa: E402
from kerasette.export import ExportError  # noqa: E402

TIME, FEATURES = 6, 3


def _randomize(model, rng):
    """Weights away from their initial values (biases nonzero, so their placement is tested)."""
    model.set_weights([rng.uniform(-0.6, 0.6, w.shape).astype(w.dtype) for w in model.get_weights()])


def _export_and_compare(tmp_path, model, dtype="float32", batches=(1, 4)):
    rng = np.random.default_rng(7)
    _randomize(model, rng)
    path = model.export(tmp_path / "model.onnx", format="onnx", verbose=False)
    proto = onnx.load(path)
    onnx.checker.check_model(proto, full_check=True)
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    for batch in batches:
        shape = (batch,) + tuple(model.inputs[0].shape[1:])
        x = rng.integers(1, 20, shape).astype("int32") if dtype == "int32" else \
            rng.standard_normal(shape).astype("float32")
        got = session.run(None, {session.get_inputs()[0].name: x})
        want = model.predict(x, verbose=0)
        want = want if isinstance(want, list) else [want]
        assert len(got) == len(want)
        for g, w in zip(got, want):
            assert g.shape == w.shape
            np.testing.assert_allclose(g, w, atol=1e-5, rtol=1e-5)
    return proto


def _ops(proto):
    return [node.op_type for node in proto.graph.node]


def _node(proto, op_type):
    (node,) = [node for node in proto.graph.node if node.op_type == op_type]
    return node, {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def _single(layer):
    i = k.Input((TIME, FEATURES))
    return k.Model(i, layer(i))


LAYERS = {
    "lstm": lambda **kw: L.LSTM(4, **kw),
    "gru": lambda **kw: L.GRU(4, **kw),
    "gru_reset_before": lambda **kw: L.GRU(4, reset_after=False, **kw),
    "simple_rnn": lambda **kw: L.SimpleRNN(4, **kw),
}
ONNX_OP = {"lstm": "LSTM", "gru": "GRU", "gru_reset_before": "GRU", "simple_rnn": "RNN"}


@pytest.mark.parametrize("go_backwards", [False, True])
@pytest.mark.parametrize("return_sequences", [False, True])
@pytest.mark.parametrize("kind", sorted(LAYERS))
def test_each_layer_is_one_onnx_node_with_kerasettes_numbers(tmp_path, kind, return_sequences, go_backwards):
    k.utils.set_random_seed(0)
    model = _single(LAYERS[kind](return_sequences=return_sequences, go_backwards=go_backwards))
    proto = _export_and_compare(tmp_path, model)
    node, attributes = _node(proto, ONNX_OP[kind])
    # the input projection is folded into the node's W: no MatMul is left
    assert "MatMul" not in _ops(proto)
    assert attributes["hidden_size"] == 4
    if kind.startswith("gru"):
        assert attributes["linear_before_reset"] == (0 if kind == "gru_reset_before" else 1)
    # the default zero initial state is left out; the batch stays a named dynamic dimension
    assert len(node.input) < 6 or node.input[5] == ""
    assert proto.graph.input[0].type.tensor_type.shape.dim[0].dim_param == "batch"


def test_lstm_gate_order_is_onnxs(tmp_path):
    """W holds Keras' kernel blocks i, f, c, o reordered as ONNX's i, o, f, c."""
    k.utils.set_random_seed(0)
    model = _single(L.LSTM(2))
    proto = _export_and_compare(tmp_path, model)
    kernel, recurrent, bias = model.layers[1].get_weights()
    weights = {t.name: onnx.numpy_helper.to_array(t) for t in proto.graph.initializer}
    node, _ = _node(proto, "LSTM")
    w, r, b = weights[node.input[1]][0], weights[node.input[2]][0], weights[node.input[3]][0]
    blocks = lambda a: [a[..., s * 2:(s + 1) * 2] for s in range(4)]  # noqa: E731
    i, f, c, o = blocks(kernel)
    np.testing.assert_array_equal(w, np.concatenate([i, o, f, c], axis=-1).T)
    i, f, c, o = blocks(recurrent)
    np.testing.assert_array_equal(r, np.concatenate([i, o, f, c], axis=-1).T)
    i, f, c, o = blocks(bias)
    np.testing.assert_array_equal(b, np.concatenate([np.zeros(8), i, o, f, c]))


@pytest.mark.parametrize("kind", ["lstm", "gru", "simple_rnn"])
def test_other_activations(tmp_path, kind):
    k.utils.set_random_seed(0)
    gated = {} if kind == "simple_rnn" else {"recurrent_activation": "hard_sigmoid"}
    model = _single(LAYERS[kind](activation="relu", return_sequences=True, **gated))
    _export_and_compare(tmp_path, model)
    if kind != "lstm":
        model = _single(LAYERS[kind](activation="linear", **gated))
        _export_and_compare(tmp_path, model)


def test_no_bias_and_initial_states_from_inputs(tmp_path):
    k.utils.set_random_seed(0)
    i = k.Input((TIME, FEATURES))
    h, c = k.Input((5,)), k.Input((5,))
    x = L.LSTM(5, use_bias=False, return_sequences=True)(i, initial_state=[h, c])
    model = k.Model([i, h, c], L.GRU(2)(x))
    rng = np.random.default_rng(3)
    _randomize(model, rng)
    path = model.export(tmp_path / "m.onnx", format="onnx", verbose=False)
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    feeds = [rng.standard_normal((3,) + tuple(t.shape[1:])).astype("float32") for t in model.inputs]
    got = session.run(None, {arg.name: x for arg, x in zip(session.get_inputs(), feeds)})[0]
    np.testing.assert_allclose(got, model.predict(feeds, verbose=0), atol=1e-5, rtol=1e-5)


def test_return_state(tmp_path):
    k.utils.set_random_seed(0)
    i = k.Input((TIME, FEATURES))
    sequence, h, c = L.LSTM(3, return_sequences=True, return_state=True)(i)
    _, g = L.GRU(2, return_state=True)(sequence)
    _export_and_compare(tmp_path, k.Model(i, [sequence, h, c, g]))


@pytest.mark.parametrize("merge_mode", ["concat", "sum", "ave", "mul", None])
@pytest.mark.parametrize("return_sequences", [False, True])
def test_bidirectional(tmp_path, merge_mode, return_sequences):
    k.utils.set_random_seed(0)
    i = k.Input((TIME, FEATURES))
    out = L.Bidirectional(L.LSTM(3, return_sequences=return_sequences), merge_mode=merge_mode)(i)
    proto = _export_and_compare(tmp_path, k.Model(i, out))
    # one ONNX node runs both directions; the backward sequence is not flipped twice
    _, attributes = _node(proto, "LSTM")
    assert attributes["direction"] == b"bidirectional"
    assert _flips(proto) == 0


def _flips(proto):
    """Slices with a negative step (a flip of the time axis)."""
    weights = {t.name: onnx.numpy_helper.to_array(t) for t in proto.graph.initializer}
    return sum(1 for node in proto.graph.node if node.op_type == "Slice" and len(node.input) == 5
               and (weights[node.input[4]] < 0).any())


def test_bidirectional_with_a_different_backward_layer_is_two_nodes(tmp_path):
    k.utils.set_random_seed(0)
    i = k.Input((TIME, FEATURES))
    out = L.Bidirectional(L.LSTM(3, return_sequences=True), backward_layer=L.LSTM(
        2, return_sequences=True, go_backwards=True))(i)
    proto = _export_and_compare(tmp_path, k.Model(i, out))
    assert _ops(proto).count("LSTM") == 2


def test_two_bidirectional_layers(tmp_path):
    k.utils.set_random_seed(0)
    i = k.Input((TIME, FEATURES))
    x = L.Bidirectional(L.GRU(3, return_sequences=True, reset_after=False))(i)
    x = L.Bidirectional(L.LSTM(2, return_sequences=True), merge_mode="ave")(x)
    proto = _export_and_compare(tmp_path, k.Model(i, L.Bidirectional(L.SimpleRNN(2))(x)))
    assert [op for op in _ops(proto) if op in ("LSTM", "GRU", "RNN")] == ["GRU", "LSTM", "RNN"]
    assert _flips(proto) == 0


def test_bidirectional_return_state(tmp_path):
    k.utils.set_random_seed(0)
    i = k.Input((TIME, FEATURES))
    out = L.Bidirectional(L.LSTM(3, return_state=True))(i)
    proto = _export_and_compare(tmp_path, k.Model(i, out))
    assert _ops(proto).count("LSTM") == 1


@pytest.mark.parametrize("kind", ["gru", "simple_rnn"])
def test_bidirectional_gru_and_simple_rnn(tmp_path, kind):
    k.utils.set_random_seed(0)
    i = k.Input((TIME, FEATURES))
    proto = _export_and_compare(tmp_path, k.Model(i, L.Bidirectional(LAYERS[kind](return_sequences=True))(i)))
    _, attributes = _node(proto, ONNX_OP[kind])
    assert attributes["direction"] == b"bidirectional" and _flips(proto) == 0


def test_stacked_embedding_lstm_gru_dense(tmp_path):
    k.utils.set_random_seed(0)
    i = k.Input((TIME,), dtype="int32")
    x = L.Embedding(20, 5)(i)
    x = L.LSTM(6, return_sequences=True)(x)
    x = L.GRU(4)(x)
    model = k.Model(i, L.Dense(3, activation="softmax")(x))
    proto = _export_and_compare(tmp_path, model, dtype="int32", batches=(1, 2, 9))
    assert [op for op in _ops(proto) if op in ("LSTM", "GRU", "Gather")] == ["Gather", "LSTM", "GRU"]


def test_sequential_with_dynamic_time(tmp_path):
    """No fixed number of timesteps: the ONNX file takes any length too."""
    k.utils.set_random_seed(0)
    model = k.Sequential([k.Input((None, FEATURES)), L.GRU(3, return_sequences=True), L.SimpleRNN(2)])
    rng = np.random.default_rng(0)
    _randomize(model, rng)
    path = model.export(tmp_path / "m.onnx", format="onnx", verbose=False)
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    for batch, time in ((2, 3), (5, 11)):
        x = rng.standard_normal((batch, time, FEATURES)).astype("float32")
        got = session.run(None, {session.get_inputs()[0].name: x})[0]
        np.testing.assert_allclose(got, model.predict(x, verbose=0), atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("masking", ["mask_zero", "Masking"])
def test_masked_recurrent_layer_is_refused_by_name(tmp_path, masking):
    if masking == "mask_zero":
        i = k.Input((TIME,), dtype="int32")
        x = L.Embedding(10, 4, mask_zero=True)(i)
    else:
        i = k.Input((TIME, FEATURES))
        x = L.Masking()(i)
    model = k.Model(i, L.LSTM(3, name="masked_lstm")(x))
    with pytest.raises(ExportError, match="layer 'masked_lstm' is masked"):
        model.export(tmp_path / "m.onnx", format="onnx")
    assert not (tmp_path / "m.onnx").exists()


def test_stateful_layer_is_refused_by_name(tmp_path):
    model = k.Sequential([k.Input((TIME, FEATURES), batch_size=2), L.GRU(3, stateful=True, name="carry")])
    with pytest.raises(ExportError, match="layer 'carry'"):
        model.export(tmp_path / "m.onnx", format="onnx")


def test_rnn_over_cells_and_a_stack_of_them(tmp_path):
    k.utils.set_random_seed(0)
    i = k.Input((TIME, FEATURES))
    x = L.RNN(L.LSTMCell(3), return_sequences=True)(i)
    x = L.RNN([L.GRUCell(4), L.SimpleRNNCell(2)])(x)
    proto = _export_and_compare(tmp_path, k.Model(i, x))
    assert [op for op in _ops(proto) if op in ("LSTM", "GRU", "RNN")] == ["LSTM", "GRU", "RNN"]


def test_lstm_autoencoder_with_repeat_vector(tmp_path):
    k.utils.set_random_seed(0)
    i = k.Input((TIME, FEATURES))
    code = L.LSTM(5)(i)
    x = L.RepeatVector(TIME)(code)
    x = L.LSTM(5, return_sequences=True, go_backwards=True)(x)
    _export_and_compare(tmp_path, k.Model(i, L.TimeDistributed(L.Dense(FEATURES))(x)))


def test_bidirectional_over_an_unknown_number_of_steps(tmp_path):
    k.utils.set_random_seed(0)
    model = k.Sequential([k.Input((None, FEATURES)), L.Bidirectional(L.GRU(3, return_sequences=True),
                                                                     merge_mode="sum"), L.LSTM(2)])
    rng = np.random.default_rng(0)
    _randomize(model, rng)
    path = model.export(tmp_path / "m.onnx", format="onnx", verbose=False)
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    for batch, time in ((1, 2), (3, 9)):
        x = rng.standard_normal((batch, time, FEATURES)).astype("float32")
        got = session.run(None, {session.get_inputs()[0].name: x})[0]
        np.testing.assert_allclose(got, model.predict(x, verbose=0), atol=1e-5, rtol=1e-5)


def test_recurrent_dropout_layer_exports_step_by_step(tmp_path):
    """A layer with recurrent_dropout runs its cell step by step (no fused recurrence):
    the export is the unrolled steps, with the same numbers."""
    k.utils.set_random_seed(0)
    proto = _export_and_compare(tmp_path, _single(L.GRU(3, recurrent_dropout=0.3)))
    assert "GRU" not in _ops(proto)


def _raw_lstm_states(*reads):
    """The recurrence primitive itself, in a Lambda that returns ``reads`` of its packed output,
    which holds, per step, h, c, then what only the backward pass reads."""
    from kerasette import ops
    from kerasette.ops.core import apply
    kernel = np.random.default_rng(0).uniform(-0.5, 0.5, (2, 8)).astype("float32")

    def states(x):
        state0 = ops.zeros_like(ops.getitem(x, (slice(None), 0, slice(0, 4))))
        packed = apply("recurrence", x, kernel, state0, cell="lstm", units=2, activation="tanh",
                       recurrent_activation="sigmoid", reset_after=True, has_bias=False, has_mask=False)
        return [packed[read] for read in reads]
    i = k.Input((TIME, 8))
    return k.Model(i, L.Lambda(states, name="raw")(i))


def test_reads_of_the_packed_states_answered_from_the_onnx_node(tmp_path):
    every_h, last_h_and_c, one_c = (slice(None), slice(None), slice(0, 2)), (slice(None), -1, slice(0, 4)), \
        (slice(None), TIME - 1, 3)
    proto = _export_and_compare(tmp_path, _raw_lstm_states(every_h, last_h_and_c, one_c))
    assert _ops(proto).count("LSTM") == 1


@pytest.mark.parametrize("read, where", [((slice(None), slice(None), slice(2, 4)), "at every step"),
                                         ((slice(None), 2, slice(0, 4)), "at that step"),
                                         ((slice(None), -1, slice(0, 5)), "at that step")])
def test_reads_the_onnx_node_cannot_give_are_refused(tmp_path, read, where):
    """The cell state before the last step, or what the backward pass saves."""
    with pytest.raises(ExportError, match=f"layer 'raw' has its states read {where} beyond what the ONNX LSTM"):
        _raw_lstm_states(read).export(tmp_path / "m.onnx", format="onnx")
