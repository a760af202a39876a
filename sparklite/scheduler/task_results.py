"""Task results on the driver: checked against spark.driver.maxResultSize before they are held,
and fetched from the executor when they were too big to travel inline.

Every finished task of a result stage reports its result's pickled size. The
TaskScheduler asks :meth:`TaskResultGetter.admit` first, which adds it to its
task set's running total (Spark's ``canFetchMoreResults``); past the limit the
job fails naming the key, and the result is never fetched (or, inline, never
kept). A status whose payload stayed on the executor (``TaskStatus.stored_size``,
see executor/result_store.py) is then fetched on a small pool, in chunks,
straight into a file of the driver's application directory: a job's results
do not sit in the driver's memory while it runs, only when the action loads
them (:func:`load_result`, one partition at a time). The fetched status comes
back through the event loop as an ordinary StatusUpdated. Payloads nobody will
fetch (a failed job, a stale attempt) are dropped on their executor.

THREADING: ``admit``/``fetch``/``forget`` on the scheduler thread; downloads on
the pool, which only posts events.
"""
from __future__ import annotations

import logging
import os
import pickle
import tempfile
import weakref
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable

import grpc

from sparklite import serializers
from sparklite.errors import TaskFailure
from sparklite.rpc.channels import RpcSecurity, make_channel
from sparklite.rpc.generated import sparklite_pb2 as pb
from sparklite.rpc.services import BLOCKS, Stub
from sparklite.scheduler import events as ev

log = logging.getLogger(__name__)

#: Spark's spark.resultGetter.threads
GETTER_THREADS = 4
#: slowest transfer rate a fetch deadline allows for, on top of spark.network.timeout
MIN_FETCH_RATE = 8 << 20


class SpilledResult:
    """A fetched result waiting in a driver file until its action loads it; the file goes with it."""

    def __init__(self, path: str, size: int):
        self.path = path
        self.size = size
        self._remove = weakref.finalize(self, _remove_file, path)

    def load(self) -> Any:
        with open(self.path, "rb") as f:
            value = pickle.load(f)  # streams: the pickle's bytes are never all in memory
        self.discard()
        return value

    def discard(self) -> None:
        self._remove()


def _remove_file(path: str) -> None:
    try:
        os.remove(path)
    except OSError:
        pass


def load_result(result: bytes | SpilledResult) -> Any:
    """The value of one task result, inline bytes or a spilled file."""
    return result.load() if isinstance(result, SpilledResult) else serializers.loads(result)


def discard_results(results: list[Any]) -> None:
    for result in results:
        if isinstance(result, SpilledResult):
            result.discard()


def _size(n: int) -> str:
    return f"{n / (1 << 20):.1f} MiB"


