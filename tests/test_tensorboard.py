"""callbacks.TensorBoard: the event files read back with TensorBoard's own EventAccumulator hold
what fit's History holds (Keras 3's tags and directories), the weights' histograms, the model's
graph (which TensorBoard's converter turns into a graph of the layers) and the embeddings."""
import json
import os
import sys
import types

import numpy as np
import pytest

import kerasette as K
from kerasette import callbacks, layers

pytest.importorskip("tensorboardX")     # the tensorboard extra; CI installs it
# TensorBoard's reader falls back to its TensorFlow stub when this module exists: the tests read the
# files without importing TensorFlow (seconds saved; the files are the same)
sys.modules.setdefault("tensorboard.compat.notf", types.ModuleType("tensorboard.compat.notf"))
event_accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")


def read(directory):
    accumulator = event_accumulator.EventAccumulator(
        str(directory), size_guidance={"scalars": 0, "histograms": 0, "images": 0, "tensors": 0})
    accumulator.Reload()
    return accumulator


def scalars(accumulator, tag):
    return [(event.step, event.value) for event in accumulator.Scalars(tag)]


def data(n=48, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4)).astype("float32")
    return x, (x[:, 0] + x[:, 1] > 0).astype("int64")


def classifier(lr=0.01):
    K.random.set_seed(3) if hasattr(K.random, "set_seed") else None
    model = K.Sequential([layers.Input((4,)), layers.Dense(8, activation="relu", name="hidden"),
                          layers.Dense(2, activation="softmax", name="probs")], name="clf")
    model.compile(K.optimizers.SGD(lr), "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def test_scalars_equal_history(tmp_path):
    x, y = data()
    model = classifier()
    seen_iterations = []
    record = callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: seen_iterations.append(int(model.optimizer.iterations.numpy())))
    history = model.fit(x, y, epochs=3, batch_size=12, validation_split=0.25, verbose=0,
                        callbacks=[callbacks.TensorBoard(tmp_path, update_freq=2), record])
    assert sorted(os.listdir(tmp_path)) == ["train", "validation"]
    train, validation = read(tmp_path / "train"), read(tmp_path / "validation")
    for name in ("loss", "accuracy"):
        expected = [(epoch, np.float32(value)) for epoch, value in enumerate(history.history[name])]
        assert scalars(train, f"epoch_{name}") == expected
        expected = [(epoch, np.float32(value)) for epoch, value in enumerate(history.history[f"val_{name}"])]
        assert scalars(validation, f"epoch_{name}") == expected
        # after each validation, at the optimizer's iteration count
        assert scalars(validation, f"evaluation_{name}_vs_iterations") == \
            [(step, value) for step, (_, value) in zip(seen_iterations, expected)]
    assert scalars(train, "epoch_learning_rate") == [(epoch, np.float32(0.01)) for epoch in range(3)]
    # 36 training samples, batches of 12: 3 steps an epoch, 9 in all; every second one is written
    steps = [step for step, _ in scalars(train, "batch_loss")]
    assert steps == [2, 4, 6, 8] and seen_iterations == [3, 6, 9]
    assert "batch_loss" not in validation.Tags()["scalars"]
    assert not any(tag.startswith("val_") or "val_" in tag for tag in train.Tags()["scalars"])


def test_batch_values_are_the_running_logs(tmp_path):
    x, y = data(n=40)
    model = classifier()
    batch_logs = []
    record = callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: batch_logs.append(dict(logs)))
    history = model.fit(x, y, epochs=2, batch_size=10, verbose=0,
                        callbacks=[callbacks.TensorBoard(tmp_path, update_freq="batch"), record])
    train = read(tmp_path / "train")
    assert scalars(train, "batch_loss") == [(i + 1, np.float32(logs["loss"])) for i, logs in enumerate(batch_logs)]
    # the last batch's running mean is the epoch's loss
    assert scalars(train, "batch_loss")[3][1] == np.float32(history.history["loss"][0])
    assert not (tmp_path / "validation").exists()      # no validation: no empty event file


def test_epoch_update_freq_writes_no_batch_scalars(tmp_path):
    x, y = data()
    classifier().fit(x, y, epochs=1, batch_size=16, verbose=0, callbacks=[callbacks.TensorBoard(tmp_path)])
    tags = read(tmp_path / "train").Tags()["scalars"]
    assert sorted(tags) == ["epoch_accuracy", "epoch_learning_rate", "epoch_loss"]


