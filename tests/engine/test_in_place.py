"""The in-place rewrite (engine/rewrites.py ``in_place``): elementwise ops write into an
input array that nothing else reads or holds, with the same bits, and never into one
that something does (a fetched value, a variable, a fed array, a view of any of them)."""
import numpy as np
import pytest

from kerasette import Input, Model, engine
from kerasette.engine import compiler
from kerasette.engine.rewrites import InPlace
from kerasette.layers import Conv2D, Dense, Flatten, MaxPooling2D
from kerasette.primitives.base import get


def apply(name, *inputs, **attrs):
    return engine.apply(get(name), *inputs, **attrs)


@pytest.fixture
def no_in_place(monkeypatch):
    """Runs with the rewrite off: an input is never taken as held by the program alone."""
    def switch_off():
        monkeypatch.setattr(InPlace, "alone", -1)
    return switch_off


def test_calibrated_count_is_what_a_slot_alone_gives():
    # an array in one slot of the program's value list, passed through the step's call,
    # is written into; the same with one more reference held elsewhere is not
    assert InPlace.alone is not None and InPlace.alone >= 2
    negative = get("negative")
    for extra_reference in (False, True):
        taken = []

        class Spy:
            name = "negative"
            forward = negative.forward

            def forward_into(self, xp, out, x):
                taken.append(out)
                return negative.forward_into(xp, out, x)

        values = [np.ones(3), None]
        held = values[0] if extra_reference else None
        compiler.Program._run(type("P", (), {"xp": np})(), [(InPlace(Spy(), (0,)), (0,), {}, 1, ())], values)
        np.testing.assert_array_equal(values[1], [-1.0, -1.0, -1.0])
        assert len(taken) == (0 if extra_reference else 1)
        if extra_reference:
            np.testing.assert_array_equal(held, [1.0, 1.0, 1.0])


def test_bias_add_and_relu_write_into_the_product():
    x = engine.placeholder("float32", (None, 4))
    w = engine.Variable(np.arange(12, dtype=np.float32).reshape(4, 3) - 5)
    b = engine.Variable(np.array([-1.0, 0.5, 2.0], np.float32))
    product = apply("matmul", x, w)
    out = apply("relu", apply("add", product, b))
    program = engine.Program([out], [x])
    assert program.in_place == 2                  # the add (into the product), the relu (into the sum)
    made = []
    forward = program.steps[1][0].forward_into

    def spy(xp, into, *arrays, **attrs):
        made.append(into)
        return forward(xp, into, *arrays, **attrs)
    program.steps[1][0].forward_into = spy
    data = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)
    (result,) = program(data)
    expected = np.maximum(data @ w.numpy() + b.numpy(), 0)
    np.testing.assert_array_equal(result, expected)
    assert len(made) == 1 and made[0].shape == (5, 3)
    # the weights and the feed are untouched
    np.testing.assert_array_equal(b.numpy(), [-1.0, 0.5, 2.0])
    assert np.array_equal(data, np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32))


def test_fetched_values_are_never_overwritten():
    x = engine.placeholder("float32", (3,))
    total = apply("add", apply("multiply", x, x), x)
    out = apply("relu", total)
    program = engine.Program([total, out], [x])
    value = np.array([-3.0, 0.5, 2.0], np.float32)
    fetched_total, fetched_out = program(value)
    np.testing.assert_array_equal(fetched_total, value * value + value)
    np.testing.assert_array_equal(fetched_out, np.maximum(value * value + value, 0))
    assert fetched_total is not fetched_out


