"""RDDs: lineage, partitioning and the PySpark RDD API (``from sparklite.rdd import RDD``)."""
from sparklite.rdd.partitioner import Partitioner
from sparklite.rdd.rdd import RDD
from sparklite.resultiterable import ResultIterable

__all__ = ["RDD", "Partitioner", "ResultIterable"]
