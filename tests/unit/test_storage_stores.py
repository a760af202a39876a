"""MemoryStore (budget, LRU, reservations), DiskStore (IPC files, mmap) and the BlockManager facade,
in one process on tmp_path."""
from __future__ import annotations

import os

import pyarrow as pa
import pytest

from sparklite.storage.arrow_codec import encode_partition, iter_records
from sparklite.storage.block_manager import BlockManager, ipc_bytes
from sparklite.storage.disk_store import DiskStore
from sparklite.storage.memory_store import MemoryEntry, MemoryStore
from sparklite.storagelevel import StorageLevel


def entry_of(records) -> MemoryEntry:
    table = encode_partition(records)
    batches = table.to_batches()
    return MemoryEntry(batches, table.schema, sum(b.get_total_buffer_size() for b in batches), len(records))


def never(_block_id: str) -> bool:
    return False


# ------------------------------------------------------------------ MemoryStore


def test_memory_store_evicts_least_recently_used_first():
    store = MemoryStore(capacity=3 * 8000)
    for i in range(3):
        assert store.put(f"rdd_{i}_0", entry_of(list(range(1000))), never) == (True, [])
    store.get("rdd_0_0")  # rdd_1_0 is now the least recently used
    ok, evicted = store.put("rdd_3_0", entry_of(list(range(1000))), never)
    assert ok and [b for b, _ in evicted] == ["rdd_1_0"]
    ok, evicted = store.put("rdd_4_0", entry_of(list(range(2000))), never)
    assert ok and [b for b, _ in evicted] == ["rdd_2_0", "rdd_0_0"]
    assert store.block_ids() == ["rdd_3_0", "rdd_4_0"]
    assert store.used == 3 * 8000


def test_memory_store_refuses_a_block_larger_than_its_capacity_and_evicts_nothing():
    store = MemoryStore(capacity=10_000)
    store.put("rdd_0_0", entry_of(list(range(1000))), never)
    ok, evicted = store.put("rdd_1_0", entry_of(list(range(2000))), never)
    assert (ok, evicted) == (False, [])
    assert store.block_ids() == ["rdd_0_0"]


def test_memory_store_does_not_evict_protected_blocks():
    store = MemoryStore(capacity=16_000)
    store.put("rdd_0_0", entry_of(list(range(1000))), never)
    store.put("rdd_0_1", entry_of(list(range(1000))), never)
    ok, evicted = store.put("rdd_0_2", entry_of(list(range(1000))), lambda b: b.startswith("rdd_0_"))
    assert (ok, evicted) == (False, [])
    assert store.used == 16_000


def test_memory_store_reservations_count_and_are_released():
    store = MemoryStore(capacity=10_000)
    assert store.reserve("rdd_1_0", 6000, never) == (True, [])
    assert store.reserve("rdd_2_0", 6000, never) == (False, [])
    assert store.used == 6000
    store.release("rdd_1_0")
    assert store.used == 0
    store.reserve("build-1", 8000, never)
    ok, _ = store.put("rdd_1_0", entry_of(list(range(1000))), never, reservation="build-1")
    assert ok and store.used == 8000


# ------------------------------------------------------------------ DiskStore


def test_disk_store_round_trips_through_a_memory_mapped_ipc_file(tmp_path):
    store = DiskStore(str(tmp_path / "blocks"))
    records = [("k", i) for i in range(50_000)]
    table = encode_partition(records, chunk_records=10_000)
    size = store.put_batches("rdd_3_1", table.schema, table.to_batches())
    path = store.path("rdd_3_1")
    assert os.path.getsize(path) == size == store.size("rdd_3_1")
    schema, batches = store.read("rdd_3_1")
    assert list(iter_records(batches)) == records
    assert store.remove("rdd_3_1") and not os.path.exists(path)
    assert store.read("rdd_3_1") is None
    assert [p for p in os.listdir(tmp_path / "blocks")] == []


def test_disk_store_accepts_ipc_bytes_from_a_peer(tmp_path):
    store = DiskStore(str(tmp_path))
    table = encode_partition(["a", "b", None])
    store.put_bytes("rdd_0_0", ipc_bytes(table.schema, table.to_batches()).to_pybytes())
    assert list(iter_records(store.read("rdd_0_0")[1])) == ["a", "b", None]


def test_aborted_disk_writer_leaves_no_file(tmp_path):
    store = DiskStore(str(tmp_path))
    table = encode_partition([1, 2])
    writer = store.writer("rdd_0_0", table.schema)
    writer.write(table.to_batches()[0])
    writer.abort()
    assert os.listdir(tmp_path) == [] and not store.contains("rdd_0_0")


# ------------------------------------------------------------------ BlockManager


class Reports(list):
    def __call__(self, block_id, level, memory_size, disk_size):
        self.append((block_id, level, memory_size, disk_size))


def cached(manager: BlockManager, block_id: str, level: StorageLevel, records) -> list:
    return list(manager._compute_and_store(block_id, level, iter(records)))


@pytest.mark.parametrize("level", [StorageLevel.MEMORY_ONLY, StorageLevel.MEMORY_AND_DISK,
                                   StorageLevel.DISK_ONLY, StorageLevel.OFF_HEAP])
