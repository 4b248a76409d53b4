"""MultiHeadAttention, GroupQueryAttention, Attention, AdditiveAttention and
ops.dot_product_attention against real Keras 3's numbers (keras_attention.npz,
made by tests/fixtures/make_keras_attention_fixtures.py): outputs, attention
scores, masks, and jax's gradients, eager and compiled; configs; a Keras 3
``.weights.h5`` of a model with MultiHeadAttention."""
from __future__ import annotations

import json
import os

import numpy as np
import pytest

from kerasette import Tensor, engine, layers, ops
from kerasette.engine import Session
from kerasette.models import Model

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "fixtures")
DATA = np.load(os.path.join(FIXTURES, "keras_attention.npz"), allow_pickle=False)
CASES = sorted({key.split(".")[0] for key in DATA.files if key.endswith(".spec")})
RTOL, ATOL = 1e-5, 1e-6
GRAD_RTOL, GRAD_ATOL = 1e-4, 1e-5


def spec(case):
    return json.loads(str(DATA[f"{case}.spec"]))


def arrays(case, kind):
    result, i = [], 0
    while f"{case}.{kind}.{i}" in DATA:
        result.append(DATA[f"{case}.{kind}.{i}"])
        i += 1
    return result


def make_model(case, config_override=None):
    s = spec(case)
    shapes = dict((name, tuple(shape)) for name, shape in s["inputs"])
    inputs = {name: layers.Input(shape=shape, name=name) for name, shape in shapes.items()}
    tensors = {name: (layers.Masking(0.0)(x) if name in s["masked"] else x) for name, x in inputs.items()}
    layer = getattr(layers, s["class"])(**(config_override or s["config"]))
    call = dict(s["call"])
    if s["class"] in ("Attention", "AdditiveAttention"):
        args = [tensors["query"], tensors["value"]] + ([tensors["key"]] if "key" in tensors else [])
        outputs = layer(args, **call)
    else:
        if "key" in tensors:
            call["key"] = tensors["key"]
        if "attention_mask" in tensors:
            call["attention_mask"] = tensors["attention_mask"]
        outputs = layer(tensors["query"], tensors["value"], **call)
    outputs = list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]
    model = Model(list(inputs.values()), outputs)
    layer.set_weights(arrays(case, "weights"))
    return model, layer


def float_input_indexes(case):
    return [i for i, (name, _) in enumerate(spec(case)["inputs"]) if name != "attention_mask"]


@pytest.mark.parametrize("case", CASES)
def test_outputs_match_keras(case):
    model, _ = make_model(case)
    outputs = model.predict(arrays(case, "inputs"), verbose=0)
    outputs = outputs if isinstance(outputs, list) else [outputs]
    expected = arrays(case, "outputs")
    assert len(outputs) == len(expected)
    for out, want in zip(outputs, expected):
        assert out.shape == want.shape
        np.testing.assert_allclose(out, want, rtol=RTOL, atol=ATOL, err_msg=case)


@pytest.mark.parametrize("case", CASES)
def test_eager_outputs_and_gradients_match_keras(case):
    model, layer = make_model(case)
    inputs = [Tensor(a, requires_grad=i in float_input_indexes(case)) for i, a in enumerate(arrays(case, "inputs"))]
    outputs = model(inputs)
    outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
    total = None
    for out, want, cot in zip(outputs, arrays(case, "outputs"), arrays(case, "cotangents")):
        np.testing.assert_allclose(out.numpy(), want, rtol=RTOL, atol=ATOL, err_msg=case)
        term = ops.sum(ops.multiply(out, cot))
        total = term if total is None else total + term
    total.backward()
    for i, grad in zip(float_input_indexes(case), arrays(case, "grad_inputs")):
        np.testing.assert_allclose(inputs[i].grad, grad, rtol=GRAD_RTOL, atol=GRAD_ATOL,
                                   err_msg=f"{case}: gradient of input {i}")
    expected = arrays(case, "grad_weights")
    assert len(expected) == len(layer.trainable_weights)
    for weight, grad in zip(layer.trainable_weights, expected):
        np.testing.assert_allclose(np.asarray(weight.grad), grad, rtol=GRAD_RTOL, atol=GRAD_ATOL,
                                   err_msg=f"{case}: gradient of {weight.path}")