def test_steps_per_second_and_evaluate(tmp_path):
    x, y = data()
    model = classifier()
    board = callbacks.TensorBoard(tmp_path, write_steps_per_second=True, update_freq="batch")
    model.fit(x, y, epochs=2, batch_size=16, verbose=0, callbacks=[board])
    train = read(tmp_path / "train")
    assert [step for step, _ in scalars(train, "batch_steps_per_second")] == [1, 2, 3, 4, 5, 6]
    assert [step for step, _ in scalars(train, "epoch_steps_per_second")] == [0, 1]
    assert all(value > 0 for _, value in scalars(train, "epoch_steps_per_second"))
    # evaluate() with the callback: the validation writer, at the optimizer's 6 iterations
    loss, accuracy = model.evaluate(x, y, verbose=0, callbacks=[board])
    assert scalars(read(tmp_path / "validation"), "evaluation_loss_vs_iterations") == [(6, np.float32(loss))]


def test_histograms_images_and_graph(tmp_path):
    x, y = data()
    model = classifier()
    weights_at = {}
    record = callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: weights_at.__setitem__(epoch, [w.numpy().copy() for w in model.weights]))
    model.fit(x, y, epochs=3, batch_size=16, verbose=0, callbacks=[
        callbacks.TensorBoard(tmp_path, histogram_freq=2, write_images=True), record])
    train = read(tmp_path / "train")
    paths = [w.path for w in model.weights]
    assert sorted(train.Tags()["histograms"]) == sorted(f"{path}/histogram" for path in paths)
    for index, path in enumerate(paths):
        events = train.Histograms(f"{path}/histogram")
        assert [event.step for event in events] == [0, 2]        # every second epoch
        for event in events:
            weight = weights_at[event.step][index]
            value = event.histogram_value
            assert value.num == weight.size
            assert value.min == pytest.approx(weight.min()) and value.max == pytest.approx(weight.max())
            assert value.sum == pytest.approx(weight.sum(), abs=1e-5)
            assert sum(value.bucket) == weight.size
    # images: a (4, 8) kernel is one 4-high, 8-wide picture; a bias one row
    # (tags named by the weights' paths, as Keras 3's: under the Sequential's name)
    kernel = train.Images("clf/hidden/kernel/image")
    assert [(image.step, image.height, image.width) for image in kernel] == [(0, 4, 8), (2, 4, 8)]
    bias = train.Images("clf/probs/bias/image")[0]
    assert (bias.height, bias.width) == (1, 2)
    # the graph: the model's JSON under "keras" (Keras 3's tag and plugin), step 0
    event = train.Tensors("keras")[0]
    assert event.step == 0
    written = json.loads(event.tensor_proto.string_val[0].decode())
    assert written == K.saving.serialize_keras_object(model)     # Keras 3's to_json()
    assert written["class_name"] == "Sequential"
    assert train.summary_metadata["keras"].plugin_data.plugin_name == "graph_keras_model"
    keras_util = pytest.importorskip("tensorboard.plugins.graph.keras_util")
    graph = keras_util.keras_model_to_graph_def(written)
    names = {node.name.split("/")[-1] for node in graph.node}
    assert {"hidden", "probs"} <= names       # TensorBoard's Graphs tab draws the layers


def test_functional_graph_and_write_graph_false(tmp_path):
    inputs = K.Input((4,), name="x")
    left = layers.Dense(3, name="left")(inputs)
    right = layers.Dense(3, name="right")(inputs)
    model = K.Model(inputs, layers.Add(name="sum")([left, right]), name="two_paths")
    model.compile("sgd", "mse")
    x = np.ones((8, 4), "float32")
    model.fit(x, np.zeros((8, 3), "float32"), epochs=1, verbose=0,
              callbacks=[callbacks.TensorBoard(tmp_path / "a")])
    keras_util = pytest.importorskip("tensorboard.plugins.graph.keras_util")
    text = read(tmp_path / "a" / "train").Tensors("keras")[0].tensor_proto.string_val[0].decode()
    graph = keras_util.keras_model_to_graph_def(json.loads(text))
    inputs_of = {node.name.split("/")[-1]: sorted(i.split("/")[-1] for i in node.input) for node in graph.node}
    assert inputs_of["sum"] == ["left", "right"] and inputs_of["left"] == ["x"]
    model.fit(x, np.zeros((8, 3), "float32"), epochs=1, verbose=0,
              callbacks=[callbacks.TensorBoard(tmp_path / "b", write_graph=False)])
    assert "keras" not in read(tmp_path / "b" / "train").Tags()["tensors"]


