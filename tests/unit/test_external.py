"""External sort, aggregation, grouping and joins on tmp_path, with budgets small enough to spill."""
from __future__ import annotations

import gc
import os
import pickle
import random
from operator import add

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sparklite.rdd import join as join_kernels
from sparklite.resultiterable import ResultIterable
from sparklite.shuffle import spill_files
from sparklite.shuffle.aggregator import Aggregator
from sparklite.shuffle.external import (ExternalAggregator, ExternalGrouper, ExternalList, ExternalSorter,
                                        SpillConfig)
from tests.helpers import reference as ref

SMALL = 20_000  # bytes: a few hundred records per run


def leftovers(path) -> list[str]:
    gc.collect()
    return os.listdir(path)


# ------------------------------------------------------------------ sort


@pytest.mark.parametrize("reverse", [False, True])
def test_external_sort_matches_sorted_and_is_stable(tmp_path, reverse):
    rng = random.Random(7)
    records = [(rng.randrange(100), i) for i in range(20_000)]
    sorter = ExternalSorter(SMALL, str(tmp_path), key=lambda kv: kv[0], reverse=reverse)
    out = list(sorter.sort(records))
    assert sorter.spills > 10
    assert out == sorted(records, key=lambda kv: kv[0], reverse=reverse)  # ties keep input order
    assert leftovers(tmp_path) == []


def test_external_sort_merges_in_several_passes_when_there_are_many_runs(tmp_path, monkeypatch):
    monkeypatch.setattr(spill_files, "MAX_MERGE_FAN_IN", 3)
    records = [random.Random(1).random() for _ in range(10_000)]
    sorter = ExternalSorter(4000, str(tmp_path))
    assert list(sorter.sort(records)) == sorted(records)
    assert sorter.spills > 9 and leftovers(tmp_path) == []


def test_external_sort_without_spilling_writes_nothing(tmp_path):
    sorter = ExternalSorter(1 << 30, str(tmp_path))
    assert list(sorter.sort([3, 1, 2])) == [1, 2, 3] and sorter.spills == 0
    assert os.listdir(tmp_path) == []


def test_abandoned_merge_deletes_its_runs(tmp_path):
    it = ExternalSorter(SMALL, str(tmp_path)).sort(list(range(20_000, 0, -1)))
    assert next(it) == 1
    assert os.listdir(tmp_path)
    it.close()
    assert leftovers(tmp_path) == []


# ------------------------------------------------------------------ aggregation


def test_external_reduce_by_key_with_colliding_hashes(tmp_path):
    assert hash(-1) == hash(-2)  # CPython: the two keys share a hash
    records = [(k, 1) for k in (-1, -2) * 5000] + [(i % 3000, i) for i in range(30_000)]
    agg = ExternalAggregator(Aggregator.for_reduce(add), SMALL, str(tmp_path))
    agg.insert(records)
    assert agg.spills > 3
    assert dict(agg.items()) == ref.reduce_by_key(records, add)
    assert leftovers(tmp_path) == []


def test_external_combine_by_key_merges_combiners(tmp_path):
    general = Aggregator(lambda v: {v}, lambda s, v: s | {v}, lambda a, b: a | b)
    records = [(i % 500, i % 7) for i in range(20_000)]
    agg = ExternalAggregator(general, SMALL, str(tmp_path))
    agg.insert([(k, {v}) for k, v in records], combiners=True)
    assert agg.spills > 0
    expected: dict = {}
    for k, v in records:
        expected.setdefault(k, set()).add(v)
    assert dict(agg.items()) == expected


def test_group_by_key_of_one_hot_key_larger_than_memory_is_disk_backed(tmp_path):
    n = 200_000
    records = [("hot", i) for i in range(n)] + [(f"k{i}", i) for i in range(1000)]
    agg = ExternalAggregator(Aggregator.for_list(), 100_000, str(tmp_path))
    agg.insert(records)
    groups = dict(agg.items())
    hot = groups.pop("hot")
    assert isinstance(hot, ExternalList) and hot.spilled
    assert len(hot) == n and list(hot) == list(range(n)) and list(hot) == list(range(n))
    assert groups == {f"k{i}": [i] for i in range(1000)}  # small groups stay plain lists
    assert all(type(v) is list for v in groups.values())
    wrapped = ResultIterable(hot)
    assert wrapped.data is hot and len(wrapped) == n  # not copied into memory
    assert pickle.loads(pickle.dumps(wrapped)).data == list(range(n))
    del hot, wrapped, groups
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("batched", [False, True])
def test_group_by_key_map_combiners_from_several_maps(tmp_path, batched):
    agg = ExternalAggregator(Aggregator.for_list(), SMALL, str(tmp_path))
    parts = [[(i % 50, [m * 1000 + i]) for i in range(1000)] for m in range(5)]
    # the aggregator extends the combiner lists it is given (as the reduce side may): reference first
    expected = ref.group_by_key((k, v) for part in parts for k, vs in part for v in vs)
    if batched:  # as shuffle frames arrive: lists of records
        agg.insert_batches([part[i:i + 100] for part in parts for i in range(0, 1000, 100)], combiners=True)
    for part in parts if not batched else []:
        agg.insert(part, combiners=True)
    assert agg.spills > 0
    assert {k: list(v) for k, v in agg.items()} == expected  # values keep their arrival order


