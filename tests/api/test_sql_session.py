"""sparklite.sql's doors: SparkSession (builder, conf, lifecycle), Row, data types and schema
strings — each compared with what PySpark 4 does (expected texts recorded from PySpark 4.3)."""
from __future__ import annotations

import pickle
import warnings

import pytest

from sparklite import SparkConf, SparkContext
from sparklite.sql import DataFrame, Row, SparkSession
from sparklite.sql.ddl import parse_data_type, parse_schema
from sparklite.sql.types import (ArrayType, BinaryType, BooleanType, ByteType, DateType, DecimalType,
                                 DoubleType, FloatType, IntegerType, LongType, MapType, NullType,
                                 ShortType, StringType, StructField, StructType, TimestampNTZType,
                                 TimestampType)


@pytest.fixture
def spark(sc):
    session = SparkSession.builder.getOrCreate()
    assert session.sparkContext is sc
    return session


# ---------------------------------------------------------------- SparkSession


def test_builder_reuses_the_active_context_and_session(spark, sc):
    again = SparkSession.builder.appName("ignored-for-a-running-context").config("spark.some.key", "v") \
        .config(map={"spark.other": 1, "flag": True}).getOrCreate()
    assert again is spark and again.sparkContext is sc
    assert spark.conf.get("spark.some.key") == "v" and spark.conf.get("spark.other") == "1"
    assert spark.conf.get("flag") == "true"
    assert spark.conf.get("spark.app.name") == sc.appName  # falls back to the context's conf
    assert spark.conf.get("no.such.key", "dflt") == "dflt"
    with pytest.raises(KeyError, match="SQL_CONF_NOT_FOUND"):
        spark.conf.get("no.such.key")
    spark.conf.set("spark.sql.shuffle.partitions", 7)
    assert spark.conf.get("spark.sql.shuffle.partitions") == "7"  # strings, as PySpark
    assert spark.conf.isModifiable("spark.sql.shuffle.partitions")
    assert not spark.conf.isModifiable("spark.master")
    spark.conf.unset("spark.sql.shuffle.partitions")
    assert SparkSession.getActiveSession() is spark and SparkSession.active() is spark
    assert spark.version == sc.version
    assert isinstance(SparkSession.builder, SparkSession.Builder)
    assert SparkSession.builder is not SparkSession.builder  # a new builder each time, as PySpark


def test_enable_hive_support_warns_and_does_nothing(spark):
    with pytest.warns(UserWarning, match="no Hive metastore"):
        builder = SparkSession.builder.enableHiveSupport()
    assert builder.getOrCreate() is spark


def test_session_creates_its_own_context_and_stops_it(tmp_path):
    conf = {"sparklite.driver.allowMultipleContexts": "true"}
    previous_session = SparkSession._active_session
    # a second, private context: the shared test context stays the process's active one
    context = SparkContext("local[1]", "own", conf=SparkConf(loadDefaults=False).setAll(conf.items()))
    try:
        with SparkSession(context) as session:
            assert SparkSession.getActiveSession() is session
            assert session.createDataFrame([(1,)], ["x"]).count() == 1
        assert context._stopped
        assert SparkSession.getActiveSession() is None
    finally:
        context.stop()
        SparkSession._active_session = previous_session


def test_builder_creates_a_context_when_none_is_active(monkeypatch):
    monkeypatch.setattr(SparkContext, "_active_spark_context", None)
    monkeypatch.setattr(SparkSession, "_active_session", None)
    session = SparkSession.builder.master("local[1]").appName("made-by-builder") \
        .config("sparklite.driver.allowMultipleContexts", "true").getOrCreate()
    try:
        assert session.sparkContext.master == "local[1]"
        assert session.sparkContext.appName == "made-by-builder"
        assert session.sparkContext.parallelize(range(5)).sum() == 10
        assert SparkSession.builder.getOrCreate() is session
    finally:
        session.stop()
    assert SparkSession.getActiveSession() is None


