"""PySpark's public API, name by name: every RDD and SparkContext method of issue 5's lists exists,
the import paths PySpark users write work, and the types and defaults programs rely on hold."""
from __future__ import annotations

import importlib
import inspect
import typing

import pytest

from sparklite import RDD, SparkConf, SparkContext

#: PySpark 4.x public RDD methods (issue 5)
PYSPARK_RDD_METHODS = """
aggregate aggregateByKey barrier cache cartesian checkpoint cleanShuffleDependencies coalesce
cogroup collect collectAsMap collectWithJobGroup combineByKey context count countApprox
countApproxDistinct countByKey countByValue distinct filter first flatMap flatMapValues fold
foldByKey foreach foreachPartition fullOuterJoin getCheckpointFile getNumPartitions
getResourceProfile getStorageLevel glom groupBy groupByKey groupWith histogram id intersection
isCheckpointed isEmpty isLocallyCheckpointed join keyBy keys leftOuterJoin localCheckpoint lookup
map mapPartitions mapPartitionsWithIndex mapPartitionsWithSplit mapValues max mean meanApprox min
name partitionBy persist pipe randomSplit reduce reduceByKey reduceByKeyLocally repartition
repartitionAndSortWithinPartitions rightOuterJoin sample sampleByKey sampleStdev sampleVariance
saveAsPickleFile saveAsTextFile setName sortBy sortByKey stats stdev subtract subtractByKey sum
sumApprox take takeOrdered takeSample toDF toDebugString toLocalIterator top treeAggregate treeReduce
union unpersist values variance withResources zip zipWithIndex zipWithUniqueId
""".split()

#: the Hadoop/SequenceFile methods: present, raising NotImplementedError
PYSPARK_RDD_HADOOP = ["saveAsHadoopDataset", "saveAsHadoopFile", "saveAsNewAPIHadoopDataset",
                      "saveAsNewAPIHadoopFile", "saveAsSequenceFile"]
PYSPARK_CONTEXT_HADOOP = ["hadoopFile", "hadoopRDD", "newAPIHadoopFile", "newAPIHadoopRDD",
                          "sequenceFile"]

#: PySpark 4.x public SparkContext methods and properties (issue 5; issue 16 completed the list:
#: dir(pyspark.SparkContext) of PySpark 4.3, less the Hadoop readers below and PACKAGE_EXTENSIONS)
PYSPARK_CONTEXT_METHODS = """
accumulator addArchive addFile addJobTag addPyFile applicationId binaryFiles binaryRecords broadcast
cancelAllJobs cancelJobGroup cancelJobsWithTag clearJobTags defaultMinPartitions defaultParallelism
dump_profiles emptyRDD getCheckpointDir getConf getJobTags getLocalProperty getOrCreate
getSystemProperty listArchives listFiles parallelize pickleFile range removeJobTag resources runJob
setCheckpointDir setInterruptOnCancel setJobDescription setJobGroup setLocalProperty setLogLevel
setSystemProperty show_profiles sparkUser startTime statusTracker stop textFile uiWebUrl union
version wholeTextFiles
""".split()
#: attributes a PySpark SparkContext instance has (set in __init__)
PYSPARK_CONTEXT_ATTRIBUTES = ["master", "appName", "sparkHome", "environment", "pythonExec", "pythonVer",
                              "PACKAGE_EXTENSIONS", "profiler_collector"]

