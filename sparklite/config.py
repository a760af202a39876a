"""Typed config entries: every key sparklite reads, its type, default and meaning.

Why one registry: a bad value must fail at start-up naming its key, the
defaults template must document every key that exists (a test compares the two),
and the code must read values already parsed. ``SparkConf`` stays a plain
string map, as in PySpark; :class:`Settings` is the typed, validated view that
the engine reads.

Precedence (highest first) is assembled by :func:`load_layers` and
``SparkConf``: ``SparkConf.set`` in code > ``--conf`` > cluster file /
properties file > ``conf/sparklite-defaults.conf`` > the defaults below.
"""
from __future__ import annotations

import difflib
import json
import logging
import os
import pathlib
import re
import tempfile
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Callable, Iterable, Mapping

from sparklite.errors import ConfigError

log = logging.getLogger(__name__)

#: env var through which sparklite-submit/shell hand their resolved layers to SparkConf
SUBMIT_CONF_ENV = "SPARKLITE_SUBMIT_CONF"
#: ... where each of those keys came from (``--conf``, ``properties file F``...), for --verbose
SUBMIT_ORIGINS_ENV = "SPARKLITE_SUBMIT_ORIGINS"
#: set by ``sparklite-submit --verbose``: the SparkContext prints its resolved configuration
SUBMIT_VERBOSE_ENV = "SPARKLITE_SUBMIT_VERBOSE"
DEFAULTS_FILE = "sparklite-defaults.conf"

_SIZE_UNITS = {"b": 1, "k": 1 << 10, "kb": 1 << 10, "m": 1 << 20, "mb": 1 << 20,
               "g": 1 << 30, "gb": 1 << 30, "t": 1 << 40, "tb": 1 << 40}
_TIME_UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0, "d": 86400.0}


def parse_size(text: str, default_unit: str = "b") -> int:
    """``'512m'`` -> bytes; a bare number is in ``default_unit`` (as Spark does)."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*", str(text))
    if not m:
        raise ValueError(f"not a size: {text!r} (expected e.g. 512m, 2g)")
    unit = (m.group(2) or default_unit).lower()
    if unit not in _SIZE_UNITS:
        raise ValueError(f"unknown size unit {m.group(2)!r} in {text!r}")
    return int(float(m.group(1)) * _SIZE_UNITS[unit])


def parse_duration(text: str, default_unit: str = "s") -> float:
    """``'10s'``/``'500ms'``/``'2m'`` -> seconds; a bare number is in ``default_unit``."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*", str(text))
    if not m:
        raise ValueError(f"not a duration: {text!r} (expected e.g. 10s, 500ms)")
    unit = (m.group(2) or default_unit).lower()
    if unit not in _TIME_UNITS:
        raise ValueError(f"unknown time unit {m.group(2)!r} in {text!r}")
    return float(m.group(1)) * _TIME_UNITS[unit]


def parse_bool(text: str) -> bool:
    value = str(text).strip().lower()
    if value in ("true", "1", "yes", "on"):
        return True
    if value in ("false", "0", "no", "off"):
        return False
    raise ValueError(f"not a boolean: {text!r} (expected true or false)")


def _int(text: str, what: str) -> int:
    try:
        return int(str(text).strip())
    except ValueError:
        raise ValueError(f"must be {what}") from None


def _positive_int(text: str) -> int:
    value = _int(text, "a positive integer")
    if value <= 0:
        raise ValueError("must be a positive integer")
    return value


def _non_negative_int(text: str) -> int:
    value = _int(text, "an integer >= 0")
    if value < 0:
        raise ValueError("must be an integer >= 0")
    return value


def _gc_thresholds(text: str) -> tuple[int, ...]:
    if not str(text).strip():
        return ()
    try:
        values = tuple(int(v) for v in str(text).split(","))
    except ValueError:
        raise ValueError(f"must be three comma-separated integers (gc.set_threshold), got {text!r}") from None
    if len(values) != 3 or any(v < 0 for v in values):
        raise ValueError(f"must be three comma-separated integers >= 0 (gc.set_threshold), got {text!r}")
    return values


def _fraction(text: str) -> float:
    value = float(str(text).strip())
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"must be between 0 and 1, got {text!r}")
    return value


def _master(text: str) -> str:
    from sparklite.scheduler.master_url import parse_master

    parse_master(text)  # raises ValueError naming the accepted forms
    return text


