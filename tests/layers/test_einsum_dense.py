"""EinsumDense and Identity against real Keras 3 (keras_dense_norm.npz), and their own behaviour."""
from __future__ import annotations

import numpy as np
import pytest

from kerasette import Tensor, backend, ops
from kerasette.layers import Dense, EinsumDense, Identity, Input
from kerasette.layers.einsum_dense import analyze_equation
from kerasette.models import Model

from .dense_norm_fixture import (DATA, cases, check_eager_gradients, check_graph_gradients, check_output,
                                 check_shapes_weights_and_config, json_of)

CASES = cases(["ed_", "identity"])


@pytest.fixture(autouse=True)
def fresh_session():
    backend.clear_session()
    yield


@pytest.mark.parametrize("mode", ["graph", "eager", "arrays"])
@pytest.mark.parametrize("case", CASES)
def test_output_matches_keras(case, mode):
    check_output(case, mode)


@pytest.mark.parametrize("case", CASES)
def test_eager_gradients_match_keras(case):
    check_eager_gradients(case)


@pytest.mark.parametrize("case", CASES)
def test_graph_gradients_match_keras(case):
    check_graph_gradients(case)


@pytest.mark.parametrize("case", CASES)
def test_shapes_weights_and_config_match_keras(case):
    check_shapes_weights_and_config(case)


def test_fixture_covers_the_equation_forms():
    equations = {json_of(c, "config")["equation"] for c in CASES if c.startswith("ed_")}
    assert {"ab,bc->ac", "abc,cd->abd", "abc,cde->abde", "...b,bc->...c", "abcd,cde->abe",
            "ab...,bc->ac...", "abc,bcd->ad"} <= equations


def test_equation_analysis_as_keras():
    # kernel, bias, full output shape, contracted kernel axes, free kernel axes
    assert analyze_equation("abc,cde->abde", "de", (None, 3, 4), (None, 3, 5)) == (
        [4, 3, 5], [3, 5], [None, None, 3, 5], [0], [1, 2])
    assert analyze_equation("abc,cde->abde", "d", (None, 3, 4), (None, 3, 5))[1] == [3, 1]
    assert analyze_equation("...b,bc->...c", "c", (None, 7, 2, 4), 5)[2] == [None, 7, 2, 5]
    assert analyze_equation("ab...,bc->ac...", "c", (None, 4, 3, 2), (5,))[1:3] == ([5, 1, 1], [None, 5, 3, 2])
    with pytest.raises(ValueError, match="Invalid einsum equation"):
        analyze_equation("ab,bc,cd->ad", None, (None, 3), 4)
    with pytest.raises(ValueError, match="Weight dimension 'd' did not have a match"):
        analyze_equation("abc,cde->abe", None, (None, 3, 4), (3, 2))
    with pytest.raises(ValueError, match="Bias dimension 'x' was requested"):
        analyze_equation("ab,bc->ac", "x", (None, 3), 4)
    with pytest.raises(ValueError, match="do not match at shared dimension 'b'"):
        analyze_equation("abc,cd->abd", None, (None, 3, 4), (7, 5))


def test_lora_and_quantization_only_at_their_defaults():
    EinsumDense("ab,bc->ac", 3, lora_rank=None, lora_alpha=None, quantization_config=None)
    with pytest.raises(NotImplementedError, match="lora_rank"):
        EinsumDense("ab,bc->ac", 3, lora_rank=4)


def test_initializer_fans_follow_the_equation():
    # a (4, 2, 64) kernel of "abc,cde->abde": fan_in 4, fan_out 128 (not the conv rule's 8 and 256)
    layer = EinsumDense("abc,cde->abde", (None, 2, 64), kernel_initializer="glorot_uniform")
    layer.build((None, 3, 4))
    limit = np.sqrt(6.0 / (4 + 128))
    kernel = layer.kernel.numpy()
    assert kernel.shape == (4, 2, 64) and np.abs(kernel).max() <= limit
    assert np.abs(kernel).max() > 0.8 * limit


def test_same_as_dense_for_a_matrix_equation_and_trains_compiled():
    x = np.random.default_rng(0).normal(size=(8, 5)).astype("float32")
    y = np.random.default_rng(1).normal(size=(8, 3)).astype("float32")
    inputs = Input(shape=(5,))
    einsum = EinsumDense("ab,bc->ac", 3, bias_axes="c", activation="relu")
    dense = Dense(3, activation="relu")
    model_a, model_b = Model(inputs, einsum(inputs)), Model(inputs, dense(inputs))
    model_b.set_weights(model_a.get_weights())
    np.testing.assert_allclose(model_a.predict(x, verbose=0), model_b.predict(x, verbose=0), rtol=1e-6)
    for model in (model_a, model_b):
        model.compile("sgd", "mse")
        model.fit(x, y, epochs=2, batch_size=4, shuffle=False, verbose=0)
    np.testing.assert_allclose(model_a.get_weights()[0], model_b.get_weights()[0], rtol=1e-5, atol=1e-6)


def test_identity_passes_inputs_and_masks():
    layer = Identity()
    assert layer.built and layer.weights == []
    x = Tensor(np.ones((2, 3), "float32"), requires_grad=True)
    ops.sum(layer(x) * 2.0).backward()
    np.testing.assert_array_equal(x.grad, np.full((2, 3), 2.0))
    node = Input(shape=(4,))
    assert tuple(layer(node).shape) == (None, 4)
    assert layer.compute_output_shape((None, 4)) == (None, 4)
    assert layer.supports_masking
    assert DATA["identity.output"].shape == (2, 3)


def test_dense_and_normalization_stack_trains_the_same_compiled_and_eagerly():
    from kerasette.layers import (Flatten, GroupNormalization, LayerNormalization, RMSNormalization,
                                  UnitNormalization)
    rng = np.random.default_rng(4)
    x, y = rng.normal(size=(8, 3, 4)).astype("float32"), rng.normal(size=(8, 2)).astype("float32")

    def build():
        backend.clear_session()
        inputs = Input(shape=(3, 4))
        h = EinsumDense("abc,cde->abde", (None, 2, 3), bias_axes="de")(inputs)
        h = EinsumDense("abcd,cde->abe", (None, 6), bias_axes="e")(h)
        h = GroupNormalization(groups=3)(h)
        h = RMSNormalization()(h)
        h = LayerNormalization(axis=[-2, -1])(h)
        h = UnitNormalization()(Identity()(h))
        return Model(inputs, EinsumDense("ab,bc->ac", 2, bias_axes="c")(Flatten()(h)))

    compiled = build()
    start = compiled.get_weights()
    eager = build()
    eager.set_weights(start)
    for model, run_eagerly in ((compiled, False), (eager, True)):
        model.compile("adam", "mse", run_eagerly=run_eagerly)
        model.fit(x, y, epochs=2, batch_size=4, shuffle=False, verbose=0)
    for a, b, s in zip(compiled.get_weights(), eager.get_weights(), start):
        assert not np.array_equal(a, s)
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
