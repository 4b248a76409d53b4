"""Each downloadable dataset, served in its real file format by a local server.

The files are tiny synthetic ones written here in the real layouts (Keras'
npz files, gzip IDX, the CIFAR binary tar.gz); each loader's checksum is
pointed at the synthetic file so the real checking code runs.
"""
import gzip
import io
import json
import os
import pickle
import tarfile

import numpy as np
import pytest

from kerasette.datasets import boston_housing, cifar10, cifar100, fashion_mnist, imdb, mnist


def npz_bytes(**arrays) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def object_array(lists):
    array = np.empty(len(lists), dtype=object)
    for index, item in enumerate(lists):
        array[index] = item
    return array


def idx_gz(array: np.ndarray) -> bytes:
    header = bytes([0, 0, 8, array.ndim]) + np.array(array.shape, dtype=">u4").tobytes()
    return gzip.compress(header + array.astype(np.uint8).tobytes())


def tar_gz(members: dict) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def cifar_records(labels: np.ndarray, images: np.ndarray) -> bytes:
    """Binary CIFAR records: label byte(s), then the R, G and B planes."""
    planes = images.transpose(0, 3, 1, 2).reshape(len(images), -1)
    return np.concatenate([labels.reshape(len(images), -1), planes], axis=1).astype(np.uint8).tobytes()


def test_mnist(server, cache, monkeypatch):
    rng = np.random.default_rng(0)
    arrays = {"x_train": rng.integers(0, 256, (6, 28, 28), dtype=np.uint8),
              "y_train": rng.integers(0, 10, 6, dtype=np.uint8),
              "x_test": rng.integers(0, 256, (3, 28, 28), dtype=np.uint8),
              "y_test": rng.integers(0, 10, 3, dtype=np.uint8)}
    monkeypatch.setattr(mnist, "_SHA256", server.add("mnist.npz", npz_bytes(**arrays)))
    (x_train, y_train), (x_test, y_test) = mnist.load_data()
    for name, value in (("x_train", x_train), ("y_train", y_train), ("x_test", x_test), ("y_test", y_test)):
        assert value.dtype == np.uint8
        np.testing.assert_array_equal(value, arrays[name])
    mnist.load_data()
    assert server.requests == ["mnist.npz"]
    assert (cache / "mnist.npz").is_file()


def test_mnist_refuses_pickled_members(server, monkeypatch):
    body = npz_bytes(x_train=object_array([[1]]), y_train=np.zeros(1), x_test=np.zeros(1),
                     y_test=np.zeros(1))
    monkeypatch.setattr(mnist, "_SHA256", server.add("mnist.npz", body))
    with pytest.raises(ValueError, match="allow_pickle"):
        mnist.load_data()


def test_fashion_mnist(server, cache, monkeypatch):
    rng = np.random.default_rng(1)
    x_train = rng.integers(0, 256, (5, 28, 28), dtype=np.uint8)
    y_train = rng.integers(0, 10, 5, dtype=np.uint8)
    x_test = rng.integers(0, 256, (2, 28, 28), dtype=np.uint8)
    y_test = rng.integers(0, 10, 2, dtype=np.uint8)
    hashes = {name: server.add(name, idx_gz(array)) for name, array in (
        ("train-labels-idx1-ubyte.gz", y_train), ("train-images-idx3-ubyte.gz", x_train),
        ("t10k-labels-idx1-ubyte.gz", y_test), ("t10k-images-idx3-ubyte.gz", x_test))}
    monkeypatch.setattr(fashion_mnist, "_SHA256", hashes)
    (a, b), (c, d) = fashion_mnist.load_data()
    np.testing.assert_array_equal(a, x_train)
    np.testing.assert_array_equal(b, y_train)
    np.testing.assert_array_equal(c, x_test)
    np.testing.assert_array_equal(d, y_test)
    assert a.shape == (5, 28, 28) and a.dtype == np.uint8 and a.flags.writeable
    assert sorted(os.listdir(cache / "fashion-mnist")) == sorted(hashes)


def test_fashion_mnist_rejects_a_truncated_idx(tmp_path):
    path = tmp_path / "bad.gz"
    path.write_bytes(gzip.compress(bytes([0, 0, 8, 1]) + np.array([5], ">u4").tobytes() + b"abc"))
    with pytest.raises(ValueError, match="header says"):
        fashion_mnist.read_idx(str(path))


