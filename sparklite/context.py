"""SparkContext: the user's entry point (PySpark's API).

It resolves and validates the configuration, starts the scheduling runtime
(driver RPC server, executors, schedulers), creates source RDDs, and is where
every action ends up (``run_job``). Counters for RDD, shuffle, broadcast and
accumulator ids belong to the context, never to a class.

One context per process is active at a time, as in PySpark, unless
``sparklite.driver.allowMultipleContexts=true``.
"""
from __future__ import annotations

import atexit
import itertools
import logging
import os
import shutil
import tempfile
import threading
import time
import weakref
from typing import Any, Callable, ClassVar, Iterable, Iterator, Sequence, TypeVar

import sparklite
from sparklite.accumulators import Accumulator, AccumulatorParam, AccumulatorRegistry
from sparklite.broadcast import Broadcast, blob_key
from sparklite.conf import SparkConf
from sparklite.config import Settings
from sparklite.errors import ContextStoppedError
from sparklite.logs import configure_logging, set_level
from sparklite.rdd.rdd import RDD
from sparklite.rpc.generated import sparklite_pb2 as pb
from sparklite.rpc.security import local_security
from sparklite.scheduler.master_url import LocalMaster, parse_master
from sparklite.storage.blob_store import BlobStore

T = TypeVar("T")
log = logging.getLogger(__name__)


