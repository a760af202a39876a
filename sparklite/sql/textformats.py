"""CSV and JSON lines: parsing values and inferring schemas the way Spark's readers do.

CSV (``inferSchema``): a field is tried as int (32-bit), long, double, date
(``yyyy-MM-dd``), timestamp, boolean, then string; a column takes the widest type
its fields need (int < long < double, date < timestamp, anything else with a
mismatch is string); empty fields are null. JSON: integers are longs, numbers with
a fraction doubles, objects structs with their fields in name order, arrays of the
merged element type; a conflict becomes string; lines that do not parse become
``_corrupt_record`` (PERMISSIVE mode), as in Spark.

These functions run on executors, one split of a file at a time, inside the
inference job and the read job of ``sources.py``.
"""
from __future__ import annotations

import datetime
import decimal
import json
from typing import Any, Callable, Iterable, Iterator

from sparklite.sql.types import (ArrayType, BinaryType, BooleanType, DataType, DateType, DecimalType,
                                 DoubleType, FloatType, IntegerType, LongType, MapType, NullType,
                                 StringType, StructField, StructType, TimestampNTZType, TimestampType,
                                 ByteType, ShortType)

CORRUPT_RECORD = "_corrupt_record"
_INT32 = (-(1 << 31), (1 << 31) - 1)
_INT64 = (-(1 << 63), (1 << 63) - 1)
_SPECIAL_DOUBLES = {"nan": float("nan"), "infinity": float("inf"), "+infinity": float("inf"),
                    "-infinity": float("-inf"), "inf": float("inf"), "+inf": float("inf"),
                    "-inf": float("-inf")}


def parse_csv_line(line: str, sep: str = ",", quote: str = '"', escape: str = "\\") -> list[str]:
    r"""The fields of one CSV line, as Spark's parser splits it: unquoted fields are literal;
    inside quotes, ``escape`` + quote (or a doubled quote) is a quote and ``escape`` + ``escape``
    an escape.

    >>> parse_csv_line(r'1,"c, d",q\"t,"a\"b",')
    ['1', 'c, d', 'q\\"t', 'a"b', '']
    """
    if quote not in line:
        return line.split(sep)
    fields: list[str] = []
    i, n = 0, len(line)
    while True:
        if line.startswith(quote, i):
            i += len(quote)
            chars: list[str] = []
            while i < n:
                ch = line[i]
                if ch == escape and i + 1 < n and line[i + 1] in (quote, escape):
                    chars.append(line[i + 1])
                    i += 2
                elif ch == quote:
                    if i + 1 < n and line[i + 1] == quote:
                        chars.append(quote)
                        i += 2
                        continue
                    i += 1
                    break
                else:
                    chars.append(ch)
                    i += 1
            end = line.find(sep, i)
            rest = line[i:] if end < 0 else line[i:end]
            fields.append("".join(chars) + rest)  # text after a closing quote is kept, as Spark does
        else:
            end = line.find(sep, i)
            fields.append(line[i:] if end < 0 else line[i:end])
        if end < 0:
            return fields
        i = end + len(sep)


def csv_reader(lines: Iterable[str], options: dict[str, Any]) -> Iterator[list[str]]:
    """Fields of each line (one record per line: Spark's default, multiLine=false)."""
    sep = options.get("sep") or ","
    quote = options.get("quote") or '"'
    escape = options.get("escape") or "\\"
    for line in lines:
        yield parse_csv_line(line, sep, quote, escape)


# ------------------------------------------------------------------ parsing one value


def _parse_double(text: str) -> float:
    special = _SPECIAL_DOUBLES.get(text.strip().lower())
    return special if special is not None else float(text)


def _parse_int(text: str, bounds: tuple[int, int]) -> int:
    value = int(text.strip())
    if not bounds[0] <= value <= bounds[1]:
        raise ValueError(f"{text} out of range")
    return value


def _parse_timestamp(text: str) -> datetime.datetime:
    value = datetime.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return value.astimezone().replace(tzinfo=None) if value.tzinfo is not None else value


def _parse_bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered not in ("true", "false"):
        raise ValueError(f"not a boolean: {text}")
    return lowered == "true"


