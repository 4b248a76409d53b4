"""Hostile and damaged files (issue 13): never a hang, a huge allocation, a foreign error or a crash.

* a zeroed global heap collection, on which libhdf5 loops forever, is found
  and refused before libhdf5 reads it;
* declared dataset shapes and dtypes are checked against the model before
  any data is read, in every reader;
* ``.keras`` members are capped (declared size and a running count),
  encrypted members and unknown compression methods refused clearly;
* a Keras 3 ``.weights.h5`` entry that no layer takes is reported;
* a damaged ``kerasette_crc32`` attribute and JSON nested 100,000 deep give
  errors naming the file;
* a full disk gives ``OSError`` naming the path, keeps the old file, leaves no
  temporary file, and the process stays healthy.
"""
import errno
import io
import os
import shutil
import struct
import subprocess
import sys
import textwrap
import tracemalloc
import warnings
import zipfile
import zlib

import h5py
import numpy as np
import pytest

from kerasette import Input, Sequential, backend
from kerasette.layers import BatchNormalization, Dense, Dropout
from kerasette.saving import WeightFileError, load_model, model_from_json
from kerasette.saving import hdf5, keras_zip
from kerasette.saving.hdf5 import unseal

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FIXTURES = os.path.join(ROOT, "tests", "fixtures", "saving")
MiB = 1 << 20


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


def peak_python_memory(function):
    """(result or raised exception, peak bytes Python and numpy allocated while ``function`` ran)."""
    tracemalloc.start()
    try:
        try:
            outcome = function()
        except Exception as error:          # noqa: BLE001 - returned to the test to check
            outcome = error
        return outcome, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


# ------------------------------------------------------------------ 1. hangs
LOADER = textwrap.dedent("""
    import sys, warnings
    sys.path.insert(0, {root!r})
    from kerasette.saving import WeightFileError, load_model
    warnings.simplefilter("ignore")
    kind, path = sys.argv[1], sys.argv[2]
    try:
        if kind == "model":
            load_model(path)
        else:
            architecture = load_model(sys.argv[3], compile=False)
            architecture.load_weights(path)
    except WeightFileError as error:
        print("REFUSED", error)
        sys.exit(0)
    print("LOADED")
""")


def load_in_subprocess(tmp_path, kind, path, architecture=None, timeout=120):
    """Load in a child process, so a regression fails the test instead of hanging the run."""
    script = tmp_path / "loader.py"
    script.write_text(LOADER.format(root=ROOT))
    command = [sys.executable, str(script), kind, str(path)] + ([architecture] if architecture else [])
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        pytest.fail(f"loading {path} hung (no answer in {timeout} s)")
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def zeroed(source, target, start, stop):
    data = bytearray(open(source, "rb").read())
    data[start:stop] = bytes(stop - start)
    target.write_bytes(bytes(data))
    return target


def test_zeroed_bytes_in_a_tf_keras_file_are_refused_not_hung(tmp_path):
    """Bytes 2103-3127 of this file fall in its global heap: plain h5py loops forever reading layer_names."""
    damaged = zeroed(os.path.join(FIXTURES, "tf_keras_cnn_weights.h5"), tmp_path / "damaged.h5", 2103, 3127)
    output = load_in_subprocess(tmp_path, "weights", damaged, os.path.join(FIXTURES, "tf_keras_cnn_model.h5"))
    assert output.startswith("REFUSED"), output
    assert "damaged.h5" in output and "global heap" in output and "loop forever" in output


def test_zeroed_heap_in_a_whole_model_file_is_refused_not_hung(tmp_path):
    source = os.path.join(FIXTURES, "tf_keras_cnn_model.h5")
    start = open(source, "rb").read().index(b"GCOL")
    damaged = zeroed(source, tmp_path / "model.h5", start + 16, start + 48)
    output = load_in_subprocess(tmp_path, "model", damaged)
    assert output.startswith("REFUSED") and "model.h5" in output, output


