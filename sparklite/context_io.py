"""Files and SparkContext (mixin): the file inputs (textFile, wholeTextFiles, binaryFiles,
binaryRecords, pickleFile; the Hadoop readers raise NotImplementedError: they need a JVM),
files shipped to executors (addFile, addPyFile, see ``files.py``) and the checkpoint directory.

Everything reads through fsspec: local paths, directories, globs, comma-separated
lists, ``memory://``, ``s3://``... (see ``rdd/files.py`` and ``rdd/file_sources.py``).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sparklite.rdd.hadoop import HadoopInputMixin

if TYPE_CHECKING:
    from sparklite.context import SparkContext
    from sparklite.rdd.rdd import RDD


class InputMixin(HadoopInputMixin):
    def textFile(self: SparkContext, name: str, minPartitions: int | None = None,
                 use_unicode: bool = True) -> RDD[str]:
        """Read a text file from any file system fsspec reads (local paths, directories, globs,
        comma-separated lists, ``memory://``, ``s3://``..., ``.gz``/``.bz2`` files), and return
        it as an RDD of Strings. The text files must be encoded as UTF-8.

        Parameters
        ----------
        name : str
            directory to the input data files, the path can be comma separated
            paths as a list of inputs
        minPartitions : int, optional
            suggested minimum number of partitions for the resulting RDD
        use_unicode : bool, default True
            If `use_unicode` is False, the strings will be kept as `str` (encoding
            as `utf-8`), which is faster and smaller than unicode.

        Returns
        -------
        :class:`RDD`
            RDD representing text data from the file(s).

        Examples
        --------
        >>> import os, tempfile
        >>> d = tempfile.mkdtemp()
        >>> with open(os.path.join(d, "1.txt"), "w") as f:
        ...     _ = f.write("Hello world!\\nsecond line")
        >>> sc.textFile(os.path.join(d, "1.txt")).collect()
        ['Hello world!', 'second line']
        >>> sc.textFile(d, use_unicode=False).first()
        b'Hello world!'
        """
        from sparklite.rdd.sources import TextFileRDD

        self._assert_alive()
        n = minPartitions if minPartitions is not None else self.defaultMinPartitions
        return TextFileRDD(self, str(name), n, use_unicode)

    def wholeTextFiles(self: SparkContext, path: str, minPartitions: int | None = None,
                       use_unicode: bool = True) -> RDD[tuple[str, str]]:
        """Read a directory of text files from any file system fsspec reads. Each file is
        read as a single record and returned in a key-value pair, where the key is the path
        of each file, the value is the content of each file. The text files must be encoded
        as UTF-8.

        Local paths are reported as ``file:/abs/path``, as Hadoop prints them.

        Parameters
        ----------
        path : str
            directory to the input data files, the path can be comma separated
            paths as a list of inputs
        minPartitions : int, optional
            suggested minimum number of partitions for the resulting RDD
        use_unicode : bool, default True
            If `use_unicode` is False, the contents will be kept as `bytes`.

        Returns
        -------
        :class:`RDD`
            RDD representing path-content pairs from the file(s).

        Notes
        -----
        Small files are preferred, as each file will be loaded fully in memory.

        Examples
        --------
        >>> import os, tempfile
        >>> d = tempfile.mkdtemp()
        >>> for name, text in [("1.txt", "123"), ("2.txt", "xyz")]:
        ...     with open(os.path.join(d, name), "w") as f:
        ...         _ = f.write(text)
        >>> sorted((os.path.basename(k), v) for k, v in sc.wholeTextFiles(d).collect())
        [('1.txt', '123'), ('2.txt', 'xyz')]
        """
        from sparklite.rdd.file_sources import WholeFilesRDD

        self._assert_alive()
        n = minPartitions if minPartitions is not None else self.defaultMinPartitions
        return WholeFilesRDD(self, str(path), n, "text" if use_unicode else "text-bytes")

    def binaryFiles(self: SparkContext, path: str,
                    minPartitions: int | None = None) -> RDD[tuple[str, bytes]]:
        """Read a directory of binary files from any file system fsspec reads as a byte
        array. Each file is read as a single record and returned in a key-value pair,
        where the key is the path of each file, the value is the content of each file.

        Parameters
        ----------
        path : str
            directory to the input data files, the path can be comma separated
            paths as a list of inputs
        minPartitions : int, optional
            suggested minimum number of partitions for the resulting RDD

        Returns
        -------
        :class:`RDD`
            RDD representing path-content pairs from the file(s).

        Notes
        -----
        Small files are preferred, large file is also allowable, but may cause bad
        performance.

        Examples
        --------
        >>> import os, tempfile
        >>> d = tempfile.mkdtemp()
        >>> with open(os.path.join(d, "1.bin"), "wb") as f:
        ...     _ = f.write(b"binary data I")
        >>> [(os.path.basename(k), v) for k, v in sc.binaryFiles(d).collect()]
        [('1.bin', b'binary data I')]
        """
        from sparklite.rdd.file_sources import WholeFilesRDD

        self._assert_alive()
        n = minPartitions if minPartitions is not None else self.defaultMinPartitions
        return WholeFilesRDD(self, str(path), n, "binary")

    def binaryRecords(self: SparkContext, path: str, recordLength: int) -> RDD[bytes]:
        """Load data from a flat binary file, assuming each record is a set of numbers
        with the specified numerical format (see ByteBuffer), and the number of
        bytes per record is constant.

        Parameters
        ----------
        path : str
            Directory to the input data files
        recordLength : int
            The length at which to split the records

        Returns
        -------
        :class:`RDD`
            RDD of data with values, represented as byte arrays

        Examples
        --------
        >>> import os, tempfile
        >>> d = tempfile.mkdtemp()
        >>> with open(os.path.join(d, "1.bin"), "wb") as f:
        ...     _ = f.write(b"abcdefgh")
        >>> sc.binaryRecords(d, 2).collect()
        [b'ab', b'cd', b'ef', b'gh']
        """
        from sparklite.rdd.file_sources import BinaryRecordsRDD

        self._assert_alive()
        return BinaryRecordsRDD(self, str(path), int(recordLength))

    def pickleFile(self: SparkContext, name: str, minPartitions: int | None = None) -> RDD[Any]:
        """Load an RDD previously saved using :meth:`RDD.saveAsPickleFile` method.

        Each part file becomes one partition (``minPartitions`` does not split files).

        Parameters
        ----------
        name : str
            directory to the input data files, the path can be comma separated
            paths as a list of inputs
        minPartitions : int, optional
            suggested minimum number of partitions for the resulting RDD

        Returns
        -------
        :class:`RDD`
            RDD representing unpickled data from the file(s).

        Examples
        --------
        >>> import os, tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "pickled")
        >>> sc.parallelize(range(10), 2).saveAsPickleFile(path, 5)
        >>> sorted(sc.pickleFile(path, 3).collect())
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]
        """
        from sparklite.rdd.file_sources import ObjectFileRDD

        self._assert_alive()
        return ObjectFileRDD(self, str(name))

    # ------------------------------------------------------------------ files shipped to executors, checkpoints

    def addFile(self: SparkContext, path: str, recursive: bool = False) -> None:
        """Add a file to be downloaded with this Spark job on every node.
        The `path` passed can be either a local file, a file in HDFS
        (or other fsspec-supported filesystems), or an HTTP, HTTPS or
        FTP URI.

        To access the file in Spark jobs, use :meth:`SparkFiles.get` with the
        filename to find its download location.

        A directory can be given if the recursive option is set to True.

        Parameters
        ----------
        path : str
            can be either a local file, a file in HDFS (or other fsspec-supported
            filesystems), or an HTTP, HTTPS or FTP URI.
        recursive : bool, default False
            whether to recursively add files in the input directory

        Notes
        -----
        A path can be added only once. Subsequent additions of the same path are ignored.

        Examples
        --------
        >>> import os, tempfile
        >>> from sparklite.files import SparkFiles
        >>> d = tempfile.mkdtemp()
        >>> path = os.path.join(d, "test-addFile.txt")
        >>> with open(path, "w") as f:
        ...     _ = f.write("100")
        >>> sc.addFile(path)
        >>> def func(iterator):
        ...     with open(SparkFiles.get("test-addFile.txt")) as f:
        ...         mul = int(f.readline())
        ...         return [x * mul for x in iterator]
        >>> sc.parallelize([1, 2, 3, 4]).mapPartitions(func).collect()
        [100, 200, 300, 400]
        """
        from sparklite.filesystems import options_of

        self._assert_alive()
        with options_of(self):
            self._files.add_file(path, recursive)

    def addPyFile(self: SparkContext, path: str) -> None:
        """Add a .py or .zip dependency for all tasks to be executed on this
        SparkContext in the future. The `path` passed can be either a local
        file, a file in HDFS (or other fsspec-supported filesystems), or an
        HTTP, HTTPS or FTP URI.

        Notes
        -----
        A path can be added only once. Subsequent additions of the same path are ignored.

        Examples
        --------
        >>> import os, tempfile
        >>> d = tempfile.mkdtemp()
        >>> with open(os.path.join(d, "addpyfile_demo.py"), "w") as f:
        ...     _ = f.write("def triple(x):\\n    return 3 * x\\n")
        >>> sc.addPyFile(os.path.join(d, "addpyfile_demo.py"))
        >>> sc.parallelize([1, 2]).map(lambda x: __import__("addpyfile_demo").triple(x)).collect()
        [3, 6]
        """
        from sparklite.filesystems import options_of

        self._assert_alive()
        with options_of(self):
            self._files.add_py_file(path)

    @property
    def listFiles(self: SparkContext) -> list[str]:
        """Returns a list of file paths that are added to resources, as URIs
        (``file:/...`` for local files), as PySpark lists them.

        >>> isinstance(sc.listFiles, list)
        True
        """
        return self._files.sources()

    def addArchive(self: SparkContext, path: str) -> None:
        """Add an archive to be downloaded with this Spark job on every node.
        The `path` passed can be either a local file, a file in HDFS
        (or other fsspec-supported filesystems), or an HTTP, HTTPS or
        FTP URI.

        To access the file in Spark jobs, use :meth:`SparkFiles.get` with the
        filename to find its download/unpacked location. The given path should
        be one of .zip, .tar, .tar.gz, .tgz and .jar; ``path#alias`` unpacks it into
        a directory named ``alias`` (``SparkFiles.get("alias")``), the way a packed
        virtualenv is shipped (``venv.tar.gz#environment``).

        Parameters
        ----------
        path : str
            can be either a local file, a file in HDFS (or other fsspec-supported
            filesystems), or an HTTP, HTTPS or FTP URI. To access the file in Spark jobs,
            use :meth:`SparkFiles.get` to find its download location.

        See Also
        --------
        :meth:`SparkContext.listArchives`
        :meth:`SparkFiles.get`

        Notes
        -----
        A path can be added only once. Subsequent additions of the same path are ignored.
        Differs from PySpark: executors keep running sparklite's own interpreter, so a
        packed virtualenv's ``bin/python`` is not used to run tasks (its files are there).

        Examples
        --------
        >>> import os, tempfile, zipfile
        >>> from sparklite import SparkFiles
        >>> d = tempfile.mkdtemp()
        >>> with open(os.path.join(d, "test.txt"), "w") as f:
        ...     _ = f.write("100")
        >>> zip_path = os.path.join(d, "test1.zip")
        >>> with zipfile.ZipFile(zip_path, "w") as z:
        ...     z.write(os.path.join(d, "test.txt"), "test.txt")
        >>> sc.addArchive(zip_path)
        >>> sc.listArchives == ["file:" + zip_path]
        True
        >>> def func(iterator):
        ...     with open(os.path.join(SparkFiles.get("test1.zip"), "test.txt")) as f:
        ...         mul = int(f.readline())
        ...         return [x * mul for x in iterator]
        >>> sc.parallelize([1, 2, 3, 4]).mapPartitions(func).collect()
        [100, 200, 300, 400]
        """
        from sparklite.filesystems import options_of

        self._assert_alive()
        with options_of(self):
            self._files.add_archive(path)

    @property
    def listArchives(self: SparkContext) -> list[str]:
        """Returns a list of archive paths that are added to resources, as URIs (with their
        ``#alias`` fragment when one was given).

        >>> isinstance(sc.listArchives, list)
        True
        """
        return self._files.archive_sources()

    def setCheckpointDir(self: SparkContext, dirName: str) -> None:
        """Set the directory under which RDDs are going to be checkpointed. The
        directory must be an HDFS path if running on a cluster (here: any fsspec URL
        every executor can reach; a local path in local mode).

        A fresh subdirectory (a UUID) is made under it for this application.
        :meth:`getCheckpointDir` reports it as a URI with its scheme, as PySpark does
        (``file:/tmp/...`` for a local path).

        Parameters
        ----------
        dirName : str
            path to the directory where checkpoint files will be stored
            (must be HDFS path if running in cluster)

        Examples
        --------
        >>> import tempfile
        >>> d = tempfile.mkdtemp()
        >>> sc.setCheckpointDir(d)
        >>> sc.getCheckpointDir().startswith("file:" + d + "/")
        True
        >>> import shutil; shutil.rmtree(d); sc._checkpoint_dir = None
        """
        import uuid

        from sparklite.filesystems import hadoop_uri, options_of, url_to_fs

        with options_of(self):
            fs, fspath = url_to_fs(str(dirName))
            full = f"{fspath.rstrip('/')}/{uuid.uuid4()}"
            fs.makedirs(full, exist_ok=True)
        self._checkpoint_dir = hadoop_uri(fs, full)

    def getCheckpointDir(self: SparkContext) -> str | None:
        """Return the directory where RDDs are checkpointed, as a URI with its scheme
        (``file:/...`` for a local directory). Returns None if no checkpoint directory has
        been set.

        >>> sc.getCheckpointDir() is None
        True
        """
        return self._checkpoint_dir
