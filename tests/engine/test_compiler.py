"""The compiler: scheduling, pruning, lifetimes, caching and feed checks."""
import weakref

import numpy as np
import pytest

from kerasette import engine
from kerasette.engine import compiler as compiler_module
from kerasette.primitives.arithmetic import Unary
from kerasette.primitives.base import ShapeError


class Counting(Unary):
    """x + 1, remembering every output it makes so a test can see which are alive."""

    name = "counting"

    def __init__(self):
        self.made = []
        self.alive_at_call = []

    def forward(self, xp, x):
        self.alive_at_call.append(sum(ref() is not None for ref in self.made))
        out = x + 1
        self.made.append(weakref.ref(out))
        return out


def test_only_needed_nodes_run():
    counting = Counting()
    x = engine.placeholder("float32", (3,))
    used = engine.apply(counting, x)
    engine.apply(counting, x)  # built but never fetched: pruned
    program = engine.Program([used], [x])
    assert len(program.steps) == 1
    (value,) = program(np.zeros(3, np.float32))
    np.testing.assert_array_equal(value, [1, 1, 1])
    assert len(counting.made) == 1


def test_intermediates_are_released_after_last_use():
    counting = Counting()
    x = engine.placeholder("float32", (1000,))
    node = x
    for _ in range(6):
        node = engine.apply(counting, node)
    program = engine.Program([node], [x])
    program(np.zeros(1000, np.float32))
    # when each step runs, only its own input is still alive among the earlier outputs
    assert counting.alive_at_call == [0, 1, 1, 1, 1, 1]


def test_rerun_does_no_graph_work(monkeypatch):
    x = engine.placeholder("float32", (None, 2))
    y = x * 3.0 + 1.0
    session = engine.Session()
    first = session.run(y, {x: np.ones((2, 2))})
    calls = []
    original = compiler_module.topological_order
    monkeypatch.setattr(compiler_module, "topological_order", lambda *a, **k: calls.append(1) or original(*a, **k))
    second = session.run(y, {x: np.full((5, 2), 2.0)})
    assert calls == []
    np.testing.assert_allclose(first, np.full((2, 2), 4.0))
    np.testing.assert_allclose(second, np.full((5, 2), 7.0))


def test_fetch_structures():
    a = engine.constant([1.0, 2.0])
    b = a * 2.0
    result = engine.Session().run({"a": a, "pair": (b, [a + b])})
    np.testing.assert_allclose(result["a"], [1, 2])
    np.testing.assert_allclose(result["pair"][0], [2, 4])
    np.testing.assert_allclose(result["pair"][1][0], [3, 6])
    assert isinstance(result["pair"], tuple) and isinstance(result["pair"][1], list)


@engine.Graph().as_default()
def test_feed_errors_name_the_placeholder_and_shapes():
    x = engine.placeholder("float32", (None, 3), name="images")
    y = x * 2.0
    with pytest.raises(ValueError, match=r"shape \(4, 2\) to 'images:0', which has shape \(None, 3\)"):
        engine.Session().run(y, {x: np.zeros((4, 2))})
    with pytest.raises(ValueError, match="dtype"):
        engine.Session().run(y, {x: np.array([["a", "b", "c"]])})
    with pytest.raises(ValueError, match="must feed a value for placeholder 'images:0'"):
        engine.Session().run(y)


def test_feed_is_cast_to_the_placeholder_dtype():
    x = engine.placeholder("float32", (2,))
    value = engine.Session().run(x * 1.0, {x: np.array([1.0, 2.0], dtype=np.float64)})
    assert value.dtype == np.float32


def test_incompatible_shapes_raise_at_build_time():
    a = engine.placeholder("float32", (None, 3))
    b = engine.placeholder("float32", (4,))
    with pytest.raises(ShapeError, match=r"add.*\(None, 3\).*\(4,\)"):
        a + b


def test_names_and_repr_follow_tensorflow():
    with engine.Graph().as_default():
        x = engine.constant([3.0])
        y = engine.constant([2.0])
        assert repr(x * y) == 'Tensor("mul:0", shape=(1,), dtype=float32)'
        assert repr(x * y) == 'Tensor("mul_1:0", shape=(1,), dtype=float32)'
        p = engine.placeholder("float32", (None, 28, 28, 1))
        assert repr(p) == 'Tensor("Placeholder:0", shape=(None, 28, 28, 1), dtype=float32)'


def test_updates_apply_after_the_run_and_persist():
    w = engine.Variable([1.0, 2.0])
    x = engine.placeholder("float32", (2,))
    loss = w * x
    step = engine.function([x], [loss], updates=[(w, w - 0.5 * x)])
    (first,) = step([np.array([2.0, 2.0])])
    np.testing.assert_allclose(first, [2.0, 4.0])     # computed with the old w
    np.testing.assert_allclose(w.numpy(), [0.0, 1.0])  # then w was updated
    (second,) = step([np.array([2.0, 2.0])])
    np.testing.assert_allclose(second, [0.0, 2.0])


def test_assign_node_writes_the_variable_when_run():
    v = engine.Variable([1.0])
    assign = v.assign(v * 3.0)
    session = engine.Session()
    session.run(assign)
    session.run(assign)
    np.testing.assert_allclose(v.numpy(), [9.0])


