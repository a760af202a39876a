"""Executor: one process that runs tasks for one application.

Life: start the BlockService, open the ``Connect`` stream to the driver,
register, then handle driver messages in order on the main thread until the
stream ends — a Shutdown, the driver stopping, or the driver dying (its socket
closes even on SIGKILL). Then remove the local dir and exit. A watchdog also
exits if the parent process (local mode) disappears.

Tasks run on ``cores`` worker threads. A stage's binary arrives once per
stage attempt and is unpickled by each task. Killing a task raises
``TaskKilled`` inside its thread (see task_kill.py).

THREADING: main thread = driver messages; task threads = tasks; a heartbeat
thread; gRPC threads for the block service and the request stream.
"""
from __future__ import annotations

import logging
import os
import pickle
import queue
import shutil
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import grpc

from sparklite.config import Settings
from sparklite.executor.env import ExecutorEnv
from sparklite.executor.result_store import TaskResultStore
from sparklite.executor.task_kill import TaskKills
from sparklite.errors import TaskFailure
from sparklite.executor.task_runner import killed_status, run_task
from sparklite.rpc.block_service import BlockServicer
from sparklite.rpc.channels import RpcSecurity, make_channel, make_server
from sparklite.rpc.generated import sparklite_pb2 as pb
from sparklite.rpc.services import BLOCKS, DRIVER, Stub, generic_handler
from sparklite.rpc.streams import CLOSE, drain

log = logging.getLogger(__name__)



def _tune_gc(thresholds: tuple[int, ...]) -> None:
    """Fewer collections while tasks build containers; what start-up imported is never collected."""
    import gc

    gc.freeze()  # the modules' objects: long-lived, and traversed by every full collection
    if thresholds:
        gc.set_threshold(*thresholds)


class _Stage:
    """A stage's binary (received once) and its map locations per attempt.

    The body is unpickled afresh for every task, as PySpark does: closures
    that keep state in captured objects then behave as they would there, and
    the cost is small next to running the task.
    """

    def __init__(self, binary: bytes):
        self.binary = binary
        self.map_locations: dict[int, dict[int, list]] = {}

    def body(self) -> Any:
        return pickle.loads(self.binary)