def test_the_heap_check_runs_in_process_before_libhdf5_reads(tmp_path):
    damaged = zeroed(os.path.join(FIXTURES, "tf_keras_cnn_weights.h5"), tmp_path / "d.h5", 2103, 3127)
    with pytest.raises(WeightFileError, match=r"d\.h5.*global heap collection at byte 2048"):
        hdf5.check_global_heaps(str(damaged), f"'{damaged}'")
    model = load_model(os.path.join(FIXTURES, "tf_keras_cnn_model.h5"), compile=False)
    before = snapshot(model)
    with pytest.raises(WeightFileError, match="loop forever"):
        model.load_weights(damaged)
    assert unchanged(model, before)


def test_every_undamaged_fixture_passes_the_heap_check():
    for name in sorted(os.listdir(FIXTURES)):
        if name.endswith(".h5"):
            hdf5.check_global_heaps(os.path.join(FIXTURES, name), name)


def test_a_heap_object_size_that_wraps_to_a_zero_step_is_refused(tmp_path):
    # index 1 with size 2**64 - 16: libhdf5's step, 16 + align8(size), wraps to 0
    source = os.path.join(FIXTURES, "tf_keras_cnn_weights.h5")
    data = bytearray(open(source, "rb").read())
    first_object = data.index(b"GCOL") + 16
    data[first_object + 8:first_object + 16] = struct.pack("<Q", (1 << 64) - 16)
    (tmp_path / "wrap.h5").write_bytes(bytes(data))
    with pytest.raises(WeightFileError, match="wraps to 0"):
        hdf5.check_global_heaps(str(tmp_path / "wrap.h5"), "wrap.h5")


def test_a_resealed_kerasette_file_with_a_zeroed_heap_is_refused(tmp_path):
    """The seal proves nothing against a crafted file: the heap check runs on sealed files too."""
    model = mlp()
    path, architecture = tmp_path / "w.h5", tmp_path / "architecture.h5"
    model.save_weights(path)
    model.save(architecture)
    data = bytearray(path.read_bytes())
    start = data.index(b"GCOL")
    data[start + 16:start + 32] = bytes(16)
    path.write_bytes(bytes(data))
    hdf5.seal(str(path))                    # as a forger would
    output = load_in_subprocess(tmp_path, "weights", path, str(architecture))
    assert output.startswith("REFUSED") and "loop forever" in output, output


