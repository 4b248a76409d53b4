"""Dtype policies and mixed precision: ``kerasette.dtype_policies``, ``kerasette.mixed_precision``
and layers' ``dtype=`` (a policy, its name or a Keras 3 record).

Checked against Keras 3.15's behaviour: policy names and dtypes, the global
policy, layer ``dtype``/``compute_dtype``/``variable_dtype``, mixed_float16
layers computing in float16 on float32 weights (numbers against numpy in
float16, gradients reaching the float32 variables), compiled training equal
to eager training under a mixed policy, and configs written as Keras 3 does.
"""
import numpy as np
import pytest

from kerasette import Tensor, backend, dtype_policies, layers, mixed_precision, models, optimizers

RNG = np.random.default_rng(21)


@pytest.fixture(autouse=True)
def _fresh_policy():
    backend.clear_session()
    dtype_policies.set_dtype_policy(None)
    yield
    dtype_policies.set_dtype_policy(None)


@pytest.mark.parametrize("name, compute, variable", [
    ("float32", "float32", "float32"), ("float64", "float64", "float64"),
    ("float16", "float16", "float16"), ("mixed_float16", "float16", "float32"),
])
def test_policy_names_give_keras3s_dtypes(name, compute, variable):
    policy = dtype_policies.DTypePolicy(name)
    assert (policy.name, policy.compute_dtype, policy.variable_dtype) == (name, compute, variable)
    assert policy.quantization_mode is None
    assert dtype_policies.serialize(policy) == {"module": "keras", "class_name": "DTypePolicy",
                                                "config": {"name": name}, "registered_name": None}
    assert dtype_policies.deserialize(dtype_policies.serialize(policy)) == policy
    assert dtype_policies.get(name) == policy
    layer = layers.Dense(2, dtype=name)
    assert (layer.dtype, layer.compute_dtype, layer.variable_dtype) == (variable, compute, variable)
    assert layer.dtype_policy == policy
    layer.build((None, 3))
    assert layer.kernel.dtype == variable
    assert layer.get_config()["dtype"] == name


def test_bad_policies_and_aliases():
    with pytest.raises(TypeError, match="'name' must be a string"):
        dtype_policies.DTypePolicy(3)
    with pytest.raises(ValueError, match="Cannot convert 'mixed_int8'"):
        dtype_policies.DTypePolicy("mixed_int8")
    with pytest.raises(ValueError, match="Invalid `policy` argument"):
        dtype_policies.set_dtype_policy(3.0)
    assert issubclass(dtype_policies.FloatDTypePolicy, dtype_policies.DTypePolicy)
    assert mixed_precision.Policy is dtype_policies.DTypePolicy
    assert mixed_precision.global_policy is dtype_policies.dtype_policy
    assert mixed_precision.LossScaleOptimizer is optimizers.LossScaleOptimizer
    policies = dtype_policies.DTypePolicyMap("float16", {"dense/kernel": "mixed_float16"})
    assert policies["dense/kernel"].compute_dtype == "float16"
    assert policies["anything"].name == "float16"
    again = dtype_policies.deserialize(dtype_policies.serialize(policies))
    assert dict(again) == dict(policies)
    with pytest.raises(ValueError, match="already exists"):
        policies["dense/kernel"] = "float32"


def test_global_policy_reaches_new_layers_only():
    before = layers.Dense(2)
    mixed_precision.set_global_policy("mixed_float16")
    assert mixed_precision.global_policy().name == "mixed_float16"
    after = layers.Dense(2)
    assert before.compute_dtype == "float32"
    assert (after.compute_dtype, after.variable_dtype) == ("float16", "float32")
    assert layers.Dense(2, dtype="float64").dtype == "float64"
    mixed_precision.set_global_policy(None)
    assert layers.Dense(2).dtype_policy.name == backend.floatx()


def test_keras3_dtype_records_are_accepted_by_layers():
    record = {"module": "keras", "class_name": "DTypePolicy",
              "config": {"name": "mixed_float16"}, "registered_name": None}
    assert layers.Dense(2, dtype=record).compute_dtype == "float16"
    # a policy kerasette does not model (Keras' quantized ones) falls back to its name
    quantized = {"class_name": "QuantizedDTypePolicy", "config": {"name": "float32"}}
    assert layers.Dense(2, dtype=quantized).dtype == "float32"
    layer = layers.Dense(2)
    layer.dtype_policy = "float64"
    assert layer.dtype == "float64" and layer.compute_dtype == "float64"


def test_mixed_float16_dense_computes_in_float16_on_float32_weights():
    x = RNG.normal(size=(4, 5)).astype(np.float32)
    dense = layers.Dense(3, activation="relu", dtype="mixed_float16")
    y = dense(x)
    assert y.dtype == np.float16 and dense.kernel.dtype == "float32"
    kernel, bias = dense.kernel.numpy(), dense.bias.numpy()
    expected = np.maximum(x.astype(np.float16) @ kernel.astype(np.float16)
                          + bias.astype(np.float16), 0)
    np.testing.assert_allclose(y.astype(np.float32), expected.astype(np.float32), rtol=2e-3,
                               atol=2e-3)
    # the weights stay the layer's Variables after the call, and gradients reach them in float32
    assert dense.kernel is dense.weights[0]
    inputs = Tensor(x, requires_grad=True)
    dense(inputs).sum().backward()
    assert dense.kernel.grad.dtype == np.float32 and inputs.grad.dtype == np.float32
    mask = (expected > 0).astype(np.float32)
    np.testing.assert_allclose(dense.kernel.grad, x.T @ mask, rtol=2e-3, atol=2e-3)


