"""Weight paths (``variable.path``) as Keras 3 gives them.

A layer builds and runs inside its name scope, opened under the path where it was first built
or called: a Sequential's layers sit under the Sequential's name, a custom layer's sublayers
under the custom layer's, an RNN's cell under the RNN's, whether the layer was built by a call
or by ``build(shape)`` by hand.  Each model below is built by the same code on kerasette and on
real Keras 3 (in this interpreter, on JAX) and the paths compared; a few are also checked against
the paths Keras 3.15 gave, written out, so that they are checked where Keras is not installed.
"""
import h5py
import numpy as np
import pytest

import kerasette
from kerasette import backend
from tests.saving.test_real_keras import real_keras


def _custom_call(K):
    class B(K.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.d = K.layers.Dense(2)

        def call(self, x):
            return self.d(x)
    i = K.Input((3,))
    return K.Model(i, B()(i))


def _custom_build(K):
    """B built by hand, its Dense built by B.build (never called)."""
    class B(K.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.d = K.layers.Dense(2)

        def build(self, shape):
            self.d.build(shape)

        def call(self, x):
            return self.d(x)
    b = B()
    b.build((None, 3))
    return b


def _nested_functional(K):
    i = K.Input((3,))
    inner = K.Model(i, K.layers.Dense(2)(i), name="inner")
    j = K.Input((3,))
    return K.Model(j, inner(K.layers.Dense(3)(j)))


def _functional_in_sequential(K):
    i = K.Input((3,))
    inner = K.Model(i, K.layers.Dense(2)(i), name="inner")
    return K.Sequential([K.Input((3,)), K.layers.Dense(3), inner])


def _lazy_sequentials(K):
    """A Sequential without an input shape inside another, built by the outer one's first call."""
    inner = K.Sequential([K.layers.Dense(2)])
    outer = K.Sequential([inner, K.layers.Dense(1)])
    outer(np.zeros((1, 3), "float32"))
    return outer


def _sequential_build(K):
    model = K.Sequential([K.layers.Dense(2), K.layers.Dense(1)])
    model.build((None, 3))
    return model


def _stacked_cells(K):
    cells = [K.layers.LSTMCell(2), K.layers.GRUCell(3)]
    return K.Sequential([K.Input((4, 3)), K.layers.RNN(K.layers.StackedRNNCells(cells))])


def _stacked_in_bidirectional(K):
    cells = [K.layers.SimpleRNNCell(2), K.layers.SimpleRNNCell(2)]
    return K.Sequential([K.Input((4, 3)), K.layers.Bidirectional(K.layers.RNN(cells))])


def _bidirectional_backward_layer(K):
    i = K.Input((4, 3))
    forward = K.layers.GRU(2, return_sequences=True)
    backward = K.layers.GRU(2, return_sequences=True, go_backwards=True)
    return K.Model(i, K.layers.Bidirectional(forward, backward_layer=backward)(i))


def _transformer_block(K):
    class TransformerBlock(K.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.att = K.layers.MultiHeadAttention(2, 4)
            self.ffn = K.Sequential([K.layers.Dense(8, activation="relu"), K.layers.Dense(6)])
            self.ln1 = K.layers.LayerNormalization()
            self.ln2 = K.layers.LayerNormalization()

        def call(self, x):
            x = self.ln1(x + self.att(x, x))
            return self.ln2(x + self.ffn(x))
    i = K.Input((5, 6))
    return K.Model(i, TransformerBlock()(i))


def _subclassed_model(K):
    class Net(K.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.a = K.layers.Dense(3)
            self.blocks = [K.layers.Dense(2), K.layers.LayerNormalization()]

        def call(self, x):
            x = self.a(x)
            for block in self.blocks:
                x = block(x)
            return x
    model = Net()
    model(np.zeros((1, 2), "float32"))
    return model


def _deep_custom(K):
    """Weights made in __init__, in build, and by sublayers two levels down."""
    class Scale(K.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.w = self.add_weight(shape=(2,), name="w")

        def call(self, x):
            return x * self.w

    class Inner(K.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.d = K.layers.Dense(2)
            self.s = Scale()

        def call(self, x):
            return self.s(self.d(x))

    class Outer(K.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.inner = Inner()
            self.d = K.layers.Dense(2)

        def build(self, shape):
            self.v = self.add_weight(shape=(2,), name="v")

        def call(self, x):
            return self.d(self.inner(x)) + self.v
    return K.Sequential([K.Input((3,)), Outer()])


def _shared_layer(K):
    """A layer first called at the top level keeps its path when a Sequential calls it again."""
    dense = K.layers.Dense(2)
    i = K.Input((2,))
    K.Model(i, dense(i))
    return K.Sequential([K.Input((2,)), dense, K.layers.Dense(1)])


MODELS = {
    "sequential": lambda K: K.Sequential([K.Input((3,)), K.layers.Dense(2)]),
    "named_sequential": lambda K: K.Sequential(
        [K.Input((3,)), K.layers.Dense(2, name="hidden"), K.layers.Dense(1, name="out")], name="net"),
    "functional": lambda K: (lambda i: K.Model(i, K.layers.Dense(2)(i)))(K.Input((3,))),
    "custom_layer_call": _custom_call,
    "custom_layer_build": _custom_build,
    "lstm": lambda K: K.Sequential([K.Input((4, 3)), K.layers.LSTM(2)]),
    "stateful_lstm": lambda K: K.Sequential([K.Input(batch_shape=(2, 4, 3)), K.layers.LSTM(2, stateful=True)]),
    "gru_batchnorm_simple_rnn": lambda K: K.Sequential(
        [K.Input((4, 3)), K.layers.GRU(2, return_sequences=True), K.layers.BatchNormalization(),
         K.layers.SimpleRNN(2)]),
    "bidirectional": lambda K: (lambda i: K.Model(i, K.layers.Bidirectional(K.layers.LSTM(2))(i)))(
        K.Input((4, 3))),
    "bidirectional_backward_layer": _bidirectional_backward_layer,
    "bidirectional_in_sequential": lambda K: K.Sequential(
        [K.Input((4, 3)), K.layers.Bidirectional(K.layers.SimpleRNN(2))]),
    "nested_functional": _nested_functional,
    "functional_in_sequential": _functional_in_sequential,
    "lazy_sequentials": _lazy_sequentials,
    "sequential_build": _sequential_build,
    "time_distributed": lambda K: K.Sequential([K.Input((4, 3)), K.layers.TimeDistributed(K.layers.Dense(2))]),
    "time_distributed_conv": lambda K: K.Sequential(
        [K.Input((2, 5, 5, 1)), K.layers.TimeDistributed(K.layers.Conv2D(2, 3))]),
    "stacked_cells": _stacked_cells,
    "stacked_in_bidirectional": _stacked_in_bidirectional,
    "conv_lstm": lambda K: K.Sequential([K.Input((2, 5, 5, 1)), K.layers.ConvLSTM2D(2, 3)]),
    "multi_head_attention": lambda K: (lambda q: K.Model(q, K.layers.MultiHeadAttention(2, 3)(q, q)))(
        K.Input((4, 6))),
    "group_query_attention": lambda K: (lambda q: K.Model(q, K.layers.GroupQueryAttention(
        head_dim=2, num_query_heads=4, num_key_value_heads=2)(q, q)))(K.Input((4, 8))),
    "einsum_dense": lambda K: K.Sequential(
        [K.Input((3,)), K.layers.EinsumDense("ab,bc->ac", output_shape=4, bias_axes="c")]),
    "transformer_block": _transformer_block,
    "subclassed_model": _subclassed_model,
    "deep_custom": _deep_custom,
    "shared_layer": _shared_layer,
    "conv_embedding": lambda K: K.Sequential(
        [K.Input((4,)), K.layers.Embedding(10, 3), K.layers.Conv1D(2, 2), K.layers.GlobalAveragePooling1D(),
         K.layers.Dense(1)]),
}


def _paths(K, name):
    K.backend.clear_session()
    model = MODELS[name](K)
    return [v.path for v in model.weights], model


def _states_and_layers(model):
    """Stateful RNN states, and the paths of the layers that have weights (``layer.path``)."""
    held = getattr(model, "layers", [model])
    states = [v.path for layer in held for v in (getattr(layer, "states", None) or [])]
    return states, [layer.path for layer in held if layer.weights]


@pytest.mark.parametrize("name", sorted(MODELS))
def test_paths_are_keras_3s(name):
    keras3 = real_keras("keras")
    expected, keras_model = _paths(keras3, name)
    mine, model = _paths(kerasette, name)
    assert mine == expected
    assert len(set(mine)) == len(mine)
    assert _states_and_layers(model) == _states_and_layers(keras_model)


# what Keras 3.15 (JAX) gives, after clear_session()
RECORDED = {
    "sequential": ["sequential/dense/kernel", "sequential/dense/bias"],
    "custom_layer_build": ["b/dense/kernel", "b/dense/bias"],
    "bidirectional": [f"bidirectional/{side}_lstm/lstm_cell/{w}" for side in ("forward", "backward")
                      for w in ("kernel", "recurrent_kernel", "bias")],
    "stacked_cells": [f"sequential/rnn/stacked_rnn_cells/{cell}/{w}" for cell in ("lstm_cell", "gru_cell")
                      for w in ("kernel", "recurrent_kernel", "bias")],
    "nested_functional": ["dense_1/kernel", "dense_1/bias", "dense/kernel", "dense/bias"],
    "lazy_sequentials": ["sequential_1/sequential/dense/kernel", "sequential_1/sequential/dense/bias",
                         "sequential_1/dense_1/kernel", "sequential_1/dense_1/bias"],
    "time_distributed": ["sequential/time_distributed/dense/kernel", "sequential/time_distributed/dense/bias"],
    "conv_lstm": [f"sequential/conv_lstm2d/conv_lstm_cell/{w}" for w in ("kernel", "recurrent_kernel", "bias")],
    # (a weight made in __init__ is placed where the layer was made, here outside everything)
    "deep_custom": ["sequential/outer/v", "sequential/outer/inner/dense/kernel", "sequential/outer/inner/dense/bias",
                    "scale/w", "sequential/outer/dense_1/kernel",
                    "sequential/outer/dense_1/bias"],
}


@pytest.mark.parametrize("name", sorted(RECORDED))
def test_paths_match_the_recorded_keras_paths(name):
    assert _paths(kerasette, name)[0] == RECORDED[name]


def test_transformer_block_paths_name_every_enclosing_layer():
    paths = _paths(kerasette, "transformer_block")[0]
    assert paths[:2] == ["transformer_block/multi_head_attention/query/kernel",
                         "transformer_block/multi_head_attention/query/bias"]
    assert "transformer_block/sequential/dense_1/kernel" in paths
    assert paths[-1] == "transformer_block/layer_normalization_1/beta"


def test_build_by_hand_inside_a_name_scope_and_again_outside():
    backend.clear_session()
    dense = kerasette.layers.Dense(2)
    with kerasette.name_scope("outer"):
        dense.build((None, 3))
    assert [w.path for w in dense.weights] == ["outer/dense/kernel", "outer/dense/bias"]
    assert dense.path == "outer/dense"
    # later calls elsewhere change nothing: the scope opens under the first parent
    with kerasette.name_scope("elsewhere"):
        dense(np.zeros((1, 3), "float32"))
        extra = dense.add_weight(name="extra", shape=(1,))
    assert extra.path == "outer/dense/extra"


def test_a_metric_made_in_a_layer_and_the_optimizer_slots():
    backend.clear_session()

    class Tracked(kerasette.layers.Layer):
        def build(self, shape):
            self.mean = kerasette.metrics.Mean(name="my_mean")

        def call(self, x):
            return x
    layer = Tracked()
    layer(np.zeros((1, 2), "float32"))
    assert [v.path for v in layer.mean.variables] == ["tracked/my_mean/total", "tracked/my_mean/count"]
    model = kerasette.Sequential([kerasette.Input((3,)), kerasette.layers.Dense(2)])
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    model.fit(np.zeros((4, 3)), np.zeros((4, 2)), verbose=0)
    # Keras 3 names the slots after the weights' paths
    assert [v.path for v in model.optimizer.variables] == [
        "adam/iteration", "adam/learning_rate", "adam/sequential_dense_kernel_momentum",
        "adam/sequential_dense_kernel_velocity", "adam/sequential_dense_bias_momentum",
        "adam/sequential_dense_bias_velocity"]


def _names(group):
    return [n.decode() if isinstance(n, bytes) else n for n in group.attrs["weight_names"]]


def test_paths_leave_the_legacy_file_names_as_they_were(tmp_path):
    """Legacy HDF5 names a weight by its layer and its own name under the RNN and wrapper layers
    holding it (tf.keras' ``lstm/lstm_cell/kernel:0``), never by Keras 3's path, so files keep
    the names kerasette always wrote; the optimizer's slots keep theirs too."""
    backend.clear_session()
    model = MODELS["deep_custom"](kerasette)
    model.save_weights(tmp_path / "w.h5")
    with h5py.File(tmp_path / "w.h5", "r") as f:
        assert _names(f["outer"]) == ["outer/v:0", "outer/dense/kernel:0", "outer/dense/bias:0", "outer/scale/w:0",
                                      "outer/dense_1/kernel:0", "outer/dense_1/bias:0"]
    restored = MODELS["deep_custom"](kerasette)
    restored.load_weights(tmp_path / "w.h5")
    for a, b in zip(model.get_weights(), restored.get_weights()):
        np.testing.assert_array_equal(a, b)

    backend.clear_session()
    model = MODELS["bidirectional_in_sequential"](kerasette)
    assert model.weights[0].path == "sequential/bidirectional/forward_simple_rnn/simple_rnn_cell/kernel"
    model.compile(optimizer="adam", loss="mse")
    model.train_on_batch(np.ones((2, 4, 3), "float32"), np.ones((2, 4), "float32"))
    model.save(tmp_path / "m.h5")
    with h5py.File(tmp_path / "m.h5", "r") as f:
        assert _names(f["model_weights/bidirectional"])[:2] == [
            "bidirectional/forward_simple_rnn/simple_rnn_cell/kernel:0",
            "bidirectional/forward_simple_rnn/simple_rnn_cell/recurrent_kernel:0"]
        assert _names(f["optimizer_weights"])[2:4] == [
            "adam/bidirectional_forward_simple_rnn_simple_rnn_cell_kernel_momentum",
            "adam/bidirectional_forward_simple_rnn_simple_rnn_cell_kernel_velocity"]
    # while the optimizer's own paths are Keras 3's, named after the weights' paths
    assert model.optimizer.variables[2].path == \
        "adam/sequential_bidirectional_forward_simple_rnn_simple_rnn_cell_kernel_momentum"
