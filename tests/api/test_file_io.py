"""saveAsPickleFile/pickleFile, wholeTextFiles, binaryFiles, binaryRecords vs plain Python file reads."""
from __future__ import annotations

import os

import fsspec
import pytest

from tests.helpers import reference as ref


@pytest.mark.parametrize("data,slices,batch", [([], 3, 10), ([1], 1, 1), (list(range(100)), 4, 7),
                                               ([("k", [1, 2]), None, b"x", 2.5, {"d": 1}], 2, 0)])
def test_pickle_file_round_trip(any_sc, tmp_path, data, slices, batch):
    path = str(tmp_path / "pickled")
    any_sc.parallelize(data, slices).saveAsPickleFile(path, batch)
    parts = sorted(n for n in os.listdir(path) if n.startswith("part-"))
    assert parts == [f"part-{i:05d}" for i in range(slices)]
    assert os.path.exists(os.path.join(path, "_SUCCESS"))
    back = any_sc.pickleFile(path)
    assert back.getNumPartitions() == slices
    assert back.collect() == data  # part order is partition order
    with pytest.raises(FileExistsError, match="already exists"):
        any_sc.parallelize([1]).saveAsPickleFile(path)


def test_pickle_file_of_shuffled_data_and_memory_fs(any_sc):
    pairs = [(i % 4, i) for i in range(40)]
    fs = fsspec.filesystem("memory")
    try:
        any_sc.parallelize(pairs, 3).reduceByKey(lambda a, b: a + b).saveAsPickleFile("memory://sl-pickle/out")
        assert dict(any_sc.pickleFile("memory://sl-pickle/out").collect()) == \
            ref.reduce_by_key(pairs, lambda a, b: a + b)
    finally:
        fs.rm("/sl-pickle", recursive=True)


def test_whole_text_files(any_sc, tmp_path):
    files = {"a.txt": "first\nfile", "b.txt": "", "c.txt": "ünïcode ✓\n", "_hidden": "no", ".dot": "no"}
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    visible = {k: v for k, v in files.items() if not k.startswith(("_", "."))}
    got = any_sc.wholeTextFiles(str(tmp_path)).collect()
    assert dict(got) == {f"file:{tmp_path / k}": v for k, v in visible.items()}
    assert [k for k, _ in got] == sorted(k for k, _ in got)
    as_bytes = dict(any_sc.wholeTextFiles(str(tmp_path), use_unicode=False).collect())
    assert as_bytes[f"file:{tmp_path / 'c.txt'}"] == files["c.txt"].encode("utf-8")
    assert any_sc.wholeTextFiles(str(tmp_path), minPartitions=10).getNumPartitions() <= len(visible)
    one = any_sc.wholeTextFiles(str(tmp_path / "a.txt"))
    assert one.collect() == [(f"file:{tmp_path / 'a.txt'}", "first\nfile")]
    with pytest.raises(FileNotFoundError):
        any_sc.wholeTextFiles(str(tmp_path / "missing")).collect()


def test_whole_text_files_min_partitions_packs_files(sc, tmp_path):
    for i in range(8):
        (tmp_path / f"f{i}.txt").write_text("x" * 100)
    rdd = sc.wholeTextFiles(str(tmp_path), 4)
    assert rdd.getNumPartitions() == 4
    assert rdd.glom().map(len).collect() == [2, 2, 2, 2]


def test_binary_files_and_memory_fs(any_sc, tmp_path):
    blobs = {"x.bin": bytes(range(256)) * 3, "y.bin": b"", "z.bin": b"\x00\xff"}
    for name, data in blobs.items():
        (tmp_path / name).write_bytes(data)
    got = dict(any_sc.binaryFiles(str(tmp_path)).collect())
    assert got == {f"file:{tmp_path / k}": v for k, v in blobs.items()}
    fs = fsspec.filesystem("memory")
    fs.pipe("/sl-bin/m.bin", b"memory bytes")
    try:
        assert any_sc.binaryFiles("memory://sl-bin").collect() == [(fs.unstrip_protocol("/sl-bin/m.bin"), b"memory bytes")]
    finally:
        fs.rm("/sl-bin", recursive=True)


@pytest.mark.parametrize("record_length", [1, 4, 7])
def test_binary_records(any_sc, tmp_path, record_length, monkeypatch):
    from sparklite.rdd import file_sources

    monkeypatch.setattr(file_sources, "RECORD_SPLIT_BYTES", 50)  # several splits per file
    data_a = bytes(i % 251 for i in range(record_length * 30))
    data_b = bytes(reversed(data_a[:record_length * 3]))
    (tmp_path / "a.bin").write_bytes(data_a)
    (tmp_path / "b.bin").write_bytes(data_b)
    expected = [d[i:i + record_length] for d in (data_a, data_b) for i in range(0, len(d), record_length)]
    rdd = any_sc.binaryRecords(str(tmp_path), record_length)
    assert rdd.collect() == expected
    assert rdd.getNumPartitions() >= 2


def test_binary_records_errors(sc, tmp_path):
    (tmp_path / "odd.bin").write_bytes(b"12345")
    with pytest.raises(ValueError, match="not a multiple of recordLength"):
        sc.binaryRecords(str(tmp_path), 2).collect()
    with pytest.raises(ValueError, match="positive"):
        sc.binaryRecords(str(tmp_path), 0)
