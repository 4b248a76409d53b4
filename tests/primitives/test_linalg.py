"""Shape rules, forwards and gradients of matmul, einsum and tensordot."""
import numpy as np
import pytest

from kerasette import engine
from kerasette.primitives import ShapeError, get

from .harness import Case, check_case, random


def transposed(flag_a, flag_b):
    def reference(x, y):
        return np.matmul(np.swapaxes(x, -1, -2) if flag_a else x,
                         np.swapaxes(y, -1, -2) if flag_b else y)
    return reference


CASES = [
    Case("matmul", [random((3, 4)), random((4, 5), 1)], expected=np.matmul),
    Case("matmul", [random((2, 3, 4)), random((4, 5), 1)], expected=np.matmul, id="matmul-batch-x"),
    Case("matmul", [random((3, 4)), random((2, 4, 5), 1)], expected=np.matmul, id="matmul-batch-y"),
    Case("matmul", [random((2, 1, 3, 4)), random((5, 4, 2), 1)], expected=np.matmul,
         id="matmul-broadcast-batch"),
    Case("matmul", [random((4,)), random((4, 5), 1)], expected=np.matmul, id="matmul-vector-x"),
    Case("matmul", [random((2, 3, 4)), random((4,), 1)], expected=np.matmul, id="matmul-vector-y"),
    Case("matmul", [random((4,)), random((2, 4, 3), 1)], expected=np.matmul, id="matmul-vector-batch"),
    Case("matmul", [random((5,)), random((5,), 1)], expected=np.matmul, id="matmul-inner"),
    Case("matmul", [random((2, 4, 3)), random((4, 5), 1)], attrs={"transpose_a": True},
         expected=transposed(True, False), id="matmul-transpose-a"),
    Case("matmul", [random((3, 4)), random((2, 5, 4), 1)], attrs={"transpose_b": True},
         expected=transposed(False, True), id="matmul-transpose-b"),
    Case("matmul", [random((4, 3)), random((5, 4), 1)], attrs={"transpose_a": True, "transpose_b": True},
         expected=transposed(True, True), id="matmul-transpose-both"),
    Case("einsum", [random((3, 4)), random((4, 5), 1)], attrs={"equation": "ij,jk->ik"},
         expected=lambda x, y: np.einsum("ij,jk->ik", x, y)),
    Case("einsum", [random((2, 3, 4, 5)), random((2, 6, 4, 5), 1)],
         attrs={"equation": "bqhd,bkhd->bhqk"},
         expected=lambda x, y: np.einsum("bqhd,bkhd->bhqk", x, y), id="einsum-attention"),
    Case("einsum", [random((2, 3, 4)), random((4, 2, 5), 1)], attrs={"equation": "abc,cde->abde"},
         expected=lambda x, y: np.einsum("abc,cde->abde", x, y), id="einsum-dense-3d"),
    Case("einsum", [random((3, 4)), random((5,), 1)], attrs={"equation": "ij,k->ikj"},
         expected=lambda x, y: np.einsum("ij,k->ikj", x, y), id="einsum-outer"),
    Case("einsum", [random((3, 4)), random((4,), 1)], attrs={"equation": "ij,j->"},
         expected=lambda x, y: np.einsum("ij,j->", x, y), id="einsum-full-contraction"),
    Case("einsum", [random((3, 4)), random((3,), 1)], attrs={"equation": "ij,i->i"},
         expected=lambda x, y: np.einsum("ij,i->i", x, y), id="einsum-summed-in-one"),
    Case("einsum", [random((3, 4))], attrs={"equation": "ij->ji"},
         expected=lambda x: x.T, id="einsum-transpose"),
    Case("einsum", [random((3, 4, 2))], attrs={"equation": "ijk->k"},
         expected=lambda x: x.sum((0, 1)), id="einsum-sum"),
    Case("einsum", [random((2, 3)), random((3, 4), 1), random((4, 2), 2)],
         attrs={"equation": "ij,jk,kl->il"},
         expected=lambda x, y, z: x @ y @ z, id="einsum-three"),
    Case("einsum", [random((2, 3, 4)), random((4, 5), 1)], attrs={"equation": "...j,jk->...k"},
         expected=lambda x, y: x @ y, id="einsum-ellipsis"),
    Case("einsum", [random((2, 1, 3, 4)), random((5, 4, 2), 1)],
         attrs={"equation": "...ij,...jk->...ik"},
         expected=np.matmul, id="einsum-ellipsis-broadcast"),
    Case("einsum", [random((3, 4)), random((4, 5), 1)], attrs={"equation": "ij,jk"},
         expected=lambda x, y: x @ y, id="einsum-implicit"),
    Case("tensordot", [random((2, 3, 4)), random((3, 4, 5), 1)], attrs={"axes": ((1, 2), (0, 1))},
         expected=lambda x, y: np.tensordot(x, y, 2)),
    Case("tensordot", [random((2, 3, 4)), random((5, 2), 1)], attrs={"axes": ((0,), (1,))},
         expected=lambda x, y: np.tensordot(x, y, ([0], [1])), id="tensordot-crossed"),
    Case("tensordot", [random((3, 2, 4)), random((4, 3, 5), 1)], attrs={"axes": ((2, 0), (0, 1))},
         expected=lambda x, y: np.tensordot(x, y, ([2, 0], [0, 1])), id="tensordot-permuted-pairs"),
    Case("tensordot", [random((2, 3)), random((4,), 1)], attrs={"axes": ((), ())},
         expected=lambda x, y: np.tensordot(x, y, 0), id="tensordot-outer"),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_primitive(case):
    check_case(case)


def test_matmul_shape_error_names_both_shapes():
    x = engine.placeholder("float32", (None, 3))
    y = engine.placeholder("float32", (4, 5))
    with pytest.raises(ShapeError, match=r"matmul: shapes \(None, 3\) and \(4, 5\) are incompatible"):
        get("matmul").infer(x, y)


def test_matmul_batch_mismatch_is_a_shape_error():
    x = engine.placeholder("float32", (2, 3, 4))
    y = engine.placeholder("float32", (3, 4, 5))
    with pytest.raises(ShapeError, match=r"\(2, 3, 4\) and \(3, 4, 5\)"):
        get("matmul").infer(x, y)


def test_matmul_unknown_batch_keeps_none():
    x = engine.placeholder("float32", (None, 7, 3))
    y = engine.placeholder("float32", (3, 2))
    assert get("matmul").infer(x, y).shape == (None, 7, 2)


def test_einsum_rejects_traces_and_mismatched_sizes():
    with pytest.raises(ValueError, match="repeated index"):
        get("einsum").infer(np.zeros((3, 3)), equation="ii->i")
    with pytest.raises(ShapeError, match="index 'j' has sizes 4 and 5"):
        get("einsum").infer(np.zeros((3, 4)), np.zeros((5, 2)), equation="ij,jk->ik")
    with pytest.raises(ValueError, match="2 operands"):
        get("einsum").infer(np.zeros((3, 4)), equation="ij,jk->ik")


def test_einsum_pair_runs_as_matmul_and_matches_numpy_in_float32():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 7, 2, 8)).astype("float32")
    y = rng.standard_normal((4, 9, 2, 8)).astype("float32")
    out = get("einsum").forward(np, x, y, equation="bqhd,bkhd->bhqk")
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, np.einsum("bqhd,bkhd->bhqk", x, y), rtol=1e-5, atol=1e-5)


def test_tensordot_shape_error():
    with pytest.raises(ShapeError, match="tensordot"):
        get("tensordot").infer(np.zeros((2, 3)), np.zeros((4, 5)), axes=((1,), (0,)))


def test_gemm_equals_matmul():
    # (it exists to release the GIL for thin outputs: measured in benchmarks/NOTES.md, not asserted)
    from kerasette.primitives.linalg import gemm
    rng = np.random.default_rng(0)
    a = rng.standard_normal((25, 4000)).astype(np.float32)
    b = rng.standard_normal((4000, 10)).astype(np.float32)
    np.testing.assert_allclose(gemm(np, a, b), a @ b, rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(gemm(np, a.T.copy().T, b), a @ b, rtol=1e-5, atol=1e-4)
    out = np.empty((25, 10), np.float32)
    assert gemm(np, a, b, out=out) is out
    np.testing.assert_allclose(out, a @ b, rtol=1e-5, atol=1e-4)
    batched = rng.standard_normal((3, 25, 40)).astype(np.float32)
    np.testing.assert_allclose(gemm(np, batched, b[:40]), batched @ b[:40], rtol=1e-5, atol=1e-5)
