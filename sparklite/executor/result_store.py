"""TaskResultStore: task payloads too big to travel inline wait on the executor's disk for the driver.

A finished task's status normally carries its pickled result. When the whole
status is bigger than ``spark.task.maxDirectResultSize``, its payload (result,
accumulator updates, failure) is written to ``<local dir>/results/<task id>``
and the status sent carries only the sizes (``stored_size``, ``result_size``).
The driver first checks the result against ``spark.driver.maxResultSize``,
then fetches it in chunks (``FetchTaskResult``, after which the file goes) or
tells the executor to drop it (``DropTaskResults``: its job failed or no longer
wants it). A result over ``spark.driver.maxResultSize`` on its own is not even
written (as Spark's executor does): the status reports its size, and the
driver fails the job naming the key.

File layout: the header's length (8 bytes, big-endian), the header (the
TaskStatus without its result), then the result bytes. The store's directory
goes with the executor's local dir when it exits.

THREADING: ``slim`` on task threads, ``chunks`` on gRPC threads, ``drop`` on
the main thread; each file is written whole (rename) before its status is sent.
"""
from __future__ import annotations

import logging
import os
from typing import Iterator

from sparklite.rpc.generated import sparklite_pb2 as pb

log = logging.getLogger(__name__)


class TaskResultStore:
    def __init__(self, directory: str, max_direct: int = 1 << 20, max_result_size: int = 0):
        self.directory = directory
        os.makedirs(directory, exist_ok=True)
        #: spark.task.maxDirectResultSize: statuses up to this size travel inline
        self.max_direct = max_direct
        #: spark.driver.maxResultSize (0: unlimited): a bigger result is not kept at all
        self.max_result_size = max_result_size

    def _path(self, task_id: int) -> str:
        return os.path.join(self.directory, str(int(task_id)))

    def slim(self, status: pb.TaskStatus) -> pb.TaskStatus:
        """The status to send: itself if small enough, else its sizes (the payload stored here)."""
        result_size = len(status.result)
        status.result_size = result_size
        if status.ByteSize() <= self.max_direct:
            return status
        slim = pb.TaskStatus(task_id=status.task_id, state=status.state, run_seconds=status.run_seconds,
                             result_size=result_size)
        if status.HasField("metrics"):  # the task's end reaches the listeners even if its result is refused
            slim.metrics.CopyFrom(status.metrics)
        if status.state == pb.FINISHED and 0 < self.max_result_size < result_size:
            slim.result_dropped = True  # the driver refuses it anyway: spare the disk and the network
            return slim
        result = status.result
        status.ClearField("result")
        header = status.SerializeToString()
        path = self._path(status.task_id)
        with open(path + ".tmp", "wb") as f:
            f.write(len(header).to_bytes(8, "big"))
            f.write(header)
            f.write(result)
        os.replace(path + ".tmp", path)
        slim.stored_size = 8 + len(header) + result_size
        return slim

    def chunks(self, task_id: int, chunk_size: int) -> Iterator[bytes] | None:
        """The stored payload of ``task_id`` in chunks, removed once streamed; None if there is none."""
        path = self._path(task_id)
        try:
            f = open(path, "rb")
        except OSError:
            return None

        def stream() -> Iterator[bytes]:
            with f:
                while True:
                    chunk = f.read(chunk_size)
                    if not chunk:
                        break
                    yield chunk
            self._remove(path)

        return stream()

    def drop(self, task_ids: list[int]) -> None:
        for task_id in task_ids:
            self._remove(self._path(task_id))

    @staticmethod
    def _remove(path: str) -> None:
        try:
            os.remove(path)
        except OSError:
            pass

    def stored(self) -> list[int]:
        """Task ids with a payload waiting here (inspection, tests)."""
        try:
            return sorted(int(n) for n in os.listdir(self.directory) if n.isdigit())
        except OSError:
            return []
