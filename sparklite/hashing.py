"""portable_hash: a key hash that is the same in every process.

Python salts ``hash()`` of ``str`` and ``bytes`` per process (PYTHONHASHSEED),
so a driver and two executors would route the same key to different reduce
partitions. Strings and bytes are hashed with CRC-32 of their bytes instead;
ints, floats and bools use ``hash()``, which is not salted; tuples combine
their elements as CPython's old tuple hash did (and as PySpark's
``portable_hash`` does), so ``(str, int)`` keys are portable too.

Other types fall back to ``hash()``: deterministic for numbers and for classes
whose ``__hash__`` derives from them. Executors run with PYTHONHASHSEED=0, so
even salted hashes agree between executors; only driver-side routing (e.g.
``lookup`` on such keys) could then disagree.
"""
from __future__ import annotations

import sys
import zlib

_MASK = sys.maxsize
_crc32 = zlib.crc32


def portable_hash(x: object) -> int:
    """Deterministic hash of a key, equal in every process.

    >>> portable_hash(None), portable_hash(42), portable_hash("a") == portable_hash("a")
    (0, 42, True)
    """
    t = type(x)
    if t is int or t is float or t is bool:
        return hash(x)
    if t is str:
        return _crc32(x.encode("utf-8", "surrogatepass"))  # type: ignore[union-attr]
    if x is None:
        return 0
    if t is tuple:
        h = 0x345678
        for item in x:  # type: ignore[attr-defined]
            h ^= portable_hash(item)
            h *= 1000003
            h &= _MASK
        h ^= len(x)  # type: ignore[arg-type]
        return -2 if h == -1 else h
    if t is bytes or t is bytearray:
        return _crc32(x)  # type: ignore[arg-type]
    if isinstance(x, str):
        return _crc32(str.encode(x, "utf-8", "surrogatepass"))
    if isinstance(x, (tuple, frozenset)) and t is not tuple:
        if isinstance(x, frozenset):
            h = 0
            for item in x:
                h ^= portable_hash(item) * 2654435761
            return h & _MASK
        return portable_hash(tuple(x))
    return hash(x)
