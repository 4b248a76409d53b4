"""Reading ``.npz`` archives, including ragged object arrays, without ``pickle``.

Numeric members are read by numpy with ``allow_pickle=False``. Keras' IMDB file
stores its reviews as a numpy *object* array (one Python list of word indices
per review), which numpy can only save as a pickle stream, so
``np.load(allow_pickle=False)`` refuses it. Rather than enabling pickle (which
runs whatever callables a stream names), this module decodes that stream as
*data*: a small interpreter for the pickle opcodes that can express ints,
floats, strings, bytes, lists, tuples, dicts and numpy arrays. It recognises
the few globals numpy's own pickles name (``numpy.ndarray``, ``numpy.dtype``,
``numpy.core.multiarray._reconstruct``, ``numpy.core.numeric._frombuffer``,
with numpy 2's ``numpy._core`` spellings, and ``_codecs.encode``, which
Python 3's protocol 2 uses for bytes) and never calls any of them: it builds
the arrays itself. Any other global or opcode is refused
with a ValueError, so a tampered file cannot execute code.

Runs of small integers (the bulk of IMDB: about 12 million word indices) are
decoded with one regular-expression scan and numpy arithmetic instead of one
Python step per opcode, which keeps loading within a few seconds.
"""
from __future__ import annotations

import ast
import re
import zipfile

import numpy as np

__all__ = ["load_npz", "decode_pickled_array"]

# one or more consecutive BININT1 ('K' + 1 byte), BININT2 ('M' + 2) or BININT ('J' + 4)
_INT_RUN = re.compile(rb"(?:K.|M..|J....)+", re.DOTALL)
_INT_TOKEN = re.compile(rb"K.|M..|J....", re.DOTALL)

_NDARRAY = "numpy.ndarray"
_DTYPE = "numpy.dtype"
_RECONSTRUCT = "numpy.multiarray._reconstruct"
_ENCODE = "_codecs.encode"
_FROMBUFFER = "numpy.numeric._frombuffer"
_KNOWN_GLOBALS = {
    ("numpy", "ndarray"): _NDARRAY,
    ("numpy", "dtype"): _DTYPE,
    ("numpy.core.multiarray", "_reconstruct"): _RECONSTRUCT,
    ("numpy._core.multiarray", "_reconstruct"): _RECONSTRUCT,
    ("_codecs", "encode"): _ENCODE,
    # numpy >= 1.16 pickles numeric arrays with protocol 5 through this function
    ("numpy.core.numeric", "_frombuffer"): _FROMBUFFER,
    ("numpy._core.numeric", "_frombuffer"): _FROMBUFFER,
}


class _Global(str):
    """A recognised global, kept as a name: it is interpreted, never called."""


class _ArrayStub:
    """An ndarray under construction: ``_reconstruct`` makes it, BUILD fills it."""

    __slots__ = ("array",)

    def __init__(self):
        self.array = None


def _decode_int_run(run: bytes) -> list:
    tokens = _INT_TOKEN.findall(run)
    lengths = np.fromiter(map(len, tokens), dtype=np.int64, count=len(tokens))
    starts = np.cumsum(lengths) - lengths
    padded = np.frombuffer(run + b"\0\0\0\0", dtype=np.uint8).astype(np.int64)
    wide = lengths >= 3
    widest = lengths == 5
    value = (padded[starts + 1] | (padded[starts + 2] << 8) * wide
             | (padded[starts + 3] << 16) * widest | (padded[starts + 4] << 24) * widest)
    # BININT is a signed 32-bit integer; BININT1 and BININT2 are unsigned
    value -= (widest & (value >= 1 << 31)) * (1 << 32)
    return value.tolist()


def _finish(value):
    return value.array if isinstance(value, _ArrayStub) else value


def _reduce(func, args):
    if func == _RECONSTRUCT:
        if not (len(args) == 3 and args[0] == _NDARRAY):
            raise ValueError("unsupported array reconstruction in pickle stream")
        return _ArrayStub()
    if func == _DTYPE:
        name = args[0]
        if not isinstance(name, str):
            raise ValueError(f"unsupported dtype description {name!r} in pickle stream")
        return np.dtype(name)
    if func == _FROMBUFFER:
        buffer, dtype, shape, order = args
        if not isinstance(dtype, np.dtype) or dtype.hasobject:
            raise ValueError("unsupported buffer dtype in pickle stream")
        return np.frombuffer(bytes(buffer), dtype=dtype).reshape(shape, order=order).copy()
    if func == _ENCODE:
        text, encoding = args
        if encoding not in ("latin1", "latin-1"):
            raise ValueError(f"unsupported encoding {encoding!r} in pickle stream")
        return text.encode("latin1")
    raise ValueError(f"refusing to call {func!r} while decoding a pickle stream")