def text_parser(dtype: DataType) -> Callable[[str], Any]:
    """How a CSV field (text) becomes a value of ``dtype``; ValueError when it cannot."""
    if isinstance(dtype, StringType):
        return lambda text: text
    if isinstance(dtype, IntegerType):
        return lambda text: _parse_int(text, _INT32)
    if isinstance(dtype, LongType):
        return lambda text: _parse_int(text, _INT64)
    if isinstance(dtype, ShortType):
        return lambda text: _parse_int(text, (-(1 << 15), (1 << 15) - 1))
    if isinstance(dtype, ByteType):
        return lambda text: _parse_int(text, (-(1 << 7), (1 << 7) - 1))
    if isinstance(dtype, (DoubleType, FloatType)):
        return _parse_double
    if isinstance(dtype, BooleanType):
        return _parse_bool
    if isinstance(dtype, DateType):
        return lambda text: datetime.date.fromisoformat(text.strip())
    if isinstance(dtype, (TimestampType, TimestampNTZType)):
        return _parse_timestamp
    if isinstance(dtype, DecimalType):
        return lambda text: decimal.Decimal(text.strip())
    if isinstance(dtype, BinaryType):
        return lambda text: text.encode("utf-8")
    raise TypeError(f"CSV files cannot hold {dtype!r} columns")


# ------------------------------------------------------------------ CSV inference

#: the types a CSV field is tried as, narrowest first
_CSV_LADDER: list[tuple[DataType, Callable[[str], Any]]] = [
    (IntegerType(), lambda t: _parse_int(t, _INT32)), (LongType(), lambda t: _parse_int(t, _INT64)),
    (DoubleType(), _parse_double), (DateType(), lambda t: datetime.date.fromisoformat(t.strip())),
    (TimestampType(), _parse_timestamp), (BooleanType(), _parse_bool)]


def infer_csv_field(text: str, current: DataType) -> DataType:
    """The type of one field given the type its column has so far (Spark's inferField)."""
    if isinstance(current, StringType):
        return current
    start = 0
    for i, (dtype, _) in enumerate(_CSV_LADDER):
        if dtype == current:
            start = i
    for dtype, parse in _CSV_LADDER[start:]:
        try:
            parse(text)
        except (ValueError, ArithmeticError):
            continue
        return merge_csv_types(current, dtype)
    return StringType()


def merge_csv_types(a: DataType, b: DataType) -> DataType:
    if isinstance(a, NullType):
        return b
    if isinstance(b, NullType) or a == b:
        return a
    numeric = [IntegerType(), LongType(), DoubleType()]
    if a in numeric and b in numeric:
        return numeric[max(numeric.index(a), numeric.index(b))]
    if {type(a), type(b)} == {DateType, TimestampType}:
        return TimestampType()
    return StringType()


def infer_csv_columns(rows: Iterable[list[str]], width: int, null_value: str) -> list[DataType]:
    types: list[DataType] = [NullType()] * width
    for fields in rows:
        for i, text in enumerate(fields[:width]):
            if text != null_value and text != "":
                types[i] = infer_csv_field(text, types[i])
    return types


def csv_records(rows: Iterable[list[str]], schema: StructType, null_value: str,
                mode: str) -> Iterator[list[Any]]:
    """Typed records of a schema from CSV fields (PERMISSIVE: bad fields null; DROPMALFORMED:
    the row dropped; FAILFAST: an error naming the record)."""
    parsers = [text_parser(f.dataType) for f in schema.fields]
    strings = [isinstance(f.dataType, StringType) for f in schema.fields]
    width = len(parsers)
    for fields in rows:
        record: list[Any] = []
        malformed = len(fields) != width
        for i, parse in enumerate(parsers):
            text = fields[i] if i < len(fields) else None
            if text is None or text == null_value or (text == "" and not strings[i]):
                record.append(None)
                continue
            try:
                record.append(parse(text))
            except (ValueError, ArithmeticError):
                record.append(None)
                malformed = True
        if malformed and mode == "FAILFAST":
            raise ValueError(f"[MALFORMED_RECORD_IN_PARSING] Malformed records are detected in "
                             f"record parsing (mode FAILFAST): {fields!r}")
        if malformed and mode == "DROPMALFORMED":
            continue
        yield record


# ------------------------------------------------------------------ JSON


def infer_json_type(value: Any) -> DataType:
    if value is None:
        return NullType()
    if isinstance(value, bool):
        return BooleanType()
    if isinstance(value, int):
        return LongType() if _INT64[0] <= value <= _INT64[1] else DecimalType(38, 0)
    if isinstance(value, float):
        return DoubleType()
    if isinstance(value, str):
        return StringType()
    if isinstance(value, list):
        element: DataType = NullType()
        for item in value:
            element = merge_json_types(element, infer_json_type(item))
        return ArrayType(element, True)
    if isinstance(value, dict):
        return StructType([StructField(k, infer_json_type(v), True) for k, v in sorted(value.items())])
    return StringType()


