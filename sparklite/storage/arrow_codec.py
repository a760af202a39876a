"""Arrow encoding of cached partitions: typed columns when records are uniform, pickles otherwise.

A partition's records are encoded in chunks, each one Arrow RecordBatch, so
a block can be built (and written to disk) while the partition streams by.

The *shape* of a chunk says how records map to columns:

* a leaf tag — ``"int"``, ``"float"``, ``"bool"``, ``"str"``, ``"bytes"``,
  ``"null"`` — for records that are all of that exact Python type (``None``
  may be mixed into any leaf: it becomes an Arrow null);
* ``Seq("list", leaf)`` / ``Seq("iterable", leaf)`` for lists (or
  groupByKey's ResultIterables) whose items all fit one leaf: an Arrow list
  column (``links.groupByKey().cache()`` in PageRank);
* a tuple of shapes for records that are all tuples of the same length, each
  position being a shape itself (a pair RDD is a key column and a value
  column; ``(k, (a, b))`` nests);
* ``"pickle"`` otherwise: a single ``large_binary`` column whose one value is
  the pickled list of the chunk's records.

Decoding gives back exactly the same values and types: types are checked
with ``type(x) is T`` (so ``bool`` never passes for ``int``, and subclasses
such as namedtuples or str enums are pickled), ints that do not fit int64 and
strings that are not valid UTF-8 make the chunk fall back to pickle. The shape
travels in the schema metadata, so an Arrow IPC file of a block decodes alone.

Sizes are exact: a block's size is the sum of its Arrow buffer sizes.
"""
from __future__ import annotations

import array
import json
import pickle
from dataclasses import dataclass
from operator import itemgetter
from typing import Any, Iterable, Iterator, Sequence, Union

import pyarrow as pa

from sparklite import serializers
from sparklite.resultiterable import ResultIterable


@dataclass(frozen=True)
class Seq:
    """A column of lists (``kind="list"``) or ResultIterables (``"iterable"``) of one leaf type."""

    kind: str
    item: str


Shape = Union[str, Seq, tuple]  # a leaf tag, "pickle", a Seq, or a tuple of shapes

PICKLE = "pickle"
NULL = "null"
SHAPE_KEY = b"sparklite.shape"

_LEAF_OF_TYPE: dict[type, str] = {int: "int", float: "float", bool: "bool", str: "str", bytes: "bytes"}
_SEQ_OF_TYPE: dict[type, str] = {list: "list", ResultIterable: "iterable"}
_ARROW_TYPE = {"int": pa.int64(), "float": pa.float64(), "bool": pa.bool_(), "str": pa.string(),
               "bytes": pa.binary(), NULL: pa.null()}
_NONE_TYPE = type(None)
_PICKLE_SCHEMA_FIELD = pa.field("pickled", pa.large_binary())


class ShapeMismatch(Exception):
    """Records do not fit the requested shape."""


# ------------------------------------------------------------------ shapes


def infer_shape(records: Sequence[Any]) -> Shape:
    """The most specific shape all ``records`` fit (``"pickle"`` if none)."""
    if not records:
        return NULL
    return _infer(records, depth=0)


def _infer(values: Sequence[Any], depth: int) -> Shape:
    types = set(map(type, values))
    if len(types) == 1 or (len(types) == 2 and _NONE_TYPE in types):
        has_none = _NONE_TYPE in types
        types.discard(_NONE_TYPE)
        if not types:
            return NULL
        t = types.pop()
        leaf = _LEAF_OF_TYPE.get(t)
        if leaf is not None:
            return leaf
        seq = _SEQ_OF_TYPE.get(t)
        if seq is not None:
            items = [x for v in values if v is not None for x in (v.data if seq == "iterable" else v)]
            item = _infer(items, depth + 1) if items else NULL
            return Seq(seq, item) if _is_leaf(item) else PICKLE
        # a tuple column (no None mixed in: a null tuple has no Arrow spelling here)
        if t is tuple and not has_none and depth < 4:
            lengths = set(map(len, values))
            if len(lengths) == 1:
                n = lengths.pop()
                if n == 0:
                    return PICKLE
                children = tuple(_infer([v[i] for v in values], depth + 1) for i in range(n))
                return PICKLE if PICKLE in children else children
    return PICKLE


def _is_leaf(shape: Shape) -> bool:
    return isinstance(shape, str) and shape != PICKLE


