"""summary(): the tutorial's table, chain vs graph layouts, nested and subclassed models."""
import pytest

from kerasette import Input, Model, Sequential, backend, ops
from kerasette.layers import Activation, Conv2D, Dense, Flatten, MaxPooling2D
from kerasette.models.summary import summary_text


@pytest.fixture(autouse=True)
def fresh_names():
    backend.clear_session()
    yield


def tutorial_model():
    inputs = Input(shape=(28, 28, 1))
    x = Conv2D(10, kernel_size=5)(inputs)
    x = Activation("relu")(x)
    x = MaxPooling2D()(x)
    x = Conv2D(20, kernel_size=5)(x)
    x = Activation("relu")(x)
    x = MaxPooling2D()(x)
    x = Flatten()(x)
    x = Dense(50)(x)
    x = Activation("relu")(x)
    x = Dense(10)(x)
    x = Activation("softmax")(x)
    return Model(inputs, x)


def test_tutorial_summary_matches_keras_layout():
    lines = summary_text(tutorial_model()).splitlines()
    assert lines[0] == 'Model: "model"'
    assert lines[1] == "_" * 65
    assert lines[2] == "Layer (type)                 Output Shape              Param #   "
    assert lines[3] == "=" * 65
    assert lines[4] == "input_1 (InputLayer)         (None, 28, 28, 1)         0         "
    assert lines[6] == "conv2d (Conv2D)              (None, 24, 24, 10)        260       "
    # a name longer than its column is cut and its last character blanked, like Keras
    assert lines[16] == "max_pooling2d_1 (MaxPooling2 (None, 4, 4, 20)          0         "
    assert "conv2d_1 (Conv2D)            (None, 8, 8, 20)          5,020     " in lines
    assert "dense (Dense)                (None, 50)                16,050    " in lines
    assert "dense_1 (Dense)              (None, 10)                510       " in lines
    assert lines[-5] == "=" * 65
    assert lines[-4:] == ["Total params: 21,840", "Trainable params: 21,840",
                          "Non-trainable params: 0", "_" * 65]


def test_print_fn_receives_every_line(capsys):
    model = tutorial_model()
    collected = []
    model.summary(print_fn=collected.append)
    assert capsys.readouterr().out == ""
    assert collected == summary_text(model).splitlines()
    model.summary()
    assert "Total params: 21,840" in capsys.readouterr().out


def test_graph_model_gets_connected_to_column():
    a, b = Input(shape=(3,), name="a"), Input(shape=(2,), name="b")
    joined = ops.concatenate([Dense(4, name="da")(a), Dense(4, name="db")(b)], axis=-1)
    model = Model([a, b], Dense(1, name="out")(Dense(2, name="mix")(joined)))
    lines = summary_text(model).splitlines()
    assert lines[1] == "_" * 98
    assert lines[2].rstrip() == "Layer (type)                    Output Shape         Param #     Connected to"
    assert any(line.startswith("da (Dense)") and line.rstrip().endswith("a[0][0]") for line in lines)


def test_shared_layer_shows_multiple():
    shared = Dense(2, name="shared")
    a, b = Input(shape=(2,)), Input(shape=(3,))
    model = Model([a, b], [shared(a), Dense(2)(b)])
    assert "shared (Dense)" in summary_text(model)
    shared(Input(shape=(2,)))   # a call outside this model does not count
    row = next(line for line in summary_text(model).splitlines() if line.startswith("shared (Dense)"))
    assert "(None, 2)" in row


def test_nested_model_is_one_row_and_sequential_has_no_input_row():
    inner = Sequential([Input(shape=(4,)), Dense(3), Dense(2)], name="inner")
    outer_in = Input(shape=(4,))
    outer = Model(outer_in, Dense(1)(inner(outer_in)))
    text = summary_text(outer)
    assert "inner (Sequential)           (None, 2)                 23" in text
    inner_text = summary_text(inner)
    assert "InputLayer" not in inner_text
    assert "Total params: 23" in inner_text


def test_subclassed_model_prints_after_a_call():
    import numpy as np

    class Net(Model):
        def __init__(self):
            super().__init__()
            self.hidden = Dense(5)
            self.out = Dense(2)

        def call(self, x):
            return self.out(self.hidden(x))

    net = Net()
    net(np.zeros((3, 4), np.float32))
    text = summary_text(net)
    assert "dense (Dense)                (None, 5)                 25" in text
    assert "Total params: 37" in text