def test_embeddings_for_the_projector(tmp_path):
    model = K.Sequential([layers.Input((3,), dtype="int32"), layers.Embedding(5, 2, name="words"),
                          layers.GlobalAveragePooling1D(), layers.Dense(1)])
    model.compile("sgd", "mse")
    labels = tmp_path / "labels.tsv"
    labels.write_text("".join(f"word{i}\n" for i in range(5)))
    x = np.array([[0, 1, 2], [3, 4, 0]], "int32")
    model.fit(x, np.zeros((2, 1), "float32"), epochs=3, verbose=0, callbacks=[
        callbacks.TensorBoard(tmp_path / "logs", embeddings_freq=2, embeddings_metadata={"words": str(labels)})])
    train = tmp_path / "logs" / "train"
    config = (train / "projector_config.pbtxt").read_text()
    assert 'tensor_name: "words:00000"' in config and 'tensor_name: "words:00002"' in config
    assert sorted(p.name for p in train.iterdir() if p.is_dir()) == ["00000", "00002"]   # epochs 0 and 2
    tensors = np.loadtxt(train / "00002" / "words" / "tensors.tsv", ndmin=2)   # after the last epoch
    np.testing.assert_allclose(tensors, model.get_layer("words").embeddings.numpy(), rtol=1e-5)
    metadata = (train / "00002" / "words" / "metadata.tsv").read_text().split()
    assert metadata == [f"word{i}" for i in range(5)]
    with pytest.raises(ValueError, match="Unrecognized Embedding layer names.*nope"):
        model.fit(x, np.zeros((2, 1), "float32"), epochs=1, verbose=0, callbacks=[
            callbacks.TensorBoard(tmp_path / "bad", embeddings_freq=1, embeddings_metadata={"nope": "x"})])


def test_arguments_checked_as_keras_does(monkeypatch):
    with pytest.raises(ValueError, match="update_freq"):
        callbacks.TensorBoard(update_freq="sometimes")
    with pytest.raises(ValueError, match="profile_batch"):
        callbacks.TensorBoard(profile_batch=(5, 2))
    with pytest.raises(ValueError, match="profile_batch"):
        callbacks.TensorBoard(profile_batch="a,b")
    with pytest.raises(ValueError, match="histogram_freq"):
        callbacks.TensorBoard(histogram_freq=-1)
    with pytest.warns(UserWarning, match="no profiler"):
        board = callbacks.TensorBoard(profile_batch="2,4")
    assert (board._start_batch, board._stop_batch) == (2, 4)
    assert callbacks.TensorBoard(update_freq="batch").update_freq == 1
    monkeypatch.setitem(sys.modules, "tensorboardX", None)
    with pytest.raises(ImportError, match=r"kerasette\[tensorboard\]"):
        callbacks.TensorBoard()


def test_same_events_as_keras3(tmp_path):
    """Real Keras 3's callback on the same model, weights and data (tests/fixtures/tensorboard, made by
    make_tensorboard_fixtures.py): the same runs, tags, plugins and steps, the same scalar values and
    the same histogram counts and ranges (Keras 3 writes tensor summaries, kerasette classic ones)."""
    from pathlib import Path

    from tests.fixtures.make_tensorboard_fixtures import BOARD, FIT, build, initial_weights, inputs_and_targets
    expected = json.loads((Path(__file__).parent / "fixtures" / "tensorboard" / "keras3_events.json").read_text())
    model = build(K)
    model.set_weights(initial_weights())
    x, y = inputs_and_targets()
    history = model.fit(x, y, verbose=0, callbacks=[callbacks.TensorBoard(tmp_path, **BOARD)], **FIT)
    for key, values in expected["history"].items():
        np.testing.assert_allclose(history.history[key], values, rtol=1e-5)
    assert sorted(os.listdir(tmp_path)) == sorted(expected["runs"])
    for run, tags in expected["runs"].items():
        accumulator = read(tmp_path / run)
        ours = {tag: kind for kind in ("scalars", "histograms", "images", "tensors")
                for tag in accumulator.Tags()[kind]}
        theirs = {tag: {"graph_keras_model": "tensors"}.get(entry["plugin"], entry["plugin"])
                  for tag, entry in tags.items()}
        assert ours == theirs, run
        for tag, entry in tags.items():
            if entry["plugin"] == "scalars":
                got = scalars(accumulator, tag)
                assert [step for step, _ in got] == entry["steps"], tag
                np.testing.assert_allclose([value for _, value in got], entry["values"], rtol=1e-5, err_msg=tag)
            elif entry["plugin"] == "histograms":
                events = accumulator.Histograms(tag)
                assert [event.step for event in events] == entry["steps"]
                assert [event.histogram_value.num for event in events] == entry["count"]
                np.testing.assert_allclose([e.histogram_value.min for e in events], entry["low"], rtol=1e-4, atol=1e-6)
                np.testing.assert_allclose([e.histogram_value.max for e in events], entry["high"], rtol=1e-4, atol=1e-6)
            elif entry["plugin"] == "images":
                assert [event.step for event in accumulator.Images(tag)] == entry["steps"]
            else:
                assert [event.step for event in accumulator.Tensors(tag)] == entry["steps"]
