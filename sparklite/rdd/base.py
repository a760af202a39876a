"""RDDBase: the five properties every RDD has, and the one way a partition is read.

Internally, each RDD is characterized by five properties:

1. a list of partitions (``get_partitions``),
2. a function computing each partition from its parents (``compute``),
3. a list of dependencies on parent RDDs (``get_dependencies``),
4. optionally, a partitioner for key-value RDDs (``partitioner``),
5. optionally, preferred locations for each partition (``get_preferred_locations``).

Subclasses override the hooks; everybody else calls the final methods:
``partitions()`` (memoized on the driver and shipped with the lineage, so an
executor never re-plans), ``dependencies()``, and ``iterator()``, which reads a
persisted partition from the executor's block manager before falling back to
``compute``.

An RDD pickles without its SparkContext (``ctx`` becomes None): that is how
executors receive lineage. Attributes named in ``_transient`` stay on the
driver too (a ShuffledRDD's upstream lineage, for one). A checkpointed RDD
reports its checkpoint RDD as its only dependency and pickles with nothing but
that RDD, so its old lineage stays behind and its partitions are read from the
checkpoint (rdd/checkpoint.py). Calling an action or transformation on an RDD
inside a task raises a clear error, as in PySpark.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Iterator

from sparklite import callsite
from sparklite.storagelevel import StorageLevel

if TYPE_CHECKING:
    from sparklite.context import SparkContext
    from sparklite.rdd.dependency import Dependency
    from sparklite.rdd.partitioner import Partitioner
    from sparklite.taskcontext import TaskContext


class Partition:
    """A partition of an RDD: its index, plus whatever its RDD needs to compute it."""

    __slots__ = ("index",)

    def __init__(self, index: int):
        self.index = index

    def __getstate__(self):
        return {s: getattr(self, s) for cls in type(self).__mro__
                for s in getattr(cls, "__slots__", ()) if hasattr(self, s)}

    def __setstate__(self, state):
        for k, v in state.items():
            object.__setattr__(self, k, v)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.index})"


_ON_EXECUTOR_MESSAGE = (
    "It appears that you are attempting to broadcast an RDD or reference an RDD from an action "
    "or transformation. RDD transformations and actions can only be invoked by the driver, not "
    "inside of other transformations; for example, rdd1.map(lambda x: rdd2.values.count() * x) "
    "is invalid because the values transformation and count action cannot be performed inside "
    "of the rdd1.map transformation.")


class RDDBase:
    """The lineage contract. Public methods live in the mixins composed by ``sparklite.rdd.RDD``."""

    #: attributes that never leave the driver
    _transient: ClassVar[tuple[str, ...]] = ()
    #: once checkpointed: the RDD that replaces this one's lineage (see rdd/checkpoint.py)
    _checkpoint_rdd: RDDBase | None = None
    #: True where the id is taken at first use rather than at creation (PipelinedRDD)
    _lazy_id: ClassVar[bool] = False

    def __init__(self, ctx: SparkContext):
        self._ctx = ctx
        if not self._lazy_id:
            self._rdd_id: int = ctx._new_rdd_id()
        self.partitioner: Partitioner | None = None
        self.is_cached = False
        self.is_checkpointed = False
        self._storage_level: StorageLevel = StorageLevel.NONE
        self._name: str | None = None
        self._partitions: list[Partition] | None = None
        #: the user's line that made this RDD (``map at job.py:7``); driver only
        self._creation_site = callsite.capture(2)

    # ------------------------------------------------------------------ hooks

    def get_partitions(self) -> list[Partition]:
        raise NotImplementedError

    def get_dependencies(self) -> list[Dependency]:
        return []

    def compute(self, split: Partition, context: TaskContext) -> Iterator[Any]:
        raise NotImplementedError

    def get_preferred_locations(self, split: Partition) -> list[str]:
        return []

    # ------------------------------------------------------------------ final

    @property
    def ctx(self) -> SparkContext:
        if self._ctx is None:
            raise RuntimeError(_ON_EXECUTOR_MESSAGE)
        return self._ctx

    @property
    def context(self) -> SparkContext:
        """The :class:`SparkContext` that this RDD was created on.

        >>> sc.parallelize([1]).context is sc
        True
        """
        return self.ctx

    def partitions(self) -> list[Partition]:
        if self._checkpoint_rdd is not None:
            return self._checkpoint_rdd.partitions()
        if self._partitions is None:
            from sparklite.filesystems import options_of

            with options_of(self._ctx):  # file sources list their inputs with this app's options
                parts = self.get_partitions()
            for i, p in enumerate(parts):
                if p.index != i:
                    raise AssertionError(f"partition {i} of RDD {self._rdd_id} has index {p.index}")
            self._partitions = parts
        return self._partitions

    def dependencies(self) -> list[Dependency]:
        if self._checkpoint_rdd is not None:
            from sparklite.rdd.dependency import OneToOneDependency

            return [OneToOneDependency(self._checkpoint_rdd)]
        return self.get_dependencies()

    def preferred_locations(self, split: Partition) -> list[str]:
        return self.get_preferred_locations(split)

    def iterator(self, split: Partition, context: TaskContext) -> Iterator[Any]:
        if self._checkpoint_rdd is not None:  # lineage cut: read what the checkpoint kept
            return self._checkpoint_rdd.iterator(split, context)
        if self._storage_level.is_valid and context.env is not None:
            return context.env.block_manager.get_or_compute(self, split, context)
        return self.compute(split, context)

    # ------------------------------------------------------------------ pickling

    def __getstate__(self) -> dict[str, Any]:
        if self._checkpoint_rdd is not None:
            # the old lineage stays on the driver: executors read what the checkpoint kept
            return {"_ctx": None, "_rdd_id": self._rdd_id, "_name": self._name,
                    "partitioner": self.partitioner, "_storage_level": self._storage_level,
                    "is_cached": self.is_cached, "is_checkpointed": True, "_partitions": None,
                    "_checkpoint_rdd": self._checkpoint_rdd.stand_in_for(self)}  # type: ignore[attr-defined]
        self.partitions()  # executors must never re-plan partitions
        state = self.__dict__.copy()
        state["_ctx"] = None
        state.pop("_creation_site", None)
        for name in self._transient:
            state.pop(name, None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        rdd_id = state.pop("_rdd_id", None)
        self.__dict__.update(state)
        if rdd_id is not None:
            self._rdd_id = rdd_id  # through PipelinedRDD's lazy-id property where there is one
