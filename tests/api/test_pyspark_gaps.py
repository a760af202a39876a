"""The last places where PySpark's RDD/SparkContext behaviour differed (issue 16, list 1-8):
checkpoint URIs, job tags, RDD ids of pipelined chains, prefetching toLocalIterator,
StatCounter's asDict and NumPy arrays, TaskContext(), archives, profiles, system properties,
local-cluster / local[N, F] masters, compressed wholeTextFiles."""
from __future__ import annotations

import bz2
import gzip
import io
import os
import pstats
import tarfile
import threading
import time
import zipfile

import pytest

from sparklite import InheritableThread, SparkConf, SparkContext, SparkFiles, StatCounter, TaskContext
from sparklite.errors import JobCancelledError, SparkliteJobError
from tests.helpers.waiting import wait_until


# ---------------------------------------------------------------- 1. checkpoint URIs

def test_checkpoint_dir_and_file_are_uris_with_a_scheme(sc, tmp_path):
    sc.setCheckpointDir(str(tmp_path))
    try:
        directory = sc.getCheckpointDir()
        assert directory.startswith(f"file:{tmp_path}/")
        rdd = sc.parallelize(range(4), 2)
        rdd.checkpoint()
        assert rdd.sum() == 6
        assert rdd.getCheckpointFile() == f"{directory}/rdd-{rdd.id()}"
        assert sorted(os.listdir(rdd.getCheckpointFile()[len("file:"):])) == ["part-00000", "part-00001"]
        assert sc.parallelize([1]).map(lambda x: x).union(rdd).sum() == 7  # read back through the URI
    finally:
        sc._checkpoint_dir = None


# ---------------------------------------------------------------- 2. job tags

@pytest.fixture
def clean_tags(sc):
    sc.clearJobTags()
    yield sc
    sc.clearJobTags()


def _sleepy(x):
    for _ in range(1200):  # killable: short sleeps
        time.sleep(0.05)
    return x


def test_job_tags_are_per_thread_and_validated(clean_tags):
    sc = clean_tags
    sc.addJobTag("a")
    sc.addJobTag("b")
    sc.addJobTag("a")
    assert sc.getJobTags() == {"a", "b"}
    assert sc.getLocalProperty("spark.job.tags") == "a,b"  # Spark's property, comma-separated
    sc.removeJobTag("a")
    sc.removeJobTag("never-added")
    assert sc.getJobTags() == {"b"}
    seen = []
    plain = threading.Thread(target=lambda: seen.append(sc.getJobTags()))
    plain.start()
    plain.join()
    assert seen == [set()]
    sc.clearJobTags()
    assert sc.getJobTags() == set() and sc.getLocalProperty("spark.job.tags") is None
    with pytest.raises(ValueError, match="cannot contain ','"):
        sc.addJobTag("x,y")
    with pytest.raises(ValueError, match="cannot be an empty string"):
        sc.addJobTag("")
    sc.addJobTag("reaches-tasks")
    assert sc.parallelize([0], 1).map(
        lambda _: TaskContext.get().getLocalProperty("spark.job.tags")).collect() == ["reaches-tasks"]


def test_inheritable_thread_takes_tags_at_start_and_cancel_with_tag_stops_its_job(clean_tags):
    sc = clean_tags
    sc.addJobTag("doomed")
    outcomes: list = []

    def run_tagged():
        outcomes.append(sorted(sc.getJobTags()))
        try:
            sc.parallelize(range(2), 2).map(_sleepy).collect()
        except BaseException as exc:  # the job's error is what the test checks
            outcomes.append(exc)

    child = InheritableThread(target=run_tagged)
    sc.addJobTag("added-before-start")   # copied at start(), as PySpark (and the JVM) do
    child.start()
    sc.clearJobTags()                    # the child keeps its copy
    untagged = sc.parallelize([1, 2], 2).map(lambda x: x * 10)
    wait_until(lambda: sc.statusTracker().getActiveJobsIds(), 30, message="the tagged job to start")
    sc.cancelJobsWithTag("some-other-tag")
    sc.cancelJobsWithTag("doomed")
    child.join(60)
    assert not child.is_alive()
    assert outcomes[0] == ["added-before-start", "doomed"]
    assert isinstance(outcomes[1], JobCancelledError)
    assert "part of cancelled job tags doomed" in str(outcomes[1])
    assert untagged.collect() == [10, 20]  # executors are still there for the next job


