"""The Keras 3 metric families of issue 16: F-scores, R2Score, the IoU family, correlations and
the threshold-at metrics.

Results after several weighted ``update_state`` calls are checked against
real Keras 3.15 (tests/fixtures/keras_losses_metrics_optimizers.npz) and
against numpy reimplementations written here; configs, variables, resets and
bad input are checked too.
"""
import json
import os
import warnings

import numpy as np
import pytest

from kerasette import backend, metrics

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures", "keras_losses_metrics_optimizers.npz")
EPS = 1e-7
RNG = np.random.default_rng(11)


@pytest.fixture(scope="module")
def keras3():
    with np.load(FIXTURES) as data:
        return {key: data[key] for key in data.files}


@pytest.fixture(autouse=True)
def _fresh_session():
    backend.clear_session()
    yield


def _config(raw):
    config = json.loads(str(raw))
    for key in ("target_class_ids",):
        if isinstance(config.get(key), list):
            config[key] = list(config[key])
    return config


def test_keras3_results_after_weighted_batches(keras3):
    names = json.loads(str(keras3["metric_cases"]))
    assert len(names) >= 19
    for name in names:
        cls = getattr(metrics, str(keras3[f"{name}.class_name"]))
        config = _config(keras3[f"{name}.config"])
        metric = cls.from_config(config)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")     # IoU's float-weights-on-int warning, as Keras'
            for i in range(int(keras3[f"{name}.batches"])):
                metric.update_state(keras3[f"{name}.y_true.{i}"], keras3[f"{name}.y_pred.{i}"],
                                    sample_weight=keras3.get(f"{name}.sample_weight.{i}"))
        np.testing.assert_allclose(metric.result(), keras3[f"{name}.result"], rtol=1e-5,
                                   atol=1e-6, err_msg=name)
        assert metric.get_config() == config, name
        metric.reset_state()
        assert all(not np.any(v.numpy()) for v in metric.variables), name


# ------------------------------------------------------------ numpy references

def np_fbeta(y, p, w, beta=1.0, threshold=None, average=None):
    if threshold is None:
        predicted = (p >= p.max(-1, keepdims=True)) & (np.abs(p) > 1e-9)
    else:
        predicted = p > threshold
    predicted = predicted.astype(np.float64)
    w = np.ones(len(y)) if w is None else w
    axis = None if average == "micro" else 0
    tp = (predicted * y * w[:, None]).sum(axis)
    fp = (predicted * (1 - y) * w[:, None]).sum(axis)
    fn = ((1 - predicted) * y * w[:, None]).sum(axis)
    support = (y * w[:, None]).sum(axis)
    precision, recall = tp / (tp + fp + EPS), tp / (tp + fn + EPS)
    score = (1 + beta ** 2) * precision * recall / (beta ** 2 * precision + recall + EPS)
    if average == "weighted":
        return (score * support / (support.sum() + EPS)).sum()
    if average is not None:
        return score.mean()
    return score


@pytest.mark.parametrize("kwargs", [{}, {"threshold": 0.5}, {"average": "micro"},
                                    {"average": "macro", "beta": 2.0, "threshold": 0.3},
                                    {"average": "weighted", "beta": 0.5}])
def test_fbeta_matches_numpy_over_batches(kwargs):
    batches = [((RNG.uniform(size=(n, 4)) > 0.5).astype(np.float32),
                RNG.uniform(size=(n, 4)).astype(np.float32),
                RNG.uniform(0, 2, n).astype(np.float32)) for n in (6, 5)]
    metric = metrics.FBetaScore(**kwargs)
    for y, p, w in batches:
        metric.update_state(y, p, sample_weight=w)
    y = np.concatenate([b[0] for b in batches])
    p = np.concatenate([b[1] for b in batches])
    w = np.concatenate([b[2] for b in batches])
    np.testing.assert_allclose(metric.result(), np_fbeta(y, p, w, **kwargs), rtol=1e-5, atol=1e-6)
    f1 = metrics.F1Score(threshold=0.5)
    f1.update_state(y, p)
    np.testing.assert_allclose(f1.result(), np_fbeta(y, p, None, threshold=0.5), rtol=1e-5)
    assert "beta" not in f1.get_config()


def np_r2(y, p, w, aggregation="uniform_average", regressors=0):
    w = np.broadcast_to(w[:, None], y.shape)
    mean = (w * y).sum(0) / w.sum(0)
    total = (w * y * y).sum(0) - (w * y).sum(0) * mean
    raw = 1 - (w * (y - p) ** 2).sum(0) / total
    score = {"uniform_average": raw.mean(), "variance_weighted_average":
             (total * raw).sum() / total.sum(), None: raw}[aggregation]
    n = y.size
    if regressors and regressors < n - 1:
        score = 1 - (1 - score) * (n - 1) / (n - regressors - 1)
    return score


