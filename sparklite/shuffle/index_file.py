"""One data file plus one offset index per map task attempt, committed atomically.

``shuffle_<sid>_<map>_<tid>.data`` holds the reduce partitions' segments back
to back; ``.index`` holds ``num_partitions + 1`` little-endian int64 offsets.
Both are written under temporary names and renamed into place, so a reader
never sees a half-written output, and the task attempt id in the name means a
retried map task never overwrites a file someone may be reading.
"""
from __future__ import annotations

import os
import struct
from array import array
from typing import Iterator

_OFFSET = struct.Struct("<q")


def base_name(shuffle_id: int, map_index: int, map_task_id: int) -> str:
    return f"shuffle_{shuffle_id}_{map_index}_{map_task_id}"


def data_path(shuffle_dir: str, shuffle_id: int, map_index: int, map_task_id: int) -> str:
    return os.path.join(shuffle_dir, base_name(shuffle_id, map_index, map_task_id) + ".data")


def index_path(shuffle_dir: str, shuffle_id: int, map_index: int, map_task_id: int) -> str:
    return os.path.join(shuffle_dir, base_name(shuffle_id, map_index, map_task_id) + ".index")


def commit(tmp_data: str, sizes: list[int], shuffle_dir: str, shuffle_id: int, map_index: int,
           map_task_id: int) -> None:
    """Write the index for ``sizes`` and move both files into place."""
    offsets = array("q", [0])
    for size in sizes:
        offsets.append(offsets[-1] + size)
    final_index = index_path(shuffle_dir, shuffle_id, map_index, map_task_id)
    tmp_index = final_index + ".tmp"
    with open(tmp_index, "wb") as f:
        f.write(offsets.tobytes() if offsets.itemsize == 8 else b"".join(_OFFSET.pack(o) for o in offsets))
    os.replace(tmp_data, data_path(shuffle_dir, shuffle_id, map_index, map_task_id))
    os.replace(tmp_index, final_index)


def segment_range(shuffle_dir: str, shuffle_id: int, map_index: int, map_task_id: int,
                  reduce_start: int, reduce_end: int) -> tuple[int, int]:
    """(offset, length) of reduce partitions [reduce_start, reduce_end) in the data file."""
    with open(index_path(shuffle_dir, shuffle_id, map_index, map_task_id), "rb") as f:
        f.seek(reduce_start * 8)
        (start,) = _OFFSET.unpack(f.read(8))
        f.seek(reduce_end * 8)
        (end,) = _OFFSET.unpack(f.read(8))
    return start, end - start


def read_segment_chunks(shuffle_dir: str, shuffle_id: int, map_index: int, map_task_id: int,
                        reduce_start: int, reduce_end: int, chunk_size: int) -> Iterator[bytes]:
    """The bytes of a segment range, in chunks (what the block service streams)."""
    offset, length = segment_range(shuffle_dir, shuffle_id, map_index, map_task_id,
                                   reduce_start, reduce_end)
    with open(data_path(shuffle_dir, shuffle_id, map_index, map_task_id), "rb") as f:
        f.seek(offset)
        while length > 0:
            chunk = f.read(min(chunk_size, length))
            if not chunk:
                raise EOFError(f"shuffle file for shuffle {shuffle_id} map {map_index} is truncated")
            length -= len(chunk)
            yield chunk


def read_segment(shuffle_dir: str, shuffle_id: int, map_index: int, map_task_id: int,
                 reduce_id: int) -> bytes:
    offset, length = segment_range(shuffle_dir, shuffle_id, map_index, map_task_id,
                                   reduce_id, reduce_id + 1)
    with open(data_path(shuffle_dir, shuffle_id, map_index, map_task_id), "rb") as f:
        f.seek(offset)
        data = f.read(length)
    if len(data) != length:
        raise EOFError(f"shuffle file for shuffle {shuffle_id} map {map_index} is truncated")
    return data


def remove_shuffle(shuffle_dir: str, shuffle_id: int) -> None:
    prefix = f"shuffle_{shuffle_id}_"
    try:
        names = os.listdir(shuffle_dir)
    except FileNotFoundError:
        return
    for name in names:
        if name.startswith(prefix):
            try:
                os.unlink(os.path.join(shuffle_dir, name))
            except FileNotFoundError:
                pass
