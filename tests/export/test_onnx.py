"""model.export(format="onnx"): onnxruntime runs the file and gives kerasette's predictions."""
import numpy as np
import pytest

onnx = pytest.importorskip("onnx", reason="ONNX export needs pip install kerasette[onnx]")
ort = pytest.importorskip("onnxruntime", reason="the check runs the file in onnxruntime")

import kerasette as k  # noqa: E402
from kerasette import layers as L  # noqa: E402
from kerasette.export import ExportError  # noqa: E402


def _cnn():
    i = k.Input((12, 12, 2))
    x = L.Conv2D(4, 3, activation="relu", padding="same")(i)
    x = L.MaxPooling2D()(x)
    x = L.Conv2D(3, 3, strides=2)(x)
    x = L.AveragePooling2D(padding="same")(x)
    x = L.BatchNormalization()(x)
    x = L.Flatten()(x)
    return k.Model(i, L.Dense(5, activation="softmax")(x))


def _conv1d_3d():
    i = k.Input((20, 3))
    x = L.Conv1D(4, 3, padding="causal", dilation_rate=2)(i)
    return k.Model(i, L.GlobalAveragePooling1D()(x))


def _attention():
    i = k.Input((6, 8))
    x = L.MultiHeadAttention(2, 4)(i, i)
    x = L.LayerNormalization()(x + i)
    return k.Model(i, L.Dense(8, activation="gelu")(x))


def _misc():
    i = k.Input((6,))
    a = L.Dense(4, activation="elu")(i)
    b = L.Dense(4, activation="selu")(i)
    x = L.Reshape((2, 2))(L.Add()([a, b]))
    x = L.LeakyReLU()(L.Multiply()([L.Permute((2, 1))(x), x]))
    return k.Sequential([k.Input((6,)), L.Dense(3)]) if False else k.Model(i, L.Flatten()(L.Dropout(0.3)(x)))


def _embedding_lstm():
    i = k.Input((7,), dtype="int32")
    x = L.Embedding(30, 5)(i)
    x = L.LSTM(4, return_sequences=True)(x)
    return k.Model(i, L.SimpleRNN(3)(x))


@pytest.mark.parametrize("build", [_cnn, _conv1d_3d, _attention, _misc, _embedding_lstm])
def test_onnxruntime_predicts_kerasettes_numbers_for_any_batch(tmp_path, build):
    k.utils.set_random_seed(0)
    model = build()
    path = model.export(tmp_path / "m.onnx", format="onnx", verbose=False)
    onnx.checker.check_model(onnx.load(path), full_check=True)
    session = ort.InferenceSession(path)
    rng = np.random.default_rng(1)
    for batch in (1, 5):
        shape = (batch,) + tuple(model.inputs[0].shape[1:])
        x = rng.integers(0, 30, shape).astype("int32") if model.inputs[0].dtype.kind == "i" else \
            rng.standard_normal(shape).astype("float32")
        got = session.run(None, {session.get_inputs()[0].name: x})[0]
        np.testing.assert_allclose(got, model.predict(x, verbose=0), atol=1e-5, rtol=1e-5)


def test_what_cannot_be_exported_is_named(tmp_path):
    i = k.Input((5,), dtype="int32")
    x = L.GRU(3)(L.Embedding(10, 4, mask_zero=True)(i))
    model = k.Model(i, x)
    with pytest.raises(ExportError, match="layer 'gru"):
        model.export(tmp_path / "g.onnx", format="onnx")
    with pytest.raises(ValueError, match="TensorFlow"):
        model.export(tmp_path / "s", format="tf_saved_model")


def _upsampling_and_conv3d():
    i = k.Input((4, 4, 4, 2))
    x = L.Conv3D(3, 2, padding="same")(i)
    x = L.Reshape((4, 4, 12))(x)
    x = L.UpSampling2D((2, 3))(x)
    return k.Model(i, L.RepeatVector(2)(L.GlobalMaxPooling2D()(x)))


def _separable_depthwise_attention():
    i = k.Input((8, 8, 2))
    x = L.SeparableConv2D(4, 3, padding="same", activation="relu")(i)
    x = L.DepthwiseConv2D(3, depth_multiplier=2)(x)
    x = L.Reshape((36, 8))(x)
    return k.Model(i, L.Attention()([x, x]))


@pytest.mark.parametrize("build", [_upsampling_and_conv3d, _separable_depthwise_attention])
def test_more_layers(tmp_path, build):
    test_onnxruntime_predicts_kerasettes_numbers_for_any_batch(tmp_path, build)


@pytest.mark.parametrize("shape, transpose", [
    ((7, 7, 2), lambda: L.Conv2DTranspose(3, 3, strides=2)),
    ((6, 5, 2), lambda: L.Conv2DTranspose(2, (4, 3), strides=(2, 3), padding="same")),
    ((6, 6, 2), lambda: L.Conv2DTranspose(2, 3, strides=3, padding="same", output_padding=2)),
    ((6, 6, 2), lambda: L.Conv2DTranspose(2, 2, dilation_rate=2)),
    ((7, 2), lambda: L.Conv1DTranspose(2, 5, strides=2, padding="same")),
    ((3, 4, 3, 2), lambda: L.Conv3DTranspose(2, 3, strides=2, padding="same")),
])
def test_transposed_convolutions(tmp_path, shape, transpose):
    def build():
        i = k.Input(shape)
        return k.Model(i, transpose()(i))
    test_onnxruntime_predicts_kerasettes_numbers_for_any_batch(tmp_path, build)
