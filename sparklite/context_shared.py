"""Shared variables and cached blocks of SparkContext (mixin): broadcast, accumulator, the
driver side of ``Broadcast.unpersist``/``destroy`` and ``RDD.unpersist``, and the storage report."""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, TypeVar

from sparklite.accumulators import Accumulator, AccumulatorParam
from sparklite.broadcast import Broadcast, blob_key

if TYPE_CHECKING:
    from sparklite.context import SparkContext

T = TypeVar("T")
log = logging.getLogger(__name__)


class SharedVariablesMixin:
    def broadcast(self: SparkContext, value: T) -> Broadcast[T]:
        """Broadcast a read-only variable to the cluster, returning a :class:`Broadcast`
        object for reading it in distributed functions. The variable will
        be sent to each executor only once.

        >>> b = sc.broadcast([1, 2, 3])
        >>> sc.parallelize([0, 1]).map(lambda i: b.value[i]).collect()
        [1, 2]
        """
        self._assert_alive()
        return Broadcast._create(self, self._next("broadcast"), value)

    def _unpersist_broadcast(self: SparkContext, bid: int, destroy: bool) -> None:
        if self._stopped:
            if destroy:
                self._blob_store.remove(blob_key(bid))
            return
        self._runtime.remove_broadcast(bid, from_driver=destroy)

    def _remove_rdd_blocks(self: SparkContext, rdd_id: int, blocking: bool) -> None:
        self._persistent_rdds.pop(rdd_id, None)
        if not self._stopped:
            self._runtime.remove_rdd_blocks(rdd_id, blocking)

    def getRDDStorageInfo(self: SparkContext) -> list[Any]:
        """Storage of every cached RDD: partitions cached, bytes in memory and on disk, per executor.

        Returns a list of :class:`sparklite.storage.report.RDDStorageInfo` (Spark's developer API
        ``getRDDStorageInfo``; PySpark has no Python equivalent). Only RDDs with at least one
        cached partition are listed.

        >>> rdd = sc.parallelize(range(1000), 2).setName("numbers").cache()
        >>> rdd.count()
        1000
        >>> [(i.name, i.numCachedPartitions, i.memSize) for i in sc.getRDDStorageInfo() if i.id == rdd.id()]
        [('numbers', 2, 8000)]
        >>> _ = rdd.unpersist(blocking=True)
        """
        from sparklite.storage.report import rdd_storage_info

        self._assert_alive()
        return rdd_storage_info(list(self._persistent_rdds.values()), self._runtime.block_master)

    def accumulator(self: SparkContext, value: T, accum_param: AccumulatorParam[T] | None = None) -> Accumulator[T]:
        """Create an :class:`Accumulator` with the given initial value, using a given
        :class:`AccumulatorParam` helper object to define how to add values of the
        data type if provided. Default AccumulatorParams are used for integers
        and floating-point numbers if you do not provide one.

        >>> acc = sc.accumulator(5)
        >>> sc.parallelize([1, 2, 3]).foreach(lambda x: acc.add(x))
        >>> acc.value
        11
        """
        self._assert_alive()
        return self._accumulators.register(value, accum_param)