def _deploy_mode(text: str) -> str:
    mode = str(text).strip().lower()
    if mode == "cluster":
        raise ValueError("cluster deploy mode is not supported yet: the driver runs in the "
                         "submitting process (use client)")
    if mode != "client":
        raise ValueError(f"unknown deploy mode {text!r} (expected client)")
    return mode


def _log_level(text: str) -> str:
    level = str(text).strip().upper()
    if level not in ("ALL", "DEBUG", "ERROR", "FATAL", "INFO", "OFF", "TRACE", "WARN"):
        raise ValueError(f"unknown log level {text!r}")
    return level


def _choice(*allowed: str) -> Callable[[str], str]:
    def parse(text: str) -> str:
        value = str(text).strip().upper()
        if value not in allowed:
            raise ValueError(f"must be one of {', '.join(allowed)}")
        return value

    parse.valid = ", ".join(allowed)  # type: ignore[attr-defined]
    return parse


def _regex(text: str) -> Any:
    try:
        return re.compile(text)
    except re.error as exc:
        raise ValueError(f"not a regular expression: {exc}") from None


def _codec(text: str) -> str:
    codec = str(text).strip().lower()
    if codec != "zstd":
        raise ValueError(f"sparklite writes zstd event logs only, got {text!r}")
    return codec


@dataclass(frozen=True)
class ConfigEntry:
    """One key: how to parse it, its default (as text, like a config file), what it does."""

    key: str
    parse: Callable[[str], Any]
    default: str | None
    doc: str


_entries: dict[str, ConfigEntry] = {}


def _entry(key: str, parse: Callable[[str], Any], default: str | None, doc: str) -> None:
    _entries[key] = ConfigEntry(key, parse, default, doc)


def _format_size(n: float) -> str:
    if n == 0:
        return "0"
    for unit, factor in (("g", 1 << 30), ("m", 1 << 20), ("k", 1 << 10)):
        if n >= factor and n % factor == 0:
            return f"{int(n // factor)}{unit}"
    return f"{int(n)}b"


def _format_time(seconds: float) -> str:
    if seconds == 0:
        return "0"
    if seconds >= 1 and seconds == int(seconds):
        return f"{int(seconds)}s"
    return f"{seconds * 1000:g}ms"


def _ranged(parse_value: Callable[[str], float], fmt: Callable[[float], str], kind: str,
            above: float | None, at_least: float | None, at_most: float | None,
            zero_means: str | None = None) -> Callable[[str], Any]:
    """A time or size parser that also checks the value's range; ``valid`` says which, for
    error messages and the template. ``zero_means``: 0 is allowed besides the range, meaning that."""
    example = "e.g. 512m or 2g" if kind == "size" else "e.g. 10s or 500ms"
    bounds = []
    if above == 0:
        bounds.append(f"a positive {'size' if kind == 'size' else 'duration'}")
    elif above is not None:
        bounds.append(f"greater than {fmt(above)}")
    if at_least is not None:
        bounds.append(f"at least {fmt(at_least)}")
    if at_most is not None:
        bounds.append(f"at most {fmt(at_most)}")
    valid = " and ".join(bounds) if bounds else "any"
    if above == 0 and at_most is None:
        valid += f", {example}"
    if zero_means:
        valid = f"0 ({zero_means}), or {valid}"

    def parse(text: str) -> Any:
        value = parse_value(text)
        if zero_means and value == 0:
            return value
        if (above is not None and value <= above) or (at_least is not None and value < at_least) \
                or (at_most is not None and value > at_most):
            raise ValueError(f"must be {valid}")
        return value

    parse.valid = valid  # type: ignore[attr-defined]
    parse.kind = kind  # type: ignore[attr-defined]
    return parse


def _size(unit: str, above: float | None = None, at_least: float | None = 0, at_most: float | None = None,
          zero_means: str | None = None) -> Callable[[str], int]:
    """A size key (a bare number is in ``unit``), by default any size >= 0."""
    return _ranged(lambda text: parse_size(text, unit), _format_size, "size", above, at_least, at_most,
                   zero_means)


def _positive_size(unit: str, at_most: float | None = None) -> Callable[[str], int]:
    return _size(unit, above=0, at_least=None, at_most=at_most)


