"""Config: parsing, validation naming the key, precedence, and a template documenting every key."""
from __future__ import annotations

import json
import pathlib
import re

import pytest

from sparklite import SparkConf, config
from sparklite.config import Settings
from sparklite.cli.resolve import resolve_layers, validate
from sparklite.errors import ConfigError

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_sizes_and_durations():
    assert config.parse_size("512m") == 512 << 20
    assert config.parse_size("2g") == 2 << 30
    assert config.parse_size("100", "m") == 100 << 20
    assert config.parse_duration("500ms") == 0.5
    assert config.parse_duration("2m") == 120
    with pytest.raises(ValueError):
        config.parse_size("lots")


@pytest.mark.parametrize("key,value", [("spark.task.maxFailures", "abc"), ("spark.task.maxFailures", "0"),
                                       ("spark.executor.memory", "big"), ("spark.master", "yarn"),
                                       ("sparklite.shuffle.forceRemoteFetch", "maybe"),
                                       ("spark.memory.fraction", "1.5")])
def test_bad_values_fail_naming_the_key(key, value):
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        config.Settings({key: value})


def test_typed_defaults():
    s = config.Settings({})
    assert s.get("spark.task.maxFailures") == 4
    assert s.get("spark.executor.memory") == 1 << 30
    assert s.get("spark.network.timeout") == 120.0
    assert s.get("sparklite.shuffle.forceRemoteFetch") is False


def test_precedence_code_over_conf_over_properties_over_defaults(tmp_path, monkeypatch):
    conf_dir = tmp_path / "conf"
    conf_dir.mkdir()
    (conf_dir / "sparklite-defaults.conf").write_text(
        "spark.app.name from-defaults\nspark.task.maxFailures 7\nspark.locality.wait 1s\nspark.logConf true\n")
    props = tmp_path / "p.conf"
    props.write_text("spark.app.name from-props\nspark.task.maxFailures 6\nspark.locality.wait 2s\n")
    monkeypatch.setenv("SPARKLITE_CONF_DIR", str(conf_dir))
    layer = resolve_layers(str(props), ["spark.app.name=from-conf", "spark.task.maxFailures=5"], {})
    monkeypatch.setenv(config.SUBMIT_CONF_ENV, json.dumps(layer))
    conf = SparkConf().set("spark.app.name", "from-code")
    assert conf.get("spark.app.name") == "from-code"
    assert conf.get("spark.task.maxFailures") == "5"
    assert conf.get("spark.locality.wait") == "2s"
    assert conf.get("spark.logConf") == "true"


def test_validate_rejects_bad_defaults_file(tmp_path, monkeypatch):
    (tmp_path / "sparklite-defaults.conf").write_text("spark.executor.cores many\n")
    monkeypatch.setenv("SPARKLITE_CONF_DIR", str(tmp_path))
    with pytest.raises(ConfigError, match="spark.executor.cores"):
        validate({})


def test_conf_pairs_must_have_equals():
    with pytest.raises(ConfigError, match="key=value"):
        resolve_layers(None, ["spark.master"], {})


def test_template_documents_every_key():
    text = (ROOT / "conf" / "sparklite-defaults.conf.template").read_text()
    documented = set(config.iter_documented_keys(text))
    assert set(config.ENTRIES) <= documented, set(config.ENTRIES) - documented


def test_spark_conf_api():
    conf = SparkConf(loadDefaults=False)
    conf.setMaster("local[3]").setAppName("x").setIfMissing("spark.app.name", "y")
    conf.setExecutorEnv("A", "1").setExecutorEnv(pairs=[("B", "2")])
    assert conf.get("spark.app.name") == "x"
    assert conf.contains("spark.executorEnv.A") and conf.get("spark.executorEnv.B") == "2"
    assert dict(conf.getAll())["spark.master"] == "local[3]"
    assert "spark.master=local[3]" in conf.toDebugString()
    with pytest.raises(ValueError):
        conf.setExecutorEnv()


