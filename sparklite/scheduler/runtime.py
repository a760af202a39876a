"""Runtime: the driver's scheduling machinery for one application, wired together.

SparkContext owns one Runtime. It builds, in order: the scheduler event loop,
the DriverEndpoint and its gRPC server, the backend (local processes or a
standalone master's executors), the TaskScheduler and the DAGScheduler; and
it is the single place that routes each event to the component that handles
it. ``run_job`` is what every action ends in.

THREADING: ``handle`` runs on the scheduler thread only; ``run_job``,
``cancel_*`` and ``stop`` are called from user threads and only post events.
"""
from __future__ import annotations

import itertools
import logging
import os
import pickle
import sys
import threading
import time
from typing import Any, Callable

from sparklite.accumulators import AccumulatorRegistry
from sparklite.broadcast import blob_key
from sparklite.config import Settings
from sparklite.errors import JobCancelledError, JobInterrupted, SparkliteError, SparkliteJobError
from sparklite.resource_discovery import resource_requests
from sparklite.rpc.channels import RpcSecurity, make_server
from sparklite.rpc.driver_service import DriverServicer
from sparklite.rpc.generated import sparklite_pb2 as pb
from sparklite.rpc.services import DRIVER, generic_handler
from sparklite.scheduler import events as ev
from sparklite.scheduler.barrier import BarrierCoordinator
from sparklite.scheduler.dag_scheduler import DAGScheduler
from sparklite.scheduler.driver_endpoint import DriverEndpoint, ExecutorHandle
from sparklite.scheduler.event_loop import EventLoop
from sparklite.scheduler.handler_failures import HandlerFailures
from sparklite.scheduler.job import JobWaiter
from sparklite.scheduler.map_output_tracker import MapOutputTracker
from sparklite.scheduler.master_url import LocalMaster, RayMaster, parse_master
from sparklite.scheduler.observers import Observers
from sparklite.scheduler.task_results import TaskResultGetter, discard_results, load_result
from sparklite.scheduler.task_scheduler import TaskScheduler
from sparklite.storage.blob_store import BlobStore
from sparklite.storage.block_manager_master import BlockManagerMaster
from sparklite.ui.progress import console_progress

log = logging.getLogger(__name__)

HEARTBEAT_CHECK_EVERY = 2.0
#: seconds between warnings while a job waits for a busy cluster's executors (spark.starvation.timeout)
STARVATION_WARNING = 15.0
#: longest wait, after a job's action returned, for the listeners to have seen the job end
JOB_END_DELIVERY_TIMEOUT = 10.0
#: seconds between checks that the scheduler still knows a job that is being waited for
LIVENESS_CHECK_EVERY = 5.0
#: longest wait for a cancelled job to report that it ended
CANCEL_WAIT = 10.0


def _remove_shuffle(shuffle_id: int) -> pb.DriverMessage:
    return pb.DriverMessage(remove_shuffle=pb.RemoveShuffle(shuffle_id=shuffle_id))


def driver_addresses(settings: Settings) -> tuple[str, str]:
    """(address executors use to reach the driver, address the driver binds)."""
    master = parse_master(settings.get("spark.master"))
    host = settings.get("spark.driver.host")
    if not host and isinstance(master, RayMaster):
        from sparklite.scheduler.ray_backend import driver_host

        host = driver_host(settings, master)
    if not host:
        host = "127.0.0.1" if isinstance(master, LocalMaster) else _route_to(*master.hosts[0])
    return host, settings.get("spark.driver.bindAddress") or host


def local_launcher(settings: Settings, master: LocalMaster, app_id: str, app_dir: str, secret: str) -> Any:
    """What starts a local master's executor processes (started now: see executor/launch.py)."""
    from sparklite.executor import launch

    return launch.LocalLauncher(master.executors, settings.get("spark.executor.cores"), app_id, app_dir,
                                secret, launch.extra_env(settings), settings.get("sparklite.executor.forkServer"))


def _route_to(host: str, port: int) -> str:
    """The local address the OS would use to reach ``host`` (no packet is sent)."""
    import socket

    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect((socket.gethostbyname(host), port))
            return probe.getsockname()[0]
    except OSError:
        return socket.gethostbyname(socket.gethostname())


