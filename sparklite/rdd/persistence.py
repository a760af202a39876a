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
        """Keep this RDD's partitions on the executors after they are first computed."""
        if not isinstance(storageLevel, StorageLevel):
            raise TypeError(f"storageLevel must be a StorageLevel, got {type(storageLevel).__name__}")
        if self._storage_level.is_valid and storageLevel != self._storage_level:
            raise ValueError(f"Cannot change storage level of an RDD after it was already assigned a "
                             f"level (it has {self._storage_level!r})")
        self.is_cached = True
        self._storage_level = storageLevel
        return self

    def unpersist(self: RDD, blocking: bool = False) -> RDD:
        """Mark the RDD as non-persistent, and remove all blocks for it from memory and disk."""
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
        """A unique ID for this RDD (within its SparkContext)."""
        return self._rdd_id

    def name(self: RDD) -> str | None:
        """Return the name of this RDD."""
        return self._name

    def setName(self: RDD, name: str) -> RDD:
        """Assign a name to this RDD.

        >>> sc.parallelize([1, 2]).setName('RDD1').name()
        'RDD1'
        """
        self._name = name
        return self

    def toDebugString(self: RDD) -> bytes:
        """A description of this RDD and its recursive dependencies, for debugging."""
        lines: list[str] = []
        stack: list[tuple[Any, int]] = [(self, 0)]
        while stack:
            rdd, depth = stack.pop()
            level = rdd._storage_level
            extra = f" [{level}]" if level.is_valid else ""
            lines.append(f"{'  ' * depth}({rdd.getNumPartitions()}) {rdd!r}{extra}")
            for dep in reversed(rdd.dependencies()):
                from sparklite.rdd.dependency import ShuffleDependency

                stack.append((dep.rdd, depth + (1 if isinstance(dep, ShuffleDependency) else 0)))
        return "\n".join(lines).encode("utf-8")

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
