"""ZeroPadding, Cropping and UpSampling: shapes, numbers against numpy and PyTorch, configs, gradients."""
import numpy as np
import pytest

from kerasette import Tensor, backend, ops
from kerasette.engine import Session
from kerasette.layers import Input
from kerasette.layers.reshaping import (
    Cropping1D, Cropping2D, Cropping3D, UpSampling1D, UpSampling2D, UpSampling3D, ZeroPadding1D,
    ZeroPadding2D, ZeroPadding3D)
from kerasette.primitives.base import ShapeError


@pytest.fixture(autouse=True)
def fresh_names():
    backend.clear_session()
    yield


def data(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


# layer, input shape, output shape, numpy reference of the forward
CASES = [
    (lambda: ZeroPadding1D(), (5, 3), (7, 3), lambda x: np.pad(x, ((0, 0), (1, 1), (0, 0)))),
    (lambda: ZeroPadding1D((1, 2)), (5, 3), (8, 3), lambda x: np.pad(x, ((0, 0), (1, 2), (0, 0)))),
    (lambda: ZeroPadding2D(), (4, 4, 3), (6, 6, 3), lambda x: np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)))),
    (lambda: ZeroPadding2D((2, 0)), (4, 4, 3), (8, 4, 3), lambda x: np.pad(x, ((0, 0), (2, 2), (0, 0), (0, 0)))),
    (lambda: ZeroPadding2D(((1, 0), (2, 3))), (4, 4, 3), (5, 9, 3),
     lambda x: np.pad(x, ((0, 0), (1, 0), (2, 3), (0, 0)))),
    (lambda: ZeroPadding3D(1), (2, 3, 4, 1), (4, 5, 6, 1), lambda x: np.pad(x, ((0, 0),) + ((1, 1),) * 3 + ((0, 0),))),
    (lambda: ZeroPadding3D(((0, 1), (2, 0), (1, 1))), (2, 3, 4, 2), (3, 5, 6, 2),
     lambda x: np.pad(x, ((0, 0), (0, 1), (2, 0), (1, 1), (0, 0)))),
    (lambda: Cropping1D(), (8, 3), (6, 3), lambda x: x[:, 1:-1]),
    (lambda: Cropping1D((2, 0)), (8, 3), (6, 3), lambda x: x[:, 2:]),
    (lambda: Cropping2D(((2, 2), (4, 4))), (28, 28, 3), (24, 20, 3), lambda x: x[:, 2:-2, 4:-4]),
    (lambda: Cropping2D((1, 0)), (6, 5, 2), (4, 5, 2), lambda x: x[:, 1:-1, :]),
    (lambda: Cropping2D(), (6, 5, 2), (6, 5, 2), lambda x: x),
    (lambda: Cropping3D(1), (4, 5, 6, 1), (2, 3, 4, 1), lambda x: x[:, 1:-1, 1:-1, 1:-1]),
    (lambda: Cropping3D(((0, 1), (2, 0), (1, 2))), (4, 5, 6, 1), (3, 3, 3, 1), lambda x: x[:, :-1, 2:, 1:-2]),
    (lambda: UpSampling1D(), (4, 2), (8, 2), lambda x: np.repeat(x, 2, axis=1)),
    (lambda: UpSampling1D(3), (4, 2), (12, 2), lambda x: np.repeat(x, 3, axis=1)),
    (lambda: UpSampling2D(), (3, 4, 2), (6, 8, 2), lambda x: np.repeat(np.repeat(x, 2, 1), 2, 2)),
    (lambda: UpSampling2D((3, 1)), (3, 4, 2), (9, 4, 2), lambda x: np.repeat(x, 3, 1)),
    (lambda: UpSampling3D(), (2, 3, 1, 2), (4, 6, 2, 2),
     lambda x: np.repeat(np.repeat(np.repeat(x, 2, 1), 2, 2), 2, 3)),
    (lambda: UpSampling2D(interpolation="bilinear"), (3, 4, 2), (6, 8, 2), None),
]


@pytest.mark.parametrize("make, input_shape, output_shape, reference", CASES)
def test_shapes_numbers_and_three_callers(make, input_shape, output_shape, reference):
    layer = make()
    inputs = Input(shape=input_shape)
    node = layer(inputs)
    assert node.shape == (None,) + output_shape
    assert layer.compute_output_shape((None,) + input_shape) == (None,) + output_shape
    assert layer.count_params() == 0
    x = data(2, *input_shape)
    from_arrays = layer(x)
    if reference is not None:
        np.testing.assert_array_equal(from_arrays, reference(x))
    np.testing.assert_allclose(layer(Tensor(x)).numpy(), from_arrays, rtol=1e-6)
    np.testing.assert_allclose(Session().run(node, {inputs: x}), from_arrays, rtol=1e-6)


@pytest.mark.parametrize("make, input_shape, output_shape, reference", CASES)
def test_config_round_trip(make, input_shape, output_shape, reference):
    layer = make()
    config = layer.get_config()
    rebuilt = type(layer).from_config(config)
    assert rebuilt.get_config() == config
    assert rebuilt(Input(shape=input_shape)).shape == (None,) + output_shape


@pytest.mark.parametrize("make, input_shape, output_shape, reference", CASES)
def test_gradient_is_the_transposed_map(make, input_shape, output_shape, reference):
    layer = make()
    x = data(2, *input_shape)
    probe = data(2, *output_shape, seed=5)
    tensor = Tensor(x, requires_grad=True)
    ops.sum(ops.multiply(layer(tensor), probe)).backward()
    # the layers are linear, so <layer(x), probe> has gradient layer^T(probe); check it on
    # a random direction: <grad, d> == <layer(d), probe>
    direction = data(2, *input_shape, seed=7)
    np.testing.assert_allclose(np.sum(tensor.grad.numpy() * direction), np.sum(layer(direction) * probe),
                               rtol=1e-4)


