"""Runs one task attempt and turns its outcome into a TaskStatus.

The user's exception becomes an ExceptionFailure carrying a traceback
trimmed to the user's own frames (the engine's frames in between are noise to
them), the exception type's name, and the exception itself when it pickles,
so the driver can raise something ``except ValueError`` still catches.
"""
from __future__ import annotations

import importlib
import os
import pickle
import time
import traceback
from typing import Any

from sparklite import serializers
from sparklite.errors import (ExceptionFailure, FetchFailed, FetchFailure, TaskKilled, TaskKilledFailure,
                              capture_exception)
from sparklite.executor import task_metrics
from sparklite.executor.task_metrics import TaskMetricsCollector
from sparklite.rpc.generated import sparklite_pb2 as pb
from sparklite.files import DEPENDENCIES_PROPERTY
from sparklite.profiler import PROFILE_PROPERTY, run_profiled
from sparklite.resource import ResourceInformation
from sparklite.taskcontext import BarrierTaskContext, TaskContext



def _package_dir(name: str) -> str:
    module = importlib.import_module(name)
    return os.path.dirname(os.path.abspath(module.__file__ or "")) + os.sep


#: frames from these directories are the engine's, not the user's
_INTERNAL_DIRS = tuple(_package_dir(name) for name in ("sparklite", "cloudpickle"))


def run_task(env: Any, body_of: Any, map_locations: dict[int, list], launch: pb.LaunchTask,
             cpus: int = 1) -> pb.TaskStatus:
    properties = dict(launch.local_properties)
    dependencies = properties.pop(DEPENDENCIES_PROPERTY, None)
    profile_aid = properties.pop(PROFILE_PROPERTY, None)  # spark.python.profile (profiler.py)
    context_class = BarrierTaskContext if launch.barrier else TaskContext
    context = context_class._create(stage_id=launch.stage_id, stage_attempt=launch.stage_attempt,
                            partition_id=launch.partition, attempt_number=launch.attempt_number,
                            task_attempt_id=launch.task_id, local_properties=properties,
                            cpus=launch.cpus or cpus, env=env, map_locations=map_locations,
                            resources={name: ResourceInformation(name, list(r.addresses))
                                       for name, r in launch.resources.items()})
    context.fetch_failure = None  # type: ignore[attr-defined]
    metrics = context.task_metrics = TaskMetricsCollector()  # type: ignore[attr-defined]
    TaskContext._set(context)
    started = time.perf_counter()
    cpu_started = time.thread_time_ns()
    gc_started = task_metrics.gc_time_ns
    ran = cpu_ran = None
    status = pb.TaskStatus(task_id=launch.task_id)
    try:
        if dependencies is not None:
            env.files.update(dependencies)  # addFile/addPyFile: before the body is unpickled
        body = body_of()
        deserialized, cpu_deserialized = time.perf_counter(), time.thread_time_ns()
        metrics.executor_deserialize_time = int((deserialized - started) * 1000)
        metrics.executor_deserialize_cpu_time = cpu_deserialized - cpu_started
        if profile_aid is None:
            value = body.run(launch.partition, context)
        else:
            value = run_profiled(lambda: body.run(launch.partition, context), body.rdd._rdd_id,
                                 context.accumulator_updates, int(profile_aid))
        ran, cpu_ran = time.perf_counter(), time.thread_time_ns()
        if context.fetch_failure is not None:  # type: ignore[attr-defined]
            raise context.fetch_failure  # type: ignore[attr-defined]
        status.result = _dump_result(value)
        metrics.result_serialization_time = int((time.perf_counter() - ran) * 1000)
        metrics.result_size = len(status.result)
        status.state = pb.FINISHED
        if context.accumulator_updates:
            status.accumulator_updates = serializers.dumps(context.accumulator_updates)
    except TaskKilled as exc:
        status.state = pb.KILLED
        status.failure = pickle.dumps(TaskKilledFailure(f"task killed: {exc}", counts=False))
    except BaseException as exc:
        status.state = pb.FAILED
        fetch = context.fetch_failure if isinstance(getattr(context, "fetch_failure", None), FetchFailed) else None  # type: ignore[attr-defined]
        if fetch is None and isinstance(exc, FetchFailed):
            fetch = exc
        status.failure = pickle.dumps(_fetch_failure(fetch) if fetch is not None else
                                      _exception_failure(exc, getattr(env, "python_memory_limit", None)))
    finally:
        TaskContext._set(None)
    ended = time.perf_counter()
    status.run_seconds = ended - started
    _finish_metrics(metrics, started, cpu_started, ran or ended, cpu_ran or time.thread_time_ns(), gc_started)
    metrics.to_proto(status.metrics)
    return status