def test_cluster_file_sits_below_properties_file_and_conf(tmp_path, monkeypatch):
    (tmp_path / "clusters").mkdir()
    (tmp_path / "clusters" / "eu.conf").write_text(
        "spark.master local[3]\nspark.task.maxFailures 9\nspark.locality.wait 4s\nspark.app.name eu\n")
    props = tmp_path / "p.conf"
    props.write_text("spark.task.maxFailures 8\nspark.locality.wait 5s\n")
    monkeypatch.setenv("SPARKLITE_CONF_DIR", str(tmp_path))
    layer = resolve_layers(str(props), ["spark.locality.wait=6s"], {"spark.app.name": None}, "eu")
    assert layer == {"spark.master": "local[3]", "spark.task.maxFailures": "8",
                     "spark.locality.wait": "6s", "spark.app.name": "eu"}
    assert validate(layer).get("spark.locality.wait") == 6.0


def test_missing_cluster_file_is_named(tmp_path, monkeypatch):
    monkeypatch.setenv("SPARKLITE_CONF_DIR", str(tmp_path))
    with pytest.raises(ConfigError, match=re.escape(str(tmp_path / "clusters" / "nowhere.conf"))):
        resolve_layers(None, [], {}, "nowhere")
    with pytest.raises(ConfigError, match="--cluster expects a name"):
        resolve_layers(None, [], {}, "../etc/passwd")


def test_shipped_local_cluster_file(monkeypatch):
    monkeypatch.delenv("SPARKLITE_CONF_DIR", raising=False)
    monkeypatch.delenv("SPARKLITE_HOME", raising=False)
    assert config.read_properties(ROOT / "conf" / "clusters" / "local.conf") == {"spark.master": "local[*]"}
    assert resolve_layers(None, [], {}, "local") == {"spark.master": "local[*]"}



def test_a_near_miss_key_is_reported_once_with_a_suggestion(caplog):
    config._warned.clear()
    with caplog.at_level("WARNING", logger="sparklite.config"):
        Settings({"spark.task.maxFailure": "3", "spark.my.own.setting": "x", "sparklite.storage.chunkrecords": "5"})
        Settings({"spark.task.maxFailure": "3"})
    messages = [r.getMessage() for r in caplog.records]
    assert messages == [
        "unknown config key spark.task.maxFailure (ignored); did you mean spark.task.maxFailures?",
        "unknown config key sparklite.storage.chunkrecords (ignored); did you mean sparklite.storage.chunkRecords?"]


@pytest.mark.parametrize("key,value,message", [
    ("spark.executor.cores", "abc", "must be a positive integer"),
    ("spark.task.maxFailures", "0", "must be a positive integer"),
    ("spark.executor.memory", "0", "must be a positive size"),
])
def test_bad_values_name_the_key_and_what_is_expected(key, value, message):
    with pytest.raises(ConfigError, match=f"config key {key}: {message}"):
        Settings({key: value})


def test_every_time_and_size_key_has_a_range():
    """A duration or size key gets its parser from config._duration/_size, which check a range."""
    def is_time_or_size(entry) -> bool:  # a default with a unit, like 10s or 1g
        return entry.default is not None and re.fullmatch(r"\d+(\.\d+)?[a-zA-Z]+", entry.default) is not None

    keys = [entry.key for entry in config.ENTRIES.values() if is_time_or_size(entry)]
    assert len(keys) >= 12
    for key in keys:
        assert getattr(config.ENTRIES[key].parse, "valid", None), key


