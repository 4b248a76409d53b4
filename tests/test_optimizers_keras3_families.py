"""The Keras 3 optimizers of issue 16: Adafactor, Ftrl, Lamb, Lion, Muon, ScheduleFreeAdamW,
LossScaleOptimizer and MultiOptimizer.

* every variable after several steps on fixed gradients equals real Keras
  3.15's (tests/fixtures/keras_losses_metrics_optimizers.npz), eagerly and
  from a compiled program (``get_updates``);
* numpy reimplementations (float64) of each update rule, written here;
* Keras 3 ``.keras`` files of models trained with Adafactor, Muon and Lion
  load with their optimizer state, which survives kerasette's own save/load;
* the wrappers: skipped steps, scale growth, routing, configs.
"""
import json
import math
import os

import numpy as np
import pytest

from kerasette import Variable, backend, engine, optimizers
from kerasette.saving import load_model

HERE = os.path.join(os.path.dirname(__file__), "fixtures")
FIXTURES = os.path.join(HERE, "keras_losses_metrics_optimizers.npz")
RNG = np.random.default_rng(3)


@pytest.fixture(scope="module")
def keras3():
    with np.load(FIXTURES) as data:
        return {key: data[key] for key in data.files}


@pytest.fixture(autouse=True)
def _fresh_session():
    backend.clear_session()
    yield


def _optimizer_from(keras3, name):
    config = json.loads(str(keras3[f"{name}.config"]))
    cls = getattr(optimizers, str(keras3[f"{name}.class_name"]))
    if cls is optimizers.LossScaleOptimizer:
        return cls.from_config(config)
    return cls.from_config(config)


def _variables(keras3, name):
    return (Variable(keras3[f"{name}.kernel"].copy(), name="kernel"),
            Variable(keras3[f"{name}.bias"].copy(), name="bias"))


def _grads(keras3, name, step):
    return [keras3[f"{name}.grad_kernel.{step}"], keras3[f"{name}.grad_bias.{step}"]]


def _check_against_keras(keras3, name, optimizer, kernel, bias):
    expected = [keras3[f"{name}.variable.{i}"]
                for i in range(len(json.loads(str(keras3[f"{name}.variable_paths"]))))]
    assert len(optimizer.variables) == len(expected), name
    for i, (variable, value) in enumerate(zip(optimizer.variables, expected)):
        assert tuple(variable.shape) == value.shape, (name, i)
        np.testing.assert_allclose(variable.numpy(), value, rtol=2e-5, atol=2e-6,
                                   err_msg=f"{name} variable {i}")
    np.testing.assert_allclose(kernel.numpy(), keras3[f"{name}.final_kernel"], rtol=2e-5,
                               atol=2e-6, err_msg=name)
    np.testing.assert_allclose(bias.numpy(), keras3[f"{name}.final_bias"], rtol=2e-5, atol=2e-6,
                               err_msg=name)


def test_eager_steps_give_keras3s_variables(keras3):
    names = json.loads(str(keras3["optimizer_cases"]))
    assert len(names) == 10
    for name in names:
        optimizer = _optimizer_from(keras3, name)
        kernel, bias = _variables(keras3, name)
        for step in range(int(keras3[f"{name}.steps"])):
            optimizer.apply(_grads(keras3, name, step), [kernel, bias])
        _check_against_keras(keras3, name, optimizer, kernel, bias)
        paths = json.loads(str(keras3[f"{name}.variable_paths"]))
        ours = [v.path.split("/")[-1] for v in optimizer.variables]
        assert ours == [p.split("/")[-1] for p in paths], name


def test_compiled_steps_give_keras3s_variables(keras3):
    for name in json.loads(str(keras3["optimizer_cases"])):
        optimizer = _optimizer_from(keras3, name)
        kernel, bias = _variables(keras3, name)
        feeds = [engine.placeholder("float32", (3, 4)), engine.placeholder("float32", (4,))]
        updates = optimizer.get_updates([kernel, bias], feeds)
        program = engine.Program([], feeds, optimizers.to_program_updates(updates))
        for step in range(int(keras3[f"{name}.steps"])):
            program(*_grads(keras3, name, step))
        _check_against_keras(keras3, name, optimizer, kernel, bias)


# ------------------------------------------------------------ numpy references

def _rms(x):
    return np.sqrt(np.mean(x ** 2))