def test_a_zeroed_heap_inside_a_keras_archive_is_refused(tmp_path):
    """Keras 3 writes each ``vars`` group's ``name`` as a variable-length string, in a global heap."""
    with zipfile.ZipFile(os.path.join(FIXTURES, "keras3_cnn.keras")) as archive:
        members = {info.filename: archive.read(info) for info in archive.infolist()}
    image = bytearray(members["model.weights.h5"])
    start = image.index(b"GCOL")
    image[start + 16:start + 32] = bytes(16)
    members["model.weights.h5"] = bytes(image)
    path = tmp_path / "heap.keras"
    with zipfile.ZipFile(path, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    output = load_in_subprocess(tmp_path, "model", path)
    assert output.startswith("REFUSED") and "heap.keras" in output and "loop forever" in output, output


# ------------------------------------------- 2. shapes checked before reading
def replace_dataset(path, name, shape, dtype="float32", data=None):
    """Replace dataset ``name`` by one declared ``shape``: chunked and never written, so the file stays small."""
    with h5py.File(path, "r+") as handle:
        del handle[name]
        if data is not None:
            handle.create_dataset(name, data=data)
        else:
            chunks = tuple(min(n, 256) for n in shape) if shape else None
            handle.create_dataset(name, shape=shape, dtype=dtype, chunks=chunks)


@pytest.mark.parametrize("shape", [(100000, 100000), (10000, 20000)])
@pytest.mark.parametrize("kind", ["legacy", "keras3", "model"])
def test_a_huge_declared_dataset_is_refused_before_it_is_read(tmp_path, kind, shape):
    model = mlp()
    if kind == "legacy":
        path, name = tmp_path / "w.h5", "hidden/hidden/kernel:0"
        model.save_weights(path)
    elif kind == "keras3":
        path, name = tmp_path / "w.weights.h5", "layers/dense/vars/0"
        model.save_weights(path)
    else:
        path, name = tmp_path / "m.h5", "model_weights/hidden/hidden/kernel:0"
        model.save(path)
    unseal(path)
    replace_dataset(path, name, shape)
    assert os.path.getsize(path) < 100_000
    target = mlp()
    before = snapshot(target)
    load = (lambda: load_model(path)) if kind == "model" else (lambda: target.load_weights(path))
    outcome, peak = peak_python_memory(load)
    assert isinstance(outcome, WeightFileError), repr(outcome)
    assert path.name in str(outcome) and str(shape) in str(outcome) and "(4, 3)" in str(outcome)
    assert peak < 20 * MiB, f"{peak / MiB:.0f} MiB allocated before refusing"
    assert unchanged(target, before)


def keras_archive_with(tmp_path, edit):
    """keras3_cnn.keras with its weights file changed by ``edit(h5py.File)``."""
    with zipfile.ZipFile(os.path.join(FIXTURES, "keras3_cnn.keras")) as archive:
        members = {info.filename: archive.read(info) for info in archive.infolist()}
    weights = io.BytesIO(members["model.weights.h5"])
    with h5py.File(weights, "r+") as handle:
        edit(handle)
    members["model.weights.h5"] = weights.getvalue()
    path = tmp_path / "edited.keras"
    with zipfile.ZipFile(path, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return path


def test_a_huge_declared_dataset_in_a_keras_archive_is_refused_before_it_is_read(tmp_path):
    def huge_kernel(handle):
        del handle["layers/conv2d/vars/0"]
        handle.create_dataset("layers/conv2d/vars/0", shape=(100000, 100000), dtype="float32", chunks=(256, 256))

    path = keras_archive_with(tmp_path, huge_kernel)
    outcome, peak = peak_python_memory(lambda: load_model(path))
    assert isinstance(outcome, WeightFileError), repr(outcome)
    assert "edited.keras" in str(outcome) and "(100000, 100000)" in str(outcome)
    assert peak < 20 * MiB
    architecture = load_model(os.path.join(FIXTURES, "keras3_cnn.keras"), compile=False)
    before = snapshot(architecture)
    outcome, peak = peak_python_memory(lambda: architecture.load_weights(path))
    assert isinstance(outcome, WeightFileError) and peak < 20 * MiB
    assert unchanged(architecture, before)


def test_a_huge_optimizer_dataset_in_a_model_file_is_not_read(tmp_path):
    model = mlp()
    model.compile(optimizer="adam", loss="mse")
    model.train_on_batch(np.ones((2, 4), "float32"), np.ones((2, 2), "float32"))
    path = tmp_path / "m.h5"
    model.save(path)
    unseal(path)
    with h5py.File(path, "r") as handle:
        first = hdf5.read_string_list(handle["optimizer_weights"], "weight_names")[1]
    replace_dataset(path, f"optimizer_weights/{first}", (100000, 100000))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        outcome, peak = peak_python_memory(lambda: load_model(path))
    assert not isinstance(outcome, Exception), repr(outcome)
    assert peak < 20 * MiB
    assert any("does not fit the optimizer" in str(w.message) for w in caught)


def test_a_non_numeric_dataset_of_the_right_shape_is_refused_before_it_is_read(tmp_path):
    path = tmp_path / "w.h5"
    mlp().save_weights(path)
    unseal(path)
    replace_dataset(path, "hidden/hidden/kernel:0", None, data=np.full((4, 3), b"text"))
    target = mlp()
    before = snapshot(target)
    with pytest.raises(WeightFileError, match=r"w\.h5.*not numeric|not numeric.*w\.h5"):
        target.load_weights(path)
    assert unchanged(target, before)


def test_chunks_far_bigger_than_their_dataset_are_refused(tmp_path, monkeypatch):
    path = tmp_path / "w.h5"
    mlp().save_weights(path)
    unseal(path)
    with h5py.File(path, "r+") as handle:
        del handle["hidden/hidden/kernel:0"]
        handle.create_dataset("hidden/hidden/kernel:0", shape=(4, 3), maxshape=(None, None), chunks=(512, 512),
                              dtype="float32", compression="gzip")
    monkeypatch.setattr(hdf5, "CHUNK_SLACK_BYTES", 1024)
    with pytest.raises(WeightFileError, match=r"declares chunks of \(512, 512\)"):
        mlp().load_weights(path)


# ------------------------------------------------------------- 3. .keras zips
def zip_bytes(members):
    """A zip archive written by hand: ``(name, method, flags, declared size, crc, compressed data)`` each."""
    out, central = io.BytesIO(), []
    for name, method, flags, size, crc, data in members:
        offset = out.tell()
        encoded = name.encode()
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, flags, method, 0, 0x21, crc, len(data), size,
                              len(encoded), 0) + encoded + data)
        central.append(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, flags, method, 0, 0x21, crc,
                                   len(data), size, len(encoded), 0, 0, 0, 0, 0, offset) + encoded)
    start = out.tell()
    for entry in central:
        out.write(entry)
    out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(central), len(central), out.tell() - start, start, 0))
    return out.getvalue()


