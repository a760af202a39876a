"""The DataFrame of sparklite.sql: createDataFrame's inference and checks, show() and printSchema()
texts, collect/take/count, df.rdd and rdd.toDF, toPandas. Expected texts are PySpark 4.3's own
output for the same calls (recorded with PySpark; Java's number formatting included)."""
from __future__ import annotations

import datetime
import decimal
from collections import namedtuple

import pytest

from sparklite.sql import Row, SparkSession
from sparklite.sql.formatting import java_double
from sparklite.sql.types import LongType, StringType, StructField, StructType

SHOW = """\
+---+--------------------+----+-----+----+
| id|                   s|   d|    b|   n|
+---+--------------------+----+-----+----+
|  1|                   a| 1.5| true|NULL|
| 22|bbbbbbbbbbbbbbbbb...|-2.0|false|   x|
+---+--------------------+----+-----+----+

"""
SHOW_NOT_TRUNCATED = """\
+---+------------------------------+----+-----+----+
|id |s                             |d   |b    |n   |
+---+------------------------------+----+-----+----+
|1  |a                             |1.5 |true |NULL|
|22 |bbbbbbbbbbbbbbbbbbbbbbbbbbbbbb|-2.0|false|x   |
+---+------------------------------+----+-----+----+

"""
SHOW_ONE = """\
+---+---+---+----+----+
| id|  s|  d|   b|   n|
+---+---+---+----+----+
|  1|  a|1.5|true|NULL|
+---+---+---+----+----+
only showing top 1 row
"""
SHOW_TRUNCATE_5 = """\
+---+-----+----+-----+----+
| id|    s|   d|    b|   n|
+---+-----+----+-----+----+
|  1|    a| 1.5| true|NULL|
| 22|bb...|-2.0|false|   x|
+---+-----+----+-----+----+

"""
SHOW_VERTICAL = """\
-RECORD 0-------------------
 id  | 1                    
 s   | a                    
 d   | 1.5                  
 b   | true                 
 n   | NULL                 
-RECORD 1-------------------
 id  | 22                   
 s   | bbbbbbbbbbbbbbbbb... 
 d   | -2.0                 
 b   | false                
 n   | x                    

"""
SHOW_VERTICAL_ONE = """\
-RECORD 0--
 id  | 1   
 s   | a   
 d   | 1.5 
 b   | tru 
 n   | NUL 
only showing top 1 row
"""
SCHEMA_TREE = """\
root
 |-- id: long (nullable = true)
 |-- s: string (nullable = true)
 |-- d: double (nullable = true)
 |-- b: boolean (nullable = true)
 |-- n: string (nullable = true)

"""
NESTED_SHOW = """\
+------------+----------+------+----------+--------------------+--------------------+----------+---+------+------+----+-----+---+
|         arr|         m|    st|        dt|                  ts|                 dec|       bin|  f|   big| small| neg|  lst|emp|
+------------+----------+------+----------+--------------------+--------------------+----------+---+------+------+----+-----+---+
|[1, 2, NULL]|{k -> 1.0}|{1, q}|2024-01-02|2024-01-02 03:04:...|1.500000000000000000|[61 62 00]|NaN|1.0E20|1.0E-5|-0.0|[{1}]|   |
+------------+----------+------+----------+--------------------+--------------------+----------+---+------+------+----+-----+---+

"""
NESTED_TREE = """\
root
 |-- arr: array (nullable = true)
 |    |-- element: long (containsNull = true)
 |-- m: map (nullable = true)
 |    |-- key: string
 |    |-- value: double (valueContainsNull = true)
 |-- st: struct (nullable = true)
 |    |-- x: long (nullable = true)
 |    |-- y: string (nullable = true)
 |-- dt: date (nullable = true)
 |-- ts: timestamp (nullable = true)
 |-- dec: decimal(38,18) (nullable = true)
 |-- bin: binary (nullable = true)
 |-- f: double (nullable = true)
 |-- big: double (nullable = true)
 |-- small: double (nullable = true)
 |-- neg: double (nullable = true)
 |-- lst: array (nullable = true)
 |    |-- element: struct (containsNull = true)
 |    |    |-- a: long (nullable = true)
 |-- emp: string (nullable = true)

"""


@pytest.fixture
def spark(sc):
    return SparkSession.builder.getOrCreate()


@pytest.fixture
def people(spark):
    return spark.createDataFrame([(1, "a", 1.5, True, None), (22, "b" * 30, -2.0, False, "x")],
                                 ["id", "s", "d", "b", "n"])