@pytest.mark.parametrize("aggregation", ["uniform_average", "variance_weighted_average", None])
def test_r2_matches_numpy_and_adjusts(aggregation):
    y = RNG.normal(size=(12, 3)).astype(np.float32)
    p = (y + RNG.normal(scale=0.4, size=y.shape)).astype(np.float32)
    w = RNG.uniform(0.5, 1.5, 12).astype(np.float32)
    for regressors in (0, 2):
        metric = metrics.R2Score(class_aggregation=aggregation, num_regressors=regressors)
        metric.update_state(y[:7], p[:7], sample_weight=w[:7])
        metric.update_state(y[7:], p[7:], sample_weight=w[7:])
        np.testing.assert_allclose(metric.result(), np_r2(y, p, w, aggregation, regressors),
                                   rtol=1e-4)
    too_many = metrics.R2Score(num_regressors=100)
    too_many.update_state(y, p)
    with pytest.warns(UserWarning, match="More independent predictors"):
        np.testing.assert_allclose(too_many.result(), np_r2(y, p, np.ones(12)), rtol=1e-4)


def np_iou(y, p, w, num_classes, targets, ignore=None):
    keep = (y >= 0) & (y < num_classes) & (p >= 0) & (p < num_classes)
    if ignore is not None:
        keep &= y != ignore
    matrix = np.zeros((num_classes, num_classes))
    np.add.at(matrix, (y[keep], p[keep]), w[keep])
    tp = np.diag(matrix)
    denominator = matrix.sum(0) + matrix.sum(1) - tp
    tp, denominator = tp[targets], denominator[targets]
    valid = denominator > 1e-9
    return np.where(valid, tp / (denominator + EPS), 0).sum() / (valid.sum() + EPS)


def test_iou_family_matches_numpy():
    y = RNG.integers(-1, 4, 30)          # -1 and 3 fall outside 3 classes and are left out
    p = RNG.integers(0, 3, 30)
    w = RNG.integers(0, 3, 30)
    iou = metrics.IoU(num_classes=3, target_class_ids=[0, 2])
    iou.update_state(y[:12], p[:12], sample_weight=w[:12])
    iou.update_state(y[12:], p[12:], sample_weight=w[12:])
    assert iou.total_cm.dtype == "int32" and iou.variables[0].path.endswith("total_confusion_matrix")
    np.testing.assert_allclose(iou.result(), np_iou(y, p, w, 3, [0, 2]), rtol=1e-6)
    mean = metrics.MeanIoU(num_classes=3, ignore_class=1)
    mean.update_state(y, p)
    np.testing.assert_allclose(mean.result(), np_iou(y, p, np.ones(30), 3, [0, 1, 2], ignore=1),
                               rtol=1e-6)
    one_hot = metrics.OneHotMeanIoU(num_classes=3)
    scores = RNG.uniform(size=(30, 3)).astype(np.float32)
    labels = RNG.integers(0, 3, 30)
    one_hot.update_state(np.eye(3)[labels], scores)
    np.testing.assert_allclose(one_hot.result(),
                               np_iou(labels, scores.argmax(-1), np.ones(30), 3, [0, 1, 2]),
                               rtol=1e-6)
    binary = metrics.BinaryIoU(target_class_ids=[0, 1], threshold=0.3)
    truth = RNG.integers(0, 2, 20)
    probability = RNG.uniform(size=20).astype(np.float32)
    binary.update_state(truth, probability)
    np.testing.assert_allclose(
        binary.result(), np_iou(truth, (probability >= 0.3).astype(int), np.ones(20), 2, [0, 1]),
        rtol=1e-6)
    with pytest.warns(UserWarning, match="float"):
        metrics.MeanIoU(num_classes=3).update_state([0, 1], [0, 1], sample_weight=[0.5, 1.5])
    with pytest.raises(ValueError, match="out of range"):
        metrics.IoU(num_classes=2, target_class_ids=[2])


def np_pearson(y, p):
    yc, pc = y - y.mean(-1, keepdims=True), p - p.mean(-1, keepdims=True)
    return (yc / yc.std(-1, keepdims=True) * pc / pc.std(-1, keepdims=True)).mean(-1)


def np_concordance(y, p):
    ym, pm = y.mean(-1, keepdims=True), p.mean(-1, keepdims=True)
    norm = (y - ym).var(-1, keepdims=True) + (p - pm).var(-1, keepdims=True) + (ym - pm) ** 2
    # Keras 3.15's covariance term centres y_true on the prediction mean
    return (2 * (y - pm) * (p - pm) / (norm + EPS)).mean(-1)


def test_correlations_match_numpy_per_sample_and_as_running_means():
    y = RNG.normal(size=(7, 5)).astype(np.float32)
    p = (y * 0.5 + RNG.normal(size=y.shape)).astype(np.float32)
    w = RNG.uniform(0, 1, 7).astype(np.float32)
    np.testing.assert_allclose(metrics.pearson_correlation(y, p), np_pearson(y, p), rtol=1e-5)
    np.testing.assert_allclose(metrics.concordance_correlation(y, p), np_concordance(y, p),
                               rtol=1e-5, atol=1e-6)
    for metric, reference in ((metrics.PearsonCorrelation(), np_pearson),
                              (metrics.ConcordanceCorrelation(), np_concordance)):
        metric.update_state(y[:3], p[:3], sample_weight=w[:3])
        metric.update_state(y[3:], p[3:], sample_weight=w[3:])
        expected = (reference(y, p) * w).sum() / w.sum()
        assert float(metric.result()) == pytest.approx(expected, rel=1e-5)


