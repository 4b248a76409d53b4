"""Core layers beyond Dense: Dropout, SpatialDropout*, Reshape, Permute, RepeatVector,
Lambda, Embedding, Masking."""
import numpy as np
import pytest

from kerasette import Tensor, backend, ops
from kerasette.engine import Session
from kerasette.layers import Input
from kerasette.saving import SafeModeScope, UnsafeDeserializationError
from kerasette.layers.core import (Dropout, Embedding, Lambda, Masking, Permute, RepeatVector,
                                   Reshape, SpatialDropout1D, SpatialDropout2D, SpatialDropout3D)
from kerasette.layers.layer import get_mask
from kerasette.primitives.base import ShapeError


@pytest.fixture(autouse=True)
def fresh_names():
    backend.clear_session()
    yield


def three_ways(layer, x, **kwargs):
    """The layer's output on arrays, on an eager Tensor and through a graph."""
    from_arrays = layer(x, **kwargs)
    assert isinstance(from_arrays, np.ndarray)
    from_tensor = layer(Tensor(x), **kwargs).numpy()
    node_in = Input(shape=x.shape[1:], dtype=x.dtype)
    node_out = layer(node_in, **kwargs)
    from_graph = Session().run(node_out, {node_in: x})
    return from_arrays, from_tensor, from_graph


def rng(seed=0):
    return np.random.default_rng(seed)


# ------------------------------------------------------------------ Dropout

def test_dropout_is_identity_outside_training():
    x = rng().standard_normal((4, 5)).astype(np.float32)
    layer = Dropout(0.5)
    for training in (None, False):
        for out in three_ways(layer, x, training=training):
            np.testing.assert_array_equal(out, x)
    assert layer.count_params() == 0


def test_dropout_in_training_zeroes_a_fraction_and_scales_the_rest():
    x = np.ones((200, 100), np.float32)
    out = Dropout(0.3, seed=1)(x, training=True)
    values = np.unique(out)
    assert len(values) == 2 and values[0] == 0.0
    np.testing.assert_allclose(values[1], 1 / 0.7, rtol=1e-6)
    assert abs((out == 0).mean() - 0.3) < 0.02


def test_dropout_seed_repeats_across_layers_and_differs_between_calls():
    x = np.ones((8, 16), np.float32)
    a, b = Dropout(0.5, seed=3), Dropout(0.5, seed=3)
    first_a, first_b = a(x, training=True), b(x, training=True)
    np.testing.assert_array_equal(first_a, first_b)
    assert not np.array_equal(first_a, a(x, training=True))


def test_dropout_graph_draws_a_fresh_mask_each_run():
    inputs = Input(shape=(64,))
    outputs = Dropout(0.5, seed=0)(inputs, training=True)
    session = Session()
    x = np.ones((4, 64), np.float32)
    first, second = session.run(outputs, {inputs: x}), session.run(outputs, {inputs: x})
    assert set(np.unique(first)) <= {0.0, 2.0}
    assert not np.array_equal(first, second)


def test_dropout_noise_shape_shares_draws():
    x = np.ones((6, 5, 4), np.float32)
    out = Dropout(0.5, noise_shape=(None, 1, 4), seed=2)(x, training=True)
    assert np.all(out == out[:, :1, :])          # same along the shared axis
    assert 0 < (out == 0).mean() < 1


def test_dropout_gradient_is_the_mask():
    x = Tensor(np.ones((3, 10), np.float32), requires_grad=True)
    out = Dropout(0.4, seed=5)(x, training=True)
    ops.sum(out).backward()
    np.testing.assert_allclose(x.grad.numpy(), out.numpy())


def test_dropout_rate_checked_and_config_round_trip():
    with pytest.raises(ValueError, match="rate"):
        Dropout(1.5)
    layer = Dropout(0.25, noise_shape=(None, 1, 3), seed=7, name="drop")
    clone = Dropout.from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()
    assert clone.noise_shape == (None, 1, 3) and clone.seed == 7