@pytest.fixture(scope="module")
def bomb():
    """256 MiB of zeros deflated to about 250 KB, with its CRC."""
    compressor, crc, parts, block = zlib.compressobj(9, zlib.DEFLATED, -15), 0, [], bytes(16 * MiB)
    for _ in range(16):
        parts.append(compressor.compress(block))
        crc = zlib.crc32(block, crc)
    parts.append(compressor.flush())
    return b"".join(parts), 256 * MiB, crc


@pytest.fixture(scope="module")
def cnn_config():
    with zipfile.ZipFile(os.path.join(FIXTURES, "keras3_cnn.keras")) as archive:
        return archive.read("config.json"), archive.read("model.weights.h5")


def stored(name, data, flags=0, method=0):
    return (name, method, flags, len(data), zlib.crc32(data), data)


def test_a_zip_bomb_is_refused_from_its_declared_size(tmp_path, bomb, cnn_config):
    data, size, crc = bomb
    config, _ = cnn_config
    path = tmp_path / "bomb.keras"
    path.write_bytes(zip_bytes([stored("config.json", config), ("model.weights.h5", 8, 0, size, crc, data)]))
    outcome, peak = peak_python_memory(lambda: load_model(path))
    assert isinstance(outcome, WeightFileError), repr(outcome)
    assert "bomb.keras" in str(outcome) and f"declares {size} bytes" in str(outcome)
    assert peak < 40 * MiB, f"{peak / MiB:.0f} MiB"
    architecture = load_model(os.path.join(FIXTURES, "keras3_cnn.keras"), compile=False)
    with pytest.raises(WeightFileError, match="decompression bomb"):
        architecture.load_weights(path)


def test_a_member_whose_header_lies_about_its_size_cannot_expand_past_it(tmp_path, bomb, cnn_config):
    data, _, _ = bomb
    config, _ = cnn_config
    path = tmp_path / "liar.keras"
    small_crc = zlib.crc32(bytes(1000))
    path.write_bytes(zip_bytes([stored("config.json", config), ("model.weights.h5", 8, 0, 1000, small_crc, data)]))
    outcome, peak = peak_python_memory(lambda: load_model(path))
    assert isinstance(outcome, WeightFileError) and "liar.keras" in str(outcome), repr(outcome)
    assert peak < 40 * MiB, f"{peak / MiB:.0f} MiB"


def test_the_running_count_stops_a_member_at_its_cap():
    """A stream yielding more than its header declares is cut at the cap, whatever zipfile would do."""
    endless = io.BytesIO(bytes(24 * MiB))
    outcome, peak = peak_python_memory(lambda: keras_zip._copy_capped(endless, 4 * MiB, "'x.keras': its 'w'", 1000))
    assert isinstance(outcome, WeightFileError), repr(outcome)
    assert "x.keras" in str(outcome) and "expands past the 4194304 bytes" in str(outcome)
    assert peak < 12 * MiB


