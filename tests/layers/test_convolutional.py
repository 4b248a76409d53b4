"""Convolution layers: shapes, parameter counts, three callers, configs, gradients, PyTorch parity."""
import numpy as np
import pytest

from kerasette import Model, Sequential, Tensor, backend, ops
from kerasette.engine import Session
from kerasette.layers import Activation, Dense, Flatten, Input
from kerasette.layers.convolutional import (
    Conv1D, Conv1DTranspose, Conv2D, Conv2DTranspose, Conv3D, Conv3DTranspose, Convolution1D,
    Convolution2D, Convolution3D, Deconvolution2D, DepthwiseConv1D, DepthwiseConv2D, SeparableConv1D,
    SeparableConv2D, SeparableConvolution2D)
from kerasette.layers.pooling import MaxPooling2D
from kerasette.primitives.base import ShapeError


@pytest.fixture(autouse=True)
def fresh_names():
    backend.clear_session()
    yield


def data(*shape, seed=0, dtype=np.float32):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def randomize(layer, seed=1):
    """Random weights (the bias too, which starts at zero) so that every weight shows in the output."""
    layer.set_weights([data(*w.shape, seed=seed + i) for i, w in enumerate(layer.get_weights())])


def three_ways(layer, x):
    """The layer's output on arrays, on eager Tensors and through a graph, as arrays."""
    from_arrays = layer(x)
    assert isinstance(from_arrays, np.ndarray)
    from_tensor = layer(Tensor(x)).numpy()
    inputs = Input(shape=x.shape[1:])
    node = layer(inputs)
    from_graph = Session().run(node, {inputs: x})
    return from_arrays, from_tensor, from_graph


# ------------------------------------------------------- shapes and params

CASES = [
    # layer, input shape (no batch), output shape (no batch), parameter count
    (lambda: Conv1D(8, 3), (10, 4), (8, 8), 3 * 4 * 8 + 8),
    (lambda: Conv1D(8, 3, padding="causal", dilation_rate=2), (10, 4), (10, 8), 3 * 4 * 8 + 8),
    (lambda: Conv1D(8, 4, strides=3, padding="same"), (10, 4), (4, 8), 4 * 4 * 8 + 8),
    (lambda: Conv2D(10, kernel_size=5), (28, 28, 1), (24, 24, 10), 260),
    (lambda: Conv2D(6, (3, 2), strides=(2, 1), use_bias=False), (9, 9, 4), (4, 8, 6), 3 * 2 * 4 * 6),
    (lambda: Conv2D(6, 3, groups=2, padding="same"), (9, 9, 4), (9, 9, 6), 3 * 3 * 2 * 6 + 6),
    (lambda: Conv2D(4, 3, dilation_rate=2), (9, 9, 3), (5, 5, 4), 3 * 3 * 3 * 4 + 4),
    (lambda: Conv3D(4, 3), (8, 8, 8, 2), (6, 6, 6, 4), 27 * 2 * 4 + 4),
    (lambda: Conv3D(4, (1, 3, 3), strides=2, padding="same"), (5, 8, 8, 2), (3, 4, 4, 4), 9 * 2 * 4 + 4),
    (lambda: Conv1DTranspose(4, 3, strides=2), (5, 2), (11, 4), 3 * 4 * 2 + 4),
    (lambda: Conv2DTranspose(8, 3, strides=2, padding="same"), (7, 7, 16), (14, 14, 8), 9 * 8 * 16 + 8),
    (lambda: Conv2DTranspose(8, 2, strides=3), (4, 4, 2), (12, 12, 8), 4 * 8 * 2 + 8),
    (lambda: Conv2DTranspose(3, 3, strides=2, padding="same", output_padding=0), (5, 5, 2), (9, 9, 3),
     9 * 3 * 2 + 3),
    (lambda: Conv3DTranspose(2, 2, strides=2), (3, 3, 3, 4), (6, 6, 6, 2), 8 * 2 * 4 + 2),
    (lambda: DepthwiseConv1D(3, depth_multiplier=2), (10, 4), (8, 8), 3 * 4 * 2 + 8),
    (lambda: DepthwiseConv2D(3, padding="same"), (32, 32, 16), (32, 32, 16), 9 * 16 + 16),
    (lambda: DepthwiseConv2D((3, 3), strides=2, depth_multiplier=3), (9, 9, 2), (4, 4, 6), 9 * 2 * 3 + 6),
    (lambda: SeparableConv1D(8, 3), (10, 4), (8, 8), 3 * 4 + 4 * 8 + 8),
    (lambda: SeparableConv2D(32, 3, padding="same", depth_multiplier=2), (16, 16, 8), (16, 16, 32),
     9 * 8 * 2 + 16 * 32 + 32),
]


