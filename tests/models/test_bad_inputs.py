"""Bad inputs to fit/evaluate/predict and the on-batch methods (issue 13).

Each refusal is a ValueError or TypeError that names the argument (and the
shapes, where there are any), raised before anything runs: the weights, the
optimizer's variables and the metrics' state are bitwise as they were, and
the model then trains exactly like a twin that never saw the bad input.
"""
import re

import numpy as np
import pytest

import kerasette
from kerasette import Input, Model, backend
from kerasette.layers import Dense


@pytest.fixture(autouse=True)
def fresh_state():
    backend.clear_session()
    backend.set_seed(0)
    yield
    backend.set_floatx("float32")


def blobs(count=32, features=8, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    centers = rng.standard_normal((classes, features)) * 3
    labels = rng.integers(0, classes, count)
    x = (centers[labels] + rng.standard_normal((count, features))).astype(np.float32)
    return x, labels


def mlp(features=8, classes=3, activation="softmax"):
    inputs = Input(shape=(features,))
    hidden = Dense(16, activation="relu")(inputs)
    return Model(inputs, Dense(classes, activation=activation)(hidden))


def twins(build=mlp, loss="sparse_categorical_crossentropy", x=None, y=None, **compile_args):
    """Two models with the same weights, compiled alike, each one step into
    training (so the optimizer has slots and the metrics have state)."""
    first = build()
    second = build()
    if x is not None:                                  # a subclassed model builds on its first call
        first.predict(x[:1], verbose=0)
        second.predict(x[:1], verbose=0)
    second.set_weights(first.get_weights())
    for model in (first, second):
        model.compile(optimizer=kerasette.optimizers.Adam(0.01), loss=loss, metrics=["accuracy"],
                      **compile_args)
        if x is not None:
            model.train_on_batch(x[:8], y[:8])
    return first, second


def state(model):
    """Everything a step could change: weights, optimizer variables, metric variables."""
    arrays = [np.array(w, copy=True) for w in model.get_weights()]
    optimizer = getattr(model, "optimizer", None)
    if optimizer is not None:
        arrays += [np.array(v.numpy(), copy=True) for v in optimizer.variables]
    for _, metric, _ in getattr(model, "_metric_objects", []):
        arrays += [np.array(v.numpy(), copy=True) for v in metric.variables]
    return arrays


def assert_same_state(before, after):
    assert len(before) == len(after)
    for a, b in zip(before, after):
        assert a.dtype == b.dtype and a.shape == b.shape
        assert a.tobytes() == b.tobytes()


def refuses(model, error, pattern, call):
    """``call()`` raises ``error`` matching ``pattern`` and changes nothing."""
    before = state(model)
    with pytest.raises(error, match=pattern):
        call()
    assert_same_state(before, state(model))


def assert_trains_like(model, twin, x, y, **fit_args):
    """After its refusals ``model`` trains bit for bit like ``twin``, and learns."""
    histories = [m.fit(x, y, epochs=3, batch_size=8, shuffle=False, verbose=0, **fit_args) for m in (model, twin)]
    assert histories[0].history == histories[1].history
    assert_same_state(state(model), state(twin))
    losses = histories[0].history["loss"]
    assert np.all(np.isfinite(losses)) and losses[-1] < losses[0]


# ------------------------------------------------------------------ arguments
def test_batch_size_must_be_a_positive_integer():
    x, y = blobs()
    model, twin = twins(x=x, y=y)
    refuses(model, ValueError, r"batch_size must be a positive integer, got -5",
            lambda: model.predict(x, batch_size=-5, verbose=0))
    refuses(model, ValueError, r"batch_size must be a positive integer, got 0",
            lambda: model.predict(x, batch_size=0, verbose=0))
    refuses(model, ValueError, r"batch_size must be a positive integer, got 0",
            lambda: model.fit(x, y, batch_size=0, verbose=0))
    refuses(model, ValueError, r"batch_size must be a positive integer, got -1",
            lambda: model.evaluate(x, y, batch_size=-1, verbose=0))
    refuses(model, TypeError, r"batch_size must be an integer, got 2\.5 \(float\)",
            lambda: model.fit(x, y, batch_size=2.5, verbose=0))
    refuses(model, TypeError, r"batch_size must be an integer, got '32' \(str\)",
            lambda: model.fit(x, y, batch_size="32", verbose=0))
    refuses(model, TypeError, r"batch_size must be an integer, got True",
            lambda: model.predict(x, batch_size=True, verbose=0))
    refuses(model, ValueError, r"validation_batch_size must be a positive integer, got 0",
            lambda: model.fit(x, y, validation_split=0.25, validation_batch_size=0, verbose=0))
    assert model.predict(x, batch_size=np.int64(5), verbose=0).shape == (32, 3)
    assert_trains_like(model, twin, x, y)


def test_counts_fractions_and_verbosity_are_checked():
    x, y = blobs()
    model, twin = twins(x=x, y=y)
    cases = [
        (ValueError, r"epochs must be an integer >= 0, got -1", dict(epochs=-1)),
        (TypeError, r"epochs must be an integer, got 1\.5", dict(epochs=1.5)),
        (ValueError, r"initial_epoch must be an integer >= 0, got -2", dict(initial_epoch=-2)),
        (ValueError, r"steps_per_epoch must be a positive integer, got 0", dict(steps_per_epoch=0)),
        (TypeError, r"steps_per_epoch must be an integer, got 2\.5", dict(steps_per_epoch=2.5)),
        (ValueError, r"validation_steps must be a positive integer, got 0",
         dict(validation_split=0.25, validation_steps=0)),
        (ValueError, r"validation_freq must be a positive integer, got 0", dict(validation_freq=0)),
        (ValueError, r"validation_split must be in \[0, 1\), got 1\.0", dict(validation_split=1.0)),
        (ValueError, r"validation_split must be in \[0, 1\), got -0\.1", dict(validation_split=-0.1)),
        (TypeError, r"validation_split must be a float in \[0, 1\), got '0\.2'", dict(validation_split="0.2")),
        # Keras 3 refuses a split that leaves one side empty
        (ValueError, r"validation_split=0\.99 cannot cut 32 sample\(s\)", dict(validation_split=0.99)),
        (TypeError, r"verbose must be 'auto', 0, 1 or 2, got 'loud'", dict(verbose="loud")),
    ]
    for error, pattern, arguments in cases:
        arguments.setdefault("verbose", 0)
        refuses(model, error, pattern, lambda: model.fit(x, y, **arguments))
    refuses(model, ValueError, r"steps must be a positive integer, got -1",
            lambda: model.evaluate(x, y, steps=-1, verbose=0))
    refuses(model, ValueError, r"steps must be a positive integer, got 0",
            lambda: model.predict(x, steps=0, verbose=0))
    assert model.fit(x, y, epochs=0, verbose=0).epoch == []     # zero epochs is allowed, as in Keras
    assert_trains_like(model, twin, x, y)


# ------------------------------------------------------------------- labels
def test_float_labels_for_a_sparse_loss_are_refused():
    x, y = blobs()
    model, twin = twins(x=x, y=y)
    pattern = (r"y for output 'dense_\d+' \(shape \(32,\)\) holds {} at index {}, but "
               r"sparse_categorical_crossentropy needs integer class indices")
    first = re.escape(repr(float(y[0]) + 0.5))
    refuses(model, ValueError, pattern.format(first, 0), lambda: model.fit(x, y + 0.5, verbose=0))
    refuses(model, ValueError, pattern.format(first, 0), lambda: model.train_on_batch(x, y + 0.5))
    refuses(model, ValueError, pattern.format(first, 0), lambda: model.test_on_batch(x, y + 0.5))
    refuses(model, ValueError, pattern.format(first, 0), lambda: model.evaluate(x, y + 0.5, verbose=0))
    one_bad = y.astype(np.float32)
    one_bad[7] = 1.25
    refuses(model, ValueError, pattern.format(r"1\.25", 7), lambda: model.fit(x, one_bad, verbose=0))
    one_bad[7] = np.nan
    refuses(model, ValueError, pattern.format("nan", 7), lambda: model.fit(x, one_bad, verbose=0))
    # validation data is checked before the first epoch trains
    refuses(model, ValueError, r"validation_data: " + pattern.format(first, 0),
            lambda: model.fit(x, y, validation_data=(x, y + 0.5), verbose=0))
    # out of range: named with the loss, the argument and the value
    for value in (3, -1):
        bad = y.copy()
        bad[5] = value
        refuses(model, ValueError,
                rf"y for output 'dense_\d+' \(shape \(32,\)\): sparse_categorical_crossentropy's class "
                rf"indices must be in \[0, 3\) for an output of shape \(None, 3\), got {value}",
                lambda: model.train_on_batch(x, bad))
    # integral floats are class indices all the same
    model.evaluate(x, y.astype(np.float32), verbose=0)
    assert_trains_like(model, twin, x, y)


def test_float_labels_for_a_sparse_loss_object_are_refused():
    x, y = blobs()
    loss = kerasette.losses.SparseCategoricalCrossentropy(ignore_class=-1)
    model, twin = twins(loss=loss, x=x, y=y)
    refuses(model, ValueError, r"holds 0\.5 at index 0, but sparse_categorical_crossentropy needs integer",
            lambda: model.fit(x, np.where(np.arange(32) == 0, 0.5, y), verbose=0))
    ignored = y.copy()
    ignored[:4] = -1                                   # the ignored class is no out-of-range label
    model.evaluate(x, ignored, verbose=0)
    assert_trains_like(model, twin, x, y)


def test_non_numeric_data_is_refused_before_the_first_step():
    x, y = blobs()
    model, twin = twins(x=x, y=y)
    refuses(model, TypeError, r"y must hold numbers \(bool, int or float\), got an array of dtype <U21 and "
            r"shape \(32,\)", lambda: model.fit(x, y.astype(str), verbose=0))
    refuses(model, TypeError, r"x must hold numbers .*dtype <U32 and shape \(32, 8\)",
            lambda: model.fit(x.astype(str), y, verbose=0))
    refuses(model, TypeError, r"sample_weight must hold numbers .*dtype <U1 and shape \(32,\)",
            lambda: model.fit(x, y, sample_weight=np.array(["a"] * 32), verbose=0))
    refuses(model, TypeError, r"y must hold numbers .*dtype object and shape \(32,\)",
            lambda: model.train_on_batch(x, np.array([None] * 32)))
    refuses(model, TypeError, r"x must hold numbers .*dtype complex64 and shape \(32, 8\)",
            lambda: model.predict(x + 1j, verbose=0))
    refuses(model, TypeError, r"x must hold numbers .*dtype <U5 and shape \(\)",
            lambda: model.predict("hello", verbose=0))
    refuses(model, ValueError, r"x must have a batch axis .*got a scalar of shape \(\)",
            lambda: model.predict_on_batch(3.0))
    refuses(model, ValueError, r"y could not be made into one array \(list\)",
            lambda: model.fit(x, [[1, 2], [3]], verbose=0))
    assert_trains_like(model, twin, x, y)


# ------------------------------------------------------------------ lengths
def test_arrays_of_different_lengths_are_refused():
    x, y = blobs()
    model, twin = twins(x=x, y=y)
    mismatch = r"Data cardinality is ambiguous: x sizes: 32, y sizes: 30 \(x shapes: \(32, 8\), y shapes: \(30,\)\)"
    refuses(model, ValueError, mismatch, lambda: model.train_on_batch(x, y[:30]))
    refuses(model, ValueError, mismatch, lambda: model.test_on_batch(x, y[:30]))
    refuses(model, ValueError, mismatch, lambda: model.fit(x, y[:30], verbose=0))
    refuses(model, ValueError, mismatch, lambda: model.evaluate(x, y[:30], verbose=0))
    weights = (r"Data cardinality is ambiguous: x sizes: 32, y sizes: 32, sample_weight sizes: 30 .*"
               r"sample_weight shapes: \(30,\)")
    refuses(model, ValueError, weights, lambda: model.train_on_batch(x, y, sample_weight=np.ones(30)))
    refuses(model, ValueError, weights, lambda: model.fit(x, y, sample_weight=np.ones(30), verbose=0))
    refuses(model, ValueError, weights, lambda: model.evaluate(x, y, sample_weight=np.ones(30), verbose=0))
    refuses(model, ValueError, r"sample_weight must hold one weight per sample, shape \(N,\) or \(N, 1\), got "
            r"shape \(32, 3\)", lambda: model.fit(x, y, sample_weight=np.ones((32, 3)), verbose=0))
    # (N, 1) weights are per-sample weights too
    column = model.test_on_batch(x, y, sample_weight=np.linspace(0, 1, 32)[:, None])
    assert column == model.test_on_batch(x, y, sample_weight=np.linspace(0, 1, 32))
    assert_trains_like(model, twin, x, y)


def test_missing_and_empty_data_are_refused():
    x, y = blobs()
    model, twin = twins(x=x, y=y)
    refuses(model, ValueError, r"fit\(\) needs x, the model's inputs.*got x=None \(y has shape \(32,\)\)",
            lambda: model.fit(None, y, verbose=0))
    refuses(model, ValueError, r"predict\(\) needs x.*got x=None", lambda: model.predict(None, verbose=0))
    refuses(model, ValueError, r"evaluate\(\) received no samples: x has shape \(0, 8\)",
            lambda: model.evaluate(x[:0], y[:0], verbose=0))
    refuses(model, ValueError, r"fit\(\) received no samples: x has shape \(0, 8\)",
            lambda: model.fit(x[:0], y[:0], verbose=0))
    refuses(model, ValueError, r"predict\(\) received no samples: x has shape \(0, 8\)",
            lambda: model.predict(x[:0], verbose=0))
    refuses(model, ValueError, r"train_on_batch\(\) received no samples: x has shape \(0, 8\)",
            lambda: model.train_on_batch(x[:0], y[:0]))
    refuses(model, ValueError, r"fit\(\) needs targets: .*got y=None for x of shape \(32, 8\)",
            lambda: model.fit(x, verbose=0))
    refuses(model, ValueError, r"train_on_batch\(\) needs targets y; got y=None for x of shape \(32, 8\)",
            lambda: model.train_on_batch(x))
    refuses(model, ValueError, r"Input 'input_\d+' of model '.*' expects arrays of shape \(None, 8\), got "
            r"\(32, 7\)", lambda: model.train_on_batch(x[:, :7], y))
    assert_trains_like(model, twin, x, y)


# ------------------------------------------------------------- class weights
def test_class_weight_keys_must_be_integer_class_indices():
    x, y = blobs()
    model, twin = twins(x=x, y=y)
    refuses(model, TypeError, r"class_weight keys must be integer class indices, got 'a' \(str\) in \{'a': 1\}",
            lambda: model.fit(x, y, class_weight={"a": 1}, verbose=0))
    refuses(model, TypeError, r"class_weight keys must be integer class indices, got 0\.5 \(float\)",
            lambda: model.train_on_batch(x, y, class_weight={0.5: 1.0}))
    refuses(model, TypeError, r"class_weight values must be numbers, got 'heavy' for class 0",
            lambda: model.fit(x, y, class_weight={0: "heavy"}, verbose=0))
    refuses(model, TypeError, r"class_weight must be a dict mapping integer class indices to weights, got list",
            lambda: model.fit(x, y, class_weight=[1.0, 2.0, 3.0], verbose=0))
    assert_trains_like(model, twin, x, y, class_weight={0: 1.0, 1: 2.0, np.int64(2): 0.5})


def test_class_weight_follows_keras_for_negative_labels_and_several_outputs():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((16, 4)).astype(np.float32)
    y = np.where(x[:, :1] > 0, 1.0, -1.0).astype(np.float32)   # hinge labels are -1 and 1
    inputs = Input(shape=(4,))
    model = Model(inputs, Dense(1, activation="tanh")(inputs))
    model.compile(optimizer="sgd", loss="hinge")
    weighted = model.test_on_batch(x, y, sample_weight=(y[:, 0] > 0).astype(np.float32) * 3.0)
    # the loss train_on_batch reports is that of the batch before the step
    clone = Model.from_config(model.get_config())
    clone.set_weights(model.get_weights())
    clone.compile(optimizer="sgd", loss="hinge")
    assert clone.train_on_batch(x, y, class_weight={-1: 0.0, 1: 3.0}) == pytest.approx(weighted)

    outputs = [Dense(3, activation="softmax", name="a")(inputs), Dense(3, activation="softmax", name="b")(inputs)]
    two = Model(inputs, outputs)
    two.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    labels = rng.integers(0, 3, 16)
    refuses(two, ValueError, r"class_weight is only supported for models with a single output; this one has 2",
            lambda: two.fit(x, [labels, labels], class_weight={0: 2.0}, verbose=0))


# -------------------------------------------------------- targets vs outputs
def test_mse_target_of_one_value_per_sample_for_a_three_column_output_is_refused():
    # Keras 3 squeezes or expands a last axis of size 1 only; (32,) against
    # (32, 3) then fails to broadcast in mean_squared_error (or, for a batch
    # of 3, broadcasts into a wrong (3, 3) loss).  Here it is refused up front.
    x, labels = blobs()
    targets = np.eye(3, dtype=np.float32)[labels]
    model, twin = twins(build=lambda: mlp(activation="linear"), loss="mse", x=x, y=targets)
    refuses(model, ValueError, r"y for output 'dense_\d+' has shape \(32,\), which does not fit the output's "
            r"shape \(None, 3\) for the loss mean_squared_error: pass one target per output value, shape "
            r"\(32, 3\)", lambda: model.fit(x, labels.astype(np.float32), verbose=0))
    refuses(model, ValueError, r"has shape \(3,\), which does not fit the output's shape \(None, 3\)",
            lambda: model.train_on_batch(x[:3], labels[:3].astype(np.float32)))
    refuses(model, ValueError, r"has shape \(32, 3, 2\), which does not fit the output's shape \(None, 3\)",
            lambda: model.fit(x, np.ones((32, 3, 2), np.float32), verbose=0))
    # a (32, 1) column against (32, 3) broadcasts in Keras 3 (same rank): allowed, as there
    model.test_on_batch(x, labels[:, None].astype(np.float32))
    assert_trains_like(model, twin, x, targets)


def test_mse_pairs_a_vector_with_a_one_column_output_as_keras():
    x, labels = blobs()
    y = labels.astype(np.float32)
    model, twin = twins(build=lambda: mlp(classes=1, activation="linear"), loss="mse", x=x, y=y)
    vector = model.test_on_batch(x, y)
    assert vector == model.test_on_batch(x, y[:, None])
    assert_trains_like(model, twin, x, y)


def test_wrong_number_of_targets_is_refused():
    x, labels = blobs()
    inputs = Input(shape=(8,))
    outputs = [Dense(3, activation="softmax", name="a")(inputs), Dense(1, name="b")(inputs)]
    model = Model(inputs, outputs)
    model.compile(optimizer="sgd", loss=["sparse_categorical_crossentropy", "mse"])
    refuses(model, ValueError, r"The model has 2 output\(s\) but fit\(\) was given 1 target array\(s\) y "
            r"\(shapes \(32,\)\)", lambda: model.fit(x, labels, verbose=0))
    refuses(model, ValueError, r"y for output 'a' \(shape \(32,\)\) holds 0\.5 at index",
            lambda: model.fit(x, [np.where(np.arange(32) == 0, 0.5, labels), labels * 1.0], verbose=0))
    model.fit(x, [labels, labels * 1.0], verbose=0)


# ---------------------------------------------- generators, subclassed, eager
def test_batches_from_a_sequence_are_checked_before_their_step():
    x, y = blobs()
    model, twin = twins(x=x, y=y)

    class Batches(kerasette.utils.Sequence):
        def __init__(self, labels):
            super().__init__()
            self.labels = labels

        def __len__(self):
            return 2

        def __getitem__(self, index):
            return x[index * 16:(index + 1) * 16], self.labels[index * 16:(index + 1) * 16]

    refuses(model, ValueError, r"holds .* at index 0, but sparse_categorical_crossentropy needs integer",
            lambda: model.fit(Batches(y + 0.5), verbose=0))
    refuses(model, TypeError, r"y must hold numbers .*shape \(16,\)",
            lambda: model.evaluate(Batches(y.astype(str)), verbose=0))

    def mismatched():
        while True:
            yield x[:16], y[:15]

    refuses(model, ValueError, r"x sizes: 16, y sizes: 15",
            lambda: model.fit(mismatched(), steps_per_epoch=2, verbose=0))
    assert_trains_like(model, twin, x, y)


def test_subclassed_and_eager_models_are_checked_too():
    x, y = blobs()

    class Net(Model):
        def __init__(self):
            super().__init__()
            self.hidden = Dense(16, activation="relu")
            self.out = Dense(3, activation="softmax")

        def call(self, inputs):
            return self.out(self.hidden(inputs))

    for run_eagerly in (False, True):
        model, twin = twins(build=Net, x=x, y=y, run_eagerly=run_eagerly)
        refuses(model, ValueError, r"y for output 'output' \(shape \(32,\)\) holds .* sparse_categorical_cross",
                lambda: model.fit(x, y + 0.5, verbose=0))
        refuses(model, ValueError, r"y for output 'output' has shape \(32, 2\), but sparse_categorical_crossentropy expects "
                r"class indices of shape \(None,\)", lambda: model.train_on_batch(x, np.ones((32, 2))))
        assert_trains_like(model, twin, x, y)
    # and a subclassed model checked before its first step ever ran
    fresh = Net()
    fresh.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match=r"holds .* at index 0, but sparse_categorical_crossentropy"):
        fresh.fit(x, y + 0.5, verbose=0)
    assert fresh.optimizer.iterations.numpy() == 0

    functional, twin = twins(x=x, y=y, run_eagerly=True)
    refuses(functional, TypeError, r"y must hold numbers", lambda: functional.fit(x, y.astype(str), verbose=0))
    assert_trains_like(functional, twin, x, y)


