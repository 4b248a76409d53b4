"""Metric objects given to ``compile`` (``metrics=[keras.metrics.BinaryAccuracy()]``, as the
transfer-learning guide does) are reported once, with the values of the metric compile runs:
the object as given (which compile copies) is not also found as a metric the model holds."""
import os

import numpy as np
import pytest

import kerasette

X = np.ones((8, 3), "float32")
Y = np.array([0, 0, 1, 1, 0, 0, 1, 1], "int64")


def _run(keras, metrics=None, weighted_metrics=None):
    inputs = keras.Input((3,))
    outputs = keras.layers.Dense(1, kernel_initializer="zeros", bias_initializer="zeros", name="out")(inputs)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.SGD(0.0), loss=keras.losses.BinaryCrossentropy(from_logits=True),
                  metrics=metrics, weighted_metrics=weighted_metrics)
    history = model.fit(X, Y, batch_size=4, verbose=0).history
    return history, model.evaluate(X, Y, verbose=0), model.metrics_names


def test_metric_object_in_compile_is_reported_once_with_its_value():
    history, evaluated, names = _run(kerasette, metrics=[kerasette.metrics.BinaryAccuracy()])
    assert names == ["loss", "binary_accuracy"]
    assert history["binary_accuracy"] == [0.5]       # logits 0 -> predicts 0; half the labels are 0
    assert evaluated == pytest.approx([np.log(2.0), 0.5])


def test_metric_objects_in_a_dict_and_in_weighted_metrics():
    history, evaluated, names = _run(kerasette, metrics={"out": [kerasette.metrics.BinaryAccuracy()]},
                                     weighted_metrics=[kerasette.metrics.BinaryAccuracy(name="wacc")])
    assert names == ["loss", "binary_accuracy", "wacc"]
    assert evaluated == pytest.approx([np.log(2.0), 0.5, 0.5])


def test_same_logs_as_keras():
    os.environ.setdefault("KERAS_BACKEND", "jax")
    keras = pytest.importorskip("keras")
    ours_history, ours_evaluated, _ = _run(kerasette, metrics=[kerasette.metrics.BinaryAccuracy()])
    their_history, their_evaluated, _ = _run(keras, metrics=[keras.metrics.BinaryAccuracy()])
    assert ours_history.keys() == their_history.keys()
    for key in their_history:
        assert ours_history[key] == pytest.approx(their_history[key], abs=1e-6)
    assert ours_evaluated == pytest.approx(their_evaluated, abs=1e-6)
