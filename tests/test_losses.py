"""Losses: Keras' formulas and reductions, on arrays, eager Tensors (with gradients) and graphs."""
import numpy as np
import pytest

from kerasette import Tensor, backend, engine, losses

EPS = 1e-7
RNG = np.random.default_rng(0)


@pytest.fixture(autouse=True)
def _fresh_session():
    backend.clear_session()
    yield


def _probabilities(shape, rng=RNG):
    logits = rng.normal(size=shape).astype(np.float32)
    exp = np.exp(logits - logits.max(-1, keepdims=True))
    return (exp / exp.sum(-1, keepdims=True)).astype(np.float32)


def _one_hot(labels, classes):
    return np.eye(classes, dtype=np.float32)[labels]


Y_TRUE = RNG.normal(size=(6, 4)).astype(np.float32)
Y_PRED = RNG.normal(size=(6, 4)).astype(np.float32)
POSITIVE_TRUE = RNG.uniform(0.1, 3.0, size=(6, 4)).astype(np.float32)
POSITIVE_PRED = RNG.uniform(0.1, 3.0, size=(6, 4)).astype(np.float32)
BINARY = RNG.integers(0, 2, size=(6, 4)).astype(np.float32)
PROBS = RNG.uniform(0.02, 0.98, size=(6, 4)).astype(np.float32)
LABELS = RNG.integers(0, 4, size=6)
SOFTMAX = _probabilities((6, 4))
LOGITS = RNG.normal(size=(6, 4)).astype(np.float32) * 3


def _np_hinge_labels(y):
    return 2 * y - 1 if np.all((y == 0) | (y == 1)) else y


def _np_normalize(x):
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), EPS)


def _np_log_softmax(z):
    z = z - z.max(-1, keepdims=True)
    return z - np.log(np.exp(z).sum(-1, keepdims=True))


# (function, y_true, y_pred, numpy reference per sample)
CASES = {
    "mean_squared_error": (losses.mean_squared_error, Y_TRUE, Y_PRED,
                           lambda t, p: np.mean((t - p) ** 2, -1)),
    "mean_absolute_error": (losses.mean_absolute_error, Y_TRUE, Y_PRED,
                            lambda t, p: np.mean(np.abs(t - p), -1)),
    "mean_absolute_percentage_error": (
        losses.mean_absolute_percentage_error, Y_TRUE, Y_PRED,
        lambda t, p: 100 * np.mean(np.abs((t - p) / np.maximum(np.abs(t), EPS)), -1)),
    "mean_squared_logarithmic_error": (
        losses.mean_squared_logarithmic_error, POSITIVE_TRUE, Y_PRED,
        lambda t, p: np.mean((np.log(np.maximum(p, EPS) + 1) - np.log(np.maximum(t, EPS) + 1)) ** 2,
                             -1)),
    "hinge": (losses.hinge, BINARY, Y_PRED,
              lambda t, p: np.mean(np.maximum(1 - _np_hinge_labels(t) * p, 0), -1)),
    "squared_hinge": (losses.squared_hinge, BINARY, Y_PRED,
                      lambda t, p: np.mean(np.maximum(1 - _np_hinge_labels(t) * p, 0) ** 2, -1)),
    "categorical_hinge": (
        losses.categorical_hinge, _one_hot(LABELS, 4), Y_PRED,
        lambda t, p: np.maximum(np.max((1 - t) * p, -1) - np.sum(t * p, -1) + 1, 0)),
    "log_cosh": (losses.log_cosh, Y_TRUE, Y_PRED,
                 lambda t, p: np.mean(np.log(np.cosh(p - t)), -1)),
    "huber": (losses.huber, Y_TRUE, Y_PRED,
              lambda t, p: np.mean(np.where(np.abs(p - t) <= 1.0, 0.5 * (p - t) ** 2,
                                            np.abs(p - t) - 0.5), -1)),
    "kl_divergence": (
        losses.kl_divergence, SOFTMAX, _probabilities((6, 4)),
        lambda t, p: np.sum(np.clip(t, EPS, 1) * np.log(np.clip(t, EPS, 1) / np.clip(p, EPS, 1)),
                            -1)),
    "poisson": (losses.poisson, POSITIVE_TRUE, POSITIVE_PRED,
                lambda t, p: np.mean(p - t * np.log(p + EPS), -1)),
    "cosine_similarity": (losses.cosine_similarity, Y_TRUE, Y_PRED,
                          lambda t, p: -np.sum(_np_normalize(t) * _np_normalize(p), -1)),
    "categorical_crossentropy": (
        losses.categorical_crossentropy, _one_hot(LABELS, 4), SOFTMAX,
        lambda t, p: -np.sum(t * np.log(np.clip(p / p.sum(-1, keepdims=True), EPS, 1 - EPS)), -1)),
    "binary_crossentropy": (
        losses.binary_crossentropy, BINARY, PROBS,
        lambda t, p: -np.mean(t * np.log(np.clip(p, EPS, 1 - EPS))
                              + (1 - t) * np.log(np.clip(1 - p, EPS, 1 - EPS)), -1)),
    "sparse_categorical_crossentropy": (
        losses.sparse_categorical_crossentropy, LABELS, SOFTMAX,
        lambda t, p: -np.log(np.clip(p, EPS, 1 - EPS))[np.arange(len(t)), t.astype(int)]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_loss_function_matches_numpy_formula_and_keeps_float32(name):
    fn, y_true, y_pred, reference = CASES[name]
    out = fn(y_true, y_pred)
    assert isinstance(out, np.ndarray)
    assert out.shape == (6,)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, reference(y_true.astype(np.float64),
                                              y_pred.astype(np.float64)),
                               rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name", ["mean_squared_error", "huber", "log_cosh", "poisson",
                                  "categorical_crossentropy", "binary_crossentropy"])