def test_gradient_of_shared_subexpression_accumulates():
    x = engine.placeholder("float64", (3,))
    y = x * x + x * 2.0      # dy/dx = 2x + 2
    (grad,) = engine.gradients(y, [x])
    value = engine.Session().run(grad, {x: np.array([1.0, 2.0, 3.0])})
    np.testing.assert_allclose(value, [4.0, 6.0, 8.0])


def test_gradients_of_unrelated_node_is_none():
    x = engine.placeholder("float32", (2,))
    z = engine.placeholder("float32", (2,))
    assert engine.gradients(x * 2.0, [x, z])[1] is None


def test_second_derivative_through_the_graph():
    x = engine.placeholder("float64", (2,))
    y = x * x * x
    (first,) = engine.gradients(y, [x])
    (second,) = engine.gradients(first, [x])
    values = engine.Session().run([first, second], {x: np.array([1.0, 2.0])})
    np.testing.assert_allclose(values[0], [3.0, 12.0])
    np.testing.assert_allclose(values[1], [6.0, 12.0])


def test_eager_tensor_enters_graph_as_variable():
    from kerasette import Tensor, ops
    w = Tensor([2.0, 3.0], requires_grad=True)
    x = engine.placeholder("float32", (2,))
    y = ops.multiply(x, w)
    session = engine.Session()
    np.testing.assert_allclose(session.run(y, {x: [1.0, 1.0]}), [2.0, 3.0])
    w.data = np.array([5.0, 7.0], np.float32)   # the graph reads the current value
    np.testing.assert_allclose(session.run(y, {x: [1.0, 1.0]}), [5.0, 7.0])



def adam_like_program(update_lanes, fetch_moment=False):
    """Three variables, each with a moment slot updated from a gradient fed in,
    and a scalar step size shared by all of them (like Adam's)."""
    from kerasette import ops
    rng = np.random.default_rng(0)
    weights = [engine.Variable(rng.standard_normal(shape).astype(np.float32))
               for shape in ((40, 30), (30,), (5, 5))]
    moments = [engine.Variable(np.zeros(w.shape, np.float32)) for w in weights]
    grads = [engine.placeholder("float32", w.shape) for w in weights]
    step = engine.Variable(np.float32(0))
    rate = 0.1 / (1.0 + step)
    updates = [(step, step + 1.0)]
    first_moment = None
    for w, m, g in zip(weights, moments, grads):
        new_m = m + (g * g - m) * 0.1
        first_moment = new_m if first_moment is None else first_moment
        updates += [(m, new_m), (w, w - rate * g / (ops.sqrt(new_m) + 1e-7))]
    fetches = [first_moment * 2.0] if fetch_moment else []
    program = compiler_module.Program(fetches, grads, updates, update_lanes=update_lanes)
    return program, weights + moments + [step]


def test_update_lanes_split_per_variable_and_give_the_same_bits():
    rng = np.random.default_rng(1)
    feeds = [[rng.standard_normal(shape).astype(np.float32) for shape in ((40, 30), (30,), (5, 5))]
             for _ in range(3)]
    results = []
    for lanes in (1, 2):
        program, variables = adam_like_program(lanes)
        if lanes == 2:
            # the biggest variable's ops in one lane, the two others in the other
            assert len(program.lanes) == 2 and all(program.lanes)
        else:
            assert program.lanes == []
        for values in feeds:
            program(*values)
        results.append([v.numpy().copy() for v in variables])
    for one, two in zip(*results):
        assert one.tobytes() == two.tobytes()


def test_update_lanes_are_dealt_by_size_and_scalars_stay_on_the_main_path():
    program, _ = adam_like_program(2)
    plain, _ = adam_like_program(1)
    # every op of the plain program runs exactly once in the laned one
    assert len(program.steps) + sum(len(lane) for lane in program.lanes) == len(plain.steps)
    # the step size and the step counter (scalars) are computed before the lanes
    lane_outputs = {step[3] for lane in program.lanes for step in lane}
    assert all(step[3] not in lane_outputs for step in program.steps)
    # per variable 8 ops read a slot or the variable (g * g only reads the feed: main path);
    # the (40, 30) variable alone in one lane, (30,) and (5, 5) together in the other
    assert len(program.lanes[0]) == 8 and len(program.lanes[1]) == 16


def test_update_lanes_fall_back_when_a_fetch_reads_the_update_work():
    program, _ = adam_like_program(2, fetch_moment=True)
    # the first variable's moment is fetched, so its group is not update-only;
    # the two other groups still form two lanes
    assert len(program.lanes) == 2
    (doubled,) = program(*[np.ones(shape, np.float32) for shape in ((40, 30), (30,), (5, 5))])
    np.testing.assert_allclose(doubled, np.full((40, 30), 0.2, np.float32), rtol=1e-6)


def test_no_lanes_when_the_main_path_reads_a_lanes_result():
    from kerasette import ops
    weights = [engine.Variable(np.ones((4, 4), np.float32)), engine.Variable(np.ones((3,), np.float32))]
    total = engine.Variable(np.float32(0))
    grads = [engine.placeholder("float32", w.shape) for w in weights]
    new_values = [w - 0.5 * g for w, g in zip(weights, grads)]
    # a scalar (main path) computed from one variable's update work
    updates = list(zip(weights, new_values)) + [(total, total + ops.sum(new_values[0]))]
    program = compiler_module.Program([], grads, updates, update_lanes=2)
    assert program.lanes == []
    program(np.ones((4, 4), np.float32), np.ones((3,), np.float32))
    assert float(total.numpy()) == 8.0
