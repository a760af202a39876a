"""Structured files in and out, RDD operations in between: the SparkSession door.

Reads a Parquet file of people (name, age, city) through SparkSession, computes the
number of people and their average age per city with RDD operations, and writes the
result as Parquet (a directory of part files, as Spark writes it), then reads it back.

    sparklite-submit examples/parquet_rdd.py [<people.parquet> [<output dir>]]

Without arguments it reads the bundled examples/data/people.parquet and writes to a
temporary directory it removes afterwards.
"""
import os
import shutil
import sys
import tempfile

from sparklite.sql import Row, SparkSession

if __name__ == "__main__":
    if len(sys.argv) > 3:
        print("Usage: parquet_rdd [<people.parquet> [<output dir>]]", file=sys.stderr)
        sys.exit(-1)
    source = sys.argv[1] if len(sys.argv) > 1 else \
        os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "people.parquet")
    scratch = None if len(sys.argv) > 2 else tempfile.mkdtemp(prefix="parquet_rdd-")
    target = sys.argv[2] if len(sys.argv) > 2 else os.path.join(scratch, "by_city")

    spark = SparkSession.builder.appName("PythonParquetRDD").getOrCreate()
    people = spark.read.parquet(source)
    people.printSchema()

    # from here on, plain RDD operations over Rows
    by_city = (people.rdd
               .map(lambda person: (person.city, (person.age, 1)))
               .reduceByKey(lambda a, b: (a[0] + b[0], a[1] + b[1]))
               .map(lambda kv: Row(city=kv[0], people=kv[1][1], average_age=kv[1][0] / kv[1][1])))

    result = spark.createDataFrame(by_city, "city STRING, people BIGINT, average_age DOUBLE")
    result.write.mode("overwrite").parquet(target)

    written = spark.read.parquet(target)
    print(f"Wrote {written.count()} rows to {target}")
    for row in sorted(written.collect()):
        print(f"{row.city}: {row.people} people, average age {row.average_age}")

    spark.stop()
    if scratch is not None:
        shutil.rmtree(scratch)