def test_loss_function_keeps_float64(name):
    fn, y_true, y_pred, reference = CASES[name]
    y_true64 = y_true if y_true.dtype.kind == "i" else y_true.astype(np.float64)
    out = fn(y_true64, y_pred.astype(np.float64))
    assert out.dtype == np.float64


def test_hinge_leaves_non_binary_labels_alone_and_converts_zero_one():
    pred = Y_PRED[:2]
    np.testing.assert_allclose(losses.hinge([[0.0, 1.0, 1.0, 0.0]] * 2, pred),
                               losses.hinge([[-1.0, 1.0, 1.0, -1.0]] * 2, pred), rtol=1e-6)
    odd = np.array([[0.5, 2.0, -1.0, 0.0]] * 2, np.float32)
    np.testing.assert_allclose(losses.hinge(odd, pred),
                               np.mean(np.maximum(1 - odd * pred, 0), -1), rtol=1e-6)


def test_huber_delta_and_its_alias_names():
    t, p = Y_TRUE * 3, Y_PRED * 3
    delta = 2.0
    err = np.abs(p - t)
    expected = np.mean(np.where(err <= delta, 0.5 * err ** 2, delta * err - 0.5 * delta ** 2), -1)
    np.testing.assert_allclose(losses.huber(t, p, delta=delta), expected, rtol=1e-5)
    assert losses.Huber(delta=2.0).get_config()["delta"] == 2.0
    assert losses.Huber().name == "huber_loss"


def test_label_smoothing_in_both_crossentropies():
    ls = 0.2
    onehot = _one_hot(LABELS, 4)
    smoothed = onehot * (1 - ls) + ls / 4
    expected = -np.sum(smoothed * _np_log_softmax(LOGITS.astype(np.float64)), -1)
    np.testing.assert_allclose(
        losses.categorical_crossentropy(onehot, LOGITS, from_logits=True, label_smoothing=ls),
        expected, rtol=1e-5)
    smoothed_binary = BINARY * (1 - ls) + 0.5 * ls
    expected = np.mean(np.maximum(LOGITS, 0) - LOGITS * smoothed_binary
                       + np.log1p(np.exp(-np.abs(LOGITS))), -1)
    np.testing.assert_allclose(
        losses.binary_crossentropy(BINARY, LOGITS, from_logits=True, label_smoothing=ls),
        expected, rtol=1e-5)


