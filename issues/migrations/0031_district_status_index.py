"""A district's status tab and overdue box (超期未整改) read one index: its rows of one status in date
order, with the deadline, misses and notice the overdue test and the tab counts read.

SQLite plans with the statistics ANALYZE keeps (sqlite_stat1) once the table has them; a new index has
none and the planner then takes it for the district's whole ledger too. Analysing the finding table
again, where it was analysed before, gives it its row (under a second for 500,000 findings). PostgreSQL keeps its statistics per column, so
autovacuum's need nothing new for this index.
"""

from django.db import migrations, models


def analyse_on_sqlite(apps, schema_editor):
    """Only a table SQLite already keeps statistics for: one never analysed is planned by SQLite's
    defaults, as before, and statistics taken now from a small table would outlive its growth."""
    connection = schema_editor.connection
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'")
        if cursor.fetchone() is None:
            return
        cursor.execute("SELECT 1 FROM sqlite_stat1 WHERE tbl = 'issues_finding' LIMIT 1")
        if cursor.fetchone() is not None:
            cursor.execute("ANALYZE issues_finding")


class Migration(migrations.Migration):

    dependencies = [
        ("issues", "0030_reference_checklists"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="finding",
            index=models.Index(fields=["lead_top", "status", "found_on", "closed_on", "deadline", "miss_count", "current_notice"],
                               name="finding_top_status"),
        ),
        migrations.RunPython(analyse_on_sqlite, migrations.RunPython.noop, elidable=True),
    ]
