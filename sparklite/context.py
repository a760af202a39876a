"""SparkContext: the user's entry point (PySpark's API).

It resolves and validates the configuration, starts the scheduling runtime
(driver RPC server, executors, schedulers), creates source RDDs, and is where
every action ends up (``run_job``). Counters for RDD, shuffle, broadcast and
accumulator ids belong to the context, never to a class.

One context per process is active at a time, as in PySpark, unless
``sparklite.driver.allowMultipleContexts=true``.
"""
from __future__ import annotations

import itertools
import logging
import operator
import os
import shutil
import tempfile
import threading
import time
import weakref
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Iterable, Iterator, Sequence, TypeVar

import sparklite
from sparklite import callsite, exit_hooks
from sparklite.accumulators import AccumulatorRegistry
from sparklite.cleaner import ContextCleaner
from sparklite.conf import SparkConf
from sparklite.config import SUBMIT_VERBOSE_ENV, Settings
from sparklite.context_io import InputMixin
from sparklite.context_jobs import JobsMixin
from sparklite.context_profiles import ProfilesMixin
from sparklite.context_system import SystemPropertiesMixin
from sparklite.context_shared import SharedVariablesMixin
from sparklite.errors import ContextStoppedError
from sparklite.files import DEPENDENCIES_PROPERTY, FileRegistry
from sparklite.filesystems import storage_options
from sparklite.logs import configure_logging, set_level
from sparklite.rdd.rdd import RDD
from sparklite.rpc.security import local_security
from sparklite.scheduler.master_url import LocalMaster, RayMaster, local_cluster_defaults, parse_master
from sparklite.storage.blob_store import BlobStore

if TYPE_CHECKING:
    from sparklite.status import StatusTracker

T = TypeVar("T")
log = logging.getLogger(__name__)


