"""Creation primitives and shape templates with sizes given at run time."""
import numpy as np
import pytest

from kerasette import engine
from kerasette.primitives import ShapeError, get

from .harness import Case, check_case, random

N2, N3 = np.int64(2), np.int64(3)

CASES = [
    Case("fill", [], attrs={"shape": (2, 3), "value": 1.5, "dtype": "float32"},
         expected=lambda: np.full((2, 3), 1.5, "float32")),
    Case("fill", [N2], attrs={"shape": (None, 3), "value": 7, "dtype": "int32"},
         expected=lambda n: np.full((2, 3), 7, "int32"), id="fill-run-time-size"),
    Case("broadcast_to_sizes", [random((1, 3)), N2], attrs={"shape": (None, 3)},
         expected=lambda x, n: np.broadcast_to(x, (2, 3))),
    Case("broadcast_to_sizes", [random((3,)), N2, N2], attrs={"shape": (None, None, 3)},
         batch_none=False, id="broadcast_to_sizes-new-axes"),
    Case("broadcast_to_sizes", [random((4, 1)), N3], attrs={"shape": (-1, None)},
         expected=lambda x, n: np.broadcast_to(x, (4, 3)), id="broadcast_to_sizes-keep"),
    Case("reshape_to", [random((2, 3, 4)), N2], attrs={"shape": (None, -1)},
         expected=lambda x, n: x.reshape(2, 12)),
    Case("reshape_to", [random((2, 6)), N2, N3], attrs={"shape": (None, None, 2)},
         expected=lambda x, a, b: x.reshape(2, 3, 2), id="reshape_to-two-sizes"),
    Case("arange", [], attrs={"bounds": (1, 7, 2), "dtype": "int32"},
         expected=lambda: np.arange(1, 7, 2, dtype="int32")),
    Case("arange", [np.int64(5)], attrs={"bounds": (0, None, 1), "dtype": "float32"},
         expected=lambda n: np.arange(5, dtype="float32"), id="arange-run-time-stop"),
    Case("eye", [], attrs={"shape": (3, 4), "k": 1, "dtype": "float32"},
         expected=lambda: np.eye(3, 4, k=1, dtype="float32")),
    Case("eye", [N3, N2], attrs={"shape": (None, None), "k": 0, "dtype": "int32"},
         expected=lambda a, b: np.eye(3, 2, dtype="int32"), id="eye-run-time"),
    Case("tri", [], attrs={"shape": (3, 3), "k": -1, "dtype": "float32"},
         expected=lambda: np.tri(3, 3, k=-1, dtype="float32")),
    Case("linspace", [np.float64(0.0), np.array([1.0, 2.0])],
         attrs={"num": 5, "endpoint": True, "axis": 1, "dtype": "float64"},
         expected=lambda a, b: np.linspace(a, b, 5, axis=1)),
    Case("logspace", [np.float64(0.0), np.float64(2.0)],
         attrs={"num": 3, "endpoint": False, "axis": 0, "dtype": "float32", "base": 2.0},
         expected=lambda a, b: np.logspace(0, 2, 3, endpoint=False, base=2.0, dtype="float32")),
    Case("geomspace", [np.float64(1.0), np.float64(1000.0)],
         attrs={"num": 4, "endpoint": True, "axis": 0, "dtype": "float32"},
         expected=lambda a, b: np.geomspace(1, 1000, 4, dtype="float32")),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_primitive(case):
    check_case(case)


def test_run_time_sizes_are_unknown_in_the_shape_rule_and_read_when_run():
    with engine.Graph().as_default():
        x = engine.placeholder("float32", (None, 4))
        batch = engine.apply("axis_size", x, axis=0)
        zeros = engine.apply("fill", batch, shape=(None, 3), value=0.0, dtype="float32")
        flat = engine.apply("reshape_to", x, batch, shape=(None, 2, -1))
        count = engine.apply("arange", batch, bounds=(0, None, 1), dtype="int32")
        assert zeros.shape == (None, 3) and flat.shape == (None, 2, None) and count.shape == (None,)
        session = engine.Session()
        for n in (1, 5):
            values = session.run([zeros, flat, count], feed_dict={x: np.ones((n, 4), "float32")})
            assert values[0].shape == (n, 3) and values[1].shape == (n, 2, 2)
            np.testing.assert_array_equal(values[2], np.arange(n))


def test_shape_rules_refuse_what_cannot_work():
    with pytest.raises(ShapeError, match="needs 1 size inputs"):
        get("fill").infer(shape=(None, 3), value=0, dtype="float32")
    with pytest.raises(ShapeError, match="0-d integers"):
        get("fill").infer(np.float64(2.0), shape=(None, 3), value=0, dtype="float32")
    with pytest.raises(ShapeError, match="negative"):
        get("fill").infer(shape=(-1, 3), value=0, dtype="float32")
    with pytest.raises(ShapeError, match="cannot reshape"):
        get("reshape_to").infer(np.zeros((2, 3)), shape=(4, -1))
    with pytest.raises(ShapeError, match="cannot broadcast"):
        get("broadcast_to_sizes").infer(np.zeros((2, 3)), N2, shape=(None, 4))
    with pytest.raises(ShapeError, match="zero"):
        get("arange").infer(bounds=(0, 3, 0), dtype="int32")
    with pytest.raises(ShapeError, match="2-d"):
        get("eye").infer(shape=(3,), k=0, dtype="float32")
