"""Accumulators: write-only shared variables that tasks add to and the driver reads.

Rule (as PySpark documents it, and what sparklite guarantees): updates made
inside an **action** (``foreach``, ``foreachPartition``, the function of a
``reduce``) count exactly once per partition, from the attempt that
succeeded: a failed or killed attempt's updates are dropped, and a partition
recomputed after an executor loss is not counted twice within the same job.
Updates made inside **transformations** also count once per partition and
stage, but a later job that recomputes the same RDD (no cache) runs new stages
and counts again; cache the RDD if that matters.

On an executor, ``add`` does not touch the accumulator object (closures are
deserialized once per stage and shared by the executor's task slots); it
folds the term into the running task's own update table, which travels back
with the task's status.
"""
from __future__ import annotations

import threading
import weakref
from typing import Any, Callable, Generic, TypeVar

from sparklite.taskcontext import TaskContext

T = TypeVar("T")


class AccumulatorParam(Generic[T]):
    """How to add values of an accumulator's type (PySpark's API)."""

    def zero(self, value: T) -> T:
        """A "zero value" for the type, compatible in dimensions with ``value``."""
        raise NotImplementedError

    def addInPlace(self, value1: T, value2: T) -> T:
        """Add two values; may update and return ``value1`` for efficiency."""
        raise NotImplementedError


class AddingAccumulatorParam(AccumulatorParam[T]):
    """An AccumulatorParam that uses ``+=`` to add values."""

    def __init__(self, zero_value: T):
        self.zero_value = zero_value

    def zero(self, value: T) -> T:
        return self.zero_value

    def addInPlace(self, value1: T, value2: T) -> T:
        value1 += value2  # type: ignore[operator]
        return value1


INT_ACCUMULATOR_PARAM = AddingAccumulatorParam(0)
FLOAT_ACCUMULATOR_PARAM = AddingAccumulatorParam(0.0)
COMPLEX_ACCUMULATOR_PARAM = AddingAccumulatorParam(0.0j)


def default_param(value: Any) -> AccumulatorParam:
    if isinstance(value, bool):
        raise TypeError(f"No default accumulator param for type {type(value)}")
    if isinstance(value, int):
        return INT_ACCUMULATOR_PARAM
    if isinstance(value, float):
        return FLOAT_ACCUMULATOR_PARAM
    if isinstance(value, complex):
        return COMPLEX_ACCUMULATOR_PARAM
    raise TypeError(f"No default accumulator param for type {type(value)}")


class Accumulator(Generic[T]):
    """A shared variable that can be accumulated (PySpark's API).

    >>> acc = sc.accumulator(0)
    >>> sc.parallelize(range(10), 3).foreach(lambda x: acc.add(x))
    >>> acc.value
    45
    """

    def __init__(self, aid: int, value: T, accum_param: AccumulatorParam[T]):
        self.aid = aid
        self.accum_param = accum_param
        self._value = value
        self._deserialized = False
        self._lock = threading.Lock()

    def __reduce__(self):
        zero = self.accum_param.zero(self._value)
        return (_deserialize_accumulator, (self.aid, zero, self.accum_param))

    @property
    def value(self) -> T:
        """The accumulated value; readable only on the driver."""
        if self._deserialized:
            raise RuntimeError("Accumulator.value cannot be accessed inside tasks")
        return self._value

    @value.setter
    def value(self, value: T) -> None:
        if self._deserialized:
            raise RuntimeError("Accumulator.value cannot be accessed inside tasks")
        self._value = value

    def add(self, term: T) -> None:
        """Add a term to this accumulator's value."""
        context = TaskContext.get()
        if self._deserialized and context is not None:
            updates = context.accumulator_updates
            current = updates.get(self.aid, _MISSING)
            if current is _MISSING:
                current = self.accum_param.zero(self._value)
            updates[self.aid] = self.accum_param.addInPlace(current, term)
            return
        with self._lock:
            self._value = self.accum_param.addInPlace(self._value, term)

    def __iadd__(self, term: T) -> Accumulator[T]:
        self.add(term)
        return self

    def _merge(self, update: T) -> None:
        """Driver side: fold in one successful attempt's update."""
        with self._lock:
            self._value = self.accum_param.addInPlace(self._value, update)

    def __str__(self) -> str:
        return str(self._value)

    def __repr__(self) -> str:
        return f"Accumulator<id={self.aid}, value={self._value}>"


_MISSING = object()


def _deserialize_accumulator(aid: int, zero_value: Any, accum_param: AccumulatorParam) -> Accumulator:
    acc: Accumulator = Accumulator(aid, zero_value, accum_param)
    acc._deserialized = True
    return acc


class AccumulatorRegistry:
    """Driver side: the context's accumulators and which (stage, partition) already counted.

    THREADING: ``merge`` runs on the scheduler thread; ``register`` on user threads.
    """

    def __init__(self, next_id: Callable[[], int]):
        self._next_id = next_id
        #: weak: updates for an accumulator the driver program dropped have nowhere to go
        self._accumulators: weakref.WeakValueDictionary[int, Accumulator] = weakref.WeakValueDictionary()
        #: stage id -> (accumulator id, partition) already counted; dropped with the stage
        self._counted: dict[int, set[tuple[int, int]]] = {}
        self._lock = threading.Lock()

    def register(self, value: Any, accum_param: AccumulatorParam | None) -> Accumulator:
        param = accum_param if accum_param is not None else default_param(value)
        acc: Accumulator = Accumulator(self._next_id(), value, param)
        with self._lock:
            self._accumulators[acc.aid] = acc
        return acc

    def merge(self, stage_id: int, partition: int, updates: dict[int, Any]) -> None:
        """Count one successful attempt's updates, once per (accumulator, stage, partition)."""
        with self._lock:
            counted = self._counted.setdefault(stage_id, set())
            for aid, update in updates.items():
                acc = self._accumulators.get(aid)
                if acc is None or (aid, partition) in counted:
                    continue
                counted.add((aid, partition))
                acc._merge(update)

    def forget_stage(self, stage_id: int) -> None:
        """The stage is gone (no job needs it): a later job's stage counts its own updates."""
        with self._lock:
            self._counted.pop(stage_id, None)


__all__ = ["Accumulator", "AccumulatorParam", "AddingAccumulatorParam",
           "INT_ACCUMULATOR_PARAM", "FLOAT_ACCUMULATOR_PARAM", "COMPLEX_ACCUMULATOR_PARAM"]
