"""Object stores configured as PySpark users configure them, against a real S3 server on loopback.

A moto S3 server (``ThreadedMotoServer``, port 0 on 127.0.0.1) plays S3. The application
is configured only with ``spark.hadoop.fs.s3a.*`` keys (or ``sparklite.fs.s3.*``), never
with ``spark.executorEnv.*`` or AWS environment variables: the executors must get the
options from the driver. textFile, saveAsTextFile, wholeTextFiles, binaryFiles,
pickleFile/saveAsPickleFile and Parquet read/write each run on executor processes and
are checked against plain-Python answers. Credentials never show in logs or errors.
"""
from __future__ import annotations

import logging
import os

import pytest

pytest.importorskip("s3fs")
moto_server = pytest.importorskip("moto.server")

ACCESS_KEY = "AKIDSPARKLITETEST"
SECRET_KEY = "sparklite-secret-key-0123456789"
BUCKET = "sparklite-test"


@pytest.fixture(scope="module")
def s3_endpoint():
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def s3_conf(s3_endpoint, monkeypatch):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
                 "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)  # no profile on this machine is used
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
    return {"spark.hadoop.fs.s3a.endpoint": s3_endpoint,  # host:port, as Hadoop takes it
            "spark.hadoop.fs.s3a.connection.ssl.enabled": "false",
            "spark.hadoop.fs.s3a.path.style.access": "true",
            "spark.hadoop.fs.s3a.access.key": ACCESS_KEY,
            "spark.hadoop.fs.s3a.secret.key": SECRET_KEY,
            "spark.hadoop.fs.s3a.endpoint.region": "us-east-1"}


@pytest.fixture
def s3_context(context_factory, s3_conf):
    import s3fs

    sc = context_factory("local[2]", s3_conf)
    fs = s3fs.S3FileSystem(key=ACCESS_KEY, secret=SECRET_KEY, use_ssl=False,
                           endpoint_url=f"http://{s3_conf['spark.hadoop.fs.s3a.endpoint']}",
                           skip_instance_cache=True)
    if not fs.exists(BUCKET):
        fs.mkdir(BUCKET)
    for path in fs.ls(BUCKET):
        fs.rm(path, recursive=True)
    fs.invalidate_cache()
    return sc, fs


def test_executors_get_the_options_from_the_driver(s3_context):
    from sparklite import filesystems

    sc, _ = s3_context
    seen = sc.parallelize([0], 1).map(lambda _: (os.environ.get("AWS_ACCESS_KEY_ID"),
                                                filesystems.options_for("s3a://b/k"))).collect()
    [(env_key, options)] = seen
    assert env_key is None  # nothing through the environment
    assert options["key"] == ACCESS_KEY and options["secret"] == SECRET_KEY
    assert options["endpoint_url"].startswith("http://127.0.0.1:") and options["use_ssl"] is False
    assert options["config_kwargs"] == {"s3": {"addressing_style": "path"}}


def test_text_whole_binary_and_pickle_files_on_s3(s3_context):
    sc, fs = s3_context
    lines = [f"line {i} {'x' * (i % 7)}" for i in range(500)]
    fs.pipe(f"{BUCKET}/in/a.txt", ("\n".join(lines[:250]) + "\n").encode())
    fs.pipe(f"{BUCKET}/in/b.txt", ("\n".join(lines[250:]) + "\n").encode())
    text = sc.textFile(f"s3a://{BUCKET}/in/", 4)
    assert sorted(text.collect()) == sorted(lines)
    words = text.flatMap(str.split).map(lambda w: (w, 1)).reduceByKey(lambda a, b: a + b)
    words.saveAsTextFile(f"s3a://{BUCKET}/out")
    assert fs.exists(f"{BUCKET}/out/_SUCCESS")
    expected = {}
    for line in lines:
        for w in line.split():
            expected[w] = expected.get(w, 0) + 1
    assert sorted(sc.textFile(f"s3a://{BUCKET}/out").collect()) == sorted(str(kv) for kv in expected.items())
    whole = dict(sc.wholeTextFiles(f"s3a://{BUCKET}/in").collect())
    assert whole == {f"s3a://{BUCKET}/in/a.txt": "\n".join(lines[:250]) + "\n",
                     f"s3a://{BUCKET}/in/b.txt": "\n".join(lines[250:]) + "\n"}
    fs.pipe(f"{BUCKET}/bin/blob.bin", bytes(range(256)))
    assert sc.binaryFiles(f"s3a://{BUCKET}/bin").collect() == [(f"s3a://{BUCKET}/bin/blob.bin", bytes(range(256)))]
    data = [(i, {"v": i * i}) for i in range(300)]
    sc.parallelize(data, 3).saveAsPickleFile(f"s3://{BUCKET}/pickled")
    assert sorted(sc.pickleFile(f"s3://{BUCKET}/pickled").collect()) == data


def test_parquet_read_and_write_on_s3(s3_context):
    from sparklite.sql import Row, SparkSession

    sc, fs = s3_context
    spark = SparkSession._for_context(sc)
    df = spark.createDataFrame([(i, f"n{i}", i / 4) for i in range(1000)], "id BIGINT, name STRING, q DOUBLE")
    df.write.parquet(f"s3a://{BUCKET}/table")
    names = sorted(p.rsplit("/", 1)[1] for p in fs.ls(f"{BUCKET}/table"))
    assert names[0] == "_SUCCESS" and all(n.endswith(".snappy.parquet") for n in names[1:])
    back = spark.read.parquet(f"s3a://{BUCKET}/table")
    assert back.schema == df.schema
    assert sorted(back.collect()) == [Row(id=i, name=f"n{i}", q=i / 4) for i in range(1000)]
    assert back.rdd.map(lambda r: r.q).sum() == sum(i / 4 for i in range(1000))


