"""Python records <-> Arrow record batches, and schema inference from Python values (PySpark's rules).

``createDataFrame`` takes Rows, dicts, tuples, namedtuples or plain objects;
:func:`infer_schema` derives a StructType from one record and
:func:`merge_types` widens it over many (``None`` fits anything; ``int`` and
``float`` do not merge, as in PySpark). :func:`records_to_batch` checks every
value against the schema (PySpark's ``verifySchema``: a ``str`` is not an
``IntegerType``, an ``int`` is not a ``DoubleType``, ranges are checked) and
builds an Arrow record batch; :func:`batch_to_rows` turns a batch back into
Rows, nested structs into Rows and maps into dicts, UTC timestamps into naive
local ``datetime`` objects as PySpark returns them.

Both directions run on executors (inside ``mapPartitions``) as well as on the driver.
"""
from __future__ import annotations

import array
import datetime
import decimal
from typing import Any, Callable, Iterable, Iterator

from sparklite.sql.row import Row, _create_row
from sparklite.sql.types import (ArrayType, BinaryType, BooleanType, ByteType, DataType, DateType,
                                 DecimalType, DoubleType, FloatType, IntegerType, LongType, MapType,
                                 NullType, ShortType, StringType, StructField, StructType,
                                 TimestampNTZType, TimestampType, arrow_schema)

#: records per Arrow record batch when a DataFrame is built from Python records
BATCH_ROWS = 10_000
_INT_RANGES = {ByteType: (-(1 << 7), (1 << 7) - 1), ShortType: (-(1 << 15), (1 << 15) - 1),
               IntegerType: (-(1 << 31), (1 << 31) - 1), LongType: (-(1 << 63), (1 << 63) - 1)}


# ------------------------------------------------------------------ inference


def _is_namedtuple(obj: Any) -> bool:
    return isinstance(obj, tuple) and hasattr(obj, "_fields") and not isinstance(obj, Row)


def infer_type(obj: Any) -> DataType:
    """The data type PySpark infers for one Python value."""
    if obj is None:
        return NullType()
    if isinstance(obj, bool):
        return BooleanType()
    if isinstance(obj, int):
        return LongType()
    if isinstance(obj, float):
        return DoubleType()
    if isinstance(obj, str):
        return StringType()
    if isinstance(obj, (bytes, bytearray)):
        return BinaryType()
    if isinstance(obj, decimal.Decimal):
        return DecimalType(38, 18)
    if isinstance(obj, datetime.datetime):
        return TimestampType()
    if isinstance(obj, datetime.date):
        return DateType()
    if isinstance(obj, dict):
        key: DataType = NullType()
        value: DataType = NullType()
        for k, v in obj.items():
            if k is not None:
                key = merge_types(key, infer_type(k))
            value = merge_types(value, infer_type(v))
        return MapType(key, value, True)
    if isinstance(obj, (list, array.array)):
        element: DataType = NullType()
        for item in obj:
            element = merge_types(element, infer_type(item))
        return ArrayType(element, True)
    if isinstance(obj, tuple) or hasattr(obj, "__dict__"):
        return infer_schema(obj)
    raise TypeError(f"[UNSUPPORTED_DATA_TYPE] not supported type: {type(obj)}")


def infer_schema(record: Any, names: list[str] | None = None) -> StructType:
    """The StructType of one record: a Row, dict, namedtuple, tuple/list or object."""
    if isinstance(record, dict):
        items = sorted(record.items())
    elif isinstance(record, Row) and hasattr(record, "__fields__"):
        items = list(zip(record.__fields__, tuple(record)))
    elif _is_namedtuple(record):
        items = list(zip(record._fields, tuple(record)))
    elif isinstance(record, (tuple, list)):
        given = list(names or [])
        given += [f"_{i}" for i in range(len(given) + 1, len(record) + 1)]
        items = list(zip(given, record))
    elif hasattr(record, "__dict__"):
        items = sorted(vars(record).items())
    else:
        raise TypeError(f"[CANNOT_INFER_SCHEMA_FOR_TYPE] Can not infer schema for type: "
                        f"`{type(record).__name__}`.")
    return StructType([StructField(str(k), infer_type(v), True) for k, v in items])


def merge_types(a: DataType, b: DataType) -> DataType:
    """The narrowest type holding both (PySpark's ``_merge_type``); TypeError if there is none."""
    if isinstance(a, NullType):
        return b
    if isinstance(b, NullType) or a == b:
        return a
    if type(a) is not type(b):
        raise TypeError(f"[CANNOT_MERGE_TYPE] Can not merge type `{type(a).__name__}` and "
                        f"`{type(b).__name__}`.")
    if isinstance(a, StructType):
        others = {f.name: f for f in b.fields}
        fields = [StructField(f.name, merge_types(f.dataType, others[f.name].dataType), True)
                  if f.name in others else f for f in a.fields]
        known = set(a.names)
        fields += [f for f in b.fields if f.name not in known]
        return StructType(fields)
    if isinstance(a, ArrayType):
        return ArrayType(merge_types(a.elementType, b.elementType), True)
    if isinstance(a, MapType):
        return MapType(merge_types(a.keyType, b.keyType), merge_types(a.valueType, b.valueType), True)
    return a  # e.g. decimals of different precision: the first, as PySpark


