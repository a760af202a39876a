"""Driver-held byte blobs that executors fetch by key: broadcast values, collection slices.

THREADING: put/remove on user threads, get on RPC threads; one lock.
"""
from __future__ import annotations

import threading


class BlobStore:
    def __init__(self) -> None:
        self._blobs: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def put(self, key: str, data: bytes) -> None:
        with self._lock:
            self._blobs[key] = data

    def get(self, key: str) -> bytes:
        with self._lock:
            return self._blobs[key]

    def remove(self, key: str) -> None:
        with self._lock:
            self._blobs.pop(key, None)

    def remove_prefix(self, prefix: str) -> None:
        with self._lock:
            for key in [k for k in self._blobs if k.startswith(prefix)]:
                del self._blobs[key]

    def __len__(self) -> int:
        with self._lock:
            return len(self._blobs)

    def clear(self) -> None:
        with self._lock:
            self._blobs.clear()
