"""Metrics: Keras' accumulation, weighting, thresholds and curve arithmetic, batch after batch."""
import numpy as np
import pytest

from kerasette import Tensor, backend, engine, losses, metrics

RNG = np.random.default_rng(1)
EPS = 1e-7


@pytest.fixture(autouse=True)
def _fresh_session():
    backend.clear_session()
    yield


def _batches(*arrays, size=4):
    count = len(arrays[0])
    for start in range(0, count, size):
        yield tuple(None if a is None else a[start:start + size] for a in arrays)


def _feed(metric, y_true, y_pred, sample_weight=None, size=4):
    for t, p, w in _batches(y_true, y_pred, sample_weight, size=size):
        metric.update_state(t, p, sample_weight=w)
    return float(metric.result())


# ------------------------------------------------------------- Mean and Sum

def test_mean_and_sum_keras_examples_and_accumulation():
    mean = metrics.Mean()
    mean.update_state([1, 3, 5, 7])
    assert float(mean.result()) == 4.0
    mean.update_state([10.0], sample_weight=[2.0])
    assert float(mean.result()) == pytest.approx((16 + 20) / 6)
    mean.reset_state()
    assert float(mean.result()) == 0.0
    mean.update_state([1, 3, 5, 7], sample_weight=[1, 1, 0, 0])
    assert float(mean.result()) == 2.0
    total = metrics.Sum()
    total.update_state([1, 3, 5, 7])
    total.update_state([1, 3, 5, 7], sample_weight=[1, 1, 0, 0])
    assert float(total.result()) == 20.0
    assert np.asarray(total.result()).dtype == np.float32


def test_mean_reduces_extra_axes_before_weighting():
    values = RNG.normal(size=(5, 3, 2)).astype(np.float32)
    weights = RNG.uniform(size=5).astype(np.float32)
    mean = metrics.Mean()
    mean.update_state(values, sample_weight=weights)
    per_sample = values.mean(axis=(1, 2))
    assert float(mean.result()) == pytest.approx((per_sample * weights).sum() / weights.sum(),
                                                 rel=1e-5)
    # (N, T) weights on (N, T, 2) values: mean over the last axis, weights per step
    step_weights = RNG.uniform(size=(5, 3)).astype(np.float32)
    mean = metrics.Mean()
    mean.update_state(values, sample_weight=step_weights)
    per_step = values.mean(axis=2)
    expected = (per_step * step_weights).sum() / step_weights.sum()
    assert float(mean.result()) == pytest.approx(expected, rel=1e-5)


def test_variables_and_reset_state():
    mean = metrics.Mean(name="m")
    assert [v.name for v in mean.variables] == ["total", "count"]
    assert all(not v.trainable for v in mean.variables)
    mean.update_state([2.0, 4.0])
    assert [float(v.numpy()) for v in mean.variables] == [6.0, 2.0]
    mean.reset_state()
    assert [float(v.numpy()) for v in mean.variables] == [0.0, 0.0]
    auc = metrics.AUC(num_thresholds=5)
    assert [v.name for v in auc.variables] == ["true_positives", "false_positives",
                                               "true_negatives", "false_negatives"]
    assert auc.variables[0].shape == (5,)


def test_eager_tensors_accepted_and_symbolic_nodes_refused():
    metric = metrics.MeanSquaredError()
    metric.update_state(Tensor([[1.0, 2.0]]), Tensor([[1.0, 4.0]], requires_grad=True))
    assert float(metric.result()) == 2.0
    with pytest.raises(TypeError, match="symbolic"):
        metric.update_state(engine.placeholder("float32", (None, 2)), [[1.0, 2.0]])


# ---------------------------------------------------------------- accuracy

def test_accuracy_keras_examples():
    m = metrics.Accuracy()
    m.update_state([[1], [2], [3], [4]], [[0], [2], [3], [4]])
    assert float(m.result()) == 0.75
    m.reset_state()
    m.update_state([[1], [2], [3], [4]], [[0], [2], [3], [4]], sample_weight=[1, 1, 0, 0])
    assert float(m.result()) == 0.5
    m = metrics.BinaryAccuracy()
    m.update_state([[1], [1], [0], [0]], [[0.98], [1], [0], [0.6]], sample_weight=[1, 0, 0, 1])
    assert float(m.result()) == 0.5
    m = metrics.CategoricalAccuracy()
    m.update_state([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]],
                   sample_weight=[0.7, 0.3])
    assert float(m.result()) == pytest.approx(0.3)
    m = metrics.SparseCategoricalAccuracy()
    m.update_state([[2], [1]], [[0.1, 0.6, 0.3], [0.05, 0.95, 0]], sample_weight=[0.7, 0.3])
    assert float(m.result()) == pytest.approx(0.3)
    m = metrics.SparseTopKCategoricalAccuracy(k=1)
    m.update_state([2, 1], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]], sample_weight=[0.7, 0.3])
    assert float(m.result()) == pytest.approx(0.3)