@pytest.mark.parametrize("make, input_shape, output_shape, params", CASES)
def test_output_shape_and_parameter_count(make, input_shape, output_shape, params):
    layer = make()
    node = layer(Input(shape=input_shape))
    assert node.shape == (None,) + output_shape
    assert layer.compute_output_shape((None,) + input_shape) == (None,) + output_shape
    assert layer.count_params() == params
    x = data(2, *input_shape)
    assert layer(x).shape == (2,) + output_shape


@pytest.mark.parametrize("make, input_shape, output_shape, params", CASES)
def test_graph_eager_and_arrays_agree(make, input_shape, output_shape, params):
    layer = make()
    x = data(3, *input_shape)
    layer.build((None,) + input_shape)
    randomize(layer)
    from_arrays, from_tensor, from_graph = three_ways(layer, x)
    np.testing.assert_allclose(from_tensor, from_arrays, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(from_graph, from_arrays, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("make, input_shape, output_shape, params", CASES)
def test_config_round_trip(make, input_shape, output_shape, params):
    layer = make()
    config = layer.get_config()
    rebuilt = type(layer).from_config(config)
    assert rebuilt.get_config() == config
    rebuilt(Input(shape=input_shape))
    assert rebuilt.count_params() == params


def test_tutorial_model_shapes_and_parameter_counts():
    inputs = Input(shape=(28, 28, 1))
    conv1 = Conv2D(10, kernel_size=5)
    pool1 = MaxPooling2D()
    conv2 = Conv2D(20, kernel_size=5)
    pool2 = MaxPooling2D()
    x = conv1(inputs)
    h1 = pool1(Activation("relu")(x))
    y = conv2(h1)
    h2 = pool2(Activation("relu")(y))
    outputs = Dense(10, activation="softmax")(Dense(50, activation="relu")(Flatten()(h2)))
    model = Model(inputs, outputs)
    assert (conv1.output_shape, conv1.count_params()) == ((None, 24, 24, 10), 260)
    assert pool1.output_shape == (None, 12, 12, 10)
    assert (conv2.output_shape, conv2.count_params()) == ((None, 8, 8, 20), 5020)
    assert pool2.output_shape == (None, 4, 4, 20)
    assert [w.path for w in conv1.weights] == ["conv2d/kernel", "conv2d/bias"]
    assert conv2.kernel.shape == (5, 5, 10, 20)
    assert model(data(2, 28, 28, 1)).shape == (2, 10)
    assert model.count_params() == 260 + 5020 + (320 * 50 + 50) + (50 * 10 + 10)


def test_tutorial_model_as_sequential_with_input_shape():
    model = Sequential([Conv2D(10, kernel_size=5, input_shape=(28, 28, 1)), Activation("relu"),
                        MaxPooling2D(), Conv2D(20, kernel_size=5), Activation("relu"), MaxPooling2D(),
                        Flatten()])
    assert [layer.count_params() for layer in model.layers] == [260, 0, 0, 5020, 0, 0, 0]
    assert model.layers[5].output_shape == (None, 4, 4, 20)
    assert model(data(3, 28, 28, 1)).shape == (3, 320)


def test_weight_names_order_and_layouts():
    separable = SeparableConv2D(5, (3, 2), depth_multiplier=2)
    separable.build((None, 8, 8, 3))
    assert [(w.name, w.shape) for w in separable.weights] == [
        ("depthwise_kernel", (3, 2, 3, 2)), ("pointwise_kernel", (1, 1, 6, 5)), ("bias", (5,))]
    depthwise = DepthwiseConv2D(3, depth_multiplier=4)
    depthwise.build((None, 8, 8, 3))
    assert [(w.name, w.shape) for w in depthwise.weights] == [("depthwise_kernel", (3, 3, 3, 4)),
                                                               ("bias", (12,))]
    transpose = Conv2DTranspose(7, (2, 3))
    transpose.build((None, 8, 8, 3))
    assert [(w.name, w.shape) for w in transpose.weights] == [("kernel", (2, 3, 7, 3)), ("bias", (7,))]
    grouped = Conv1D(6, 5, groups=3)
    grouped.build((None, 20, 9))
    assert grouped.kernel.shape == (5, 3, 6)


def test_aliases_and_default_names():
    assert Convolution1D is Conv1D and Convolution2D is Conv2D and Convolution3D is Conv3D
    assert Deconvolution2D is Conv2DTranspose and SeparableConvolution2D is SeparableConv2D
    names = [cls(2, 3).name for cls in (Conv2D, Conv2D, Conv2DTranspose, SeparableConv2D)]
    assert names == ["conv2d", "conv2d_1", "conv2d_transpose", "separable_conv2d"]
    assert DepthwiseConv2D(3).name == "depthwise_conv2d"


def test_config_holds_keras_values():
    layer = Conv2D(4, 3, activation="relu", kernel_regularizer="l2", kernel_constraint="max_norm")
    config = layer.get_config()
    assert config["kernel_size"] == (3, 3) and config["strides"] == (1, 1)
    assert config["dilation_rate"] == (1, 1) and config["padding"] == "valid"
    assert config["data_format"] == "channels_last" and config["groups"] == 1
    assert config["activation"] == "relu"
    assert config["kernel_initializer"]["class_name"] == "GlorotUniform"
    assert config["kernel_regularizer"]["class_name"] == "L2"
    assert config["kernel_constraint"]["class_name"] == "MaxNorm"
    rebuilt = Conv2D.from_config(config)
    rebuilt.build((None, 5, 5, 2))
    assert len(rebuilt.losses) == 1


# --------------------------------------------------------------- gradients

@pytest.mark.parametrize("make, input_shape", [
    (lambda: Conv2D(3, 3, strides=2, padding="same"), (7, 7, 2)),
    (lambda: Conv1D(4, 2, groups=2, padding="causal"), (6, 4)),
    (lambda: Conv2DTranspose(3, 3, strides=2), (4, 4, 2)),
    (lambda: DepthwiseConv2D(2, depth_multiplier=2), (5, 5, 3)),
    (lambda: SeparableConv1D(3, 3, padding="same"), (6, 2)),
])
def test_eager_backward_reaches_every_weight(make, input_shape):
    layer = make()
    x = Tensor(data(2, *input_shape), requires_grad=True)
    loss = ops.sum(ops.square(layer(x)))
    loss.backward()
    for weight in layer.weights:
        assert weight.grad is not None and weight.grad.shape == weight.shape
        assert np.abs(weight.grad.numpy()).sum() > 0
    assert x.grad.shape == x.shape


def test_kernel_gradient_matches_finite_differences():
    layer = Conv2D(2, 3, strides=2, padding="same", dtype="float64")
    x = data(2, 5, 5, 3, dtype=np.float64)
    layer.build((None, 5, 5, 3))
    weights = layer.kernel.numpy().copy()
    probe = data(2, 3, 3, 2, seed=4, dtype=np.float64)

    def objective():
        return float(np.sum(layer(x) * probe))

    ops.sum(ops.multiply(layer(Tensor(x)), probe)).backward()
    analytic = layer.kernel.grad.numpy()
    numeric = np.zeros_like(weights)
    step = 1e-6
    for index in np.ndindex(weights.shape):
        shifted = weights.copy()
        shifted[index] += step
        layer.kernel.assign(shifted)
        up = objective()
        shifted[index] -= 2 * step
        layer.kernel.assign(shifted)
        numeric[index] = (up - objective()) / (2 * step)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-8)


def test_activity_regularizer_adds_a_loss_per_call():
    layer = Conv1D(2, 2, activity_regularizer="l2", kernel_initializer="ones")
    x = np.ones((4, 3, 1), np.float32)
    outputs = layer(x)
    assert len(layer.losses) == 1
    np.testing.assert_allclose(float(layer.losses[0]), 0.01 * np.sum(outputs ** 2) / 4, rtol=1e-6)


# ------------------------------------------------------------------ errors

def test_wrong_channels_name_the_layer_and_both_shapes():
    layer = Conv2D(4, 3, name="conv_a")
    layer(Input(shape=(8, 8, 3)))
    with pytest.raises(ShapeError, match=r"Conv2D 'conv_a' expects an input with last axis 3, got \(None, 8, 8, 5\)"):
        layer(Input(shape=(8, 8, 5)))


def test_wrong_rank_is_refused_at_build_time():
    with pytest.raises(ShapeError, match=r"Conv2D 'conv2d' expects an input of rank 4.*\(None, 8, 3\)"):
        Conv2D(4, 3)(Input(shape=(8, 3)))


def test_kernel_larger_than_input_is_refused_at_build_time():
    with pytest.raises(ShapeError, match=r"Conv2D 'conv2d'.*\(None, 3, 3, 1\)"):
        Conv2D(4, 5)(Input(shape=(3, 3, 1)))


def test_argument_errors():
    with pytest.raises(ValueError, match="data_format"):
        Conv2D(4, 3, data_format="channels_middle")
    with pytest.raises(ValueError, match="dilation_rate"):
        Conv2D(4, 3, strides=2, dilation_rate=2)
    with pytest.raises(ValueError, match="divisible"):
        Conv2D(5, 3, groups=2)
    with pytest.raises(ShapeError, match="groups=2"):
        Conv2D(4, 3, groups=2)(Input(shape=(8, 8, 3)))
    with pytest.raises(ValueError, match="padding"):
        Conv2D(4, 3, padding="causal")
    with pytest.raises(ValueError, match="filters"):
        Conv2D(0, 3)
    with pytest.raises(ValueError, match="kernel_size"):
        Conv2D(2, (3, 3, 3))
    with pytest.raises(ValueError, match="output padding"):
        Conv2DTranspose(2, 3, strides=2, output_padding=2)


# ------------------------------------------------------------ PyTorch parity

def tf_same_pads(size, kernel, stride, dilation=1):
    span = (kernel - 1) * dilation + 1
    out = -(-size // stride)
    total = max((out - 1) * stride + span - size, 0)
    return total // 2, total - total // 2


def torch_conv(x, kernel, bias, strides, padding, dilation, groups):
    """Keras' convolution computed by torch: NHWC -> NCHW, kernel (*k, in, out) -> (out, in, *k)."""
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    rank = x.ndim - 2
    tx = torch.from_numpy(np.moveaxis(x, -1, 1).copy())
    tw = torch.from_numpy(np.transpose(kernel, (rank + 1, rank) + tuple(range(rank))).copy())
    pads = []
    for axis in range(rank):
        size, k = x.shape[1 + axis], kernel.shape[axis]
        if padding == "same":
            pads.append(tf_same_pads(size, k, strides[axis], dilation[axis]))
        elif padding == "causal":
            pads.append(((k - 1) * dilation[axis], 0))
        else:
            pads.append((0, 0))
    # F.pad takes the last axis first
    tx = F.pad(tx, tuple(p for pair in reversed(pads) for p in pair))
    conv = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}[rank]
    out = conv(tx, tw, torch.from_numpy(bias), stride=strides, dilation=dilation, groups=groups)
    return np.moveaxis(out.numpy(), 1, -1)


@pytest.mark.parametrize("make, input_shape", [
    (lambda: Conv1D(5, 3), (11, 4)),
    (lambda: Conv1D(6, 3, strides=2, padding="same", groups=2), (11, 4)),
    (lambda: Conv1D(5, 3, padding="causal", dilation_rate=2), (11, 4)),
    (lambda: Conv2D(4, 3), (9, 8, 3)),
    (lambda: Conv2D(4, (3, 2), strides=(2, 3), padding="same"), (9, 8, 3)),
    (lambda: Conv2D(4, 4, strides=2, padding="same"), (10, 7, 3)),
    (lambda: Conv2D(6, 3, dilation_rate=(2, 1), padding="same", groups=3), (9, 8, 3)),
    (lambda: Conv2D(4, 1, groups=4), (5, 5, 8)),
    (lambda: Conv3D(3, 2, strides=(1, 2, 2), padding="same"), (5, 6, 7, 2)),
    (lambda: Conv3D(4, 3, dilation_rate=(1, 1, 2), groups=2), (5, 6, 8, 2)),
])
def test_convolution_matches_torch(make, input_shape):
    pytest.importorskip("torch")
    layer = make()
    x = data(2, *input_shape)
    layer.build((None,) + input_shape)
    randomize(layer)
    expected = torch_conv(x, layer.kernel.numpy(), layer.bias.numpy(), layer.strides, layer.padding,
                          layer.dilation_rate, layer.groups)
    np.testing.assert_allclose(layer(x), expected, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("kernel_size, strides, padding, output_padding, dilation", [
    (3, 2, "valid", None, 1),
    (3, 2, "same", None, 1),
    (4, 2, "same", None, 1),
    (2, 3, "valid", None, 1),
    (3, (2, 1), "same", None, 1),
    (3, 2, "same", 1, 1),
    (4, 3, "same", 1, 1),
    (5, 2, "same", 0, 1),
    (3, 3, "valid", (1, 2), 1),
    (3, 1, "same", None, 2),
])
def test_conv2d_transpose_matches_torch(kernel_size, strides, padding, output_padding, dilation):
    torch = pytest.importorskip("torch")
    layer = Conv2DTranspose(4, kernel_size, strides=strides, padding=padding, output_padding=output_padding,
                            dilation_rate=dilation)
    x = data(2, 5, 6, 3)
    layer.build((None, 5, 6, 3))
    randomize(layer)
    ours = layer(x)
    kernel = layer.kernel.numpy()                                    # (kh, kw, filters, in)
    weight = torch.from_numpy(np.transpose(kernel, (3, 2, 0, 1)).copy())   # (in, filters, kh, kw)
    tx = torch.from_numpy(np.moveaxis(x, -1, 1).copy())
    bias = torch.from_numpy(layer.bias.numpy())
    shape = layer.compute_output_shape((None, 5, 6, 3))
    assert ours.shape == (2,) + shape[1:]
    # Keras (TensorFlow and JAX backends alike) computes the output size with its
    # formula, then places the full transposed convolution as a TensorFlow 'same'
    # forward convolution of that size would have padded it: crop from `start`.
    # (torch's padding=k//2 with output_padding crops one row more at the start
    # for odd totals, so torch's own 'same' arguments are not Keras'.)
    starts, extras = [], []
    for axis in range(2):
        size, out = x.shape[1 + axis], shape[1 + axis]
        k, s, d = layer.kernel_size[axis], layer.strides[axis], layer.dilation_rate[axis]
        start = tf_same_pads(out, k, s, d)[0] if padding == "same" else 0
        full_length = (size - 1) * s + (k - 1) * d + 1
        starts.append(start)
        extras.append(max(start + out - full_length, 0))
    full = torch.nn.functional.conv_transpose2d(tx, weight, bias, stride=layer.strides,
                                                output_padding=tuple(extras), dilation=layer.dilation_rate)
    full = np.moveaxis(full.numpy(), 1, -1)
    expected = full[:, starts[0]:starts[0] + shape[1], starts[1]:starts[1] + shape[2]]
    np.testing.assert_allclose(ours, expected, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("multiplier, strides, padding", [(1, 1, "valid"), (2, 2, "same"), (3, 1, "same")])
def test_depthwise_conv2d_matches_torch(multiplier, strides, padding):
    pytest.importorskip("torch")
    layer = DepthwiseConv2D(3, strides=strides, padding=padding, depth_multiplier=multiplier)
    x = data(2, 7, 8, 4)
    layer.build((None, 7, 8, 4))
    randomize(layer)
    kernel = layer.depthwise_kernel.numpy()                          # (kh, kw, C, m)
    # output channel c * m + j is input channel c's j-th filter, torch's grouped order too
    as_grouped = kernel.reshape(3, 3, 1, 4 * multiplier)
    expected = torch_conv(x, as_grouped, layer.bias.numpy(), layer.strides, padding, (1, 1), 4)
    np.testing.assert_allclose(layer(x), expected, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("multiplier, strides, padding, dilation", [
    (1, 1, "valid", 1), (2, 2, "same", 1), (2, 1, "same", 2)])
def test_separable_conv2d_matches_torch(multiplier, strides, padding, dilation):
    pytest.importorskip("torch")
    layer = SeparableConv2D(5, 3, strides=strides, padding=padding, depth_multiplier=multiplier,
                            dilation_rate=dilation)
    x = data(2, 9, 8, 3)
    layer.build((None, 9, 8, 3))
    randomize(layer)
    depthwise = layer.depthwise_kernel.numpy().reshape(3, 3, 1, 3 * multiplier)
    hidden = torch_conv(x, depthwise, np.zeros(3 * multiplier, np.float32), layer.strides, padding,
                        layer.dilation_rate, 3)
    expected = torch_conv(hidden, layer.pointwise_kernel.numpy(), layer.bias.numpy(), (1, 1), "valid",
                          (1, 1), 1)
    np.testing.assert_allclose(layer(x), expected, rtol=1e-4, atol=1e-5)


def test_conv2d_gradients_match_torch():
    torch = pytest.importorskip("torch")
    layer = Conv2D(4, 3, strides=2, padding="same", groups=2)
    x = data(2, 7, 6, 4)
    layer.build((None, 7, 6, 4))
    randomize(layer)
    probe = data(2, 4, 3, 4, seed=9)
    tensor = Tensor(x, requires_grad=True)
    ops.sum(ops.multiply(layer(tensor), probe)).backward()

    tx = torch.from_numpy(np.moveaxis(x, -1, 1).copy()).requires_grad_()
    tw = torch.from_numpy(np.transpose(layer.kernel.numpy(), (3, 2, 0, 1)).copy()).requires_grad_()
    tb = torch.from_numpy(layer.bias.numpy()).requires_grad_()
    (top, bottom), (left, right) = tf_same_pads(7, 3, 2), tf_same_pads(6, 3, 2)
    assert (top, bottom, left, right) == (1, 1, 0, 1)   # TensorFlow's split: the odd pixel at the end
    padded = torch.nn.functional.pad(tx, (left, right, top, bottom))
    out = torch.nn.functional.conv2d(padded, tw, tb, stride=2, groups=2)
    (out * torch.from_numpy(np.moveaxis(probe, -1, 1).copy())).sum().backward()
    np.testing.assert_allclose(tensor.grad.numpy(), np.moveaxis(tx.grad.numpy(), 1, -1), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(layer.kernel.grad.numpy(), np.transpose(tw.grad.numpy(), (2, 3, 1, 0)),
                               rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(layer.bias.grad.numpy(), tb.grad.numpy(), rtol=1e-4, atol=1e-5)