def unify(a: Shape, b: Shape) -> Shape:
    """The shape both ``a``'s and ``b``'s chunks can be encoded in."""
    if a == b:
        return a
    if a == NULL and (_is_leaf(b) or isinstance(b, Seq)):
        return b
    if b == NULL and (_is_leaf(a) or isinstance(a, Seq)):
        return a
    if isinstance(a, Seq) and isinstance(b, Seq) and a.kind == b.kind:
        item = unify(a.item, b.item)
        return Seq(a.kind, item) if _is_leaf(item) else PICKLE
    if isinstance(a, tuple) and isinstance(b, tuple) and len(a) == len(b):
        merged = tuple(unify(x, y) for x, y in zip(a, b))
        return PICKLE if PICKLE in merged else merged
    return PICKLE


def _fits(actual: Shape, target: Shape) -> bool:
    if actual == target:
        return True
    if actual == NULL:
        return _is_leaf(target) or isinstance(target, Seq)
    if isinstance(actual, Seq) and isinstance(target, Seq):
        return actual.kind == target.kind and _fits(actual.item, target.item)
    if isinstance(actual, tuple) and isinstance(target, tuple) and len(actual) == len(target):
        return all(_fits(x, y) for x, y in zip(actual, target))
    return False


def _leaves(shape: Shape, prefix: str = "") -> list[tuple[str, str | Seq]]:
    """(column name, column shape: a leaf or a Seq) in column order."""
    if isinstance(shape, tuple):
        out: list[tuple[str, str | Seq]] = []
        for i, s in enumerate(shape):
            out.extend(_leaves(s, f"{prefix}{i}."))
        return out
    return [(prefix.rstrip(".") or "value", shape)]


def _arrow_type(column: str | Seq) -> pa.DataType:
    if isinstance(column, Seq):
        return pa.list_(_ARROW_TYPE[column.item])
    return _ARROW_TYPE[column]


def schema_for(shape: Shape) -> pa.Schema:
    meta = {SHAPE_KEY: json.dumps(_to_json(shape)).encode()}
    if shape == PICKLE:
        return pa.schema([_PICKLE_SCHEMA_FIELD], metadata=meta)
    return pa.schema([pa.field(name, _arrow_type(col)) for name, col in _leaves(shape)], metadata=meta)


def shape_of(schema: pa.Schema) -> Shape:
    raw = (schema.metadata or {}).get(SHAPE_KEY)
    if raw is None:
        raise ValueError("not a sparklite block: the schema has no shape metadata")
    return _from_json(json.loads(raw))


def _to_json(shape: Shape) -> Any:
    if isinstance(shape, tuple):
        return [_to_json(s) for s in shape]
    if isinstance(shape, Seq):
        return {"seq": shape.kind, "item": shape.item}
    return shape


def _from_json(value: Any) -> Shape:
    if isinstance(value, list):
        return tuple(_from_json(v) for v in value)
    if isinstance(value, dict):
        return Seq(value["seq"], value["item"])
    return value


# ------------------------------------------------------------------ encode


def encode_chunk(records: Sequence[Any], shape: Shape | None = None) -> pa.RecordBatch:
    """One RecordBatch for ``records``, in ``shape`` if given (else the inferred one).

    Raises ShapeMismatch when a given shape does not fit. Without a shape,
    never fails on data: what cannot be typed is pickled.
    """
    actual = infer_shape(records)
    target = actual if shape is None else shape
    if target != PICKLE:
        if not _fits(actual, target):
            raise ShapeMismatch(f"records of shape {actual!r} do not fit {target!r}")
        try:
            return _typed_batch(records, target)
        except (OverflowError, UnicodeError, pa.ArrowException):
            if shape is not None:  # e.g. an int beyond int64 in an int column
                raise ShapeMismatch(f"records do not fit {target!r}") from None
    return pickle_chunk(records)


def pickle_chunk(records: Sequence[Any]) -> pa.RecordBatch:
    payload = serializers.dumps(records if isinstance(records, list) else list(records))
    return pa.RecordBatch.from_arrays([pa.array([payload], type=pa.large_binary())],
                                      schema=schema_for(PICKLE))


def _typed_batch(records: Sequence[Any], shape: Shape) -> pa.RecordBatch:
    arrays: list[pa.Array] = []
    _columns(records, shape, arrays)
    return pa.RecordBatch.from_arrays(arrays, schema=schema_for(shape))


def _columns(values: Sequence[Any], shape: Shape, out: list[pa.Array]) -> None:
    if isinstance(shape, tuple):
        for i, s in enumerate(shape):
            _columns(list(map(itemgetter(i), values)), s, out)
    elif shape == NULL:
        out.append(pa.nulls(len(values)))
    elif isinstance(shape, Seq):
        lists = [None if v is None else _as_list(v.data) for v in values] if shape.kind == "iterable" else values
        out.append(pa.array(lists, type=_arrow_type(shape)))
    elif shape in _FIXED_WIDTH:
        out.append(_fixed_width(values, shape))
    else:
        out.append(pa.array(values, type=_ARROW_TYPE[shape]))