class TaskResultGetter:
    def __init__(self, max_result_size: int = 0, result_dir: str | None = None,
                 security: RpcSecurity | None = None, post: Callable[[Any], None] | None = None,
                 drop: Callable[[str, list[int]], None] | None = None, timeout: float = 120.0):
        #: spark.driver.maxResultSize; 0: no limit
        self.max_result_size = max_result_size
        self._result_dir = result_dir
        self._security = security
        self._post = post
        self._drop = drop
        self._timeout = timeout
        self._pool: ThreadPoolExecutor | None = None
        #: task ids whose admitted status is being fetched: its second arrival is not counted again
        self._fetched: set[int] = set()
        #: stored payloads fetched so far (inspection, tests)
        self.fetches = 0

    # ------------------------------------------------------------------ scheduler thread

    def admit(self, manager: Any, task_id: int, size: int, dropped: bool = False) -> str | None:
        """Count a result task's result against the limit; the job's abort message if it is over."""
        if task_id in self._fetched:  # counted when its status first arrived
            return None
        manager.result_bytes += size
        manager.result_count += 1
        if self.max_result_size <= 0 or (manager.result_bytes <= self.max_result_size and not dropped):
            return None
        return (f"Total size of serialized results of {manager.result_count} tasks "
                f"({_size(manager.result_bytes)}) is bigger than spark.driver.maxResultSize "
                f"({_size(self.max_result_size)})")

    def fetch(self, executor_id: str, address: str, task_id: int, stored_size: int, into_file: bool) -> None:
        """Download a stored payload; its status is posted again, with the payload, when it is here."""
        if self._post is None or self._security is None:
            raise RuntimeError("this TaskScheduler cannot fetch stored task results")
        if self._pool is None:
            self._pool = ThreadPoolExecutor(GETTER_THREADS, thread_name_prefix="task-result-getter")
        self._fetched.add(task_id)
        self.fetches += 1
        self._pool.submit(self._fetch, executor_id, address, task_id, stored_size, into_file)

    def settled(self, task_id: int) -> None:
        """The status of ``task_id`` has been acted on."""
        self._fetched.discard(task_id)

    def forget(self, executor_id: str, task_id: int, stored_size: int) -> None:
        """Nobody will use this status: drop its stored payload on the executor."""
        self._fetched.discard(task_id)
        if stored_size and self._drop is not None:
            self._drop(executor_id, [task_id])

    def stop(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)

    # ------------------------------------------------------------------ pool

    def _fetch(self, executor_id: str, address: str, task_id: int, stored_size: int, into_file: bool) -> None:
        assert self._post is not None
        try:
            status, result = self._download(address, task_id, stored_size, into_file)
        except Exception as exc:  # the executor died, or its file is gone: the task runs again
            log.warning("could not fetch the result of task %d from executor %s: %s", task_id, executor_id, exc)
            if self._drop is not None:
                self._drop(executor_id, [task_id])
            # a lost connection is the executor dying (not the task's fault); a missing payload is
            # counted, so a task whose result keeps vanishing cannot be retried forever
            lost = isinstance(exc, grpc.RpcError) and exc.code() in (  # type: ignore[attr-defined]
                grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.CANCELLED, grpc.StatusCode.DEADLINE_EXCEEDED)
            failure = TaskFailure(f"the result of task {task_id} could not be fetched from executor "
                                  f"{executor_id}: {exc}", counts=not lost)
            self._post(ev.StatusUpdated(executor_id, task_id, pb.FAILED, b"", b"", pickle.dumps(failure)))
            return
        self._post(ev.StatusUpdated(executor_id, task_id, status.state, result, status.accumulator_updates,
                                    status.failure, result_size=status.result_size,
                                    metrics=status.metrics if status.HasField("metrics") else None))

    def _download(self, address: str, task_id: int, stored_size: int,
                  into_file: bool) -> tuple[pb.TaskStatus, bytes | SpilledResult]:
        assert self._security is not None
        channel = make_channel(address, self._security)
        head = bytearray()
        status: pb.TaskStatus | None = None
        out: Any = None
        received = 0
        try:
            deadline = self._timeout + stored_size / MIN_FETCH_RATE
            for chunk in Stub(channel, BLOCKS).FetchTaskResult(pb.TaskResultRequest(task_id=task_id),
                                                               timeout=deadline):
                data = chunk.data
                received += len(data)
                if status is None:
                    head += data
                    if len(head) < 8 or len(head) < 8 + int.from_bytes(head[:8], "big"):
                        continue
                    end = 8 + int.from_bytes(head[:8], "big")
                    status = pb.TaskStatus.FromString(bytes(head[8:end]))
                    out = self._open_output(task_id, into_file and status.state == pb.FINISHED)
                    data = bytes(head[end:])
                    head.clear()
                out.write(data)
            if status is None or received != stored_size:
                raise EOFError(f"got {received} of {stored_size} bytes")
            return status, self._finish_output(out, status.result_size)
        except BaseException:
            if isinstance(out, _FileOutput):
                out.abandon()
            raise
        finally:
            channel.close()

    def _open_output(self, task_id: int, into_file: bool) -> Any:
        if not into_file or self._result_dir is None:
            return _MemoryOutput()
        os.makedirs(self._result_dir, exist_ok=True)
        fd, path = tempfile.mkstemp(prefix=f"task-{task_id}-", dir=self._result_dir)
        return _FileOutput(os.fdopen(fd, "wb"), path)

    @staticmethod
    def _finish_output(out: Any, size: int) -> bytes | SpilledResult:
        if isinstance(out, _FileOutput):
            return out.close(size)
        return bytes(out.buffer)


class _MemoryOutput:
    def __init__(self) -> None:
        self.buffer = bytearray()

    def write(self, data: bytes) -> None:
        self.buffer += data


class _FileOutput:
    def __init__(self, f: Any, path: str):
        self._f = f
        self.path = path

    def write(self, data: bytes) -> None:
        self._f.write(data)

    def close(self, size: int) -> SpilledResult:
        self._f.close()
        return SpilledResult(self.path, size)

    def abandon(self) -> None:
        self._f.close()
        _remove_file(self.path)