def np_adafactor(w, grads, lr=0.001, decay=-0.8, eps1=1e-30, eps2=1e-3, clip=1.0, relative=True):
    r = np.zeros(w.shape[:-1])
    c = np.zeros(w.shape[:-2] + w.shape[-1:])
    v = np.zeros(w.shape)
    for t, g in enumerate(grads, start=1):
        rate = min(lr, 1 / math.sqrt(t)) if relative else lr
        alpha = max(eps2, _rms(w)) * min(rate, 1 / math.sqrt(t))
        squared = g ** 2 + eps1
        beta = 1 - t ** decay
        if w.ndim >= 2:
            r = beta * r + (1 - beta) * squared.mean(-1)
            c = beta * c + (1 - beta) * squared.mean(-2)
            v = (r / r.mean(-1, keepdims=True))[..., None] * c[..., None, :]
        else:
            v = beta * v + (1 - beta) * squared
        u = g / np.sqrt(v)
        w = w - alpha * u / max(1.0, _rms(u) / clip)
    return w


def np_ftrl(w, grads, lr=0.001, power=-0.5, init=0.1, l1=0.0, l2=0.0, shrink=0.0, beta=0.0):
    accumulator, linear = np.full(w.shape, init), np.zeros(w.shape)
    for g in grads:
        new = accumulator + g ** 2
        linear = linear + g + 2 * shrink * w - (new ** -power - accumulator ** -power) / lr * w
        quadratic = new ** -power / lr + 2 * (l2 + beta / (2 * lr))
        w = (np.clip(linear, -l1, l1) - linear) / quadratic
        accumulator = new
    return w


def np_lamb(w, grads, lr=0.001, b1=0.9, b2=0.999, eps=1e-7):
    m, v = np.zeros(w.shape), np.zeros(w.shape)
    for t, g in enumerate(grads, start=1):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g ** 2
        update = (m / (1 - b1 ** t)) / (np.sqrt(v / (1 - b2 ** t)) + eps)
        w_norm, u_norm = np.linalg.norm(w), np.linalg.norm(update)
        ratio = w_norm / u_norm if w_norm > 0 and u_norm > 0 else 1.0
        w = w - ratio * lr * update
    return w


def np_lion(w, grads, lr=0.001, b1=0.9, b2=0.99):
    m = np.zeros(w.shape)
    for g in grads:
        w = w - lr * np.sign(b1 * m + (1 - b1) * g)
        m = b2 * m + (1 - b2) * g
    return w


def np_newton_schulz(x, steps=5, a=3.4445, b=-4.775, c=2.0315):
    tall = x.shape[0] > x.shape[1]
    if tall:
        x = x.T
    x = x / (np.linalg.norm(x) + 1e-7)
    for _ in range(steps):
        gram = x @ x.T
        x = a * x + (b * gram + c * gram @ gram) @ x
    return x.T if tall else x


def np_muon(w, grads, lr=0.001, momentum=0.95, nesterov=True, rms_rate=0.2, wd=0.004):
    m = np.zeros(w.shape)
    for g in grads:
        w = w - w * wd * lr
        m = momentum * m + g
        update = np_newton_schulz(g + momentum * m if nesterov else m)
        w = w - lr * update * math.sqrt(max(w.shape)) * rms_rate
    return w


def np_schedule_free(w, grads, lr=0.0025, b1=0.9, b2=0.999, eps=1e-8, warmup=0):
    z, v = w.copy(), np.zeros(w.shape)
    for t, g in enumerate(grads, start=1):
        rate = lr * min(t / warmup, 1.0) if warmup else lr
        v = b2 * v + (1 - b2) * g ** 2
        z_new = z - rate * g / (np.sqrt(v / (1 - b2 ** t)) + eps)
        x = (w - (1 - b1) * z) / b1
        x = (1 - 1 / t) * x + (1 / t) * z_new
        w, z = (1 - b1) * z_new + b1 * x, z_new
    return w


NUMPY_CASES = {
    "adafactor": (optimizers.Adafactor, {}, np_adafactor, {}),
    "adafactor_absolute": (optimizers.Adafactor,
                           dict(learning_rate=0.05, relative_step=False, clip_threshold=0.3),
                           np_adafactor, dict(lr=0.05, relative=False, clip=0.3)),
    "ftrl": (optimizers.Ftrl, dict(learning_rate=0.2, l1_regularization_strength=0.05,
                                   l2_regularization_strength=0.1,
                                   l2_shrinkage_regularization_strength=0.02, beta=0.3),
             np_ftrl, dict(lr=0.2, l1=0.05, l2=0.1, shrink=0.02, beta=0.3)),
    "lamb": (optimizers.Lamb, dict(learning_rate=0.01), np_lamb, dict(lr=0.01)),
    "lion": (optimizers.Lion, dict(learning_rate=0.01, beta_2=0.9), np_lion,
             dict(lr=0.01, b2=0.9)),
    "muon": (optimizers.Muon, dict(learning_rate=0.02), np_muon, dict(lr=0.02)),
    "muon_plain": (optimizers.Muon, dict(learning_rate=0.02, nesterov=False, weight_decay=0.0),
                   np_muon, dict(lr=0.02, nesterov=False, wd=0.0)),
    "schedule_free": (optimizers.ScheduleFreeAdamW, dict(learning_rate=0.01, warmup_steps=3),
                      np_schedule_free, dict(lr=0.01, warmup=3)),
}


