"""Small SQL expressions the insights aggregate with, written for both
databases: numbers computed in the database (seconds between two times, a
week's or a quarter's index) group and sum there, and what comes back to
Python is a few numbers per row, never datetimes to parse."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models.expressions import Combinable, Func
from django.db.models.sql.compiler import SQLCompiler

_Sql = tuple[str, Any]


class SecondsBetween(Func):
    """`end - start` in seconds, as a float (NULL if either is NULL)."""

    arity = 2
    output_field = models.FloatField()

    @property
    def convert_value(self) -> Any:
        # Both databases already answer a float (or NULL): a converter would
        # only cost a Python call per row (the insights read thousands).
        return self._convert_value_noop  # type: ignore[attr-defined]

    def __init__(self, start: Combinable | str, end: Combinable | str) -> None:
        # Func joins its arguments in order: end first, for "end - start".
        super().__init__(end, start)

    def as_sqlite(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra: Any
    ) -> _Sql:
        return self.as_sql(
            compiler,
            connection,
            template="((julianday(%(expressions)s)) * 86400.0)",
            arg_joiner=") - julianday(",
            **extra,
        )

    def as_postgresql(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra: Any
    ) -> _Sql:
        return self.as_sql(
            compiler,
            connection,
            template="EXTRACT(EPOCH FROM (%(expressions)s))::float8",
            arg_joiner=" - ",
            **extra,
        )


class WeekIndex(Func):
    """Whole weeks from `origin` (an aware datetime) to the time in `field`:
    0 for the first week of a period that starts at `origin`."""

    output_field = models.IntegerField()

    def __init__(self, field: str, origin: Combinable) -> None:
        super().__init__(field, origin)

    def as_sqlite(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra: Any
    ) -> _Sql:
        return super().as_sql(
            compiler,
            connection,
            template="CAST((julianday(%(expressions)s)) / 7 AS INTEGER)",
            arg_joiner=") - julianday(",
            **extra,
        )

    def as_postgresql(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra: Any
    ) -> _Sql:
        return super().as_sql(
            compiler,
            connection,
            template="FLOOR(EXTRACT(EPOCH FROM (%(expressions)s)) / 604800)::int",
            arg_joiner=" - ",
            **extra,
        )


class QuarterIndex(Func):
    """year * 4 + quarter - 1 of a datetime (in UTC) or a date: consecutive
    integers for consecutive calendar quarters."""

    arity = 1
    output_field = models.IntegerField()

    def as_sqlite(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra: Any
    ) -> _Sql:
        # %%%% becomes %% in the SQL (a literal % once the parameters go in,
        # also where Django formats the query for its debug log).
        return super().as_sql(
            compiler,
            connection,
            template=(
                "(CAST(strftime('%%%%Y', %(expressions)s) AS INTEGER) * 4"
                " + (CAST(strftime('%%%%m', %(expressions)s) AS INTEGER) - 1) / 3)"
            ),
            **extra,
        )

    def as_postgresql(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra: Any
    ) -> _Sql:
        source = self.source_expressions[0]
        is_date = isinstance(getattr(source, "output_field", None), models.DateField) and not (
            isinstance(source.output_field, models.DateTimeField)
        )
        value = "%(expressions)s" if is_date else "(%(expressions)s AT TIME ZONE 'UTC')"
        return super().as_sql(
            compiler,
            connection,
            template=(
                f"(EXTRACT(YEAR FROM {value})::int * 4 + (EXTRACT(MONTH FROM {value})::int - 1) / 3)"
            ),
            **extra,
        )
