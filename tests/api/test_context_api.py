"""SparkContext sources and shared variables vs plain Python."""
from __future__ import annotations

import gzip
import os
import re

import fsspec
import pytest

from sparklite import SparkContext


def write(path, text, mode="w"):
    with open(path, mode) as f:
        f.write(text)


def test_text_file_lines_match_python(sc, tmp_path):
    lines = [f"line {i} " + "x" * (i % 17) for i in range(5000)] + ["", "last without newline"]
    path = tmp_path / "t.txt"
    write(path, "\n".join(lines))
    for parts in (1, 2, 7, 64):
        rdd = sc.textFile(str(path), parts)
        assert rdd.getNumPartitions() >= parts
        assert rdd.collect() == lines


def test_text_file_line_endings_and_unicode(sc, tmp_path):
    path = tmp_path / "crlf.txt"
    write(path, "a\r\nb\r\n\r\nc\rd\nè€😀\n".encode(), mode="wb")
    assert sc.textFile(str(path), 3).collect() == ["a", "b", "", "c", "d", "è€😀"]
    assert sc.textFile(str(path), 2, use_unicode=False).collect()[-1] == "è€😀".encode()


def test_text_file_dirs_globs_gz_commas(sc, tmp_path):
    d = tmp_path / "dir"
    d.mkdir()
    write(d / "a.txt", "1\n2\n")
    write(d / "b.txt", "3\n")
    write(d / "_SUCCESS", "")
    write(d / ".hidden", "nope\n")
    with gzip.open(d / "c.txt.gz", "wt") as f:
        f.write("4\n5\n")
    assert sorted(sc.textFile(str(d)).collect()) == ["1", "2", "3", "4", "5"]
    assert sorted(sc.textFile(str(d / "*.txt")).collect()) == ["1", "2", "3"]
    assert sc.textFile(str(d / "c.txt.gz")).collect() == ["4", "5"]
    assert sorted(sc.textFile(f"{d / 'a.txt'},{d / 'b.txt'}").collect()) == ["1", "2", "3"]


def test_text_file_memory_filesystem(sc):
    fs = fsspec.filesystem("memory")
    with fs.open("/sparklite-test/m.txt", "w") as f:
        f.write("x y\nz\n")
    try:
        assert sc.textFile("memory://sparklite-test/m.txt").flatMap(str.split).collect() == ["x", "y", "z"]
    finally:
        fs.rm("/sparklite-test", recursive=True)


def test_text_file_missing_path_names_it(sc, tmp_path):
    missing = str(tmp_path / "nope" / "*.txt")
    with pytest.raises(FileNotFoundError, match=re.escape(missing)):
        sc.textFile(missing).count()


def test_broadcast_value_unpersist_destroy(sc):
    table = {i: i * i for i in range(1000)}
    b = sc.broadcast(table)
    assert sc.parallelize(range(10), 3).map(lambda x: b.value[x]).collect() == [x * x for x in range(10)]
    b.unpersist()
    assert sc.parallelize([3]).map(lambda x: b.value[x]).collect() == [9]  # fetched again
    b.destroy()
    with pytest.raises(Exception, match="after it was destroyed"):
        sc.parallelize([3]).map(lambda x: b.value[x]).collect()


def test_accumulators_float_and_custom_param(sc):
    from sparklite.accumulators import AccumulatorParam

    f = sc.accumulator(0.5)
    sc.parallelize([1.0, 2.0], 2).foreach(lambda x: f.add(x))
    assert f.value == 3.5

    class ListParam(AccumulatorParam):
        def zero(self, value):
            return []

        def addInPlace(self, a, b):
            a.extend(b if isinstance(b, list) else [b])
            return a

    seen = sc.accumulator([], ListParam())
    sc.parallelize(range(6), 3).foreach(lambda x: seen.add(x))
    assert sorted(seen.value) == list(range(6))
    with pytest.raises(TypeError):
        sc.accumulator("text")


def test_accumulator_value_is_not_readable_in_tasks(sc):
    acc = sc.accumulator(0)
    with pytest.raises(RuntimeError, match="cannot be accessed inside tasks"):
        sc.parallelize([1]).map(lambda x: acc.value).collect()


def test_context_properties(sc):
    assert sc.defaultParallelism == 2
    assert sc.defaultMinPartitions == 2
    assert sc.applicationId.startswith("local-")
    assert sc.master == "local[2]"
    assert isinstance(sc.startTime, int)
    sc.setLogLevel("WARN")
    with pytest.raises(ValueError):
        sc.setLogLevel("LOUD")
    assert SparkContext.getOrCreate() is SparkContext._active_spark_context


def test_parallelize_requires_positive_slices(sc):
    with pytest.raises(ValueError, match="Positive number"):
        sc.parallelize([1], 0)


def test_stop_context_manager_and_stopped_errors(context_factory):
    from sparklite.errors import ContextStoppedError

    context = context_factory("local[1]")
    with context as c:
        assert c.parallelize(range(3)).sum() == 3
    rdd = context.parallelize  # still an attribute, but the context refuses work
    with pytest.raises(ContextStoppedError, match="stopped SparkContext"):
        rdd([1])
    context.stop()  # idempotent


def test_only_one_context_unless_allowed(sc):
    from sparklite import SparkConf

    if SparkContext._active_spark_context is None:
        pytest.skip("no active context")
    with pytest.raises(ValueError, match="multiple SparkContexts"):
        SparkContext("local[1]", conf=SparkConf(loadDefaults=False))


def test_default_parallelism_setting(context_factory):
    context = context_factory("local[1]", {"spark.default.parallelism": "5"})
    assert context.defaultParallelism == 5
    rdd = context.parallelize(range(10))
    assert rdd.getNumPartitions() == 5
    assert rdd.map(lambda x: (x, x)).reduceByKey(lambda a, b: a).getNumPartitions() == 5


def test_executors_are_separate_processes(sc):
    pids = set(sc.parallelize(range(8), 8).map(lambda _: os.getpid()).collect())
    assert os.getpid() not in pids
    assert pids <= set(sc._runtime.backend.process_ids().values())
