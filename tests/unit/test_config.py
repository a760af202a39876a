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