def test_cifar10(server, monkeypatch):
    rng = np.random.default_rng(2)
    batches = [(rng.integers(0, 10, 3, dtype=np.uint8),
                rng.integers(0, 256, (3, 32, 32, 3), dtype=np.uint8)) for _ in range(6)]
    members = {f"cifar-10-batches-bin/data_batch_{i + 1}.bin": cifar_records(*batches[i]) for i in range(5)}
    members["cifar-10-batches-bin/test_batch.bin"] = cifar_records(*batches[5])
    members["cifar-10-batches-bin/batches.meta.txt"] = b"airplane\n"
    monkeypatch.setattr(cifar10, "_SHA256", server.add("cifar-10-binary.tar.gz", tar_gz(members)))
    (x_train, y_train), (x_test, y_test) = cifar10.load_data()
    assert x_train.shape == (15, 32, 32, 3) and y_train.shape == (15, 1)
    assert x_train.dtype == y_train.dtype == np.uint8
    np.testing.assert_array_equal(x_train, np.concatenate([b[1] for b in batches[:5]]))
    np.testing.assert_array_equal(y_train[:, 0], np.concatenate([b[0] for b in batches[:5]]))
    np.testing.assert_array_equal(x_test, batches[5][1])
    np.testing.assert_array_equal(y_test[:, 0], batches[5][0])
    assert server.requests == ["cifar-10-binary.tar.gz"]


def test_cifar_pixel_layout_is_planes_of_rows():
    from kerasette.datasets import _cifar
    record = bytes([7]) + bytes(range(256)) * 12  # red plane = bytes 0..1023, ...
    labels, images = _cifar.split_records(record, 1, "one record")
    assert labels.tolist() == [[7]]
    # pixel (row 0, column 5): red at offset 5, green at 1024 + 5, blue at 2048 + 5
    assert images[0, 0, 5].tolist() == [5, (1024 + 5) % 256, (2048 + 5) % 256]
    assert images[0, 1, 0, 0] == 32  # the second row starts 32 bytes into the plane
    with pytest.raises(ValueError, match="whole number"):
        _cifar.split_records(record[:-1], 1, "short")


def test_cifar100_fine_and_coarse(server, monkeypatch):
    rng = np.random.default_rng(3)
    coarse, fine = rng.integers(0, 20, 4, dtype=np.uint8), rng.integers(0, 100, 4, dtype=np.uint8)
    images = rng.integers(0, 256, (4, 32, 32, 3), dtype=np.uint8)
    labels = np.stack([coarse, fine], axis=1)
    members = {"cifar-100-binary/train.bin": cifar_records(labels[:3], images[:3]),
               "cifar-100-binary/test.bin": cifar_records(labels[3:], images[3:])}
    monkeypatch.setattr(cifar100, "_SHA256", server.add("cifar-100-binary.tar.gz", tar_gz(members)))
    (x_train, y_fine), (x_test, y_fine_test) = cifar100.load_data()
    (_, y_coarse), (_, y_coarse_test) = cifar100.load_data(label_mode="coarse")
    np.testing.assert_array_equal(x_train, images[:3])
    np.testing.assert_array_equal(x_test, images[3:])
    assert y_fine.shape == (3, 1) and y_fine.dtype == np.uint8
    assert y_fine[:, 0].tolist() == fine[:3].tolist() and y_fine_test[:, 0].tolist() == fine[3:].tolist()
    assert y_coarse[:, 0].tolist() == coarse[:3].tolist()
    assert y_coarse_test[:, 0].tolist() == coarse[3:].tolist()
    assert server.requests == ["cifar-100-binary.tar.gz"]  # the second call used the cache
    with pytest.raises(ValueError, match="label_mode"):
        cifar100.load_data(label_mode="medium")


def test_cifar_archive_without_the_batches_is_a_clear_error(server, monkeypatch):
    body = tar_gz({"cifar-10-batches-py/data_batch_1": b"pickle would be here"})
    monkeypatch.setattr(cifar10, "_SHA256", server.add("cifar-10-binary.tar.gz", body))
    with pytest.raises(ValueError, match="CIFAR binary archive"):
        cifar10.load_data()


def test_boston_housing_split_matches_keras_rule(server, monkeypatch):
    x = np.arange(20 * 13, dtype=np.float64).reshape(20, 13)
    y = np.arange(20, dtype=np.float64) + 0.5
    monkeypatch.setattr(boston_housing, "_SHA256", server.add("boston_housing.npz", npz_bytes(x=x, y=y)))
    (x_train, y_train), (x_test, y_test) = boston_housing.load_data()
    order = np.arange(20)
    np.random.RandomState(113).shuffle(order)  # Keras' shuffle, then the first 80% for training
    np.testing.assert_array_equal(y_train, y[order[:16]])
    np.testing.assert_array_equal(x_test, x[order[16:]])
    assert x_train.shape == (16, 13) and y_test.shape == (4,)
    (x_train, _), (x_test, _) = boston_housing.load_data(test_split=0.5, seed=1)
    assert len(x_train) == len(x_test) == 10
    with pytest.raises(ValueError, match="test_split"):
        boston_housing.load_data(test_split=1.0)


TRAIN = [[1, 5, 9], [2, 2], [7, 3, 1, 4, 6]]
TEST = [[4, 4, 4, 4], [9]]


def serve_imdb(server, monkeypatch):
    body = npz_bytes(x_train=object_array(TRAIN), y_train=np.array([1, 0, 1]),
                     x_test=object_array(TEST), y_test=np.array([0, 1]))
    monkeypatch.setattr(imdb, "_SHA256", server.add("imdb.npz", body))


