"""portable_hash: a key hash that is the same in every process, and the same as PySpark's.

Python salts ``hash()`` of ``str`` and ``bytes`` per process, so a driver and
two executors would route the same key to different reduce partitions. PySpark
avoids that by running its workers with PYTHONHASHSEED=0 and using ``hash()``
there; sparklite's executors run the same way, so they use the native
``hash()`` (fast, and placing every key in the partition PySpark would). A
process with another seed — usually the driver, for ``lookup`` or a
partitioner called by hand — computes the seed-0 value itself: CPython's
SipHash (1-3 since 3.11, 2-4 before) with an all-zero key over the string's
internal buffer (1, 2 or 4 bytes per character).

ints, floats and bools use ``hash()``, which is never salted; tuples combine
their elements as PySpark's ``portable_hash`` does, so ``(str, int)`` keys are
portable too. Other types fall back to ``hash()``: deterministic for numbers
and for classes whose ``__hash__`` derives from them, and equal between
executors (seed 0); only driver-side routing of such salted keys could differ.
"""
from __future__ import annotations

import sys

_MASK = sys.maxsize
_M64 = (1 << 64) - 1
_ALGORITHM = sys.hash_info.algorithm
#: this process hashes str/bytes exactly as a PYTHONHASHSEED=0 process does
NATIVE_SEED_ZERO = sys.flags.hash_randomization == 0 and _ALGORITHM in ("siphash13", "siphash24")
# rounds per block and at the end; an unknown algorithm (a rare custom build) is
# emulated as siphash13 in every process, which is still consistent
_C_ROUNDS, _D_ROUNDS = (2, 4) if _ALGORITHM == "siphash24" else (1, 3)


def _rotl(x: int, b: int) -> int:
    return ((x << b) | (x >> (64 - b))) & _M64


def _sip_rounds(v0: int, v1: int, v2: int, v3: int, n: int) -> tuple[int, int, int, int]:
    for _ in range(n):
        v0 = (v0 + v1) & _M64
        v2 = (v2 + v3) & _M64
        v1 = _rotl(v1, 13) ^ v0
        v3 = _rotl(v3, 16) ^ v2
        v0 = _rotl(v0, 32)
        v2 = (v2 + v1) & _M64
        v0 = (v0 + v3) & _M64
        v1 = _rotl(v1, 17) ^ v2
        v3 = _rotl(v3, 21) ^ v0
        v2 = _rotl(v2, 32)
    return v0, v1, v2, v3


def _seed_zero_hash(data: bytes) -> int:
    """CPython's ``_Py_HashBytes`` of ``data`` with the all-zero SipHash key."""
    n = len(data)
    if n == 0:
        return 0
    # the key is zero, so each v starts as SipHash's constant alone
    v0, v1, v2, v3 = 0x736F6D6570736575, 0x646F72616E646F6D, 0x6C7967656E657261, 0x7465646279746573
    end = n - n % 8
    for i in range(0, end, 8):
        m = int.from_bytes(data[i:i + 8], "little")
        v3 ^= m
        v0, v1, v2, v3 = _sip_rounds(v0, v1, v2, v3, _C_ROUNDS)
        v0 ^= m
    b = ((n & 0xFF) << 56) | int.from_bytes(data[end:], "little")
    v3 ^= b
    v0, v1, v2, v3 = _sip_rounds(v0, v1, v2, v3, _C_ROUNDS)
    v0 ^= b
    v2 ^= 0xFF
    v0, v1, v2, v3 = _sip_rounds(v0, v1, v2, v3, _D_ROUNDS)
    x = v0 ^ v1 ^ v2 ^ v3
    if x >= 1 << 63:
        x -= 1 << 64
    return -2 if x == -1 else x


def _str_buffer(s: str) -> bytes:
    """The bytes CPython hashes for ``s``: its canonical 1/2/4-byte-per-character buffer."""
    if s.isascii():
        return s.encode("ascii")
    widest = max(map(ord, s))
    if widest < 0x100:
        return s.encode("latin-1")
    if widest < 0x10000:
        return s.encode("utf-16-le", "surrogatepass")
    return s.encode("utf-32-le", "surrogatepass")


def _emulated_str_hash(s: str) -> int:
    return _seed_zero_hash(_str_buffer(s))


def _emulated_bytes_hash(b: bytes | bytearray) -> int:
    return _seed_zero_hash(bytes(b))


_str_hash = hash if NATIVE_SEED_ZERO else _emulated_str_hash
_bytes_hash = hash if NATIVE_SEED_ZERO else _emulated_bytes_hash


def portable_hash(x: object) -> int:
    """Deterministic hash of a key, equal in every process.

    >>> portable_hash(None), portable_hash(42), portable_hash("a") == portable_hash("a")
    (0, 42, True)
    """
    t = type(x)
    if t is int or t is float or t is bool:
        return hash(x)
    if t is str:
        return _str_hash(x)
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
    if t is bytes:
        return _bytes_hash(x)
    if t is bytearray:  # unhashable in Python; PySpark would fail, routing by content is kinder
        return _emulated_bytes_hash(x)
    if isinstance(x, str):
        return _str_hash(str(x)) if type(x).__hash__ is str.__hash__ else hash(x)
    if isinstance(x, (tuple, frozenset)) and t is not tuple:
        if isinstance(x, frozenset):
            h = 0
            for item in x:
                h ^= portable_hash(item) * 2654435761
            return h & _MASK
        return portable_hash(tuple(x))
    return hash(x)


_SEED_FREE = (int, float, bool, str, bytes, type(None))


def routes_alike_everywhere(x: object) -> bool:
    """True if ``portable_hash(x)`` in this process equals its value on the executors.

    Holds for ints, floats, bools, str, bytes, None and tuples of them; for other
    types (``datetime``, custom classes) the driver's salted ``hash()`` may differ.
    """
    t = type(x)
    if t in _SEED_FREE:
        return True
    if t is tuple:
        return all(routes_alike_everywhere(item) for item in x)  # type: ignore[attr-defined]
    return NATIVE_SEED_ZERO
