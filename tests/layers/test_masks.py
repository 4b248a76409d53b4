"""``_keras_mask`` as keras.io's masking guide reads it: on the outputs of
Embedding(mask_zero=True), Masking and the layers that pass a mask on, called
on arrays, eager Tensors and symbolic inputs (masks from real Keras:
tests/fixtures/keras_rnn_state.npz, ``masks.*``)."""
import os

import numpy as np
import pytest

import kerasette as keras
from kerasette import Tensor, backend, engine, layers
from kerasette.ops.masking import get_mask

FIXTURES = os.path.join(os.path.dirname(__file__), os.pardir, "fixtures", "keras_rnn_state.npz")


@pytest.fixture(autouse=True)
def fresh_state():
    backend.clear_session()
    backend.set_seed(0)
    yield


@pytest.fixture(scope="module")
def data():
    with np.load(FIXTURES, allow_pickle=False) as archive:
        yield {key: archive[key] for key in archive.files}


def test_guide_embedding_mask_on_padded_arrays():
    # the masking guide, word for word (but the import)
    raw_inputs = [[711, 632, 71], [73, 8, 3215, 55, 927], [83, 91, 1, 645, 1253, 927]]
    padded_inputs = keras.utils.pad_sequences(raw_inputs, padding="post")
    embedding = layers.Embedding(input_dim=5000, output_dim=16, mask_zero=True)
    masked_output = embedding(padded_inputs)
    assert masked_output._keras_mask.tolist() == (padded_inputs != 0).tolist()
    masking_layer = layers.Masking()
    unmasked_embedding = np.broadcast_to(np.expand_dims(padded_inputs, axis=-1).astype("float32"), (3, 6, 32))
    masked_embedding = masking_layer(unmasked_embedding)
    assert masked_embedding._keras_mask.tolist() == (padded_inputs != 0).tolist()


def test_masks_match_keras_on_arrays(data):
    embedding = layers.Embedding(20, 3, mask_zero=True)(data["masks.tokens"])
    np.testing.assert_array_equal(embedding._keras_mask, data["masks.embedding"])
    masked = layers.Masking()(data["masks.features"])
    np.testing.assert_array_equal(masked._keras_mask, data["masks.masking"])
    sequence = layers.LSTM(2, return_sequences=True)(masked)
    np.testing.assert_array_equal(sequence._keras_mask, data["masks.lstm_sequence_mask"])
    # the last output has no time axis left, so no mask: as in Keras, an array without one has no
    # _keras_mask at all (eager Tensors and symbolic nodes answer None)
    assert not hasattr(layers.LSTM(2)(masked), "_keras_mask")


def test_masks_match_keras_on_eager_tensors(data):
    embedding = layers.Embedding(20, 3, mask_zero=True)(Tensor(data["masks.tokens"]))
    assert isinstance(embedding, Tensor)
    np.testing.assert_array_equal(embedding._keras_mask.numpy(), data["masks.embedding"])
    masked = layers.Masking()(Tensor(data["masks.features"]))
    np.testing.assert_array_equal(masked._keras_mask.numpy(), data["masks.masking"])
    sequence = layers.LSTM(2, return_sequences=True)(masked)
    np.testing.assert_array_equal(sequence._keras_mask.numpy(), data["masks.lstm_sequence_mask"])


def test_masks_on_symbolic_outputs_run_to_keras_values(data):
    tokens = keras.Input((6,), dtype="int32")
    embedded = layers.Embedding(20, 3, mask_zero=True)(tokens)
    assert embedded._keras_mask is not None
    assert tuple(embedded._keras_mask.shape) == (None, 6)
    mask_program = engine.Program([embedded._keras_mask], [tokens])
    np.testing.assert_array_equal(mask_program(data["masks.tokens"])[0], data["masks.embedding"])
    features = keras.Input((5, 2))
    sequence = layers.LSTM(2, return_sequences=True)(layers.Masking()(features))
    assert sequence._keras_mask is get_mask(sequence)
    dense = layers.Dense(3)(layers.Input((4,)))
    assert dense._keras_mask is None


def test_custom_layer_reads_and_writes_keras_mask():
    # a guide-style layer that builds its mask from its input
    class ZeroMask(layers.Layer):
        def call(self, inputs):
            return inputs

        def compute_mask(self, inputs, mask=None):
            return keras.ops.not_equal(inputs[..., 0], 0)

    out = ZeroMask()(np.array([[[1.0], [0.0]]], "float32"))
    assert out._keras_mask.tolist() == [[True, False]]
    tensor = Tensor(np.ones((1, 2)))
    assert tensor._keras_mask is None
    tensor._keras_mask = Tensor(np.array([[True, False]]))
    assert get_mask(tensor) is tensor._keras_mask


def test_masked_arrays_stay_arrays_and_their_arithmetic_drops_the_mask():
    out = layers.Embedding(10, 2, mask_zero=True)(np.array([[1, 0]]))
    assert isinstance(out, np.ndarray)
    assert not hasattr(out * 2, "_keras_mask")
    assert type(out + 1) is np.ndarray and type(np.tanh(out)) is np.ndarray
    assert isinstance(float(out.sum()), float)
    np.testing.assert_allclose(np.asarray(out), out)
    assert type(layers.Flatten()(out)) is np.ndarray     # a view of it, without a mask, is plain again
    # without a mask, a layer called on arrays returns a plain array
    assert type(layers.Dense(2)(np.ones((1, 3), "float32"))) is np.ndarray
    assert type(layers.Embedding(10, 2)(np.array([[1, 0]]))) is np.ndarray


def test_layers_with_several_outputs_pair_masks_with_outputs():
    tokens = np.array([[3, 2, 0]])
    embedded = layers.Embedding(5, 2, mask_zero=True)(tokens)
    sequence, state = layers.GRU(2, return_sequences=True, return_state=True)(embedded)
    assert sequence._keras_mask.tolist() == [[True, True, False]]
    assert get_mask(state) is None
    forward, backward = layers.Bidirectional(layers.SimpleRNN(2, return_sequences=True), merge_mode=None)(embedded)
    assert forward._keras_mask.tolist() == backward._keras_mask.tolist() == [[True, True, False]]
