"""Keras 3 user code: fit/evaluate/predict on any iterable of batches.

Generators, lists of ``(x, y)`` tuples, objects with ``__iter__``,
Sequences and ``torch.utils.data.DataLoader``s, with or without
``steps_per_epoch``; validation data given the same ways; ``class_weight``
applied per batch; one ``sample_weight`` array for every output.  The
numbers are checked against the same model trained on arrays (batches
in the same order give the same steps) and, where Keras 3 accepts the same
data, against what Keras 3 computes.
"""
import warnings

import numpy as np
import pytest

import kerasette as keras
from kerasette import backend


@pytest.fixture(autouse=True)
def fresh_state():
    backend.clear_session()
    backend.set_seed(0)


rng = np.random.default_rng(0)
X = rng.random((10, 3)).astype(np.float32)
Y = rng.random((10, 1)).astype(np.float32)
# three batches: 4, 4 and 2 samples
BATCHES = [(X[i:i + 4], Y[i:i + 4]) for i in range(0, 10, 4)]


def model():
    m = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1, kernel_initializer="ones")])
    m.compile(optimizer="sgd", loss="mse")
    return m


def generator():
    yield from BATCHES


class Batches:
    """An iterable that is not an iterator: each ``iter()`` starts over."""

    def __iter__(self):
        return generator()


