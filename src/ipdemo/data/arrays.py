"""Arrow arrays to and from numpy and Python lists, built from buffers.

pyarrow imports pandas (~0.2 s) the first time pa.array, pa.scalar or Array.to_numpy meets a
Python or numpy object, to check whether it is a pandas one. A report on clean data needs none
of pandas, so the hot paths build and read arrays through these helpers instead, and a test
(tests/test_startup.py) checks that pandas stays out of the process.
"""

from __future__ import annotations

from typing import Callable, Iterable

import numpy as np
import pyarrow as pa

# Between the parts of a key of several fields, wherever such a key is one string: the importer's
# keys, the ledger's key search, the cache's keys of rows set aside, the checks' duplicate test.
# A control character no valid value holds (field_checks refuses them), so no two keys join alike.
KEY_JOIN = "\x1f"

_NUMPY = {
    pa.int8(): np.int8,
    pa.int16(): np.int16,
    pa.int32(): np.int32,
    pa.int64(): np.int64,
    pa.uint8(): np.uint8,
    pa.uint16(): np.uint16,
    pa.uint32(): np.uint32,
    pa.uint64(): np.uint64,
    pa.float32(): np.float32,
    pa.float64(): np.float64,
}


def strings(values: Iterable[str], type: pa.DataType = pa.string()) -> pa.Array:
    """A string (or large_string) array of the given Python strings."""
    encoded = [v.encode("utf-8") for v in values]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64 if type == pa.large_string() else np.int32)
    if encoded:
        np.cumsum([len(b) for b in encoded], out=offsets[1:])
    return pa.Array.from_buffers(type, len(encoded), [None, pa.py_buffer(offsets), pa.py_buffer(b"".join(encoded))])


def string(value: str, type: pa.DataType = pa.string()) -> pa.Scalar:
    return strings([value], type)[0]


def bools(mask: np.ndarray) -> pa.Array:
    """A boolean array of a numpy mask (bit-packed, as Arrow keeps booleans)."""
    mask = np.asarray(mask, dtype=bool)
    return pa.Array.from_buffers(pa.bool_(), len(mask), [None, pa.py_buffer(np.packbits(mask, bitorder="little"))])


def indices(rows: np.ndarray) -> pa.Array:
    """An int64 array of row numbers, for take()."""
    rows = np.ascontiguousarray(rows, dtype=np.int64)
    return pa.Array.from_buffers(pa.int64(), len(rows), [None, pa.py_buffer(rows)])


