"""Writing RDDs out (mixin of RDD): saveAsTextFile and saveAsPickleFile through fsspec, and
``toDF`` (a ``sparklite.sql`` DataFrame, for Parquet/CSV/JSON files).

Each task writes its own ``part-NNNNN`` under a temporary name and renames
it, so a retried or duplicated attempt never leaves a half-written part; the
driver writes ``_SUCCESS`` last. An existing output path is refused, as
Hadoop's output committer does. File systems that live inside one process
(``memory://``) are written by the driver from the partitions' lines.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterator

if TYPE_CHECKING:
    from sparklite.rdd.rdd import RDD

#: Hadoop codec class names (and short names) -> (fsspec compression, file suffix)
CODECS = {
    "org.apache.hadoop.io.compress.GzipCodec": ("gzip", ".gz"),
    "org.apache.hadoop.io.compress.BZip2Codec": ("bz2", ".bz2"),
    "org.apache.hadoop.io.compress.DefaultCodec": ("zlib", ".deflate"),
    "org.apache.hadoop.io.compress.Lz4Codec": ("lz4", ".lz4"),
    "org.apache.hadoop.io.compress.SnappyCodec": ("snappy", ".snappy"),
    "org.apache.hadoop.io.compress.ZStandardCodec": ("zstd", ".zst"),
    "gzip": ("gzip", ".gz"), "bz2": ("bz2", ".bz2"), "zstd": ("zstd", ".zst"),
}


def _codec(name: str | None) -> tuple[str | None, str]:
    if name is None:
        return None, ""
    if name not in CODECS:
        raise ValueError(f"unknown compressionCodecClass {name!r}; use one of {', '.join(CODECS)}")
    compression, suffix = CODECS[name]
    from fsspec.compression import compr

    if compression not in compr:
        raise ValueError(f"compression {compression!r} needs an extra package (fsspec has no codec "
                         f"for it installed)")
    return compression, suffix


def _with_fs_options(method: Any) -> Any:
    """Run a driver-side save with the RDD's context's storage options (filesystems.py)."""
    import functools

    @functools.wraps(method)
    def run(self: Any, *args: Any, **kwargs: Any) -> Any:
        from sparklite.filesystems import options_of

        with options_of(self.ctx):
            return method(self, *args, **kwargs)

    return run


def _encode(x: Any) -> bytes:
    return x if isinstance(x, bytes) else str(x).encode("utf-8")


def _write_part(url: str, compression: str | None, lines: Iterator[bytes]) -> None:
    from sparklite.filesystems import open_url, url_to_fs

    tmp = url.rsplit("/", 1)
    tmp_url = f"{tmp[0]}/.{tmp[1]}.tmp"
    records = 0
    with open_url(tmp_url, "wb", compression=compression) as f:
        for line in lines:
            f.write(line)
            f.write(b"\n")
            records += 1
    fs, path = url_to_fs(tmp_url)
    final = fs._strip_protocol(url)
    fs.mv(path, final)
    _count_output(fs, final, records)


def _count_output(fs: Any, path: str, records: int) -> None:
    """The task's Output metrics: one part file's records and bytes."""
    from sparklite.executor.task_metrics import current

    metrics = current()
    if metrics is not None:
        metrics.output_records += records
        try:
            metrics.output_bytes += int(fs.size(path))
        except OSError:
            pass


class OutputMixin:
    @_with_fs_options
    def saveAsTextFile(self: RDD, path: str, compressionCodecClass: str | None = None) -> None:
        """Save this RDD as text files, one ``part-NNNNN`` per partition, using ``str`` of elements.

        >>> import tempfile, os
        >>> out = os.path.join(tempfile.mkdtemp(), "out")
        >>> sc.parallelize(["a", "b", 3], 2).saveAsTextFile(out)
        >>> sorted(os.listdir(out))
        ['_SUCCESS', 'part-00000', 'part-00001']
        >>> sorted(sc.textFile(out).collect())
        ['3', 'a', 'b']
        """
        from sparklite.filesystems import url_to_fs

        compression, suffix = _codec(compressionCodecClass)
        fs, fspath = url_to_fs(path)
        if fs.exists(fspath):
            raise FileExistsError(f"Output directory {path} already exists")
        fs.makedirs(fspath, exist_ok=False)
        base = fs.unstrip_protocol(fspath).rstrip("/")
        proto = fs.protocol if isinstance(fs.protocol, str) else fs.protocol[0]
        if proto == "memory":
            for i, part in enumerate(self.ctx.run_job(self, lambda it: [_encode(x) for x in it])):
                _write_part(f"{base}/part-{i:05d}{suffix}", compression, iter(part))
        else:
            def write(index: int, iterator: Iterator[Any]) -> Iterator[int]:
                _write_part(f"{base}/part-{index:05d}{suffix}", compression, map(_encode, iterator))
                yield index

            self.mapPartitionsWithIndex(write).count()
        with fs.open(f"{fspath.rstrip('/')}/_SUCCESS", "wb"):
            pass

    @_with_fs_options
    def saveAsPickleFile(self: RDD, path: str, batchSize: int = 10) -> None:
        """Save this RDD as a directory of pickled objects, read back by
        :meth:`SparkContext.pickleFile`.

        Each partition becomes one ``part-NNNNN`` file of pickled batches of ``batchSize``
        elements. The files are sparklite's own format (PySpark writes Hadoop
        SequenceFiles, which need a JVM).

        Parameters
        ----------
        path : str
            path to pickled file
        batchSize : int, optional, default 10
            the number of Python objects represented as a single pickled batch

        Examples
        --------
        >>> import os
        >>> import tempfile
        >>> with tempfile.TemporaryDirectory(prefix="saveAsPickleFile") as d:
        ...     path = os.path.join(d, "pickle_file")
        ...
        ...     # Write a temporary pickled file
        ...     sc.parallelize(range(10)).saveAsPickleFile(path, 3)
        ...
        ...     # Load picked file as an RDD
        ...     sorted(sc.pickleFile(path, 3).collect())
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]
        """
        from sparklite.rdd.object_files import is_process_local, make_output_dir, write_objects

        batch = max(1, int(batchSize)) if batchSize else 1024
        fs, fspath, base = make_output_dir(path)
        if is_process_local(base):
            for i, part in enumerate(self.ctx.run_job(self, list)):
                write_objects(f"{base}/part-{i:05d}", part, batch)
        else:
            def write(index: int, iterator: Iterator[Any]) -> Iterator[int]:
                yield write_objects(f"{base}/part-{index:05d}", iterator, batch)

            self.mapPartitionsWithIndex(write).count()
        with fs.open(f"{fspath.rstrip('/')}/_SUCCESS", "wb"):
            pass

    def toDF(self: RDD, schema: Any = None, sampleRatio: float | None = None) -> Any:
        """Converts the RDD into a :class:`sparklite.sql.DataFrame` (of the active SparkSession
        on this RDD's context, or a new session over it).

        Parameters
        ----------
        schema : :class:`sparklite.sql.types.StructType`, str or list, optional
            a StructType, a DDL string (``"a INT, b STRING"``) or a list of column names
            (types inferred from the first rows, as PySpark does).
        sampleRatio : float, optional
            the sample ratio of rows used for inferring

        Examples
        --------
        >>> rdd = sc.parallelize([("Alice", 1)])
        >>> rdd.toDF(["name", "age"]).collect()
        [Row(name='Alice', age=1)]
        >>> rdd.toDF("name STRING, age INT").schema.simpleString()
        'struct<name:string,age:int>'
        """
        from sparklite.sql.session import SparkSession

        return SparkSession._for_context(self.ctx).createDataFrame(self, schema, sampleRatio)
