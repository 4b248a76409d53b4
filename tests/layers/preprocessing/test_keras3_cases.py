"""Every preprocessing case of tests/fixtures/preprocessing (real Keras 3, TensorFlow backend):
outputs, dtypes, vocabularies, weights and configs."""
import numpy as np
import pytest

from kerasette import layers

from .fixtures import cases, data, run, spec, weights

NUMERIC = ("norm_", "rescale")
CASES = [name for name in cases() if not name.startswith(NUMERIC)]
# Keras 3 returns TensorFlow's int64 and float32; the invert output of a StringLookup is text
FLOAT_TOLERANCE = {"rtol": 2e-6, "atol": 1e-6}


@pytest.mark.parametrize("name", CASES)
def test_output(name):
    pytest.importorskip("farmhash", reason="the text extra (pyfarmhash) is not installed")
    layer, y = run(name, layers)
    expected = data()[f"{name}.y"]
    y = np.asarray(y)
    assert y.shape == expected.shape
    if expected.dtype.kind == "U":
        assert y.astype(str).tolist() == expected.tolist()
    else:
        assert y.dtype == expected.dtype, (y.dtype, expected.dtype)
        np.testing.assert_allclose(y, expected, **FLOAT_TOLERANCE)


@pytest.mark.parametrize("name", CASES)
def test_state_and_config(name):
    pytest.importorskip("farmhash", reason="the text extra (pyfarmhash) is not installed")
    s = spec(name)
    layer, _ = run(name, layers)
    if "vocabulary" in s:
        assert layer.get_vocabulary() == s["vocabulary"]
        assert layer.get_vocabulary(include_special_tokens=False) == s["vocabulary_no_special"]
    assert len(layer.get_weights()) == len(weights(name)) == 0
    config = layer.get_config()
    config.pop("dtype")
    expected = dict(s["config"])
    assert {k: _tuples_as_lists(v) for k, v in config.items() if k != "name"} == \
        {k: _tuples_as_lists(v) for k, v in expected.items() if k != "name"}
    # the config makes a layer that computes the same (vocabulary in the config or state copied)
    again = type(layer).from_config(layer.get_config())
    if hasattr(layer, "get_vocabulary") and not s["config"].get("vocabulary"):
        if s["config"].get("output_mode") == "tf_idf":
            vocabulary = layer.get_vocabulary()
            # (padded to max_tokens, the weights are longer than the vocabulary: Keras 3 fails here too)
            again.set_vocabulary(vocabulary, idf_weights=_idf(layer)[:len(vocabulary)])
        else:
            again.set_vocabulary(layer.get_vocabulary())
    assert again.get_config() == layer.get_config()


def _idf(layer):
    lookup = getattr(layer, "_lookup_layer", layer)
    return lookup.idf_weights


def _tuples_as_lists(value):
    return list(value) if isinstance(value, tuple) else value
