"""TaskSetManager: one stage attempt's tasks — which to launch where, retries, executor loss.

Policy
------
* **Locality (delay scheduling).** A task whose input is cached on some live
  executor waits for a slot there; a free slot elsewhere takes it only once no
  local launch has happened for ``spark.locality.wait``. Tasks without
  preferences run anywhere at once.
* **Retries.** A failed attempt goes back to pending; its failure counts
  toward ``spark.task.maxFailures`` unless the failure says otherwise (an
  executor that died, a killed attempt). At the limit the task set aborts.
* **Executor loss.** Attempts running there are re-pended without counting;
  for a shuffle-map task set, tasks that *finished* there are re-pended too,
  because their output died with the executor.
* **Zombie.** After an abort, a fetch failure, or once a newer attempt of the
  stage exists, the manager launches nothing more but still accounts for the
  attempts that are running.

State
-----
``pending`` is an insertion-ordered set of task indices; ``pending_by_executor``
and ``pending_by_host`` are lazy indexes over it (entries are skipped when no
longer pending). ``running`` maps task id -> index/executor.

THREADING: called only from the scheduler thread.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from sparklite.errors import TaskFailure
from sparklite.scheduler.task import TaskLaunch, TaskSet


@dataclass
class _Attempt:
    index: int
    executor_id: str
    attempt_number: int


class TaskSetManager:
    def __init__(self, task_set: TaskSet, max_failures: int, locality_wait: float,
                 clock: Callable[[], float], is_alive: Callable[[str], bool],
                 next_task_id: Callable[[], int], max_executor_losses: int = 8):
        self.task_set = task_set
        self.max_failures = max_failures
        self.max_executor_losses = max_executor_losses
        self.locality_wait = locality_wait
        self._clock = clock
        self._is_alive = is_alive
        self._next_task_id = next_task_id
        n = len(task_set)
        #: indices waiting to launch, in submission order
        self.pending: dict[int, None] = dict.fromkeys(range(n))
        self.pending_by_executor: dict[str, list[int]] = {}
        self.pending_by_host: dict[str, list[int]] = {}
        #: task id -> running attempt
        self.running: dict[int, _Attempt] = {}
        self.successful = [False] * n
        #: executor that produced each successful index (shuffle outputs die with it)
        self.success_executor: list[str | None] = [None] * n
        self.num_successful = 0
        self.failures = [0] * n
        #: attempts of each task that died with their executor (not counted as failures)
        self.executor_losses = [0] * n
        self.launches = [0] * n
        self.zombie = False
        #: pickled bytes and count of the results accepted so far (spark.driver.maxResultSize)
        self.result_bytes = 0
        self.result_count = 0
        self.last_local_launch = clock()
        for i in range(n):
            self._index_preferences(i)

    # ------------------------------------------------------------------ offers

    def _index_preferences(self, i: int) -> None:
        for eid in self.task_set.preferred_executors[i]:
            self.pending_by_executor.setdefault(eid, []).append(i)
        for host in self.task_set.preferred_hosts[i]:
            self.pending_by_host.setdefault(host, []).append(i)

    def _has_live_preference(self, i: int) -> bool:
        return any(self._is_alive(e) for e in self.task_set.preferred_executors[i])

    def _pop_from(self, candidates: list[int] | None) -> int | None:
        while candidates:
            i = candidates.pop(0)
            if i in self.pending:
                return i
        return None

    def resource_offer(self, executor_id: str, host: str) -> TaskLaunch | None:
        """A task to run on a free slot of ``executor_id``, or None (nothing, or wait for locality)."""
        if self.zombie or not self.pending:
            return None
        now = self._clock()
        index = self._pop_from(self.pending_by_executor.get(executor_id))
        if index is None:
            index = self._pop_from(self.pending_by_host.get(host))
        if index is not None:
            self.last_local_launch = now
        else:
            waited = now - self.last_local_launch >= self.locality_wait
            for i in self.pending:
                if waited or not self._has_live_preference(i):
                    index = i
                    break
        if index is None:
            return None
        del self.pending[index]
        task_id = self._next_task_id()
        attempt = self.launches[index]
        self.launches[index] += 1
        self.running[task_id] = _Attempt(index, executor_id, attempt)
        ts = self.task_set
        return TaskLaunch(task_id, index, ts.partitions[index], attempt, ts.stage_id, ts.stage_attempt,
                          ts.job_id, executor_id)

    def next_locality_deadline(self) -> float | None:
        """When a waiting local task may run anywhere (for a revive timer), if any wait."""
        if self.zombie or not self.pending:
            return None
        return self.last_local_launch + self.locality_wait

    # ------------------------------------------------------------------ outcomes

    def _requeue(self, index: int) -> None:
        if not self.zombie and not self.successful[index] and index not in self.pending:
            self.pending[index] = None
            self._index_preferences(index)

    def index_of(self, task_id: int) -> int | None:
        attempt = self.running.get(task_id)
        return None if attempt is None else attempt.index

    def handle_success(self, task_id: int) -> bool:
        """Record a finished attempt; True if it is the first success of its task."""
        attempt = self.running.pop(task_id, None)
        if attempt is None or self.successful[attempt.index]:
            return False
        self.successful[attempt.index] = True
        self.success_executor[attempt.index] = attempt.executor_id
        self.num_successful += 1
        self.pending.pop(attempt.index, None)
        return True

    def handle_failure(self, task_id: int, failure: TaskFailure) -> str | None:
        """Record a failed attempt; returns an abort message once the task ran out of attempts."""
        attempt = self.running.pop(task_id, None)
        if attempt is None or self.successful[attempt.index]:
            return None
        if failure.counts:
            self.failures[attempt.index] += 1
            if self.failures[attempt.index] >= self.max_failures:
                self.zombie = True
                ts = self.task_set
                return (f"Task {attempt.index} in stage {ts.stage_id}.{ts.stage_attempt} failed "
                        f"{self.failures[attempt.index]} times; most recent failure (task id "
                        f"{task_id}, attempt {attempt.attempt_number}, executor "
                        f"{attempt.executor_id}): {failure.message}")
        self._requeue(attempt.index)
        return None

    def executor_lost(self, executor_id: str, reason: str = "") -> tuple[list[int], str | None]:
        """Re-pend attempts lost with the executor.

        Returns the partitions whose *finished* output was lost (shuffle-map task
        sets), and an abort message if some task has now lost its executor so many
        times that the task itself is the likely killer (an out-of-memory crash).
        """
        abort: str | None = None
        for task_id, attempt in list(self.running.items()):
            if attempt.executor_id == executor_id:
                del self.running[task_id]
                self.executor_losses[attempt.index] += 1
                if self.executor_losses[attempt.index] >= self.max_executor_losses and abort is None:
                    ts = self.task_set
                    abort = (f"Task {attempt.index} in stage {ts.stage_id}.{ts.stage_attempt} lost its "
                             f"executor {self.executor_losses[attempt.index]} times (last: executor "
                             f"{executor_id}{': ' + reason if reason else ''}); the task itself "
                             f"may be crashing it (sparklite.task.maxExecutorLosses)")
                self._requeue(attempt.index)
        lost_outputs: list[int] = []
        if self.task_set.is_shuffle_map:
            for i, eid in enumerate(self.success_executor):
                if eid == executor_id and self.successful[i]:
                    self.successful[i] = False
                    self.success_executor[i] = None
                    self.num_successful -= 1
                    self._requeue(i)
                    lost_outputs.append(self.task_set.partitions[i])
        if abort is not None:
            self.abort()
        return lost_outputs, abort

    def abort(self) -> None:
        self.zombie = True
        self.pending.clear()

    @property
    def is_finished(self) -> bool:
        done = self.num_successful == len(self.task_set)
        return (done or self.zombie) and not self.running

    def running_on(self) -> dict[int, str]:
        return {tid: a.executor_id for tid, a in self.running.items()}
