"""spark.read / df.write: Parquet through pyarrow datasets (one task per fragment or run of row
groups, read on the executors), CSV/JSON/text by byte-range splits, Spark's output layout
(part-NNNNN-<uuid>-c000.<ext> files and _SUCCESS) and save modes; values checked against what
was written, types against what PySpark 4 infers for the same files."""
from __future__ import annotations

import datetime
import gzip
import json
import os
import re

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sparklite.sql import AnalysisException, Row, SparkSession
from sparklite.sql.types import StructType

PART = re.compile(r"part-(\d{5})-([0-9a-f-]{36})-c000(\..+)$")
CSV_TEXT = ('id,name,score,flag,when,empty\n1,ann,1.5,true,2024-01-02,\n2,bob,,false,2024-02-03,x\n'
            '3,"c, d",3,true,,\n')
CSV_ROWS = [Row(id=1, name="ann", score=1.5, flag=True, when=datetime.date(2024, 1, 2), empty=None),
            Row(id=2, name="bob", score=None, flag=False, when=datetime.date(2024, 2, 3), empty="x"),
            Row(id=3, name="c, d", score=3.0, flag=True, when=None, empty=None)]


@pytest.fixture
def spark(sc):
    return SparkSession.builder.getOrCreate()


def _parts(directory):
    names = sorted(os.listdir(directory))
    assert names[0] == "_SUCCESS"
    parts = [PART.fullmatch(n) for n in names[1:]]
    assert all(parts), names
    assert len({p.group(2) for p in parts}) == 1  # one job uuid per write
    return [(int(p.group(1)), p.group(3)) for p in parts]


def test_parquet_round_trip_keeps_values_types_and_layout(spark, tmp_path):
    rows = [(i, f"name-{i}", i * 0.5, i % 2 == 0, datetime.date(2024, 1, 1 + i % 28),
             datetime.datetime(2024, 1, 2, 3, 4, i % 60), [i, None], {"k": i}) for i in range(200)]
    df = spark.createDataFrame(rows, "id BIGINT, name STRING, score DOUBLE, even BOOLEAN, day DATE, "
                                     "at TIMESTAMP, xs ARRAY<INT>, m MAP<STRING,INT>").repartition(3)
    out = str(tmp_path / "pq")
    df.write.parquet(out)
    parts = _parts(out)
    assert [i for i, _ in parts] == [0, 1, 2] and {ext for _, ext in parts} == {".snappy.parquet"}
    back = spark.read.parquet(out)
    assert back.schema == df.schema
    assert sorted(back.collect()) == sorted(df.collect())
    [sample] = [r for r in back.collect() if r.id == 7]
    assert sample == Row(id=7, name="name-7", score=3.5, even=False, day=datetime.date(2024, 1, 8),
                         at=datetime.datetime(2024, 1, 2, 3, 4, 7), xs=[7, None], m={"k": 7})
    # the files are ordinary Parquet: pyarrow reads them, timestamps as UTC instants as Spark writes them
    table = pq.read_table(os.path.join(out, sorted(os.listdir(out))[1]))
    assert table.schema.field("at").type == pa.timestamp("us", tz="UTC")


def test_parquet_is_read_on_executors_one_task_per_row_group_run(context_factory, tmp_path):
    sc = context_factory("local[2]", {"spark.sql.files.maxPartitionBytes": "1"})
    spark = SparkSession._for_context(sc)
    path = str(tmp_path / "groups.parquet")
    pq.write_table(pa.table({"x": list(range(1000)), "y": [str(i) for i in range(1000)]}), path,
                   row_group_size=250)
    pq.write_table(pa.table({"x": [1000], "y": ["1000"]}), str(tmp_path / "single.parquet"))
    df = spark.read.parquet(str(tmp_path))
    assert df.schema.simpleString() == "struct<x:bigint,y:string>"
    assert df.rdd.getNumPartitions() == 5  # four row groups of groups.parquet, one of single.parquet
    seen = df.rdd.mapPartitions(lambda rows: [(os.getpid(), len(list(rows)))]).collect()
    assert sorted(n for _, n in seen) == [1, 250, 250, 250, 250]
    assert os.getpid() not in {pid for pid, _ in seen}  # the rows were read in executor processes
    assert sorted(r.x for r in df.collect()) == list(range(1001))
    whole = SparkSession._for_context(sc).read.parquet(path)
    assert whole.count() == 1000