def test_unknown_spatial_sizes_pass_through():
    inputs = Input(shape=(None, 5, 3))
    assert ZeroPadding2D(((1, 2), (0, 1)))(inputs).shape == (None, None, 6, 3)
    cropped = Cropping2D(((1, 2), (1, 1)))(inputs)
    assert cropped.shape == (None, None, 3, 3)
    assert UpSampling2D((2, 3))(inputs).shape == (None, None, 15, 3)
    x = data(2, 7, 5, 3)
    np.testing.assert_array_equal(Session().run(cropped, {inputs: x}), x[:, 1:-2, 1:-1])


def test_config_values_are_keras():
    assert ZeroPadding1D().get_config()["padding"] == (1, 1)
    assert ZeroPadding2D().get_config()["padding"] == ((1, 1), (1, 1))
    assert ZeroPadding2D((1, 2)).padding == ((1, 1), (2, 2))
    assert Cropping1D(2).cropping == (2, 2)
    assert Cropping2D(((1, 2), 3)).cropping == ((1, 2), (3, 3))
    config = UpSampling2D(interpolation="bilinear").get_config()
    assert (config["size"], config["interpolation"], config["data_format"]) == ((2, 2), "bilinear",
                                                                                 "channels_last")
    assert UpSampling1D().get_config()["size"] == 2
    assert UpSampling3D().size == (2, 2, 2)
    backend.clear_session()
    assert [ZeroPadding2D().name, Cropping2D().name, UpSampling2D().name] == [
        "zero_padding2d", "cropping2d", "up_sampling2d"]


# ------------------------------------------------------------- bilinear

@pytest.mark.parametrize("size, spatial", [((2, 2), (5, 7)), ((3, 2), (4, 4)), ((1, 4), (3, 5)), ((4, 3), (1, 2))])
def test_bilinear_upsampling_matches_torch(size, spatial):
    torch = pytest.importorskip("torch")
    x = data(2, *spatial, 3)
    ours = UpSampling2D(size, interpolation="bilinear")(x)
    expected = torch.nn.functional.interpolate(torch.from_numpy(np.moveaxis(x, -1, 1).copy()),
                                               scale_factor=size, mode="bilinear", align_corners=False)
    np.testing.assert_allclose(ours, np.moveaxis(expected.numpy(), 1, -1), rtol=1e-4, atol=1e-6)
    assert ours.dtype == np.float32


def test_bilinear_gradient_matches_torch():
    torch = pytest.importorskip("torch")
    x = data(2, 4, 5, 3)
    probe = data(2, 8, 10, 3, seed=3)
    tensor = Tensor(x, requires_grad=True)
    ops.sum(ops.multiply(UpSampling2D(interpolation="bilinear")(tensor), probe)).backward()
    tx = torch.from_numpy(np.moveaxis(x, -1, 1).copy()).requires_grad_()
    out = torch.nn.functional.interpolate(tx, scale_factor=2, mode="bilinear", align_corners=False)
    (out * torch.from_numpy(np.moveaxis(probe, -1, 1).copy())).sum().backward()
    np.testing.assert_allclose(tensor.grad.numpy(), np.moveaxis(tx.grad.numpy(), 1, -1), rtol=1e-4, atol=1e-6)


def test_bilinear_interior_values_by_hand():
    # one row 0, 1, 2, 3 upsampled twice: half-pixel centres sample at -0.25 (clamped), 0.25, 0.75, ...
    x = np.arange(4, dtype=np.float32).reshape(1, 1, 4, 1)
    out = UpSampling2D((1, 2), interpolation="bilinear")(x)[0, 0, :, 0]
    np.testing.assert_allclose(out, [0, 0.25, 0.75, 1.25, 1.75, 2.25, 2.75, 3.0], rtol=1e-6)


# ----------------------------------------------------------------- errors

def test_shape_errors_name_the_layer_and_shape():
    with pytest.raises(ShapeError, match=r"Cropping2D 'crop'.*\(None, 4, 8, 1\)"):
        Cropping2D(((2, 2), (1, 1)), name="crop")(Input(shape=(4, 8, 1)))
    with pytest.raises(ShapeError, match=r"ZeroPadding2D 'zero_padding2d' expects an input of rank 4, got shape \(None, 4, 1\)"):
        ZeroPadding2D()(Input(shape=(4, 1)))
    with pytest.raises(ShapeError, match=r"UpSampling2D 'up_sampling2d'.*known.*\(None, None, 4, 1\)"):
        UpSampling2D(interpolation="bilinear")(Input(shape=(None, 4, 1)))


def test_argument_errors():
    with pytest.raises(ValueError, match="data_format"):
        ZeroPadding2D(data_format="NCHW")
    with pytest.raises(ValueError, match="Cropping1D.*data_format"):
        Cropping1D(data_format="channels_first")
    with pytest.raises(ValueError, match="interpolation"):
        UpSampling2D(interpolation="bicubic")
    with pytest.raises(ValueError, match="padding"):
        ZeroPadding2D((1, 2, 3))
    with pytest.raises(ValueError, match="cropping"):
        Cropping1D(-1)
    with pytest.raises(ValueError, match="size"):
        UpSampling2D(0)