def test_binary_accuracy_over_batches_with_threshold_and_weights():
    y_true = RNG.integers(0, 2, size=(14, 1)).astype(np.float32)
    y_pred = RNG.uniform(size=(14, 1)).astype(np.float32)
    weights = RNG.uniform(size=14).astype(np.float32)
    for threshold in (0.5, 0.3):
        hits = ((y_pred > threshold) == (y_true == 1)).astype(np.float64).ravel()
        metric = metrics.BinaryAccuracy(threshold=threshold)
        assert _feed(metric, y_true, y_pred) == pytest.approx(hits.mean(), rel=1e-6)
        metric.reset_state()
        assert _feed(metric, y_true, y_pred, weights) == pytest.approx(
            (hits * weights).sum() / weights.sum(), rel=1e-5)
    # labels (N,) against predictions (N, 1) work too
    metric = metrics.BinaryAccuracy()
    assert _feed(metric, y_true.ravel(), y_pred) == pytest.approx(
        ((y_pred > 0.5) == (y_true == 1)).mean())
    with pytest.raises(ValueError, match="threshold"):
        metrics.BinaryAccuracy(threshold=1.5)


def test_categorical_and_sparse_accuracy_over_batches():
    labels = RNG.integers(0, 5, size=13)
    scores = RNG.normal(size=(13, 5)).astype(np.float32)
    weights = RNG.uniform(size=13).astype(np.float32)
    hits = (scores.argmax(-1) == labels).astype(np.float64)
    onehot = np.eye(5, dtype=np.float32)[labels]
    for metric, y_true in ((metrics.CategoricalAccuracy(), onehot),
                           (metrics.SparseCategoricalAccuracy(), labels),
                           (metrics.SparseCategoricalAccuracy(), labels.reshape(-1, 1)),
                           (metrics.SparseCategoricalAccuracy(), labels.astype(np.float32))):
        assert _feed(metric, y_true, scores) == pytest.approx(hits.mean())
        metric.reset_state()
        assert _feed(metric, y_true, scores, weights) == pytest.approx(
            (hits * weights).sum() / weights.sum(), rel=1e-5)


def test_accuracy_functions_shapes_and_graph_use():
    labels = np.array([0, 2, 1])
    scores = np.array([[0.9, 0.05, 0.05], [0.1, 0.2, 0.7], [0.5, 0.4, 0.1]], np.float32)
    np.testing.assert_array_equal(metrics.sparse_categorical_accuracy(labels, scores), [1, 1, 0])
    np.testing.assert_array_equal(
        metrics.sparse_categorical_accuracy(labels.reshape(-1, 1), scores), [1, 1, 0])
    np.testing.assert_array_equal(
        metrics.categorical_accuracy(np.eye(3)[labels], scores), [1, 1, 0])
    np.testing.assert_array_equal(metrics.binary_accuracy([[1, 0]], [[0.7, 0.7]]), [0.5])
    assert float(metrics.accuracy([1, 2, 3], [1, 0, 3])) == pytest.approx(2 / 3)
    # the function forms are ops too: the same numbers from a graph
    y = engine.placeholder("int64", (None,))
    x = engine.placeholder("float32", (None, 3))
    out = engine.Session().run(metrics.sparse_categorical_accuracy(y, x), {y: labels, x: scores})
    np.testing.assert_array_equal(out, [1, 1, 0])
    out = engine.Session().run(metrics.sparse_top_k_categorical_accuracy(y, x, k=2),
                               {y: labels, x: scores})
    np.testing.assert_array_equal(out, [1, 1, 1])


