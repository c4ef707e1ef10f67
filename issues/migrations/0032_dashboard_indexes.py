"""The dashboard's reads from indexes alone: the open findings per unit with the deadline the overdue
test reads, the city's monthly totals, and each period's bottom-K entries (the streaks).

SQLite's statistics are taken again for the three tables where it kept them (_statistics.py).
"""

from django.db import migrations, models

from issues.migrations._statistics import analyse_again


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
        migrations.RunPython(analyse_again("issues_finding", "issues_unitmonth", "issues_rankingentry"),
                             migrations.RunPython.noop, elidable=True),
    ]
