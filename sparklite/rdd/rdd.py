"""RDD: the public class, composed of one mixin per family of PySpark's API.

The mixins only use RDDBase primitives (``mapPartitionsWithIndex``, shuffled
RDDs, ``context.run_job``), never scheduler internals. Subclasses that
implement lineage (sources, narrow, shuffled, pipelined) extend this class,
so every RDD has the full API.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

from sparklite.rdd.actions import ActionsMixin
from sparklite.rdd.approx import ApproxMixin
from sparklite.rdd.base import RDDBase
from sparklite.rdd.checkpoint import CheckpointMixin
from sparklite.rdd.execution import ExecutionMixin
from sparklite.rdd.hadoop import HadoopOutputMixin
from sparklite.rdd.numeric import NumericMixin
from sparklite.rdd.output import OutputMixin
from sparklite.rdd.pairs import PairsMixin
from sparklite.rdd.persistence import PersistenceMixin
from sparklite.rdd.sample_ops import SamplingMixin
from sparklite.rdd.setops import SetOpsMixin
from sparklite.rdd.transformations import TransformationsMixin

if TYPE_CHECKING:
    from sparklite.resource import ResourceProfile

T_co = TypeVar("T_co", covariant=True)


class RDD(TransformationsMixin, PairsMixin, SetOpsMixin, SamplingMixin, ActionsMixin,
          NumericMixin, ApproxMixin, PersistenceMixin, CheckpointMixin, ExecutionMixin,
          OutputMixin, HadoopOutputMixin, RDDBase, Generic[T_co]):
    """A Resilient Distributed Dataset: an immutable, partitioned collection computed from lineage.

    >>> rdd = sc.parallelize(range(4), 2)
    >>> rdd.map(lambda x: x + 1).collect()
    [1, 2, 3, 4]
    """

    #: PySpark attribute: True once ``withResources`` attached a profile
    has_resource_profile: ClassVar[bool] = False
    _resource_profile: ResourceProfile | None = None
    #: set by ``checkpoint()``/``localCheckpoint()`` (rdd/checkpoint.py)
    _checkpoint_data: Any = None
    #: made by ``RDDBarrier``: its stage is a barrier stage
    _from_barrier: bool = False

    @property
    def is_barrier(self) -> bool:
        """PySpark's attribute: True for the RDD of a barrier stage (``rdd.barrier().mapPartitions``)."""
        return self._from_barrier

    def __repr__(self) -> str:
        label = f" {self._name}" if self._name else ""
        return f"{type(self).__name__}[{self._rdd_id}]{label}"