@pytest.mark.parametrize("conf,message", [
    ({"spark.network.timeout": "0s"}, "spark.network.timeout: must be a positive duration"),
    ({"spark.executor.heartbeatInterval": "0"}, "spark.executor.heartbeatInterval: must be a positive"),
    ({"sparklite.shuffle.fetchChunkSize": "0"}, "sparklite.shuffle.fetchChunkSize: must be a positive size"),
    ({"sparklite.shuffle.fetchChunkSize": "8m"}, "sparklite.shuffle.fetchChunkSize: .*at most 3m"),
    ({"spark.task.maxDirectResultSize": "5m"}, "spark.task.maxDirectResultSize: .*at most 3m"),
    ({"spark.driver.maxResultSize": "100k"}, r"spark.driver.maxResultSize: must be 0 \(unlimited\), or at least 1m"),
    ({"spark.driver.port": "70000"}, "spark.driver.port: must be a port number"),
    ({"spark.worker.timeout": "0ms"}, "spark.worker.timeout: must be a positive duration"),
    ({"spark.network.timeout": "5s", "spark.executor.heartbeatInterval": "10s"},
     "spark.network.timeout=5s must be greater than spark.executor.heartbeatInterval=10s"),
    ({"spark.executor.heartbeatInterval": "200s"},
     r"spark.network.timeout=120s \(the default\) must be greater than spark.executor.heartbeatInterval=200s"),
    ({"spark.worker.timeout": "2s"},
     r"spark.worker.timeout=2s must be greater than sparklite.worker.heartbeatInterval=5s \(the default\)"),
])
def test_impossible_settings_fail_at_start_naming_the_key(conf, message):
    with pytest.raises(ConfigError, match=message):
        Settings(conf)


def test_sensible_edges_are_accepted():
    s = Settings({"spark.driver.maxResultSize": "0", "spark.locality.wait": "0", "spark.driver.port": "0",
                  "spark.network.timeout": "2s", "spark.executor.heartbeatInterval": "1999ms"})
    assert s.get("spark.driver.maxResultSize") == 0 and s.get("spark.locality.wait") == 0
    assert Settings({}).get("spark.driver.maxResultSize") == 1 << 30


def test_a_config_file_that_is_not_utf8_is_one_line_naming_the_file_and_line(tmp_path):
    path = tmp_path / "cluster.conf"
    path.write_bytes(b"spark.app.name ok\n# caf\xc3\xa9 is fine\nspark.master local[2]\nspark.app.name caf\xe9\n")
    with pytest.raises(ConfigError) as info:
        config.read_properties(path)
    assert str(info.value) == (f"{path}:4: not UTF-8 text (byte 0xe9 at column 19); config files must be UTF-8")


def test_a_malformed_line_is_named_with_its_file_and_number(tmp_path):
    path = tmp_path / "p.conf"
    path.write_text("spark.app.name x\n\n# comment\njust-a-word\n")
    with pytest.raises(ConfigError, match=re.escape(f"{path}:4: cannot parse line 'just-a-word'")):
        config.read_properties(path)


def test_a_bad_defaults_file_fails_spark_conf_with_one_line(tmp_path, monkeypatch):
    (tmp_path / "sparklite-defaults.conf").write_bytes(b"spark.app.name \xff\xfe\n")
    monkeypatch.setenv("SPARKLITE_CONF_DIR", str(tmp_path))
    with pytest.raises(ConfigError) as info:
        SparkConf()
    assert "sparklite-defaults.conf:1: not UTF-8" in str(info.value) and "\n" not in str(info.value)


def test_spark_keys_sparklite_ignores_are_warned_about_once_each(caplog):
    from sparklite import config_checks

    config_checks._warned.clear()
    with caplog.at_level("WARNING", logger="sparklite.config_checks"):
        Settings({"spark.dynamicAllocation.enabled": "true", "spark.speculation": "false",
                  "spark.driver.memory": "4g", "spark.executor.memoryOverhead": "1g",
                  "spark.python.profile": "true", "spark.eventLog.enabled": "true"})
        Settings({"spark.dynamicAllocation.enabled": "true", "spark.driver.memory": "8g"})
    messages = sorted(r.getMessage().split(":")[0] for r in caplog.records)
    assert messages == sorted(f"{k} is not supported by sparklite and has no effect" for k in (
        "spark.dynamicAllocation.enabled", "spark.driver.memory", "spark.executor.memoryOverhead"))
    # spark.speculation=false is Spark's default; spark.python.profile and spark.eventLog.enabled are acted on


def test_the_unsupported_table_names_no_key_sparklite_reads():
    from sparklite.config_checks import RECORDED_ONLY, RELATIONS, UNSUPPORTED

    assert set(UNSUPPORTED) & set(config.ENTRIES) <= RECORDED_ONLY
    assert {k for pair in RELATIONS for k in pair} <= set(config.ENTRIES)