def _duration(unit: str, above: float | None = None, at_least: float | None = 0,
              at_most: float | None = None) -> Callable[[str], float]:
    """A time key (a bare number is in ``unit``), by default any duration >= 0."""
    return _ranged(lambda text: parse_duration(text, unit), _format_time, "time", above, at_least, at_most)


def _positive_duration(unit: str) -> Callable[[str], float]:
    return _duration(unit, above=0, at_least=None)


def _port(text: str) -> int:
    value = _int(text, "a port number (0 picks a free one)")
    if not 0 <= value <= 65535:
        raise ValueError("must be a port number between 0 and 65535 (0 picks a free one)")
    return value


#: the largest chunk of bulk data in one gRPC message, whose limit is 4 MiB (rpc.channels.MAX_MESSAGE)
MAX_CHUNK = 3 << 20


# --- application
_entry("spark.master", _master, None,
       "Where to run: local, local[N], local[*], local[N, maxFailures], local-cluster[N, cores, "
       "memoryMB] (N executor processes of that size), or sparklite://host:port. Unset means "
       "local[*].")
_entry("spark.app.name", str, "sparklite", "Application name shown in logs and the UI.")
_entry("spark.default.parallelism", _positive_int, None,
       "Default number of partitions for parallelize and for shuffles when numPartitions is not "
       "given. Unset: the number of executor cores for parallelize; the parent's partition count "
       "for shuffles (as PySpark).")
_entry("spark.logConf", parse_bool, "false", "Log the resolved config at INFO when the context starts.")
_entry("sparklite.logLevel", _log_level, "WARN", "Initial level of the 'sparklite' logger.")
_entry("sparklite.driver.allowMultipleContexts", parse_bool, "false",
       "Allow more than one active SparkContext in a process (PySpark forbids it; tests use it).")
# --- scheduling
_entry("spark.task.maxFailures", _positive_int, "4",
       "Attempts of one task before its job fails. Executor loss does not count as an attempt.")
_entry("spark.stage.maxConsecutiveAttempts", _positive_int, "4",
       "Attempts of one stage ended by fetch failures (lost shuffle output) before its job fails.")
_entry("sparklite.task.maxExecutorLosses", _positive_int, "8",
       "Attempts of one task that may die with their executor before the job fails (a task that "
       "crashes every executor it runs on, e.g. by running out of memory, is not retried forever).")
_entry("spark.task.cpus", _positive_int, "1", "Cores each task occupies on its executor.")
_entry("spark.deploy.maxExecutorRetries", _positive_int, "10",
       "local[N]: executor starts that may fail in a row (the process dies before it registers) "
       "before the application fails; it fails only while no executor is alive, never while some "
       "executor still works. Failed starts are retried after a growing back-off (0.1 s to 2 s).")
_entry("spark.task.reaper.enabled", parse_bool, "true",
       "Watch killed tasks (a cancelled job's, a finished stage's leftovers): one that has not "
       "ended spark.task.reaper.killTimeout after its kill gets its executor replaced, so its slot "
       "is free again. Differs from Spark: on by default.")
_entry("spark.task.reaper.killTimeout", _positive_duration("s"), "10s",
       "How long a killed task may keep running (swallowing the kill, or blocked in a C call such "
       "as os.read) before its executor process is killed and replaced; lineage recomputes what "
       "it held. Differs from Spark, whose default -1 never kills the executor.")
_entry("spark.task.reaper.threadDump", parse_bool, "true",
       "Log the stack of a killed task that does not stop (on the executor, when the reaper gives "
       "up on it).")
_entry("spark.locality.wait", _duration("ms"), "3s",
       "How long a task waits for a slot on the executor that caches its input before running "
       "elsewhere.")
# --- executors
_entry("spark.executor.memory", _positive_size("m"), "1g",
       "Memory per executor process; storage and shuffle buffers are budgeted from it.")
_entry("spark.executor.pyspark.memory", _positive_size("m"), None,
       "Limit on the memory the Python code of each executor may allocate (an address-space "
       "limit, RLIMIT_AS, as PySpark sets): a task allocating past it fails with MemoryError, "
       "its executor survives. Unset: no limit. Differs from PySpark: counted on top of the "
       "executor's own address space at start-up (gRPC, Arrow and threads reserve some), and "
       "Linux only.")
_entry("spark.executor.cores", _positive_int, "1",
       "Task slots per executor. local[N] starts N executor processes with this many slots each "
       "(default 1); a task that needs more CPUs (spark.task.cpus or a ResourceProfile) than an "
       "executor has fails at once.")
