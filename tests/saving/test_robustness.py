"""Broken files and interrupted saves: a clear error naming the file, and nothing changed.

* truncated, byte-flipped, empty, non-HDF5 and other-architecture files are
  refused before any weight changes;
* a writer killed mid-save, or a disk that fills up mid-save, leaves the
  previous file whole and loadable.
"""
import errno
import os
import signal
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest

from kerasette import Input, Sequential, backend
from kerasette.layers import BatchNormalization, Dense
from kerasette.saving import WeightFileError, load_model

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FIXTURES = os.path.join(ROOT, "tests", "fixtures", "saving")


@pytest.fixture(autouse=True)
def fresh_names():
    backend.clear_session()
    yield


def mlp(units=3):
    return Sequential([Input(shape=(4,)), Dense(units, name="hidden"), BatchNormalization(name="bn"),
                       Dense(2, name="out")], name="mlp")


def snapshot(model):
    return [w.copy() for w in model.get_weights()]


def unchanged(model, before):
    return all(np.array_equal(a, b) for a, b in zip(model.get_weights(), before))


def saved_files(tmp_path):
    model = mlp()
    rng = np.random.default_rng(0)
    model.set_weights([rng.uniform(0.5, 1.5, w.shape).astype("float32") for w in model.get_weights()])
    model.compile(optimizer="adam", loss="mse")
    model.train_on_batch(rng.normal(0, 1, (4, 4)).astype("float32"), np.ones((4, 2), "float32"))
    paths = {"legacy": tmp_path / "w.h5", "keras3": tmp_path / "w.weights.h5", "model": tmp_path / "m.h5"}
    model.save_weights(paths["legacy"])
    model.save_weights(paths["keras3"])
    model.save(paths["model"])
    return model, paths


def attempt(kind, path):
    """Load ``path`` into a fresh model; return (outcome, model, weights before)."""
    target = mlp()
    before = snapshot(target)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if kind == "model":
                loaded = load_model(path)
                return "loaded", loaded, before
            target.load_weights(path)
        return "loaded", target, before
    except WeightFileError as error:
        assert str(path) in str(error) or os.path.basename(str(path)) in str(error), str(error)
        assert unchanged(target, before)
        return "refused", target, before


@pytest.mark.parametrize("kind", ["legacy", "keras3", "model"])
def test_truncated_files_are_refused_at_every_cut(tmp_path, kind):
    reference, paths = saved_files(tmp_path)
    data = paths[kind].read_bytes()
    cut_path = tmp_path / ("cut.weights.h5" if kind == "keras3" else "cut.h5")
    for cut in [0, 1, 100, 511, 512, 600, len(data) // 3, len(data) // 2, len(data) - 200, len(data) - 1]:
        cut_path.write_bytes(data[:cut])
        outcome, _, _ = attempt(kind, cut_path)
        assert outcome == "refused", f"cut at {cut} of {len(data)} bytes was accepted"


@pytest.mark.parametrize("kind", ["legacy", "keras3", "model"])
def test_flipped_bytes_never_load_different_numbers(tmp_path, kind):
    reference, paths = saved_files(tmp_path)
    expected = reference.get_weights()
    data = paths[kind].read_bytes()
    flip_path = tmp_path / ("flip.weights.h5" if kind == "keras3" else "flip.h5")
    offsets = sorted(set(np.random.default_rng(1).integers(0, len(data), 120).tolist()) | {0, 520, len(data) - 1})
    refused = 0
    for offset in offsets:
        damaged = bytearray(data)
        damaged[offset] ^= 0x5A
        flip_path.write_bytes(bytes(damaged))
        outcome, model, _ = attempt(kind, flip_path)
        if outcome == "loaded":
            # only the unused padding of the 512-byte user block may change harmlessly
            assert 0 <= offset < 512, f"a flip at {offset} loaded"
            assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), expected))
        else:
            refused += 1
    assert refused >= len(offsets) // 2


def test_another_models_file_is_refused_with_both_shapes(tmp_path):
    bigger = mlp(units=7)
    bigger.save_weights(tmp_path / "other.h5")
    bigger.save_weights(tmp_path / "other.weights.h5")
    for name in ("other.h5", "other.weights.h5"):
        target = mlp()
        before = snapshot(target)
        with pytest.raises(WeightFileError) as error:
            target.load_weights(tmp_path / name)
        message = str(error.value)
        assert name in message and "'hidden'" in message and "(4, 3)" in message and "(4, 7)" in message
        assert unchanged(target, before)


def test_a_different_architecture_with_more_layers_is_refused(tmp_path):
    other = Sequential([Input(shape=(4,)), Dense(3, name="a"), Dense(3, name="b"), Dense(2, name="c")])
    other.save_weights(tmp_path / "o.weights.h5")
    other.save_weights(tmp_path / "o.h5")
    for name in ("o.h5", "o.weights.h5"):
        target = mlp()
        before = snapshot(target)
        with pytest.raises(WeightFileError, match="another architecture"):
            target.load_weights(tmp_path / name)
        assert unchanged(target, before)


