"""Property-based: damaged and hostile model files give the model or a clear kerasette error.

hypothesis damages real saved files (bytes flipped, ranges zeroed, the file
cut short or extended, HDF5 attributes and datasets replaced) and hands them
to every loader: ``load_weights`` of legacy ``.h5`` and Keras 3
``.weights.h5`` files, ``load_model`` of whole-model ``.h5`` files and of
``.keras`` archives.  Each load must end in one of:

* the model, with weights of the right shapes; for files kerasette wrote
  (sealed with a CRC), exactly the weights that were saved;
* a ``WeightFileError`` / ``ConfigError`` / ``UnsafeDeserializationError``
  (all ``ValueError``\\ s naming the file or the layer) or an ``OSError``;

never a hang (pytest-timeout), a crash, or a foreign exception.  A failed
``load_weights`` leaves the model's weights as they were.  Examples are
derandomized so CI is repeatable; ``KERASETTE_FUZZ_EXAMPLES`` searches longer.
"""
import os
import shutil
import warnings
import zipfile

import h5py
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kerasette.saving import ConfigError, UnsafeDeserializationError, WeightFileError, load_model

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "fixtures", "saving")
EXAMPLES = int(os.environ.get("KERASETTE_FUZZ_EXAMPLES", "60"))
CLEAR = (WeightFileError, ConfigError, UnsafeDeserializationError, OSError)
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.function_scoped_fixture])

# (weights file, whole-model file that gives the architecture)
WEIGHT_FILES = [("tf_keras_cnn_weights.h5", "tf_keras_cnn_model.h5"),
                ("tf_keras_rnn_weights.h5", "tf_keras_rnn_model.h5"),
                ("tf_keras_nested_weights.h5", "tf_keras_nested_model.h5"),
                ("keras3_cnn.weights.h5", "keras3_cnn_model.h5"),
                ("keras3_seq.weights.h5", "keras3_seq_model.h5"),
                ("keras3_birnn.weights.h5", "keras3_birnn_model.h5")]
MODEL_FILES = ["tf_keras_cnn_model.h5", "tf_keras_seq_model.h5", "keras3_nested_model.h5", "keras3_cnn.keras"]


def _fixture(name):
    return os.path.join(FIXTURES, name)


_ARCHITECTURES = {}


def _architecture(model_file):
    if model_file not in _ARCHITECTURES:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _ARCHITECTURES[model_file] = load_model(_fixture(model_file), compile=False)
    return _ARCHITECTURES[model_file]


# ---------------------------------------------------------------- damage
BYTE_DAMAGE = st.one_of(
    st.tuples(st.just("flip"), st.lists(st.tuples(st.floats(0, 1), st.integers(1, 255)), min_size=1, max_size=8)),
    st.tuples(st.just("zero"), st.tuples(st.floats(0, 1), st.integers(1, 4096))),
    st.tuples(st.just("truncate"), st.floats(0, 1)),
    st.tuples(st.just("extend"), st.binary(min_size=1, max_size=64)),
)


def _damage_bytes(path, damage):
    data = bytearray(open(path, "rb").read())
    kind, detail = damage
    if kind == "flip":
        for where, mask in detail:
            index = min(int(where * len(data)), len(data) - 1)
            data[index] ^= mask
    elif kind == "zero":
        start = min(int(detail[0] * len(data)), len(data) - 1)
        data[start:start + detail[1]] = bytes(len(data[start:start + detail[1]]))
    elif kind == "truncate":
        data = data[:int(detail * len(data))]
    else:
        data += detail
    with open(path, "wb") as handle:
        handle.write(bytes(data))


STRUCTURE_DAMAGE = st.tuples(
    st.integers(min_value=0),
    st.sampled_from(["attribute_text", "attribute_number", "attribute_list", "delete", "reshape", "retype"]),
    st.integers(min_value=0, max_value=10**6))


def _damage_structure(path, damage):
    """Replace an attribute or a dataset of the HDF5 file at ``path`` (without a kerasette seal)."""
    position, kind, number = damage
    with h5py.File(path, "r+") as handle:
        items = []
        handle.visititems(lambda name, obj: items.append((name, obj)) and None)
        targets = [("attr", "/", key) for key in handle.attrs] + \
            [("attr", name, key) for name, obj in items for key in obj.attrs] + \
            [("data", name, None) for name, obj in items if isinstance(obj, h5py.Dataset)]
        if not targets:
            return
        what, name, key = targets[position % len(targets)]
        owner = handle[name] if name != "/" else handle
        if what == "attr":
            if kind == "delete":
                del owner.attrs[key]
            elif kind == "attribute_number":
                owner.attrs[key] = number
            elif kind == "attribute_list":
                owner.attrs[key] = [b"x" * (number % 7), b"dense"]
            else:
                owner.attrs[key] = str(number) if kind != "attribute_text" else "{" * (number % 50)
        else:
            dataset = handle[name]
            if kind == "delete":
                del handle[name]
            elif kind == "reshape":
                del handle[name]
                handle.create_dataset(name, shape=(number % 5 + 1, number % 3 + 1), dtype="float32")
            elif kind == "retype":
                data = dataset[()]
                del handle[name]
                handle[name] = np.asarray(data).astype("int8") if np.size(data) else np.zeros(1, "int8")
            else:
                dataset.attrs["junk"] = number


