"""The triggers that raise a LedgerStamp row (migrations 0019 and 0020): after every insert, update or
delete of a row of the given tables, whoever writes. SQLite only (migration 0019 says why); on any
other database these do nothing."""

from django.db import migrations

EVENTS = ("INSERT", "UPDATE", "DELETE")


def operation(*, row: int, tables: tuple[str, ...], suffix: str) -> migrations.RunPython:
    """A migration's step creating stamp row `row` and its triggers (dropping them when reversed)."""
    return migrations.RunPython(
        lambda apps, schema_editor: create_triggers(schema_editor, row=row, tables=tables, suffix=suffix),
        lambda apps, schema_editor: drop_triggers(schema_editor, row=row, tables=tables, suffix=suffix),
    )


def create_triggers(schema_editor, *, row: int, tables: tuple[str, ...], suffix: str) -> None:
    """Stamp row `row`, created at version 1, raised by a trigger `<table>_<suffix>_<event>` on each table."""
    if schema_editor.connection.vendor != "sqlite":
        return
    schema_editor.execute("INSERT INTO issues_ledgerstamp (id, version) VALUES (%s, 1)", [row])
    for table in tables:
        for event in EVENTS:
            # the migrations' own table names; a trigger's body takes no parameters
            schema_editor.execute(
                f"CREATE TRIGGER {table}_{suffix}_{event.lower()} AFTER {event} ON {table} "  # nosec B608  # noqa: S608
                f"FOR EACH ROW BEGIN UPDATE issues_ledgerstamp SET version = version + 1 WHERE id = {int(row)}; END"
            )


def drop_triggers(schema_editor, *, row: int, tables: tuple[str, ...], suffix: str) -> None:
    if schema_editor.connection.vendor != "sqlite":
        return
    for table in tables:
        for event in EVENTS:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_{suffix}_{event.lower()}")
    schema_editor.execute("DELETE FROM issues_ledgerstamp WHERE id = %s", [row])
