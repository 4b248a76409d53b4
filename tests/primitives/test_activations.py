"""Shape rule, forward, gradient and three-caller agreement for the activation family."""
import math

import numpy as np
import pytest
from scipy.special import erf, expit, log_softmax, softmax

from kerasette.primitives import get

from .harness import Case, check_case, random


def away_from(shape, kinks, seed=0, low=-4.0, high=4.0, margin=0.05):
    """Uniform values in [low, high] with none within ``margin`` of a kink."""
    x = random(shape, seed, low, high)
    for kink in kinks:
        near = np.abs(x - kink) < margin
        x[near] = kink + np.where(x[near] >= kink, margin, -margin) * 2
    return x


SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def gelu_tanh(x):
    return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))


def gelu_exact(x):
    return 0.5 * x * (1 + erf(x / math.sqrt(2)))


def elu(x, alpha=1.0):
    return np.where(x > 0, x, alpha * np.expm1(x))


def probabilities(shape, seed=0, axis=-1):
    return softmax(random(shape, seed), axis=axis)


CASES = [
    Case("relu", [away_from((3, 4), [0])], expected=lambda x: np.maximum(x, 0)),
    Case("relu", [away_from((2, 3, 5), [0], 1)], expected=lambda x: np.maximum(x, 0), id="relu-3d"),
    Case("relu6", [away_from((4, 5), [0, 6], low=-3, high=9)], expected=lambda x: np.clip(x, 0, 6)),
    Case("leaky_relu", [away_from((3, 4), [0])], expected=lambda x: np.where(x > 0, x, 0.2 * x)),
    Case("leaky_relu", [away_from((5,), [0], 1)], attrs={"negative_slope": 0.01},
         expected=lambda x: np.where(x > 0, x, 0.01 * x), id="leaky_relu-0.01"),
    Case("leaky_relu", [away_from((2, 3), [0], 2)], attrs={"negative_slope": -1.5},
         expected=lambda x: np.where(x > 0, x, -1.5 * x), id="leaky_relu-negative-slope"),
    Case("elu", [away_from((3, 4), [0])], expected=elu),
    Case("elu", [away_from((4, 3), [0], 1)], attrs={"alpha": 0.5},
         expected=lambda x: elu(x, 0.5), id="elu-alpha"),
    Case("selu", [away_from((3, 5), [0])], expected=lambda x: SELU_SCALE * elu(x, SELU_ALPHA)),
    Case("gelu", [random((3, 4), 0, -5, 5)], expected=gelu_tanh),
    Case("gelu", [random((2, 7), 1, -5, 5)], attrs={"approximate": False}, expected=gelu_exact,
         id="gelu-exact"),
    Case("gelu_grad", [random((3, 4), 0, -4, 4), random((3, 4), 1)],
         expected=lambda x, g: g * (gelu_tanh(x + 1e-6) - gelu_tanh(x - 1e-6)) / 2e-6, id="gelu_grad"),
    Case("gelu_grad", [random((4, 3), 2, -4, 4), random((4, 3), 3)], attrs={"approximate": False},
         id="gelu_grad-exact"),
    Case("tanh", [random((3, 4), 0, -3, 3)], expected=np.tanh),
    Case("sigmoid", [random((3, 4), 0, -6, 6)], expected=expit),
    Case("sigmoid", [np.array([[-800.0, -30.0, 0.0, 30.0, 800.0]])], expected=expit,
         id="sigmoid-tails", atol=1e-7),
    Case("hard_sigmoid", [away_from((4, 5), [-3, 3], low=-5, high=5)],
         expected=lambda x: np.clip(x + 3, 0, 6) / 6),
    Case("silu", [random((3, 4), 0, -5, 5)], expected=lambda x: x * expit(x)),
    Case("softplus", [random((3, 4), 0, -5, 5)], expected=lambda x: np.log1p(np.exp(x))),
    Case("softplus", [np.array([[-800.0, -40.0, 0.0, 40.0, 800.0]])],
         expected=lambda x: np.logaddexp(0, x), id="softplus-tails"),
    Case("softsign", [away_from((3, 4), [0])], expected=lambda x: x / (1 + np.abs(x))),
    Case("softmax", [random((3, 5))], attrs={"axis": (1,)}, expected=lambda x: softmax(x, axis=1)),
    Case("softmax", [random((2, 3, 4), 1)], attrs={"axis": (1,)},
         expected=lambda x: softmax(x, axis=1), id="softmax-middle-axis"),
    Case("softmax", [random((2, 3, 4), 2)], attrs={"axis": (1, 2)},
         expected=lambda x: softmax(x, axis=(1, 2)), id="softmax-two-axes"),
    Case("softmax", [random((2, 6), 3) * 100 + 500], attrs={"axis": (1,)},
         expected=lambda x: softmax(x, axis=1), eps=1e-5, id="softmax-large"),
    Case("softmax", [random((4, 6), 4) * 10 + np.array([[0.0], [-45.0], [10.0], [-5.0]])],
         attrs={"axis": (-1,)}, expected=lambda x: softmax(x, axis=-1), id="softmax-rows-one-shift"),
    Case("softmax", [random((3, 6), 5) + np.array([[0.0], [-90.0], [200.0]])], attrs={"axis": (1,)},
         expected=lambda x: softmax(x, axis=1), eps=1e-5, id="softmax-rows-apart"),
    Case("softmax_grad", [probabilities((2, 3, 5), 6), random((2, 3, 5), 7)], attrs={"axis": (2,)},
         expected=lambda y, g: y * (g - (g * y).sum(axis=-1, keepdims=True)), id="softmax_grad-last-axis"),
    Case("log_softmax", [random((3, 5))], attrs={"axis": (1,)},
         expected=lambda x: log_softmax(x, axis=1)),
    Case("log_softmax", [random((4, 3, 2), 1)], attrs={"axis": (0,)}, batch_none=False,
         expected=lambda x: log_softmax(x, axis=0), id="log_softmax-axis0"),
    Case("log_softmax", [random((2, 6), 3) * 100 - 500], attrs={"axis": (1,)},
         expected=lambda x: log_softmax(x, axis=1), id="log_softmax-large"),
    Case("softmax_grad", [probabilities((3, 5)), random((3, 5), 1)], attrs={"axis": (1,)},
         expected=lambda y, g: y * (g - (g * y).sum(axis=1, keepdims=True))),
    Case("softmax_grad", [probabilities((2, 3, 4), 2, axis=1), random((2, 3, 4), 3)],
         attrs={"axis": (1,)}, id="softmax_grad-middle-axis"),
    Case("log_softmax_grad", [log_softmax(random((3, 5)), axis=1), random((3, 5), 1)],
         attrs={"axis": (1,)},
         expected=lambda y, g: g - np.exp(y) * g.sum(axis=1, keepdims=True)),
    Case("log_softmax_grad", [log_softmax(random((4, 2, 3), 2), axis=(1, 2)), random((4, 2, 3), 3)],
         attrs={"axis": (1, 2)}, id="log_softmax_grad-two-axes"),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_primitive(case):
    check_case(case)


@pytest.mark.parametrize("offsets", [[0.0, -55.0, 20.0], [0.0, -200.0, 300.0]], ids=["one-shift", "row-shifts"])
def test_softmax_float32_rows_keep_their_precision(offsets):
    # rows far below the array's maximum (within or beyond the range one shift may cover)
    rng = np.random.default_rng(0)
    x = (rng.standard_normal((3, 4, 128)) * 2 + np.array(offsets)[:, None, None]).astype("float32")
    out = get("softmax").forward(np, x, axis=(-1,))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, softmax(x.astype(np.float64), axis=-1), rtol=2e-5, atol=1e-30)
    grad = rng.standard_normal(x.shape).astype("float32")
    back = get("softmax_grad").forward(np, out, grad, axis=(-1,))
    expected = out.astype(np.float64) * (grad - (grad * out.astype(np.float64)).sum(-1, keepdims=True))
    np.testing.assert_allclose(back, expected, rtol=1e-4, atol=1e-6)


def test_softmax_masked_rows():
    # -inf logits get probability 0; a fully masked row is NaN, as numpy's x - max gives there
    x = np.array([[0.0, -np.inf, 1.0], [-np.inf, -np.inf, -np.inf]], "float32")
    with np.errstate(invalid="ignore"):
        out = get("softmax").forward(np, x, axis=(-1,))
    np.testing.assert_allclose(out[0], softmax(np.array([0.0, -np.inf, 1.0]), axis=-1), rtol=1e-6)
    assert np.isnan(out[1]).all()
