"""Shuffle frames: a segment is a run of ``<8-byte length><pickled list of records>``.

Batching records into one pickle per frame is what makes the shuffle fast:
pickle and unpickle run in C over a whole list instead of once per record.
Segments concatenate: spilled runs and partial combiners are joined by
appending their frames, and the reduce side merges whatever it reads.

Frames are pickled without pickle's memo (``Pickler.fast``): the memo (a dict
entry for every tuple and string written, so that shared objects are written
once) made pickling 4-6x slower than the data it writes (issue 15). Without
it, equal values come back equal, but an object referenced twice in a frame
comes back as two copies. Two guards keep that cheap: a cyclic object makes the
fast pickler fail, and a frame growing past ``FAST_FLOOR + FAST_PER_RECORD``
bytes per record (records sharing one big object would repeat it) is abandoned;
both are then pickled with the memo, as before.
"""
from __future__ import annotations

import pickle
import struct
from typing import Any, BinaryIO, Callable, Iterable, Iterator

from sparklite import serializers

_HEADER = struct.Struct("<Q")
HEADER_SIZE = _HEADER.size

#: a memo-less frame may grow to this many bytes, plus FAST_PER_RECORD per record
FAST_FLOOR = 1 << 20
FAST_PER_RECORD = 256


class _TooBig(Exception):
    pass


class _BoundedSink:
    """A file for the pickler that refuses to grow past ``limit`` bytes."""

    __slots__ = ("parts", "left")

    def __init__(self, limit: int):
        self.parts: list[bytes] = []
        self.left = limit

    def write(self, data: bytes) -> int:
        self.left -= len(data)
        if self.left < 0:
            raise _TooBig
        self.parts.append(data)
        return len(data)


def dumps_batch(batch: list[Any]) -> bytes:
    """One frame's payload: ``batch`` pickled without the memo when that is safe (see above)."""
    sink = _BoundedSink(FAST_FLOOR + FAST_PER_RECORD * len(batch))
    pickler = pickle.Pickler(sink, serializers.PROTOCOL)
    pickler.fast = True
    try:
        pickler.dump(batch)
        return b"".join(sink.parts)
    except (_TooBig, ValueError):  # shared objects repeating, or a cycle: keep the memo
        pass
    except (pickle.PicklingError, TypeError, AttributeError):
        return serializers.dumps(batch)  # needs cloudpickle (a lambda in a record)
    try:
        return pickle.dumps(batch, serializers.PROTOCOL)
    except (pickle.PicklingError, TypeError, AttributeError):
        return serializers.dumps(batch)


def write_frames(out: BinaryIO, records: list[Any], batch_size: int,
                 dumps: Callable[[list[Any]], bytes] = dumps_batch) -> int:
    """Write ``records`` as frames of at most ``batch_size``; return bytes written."""
    written = 0
    for start in range(0, len(records), batch_size):
        batch = records[start:start + batch_size] if len(records) > batch_size else records
        payload = dumps(batch)
        out.write(_HEADER.pack(len(payload)))
        out.write(payload)
        written += HEADER_SIZE + len(payload)
    return written


def write_list_frames(out: BinaryIO, records: list[tuple[Any, list[Any]]], batch_size: int,
                      max_values: int) -> int:
    """``write_frames`` for (key, list) records (groupByKey's combiners): a list longer than
    ``max_values`` is cut into parts (same key, in order), and a frame carries at most
    ``max_values`` values, so whoever reads a frame never holds one hot key's whole list."""
    written = 0
    batch: list[Any] = []
    carried = 0
    for k, values in records:
        parts = [values] if len(values) <= max_values else \
            [values[i:i + max_values] for i in range(0, len(values), max_values)]
        for part in parts:
            if batch and (len(batch) >= batch_size or carried + len(part) > max_values):
                written += write_frames(out, batch, batch_size)
                batch = []
                carried = 0
            batch.append((k, part))
            carried += len(part)
    if batch:
        written += write_frames(out, batch, batch_size)
    return written


def decode_frames(data: bytes | memoryview) -> Iterator[list[Any]]:
    """Batches from one complete segment held in memory."""
    view = memoryview(data)
    pos, end = 0, len(view)
    loads = pickle.loads
    while pos < end:
        (length,) = _HEADER.unpack_from(view, pos)
        pos += HEADER_SIZE
        if pos + length > end:
            raise ValueError(f"truncated shuffle frame: need {length} bytes at {pos}, have {end - pos}")
        yield loads(view[pos:pos + length])
        pos += length


def read_frames(f: BinaryIO) -> Iterator[list[Any]]:
    """Batches from a file of frames, read one frame at a time (spill files)."""
    loads = pickle.loads
    while True:
        header = f.read(HEADER_SIZE)
        if not header:
            return
        if len(header) != HEADER_SIZE:
            raise ValueError("truncated frame header")
        (length,) = _HEADER.unpack(header)
        payload = f.read(length)
        if len(payload) != length:
            raise ValueError(f"truncated frame: need {length} bytes, have {len(payload)}")
        yield loads(payload)


def decode_chunks(chunks: Iterable[bytes]) -> Iterator[list[Any]]:
    """Batches from a segment arriving in arbitrary chunks (a gRPC stream)."""
    buf = bytearray()
    pos = 0
    loads = pickle.loads
    for chunk in chunks:
        if pos:
            del buf[:pos]
            pos = 0
        buf += chunk
        while len(buf) - pos >= HEADER_SIZE:
            (length,) = _HEADER.unpack_from(buf, pos)
            if len(buf) - pos - HEADER_SIZE < length:
                break
            start = pos + HEADER_SIZE
            yield loads(buf[start:start + length])  # a copy: buf is resized later
            pos = start + length
    if len(buf) != pos:
        raise ValueError(f"truncated shuffle segment: {len(buf) - pos} trailing bytes")