def _nested_row():
    return Row(arr=[1, 2, None], m={"k": 1.0}, st=Row(x=1, y="q"), dt=datetime.date(2024, 1, 2),
               ts=datetime.datetime(2024, 1, 2, 3, 4, 5, 6000), dec=decimal.Decimal("1.50"),
               bin=bytearray(b"ab\x00"), f=float("nan"), big=1e20, small=1e-5, neg=-0.0,
               lst=[Row(a=1)], emp="")


def test_show_layouts_are_sparks(people, capsys):
    for call, expected in [(lambda: people.show(), SHOW), (lambda: people.show(truncate=False), SHOW_NOT_TRUNCATED),
                           (lambda: people.show(1), SHOW_ONE), (lambda: people.show(truncate=5), SHOW_TRUNCATE_5),
                           (lambda: people.show(vertical=True), SHOW_VERTICAL),
                           (lambda: people.show(n=1, truncate=3, vertical=True), SHOW_VERTICAL_ONE),
                           (lambda: people.printSchema(), SCHEMA_TREE)]:
        call()
        assert capsys.readouterr().out == expected


def test_show_of_empty_and_zero_rows(spark, people, capsys):
    spark.createDataFrame([], "a INT, b STRING").show()
    assert capsys.readouterr().out == "+---+---+\n|  a|  b|\n+---+---+\n+---+---+\n\n"
    spark.createDataFrame([], "a INT").show(vertical=True)
    assert capsys.readouterr().out == "(0 rows)\n"
    people.show(0)
    assert capsys.readouterr().out.endswith("+---+---+---+---+---+\nonly showing top 0 rows\n")


def test_nested_values_show_and_collect_as_pyspark(spark, capsys):
    nested = spark.createDataFrame([_nested_row()])
    nested.show()
    nested.printSchema()
    assert capsys.readouterr().out == NESTED_SHOW + NESTED_TREE
    assert repr(nested) == ("DataFrame[arr: array<bigint>, m: map<string,double>, st: struct<x:bigint,y:string>, "
                            "dt: date, ts: timestamp, dec: decimal(38,18), bin: binary, f: double, big: double, "
                            "small: double, neg: double, lst: array<struct<a:bigint>>, emp: string]")
    [row] = nested.collect()
    assert row.arr == [1, 2, None] and row.m == {"k": 1.0} and row.st == Row(x=1, y="q")
    assert isinstance(row.st, Row) and row.st.y == "q" and row.lst == [Row(a=1)]
    assert row.ts == datetime.datetime(2024, 1, 2, 3, 4, 5, 6000)  # local, naive: as it went in
    assert row.dec == decimal.Decimal("1.500000000000000000") and row.bin == b"ab\x00"


def test_numbers_print_as_java_does(spark, capsys):
    spark.createDataFrame([(1.0, 0.1, 123456789.123, 1e-7, 1e7, 12345678.9)],
                          "a double, b double, c double, d double, e double, f float").show()
    spark.createDataFrame([(2 ** 40, -5)], "a bigint, b int").show()
    out = capsys.readouterr().out
    assert "|1.0|0.1|1.23456789123E8|1.0E-7|1.0E7|1.2345679E7|" in out
    assert "|1099511627776| -5|" in out
    assert [java_double(v) for v in (0.001, 0.0001, 9999999.0, float("inf"), -1.5e-300)] == \
        ["0.001", "1.0E-4", "9999999.0", "Infinity", "-1.5E-300"]


def test_create_data_frame_infers_as_pyspark(spark):
    assert repr(spark.createDataFrame([(1, 2.0, "s", True, b"x", [1], {"a": 1})]).schema) == (
        "StructType([StructField('_1', LongType(), True), StructField('_2', DoubleType(), True), "
        "StructField('_3', StringType(), True), StructField('_4', BooleanType(), True), "
        "StructField('_5', BinaryType(), True), StructField('_6', ArrayType(LongType(), True), True), "
        "StructField('_7', MapType(StringType(), LongType(), True), True)])")
    assert spark.createDataFrame([{"b": 1, "a": "x"}]).columns == ["a", "b"]  # dict keys sorted
    assert spark.createDataFrame([(1, 2)], ["a"]).columns == ["a", "_2"]
    Point = namedtuple("Point", "x y")
    assert spark.createDataFrame([Point(1, 2)]).collect() == [Row(x=1, y=2)]
    ints = spark.createDataFrame([1, 2], "int")
    assert ints.schema == StructType([StructField("value", ints.schema[0].dataType, True)])
    assert ints.collect() == [Row(value=1), Row(value=2)]
    assert spark.createDataFrame([(None, "x"), (3, None)], ["a", "b"]).collect() == \
        [Row(a=None, b="x"), Row(a=3, b=None)]
    with pytest.raises(TypeError, match="Can not merge type `LongType` and `DoubleType`"):
        spark.createDataFrame([(1,), (2.0,)])
    with pytest.raises(ValueError, match="Some of types cannot be determined"):
        spark.createDataFrame([(None,), (None,)])


