"""The fused Adam update primitives: shape rules, forwards, and bit equality with
Keras' op-by-op formulas in float32 (what makes them a drop-in for Adam)."""
import numpy as np
import pytest

from kerasette import engine, optimizers
from kerasette.primitives import ShapeError, get

from .harness import Case, check_case, random

f32 = np.float32


def ref_moment(moment, gradient, rate, square=False):
    target = np.square(gradient) if square else gradient
    return moment + (target - moment) * rate


def ref_update(value, momentum, velocity, alpha, epsilon):
    return value - (momentum * alpha) / (np.sqrt(velocity) + epsilon)


CASES = [
    Case("adam_moment", [random((3, 4)), random((3, 4), 1)], attrs={"rate": 0.1},
         expected=lambda m, g: ref_moment(m, g, 0.1)),
    Case("adam_moment", [random((5,), 2, 0.0, 1.0), random((5,), 3)], attrs={"rate": 0.001, "square": True},
         expected=lambda v, g: ref_moment(v, g, 0.001, square=True), id="adam_moment-square"),
    Case("adam_moment", [random((2, 3)), random((3,), 1)], attrs={"rate": 0.25},
         expected=lambda m, g: ref_moment(m, g, 0.25), id="adam_moment-broadcast"),
    Case("adam_update", [random((4, 3)), random((4, 3), 1), random((4, 3), 2, 0.1, 2.0), np.array(0.01)],
         attrs={"epsilon": 1e-7}, expected=lambda w, m, v, a: ref_update(w, m, v, a, 1e-7)),
    Case("adam_update", [random((7,)), random((7,), 1), random((7,), 2, 0.0, 1.0), np.array(0.5)],
         attrs={"epsilon": 0.1}, expected=lambda w, m, v, a: ref_update(w, m, v, a, 0.1),
         id="adam_update-large-epsilon"),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_primitive(case):
    check_case(case)


def float32_inputs(shape, seed=0):
    rng = np.random.default_rng(seed)
    value, gradient, momentum = (rng.standard_normal(shape).astype(f32) for _ in range(3))
    velocity = np.abs(rng.standard_normal(shape)).astype(f32) * f32(1e-3)
    return value, gradient, momentum, velocity


@pytest.mark.parametrize("shape", [(784, 512), (10,), (3, 5, 7)])
def test_bit_equal_to_the_keras_formulas_in_float32(shape):
    value, gradient, momentum, velocity = float32_inputs(shape)
    beta_1, beta_2, epsilon = 0.9, 0.999, 1e-7
    alpha = np.asarray(f32(0.001) * np.sqrt(f32(1) - f32(beta_2) ** f32(3)) / (f32(1) - f32(beta_1) ** f32(3)))
    # Keras: m += (g - m) * (1 - beta_1), the Python float meeting a float32 array
    m_ref = momentum + (gradient - momentum) * (1 - beta_1)
    v_ref = velocity + (np.square(gradient) - velocity) * (1 - beta_2)
    w_ref = value - (m_ref * alpha) / (np.sqrt(v_ref) + epsilon)
    m = get("adam_moment").forward(np, momentum, gradient, rate=1 - beta_1)
    v = get("adam_moment").forward(np, velocity, gradient, rate=1 - beta_2, square=True)
    w = get("adam_update").forward(np, value, m, v, alpha, epsilon=epsilon)
    for got, want in ((m, m_ref), (v, v_ref), (w, w_ref)):
        assert got.dtype == np.float32
        np.testing.assert_array_equal(got, want)
    # the inputs are left alone (they are the variables' and slots' arrays)
    np.testing.assert_array_equal(momentum, float32_inputs(shape)[2])
    np.testing.assert_array_equal(velocity, float32_inputs(shape)[3])


def test_float16_stays_float16():
    value, gradient, momentum, velocity = (x.astype(np.float16) for x in float32_inputs((6,)))
    m = get("adam_moment").forward(np, momentum, gradient, rate=0.1)
    w = get("adam_update").forward(np, value, m, velocity, np.asarray(0.01, np.float16), epsilon=1e-3)
    assert m.dtype == w.dtype == np.float16
    np.testing.assert_array_equal(m, momentum + (gradient - momentum) * 0.1)


def test_shape_errors_at_graph_build_time():
    with engine.Graph().as_default():
        m = engine.placeholder("float32", (None, 4))
        with pytest.raises(ShapeError, match="adam_moment"):
            engine.apply("adam_moment", m, engine.placeholder("float32", (None, 5)), rate=0.1)
        with pytest.raises(ShapeError, match="adam_update: alpha must be a scalar"):
            engine.apply("adam_update", m, m, m, engine.placeholder("float32", (1,)), epsilon=1e-7)
        node = engine.apply("adam_update", m, m, m, engine.placeholder("float32", ()), epsilon=1e-7)
        assert node.shape == (None, 4) and node.dtype == np.float32


def test_adam_uses_the_fused_steps_and_matches_the_op_by_op_form():
    # Adam with a hyperparameter that is not a Python number falls back to the
    # op-by-op formulas; a float32 epsilon is the same number either way, so both
    # paths must give the same bits over several steps
    rng = np.random.default_rng(0)
    start = rng.standard_normal((6, 5)).astype(f32)
    grads = [rng.standard_normal((6, 5)).astype(f32) for _ in range(4)]

    def run(epsilon):
        from kerasette import Variable
        w = Variable(start.copy())
        optimizer = optimizers.Adam(0.01, epsilon=epsilon)
        for g in grads:
            optimizer.apply_gradients([(g, w)])
        return w.numpy()

    fused = run(1e-7)
    op_by_op = run(np.float32(1e-7))
    assert not np.array_equal(fused, start)
    np.testing.assert_array_equal(fused, op_by_op)
