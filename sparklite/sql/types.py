"""Spark SQL data types (PySpark's ``pyspark.sql.types``) and their Apache Arrow counterparts.

A DataFrame's schema is a :class:`StructType`; its data lives in Arrow record
batches whose Arrow schema :func:`arrow_schema` derives from it (and
:func:`from_arrow` maps back, for Parquet files). Names, ``repr``,
``simpleString`` (``bigint``, ``array<int>``...) and ``typeName`` (``long``,
``integer``...) are PySpark's, so printed schemas read the same.

Timestamps: :class:`TimestampType` values are naive local ``datetime`` objects in
Python and UTC instants in Arrow (``timestamp[us, tz=UTC]``), as Spark stores them;
:class:`TimestampNTZType` is a naive ``timestamp[us]``.
"""
from __future__ import annotations

import json
from typing import Any, Iterator

from sparklite.sql.row import Row


class DataType:
    """Base class for data types."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and self.__dict__ == other.__dict__

    def __ne__(self, other: object) -> bool:
        return not self == other

    def __hash__(self) -> int:
        return hash(repr(self))

    @classmethod
    def typeName(cls) -> str:
        return cls.__name__[:-4].lower()

    def simpleString(self) -> str:
        return self.typeName()

    def jsonValue(self) -> Any:
        return self.typeName()

    def json(self) -> str:
        return json.dumps(self.jsonValue(), separators=(",", ":"), sort_keys=True)


class NullType(DataType):
    """The data type representing None, used for the types that cannot be inferred."""

    @classmethod
    def typeName(cls) -> str:
        return "void"


class StringType(DataType):
    """String data type."""


class BinaryType(DataType):
    """Binary (byte array) data type."""


class BooleanType(DataType):
    """Boolean data type."""


class DateType(DataType):
    """Date (datetime.date) data type."""


class TimestampType(DataType):
    """Timestamp (datetime.datetime) data type, in the session's (local) time zone."""


class TimestampNTZType(DataType):
    """Timestamp (datetime.datetime) data type without timezone information."""

    @classmethod
    def typeName(cls) -> str:
        return "timestamp_ntz"


class DecimalType(DataType):
    """Decimal (decimal.Decimal) data type of a fixed precision and scale."""

    def __init__(self, precision: int = 10, scale: int = 0):
        self.precision = precision
        self.scale = scale

    def simpleString(self) -> str:
        return f"decimal({self.precision},{self.scale})"

    def jsonValue(self) -> str:
        return self.simpleString()

    def __repr__(self) -> str:
        return f"DecimalType({self.precision},{self.scale})"


class DoubleType(DataType):
    """Double data type, representing double precision floats."""


class FloatType(DataType):
    """Float data type, representing single precision floats."""


class ByteType(DataType):
    """Byte data type, representing signed 8-bit integers."""

    def simpleString(self) -> str:
        return "tinyint"


class ShortType(DataType):
    """Short data type, representing signed 16-bit integers."""

    def simpleString(self) -> str:
        return "smallint"


class IntegerType(DataType):
    """Int data type, representing signed 32-bit integers."""

    def simpleString(self) -> str:
        return "int"


class LongType(DataType):
    """Long data type, representing signed 64-bit integers."""

    def simpleString(self) -> str:
        return "bigint"


class ArrayType(DataType):
    """Array data type: ``elementType`` values, maybe None when ``containsNull``."""

    def __init__(self, elementType: DataType, containsNull: bool = True):
        self.elementType = elementType
        self.containsNull = containsNull

    def simpleString(self) -> str:
        return f"array<{self.elementType.simpleString()}>"

    def jsonValue(self) -> dict[str, Any]:
        return {"type": "array", "elementType": self.elementType.jsonValue(),
                "containsNull": self.containsNull}

    def __repr__(self) -> str:
        return f"ArrayType({self.elementType!r}, {self.containsNull})"


class MapType(DataType):
    """Map data type: ``keyType`` keys (never None), ``valueType`` values."""

    def __init__(self, keyType: DataType, valueType: DataType, valueContainsNull: bool = True):
        self.keyType = keyType
        self.valueType = valueType
        self.valueContainsNull = valueContainsNull

    def simpleString(self) -> str:
        return f"map<{self.keyType.simpleString()},{self.valueType.simpleString()}>"

    def jsonValue(self) -> dict[str, Any]:
        return {"type": "map", "keyType": self.keyType.jsonValue(),
                "valueType": self.valueType.jsonValue(), "valueContainsNull": self.valueContainsNull}

    def __repr__(self) -> str:
        return f"MapType({self.keyType!r}, {self.valueType!r}, {self.valueContainsNull})"


