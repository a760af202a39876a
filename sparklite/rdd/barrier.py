"""RDDBarrier: the handle ``rdd.barrier()`` returns; its map functions make barrier stages.

A barrier stage launches all its tasks together (gang scheduling, see
``scheduler/task_scheduler.py``) and its tasks can wait for each other with
``BarrierTaskContext.barrier()`` and exchange messages with ``allGather``
(``taskcontext.py``, coordinated by ``scheduler/barrier.py`` on the driver). If
any task of a barrier stage fails, the whole stage is retried (a shuffle-map
stage) or the job fails (a result stage), as in Spark.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Generic, Iterable, Iterator, TypeVar

if TYPE_CHECKING:
    from sparklite.rdd.rdd import RDD

T = TypeVar("T")


class RDDBarrier(Generic[T]):
    """Wraps an RDD in barrier stage, which forces Spark to launch tasks of this stage together.

    :class:`RDDBarrier` instances are created by :meth:`RDD.barrier`.

    >>> from sparklite.taskcontext import BarrierTaskContext
    >>> def f(iterator):
    ...     context = BarrierTaskContext.get()
    ...     context.barrier()
    ...     yield context.partitionId(), len(context.getTaskInfos())
    >>> sc.parallelize(range(4), 2).barrier().mapPartitions(f).collect()
    [(0, 2), (1, 2)]
    """

    def __init__(self, rdd: RDD[T]):
        self.rdd = rdd

    def mapPartitions(self, f: Callable[[Iterator[T]], Iterable[Any]],
                      preservesPartitioning: bool = False) -> RDD[Any]:
        """Returns a new RDD by applying a function to each partition of the wrapped RDD,
        where tasks are launched together in a barrier stage.

        The interface is the same as :meth:`RDD.mapPartitions`.

        Parameters
        ----------
        f : function
           a function to run on each partition of the RDD
        preservesPartitioning : bool, optional, default False
            indicates whether the input function preserves the partitioner,
            which should be False unless this is a pair RDD and the input

        Returns
        -------
        :class:`RDD`
            a new :class:`RDD` by applying a function to each partition

        Examples
        --------
        >>> rdd = sc.parallelize([1, 2, 3, 4], 2)
        >>> def f(iterator): yield sum(iterator)
        >>> rdd.barrier().mapPartitions(f).collect()
        [3, 7]
        """
        def func(_: int, iterator: Iterator[T]) -> Iterable[Any]:
            return f(iterator)

        return self.mapPartitionsWithIndex(func, preservesPartitioning)

    def mapPartitionsWithIndex(self, f: Callable[[int, Iterator[T]], Iterable[Any]],
                               preservesPartitioning: bool = False) -> RDD[Any]:
        """Returns a new RDD by applying a function to each partition of the wrapped RDD, while
        tracking the index of the original partition. And all tasks are launched together
        in a barrier stage.

        The interface is the same as :meth:`RDD.mapPartitionsWithIndex`.

        Parameters
        ----------
        f : function
           a function to run on each partition of the RDD
        preservesPartitioning : bool, optional, default False
            indicates whether the input function preserves the partitioner,
            which should be False unless this is a pair RDD and the input

        Returns
        -------
        :class:`RDD`
            a new :class:`RDD` by applying a function to each partition

        Examples
        --------
        >>> rdd = sc.parallelize([1, 2, 3, 4], 2)
        >>> def f(splitIndex, iterator): yield splitIndex
        >>> rdd.barrier().mapPartitionsWithIndex(f).sum()
        1
        """
        from sparklite.rdd.pipelined import PipelinedRDD

        return PipelinedRDD(self.rdd, f, preservesPartitioning, isFromBarrier=True)

    def __repr__(self) -> str:
        return f"RDDBarrier({self.rdd!r})"


__all__ = ["RDDBarrier"]