def test_top_k_accuracy_against_sorting_and_ties():
    labels = RNG.integers(0, 6, size=17)
    scores = RNG.normal(size=(17, 6)).astype(np.float32)
    ranks = (scores > scores[np.arange(17), labels][:, None]).sum(-1)
    for k in (1, 2, 3, 6):
        expected = (ranks < k).mean()
        assert _feed(metrics.SparseTopKCategoricalAccuracy(k=k), labels, scores) \
            == pytest.approx(expected)
        assert _feed(metrics.TopKCategoricalAccuracy(k=k), np.eye(6)[labels], scores) \
            == pytest.approx(expected)
    # a label tied with the k-th score counts as a hit, like keras.ops.in_top_k
    tied = np.array([[0.3, 0.3, 0.3, 0.1]], np.float32)
    np.testing.assert_array_equal(metrics.sparse_top_k_categorical_accuracy([2], tied, k=1), [1])
    np.testing.assert_array_equal(metrics.sparse_top_k_categorical_accuracy([3], tied, k=3), [0])
    # labels with time steps: (N, T) labels, (N, T, C) scores
    seq_labels = RNG.integers(0, 4, size=(3, 5))
    seq_scores = RNG.normal(size=(3, 5, 4)).astype(np.float32)
    out = metrics.sparse_top_k_categorical_accuracy(seq_labels, seq_scores, k=2)
    seq_ranks = (seq_scores > np.take_along_axis(seq_scores, seq_labels[..., None], -1)).sum(-1)
    np.testing.assert_array_equal(out, (seq_ranks < 2).astype(np.float32))


# ------------------------------------------------------- losses as metrics

LOSS_METRICS = [
    ("mse", losses.mean_squared_error, lambda: (RNG.normal(size=(11, 3)),
                                                RNG.normal(size=(11, 3)))),
    ("mae", losses.mean_absolute_error, lambda: (RNG.normal(size=(11, 3)),
                                                 RNG.normal(size=(11, 3)))),
    ("mape", losses.mean_absolute_percentage_error,
     lambda: (RNG.uniform(1, 2, size=(11, 3)), RNG.uniform(1, 2, size=(11, 3)))),
    ("msle", losses.mean_squared_logarithmic_error,
     lambda: (RNG.uniform(0, 2, size=(11, 3)), RNG.uniform(0, 2, size=(11, 3)))),
    ("logcosh", losses.log_cosh, lambda: (RNG.normal(size=(11, 3)), RNG.normal(size=(11, 3)))),
    ("huber", losses.huber, lambda: (RNG.normal(size=(11, 3)), RNG.normal(size=(11, 3)))),
    ("hinge", losses.hinge, lambda: (RNG.choice([-1.0, 1.0], size=(11, 3)),
                                     RNG.normal(size=(11, 3)))),
    ("squared_hinge", losses.squared_hinge, lambda: (RNG.choice([-1.0, 1.0], size=(11, 3)),
                                                     RNG.normal(size=(11, 3)))),
    ("categorical_hinge", losses.categorical_hinge,
     lambda: (np.eye(3)[RNG.integers(0, 3, 11)], RNG.normal(size=(11, 3)))),
    ("kld", losses.kl_divergence, lambda: (RNG.dirichlet(np.ones(3), 11),
                                           RNG.dirichlet(np.ones(3), 11))),
    ("poisson", losses.poisson, lambda: (RNG.uniform(0, 3, size=(11, 3)),
                                         RNG.uniform(0.1, 3, size=(11, 3)))),
    ("binary_crossentropy", losses.binary_crossentropy,
     lambda: (RNG.integers(0, 2, size=(11, 3)), RNG.uniform(0.05, 0.95, size=(11, 3)))),
    ("categorical_crossentropy", losses.categorical_crossentropy,
     lambda: (np.eye(3)[RNG.integers(0, 3, 11)], RNG.dirichlet(np.ones(3), 11))),
    ("sparse_categorical_crossentropy", losses.sparse_categorical_crossentropy,
     lambda: (RNG.integers(0, 3, 11), RNG.dirichlet(np.ones(3), 11))),
]


@pytest.mark.parametrize("name,fn,make", LOSS_METRICS, ids=[c[0] for c in LOSS_METRICS])
def test_every_loss_is_a_metric_by_name(name, fn, make):
    y_true, y_pred = make()
    y_pred = y_pred.astype(np.float32)
    weights = RNG.uniform(size=len(y_pred)).astype(np.float32)
    per_sample = np.asarray(fn(y_true, y_pred), np.float64)
    metric = metrics.get_metric(name)
    assert metric.name == name
    assert _feed(metric, y_true, y_pred) == pytest.approx(per_sample.mean(), rel=1e-5)
    metric.reset_state()
    assert _feed(metric, y_true, y_pred, weights) == pytest.approx(
        (per_sample * weights).sum() / weights.sum(), rel=1e-5)