def test_block_manager_stores_each_level_where_it_belongs(tmp_path, level):
    reports = Reports()
    bm = BlockManager("0", str(tmp_path), 1 << 20, reports, chunk_records=100)
    records = [(i, f"v{i}") for i in range(1000)]
    assert cached(bm, "rdd_1_0", level, records) == records
    assert list(bm.get("rdd_1_0")) == records
    memory, disk = bm.status("rdd_1_0")
    assert (memory > 0) == (level.useMemory or level.useOffHeap)
    assert (disk > 0) == (not (level.useMemory or level.useOffHeap))
    assert reports == [("rdd_1_0", level.to_string(), memory, disk)]
    bm.remove("rdd_1_0")
    assert bm.get("rdd_1_0") is None and bm.memory.used == 0 and bm.disk.used == 0
    assert reports[-1] == ("rdd_1_0", "", 0, 0)


def test_block_manager_moves_evicted_memory_and_disk_blocks_to_disk(tmp_path):
    reports = Reports()
    bm = BlockManager("0", str(tmp_path), 20_000, reports, chunk_records=500)
    cached(bm, "rdd_1_0", StorageLevel.MEMORY_AND_DISK, range(2000))   # 16000 bytes
    cached(bm, "rdd_2_0", StorageLevel.MEMORY_ONLY, range(1000))       # 8000: evicts rdd_1_0
    assert not bm.memory.contains("rdd_1_0") and bm.disk.contains("rdd_1_0")
    assert list(bm.get("rdd_1_0")) == list(range(2000))
    assert ("rdd_1_0", StorageLevel.MEMORY_AND_DISK.to_string(), 0, bm.disk.size("rdd_1_0")) in reports
    cached(bm, "rdd_3_0", StorageLevel.MEMORY_ONLY, range(2000))       # evicts rdd_2_0: dropped
    assert bm.get("rdd_2_0") is None
    assert reports[-2] == ("rdd_2_0", "", 0, 0)


def test_block_manager_does_not_cache_a_partition_larger_than_memory(tmp_path, caplog):
    reports = Reports()
    bm = BlockManager("0", str(tmp_path), 10_000, reports, chunk_records=100)
    records = list(range(5000))  # 40000 bytes > capacity
    assert cached(bm, "rdd_1_0", StorageLevel.MEMORY_ONLY, records) == records
    assert bm.get("rdd_1_0") is None and reports == [] and bm.memory.used == 0
    assert "does not fit in the memory store" in caplog.text


def test_block_manager_streams_an_oversized_memory_and_disk_partition_to_disk(tmp_path):
    bm = BlockManager("0", str(tmp_path), 10_000, Reports(), chunk_records=100)
    records = list(range(5000))
    assert cached(bm, "rdd_1_0", StorageLevel.MEMORY_AND_DISK, records) == records
    assert bm.status("rdd_1_0")[0] == 0 and bm.disk.contains("rdd_1_0")
    assert list(bm.get("rdd_1_0")) == records


def test_block_manager_caches_nothing_when_the_reader_stops_early(tmp_path):
    reports = Reports()
    bm = BlockManager("0", str(tmp_path), 1 << 20, reports, chunk_records=10)
    it = bm._compute_and_store("rdd_1_0", StorageLevel.MEMORY_AND_DISK, iter(range(100)))
    assert [next(it) for _ in range(15)] == list(range(15))
    it.close()
    assert bm.get("rdd_1_0") is None and bm.memory.used == 0 and reports == []
    assert not (tmp_path / "blocks").exists() or os.listdir(tmp_path / "blocks") == []


def test_block_manager_disk_block_survives_a_change_of_shape_midway(tmp_path):
    bm = BlockManager("0", str(tmp_path), 1 << 20, Reports(), chunk_records=2)
    records = [None, None, 1, 2, "a", (1, 2)]
    assert cached(bm, "rdd_1_0", StorageLevel.DISK_ONLY, records) == records
    assert list(bm.get("rdd_1_0")) == records


def test_block_manager_replica_is_stored_by_its_level(tmp_path):
    reports = Reports()
    bm = BlockManager("1", str(tmp_path), 1 << 20, reports)
    table = encode_partition([("a", 1.5)] * 10)
    data = ipc_bytes(table.schema, table.to_batches()).to_pybytes()
    assert bm.put_replica("rdd_5_2", StorageLevel.MEMORY_ONLY.to_string(), data)
    assert list(bm.get("rdd_5_2")) == [("a", 1.5)] * 10
    assert bm.put_replica("rdd_5_3", StorageLevel.DISK_ONLY.to_string(), data)
    assert bm.disk.contains("rdd_5_3")
    assert [r[0] for r in reports] == ["rdd_5_2", "rdd_5_3"]
    assert pa.ipc.open_stream(bm.block_bytes("rdd_5_2")).read_all().num_rows == 10


def test_two_builds_of_the_same_block_keep_separate_reservations(tmp_path):
    bm = BlockManager("0", str(tmp_path), 1 << 20, Reports(), chunk_records=100)
    a = bm._compute_and_store("rdd_1_0", StorageLevel.MEMORY_ONLY, iter(range(1000)))
    b = bm._compute_and_store("rdd_1_0", StorageLevel.MEMORY_ONLY, iter(range(1000)))
    assert (next(a), next(b)) == (0, 0)  # both hold a reserved chunk
    assert bm.memory.used == 1600
    b.close()  # the second reader gives up: only its reservation goes
    assert bm.memory.used == 800
    assert list(a) == list(range(1, 1000))
    assert bm.memory.used == 8000 and list(bm.get("rdd_1_0")) == list(range(1000))