def test_what_needs_a_sql_engine_says_so(spark):
    df = spark.createDataFrame([(1, "a")], ["id", "s"])
    for call in (lambda: spark.sql("SELECT 1"), lambda: spark.table("t"), lambda: spark.catalog,
                 lambda: spark.udf, lambda: df.select("id"), lambda: df.filter("id > 1"),
                 lambda: df.groupBy("id"), lambda: df.join(df), lambda: df.id, lambda: df["id"],
                 lambda: df.write.saveAsTable("t"), lambda: df.createOrReplaceTempView("t")):
        with pytest.raises(NotImplementedError, match="sparklite is an RDD engine.*df.rdd"):
            call()
    with pytest.raises(AttributeError, match="nope"):
        df.nope  # noqa: B018
    from sparklite.sql import functions as F

    with pytest.raises(NotImplementedError, match="functions.col"):
        F.col("id")


# ---------------------------------------------------------------- Row


def test_row_fields_access_and_repr():
    row = Row(name="Alice", age=11)
    assert repr(row) == "Row(name='Alice', age=11)"
    assert (row.name, row["age"], row[0], row[1:], len(row)) == ("Alice", 11, "Alice", (11,), 2)
    assert "name" in row and "Alice" not in row
    assert isinstance(row, tuple) and row == ("Alice", 11)
    assert row.count("Alice") == 1  # tuple methods win over field names, as in PySpark
    with pytest.raises(AttributeError, match="Attribute `zz` is not supported"):
        row.zz  # noqa: B018
    with pytest.raises(ValueError, match="zz"):
        row["zz"]
    with pytest.raises(RuntimeError, match="Row is read-only"):
        row.age = 12
    with pytest.raises(ValueError, match="args and kwargs"):
        Row(1, a=2)
    assert repr(Row(1, 2)) == "<Row(1, 2)>" and repr(Row()) == "<Row()>"


def test_row_factories_as_pyspark():
    Person = Row("name", "age")
    assert repr(Person) == "<Row('name', 'age')>"
    assert Person("x", 1) == Row(name="x", age=1) and repr(Person("x")) == "Row(name='x')"
    assert "x" in Row("x", "y")  # a row class: contains its field names
    with pytest.raises(ValueError, match="Expected 2 values for `fields`, got 3"):
        Person("x", 1, 2)


def test_row_as_dict_ordering_hash_and_pickle():
    r = Row(a=1, b=Row(c=2, d=[Row(e=3)]), f={"g": Row(h=4)})
    assert r.asDict() == {"a": 1, "b": Row(c=2, d=[Row(e=3)]), "f": {"g": Row(h=4)}}
    assert r.asDict(recursive=True) == {"a": 1, "b": {"c": 2, "d": [{"e": 3}]}, "f": {"g": {"h": 4}}}
    with pytest.raises(TypeError, match="Cannot convert Row into dict"):
        Row(1, 2).asDict()
    # equality and ordering are the tuple's: values only (field names are ignored, as in PySpark)
    assert Row(b=1, a=2) == Row(a=1, b=2) and Row(a=1) == Row(b=1)
    assert hash(Row(a=1)) == hash((1,))
    assert sorted([Row(a=2, b=1), Row(a=1, b=3), Row(a=1, b=2)]) == [(1, 2), (1, 3), (2, 1)]
    back = pickle.loads(pickle.dumps(Row(a=1, b="x")))
    assert back == Row(a=1, b="x") and back.__fields__ == ["a", "b"] and back.b == "x"
    assert pickle.loads(pickle.dumps(Row(1, 2))) == (1, 2)


def test_rows_travel_through_rdds(sc):
    rows = sc.parallelize([Row(k="a", v=1), Row(k="b", v=2), Row(k="a", v=3)], 2)
    assert sorted(rows.map(lambda r: (r.k, r.v)).reduceByKey(lambda a, b: a + b).collect()) == [("a", 4), ("b", 2)]
    assert rows.map(lambda r: r.asDict()).collect()[0] == {"k": "a", "v": 1}


