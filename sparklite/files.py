"""SparkFiles: files shipped to every executor with ``SparkContext.addFile``/``addPyFile``/``addArchive``.

Driver side (:class:`FileRegistry`): ``addFile`` reads the file (any fsspec
URL; a directory with ``recursive=True``) once, keeps its bytes in the
driver's blob store and copies it into the driver's own SparkFiles root, so
``SparkFiles.get`` works on the driver too. Every job carries the list of
added files (name -> blob key) in a reserved local property.

Executor side (:class:`ExecutorFiles`): before a task runs, files it does not
have yet are fetched over the driver's authenticated ``FetchBlob`` RPC and
written (atomically) under the executor's SparkFiles root; ``addPyFile``
entries are put on ``sys.path`` (the root itself for ``.py`` files, the
archive for ``.zip``/``.egg``/``.jar``), so tasks can import them.

Archives (``addArchive``, ``--archives``, ``spark.archives``: ``.zip``, ``.jar``,
``.tar.gz``, ``.tgz``, ``.tar``) are unpacked into a directory of the SparkFiles
root named after the archive, or after the ``#alias`` fragment of
``path#alias`` (``venv.tar.gz#environment`` -> ``SparkFiles.get("environment")``),
on the driver and on every executor, before a task that needs them runs.

Bytes are held in the driver's memory for the application's life: addFile is
meant for dependencies and side files, not for data sets (use textFile...).

THREADING: FileRegistry methods run on user threads under one lock;
ExecutorFiles.update runs on task threads under one lock.
"""
from __future__ import annotations

import importlib
import json
import os
import sys
import threading
from typing import Any, Callable, ClassVar

#: the local property that carries the files a job's tasks need (removed before user code sees it)
DEPENDENCIES_PROPERTY = "sparklite.internal.dependencies"
#: addPyFile archives that go on sys.path themselves
PACKAGE_EXTENSIONS = (".zip", ".egg", ".jar")
#: addArchive formats: file name ending -> how to unpack it
ARCHIVE_FORMATS = {".zip": "zip", ".jar": "zip", ".tar.gz": "tar", ".tgz": "tar", ".tar": "tar"}


class SparkFiles:
    """Resolves paths to files added through :meth:`SparkContext.addFile`.

    SparkFiles contains only classmethods; users should not create SparkFiles instances.

    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "test.txt")
    >>> with open(path, "w") as f:
    ...     _ = f.write("100")
    >>> sc.addFile(path)
    >>> def func(iterator):
    ...     with open(SparkFiles.get("test.txt")) as f:
    ...         mul = int(f.readline())
    ...         return [x * mul for x in iterator]
    >>> sc.parallelize([1, 2, 3, 4]).mapPartitions(func).collect()
    [100, 200, 300, 400]
    """

    _root_directory: ClassVar[str | None] = None
    _is_running_on_worker: ClassVar[bool] = False

    def __init__(self) -> None:
        raise NotImplementedError("Do not construct SparkFiles objects")

    @classmethod
    def get(cls, filename: str) -> str:
        """Get the absolute path of a file added through :meth:`SparkContext.addFile` or
        :meth:`SparkContext.addPyFile`.

        Parameters
        ----------
        filename : str
            file that are added to resources

        Returns
        -------
        str
            the absolute path of the file

        Examples
        --------
        >>> SparkFiles.get("test.txt") == os.path.join(SparkFiles.getRootDirectory(), "test.txt")
        True
        """
        return os.path.abspath(os.path.join(cls.getRootDirectory(), filename))

    @classmethod
    def getRootDirectory(cls) -> str:
        """Get the root directory that contains files added through :meth:`SparkContext.addFile`
        or :meth:`SparkContext.addPyFile`.

        Returns
        -------
        str
            the root directory that contains files added to resources

        Examples
        --------
        >>> os.path.isdir(SparkFiles.getRootDirectory())
        True
        """
        from sparklite.executor import env as executor_env

        if executor_env._current is not None:  # in an executor process
            return executor_env._current.files.root
        from sparklite.context import SparkContext

        active = SparkContext._active_spark_context
        if active is None:
            raise RuntimeError("SparkFiles.getRootDirectory() needs an active SparkContext on "
                               "the driver")
        return active._files.root


