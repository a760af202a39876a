"""ExecutorEnv: everything a running task reaches through ``TaskContext.env``.

One per executor process (``current_env()``): the config the driver sent, the
block manager, the broadcast cache, the files shipped with ``addFile``, gRPC
channels to the driver (blobs, barrier syncs) and to other executors' block
services, where shuffle files go, and the memory budgets (``storage.budget``)
that cached blocks and task buffers live within.
"""
from __future__ import annotations

import os
import threading
from typing import Any, Callable, Iterator

import grpc

from sparklite import filesystems
from sparklite.broadcast import ExecutorBroadcastCache
from sparklite.config import Settings
from sparklite.files import ExecutorFiles
from sparklite.rpc.channels import RpcSecurity, make_channel
from sparklite.rpc.generated import sparklite_pb2 as pb
from sparklite.rpc.services import BLOCKS, DRIVER, Stub
from sparklite.shuffle.map_status import MapStatus, ShuffleWriteSpec
from sparklite.shuffle.writer import ShuffleWriter
from sparklite.storage import budget
from sparklite.storage.block_manager import BlockManager
from sparklite.storage.block_transfer import BlockTransfer

_current: ExecutorEnv | None = None


def current_env() -> ExecutorEnv:
    if _current is None:
        raise RuntimeError("not running inside a sparklite executor")
    return _current


class ExecutorEnv:
    def __init__(self, executor_id: str, host: str, app_id: str, local_dir: str, settings: Settings,
                 security: RpcSecurity, driver_channel: Any, block_address: str,
                 send: Callable[[pb.ExecutorMessage], None], cores: int = 1):
        global _current
        self.executor_id = executor_id
        self.host = host
        self.app_id = app_id
        self.local_dir = local_dir
        self.shuffle_dir = os.path.join(local_dir, "shuffle")
        os.makedirs(self.shuffle_dir, exist_ok=True)
        self.settings = settings
        filesystems.set_executor_options(settings.raw())  # spark.hadoop.fs.s3a.*, sparklite.fs.*
        self.security = security
        self.block_address = block_address
        self._send = send
        self._driver = Stub(driver_channel, DRIVER)
        self._channels: dict[str, Any] = {}
        self._channel_lock = threading.Lock()
        self.force_remote_fetch = bool(settings.get("sparklite.shuffle.forceRemoteFetch"))
        self.fetch_chunk_size = int(settings.get("sparklite.shuffle.fetchChunkSize"))
        self.batch_size = int(settings.get("sparklite.shuffle.batchSize"))
        self.fetch_timeout = float(settings.get("spark.network.timeout"))
        self.cores = cores
        #: spark.executor.pyspark.memory as configured, once this process's address space is capped
        self.python_memory_limit: str | None = None
        self.spill_dir = os.path.join(local_dir, "spill")
        os.makedirs(self.spill_dir, exist_ok=True)
        transfer = BlockTransfer(executor_id, self._driver, self.block_stub, self.fetch_timeout,
                                 self.fetch_chunk_size)
        self.block_manager = BlockManager(executor_id, local_dir, budget.storage_capacity(settings),
                                          self._report_block, transfer,
                                          int(settings.get("sparklite.storage.chunkRecords")))
        self.broadcasts = ExecutorBroadcastCache(self.fetch_blob)
        self.files = ExecutorFiles(os.path.join(local_dir, "files"), self.fetch_blob)
        _current = self

    def task_memory(self) -> int:
        """Bytes a task may buffer (aggregation, sort, join) before spilling (see storage.budget)."""
        return budget.task_memory(self.settings, self.cores, self.block_manager.memory.used)

    # ------------------------------------------------------------------ driver

    def fetch_blob(self, key: str) -> bytes:
        chunks = list(self.fetch_blob_chunks(key))
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)

    def fetch_blob_chunks(self, key: str) -> Iterator[bytes]:
        """A blob as it streams in: a reader that decodes as it goes never holds all of it."""
        for chunk in self._driver.FetchBlob(pb.BlobRequest(key=key), timeout=self.fetch_timeout):
            yield chunk.data

    def barrier_sync(self, stage_id: int, stage_attempt: int, num_tasks: int, partition: int,
                     epoch: int, method: str, message: str, task_attempt_id: int) -> list[str]:
        """One BarrierTaskContext sync through the driver; returns every task's message.

        The call is polled rather than blocked on, so that killing the task (an
        exception raised in its thread between bytecodes) also ends the wait.
        """
        request = pb.BarrierRequest(stage_id=stage_id, stage_attempt=stage_attempt,
                                    num_tasks=num_tasks, partition=partition, epoch=epoch,
                                    method=method, message=message, task_attempt_id=task_attempt_id)
        call = self._driver.BarrierSync.future(request)
        try:
            while True:
                try:
                    return list(call.result(timeout=0.1).messages)
                except grpc.FutureTimeoutError:
                    continue
                except grpc.RpcError as exc:
                    details = exc.details() if hasattr(exc, "details") else str(exc)  # type: ignore[attr-defined]
                    raise RuntimeError(f"{method}() failed: {details}") from None
        finally:
            call.cancel()

    def broadcast_value(self, bid: int) -> Any:
        return self.broadcasts.get(bid)

    def _report_block(self, block_id: str, level: str, memory_size: int, disk_size: int) -> None:
        self._send(pb.ExecutorMessage(block_update=pb.BlockUpdate(
            block_id=block_id, storage_level=level, memory_size=memory_size, disk_size=disk_size)))

    # ------------------------------------------------------------------ peers

    def block_stub(self, address: str) -> Stub:
        with self._channel_lock:
            channel = self._channels.get(address)
            if channel is None:
                channel = self._channels[address] = make_channel(address, self.security)
        return Stub(channel, BLOCKS)

    # ------------------------------------------------------------------ shuffle

    def write_shuffle(self, spec: ShuffleWriteSpec, map_index: int, records: Any, context: Any) -> MapStatus:
        writer = ShuffleWriter(spec, self.shuffle_dir, map_index, context.taskAttemptId(),
                               self.executor_id, self.host, self.block_address, self.batch_size,
                               memory_limit=self.task_memory())
        status = writer.write(records)
        metrics = getattr(context, "task_metrics", None)
        if metrics is not None:
            metrics.shuffle_bytes_written += sum(status.sizes)
            metrics.shuffle_records_written += writer.records_written
            metrics.shuffle_write_time += writer.write_time_ns
            metrics.add_spill(writer.spilled_memory, writer.spilled_disk)
            metrics.note_memory(writer.peak_memory)
        return status

    def close(self) -> None:
        with self._channel_lock:
            for channel in self._channels.values():
                channel.close()
            self._channels.clear()
