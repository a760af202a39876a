"""SparkConf: an application's configuration as key-value strings (PySpark's API).

``SparkConf()`` starts from the file layers (``conf/sparklite-defaults.conf``,
then what ``sparklite-submit`` resolved from the cluster file, properties file
and ``--conf``), then the ``spark.*`` system properties set with
``SparkContext.setSystemProperty`` (as Spark's SparkConf loads Java system
properties); values set in code override them. Values are stored as
strings, exactly as PySpark does; validation happens when a SparkContext
starts (``sparklite.config.Settings``).
"""
from __future__ import annotations

from typing import Iterable

from sparklite import config

#: this process's "system properties" (SparkContext.setSystemProperty): a JVM-wide notion in
#: Spark, so process-wide here; the spark.* ones are defaults of every SparkConf made after
_system_properties: dict[str, str] = {}


class SparkConf:
    """Configuration for a sparklite application.

    >>> conf = SparkConf(loadDefaults=False).setMaster("local[2]").setAppName("demo")
    >>> conf.get("spark.master")
    'local[2]'
    >>> conf.set("spark.task.maxFailures", 2).get("spark.task.maxFailures")
    '2'
    >>> conf.get("spark.missing", "fallback")
    'fallback'
    """

    def __init__(self, loadDefaults: bool = True, _jvm: object = None, _jconf: object = None):
        self._conf: dict[str, str] = {}
        #: where each value came from (sparklite-submit --verbose prints it): "code", "--conf"...
        self._origins: dict[str, str] = {}
        if loadDefaults:
            self._conf, self._origins = config.load_layers_with_origins()
            for key, value in _system_properties.items():
                if key.startswith("spark."):
                    self._conf[key] = value
                    self._origins[key] = "system property"

    def set(self, key: str, value: object) -> SparkConf:
        """Set a configuration property."""
        return self._set(key, value, "code")

    def _set(self, key: str, value: object, origin: str) -> SparkConf:
        self._conf[str(key)] = str(value) if not isinstance(value, bool) else str(value).lower()
        self._origins[str(key)] = origin
        return self

    def setIfMissing(self, key: str, value: object) -> SparkConf:
        if key not in self._conf:
            self.set(key, value)
        return self

    def _origin(self, key: str) -> str:
        return self._origins.get(key, "code")

    def _describe_origins(self, title: str) -> str:
        """Every key, its value (secrets masked) and where it came from (submit --verbose)."""
        from sparklite.redaction import redact

        pairs = sorted(self._conf.items())
        width = max([len(f"{k}={redact(k, v)}") for k, v in pairs] + [0])
        lines = [f"{title} (highest first: code > --conf > properties file > cluster file > "
                 f"defaults file > built-in defaults):"]
        lines += [f"  {f'{k}={redact(k, v)}':<{width}}  ({self._origin(k)})" for k, v in pairs]
        return "\n".join(lines)

    def setMaster(self, value: str) -> SparkConf:
        return self.set("spark.master", value)

    def setAppName(self, value: str) -> SparkConf:
        return self.set("spark.app.name", value)

    def setSparkHome(self, value: str) -> SparkConf:
        return self.set("spark.home", value)

    def setExecutorEnv(self, key: str | None = None, value: str | None = None,
                       pairs: Iterable[tuple[str, str]] | None = None) -> SparkConf:
        """Set an environment variable to be passed to executors."""
        if (key is not None and pairs is not None) or (key is None and pairs is None):
            raise ValueError("Either pass one key-value pair or a list of pairs")
        if key is not None:
            self.set("spark.executorEnv." + key, value)
        else:
            for k, v in pairs or ():
                self.set("spark.executorEnv." + k, v)
        return self

    def setAll(self, pairs: Iterable[tuple[str, object]]) -> SparkConf:
        for k, v in pairs:
            self.set(k, v)
        return self

    def get(self, key: str, defaultValue: str | None = None) -> str | None:
        return self._conf.get(key, defaultValue)

    def getAll(self) -> list[tuple[str, str]]:
        return list(self._conf.items())

    def contains(self, key: str) -> bool:
        return key in self._conf

    def toDebugString(self) -> str:
        return "\n".join(f"{k}={v}" for k, v in sorted(self._conf.items()))

    def _copy(self) -> SparkConf:
        other = SparkConf(loadDefaults=False)
        other._conf = dict(self._conf)
        other._origins = dict(self._origins)
        return other

    def __repr__(self) -> str:
        return f"SparkConf({len(self._conf)} entries)"


__all__ = ["SparkConf"]
