"""resample / resample_grad (image resizing) and ctc_loss / ctc_loss_grad through the generic checks."""
import numpy as np
import pytest

from kerasette.primitives import get
from kerasette.primitives.resampling import weight_matrix

from .harness import Case, check_case, random


def _resample_reference(x, axis, size, method, antialias):
    return np.moveaxis(np.moveaxis(x, axis, -1) @ weight_matrix(x.shape[axis], size, method, antialias).T, -1, axis)


def resample_cases():
    cases = []
    for method in ("nearest", "bilinear", "bicubic", "lanczos3", "lanczos5"):
        for size, antialias in ((3, True), (9, False), (4, False)):
            attrs = dict(axis=1, size=size, method=method, antialias=antialias)
            x = random((2, 6, 3), seed=size)
            cases.append(Case("resample", [x], attrs, id=f"resample-{method}-{size}-{antialias}",
                              expected=lambda a, attrs=attrs: _resample_reference(a, **attrs)))
            y = get("resample").forward(np, x, **attrs)
            cases.append(Case("resample_grad", [random(y.shape, 1), x], attrs, no_grad=(1,),
                              id=f"resample_grad-{method}-{size}-{antialias}"))
    return cases


def ctc_cases():
    target = np.array([[1, 2, 2], [3, 1, 0], [2, 0, 0]])
    logits = random((3, 6, 4), seed=3)
    lengths = [target, logits, np.array([3, 2, 1]), np.array([6, 5, 2])]
    return [
        Case("ctc_loss", lengths, dict(mask_index=0), batch_none=False, id="ctc_loss-blank0"),
        Case("ctc_loss", [target, logits, np.array([3, 2, 1]), np.array([6, 6, 6])], dict(mask_index=3),
             batch_none=False, id="ctc_loss-blank3"),
        Case("ctc_loss_grad", lengths, dict(mask_index=0), batch_none=False, id="ctc_loss_grad"),
    ]


def sampling_cases():
    image = random((4, 5), seed=8)
    # coordinates away from integers (the linear weights have kinks there), inside and outside the image
    coordinates = np.floor(random((2, 3, 2), seed=9, low=-2, high=6)) + random((2, 3, 2), seed=10, low=0.1, high=0.9)
    cases = []
    for mode in ("constant", "nearest", "wrap", "mirror", "reflect"):
        for order in (0, 1):
            attrs = dict(order=order, fill_mode=mode, fill_value=0.5)
            cases.append(Case("map_coordinates", [image, coordinates], attrs, no_grad=(1,) if order == 0 else (),
                              batch_none=False, id=f"map_coordinates-{mode}-{order}"))
        cases.append(Case("map_coordinates_grad", [random((3, 2), 2), image, coordinates],
                          dict(order=1, fill_mode=mode), no_grad=(1, 2), batch_none=False,
                          id=f"map_coordinates_grad-{mode}"))
    cases.append(Case("map_coordinates_slope", [random((3, 2), 2), image, coordinates],
                      dict(order=1, fill_mode="reflect", fill_value=0.0), batch_none=False))
    cases.append(Case("overlap_add", [random((2, 4, 5), 3)], dict(stride=2), id="overlap_add"))
    real, imag = random((2, 5), 4), random((2, 5), 5)
    for inverse in (False, True):
        transform = np.fft.ifft if inverse else np.fft.fft
        for part in ("real", "imag"):
            cases.append(Case("dft", [real, imag], dict(inverse=inverse, part=part), id=f"dft-{inverse}-{part}",
                              expected=lambda a, b, t=transform, p=part: getattr(t(a + 1j * b), p)))
    return cases


CASES = resample_cases() + ctc_cases() + sampling_cases()


@pytest.mark.parametrize("case", CASES, ids=str)
def test_case(case):
    check_case(case)


def test_resample_rows_sum_to_one():
    for method in ("bilinear", "bicubic", "lanczos3"):
        for length, size in ((7, 3), (3, 7), (5, 5)):
            np.testing.assert_allclose(weight_matrix(length, size, method, True).sum(axis=1), 1.0)


def test_map_coordinates_matches_scipy_grid_modes():
    import scipy.ndimage
    image = random((5, 6), seed=1)
    coordinates = random((2, 4, 3), seed=2, low=-2, high=8)
    scipy_modes = {"constant": "grid-constant", "nearest": "nearest", "wrap": "grid-wrap", "mirror": "mirror",
                   "reflect": "reflect"}
    for mode, scipy_mode in scipy_modes.items():
        for order in (0, 1):
            got = get("map_coordinates").forward(np, image, coordinates, order=order, fill_mode=mode, fill_value=0.5)
            np.testing.assert_allclose(got, scipy.ndimage.map_coordinates(image, coordinates, order=order,
                                                                           mode=scipy_mode, cval=0.5), atol=1e-12)


def test_ctc_loss_brute_force():
    # the loss is -log of the summed probability of every alignment that collapses to the target
    import itertools
    rng = np.random.default_rng(1)
    logits = rng.standard_normal((1, 4, 3))
    probs = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    total = 0.0
    for path in itertools.product(range(3), repeat=4):
        collapsed = [k for i, k in enumerate(path) if k != 0 and (i == 0 or path[i - 1] != k)]
        if collapsed == [1, 1]:
            total += np.prod([probs[0, t, k] for t, k in enumerate(path)])
    loss = get("ctc_loss").forward(np, np.array([[1, 1]]), logits, np.array([2]), np.array([4]), mask_index=0)
    np.testing.assert_allclose(loss, [-np.log(total)], rtol=1e-10)