class Recorder(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.calls = []

    def on_train_batch_end(self, batch, logs=None):
        self.calls.append(("batch", batch))

    def on_epoch_end(self, epoch, logs=None):
        self.calls.append(("epoch", epoch))


def array_twin(epochs, batches_per_epoch):
    """The losses of the same model trained on the same batches given as arrays, in order."""
    twin = model()
    losses = []
    for epoch_batches in batches_per_epoch[:epochs]:
        values = [twin.train_on_batch(x, y) * len(x) for x, y in epoch_batches]
        losses.append(sum(values) / sum(len(x) for x, _ in epoch_batches))
    return losses


# Keras 3 (jax backend) gives these for the same model on the same batches
KERAS_ONE_PASS = [1.342966914176941, 1.0796215534210205]      # a re-iterable source, two epochs
KERAS_STEPS_2 = [1.1176068782806396, 2.2444071769714355]      # steps_per_epoch=2: batches 0, 1 | 2


@pytest.mark.parametrize("source", [Batches, lambda: list(BATCHES)], ids=["iterable", "list_of_tuples"])
def test_a_re_iterable_source_is_one_pass_per_epoch_and_starts_over(source):
    m, recorder = model(), Recorder()
    history = m.fit(source(), epochs=2, verbose=0, callbacks=[recorder])
    np.testing.assert_allclose(history.history["loss"], KERAS_ONE_PASS, rtol=1e-6)
    assert recorder.calls == [("batch", 0), ("batch", 1), ("batch", 2), ("epoch", 0),
                              ("batch", 0), ("batch", 1), ("batch", 2), ("epoch", 1)]
    np.testing.assert_allclose(history.history["loss"], array_twin(2, [BATCHES, BATCHES]), rtol=1e-6)


def test_a_generator_without_steps_ends_the_epoch_when_it_runs_out():
    m, recorder = model(), Recorder()
    with pytest.warns(UserWarning, match="Your input ran out of data; interrupting training"):
        history = m.fit(generator(), epochs=3, verbose=0, callbacks=[recorder])
    # the first epoch is the whole generator; a used-up generator has no more epochs
    assert recorder.calls == [("batch", 0), ("batch", 1), ("batch", 2), ("epoch", 0)]
    np.testing.assert_allclose(history.history["loss"], KERAS_ONE_PASS[:1], rtol=1e-6)


def test_steps_per_epoch_goes_on_where_the_last_epoch_stopped():
    m, recorder = model(), Recorder()
    with pytest.warns(UserWarning, match="Your input ran out of data"):
        history = m.fit(generator(), steps_per_epoch=2, epochs=3, verbose=0, callbacks=[recorder])
    assert recorder.calls == [("batch", 0), ("batch", 1), ("epoch", 0), ("batch", 0), ("epoch", 1)]
    np.testing.assert_allclose(history.history["loss"], KERAS_STEPS_2, rtol=1e-6)

    # an infinite generator never runs out
    def forever():
        while True:
            yield from BATCHES

    m = model()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        history = m.fit(forever(), steps_per_epoch=3, epochs=2, verbose=0)
    np.testing.assert_allclose(history.history["loss"], KERAS_ONE_PASS, rtol=1e-6)


def test_evaluate_and_predict_take_any_iterable():
    m = model()
    expected = m.evaluate(X, Y, batch_size=4, verbose=0)
    prediction = m.predict(X, verbose=0)
    for source in (generator(), Batches(), list(BATCHES)):
        assert m.evaluate(source, verbose=0) == pytest.approx(expected, rel=1e-6)
    for source in (generator(), Batches(), (x for x, _ in BATCHES), [(x,) for x, _ in BATCHES]):
        np.testing.assert_allclose(m.predict(source, verbose=0), prediction, rtol=1e-6)
    assert m.evaluate(generator(), steps=1, verbose=0) == pytest.approx(m.evaluate(X[:4], Y[:4], verbose=0))


def test_validation_data_as_an_iterable_or_a_generator():
    m = model()
    history = m.fit(X, Y, epochs=2, batch_size=4, shuffle=False, validation_data=Batches(), verbose=0)
    twin = model()
    expected = []
    for _ in range(2):
        twin.fit(X, Y, epochs=1, batch_size=4, shuffle=False, verbose=0)
        expected.append(twin.evaluate(X, Y, batch_size=4, verbose=0))
    np.testing.assert_allclose(history.history["val_loss"], expected, rtol=1e-6)
    # a generator without validation_steps is used up by the first validation
    m = model()
    with pytest.warns(UserWarning, match="validation_data ran out of batches"):
        history = m.fit(X, Y, epochs=2, batch_size=4, shuffle=False, validation_data=generator(), verbose=0)
    np.testing.assert_allclose(history.history["val_loss"], expected[:1], rtol=1e-6)
    assert len(history.history["loss"]) == 2


def test_batches_carry_sample_weights_and_class_weight_applies_per_batch():
    labels = np.array([0, 1, 1, 0, 1, 0, 0, 1], np.float32)[:, None]
    x = X[:8]
    weights = np.array([1, 2, 1, 0, 1, 3, 1, 1], np.float32)

    def weighted():
        for i in (0, 4):
            yield x[i:i + 4], labels[i:i + 4], weights[i:i + 4]

    m = model()
    assert m.evaluate(weighted(), verbose=0) == pytest.approx(
        m.evaluate(x, labels, sample_weight=weights, batch_size=4, verbose=0), rel=1e-6)

    # class_weight becomes each batch's sample weights (it was silently ignored)
    class_weight = {0: 1.0, 1: 5.0}
    by_class = np.where(labels[:, 0] == 1, 5.0, 1.0).astype(np.float32)
    first, second = model(), model()
    first.fit(((x[i:i + 4], labels[i:i + 4]) for i in (0, 4)), class_weight=class_weight, verbose=0)
    second.fit(x, labels, sample_weight=by_class, batch_size=4, shuffle=False, verbose=0)
    for a, b in zip(first.get_weights(), second.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6)
    unweighted = model()
    unweighted.fit(((x[i:i + 4], labels[i:i + 4]) for i in (0, 4)), verbose=0)
    assert not np.allclose(unweighted.get_weights()[0], first.get_weights()[0])


def test_one_sample_weight_array_weighs_every_output():
    # Keras 3 repeats a single sample_weight array over the outputs (numbers from Keras 3)
    inputs = keras.Input((3,))
    a = keras.layers.Dense(1, kernel_initializer="ones", name="a")(inputs)
    b = keras.layers.Dense(1, kernel_initializer="zeros", name="b")(inputs)
    m = keras.Model(inputs, [a, b])
    m.compile(optimizer="sgd", loss=["mse", "mse"])
    w = np.arange(10).astype(np.float32)
    expected = {"loss": 8.852667808532715, "a_loss": 7.010584831237793, "b_loss": 1.8420829772949219}
    for logs in (m.evaluate(X, [Y, Y], sample_weight=w, verbose=0, return_dict=True),
                 m.evaluate(X, [Y, Y], sample_weight=[w, w], verbose=0, return_dict=True),
                 m.evaluate([(X[:5], (Y[:5], Y[:5]), w[:5]), (X[5:], (Y[5:], Y[5:]), w[5:])],
                            verbose=0, return_dict=True)):
        assert logs == {key: pytest.approx(value, rel=1e-6) for key, value in expected.items()}
    assert m.test_on_batch(X, [Y, Y], sample_weight=w, return_dict=True)["b_loss"] == pytest.approx(
        expected["b_loss"], rel=1e-6)


def test_targets_beside_a_batch_source_are_refused_as_in_keras_3():
    m = model()
    with pytest.raises(ValueError, match=r"When providing `x` as a generator, `y` should not be passed"):
        m.fit(generator(), Y, verbose=0)
    with pytest.raises(ValueError, match=r"`sample_weights` should not be passed"):
        m.evaluate(Batches(), sample_weight=np.ones(10), verbose=0)
    with pytest.raises(ValueError, match=r"fit\(\) needs targets: the batches must be \(inputs, targets\)"):
        m.fit(iter([(X,)]), verbose=0)
    with pytest.raises(ValueError, match=r"fit\(\) received no batches"):
        m.fit(iter([]), verbose=0)
    with pytest.raises(ValueError, match=r"Data is expected to be in format `x`, `\(x,\)`, `\(x, y\)`"):
        m.fit(iter([(X, Y, None, None)]), verbose=0)
    assert m.optimizer.iterations.numpy() == 0


def test_a_list_of_tuples_of_numbers_is_still_one_array():
    m = model()
    values = [(0.1, 0.2, 0.3), (0.4, 0.5, 0.6)]
    assert m.predict(values, verbose=0).shape == (2, 1)


# ------------------------------------------------------------------ torch
def test_a_torch_dataloader_with_and_without_steps_per_epoch():
    torch = pytest.importorskip("torch")
    from torch.utils.data import DataLoader, TensorDataset

    loader = DataLoader(TensorDataset(torch.tensor(X), torch.tensor(Y)), batch_size=4)
    m, recorder = model(), Recorder()
    history = m.fit(loader, epochs=2, verbose=0, callbacks=[recorder])
    np.testing.assert_allclose(history.history["loss"], KERAS_ONE_PASS, rtol=1e-6)
    assert recorder.calls.count(("epoch", 1)) == 1 and len(recorder.calls) == 8

    # as in Keras 3: two steps, then the rest of the data ends the next epoch early
    m, recorder = model(), Recorder()
    with pytest.warns(UserWarning, match="Your input ran out of data"):
        history = m.fit(loader, epochs=2, steps_per_epoch=2, verbose=0, callbacks=[recorder])
    np.testing.assert_allclose(history.history["loss"], KERAS_STEPS_2, rtol=1e-6)
    assert recorder.calls == [("batch", 0), ("batch", 1), ("epoch", 0), ("batch", 0), ("epoch", 1)]

    m = model()
    assert m.evaluate(loader, verbose=0) == pytest.approx(m.evaluate(X, Y, verbose=0), rel=1e-6)
    np.testing.assert_allclose(m.predict(loader, verbose=0), m.predict(X, verbose=0), rtol=1e-6)
    # as validation data, re-iterated every epoch; a shuffling loader trains too
    history = m.fit(DataLoader(TensorDataset(torch.tensor(X), torch.tensor(Y)), batch_size=3, shuffle=True),
                    validation_data=loader, epochs=2, verbose=0)
    assert len(history.history["val_loss"]) == 2
    assert history.history["val_loss"][-1] == pytest.approx(m.evaluate(X, Y, verbose=0), rel=1e-6)


def test_a_py_dataset_is_one_pass_per_epoch_with_its_epoch_hooks():
    class Dataset(keras.utils.PyDataset):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.events = []

        def __len__(self):
            return len(BATCHES)

        def __getitem__(self, index):
            return BATCHES[index]

        def on_epoch_end(self):
            self.events.append("end")

    dataset = Dataset()
    history = model().fit(dataset, epochs=2, verbose=0)
    np.testing.assert_allclose(history.history["loss"], KERAS_ONE_PASS, rtol=1e-6)
    assert dataset.events == ["end", "end"]