def has_null_type(dtype: DataType) -> bool:
    if isinstance(dtype, NullType):
        return True
    if isinstance(dtype, StructType):
        return any(has_null_type(f.dataType) for f in dtype.fields)
    if isinstance(dtype, ArrayType):
        return has_null_type(dtype.elementType)
    if isinstance(dtype, MapType):
        return has_null_type(dtype.keyType) or has_null_type(dtype.valueType)
    return False


def infer_schema_of(records: Iterable[Any], names: list[str] | None = None) -> StructType:
    """One schema for many records (merged); ValueError if a type stays undetermined."""
    schema: DataType = NullType()
    for record in records:
        schema = merge_types(schema, infer_schema(record, names))
    if not isinstance(schema, StructType):
        raise ValueError("[CANNOT_INFER_EMPTY_SCHEMA] Can not infer schema from an empty dataset.")
    if has_null_type(schema):
        raise ValueError("[CANNOT_DETERMINE_TYPE] Some of types cannot be determined after inferring.")
    return schema


# ------------------------------------------------------------------ records -> Arrow


def _reject(path: str, dtype: DataType, value: Any) -> TypeError:
    return TypeError(f"field {path}: {dtype!r} can not accept object {value!r} in type {type(value)}")


def make_converter(dtype: DataType, path: str, nullable: bool = True) -> Callable[[Any], Any]:
    """A function checking one value against ``dtype`` and returning what pyarrow takes."""
    inner = _converter(dtype, path)

    def convert(value: Any) -> Any:
        if value is None:
            if not nullable:
                raise ValueError(f"field {path}: This field is not nullable, but got None")
            return None
        return inner(value)

    return convert


def _converter(dtype: DataType, path: str) -> Callable[[Any], Any]:
    def accept(*types: type, exclude: tuple[type, ...] = ()) -> Callable[[Any], Any]:
        def check(value: Any) -> Any:
            if not isinstance(value, types) or isinstance(value, exclude):
                raise _reject(path, dtype, value)
            return value
        return check

    if type(dtype) in _INT_RANGES:
        low, high = _INT_RANGES[type(dtype)]

        def integer(value: Any) -> Any:
            if not isinstance(value, int) or isinstance(value, bool):
                raise _reject(path, dtype, value)
            if not low <= value <= high:
                raise ValueError(f"field {path}: object of {dtype!r} out of range, got: {value}")
            return value
        return integer
    if isinstance(dtype, (DoubleType, FloatType)):
        return accept(float)
    if isinstance(dtype, StringType):
        return accept(str)
    if isinstance(dtype, BooleanType):
        return accept(bool)
    if isinstance(dtype, BinaryType):
        return lambda v: bytes(accept(bytes, bytearray, memoryview)(v))
    if isinstance(dtype, DecimalType):
        return accept(decimal.Decimal)
    if isinstance(dtype, DateType):
        def date(value: Any) -> Any:
            if not isinstance(value, datetime.date):
                raise _reject(path, dtype, value)
            return value.date() if isinstance(value, datetime.datetime) else value
        return date
    if isinstance(dtype, TimestampType):
        def timestamp(value: Any) -> Any:
            if not isinstance(value, datetime.datetime):
                raise _reject(path, dtype, value)
            return value.astimezone(datetime.timezone.utc)  # naive values are local time
        return timestamp
    if isinstance(dtype, TimestampNTZType):
        return accept(datetime.datetime)
    if isinstance(dtype, NullType):
        def null(value: Any) -> Any:
            raise _reject(path, dtype, value)
        return null
    if isinstance(dtype, ArrayType):
        element = make_converter(dtype.elementType, f"{path}.element", dtype.containsNull)

        def array_value(value: Any) -> Any:
            if not isinstance(value, (list, tuple, array.array)):
                raise _reject(path, dtype, value)
            return [element(v) for v in value]
        return array_value
    if isinstance(dtype, MapType):
        key = make_converter(dtype.keyType, f"{path}.key", False)
        item = make_converter(dtype.valueType, f"{path}.value", dtype.valueContainsNull)

        def map_value(value: Any) -> Any:
            if not isinstance(value, dict):
                raise _reject(path, dtype, value)
            return [(key(k), item(v)) for k, v in value.items()]
        return map_value
    if isinstance(dtype, StructType):
        values_of = record_values(dtype, path)
        converters = [make_converter(f.dataType, f"{path}.{f.name}", f.nullable) for f in dtype.fields]
        names = dtype.names

        def struct_value(value: Any) -> Any:
            return {n: c(v) for n, c, v in zip(names, converters, values_of(value))}
        return struct_value
    raise TypeError(f"field {path}: unsupported data type {dtype!r}")