@pytest.mark.parametrize("name", sorted(NUMPY_CASES))
@pytest.mark.parametrize("shape", [(4, 6), (6, 3)])
def test_update_rule_matches_numpy(name, shape):
    cls, kwargs, reference, reference_kwargs = NUMPY_CASES[name]
    w0 = RNG.normal(size=shape).astype(np.float32)
    grads = [RNG.normal(size=shape).astype(np.float32) for _ in range(6)]
    weight = Variable(w0.copy(), name="kernel")
    optimizer = cls(**kwargs)
    for g in grads:
        optimizer.apply([g], [weight])
    expected = reference(w0.astype(np.float64), [g.astype(np.float64) for g in grads],
                         **reference_kwargs)
    np.testing.assert_allclose(weight.numpy(), expected, rtol=2e-4, atol=2e-5)


def test_muon_uses_adamw_for_embeddings_vectors_and_excluded_layers():
    optimizer = optimizers.Muon(exclude_layers=["head"])
    table = Variable(np.ones((5, 3), np.float32), name="embeddings")
    table.path = "token_embedding/embeddings"
    head = Variable(np.ones((3, 2), np.float32), name="kernel")
    head.path = "head/kernel"
    body = Variable(np.ones((3, 3), np.float32), name="kernel")
    body.path = "body/kernel"
    vector = Variable(np.ones((3,), np.float32), name="bias")
    optimizer.build([table, head, body, vector])
    assert [v.path.split("/")[-1] for v in optimizer.variables[2:]] == [
        "token_embedding_embeddings_momentum", "token_embedding_embeddings_velocity",
        "head_kernel_momentum", "head_kernel_velocity", "body_kernel_momentum",
        "bias_momentum", "bias_velocity"]
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        optimizer.zeropower_via_newtonschulz5(np.ones(3, np.float32), 5)


