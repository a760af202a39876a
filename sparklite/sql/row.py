"""Row: a record of a DataFrame, a tuple with named fields (PySpark's semantics).

* ``Row(name="Alice", age=11)`` keeps its fields in the order given (PySpark 3+);
  ``row.name``, ``row["name"]`` and ``row[0]`` read them; ``"name" in row`` looks
  among the field names.
* ``Row("name", "age")`` makes a row *class*: calling it, ``Person("Alice", 11)``,
  makes rows with those fields.
* Equality, ordering and hashing are the tuple's (the values only, as PySpark's).
* A Row is read-only and pickles with its field names.
"""
from __future__ import annotations

from typing import Any


def _create_row(fields: list[str] | Row, values: tuple | list) -> Row:
    row = Row(*values)
    row.__fields__ = list(fields)
    return row


class Row(tuple):
    """A row in :class:`DataFrame`.

    The fields in it can be accessed like attributes (``row.key``) or like
    dictionary values (``row[key]``); ``key in row`` searches the row's keys.

    >>> row = Row(name="Alice", age=11)
    >>> row
    Row(name='Alice', age=11)
    >>> row["name"], row.age, row[0]
    ('Alice', 11, 'Alice')
    >>> "name" in row, "Alice" in row
    (True, False)
    >>> Person = Row("name", "age")
    >>> Person
    <Row('name', 'age')>
    >>> Person("Alice", 11) == row
    True
    >>> Row(a=1, b=Row(c=2)).asDict(recursive=True)
    {'a': 1, 'b': {'c': 2}}
    """

    def __new__(cls, *args: Any, **kwargs: Any) -> Row:
        if args and kwargs:
            raise ValueError("[CANNOT_SET_TOGETHER] args and kwargs should not be set together.")
        if kwargs:
            row = tuple.__new__(cls, list(kwargs.values()))
            row.__fields__ = list(kwargs.keys())
            return row
        return tuple.__new__(cls, args)

    def asDict(self, recursive: bool = False) -> dict[str, Any]:
        """Return as a dict

        Parameters
        ----------
        recursive : bool, optional
            turns the nested Rows to dict (default: False).

        >>> Row(name="Alice", age=11).asDict() == {'name': 'Alice', 'age': 11}
        True
        """
        if not hasattr(self, "__fields__"):
            raise TypeError("[CANNOT_CONVERT_TYPE] Cannot convert Row into dict.")
        if not recursive:
            return dict(zip(self.__fields__, self))

        def convert(obj: Any) -> Any:
            if isinstance(obj, Row):
                return obj.asDict(True)
            if isinstance(obj, list):
                return [convert(o) for o in obj]
            if isinstance(obj, dict):
                return {k: convert(v) for k, v in obj.items()}
            return obj

        return dict(zip(self.__fields__, (convert(o) for o in self)))

    def __contains__(self, item: Any) -> bool:
        if hasattr(self, "__fields__"):
            return item in self.__fields__
        return super().__contains__(item)

    def __call__(self, *args: Any) -> Row:
        """A new row whose fields are this row's values (a row class made with ``Row("a", "b")``)."""
        if len(args) > len(self):
            raise ValueError(f"[TOO_MANY_VALUES] Expected {len(self)} values for `fields`, "
                             f"got {len(args)}.")
        return _create_row(self, args)

    def __getitem__(self, item: Any) -> Any:
        if isinstance(item, (int, slice)):
            return super().__getitem__(item)
        try:
            index = self.__fields__.index(item)
        except (AttributeError, ValueError):
            raise ValueError(item) from None
        return super().__getitem__(index)

    def __getattr__(self, item: str) -> Any:
        if item.startswith("__"):
            raise AttributeError(item)
        try:
            index = self.__fields__.index(item)
        except (AttributeError, ValueError):
            raise AttributeError(f"[ATTRIBUTE_NOT_SUPPORTED] Attribute `{item}` is not supported.") from None
        return self[index]

    def __setattr__(self, key: str, value: Any) -> None:
        if key != "__fields__":
            raise RuntimeError("[READ_ONLY] Row is read-only.")
        self.__dict__[key] = value

    def __reduce__(self) -> Any:
        if hasattr(self, "__fields__"):
            return (_create_row, (self.__fields__, tuple(self)))
        return tuple.__reduce__(self)

    def __repr__(self) -> str:
        if hasattr(self, "__fields__"):
            return "Row(%s)" % ", ".join(f"{k}={v!r}" for k, v in zip(self.__fields__, tuple(self)))
        return "<Row(%s)>" % ", ".join(repr(field) for field in self)


__all__ = ["Row"]