def _build(target, state):
    if isinstance(target, np.dtype):
        # state: (version, byteorder, ...); only the byte order matters for plain dtypes
        byteorder = state[1] if isinstance(state, tuple) and len(state) > 1 else "|"
        return target.newbyteorder(byteorder) if byteorder in ("<", ">") else target
    if isinstance(target, _ArrayStub):
        _version, shape, dtype, is_fortran, raw = state
        order = "F" if is_fortran else "C"
        if dtype.hasobject:
            flat = np.empty(len(raw), dtype=object)
            for index, item in enumerate(raw):
                flat[index] = _finish(item)
            target.array = flat.reshape(shape, order=order)
        else:
            if isinstance(raw, str):
                raw = raw.encode("latin1")
            target.array = np.frombuffer(raw, dtype=dtype).reshape(shape, order=order).copy()
        return target
    raise ValueError(f"unsupported BUILD on {type(target).__name__} in pickle stream")


def _read_line(data: bytes, pos: int):
    end = data.index(b"\n", pos)
    return data[pos:end].decode("latin1"), end + 1


def decode_pickled_array(data: bytes, pos: int = 0):
    """Decode the pickle stream in ``data`` (from ``pos``) as data, returning the value."""
    stack: list = []
    marks: list = []
    memo: dict = {}
    little = "little"

    def pop_mark():
        start = marks.pop()
        items = stack[start:]
        del stack[start:]
        return items

    while True:
        op = data[pos]
        pos += 1
        if op in (0x4B, 0x4D, 0x4A):                      # K M J: small ints
            run = _INT_RUN.match(data, pos - 1)
            stack.extend(_decode_int_run(data[run.start():run.end()]))
            pos = run.end()
        elif op == 0x28:                                  # ( MARK
            marks.append(len(stack))
        elif op == 0x5D:                                  # ] EMPTY_LIST
            stack.append([])
        elif op == 0x65:                                  # e APPENDS
            items = pop_mark()
            stack[-1].extend(items)
        elif op == 0x61:                                  # a APPEND
            item = stack.pop()
            stack[-1].append(item)
        elif op == 0x6C:                                  # l LIST
            stack.append(pop_mark())
        elif op == 0x29:                                  # ) EMPTY_TUPLE
            stack.append(())
        elif op == 0x74:                                  # t TUPLE
            stack.append(tuple(pop_mark()))
        elif op in (0x85, 0x86, 0x87):                    # TUPLE1 TUPLE2 TUPLE3
            count = op - 0x84
            items = tuple(stack[-count:])
            del stack[-count:]
            stack.append(items)
        elif op == 0x7D:                                  # } EMPTY_DICT
            stack.append({})
        elif op == 0x64:                                  # d DICT
            items = pop_mark()
            stack.append(dict(zip(items[::2], items[1::2])))
        elif op in (0x73, 0x75):                          # s SETITEM, u SETITEMS
            items = [stack.pop(), stack.pop()][::-1] if op == 0x73 else pop_mark()
            stack[-1].update(zip(items[::2], items[1::2]))
        elif op == 0x71:                                  # q BINPUT
            memo[data[pos]] = stack[-1]
            pos += 1
        elif op == 0x72:                                  # r LONG_BINPUT
            memo[int.from_bytes(data[pos:pos + 4], little)] = stack[-1]
            pos += 4
        elif op == 0x94:                                  # MEMOIZE
            memo[len(memo)] = stack[-1]
        elif op == 0x70:                                  # p PUT
            text, pos = _read_line(data, pos)
            memo[int(text)] = stack[-1]
        elif op == 0x68:                                  # h BINGET
            stack.append(memo[data[pos]])
            pos += 1
        elif op == 0x6A:                                  # j LONG_BINGET
            stack.append(memo[int.from_bytes(data[pos:pos + 4], little)])
            pos += 4
        elif op == 0x67:                                  # g GET
            text, pos = _read_line(data, pos)
            stack.append(memo[int(text)])
        elif op == 0x80:                                  # PROTO
            pos += 1
        elif op == 0x95:                                  # FRAME
            pos += 8
        elif op == 0x4E:                                  # N NONE
            stack.append(None)
        elif op == 0x88:                                  # NEWTRUE
            stack.append(True)
        elif op == 0x89:                                  # NEWFALSE
            stack.append(False)
        elif op == 0x8A:                                  # LONG1
            size = data[pos]
            stack.append(int.from_bytes(data[pos + 1:pos + 1 + size], little, signed=True))
            pos += 1 + size
        elif op == 0x49:                                  # I INT (protocol 0, also True/False)
            text, pos = _read_line(data, pos)
            stack.append({"01": True, "00": False}.get(text) if text in ("00", "01") else int(text))
        elif op == 0x4C:                                  # L LONG (protocol 0)
            text, pos = _read_line(data, pos)
            stack.append(int(text.rstrip("L")))
        elif op == 0x46:                                  # F FLOAT (protocol 0)
            text, pos = _read_line(data, pos)
            stack.append(float(text))
        elif op == 0x56:                                  # V UNICODE (protocol 0)
            text, pos = _read_line(data, pos)
            stack.append(text.encode("latin1").decode("raw-unicode-escape"))
        elif op == 0x53:                                  # S STRING (protocol 0, a quoted repr)
            text, pos = _read_line(data, pos)
            stack.append(ast.literal_eval(text))
        elif op == 0x47:                                  # G BINFLOAT
            stack.append(float(np.frombuffer(data[pos:pos + 8], dtype=">f8")[0]))
            pos += 8
        elif op == 0x55:                                  # U SHORT_BINSTRING (Python 2 str)
            size = data[pos]
            stack.append(data[pos + 1:pos + 1 + size].decode("latin1"))
            pos += 1 + size
        elif op == 0x54:                                  # T BINSTRING
            size = int.from_bytes(data[pos:pos + 4], little)
            stack.append(data[pos + 4:pos + 4 + size].decode("latin1"))
            pos += 4 + size
        elif op == 0x43:                                  # C SHORT_BINBYTES
            size = data[pos]
            stack.append(bytes(data[pos + 1:pos + 1 + size]))
            pos += 1 + size
        elif op == 0x96:                                  # BYTEARRAY8
            size = int.from_bytes(data[pos:pos + 8], little)
            stack.append(bytes(data[pos + 8:pos + 8 + size]))
            pos += 8 + size
        elif op in (0x42, 0x8E):                          # B BINBYTES, BINBYTES8
            width = 4 if op == 0x42 else 8
            size = int.from_bytes(data[pos:pos + width], little)
            stack.append(bytes(data[pos + width:pos + width + size]))
            pos += width + size
        elif op == 0x8C:                                  # SHORT_BINUNICODE
            size = data[pos]
            stack.append(data[pos + 1:pos + 1 + size].decode("utf-8"))
            pos += 1 + size
        elif op in (0x58, 0x8D):                          # X BINUNICODE, BINUNICODE8
            width = 4 if op == 0x58 else 8
            size = int.from_bytes(data[pos:pos + width], little)
            stack.append(data[pos + width:pos + width + size].decode("utf-8"))
            pos += width + size
        elif op == 0x63:                                  # c GLOBAL
            module, pos = _read_line(data, pos)
            name, pos = _read_line(data, pos)
            stack.append(_lookup_global(module, name))
        elif op == 0x93:                                  # STACK_GLOBAL
            name = stack.pop()
            module = stack.pop()
            stack.append(_lookup_global(module, name))
        elif op == 0x52:                                  # R REDUCE
            args = stack.pop()
            func = stack.pop()
            stack.append(_reduce(func, args))
        elif op == 0x62:                                  # b BUILD
            state = stack.pop()
            stack[-1] = _build(stack[-1], state)
        elif op == 0x2E:                                  # . STOP
            return _finish(stack.pop())
        else:
            raise ValueError(f"unsupported pickle opcode {bytes([op])!r} at byte {pos - 1}; "
                             "kerasette reads only plain data from dataset files")