@pytest.mark.parametrize("cls, shape", [(SpatialDropout1D, (4, 7, 6)),
                                        (SpatialDropout2D, (4, 5, 5, 6)),
                                        (SpatialDropout3D, (4, 3, 3, 3, 6))])
def test_spatial_dropout_drops_whole_channels(cls, shape):
    x = np.ones(shape, np.float32)
    out = cls(0.5, seed=0)(x, training=True)
    spatial = tuple(range(1, len(shape) - 1))
    per_channel_max = out.max(axis=spatial)
    per_channel_min = out.min(axis=spatial)
    np.testing.assert_array_equal(per_channel_max, per_channel_min)   # one value per (sample, channel)
    assert set(np.unique(out)) <= {0.0, 2.0} and (out == 0).any() and (out == 2).any()
    np.testing.assert_array_equal(cls(0.5)(x), x)
    clone = cls.from_config(cls(0.5, seed=1).get_config())
    assert clone.rate == 0.5 and clone.seed == 1


def test_spatial_dropout_checks_rank_and_format():
    layer = SpatialDropout2D(0.5, name="sd")
    with pytest.raises(ShapeError, match=r"SpatialDropout2D 'sd' expects an input of rank 4, got shape \(None, 5, 3\)"):
        layer(Input(shape=(5, 3)))
    with pytest.raises(ValueError, match="data_format"):
        SpatialDropout2D(0.5, data_format="NCHW")
    assert "data_format" not in SpatialDropout1D(0.1).get_config()


# ---------------------------------------------------------------- reshaping

def test_reshape_numbers_shapes_and_minus_one():
    x = np.arange(24, dtype=np.float32).reshape(2, 12)
    layer = Reshape((3, -1))
    for out in three_ways(layer, x):
        np.testing.assert_array_equal(out, x.reshape(2, 3, 4))
    assert layer.compute_output_shape((None, 12)) == (None, 3, 4)
    assert Reshape((2, 2, 3))(Input(shape=(3, 4))).shape == (None, 2, 2, 3)


def test_reshape_size_mismatch_names_layer_and_shapes():
    with pytest.raises(ShapeError, match=r"Reshape 'reshape' cannot reshape an input of shape \(None, 2, 3\) "
                                         r"to target shape \(7,\)"):
        Reshape((7,))(Input(shape=(2, 3)))
    with pytest.raises(ShapeError, match=r"\(None, 10\).*\(3, -1\)"):
        Reshape((3, -1))(Input(shape=(10,)))
    with pytest.raises(ValueError, match="at most one"):
        Reshape((-1, -1))


def test_reshape_gradient_and_config():
    x = Tensor(np.ones((2, 6), np.float32), requires_grad=True)
    ops.sum(ops.multiply(Reshape((2, 3))(x), 2.0)).backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.full((2, 6), 2.0))
    layer = Reshape((3, -1), name="r")
    assert Reshape.from_config(layer.get_config()).get_config() == layer.get_config()


def test_permute_is_one_based_like_keras():
    x = rng().standard_normal((2, 3, 4, 5)).astype(np.float32)
    layer = Permute((3, 1, 2))
    for out in three_ways(layer, x):
        np.testing.assert_array_equal(out, x.transpose(0, 3, 1, 2))
    assert layer.compute_output_shape((None, 3, 4, 5)) == (None, 5, 3, 4)
    with pytest.raises(ValueError, match="consecutive and start from 1"):
        Permute((0, 1))
    with pytest.raises(ShapeError, match=r"Permute 'swap' expects an input of rank 3, got shape \(None, 3, 4, 5\)"):
        Permute((2, 1), name="swap")(Input(shape=(3, 4, 5)))
    clone = Permute.from_config(layer.get_config())
    assert clone.dims == (3, 1, 2)


