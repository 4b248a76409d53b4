"""Stacked einsum products read their operands in place and write into the output's layout
(kerasette/primitives/linalg.py, ``_batched_in_place``): the numbers, shapes and C-contiguous
results must be those of numpy's einsum whatever the operands' memory layout."""
import zlib

import numpy
import pytest

from kerasette.primitives import linalg
from kerasette.primitives.base import get

SIZES = dict(B=3, T=5, N=2, H=4, S=6, a=3, b=4, c=5, d=2, e=3, i=3, j=4, k=5, x=2)
EQUATIONS = [
    "BTNH,BSNH->BNTS",      # attention scores
    "BNTS,BSNH->BTNH",      # attention combination, query gradient
    "BTNH,BNTS->BSNH",      # value gradient
    "BNTS,BTNH->BSNH",      # key gradient
    "bij,bjk->bik", "bij,bj->bi", "xbij,bjk->bxik", "ij,bjk->bik", "abcd,acbe->acde",
]


def _operand(rng, subs, layout):
    shape = [SIZES[c] for c in subs]
    if layout == "c":
        return rng.standard_normal(shape).astype(numpy.float32)
    if layout == "permuted":      # a transposed view of another layout
        perm = rng.permutation(len(subs))
        stored = rng.standard_normal([shape[i] for i in perm]).astype(numpy.float32)
        return stored.transpose(numpy.argsort(perm))
    # strided: every other element of a larger array
    wide = rng.standard_normal(shape[:-1] + [2 * shape[-1]]).astype(numpy.float32)
    return wide[..., ::2]


@pytest.mark.parametrize("equation", EQUATIONS)
@pytest.mark.parametrize("layouts", [("c", "c"), ("permuted", "c"), ("c", "permuted"),
                                     ("permuted", "permuted"), ("strided", "c"), ("c", "strided")])
def test_stacked_products_match_numpy_einsum(equation, layouts):
    rng = numpy.random.default_rng(zlib.crc32(repr((equation, layouts)).encode()))
    subs, _ = equation.split("->")
    x = _operand(rng, subs.split(",")[0], layouts[0])
    y = _operand(rng, subs.split(",")[1], layouts[1])
    got = get("einsum").forward(numpy, x, y, equation=equation)
    want = numpy.einsum(equation, x.astype(numpy.float64), y.astype(numpy.float64))
    assert got.shape == want.shape
    assert got.dtype == numpy.float32
    assert got.flags.c_contiguous
    numpy.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_same_array_as_both_operands():
    x = numpy.random.default_rng(0).standard_normal((3, 5, 2, 4)).astype(numpy.float32)
    got = get("einsum").forward(numpy, x, x, equation="BTNH,BSNH->BNTS")
    numpy.testing.assert_allclose(got, numpy.einsum("BTNH,BSNH->BNTS", x, x), rtol=1e-5, atol=1e-5)


def test_float64_and_mixed_dtypes():
    rng = numpy.random.default_rng(1)
    x = rng.standard_normal((3, 5, 2, 4))
    y = rng.standard_normal((3, 6, 2, 4)).astype(numpy.float32)
    for a, b in ((x, x[:, :5]), (x, y)):
        got = get("einsum").forward(numpy, a, b, equation="BTNH,BSNH->BNTS")
        assert got.dtype == numpy.result_type(a, b)
        numpy.testing.assert_allclose(got, numpy.einsum("BTNH,BSNH->BNTS", a, b), rtol=1e-5, atol=1e-5)


def test_attention_products_need_no_output_copy_or_both_inner_form():
    """The plans for W5's products: no copies for the combination and the value and key
    gradients (views in, ``out=`` into the output's layout), and never the both-operands-
    contracted-innermost form for the scores."""
    shape, itemsize = (32, 128, 4, 32), 4
    strides4 = tuple(itemsize * int(numpy.prod(shape[i + 1:])) for i in range(4))
    scores_shape = (32, 4, 128, 128)
    scores_strides = tuple(itemsize * int(numpy.prod(scores_shape[i + 1:])) for i in range(4))

    def plan(equation, xs, ys):
        (x_subs, y_subs), out = equation.split("->")[0].split(","), equation.split("->")[1]
        both = set(x_subs) & set(y_subs)
        batch = tuple(c for c in out if c in both)
        left = tuple(c for c in out if c in x_subs and c not in both)
        right = tuple(c for c in out if c in y_subs and c not in both)
        contract = tuple(c for c in x_subs if c in both and c not in out)
        return linalg._batched_plan(x_subs, y_subs, out, batch, left, right, contract,
                                    xs[0], xs[1], ys[0], ys[1], itemsize)

    heads, probs = (shape, strides4), (scores_shape, scores_strides)
    for equation, xs, ys in (("BNTS,BSNH->BTNH", probs, heads), ("BTNH,BNTS->BSNH", heads, probs),
                             ("BNTS,BTNH->BSNH", probs, heads)):
        x_form, y_form, out_form, _ = plan(equation, xs, ys)
        assert (x_form, y_form, out_form) == (None, None, None), equation
    x_form, y_form, out_form, _ = plan("BTNH,BSNH->BNTS", heads, heads)
    assert out_form is None and (x_form is not None) != (y_form is not None)


@pytest.mark.parametrize("equation", ["BTNH,BSNH->BNTS", "BNTS,BSNH->BTNH", "BTNH,BNTS->BSNH"])
def test_two_thread_split_gives_the_same_bits(monkeypatch, equation):
    """A large stack's halves on the caller's and the helper thread: every product is the
    one computed alone, so the result is bit for bit the one-thread result."""
    rng = numpy.random.default_rng(3)
    subs = equation.split("->")[0].split(",")
    x = _operand(rng, subs[0], "c")
    y = _operand(rng, subs[1], "permuted")
    monkeypatch.setattr(linalg, "_two_threads", lambda: False)
    alone = get("einsum").forward(numpy, x, y, equation=equation)
    calls = []
    monkeypatch.setattr(linalg, "_two_threads", lambda: calls.append(1) or True)
    monkeypatch.setattr(linalg, "SPLIT_FLOPS", 1)
    split = get("einsum").forward(numpy, x, y, equation=equation)
    assert calls, "the split was not tried"
    numpy.testing.assert_array_equal(split, alone)
    assert split.flags.c_contiguous
