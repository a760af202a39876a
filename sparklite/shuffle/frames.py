"""Shuffle frames: a segment is a run of ``<8-byte length><pickled list of records>``.

Batching records into one pickle per frame is what makes the shuffle fast:
pickle and unpickle run in C over a whole list instead of once per record.
Segments concatenate: spilled runs and partial combiners are joined by
appending their frames, and the reduce side merges whatever it reads.
"""
from __future__ import annotations

import pickle
import struct
from typing import Any, BinaryIO, Iterable, Iterator

from sparklite import serializers

_HEADER = struct.Struct("<Q")
HEADER_SIZE = _HEADER.size


def write_frames(out: BinaryIO, records: list[Any], batch_size: int) -> int:
    """Write ``records`` as frames of at most ``batch_size``; return bytes written."""
    written = 0
    for start in range(0, len(records), batch_size):
        batch = records[start:start + batch_size] if len(records) > batch_size else records
        try:
            payload = pickle.dumps(batch, serializers.PROTOCOL)
        except (pickle.PicklingError, TypeError, AttributeError):
            payload = serializers.dumps(batch)
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