def lengths(values: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """Byte length of each value of a string column (0 for nulls)."""
    return np.concatenate([np.diff(offsets(c)) for c in _chunks(values)] or [np.zeros(0, np.int64)])


def to_numpy(values: pa.Array | pa.ChunkedArray, null: object = None) -> np.ndarray:
    """A boolean or numeric column as a writable numpy array; nulls become `null` (required if
    there are any)."""
    parts = [_chunk_to_numpy(c, null) for c in _chunks(values)]
    if not parts:
        return np.zeros(0, dtype=bool if pa.types.is_boolean(values.type) else _NUMPY[values.type])
    return np.concatenate(parts)


def is_dictionary(values: pa.Array | pa.ChunkedArray) -> bool:
    return pa.types.is_dictionary(values.type)


def decoded(values: pa.ChunkedArray) -> pa.ChunkedArray:
    """A dictionary-encoded column (as the cache stores repetitive ones) as plain values, chunk
    by chunk (a column of many slices: by blocks of DECODE_ROWS); any other column as it is."""
    if not is_dictionary(values):
        return values
    if values.num_chunks <= MANY_CHUNKS or values.null_count:
        return pa.chunked_array([c.dictionary.take(c.indices) for c in values.chunks], type=values.type.value_type)
    dictionaries, flat = _flat_indices(values)
    every = pa.concat_arrays(dictionaries) if len(dictionaries) > 1 else dictionaries[0]
    blocks = [every.take(indices(flat[i : i + DECODE_ROWS])) for i in range(0, len(flat), DECODE_ROWS)]
    return pa.chunked_array(blocks, type=values.type.value_type)


def per_value(values: pa.ChunkedArray, compute: Callable[[pa.Array | pa.ChunkedArray], np.ndarray]) -> np.ndarray:
    """compute(values) — an array with one result per row — computed once per distinct value when
    the column is dictionary-encoded (its dictionary's results, taken by each row's index; a
    dictionary shared by many slices computed once)."""
    if not is_dictionary(values):
        return compute(values)
    if not values.num_chunks:
        return compute(decoded(values))
    dictionaries, flat = _flat_indices(values)
    return np.concatenate([compute(d) for d in dictionaries])[flat]


DECODE_ROWS = 1 << 20


def _flat_indices(values: pa.ChunkedArray) -> tuple[list[pa.Array], np.ndarray]:
    """A dictionary column's distinct dictionaries (slices of one segment share theirs: each is
    taken once) and every row's index into them laid end to end (nulls: 0)."""
    where: dict[tuple, int] = {}
    dictionaries: list[pa.Array] = []
    parts = []
    total = 0
    for chunk in values.chunks:
        dictionary = chunk.dictionary
        same = (len(dictionary), dictionary.offset, *(b.address if b is not None else 0 for b in dictionary.buffers()))
        if same not in where:
            where[same] = total
            dictionaries.append(dictionary)
            total += len(dictionary)
        parts.append(to_numpy(chunk.indices, null=0) + np.int32(where[same]))  # int32: a dictionary is < 2**31
    return dictionaries, np.concatenate(parts) if parts else np.zeros(0, np.int32)


MANY_CHUNKS = 64  # a column of more chunks than this is read in fewer, larger ones
GROUP_BYTES = 1 << 26  # …of up to this many bytes


def fewer_chunks(values: pa.ChunkedArray) -> list[pa.Array]:
    """The chunks of a plain column, small neighbours joined (a copy of those only) when there
    are many (a patched cache entry's slices): code that works chunk by chunk then runs a few
    times, not thousands. A column of few chunks is given as it is."""
    if values.num_chunks <= MANY_CHUNKS or is_dictionary(values):
        return list(values.chunks)
    out: list[pa.Array] = []
    group: list[pa.Array] = []
    size = 0
    for chunk in values.chunks:
        if group and size + chunk.nbytes > GROUP_BYTES:
            out.append(pa.concat_arrays(group))
            group, size = [], 0
        group.append(chunk)
        size += chunk.nbytes
    if group:
        out.append(pa.concat_arrays(group))
    return out


def _chunks(values: pa.Array | pa.ChunkedArray) -> list[pa.Array]:
    return list(values.chunks) if isinstance(values, pa.ChunkedArray) else [values]


def offsets(chunk: pa.Array) -> np.ndarray:
    """Where each value of a string array starts, plus where the last ends, as int64."""
    width = np.int64 if chunk.type == pa.large_string() else np.int32
    n = len(chunk)
    if n == 0:
        return np.zeros(1, dtype=np.int64)
    return np.frombuffer(chunk.buffers()[1], dtype=width)[chunk.offset : chunk.offset + n + 1].astype(np.int64)


def _bits(buffer: pa.Buffer, offset: int, n: int) -> np.ndarray:
    return np.unpackbits(np.frombuffer(buffer, dtype=np.uint8), bitorder="little", count=offset + n)[offset:].astype(
        bool
    )


def _chunk_to_numpy(chunk: pa.Array, null: object) -> np.ndarray:
    n = len(chunk)
    if pa.types.is_boolean(chunk.type):
        out = _bits(chunk.buffers()[1], chunk.offset, n) if n else np.zeros(0, dtype=bool)
    else:
        dtype = _NUMPY[chunk.type]
        out = (
            np.frombuffer(chunk.buffers()[1], dtype=dtype)[chunk.offset : chunk.offset + n].copy()
            if n
            else np.zeros(0, dtype=dtype)
        )
    if chunk.null_count:
        if null is None:
            raise ValueError("the array has nulls: say what they become")
        out[~_bits(chunk.buffers()[0], chunk.offset, n)] = null
    return out


def valid_utf8(data: bytes) -> bool:
    """Whether the bytes are UTF-8, by Arrow's validator (about twice as fast as bytes.decode,
    and no text is built)."""
    ends = pa.py_buffer(np.array([0, len(data)], dtype=np.int64).tobytes())
    try:
        pa.Array.from_buffers(pa.large_string(), 1, [None, ends, pa.py_buffer(data)]).validate(full=True)
    except pa.ArrowInvalid:
        return False
    return True