class Runtime:
    def __init__(self, settings: Settings, app_id: str, app_dir: str, security: RpcSecurity,
                 accumulators: AccumulatorRegistry, blob_store: BlobStore, launcher: Any = None):
        self.settings = settings
        self.app_id = app_id
        self.app_dir = app_dir
        self.security = security
        self.blob_store = blob_store
        self.accumulators = accumulators
        self.tracker = MapOutputTracker()
        self.block_master = BlockManagerMaster()
        self._job_ids = itertools.count()
        self._job_lock = threading.Lock()
        self._first_executor = threading.Event()
        self._fatal: str | None = None
        #: set when the driver program is ending with an error (an uncaught exception)
        self.ending_with_error: str | None = None
        self._started = time.monotonic()
        master = parse_master(settings.get("spark.master"))
        max_failures = master.max_failures if isinstance(master, LocalMaster) and master.max_failures \
            else settings.get("spark.task.maxFailures")

        self.loop = EventLoop("sparklite-scheduler", self.handle, self._handler_failed)
        conf_payload = pickle.dumps(settings.raw())
        self.endpoint = DriverEndpoint(self.loop.post, app_id, conf_payload, blob_store, self._registered)
        host, bind = driver_addresses(settings)
        self.barrier = BarrierCoordinator(settings.get("spark.barrier.sync.timeout"))
        servicer = DriverServicer(self.endpoint, self.block_master, self.barrier)
        self.server, port = make_server([generic_handler(DRIVER, servicer)], bind,
                                        settings.get("spark.driver.port"), security, max_workers=256,
                                        name="the driver")
        self.driver_address = f"{host}:{port}"
        #: the listener bus, its emitter, the status store, event log and web UI (issue 13)
        try:
            self.observers = Observers(settings, app_id, app_dir, host, bind, security.secret,
                                       lambda executor_id: self.endpoint.thread_dump(executor_id))
        except BaseException:  # e.g. a missing spark.eventLog.dir: fail start-up, leave no server
            self.server.stop(grace=0)
            raise
        self.listeners = self.observers.bus
        self.status = self.observers.store
        self.emitter = self.observers.emitter
        self.backend = self._make_backend(master, launcher)
        if hasattr(self.backend, "ui_url"):  # the master's page links to the application's UI
            self.backend.ui_url, self.backend.start_time = self.observers.ui_url, self.observers.start_time
        self.results = TaskResultGetter(settings.get("spark.driver.maxResultSize"),
                                        os.path.join(app_dir, "results"), security, self.loop.post,
                                        self.endpoint.drop_task_results, settings.get("spark.network.timeout"))
        self.task_scheduler = TaskScheduler(
            self.backend, max_failures, settings.get("spark.task.cpus"),
            settings.get("spark.locality.wait"), time.monotonic,
            lambda delay: self.loop.post_delayed(delay, ev.OffersRevived()),
            settings.get("sparklite.task.maxExecutorLosses"), self.results,
            settings.get("spark.task.reaper.killTimeout") if settings.get("spark.task.reaper.enabled") else None,
            lambda delay: self.loop.post_delayed(delay, ev.KilledTasksChecked()))
        self.task_scheduler.barrier_aborted = self.barrier.abort_attempt
        self.task_scheduler.default_task_resources = {
            n: r.amount for n, r in resource_requests(settings.raw(), "task").items()}
        self.task_scheduler.default_executor_resources = {
            n: r.amount for n, r in resource_requests(settings.raw(), "executor").items()}
        self.task_scheduler.listener = self.emitter
        self.listeners.add(self.barrier, "appStatus")
        self.dag = DAGScheduler(self.task_scheduler, self.tracker, self.block_master, accumulators,
                                self.loop.post_delayed, self.emitter,
                                settings.get("spark.stage.maxConsecutiveAttempts"))
        self.dag.profile_merge_conflicts = settings.get("spark.scheduler.resource.profileMergeConflicts")
        self.failures = HandlerFailures(self.dag, self.task_scheduler)
        self.dag.on_stage_removed = self.endpoint.forget_stage
        self.dag.on_shuffle_removed = lambda sid: self.endpoint.send_all(_remove_shuffle(sid))
        self.dag.on_orphan_output = lambda eid, sid: self.endpoint.send(eid, _remove_shuffle(sid))
        self.loop.start()
        from sparklite.storage import budget

        self._storage_memory = budget.storage_capacity(settings)
        self.observers.application_started(self.driver_address, self._storage_memory)
        self.backend.start(self.driver_address)
        self._heartbeat_check_every = min(HEARTBEAT_CHECK_EVERY, settings.get("spark.network.timeout") / 4)
        self.loop.post_delayed(self._heartbeat_check_every, ev.HeartbeatsChecked())
        #: the console progress bar (spark.ui.showConsoleProgress, on a terminal only)
        self.progress = console_progress(settings, sys.stderr)
        if self.progress is not None:
            self.listeners.add(self.progress, "appStatus")

    def _make_backend(self, master: Any, launcher: Any) -> Any:
        if isinstance(master, LocalMaster):
            from sparklite.scheduler.local_backend import LocalBackend

            if launcher is None:
                launcher = local_launcher(self.settings, master, self.app_id, self.app_dir,
                                          self.security.secret or "")
            backend = LocalBackend(self.endpoint, self._fail_app, master.executors, self.app_id,
                                   self.app_dir, launcher, cores=self.settings.get("spark.executor.cores"),
                                   max_start_failures=self.settings.get("spark.deploy.maxExecutorRetries"),
                                   crash_replacements=self.settings.test_flag(
                                       "sparklite.test.crashReplacementExecutors") == "true",
                                   raw_conf=self.settings.raw())
            self.endpoint.describe_loss = backend.describe_loss
            return backend
        if isinstance(master, RayMaster):
            from sparklite.scheduler.ray_backend import RayBackend

            return RayBackend(self.endpoint, self._fail_app, master, self.settings, self.app_id,
                              self.security)
        from sparklite.scheduler.standalone_backend import StandaloneBackend

        return StandaloneBackend(self.endpoint, self._fail_app, master, self.settings, self.app_id,
                                 self.security, lambda: self._fatal or self.ending_with_error)

    def _registered(self, handle: ExecutorHandle) -> None:
        on_registered = getattr(self.backend, "on_registered", None)
        if on_registered is not None:
            on_registered(handle.executor_id)
        self._first_executor.set()

    def _fail_app(self, message: str) -> None:
        self._fatal = message
        self.loop.post(ev.AllJobsCancelled(message))

    # ================================================================= scheduler thread

    def handle(self, event: Any) -> None:
        self.failures.note_event(event)
        self._dispatch(event)
        self.failures.note_event(None)  # handled: nothing to remember (see _handler_failed)

    def _dispatch(self, event: Any) -> None:
        ts = self.task_scheduler
        if isinstance(event, ev.StatusUpdated):
            ts.status_update(event.executor_id, event.task_id, event.state, event.result,
                             event.accumulator_updates, event.failure, event.metrics, event.stored_size,
                             event.result_size, event.result_dropped)
        elif isinstance(event, ev.ExecutorRegistered):
            self.block_master.register_executor(event.executor_id, event.block_address)
            self.emitter.executor_added(  # listener: before its first task starts
                event.executor_id, event.host, event.cores, event.block_address,
                self.observers.executor_log_urls(event.executor_id, dict(event.log_urls)),
                self._storage_memory)
            ts.executor_added(event.executor_id, event.host, event.cores, event.block_address,
                              event.resources, event.resource_profile_id)
        elif isinstance(event, ev.ExecutorLost):
            self.backend.executor_lost(event.executor_id, event.reason)
            ts.executor_lost(event.executor_id, event.reason)
            self.emitter.executor_removed(event.executor_id, event.reason)  # listener: after its tasks
        elif isinstance(event, ev.BlockUpdated):
            self.block_master.update(event.executor_id, event.block_id, event.storage_level,
                                     event.memory_size, event.disk_size)
            self.emitter.block_updated(event.executor_id, event.block_id, event.storage_level,
                                       event.memory_size, event.disk_size)  # listener
        elif isinstance(event, ev.OffersRevived):
            ts.revive_offers()
        elif isinstance(event, ev.KilledTasksChecked):
            ts.reap_unkillable()
        elif isinstance(event, ev.HeartbeatsChecked):
            try:
                self.endpoint.expire_silent(self.settings.get("spark.network.timeout"))
                if hasattr(self.backend, "retire_executor"):
                    ts.stop_idle_profile_executors(
                        self.settings.get("spark.dynamicAllocation.executorIdleTimeout"))
            finally:  # the check must keep running, whatever one round met
                self.loop.post_delayed(self._heartbeat_check_every, ev.HeartbeatsChecked())
        elif isinstance(event, ev.CallRequested):
            try:
                event.reply((True, event.func()))
            except BaseException as exc:
                event.reply((False, exc))
        elif isinstance(event, ev.StopRequested):
            self.dag.stop(event.reason)
        else:
            self.dag.handle(event)

    def _handler_failed(self, event: Any, exc: BaseException) -> None:
        self.failures.handler_failed(event, exc)

    @property
    def scheduler_errors(self) -> list[str]:
        """The last internal errors of the scheduler thread (each failed the jobs it concerned)."""
        return list(self.failures.recent)

    # ================================================================= user threads

    def next_job_id(self) -> int:
        with self._job_lock:
            return next(self._job_ids)

    def run_job(self, rdd: Any, func: Callable[[Any], Any], partitions: list[int],
                properties: dict[str, str], call_site: Any = None) -> list[Any]:
        """Run ``func`` over the given partitions of ``rdd``; returns one value per partition."""
        if self._fatal:
            raise SparkliteJobError(f"the application cannot run jobs: {self._fatal}")
        job_id = self.next_job_id()
        waiter = JobWaiter(len(partitions))
        if call_site is not None:
            self.emitter.set_job_call_site(job_id, call_site)
        self.loop.post(ev.JobSubmitted(job_id, rdd, func, list(partitions), waiter, dict(properties)))
        try:
            self._wait(waiter, job_id)
        except BaseException:
            discard_results(waiter.results)  # a failed job's fetched results go at once
            raise
        finally:
            # the UI, status tracker and listeners show the job's end when the action returns
            self.listeners.wait_for_job_end(job_id, JOB_END_DELIVERY_TIMEOUT)
            if self.progress is not None:
                self.progress.job_returned(job_id)  # erase the bar before the caller prints
        results, waiter.results = waiter.results, []
        values = []
        try:
            for i, result in enumerate(results):  # one partition's bytes in memory at a time
                values.append(load_result(result))  # type: ignore[arg-type]
                results[i] = None
        finally:
            discard_results(results)
        return values

    def run_job_within(self, rdd: Any, func: Callable[[Any], Any], partitions: list[int],
                       properties: dict[str, str], timeout: float, call_site: Any = None) -> list[Any]:
        """Like run_job, but after ``timeout`` seconds cancel the job and return what finished:
        one value per partition, None for the partitions that did not (approximate actions)."""
        if self._fatal:
            raise SparkliteJobError(f"the application cannot run jobs: {self._fatal}")
        job_id = self.next_job_id()
        waiter = JobWaiter(len(partitions))
        if call_site is not None:
            self.emitter.set_job_call_site(job_id, call_site)
        self.loop.post(ev.JobSubmitted(job_id, rdd, func, list(partitions), waiter, dict(properties)))
        try:
            if not self._wait(waiter, job_id, timeout):
                self.loop.post(ev.JobCancelled(job_id, "approximate job: timeout reached"))
                self._wait(waiter, job_id, CANCEL_WAIT)
        except JobCancelledError:
            pass  # the partitions that finished are the answer
        return [None if r is None else load_result(r) for r in list(waiter.results)]

    def remove_shuffles(self, shuffle_ids: list[int]) -> list[int]:
        """Forget the map outputs of shuffles no running job needs and delete their files on
        every executor; returns the shuffle ids removed."""
        def forget() -> list[int]:
            return [sid for sid in shuffle_ids if self.dag.remove_shuffle(sid)]

        removed = self.call(forget)
        for shuffle_id in removed:
            self.endpoint.send_all(_remove_shuffle(shuffle_id))
        return removed

    def remove_rdd_blocks(self, rdd_id: int, blocking: bool) -> None:
        """Drop an RDD's cached blocks on every executor holding some (unpersist, the cleaner);
        ``blocking`` waits (up to spark.network.timeout) for them to confirm."""
        from sparklite.scheduler.listener_events import UnpersistRDD

        self.listeners.post(UnpersistRDD(rdd_id))  # listener: the UI's Storage tab, the event log
        by_executor = self.block_master.remove_rdd(rdd_id)
        for executor_id, block_ids in by_executor.items():
            if not self.endpoint.send(executor_id, pb.DriverMessage(
                    remove_blocks=pb.RemoveBlocks(block_ids=block_ids))):
                self.block_master.remove_executor(executor_id)  # gone already: nothing to wait for
        if blocking and by_executor:
            timeout = self.settings.get("spark.network.timeout")
            if not self.block_master.wait_removed(rdd_id, timeout):
                log.warning("removing the blocks of RDD %d: executors did not confirm within %.0f s",
                            rdd_id, timeout)

    def remove_broadcast(self, broadcast_id: int, from_driver: bool) -> None:
        """Drop a broadcast's copies on the executors, and its bytes on the driver too if asked."""
        if from_driver:
            self.blob_store.remove(blob_key(broadcast_id))
        self.endpoint.send_all(pb.DriverMessage(remove_broadcast=pb.RemoveBroadcast(broadcast_id=broadcast_id)))

    def _wait(self, waiter: JobWaiter, job_id: int, timeout: float | None = None) -> bool:
        """Wait for the job to end: raise its error if it failed; False if ``timeout`` passed.

        Liveness: a job whose scheduler thread died, or that the scheduler no longer knows
        while its waiter is still open (an internal error lost it), fails at once instead of
        waiting forever; so does a job that no executor registered for in time.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        watch = _JobWatch(self, waiter, job_id)
        try:
            while not waiter.wait(0.25 if deadline is None else
                                  min(0.25, max(0.0, deadline - time.monotonic()))):
                if deadline is not None and time.monotonic() >= deadline:
                    return False
                watch.check()
        except KeyboardInterrupt as interrupt:
            raise self._interrupted(job_id, waiter, interrupt) from None
        waiter.raise_if_failed()
        return True

    def scheduler_failure(self) -> str | None:
        """Why the scheduler thread can no longer run jobs, or None while it can."""
        if self.loop.is_running:
            return None
        cause = self.loop.died or self.loop.error
        return "the scheduler thread has stopped" + (f" ({type(cause).__name__}: {cause})" if cause else "")

    def _interrupted(self, job_id: int, waiter: JobWaiter, interrupt: KeyboardInterrupt) -> KeyboardInterrupt:
        """Ctrl-C while waiting: cancel the job (its tasks are killed; executors and caches stay)."""
        self.loop.post(ev.JobCancelled(job_id, "interrupted by the user (Ctrl-C)"))
        waiter.wait(10)
        if isinstance(waiter.error, JobCancelledError):
            return JobInterrupted(job_id, str(waiter.error))
        return interrupt  # the job had already ended

    def call(self, func: Callable[[], Any], timeout: float = 30.0) -> Any:
        """Run ``func`` on the scheduler thread (consistent reads of scheduler state)."""
        if self.loop.on_thread():
            return func()
        box: list[Any] = []
        done = threading.Event()

        def reply(value: Any) -> None:
            box.append(value)
            done.set()

        self.loop.post(ev.CallRequested(func, reply))
        deadline = time.monotonic() + timeout
        while not done.wait(min(0.25, max(0.0, deadline - time.monotonic()))):
            failure = self.scheduler_failure()
            if failure is not None:
                raise SparkliteError(f"the scheduler cannot answer: {failure}")
            if time.monotonic() >= deadline:
                raise TimeoutError("the scheduler thread did not answer")
        ok, value = box[0]
        if not ok:
            raise value
        return value

    def cancel_job(self, job_id: int, reason: str) -> None:
        self.loop.post(ev.JobCancelled(job_id, reason))

    def cancel_job_group(self, group_id: str, reason: str) -> None:
        self.loop.post(ev.JobGroupCancelled(group_id, reason))

    def cancel_jobs_with_tag(self, tag: str, reason: str) -> None:
        """Cancel every active job whose ``spark.job.tags`` local property holds ``tag``."""
        from sparklite.context_jobs import job_tags_of

        tagged = self.call(lambda: [j.job_id for j in self.dag.jobs.values()
                                    if tag in job_tags_of(j.properties)])
        for job_id in tagged:
            self.loop.post(ev.JobCancelled(job_id, reason))

    def cancel_all_jobs(self, reason: str) -> None:
        self.loop.post(ev.AllJobsCancelled(reason))

    def send_to_executors(self, msg: pb.DriverMessage) -> None:
        self.endpoint.send_all(msg)

    def default_parallelism(self) -> int:
        return self.backend.default_parallelism()

    def wait_for_executors(self, count: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.endpoint.executors) >= count:
                return True
            time.sleep(0.01)
        return False

    def stop(self) -> None:
        if self.progress is not None:
            self.progress.close()
        self.barrier.close("the application stopped")
        self.loop.post(ev.StopRequested())
        self.loop.stop()
        self.observers.stop()  # the application's end reaches the UI store and the event log
        self.backend.stop()
        self.results.stop()
        self.server.stop(grace=1.0).wait(5.0)



class _JobWatch:
    """The liveness checks of one wait (see ``Runtime._wait``); ``check`` every few 100 ms."""

    def __init__(self, runtime: Runtime, waiter: JobWaiter, job_id: int):
        self.runtime = runtime
        self.waiter = waiter
        self.job_id = job_id
        self._warned_at = time.monotonic()
        self._next_probe = time.monotonic() + LIVENESS_CHECK_EVERY
        self._probe_pending = False
        self._gave_up = False

    def check(self) -> None:
        runtime = self.runtime
        failure = runtime.scheduler_failure()
        if failure is not None:
            self.waiter.job_failed(SparkliteJobError(f"Job {self.job_id} cannot finish: {failure}"))
            return
        if not runtime._first_executor.is_set() and not self._gave_up:
            self._no_executor_yet()
        if not self._probe_pending and time.monotonic() >= self._next_probe:
            self._probe_pending = True
            runtime.loop.post(ev.CallRequested(self._is_lost, self._probed))

    def _no_executor_yet(self) -> None:
        """No executor ever registered: warn now and then on a busy cluster, or fail the job
        after sparklite.executor.startTimeout."""
        runtime, now = self.runtime, time.monotonic()
        if runtime.backend.queued_for_resources():
            # a busy cluster: wait for executors as Spark does, saying so now and then
            if now - self._warned_at > STARVATION_WARNING:
                self._warned_at = now
                log.warning("Initial job has not accepted any resources; check the master's "
                            "status page to ensure that workers are registered and have "
                            "sufficient resources (this application asks for executors of "
                            "%s cores and %s of memory)", runtime.settings.get("spark.executor.cores"),
                            runtime.settings.raw().get("spark.executor.memory", "1g"))
            return
        start_timeout = runtime.settings.get("sparklite.executor.startTimeout")
        if now - runtime._started > start_timeout:
            self._gave_up = True
            runtime.loop.post(ev.JobCancelled(self.job_id, f"no executor registered within "
                                                           f"{start_timeout:.0f} s "
                                                           f"(sparklite.executor.startTimeout)"))

    def _is_lost(self) -> bool:
        # on the scheduler thread: a job leaves dag.jobs only after its waiter was released
        return self.job_id not in self.runtime.dag.jobs and not self.waiter.done

    def _probed(self, answer: tuple[bool, Any]) -> None:
        ok, lost = answer
        if ok and lost:
            log.error("job %d is unknown to the scheduler but was never ended; failing it", self.job_id)
            self.waiter.job_failed(SparkliteJobError(
                f"Job {self.job_id} was lost by the scheduler (an internal error; see "
                f"sc._runtime.scheduler_errors): {self.runtime.scheduler_errors[-1:] or 'no error recorded'}"))
        self._probe_pending = False
        self._next_probe = time.monotonic() + LIVENESS_CHECK_EVERY