def np_at(kind, target, y, p, num_thresholds=200):
    thresholds = [0.5] if num_thresholds == 1 else [0.0] + [
        (i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)] + [1.0]
    best = 0.0
    for t in thresholds:
        predicted = p > t
        tp, fp = np.sum(predicted & (y == 1)), np.sum(predicted & (y == 0))
        fn, tn = np.sum(~predicted & (y == 1)), np.sum(~predicted & (y == 0))
        rates = {"sensitivity": tp / (tp + fn) if tp + fn else 0.0,
                 "specificity": tn / (tn + fp) if tn + fp else 0.0,
                 "precision": tp / (tp + fp) if tp + fp else 0.0}
        constrained, dependent = {"SensitivityAtSpecificity": ("specificity", "sensitivity"),
                                  "SpecificityAtSensitivity": ("sensitivity", "specificity"),
                                  "PrecisionAtRecall": ("sensitivity", "precision"),
                                  "RecallAtPrecision": ("precision", "sensitivity")}[kind]
        if rates[constrained] >= target:
            best = max(best, rates[dependent])
    return best


@pytest.mark.parametrize("kind", ["SensitivityAtSpecificity", "SpecificityAtSensitivity",
                                  "PrecisionAtRecall", "RecallAtPrecision"])
@pytest.mark.parametrize("num_thresholds", [1, 7, 200])
def test_threshold_at_metrics_match_numpy(kind, num_thresholds):
    y = RNG.integers(0, 2, 60)
    p = np.clip(y * 0.3 + RNG.uniform(size=60) * 0.7, 0, 1).astype(np.float32)
    metric = getattr(metrics, kind)(0.6, num_thresholds=num_thresholds)
    metric.update_state(y[:25], p[:25])
    metric.update_state(y[25:], p[25:])
    assert float(metric.result()) == pytest.approx(np_at(kind, 0.6, y, p, num_thresholds),
                                                   abs=1e-6)
    assert [v.name for v in metric.variables] == ["true_positives", "false_positives",
                                                  "true_negatives", "false_negatives"]
    with pytest.raises(ValueError, match="must be in the range"):
        getattr(metrics, kind)(1.5)
    with pytest.raises(ValueError, match="num_thresholds"):
        getattr(metrics, kind)(0.5, num_thresholds=0)


def test_bad_input_names_the_argument_and_changes_nothing():
    with pytest.raises(ValueError, match="average"):
        metrics.F1Score(average="sum")
    with pytest.raises(ValueError, match="beta"):
        metrics.FBetaScore(beta=2)
    with pytest.raises(ValueError, match="threshold"):
        metrics.F1Score(threshold=1.5)
    with pytest.raises(ValueError, match="class_aggregation"):
        metrics.R2Score(class_aggregation="median")
    f1 = metrics.F1Score()
    f1.update_state([[1, 0, 0]], [[0.9, 0.1, 0.0]])
    before = [v.numpy().copy() for v in f1.variables]
    with pytest.raises(ValueError, match="shape"):
        f1.update_state([[1, 0]], [[0.9, 0.1]])
    assert all(np.array_equal(a, v.numpy()) for a, v in zip(before, f1.variables))
    with pytest.raises(ValueError, match="2D inputs"):
        metrics.R2Score().update_state([1.0, 2.0, 3.0], [1.0, 2.0, 2.5])


def test_names_are_registered_as_keras3_spells_them():
    for name in ("F1Score", "FBetaScore", "R2Score", "IoU", "MeanIoU", "OneHotIoU",
                 "OneHotMeanIoU", "BinaryIoU", "PearsonCorrelation", "ConcordanceCorrelation",
                 "PrecisionAtRecall", "RecallAtPrecision", "SensitivityAtSpecificity",
                 "SpecificityAtSensitivity"):
        assert metrics.deserialize({"class_name": name, "config": _minimal_config(name)}).__class__ \
            is getattr(metrics, name)
    assert isinstance(metrics.get("pearson_correlation"), metrics.PearsonCorrelation)
    assert metrics.serialize(metrics.PearsonCorrelation())["class_name"] == "PearsonCorrelation"


def _minimal_config(name):
    return {"IoU": {"num_classes": 2, "target_class_ids": [0]}, "MeanIoU": {"num_classes": 2},
            "OneHotIoU": {"num_classes": 2, "target_class_ids": [1]},
            "OneHotMeanIoU": {"num_classes": 2}, "PrecisionAtRecall": {"recall": 0.5},
            "RecallAtPrecision": {"precision": 0.5},
            "SensitivityAtSpecificity": {"specificity": 0.5},
            "SpecificityAtSensitivity": {"sensitivity": 0.5}}.get(name, {})