def test_create_data_frame_checks_values_on_the_driver(spark):
    with pytest.raises(TypeError, match=r"field a: IntegerType\(\) can not accept object 'x' in type <class 'str'>"):
        spark.createDataFrame([("x",)], "a INT")
    with pytest.raises(ValueError, match="out of range, got: 2147483648"):
        spark.createDataFrame([(2 ** 31,)], "a int")
    with pytest.raises(ValueError, match=r"Length of object \(2\) does not match with length of fields \(1\)"):
        spark.createDataFrame([(1, 2)], "a int")
    with pytest.raises(TypeError, match="DoubleType"):
        spark.createDataFrame([(1,)], "a double")  # PySpark: an int is not a double
    with pytest.raises(ValueError, match="not nullable"):
        spark.createDataFrame([(None,)], StructType([StructField("a", LongType(), False)]))


def test_rdd_to_df_and_back(sc, spark):
    rdd = sc.parallelize([(i, f"n{i % 3}") for i in range(50)], 4)
    df = rdd.toDF(["k", "name"])
    assert df.schema == StructType([StructField("k", LongType(), True), StructField("name", StringType(), True)])
    assert df.count() == 50 and df.rdd.getNumPartitions() == 4
    assert sorted(df.rdd.map(lambda r: (r.name, r.k)).reduceByKey(lambda a, b: a + b).collect()) == \
        sorted({f"n{j}": sum(i for i in range(50) if i % 3 == j) for j in range(3)}.items())
    typed = rdd.toDF("k INT, name STRING")
    assert typed.schema.simpleString() == "struct<k:int,name:string>"
    assert typed.take(2) == [Row(k=0, name="n0"), Row(k=1, name="n1")]
    assert rdd.toDF().columns == ["_1", "_2"]
    rows = sc.parallelize([Row(a=None), Row(a=2)])  # PySpark looks past a first row with nulls
    assert spark.createDataFrame(rows).schema == StructType([StructField("a", LongType(), True)])
    assert spark.createDataFrame(sc.parallelize([1, 2, 3]), "int").rdd.map(lambda r: r.value).sum() == 6


def test_collect_take_first_head_count(spark, people):
    assert people.collect() == [Row(id=1, s="a", d=1.5, b=True, n=None),
                                Row(id=22, s="b" * 30, d=-2.0, b=False, n="x")]
    assert people.first() == people.head() == people.take(1)[0] == Row(id=1, s="a", d=1.5, b=True, n=None)
    assert people.head(5) == people.collect() and people.count() == 2 and not people.isEmpty()
    empty = spark.createDataFrame([], "a INT")
    assert empty.first() is None and empty.head() is None and empty.count() == 0 and empty.isEmpty()
    assert people.columns == ["id", "s", "d", "b", "n"]
    assert people.dtypes == [("id", "bigint"), ("s", "string"), ("d", "double"), ("b", "boolean"), ("n", "string")]
    assert people.toDF("a", "b", "c", "d", "e").collect()[1].e == "x"
    big = spark.createDataFrame([(i,) for i in range(25_000)], ["i"])  # several batches
    assert big.count() == 25_000 and big.rdd.map(lambda r: r.i).sum() == sum(range(25_000))
    assert [r.i for r in big.toLocalIterator()][:3] == [0, 1, 2]
    assert big.cache().count() == 25_000 and big.unpersist(blocking=True) is big
    assert big.coalesce(1).rdd.getNumPartitions() == 1 and big.repartition(3).count() == 25_000


def test_to_pandas(spark, people):
    pandas = pytest.importorskip("pandas")
    frame = people.toPandas()
    assert isinstance(frame, pandas.DataFrame)
    assert list(frame.columns) == people.columns
    assert frame["id"].tolist() == [1, 22] and frame["b"].tolist() == [True, False]
    assert frame["s"].tolist()[0] == "a" and frame["d"].tolist() == [1.5, -2.0]
    ts = spark.createDataFrame([(datetime.datetime(2024, 1, 2, 3, 4, 5),)], ["t"]).toPandas()
    assert ts["t"].tolist()[0].to_pydatetime() == datetime.datetime(2024, 1, 2, 3, 4, 5)  # local naive
    back = spark.createDataFrame(pandas.DataFrame({"a": [1, 2], "b": ["x", None]}))
    assert back.schema.simpleString() == "struct<a:bigint,b:string>"
    assert back.collect() == [Row(a=1, b="x"), Row(a=2, b=None)]