def test_not_hdf5_and_empty_files(tmp_path):
    (tmp_path / "text.h5").write_text("this is not a weight file\n" * 40)
    (tmp_path / "empty.h5").write_bytes(b"")
    for name in ("text.h5", "empty.h5"):
        target = mlp()
        before = snapshot(target)
        with pytest.raises(WeightFileError, match=rf"'{tmp_path / name}' is not an HDF5 file"):
            target.load_weights(tmp_path / name)
        with pytest.raises(WeightFileError, match="not an HDF5 file"):
            load_model(tmp_path / name)
        assert unchanged(target, before)
    with pytest.raises(WeightFileError, match="directory"):
        mlp().load_weights(tmp_path)


def test_truncated_file_written_by_keras_is_refused(tmp_path):
    from tests.fixtures.saving.make_saving_fixtures import build_seq
    import kerasette
    data = open(os.path.join(FIXTURES, "tf_keras_seq_weights.h5"), "rb").read()
    for cut in (len(data) // 2, len(data) - 10):
        (tmp_path / "k.h5").write_bytes(data[:cut])
        model = build_seq(kerasette)
        before = snapshot(model)
        with pytest.raises(WeightFileError, match="k.h5"):
            model.load_weights(tmp_path / "k.h5")
        assert unchanged(model, before)


def test_full_disk_mid_save_keeps_the_old_file(tmp_path, monkeypatch):
    from kerasette.saving import hdf5
    model, paths = saved_files(tmp_path)
    old = paths["model"].read_bytes()
    calls = {"n": 0}
    original = hdf5.write_dataset

    def failing(group, name, array):
        calls["n"] += 1
        if calls["n"] == 4:
            raise OSError(errno.ENOSPC, "No space left on device")
        return original(group, name, array)

    monkeypatch.setattr(hdf5, "write_dataset", failing)
    import kerasette.saving.legacy_h5 as legacy
    monkeypatch.setattr(legacy, "write_dataset", failing)
    other = mlp(units=3)
    with pytest.raises(OSError, match="No space left"):
        other.save(paths["model"])
    assert paths["model"].read_bytes() == old
    assert [p.name for p in tmp_path.iterdir() if ".kerasette-tmp-" in p.name] == []
    restored = load_model(paths["model"])
    for a, b in zip(restored.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)


WRITER = textwrap.dedent("""
    import os, sys, time
    sys.path.insert(0, {root!r})
    import numpy as np
    from kerasette import Input, Sequential
    from kerasette.layers import Dense
    import kerasette.saving.atomic as atomic
    import kerasette.saving.legacy_h5 as legacy

    phase = sys.argv[2]
    original_dataset, original_write = legacy.write_dataset, atomic._write_all

    def slow_dataset(group, name, array):
        original_dataset(group, name, array)
        print("writing", name, flush=True)
        time.sleep(30)

    def slow_write(descriptor, chunks):
        data = b"".join(bytes(chunk) for chunk in chunks)
        os.write(descriptor, data[:len(data) // 2])
        os.fsync(descriptor)
        print("writing bytes", flush=True)
        time.sleep(30)

    if phase == "hdf5":
        legacy.write_dataset = slow_dataset
    else:
        atomic._write_all = slow_write
    model = Sequential([Input(shape=(4,)), Dense(3, name="hidden"), Dense(2, name="out")])
    for w in model.weights:
        w.assign(np.full(w.shape, 9.0, "float32"))
    model.save_weights(sys.argv[1])
""")


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
@pytest.mark.parametrize("phase", ["hdf5", "bytes"])
def test_killed_writer_leaves_the_previous_file_loadable(tmp_path, phase):
    """Killed while libhdf5 builds the file (in memory: nothing on disk yet) or while its bytes are written."""
    model = Sequential([Input(shape=(4,)), Dense(3, name="hidden"), Dense(2, name="out")])
    rng = np.random.default_rng(0)
    model.set_weights([rng.normal(0, 1, w.shape).astype("float32") for w in model.get_weights()])
    path = tmp_path / "w.h5"
    model.save_weights(path)
    old = path.read_bytes()
    script = tmp_path / "writer.py"
    script.write_text(WRITER.format(root=ROOT))
    process = subprocess.Popen([sys.executable, str(script), str(path), phase], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline()      # the writer is inside the save now
        assert line.startswith("writing"), process.stderr.read()
        temporaries = [p for p in tmp_path.iterdir() if ".kerasette-tmp-" in p.name]
        if phase == "hdf5":
            assert temporaries == []          # the file is still being built in memory
        else:
            assert temporaries and temporaries[0].stat().st_size > 0
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
    assert path.read_bytes() == old
    backend.clear_session()
    again = Sequential([Input(shape=(4,)), Dense(3, name="hidden"), Dense(2, name="out")])
    again.load_weights(path)
    for a, b in zip(again.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)
    if phase == "bytes":
        # the half-written temporary file is itself refused, never mistaken for weights
        leftover = next(p for p in tmp_path.iterdir() if ".kerasette-tmp-" in p.name)
        with pytest.raises(WeightFileError):
            again.load_weights(leftover)
