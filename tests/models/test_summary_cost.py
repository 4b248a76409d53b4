"""summary(flops_batch_size=N): per-layer FLOPs and activation memory, totals checked against numbers
computed by hand; without the argument the tables are unchanged (the byte-exact tests of
test_summary.py and test_summary_keras3.py cover that)."""
import pytest

import kerasette as K
from kerasette import layers


def text(model, **kwargs):
    lines = []
    model.summary(print_fn=lines.append, **kwargs)
    return "\n".join(lines)


def dense_model():
    return K.Sequential([layers.Input((784,)), layers.Dense(64, activation="relu", name="hidden"),
                         layers.Dense(10, name="logits")], name="mlp")


def conv_model():
    return K.Sequential([layers.Input((28, 28, 1)), layers.Conv2D(8, 3, name="conv"),
                         layers.MaxPooling2D(2, name="pool"), layers.Flatten(name="flat"),
                         layers.Dense(10, name="out")], name="cnn")


def row(table, name):
    return next(line for line in table.splitlines() if line.lstrip("│ ").startswith(name + " "))


def cost(table, name):
    """The FLOPs and Activations fields of a Keras 2 table's row (columns 65-80 and 81-94)."""
    line = row(table, name)
    return line[65:81].strip(), line[81:95].strip()


def test_dense_by_hand():
    batch = 32
    hidden = 2 * batch * 784 * 64 + batch * 64      # multiply-adds count 2, then the bias
    logits = 2 * batch * 64 * 10 + batch * 10
    table = text(dense_model(), flops_batch_size=batch)
    assert (hidden, logits) == (3_213_312, 41_280)
    assert f"Total FLOPs (batch of 32): {hidden + logits:,}" in table
    memory = batch * (64 + 10) * 4                 # float32 outputs of the two rows
    assert f"Activation memory (batch of 32): {memory / 1024:.2f} KB" in table
    assert cost(table, "hidden") == (f"{hidden:,}", "8.00 KB") and "50,240" in row(table, "hidden")
    header = table.splitlines()[2]
    assert header.index("FLOPs") == 65 and header.index("Activations") == 81
    # Keras 2's columns keep their places: the plain table's rows are a prefix of these
    plain = text(dense_model()).splitlines()
    assert table.splitlines()[3][:65] == plain[3]


def test_conv2d_by_hand(monkeypatch):
    batch = 2
    conv = 2 * batch * 26 * 26 * 8 * (3 * 3 * 1) + batch * 26 * 26 * 8
    pool = batch * 13 * 13 * 8 * (2 * 2)            # one per window element
    out = 2 * batch * (13 * 13 * 8) * 10 + batch * 10
    table = text(conv_model(), flops_batch_size=batch)
    assert conv + pool + out == 270_420
    assert f"Total FLOPs (batch of 2): {conv + pool + out:,}" in table
    assert cost(table, "conv") == (f"{conv:,}", "42.25 KB") and cost(table, "flat") == ("0", "10.56 KB")
    memory = batch * 4 * (26 * 26 * 8 + 13 * 13 * 8 + 1352 + 10)
    assert f"Activation memory (batch of 2): {memory / 1024:.2f} KB" in table
    monkeypatch.setenv("COLUMNS", "200")      # Keras 3's table is as wide as the console allows
    keras3 = text(conv_model(), flops_batch_size=batch, style="keras3")
    assert f" Total FLOPs (batch of 2): {conv + pool + out:,}" in keras3
    fields = [field.strip() for field in row(keras3, "conv").split("│")]
    assert fields[1:6] == ["conv (Conv2D)", "(None, 26, 26, 8)", "80", f"{conv:,}", "42.25 KB"]


def test_functional_shared_nested_and_unknown():
    inputs = K.Input((4,), name="x")
    shared = layers.Dense(3, name="shared")
    left, right = shared(inputs), shared(inputs)
    merged = layers.Add(name="add")([left, right])
    inner_in = K.Input((3,), name="inner_in")
    inner = K.Model(inner_in, layers.Dense(2, name="inner_dense")(inner_in), name="inner")
    outputs = layers.LayerNormalization(name="norm")(inner(merged))
    model = K.Model(inputs, outputs, name="graph")
    table = text(model, flops_batch_size=5)
    shared_flops = 2 * (2 * 5 * 4 * 3 + 5 * 3)      # called twice in the model
    assert cost(table, "shared") == (f"{shared_flops:,}", f"{2 * 5 * 3 * 4}.00 B")
    assert cost(table, "add")[0] == f"{5 * 3:,}"
    assert cost(table, "inner")[0] == f"{2 * 5 * 3 * 2 + 5 * 2:,}"     # the nested model's layers
    assert cost(table, "norm") == ("?", f"{5 * 2 * 4}.00 B")          # not in the catalogue
    total = shared_flops + 15 + 70
    assert f"Total FLOPs (batch of 5, 1 layer not counted): {total:,}" in table


def test_bad_batch_size():
    for bad in (0, -1, 2.5, True, "32"):
        with pytest.raises(ValueError, match="flops_batch_size must be a positive integer"):
            dense_model().summary(flops_batch_size=bad)


def test_bare_ops_in_keras3_table(monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    inputs = K.Input((4,), name="x")
    scaled = layers.Dense(3, name="d")(inputs) * 2.0          # an arithmetic op: one FLOP per element
    outputs = K.ops.exp(scaled)                                 # not in the catalogue
    model = K.Model(inputs, outputs, name="ops")
    table = text(model, flops_batch_size=2, style="keras3")
    fields = {line.split("│")[1].strip().split(" ")[0]: [f.strip() for f in line.split("│")[3:6]]
              for line in table.splitlines() if line.startswith("│ ") and "(" in line.split("│")[1]}
    assert fields["multiply"] == ["0", "6", "24.00 B"] and fields["exp"] == ["0", "?", "24.00 B"]
    dense = 2 * 2 * 4 * 3 + 2 * 3
    assert f" Total FLOPs (batch of 2, 1 layer not counted): {dense + 6:,}" in table


def test_recurrent_by_hand():
    inputs = K.Input((7, 3), name="seq")
    lstm = layers.LSTM(4, return_sequences=True, name="lstm")(inputs)
    gru = layers.Bidirectional(layers.GRU(2, name="gru"), name="bi")(lstm)
    model = K.Model(inputs, layers.SimpleRNN(5, name="rnn")(layers.RepeatVector(2, name="rep")(gru)), name="rnns")
    table = text(model, flops_batch_size=3)
    steps = 3 * 7
    lstm_flops = steps * (2 * (3 * 16 + 4 * 16) + 16)          # 4 gates of 4 units
    gru_one = steps * (2 * (4 * 6 + 2 * 6) + 2 * 6)            # 3 gates of 2; reset_after: a (2, 6) bias
    rnn_flops = 3 * 2 * (2 * (4 * 5 + 5 * 5) + 5)
    assert cost(table, "lstm")[0] == f"{lstm_flops:,}"
    assert cost(table, "bi")[0] == f"{2 * gru_one:,}"
    assert cost(table, "rnn")[0] == f"{rnn_flops:,}"
    assert f"Total FLOPs (batch of 3): {lstm_flops + 2 * gru_one + rnn_flops:,}" in table
