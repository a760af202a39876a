"""Shared variables and cached blocks of SparkContext (mixin): broadcast, accumulator, and the
driver side of ``Broadcast.unpersist``/``destroy`` and ``RDD.unpersist``."""
from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

from sparklite.accumulators import Accumulator, AccumulatorParam
from sparklite.broadcast import Broadcast, blob_key
from sparklite.rpc.generated import sparklite_pb2 as pb

if TYPE_CHECKING:
    from sparklite.context import SparkContext

T = TypeVar("T")


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
        if destroy:
            self._blob_store.remove(blob_key(bid))
        if not self._stopped:
            self._runtime.send_to_executors(pb.DriverMessage(
                remove_broadcast=pb.RemoveBroadcast(broadcast_id=bid)))

    def _remove_rdd_blocks(self: SparkContext, rdd_id: int, blocking: bool) -> None:
        if self._stopped:
            return
        by_executor = self._runtime.block_master.remove_rdd(rdd_id)
        for executor_id, block_ids in by_executor.items():
            self._runtime.endpoint.send(executor_id, pb.DriverMessage(
                remove_blocks=pb.RemoveBlocks(block_ids=block_ids)))

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