def _finish_metrics(metrics: TaskMetricsCollector, started: float, cpu_started: int, ran: float,
                    cpu_ran: int, gc_started: int) -> None:
    """Run time excludes deserialization, as Spark's executorRunTime does."""
    deserialize_ms = metrics.executor_deserialize_time
    metrics.executor_run_time = max(0, int((ran - started) * 1000) - deserialize_ms)
    metrics.executor_cpu_time = max(0, cpu_ran - cpu_started - metrics.executor_deserialize_cpu_time)
    metrics.jvm_gc_time = (task_metrics.gc_time_ns - gc_started) // 1_000_000


def killed_status(task_id: int) -> pb.TaskStatus:
    """The status of an attempt killed outside ``run_task``'s own handler (see task_kill.py)."""
    return pb.TaskStatus(task_id=task_id, state=pb.KILLED,
                         failure=pickle.dumps(TaskKilledFailure("task killed", counts=False)))


def _dump_result(value: Any) -> bytes:
    try:
        return serializers.dumps(value)
    except Exception as exc:
        raise TypeError(f"the task's result (a {type(value).__name__}) could not be pickled to send "
                        f"it to the driver: {exc}") from exc


def _fetch_failure(ff: FetchFailed) -> FetchFailure:
    return FetchFailure(str(ff), counts=False, shuffle_id=ff.shuffle_id, map_index=ff.map_index,
                        map_task_id=ff.map_task_id, reduce_id=ff.reduce_id, executor_id=ff.executor_id)


def user_traceback(exc: BaseException) -> str:
    """The traceback of ``exc`` as the user's code saw it: the engine's frames left out.

    Exceptions of the chain that passed through no user frame at all (a result that could
    not be pickled, say) are left out too, except the last, whose message says what went
    wrong; it then comes without a stack, as nothing in it is the user's.
    """
    te = traceback.TracebackException.from_exception(exc, capture_locals=False)
    chain: list[traceback.TracebackException] = []
    cur: traceback.TracebackException | None = te
    while cur is not None and len(chain) < 5:
        chain.append(cur)
        cur = cur.__cause__ or (None if cur.__suppress_context__ else cur.__context__)
    parts: list[str] = []
    for i, item in enumerate(reversed(chain)):
        frames = [f for f in item.stack if not f.filename.startswith(_INTERNAL_DIRS)]
        last = i == len(chain) - 1
        if not frames and not last:
            continue
        if parts:
            parts.append("\nThe above exception was the direct cause of the following exception:\n\n")
        if frames:
            parts.append("Traceback (most recent call last):\n")
            parts.extend(traceback.StackSummary.from_list(frames).format())
        parts.extend(item.format_exception_only())
    return "".join(parts)


def _exception_failure(exc: BaseException, memory_limit: str | None = None) -> ExceptionFailure:
    remote_type = f"{type(exc).__module__}.{type(exc).__qualname__}"
    tb = user_traceback(exc)
    exc_bytes, portrait = capture_exception(exc, serializers.dumps)
    message = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    if isinstance(exc, MemoryError) and memory_limit:
        note = (f"(the executor's Python memory is limited to {memory_limit} by "
                f"spark.executor.pyspark.memory)")
        message = f"{message} {note}"
        tb = f"{tb.rstrip()} {note}\n"
    return ExceptionFailure(message, counts=True, remote_type=remote_type, remote_traceback=tb,
                            exception_bytes=exc_bytes, portrait_bytes=portrait)