_entry("spark.scheduler.resource.profileMergeConflicts", parse_bool, "false",
       "When the RDDs of one stage carry different ResourceProfiles, merge them (largest amount "
       "of each resource) instead of failing the stage.")
_entry("spark.barrier.sync.timeout", _positive_duration("s"), "365d",
       "How long a BarrierTaskContext.barrier()/allGather() call waits for every task of its "
       "stage before failing.")
_entry("spark.executor.heartbeatInterval", _positive_duration("ms"), "10s",
       "How often executors report to the driver; must be less than spark.network.timeout.")
_entry("spark.network.timeout", _positive_duration("s"), "120s",
       "An executor silent for this long is considered lost; also the deadline of fetches between "
       "processes.")
_entry("sparklite.executor.startTimeout", _positive_duration("s"), "60s",
       "How long a job waits for its first executor before failing. On a standalone cluster that "
       "accepted the application, jobs instead wait for executors as long as it takes (warning "
       "every 15 s), as Spark does when the cluster is busy.")
_entry("spark.local.dir", str, tempfile.gettempdir(),
       "Directory for shuffle files and spilled blocks (one subdirectory per application).")
_entry("spark.memory.fraction", _fraction, "0.6",
       "Share of spark.executor.memory used for storage and execution.")
_entry("spark.memory.storageFraction", _fraction, "0.5",
       "Share of that memory for cached blocks (Arrow bytes; least recently used blocks are "
       "evicted past it).")
_entry("spark.python.worker.memory", _positive_size("m"), "512m",
       "Memory an aggregation, sort or join buffer may use in a task before it spills sorted runs "
       "to disk; capped by the task's share of the execution memory (spark.executor.memory x "
       "spark.memory.fraction, less what cached blocks use, divided by the executor's cores).")
_entry("sparklite.executor.forkServer", parse_bool, "true",
       "Local mode on Linux: fork executors from one template process that imported the "
       "executor's modules once (no gRPC channel or thread exists in it when it forks), instead "
       "of starting an interpreter per executor. False: each executor is its own interpreter.")
_entry("sparklite.executor.gcThresholds", _gc_thresholds, "20000,20,20",
       "Executors' garbage-collector thresholds (gc.set_threshold: generation 0, 1, 2). Tasks "
       "build millions of short-lived containers; Python's default (700,10,10) spends ~10% of a "
       "shuffle or join task in collections that find no garbage. Empty: Python's default.")
# --- storage
_entry("sparklite.storage.chunkRecords", _positive_int, "16384",
       "Most records per Arrow record batch of a cached block: the unit in which a block is "
       "encoded, reserved against the storage budget, and decoded when read. Batches of large "
       "records are shorter (about 1 MiB of records as Python objects each), so building a "
       "block never holds many megabytes of small objects at once.")
# --- network and security
_entry("spark.driver.host", str, None,
       "Address executors use to reach the driver. Unset: 127.0.0.1 in local mode; in cluster mode "
       "the local address that routes to the master.")
_entry("spark.driver.bindAddress", str, None, "Address the driver binds; defaults to spark.driver.host.")
_entry("spark.driver.port", _port, "0", "Driver RPC port; 0 picks a free port.")
_entry("spark.driver.maxResultSize", _size("b", at_least=1 << 20, zero_means="unlimited"), "1g",
       "Limit of the total size of the pickled results of one job's tasks (e.g. collect), checked "
       "as each result arrives and before the driver holds it: past it the job fails naming this "
       "key. 0 means unlimited.")
_entry("spark.task.maxDirectResultSize", _positive_size("b", at_most=MAX_CHUNK), "1m",
       "Task results up to this size (with their accumulator updates) travel to the driver inside "
       "the task's status; bigger ones wait on the executor's disk until the driver, having checked "
       "spark.driver.maxResultSize, fetches them in chunks."),
_entry("spark.authenticate", parse_bool, "false",
       "Require the shared secret on every RPC. Always on in local mode (a secret is generated "
       "per application).")
_entry("spark.authenticate.secret", str, None, "The shared secret (cluster mode).")
_entry("sparklite.authenticate.secretFile", str, None, "A file holding the shared secret.")
_entry("spark.ssl.enabled", parse_bool, "false",
       "Encrypt every RPC (driver, executors, master, workers) with mutual TLS, using the PEM files "
       "below.")