@pytest.mark.parametrize("case", CASES)
def test_compiled_gradients_match_keras(case):
    model, layer = make_model(case)
    placeholders = list(model.inputs)
    outputs = model.outputs
    total = None
    for out, cot in zip(outputs, arrays(case, "cotangents")):
        term = ops.sum(ops.multiply(out, cot))
        total = term if total is None else total + term
    wanted = [placeholders[i] for i in float_input_indexes(case)]
    wanted += [engine.variable_from_holder(w) for w in layer.trainable_weights]
    grads = engine.gradients(total, wanted)
    feed = dict(zip(placeholders, arrays(case, "inputs")))
    values = Session().run(grads, feed)
    expected = arrays(case, "grad_inputs") + arrays(case, "grad_weights")
    assert len(values) == len(expected)
    for value, want in zip(values, expected):
        np.testing.assert_allclose(value, want, rtol=GRAD_RTOL, atol=GRAD_ATOL, err_msg=case)


@pytest.mark.parametrize("case", CASES)
def test_weights_config_and_round_trip_match_keras(case):
    _, layer = make_model(case)
    keras_paths = json.loads(str(DATA[f"{case}.paths"]))
    assert [w.shape for w in layer.weights] == [w.shape for w in arrays(case, "weights")]
    # Keras' paths are <layer>/<sublayer>/<weight>; kerasette's are <sublayer>/<weight>
    assert [p.split("/", 1)[1] for p in keras_paths] == [
        w.path if w.path.count("/") == 1 and not w.path.startswith(layer.name + "/") else w.path.split("/", 1)[1]
        for w in layer.weights]
    config = layer.get_config()
    keras_config = spec(case)["layer_config"]
    for key in set(keras_config) - {"name", "dtype"}:
        mine, theirs = config[key], keras_config[key]
        if isinstance(theirs, dict) and "class_name" in theirs:
            from kerasette import initializers
            mine = initializers.serialize(initializers.get(mine)) if not isinstance(mine, dict) else mine
            assert mine["class_name"] == theirs["class_name"], key
            continue
        if isinstance(mine, tuple):
            mine = list(mine)
        assert mine == theirs, f"{case}: {key}: {mine!r} != {theirs!r}"
    assert set(keras_config) - {"name", "dtype"} <= set(config)
    clone = type(layer).from_config(config)
    assert clone.get_config() == {**config, "name": clone.name} or clone.get_config()["name"] == config["name"]
    # a round trip through the record kerasette writes, rebuilt and given the weights
    model, _ = make_model(case, {k: v for k, v in config.items() if k not in ("name", "dtype", "trainable")})
    outputs = model.predict(arrays(case, "inputs"), verbose=0)
    outputs = outputs if isinstance(outputs, list) else [outputs]
    np.testing.assert_allclose(outputs[0], arrays(case, "outputs")[0], rtol=RTOL, atol=ATOL)


def test_fixture_covers_every_layer_and_the_hard_calls():
    classes = {spec(c)["class"] for c in CASES}
    assert classes == {"MultiHeadAttention", "GroupQueryAttention", "Attention", "AdditiveAttention"}
    calls = [spec(c) for c in CASES]
    assert any(s["call"].get("use_causal_mask") for s in calls)
    assert any(s["call"].get("return_attention_scores") for s in calls)
    assert any(s["masked"] for s in calls)
    assert any(s["config"].get("attention_axes") == [1, 2] for s in calls)


# ------------------------------------------------------------- dot_product_attention

DPA_VARIANTS = json.loads(str(DATA["dpa.variants"]))
DPA_KWARGS = {"plain": {}, "mask": {"mask": "mask"}, "causal": {"is_causal": True},
              "bias_mask_scale": {"bias": "bias", "mask": "mask", "scale": 0.3},
              "bias_causal": {"bias": "bias", "is_causal": True}}


def _dpa_kwargs(name):
    return {k: (DATA[f"dpa.{v}"] if isinstance(v, str) else v) for k, v in DPA_KWARGS[name].items()}