def keras_order(seed):
    rng = np.random.RandomState(seed)
    train = np.arange(3)
    rng.shuffle(train)
    test = np.arange(2)
    rng.shuffle(test)
    return train, test


def test_imdb_defaults(server, monkeypatch):
    serve_imdb(server, monkeypatch)
    (x_train, y_train), (x_test, y_test) = imdb.load_data()
    train, test = keras_order(113)
    # start_char 1, indices shifted by 3; the largest index overall (9 + 3 = 12)
    # becomes oov_char 2, as Keras' num_words=None rule does
    expected_train = [[1] + [w + 3 if w + 3 < 12 else 2 for w in TRAIN[i]] for i in train]
    expected_test = [[1] + [w + 3 if w + 3 < 12 else 2 for w in TEST[i]] for i in test]
    assert x_train == expected_train and x_test == expected_test
    assert isinstance(x_train, list) and all(isinstance(w, int) for w in x_train[0])
    assert y_train.tolist() == [[1, 0, 1][i] for i in train]
    assert y_test.tolist() == [[0, 1][i] for i in test]


def test_imdb_num_words_skip_top_maxlen(server, monkeypatch):
    serve_imdb(server, monkeypatch)
    (x_train, y_train), (x_test, _) = imdb.load_data(num_words=8, skip_top=5, maxlen=5, seed=0)
    train, test = keras_order(0)
    kept = [i for i in train if len(TRAIN[i]) + 1 < 5]  # Keras keeps sequences shorter than maxlen
    # the start mark 1 is below skip_top=5, so it too becomes oov_char 2, as in Keras
    expected = [[2] + [w + 3 if 5 <= w + 3 < 8 else 2 for w in TRAIN[i]] for i in kept]
    assert x_train == expected
    assert y_train.tolist() == [[1, 0, 1][i] for i in kept]
    _, (x_plain, _) = imdb.load_data(start_char=None, oov_char=None, index_from=0, num_words=100)
    assert sorted(map(tuple, x_plain)) == sorted(map(tuple, TEST))
    with pytest.raises(ValueError, match="maxlen"):
        imdb.load_data(maxlen=1)


def test_imdb_tampered_pickle_is_refused_without_running_it(server, monkeypatch, tmp_path):
    marker = tmp_path / "ran"

    class Payload:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    buffer = io.BytesIO()
    np.savez(buffer, x_train=object_array([[1], Payload()]), y_train=np.array([1, 0]),
             x_test=object_array([[2]]), y_test=np.array([0]))
    assert not marker.exists()  # pickling only recorded the call
    monkeypatch.setattr(imdb, "_SHA256", server.add("imdb.npz", buffer.getvalue()))
    with pytest.raises(ValueError, match=r"refusing to load io\.open"):
        imdb.load_data()
    assert not marker.exists()


def test_imdb_get_word_index(server, monkeypatch):
    import hashlib
    body = json.dumps({"the": 1, "and": 2, "film": 19}).encode()
    server.add("imdb_word_index.json", body)
    monkeypatch.setattr(imdb, "_WORD_INDEX_MD5", hashlib.md5(body).hexdigest())
    assert imdb.get_word_index() == {"the": 1, "and": 2, "film": 19}


def test_object_arrays_decode_for_every_pickle_protocol():
    from kerasette.datasets._npz import decode_pickled_array
    rng = np.random.default_rng(4)
    lists = [rng.integers(0, 100_000, rng.integers(0, 3000)).tolist() for _ in range(20)]
    lists.append([0, 255, 256, 65535, 65536, 2**31 - 1, -1, -2**31, 2**40])
    array = object_array(lists)
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        decoded = decode_pickled_array(pickle.dumps(array, protocol=protocol))
        assert decoded.dtype == object and decoded.shape == (len(lists),)
        assert [list(item) for item in decoded] == lists, protocol
        numeric = np.arange(12, dtype=">i4").reshape(3, 4)
        assert np.array_equal(decode_pickled_array(pickle.dumps(numeric, protocol=protocol)), numeric)


def test_python2_era_object_array_stream():
    """The layout numpy wrote under Python 2 (protocol 2, str as SHORT_BINSTRING)."""
    from kerasette.datasets._npz import decode_pickled_array
    stream = (b"\x80\x02cnumpy.core.multiarray\n_reconstruct\nq\x01cnumpy\nndarray\nq\x02"
              b"K\x00\x85U\x01b\x87Rq\x03(K\x01K\x02\x85cnumpy\ndtype\nq\x04U\x02O8K\x00K\x01\x87Rq\x05"
              b"(K\x03U\x01|NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK?tb\x89]q\x06("
              b"]q\x07(K\x01K\x0eJ\x8b\x5a\x01\x00e]q\x08M\x10\x27ae"
              b"tb.")
    decoded = decode_pickled_array(stream)
    assert decoded.dtype == object and decoded.shape == (2,)
    assert decoded[0] == [1, 14, 88715] and decoded[1] == [10000]
