"""The recurrence primitive (SimpleRNN / LSTM / GRU time loop) and its backward pass."""
import numpy as np
import pytest

from kerasette.primitives import get
from kerasette.primitives.recurrent import gate_count, state_width

from .harness import Case, check_case, random

MASK = np.array([[1, 1, 0, 1], [0, 1, 1, 1], [1, 0, 0, 1]], dtype=bool)


def recurrence_case(cell, units=2, bias=True, mask=False, reset_after=True, activation="tanh",
                    recurrent_activation="sigmoid", seed=0):
    gates = gate_count(cell) * units
    inputs = [random((3, 4, gates), seed), 0.5 * random((units, gates), seed + 1),
              random((3, state_width(cell, units)), seed + 2)]
    if bias:
        inputs.append(random((gates,), seed + 3))
    if mask:
        inputs.append(MASK)
    attrs = dict(cell=cell, units=units, activation=activation, recurrent_activation=recurrent_activation,
                 reset_after=reset_after, has_bias=bias, has_mask=mask)
    label = f"recurrence-{cell}{'-bias' if bias else ''}{'-mask' if mask else ''}" \
            f"{'' if reset_after else '-reset-before'}-{activation}-{recurrent_activation}"
    width = state_width(cell, units)

    def state_columns(shape):
        mask = np.zeros(shape)
        mask[..., :width] = 1
        return mask
    return Case("recurrence", inputs, attrs, no_grad=(len(inputs) - 1,) if mask else (), id=label,
                differentiable_output=state_columns)


CASES = [
    recurrence_case("simple", bias=False),
    recurrence_case("simple", bias=False, mask=True, activation="relu", seed=3),
    recurrence_case("lstm"),
    recurrence_case("lstm", mask=True, seed=5),
    recurrence_case("lstm", bias=False, activation="linear", recurrent_activation="hard_sigmoid", seed=7),
    recurrence_case("gru"),
    recurrence_case("gru", mask=True, seed=9),
    recurrence_case("gru", bias=False, reset_after=False, seed=11),
    recurrence_case("gru", bias=False, reset_after=False, mask=True, seed=13),
]
_lstm = recurrence_case("lstm", mask=True)
CASES.append(Case("recurrence_backward",
                  _lstm.inputs + [np.zeros((3, 4, 14)), random((3, 4, 14), 20)], _lstm.attrs,
                  batch_none=False, id="recurrence_backward-lstm"))
# a stateful layer's output, tied to the assign nodes that carry its states
CASES.append(Case("with_updates", [random((3, 2), 30), random((3, 4), 31), random((3, 4), 32)],
                  no_grad=(1, 2), expected=lambda value, *updates: value, id="with_updates"))


@pytest.mark.parametrize("case", CASES, ids=str)
def test_primitive(case):
    check_case(case)


def test_masked_steps_keep_the_state():
    case = recurrence_case("lstm", mask=True)
    states = get("recurrence").forward(np, *case.inputs, **case.attrs)[..., :4]
    # sample 1 is masked at step 0: its state is still the initial one
    np.testing.assert_array_equal(states[1, 0], case.inputs[2][1])
    # sample 2 is masked at steps 1 and 2: the state after step 0 carries through
    np.testing.assert_array_equal(states[2, 1], states[2, 0])
    np.testing.assert_array_equal(states[2, 2], states[2, 0])


def test_lstm_step_is_keras_arithmetic():
    case = recurrence_case("lstm", bias=True)
    xw, kernel, state0, bias = case.inputs
    states = get("recurrence").forward(np, *case.inputs, **case.attrs)[..., :4]
    h, c = state0[:, :2], state0[:, 2:]
    z = xw[:, 0] + h @ kernel + bias
    sig = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
    i, f, g, o = sig(z[:, :2]), sig(z[:, 2:4]), np.tanh(z[:, 4:6]), sig(z[:, 6:])
    c = f * c + i * g
    np.testing.assert_allclose(states[:, 0], np.concatenate([o * np.tanh(c), c], 1), rtol=1e-12)


def test_bad_shapes_and_options():
    from kerasette.primitives.base import ShapeError
    case = recurrence_case("lstm")
    primitive = get("recurrence")
    with pytest.raises(ShapeError, match="recurrent kernel"):
        primitive.infer(case.inputs[0], np.zeros((3, 8)), *case.inputs[2:], **case.attrs)
    with pytest.raises(ValueError, match="activations"):
        primitive.infer(*case.inputs, **{**case.attrs, "activation": "gelu"})
    with pytest.raises(ValueError, match="cell"):
        primitive.infer(*case.inputs, **{**case.attrs, "cell": "rnn"})
