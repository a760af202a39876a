"""StorageLevel: where and how many times a persisted RDD's partitions are kept (PySpark's API).

In sparklite every memory level holds partitions as Arrow buffers (see
``sparklite.storage``); ``deserialized`` is accepted and reported for
compatibility but does not change the representation.
"""
from __future__ import annotations

from typing import ClassVar


class StorageLevel:
    """Flags for controlling the storage of an RDD.

    >>> StorageLevel.MEMORY_AND_DISK_2
    StorageLevel(True, True, False, False, 2)
    >>> str(StorageLevel.MEMORY_ONLY)
    'Memory Serialized 1x Replicated'
    """

    NONE: ClassVar[StorageLevel]
    DISK_ONLY: ClassVar[StorageLevel]
    DISK_ONLY_2: ClassVar[StorageLevel]
    DISK_ONLY_3: ClassVar[StorageLevel]
    MEMORY_ONLY: ClassVar[StorageLevel]
    MEMORY_ONLY_2: ClassVar[StorageLevel]
    MEMORY_AND_DISK: ClassVar[StorageLevel]
    MEMORY_AND_DISK_2: ClassVar[StorageLevel]
    MEMORY_AND_DISK_DESER: ClassVar[StorageLevel]
    OFF_HEAP: ClassVar[StorageLevel]

    def __init__(self, useDisk: bool, useMemory: bool, useOffHeap: bool, deserialized: bool,
                 replication: int = 1):
        self.useDisk = bool(useDisk)
        self.useMemory = bool(useMemory)
        self.useOffHeap = bool(useOffHeap)
        self.deserialized = bool(deserialized)
        self.replication = int(replication)
        if self.replication < 1:
            raise ValueError(f"replication must be >= 1, got {replication}")

    def _key(self) -> tuple:
        return (self.useDisk, self.useMemory, self.useOffHeap, self.deserialized, self.replication)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, StorageLevel) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return "StorageLevel(%s, %s, %s, %s, %s)" % self._key()

    def __str__(self) -> str:
        result = ""
        result += "Disk " if self.useDisk else ""
        result += "Memory " if self.useMemory else ""
        result += "OffHeap " if self.useOffHeap else ""
        result += "Deserialized " if self.deserialized else "Serialized "
        result += "%sx Replicated" % self.replication
        return result

    @property
    def is_valid(self) -> bool:
        return self.useMemory or self.useDisk or self.useOffHeap

    def to_string(self) -> str:
        """Stable text form used on the wire: ``'1,1,0,0,2'``."""
        return ",".join(str(int(x)) for x in self._key())

    @classmethod
    def from_string(cls, text: str) -> StorageLevel:
        d, m, o, s, r = (int(x) for x in text.split(","))
        return cls(bool(d), bool(m), bool(o), bool(s), r)


StorageLevel.NONE = StorageLevel(False, False, False, False)
StorageLevel.DISK_ONLY = StorageLevel(True, False, False, False)
StorageLevel.DISK_ONLY_2 = StorageLevel(True, False, False, False, 2)
StorageLevel.DISK_ONLY_3 = StorageLevel(True, False, False, False, 3)
StorageLevel.MEMORY_ONLY = StorageLevel(False, True, False, False)
StorageLevel.MEMORY_ONLY_2 = StorageLevel(False, True, False, False, 2)
StorageLevel.MEMORY_AND_DISK = StorageLevel(True, True, False, False)
StorageLevel.MEMORY_AND_DISK_2 = StorageLevel(True, True, False, False, 2)
StorageLevel.MEMORY_AND_DISK_DESER = StorageLevel(True, True, False, True)
StorageLevel.OFF_HEAP = StorageLevel(True, True, True, False, 1)

__all__ = ["StorageLevel"]