@pytest.mark.parametrize("name", DPA_VARIANTS)
def test_dot_product_attention_matches_keras(name):
    q, k, v = DATA["dpa.query"], DATA["dpa.key"], DATA["dpa.value"]
    out = ops.dot_product_attention(q, k, v, **_dpa_kwargs(name))
    np.testing.assert_allclose(out, DATA[f"dpa.{name}.output"], rtol=RTOL, atol=ATOL)
    tensors = [Tensor(a, requires_grad=True) for a in (q, k, v)]
    kwargs = _dpa_kwargs(name)
    bias = None
    if "bias" in kwargs:
        bias = kwargs["bias"] = Tensor(kwargs["bias"], requires_grad=True)
    total = ops.sum(ops.multiply(ops.dot_product_attention(*tensors, **kwargs), DATA["dpa.cotangent"]))
    total.backward()
    for tensor, label in zip(tensors + ([bias] if bias is not None else []), ("query", "key", "value", "bias")):
        np.testing.assert_allclose(tensor.grad, DATA[f"dpa.{name}.grad_{label}"], rtol=GRAD_RTOL,
                                   atol=GRAD_ATOL, err_msg=f"{name}: {label}")


def test_dot_product_attention_in_a_graph_and_its_errors():
    q = layers.Input(shape=(3, 4, 5))
    k = layers.Input(shape=(6, 2, 5))
    out = ops.dot_product_attention(q, k, k, is_causal=True)
    assert out.shape == (None, 3, 4, 5)
    value = Session().run(out, {q: DATA["dpa.query"], k: DATA["dpa.key"]})
    want = ops.dot_product_attention(DATA["dpa.query"], DATA["dpa.key"], DATA["dpa.key"], is_causal=True)
    np.testing.assert_allclose(value, want, rtol=1e-6)
    with pytest.raises(ValueError, match="4D"):
        ops.dot_product_attention(np.ones((2, 3, 4)), np.ones((2, 3, 4)), np.ones((2, 3, 4)))
    with pytest.raises(ValueError, match="TPU"):
        ops.dot_product_attention(DATA["dpa.query"], DATA["dpa.key"], DATA["dpa.value"], attn_logits_soft_cap=2.0)


# ------------------------------------------------------------- Keras 3 weight files

def _file_model():
    inputs = layers.Input(shape=(4, 6))
    x = layers.MultiHeadAttention(num_heads=2, key_dim=3, name="mha")(inputs, inputs)
    return Model(inputs, layers.Dense(3, name="head")(x))


def test_keras3_weights_file_with_multi_head_attention_predicts_keras_numbers(tmp_path):
    model = _file_model()
    model.load_weights(os.path.join(FIXTURES, "keras_attention_mha.weights.h5"))
    out = model.predict(DATA["file.inputs"], verbose=0)
    np.testing.assert_allclose(out, DATA["file.outputs"], rtol=RTOL, atol=ATOL)
    # kerasette writes the same layout back (sublayers under Keras 3's attribute names)
    path = str(tmp_path / "again.weights.h5")
    model.save_weights(path)
    import h5py
    with h5py.File(path, "r") as handle, h5py.File(os.path.join(FIXTURES, "keras_attention_mha.weights.h5"),
                                                   "r") as keras_file:
        def datasets(f):
            found = {}
            f.visititems(lambda n, o: found.__setitem__(n, o.shape) if isinstance(o, h5py.Dataset) else None)
            return found
        assert datasets(handle) == datasets(keras_file)
    again = _file_model()
    again.load_weights(path)
    np.testing.assert_allclose(again.predict(DATA["file.inputs"], verbose=0), DATA["file.outputs"],
                               rtol=RTOL, atol=ATOL)


# ------------------------------------------------------------- behaviour

def test_dropout_draws_fresh_masks_per_compiled_step_and_none_in_inference():
    x = np.random.default_rng(0).standard_normal((2, 4, 6)).astype("float32")
    inputs = layers.Input(shape=(4, 6))
    layer = layers.MultiHeadAttention(num_heads=2, key_dim=3, dropout=0.5, seed=1)
    model = Model(inputs, layer(inputs, inputs))
    first = model(x, training=True)
    second = model(x, training=True)
    assert not np.allclose(first, second)
    np.testing.assert_allclose(model.predict(x, verbose=0), model(x), rtol=1e-6)
    # compiled: one program, run twice, two different masks
    from kerasette.engine import function
    out = layer(inputs, inputs, training=True)
    step = function([inputs], [out])
    a, = step([x])
    b, = step([x])
    assert not np.allclose(a, b)
    for cls in (layers.Attention, layers.AdditiveAttention):
        q = layers.Input(shape=(4, 6))
        out = cls(dropout=0.5, seed=3)([q, q], training=True)
        step = function([q], [out])
        assert not np.allclose(step([x])[0], step([x])[0])


