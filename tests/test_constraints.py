"""Constraints: Keras' projections on arrays and graph nodes, configs and names."""
import numpy as np
import pytest

from kerasette import backend, constraints, engine

EPS = backend.epsilon()
W = np.random.default_rng(0).normal(scale=2.0, size=(5, 4)).astype(np.float32)
W[:, 3] *= 0.05   # one column with a small norm, below the bounds


def _norms(w, axis):
    return np.sqrt((w.astype(np.float64) ** 2).sum(axis=axis, keepdims=True))


def test_max_norm_rescales_only_the_columns_above_the_limit():
    out = constraints.MaxNorm(max_value=1.5)(W)
    norms = _norms(W, 0)
    expected = W * (np.clip(norms, 0, 1.5) / (EPS + norms))
    np.testing.assert_allclose(out, expected, rtol=1e-6)
    assert out.dtype == np.float32
    new_norms = _norms(out, 0)[0]
    assert np.all(new_norms <= 1.5 + 1e-5)
    np.testing.assert_allclose(out[:, 3], W[:, 3], rtol=1e-5)


def test_max_norm_over_several_axes_of_a_conv_kernel():
    kernel = np.random.default_rng(1).normal(size=(3, 3, 2, 4)).astype(np.float32)
    out = constraints.MaxNorm(1.0, axis=[0, 1, 2])(kernel)
    np.testing.assert_allclose(_norms(out, (0, 1, 2)).ravel(), np.ones(4), rtol=1e-5)


def test_non_neg_zeroes_negatives():
    np.testing.assert_array_equal(constraints.NonNeg()(W), W * (W >= 0))
    assert np.all(constraints.NonNeg()(W) >= 0)


@pytest.mark.parametrize("axis", [0, 1, [0, 1]])
def test_unit_norm(axis):
    out = constraints.UnitNorm(axis=axis)(W)
    norms = _norms(W, tuple(axis) if isinstance(axis, list) else axis)
    np.testing.assert_allclose(out, W / (EPS + norms), rtol=1e-6)
    np.testing.assert_allclose(_norms(out, tuple(axis) if isinstance(axis, list) else axis), 1.0, rtol=1e-5)


@pytest.mark.parametrize("rate", [1.0, 0.3])
def test_min_max_norm(rate):
    out = constraints.MinMaxNorm(min_value=0.5, max_value=2.0, rate=rate)(W)
    norms = _norms(W, 0)
    desired = rate * np.clip(norms, 0.5, 2.0) + (1 - rate) * norms
    np.testing.assert_allclose(out, W * (desired / (EPS + norms)), rtol=1e-5)
    if rate == 1.0:
        new = _norms(out, 0)
        assert np.all(new >= 0.5 - 1e-5) and np.all(new <= 2.0 + 1e-5)


def test_constraints_on_a_graph_node_run_in_a_session():
    x = engine.placeholder("float32", (5, 4))
    projected = constraints.MaxNorm(1.5)(x)
    assert isinstance(projected, engine.Node) and projected.shape == (5, 4)
    session = engine.Session()
    np.testing.assert_allclose(session.run(projected, {x: W}), constraints.MaxNorm(1.5)(W), rtol=1e-6)
    np.testing.assert_allclose(session.run(constraints.NonNeg()(x), {x: W}), np.maximum(W, 0))
    np.testing.assert_allclose(session.run(constraints.UnitNorm()(x), {x: W}),
                               constraints.UnitNorm()(W), rtol=1e-6)


def test_float64_stays_float64():
    for constraint in [constraints.MaxNorm(), constraints.NonNeg(), constraints.UnitNorm(),
                       constraints.MinMaxNorm()]:
        assert constraint(W.astype(np.float64)).dtype == np.float64


def test_defaults_match_keras():
    assert constraints.MaxNorm().get_config() == {"max_value": 2, "axis": 0}
    assert constraints.UnitNorm().get_config() == {"axis": 0}
    assert constraints.MinMaxNorm().get_config() == {"min_value": 0.0, "max_value": 1.0, "rate": 1.0, "axis": 0}
    assert constraints.NonNeg().get_config() == {}
    assert constraints.MaxNorm(axis=[0, 1, 2]).get_config()["axis"] == [0, 1, 2]


@pytest.mark.parametrize("name, cls", [
    ("max_norm", constraints.MaxNorm), ("maxnorm", constraints.MaxNorm), ("MaxNorm", constraints.MaxNorm),
    ("non_neg", constraints.NonNeg), ("nonneg", constraints.NonNeg), ("unit_norm", constraints.UnitNorm),
    ("unitnorm", constraints.UnitNorm), ("min_max_norm", constraints.MinMaxNorm),
])
def test_get_by_name(name, cls):
    assert type(constraints.get(name)) is cls


@pytest.mark.parametrize("constraint", [
    constraints.MaxNorm(3.0, axis=[0, 1]), constraints.NonNeg(), constraints.UnitNorm(axis=1),
    constraints.MinMaxNorm(0.1, 0.9, 0.5, axis=-1),
])
def test_serialize_get_round_trip(constraint):
    config = constraints.serialize(constraint)
    assert config == {"class_name": type(constraint).__name__, "config": constraint.get_config()}
    rebuilt = constraints.get(config)
    assert type(rebuilt) is type(constraint)
    assert rebuilt.get_config() == constraint.get_config()
    np.testing.assert_array_equal(rebuilt(W), constraint(W))


def test_get_keras3_dict_instance_callable_none_and_errors():
    keras3 = {"module": "keras.constraints", "class_name": "MaxNorm",
              "config": {"max_value": 3, "axis": 0}, "registered_name": None}
    assert constraints.get(keras3).max_value == 3
    instance = constraints.NonNeg()
    assert constraints.get(instance) is instance
    assert constraints.get(None) is None

    def clip_all(w):
        return np.clip(w, -1, 1)
    assert constraints.get(clip_all) is clip_all
    with pytest.raises(ValueError):
        constraints.get("max_nrom")
    with pytest.raises(ValueError):
        constraints.get(2)


def test_docstring_examples():
    import doctest

    from kerasette import constraints as module
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


def test_constraints_on_eager_tensors_return_tensors_with_the_projection():
    from kerasette import Tensor, no_grad
    weight = Tensor(W, requires_grad=True)
    with no_grad():
        projected = constraints.MaxNorm(1.5)(weight)
    assert isinstance(projected, Tensor) and not projected.requires_grad
    np.testing.assert_allclose(projected.numpy(), constraints.MaxNorm(1.5)(W), rtol=1e-6)