def merge_json_types(a: DataType, b: DataType) -> DataType:
    """Spark's JSON ``compatibleType``: numbers widen to double, structs union, the rest string."""
    if isinstance(a, NullType):
        return b
    if isinstance(b, NullType) or a == b:
        return a
    if {type(a), type(b)} <= {LongType, DoubleType, DecimalType}:
        return DoubleType()
    if isinstance(a, StructType) and isinstance(b, StructType):
        merged = {f.name: f.dataType for f in a.fields}
        for f in b.fields:
            merged[f.name] = merge_json_types(merged[f.name], f.dataType) if f.name in merged else f.dataType
        return StructType([StructField(k, merged[k], True) for k in sorted(merged)])
    if isinstance(a, ArrayType) and isinstance(b, ArrayType):
        return ArrayType(merge_json_types(a.elementType, b.elementType), True)
    return StringType()


def settle_json_type(dtype: DataType) -> DataType:
    """After inference: undetermined (all-null) types become strings, as Spark does."""
    if isinstance(dtype, NullType):
        return StringType()
    if isinstance(dtype, ArrayType):
        return ArrayType(settle_json_type(dtype.elementType), True)
    if isinstance(dtype, StructType):
        return StructType([StructField(f.name, settle_json_type(f.dataType), True) for f in dtype.fields])
    return dtype


def infer_json_lines(lines: Iterable[str]) -> tuple[DataType, bool]:
    """(merged struct type of the JSON objects, whether any line was not a JSON object)."""
    schema: DataType = NullType()
    corrupt = False
    for line in lines:
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except ValueError:
            corrupt = True
            continue
        if not isinstance(value, dict):
            corrupt = True
            continue
        schema = merge_json_types(schema, infer_json_type(value))
    return schema, corrupt


def json_value(value: Any, dtype: DataType) -> Any:
    """A parsed JSON value as a value of ``dtype`` (ValueError when it cannot be one)."""
    if value is None:
        return None
    if isinstance(dtype, StringType):
        return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
    if isinstance(dtype, (LongType, IntegerType, ShortType, ByteType)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"not an integer: {value!r}")
        return value
    if isinstance(dtype, (DoubleType, FloatType)):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            if isinstance(value, str) and value.strip().lower() in _SPECIAL_DOUBLES:
                return _SPECIAL_DOUBLES[value.strip().lower()]
            raise ValueError(f"not a number: {value!r}")
        return float(value)
    if isinstance(dtype, BooleanType):
        if not isinstance(value, bool):
            raise ValueError(f"not a boolean: {value!r}")
        return value
    if isinstance(dtype, DecimalType):
        return decimal.Decimal(str(value))
    if isinstance(dtype, (DateType, TimestampType, TimestampNTZType)):
        if not isinstance(value, str):
            raise ValueError(f"not a date/time string: {value!r}")
        return text_parser(dtype)(value)
    if isinstance(dtype, ArrayType):
        if not isinstance(value, list):
            raise ValueError(f"not an array: {value!r}")
        return [json_value(v, dtype.elementType) for v in value]
    if isinstance(dtype, MapType):
        if not isinstance(value, dict):
            raise ValueError(f"not an object: {value!r}")
        return {k: json_value(v, dtype.valueType) for k, v in value.items()}
    if isinstance(dtype, StructType):
        if not isinstance(value, dict):
            raise ValueError(f"not an object: {value!r}")
        return {f.name: json_value(value.get(f.name), f.dataType) for f in dtype.fields}
    raise TypeError(f"JSON files cannot hold {dtype!r} values")


def json_records(lines: Iterable[str], schema: StructType, mode: str) -> Iterator[dict[str, Any]]:
    """Records (dicts) of ``schema`` from JSON lines; a corrupt line fills ``_corrupt_record``
    when the schema has that column (PERMISSIVE), is dropped (DROPMALFORMED) or fails (FAILFAST)."""
    has_corrupt = CORRUPT_RECORD in schema.names
    fields = [f for f in schema.fields if f.name != CORRUPT_RECORD]
    for line in lines:
        if not line.strip():
            continue
        try:
            value = json.loads(line)
            if not isinstance(value, dict):
                raise ValueError("not a JSON object")
            record = {f.name: json_value(value.get(f.name), f.dataType) for f in fields}
        except (ValueError, ArithmeticError):
            if mode == "FAILFAST":
                raise ValueError(f"[MALFORMED_RECORD_IN_PARSING] Malformed records are detected in "
                                 f"record parsing (mode FAILFAST): {line!r}") from None
            if mode == "DROPMALFORMED":
                continue
            record = {f.name: None for f in fields}
            if has_corrupt:
                record[CORRUPT_RECORD] = line
        yield record