class SparkContext(InputMixin, SharedVariablesMixin, JobsMixin, ProfilesMixin, SystemPropertiesMixin):
    """Main entry point for sparklite functionality.

    Parameters
    ----------
    master : str, optional
        ``local``, ``local[N]``, ``local[*]``, ``local[N, maxFailures]``,
        ``local-cluster[N, cores, memoryMB]`` (N executor processes of ``cores`` slots and
        ``memoryMB`` each, as PySpark's tests use) or ``sparklite://host:port``. Defaults
        to the ``spark.master`` setting, else ``local[*]``.
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
    _app_serial: ClassVar[Iterator[int]] = itertools.count()
    PACKAGE_EXTENSIONS: ClassVar[tuple[str, ...]] = (".zip", ".egg", ".jar")
    #: called with each context once it started (sparklite-submit prints the web UI's URL)
    _on_start: ClassVar[list[Callable[[SparkContext], None]]] = []

    def __init__(self, master: str | None = None, appName: str | None = None,
                 sparkHome: str | None = None, pyFiles: list[str] | None = None,
                 environment: dict[str, str] | None = None, batchSize: int = 0,
                 serializer: Any = None, conf: SparkConf | None = None, gateway: Any = None,
                 jsc: Any = None, profiler_cls: Any = None, udf_profiler_cls: Any = None,
                 memory_profiler_cls: Any = None):
        self._stopped = True  # until fully started; stop() is then a no-op
        self._driver_resources: dict[str, Any] | None = None  # sc.resources, discovered on first use
        self._batchSize = batchSize  # only where parallelize cuts a list, as in PySpark
        conf = conf._copy() if conf is not None else SparkConf()
        if master:
            conf.setMaster(master)
        if appName:
            conf.setAppName(appName)
        if sparkHome:
            conf.setSparkHome(sparkHome)
        for key, value in (environment or {}).items():
            conf.setExecutorEnv(key, value)
        if conf.get("spark.master") is None:
            conf._set("spark.master", "local[*]", "default")
        for key, value in local_cluster_defaults(conf.get("spark.master")).items():
            if conf.get(key) is None:
                conf._set(key, value, "local-cluster master")
        settings = Settings(dict(conf.getAll()))
        with SparkContext._lock:
            active = SparkContext._active_spark_context
            if active is not None and not settings.get("sparklite.driver.allowMultipleContexts"):
                raise ValueError(f"Cannot run multiple SparkContexts at once; existing "
                                 f"SparkContext(app={active.appName}, master={active.master})")
            self._start(conf, settings)
            if SparkContext._active_spark_context is None:
                SparkContext._active_spark_context = self
        # --py-files / --files of sparklite-submit arrive as spark.submit.pyFiles / spark.files
        for path in [*(pyFiles or []), *_listed(settings.get("spark.submit.pyFiles"))]:
            self.addPyFile(path)
        for path in _listed(settings.get("spark.files")):
            self.addFile(path)
        for path in _listed(settings.get("spark.archives")):
            self.addArchive(path)

    def _start(self, conf: SparkConf, settings: Settings) -> None:
        configure_logging(settings.get("sparklite.logLevel"))
        self._conf = conf
        self._settings = settings
        self.master: str = settings.get("spark.master")
        self.appName: str = settings.get("spark.app.name")
        self.sparkHome = conf.get("spark.home")
        #: PySpark's attributes: executor environment variables, the Python executors run
        self.environment = {k[len("spark.executorEnv."):]: v for k, v in conf.getAll()
                            if k.startswith("spark.executorEnv.")}
        import sys

        self.pythonExec = sys.executable  # executors run the driver's interpreter
        self.pythonVer = "%d.%d" % sys.version_info[:2]
        self._start_time = int(time.time() * 1000)
        self._counters = {name: itertools.count() for name in
                          ("rdd", "shuffle", "broadcast", "accumulator", "resource_profile", "file")}
        self._counter_lock = threading.Lock()
        self._local = threading.local()
        self._blob_store = BlobStore()
        self._accumulators = AccumulatorRegistry(lambda: self._next("accumulator"))
        self._checkpoint_dir: str | None = None
        #: fsspec options per protocol (spark.hadoop.fs.s3a.*, sparklite.fs.*): filesystems.py
        self._fs_options = storage_options(settings.raw())
        #: rdd id -> RDD, for every RDD persisted and not unpersisted (the storage report);
        #: weak, as Spark's persistentRdds: a dropped RDD's blocks go (cleaner.py)
        self._persistent_rdds: weakref.WeakValueDictionary[int, RDD[Any]] = weakref.WeakValueDictionary()
        self._cleaner: ContextCleaner | None = None
        self._checkpoint_lock = threading.RLock()
        #: set by the first checkpoint()/localCheckpoint(): from then on jobs look for marks
        self._checkpoints_marked = False
        spec = parse_master(self.master)
        # unique per process too: a master takes two applications with one id for one app
        # re-registering, so two contexts of one driver (allowMultipleContexts) must differ
        serial = next(SparkContext._app_serial)
        suffix = f"-{serial}" if serial else ""
        self._app_id = f"local-{self._start_time}{suffix}" if isinstance(spec, LocalMaster) else \
            f"app-{time.strftime('%Y%m%d%H%M%S')}-{os.getpid()}{suffix}"
        local_dir = settings.get("spark.local.dir")
        os.makedirs(local_dir, exist_ok=True)
        self._app_dir = tempfile.mkdtemp(prefix=f"sparklite-{self._app_id}-", dir=local_dir)
        self._files = FileRegistry(os.path.join(self._app_dir, "userFiles"), self._blob_store,
                                   lambda: self._next("file"))
        launcher: Any = None
        try:
            if isinstance(spec, LocalMaster):
                from sparklite.executor import launch

                security = local_security(settings)
                # executors start now, before the driver imports gRPC and builds its server: their
                # start-up overlaps the driver's (they learn its address once it listens)
                launcher = launch.LocalLauncher(
                    spec.executors, settings.get("spark.executor.cores"), self._app_id, self._app_dir,
                    security.secret or "", launch.extra_env(settings),
                    settings.get("sparklite.executor.forkServer"), settings.raw())
            elif isinstance(spec, RayMaster):  # a secret per application, and TLS if configured
                from sparklite.rpc.security import ray_security

                security = ray_security(settings)
            else:
                from sparklite.rpc.security import cluster_security
                from sparklite.scheduler.runtime import driver_addresses

                security = cluster_security(settings, driver_addresses(settings)[1])
            from sparklite.scheduler.runtime import Runtime

            self._runtime = Runtime(settings, self._app_id, self._app_dir, security,
                                    self._accumulators, self._blob_store, launcher)
        except BaseException:
            if launcher is not None:
                launcher.close()
            shutil.rmtree(self._app_dir, ignore_errors=True)
            raise
        if settings.get("spark.cleaner.referenceTracking"):
            self._cleaner = ContextCleaner(self._runtime, settings.get("spark.cleaner.referenceTracking.blocking"),
                                           settings.get("spark.cleaner.periodicGC.interval"))
            self._cleaner.start()
        self._stopped = False
        if settings.get("spark.logConf"):
            from sparklite.redaction import redacted_lines

            log.info("sparklite config:\n%s", "\n".join(redacted_lines(dict(conf.getAll()))))
        if os.environ.get(SUBMIT_VERBOSE_ENV):
            import sys

            print(conf._describe_origins(f"Resolved configuration of {self._app_id}"), file=sys.stderr,
                  flush=True)
        self._start_profiler()
        self._finalizer = weakref.finalize(self, _stop_runtime, self._runtime, self._app_dir, self._cleaner)
        exit_hooks.stop_at_exit(self)
        for hook in list(SparkContext._on_start):
            hook(self)

    # ------------------------------------------------------------------ lifecycle

    @classmethod
    def getOrCreate(cls, conf: SparkConf | None = None) -> SparkContext:
        """Get or instantiate a SparkContext and register it as a singleton object.

        Parameters
        ----------
        conf : :class:`SparkConf`, optional
            :class:`SparkConf` that will be used for initialization of the :class:`SparkContext`.

        Returns
        -------
        :class:`SparkContext`
            current :class:`SparkContext`, or a new one if it wasn't created before the function
            call.

        Examples
        --------
        >>> SparkContext.getOrCreate() is SparkContext._active_spark_context
        True
        """
        with cls._lock:
            if cls._active_spark_context is None:
                cls(conf=conf or SparkConf())
            assert cls._active_spark_context is not None
            return cls._active_spark_context

    def stop(self) -> None:
        """Shut down the SparkContext: cancel running jobs, stop the executors, remove
        temporary files. Calling it again does nothing.

        Examples
        --------
        >>> from sparklite import SparkConf
        >>> conf = SparkConf(loadDefaults=False).set("sparklite.driver.allowMultipleContexts", "true")
        >>> other = SparkContext("local[1]", conf=conf)
        >>> other.stop()
        >>> other.stop()
        """
        with SparkContext._lock:
            if self._stopped:
                return
            self._stopped = True
            if SparkContext._active_spark_context is self:
                SparkContext._active_spark_context = None
            last = SparkContext._active_spark_context is None
        try:
            self._dump_profiles_at_stop()
        except OSError as exc:
            log.warning("spark.python.profile.dump: could not write the profiles: %s", exc)
        self._finalizer()
        if last:
            exit_hooks.restore_sigterm()

    def _ending_with_error(self, why: str) -> None:
        """The driver program is ending with an error: a standalone master will show the
        application FAILED, not FINISHED, once it stops."""
        if not self._stopped:
            self._runtime.ending_with_error = why

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
        """A unique identifier for the application: ``local-<start time in ms>`` in local mode.

        >>> sc.applicationId.startswith("local-")
        True
        """
        return self._app_id

    @property
    def startTime(self) -> int:
        """Return the epoch time (milliseconds) when the SparkContext was started.

        >>> _ = sc.startTime
        """
        return self._start_time

    @property
    def version(self) -> str:
        """The version of sparklite on which this application is running.

        >>> _ = sc.version
        """
        return sparklite.__version__

    @property
    def defaultParallelism(self) -> int:
        """Default level of parallelism to use when not given by user (e.g. for reduce tasks):
        ``spark.default.parallelism``, else the executors' total task slots.

        >>> sc.defaultParallelism > 0
        True
        """
        configured = self._settings.get("spark.default.parallelism")
        return configured if configured else self._runtime.default_parallelism()

    @property
    def defaultMinPartitions(self) -> int:
        """Default min number of partitions for file inputs when not given by user.

        >>> sc.defaultMinPartitions > 0
        True
        """
        return min(self.defaultParallelism, 2)

    @property
    def uiWebUrl(self) -> str | None:
        """The URL of the application's web UI (``http://host:4040``), None when
        ``spark.ui.enabled`` is false.

        >>> sc.uiWebUrl.startswith("http://127.0.0.1:")
        True
        """
        return self._runtime.observers.ui_url

    @property
    def resources(self) -> dict[str, Any]:
        """Resources (GPUs...) of the driver, name -> :class:`sparklite.resource.ResourceInformation`,
        from ``spark.driver.resource.<name>.amount`` and its discovery script (or
        ``spark.driver.resourcesFile``); discovered once.

        >>> sc.resources
        {}
        """
        if self._driver_resources is None:
            from sparklite.resource import ResourceInformation
            from sparklite.resource_discovery import discover

            found = discover(dict(self._conf.getAll()), "driver")
            self._driver_resources = {n: ResourceInformation(n, a) for n, a in found.items()}
        return dict(self._driver_resources)

    def getConf(self) -> SparkConf:
        """Return a copy of this SparkContext's configuration :class:`SparkConf`.

        >>> sc.getConf().get("spark.master")
        'local[2]'
        """
        return self._conf._copy()

    def setLogLevel(self, logLevel: str) -> None:
        """Control our logLevel. This overrides any user-defined log settings.
        Valid log levels include: ALL, DEBUG, ERROR, FATAL, INFO, OFF, TRACE, WARN

        >>> sc.setLogLevel("WARN")
        """
        set_level(logLevel)

    def sparkUser(self) -> str:
        """Get SPARK_USER for user who is running SparkContext.

        >>> isinstance(sc.sparkUser(), str)
        True
        """
        import getpass

        return os.environ.get("SPARK_USER") or getpass.getuser()

    def statusTracker(self) -> StatusTracker:
        """Return :class:`StatusTracker` object

        >>> tracker = sc.statusTracker()
        >>> isinstance(tracker.getActiveJobsIds(), list)
        True
        """
        from sparklite.status import StatusTracker

        return StatusTracker(self._runtime.status)

    # ------------------------------------------------------------------ RDD sources

    def parallelize(self, c: Iterable[T], numSlices: int | None = None) -> RDD[T]:
        """Distribute a local Python collection to form an RDD. Using range
        is recommended if the input represents a range for performance.

        Parameters
        ----------
        c : :class:`collections.abc.Iterable`
            iterable collection to distribute
        numSlices : int, optional
            the number of partitions of the new RDD

        Returns
        -------
        :class:`RDD`
            RDD representing distributed collection.

        Examples
        --------
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
        return ParallelCollectionRDD(self, data, n, self._batchSize)

    def range(self, start: int, end: int | None = None, step: int = 1,
              numSlices: int | None = None) -> RDD[int]:
        """Create a new RDD of int containing elements from `start` to `end`
        (exclusive), increased by `step` every element. Can be called the same
        way as python's built-in range() function. If called with a single argument,
        the argument is interpreted as `end`, and `start` is set to 0.

        Parameters
        ----------
        start : int
            the start value
        end : int, optional
            the end value (exclusive)
        step : int, optional, default 1
            the incremental step
        numSlices : int, optional
            the number of partitions of the new RDD

        Returns
        -------
        :class:`RDD`
            An RDD of int

        Examples
        --------
        >>> sc.range(5).collect()
        [0, 1, 2, 3, 4]
        >>> sc.range(2, 4).collect()
        [2, 3]
        >>> sc.range(1, 7, 2).collect()
        [1, 3, 5]
        """
        if end is None:
            start, end = 0, start
        return self.parallelize(range(start, end, step), numSlices)

    def emptyRDD(self) -> RDD[Any]:
        """Create an :class:`RDD` that has no partitions or elements.

        >>> sc.emptyRDD().count()
        0
        """
        from sparklite.rdd.sources import EmptyRDD

        self._assert_alive()
        return EmptyRDD(self)

    def union(self, rdds: list[RDD[T]]) -> RDD[T]:
        """Build the union of a list of RDDs.

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

    # ------------------------------------------------------------------ jobs

    def _job_properties(self) -> dict[str, str]:
        properties = dict(self._local_properties())
        properties.update(self._profile_properties())
        dependencies = self._files.dependencies_property()
        if dependencies is not None:
            properties[DEPENDENCIES_PROPERTY] = dependencies
        return properties

    def run_job(self, rdd: RDD[Any], func: Callable[[Iterator[Any]], T],
                partitions: Sequence[int] | None = None) -> list[T]:
        """Internal: run ``func`` on each requested partition's iterator; one value per partition.

        Checkpoints marked in ``rdd``'s lineage are written after the job, as in Spark.
        """
        from sparklite.rdd.checkpoint_rdd import checkpoint_after_job

        self._assert_alive()
        total = len(rdd.partitions())
        if partitions is None:
            partitions = range(total)
        requested = [operator.index(p) for p in partitions]
        for p in requested:
            if not 0 <= p < total:
                raise ValueError(f"Attempting to access a non-existent partition: {p}. "
                                 f"Total number of partitions: {total}")
        unique = list(dict.fromkeys(requested))  # a partition asked for twice is computed once
        results = self._runtime.run_job(rdd, func, unique, self._job_properties(), callsite.capture())
        from sparklite.filesystems import options_of

        with options_of(self):
            checkpoint_after_job(self, rdd)
        if len(unique) == len(requested):
            return results
        by_partition = dict(zip(unique, results))
        return [by_partition[p] for p in requested]

    def _run_job_partial(self, rdd: RDD[Any], func: Callable[[Iterator[Any]], T],
                         timeout: float) -> list[T | None]:
        """Internal (approximate actions): the results of the partitions done within ``timeout``
        seconds (None for the others, whose tasks are cancelled)."""
        self._assert_alive()
        return self._runtime.run_job_within(rdd, func, list(range(len(rdd.partitions()))),
                                            self._job_properties(), timeout, callsite.capture())

    def runJob(self, rdd: RDD[T], partitionFunc: Callable[[Iterable[T]], Iterable[Any]],
               partitions: Sequence[int] | None = None, allowLocal: bool = False) -> list[Any]:
        """Executes the given partitionFunc on the specified set of partitions,
        returning the result as an array of elements.

        If 'partitions' is not specified, this will run over all partitions.

        Parameters
        ----------
        rdd : :class:`RDD`
            target RDD to run tasks on
        partitionFunc : function
            a function to run on each partition of the RDD
        partitions : list, optional
            set of partitions to run on; some jobs may not want to compute on all
            partitions of the target RDD, e.g. for operations like `first`
        allowLocal : bool, default False
            this parameter takes no effect

        Returns
        -------
        list
            results of specified partitions

        Examples
        --------
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


def _listed(value: str | None) -> list[str]:
    return [p.strip() for p in (value or "").split(",") if p.strip()]


def _stop_runtime(runtime: Any, app_dir: str, cleaner: ContextCleaner | None) -> None:
    try:
        if cleaner is not None:
            cleaner.stop()
        runtime.stop()
    finally:
        shutil.rmtree(app_dir, ignore_errors=True)
