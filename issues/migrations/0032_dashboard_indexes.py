"""The dashboard's reads from indexes alone: the open findings per unit with the deadline the overdue
test reads, the city's monthly totals, and each period's bottom-K entries (the streaks).

As in 0031: SQLite plans with the statistics ANALYZE keeps once a table has them, and a new index has
none; the tables analysed before are analysed again so it gets its row.
"""

from django.db import migrations, models

TABLES = ("issues_finding", "issues_unitmonth", "issues_rankingentry")


def analyse_on_sqlite(apps, schema_editor):
    """Only the tables SQLite already keeps statistics for (see 0031)."""
    connection = schema_editor.connection
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'")
        if cursor.fetchone() is None:
            return
        for table in TABLES:
            cursor.execute("SELECT 1 FROM sqlite_stat1 WHERE tbl = %s LIMIT 1", [table])
            if cursor.fetchone() is not None:
                cursor.execute(f"ANALYZE {table}")  # nosec B608 - a name from TABLES


class Migration(migrations.Migration):

    dependencies = [
        ("issues", "0031_district_status_index"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="finding", name="finding_open_stock"),
        migrations.AddIndex(
            model_name="finding",
            index=models.Index(fields=["status", "lead_unit", "miss_count", "deadline", "current_notice"],
                               name="finding_open_stock"),
        ),
        migrations.AddIndex(
            model_name="rankingentry",
            index=models.Index(condition=models.Q(("in_bottom", True)), fields=["period", "unit"],
                               name="ranking_entry_bottom"),
        ),
        migrations.AddIndex(
            model_name="unitmonth",
            index=models.Index(fields=["month", "found", "relapses", "closed", "due", "on_time", "misses", "extensions"],
                               name="unit_month_totals"),
        ),
        migrations.RunPython(analyse_on_sqlite, migrations.RunPython.noop, elidable=True),
    ]