#: PySpark's signatures (parameter names and defaults) for the methods users call with keywords
SIGNATURES = {
    (RDD, "sample"): "(self, withReplacement, fraction, seed=None)",
    (RDD, "randomSplit"): "(self, weights, seed=None)",
    (RDD, "takeSample"): "(self, withReplacement, num, seed=None)",
    (RDD, "sampleByKey"): "(self, withReplacement, fractions, seed=None)",
    (RDD, "pipe"): "(self, command, env=None, checkCode=False)",
    (RDD, "treeAggregate"): "(self, zeroValue, seqOp, combOp, depth=2)",
    (RDD, "treeReduce"): "(self, f, depth=2)",
    (RDD, "subtract"): "(self, other, numPartitions=None)",
    (RDD, "subtractByKey"): "(self, other, numPartitions=None)",
    (RDD, "saveAsTextFile"): "(self, path, compressionCodecClass=None)",
    (RDD, "saveAsPickleFile"): "(self, path, batchSize=10)",
    (RDD, "countApprox"): "(self, timeout, confidence=0.95)",
    (RDD, "sumApprox"): "(self, timeout, confidence=0.95)",
    (RDD, "meanApprox"): "(self, timeout, confidence=0.95)",
    (RDD, "countApproxDistinct"): "(self, relativeSD=0.05)",
    (RDD, "collectWithJobGroup"): "(self, groupId, description, interruptOnCancel=False)",
    (RDD, "cleanShuffleDependencies"): "(self, blocking=False)",
    (RDD, "toLocalIterator"): "(self, prefetchPartitions=False)",
    (RDD, "unpersist"): "(self, blocking=False)",
    (SparkContext, "setJobGroup"): "(self, groupId, description, interruptOnCancel=False)",
    (SparkContext, "cancelJobGroup"): "(self, groupId)",
    (SparkContext, "cancelAllJobs"): "(self)",
    (SparkContext, "setJobDescription"): "(self, value)",
    (SparkContext, "addFile"): "(self, path, recursive=False)",
    (SparkContext, "addPyFile"): "(self, path)",
    (SparkContext, "textFile"): "(self, name, minPartitions=None, use_unicode=True)",
    (SparkContext, "wholeTextFiles"): "(self, path, minPartitions=None, use_unicode=True)",
    (SparkContext, "binaryFiles"): "(self, path, minPartitions=None)",
    (SparkContext, "binaryRecords"): "(self, path, recordLength)",
    (SparkContext, "pickleFile"): "(self, name, minPartitions=None)",
    (SparkContext, "runJob"): "(self, rdd, partitionFunc, partitions=None, allowLocal=False)",
    (SparkContext, "range"): "(self, start, end=None, step=1, numSlices=None)",
}


def _plain_signature(cls, name):
    sig = inspect.signature(getattr(cls, name))
    params = [p.replace(annotation=inspect.Parameter.empty) for p in sig.parameters.values()]
    return str(sig.replace(parameters=params, return_annotation=inspect.Signature.empty))


def test_every_pyspark_rdd_method_exists():
    missing = [m for m in PYSPARK_RDD_METHODS + PYSPARK_RDD_HADOOP if not hasattr(RDD, m)]
    assert missing == []


def test_every_pyspark_context_method_exists():
    missing = [m for m in PYSPARK_CONTEXT_METHODS + PYSPARK_CONTEXT_HADOOP if not hasattr(SparkContext, m)]
    assert missing == []


def test_every_pyspark_context_attribute_exists(sc):
    import sys

    assert [a for a in PYSPARK_CONTEXT_ATTRIBUTES if not hasattr(sc, a)] == []
    assert sc.pythonVer == "%d.%d" % sys.version_info[:2] and isinstance(sc.environment, dict)


@pytest.mark.parametrize("cls,name", sorted(SIGNATURES, key=lambda k: (k[0].__name__, k[1])),
                         ids=lambda v: getattr(v, "__name__", v))
def test_signatures_match_pyspark(cls, name):
    assert _plain_signature(cls, name) == SIGNATURES[(cls, name)]


def test_every_public_method_has_a_doctest_example():
    import sparklite.context_io
    import sparklite.context_shared

    lacking = []
    for cls in (RDD, SparkContext):
        names = PYSPARK_RDD_METHODS if cls is RDD else PYSPARK_CONTEXT_METHODS
        for name in names:
            attr = inspect.getattr_static(cls, name)
            for base in cls.__mro__:
                if name in base.__dict__:
                    attr = base.__dict__[name]
                    break
            target = attr.fget if isinstance(attr, property) else getattr(attr, "__func__", attr)
            if ">>>" not in (getattr(target, "__doc__", None) or ""):
                lacking.append(f"{cls.__name__}.{name}")
    assert lacking == []