_entry("sparklite.ssl.certFile", str, None, "PEM certificate of this process (TLS).")
_entry("sparklite.ssl.keyFile", str, None, "PEM private key of that certificate (TLS).")
_entry("sparklite.ssl.caFile", str, None, "PEM certificate authority that signed every peer (TLS).")
_entry("sparklite.ssl.serverName", str, None,
       "Name to expect in peers' certificates instead of their address (one certificate per cluster).")
# --- standalone cluster
_entry("spark.cores.max", _positive_int, None,
       "Cores an application may take from a standalone cluster in total. Unset: all it can get.")
_entry("spark.executor.instances", _positive_int, None,
       "Executors an application asks a standalone cluster for. Unset: as many as fit (within "
       "spark.cores.max).")
# --- ray
_entry("sparklite.ray.address", str, "auto",
       "master=\"ray\": the Ray cluster to attach to when this process is not connected yet "
       "(passed to ray.init(address=...): auto, host:port of a head node, or ray://host:port).")
_entry("sparklite.ray.placementStrategy", _choice("SPREAD", "PACK", "STRICT_SPREAD", "STRICT_PACK"),
       "SPREAD", "master=\"ray\": how the placement group of the executors' bundles is placed.")
_entry("spark.executor.maxNumFailures", _positive_int, None,
       "master=\"ray\": executor losses the backend replaces before failing the application. "
       "Unset: twice spark.executor.instances, at least 3 (as Spark).")
_entry("spark.scheduler.minRegisteredResourcesRatio", _fraction, "0.8",
       "Share of the executors granted by a standalone master that must register before the first "
       "job (waiting at most spark.scheduler.maxRegisteredResourcesWaitingTime).")
_entry("spark.scheduler.maxRegisteredResourcesWaitingTime", _duration("ms"), "30s",
       "Longest wait at start-up for executors of a standalone cluster.")
_entry("spark.worker.timeout", _positive_duration("s"), "60s",
       "A worker silent for this long is considered lost by the master; an application whose "
       "driver disconnected and did not come back within it is marked FAILED.")
_entry("spark.worker.ui.port", _non_negative_int, "8081",
       "Port of a worker's log pages (executors' stdout/stderr); taken ports fall through.")
_entry("spark.worker.cleanup.enabled", parse_bool, "true",
       "Remove the work directories (executor logs) of finished applications after "
       "spark.worker.cleanup.appDataTtl. Differs from Spark: on by default.")
_entry("spark.worker.cleanup.interval", _positive_duration("s"), "1800s",
       "How often a worker looks for finished applications' directories to remove.")
_entry("spark.worker.cleanup.appDataTtl", _duration("s"), "7d",
       "How long a worker keeps a finished application's directory (its executors' logs).")
_entry("sparklite.worker.heartbeatInterval", _positive_duration("ms"), "5s",
       "How often workers report to the master; must be less than spark.worker.timeout.")
_entry("spark.deploy.retainedApplications", _positive_int, "200",
       "Finished and failed applications the master keeps showing; older ones are forgotten.")
_entry("spark.submit.pyFiles", str, None,
       "Comma-separated .py/.zip/.egg files shipped to executors and importable there (--py-files).")
_entry("spark.files", str, None,
       "Comma-separated files shipped to executors, readable through SparkFiles.get (--files).")
_entry("spark.archives", str, None,
       "Comma-separated archives (.zip, .jar, .tar.gz, .tgz, .tar) unpacked on every executor, "
       "each into SparkFiles.get(<file name>), or SparkFiles.get(<alias>) for path#alias "
       "(--archives).")
_entry("spark.submit.deployMode", _deploy_mode, "client",
       "Where the driver runs: client (this process; the only mode so far).")
_entry("spark.driver.memory", _positive_size("m"), "1g",
       "Memory of the driver (--driver-memory). Recorded only: the driver is the Python process "
       "that runs the script, which no setting can resize after it started.")
_entry("spark.python.profile", parse_bool, "false",
       "Profile every task with cProfile on the executors; sc.show_profiles() prints the "
       "statistics merged per RDD, sc.dump_profiles(dir) writes rdd_<id>.pstats files.")
_entry("spark.python.profile.dump", str, None,
       "With spark.python.profile: a directory the profiles are dumped to when the context stops.")