def test_encrypted_members_and_unknown_compression_are_clear_errors(tmp_path, cnn_config):
    config, weights = cnn_config
    cases = {"encrypted.keras": (stored("model.weights.h5", weights, flags=0x1), "encrypted"),
             "method.keras": (stored("model.weights.h5", weights, method=99), "compressed with method 99")}
    architecture = load_model(os.path.join(FIXTURES, "keras3_cnn.keras"), compile=False)
    for name, (member, message) in cases.items():
        path = tmp_path / name
        path.write_bytes(zip_bytes([stored("config.json", config), member]))
        with pytest.raises(WeightFileError, match=message) as error:
            load_model(path)
        assert name in str(error.value)
        with pytest.raises(WeightFileError, match=message):
            architecture.load_weights(path)
    path = tmp_path / "config.keras"
    path.write_bytes(zip_bytes([stored("config.json", config, flags=0x1), stored("model.weights.h5", weights)]))
    with pytest.raises(WeightFileError, match=r"config\.keras.*'config\.json' is encrypted"):
        load_model(path)


@pytest.mark.parametrize("method", [zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA])
def test_damaged_compressed_members_are_clear_errors(tmp_path, method):
    """zlib.error and LZMAError escaped before; compressed archives that are whole still load."""
    with zipfile.ZipFile(os.path.join(FIXTURES, "keras3_cnn.keras")) as archive:
        members = {info.filename: archive.read(info) for info in archive.infolist()}
    path = tmp_path / "packed.keras"
    with zipfile.ZipFile(path, "w", compression=method) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    assert load_model(path, compile=False).count_params() > 0
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("model.weights.h5")
    start = info.header_offset + 30 + len(info.filename.encode()) + 40
    data = bytearray(path.read_bytes())
    data[start:start + 300] = bytes(b ^ 0x55 for b in data[start:start + 300])
    path.write_bytes(bytes(data))
    with pytest.raises(WeightFileError, match=r"packed\.keras.*archive is corrupt"):
        load_model(path, compile=False)


def test_an_oversized_config_json_is_refused(tmp_path, cnn_config, monkeypatch):
    _, weights = cnn_config
    path = tmp_path / "big.keras"
    path.write_bytes(zip_bytes([stored("config.json", b" " * 4096 + b"{}"), stored("model.weights.h5", weights)]))
    monkeypatch.setattr(keras_zip, "CONFIG_LIMIT", 4000)
    with pytest.raises(WeightFileError, match=r"big\.keras.*'config\.json' declares 4098 bytes"):
        load_model(path)


def test_a_genuine_keras_archive_still_loads():
    model = load_model(os.path.join(FIXTURES, "keras3_cnn.keras"))
    assert model.count_params() > 0


# --------------------------------------------- 4. entries no layer takes
def keras3_file(tmp_path, edit, model=None):
    model = model or mlp()
    path = tmp_path / "w.weights.h5"
    model.save_weights(path)
    unseal(path)
    with h5py.File(path, "r+") as handle:
        edit(handle)
    return path


@pytest.mark.parametrize("entry", ["vars/0", "extra/0", "stray", "layers/dense/extra"])
def test_a_dataset_no_layer_takes_is_reported(tmp_path, entry):
    path = keras3_file(tmp_path, lambda handle: handle.create_dataset(entry, data=np.ones(3, "float32")))
    target = mlp()
    before = snapshot(target)
    with pytest.raises(WeightFileError, match="w.weights.h5") as error:
        target.load_weights(path)
    assert (entry if entry != "vars/0" else "has no variables") in str(error.value)
    assert unchanged(target, before)
    # skip_mismatch: a warning, and the layers that fit load (Keras 3 warns the same way)
    with pytest.warns(UserWarning, match="w.weights.h5"):
        target.load_weights(path, skip_mismatch=True)


def test_a_weightless_layer_whose_entry_holds_variables_is_reported_as_keras_3_does(tmp_path):
    model = Sequential([Input(shape=(4,)), Dense(3, name="hidden"), Dropout(0.5, name="drop"), Dense(2, name="out")])
    path = keras3_file(tmp_path, lambda handle: handle.create_dataset("layers/dropout/vars/0", data=np.ones(2)),
                       model=model)
    with pytest.raises(WeightFileError, match=r"'drop'.*has no variables.*layers/dropout/vars"):
        model.load_weights(path)


