"""The hash functions Keras 3's lookup and hashing layers use, so values land in the same bins.

Keras 3 hashes through TensorFlow: ``tf.strings.to_hash_bucket_fast`` is
FarmHash's Fingerprint64 of the UTF-8 bytes modulo the bin count, and
``to_hash_bucket_strong`` (a ``salt`` given) is SipHash-2-4 keyed by two
64-bit integers.  Integers are hashed as their decimal text
(``tf.strings.as_string``).  Fingerprint64 comes from the ``pyfarmhash``
package (``pip install kerasette[text]``), imported only when a string is
hashed; SipHash is short enough to live here.
"""
from __future__ import annotations

import struct

import numpy

__all__ = ["fingerprint64", "siphash24", "hash_buckets", "as_text_bytes"]

_MASK = (1 << 64) - 1


def _farmhash():
    try:
        import farmhash
    except ImportError:
        raise ImportError("Hashing strings the way Keras does (FarmHash Fingerprint64) needs the "
                          "`pyfarmhash` package: pip install kerasette[text]") from None
    return farmhash


def fingerprint64(data: bytes) -> int:
    """FarmHash Fingerprint64 of ``data`` (TensorFlow's ``Fingerprint64``)."""
    return _farmhash().fingerprint64(data)


def _rotate(value, count):
    return ((value << count) | (value >> (64 - count))) & _MASK


def siphash24(key0: int, key1: int, data: bytes) -> int:
    """SipHash-2-4 of ``data`` under the 128-bit key ``(key0, key1)`` (little-endian halves)."""
    v0 = key0 ^ 0x736F6D6570736575
    v1 = key1 ^ 0x646F72616E646F6D
    v2 = key0 ^ 0x6C7967656E657261
    v3 = key1 ^ 0x7465646279746573

    def rounds(v0, v1, v2, v3, count):
        for _ in range(count):
            v0 = (v0 + v1) & _MASK
            v1 = _rotate(v1, 13) ^ v0
            v0 = _rotate(v0, 32)
            v2 = (v2 + v3) & _MASK
            v3 = _rotate(v3, 16) ^ v2
            v0 = (v0 + v3) & _MASK
            v3 = _rotate(v3, 21) ^ v0
            v2 = (v2 + v1) & _MASK
            v1 = _rotate(v1, 17) ^ v2
            v2 = _rotate(v2, 32)
        return v0, v1, v2, v3

    length = len(data)
    whole = length - length % 8
    for start in range(0, whole, 8):
        (block,) = struct.unpack_from("<Q", data, start)
        v3 ^= block
        v0, v1, v2, v3 = rounds(v0, v1, v2, v3, 2)
        v0 ^= block
    last = ((length & 0xFF) << 56) | int.from_bytes(data[whole:], "little")
    v3 ^= last
    v0, v1, v2, v3 = rounds(v0, v1, v2, v3, 2)
    v0 ^= last
    v2 ^= 0xFF
    v0, v1, v2, v3 = rounds(v0, v1, v2, v3, 4)
    return v0 ^ v1 ^ v2 ^ v3


def as_text_bytes(value, encoding: str = "utf-8") -> bytes:
    """One value as the bytes TensorFlow would hash: text encoded, integers as decimal text."""
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode(encoding)
    if isinstance(value, (int, numpy.integer)):
        return str(int(value)).encode("ascii")
    if isinstance(value, (bool, numpy.bool_)):
        return str(int(value)).encode("ascii")
    raise TypeError(f"Cannot hash a value of type {type(value).__name__}: {value!r}")


def hash_buckets(values, num_bins: int, salt=None, encoding: str = "utf-8"):
    """Each of ``values`` (an array of strings, bytes or integers) hashed into ``[0, num_bins)`` (int64).

    Each distinct value is hashed once.
    """
    values = numpy.asarray(values)
    if values.size == 0:
        return numpy.zeros(values.shape, dtype="int64")
    unique, inverse = numpy.unique(values.reshape(-1), return_inverse=True)
    if salt is None:
        farmhash = _farmhash()
        hashed = [farmhash.fingerprint64(as_text_bytes(v, encoding)) % num_bins for v in unique.tolist()]
    else:
        key0, key1 = (int(salt[0]) & _MASK, int(salt[1]) & _MASK)
        hashed = [siphash24(key0, key1, as_text_bytes(v, encoding)) % num_bins for v in unique.tolist()]
    return numpy.asarray(hashed, dtype="int64")[inverse].reshape(values.shape)