# --- sparklite.sql (DataFrames of files)
_entry("spark.sql.files.maxPartitionBytes", _positive_size("b"), "128m",
       "Most bytes of Parquet row groups one read task takes (a bigger file is read by several "
       "tasks, one run of row groups each).")
# --- shuffle
_entry("sparklite.shuffle.forceRemoteFetch", parse_bool, "false",
       "Fetch every shuffle segment through the owning executor's gRPC block service, even on "
       "the same host (exercises the network path on one machine).")
_entry("sparklite.shuffle.fetchChunkSize", _positive_size("b", at_most=MAX_CHUNK), "1m",
       "Chunk size of streamed transfers between processes: shuffle segments, cached blocks and "
       "task results.")
_entry("sparklite.shuffle.batchSize", _positive_int, "8192",
       "Records per pickled frame in shuffle files.")
# --- clean-up (cleaner.py)
_entry("spark.cleaner.referenceTracking", parse_bool, "true",
       "Remove the shuffle files, cached blocks and broadcast copies of RDDs, shuffles and "
       "broadcasts the driver program no longer references, from every executor and the driver "
       "(Spark's ContextCleaner).")
_entry("spark.cleaner.referenceTracking.blocking", parse_bool, "true",
       "Whether the cleaning thread waits (up to spark.network.timeout) for executors to confirm "
       "that a dropped RDD's cached blocks are gone before the next clean-up.")
_entry("spark.cleaner.periodicGC.interval", _positive_duration("min"), "30min",
       "How often the driver runs a full garbage collection, so RDDs, shuffles and broadcasts "
       "kept alive only by reference cycles are found and cleaned.")
# --- console
_entry("spark.ui.showConsoleProgress", parse_bool, "false",
       "Draw a progress bar on stderr (a terminal only) for jobs running longer than 0.5 s. "
       "sparklite-shell turns it on unless it is set.")
# --- web UI, REST API, metrics
_entry("spark.ui.enabled", parse_bool, "true",
       "Serve the application's web UI and REST API (/api/v1) from the driver while it runs.")
_entry("spark.ui.port", _non_negative_int, "4040",
       "Port of the driver's web UI; taken ports fall through to the next ones "
       "(spark.port.maxRetries). 0 picks any free port.")
_entry("spark.port.maxRetries", _non_negative_int, "16",
       "How many ports after a taken one the web UIs try (driver, worker, history server).")
_entry("spark.ui.prometheus.enabled", parse_bool, "true",
       "Serve Prometheus metrics at /metrics/prometheus (driver) and /metrics/executors/prometheus.")
_entry("spark.ui.retainedJobs", _positive_int, "1000", "Finished jobs the UI and status tracker remember.")
_entry("spark.ui.retainedStages", _positive_int, "1000",
       "Finished stages the UI and status tracker remember.")
_entry("spark.ui.retainedTasks", _positive_int, "100000", "Tasks of one stage the UI remembers.")
_entry("spark.ui.retainedDeadExecutors", _non_negative_int, "100", "Removed executors the UI remembers.")
_entry("spark.redaction.regex", _regex, "(?i)secret|password|token|access[.]?key",
       "Config keys whose values the UI, the event log and --verbose show as *********(redacted).")
_entry("spark.scheduler.listenerbus.eventqueue.capacity", _positive_int, "10000",
       "Events each listener queue (UI store, event log, others) holds before dropping new ones.")
# --- event log and history server
_entry("spark.eventLog.enabled", parse_bool, "false",
       "Write the application's listener events as Spark's JSON-lines event log, readable by "
       "Spark's History Server and sparklite-history.")
_entry("spark.eventLog.dir", str, "file:/tmp/spark-events",
       "Directory (any fsspec URL) of event logs; it must exist. Each application writes "
       "<app id>.inprogress there, renamed to <app id> when it ends.")
_entry("spark.eventLog.compress", parse_bool, "false",
       "Compress event logs with spark.eventLog.compression.codec.")
_entry("spark.eventLog.compression.codec", _codec, "zstd",
       "Event log compression codec; zstd (what Spark writes by default) is the one sparklite writes.")
_entry("spark.eventLog.overwrite", parse_bool, "false", "Replace an existing event log of the same name.")
_entry("spark.eventLog.logBlockUpdates.enabled", parse_bool, "false",
       "Also log every block update (cached partitions), so a history server shows Storage.")
