"""Set-based writes for imports and the nightly job: ids reserved up front, rows sent many to a
statement, updates by id sent as one statement per 500 rows on SQLite.

Django's bulk_create prepares every value of every field through the ORM, which costs more than
SQLite's insert itself at 10,000 rows. An import knows its rows' types, so it prepares the few
columns it sets and sends them in one executemany per table. Ids are reserved before the insert
so findings and their first notices can point at each other in the same pass (foreign keys are
checked at commit on SQLite and PostgreSQL alike).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager

from django.db import connection

LARGE_WRITE_CACHE_KIB = 131072


def reserve_ids(model, count: int) -> list[int]:
    """`count` fresh primary keys for `model`, inside the caller's transaction."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, count]
            )
            return [row[0] for row in cursor.fetchall()]
        # SQLite: the write lock is held (IMMEDIATE transactions), so nobody else takes these ids
        cursor.execute(f'SELECT COALESCE(MAX("id"), 0) FROM "{table}"')  # nosec B608  # noqa: S608 - a model's own table name
        high = cursor.fetchone()[0]
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
        row = cursor.fetchone()
        start = max(high, row[0] if row else 0) + 1
        return list(range(start, start + count))


def insert(model, columns: Sequence[str], rows: Iterable[Sequence]) -> None:
    """INSERT rows of already prepared values into these columns (attnames, e.g. "lead_unit_id").

    Rows go up to 500 to a statement, fewer when the database takes fewer parameters. On a
    table with triggers (the ledger's version stamp) SQLite keeps a statement journal of every page a
    statement changes; one row a statement journalled the finding table's dozen indexes for each row
    (10,000 imported findings: 4.6 s instead of 1.0 s)."""
    rows = [tuple(row) for row in rows]
    if not rows:
        return
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(c) for c in columns)
    per = _rows_per_statement(len(columns))
    whole = len(rows) - len(rows) % per

    def statement(count: int) -> str:
        return f"INSERT INTO {table} ({names}) VALUES {_values(len(columns), count)}"  # nosec B608  # noqa: S608

    with connection.cursor() as cursor:
        if whole:
            cursor.executemany(statement(per), [[value for row in rows[i:i + per] for value in row]
                                                for i in range(0, whole, per)])
        if whole < len(rows):
            cursor.execute(statement(len(rows) - whole), [value for row in rows[whole:] for value in row])


def _rows_per_statement(width: int) -> int:
    """Up to 500 rows of `width` values, within the database's parameter limit."""
    return max(1, min(500, _parameter_limit() // width))


def _values(width: int, count: int) -> str:
    """The placeholders of `count` rows of `width` values: (%s, %s), (%s, %s), ..."""
    return ", ".join(["(" + ", ".join(["%s"] * width) + ")"] * count)


def _parameter_limit() -> int:
    """Parameters a statement may carry: SQLite's own limit (Django assumes 999, this build takes
    250,000), PostgreSQL's 65,535."""
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        return connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    return connection.features.max_query_params or 65535


def update(model, columns: Sequence[str], rows: Iterable[Sequence]) -> None:
    """UPDATE rows by id: each row is (value for each column..., id).

    Django's bulk_update writes one CASE per column with a WHEN per row, and resolving those
    expressions costs more than the update itself at hundreds of rows. On SQLite the rows go as
    one `UPDATE ... FROM (VALUES ...)` per 500: one statement, where a statement per row made
    SQLite journal the pages each row touched once more per row (the nightly job's 5,000 findings:
    0.4-0.7 s a night against 0.1 s). PostgreSQL takes them with executemany, which psycopg sends
    in one round: a VALUES list there would need a cast for every column that may hold only NULLs."""
    _update(model, columns, rows, adding=False)


def add_to(model, columns: Sequence[str], rows: Iterable[Sequence]) -> None:
    """As `update`, but each value is added to the column's own (counters kept up to date)."""
    _update(model, columns, rows, adding=True)


def _update(model, columns: Sequence[str], rows: Iterable[Sequence], *, adding: bool) -> None:
    rows = [tuple(row) for row in rows]
    if not rows:
        return
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)

    def assigned(column: str, value: str) -> str:
        return f"{quote(column)} = {table}.{quote(column)} + {value}" if adding else f"{quote(column)} = {value}"

    with connection.cursor() as cursor:
        if connection.vendor != "sqlite":
            sets = ", ".join(assigned(c, "%s") for c in columns)
            cursor.executemany(f'UPDATE {table} SET {sets} WHERE "id" = %s', rows)  # nosec B608  # noqa: S608
            return
        # VALUES names its columns column1, column2, ...; the id is the last
        width = len(columns) + 1
        sets = ", ".join(assigned(c, f"v.column{i}") for i, c in enumerate(columns, 1))
        per = _rows_per_statement(width)
        for i in range(0, len(rows), per):
            chunk = rows[i:i + per]
            cursor.execute(
                f"UPDATE {table} SET {sets} FROM (VALUES {_values(width, len(chunk))}) AS v "  # nosec B608  # noqa: S608
                f'WHERE {table}."id" = v.column{width}',
                [value for row in chunk for value in row],
            )


@contextmanager
def large_writes() -> Iterator[None]:
    """A bigger SQLite page cache while thousands of rows go into tables with many indexes.

    Each row lands in a dozen B-trees at scattered places; with the connection's usual 16 MB cache
    the same index pages are read again and again (10,000 findings into a 500,000-row ledger:
    2.1-2.9 s with 16 MB, 1.5-2.0 s with 128 MB). The usual size comes back afterwards, and with it
    the memory."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        usual = cursor.fetchone()[0]
        cursor.execute(f"PRAGMA cache_size = -{LARGE_WRITE_CACHE_KIB}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(usual)}")


class Adapters:
    """The connection's value adapters, looked up once for a batch of rows: `connection` is a
    per-thread proxy, asked again on every use otherwise (10,000 rows of an import or a night's
    misses: tens of thousands of lookups). The functions below are for a single value."""

    def __init__(self):
        ops = connection.ops
        self.date = ops.adapt_datefield_value
        self.datetime = ops.adapt_datetimefield_value
        self._decimal = ops.adapt_decimalfield_value
        self._json = ops.adapt_json_value

    def decimal(self, value, field):
        return self._decimal(value, field.max_digits, field.decimal_places)

    def json(self, value):
        """A JSON field's value as the field itself would send it (no custom encoder)."""
        return self._json(value, None)


def date(value):
    return connection.ops.adapt_datefield_value(value)


def datetime(value):
    return connection.ops.adapt_datetimefield_value(value)