def test_loss_metric_classes_keras_examples():
    m = metrics.LogCoshError()
    m.update_state([[0, 1], [0, 0]], [[1, 1], [0, 0]], sample_weight=[1, 0])
    assert float(m.result()) == pytest.approx(0.21689045, rel=1e-5)
    m = metrics.CosineSimilarity(axis=1)
    m.update_state([[0., 1.], [1., 1.]], [[1., 0.], [1., 1.]], sample_weight=[0.3, 0.7])
    assert float(m.result()) == pytest.approx(0.7, rel=1e-5)
    m = metrics.BinaryCrossentropy()
    m.update_state([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]])
    assert float(m.result()) == pytest.approx(0.81492424, rel=1e-5)
    m = metrics.CategoricalCrossentropy(from_logits=True)
    logits = RNG.normal(size=(4, 3)).astype(np.float32)
    onehot = np.eye(3, dtype=np.float32)[[0, 1, 2, 1]]
    expected = losses.categorical_crossentropy(onehot, logits, from_logits=True).mean()
    m.update_state(onehot, logits)
    assert float(m.result()) == pytest.approx(float(expected), rel=1e-6)


def test_root_mean_squared_error_is_root_of_the_running_mean():
    y_true = RNG.normal(size=(10, 2)).astype(np.float32)
    y_pred = RNG.normal(size=(10, 2)).astype(np.float32)
    metric = metrics.RootMeanSquaredError()
    assert _feed(metric, y_true, y_pred, size=3) == pytest.approx(
        np.sqrt(np.mean((y_true - y_pred) ** 2)), rel=1e-5)


def test_sparse_crossentropy_metric_with_ignore_class_via_weights():
    labels = np.array([0, 255, 2, 1])
    probs = RNG.dirichlet(np.ones(3), 4).astype(np.float32)
    metric = metrics.MeanMetricWrapper(losses.sparse_categorical_crossentropy, name="scce",
                                       ignore_class=255)
    metric.update_state(labels, probs, sample_weight=np.ones(4, np.float32))
    kept = -np.log(probs[[0, 2, 3], [0, 2, 1]])
    # with weights, Keras folds the mask in: the ignored entry counts nowhere
    assert float(metric.result()) == pytest.approx(kept.mean(), rel=1e-5)


# ------------------------------------------------------- confusion metrics

def _np_counts(y_true, y_pred, thresholds, weights=None):
    shape = np.shape(y_pred)
    y_true = np.asarray(y_true, np.float64).ravel() != 0
    y_pred = np.asarray(y_pred, np.float64).ravel()
    weights = np.ones_like(y_pred) if weights is None else np.broadcast_to(
        np.asarray(weights, np.float64).reshape(len(weights), *([1] * (len(shape) - 1))),
        shape).ravel()
    positive = y_pred[None] > np.asarray(thresholds, np.float64)[:, None]
    return {"tp": ((positive & y_true) * weights).sum(1),
            "fp": ((positive & ~y_true) * weights).sum(1),
            "tn": ((~positive & ~y_true) * weights).sum(1),
            "fn": ((~positive & y_true) * weights).sum(1)}


def _np_auc(y_true, y_pred, num_thresholds=200, curve="ROC", summation="interpolation",
            weights=None):
    """Keras' AUC arithmetic, written out on brute-force threshold comparisons."""
    inner = [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]
    thresholds = np.array([-EPS] + inner + [1 + EPS], np.float32)
    c = _np_counts(y_true, np.clip(y_pred, 0, 1), thresholds, weights)
    tp, fp, tn, fn = c["tp"], c["fp"], c["tn"], c["fn"]

    def div(a, b):
        return np.where(b == 0, 0.0, a / np.where(b == 0, 1, b))

    if curve == "PR" and summation == "interpolation":
        p = tp + fp
        dtp, dp = tp[:-1] - tp[1:], p[:-1] - p[1:]
        slope = div(dtp, np.maximum(dp, 0))
        intercept = tp[1:] - slope * p[1:]
        ratio = np.where((p[:-1] > 0) & (p[1:] > 0), div(p[:-1], np.maximum(p[1:], 0)), 1.0)
        return np.sum(div(slope * (dtp + intercept * np.log(ratio)),
                          np.maximum(tp[1:] + fn[1:], 0)))
    recall = div(tp, tp + fn)
    x, y = (div(fp, fp + tn), recall) if curve == "ROC" else (recall, div(tp, tp + fp))
    heights = {"interpolation": (y[:-1] + y[1:]) / 2, "minoring": np.minimum(y[:-1], y[1:]),
               "majoring": np.maximum(y[:-1], y[1:])}[summation]
    return np.sum((x[:-1] - x[1:]) * heights)


