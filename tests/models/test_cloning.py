"""``keras.models.clone_model`` (issue 14, item 10), with the examples of Keras 3's documentation."""
import numpy as np
import pytest

import kerasette as keras
from kerasette import Input, Model, Sequential, backend, layers

RNG = np.random.default_rng(8)
X = RNG.normal(0, 1, (6, 4)).astype("float32")


@pytest.fixture(autouse=True)
def fresh_names():
    backend.clear_session()
    yield


def sequential():
    return Sequential([Input(shape=(4,), name="features"), layers.Dense(8, activation="relu"),
                       layers.Dropout(0.25, seed=3), layers.Dense(1, activation="sigmoid")], name="seq")


def test_a_sequential_clone_has_new_layers_and_weights():
    model = sequential()
    clone = keras.models.clone_model(model)
    assert isinstance(clone, Sequential) and clone.name == "seq"
    assert [layer.name for layer in clone.layers] == [layer.name for layer in model.layers]
    assert all(a is not b for a, b in zip(clone.layers, model.layers))
    assert clone.inputs[0].origin[0].layer.name == "features" and clone.input_shape == (None, 4)
    assert not any(np.array_equal(a, b) for a, b in zip(clone.get_weights()[::2], model.get_weights()[::2]))
    clone.set_weights(model.get_weights())
    np.testing.assert_array_equal(clone.predict(X, verbose=0), model.predict(X, verbose=0))


def test_clone_function_sets_every_seed_as_the_keras_docs_do():
    def clone_function(layer):
        config = layer.get_config()
        if "seed" in config:
            config["seed"] = 1337
        return layer.__class__.from_config(config)

    clone = keras.models.clone_model(sequential(), clone_function=clone_function)
    assert clone.layers[1].get_config()["seed"] == 1337


def test_a_compiled_model_gives_a_compiled_clone_that_trains():
    model = sequential()
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="binary_crossentropy",
                  metrics=["accuracy"])
    clone = keras.models.clone_model(model)
    assert clone.compiled and clone.optimizer is not model.optimizer
    assert clone.optimizer.get_config() == model.optimizer.get_config()
    history = clone.fit(X, (X[:, :1] > 0).astype("float32"), epochs=2, verbose=0)
    assert sorted(history.history) == ["accuracy", "loss"]


def test_sequential_on_given_input_tensors():
    inputs = Input(shape=(4,), name="given")
    clone = keras.models.clone_model(sequential(), input_tensors=[inputs])
    assert clone.inputs[0] is inputs
    with pytest.raises(ValueError, match="single tensor"):
        keras.models.clone_model(sequential(), input_tensors=[inputs, inputs])
    with pytest.raises(ValueError, match="call_function"):
        keras.models.clone_model(sequential(), call_function=lambda layer, *a, **k: layer(*a, **k))


def functional():
    left, right = Input(shape=(4,), name="left"), Input(shape=(4,), name="right")
    shared = layers.Dense(3, name="shared")
    joined = layers.Concatenate(name="joined")([shared(left), shared(right)])
    return Model([left, right], layers.Dense(1, name="score")(joined), name="siamese")


def test_a_functional_clone_keeps_shared_layers_shared():
    model = functional()
    clone = keras.models.clone_model(model)
    assert [layer.name for layer in clone.layers] == ["left", "right", "shared", "joined", "score"]
    assert len(clone.get_layer("shared")._calls) == 2 and len(clone.weights) == len(model.weights)
    clone.set_weights(model.get_weights())
    xs = [X, X[::-1].copy()]
    np.testing.assert_array_equal(clone.predict(xs, verbose=0), model.predict(xs, verbose=0))


def test_call_function_inserts_dropout_after_dense_as_the_keras_docs_do():
    model = functional()

    def call_function(layer, *args, **kwargs):
        out = layer(*args, **kwargs)
        if isinstance(layer, layers.Dense):
            out = layers.Dropout(0.5)(out)
        return out

    clone = keras.models.clone_model(model, clone_function=lambda layer: layer, call_function=call_function)
    assert clone.get_layer("shared") is model.get_layer("shared")
    assert sum(isinstance(layer, layers.Dropout) for layer in clone.layers) == 3
    xs = [X, X]
    np.testing.assert_array_equal(clone.predict(xs, verbose=0), model.predict(xs, verbose=0))


def test_functional_on_input_tensors_and_with_a_replacing_clone_function():
    model = functional()
    inputs = [Input(shape=(4,), name="a"), Input(shape=(4,), name="b")]

    def to_tanh(layer):
        config = layer.get_config()
        if isinstance(layer, layers.Dense):
            config["activation"] = "tanh"
        return layer.__class__.from_config(config)

    clone = keras.models.clone_model(model, input_tensors=inputs, clone_function=to_tanh)
    assert clone.input_names == ["a", "b"]
    assert clone.get_layer("score").activation is keras.activations.tanh
    with pytest.raises(ValueError, match="same structure"):
        keras.models.clone_model(model, input_tensors=[inputs[0]])
    with pytest.raises(ValueError, match="Input"):
        keras.models.clone_model(model, input_tensors=[np.zeros((1, 4)), np.zeros((1, 4))])


def test_recursive_clones_nested_models_too():
    inner = sequential()
    outer_input = Input(shape=(4,))
    outer = Model(outer_input, layers.Dense(2, name="head")(inner(outer_input)))
    flat = keras.models.clone_model(outer)
    deep = keras.models.clone_model(outer, recursive=True)
    assert isinstance(flat.layers[1], Sequential) and isinstance(deep.layers[1], Sequential)
    assert flat.layers[1] is not inner and deep.layers[1] is not inner
    seen = []
    keras.models.clone_model(outer, recursive=True, clone_function=lambda layer: seen.append(layer.name) or
                             layer.__class__.from_config(layer.get_config()))
    assert seen == ["dense", "dropout", "dense_1", "head"]     # the nested model's layers, not the model


def test_a_subclassed_model_clones_through_its_config():
    class Tower(Model):
        def __init__(self, units=3, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.dense = layers.Dense(units)

        def call(self, inputs):
            return self.dense(inputs)

        def get_config(self):
            return {"units": self.units, "name": self.name}

    tower = Tower(5, name="tower")
    tower(X)
    clone = keras.models.clone_model(tower)
    assert isinstance(clone, Tower) and clone.units == 5 and clone.name == "tower"
    assert clone(X).shape == (6, 5)
    with pytest.raises(ValueError, match="only supported for Sequential"):
        keras.models.clone_model(tower, clone_function=lambda layer: layer)
    with pytest.raises(ValueError, match="Unexpected keyword"):
        keras.models.clone_model(tower, unknown=1)