class Executor:
    def __init__(self, executor_id: str, driver_address: str, cores: int, app_id: str,
                 app_dir: str, host: str, security: RpcSecurity, parent_pid: int | None = None,
                 resources: dict[str, list[str]] | None = None, profile_id: int = 0):
        self.executor_id = executor_id
        self.driver_address = driver_address
        self.cores = cores
        self.app_id = app_id
        self.host = host
        self.security = security
        self.parent_pid = parent_pid
        #: resource addresses this executor was given (the driver assigns them to tasks)
        self.resources = {str(n): [str(a) for a in addrs] for n, addrs in (resources or {}).items()}
        self.profile_id = profile_id
        self.local_dir = os.path.join(app_dir, f"executor-{executor_id}")
        os.makedirs(os.path.join(self.local_dir, "shuffle"), exist_ok=True)
        self.outbox: queue.Queue = queue.Queue()
        self.stages: dict[int, _Stage] = {}
        #: (stage id, attempt) -> (binary pieces, map location pieces) of a stage binary still arriving
        self._partial_stages: dict[tuple[int, int], tuple[list[bytes], list[bytes]]] = {}
        self.env: ExecutorEnv | None = None
        self.pool = ThreadPoolExecutor(max_workers=cores, thread_name_prefix="task")
        self.kills = TaskKills()
        #: task payloads too big to send inline, until the driver fetches or drops them
        self.results = TaskResultStore(os.path.join(self.local_dir, "results"))
        self._stopped = threading.Event()
        self._chunk_size = 1 << 20

    # ------------------------------------------------------------------ life

    def run(self) -> int:
        servicer = BlockServicer(os.path.join(self.local_dir, "shuffle"), lambda: self._chunk_size,
                                 self._block_bytes, self.executor_id,
                                 lambda: self.env.settings if self.env is not None else None,
                                 self._put_block, self.results.chunks)
        server, port = make_server([generic_handler(BLOCKS, servicer)], self.host, 0, self.security,
                                   max_workers=16, name=f"executor {self.executor_id}")
        self.block_address = f"{self.host}:{port}"
        channel = make_channel(self.driver_address, self.security)
        if self.parent_pid:
            threading.Thread(target=self._watch_parent, name="parent-watchdog", daemon=True).start()
        # a standalone worker says where it serves this executor's stdout/stderr (Spark's variables)
        log_urls = {kind: os.environ[var] for kind, var in (("stdout", "SPARK_LOG_URL_STDOUT"),
                                                            ("stderr", "SPARK_LOG_URL_STDERR"))
                    if os.environ.get(var)}
        self.outbox.put(pb.ExecutorMessage(register=pb.RegisterExecutor(
            executor_id=self.executor_id, host=self.host, block_port=port, cores=self.cores,
            pid=os.getpid(), local_dir=self.local_dir, log_urls=log_urls,
            resource_profile_id=self.profile_id,
            resources={n: pb.ResourceAddresses(addresses=a) for n, a in self.resources.items()})))
        code = 0
        try:
            for msg in Stub(channel, DRIVER).Connect(drain(self.outbox)):
                if not self._handle(msg, channel):
                    break
        except grpc.RpcError as exc:
            log.info("executor %s: driver connection ended (%s)", self.executor_id, exc.code().name)
            code = 0 if exc.code() == grpc.StatusCode.CANCELLED else 1
        finally:
            self._stopped.set()
            self.outbox.put(CLOSE)
            server.stop(0)
            shutil.rmtree(self.local_dir, ignore_errors=True)
        return code

    def _watch_parent(self) -> None:
        while not self._stopped.wait(0.5):
            if os.getppid() != self.parent_pid:
                log.warning("executor %s: driver process %s is gone; exiting", self.executor_id,
                            self.parent_pid)
                shutil.rmtree(self.local_dir, ignore_errors=True)
                os._exit(1)

    def _heartbeat(self, interval: float) -> None:
        while not self._stopped.wait(interval):
            running = self.kills.running_ids()
            self.outbox.put(pb.ExecutorMessage(heartbeat=pb.Heartbeat(
                timestamp_ms=int(time.time() * 1000), running_task_ids=running)))

    # ------------------------------------------------------------------ messages

    def _handle(self, msg: pb.DriverMessage, channel: Any) -> bool:
        kind = msg.WhichOneof("kind")
        if kind == "launch_task":
            self._launch(msg.launch_task)
        elif kind == "stage_binary":
            self._stage_binary_piece(msg.stage_binary)
        elif kind == "registered":
            self._registered(msg.registered, channel)
        elif kind == "kill_task":
            self._kill(msg.kill_task.task_id, msg.kill_task.reason)
        elif kind == "drop_task_results":
            self.results.drop(list(msg.drop_task_results.task_ids))
        elif kind == "remove_stage":
            self.stages.pop(msg.remove_stage.stage_id, None)
        elif kind == "remove_shuffle":
            from sparklite.shuffle.index_file import remove_shuffle

            remove_shuffle(os.path.join(self.local_dir, "shuffle"), msg.remove_shuffle.shuffle_id)
        elif kind == "remove_broadcast" and self.env is not None:
            self.env.broadcasts.remove(msg.remove_broadcast.broadcast_id)
        elif kind == "remove_blocks" and self.env is not None:
            for block_id in msg.remove_blocks.block_ids:
                self.env.block_manager.remove(block_id)
        elif kind == "thread_dump":
            from sparklite.thread_dump import thread_dump

            self.outbox.put(pb.ExecutorMessage(thread_dump=pb.ThreadDump(
                request_id=msg.thread_dump.request_id, text=thread_dump())))
        elif kind == "shutdown":
            return False
        return True

    def _stage_binary_piece(self, sb: pb.StageBinary) -> None:
        """Collect the pieces of a stage binary (see driver_endpoint.stage_binary_pieces)."""
        key = (sb.stage_id, sb.stage_attempt)
        binary, locations = self._partial_stages.setdefault(key, ([], []))
        binary.append(sb.binary)
        locations.append(sb.map_locations)
        if sb.more:
            return
        del self._partial_stages[key]
        stage = self.stages.get(sb.stage_id)
        if stage is None:
            stage = self.stages[sb.stage_id] = _Stage(b"".join(binary))
        data = b"".join(locations)
        stage.map_locations[sb.stage_attempt] = pickle.loads(data) if data else {}

    def _registered(self, registered: pb.Registered, channel: Any) -> None:
        settings = Settings(pickle.loads(registered.conf), warn_unknown=False)  # the driver did
        from sparklite.logs import configure_logging

        configure_logging(settings.get("sparklite.logLevel"))
        _tune_gc(settings.get("sparklite.executor.gcThresholds"))
        from sparklite.executor.task_metrics import install_gc_timer

        install_gc_timer()
        self.env = ExecutorEnv(self.executor_id, self.host, registered.app_id, self.local_dir, settings,
                               self.security, channel, self.block_address, self.outbox.put, self.cores)
        self._chunk_size = self.env.fetch_chunk_size
        self.results.max_direct = settings.get("spark.task.maxDirectResultSize")
        self.results.max_result_size = settings.get("spark.driver.maxResultSize")
        limit = settings.get("spark.executor.pyspark.memory")
        if limit:  # before any task allocates (see memory_limit.py)
            from sparklite.executor.memory_limit import apply_python_memory_limit

            if apply_python_memory_limit(limit, self.cores) is not None:
                self.env.python_memory_limit = settings.raw()["spark.executor.pyspark.memory"]
        interval = float(settings.get("spark.executor.heartbeatInterval"))
        threading.Thread(target=self._heartbeat, args=(interval,), name="heartbeat", daemon=True).start()

    def _launch(self, launch: pb.LaunchTask) -> None:
        stage = self.stages.get(launch.stage_id)
        if stage is None:
            raise RuntimeError(f"task {launch.task_id} of unknown stage {launch.stage_id}")
        locations = stage.map_locations.get(launch.stage_attempt, {})
        self.pool.submit(self._run_task, stage, locations, launch)

    def _run_task(self, stage: _Stage, locations: dict[int, list], launch: pb.LaunchTask) -> None:
        status = self.kills.run(launch.task_id, lambda: run_task(self.env, stage.body, locations, launch),
                                lambda: killed_status(launch.task_id))
        try:
            status = self.results.slim(status)
        except OSError as exc:  # e.g. a full disk: the task fails (and is retried), the executor stays
            status = pb.TaskStatus(task_id=launch.task_id, state=pb.FAILED, failure=pickle.dumps(TaskFailure(
                f"executor {self.executor_id} could not store the task's result "
                f"({status.ByteSize()} bytes) for the driver to fetch: {exc}")))
        self.outbox.put(pb.ExecutorMessage(task_status=status))

    def _kill(self, task_id: int, reason: str) -> None:
        if not self.kills.kill(task_id) or self.env is None:
            return
        settings = self.env.settings
        if settings.get("spark.task.reaper.enabled") and settings.get("spark.task.reaper.threadDump"):
            timer = threading.Timer(settings.get("spark.task.reaper.killTimeout"), self._report_stuck, (task_id,))
            timer.daemon = True
            timer.start()

    def _report_stuck(self, task_id: int) -> None:
        """The task reaper's thread dump: the driver replaces this executor now (task_scheduler.py)."""
        stack = self.kills.stack_of(task_id)
        if stack is not None:
            log.warning("executor %s: killed task %d is still running; the driver replaces this "
                        "executor (spark.task.reaper.killTimeout). The task's thread is at:\n%s",
                        self.executor_id, task_id, stack)

    def _block_bytes(self, block_id: str) -> Any:
        return None if self.env is None else self.env.block_manager.block_bytes(block_id)

    def _put_block(self, block_id: str, level: str, data: bytes) -> bool:
        if self.env is None:
            raise ValueError("executor not registered yet")
        return self.env.block_manager.put_replica(block_id, level, data)