def test_sparklite_fs_options_pass_through(context_factory, s3_endpoint, s3_context):
    _, fs = s3_context
    fs.pipe(f"{BUCKET}/direct/x.txt", b"a\nb\n")
    sc = context_factory("local[1]", {
        "sparklite.fs.s3.endpoint_url": f"http://{s3_endpoint}", "sparklite.fs.s3.key": ACCESS_KEY,
        "sparklite.fs.s3.secret": SECRET_KEY, "sparklite.fs.s3.client_kwargs.region_name": "us-east-1"})
    assert sorted(sc.textFile(f"s3://{BUCKET}/direct").collect()) == ["a", "b"]


def test_credentials_stay_out_of_logs_and_errors(context_factory, s3_conf, caplog):
    from sparklite.errors import SparkliteJobError

    logger = logging.getLogger("sparklite")  # it does not propagate: listen to it directly
    logger.addHandler(caplog.handler)
    try:
        sc = context_factory("local[1]", {**s3_conf, "spark.logConf": "true", "sparklite.logLevel": "INFO",
                                          "sparklite.fs.s3.secret": SECRET_KEY})
        with pytest.raises((FileNotFoundError, SparkliteJobError, OSError)) as failure:
            sc.textFile(f"s3a://no-such-bucket-{os.getpid()}/x").collect()
    finally:
        logger.removeHandler(caplog.handler)
        logger.setLevel(logging.WARNING)
    assert SECRET_KEY not in caplog.text and SECRET_KEY not in str(failure.value)
    assert "spark.hadoop.fs.s3a.secret.key=*****" in caplog.text  # the logged config is masked
    assert ACCESS_KEY not in caplog.text


def test_each_context_uses_its_own_options_on_the_driver(sc, s3_context):
    """The shared test context (no S3 settings) is the process's active one; the S3 context's
    planning on the driver still uses the S3 context's options."""
    from sparklite import SparkContext

    s3, fs = s3_context
    assert SparkContext._active_spark_context is not s3
    fs.pipe(f"{BUCKET}/scoped/x.txt", b"1\n2\n")
    assert sorted(s3.textFile(f"s3a://{BUCKET}/scoped").collect()) == ["1", "2"]


def _get_object(endpoint, credentials):
    def read(key):
        import botocore.config
        import botocore.session

        client = botocore.session.Session().create_client(
            "s3", region_name="us-east-1", endpoint_url=f"http://{endpoint}",
            config=botocore.config.Config(s3={"addressing_style": "path"}), **credentials)
        return client.get_object(Bucket=BUCKET, Key=key)["Body"].read()
    return read


def test_botocore_errors_in_tasks_reach_the_user_as_their_own_type(s3_context, s3_conf, monkeypatch):
    """Issue 11: a botocore error (several constructor arguments, or keyword-only ones) raised
    in a task used to leave the action waiting forever."""
    import botocore.exceptions

    from sparklite.errors import SparkliteJobError

    sc, fs = s3_context
    endpoint = s3_conf["spark.hadoop.fs.s3a.endpoint"]
    fs.pipe(f"{BUCKET}/there.txt", b"here")
    keys = {"aws_access_key_id": ACCESS_KEY, "aws_secret_access_key": SECRET_KEY}
    assert sc.parallelize(["there.txt"], 1).map(_get_object(endpoint, keys)).collect() == [b"here"]
    with pytest.raises(botocore.exceptions.ClientError) as missing:  # ClientError(response, operation)
        sc.parallelize(["missing.txt"], 1).map(_get_object(endpoint, keys)).collect()
    assert isinstance(missing.value, SparkliteJobError)
    assert missing.value.response["Error"]["Code"] == "NoSuchKey"
    assert missing.value.operation_name == "GetObject"

    def no_credentials(key):  # the executors have no credentials either (s3_conf emptied the env)
        import botocore.config
        import botocore.session

        client = botocore.session.Session().create_client(
            "s3", region_name="us-east-1", endpoint_url=f"http://{endpoint}",
            config=botocore.config.Config(s3={"addressing_style": "path"}))
        return client.get_object(Bucket=BUCKET, Key=key)

    with pytest.raises(botocore.exceptions.NoCredentialsError) as unsigned:
        sc.parallelize(["there.txt"], 1).map(no_credentials).collect()
    assert isinstance(unsigned.value, SparkliteJobError)
    assert "Unable to locate credentials" in str(unsigned.value)


def test_event_log_dir_on_s3(context_factory, s3_conf, s3_context):
    """spark.eventLog.dir on S3 with only spark.hadoop.fs.s3a.* keys: the log lands in the bucket
    (an empty prefix is a log dir: object stores have no directories) and reads back."""
    import json

    _, fs = s3_context
    conf = dict(s3_conf, **{"spark.eventLog.enabled": "true", "spark.eventLog.dir": f"s3a://{BUCKET}/events"})
    sc = context_factory("local[2]", conf)
    pairs = sc.parallelize(range(100), 4).map(lambda x: (x % 7, x)).reduceByKey(lambda a, b: a + b).collect()
    expected: dict[int, int] = {}
    for x in range(100):
        expected[x % 7] = expected.get(x % 7, 0) + x
    assert dict(pairs) == expected
    app_id = sc.applicationId
    sc.stop()
    fs.invalidate_cache()
    [log] = fs.ls(f"{BUCKET}/events")
    assert log.endswith(app_id)  # renamed from .inprogress when the application ended
    events = [json.loads(line)["Event"] for line in fs.cat(log).decode().splitlines()]
    assert events[0] == "SparkListenerLogStart" and events[-1] == "SparkListenerApplicationEnd"
    assert events.count("SparkListenerJobEnd") == 1
