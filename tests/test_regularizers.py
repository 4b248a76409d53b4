"""Regularizers: Keras' penalties on arrays, eager Tensors (with gradients) and graph nodes."""
import numpy as np
import pytest

from kerasette import Tensor, engine, regularizers

W = np.array([[0.5, -1.0, 2.0], [-3.0, 0.25, 0.0]], dtype=np.float32)


def test_l1_l2_l1l2_numbers_on_arrays():
    assert float(regularizers.L1(0.1)(W)) == pytest.approx(0.1 * 6.75)
    assert float(regularizers.L2(0.1)(W)) == pytest.approx(0.1 * 14.3125)
    assert float(regularizers.L1L2(l1=0.2, l2=0.3)(W)) == pytest.approx(0.2 * 6.75 + 0.3 * 14.3125)
    assert float(regularizers.L1L2()(W)) == 0.0
    assert float(regularizers.L2(0.5)([1.0, 2.0])) == pytest.approx(2.5)


def test_penalty_keeps_float32_and_float64():
    assert np.asarray(regularizers.L2(0.01)(W)).dtype == np.float32
    assert np.asarray(regularizers.L1L2(0.01, 0.01)(W)).dtype == np.float32
    assert np.asarray(regularizers.L1(0.01)(W.astype(np.float64))).dtype == np.float64


def test_defaults_and_aliases_match_keras():
    # Keras 3.15 and tf.keras hold L1's factor as a float32 (L2's and L1L2's exactly)
    assert regularizers.L1().get_config() == {"l1": 0.009999999776482582}
    assert regularizers.L2().get_config() == {"l2": 0.01}
    assert regularizers.L1L2().get_config() == {"l1": 0.0, "l2": 0.0}
    assert regularizers.l1 is regularizers.L1
    assert regularizers.l2 is regularizers.L2
    assert regularizers.l1_l2 is regularizers.L1L2
    assert regularizers.L2(None).l2 == 0.01


@pytest.mark.parametrize("bad", [-0.1, float("nan"), float("inf"), "0.1"])
def test_invalid_factors_are_refused(bad):
    with pytest.raises(ValueError, match="l2"):
        regularizers.L2(bad)


def test_l2_on_a_tensor_backpropagates_2_l2_x():
    w = Tensor(W, requires_grad=True)
    penalty = regularizers.L2(0.05)(w)
    assert isinstance(penalty, Tensor)
    assert penalty.item() == pytest.approx(0.05 * 14.3125)
    penalty.backward()
    np.testing.assert_allclose(w.grad.numpy(), 2 * 0.05 * W, rtol=1e-6)
    assert w.grad.numpy().dtype == np.float32


def test_l1l2_on_a_tensor_backpropagates_sign_and_linear_terms():
    x = np.array([0.5, -1.5, 2.0], dtype=np.float32)
    w = Tensor(x, requires_grad=True)
    regularizers.L1L2(l1=0.1, l2=0.2)(w).backward()
    np.testing.assert_allclose(w.grad.numpy(), 0.1 * np.sign(x) + 0.4 * x, rtol=1e-6)


def test_penalties_on_symbolic_nodes_run_in_a_session():
    x = engine.placeholder("float32", (2, 3))
    penalty = regularizers.L1L2(l1=0.2, l2=0.3)(x)
    assert isinstance(penalty, engine.Node)
    assert penalty.shape == ()
    value = engine.Session().run(penalty, {x: W})
    assert float(value) == pytest.approx(0.2 * 6.75 + 0.3 * 14.3125, rel=1e-6)
    (grad,) = engine.gradients(regularizers.L2(0.05)(x), [x])
    np.testing.assert_allclose(engine.Session().run(grad, {x: W}), 0.1 * W, rtol=1e-6)


def _orthogonal_reference(w, factor, mode):
    w = w.astype(np.float64)
    if mode == "columns":
        w = w.T
    w = w / np.sqrt(np.maximum((w ** 2).sum(axis=1, keepdims=True), 1e-12))
    product = w @ w.T
    size = w.shape[0]
    off = np.abs(product * (1 - np.eye(size))).sum()
    return factor * 0.5 * off / (size * (size - 1) / 2)


