"""Shape rule, forward, gradient and three-caller agreement for the elementwise family."""
import numpy as np
import pytest
from scipy.special import erf

from .harness import Case, check_case, random


def away_from_zero(shape, seed=0, low=0.2, high=2.0):
    """Random signs times magnitudes in [low, high]: no input near the kink of abs/sign."""
    rng = np.random.default_rng(seed)
    return rng.choice([-1.0, 1.0], size=shape) * rng.uniform(low, high, size=shape)


def away_from_integers(shape, seed=0):
    """Values whose fractional part is in (0.1, 0.4) or (0.6, 0.9): away from floor/round jumps."""
    rng = np.random.default_rng(seed)
    fraction = rng.uniform(0.1, 0.4, size=shape) + rng.choice([0.0, 0.5], size=shape)
    return rng.integers(-3, 3, size=shape) + fraction


def integers(shape, seed=0):
    return np.random.default_rng(seed).integers(-2, 3, size=shape).astype(np.float64)


def bools(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape) > 0


def special_values():
    return np.array([[1.0, np.nan, -np.inf], [np.inf, 0.0, -2.5]])


CASES = [
    # smooth unary
    Case("square", [random((3, 4))], expected=np.square),
    Case("square", [random((5,), 1)], expected=np.square, id="square-1d"),
    Case("sqrt", [random((3, 5), 0, 0.5, 2.0)], expected=np.sqrt),
    Case("exp", [random((2, 3, 4))], expected=np.exp),
    Case("expm1", [random((4, 3))], expected=np.expm1),
    Case("log", [random((3, 4), 0, 0.3, 3.0)], expected=np.log),
    Case("log1p", [random((7,), 0, -0.5, 2.0)], expected=np.log1p),
    Case("reciprocal", [away_from_zero((3, 4), low=0.5)], expected=np.reciprocal),
    Case("sin", [random((2, 5))], expected=np.sin),
    Case("cos", [random((5, 2))], expected=np.cos),
    Case("erf", [random((3, 4))], expected=erf),
    # piecewise
    Case("abs", [away_from_zero((3, 4))], expected=np.abs),
    Case("sign", [away_from_zero((4, 3))], expected=np.sign),
    Case("floor", [away_from_integers((3, 4))], expected=np.floor),
    Case("ceil", [away_from_integers((2, 5), 1)], expected=np.ceil),
    Case("round", [away_from_integers((3, 4), 2)], expected=np.round),
    Case("round", [away_from_integers((3, 4), 3) / 10], attrs={"decimals": 1},
         expected=lambda x: np.round(x, 1), id="round-decimals"),
    # binary with broadcasting
    Case("maximum", [random((3, 4)), random((3, 4), 1)], expected=np.maximum),
    Case("maximum", [random((2, 3, 4)), random((4,), 1)], expected=np.maximum, id="maximum-broadcast"),
    Case("maximum", [random((2, 1, 4)), random((3, 1), 1)], expected=np.maximum, id="maximum-both"),
    Case("minimum", [random((3, 4)), random((1, 4), 1)], expected=np.minimum),
    Case("minimum", [random((5,)), random((2, 5), 1)], expected=np.minimum, id="minimum-broadcast"),
    Case("clip", [random((4, 5))], attrs={"min": -0.5, "max": 0.5},
         expected=lambda x: np.clip(x, -0.5, 0.5)),
    Case("clip", [random((3, 7), 1)], attrs={"min": 0.0, "max": None},
         expected=lambda x: np.maximum(x, 0.0), id="clip-min-only"),
    Case("clip", [random((3, 7), 2)], attrs={"min": None, "max": 0.25},
         expected=lambda x: np.minimum(x, 0.25), id="clip-max-only"),
    Case("where", [bools((3, 4)), random((3, 4), 1), random((3, 4), 2)], expected=np.where),
    Case("where", [bools((3, 1)), random((3, 4), 1), random((4,), 2)], expected=np.where,
         id="where-broadcast"),
    Case("where", [bools((2, 3, 4)), random((3, 1), 1), random((1, 4), 2)], expected=np.where,
         id="where-broadcast-both"),
    Case("cast", [random((3, 4)).astype(np.float32)], attrs={"dtype": "float64"},
         expected=lambda x: x.astype(np.float64)),
    # float64 -> float32 is checked in tests/ops/test_math.py: the eager tape rounds the
    # harness' float64 output gradient to float32, so the 1e-10 agreement cannot hold
    Case("cast", [random((2, 5)) * 3], attrs={"dtype": "int32"}, no_grad=(0,),
         expected=lambda x: x.astype(np.int32), id="cast-to-int"),
    # comparisons and logic: no gradient, bool out
    Case("equal", [integers((3, 4)), integers((3, 4), 1)], expected=np.equal),
    Case("not_equal", [integers((3, 4)), integers((4,), 1)], expected=np.not_equal),
    Case("less", [integers((2, 3, 4)), integers((3, 1), 1)], expected=np.less),
    Case("less_equal", [integers((3, 4)), integers((1, 4), 1)], expected=np.less_equal),
    Case("greater", [random((3, 4)), random((4,), 1)], expected=np.greater),
    Case("greater_equal", [integers((5, 2)), integers((5, 2), 1)], expected=np.greater_equal),
    Case("logical_and", [bools((3, 4)), bools((3, 4), 1)], expected=np.logical_and),
    Case("logical_or", [bools((3, 4)), bools((4,), 1)], expected=np.logical_or),
    Case("logical_xor", [bools((2, 3, 4)), bools((3, 1), 1)], expected=np.logical_xor),
    Case("logical_not", [bools((3, 4))], expected=np.logical_not),
    Case("isnan", [special_values()], expected=np.isnan),
    Case("isinf", [special_values()], expected=np.isinf),
    Case("isfinite", [special_values()], expected=np.isfinite),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_primitive(case):
    check_case(case)