class FileRegistry:
    """Driver side: the files added to one SparkContext."""

    def __init__(self, root: str, blob_store: Any, next_id: Callable[[], int]):
        self.root = root
        os.makedirs(root, exist_ok=True)
        self._blob_store = blob_store
        self._next_id = next_id
        #: relative path under the root -> blob key
        self._files: dict[str, str] = {}
        #: top-level name -> the path it was added from
        self._sources: dict[str, str] = {}
        #: directory name -> (blob key, format) of each archive
        self._archives: dict[str, tuple[str, str]] = {}
        #: directory name -> the URI listArchives reports
        self._archive_sources: dict[str, str] = {}
        self._py_files: list[str] = []
        self._on_driver_path = False
        self._lock = threading.Lock()

    def add_file(self, path: str, recursive: bool = False) -> str:
        """Ship ``path`` to every executor; returns the name to give ``SparkFiles.get``."""
        from sparklite.filesystems import url_to_fs

        fs, fspath = url_to_fs(str(path))
        name = os.path.basename(fspath.rstrip("/"))
        with self._lock:
            if name in self._archives:
                raise ValueError(f"{name} is already the directory of an archive added with "
                                 f"addArchive ({self._archive_sources[name]})")
            known = self._sources.get(name)
            if known == str(path):
                return name  # as Spark: adding the same path again is a no-op
            if known is not None:
                raise ValueError(f"File {name} was already added from {known}; files given to "
                                 f"addFile must have distinct names (got {path})")
        if not fs.exists(fspath):
            raise FileNotFoundError(f"addFile: {path} does not exist")
        if fs.isdir(fspath):
            if not recursive:
                raise ValueError(f"Added file {path} is a directory and recursive is not turned on.")
            base = fspath.rstrip("/")
            members = {f"{name}/{os.path.relpath(p, base)}": p for p in sorted(fs.find(base))}
        else:
            members = {name: fspath}
        contents = {rel: fs.cat_file(p) for rel, p in members.items()}
        with self._lock:
            for rel, data in contents.items():
                key = f"file_{self._next_id()}_{rel}"
                self._blob_store.put(key, data)
                self._files[rel] = key
                write_atomically(os.path.join(self.root, rel), data)
            self._sources[name] = str(path)
        return name

    def add_py_file(self, path: str) -> None:
        name = self.add_file(path)
        with self._lock:
            if name not in self._py_files:
                self._py_files.append(name)
            entries = [self.root] if not self._on_driver_path else []
            self._on_driver_path = True
        if name.lower().endswith(PACKAGE_EXTENSIONS):
            entries.append(os.path.join(self.root, name))
        for entry in entries:  # the driver imports them too (as PySpark does)
            if entry not in sys.path:
                sys.path.insert(1, entry)
        importlib.invalidate_caches()

    def add_archive(self, path: str) -> str:
        """Ship an archive to every executor, unpacked; returns its directory's name."""
        from sparklite.filesystems import hadoop_uri, url_to_fs

        location, _, alias = str(path).partition("#")
        fs, fspath = url_to_fs(location)
        filename = os.path.basename(fspath.rstrip("/"))
        kind = archive_format(filename)
        name = alias or filename
        if not name or "/" in name or name in (".", ".."):
            raise ValueError(f"addArchive: {alias!r} cannot name a directory (in {path})")
        uri = hadoop_uri(fs, fspath) + (f"#{alias}" if alias else "")
        with self._lock:
            known = self._archive_sources.get(name)
            if known == uri:
                return name  # as Spark: adding the same archive again is a no-op
            if known is not None or name in self._sources:
                raise ValueError(f"addArchive: {name} was already added from "
                                 f"{known or self._sources[name]}; use path#alias to give {path} "
                                 f"another directory name")
        if not fs.isfile(fspath):
            raise FileNotFoundError(f"addArchive: {location} does not exist or is not a file")
        data = fs.cat_file(fspath)
        with self._lock:
            key = f"archive_{self._next_id()}_{name}"
            self._blob_store.put(key, data)
            unpack_archive(data, kind, os.path.join(self.root, name))
            self._archives[name] = (key, kind)
            self._archive_sources[name] = uri
        return name

    def sources(self) -> list[str]:
        """What listFiles reports: the URIs of the files added (``file:/...`` for local ones)."""
        with self._lock:
            return [_as_uri(p) for p in self._sources.values()]

    def archive_sources(self) -> list[str]:
        with self._lock:
            return list(self._archive_sources.values())

    def dependencies_property(self) -> str | None:
        """What tasks must install before they run (None when nothing was added)."""
        with self._lock:
            if not self._files and not self._archives:
                return None
            return json.dumps({"files": self._files, "pyFiles": self._py_files,
                               "archives": self._archives}, sort_keys=True)


