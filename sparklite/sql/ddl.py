"""Schema strings: ``"a INT, b STRING"``, ``"a: int, b: string"``, ``"array<int>"`` -> data types.

The forms PySpark's ``createDataFrame``/``spark.read.schema`` accept: a DDL
column list (``name TYPE [NOT NULL]``, names optionally in backquotes, ``:``
allowed between name and type), or a single type (``"int"``,
``"struct<x:int,y:string>"``). Type names are case-insensitive and include
Spark's aliases (``long``/``bigint``, ``integer``/``int``, ``short``/``smallint``,
``byte``/``tinyint``, ``real``, ``dec``/``numeric``, ``char(n)``/``varchar(n)`` as
strings).
"""
from __future__ import annotations

import re

from sparklite.sql.types import (ArrayType, BinaryType, BooleanType, ByteType, DataType, DateType,
                                 DecimalType, DoubleType, FloatType, IntegerType, LongType, MapType,
                                 NullType, ShortType, StringType, StructField, StructType,
                                 TimestampNTZType, TimestampType)

_ATOMIC = {
    "string": StringType, "binary": BinaryType, "boolean": BooleanType, "bool": BooleanType,
    "date": DateType, "timestamp": TimestampType, "timestamp_ltz": TimestampType,
    "timestamp_ntz": TimestampNTZType, "double": DoubleType, "float": FloatType, "real": FloatType,
    "byte": ByteType, "tinyint": ByteType, "short": ShortType, "smallint": ShortType,
    "int": IntegerType, "integer": IntegerType, "long": LongType, "bigint": LongType,
    "void": NullType, "null": NullType,
}
_TOKEN = re.compile(r"\s*(`(?:[^`]|``)*`|[A-Za-z_][A-Za-z0-9_]*|\d+|[<>(),:])")


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.tokens: list[str] = []
        pos = 0
        while pos < len(text):
            if text[pos:].strip() == "":
                break
            m = _TOKEN.match(text, pos)
            if not m:
                raise self.error(f"unexpected character {text[pos:].strip()[0]!r}")
            self.tokens.append(m.group(1))
            pos = m.end()
        self.i = 0

    def error(self, message: str) -> ValueError:
        return ValueError(f"cannot parse the schema string {self.text!r}: {message}")

    def peek(self) -> str | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self, expected: str | None = None) -> str:
        token = self.peek()
        if token is None:
            raise self.error(f"it ends where {expected or 'more'} was expected")
        if expected is not None and token.lower() != expected:
            raise self.error(f"expected {expected!r}, got {token!r}")
        self.i += 1
        return token

    def name(self) -> str:
        token = self.take()
        if token.startswith("`"):
            return token[1:-1].replace("``", "`")
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", token):
            raise self.error(f"expected a column name, got {token!r}")
        return token

    def data_type(self) -> DataType:
        word = self.take().lower()
        if word == "array":
            self.take("<")
            element = self.data_type()
            self.take(">")
            return ArrayType(element, True)
        if word == "map":
            self.take("<")
            key = self.data_type()
            self.take(",")
            value = self.data_type()
            self.take(">")
            return MapType(key, value, True)
        if word == "struct":
            self.take("<")
            fields = []
            while self.peek() != ">":
                fields.append(self.field(struct_member=True))
                if self.peek() == ",":
                    self.take(",")
            self.take(">")
            return StructType(fields)
        if word in ("decimal", "dec", "numeric"):
            if self.peek() != "(":
                return DecimalType(10, 0)
            self.take("(")
            precision = int(self.take())
            scale = 0
            if self.peek() == ",":
                self.take(",")
                scale = int(self.take())
            self.take(")")
            return DecimalType(precision, scale)
        if word in ("char", "varchar"):
            self.take("(")
            self.take()
            self.take(")")
            return StringType()
        if word in _ATOMIC:
            return _ATOMIC[word]()
        raise self.error(f"unknown data type {word!r}")

    def field(self, struct_member: bool = False) -> StructField:
        name = self.name()
        if self.peek() == ":":
            self.take(":")
        dtype = self.data_type()
        nullable = True
        if (self.peek() or "").lower() == "not":
            self.take("not")
            self.take("null")
            nullable = False
        if (self.peek() or "").lower() == "comment":
            raise self.error("COMMENT clauses are not supported")
        return StructField(name, dtype, nullable)


def parse_schema(text: str) -> StructType:
    """A DDL column list (``"a INT, b STRING"``) as a StructType.

    >>> parse_schema("a INT, b: string NOT NULL, c array<bigint>")
    StructType([StructField('a', IntegerType(), True), StructField('b', StringType(), False), StructField('c', ArrayType(LongType(), True), True)])
    """
    parser = _Parser(text)
    fields = [parser.field()]
    while parser.peek() == ",":
        parser.take(",")
        fields.append(parser.field())
    if parser.peek() is not None:
        raise parser.error(f"unexpected {parser.peek()!r}")
    return StructType(fields)


def parse_data_type(text: str) -> DataType:
    """A schema string: a column list, or a single type (``"int"``, ``"struct<x:int>"``).

    >>> parse_data_type("map<string,double>")
    MapType(StringType(), DoubleType(), True)
    >>> parse_data_type("x int")
    StructType([StructField('x', IntegerType(), True)])
    """
    parser = _Parser(text)
    try:
        dtype = parser.data_type()
        if parser.peek() is None:
            return dtype
    except ValueError:
        pass
    return parse_schema(text)
