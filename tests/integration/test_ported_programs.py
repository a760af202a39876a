"""PySpark programs that start from SparkSession and Row run with only the import line changed.

Each program below is written the way PySpark tutorials and course assignments write them
(``SparkSession.builder...getOrCreate()``, ``spark.sparkContext``, ``spark.read.text(...).rdd``,
``Row`` records into ``createDataFrame``, ``spark.stop()``), with ``pyspark`` replaced by
``sparklite`` in the imports and nothing else; each runs under sparklite-submit and its printed
answer is compared with a plain-Python computation.
"""
from __future__ import annotations

import ast
import textwrap
from collections import Counter

from tests.integration.test_submit import SUBMIT, run

WORDCOUNT = """
import sys
from operator import add

from sparklite.sql import SparkSession

if __name__ == "__main__":
    spark = SparkSession.builder.appName("PythonWordCount").getOrCreate()
    lines = spark.read.text(sys.argv[1]).rdd.map(lambda r: r[0])
    counts = lines.flatMap(lambda x: x.split(" ")).map(lambda x: (x, 1)).reduceByKey(add)
    print(sorted(counts.collect()))
    spark.stop()
"""

PEOPLE = """
import sys

from sparklite.sql import Row, SparkSession
from sparklite.sql.types import IntegerType, StringType, StructField, StructType

spark = SparkSession.builder.master("local[2]").appName("people").config("spark.some.config.option", "x").getOrCreate()
sc = spark.sparkContext
parts = sc.textFile(sys.argv[1]).map(lambda l: l.split(","))
people = parts.map(lambda p: Row(name=p[0], age=int(p[1].strip())))
df = spark.createDataFrame(people)
df.printSchema()
teenagers = df.rdd.filter(lambda r: 13 <= r.age <= 19).map(lambda r: "Name: " + r.name).collect()
print("teens", sorted(teenagers))
schema = StructType([StructField("name", StringType(), True), StructField("age", IntegerType(), True)])
typed = spark.createDataFrame(parts.map(lambda p: (p[0], int(p[1]))), schema)
print("oldest", typed.rdd.map(lambda r: (r.age, r.name)).max())
print("count", typed.count(), typed.first().asDict())
spark.stop()
"""

CONTEXT_FIRST = """
from sparklite import SparkConf, SparkContext
from sparklite.sql import SparkSession

conf = SparkConf().setAppName("ctx-first").setMaster("local[2]")
sc = SparkContext.getOrCreate(conf)
spark = SparkSession(sc)
df = sc.parallelize([(i, i * i) for i in range(10)]).toDF(["n", "square"])
print("squares", df.rdd.map(lambda r: r.square).sum(), SparkSession.getActiveSession() is spark)
with SparkSession.builder.getOrCreate() as same:
    print("same", same is spark)
print("stopped", sc._stopped)
"""


def _run(tmp_path, name, program, *args):
    script = tmp_path / f"{name}.py"
    script.write_text(textwrap.dedent(program))
    out = run(SUBMIT + ["--master", "local[2]", str(script), *map(str, args)], cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_wordcount_through_spark_read_text(tmp_path):
    text = "to be or not to be\nthat is the question\nto be\n"
    (tmp_path / "in.txt").write_text(text)
    out = _run(tmp_path, "wc", WORDCOUNT, tmp_path / "in.txt")
    expected = Counter(w for line in text.splitlines() for w in line.split(" "))
    assert ast.literal_eval(out.strip()) == sorted(expected.items())


def test_rows_into_data_frames_and_back(tmp_path):
    rows = [("Michael", 29), ("Andy", 30), ("Justin", 19), ("Ann", 13), ("Bo", 20)]
    (tmp_path / "people.txt").write_text("\n".join(f"{n}, {a}" for n, a in rows) + "\n")
    out = _run(tmp_path, "people", PEOPLE, tmp_path / "people.txt")
    assert " |-- name: string (nullable = true)\n |-- age: long (nullable = true)" in out
    lines = dict(line.split(" ", 1) for line in out.splitlines() if line.split(" ", 1)[0] in ("teens", "oldest", "count"))
    assert ast.literal_eval(lines["teens"]) == sorted(f"Name: {n}" for n, a in rows if 13 <= a <= 19)
    assert ast.literal_eval(lines["oldest"]) == max((a, n) for n, a in rows)
    assert lines["count"] == f"{len(rows)} {{'name': 'Michael', 'age': 29}}"


def test_context_first_then_session(tmp_path):
    out = _run(tmp_path, "ctx", CONTEXT_FIRST)
    assert f"squares {sum(i * i for i in range(10))} True" in out
    assert "same True" in out and "stopped True" in out
