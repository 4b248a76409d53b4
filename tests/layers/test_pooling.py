"""Pooling layers: shapes, numbers against numpy and PyTorch, masks, configs, gradients."""
import numpy as np
import pytest

from kerasette import Tensor, backend, ops
from kerasette.engine import Session
from kerasette.layers import Input
from kerasette.layers.layer import set_mask
from kerasette.layers.pooling import (
    AveragePooling1D, AveragePooling2D, AveragePooling3D, AvgPool2D, GlobalAveragePooling1D,
    GlobalAveragePooling2D, GlobalAveragePooling3D, GlobalAvgPool1D, GlobalMaxPool2D, GlobalMaxPooling1D,
    GlobalMaxPooling2D, GlobalMaxPooling3D, MaxPool1D, MaxPool2D, MaxPool3D, MaxPooling1D, MaxPooling2D,
    MaxPooling3D)
from kerasette.primitives.base import ShapeError


@pytest.fixture(autouse=True)
def fresh_names():
    backend.clear_session()
    yield


def data(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


CASES = [
    (lambda: MaxPooling1D(), (10, 3), (5, 3)),
    (lambda: MaxPooling1D(3, strides=2, padding="same"), (10, 3), (5, 3)),
    (lambda: MaxPooling2D(), (24, 24, 10), (12, 12, 10)),
    (lambda: MaxPooling2D((3, 2), strides=(2, 1)), (9, 7, 2), (4, 6, 2)),
    (lambda: MaxPooling2D(3, strides=2, padding="same"), (7, 8, 2), (4, 4, 2)),
    (lambda: MaxPooling3D(), (4, 6, 9, 2), (2, 3, 4, 2)),
    (lambda: AveragePooling1D(3, strides=1, padding="same"), (10, 3), (10, 3)),
    (lambda: AveragePooling2D(), (8, 9, 3), (4, 4, 3)),
    (lambda: AveragePooling2D(3, strides=2, padding="same"), (7, 8, 2), (4, 4, 2)),
    (lambda: AveragePooling3D((1, 2, 2)), (3, 4, 4, 1), (3, 2, 2, 1)),
    (lambda: GlobalMaxPooling1D(), (10, 3), (3,)),
    (lambda: GlobalMaxPooling2D(keepdims=True), (5, 5, 3), (1, 1, 3)),
    (lambda: GlobalMaxPooling3D(), (2, 3, 4, 5), (5,)),
    (lambda: GlobalAveragePooling1D(keepdims=True), (10, 3), (1, 3)),
    (lambda: GlobalAveragePooling2D(), (7, 7, 4), (4,)),
    (lambda: GlobalAveragePooling3D(keepdims=True), (2, 3, 4, 5), (1, 1, 1, 5)),
]


@pytest.mark.parametrize("make, input_shape, output_shape", CASES)
def test_shapes_no_weights_and_three_callers(make, input_shape, output_shape):
    layer = make()
    inputs = Input(shape=input_shape)
    node = layer(inputs)
    assert node.shape == (None,) + output_shape
    assert layer.compute_output_shape((None,) + input_shape) == (None,) + output_shape
    assert layer.count_params() == 0 and layer.weights == []
    x = data(2, *input_shape)
    from_arrays = layer(x)
    assert from_arrays.shape == (2,) + output_shape
    np.testing.assert_allclose(layer(Tensor(x)).numpy(), from_arrays, rtol=1e-6)
    np.testing.assert_allclose(Session().run(node, {inputs: x}), from_arrays, rtol=1e-6)


@pytest.mark.parametrize("make, input_shape, output_shape", CASES)
def test_config_round_trip(make, input_shape, output_shape):
    layer = make()
    config = layer.get_config()
    rebuilt = type(layer).from_config(config)
    assert rebuilt.get_config() == config
    assert rebuilt(Input(shape=input_shape)).shape == (None,) + output_shape


@pytest.mark.parametrize("make, input_shape, output_shape", CASES)
def test_gradients_flow_eagerly(make, input_shape, output_shape):
    layer = make()
    x = Tensor(data(2, *input_shape), requires_grad=True)
    ops.sum(ops.square(layer(x))).backward()
    assert x.grad.shape == x.shape and np.abs(x.grad.numpy()).sum() > 0


def test_config_values_and_defaults_are_keras():
    config = MaxPooling2D().get_config()
    assert (config["pool_size"], config["strides"], config["padding"], config["data_format"]) == (
        (2, 2), (2, 2), "valid", "channels_last")
    assert AveragePooling1D(3).get_config()["strides"] == (3,)
    assert MaxPooling3D().pool_size == (2, 2, 2)
    assert GlobalAveragePooling2D().get_config()["keepdims"] is False


def test_aliases_and_names():
    assert MaxPool1D is MaxPooling1D and MaxPool2D is MaxPooling2D and MaxPool3D is MaxPooling3D
    assert AvgPool2D is AveragePooling2D and GlobalMaxPool2D is GlobalMaxPooling2D
    assert GlobalAvgPool1D is GlobalAveragePooling1D
    assert [MaxPooling2D().name, MaxPooling2D().name, GlobalAveragePooling2D().name] == [
        "max_pooling2d", "max_pooling2d_1", "global_average_pooling2d"]


# ---------------------------------------------------------------- numbers

def windows_reference(x, pool, stride, padding, reduce):
    """Plain numpy pooling over 2-d windows; 'same' windows keep only their real elements."""
    n, h, w, c = x.shape
    if padding == "same":
        out_h, out_w = -(-h // stride[0]), -(-w // stride[1])
        top = max((out_h - 1) * stride[0] + pool[0] - h, 0) // 2
        left = max((out_w - 1) * stride[1] + pool[1] - w, 0) // 2
    else:
        out_h, out_w = (h - pool[0]) // stride[0] + 1, (w - pool[1]) // stride[1] + 1
        top = left = 0
    result = np.zeros((n, out_h, out_w, c), x.dtype)
    for i in range(out_h):
        for j in range(out_w):
            r0, c0 = i * stride[0] - top, j * stride[1] - left
            window = x[:, max(r0, 0):r0 + pool[0], max(c0, 0):c0 + pool[1]]
            result[:, i, j] = reduce(window, axis=(1, 2))
    return result


@pytest.mark.parametrize("pool, stride, padding", [
    ((2, 2), (2, 2), "valid"), ((3, 3), (2, 2), "same"), ((3, 2), (1, 2), "same"), ((2, 3), (3, 1), "valid")])
def test_windowed_pooling_against_numpy(pool, stride, padding):
    x = data(2, 7, 8, 3)
    np.testing.assert_allclose(MaxPooling2D(pool, stride, padding)(x),
                               windows_reference(x, pool, stride, padding, np.max), rtol=1e-6)
    np.testing.assert_allclose(AveragePooling2D(pool, stride, padding)(x),
                               windows_reference(x, pool, stride, padding, np.mean), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("pool, stride", [((2, 2), None), ((3, 3), (2, 2)), ((3, 2), (1, 2))])
def test_pooling_2d_matches_torch(pool, stride):
    torch = pytest.importorskip("torch")
    x = data(2, 9, 8, 3)
    tx = torch.from_numpy(np.moveaxis(x, -1, 1).copy())
    to_nhwc = lambda t: np.moveaxis(t.numpy(), 1, -1)  # noqa: E731
    torch_stride = pool if stride is None else stride
    np.testing.assert_allclose(MaxPooling2D(pool, stride)(x),
                               to_nhwc(torch.nn.functional.max_pool2d(tx, pool, torch_stride)), rtol=1e-4)
    np.testing.assert_allclose(AveragePooling2D(pool, stride)(x),
                               to_nhwc(torch.nn.functional.avg_pool2d(tx, pool, torch_stride)), rtol=1e-4,
                               atol=1e-6)


def test_max_pooling_same_matches_torch_on_padded_input():
    torch = pytest.importorskip("torch")
    x = data(2, 7, 8, 3)
    # 'same' for 7x8, pool 3, stride 2: TensorFlow pads (1, 1) rows and (0, 1) columns
    tx = torch.nn.functional.pad(torch.from_numpy(np.moveaxis(x, -1, 1).copy()), (0, 1, 1, 1),
                                 value=-np.inf)
    expected = np.moveaxis(torch.nn.functional.max_pool2d(tx, 3, 2).numpy(), 1, -1)
    np.testing.assert_allclose(MaxPooling2D(3, 2, "same")(x), expected, rtol=1e-6)


def test_max_pooling_gradient_goes_to_the_maximum():
    x = np.array([[[[1.0], [5.0]], [[2.0], [3.0]]]], np.float32)   # (1, 2, 2, 1)
    tensor = Tensor(x, requires_grad=True)
    ops.sum(MaxPooling2D()(tensor)).backward()
    np.testing.assert_array_equal(tensor.grad.numpy()[0, :, :, 0], [[0, 1], [0, 0]])


def test_global_pooling_numbers():
    x = data(2, 4, 5, 3)
    np.testing.assert_allclose(GlobalMaxPooling2D()(x), x.max(axis=(1, 2)), rtol=1e-6)
    np.testing.assert_allclose(GlobalAveragePooling2D(keepdims=True)(x), x.mean(axis=(1, 2), keepdims=True),
                               rtol=1e-5, atol=1e-6)
    y = data(2, 6, 3)
    np.testing.assert_allclose(GlobalMaxPooling1D()(y), y.max(axis=1), rtol=1e-6)
    np.testing.assert_allclose(GlobalAveragePooling1D()(y), y.mean(axis=1), rtol=1e-5, atol=1e-6)


def test_global_average_pooling_1d_honours_a_mask():
    x = data(2, 4, 3)
    mask = np.array([[True, True, False, False], [True, True, True, True]])
    expected = np.stack([x[0, :2].mean(axis=0), x[1].mean(axis=0)])
    layer = GlobalAveragePooling1D()
    np.testing.assert_allclose(layer(x, mask=mask), expected, rtol=1e-5, atol=1e-6)
    # a mask attached to the input by an earlier layer is found too, and not passed on
    tensor = Tensor(x, requires_grad=True)
    set_mask(tensor, mask)
    out = layer(tensor)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-5, atol=1e-6)
    ops.sum(out).backward()
    np.testing.assert_allclose(tensor.grad.numpy()[0, :, 0], [0.5, 0.5, 0.0, 0.0], rtol=1e-6)
    assert layer.compute_mask(x, mask) is None
    inputs, mask_input = Input(shape=(4, 3)), Input(shape=(4,), dtype="bool")
    node = layer(inputs, mask=mask_input)
    np.testing.assert_allclose(Session().run(node, {inputs: x, mask_input: mask}), expected, rtol=1e-5,
                               atol=1e-6)


# ----------------------------------------------------------------- errors

def test_shape_errors_name_the_layer_and_shape():
    with pytest.raises(ShapeError, match=r"MaxPooling2D 'pool' expects an input of rank 4, got shape \(None, 8, 3\)"):
        MaxPooling2D(name="pool")(Input(shape=(8, 3)))
    with pytest.raises(ShapeError, match=r"AveragePooling2D 'average_pooling2d'.*\(None, 2, 5, 1\)"):
        AveragePooling2D(3)(Input(shape=(2, 5, 1)))
    with pytest.raises(ShapeError, match=r"GlobalMaxPooling1D 'global_max_pooling1d' expects an input of rank 3"):
        GlobalMaxPooling1D()(Input(shape=(4, 4, 3)))


def test_argument_errors():
    with pytest.raises(ValueError, match="data_format"):
        MaxPooling2D(data_format="NCHW")
    with pytest.raises(ValueError, match="padding"):
        AveragePooling1D(padding="causal")
    with pytest.raises(ValueError, match="pool_size"):
        MaxPooling2D((2, 2, 2))
