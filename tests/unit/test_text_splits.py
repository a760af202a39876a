"""Text splits: every line read exactly once whatever the split size (Hadoop's rule)."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sparklite.rdd import files


def read(path, min_partitions):
    splits = files.plan_splits(str(path), min_partitions, lambda data: None)
    return splits, [line for s in splits for line in files.read_split(s, True, None)]


@settings(max_examples=60, deadline=None)
@given(lines=st.lists(st.text(alphabet="ab \té€", max_size=12), max_size=40),
       ending=st.sampled_from(["\n", "\r\n"]), trailing=st.booleans(), block=st.integers(1, 40))
def test_lines_exactly_once(tmp_path_factory, lines, ending, trailing, block):
    path = tmp_path_factory.mktemp("t") / "f.txt"
    text = ending.join(lines) + (ending if trailing and lines else "")
    path.write_bytes(text.encode())
    old = files.BLOCK_SIZE
    files.BLOCK_SIZE = block
    try:
        _, got = read(path, 1000)
    finally:
        files.BLOCK_SIZE = old
    expected = text.split(ending) if text else []
    if text.endswith(ending):
        expected = expected[:-1]
    assert got == expected


def test_split_sizes_follow_hadoop(tmp_path):
    path = tmp_path / "f.txt"
    path.write_bytes(b"x" * 1000)
    old = files.BLOCK_SIZE
    files.BLOCK_SIZE = 300
    try:
        splits = files.plan_splits(str(path), 1, lambda d: None)
    finally:
        files.BLOCK_SIZE = old
    assert [(s.start, s.end) for s in splits] == [(0, 300), (300, 600), (600, 900), (900, 1000)]
    splits = files.plan_splits(str(path), 4, lambda d: None)
    assert [(s.start, s.end) for s in splits] == [(0, 250), (250, 500), (500, 750), (750, 1000)]


def test_missing_path_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="Input path does not exist: .*nope"):
        files.plan_splits(str(tmp_path / "nope"), 2, lambda d: None)
