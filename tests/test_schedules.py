"""Learning rate schedules: Keras' formulas on int steps and on a symbolic step node,
config round trips, and use as an optimizer's learning rate eagerly and compiled."""
import math

import numpy as np
import pytest

from kerasette import Variable, backend, engine, ops, optimizers
from kerasette.optimizers import schedules

STEPS = [0, 1, 3, 7, 10, 15, 25]


@pytest.fixture(autouse=True)
def fresh_names():
    backend.clear_session()
    yield


def exponential(step, lr=0.1, decay_steps=5, rate=0.5, staircase=False):
    p = step / decay_steps
    return lr * rate ** (math.floor(p) if staircase else p)


def piecewise(step, boundaries=(3, 10), values=(1.0, 0.5, 0.1)):
    for boundary, value in zip(boundaries, values):
        if step <= boundary:
            return value
    return values[-1]


def polynomial(step, lr=0.1, decay_steps=10, end=0.01, power=2.0, cycle=False):
    if cycle:
        decay_steps = decay_steps * (1 if step == 0 else math.ceil(step / decay_steps))
    else:
        step = min(step, decay_steps)
    return (lr - end) * (1 - step / decay_steps) ** power + end


def inverse_time(step, lr=0.1, decay_steps=5, rate=0.5, staircase=False):
    p = step / decay_steps
    return lr / (1 + rate * (math.floor(p) if staircase else p))


def cosine(step, lr=0.1, decay_steps=10, alpha=0.1, warmup_target=None, warmup_steps=0):
    if warmup_target is None:
        step = min(step, decay_steps)
        return lr * ((1 - alpha) * 0.5 * (1 + math.cos(math.pi * step / decay_steps)) + alpha)
    step = min(step, decay_steps + warmup_steps)
    if step < warmup_steps:
        return (warmup_target - lr) * step / warmup_steps + lr
    step -= warmup_steps
    return warmup_target * ((1 - alpha) * 0.5 * (1 + math.cos(math.pi * step / decay_steps)) + alpha)


def cosine_restarts(step, lr=0.1, first=4, t_mul=2.0, m_mul=0.5, alpha=0.1):
    fraction = step / first
    if t_mul == 1.0:
        i_restart = math.floor(fraction)
        fraction -= i_restart
    else:
        i_restart = math.floor(math.log(1 - fraction * (1 - t_mul)) / math.log(t_mul))
        sum_r = (1 - t_mul ** i_restart) / (1 - t_mul)
        fraction = (fraction - sum_r) / t_mul ** i_restart
    decayed = 0.5 * m_mul ** i_restart * (1 + math.cos(math.pi * fraction))
    return lr * ((1 - alpha) * decayed + alpha)


CASES = [
    ("exponential", schedules.ExponentialDecay(0.1, 5, 0.5), exponential),
    ("exponential staircase", schedules.ExponentialDecay(0.1, 5, 0.5, staircase=True),
     lambda s: exponential(s, staircase=True)),
    ("piecewise", schedules.PiecewiseConstantDecay([3, 10], [1.0, 0.5, 0.1]), piecewise),
    ("polynomial", schedules.PolynomialDecay(0.1, 10, end_learning_rate=0.01, power=2.0), polynomial),
    ("polynomial cycle", schedules.PolynomialDecay(0.1, 10, 0.01, power=2.0, cycle=True),
     lambda s: polynomial(s, cycle=True)),
    ("inverse time", schedules.InverseTimeDecay(0.1, 5, 0.5), inverse_time),
    ("inverse time staircase", schedules.InverseTimeDecay(0.1, 5, 0.5, staircase=True),
     lambda s: inverse_time(s, staircase=True)),
    ("cosine", schedules.CosineDecay(0.1, 10, alpha=0.1), cosine),
    ("cosine warmup", schedules.CosineDecay(0.1, 10, alpha=0.1, warmup_target=0.3, warmup_steps=4),
     lambda s: cosine(s, warmup_target=0.3, warmup_steps=4)),
    ("cosine restarts", schedules.CosineDecayRestarts(0.1, 4, t_mul=2.0, m_mul=0.5, alpha=0.1),
     cosine_restarts),
    ("cosine restarts t_mul=1", schedules.CosineDecayRestarts(0.1, 4, t_mul=1.0, m_mul=0.5, alpha=0.1),
     lambda s: cosine_restarts(s, t_mul=1.0)),
]
IDS = [case[0] for case in CASES]