_entry("spark.eventLog.buffer.kb", _size("k"), "100k", "Buffer of the event log writer.")
_entry("spark.history.fs.logDirectory", str, "file:/tmp/spark-events",
       "Where sparklite-history (and Spark's History Server) look for event logs.")
_entry("spark.history.ui.port", _non_negative_int, "18080", "Port of sparklite-history.")
_entry("spark.history.fs.update.interval", _duration("s"), "10s",
       "How often sparklite-history looks for new or changed event logs.")
# --- tests
_entry("sparklite.testing", parse_bool, "false", "Enables the sparklite.test.* keys.")

_entry("spark.dynamicAllocation.executorIdleTimeout", _positive_duration("s"), "60s",
       "Stage-level scheduling: an executor started for a ResourceProfile (rdd.withResources "
       "with executor requests, local and ray backends) is stopped after this long without tasks.")

#: Spark's per-resource keys (``<name>``: gpu, fpga...), read by sparklite/resource_discovery.py
RESOURCE_KEYS: Mapping[str, str] = MappingProxyType({
    "spark.executor.resource.<name>.amount": "Addresses of <name> each executor gets (whole).",
    "spark.executor.resource.<name>.discoveryScript": "Prints {\"name\": ..., \"addresses\": [...]}; "
                                                       "examples/getGpusResources.sh finds NVIDIA GPUs.",
    "spark.executor.resource.<name>.vendor": "Recorded (Kubernetes device plugins use it).",
    "spark.task.resource.<name>.amount": "Share of <name> each task needs: 0.25 lets four tasks share "
                                          "an address; above 1, whole addresses.",
    "spark.driver.resource.<name>.amount": "Addresses of <name> for the driver (sc.resources).",
    "spark.driver.resource.<name>.discoveryScript": "As the executor's, for the driver.",
    "spark.driver.resourcesFile": "JSON allocations used instead of the driver's discovery scripts.",
    "spark.worker.resource.<name>.amount": "Addresses of <name> a standalone worker offers.",
    "spark.worker.resource.<name>.discoveryScript": "As the executor's, run by the worker.",
    "spark.worker.resourcesFile": "JSON allocations used instead of the worker's discovery scripts.",
})

#: every known key, read-only
ENTRIES: Mapping[str, ConfigEntry] = MappingProxyType(_entries)


class Settings:
    """A validated, typed, read-only view of a string config map.

    Construct it once per application: every known key present in the map is
    parsed immediately (with its range), and the relations between keys are
    checked (config_checks.py), so a bad value fails at start-up naming its key.
    """

    def __init__(self, raw: Mapping[str, str], warn_unknown: bool = True):
        from sparklite.config_checks import UNSUPPORTED, check_relations, warn_unsupported

        self._raw = dict(raw)
        self._parsed: dict[str, Any] = {}
        for key, value in self._raw.items():
            entry = _entries.get(key)
            if entry is None:
                if warn_unknown and key not in UNSUPPORTED:
                    _warn_unknown(key)
                continue
            self._parsed[key] = _parse(entry, value)
        check_relations(self.get, self._raw, ConfigError)
        if warn_unknown:
            warn_unsupported(self._raw)

    def get(self, key: str) -> Any:
        if key in self._parsed:
            return self._parsed[key]
        entry = _entries.get(key)
        if entry is None:
            raise KeyError(f"{key} is not a sparklite config key")
        value = None if entry.default is None else _parse(entry, entry.default)
        self._parsed[key] = value
        return value

    def raw(self) -> dict[str, str]:
        return dict(self._raw)

    def test_flag(self, key: str, default: str | None = None) -> str | None:
        """A ``sparklite.test.*`` value, honoured only when ``sparklite.testing=true``."""
        if not self.get("sparklite.testing"):
            return default
        return self._raw.get(key, default)


_warned: set[str] = set()


def _warn_unknown(key: str) -> None:
    """Warn (once per process) about a key that is probably a typo.

    Any ``spark.*`` key is legal (Spark passes unknown ones through to user code and
    Hadoop), so only one that nearly matches a known key is reported; an unknown
    ``sparklite.*`` key is always reported, as nothing else reads them (except the
    ``sparklite.fs.*`` pass-through of fsspec options).
    """
    if key in _warned or key.startswith(("sparklite.test.", "sparklite.fs.")):
        return  # sparklite.fs.<protocol>.<option>: any fsspec option (filesystems.py)
    close = difflib.get_close_matches(key, list(_entries), n=1, cutoff=0.85)
    if key.startswith("sparklite."):
        hint = f"; did you mean {close[0]}?" if close else ""
    elif close:
        hint = f"; did you mean {close[0]}?"
    else:
        return
    _warned.add(key)
    log.warning("unknown config key %s (ignored)%s", key, hint)