def test_set_interrupt_on_cancel_is_a_local_property(clean_tags):
    sc = clean_tags
    sc.setInterruptOnCancel(True)
    try:
        assert sc.getLocalProperty("spark.job.interruptOnCancel") == "true"
    finally:
        sc.setLocalProperty("spark.job.interruptOnCancel", None)


# ---------------------------------------------------------------- 3. RDD ids

def test_a_chain_of_narrow_functions_takes_one_rdd_id(sc):
    base = sc.parallelize(range(10), 2)
    chain = base.map(lambda x: x + 1).filter(lambda x: x % 2).flatMap(lambda x: [x, x])
    assert chain.id() == base.id() + 1  # PySpark: one PipelinedRDD, one new id
    assert chain.collect() == [y for x in range(10) for y in [x + 1] * 2 if (x + 1) % 2]
    middle = base.map(lambda x: x * 2)
    end = middle.filter(lambda x: x > 4)
    assert end.id() == chain.id() + 1
    assert middle.id() == end.id() + 1  # an id is taken when first asked for
    assert end.sum() == sum(x * 2 for x in range(10) if x * 2 > 4)


def test_an_unnamed_pipelined_rdd_gets_its_id_when_a_job_needs_it(sc):
    base = sc.parallelize(range(6), 3).map(lambda x: x * 3)
    cached = base.map(lambda x: x + 1).cache()  # persisting needs the id: taken now
    after = cached.map(lambda x: -x)  # not fused into a cached RDD
    assert after.id() == cached.id() + 1
    assert after.collect() == [-(x * 3 + 1) for x in range(6)]
    assert cached.unpersist(blocking=True) is cached


# ---------------------------------------------------------------- 4. prefetching toLocalIterator

def test_to_local_iterator_prefetch_computes_the_next_partition_while_one_is_read(sc, tmp_path):
    marks = str(tmp_path)

    def mark(index, iterator):
        open(os.path.join(marks, f"computed-{index}"), "w").close()
        return iterator

    rdd = sc.parallelize(range(9), 3).mapPartitionsWithIndex(mark)
    lazy = rdd.toLocalIterator()
    assert next(lazy) == 0
    assert sc.statusTracker().getActiveJobsIds() == []  # nothing runs ahead without prefetch
    assert sorted(os.listdir(marks)) == ["computed-0"]
    lazy.close()
    for name in os.listdir(marks):
        os.remove(os.path.join(marks, name))

    eager = rdd.toLocalIterator(prefetchPartitions=True)
    assert next(eager) == 0
    wait_until(lambda: "computed-1" in os.listdir(marks), 30, message="partition 1 prefetched")
    assert "computed-2" not in os.listdir(marks)  # one partition ahead, not more
    assert [0, *eager] == list(range(9))


def test_to_local_iterator_prefetch_raises_the_task_error(sc):
    def boom(x):
        if x == 5:
            raise ValueError("bad record 5")
        return x

    iterator = sc.parallelize(range(9), 3).map(boom).toLocalIterator(prefetchPartitions=True)
    assert [next(iterator) for _ in range(3)] == [0, 1, 2]
    with pytest.raises(ValueError, match="bad record 5"):
        list(iterator)


# ---------------------------------------------------------------- 5. StatCounter

def test_stat_counter_as_dict_is_pyspark_4s():
    s = StatCounter([1.0, 2.0, 3.0, 4.0])
    default = s.asDict()
    assert default["variance"] == pytest.approx(5 / 3)      # sample variance unless sample=True
    assert default["stdev"] == pytest.approx((5 / 3) ** 0.5)
    population = s.asDict(sample=True)
    assert population["variance"] == pytest.approx(1.25) and population["stdev"] == pytest.approx(1.25 ** 0.5)
    assert {k: default[k] for k in ("count", "mean", "sum", "min", "max")} == \
        {"count": 4, "mean": 2.5, "sum": 10.0, "min": 1.0, "max": 4.0}


def test_stat_counter_of_numpy_arrays_is_element_wise(sc):
    np = pytest.importorskip("numpy")
    arrays = [np.array([1.0, 5.0, -2.0]), np.array([3.0, 2.0, 0.0]), np.array([2.0, 8.0, 4.0])]
    stats = sc.parallelize(arrays, 2).stats()
    assert stats.count() == 3
    assert stats.max().tolist() == [3.0, 8.0, 4.0]
    assert stats.min().tolist() == [1.0, 2.0, -2.0]
    assert stats.mean().tolist() == pytest.approx([2.0, 5.0, 2 / 3])
    columns = list(zip(*[a.tolist() for a in arrays]))
    expected_var = [sum((v - sum(c) / 3) ** 2 for v in c) / 3 for c in columns]
    assert stats.variance().tolist() == pytest.approx(expected_var)
    assert stats.stdev().tolist() == pytest.approx([v ** 0.5 for v in expected_var])
    assert stats.asDict()["sum"].tolist() == pytest.approx([6.0, 15.0, 2.0])


