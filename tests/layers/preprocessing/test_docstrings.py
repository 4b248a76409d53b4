"""The examples in the preprocessing layers' docstrings run and print what they show."""
import doctest
import importlib

import numpy
import pytest

import kerasette
from kerasette import layers

MODULES = ["category_encoding", "discretization", "hashed_crossing", "hashing", "integer_lookup", "normalization",
           "rescaling", "string_lookup", "text_vectorization"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    if name in ("hashing", "hashed_crossing", "text_vectorization", "string_lookup", "integer_lookup"):
        pytest.importorskip("farmhash", reason="the text extra (pyfarmhash) is not installed")
    module = importlib.import_module(f"kerasette.layers.preprocessing.{name}")
    globs = {"numpy": numpy, "Input": kerasette.Input, **{n: getattr(layers, n) for n in layers.preprocessing.__all__}}
    result = doctest.testmod(module, globs=globs, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
