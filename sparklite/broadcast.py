"""Broadcast variables: a read-only value pickled once and fetched once per executor.

The driver keeps the pickled value in its blob store; a Broadcast pickles as
its id only, so closures that use it stay small. On an executor, the first
``.value`` fetches the bytes from the driver and keeps the unpickled value for
every later task of that executor until ``unpersist``/``destroy``.
"""
from __future__ import annotations

import threading
from typing import Any, Generic, TypeVar

from sparklite import serializers

T = TypeVar("T")


def blob_key(bid: int) -> str:
    return f"broadcast_{bid}"


class Broadcast(Generic[T]):
    """A broadcast variable created with ``SparkContext.broadcast()``.

    >>> b = sc.broadcast([1, 2, 3, 4, 5])
    >>> b.value
    [1, 2, 3, 4, 5]
    >>> sc.parallelize([0, 0]).flatMap(lambda x: b.value).collect()
    [1, 2, 3, 4, 5, 1, 2, 3, 4, 5]
    >>> b.unpersist()
    """

    def __init__(self, bid: int, context: Any = None, value: Any = None):
        self._bid = bid
        self._context = context
        self._value = value
        self._destroyed = False

    @classmethod
    def _create(cls, context: Any, bid: int, value: T) -> Broadcast[T]:
        data = serializers.dumps(value)
        context._blob_store.put(blob_key(bid), data)
        broadcast = cls(bid, context, value)
        if context._cleaner is not None:  # its copies go once the driver program drops it
            context._cleaner.register_broadcast(broadcast)
        return broadcast

    @property
    def id(self) -> int:
        return self._bid

    @property
    def value(self) -> T:
        """The broadcast value."""
        if self._context is not None:  # driver
            if self._destroyed:
                raise RuntimeError(f"Attempted to use broadcast variable {self._bid} after it "
                                   f"was destroyed")
            return self._value
        from sparklite.executor.env import current_env

        return current_env().broadcast_value(self._bid)

    def unpersist(self, blocking: bool = False) -> None:
        """Drop the executors' copies; they fetch it again if a later task uses it."""
        self._require_driver("unpersist")
        self._context._unpersist_broadcast(self._bid, destroy=False)

    def destroy(self, blocking: bool = False) -> None:
        """Remove all data of this broadcast; it cannot be used afterwards."""
        self._require_driver("destroy")
        self._context._unpersist_broadcast(self._bid, destroy=True)
        self._destroyed = True
        self._value = None

    def _require_driver(self, what: str) -> None:
        if self._context is None:
            raise RuntimeError(f"Broadcast can only be {what}ed on the driver")

    def __reduce__(self):
        if self._destroyed:
            raise RuntimeError(f"Attempted to use broadcast variable {self._bid} after it was "
                               f"destroyed")
        return (_from_id, (self._bid,))

    def __repr__(self) -> str:
        return f"Broadcast(id={self._bid})"


def _from_id(bid: int) -> Broadcast:
    return Broadcast(bid)


class ExecutorBroadcastCache:
    """Executor side: broadcast id -> unpickled value, fetched on first use."""

    def __init__(self, fetch_blob: Any):
        self._fetch_blob = fetch_blob
        self._values: dict[int, Any] = {}
        self._lock = threading.Lock()

    def get(self, bid: int) -> Any:
        try:
            return self._values[bid]
        except KeyError:
            pass
        with self._lock:
            if bid not in self._values:
                self._values[bid] = serializers.loads(self._fetch_blob(blob_key(bid)))
            return self._values[bid]

    def remove(self, bid: int) -> None:
        with self._lock:
            self._values.pop(bid, None)


__all__ = ["Broadcast"]