def test_output_carries_the_query_mask_and_mha_needs_a_value():
    x = np.ones((2, 4, 6), "float32")
    x[0, -1] = 0
    inputs = layers.Input(shape=(4, 6))
    masked = layers.Masking(0.0)(inputs)
    out = layers.MultiHeadAttention(num_heads=2, key_dim=3)(masked, masked)
    assert out._keras_mask is not None
    masked_array = layers.Masking(0.0)(x)
    eager = layers.MultiHeadAttention(num_heads=2, key_dim=3)(masked_array, masked_array)
    assert np.asarray(eager._keras_mask).tolist() == [[True, True, True, False], [True] * 4]
    with pytest.raises(TypeError, match="value"):
        layers.MultiHeadAttention(num_heads=2, key_dim=3)(x)
    with pytest.raises(ValueError, match="num_heads"):
        layers.MultiHeadAttention(num_heads=0, key_dim=3)
    with pytest.raises(ValueError, match="score_mode"):
        layers.Attention(score_mode="general")
    with pytest.raises(ValueError, match="divisible"):
        layers.GroupQueryAttention(head_dim=2, num_query_heads=3, num_key_value_heads=2)


def test_model_with_attention_saves_and_loads_as_keras_record(tmp_path):
    from kerasette.saving import load_model
    inputs = layers.Input(shape=(4, 6))
    x = layers.MultiHeadAttention(num_heads=2, key_dim=3, attention_axes=(1,))(inputs, inputs)
    x = layers.Attention(use_scale=True)([x, inputs])
    model = Model(inputs, layers.GroupQueryAttention(head_dim=2, num_query_heads=2, num_key_value_heads=1)(x, x))
    data = np.random.default_rng(1).standard_normal((2, 4, 6)).astype("float32")
    path = str(tmp_path / "m.keras")
    model.save(path)
    again = load_model(path)
    np.testing.assert_allclose(again.predict(data, verbose=0), model.predict(data, verbose=0), rtol=1e-6)


def test_training_a_small_transformer_block_lowers_the_loss():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((32, 5, 8)).astype("float32")
    y = (x.sum(axis=(1, 2)) > 0).astype("float32")[:, None]
    inputs = layers.Input(shape=(5, 8))
    h = layers.MultiHeadAttention(num_heads=2, key_dim=4, dropout=0.1)(inputs, inputs)
    h = layers.GlobalAveragePooling1D()(layers.Add()([inputs, h]))
    model = Model(inputs, layers.Dense(1, activation="sigmoid")(h))
    model.compile(optimizer="adam", loss="binary_crossentropy")
    history = model.fit(x, y, epochs=8, batch_size=8, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]


def _h5_datasets(handle):
    import h5py
    found = {}
    handle.visititems(lambda n, o: found.__setitem__(n, o.shape) if isinstance(o, h5py.Dataset) else None)
    return found


