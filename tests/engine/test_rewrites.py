"""The schedule rewrites (engine/rewrites.py): the same bits for less work."""
import numpy as np
import pytest

from kerasette import Input, Model, engine, ops
from kerasette.engine import compiler
from kerasette.layers import Conv2D, Dense, Flatten, MaxPooling1D, MaxPooling2D


def seed_cnn():
    inputs = Input(shape=(28, 28, 1))
    x = MaxPooling2D()(Conv2D(10, 5, activation="relu")(inputs))
    x = MaxPooling2D(padding="same")(Conv2D(20, 5, activation="relu")(x))
    return Model(inputs, Dense(10, activation="softmax")(Flatten()(x)))


def program_of(model, kind):
    return next(p for key, p in model._programs.items() if key[0] == kind)


def test_pooling_moves_before_the_bias_and_relu_with_the_same_bits(monkeypatch):
    model = seed_cnn()
    x = np.random.default_rng(0).standard_normal((9, 28, 28, 1)).astype("float32")
    rewritten = model.predict_on_batch(x)
    program = program_of(model, "predict")
    program = getattr(program, "program", program)
    assert program.rewrites == 4                       # two layers, each: relu then the bias add
    names = [step[0].__self__.name for step in program.steps]
    first = names.index("max_pool")
    assert names[first - 1] == "conv" and names[first + 1:first + 3] == ["add", "relu"]
    monkeypatch.setattr(compiler, "pool_first", lambda steps, nodes, kept: 0)
    plain = seed_cnn()
    plain.set_weights(model.get_weights())
    reference = plain.predict_on_batch(x)
    assert getattr(program_of(plain, "predict"), "program", program_of(plain, "predict")).rewrites == 0
    np.testing.assert_array_equal(rewritten, reference)


def test_not_where_the_values_are_read_elsewhere():
    # a training program: the gradients read the relu's output
    model = seed_cnn()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    model.train_on_batch(np.zeros((4, 28, 28, 1), "float32"), np.zeros(4, "int64"))
    step = program_of(model, "train")
    step = getattr(step, "step", step)
    assert step.rewrites == 0
    # the relu's output is an output of the model too
    inputs = Input(shape=(6, 6, 2))
    features = Conv2D(3, 3, activation="relu")(inputs)
    both = Model(inputs, [features, MaxPooling2D()(features)])
    x = np.random.default_rng(1).standard_normal((2, 6, 6, 2)).astype("float32")
    full, pooled = both.predict_on_batch(x)
    program = program_of(both, "predict")
    assert getattr(program, "program", program).rewrites == 0
    np.testing.assert_array_equal(pooled, full.reshape(2, 2, 2, 2, 2, 3).max(axis=(2, 4)))


@pytest.mark.parametrize("bias_shape, moved", [((3,), 2), ((1, 1, 3), 2), ((4, 1, 3), 1), ((1, 4, 3), 1)])
def test_a_bias_moves_only_when_it_is_the_same_along_the_pooled_axes(bias_shape, moved):
    x = engine.placeholder("float32", (None, 4, 4, 3))
    bias = engine.constant(np.random.default_rng(2).standard_normal(bias_shape).astype("float32"))
    pooled = ops.max_pool(ops.relu(x + bias), 2)
    program = engine.Program([pooled], [x])
    assert program.rewrites == moved
    value = np.random.default_rng(3).standard_normal((2, 4, 4, 3)).astype("float32")
    expected = np.maximum(value + bias.value, 0).reshape(2, 2, 2, 2, 2, 3).max(axis=(2, 4))
    np.testing.assert_array_equal(program(value)[0], expected)


def test_one_dimensional_pooling_and_integers():
    inputs = Input(shape=(8, 4))
    x = engine.placeholder("int32", (None, 6, 6, 2))
    program = engine.Program([ops.max_pool(ops.relu(x + engine.constant(np.int32([1, 2]))), 2)], [x])
    assert program.rewrites == 0                       # integer adds may wrap around
    model = Model(inputs, MaxPooling1D()(Dense(4, activation="relu")(inputs)))
    value = np.random.default_rng(4).standard_normal((3, 8, 4)).astype("float32")
    result = model.predict_on_batch(value)
    program = program_of(model, "predict")
    assert getattr(program, "program", program).rewrites == 2
    weights = model.get_weights()
    expected = np.maximum(value @ weights[0] + weights[1], 0).reshape(3, 4, 2, 4).max(axis=2)
    np.testing.assert_allclose(result, expected, rtol=1e-6)