class StructField(DataType):
    """A field in :class:`StructType`: a name, a data type, and whether it may be None."""

    def __init__(self, name: str, dataType: DataType, nullable: bool = True,
                 metadata: dict[str, Any] | None = None):
        if not isinstance(dataType, DataType):
            raise TypeError(f"dataType {dataType!r} should be an instance of DataType")
        self.name = name
        self.dataType = dataType
        self.nullable = nullable
        self.metadata = metadata or {}

    def simpleString(self) -> str:
        return f"{self.name}:{self.dataType.simpleString()}"

    def jsonValue(self) -> dict[str, Any]:
        return {"name": self.name, "type": self.dataType.jsonValue(), "nullable": self.nullable,
                "metadata": self.metadata}

    def __repr__(self) -> str:
        return f"StructField({self.name!r}, {self.dataType!r}, {self.nullable})"


class StructType(DataType):
    """Struct type, consisting of a list of :class:`StructField`: a DataFrame's schema.

    >>> schema = StructType([StructField("a", IntegerType())]).add("b", "string", False)
    >>> schema
    StructType([StructField('a', IntegerType(), True), StructField('b', StringType(), False)])
    >>> schema.simpleString(), schema.names, schema["b"].nullable
    ('struct<a:int,b:string>', ['a', 'b'], False)
    """

    def __init__(self, fields: list[StructField] | None = None):
        self.fields = list(fields or [])
        for f in self.fields:
            if not isinstance(f, StructField):
                raise TypeError(f"StructType takes StructFields, got {f!r}")

    @property
    def names(self) -> list[str]:
        return [f.name for f in self.fields]

    def fieldNames(self) -> list[str]:
        return self.names

    def add(self, field: str | StructField, data_type: str | DataType | None = None,
            nullable: bool = True, metadata: dict[str, Any] | None = None) -> StructType:
        """Add a field (a StructField, or a name and a data type or type string)."""
        if isinstance(field, StructField):
            self.fields.append(field)
            return self
        if data_type is None:
            raise ValueError("add() needs a data type when field is a name")
        if isinstance(data_type, str):
            from sparklite.sql.ddl import parse_data_type

            data_type = parse_data_type(data_type)
        self.fields.append(StructField(field, data_type, nullable, metadata))
        return self

    def __iter__(self) -> Iterator[StructField]:
        return iter(self.fields)

    def __len__(self) -> int:
        return len(self.fields)

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            for f in self.fields:
                if f.name == key:
                    return f
            raise KeyError(f"No StructField named {key}")
        if isinstance(key, int):
            return self.fields[key]
        if isinstance(key, slice):
            return StructType(self.fields[key])
        raise TypeError("StructType keys should be strings, integers or slices")

    def simpleString(self) -> str:
        return "struct<%s>" % ",".join(f.simpleString() for f in self.fields)

    def jsonValue(self) -> dict[str, Any]:
        return {"type": "struct", "fields": [f.jsonValue() for f in self.fields]}

    @classmethod
    def fromJson(cls, value: dict[str, Any]) -> StructType:
        return _from_json(value)  # type: ignore[return-value]

    def treeString(self, level: int | None = None) -> str:
        """The text ``printSchema`` prints (``root`` and one ``|--`` line per field)."""
        lines = ["root"]
        _tree_lines(self, 1, level, lines)
        return "\n".join(lines) + "\n"

    def __repr__(self) -> str:
        return "StructType([%s])" % ", ".join(repr(f) for f in self.fields)


_ATOMIC = {t.typeName(): t for t in (NullType, StringType, BinaryType, BooleanType, DateType,
                                     TimestampType, TimestampNTZType, DoubleType, FloatType,
                                     ByteType, ShortType, IntegerType, LongType)}


def _from_json(value: Any) -> DataType:
    if isinstance(value, str):
        if value.startswith("decimal"):
            from sparklite.sql.ddl import parse_data_type

            return parse_data_type(value)
        return _ATOMIC[value]()
    kind = value["type"]
    if kind == "struct":
        return StructType([StructField(f["name"], _from_json(f["type"]), f.get("nullable", True),
                                       f.get("metadata")) for f in value["fields"]])
    if kind == "array":
        return ArrayType(_from_json(value["elementType"]), value.get("containsNull", True))
    if kind == "map":
        return MapType(_from_json(value["keyType"]), _from_json(value["valueType"]),
                       value.get("valueContainsNull", True))
    raise ValueError(f"unknown data type in JSON: {value!r}")


def _tree_name(dtype: DataType) -> str:
    return dtype.simpleString() if isinstance(dtype, DecimalType) else dtype.typeName()


