"""Checkpoint RDDs and materialization (the mechanism behind ``rdd/checkpoint.py``).

A checkpoint RDD carries the id, partitioner and storage level of the RDD it
replaces, so persisted blocks keep their ids, and it is what the checkpointed
RDD reads through on executors. Materialization runs after the job that marked RDDs were
computed in; it never recurses into itself (the jobs it runs are plain jobs).
"""
from __future__ import annotations

import copy
import logging
import threading
from typing import TYPE_CHECKING, Any, Iterator

from sparklite.rdd.base import Partition
from sparklite.rdd.dependency import walk_lineage
from sparklite.rdd.rdd import RDD
from sparklite.taskcontext import TaskContext

if TYPE_CHECKING:
    from sparklite.rdd.object_files import ObjectFile

log = logging.getLogger(__name__)

#: elements per pickled frame in checkpoint files
CHECKPOINT_BATCH = 1024


class _StandInRDD(RDD):
    """Base of checkpoint RDDs: it stands in for the checkpointed RDD (same id) on executors."""

    def __init__(self, original: RDD, num_partitions: int):
        super().__init__(original.ctx)
        self._rdd_id = original._rdd_id  # same blocks (rdd_<id>_<p>) as the RDD it replaces
        self._num_partitions = num_partitions
        self._copy_state(original)

    def _copy_state(self, original: RDD) -> None:
        self.partitioner = original.partitioner
        self._storage_level = original._storage_level
        self.is_cached = original.is_cached
        self._name = original._name

    def stand_in_for(self, original: RDD) -> _StandInRDD:
        """A copy carrying the original's current storage level and name (it may have changed)."""
        clone = copy.copy(self)
        clone._copy_state(original)
        return clone

    def get_partitions(self) -> list[Partition]:
        return [Partition(i) for i in range(self._num_partitions)]


class ReliableCheckpointRDD(_StandInRDD):
    """Partitions read back from the files a reliable checkpoint wrote."""

    def __init__(self, original: RDD, path: str, files: list[ObjectFile]):
        super().__init__(original, len(files))
        self._path = path
        self._files = files

    def compute(self, split: Partition, context: TaskContext) -> Iterator[Any]:
        # only the index is used: children planned before the checkpoint pass their old splits
        return self._files[split.index].read(context.env.fetch_blob)


class LocalCheckpointRDD(_StandInRDD):
    """Partitions that exist only as blocks in executor storage."""

    def compute(self, split: Partition, context: TaskContext) -> Iterator[Any]:
        raise RuntimeError(
            f"Checkpoint block rdd_{self._rdd_id}_{split.index} not found! Either the executor "
            f"that originally checkpointed this partition is no longer alive, or the original RDD "
            f"is unpersisted. If this problem persists, you may consider using `rdd.checkpoint()` "
            f"instead, which is slower than local checkpointing but more fault-tolerant.")


# ---------------------------------------------------------------------- materializing

_writing = threading.local()


def checkpoint_after_job(ctx: Any, rdd: RDD) -> None:
    """Materialize the checkpoints marked in ``rdd``'s lineage (after a job that computed it)."""
    if not ctx._checkpoints_marked or getattr(_writing, "active", False):
        return  # nothing was ever marked (no lineage walk per job), or a job below: no recursion
    pending = _marked_in_lineage(rdd)
    if not pending:
        return
    with ctx._checkpoint_lock:
        _writing.active = True
        try:
            for marked in pending:
                if not marked.is_checkpointed:
                    if marked._checkpoint_data.reliable:
                        _write_reliable(ctx, marked)
                    else:
                        _materialize_local(ctx, marked)
        finally:
            _writing.active = False


def _marked_in_lineage(rdd: RDD) -> list[RDD]:
    """Marked, not yet materialized RDDs; the walk stops at the first marked RDD of each path
    and at checkpointed RDDs (their lineage is gone)."""
    def marked(r: RDD) -> bool:
        return not r.is_checkpointed and getattr(r, "_checkpoint_data", None) is not None

    def beyond(r: RDD, _: Any) -> bool:
        return not r.is_checkpointed and not marked(r)

    return [r for r, _ in walk_lineage(rdd, beyond) if marked(r)]


def _write_reliable(ctx: Any, rdd: RDD) -> None:
    from sparklite.rdd.object_files import (is_process_local, list_part_files, make_output_dir,
                                            plan_object_files, write_objects)

    from sparklite.filesystems import url_to_fs

    path = f"{ctx.getCheckpointDir().rstrip('/')}/rdd-{rdd._rdd_id}"
    fs, fspath = url_to_fs(path)
    if fs.exists(fspath):  # left by a write that failed earlier (the directory is this app's)
        fs.rm(fspath, recursive=True)
    _, _, base = make_output_dir(path)
    n = rdd.getNumPartitions()
    if is_process_local(base):
        for i, part in enumerate(ctx.run_job(rdd, list)):
            write_objects(f"{base}/part-{i:05d}", part, CHECKPOINT_BATCH)
    else:
        def write(iterator: Iterator[Any]) -> int:
            index = TaskContext.get().partitionId()  # type: ignore[union-attr]
            return write_objects(f"{base}/part-{index:05d}", iterator, CHECKPOINT_BATCH)

        ctx.run_job(rdd, write)
    urls = list_part_files(base) if n else []
    if len(urls) != n:
        raise RuntimeError(f"Checkpoint RDD has a different number of partitions ({len(urls)}) "
                           f"from original RDD {rdd._rdd_id} ({n})")
    counter = iter(range(1 << 62))

    def put_blob(data: bytes) -> str:
        key = f"checkpoint_{rdd._rdd_id}_{next(counter)}"
        ctx._blob_store.put(key, data)
        return key

    files = plan_object_files(urls, put_blob)
    rdd._checkpoint_data.path = path
    _mark_checkpointed(rdd, ReliableCheckpointRDD(rdd, base, files))
    log.info("checkpointed RDD %d to %s", rdd._rdd_id, base)


def _materialize_local(ctx: Any, rdd: RDD) -> None:
    blocks = ctx._runtime.block_master
    missing = [p for p in range(rdd.getNumPartitions())
               if not blocks.executors_with(f"rdd_{rdd._rdd_id}_{p}")]
    if missing:
        ctx.run_job(rdd, lambda it: sum(1 for _ in it), missing)
    _mark_checkpointed(rdd, LocalCheckpointRDD(rdd, rdd.getNumPartitions()))


def _mark_checkpointed(rdd: RDD, checkpoint_rdd: _StandInRDD) -> None:
    rdd._checkpoint_rdd = checkpoint_rdd
    rdd.is_checkpointed = True