class ExecutorFiles:
    """Executor side: fetches added files on first need and exposes them to tasks."""

    def __init__(self, root: str, fetch_blob: Callable[[str], bytes]):
        self.root = root
        os.makedirs(root, exist_ok=True)
        self._fetch_blob = fetch_blob
        self._installed: dict[str, str] = {}
        self._paths: set[str] = set()
        self._last_spec: str | None = None
        self._lock = threading.Lock()

    def update(self, spec: str) -> None:
        """Install what ``spec`` (a job's dependencies property) lists and this executor lacks."""
        if spec == self._last_spec:
            return
        wanted = json.loads(spec)
        with self._lock:
            for rel, key in wanted["files"].items():
                if self._installed.get(rel) != key:
                    write_atomically(os.path.join(self.root, rel), self._fetch_blob(key))
                    self._installed[rel] = key
            for name, (key, kind) in wanted.get("archives", {}).items():
                if self._installed.get(f"archive:{name}") != key:
                    unpack_archive(self._fetch_blob(key), kind, os.path.join(self.root, name))
                    self._installed[f"archive:{name}"] = key
            entries = [self.root] if wanted["pyFiles"] else []
            entries += [os.path.join(self.root, n) for n in wanted["pyFiles"]
                        if n.lower().endswith(PACKAGE_EXTENSIONS)]
            added = False
            for entry in entries:
                if entry not in self._paths:
                    self._paths.add(entry)
                    sys.path.insert(1, entry)
                    added = True
            if added:
                importlib.invalidate_caches()
            self._last_spec = spec


def _as_uri(path: str) -> str:
    if "://" in path or path.startswith("file:"):
        return path
    return "file:" + os.path.abspath(os.path.expanduser(path))


def archive_format(filename: str) -> str:
    """``zip`` or ``tar`` for a file name addArchive accepts; ValueError otherwise."""
    lowered = filename.lower()
    for ending, kind in ARCHIVE_FORMATS.items():
        if lowered.endswith(ending):
            return kind
    raise ValueError(f"addArchive: {filename} is not an archive sparklite can unpack (use "
                     f"{', '.join(ARCHIVE_FORMATS)})")


def unpack_archive(data: bytes, kind: str, target: str) -> None:
    """Unpack an archive's bytes into the directory ``target`` (replacing it atomically).

    Members that would land outside ``target`` (absolute paths, ``..``, links leaving
    it) are refused, as Python's ``data`` extraction filter does.
    """
    import io
    import shutil
    import tarfile
    import tempfile
    import zipfile

    parent = os.path.dirname(target)
    os.makedirs(parent, exist_ok=True)
    staging = tempfile.mkdtemp(prefix=".unpack-", dir=parent)
    try:
        if kind == "zip":
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                for member in archive.namelist():
                    _check_member(staging, member)
                archive.extractall(staging)
        else:
            with tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as archive:
                if hasattr(tarfile, "data_filter"):
                    archive.extractall(staging, filter="data")
                else:  # Python < 3.10.12 / 3.11.4: check names ourselves
                    for member in archive.getmembers():
                        _check_member(staging, member.name)
                        if member.issym() or member.islnk():
                            _check_member(staging, os.path.join(os.path.dirname(member.name),
                                                                member.linkname))
                    archive.extractall(staging)
        if os.path.isdir(target):
            shutil.rmtree(target)
        os.replace(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _check_member(root: str, name: str) -> None:
    resolved = os.path.realpath(os.path.join(root, name))
    if resolved != os.path.realpath(root) and not resolved.startswith(os.path.realpath(root) + os.sep):
        raise ValueError(f"archive member {name!r} would be unpacked outside its directory")


def write_atomically(path: str, data: bytes) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = f"{path}.{os.getpid()}.{threading.get_ident()}.tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


__all__ = ["SparkFiles"]
