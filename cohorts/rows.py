"""Model instances from one hand-written SELECT that reads several models' columns per row.

The busiest requests (every cohort page's membership check, "Mark watched") run a query
whose building by the ORM costs ten times its running. Such a query is written out once,
selecting each model's columns through `Columns`, and its rows become model instances the
way the ORM makes them: the database's and the fields' converters applied, then
`Model.from_db` (so sealed secrets, JSON, booleans and time zones read as usual).
"""

from collections.abc import Callable, Sequence
from functools import cache
from typing import Any

from django.db import connections
from django.db.models import Model

Converter = Callable[[Any, Any, Any], Any]

_converters: dict[
    tuple[str, type[Model], tuple[str, ...]], list[tuple[int, Any, list[Converter]]]
] = {}


class Columns:
    """A model's concrete columns under a table alias: `sql()` for the SELECT list, `load()`
    for the instance from that slice of a row."""

    def __init__(
        self,
        model: type[Model],
        alias: str,
        using: str = "default",
        leave_out: tuple[str, ...] = (),
    ) -> None:
        self.model = model
        self.alias = alias
        self.using = using
        # Fields left out are deferred on the instances, as with QuerySet.defer().
        self.fields = [f for f in model._meta.concrete_fields if f.name not in leave_out]
        if missing := set(leave_out) - {f.name for f in model._meta.concrete_fields}:
            raise ValueError(f"{model.__name__} has no column {', '.join(sorted(missing))}.")
        self.attnames = [field.attname for field in self.fields]
        self.width = len(self.fields)
        self._sql: dict[str, str] = {}  # the SELECT list, per database vendor

    def sql(self) -> str:
        vendor = connections[self.using].vendor
        if vendor not in self._sql:
            quote = connections[self.using].ops.quote_name
            self._sql[vendor] = ", ".join(
                f"{self.alias}.{quote(field.column)}" for field in self.fields
            )
        return self._sql[vendor]

    def _field_converters(self) -> list[tuple[int, Any, list[Converter]]]:
        """(position, column, converters) of the fields whose values need converting."""
        connection = connections[self.using]
        key = (connection.vendor, self.model, tuple(self.attnames))  # positions differ per set
        if key not in _converters:
            table = self.model._meta.db_table
            found = []
            for index, field in enumerate(self.fields):
                column = field.get_col(table)
                converters = connection.ops.get_db_converters(column) + column.get_db_converters(
                    connection
                )
                if converters:
                    found.append((index, column, converters))
            _converters[key] = found
        return _converters[key]

    def load(self, row: Sequence[Any], start: int = 0) -> Model:
        """The instance from row[start:start + width]."""
        connection = connections[self.using]
        values = list(row[start : start + self.width])
        for index, column, converters in self._field_converters():
            value = values[index]
            for convert in converters:
                value = convert(value, column, connection)
            values[index] = value
        return self.model.from_db(self.using, self.attnames, values)


@cache
def columns(model: type[Model], alias: str, leave_out: tuple[str, ...] = ()) -> Columns:
    """The model's `Columns` under this alias (less the fields left out, deferred), made
    once per process (the busiest requests ask for them every time)."""
    return Columns(model, alias, leave_out=leave_out)