@pytest.mark.parametrize("name, schedule, formula", CASES, ids=IDS)
def test_values_on_int_steps(name, schedule, formula):
    expected = [formula(step) for step in STEPS]
    from_ints = [schedule(step) for step in STEPS]
    from_arrays = [schedule(np.array(step, np.int64)) for step in STEPS]
    np.testing.assert_allclose(np.array(from_ints, np.float64), expected, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(np.array(from_arrays, np.float64), expected, rtol=1e-6, atol=1e-8)
    assert all(np.asarray(value).dtype == np.float32 for value in from_arrays)
    assert len(set(np.round(expected, 8))) > 1  # the schedule does change over these steps


@pytest.mark.parametrize("name, schedule, formula", CASES, ids=IDS)
def test_values_on_a_symbolic_step(name, schedule, formula):
    step = engine.placeholder("int64", ())
    rate = schedule(step)
    assert isinstance(rate, engine.Node) and rate.shape == ()
    program = engine.Program([rate], [step])
    from_graph = [program(np.array(s, np.int64))[0] for s in STEPS]
    np.testing.assert_allclose(np.array(from_graph, np.float64), [formula(s) for s in STEPS],
                               rtol=1e-6, atol=1e-8)
    from_arrays = [schedule(np.array(s, np.int64)) for s in STEPS]
    np.testing.assert_allclose(from_graph, np.array(from_arrays, np.float32), rtol=1e-6)


@pytest.mark.parametrize("name, schedule, formula", CASES, ids=IDS)
def test_config_round_trip(name, schedule, formula):
    config = schedule.get_config()
    rebuilt = type(schedule).from_config(config)
    assert rebuilt.get_config() == config
    again = schedules.deserialize(schedules.serialize(schedule))
    assert type(again) is type(schedule) and again.get_config() == config
    np.testing.assert_allclose(again(7), schedule(7))


def test_keras_config_keys():
    assert schedules.CosineDecay(0.1, 10).get_config() == {
        "initial_learning_rate": 0.1, "decay_steps": 10, "alpha": 0.0, "name": "CosineDecay",
        "warmup_target": None, "warmup_steps": 0}
    assert schedules.serialize(schedules.ExponentialDecay(0.1, 10, 0.9)) == {
        "class_name": "ExponentialDecay",
        "config": {"initial_learning_rate": 0.1, "decay_steps": 10, "decay_rate": 0.9,
                   "staircase": False, "name": "ExponentialDecay"}}
    assert schedules.CosineDecayRestarts(0.1, 5).get_config()["name"] == "SGDRDecay"
    assert schedules.PiecewiseConstantDecay([1], [0.1, 0.2]).get_config()["name"] == "PiecewiseConstant"


def test_argument_errors():
    with pytest.raises(ValueError, match="decay_steps` must be > 0"):
        schedules.ExponentialDecay(0.1, 0, 0.5)
    with pytest.raises(ValueError, match="1 less than the length of values"):
        schedules.PiecewiseConstantDecay([1, 2], [0.1, 0.2])
    with pytest.raises(ValueError, match="Unknown learning rate schedule"):
        schedules.deserialize({"class_name": "Nope", "config": {}})
    with pytest.raises(NotImplementedError, match="must override `__call__"):
        schedules.LearningRateSchedule()(0)


def test_custom_schedule_through_custom_objects():
    class Halving(schedules.LearningRateSchedule):
        def __init__(self, rate):
            self.rate = rate

        def __call__(self, step):
            return ops.divide(self.rate, ops.add(ops.cast(step, "float32"), 1.0))

        def get_config(self):
            return {"rate": self.rate}

    config = schedules.serialize(Halving(1.0))
    rebuilt = schedules.deserialize(config, custom_objects={"Halving": Halving})
    np.testing.assert_allclose(rebuilt(3), 0.25)


def sgd_steps(schedule, graph, steps=4):
    """SGD on loss = sum(w**2) / 2 (gradient w): each step scales w by (1 - lr_t)."""
    w = Variable(np.array([1.0, -2.0], np.float32), name="w")
    optimizer = optimizers.SGD(schedule)
    if graph:
        # ops on a Variable alone compute at once; its graph node builds a graph
        node = engine.variable_from_holder(w)
        grads = engine.gradients(ops.multiply(ops.sum(ops.square(node)), 0.5), [node])
        program = engine.Program([], [], optimizers.to_program_updates(optimizer.get_updates([w], grads)))
        for _ in range(steps):
            program()
    else:
        for _ in range(steps):
            optimizer.apply_gradients([(w.numpy().copy(), w)])
    return w.numpy()


@pytest.mark.parametrize("name, schedule, formula", CASES, ids=IDS)
def test_schedule_as_learning_rate_in_both_paths(name, schedule, formula):
    expected = np.array([1.0, -2.0])
    for step in range(4):
        expected = expected * (1 - formula(step))
    eager = sgd_steps(schedule, graph=False)
    compiled = sgd_steps(schedule, graph=True)
    np.testing.assert_allclose(eager, expected, rtol=1e-5)
    np.testing.assert_allclose(compiled, eager, rtol=1e-6)
