"""The Keras 3 loss families of issue 16: focal and generalized cross-entropies, Dice, Tversky, Circle.

Each is checked three ways: against real Keras 3.15's numbers
(tests/fixtures/keras_losses_metrics_optimizers.npz, made by
make_losses_metrics_optimizers_fixtures.py), against a numpy
reimplementation of the formula written here, and in use (eager gradients
against central differences, a compiled graph, configs and names).
"""
import json
import os

import numpy as np
import pytest

from kerasette import Tensor, backend, engine, losses, metrics

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures", "keras_losses_metrics_optimizers.npz")
EPS = 1e-7
RNG = np.random.default_rng(5)


@pytest.fixture(scope="module")
def keras3():
    with np.load(FIXTURES) as data:
        return {key: data[key] for key in data.files}


@pytest.fixture(autouse=True)
def _fresh_session():
    backend.clear_session()
    yield


# ------------------------------------------------------------ numpy references

def np_binary_focal(y, p, apply_class_balancing=False, alpha=0.25, gamma=2.0, from_logits=False,
                    label_smoothing=0.0, axis=-1):
    y, p = y.astype(np.float64), p.astype(np.float64)
    y = y * (1 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        p = 1 / (1 + np.exp(-p))
    clipped = np.clip(p, EPS, 1 - EPS)
    bce = -(y * np.log(clipped) + (1 - y) * np.log(1 - clipped))
    p_t = y * p + (1 - y) * (1 - p)
    focal = (1 - p_t) ** gamma * bce
    if apply_class_balancing:
        focal = (y * alpha + (1 - y) * (1 - alpha)) * focal
    return focal.mean(axis)


def np_categorical_focal(y, p, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0,
                         axis=-1):
    y, p = y.astype(np.float64), p.astype(np.float64)
    y = y * (1 - label_smoothing) + label_smoothing / y.shape[-1]
    if from_logits:
        p = np.exp(p - p.max(axis, keepdims=True))
    p = np.clip(p / p.sum(axis, keepdims=True), EPS, 1 - EPS)
    return (np.asarray(alpha) * (1 - p) ** gamma * -y * np.log(p)).sum(axis)


def np_gce(labels, p, q):
    chosen = p[np.arange(len(labels)), labels.astype(int)].astype(np.float64)
    return (1 - chosen ** q) / q


def np_dice(y, p, axis=None):
    y, p = y.astype(np.float64), p.astype(np.float64)
    return 1 - 2 * (y * p).sum(axis) / (y.sum(axis) + p.sum(axis) + EPS)


def np_tversky(y, p, alpha=0.5, beta=0.5, axis=None):
    y, p = y.astype(np.float64), p.astype(np.float64)
    tp = (y * p).sum(axis)
    fp = ((1 - p) * y).sum(axis)
    fn = (p * (1 - y)).sum(axis)
    return 1 - tp / (tp + alpha * fp + beta * fn + EPS)


def np_circle(labels, emb, gamma=80.0, margin=0.4, remove_diagonal=True):
    emb = emb.astype(np.float64)
    distance = np.maximum(1 - emb @ emb.T, 0)
    positive = labels[:, None] == labels[None, :]
    negative = ~positive
    if remove_diagonal:
        positive &= ~np.eye(len(labels), dtype=bool)
    pos_w = np.maximum((margin + distance) * positive, 0)
    neg_w = np.maximum((1 + margin - distance) * negative, 0)
    pos = -gamma * pos_w * (margin - distance)
    neg = gamma * neg_w * (1 - margin - distance)

    def lse(values, mask):
        out = np.full(len(values), -np.inf)
        for i, (row, keep) in enumerate(zip(values, mask)):
            if keep.any():
                top = row[keep].max()
                out[i] = top + np.log(np.exp(row[keep] - top).sum())
        return out

    total = lse(pos, positive) + lse(neg, negative)
    return np.where(np.isneginf(total), 0.0, np.logaddexp(0, total))


def np_ctc(labels, logits):
    """Per-sample CTC negative log-likelihood by the forward (alpha) recursion, blank 0."""
    out = []
    for label, frame_logits in zip(labels, logits.astype(np.float64)):
        label = [int(c) for c in label if c != 0]
        log_probs = frame_logits - np.log(np.exp(frame_logits).sum(-1, keepdims=True))
        extended = [0]
        for c in label:
            extended += [c, 0]
        alpha = np.full(len(extended), -np.inf)
        alpha[0] = log_probs[0, 0]
        if len(extended) > 1:
            alpha[1] = log_probs[0, extended[1]]
        for t in range(1, len(log_probs)):
            previous = alpha.copy()
            for s in range(len(extended)):
                terms = [previous[s]]
                if s >= 1:
                    terms.append(previous[s - 1])
                if s >= 2 and extended[s] != 0 and extended[s] != extended[s - 2]:
                    terms.append(previous[s - 2])
                alpha[s] = np.logaddexp.reduce(terms) + log_probs[t, extended[s]]
        out.append(-np.logaddexp(alpha[-1], alpha[-2]) if len(extended) > 1 else -alpha[-1])
    return np.array(out)


def _unit_rows(x):
    return (x / np.linalg.norm(x, axis=-1, keepdims=True)).astype(np.float32)


BINARY = (RNG.uniform(size=(5, 3)) > 0.5).astype(np.float32)
PROBS = RNG.uniform(0.03, 0.97, (5, 3)).astype(np.float32)
ONEHOT = np.eye(4, dtype=np.float32)[RNG.integers(0, 4, 5)]
LOGITS = RNG.normal(size=(5, 4)).astype(np.float32) * 2
SOFT = (np.exp(LOGITS) / np.exp(LOGITS).sum(-1, keepdims=True)).astype(np.float32)
MASKS = (RNG.uniform(size=(2, 3, 3, 1)) > 0.4).astype(np.float32)
MASK_PRED = RNG.uniform(size=(2, 3, 3, 1)).astype(np.float32)
EMB = _unit_rows(RNG.normal(size=(6, 4)))
EMB_LABELS = np.array([0, 1, 0, 1, 2, 0])
CTC_LABELS = np.array([[1, 2, 0], [3, 3, 1], [2, 0, 0]])
CTC_LOGITS = RNG.normal(size=(3, 8, 4)).astype(np.float32)

NUMPY_CASES = {
    "bfce": (losses.binary_focal_crossentropy, BINARY, PROBS, {}, np_binary_focal),
    "bfce_all_options": (losses.binary_focal_crossentropy, BINARY, PROBS * 4 - 2,
                         dict(apply_class_balancing=True, alpha=0.4, gamma=1.5, from_logits=True,
                              label_smoothing=0.2), np_binary_focal),
    "cfce": (losses.categorical_focal_crossentropy, ONEHOT, SOFT, {}, np_categorical_focal),
    "cfce_logits_alpha_per_class": (
        losses.categorical_focal_crossentropy, ONEHOT, LOGITS,
        dict(alpha=[0.1, 0.2, 0.3, 0.4], gamma=3.0, from_logits=True, label_smoothing=0.1),
        np_categorical_focal),
    "gce": (losses.categorical_generalized_cross_entropy, np.argmax(ONEHOT, -1), SOFT,
            dict(q=0.3), np_gce),
    "dice": (losses.dice, MASKS, MASK_PRED, {}, np_dice),
    "dice_per_image": (losses.dice, MASKS, MASK_PRED, dict(axis=(1, 2, 3)), np_dice),
    "tversky": (losses.tversky, MASKS, MASK_PRED, dict(alpha=0.2, beta=0.8, axis=(1, 2, 3)),
                np_tversky),
    "circle": (losses.circle, EMB_LABELS, EMB, {}, np_circle),
    "ctc": (losses.ctc, CTC_LABELS, CTC_LOGITS, {}, lambda y, p: np_ctc(y, p)),
    "circle_options": (losses.circle, EMB_LABELS, EMB,
                       dict(gamma=16.0, margin=0.3, remove_diagonal=False), np_circle),
}


@pytest.mark.parametrize("name", sorted(NUMPY_CASES))
def test_loss_function_matches_numpy_formula(name):
    fn, y_true, y_pred, kwargs, reference = NUMPY_CASES[name]
    value = np.asarray(fn(y_true, y_pred, **kwargs))
    assert value.dtype == np.float32
    np.testing.assert_allclose(value, reference(y_true, y_pred, **kwargs), rtol=2e-5, atol=2e-6)


def test_keras3_loss_values_reduced_and_unreduced(keras3):
    names = json.loads(str(keras3["loss_cases"]))
    assert len(names) >= 10
    for name in names:
        cls = getattr(losses, str(keras3[f"{name}.class_name"]))
        config = json.loads(str(keras3[f"{name}.config"]))
        if "axis" in config and isinstance(config["axis"], list):
            config["axis"] = tuple(config["axis"])
        loss = cls.from_config(config)
        weight = keras3.get(f"{name}.sample_weight")
        y_true, y_pred = keras3[f"{name}.y_true"], keras3[f"{name}.y_pred"]
        value = loss(y_true, y_pred, sample_weight=weight)
        np.testing.assert_allclose(value, keras3[f"{name}.value"], rtol=2e-5, atol=1e-6,
                                   err_msg=name)
        unreduced = cls.from_config(dict(config, reduction=None))(y_true, y_pred)
        np.testing.assert_allclose(unreduced, keras3[f"{name}.unreduced"], rtol=2e-5,
                                   atol=1e-6, err_msg=name)
        assert loss.get_config() == cls.from_config(loss.get_config()).get_config()


def test_configs_names_and_registry_are_keras3s():
    assert losses.BinaryFocalCrossentropy().get_config() == {
        "name": "binary_focal_crossentropy", "reduction": "sum_over_batch_size",
        "apply_class_balancing": False, "alpha": 0.25, "gamma": 2.0, "from_logits": False,
        "label_smoothing": 0.0, "axis": -1}
    assert losses.Tversky().get_config() == {"name": "tversky", "reduction": "sum_over_batch_size",
                                             "alpha": 0.5, "beta": 0.5, "axis": None}
    assert losses.Circle().get_config() == {"name": "circle", "reduction": "sum_over_batch_size",
                                            "gamma": 80.0, "margin": 0.4, "remove_diagonal": True}
    assert losses.CategoricalGeneralizedCrossEntropy().name == "categorical_generalized_cross_entropy"
    assert losses.CTC().get_config() == {"name": "ctc", "reduction": "sum_over_batch_size"}
    for name in ("binary_focal_crossentropy", "categorical_focal_crossentropy", "dice", "tversky",
                 "circle", "categorical_generalized_cross_entropy", "ctc"):
        assert losses.get(name) is getattr(losses, name)
    record = losses.serialize(losses.Dice(axis=(1, 2)))
    assert record["class_name"] == "Dice" and record["module"] == "keras.losses"
    assert isinstance(losses.deserialize(record), losses.Dice)
    # the focal functions are metric functions too, as in keras.metrics
    assert metrics.binary_focal_crossentropy is losses.binary_focal_crossentropy
    assert metrics.categorical_focal_crossentropy is losses.categorical_focal_crossentropy


def test_bad_arguments_name_themselves():
    with pytest.raises(ValueError, match="q"):
        losses.CategoricalGeneralizedCrossEntropy(q=1.0)
    with pytest.raises(ValueError, match="axis"):
        losses.binary_focal_crossentropy(BINARY, PROBS, axis=True)
    with pytest.raises(ValueError, match="y_true.shape"):
        losses.ctc(CTC_LABELS[0], CTC_LOGITS)
    with pytest.raises(ValueError, match="y_pred.shape"):
        losses.ctc(CTC_LABELS, CTC_LOGITS[0])
    with pytest.warns(SyntaxWarning, match="num_classes > 1"):
        losses.categorical_focal_crossentropy([[1.0]], [[0.7]])


def test_gamma_zero_focal_losses_are_the_plain_crossentropies():
    np.testing.assert_allclose(losses.binary_focal_crossentropy(BINARY, PROBS, gamma=0.0),
                               losses.binary_crossentropy(BINARY, PROBS), rtol=1e-6)
    np.testing.assert_allclose(
        losses.categorical_focal_crossentropy(ONEHOT, SOFT, gamma=0.0, alpha=1.0),
        losses.categorical_crossentropy(ONEHOT, SOFT), rtol=1e-5)
    np.testing.assert_allclose(losses.tversky(MASKS, MASK_PRED), losses.dice(MASKS, MASK_PRED),
                               rtol=1e-6)


def test_circle_masks_samples_with_zero_loss_out_of_the_mean():
    # a sample alone in its class with far negatives has a loss of exactly 0
    emb = _unit_rows(np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 1.0]]))
    per_sample = np.asarray(losses.Circle(reduction=None)([0, 1, 1], emb))
    assert per_sample[0] == 0 and np.all(per_sample[1:] > 0)
    assert float(losses.Circle()([0, 1, 1], emb)) == pytest.approx(per_sample[1:].mean(), rel=1e-6)