def test_auc_keras_examples():
    m = metrics.AUC(num_thresholds=3)
    m.update_state([0, 0, 1, 1], [0, 0.5, 0.3, 0.9])
    assert float(m.result()) == pytest.approx(0.75)
    m.reset_state()
    m.update_state([0, 0, 1, 1], [0, 0.5, 0.3, 0.9], sample_weight=[1, 0, 0, 1])
    assert float(m.result()) == pytest.approx(1.0)
    np.testing.assert_allclose(m.thresholds, [-EPS, 0.5, 1 + EPS])


@pytest.mark.parametrize("curve", ["ROC", "PR"])
@pytest.mark.parametrize("summation", ["interpolation", "minoring", "majoring"])
def test_auc_matches_numpy_reference_over_batches(curve, summation):
    y_true = RNG.integers(0, 2, size=60)
    y_pred = np.clip(y_true * 0.3 + RNG.uniform(size=60) * 0.7, 0, 1).astype(np.float32)
    weights = RNG.uniform(size=60).astype(np.float32)
    for num_thresholds in (200, 17):
        metric = metrics.AUC(num_thresholds=num_thresholds, curve=curve,
                             summation_method=summation)
        got = _feed(metric, y_true, y_pred, size=7)
        assert got == pytest.approx(_np_auc(y_true, y_pred, num_thresholds, curve, summation),
                                    abs=1e-5)
        metric.reset_state()
        got = _feed(metric, y_true, y_pred, weights, size=7)
        assert got == pytest.approx(
            _np_auc(y_true, y_pred, num_thresholds, curve, summation, weights), abs=1e-5)


def test_auc_from_logits_custom_thresholds_and_multi_label():
    y_true = RNG.integers(0, 2, size=(30, 3))
    logits = (y_true - 0.5) + RNG.normal(size=(30, 3)).astype(np.float32)
    probs = 1 / (1 + np.exp(-logits))
    reference = metrics.AUC()
    reference.update_state(y_true, probs)
    from_logits = metrics.AUC(from_logits=True)
    from_logits.update_state(y_true, logits)
    assert float(from_logits.result()) == pytest.approx(float(reference.result()), abs=1e-6)
    # explicit, uneven thresholds go the comparison path
    custom = metrics.AUC(thresholds=[0.1, 0.35, 0.5, 0.9])
    custom.update_state(y_true, probs)
    assert custom.num_thresholds == 6
    counts = _np_counts(y_true, probs, [-EPS, 0.1, 0.35, 0.5, 0.9, 1 + EPS])
    np.testing.assert_allclose(custom.true_positives.numpy(), counts["tp"])
    np.testing.assert_allclose(custom.false_positives.numpy(), counts["fp"])
    # multi-label: one AUC per column, averaged (weighted by label_weights)
    multi = metrics.AUC(multi_label=True, label_weights=[1.0, 2.0, 0.0])
    multi.update_state(y_true[:15], probs[:15])
    multi.update_state(y_true[15:], probs[15:])
    per_label = [_np_auc(y_true[:, j], probs[:, j]) for j in range(3)]
    assert float(multi.result()) == pytest.approx((per_label[0] + 2 * per_label[1]) / 3, abs=1e-5)
    assert multi.true_positives.shape == (200, 3)