def test_a_sequential_without_an_input_shape_is_checked_and_then_trains():
    x, y = blobs()
    for run_eagerly in (False, True):
        model = kerasette.Sequential([Dense(16, activation="relu"), Dense(3, activation="softmax")])
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", run_eagerly=run_eagerly)
        with pytest.raises(ValueError, match=r"y for output 'dense_\d+' \(shape \(32,\)\) holds 0\.5 at index"):
            model.fit(x, np.where(np.arange(32) == 0, 0.5, y), verbose=0)
        assert model.optimizer.iterations.numpy() == 0
        losses = model.fit(x, y, epochs=5, verbose=0).history["loss"]
        assert losses[-1] < losses[0]


def test_validation_split_needs_arrays():
    x, y = blobs()
    model, twin = twins(x=x, y=y)

    def batches():
        while True:
            yield x[:16], y[:16]

    refuses(model, ValueError, r"validation_split is only supported for arrays, not for a generator as x",
            lambda: model.fit(batches(), steps_per_epoch=2, validation_split=0.2, verbose=0))
    # with validation_data given, validation_split is ignored (as in Keras), but still a fraction
    refuses(model, ValueError, r"validation_split must be in \[0, 1\), got 2",
            lambda: model.fit(x, y, validation_data=(x, y), validation_split=2, verbose=0))
    assert_trains_like(model, twin, x, y, validation_data=(x, y), validation_split=0.99)