# ---------------------------------------------------------------- loaders
def _load_weights_clearly(model, path, expected):
    before = [w.copy() for w in model.get_weights()]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.load_weights(path)
    except CLEAR as error:
        assert str(error)
        for old, now in zip(before, model.get_weights()):
            np.testing.assert_array_equal(old, now)      # nothing changed by a refused load
        return False
    for weight, reference in zip(model.get_weights(), expected):
        assert weight.shape == reference.shape
    return True


def _load_model_clearly(path):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return load_model(path, compile=False)
    except CLEAR as error:
        assert str(error)
        return None


@pytest.mark.parametrize("weights_file, model_file", WEIGHT_FILES)
@SETTINGS
@given(damage=BYTE_DAMAGE)
def test_damaged_weight_files_load_or_refuse_clearly(tmp_path, weights_file, model_file, damage):
    model = _architecture(model_file)
    path = str(tmp_path / weights_file)
    shutil.copyfile(_fixture(weights_file), path)
    expected = model.get_weights()
    _damage_bytes(path, damage)
    _load_weights_clearly(model, path, expected)


@pytest.mark.parametrize("weights_file, model_file", WEIGHT_FILES)
@SETTINGS
@given(damage=STRUCTURE_DAMAGE)
def test_edited_weight_files_load_or_refuse_clearly(tmp_path, weights_file, model_file, damage):
    model = _architecture(model_file)
    path = str(tmp_path / weights_file)
    shutil.copyfile(_fixture(weights_file), path)
    expected = model.get_weights()
    _damage_structure(path, damage)
    _load_weights_clearly(model, path, expected)


@pytest.mark.parametrize("model_file", [name for name in MODEL_FILES if name.endswith(".h5")])
@SETTINGS
@given(damage=st.one_of(BYTE_DAMAGE, STRUCTURE_DAMAGE))
def test_damaged_model_files_load_or_refuse_clearly(tmp_path, model_file, damage):
    path = str(tmp_path / model_file)
    shutil.copyfile(_fixture(model_file), path)
    if isinstance(damage[0], str):
        _damage_bytes(path, damage)
    else:
        _damage_structure(path, damage)
    _load_model_clearly(path)


@SETTINGS
@given(damage=st.one_of(BYTE_DAMAGE, STRUCTURE_DAMAGE), member=st.sampled_from(
    ["config.json", "metadata.json", "model.weights.h5", None]))
def test_damaged_keras_archives_load_or_refuse_clearly(tmp_path, damage, member):
    path = str(tmp_path / "model.keras")
    if member is None or (member.endswith(".json") and not isinstance(damage[0], str)):
        shutil.copyfile(_fixture("keras3_cnn.keras"), path)
        if isinstance(damage[0], str):
            _damage_bytes(path, damage)
    else:
        with zipfile.ZipFile(_fixture("keras3_cnn.keras")) as archive:
            members = {name: archive.read(name) for name in archive.namelist()}
        inner = str(tmp_path / member)
        with open(inner, "wb") as handle:
            handle.write(members[member])
        if isinstance(damage[0], str):
            _damage_bytes(inner, damage)
        else:
            _damage_structure(inner, damage)
        members[member] = open(inner, "rb").read()
        with zipfile.ZipFile(path, "w") as archive:
            for name, data in members.items():
                archive.writestr(name, data)
    _load_model_clearly(path)


@pytest.mark.parametrize("kind", ["legacy", "keras3", "model"])
@SETTINGS
@given(damage=BYTE_DAMAGE)
def test_files_kerasette_wrote_give_the_same_model_or_an_error(tmp_path, kind, damage):
    # kerasette seals what it writes: damage anywhere is found, never loaded as other numbers
    model = _architecture("tf_keras_cnn_model.h5")
    name = {"legacy": "w.h5", "keras3": "w.weights.h5", "model": "m.h5"}[kind]
    path = str(tmp_path / name)
    if kind == "model":
        model.save(path)
    else:
        model.save_weights(path)
    saved = model.get_weights()
    _damage_bytes(path, damage)
    if kind == "model":
        loaded = _load_model_clearly(path)
        if loaded is not None:
            for weight, reference in zip(loaded.get_weights(), saved):
                np.testing.assert_array_equal(weight, reference)
        return
    target = load_model(_fixture("tf_keras_cnn_model.h5"), compile=False)
    if _load_weights_clearly(target, path, saved):
        for weight, reference in zip(target.get_weights(), saved):
            np.testing.assert_array_equal(weight, reference)