def test_auc_close_to_exact_and_to_sklearn():
    y_true = RNG.integers(0, 2, size=400)
    y_pred = np.clip(0.35 * y_true + 0.65 * RNG.uniform(size=400), 0, 1)
    positives, negatives = y_pred[y_true == 1], y_pred[y_true == 0]
    exact = ((positives[:, None] > negatives[None]).mean()
             + 0.5 * (positives[:, None] == negatives[None]).mean())
    metric = metrics.AUC(num_thresholds=2000)
    metric.update_state(y_true, y_pred)
    assert float(metric.result()) == pytest.approx(exact, abs=2e-3)
    sklearn_metrics = pytest.importorskip("sklearn.metrics")
    assert float(metric.result()) == pytest.approx(sklearn_metrics.roc_auc_score(y_true, y_pred),
                                                   abs=2e-3)


def test_confusion_counts_with_thresholds_and_weights():
    y_true = RNG.integers(0, 2, size=(9, 2))
    y_pred = RNG.uniform(size=(9, 2)).astype(np.float32)
    weights = RNG.uniform(size=9).astype(np.float32)
    thresholds = [0.2, 0.5, 0.7]
    expected = _np_counts(y_true, y_pred, thresholds, weights)
    for cls, key in ((metrics.TruePositives, "tp"), (metrics.FalsePositives, "fp"),
                     (metrics.TrueNegatives, "tn"), (metrics.FalseNegatives, "fn")):
        metric = cls(thresholds=thresholds)
        for t, p, w in _batches(y_true, y_pred, weights, size=4):
            metric.update_state(t, p, sample_weight=w)
        np.testing.assert_allclose(metric.result(), expected[key], rtol=1e-5)
    m = metrics.FalsePositives()
    m.update_state([0, 1, 0, 0], [0, 0, 1, 1], sample_weight=[0, 0, 1, 0])
    assert float(m.result()) == 1.0


def test_precision_recall_thresholds_over_batches():
    y_true = RNG.integers(0, 2, size=23)
    y_pred = RNG.uniform(size=23).astype(np.float32)
    weights = RNG.uniform(size=23).astype(np.float32)
    thresholds = [0.3, 0.5, 0.8]
    c = _np_counts(y_true, y_pred, thresholds, weights)
    precision = metrics.Precision(thresholds=thresholds)
    recall = metrics.Recall(thresholds=thresholds)
    for t, p, w in _batches(y_true, y_pred, weights, size=5):
        precision.update_state(t, p, sample_weight=w)
        recall.update_state(t, p, sample_weight=w)
    np.testing.assert_allclose(precision.result(), c["tp"] / (c["tp"] + c["fp"]), rtol=1e-5)
    np.testing.assert_allclose(recall.result(), c["tp"] / (c["tp"] + c["fn"]), rtol=1e-5)
    default = metrics.Precision()
    default.update_state([0, 1, 1, 1], [1, 0, 1, 1])
    assert float(default.result()) == pytest.approx(2 / 3)
    default.reset_state()
    default.update_state([0, 1, 1, 1], [1, 0, 1, 1], sample_weight=[0, 0, 1, 0])
    assert float(default.result()) == 1.0
    empty = metrics.Recall()
    assert float(empty.result()) == 0.0   # no positives yet: 0, not NaN


def test_precision_recall_top_k_and_class_id():
    m = metrics.Precision(top_k=2)
    m.update_state([0, 0, 1, 1], [1, 1, 1, 1])
    assert float(m.result()) == 0.0          # ties keep the first indices
    m = metrics.Precision(top_k=4)
    m.update_state([0, 0, 1, 1], [1, 1, 1, 1])
    assert float(m.result()) == 0.5
    labels = RNG.integers(0, 2, size=(12, 4))
    scores = RNG.uniform(size=(12, 4)).astype(np.float32)
    top2 = np.argsort(-scores, axis=-1, kind="stable")[:, :2]
    in_top = np.zeros_like(labels, dtype=bool)
    np.put_along_axis(in_top, top2, True, axis=-1)
    tp = (in_top & (labels == 1)).sum()
    precision = metrics.Precision(top_k=2)
    recall = metrics.Recall(top_k=2)
    for t, p in _batches(labels, scores, size=5):
        precision.update_state(t, p)
        recall.update_state(t, p)
    assert float(precision.result()) == pytest.approx(tp / in_top.sum())
    assert float(recall.result()) == pytest.approx(tp / (labels == 1).sum())
    # class_id: only column 2, threshold 0.5
    column = metrics.Recall(class_id=2)
    column.update_state(labels, scores)
    positive = labels[:, 2] == 1
    assert float(column.result()) == pytest.approx((scores[positive, 2] > 0.5).mean())
    both = metrics.Precision(top_k=2, class_id=1)
    both.update_state(labels, scores)
    called = in_top[:, 1]
    assert float(both.result()) == pytest.approx((labels[called, 1] == 1).mean())
    with pytest.raises(ValueError, match="class_id"):
        metrics.Precision(class_id=0).update_state([1, 0], [0.2, 0.9])


