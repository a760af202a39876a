"""Hadoop and SequenceFile input/output: not available in sparklite (they need a JVM).

PySpark implements these through Hadoop's Java InputFormat/OutputFormat
classes and Writable converters. sparklite has no JVM, so each method exists
with PySpark's signature and raises ``NotImplementedError`` naming what to use
instead: ``saveAsTextFile``/``textFile`` for text (with ``compressionCodecClass``),
``saveAsPickleFile``/``pickleFile`` for Python objects, ``binaryFiles``/
``binaryRecords`` for raw bytes, and fsspec URLs (``s3://``, ``hdfs://`` with
pyarrow...) for remote storage.
"""
from __future__ import annotations

from typing import Any, NoReturn

_OUTPUT_ADVICE = ("use saveAsPickleFile (read back with SparkContext.pickleFile) for Python "
                  "objects, or saveAsTextFile for text; both write through fsspec, so hdfs://, "
                  "s3://... paths work when the matching fsspec backend is installed")
_INPUT_ADVICE = ("use SparkContext.pickleFile for files written by saveAsPickleFile, textFile or "
                 "wholeTextFiles for text, and binaryFiles/binaryRecords for raw bytes; all read "
                 "through fsspec (hdfs://, s3://... with the matching fsspec backend)")


def _unsupported(method: str, advice: str) -> NoReturn:
    raise NotImplementedError(f"{method} needs Hadoop's Java classes (a JVM), which sparklite does "
                              f"not have; {advice}.")


class HadoopOutputMixin:
    """RDD methods that write through Hadoop OutputFormats."""

    def saveAsHadoopDataset(self, conf: dict[str, str], keyConverter: str | None = None,
                            valueConverter: str | None = None) -> None:
        """Not supported (needs a JVM); raises NotImplementedError naming the alternatives."""
        _unsupported("saveAsHadoopDataset", _OUTPUT_ADVICE)

    def saveAsHadoopFile(self, path: str, outputFormatClass: str, keyClass: str | None = None,
                         valueClass: str | None = None, keyConverter: str | None = None,
                         valueConverter: str | None = None, conf: dict[str, str] | None = None,
                         compressionCodecClass: str | None = None) -> None:
        """Not supported (needs a JVM); raises NotImplementedError naming the alternatives."""
        _unsupported("saveAsHadoopFile", _OUTPUT_ADVICE)

    def saveAsNewAPIHadoopDataset(self, conf: dict[str, str], keyConverter: str | None = None,
                                  valueConverter: str | None = None) -> None:
        """Not supported (needs a JVM); raises NotImplementedError naming the alternatives."""
        _unsupported("saveAsNewAPIHadoopDataset", _OUTPUT_ADVICE)

    def saveAsNewAPIHadoopFile(self, path: str, outputFormatClass: str, keyClass: str | None = None,
                               valueClass: str | None = None, keyConverter: str | None = None,
                               valueConverter: str | None = None,
                               conf: dict[str, str] | None = None) -> None:
        """Not supported (needs a JVM); raises NotImplementedError naming the alternatives."""
        _unsupported("saveAsNewAPIHadoopFile", _OUTPUT_ADVICE)

    def saveAsSequenceFile(self, path: str, compressionCodecClass: str | None = None) -> None:
        """Not supported (needs a JVM); raises NotImplementedError naming the alternatives.

        >>> sc.parallelize([(1, "a")]).saveAsSequenceFile("/tmp/x")
        Traceback (most recent call last):
            ...
        NotImplementedError: saveAsSequenceFile needs Hadoop's Java classes (a JVM), ...
        """
        _unsupported("saveAsSequenceFile", _OUTPUT_ADVICE)


class HadoopInputMixin:
    """SparkContext methods that read through Hadoop InputFormats."""

    def hadoopFile(self, path: str, inputFormatClass: str, keyClass: str, valueClass: str,
                   keyConverter: str | None = None, valueConverter: str | None = None,
                   conf: dict[str, str] | None = None, batchSize: int = 0) -> Any:
        """Not supported (needs a JVM); raises NotImplementedError naming the alternatives."""
        _unsupported("hadoopFile", _INPUT_ADVICE)

    def hadoopRDD(self, inputFormatClass: str, keyClass: str, valueClass: str,
                  keyConverter: str | None = None, valueConverter: str | None = None,
                  conf: dict[str, str] | None = None, batchSize: int = 0) -> Any:
        """Not supported (needs a JVM); raises NotImplementedError naming the alternatives."""
        _unsupported("hadoopRDD", _INPUT_ADVICE)

    def newAPIHadoopFile(self, path: str, inputFormatClass: str, keyClass: str, valueClass: str,
                         keyConverter: str | None = None, valueConverter: str | None = None,
                         conf: dict[str, str] | None = None, batchSize: int = 0) -> Any:
        """Not supported (needs a JVM); raises NotImplementedError naming the alternatives."""
        _unsupported("newAPIHadoopFile", _INPUT_ADVICE)

    def newAPIHadoopRDD(self, inputFormatClass: str, keyClass: str, valueClass: str,
                        keyConverter: str | None = None, valueConverter: str | None = None,
                        conf: dict[str, str] | None = None, batchSize: int = 0) -> Any:
        """Not supported (needs a JVM); raises NotImplementedError naming the alternatives."""
        _unsupported("newAPIHadoopRDD", _INPUT_ADVICE)

    def sequenceFile(self, path: str, keyClass: str | None = None, valueClass: str | None = None,
                     keyConverter: str | None = None, valueConverter: str | None = None,
                     minSplits: int | None = None, batchSize: int = 0) -> Any:
        """Not supported (needs a JVM); raises NotImplementedError naming the alternatives.

        >>> sc.sequenceFile("/tmp/x")
        Traceback (most recent call last):
            ...
        NotImplementedError: sequenceFile needs Hadoop's Java classes (a JVM), ...
        """
        _unsupported("sequenceFile", _INPUT_ADVICE)
