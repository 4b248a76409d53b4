"""Keras 3's dtype promotion: the result dtype of ops that combine several inputs.

Keras promotes along a lattice (JAX's): ``bool`` below every number;
unsigned and signed integers of growing width, ``uintN`` below ``int2N``;
``uint64`` mixed with a signed integer goes to float; any integer mixed
with a float gives that float (``int32 + float16 -> float16``, not
numpy's ``float32``/``float64``); floats and complex by width.  Python ints
and floats are weak: they take the other input's kind
(``int8 + 2 -> int8``, ``int8 + 2.0 -> floatx``).

kerasette keeps 64-bit types where they arise (Keras' JAX and numpy
backends narrow ``int64``/``float64`` results to 32 bits; its TensorFlow
backend keeps them, as kerasette does).
"""
from __future__ import annotations

import functools

import numpy

_UINTS = ("uint8", "uint16", "uint32", "uint64")
_INTS = ("int8", "int16", "int32", "int64")
_FLOATS = ("float16", "float32", "float64")


def _floatx() -> str:
    from .. import backend
    return backend.floatx()


@functools.lru_cache(maxsize=1024)
def _join(a: str, b: str) -> str:
    if a == b:
        return a
    if a == "bool":
        return b
    if b == "bool":
        return a
    kinds = {a[0], b[0]}
    if "c" in kinds:
        complex_ = a if a[0] == "c" else b
        other = b if complex_ == a else a
        if other == "complex128" or other == "float64":
            return "complex128"
        return complex_
    if "f" in kinds:
        if a[0] == "f" and b[0] == "f":
            return a if _FLOATS.index(a) > _FLOATS.index(b) else b
        return a if a[0] == "f" else b
    if a[0] == b[0]:        # both signed or both unsigned
        return a if numpy.dtype(a).itemsize > numpy.dtype(b).itemsize else b
    unsigned, signed = (a, b) if a[0] == "u" else (b, a)
    if unsigned == "uint64":
        return _floatx()
    width = max(numpy.dtype(unsigned).itemsize * 2, numpy.dtype(signed).itemsize)
    return f"int{8 * width}"


def result_type(*dtypes) -> numpy.dtype:
    """Keras' promotion of ``dtypes``; ``int`` and ``float`` (the Python types) are weak."""
    weak = [d for d in dtypes if d is int or d is float or d is bool]
    strong = [numpy.dtype(d).name for d in dtypes if not (d is int or d is float or d is bool)]
    if not strong:
        if any(d is float for d in weak):
            return numpy.dtype(_floatx())
        return numpy.dtype("int64" if any(d is int for d in weak) else "bool")
    out = functools.reduce(_join, strong)
    if any(d is float for d in weak) and out[0] in "biu":
        out = _floatx()
    elif any(d is int for d in weak) and out == "bool":
        out = "int64"
    return numpy.dtype(out)


def float_result(*dtypes) -> numpy.dtype:
    """``result_type`` for ops that give floats: integer and bool results become floatx."""
    out = result_type(*dtypes)
    return out if out.kind in "fc" else numpy.dtype(_floatx())