def test_invalid_thresholds_refused():
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        metrics.Precision(thresholds=[0.5, 1.5])
    with pytest.raises(ValueError, match="num_thresholds"):
        metrics.AUC(num_thresholds=1)
    with pytest.raises(ValueError, match="curve"):
        metrics.AUC(curve="DET")


# ------------------------------------------------------ configs and names

ALL_METRICS = [
    metrics.Mean(), metrics.Sum(), metrics.Accuracy(), metrics.BinaryAccuracy(threshold=0.3),
    metrics.CategoricalAccuracy(), metrics.SparseCategoricalAccuracy(),
    metrics.TopKCategoricalAccuracy(k=3), metrics.SparseTopKCategoricalAccuracy(k=2),
    metrics.MeanSquaredError(), metrics.MeanAbsoluteError(),
    metrics.MeanAbsolutePercentageError(), metrics.MeanSquaredLogarithmicError(),
    metrics.RootMeanSquaredError(), metrics.CosineSimilarity(axis=1), metrics.LogCoshError(),
    metrics.BinaryCrossentropy(from_logits=True, label_smoothing=0.1),
    metrics.CategoricalCrossentropy(label_smoothing=0.2),
    metrics.SparseCategoricalCrossentropy(from_logits=True), metrics.KLDivergence(),
    metrics.Poisson(), metrics.Hinge(), metrics.SquaredHinge(), metrics.CategoricalHinge(),
    metrics.TruePositives(thresholds=[0.2, 0.6]), metrics.FalsePositives(),
    metrics.TrueNegatives(), metrics.FalseNegatives(),
    metrics.Precision(thresholds=0.7, class_id=1), metrics.Recall(top_k=2),
    metrics.AUC(num_thresholds=50, curve="PR", summation_method="majoring"),
    metrics.AUC(thresholds=[0.2, 0.4], multi_label=True, num_labels=2, label_weights=[1, 2],
                from_logits=True),
    metrics.MeanMetricWrapper(losses.huber, name="huber2", delta=0.5),
]


@pytest.mark.parametrize("index", range(len(ALL_METRICS)),
                         ids=lambda i: type(ALL_METRICS[i]).__name__)
def test_config_round_trip(index):
    metric = ALL_METRICS[index]
    config = metric.get_config()
    assert config["name"] == metric.name and config["dtype"] == "float32"
    clone = type(metric).from_config(config)
    assert clone.get_config() == config
    rebuilt = metrics.deserialize(metrics.serialize(metric))
    assert type(rebuilt) is type(metric) and rebuilt.get_config() == config


def test_auc_rebuilt_from_config_has_the_same_thresholds():
    auc = metrics.AUC(thresholds=[0.7, 0.1, 0.4])
    clone = metrics.AUC.from_config(auc.get_config())
    np.testing.assert_allclose(clone.thresholds, auc.thresholds)
    assert auc.get_config()["thresholds"] == [0.1, 0.4, 0.7]


def test_default_names_like_keras():
    assert metrics.BinaryAccuracy().name == "binary_accuracy"
    assert metrics.MeanSquaredError().name == "mean_squared_error"
    assert metrics.LogCoshError().name == "logcosh"
    assert metrics.RootMeanSquaredError().name == "root_mean_squared_error"
    # unnamed confusion metrics get Keras' unique names
    assert metrics.AUC().name == "auc"
    assert metrics.AUC().name == "auc_1"
    assert metrics.Precision().name == "precision"
    assert metrics.MeanMetricWrapper(losses.mse).name == "mean_metric_wrapper"


