"""JSON read from files, with a bound on nesting checked before the parser runs.

Python's ``json`` module parses nested arrays and objects recursively, so a
text of ``[[[[...`` 100,000 deep raises ``RecursionError`` (or, with a raised
recursion limit, can crash the interpreter).  ``parse_json`` counts the
nesting first, without recursion and ignoring brackets inside strings, and
refuses a text deeper than ``MAX_DEPTH`` with an error that names where the
text came from.  Keras' own configs nest a few dozen levels (each nested
model adds about four), far below the bound.

>>> parse_json('{"a": [1, 2]}', "the 'model_config' of 'm.h5'")
{'a': [1, 2]}
"""
from __future__ import annotations

import json
import re

import numpy

from .hdf5 import WeightFileError

__all__ = ["MAX_DEPTH", "json_depth", "parse_json"]

#: deepest nesting of arrays and objects accepted (Keras configs use a few dozen levels)
MAX_DEPTH = 500

# a complete JSON string: quote, then runs of ordinary characters and escapes, then quote
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")


def json_depth(text: str) -> int:
    """The deepest nesting of ``[`` / ``{`` in ``text``, brackets inside strings not counted."""
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    if not brackets:
        return 0
    codes = numpy.frombuffer(brackets.encode("ascii"), dtype=numpy.uint8)
    steps = numpy.where((codes == ord("[")) | (codes == ord("{")), 1, -1)
    return int(numpy.cumsum(steps).max())


def parse_json(text, where: str, max_depth: int = MAX_DEPTH):
    """``json.loads(text)``, refusing texts nested deeper than ``max_depth``.

    ``where`` says what the text is (``"the 'model_config' of 'm.h5'"``);
    errors are ``WeightFileError`` naming it.  A ``text`` that is not str or
    bytes is handed to ``json.loads`` as it is (which raises ``TypeError``).
    """
    if isinstance(text, (bytes, bytearray, memoryview)):
        try:
            text = bytes(text).decode("utf-8")
        except UnicodeDecodeError as error:
            raise WeightFileError(f"{where} is not UTF-8 text ({error})") from None
    if isinstance(text, str):
        depth = json_depth(text)
        if depth > max_depth:
            raise WeightFileError(f"{where} nests JSON {depth} levels deep, more than the {max_depth} "
                                  "kerasette accepts: the file is corrupt or hostile")
    try:
        return json.loads(text)
    except RecursionError:
        raise WeightFileError(f"{where} nests JSON too deeply to parse") from None
    except ValueError as error:
        raise WeightFileError(f"{where} is not valid JSON ({error})") from None