# --------------------------------------------------------------- NaN and inf
@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
def test_nan_and_inf_in_the_data_train_as_in_keras(capsys):
    # Keras does not refuse NaN or inf: training proceeds and TerminateOnNaN stops it
    x, labels = blobs(64)
    targets = np.eye(3, dtype=np.float32)[labels]
    with_nan = x.copy()
    with_nan[20, 0] = np.nan                          # sample 20 sits in batch 2 of 8
    model = mlp(activation="linear")
    model.compile(optimizer="sgd", loss="mse")
    history = model.fit(with_nan, targets, epochs=3, batch_size=8, shuffle=False, verbose=0)
    assert np.isnan(history.history["loss"]).all()
    assert np.isnan(model.get_weights()[0]).any()

    model = mlp(activation="linear")
    model.compile(optimizer="sgd", loss="mse")
    with_inf = targets.copy()
    with_inf[44, 1] = np.inf                          # batch 5
    history = model.fit(x, with_inf, epochs=3, batch_size=8, shuffle=False, verbose=0,
                        callbacks=[kerasette.callbacks.TerminateOnNaN()])
    assert "Batch 5: Invalid loss, terminating training" in capsys.readouterr().out
    assert len(history.epoch) == 1

    model = mlp()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    predictions = model.predict(with_nan, verbose=0)
    assert np.isnan(predictions[20]).all() and np.isfinite(np.delete(predictions, 20, axis=0)).all()
    assert np.isnan(model.evaluate(with_nan, labels, verbose=0))
    with pytest.raises(RuntimeError):
        model.fit(with_nan, labels, batch_size=8, shuffle=False, verbose=0,
                  callbacks=[kerasette.callbacks.TerminateOnNaN(raise_error=True)])