#: leaf -> array.array typecode of the same 8-byte layout as the Arrow type
_FIXED_WIDTH = {"int": "q", "float": "d"}


def _fixed_width(values: Sequence[Any], shape: str) -> pa.Array:
    """An int64/float64 column over an exactly sized buffer.

    ``array.array`` converts in C into a buffer of exactly ``8 * n`` bytes that
    the Arrow array then wraps; Arrow's builder would grow its buffer by
    doubling, and the allocator keeps the abandoned buffers' pages, so a cached
    int would cost the executor ~11.5 bytes of memory instead of 8 (issue 15).
    A None in the column (an Arrow null) takes Arrow's own conversion. An int
    beyond int64 raises OverflowError, as Arrow's conversion does.
    """
    try:
        buffer = array.array(_FIXED_WIDTH[shape], values)
    except TypeError:  # None among the values
        return pa.array(values, type=_ARROW_TYPE[shape])
    return pa.Array.from_buffers(_ARROW_TYPE[shape], len(buffer), [None, pa.py_buffer(buffer)])


def _as_list(data: Any) -> list[Any]:
    return data if type(data) is list else list(data)


def encode_partition(records: Iterable[Any], chunk_records: int = 65_536) -> pa.Table:
    """A whole partition as one Table (chunks re-encoded in a common shape when they differ)."""
    encoder = ChunkEncoder()
    batches: list[pa.RecordBatch] = []
    data = records if isinstance(records, list) else list(records)
    for start in range(0, len(data), chunk_records):
        batch, changed = encoder.encode(data[start:start + chunk_records])
        if changed:
            batches = [encoder.reencode(b) for b in batches]
        batches.append(batch)
    return pa.Table.from_batches(batches, schema=encoder.schema)


class ChunkEncoder:
    """Encodes the chunks of one block so that they all share one shape (one Arrow schema).

    The first chunk sets the shape. A later chunk that does not fit it (a
    column that was all None so far, a type that changes midway) widens the
    shape; ``encode`` then says so, and the caller re-encodes the chunks it
    already holds with ``reencode``. Not thread-safe: one per block being built.
    """

    def __init__(self) -> None:
        self.shape: Shape | None = None

    def encode(self, records: Sequence[Any]) -> tuple[pa.RecordBatch, bool]:
        """(batch, shape changed) for a non-empty chunk."""
        if self.shape is None:
            batch = encode_chunk(records)
            self.shape = shape_of(batch.schema)
            return batch, False
        try:
            return encode_chunk(records, self.shape), False
        except ShapeMismatch:
            pass
        own = shape_of(encode_chunk(records).schema)
        self.shape = unify(self.shape, own)
        return encode_chunk(records, self.shape), True

    def reencode(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        """``batch`` (encoded earlier) in the current shape."""
        if shape_of(batch.schema) == self.shape:
            return batch
        return encode_chunk(list(iter_batch(batch)), self.shape)

    @property
    def schema(self) -> pa.Schema:
        return schema_for(self.shape if self.shape is not None else NULL)


# ------------------------------------------------------------------ decode


def iter_batch(batch: pa.RecordBatch | pa.Table) -> Iterator[Any]:
    """The records of one batch (or of a whole table), in order."""
    shape = shape_of(batch.schema)
    if shape == PICKLE:
        for payload in batch.column(0).to_pylist():
            yield from pickle.loads(payload)
        return
    columns = [_decode_column(batch.column(i), col) for i, (_, col) in enumerate(_leaves(shape))]
    if not isinstance(shape, tuple):
        yield from columns[0]
        return
    yield from _assemble(shape, iter(columns))


def _decode_column(array: pa.Array, column: str | Seq) -> list[Any]:
    values = array.to_pylist()
    if isinstance(column, Seq) and column.kind == "iterable":
        if not array.null_count:
            return list(map(ResultIterable, values))
        wrap = ResultIterable
        return [None if v is None else wrap(v) for v in values]
    return values


def _assemble(shape: Shape, columns: Iterator[list[Any]]) -> Iterable[Any]:
    if isinstance(shape, tuple):
        return zip(*[_assemble(s, columns) for s in shape])
    return next(columns)


def iter_records(batches: Iterable[pa.RecordBatch]) -> Iterator[Any]:
    for batch in batches:
        yield from iter_batch(batch)


def decode_partition(table: pa.Table | pa.RecordBatch) -> list[Any]:
    """Every record of an encoded partition, as the same Python values and types."""
    if isinstance(table, pa.Table):
        return list(iter_records(table.to_batches()))
    return list(iter_batch(table))