@pytest.mark.parametrize("loss, y_true, y_pred", [
    (losses.BinaryFocalCrossentropy(from_logits=True, apply_class_balancing=True), BINARY,
     PROBS * 4 - 2),
    (losses.CategoricalFocalCrossentropy(from_logits=True), ONEHOT, LOGITS),
    (losses.CategoricalGeneralizedCrossEntropy(q=0.5), np.argmax(ONEHOT, -1), SOFT),
    (losses.Dice(axis=(1, 2, 3)), MASKS, MASK_PRED),
    (losses.Tversky(alpha=0.3, beta=0.7), MASKS, MASK_PRED),
    (losses.Circle(gamma=8.0), EMB_LABELS, EMB),
    (losses.CTC(), CTC_LABELS, CTC_LOGITS),
], ids=lambda value: getattr(value, "name", ""))
def test_eager_gradient_matches_central_differences(loss, y_true, y_pred):
    prediction = Tensor(y_pred, requires_grad=True)
    loss(y_true, prediction).backward()
    grad = np.asarray(prediction.grad)
    assert grad.shape == y_pred.shape and np.all(np.isfinite(grad))
    as64 = type(loss).from_config(dict(loss.get_config(), dtype="float64"))
    base = y_pred.astype(np.float64)
    for index in [(0,) * y_pred.ndim, tuple(s - 1 for s in y_pred.shape)]:
        plus, minus = base.copy(), base.copy()
        plus[index] += 1e-4
        minus[index] -= 1e-4
        numeric = (float(as64(y_true, plus)) - float(as64(y_true, minus))) / 2e-4
        assert grad[index] == pytest.approx(numeric, rel=2e-2, abs=1e-4)


def test_losses_run_in_a_compiled_graph_with_unknown_batch():
    y = engine.placeholder("float32", (None, 3))
    p = engine.placeholder("float32", (None, 3))
    session = engine.Session()
    value = session.run(losses.BinaryFocalCrossentropy()(y, p), {y: BINARY, p: PROBS})
    assert float(value) == pytest.approx(np_binary_focal(BINARY, PROBS).mean(), rel=1e-5)
    labels = engine.placeholder("float32", (None,))
    emb = engine.placeholder("float32", (None, 4))
    value = session.run(losses.Circle()(labels, emb), {labels: EMB_LABELS.astype(np.float32),
                                                       emb: EMB})
    expected = np_circle(EMB_LABELS, EMB)
    assert float(value) == pytest.approx(expected[expected > 0].mean(), rel=1e-5)
    labels = engine.placeholder("int32", (None, 3))
    logits = engine.placeholder("float32", (None, None, 4))
    value = session.run(losses.CTC()(labels, logits), {labels: CTC_LABELS, logits: CTC_LOGITS})
    assert float(value) == pytest.approx(np_ctc(CTC_LABELS, CTC_LOGITS).mean(), rel=1e-5)
