"""Shape rule, forward, gradient and the three callers for every shape primitive."""
import numpy as np
import pytest

from .harness import Case, check_case, random

IDS = np.array([3, 0, 3, 1, 4, 3])
IDS_2D = np.array([[2, 0], [1, 2], [2, 2]])
ALONG = np.array([[1, 3], [0, 0], [2, 1]])


def scatter_reference(grad, x, indices, axis):
    out = np.zeros_like(x)
    moved_out = np.moveaxis(out, axis, 0)
    moved_grad = np.moveaxis(grad.reshape(grad.shape[:axis] + (-1,) + grad.shape[axis + indices.ndim:]), axis, 0)
    np.add.at(moved_out, indices.reshape(-1), moved_grad)
    return out


def getitem_grad_reference(grad, x, key):
    out = np.zeros_like(x)
    out[key] = grad
    return out


CASES = [
    Case("reshape", [random((3, 4))], {"shape": (2, 6)}, expected=lambda x: x.reshape(2, 6)),
    Case("reshape", [random((2, 4, 4, 5))], {"shape": (-1, 80)}, expected=lambda x: x.reshape(-1, 80),
         id="reshape-minus-one"),
    Case("reshape", [random((2, 3, 4))], {"shape": (6, 4)}, expected=lambda x: x.reshape(6, 4),
         id="reshape-merge"),
    Case("reshape_like", [random((2, 6)), random((3, 4), 1)], no_grad=(1,),
         expected=lambda x, like: x.reshape(3, 4)),
    Case("transpose", [random((2, 3, 4))], {"axes": (2, 0, 1)}, expected=lambda x: x.transpose(2, 0, 1)),
    Case("transpose", [random((3, 5))], {"axes": (1, 0)}, expected=lambda x: x.T, id="transpose-2d"),
    Case("expand_dims", [random((3, 4))], {"axis": (1,)}, expected=lambda x: x[:, None]),
    Case("expand_dims", [random((3, 4))], {"axis": (0, 3)}, expected=lambda x: x[None, :, :, None],
         id="expand_dims-two"),
    Case("squeeze", [random((3, 1, 4, 1))], {"axis": (1, 3)}, expected=lambda x: x[:, 0, :, 0]),
    Case("concatenate", [random((2, 3)), random((2, 4), 1)], {"axis": 1},
         expected=lambda a, b: np.concatenate([a, b], axis=1)),
    Case("concatenate", [random((2, 3)), random((1, 3), 1), random((3, 3), 2)], {"axis": 0},
         expected=lambda a, b, c: np.concatenate([a, b, c], axis=0), id="concatenate-three-axis0"),
    Case("concatenate_grad", [random((2, 7)), random((2, 3), 1), random((2, 4), 2)],
         {"index": 1, "axis": 1}, no_grad=(1, 2), expected=lambda g, a, b: g[:, 3:]),
    Case("stack", [random((2, 3)), random((2, 3), 1)], {"axis": 1},
         expected=lambda a, b: np.stack([a, b], axis=1)),
    Case("stack", [random((4,)), random((4,), 1), random((4,), 2)], {"axis": 0},
         expected=lambda a, b, c: np.stack([a, b, c]), id="stack-three"),
    Case("getitem", [random((4, 5))], {"key": ((None, None, None), (1, 3, None))},
         expected=lambda x: x[:, 1:3]),
    Case("getitem", [random((4, 5, 3))], {"key": (2, None, (None, None, -2), Ellipsis)},
         expected=lambda x: x[2, None, ::-2, ...], id="getitem-int-newaxis-step"),
    Case("getitem", [random((5, 6))], {"key": ((1, None, 2), -1)}, expected=lambda x: x[1::2, -1],
         id="getitem-negative"),
    Case("getitem_grad", [random((4, 2)), random((4, 5), 1)],
         {"key": ((None, None, None), (1, 3, None))}, no_grad=(1,),
         expected=lambda g, x: getitem_grad_reference(g, x, (slice(None), slice(1, 3)))),
    Case("take", [random((5, 3)), IDS], {"axis": 0}, expected=lambda x, i: x[i]),
    Case("take", [random((2, 3, 4)), IDS_2D], {"axis": 1}, expected=lambda x, i: np.take(x, i, axis=1),
         id="take-2d-indices-axis1"),
    Case("take", [random((4, 20)), np.array([19, -1, 0, 5, 19])], {"axis": 1},
         expected=lambda x, i: np.take(x, i, axis=1), id="take-wide-negative"),
    Case("take_grad", [random((6, 3)), random((5, 3), 1), IDS], {"axis": 0}, no_grad=(1,),
         expected=lambda g, x, i: scatter_reference(g, x, i, 0)),
    Case("take_grad", [random((2, 3, 2, 40)), random((2, 3, 40), 1), IDS_2D], {"axis": 1}, no_grad=(1,),
         expected=lambda g, x, i: scatter_reference(g, x, i, 1), id="take_grad-wide-rows"),
    Case("take_along_axis", [random((3, 4)), ALONG], {"axis": 1},
         expected=lambda x, i: np.take_along_axis(x, i, axis=1)),
    Case("take_along_axis", [random((1, 4)), ALONG], {"axis": 1},
         expected=lambda x, i: np.take_along_axis(np.broadcast_to(x, (3, 4)), i, axis=1),
         id="take_along_axis-broadcast"),
    Case("take_along_axis_grad", [random((3, 2)), random((3, 4), 1), ALONG], {"axis": 1}, no_grad=(1,),
         expected=lambda g, x, i: sum(np.eye(4)[i[:, k]] * g[:, k:k + 1] for k in range(2))),
    Case("one_hot", [np.array([[0, 2], [1, 5]])], {"num_classes": 3, "axis": -1, "dtype": "float32"},
         expected=lambda x: np.eye(4, 3)[np.where(x < 3, x, 3)]),
    Case("one_hot", [np.array([0, 2, 1])], {"num_classes": 4, "axis": 0, "dtype": "int32"},
         expected=lambda x: np.eye(4)[x].T, id="one_hot-axis0"),
    Case("pad", [random((3, 4))], {"pad_width": ((1, 2), (0, 3)), "mode": "constant", "constant_values": 0.5},
         expected=lambda x: np.pad(x, ((1, 2), (0, 3)), constant_values=0.5)),
    Case("pad", [random((4, 5))], {"pad_width": ((2, 1), (3, 3)), "mode": "reflect"},
         expected=lambda x: np.pad(x, ((2, 1), (3, 3)), mode="reflect"), id="pad-reflect"),
    Case("pad", [random((2, 3))], {"pad_width": ((0, 0), (4, 2)), "mode": "symmetric"},
         expected=lambda x: np.pad(x, ((0, 0), (4, 2)), mode="symmetric"), id="pad-symmetric-wide"),
    Case("pad", [random((3, 2))], {"pad_width": ((1, 1), (2, 0)), "mode": "edge"},
         expected=lambda x: np.pad(x, ((1, 1), (2, 0)), mode="edge"), id="pad-edge"),
    Case("pad_grad", [random((7, 11)), random((4, 5), 1)], {"pad_width": ((2, 1), (3, 3)), "mode": "reflect"},
         no_grad=(1,)),
    Case("tile", [random((2, 3))], {"repeats": (2, 3)}, expected=lambda x: np.tile(x, (2, 3))),
    Case("tile", [random((3,))], {"repeats": (2, 1, 2)}, expected=lambda x: np.tile(x, (2, 1, 2)),
         id="tile-new-axes"),
    Case("tile_grad", [random((2, 4, 9))], {"repeats": (2, 2, 3), "rank": 2},
         expected=lambda g: g.reshape(2, 2, 2, 3, 3).sum(axis=(0, 1, 3))),
    Case("repeat", [random((2, 3))], {"repeats": 3, "axis": 1}, expected=lambda x: np.repeat(x, 3, axis=1)),
    Case("repeat", [random((3, 2))], {"repeats": 2, "axis": 0}, expected=lambda x: np.repeat(x, 2, axis=0),
         id="repeat-axis0"),
    Case("repeat_grad", [random((2, 6))], {"repeats": 3, "axis": 1},
         expected=lambda g: g.reshape(2, 2, 3).sum(axis=2)),
    Case("broadcast_to", [random((3, 1))], {"shape": (2, 3, 4)},
         expected=lambda x: np.broadcast_to(x, (2, 3, 4))),
    Case("broadcast_to", [random((1, 4))], {"shape": (5, 4)}, expected=lambda x: np.broadcast_to(x, (5, 4)),
         id="broadcast_to-batch"),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_primitive(case):
    check_case(case)