def record_values(schema: StructType, path: str | None = None) -> Callable[[Any], list[Any]]:
    """A function giving a record's values in ``schema``'s field order (PySpark's rules: dicts
    and objects by name, Rows, tuples and lists by position)."""
    names = schema.names
    where = f"field {path}: " if path else ""

    def values(record: Any) -> list[Any]:
        if isinstance(record, dict):
            return [record.get(n) for n in names]
        if isinstance(record, (tuple, list)):
            if len(record) != len(names):
                raise ValueError(f"{where}[FIELD_STRUCT_LENGTH_MISMATCH] Length of object "
                                 f"({len(record)}) does not match with length of fields ({len(names)}).")
            return list(record)
        if hasattr(record, "__dict__"):
            return [vars(record).get(n) for n in names]
        raise TypeError(f"{where}StructType can not accept object {record!r} in type {type(record)}")

    return values


def records_to_batches(records: Iterable[Any], schema: StructType,
                       batch_rows: int = BATCH_ROWS) -> Iterator[Any]:
    """Arrow record batches of ``schema`` holding ``records`` (checked value by value)."""
    import pyarrow as pa

    target = arrow_schema(schema)
    values_of = record_values(schema)
    converters = [make_converter(f.dataType, f.name, f.nullable) for f in schema.fields]
    columns: list[list[Any]] = [[] for _ in converters]
    count = 0
    for record in records:
        for column, convert, value in zip(columns, converters, values_of(record)):
            column.append(convert(value))
        count += 1
        if count == batch_rows:
            yield pa.RecordBatch.from_arrays([pa.array(c, type=f.type) for c, f in zip(columns, target)],
                                             schema=target)
            columns = [[] for _ in converters]
            count = 0
    if count:
        yield pa.RecordBatch.from_arrays([pa.array(c, type=f.type) for c, f in zip(columns, target)],
                                         schema=target)


# ------------------------------------------------------------------ Arrow -> Rows


def _needs_conversion(dtype: DataType) -> bool:
    return isinstance(dtype, (StructType, MapType, TimestampType, ArrayType))


def _from_arrow_value(dtype: DataType) -> Callable[[Any], Any]:
    if isinstance(dtype, StructType):
        names = dtype.names
        fields = [_from_arrow_value(f.dataType) for f in dtype.fields]
        return lambda v: None if v is None else _create_row(names, [c(v[n]) for n, c in zip(names, fields)])
    if isinstance(dtype, MapType):
        key, item = _from_arrow_value(dtype.keyType), _from_arrow_value(dtype.valueType)
        return lambda v: None if v is None else {key(k): item(x) for k, x in v}
    if isinstance(dtype, ArrayType):
        if not _needs_conversion(dtype.elementType):
            return lambda v: v
        element = _from_arrow_value(dtype.elementType)
        return lambda v: None if v is None else [element(x) for x in v]
    if isinstance(dtype, TimestampType):
        return lambda v: None if v is None else v.astimezone().replace(tzinfo=None)
    return lambda v: v


def batch_to_rows(batch: Any, schema: StructType) -> list[Row]:
    """The Rows of one record batch whose columns follow ``schema``."""
    names = schema.names
    columns = []
    for i, field in enumerate(schema.fields):
        values = batch.column(i).to_pylist()
        if _needs_conversion(field.dataType):
            convert = _from_arrow_value(field.dataType)
            values = [convert(v) for v in values]
        columns.append(values)
    if not columns:
        return [_create_row(names, []) for _ in range(batch.num_rows)]
    return [_create_row(names, list(values)) for values in zip(*columns)]


def conform_batch(batch: Any, schema: StructType) -> Any:
    """``batch`` with ``schema``'s columns and Arrow types (files written elsewhere differ: large
    strings, dictionaries, unsigned ints, other time zones, missing columns as nulls)."""
    import pyarrow as pa

    target = arrow_schema(schema)
    if batch.schema.equals(target):
        return batch
    names = batch.schema.names
    arrays = []
    for field in target:
        if field.name in names:
            column = batch.column(names.index(field.name))
            arrays.append(column if column.type == field.type else column.cast(field.type))
        else:
            arrays.append(pa.nulls(batch.num_rows, type=field.type))
    return pa.RecordBatch.from_arrays(arrays, schema=target)