@settings(max_examples=60, deadline=None, derandomize=True, database=None)
@given(st.lists(st.tuples(st.one_of(st.integers(-5, 50), st.text(max_size=3), st.none()),
                          st.integers()), max_size=400),
       st.integers(min_value=500, max_value=5000))
def test_external_aggregation_equals_in_memory_for_any_input(tmp_path_factory, records, limit):
    directory = str(tmp_path_factory.mktemp("spill"))
    agg = ExternalAggregator(Aggregator.for_reduce(add), limit, directory)
    agg.insert(records)
    assert dict(agg.items()) == ref.reduce_by_key(records, add)
    batched = ExternalAggregator(Aggregator.for_reduce(add), limit, directory)
    batched.insert_batches([records[i:i + 37] for i in range(0, len(records), 37)])
    assert dict(batched.items()) == ref.reduce_by_key(records, add)
    grouped = ExternalAggregator(Aggregator.for_list(), limit, directory)
    grouped.insert(records)
    assert {k: list(v) for k, v in grouped.items()} == ref.group_by_key(records)


# ------------------------------------------------------------------ grouping and joins


def test_external_grouper_groups_three_sources(tmp_path):
    sources = [[(i % 300, (s, i)) for i in range(5000)] for s in range(3)]
    grouper = ExternalGrouper(3, SMALL, str(tmp_path))
    for s, records in enumerate(sources):
        grouper.insert(s, records)
    assert grouper.spills > 0
    got = {k: tuple(list(vs) for vs in lists) for k, lists in grouper.groups()}
    expected = {k: tuple(ref.group_by_key(src).get(k, []) for src in sources) for k in range(300)}
    assert got == expected
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("how, kernel", [("inner", join_kernels.inner), ("left", join_kernels.left_outer),
                                         ("right", join_kernels.right_outer),
                                         ("full", join_kernels.full_outer)])
@pytest.mark.parametrize("limit", [1 << 30, SMALL])
def test_join_kernels_spill_and_agree_with_the_reference(tmp_path, how, kernel, limit):
    rng = random.Random(3)
    left = [(rng.randrange(400), i) for i in range(6000)] + [("hot", i) for i in range(300)]
    right = [(rng.randrange(300, 700), -i) for i in range(3000)] + [("hot", -i) for i in range(20)]
    out = list(kernel(iter(left), iter(right), SpillConfig(limit, str(tmp_path))))
    assert ref.multiset(out) == ref.multiset(ref.join(left, right, how))
    assert leftovers(tmp_path) == []


def test_cogroup_kernel_spills(tmp_path):
    a = [(i % 97, i) for i in range(5000)]
    b = [(i % 89, -i) for i in range(5000)]
    got = {k: tuple(sorted(vs) for vs in groups)
           for k, groups in join_kernels.cogroup([iter(a), iter(b)], SpillConfig(SMALL, str(tmp_path)))}
    ga, gb = ref.group_by_key(a), ref.group_by_key(b)
    assert got == {k: (sorted(ga.get(k, [])), sorted(gb.get(k, []))) for k in set(ga) | set(gb)}


# ------------------------------------------------------------------ ExternalList


def test_external_list_spills_keeps_order_and_pickles_as_a_list(tmp_path):
    values = ExternalList(10_000, str(tmp_path))
    for i in range(5000):
        values.append(f"v{i}")
    values.extend(f"w{i}" for i in range(5000))
    expected = [f"v{i}" for i in range(5000)] + [f"w{i}" for i in range(5000)]
    assert values.spilled and len(values) == 10_000 and bool(values)
    assert list(values) == expected
    assert pickle.loads(pickle.dumps(values)) == expected
    values.delete()
    assert os.listdir(tmp_path) == []