@pytest.mark.parametrize("name", ["adafactor", "muon", "lion"])
def test_keras3_model_file_brings_its_optimizer_state(keras3, name, tmp_path):
    model = load_model(os.path.join(HERE, f"keras_model_{name}.keras"))
    variables = model.optimizer.variables
    assert type(model.optimizer).__name__.lower() == name
    for i, variable in enumerate(variables):
        np.testing.assert_allclose(variable.numpy(), keras3[f"model_{name}.optimizer_variable.{i}"],
                                   rtol=1e-6, err_msg=f"{name} {i}")
    x = keras3[f"model_{name}.x"]
    np.testing.assert_allclose(model.predict(x, verbose=0), keras3[f"model_{name}.predict"],
                               rtol=1e-5, atol=1e-6)
    # one more step, then kerasette's own .keras round trip keeps the whole state
    model.train_on_batch(x, np.zeros((len(x), 3), np.float32))
    path = str(tmp_path / "again.keras")
    model.save(path)
    restored = load_model(path)
    assert len(restored.optimizer.variables) == len(variables)
    for a, b in zip(model.optimizer.variables, restored.optimizer.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_fit_trains_the_same_compiled_and_eagerly_with_each_new_optimizer():
    from kerasette import layers, models
    x = RNG.normal(size=(16, 5)).astype(np.float32)
    y = RNG.normal(size=(16, 3)).astype(np.float32)
    makers = [lambda: optimizers.Adafactor(learning_rate=0.05), lambda: optimizers.Ftrl(0.1),
              lambda: optimizers.Lamb(0.01), lambda: optimizers.Lion(0.01),
              lambda: optimizers.Muon(0.02), lambda: optimizers.ScheduleFreeAdamW(0.01),
              lambda: optimizers.LossScaleOptimizer(optimizers.Adam(0.01))]
    for make in makers:
        results = []
        for eager in (False, True):
            backend.clear_session()
            np.random.seed(0)
            model = models.Sequential([layers.Input((5,)), layers.Dense(4, activation="tanh"),
                                       layers.Dense(3)])
            model.set_weights([np.full(w.shape, 0.1, np.float32) * (i + 1)
                               for i, w in enumerate(model.get_weights())])
            model.compile(optimizer=make(), loss="mse", run_eagerly=eager)
            model.fit(x, y, batch_size=8, epochs=2, verbose=0, shuffle=False)
            results.append(model.get_weights() + [v.numpy() for v in model.optimizer.variables])
        for compiled, eager in zip(*results):
            np.testing.assert_allclose(compiled, eager, rtol=1e-5, atol=1e-6)


# ------------------------------------------------------------------ wrappers

def test_loss_scale_optimizer_skips_non_finite_steps_and_grows_the_scale():
    weight = Variable(np.array([1.0, 2.0], np.float32))
    optimizer = optimizers.LossScaleOptimizer(optimizers.SGD(0.5), initial_scale=4.0,
                                              dynamic_growth_steps=2)
    assert float(optimizer.scale_loss(np.float32(3.0))) == 12.0
    optimizer.apply([np.array([4.0, 8.0], np.float32)], [weight])
    np.testing.assert_allclose(weight.numpy(), [0.5, 1.0])
    optimizer.apply([np.array([np.nan, 1.0], np.float32)], [weight])
    np.testing.assert_allclose(weight.numpy(), [0.5, 1.0])
    assert float(optimizer.dynamic_scale.numpy()) == 2.0 and int(optimizer.iterations.numpy()) == 1
    for _ in range(2):
        optimizer.apply([np.array([2.0, 2.0], np.float32)], [weight])
    assert float(optimizer.dynamic_scale.numpy()) == 4.0
    assert int(optimizer.step_counter.numpy()) == 0
    assert [v.path for v in optimizer.variables[:4]] == [
        "loss_scale_optimizer/iteration", "loss_scale_optimizer/learning_rate",
        "loss_scale_optimizer/step_counter", "loss_scale_optimizer/dynamic_scale"]
    optimizer.learning_rate = 0.25
    assert float(optimizer.inner_optimizer.learning_rate.numpy()) == 0.25
    again = optimizers.deserialize(optimizers.serialize(optimizer))
    assert isinstance(again.inner_optimizer, optimizers.SGD)
    assert again.get_config() == optimizer.get_config()
    with pytest.raises(ValueError, match="does not support `clipnorm`"):
        optimizers.LossScaleOptimizer(optimizers.SGD(), clipnorm=1.0)
    with pytest.raises(ValueError, match="dynamic=False"):
        optimizers.LossScaleOptimizer(optimizers.SGD(), dynamic=False)


def test_multi_optimizer_routes_variables_and_round_trips():
    fast, slow = Variable(np.ones(2, np.float32), name="w"), Variable(np.ones(2, np.float32), name="w")
    fast.path, slow.path = "dense/kernel", "embedding/embeddings"
    table = optimizers.OptimizerMap(optimizers.SGD(1.0), {"embedding/.*": optimizers.Adam(0.1)})
    optimizer = optimizers.MultiOptimizer(table)
    optimizer.apply([np.full(2, 0.5, np.float32)] * 2, [fast, slow])
    np.testing.assert_allclose(fast.numpy(), [0.5, 0.5])
    np.testing.assert_allclose(slow.numpy(), [0.9, 0.9], rtol=1e-5)
    assert int(optimizer.iterations.numpy()) == 1
    assert len(optimizer.variables) == 2 + 4 + 2
    weights = optimizer.get_weights()
    optimizer.set_weights([w * 0 for w in weights])
    assert all(not np.any(v.numpy()) for v in optimizer.variables)
    with pytest.raises(AttributeError, match="MultiOptimizer"):
        _ = optimizer.learning_rate
    again = optimizers.deserialize(optimizers.serialize(optimizer))
    assert isinstance(again, optimizers.MultiOptimizer)
    assert type(again._optimizer_map["embedding/x"]).__name__ == "Adam"
    with pytest.raises(ValueError, match="already exists"):
        table["embedding/.*"] = optimizers.SGD()
    with pytest.raises(ValueError, match="LossScaleOptimizer"):
        table["x"] = optimizers.LossScaleOptimizer(optimizers.SGD())


@pytest.mark.parametrize("make", [lambda: optimizers.Adafactor(0.05), lambda: optimizers.Muon(0.02),
                                  lambda: optimizers.LossScaleOptimizer(optimizers.Adam(0.01))],
                         ids=["adafactor", "muon", "loss_scale"])
def test_real_keras3_loads_kerasettes_optimizer_state(make, tmp_path):
    os.environ.setdefault("KERAS_BACKEND", "jax")
    keras = pytest.importorskip("keras")
    from kerasette import layers, models
    x = RNG.normal(size=(8, 4)).astype(np.float32)
    y = RNG.normal(size=(8, 3)).astype(np.float32)
    model = models.Sequential([layers.Input((4,)), layers.Dense(3)])
    model.compile(make(), "mse")
    model.fit(x, y, epochs=1, batch_size=4, verbose=0)
    path = str(tmp_path / "model.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert type(loaded.optimizer).__name__ == type(model.optimizer).__name__
    assert len(loaded.optimizer.variables) == len(model.optimizer.variables)
    for theirs, ours in zip(loaded.optimizer.variables, model.optimizer.variables):
        np.testing.assert_allclose(np.asarray(theirs.value), ours.numpy(), rtol=1e-6)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-5, atol=1e-6)