def _lookup_global(module: str, name: str) -> _Global:
    key = _KNOWN_GLOBALS.get((module, name))
    if key is None:
        raise ValueError(f"refusing to load {module}.{name} from a dataset file: only numpy arrays "
                         "of plain Python data are accepted")
    return _Global(key)


def _read_member(archive: zipfile.ZipFile, member: str) -> np.ndarray:
    with archive.open(member) as stream:
        version = np.lib.format.read_magic(stream)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(stream)
        else:
            # versions 2.0 and 3.0 share the header layout (3.0 only allows UTF-8 names)
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(stream)
        if dtype.hasobject:
            array = decode_pickled_array(stream.read())
            if not isinstance(array, np.ndarray):
                raise ValueError(f"npz member {member!r} does not hold an array")
            return array
    with archive.open(member) as stream:
        return np.lib.format.read_array(stream, allow_pickle=False)


def load_npz(path: str) -> dict:
    """Load every array of an ``.npz`` archive into a dict, never running pickle.

    >>> arrays = load_npz("imdb.npz")  # doctest: +SKIP
    >>> arrays["x_train"][0][:3]       # doctest: +SKIP
    [1, 14, 22]
    """
    arrays = {}
    with zipfile.ZipFile(path) as archive:
        for member in archive.namelist():
            if member.endswith(".npy"):
                arrays[member[:-4]] = _read_member(archive, member)
    return arrays