def test_a_file_keras_3_wrote_still_loads_without_reports():
    model = load_model(os.path.join(FIXTURES, "keras3_seq_model.h5"), compile=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.load_weights(os.path.join(FIXTURES, "keras3_seq.weights.h5"))


# ------------------------------------------------------------- 5. clear errors
@pytest.mark.parametrize("value", ["abc", np.int64(-1), np.float64(1.5), np.arange(3, dtype="uint32")])
def test_a_damaged_checksum_attribute_is_a_clear_error(tmp_path, value):
    path = tmp_path / "w.h5"
    mlp().save_weights(path)
    unseal(path)
    with h5py.File(path, "r+") as handle:
        handle["hidden/hidden/kernel:0"].attrs["kerasette_crc32"] = value
    target = mlp()
    before = snapshot(target)
    with pytest.raises(WeightFileError, match=r"w\.h5.*damaged 'kerasette_crc32' attribute"):
        target.load_weights(path)
    assert unchanged(target, before)


DEEP = "[" * 100_000 + "]" * 100_000


@pytest.mark.parametrize("attribute", ["model_config", "training_config", "kerasette_checksums"])
def test_json_nested_100000_deep_in_a_model_file_is_a_clear_error(tmp_path, attribute):
    model = mlp()
    model.compile(optimizer="adam", loss="mse")
    path = tmp_path / "m.h5"
    model.save(path)
    unseal(path)
    with h5py.File(path, "r+") as handle:
        handle.attrs[attribute] = DEEP
        if attribute != "kerasette_checksums":
            del handle.attrs["kerasette_checksums"]
    with pytest.raises(WeightFileError, match=r"m\.h5") as error:
        load_model(path)
    assert "100000 levels deep" in str(error.value) or "checksum record is corrupt" in str(error.value)


def test_a_model_config_that_is_not_utf8_is_a_clear_error(tmp_path):
    """h5py hands undecodable bytes back as lone surrogates: 'can't encode character' before the fix."""
    path = tmp_path / "m.h5"
    mlp().save(path)
    unseal(path)
    with h5py.File(path, "r+") as handle:
        handle.attrs.create("model_config", b'{"class_name": "Sequential\xee"}', dtype=h5py.string_dtype("utf-8"))
    with pytest.raises(WeightFileError, match=r"'model_config' of '.*m\.h5' is not valid UTF-8"):
        load_model(path)


def test_json_nested_100000_deep_in_a_keras_archive_is_a_clear_error(tmp_path, cnn_config):
    _, weights = cnn_config
    path = tmp_path / "deep.keras"
    path.write_bytes(zip_bytes([stored("config.json", DEEP.encode()), stored("model.weights.h5", weights)]))
    with pytest.raises(WeightFileError, match=r"'config\.json' of '.*deep\.keras' nests JSON 100000 levels"):
        load_model(path)


def test_json_nested_100000_deep_given_to_model_from_json_is_a_value_error():
    with pytest.raises(ValueError, match="100000 levels deep"):
        model_from_json(DEEP)
    with pytest.raises(ValueError, match="100001 levels deep"):
        model_from_json('{"class_name": "Sequential", "config": ' + "{\"a\": " * 100_000 + "1" + "}" * 100_001)


def test_brackets_inside_strings_do_not_count_as_nesting():
    from kerasette.saving.json_text import json_depth, parse_json
    assert json_depth('{"name": "[[[[{{{{\\"[[", "x": [[1]]}') == 3
    assert parse_json('["' + "[" * 10_000 + '"]', "a text") == ["[" * 10_000]


# ------------------------------------------------------------------ 6. full disk
FULL_DISK = textwrap.dedent("""
    import os, sys
    sys.path.insert(0, {root!r})
    import numpy as np
    from kerasette import Input, Sequential
    from kerasette.layers import Dense
    from kerasette.saving import load_model

    folder, kind, free = sys.argv[1], sys.argv[2], int(sys.argv[3])
    name = {{"legacy": "w.h5", "keras3": "w.weights.h5", "model": "m.h5"}}[kind]
    path = os.path.join(folder, name)

    def save(model):
        model.save(path) if kind == "model" else model.save_weights(path)

    small = Sequential([Input(shape=(4,)), Dense(3), Dense(2)])
    save(small)
    old = open(path, "rb").read()
    # fill the disk, then give back ``free`` bytes: too few for the new file
    descriptor = os.open(os.path.join(folder, "filler"), os.O_WRONLY | os.O_CREAT)
    try:
        while os.write(descriptor, bytes(4096)):
            pass
    except OSError:
        pass
    os.close(descriptor)
    size = os.path.getsize(os.path.join(folder, "filler"))
    os.truncate(os.path.join(folder, "filler"), max(0, size - free))
    big = Sequential([Input(shape=(16,))] + [Dense(16) for _ in range(40)])
    try:
        save(big)
    except OSError as error:
        print("OSError", error.errno, str(error))
    else:
        print("saved")
    print("same", open(path, "rb").read() == old)
    print("entries", sorted(os.listdir(folder)))
    os.remove(os.path.join(folder, "filler"))
    save(big)                                 # the process and libhdf5 still work
    reloaded = load_model(path) if kind == "model" else None
    print("healthy")
""")


@pytest.fixture
def small_tmpfs(tmp_path):
    folder = tmp_path / "disk"
    folder.mkdir()
    if sys.platform != "linux" or not shutil.which("mount"):
        pytest.skip("needs Linux and mount to make a small tmpfs")
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=200k", "tmpfs", str(folder)],
                            capture_output=True, text=True)
    if result.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({result.stderr.strip() or 'not permitted'})")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], capture_output=True)