def _parse(entry: ConfigEntry, value: str) -> Any:
    try:
        return entry.parse(value)
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"invalid value {value!r} for config key {entry.key}: {exc}") from None


# ------------------------------------------------------------------ files and layers


def read_properties(path: str | os.PathLike[str]) -> dict[str, str]:
    """Read a spark-defaults.conf style file: ``key value`` or ``key=value`` lines, # comments."""
    p = pathlib.Path(path)
    if not p.is_file():
        raise ConfigError(f"properties file not found: {p}")
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read properties file {p}: {exc.strerror or exc}") from None
    props: dict[str, str] = {}
    for lineno, raw_line in enumerate(data.splitlines(), 1):
        try:
            line = raw_line.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ConfigError(f"{p}:{lineno}: not UTF-8 text (byte 0x{raw_line[exc.start]:02x} at column "
                              f"{exc.start + 1}); config files must be UTF-8") from None
        if lineno == 1:
            line = line.lstrip("\ufeff")  # a UTF-8 byte order mark
        text = line.strip()
        if not text or text.startswith("#") or text.startswith("!"):
            continue
        m = re.match(r"([^\s=:]+)\s*[=:\s]\s*(.*)$", text)
        if not m:
            shown = line if len(line) <= 80 else line[:77] + "..."
            raise ConfigError(f"{p}:{lineno}: cannot parse line {shown!r} (expected 'key value' or "
                              f"'key=value')")
        props[m.group(1)] = m.group(2).strip()
    return props


def conf_dir() -> pathlib.Path | None:
    """Where sparklite-defaults.conf and clusters/ live: $SPARKLITE_CONF_DIR, else
    $SPARKLITE_HOME/conf, else the checkout's conf/, else the copy an installed (non-editable)
    sparklite ships as package data (``sparklite/_conf``, made by setup.py's build hook)."""
    env = os.environ.get("SPARKLITE_CONF_DIR")
    if env:
        return pathlib.Path(env)
    home = os.environ.get("SPARKLITE_HOME")
    if home:
        return pathlib.Path(home) / "conf"
    package = pathlib.Path(__file__).resolve().parent
    checkout = package.parent / "conf"
    if checkout.is_dir() and (checkout / "clusters").is_dir():
        return checkout
    packaged = package / "_conf"
    return packaged if packaged.is_dir() else None


def defaults_file_layer() -> dict[str, str]:
    directory = conf_dir()
    if directory is None:
        return {}
    path = directory / DEFAULTS_FILE
    return read_properties(path) if path.is_file() else {}


def submit_layer() -> dict[str, str]:
    """What sparklite-submit/shell resolved (cluster file < properties file < --conf)."""
    text = os.environ.get(SUBMIT_CONF_ENV)
    if not text:
        return {}
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ConfigError(f"{SUBMIT_CONF_ENV} is not valid JSON: {exc}") from None
    return {str(k): str(v) for k, v in data.items()}


def load_layers() -> dict[str, str]:
    """Every file-based layer merged in precedence order (code-set values go on top later)."""
    return load_layers_with_origins()[0]


def load_layers_with_origins() -> tuple[dict[str, str], dict[str, str]]:
    """``load_layers()`` and, per key, where its value came from."""
    merged = defaults_file_layer()
    directory = conf_dir()
    origins = dict.fromkeys(merged, f"defaults file {directory / DEFAULTS_FILE}" if directory else "defaults file")
    submitted = submit_layer()
    merged.update(submitted)
    try:
        told = json.loads(os.environ.get(SUBMIT_ORIGINS_ENV) or "{}")
    except ValueError:
        told = {}
    origins.update({k: str(told.get(k, "sparklite-submit")) for k in submitted})
    return merged, origins


def iter_documented_keys(template_text: str) -> Iterable[str]:
    """Keys mentioned in a defaults template (commented ``# key value`` lines)."""
    for line in template_text.splitlines():
        m = re.match(r"#?\s*((?:spark|sparklite)\.[A-Za-z0-9_.]+)\s", line + " ")
        if m:
            yield m.group(1)
