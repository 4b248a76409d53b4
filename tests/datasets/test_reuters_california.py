"""reuters and california_housing: served from 127.0.0.1, and compared with
what real Keras 3's own loaders make of the very same files."""
import hashlib
import io
import json
import os

import numpy as np
import pytest

from kerasette.datasets import california_housing, reuters

SEQUENCES = [[5, 9, 1, 30], [2, 2], [7, 3, 1, 4, 6, 12], [8], [4, 4, 4, 4, 4, 4, 4], [11, 3], [6, 6, 1]]
LABELS = np.array([3, 4, 3, 1, 19, 4, 0])


def _npz(**arrays):
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def _objects(lists):
    array = np.empty(len(lists), dtype=object)
    array[:] = [list(item) for item in lists]
    return array


def _keras_module(name, monkeypatch, local_path):
    os.environ.setdefault("KERAS_BACKEND", "jax")
    keras = pytest.importorskip("keras")
    if not hasattr(keras, "ops"):
        pytest.skip("keras is not real Keras 3")
    import importlib
    module = importlib.import_module(f"keras.src.datasets.{name}")
    monkeypatch.setattr(module, "get_file", lambda *args, **kwargs: local_path)
    return module


@pytest.mark.parametrize("kwargs", [
    {}, dict(num_words=8, skip_top=2, seed=0), dict(maxlen=5, test_split=0.4),
    dict(start_char=None, oov_char=None, index_from=0, num_words=10), dict(start_char=None, index_from=2),
])
def test_reuters_is_keras_3s(server, cache, monkeypatch, tmp_path, kwargs):
    body = _npz(x=_objects(SEQUENCES), y=LABELS)
    monkeypatch.setattr(reuters, "_SHA256", server.add("reuters.npz", body))
    (x_train, y_train), (x_test, y_test) = reuters.load_data(**kwargs)
    local = tmp_path / "reuters.npz"
    local.write_bytes(body)
    keras_reuters = _keras_module("reuters", monkeypatch, str(local))
    (kx_train, ky_train), (kx_test, ky_test) = keras_reuters.load_data(**kwargs)
    assert x_train.dtype == object and [list(s) for s in x_train] == [list(s) for s in kx_train]
    assert [list(s) for s in x_test] == [list(s) for s in kx_test]
    np.testing.assert_array_equal(y_train, ky_train)
    np.testing.assert_array_equal(y_test, ky_test)
    assert reuters.get_label_names() == keras_reuters.get_label_names()


def test_reuters_word_index_and_bad_arguments(server, cache, monkeypatch):
    body = json.dumps({"the": 1, "of": 2, "said": 5}).encode()
    server.add("reuters_word_index.json", body)
    monkeypatch.setattr(reuters, "_WORD_INDEX_MD5", hashlib.md5(body).hexdigest())
    assert reuters.get_word_index() == {"the": 1, "of": 2, "said": 5}
    with pytest.raises(ValueError, match="test_split"):
        reuters.load_data(test_split=1.5)


@pytest.mark.parametrize("kwargs", [{}, dict(version="small", test_split=0.25, seed=3)])
def test_california_housing_is_keras_3s(server, cache, monkeypatch, tmp_path, kwargs):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((700, 8))
    y = rng.uniform(1e4, 5e5, size=700)
    body = _npz(x=x, y=y)
    monkeypatch.setattr(california_housing, "_SHA256", server.add("california_housing.npz", body))
    ours = california_housing.load_data(**kwargs)
    local = tmp_path / "california_housing.npz"
    local.write_bytes(body)
    theirs = _keras_module("california_housing", monkeypatch, str(local)).load_data(**kwargs)
    for (a, b), (c, d) in zip(ours, theirs):
        np.testing.assert_array_equal(a, c)
        np.testing.assert_array_equal(b, d)
    assert ours[0][0].shape == ((560, 8) if not kwargs else (450, 8))
    with pytest.raises(ValueError, match="version"):
        california_housing.load_data(version="medium")
