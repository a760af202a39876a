"""Checkpointing (mixin of RDD): save partitions and cut the lineage behind them.

``checkpoint()`` and ``localCheckpoint()`` only *mark* an RDD. After the next
job that computes it, :func:`checkpoint_after_job` (called by
``SparkContext.run_job``) materializes every marked RDD of that job's lineage:

* reliable: one more job writes each partition to
  ``<checkpoint dir>/rdd-<id>/part-NNNNN`` (pickled frames, through fsspec;
  ``object_files.py``). Persist the RDD first or it is computed twice.
* local: the RDD is persisted (MEMORY_AND_DISK by default) and a job computes
  the partitions no executor holds yet; the blocks in executor storage are
  the checkpoint, so losing an executor loses them (as in Spark).

Then the RDD is *marked checkpointed*: it gets a checkpoint RDD that carries
its id, partitioner and storage level. From then on ``dependencies()`` is a
narrow dependency on that checkpoint RDD, which has none, so the DAGScheduler
sees it as the lineage's source; and the RDD pickles with nothing but its
checkpoint RDD, whose partitions its ``iterator`` returns, so executors never
receive the old lineage. Persisted partitions still come
from executor storage first (same RDD id, same block ids), through the normal
``RDDBase.iterator``/block manager path.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from sparklite.storagelevel import StorageLevel

if TYPE_CHECKING:
    from sparklite.rdd.rdd import RDD


class CheckpointData:
    """What ``checkpoint()``/``localCheckpoint()`` asked for, and whether it is done."""

    def __init__(self, reliable: bool):
        self.reliable = reliable
        self.path: str | None = None


class CheckpointMixin:
    def checkpoint(self: RDD) -> None:
        """Mark this RDD for checkpointing.

        It will be saved to a file inside the checkpoint directory set with
        :meth:`SparkContext.setCheckpointDir` and all references to its parent RDDs
        will be removed. This function must be called before any job has been
        executed on this RDD. It is strongly recommended that this RDD is
        persisted in memory, otherwise saving it on a file will require recomputation.

        Examples
        --------
        >>> import tempfile
        >>> d = tempfile.mkdtemp()
        >>> sc.setCheckpointDir(d)
        >>> rdd = sc.range(5, numSlices=2).map(lambda x: x * 2)
        >>> rdd.checkpoint()
        >>> rdd.isCheckpointed()
        False
        >>> rdd.collect()
        [0, 2, 4, 6, 8]
        >>> rdd.isCheckpointed(), rdd.getCheckpointFile().startswith(sc.getCheckpointDir())
        (True, True)
        >>> import shutil; shutil.rmtree(d); sc._checkpoint_dir = None
        """
        if self.ctx.getCheckpointDir() is None:
            raise RuntimeError("Checkpoint directory has not been set in the SparkContext")
        if self._checkpoint_data is None:
            self._checkpoint_data = CheckpointData(reliable=True)
            self.ctx._checkpoints_marked = True

    def localCheckpoint(self: RDD) -> None:
        """Mark this RDD for local checkpointing using Spark's existing caching layer.

        This method is for users who wish to truncate RDD lineages while skipping the
        expensive step of replicating the materialized data in a reliable distributed
        file system. This is useful for RDDs with long lineages that need to be
        truncated periodically (e.g. GraphX).

        Local checkpointing sacrifices fault-tolerance for performance. In particular,
        checkpointed data is written to ephemeral local storage in the executors
        instead of to a reliable, fault-tolerant storage. The effect is that if an
        executor fails during the computation, the checkpointed data may no longer be
        accessible, causing an irrecoverable job failure.

        This is NOT safe to use with dynamic allocation, which removes executors along
        with their cached blocks. If you must use both features, you are advised to set
        `spark.dynamicAllocation.cachedExecutorIdleTimeout` to a high value.

        The checkpoint directory set through :meth:`SparkContext.setCheckpointDir` is not used.

        Examples
        --------
        >>> rdd = sc.parallelize(range(6), 3).map(lambda x: x + 1)
        >>> rdd.localCheckpoint()
        >>> rdd.isLocallyCheckpointed(), rdd.isCheckpointed()
        (True, False)
        >>> rdd.sum()
        21
        >>> rdd.isCheckpointed(), rdd.getCheckpointFile() is None
        (True, True)
        """
        level = self._storage_level
        if not level.is_valid:
            self.persist(StorageLevel.MEMORY_AND_DISK)
        elif not level.useDisk:
            # blocks must survive memory pressure: they are the only copy of the data
            self._storage_level = StorageLevel(True, level.useMemory, level.useOffHeap,
                                               level.deserialized, level.replication)
        if self._checkpoint_data is None or self._checkpoint_data.reliable:
            self._checkpoint_data = CheckpointData(reliable=False)
            self.ctx._checkpoints_marked = True

    def isCheckpointed(self: RDD) -> bool:
        """Return whether this RDD is checkpointed and materialized, either reliably or locally.

        Examples
        --------
        >>> sc.parallelize([1]).isCheckpointed()
        False
        """
        return self.is_checkpointed

    def isLocallyCheckpointed(self: RDD) -> bool:
        """Return whether this RDD is marked for local checkpointing.

        Exposed for testing.

        Examples
        --------
        >>> sc.parallelize([1]).isLocallyCheckpointed()
        False
        """
        return self._checkpoint_data is not None and not self._checkpoint_data.reliable

    def getCheckpointFile(self: RDD) -> str | None:
        """Gets the name of the file to which this RDD was checkpointed.

        Not defined if RDD is checkpointed locally.

        Returns
        -------
        str
            the name of the file to which this :class:`RDD` was checkpointed, or None

        Examples
        --------
        >>> sc.parallelize([1]).getCheckpointFile() is None
        True
        """
        data = self._checkpoint_data
        return data.path if data is not None and data.reliable and self.is_checkpointed else None