def test_keras3_archive_of_all_four_layers_loads_predicts_and_saves_in_keras_layout(tmp_path):
    import io
    import zipfile

    import h5py

    from kerasette.saving import load_model
    keras_path = os.path.join(FIXTURES, "keras_attention_model.keras")
    model = load_model(keras_path)
    xs = [DATA["model.inputs.0"], DATA["model.inputs.1"]]
    np.testing.assert_allclose(model.predict(xs, verbose=0), DATA["model.outputs"], rtol=RTOL, atol=ATOL)
    path = str(tmp_path / "again.keras")
    model.save(path)

    def contents(archive):
        with zipfile.ZipFile(archive) as z:
            config = json.loads(z.read("config.json"))
            with h5py.File(io.BytesIO(z.read("model.weights.h5")), "r") as handle:
                return config, _h5_datasets(handle)

    (keras_config, keras_weights), (config, weights) = contents(keras_path), contents(path)
    assert weights == keras_weights
    names = [(entry["class_name"], entry.get("build_config")) for entry in config["config"]["layers"]]
    keras_names = [(entry["class_name"], entry.get("build_config")) for entry in keras_config["config"]["layers"]]
    assert [n for n in names if "Attention" in n[0]] == [n for n in keras_names if "Attention" in n[0]]
    again = load_model(path)
    np.testing.assert_allclose(again.predict(xs, verbose=0), DATA["model.outputs"], rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("kwargs", [{}, {"is_causal": True}, {"mask": "mask", "bias": "bias", "scale": 0.7}],
                         ids=["plain", "causal", "mask_bias_scale"])
def test_dot_product_attention_gradients_match_central_differences_in_float64(kwargs):
    """No new primitive: the op composes einsum, where and softmax; its gradient checked
    as the primitive harness checks one (central differences in float64)."""
    from tests.primitives.harness import numeric_gradient
    rng = np.random.default_rng(5)
    q, k, v = (rng.standard_normal(s) for s in ((1, 3, 4, 2), (1, 4, 2, 2), (1, 4, 2, 2)))
    bias = rng.standard_normal((1, 4, 3, 4))
    mask = rng.random((1, 1, 3, 4)) > 0.3
    cot = rng.standard_normal(q.shape)

    def resolve(b):
        return {key: {"mask": mask, "bias": b}.get(value, value) if isinstance(value, str) else value
                for key, value in kwargs.items()}

    def scalar(q, k, v, b):
        return float(np.sum(ops.dot_product_attention(q, k, v, **resolve(b)) * cot))

    tensors = [Tensor(a, requires_grad=True) for a in (q, k, v, bias)]
    total = ops.sum(ops.multiply(ops.dot_product_attention(*tensors[:3], **resolve(tensors[3])), cot))
    total.backward()
    for index, tensor in enumerate(tensors if "bias" in kwargs else tensors[:3]):
        expected = numeric_gradient(scalar, [q, k, v, bias], index, 1e-6)
        np.testing.assert_allclose(tensor.grad, expected, rtol=1e-5, atol=1e-7, err_msg=f"input {index}")


def test_keras_default_names_and_masks_read_when_call_runs_directly():
    assert layers.GroupQueryAttention(head_dim=2, num_query_heads=2, num_key_value_heads=1).name.startswith(
        "grouped_query_attention")
    assert layers.MultiHeadAttention(num_heads=1, key_dim=2).name.startswith("multi_head_attention")
    x = np.random.default_rng(2).standard_normal((2, 4, 6)).astype("float32")
    x[0, -1] = 0.0
    for layer in (layers.MultiHeadAttention(num_heads=2, key_dim=3),
                  layers.GroupQueryAttention(head_dim=2, num_query_heads=2, num_key_value_heads=1)):
        masked = layers.Masking(0.0)(x)
        through_call = layer(masked, masked)
        direct = layer.call(layers.Masking(0.0)(x), layers.Masking(0.0)(x))
        unmasked = layer(x, x)
        np.testing.assert_allclose(np.asarray(direct), np.asarray(through_call), rtol=1e-6)
        assert not np.allclose(np.asarray(unmasked), np.asarray(through_call))


def test_a_transformer_block_trains_four_adam_steps_like_keras():
    from kerasette import optimizers
    tokens = layers.Input(shape=(6,), dtype="int32")
    x = layers.Embedding(10, 8, mask_zero=True)(tokens)
    h = layers.MultiHeadAttention(num_heads=2, key_dim=4)(x, x, use_causal_mask=True)
    h = layers.GlobalAveragePooling1D()(layers.Add()([x, h]))
    model = Model(tokens, layers.Dense(3, activation="softmax")(h))
    model.set_weights(arrays("train", "weights"))
    model.compile(optimizer=optimizers.Adam(learning_rate=0.01), loss="sparse_categorical_crossentropy")
    losses = [float(np.ravel(model.train_on_batch(DATA[f"train.x.{step}"], DATA[f"train.y.{step}"]))[0])
              for step in range(4)]
    np.testing.assert_allclose(losses, DATA["train.losses"], rtol=1e-4)
    for weight, final in zip(model.get_weights(), arrays("train", "final")):
        np.testing.assert_allclose(weight, final, rtol=1e-3, atol=1e-5)
