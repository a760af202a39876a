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
from sparklite.files import SparkFiles
from sparklite.rdd import RDD, RDDBarrier
from sparklite.resultiterable import ResultIterable
from sparklite.statcounter import StatCounter
from sparklite.status import SparkJobInfo, SparkStageInfo, StatusTracker
from sparklite.storagelevel import StorageLevel
from sparklite.taskcontext import BarrierTaskContext, BarrierTaskInfo, TaskContext
from sparklite.util import InheritableThread

__all__ = ["SparkContext", "SparkConf", "SparkFiles", "RDD", "RDDBarrier", "StorageLevel", "Broadcast",
           "Accumulator", "AccumulatorParam", "TaskContext", "BarrierTaskContext", "BarrierTaskInfo",
           "StatCounter", "StatusTracker", "SparkJobInfo", "SparkStageInfo", "ResultIterable",
           "InheritableThread", "SparkliteJobError"]
