"""Optimizers: Keras 3's arithmetic, the same numbers eagerly and from a compiled program.

Every optimizer takes 3 steps on a small problem, ``loss = sum((w * x + b - y)**2)``
with a vector kernel ``w`` and a scalar bias ``b``, and is compared with

* a plain numpy float32 reimplementation of Keras' formulas (below);
* torch.optim where the formulas are the same: SGD (momentum, Nesterov),
  Adadelta and NAdam (with ``momentum_decay=1``, which is Keras' ``0.96**t``
  schedule) as they are; Adam, AdamW, Adagrad, RMSprop and Adamax with
  ``epsilon=0``, because Keras and torch put epsilon in different places
  (Keras' Adam adds "epsilon hat" to sqrt(v) before the bias correction of v,
  torch after; Keras' RMSprop and Adagrad add it under the root, torch outside;
  Keras' Adamax adds it to u in the denominator, torch inside the max);
* the graph path: ``get_updates`` compiled into one ``engine.Program`` with the
  forward pass, loss and ``engine.gradients``, run 3 times, which must match
  the eager path to 1e-6, slots and ``iterations`` included.
"""
import warnings

import numpy as np
import pytest

from kerasette import Tensor, Variable, backend, constraints, engine, ops, optimizers
from kerasette.optimizers import schedules

f32 = np.float32
X = np.array([0.5, -1.0, 2.0], f32)
Y = np.array([1.0, 0.0, 0.5], f32)
W0 = np.array([1.0, 2.0, -0.5], f32)
B0 = f32(0.3)
STEPS = 3


@pytest.fixture(autouse=True)
def fresh_names():
    backend.clear_session()
    yield


def make_variables():
    return (Variable(W0.copy(), name="kernel"), Variable(np.array(B0), name="bias"))


def numpy_gradients(w, b):
    residual = w * X + b - Y
    return [f32(2) * residual * X, np.sum(f32(2) * residual, dtype=f32)]


def run_eager(optimizer, steps=STEPS, variables=None):
    w, b = variables or make_variables()
    for _ in range(steps):
        w.grad = b.grad = None
        loss = ops.sum(ops.square(ops.subtract(ops.add(ops.multiply(w, X), b), Y)))
        loss.backward()
        optimizer.apply_gradients([(w.grad, w), (b.grad, b)])
    return w, b


def compile_step(optimizer, variables):
    w, b = variables
    x = engine.placeholder("float32", (3,))
    y = engine.placeholder("float32", (3,))
    loss = ops.sum(ops.square(ops.subtract(ops.add(ops.multiply(w, x), b), y)))
    grads = engine.gradients(loss, [engine.variable_from_holder(w), engine.variable_from_holder(b)])
    updates = optimizer.get_updates([w, b], grads)
    return engine.Program([loss], [x, y], optimizers.to_program_updates(updates)), updates


def run_graph(optimizer, steps=STEPS, variables=None):
    variables = variables or make_variables()
    program, _ = compile_step(optimizer, variables)
    for _ in range(steps):
        program(X, Y)
    return variables


# ------------------------------------------------ numpy reimplementations of Keras' formulas

def ref_sgd(w, g, s, t, lr, momentum=0.0, nesterov=False):
    if momentum == 0:
        return w - g * f32(lr)
    m = s.get("m", np.zeros_like(w)) * f32(momentum) - g * f32(lr)
    s["m"] = m
    if nesterov:
        return w + (m * f32(momentum) - g * f32(lr))
    return w + m


def ref_rmsprop(w, g, s, t, lr, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False):
    v = f32(rho) * s.get("v", np.zeros_like(w)) + f32(1 - rho) * np.square(g)
    s["v"] = v
    if centered:
        a = f32(rho) * s.get("a", np.zeros_like(w)) + f32(1 - rho) * g
        s["a"] = a
        denominator = v - np.square(a) + f32(epsilon)
    else:
        denominator = v + f32(epsilon)
    increment = f32(lr) * g / np.sqrt(denominator)
    if momentum > 0:
        mom = f32(momentum) * s.get("mom", np.zeros_like(w)) + increment
        s["mom"] = mom
        return w - mom
    return w - increment


def ref_adagrad(w, g, s, t, lr, initial_accumulator_value=0.1, epsilon=1e-7):
    acc = s.get("acc", np.full_like(w, initial_accumulator_value)) + np.square(g)
    s["acc"] = acc
    return w - f32(lr) * g / np.sqrt(acc + f32(epsilon))


def ref_adadelta(w, g, s, t, lr, rho=0.95, epsilon=1e-7):
    def rms(x):
        return np.sqrt(x + f32(epsilon))
    ag = f32(rho) * s.get("ag", np.zeros_like(w)) + f32(1 - rho) * np.square(g)
    ad = s.get("ad", np.zeros_like(w))
    delta = -(rms(ad) * g / rms(ag))
    s["ag"], s["ad"] = ag, f32(rho) * ad + f32(1 - rho) * np.square(delta)
    return w + f32(lr) * delta


