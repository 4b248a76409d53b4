import numpy as np
import pytest

from .harness import Case, check_case, random

CASES = [
    Case("add", [random((3, 4)), random((3, 4), 1)], expected=np.add),
    Case("add", [random((2, 3, 4)), random((4,), 1)], expected=np.add, id="add-broadcast-last"),
    Case("add", [random((2, 1, 4)), random((3, 1), 1)], expected=np.add, id="add-broadcast-both"),
    Case("subtract", [random((3, 4)), random((1, 4), 1)], expected=np.subtract),
    Case("multiply", [random((5,)), random((2, 5), 1)], expected=np.multiply),
    Case("divide", [random((2, 3)), random((2, 3), 1, 0.5, 2.0)], expected=np.divide),
    Case("divide", [random((2, 3)), random((3,), 1, 0.5, 2.0)], expected=np.divide, id="divide-broadcast"),
    Case("negative", [random((2, 3))], expected=np.negative),
    Case("power", [random((2, 3), 0, 0.5, 2.0), random((2, 3), 1)], expected=np.power),
    Case("power", [random((4,), 0, 0.5, 2.0), np.array(3.0)], expected=np.power, id="power-scalar"),
    Case("sum_to_like", [random((2, 3, 4)), random((3, 1), 1)], no_grad=(1,),
         expected=lambda x, like: x.sum(axis=(0, 2), keepdims=True)[0]),
    Case("broadcast_like", [random((3, 1)), random((2, 3, 4), 1)], no_grad=(1,),
         expected=lambda x, like: np.broadcast_to(x, like.shape)),
    Case("identity", [random((2, 3))], expected=lambda x: x),
    Case("ones_like", [random((2, 3))], expected=np.ones_like),
    Case("zeros_like", [random((2, 3))], expected=np.zeros_like),
    Case("axis_size", [random((4, 3))], attrs={"axis": 0}, expected=lambda x: np.asarray(4)),
    Case("axis_size", [random((4, 3))], attrs={"axis": -1}, expected=lambda x: np.asarray(3)),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_primitive(case):
    check_case(case)