# ---------------------------------------------------------------- types and schema strings


@pytest.mark.parametrize("dtype,type_name,simple", [
    (ByteType(), "byte", "tinyint"), (ShortType(), "short", "smallint"),
    (IntegerType(), "integer", "int"), (LongType(), "long", "bigint"),
    (FloatType(), "float", "float"), (DoubleType(), "double", "double"),
    (StringType(), "string", "string"), (BinaryType(), "binary", "binary"),
    (BooleanType(), "boolean", "boolean"), (DateType(), "date", "date"),
    (TimestampType(), "timestamp", "timestamp"), (TimestampNTZType(), "timestamp_ntz", "timestamp_ntz"),
    (DecimalType(5, 2), "decimal", "decimal(5,2)"), (NullType(), "void", "void"),
    (ArrayType(IntegerType()), "array", "array<int>"),
    (MapType(StringType(), LongType(), False), "map", "map<string,bigint>"),
    (StructType([StructField("x", IntegerType(), False)]), "struct", "struct<x:int>"),
])
def test_type_names_are_pysparks(dtype, type_name, simple):
    assert dtype.typeName() == type_name and dtype.simpleString() == simple


def test_schema_reprs_and_access():
    schema = StructType().add("a", IntegerType()).add("b", "string", False)
    assert repr(schema) == ("StructType([StructField('a', IntegerType(), True), "
                            "StructField('b', StringType(), False)])")
    assert schema.names == schema.fieldNames() == ["a", "b"] and len(schema) == 2
    assert schema["b"] == StructField("b", StringType(), False) and schema[0].name == "a"
    assert repr(ArrayType(IntegerType())) == "ArrayType(IntegerType(), True)"
    assert repr(MapType(StringType(), DoubleType())) == "MapType(StringType(), DoubleType(), True)"
    assert repr(DecimalType(38, 18)) == "DecimalType(38,18)"
    assert StructType.fromJson(schema.jsonValue()) == schema


def test_ddl_strings_as_pyspark_parses_them():
    parsed = parse_schema("a INT, b STRING, c array<int>, d map<string,double>, e struct<x:int,y:string>, "
                          "f decimal(10,2), g bigint, h double, i boolean, j date, k timestamp, "
                          "l binary, m float, n smallint, o tinyint")
    assert repr(parsed) == (
        "StructType([StructField('a', IntegerType(), True), StructField('b', StringType(), True), "
        "StructField('c', ArrayType(IntegerType(), True), True), StructField('d', MapType(StringType(), "
        "DoubleType(), True), True), StructField('e', StructType([StructField('x', IntegerType(), True), "
        "StructField('y', StringType(), True)]), True), StructField('f', DecimalType(10,2), True), "
        "StructField('g', LongType(), True), StructField('h', DoubleType(), True), StructField('i', "
        "BooleanType(), True), StructField('j', DateType(), True), StructField('k', TimestampType(), True), "
        "StructField('l', BinaryType(), True), StructField('m', FloatType(), True), StructField('n', "
        "ShortType(), True), StructField('o', ByteType(), True)])")
    assert parse_schema("a: int, b: string") == parse_schema("a INT, b STRING")
    assert parse_schema("`odd name` long NOT NULL")[0] == StructField("odd name", LongType(), False)
    assert parse_data_type("int") == IntegerType()
    assert parse_data_type("MAP<STRING, ARRAY<DOUBLE>>") == MapType(StringType(), ArrayType(DoubleType()))
    with pytest.raises(ValueError, match="unknown data type 'intt'"):
        parse_schema("a intt")


def test_create_data_frame_is_a_data_frame(spark):
    df = spark.createDataFrame([(1, "a")], "id INT, s STRING")
    assert isinstance(df, DataFrame) and df.sparkSession is spark
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert df.collect() == [Row(id=1, s="a")]