@pytest.mark.parametrize("free", [0, 60_000])
@pytest.mark.parametrize("kind", ["legacy", "keras3", "model"])
def test_a_full_disk_is_an_oserror_naming_the_path_and_the_process_survives(tmp_path, small_tmpfs, kind, free):
    script = tmp_path / "full_disk.py"
    script.write_text(FULL_DISK.format(root=ROOT))
    result = subprocess.run([sys.executable, str(script), str(small_tmpfs), kind, str(free)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"rc {result.returncode}: {result.stdout}\n{result.stderr[-2000:]}"
    lines = result.stdout.splitlines()
    name = {"legacy": "w.h5", "keras3": "w.weights.h5", "model": "m.h5"}[kind]
    assert lines[0].startswith(f"OSError {errno.ENOSPC} ") and name in lines[0], result.stdout
    assert "No space left on device" in lines[0]
    assert lines[1] == "same True"
    assert lines[2] == f"entries {sorted(['filler', name])}"      # no temporary file left
    assert lines[-1] == "healthy"
    assert "Traceback" not in result.stderr, result.stderr[-2000:]


def test_a_failing_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path, monkeypatch):
    """The same without a tmpfs: os.write fails part way."""
    from kerasette.saving import atomic
    model = mlp()
    for name in ("w.h5", "w.weights.h5", "m.h5"):
        path = tmp_path / name
        model.save(path) if name == "m.h5" else model.save_weights(path)
        old = path.read_bytes()
        calls = {"n": 0}

        class FailingOs:
            """``os`` whose second write finds the disk full."""

            def __getattr__(self, name):
                return getattr(os, name)

            @staticmethod
            def write(descriptor, data):
                calls["n"] += 1
                if calls["n"] > 1:
                    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
                return os.write(descriptor, bytes(data)[:100])

        monkeypatch.setattr(atomic, "os", FailingOs())
        with pytest.raises(OSError, match=rf"Cannot save '.*{name}'.*No space left") as error:
            model.save(path) if name == "m.h5" else model.save_weights(path)
        monkeypatch.undo()
        assert error.value.errno == errno.ENOSPC and error.value.filename == str(path)
        assert path.read_bytes() == old
        assert [p.name for p in tmp_path.iterdir() if ".kerasette-tmp-" in p.name] == []
