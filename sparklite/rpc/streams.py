"""Outboxes for the long-lived streams (executor <-> driver, worker/app <-> master).

A stream's sender puts messages into a queue; the gRPC request or response
generator drains it until ``CLOSE`` arrives, which ends the stream.
"""
from __future__ import annotations

import queue
from typing import Any, Iterator

#: put into an outbox to end its stream
CLOSE = None


def drain(outbox: queue.Queue) -> Iterator[Any]:
    """Yield what is put into ``outbox`` until CLOSE."""
    while True:
        msg = outbox.get()
        if msg is CLOSE:
            return
        yield msg