def test_repeat_vector():
    x = rng().standard_normal((2, 4)).astype(np.float32)
    layer = RepeatVector(3)
    for out in three_ways(layer, x):
        np.testing.assert_array_equal(out, np.repeat(x[:, None, :], 3, axis=1))
    assert layer.compute_output_shape((None, 4)) == (None, 3, 4)
    with pytest.raises(ShapeError, match="RepeatVector 'repeat_vector_1' expects an input of rank 2"):
        RepeatVector(2)(Input(shape=(3, 4)))
    x_tensor = Tensor(x, requires_grad=True)
    ops.sum(RepeatVector(3)(x_tensor)).backward()
    np.testing.assert_array_equal(x_tensor.grad.numpy(), np.full((2, 4), 3.0))
    assert RepeatVector.from_config(layer.get_config()).n == 3


# ------------------------------------------------------------------- Lambda

def test_lambda_computes_and_passes_arguments_mask_and_training():
    x = rng().standard_normal((3, 5)).astype(np.float32)
    layer = Lambda(lambda t, power: t ** power, arguments={"power": 2})
    for out in three_ways(layer, x):
        np.testing.assert_allclose(out, x ** 2, rtol=1e-6)
    seen = {}

    def spy(t, mask=None, training=None):
        seen["mask"], seen["training"] = mask, training
        return t

    Lambda(spy)(x, training=True)
    assert seen["training"] is True and seen["mask"] is None


def test_lambda_output_shape_and_mask():
    layer = Lambda(lambda t: ops.concatenate([t, t], axis=-1), output_shape=(10,))
    assert layer.compute_output_shape((None, 5)) == (None, 10)
    assert Lambda(lambda t: t[:, :2]).compute_output_shape((None, 5)) == (None, 2)
    assert Lambda(lambda t: t, output_shape=lambda s: s[:1] + (7,)).compute_output_shape((None, 5)) == (None, 7)
    masked = Lambda(lambda t: t, mask=lambda inputs, mask: ops.greater(inputs[:, :, 0], 0))
    out = masked(np.array([[[1.0], [-1.0]]], np.float32))
    np.testing.assert_array_equal(get_mask(out), [[True, False]])


def test_lambda_gradient_flows():
    x = Tensor(np.array([[1.0, 2.0]], np.float32), requires_grad=True)
    ops.sum(Lambda(ops.square)(x)).backward()
    np.testing.assert_allclose(x.grad.numpy(), [[2.0, 4.0]])


def test_lambda_config_named_function_and_lambda():
    named = Lambda(ops.square, name="sq")
    config = named.get_config()
    assert config["function"] == "square" and config["function_type"] == "function"
    clone = Lambda.from_config(config)
    np.testing.assert_allclose(clone(np.array([[3.0]], np.float32)), [[9.0]])

    anonymous = Lambda(lambda t: t * 3.0, output_shape=(4,), name="triple")
    config = anonymous.get_config()
    assert config["function_type"] == "lambda" and isinstance(config["function"][0], str)
    assert config["output_shape"] == [4] and config["output_shape_type"] == "raw"
    with pytest.raises(UnsafeDeserializationError, match="bytecode"):
        Lambda.from_config(config)
    with SafeModeScope(False):
        rebuilt = Lambda.from_config(config)
    np.testing.assert_allclose(rebuilt(np.ones((1, 4), np.float32)), np.full((1, 4), 3.0))
    assert rebuilt.compute_output_shape((None, 4)) == (None, 4)


# ---------------------------------------------------------------- Embedding

def test_embedding_shapes_params_and_lookup():
    layer = Embedding(20, 4)
    indices = np.array([[0, 3, 19], [5, 5, 1]], np.int32)
    out = layer(indices)
    assert out.shape == (2, 3, 4)
    assert layer.count_params() == 20 * 4
    assert [w.path for w in layer.weights] == ["embedding/embeddings"]
    table = layer.embeddings.numpy()
    np.testing.assert_array_equal(out, table[indices])
    # Keras' default 'uniform' initializer draws in [-0.05, 0.05)
    assert np.abs(table).max() <= 0.05
    arrays, tensor, graph = three_ways(layer, indices)
    np.testing.assert_array_equal(tensor, arrays)
    np.testing.assert_array_equal(graph, arrays)
    # float indices (Input's default dtype) are cast
    node = Input(shape=(3,))
    np.testing.assert_array_equal(Session().run(layer(node), {node: indices.astype(np.float32)}), arrays)


