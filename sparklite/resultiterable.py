"""ResultIterable: the grouped values of groupByKey/cogroup (PySpark's type)."""
from __future__ import annotations

from typing import Generic, Iterable, Iterator, TypeVar

T = TypeVar("T")


class ResultIterable(Iterable[T], Generic[T]):
    """A special result iterable, used because the standard iterator cannot be pickled.

    >>> r = ResultIterable([1, 2, 3])
    >>> len(r), list(r)
    (3, [1, 2, 3])
    """

    def __init__(self, data: Iterable[T]):
        # a list, or a disk-backed list of one hot key's values (shuffle.external.ExternalList)
        keep = isinstance(data, list) or getattr(type(data), "_result_iterable_keeps", False)
        self.data = data if keep else list(data)
        self.index = 0
        self.maxindex = len(self.data)

    def __iter__(self) -> Iterator[T]:
        return iter(self.data)

    def __len__(self) -> int:
        return len(self.data)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, ResultIterable):
            return self.data == other.data
        return NotImplemented

    def __reduce__(self) -> tuple:
        # the data list alone: several times faster to unpickle than the instance __dict__
        return (ResultIterable, (self.data,))

    def __repr__(self) -> str:
        return f"ResultIterable({self.data!r})"


__all__ = ["ResultIterable"]
