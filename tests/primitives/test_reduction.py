"""Shape rule, forward, gradient and the three callers for every reduction primitive."""
import numpy as np
import pytest

from .harness import Case, check_case, random


def logsumexp_reference(x, axis, keepdims):
    m = x.max(axis=axis, keepdims=True)
    out = np.log(np.exp(x - m).sum(axis=axis, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis)


def tied_share(x, output, axis, keepdims):
    hits = (x == (output if keepdims else np.expand_dims(output, axis))).astype(x.dtype)
    return hits / hits.sum(axis=axis, keepdims=True)


TIES = np.array([[1.0, 3.0, 3.0, 0.5], [2.0, 2.0, 2.0, 2.0], [0.0, -1.0, 4.0, 1.0]])

CASES = [
    Case("sum", [random((3, 4))], {"axis": (1,)}, expected=lambda x: x.sum(axis=1)),
    Case("sum", [random((2, 3, 4))], {"axis": (0, 2), "keepdims": True},
         expected=lambda x: x.sum(axis=(0, 2), keepdims=True), id="sum-keepdims"),
    Case("sum", [random((2, 3))], {"axis": (0, 1)}, expected=lambda x: np.sum(x), id="sum-all"),
    Case("mean", [random((5, 3))], {"axis": (0,)}, expected=lambda x: x.mean(axis=0)),
    Case("mean", [random((2, 3, 5))], {"axis": (1, 2), "keepdims": True},
         expected=lambda x: x.mean(axis=(1, 2), keepdims=True), id="mean-keepdims"),
    Case("max", [random((4, 5))], {"axis": (1,)}, expected=lambda x: x.max(axis=1)),
    Case("max", [random((3, 2, 4))], {"axis": (0, 2), "keepdims": True},
         expected=lambda x: x.max(axis=(0, 2), keepdims=True), id="max-keepdims"),
    Case("min", [random((4, 5))], {"axis": (0,)}, expected=lambda x: x.min(axis=0)),
    Case("min", [random((2, 3))], {"axis": (0, 1)}, expected=lambda x: np.min(x), id="min-all"),
    Case("prod", [random((3, 4), 0, 0.5, 1.5)], {"axis": (1,)}, expected=lambda x: x.prod(axis=1)),
    Case("prod", [random((2, 3, 2), 0, -1.5, -0.5)], {"axis": (0, 2), "keepdims": True},
         expected=lambda x: x.prod(axis=(0, 2), keepdims=True), id="prod-negative-keepdims"),
    Case("var", [random((6, 3))], {"axis": (0,)}, expected=lambda x: x.var(axis=0)),
    Case("var", [random((2, 3, 4))], {"axis": (1, 2), "keepdims": True},
         expected=lambda x: x.var(axis=(1, 2), keepdims=True), id="var-keepdims"),
    Case("std", [random((6, 3))], {"axis": (0,)}, expected=lambda x: x.std(axis=0)),
    Case("std", [random((2, 3, 4))], {"axis": (2,), "keepdims": True},
         expected=lambda x: x.std(axis=2, keepdims=True), id="std-keepdims"),
    Case("logsumexp", [random((3, 5))], {"axis": (1,)},
         expected=lambda x: logsumexp_reference(x, (1,), False)),
    Case("logsumexp", [random((2, 3, 4)) * 30], {"axis": (0, 2), "keepdims": True},
         expected=lambda x: logsumexp_reference(x, (0, 2), True), id="logsumexp-large-keepdims"),
    Case("argmax", [random((4, 5))], {"axis": 1}, expected=lambda x: x.argmax(axis=1)),
    Case("argmax", [random((4, 5, 2))], {"axis": 0, "keepdims": True},
         expected=lambda x: x.argmax(axis=0, keepdims=True), id="argmax-keepdims"),
    Case("argmin", [random((4, 5))], {"axis": 0}, expected=lambda x: x.argmin(axis=0)),
    Case("cumsum", [random((4, 3))], {"axis": 0}, expected=lambda x: np.cumsum(x, axis=0)),
    Case("cumsum", [random((2, 5))], {"axis": 1, "reverse": True},
         expected=lambda x: np.cumsum(x[:, ::-1], axis=1)[:, ::-1], id="cumsum-reverse"),
    Case("reduction_count", [random((4, 3, 5))], {"axis": (0, 2)}, expected=lambda x: np.array(20.0)),
    Case("extremum_share", [TIES, TIES.max(axis=1)], {"axis": (1,)},
         expected=lambda x, out: tied_share(x, out, (1,), False), id="extremum_share-ties"),
    Case("extremum_share", [TIES, TIES.min(axis=0, keepdims=True)], {"axis": (0,), "keepdims": True},
         expected=lambda x, out: tied_share(x, out, (0,), True), id="extremum_share-keepdims"),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_primitive(case):
    check_case(case)