def test_crossentropy_axis_and_bool_axis_refused():
    onehot = _one_hot(LABELS, 4)
    moved = losses.categorical_crossentropy(onehot.T, SOFTMAX.T, axis=0)
    np.testing.assert_allclose(moved, losses.categorical_crossentropy(onehot, SOFTMAX), rtol=1e-6)
    with pytest.raises(ValueError, match="axis"):
        losses.categorical_crossentropy(onehot, SOFTMAX, axis=True)


def test_sparse_crossentropy_accepts_n_by_1_and_float_labels():
    expected = losses.sparse_categorical_crossentropy(LABELS, SOFTMAX)
    np.testing.assert_allclose(
        losses.sparse_categorical_crossentropy(LABELS.reshape(-1, 1), SOFTMAX), expected)
    np.testing.assert_allclose(
        losses.sparse_categorical_crossentropy(LABELS.astype(np.float32), SOFTMAX), expected)


# ---------------------------------------------------------------- torch parity

@pytest.fixture
def torch():
    return pytest.importorskip("torch")


def _t(x):
    import torch
    return torch.tensor(np.asarray(x))


def test_regression_losses_match_torch(torch):
    F = torch.nn.functional
    t, p = _t(Y_TRUE), _t(Y_PRED)
    np.testing.assert_allclose(losses.mean_squared_error(Y_TRUE, Y_PRED),
                               F.mse_loss(p, t, reduction="none").mean(-1).numpy(), rtol=1e-6)
    np.testing.assert_allclose(losses.mean_absolute_error(Y_TRUE, Y_PRED),
                               F.l1_loss(p, t, reduction="none").mean(-1).numpy(), rtol=1e-6)
    for delta in (0.5, 1.0, 2.0):
        np.testing.assert_allclose(
            losses.huber(Y_TRUE, Y_PRED, delta=delta),
            F.huber_loss(p, t, reduction="none", delta=delta).mean(-1).numpy(), rtol=1e-5)
    np.testing.assert_allclose(
        losses.poisson(POSITIVE_TRUE, POSITIVE_PRED),
        F.poisson_nll_loss(_t(POSITIVE_PRED), _t(POSITIVE_TRUE), log_input=False, full=False,
                           eps=EPS, reduction="none").mean(-1).numpy(), rtol=1e-5)
    np.testing.assert_allclose(losses.cosine_similarity(Y_TRUE, Y_PRED),
                               -F.cosine_similarity(t, p, dim=-1).numpy(), rtol=1e-5)


def test_kl_divergence_matches_torch(torch):
    F = torch.nn.functional
    y_true, y_pred = SOFTMAX, _probabilities((6, 4))
    expected = F.kl_div(torch.log(_t(y_pred)), _t(y_true), reduction="none").sum(-1).numpy()
    np.testing.assert_allclose(losses.kl_divergence(y_true, y_pred), expected, rtol=1e-5)


