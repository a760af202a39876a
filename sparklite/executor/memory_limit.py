"""spark.executor.pyspark.memory: a cap on the executor process's address space (RLIMIT_AS).

As in PySpark, the cap is an address-space limit, so a task that allocates past it gets a
``MemoryError`` in the task (the job error says which key set the limit) instead of being
killed by the kernel with its executor, or taking the machine's memory.

Differs from PySpark: the limit applies *on top of* the address space the executor has
reserved when it registers (its gRPC, Arrow and thread reservations, hundreds of MiB of
mostly untouched address space that PySpark's lean worker does not have), plus room for
the threads it starts later. To make address space track memory actually used, the
executor then sends Arrow's allocations through malloc and caps malloc's per-thread arenas
(each reserves 64 MiB of address space up front). Linux only: elsewhere, or if the kernel
refuses, a warning says the limit is not in force.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os

log = logging.getLogger(__name__)

#: address space allowed beyond the limit: malloc arenas still to come and thread stacks
ARENAS_ROOM = 128 << 20
STACK_ROOM_PER_THREAD = 8 << 20
#: threads an executor may still start after registering, beyond one per task slot
LATER_THREADS = 8
_M_ARENA_MAX = -8  # glibc's mallopt() parameter


def apply_python_memory_limit(limit: int, cores: int) -> int | None:
    """Cap the address space at its current size + ``limit`` (+ room); returns the cap, or
    None where it cannot be set."""
    try:
        import resource
    except ImportError:  # not a Unix
        log.warning("spark.executor.pyspark.memory is not in force: no resource limits here")
        return None
    _limit_malloc_arenas(2)
    try:
        import pyarrow

        pyarrow.set_memory_pool(pyarrow.system_memory_pool())
    except Exception:  # Arrow without its system pool: the cap still holds, less precisely
        log.debug("could not switch Arrow to the system memory pool", exc_info=True)
    current = address_space()
    if current is None:
        log.warning("spark.executor.pyspark.memory is not in force: cannot read this process's size")
        return None
    cap = current + limit + ARENAS_ROOM + (cores + LATER_THREADS) * STACK_ROOM_PER_THREAD
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        cap = min(cap, hard)
    try:
        resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    except (ValueError, OSError) as exc:
        log.warning("spark.executor.pyspark.memory is not in force: %s", exc)
        return None
    return cap


def address_space() -> int | None:
    """This process's address space in bytes (Linux /proc), or None."""
    try:
        with open("/proc/self/statm") as f:
            pages = int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    return pages * os.sysconf("SC_PAGE_SIZE")


def _limit_malloc_arenas(count: int) -> None:
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name)
        libc.mallopt(_M_ARENA_MAX, count)
    except (OSError, AttributeError, TypeError):  # not glibc
        pass
