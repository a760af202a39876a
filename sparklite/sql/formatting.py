"""Text of ``DataFrame.show()``: Spark's table and vertical layouts, cell by cell as Spark prints.

Cells are rendered the way Spark casts values to strings: ``NULL``, ``true``/
``false``, doubles in Java's ``Double.toString`` form (``1.0E20``, ``1.0E-5``,
``NaN``, ``Infinity``), timestamps without trailing zero fractions, binary as
``[61 62]``, arrays as ``[1, 2]``, maps as ``{k -> v}``, structs as ``{1, q}``.
Column widths count East Asian wide characters twice, as Spark's do.
"""
from __future__ import annotations

import datetime
import decimal
import math
import struct
import unicodedata
from typing import Any

from sparklite.sql.types import (ArrayType, BinaryType, BooleanType, DataType, DateType, DoubleType,
                                 FloatType, MapType, StructType, TimestampNTZType, TimestampType)

_MIN_WIDTH = 3


def java_double(value: float, single: bool = False) -> str:
    """``Double.toString`` (``Float.toString`` with ``single``): shortest digits that read back,
    plain between 1e-3 and 1e7, ``d.dddE±n`` outside.

    >>> [java_double(v) for v in (1.0, 0.1, 1e7, 1.23456789123e8, 1e-5, -0.0, 1234567.0)]
    ['1.0', '0.1', '1.0E7', '1.23456789123E8', '1.0E-5', '-0.0', '1234567.0']
    >>> java_double(12345678.9, single=True)
    '1.2345679E7'
    """
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0:
        return "-0.0" if math.copysign(1.0, value) < 0 else "0.0"
    text = _shortest_single(value) if single else repr(float(value))
    sign, digits, exponent = decimal.Decimal(text).as_tuple()
    digits_text = "".join(map(str, digits)).rstrip("0") or "0"
    point = len(digits) + exponent  # position of the decimal point within digits
    prefix = "-" if sign else ""
    magnitude = abs(value)
    if 1e-3 <= magnitude < 1e7:
        if point <= 0:
            return f"{prefix}0.{'0' * -point}{digits_text}"
        whole = digits_text[:point].ljust(point, "0")
        fraction = digits_text[point:] or "0"
        return f"{prefix}{whole}.{fraction}"
    mantissa = digits_text[0] + "." + (digits_text[1:] or "0")
    return f"{prefix}{mantissa}E{point - 1}"


def _shortest_single(value: float) -> str:
    target = struct.unpack("f", struct.pack("f", value))[0]
    for precision in range(1, 10):
        text = f"{target:.{precision}g}"
        if struct.unpack("f", struct.pack("f", float(text)))[0] == target:
            return text
    return repr(target)


def _timestamp(value: datetime.datetime) -> str:
    text = value.strftime("%Y-%m-%d %H:%M:%S")
    if value.microsecond:
        text += f".{value.microsecond:06d}".rstrip("0")
    return text


def cell_text(value: Any, dtype: DataType, nested: bool = False) -> str:
    """How Spark prints one value of ``dtype`` in ``show()``."""
    if value is None:
        return "NULL"
    if isinstance(dtype, BooleanType):
        return "true" if value else "false"
    if isinstance(dtype, DoubleType):
        return java_double(value)
    if isinstance(dtype, FloatType):
        return java_double(value, single=True)
    if isinstance(dtype, (TimestampType, TimestampNTZType)):
        return _timestamp(value)
    if isinstance(dtype, DateType):
        return value.isoformat()
    if isinstance(dtype, BinaryType):
        return "[" + " ".join(f"{b:02X}" for b in bytes(value)) + "]"
    if isinstance(dtype, ArrayType):
        return "[" + ", ".join(cell_text(v, dtype.elementType, True) for v in value) + "]"
    if isinstance(dtype, MapType):
        return "{" + ", ".join(f"{cell_text(k, dtype.keyType, True)} -> {cell_text(v, dtype.valueType, True)}"
                               for k, v in value.items()) + "}"
    if isinstance(dtype, StructType):
        return "{" + ", ".join(cell_text(v, f.dataType, True) for v, f in zip(value, dtype.fields)) + "}"
    return str(value)


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def _truncated(text: str, truncate: int) -> str:
    if truncate <= 0 or len(text) <= truncate:
        return text
    return text[:truncate] if truncate < 4 else text[:truncate - 3] + "..."


def show_string(names: list[str], rows: list[list[str]], has_more: bool, shown: int,
                truncate: int, vertical: bool) -> str:
    """Spark's ``Dataset.showString``: ``rows`` are the cells already rendered as text."""
    names = [_truncated(n, truncate) for n in names]
    rows = [[_truncated(c, truncate) for c in row] for row in rows]
    footer = f"only showing top {shown} {'row' if shown == 1 else 'rows'}" if has_more else ""
    if vertical:
        if not rows:
            return "(0 rows)" + (f"\n{footer}" if footer else "")
        name_width = max([_MIN_WIDTH] + [_width(n) for n in names])
        data_width = max([_MIN_WIDTH] + [_width(c) for row in rows for c in row])
        out = []
        for i, row in enumerate(rows):
            out.append(f"-RECORD {i}".ljust(name_width + data_width + 5, "-"))
            for name, cell in zip(names, row):
                out.append(f" {name}{' ' * (name_width - _width(name))} | "
                           f"{cell}{' ' * (data_width - _width(cell))} ")
        return "\n".join(out) + "\n" + footer
    widths = [max([_MIN_WIDTH, _width(n)] + [_width(row[i]) for row in rows]) for i, n in enumerate(names)]

    def line(cells: list[str]) -> str:
        parts = []
        for cell, width in zip(cells, widths):
            pad = " " * (width - _width(cell))
            parts.append(pad + cell if truncate > 0 else cell + pad)
        return "|" + "|".join(parts) + "|"

    border = "+" + "+".join("-" * w for w in widths) + "+"
    out = [border, line(names), border, *[line(row) for row in rows], border]
    return "\n".join(out) + "\n" + footer