# ---------------------------------------------------------------- 6. TaskContext()

def test_task_context_constructor_inside_a_task_is_the_running_context(sc):
    def probe(index, iterator):
        made = TaskContext()
        running = TaskContext.get()
        yield made is running, made.partitionId() == index, made.stageId() == running.stageId()

    shuffled = sc.parallelize([(i, i) for i in range(3)], 3).groupByKey(3)  # a later stage: id > 0
    assert shuffled.mapPartitionsWithIndex(probe).collect() == [(True, True, True)] * 3
    stage_ids = shuffled.mapPartitions(lambda _: [TaskContext().stageId()]).collect()
    assert min(stage_ids) > 0  # not a fresh context with stage id 0
    blank = TaskContext()
    assert TaskContext.get() is None and blank.stageId() == 0


# ---------------------------------------------------------------- 7. archives, profiles, system properties, masters

def _archive(path, kind, members):
    if kind == "zip":
        with zipfile.ZipFile(path, "w") as z:
            for name, text in members.items():
                z.writestr(name, text)
        return
    mode = {"tar": "w", "tar.gz": "w:gz", "tgz": "w:gz"}[kind]
    with tarfile.open(path, mode) as t:
        for name, text in members.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))


def test_add_archive_unpacks_every_format_on_the_executors(context_factory, tmp_path):
    sc = context_factory("local[2]")
    names = {}
    for i, kind in enumerate(["zip", "tar", "tar.gz", "tgz"]):
        path = tmp_path / f"bundle{i}.{kind}"
        _archive(path, kind, {"data/value.txt": str(i + 1), "top.txt": kind})
        sc.addArchive(str(path))
        names[path.name] = (i + 1, kind)
    venv = tmp_path / "venv.tar.gz"
    _archive(venv, "tar.gz", {"bin/python": "#!fake", "lib/site.txt": "42"})
    sc.addArchive(f"{venv}#environment")
    sc.addArchive(f"{venv}#environment")  # the same archive again: ignored
    assert sorted(sc.listArchives) == sorted(
        [f"file:{tmp_path}/{name}" for name in names] + [f"file:{venv}#environment"])

    def read(root_of):
        out = {}
        for name in names:
            root = root_of(name)
            with open(os.path.join(root, "data", "value.txt")) as f, open(os.path.join(root, "top.txt")) as g:
                out[name] = (int(f.read()), g.read())
        with open(os.path.join(root_of("environment"), "lib", "site.txt")) as f:
            out["environment"] = f.read()
        return [(os.getpid(), sorted(out.items()))]

    results = sc.parallelize(range(4), 4).mapPartitions(lambda _: read(SparkFiles.get)).collect()
    expected = sorted({**names, "environment": "42"}.items())
    assert {tuple(r[1]) == tuple(expected) for r in results} == {True}
    assert read(lambda name: os.path.join(sc._files.root, name))[0][1] == expected  # driver too
    with pytest.raises(ValueError, match="use path#alias"):
        sc.addArchive(str(tmp_path / "bundle0.zip").replace("bundle0", "other") + "#environment")
    with pytest.raises(ValueError, match="not an archive"):
        sc.addArchive(str(tmp_path / "notes.txt"))


def test_archive_members_cannot_escape_their_directory(context_factory, tmp_path):
    sc = context_factory("local[1]")
    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(evil, "w") as z:
        z.writestr("../../outside.txt", "x")
    with pytest.raises(ValueError, match="outside"):
        sc.addArchive(str(evil))


