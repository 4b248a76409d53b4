"""pad_sequences: Keras' padding and truncating rules."""
import numpy as np
import pytest

from kerasette.preprocessing.sequence import pad_sequences as keras2_path
from kerasette.utils import pad_sequences


def test_defaults_pad_and_cut_at_the_start():
    out = pad_sequences([[1, 2, 3], [4], []])
    assert out.dtype == np.int32
    np.testing.assert_array_equal(out, [[1, 2, 3], [0, 0, 4], [0, 0, 0]])
    np.testing.assert_array_equal(pad_sequences([[1, 2, 3], [4]], maxlen=2), [[2, 3], [0, 4]])
    assert keras2_path is pad_sequences


def test_post_padding_truncating_value_and_dtype():
    out = pad_sequences([[1, 2, 3, 4], [5]], maxlen=3, padding="post", truncating="post", value=-1,
                        dtype="float32")
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, [[1, 2, 3], [5, -1, -1]])
    assert pad_sequences([[1, 2]], maxlen=0).shape == (1, 0)


def test_items_with_their_own_shape_and_strings():
    out = pad_sequences([np.ones((2, 3)), np.full((1, 3), 2.0)], dtype="float32")
    assert out.shape == (2, 2, 3)
    np.testing.assert_array_equal(out[1], [[0, 0, 0], [2, 2, 2]])
    words = pad_sequences([["a", "b"], ["c"]], dtype=object, value="<pad>")
    assert words.tolist() == [["a", "b"], ["<pad>", "c"]]


def test_bad_arguments():
    with pytest.raises(ValueError, match="Padding type"):
        pad_sequences([[1]], padding="middle")
    with pytest.raises(ValueError, match="Truncating type"):
        pad_sequences([[1]], truncating="middle")
    with pytest.raises(ValueError, match="list of iterables"):
        pad_sequences([1, 2])
    with pytest.raises(ValueError, match="dtype=object"):
        pad_sequences([["a"]], value="x")
    with pytest.raises(ValueError, match="shape"):
        pad_sequences([np.ones((2, 3)), np.ones((1, 4))], dtype="float32")