@pytest.mark.parametrize("name,cls", [
    ("mse", metrics.MeanSquaredError), ("MSE", metrics.MeanSquaredError),
    ("mean_squared_error", metrics.MeanSquaredError),
    ("MeanSquaredError", metrics.MeanSquaredError),
    ("mae", metrics.MeanAbsoluteError), ("mape", metrics.MeanAbsolutePercentageError),
    ("msle", metrics.MeanSquaredLogarithmicError), ("rmse", metrics.RootMeanSquaredError),
    ("root_mean_squared_error", metrics.RootMeanSquaredError),
    ("kld", metrics.KLDivergence), ("kl_divergence", metrics.KLDivergence),
    ("logcosh", metrics.LogCoshError), ("bce", metrics.BinaryCrossentropy),
    ("binary_crossentropy", metrics.BinaryCrossentropy),
    ("categorical_crossentropy", metrics.CategoricalCrossentropy),
    ("sparse_categorical_crossentropy", metrics.SparseCategoricalCrossentropy),
    ("binary_accuracy", metrics.BinaryAccuracy),
    ("sparse_top_k_categorical_accuracy", metrics.SparseTopKCategoricalAccuracy),
    ("auc", metrics.AUC), ("AUC", metrics.AUC), ("precision", metrics.Precision),
    ("recall", metrics.Recall), ("hinge", metrics.Hinge), ("poisson", metrics.Poisson),
    ("cosine_similarity", metrics.CosineSimilarity), ("accuracy", metrics.Accuracy),
])
def test_get_by_name(name, cls):
    metric = metrics.get(name)
    assert type(metric) is cls


def test_get_other_identifiers():
    assert metrics.get("huber") is losses.huber
    own = metrics.Mean()
    assert metrics.get(own) is own
    assert isinstance(metrics.get(metrics.Recall), metrics.Recall)
    configured = metrics.get({"class_name": "BinaryAccuracy", "config": {"threshold": 0.8}})
    assert configured.threshold == 0.8
    assert metrics.get(None) is None
    with pytest.raises(ValueError, match="Unknown metric"):
        metrics.get("f7_score")


def test_resolve_accuracy_rule():
    assert type(metrics.resolve_accuracy("binary_crossentropy", (None, 3))) \
        is metrics.BinaryAccuracy
    assert type(metrics.resolve_accuracy(losses.BinaryCrossentropy(from_logits=True), (None, 4))) \
        is metrics.BinaryAccuracy
    assert type(metrics.resolve_accuracy("categorical_crossentropy", (None, 1))) \
        is metrics.BinaryAccuracy
    assert type(metrics.resolve_accuracy("sparse_categorical_crossentropy", (None, 10))) \
        is metrics.SparseCategoricalAccuracy
    assert type(metrics.resolve_accuracy(losses.SparseCategoricalCrossentropy(), (None, 10))) \
        is metrics.SparseCategoricalAccuracy
    assert type(metrics.resolve_accuracy(losses.to_loss_object("sparse_categorical_crossentropy"),
                                         (None, 10))) is metrics.SparseCategoricalAccuracy
    assert type(metrics.resolve_accuracy("categorical_crossentropy", (None, 10))) \
        is metrics.CategoricalAccuracy
    assert type(metrics.resolve_accuracy("mse", (None, 10))) is metrics.CategoricalAccuracy
    # a custom loss: integer labels say sparse (Keras 3 looks at the labels)
    custom = lambda t, p: p  # noqa: E731
    assert type(metrics.resolve_accuracy(custom, (None, 10), y_true_shape=(None,))) \
        is metrics.SparseCategoricalAccuracy
    assert type(metrics.resolve_accuracy(custom, (None, 10), y_true_shape=(None, 10))) \
        is metrics.CategoricalAccuracy


def test_get_metric_names_like_compile():
    acc = metrics.get_metric("acc", loss="sparse_categorical_crossentropy", output_shape=(None, 5))
    assert type(acc) is metrics.SparseCategoricalAccuracy and acc.name == "acc"
    accuracy = metrics.get_metric("accuracy", loss="binary_crossentropy", output_shape=(None, 1))
    assert type(accuracy) is metrics.BinaryAccuracy and accuracy.name == "accuracy"
    ce = metrics.get_metric("ce", loss="categorical_crossentropy", output_shape=(None, 5))
    assert type(ce) is metrics.CategoricalCrossentropy and ce.name == "ce"
    mse = metrics.get_metric("mse")
    assert type(mse) is metrics.MeanSquaredError and mse.name == "mse"
    wrapped = metrics.get_metric(losses.log_cosh)
    assert isinstance(wrapped, metrics.MeanMetricWrapper) and wrapped.name == "log_cosh"
    auc = metrics.AUC(name="my_auc")
    assert metrics.get_metric(auc) is auc
    assert metrics.get_metric(None) is None