def test_save_modes(spark, tmp_path):
    out = str(tmp_path / "modes")
    first = spark.createDataFrame([(1,), (2,)], ["v"])
    first.write.mode("overwrite").parquet(out)
    with pytest.raises(AnalysisException, match=r"\[PATH_ALREADY_EXISTS\] Path file:.*modes already exists\. "
                                                r"Set mode as \"overwrite\""):
        first.write.parquet(out)
    spark.createDataFrame([(9,)], ["v"]).write.mode("ignore").parquet(out)
    assert sorted(r.v for r in spark.read.parquet(out).collect()) == [1, 2]
    spark.createDataFrame([(3,)], ["v"]).write.mode("append").parquet(out)
    assert sorted(r.v for r in spark.read.parquet(out).collect()) == [1, 2, 3]
    spark.createDataFrame([(4,)], ["v"]).write.mode("overwrite").format("parquet").save(out)
    assert [r.v for r in spark.read.parquet(out).collect()] == [4]
    with pytest.raises(ValueError, match="Unknown save mode: sideways"):
        first.write.mode("sideways")
    with pytest.raises(NotImplementedError, match="partitionBy"):
        first.write.partitionBy("v").parquet(str(tmp_path / "p"))


def test_an_empty_data_frame_writes_a_readable_file(spark, tmp_path):
    out = str(tmp_path / "empty")
    spark.createDataFrame([], "a INT, b STRING").write.parquet(out)
    assert len(_parts(out)) == 1
    back = spark.read.parquet(out)
    assert back.schema.simpleString() == "struct<a:int,b:string>" and back.count() == 0


def test_csv_read_as_spark_reads_it(spark, tmp_path):
    (tmp_path / "in.csv").write_text(CSV_TEXT)
    path = str(tmp_path / "in.csv")
    plain = spark.read.csv(path)
    assert plain.columns == [f"_c{i}" for i in range(6)] and plain.count() == 4
    assert plain.first() == Row(_c0="id", _c1="name", _c2="score", _c3="flag", _c4="when", _c5="empty")
    headed = spark.read.option("header", True).csv(path)
    assert {f.dataType.simpleString() for f in headed.schema} == {"string"}
    assert headed.collect()[2] == Row(id="3", name="c, d", score="3", flag="true", when=None, empty=None)
    inferred = spark.read.csv(path, header=True, inferSchema=True)
    assert inferred.schema.simpleString() == \
        "struct<id:int,name:string,score:double,flag:boolean,when:date,empty:string>"
    assert inferred.collect() == CSV_ROWS
    typed = spark.read.csv(path, header=True,
                           schema="id INT, name STRING, score DOUBLE, flag BOOLEAN, when DATE, empty STRING")
    assert typed.collect() == CSV_ROWS
    (tmp_path / "semi.csv").write_text("a;b\n1;2\n")
    assert spark.read.csv(str(tmp_path / "semi.csv"), sep=";", header=True, inferSchema=True).collect() == \
        [Row(a=1, b=2)]
    loaded = spark.read.format("csv").options(header="true", inferSchema="true").load(path)
    assert loaded.collect() == CSV_ROWS


def test_csv_big_file_is_read_by_several_tasks_with_the_header_skipped_once(spark, tmp_path):
    lines = ["k,v"] + [f"{i},{i * 2}" for i in range(60_000)]
    (tmp_path / "big.csv.gz").write_bytes(gzip.compress("\n".join(lines[:30_001]).encode()))
    (tmp_path / "big.csv").write_text("\n".join([lines[0]] + lines[30_001:]) + "\n")
    df = spark.read.csv(str(tmp_path), header=True, inferSchema=True)
    assert df.schema.simpleString() == "struct<k:int,v:int>"
    assert df.count() == 60_000
    assert sum(r.v for r in df.collect()) == sum(i * 2 for i in range(60_000))


def test_csv_write_layout_header_and_values(spark, tmp_path):
    df = spark.createDataFrame([(1, "a", 1.5, True, None), (22, "b,c", -2.0, False, 'q"t')],
                               ["id", "s", "d", "b", "n"]).coalesce(1)
    out = str(tmp_path / "csv")
    df.write.csv(out, header=True)
    [(index, ext)] = _parts(out)
    assert (index, ext) == (0, ".csv")
    with open(os.path.join(out, sorted(os.listdir(out))[1])) as f:
        text = f.read()
    assert text == 'id,s,d,b,n\n1,a,1.5,true,\n22,"b,c",-2.0,false,"q\\"t"\n'
    back = spark.read.csv(out, header=True, inferSchema=True)
    assert back.collect() == [Row(id=1, s="a", d=1.5, b=True, n=None), Row(id=22, s="b,c", d=-2.0, b=False, n='q"t')]
    df.write.csv(str(tmp_path / "gz"), compression="gzip")
    assert _parts(str(tmp_path / "gz"))[0][1] == ".csv.gz"
    assert spark.read.csv(str(tmp_path / "gz")).count() == 2