@pytest.mark.parametrize("module,names", [
    ("sparklite", ["SparkContext", "SparkConf", "SparkFiles", "RDD", "RDDBarrier", "StorageLevel",
                   "Broadcast", "Accumulator", "AccumulatorParam", "TaskContext",
                   "BarrierTaskContext", "BarrierTaskInfo", "StatusTracker", "SparkJobInfo",
                   "SparkStageInfo", "InheritableThread"]),
    ("sparklite.conf", ["SparkConf"]),
    ("sparklite.context", ["SparkContext"]),
    ("sparklite.rdd", ["RDD", "RDDBarrier", "BoundedFloat", "portable_hash"]),
    ("sparklite.storagelevel", ["StorageLevel"]),
    ("sparklite.taskcontext", ["TaskContext", "BarrierTaskContext", "BarrierTaskInfo"]),
    ("sparklite.files", ["SparkFiles"]),
    ("sparklite.statcounter", ["StatCounter"]),
    ("sparklite.accumulators", ["Accumulator", "AccumulatorParam"]),
    ("sparklite.broadcast", ["Broadcast"]),
    ("sparklite.resource", ["ResourceProfile", "ResourceProfileBuilder", "TaskResourceRequests",
                            "ExecutorResourceRequests", "ResourceInformation"]),
    ("sparklite.resultiterable", ["ResultIterable"]),
    ("sparklite.status", ["StatusTracker", "SparkJobInfo", "SparkStageInfo"]),
])
def test_import_paths(module, names):
    mod = importlib.import_module(module)
    assert [n for n in names if not hasattr(mod, n)] == []


def test_rdd_and_result_iterable_are_generic():
    from typing import Iterable, Tuple

    from sparklite.resultiterable import ResultIterable

    alias = RDD[Tuple[int, int]]  # evaluated at run time, as un-quoted annotations are
    assert typing.get_origin(alias) is RDD and typing.get_args(alias) == (Tuple[int, int],)
    assert typing.get_args(ResultIterable[int]) == (int,)

    def typed(rdd: RDD[Tuple[int, int]]) -> RDD[Tuple[int, Iterable[int]]]:
        return rdd.groupByKey()

    hints = typing.get_type_hints(typed, localns={"Tuple": Tuple, "Iterable": Iterable})
    assert hints["rdd"] == RDD[Tuple[int, int]]


def test_typed_function_runs(sc):
    from typing import Tuple

    def swap(rdd: RDD[Tuple[int, str]]) -> RDD[Tuple[str, int]]:
        return rdd.map(lambda kv: (kv[1], kv[0]))

    assert swap(sc.parallelize([(1, "a"), (2, "b")])).collect() == [("a", 1), ("b", 2)]


def test_context_without_master_runs_local_star(monkeypatch, tmp_path):
    import os

    from sparklite.scheduler.master_url import parse_master

    monkeypatch.setenv("SPARKLITE_CONF_DIR", str(tmp_path))  # no defaults file: nothing sets a master
    monkeypatch.delenv("SPARKLITE_SUBMIT_CONF", raising=False)
    conf = SparkConf().set("sparklite.driver.allowMultipleContexts", "true")
    assert conf.get("spark.master") is None
    context = SparkContext(conf=conf)
    try:
        assert context.master == "local[*]"
        assert context.defaultParallelism == parse_master("local[*]").executors == (os.cpu_count() or 1)
        assert context.parallelize(range(10)).sum() == 45
    finally:
        context.stop()


def test_get_or_create_returns_the_active_context(sc):
    active = SparkContext._active_spark_context
    assert active is not None
    assert SparkContext.getOrCreate() is active
    assert SparkContext.getOrCreate(SparkConf(loadDefaults=False)) is active


def test_hadoop_methods_raise_not_implemented_with_alternatives(sc, tmp_path):
    rdd = sc.parallelize([(1, "a")])
    calls = [lambda: rdd.saveAsSequenceFile(str(tmp_path / "s")),
             lambda: rdd.saveAsHadoopFile(str(tmp_path / "h"), "org.apache.hadoop.mapred.TextOutputFormat"),
             lambda: rdd.saveAsNewAPIHadoopFile(str(tmp_path / "n"), "x"),
             lambda: rdd.saveAsHadoopDataset({}),
             lambda: rdd.saveAsNewAPIHadoopDataset({}),
             lambda: sc.sequenceFile(str(tmp_path)),
             lambda: sc.hadoopFile(str(tmp_path), "f", "k", "v"),
             lambda: sc.hadoopRDD("f", "k", "v"),
             lambda: sc.newAPIHadoopFile(str(tmp_path), "f", "k", "v"),
             lambda: sc.newAPIHadoopRDD("f", "k", "v")]
    for call in calls:
        with pytest.raises(NotImplementedError, match="JVM.*(saveAsPickleFile|pickleFile)"):
            call()
