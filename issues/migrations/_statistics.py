"""SQLite's planner statistics after a migration adds an index (not a migration: the loader skips
modules whose name starts with "_").

SQLite plans with the statistics ANALYZE keeps (sqlite_stat1) once a table has them; a new index has
none, and the planner may then take it for queries it does not serve. PostgreSQL keeps its statistics
per column, so autovacuum's need nothing new."""


def analyse_again(*tables: str):
    """A RunPython function that analyses `tables` again on SQLite, each only where SQLite already keeps
    statistics for it: a table never analysed is planned by SQLite's defaults, as before, and statistics
    taken now from a small table would outlive its growth."""

    def analyse(apps, schema_editor):
        connection = schema_editor.connection
        if connection.vendor != "sqlite":
            return
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'")
            if cursor.fetchone() is None:
                return
            for table in tables:
                cursor.execute("SELECT 1 FROM sqlite_stat1 WHERE tbl = %s LIMIT 1", [table])
                if cursor.fetchone() is not None:
                    cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")  # nosec B608 - a table name of ours

    return analyse
