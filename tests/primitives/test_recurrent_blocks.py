"""The LSTM and GRU recurrences on contiguous blocks (recurrent_lstm, recurrent_gru) give the general step loop's numbers."""
import numpy as np
import pytest

from kerasette.primitives import get, recurrent, recurrent_lstm


def lstm_inputs(batch=3, time=7, units=4, bias=True, dtype=np.float64, seed=0):
    rng = np.random.default_rng(seed)
    inputs = [rng.standard_normal((batch, time, 4 * units)), 0.5 * rng.standard_normal((units, 4 * units)),
              rng.standard_normal((batch, 2 * units))]
    if bias:
        inputs.append(rng.standard_normal(4 * units))
    return [x.astype(dtype) for x in inputs]


def run_both(monkeypatch, inputs, attrs, grad):
    """(forward, backward) of the fast path, then of the general loop; ``grad(out)`` is
    called once."""
    results = []
    for fast in (True, False):
        if not fast:
            monkeypatch.setattr(recurrent, "_fast", lambda *args: False)
        out = get("recurrence").forward(np, *inputs, **attrs)
        if fast:
            grad = grad(out)
        back = get("recurrence_backward").forward(np, *inputs, out, grad, **attrs)
        results.append((out, back))
    return results


def attrs_for(units, bias, activation="tanh", recurrent_activation="sigmoid"):
    return dict(cell="lstm", units=units, activation=activation, recurrent_activation=recurrent_activation,
                reset_after=True, has_bias=bias, has_mask=False)


@pytest.mark.parametrize("activation, recurrent_activation", [
    ("tanh", "sigmoid"), ("relu", "hard_sigmoid"), ("linear", "sigmoid"), ("tanh", "tanh"), ("sigmoid", "relu")])