def test_json_read_infers_as_spark_and_keeps_corrupt_lines(spark, tmp_path):
    (tmp_path / "in.json").write_text('{"b": 1, "a": "x", "c": {"z": 1.5, "y": [1,2]}}\n{"b": 2, "d": true}\n')
    df = spark.read.json(str(tmp_path / "in.json"))
    assert repr(df.schema) == (
        "StructType([StructField('a', StringType(), True), StructField('b', LongType(), True), "
        "StructField('c', StructType([StructField('y', ArrayType(LongType(), True), True), "
        "StructField('z', DoubleType(), True)]), True), StructField('d', BooleanType(), True)])")
    assert df.collect() == [Row(a="x", b=1, c=Row(y=[1, 2], z=1.5), d=None), Row(a=None, b=2, c=None, d=True)]
    (tmp_path / "bad.json").write_text('{"a": 1}\nnot json\n{"a": 2.5}\n')
    bad = spark.read.json(str(tmp_path / "bad.json"))
    assert bad.columns == ["_corrupt_record", "a"]
    assert bad.collect() == [Row(_corrupt_record=None, a=1.0), Row(_corrupt_record="not json", a=None),
                             Row(_corrupt_record=None, a=2.5)]
    assert spark.read.json(str(tmp_path / "bad.json"), mode="DROPMALFORMED").count() == 2
    with pytest.raises(Exception, match="FAILFAST"):
        spark.read.json(str(tmp_path / "bad.json"), mode="FAILFAST").collect()


def test_json_and_text_write(spark, tmp_path):
    df = spark.createDataFrame([(1, "a", 1.5, True, None), (22, "b", 1e20, False, "x")],
                               ["id", "s", "d", "b", "n"]).coalesce(1)
    df.write.json(str(tmp_path / "json"))
    [(_, ext)] = _parts(str(tmp_path / "json"))
    assert ext == ".json"
    with open(os.path.join(tmp_path / "json", sorted(os.listdir(tmp_path / "json"))[1])) as f:
        text = f.read()
    assert text == '{"id":1,"s":"a","d":1.5,"b":true}\n{"id":22,"s":"b","d":1.0E20,"b":false,"n":"x"}\n'
    assert [json.loads(line)["d"] for line in text.splitlines()] == [1.5, 1e20]
    lines = spark.createDataFrame([("l1",), ("l2",)], ["value"])
    lines.write.text(str(tmp_path / "text"))
    assert {ext for _, ext in _parts(str(tmp_path / "text"))} == {".txt"}
    assert sorted(r.value for r in spark.read.text(str(tmp_path / "text")).collect()) == ["l1", "l2"]
    with pytest.raises(AnalysisException, match="supports only a single column, and you have 5 columns"):
        df.write.text(str(tmp_path / "t2"))
    with pytest.raises(AnalysisException, match='doesn\'t support the column `id` of the type "BIGINT"'):
        df.toDF("id", "a", "b", "c", "e").rdd.map(lambda r: (r.id,)).toDF(["id"]).write.text(str(tmp_path / "t3"))


def test_text_reads_lines_and_whole_files(spark, tmp_path):
    (tmp_path / "a.txt").write_text("hello world\nsecond\n")
    (tmp_path / "b.txt.gz").write_bytes(gzip.compress(b"zipped\n"))
    df = spark.read.text(str(tmp_path))
    assert df.schema == StructType.fromJson({"type": "struct", "fields": [
        {"name": "value", "type": "string", "nullable": True, "metadata": {}}]})
    assert df.collect() == [Row(value="hello world"), Row(value="second"), Row(value="zipped")]
    whole = spark.read.text(str(tmp_path / "a.txt"), wholetext=True)
    assert whole.collect() == [Row(value="hello world\nsecond\n")]


def test_memory_file_system_round_trip(spark):
    import fsspec

    out = "memory://sparklite-sql-test/out"
    try:
        spark.createDataFrame([(i, str(i)) for i in range(10)], ["i", "s"]).write.parquet(out)
        spark.createDataFrame([(1, "x")], ["i", "s"]).write.mode("append").json(out + "-json")
        assert sorted(r.i for r in spark.read.parquet(out).collect()) == list(range(10))
        assert spark.read.json(out + "-json").collect() == [Row(i=1, s="x")]
    finally:
        fs = fsspec.filesystem("memory")
        for p in (out, out + "-json"):
            if fs.exists(p):
                fs.rm(p, recursive=True)


def test_missing_paths_and_unsupported_formats(spark, tmp_path):
    with pytest.raises(AnalysisException, match="PATH_NOT_FOUND"):
        spark.read.parquet(str(tmp_path / "nope"))
    with pytest.raises(AnalysisException, match="PATH_NOT_FOUND"):
        spark.read.csv(str(tmp_path / "nope.csv"))
    with pytest.raises(NotImplementedError, match="'orc' data source"):
        spark.read.orc(str(tmp_path))
    (tmp_path / "empty").mkdir()
    with pytest.raises(AnalysisException, match="Unable to infer schema for Parquet"):
        spark.read.parquet(str(tmp_path / "empty"))
