"""Java-style system properties of SparkContext (mixin): ``setSystemProperty``/``getSystemProperty``.

Spark's are the JVM's system properties, process-wide; ``spark.*`` ones are loaded by every
``SparkConf()`` made afterwards. sparklite has no JVM: the properties live in this process
(``sparklite.conf._system_properties``) with the same effect on SparkConf, and a few standard
Java properties are answered from Python.
"""
from __future__ import annotations

import os
import tempfile
from typing import Callable


class SystemPropertiesMixin:
    @classmethod
    def setSystemProperty(cls, key: str, value: str) -> None:
        """Set a Java system property, such as `spark.executor.memory`. This must
        be invoked before instantiating :class:`SparkContext`.

        sparklite has no JVM: the property is kept for this process, and ``spark.*`` ones
        become defaults of every :class:`SparkConf` created afterwards, as in Spark.

        Parameters
        ----------
        key : str
            The key of a new Java system property.
        value : str
            The value of a new Java system property.

        Examples
        --------
        >>> sc.setSystemProperty("sparklite.demo.property", "1")
        >>> sc.getSystemProperty("sparklite.demo.property")
        '1'
        """
        from sparklite import conf as conf_module

        conf_module._system_properties[str(key)] = str(value)

    @classmethod
    def getSystemProperty(cls, key: str) -> str | None:
        """Get a Java system property, such as `java.home`: one set with
        :meth:`setSystemProperty`, else the few standard ones this process can answer
        (``user.name``, ``user.home``, ``user.dir``, ``os.name``, ``os.arch``,
        ``java.io.tmpdir``, ``file.separator``, ``path.separator``, ``line.separator``);
        None otherwise (``java.version``: there is no JVM).

        Parameters
        ----------
        key : str
            The key of a Java system property.

        Examples
        --------
        >>> sc.getSystemProperty("user.dir") == os.getcwd()
        True
        >>> sc.getSystemProperty("no.such.property") is None
        True
        """
        from sparklite import conf as conf_module

        if key in conf_module._system_properties:
            return conf_module._system_properties[key]
        return _standard_property(key)

def _standard_property(key: str) -> str | None:
    import getpass
    import platform

    answers: dict[str, Callable[[], str]] = {
        "user.name": getpass.getuser, "user.home": lambda: os.path.expanduser("~"),
        "user.dir": os.getcwd, "os.name": platform.system, "os.arch": platform.machine,
        "java.io.tmpdir": tempfile.gettempdir, "file.separator": lambda: os.sep,
        "path.separator": lambda: os.pathsep, "line.separator": lambda: os.linesep}
    answer = answers.get(key)
    return answer() if answer is not None else None