@pytest.mark.parametrize("bias", [True, False])
def test_matches_general_loop(monkeypatch, activation, recurrent_activation, bias):
    inputs = lstm_inputs(bias=bias)
    rng = np.random.default_rng(1)
    (fast, fast_back), (slow, slow_back) = run_both(
        monkeypatch, inputs, attrs_for(4, bias, activation, recurrent_activation),
        lambda out: rng.standard_normal(out.shape))
    np.testing.assert_allclose(fast, slow, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(fast_back, slow_back, rtol=1e-10, atol=1e-12)


def test_sigmoid_tanh_forward_is_bit_for_bit(monkeypatch):
    inputs = lstm_inputs(batch=5, time=9, units=6, dtype=np.float32, seed=3)
    (fast, _), (slow, _) = run_both(monkeypatch, inputs, attrs_for(6, True), lambda out: np.ones_like(out))
    assert fast.dtype == np.float32
    np.testing.assert_array_equal(fast, slow)


@pytest.mark.parametrize("chunk_bytes", [1, 3 * 11 * 4 * 8, 1 << 30])
def test_chunks_of_steps(monkeypatch, chunk_bytes):
    """One step a chunk, chunks that do not divide the sequence, the whole sequence at once."""
    monkeypatch.setattr(recurrent_lstm, "CHUNK_BYTES", chunk_bytes)
    inputs = lstm_inputs(batch=2, time=8, units=4, seed=5)
    grad = np.random.default_rng(6).standard_normal((2, 8, 28))
    (fast, fast_back), (slow, slow_back) = run_both(monkeypatch, inputs, attrs_for(4, True), lambda out: grad)
    np.testing.assert_allclose(fast, slow, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(fast_back, slow_back, rtol=1e-10, atol=1e-12)


def test_float32_gradients_agree_to_rounding(monkeypatch):
    inputs = lstm_inputs(batch=8, time=20, units=16, dtype=np.float32, seed=7)
    grad = np.zeros((8, 20, 112), np.float32)
    grad[:, -1, :16] = np.random.default_rng(8).standard_normal((8, 16))     # the last output only
    (_, fast_back), (_, slow_back) = run_both(monkeypatch, inputs, attrs_for(16, True), lambda out: grad)
    assert fast_back.dtype == np.float32
    scale = np.abs(slow_back).max()
    np.testing.assert_allclose(fast_back, slow_back, rtol=0, atol=1e-5 * scale)


def test_mixed_dtypes_and_strided_inputs(monkeypatch):
    """float32 input projection with a float64 kernel, inputs that are views."""
    base = lstm_inputs(batch=3, time=10, units=4, seed=9)
    xw = np.repeat(base[0], 2, axis=1)[:, ::2].astype(np.float32)       # a strided view
    inputs = [xw, base[1], base[2][::1], base[3]]
    rng = np.random.default_rng(10)
    (fast, fast_back), (slow, slow_back) = run_both(monkeypatch, inputs, attrs_for(4, True),
                                                    lambda out: rng.standard_normal(out.shape))
    assert fast.dtype == slow.dtype == np.float64
    np.testing.assert_allclose(fast, slow, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(fast_back, slow_back, rtol=1e-10, atol=1e-12)


def gru_inputs(batch=3, time=7, units=4, bias=True, dtype=np.float64, seed=0):
    rng = np.random.default_rng(seed)
    inputs = [rng.standard_normal((batch, time, 3 * units)), 0.5 * rng.standard_normal((units, 3 * units)),
              rng.standard_normal((batch, units))]
    if bias:
        inputs.append(rng.standard_normal(3 * units))
    return [x.astype(dtype) for x in inputs]


@pytest.mark.parametrize("activation, recurrent_activation", [
    ("tanh", "sigmoid"), ("relu", "hard_sigmoid"), ("linear", "tanh")])
@pytest.mark.parametrize("reset_after, bias", [(True, True), (True, False), (False, False)])
def test_gru_matches_general_loop(monkeypatch, activation, recurrent_activation, reset_after, bias):
    """The GRU's forward on contiguous blocks, and the backward that reads its packed rows."""
    units = 4
    inputs = gru_inputs(bias=bias, seed=11)
    attrs = dict(cell="gru", units=units, activation=activation, recurrent_activation=recurrent_activation,
                 reset_after=reset_after, has_bias=bias, has_mask=False)
    grad = np.random.default_rng(12).standard_normal((3, 7, 7 * units))
    (fast, fast_back), (slow, slow_back) = run_both(monkeypatch, inputs, attrs, lambda out: grad)
    np.testing.assert_allclose(fast, slow, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(fast_back, slow_back, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("reset_after", [True, False])
def test_gru_float32_forward_is_bit_for_bit(monkeypatch, reset_after):
    inputs = gru_inputs(batch=5, time=9, units=6, bias=reset_after, dtype=np.float32, seed=13)
    attrs = dict(cell="gru", units=6, activation="tanh", recurrent_activation="sigmoid",
                 reset_after=reset_after, has_bias=reset_after, has_mask=False)
    (fast, _), (slow, _) = run_both(monkeypatch, inputs, attrs, lambda out: np.ones_like(out))
    np.testing.assert_array_equal(fast, slow)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
@pytest.mark.parametrize("batch", [16, 17])
def test_two_halves_on_two_threads_are_bit_for_bit(monkeypatch, cell, batch):
    """The batch's halves on the caller's and the helper thread give the one-thread bits."""
    units = 5
    inputs = (lstm_inputs if cell == "lstm" else gru_inputs)(batch=batch, time=6, units=units,
                                                            dtype=np.float32, seed=21)
    attrs = dict(cell=cell, units=units, activation="tanh", recurrent_activation="sigmoid",
                 reset_after=True, has_bias=True, has_mask=False)
    grad = np.random.default_rng(22).standard_normal((batch, 6, 7 * units)).astype(np.float32)
    results = []
    for split in (False, True):
        calls = []
        monkeypatch.setattr(recurrent, "_two_threads", lambda xp, rows: calls.append(rows) or split)
        out = get("recurrence").forward(np, *inputs, **attrs)
        back = get("recurrence_backward").forward(np, *inputs, out, grad, **attrs)
        assert calls == [batch, batch]
        results.append((out, back))
    for one, two in zip(*results):
        np.testing.assert_array_equal(one, two)


@pytest.mark.parametrize("batch, time", [(0, 4), (3, 0)])
def test_empty_batch_or_sequence(batch, time):
    inputs = lstm_inputs(batch=max(batch, 1), time=max(time, 1), units=4)
    inputs[0] = inputs[0][:batch, :time]
    inputs[2] = inputs[2][:batch]
    attrs = attrs_for(4, True)
    out = get("recurrence").forward(np, *inputs, **attrs)
    assert out.shape == (batch, time, 28)
    back = get("recurrence_backward").forward(np, *inputs, out, np.ones_like(out), **attrs)
    assert back.shape == (batch, time + 1, 16)
