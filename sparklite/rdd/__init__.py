"""RDDs: lineage, partitioning and the PySpark RDD API (``from sparklite.rdd import RDD``)."""
from sparklite.rdd.approx import BoundedFloat
from sparklite.rdd.barrier import RDDBarrier
from sparklite.rdd.partitioner import Partitioner
from sparklite.rdd.rdd import RDD
from sparklite.resultiterable import ResultIterable
from sparklite.hashing import portable_hash

__all__ = ["RDD", "RDDBarrier", "Partitioner", "ResultIterable", "BoundedFloat", "portable_hash"]