def test_embedding_matches_torch():
    torch = pytest.importorskip("torch")
    layer = Embedding(10, 3)
    layer.build((None, 6))
    indices = rng().integers(0, 10, size=(4, 6))
    expected = torch.nn.functional.embedding(torch.from_numpy(indices),
                                             torch.from_numpy(layer.embeddings.numpy())).numpy()
    np.testing.assert_array_equal(layer(indices), expected)


def test_embedding_gradient_counts_lookups():
    layer = Embedding(5, 2)
    out = layer(Tensor(np.array([[1, 1, 3]])))
    ops.sum(out).backward()
    np.testing.assert_array_equal(layer.embeddings.grad.numpy(),
                                  [[0, 0], [2, 2], [0, 0], [1, 1], [0, 0]])


def test_embedding_mask_zero():
    layer = Embedding(10, 3, mask_zero=True)
    out = layer(np.array([[0, 2, 0, 4]]))
    np.testing.assert_array_equal(get_mask(out), [[False, True, False, True]])
    assert get_mask(Embedding(10, 3)(np.array([[0, 1]]))) is None
    node = layer(Input(shape=(4,), dtype="int32"))
    assert get_mask(node) is not None and get_mask(node).shape == (None, 4)


def test_embedding_config_and_keras2_input_length():
    layer = Embedding(100, 8, mask_zero=True, input_length=12, embeddings_initializer="he_normal",
                      name="emb")
    assert layer._batch_input_shape == (None, 12)
    config = layer.get_config()
    assert config["input_length"] == 12 and config["mask_zero"] is True
    clone = Embedding.from_config(config)
    assert clone.get_config() == config
    assert Embedding(3, 2).compute_output_shape((None, 7)) == (None, 7, 2)
    with pytest.raises(ValueError, match="positive"):
        Embedding(0, 2)


# ------------------------------------------------------------------ Masking

def test_masking_zeroes_masked_steps_and_sets_the_mask():
    x = np.array([[[1.0, 2.0], [0.0, 0.0], [0.0, 3.0]],
                  [[0.0, 0.0], [5.0, 5.0], [0.0, 0.0]]], np.float32)
    layer = Masking(mask_value=0.0)
    for out in three_ways(layer, x):
        np.testing.assert_array_equal(out, x)
    expected_mask = [[True, False, True], [False, True, False]]
    np.testing.assert_array_equal(get_mask(layer(x)), expected_mask)

    y = x.copy()
    y[0, 1] = [7.0, 7.0]
    out = Masking(mask_value=7.0)(y)
    np.testing.assert_array_equal(out[0, 1], [0.0, 0.0])
    np.testing.assert_array_equal(out[0, 0], y[0, 0])


def test_masking_mask_reaches_the_next_layer():
    seen = {}

    def spy(t, mask=None):
        seen["mask"] = mask
        return t

    x = np.array([[[1.0], [0.0], [2.0]]], np.float32)
    Lambda(spy)(Masking()(x))
    np.testing.assert_array_equal(seen["mask"], [[True, False, True]])
    assert Masking.from_config(Masking(mask_value=-1.0).get_config()).mask_value == -1.0


def test_identity_layers_give_graphs_a_node_of_their_own():
    from kerasette.models.model import Model
    from kerasette.layers.noise import ActivityRegularization, GaussianNoise
    inputs = Input(shape=(3,))
    hidden = Dropout(0.5)(inputs)
    assert hidden is not inputs and hidden.origin[0].layer.name == "dropout"
    hidden = GaussianNoise(0.1)(hidden)
    hidden = ActivityRegularization(l2=0.1)(hidden)
    outputs = Lambda(lambda t: t)(hidden)
    model = Model(inputs, outputs)
    assert [layer.name for layer in model.layers] == ["input_1", "dropout", "gaussian_noise",
                                                      "activity_regularization", "lambda"]
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    np.testing.assert_array_equal(model(x), x)