def test_profiles_are_merged_across_partitions_and_dumped(context_factory, tmp_path, capsys):
    sc = context_factory("local[2]", {"spark.python.profile": "true",
                                      "spark.python.profile.dump": str(tmp_path / "at-stop")})

    def work(x):
        return x * x

    rdd = sc.parallelize(range(40), 4).map(work)
    assert rdd.collect() == [x * x for x in range(40)]  # a job whose stage computes `rdd`
    sc.show_profiles()
    shown = capsys.readouterr().out
    assert shown.startswith("=" * 60 + f"\nProfile of RDD<id={rdd.id()}>\n" + "=" * 60 + "\n")
    sc.show_profiles()
    assert capsys.readouterr().out == ""  # each profile is shown once
    sc.dump_profiles(str(tmp_path / "dump"))
    stats = pstats.Stats(str(tmp_path / "dump" / f"rdd_{rdd.id()}.pstats"))
    [calls] = [v[1] for k, v in stats.stats.items() if k[2] == "work"]
    assert calls == 40  # every partition's calls, counted once
    sc.stop()
    assert os.listdir(tmp_path / "at-stop") == [f"rdd_{rdd.id()}.pstats"]


def test_profiles_need_the_setting(sc, tmp_path):
    with pytest.raises(RuntimeError, match="spark.python.profile"):
        sc.show_profiles()
    with pytest.raises(RuntimeError, match="spark.python.profile"):
        sc.dump_profiles(str(tmp_path))


def test_system_properties_become_conf_defaults():
    from sparklite import conf as conf_module

    try:
        SparkContext.setSystemProperty("spark.executor.memory", "3g")
        SparkContext.setSystemProperty("my.own", "x")
        assert SparkContext.getSystemProperty("my.own") == "x"
        assert SparkConf().get("spark.executor.memory") == "3g"
        assert SparkConf().set("spark.executor.memory", "1g").get("spark.executor.memory") == "1g"
        assert SparkConf(loadDefaults=False).get("spark.executor.memory") is None
        assert SparkConf().get("my.own") is None  # only spark.* ones, as Spark's SparkConf
        assert SparkContext.getSystemProperty("user.dir") == os.getcwd()
        assert SparkContext.getSystemProperty("java.version") is None
    finally:
        conf_module._system_properties.clear()


def test_local_cluster_master_starts_n_executor_processes_of_that_size(context_factory):
    sc = context_factory("local-cluster[2, 2, 512]")
    assert sc._runtime.wait_for_executors(2, 60)
    assert sc.defaultParallelism == 4
    settings = sc.parallelize([0], 1).map(lambda _: (
        TaskContext.get().env.settings.get("spark.executor.memory"),
        TaskContext.get().env.cores)).collect()
    assert settings == [(512 << 20, 2)]
    assert len(set(sc._runtime.backend.process_ids().values())) == 2
    assert sc.parallelize(range(100), 8).map(lambda x: x % 7).sum() == sum(x % 7 for x in range(100))


@pytest.mark.parametrize("failures_allowed,fails,ok", [(2, 1, True), (2, 2, False)])
def test_local_max_failures_master(context_factory, tmp_path, failures_allowed, fails, ok):
    sc = context_factory(f"local[1, {failures_allowed}]")
    marker = str(tmp_path / "attempts")

    def flaky(x):
        with open(marker, "a") as f:
            f.write("x")
        if os.path.getsize(marker) <= fails:
            raise RuntimeError("flaky task")
        return x

    job = sc.parallelize([1], 1).map(flaky)
    if ok:
        assert job.collect() == [1]
    else:
        with pytest.raises((RuntimeError, SparkliteJobError), match="flaky task"):
            job.collect()
    assert os.path.getsize(marker) == (fails + 1 if ok else failures_allowed)


# ---------------------------------------------------------------- 8. compressed wholeTextFiles

def test_whole_text_files_decompress_like_text_file(sc, tmp_path):
    texts = {"plain.txt": "one\ntwo", "packed.txt.gz": "gzip\ntext", "packed.txt.bz2": "bzip2 text"}
    (tmp_path / "plain.txt").write_text(texts["plain.txt"])
    (tmp_path / "packed.txt.gz").write_bytes(gzip.compress(texts["packed.txt.gz"].encode()))
    (tmp_path / "packed.txt.bz2").write_bytes(bz2.compress(texts["packed.txt.bz2"].encode()))
    got = dict(sc.wholeTextFiles(str(tmp_path)).collect())
    assert got == {f"file:{tmp_path}/{name}": text for name, text in texts.items()}
    raw = dict(sc.binaryFiles(str(tmp_path)).collect())
    assert raw[f"file:{tmp_path}/packed.txt.gz"] == (tmp_path / "packed.txt.gz").read_bytes()
    lines = sorted(sc.textFile(str(tmp_path)).collect())
    assert lines == sorted(line for text in texts.values() for line in text.split("\n"))
