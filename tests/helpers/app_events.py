"""A small application's listener events, built by hand (unit tests of the store, REST API and
event-log protocol): two jobs sharing a shuffle, a failed and retried task, a failed job, a
cached RDD, an executor lost."""
from __future__ import annotations

from sparklite.scheduler import listener_events as le
from sparklite.storagelevel import StorageLevel

T0 = 1_700_000_000_000


def rdd(rdd_id: int, parents: tuple[int, ...] = (), cached: bool = False) -> le.RDDInfo:
    return le.RDDInfo(rdd_id, f"RDD{rdd_id}", 2, StorageLevel.MEMORY_ONLY if cached else StorageLevel.NONE,
                      parents, f"op{rdd_id} at job.py:{rdd_id}", False, f"op{rdd_id}")


MAP = le.StageInfo(0, 0, "reduceByKey at job.py:3", 2, (rdd(1, (0,)), rdd(0)), (), "long form", True,
                   shuffle_id=0, partitions=(0, 1))
RESULT = le.StageInfo(1, 0, "collect at job.py:4", 2, (rdd(2, (1,), cached=True),), (0,), "", False,
                      partitions=(0, 1))
FAILING = le.StageInfo(2, 0, "count at job.py:6", 2, (rdd(3, (1,)),), (0,), "", False, partitions=(0, 1))


def metrics(run: int, read: int = 0, written: int = 0, records: int = 10) -> le.TaskMetrics:
    return le.TaskMetrics(executor_deserialize_time=2, executor_run_time=run, executor_cpu_time=run * 900_000,
                          result_size=100, jvm_gc_time=1, input_bytes=0 if read else 1000,
                          input_records=0 if read else records, shuffle_local_blocks_fetched=2 if read else 0,
                          shuffle_local_bytes_read=read, shuffle_records_read=records if read else 0,
                          shuffle_bytes_written=written, shuffle_records_written=records if written else 0,
                          shuffle_write_time=5000)


def task(task_id: int, index: int, start: int, end: int = 0, attempt: int = 0, executor: str = "0",
         failed: bool = False) -> le.TaskInfo:
    return le.TaskInfo(task_id, index, attempt, index, T0 + start, executor, "host-a", le.PROCESS_LOCAL,
                       finish_time=T0 + end if end else 0, failed=failed)


def run_task(stage: le.StageInfo, task_id: int, index: int, start: int, end: int,
             reason: le.TaskEndReason = le.SUCCESS, m: le.TaskMetrics | None = None, attempt: int = 0,
             executor: str = "0") -> list:
    kind = "ShuffleMapTask" if stage.is_shuffle_map else "ResultTask"
    return [le.TaskStart(stage.stage_id, stage.attempt_id, task(task_id, index, start, 0, attempt, executor)),
            le.TaskEnd(stage.stage_id, stage.attempt_id, kind, reason,
                       task(task_id, index, start, end, attempt, executor, failed=not reason.succeeded), m)]


def submitted(stage: le.StageInfo, at: int) -> le.StageSubmitted:
    from dataclasses import replace

    return le.StageSubmitted(replace(stage, submission_time=T0 + at), {"spark.job.description": "demo"})


def completed(stage: le.StageInfo, at: int, end: int, failure: str | None = None) -> le.StageCompleted:
    from dataclasses import replace

    return le.StageCompleted(replace(stage, submission_time=T0 + at, completion_time=T0 + end,
                                     failure_reason=failure))


BOOM = le.TaskEndReason("ExceptionFailure", "boom", class_name="builtins.ValueError",
                        stack=(("job", "f", "/home/u/job.py", 5),),
                        full_stack_trace='Traceback (most recent call last):\n  File "/home/u/job.py", '
                                         'line 5, in f\nValueError: boom\n')


def events() -> list:
    out: list = [
        le.EnvironmentUpdate({"JVM Information": (("Python Version", "3.11"),),
                              "Spark Properties": (("spark.app.name", "demo"),
                                                   ("spark.authenticate.secret", "*********(redacted)")),
                              "Hadoop Properties": (), "System Properties": (("os.name", "Linux"),),
                              "Metrics Properties": (), "Classpath Entries": (("/home/u", "sys.path"),)}),
        le.BlockManagerAdded(T0, "driver", "host-a", 4000, 1 << 20, 1 << 20, 0),
        le.ApplicationStart("demo", "local-1", T0, "alice"),
        le.ExecutorAdded(T0 + 10, "0", "host-a", 2, {"stdout": "http://h/o", "stderr": "http://h/e"}),
        le.BlockManagerAdded(T0 + 10, "0", "host-a", 5000, 1 << 20, 1 << 20, 0),
        le.ExecutorAdded(T0 + 11, "1", "host-a", 2, {}),
        le.JobStart(0, T0 + 100, (MAP, RESULT), {"callSite.short": "collect at job.py:4",
                                                "spark.jobGroup.id": "g1"}),
        submitted(MAP, 110),
        *run_task(MAP, 0, 0, 120, 150, m=metrics(25, written=300)),
        *run_task(MAP, 1, 1, 121, 170, m=metrics(45, written=310)),
        completed(MAP, 110, 171),
        submitted(RESULT, 172),
        *run_task(RESULT, 2, 0, 180, 200, m=metrics(15, read=200)),
        *run_task(RESULT, 3, 1, 181, 190, BOOM, metrics(5, read=0)),
        *run_task(RESULT, 4, 1, 191, 230, m=metrics(35, read=410), attempt=1, executor="1"),
        le.BlockUpdated("0", "host-a", 5000, "rdd_2_0", StorageLevel.MEMORY_ONLY, 64, 0),
        le.BlockUpdated("1", "host-a", 5001, "rdd_2_1", StorageLevel.MEMORY_ONLY, 80, 0),
        completed(RESULT, 172, 231),
        le.JobEnd(0, T0 + 232, True),
        le.JobStart(1, T0 + 300, (MAP, FAILING), {"callSite.short": "count at job.py:6"}),
        submitted(FAILING, 310),
        *run_task(FAILING, 5, 0, 320, 330, BOOM, None),
        le.TaskStart(2, 0, task(6, 1, 321, executor="1")),
        le.TaskEnd(2, 0, "ResultTask", le.TaskEndReason("ExecutorLostFailure", "lost", executor_id="1",
                                                        exit_caused_by_app=False), task(6, 1, 321, 340, executor="1",
                                                                                        failed=True), None),
        le.BlockManagerRemoved(T0 + 341, "1", "host-a", 5001),
        le.ExecutorRemoved(T0 + 341, "1", "process exited with code -9"),
        completed(FAILING, 310, 345, "Job aborted due to stage failure: boom"),
        le.JobEnd(1, T0 + 346, False, "SparkliteJobError: boom"),
        le.UnpersistRDD(2),
        le.ApplicationEnd(T0 + 400),
    ]
    return out