def test_crossentropies_match_torch(torch):
    F = torch.nn.functional
    labels = _t(LABELS)
    onehot = _one_hot(LABELS, 4)
    np.testing.assert_allclose(
        losses.sparse_categorical_crossentropy(LABELS, LOGITS, from_logits=True),
        F.cross_entropy(_t(LOGITS), labels, reduction="none").numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(
        losses.categorical_crossentropy(onehot, LOGITS, from_logits=True, label_smoothing=0.1),
        F.cross_entropy(_t(LOGITS), labels, reduction="none", label_smoothing=0.1).numpy(),
        rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(
        losses.binary_crossentropy(BINARY, LOGITS, from_logits=True),
        F.binary_cross_entropy_with_logits(_t(LOGITS), _t(BINARY), reduction="none")
        .mean(-1).numpy(), rtol=1e-5)
    np.testing.assert_allclose(
        losses.binary_crossentropy(BINARY, PROBS),
        F.binary_cross_entropy(_t(PROBS), _t(BINARY), reduction="none").mean(-1).numpy(),
        rtol=1e-5)


def test_ignore_class_averages_over_kept_entries_like_torch_ignore_index(torch):
    F = torch.nn.functional
    labels = np.array([0, -1, 2, 1, -1, 3])
    loss = losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=-1)
    expected = F.cross_entropy(_t(LOGITS), _t(labels), ignore_index=-1).item()
    assert float(loss(labels, LOGITS)) == pytest.approx(expected, rel=1e-5)
    per_sample = losses.sparse_categorical_crossentropy(labels, LOGITS, from_logits=True,
                                                        ignore_class=-1)
    assert per_sample[1] == 0.0 and per_sample[4] == 0.0
    # the mask also works in a graph with an unknown batch size
    y = engine.placeholder("int64", (None,))
    x = engine.placeholder("float32", (None, 4))
    value = engine.Session().run(loss(y, x), {y: labels, x: LOGITS})
    assert float(value) == pytest.approx(expected, rel=1e-5)


def test_gradients_match_torch_on_eager_tensors(torch):
    F = torch.nn.functional
    cases = [
        (losses.MeanSquaredError(), Y_TRUE, Y_PRED,
         lambda p: F.mse_loss(p, _t(Y_TRUE))),
        (losses.CategoricalCrossentropy(from_logits=True), _one_hot(LABELS, 4), LOGITS,
         lambda p: F.cross_entropy(p, _t(LABELS))),
        (losses.SparseCategoricalCrossentropy(from_logits=True), LABELS, LOGITS,
         lambda p: F.cross_entropy(p, _t(LABELS))),
        (losses.BinaryCrossentropy(from_logits=True), BINARY, LOGITS,
         lambda p: F.binary_cross_entropy_with_logits(p, _t(BINARY))),
        (losses.Huber(delta=0.7), Y_TRUE, Y_PRED,
         lambda p: F.huber_loss(p, _t(Y_TRUE), delta=0.7)),
    ]
    for loss, y_true, y_pred, torch_loss in cases:
        prediction = Tensor(y_pred, requires_grad=True)
        value = loss(y_true, prediction)
        value.backward()
        reference = _t(y_pred).requires_grad_(True)
        torch_value = torch_loss(reference)
        torch_value.backward()
        assert float(value) == pytest.approx(torch_value.item(), rel=1e-5), loss.name
        np.testing.assert_allclose(np.asarray(prediction.grad), reference.grad.numpy(), rtol=1e-4,
                                   atol=1e-7, err_msg=loss.name)


@pytest.mark.parametrize("name", sorted(CASES))
def test_gradient_reaches_the_prediction_for_every_loss(name):
    fn, y_true, y_pred, _ = CASES[name]
    prediction = Tensor(y_pred, requires_grad=True)
    losses.LossFunctionWrapper(fn)(y_true, prediction).backward()
    assert prediction.grad is not None
    grad = np.asarray(prediction.grad)
    assert grad.shape == y_pred.shape
    assert np.all(np.isfinite(grad))
    # central differences on one entry, in float64
    eps = 1e-3
    wrapper = losses.LossFunctionWrapper(fn, dtype="float64")
    base = y_pred.astype(np.float64)
    index = (2, 1)
    plus, minus = base.copy(), base.copy()
    plus[index] += eps
    minus[index] -= eps
    numeric = (float(wrapper(y_true, plus)) - float(wrapper(y_true, minus))) / (2 * eps)
    assert grad[index] == pytest.approx(numeric, rel=2e-2, abs=2e-4)


# ------------------------------------------------------------- loss classes

def test_keras_documented_numbers():
    y_true = [[0, 1, 0], [0, 0, 1]]
    y_pred = [[0.05, 0.95, 0], [0.1, 0.8, 0.1]]
    assert float(losses.CategoricalCrossentropy()(y_true, y_pred)) == pytest.approx(1.177, abs=1e-3)
    assert float(losses.CategoricalCrossentropy()(y_true, y_pred, sample_weight=[0.3, 0.7])) \
        == pytest.approx(0.814, abs=1e-3)
    assert float(losses.CategoricalCrossentropy(reduction="sum")(y_true, y_pred)) \
        == pytest.approx(2.354, abs=1e-3)
    np.testing.assert_allclose(losses.CategoricalCrossentropy(reduction=None)(y_true, y_pred),
                               [0.0513, 2.303], atol=1e-3)
    assert float(losses.SparseCategoricalCrossentropy()([1, 2], y_pred)) \
        == pytest.approx(1.177, abs=1e-3)
    bt, bp = [[0, 1], [0, 0]], [[-18.6, 0.51], [2.94, -12.8]]
    bce = losses.BinaryCrossentropy(from_logits=True)
    assert float(bce(bt, bp)) == pytest.approx(0.8654, abs=1e-3)
    assert float(bce(bt, bp, sample_weight=[0.8, 0.2])) == pytest.approx(0.243, abs=1e-3)
    assert float(losses.BinaryCrossentropy(from_logits=True, reduction="sum")(bt, bp)) \
        == pytest.approx(1.730, abs=1e-3)
    np.testing.assert_allclose(losses.BinaryCrossentropy(from_logits=True, reduction=None)(bt, bp),
                               [0.235, 1.496], atol=1e-3)
    np.testing.assert_allclose(
        losses.cosine_similarity([[0., 1.], [1., 1.], [1., 1.]], [[1., 0.], [1., 1.], [-1., -1.]]),
        [0.0, -1.0, 1.0], atol=1e-6)


@pytest.mark.parametrize("reduction", ["sum_over_batch_size", "sum", "mean", "none", None,
                                       "mean_with_sample_weight"])
@pytest.mark.parametrize("weights", [None, "vector", "column", "scalar"])
def test_reductions_and_sample_weights(reduction, weights):
    per_sample = np.mean((Y_TRUE - Y_PRED) ** 2, -1)
    sample_weight = {None: None, "vector": np.arange(6, dtype=np.float32),
                     "column": np.arange(6, dtype=np.float32).reshape(6, 1),
                     "scalar": 2.5}[weights]
    flat_weight = None if sample_weight is None else np.broadcast_to(
        np.reshape(sample_weight, -1), (6,))
    weighted = per_sample if sample_weight is None else per_sample * flat_weight
    loss = losses.MeanSquaredError(reduction=reduction)
    out = loss(Y_TRUE, Y_PRED, sample_weight=sample_weight)
    if reduction in ("none", None):
        # Keras gives per-sample losses the weights' (N, 1) shape when they have it
        assert np.shape(out) == ((6, 1) if weights == "column" else (6,))
        np.testing.assert_allclose(np.reshape(out, -1), weighted, rtol=1e-5)
        return
    assert np.shape(out) == () and np.asarray(out).dtype == np.float32
    if reduction == "sum":
        expected = weighted.sum()
    elif reduction == "mean_with_sample_weight" and sample_weight is not None:
        expected = weighted.sum() / np.sum(sample_weight)
    else:
        expected = weighted.sum() / weighted.size
    assert float(out) == pytest.approx(expected, rel=1e-5)


def test_sample_weight_of_zero_sum_gives_zero_not_nan():
    loss = losses.MeanSquaredError(reduction="mean_with_sample_weight")
    assert float(loss(Y_TRUE, Y_PRED, sample_weight=np.zeros(6, np.float32))) == 0.0


@pytest.mark.parametrize("steps", [5, 3])
def test_per_timestep_losses_with_per_sample_weights(steps):
    y_true = RNG.normal(size=(3, steps, 2)).astype(np.float32)
    y_pred = RNG.normal(size=(3, steps, 2)).astype(np.float32)
    weights = np.array([1.0, 0.0, 2.0], np.float32)
    per_step = np.mean((y_true - y_pred) ** 2, -1)           # (3, steps)
    expected = (per_step * weights[:, None]).sum() / per_step.size
    for given in (weights, weights[:, None]):
        out = losses.MeanSquaredError()(y_true, y_pred, sample_weight=given)
        assert float(out) == pytest.approx(expected, rel=1e-5)
    # in a graph the batch size is unknown: the weights still go per sample
    t = engine.placeholder("float32", (None, steps, 2))
    p = engine.placeholder("float32", (None, steps, 2))
    w = engine.placeholder("float32", (None,))
    out = engine.Session().run(losses.MeanSquaredError()(t, p, sample_weight=w),
                               {t: y_true, p: y_pred, w: weights})
    assert float(out) == pytest.approx(expected, rel=1e-5)


def test_target_of_shape_n_meets_prediction_of_shape_n_by_1():
    y_true = np.array([1.0, 2.0, 3.0], np.float32)
    y_pred = np.array([[1.5], [2.0], [2.0]], np.float32)
    assert float(losses.MeanSquaredError()(y_true, y_pred)) == pytest.approx((0.25 + 1.0) / 3)
    assert float(losses.MeanSquaredError()(y_pred, y_true)) == pytest.approx((0.25 + 1.0) / 3)
    np.testing.assert_allclose(losses.mean_squared_error(y_true, y_pred), [0.25, 0.0, 1.0])
    bce = losses.BinaryCrossentropy()(np.array([1, 0, 1]), np.array([[0.9], [0.2], [0.6]]))
    expected = -np.mean(np.log([0.9, 0.8, 0.6]))
    assert float(bce) == pytest.approx(expected, rel=1e-5)


def test_squeeze_or_expand_to_same_rank_rules():
    a, b = np.zeros((4,)), np.zeros((4, 1))
    x, y = losses.squeeze_or_expand_to_same_rank(a, b)
    assert x.shape == (4, 1) and y.shape == (4, 1)
    x, y = losses.squeeze_or_expand_to_same_rank(a, b, expand_rank_1=False)
    assert x.shape == (4,) and y.shape == (4,)
    x, y = losses.squeeze_or_expand_to_same_rank(np.zeros((4, 3, 1)), np.zeros((4, 3)))
    assert x.shape == (4, 3) and y.shape == (4, 3)
    x, y = losses.squeeze_or_expand_to_same_rank(np.zeros((4, 3)), np.zeros((4,)))
    assert x.shape == (4, 3) and y.shape == (4,)


ALL_CLASSES = [
    (losses.MeanSquaredError(), Y_TRUE, Y_PRED),
    (losses.MeanAbsoluteError(), Y_TRUE, Y_PRED),
    (losses.MeanAbsolutePercentageError(), Y_TRUE, Y_PRED),
    (losses.MeanSquaredLogarithmicError(), POSITIVE_TRUE, POSITIVE_PRED),
    (losses.Hinge(), BINARY, Y_PRED),
    (losses.SquaredHinge(), BINARY, Y_PRED),
    (losses.CategoricalHinge(), _one_hot(LABELS, 4), Y_PRED),
    (losses.LogCosh(), Y_TRUE, Y_PRED),
    (losses.Huber(delta=0.5), Y_TRUE, Y_PRED),
    (losses.CategoricalCrossentropy(label_smoothing=0.1), _one_hot(LABELS, 4), SOFTMAX),
    (losses.CategoricalCrossentropy(from_logits=True), _one_hot(LABELS, 4), LOGITS),
    (losses.BinaryCrossentropy(), BINARY, PROBS),
    (losses.BinaryCrossentropy(from_logits=True, label_smoothing=0.2), BINARY, LOGITS),
    (losses.SparseCategoricalCrossentropy(), LABELS, SOFTMAX),
    (losses.SparseCategoricalCrossentropy(from_logits=True), LABELS, LOGITS),
    (losses.KLDivergence(), SOFTMAX, _probabilities((6, 4))),
    (losses.Poisson(), POSITIVE_TRUE, POSITIVE_PRED),
    (losses.CosineSimilarity(), Y_TRUE, Y_PRED),
]


@pytest.mark.parametrize("index", range(len(ALL_CLASSES)))
def test_symbolic_loss_with_unknown_batch_equals_arrays(index):
    loss, y_true, y_pred = ALL_CLASSES[index]
    weights = np.linspace(0.0, 2.0, 6).astype(np.float32)
    true_node = engine.placeholder(str(y_true.dtype), (None,) + y_true.shape[1:])
    pred_node = engine.placeholder("float32", (None, 4))
    weight_node = engine.placeholder("float32", (None,))
    plain = loss(true_node, pred_node)
    weighted = loss(true_node, pred_node, sample_weight=weight_node)
    assert plain.shape == ()
    session = engine.Session()
    graph_plain, graph_weighted = session.run([plain, weighted],
                                              {true_node: y_true, pred_node: y_pred,
                                               weight_node: weights})
    assert float(graph_plain) == pytest.approx(float(loss(y_true, y_pred)), rel=1e-5, abs=1e-6)
    assert float(graph_weighted) == pytest.approx(
        float(loss(y_true, y_pred, sample_weight=weights)), rel=1e-5, abs=1e-6)
    # and with a batch of another size through the same graph
    out = session.run(plain, {true_node: y_true[:3], pred_node: y_pred[:3]})
    assert float(out) == pytest.approx(float(loss(y_true[:3], y_pred[:3])), rel=1e-5, abs=1e-6)


@pytest.mark.parametrize("index", range(len(ALL_CLASSES)))
def test_config_round_trip(index):
    loss = ALL_CLASSES[index][0]
    config = loss.get_config()
    assert config["name"] == loss.name and config["reduction"] == "sum_over_batch_size"
    assert "fn" not in config
    clone = type(loss).from_config(config)
    assert clone.get_config() == config
    loss_, y_true, y_pred = ALL_CLASSES[index]
    assert float(clone(y_true, y_pred)) == pytest.approx(float(loss_(y_true, y_pred)), rel=1e-6)
    rebuilt = losses.deserialize(losses.serialize(loss))
    assert type(rebuilt) is type(loss) and rebuilt.get_config() == config


def test_constructor_defaults_match_keras():
    assert losses.CategoricalCrossentropy().get_config() == {
        "name": "categorical_crossentropy", "reduction": "sum_over_batch_size",
        "from_logits": False, "label_smoothing": 0.0, "axis": -1}
    assert losses.SparseCategoricalCrossentropy().get_config() == {
        "name": "sparse_categorical_crossentropy", "reduction": "sum_over_batch_size",
        "from_logits": False, "ignore_class": None}
    assert losses.CosineSimilarity().get_config()["axis"] == -1
    names = {cls().name for cls in (losses.MeanSquaredError, losses.MeanAbsoluteError,
                                     losses.LogCosh, losses.KLDivergence, losses.Poisson)}
    assert names == {"mean_squared_error", "mean_absolute_error", "log_cosh", "kl_divergence",
                     "poisson"}


def test_invalid_reduction_refused_and_keras2_auto_accepted():
    with pytest.raises(ValueError, match="reduction"):
        losses.MeanSquaredError(reduction="average")
    legacy = {"class_name": "CategoricalCrossentropy",
              "config": {"reduction": "auto", "name": "categorical_crossentropy",
                         "from_logits": True, "label_smoothing": 0.0, "axis": -1}}
    loss = losses.deserialize(legacy)
    assert isinstance(loss, losses.CategoricalCrossentropy)
    assert loss.reduction == "sum_over_batch_size" and loss.from_logits is True


def test_loss_function_wrapper_config_round_trip():
    wrapper = losses.LossFunctionWrapper(losses.huber, name="h", delta=0.3)
    config = wrapper.get_config()
    assert config["fn"]["class_name"] == "function" and config["fn"]["config"] == "huber"
    assert config["delta"] == 0.3
    clone = losses.LossFunctionWrapper.from_config(config)
    assert clone.fn is losses.huber and clone._fn_kwargs == {"delta": 0.3}
    assert float(clone(Y_TRUE, Y_PRED)) == pytest.approx(float(wrapper(Y_TRUE, Y_PRED)))


def test_custom_loss_subclass():
    class Cubed(losses.Loss):
        def call(self, y_true, y_pred):
            from kerasette import ops
            return ops.mean(ops.abs(y_pred - y_true) ** 3, axis=-1)

    loss = Cubed()
    assert loss.name == "cubed"
    assert float(loss([[0.0, 0.0]], [[1.0, 2.0]])) == pytest.approx(4.5)
    assert Cubed().name == "cubed_1"   # Keras' unique naming for unnamed losses


# ------------------------------------------------------------------ get

@pytest.mark.parametrize("name,expected", [
    ("mse", losses.mean_squared_error), ("MSE", losses.mean_squared_error),
    ("mean_squared_error", losses.mean_squared_error), ("mae", losses.mean_absolute_error),
    ("MAE", losses.mean_absolute_error), ("mape", losses.mean_absolute_percentage_error),
    ("msle", losses.mean_squared_logarithmic_error), ("kld", losses.kl_divergence),
    ("KLD", losses.kl_divergence), ("kullback_leibler_divergence", losses.kl_divergence),
    ("logcosh", losses.log_cosh), ("log_cosh", losses.log_cosh), ("huber", losses.huber),
    ("bce", losses.binary_crossentropy), ("binary_crossentropy", losses.binary_crossentropy),
    ("categorical_crossentropy", losses.categorical_crossentropy),
    ("sparse_categorical_crossentropy", losses.sparse_categorical_crossentropy),
    ("hinge", losses.hinge), ("squared_hinge", losses.squared_hinge),
    ("categorical_hinge", losses.categorical_hinge), ("poisson", losses.poisson),
    ("cosine_similarity", losses.cosine_similarity),
    ("cosine_proximity", losses.cosine_similarity),
])
def test_get_by_name_and_alias(name, expected):
    assert losses.get(name) is expected


def test_get_other_identifiers():
    instance = losses.get("CategoricalCrossentropy")
    assert isinstance(instance, losses.CategoricalCrossentropy)
    assert losses.get(losses.Huber) .delta == 1.0
    configured = losses.get({"class_name": "Huber", "config": {"delta": 3.0}})
    assert isinstance(configured, losses.Huber) and configured.delta == 3.0
    own = losses.MeanSquaredError()
    assert losses.get(own) is own
    custom = lambda y_true, y_pred: y_pred  # noqa: E731
    assert losses.get(custom) is custom
    assert losses.get(None) is None
    with pytest.raises(ValueError, match="Unknown loss"):
        losses.get("mean_quartic_error")
    assert losses.deserialize(losses.serialize(losses.poisson)) is losses.poisson


def test_to_loss_object_wraps_functions_under_their_name():
    loss = losses.to_loss_object("mse")
    assert isinstance(loss, losses.LossFunctionWrapper) and loss.name == "mean_squared_error"
    assert float(loss(Y_TRUE, Y_PRED)) == pytest.approx(float(np.mean((Y_TRUE - Y_PRED) ** 2)),
                                                        rel=1e-5)
    instance = losses.BinaryCrossentropy()
    assert losses.to_loss_object(instance) is instance


def test_mask_on_predictions_averages_over_unmasked_steps():
    from kerasette.layers.layer import set_mask
    y_true = RNG.normal(size=(2, 4, 3)).astype(np.float32)
    y_pred = RNG.normal(size=(2, 4, 3)).astype(np.float32)
    mask = np.array([[True, True, False, False], [True, True, True, False]])
    set_mask(y_pred, mask)
    per_step = np.mean((y_true - y_pred) ** 2, -1)
    out = losses.MeanSquaredError()(y_true, y_pred)
    assert float(out) == pytest.approx(per_step[mask].mean(), rel=1e-5)
    weights = np.array([1.0, 3.0], np.float32)[:, None]
    out = losses.MeanSquaredError(reduction="sum")(y_true, y_pred, sample_weight=weights)
    assert float(out) == pytest.approx((per_step * weights * mask).sum(), rel=1e-5)