def ref_adam(w, g, s, t, lr, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False):
    step = f32(t + 1)
    b1p, b2p = f32(beta_1) ** step, f32(beta_2) ** step
    alpha = f32(lr) * np.sqrt(f32(1) - b2p) / (f32(1) - b1p)
    m = s.get("m", np.zeros_like(w))
    m = m + (g - m) * f32(1 - beta_1)
    v = s.get("v", np.zeros_like(w))
    v = v + (np.square(g) - v) * f32(1 - beta_2)
    s["m"], s["v"] = m, v
    if amsgrad:
        v = np.maximum(s.get("vh", np.zeros_like(w)), v)
        s["vh"] = v
    return w - m * alpha / (np.sqrt(v) + f32(epsilon))


def ref_adamw(w, g, s, t, lr, weight_decay=0.004, **kwargs):
    w = w - w * f32(weight_decay) * f32(lr)
    return ref_adam(w, g, s, t, lr, **kwargs)


def ref_adamax(w, g, s, t, lr, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    b1p = f32(beta_1) ** f32(t + 1)
    m = s.get("m", np.zeros_like(w))
    m = m + (g - m) * f32(1 - beta_1)
    u = np.maximum(f32(beta_2) * s.get("u", np.zeros_like(w)), np.abs(g))
    s["m"], s["u"] = m, u
    return w - f32(lr) * m / ((f32(1) - b1p) * (u + f32(epsilon)))


def ref_nadam(w, g, s, t, lr, beta_1=0.9, beta_2=0.999, epsilon=1e-7, shared=None):
    # shared["u_product"] was already advanced for this step (once per step, not per variable)
    b1, b2 = f32(beta_1), f32(beta_2)
    u_t = b1 * (f32(1) - f32(0.5) * f32(0.96) ** f32(t + 1))
    u_t_1 = b1 * (f32(1) - f32(0.5) * f32(0.96) ** f32(t + 2))
    u_product_t = shared["u_product"]
    u_product_t_1 = u_product_t * u_t_1
    m = s.get("m", np.zeros_like(w))
    m = m + (g - m) * (f32(1) - b1)
    v = s.get("v", np.zeros_like(w))
    v = v + (np.square(g) - v) * (f32(1) - b2)
    s["m"], s["v"] = m, v
    m_hat = u_t_1 * m / (f32(1) - u_product_t_1) + (f32(1) - u_t) * g / (f32(1) - u_product_t)
    v_hat = v / (f32(1) - b2 ** f32(t + 1))
    return w - m_hat * f32(lr) / (np.sqrt(v_hat) + f32(epsilon))


def run_reference(update, kwargs, lr, steps=STEPS, nadam_beta_1=None):
    w, b = W0.copy(), np.array(B0)
    states = [{}, {}]
    shared = {"u_product": f32(1.0)}
    for t in range(steps):
        gw, gb = numpy_gradients(w, b)
        extra = {}
        if nadam_beta_1 is not None:
            shared["u_product"] = (shared["u_product"] * f32(nadam_beta_1)
                                   * (f32(1) - f32(0.5) * f32(0.96) ** f32(t + 1)))
            extra["shared"] = shared
        w = update(w, gw, states[0], t, lr, **kwargs, **extra)
        b = update(b, gb, states[1], t, lr, **kwargs, **extra)
    return w, b


CASES = [
    ("SGD", optimizers.SGD, ref_sgd, 0.1, {}),
    ("SGD momentum", optimizers.SGD, ref_sgd, 0.1, {"momentum": 0.9}),
    ("SGD nesterov", optimizers.SGD, ref_sgd, 0.1, {"momentum": 0.9, "nesterov": True}),
    ("RMSprop", optimizers.RMSprop, ref_rmsprop, 0.01, {}),
    ("RMSprop centered momentum", optimizers.RMSprop, ref_rmsprop, 0.01,
     {"centered": True, "momentum": 0.5}),
    ("Adagrad", optimizers.Adagrad, ref_adagrad, 0.1, {}),
    ("Adadelta", optimizers.Adadelta, ref_adadelta, 1.0, {}),
    ("Adam", optimizers.Adam, ref_adam, 0.1, {}),
    ("Adam amsgrad", optimizers.Adam, ref_adam, 0.1, {"amsgrad": True}),
    ("AdamW", optimizers.AdamW, ref_adamw, 0.1, {"weight_decay": 0.1}),
    ("Adamax", optimizers.Adamax, ref_adamax, 0.1, {}),
    ("Nadam", optimizers.Nadam, ref_nadam, 0.1, {}),
]
IDS = [case[0] for case in CASES]


@pytest.mark.parametrize("name, cls, reference, lr, kwargs", CASES, ids=IDS)
def test_three_eager_steps_match_keras_formulas(name, cls, reference, lr, kwargs):
    w, b = run_eager(cls(learning_rate=lr, **kwargs))
    nadam_beta_1 = 0.9 if cls is optimizers.Nadam else None
    expected_w, expected_b = run_reference(reference, kwargs, lr, nadam_beta_1=nadam_beta_1)
    assert not np.allclose(w.numpy(), W0)  # the steps did move the weights
    # the same float32 operations in the same order: equal to the last bit today
    np.testing.assert_allclose(w.numpy(), expected_w, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(b.numpy(), expected_b, rtol=1e-6, atol=1e-7)
    assert w.dtype == np.float32 and b.dtype == np.float32


@pytest.mark.parametrize("name, cls, reference, lr, kwargs", CASES, ids=IDS)
def test_compiled_program_takes_the_same_steps_as_eager(name, cls, reference, lr, kwargs):
    eager_optimizer = cls(learning_rate=lr, **kwargs)
    w_eager, b_eager = run_eager(eager_optimizer)
    graph_optimizer = cls(learning_rate=lr, **kwargs)
    w_graph, b_graph = run_graph(graph_optimizer)
    np.testing.assert_allclose(w_graph.numpy(), w_eager.numpy(), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(b_graph.numpy(), b_eager.numpy(), rtol=1e-6, atol=1e-7)
    assert graph_optimizer.iterations.numpy() == STEPS == eager_optimizer.iterations.numpy()
    assert graph_optimizer.iterations.dtype == np.int64
    assert [v.name for v in graph_optimizer.variables] == [v.name for v in eager_optimizer.variables]
    for in_graph, eager in zip(graph_optimizer.variables, eager_optimizer.variables):
        assert in_graph.dtype == eager.dtype
        np.testing.assert_allclose(in_graph.numpy(), eager.numpy(), rtol=1e-6, atol=1e-7)


def test_get_updates_returns_variables_slots_then_iterations():
    optimizer = optimizers.Adam()
    w, b = make_variables()
    _, updates = compile_step(optimizer, (w, b))
    targets = [variable.path for variable, _ in updates]
    assert targets == ["kernel", "bias", "adam/kernel_momentum", "adam/kernel_velocity",
                       "adam/bias_momentum", "adam/bias_velocity", "adam/iteration"]
    assert all(isinstance(value, engine.Node) for _, value in updates)
    assert all(isinstance(variable, Variable) for variable, _ in updates)
    assert [value.shape for _, value in updates] == [(3,), (), (3,), (3,), (), (), ()]
    # no value is computed until the program runs
    np.testing.assert_array_equal(w.numpy(), W0)
    assert optimizer.iterations.numpy() == 0


def test_get_updates_keras2_form_with_a_loss():
    w, b = make_variables()
    loss = ops.sum(ops.square(ops.subtract(ops.add(ops.multiply(w, engine.constant(X)), b),
                                           engine.constant(Y))))
    optimizer = optimizers.SGD(0.1)
    updates = optimizer.get_updates(loss, [w, b])
    engine.Program([], [], optimizers.to_program_updates(updates))()
    expected_w, expected_b = run_reference(ref_sgd, {}, 0.1, steps=1)
    np.testing.assert_allclose(w.numpy(), expected_w, rtol=1e-6)
    np.testing.assert_allclose(b.numpy(), expected_b, rtol=1e-6)


# ------------------------------------------------------------------ against torch.optim

def run_torch(make_optimizer):
    torch = pytest.importorskip("torch")
    w = torch.tensor(W0.copy(), requires_grad=True)
    b = torch.tensor(np.array(B0), requires_grad=True)
    x, y = torch.tensor(X), torch.tensor(Y)
    optimizer = make_optimizer(torch.optim, [w, b])
    for _ in range(STEPS):
        optimizer.zero_grad()
        torch.sum((w * x + b - y) ** 2).backward()
        optimizer.step()
    return w.detach().numpy(), b.detach().numpy()


TORCH_CASES = [
    ("SGD", lambda: optimizers.SGD(0.1), lambda o, p: o.SGD(p, lr=0.1)),
    ("SGD momentum", lambda: optimizers.SGD(0.1, momentum=0.9),
     lambda o, p: o.SGD(p, lr=0.1, momentum=0.9)),
    ("SGD nesterov", lambda: optimizers.SGD(0.1, momentum=0.9, nesterov=True),
     lambda o, p: o.SGD(p, lr=0.1, momentum=0.9, nesterov=True)),
    ("Adadelta", lambda: optimizers.Adadelta(1.0, rho=0.9, epsilon=1e-6),
     lambda o, p: o.Adadelta(p, lr=1.0, rho=0.9, eps=1e-6)),
    ("Nadam", lambda: optimizers.Nadam(0.1), lambda o, p: o.NAdam(p, lr=0.1, eps=1e-7,
                                                                   momentum_decay=1.0)),
    ("Adam eps=0", lambda: optimizers.Adam(0.1, epsilon=0.0), lambda o, p: o.Adam(p, lr=0.1, eps=0.0)),
    ("Adam amsgrad eps=0", lambda: optimizers.Adam(0.1, epsilon=0.0, amsgrad=True),
     lambda o, p: o.Adam(p, lr=0.1, eps=0.0, amsgrad=True)),
    ("AdamW eps=0", lambda: optimizers.AdamW(0.1, weight_decay=0.1, epsilon=0.0),
     lambda o, p: o.AdamW(p, lr=0.1, weight_decay=0.1, eps=0.0)),
    ("Adagrad eps=0", lambda: optimizers.Adagrad(0.1, initial_accumulator_value=0.1, epsilon=0.0),
     lambda o, p: o.Adagrad(p, lr=0.1, initial_accumulator_value=0.1, eps=0.0)),
    ("RMSprop centered momentum eps=0",
     lambda: optimizers.RMSprop(0.01, rho=0.9, momentum=0.5, centered=True, epsilon=0.0),
     lambda o, p: o.RMSprop(p, lr=0.01, alpha=0.9, momentum=0.5, centered=True, eps=0.0)),
    ("Adamax eps=0", lambda: optimizers.Adamax(0.1, epsilon=0.0),
     lambda o, p: o.Adamax(p, lr=0.1, eps=0.0)),
]


@pytest.mark.parametrize("name, make_ours, make_theirs", TORCH_CASES, ids=[c[0] for c in TORCH_CASES])
def test_matches_torch_optim_where_the_formulas_agree(name, make_ours, make_theirs):
    torch_w, torch_b = run_torch(make_theirs)
    w, b = run_eager(make_ours())
    np.testing.assert_allclose(w.numpy(), torch_w, rtol=2e-5, atol=2e-6)
    np.testing.assert_allclose(b.numpy(), torch_b, rtol=2e-5, atol=2e-6)


def test_keras_adam_epsilon_differs_from_torch_where_it_should():
    # Keras' epsilon is added to sqrt(v) before the bias correction: with a large
    # epsilon the two libraries take measurably different steps.
    torch_w, _ = run_torch(lambda o, p: o.Adam(p, lr=0.1, eps=0.1))
    w, _ = run_eager(optimizers.Adam(0.1, epsilon=0.1))
    expected_w, _ = run_reference(ref_adam, {"epsilon": 0.1}, 0.1)
    np.testing.assert_allclose(w.numpy(), expected_w, rtol=1e-5)
    assert np.max(np.abs(w.numpy() - torch_w)) > 1e-3


# --------------------------------------------------------------------------- clipping

def one_sgd_step(optimizer, gradients, graph=False):
    variables = [Variable(np.zeros_like(g), name=f"v{i}") for i, g in enumerate(gradients)]
    if graph:
        nodes = [engine.constant(g) for g in gradients]
        updates = optimizer.get_updates(variables, nodes)
        engine.Program([], [], optimizers.to_program_updates(updates))()
    else:
        optimizer.apply_gradients(zip(gradients, variables))
    return [v.numpy() for v in variables]


@pytest.mark.parametrize("graph", [False, True], ids=["eager", "graph"])
def test_clipnorm_clips_each_gradient_by_its_own_norm(graph):
    grads = [np.array([3.0, 4.0], f32), np.array([0.3, 0.4], f32), np.zeros(2, f32)]
    new = one_sgd_step(optimizers.SGD(1.0, clipnorm=1.0), grads, graph)
    np.testing.assert_allclose(new[0], [-0.6, -0.8], rtol=1e-6)
    np.testing.assert_allclose(new[1], [-0.3, -0.4], rtol=1e-6)  # under the norm: untouched
    np.testing.assert_array_equal(new[2], [0.0, 0.0])  # a zero gradient gives no NaN


@pytest.mark.parametrize("graph", [False, True], ids=["eager", "graph"])
def test_global_clipnorm_scales_all_gradients_together(graph):
    grads = [np.array([3.0, 4.0], f32), np.array([12.0], f32)]  # global norm 13
    new = one_sgd_step(optimizers.SGD(1.0, global_clipnorm=2.6), grads, graph)
    np.testing.assert_allclose(new[0], [-0.6, -0.8], rtol=1e-6)
    np.testing.assert_allclose(new[1], [-2.4], rtol=1e-6)
    small = one_sgd_step(optimizers.SGD(1.0, global_clipnorm=100.0), grads, graph)
    np.testing.assert_allclose(small[1], [-12.0], rtol=1e-6)


@pytest.mark.parametrize("graph", [False, True], ids=["eager", "graph"])
def test_clipvalue_clips_elementwise(graph):
    grads = [np.array([3.0, -0.2, -4.0], f32)]
    new = one_sgd_step(optimizers.SGD(1.0, clipvalue=0.5), grads, graph)
    np.testing.assert_allclose(new[0], [-0.5, 0.2, 0.5], rtol=1e-6)


def test_clipping_happens_before_adam():
    grads = [np.array([30.0, 40.0], f32)]
    clipped = one_sgd_step(optimizers.Adam(0.1, clipnorm=1.0, epsilon=1.0), grads)
    plain = one_sgd_step(optimizers.Adam(0.1, epsilon=1.0), [np.array([0.6, 0.8], f32)])
    np.testing.assert_allclose(clipped[0], plain[0], rtol=1e-6)


def test_only_one_clip_argument():
    with pytest.raises(ValueError, match="Only one of `clipnorm`, `clipvalue` and `global_clipnorm`"):
        optimizers.SGD(clipnorm=1.0, clipvalue=1.0)


# ---------------------------------------------------------------------- learning rate

def test_setting_learning_rate_after_compiling_changes_the_next_graph_step():
    optimizer = optimizers.SGD(0.1)
    w, b = make_variables()
    program, _ = compile_step(optimizer, (w, b))
    program(X, Y)
    expected_w, expected_b = run_reference(ref_sgd, {}, 0.1, steps=1)
    np.testing.assert_allclose(w.numpy(), expected_w, rtol=1e-6)
    optimizer.learning_rate = 0.5
    assert float(optimizer.learning_rate) == 0.5
    gw, gb = numpy_gradients(w.numpy(), b.numpy())
    before = w.numpy().copy()
    program(X, Y)
    np.testing.assert_allclose(w.numpy(), before - f32(0.5) * gw, rtol=1e-6)
    assert optimizer.get_config()["learning_rate"] == 0.5


def test_learning_rate_is_a_variable_listed_after_iterations():
    optimizer = optimizers.Adam(0.01)
    assert isinstance(optimizer.learning_rate, Variable)
    np.testing.assert_allclose(optimizer.learning_rate.numpy(), 0.01)
    assert optimizer.learning_rate.dtype == np.float32
    assert [v.path for v in optimizer.variables] == ["adam/iteration", "adam/learning_rate"]


def test_schedule_learning_rate_is_not_settable_with_a_float():
    optimizer = optimizers.SGD(schedules.ExponentialDecay(0.1, 10, 0.5))
    assert [v.path for v in optimizer.variables] == ["SGD/iteration"]
    with pytest.raises(TypeError, match="not settable"):
        optimizer.learning_rate = 0.5


def test_float_learning_rate_replaced_by_schedule_untracks_the_variable():
    optimizer = optimizers.SGD(0.1)
    optimizer.learning_rate = schedules.ExponentialDecay(0.1, 10, 0.5)
    assert [v.path for v in optimizer.variables] == ["SGD/iteration"]


@pytest.mark.parametrize("graph", [False, True], ids=["eager", "graph"])
def test_schedule_gives_the_rate_of_each_step(graph):
    schedule = schedules.ExponentialDecay(0.1, decay_steps=1, decay_rate=0.5)
    optimizer = optimizers.SGD(schedule)
    w, b = run_graph(optimizer) if graph else run_eager(optimizer)
    expected_w, expected_b = W0.copy(), np.array(B0)
    for step in range(STEPS):
        gw, gb = numpy_gradients(expected_w, expected_b)
        lr = f32(0.1) * f32(0.5) ** f32(step)
        expected_w, expected_b = expected_w - gw * lr, expected_b - gb * lr
    np.testing.assert_allclose(w.numpy(), expected_w, rtol=1e-6)
    np.testing.assert_allclose(b.numpy(), expected_b, rtol=1e-6)
    np.testing.assert_allclose(optimizer.learning_rate, 0.1 * 0.5 ** 3, rtol=1e-6)


def test_adam_with_schedule_same_in_graph_and_eager():
    schedule = schedules.CosineDecay(0.1, decay_steps=5, warmup_target=0.2, warmup_steps=2)
    w_eager, _ = run_eager(optimizers.Adam(schedule))
    w_graph, _ = run_graph(optimizers.Adam(schedule))
    np.testing.assert_allclose(w_graph.numpy(), w_eager.numpy(), rtol=1e-6)


def test_callable_learning_rate():
    w, b = run_eager(optimizers.SGD(lambda: 0.1), steps=1)
    expected_w, _ = run_reference(ref_sgd, {}, 0.1, steps=1)
    np.testing.assert_allclose(w.numpy(), expected_w, rtol=1e-6)


# ---------------------------------------------------------------------- weight decay, EMA

@pytest.mark.parametrize("graph", [False, True], ids=["eager", "graph"])
def test_weight_decay_is_decoupled_and_uses_the_learning_rate(graph):
    optimizer = optimizers.SGD(0.1, weight_decay=0.5)
    w = Variable(np.array([2.0], f32), name="kernel")
    b = Variable(np.array([2.0], f32), name="bias")
    optimizer.exclude_from_weight_decay(var_names=["bias"])
    grads = [np.array([1.0], f32), np.array([1.0], f32)]
    if graph:
        updates = optimizer.get_updates([w, b], [engine.constant(g) for g in grads])
        engine.Program([], [], optimizers.to_program_updates(updates))()
    else:
        optimizer.apply_gradients(zip(grads, [w, b]))
    np.testing.assert_allclose(w.numpy(), [2.0 - 2.0 * 0.5 * 0.1 - 0.1], rtol=1e-6)
    np.testing.assert_allclose(b.numpy(), [2.0 - 0.1], rtol=1e-6)


def test_exclude_from_weight_decay_only_before_build():
    optimizer = optimizers.AdamW()
    optimizer.build(list(make_variables()))
    with pytest.raises(ValueError, match="before the optimizer is built"):
        optimizer.exclude_from_weight_decay(var_names=["bias"])


@pytest.mark.parametrize("graph", [False, True], ids=["eager", "graph"])
def test_ema_averages_and_overwrites(graph):
    optimizer = optimizers.SGD(1.0, use_ema=True, ema_momentum=0.5, ema_overwrite_frequency=2)
    w = Variable(np.array([0.0], f32), name="kernel")
    assert graph in (False, True)
    if graph:
        updates = optimizer.get_updates([w], [engine.constant(np.array([1.0], f32))])
        program = engine.Program([], [], optimizers.to_program_updates(updates))
        step = program
    else:
        def step():
            optimizer.apply_gradients([(np.array([1.0], f32), w)])
    step()
    assert [v.path for v in optimizer.variables] == ["SGD/iteration", "SGD/learning_rate",
                                                      "SGD/kernel_average"]
    np.testing.assert_allclose(w.numpy(), [-1.0])
    np.testing.assert_allclose(optimizer.variables[2].numpy(), [-1.0])  # first step: the value
    step()
    # average = 0.5 * -1 + 0.5 * -2 = -1.5, and step 2 overwrites the variable with it
    np.testing.assert_allclose(optimizer.variables[2].numpy(), [-1.5])
    np.testing.assert_allclose(w.numpy(), [-1.5])
    step()
    np.testing.assert_allclose(w.numpy(), [-2.5])
    np.testing.assert_allclose(optimizer.variables[2].numpy(), [0.5 * -1.5 + 0.5 * -2.5])
    optimizer.finalize_variable_values([w])
    np.testing.assert_allclose(w.numpy(), [-2.0])


@pytest.mark.parametrize("graph", [False, True], ids=["eager", "graph"])
def test_loss_scale_factor_unscales_gradients(graph):
    new = one_sgd_step(optimizers.SGD(1.0, loss_scale_factor=4.0), [np.array([2.0], f32)], graph)
    np.testing.assert_allclose(new[0], [-0.5])


@pytest.mark.parametrize("graph", [False, True], ids=["eager", "graph"])
def test_constraints_apply_after_the_update(graph):
    w = Variable(np.array([0.5, 0.5], f32), name="kernel", constraint=constraints.NonNeg())
    optimizer = optimizers.SGD(1.0)
    grads = [np.array([1.0, -1.0], f32)]
    if graph:
        updates = optimizer.get_updates([w], [engine.constant(grads[0])])
        engine.Program([], [], optimizers.to_program_updates(updates))()
    else:
        optimizer.apply_gradients(zip(grads, [w]))
    np.testing.assert_allclose(w.numpy(), [0.0, 1.5])


# ----------------------------------------------------------------------- state and names

def test_slot_names_and_order_follow_keras():
    w, b = make_variables()
    w.path, b.path = "dense/kernel", "dense/bias"
    cases = {
        optimizers.Adam(amsgrad=True): ["adam/iteration", "adam/learning_rate",
                                        "adam/dense_kernel_momentum", "adam/dense_kernel_velocity",
                                        "adam/dense_bias_momentum", "adam/dense_bias_velocity",
                                        "adam/dense_kernel_velocity_hat",
                                        "adam/dense_bias_velocity_hat"],
        optimizers.RMSprop(momentum=0.5, centered=True): [
            "rmsprop/iteration", "rmsprop/learning_rate", "rmsprop/dense_kernel_velocity",
            "rmsprop/dense_bias_velocity", "rmsprop/dense_kernel_momentum",
            "rmsprop/dense_bias_momentum", "rmsprop/dense_kernel_average_gradient",
            "rmsprop/dense_bias_average_gradient"],
        optimizers.SGD(): ["SGD/iteration", "SGD/learning_rate"],
        optimizers.SGD(momentum=0.9): ["SGD/iteration", "SGD/learning_rate",
                                       "SGD/dense_kernel_momentum", "SGD/dense_bias_momentum"],
        optimizers.Adadelta(): ["adadelta/iteration", "adadelta/learning_rate",
                                "adadelta/dense_kernel_accumulated_grad",
                                "adadelta/dense_kernel_accumulated_delta_var",
                                "adadelta/dense_bias_accumulated_grad",
                                "adadelta/dense_bias_accumulated_delta_var"],
        optimizers.Adamax(): ["adamax/iteration", "adamax/learning_rate",
                              "adamax/dense_kernel_momentum", "adamax/dense_kernel_norm",
                              "adamax/dense_bias_momentum", "adamax/dense_bias_norm"],
        optimizers.Nadam(): ["nadam/iteration", "nadam/learning_rate", "nadam/dense_kernel_momentum",
                             "nadam/dense_kernel_velocity", "nadam/dense_bias_momentum",
                             "nadam/dense_bias_velocity", "nadam/u_product"],
        optimizers.Adagrad(): ["adagrad/iteration", "adagrad/learning_rate",
                               "adagrad/dense_kernel_accumulator", "adagrad/dense_bias_accumulator"],
    }
    for optimizer, paths in cases.items():
        optimizer.build([w, b])
        assert [v.path for v in optimizer.variables] == paths, type(optimizer).__name__
        assert all(not v.trainable for v in optimizer.variables)
    adagrad = list(cases)[-1]
    np.testing.assert_allclose(adagrad.variables[2].numpy(), np.full(3, 0.1, f32))


def test_default_names_are_keras_and_unique_when_none():
    assert optimizers.Adam().name == "adam"
    assert optimizers.SGD().name == "SGD"
    assert [optimizers.Adagrad().name, optimizers.Adagrad().name] == ["adagrad", "adagrad_1"]


def test_apply_without_variables_needs_build_and_matches_one_to_one():
    optimizer = optimizers.SGD(0.1)
    with pytest.raises(ValueError, match="must already be built"):
        optimizer.apply([np.ones(3, f32)])
    w, b = make_variables()
    optimizer.build([w, b])
    optimizer.apply([np.ones(3, f32), Tensor(np.array(1.0, f32))])
    np.testing.assert_allclose(w.numpy(), W0 - 0.1)
    np.testing.assert_allclose(b.numpy(), B0 - 0.1)
    with pytest.raises(ValueError, match="one-to-one"):
        optimizer.apply([np.ones(3, f32)])
    with pytest.raises(ValueError, match="Unknown variable"):
        optimizer.apply_gradients([(np.ones(1, f32), Variable(np.ones(1, f32)))])


def test_missing_gradient_warns_and_leaves_variable_alone():
    w, b = make_variables()
    optimizer = optimizers.Adam(0.1)
    with pytest.warns(UserWarning, match="Gradients do not exist for variables"):
        optimizer.apply_gradients([(np.ones(3, f32), w), (None, b)])
    np.testing.assert_allclose(b.numpy(), B0)
    assert not np.allclose(w.numpy(), W0)
    with pytest.raises(ValueError, match="No gradients provided"):
        optimizer.apply_gradients([(None, w)])


def test_set_and_get_weights_round_trip():
    first = optimizers.Adam(0.1)
    run_eager(first)
    w, b = make_variables()
    second = optimizers.Adam(0.1)
    second.build([w, b])
    second.set_weights(first.get_weights())
    for mine, theirs in zip(second.variables, first.variables):
        np.testing.assert_array_equal(mine.numpy(), theirs.numpy())
    with pytest.raises(ValueError, match="has 6 variables, got 1"):
        second.set_weights([np.zeros(3)])


def test_minimize_with_a_loss_callable():
    w = Variable(np.array([3.0], f32), name="w")
    optimizer = optimizers.SGD(0.25)
    optimizer.minimize(lambda: ops.sum(ops.square(w)), [w])
    np.testing.assert_allclose(w.numpy(), [1.5])
    assert w.grad is None


# ------------------------------------------------------------------ config and lookup

ALL = [optimizers.SGD, optimizers.RMSprop, optimizers.Adagrad, optimizers.Adadelta, optimizers.Adam,
       optimizers.AdamW, optimizers.Adamax, optimizers.Nadam]


@pytest.mark.parametrize("cls", ALL, ids=[c.__name__ for c in ALL])
def test_config_round_trip(cls):
    optimizer = cls(learning_rate=0.05, clipnorm=2.0)
    config = optimizer.get_config()
    assert config["learning_rate"] == pytest.approx(0.05)
    assert config["clipnorm"] == 2.0
    rebuilt = cls.from_config(config)
    assert rebuilt.get_config() == config
    again = optimizers.deserialize(optimizers.serialize(optimizer))
    assert type(again) is cls and again.get_config() == config


def test_config_holds_the_keras_hyperparameters():
    config = optimizers.Adam().get_config()
    assert config == {
        "name": "adam", "learning_rate": pytest.approx(0.001), "weight_decay": None,
        "clipnorm": None, "global_clipnorm": None, "clipvalue": None, "use_ema": False,
        "ema_momentum": 0.99, "ema_overwrite_frequency": None, "loss_scale_factor": None,
        "gradient_accumulation_steps": None, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7,
        "amsgrad": False}
    assert optimizers.AdamW().get_config()["weight_decay"] == 0.004
    assert optimizers.SGD().get_config()["momentum"] == 0.0


def test_schedule_in_config_round_trips():
    schedule = schedules.PiecewiseConstantDecay([2, 4], [0.1, 0.05, 0.01])
    config = optimizers.serialize(optimizers.SGD(schedule))
    assert config["config"]["learning_rate"] == {
        "class_name": "PiecewiseConstantDecay",
        "config": {"boundaries": [2, 4], "values": [0.1, 0.05, 0.01], "name": "PiecewiseConstant"}}
    rebuilt = optimizers.deserialize(config)
    assert isinstance(rebuilt._learning_rate, schedules.PiecewiseConstantDecay)
    # a Keras 3 file's form (module, registered_name) reads too
    keras3 = {"module": "keras.optimizers", "class_name": "Adam", "registered_name": None,
              "config": {"name": "adam", "learning_rate": {
                  "module": "keras.optimizers.schedules", "class_name": "ExponentialDecay",
                  "registered_name": None,
                  "config": {"initial_learning_rate": 0.1, "decay_steps": 10, "decay_rate": 0.9,
                             "staircase": False, "name": "ExponentialDecay"}}}}
    adam = optimizers.deserialize(keras3)
    assert isinstance(adam._learning_rate, schedules.ExponentialDecay)


@pytest.mark.parametrize("name, cls", [
    ("sgd", optimizers.SGD), ("rmsprop", optimizers.RMSprop), ("adam", optimizers.Adam),
    ("adamw", optimizers.AdamW), ("adagrad", optimizers.Adagrad), ("adadelta", optimizers.Adadelta),
    ("adamax", optimizers.Adamax), ("nadam", optimizers.Nadam), ("Adam", optimizers.Adam)])
def test_get_by_name(name, cls):
    optimizer = optimizers.get(name)
    assert type(optimizer) is cls


def test_get_passes_instances_and_rejects_unknowns():
    adam = optimizers.Adam()
    assert optimizers.get(adam) is adam
    assert isinstance(optimizers.get({"class_name": "Custom>Adam", "config": {
        "learning_rate": 0.01, "is_legacy_optimizer": False}}), optimizers.Adam)
    with pytest.raises(ValueError, match="Could not interpret optimizer identifier"):
        optimizers.get("lbfgs")


def test_constructor_checks():
    with pytest.raises(ValueError, match="not recognized"):
        optimizers.Adam(bogus=1)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        optimizers.Adam(decay=0.1)
    assert any("no longer supported" in str(w.message) for w in caught)
    with pytest.raises(ValueError, match="weight_decay"):
        optimizers.AdamW(weight_decay=None)
    with pytest.raises(ValueError, match="momentum"):
        optimizers.SGD(momentum=1.5)
    with pytest.raises(ValueError, match="learning_rate"):
        optimizers.SGD(learning_rate="fast")


def test_keras2_lr_argument_and_attribute():
    with pytest.warns(UserWarning, match="use `learning_rate`"):
        optimizer = optimizers.SGD(lr=0.2)
    np.testing.assert_allclose(optimizer.lr.numpy(), 0.2)
    optimizer.lr = 0.3
    np.testing.assert_allclose(optimizer.learning_rate.numpy(), 0.3)
    np.testing.assert_allclose(optimizers.Adam(np.float32(0.5)).learning_rate.numpy(), 0.5)


def test_save_and_load_own_variables_by_index():
    first = optimizers.Nadam(0.1)
    run_eager(first)
    store = {}
    first.save_own_variables(store)
    assert sorted(store, key=int) == [str(i) for i in range(7)]
    assert store["0"] == 3 and store["6"].shape == ()
    second = optimizers.Nadam(0.1)
    second.build(list(make_variables()))
    second.load_own_variables(store)
    for mine, theirs in zip(second.variables, first.variables):
        np.testing.assert_array_equal(mine.numpy(), theirs.numpy())
    with pytest.warns(UserWarning, match="Skipping variable loading"):
        optimizers.Nadam(0.1).load_own_variables(store)


def test_dense_layer_trains_the_same_compiled_and_eagerly():
    from kerasette.layers import Dense, Input
    rng = np.random.default_rng(0)
    features = rng.standard_normal((16, 4)).astype(f32)
    targets = features @ np.array([[1.0], [2.0], [-1.0], [0.5]], f32)

    def make_layer():
        layer = Dense(1)
        layer.build((None, 4))
        layer.kernel.assign(np.full((4, 1), 0.1, f32))
        return layer

    compiled_layer, optimizer = make_layer(), optimizers.Adam(0.05)
    inputs = Input(shape=(4,))
    labels = engine.placeholder("float32", (None, 1))
    loss = ops.mean(ops.square(ops.subtract(compiled_layer(inputs), labels)))
    weights = compiled_layer.trainable_weights
    grads = engine.gradients(loss, [engine.variable_from_holder(v) for v in weights])
    program = engine.Program([loss], [inputs, labels],
                             optimizers.to_program_updates(optimizer.get_updates(weights, grads)))
    losses = [program(features, targets)[0] for _ in range(20)]

    eager_layer, eager_optimizer = make_layer(), optimizers.Adam(0.05)
    for _ in range(20):
        for weight in eager_layer.trainable_weights:
            weight.grad = None
        eager_loss = ops.mean(ops.square(ops.subtract(eager_layer(Tensor(features)), targets)))
        eager_loss.backward()
        eager_optimizer.apply_gradients([(w.grad, w) for w in eager_layer.trainable_weights])
    assert losses[-1] < 0.2 * losses[0]
    for compiled, eager in zip(compiled_layer.get_weights(), eager_layer.get_weights()):
        np.testing.assert_allclose(compiled, eager, rtol=1e-5, atol=1e-6)


def test_apply_refuses_symbolic_gradients():
    w, _ = make_variables()
    with pytest.raises(TypeError, match="use get_updates"):
        optimizers.SGD().apply_gradients([(engine.constant(np.ones(3, f32)), w)])