def _tree_lines(dtype: DataType, depth: int, level: int | None, lines: list[str]) -> None:
    if level is not None and depth > level:
        return
    prefix = " |   " * (depth - 1) + " |-- "
    if isinstance(dtype, StructType):
        for f in dtype.fields:
            lines.append(f"{prefix}{f.name}: {_tree_name(f.dataType)} (nullable = {str(f.nullable).lower()})")
            _tree_lines(f.dataType, depth + 1, level, lines)
    elif isinstance(dtype, ArrayType):
        lines.append(f"{prefix}element: {_tree_name(dtype.elementType)} "
                     f"(containsNull = {str(dtype.containsNull).lower()})")
        _tree_lines(dtype.elementType, depth + 1, level, lines)
    elif isinstance(dtype, MapType):
        lines.append(f"{prefix}key: {_tree_name(dtype.keyType)}")
        _tree_lines(dtype.keyType, depth + 1, level, lines)
        lines.append(f"{prefix}value: {_tree_name(dtype.valueType)} "
                     f"(valueContainsNull = {str(dtype.valueContainsNull).lower()})")
        _tree_lines(dtype.valueType, depth + 1, level, lines)


# ------------------------------------------------------------------ Arrow


def arrow_schema(schema: StructType) -> Any:
    """The ``pa.schema`` of a DataFrame's record batches."""
    import pyarrow as pa

    return pa.schema([pa.field(f.name, arrow_type(f.dataType), f.nullable) for f in schema.fields])


def arrow_type(dtype: DataType) -> Any:
    """The Arrow type that holds values of ``dtype`` (nested types included)."""
    import pyarrow as pa

    if isinstance(dtype, StructType):
        return pa.struct([pa.field(f.name, arrow_type(f.dataType), f.nullable) for f in dtype.fields])
    if isinstance(dtype, ArrayType):
        return pa.list_(pa.field("element", arrow_type(dtype.elementType), dtype.containsNull))
    if isinstance(dtype, MapType):
        return pa.map_(arrow_type(dtype.keyType), pa.field("value", arrow_type(dtype.valueType),
                                                           dtype.valueContainsNull))
    if isinstance(dtype, DecimalType):
        return pa.decimal128(dtype.precision, dtype.scale)
    simple = {NullType: pa.null(), StringType: pa.string(), BinaryType: pa.binary(),
              BooleanType: pa.bool_(), DateType: pa.date32(),
              TimestampType: pa.timestamp("us", tz="UTC"), TimestampNTZType: pa.timestamp("us"),
              DoubleType: pa.float64(), FloatType: pa.float32(), ByteType: pa.int8(),
              ShortType: pa.int16(), IntegerType: pa.int32(), LongType: pa.int64()}
    if type(dtype) in simple:
        return simple[type(dtype)]
    raise TypeError(f"no Arrow type for {dtype!r}")


def from_arrow(atype: Any) -> DataType:
    """The Spark type of an Arrow type or schema (Parquet files, pandas/Arrow tables)."""
    import pyarrow as pa
    import pyarrow.types as t

    if isinstance(atype, pa.Schema):
        return StructType([StructField(f.name, from_arrow(f.type), f.nullable) for f in atype])
    if t.is_struct(atype):
        return StructType([StructField(atype.field(i).name, from_arrow(atype.field(i).type),
                                       atype.field(i).nullable) for i in range(atype.num_fields)])
    if t.is_map(atype):
        return MapType(from_arrow(atype.key_type), from_arrow(atype.item_type), atype.item_field.nullable)
    if t.is_list(atype) or t.is_large_list(atype) or t.is_fixed_size_list(atype):
        return ArrayType(from_arrow(atype.value_type), atype.value_field.nullable)
    if t.is_dictionary(atype):
        return from_arrow(atype.value_type)
    checks = [(t.is_null, NullType), (t.is_boolean, BooleanType), (t.is_int8, ByteType),
              (t.is_int16, ShortType), (t.is_int32, IntegerType), (t.is_int64, LongType),
              (t.is_uint8, ShortType), (t.is_uint16, IntegerType), (t.is_uint32, LongType),
              (t.is_uint64, LongType), (t.is_float16, FloatType), (t.is_float32, FloatType),
              (t.is_float64, DoubleType), (t.is_date, DateType)]
    for check, dtype in checks:
        if check(atype):
            return dtype()
    if t.is_string(atype) or t.is_large_string(atype) or getattr(t, "is_string_view", lambda _: False)(atype):
        return StringType()
    if t.is_binary(atype) or t.is_large_binary(atype) or t.is_fixed_size_binary(atype):
        return BinaryType()
    if t.is_timestamp(atype):
        return TimestampType() if atype.tz is not None else TimestampNTZType()
    if t.is_decimal(atype):
        return DecimalType(atype.precision, atype.scale)
    raise TypeError(f"sparklite.sql has no data type for the Arrow type {atype}")


__all__ = ["DataType", "NullType", "StringType", "BinaryType", "BooleanType", "DateType",
           "TimestampType", "TimestampNTZType", "DecimalType", "DoubleType", "FloatType",
           "ByteType", "ShortType", "IntegerType", "LongType", "ArrayType", "MapType",
           "StructField", "StructType", "Row"]
