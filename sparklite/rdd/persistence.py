"""Persistence (mixin of RDD): cache, persist, unpersist, storage level, name, debug string,
and cleanShuffleDependencies (dropping shuffle outputs a lineage no longer needs)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sparklite.storagelevel import StorageLevel

if TYPE_CHECKING:
    from sparklite.rdd.rdd import RDD


class PersistenceMixin:
    def cache(self: RDD) -> RDD:
        """Persist this RDD with the default storage level (MEMORY_ONLY).

        >>> rdd = sc.parallelize(["b", "a", "c"]).cache()
        >>> rdd.is_cached, rdd.getStorageLevel()
        (True, StorageLevel(False, True, False, False, 1))
        >>> _ = rdd.unpersist()
        """
        return self.persist(StorageLevel.MEMORY_ONLY)

    def persist(self: RDD, storageLevel: StorageLevel = StorageLevel.MEMORY_ONLY) -> RDD:
        """Keep this RDD's partitions on the executors after they are first computed.

        Partitions are held as Arrow buffers (typed columns when records are uniform) within
        each executor's storage budget (``spark.executor.memory`` x ``spark.memory.fraction``
        x ``spark.memory.storageFraction``). Memory levels evict least recently used blocks;
        an evicted MEMORY_ONLY partition is recomputed from lineage when next read, a
        MEMORY_AND_DISK one is read back from an Arrow IPC file. ``_2`` levels keep a copy
        on a second executor.

        Parameters
        ----------
        storageLevel : :class:`StorageLevel`, default `MEMORY_ONLY`
            the target storage level

        Returns
        -------
        :class:`RDD`
            The same :class:`RDD` with storage level set to `storageLevel`.

        Examples
        --------
        >>> from sparklite import StorageLevel
        >>> rdd = sc.parallelize(["b", "a", "c"])
        >>> rdd.persist().is_cached
        True
        >>> str(rdd.getStorageLevel())
        'Memory Serialized 1x Replicated'
        >>> _ = rdd.unpersist()
        >>> rdd.is_cached
        False
        >>> str(rdd.persist(StorageLevel.MEMORY_AND_DISK_2).getStorageLevel())
        'Disk Memory Serialized 2x Replicated'
        >>> _ = rdd.unpersist()
        >>> rdd = sc.parallelize([("a", 1), ("b", 2)]).persist(StorageLevel.MEMORY_AND_DISK)
        >>> sorted(rdd.collect())
        [('a', 1), ('b', 2)]
        >>> _ = rdd.unpersist()
        """
        if not isinstance(storageLevel, StorageLevel):
            raise TypeError(f"storageLevel must be a StorageLevel, got {type(storageLevel).__name__}")
        if self._storage_level.is_valid and storageLevel != self._storage_level:
            raise ValueError(f"Cannot change storage level of an RDD after it was already assigned a "
                             f"level (it has {self._storage_level!r})")
        self.is_cached = True
        self._storage_level = storageLevel
        self.ctx._persistent_rdds[self._rdd_id] = self
        if self.ctx._cleaner is not None:  # its blocks go once the driver program drops it
            self.ctx._cleaner.register_rdd(self)
        return self

    def unpersist(self: RDD, blocking: bool = False) -> RDD:
        """Mark the RDD as non-persistent, and remove all blocks for it from
        memory and disk.

        Parameters
        ----------
        blocking : bool, optional, default False
            whether to block until all blocks are deleted

        Returns
        -------
        :class:`RDD`
            The same :class:`RDD`

        Examples
        --------
        >>> rdd = sc.range(5).cache()
        >>> rdd.sum()
        10
        >>> rdd.unpersist().is_cached
        False
        """
        self.is_cached = False
        self._storage_level = StorageLevel.NONE
        self.ctx._remove_rdd_blocks(self._rdd_id, blocking)
        return self

    def getStorageLevel(self: RDD) -> StorageLevel:
        """Get the RDD's current storage level.

        >>> sc.parallelize([1, 2]).getStorageLevel()
        StorageLevel(False, False, False, False, 1)
        """
        return self._storage_level

    def id(self: RDD) -> int:
        """A unique ID for this RDD (within its SparkContext).

        >>> rdd1, rdd2 = sc.range(5), sc.range(5)
        >>> rdd1.id() != rdd2.id()
        True
        """
        return self._rdd_id

    def name(self: RDD) -> str | None:
        """Return the name of this RDD.

        >>> rdd = sc.range(5)
        >>> rdd.name() is None
        True
        >>> rdd.setName("numbers").name()
        'numbers'
        """
        return self._name

    def setName(self: RDD, name: str) -> RDD:
        """Assign a name to this RDD.

        >>> sc.parallelize([1, 2]).setName('RDD1').name()
        'RDD1'
        """
        self._name = name
        return self

    def toDebugString(self: RDD) -> bytes:
        """A description of this RDD and its recursive dependencies for debugging.

        Spark's layout: each RDD with the call site that made it and its storage level;
        a shuffle starts an indented ``+-`` branch; a persisted RDD shows its cached
        partitions and their sizes.

        Returns
        -------
        bytes
            debugging information of this :class:`RDD`

        Examples
        --------
        >>> rdd = sc.parallelize([("a", 1)], 2).reduceByKey(lambda a, b: a + b)
        >>> print(rdd.toDebugString().decode())  # doctest: +ELLIPSIS
        (2) ShuffledRDD[...] at reduceByKey at <doctest ...>:1 []
         +-(2) ParallelCollectionRDD[...] at parallelize at <doctest ...>:1 []
        """
        from sparklite.rdd.debug_string import debug_string

        runtime = getattr(self.ctx, "_runtime", None)
        return debug_string(self, getattr(runtime, "block_master", None)).encode("utf-8")

    def cleanShuffleDependencies(self: RDD, blocking: bool = False) -> None:
        """Removes an RDD's shuffles and it's non-persisted ancestors.

        When running without a shuffle service, cleaning up shuffle files enables downscaling.
        If you use the RDD after this call, you should checkpoint and materialize it first.
        If you are uncertain of what you are doing, please do not use this feature.
        Additional techniques for mitigating orphaned shuffle files:
        * Tuning the driver GC to be more aggressive, so the regular context cleaner is triggered
        * Setting an appropriate TTL for shuffle files to be auto cleaned

        Shuffles that a running job still reads are kept. A later job that needs a
        removed shuffle recomputes it.

        Parameters
        ----------
        blocking : bool, optional, default False
           whether to block on shuffle cleanup tasks (removal is asynchronous on the
           executors either way; the driver forgets the outputs at once)

        Examples
        --------
        >>> from operator import add
        >>> rdd = sc.parallelize([("a", 1), ("b", 1), ("a", 1)]).reduceByKey(add)
        >>> sorted(rdd.collect())
        [('a', 2), ('b', 1)]
        >>> rdd.cleanShuffleDependencies()
        >>> sorted(rdd.collect())  # the shuffle is recomputed
        [('a', 2), ('b', 1)]
        """
        from sparklite.rdd.dependency import ShuffleDependency

        shuffle_ids: list[int] = []
        seen: set[int] = set()
        stack = list(self.dependencies())
        while stack:  # explicit stack: lineages can be deep
            dep = stack.pop()
            if isinstance(dep, ShuffleDependency):
                shuffle_ids.append(dep.shuffle_id)
            parent = dep.rdd
            if id(parent) in seen:
                continue
            seen.add(id(parent))
            if not parent._storage_level.is_valid:
                stack.extend(parent.dependencies())
        if shuffle_ids:
            self.ctx._runtime.remove_shuffles(sorted(set(shuffle_ids)))
