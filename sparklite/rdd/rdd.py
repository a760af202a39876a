"""RDD: the public class, composed of one mixin per family of PySpark's API.

The mixins only use RDDBase primitives (``mapPartitionsWithIndex``, shuffled
RDDs, ``context.run_job``), never scheduler internals. Subclasses that
implement lineage (sources, narrow, shuffled, pipelined) extend this class,
so every RDD has the full API.
"""
from __future__ import annotations

from typing import Generic, TypeVar

from sparklite.rdd.actions import ActionsMixin
from sparklite.rdd.base import RDDBase
from sparklite.rdd.numeric import NumericMixin
from sparklite.rdd.output import OutputMixin
from sparklite.rdd.pairs import PairsMixin
from sparklite.rdd.persistence import PersistenceMixin
from sparklite.rdd.transformations import TransformationsMixin

T_co = TypeVar("T_co", covariant=True)


class RDD(TransformationsMixin, PairsMixin, ActionsMixin, NumericMixin, PersistenceMixin,
          OutputMixin, RDDBase, Generic[T_co]):
    """A Resilient Distributed Dataset: an immutable, partitioned collection computed from lineage.

    >>> rdd = sc.parallelize(range(4), 2)
    >>> rdd.map(lambda x: x + 1).collect()
    [1, 2, 3, 4]
    """

    def __repr__(self) -> str:
        label = f" {self._name}" if self._name else ""
        return f"{type(self).__name__}[{self._rdd_id}]{label}"