class SparkContext:
    """Main entry point for sparklite functionality.

    Parameters
    ----------
    master : str, optional
        ``local``, ``local[N]``, ``local[*]`` or ``sparklite://host:port``. Defaults to the
        ``spark.master`` setting, else ``local[*]``.
    appName : str, optional
        A name for the application.
    conf : SparkConf, optional
        Settings; ``master``/``appName`` arguments override it.

    Examples
    --------
    >>> sc.parallelize(range(10), 3).map(lambda x: x * x).sum()
    285
    """

    _active_spark_context: ClassVar[SparkContext | None] = None
    _lock: ClassVar[threading.RLock] = threading.RLock()

    def __init__(self, master: str | None = None, appName: str | None = None,
                 sparkHome: str | None = None, pyFiles: list[str] | None = None,
                 environment: dict[str, str] | None = None, batchSize: int = 0,
                 serializer: Any = None, conf: SparkConf | None = None, gateway: Any = None,
                 jsc: Any = None, profiler_cls: Any = None, udf_profiler_cls: Any = None,
                 memory_profiler_cls: Any = None):
        self._stopped = True  # until fully started; stop() is then a no-op
        conf = conf._copy() if conf is not None else SparkConf()
        if master:
            conf.setMaster(master)
        if appName:
            conf.setAppName(appName)
        if sparkHome:
            conf.setSparkHome(sparkHome)
        for key, value in (environment or {}).items():
            conf.setExecutorEnv(key, value)
        conf.setIfMissing("spark.master", "local[*]")
        settings = Settings(dict(conf.getAll()))
        with SparkContext._lock:
            active = SparkContext._active_spark_context
            if active is not None and not settings.get("sparklite.driver.allowMultipleContexts"):
                raise ValueError(f"Cannot run multiple SparkContexts at once; existing "
                                 f"SparkContext(app={active.appName}, master={active.master})")
            self._start(conf, settings)
            if SparkContext._active_spark_context is None:
                SparkContext._active_spark_context = self
        if pyFiles:
            for path in pyFiles:
                self.addPyFile(path)

    def _start(self, conf: SparkConf, settings: Settings) -> None:
        from sparklite.scheduler.runtime import Runtime

        configure_logging(settings.get("sparklite.logLevel"))
        self._conf = conf
        self._settings = settings
        self.master: str = settings.get("spark.master")
        self.appName: str = settings.get("spark.app.name")
        self.sparkHome = conf.get("spark.home")
        self._start_time = int(time.time() * 1000)
        self._counters = {name: itertools.count() for name in ("rdd", "shuffle", "broadcast", "accumulator")}
        self._counter_lock = threading.Lock()
        self._local = threading.local()
        self._blob_store = BlobStore()
        self._accumulators = AccumulatorRegistry(lambda: self._next("accumulator"))
        self._checkpoint_dir: str | None = None
        #: rdd id -> RDD, for every RDD persisted and not unpersisted (the storage report)
        self._persistent_rdds: dict[int, RDD[Any]] = {}
        spec = parse_master(self.master)
        self._app_id = f"local-{self._start_time}" if isinstance(spec, LocalMaster) else \
            f"app-{time.strftime('%Y%m%d%H%M%S')}-{os.getpid()}"
        local_dir = settings.get("spark.local.dir")
        os.makedirs(local_dir, exist_ok=True)
        self._app_dir = tempfile.mkdtemp(prefix=f"sparklite-{self._app_id}-", dir=local_dir)
        try:
            if isinstance(spec, LocalMaster):
                security = local_security(settings)
            else:
                from sparklite.rpc.security import cluster_security
                from sparklite.scheduler.runtime import driver_addresses

                security = cluster_security(settings, driver_addresses(settings)[1])
            self._runtime = Runtime(settings, self._app_id, self._app_dir, security,
                                    self._accumulators, self._blob_store)
        except BaseException:
            shutil.rmtree(self._app_dir, ignore_errors=True)
            raise
        self._stopped = False
        if settings.get("spark.logConf"):
            log.info("sparklite config:\n%s", conf.toDebugString())
        self._finalizer = weakref.finalize(self, _stop_runtime, self._runtime, self._app_dir)
        atexit.register(_stop_at_exit, weakref.ref(self))

    # ------------------------------------------------------------------ lifecycle

    @classmethod
    def getOrCreate(cls, conf: SparkConf | None = None) -> SparkContext:
        """Get the active SparkContext, or create one from ``conf``."""
        with cls._lock:
            if cls._active_spark_context is None:
                cls(conf=conf or SparkConf())
            assert cls._active_spark_context is not None
            return cls._active_spark_context

    def stop(self) -> None:
        """Shut down: cancel running jobs, stop the executors, remove temporary files."""
        with SparkContext._lock:
            if self._stopped:
                return
            self._stopped = True
            if SparkContext._active_spark_context is self:
                SparkContext._active_spark_context = None
        self._finalizer()

    def __enter__(self) -> SparkContext:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def _assert_alive(self) -> None:
        if self._stopped:
            raise ContextStoppedError("Cannot call methods on a stopped SparkContext. This "
                                      "SparkContext was stopped; create a new one.")

    def _next(self, counter: str) -> int:
        with self._counter_lock:
            return next(self._counters[counter])

    def _new_rdd_id(self) -> int:
        return self._next("rdd")

    def _new_shuffle_id(self) -> int:
        return self._next("shuffle")

    # ------------------------------------------------------------------ properties

    @property
    def applicationId(self) -> str:
        """A unique identifier of this application (``local-<ms>`` in local mode)."""
        return self._app_id

    @property
    def startTime(self) -> int:
        return self._start_time

    @property
    def version(self) -> str:
        return sparklite.__version__

    @property
    def defaultParallelism(self) -> int:
        """Default number of partitions (``spark.default.parallelism``, else total executor slots)."""
        configured = self._settings.get("spark.default.parallelism")
        return configured if configured else self._runtime.default_parallelism()

    @property
    def defaultMinPartitions(self) -> int:
        return min(self.defaultParallelism, 2)

    @property
    def uiWebUrl(self) -> str | None:
        return None

    def getConf(self) -> SparkConf:
        return self._conf._copy()

    def setLogLevel(self, logLevel: str) -> None:
        """Control the log level, e.g. ``sc.setLogLevel("INFO")``."""
        set_level(logLevel)

    # ------------------------------------------------------------------ RDD sources

    def parallelize(self, c: Iterable[T], numSlices: int | None = None) -> RDD[T]:
        """Distribute a local Python collection to form an RDD.

        >>> sc.parallelize([0, 2, 3, 4, 6], 5).glom().collect()
        [[0], [2], [3], [4], [6]]
        >>> sc.parallelize(range(0, 6, 2), 5).glom().collect()
        [[], [0], [], [2], [4]]
        """
        from sparklite.rdd.sources import ParallelCollectionRDD, RangeRDD

        self._assert_alive()
        n = int(numSlices) if numSlices is not None else self.defaultParallelism
        if n <= 0:
            raise ValueError(f"Positive number of partitions required, got numSlices={numSlices}")
        if isinstance(c, range):
            return RangeRDD(self, c, n)
        data: Sequence[T] = c if isinstance(c, (list, tuple)) else list(c)
        return ParallelCollectionRDD(self, data, n)

    def range(self, start: int, end: int | None = None, step: int = 1,
              numSlices: int | None = None) -> RDD[int]:
        """An RDD of ints from ``start`` to ``end`` (exclusive) by ``step``.

        >>> sc.range(5).collect()
        [0, 1, 2, 3, 4]
        >>> sc.range(2, 4).collect()
        [2, 3]
        """
        if end is None:
            start, end = 0, start
        return self.parallelize(range(start, end, step), numSlices)

    def textFile(self, name: str, minPartitions: int | None = None, use_unicode: bool = True) -> RDD[str]:
        """Read text files (local paths, directories, globs, ``memory://``, ``s3://``..., ``.gz``)
        as an RDD of lines, through fsspec.
        """
        from sparklite.rdd.sources import TextFileRDD

        self._assert_alive()
        n = minPartitions if minPartitions is not None else self.defaultMinPartitions
        return TextFileRDD(self, str(name), n, use_unicode)

    def emptyRDD(self) -> RDD[Any]:
        """An RDD with no partitions and no elements.

        >>> sc.emptyRDD().count()
        0
        """
        from sparklite.rdd.sources import EmptyRDD

        self._assert_alive()
        return EmptyRDD(self)

    def union(self, rdds: list[RDD[T]]) -> RDD[T]:
        """The union of a list of RDDs.

        >>> sc.union([sc.parallelize([1, 2]), sc.parallelize([3])]).collect()
        [1, 2, 3]
        """
        from sparklite.rdd.narrow import PartitionerAwareUnionRDD, UnionRDD

        self._assert_alive()
        if not rdds:
            raise ValueError("union() needs at least one RDD")
        first = rdds[0].partitioner
        if first is not None and all(r.partitioner == first for r in rdds):
            return PartitionerAwareUnionRDD(self, rdds)
        return UnionRDD(self, rdds)

    # ------------------------------------------------------------------ shared variables

    def broadcast(self, value: T) -> Broadcast[T]:
        """Send a read-only variable to the executors once (see ``Broadcast``)."""
        self._assert_alive()
        return Broadcast._create(self, self._next("broadcast"), value)

    def _unpersist_broadcast(self, bid: int, destroy: bool) -> None:
        if destroy:
            self._blob_store.remove(blob_key(bid))
        if not self._stopped:
            self._runtime.send_to_executors(pb.DriverMessage(
                remove_broadcast=pb.RemoveBroadcast(broadcast_id=bid)))

    def _remove_rdd_blocks(self, rdd_id: int, blocking: bool) -> None:
        self._persistent_rdds.pop(rdd_id, None)
        if self._stopped:
            return
        master = self._runtime.block_master
        by_executor = master.remove_rdd(rdd_id)
        for executor_id, block_ids in by_executor.items():
            if not self._runtime.endpoint.send(executor_id, pb.DriverMessage(
                    remove_blocks=pb.RemoveBlocks(block_ids=block_ids))):
                master.remove_executor(executor_id)  # gone already: nothing to wait for
        if blocking and by_executor:
            timeout = self._settings.get("spark.network.timeout")
            if not master.wait_removed(rdd_id, timeout):
                log.warning("unpersist of RDD %d: executors did not confirm within %.0f s", rdd_id, timeout)

    def getRDDStorageInfo(self) -> list[Any]:
        """Storage of every cached RDD: partitions cached, bytes in memory and on disk, per executor.

        Returns a list of :class:`sparklite.storage.report.RDDStorageInfo` (Spark's developer API
        ``getRDDStorageInfo``; PySpark has no Python equivalent). Only RDDs with at least one
        cached partition are listed.

        >>> rdd = sc.parallelize(range(1000), 2).setName("numbers").cache()
        >>> rdd.count()
        1000
        >>> [(i.name, i.numCachedPartitions, i.memSize) for i in sc.getRDDStorageInfo() if i.id == rdd.id()]
        [('numbers', 2, 8000)]
        >>> _ = rdd.unpersist(blocking=True)
        """
        from sparklite.storage.report import rdd_storage_info

        self._assert_alive()
        return rdd_storage_info(list(self._persistent_rdds.values()), self._runtime.block_master)

    def accumulator(self, value: T, accum_param: AccumulatorParam[T] | None = None) -> Accumulator[T]:
        """An accumulator with initial ``value``; ``accum_param`` defines how values add up
        (ints, floats and complex numbers need none).
        """
        self._assert_alive()
        return self._accumulators.register(value, accum_param)

    # ------------------------------------------------------------------ jobs

    def _local_properties(self) -> dict[str, str]:
        props = getattr(self._local, "properties", None)
        if props is None:
            props = self._local.properties = {}
        return props

    def setLocalProperty(self, key: str, value: str | None) -> None:
        """Set a property that affects jobs submitted from this thread (None removes it)."""
        props = self._local_properties()
        if value is None:
            props.pop(key, None)
        else:
            props[key] = str(value)

    def getLocalProperty(self, key: str) -> str | None:
        return self._local_properties().get(key)

    def setJobGroup(self, groupId: str, description: str, interruptOnCancel: bool = False) -> None:
        """Assign jobs started by this thread to a group, until it is set again or cleared.

        ``cancelJobGroup(groupId)`` then cancels them (from any thread): their running tasks are
        killed (TaskKilled is raised in the task's thread, a ``time.sleep`` included) whatever
        ``interruptOnCancel`` says; the flag is kept as a local property for parity.
        """
        self.setLocalProperty("spark.jobGroup.id", groupId)
        self.setLocalProperty("spark.job.description", description)
        self.setLocalProperty("spark.job.interruptOnCancel", str(bool(interruptOnCancel)).lower())

    def cancelJobGroup(self, groupId: str) -> None:
        """Cancel active jobs of the group set with ``setJobGroup``; their actions raise
        ``JobCancelledError``."""
        self._assert_alive()
        self._runtime.cancel_job_group(groupId, f"part of cancelled job group {groupId}")

    def cancelAllJobs(self) -> None:
        """Cancel all jobs that have been scheduled or are running."""
        self._assert_alive()
        self._runtime.cancel_all_jobs("as part of cancellation of all jobs")

    def run_job(self, rdd: RDD[Any], func: Callable[[Iterator[Any]], T],
                partitions: Sequence[int] | None = None) -> list[T]:
        """Internal: run ``func`` on each requested partition's iterator; one value per partition."""
        self._assert_alive()
        if partitions is None:
            partitions = range(len(rdd.partitions()))
        return self._runtime.run_job(rdd, func, list(partitions), dict(self._local_properties()))

    def runJob(self, rdd: RDD[T], partitionFunc: Callable[[Iterable[T]], Iterable[Any]],
               partitions: Sequence[int] | None = None, allowLocal: bool = False) -> list[Any]:
        """Run ``partitionFunc`` on the given partitions and return all results, flattened.

        >>> myRDD = sc.parallelize(range(6), 3)
        >>> sc.runJob(myRDD, lambda part: [x * x for x in part])
        [0, 1, 4, 9, 16, 25]
        >>> sc.runJob(myRDD, lambda part: [x * x for x in part], [0, 2])
        [0, 1, 16, 25]
        """
        results = self.run_job(rdd, lambda it: list(partitionFunc(it)), partitions)
        return [x for part in results for x in part]

    def __repr__(self) -> str:
        return f"<SparkContext master={self.master} appName={self.appName}>"

    def __getstate__(self) -> None:
        raise RuntimeError("It appears that you are attempting to reference SparkContext from a "
                           "broadcast variable, action, or transformation. SparkContext can only "
                           "be used on the driver, not in code that it run on workers.")


def _stop_runtime(runtime: Any, app_dir: str) -> None:
    try:
        runtime.stop()
    finally:
        shutil.rmtree(app_dir, ignore_errors=True)


def _stop_at_exit(ref: weakref.ref) -> None:
    context = ref()
    if context is not None:
        context.stop()
