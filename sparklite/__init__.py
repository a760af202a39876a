"""sparklite: PySpark's RDD API on executor processes, in pure Python, with no JVM.

Change ``from pyspark import SparkContext`` to ``from sparklite import SparkContext``.
"""
__version__ = "0.1.0"

import os as _os

# gRPC's C core logs connection chatter (GOAWAY, ...) at INFO; users see only errors
_os.environ.setdefault("GRPC_VERBOSITY", "ERROR")

from sparklite.accumulators import Accumulator, AccumulatorParam
from sparklite.broadcast import Broadcast
from sparklite.conf import SparkConf
from sparklite.context import SparkContext
from sparklite.errors import SparkliteJobError
from sparklite.rdd import RDD
from sparklite.resultiterable import ResultIterable
from sparklite.statcounter import StatCounter
from sparklite.storagelevel import StorageLevel
from sparklite.taskcontext import TaskContext

__all__ = ["SparkContext", "SparkConf", "RDD", "StorageLevel", "Broadcast", "Accumulator",
           "AccumulatorParam", "TaskContext", "StatCounter", "ResultIterable", "SparkliteJobError"]