@pytest.mark.parametrize("mode", ["rows", "columns"])
def test_orthogonal_regularizer_numbers(mode):
    w = np.random.default_rng(0).normal(size=(4, 6)).astype(np.float32)
    value = regularizers.OrthogonalRegularizer(0.3, mode)(w)
    assert float(value) == pytest.approx(_orthogonal_reference(w, 0.3, mode), rel=1e-5)
    assert float(regularizers.OrthogonalRegularizer(1.0)(np.eye(3, dtype=np.float32))) == 0.0
    with pytest.raises(ValueError):
        regularizers.OrthogonalRegularizer()(np.zeros((2, 2, 2), dtype=np.float32))
    with pytest.raises(ValueError):
        regularizers.OrthogonalRegularizer(mode="diagonals")


def test_orthogonal_regularizer_gradient_matches_finite_differences():
    w0 = np.random.default_rng(1).normal(size=(3, 4))
    regularizer = regularizers.OrthogonalRegularizer(1.0, "rows")
    w = Tensor(w0, requires_grad=True)
    regularizer(w).backward()
    numeric = np.zeros_like(w0)
    eps = 1e-6
    for index in np.ndindex(w0.shape):
        plus, minus = w0.copy(), w0.copy()
        plus[index] += eps
        minus[index] -= eps
        numeric[index] = (_orthogonal_reference(plus, 1.0, "rows")
                          - _orthogonal_reference(minus, 1.0, "rows")) / (2 * eps)
    np.testing.assert_allclose(w.grad.numpy(), numeric, rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("regularizer", [
    regularizers.L1(0.3), regularizers.L2(0.2), regularizers.L1L2(0.1, 0.4),
    regularizers.OrthogonalRegularizer(0.5, "columns"),
])
def test_serialize_get_round_trip(regularizer):
    config = regularizers.serialize(regularizer)
    assert config == {"class_name": type(regularizer).__name__, "config": regularizer.get_config()}
    rebuilt = regularizers.get(config)
    assert type(rebuilt) is type(regularizer)
    assert rebuilt.get_config() == regularizer.get_config()
    assert type(regularizer).from_config(regularizer.get_config()).get_config() == regularizer.get_config()


def test_get_by_name_keras3_dict_instance_callable_and_none():
    assert type(regularizers.get("l1")) is regularizers.L1
    assert type(regularizers.get("l2")) is regularizers.L2
    assert type(regularizers.get("l1_l2")) is regularizers.L1L2
    assert type(regularizers.get("L2")) is regularizers.L2
    assert type(regularizers.get("orthogonal_regularizer")) is regularizers.OrthogonalRegularizer
    keras3 = {"module": "keras.regularizers", "class_name": "L2", "config": {"l2": 0.001},
              "registered_name": None}
    assert regularizers.get(keras3).l2 == 0.001
    instance = regularizers.L1()
    assert regularizers.get(instance) is instance
    assert regularizers.get(None) is None
    assert type(regularizers.get(regularizers.L2)) is regularizers.L2

    def total(x):
        return np.sum(x)
    assert regularizers.get(total) is total
    with pytest.raises(ValueError):
        regularizers.get("l3")
    with pytest.raises(ValueError):
        regularizers.get(0.01)


def test_docstring_examples():
    import doctest

    from kerasette import regularizers as module
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


def test_configs_match_keras_3():
    """keras.io's serialization guide prints ``serialize_keras_object(L1(0.005))``: Keras 3.15
    writes ``0.004999999888241291`` (a float32), which kerasette wrote as 0.005."""
    import os
    os.environ.setdefault("KERAS_BACKEND", "jax")
    real = pytest.importorskip("keras")
    for name, args in (("L1", (0.005,)), ("L1", ()), ("L2", (0.003,)), ("L1L2", (0.005, 0.003)),
                       ("OrthogonalRegularizer", (0.03, "columns"))):
        ours = getattr(regularizers, name)(*args)
        theirs = getattr(real.regularizers, name)(*args)
        assert ours.get_config() == theirs.get_config(), name
        w = np.linspace(-1.0, 1.0, 12).reshape(3, 4).astype("float32")
        np.testing.assert_allclose(np.asarray(ours(w)), np.asarray(theirs(real.ops.convert_to_tensor(w))),
                                   rtol=1e-6, err_msg=name)