def test_never_into_a_variable_a_view_of_one_or_a_fed_array():
    v = engine.Variable(np.array([[1.0, -2.0], [3.0, -4.0]], np.float32))
    flat = apply("reshape", v, shape=(4,))                 # a view of the variable's array
    x = engine.placeholder("float32", (4,))
    same = apply("cast", x, dtype="float32")               # the fed array itself
    out = apply("add", apply("negative", flat), apply("relu", same))
    program = engine.Program([out], [x])
    assert program.in_place >= 2
    fed = np.array([1.0, -1.0, 2.0, -2.0], np.float32)
    (result,) = program(fed)
    np.testing.assert_array_equal(result, [0.0, 2.0, -1.0, 4.0])
    np.testing.assert_array_equal(v.numpy(), [[1.0, -2.0], [3.0, -4.0]])
    np.testing.assert_array_equal(fed, [1.0, -1.0, 2.0, -2.0])


def test_not_when_the_input_would_have_to_grow_or_change_dtype():
    x = engine.placeholder("float32", (None, 1))
    y = engine.placeholder("float32", (None, 3))
    grown = apply("add", apply("negative", x), y)          # (n, 1) + (n, 3): the result is larger
    ints = engine.placeholder("int32", (2,))
    promoted = apply("add", apply("negative", ints), engine.constant(np.float32(0.5)))
    program = engine.Program([grown, promoted], [x, y, ints])
    first, second = program(np.ones((2, 1), np.float32), np.ones((2, 3), np.float32), np.array([1, 2], np.int32))
    np.testing.assert_array_equal(first, np.zeros((2, 3)))
    assert second.dtype == np.float32
    np.testing.assert_array_equal(second, [-0.5, -1.5])


def test_a_boolean_mask_multiplies_in_place_with_the_same_bits(no_in_place):
    x = engine.placeholder("float32", (6,))
    g = engine.placeholder("float32", (6,))
    # relu's gradient: grad * (output > 0), the product written into a copy of grad
    scaled = apply("multiply", g, engine.constant(np.float32(-1.0)))
    out = apply("multiply", scaled, apply("greater", x, engine.constant(np.float32(0.0))))
    program = engine.Program([out], [x, g])
    assert program.in_place == 1              # the first product reads a feed and a constant
    xs = np.array([1.0, -1.0, 0.0, 2.0, -0.0, 3.0], np.float32)
    gs = np.array([1.0, 2.0, -3.0, np.inf, -0.0, np.nan], np.float32)
    (live,) = program(xs, gs)
    no_in_place()
    (plain,) = program(xs, gs)
    assert live.tobytes() == plain.tobytes()
    assert np.signbit(live[1]) and not np.signbit(live[2])    # -2.0 * 0 is -0.0, 3.0 * 0 is +0.0


def seed_cnn():
    inputs = Input(shape=(12, 12, 1))
    x = MaxPooling2D()(Conv2D(4, 3, activation="relu")(inputs))
    x = Dense(8, activation="relu")(Flatten()(x))
    return Model(inputs, Dense(3, activation="softmax")(x))


def test_training_gives_the_same_bits_with_and_without(no_in_place, monkeypatch):
    relu = type(get("relu"))
    taken = []

    def counted(self, xp, out, x):
        taken.append(out.shape)
        return original(self, xp, out, x)
    original = relu.forward_into
    monkeypatch.setattr(relu, "forward_into", counted)
    rng = np.random.default_rng(1)
    data = rng.standard_normal((16, 12, 12, 1)).astype("float32")
    labels = rng.integers(0, 3, 16)
    runs = []
    for live in (True, False):
        if not live:
            no_in_place()
        model = seed_cnn()
        if runs:
            model.set_weights(runs[0][0])
        start = model.get_weights()
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        losses = [model.train_on_batch(data, labels) for _ in range(3)]
        runs.append((start, losses, model.get_weights(), model.predict_on_batch(data)))
    assert taken            # the relus of the first run wrote into their inputs
    (_, losses_a, weights_a, predicted_a), (_, losses_b, weights_b, predicted_b) = runs
    assert losses_a == losses_b
    for a, b in zip(weights_a, weights_b):
        assert a.tobytes() == b.tobytes()
    assert predicted_a.tobytes() == predicted_b.tobytes()