def test_float_policies_cast_their_inputs_and_floatx_layers_do_not():
    assert layers.Dense(2, dtype="float16")(np.ones((1, 3), np.float32)).dtype == np.float16
    assert layers.Dense(2, dtype="float64")(np.ones((1, 3), np.float32)).dtype == np.float64
    # a floatx (float32) layer leaves float64 inputs as they come (kerasette's long-standing rule)
    assert layers.Dense(2)(np.ones((1, 3), np.float64)).dtype == np.float64


def test_mixed_model_trains_the_same_compiled_and_eagerly_under_a_loss_scale_optimizer():
    x = RNG.normal(size=(16, 6)).astype(np.float32)
    y = RNG.normal(size=(16, 2)).astype(np.float32)
    results = []
    for eager in (False, True):
        backend.clear_session()
        mixed_precision.set_global_policy("mixed_float16")
        model = models.Sequential([layers.Input((6,)), layers.Dense(8, activation="tanh"),
                                   layers.Dense(2, dtype="float32")])
        mixed_precision.set_global_policy(None)
        model.set_weights([np.full(w.shape, 0.05 * (i + 1), np.float32)
                           for i, w in enumerate(model.get_weights())])
        optimizer = mixed_precision.LossScaleOptimizer(optimizers.SGD(0.1))
        model.compile(optimizer=optimizer, loss="mse", run_eagerly=eager)
        history = model.fit(x, y, batch_size=8, epochs=2, verbose=0, shuffle=False)
        assert [w.dtype for w in model.get_weights()] == ["float32"] * 4
        assert model.predict(x, verbose=0).dtype == np.float32
        assert model.layers[0].compute_dtype == "float16"
        # four finite steps: counted, the scale unchanged (it doubles after 2000)
        assert int(optimizer.step_counter.numpy()) == 4
        assert float(optimizer.dynamic_scale.numpy()) == 2.0 ** 15
        assert int(optimizer.iterations.numpy()) == 4
        results.append((history.history["loss"], model.get_weights()))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-3)
    for compiled, eager in zip(results[0][1], results[1][1]):
        np.testing.assert_allclose(compiled, eager, rtol=1e-3, atol=1e-5)


def test_keras3_config_of_a_mixed_layer_round_trips():
    from kerasette.saving import deserialize_keras_object, serialize_keras_object
    layer = layers.Dense(2, dtype="mixed_float16")
    record = serialize_keras_object(layer)
    assert record["config"]["dtype"] == {"module": "keras", "class_name": "DTypePolicy",
                                         "config": {"name": "mixed_float16"},
                                         "registered_name": None}
    # reading Keras configs (layers/config_compat.py) still turns mixed policies into float32,
    # with a warning: the layer loads and computes in float32
    with pytest.warns(UserWarning, match="mixed precision policy 'mixed_float16'"):
        restored = deserialize_keras_object(record)
    assert (restored.compute_dtype, restored.variable_dtype) == ("float32", "float32")
    assert layers.Dense.from_config(layer.get_config()).compute_dtype == "float16"


def test_bfloat16_policies_with_ml_dtypes():
    pytest.importorskip("ml_dtypes")
    mixed = layers.Dense(3, dtype="mixed_bfloat16")
    out = mixed(np.ones((2, 4), np.float32))
    assert str(out.dtype) == "bfloat16" and mixed.kernel.dtype == "float32"
    plain = layers.Dense(3, dtype="bfloat16")
    assert str(plain(np.ones((2, 4), np.float32)).dtype) == "bfloat16"
    assert str(plain.kernel.dtype) == "bfloat16"


@pytest.mark.parametrize("layer_name", ["LSTM", "GRU", "SimpleRNN", "Bidirectional"])
def test_recurrent_layers_compute_in_float16_under_mixed_float16(layer_name):
    """Keras 3: a recurrent layer under mixed_float16 outputs float16 (its cell's kernels are read
    in float16, the float32 variables stay float32) and agrees with float32 to float16's precision."""
    import kerasette
    rng = np.random.default_rng(3)
    x = rng.normal(size=(2, 5, 4)).astype("float32")

    def make():
        if layer_name == "Bidirectional":
            return kerasette.layers.Bidirectional(kerasette.layers.LSTM(3))
        return getattr(kerasette.layers, layer_name)(3)

    reference = make()
    expected = np.asarray(reference(x))
    kerasette.mixed_precision.set_global_policy("mixed_float16")
    try:
        mixed = make()
        mixed.build(x.shape)
        mixed.set_weights(reference.get_weights())
        out = mixed(x)
        symbolic = make()(kerasette.Input((5, 4)))
    finally:
        kerasette.mixed_precision.set_global_policy(None)
    assert out.dtype == np.float16 and symbolic.dtype == np.float16
    assert all(w.dtype == np.float32 for w in mixed.weights)
    np.testing.assert_allclose(np.asarray(out, "float32"), expected, atol=5e-3)
