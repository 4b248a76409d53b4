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
    Case("contiguous", [random((4, 3))], expected=lambda x: x),
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



@pytest.mark.parametrize("name", ["add", "subtract", "multiply", "true_divide"])
@pytest.mark.parametrize("shape, small", [
    ((64, 8, 8, 10), (10,)),               # a bias of few channels: rows of 8 * 8 * 10
    ((3, 5, 4096), (1, 1, 4096),),          # too many channels: numpy's own broadcast
    ((128, 24, 24, 10), (1, 1, 1, 10)),
    ((700, 7), (7,)),
])
def test_channel_rows_give_numpys_bits(name, shape, small):
    from kerasette.primitives.arithmetic import _channel_width, binary
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape).astype(np.float32)
    x.flat[::5] = 0.0
    x.flat[1::11] = -0.0
    x.flat[2::97] = np.inf
    x.flat[3::89] = np.nan
    b = rng.standard_normal(small).astype(np.float32)
    b.flat[0] = -0.0
    assert (_channel_width(x, b) is not None) == (shape[-1] < 256)
    ufunc = getattr(np, name)
    with np.errstate(all="ignore"):
        for first, second in ((x, b), (b, x)):
            expected = ufunc(first, second)
            got = binary(np, name, first, second)
            assert got.shape == expected.shape and got.tobytes() == expected.tobytes()
            into = x.copy()
            operands = (into, second) if first is x else (first, into)
            assert binary(np, name, *operands, out=into) is into
            assert into.tobytes() == expected.tobytes()


def test_contiguous_copies_a_strided_slice_and_keeps_a_contiguous_array():
    from kerasette.primitives import get
    packed = np.arange(2 * 5 * 4, dtype=np.float32).reshape(2, 5, 4)
    view = packed[:, :-1]
    copied = get("contiguous").forward(np, view)
    assert copied.flags.c_contiguous and not np.shares_memory(copied, packed)
    np.testing.assert_array_equal(copied, view)
    whole = np.ones((3, 2), np.float32)
    assert get("contiguous").forward(np, whole) is whole
